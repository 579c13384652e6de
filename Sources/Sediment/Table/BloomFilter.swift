// BloomFilter: RocksDB's FastLocalBloom (format_version 5 "full filter"), bit for bit.
// See DESIGN.md §6 "Filter block".
//
//   +---------------------------------------------+------+------+-----------+------+------+
//   | bit array: len bytes, len a multiple of 64  | 0xFF | 0x00 | numProbes | 0x00 | 0x00 |
//   +---------------------------------------------+------+------+-----------+------+------+
//                                                  marker  sub-   probes,    reserved
//                                                  (-1)    impl   log2(64B
//                                                                 lines)=0 in bits 5-7
//
// Each key is hashed once with `rocksHash64` (XXPH3). The low 32 bits choose one 64-byte
// cache line (`(h1 * numLines) >> 32`); the high 32 bits h2 choose `numProbes` bits inside it:
// bit = h >> 23 (9 bits of 512), then h *= 0x9e3779b9. len = round_up_64(ceil(n * millibits /
// 8000)) where millibits = round(bitsPerKey * 1000); numProbes from the millibits (6 at 10
// bits/key). Builder: not thread-safe. Reader: immutable, thread-safe.

/// Builds a FastLocalBloom filter from user keys, in the order they are added.
///
/// The bit array's size depends on the number of distinct keys, so by default the builder keeps
/// every key's hash until `finish`. Given the number of distinct keys up front (`plannedKeys`,
/// which a flush knows from its memtable), it sizes the array at once and sets each key's bits
/// as the key arrives: the same bytes, without 8 bytes per key held during the build. A planned
/// count that turns out wrong still gives a correct filter (every added key's bits are set; the
/// reader takes the size from the block), only not RocksDB's size for the keys it holds.
struct BloomFilterBuilder {
    /// Bits per key in thousandths (RocksDB's millibits_per_key).
    let millibitsPerKey: Int
    /// The keys' hashes in chunks of `chunkCapacity`: a table of n keys holds 8n bytes of them
    /// until `finish`, and one growing array would also hold its old copy at every doubling
    /// (a flush of 450K keys peaked at 6 MB, which the allocator kept; DESIGN.md §14).
    private var chunks: [[UInt64]] = []
    /// The bit array plus metadata, when the key count was planned; nil otherwise.
    private var planned: [UInt8]?
    /// The planned bit array's 64-byte lines (0 when not planned).
    private var plannedLines: UInt64 = 0
    /// Bits set per key (RocksDB's ChooseNumProbes for `millibitsPerKey`).
    private let probes: Int
    private var lastHash: UInt64?
    /// Distinct consecutive keys added so far (RocksDB's num_filter_entries).
    private(set) var count = 0
    private static let chunkCapacity = 8192

    /// A builder for `bitsPerKey` (clamped to RocksDB's [1, 100] range); with `plannedKeys`
    /// (at least 1) the bit array is sized for that many distinct keys at once.
    init(bitsPerKey: Double, plannedKeys: Int? = nil) {
        let b = bitsPerKey < 1 ? 1 : (bitsPerKey >= 100 ? 100 : bitsPerKey)
        millibitsPerKey = Int(b * 1000 + 0.500001)
        probes = BloomFilterBuilder.numProbes(millibitsPerKey: millibitsPerKey)
        if let plannedKeys, plannedKeys > 0 {
            let filter = BloomFilterBuilder.emptyFilter(keys: plannedKeys, millibitsPerKey: millibitsPerKey)
            plannedLines = UInt64((filter.count - 5) >> 6)
            planned = filter
        }
    }

    /// Adds a user key; a key equal to the previous one is counted once.
    mutating func add(_ userKey: UnsafeRawBufferPointer) {
        let h = rocksHash64(userKey)
        guard lastHash != h else { return }
        lastHash = h
        count += 1
        if plannedLines != 0 {
            let probes = probes, lines = plannedLines
            planned?.withUnsafeMutableBytes { bits in
                BloomFilterBuilder.setBits(h, probes: probes, lines: lines, in: bits)
            }
            return
        }
        if chunks.isEmpty || chunks[chunks.count - 1].count == BloomFilterBuilder.chunkCapacity {
            var chunk: [UInt64] = []
            chunk.reserveCapacity(BloomFilterBuilder.chunkCapacity)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(h)
    }

    /// A zeroed bit array for `keys` distinct keys followed by the 5-byte metadata.
    private static func emptyFilter(keys: Int, millibitsPerKey: Int) -> [UInt8] {
        var raw = (UInt64(keys) * UInt64(millibitsPerKey) + 7999) / 8000
        raw = min(raw, 0xFFFF_FFC0)
        let len = Int((raw + 63) & ~63)
        let probes = BloomFilterBuilder.numProbes(millibitsPerKey: millibitsPerKey)
        var out = [UInt8](repeating: 0, count: len + 5)
        out[len] = 0xFF
        out[len + 1] = 0
        out[len + 2] = UInt8(probes)
        return out
    }

    /// Sets the `probes` bits of hash `h` in a bit array of `lines` 64-byte lines.
    @inline(__always)
    private static func setBits(_ h: UInt64, probes: Int, lines: UInt64, in bits: UnsafeMutableRawBufferPointer) {
        let line = Int((UInt64(UInt32(truncatingIfNeeded: h)) &* lines) >> 32) << 6
        var p = UInt32(truncatingIfNeeded: h >> 32)
        for _ in 0..<probes {
            let bit = Int(p >> 23)
            bits[line + (bit >> 3)] |= UInt8(1) << UInt8(bit & 7)
            p = p &* 0x9e37_79b9
        }
    }

    /// RocksDB's FastLocalBloomImpl::ChooseNumProbes.
    static func numProbes(millibitsPerKey m: Int) -> Int {
        switch m {
        case ...2080: 1
        case ...3580: 2
        case ...5100: 3
        case ...6640: 4
        case ...8300: 5
        case ...10070: 6
        case ...11720: 7
        case ...14001: 8
        case ...16050: 9
        case ...18300: 10
        case ...22001: 11
        case ...25501: 12
        case 50001...: 24
        default: (m - 1) / 2000 - 1
        }
    }

    /// The filter contents (bit array + 5-byte metadata) for the keys added.
    func finish() -> [UInt8] {
        if let planned { return planned }
        var out = BloomFilterBuilder.emptyFilter(keys: count, millibitsPerKey: millibitsPerKey)
        let len = out.count - 5
        if len > 0 {
            let probes = probes
            out.withUnsafeMutableBytes { bits in
                for chunk in chunks {
                    for h in chunk { BloomFilterBuilder.setBits(h, probes: probes, lines: UInt64(len >> 6), in: bits) }
                }
            }
        }
        return out
    }
}

/// Answers "may this key be in the table?" from a FastLocalBloom bit array.
struct BloomFilterReader: Sendable {
    /// Offset of the bit array inside the filter block, and its length (a multiple of 64).
    let bitsLength: Int
    let numProbes: Int

    /// True unless the key is certainly absent. `bits` is the filter block's bytes.
    @inline(__always)
    func mayMatch(_ userKey: UnsafeRawBufferPointer, bits: UnsafeRawBufferPointer) -> Bool {
        mayMatch(hash: rocksHash64(userKey), bits: bits)
    }

    /// `mayMatch` for a precomputed `rocksHash64`.
    @inline(__always)
    func mayMatch(hash h: UInt64, bits: UnsafeRawBufferPointer) -> Bool {
        let line = Int((UInt64(UInt32(truncatingIfNeeded: h)) &* UInt64(bitsLength >> 6)) >> 32) << 6
        var p = UInt32(truncatingIfNeeded: h >> 32)
        for _ in 0..<numProbes {
            let bit = Int(p >> 23)
            if bits[line + (bit >> 3)] & (UInt8(1) << UInt8(bit & 7)) == 0 { return false }
            p = p &* 0x9e37_79b9
        }
        return true
    }
}
