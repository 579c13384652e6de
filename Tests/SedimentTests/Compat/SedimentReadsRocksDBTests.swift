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
    private func continueInSediment(_ path: String, _ compression: Compression,
                                    sourceLocation: SourceLocation = #_sourceLocation) throws {
        let theirs = try RocksDBTools.scan(path, sourceLocation: sourceLocation)
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

    @Test func readsPutsRocksDBLeftInTheLog() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            try RocksDBTools.ldb(path, ["--create_if_missing", "--compression_type=no", "put", "a", "1"])
            try RocksDBTools.ldb(path, ["batchput", "b", "2", "c", "3", "d", ""])
            try RocksDBTools.ldb(path, ["delete", "a"])
            try RocksDBTools.ldb(path, ["put", "c", "33"])
            let expected = [("b", "2"), ("c", "33"), ("d", "")].map { KeyValue(key: Array($0.utf8), value: Array($1.utf8)) }
            #expect(try RocksDBTools.scan(path) == expected)
            try continueInSediment(path, .none)
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
            // Kill it once its log holds a few hundred KiB: no flush has happened, the log's last
            // record may be torn.
            let deadline = Date().addingTimeInterval(20)
            var logBytes = 0
            while logBytes < 300_000 && Date() < deadline && process.isRunning {
                usleep(5_000)
                let logs = (try? FileManager.default.contentsOfDirectory(atPath: path))?.filter { $0.hasSuffix(".log") } ?? []
                logBytes = logs.compactMap { try? FileManager.default.attributesOfItem(atPath: path + "/" + $0)[.size] as? Int }
                    .reduce(0, +)
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(logBytes >= 300_000, "db_bench wrote only \(logBytes) bytes of log")
            let names = try FileManager.default.contentsOfDirectory(atPath: path)
            #expect(!names.contains { $0.hasSuffix(".sst") }, "\(names)")
            let theirs = try RocksDBTools.scan(path)
            #expect(theirs.count > 1000)
            try continueInSediment(path, .lz4)
        }
    }
}
