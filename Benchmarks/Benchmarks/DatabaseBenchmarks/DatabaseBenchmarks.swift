// DatabaseBenchmarks: the public API's costs (issues 3 and 4), quoted in DESIGN.md:
//  - put throughput on one thread, sync: false;
//  - put with sync: true on 1 and on 8 threads (group commit lifts the 8-thread figure);
//  - full forward and full reverse scan of 1M entries, ns per entry;
//  - seek on a settled 1M-key database (compacted to one sorted level), ns per op.
// Run: cd Benchmarks && swift package benchmark --target DatabaseBenchmarks
import Benchmark
import Glibc
import Sediment

/// 16-byte db_bench-style key for number `n`: 8 big-endian bytes then '0' padding.
func key(_ n: Int) -> [UInt8] {
    var k = [UInt8](repeating: 0x30, count: 16)
    var v = UInt64(n)
    for i in stride(from: 7, through: 0, by: -1) {
        k[i] = UInt8(truncatingIfNeeded: v)
        v >>= 8
    }
    return k
}

let value = [UInt8](repeating: 0x76, count: 100)

/// A fresh empty directory for one benchmark.
func freshDirectory(_ name: String) -> String {
    let path = "/tmp/sediment-bench-\(name)-\(getpid())"
    try? Database.destroy(path: path)
    return path
}

/// Runs `body(thread)` on `threads` pthreads and waits for them.
func onThreads(_ threads: Int, _ body: @escaping @Sendable (Int) -> Void) {
    final class Box: @unchecked Sendable {
        let i: Int
        let body: @Sendable (Int) -> Void
        init(_ i: Int, _ body: @escaping @Sendable (Int) -> Void) { self.i = i; self.body = body }
    }
    var handles: [pthread_t] = []
    for i in 0..<threads {
        var t = pthread_t()
        let box = Unmanaged.passRetained(Box(i, body)).toOpaque()
        pthread_create(&t, nil, { arg in
            guard let arg else { return nil }
            let b = Unmanaged<Box>.fromOpaque(arg).takeRetainedValue()
            b.body(b.i)
            return nil
        }, box)
        handles.append(t)
    }
    for t in handles { pthread_join(t, nil) }
}

/// A database holding keys 0..<count, compacted to one sorted level.
func settledDatabase(_ name: String, count: Int) throws -> Database {
    let db = try Database(path: freshDirectory(name))
    for i in 0..<count { try db.put(key(i), value) }
    try db.compactRange()
    return db
}

let benchmarks: @Sendable () -> Void = {
    let config = Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal],
        scalingFactor: .kilo, maxDuration: .seconds(10), maxIterations: 5)

    Benchmark("put sync=false, 1 thread (x1000)", configuration: config) { benchmark in
        let db = try Database(path: freshDirectory("put"))
        var n = 0
        for _ in benchmark.scaledIterations {
            try db.put(key(n), value)
            n += 1
        }
        try db.close()
    }

    let syncConfig = Benchmark.Configuration(
        metrics: [.wallClock, .throughput], scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 3)
    for threads in [1, 8] {
        Benchmark("put sync=true, \(threads) threads, 400 puts per iteration", configuration: syncConfig) { benchmark in
            let db = try Database(path: freshDirectory("sync\(threads)"))
            for _ in benchmark.scaledIterations {
                let per = 400 / threads
                onThreads(threads) { t in
                    for i in 0..<per { try? db.put(key(t * 1_000_000 + i), value, options: WriteOptions(sync: true)) }
                }
            }
            try db.close()
        }
    }

    let scanConfig = Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .throughput], scalingFactor: .mega, maxDuration: .seconds(20), maxIterations: 3)
    for forward in [true, false] {
        let name = forward ? "forward" : "reverse"
        Benchmark("full \(name) scan of 1M entries", configuration: scanConfig) { benchmark in
            let db = try settledDatabase("scan-\(name)", count: 1_000_000)
            benchmark.startMeasurement()
            var seen = 0
            let c = try db.cursor()
            if forward { c.seekToFirst() } else { c.seekToLast() }
            while c.isValid {
                seen += c.keyCount
                if forward { c.next() } else { c.previous() }
            }
            benchmark.stopMeasurement()
            blackHole(seen)
            try db.close()
        }
    }
    Benchmark("seek on a settled 1M-key database (x1000)", configuration: config) { benchmark in
        let db = try settledDatabase("seek", count: 1_000_000)
        var rng: UInt64 = 0x5EED
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            let c = try db.cursor()
            c.seek(key(Int(rng >> 33) % 1_000_000))
            blackHole(c.isValid)
        }
        benchmark.stopMeasurement()
        try db.close()
    }
}
