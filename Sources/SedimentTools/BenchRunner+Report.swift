// BenchRunner+Report: RocksDB's db_bench report: the header (keys, values, entries, raw and
// estimated sizes, compression), one line per benchmark
//   fillseq      :       2.345 micros/op 426438 ops/sec 2.345 seconds 1000000 operations;   47.2 MB/s
// with "(F of N found)" for reads, the histogram with --histogram=1, and --report_json.
@_spi(Internals) import Sediment
import Glibc

extension BenchRunner {
    func printHeader() {
        let c = config
        printOut("Sediment:   version \(sedimentVersion)")
        printOut("Date:       \(dateString())")
        let cpu = cpuDescription()
        printOut("CPU:        \(cpu.count) * \(cpu.model)")
        printOut("Keys:       \(c.keySize) bytes each (+ 0 bytes user-defined timestamp)")
        let compressed = Int(Double(c.valueSize) * c.compressionRatio + 0.5)
        printOut("Values:     \(c.valueSize) bytes each (\(compressed) bytes after compression)")
        printOut("Entries:    \(c.num)")
        printOut("Prefix:    0 bytes")
        printOut("Keys per prefix:    0")
        let raw = Double((c.keySize + c.valueSize) * c.num) / 1048576
        let file = Double((c.keySize + compressed) * c.num) / 1048576
        printOut("RawSize:    \(fixed(raw, 1)) MB (estimated)")
        printOut("FileSize:   \(fixed(file, 1)) MB (estimated)")
        printOut("Write rate: \(c.benchmarkWriteRateLimit) bytes/second")
        printOut("Read rate: 0 ops/second")
        let names: [Compression: String] = [.none: "NoCompression", .lz4: "LZ4", .zlib: "Zlib"]
        printOut("Compression: \(names[c.compressionType] ?? "?")")
        printOut("Compression sampling rate: 0")
        printOut("Memtablerep: SkipList")
        printOut("Perf Level: 1")
        if c.quickDefaults {
            printOut("(no flags given: the quick default run, --num=\(c.num) --benchmarks=\(c.benchmarks.joined(separator: ",")))")
        }
        printOut("------------------------------------------------")
    }

    func report(_ s: BenchStats) {
        let done = max(s.operations, 1)
        let microsPerOp = s.threadSeconds * 1e6 / Double(done)
        let throughput = s.elapsedSeconds > 0 ? Double(s.operations) / s.elapsedSeconds : 0
        var extra = ""
        if s.bytes > 0 && s.elapsedSeconds > 0 {
            extra = pad(fixed(Double(s.bytes) / 1048576 / s.elapsedSeconds, 1), 6) + " MB/s"
        }
        if !s.message.isEmpty { extra += (extra.isEmpty ? "" : " ") + s.message }
        var name = s.name
        while name.count < 12 { name += " " }
        printOut("\(name) : " + pad(fixed(microsPerOp, 3), 11) + " micros/op \(Int(throughput)) ops/sec "
                 + "\(fixed(s.elapsedSeconds, 3)) seconds \(s.operations) operations;" + (extra.isEmpty ? "" : " " + extra))
        if config.histogram && s.histogram.count > 0 {
            printOut("Microseconds per \(s.histogramLabel):\n" + s.histogram.render())
        }
    }

    func writeJSON(to path: String) throws {
        var out = "{\n  \"engine\": \"Sediment \(sedimentVersion)\",\n"
        out += "  \"num\": \(config.num), \"key_size\": \(config.keySize), \"value_size\": \(config.valueSize), "
        out += "\"threads\": \(config.threads), \"compression\": \"\(config.compressionType.rawValue)\",\n"
        out += "  \"benchmarks\": [\n"
        for (i, s) in results.enumerated() {
            let ops = s.elapsedSeconds > 0 ? Double(s.operations) / s.elapsedSeconds : 0
            let h = s.histogram
            out += "    {\"name\": \"\(s.name)\", \"operations\": \(s.operations), \"seconds\": \(fixed(s.elapsedSeconds, 6)), "
            out += "\"ops_per_sec\": \(fixed(ops, 1)), \"micros_per_op\": \(fixed(s.threadSeconds * 1e6 / Double(max(s.operations, 1)), 4)), "
            out += "\"bytes\": \(s.bytes), \"found\": \(s.found), \"reads\": \(s.reads)"
            if h.count > 0 {
                out += ", \"histogram\": {\"count\": \(h.count), \"average\": \(fixed(h.average, 4)), \"stddev\": \(fixed(h.standardDeviation, 4)), "
                out += "\"min\": \(fixed(h.min, 2)), \"median\": \(fixed(h.percentile(50), 4)), \"max\": \(fixed(h.max, 2)), "
                out += "\"p50\": \(fixed(h.percentile(50), 4)), \"p75\": \(fixed(h.percentile(75), 4)), \"p99\": \(fixed(h.percentile(99), 4)), "
                out += "\"p99_9\": \(fixed(h.percentile(99.9), 4)), \"p99_99\": \(fixed(h.percentile(99.99), 4))}"
            }
            out += "}" + (i + 1 < results.count ? "," : "") + "\n"
        }
        out += "  ]\n}\n"
        try PosixFileSystem().writeWholeFile(path, Array(out.utf8))
    }

    private func dateString() -> String {
        var t = time(nil)
        var buf = [CChar](repeating: 0, count: 64)
        ctime_r(&t, &buf)
        let s = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return s.hasSuffix("\n") ? String(s.dropLast()) : s
    }

    private func cpuDescription() -> (count: Int, model: String) {
        guard let bytes = try? PosixFileSystem().readWholeFile("/proc/cpuinfo") else { return (1, "unknown") }
        let text = String(decoding: bytes, as: UTF8.self)
        var count = 0
        var model = "unknown"
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            count += 1
            if let colon = line.firstIndex(of: ":") {
                model = line[line.index(after: colon)...].trimmingPrefix(" ").description
            }
        }
        return (max(count, 1), model)
    }
}

/// The version db_bench reports.
let sedimentVersion = "0.1.0"
