// Options: how a database is opened and shaped. Names and defaults follow RocksDB's
// (include/rocksdb/options.h) wherever the meaning is the same.

/// How much of a damaged write-ahead log recovery accepts (RocksDB's WALRecoveryMode).
public enum WALRecoveryMode: Sendable {
    /// Accept a log whose only damage is an incomplete record at its very end (a torn write).
    case tolerateCorruptedTailRecords
    /// Fail to open on any damage, with `.corruption` naming the log and offset.
    case absoluteConsistency
    /// Recover up to the first damaged record and ignore everything after it (the default).
    case pointInTime
    /// Skip every damaged record and keep whatever else can be read (salvage).
    case skipAnyCorruptedRecords
}

/// Options for opening a database. Sizes are in bytes.
public struct Options: Sendable {
    /// Creates the default options.
    public init() {}
    /// Create the directory and an empty database when none exists. Default true.
    public var createIfMissing = true
    /// Fail with `.invalidArgument` when a database already exists. Default false.
    public var errorIfExists = false
    /// Verify more aggressively (checksums on every table read during recovery). Default true.
    public var paranoidChecks = true
    /// Bytes a memtable may hold before it becomes immutable and is flushed. Default 64 MiB.
    public var writeBufferSize = 64 << 20
    /// Memtables (mutable plus immutable) held at once; writers wait when all are full. Default 2.
    public var maxWriteBufferNumber = 2
    /// Target uncompressed size of a data block. Default 4 KiB; at most `Options.maxBlockSize`.
    public var blockSize = 4096
    /// The largest `blockSize` a database opens with: 256 MiB. With the largest key and value
    /// (`Database.maxKeySize`, `Database.maxValueSize`), a data block stays under 4 GiB.
    public static let maxBlockSize = 256 << 20
    /// Keys between restart points in a data block. Default 16.
    public var blockRestartInterval = 16
    /// Bloom filter bits per key; 0 disables filters. Default 10.
    public var bloomBitsPerKey = 10.0
    /// Compression for new data blocks. Default `.lz4`.
    public var compression: Compression = .lz4
    /// Capacity of the shared block cache in bytes. Default 8 MiB.
    public var blockCacheSize = 8 << 20
    /// Table readers kept open at once; -1 keeps every table open. Default -1.
    public var maxOpenFiles = -1
    /// L0 table count that triggers an L0 compaction. Default 4.
    public var level0FileNumCompactionTrigger = 4
    /// L0 table count at which writes are slowed. Default 20.
    public var level0SlowdownWritesTrigger = 20
    /// L0 table count at which writes stop until compaction catches up. Default 36.
    public var level0StopWritesTrigger = 36
    /// Size at which compaction output tables are cut. Default 64 MiB.
    public var targetFileSizeBase = 64 << 20
    /// Target size of L1. Default 256 MiB.
    public var maxBytesForLevelBase = 256 << 20
    /// Each level's target is the previous one's times this. Default 10.
    public var maxBytesForLevelMultiplier = 10.0
    /// Number of levels, L0 included. Default 7.
    public var numLevels = 7
    /// Background threads for flushes and compactions. Default 2.
    public var maxBackgroundJobs = 2
    /// How recovery treats a damaged log. Default `.pointInTime`.
    public var walRecoveryMode: WALRecoveryMode = .pointInTime
    /// The file system every file operation goes through. Default the real one.
    public var fileSystem: any FileSystem = PosixFileSystem()
    /// Run compactions automatically in the background. Default true (tests turn it off to
    /// drive the tree by hand).
    public var disableAutoCompactions = false
    /// Compact a table that point reads keep looking through without finding their key there
    /// (LevelDB's seek compaction): a `get` that reads two or more tables charges the first one
    /// a seek, and a table that has used up max(100, size / 16 KiB) seeks is compacted into the
    /// next level when no size-triggered compaction is due. Default true, as in LevelDB
    /// (RocksDB dropped it); false leaves the tree to the size triggers alone.
    public var seekCompaction = true
    /// Start a new MANIFEST when the current one grows past this many bytes. Default 1 GiB as
    /// RocksDB's max_manifest_file_size.
    public var maxManifestFileSize = 1 << 30

    /// The most levels a database may have: 64, the bound a MANIFEST's level field is read with.
    public static let maxLevels = 64
    /// The largest `writeBufferSize` a database runs with: 64 GiB, RocksDB's bound; larger
    /// values are lowered to it at open.
    public static let maxWriteBufferSize = 64 << 30
    /// The largest `targetFileSizeBase` a database runs with: 1 PiB (no table is cut before it,
    /// so larger values mean the same); larger values are lowered to it at open.
    public static let maxTargetFileSize = 1 << 50

    /// The options a database runs with, as RocksDB's SanitizeOptions adjusts them: at least two
    /// write buffers and two levels; the L0 triggers in order (compaction <= slowdown <= stop),
    /// or writes could stop at a count of L0 tables that never triggers a compaction; the write
    /// buffer and target file sizes lowered to their bounds, where sums with them stay in range.
    func sanitized() -> Options {
        var o = self
        o.maxWriteBufferNumber = max(2, o.maxWriteBufferNumber)
        o.level0FileNumCompactionTrigger = max(1, o.level0FileNumCompactionTrigger)
        o.level0SlowdownWritesTrigger = max(o.level0SlowdownWritesTrigger, o.level0FileNumCompactionTrigger)
        o.level0StopWritesTrigger = max(o.level0StopWritesTrigger, o.level0SlowdownWritesTrigger)
        o.numLevels = max(2, o.numLevels)
        o.writeBufferSize = min(o.writeBufferSize, Options.maxWriteBufferSize)
        o.targetFileSizeBase = min(o.targetFileSizeBase, Options.maxTargetFileSize)
        return o
    }

    /// Throws `.invalidArgument` for settings no database can run with.
    func validate() throws {
        guard writeBufferSize > 0, blockSize > 0, blockRestartInterval > 0 else {
            throw SedimentError.invalidArgument("writeBufferSize, blockSize and blockRestartInterval must be positive")
        }
        guard targetFileSizeBase > 0, maxBytesForLevelBase > 0 else {
            throw SedimentError.invalidArgument("targetFileSizeBase (\(targetFileSizeBase)) and maxBytesForLevelBase (\(maxBytesForLevelBase)) must be positive")
        }
        guard maxBytesForLevelMultiplier > 0, maxBytesForLevelMultiplier.isFinite else {
            throw SedimentError.invalidArgument("maxBytesForLevelMultiplier (\(maxBytesForLevelMultiplier)) must be a positive number")
        }
        guard numLevels <= Options.maxLevels else {
            throw SedimentError.invalidArgument("numLevels \(numLevels) is over the limit of \(Options.maxLevels)")
        }
        guard blockSize <= Options.maxBlockSize else {
            throw SedimentError.invalidArgument("blockSize \(blockSize) is over the \(Options.maxBlockSize)-byte limit")
        }
    }
}

/// Options for one write.
public struct WriteOptions: Sendable {
    /// fdatasync the log before acknowledging. Default false (the write has still reached the
    /// kernel, so it survives a crash of the process).
    public var sync: Bool = false
    /// Skip the write-ahead log: the write is lost if the process stops before a flush.
    /// Cannot be combined with `sync` (the write is refused with `.invalidArgument`).
    public var disableWAL: Bool = false
    /// Creates write options.
    public init(sync: Bool = false, disableWAL: Bool = false) {
        self.sync = sync
        self.disableWAL = disableWAL
    }
}

/// Options for reads, cursors and scans.
public struct ReadOptions: Sendable {
    /// Read as of this snapshot (taken from the same `Database`; one from another is refused with
    /// `.invalidArgument`); nil reads the newest state.
    public var snapshot: Snapshot? = nil
    /// Cursors never return keys below this (inclusive).
    public var lowerBound: [UInt8]? = nil
    /// Cursors never return keys at or above this (exclusive).
    public var upperBound: [UInt8]? = nil
    /// Verify block checksums on every read. Default true.
    public var verifyChecksums: Bool = true
    /// Put blocks read into the block cache. Default true.
    public var fillCache: Bool = true
    /// Creates read options.
    public init(snapshot: Snapshot? = nil, lowerBound: [UInt8]? = nil, upperBound: [UInt8]? = nil,
                verifyChecksums: Bool = true, fillCache: Bool = true) {
        self.snapshot = snapshot
        self.lowerBound = lowerBound
        self.upperBound = upperBound
        self.verifyChecksums = verifyChecksums
        self.fillCache = fillCache
    }
}
