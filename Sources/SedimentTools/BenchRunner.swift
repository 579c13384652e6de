// BenchRunner: runs db_bench's benchmarks in order against one Database, as RocksDB's
// Benchmark::Run does:
//   - unless --use_existing_db=1, the database at --db is destroyed first (RocksDB's Benchmark
//     constructor calls DestroyDB), so a run never reads what an earlier run left;
//   - the database is opened before the header (a missing database with --use_existing_db=1
//     is an error, exit 1);
//   - fillseq, fillrandom and fillsync are "fresh" benchmarks: each destroys the database and
//     reopens it empty, unless --use_existing_db=1, when it prints "<name> : skipped
//     (--use_existing_db is true)" instead;
//   - each workload prints "DB path: [<db>]", runs on --threads workers (readwhilewriting: one
//     more, the writer) and prints its report line (BenchStats.reportText);
//   - flush prints "flush memtable"; waitforcompaction prints RocksDB's started/finished pair
//     twice (RocksDB checks twice); stats, levelstats and sstables print "\n<property>\n".
// Used from one thread; worker threads only read `config` and the database handle.
@_spi(Internals) import Sediment
import Glibc

/// Runs the configured benchmarks in order.
final class BenchRunner: @unchecked Sendable {
    /// The flags; `seed` is fixed before any thread starts.
    private(set) var config: DBBenchConfig
    /// The open database.
    var db: Database?
    /// Merged figures of every reported benchmark, in order (for --report_json).
    var results: [BenchStats] = []
    /// RocksDB's total_thread_count_: the worker threads started so far, over every benchmark.
    /// The k-th thread of the run (k from 1) draws from a generator seeded `seed + k`.
    var threadSeedCounter: UInt64 = 0
    /// Shared --benchmark_write_rate_limit bucket.
    let writeLimiter: RateLimiter?

    init(config: DBBenchConfig) {
        var c = config
        if c.seed == 0 {
            c.seed = UInt64(nowMicros())
            c.seedWasZero = true
        }
        self.config = c
        writeLimiter = c.benchmarkWriteRateLimit > 0 ? RateLimiter(bytesPerSecond: c.benchmarkWriteRateLimit) : nil
    }

    /// Runs every benchmark; throws on an engine error.
    func run() throws {
        if config.seedWasZero { printOut("Set seed to \(config.seed) because --seed was 0") }
        if !config.useExistingDB { try Database.destroy(path: config.db, options: config.options) }
        try open()
        printHeader()
        for name in config.benchmarks {
            if ["fillseq", "fillrandom", "fillsync"].contains(name) {
                if config.useExistingDB {
                    printOut(paddedName(name) + " : skipped (--use_existing_db is true)")
                    continue
                }
                try db?.close()
                db = nil
                try Database.destroy(path: config.db, options: config.options)
                try open()
            }
            guard let db else { continue }
            switch name {
            case "flush":
                try db.flush()
                printOut("flush memtable")
            case "waitforcompaction":
                for _ in 0..<2 {
                    printOut("waitforcompaction(\(config.db)): started")
                    try db.waitForCompactions()
                    printOut("waitforcompaction(\(config.db)): finished")
                }
            case "stats":
                printOut("\n" + (db.property("sediment.stats") ?? "(failed)"))
            case "levelstats":
                printOut("\n" + (db.property("sediment.levelstats") ?? "(failed)"))
            case "sstables":
                printOut("\n" + (db.property("sediment.sstables") ?? "(failed)"))
            default:
                printOut("DB path: [\(config.db)]")
                let stats = try runWorkload(name, db)
                writeAll(fd: 1, stats.reportText(histogram: config.histogram))
                results.append(stats)
            }
        }
        if config.statistics, let db {
            printOut("STATISTICS:\n" + (db.property("sediment.stats") ?? "(failed)"))
        }
        if let file = config.reportJSON { try writeJSON(to: file) }
        try db?.close()
        db = nil
    }

    private func open() throws {
        do {
            db = try Database(path: config.db, options: config.options)
        } catch {
            throw OpenError(path: config.db, underlying: "\(error)", useExisting: config.useExistingDB)
        }
    }

    func paddedName(_ name: String) -> String {
        name.count >= 12 ? name : name + String(repeating: " ", count: 12 - name.count)
    }
}

/// The database could not be opened (with --use_existing_db=1: it does not exist).
struct OpenError: Error, CustomStringConvertible {
    let path: String
    let underlying: String
    let useExisting: Bool
    var description: String {
        "cannot open database \(path): \(underlying)" + (useExisting ? " (--use_existing_db=1 needs an existing database)" : "")
    }
}

/// A token bucket shared by threads: `request(bytes)` sleeps until `bytes` fit under the rate
/// (RocksDB's GenericRateLimiter, without priorities).
final class RateLimiter: Sendable {
    private let bytesPerSecond: Double
    private let state: Locked<(start: UInt64, granted: Double)>

    init(bytesPerSecond: UInt64) {
        self.bytesPerSecond = Double(bytesPerSecond)
        state = Locked((nowMicros(), 0))
    }

    /// Waits until `bytes` more are allowed.
    func request(_ bytes: Int) {
        let due: Double = state.withLock { s in
            s.granted += Double(bytes)
            return Double(s.start) * 1e-6 + s.granted / bytesPerSecond
        }
        let wait = due - Double(nowMicros()) * 1e-6
        if wait > 0 { sleepSeconds(wait) }
    }
}
