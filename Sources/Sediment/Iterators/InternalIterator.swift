// InternalIterator: the cursor protocol every internal source implements (memtable, block,
// table, level, merging). Keys are encoded internal keys (user key + 8-byte trailer) in
// internal-key order.
//
// Ownership: `key` and `value` are views into memory the iterator owns (an arena, a pinned
// block, or the iterator's own key buffer). They stay valid until the iterator moves or is
// released; copy them to keep them longer. Not thread-safe: one iterator, one thread.

/// A positioned cursor over encoded internal keys.
protocol InternalIterator: AnyObject {
    /// True when positioned at an entry.
    var isValid: Bool { get }
    /// Positions at the first entry.
    func seekToFirst()
    /// Positions at the last entry.
    func seekToLast()
    /// Positions at the first entry whose internal key is >= `target` (an encoded internal key).
    func seek(_ target: UnsafeRawBufferPointer)
    /// Positions at the last entry whose internal key is <= `target`.
    func seekForPrevious(_ target: UnsafeRawBufferPointer)
    /// Moves to the next entry. - Precondition: `isValid`.
    func next()
    /// Moves to the previous entry. - Precondition: `isValid`.
    func previous()
    /// The current encoded internal key. - Precondition: `isValid`.
    var key: UnsafeRawBufferPointer { get }
    /// The current value. - Precondition: `isValid`.
    var value: UnsafeRawBufferPointer { get }
    /// The I/O or corruption error that made the iterator invalid, if any.
    var error: SedimentError? { get }
    /// False only when the source provably holds no entry of `userKey` (a table's filter, a
    /// level's key ranges); true when it may. Does not move the iterator.
    func mayContain(userKey: UnsafeRawBufferPointer) -> Bool
    /// Moves to the next entry and returns its key and value, or nil when the iterator is no
    /// longer valid: `next()`, `isValid`, `key` and `value` in one call (a merge step makes one
    /// dynamic call through the existential, and one retain of the child, instead of four).
    /// - Precondition: `isValid`.
    func advance() -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)?
}

extension InternalIterator {
    /// Without a filter, any key may be present.
    func mayContain(userKey: UnsafeRawBufferPointer) -> Bool { true }

    /// `next()`, then the entry when still valid.
    func advance() -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)? {
        next()
        return isValid ? (key, value) : nil
    }
}
