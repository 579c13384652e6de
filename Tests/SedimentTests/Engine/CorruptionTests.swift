// CorruptionTests: the corruption matrix of issue 7. One small database (two tables, a MANIFEST
// of several edits, a log of unflushed writes, CURRENT) is damaged in one file at a time:
// truncation at 0, 1, mid-header, mid-record and the last byte; single-byte flips at many
// offsets; a zeroed 4 KiB page; appended garbage; absurd length fields; handles past the end;
// wrong magic; an empty and a missing file. For every variant:
//   - opening either succeeds or throws a SedimentError whose message names the damaged file;
//   - no get returns a wrong value: the right one, nil, or a thrown SedimentError;
//   - a full scan yields only right (key, value) pairs, then ends (with or without an error);
//   - data before the damage is intact: for a log, every record ending before the damaged
//     offset; for a table, every key outside that table;
//   - nothing hangs (each variant runs under a deadline) and nothing traps.
// Every key is written once, so "a wrong value" cannot hide behind an older version.
import Foundation
import Testing
@testable import Sediment
import SedimentTestSupport

@Suite struct CorruptionTests {
    static let keyCount = 300
    static func key(_ i: Int) -> String { "key\(1000 + i)" }
    static func value(_ i: Int) -> String { "value-\(i)-" + String(repeating: "v", count: i % 37) }

    /// The pristine database: files by name, and for the log the end offset of each key's record.
    struct Pristine {
        var files: [String: [UInt8]] = [:]
        var logName = ""
        var tableNames: [String] = []
        var manifestName = ""
        /// Key index → offset just past its log record (keys in the log only).
        var logRecordEnd: [Int: Int] = [:]
        /// Key index → table name holding it (keys in tables only).
        var tableOf: [Int: String] = [:]
    }

    static func options() -> Options {
        var o = Options()
        o.compression = .none
        o.blockSize = 512
        o.disableAutoCompactions = true
        return o
    }

    /// Builds the pristine database in `dir` and reads its files.
    static func makePristine(_ dir: String) throws -> Pristine {
        let fs = PosixFileSystem()
        let db = try Database(path: dir, options: options())
        var p = Pristine()
        for i in 0..<keyCount {
            try db.put(b(key(i)), b(value(i)))
            if i == 99 || i == 199 { try db.flush() }
        }
        try db.close()
        for name in try fs.children(of: dir) where name != "LOCK" {
            p.files[name] = try fs.readWholeFile(dir + "/" + name)
        }
        p.logName = p.files.keys.filter { $0.hasSuffix(".log") }.sorted().last ?? ""
        p.tableNames = p.files.keys.filter { $0.hasSuffix(".sst") }.sorted()
        p.manifestName = p.files.keys.filter { $0.hasPrefix("MANIFEST-") }.sorted().last ?? ""
        // Keys 200... are the log's records, one put each, in order. Their ends come from the
        // closed log: an open log's size is its preallocated mapping (DESIGN.md §4), not its data.
        let log = RecordReader(file: MemoryRandomAccessFile(p.files[p.logName] ?? []), mode: .absoluteConsistency)
        var i = 200
        while try log.readRecord() != nil {
            p.logRecordEnd[i] = Int(log.lastRecordEndOffset)
            i += 1
        }
        for i in 0..<200 where p.tableNames.count == 2 { p.tableOf[i] = p.tableNames[i < 100 ? 0 : 1] }
        return p
    }

    /// One damage: a name for messages, the new bytes (nil: remove the file), the first
    /// damaged offset (nil: unknown, e.g. for removal).
    struct Variant: Sendable {
        var name: String
        var bytes: [UInt8]?
        var offset: Int?
    }

    /// Single-byte flips per log, table and MANIFEST (CURRENT: every byte): 200 in CI, so the
    /// four files give over 600 variants; SEDIMENT_CORRUPTION_FLIPS scales the run.
    static let flipCount = ProcessInfo.processInfo.environment["SEDIMENT_CORRUPTION_FLIPS"].flatMap(Int.init) ?? 200

    /// Every damage applied to `bytes`, with `kind`-specific absurd lengths and wrong magic.
    static func variants(of bytes: [UInt8], kind: FileKind, rng: inout SeededRandom) -> [Variant] {
        let n = bytes.count
        var out: [Variant] = []
        for cut in Set([0, 1, 3, min(n, 5), n / 2, n / 3, max(0, n - 1)]).sorted() where cut < n {
            out.append(Variant(name: "truncate to \(cut)", bytes: Array(bytes[..<cut]), offset: cut))
        }
        let flips = kind == .current ? n : flipCount
        for k in 0..<flips {
            let at = kind == .current ? k : (k < 20 ? k * n / 20 : Int(rng.next() % UInt64(n)))
            var d = bytes
            d[at] ^= UInt8(1 << (k % 8)) | (k % 3 == 0 ? 0x80 : 0)
            out.append(Variant(name: "flip at \(at)", bytes: d, offset: at))
        }
        for page in Set([0, (n / 2) / 4096 * 4096]).sorted() where page < n {
            var d = bytes
            for i in page..<min(n, page + 4096) { d[i] = 0 }
            out.append(Variant(name: "zero page at \(page)", bytes: d, offset: page))
        }
        var garbage = bytes
        for _ in 0..<100 { garbage.append(UInt8(truncatingIfNeeded: rng.next())) }
        out.append(Variant(name: "append random garbage", bytes: garbage, offset: n))
        out.append(Variant(name: "append 0xFF", bytes: bytes + [UInt8](repeating: 0xFF, count: 40), offset: n))
        out.append(Variant(name: "empty", bytes: [], offset: 0))
        out.append(Variant(name: "missing", bytes: nil, offset: 0))
        switch kind {
        case .log, .manifest:
            if n > 7 {
                var d = bytes
                rewriteHeader(&d, at: 0, type: 1, payloadLength: 0xFFFF)
                out.append(Variant(name: "absurd record length (good crc)", bytes: d, offset: 0))
                var t = bytes
                t[6] = 0x7E
                out.append(Variant(name: "unknown record type", bytes: t, offset: 0))
            }
        case .table:
            if n > 53 {
                // Footer (format_version >= 1): checksum type, metaindex handle, index handle...
                var absurd = bytes
                for i in (n - 52)..<(n - 52 + 20) { absurd[i] = 0xFF }
                out.append(Variant(name: "absurd footer handles", bytes: absurd, offset: n - 52))
                var past = bytes
                var handle: [UInt8] = []
                handle.appendVarint64(UInt64(n + 1000))
                handle.appendVarint64(100)
                for (i, byte) in handle.enumerated() { past[n - 52 + i] = byte }
                out.append(Variant(name: "metaindex handle past the end", bytes: past, offset: n - 52))
                var magic = bytes
                magic[n - 1] ^= 0xFF
                out.append(Variant(name: "wrong magic", bytes: magic, offset: n - 8))
            }
        case .current:
            var d = bytes
            if d.count > 8 { d[7] = UInt8(ascii: "X") }
            out.append(Variant(name: "wrong MANIFEST- prefix", bytes: d, offset: 7))
            out.append(Variant(name: "names a missing MANIFEST", bytes: Array("MANIFEST-999999\n".utf8), offset: 0))
            out.append(Variant(name: "no newline", bytes: Array(bytes.dropLast()), offset: n - 1))
        default:
            break
        }
        return out
    }

    /// Writes `pristine` to `dir` with `file` replaced by `variant`, opens it and checks every
    /// rule. Returns the problems found (empty: the variant is handled correctly).
    static func check(_ pristine: Pristine, dir: String, file: String, variant: Variant) -> [String] {
        var problems: [String] = []
        let fs = PosixFileSystem()
        do {
            try fs.createDirectory(dir)
            for (name, bytes) in pristine.files where name != file { try fs.writeWholeFile(dir + "/" + name, bytes, sync: false) }
            if let bytes = variant.bytes { try fs.writeWholeFile(dir + "/" + file, bytes, sync: false) }
        } catch {
            return ["setup failed: \(error)"]
        }
        let db: Database
        do {
            db = try Database(path: dir, options: options())
        } catch let e as SedimentError {
            if !e.description.contains(file) { problems.append("open failed without naming \(file): \(e)") }
            if ProcessInfo.processInfo.environment["SEDIMENT_VERBOSE"] != nil { print("\(file) \(variant.name): \(e)") }
            return problems
        } catch {
            return ["open threw a non-Sediment error: \(error)"]
        }
        defer { try? db.close() }
        for i in 0..<keyCount {
            let k = key(i)
            do {
                let got = try db.get(b(k))
                if let got, got != b(value(i)) {
                    problems.append("\(k) returned a wrong value \(String(decoding: got, as: UTF8.self))")
                } else if got == nil, mustSurvive(i, pristine, file, variant) {
                    problems.append("\(k), written before the damage, is missing")
                }
            } catch is SedimentError {
                if mustSurvive(i, pristine, file, variant) { problems.append("\(k), written before the damage, is unreadable") }
            } catch {
                problems.append("\(k): non-Sediment error \(error)")
            }
        }
        do {
            let c = try db.cursor()
            c.seekToFirst()
            var steps = 0
            while c.isValid && steps <= keyCount {
                let k = String(decoding: c.key, as: UTF8.self)
                if let i = Int(k.dropFirst(3)).map({ $0 - 1000 }), (0..<keyCount).contains(i), c.value == b(value(i)) {
                } else {
                    problems.append("the scan yielded a wrong pair \(k)")
                }
                c.next()
                steps += 1
            }
            if steps > keyCount { problems.append("the scan yielded more keys than were written") }
        } catch is SedimentError {
        } catch {
            problems.append("cursor: non-Sediment error \(error)")
        }
        do { try db.verifyChecksums() } catch is SedimentError {} catch { problems.append("verify: non-Sediment error \(error)") }
        return problems
    }

    /// Whether key `i` must be readable despite `variant` of `file`.
    static func mustSurvive(_ i: Int, _ p: Pristine, _ file: String, _ v: Variant) -> Bool {
        if file == p.logName {
            guard let end = p.logRecordEnd[i], let offset = v.offset, v.bytes != nil else { return p.logRecordEnd[i] == nil }
            return end <= offset
        }
        if p.tableNames.contains(file) { return p.tableOf[i] != file }
        return false
    }

    /// Runs `body` on another thread and gives up after `seconds`: a hang fails the test
    /// instead of stalling the suite.
    static func withDeadline(seconds: Double, _ body: @escaping @Sendable () -> [String]) -> [String]? {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        Thread {
            box.set(body())
            done.signal()
        }.start()
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        return box.get()
    }

    final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private var value: [String] = []
        func set(_ v: [String]) { lock.withLock { value = v } }
        func get() -> [String] { lock.withLock { value } }
    }

    @Test(arguments: ["log", "table", "MANIFEST", "CURRENT"])
    func everyDamageIsDetectedOrHarmless(_ target: String) throws {
        try withMemoryBackedTemporaryDirectory { dir in
            let pristine = try Self.makePristine(dir + "/pristine")
            let file: String
            let kind: FileKind
            switch target {
            case "log": (file, kind) = (pristine.logName, .log)
            case "table": (file, kind) = (pristine.tableNames.first ?? "", .table)
            case "MANIFEST": (file, kind) = (pristine.manifestName, .manifest)
            default: (file, kind) = ("CURRENT", .current)
            }
            guard let bytes = pristine.files[file], !bytes.isEmpty else {
                Issue.record("the pristine database has no \(target) file: \(pristine.files.keys.sorted())")
                return
            }
            var rng = SeededRandom(defaultSeed: 0xC0DE)
            let variants = Self.variants(of: bytes, kind: kind, rng: &rng)
            var failures = 0
            for (n, variant) in variants.enumerated() {
                let path = dir + "/v\(n)"
                let problems = Self.withDeadline(seconds: 30) { Self.check(pristine, dir: path, file: file, variant: variant) }
                guard let problems else {
                    Issue.record("\(target) \(variant.name): hung for 30 s")
                    failures += 1
                    continue
                }
                if !problems.isEmpty {
                    failures += 1
                    Issue.record("\(target) (\(file)) \(variant.name) (seed \(rng.seed)): \(problems.prefix(3).joined(separator: "; "))")
                }
                removeTree(path)
            }
            #expect(failures == 0, "\(failures) of \(variants.count) \(target) variants mishandled")
            #expect(variants.count >= (kind == .current ? 25 : Self.flipCount))
            print("corruption: \(target): \(variants.count) variants, \(failures) mishandled")
            #expect(pristine.tableNames.count == 2 && pristine.logRecordEnd.count == 100,
                    "pristine database: \(pristine.files.keys.sorted()), \(pristine.logRecordEnd.count) logged keys")
            // The record ends lie inside the log, so damage after a record leaves it to check.
            let ends = (200..<300).compactMap { pristine.logRecordEnd[$0] }
            #expect(ends == ends.sorted() && (ends.last ?? .max) <= (pristine.files[pristine.logName]?.count ?? 0))
        }
    }
}
