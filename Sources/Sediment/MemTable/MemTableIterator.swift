// MemTableIterator: the InternalIterator over a memtable's skip list (LevelDB's
// SkipList::Iterator plus MemTableIterator). See DESIGN.md §5.
//
// Invariants: `node` is nil (unpositioned) or a node of `memTable.list`; the iterator holds the
// memtable strongly, so the arena behind `key` and `value` outlives the iterator.
//
// Thread-safety: one iterator, one thread (the InternalIterator contract); any number of
// iterators may run concurrently with the memtable's writer. An iterator sees every entry that
// was published before it reads the link leading to it, and may or may not see later ones.

import CSedimentSupport
import Synchronization

/// A cursor over a memtable's entries in internal-key order.
@_spi(Internals) public final class MemTableIterator: InternalIterator {
    /// The memtable iterated; retained so its arena stays alive.
    private let memTable: MemTable
    /// The current node, or nil when not positioned.
    /// @exclusivity(unchecked): one thread at a time, no overlapping accesses (see TableIterator).
    @exclusivity(unchecked) private var node: SkipListNode?

    /// An unpositioned iterator over `memTable`.
    init(memTable: MemTable) {
        self.memTable = memTable
    }

    /// True when positioned at an entry.
    @_spi(Internals) public var isValid: Bool { node != nil }

    /// Positions at the first entry. - Complexity: O(1).
    @_spi(Internals) public func seekToFirst() {
        node = memTable.list.first()
        if let node { prefetchSuccessor(of: node) }
    }

    /// Positions at the last entry. - Complexity: O(log n) expected.
    @_spi(Internals) public func seekToLast() {
        node = memTable.list.findLast()
    }

    /// Positions at the first entry whose internal key is >= `target` (an encoded internal key).
    /// - Complexity: O(log n) expected.
    @_spi(Internals) public func seek(_ target: UnsafeRawBufferPointer) {
        node = memTable.list.findGreaterOrEqual(SkipListKey(encoded: target))
    }

    /// Positions at the last entry whose internal key is <= `target`.
    /// - Complexity: O(log n) expected.
    @_spi(Internals) public func seekForPrevious(_ target: UnsafeRawBufferPointer) {
        node = memTable.list.findLessThan(SkipListKey(encoded: target), orEqual: true)
    }

    /// Moves to the next entry; does nothing when not positioned. - Complexity: O(1).
    @_spi(Internals) public func next() {
        guard let node else { return }
        let next = node.next(0)
        self.node = next
        if let next { prefetchSuccessor(of: next) }
    }

    /// Starts loading the entry after `node` into the cache, so that a scan's miss on the next
    /// node (nodes lie in insertion order, scattered over the arena) overlaps the caller's work
    /// on this one. Reads `node`'s link, which the caller is about to touch anyway; the first
    /// three cache lines cover a node with a 16-byte key and a 100-byte value.
    @inline(__always)
    private func prefetchSuccessor(of node: SkipListNode) {
        guard let after = node.link(0).pointee.load(ordering: .relaxed) else { return }
        sediment_prefetch(after)
        sediment_prefetch(after + 64)
        sediment_prefetch(after + 128)
    }

    /// Moves to the previous entry by searching for the last entry before the current one
    /// (no back links, as in LevelDB); does nothing when not positioned.
    /// - Complexity: O(log n) expected.
    @_spi(Internals) public func previous() {
        guard let node else { return }
        self.node = memTable.list.findLessThan(SkipListKey(encoded: node.internalKey))
    }

    /// The current encoded internal key, a view into the arena; empty when not positioned.
    @_spi(Internals) public var key: UnsafeRawBufferPointer {
        node?.internalKey ?? UnsafeRawBufferPointer(start: nil, count: 0)
    }

    /// The current value, a view into the arena; empty when not positioned.
    @_spi(Internals) public var value: UnsafeRawBufferPointer {
        node?.value ?? UnsafeRawBufferPointer(start: nil, count: 0)
    }

    /// Always nil: a memtable has no I/O to fail.
    @_spi(Internals) public var error: SedimentError? { nil }
}
