// FaultInjectionFileSystem: wraps another FileSystem to simulate power loss and failing
// hardware, in the manner of LevelDB's fault_injection_test and Pebble's errorfs.
//
// Power loss: every file remembers how many bytes were made durable by `sync()`; files created
// (or renamed into place) since the last `syncDirectory` of their directory are "unsynced
// entries". `dropUnsyncedData()` cuts each file back to its synced length and removes the
// unsynced entries, which is what a machine that lost power could leave behind.
//
// A rename over an existing, durable file remembers the replaced file's synced bytes until the
// directory is synced: power loss before that brings the old file back (as a real file system
// would for CURRENT), instead of leaving no file at all.
//
// Faults: `inject(_:)` adds a rule failing chosen operations (by kind and path substring) with
// a chosen error, a number of times or forever. `freeze(afterOperations:)` arms a crash at a
// chosen point: the first `n` mutating operations succeed, then everything freezes, so a test
// can crash at every point of a flush, compaction or MANIFEST switch.
// Thread-safe: all state sits behind one mutex.

/// A FileSystem wrapper that can lose unsynced data and fail chosen operations.
public final class FaultInjectionFileSystem: FileSystem {
    /// The kinds of operation a fault rule can match.
    public enum Operation: String, Sendable, CaseIterable {
        case openForReading, read, create, append, sync, close, rename, remove, syncDirectory, lock, createDirectory
    }

    /// A rule: operations of `operation` on paths containing `pathContains` fail with `error`,
    /// `remaining` more times (nil: forever).
    public struct Fault: Sendable {
        public var operation: Operation
        public var pathContains: String
        public var error: SedimentError
        public var remaining: Int?
        /// Creates a rule.
        public init(_ operation: Operation, pathContains: String = "", error: SedimentError, times: Int? = nil) {
            self.operation = operation
            self.pathContains = pathContains
            self.error = error
            self.remaining = times
        }
    }

    struct State {
        var syncedLength: [String: UInt64] = [:]
        var currentLength: [String: UInt64] = [:]
        var unsyncedEntries: Set<String> = []
        var faults: [Fault] = []
        var counts: [Operation: Int] = [:]
        var frozen = false
        /// Mutating operations attempted so far (see `mutatingOperationCount`).
        var mutatingCount = 0
        /// When set, the mutating operation with this index (0-based) and every later one fail.
        var freezeAt: Int? = nil
        /// One-shot faults by mutating-operation index: that operation fails with the error.
        var failAt: [Int: SedimentError] = [:]
        /// Synced contents of durable files replaced by a rename whose directory is not yet synced.
        var replaced: [String: [UInt8]] = [:]
    }

    /// The wrapped file system.
    public let base: any FileSystem
    let state = LockedState(State())

    /// Wraps `base` (the real file system by default).
    public init(base: any FileSystem = PosixFileSystem()) {
        self.base = base
    }

    /// Adds a fault rule.
    public func inject(_ fault: Fault) {
        state.withLock { $0.faults.append(fault) }
    }

    /// Removes every fault rule.
    public func clearFaults() {
        state.withLock { $0.faults.removeAll() }
    }

    /// How many times `operation` has been attempted (for example, fdatasyncs under group commit).
    public func count(of operation: Operation) -> Int {
        state.withLock { $0.counts[operation] ?? 0 }
    }

    /// Resets every operation counter to zero.
    public func resetCounts() {
        state.withLock { $0.counts.removeAll() }
    }

    /// Simulates the moment of a crash: from now on every operation that would change the disk
    /// fails with EIO (as if the process were gone), so a database still running cannot write
    /// anything more before `dropUnsyncedData()` decides what survived. `thaw()` undoes it.
    public func freeze() {
        state.withLock { $0.frozen = true }
    }

    /// Lets operations reach the disk again after `freeze()` (and disarms
    /// `freeze(afterOperations:)`).
    public func thaw() {
        state.withLock { s in
            s.frozen = false
            s.freezeAt = nil
        }
    }

    /// Arms a crash: the next `count` mutating operations (create, append, sync, rename,
    /// remove, syncDirectory, createDirectory) succeed, and from the one after that on the file
    /// system is frozen as by `freeze()`.
    /// - Precondition: `count >= 0`.
    public func freeze(afterOperations count: Int) {
        state.withLock { s in s.freezeAt = s.mutatingCount + max(0, count) }
    }

    /// Fails only the mutating operation `count` operations from now (0: the next one) with
    /// `error`, as Pebble's errorfs does by index; operations before and after succeed. A test
    /// sweeping `count` over every operation of a flush hits each of its syscalls once.
    public func failOnce(afterOperations count: Int, with error: SedimentError) {
        state.withLock { s in s.failAt[s.mutatingCount + max(0, count)] = error }
    }

    /// True once `freeze()` was called or a `freeze(afterOperations:)` trigger fired.
    public var isFrozen: Bool {
        state.withLock { $0.frozen }
    }

    /// How many mutating operations have been attempted since this file system was made
    /// (frozen ones included): the scale for choosing a `freeze(afterOperations:)` point.
    public var mutatingOperationCount: Int {
        state.withLock { $0.mutatingCount }
    }

    static let mutatingOperations: Set<Operation> = [.create, .append, .sync, .rename, .remove, .syncDirectory, .createDirectory]

    /// Records an attempt and throws the first matching fault, if any.
    func check(_ operation: Operation, _ path: String) throws {
        let error: SedimentError? = state.withLock { s in
            s.counts[operation, default: 0] += 1
            let mutating = FaultInjectionFileSystem.mutatingOperations.contains(operation)
            var oneShot: SedimentError? = nil
            if mutating {
                if let at = s.freezeAt, s.mutatingCount >= at { s.frozen = true }
                oneShot = s.failAt.removeValue(forKey: s.mutatingCount)
                s.mutatingCount += 1
            }
            if let oneShot, !s.frozen { return oneShot }
            if s.frozen && mutating {
                return .io(file: path, errno: 5, message: "\(operation.rawValue): file system frozen (simulated crash)")
            }
            for i in s.faults.indices where s.faults[i].operation == operation {
                let f = s.faults[i]
                if !f.pathContains.isEmpty && !path.contains(f.pathContains) { continue }
                if let r = f.remaining {
                    if r <= 0 { continue }
                    s.faults[i].remaining = r - 1
                }
                return f.error
            }
            return nil
        }
        if let error { throw error }
    }

    /// Simulates power loss: every tracked file is cut back to the bytes its last `sync()`
    /// made durable, and files whose directory entry was never synced are removed.
    /// Open files keep working afterwards only in the sense that their handles stay valid;
    /// call this with the database closed (or after abandoning it).
    /// - Parameter keepUnsynced: for a file whose entry is durable, how many bytes survive,
    ///   given its path, synced length and current size (clamped to that range). A real disk
    ///   may keep any prefix of unsynced appends, tearing the last record; nil keeps none.
    public func dropUnsyncedData(keepUnsynced: ((String, UInt64, UInt64) -> UInt64)? = nil) throws {
        let snapshot = state.withLock { s -> State in
            let copy = s
            s.unsyncedEntries.removeAll()
            s.replaced.removeAll()
            for (path, bytes) in copy.replaced where copy.unsyncedEntries.contains(path) {
                s.syncedLength[path] = UInt64(bytes.count)
            }
            for (path, synced) in s.syncedLength { s.currentLength[path] = synced }
            for path in copy.unsyncedEntries {
                s.syncedLength[path] = nil
                s.currentLength[path] = nil
            }
            return copy
        }
        for path in snapshot.unsyncedEntries {
            if let old = snapshot.replaced[path] {
                // The rename never became durable: the replaced file is what the disk holds.
                try base.writeWholeFile(path, old, sync: true)
            } else if base.fileExists(path) {
                try base.removeFile(path)
            }
        }
        for (path, synced) in snapshot.syncedLength where !snapshot.unsyncedEntries.contains(path) {
            guard base.fileExists(path) else { continue }
            let size = try base.fileSize(path)
            if size > synced {
                let keep = min(size, max(synced, keepUnsynced?(path, synced, size) ?? synced))
                if keep < size {
                    let bytes = try base.readWholeFile(path)
                    try base.writeWholeFile(path, Array(bytes[0..<Int(keep)]), sync: true)
                }
                state.withLock { s in
                    s.syncedLength[path] = keep
                    s.currentLength[path] = keep
                }
            }
        }
    }

    func noteAppend(_ path: String, _ newLength: UInt64) {
        state.withLock { $0.currentLength[path] = newLength }
    }

    func noteSync(_ path: String, _ length: UInt64) {
        state.withLock { $0.syncedLength[path] = length }
    }

    public func openForReading(_ path: String) throws -> any RandomAccessFile {
        try check(.openForReading, path)
        return FaultInjectionReadableFile(base: try base.openForReading(path), owner: self)
    }

    public func createForWriting(_ path: String) throws -> any WritableFile {
        try check(.create, path)
        let file = try base.createForWriting(path)
        state.withLock { s in
            s.unsyncedEntries.insert(path)
            s.syncedLength[path] = 0
            s.currentLength[path] = 0
        }
        return FaultInjectionWritableFile(base: file, owner: self)
    }

    public func fileExists(_ path: String) -> Bool { base.fileExists(path) }
    public func isDirectory(_ path: String) -> Bool { base.isDirectory(path) }
    public func fileSize(_ path: String) throws -> UInt64 { try base.fileSize(path) }
    public func children(of directory: String) throws -> [String] { try base.children(of: directory) }

    public func createDirectory(_ path: String) throws {
        try check(.createDirectory, path)
        try base.createDirectory(path)
    }

    public func removeFile(_ path: String) throws {
        try check(.remove, path)
        try base.removeFile(path)
        state.withLock { s in
            s.syncedLength[path] = nil
            s.currentLength[path] = nil
            s.unsyncedEntries.remove(path)
        }
    }

    public func removeDirectory(_ path: String) throws {
        try check(.remove, path)
        try base.removeDirectory(path)
    }

    public func rename(_ source: String, to destination: String) throws {
        try check(.rename, source)
        let durableDestination = state.withLock { s in
            s.replaced[destination] == nil && !s.unsyncedEntries.contains(destination)
        }
        var old: [UInt8]? = nil
        if durableDestination && base.fileExists(destination) {
            let bytes = try base.readWholeFile(destination)
            let synced = state.withLock { $0.syncedLength[destination] } ?? UInt64(bytes.count)
            old = Array(bytes.prefix(Int(min(synced, UInt64(bytes.count)))))
        }
        try base.rename(source, to: destination)
        state.withLock { s in
            if let old, s.replaced[destination] == nil { s.replaced[destination] = old }
            s.syncedLength[destination] = s.syncedLength.removeValue(forKey: source)
            s.currentLength[destination] = s.currentLength.removeValue(forKey: source)
            s.unsyncedEntries.remove(source)
            // The new name is durable only after the directory is synced.
            s.unsyncedEntries.insert(destination)
        }
    }

    public func syncDirectory(_ directory: String) throws {
        try check(.syncDirectory, directory)
        try base.syncDirectory(directory)
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        state.withLock { s in
            func inDirectory(_ p: String) -> Bool { p.hasPrefix(prefix) && !p.dropFirst(prefix.count).contains("/") }
            s.unsyncedEntries = s.unsyncedEntries.filter { !inDirectory($0) }
            s.replaced = s.replaced.filter { !inDirectory($0.key) }
        }
    }

    public func lockFile(_ path: String) throws -> any FileLock {
        try check(.lock, path)
        return try base.lockFile(path)
    }
}

/// A readable file whose reads can be failed.
final class FaultInjectionReadableFile: RandomAccessFile {
    let base: any RandomAccessFile
    let owner: FaultInjectionFileSystem
    var path: String { base.path }

    init(base: any RandomAccessFile, owner: FaultInjectionFileSystem) {
        self.base = base
        self.owner = owner
    }

    func size() throws -> UInt64 { try base.size() }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try owner.check(.read, path)
        return try base.read(at: offset, into: buffer)
    }
}

/// A writable file that reports its appends and syncs to its file system, and whose
/// operations can be failed. A failed sync leaves the synced length where it was.
final class FaultInjectionWritableFile: WritableFile {
    let base: any WritableFile
    let owner: FaultInjectionFileSystem
    var path: String { base.path }
    var size: UInt64 { base.size }

    init(base: any WritableFile, owner: FaultInjectionFileSystem) {
        self.base = base
        self.owner = owner
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        try owner.check(.append, path)
        try base.append(bytes)
        owner.noteAppend(path, base.size)
    }

    func sync() throws {
        try owner.check(.sync, path)
        try base.sync()
        owner.noteSync(path, base.size)
    }

    func close() throws {
        try owner.check(.close, path)
        try base.close()
    }
}
