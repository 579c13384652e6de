// SedimentError: the one error type the engine throws. Every case that concerns a file names
// it, and corruption names the offset where it is known. Errno values are converted at the
// FileSystem boundary (PosixFileSystem), never further in.

/// An error from Sediment. `description` is a one-line message naming the file (and offset).
public enum SedimentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Bytes on disk are not what they should be: checksum mismatch, bad magic, impossible
    /// length. `offset` is the byte offset in `file` where the damage was found, when known.
    case corruption(file: String, offset: Int64?, message: String)
    /// The operating system reported `errno` for an operation on `file`.
    case io(file: String, errno: Int32, message: String)
    /// The disk is full (ENOSPC/EDQUOT) while writing `file`.
    case noSpace(file: String, message: String)
    /// The database directory `path` is open in another `Database` or another process.
    case locked(path: String)
    /// A background or sync error stopped writes; reopen the database to recover.
    case readOnly(message: String)
    /// The caller passed something the engine cannot use (bad option, bad path, ...).
    case invalidArgument(String)
    /// The file uses a feature Sediment does not implement.
    case notSupported(feature: String, file: String)
    /// The database (or cursor) was used after `close()`.
    case closed

    /// A one-line, human-readable message.
    public var description: String {
        switch self {
        case let .corruption(file, offset, message):
            if let offset { return "Corruption: \(file) at offset \(offset): \(message)" }
            return "Corruption: \(file): \(message)"
        case let .io(file, errno, message):
            return "IO error: \(file): \(message) (errno \(errno))"
        case let .noSpace(file, message):
            return "No space left on device: \(file): \(message)"
        case let .locked(path):
            return "Locked: \(path) is already open by another Database or process"
        case let .readOnly(message):
            return "Read-only: writes are stopped: \(message)"
        case let .invalidArgument(message):
            return "Invalid argument: \(message)"
        case let .notSupported(feature, file):
            return "Not supported: \(feature) in \(file)"
        case .closed:
            return "Closed: the database was closed"
        }
    }
}
