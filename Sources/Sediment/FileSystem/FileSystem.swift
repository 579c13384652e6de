// FileSystem: the protocols through which the engine does all of its file work. The engine never
// calls the operating system directly; `PosixFileSystem` is the real implementation and
// `FaultInjectionFileSystem` wraps any other to lose unsynced data and inject errors.
//
// Every method throws only `SedimentError`, naming the path it was working on.

/// A file read at arbitrary offsets. Safe to use from many threads at once.
public protocol RandomAccessFile: Sendable {
    /// The path the file was opened at.
    var path: String { get }
    /// The file's current size in bytes.
    func size() throws -> UInt64
    /// Reads up to `buffer.count` bytes at `offset`; returns how many were read (fewer only at
    /// the end of the file).
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// The same read, served from a memory mapping of the file where the implementation keeps
    /// one (random reads of table blocks: no system call per read). Same results and errors as
    /// `read`; the default implementation is `read`.
    func readMapped(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// A file written by appending. Used by one thread at a time (its owner serialises access).
public protocol WritableFile: AnyObject, Sendable {
    /// The path the file was created at.
    var path: String { get }
    /// Bytes appended so far.
    var size: UInt64 { get }
    /// Appends `bytes`; when this returns they have reached the operating system.
    func append(_ bytes: UnsafeRawBufferPointer) throws
    /// Makes every appended byte durable (fdatasync).
    func sync() throws
    /// Starts writing `count` bytes from `offset` back to the device without waiting and
    /// without any durability promise (Linux `sync_file_range(SYNC_FILE_RANGE_WRITE)`, what
    /// RocksDB's `bytes_per_sync` does), so that a later `sync` has less to write. Advisory:
    /// failures are not reported here (a write-back error surfaces at the next `sync`).
    func startWriteback(offset: UInt64, count: UInt64)
    /// Closes the file. Further calls are errors; closing twice is harmless.
    func close() throws
}

extension WritableFile {
    /// Does nothing: write-back hints are optional.
    public func startWriteback(offset: UInt64, count: UInt64) {}
}

/// An exclusive lock on a database directory, released by `unlock()`.
public protocol FileLock: AnyObject, Sendable {
    /// Releases the lock. Idempotent.
    func unlock()
}

/// All file work of the engine.
public protocol FileSystem: Sendable {
    /// Opens an existing file for reading.
    func openForReading(_ path: String) throws -> any RandomAccessFile
    /// Creates (or truncates) a file for appending.
    func createForWriting(_ path: String) throws -> any WritableFile
    /// Creates (or truncates) a write-ahead log for appending. The real file system writes it
    /// through a mapping (DESIGN.md §4 "Mapped log writes"); the default is `createForWriting`.
    func createLogForWriting(_ path: String) throws -> any WritableFile
    /// True when something exists at `path`.
    func fileExists(_ path: String) -> Bool
    /// True when `path` is a directory.
    func isDirectory(_ path: String) -> Bool
    /// Size in bytes of the file at `path`.
    func fileSize(_ path: String) throws -> UInt64
    /// Names (not paths) of the entries in `directory`, without "." and "..".
    func children(of directory: String) throws -> [String]
    /// Creates `path` as a directory; succeeds when it already is one.
    func createDirectory(_ path: String) throws
    /// Removes the file at `path`.
    func removeFile(_ path: String) throws
    /// Removes the empty directory at `path`.
    func removeDirectory(_ path: String) throws
    /// Atomically renames `source` to `destination`, replacing it.
    func rename(_ source: String, to destination: String) throws
    /// Makes creations, renames and removals in `directory` durable (fsync of the directory).
    func syncDirectory(_ directory: String) throws
    /// Takes an exclusive lock on the file at `path` (created when missing).
    /// - Throws: `.locked` when another process or another open database holds it.
    func lockFile(_ path: String) throws -> any FileLock
}

extension FileSystem {
    /// `createForWriting`: file systems without a faster way to append logs.
    public func createLogForWriting(_ path: String) throws -> any WritableFile {
        try createForWriting(path)
    }

    /// Reads a whole file into memory.
    public func readWholeFile(_ path: String) throws -> [UInt8] {
        let file = try openForReading(path)
        let size = try file.size()
        guard size < UInt64(Int.max) else { throw SedimentError.invalidArgument("\(path) is too large to read whole") }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var done = 0
        while done < bytes.count {
            let n = try bytes.withUnsafeMutableBytes { buf in
                try file.read(at: UInt64(done), into: UnsafeMutableRawBufferPointer(rebasing: buf[done...]))
            }
            if n == 0 { break }
            done += n
        }
        if done < bytes.count { bytes.removeLast(bytes.count - done) }
        return bytes
    }

    /// Creates `path` holding exactly `bytes`, syncs it, and closes it.
    public func writeWholeFile(_ path: String, _ bytes: [UInt8], sync: Bool = true) throws {
        let file = try createForWriting(path)
        do {
            try bytes.withUnsafeBytes { try file.append($0) }
            if sync { try file.sync() }
            try file.close()
        } catch {
            try? file.close()
            throw error
        }
    }
}

extension RandomAccessFile {
    public func readMapped(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try read(at: offset, into: buffer)
    }

    /// Reads exactly `count` bytes at `offset`.
    /// - Throws: `.corruption` naming the file and offset when the file ends first.
    func readExactly(at offset: UInt64, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = try bytes.withUnsafeMutableBytes { buf in
                try read(at: offset + UInt64(done), into: UnsafeMutableRawBufferPointer(rebasing: buf[done...]))
            }
            if n == 0 {
                throw SedimentError.corruption(file: path, offset: Int64(offset),
                                               message: "file ends after \(done) of \(count) bytes (truncated)")
            }
            done += n
        }
        return bytes
    }
}
