// MergingIterator: one ordered view over many internal iterators (memtables, tables, levels).
// A binary heap of child indices orders the children by their current key: a min-heap when
// moving forward, a max-heap when moving backward. Switching direction repositions every child
// around the current key, as LevelDB's merger does, so the view is correct across switches.
//
// Invariants: when valid, `current` is the child at the heap's root, and every other valid
// child in the heap is positioned at its first entry after (forward) or before (backward) the
// current key. Not thread-safe.

/// Merges child iterators into one ordered internal iterator.
final class MergingIterator: InternalIterator {
    private let children: [any InternalIterator]
    // Iterator state is @exclusivity(unchecked): the class is used by one thread at a time and
    // no access to a field overlaps another (no callbacks into self), so the run-time check
    // that class fields otherwise get on every access (swift_beginAccess) is pure cost.
    @exclusivity(unchecked) private var heap: [Int] = []
    @exclusivity(unchecked) private var forward = true
    @exclusivity(unchecked) private var savedError: SedimentError?

    /// Merges `children`; their order breaks ties (earlier children are newer sources).
    init(_ children: [any InternalIterator]) {
        self.children = children
        heap.reserveCapacity(children.count)
    }

    var isValid: Bool { !heap.isEmpty }
    var key: UnsafeRawBufferPointer { children[heap[0]].key }
    var value: UnsafeRawBufferPointer { children[heap[0]].value }
    var error: SedimentError? {
        if let savedError { return savedError }
        for c in children { if let e = c.error { return e } }
        return nil
    }

    /// True when child `a` should be nearer the root than child `b`.
    @inline(__always) private func before(_ a: Int, _ b: Int) -> Bool {
        let c = compareInternalKeys(children[a].key, children[b].key)
        if c == 0 { return a < b }
        return forward ? c < 0 : c > 0
    }

    private func siftDown(_ start: Int) {
        var i = start
        let n = heap.count
        while true {
            let l = 2 * i + 1
            if l >= n { return }
            var best = l
            let r = l + 1
            if r < n && before(heap[r], heap[l]) { best = r }
            if before(heap[best], heap[i]) {
                heap.swapAt(best, i)
                i = best
            } else {
                return
            }
        }
    }

    private func rebuildHeap() {
        heap.removeAll(keepingCapacity: true)
        for i in children.indices where children[i].isValid { heap.append(i) }
        var i = heap.count / 2 - 1
        while i >= 0 {
            siftDown(i)
            i -= 1
        }
    }

    /// After the root child moved: drop it if exhausted, else restore heap order.
    private func fixRoot() {
        if children[heap[0]].isValid {
            siftDown(0)
        } else {
            heap[0] = heap[heap.count - 1]
            heap.removeLast()
            if !heap.isEmpty { siftDown(0) }
        }
    }

    func seekToFirst() {
        forward = true
        for c in children { c.seekToFirst() }
        rebuildHeap()
    }

    func seekToLast() {
        forward = false
        for c in children { c.seekToLast() }
        rebuildHeap()
    }

    func seek(_ target: UnsafeRawBufferPointer) {
        forward = true
        for c in children { c.seek(target) }
        rebuildHeap()
    }

    func seekForPrevious(_ target: UnsafeRawBufferPointer) {
        forward = false
        for c in children { c.seekForPrevious(target) }
        rebuildHeap()
    }

    func next() {
        guard isValid else { return }
        if !forward {
            // Reposition every other child at its first key after the current one.
            let currentIndex = heap[0]
            let current = Array(children[currentIndex].key)
            current.withUnsafeBytes { k in
                for (i, c) in children.enumerated() where i != currentIndex {
                    c.seek(k)
                    if c.isValid && compareInternalKeys(c.key, k) == 0 { c.next() }
                }
            }
            forward = true
            children[currentIndex].next()
            rebuildHeap()
            return
        }
        children[heap[0]].next()
        fixRoot()
    }

    func previous() {
        guard isValid else { return }
        if forward {
            // Reposition every other child at its last key before the current one.
            let currentIndex = heap[0]
            let current = Array(children[currentIndex].key)
            current.withUnsafeBytes { k in
                for (i, c) in children.enumerated() where i != currentIndex {
                    c.seekForPrevious(k)
                    if c.isValid && compareInternalKeys(c.key, k) == 0 { c.previous() }
                }
            }
            forward = false
            children[currentIndex].previous()
            rebuildHeap()
            return
        }
        children[heap[0]].previous()
        fixRoot()
    }
}
