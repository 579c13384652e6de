// TableBenchmarks: table build throughput (1M 16-byte keys, 100-byte values, LZ4), point
// lookups on a fully cached table (present and absent keys), and the Bloom filter's
// false-positive rate at 10 bits/key and probe cost. Figures are quoted in DESIGN.md §6.
// Run: cd Benchmarks && swift package benchmark --target TableBenchmarks
import Benchmark
import Glibc
@_spi(Internals) import Sediment

private let keyCount = 1_000_000
private let directory = "/tmp/sediment-table-bench-\(getpid())"

/// The i-th 16-byte user key (big-endian counter, so sorted order is numeric order).
private func userKey(_ i: Int, absent: Bool = false) -> [UInt8] {
    var k = [UInt8](repeating: 0x6B, count: 16)
    let v = UInt64(i) * 2 + (absent ? 1 : 0)
    for b in 0..<8 { k[8 + b] = UInt8(truncatingIfNeeded: v >> (56 - 8 * UInt64(b))) }
    return k
}

private func internalKey(_ i: Int) -> [UInt8] {
    var k = userKey(i)
    let trailer = (UInt64(i + 1) << 8) | 1
    for b in 0..<8 { k.append(UInt8(truncatingIfNeeded: trailer >> (8 * UInt64(b)))) }
    return k
}

private func buildTable(_ path: String, count: Int) throws -> UInt64 {
    let file = try PosixFileSystem().createForWriting(path)
    let builder = TableBuilder(file: file, options: TableBuilderOptions(compression: .lz4))
    var value = [UInt8](repeating: 0, count: 100)
    for i in 0..<count {
        for j in 0..<100 { value[j] = UInt8(truncatingIfNeeded: i &* 31 &+ j) }
        try builder.add(internalKey(i), value)
    }
    let size = try builder.finish()
    try file.close()
    return size
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(10))
    _ = try? PosixFileSystem().createDirectory(directory)

    Benchmark("Table build 1M x (16 B key, 100 B value) LZ4", configuration: .init(scalingFactor: .one, maxIterations: 3)) { benchmark in
        let path = directory + "/build.sst"
        benchmark.startMeasurement()
        let size = try buildTable(path, count: keyCount)
        benchmark.stopMeasurement()
        blackHole(size)
        // 116 MB of raw entries per iteration; MB/s = 116 / seconds.
        try PosixFileSystem().removeFile(path)
    }

    let lookupPath = directory + "/lookup.sst"
    let lookupCount = 200_000
    let table: TableReader? = {
        guard (try? buildTable(lookupPath, count: lookupCount)) != nil else { return nil }
        let fs = PosixFileSystem()
        guard let file = try? fs.openForReading(lookupPath), let size = try? fs.fileSize(lookupPath) else { return nil }
        return try? TableReader.open(file: file, fileSize: size, fileNumber: 1,
                                     blockCache: BlockCache(capacityBytes: 256 << 20))
    }()
    let presentKeys = (0..<1024).map { userKey(($0 &* 7919) % lookupCount) }
    let absentKeys = (0..<1024).map { userKey(($0 &* 7919) % lookupCount, absent: true) }
    if let table {
        for k in presentKeys { _ = try? k.withUnsafeBytes { try table.get(userKey: $0, sequence: .max >> 8) } }
    }

    Benchmark("Table get present key (cached)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        guard let table else { return }
        for i in benchmark.scaledIterations {
            let r = try presentKeys[i & 1023].withUnsafeBytes { try table.get(userKey: $0, sequence: (1 << 56) - 1) }
            blackHole(r)
        }
    }

    Benchmark("Table get absent key (cached)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        guard let table else { return }
        for i in benchmark.scaledIterations {
            let r = try absentKeys[i & 1023].withUnsafeBytes { try table.get(userKey: $0, sequence: (1 << 56) - 1) }
            blackHole(r)
        }
    }

    // Bloom filter: 100k keys at 10 bits/key, probed with absent keys.
    let bloomKeys = 100_000
    let filter: [UInt8] = {
        let fs = PosixFileSystem()
        let path = directory + "/bloom.sst"
        guard let file = try? fs.createForWriting(path) else { return [] }
        let b = TableBuilder(file: file, options: TableBuilderOptions(bloomBitsPerKey: 10, compression: .none))
        for i in 0..<bloomKeys { try? b.add(internalKey(i), []) }
        _ = try? b.finish()
        try? file.close()
        guard let reader = try? TableReader.open(file: fs.openForReading(path), fileSize: fs.fileSize(path), fileNumber: 2, blockCache: nil),
              let h = reader.metaindexEntries.first(where: { $0.name.hasPrefix("fullfilter.") })?.handle,
              let contents = try? reader.blockContents(h) else { return [] }
        var positives = 0
        for i in 0..<bloomKeys {
            let k = userKey(i + bloomKeys * 2, absent: true)
            if k.withUnsafeBytes({ reader.filterMayMatch($0) }) { positives += 1 }
        }
        print("Bloom false-positive rate at 10 bits/key : \(Double(positives) / Double(bloomKeys) * 100)% (\(positives) of \(bloomKeys))")
        return contents
    }()
    let probeTable: TableReader? = {
        let fs = PosixFileSystem()
        let path = directory + "/bloom.sst"
        return try? TableReader.open(file: fs.openForReading(path), fileSize: fs.fileSize(path), fileNumber: 3, blockCache: BlockCache(capacityBytes: 64 << 20))
    }()

    Benchmark("Bloom probe (10 bits/key, hash + 6 probes)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        guard let probeTable, !filter.isEmpty else { return }
        for i in benchmark.scaledIterations {
            let r = absentKeys[i & 1023].withUnsafeBytes { probeTable.filterMayMatch($0) }
            blackHole(r)
        }
    }
}
