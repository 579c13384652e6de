// BenchHistogram: latency histogram in RocksDB's text format (monitoring/histogram.cc), fed with
// nanoseconds. Each operation's latency goes into an HdrHistogram at three significant digits
// (exact below 2,048 ns, within 0.1 % above), so percentiles are order statistics of the
// measured times rather than RocksDB's linear interpolation inside whole-microsecond buckets
// (which can never put a sub-microsecond P99 below 0.99; DESIGN.md §13, "db_bench's latencies
// in nanoseconds").
// The text form is RocksDB's line for line:
//   Count: 1000 Average: 17.5940  StdDev: 298.12
//   Min: 2  Median: 2.2683  Max: 8280
//   Percentiles: P50: 2.27 P75: 2.70 P99: 10.00 P99.9: 6600.00 P99.99: 8280.00
//   ------------------------------------------------------
//   [       0,       1 ]      346  34.600%  34.600% #######
//   (       1,       2 ]      574  57.400%  92.000% ###########
// Average and StdDev are exact (sums of nanoseconds) in microseconds; Min and Max are the
// recorded extremes in whole microseconds (truncated), as RocksDB prints them (not the edges of
// their HdrHistogram sub-buckets), and no percentile goes outside them; the bucket table keeps
// RocksDB's limits:
// bucket b holds whole-microsecond values v with limit[b-1] < v <= limit[b] (bucket 0: [0, 1]);
// the limits are 1, 2, then each the previous unrounded value times 1.5, truncated and cut to
// its two leading digits when above 109 (HistogramBucketMapper).
// A value type; each worker thread keeps its own and they are merged at the end.

@_spi(Internals) import Sediment
import Histogram

/// Bucket upper bounds shared by every histogram (RocksDB's HistogramBucketMapper).
let benchBucketLimits: [UInt64] = {
    var limits: [UInt64] = [1, 2]
    var value = 2.0
    while true {
        value *= 1.5
        // RocksDB stops once the value passes UInt64.max (2^64 as a double).
        guard value < 18446744073709551616.0 else { break }
        var v = UInt64(value)
        var powerOfTen: UInt64 = 1
        while v / 10 > 10 {
            v /= 10
            powerOfTen *= 10
        }
        limits.append(v * powerOfTen)
    }
    return limits
}()

/// A latency histogram fed with nanoseconds, reported in microseconds.
package struct BenchHistogram: Sendable {
    /// The longest latency recorded as itself (one hour); longer ones count as this.
    static let highestTrackableNanos: UInt64 = 3_600_000_000_000
    private var sumNanos: UInt64 = 0
    private var sumSquaresMicros: Double = 0
    private var values = Histogram<UInt64>(highestTrackableValue: BenchHistogram.highestTrackableNanos,
                                           numberOfSignificantValueDigits: .three)

    /// An empty histogram.
    package init() {}

    /// `searchBucket` for every value below `smallValues`: building the bucket table looks most
    /// values up with one load instead of a binary search.
    static let smallValues = 1024
    private static let smallBucket: [UInt8] = (0..<UInt64(smallValues)).map { UInt8(searchBucket($0)) }

    /// The bucket holding `value`: the first whose limit is >= value (std::lower_bound).
    @inline(__always) static func bucketIndex(_ value: UInt64) -> Int {
        value < UInt64(smallValues) ? Int(smallBucket[Int(value)]) : searchBucket(value)
    }

    /// `bucketIndex` by binary search over the limits.
    static func searchBucket(_ value: UInt64) -> Int {
        var lo = 0
        var hi = benchBucketLimits.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if benchBucketLimits[mid] >= value { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// Records one latency in nanoseconds.
    @inline(__always)
    package mutating func add(nanos: UInt64) {
        let v = Swift.min(nanos, Self.highestTrackableNanos)
        values.record(v)
        sumNanos &+= v
        let micros = Double(v) * 1e-3
        sumSquaresMicros += micros * micros
    }

    /// Records one latency in whole microseconds.
    package mutating func add(_ micros: UInt64) {
        add(nanos: micros &* 1000)
    }

    /// Adds every value of `other`.
    package mutating func merge(_ other: BenchHistogram) {
        values.add(other.values)
        sumNanos &+= other.sumNanos
        sumSquaresMicros += other.sumSquaresMicros
    }

    /// Operations recorded (every latency is recorded: longer than an hour counts as an hour).
    package var count: UInt64 { values.totalCount }

    /// The mean in microseconds, 0 when empty.
    package var average: Double { count == 0 ? 0 : Double(sumNanos) * 1e-3 / Double(count) }

    /// The population standard deviation in microseconds, 0 when empty.
    package var standardDeviation: Double {
        guard count > 0 else { return 0 }
        let n = Double(count)
        let s = Double(sumNanos) * 1e-3
        let variance = (sumSquaresMicros * n - s * s) / (n * n)
        return variance > 0 ? variance.squareRoot() : 0
    }

    /// The smallest value in whole microseconds, 0 when empty.
    package var min: UInt64 { count == 0 ? 0 : values.min / 1000 }
    /// The largest value in whole microseconds, 0 when empty: the largest recorded, not the top
    /// of its sub-bucket (`values.max`), which can be above it.
    package var max: UInt64 { count == 0 ? 0 : values.maxRecorded / 1000 }

    /// The latency in microseconds that `p` percent of the operations took at most: the
    /// ceil(p/100 x count)-th smallest, to three significant digits (the middle of the
    /// HdrHistogram sub-bucket holding it, clamped to the smallest and largest recorded).
    package func percentile(_ p: Double) -> Double {
        guard count > 0 else { return 0 }
        return Double(representative(values.valueAtPercentile(p))) * 1e-3
    }

    /// The middle of the sub-bucket holding `value` (nanoseconds), clamped to the smallest and
    /// largest values recorded.
    private func representative(_ value: UInt64) -> UInt64 {
        Swift.max(Swift.min(values.medianEquivalentForValue(value), values.maxRecorded), values.min)
    }

    /// Operations per RocksDB bucket (whole microseconds; a sub-bucket of the HdrHistogram
    /// counts in the bucket of its middle value, clamped to the recorded extremes).
    private var rocksBuckets: [UInt64] {
        var buckets = [UInt64](repeating: 0, count: benchBucketLimits.count)
        for v in values.recordedValues() {
            buckets[Self.bucketIndex(representative(v.value) / 1000)] += UInt64(v.count)
        }
        return buckets
    }

    /// RocksDB's text form: summary lines, percentiles, a rule, then the non-empty buckets.
    package func render() -> String {
        var out = "Count: \(count) Average: \(fixed(average, 4))  StdDev: \(fixed(standardDeviation, 2))\n"
        out += "Min: \(min)  Median: \(fixed(percentile(50), 4))  Max: \(max)\n"
        out += "Percentiles: P50: \(fixed(percentile(50), 2)) P75: \(fixed(percentile(75), 2)) "
            + "P99: \(fixed(percentile(99), 2)) P99.9: \(fixed(percentile(99.9), 2)) P99.99: \(fixed(percentile(99.99), 2))\n"
        out += String(repeating: "-", count: 54) + "\n"
        guard count > 0 else { return out }
        let mult = 100.0 / Double(count)
        var cumulative: UInt64 = 0
        for (i, n) in rocksBuckets.enumerated() where n > 0 {
            cumulative += n
            let left = i == 0 ? 0 : benchBucketLimits[i - 1]
            var line = (i == 0 ? "[ " : "( ") + pad("\(left)", 7) + ", " + pad("\(benchBucketLimits[i])", 7) + " ] "
            line += pad("\(n)", 8) + " " + pad(fixed(mult * Double(n), 3), 7) + "% "
                + pad(fixed(mult * Double(cumulative), 3), 7) + "% "
            line += String(repeating: "#", count: Int(mult * Double(n) / 5 + 0.5))
            out += line + "\n"
        }
        return out
    }
}
