// DamagedFixtureTests: checked-in damaged copies of a log (Fixtures/wal/damaged), a MANIFEST
// (Fixtures/manifest/damaged) and CURRENT (Fixtures/db/damaged), each dropped into a copy of the
// small database in Fixtures/db/pristine and opened in `.pointInTime` and
// `.absoluteConsistency`. The outcome — the error (with the directory written as $DB) or the
// keys a full scan shows, and any table moved to lost/ — must equal `<name>.expected.txt` byte for byte.
//
// `SEDIMENT_REWRITE=1 swift test --filter DamagedFixtureTests` rebuilds the damaged files from
// the pristine ones (and the pristine database itself when it is missing) and rewrites the
// expected outputs; review the git diff. Fixtures/README.md describes every file.
import Foundation
import Testing
@testable import Sediment
import SedimentTestSupport

@Suite struct DamagedFixtureTests {
    /// Where a damaged file goes in the database copy.
    enum Target { case log, manifest, current }

    /// A damaged fixture: its file, the pristine file it replaces and how it was made.
    struct Case: Sendable, CustomStringConvertible {
        var folder: String
        var name: String
        var damage: @Sendable ([UInt8]) -> [UInt8]?
        var description: String { "\(folder)/\(name)" }
    }

    static let cases: [Case] = [
        Case(folder: "wal", name: "torn-tail.log") { Array($0.dropLast(3)) },
        Case(folder: "wal", name: "bad-crc.log") { var d = $0; d[10] ^= 0x01; return d },
        Case(folder: "wal", name: "absurd-length.log") { var d = $0; rewriteHeader(&d, at: 0, type: 1, payloadLength: 0xFFFF); return d },
        Case(folder: "wal", name: "zeroed.log") { [UInt8](repeating: 0, count: $0.count) },
        Case(folder: "manifest", name: "truncated.MANIFEST") { Array($0.prefix($0.count / 2)) },
        Case(folder: "manifest", name: "bad-crc.MANIFEST") { var d = $0; d[10] ^= 0x01; return d },
        Case(folder: "manifest", name: "empty.MANIFEST") { _ in [] },
        Case(folder: "db", name: "CURRENT-garbled") { _ in Array("MANIFXST-000005\n".utf8) },
        Case(folder: "db", name: "CURRENT-no-newline") { Array($0.dropLast()) },
        Case(folder: "db", name: "CURRENT-empty") { _ in [] },
        Case(folder: "db", name: "CURRENT-names-missing") { _ in Array("MANIFEST-000099\n".utf8) },
        Case(folder: "db", name: "CURRENT-missing") { _ in nil },
    ]

    static var rewrite: Bool { ProcessInfo.processInfo.environment["SEDIMENT_REWRITE"] == "1" }
    static let fs = PosixFileSystem()

    /// The pristine database's files, created when missing under SEDIMENT_REWRITE=1.
    static func pristine() throws -> [String: [UInt8]] {
        let dir = fixturesDirectory() + "/db/pristine"
        if rewrite && !fs.fileExists(dir + "/CURRENT") {
            var o = Options()
            o.compression = .none
            let db = try Database(path: dir, options: o)
            for (k, v) in [("a", "1"), ("b", "2"), ("c", "3")] { try db.put(b(k), b(v)) }
            try db.flush()
            try db.put(b("d"), b("4"))
            try db.put(b("e"), b("5"))
            try db.delete(b("a"))
            try db.close()
            try? fs.removeFile(dir + "/LOCK")
        }
        var files: [String: [UInt8]] = [:]
        for name in try fs.children(of: dir) where name != "LOCK" { files[name] = try fs.readWholeFile(dir + "/" + name) }
        return files
    }

    /// The pristine file a case replaces.
    static func replaced(_ c: Case, _ files: [String: [UInt8]]) -> String {
        switch c.folder {
        case "wal": return files.keys.filter { $0.hasSuffix(".log") }.sorted().last ?? "missing.log"
        case "manifest": return files.keys.filter { $0.hasPrefix("MANIFEST-") }.sorted().last ?? "MANIFEST-missing"
        default: return "CURRENT"
        }
    }

    /// Opens `dir` in `mode`: the error, or every key=value of a full scan.
    static func outcome(_ dir: String, _ mode: WALRecoveryMode) -> String {
        var o = Options()
        o.walRecoveryMode = mode
        o.createIfMissing = false
        do {
            let db = try Database(path: dir, options: o)
            defer { try? db.close() }
            var pairs: [String] = []
            for (k, v) in try db.scan() { pairs.append(String(decoding: k, as: UTF8.self) + "=" + String(decoding: v, as: UTF8.self)) }
            let lost = (try? fs.children(of: dir + "/lost"))?.sorted() ?? []
            return pairs.joined(separator: " ") + (lost.isEmpty ? "" : " (moved to lost/: \(lost.joined(separator: " ")))")
        } catch {
            return "error: \(error)".replacingOccurrences(of: dir, with: "$DB")
        }
    }

    @Test(arguments: cases)
    func damagedFixtureOpensAsRecorded(_ c: Case) throws {
        let files = try Self.pristine()
        let target = Self.replaced(c, files)
        guard let original = files[target] else { Issue.record("pristine database lacks \(target)"); return }
        let damagedPath = fixturesDirectory() + "/\(c.folder)/damaged/\(c.name)"
        let expectedPath = fixturesDirectory() + "/\(c.folder)/damaged/\(c.name).expected.txt"
        if Self.rewrite, let damaged = c.damage(original) {
            try Self.fs.createDirectory(fixturesDirectory() + "/\(c.folder)")
            try Self.fs.createDirectory(fixturesDirectory() + "/\(c.folder)/damaged")
            try Self.fs.writeWholeFile(damagedPath, damaged)
        }
        let damaged: [UInt8]? = c.damage(original) == nil ? nil : try Self.fs.readWholeFile(damagedPath)
        var text = ""
        try withTemporaryDirectory { dir in
            for mode in [WALRecoveryMode.pointInTime, .absoluteConsistency] {
                let db = dir + "/\(mode)"
                try Self.fs.createDirectory(db)
                for (name, bytes) in files where name != target { try Self.fs.writeWholeFile(db + "/" + name, bytes, sync: false) }
                if let damaged { try Self.fs.writeWholeFile(db + "/" + target, damaged, sync: false) }
                text += "\(mode): \(Self.outcome(db, mode))\n"
            }
        }
        if Self.rewrite { try Self.fs.writeWholeFile(expectedPath, Array(text.utf8)) }
        let expected = String(decoding: try Self.fs.readWholeFile(expectedPath), as: UTF8.self)
        #expect(text == expected, "\(c): outcome differs from \(c.name).expected.txt")
    }
}
