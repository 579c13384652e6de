// Sediment reads RocksDB: a database written by RocksDB 7.8.3 (db_bench's fillrandom, overwrite,
// deleterandom in each compression; ldb's puts left in the log; a db_bench killed mid-write)
// opens in Sediment and reads exactly what `ldb scan` prints. Sediment then keeps writing,
// flushing and compacting it, and `ldb scan` reads the result back.
import Foundation
import Testing
import SedimentTestSupport
@testable import Sediment

@Suite struct SedimentReadsRocksDBTests {
    private func options(_ compression: Compression) -> Options {
        var o = Options()
        o.compression = compression
        o.writeBufferSize = 32 << 10
        o.createIfMissing = false
        return o
    }

    /// Sediment reads what ldb printed, writes more (flush, compaction, data left in the log),
    /// and ldb reads the result as Sediment's cursor does.
    /// - Parameter scanned: what `ldb scan` printed, when the caller already has it.
    private func continueInSediment(_ path: String, _ compression: Compression, scanned: [KeyValue]? = nil,
                                    sourceLocation: SourceLocation = #_sourceLocation) throws {
        let theirs = try scanned ?? RocksDBTools.scan(path, sourceLocation: sourceLocation)
        let db = try Database(path: path, options: options(compression))
        #expect(try sedimentScan(db) == theirs, sourceLocation: sourceLocation)
        for kv in theirs.prefix(20) { #expect(try db.get(kv.key) == kv.value, sourceLocation: sourceLocation) }

        for (i, kv) in theirs.enumerated() where i % 5 == 0 { try db.delete(kv.key) }
        for i in 0..<300 { try db.put(compatKey(i), compatValue(i, round: 0)) }
        try db.flush()
        try db.compactRange()
        for (i, kv) in theirs.enumerated() where i % 7 == 1 { try db.put(kv.key, kv.value + [1]) }
        for i in stride(from: 0, to: 300, by: 9) { try db.delete(compatKey(i)) }
        let ours = try sedimentScan(db)
        try db.close()
        #expect(try RocksDBTools.scan(path, sourceLocation: sourceLocation) == ours, sourceLocation: sourceLocation)
        #expect(try RocksDBTools.get(path, compatKey(9), sourceLocation: sourceLocation) == nil, sourceLocation: sourceLocation)
        #expect(try RocksDBTools.get(path, compatKey(10), sourceLocation: sourceLocation) == compatValue(10, round: 0),
                sourceLocation: sourceLocation)
        try RocksDBTools.expectConsistent(path, sourceLocation: sourceLocation)
    }

    @Test(arguments: Compression.allCases)
    func readsAndContinuesADBBenchDatabase(_ compression: Compression) throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            try RocksDBTools.dbBench(path, ["--benchmarks=fillrandom,overwrite,deleterandom", "--num=2000",
                                            "--write_buffer_size=32768", "--compression_type=\(compression.rawValue)"])
            // Tables and a log: both paths of recovery are exercised.
            let names = try FileManager.default.contentsOfDirectory(atPath: path)
            #expect(names.contains { $0.hasSuffix(".sst") } && names.contains { $0.hasSuffix(".log") }, "\(names)")
            try continueInSediment(path, compression)
            // RocksDB's own OPTIONS and LOG files are left alone.
            let after = try FileManager.default.contentsOfDirectory(atPath: path)
            #expect(after.contains("LOG") && after.contains { $0.hasPrefix("OPTIONS-") })
        }
    }

    @Test func readsAndOverwritesSequenceZeroedKeys() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            try RocksDBTools.dbBench(path, ["--benchmarks=fillrandom,overwrite", "--num=500", "--compression_type=none"])
            // A full compaction puts every key in the bottommost level with sequence number 0.
            try RocksDBTools.ldb(path, ["compact"])
            let tables = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".sst") }
            let table = try #require(tables.first)
            let dump = try runTool("/usr/bin/sst_dump", ["--file=\(path)/\(table)", "--command=scan", "--output_hex"])
            #expect(dump.stdout.contains(" seq:0, type:1"), "\(dump.stdout.prefix(300))")
            let theirs = try RocksDBTools.scan(path)
            var o = options(.lz4)
            o.disableAutoCompactions = true
            let db = try Database(path: path, options: o)
            #expect(try sedimentScan(db) == theirs)
            // Newer writes win over sequence 0, before and after compaction.
            for kv in theirs.prefix(50) { try db.put(kv.key, Array("new".utf8)) }
            for kv in theirs.dropFirst(50).prefix(50) { try db.delete(kv.key) }
            let beforeCompaction = try sedimentScan(db)
            #expect(beforeCompaction.count == theirs.count - 50)
            try db.compactRange()
            #expect(try sedimentScan(db) == beforeCompaction)
            try db.close()
            #expect(try RocksDBTools.scan(path) == beforeCompaction)
            try RocksDBTools.expectConsistent(path)
        }
    }

    @Test func readsPutsRocksDBLeftInTheLog() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            try RocksDBTools.ldb(path, ["--create_if_missing", "--compression_type=no", "put", "a", "1"])
            try RocksDBTools.ldb(path, ["batchput", "b", "2", "c", "3", "d", ""])
            try RocksDBTools.ldb(path, ["delete", "a"])
            try RocksDBTools.ldb(path, ["put", "c", "33"])
            let expected = [("b", "2"), ("c", "33"), ("d", "")].map { KeyValue(key: Array($0.utf8), value: Array($1.utf8)) }
            let theirs = try RocksDBTools.scan(path)
            #expect(theirs == expected)
            try continueInSediment(path, .none, scanned: theirs)
        }
    }

    @Test func readsTheLogOfAKilledDBBench() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            guard FileManager.default.isExecutableFile(atPath: RocksDBTools.dbBenchPath) else {
                throw ToolMissing(path: RocksDBTools.dbBenchPath)
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: RocksDBTools.dbBenchPath)
            process.arguments = ["--db=\(path)", "--benchmarks=fillrandom", "--num=10000000", "--compression_type=none",
                                 "--disable_auto_compactions", "--write_buffer_size=268435456"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Kill it once its log holds 100 KB or more: no flush has happened, the log's last
            // record may be torn.
            let deadline = Date().addingTimeInterval(20)
            var logBytes = 0
            while logBytes < 100_000 && Date() < deadline && process.isRunning {
                usleep(5_000)
                let logs = (try? FileManager.default.contentsOfDirectory(atPath: path))?.filter { $0.hasSuffix(".log") } ?? []
                logBytes = logs.compactMap { try? FileManager.default.attributesOfItem(atPath: path + "/" + $0)[.size] as? Int }
                    .reduce(0, +)
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(logBytes >= 100_000, "db_bench wrote only \(logBytes) bytes of log")
            let names = try FileManager.default.contentsOfDirectory(atPath: path)
            #expect(!names.contains { $0.hasSuffix(".sst") }, "\(names)")
            let theirs = try RocksDBTools.scan(path)
            #expect(theirs.count > 400)
            try continueInSediment(path, .lz4, scanned: theirs)
        }
    }

    /// RocksDB cuts compaction outputs by size, even between versions of one user key, so its
    /// levels may split a key between adjacent tables (`Fixtures/db/rocksdb-split-key`: k's
    /// tombstone in 000012, older values of k in 000013 and 000014). Sediment compacts such a
    /// group as a whole: k stays deleted through size-triggered moves and merges, through a
    /// compactRange that covers only the first table, after a reopen, and for RocksDB reading
    /// the result. (Before the clean cuts, 000012 moved down alone and k came back.)
    @Test(arguments: ["waitForCompactions", "compactRange a...b"])
    func aKeySplitAcrossTablesStaysDeletedThroughCompactions(_ how: String) throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            try copyDatabase(fixturesDirectory() + "/db/rocksdb-split-key", to: path)
            var o = Options()
            o.createIfMissing = false
            o.compression = .none
            o.maxBytesForLevelBase = 1024
            o.targetFileSizeBase = 1024
            o.disableAutoCompactions = how != "waitForCompactions"
            let k = Array("k".utf8)
            let live = [KeyValue(key: Array("a".utf8), value: Array("A".utf8)),
                        KeyValue(key: Array("z".utf8), value: Array("Z".utf8))]
            do {
                let db = try Database(path: path, options: o)
                #expect(try db.get(k) == nil)
                #expect(try sedimentScan(db) == live)
                if how == "waitForCompactions" {
                    try db.waitForCompactions()
                } else {
                    try db.compactRange(from: Array("a".utf8), to: Array("b".utf8))
                }
                #expect(try db.get(k) == nil)
                #expect(try sedimentScan(db) == live)
                try db.verifyChecksums()
                try db.close()
            }
            let db = try Database(path: path, options: o)
            #expect(try db.get(k) == nil)
            #expect(try sedimentScan(db) == live)
            try db.close()
            #expect(try RocksDBTools.get(path, k) == nil)
            #expect(try RocksDBTools.scan(path) == live)
        }
    }

    /// A database RocksDB made with more levels than `Options.numLevels` (10, with dynamic
    /// level sizing, which fills the last level first) is refused as RocksDB refuses it ("db
    /// has more levels than options.num_levels"): `.invalidArgument` naming the MANIFEST and
    /// the numLevels it needs, not `.corruption` (nothing is damaged, and repair is not the
    /// answer). Opened with numLevels 10 it reads as ldb does.
    @Test func moreLevelsThanOptionsIsAnInvalidArgumentNotDamage() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            // `compact` is a full CompactRange: with dynamic level bytes RocksDB writes its output to the
            // last level (9) whatever the timing; a background compaction after `flush` may not have run
            // yet on a slow machine and leave every table in L0.
            try RocksDBTools.dbBench(path, ["--benchmarks=fillrandom,compact", "--num=2000",
                                            "--compression_type=none", "--num_levels=10",
                                            "--level_compaction_dynamic_level_bytes=true", "--write_buffer_size=32768"])
            let manifest = try RocksDBTools.ldb(path, ["manifest_dump"]).stdout
            let level9 = manifest.components(separatedBy: "--- level 9 ---").dropFirst().first?
                .split(separator: "\n").dropFirst().first
            try #require(level9?.first == " ", "RocksDB left no table at level 9:\n\(manifest)")
            let theirs = try RocksDBTools.scan(path)
            var o = Options()
            o.createIfMissing = false
            do {
                _ = try Database(path: path, options: o)
                Issue.record("opened a database with tables at level 9 with numLevels 7")
            } catch let SedimentError.invalidArgument(message) {
                #expect(message.contains(path + "/MANIFEST-"), "\(message)")
                #expect(message.contains("numLevels of at least 10"), "\(message)")
            }
            o.numLevels = 10
            #expect(try sedimentScan(path: path, options: o) == theirs)
        }
    }
}
