// DatabaseCore: the open database behind the public `Database`. It owns the lock file, the
// VersionSet, the memtables and logs, the table cache and the background thread.
//
// Locking: `monitor` guards `state` and `versions`. A group-commit leader releases it while it
// writes the log and inserts into `state.mem` (it is then the only writer of that memtable);
// the background thread releases it while it writes a table. Readers take it only to capture
// the memtables, the current Version and the visible sequence number.
//
// `@unchecked Sendable`: every mutable field below is read and written only with `monitor` held
// (or, for `state.mem`'s contents, by the single leader as described above).

import Synchronization

/// The engine core of one open database.
final class DatabaseCore: @unchecked Sendable {
    let path: String
    let options: Options
    let fileSystem: any FileSystem
    let monitor = Monitor()
    let tableCache: TableCache
    let blockCache: BlockCache?
    let snapshots = SnapshotList()
    /// Closed while a memtable waits for its flush: the new memtable's chunks then use small
    /// pages (HugePageGate.swift). Set under `monitor`.
    let hugePageGate = HugePageGate()
    private let fileLock: any FileLock
    /// Guarded by `monitor`. `@exclusivity(unchecked)`: the monitor already makes every access
    /// exclusive, and the run-time check (swift_beginAccess, ~150 Ir) ran on each of the dozen
    /// accesses a write makes.
    @exclusivity(unchecked) var state: DatabaseState
    /// Guarded by `monitor`.
    let versions: VersionSet
    private var background: [BackgroundThread] = []
    /// Set once by `close()`; read without the lock by cursors.
    private let closedFlag = Atomic<Bool>(false)
    /// True once `close()` has begun.
    var isClosed: Bool { closedFlag.load(ordering: .acquiring) }
    let openedAt = Clock.nanoseconds()

    /// Opens (and recovers, or creates) the database at `path`.
    init(path: String, options rawOptions: Options) throws {
        let options = rawOptions.sanitized()
        try options.validate()
        self.path = path
        self.options = options
        let fs = options.fileSystem
        self.fileSystem = fs

        if fs.fileExists(path) && !fs.isDirectory(path) {
            throw SedimentError.invalidArgument("\(path) exists and is not a directory")
        }
        if !fs.fileExists(path) {
            guard options.createIfMissing else {
                throw SedimentError.invalidArgument("\(path) does not exist (createIfMissing is false)")
            }
            try fs.createDirectory(path)
            // The new directory's entry must be durable before any synced write is acknowledged
            // in it. If that cannot be made so, nothing is created: an empty directory left
            // behind would be opened next time without this step.
            do {
                try fs.syncDirectory(DatabaseCore.parentDirectory(of: path))
            } catch {
                try? fs.removeDirectory(path)
                throw error
            }
        }
        fileLock = try fs.lockFile(FileNames.lock(path))
        do {
            blockCache = options.blockCacheSize > 0 ? BlockCache(capacityBytes: options.blockCacheSize) : nil
            tableCache = TableCache(directory: path, fileSystem: fs, blockCache: blockCache,
                                    maxOpenFiles: options.maxOpenFiles)
            versions = VersionSet(path: path, fileSystem: fs, options: options)
            if fs.fileExists(FileNames.current(path)) {
                if options.errorIfExists {
                    throw SedimentError.invalidArgument("\(path) already exists (errorIfExists is true)")
                }
                try versions.recover()
            } else {
                try DatabaseCore.checkNoOrphanedDatabase(fs, path)
                guard options.createIfMissing else {
                    throw SedimentError.invalidArgument("\(path) holds no database (no CURRENT) and createIfMissing is false")
                }
                try versions.createNew()
            }
            // Never hand out the number of a file already here (a table from an edit the
            // MANIFEST lost, say): recovery's flush would overwrite it. Nor one in lost/: a
            // crash after a move there and before the MANIFEST recorded a later number would
            // otherwise let a new file of that number be moved over it.
            for name in try fs.children(of: path) {
                if let (_, number) = FileNames.parse(name) { versions.markFileNumberUsed(number) }
            }
            let lost = LostFiles.path(in: path)
            if fs.isDirectory(lost) {
                for name in try fs.children(of: lost) {
                    if let (_, number) = FileNames.parse(name) { versions.markFileNumberUsed(number) }
                }
            }
            try DatabaseCore.checkLiveTablesExist(versions, fs, path)
            try TableFeatureCheck.checkLiveTables(versions.current, tableCache)
            if versions.recoveredTornTail { try DatabaseCore.moveUnreferencedTablesToLost(versions, fs, path) }
            let recovered = try Recovery.replayLogs(directory: path, versions: versions, options: options)
            try DatabaseFiles.write(directory: path, options: options, versions: versions)
            state = DatabaseState(mem: MemTable(arenaBlockSize: arenaBlockSize(for: options), prefaultBudget: options.writeBufferSize,
                                                 hugePageGate: hugePageGate),
                                  log: recovered.log, lastSequence: recovered.lastSequence)
            deleteObsoleteFiles()
            noteVersionInstalled()
        } catch {
            fileLock.unlock()
            throw error
        }
        do {
            for i in 0..<max(1, options.maxBackgroundJobs) {
                let thread = BackgroundThread(name: "sediment-bg-\(i)") { [self] in backgroundLoop() }
                try thread.start()
                background.append(thread)
            }
        } catch {
            // The threads already running hold this core: stop them before the lock goes, or
            // they would compact and delete files in a directory no one has locked.
            stopBackgroundThreads()
            versions.close()
            fileLock.unlock()
            throw error
        }
    }

    deinit {
        try? close()
    }

    static func parentDirectory(of path: String) -> String {
        var path = Substring(path)
        while path.count > 1 && path.hasSuffix("/") { path = path.dropLast() }
        guard let slash = path.lastIndex(of: "/") else { return "." }
        var parent = path[..<slash]
        while parent.count > 1 && parent.hasSuffix("/") { parent = parent.dropLast() }
        return parent.isEmpty ? "/" : String(parent)
    }

    /// After a MANIFEST whose last edit was torn, tables no edit names may be what that edit
    /// described (a crash mid-append, or a damaged MANIFEST): move them to `lost/` (RocksDB's
    /// RepairDB convention) instead of deleting them, so nothing is destroyed on a guess. Runs
    /// before recovery writes a new MANIFEST, which no longer shows the torn tail. The last
    /// sequence is raised past every entry of those tables and of the tables already in `lost/`
    /// (an earlier open may have moved some and stopped before its edit), so that salvaging them
    /// later never shadows a newer write (DESIGN.md §8 rule 4). Recovery's edit records it; until
    /// then the MANIFEST keeps its torn tail, so an open that stops anywhere in between (a
    /// failed move, a crash, moves undone by power loss) is repeated whole by the next one:
    /// no edit may be written here, or the next open would delete the tables as obsolete.
    /// - Throws: the file system's error when a table cannot be read or moved (the open fails
    ///   and the table stays where it is; the next open tries again).
    private static func moveUnreferencedTablesToLost(_ versions: VersionSet, _ fs: any FileSystem, _ path: String) throws {
        let live = versions.liveFileNumbers()
        let names = try fs.children(of: path).filter {
            guard let (kind, number) = FileNames.parse($0) else { return false }
            return kind == .table && !live.contains(number)
        }
        var highest = versions.lastSequence
        for name in names {
            if let s = try Recovery.highestSequence(inTable: path + "/" + name, fileSystem: fs) { highest = max(highest, s) }
        }
        let lost = LostFiles.path(in: path)
        if fs.isDirectory(lost) {
            for name in try fs.children(of: lost) where FileNames.parse(name)?.kind == .table {
                if let s = try Recovery.highestSequence(inTable: lost + "/" + name, fileSystem: fs) { highest = max(highest, s) }
            }
        }
        for name in names { try LostFiles.move(name, from: path, fileSystem: fs) }
        if !names.isEmpty { try LostFiles.syncMoves(in: path, fileSystem: fs) }
        versions.lastSequence = highest
    }

    /// Refuses to create a new database over the files of one whose CURRENT is gone: creating
    /// would replay its logs into an empty tree and then delete its tables as obsolete. A lone
    /// MANIFEST-000001 is a creation that crashed before CURRENT was written, and is reused.
    /// - Throws: `.corruption` naming CURRENT when tables, logs or a later MANIFEST exist.
    private static func checkNoOrphanedDatabase(_ fileSystem: any FileSystem, _ path: String) throws {
        for name in try fileSystem.children(of: path) {
            guard let (kind, number) = FileNames.parse(name) else { continue }
            if kind == .table || kind == .log || (kind == .manifest && number > 1) {
                throw SedimentError.corruption(file: FileNames.current(path), offset: nil,
                                               message: "CURRENT is missing but \(name) is present; run Database.repair or restore CURRENT")
            }
        }
    }

    /// Every table the MANIFEST names must be on disk.
    private static func checkLiveTablesExist(_ versions: VersionSet, _ fileSystem: any FileSystem, _ path: String) throws {
        for level in versions.current.levels {
            for f in level where !fileSystem.fileExists(FileNames.table(path, f.number)) {
                throw SedimentError.corruption(file: FileNames.table(path, f.number), offset: nil,
                                               message: "the MANIFEST names this table but it is missing")
            }
        }
    }

    /// Throws `.closed` after close. - Precondition: `monitor` is held.
    func checkOpen() throws {
        if state.closed { throw SedimentError.closed }
    }

    /// Waits for in-flight writes and for a `compactRange` running on another thread to finish
    /// its current step, flushes the memtables that hold writes made with `disableWAL` (as
    /// RocksDB does unless `avoid_flush_during_shutdown`; no compaction is waited for), stops
    /// background work, closes the log and releases the lock. Otherwise nothing is flushed: the memtables' writes are in their
    /// logs and are replayed on reopen. A second caller returns when the first has finished.
    /// - Throws: the log's close error; or, when that flush fails (or cannot run after a
    ///   background error), its error: the database still closes, and the `disableWAL` writes
    ///   that were not flushed are lost.
    func close() throws {
        var flushError: SedimentError? = nil
        let threads: [BackgroundThread]? = monitor.withLock {
            if state.closed {
                while !state.closeFinished { monitor.wait(for: .progress) }
                return nil
            }
            state.closed = true
            closedFlag.store(true, ordering: .releasing)
            // Background work goes on until the flush below is done; queued writes and stalled
            // leaders see `closed` and fail with `.closed`.
            monitor.broadcastAll()
            while !state.writers.isEmpty { monitor.wait(for: .writers) }
            // A manual compaction installs its step's result and deletes its inputs after its
            // job: that must happen before the MANIFEST closes and the LOCK is released, or it
            // would write them with no lock held (a reopened database beside it).
            while state.manualCompactions > 0 { monitor.wait(for: .progress) }
            if state.memHasUnloggedWrites || state.imms.contains(where: \.hasUnloggedWrites) {
                flushError = flushForClose()
            }
            state.shuttingDown = true
            monitor.broadcastAll()
            let t = background
            background = []
            return t
        }
        guard let threads else { return }
        for t in threads { t.join() }
        let log: WriteAheadLog? = monitor.withLock {
            let l = state.log
            state.log = nil
            return l
        }
        defer {
            monitor.withLock { versions.close() }
            tableCache.close()
            fileLock.unlock()
            monitor.withLock {
                state.closeFinished = true
                monitor.broadcast(.progress)
            }
        }
        var logError: (any Error)? = nil
        do { try log?.close() } catch { logError = error }
        if let flushError { throw flushError }   // lost writes matter more than the log's close
        if let logError { throw logError }
    }

    /// `close()`'s flush of writes no log holds: switches out the memtable when it holds some,
    /// and waits until no memtable holding some is left unflushed (flushes go oldest first).
    /// - Returns: the error that stopped it, if any.
    /// - Precondition: `monitor` is held, `state.closed` is set and the writer queue is empty.
    private func flushForClose() -> SedimentError? {
        let lost = "writes made with disableWAL were not flushed and are lost"
        do {
            if state.memHasUnloggedWrites { try makeRoomForWrite(force: true, closing: true) }
            while state.imms.contains(where: \.hasUnloggedWrites) {
                if let error = state.backgroundError { throw SedimentError.readOnly(message: error.description) }
                monitor.wait(for: .progress)
            }
            return nil
        } catch SedimentError.readOnly(let message) {
            return .readOnly(message: "\(message); \(lost)")
        } catch {
            let e = asSedimentError(error)
            state.backgroundError = state.backgroundError ?? e
            return .readOnly(message: "\(e.description); \(lost)")
        }
    }

    /// Stops and joins the background threads started so far (an open that failed after
    /// starting some of them). - Precondition: `monitor` is not held.
    private func stopBackgroundThreads() {
        let threads: [BackgroundThread] = monitor.withLock {
            state.shuttingDown = true
            monitor.broadcastAll()
            let t = background
            background = []
            return t
        }
        for t in threads { t.join() }
    }

    /// Removes logs older than the MANIFEST's log number, temp files, and tables that no
    /// Version references and no flush is writing. Errors are ignored: a file left behind is
    /// removed at the next open. - Precondition: `monitor` is held, or the core is not shared yet.
    func deleteObsoleteFiles() {
        for file in obsoleteFiles() { try? fileSystem.removeFile(file) }
    }

    /// `deleteObsoleteFiles` for the background threads: the files are chosen under the lock
    /// and removed without it (as LevelDB and RocksDB do), since removing a 64 MiB log makes
    /// the kernel drop its cached pages, which took about 20 ms that writers waited for.
    /// Nothing can need a chosen file again: file numbers are never reused, a table no Version
    /// references is never opened again, and an older log is never written again.
    /// - Precondition: `monitor` is held; it is released and taken again.
    func deleteObsoleteFilesOutsideLock() {
        let files = obsoleteFiles()
        guard !files.isEmpty else { return }
        monitor.unlock()
        for file in files { try? fileSystem.removeFile(file) }
        monitor.lock()
    }

    /// The paths of the files `deleteObsoleteFiles` removes; evicts those tables from the
    /// table cache. - Precondition: `monitor` is held, or the core is not shared yet.
    private func obsoleteFiles() -> [String] {
        guard let names = try? fileSystem.children(of: path) else { return [] }
        let live = referencedTables()
        let minLog = versions.logNumber
        let currentLog = state.log?.number
        var files: [String] = []
        for name in names {
            guard let (kind, number) = FileNames.parse(name) else { continue }
            let remove: Bool
            switch kind {
            case .log: remove = number < minLog && number != currentLog
            case .table: remove = !live.contains(number) && !state.pendingOutputs.contains(number)
            case .temp: remove = true
            case .manifest: remove = number < versions.manifestFileNumber
            default: remove = false
            }
            if remove {
                if kind == .table { tableCache.evict(number) }
                files.append(path + "/" + name)
            }
        }
        return files
    }

    /// A new, empty memtable with this database's chunk size, prefault budget and gate (as the
    /// first one, made in `init`).
    func makeMemTable() -> MemTable {
        MemTable(arenaBlockSize: arenaBlockSize(for: options), prefaultBudget: options.writeBufferSize,
                 hugePageGate: hugePageGate)
    }
}
