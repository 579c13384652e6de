// BlockCompression: the only caller of the C compression libraries. RocksDB frames a compressed
// block by the table's format_version (its "compress_format_version", DESIGN.md §6 Compression).
// format_version >= 2, which Sediment writes and reads:
//
//   +----------------------------------+-------------------------------+
//   | varint32: uncompressed byte size | codec output                  |
//   +----------------------------------+-------------------------------+
//
// format_version 0 and 1 (read only):
//
//   LZ4:  | uncompressed size: 8 bytes, a native size_t; the low 4 (little-endian) are read | LZ4 output |
//   zlib: | raw deflate stream (no size: inflated into a growing buffer, bounded) |
//
//   type 0x0 kNoCompression   block stored as is (no size prefix)
//   type 0x2 kZlibCompression raw deflate (windowBits -14, level Z_DEFAULT_COMPRESSION)
//   type 0x4 kLZ4Compression  LZ4 block format (LZ4_compress_default)
//
// A compressed block is kept only when it saves at least 12.5% (RocksDB's GoodCompressionRatio).
import CLZ4
import CZlib

/// RocksDB's CompressionType byte as stored in a block trailer.
enum BlockCompressionType: UInt8, Sendable {
    case none = 0x0
    case snappy = 0x1
    case zlib = 0x2
    case bzip2 = 0x3
    case lz4 = 0x4
    case lz4hc = 0x5
    case xpress = 0x6
    case zstd = 0x7

    /// RocksDB's name for the type, as printed in table properties.
    var name: String {
        switch self {
        case .none: "NoCompression"
        case .snappy: "Snappy"
        case .zlib: "Zlib"
        case .bzip2: "BZip2"
        case .lz4: "LZ4"
        case .lz4hc: "LZ4HC"
        case .xpress: "Xpress"
        case .zstd: "ZSTD"
        }
    }

    init(_ compression: Compression) {
        switch compression {
        case .none: self = .none
        case .lz4: self = .lz4
        case .zlib: self = .zlib
        }
    }
}

/// How a table frames its compressed blocks: RocksDB's compress_format_version, which follows
/// from the footer's format_version (`GetCompressFormatForVersion`: 2 from format_version 2 on,
/// else 1).
enum CompressedBlockFraming: Sendable {
    /// format_version 0 and 1: an LZ4 block starts with an 8-byte native `size_t` holding the
    /// uncompressed size (little-endian on the machines RocksDB runs on, so its low 4 bytes come
    /// first); a zlib block is the bare deflate stream, its size known only once inflated.
    case legacy
    /// format_version >= 2: `varint32 uncompressed size | codec output`.
    case sizePrefixed

    /// The framing of a table with footer format_version `formatVersion`.
    init(formatVersion: UInt32) {
        self = formatVersion >= 2 ? .sizePrefixed : .legacy
    }
}

enum BlockCompression {
    /// Compresses `raw` with `type`. Returns nil when the codec fails or when the result does
    /// not save at least 12.5%, in which case the caller stores the block uncompressed.
    static func compress(_ raw: UnsafeRawBufferPointer, type: BlockCompressionType) -> [UInt8]? {
        guard type != .none, raw.count > 0, raw.count <= Int(Int32.max) else { return nil }
        var out: [UInt8] = []
        out.appendVarint32(UInt32(raw.count))
        switch type {
        case .lz4:
            // Compress straight into the array's spare capacity: no zero fill of the bound, no
            // trim afterwards (a zero fill was a memset per block on every flush).
            let header = out
            let bound = Int(LZ4_compressBound(Int32(raw.count)))
            out = [UInt8](unsafeUninitializedCapacity: header.count + bound) { buffer, count in
                count = 0
                guard let base = buffer.baseAddress else { return }
                header.withUnsafeBufferPointer { h in
                    if let hb = h.baseAddress { base.update(from: hb, count: h.count) }
                }
                let n = LZ4_compress_default(
                    raw.baseAddress?.assumingMemoryBound(to: CChar.self),
                    UnsafeMutableRawPointer(base + header.count).assumingMemoryBound(to: CChar.self),
                    Int32(raw.count), Int32(bound))
                if n > 0 { count = header.count + Int(n) }
            }
            guard out.count > header.count else { return nil }
        case .zlib:
            guard let body = deflateRaw(raw) else { return nil }
            out.append(contentsOf: body)
        default:
            return nil
        }
        // Keep only if compressed size < raw - raw/8.
        guard out.count < raw.count - raw.count / 8 else { return nil }
        return out
    }

    /// Decompresses a block's stored bytes (`data`, without the trailer), framed as `framing`
    /// says (the table's format_version), into an array.
    /// - Throws: `.corruption` naming `file`/`offset` when the framing is damaged or the data
    ///   does not decompress to its recorded size; `.notSupported` for types other than LZ4
    ///   and zlib.
    static func decompress(_ data: UnsafeRawBufferPointer, type: BlockCompressionType,
                           framing: CompressedBlockFraming = .sizePrefixed,
                           file: String, offset: UInt64) throws -> [UInt8] {
        let (buffer, count) = try decompressToBuffer(data, type: type, framing: framing, file: file, offset: offset)
        defer { buffer.deallocate() }
        return Array(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
    }

    /// Decompresses into a new buffer (at least one byte) that the caller owns and must
    /// deallocate, written in place by the decompressor: no zero fill, no copy.
    /// - Returns: the buffer and the decompressed size.
    /// - Throws: as `decompress`; the buffer is freed when it throws.
    static func decompressToBuffer(_ data: UnsafeRawBufferPointer, type: BlockCompressionType,
                                   framing: CompressedBlockFraming = .sizePrefixed,
                                   file: String, offset: UInt64) throws -> (UnsafeMutableRawBufferPointer, Int) {
        func corrupt(_ m: String) -> SedimentError {
            .corruption(file: file, offset: Int64(offset), message: m)
        }
        guard type == .lz4 || type == .zlib else {
            throw SedimentError.notSupported(feature: "\(type.name) block compression", file: file)
        }
        // One branch per block: the size comes from the varint prefix, or (format_version < 2)
        // from LZ4's 8-byte header; legacy zlib has none and is inflated without a known size.
        let size: UInt32
        let input: UnsafeRawBufferPointer
        switch framing {
        case .sizePrefixed:
            guard let (prefixed, start) = data.decodeVarint32(at: 0, limit: data.count) else {
                throw corrupt("bad uncompressed-size prefix in a \(type.name) block")
            }
            size = prefixed
            input = UnsafeRawBufferPointer(rebasing: data[start...])
        case .legacy:
            guard type == .lz4 else { return try inflateLegacy(data, corrupt) }
            guard data.count >= legacyLZ4HeaderBytes else {
                throw corrupt("\(data.count)-byte LZ4 block is shorter than its \(legacyLZ4HeaderBytes)-byte size header (format_version < 2)")
            }
            size = data.loadFixed32(at: 0)
            input = UnsafeRawBufferPointer(rebasing: data[legacyLZ4HeaderBytes...])
        }
        // Reject absurd sizes before allocating (`maxDecompressedBytes`: no block the engine
        // compresses is over Int32.max bytes, and neither codec expands its input more than
        // `maxExpansion` times).
        guard input.count <= Int(Int32.max), Int(size) <= maxDecompressedBytes(input.count, type) else {
            throw corrupt("absurd uncompressed size \(size) for \(input.count) bytes in a \(type.name) block")
        }
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: max(Int(size), 1), alignment: 8)
        if size == 0 { return (out, 0) }
        let dst = UnsafeMutableRawBufferPointer(rebasing: out[0..<Int(size)])
        switch type {
        case .lz4:
            let n = LZ4_decompress_safe(
                input.baseAddress?.assumingMemoryBound(to: CChar.self),
                dst.baseAddress?.assumingMemoryBound(to: CChar.self),
                Int32(input.count), Int32(size))
            guard n == Int32(size) else {
                out.deallocate()
                throw corrupt("LZ4 block does not decompress to its recorded size")
            }
        default:
            guard inflateRaw(input, into: dst) else {
                out.deallocate()
                throw corrupt("zlib block does not decompress")
            }
        }
        return (out, Int(size))
    }

    /// The bytes of the uncompressed-size header of an LZ4 block in a format_version 0/1 table.
    static let legacyLZ4HeaderBytes = 8

    /// The most bytes `inputCount` stored bytes of `type` can decompress to (at most
    /// Int32.max, the largest block the engine hands a codec).
    static func maxDecompressedBytes(_ inputCount: Int, _ type: BlockCompressionType) -> Int {
        Int(min(UInt64(Int32.max), UInt64(inputCount) * maxExpansion(type) + 64))
    }

    /// Inflates the bare deflate stream of a zlib block from a format_version 0/1 table, whose
    /// size is not recorded: into a buffer that starts at 4x the input (at least 4 KiB) and
    /// doubles, never past `maxDecompressedBytes`, so a corrupt block cannot claim unbounded
    /// memory. Returns the buffer (caller owns it) and the inflated size.
    /// - Throws: `corrupt(...)` when the stream is malformed, ends before its end marker, or
    ///   would inflate past the bound.
    private static func inflateLegacy(_ input: UnsafeRawBufferPointer,
                                      _ corrupt: (String) -> SedimentError) throws -> (UnsafeMutableRawBufferPointer, Int) {
        let limit = maxDecompressedBytes(input.count, .zlib)
        guard input.count <= Int(Int32.max) else {
            throw corrupt("zlib block of \(input.count) bytes is too large")
        }
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw corrupt("zlib block: inflateInit failed")
        }
        defer { inflateEnd(&stream) }
        var out = UnsafeMutableRawBufferPointer.allocate(
            byteCount: min(limit, max(4096, input.count * 4)), alignment: 8)
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        var written = 0
        while true {
            let space = UnsafeMutableRawBufferPointer(rebasing: out[written...])
            stream.next_out = space.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(space.count)
            let r = inflate(&stream, Z_NO_FLUSH)
            written = out.count - Int(stream.avail_out)
            if r == Z_STREAM_END { return (out, written) }
            // Z_OK or Z_BUF_ERROR with the output full: grow; with output room left, the input
            // ran out before the stream's end; anything else is malformed data.
            guard r == Z_OK || r == Z_BUF_ERROR else {
                out.deallocate()
                throw corrupt("zlib block does not decompress (inflate returned \(r))")
            }
            guard stream.avail_out == 0 else {
                out.deallocate()
                throw corrupt("zlib block ends before its deflate stream does")
            }
            guard out.count < limit else {
                out.deallocate()
                throw corrupt("zlib block inflates past \(limit) bytes, the most \(input.count) stored bytes can hold")
            }
            let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: min(limit, out.count * 2), alignment: 8)
            grown.copyMemory(from: UnsafeRawBufferPointer(rebasing: out[0..<written]))
            out.deallocate()
            out = grown
        }
    }

    /// The most `type`'s decoder can output per input byte: an LZ4 sequence byte of 255 extends
    /// a match by 255 bytes; deflate's limit is 1032:1 (258-byte matches in about two bits).
    static func maxExpansion(_ type: BlockCompressionType) -> UInt64 {
        type == .lz4 ? 255 : 1032
    }

    private static func deflateRaw(_ raw: UnsafeRawBufferPointer) -> [UInt8]? {
        var stream = z_stream()
        guard deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -14, 8, Z_DEFAULT_STRATEGY,
                            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(raw.count)))
        var out = [UInt8](repeating: 0, count: bound)
        let ok = out.withUnsafeMutableBytes { dst -> Bool in
            stream.next_in = UnsafeMutablePointer(mutating: raw.baseAddress!.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(raw.count)
            stream.next_out = dst.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(bound)
            return deflate(&stream, Z_FINISH) == Z_STREAM_END
        }
        guard ok else { return nil }
        out.removeLast(bound - Int(stream.total_out))
        return out
    }

    private static func inflateRaw(_ input: UnsafeRawBufferPointer, into dst: UnsafeMutableRawBufferPointer) -> Bool {
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return false }
        defer { inflateEnd(&stream) }
        let expected = dst.count
        guard let out = dst.baseAddress else { return false }
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        stream.next_out = out.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(expected)
        let r = inflate(&stream, Z_FINISH)
        return r == Z_STREAM_END && Int(stream.total_out) == expected
    }
}
