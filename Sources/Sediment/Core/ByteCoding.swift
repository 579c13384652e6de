// ByteCoding: little-endian fixed-width integers and LEB128 varints, as every RocksDB/LevelDB
// format uses them (coding.h). Encoders append to `[UInt8]`; decoders read from raw buffers and
// return nil on truncated or over-long input instead of trapping, so callers can turn bad bytes
// into `SedimentError.corruption`.

extension Array where Element == UInt8 {
    /// Appends `value` as 4 little-endian bytes.
    @inline(__always) mutating func appendFixed32(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 24))
    }

    /// Appends `value` as 8 little-endian bytes.
    @inline(__always) mutating func appendFixed64(_ value: UInt64) {
        appendFixed32(UInt32(truncatingIfNeeded: value))
        appendFixed32(UInt32(truncatingIfNeeded: value >> 32))
    }

    /// Appends `value` as a varint (7 bits a byte, high bit = more), at most 5 bytes.
    @inline(__always) mutating func appendVarint32(_ value: UInt32) {
        appendVarint64(UInt64(value))
    }

    /// Appends `value` as a varint, at most 10 bytes.
    @inline(__always) mutating func appendVarint64(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        append(UInt8(v))
    }

    /// Appends a varint length followed by the bytes (RocksDB's length-prefixed slice).
    mutating func appendLengthPrefixed(_ bytes: some Collection<UInt8>) {
        appendVarint32(UInt32(bytes.count))
        append(contentsOf: bytes)
    }
}

/// The number of bytes `value` takes as a varint.
@inline(__always) func varintLength(_ value: UInt64) -> Int {
    var v = value
    var n = 1
    while v >= 0x80 {
        v >>= 7
        n += 1
    }
    return n
}

extension UnsafeRawBufferPointer {
    /// The little-endian UInt32 at `offset`. - Precondition: `offset + 4 <= count`.
    @inline(__always) func loadFixed32(at offset: Int) -> UInt32 {
        UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// The little-endian UInt64 at `offset`. - Precondition: `offset + 8 <= count`.
    @inline(__always) func loadFixed64(at offset: Int) -> UInt64 {
        UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Decodes a varint32 starting at `offset`, not reading at or past `limit`.
    /// - Returns: the value and the offset just past it, or nil when truncated or too long.
    @inline(__always) func decodeVarint32(at offset: Int, limit: Int) -> (value: UInt32, next: Int)? {
        guard offset < limit else { return nil }
        let first = self[offset]
        if first < 0x80 { return (UInt32(first), offset + 1) }
        guard let (v, next) = decodeVarint64(at: offset, limit: limit), v <= UInt64(UInt32.max) else { return nil }
        return (UInt32(v), next)
    }

    /// Decodes a varint64 starting at `offset`, not reading at or past `limit`.
    /// - Returns: the value and the offset just past it, or nil when truncated or too long.
    func decodeVarint64(at offset: Int, limit: Int) -> (value: UInt64, next: Int)? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var p = offset
        while p < limit && shift <= 63 {
            let byte = self[p]
            p += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return (result, p) }
            shift += 7
        }
        return nil
    }
}

/// A forward reader over a byte buffer for decoding records (VersionEdit, WriteBatch, properties).
/// Every read returns nil instead of trapping when the input is short.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int
    let limit: Int

    /// A reader over `bytes[start..<limit]`.
    init(_ bytes: UnsafeRawBufferPointer, start: Int = 0, limit: Int? = nil) {
        self.bytes = bytes
        self.offset = start
        self.limit = limit ?? bytes.count
    }

    /// True when every byte has been consumed.
    var isAtEnd: Bool { offset >= limit }
    /// Bytes not yet consumed.
    var remaining: Int { limit - offset }

    mutating func readByte() -> UInt8? {
        guard offset < limit else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readFixed32() -> UInt32? {
        guard remaining >= 4 else { return nil }
        defer { offset += 4 }
        return bytes.loadFixed32(at: offset)
    }

    mutating func readFixed64() -> UInt64? {
        guard remaining >= 8 else { return nil }
        defer { offset += 8 }
        return bytes.loadFixed64(at: offset)
    }

    mutating func readVarint32() -> UInt32? {
        guard let (v, n) = bytes.decodeVarint32(at: offset, limit: limit) else { return nil }
        offset = n
        return v
    }

    mutating func readVarint64() -> UInt64? {
        guard let (v, n) = bytes.decodeVarint64(at: offset, limit: limit) else { return nil }
        offset = n
        return v
    }

    /// Reads `count` bytes as a new array.
    mutating func readBytes(_ count: Int) -> [UInt8]? {
        guard count >= 0, remaining >= count else { return nil }
        defer { offset += count }
        return Array(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count]))
    }

    /// Reads a varint32 length and that many bytes.
    mutating func readLengthPrefixed() -> [UInt8]? {
        let save = offset
        guard let n = readVarint32(), let b = readBytes(Int(n)) else {
            offset = save
            return nil
        }
        return b
    }

    /// Reads a varint32 length and returns the range of the bytes that follow, without copying.
    mutating func readLengthPrefixedRange() -> Range<Int>? {
        let save = offset
        guard let n = readVarint32(), remaining >= Int(n) else {
            offset = save
            return nil
        }
        defer { offset += Int(n) }
        return offset..<offset + Int(n)
    }
}
