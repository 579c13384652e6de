// Snapshot: a point-in-time view. It holds its sequence number in the database's list of live
// snapshots until the last reference goes away.
import Synchronization

/// A consistent point-in-time view of a database; released when the last reference goes away.
public final class Snapshot: Sendable {
    /// Every write with a sequence number at or below this one is visible through the snapshot.
    public let sequence: UInt64
    private let onRelease: @Sendable (UInt64) -> Void

    init(sequence: UInt64, onRelease: @escaping @Sendable (UInt64) -> Void) {
        self.sequence = sequence
        self.onRelease = onRelease
    }

    deinit { onRelease(sequence) }
}
