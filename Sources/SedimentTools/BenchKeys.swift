// BenchKeys: keys and values generated as RocksDB's db_bench generates them.
//  - Keys: the key number as 8 big-endian bytes, then '0' padding to `--key_size` bytes
//    (GenerateKeyFromInt with no prefix); keys shorter than 8 bytes keep the low bytes.
//  - Values: slices of a 1 MiB buffer built from random printable pieces, each piece repeated
//    so that it compresses to about `--compression_ratio` of its size (CompressibleString).
//  - Random numbers: a 64-bit generator seeded by `--seed` and the thread index, so runs repeat.

/// A small, fast, seeded generator (SplitMix64).
package struct BenchRandom: Sendable {
    private var state: UInt64
    package init(seed: UInt64) { state = seed &* 0x9E3779B97F4A7C15 &+ 0x2545F4914F6CDD1D }
    package mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
    /// A value in 0..<bound.
    package mutating func uniform(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
}

/// Writes key number `n` into `key` (which has `keySize` bytes).
@inline(__always) package func makeBenchKey(_ n: UInt64, into key: inout [UInt8]) {
    let size = key.count
    let bytes = min(8, size)
    var v = n
    // Big-endian, keeping the low `bytes` bytes of the number.
    var i = bytes - 1
    while i >= 0 {
        key[i] = UInt8(truncatingIfNeeded: v)
        v >>= 8
        i -= 1
    }
    if size > 8 { for j in 8..<size { key[j] = 0x30 } }
}

/// Produces values of a fixed size with a target compressibility.
package struct BenchValues: Sendable {
    private let data: [UInt8]
    private var position = 0
    private let valueSize: Int

    package init(valueSize: Int, compressionRatio: Double, seed: UInt64) {
        self.valueSize = valueSize
        var rng = BenchRandom(seed: seed ^ 0xDA7A)
        var data: [UInt8] = []
        let target = max(1 << 20, valueSize)
        let piece = max(1, min(100, valueSize))
        while data.count < target {
            let raw = max(1, Int(Double(piece) * compressionRatio))
            var chunk: [UInt8] = []
            for _ in 0..<raw { chunk.append(UInt8(0x20 + rng.uniform(95))) }
            var filled: [UInt8] = []
            while filled.count < piece { filled.append(contentsOf: chunk) }
            data.append(contentsOf: filled[0..<piece])
        }
        self.data = data
    }

    /// The next value.
    package mutating func next() -> ArraySlice<UInt8> {
        if position + valueSize > data.count { position = 0 }
        defer { position += valueSize }
        return data[position..<position + valueSize]
    }
}
