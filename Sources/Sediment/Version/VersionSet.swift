// VersionSet: the current Version plus the counters that outlive it (next file number, last
// sequence, log numbers), made durable in the MANIFEST. See DESIGN.md §7.
//
//   MANIFEST-000007:  record(snapshot edit) record(edit) record(edit) ...
//   CURRENT:          "MANIFEST-000007\n"
//
// `logAndApply` appends one encoded VersionEdit as one record, syncs the MANIFEST, and only then
// installs the new Version. A MANIFEST past `options.maxManifestFileSize` (and the first edit
// after `recover`) starts a new MANIFEST: a snapshot edit of the whole state plus the edit,
// synced, then CURRENT is replaced (temp file, fsync, rename, directory fsync).
//
// Not thread-safe: the engine calls every method under its own mutex. `current` is an
// immutable, Sendable Version that readers may keep after the lock is released.

/// The versions of a database and the MANIFEST that records them.
final class VersionSet {
    /// The database directory.
    let path: String
    /// The file system all MANIFEST and CURRENT work goes through.
    let fileSystem: any FileSystem
    /// The options (numLevels, maxManifestFileSize).
    let options: Options

    /// The newest installed version.
    private(set) var current: Version
    /// Logs numbered below this are obsolete: their data is in tables.
    private(set) var logNumber: UInt64 = 0
    /// LevelDB's previous log number (0 when unused).
    private(set) var prevLogNumber: UInt64 = 0
    /// RocksDB's min_log_number_to_keep, carried through (0 when never set).
    private(set) var minLogNumberToKeep: UInt64 = 0
    /// The last sequence number used. The engine advances it after each write.
    var lastSequence: SequenceNumber = 0
    /// The next number `newFileNumber` hands out.
    private(set) var nextFileNumber: UInt64 = 2
    /// The number of the MANIFEST in use (the one CURRENT names).
    private(set) var manifestFileNumber: UInt64 = 0
    /// True when `recover` found the MANIFEST's last record torn (and ignored it).
    var recoveredTornTail = false
    /// The open MANIFEST, or nil when the next edit must start a new one.
    private var manifest: RecordWriter?

    /// A version set for the database at `path`; call `createNew` or `recover` next.
    init(path: String, fileSystem: any FileSystem, options: Options) {
        self.path = path
        self.fileSystem = fileSystem
        self.options = options
        self.current = Version(numLevels: options.numLevels)
    }

    /// Hands out a new file number.
    func newFileNumber() -> UInt64 {
        defer { nextFileNumber += 1 }
        return nextFileNumber
    }

    /// Makes sure `number` is never handed out again.
    func markFileNumberUsed(_ number: UInt64) {
        if nextFileNumber <= number { nextFileNumber = number + 1 }
    }

    /// The numbers of every table file of the current version.
    func liveFileNumbers() -> Set<UInt64> {
        Set(current.levels.joined().map(\.number))
    }

    /// Writes a new, empty database's MANIFEST-000001 (comparator, log number 0, next file 2,
    /// last sequence 0) and CURRENT naming it; the MANIFEST stays open for `logAndApply`.
    /// - Throws: `SedimentError` from the file system; CURRENT is then not written.
    func createNew() throws {
        var edit = VersionEdit()
        edit.comparator = bytewiseComparatorName
        edit.logNumber = 0
        edit.nextFileNumber = 2
        edit.lastSequence = 0
        manifestFileNumber = 1
        nextFileNumber = 2
        logNumber = 0
        prevLogNumber = 0
        lastSequence = 0
        current = Version(numLevels: options.numLevels)
        manifest = try startManifest(number: 1, records: [edit.encode()])
    }

    /// For repair: starts MANIFEST-`manifestNumber` holding `edit` alone (a whole state:
    /// comparator, counters and every table), syncs it, points CURRENT at it and closes it.
    /// Nothing is installed; the version set is not used afterwards.
    /// - Throws: `.invalidArgument` when the edit's tables do not form a version or a counter is
    ///   missing; `SedimentError` from the file system (the new MANIFEST is then removed unless
    ///   CURRENT may already name it).
    func writeFreshManifest(_ edit: VersionEdit, manifestNumber: UInt64) throws {
        guard edit.logNumber != nil, edit.nextFileNumber != nil, edit.lastSequence != nil else {
            throw SedimentError.invalidArgument("a fresh MANIFEST needs a log number, next file number and last sequence")
        }
        _ = try Version(numLevels: options.numLevels).applying(edit)
        let writer = try startManifest(number: manifestNumber, records: [edit.encode()])
        try writer.file.close()
    }

    /// Records `edit` in the MANIFEST and installs the version it produces. Fills in the next
    /// file number and last sequence; keeps the current log numbers when the edit has none.
    /// - Precondition: called under the engine's mutex.
    /// - Throws: `.invalidArgument` when the edit does not apply to the current version or its log
    ///   number goes backwards; `SedimentError` from the file system. On error nothing is
    ///   installed, and the next edit starts a new MANIFEST.
    func logAndApply(_ edit: VersionEdit) throws {
        var edit = edit
        if let n = edit.logNumber {
            guard n >= logNumber, n < nextFileNumber else {
                throw SedimentError.invalidArgument("log number \(n) outside [\(logNumber), \(nextFileNumber))")
            }
        }
        let next = try current.applying(edit)
        for n in edit.newFiles { markFileNumberUsed(n.file.number) }
        let rollover = manifest.map { $0.file.size >= UInt64(max(0, options.maxManifestFileSize)) } ?? true
        let newManifestNumber = rollover ? newFileNumber() : manifestFileNumber
        edit.nextFileNumber = nextFileNumber
        edit.lastSequence = lastSequence
        do {
            if rollover {
                let writer = try startManifest(number: newManifestNumber, records: [snapshot().encode(), edit.encode()])
                let old = manifest
                manifest = writer
                manifestFileNumber = newManifestNumber
                try? old?.file.close()
            } else if let writer = manifest {
                try writer.addRecord(edit.encode())
                try writer.sync()
            }
        } catch {
            // The MANIFEST may end in a partial record now; never append to it again.
            if let writer = manifest { try? writer.file.close() }
            manifest = nil
            throw error
        }
        current = next
        if let n = edit.logNumber { logNumber = n }
        if let n = edit.prevLogNumber { prevLogNumber = n }
        if let n = edit.minLogNumberToKeep { minLogNumberToKeep = max(minLogNumberToKeep, n) }
    }

    /// What `recover` read from a MANIFEST.
    struct RecoveredState {
        /// The levels after replaying every edit.
        var version: Version
        /// The MANIFEST CURRENT named.
        var manifestNumber: UInt64
        /// The last log number recorded.
        var logNumber: UInt64
        /// The last previous-log number recorded (0 when none).
        var prevLogNumber: UInt64
        /// The largest min_log_number_to_keep recorded (0 when none).
        var minLogNumberToKeep: UInt64
        /// The last sequence number recorded.
        var lastSequence: SequenceNumber
        /// The last next-file number recorded.
        var nextFileNumber: UInt64
    }

    /// Installs a recovered state (for `recover` only); the MANIFEST stays closed, so the next
    /// `logAndApply` starts a new one.
    func install(_ state: RecoveredState) {
        manifest = nil
        current = state.version
        manifestFileNumber = state.manifestNumber
        logNumber = state.logNumber
        prevLogNumber = state.prevLogNumber
        minLogNumberToKeep = state.minLogNumberToKeep
        lastSequence = state.lastSequence
        nextFileNumber = state.nextFileNumber
        markFileNumberUsed(state.manifestNumber)
        markFileNumberUsed(state.logNumber)
        markFileNumberUsed(state.prevLogNumber)
        for f in state.version.levels.joined() { markFileNumberUsed(f.number) }
    }

    /// Closes the MANIFEST. The version set must not be used afterwards.
    func close() {
        if let writer = manifest { try? writer.file.close() }
        manifest = nil
    }

    /// An edit that recreates the whole current state: the first record of a new MANIFEST.
    func snapshot() -> VersionEdit {
        var edit = VersionEdit()
        edit.comparator = bytewiseComparatorName
        edit.logNumber = logNumber
        edit.prevLogNumber = prevLogNumber
        edit.nextFileNumber = nextFileNumber
        edit.lastSequence = lastSequence
        if minLogNumberToKeep > 0 { edit.minLogNumberToKeep = minLogNumberToKeep }
        edit.newFiles = current.allFiles
        return edit
    }

    /// Creates MANIFEST-`number` holding `records`, syncs it and the directory, then points
    /// CURRENT at it. On failure before CURRENT was renamed, removes the new MANIFEST (best
    /// effort) and rethrows. Once the rename has happened CURRENT may name the new MANIFEST on
    /// disk (only the directory sync failed), so the MANIFEST is kept: removing it would leave
    /// CURRENT naming a missing file and the database unopenable.
    private func startManifest(number: UInt64, records: [[UInt8]]) throws -> RecordWriter {
        let name = FileNames.manifest(path, number)
        let file = try fileSystem.createForWriting(name)
        let writer = RecordWriter(file: file)
        var currentRenamed = false
        do {
            for r in records { try writer.addRecord(r) }
            try writer.sync()
            try fileSystem.syncDirectory(path)
            try setCurrent(manifestNumber: number, renamed: &currentRenamed)
            return writer
        } catch {
            try? file.close()
            if !currentRenamed { try? fileSystem.removeFile(name) }
            throw error
        }
    }

    /// Replaces CURRENT so it names MANIFEST-`manifestNumber`: write `NNNNNN.dbtmp`, fsync it,
    /// rename it over CURRENT, fsync the directory. Sets `renamed` once the rename succeeded.
    private func setCurrent(manifestNumber: UInt64, renamed: inout Bool) throws {
        let temp = FileNames.temp(path, manifestNumber)
        let contents = Array("MANIFEST-\(FileNames.padded(manifestNumber))\n".utf8)
        do {
            try fileSystem.writeWholeFile(temp, contents, sync: true)
            try fileSystem.rename(temp, to: FileNames.current(path))
        } catch {
            try? fileSystem.removeFile(temp)
            throw error
        }
        renamed = true
        try fileSystem.syncDirectory(path)
    }
}
