// Tests for VersionSet: create, logAndApply and recover across reopen, MANIFEST rollover,
// CURRENT replacement, and typed errors for a missing or garbled CURRENT or MANIFEST.
import Testing
import SedimentTestSupport
@testable import Sediment

@Suite struct VersionSetTests {
    private let fs = PosixFileSystem()

    private func open(_ dir: String, maxManifest: Int = 1 << 30) -> VersionSet {
        var options = Options()
        options.maxManifestFileSize = maxManifest
        return VersionSet(path: dir, fileSystem: fs, options: options)
    }

    /// The state a reopen must reproduce.
    private func state(_ vs: VersionSet) -> String {
        let files = vs.current.levels.enumerated().map { "L\($0.offset): \($0.element.map(\.description).joined(separator: " "))" }
        return "log=\(vs.logNumber) prev=\(vs.prevLogNumber) last=\(vs.lastSequence) " + files.joined(separator: "; ")
    }

    /// Rewrites the file at `path` with `damage` applied to its bytes.
    private func rewrite(_ path: String, _ damage: (inout [UInt8]) -> Void) throws {
        var bytes = try fs.readWholeFile(path)
        damage(&bytes)
        try fs.writeWholeFile(path, bytes)
    }

    /// Applies a small history: flushes to L0, a compaction into L1, deletions.
    private func applyHistory(_ vs: VersionSet, rounds: Int = 5) throws {
        for round in 0..<rounds {
            let log = vs.newFileNumber()
            let a = vs.newFileNumber()
            vs.lastSequence += 100
            var flush = VersionEdit()
            flush.logNumber = log
            flush.addFile(level: 0, tableFile(a, "k\(round)a", "k\(round)z", seqs: (vs.lastSequence - 99)...vs.lastSequence))
            try vs.logAndApply(flush)
            if round % 2 == 1 {
                var compact = VersionEdit()
                for f in vs.current.files(at: 0) { compact.deleteFile(level: 0, number: f.number) }
                let out = vs.newFileNumber()
                compact.addFile(level: 1 + round % 3, tableFile(out, "k\(round)", "k\(round)~", seqs: 1...vs.lastSequence))
                try vs.logAndApply(compact)
            }
        }
    }

    @Test func createNewWritesManifestAndCurrent() throws {
        try withTemporaryDirectory { dir in
            let vs = open(dir)
            try vs.createNew()
            vs.close()
            #expect(try fs.readWholeFile(dir + "/CURRENT") == Array("MANIFEST-000001\n".utf8))
            let reader = RecordReader(file: try fs.openForReading(dir + "/MANIFEST-000001"), mode: .absoluteConsistency)
            let edit = try VersionEdit.decode(try #require(try reader.readRecord()), file: "M")
            #expect(edit.comparator == bytewiseComparatorName)
            #expect(edit.logNumber == 0 && edit.nextFileNumber == 2 && edit.lastSequence == 0)
            #expect(try reader.readRecord() == nil)
            #expect(!fs.fileExists(dir + "/000001.dbtmp"))
        }
    }

    @Test func logAndApplyRecoversAcrossReopen() throws {
        try withTemporaryDirectory { dir in
            let vs = open(dir)
            try vs.createNew()
            try applyHistory(vs)
            let before = state(vs)
            let live = vs.liveFileNumbers()
            let next = vs.newFileNumber()
            vs.close()

            let again = open(dir)
            try again.recover()
            #expect(state(again) == before)
            #expect(again.liveFileNumbers() == live)
            #expect(again.newFileNumber() > next - 1)
            #expect(again.manifestFileNumber == 1)
            // The first edit after recovery starts a new MANIFEST and moves CURRENT to it.
            try applyHistory(again, rounds: 2)
            let after = state(again)
            #expect(again.manifestFileNumber > 1)
            again.close()
            let third = open(dir)
            try third.recover()
            #expect(state(third) == after)
            #expect(third.manifestFileNumber == again.manifestFileNumber)
        }
    }

    @Test func manifestRolloverRecoversTheSameState() throws {
        try withTemporaryDirectory { dir in
            let vs = open(dir, maxManifest: 200)
            try vs.createNew()
            var manifests: Set<UInt64> = [vs.manifestFileNumber]
            for _ in 0..<6 {
                try applyHistory(vs, rounds: 2)
                manifests.insert(vs.manifestFileNumber)
            }
            #expect(manifests.count > 3)
            let before = state(vs)
            vs.close()
            let current = try fs.readWholeFile(dir + "/CURRENT")
            #expect(current == Array("MANIFEST-\(FileNames.padded(vs.manifestFileNumber))\n".utf8))
            let again = open(dir, maxManifest: 200)
            try again.recover()
            #expect(state(again) == before)
            #expect(!(try fs.children(of: dir)).contains { $0.hasSuffix(".dbtmp") })
        }
    }

    @Test func logAndApplyFillsNextFileAndLastSequence() throws {
        try withTemporaryDirectory { dir in
            let vs = open(dir)
            try vs.createNew()
            vs.lastSequence = 77
            _ = vs.newFileNumber()
            try vs.logAndApply(VersionEdit())
            vs.close()
            let reader = RecordReader(file: try fs.openForReading(dir + "/MANIFEST-000001"), mode: .absoluteConsistency)
            _ = try reader.readRecord()
            let edit = try VersionEdit.decode(try #require(try reader.readRecord()), file: "M")
            #expect(edit.lastSequence == 77 && edit.nextFileNumber == 3)
        }
    }

    @Test func badEditsAreRejectedAndNothingIsInstalled() throws {
        try withTemporaryDirectory { dir in
            let vs = open(dir)
            try vs.createNew()
            try applyHistory(vs, rounds: 1)
            let before = state(vs)
            var missing = VersionEdit()
            missing.deleteFile(level: 2, number: 999)
            #expect(throws: SedimentError.self) { try vs.logAndApply(missing) }
            var twice = VersionEdit()
            twice.addFile(level: 3, try #require(vs.current.files(at: 0).first))
            #expect(throws: SedimentError.self) { try vs.logAndApply(twice) }
            var backwards = VersionEdit()
            backwards.logNumber = 0
            #expect(throws: SedimentError.self) { try vs.logAndApply(backwards) }
            var deep = VersionEdit()
            deep.addFile(level: 7, tableFile(500, "a", "b"))
            #expect(throws: SedimentError.self) { try vs.logAndApply(deep) }
            #expect(state(vs) == before)
        }
    }

    @Test func tornLastEditIsIgnoredOnRecovery() throws {
        try withTemporaryDirectory { dir in
            let vs = open(dir)
            try vs.createNew()
            try applyHistory(vs, rounds: 2)
            let before = state(vs)
            try applyHistory(vs, rounds: 1)
            vs.close()
            try rewrite(dir + "/MANIFEST-000001") { $0.removeLast(5) }
            let again = open(dir)
            try again.recover()
            // The last round was a single flush edit: it is gone, the rest is intact.
            #expect(state(again) == before)
        }
    }

    @Test func damagedManifestIsCorruptionNamingIt() throws {
        try withTemporaryDirectory { dir in
            let vs = open(dir)
            try vs.createNew()
            try applyHistory(vs, rounds: 3)
            vs.close()
            let name = dir + "/MANIFEST-000001"
            try rewrite(name) { $0[20] ^= 0x40 }
            let thrown = #expect(throws: SedimentError.self) { try open(dir).recover() }
            guard case let .corruption(file, _, _)? = thrown else { Issue.record("got \(String(describing: thrown))"); return }
            #expect(file == name)
        }
    }

    @Test func missingCurrentIsATypedError() throws {
        try withTemporaryDirectory { dir in
            let thrown = #expect(throws: SedimentError.self) { try open(dir).recover() }
            guard case let .invalidArgument(message)? = thrown else { Issue.record("got \(String(describing: thrown))"); return }
            #expect(message.contains(dir + "/CURRENT"))
        }
    }

    @Test func garbledCurrentIsCorruptionNamingIt() throws {
        for contents in ["MANIFEST-000001", "MANIFEST-\n", "MANIFEST-00x001\n", "000001.log\n", "", "\u{0}\u{1}\n"] {
            try withTemporaryDirectory { dir in
                let vs = open(dir)
                try vs.createNew()
                vs.close()
                try fs.writeWholeFile(dir + "/CURRENT", Array(contents.utf8))
                let thrown = #expect(throws: SedimentError.self) { try open(dir).recover() }
                guard case let .corruption(file, _, _)? = thrown else { Issue.record("got \(String(describing: thrown))"); return }
                #expect(file == dir + "/CURRENT")
            }
        }
    }

    @Test func missingManifestIsCorruptionNamingIt() throws {
        try withTemporaryDirectory { dir in
            let vs = open(dir)
            try vs.createNew()
            vs.close()
            try fs.removeFile(dir + "/MANIFEST-000001")
            let thrown = #expect(throws: SedimentError.self) { try open(dir).recover() }
            #expect(thrown == .corruption(file: dir + "/MANIFEST-000001", offset: nil, message: "CURRENT names a MANIFEST that does not exist"))
        }
    }

    @Test func manifestWithoutRequiredFieldsIsCorruption() throws {
        try withTemporaryDirectory { dir in
            let file = try fs.createForWriting(dir + "/MANIFEST-000004")
            var edit = VersionEdit()
            edit.comparator = bytewiseComparatorName
            edit.logNumber = 1
            try RecordWriter(file: file).addRecord(edit.encode())
            try file.close()
            try fs.writeWholeFile(dir + "/CURRENT", Array("MANIFEST-000004\n".utf8))
            let thrown = #expect(throws: SedimentError.self) { try open(dir).recover() }
            #expect(thrown == .corruption(file: dir + "/MANIFEST-000004", offset: nil, message: "no next file number entry in the MANIFEST"))
        }
    }

    /// A later edit whose log number is smaller than an earlier one's does not move it back
    /// (RocksDB keeps the largest too): logs already flushed into tables are not replayed.
    @Test func logNumberNeverGoesBackwards() throws {
        try withTemporaryDirectory { dir in
            let file = try fs.createForWriting(dir + "/MANIFEST-000004")
            let writer = RecordWriter(file: file)
            var first = VersionEdit()
            first.comparator = bytewiseComparatorName
            first.logNumber = 9
            first.nextFileNumber = 12
            first.lastSequence = 100
            try writer.addRecord(first.encode())
            var second = VersionEdit()
            second.logNumber = 5
            try writer.addRecord(second.encode())
            try file.close()
            try fs.writeWholeFile(dir + "/CURRENT", Array("MANIFEST-000004\n".utf8))
            let vs = open(dir)
            try vs.recover()
            #expect(vs.logNumber == 9)
        }
    }
}
