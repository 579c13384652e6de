// TableIterator: the two-level `InternalIterator` over a table: an index cursor chooses the
// data block, a data cursor walks it; moving past either end of a block loads the neighbour
// (skipping empty blocks). The data cursor keeps one key buffer for the iterator's life, so
// stepping allocates nothing. A block not in the cache is read through the table's mapping into
// one of two buffers the iterator keeps: an uncompressed block is walked right there and not
// cached (DESIGN.md §14 P31), and the next one goes into the other buffer, so a failed load
// never touches the block the cursor stands on. A compressed block is decompressed into a
// buffer of its own, which the cache keeps.
// While it walks a block read from the mapping, a forward walk prefetches the next block's
// mapped bytes a little at each step.
// A read or corruption error invalidates the iterator and is reported by `error`.
// Not thread-safe: one iterator, one thread; it retains its TableReader.

import CSedimentSupport

/// An iterator over every entry of one table, in internal-key order.
@_spi(Internals) public final class TableIterator: InternalIterator {
    private let table: TableReader
    private let verifyChecksums: Bool
    private let fillCache: Bool
    // Iterator state is @exclusivity(unchecked): the class is used by one thread at a time and
    // no access to a field overlaps another (no callbacks into self), so the run-time check
    // that class fields otherwise get on every access (swift_beginAccess) is pure cost.
    @exclusivity(unchecked) private var index: BlockCursor
    @exclusivity(unchecked) private var data: BlockCursor
    @exclusivity(unchecked) private var dataHandle: BlockHandle?
    @exclusivity(unchecked) private var loadError: SedimentError?
    /// One allocation holding both cursors' initial key buffers (a cursor whose key outgrows
    /// its half moves to a buffer of its own).
    private let scratch: UnsafeMutableRawBufferPointer
    /// The buffer the data cursor's block borrows (when it borrows one), and the other one,
    /// which the next load reads into. Both allocated on first use and grown as needed.
    @exclusivity(unchecked) private var blockBuffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    @exclusivity(unchecked) private var spareBuffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    /// The part of the next block's mapped bytes not yet prefetched (forward walks).
    @exclusivity(unchecked) private var prefetchNext: UnsafeRawPointer?
    @exclusivity(unchecked) private var prefetchEnd: UnsafeRawPointer?

    init(table: TableReader, verifyChecksums: Bool, fillCache: Bool) {
        self.table = table
        self.verifyChecksums = verifyChecksums
        self.fillCache = fillCache
        scratch = .allocate(byteCount: 256, alignment: 8)
        index = BlockCursor(block: table.indexBlock, order: table.indexOrder, format: table.indexFormat,
                            scratch: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<128]))
        data = BlockCursor(block: table.indexBlock, order: .internalKey,
                           scratch: UnsafeMutableRawBufferPointer(rebasing: scratch[128..<256]))
    }

    deinit {
        index.release()
        data.release()
        scratch.deallocate()
        blockBuffer.deallocate()
        spareBuffer.deallocate()
    }

    /// Loads the block the index cursor points at; false (with `dataHandle` nil) if none.
    private func loadBlock() -> Bool {
        guard loadError == nil, index.isValid else {
            dataHandle = nil
            return false
        }
        let h = index.handle
        if dataHandle == h { return true }
        prefetchNext = nil
        do {
            if fillCache {
                if let block = table.cachedBlock(h) {
                    data.reset(to: block)
                } else {
                    let needed = try table.storedBlockBytes(h)
                    if spareBuffer.count < needed {
                        spareBuffer.deallocate()
                        spareBuffer = .allocate(byteCount: max(needed, 4096 + blockTrailerSize), alignment: 8)
                    }
                    let (block, borrowed) = try table.readBlock(h, verifyChecksums: verifyChecksums, scratch: spareBuffer)
                    data.reset(to: block)
                    if borrowed { swap(&blockBuffer, &spareBuffer) }
                    if let following = table.mappedBytesAfter(h), let start = following.baseAddress {
                        prefetchNext = start
                        prefetchEnd = start + following.count
                    }
                }
            } else {
                data.reset(to: try table.uncachedDataBlock(h, verifyChecksums: verifyChecksums))
            }
            dataHandle = h
            return true
        } catch let e as SedimentError {
            loadError = e
        } catch {
            loadError = .corruption(file: table.path, offset: Int64(h.offset), message: "\(error)")
        }
        dataHandle = nil
        return false
    }

    private func skipEmptyForward() {
        while dataHandle != nil && !data.isValid && data.error == nil {
            index.next()
            guard loadBlock() else { return }
            data.seekToFirst()
        }
    }

    private func skipEmptyBackward() {
        while dataHandle != nil && !data.isValid && data.error == nil {
            index.previous()
            guard loadBlock() else { return }
            data.seekToLast()
        }
    }

    public var isValid: Bool { loadError == nil && dataHandle != nil && data.isValid }

    public func seekToFirst() {
        index.seekToFirst()
        if loadBlock() { data.seekToFirst() }
        skipEmptyForward()
    }

    public func seekToLast() {
        index.seekToLast()
        if loadBlock() { data.seekToLast() }
        skipEmptyBackward()
    }

    public func seek(_ target: UnsafeRawBufferPointer) {
        index.seek(target)
        if loadBlock() { data.seek(target) }
        skipEmptyForward()
    }

    public func seekForPrevious(_ target: UnsafeRawBufferPointer) {
        index.seek(target)
        if !index.isValid && index.error == nil { index.seekToLast() }
        if loadBlock() { data.seekForPrevious(target) }
        skipEmptyBackward()
    }

    public func next() {
        data.next()
        skipEmptyForward()
    }

    /// `next()` and the new entry: within a block (valid before, so no load error and a block
    /// loaded) the data cursor's own validity decides, without `isValid`'s three tests.
    func advance() -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)? {
        data.next()
        if let p = prefetchNext, let end = prefetchEnd {
            // Two cache lines of the next block per step: a 4 KiB block of ~35 entries is in
            // cache before the walk reaches it (DESIGN.md §14 P36).
            sediment_prefetch(p)
            sediment_prefetch(p + 64)
            let q = p + 128
            prefetchNext = q < end ? q : nil
        }
        if data.isValid { return (data.key, data.value) }
        skipEmptyForward()
        return isValid ? (data.key, data.value) : nil
    }

    public func previous() {
        data.previous()
        skipEmptyBackward()
    }

    /// False when the table's filter proves `userKey` absent.
    func mayContain(userKey: UnsafeRawBufferPointer) -> Bool { table.filterMayMatch(userKey) }

    public var key: UnsafeRawBufferPointer { data.key }
    public var value: UnsafeRawBufferPointer { data.value }
    public var error: SedimentError? { loadError ?? index.error ?? (dataHandle != nil ? data.error : nil) }
}
