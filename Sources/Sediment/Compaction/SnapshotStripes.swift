// SnapshotStripes: which versions of a user key some reader can still see (DESIGN.md §9).
// With live snapshots s0 < s1 < ... < sk, an entry with sequence q belongs to stripe i = the
// first snapshot with q <= si, or to stripe k+1 ("latest") when none. Readers of one stripe all
// see the same newest entry of a key, so when entries of a key arrive newest first, an entry in
// the same stripe as the one before it is hidden from everyone and may be dropped. Used by
// compactions and by flushes. A value type over a sorted array: Sendable, no locking.

/// The live snapshots' sequence numbers, for dropping versions nobody can see.
struct SnapshotStripes: Sendable {
    /// Ascending sequence numbers of the live snapshots.
    let snapshots: [SequenceNumber]

    /// Stripes over `snapshots`, which must be ascending.
    init(_ snapshots: [SequenceNumber]) {
        self.snapshots = snapshots
    }

    /// The stripe of `sequence`: index of the first snapshot >= it, or `snapshots.count`.
    /// - Complexity: O(log snapshots).
    @inline(__always) func stripe(of sequence: SequenceNumber) -> Int {
        var lo = 0
        var hi = snapshots.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if snapshots[mid] >= sequence { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
