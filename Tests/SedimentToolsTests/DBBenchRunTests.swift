// DBBenchRunTests: a tiny run (200 keys, temporary directory) of every db_bench benchmark,
// checking the counts RocksDB's semantics give: fillseq then readrandom finds every key, after
// deleteseq none; readmissing finds none; readseq and readreverse see every entry; seekrandom
// lands on every key; fillsync writes num/1000 keys; --use_existing_db=1 skips fills and refuses
// a missing database; a fresh fill destroys the old database.
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
            #expect(r["compact"]?.name == "compact")
            #expect(r["deleteseq"]?.done == 200)
            #expect(r["readrandom#10"]?.found == 0 && r["readrandom#10"]?.reads == 200)
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
            // fillsync is fresh: num/1000 (at least 1) keys, num/1000 synced puts per thread.
            #expect(r["fillsync"]?.done == 2 && r["fillsync"]?.message == "(1 ops)")
            #expect(r["readseq#5"]?.done == 2)
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
