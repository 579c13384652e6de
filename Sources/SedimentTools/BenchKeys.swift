// BenchKeys: keys and values generated as RocksDB's db_bench generates them.
//  - Keys: the key number as 8 big-endian bytes, then '0' padding to `--key_size` bytes
//    (GenerateKeyFromInt with no prefix); keys shorter than 8 bytes keep the low bytes.
//  - Values: slices of a 1 MiB buffer built from random printable pieces, each piece repeated
//    so that it compresses to about `--compression_ratio` of its size (CompressibleString).
//  - Random numbers: RocksDB's Random64 (mt19937_64), seeded by `--seed` plus a per-thread
//    number that grows across benchmarks (ThreadState: the first thread gets `--seed` + 1), so
//    runs repeat; with the draws BenchRunner+Workloads makes (one per batch or read besides the
//    key's own, as RocksDB 7.8 makes them) a single-threaded run uses RocksDB's exact keys.

/// RocksDB's `Random64`: the 64-bit Mersenne Twister (std::mt19937_64), so that the same
/// `--seed` draws the same keys as RocksDB's db_bench.
package struct BenchRandom: Sendable {
    private static let n = 312
    private var state: [UInt64]
    private var index: Int

    /// A generator seeded as `std::mt19937_64(seed)`.
    package init(seed: UInt64) {
        var mt = [UInt64](repeating: 0, count: Self.n)
        mt[0] = seed
        for i in 1..<Self.n {
            mt[i] = 6364136223846793005 &* (mt[i - 1] ^ (mt[i - 1] >> 62)) &+ UInt64(i)
        }
        state = mt
        index = Self.n
    }

    /// The next 64-bit value.
    package mutating func next() -> UInt64 {
        if index >= Self.n { twist() }
        var x = state[index]
        index += 1
        x ^= (x >> 29) & 0x5555555555555555
        x ^= (x << 17) & 0x71D67FFFEDA60000
        x ^= (x << 37) & 0xFFF7EEE000000000
        x ^= x >> 43
        return x
    }

    private mutating func twist() {
        let n = Self.n
        state.withUnsafeMutableBufferPointer { mt in
            for i in 0..<n {
                let x = (mt[i] & 0xFFFFFFFF80000000) | (mt[(i + 1) % n] & 0x7FFFFFFF)
                var xa = x >> 1
                if x & 1 != 0 { xa ^= 0xB5026F5AA96619E9 }
                mt[i] = mt[(i + 156) % n] ^ xa
            }
        }
        index = 0
    }

    /// A value in 0..<bound: `next() % bound`, as RocksDB draws keys.
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

    /// The next value copied into `value`, whose buffer is reused from call to call (RocksDB's
    /// generator hands out a Slice of its pool; a new array per value would be an allocation
    /// per operation that RocksDB's db_bench does not make).
    package mutating func next(into value: inout [UInt8]) {
        if position + valueSize > data.count { position = 0 }
        if value.count != valueSize { value = [UInt8](repeating: 0, count: valueSize) }
        let start = position
        data.withUnsafeBytes { src in
            value.withUnsafeMutableBytes { dst in
                dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[start..<start + valueSize]))
            }
        }
        position += valueSize
    }
}
