// MemTable: the in-memory write buffer, a skip list of RocksDB memtable entries in an arena.
// Point lookups and iterators read it while one writer adds to it. See DESIGN.md §5.
//
// Invariants:
//   1. Entries are only ever added; none is changed or removed until the memtable is freed,
//      so views handed out (iterator keys and values, `withLookup` values) stay valid while
//      the memtable is alive.
//   2. An entry's internal key is user key + fixed64 (sequence << 8 | kind); the newest
//      version of a user key sorts first.
//
// Thread-safety: `add` requires external synchronisation (the engine's write path calls it from
// one thread at a time). Every other member may be called from any number of threads at once,
// concurrently with that writer, without locks: see SkipList.swift's invariants for why readers
// only ever see fully-initialised entries.

import Synchronization

/// The in-memory table of recent writes, ordered by internal key.
///
/// `@unchecked Sendable`: the mutable state is the arena and the skip list. Writers are
/// serialised by the caller (the precondition of `add`); readers touch only memory that was
/// published with release stores and is read with acquire loads (SkipList.swift invariant 3),
/// and the counters are `Atomic`. No lock exists to name because none is needed for readers,
/// and the writer's lock is the caller's.
@_spi(Internals) public final class MemTable: @unchecked Sendable {
    /// The ordered index; owns the arena.
    let list: SkipList

    /// An empty memtable whose arena takes memory in `arenaBlockSize`-byte chunks
    /// (default 1 MiB). Pages are prefaulted ahead of the writer only while the arena holds
    /// less than `prefaultBudget` bytes (the write buffer size: the chunk that reaches it is
    /// the last this memtable fills, so its pages are not faulted in ahead).
    @_spi(Internals) public init(arenaBlockSize: Int = 1 << 20, prefaultBudget: Int = .max) {
        list = SkipList(arena: Arena(chunkSizeBytes: arenaBlockSize, prefaultBudget: prefaultBudget))
    }

    /// An empty memtable as above whose arena asks `hugePageGate` before using huge pages:
    /// chunks taken while it is closed use small pages (HugePageGate.swift).
    init(arenaBlockSize: Int, prefaultBudget: Int, hugePageGate: HugePageGate) {
        list = SkipList(arena: Arena(chunkSizeBytes: arenaBlockSize, prefaultBudget: prefaultBudget,
                                     hugePageGate: hugePageGate))
    }

    /// Adds an entry: `key` at `sequence` with `kind`, carrying `value` (empty for deletions).
    /// The bytes are copied into the arena.
    /// - Precondition: calls to `add` are serialised by the caller; `key.count + 8` and
    ///   `value.count` fit in UInt32; `sequence` fits in 56 bits.
    /// - Complexity: O(log n) expected.
    @_spi(Internals) public func add(sequence: SequenceNumber, kind: ValueKind,
                                     key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        list.insert(userKey: key, trailer: packSequenceAndKind(sequence, kind), value: value)
    }

    /// Adds an entry from arrays; see `add(sequence:kind:key:value:)` taking raw buffers.
    @_spi(Internals) public func add(sequence: SequenceNumber, kind: ValueKind, key: [UInt8], value: [UInt8]) {
        key.withUnsafeBytes { k in
            value.withUnsafeBytes { v in add(sequence: sequence, kind: kind, key: k, value: v) }
        }
    }

    /// Finds the newest entry for `userKey` with sequence <= `sequence` and passes what it is to
    /// `body` without copying: a `.value` view into the arena, valid only inside `body`.
    /// Entries of kinds other than value and deletion report `.notFound`.
    /// - Complexity: O(log n) expected; no allocation.
    @_spi(Internals) public func withLookup<R>(userKey: UnsafeRawBufferPointer, sequence: SequenceNumber,
                                               _ body: (MemTableLookup) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) {
            let seekSequence = min(sequence, maxSequenceNumber)
            let target = SkipListKey(userKey: userKey, trailer: packSequenceAndKind(seekSequence, .forSeek))
            guard let node = list.findGreaterOrEqual(target) else { return try body(.notFound) }
            let internalKey = node.internalKey
            let userKeyCount = internalKey.count - 8
            guard let start = internalKey.baseAddress,
                  compareUserKeys(start, userKeyCount, userKey) == 0 else { return try body(.notFound) }
            let trailer = internalKey.loadFixed64(at: userKeyCount)
            switch ValueKind(rawValue: UInt8(truncatingIfNeeded: trailer)) {
            case .value: return try body(.value(node.value))
            case .deletion: return try body(.deleted)
            default: return try body(.notFound)
            }
        }
    }

    /// The newest entry for `userKey` with sequence <= `sequence`: `.found` with a copy of the
    /// value, `.deleted` for a tombstone, `.notFound` when the memtable has no visible version
    /// (or only one of a kind other than value and deletion).
    /// - Complexity: O(log n) expected.
    func get(userKey: UnsafeRawBufferPointer, sequence: SequenceNumber) -> LookupResult {
        withLookup(userKey: userKey, sequence: sequence) { lookup in
            switch lookup {
            case .value(let bytes): .found(Array(bytes))
            case .deleted: .deleted
            case .notFound: .notFound
            }
        }
    }

    /// `get(userKey:sequence:)` for an array key.
    func get(userKey: [UInt8], sequence: SequenceNumber) -> LookupResult {
        userKey.withUnsafeBytes { get(userKey: $0, sequence: sequence) }
    }

    /// The bytes the memtable's arena holds, approximately; safe from any thread while a
    /// writer adds.
    @_spi(Internals) public var approximateMemoryUsage: Int { list.arena.memoryUsage }

    /// True when the memtable is full for a write buffer of `writeBufferSize` bytes, by
    /// RocksDB's rule (`MemTable::ShouldFlushNow`): while another arena chunk fits within
    /// `writeBufferSize` plus 60 % of a chunk it is not full; past that much it is; in between
    /// (the last chunk is allocated) it is full once less than a quarter of that chunk is left.
    /// So a memtable holds about `writeBufferSize` bytes, not one chunk less (DESIGN.md §5).
    /// Only the writer (the group-commit leader, under the database lock) may ask.
    func isFull(writeBufferSize: Int) -> Bool {
        let chunk = list.arena.chunkSizeBytes
        let allocated = list.arena.memoryUsage
        let slack = chunk * 3 / 5
        if allocated + chunk < writeBufferSize + slack { return false }
        if allocated > writeBufferSize + slack { return true }
        // The quarter left is one 2 MiB huge page of an 8 MiB chunk: stopping 64 KiB short of
        // it keeps the write that would cross into it (and so make the whole page resident)
        // out of this memtable.
        let margin = chunk >= 4 * Arena.hugePageBytes ? 64 << 10 : 0
        return arenaUnusedBytes < chunk / 4 + margin
    }

    /// The unused tail of the arena's current chunk (writer only; for tests and `isFull`).
    var arenaUnusedBytes: Int { list.arena.unusedBytesInCurrentChunk }

    /// The number of entries added.
    @_spi(Internals) public var count: Int { list.count }

    /// The number of distinct user keys added (every version and deletion of a key counts once).
    @_spi(Internals) public var distinctUserKeys: Int { list.distinctUserKeys }

    /// True when no entry has been added.
    @_spi(Internals) public var isEmpty: Bool { list.count == 0 }

    /// A new iterator over every entry in internal-key order, initially unpositioned. It keeps
    /// the memtable alive.
    @_spi(Internals) public func makeIterator() -> MemTableIterator {
        MemTableIterator(memTable: self)
    }
}

/// What `MemTable.withLookup` found for a user key at a sequence number.
@_spi(Internals) public enum MemTableLookup {
    /// The newest visible version is a value; the view is valid only inside the lookup's closure.
    case value(UnsafeRawBufferPointer)
    /// The newest visible version is a tombstone.
    case deleted
    /// No visible version in this memtable.
    case notFound
}
