// BlockIterator: the `InternalIterator` over one block; a class shell around `BlockCursor`,
// which does the decoding. Keys point into the iterator's reusable key buffer, values into the
// retained Block; both stay valid until the iterator moves. Not thread-safe.

/// An iterator over the entries of one block.
@_spi(Internals) public final class BlockIterator: InternalIterator {
    // Iterator state is @exclusivity(unchecked): the class is used by one thread at a time and
    // no access to a field overlaps another (no callbacks into self), so the run-time check
    // that class fields otherwise get on every access (swift_beginAccess) is pure cost.
    @exclusivity(unchecked) private var cursor: BlockCursor

    /// An unpositioned iterator over `block`.
    init(block: Block, order: BlockKeyOrder = .internalKey, format: BlockValueFormat = .plain) {
        cursor = BlockCursor(block: block, order: order, format: format)
    }

    deinit { cursor.release() }

    /// Re-targets the iterator at another block, reusing its key buffer.
    func reset(to block: Block) { cursor.reset(to: block) }

    public var isValid: Bool { cursor.isValid }
    public func seekToFirst() { cursor.seekToFirst() }
    public func seekToLast() { cursor.seekToLast() }
    public func seek(_ target: UnsafeRawBufferPointer) { cursor.seek(target) }
    public func seekForPrevious(_ target: UnsafeRawBufferPointer) { cursor.seekForPrevious(target) }
    public func next() { cursor.next() }
    public func previous() { cursor.previous() }
    public var key: UnsafeRawBufferPointer { cursor.key }
    public var value: UnsafeRawBufferPointer { cursor.value }
    public var error: SedimentError? { cursor.error }
    /// The current entry's block handle (index blocks only).
    var handle: BlockHandle { cursor.handle }
}
