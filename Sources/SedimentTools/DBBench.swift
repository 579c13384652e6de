// DBBench: db_bench's driver. Parses RocksDB's flags (DBBenchConfig), prints RocksDB's header,
// runs each benchmark of `--benchmarks` in order (DBBench+Workloads.swift) with `--threads`
// workers, and prints one RocksDB-format report line per benchmark (DBBench+Report.swift).
@_spi(Internals) import Sediment
import Glibc

/// db_bench's logic.
package enum DBBench {
    /// Runs db_bench with `arguments` (without the program name); returns the exit status.
    package static func main(_ arguments: [String]) -> Int32 {
        if arguments.contains("--help") || arguments.contains("-help") {
            printOut(usage)
            return 0
        }
        let config: DBBenchConfig
        do {
            config = try DBBenchConfig.parse(arguments)
        } catch {
            printError("db_bench: \(error.description)")
            printError("Try 'db_bench --help' for the flags.")
            return 2
        }
        if !config.ignored.isEmpty {
            printError("warning: RocksDB flags that do not apply to Sediment, ignored: "
                       + config.ignored.map { "--" + $0 }.joined(separator: " "))
        }
        let runner = BenchRunner(config: config)
        do {
            try runner.run()
        } catch {
            printError("db_bench: \(error)")
            return 1
        }
        return 0
    }

    static let usage = """
    db_bench (Sediment): RocksDB's db_bench workloads and report, against Sediment.
    Flags use RocksDB's names: --benchmarks=fillseq,fillrandom,overwrite,fillsync,readrandom,
    readmissing,readseq,readreverse,seekrandom,readwhilewriting,deleteseq,deleterandom,flush,compact,
    waitforcompaction,stats,levelstats,sstables --num --reads --writes --threads --key_size
    --value_size --compression_ratio --compression_type=none|lz4|zlib --db --use_existing_db
    --write_buffer_size --max_write_buffer_number --block_size --block_restart_interval --bloom_bits
    --cache_size --open_files --level0_file_num_compaction_trigger --level0_slowdown_writes_trigger
    --level0_stop_writes_trigger --target_file_size_base --max_bytes_for_level_base
    --max_bytes_for_level_multiplier --num_levels --max_background_jobs --disable_seek_compaction
    --sync --disable_wal
    --histogram --statistics --seed --duration --benchmark_write_rate_limit --stats_interval_seconds
    --verify_checksum --seek_nexts --batch_size --deletes --stats_interval --stats_per_interval
    --progress_reports --report_json=FILE
    An unknown flag, a bad value or an unknown benchmark: a message naming it and exit status 2.
    With no flags: a quick representative run (200,000 keys) that finishes in well under a minute.
    """
}
