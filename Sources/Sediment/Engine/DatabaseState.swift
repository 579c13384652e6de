// DatabaseState: the mutable core of an open database, guarded by `DatabaseCore.monitor`.
// Nothing here is touched without that lock, except the memtable a group-commit leader inserts
// into (the leader is the only writer of `mem`, and the memtable's readers are lock-free).

/// A memtable that is full (or flushed on request), waiting for the background flush, with
/// the log that holds its writes.
struct ImmutableMemTable {
    let table: MemTable
    let logNumber: UInt64
    /// It holds writes made with `disableWAL`, which no log holds: `close()` waits for its flush.
    var hasUnloggedWrites = false
}

/// One put or delete that `Database.put`/`delete` hands to the write path without a batch of
/// its own: the group-commit leader encodes it into the group's buffer (no allocation per put).
struct SingleWrite {
    let kind: ValueKind
    let key: [UInt8]
    /// Empty for a delete.
    let value: [UInt8]

    /// Bytes its record takes in a WriteBatch.
    var byteSize: Int {
        kind == .value ? WriteBatch.putRecordSize(keyCount: key.count, valueCount: value.count)
                       : WriteBatch.deleteRecordSize(keyCount: key.count)
    }
}

/// One caller of `write` or `flush` waiting in the group-commit queue.
final class Writer {
    // The fields are read and written only with the database's monitor held, so they are
    // `@exclusivity(unchecked)`: the run-time check would only repeat what the lock ensures.
    /// The batch to apply (`Database.write`); with `single` nil too, the writer asks the leader
    /// to switch memtables (a flush request).
    @exclusivity(unchecked) var batch: WriteBatch?
    /// The single put or delete to apply (`Database.put`/`delete`).
    let single: SingleWrite?
    let sync: Bool
    let disableWAL: Bool
    @exclusivity(unchecked) var done = false
    @exclusivity(unchecked) var error: SedimentError?
    /// The writing thread's semaphore: the leader posts it when this writer is done (after
    /// setting `done` and `error`) or has become the leader.
    let wakeup = WriterWakeup.current()

    /// True for a flush request (nothing to write).
    var isFlushRequest: Bool { batch == nil && single == nil }

    /// Operations (sequence numbers) the writer adds to a group.
    var operationCount: UInt64 { batch.map { UInt64($0.count) } ?? (single == nil ? 0 : 1) }

    /// Bytes the writer adds to a group.
    var byteSize: Int { batch.map { $0.byteSize - WriteBatch.headerSize } ?? single?.byteSize ?? 0 }

    init(batch: WriteBatch?, single: SingleWrite? = nil, sync: Bool, disableWAL: Bool) {
        self.batch = batch
        self.single = single
        self.sync = sync
        self.disableWAL = disableWAL
    }
}

/// Counters behind `property("sediment.stats")`.
struct EngineStatistics {
    /// Bytes of write batches appended to the WAL (RocksDB's "ingest").
    var walBytes: UInt64 = 0
    /// WAL syncs.
    var walSyncs: UInt64 = 0
    /// Group-commit groups written.
    var writeGroups: UInt64 = 0
    /// Operations (puts and deletes) applied.
    var writesApplied: UInt64 = 0
    /// Memtables flushed.
    var flushes: UInt64 = 0
    /// Bytes of the level-0 tables flushes wrote.
    var flushBytes: UInt64 = 0
    /// Time spent flushing.
    var flushNanoseconds: UInt64 = 0
    /// Time writers spent slowed or stopped (level-0 triggers, full memtables).
    var stallNanoseconds: UInt64 = 0
    /// Per output level: compaction work (flushes count toward level 0).
    var levels: [LevelStatistics] = []
    /// Compactions that ran out of space and were put off.
    var compactionRetries: UInt64 = 0
}

/// Compaction work done into one level (the output level; flushes count toward level 0), the
/// figures of one row of `sediment.stats`.
struct LevelStatistics {
    /// Compactions (not trivial moves) that wrote into this level.
    var compactions: UInt64 = 0
    /// Time spent in them (and, for level 0, in flushes).
    var nanoseconds: UInt64 = 0
    /// Input bytes: `bytesReadInputLevel + bytesReadOutputLevel`.
    var bytesRead: UInt64 = 0
    /// Rn: input bytes from the level above (the compaction's start level).
    var bytesReadInputLevel: UInt64 = 0
    /// Rnp1: input bytes from this level itself.
    var bytesReadOutputLevel: UInt64 = 0
    /// Table bytes written into this level (flush outputs for level 0).
    var bytesWritten: UInt64 = 0
    /// Bytes of tables moved into this level without rewriting (trivial moves).
    var bytesMoved: UInt64 = 0
    /// Trivial moves into this level.
    var moves: UInt64 = 0
    /// Entries read by compactions into this level.
    var entriesIn: UInt64 = 0
    /// Entries those compactions dropped (overwritten, or tombstones with nothing to hide).
    var entriesDropped: UInt64 = 0
}

/// A weak reference to a Version, so the core can tell which old versions readers still hold.
struct WeakVersion {
    weak var version: Version?
}

/// Everything that changes while the database is open.
struct DatabaseState {
    /// The memtable receiving writes.
    var mem: MemTable
    /// The log holding `mem`'s writes; nil only after close.
    var log: WriteAheadLog?
    /// Full memtables waiting to be flushed, oldest first.
    var imms: [ImmutableMemTable] = []
    /// The sequence number of the newest write visible to readers.
    var lastSequence: SequenceNumber
    /// Writers waiting in order; the first is the leader.
    var writers: [Writer] = []
    /// Members of the last synced group (group commit's yield, DESIGN.md §4).
    var lastSyncGroupSize = 0
    /// The buffer the group-commit leader assembles each group in, kept between groups so a
    /// write allocates no batch buffer (the leader takes it out and puts it back).
    var groupBuffer: WriteBatch?
    /// A table whose seek budget ran out (level, number): compacted when no size-triggered
    /// compaction is due (`Options.seekCompaction`).
    var seekCompactionFile: (level: Int, number: UInt64)?
    /// The first background or log error; while set, writes fail with `.readOnly`.
    var backgroundError: SedimentError?
    /// True while the background thread is writing a table.
    var flushing = false
    /// Table numbers being written (not yet in a Version): never deleted as orphans.
    var pendingOutputs: Set<UInt64> = []
    /// Set by `close()`: new calls throw `.closed`.
    var closed = false
    /// `mem` holds writes made with `disableWAL` (RocksDB's `has_unpersisted_data_`, per
    /// memtable here): `close()` flushes it, since no log holds those writes. Passed on to
    /// `ImmutableMemTable.hasUnloggedWrites` when `mem` is switched out.
    var memHasUnloggedWrites = false
    /// Set by `close()`: the background thread exits at its next check.
    var shuttingDown = false
    /// Set when `close` has closed the MANIFEST and released the lock (a second `close` waits
    /// for it).
    var closeFinished = false
    var stats = EngineStatistics()
    /// Levels read or written by a running compaction: two compactions never share a table.
    var busyLevels: Set<Int> = []
    /// Tables that running compactions read (the "being compacted" count of `sediment.stats`).
    var compactingTables: Set<UInt64> = []
    /// Compactions running now (background and manual).
    var runningCompactions = 0
    /// Manual compactions (compactRange) waiting or running: background picking pauses.
    var manualCompactions = 0
    /// Per level, the largest key of the last compaction there (the round-robin cursor).
    var compactionCursors: [Int: [UInt8]] = [:]
    /// After a compaction ran out of space: no automatic compaction before this time.
    var compactionRetryAfter: UInt64 = 0
    /// Compactions in a row that ran out of space (reset by one that succeeds), and the last
    /// such error: `waitForCompactions` throws it rather than wait for a disk that stays full.
    var noSpaceCompactionsInARow = 0
    var lastNoSpaceError: SedimentError?
    /// Every Version installed while open; those still referenced keep their tables on disk.
    var versionsSeen: [WeakVersion] = []
}
