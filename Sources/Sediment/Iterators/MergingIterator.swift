// MergingIterator: one ordered view over many internal iterators (memtables, tables, levels).
// A binary heap of child indices orders the children by their current key: a min-heap when
// moving forward, a max-heap when moving backward. Switching direction repositions every child
// around the current key, as LevelDB's merger does, so the view is correct across switches.
//
// Invariants: when valid, `current` is the child at the heap's root, and every other valid
// child in the heap is positioned at its first entry after (forward) or before (backward) the
// current key. Not thread-safe.
//
// Errors: a child that stops with an error (a corrupt or unreadable block, a table that cannot
// be opened) stops the merge: it turns invalid and keeps the first such error, as RocksDB's
// merging iterator does. Going on with the other children would show older versions the
// failed child hides (a deleted key, an overwritten value) as if they were current. Child
// errors are sticky, so a later seek stops again.
//
// Deferred seeks (only when made with `newestFirst`: the children are ordered newest first and,
// for any user key, an older child holds only versions with smaller sequence numbers, the LSM
// rule point reads stop on): a seek positions the children in order and, once one of them lands
// on the target's user key, leaves the older ones unpositioned. Their first entry >= target can
// only be an older version of that user key or a larger user key, so it sorts after the root
// and cannot change the current entry. They are sought to the saved target, and joined to the
// heap, by the next move (`next`, `previous`); any other positioning call forgets them. The
// same holds for a newer child whose filter proves the user key absent (`mayContain`): when
// some child lands on the user key, that child's first entry >= target is a larger user key,
// so it is deferred too; when none does, it is sought before the heap is built. A seek that
// finds its key (a point lookup through a cursor) then reads one source, not all of them.

/// A child's concrete class, so the forward step calls it without ARC traffic or a dynamic
/// call. Loading a class existential out of an array (or any memory) retains it for the call
/// and releases it after, ~25 % of a scan's cycles over overlapping sources (DESIGN.md §14
/// P37); an `Unmanaged` reference called through `_withUnsafeGuaranteedRef` does neither. The
/// `children` array keeps every child alive for the merge's lifetime.
private enum FastChild {
    case table(Unmanaged<TableIterator>)
    case level(Unmanaged<LevelIterator>)
    case memTable(Unmanaged<MemTableIterator>)
    case other

    init(_ child: any InternalIterator) {
        if let t = child as? TableIterator {
            self = .table(.passUnretained(t))
        } else if let l = child as? LevelIterator {
            self = .level(.passUnretained(l))
        } else if let m = child as? MemTableIterator {
            self = .memTable(.passUnretained(m))
        } else {
            self = .other
        }
    }
}

/// Merges child iterators into one ordered internal iterator.
final class MergingIterator: InternalIterator {
    private let children: [any InternalIterator]
    /// `fast[i]` is child i's concrete class (see `FastChild`).
    private let fast: UnsafeMutablePointer<FastChild>
    // Iterator state is @exclusivity(unchecked): the class is used by one thread at a time and
    // no access to a field overlaps another (no callbacks into self), so the run-time check
    // that class fields otherwise get on every access (swift_beginAccess) is pure cost.
    /// The heap of child indices (`heapCount` of them) and, for each child in the heap, its
    /// current key (`keys[i]` is `children[i].key`, refreshed whenever child i moves): the
    /// comparisons read the cache instead of calling through the existential each time. One
    /// allocation holds both.
    private let heap: UnsafeMutablePointer<Int>
    private let keys: UnsafeMutablePointer<UnsafeRawBufferPointer>
    /// `values[i]` is child i's current value when bit i of `valueKnown` is set (children
    /// below 64 only): set when a forward step moved the child with `advance`, which returns
    /// the value with the key, and cleared whenever the child moves any other way. `value`
    /// then reads it here instead of calling through the existential.
    private let values: UnsafeMutablePointer<UnsafeRawBufferPointer>
    @exclusivity(unchecked) private var valueKnown: UInt64 = 0
    @exclusivity(unchecked) private var heapCount = 0
    @exclusivity(unchecked) private var forward = true
    @exclusivity(unchecked) private var savedError: SedimentError?
    /// True when the children are newest first under the LSM rule (see the header).
    private let newestFirst: Bool
    /// Children at this index and after are not positioned yet; `children.count` when none.
    @exclusivity(unchecked) private var deferredFrom: Int
    /// Bit i set: child i (< deferredFrom, < 64) is not positioned yet either.
    @exclusivity(unchecked) private var deferredMask: UInt64 = 0
    /// The target of the seek that deferred them: `deferredTargetCount` bytes in the inline
    /// room after the heap (`inlineTargetCapacity` bytes, no allocation per seek), or in
    /// `longTarget` when longer.
    private let inlineTarget: UnsafeMutableRawPointer
    private static let inlineTargetCapacity = 64
    @exclusivity(unchecked) private var deferredTargetCount = 0
    @exclusivity(unchecked) private var longTarget: [UInt8] = []

    /// Merges `children`; their order breaks ties (earlier children are newer sources).
    /// `newestFirst` enables deferred seeks: pass it only when the children follow the LSM
    /// rule in the file header.
    init(_ children: [any InternalIterator], newestFirst: Bool = false) {
        self.children = children
        self.newestFirst = newestFirst
        deferredFrom = children.count
        let n = max(children.count, 1)
        let keysBytes = n * MemoryLayout<UnsafeRawBufferPointer>.stride
        let heapBytes = n * MemoryLayout<Int>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 2 * keysBytes + heapBytes + MergingIterator.inlineTargetCapacity,
                                                   alignment: MemoryLayout<UnsafeRawBufferPointer>.alignment)
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        keys = raw.initializeMemory(as: UnsafeRawBufferPointer.self, repeating: empty, count: n)
        values = (raw + keysBytes).initializeMemory(as: UnsafeRawBufferPointer.self, repeating: empty, count: n)
        heap = (raw + 2 * keysBytes).initializeMemory(as: Int.self, repeating: 0, count: n)
        inlineTarget = raw + 2 * keysBytes + heapBytes
        fast = UnsafeMutablePointer<FastChild>.allocate(capacity: n)
        fast.initialize(repeating: .other, count: n)
        for (i, c) in children.enumerated() { fast[i] = FastChild(c) }
    }

    deinit {
        UnsafeMutableRawPointer(keys).deallocate()
        fast.deallocate()
    }

    /// Child `i`'s `advance()`, called without retaining the child (see `FastChild`).
    @inline(__always) private func advanceChild(_ i: Int) -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)? {
        switch fast[i] {
        case .table(let t): return t._withUnsafeGuaranteedRef { $0.advance() }
        case .level(let l): return l._withUnsafeGuaranteedRef { $0.advance() }
        case .memTable(let m): return m._withUnsafeGuaranteedRef { $0.advance() }
        case .other: return children[i].advance()
        }
    }

    var isValid: Bool { heapCount > 0 }
    var key: UnsafeRawBufferPointer { keys[heap[0]] }
    var value: UnsafeRawBufferPointer {
        let r = heap[0]
        if r < 64 && valueKnown & (1 << UInt64(r)) != 0 { return values[r] }
        return children[r].value
    }
    var error: SedimentError? {
        if let savedError { return savedError }
        for c in children { if let e = c.error { return e } }
        return nil
    }

    /// True when child `a` should be nearer the root than child `b`.
    @inline(__always) private func before(_ a: Int, _ b: Int) -> Bool {
        let c = compareInternalKeys(keys[a], keys[b])
        if c == 0 { return a < b }
        return forward ? c < 0 : c > 0
    }

    private func siftDown(_ start: Int) {
        var i = start
        let n = heapCount
        while true {
            let l = 2 * i + 1
            if l >= n { return }
            var best = l
            let r = l + 1
            if r < n && before(heap[r], heap[l]) { best = r }
            if before(heap[best], heap[i]) {
                let t = heap[best]
                heap[best] = heap[i]
                heap[i] = t
                i = best
            } else {
                return
            }
        }
    }

    /// Stops the merge on a child's error (see the header).
    private func stop(_ e: SedimentError) {
        if savedError == nil { savedError = e }
        heapCount = 0
        valueKnown = 0
    }

    private func rebuildHeap() {
        heapCount = 0
        valueKnown = 0
        if savedError != nil { return }
        for i in 0..<deferredFrom {
            if i < 64 && deferredMask & (1 << UInt64(i)) != 0 { continue }
            let c = children[i]
            guard c.isValid else {
                if let e = c.error {
                    stop(e)
                    return
                }
                continue
            }
            keys[i] = c.key
            heap[heapCount] = i
            heapCount += 1
        }
        var i = heapCount / 2 - 1
        while i >= 0 {
            siftDown(i)
            i -= 1
        }
    }

    /// After the root child moved: drop it if exhausted, else restore heap order.
    private func fixRoot() {
        let root = heap[0]
        if root < 64 { valueKnown &= ~(1 << UInt64(root)) }
        let c = children[root]
        if c.isValid {
            keys[root] = c.key
            siftDown(0)
        } else if let e = c.error {
            stop(e)
        } else {
            heapCount -= 1
            heap[0] = heap[heapCount]
            if heapCount > 0 { siftDown(0) }
        }
    }

    /// Seeks the deferred children to the saved target and joins them to the heap. They sort
    /// after the root (see the header), so the current entry does not change.
    @inline(__always) private func positionDeferred() {
        if deferredFrom < children.count || deferredMask != 0 { positionDeferredChildren() }
    }

    private func positionDeferredChildren() {
        let first = deferredFrom
        let mask = deferredMask
        deferredFrom = children.count
        deferredMask = 0
        withDeferredTarget { t in
            var m = mask
            while m != 0 {
                children[m.trailingZeroBitCount].seek(t)
                m &= m - 1
            }
            for i in first..<children.count { children[i].seek(t) }
        }
        rebuildHeap()
    }

    /// Keeps a copy of `target` for the deferred children.
    private func saveDeferredTarget(_ target: UnsafeRawBufferPointer) {
        deferredTargetCount = target.count
        if target.count <= MergingIterator.inlineTargetCapacity {
            if let base = target.baseAddress { inlineTarget.copyMemory(from: base, byteCount: target.count) }
        } else {
            longTarget = Array(target)
        }
    }

    /// Calls `body` with the saved target.
    private func withDeferredTarget(_ body: (UnsafeRawBufferPointer) -> Void) {
        if deferredTargetCount <= MergingIterator.inlineTargetCapacity {
            body(UnsafeRawBufferPointer(start: inlineTarget, count: deferredTargetCount))
        } else {
            longTarget.withUnsafeBytes(body)
        }
    }

    /// Forgets deferred children before a positioning call that moves every child.
    @inline(__always) private func clearDeferred() {
        deferredFrom = children.count
        deferredMask = 0
    }

    func seekToFirst() {
        forward = true
        clearDeferred()
        for c in children { c.seekToFirst() }
        rebuildHeap()
    }

    func seekToLast() {
        forward = false
        clearDeferred()
        for c in children { c.seekToLast() }
        rebuildHeap()
    }

    func seek(_ target: UnsafeRawBufferPointer) {
        forward = true
        clearDeferred()
        guard newestFirst && target.count >= 8 else {
            for c in children { c.seek(target) }
            rebuildHeap()
            return
        }
        let userTarget = UnsafeRawBufferPointer(rebasing: target[0..<target.count - 8])
        var skipped: UInt64 = 0
        var found = false
        for i in children.indices {
            let c = children[i]
            // The last child is sought anyway when no newer one found the key.
            if i < 64 && i + 1 < children.count && !c.mayContain(userKey: userTarget) {
                skipped |= 1 << UInt64(i)
                continue
            }
            c.seek(target)
            if c.isValid {
                let k = c.key
                if k.count >= 8 && compareBytes(UnsafeRawBufferPointer(rebasing: k[0..<k.count - 8]), userTarget) == 0 {
                    deferredFrom = i + 1
                    found = true
                    break
                }
            }
        }
        if found {
            if deferredFrom < children.count || skipped != 0 {
                deferredMask = skipped
                saveDeferredTarget(target)
            }
        } else {
            while skipped != 0 {
                children[skipped.trailingZeroBitCount].seek(target)
                skipped &= skipped - 1
            }
        }
        rebuildHeap()
    }

    func seekForPrevious(_ target: UnsafeRawBufferPointer) {
        forward = false
        clearDeferred()
        for c in children { c.seekForPrevious(target) }
        rebuildHeap()
    }

    func next() {
        guard isValid else { return }
        positionDeferred()
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
        let root = heap[0]
        if let e = advanceChild(root) {
            keys[root] = e.key
            if root < 64 {
                values[root] = e.value
                valueKnown |= 1 << UInt64(root)
            }
            siftDown(0)
        } else if let e = children[root].error {
            stop(e)
        } else {
            if root < 64 { valueKnown &= ~(1 << UInt64(root)) }
            heapCount -= 1
            heap[0] = heap[heapCount]
            if heapCount > 0 { siftDown(0) }
        }
    }

    func previous() {
        guard isValid else { return }
        positionDeferred()
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
