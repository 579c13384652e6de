// SnapshotList: the sequence numbers of live snapshots (a multiset), so that compaction keeps
// every version some snapshot can still see. Thread-safe.

/// Live snapshot sequence numbers.
final class SnapshotList: Sendable {
    private let counts = LockedState([UInt64: Int]())

    /// Registers a snapshot at `sequence`.
    func acquire(_ sequence: UInt64) {
        counts.withLock { $0[sequence, default: 0] += 1 }
    }

    /// Releases one snapshot at `sequence`.
    func release(_ sequence: UInt64) {
        counts.withLock { c in
            if let n = c[sequence] {
                c[sequence] = n > 1 ? n - 1 : nil
            }
        }
    }

    /// The live sequences, ascending.
    func sequences() -> [UInt64] {
        counts.withLock { Array($0.keys).sorted() }
    }

    /// The oldest live snapshot, if any.
    var oldest: UInt64? { counts.withLock { $0.keys.min() } }
}
