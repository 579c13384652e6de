// SkipList: the memtable's ordered index, a skip list of arena-allocated nodes ordered by
// encoded internal key (user key ascending, trailer descending). Node layout: SkipListNode.swift;
// DESIGN.md §5.
//
// Thread-safety (LevelDB skiplist.h, restated):
//   Writes require external synchronisation: one thread at a time calls `insert` (the memtable's
//   caller serialises writers). Reads (`findGreaterOrEqual`, `findLessThan`, `findLast`, `count`)
//   need no lock and may run on any number of threads concurrently with the writer; they
//   require only that the SkipList (and so its arena) is not deinitialised while they run.
//
// Invariants:
//   1. Nodes are never deleted or moved until the whole skip list is destroyed; no code frees a
//      node individually.
//   2. The contents of a node, except its links, are immutable once the node is linked in.
//   3. A node is fully initialised (height, entry bytes, all of its own links) before it is
//      published, and it is published at each level with a release store into the
//      predecessor's link; readers load links with acquire, so a reader that reaches a node sees
//      all of it. Level 0 is linked first, so a node reachable at any level is in the level-0
//      list.
//   4. `maxHeight` only grows; it is read and written relaxed. A reader that sees a new height
//      before the matching head links just finds nil there and drops a level.
//   5. Every level's list is sorted by internal key, and each level is a sublist of the one below.

import CSedimentSupport

import Synchronization

/// A single-writer, lock-free-reader skip list over memtable entries held in an arena.
final class SkipList {
    /// The tallest node (and the number of head links).
    static let maxHeight = 12

    /// The arena holding every node; freed with the skip list.
    let arena: Arena
    /// The sentinel head node: `maxHeight` links, an empty entry, never compared.
    private let head: SkipListNode
    /// The height of the tallest node so far (1...maxHeight).
    private let maxHeight = Atomic<Int>(1)
    /// Entries inserted so far.
    private let entryCount = Atomic<Int>(0)
    /// Distinct user keys among them (an entry whose level-0 neighbour has its user key is not
    /// counted).
    private let userKeyCount = Atomic<Int>(0)
    /// Writer-only state of the deterministic height generator (xorshift64*).
    private var randomState: UInt64
    /// Writer-only scratch: the predecessor at each level found by `insert`'s search. After an
    /// insert, the levels of the new node hold the node itself (the predecessor of any larger
    /// key at those levels), the levels above hold its predecessors.
    private let splice: UnsafeMutablePointer<SkipListNode>
    /// Writer-only: the node inserted last.
    private var lastInserted: SkipListNode?

    /// An empty skip list allocating nodes from `arena`; `seed` fixes the sequence of heights.
    init(arena: Arena, seed: UInt64 = 0xDEAD_BEEF) {
        self.arena = arena
        self.randomState = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed
        let address = SkipList.allocateNode(in: arena, height: SkipList.maxHeight, entryByteCount: 0)
        for level in 0..<SkipList.maxHeight {
            (address - 8 * level).bindMemory(to: SkipListLink.self, capacity: 1).initialize(to: SkipListLink(nil))
        }
        head = SkipListNode(address: address)
        splice = UnsafeMutablePointer<SkipListNode>.allocate(capacity: SkipList.maxHeight)
        splice.initialize(repeating: head, count: SkipList.maxHeight)
    }

    deinit {
        splice.deinitialize(count: SkipList.maxHeight)
        splice.deallocate()
    }

    /// The number of entries inserted; safe from any thread.
    var count: Int { entryCount.load(ordering: .acquiring) }

    /// The number of distinct user keys inserted; safe from any thread.
    var distinctUserKeys: Int { userKeyCount.load(ordering: .relaxed) }

    /// Allocates a node of `height` links with room for an `entryByteCount`-byte entry, writes
    /// its height, and returns its address. Links and entry are left for the caller to fill.
    private static func allocateNode(in arena: Arena, height: Int, entryByteCount: Int) -> UnsafeMutableRawPointer {
        let size = SkipListNode.byteCount(height: height, entryByteCount: entryByteCount)
        let base = arena.allocate(byteCount: size, alignment: MemoryLayout<SkipListLink>.alignment)
        let address = base + 8 * (height - 1)
        address.storeBytes(of: UInt8(height), toByteOffset: SkipListNode.heightOffset, as: UInt8.self)
        return address
    }

    /// A random height in 1...maxHeight, each extra level with probability 1/4.
    private func randomHeight() -> Int {
        randomState ^= randomState >> 12
        randomState ^= randomState << 25
        randomState ^= randomState >> 27
        var bits = randomState &* 0x2545_F491_4F6C_DD1D
        var height = 1
        while height < SkipList.maxHeight && bits & 3 == 0 {
            height += 1
            bits >>= 2
        }
        return height
    }

    // MARK: Writing

    /// Inserts the entry (`userKey` + fixed64 `trailer`, `value`) in internal-key order.
    /// An entry equal to an existing one is placed before it.
    /// - Precondition: no other thread is inside `insert`; `userKey.count + 8` and
    ///   `value.count` fit in UInt32.
    /// - Complexity: O(log n) expected.
    func insert(userKey: UnsafeRawBufferPointer, trailer: UInt64, value: UnsafeRawBufferPointer) {
        let keyLength = userKey.count + 8
        precondition(keyLength <= Int(UInt32.max) && value.count <= Int(UInt32.max), "memtable entry too large")
        let entryByteCount = varintLength(UInt64(keyLength)) + keyLength + varintLength(UInt64(value.count)) + value.count
        let height = randomHeight()
        let node = SkipListNode(address: SkipList.allocateNode(in: arena, height: height, entryByteCount: entryByteCount))

        // Entry bytes: written before the node is published (invariant 3).
        var p = node.entry
        p = storeVarint32(keyLength, at: p)
        if let source = userKey.baseAddress, userKey.count > 0 {
            p.copyMemory(from: source, byteCount: userKey.count)
            p += userKey.count
        }
        p.storeBytes(of: trailer.littleEndian, as: UInt64.self)
        p += 8
        p = storeVarint32(value.count, at: p)
        if let source = value.baseAddress, value.count > 0 {
            p.copyMemory(from: source, byteCount: value.count)
        }

        let keyInArena = UnsafeRawBufferPointer(start: node.entry + varintLength(UInt64(keyLength)), count: userKey.count)
        let key = SkipListKey(userKey: keyInArena, trailer: trailer)
        if !spliceBrackets(key) {
            _ = findGreaterOrEqual(key, recordingPredecessors: true)
        }

        let currentHeight = maxHeight.load(ordering: .relaxed)
        if height > currentHeight {
            for level in currentHeight..<height { splice[level] = head }
            maxHeight.store(height, ordering: .relaxed)
        }
        // Versions of one user key are adjacent at level 0; the search compared both neighbours.
        let before = splice[0]
        let after = before.link(0).pointee.load(ordering: .relaxed)
        let repeatsKey = (before != head && SkipList.sameUserKey(before, keyInArena))
            || (after.map { SkipList.sameUserKey(SkipListNode(address: $0), keyInArena) } ?? false)
        if !repeatsKey { userKeyCount.add(1, ordering: .relaxed) }
        for level in 0..<height {
            let predecessor = splice[level]
            let successor = predecessor.link(level).pointee.load(ordering: .relaxed)
            // The node is not yet reachable: a plain initialisation suffices for its own link.
            (node.address - 8 * level).bindMemory(to: SkipListLink.self, capacity: 1)
                .initialize(to: SkipListLink(successor))
            predecessor.link(level).pointee.store(node.address, ordering: .releasing)
            splice[level] = node
        }
        lastInserted = node
        entryCount.add(1, ordering: .releasing)
    }

    /// True when `node`'s user key is `userKey`.
    @inline(__always)
    private static func sameUserKey(_ node: SkipListNode, _ userKey: UnsafeRawBufferPointer) -> Bool {
        let key = node.internalKey
        return key.count - 8 == userKey.count
            && compareBytes(UnsafeRawBufferPointer(rebasing: key[0..<key.count - 8]), userKey) == 0
    }

    /// True when the splice left by the last insert already holds `key`'s predecessor at every
    /// level: `key` sorts after the last inserted node and before each splice node's successor.
    /// Keys arriving in order (fillseq, a bulk load) then link in without a search, as
    /// RocksDB's InlineSkipList does with its sequential-insert splice; otherwise this costs a
    /// comparison or two before the full search.
    @inline(__always) private func spliceBrackets(_ key: SkipListKey) -> Bool {
        guard let last = lastInserted, last.compare(to: key) < 0 else { return false }
        let height = maxHeight.load(ordering: .relaxed)
        for level in 0..<height {
            if let next = splice[level].next(level), next.compare(to: key) < 0 { return false }
        }
        return true
    }

    /// Writes `value` as a varint at `p`; returns the address just past it.
    @inline(__always)
    private func storeVarint32(_ value: Int, at p: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        var v = UInt32(truncatingIfNeeded: value)
        var q = p
        while v >= 0x80 {
            q.storeBytes(of: UInt8(truncatingIfNeeded: v) | 0x80, as: UInt8.self)
            q += 1
            v >>= 7
        }
        q.storeBytes(of: UInt8(v), as: UInt8.self)
        return q + 1
    }

    // MARK: Searching (any thread)

    /// The first node whose key is >= `key`, or nil. With `recordingPredecessors` (writer only)
    /// the last node < `key` at each level is stored in `splice`.
    /// - Complexity: O(log n) expected.
    @inline(__always)
    func findGreaterOrEqual(_ key: SkipListKey, recordingPredecessors: Bool = false) -> SkipListNode? {
        var x = head
        var level = maxHeight.load(ordering: .relaxed) - 1
        while true {
            let next = x.next(level)
            if let next {
                // Start loading the node after `next` on this level: if `next` is < key, it is
                // the following candidate, and its cache miss overlaps this comparison
                // (RocksDB's InlineSkipList does the same).
                sediment_prefetch(next.link(level).pointee.load(ordering: .relaxed))
            }
            if let next, next.compare(to: key) < 0 {
                x = next
            } else {
                if recordingPredecessors { splice[level] = x }
                if level == 0 { return next }
                level -= 1
            }
        }
    }

    /// The last node whose key is < `key` (or <= `key` when `orEqual`), or nil if there is none.
    /// - Complexity: O(log n) expected.
    func findLessThan(_ key: SkipListKey, orEqual: Bool = false) -> SkipListNode? {
        var x = head
        var level = maxHeight.load(ordering: .relaxed) - 1
        let bound = orEqual ? 1 : 0
        while true {
            if let next = x.next(level), next.compare(to: key) < bound {
                x = next
            } else {
                if level == 0 { return x == head ? nil : x }
                level -= 1
            }
        }
    }

    /// The first node, or nil when empty.
    func first() -> SkipListNode? { head.next(0) }

    /// The last node, or nil when empty.
    /// - Complexity: O(log n) expected.
    func findLast() -> SkipListNode? {
        var x = head
        var level = maxHeight.load(ordering: .relaxed) - 1
        while true {
            if let next = x.next(level) {
                x = next
            } else {
                if level == 0 { return x == head ? nil : x }
                level -= 1
            }
        }
    }

    #if SEDIMENT_INVARIANTS
    /// Checks invariant 5 (every level sorted, each level a sublist of the one below).
    /// Writer thread only, or while no writer runs.
    func checkInvariants() {
        for level in 0..<maxHeight.load(ordering: .relaxed) {
            var x = head.next(level)
            while let node = x, let next = node.next(level) {
                assert(node.height > level)
                assert(next.compare(to: SkipListKey(encoded: node.internalKey)) >= 0)
                x = next
            }
        }
    }
    #endif
}
