// BenchHistogram: latency histogram in RocksDB's format (monitoring/histogram.cc): fixed bucket
// boundaries growing by 1.5x (kept to two significant digits), percentiles interpolated inside
// a bucket, and the same printed layout, so tools that read RocksDB's db_bench report read ours.

/// Bucket upper bounds shared by every histogram (RocksDB's HistogramBucketMapper).
private let bucketLimits: [UInt64] = {
    var limits: [UInt64] = [1, 2]
    var value = 2.0
    let maxValue = Double(UInt64.max)
    while true {
        value *= 1.5
        if value > maxValue / 2 { break }
        var v = UInt64(value.rounded())
        var pow10: UInt64 = 1
        while v / pow10 >= 100 { pow10 *= 10 }
        v = (v / pow10) * pow10
        limits.append(v)
    }
    return limits
}()

/// A latency histogram in microseconds.
package struct BenchHistogram: Sendable {
    package private(set) var count: UInt64 = 0
    private var sum: Double = 0
    private var sumSquares: Double = 0
    private var minValue: Double = .greatestFiniteMagnitude
    private var maxValue: Double = 0
    private var buckets = [UInt64](repeating: 0, count: bucketLimits.count)

    package init() {}

    /// Records one value (microseconds).
    package mutating func add(_ micros: Double) {
        let v = UInt64(Swift.max(micros, 0))
        var lo = 0
        var hi = bucketLimits.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if bucketLimits[mid] > v { hi = mid } else { lo = mid + 1 }
        }
        buckets[lo] += 1
        count += 1
        sum += micros
        sumSquares += micros * micros
        minValue = Swift.min(minValue, micros)
        maxValue = Swift.max(maxValue, micros)
    }

    /// Adds every value of `other`.
    package mutating func merge(_ other: BenchHistogram) {
        for i in buckets.indices { buckets[i] += other.buckets[i] }
        count += other.count
        sum += other.sum
        sumSquares += other.sumSquares
        minValue = Swift.min(minValue, other.minValue)
        maxValue = Swift.max(maxValue, other.maxValue)
    }

    package var average: Double { count == 0 ? 0 : sum / Double(count) }

    package var standardDeviation: Double {
        guard count > 0 else { return 0 }
        let n = Double(count)
        let variance = (sumSquares * n - sum * sum) / (n * n)
        return variance > 0 ? variance.squareRoot() : 0
    }

    package var min: Double { count == 0 ? 0 : minValue }
    package var max: Double { maxValue }

    /// The value below which `p` percent of the values fall, interpolated inside its bucket.
    package func percentile(_ p: Double) -> Double {
        guard count > 0 else { return 0 }
        let threshold = Double(count) * p / 100
        var cumulative: UInt64 = 0
        for (i, n) in buckets.enumerated() {
            cumulative += n
            if Double(cumulative) >= threshold {
                let left = i == 0 ? 0 : Double(bucketLimits[i - 1])
                let right = Double(bucketLimits[i])
                let before = Double(cumulative - n)
                let pos = n == 0 ? 0 : (threshold - before) / Double(n)
                var r = left + (right - left) * pos
                r = Swift.max(r, minValue)
                r = Swift.min(r, maxValue)
                return r
            }
        }
        return maxValue
    }

    /// RocksDB's text form: summary lines, percentiles, then the non-empty buckets.
    package func render() -> String {
        var out = "Count: \(count) Average: \(fixed(average, 4))  StdDev: \(fixed(standardDeviation, 2))\n"
        out += "Min: \(fixed(min, 0))  Median: \(fixed(percentile(50), 4))  Max: \(fixed(max, 0))\n"
        out += "Percentiles: P50: \(fixed(percentile(50), 2)) P75: \(fixed(percentile(75), 2)) "
            + "P99: \(fixed(percentile(99), 2)) P99.9: \(fixed(percentile(99.9), 2)) P99.99: \(fixed(percentile(99.99), 2))\n"
        out += String(repeating: "-", count: 54) + "\n"
        guard count > 0 else { return out }
        let mult = 100.0 / Double(count)
        var cumulative: UInt64 = 0
        for (i, n) in buckets.enumerated() where n > 0 {
            cumulative += n
            let left = i == 0 ? 0 : bucketLimits[i - 1]
            var line = "[ " + pad("\(left)", 7) + ", " + pad("\(bucketLimits[i])", 7) + " ) "
            line += pad("\(n)", 8) + " " + pad(fixed(mult * Double(n), 3), 7) + "% "
                + pad(fixed(mult * Double(cumulative), 3), 7) + "% "
            let marks = Int((20 * Double(n) / Double(count)).rounded())
            line += String(repeating: "#", count: marks)
            out += line + "\n"
        }
        return out
    }
}

/// `value` with `digits` decimals.
package func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let negative = value < 0
    let scaled = (Swift.abs(value) * scale).rounded()
    let whole = UInt64(scaled / scale)
    var s = negative ? "-\(whole)" : "\(whole)"
    if digits > 0 {
        let frac = UInt64(scaled - Double(whole) * scale)
        var f = String(frac)
        while f.count < digits { f = "0" + f }
        s += "." + f
    }
    return s
}

/// `text` right-aligned in `width` columns.
package func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}
