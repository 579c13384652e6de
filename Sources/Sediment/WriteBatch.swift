// WriteBatch: a group of puts and deletes applied atomically, held directly in RocksDB's
// WriteBatch encoding (write_batch.cc), which is also the write-ahead log record payload:
//
//   +-------------------+----------------+------------------------------------------+
//   | fixed64 sequence  | fixed32 count  | records...                               |
//   +-------------------+----------------+------------------------------------------+
//   record: 0x01 varint32 klen key varint32 vlen value    (kTypeValue)
//           0x00 varint32 klen key                        (kTypeDeletion)
//
// The sequence is 0 until the write path assigns one.

/// A group of puts and deletes that `Database.write` applies atomically.
public struct WriteBatch: Sendable {
    /// The encoded batch (header plus records).
    private(set) var rep: [UInt8]

    static let headerSize = 12

    /// An empty batch.
    public init() {
        rep = [UInt8](repeating: 0, count: WriteBatch.headerSize)
    }

    /// A batch over already-encoded bytes (from a log record). Validate with `forEach`.
    init(encoded: [UInt8]) {
        rep = encoded
    }

    /// Adds a put of `value` at `key`.
    public mutating func put(_ key: [UInt8], _ value: [UInt8]) {
        rep.append(ValueKind.value.rawValue)
        rep.appendLengthPrefixed(key)
        rep.appendLengthPrefixed(value)
        setCount(count + 1)
    }

    /// Adds a delete of `key`.
    public mutating func delete(_ key: [UInt8]) {
        rep.append(ValueKind.deletion.rawValue)
        rep.appendLengthPrefixed(key)
        setCount(count + 1)
    }

    /// Removes every operation.
    public mutating func clear() {
        rep = [UInt8](repeating: 0, count: WriteBatch.headerSize)
    }

    /// The number of operations in the batch.
    public var count: Int {
        Int(rep.withUnsafeBytes { $0.loadFixed32(at: 8) })
    }

    /// The bytes the batch occupies in the log.
    public var byteSize: Int { rep.count }

    /// The sequence number of the first operation (assigned by the write path).
    var sequence: SequenceNumber {
        get { rep.withUnsafeBytes { $0.loadFixed64(at: 0) } }
        set {
            rep.withUnsafeMutableBytes { $0.storeBytes(of: newValue.littleEndian, toByteOffset: 0, as: UInt64.self) }
        }
    }

    private mutating func setCount(_ n: Int) {
        rep.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(n).littleEndian, toByteOffset: 8, as: UInt32.self) }
    }

    /// Appends every operation of `other` to this batch.
    mutating func append(_ other: WriteBatch) {
        rep.append(contentsOf: other.rep[WriteBatch.headerSize...])
        setCount(count + other.count)
    }

    /// Calls `body(kind, key, value)` for each operation in order; `value` is empty for deletes.
    /// - Throws: `.corruption` (naming `file`) when the encoding is damaged or the count is wrong,
    ///   `.notSupported` for record types Sediment does not implement.
    func forEach(file: String = "write batch",
                 _ body: (ValueKind, UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) throws {
        try rep.withUnsafeBytes { buf in
            guard buf.count >= WriteBatch.headerSize else {
                throw SedimentError.corruption(file: file, offset: nil, message: "write batch shorter than its header")
            }
            var r = ByteReader(buf, start: WriteBatch.headerSize)
            var seen = 0
            while !r.isAtEnd {
                guard let tag = r.readByte() else { break }
                switch tag {
                case ValueKind.value.rawValue:
                    guard let k = r.readLengthPrefixedRange(), let v = r.readLengthPrefixedRange() else {
                        throw SedimentError.corruption(file: file, offset: nil, message: "bad put record in write batch")
                    }
                    try body(.value, UnsafeRawBufferPointer(rebasing: buf[k]), UnsafeRawBufferPointer(rebasing: buf[v]))
                case ValueKind.deletion.rawValue:
                    guard let k = r.readLengthPrefixedRange() else {
                        throw SedimentError.corruption(file: file, offset: nil, message: "bad delete record in write batch")
                    }
                    try body(.deletion, UnsafeRawBufferPointer(rebasing: buf[k]), UnsafeRawBufferPointer(start: nil, count: 0))
                case 0x2, 0x7, 0xF, 0x11, 0x14, 0x16:
                    throw SedimentError.notSupported(feature: "write batch record type 0x\(hexByte(tag))", file: file)
                case 0x4, 0x5, 0x6, 0x8, 0x9, 0xA, 0xB, 0xC, 0xD, 0xE, 0x10, 0x12:
                    // Column-family records, log data, prepare/commit markers, noop, blob.
                    throw SedimentError.notSupported(feature: "write batch record type 0x\(hexByte(tag))", file: file)
                default:
                    throw SedimentError.corruption(file: file, offset: nil, message: "unknown write batch tag 0x\(hexByte(tag))")
                }
                seen += 1
            }
            guard seen == count else {
                throw SedimentError.corruption(file: file, offset: nil, message: "write batch has \(seen) records but says \(count)")
            }
        }
    }
}
