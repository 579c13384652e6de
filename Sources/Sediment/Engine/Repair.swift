// Repair: the engine behind `Database.repair`, RocksDB's RepairDB semantics (DESIGN.md §8,
// "Repair"). Best effort: whatever can still be read becomes a database again.
//
//  1. Take the LOCK (`.locked` while the database is open) and list the directory: every log,
//     table and MANIFEST (FileNames.parse). Numbers in `lost/` count as used too. When CURRENT's
//     MANIFEST replays without a torn tail and every table it names reads whole, the tables it
//     does not name below its next file number and the logs below its log number are obsolete:
//     the sequence is raised past them and they move to `lost/` without being salvaged (their
//     `k#5` would shadow a live `k#0`).
//  2. Convert each log into level-0 tables: its records are read in `.skipAnyCorruptedRecords`
//     mode, a batch that does not decode in full is skipped, the rest go through a MemTable and
//     `Flush.writeLevel0Table` (a new table whenever the memtable passes `writeBufferSize`).
//  3. Scan every table (TableReader.open, then every entry) for its key and sequence ranges. A
//     table that cannot be opened or read, holds an unsupported feature or no entry, is moved
//     to `lost/`.
//  4. All tables go to level 0, where reads stop at the first table (newest largest sequence
//     first) holding a key. That is right only when every two tables with overlapping key ranges
//     also have disjoint sequence ranges; and RocksDB opens the result only when level 0 also
//     passes its own check (VersionBuilder's, on by default: newest first, each table's
//     smallest sequence above the next older one's). Tables from deeper levels of a compacted
//     tree often fail one or the other. Then every table is merged into new tables with
//     disjoint key ranges (every version is kept but exact duplicates) on the last level, where
//     a full compaction would leave them, and the originals go to `lost/` afterwards.
//  5. A brand-new MANIFEST (the tables at level 0, or the merged ones on the last; last sequence the largest seen, counting also
//     what every MANIFEST (here and in `lost/`) recorded and every log and table in `lost/`
//     holds, so a later salvage never shadows a newer write; log number a fresh, unused number,
//     so no log is replayed; next file number past everything) and CURRENT.
//  6. Only when that is durable, the old MANIFESTs, the converted logs and the merged originals
//     move to `lost/`. A crash before that step leaves extra files that the next repair (or
//     open) copes with: a repeated repair converts the logs again into identical entries.

enum Repair {
    /// Rebuilds the database in `path` from its tables and logs; see the file header.
    /// - Throws: `.invalidArgument` when `path` is not a directory or options are invalid;
    ///   `.locked` when the database is open; `SedimentError` from the file system. Damaged data
    ///   does not throw: it is skipped or moved to `lost/`.
    static func run(path: String, options rawOptions: Options) throws {
        let options = rawOptions.sanitized()
        try options.validate()
        let fs = options.fileSystem
        guard fs.isDirectory(path) else {
            throw SedimentError.invalidArgument("\(path) is not a directory: nothing to repair")
        }
        let lock = try fs.lockFile(FileNames.lock(path))
        defer { lock.unlock() }
        let repairer = Repairer(path: path, options: options)
        try repairer.repair()
    }
}

/// One repair run; not shared.
private final class Repairer {
    let path: String
    let options: Options
    let fs: any FileSystem
    var lostDirectory: String { LostFiles.path(in: path) }
    /// The next unused file number.
    var nextNumber: UInt64 = 1
    /// The largest sequence number seen in a table or log.
    var maxSequence: SequenceNumber = 0
    /// Tables written by this run, removed again when it fails before the MANIFEST.
    var written: [UInt64] = []

    init(path: String, options: Options) {
        self.path = path
        self.options = options
        self.fs = options.fileSystem
    }

    func newNumber() -> UInt64 {
        defer { nextNumber += 1 }
        return nextNumber
    }

    func repair() throws {
        var (logs, tables, manifests) = try listFiles(in: path)
        // Listed before anything is set aside: setAside raises the sequence past what it moves.
        let (lostLogs, lostTables, lostManifests) = fs.isDirectory(lostDirectory)
            ? try listFiles(in: lostDirectory) : ([], [], [])
        logs.sort()
        tables.sort()

        var live = LiveScan()
        if let obsolete = try obsoleteFiles(logs: logs, tables: tables, live: &live) {
            try setAside(obsolete)
            logs.removeAll { obsolete.logs.contains($0) }
            tables.removeAll { obsolete.tables.contains($0) }
        }
        tables.removeAll { live.examined.contains($0) }
        var files = live.readable

        var replaced: [UInt64] = []
        do {
            for number in logs { try convertLog(number) }
            for number in tables + written {
                if let meta = try scanTable(number) { files.append(meta) }
            }
            files.sort { $0.number < $1.number }
            if !Self.levelZeroOrderIsSafe(files) {
                replaced = files.map(\.number)
                files = try mergeAll(files)
            }
        } catch {
            for n in written { try? fs.removeFile(FileNames.table(path, n)) }
            throw error
        }

        // Sequence numbers never go backwards: what the MANIFESTs recorded (a `.pointInTime` open
        // or a torn-tail open raised it past files it moved to lost/) and what lost/ holds.
        for name in manifests { try raiseSequence(pastManifest: path + "/" + name) }
        for name in lostManifests { try raiseSequence(pastManifest: lostDirectory + "/" + name) }
        if let s = try Recovery.highestSequence(inLogs: lostLogs, directory: lostDirectory, fileSystem: fs) {
            maxSequence = max(maxSequence, s)
        }
        for number in lostTables {
            if let s = try Recovery.highestSequence(inTable: FileNames.table(lostDirectory, number), fileSystem: fs) {
                maxSequence = max(maxSequence, s)
            }
        }

        var edit = VersionEdit()
        edit.comparator = bytewiseComparatorName
        let logNumber = newNumber()
        let manifestNumber = newNumber()
        edit.logNumber = logNumber
        edit.prevLogNumber = 0
        edit.nextFileNumber = nextNumber
        edit.lastSequence = maxSequence
        let level = replaced.isEmpty ? 0 : options.numLevels - 1
        for f in files { edit.addFile(level: level, f) }
        let versions = VersionSet(path: path, fileSystem: fs, options: options)
        try versions.writeFreshManifest(edit, manifestNumber: manifestNumber)

        // The new state is durable; what it replaced goes to lost/ (best effort).
        let newManifest = "MANIFEST-" + FileNames.padded(manifestNumber)
        for name in manifests where name != newManifest { archive(name) }
        for number in logs { archive(FileNames.padded(number) + ".log") }
        for number in replaced { archive(FileNames.padded(number) + ".sst") }
        if fs.isDirectory(lostDirectory) { try? fs.syncDirectory(lostDirectory) }
        try? fs.syncDirectory(path)
    }

    /// The logs, tables (by number) and MANIFESTs (by name) in `directory`. Every numbered
    /// file, whatever its kind, raises `nextNumber` past its number.
    private func listFiles(in directory: String) throws -> (logs: [UInt64], tables: [UInt64], manifests: [String]) {
        var logs: [UInt64] = []
        var tables: [UInt64] = []
        var manifests: [String] = []
        for name in try fs.children(of: directory) {
            guard let (kind, number) = FileNames.parse(name) else { continue }
            nextNumber = max(nextNumber, number + 1)
            switch kind {
            case .log: logs.append(number)
            case .table: tables.append(number)
            case .manifest: manifests.append(name)
            default: break
            }
        }
        return (logs, tables, manifests)
    }

    /// The tables and logs that CURRENT's MANIFEST makes obsolete, when it can be trusted to
    /// tell: it replays as an open replays it, without a torn last record (the torn edit may
    /// have named the only copy of acknowledged data, its logs already deleted), and every table
    /// it names is present and reads whole (scanned here into `live`; a live table that is
    /// missing or damaged is the usual reason to repair, and then the obsolete ones may hold
    /// the best remaining copy). Obsolete are: tables it does not name whose numbers are below
    /// its next file number (inputs of finished compactions a crash or a pinning cursor left,
    /// outputs of unfinished ones, flush outputs whose logs are still live), and logs below its
    /// log number other than its previous log (already flushed; a failed unlink left them).
    /// Their data is older than, or also in, the live files; salvaging it could shadow a value
    /// sequence zeroing rewrote as `k#0` (DESIGN.md §8, "Repair").
    /// - Returns: nil when the MANIFEST cannot be trusted (also when CURRENT or the MANIFEST is
    ///   missing, damaged or incomplete, or made with more levels): every file is then
    ///   salvaged. Raises `nextNumber` past the MANIFEST's next file number.
    /// - Throws: `.io`/`.noSpace` from the file system.
    func obsoleteFiles(logs: [UInt64], tables: [UInt64],
                       live scan: inout LiveScan) throws -> (logs: Set<UInt64>, tables: Set<UInt64>)? {
        let versions = VersionSet(path: path, fileSystem: fs, options: options)
        do {
            try versions.recover()
        } catch let error as SedimentError {
            switch error {
            case .io, .noSpace: throw error
            default: return nil
            }
        }
        nextNumber = max(nextNumber, versions.nextFileNumber)   // never reuse a number it handed out
        guard !versions.recoveredTornTail else { return nil }
        let live = versions.liveFileNumbers()
        guard live.isSubset(of: tables) else { return nil }
        for number in live.sorted() {
            scan.examined.insert(number)
            guard let meta = try scanTable(number) else { return nil }   // moved to lost/
            scan.readable.append(meta)
        }
        let obsoleteTables = tables.filter { $0 < versions.nextFileNumber && !live.contains($0) }
        let obsoleteLogs = logs.filter { $0 < versions.logNumber && $0 != versions.prevLogNumber }
        return (Set(obsoleteLogs), Set(obsoleteTables))
    }

    /// The live tables `obsoleteFiles` scanned: every one it tried, and the metadata of those
    /// that read whole (the others went to `lost/`).
    struct LiveScan {
        var examined: Set<UInt64> = []
        var readable: [FileMetadata] = []
    }

    /// Raises `maxSequence` past the entries of the obsolete files, then moves them to `lost/`
    /// (best effort: one that stays is not salvaged, and the next open deletes it as obsolete,
    /// which it is: the MANIFEST that said so was whole and its tables all read).
    /// - Throws: `.io`/`.noSpace` from the file system.
    func setAside(_ obsolete: (logs: Set<UInt64>, tables: Set<UInt64>)) throws {
        if let s = try Recovery.highestSequence(inLogs: obsolete.logs.sorted(), directory: path, fileSystem: fs) {
            maxSequence = max(maxSequence, s)
        }
        for number in obsolete.tables.sorted() {
            if let s = try Recovery.highestSequence(inTable: FileNames.table(path, number), fileSystem: fs) {
                maxSequence = max(maxSequence, s)
            }
        }
        for number in obsolete.logs.sorted() { archive(FileNames.padded(number) + ".log") }
        for number in obsolete.tables.sorted() { archive(FileNames.padded(number) + ".sst") }
    }

    /// Raises `maxSequence` past what MANIFEST `manifestPath` records: each edit's last sequence
    /// and its tables' largest sequence numbers, for the edits that decode (damage is skipped).
    /// - Throws: `.io`/`.noSpace` from the file system.
    func raiseSequence(pastManifest manifestPath: String) throws {
        let reader: RecordReader
        do {
            reader = RecordReader(file: try fs.openForReading(manifestPath), mode: .skipAnyCorruptedRecords)
        } catch let error as SedimentError {
            switch error {
            case .io, .noSpace: throw error
            default: return
            }
        }
        try reader.forEachSalvagedRecord { record in
            guard let edit = try? VersionEdit.decode(record, file: manifestPath) else { return }
            if let s = edit.lastSequence { maxSequence = max(maxSequence, s) }
            for f in edit.newFiles { maxSequence = max(maxSequence, f.file.largestSequence) }
        }
    }

    /// Moves `name` into `lost/`, creating it when needed. Best effort: a file that cannot be
    /// moved stays; the next open deletes it if no MANIFEST names it.
    func archive(_ name: String) {
        try? LostFiles.move(name, from: path, fileSystem: fs)
    }

    /// Replays log `number` into level-0 tables, skipping whatever is damaged.
    /// - Throws: I/O errors from the file system and from writing tables.
    func convertLog(_ number: UInt64) throws {
        let logPath = FileNames.log(path, number)
        let reader = RecordReader(file: try fs.openForReading(logPath), mode: .skipAnyCorruptedRecords)
        var mem = MemTable(arenaBlockSize: arenaBlockSize(for: options))
        func flush() throws {
            guard !mem.isEmpty else { return }
            let table = newNumber()
            _ = try Flush.writeLevel0Table(mem, number: table, directory: path, options: options)
            written.append(table)
            mem = MemTable(arenaBlockSize: arenaBlockSize(for: options))
        }
        // Damage the reader cannot step over ends the log: what came before it is kept.
        try reader.forEachSalvagedRecord { record in
            guard record.count >= WriteBatch.headerSize else { return }
            let batch = WriteBatch(encoded: record)
            do {
                try Recovery.validate(batch, file: logPath, offset: nil)
            } catch {
                return   // a damaged or unsupported batch is skipped whole
            }
            if let last = try Recovery.insert(batch, into: mem, file: logPath) { maxSequence = max(maxSequence, last) }
            if mem.isFull(writeBufferSize: options.writeBufferSize) { try flush() }
        }
        try flush()
    }

    /// Opens table `number` and reads every entry. A table that cannot be read (or is empty)
    /// is moved to `lost/`.
    /// - Returns: its metadata, or nil when it went to `lost/`.
    /// - Throws: `.io`/`.noSpace` from the file system (those say nothing about the table).
    func scanTable(_ number: UInt64) throws -> FileMetadata? {
        let tablePath = FileNames.table(path, number)
        do {
            let file = try fs.openForReading(tablePath)
            let reader = try TableReader.open(file: file, fileSize: try file.size(), fileNumber: number, blockCache: nil)
            try TableFeatureCheck.check(reader, manifestLargestSequence: nil)
            let it = reader.makeIterator(verifyChecksums: true, fillCache: false)
            it.seekToFirst()
            var smallest: [UInt8] = []
            var largest: [UInt8] = []
            var smallestSeq = SequenceNumber.max
            var largestSeq: SequenceNumber = 0
            while it.isValid {
                let key = it.key
                guard key.count >= 8 else {
                    throw SedimentError.corruption(file: tablePath, offset: nil, message: "a key shorter than its 8-byte trailer")
                }
                if smallest.isEmpty { smallest = Array(key) }
                let seq = key.loadFixed64(at: key.count - 8) >> 8
                smallestSeq = min(smallestSeq, seq)
                largestSeq = max(largestSeq, seq)
                largest.removeAll(keepingCapacity: true)
                largest.append(contentsOf: key)
                it.next()
            }
            if let e = it.error { throw e }
            guard !smallest.isEmpty else {
                archive(FileNames.padded(number) + ".sst")
                return nil
            }
            maxSequence = max(maxSequence, largestSeq)
            return FileMetadata(number: number, size: reader.fileSize, smallest: smallest, largest: largest,
                                smallestSequence: smallestSeq, largestSequence: largestSeq)
        } catch let error as SedimentError {
            switch error {
            case .io, .noSpace: throw error
            default:
                archive(FileNames.padded(number) + ".sst")
                return nil
            }
        }
    }

    /// True when level 0's first-hit rule reads `files` correctly: every two tables whose user-key
    /// ranges overlap have disjoint sequence ranges (Version+Invariants' rule 3); and when RocksDB
    /// accepts them on level 0 (`VersionBuilder::CheckConsistencyDetails` in 7.8): ordered newest
    /// first (largest sequence, then smallest, then number, descending), each table's smallest
    /// sequence is above the next older table's, unless that older one holds one sequence
    /// number (RocksDB takes it for an ingested table), below the newer's largest or 0.
    static func levelZeroOrderIsSafe(_ files: [FileMetadata]) -> Bool {
        guard Version(levels: [files]).invariantViolations().isEmpty else { return false }
        let newestFirst = files.sorted { a, b in
            if a.largestSequence != b.largestSequence { return a.largestSequence > b.largestSequence }
            if a.smallestSequence != b.smallestSequence { return a.smallestSequence > b.smallestSequence }
            return a.number > b.number
        }
        for (newer, older) in zip(newestFirst, newestFirst.dropFirst()) {
            if older.smallestSequence == older.largestSequence {
                guard older.smallestSequence < newer.largestSequence || older.smallestSequence == 0 else { return false }
            } else if newer.smallestSequence <= older.smallestSequence {
                return false
            }
        }
        return true
    }

    /// Merges every entry of `files` into new tables with disjoint user-key ranges, cut near
    /// `targetFileSizeBase` between user keys. Exact duplicates (same internal key) are written once.
    /// - Throws: errors reading the inputs or writing the outputs; new outputs are then removed.
    func mergeAll(_ files: [FileMetadata]) throws -> [FileMetadata] {
        var iterators: [any InternalIterator] = []
        // Earlier children win ties: of two tables holding the same internal key (sequence
        // zeroing writes every settled value as `k#0`), the later-written one.
        for f in files.sorted(by: { $0.number > $1.number }) {
            let file = try fs.openForReading(FileNames.table(path, f.number))
            let reader = try TableReader.open(file: file, fileSize: f.size, fileNumber: f.number, blockCache: nil)
            iterators.append(reader.makeIterator(verifyChecksums: true, fillCache: false))
        }
        let merged = MergingIterator(iterators)
        var writer = OutputWriter(directory: path, options: options, newFileNumber: { [unowned self] in newNumber() })
        var result = CompactionResult()
        let target = UInt64(max(1, options.targetFileSizeBase))
        var previous: [UInt8] = []
        do {
            merged.seekToFirst()
            while merged.isValid {
                let key = merged.key
                let sameUserKey: Bool
                if previous.isEmpty {
                    sameUserKey = false
                } else {
                    let duplicate = previous.withUnsafeBytes { compareBytes($0, key) == 0 }
                    if duplicate {
                        merged.next()
                        continue
                    }
                    sameUserKey = previous.withUnsafeBytes { p in
                        compareBytes(UnsafeRawBufferPointer(rebasing: p[0..<p.count - 8]),
                                     UnsafeRawBufferPointer(rebasing: key[0..<key.count - 8])) == 0
                    }
                }
                if !sameUserKey && writer.isOpen && writer.estimatedSize >= target {
                    try writer.finish(into: &result)
                }
                try writer.add(key, merged.value)
                previous.removeAll(keepingCapacity: true)
                previous.append(contentsOf: key)
                merged.next()
            }
            if let e = merged.error { throw e }
            try writer.finish(into: &result)
            try fs.syncDirectory(path)
        } catch {
            writer.abandon()
            for f in result.outputs { try? fs.removeFile(FileNames.table(path, f.number)) }
            throw error
        }
        return result.outputs
    }
}
