// VersionSet+Recovery: rebuilds the version set from disk: CURRENT names the MANIFEST, whose
// edits are replayed in order. See DESIGN.md §7 and §8.
//
// The MANIFEST is read strictly (tolerateCorruptedTailRecords): any damage is a `.corruption`
// naming it, except a torn last record, which a crash while appending an edit leaves and which
// was never acknowledged (logAndApply installs only after the sync).

extension VersionSet {
    /// The longest CURRENT Sediment reads ("MANIFEST-" and a 20-digit number fit easily).
    private static let currentSizeLimit: UInt64 = 4096

    /// Reads CURRENT and replays its MANIFEST, restoring the levels, log numbers, next file
    /// number and last sequence. The MANIFEST is left closed: the next `logAndApply` starts a
    /// new one (as RocksDB does).
    /// - Throws: `.invalidArgument` when CURRENT is missing, or when the MANIFEST places a table
    ///   on a level at or past `Options.numLevels` (a database made with more levels, as
    ///   RocksDB's "db has more levels than options.num_levels"); `.corruption` naming CURRENT when
    ///   it does not name a MANIFEST, naming the MANIFEST when it is missing, damaged, lacks a
    ///   required field or holds edits that do not apply; `.notSupported` for RocksDB features
    ///   Sediment lacks; I/O errors from the file system.
    func recover() throws {
        let manifestNumber = try readCurrent()
        let name = FileNames.manifest(path, manifestNumber)
        guard fileSystem.fileExists(name) else {
            throw SedimentError.corruption(file: name, offset: nil, message: "CURRENT names a MANIFEST that does not exist")
        }
        let reader = RecordReader(file: try fileSystem.openForReading(name), mode: .tolerateCorruptedTailRecords)
        var version = Version(numLevels: options.numLevels)
        var log: UInt64?
        var prevLog: UInt64 = 0
        var next: UInt64?
        var last: UInt64?
        var minLog: UInt64 = 0
        while let record = try reader.readRecord() {
            let edit = try VersionEdit.decode(record, file: name)
            let deepest = (edit.newFiles.map(\.level) + edit.deletedFiles.map(\.level)).max() ?? 0
            guard deepest < version.numLevels else {
                throw SedimentError.invalidArgument("\(name) at offset \(reader.lastRecordEndOffset) names a table at level \(deepest), "
                    + "but Options.numLevels is \(version.numLevels): the database was made with more levels "
                    + "(RocksDB's num_levels); open it with numLevels of at least \(deepest + 1)")
            }
            do {
                version = try version.applying(edit)
            } catch let SedimentError.invalidArgument(message) {
                throw SedimentError.corruption(file: name, offset: Int64(reader.lastRecordEndOffset), message: message)
            }
            // The largest, as RocksDB (which warns "Log numbers in records NOT monotonically
            // increasing"): a log number going back would replay logs already in tables.
            if let n = edit.logNumber { log = max(log ?? 0, n) }
            if let n = edit.prevLogNumber { prevLog = n }
            if let n = edit.nextFileNumber { next = n }
            if let n = edit.lastSequence { last = n }
            if let n = edit.minLogNumberToKeep { minLog = max(minLog, n) }
        }
        recoveredTornTail = reader.tornTailOffset != nil
        guard let next else { throw missing("next file number", name) }
        guard let log else { throw missing("log number", name) }
        guard let last else { throw missing("last sequence number", name) }

        install(RecoveredState(version: version, manifestNumber: manifestNumber, logNumber: log, prevLogNumber: prevLog,
                               minLogNumberToKeep: minLog, lastSequence: last, nextFileNumber: next))
    }

    /// The MANIFEST number CURRENT names.
    private func readCurrent() throws -> UInt64 {
        let name = FileNames.current(path)
        guard fileSystem.fileExists(name) else {
            throw SedimentError.invalidArgument("\(name) does not exist: no database at \(path)")
        }
        guard try fileSystem.fileSize(name) <= Self.currentSizeLimit else {
            throw SedimentError.corruption(file: name, offset: nil, message: "CURRENT is too large to name a MANIFEST")
        }
        var bytes = try fileSystem.readWholeFile(name)
        guard bytes.last == 0x0A else {
            throw SedimentError.corruption(file: name, offset: nil, message: "CURRENT does not end with a newline")
        }
        bytes.removeLast()
        let text = String(decoding: bytes, as: UTF8.self)
        guard let parsed = FileNames.parse(text), parsed.kind == .manifest else {
            throw SedimentError.corruption(file: name, offset: nil, message: "CURRENT does not name a MANIFEST: \(printableKey(bytes))")
        }
        return parsed.number
    }

    private func missing(_ field: String, _ file: String) -> SedimentError {
        .corruption(file: file, offset: nil, message: "no \(field) entry in the MANIFEST")
    }
}
