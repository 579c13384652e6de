// DBBenchFlagsTests: db_bench's command line: RocksDB's flag names and defaults, the quick
// default run, unknown and malformed flags (UsageError, which DBBench.main turns into exit 2),
// and RocksDB flags that do not apply (accepted, listed for the one-line warning).
import Testing
@testable import SedimentTools

@Suite struct DBBenchFlagsTests {
    @Test func parsesRocksDBFlags() throws {
        let c = try DBBenchConfig.parse([
            "--num=5000", "--reads=10", "--writes=20", "--threads=3", "--key_size=20", "--value_size=64",
            "--compression_ratio=0.25", "--compression_type=zlib", "--db=/tmp/x", "--use_existing_db=1",
            "--benchmarks=fillseq,readrandom", "--histogram", "--seed=42", "--duration=3", "--seek_nexts=5",
            "--benchmark_write_rate_limit=1048576", "--stats_interval_seconds=2", "--bloom_bits=8",
            "--max_bytes_for_level_multiplier=8.5", "--verify_checksum=false", "--report_json=/tmp/r.json",
        ])
        #expect(c.num == 5000 && c.reads == 10 && c.writes == 20 && c.threads == 3)
        #expect(c.keySize == 20 && c.valueSize == 64 && c.compressionRatio == 0.25)
        #expect(c.compressionType == .zlib && c.db == "/tmp/x" && c.useExistingDB)
        #expect(c.benchmarks == ["fillseq", "readrandom"] && c.histogram && c.seed == 42)
        #expect(c.duration == 3 && c.seekNexts == 5 && c.benchmarkWriteRateLimit == 1_048_576)
        #expect(c.statsIntervalSeconds == 2 && c.statsInterval == 1000)
        #expect(c.bloomBits == 8 && c.maxBytesForLevelMultiplier == 8.5 && !c.verifyChecksum)
        #expect(c.reportJSON == "/tmp/r.json")
        #expect(c.options.createIfMissing == false)
        #expect(c.ignored.isEmpty)
    }

    @Test func defaultsAreRocksDBs() throws {
        let c = try DBBenchConfig.parse(["--num=1000"])
        #expect(c.reads == -1 && c.writes == -1 && c.threads == 1 && c.keySize == 16 && c.valueSize == 100)
        #expect(c.compressionRatio == 0.5 && c.writeBufferSize == 64 << 20 && c.cacheSize == 8 << 20)
        #expect(c.level0FileNumCompactionTrigger == 4 && c.numLevels == 7 && c.bloomBits == 10)
        #expect(!c.useExistingDB && c.options.createIfMissing)
    }

    @Test func noFlagsIsTheQuickRun() throws {
        let c = try DBBenchConfig.parse([])
        #expect(c.quickDefaults && c.num == 200_000 && c.benchmarks.contains("readrandom"))
    }

    @Test(arguments: [
        ["--bogus_flag=1"], ["--num=abc"], ["--num=0"], ["--threads=-1"], ["--compression_type=snappy"],
        ["--histogram=maybe"], ["--seed=-3"], ["--compression_ratio=x"], ["--benchmarks=fillseq,nope"],
        ["positional"], ["--batch_size=0"], ["--duration=-1"],
        // Values whose arithmetic would overflow (they trapped before they were bounded).
        ["--threads=9223372036854775807"], ["--stats_interval_seconds=20000000000000"],
        ["--num_levels=100"], ["--value_size=9223372036854775807"],
        // Values the engine refuses at open: bad values (exit 2), not failed opens (exit 1).
        ["--write_buffer_size=0"], ["--write_buffer_size=-5"], ["--block_size=0"], ["--block_size=300000000"],
        ["--block_restart_interval=0"], ["--target_file_size_base=0"], ["--max_bytes_for_level_base=-1"],
        ["--max_bytes_for_level_multiplier=0"], ["--max_bytes_for_level_multiplier=-2"],
    ])
    func rejectsBadFlags(_ args: [String]) {
        #expect(throws: UsageError.self) { try DBBenchConfig.parse(args) }
    }

    @Test func errorsNameTheFlag() {
        do {
            _ = try DBBenchConfig.parse(["--bogus_flag=1"])
            Issue.record("no error")
        } catch {
            #expect(error.description == "unknown command line flag 'bogus_flag'")
        }
        do {
            _ = try DBBenchConfig.parse(["--num=abc"])
            Issue.record("no error")
        } catch {
            #expect(error.description == "illegal value 'abc' specified for int64 flag 'num'")
        }
    }

    @Test func usageErrorsExitWithStatus2() {
        #expect(DBBench.main(["--bogus_flag=1"]) == 2)
        #expect(DBBench.main(["--num=abc"]) == 2)
        #expect(DBBench.main(["--benchmarks=nope"]) == 2)
        #expect(DBBench.main(["--db=/nonexistent/sediment-bench", "--block_size=0"]) == 2)
        #expect(DBBench.main(["--db=/nonexistent/sediment-bench", "--max_bytes_for_level_multiplier=0"]) == 2)
    }

    @Test func inapplicableRocksDBFlagsAreListed() throws {
        let c = try DBBenchConfig.parse(["--mmap_read=0", "--checksum_type=4", "--num=10"])
        #expect(c.ignored == ["mmap_read", "checksum_type"])
    }
}
