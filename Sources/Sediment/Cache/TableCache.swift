// TableCache: the open TableReaders of a database, keyed by file number and bounded by
// `Options.maxOpenFiles` (-1: unbounded). Readers are opened lazily on first use; the least
// recently used is dropped when the bound is reached (a reader still in use stays alive through
// its other references). Thread-safe: one mutex around the map; tables are opened outside it.

/// Open table readers, shared by every read of the database.
final class TableCache: Sendable {
    private struct Entry {
        var reader: TableReader
        var lastUse: UInt64
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        var tick: UInt64 = 0
        /// Unbounded caches only: a direct-mapped front of `entries`, slot `number % frontSize`,
        /// so that a lookup of a recently used table costs no hash (a get asks for up to one
        /// reader per L0 table and level, and SipHash was ~200 Ir of each ask).
        var front = [TableReader?](repeating: nil, count: TableCache.frontSize)
        /// Set by `close()`: readers opened after it are not kept.
        var closed = false
    }

    private static let frontSize = 256

    private let directory: String
    private let fileSystem: any FileSystem
    private let blockCache: BlockCache?
    private let capacity: Int
    private let state = LockedState(State())

    /// A cache for the tables of the database in `directory`.
    init(directory: String, fileSystem: any FileSystem, blockCache: BlockCache?, maxOpenFiles: Int) {
        self.directory = directory
        self.fileSystem = fileSystem
        self.blockCache = blockCache
        self.capacity = maxOpenFiles < 0 ? Int.max : max(maxOpenFiles - 10, 20)
    }

    /// The reader for table `number` of `size` bytes, opening it when needed.
    /// - Throws: `SedimentError` naming the table file when it is missing or damaged.
    func reader(number: UInt64, size: UInt64) throws -> TableReader {
        let unbounded = capacity == Int.max
        let slot = Int(truncatingIfNeeded: number % UInt64(TableCache.frontSize))
        let cached: TableReader? = state.withLock { s in
            // With no bound there is no eviction order to keep, so the front may answer.
            if unbounded, let r = s.front[slot], r.fileNumber == number { return r }
            s.tick += 1
            // One hash: find the slot once, then update it in place.
            guard let index = s.entries.index(forKey: number) else { return nil }
            s.entries.values[index].lastUse = s.tick
            let reader = s.entries.values[index].reader
            if unbounded { s.front[slot] = reader }
            return reader
        }
        if let cached { return cached }
        let path = FileNames.table(directory, number)
        let file = try fileSystem.openForReading(path)
        let reader = try TableReader.open(file: file, fileSize: size, fileNumber: number, blockCache: blockCache)
        return state.withLock { s in
            // After close (a read or property racing it) the reader lives only as long as its
            // caller holds it, so no table stays open once the database is closed.
            if s.closed { return reader }
            if let existing = s.entries[number] { return existing.reader }
            s.tick += 1
            if s.entries.count >= capacity, let victim = s.entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                s.entries[victim.key] = nil
            }
            s.entries[number] = Entry(reader: reader, lastUse: s.tick)
            return reader
        }
    }

    /// Forgets every reader and keeps none opened later (at close): each table's file closes
    /// once no read still holds its reader.
    func close() {
        state.withLock { s in
            s.closed = true
            s.entries.removeAll()
            for i in s.front.indices { s.front[i] = nil }
        }
    }

    /// Forgets table `number` (after it is deleted).
    func evict(_ number: UInt64) {
        let slot = Int(truncatingIfNeeded: number % UInt64(TableCache.frontSize))
        state.withLock { s in
            _ = s.entries.removeValue(forKey: number)
            if let r = s.front[slot], r.fileNumber == number { s.front[slot] = nil }
        }
    }
}
