// BlockCursor: the decoding engine behind BlockIterator and point lookups. A value type with a
// key buffer it may own (grown with malloc when a key outgrows the scratch space it was given),
// so `TableReader.get` can run on stack scratch with no heap allocation per key.
// See DESIGN.md §6 "Blocks" and "Index block".
//
// Index entries written by RocksDB with format_version >= 4 and
// `index_value_is_delta_encoded` omit the value length:
//
//   shared == 0:  | shared | non_shared | key delta | varint64 offset | varint64 size | [first key] |
//   shared  > 0:  | shared | non_shared | key delta | zigzag varint64 (size - previous size)  | ...
//
// where a delta entry's offset is previous offset + previous size + 5 (the block trailer).
// Every malformed length sets `error` (naming the block's file and offset) and invalidates.
// Not thread-safe; `release()` must be called once when the cursor is done.

/// How entry keys compare with seek targets.
enum BlockKeyOrder: Sendable {
    /// Keys and targets are encoded internal keys.
    case internalKey
    /// Keys and targets are plain byte strings (metaindex, properties).
    case bytewise
    /// Keys are user keys, targets internal keys (RocksDB's `index_key_is_user_key`).
    case userKeyForInternalTarget
}

extension BlockKeyOrder {
    /// Compares an entry key with `target` in this order. A static function of the order, not
    /// a method of the cursor, so that calling it never copies the cursor.
    @inline(__always) func compare(_ key: UnsafeRawBufferPointer, _ target: UnsafeRawBufferPointer) -> Int {
        switch self {
        case .internalKey:
            if key.count < 8 || target.count < 8 { return compareBytes(key, target) }
            return compareInternalKeys(key, target)
        case .bytewise:
            return compareBytes(key, target)
        case .userKeyForInternalTarget:
            return compareBytes(key, UnsafeRawBufferPointer(start: target.baseAddress, count: max(0, target.count - 8)))
        }
    }

    /// The user key `compare` sees in an entry key, or nil when it would not compare the entry
    /// as a user key (an internal key shorter than 8 bytes is compared as plain bytes).
    @inline(__always) func entryUserKey(_ key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        switch self {
        case .internalKey:
            guard key.count >= 8 else { return nil }
            return UnsafeRawBufferPointer(rebasing: key[0..<key.count - 8])
        case .bytewise, .userKeyForInternalTarget:
            return key
        }
    }

    /// The user key `compare` sees in a seek target, or nil as for `entryUserKey`.
    @inline(__always) func targetUserKey(_ target: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        switch self {
        case .internalKey:
            return entryUserKey(target)
        case .userKeyForInternalTarget:
            return UnsafeRawBufferPointer(rebasing: target[0..<max(0, target.count - 8)])
        case .bytewise:
            return target
        }
    }
}

/// How entry values are laid out.
struct BlockValueFormat: Sendable, Equatable {
    /// Values are BlockHandles (index block): `handle` is decoded for every entry.
    var isIndex = false
    /// Index values are delta-encoded (no value-length varint).
    var deltaEncoded = false
    /// Index values carry a length-prefixed first key after the handle (kBinarySearchWithFirstKey).
    var hasFirstKey = false

    /// Plain key/value entries.
    static let plain = BlockValueFormat()
}

/// A position in a block, decoding entries as it moves.
struct BlockCursor {
    private(set) var block: Block
    private var base: UnsafeRawPointer
    private var restartsOffset: Int
    private var numRestarts: Int
    let order: BlockKeyOrder
    let format: BlockValueFormat

    private var keyBuffer: UnsafeMutableRawPointer
    private var keyCapacity: Int
    private var ownsKeyBuffer: Bool
    private(set) var keyCount = 0

    /// Offset of the current entry; `restartsOffset` when not positioned.
    private var current: Int
    private var nextOffset: Int
    private var restartIndex: Int
    private var valueStart = 0
    private var valueCount = 0
    /// The current index entry's handle (index blocks only).
    private(set) var handle = BlockHandle(offset: 0, size: 0)
    /// The corruption that invalidated the cursor.
    private(set) var error: SedimentError?
    /// The entries of the restart interval `previous()` last decoded, so that stepping back
    /// through an interval decodes it once (RocksDB's BlockIter prev_entries_). Allocated on
    /// the first `previous()`; `reverseIndex` is the current entry's place in it.
    private var reverse = ReverseCache()

    /// A cursor over `block`, unpositioned. `scratch`, if given, is used for keys until one
    /// outgrows it; it must outlive the cursor.
    init(block: Block, order: BlockKeyOrder, format: BlockValueFormat = .plain,
         scratch: UnsafeMutableRawBufferPointer? = nil) {
        self.block = block
        self.base = block.bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!
        self.restartsOffset = block.restartsOffset
        self.numRestarts = block.numRestarts
        self.order = order
        self.format = format
        if let scratch, let b = scratch.baseAddress, scratch.count > 0 {
            keyBuffer = b
            keyCapacity = scratch.count
            ownsKeyBuffer = false
        } else {
            keyCapacity = 64
            keyBuffer = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)
            ownsKeyBuffer = true
        }
        current = block.restartsOffset
        nextOffset = block.restartsOffset
        restartIndex = block.numRestarts
    }

    /// Frees the key buffer if the cursor allocated it.
    mutating func release() {
        if ownsKeyBuffer { keyBuffer.deallocate() }
        reverse.release()
        ownsKeyBuffer = false
        keyCapacity = 0
    }

    /// Moves the cursor onto another block, keeping its key buffer.
    mutating func reset(to block: Block) {
        self.block = block
        base = block.bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!
        restartsOffset = block.restartsOffset
        numRestarts = block.numRestarts
        invalidate()
        reverse.count = 0
        error = nil
    }

    /// True when positioned at an entry.
    var isValid: Bool { current < restartsOffset }

    /// The current key. - Precondition: `isValid`.
    var key: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: keyBuffer, count: keyCount) }

    /// The current value. - Precondition: `isValid`.
    var value: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base + valueStart, count: valueCount) }

    private mutating func invalidate() {
        current = restartsOffset
        nextOffset = restartsOffset
        restartIndex = numRestarts
        keyCount = 0
    }

    private mutating func corrupt(_ message: String) {
        error = .corruption(file: block.file, offset: Int64(block.offset), message: message)
        invalidate()
    }

    @inline(__always) private func restartPoint(_ i: Int) -> Int {
        Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: restartsOffset + 4 * i, as: UInt32.self)))
    }

    private mutating func seekToRestart(_ i: Int) -> Bool {
        let p = restartPoint(i)
        // Only restart 0 of an empty block may point at the end of the entries: a later one
        // there would make a backward scan pass over the block with no entry and no error.
        guard p < restartsOffset || (p == restartsOffset && i == 0) else {
            corrupt("restart point \(i) points past the entries")
            return false
        }
        keyCount = 0
        restartIndex = i
        nextOffset = p
        handle = BlockHandle(offset: 0, size: 0)
        return true
    }

    private mutating func reserveKey(_ n: Int) {
        if n <= keyCapacity { return }
        var cap = max(keyCapacity * 2, 64)
        while cap < n { cap *= 2 }
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: 8)
        if keyCount > 0 { fresh.copyMemory(from: keyBuffer, byteCount: keyCount) }
        if ownsKeyBuffer { keyBuffer.deallocate() }
        keyBuffer = fresh
        keyCapacity = cap
        ownsKeyBuffer = true
    }

    @inline(__always) private func byte(_ p: Int) -> UInt8 {
        base.load(fromByteOffset: p, as: UInt8.self)
    }

    /// Decodes a varint32 at `p` (advancing it), not reading at or past the restart array.
    @inline(__always) private func varint32(_ p: inout Int) -> UInt32? {
        var q = p
        guard let v = varint64(&q), v <= UInt64(UInt32.max) else { return nil }
        p = q
        return UInt32(truncatingIfNeeded: v)
    }

    /// Decodes a varint64 at `p` (advancing it), not reading at or past the restart array.
    @inline(__always) private func varint64(_ p: inout Int) -> UInt64? {
        if p < restartsOffset {
            let b = byte(p)
            if b < 0x80 {
                p += 1
                return UInt64(b)
            }
        }
        guard let (v, n) = decodeRawVarint64(base, at: p, limit: restartsOffset) else { return nil }
        p = n
        return v
    }

    /// Decodes an entry header (shared, non-shared, value length; no value length when
    /// delta-encoded) at `p`, advancing it. The common case, three one-byte varints, is one test.
    @inline(__always) private func header(_ p: inout Int) -> (shared: Int, nonShared: Int, valueLength: Int)? {
        if format.deltaEncoded {
            if p + 2 <= restartsOffset {
                let a = byte(p), b = byte(p + 1)
                if (a | b) < 0x80 {
                    p += 2
                    return (Int(a), Int(b), 0)
                }
            }
            guard let s = varint32(&p), let n = varint32(&p) else { return nil }
            return (Int(s), Int(n), 0)
        }
        if p + 3 <= restartsOffset {
            let a = byte(p), b = byte(p + 1), c = byte(p + 2)
            if (a | b | c) < 0x80 {
                p += 3
                return (Int(a), Int(b), Int(c))
            }
        }
        guard let s = varint32(&p), let n = varint32(&p), let v = varint32(&p) else { return nil }
        return (Int(s), Int(n), Int(v))
    }

    /// Decodes a block handle (two varint64s) at `p`, not reading at or past `limit`.
    @inline(__always) private func decodeHandle(_ p: inout Int, limit: Int) -> BlockHandle? {
        guard let (o, q) = decodeRawVarint64(base, at: p, limit: limit),
              let (s, r) = decodeRawVarint64(base, at: q, limit: limit) else { return nil }
        p = r
        return BlockHandle(offset: o, size: s)
    }

    /// Decodes the entry at `nextOffset`. Returns false at the end or on corruption.
    @discardableResult
    private mutating func parseNext() -> Bool {
        let start = nextOffset
        guard start < restartsOffset else {
            invalidate()
            return false
        }
        var p = start
        guard let (s, ns, valueLength) = header(&p) else {
            corrupt("bad entry header at block offset \(start)")
            return false
        }
        guard s <= keyCount, ns <= restartsOffset - p else {
            corrupt("bad key lengths (shared \(s), non-shared \(ns)) at block offset \(start)")
            return false
        }
        // An internal key carries an 8-byte trailer; a shorter one would trap where callers
        // split it into user key and sequence.
        guard order != .internalKey || s + ns >= 8 else {
            corrupt("internal key of \(s + ns) bytes (under 8) at block offset \(start)")
            return false
        }
        reserveKey(s + ns)
        copyBytes(to: keyBuffer + s, from: base + p, count: ns)
        keyCount = s + ns
        p += ns
        if format.deltaEncoded {
            let vstart = p
            if s == 0 {
                guard let h = decodeHandle(&p, limit: restartsOffset) else {
                    corrupt("bad block handle in index entry at block offset \(start)")
                    return false
                }
                handle = h
            } else {
                guard let z = varint64(&p) else {
                    corrupt("bad delta-encoded index value at block offset \(start)")
                    return false
                }
                let delta = Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1)))
                handle = BlockHandle(offset: handle.offset &+ handle.size &+ UInt64(blockTrailerSize),
                                     size: UInt64(bitPattern: Int64(bitPattern: handle.size) &+ delta))
            }
            if format.hasFirstKey {
                guard let n = varint32(&p), Int(n) <= restartsOffset - p else {
                    corrupt("bad first key in index entry at block offset \(start)")
                    return false
                }
                p += Int(n)
            }
            valueStart = vstart
            valueCount = p - vstart
        } else {
            guard valueLength <= restartsOffset - p else {
                corrupt("value length \(valueLength) runs past the entries at block offset \(start)")
                return false
            }
            valueStart = p
            valueCount = valueLength
            p += valueLength
            if format.isIndex {
                var q = valueStart
                guard let h = decodeHandle(&q, limit: p) else {
                    corrupt("bad block handle in index entry at block offset \(start)")
                    return false
                }
                handle = h
            }
        }
        current = start
        nextOffset = p
        while restartIndex + 1 < numRestarts && restartPoint(restartIndex + 1) <= start {
            restartIndex += 1
        }
        return true
    }

    /// The key of restart entry `i`, in place in the block (a restart entry shares nothing with
    /// its predecessor), or nil (with the cursor corrupted) when the entry is malformed.
    @inline(__always) private mutating func restartKey(_ i: Int) -> UnsafeRawBufferPointer? {
        let start = restartPoint(i)
        guard start < restartsOffset else {
            corrupt("restart point \(i) points past the entries")
            return nil
        }
        var p = start
        guard let (s, ns, _) = header(&p), s == 0, ns <= restartsOffset - p else {
            corrupt("bad restart entry at block offset \(start)")
            return nil
        }
        return UnsafeRawBufferPointer(start: base + p, count: ns)
    }

    /// The key of restart entry `i` in place in the block (for RestartSearchIndex), or nil with
    /// the cursor corrupted.
    mutating func restartKeyInPlace(_ i: Int) -> UnsafeRawBufferPointer? { restartKey(i) }

    /// Compares the current key with `target` in the block's order.
    @inline(__always) func compareKey(with target: UnsafeRawBufferPointer) -> Int {
        order.compare(UnsafeRawBufferPointer(start: keyBuffer, count: keyCount), target)
    }

    /// Positions at the first entry.
    mutating func seekToFirst() {
        guard error == nil, seekToRestart(0) else { return }
        parseNext()
    }

    /// Positions at the last entry.
    mutating func seekToLast() {
        guard error == nil, seekToRestart(numRestarts - 1) else { return }
        while parseNext() && nextOffset < restartsOffset {}
    }

    /// Positions at the first entry >= `target`. The binary search compares restart keys in
    /// place; only the final linear scan decodes entries into the key buffer.
    mutating func seek(_ target: UnsafeRawBufferPointer) {
        guard error == nil else { return }
        var left = 0
        if let search = block.searchIndex, search.order == order, search.count == numRestarts,
           let (lo, hi) = search.candidates(target) {
            // Restart keys before lo are smaller than the target, from hi on larger: find the
            // first one >= target among lo..<hi, and scan from the restart point before it.
            var l = lo, r = hi
            while l < r {
                let mid = (l + r) / 2
                guard let k = restartKey(mid) else { return }
                if order.compare(k, target) < 0 { l = mid + 1 } else { r = mid }
            }
            left = max(0, l - 1)
        } else {
            var right = numRestarts - 1
            while left < right {
                let mid = (left + right + 1) / 2
                guard let k = restartKey(mid) else { return }
                if order.compare(k, target) < 0 { left = mid } else { right = mid - 1 }
            }
        }
        guard seekToRestart(left) else { return }
        while parseNext() {
            if order.compare(UnsafeRawBufferPointer(start: keyBuffer, count: keyCount), target) >= 0 { return }
        }
    }

    /// Positions at the last entry <= `target`.
    mutating func seekForPrevious(_ target: UnsafeRawBufferPointer) {
        seek(target)
        if !isValid {
            if error == nil { seekToLast() }
            return
        }
        while isValid && order.compare(UnsafeRawBufferPointer(start: keyBuffer, count: keyCount), target) > 0 {
            previous()
        }
    }

    /// Moves to the next entry. - Precondition: `isValid`.
    mutating func next() {
        parseNext()
    }

    /// Moves to the previous entry. - Precondition: `isValid`.
    mutating func previous() {
        let original = current
        if reverse.index > 0, reverse.index < reverse.count, reverse.entries[reverse.index].offset == original {
            reverse.index -= 1
            let e = reverse.entries[reverse.index]
            reserveKey(e.keyCount)
            copyBytes(to: keyBuffer, from: reverse.keys + e.keyStart, count: e.keyCount)
            keyCount = e.keyCount
            current = e.offset
            nextOffset = e.next
            valueStart = e.valueStart
            valueCount = e.valueCount
            handle = e.handle
            restartIndex = reverse.restartIndex
            return
        }
        while restartPoint(restartIndex) >= original {
            if restartIndex == 0 {
                invalidate()
                return
            }
            restartIndex -= 1
        }
        guard seekToRestart(restartIndex) else { return }
        reverse.count = 0
        reverse.restartIndex = restartIndex
        while parseNext() {
            reverse.append(ReverseCache.Entry(offset: current, next: nextOffset, valueStart: valueStart,
                                              valueCount: valueCount, handle: handle, keyStart: 0, keyCount: keyCount),
                           key: keyBuffer)
            if nextOffset >= original { break }
        }
        reverse.index = reverse.count - 1
    }
}

/// Decoded entries of one restart interval, with their full keys, in buffers owned by the cursor.
private struct ReverseCache {
    struct Entry {
        var offset: Int
        var next: Int
        var valueStart: Int
        var valueCount: Int
        var handle: BlockHandle
        var keyStart: Int
        var keyCount: Int
    }

    var entries = UnsafeMutablePointer<Entry>(bitPattern: MemoryLayout<Entry>.alignment)!
    var capacity = 0
    var count = 0
    var index = -1
    var restartIndex = 0
    var keys = UnsafeMutableRawPointer(bitPattern: 8)!
    var keysCapacity = 0
    var keysUsed = 0

    /// Appends an entry, copying its key (`entry.keyCount` bytes at `key`).
    mutating func append(_ entry: Entry, key: UnsafeRawPointer) {
        if count == 0 { keysUsed = 0 }
        if count == capacity {
            let fresh = UnsafeMutablePointer<Entry>.allocate(capacity: max(16, capacity * 2))
            if capacity > 0 {
                fresh.moveInitialize(from: entries, count: count)
                entries.deallocate()
            }
            entries = fresh
            capacity = max(16, capacity * 2)
        }
        if keysUsed + entry.keyCount > keysCapacity {
            var cap = max(512, keysCapacity * 2)
            while cap < keysUsed + entry.keyCount { cap *= 2 }
            let fresh = UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: 8)
            if keysCapacity > 0 {
                fresh.copyMemory(from: keys, byteCount: keysUsed)
                keys.deallocate()
            }
            keys = fresh
            keysCapacity = cap
        }
        var e = entry
        e.keyStart = keysUsed
        copyBytes(to: keys + keysUsed, from: key, count: e.keyCount)
        keysUsed += e.keyCount
        (entries + count).initialize(to: e)
        count += 1
    }

    /// Frees the buffers.
    mutating func release() {
        if capacity > 0 { entries.deallocate() }
        if keysCapacity > 0 { keys.deallocate() }
        capacity = 0
        keysCapacity = 0
        count = 0
        index = -1
    }
}

/// Decodes a varint64 at `base + offset`, not reading at or past `limit`.
/// - Returns: the value and the offset just past it, or nil when truncated or too long.
@inline(__always) func decodeRawVarint64(_ base: UnsafeRawPointer, at offset: Int, limit: Int) -> (UInt64, Int)? {
    if offset < limit {
        let b = base.load(fromByteOffset: offset, as: UInt8.self)
        if b < 0x80 { return (UInt64(b), offset + 1) }
    }
    return decodeRawVarint64Slow(base, at: offset, limit: limit)
}

private func decodeRawVarint64Slow(_ base: UnsafeRawPointer, at offset: Int, limit: Int) -> (UInt64, Int)? {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    var p = offset
    while p < limit && shift <= 63 {
        let byte = base.load(fromByteOffset: p, as: UInt8.self)
        p += 1
        result |= UInt64(byte & 0x7F) << shift
        if byte < 0x80 { return (result, p) }
        shift += 7
    }
    return nil
}

/// Copies `count` bytes; keys are short, so lengths up to 32 use a few overlapping word moves
/// instead of a call to memcpy.
@inline(__always) func copyBytes(to dst: UnsafeMutableRawPointer, from src: UnsafeRawPointer, count n: Int) {
    if n >= 8 {
        if n <= 16 {
            let a = src.loadUnaligned(as: UInt64.self)
            let b = src.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            dst.storeBytes(of: a, as: UInt64.self)
            dst.storeBytes(of: b, toByteOffset: n - 8, as: UInt64.self)
        } else if n <= 32 {
            let a = src.loadUnaligned(as: UInt64.self)
            let b = src.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            let c = src.loadUnaligned(fromByteOffset: n - 16, as: UInt64.self)
            let d = src.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            dst.storeBytes(of: a, as: UInt64.self)
            dst.storeBytes(of: b, toByteOffset: 8, as: UInt64.self)
            dst.storeBytes(of: c, toByteOffset: n - 16, as: UInt64.self)
            dst.storeBytes(of: d, toByteOffset: n - 8, as: UInt64.self)
        } else {
            dst.copyMemory(from: src, byteCount: n)
        }
    } else if n >= 4 {
        let a = src.loadUnaligned(as: UInt32.self)
        let b = src.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
        dst.storeBytes(of: a, as: UInt32.self)
        dst.storeBytes(of: b, toByteOffset: n - 4, as: UInt32.self)
    } else {
        var i = 0
        while i < n {
            dst.storeBytes(of: src.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self)
            i += 1
        }
    }
}
