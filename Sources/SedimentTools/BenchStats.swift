// BenchStats: one worker thread's figures for one benchmark, kept as RocksDB's db_bench keeps
// them (class Stats in tools/db_bench_tool.cc), and the report line built from them:
//   - `finishedOps` counts operations, records each one's latency in nanoseconds (only with
//     --histogram; RocksDB records whole microseconds, BenchHistogram says why), prints "... finished N ops" progress on stderr at RocksDB's schedule
//     (100, 200, ... 1000, 1500, ... 5000, 6000, ...) and, with --stats_interval(_seconds), the
//     periodic "YYYY/MM/DD-HH:MM:SS  ... thread T: (a,b) ops and (c,d) ops/second in (e,f) seconds"
//     line on stderr, as RocksDB does;
//   - `merge` adds another thread's figures unless that thread is excluded (readwhilewriting's
//     writer), keeps the earliest start and latest finish, and keeps the first message;
//   - `reportText` is RocksDB's `%-12s : %11.3f micros/op %ld ops/sec %.3f seconds %lu
//     operations;` line with ` %6.1f MB/s` when bytes were counted and the message after it,
//     then "Microseconds per <op>:" and the histogram with --histogram.
// A value type owned by one thread; merged by the runner after the threads are joined.
@_spi(Internals) import Sediment
import Glibc

/// RocksDB's OperationType, for the histogram label ("Microseconds per write:").
package enum BenchOperation: String, Sendable {
    case read, write, delete, seek, op
}

/// The figures of one benchmark on one thread, or merged over threads.
package struct BenchStats: Sendable {
    /// The benchmark name.
    package var name = ""
    /// The worker's thread index (0 for the first).
    package var threadID = 0
    /// Operations done.
    package var done: UInt64 = 0
    /// Bytes of keys and values read or written (0: no MB/s figure).
    package var bytes: UInt64 = 0
    /// Reads that found their key (readrandom, readmissing, seekrandom, readwhilewriting).
    package var found: UInt64 = 0
    /// Reads issued, for the found count.
    package var reads: UInt64 = 0
    /// Seconds of work, summed over merged threads (micros/op = seconds / done).
    package var seconds = 0.0
    /// Monotonic start and finish, microseconds; merged: earliest start, latest finish.
    package var startMicros: UInt64 = 0
    /// See `startMicros`.
    package var finishMicros: UInt64 = 0
    /// Latencies, when --histogram is on.
    package var histogram = BenchHistogram()
    /// The operation the histogram is labelled with.
    package var operation = BenchOperation.op
    /// Text after the figures, e.g. "(632 of 1000 found)\n" (RocksDB keeps the newline).
    package var message = ""
    /// True for a thread whose figures stay out of the report (readwhilewriting's writer).
    package var excludeFromMerge = false

    var histogramEnabled = false
    var progressReports = false
    var statsInterval: UInt64 = 0
    var statsIntervalSeconds: UInt64 = 0
    var nextReport: UInt64 = 100
    /// When the last operation finished, in nanoseconds (for --histogram).
    var lastOpFinishNanos: UInt64 = 0
    var lastReportDone: UInt64 = 0
    var lastReportFinish: UInt64 = 0
    /// Called with no arguments on thread 0 at each interval report (--stats_per_interval).
    var intervalStats: (@Sendable () -> String?)? = nil

    /// Empty figures.
    package init() {}

    /// Figures for `name` on thread `threadID`, started now.
    init(name: String, threadID: Int, operation: BenchOperation, config: DBBenchConfig) {
        self.name = name
        self.threadID = threadID
        self.operation = operation
        histogramEnabled = config.histogram
        progressReports = config.progressReports
        statsInterval = UInt64(max(0, config.statsInterval))
        statsIntervalSeconds = UInt64(max(0, config.statsIntervalSeconds))
        start()
    }

    /// Restarts the clocks (after the threads are all ready).
    mutating func start() {
        // RocksDB's Stats::Start: the first progress report comes at --stats_interval ops when
        // it is set, else at 100.
        nextReport = statsInterval > 0 ? statsInterval : 100
        startMicros = nowMicros()
        finishMicros = startMicros
        lastOpFinishNanos = nowNanos()
        lastReportFinish = startMicros
    }

    /// Stops the clock.
    mutating func stop() {
        finishMicros = nowMicros()
        seconds = Double(finishMicros - startMicros) * 1e-6
    }

    /// Moves the next report `statsInterval` ops on (saturating: a huge interval never wraps).
    private mutating func advanceReport() {
        let (sum, overflow) = nextReport.addingReportingOverflow(statsInterval)
        nextReport = overflow ? .max : sum
    }

    /// Counts `count` finished operations (FinishedOps).
    mutating func finishedOps(_ count: UInt64) {
        if histogramEnabled {
            let now = nowNanos()
            histogram.add(nanos: now &- lastOpFinishNanos)
            lastOpFinishNanos = now
        }
        done += count
        guard done >= nextReport, progressReports else { return }
        if statsInterval == 0 {
            if nextReport < 1000 { nextReport += 100 }
            else if nextReport < 5000 { nextReport += 500 }
            else if nextReport < 10000 { nextReport += 1000 }
            else if nextReport < 50000 { nextReport += 5000 }
            else if nextReport < 100000 { nextReport += 10000 }
            else if nextReport < 500000 { nextReport += 50000 }
            else { nextReport += 100000 }
            writeAll(fd: 2, "... finished \(done) ops" + String(repeating: " ", count: 30) + "\r")
            return
        }
        let now = nowMicros()
        let sinceLast = now - lastReportFinish
        if statsIntervalSeconds > 0 && sinceLast < statsIntervalSeconds * 1_000_000 {
            advanceReport()
            return
        }
        let interval = done - lastReportDone
        let line = "\(wallClockString())  ... thread \(threadID): (\(interval),\(done)) ops and "
            + "(\(fixed(Double(interval) / (Double(sinceLast) / 1e6), 1)),"
            + "\(fixed(Double(done) / (Double(now - startMicros) / 1e6), 1))) ops/second in "
            + "(\(fixed(Double(sinceLast) / 1e6, 6)),\(fixed(Double(now - startMicros) / 1e6, 6))) seconds"
        writeAll(fd: 2, line + "\n")
        if threadID == 0, let stats = intervalStats?() { writeAll(fd: 2, stats + "\n") }
        advanceReport()
        lastReportFinish = now
        lastReportDone = done
    }

    /// Adds `other`'s figures (Stats::Merge).
    mutating func merge(_ other: BenchStats) {
        if other.excludeFromMerge { return }
        histogram.merge(other.histogram)
        done += other.done
        bytes += other.bytes
        found += other.found
        reads += other.reads
        seconds += other.seconds
        if other.startMicros < startMicros || startMicros == 0 { startMicros = other.startMicros }
        if other.finishMicros > finishMicros { finishMicros = other.finishMicros }
        if message.isEmpty { message = other.message }
    }

    /// Seconds from the first start to the last finish.
    package var elapsedSeconds: Double { Double(finishMicros &- startMicros) * 1e-6 }

    /// RocksDB's report line (and histogram with --histogram) for these merged figures.
    package func reportText(histogram showHistogram: Bool) -> String {
        let ops = max(done, 1)  // RocksDB pretends one op was done by benchmarks that count none
        let elapsed = elapsedSeconds
        let throughput = elapsed > 0 ? Double(ops) / elapsed : 0
        var extra = ""
        if bytes > 0 {
            extra = pad(fixed(Double(bytes) / 1048576 / (elapsed > 0 ? elapsed : 1e-9), 1), 6) + " MB/s"
        }
        if !message.isEmpty { extra += (extra.isEmpty ? "" : " ") + message }
        var label = name
        while label.count < 12 { label += " " }
        var out = "\(label) : " + pad(fixed(seconds * 1e6 / Double(ops), 3), 11) + " micros/op "
            + "\(throughput < Double(Int.max) ? Int(throughput) : Int.max) ops/sec \(fixed(elapsed, 3)) seconds "
            + "\(ops) operations;" + (extra.isEmpty ? "" : " " + extra) + "\n"
        if showHistogram && histogram.count > 0 {
            out += "Microseconds per \(operation.rawValue):\n" + histogram.render() + "\n"
        }
        return out
    }
}

/// Nanoseconds from a monotonic clock.
@inline(__always)
func nowNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// Microseconds from a monotonic clock.
func nowMicros() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
}

/// The local time as RocksDB's Env::TimeToString: "2026/11/25-12:58:39".
func wallClockString() -> String {
    var t = time(nil)
    var parts = tm()
    localtime_r(&t, &parts)
    func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return "\(parts.tm_year + 1900)/\(two(parts.tm_mon + 1))/\(two(parts.tm_mday))-"
        + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
}
