// MemTableBenchmarks: insert and point-lookup cost of the memtable with db_bench's shape —
// 1M random 16-byte keys, 100-byte values. Keys are made once, outside the measured region,
// in one flat buffer (no per-key arrays). Figures are quoted in DESIGN.md §5.
// Run: cd Benchmarks && swift package benchmark --target MemTableBenchmarks
import Benchmark
@_spi(Internals) import Sediment

/// Keys per run.
let keyCount = 1_000_000
/// Bytes per key and per value.
let keyBytes = 16
let valueBytes = 100

/// `keyCount` random 16-byte keys back to back (SplitMix64, fixed seed).
let randomKeys: [UInt8] = {
    var state: UInt64 = 0x5EED
    var out = [UInt8]()
    out.reserveCapacity(keyCount * keyBytes)
    for _ in 0..<(keyCount * keyBytes / 8) {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        withUnsafeBytes(of: z) { out.append(contentsOf: $0) }
    }
    return out
}()

/// The value stored with every key.
let value = [UInt8](repeating: 0x76, count: valueBytes)

/// Inserts every key of `randomKeys` into `memTable`, sequence i + 1.
func fill(_ memTable: MemTable) {
    randomKeys.withUnsafeBytes { keys in
        value.withUnsafeBytes { v in
            for i in 0..<keyCount {
                let key = UnsafeRawBufferPointer(rebasing: keys[i * keyBytes..<(i + 1) * keyBytes])
                memTable.add(sequence: SequenceNumber(i + 1), kind: .value, key: key, value: v)
            }
        }
    }
}

/// A memtable holding every key, for the lookup benchmark.
let filledMemTable: MemTable = {
    let m = MemTable()
    fill(m)
    return m
}()

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput, .peakMemoryResident],
        scalingFactor: .mega,
        maxDuration: .seconds(20),
        maxIterations: 5
    )

    Benchmark("MemTable insert (1M random 16 B keys, 100 B values)", configuration: configuration) { benchmark in
        _ = randomKeys.count
        let memTable = MemTable()
        benchmark.startMeasurement()
        fill(memTable)
        benchmark.stopMeasurement()
        blackHole(memTable.count)
    }

    Benchmark("MemTable lookup (1M random hits)", configuration: configuration) { benchmark in
        let memTable = filledMemTable
        var found = 0
        benchmark.startMeasurement()
        randomKeys.withUnsafeBytes { keys in
            // Probe in a different order from insertion: stride through the keys by a prime.
            var index = 0
            for _ in 0..<keyCount {
                index = (index + 7919) % keyCount
                let key = UnsafeRawBufferPointer(rebasing: keys[index * keyBytes..<(index + 1) * keyBytes])
                found += memTable.withLookup(userKey: key, sequence: SequenceNumber(keyCount)) { lookup in
                    if case .value(let v) = lookup { return v.count } else { return 0 }
                }
            }
        }
        benchmark.stopMeasurement()
        blackHole(found)
    }

    Benchmark("MemTable scan (1M entries)", configuration: configuration) { benchmark in
        let iterator = filledMemTable.makeIterator()
        var bytes = 0
        benchmark.startMeasurement()
        iterator.seekToFirst()
        while iterator.isValid {
            bytes &+= iterator.key.count &+ iterator.value.count
            iterator.next()
        }
        benchmark.stopMeasurement()
        blackHole(bytes)
    }
}
