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
        Int(block.bytes.loadFixed32(at: restartsOffset + 4 * i))
    }

    private mutating func seekToRestart(_ i: Int) -> Bool {
        let p = restartPoint(i)
        guard p <= restartsOffset else {
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

    @inline(__always) private func varint32(_ p: inout Int) -> UInt32? {
        let b = block.bytes
        if p < restartsOffset, b[p] < 0x80 {
            p += 1
            return UInt32(b[p - 1])
        }
        guard let (v, n) = b.decodeVarint32(at: p, limit: restartsOffset) else { return nil }
        p = n
        return v
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
        guard let shared = varint32(&p), let nonShared = varint32(&p) else {
            corrupt("bad entry header at block offset \(start)")
            return false
        }
        var valueLength: UInt32 = 0
        if !format.deltaEncoded {
            guard let v = varint32(&p) else {
                corrupt("bad entry header at block offset \(start)")
                return false
            }
            valueLength = v
        }
        let s = Int(shared), ns = Int(nonShared)
        guard s <= keyCount, ns <= restartsOffset - p else {
            corrupt("bad key lengths (shared \(s), non-shared \(ns)) at block offset \(start)")
            return false
        }
        reserveKey(s + ns)
        if ns > 0 { (keyBuffer + s).copyMemory(from: base + p, byteCount: ns) }
        keyCount = s + ns
        p += ns
        if format.deltaEncoded {
            let vstart = p
            if s == 0 {
                guard let (h, q) = BlockHandle.decode(block.bytes, at: p, limit: restartsOffset) else {
                    corrupt("bad block handle in index entry at block offset \(start)")
                    return false
                }
                handle = h
                p = q
            } else {
                guard let (z, q) = block.bytes.decodeVarint64(at: p, limit: restartsOffset) else {
                    corrupt("bad delta-encoded index value at block offset \(start)")
                    return false
                }
                let delta = Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1)))
                handle = BlockHandle(offset: handle.offset &+ handle.size &+ UInt64(blockTrailerSize),
                                     size: UInt64(bitPattern: Int64(bitPattern: handle.size) &+ delta))
                p = q
            }
            if format.hasFirstKey {
                guard let (n, q) = block.bytes.decodeVarint32(at: p, limit: restartsOffset),
                      Int(n) <= restartsOffset - q else {
                    corrupt("bad first key in index entry at block offset \(start)")
                    return false
                }
                p = q + Int(n)
            }
            valueStart = vstart
            valueCount = p - vstart
        } else {
            guard Int(valueLength) <= restartsOffset - p else {
                corrupt("value length \(valueLength) runs past the entries at block offset \(start)")
                return false
            }
            valueStart = p
            valueCount = Int(valueLength)
            p += valueCount
            if format.isIndex {
                guard let (h, _) = BlockHandle.decode(block.bytes, at: valueStart, limit: p) else {
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

    /// Compares the current key with `target` in the block's order.
    @inline(__always) func compareKey(with target: UnsafeRawBufferPointer) -> Int {
        switch order {
        case .internalKey:
            if keyCount < 8 || target.count < 8 { return compareBytes(key, target) }
            return compareInternalKeys(key, target)
        case .bytewise:
            return compareBytes(key, target)
        case .userKeyForInternalTarget:
            return compareBytes(key, UnsafeRawBufferPointer(rebasing: target[0..<max(0, target.count - 8)]))
        }
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

    /// Positions at the first entry >= `target`.
    mutating func seek(_ target: UnsafeRawBufferPointer) {
        guard error == nil else { return }
        var left = 0, right = numRestarts - 1
        while left < right {
            let mid = (left + right + 1) / 2
            guard seekToRestart(mid), parseNext() else {
                if error == nil { corrupt("empty restart entry") }
                return
            }
            if compareKey(with: target) < 0 { left = mid } else { right = mid - 1 }
        }
        guard seekToRestart(left) else { return }
        while parseNext() {
            if compareKey(with: target) >= 0 { return }
        }
    }

    /// Positions at the last entry <= `target`.
    mutating func seekForPrevious(_ target: UnsafeRawBufferPointer) {
        seek(target)
        if !isValid {
            if error == nil { seekToLast() }
            return
        }
        while isValid && compareKey(with: target) > 0 { previous() }
    }

    /// Moves to the next entry. - Precondition: `isValid`.
    mutating func next() {
        parseNext()
    }

    /// Moves to the previous entry. - Precondition: `isValid`.
    mutating func previous() {
        let original = current
        while restartPoint(restartIndex) >= original {
            if restartIndex == 0 {
                invalidate()
                return
            }
            restartIndex -= 1
        }
        guard seekToRestart(restartIndex) else { return }
        while parseNext() && nextOffset < original {}
    }
}
