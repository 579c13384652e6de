// PosixFileSystem: the real FileSystem, over POSIX descriptors. Reads use pread (thread-safe,
// no shared offset) or, for table blocks, a guarded copy out of a mapping; writes go straight
// to pwrite(2), and write-ahead logs are copied into a shared mapping (MappedLogFile.swift), so
// that an appended record has reached the kernel (and survives a crash of the process) when
// `append` returns.
import Glibc
import CSedimentSupport
import Synchronization

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

    /// A log written through a shared mapping (`MappedLogFile`); with positional writes when
    /// the SIGBUS guard cannot be installed or the file cannot be mapped.
    public func createLogForWriting(_ path: String) throws -> any WritableFile {
        guard sediment_install_sigbus_guard() == 0 else { return try createForWriting(path) }
        let fd = try Syscalls.open(path, O_RDWR | O_CREAT | O_TRUNC)
        do {
            if let mapped = try MappedLogFile.make(path: path, fd: fd) { return mapped }
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
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
        while true {
            // readdir returns nil both at the end and on an error; only errno tells them apart,
            // and a listing cut short would hide logs from recovery and tables from repair.
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw Syscalls.error("readdir", path: directory) }
                break
            }
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
        for _ in 0..<8 {
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
            // The lock counts only if it is on the file the path names now: `Database.destroy`
            // unlinks LOCK, and a lock taken on the unlinked file would let a second opener,
            // creating a new LOCK, hold one too. Then try again with the new file.
            var held = stat(), named = stat()
            if fstat(fd, &held) == 0, stat(path, &named) == 0, held.st_dev == named.st_dev, held.st_ino == named.st_ino {
                return PosixFileLock(fd: fd)
            }
            _ = Glibc.close(fd)
        }
        throw SedimentError.locked(path: path)
    }
}

/// A read-only descriptor; pread makes it safe to share between threads. `readMapped` reads
/// through a read-only shared mapping of the whole file, made on its first call (DESIGN.md §6
/// "Mapped reads"): no system call and no page-cache lookup per read once the pages are mapped.
/// The mapping is only touched inside `sediment_guarded_copy`, so a file that shrinks under it
/// gives a typed error, not SIGBUS.
final class PosixRandomAccessFile: RandomAccessFile {
    let path: String
    private let fd: Int32
    /// The mapping's address: 0 before the first `readMapped`, 1 when the file cannot be mapped
    /// (empty, mmap failed, no SIGBUS guard), else the address (mapped once, unmapped in deinit).
    private let mapAddress = Atomic<UInt>(0)
    /// The mapping's length in bytes; written before `mapAddress` is published.
    private let mapLength = Atomic<Int>(0)
    /// Serialises making the mapping; true once it was tried. (A Bool, not Void: TSan's
    /// exclusivity instrumentation places a zero-sized value on the object's header and
    /// reports a race between the lock's holder and a thread reading the mutex pointer.)
    private let mapLock = LockedState(false)

    init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit {
        let address = mapAddress.load(ordering: .acquiring)
        if address > 1, let p = UnsafeMutableRawPointer(bitPattern: address) {
            munmap(p, mapLength.load(ordering: .relaxed))
        }
        _ = Glibc.close(fd)
    }

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

    func readMapped(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var address = mapAddress.load(ordering: .acquiring)
        if address == 0 { address = makeMapping() }
        let length = mapLength.load(ordering: .relaxed)
        // Unmappable, or past the mapped length (the file grew since): positional reads.
        guard address > 1, offset < UInt64(length), let base = UnsafeRawPointer(bitPattern: address),
              let destination = buffer.baseAddress else {
            return try read(at: offset, into: buffer)
        }
        let count = min(buffer.count, length - Int(offset))
        guard sediment_guarded_copy(destination, base + Int(offset), count) == 0 else {
            throw SedimentError.io(file: path, errno: EIO,
                                   message: "SIGBUS reading \(count) bytes at offset \(offset) through the mapping: the file shrank (was \(length) bytes) or its storage failed")
        }
        return count
    }

    /// Where `count` bytes at `offset` sit in the file's mapping, when the file is mapped and
    /// they lie inside it; nil otherwise (never maps). For prefetch hints only: a load through
    /// the address would bypass the SIGBUS guard (a prefetch instruction never faults).
    func mappedAddressForPrefetch(at offset: UInt64, count: Int) -> UnsafeRawPointer? {
        let address = mapAddress.load(ordering: .acquiring)
        let length = mapLength.load(ordering: .relaxed)
        guard address > 1, count >= 0, offset <= UInt64(length), count <= length - Int(offset) else { return nil }
        return UnsafeRawPointer(bitPattern: address).map { $0 + Int(offset) }
    }

    /// Maps the file (once, under `mapLock`) and returns the address, or 1.
    private func makeMapping() -> UInt {
        mapLock.withLock { tried in
            if tried { return mapAddress.load(ordering: .acquiring) }
            tried = true
            var st = stat()
            var address: UInt = 1
            var length = 0
            if sediment_install_sigbus_guard() == 0, fstat(fd, &st) == 0, st.st_size > 0,
               let p = mmap(nil, Int(st.st_size), PROT_READ, MAP_SHARED, fd, 0), p != MAP_FAILED {
                address = UInt(bitPattern: p)
                length = Int(st.st_size)
            }
            mapLength.store(length, ordering: .relaxed)
            mapAddress.store(address, ordering: .releasing)
            return address
        }
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
        try state.withLock { s in try Syscalls.syncWritable(s.fd, path: path) }
    }

    func startWriteback(offset: UInt64, count: UInt64) {
        state.withLock { s in Syscalls.startWriteback(s.fd, offset: offset, count: count) }
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
