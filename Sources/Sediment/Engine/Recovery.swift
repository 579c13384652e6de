// Recovery: replays the write-ahead logs the MANIFEST does not yet cover, on open.
//
// Rules (DESIGN.md §8):
//  1. Logs numbered at or above the MANIFEST's log number (and its prev log number) are replayed
//     in number order; each record is a WriteBatch whose sequence continues the database's.
//  2. A batch is validated completely before any of it is applied: all or nothing. A batch
//     whose sequence numbers run past 2^56 - 1 is damage like a bad checksum.
//  3. Damage is handled by `Options.walRecoveryMode` (RecordReader implements the modes). With
//     `.pointInTime`, replay stops at the first damage and no later log is replayed. The last
//     sequence is first raised past every batch those logs still hold (so that what repair
//     salvages from them never shadows a newer write), then the damaged log and the later ones
//     move to lost/, before the recovery edit; a failed move fails the open.
//  4. Recovered writes are flushed to level-0 tables (more than one when they exceed the write
//     buffer), a fresh log is started, and one VersionEdit records the tables, the new log
//     number and the last sequence; only then are the replayed logs deleted.
//  5. A log the engine cannot apply (`.notSupported` records, damage beyond the recovery mode)
//     fails the open before anything is recorded; tables already written from it are removed.
//  6. Sequence numbers never go backwards: the last sequence is the maximum of the MANIFEST's
//     and every replayed batch's.

enum Recovery {
    struct Result {
        var log: WriteAheadLog
        var lastSequence: SequenceNumber
    }

    /// Checks a log record's batch completely before any of it is applied: every operation
    /// decodes, and its sequence numbers (from the header's through the last operation's) fit
    /// the 56 bits an internal key holds, so numbering them cannot overflow.
    /// - Throws: `.corruption` naming `file` (and `offset`, the record's end, when known);
    ///   `.notSupported` for operations Sediment does not implement and for a key too long for
    ///   a memtable entry.
    static func validate(_ batch: WriteBatch, file: String, offset: Int64?) throws {
        try batch.forEach(file: file) { _, key, _ in
            // A memtable entry's key (with its 8-byte trailer) has a 32-bit length; a value's
            // length in a batch is a varint32 already.
            guard key.count <= Int(UInt32.max) - 8 else {
                throw SedimentError.notSupported(feature: "a key of \(key.count) bytes (the memtable holds keys under 4 GiB - 8)", file: file)
            }
        }
        let count = UInt64(batch.count)
        guard batch.sequence <= maxSequenceNumber, count <= maxSequenceNumber - batch.sequence + 1 else {
            throw SedimentError.corruption(file: file, offset: offset,
                                           message: "batch sequence \(batch.sequence) with \(count) operations is past the largest sequence number")
        }
    }

    /// Adds every operation of `batch` (checked by `validate`) to `mem`, numbered from the
    /// batch's sequence.
    /// - Returns: the last sequence number used; nil for an empty batch.
    /// - Throws: `.corruption` naming `file` when the batch does not decode.
    static func insert(_ batch: WriteBatch, into mem: MemTable, file: String) throws -> SequenceNumber? {
        var seq = batch.sequence
        try batch.forEach(file: file) { kind, key, value in
            mem.add(sequence: seq, kind: kind, key: key, value: value)
            seq += 1
        }
        return batch.lastSequence
    }

    /// The largest sequence number of any batch that validates in the logs `numbers` of
    /// `directory`, read skipping damage (a damaged tail ends a log's scan); nil when none does.
    /// - Throws: `SedimentError` from the file system.
    static func highestSequence(inLogs numbers: [UInt64], directory: String,
                                fileSystem fs: any FileSystem) throws -> SequenceNumber? {
        var highest: SequenceNumber? = nil
        for number in numbers {
            let logPath = FileNames.log(directory, number)
            let reader = RecordReader(file: try fs.openForReading(logPath), mode: .skipAnyCorruptedRecords)
            try reader.forEachSalvagedRecord { record in
                guard record.count >= WriteBatch.headerSize else { return }
                let batch = WriteBatch(encoded: record)
                guard (try? validate(batch, file: logPath, offset: nil)) != nil,
                      let last = batch.lastSequence else { return }
                highest = max(highest ?? 0, last)
            }
        }
        return highest
    }

    /// The largest sequence number in table `path`, every entry read with checksums verified;
    /// nil when the table cannot be opened or read (damage, an unsupported format) or holds no
    /// entry. For raising the last sequence past tables that move to `lost/`, so that salvaging
    /// them later never shadows a newer write.
    /// - Throws: `.io`/`.noSpace` from the file system (those say nothing about the table).
    static func highestSequence(inTable path: String, fileSystem fs: any FileSystem) throws -> SequenceNumber? {
        do {
            let file = try fs.openForReading(path)
            let reader = try TableReader.open(file: file, fileSize: try file.size(), fileNumber: 0, blockCache: nil)
            let it = reader.makeIterator(verifyChecksums: true, fillCache: false)
            var highest: SequenceNumber? = nil
            it.seekToFirst()
            while it.isValid {
                let key = it.key
                guard key.count >= 8 else { return highest }
                highest = max(highest ?? 0, key.loadFixed64(at: key.count - 8) >> 8)
                it.next()
            }
            return highest
        } catch let error as SedimentError {
            switch error {
            case .io, .noSpace: throw error
            default: return nil
            }
        }
    }

    /// Replays the logs of the database in `directory` and starts a new log.
    static func replayLogs(directory: String, versions: VersionSet, options: Options) throws -> Result {
        let fs = options.fileSystem
        var logs: [UInt64] = []
        for name in try fs.children(of: directory) {
            guard let (kind, number) = FileNames.parse(name), kind == .log else { continue }
            versions.markFileNumberUsed(number)
            if number >= versions.logNumber || number == versions.prevLogNumber { logs.append(number) }
        }
        logs.sort()
        var edit = VersionEdit()
        var lastSequence = versions.lastSequence
        var mem = MemTable(arenaBlockSize: arenaBlockSize(for: options), prefaultBudget: options.writeBufferSize)
        // The log where `.pointInTime` replay stopped at damage: it and every later log hold
        // records that were not replayed.
        var stoppedAt: UInt64? = nil

        /// Removes the tables recovery wrote, when the open fails before the MANIFEST names
        /// them (the directory is then left as recovery found it).
        func removeRecoveredTables() {
            for f in edit.newFiles { try? fs.removeFile(FileNames.table(directory, f.file.number)) }
        }

        func flushRecovered() throws {
            guard !mem.isEmpty else { return }
            let number = versions.newFileNumber()
            let meta = try Flush.writeLevel0Table(mem, number: number, directory: directory, options: options)
            edit.addFile(level: 0, meta)
            mem = MemTable(arenaBlockSize: arenaBlockSize(for: options), prefaultBudget: options.writeBufferSize)
        }

        do {
            replay: for number in logs {
                let logPath = FileNames.log(directory, number)
                let reader = RecordReader(file: try fs.openForReading(logPath), mode: options.walRecoveryMode)
                while let record = try reader.readRecord() {
                    let batch = WriteBatch(encoded: record)
                    do {
                        guard record.count >= WriteBatch.headerSize else {
                            throw SedimentError.corruption(file: logPath, offset: Int64(reader.lastRecordEndOffset),
                                                           message: "log record of \(record.count) bytes is shorter than a batch header")
                        }
                        try validate(batch, file: logPath, offset: Int64(reader.lastRecordEndOffset))
                    } catch let error as SedimentError {
                        switch (options.walRecoveryMode, error) {
                        case (.skipAnyCorruptedRecords, .corruption): continue
                        case (.pointInTime, .corruption): stoppedAt = number; break replay
                        default: throw error
                        }
                    }
                    if let last = try insert(batch, into: mem, file: logPath) { lastSequence = max(lastSequence, last) }
                    if mem.isFull(writeBufferSize: options.writeBufferSize) { try flushRecovered() }
                }
                if reader.stoppedAtCorruption { stoppedAt = number; break replay }
            }
            try flushRecovered()
        } catch {
            // Nothing reached the MANIFEST: remove the tables written so far, so that a refused
            // (.notSupported) or damaged log leaves the directory as it found it.
            removeRecoveredTables()
            throw error
        }

        if let stoppedAt {
            // The records after the damage were not replayed. Their logs go to lost/, where
            // Database.repair can salvage them, and new writes are numbered after every batch
            // they hold (recorded before any log moves), so salvaged data never shadows a
            // newer write. Newest first: a failed move leaves the damaged log and the ones
            // after it still in place, contiguous, and the next open stops at the same damage.
            let unreplayed = logs.filter { $0 >= stoppedAt }
            do {
                if let highest = try highestSequence(inLogs: unreplayed, directory: directory, fileSystem: fs),
                   highest > lastSequence {
                    lastSequence = highest
                    versions.lastSequence = lastSequence
                    try versions.logAndApply(VersionEdit())
                }
                for number in unreplayed.reversed() {
                    try LostFiles.move(FileNames.padded(number) + ".log", from: directory, fileSystem: fs)
                }
                try LostFiles.syncMoves(in: directory, fileSystem: fs)
            } catch {
                removeRecoveredTables()
                throw error
            }
        }

        let logNumber = versions.newFileNumber()
        let log = try WriteAheadLog.create(fileSystem: fs, directory: directory, number: logNumber)
        edit.logNumber = logNumber
        edit.prevLogNumber = 0
        versions.lastSequence = lastSequence
        try versions.logAndApply(edit)
        for number in logs where number < logNumber && number < (stoppedAt ?? .max) {
            try? fs.removeFile(FileNames.log(directory, number))
        }
        return Result(log: log, lastSequence: lastSequence)
    }
}
