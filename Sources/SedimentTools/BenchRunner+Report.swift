// BenchRunner+Report: RocksDB's db_bench header and --report_json. As RocksDB does, the
// environment lines (version, date, CPU, CPU cache) go to stderr and the rest to stdout:
//   Keys:       16 bytes each (+ 0 bytes user-defined timestamp)
//   Values:     100 bytes each (50 bytes after compression)
//   Entries:    1000000 ... RawSize, FileSize, Write rate, Read rate, Compression, Memtablerep
//   ------------------------------------------------
// The per-benchmark report lines are BenchStats.reportText. --report_json writes every figure
// of every reported benchmark as one JSON object.
@_spi(Internals) import Sediment
import Glibc

extension BenchRunner {
    /// Prints RocksDB's header (PrintEnvironment on stderr, PrintHeader on stdout).
    func printHeader() {
        printError("Sediment:   version \(sedimentVersion)")
        printError("Date:       \(dateString())")
        let cpu = cpuDescription()
        printError("CPU:        \(cpu.count) * \(cpu.model)")
        printError("CPUCache:   \(cpu.cache)")
        for line in headerLines() { printOut(line) }
    }

    /// PrintHeader's lines (stdout), ending with the rule. The size estimates are computed in
    /// Double, as RocksDB computes FileSize, so no --num, --key_size or --value_size overflows
    /// them (RocksDB's RawSize product is int64 and wraps; Sediment prints the true figure).
    func headerLines() -> [String] {
        let c = config
        var lines: [String] = []
        lines.append("Keys:       \(c.keySize) bytes each (+ 0 bytes user-defined timestamp)")
        let compressed = Int(Double(c.valueSize) * c.compressionRatio + 0.5)
        lines.append("Values:     \(c.valueSize) bytes each (\(compressed) bytes after compression)")
        lines.append("Entries:    \(c.num)")
        lines.append("Prefix:    0 bytes")
        lines.append("Keys per prefix:    0")
        let raw = (Double(c.keySize) + Double(c.valueSize)) * Double(c.num) / 1048576
        let file = (Double(c.keySize) + Double(c.valueSize) * c.compressionRatio) * Double(c.num) / 1048576
        lines.append("RawSize:    \(fixed(raw, 1)) MB (estimated)")
        lines.append("FileSize:   \(fixed(file, 1)) MB (estimated)")
        lines.append("Write rate: \(c.benchmarkWriteRateLimit) bytes/second")
        lines.append("Read rate: 0 ops/second")
        let names: [Compression: String] = [.none: "NoCompression", .lz4: "LZ4", .zlib: "Zlib"]
        lines.append("Compression: \(names[c.compressionType] ?? "?")")
        lines.append("Compression sampling rate: 0")
        lines.append("Memtablerep: SkipListFactory")
        lines.append("Perf Level: 1")
        if c.quickDefaults {
            lines.append("(no flags given: the quick default run, --num=\(c.num) --seed=\(c.seed) "
                         + "--benchmarks=\(c.benchmarks.joined(separator: ",")))")
        }
        lines.append("------------------------------------------------")
        return lines
    }

    func writeJSON(to path: String) throws {
        var out = "{\n  \"engine\": \"Sediment \(sedimentVersion)\",\n"
        out += "  \"num\": \(config.num), \"key_size\": \(config.keySize), \"value_size\": \(config.valueSize), "
        out += "\"threads\": \(config.threads), \"compression\": \"\(config.compressionType.rawValue)\",\n"
        out += "  \"benchmarks\": [\n"
        for (i, s) in results.enumerated() {
            let done = max(s.done, 1)
            let ops = s.elapsedSeconds > 0 ? Double(done) / s.elapsedSeconds : 0
            let mbs = s.elapsedSeconds > 0 ? Double(s.bytes) / 1048576 / s.elapsedSeconds : 0
            let h = s.histogram
            out += "    {\"name\": \"\(s.name)\", \"operations\": \(done), \"seconds\": \(fixed(s.elapsedSeconds, 6)), "
            out += "\"ops_per_sec\": \(fixed(ops, 1)), \"micros_per_op\": \(fixed(s.seconds * 1e6 / Double(done), 4)), "
            out += "\"bytes\": \(s.bytes), \"mb_per_sec\": \(fixed(mbs, 3)), \"found\": \(s.found), \"reads\": \(s.reads), "
            out += "\"threads\": \(config.threads)"
            if h.count > 0 {
                out += ", \"histogram\": {\"count\": \(h.count), \"average\": \(fixed(h.average, 4)), \"stddev\": \(fixed(h.standardDeviation, 4)), "
                out += "\"min\": \(h.min), \"median\": \(fixed(h.percentile(50), 4)), \"max\": \(h.max), "
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

    private func cpuDescription() -> (count: Int, model: String, cache: String) {
        let text = readProcFile("/proc/cpuinfo")
        var count = 0
        var model = "unknown"
        var cache = "unknown"
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].trimmingPrefix(" ").description
            if line.hasPrefix("model name") {
                count += 1
                model = value
            } else if line.hasPrefix("cache size") {
                cache = value
            }
        }
        return (max(count, 1), model, cache)
    }
}

/// The whole text of a /proc file (whose stat size is 0, so it is read until end of file).
func readProcFile(_ path: String) -> String {
    let fd = Glibc.open(path, O_RDONLY)
    guard fd >= 0 else { return "" }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// The version db_bench reports.
let sedimentVersion = "0.1.0"
