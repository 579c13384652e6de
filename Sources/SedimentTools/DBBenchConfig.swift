// DBBenchConfig: db_bench's flags with RocksDB's names, meanings and defaults
// (tools/db_bench_tool.cc). Flags RocksDB has but Sediment does not use are accepted with a
// one-line warning; an unknown flag, a bad value or an unknown benchmark is a UsageError (exit
// status 2) whose message names it, in RocksDB's words ("unknown command line flag 'x'",
// "illegal value 'abc' specified for int64 flag 'num'"). Value type; no shared state.
@_spi(Internals) import Sediment

/// Every db_bench setting.
package struct DBBenchConfig: Sendable {
    package var benchmarks = ["fillseq", "fillrandom", "overwrite", "readrandom", "readseq", "readreverse",
                              "seekrandom", "deleterandom", "stats"]
    package var num = 1_000_000
    package var reads = -1
    package var writes = -1
    package var threads = 1
    package var keySize = 16
    package var valueSize = 100
    package var compressionRatio = 0.5
    package var compressionType = Compression.lz4
    package var db = "/tmp/sediment_db_bench"
    package var useExistingDB = false
    package var writeBufferSize = 64 << 20
    package var maxWriteBufferNumber = 2
    package var blockSize = 4096
    package var blockRestartInterval = 16
    package var bloomBits = 10.0
    package var cacheSize = 8 << 20
    package var openFiles = -1
    package var level0FileNumCompactionTrigger = 4
    package var level0SlowdownWritesTrigger = 20
    package var level0StopWritesTrigger = 36
    package var targetFileSizeBase = 64 << 20
    package var maxBytesForLevelBase = 256 << 20
    package var maxBytesForLevelMultiplier = 10.0
    package var numLevels = 7
    package var maxBackgroundJobs = 2
    /// `--disable_seek_compaction` (the flag RocksDB's db_bench once had): turns off
    /// `Options.seekCompaction`.
    package var disableSeekCompaction = false
    package var sync = false
    package var disableWAL = false
    package var histogram = false
    package var statistics = false
    package var seed: UInt64 = 0
    package var duration = 0
    package var benchmarkWriteRateLimit: UInt64 = 0
    package var statsIntervalSeconds = 0
    package var verifyChecksum = true
    package var seekNexts = 0
    package var reportJSON: String? = nil
    package var batchSize = 1
    /// `--deletes`: deletes for deleteseq/deleterandom; -1 means `--num`.
    package var deletes = -1
    /// `--stats_interval`: report every this many ops per thread (0: off, unless
    /// `--stats_interval_seconds` is set, which makes it 1000 as in RocksDB).
    package var statsInterval = 0
    /// `--stats_per_interval`: with interval reports, thread 0 also prints the engine's stats.
    package var statsPerInterval = false
    /// `--progress_reports`: "... finished N ops" on stderr (default true).
    package var progressReports = true
    /// True when `--seed` was 0 and a clock-based seed was chosen (the header says so).
    package var seedWasZero = false
    /// Flags accepted for RocksDB compatibility but not used by Sediment.
    package var ignored: [String] = []
    /// True when no flag was given: the README's quick, representative run.
    package var quickDefaults = false

    package init() {}

    /// RocksDB flags that Sediment accepts and ignores (with a warning).
    static let ignoredFlags: Set<String> = [
        "cache_index_and_filter_blocks", "bytes_per_sync", "use_direct_reads",
        "use_direct_io_for_flush_and_compaction", "mmap_read", "mmap_write", "checksum_type",
        "compression_level", "compression_max_dict_bytes", "min_write_buffer_number_to_merge",
        "max_background_compactions", "max_background_flushes", "subcompactions", "wal_bytes_per_sync",
        "pin_l0_filter_and_index_blocks_in_cache", "cache_numshardbits", "statistics_string",
        "enable_pipelined_write", "allow_concurrent_memtable_write", "optimize_filters_for_hits",
        "format_version", "memtablerep", "report_interval_seconds", "report_file",
        "universe_seed", "key_id_range", "compaction_style", "level_compaction_dynamic_level_bytes",
        "use_existing_keys", "max_total_wal_size", "delayed_write_rate", "soft_pending_compaction_bytes_limit",
        "hard_pending_compaction_bytes_limit", "partition_index_and_filters", "index_type",
        "enable_index_compression", "prefix_size", "keys_per_prefix", "use_blob_db", "enable_blob_files",
        "perf_level", "stats_dump_period_sec", "write_buffer_manager",
        "cache_high_pri_pool_ratio", "compressed_cache_size", "row_cache_size",
    ]

    /// The boolean flags, Sediment's and the ignored ones RocksDB declares bool: bare they are
    /// true, `--noname` false, and they never take the next argument as their value.
    static let booleanFlags: Set<String> = [
        "use_existing_db", "disable_seek_compaction", "sync", "disable_wal", "histogram", "statistics",
        "verify_checksum", "stats_per_interval", "progress_reports",
        "cache_index_and_filter_blocks", "use_direct_reads", "use_direct_io_for_flush_and_compaction",
        "mmap_read", "mmap_write", "pin_l0_filter_and_index_blocks_in_cache", "enable_pipelined_write",
        "allow_concurrent_memtable_write", "optimize_filters_for_hits", "level_compaction_dynamic_level_bytes",
        "use_existing_keys", "partition_index_and_filters", "enable_index_compression", "use_blob_db",
        "enable_blob_files",
    ]

    /// Every benchmark name db_bench knows.
    static let knownBenchmarks: Set<String> = [
        "fillseq", "fillrandom", "overwrite", "fillsync", "readrandom", "readmissing", "readseq",
        "readreverse", "seekrandom", "readwhilewriting", "deleteseq", "deleterandom", "flush", "compact",
        "waitforcompaction", "stats", "levelstats", "sstables",
    ]

    /// Parses db_bench's command line. With no arguments, the quick default run.
    package static func parse(_ arguments: [String]) throws(UsageError) -> DBBenchConfig {
        var c = DBBenchConfig()
        if arguments.isEmpty {
            c.quickDefaults = true
            c.num = 200_000
            c.benchmarks = ["fillseq", "fillrandom", "overwrite", "readrandom", "readseq", "readreverse",
                            "seekrandom", "deleterandom", "fillsync", "stats"]
            c.seed = 301
            return c
        }
        for (name, value) in try parseFlags(arguments, booleans: booleanFlags) {
            try c.apply(name: name, value: value)
        }
        if c.num <= 0 { throw UsageError("--num must be positive, got \(c.num)") }
        if c.threads <= 0 || c.threads > 4096 { throw UsageError("--threads must be in 1...4096, got \(c.threads)") }
        if c.keySize < 1 || c.keySize > 1 << 20 { throw UsageError("--key_size must be in 1...1048576, got \(c.keySize)") }
        if c.valueSize < 0 || c.valueSize > Database.maxValueSize {
            throw UsageError("--value_size must be in 0...\(Database.maxValueSize), got \(c.valueSize)")
        }
        if c.compressionRatio <= 0 || c.compressionRatio > 1 {
            throw UsageError("--compression_ratio must be in (0, 1], got \(c.compressionRatio)")
        }
        if c.duration < 0 { throw UsageError("--duration must not be negative, got \(c.duration)") }
        if c.statsIntervalSeconds < 0 || c.statsIntervalSeconds > 1_000_000_000 {
            throw UsageError("--stats_interval_seconds must be in 0...1000000000, got \(c.statsIntervalSeconds)")
        }
        if c.seekNexts < 0 { throw UsageError("--seek_nexts must not be negative, got \(c.seekNexts)") }
        if c.batchSize < 1 { throw UsageError("--batch_size must be positive, got \(c.batchSize)") }
        if c.numLevels < 2 || c.numLevels > Options.maxLevels {
            throw UsageError("--num_levels must be in 2...\(Options.maxLevels), got \(c.numLevels)")
        }
        // What the engine's Options.validate refuses at open, refused here as a bad value (exit
        // status 2, API.md) rather than as a failed open (status 1).
        if c.writeBufferSize <= 0 { throw UsageError("--write_buffer_size must be positive, got \(c.writeBufferSize)") }
        if c.blockSize < 1 || c.blockSize > Options.maxBlockSize {
            throw UsageError("--block_size must be in 1...\(Options.maxBlockSize), got \(c.blockSize)")
        }
        if c.blockRestartInterval <= 0 {
            throw UsageError("--block_restart_interval must be positive, got \(c.blockRestartInterval)")
        }
        if c.targetFileSizeBase <= 0 {
            throw UsageError("--target_file_size_base must be positive, got \(c.targetFileSizeBase)")
        }
        if c.maxBytesForLevelBase <= 0 {
            throw UsageError("--max_bytes_for_level_base must be positive, got \(c.maxBytesForLevelBase)")
        }
        if !(c.maxBytesForLevelMultiplier > 0) || !c.maxBytesForLevelMultiplier.isFinite {
            throw UsageError("--max_bytes_for_level_multiplier must be positive and finite, got \(c.maxBytesForLevelMultiplier)")
        }
        if c.benchmarks.isEmpty { throw UsageError("--benchmarks is empty") }
        for b in c.benchmarks where !knownBenchmarks.contains(b) {
            throw UsageError("unknown benchmark '\(b)' in --benchmarks")
        }
        if c.statsIntervalSeconds > 0 && c.statsInterval == 0 { c.statsInterval = 1000 }
        return c
    }

    private mutating func apply(name: String, value: String) throws(UsageError) {
        func int() throws(UsageError) -> Int {
            guard let v = Int(value) else { throw UsageError("illegal value '\(value)' specified for int64 flag '\(name)'") }
            return v
        }
        func uint() throws(UsageError) -> UInt64 {
            guard let v = UInt64(value) else { throw UsageError("illegal value '\(value)' specified for uint64 flag '\(name)'") }
            return v
        }
        func double() throws(UsageError) -> Double {
            guard let v = Double(value), v.isFinite else {
                throw UsageError("illegal value '\(value)' specified for double flag '\(name)'")
            }
            return v
        }
        func bool() throws(UsageError) -> Bool {
            guard let b = parseBoolFlag(value) else {
                throw UsageError("illegal value '\(value)' specified for bool flag '\(name)'")
            }
            return b
        }
        switch name {
        case "benchmarks": benchmarks = value.split(separator: ",").map { String($0) }.filter { !$0.isEmpty }
        case "num": num = try int()
        case "reads": reads = try int()
        case "writes": writes = try int()
        case "threads": threads = try int()
        case "key_size": keySize = try int()
        case "value_size": valueSize = try int()
        case "compression_ratio": compressionRatio = try double()
        case "compression_type":
            switch value.lowercased() {
            case "none": compressionType = .none
            case "lz4": compressionType = .lz4
            case "zlib": compressionType = .zlib
            default: throw UsageError("illegal value '\(value)' specified for flag 'compression_type' (Sediment supports none, lz4, zlib)")
            }
        case "db": db = value
        case "use_existing_db": useExistingDB = try bool()
        case "write_buffer_size": writeBufferSize = try int()
        case "max_write_buffer_number": maxWriteBufferNumber = try int()
        case "block_size": blockSize = try int()
        case "block_restart_interval": blockRestartInterval = try int()
        case "bloom_bits": bloomBits = try double()
        case "cache_size": cacheSize = try int()
        case "open_files": openFiles = try int()
        case "level0_file_num_compaction_trigger": level0FileNumCompactionTrigger = try int()
        case "level0_slowdown_writes_trigger": level0SlowdownWritesTrigger = try int()
        case "level0_stop_writes_trigger": level0StopWritesTrigger = try int()
        case "target_file_size_base": targetFileSizeBase = try int()
        case "max_bytes_for_level_base": maxBytesForLevelBase = try int()
        case "max_bytes_for_level_multiplier": maxBytesForLevelMultiplier = try double()
        case "num_levels": numLevels = try int()
        case "max_background_jobs": maxBackgroundJobs = try int()
        case "disable_seek_compaction": disableSeekCompaction = try bool()
        case "sync": sync = try bool()
        case "disable_wal": disableWAL = try bool()
        case "histogram": histogram = try bool()
        case "statistics": statistics = try bool()
        case "seed": seed = try uint()
        case "duration": duration = try int()
        case "benchmark_write_rate_limit": benchmarkWriteRateLimit = try uint()
        case "stats_interval_seconds": statsIntervalSeconds = try int()
        case "verify_checksum": verifyChecksum = try bool()
        case "seek_nexts": seekNexts = try int()
        case "report_json": reportJSON = value
        case "batch_size": batchSize = try int()
        case "deletes": deletes = try int()
        case "stats_interval": statsInterval = try int()
        case "stats_per_interval": statsPerInterval = try bool()
        case "progress_reports": progressReports = try bool()
        default:
            if DBBenchConfig.ignoredFlags.contains(name) {
                ignored.append(name)
            } else {
                throw UsageError("unknown command line flag '\(name)'")
            }
        }
    }

    /// Database options from the flags.
    package var options: Options {
        var o = Options()
        o.writeBufferSize = writeBufferSize
        o.maxWriteBufferNumber = maxWriteBufferNumber
        o.blockSize = blockSize
        o.blockRestartInterval = blockRestartInterval
        o.bloomBitsPerKey = bloomBits
        o.compression = compressionType
        o.blockCacheSize = cacheSize
        o.maxOpenFiles = openFiles
        o.level0FileNumCompactionTrigger = level0FileNumCompactionTrigger
        o.level0SlowdownWritesTrigger = level0SlowdownWritesTrigger
        o.level0StopWritesTrigger = level0StopWritesTrigger
        o.targetFileSizeBase = targetFileSizeBase
        o.maxBytesForLevelBase = maxBytesForLevelBase
        o.maxBytesForLevelMultiplier = maxBytesForLevelMultiplier
        o.numLevels = numLevels
        o.maxBackgroundJobs = maxBackgroundJobs
        o.seekCompaction = !disableSeekCompaction
        o.createIfMissing = !useExistingDB
        return o
    }
}
