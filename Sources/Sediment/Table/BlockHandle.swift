// BlockHandle: where a block lives in a table file (RocksDB/LevelDB `BlockHandle`).
//
//   +-------------------+-----------------+
//   | varint64: offset  | varint64: size  |     at most 10 + 10 bytes
//   +-------------------+-----------------+
//
// `size` excludes the 5-byte block trailer (compression type byte + fixed32 checksum) that
// follows every block on disk. Value type; thread-safe. See DESIGN.md §6.

/// The size of the trailer after every block: 1 compression-type byte + 4 checksum bytes.
let blockTrailerSize = 5

/// The offset and size (trailer excluded) of a block in a table file.
@_spi(Internals) public struct BlockHandle: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Byte offset of the block's first byte in the file.
    public var offset: UInt64
    /// Size of the block contents in bytes, without the 5-byte trailer.
    public var size: UInt64

    /// The longest encoding: two 10-byte varints.
    static let maxEncodedLength = 20

    /// Creates a handle.
    public init(offset: UInt64, size: UInt64) {
        self.offset = offset
        self.size = size
    }

    /// Appends the varint encoding to `out`.
    func encode(into out: inout [UInt8]) {
        out.appendVarint64(offset)
        out.appendVarint64(size)
    }

    /// The encoded form.
    var encoded: [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }

    /// Decodes a handle from `bytes[offset..<limit]`.
    /// - Returns: the handle and the offset just past it, or nil when truncated.
    static func decode(_ bytes: UnsafeRawBufferPointer, at offset: Int, limit: Int) -> (BlockHandle, Int)? {
        guard let (o, p) = bytes.decodeVarint64(at: offset, limit: limit),
              let (s, q) = bytes.decodeVarint64(at: p, limit: limit) else { return nil }
        return (BlockHandle(offset: o, size: s), q)
    }

    /// `offset+size`, as sst_dump's raw dump prints handles it decodes.
    public var description: String { "BlockHandle(offset: \(offset), size: \(size))" }
}
