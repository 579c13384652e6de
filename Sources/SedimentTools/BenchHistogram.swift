// BenchHistogram: latency histogram in RocksDB's format (monitoring/histogram.cc). Values are
// whole microseconds. Bucket b holds values v with limit[b-1] < v <= limit[b] (bucket 0: [0, 1]);
// the limits are 1, 2, then each the previous unrounded value times 1.5, truncated and cut to its
// two leading digits when above 109 (HistogramBucketMapper). Percentiles interpolate linearly
// inside their bucket and are clamped to [min, max]. The text form is RocksDB's byte for byte:
//   Count: 1000 Average: 17.5940  StdDev: 298.12
//   Min: 2  Median: 2.2683  Max: 8280
//   Percentiles: P50: 2.27 P75: 2.70 P99: 10.00 P99.9: 6600.00 P99.99: 8280.00
//   ------------------------------------------------------
//   [       0,       1 ]      346  34.600%  34.600% #######
//   (       1,       2 ]      574  57.400%  92.000% ###########
// A value type; each worker thread keeps its own and they are merged at the end.

@_spi(Internals) import Sediment

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

/// A latency histogram of whole microseconds.
package struct BenchHistogram: Sendable {
    package private(set) var count: UInt64 = 0
    private var sum: UInt64 = 0
    private var sumSquares: Double = 0
    private var minValue: UInt64 = .max
    private var maxValue: UInt64 = 0
    private var buckets = [UInt64](repeating: 0, count: benchBucketLimits.count)

    /// An empty histogram.
    package init() {}

    /// `searchBucket` for every value below `smallValues`: almost every operation's latency
    /// is found here with one load instead of a binary search on each `add`.
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

    /// Records one value (microseconds).
    package mutating func add(_ micros: UInt64) {
        buckets[Self.bucketIndex(micros)] += 1
        count += 1
        sum &+= micros
        sumSquares += Double(micros) * Double(micros)
        minValue = Swift.min(minValue, micros)
        maxValue = Swift.max(maxValue, micros)
    }

    /// Adds every value of `other`.
    package mutating func merge(_ other: BenchHistogram) {
        for i in buckets.indices { buckets[i] += other.buckets[i] }
        count += other.count
        sum &+= other.sum
        sumSquares += other.sumSquares
        minValue = Swift.min(minValue, other.minValue)
        maxValue = Swift.max(maxValue, other.maxValue)
    }

    /// The mean, 0 when empty.
    package var average: Double { count == 0 ? 0 : Double(sum) / Double(count) }

    /// The population standard deviation, 0 when empty.
    package var standardDeviation: Double {
        guard count > 0 else { return 0 }
        let n = Double(count)
        let s = Double(sum)
        let variance = (sumSquares * n - s * s) / (n * n)
        return variance > 0 ? variance.squareRoot() : 0
    }

    /// The smallest value, 0 when empty.
    package var min: UInt64 { count == 0 ? 0 : minValue }
    /// The largest value, 0 when empty.
    package var max: UInt64 { count == 0 ? 0 : maxValue }

    /// The value below which `p` percent of the values fall, interpolated inside its bucket and
    /// clamped to [min, max] (HistogramStat::Percentile).
    package func percentile(_ p: Double) -> Double {
        let threshold = Double(count) * (p / 100)
        var cumulative: UInt64 = 0
        for (i, n) in buckets.enumerated() {
            cumulative += n
            if Double(cumulative) >= threshold {
                let left = i == 0 ? 0 : Double(benchBucketLimits[i - 1])
                let right = Double(benchBucketLimits[i])
                let before = cumulative - n
                let pos = n == 0 ? 0 : (threshold - Double(before)) / Double(n)
                var r = left + (right - left) * pos
                if r < Double(min) { r = Double(min) }
                if r > Double(max) { r = Double(max) }
                return r
            }
        }
        return Double(max)
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
        for (i, n) in buckets.enumerated() where n > 0 {
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
