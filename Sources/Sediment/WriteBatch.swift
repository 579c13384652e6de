// WriteBatch: a group of puts and deletes applied atomically, held directly in RocksDB's
// WriteBatch encoding (write_batch.cc), which is also the write-ahead log record payload:
//
//   +-------------------+----------------+------------------------------------------+
//   | fixed64 sequence  | fixed32 count  | records...                               |
//   +-------------------+----------------+------------------------------------------+
//   record: 0x01 varint32 klen key varint32 vlen value    (kTypeValue)
//           0x00 varint32 klen key                        (kTypeDeletion)
//           0x05 varint32 cf, then as 0x01; 0x04 varint32 cf, then as 0x00  (cf 0 only)
//           0x03 varint32 len blob (log data), 0x0D (noop): skipped, not counted
// Every other RocksDB record type (merge, single/range deletion, blob index, 2PC markers,
// timestamps, wide columns, other column families) is `.notSupported` naming the feature.
//
// The sequence is 0 until the write path assigns one.
//
// A key or value over `Database.maxKeySize` / `Database.maxValueSize` is not encoded: the batch
// remembers the first one (`refusal`) and `Database.write` refuses the whole batch with
// `.invalidArgument`, so `put` and `delete` stay non-throwing as in RocksDB's C++ API.

/// A group of puts and deletes that `Database.write` applies atomically.
public struct WriteBatch: Sendable {
    /// The encoded batch (header plus records).
    private(set) var rep: [UInt8]

    /// Why the batch cannot be written: the first put or delete whose key or value was over
    /// the limits (or that took the count past UInt32), which was left out. nil for a good batch.
    private(set) var refusal: String?

    static let headerSize = 12

    /// An empty batch.
    public init() {
        rep = [UInt8](repeating: 0, count: WriteBatch.headerSize)
    }

    /// An empty batch whose buffer already has room for `byteCount` bytes of records.
    init(reservingCapacity byteCount: Int) {
        // One allocation with the zeroed header written in place.
        rep = [UInt8](unsafeUninitializedCapacity: WriteBatch.headerSize + byteCount) { buffer, count in
            buffer.baseAddress?.initialize(repeating: 0, count: WriteBatch.headerSize)
            count = WriteBatch.headerSize
        }
    }

    /// The encoded size of a put record of these lengths.
    static func putRecordSize(keyCount: Int, valueCount: Int) -> Int {
        1 + varintLength(UInt64(keyCount)) + keyCount + varintLength(UInt64(valueCount)) + valueCount
    }

    /// The encoded size of a delete record of this key length.
    static func deleteRecordSize(keyCount: Int) -> Int {
        1 + varintLength(UInt64(keyCount)) + keyCount
    }

    /// A batch over already-encoded bytes (from a log record). Validate with `forEach`.
    init(encoded: [UInt8]) {
        rep = encoded
    }

    /// Adds a put of `value` at `key`.
    ///
    /// A key over `Database.maxKeySize` bytes or a value over `Database.maxValueSize` is not
    /// added, and `Database.write` then refuses the batch with `.invalidArgument`.
    public mutating func put(_ key: [UInt8], _ value: [UInt8]) {
        guard admits(key: key.count, value: value.count) else { return }
        rep.append(ValueKind.value.rawValue)
        rep.appendLengthPrefixed(key)
        rep.appendLengthPrefixed(value)
        setCount(count + 1)
    }

    /// Adds a delete of `key`.
    ///
    /// A key over `Database.maxKeySize` bytes is not added, and `Database.write` then refuses
    /// the batch with `.invalidArgument`.
    public mutating func delete(_ key: [UInt8]) {
        guard admits(key: key.count, value: 0) else { return }
        rep.append(ValueKind.deletion.rawValue)
        rep.appendLengthPrefixed(key)
        setCount(count + 1)
    }

    /// Removes every operation.
    public mutating func clear() {
        rep = [UInt8](repeating: 0, count: WriteBatch.headerSize)
        refusal = nil
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

    /// The sequence number of the last operation, or nil for an empty batch. - Precondition:
    /// the numbers fit (`Recovery.validate` checks a batch read from a log).
    var lastSequence: SequenceNumber? {
        count > 0 ? sequence + UInt64(count) - 1 : nil
    }

    /// RocksDB's record types (db/dbformat.h) Sediment recognises only to refuse, by the
    /// feature they need.
    private static let unsupportedRecords: [UInt8: String] = [
        0x2: "merge operand", 0x6: "merge operand in a column family",
        0x7: "single deletion", 0x8: "single deletion in a column family",
        0x9: "transaction prepare marker", 0xA: "transaction prepare marker",
        0xB: "transaction commit marker", 0xC: "transaction rollback marker",
        0xE: "range deletion in a column family", 0xF: "range deletion",
        0x10: "blob index in a column family", 0x11: "blob index",
        0x12: "transaction prepare marker", 0x13: "transaction unprepare marker",
        0x14: "deletion with timestamp", 0x15: "transaction commit marker with timestamp",
        0x16: "wide-column entity", 0x17: "wide-column entity in a column family",
    ]

    /// True when an operation with these lengths may be added; otherwise records why not (the
    /// first reason only) and returns false.
    private mutating func admits(key keyCount: Int, value valueCount: Int) -> Bool {
        guard refusal == nil else { return false }
        if let reason = Database.sizeViolation(keyCount: keyCount, valueCount: valueCount) {
            refusal = "operation \(count): " + reason
            return false
        }
        if count == Int(UInt32.max) {
            refusal = "more than \(UInt32.max) operations in one batch"
            return false
        }
        return true
    }

    private mutating func setCount(_ n: Int) {
        rep.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(n).littleEndian, toByteOffset: 8, as: UInt32.self) }
    }

    /// Appends one put (or, for `.deletion`, delete; `value` is then ignored).
    mutating func add(_ kind: ValueKind, _ key: [UInt8], _ value: [UInt8]) {
        if kind == .value { put(key, value) } else { delete(key) }
    }

    /// Empties the batch and zeroes its header, keeping the buffer's capacity.
    mutating func resetKeepingCapacity() {
        rep.removeSubrange(WriteBatch.headerSize...)
        for i in 0..<WriteBatch.headerSize { rep[i] = 0 }
    }

    /// Bytes the batch's buffer can hold without growing.
    var capacity: Int { rep.capacity }

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
                // Column-family records (0x4, 0x5) carry a varint32 family id; family 0 is the
                // default family, the same as the plain record.
                var kind = tag
                if tag == 0x4 || tag == 0x5 {
                    guard let family = r.readVarint32() else {
                        throw SedimentError.corruption(file: file, offset: nil, message: "bad column family id in write batch")
                    }
                    guard family == 0 else {
                        throw SedimentError.notSupported(feature: "column family \(family) (only the default family)", file: file)
                    }
                    kind = tag == 0x4 ? ValueKind.deletion.rawValue : ValueKind.value.rawValue
                }
                switch kind {
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
                case 0x3:
                    // kTypeLogData: an application blob that is not an operation (not counted).
                    guard r.readLengthPrefixedRange() != nil else {
                        throw SedimentError.corruption(file: file, offset: nil, message: "bad log data record in write batch")
                    }
                    continue
                case 0xD:
                    continue // kTypeNoop: a placeholder RocksDB leaves in batches (not counted).
                default:
                    if let feature = WriteBatch.unsupportedRecords[kind] {
                        throw SedimentError.notSupported(feature: "\(feature) (write batch record type 0x\(hexByte(kind)))", file: file)
                    }
                    throw SedimentError.corruption(file: file, offset: nil, message: "unknown write batch tag 0x\(hexByte(kind))")
                }
                seen += 1
            }
            guard seen == count else {
                throw SedimentError.corruption(file: file, offset: nil, message: "write batch has \(seen) records but says \(count)")
            }
        }
    }
}
