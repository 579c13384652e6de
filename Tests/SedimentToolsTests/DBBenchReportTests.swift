// DBBenchReportTests: db_bench's report lines and histogram in RocksDB's format, checked with
// the same reading that ../shared/bench/vs-rocksdb's parse_report applies to RocksDB's output
// (fields found by the words after them: micros/op, ops/sec, operations;, MB/s, "(F of N found)",
// and P50:/P99:/P99.9: on the first Percentiles: line), plus RocksDB's bucket limits and
// percentile interpolation on known data, and the mt19937_64 generator RocksDB draws keys from.
import Testing
@testable import SedimentTools

/// vs-rocksdb's parse_report, in Swift: the figures of `name`'s report line in `text`.
func parseReport(_ text: String, _ name: String) -> [String: String]? {
    var out: [String: String] = [:]
    var got = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
        if !got {
            guard line.wholeMatch(of: /^\w+[ \t]*:.*micros\/op.*/) != nil,
                  line.hasPrefix(name), line.dropFirst(name.count).drop(while: { $0 == " " || $0 == "\t" }).first == ":"
            else { continue }
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            for i in 1..<f.count {
                switch f[i] {
                case "micros/op": out["us"] = f[i - 1]
                case "ops/sec": out["ops"] = f[i - 1]
                case "operations;": out["count"] = f[i - 1]
                case "MB/s": out["mb"] = f[i - 1]
                default: break
                }
            }
            if let m = line.firstMatch(of: /\(([0-9]+) of [0-9]+ found\)/) { out["found"] = String(m.1) }
            got = true
            continue
        }
        if line.firstMatch(of: /^[A-Za-z0-9_]+[ \t]*:[ \t]*[0-9.]+ micros\/op/) != nil { break }
        if line.hasPrefix("Percentiles:") {
            let f = line.split(separator: " ").map(String.init)
            for i in 0..<(f.count - 1) {
                if f[i] == "P50:" { out["p50"] = f[i + 1] }
                if f[i] == "P99:" { out["p99"] = f[i + 1] }
                if f[i] == "P99.9:" { out["p999"] = f[i + 1] }
            }
            break
        }
    }
    return got ? out : nil
}

/// True when `s` is a number as parse_report's num() accepts it.
func isNumber(_ s: String?) -> Bool { s.map { $0.wholeMatch(of: /[0-9.]+/) != nil } ?? false }

@Suite struct DBBenchReportTests {
    static func stats(_ name: String, done: UInt64, bytes: UInt64, message: String = "") -> BenchStats {
        var s = BenchStats()
        s.name = name
        s.done = done
        s.bytes = bytes
        s.seconds = 2.5
        s.startMicros = 1_000_000
        s.finishMicros = 3_500_000
        s.message = message
        s.operation = .read
        for v in [1, 2, 2, 3, 5, 8, 13, 100] as [UInt64] { s.histogram.add(v) }
        return s
    }

    @Test func firstProgressReportComesAtTheStatsInterval() throws {
        // RocksDB's Stats::Start: next_report_ = stats_interval, else 100. Before, Sediment
        // reported at 100 ops whatever the interval (then at 1100, 2100, ...).
        var config = try DBBenchConfig.parse(["--stats_interval=1000", "--progress_reports=0"])
        #expect(BenchStats(name: "fillseq", threadID: 0, operation: .write, config: config).nextReport == 1000)
        config = try DBBenchConfig.parse(["--progress_reports=0"])
        #expect(BenchStats(name: "fillseq", threadID: 0, operation: .write, config: config).nextReport == 100)
        // A huge interval saturates instead of wrapping back to a near report.
        config = try DBBenchConfig.parse(["--stats_interval=9223372036854775807"])
        var s = BenchStats(name: "fillseq", threadID: 0, operation: .write, config: config)
        s.progressReports = false
        s.nextReport = .max - 5
        s.statsInterval = .max / 2
        s.done = .max - 10
        s.progressReports = true
        s.statsIntervalSeconds = 1_000_000
        s.finishedOps(6)
        #expect(s.nextReport == .max)
    }

    @Test func reportLineHasRocksDBsShape() {
        let s = Self.stats("readrandom", done: 1_000_000, bytes: 116_000_000, message: "(632120 of 1000000 found)\n")
        let text = s.reportText(histogram: true)
        let first = text.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first == "readrandom   :       2.500 micros/op 400000 ops/sec 2.500 seconds 1000000 operations;   44.3 MB/s (632120 of 1000000 found)")
        // RocksDB keeps the message's newline, then "Microseconds per read:" and the histogram.
        #expect(text.contains("found)\n\nMicroseconds per read:\nCount: 8 Average: 16.7500  StdDev: "))
        let r = parseReport(text, "readrandom")
        #expect(r?["ops"] == "400000" && r?["us"] == "2.500" && r?["count"] == "1000000")
        #expect(r?["mb"] == "44.3" && r?["found"] == "632120")
        #expect(isNumber(r?["p50"]) && isNumber(r?["p99"]) && isNumber(r?["p999"]))
    }

    @Test func writeLineWithoutMessageOrBytes() {
        let s = Self.stats("deleteseq", done: 10, bytes: 0)
        let first = s.reportText(histogram: false).split(separator: "\n").first.map(String.init) ?? ""
        #expect(first == "deleteseq    :  250000.000 micros/op 4 ops/sec 2.500 seconds 10 operations;")
        let r = parseReport(s.reportText(histogram: false), "deleteseq")
        #expect(r?["count"] == "10" && r?["mb"] == nil && r?["p99"] == nil)
    }

    @Test func parsesRocksDBsOwnOutput() {
        // A real line of RocksDB 7.8.3's db_bench, to prove the parser reads both.
        let rocks = """
        readrandom   :       0.809 micros/op 254647 ops/sec 0.004 seconds 1000 operations;   28.2 MB/s (1000 of 1000 found)

        Microseconds per read:
        Count: 1000 Average: 2.9380  StdDev: 69.55
        Min: 0  Median: 0.5160  Max: 2201
        Percentiles: P50: 0.52 P75: 0.77 P99: 1.81 P99.9: 1900.00 P99.99: 2201.00
        """
        let r = parseReport(rocks, "readrandom")
        #expect(r?["ops"] == "254647" && r?["found"] == "1000" && r?["p99"] == "1.81" && r?["p999"] == "1900.00")
    }

    @Test func bucketLimitsAreRocksDBs() {
        #expect(Array(benchBucketLimits.prefix(16)) == [1, 2, 3, 4, 6, 10, 15, 22, 34, 51, 76, 110, 170, 250, 380, 580])
        #expect(benchBucketLimits.count == 109)
        #expect(BenchHistogram.bucketIndex(0) == 0 && BenchHistogram.bucketIndex(1) == 0)
        #expect(BenchHistogram.bucketIndex(2) == 1 && BenchHistogram.bucketIndex(3) == 2 && BenchHistogram.bucketIndex(5) == 4)
        // The precomputed table for small values agrees with the search, across its edge too.
        for v in UInt64(0)...UInt64(BenchHistogram.smallValues + 100) {
            #expect(BenchHistogram.bucketIndex(v) == BenchHistogram.searchBucket(v))
        }
    }

    @Test func percentilesOnKnownData() {
        var h = BenchHistogram()
        for v in 1...100 as ClosedRange<UInt64> { h.add(v) }
        #expect(h.count == 100 && h.min == 1 && h.max == 100 && h.average == 50.5)
        // Order statistics to three significant digits: the 50th, 75th and 99th smallest.
        #expect(abs(h.percentile(50) - 50) < 0.05)
        #expect(abs(h.percentile(75) - 75) < 0.075)
        #expect(abs(h.percentile(99) - 99) < 0.099)
        #expect(h.percentile(99.99) == 100)
        let text = h.render()
        #expect(text.hasPrefix("Count: 100 Average: 50.5000  StdDev: 28.87\nMin: 1  Median: 50.0000  Max: 100\n"))
        #expect(text.contains("Percentiles: P50: 50.00 P75: 74.98 P99: 98.98 P99.9: 100.00 P99.99: 100.00\n"))
        // The bucket table keeps RocksDB's limits: 1 in [0, 1], 77...100 in (76, 110].
        #expect(text.contains("[       0,       1 ]        1   1.000%   1.000% \n"))
        #expect(text.contains("(      51,      76 ]       25  25.000%  76.000% #####\n"))
        #expect(text.contains("(      76,     110 ]       24  24.000% 100.000% #####\n"))
    }

    @Test func subMicrosecondPercentilesAreNotBucketFloors() {
        // 990 operations of 300 ns and 10 of 5 us: RocksDB's whole-microsecond buckets would put
        // P99 at 0.99 / 0.99 = 1.00; the nanosecond histogram gives the 990th smallest, 0.30.
        var h = BenchHistogram()
        for _ in 0..<990 { h.add(nanos: 300) }
        for _ in 0..<10 { h.add(nanos: 5_000) }
        #expect(h.percentile(50) == 0.3 && h.percentile(99) == 0.3)
        #expect(abs(h.percentile(99.9) - 5) < 0.005 && h.min == 0 && h.max == 5)
        #expect(abs(h.average - 0.347) < 1e-9)
        let text = h.render()
        #expect(text.contains("Min: 0  Median: 0.3000  Max: 5\n"))
        #expect(text.contains("Percentiles: P50: 0.30 P75: 0.30 P99: 0.30 P99.9: 5.00 P99.99: 5.00\n"))
        #expect(text.contains("[       0,       1 ]      990  99.000%  99.000% ####################\n"))
        // Merging two threads' histograms keeps every operation.
        var both = h
        both.merge(h)
        #expect(both.count == 2000 && both.percentile(99) == 0.3 && abs(both.average - 0.347) < 1e-9)
    }

    @Test func maxIsTheRecordedMaximum() {
        // 8,187,905 ns sits at the bottom of an HdrHistogram sub-bucket 4,096 ns wide: its top
        // (8,191,999) and middle (8,189,952) are both above what was recorded.
        var h = BenchHistogram()
        h.add(nanos: 1_000)
        h.add(nanos: 8_187_905)
        #expect(h.max == 8187 && h.min == 1)
        #expect(abs(h.percentile(100) - 8187.905) < 1e-6 && abs(h.percentile(99.99) - 8187.905) < 1e-6)
        #expect(h.render().contains("Min: 1  Median: 1.0000  Max: 8187\n"))
    }

    @Test func generatorIsMT19937_64() {
        var r = BenchRandom(seed: 5489)  // std::mt19937_64's default seed
        #expect(r.next() == 14_514_284_786_278_117_030)
        for _ in 1..<9999 { _ = r.next() }
        #expect(r.next() == 9_981_545_732_273_789_042)  // the 10000th value, required by the C++ standard
    }

    @Test func keysAreBigEndianPaddedWithZeros() {
        var key = [UInt8](repeating: 0, count: 16)
        makeBenchKey(0x0102, into: &key)
        #expect(key == [0, 0, 0, 0, 0, 0, 1, 2] + Array(repeating: 0x30, count: 8))
    }
}
