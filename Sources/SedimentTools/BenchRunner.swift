// BenchRunner: runs db_bench's benchmarks against one Database, with worker threads, and
// collects per-benchmark statistics for the report.
@_spi(Internals) import Sediment
import Glibc
import Synchronization

/// Figures of one benchmark (all threads merged).
package struct BenchStats: Sendable {
    package var name = ""
    package var operations: UInt64 = 0
    package var bytes: UInt64 = 0
    package var found: UInt64 = 0
    package var reads: UInt64 = 0
    package var threadSeconds = 0.0
    package var elapsedSeconds = 0.0
    package var histogram = BenchHistogram()
    package var histogramLabel = "op"
    package var message = ""

    mutating func merge(_ o: BenchStats) {
        operations += o.operations
        bytes += o.bytes
        found += o.found
        reads += o.reads
        threadSeconds += o.threadSeconds
        histogram.merge(o.histogram)
    }
}

/// Runs the configured benchmarks in order.
final class BenchRunner: @unchecked Sendable {
    let config: DBBenchConfig
    var db: Database?
    var results: [BenchStats] = []
    let startTime = nowSeconds()

    init(config: DBBenchConfig) {
        self.config = config
    }

    func run() throws {
        printHeader()
        var first = true
        for name in config.benchmarks {
            let fresh = ["fillseq", "fillrandom", "fillsync"].contains(name) && !config.useExistingDB && first
            if db == nil || fresh {
                try db?.close()
                db = nil
                if fresh { try Database.destroy(path: config.db, options: config.options) }
                db = try Database(path: config.db, options: config.options)
            }
            first = false
            guard let db else { continue }
            var stats: BenchStats
            switch name {
            case "stats":
                printOut(db.property("sediment.stats") ?? "")
                continue
            case "levelstats":
                printOut(db.property("sediment.levelstats") ?? "")
                continue
            case "sstables":
                printOut(db.property("sediment.sstables") ?? "")
                continue
            default:
                stats = try runWorkload(name, db)
            }
            report(stats)
            results.append(stats)
        }
        if config.statistics, let db { printOut("STATISTICS:\n" + (db.property("sediment.stats") ?? "")) }
        if let file = config.reportJSON { try writeJSON(to: file) }
        try db?.close()
    }
}

/// Wall-clock seconds from a monotonic clock.
func nowSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
