// MappedLogFile: a write-ahead log written through a shared mapping of the file (DESIGN.md §4
// "Mapped log writes"). An append is a copy into the page cache, not a system call, and what it
// copied survives a crash of the process exactly as a write(2) would: the mapping is the page
// cache. `sync` is fdatasync, which writes back the pages dirtied through the mapping too.
//
//   file: | records ... | zeros reserved by fallocate up to the window's end |
//                        ^ size (the logical end)
//
// Space is reserved one window (64 KiB, doubling to 1 MiB) at a time with fallocate, so running out of
// disk is an error from `append` (ENOSPC), never a SIGBUS in the copy. `close` truncates the
// file to its logical size; after a crash the reserved tail stays as zeros, which the log
// reader treats as preallocated space (Record/RecordReader.swift). The copy runs under the
// SIGBUS guard of mapped reads, so a file shrunk under the mapping by someone else is a typed
// error, not a dead process.
//
// Thread-safety: every operation holds the file's lock.
import Glibc
import CSedimentSupport

/// A log file appended through a shared mapping, a window at a time.
final class MappedLogFile: WritableFile {
    let path: String

    private struct State {
        var fd: Int32
        /// The logical length: bytes appended so far.
        var size: UInt64 = 0
        /// The current window's mapping and its file range.
        var window: UnsafeMutableRawPointer?
        var windowStart: UInt64 = 0
        var windowEnd: UInt64 = 0
        /// The size of the next window: 64 KiB first, doubling up to `windowBytes`, so a small
        /// log (a small write buffer) reserves little.
        var nextWindowBytes = MappedLogFile.firstWindowBytes
        var windowLength: Int { Int(windowEnd - windowStart) }
    }
    private let state: LockedState<State>

    /// The most bytes mapped (and reserved) at a time.
    static let windowBytes: UInt64 = 1 << 20
    /// The first window's size.
    static let firstWindowBytes: UInt64 = 64 << 10

    private init(path: String, state: State) {
        self.path = path
        self.state = LockedState(state)
    }

    /// A mapped log over `fd` (open read-write, empty) with its first window reserved and
    /// mapped, or nil (the descriptor left open and empty) when the file system cannot map it
    /// (`mmap` fails, e.g. ENODEV): the caller then writes it with `pwrite`.
    /// - Throws: `.noSpace` (or `.io`) naming the file when the first window cannot be reserved.
    static func make(path: String, fd: Int32) throws -> MappedLogFile? {
        var s = State(fd: fd)
        do {
            try MappedLogFile.advanceWindow(&s, path: path)
        } catch let error as SedimentError {
            if case .io = error, s.window == nil, ftruncate(fd, 0) == 0 { return nil }
            throw error
        }
        return MappedLogFile(path: path, state: s)
    }

    deinit {
        state.withLock { s in
            guard s.fd >= 0 else { return }
            if let w = s.window { munmap(w, s.windowLength) }
            _ = ftruncate(s.fd, off_t(s.size))
            _ = Glibc.close(s.fd)
        }
    }

    var size: UInt64 { state.withLock { $0.size } }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        try state.withLock { s in
            guard s.fd >= 0 else { throw SedimentError.io(file: path, errno: EBADF, message: "append after close") }
            var done = 0
            while done < bytes.count {
                if s.window == nil || s.size == s.windowEnd { try MappedLogFile.advanceWindow(&s, path: path) }
                guard let window = s.window else {
                    throw SedimentError.io(file: path, errno: EIO, message: "no mapped window at offset \(s.size)")
                }
                let n = min(bytes.count - done, Int(s.windowEnd - s.size))
                if sediment_guarded_copy(window + Int(s.size - s.windowStart), source + done, n) != 0 {
                    throw SedimentError.io(file: path, errno: EIO,
                                           message: "the log's mapping failed at offset \(s.size) (file shrunk or storage error)")
                }
                s.size += UInt64(n)
                done += n
            }
        }
    }

    /// Reserves and maps the next window, which starts where the last one ended (the logical
    /// end: a window is left only when full).
    private static func advanceWindow(_ s: inout State, path: String) throws {
        let start = s.windowEnd
        let length = s.nextWindowBytes
        while true {
            let r = posix_fallocate(s.fd, off_t(start), off_t(length))
            if r == 0 { break }
            if r == EINTR { continue }
            throw Syscalls.error("fallocate \(length) bytes at \(start)", path: path, errno: r)
        }
        if let w = s.window {
            munmap(w, s.windowLength)
            s.window = nil
        }
        let p = mmap(nil, Int(length), PROT_READ | PROT_WRITE, MAP_SHARED, s.fd, off_t(start))
        guard let p, p != MAP_FAILED else { throw Syscalls.error("mmap \(length) bytes at \(start)", path: path) }
        s.window = p
        s.windowStart = start
        s.windowEnd = start + length
        s.nextWindowBytes = min(2 * length, MappedLogFile.windowBytes)
    }

    func sync() throws {
        try state.withLock { s in try Syscalls.syncWritable(s.fd, path: path) }
    }

    func startWriteback(offset: UInt64, count: UInt64) {
        state.withLock { s in Syscalls.startWriteback(s.fd, offset: offset, count: count) }
    }

    /// Unmaps, cuts the reserved zeros off (the file ends at its last record) and closes.
    func close() throws {
        try state.withLock { s in
            guard s.fd >= 0 else { return }
            let fd = s.fd
            s.fd = -1
            if let w = s.window { munmap(w, s.windowLength) }
            s.window = nil
            var failure: SedimentError? = nil
            while ftruncate(fd, off_t(s.size)) != 0 {
                if errno == EINTR { continue }
                failure = Syscalls.error("ftruncate to \(s.size)", path: path)
                break
            }
            try Syscalls.close(fd, path: path)
            if let failure { throw failure }
        }
    }
}
