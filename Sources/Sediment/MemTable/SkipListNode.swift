// SkipListNode: the byte layout of one skip-list node in the arena, and the raw-pointer key
// comparison the skip list searches with. See DESIGN.md §5.
//
//   node address - 8*(h-1)                       node address (what links point to)
//   |                                            |
//   v                                            v
//   +----------+-----+----------+----------------+---------+------------------------------------+
//   | next[h-1]| ... | next[1]  | next[0]        | height  | entry                              |
//   | 8 bytes  |     | 8 bytes  | 8 bytes        | 1 byte  |                                    |
//   +----------+-----+----------+----------------+---------+------------------------------------+
//   entry (RocksDB's memtable entry): varint32 klen | internal key (klen bytes: user key,
//   fixed64 LE (seq << 8 | kind)) | varint32 vlen | value (vlen bytes)
//
// Links are `Atomic<UnsafeMutableRawPointer?>` living in arena memory (8-byte aligned); a link
// points at the target node's `next[0]`, so the key starts at a fixed offset (9) from every node
// address — the layout of RocksDB's InlineSkipList, which keeps next[0] and the key in one line.
//
// Invariants: a node's height and entry bytes are written once, before the node is first
// published, and never change afterwards; only the links are written after publication, always
// with release stores, and read with acquire loads. Thread-safety: a `SkipListNode` is a plain
// pointer; what may be done with it concurrently is governed by SkipList.swift.

import Synchronization

/// One link slot: a pointer to the next node at some level, or nil at the end of the list.
typealias SkipListLink = Atomic<UnsafeMutableRawPointer?>

/// A view of one node in the arena (the address of its `next[0]` link).
struct SkipListNode: Equatable {
    /// The address of `next[0]`; higher links sit at lower addresses.
    let address: UnsafeMutableRawPointer

    /// The byte offset of the height from `address`.
    static let heightOffset = 8
    /// The byte offset of the entry from `address`.
    static let entryOffset = 9

    /// The bytes a node of `height` with an `entryByteCount`-byte entry occupies.
    @inline(__always)
    static func byteCount(height: Int, entryByteCount: Int) -> Int {
        8 * height + 1 + entryByteCount
    }

    /// The link slot at `level`. - Precondition: `level < height`.
    @inline(__always)
    func link(_ level: Int) -> UnsafeMutablePointer<SkipListLink> {
        (address - 8 * level).assumingMemoryBound(to: SkipListLink.self)
    }

    /// The successor at `level` (acquire load: everything written before the successor was
    /// published is visible). - Precondition: `level < height`.
    @inline(__always)
    func next(_ level: Int) -> SkipListNode? {
        guard let p = link(level).pointee.load(ordering: .acquiring) else { return nil }
        return SkipListNode(address: p)
    }

    /// The node's height (number of links), 1...SkipList.maxHeight.
    var height: Int { Int(address.load(fromByteOffset: SkipListNode.heightOffset, as: UInt8.self)) }

    /// The start of the entry bytes.
    @inline(__always)
    var entry: UnsafeMutableRawPointer { address + SkipListNode.entryOffset }

    /// The encoded internal key (user key + 8-byte trailer), a view into the arena.
    @inline(__always)
    var internalKey: UnsafeRawBufferPointer {
        let (length, start) = decodeTrustedVarint32(UnsafeRawPointer(entry))
        return UnsafeRawBufferPointer(start: start, count: length)
    }

    /// The value bytes, a view into the arena.
    @inline(__always)
    var value: UnsafeRawBufferPointer {
        let (keyLength, keyStart) = decodeTrustedVarint32(UnsafeRawPointer(entry))
        let (length, start) = decodeTrustedVarint32(keyStart + keyLength)
        return UnsafeRawBufferPointer(start: start, count: length)
    }

    /// Compares this node's internal key with `key`: user key ascending, trailer descending
    /// (compareInternalKeys semantics). Returns -1, 0 or 1.
    @inline(__always)
    func compare(to key: SkipListKey) -> Int {
        let (length, start) = decodeTrustedVarint32(UnsafeRawPointer(entry))
        let userKeyCount = length - 8
        let c = compareUserKeys(start, userKeyCount, key.userKey)
        if c != 0 { return c }
        let trailer = UInt64(littleEndian: start.loadUnaligned(fromByteOffset: userKeyCount, as: UInt64.self))
        return trailer > key.trailer ? -1 : (trailer < key.trailer ? 1 : 0)
    }
}

/// A search key split into user key and trailer, so lookups need not build an encoded key.
struct SkipListKey {
    /// The user key bytes.
    let userKey: UnsafeRawBufferPointer
    /// `(sequence << 8) | kind`.
    let trailer: UInt64

    /// A key from its parts.
    @inline(__always)
    init(userKey: UnsafeRawBufferPointer, trailer: UInt64) {
        self.userKey = userKey
        self.trailer = trailer
    }

    /// A key from an encoded internal key. A malformed key shorter than 8 bytes is taken as a
    /// bare user key with the largest trailer, so it sorts before every entry of that user key.
    @inline(__always)
    init(encoded: UnsafeRawBufferPointer) {
        guard encoded.count >= 8 else {
            userKey = encoded
            trailer = .max
            return
        }
        userKey = UnsafeRawBufferPointer(rebasing: encoded[0..<encoded.count - 8])
        trailer = encoded.loadFixed64(at: encoded.count - 8)
    }
}

/// Decodes a varint32 the memtable wrote itself (so it is well-formed and in bounds).
/// - Returns: the value and the address just past it.
@inline(__always)
func decodeTrustedVarint32(_ p: UnsafeRawPointer) -> (Int, UnsafeRawPointer) {
    let first = p.load(as: UInt8.self)
    if first < 0x80 { return (Int(first), p + 1) }
    var result = Int(first & 0x7F)
    var shift = 7
    var q = p + 1
    while true {
        let byte = q.load(as: UInt8.self)
        q += 1
        result |= Int(byte & 0x7F) << shift
        if byte < 0x80 { return (result, q) }
        shift += 7
    }
}

/// Bytewise comparison of `a[0..<aCount]` with `b`, eight bytes at a time (big-endian words
/// compare like memcmp). Returns -1, 0 or 1.
@inline(__always)
func compareUserKeys(_ a: UnsafeRawPointer, _ aCount: Int, _ b: UnsafeRawBufferPointer) -> Int {
    let bCount = b.count
    guard let pb = b.baseAddress else { return aCount == 0 ? 0 : 1 }
    let n = min(aCount, bCount)
    var i = 0
    while i + 8 <= n {
        let x = UInt64(bigEndian: a.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        let y = UInt64(bigEndian: pb.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        if x != y { return x < y ? -1 : 1 }
        i += 8
    }
    while i < n {
        let x = a.load(fromByteOffset: i, as: UInt8.self)
        let y = pb.load(fromByteOffset: i, as: UInt8.self)
        if x != y { return x < y ? -1 : 1 }
        i += 1
    }
    return aCount < bCount ? -1 : (aCount > bCount ? 1 : 0)
}
