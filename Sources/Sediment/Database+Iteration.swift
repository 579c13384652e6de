// Database+Iteration: cursors and scans (../shared/API.md).

extension Database {
    /// A positioned cursor over the merged view (memtables and every level), at
    /// `options.snapshot` or at the moment of the call. The cursor is not positioned yet:
    /// call `seekToFirst`, `seekToLast`, `seek` or `seekForPrevious`. The cursor keeps this
    /// `Database` open while it exists (unless `close()` is called).
    /// - Throws: `.closed`, an error opening a table, or `.invalidArgument` for a snapshot taken
    ///   from another `Database`.
    public func cursor(options: ReadOptions = ReadOptions()) throws -> Cursor {
        try core.cursor(options: options, database: self)
    }

    /// Forward scan of [lower, upper) as a Swift sequence; nil means unbounded. The bounds
    /// narrow `options.lowerBound`/`upperBound`.
    /// - Throws: as `cursor(options:)`. Errors met while iterating end the
    ///   sequence; check `ScanSequence.Iterator.error`.
    public func scan(from lower: [UInt8]? = nil, to upper: [UInt8]? = nil,
                     options: ReadOptions = ReadOptions()) throws -> ScanSequence {
        var o = options
        if let lower { o.lowerBound = o.lowerBound.map { compareBytes($0, lower) > 0 ? $0 : lower } ?? lower }
        if let upper { o.upperBound = o.upperBound.map { compareBytes($0, upper) < 0 ? $0 : upper } ?? upper }
        return ScanSequence(cursor: try core.cursor(options: o, database: self))
    }
}

/// A forward scan as a Swift sequence of (key, value) pairs. Iterate it once.
public struct ScanSequence: Sequence {
    let cursor: Cursor

    /// The scan's iterator.
    public struct Iterator: IteratorProtocol {
        let cursor: Cursor
        var started = false

        /// The next pair, or nil at the end (or on an error; see `error`).
        public mutating func next() -> (key: [UInt8], value: [UInt8])? {
            if !started {
                started = true
                cursor.seekToFirst()
            } else if cursor.isValid {
                cursor.next()
            }
            guard cursor.isValid else { return nil }
            return (cursor.key, cursor.value)
        }

        /// The error that ended the scan early, if any.
        public var error: SedimentError? { cursor.error }
    }

    /// Makes the iterator.
    public func makeIterator() -> Iterator {
        Iterator(cursor: cursor)
    }
}
