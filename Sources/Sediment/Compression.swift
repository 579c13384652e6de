// Compression: the public choice of block compression. The codecs themselves live in
// Table/BlockCompression.swift.

/// Block compression for new tables. Tables written with any of these (and with no
/// compression) are always readable whatever this option says.
public enum Compression: String, Sendable, CaseIterable {
    /// Blocks stored as is (RocksDB kNoCompression, type byte 0x0).
    case none
    /// LZ4 block format (RocksDB kLZ4Compression, type byte 0x4).
    case lz4
    /// zlib raw deflate (RocksDB kZlibCompression, type byte 0x2).
    case zlib
}
