// RestartSearchIndex: an in-memory search aid over the restart keys of one large block (a
// table's index block, built once when the table is opened; DESIGN.md §6 "Index search").
//
// A binary search over a block's restart points makes two dependent memory reads per probe (the
// restart offset, then the key it points at), and in an index block of thousands of entries most
// of them miss the CPU caches. This keeps, for every restart key, eight bytes of its user key
// as a big-endian word, taken after the bytes all the block's keys share; plus every 16th of
// those words in a small top array that stays cached. A seek then finds, in two short searches
// over contiguous words, the range of restart points whose word equals the target's; every
// restart point before that range holds a smaller key and every one after it a larger key, so
// only the keys inside the range (usually none) are compared in full.
//
// The words are monotone in the block's order: user keys ascend, and a key sharing the common
// prefix orders as its remaining bytes do; eight of those bytes, zero-padded, never order two
// keys the other way round (they may only tie). A block whose restart keys cannot be read gets
// no search index: the cursor then searches the block as before and reports the corruption.
// Immutable after `init`, so `@unchecked Sendable` is sound.

/// Words of a block's restart keys, for a cache-friendly first step of `BlockCursor.seek`.
final class RestartSearchIndex: @unchecked Sendable {
    /// Restart points covered (the block's `numRestarts`).
    let count: Int
    /// The key order the words were taken in.
    let order: BlockKeyOrder
    /// Top array: `top[k] == words[k * stride]`.
    private static let stride = 16
    /// Blocks with fewer restart points are searched directly.
    static let minimumRestarts = 64

    private let words: UnsafeMutablePointer<UInt64>
    private let top: UnsafeMutablePointer<UInt64>
    private let topCount: Int
    /// The bytes every restart key's user key begins with.
    private let common: UnsafeMutableRawBufferPointer

    /// Builds the index over `block`'s restart keys; nil when the block is small or a restart
    /// entry cannot be decoded (or, in internal-key order, is shorter than 8 bytes).
    init?(block: Block, order: BlockKeyOrder, format: BlockValueFormat) {
        let n = block.numRestarts
        guard n >= Self.minimumRestarts else { return nil }
        var cursor = BlockCursor(block: block, order: order, format: format)
        defer { cursor.release() }
        guard let first = cursor.restartKeyInPlace(0), let last = cursor.restartKeyInPlace(n - 1),
              let firstUser = order.entryUserKey(first), let lastUser = order.entryUserKey(last)
        else { return nil }
        var shared = 0
        let limit = min(firstUser.count, lastUser.count)
        while shared < limit && firstUser[shared] == lastUser[shared] { shared += 1 }

        let words = UnsafeMutablePointer<UInt64>.allocate(capacity: n)
        var ok = true
        for i in 0..<n {
            guard let k = cursor.restartKeyInPlace(i), let u = order.entryUserKey(k), u.count >= shared else {
                ok = false
                break
            }
            words[i] = Self.word(u, from: shared)
        }
        guard ok else {
            words.deallocate()
            return nil
        }
        let topCount = (n + Self.stride - 1) / Self.stride
        let top = UnsafeMutablePointer<UInt64>.allocate(capacity: topCount)
        for k in 0..<topCount { top[k] = words[k * Self.stride] }
        let common = UnsafeMutableRawBufferPointer.allocate(byteCount: max(shared, 1), alignment: 8)
        if shared > 0, let src = firstUser.baseAddress, let dst = common.baseAddress {
            dst.copyMemory(from: src, byteCount: shared)
        }
        self.count = n
        self.order = order
        self.words = words
        self.top = top
        self.topCount = topCount
        self.common = UnsafeMutableRawBufferPointer(rebasing: common[0..<shared])
    }

    deinit {
        words.deallocate()
        top.deallocate()
        UnsafeMutableRawBufferPointer(start: common.baseAddress, count: max(common.count, 1)).deallocate()
    }

    /// Bytes held in memory.
    var memoryUsage: Int { count * 8 + topCount * 8 + common.count + 64 }

    /// Up to eight bytes of `key` from `offset`, big-endian, zero-padded.
    @inline(__always) private static func word(_ key: UnsafeRawBufferPointer, from offset: Int) -> UInt64 {
        let n = key.count - offset
        guard n > 0, let base = key.baseAddress else { return 0 }
        if n >= 8 { return UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
        var w: UInt64 = 0
        for i in 0..<n { w |= UInt64(base.load(fromByteOffset: offset + i, as: UInt8.self)) << (56 - 8 * i) }
        return w
    }

    /// The restart points `lo..<hi` whose keys may compare equal to `target` at their word: every
    /// restart key before `lo` is smaller than `target`, every one from `hi` on is larger. Nil
    /// when `target` cannot be placed this way (the caller searches the block directly).
    @inline(__always) func candidates(_ target: UnsafeRawBufferPointer) -> (lo: Int, hi: Int)? {
        guard let user = order.targetUserKey(target) else { return nil }
        let shared = common.count
        if shared > 0 {
            let c = compareBytes(UnsafeRawBufferPointer(rebasing: user[0..<min(shared, user.count)]),
                                 UnsafeRawBufferPointer(common))
            // Below the common prefix, or a proper prefix of it: smaller than every key.
            if c < 0 { return (0, 0) }
            if c > 0 { return (count, count) }
            if user.count < shared { return (0, 0) }
        }
        let w = Self.word(user, from: shared)
        let lo = lowerBound(w)
        var hi = lo
        // Ties are rare with distinct keys; a long run of them is searched, not walked.
        while hi < count && hi - lo < 8 && words[hi] == w { hi += 1 }
        if hi < count && words[hi] == w { hi = upperBound(w, from: hi) }
        return (lo, hi)
    }

    /// The first restart point whose word is >= `w` (`count` when none).
    @inline(__always) private func lowerBound(_ w: UInt64) -> Int {
        // First top entry >= w: the answer lies after the previous stride's first point.
        var l = 0, r = topCount
        while l < r {
            let m = (l + r) >> 1
            if top[m] < w { l = m + 1 } else { r = m }
        }
        if l == 0 { return 0 }
        var lo = (l - 1) * Self.stride + 1
        var hi = min(l * Self.stride, count)
        while lo < hi {
            let m = (lo + hi) >> 1
            if words[m] < w { lo = m + 1 } else { hi = m }
        }
        return lo
    }

    /// The first restart point from `start` whose word is > `w` (`count` when none).
    private func upperBound(_ w: UInt64, from start: Int) -> Int {
        var lo = start, hi = count
        while lo < hi {
            let m = (lo + hi) >> 1
            if words[m] <= w { lo = m + 1 } else { hi = m }
        }
        return lo
    }
}
