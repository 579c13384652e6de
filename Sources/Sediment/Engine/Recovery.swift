// Recovery: replays the write-ahead logs the MANIFEST does not yet cover, on open.
//
// Rules (DESIGN.md §8):
//  1. Logs numbered at or above the MANIFEST's log number (and its prev log number) are replayed
//     in number order; each record is a WriteBatch whose sequence continues the database's.
//  2. A batch is validated completely before any of it is applied: all or nothing. A batch
//     whose sequence numbers run past 2^56 - 1 is damage like a bad checksum.
//  3. Damage is handled by `Options.walRecoveryMode` (RecordReader implements the modes). With
//     `.pointInTime`, replay stops at the first damage and no later log is replayed; the damaged
//     log and the later ones move to lost/ instead of being deleted (Database.repair can
//     salvage them).
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
    ///   `.notSupported` for operations Sediment does not implement.
    static func validate(_ batch: WriteBatch, file: String, offset: Int64?) throws {
        try batch.forEach(file: file) { _, _, _ in }
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
        return batch.count > 0 ? batch.sequence + UInt64(batch.count) - 1 : nil
    }

    /// Moves `file` into `directory`/lost/ (created when missing), RocksDB's RepairDB place for
    /// what may still hold data. Best effort: a log that cannot be moved stays, below the log
    /// number, and is deleted as obsolete at a later open.
    static func moveToLost(_ file: String, directory: String, fileSystem fs: any FileSystem) {
        let lost = directory + "/lost"
        if !fs.isDirectory(lost) { try? fs.createDirectory(lost) }
        guard let slash = file.lastIndex(of: "/") else { return }
        try? fs.rename(file, to: lost + file[slash...])
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
            for f in edit.newFiles { try? fs.removeFile(FileNames.table(directory, f.file.number)) }
            throw error
        }

        let logNumber = versions.newFileNumber()
        let log = try WriteAheadLog.create(fileSystem: fs, directory: directory, number: logNumber)
        edit.logNumber = logNumber
        edit.prevLogNumber = 0
        versions.lastSequence = lastSequence
        try versions.logAndApply(edit)
        for number in logs where number < logNumber {
            if let stoppedAt, number >= stoppedAt {
                moveToLost(FileNames.log(directory, number), directory: directory, fileSystem: fs)
            } else {
                try? fs.removeFile(FileNames.log(directory, number))
            }
        }
        if stoppedAt != nil {
            try? fs.syncDirectory(directory + "/lost")
            try? fs.syncDirectory(directory)
        }
        return Result(log: log, lastSequence: lastSequence)
    }
}
