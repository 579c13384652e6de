// DBBenchRunTests: a tiny run (200 keys, temporary directory) of every db_bench benchmark,
// checking the counts RocksDB's semantics give: fillseq then readrandom finds every key, after
// deleteseq none; readmissing finds none; readseq and readreverse see every entry; seekrandom
// lands on every key; fillsync puts --writes times over num/1000 keys; --use_existing_db=1
// skips fills and refuses a missing database; a fresh fill and the start of a run without
// --use_existing_db destroy the old database. A seed draws RocksDB 7.8's keys (figures and
// tables of /usr/bin/db_bench).
import Testing
import SedimentTestSupport
import Sediment
@testable import SedimentTools

@Suite(.serialized) struct DBBenchRunTests {
    static func config(_ db: String, _ benchmarks: [String], _ extra: (inout DBBenchConfig) -> Void = { _ in }) -> DBBenchConfig {
        var c = DBBenchConfig()
        c.db = db
        c.num = 200
        c.seed = 7
        c.benchmarks = benchmarks
        c.progressReports = false
        c.histogram = true
        extra(&c)
        return c
    }

    static func run(_ c: DBBenchConfig) throws -> [String: BenchStats] {
        let runner = BenchRunner(config: c)
        try runner.run()
        var out: [String: BenchStats] = [:]
        for (i, s) in runner.results.enumerated() { out[out[s.name] == nil ? s.name : "\(s.name)#\(i)"] = s }
        return out
    }

    @Test func everyBenchmarkRunsWithRocksDBsCounts() throws {
        try withTemporaryDirectory { dir in
            let all = ["fillseq", "readrandom", "readmissing", "readseq", "readreverse", "seekrandom",
                       "overwrite", "readwhilewriting", "flush", "compact", "waitforcompaction", "stats",
                       "levelstats", "sstables", "deleteseq", "readrandom"]
            let r = try Self.run(Self.config(dir + "/db", all) { $0.seekNexts = 2 })
            #expect(r["fillseq"]?.done == 200 && r["fillseq"]?.bytes == 200 * 116)
            #expect(r["readrandom"]?.found == 200 && r["readrandom"]?.message == "(200 of 200 found)\n")
            #expect(r["readmissing"]?.found == 0 && r["readmissing"]?.reads == 200)
            #expect(r["readseq"]?.done == 200 && r["readreverse"]?.done == 200)
            #expect(r["seekrandom"]?.found == 200 && r["seekrandom"]?.bytes ?? 0 > 0)
            #expect(r["overwrite"]?.done == 200)
            #expect(r["readwhilewriting"]?.found == 200 && r["readwhilewriting"]?.done == 200)
            #expect(r["deleteseq"]?.done == 200)
            #expect(r["readrandom#10"]?.found == 0 && r["readrandom#10"]?.reads == 200)
        }
    }

    @Test func flushAndCompactLeaveTheirMarkOnTheDatabase() throws {
        try withTemporaryDirectory { dir in
            _ = try Self.run(Self.config(dir + "/flushed", ["fillseq", "flush"]))
            do {
                let db = try Database(path: dir + "/flushed")
                #expect(db.property("sediment.num-files-at-level0") == "1")
                var key = [UInt8](repeating: 0, count: 16)
                makeBenchKey(199, into: &key)
                #expect(try db.get(key) != nil)
                try db.close()
            }
            _ = try Self.run(Self.config(dir + "/compacted", ["fillseq", "compact", "waitforcompaction"]))
            let db = try Database(path: dir + "/compacted")
            #expect(db.property("sediment.num-files-at-level0") == "0")
            let deeper = (1..<7).compactMap { Int(db.property("sediment.num-files-at-level\($0)") ?? "") }.reduce(0, +)
            #expect(deeper >= 1)
            try db.close()
        }
    }

    @Test func randomFillsAndDeletes() throws {
        try withTemporaryDirectory { dir in
            let r = try Self.run(Self.config(dir + "/db", ["fillrandom", "readseq", "deleterandom", "readrandom", "fillsync", "readseq"]) {
                $0.threads = 2
            })
            // Each of the 2 threads scans the whole database (RocksDB: T workers, each the whole job).
            let distinct = (r["readseq"]?.done ?? 0) / 2
            // 400 random puts over 200 keys leave about 200 * (1 - e^-2) = 173 distinct keys.
            #expect(distinct > 140 && distinct < 200)
            #expect(r["fillrandom"]?.done == 400)
            #expect(r["deleterandom"]?.done == 400)
            #expect((r["readrandom"]?.found ?? 999) < 100)
            // fillsync is fresh, over num/1000 = 0 keys: RocksDB's loop does nothing.
            #expect(r["fillsync"]?.done == 0 && r["fillsync"]?.message == "(0 ops)")
            #expect(r["readseq#5"]?.done == 0)
        }
    }

    @Test func useExistingDB() throws {
        try withTemporaryDirectory { dir in
            #expect(throws: (any Error).self) { try Self.run(Self.config(dir + "/missing", ["readrandom"]) { $0.useExistingDB = true }) }
            _ = try Self.run(Self.config(dir + "/db", ["fillseq"]))
            let r = try Self.run(Self.config(dir + "/db", ["fillseq", "readrandom"]) { $0.useExistingDB = true; $0.num = 400 })
            #expect(r["fillseq"] == nil)  // skipped
            #expect(r["readrandom"]?.reads == 400 && (r["readrandom"]?.found ?? 0) > 100 && (r["readrandom"]?.found ?? 0) < 300)
            // A fresh fill of 10 keys destroys the 200 before it.
            let f = try Self.run(Self.config(dir + "/db", ["fillseq", "readseq"]) { $0.num = 10 })
            #expect(f["readseq"]?.done == 10)
        }
    }

    @Test func startUpDestroysTheDatabaseUnlessUseExistingDB() throws {
        try withTemporaryDirectory { dir in
            _ = try Self.run(Self.config(dir + "/db", ["fillseq"]))
            // RocksDB's Benchmark constructor runs DestroyDB when --use_existing_db is false.
            let fresh = try Self.run(Self.config(dir + "/db", ["readrandom"]))
            #expect(fresh["readrandom"]?.found == 0 && fresh["readrandom"]?.reads == 200)
            _ = try Self.run(Self.config(dir + "/db", ["fillseq"]))
            let kept = try Self.run(Self.config(dir + "/db", ["readrandom"]) { $0.useExistingDB = true })
            #expect(kept["readrandom"]?.found == 200)
        }
    }

    /// Found counts of `/usr/bin/db_bench --num=3000 --seed=11 --compression_type=none
    /// --benchmarks=fillrandom,readrandom,seekrandom,overwrite,readrandom,deleterandom,readrandom,
    /// seekrandom,readmissing` (RocksDB 7.8.3), and with `--batch_size=3` for
    /// fillrandom,readrandom,deleterandom,readrandom: the same keys give the same counts.
    @Test func seedDrawsRocksDBsKeys() throws {
        try withTemporaryDirectory { dir in
            let names = ["fillrandom", "readrandom", "seekrandom", "overwrite", "readrandom", "deleterandom",
                         "readrandom", "seekrandom", "readmissing"]
            let runner = BenchRunner(config: Self.config(dir + "/db", names) { $0.num = 3000; $0.seed = 11; $0.histogram = false })
            try runner.run()
            #expect(runner.results.map(\.found) == [0, 1923, 1905, 0, 2577, 0, 930, 944, 0])
            let batched = BenchRunner(config: Self.config(dir + "/db", ["fillrandom", "readrandom", "deleterandom", "readrandom"]) {
                $0.num = 3000; $0.seed = 11; $0.batchSize = 3; $0.histogram = false
            })
            try batched.run()
            #expect(batched.results.map(\.found) == [0, 1873, 0, 674])
        }
    }

    /// The keys and sequence numbers of every table under `db`, from sst_dump's hex scan.
    static func scannedKeys(_ db: String) throws -> [String] {
        let r = SSTDump.capture(["--file=" + db, "--command=scan", "--output_hex"])
        #expect(r.status == 0, "\(r.stderr)")
        return String(decoding: r.stdout, as: UTF8.self).split(separator: "\n")
            .filter { $0.hasPrefix("'") }
            .map { String($0.prefix { $0 != "," }) }  // "'KEY' seq:N" (values differ)
    }

    @Test func fillrandomWritesRocksDBsKeysInRocksDBsOrder() throws {
        try withTemporaryDirectory { dir in
            let flags = ["--num=20", "--seed=11", "--benchmarks=fillrandom,flush", "--compression_type=none"]
            let rocks = try SedimentTestSupport.run("/usr/bin/db_bench", flags + ["--db=" + dir + "/rocks"])
            try #require(rocks.status == 0, "\(rocks.stderr)")
            _ = try Self.run(Self.config(dir + "/mine", ["fillrandom", "flush"]) { $0.num = 20; $0.seed = 11; $0.compressionType = .none })
            let expected = try Self.scannedKeys(dir + "/rocks")
            #expect(expected.count == 12)
            #expect(try Self.scannedKeys(dir + "/mine") == expected)
        }
    }

    @Test func fillsyncAndWritesCountAsRocksDB() throws {
        try withTemporaryDirectory { dir in
            // fillsync: --writes (default --num) synced puts over the keys [0, num/1000).
            let r = try Self.run(Self.config(dir + "/db", ["fillsync", "readseq"]) { $0.num = 2000; $0.histogram = false })
            #expect(r["fillsync"]?.done == 2000 && r["fillsync"]?.message == "(2 ops)")
            #expect(r["readseq"]?.done == 2)
            // --writes=0 means RocksDB's num_: --num, and --num/1000 for fillsync.
            let z = try Self.run(Self.config(dir + "/db", ["fillrandom", "fillsync"]) { $0.num = 5000; $0.writes = 0; $0.histogram = false })
            #expect(z["fillrandom"]?.done == 5000 && z["fillsync"]?.done == 5 && z["fillsync"]?.message == "(5 ops)")
            let w = try Self.run(Self.config(dir + "/db", ["fillsync", "fillseq"]) { $0.num = 5000; $0.writes = 7; $0.histogram = false })
            #expect(w["fillsync"]?.done == 7 && w["fillsync"]?.message == "(5 ops)" && w["fillseq"]?.done == 7)
        }
    }

    @Test func hugeNumDoesNotOverflowTheHeader() throws {
        try withTemporaryDirectory { dir in
            // (16 + 100) * 10^17 overflowed Int and trapped (exit 132) before any benchmark.
            #expect(DBBench.main(["--db=" + dir + "/db", "--num=100000000000000000", "--benchmarks=stats", "--seed=1"]) == 0)
            var c = Self.config(dir + "/db", ["stats"])
            c.num = 100_000_000_000_000_000
            let lines = BenchRunner(config: c).headerLines()
            #expect(lines.contains("RawSize:    11062622070312.5 MB (estimated)"))
            #expect(lines.contains { $0.hasPrefix("FileSize:   6294250488281.") })
            c.num = Int.max
            c.valueSize = Database.maxValueSize
            c.keySize = 1 << 20
            #expect(BenchRunner(config: c).headerLines().contains { $0.hasPrefix("RawSize:") })
        }
    }

    @Test func durationAndRateLimit() throws {
        try withTemporaryDirectory { dir in
            let r = try Self.run(Self.config(dir + "/db", ["fillrandom"]) {
                $0.num = 1_000_000
                $0.duration = 1
                $0.benchmarkWriteRateLimit = 200_000  // 116 B per put: about 1,700 puts a second
                $0.histogram = false
            })
            let done = r["fillrandom"]?.done ?? 0
            #expect(done >= 1000 && done < 4000)
            #expect((r["fillrandom"]?.elapsedSeconds ?? 0) >= 0.9)
        }
    }

    @Test func reportJSON() throws {
        try withTemporaryDirectory { dir in
            _ = try Self.run(Self.config(dir + "/db", ["fillseq", "readrandom"]) { $0.reportJSON = dir + "/r.json" })
            let text = String(decoding: try PosixFileSystem().readWholeFile(dir + "/r.json"), as: UTF8.self)
            #expect(text.contains("\"name\": \"readrandom\"") && text.contains("\"found\": 200"))
        }
    }
}
