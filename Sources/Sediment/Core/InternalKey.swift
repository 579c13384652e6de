// InternalKey: the key every internal structure sorts by, in RocksDB's layout:
//
//   +----------------+--------------------------------------------+
//   | user key bytes | fixed64 LE: (sequence << 8) | ValueKind     |
//   +----------------+--------------------------------------------+
//
// Ordered by user key ascending (bytewise, `leveldb.BytewiseComparator`), then by the packed
// trailer descending, so the newest version of a key comes first. See DESIGN.md §6.

import Glibc

/// A sequence number: 56 bits, increasing with every write the database applies.
public typealias SequenceNumber = UInt64

/// The largest representable sequence number (RocksDB's kMaxSequenceNumber).
let maxSequenceNumber: SequenceNumber = (1 << 56) - 1

/// RocksDB's value types (db/dbformat.h). Sediment writes `.deletion` and `.value`; it reads the
/// others only to reject them with `.notSupported` where they would change meaning.
public enum ValueKind: UInt8, Sendable {
    case deletion = 0x0
    case value = 0x1
    case merge = 0x2
    case singleDeletion = 0x7
    case rangeDeletion = 0xF
    case blobIndex = 0x11
    case deletionWithTimestamp = 0x14
    case wideColumnEntity = 0x16

    /// The kind used when seeking: the highest code, so a seek key sorts before every entry
    /// with the same user key and sequence (RocksDB's kValueTypeForSeek).
    static let forSeek: ValueKind = .wideColumnEntity

    /// The short name in Pebble's notation (`a#5,SET`).
    var shortName: String {
        switch self {
        case .deletion: "DEL"
        case .value: "SET"
        case .merge: "MERGE"
        case .singleDeletion: "SINGLEDEL"
        case .rangeDeletion: "RANGEDEL"
        case .blobIndex: "BLOBIDX"
        case .deletionWithTimestamp: "DELTS"
        case .wideColumnEntity: "ENTITY"
        }
    }
}

/// Packs a sequence number and kind into the 8-byte trailer value.
@inline(__always) func packSequenceAndKind(_ sequence: SequenceNumber, _ kind: ValueKind) -> UInt64 {
    (sequence << 8) | UInt64(kind.rawValue)
}

/// An owned internal key: user key plus sequence and kind.
struct InternalKey: Hashable, Sendable, CustomStringConvertible {
    var userKey: [UInt8]
    var sequence: SequenceNumber
    var kind: ValueKind

    init(userKey: [UInt8], sequence: SequenceNumber, kind: ValueKind) {
        self.userKey = userKey
        self.sequence = sequence
        self.kind = kind
    }

    /// Decodes an encoded internal key; nil when shorter than 8 bytes or with an unknown kind.
    init?(encoded: some Collection<UInt8>) {
        let bytes = Array(encoded)
        guard bytes.count >= 8 else { return nil }
        let trailer = bytes.withUnsafeBytes { $0.loadFixed64(at: bytes.count - 8) }
        guard let kind = ValueKind(rawValue: UInt8(truncatingIfNeeded: trailer)) else { return nil }
        self.userKey = Array(bytes[0..<bytes.count - 8])
        self.sequence = trailer >> 8
        self.kind = kind
    }

    /// The encoded form: user key followed by the fixed64 trailer.
    var encoded: [UInt8] {
        var out = userKey
        out.reserveCapacity(userKey.count + 8)
        out.appendFixed64(packSequenceAndKind(sequence, kind))
        return out
    }

    /// Pebble's notation, e.g. `a#5,SET`; non-printable bytes are shown as `\xNN`.
    var description: String {
        "\(printableKey(userKey))#\(sequence),\(kind.shortName)"
    }
}

/// Renders key bytes readably: printable ASCII as is, other bytes as `\xNN`.
func printableKey(_ bytes: some Sequence<UInt8>) -> String {
    var s = ""
    for b in bytes {
        if b >= 0x20 && b < 0x7F && b != 0x5C { s.unicodeScalars.append(Unicode.Scalar(b)) } else {
            s += "\\x" + hexByte(b)
        }
    }
    return s
}

/// Two uppercase hex digits.
func hexByte(_ b: UInt8) -> String {
    let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F"]
    return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
}

/// Bytewise comparison of two raw buffers (memcmp order, then length).
@inline(__always) func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    // Short keys (the usual case) compare eight bytes at a time without calling memcmp.
    if min(a.count, b.count) > 64, let pa = a.baseAddress, let pb = b.baseAddress {
        let r = memcmp(pa, pb, min(a.count, b.count))
        if r != 0 { return r < 0 ? -1 : 1 }
        return a.count < b.count ? -1 : (a.count > b.count ? 1 : 0)
    }
    guard let pa = a.baseAddress else { return b.count == 0 ? 0 : -1 }
    return compareUserKeys(pa, a.count, b)
}

/// Bytewise comparison of two arrays.
func compareBytes(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in compareBytes(pa, pb) } }
}

/// Compares two encoded internal keys: user key ascending, then trailer descending.
/// - Precondition: both are at least 8 bytes.
@inline(__always) func compareInternalKeys(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let ua = UnsafeRawBufferPointer(rebasing: a[0..<a.count - 8])
    let ub = UnsafeRawBufferPointer(rebasing: b[0..<b.count - 8])
    let c = compareBytes(ua, ub)
    if c != 0 { return c }
    let ta = a.loadFixed64(at: a.count - 8)
    let tb = b.loadFixed64(at: b.count - 8)
    return ta > tb ? -1 : (ta < tb ? 1 : 0)
}

/// Compares two encoded internal keys held in arrays.
func compareInternalKeys(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in compareInternalKeys(pa, pb) } }
}

/// The comparator name RocksDB records in tables and the MANIFEST.
let bytewiseComparatorName = "leveldb.BytewiseComparator"
