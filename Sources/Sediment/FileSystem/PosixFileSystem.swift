// PosixFileSystem: the real FileSystem, over POSIX descriptors. Reads use pread (thread-safe,
// no shared offset); writes go straight to write(2) so that an appended record has reached the
// kernel (and survives a crash of the process) when `append` returns.
import Glibc
import CSedimentSupport

/// The operating system's file system.
public struct PosixFileSystem: FileSystem {
    /// Creates the real file system.
    public init() {}

    public func openForReading(_ path: String) throws -> any RandomAccessFile {
        let fd = try Syscalls.open(path, O_RDONLY)
        if let st = Syscalls.statPath(path), (st.st_mode & S_IFMT) == S_IFDIR {
            _ = Glibc.close(fd)
            throw SedimentError.io(file: path, errno: EISDIR, message: "open: is a directory")
        }
        return PosixRandomAccessFile(path: path, fd: fd)
    }

    public func createForWriting(_ path: String) throws -> any WritableFile {
        let fd = try Syscalls.open(path, O_WRONLY | O_CREAT | O_TRUNC)
        return PosixWritableFile(path: path, fd: fd)
    }

    public func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public func isDirectory(_ path: String) -> Bool {
        guard let st = Syscalls.statPath(path) else { return false }
        return (st.st_mode & S_IFMT) == S_IFDIR
    }

    public func fileSize(_ path: String) throws -> UInt64 {
        var st = stat()
        guard fstatat(AT_FDCWD, path, &st, 0) == 0 else { throw Syscalls.error("stat", path: path) }
        return UInt64(st.st_size)
    }

    public func children(of directory: String) throws -> [String] {
        guard let dir = opendir(directory) else { throw Syscalls.error("opendir", path: directory) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public func createDirectory(_ path: String) throws {
        if mkdir(path, 0o755) != 0 {
            let code = errno
            if code == EEXIST && isDirectory(path) { return }
            throw Syscalls.error("mkdir", path: path, errno: code)
        }
    }

    public func removeFile(_ path: String) throws {
        if unlink(path) != 0 { throw Syscalls.error("unlink", path: path) }
    }

    public func removeDirectory(_ path: String) throws {
        if rmdir(path) != 0 { throw Syscalls.error("rmdir", path: path) }
    }

    public func rename(_ source: String, to destination: String) throws {
        if Glibc.rename(source, destination) != 0 { throw Syscalls.error("rename to \(destination)", path: source) }
    }

    public func syncDirectory(_ directory: String) throws {
        let fd = try Syscalls.open(directory, O_RDONLY | O_DIRECTORY)
        defer { _ = Glibc.close(fd) }
        try Syscalls.fsync(fd, path: directory)
    }

    public func lockFile(_ path: String) throws -> any FileLock {
        // flock locks belong to the open file description, so a second open of the same LOCK
        // file in this process conflicts just as one in another process does.
        let fd = try Syscalls.open(path, O_RDWR | O_CREAT)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            _ = Glibc.close(fd)
            if code == EWOULDBLOCK || code == EAGAIN {
                throw SedimentError.locked(path: path)
            }
            throw Syscalls.error("flock", path: path, errno: code)
        }
        return PosixFileLock(fd: fd)
    }
}

/// A read-only descriptor; pread makes it safe to share between threads.
final class PosixRandomAccessFile: RandomAccessFile {
    let path: String
    private let fd: Int32

    init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { _ = Glibc.close(fd) }

    func size() throws -> UInt64 {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Syscalls.error("fstat", path: path) }
        return UInt64(st.st_size)
    }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = try Syscalls.pread(fd, UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), offset + UInt64(done), path: path)
            if n == 0 { break }
            done += n
        }
        return done
    }
}

/// An append-only descriptor. Its owner serialises calls; the mutex guards the descriptor so a
/// misuse from two threads cannot corrupt the state.
final class PosixWritableFile: WritableFile {
    let path: String
    private let state: LockedState<(fd: Int32, size: UInt64)>

    init(path: String, fd: Int32) {
        self.path = path
        self.state = LockedState((fd, 0))
    }

    deinit {
        state.withLock { s in
            if s.fd >= 0 { _ = Glibc.close(s.fd) }
        }
    }

    var size: UInt64 { state.withLock { $0.size } }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        try state.withLock { s in
            guard s.fd >= 0 else { throw SedimentError.io(file: path, errno: EBADF, message: "append after close") }
            // The file was created empty and only this object writes it, so `size` is where
            // the next byte goes; a failed write leaves `size` alone and the next append
            // writes over whatever part of the bytes reached the file.
            try Syscalls.pwriteAll(s.fd, bytes, at: s.size, path: path)
            s.size += UInt64(bytes.count)
        }
    }

    func sync() throws {
        try state.withLock { s in
            guard s.fd >= 0 else { throw SedimentError.io(file: path, errno: EBADF, message: "sync after close") }
            try Syscalls.fdatasync(s.fd, path: path)
        }
    }

    func startWriteback(offset: UInt64, count: UInt64) {
        // Under the lock, so the descriptor cannot be closed (and reused) meanwhile; the call
        // queues write-back and returns without waiting for it.
        state.withLock { s in
            guard s.fd >= 0 else { return }
            _ = sediment_start_writeback(s.fd, Int64(clamping: offset), Int64(clamping: count))
        }
    }

    func close() throws {
        try state.withLock { s in
            guard s.fd >= 0 else { return }
            let fd = s.fd
            s.fd = -1
            try Syscalls.close(fd, path: path)
        }
    }
}

/// A held flock; `unlock` closes the descriptor, which releases it.
final class PosixFileLock: FileLock {
    private let fd: LockedState<Int32>

    init(fd: Int32) { self.fd = LockedState(fd) }

    deinit { unlock() }

    func unlock() {
        fd.withLock { f in
            if f >= 0 {
                _ = flock(f, LOCK_UN)
                _ = Glibc.close(f)
                f = -1
            }
        }
    }
}
