// LookupResult: what a point lookup in one source (memtable, table) found for a user key at a
// sequence number. `notFound` means the source has no version of the key visible at the
// sequence, so the next older source must be asked; `deleted` ends the search.

/// The outcome of a point lookup in one source.
@_spi(Internals) public enum LookupResult: Equatable, Sendable {
    /// The newest visible version is a value.
    case found([UInt8])
    /// The newest visible version is a tombstone: the key is absent.
    case deleted
    /// No visible version here; look in older sources.
    case notFound
}

/// What a point lookup found, without the value: the lookup hands a found value to a closure as
/// a view instead, so a caller that copies it into a buffer it keeps allocates nothing.
@_spi(Internals) public enum LookupStatus: Equatable, Sendable {
    /// The newest visible version is a value (already passed to the closure).
    case found
    /// The newest visible version is a tombstone: the key is absent.
    case deleted
    /// No visible version here; look in older sources.
    case notFound
}

extension LookupStatus {
    /// Whether the key exists, when this source decided it (found: true, tombstone: false);
    /// nil when the search goes on to older sources.
    var decision: Bool? {
        switch self {
        case .found: true
        case .deleted: false
        case .notFound: nil
        }
    }
}
