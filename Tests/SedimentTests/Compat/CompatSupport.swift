// CompatSupport: what the two-way compatibility tests share — running RocksDB 7.8.3's ldb and
// db_bench (Debian's rocksdb-tools; a missing tool fails the test), parsing `ldb scan --hex`,
// reading a whole database through Sediment's cursor, copying and listing directories.
import Foundation
import Testing
import SedimentTestSupport
@testable import Sediment

/// RocksDB's ldb and db_bench as installed by Debian's rocksdb-tools.
enum RocksDBTools {
    static let ldbPath = "/usr/bin/ldb"
    static let dbBenchPath = "/usr/bin/db_bench"

    /// Runs `ldb --db=<db> args...` and requires exit status 0 unless `check` is false.
    @discardableResult
    static func ldb(_ db: String, _ arguments: [String], check: Bool = true,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> ToolRun {
        let run = try runTool(ldbPath, ["--db=\(db)"] + arguments)
        if check {
            #expect(run.status == 0, "ldb \(arguments) failed: \(run.stdout) \(run.stderr)", sourceLocation: sourceLocation)
        }
        return run
    }

    /// Runs `db_bench --db=<db> args...` and requires exit status 0.
    static func dbBench(_ db: String, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let run = try runTool(dbBenchPath, ["--db=\(db)"] + arguments)
        #expect(run.status == 0, "db_bench \(arguments) failed: \(run.stderr)", sourceLocation: sourceLocation)
    }

    /// Every key and value `ldb scan` prints, in order (read with `--hex`, so any bytes survive).
    static func scan(_ db: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [KeyValue] {
        let run = try ldb(db, ["scan", "--hex"], sourceLocation: sourceLocation)
        return try run.stdout.split(separator: "\n").map { line in
            let parts = line.split(separator: " : ", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let k = bytes(fromLDBHex: parts[0]), let v = bytes(fromLDBHex: parts[1]) else {
                throw TestSupportError("unexpected ldb scan line: \(line)")
            }
            return KeyValue(key: k, value: v)
        }
    }

    /// `ldb get --hex KEY`: the value, or nil when ldb reports NotFound.
    static func get(_ db: String, _ key: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8]? {
        let run = try ldb(db, ["get", "--hex", ldbHex(key)], check: false)
        if run.status != 0 {
            #expect(run.stdout.contains("NotFound") || run.stderr.contains("NotFound"),
                    "ldb get failed: \(run.stdout) \(run.stderr)", sourceLocation: sourceLocation)
            return nil
        }
        let line = run.stdout.split(separator: "\n").first.map(String.init) ?? ""
        guard let value = bytes(fromLDBHex: Substring(line)) else {
            throw TestSupportError("unexpected ldb get output: \(run.stdout)")
        }
        return value
    }

    /// `ldb checkconsistency` must print OK.
    static func expectConsistent(_ db: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let run = try ldb(db, ["checkconsistency"], sourceLocation: sourceLocation)
        #expect(run.stdout.hasPrefix("OK"), "checkconsistency: \(run.stdout) \(run.stderr)", sourceLocation: sourceLocation)
    }

    /// Decodes ldb's `0x` + uppercase hex; an empty value prints as `0x`.
    static func bytes(fromLDBHex text: Substring) -> [UInt8]? {
        guard text.hasPrefix("0x") else { return nil }
        let digits = Array(text.dropFirst(2))
        guard digits.count % 2 == 0 else { return nil }
        let decoded = stride(from: 0, to: digits.count, by: 2).compactMap { UInt8(String(digits[$0...$0 + 1]), radix: 16) }
        return decoded.count * 2 == digits.count ? decoded : nil
    }
}

/// One key and its value, as a scan returns them.
struct KeyValue: Equatable, CustomStringConvertible {
    var key: [UInt8]
    var value: [UInt8]
    var description: String { "\(ldbHex(key)) : \(ldbHex(value))" }
}

/// Everything Sediment's cursor returns, in order.
func sedimentScan(_ db: Database) throws -> [KeyValue] {
    let cursor = try db.cursor()
    var out: [KeyValue] = []
    cursor.seekToFirst()
    while cursor.isValid {
        out.append(KeyValue(key: cursor.key, value: cursor.value))
        cursor.next()
    }
    if let error = cursor.error { throw error }
    return out
}

/// Opens the database at `path` with Sediment, scans it, and closes it.
func sedimentScan(path: String, options: Options = Options()) throws -> [KeyValue] {
    let db = try Database(path: path, options: options)
    defer { try? db.close() }
    return try sedimentScan(db)
}

/// Copies directory `source` to `destination` (which must not exist), leaving out `LOCK`.
func copyDatabase(_ source: String, to destination: String) throws {
    let fm = FileManager.default
    try fm.createDirectory(atPath: destination, withIntermediateDirectories: false)
    for name in try fm.contentsOfDirectory(atPath: source) where name != "LOCK" {
        try fm.copyItem(atPath: source + "/" + name, toPath: destination + "/" + name)
    }
}

/// The files of a directory with their sizes, sorted by name (`LOCK` left out).
func directoryListing(_ path: String) throws -> [String] {
    let fm = FileManager.default
    return try fm.contentsOfDirectory(atPath: path).filter { $0 != "LOCK" }.sorted().map { name in
        let size = (try? fm.attributesOfItem(atPath: path + "/" + name)[.size] as? Int) ?? -1
        return "\(name):\(size)"
    }
}

/// Deterministic test keys and values: `key000123`, and a value tagged with a round.
func compatKey(_ i: Int) -> [UInt8] { Array("key\(String(repeating: "0", count: max(0, 6 - String(i).count)))\(i)".utf8) }
func compatValue(_ i: Int, round: Int) -> [UInt8] {
    Array("value-\(i)-round-\(round)-".utf8) + [UInt8](repeating: UInt8(truncatingIfNeeded: i &* 31 &+ round), count: 40 + i % 60)
}
