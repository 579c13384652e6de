// RocksDB reads Sediment: on a copy of a closed Sediment database, RocksDB 7.8.3's
// `ldb scan` prints exactly what Sediment's cursor returned, `ldb get` agrees for present and
// deleted keys, and `ldb checkconsistency` passes — with tables from flushes and compactions in
// every compression, and with data still only in the log.
import Foundation
import Testing
import SedimentTestSupport
@testable import Sediment

@Suite struct RocksDBReadsSedimentTests {
    /// Small buffers so that a few hundred writes make several tables.
    private func smallOptions(_ compression: Compression) -> Options {
        var o = Options()
        o.compression = compression
        o.writeBufferSize = 16 << 10
        o.targetFileSizeBase = 32 << 10
        o.maxBytesForLevelBase = 64 << 10
        o.level0FileNumCompactionTrigger = 2
        return o
    }

    /// Checks a copy of the closed database at `path` against what Sediment returned: scan,
    /// get of every key in `probes` (present or deleted), and checkconsistency.
    private func expectRocksDBAgrees(_ path: String, _ expected: [KeyValue], probes: [[UInt8]],
                                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        let copy = path + "-copy-\(expected.count)"
        try copyDatabase(path, to: copy)
        defer { removeTree(copy) }
        let scanned = try RocksDBTools.scan(copy, sourceLocation: sourceLocation)
        #expect(scanned.count == expected.count, sourceLocation: sourceLocation)
        #expect(scanned == expected, sourceLocation: sourceLocation)
        let byKey = Dictionary(expected.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        for key in probes {
            #expect(try RocksDBTools.get(copy, key, sourceLocation: sourceLocation) == byKey[key],
                    "ldb get \(ldbHex(key))", sourceLocation: sourceLocation)
        }
        try RocksDBTools.expectConsistent(copy, sourceLocation: sourceLocation)
    }

    @Test(arguments: Compression.allCases)
    func ldbReadsTablesAndLog(_ compression: Compression) throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let db = try Database(path: path, options: smallOptions(compression))
            for i in 0..<400 { try db.put(compatKey(i), compatValue(i, round: 0)) }
            for i in stride(from: 0, to: 400, by: 3) { try db.put(compatKey(i), compatValue(i, round: 1)) }
            try db.flush()
            for i in stride(from: 1, to: 400, by: 7) { try db.delete(compatKey(i)) }
            try db.compactRange()
            for i in 380..<450 { try db.put(compatKey(i), compatValue(i, round: 2)) }
            try db.flush()
            // Left only in the log: overwrites, deletes of keys in tables, a key never flushed.
            for i in stride(from: 2, to: 400, by: 11) { try db.put(compatKey(i), compatValue(i, round: 3)) }
            for i in stride(from: 5, to: 400, by: 13) { try db.delete(compatKey(i)) }
            try db.put(Array("only-in-log".utf8), [])
            let expected = try sedimentScan(db)
            try db.close()
            #expect(expected.count > 350)
            let names = try FileManager.default.contentsOfDirectory(atPath: path)
            #expect(names.filter { $0.hasSuffix(".sst") }.count >= 2, "\(names)")

            let probes = [0, 1, 2, 5, 8, 14, 390, 449, 450].map(compatKey) + [Array("only-in-log".utf8)]
            try expectRocksDBAgrees(path, expected, probes: probes)

            // Reopening replays the log into a table and starts a new MANIFEST: still readable.
            let reopened = try Database(path: path, options: smallOptions(compression))
            #expect(try sedimentScan(reopened) == expected)
            try reopened.close()
            try expectRocksDBAgrees(path, expected, probes: probes)
        }
    }

    @Test func ldbReadsADatabaseWhoseDataIsOnlyInTheLog() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let db = try Database(path: path)
            var batch = WriteBatch()
            for i in 0..<50 { batch.put(compatKey(i), compatValue(i, round: 0)) }
            try db.write(batch)
            for i in stride(from: 0, to: 50, by: 4) { try db.delete(compatKey(i)) }
            try db.put(compatKey(7), [0, 0xFF, 0x0A, 0])
            let expected = try sedimentScan(db)
            try db.close()
            #expect(expected.count == 37)
            try expectRocksDBAgrees(path, expected, probes: [0, 1, 4, 7, 49, 50].map(compatKey))
        }
    }

    /// A repaired database opens in RocksDB. Tables from a compacted level whose keys are
    /// disjoint but whose sequence ranges overlap (versions kept under a snapshot, settled ones
    /// zeroed, so every table starts at 0) satisfy Sediment's level-0 rule but not RocksDB's
    /// ("L0 file #N with seqno 0 120 vs. file #M with seqno 0 130"): repair merges them onto
    /// the last level instead, and ldb reads exactly what Sediment does.
    @Test func ldbReadsARepairedDatabase() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            var o = Options()
            o.disableAutoCompactions = true
            o.targetFileSizeBase = 1024
            o.compression = .none
            do {
                let db = try Database(path: path, options: o)
                for i in 0..<100 { try db.put(compatKey(i), compatValue(i, round: 0)) }
                try db.flush()
                let snapshot = db.snapshot()
                try withExtendedLifetime(snapshot) {
                    for i in 0..<100 { try db.put(compatKey(i), compatValue(i, round: 1)) }
                    try db.flush()
                    try db.compactRange()
                }
                try db.close()
            }
            let fm = FileManager.default
            for name in try fm.contentsOfDirectory(atPath: path) where name.hasPrefix("MANIFEST-") || name == "CURRENT" {
                try fm.removeItem(atPath: path + "/" + name)
            }
            try Database.repair(path: path, options: o)
            let expected = try sedimentScan(path: path, options: o)
            #expect(expected.count == 100)
            #expect(expected.first?.value == compatValue(0, round: 1))
            try expectRocksDBAgrees(path, expected, probes: [0, 1, 50, 99, 100].map(compatKey))
        }
    }

    @Test func sedimentWritesTheFilesRocksDBExpects() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            try Database(path: path).close()
            let identity = try #require(FileManager.default.contents(atPath: path + "/IDENTITY"))
            #expect(identity.count == 36)
            let options = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasPrefix("OPTIONS-") }
            #expect(options.count == 1)
            // RocksDB loads the OPTIONS file when asked to and opens read-write.
            try RocksDBTools.ldb(path, ["--try_load_options", "put", "k", "v"])
            #expect(try RocksDBTools.get(path, Array("k".utf8)) == Array("v".utf8))
            #expect(try sedimentScan(path: path) == [KeyValue(key: Array("k".utf8), value: Array("v".utf8))])
            // Each open writes a new OPTIONS file and removes Sediment's older ones, never RocksDB's.
            try Database(path: path).close()
            let all = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasPrefix("OPTIONS-") }.sorted()
            let ours = try all.filter { try String(contentsOfFile: path + "/" + $0, encoding: .utf8).contains(DatabaseFiles.optionsMarker) }
            #expect(ours.count == 1 && ours.last == all.last, "\(all)")
            #expect(all.count > ours.count, "RocksDB's OPTIONS files are kept: \(all)")
            #expect(FileManager.default.contents(atPath: path + "/IDENTITY") == identity)
        }
    }
}
