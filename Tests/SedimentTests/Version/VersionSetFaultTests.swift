// Fault tests for VersionSet: a failed MANIFEST append/sync or CURRENT rename installs nothing,
// the next edit starts a new MANIFEST, and reopening recovers exactly the acknowledged edits.
import Synchronization
import Testing
import SedimentTestSupport
@testable import Sediment

/// Which operations of a `FailingFileSystem` fail.
enum Fault: Sendable, CaseIterable {
    case appends, syncs, renames
}

/// The faults switched on, shared by a file system and its files.
final class FaultSwitchboard: Sendable {
    private let on = Mutex<Set<Fault>>([])
    func set(_ fault: Fault, _ value: Bool) { on.withLock { if value { $0.insert(fault) } else { $0.remove(fault) } } }
    func isOn(_ fault: Fault) -> Bool { on.withLock { $0.contains(fault) } }
}

/// A file system over PosixFileSystem whose appends, syncs and renames fail while switched on.
struct FailingFileSystem: ForwardingFileSystem {
    let base: any FileSystem = PosixFileSystem()
    let switches = FaultSwitchboard()
    static let injected = SedimentError.io(file: "injected", errno: 5, message: "injected fault")

    func createForWriting(_ path: String) throws -> any WritableFile {
        FailingWritableFile(base: try base.createForWriting(path), switches: self)
    }
    func rename(_ source: String, to destination: String) throws {
        if switches.isOn(.renames) { throw Self.injected }
        try base.rename(source, to: destination)
    }
}

/// A writable file whose append and sync consult the file system's switches.
final class FailingWritableFile: WritableFile {
    let base: any WritableFile
    let switches: FailingFileSystem
    init(base: any WritableFile, switches: FailingFileSystem) {
        self.base = base
        self.switches = switches
    }
    var path: String { base.path }
    var size: UInt64 { base.size }
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        if switches.switches.isOn(.appends) { throw FailingFileSystem.injected }
        try base.append(bytes)
    }
    func sync() throws {
        if switches.switches.isOn(.syncs) { throw FailingFileSystem.injected }
        try base.sync()
    }
    func close() throws { try base.close() }
}

@Suite struct VersionSetFaultTests {
    private func flush(_ vs: VersionSet, _ key: String) -> VersionEdit {
        var edit = VersionEdit()
        edit.logNumber = vs.newFileNumber()
        vs.lastSequence += 10
        edit.addFile(level: 0, tableFile(vs.newFileNumber(), key, key + "z", seqs: (vs.lastSequence - 9)...vs.lastSequence))
        return edit
    }

    private func levels(_ vs: VersionSet) -> [[UInt64]] { vs.current.levels.map { $0.map(\.number) } }

    @Test(arguments: [Fault.appends, .syncs])
    func failedAppendOrSyncInstallsNothing(_ fault: Fault) throws {
        try withTemporaryDirectory { dir in
            let fs = FailingFileSystem()
            let vs = VersionSet(path: dir, fileSystem: fs, options: Options())
            try vs.createNew()
            try vs.logAndApply(flush(vs, "a"))
            let before = levels(vs)
            let logBefore = vs.logNumber
            fs.switches.set(fault, true)
            #expect(throws: SedimentError.self) { try vs.logAndApply(flush(vs, "b")) }
            #expect(levels(vs) == before && vs.logNumber == logBefore)
            fs.switches.set(fault, false)
            try vs.logAndApply(flush(vs, "c"))
            #expect(vs.manifestFileNumber != 1) // the damaged MANIFEST was abandoned
            let after = levels(vs)
            vs.close()
            let again = VersionSet(path: dir, fileSystem: PosixFileSystem(), options: Options())
            try again.recover()
            #expect(levels(again) == after)
            #expect(after[0].count == 2)
        }
    }

    @Test func failedCurrentRenameKeepsTheOldManifest() throws {
        try withTemporaryDirectory { dir in
            let fs = FailingFileSystem()
            var options = Options()
            options.maxManifestFileSize = 1
            let vs = VersionSet(path: dir, fileSystem: fs, options: options)
            try vs.createNew()
            try vs.logAndApply(flush(vs, "a"))
            let manifest = vs.manifestFileNumber
            let before = levels(vs)
            fs.switches.set(.renames, true)
            #expect(throws: SedimentError.self) { try vs.logAndApply(flush(vs, "b")) }
            #expect(levels(vs) == before && vs.manifestFileNumber == manifest)
            let names = try fs.children(of: dir)
            // The half-made MANIFEST is removed; older ones are the engine's to delete.
            #expect(!names.contains { FileNames.parse($0).map { $0.kind == .manifest && $0.number > manifest } ?? false })
            #expect(!names.contains { $0.hasSuffix(".dbtmp") })
            vs.close()
            let again = VersionSet(path: dir, fileSystem: PosixFileSystem(), options: Options())
            try again.recover()
            #expect(levels(again) == before)
        }
    }
}
