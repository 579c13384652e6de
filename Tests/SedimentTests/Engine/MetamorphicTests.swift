// MetamorphicTests: one seeded list of operations (puts, deletes, batches, gets, cursor walks,
// snapshots, flushes, compactRange, reopens) run under several option sets that change how the
// data is laid out (tiny memtables, L0 trigger 1, tiny tables, 64-byte blocks with restart
// interval 1, every compression, no filter, no block cache, maxOpenFiles 2, synced writes). Each
// run's transcript (every get's and every walk's result) must equal a sorted in-memory model's,
// hence every other run's. A failure names its seed, option set and first differing line.
//
// Replay one seed with SEDIMENT_SEED=<seed>; SEDIMENT_METAMORPHIC_SEEDS and
// SEDIMENT_METAMORPHIC_OPS scale the run (25 seeds x 2,000 operations x 8 option sets in CI;
// SEDIMENT_METAMORPHIC_FIRST=n starts at the n-th seed);
// SEDIMENT_METAMORPHIC_SETS=16 adds eight more option sets (zlib with 64-byte blocks, one
// background job, automatic compactions off, two levels, 1 bloom bit, 64 KiB blocks, a 1 KiB
// MANIFEST limit, skip-any-corrupted recovery).
// SEDIMENT_METAMORPHIC_TABLES=1 prints each run's final table count.
import Foundation
import Testing
@testable import Sediment
import SedimentTestSupport

@Suite struct MetamorphicTests {
    /// One operation of the list.
    enum Op {
        case put(String, String)
        case delete(String)
        case batch([(String, String?)])
        case get(String, snapshot: Int?)
        /// seek(target) then `steps` next() calls, or seekForPrevious and previous() when backward.
        case walk(from: String, steps: Int, backward: Bool, snapshot: Int?)
        /// scan(from:to:) with bounds.
        case scan(from: String?, to: String?)
        case takeSnapshot
        case releaseSnapshot(Int)
        case flush
        case compact(from: String?, to: String?)
        case reopen
    }

    /// A named option set plus whether writes are synced.
    struct Variant {
        var name: String
        var options: Options
        var sync = false
    }

    static var variants: [Variant] {
        func make(_ name: String, sync: Bool = false, _ change: (inout Options) -> Void) -> Variant {
            var o = Options()
            change(&o)
            return Variant(name: name, options: o, sync: sync)
        }
        return [
            make("default (lz4)") { _ in },
            make("tiny memtable") { $0.writeBufferSize = 4096 },
            make("L0 trigger 1") { $0.level0FileNumCompactionTrigger = 1; $0.writeBufferSize = 8192 },
            make("tiny tables") {
                $0.targetFileSizeBase = 1024
                $0.maxBytesForLevelBase = 8192
                $0.writeBufferSize = 8192
                $0.level0FileNumCompactionTrigger = 2
            },
            make("64-byte blocks, restart 1, no compression") {
                $0.blockSize = 64
                $0.blockRestartInterval = 1
                $0.compression = .none
            },
            make("zlib, no filter") { $0.compression = .zlib; $0.bloomBitsPerKey = 0; $0.writeBufferSize = 8192 },
            make("no block cache") { $0.blockCacheSize = 0; $0.writeBufferSize = 8192 },
            // TableCache keeps at least 20 tables open whatever maxOpenFiles says; tables of 256
            // bytes make more than 20 of them, so this set evicts and reopens tables.
            make("maxOpenFiles 2, tiny tables, synced writes", sync: true) {
                $0.maxOpenFiles = 2
                $0.writeBufferSize = 4096
                $0.targetFileSizeBase = 256
                $0.maxBytesForLevelBase = 4096
            },
            // The second eight run outside CI (SEDIMENT_METAMORPHIC_SETS=16).
            make("zlib, 64-byte blocks, tiny tables") {
                $0.compression = .zlib
                $0.blockSize = 64
                $0.targetFileSizeBase = 1024
                $0.maxBytesForLevelBase = 8192
                $0.writeBufferSize = 8192
            },
            make("one background job, L0 trigger 1") {
                $0.maxBackgroundJobs = 1
                $0.level0FileNumCompactionTrigger = 1
                $0.writeBufferSize = 4096
            },
            make("automatic compactions off") { $0.disableAutoCompactions = true; $0.writeBufferSize = 4096 },
            make("two levels") {
                $0.numLevels = 2
                $0.writeBufferSize = 8192
                $0.maxBytesForLevelBase = 8192
            },
            make("1 bloom bit per key, 4 KiB block cache, 256-byte blocks") {
                $0.bloomBitsPerKey = 1
                $0.blockCacheSize = 4096
                $0.blockSize = 256
                $0.writeBufferSize = 8192
            },
            make("64 KiB blocks, restart interval 128") {
                $0.blockSize = 64 << 10
                $0.blockRestartInterval = 128
                $0.writeBufferSize = 16 << 10
            },
            make("1 KiB MANIFEST limit, three write buffers") {
                $0.maxManifestFileSize = 1024
                $0.maxWriteBufferNumber = 3
                $0.writeBufferSize = 4096
            },
            make("skip-any-corrupted recovery, paranoid checks off, multiplier 2", sync: true) {
                $0.walRecoveryMode = .skipAnyCorruptedRecords
                $0.paranoidChecks = false
                $0.maxBytesForLevelMultiplier = 2
                $0.maxBytesForLevelBase = 4096
                $0.targetFileSizeBase = 512
                $0.writeBufferSize = 4096
            },
        ]
    }

    /// The option sets a run uses: the first SEDIMENT_METAMORPHIC_SETS of `variants` (8 in CI,
    /// 16 for the long runs outside it).
    static var activeVariants: ArraySlice<Variant> {
        variants.prefix(environmentInt("SEDIMENT_METAMORPHIC_SETS") ?? 8)
    }

    static func key(_ rng: inout SeededRandom) -> String {
        "k" + String(1000 + Int.random(in: 0..<120, using: &rng))
    }

    /// The seeded operation list.
    static func operations(count: Int, rng: inout SeededRandom) -> [Op] {
        var ops: [Op] = []
        var liveSnapshots: [Int] = []
        var snapshotCount = 0
        for i in 0..<count {
            func value() -> String {
                let filler = String(repeating: String(Character(UnicodeScalar(UInt8(97 + i % 26)))),
                                    count: Int.random(in: 0..<150, using: &rng))
                return "v\(i)-" + filler
            }
            let roll = Int.random(in: 0..<100, using: &rng)
            let snapshot: Int? = liveSnapshots.isEmpty || Bool.random(using: &rng) ? nil : liveSnapshots.randomElement(using: &rng)
            switch roll {
            case 0..<35: ops.append(.put(key(&rng), value()))
            case 35..<45: ops.append(.delete(key(&rng)))
            case 45..<52:
                var entries: [(String, String?)] = []
                for _ in 0..<Int.random(in: 1...6, using: &rng) {
                    entries.append((key(&rng), Bool.random(using: &rng) ? value() : nil))
                }
                ops.append(.batch(entries))
            case 52..<70: ops.append(.get(key(&rng), snapshot: snapshot))
            case 70..<78: ops.append(.walk(from: key(&rng), steps: Int.random(in: 1...12, using: &rng),
                                           backward: Bool.random(using: &rng), snapshot: snapshot))
            case 78..<82:
                let a = key(&rng)
                let b = key(&rng)
                ops.append(.scan(from: Bool.random(using: &rng) ? min(a, b) : nil, to: Bool.random(using: &rng) ? max(a, b) : nil))
            case 82..<86:
                ops.append(.takeSnapshot)
                liveSnapshots.append(snapshotCount)
                snapshotCount += 1
            case 86..<88:
                if let s = liveSnapshots.randomElement(using: &rng) {
                    ops.append(.releaseSnapshot(s))
                    liveSnapshots.removeAll { $0 == s }
                }
            case 88..<93: ops.append(.flush)
            case 93..<96:
                let a = key(&rng)
                let b = key(&rng)
                ops.append(Bool.random(using: &rng) ? .compact(from: nil, to: nil) : .compact(from: min(a, b), to: max(a, b)))
            default:
                ops.append(.reopen)
                liveSnapshots.removeAll()
            }
        }
        return ops
    }

    /// What the model says: the transcript of `ops` against a sorted dictionary.
    static func modelTranscript(_ ops: [Op]) -> [String] {
        var data: [String: String] = [:]
        var snapshots: [Int: [String: String]] = [:]
        var next = 0
        var out: [String] = []
        for op in ops {
            switch op {
            case let .put(k, v): data[k] = v
            case let .delete(k): data[k] = nil
            case let .batch(entries): for (k, v) in entries { data[k] = v }
            case let .get(k, s): out.append("get \(k) = \((s.flatMap { snapshots[$0] } ?? data)[k] ?? "nil")")
            case let .walk(from, steps, backward, s):
                let view = s.flatMap { snapshots[$0] } ?? data
                let keys = view.keys.sorted()
                var seen: [String] = []
                if backward {
                    for k in keys.reversed() where k <= from && seen.count <= steps { seen.append("\(k)=\(view[k] ?? "")") }
                } else {
                    for k in keys where k >= from && seen.count <= steps { seen.append("\(k)=\(view[k] ?? "")") }
                }
                out.append("walk \(from) \(backward ? "<" : ">") " + seen.joined(separator: " "))
            case let .scan(lo, hi):
                let keys = data.keys.sorted().filter { k in (lo.map { k >= $0 } ?? true) && (hi.map { k < $0 } ?? true) }
                out.append("scan \(lo ?? "-") \(hi ?? "-") " + keys.map { "\($0)=\(data[$0] ?? "")" }.joined(separator: " "))
            case .takeSnapshot:
                snapshots[next] = data
                next += 1
            case let .releaseSnapshot(s): snapshots[s] = nil
            case .flush, .compact: break
            case .reopen: snapshots.removeAll()
            }
        }
        return out
    }

    /// The transcript of `ops` against a database opened with `variant`.
    static func databaseTranscript(_ ops: [Op], variant: Variant, path: String) throws -> [String] {
        var db = try Database(path: path, options: variant.options)
        var snapshots: [Int: Snapshot] = [:]
        var next = 0
        var out: [String] = []
        let write = WriteOptions(sync: variant.sync)
        func read(_ s: Int?) -> ReadOptions { ReadOptions(snapshot: s.flatMap { snapshots[$0] }) }
        func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
        for op in ops {
            switch op {
            case let .put(k, v): try db.put(b(k), b(v), options: write)
            case let .delete(k): try db.delete(b(k), options: write)
            case let .batch(entries):
                var batch = WriteBatch()
                for (k, v) in entries {
                    if let v { batch.put(b(k), b(v)) } else { batch.delete(b(k)) }
                }
                try db.write(batch, options: write)
            case let .get(k, s): out.append("get \(k) = \(try db.get(b(k), options: read(s)).map(text) ?? "nil")")
            case let .walk(from, steps, backward, s):
                let cursor = try db.cursor(options: read(s))
                var seen: [String] = []
                if backward { cursor.seekForPrevious(b(from)) } else { cursor.seek(b(from)) }
                while cursor.isValid && seen.count <= steps {
                    seen.append("\(text(cursor.key))=\(text(cursor.value))")
                    if backward { cursor.previous() } else { cursor.next() }
                }
                if let e = cursor.error { throw e }
                out.append("walk \(from) \(backward ? "<" : ">") " + seen.joined(separator: " "))
            case let .scan(lo, hi):
                let pairs = try db.scan(from: lo.map(b), to: hi.map(b)).map { "\(text($0.key))=\(text($0.value))" }
                out.append("scan \(lo ?? "-") \(hi ?? "-") " + pairs.joined(separator: " "))
            case .takeSnapshot:
                snapshots[next] = db.snapshot()
                next += 1
            case let .releaseSnapshot(s): snapshots[s] = nil
            case .flush: try db.flush()
            case let .compact(lo, hi): try db.compactRange(from: lo.map(b), to: hi.map(b))
            case .reopen:
                snapshots.removeAll()
                try db.close()
                db = try Database(path: path, options: variant.options)
            }
        }
        try db.verifyChecksums()
        if ProcessInfo.processInfo.environment["SEDIMENT_METAMORPHIC_TABLES"] != nil {
            let tables = (0..<7).compactMap { db.property("sediment.num-files-at-level\($0)").flatMap { Int($0) } }.reduce(0, +)
            print("metamorphic: \(variant.name): \(tables) tables at the end")
        }
        try db.close()
        return out
    }

    static func environmentInt(_ name: String) -> Int? {
        ProcessInfo.processInfo.environment[name].flatMap { Int($0) }
    }

    /// The seeds to run: SEDIMENT_SEED alone when replaying, else SEDIMENT_METAMORPHIC_SEEDS of them
    /// (25 in CI) from 0x5EED + SEDIMENT_METAMORPHIC_FIRST (0 unless set, so a long run can go on
    /// where an earlier one stopped). One test case per seed, so Swift Testing runs seeds side by side.
    static var seeds: [UInt64] {
        if ProcessInfo.processInfo.environment["SEDIMENT_SEED"] != nil { return [SeededRandom().seed] }
        let count = max(0, environmentInt("SEDIMENT_METAMORPHIC_SEEDS") ?? 25)
        let first = UInt64(max(0, environmentInt("SEDIMENT_METAMORPHIC_FIRST") ?? 0))
        return (0..<UInt64(count)).map { 0x5EED + first + $0 }
    }

    @Test(arguments: seeds)
    func transcriptsAgreeAcrossOptionSets(seed: UInt64) throws {
        let opCount = Self.environmentInt("SEDIMENT_METAMORPHIC_OPS") ?? 2000
        var rng = SeededRandom(defaultSeed: seed)
        let ops = Self.operations(count: opCount, rng: &rng)
        let expected = Self.modelTranscript(ops)
        for variant in Self.activeVariants {
            let got = try withMemoryBackedTemporaryDirectory { dir in
                try Self.databaseTranscript(ops, variant: variant, path: dir + "/db")
            }
            if got != expected {
                let i = (0..<min(got.count, expected.count)).first { got[$0] != expected[$0] } ?? min(got.count, expected.count)
                Issue.record("""
                    metamorphic divergence: seed \(seed) (replay with SEDIMENT_SEED=\(seed)), option set "\(variant.name)", \
                    transcript line \(i):
                      got:      \(i < got.count ? got[i] : "<end>")
                      expected: \(i < expected.count ? expected[i] : "<end>")
                    """)
                return
            }
        }
    }
}
