// WriteAheadLog: one log file (`NNNNNN.log`) receiving the write batches of one memtable. Each
// group of writes is one record in the record format (Record/), whose payload is a WriteBatch in
// RocksDB's encoding; see DESIGN.md §4. Used only by the current group-commit leader (or by
// recovery), so it needs no lock of its own.

/// The log file that backs the current memtable.
final class WriteAheadLog: @unchecked Sendable {
    /// The log's file number (`NNNNNN.log`).
    let number: UInt64
    /// The full path of the log file.
    let path: String
    private let writer: RecordWriter
    /// Bytes appended to this log.
    private(set) var bytesWritten: UInt64 = 0
    /// Where the last write-back hint ended (see `append`).
    private var writebackStart: UInt64 = 0
    /// A write-back hint is given every this many bytes appended.
    static let writebackInterval: UInt64 = 1 << 20

    private init(number: UInt64, path: String, writer: RecordWriter) {
        self.number = number
        self.path = path
        self.writer = writer
    }

    /// Creates log `number` in `directory` and makes its directory entry durable, so that a
    /// synced write to it survives power loss.
    static func create(fileSystem: any FileSystem, directory: String, number: UInt64) throws -> WriteAheadLog {
        let path = FileNames.log(directory, number)
        let file = try fileSystem.createLogForWriting(path)
        try fileSystem.syncDirectory(directory)
        return WriteAheadLog(number: number, path: path, writer: RecordWriter(file: file))
    }

    /// Appends one encoded write batch as one record: one `append` (a copy into the mapped
    /// log, or one `write` system call). Every `writebackInterval` bytes the file is asked to
    /// start writing the last stretch back (RocksDB's `wal_bytes_per_sync`), so the fdatasync
    /// that makes a full log durable at a memtable switch, or a synced write's, finds little
    /// left to write. This promises nothing about durability; only `sync` does.
    func append(_ batch: [UInt8]) throws {
        try writer.addRecord(batch)
        bytesWritten += UInt64(batch.count)
        let end = writer.fileOffset
        if end - writebackStart >= WriteAheadLog.writebackInterval {
            writer.file.startWriteback(offset: writebackStart, count: end - writebackStart)
            writebackStart = end
        }
    }

    /// True when the log is written through a mapping (`MappedLogFile`).
    var fileIsMapped: Bool { writer.file is MappedLogFile }

    /// Makes every appended record durable (fdatasync).
    func sync() throws {
        try writer.sync()
    }

    /// Closes the file.
    func close() throws {
        try writer.file.close()
    }
}
