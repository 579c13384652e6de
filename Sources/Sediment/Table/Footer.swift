// Footer: the fixed-size tail of every table, pointing at the metaindex and index blocks.
// See DESIGN.md §6 "Footer".
//
// format_version >= 1 (what Sediment writes, as RocksDB format_version 5 does), 53 bytes:
//
//   +----------+------------------+---------------+---------+-----------+-------------+
//   | checksum | metaindex handle | index handle  | zero    | fixed32   | fixed64     |
//   | type (1) | (varints)        | (varints)     | padding | version   | magic       |
//   +----------+------------------+---------------+---------+-----------+-------------+
//   |<-- 1 -->|<------------- 40 bytes: handles + padding --->|<-- 4 -->|<--- 8 --->|
//
// format_version 0 (LevelDB-compatible "legacy" block-based), 48 bytes:
//
//   | metaindex handle | index handle | zero padding (to 40) | fixed64 legacy magic |
//
// Magic numbers: block-based 0x88e241b785f4cff7, legacy block-based 0xdb4775248b80fb57.
// Plain- and cuckoo-table magics are recognised only to be rejected with `.notSupported`.

/// The decoded footer of a table file.
struct Footer: Equatable, Sendable {
    /// RocksDB's format_version: 0 for legacy tables, 1...5 otherwise.
    var formatVersion: UInt32
    /// How block trailers are checksummed (legacy tables: crc32c).
    var checksum: ChecksumType
    /// Where the metaindex block is.
    var metaindexHandle: BlockHandle
    /// Where the (top-level) index block is.
    var indexHandle: BlockHandle

    /// RocksDB's kBlockBasedTableMagicNumber.
    static let blockBasedMagic: UInt64 = 0x88e2_41b7_85f4_cff7
    /// RocksDB's kLegacyBlockBasedTableMagicNumber (LevelDB's table magic).
    static let legacyBlockBasedMagic: UInt64 = 0xdb47_7524_8b80_fb57
    private static let plainMagic: UInt64 = 0x8242_2296_63bf_9564
    private static let legacyPlainMagic: UInt64 = 0x4f34_18eb_7a8f_13b8
    private static let cuckooMagic: UInt64 = 0x9267_89d0_c5f1_7873

    /// Size of a format_version >= 1 footer.
    static let encodedLength = 53
    /// Size of a format_version 0 footer.
    static let legacyEncodedLength = 48
    /// The newest format_version Sediment reads (RocksDB 7.8 writes at most 5).
    static let newestFormatVersion: UInt32 = 5

    /// Encodes a format_version >= 1 footer (exactly `encodedLength` bytes).
    func encode() -> [UInt8] {
        var out: [UInt8] = [checksum.rawValue]
        metaindexHandle.encode(into: &out)
        indexHandle.encode(into: &out)
        out.append(contentsOf: repeatElement(0, count: 1 + 2 * BlockHandle.maxEncodedLength - out.count))
        out.appendFixed32(formatVersion)
        out.appendFixed64(Footer.blockBasedMagic)
        return out
    }

    /// Decodes the footer from the last bytes of a file.
    /// - Parameters:
    ///   - tail: the last `min(fileSize, encodedLength)` bytes of the file.
    ///   - fileSize: the size of the whole file.
    ///   - file: the path, for errors.
    /// - Throws: `.corruption` naming the file and offset on a short file, bad magic, bad
    ///   handles, unknown checksum type; `.notSupported` for plain tables and newer versions.
    static func decode(tail: UnsafeRawBufferPointer, fileSize: UInt64, file: String) throws -> Footer {
        guard tail.count >= legacyEncodedLength, UInt64(tail.count) <= fileSize else {
            throw SedimentError.corruption(file: file, offset: 0,
                                           message: "file is too short (\(fileSize) bytes) to be an sstable")
        }
        let magicOffset = Int64(fileSize) - 8
        let magic = tail.loadFixed64(at: tail.count - 8)
        let handlesStart: Int
        var version: UInt32 = 0
        var checksum = ChecksumType.crc32c
        switch magic {
        case legacyBlockBasedMagic:
            handlesStart = tail.count - legacyEncodedLength
        case blockBasedMagic:
            guard tail.count >= encodedLength else {
                throw SedimentError.corruption(file: file, offset: 0,
                                               message: "file is too short (\(fileSize) bytes) to be an sstable")
            }
            let start = tail.count - encodedLength
            version = tail.loadFixed32(at: tail.count - 12)
            guard version >= 1 else {
                throw SedimentError.corruption(file: file, offset: magicOffset - 4,
                                               message: "format_version 0 with the block-based magic number")
            }
            guard version <= newestFormatVersion else {
                throw SedimentError.notSupported(feature: "table format_version \(version)", file: file)
            }
            guard let c = ChecksumType(rawValue: tail[start]) else {
                throw SedimentError.corruption(file: file, offset: Int64(fileSize) - Int64(encodedLength),
                                               message: "unknown checksum type \(tail[start]) in the footer")
            }
            checksum = c
            handlesStart = start + 1
        case plainMagic, legacyPlainMagic:
            throw SedimentError.notSupported(feature: "plain table format", file: file)
        case cuckooMagic:
            throw SedimentError.notSupported(feature: "cuckoo table format", file: file)
        default:
            throw SedimentError.corruption(
                file: file, offset: magicOffset,
                message: "bad table magic number 0x\(String(magic, radix: 16)) (not an sstable)")
        }
        let limit = handlesStart + 2 * BlockHandle.maxEncodedLength
        guard let (meta, p) = BlockHandle.decode(tail, at: handlesStart, limit: limit),
              let (index, _) = BlockHandle.decode(tail, at: p, limit: limit) else {
            throw SedimentError.corruption(file: file, offset: Int64(fileSize) - Int64(tail.count - handlesStart),
                                           message: "bad block handles in the footer")
        }
        let footerStart = fileSize - UInt64(tail.count - handlesStart + (magic == blockBasedMagic ? 1 : 0))
        for (name, h) in [("metaindex", meta), ("index", index)] {
            let (end, overflow) = h.offset.addingReportingOverflow(h.size &+ UInt64(blockTrailerSize))
            // At most 4 GiB - 1 bytes, as every block (BlockReader.checkedCount).
            guard !overflow, h.size <= UInt64(UInt32.max), end <= footerStart else {
                throw SedimentError.corruption(file: file, offset: Int64(footerStart),
                                               message: "footer's \(name) handle (offset \(h.offset), size \(h.size)) points past the data")
            }
        }
        return Footer(formatVersion: version, checksum: checksum, metaindexHandle: meta, indexHandle: index)
    }
}
