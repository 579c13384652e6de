// Checksum: crc32c with LevelDB's mask, and RocksDB's block-trailer checksum types
// (kNoChecksum 0, kCRC32c 1, kxxHash 2, kxxHash64 3, kXXH3 4). crc32c runs in the small C target
// CSedimentSupport (SSE4.2 instruction); the xxHash family comes from the system libxxhash.
// See DESIGN.md §6 "Block trailer".
import CSedimentSupport
import CXXHash

/// crc32c (Castagnoli) as used by the log format and block trailers.
enum CRC32C {
    /// crc32c of `bytes`, extending `crc` (0 for a fresh checksum).
    @inline(__always) static func compute(_ bytes: UnsafeRawBufferPointer, extending crc: UInt32 = 0) -> UInt32 {
        sediment_crc32c_extend(crc, bytes.baseAddress, bytes.count)
    }

    /// crc32c of an array.
    static func compute(_ bytes: [UInt8], extending crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { compute($0, extending: crc) }
    }

    private static let maskDelta: UInt32 = 0xa282ead8

    /// LevelDB's mask: a crc stored next to the data it covers is rotated and offset, so that a
    /// crc of a string containing embedded crcs stays well distributed.
    @inline(__always) static func mask(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ maskDelta
    }

    /// Inverse of `mask`.
    @inline(__always) static func unmask(_ masked: UInt32) -> UInt32 {
        let rot = masked &- maskDelta
        return (rot >> 17) | (rot << 15)
    }
}

/// RocksDB's `ChecksumType`, stored in the table properties/footer and selecting how each block
/// trailer's 4 checksum bytes are computed.
public enum ChecksumType: UInt8, Sendable, CaseIterable {
    case none = 0
    case crc32c = 1
    case xxHash = 2
    case xxHash64 = 3
    case xxh3 = 4

    /// The name sst_dump and RocksDB's options use.
    public var name: String {
        switch self {
        case .none: "kNoChecksum"
        case .crc32c: "kCRC32c"
        case .xxHash: "kxxHash"
        case .xxHash64: "kxxHash64"
        case .xxh3: "kXXH3"
        }
    }

    /// The trailer checksum of a block: `data` is the (possibly compressed) block contents and
    /// `lastByte` the compression-type byte that follows it on disk. Matches RocksDB's
    /// `ComputeBuiltinChecksumWithLastByte` for format_version <= 5 (no context mixing).
    func blockChecksum(_ data: UnsafeRawBufferPointer, lastByte: UInt8) -> UInt32 {
        switch self {
        case .none:
            return 0
        case .crc32c:
            var crc = CRC32C.compute(data)
            withUnsafeBytes(of: lastByte) { crc = CRC32C.compute($0, extending: crc) }
            return CRC32C.mask(crc)
        case .xxHash:
            guard let state = XXH32_createState() else { return 0 }
            defer { XXH32_freeState(state) }
            XXH32_reset(state, 0)
            XXH32_update(state, data.baseAddress, data.count)
            withUnsafeBytes(of: lastByte) { _ = XXH32_update(state, $0.baseAddress, 1) }
            return XXH32_digest(state)
        case .xxHash64:
            guard let state = XXH64_createState() else { return 0 }
            defer { XXH64_freeState(state) }
            XXH64_reset(state, 0)
            XXH64_update(state, data.baseAddress, data.count)
            withUnsafeBytes(of: lastByte) { _ = XXH64_update(state, $0.baseAddress, 1) }
            return UInt32(truncatingIfNeeded: XXH64_digest(state))
        case .xxh3:
            // RocksDB hashes the block without its last byte, then folds the byte in with a
            // multiply by a fixed odd constant (ModifyChecksumForLastByte).
            let h = XXH3_64bits(data.baseAddress, data.count)
            return UInt32(truncatingIfNeeded: h) ^ (UInt32(lastByte) &* 0x6b9083d9)
        }
    }
}

/// 64-bit XXH3 of a buffer (used by the Bloom filter's key hashing, as RocksDB's format_version 5
/// filters hash keys with XXH3 64-bit, seed 0).
@inline(__always) func xxh3Hash64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    XXH3_64bits(bytes.baseAddress, bytes.count)
}
