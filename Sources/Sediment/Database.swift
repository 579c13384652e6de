// Database: the public handle of an open database (../shared/API.md). It forwards to the
// engine core (Engine/DatabaseCore*.swift) and closes it when the last reference goes away
// (cursors and scans made from it hold references too).

/// An open Sediment database: an ordered, crash-safe key-value store in one directory.
///
/// Thread-safe: any number of threads may call `put`, `delete`, `write`, `get` and the other
/// methods at once. Concurrent writes are joined into groups that share one log write and at
/// most one `fdatasync` (group commit).
public final class Database: Sendable {
    let core: DatabaseCore

    /// The largest key `put`, `delete` and `WriteBatch` accept: 8 MiB, RocksDB's recommended
    /// maximum. Larger keys are refused with `.invalidArgument`.
    public static let maxKeySize = 8 << 20

    /// The largest value `put` and `WriteBatch` accept: 3 GiB, RocksDB's recommended maximum.
    /// With the largest key and `Options.blockSize` (at most `Options.maxBlockSize`), a data
    /// block stays under 4 GiB, the most a block handle may span when it is read back.
    public static let maxValueSize = 3 << 30

    /// Why an operation with these lengths cannot be written, or nil when it can.
    @inline(__always)
    static func sizeViolation(keyCount: Int, valueCount: Int) -> String? {
        if keyCount > maxKeySize { return "key of \(keyCount) bytes is over the \(maxKeySize)-byte limit" }
        if valueCount > maxValueSize { return "value of \(valueCount) bytes is over the \(maxValueSize)-byte limit" }
        return nil
    }

    /// Opens the database in directory `path`, creating it when `options.createIfMissing`.
    /// Replays any write-ahead logs left by a previous run (see `Options.walRecoveryMode`).
    /// - Throws: `SedimentError.locked` when another process (or another `Database` in this
    ///   process) has it open; `.invalidArgument` for a missing directory without
    ///   `createIfMissing`, an existing one with `errorIfExists`, or a file at `path`;
    ///   `.corruption` naming the file for a damaged CURRENT, MANIFEST, log or a missing table.
    public init(path: String, options: Options = Options()) throws {
        core = try DatabaseCore(path: path, options: options)
    }

    deinit {
        try? core.close()
    }

    /// Sets `key` to `value`.
    /// - Throws: `.closed` after `close()`, `.readOnly` after a failed log write or background
    ///   error, `.io`/`.noSpace` when the log write fails, `.invalidArgument` for a key over
    ///   `maxKeySize` or a value over `maxValueSize` bytes, or for `sync` with `disableWAL`
    ///   (nothing is written).
    public func put(_ key: [UInt8], _ value: [UInt8], options: WriteOptions = WriteOptions()) throws {
        if let reason = Self.sizeViolation(keyCount: key.count, valueCount: value.count) {
            throw SedimentError.invalidArgument("put refused: " + reason)
        }
        try core.write(single: SingleWrite(kind: .value, key: key, value: value), options: options)
    }

    /// Removes `key` (writes a tombstone).
    /// - Throws: as `put`.
    public func delete(_ key: [UInt8], options: WriteOptions = WriteOptions()) throws {
        if let reason = Self.sizeViolation(keyCount: key.count, valueCount: 0) {
            throw SedimentError.invalidArgument("delete refused: " + reason)
        }
        try core.write(single: SingleWrite(kind: .deletion, key: key, value: []), options: options)
    }

    /// Applies every operation of `batch` atomically: after a crash, all or none are visible.
    /// - Throws: as `put`; `.invalidArgument` when a put or delete added to `batch` was over
    ///   the size limits (none of the batch is written). An empty batch written with `sync`
    ///   syncs the log: every write acknowledged before it is then durable.
    public func write(_ batch: WriteBatch, options: WriteOptions = WriteOptions()) throws {
        if let reason = batch.refusal {
            throw SedimentError.invalidArgument("write batch refused: " + reason)
        }
        if batch.count == 0 && !options.sync {
            // Nothing to log or apply. A synced empty batch goes on: it syncs the log, so the
            // writes acknowledged before it become durable (a barrier, as in RocksDB).
            try DatabaseCore.check(options)
            try core.monitor.withLock { try core.checkOpen() }
            return
        }
        try core.write(batch, options: options)
    }

    /// The newest value of `key`, or the value as of `options.snapshot`; nil when absent or
    /// deleted.
    /// - Throws: `.closed`, or `.corruption`/`.io` naming a table that cannot be read;
    ///   `.invalidArgument` for a snapshot taken from another `Database`.
    public func get(_ key: [UInt8], options: ReadOptions = ReadOptions()) throws -> [UInt8]? {
        try core.get(key, options: options)
    }

    /// Like `get(_:options:)`, but copies the value into `value`, replacing its contents and
    /// reusing its capacity, so a loop of reads into one buffer allocates nothing per read (as
    /// LevelDB's `Get` into a reused `std::string`). Returns false, leaving `value` as it was,
    /// when the key is absent or deleted.
    /// - Throws: as `get(_:options:)`.
    public func get(_ key: [UInt8], into value: inout [UInt8], options: ReadOptions = ReadOptions()) throws -> Bool {
        try core.get(key, into: &value, options: options)
    }

    /// A consistent point-in-time view; released when the last reference to it goes away.
    public func snapshot() -> Snapshot {
        core.snapshot()
    }

    /// Writes the memtable to a level-0 table and waits until it is durable.
    /// - Throws: `.closed`, `.readOnly`, or the flush's I/O error.
    public func flush() throws {
        try core.flush()
    }

    /// Compacts every table overlapping [from, to] down to the last level; nil means
    /// unbounded. Flushes the memtable first and returns when done.
    /// - Throws: `.closed`, `.readOnly`, or the compaction's I/O error.
    public func compactRange(from: [UInt8]? = nil, to: [UInt8]? = nil) throws {
        try core.compactRange(from: from, to: to)
    }

    /// Waits until no flush or compaction is due or running (db_bench's waitforcompaction). A
    /// compaction that runs out of space is retried in the background; the wait goes on through
    /// a retry, but not while the disk stays full.
    /// - Throws: `.closed`; `.readOnly` after a background error; `.noSpace` naming the table
    ///   when three compactions in a row ran out of space (they are still retried).
    public func waitForCompactions() throws {
        try core.waitForCompactions()
    }

    /// Named figures as text: "sediment.stats", "sediment.levelstats",
    /// "sediment.num-files-at-level<N>", "sediment.estimate-num-keys",
    /// "sediment.total-sst-files-size", "sediment.cur-size-all-mem-tables", "sediment.sstables",
    /// "sediment.num-immutable-mem-table", "sediment.last-sequence". nil for an unknown name.
    public func property(_ name: String) -> String? {
        core.property(name)
    }

    /// Reads every block of every live table and checks its checksum.
    /// - Throws: `.corruption` naming the table and block offset.
    public func verifyChecksums() throws {
        try core.verifyChecksums()
    }

    /// Stops background work and releases the lock. Unflushed writes are in the log and are
    /// replayed on the next open; writes made with `disableWAL`, which no log holds, are flushed
    /// first (as RocksDB does). Idempotent; `deinit` also closes. Calls after close throw
    /// `SedimentError.closed`.
    /// - Throws: `.readOnly` when that flush fails or cannot run after a background error (the
    ///   database still closes; those writes are lost); the log's close error.
    public func close() throws {
        try core.close()
    }

    /// Deletes the database in `path`: every file Sediment (or RocksDB) names, then the
    /// directory when it is empty.
    /// - Throws: `.locked` when the database is open; `.io` when a file cannot be removed.
    public static func destroy(path: String, options: Options = Options()) throws {
        let fs = options.fileSystem
        guard fs.fileExists(path) else { return }
        guard fs.isDirectory(path) else {
            throw SedimentError.invalidArgument("\(path) is not a directory")
        }
        let lock = try fs.lockFile(FileNames.lock(path))
        defer { lock.unlock() }
        for name in try fs.children(of: path) {
            guard let (kind, _) = FileNames.parse(name), kind != .lock else { continue }
            try fs.removeFile(path + "/" + name)
        }
        // Unlinked while still locked; an opener that took the old file's lock meanwhile sees
        // it is no longer the LOCK the path names and takes the new one (`lockFile`).
        try? fs.removeFile(FileNames.lock(path))
        lock.unlock()
        if (try? fs.children(of: path))?.isEmpty == true {
            try fs.removeDirectory(path)
        }
    }
}
