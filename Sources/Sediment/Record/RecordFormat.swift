// RecordFormat: the constants of the record framing shared by the write-ahead log and the
// MANIFEST, which is LevelDB's and RocksDB's log format (doc/log_format.md). See DESIGN.md §3.
//
// A file is a sequence of 32 KiB blocks. Each block holds physical records; a block tail too
// short for a header (fewer than 7 bytes) is zero-filled and skipped by readers.
//
//   +---------+-----------+-----------+------------------------+
//   | crc: 4  | length: 2 | type: 1   | payload: length bytes  |
//   +---------+-----------+-----------+------------------------+
//   crc    = masked crc32c (fixed32 LE) of the type byte followed by the payload
//   length = fixed16 LE, at most 32768 - 7
//   type   = 1 FULL, 2 FIRST, 3 MIDDLE, 4 LAST
//
// A logical record (one WAL batch, one VersionEdit) that does not fit in the rest of a block
// is cut into FIRST, MIDDLE..., LAST fragments. Type 0 with length 0 is what a preallocated,
// never-written region looks like and reads as the end of the data. Types 5-8 are RocksDB's
// recyclable variants (11-byte header with a log number) and 9 its compression marker; Sediment
// writes none of them and refuses them with `.notSupported`.

/// The physical record types of the log format.
enum RecordType: UInt8, Sendable {
    /// Preallocated space: never written.
    case zero = 0
    /// A whole logical record.
    case full = 1
    /// The first fragment of a logical record.
    case first = 2
    /// An inner fragment.
    case middle = 3
    /// The last fragment.
    case last = 4
}

/// Sizes and codes of the record framing.
enum RecordFormat {
    /// Bytes in a block.
    static let blockSize = 32 * 1024
    /// Bytes in a physical record header: crc (4), length (2), type (1).
    static let headerSize = 7
    /// Bytes in a recyclable record header (RocksDB): the header plus a fixed32 log number.
    static let recyclableHeaderSize = 11
    /// RocksDB's recyclable record types (kRecyclableFullType ... kRecyclableLastType).
    static let recyclableTypes: ClosedRange<UInt8> = 5...8
    /// RocksDB's kSetCompressionType: the log's records are compressed.
    static let setCompressionType: UInt8 = 9
    /// Record types with this bit set may be skipped by readers that do not know them.
    static let safeToIgnoreMask: UInt8 = 0x80

    /// The masked crc32c stored in a header: over the type byte, then the payload.
    static func checksum(type: UInt8, payload: UnsafeRawBufferPointer) -> UInt32 {
        let typeCRC = withUnsafeBytes(of: type) { CRC32C.compute($0) }
        return CRC32C.mask(CRC32C.compute(payload, extending: typeCRC))
    }
}
