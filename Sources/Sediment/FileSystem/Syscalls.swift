// Syscalls: every system call the engine makes, each retried on EINTR and turned into a
// `SedimentError` naming the path. Nothing else in the engine touches errno.
import Glibc
import CSedimentSupport

enum Syscalls {
    /// The error for `errno` while doing `what` on `path`.
    static func error(_ what: String, path: String, errno code: Int32 = errno) -> SedimentError {
        let text = String(cString: strerror(code))
        if code == ENOSPC || code == EDQUOT {
            return .noSpace(file: path, message: "\(what): \(text)")
        }
        return .io(file: path, errno: code, message: "\(what): \(text)")
    }

    static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o644) throws -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw error("open", path: path)
        }
    }

    static func pread(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, _ offset: UInt64, path: String) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            let n = Glibc.pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw error("pread at \(offset)", path: path)
        }
    }

    /// Writes all of `bytes` at `offset` (pwrite: no file-position lock in the kernel, which
    /// `write` takes on every call).
    static func pwriteAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: UInt64, path: String) throws {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = Glibc.pwrite(fd, base + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw error("pwrite", path: path)
            }
            done += n
        }
    }

    static func fdatasync(_ fd: Int32, path: String) throws {
        while Glibc.fdatasync(fd) != 0 {
            if errno == EINTR { continue }
            throw error("fdatasync", path: path)
        }
    }

    /// fdatasync of a writable file's descriptor; `.io(EBADF)` naming the file once closed.
    static func syncWritable(_ fd: Int32, path: String) throws {
        guard fd >= 0 else { throw SedimentError.io(file: path, errno: EBADF, message: "sync after close") }
        try fdatasync(fd, path: path)
    }

    /// Queues write-back of a range of a writable file's descriptor without waiting (nothing
    /// once closed). Callers hold the file's lock, so the descriptor cannot be closed and reused
    /// meanwhile.
    static func startWriteback(_ fd: Int32, offset: UInt64, count: UInt64) {
        guard fd >= 0 else { return }
        _ = sediment_start_writeback(fd, Int64(clamping: offset), Int64(clamping: count))
    }

    static func fsync(_ fd: Int32, path: String) throws {
        while Glibc.fsync(fd) != 0 {
            if errno == EINTR { continue }
            throw error("fsync", path: path)
        }
    }

    static func close(_ fd: Int32, path: String) throws {
        // close is not retried on EINTR: the descriptor is gone either way on Linux.
        if Glibc.close(fd) != 0 && errno != EINTR { throw error("close", path: path) }
    }

    static func statPath(_ path: String) -> stat? {
        var st = Glibc.stat()
        return fstatat(AT_FDCWD, path, &st, 0) == 0 ? st : nil
    }
}
