// ForwardingFileSystem: a FileSystem that passes every operation to `base`, so a test's file
// system overrides only the operations it changes (a fault, a gate) and inherits the rest. Logs
// are created with the conforming type's `createForWriting` (FileSystem's default), so a
// wrapper that changes table and MANIFEST files changes logs too.
import Sediment

/// A file system that forwards each operation to `base` unless the conforming type implements it.
public protocol ForwardingFileSystem: FileSystem {
    /// The file system the operations go to.
    var base: any FileSystem { get }
}

extension ForwardingFileSystem {
    public func openForReading(_ path: String) throws -> any RandomAccessFile { try base.openForReading(path) }
    public func createForWriting(_ path: String) throws -> any WritableFile { try base.createForWriting(path) }
    public func fileExists(_ path: String) -> Bool { base.fileExists(path) }
    public func isDirectory(_ path: String) -> Bool { base.isDirectory(path) }
    public func fileSize(_ path: String) throws -> UInt64 { try base.fileSize(path) }
    public func children(of directory: String) throws -> [String] { try base.children(of: directory) }
    public func createDirectory(_ path: String) throws { try base.createDirectory(path) }
    public func removeFile(_ path: String) throws { try base.removeFile(path) }
    public func removeDirectory(_ path: String) throws { try base.removeDirectory(path) }
    public func rename(_ source: String, to destination: String) throws { try base.rename(source, to: destination) }
    public func syncDirectory(_ directory: String) throws { try base.syncDirectory(directory) }
    public func lockFile(_ path: String) throws -> any FileLock { try base.lockFile(path) }
}
