// Snapshot: a point-in-time view. It holds its sequence number in the database's list of live
// snapshots until the last reference goes away, and is valid only for reads of that database.

/// A consistent point-in-time view of a database; released when the last reference goes away.
public final class Snapshot: Sendable {
    /// Every write with a sequence number at or below this one is visible through the snapshot.
    public let sequence: UInt64
    /// The live-snapshot list of the database that made it (kept alive by the snapshot, so
    /// its identity cannot be reused while the snapshot exists).
    let list: SnapshotList

    init(sequence: UInt64, list: SnapshotList) {
        self.sequence = sequence
        self.list = list
    }

    deinit { list.release(sequence) }
}
