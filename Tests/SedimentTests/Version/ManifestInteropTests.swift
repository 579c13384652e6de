// Interoperability with RocksDB 7.8.3 (Debian rocksdb-tools): `ldb manifest_dump` must parse a
// MANIFEST written by VersionSet, and VersionSet must recover a MANIFEST written by RocksDB's
// db_bench, agreeing with what ldb prints. A missing tool fails the test.
import Testing
import SedimentTestSupport
@testable import Sediment

/// What `ldb manifest_dump` prints about a MANIFEST's final state.
struct ManifestDump: Equatable {
    /// "level:number:size:smallestSeq:largestSeq" per file, sorted.
    var files: [String] = []
    var logNumber: UInt64?
    var nextFileNumber: UInt64?
    var lastSequence: UInt64?

    /// Parses ldb's output: `--- level N ---` headers, ` NUM:SIZE[LO .. HI][...]` file lines,
    /// `log number: N`, and `next_file_number N last_sequence N ...`.
    init(parsing output: String) {
        var level = -1
        for raw in output.split(separator: "\n") {
            let line = String(raw)
            if line.hasPrefix("--- level ") {
                level = Int(line.dropFirst(10).prefix { $0 != " " }) ?? -1
            } else if line.hasPrefix("log number: ") {
                logNumber = UInt64(line.dropFirst(12))
            } else if line.hasPrefix("next_file_number ") {
                let words = line.split(separator: " ")
                nextFileNumber = UInt64(words[1])
                lastSequence = UInt64(words[3])
            } else if line.hasPrefix(" "), let colon = line.firstIndex(of: ":"), let open = line.firstIndex(of: "["),
                      let dots = line.range(of: " .. "), let close = line.firstIndex(of: "]") {
                let number = line[line.index(after: line.startIndex)..<colon]
                let size = line[line.index(after: colon)..<open]
                let lo = line[line.index(after: open)..<dots.lowerBound]
                let hi = line[dots.upperBound..<close]
                files.append("\(level):\(number):\(size):\(lo):\(hi)")
            }
        }
        files.sort()
    }

    /// The same summary for a recovered VersionSet (`nextFileNumber` as given).
    init(_ vs: VersionSet) {
        files = vs.current.allFiles.map { "\($0.level):\($0.file.number):\($0.file.size):\($0.file.smallestSequence):\($0.file.largestSequence)" }.sorted()
        logNumber = vs.logNumber
        lastSequence = vs.lastSequence
    }
}

@Suite struct ManifestInteropTests {
    private let fs = PosixFileSystem()

    @Test func ldbManifestDumpParsesOurManifest() throws {
        try withTemporaryDirectory { dir in
            let vs = VersionSet(path: dir, fileSystem: fs, options: Options())
            try vs.createNew()
            for round in 0..<4 {
                var edit = VersionEdit()
                edit.logNumber = vs.newFileNumber()
                let number = vs.newFileNumber()
                vs.lastSequence += 50
                edit.addFile(level: round % 3, tableFile(number, "key\(round)", "key\(round)z",
                                                         seqs: (vs.lastSequence - 49)...vs.lastSequence, size: 4096 + UInt64(round)))
                if round == 3 { edit.deleteFile(level: 1, number: vs.current.files(at: 1)[0].number) }
                try vs.logAndApply(edit)
                _ = vs.newFileNumber() // leaves a gap; recorded by the next edit
            }
            let recordedNext = vs.nextFileNumber
            try vs.logAndApply(VersionEdit())
            let summary = ManifestDump(vs)
            vs.close()

            let run = try runTool("/usr/bin/ldb", ["manifest_dump", "--path=\(FileNames.manifest(dir, vs.manifestFileNumber))"])
            #expect(run.status == 0, "ldb failed: \(run.stdout) \(run.stderr)")
            let dump = ManifestDump(parsing: run.stdout)
            #expect(dump.files == summary.files)
            #expect(dump.files.count == 3)
            #expect(dump.logNumber == summary.logNumber)
            #expect(dump.lastSequence == 200)
            // RocksDB's recovery reserves the recorded next file number (for its next MANIFEST)
            // and prints the one after it.
            #expect(dump.nextFileNumber == recordedNext + 1)
        }
    }

    @Test func recoversAManifestWrittenByRocksDB() throws {
        try withTemporaryDirectory { dir in
            let db = dir + "/db"
            let bench = try runTool("/usr/bin/db_bench", ["--benchmarks=fillrandom", "--num=1000", "--value_size=1000",
                                                           "--write_buffer_size=65536", "--compression_type=none", "--db=\(db)"])
            #expect(bench.status == 0, "db_bench failed: \(bench.stderr)")
            let vs = VersionSet(path: db, fileSystem: fs, options: Options())
            try vs.recover()
            let ours = ManifestDump(vs)
            #expect(!ours.files.isEmpty)
            let run = try runTool("/usr/bin/ldb", ["manifest_dump", "--path=\(FileNames.manifest(db, vs.manifestFileNumber))"])
            #expect(run.status == 0, "ldb failed: \(run.stderr)")
            var theirs = ManifestDump(parsing: run.stdout)
            #expect(theirs.nextFileNumber == vs.nextFileNumber + 1) // see above
            theirs.nextFileNumber = nil
            #expect(theirs == ours)
            for f in vs.current.allFiles { #expect(fs.fileExists(FileNames.table(db, f.file.number)), "\(f.file)") }
            // Sediment can go on from RocksDB's state: a new MANIFEST that RocksDB reads back.
            var edit = VersionEdit()
            edit.addFile(level: 6, tableFile(vs.newFileNumber(), "~~~a", "~~~b", seqs: 1...1))
            try vs.logAndApply(edit)
            vs.close()
            let again = try runTool("/usr/bin/ldb", ["manifest_dump", "--path=\(FileNames.manifest(db, vs.manifestFileNumber))"])
            #expect(ManifestDump(parsing: again.stdout).files.count == ours.files.count + 1)
        }
    }
}

@Suite struct ManifestRoundTripWithRocksDBTests {
    @Test func rocksDBOpensADatabaseCreatedBySediment() throws {
        try withTemporaryDirectory { dir in
            let vs = VersionSet(path: dir, fileSystem: PosixFileSystem(), options: Options())
            try vs.createNew()
            var edit = VersionEdit()
            edit.logNumber = vs.newFileNumber()
            vs.lastSequence = 41
            try vs.logAndApply(edit)
            vs.close()
            // RocksDB recovers our MANIFEST, writes a key (flushing it to a table), and writes
            // its own MANIFEST, which Sediment then recovers.
            let put = try runTool("/usr/bin/ldb", ["--db=\(dir)", "put", "k", "v"])
            #expect(put.status == 0, "ldb put failed: \(put.stdout) \(put.stderr)")
            let get = try runTool("/usr/bin/ldb", ["--db=\(dir)", "get", "k"])
            #expect(get.stdout == "v\n", "\(get.stderr)")
            let compact = try runTool("/usr/bin/ldb", ["--db=\(dir)", "compact"])
            #expect(compact.status == 0, "ldb compact failed: \(compact.stderr)")
            let again = VersionSet(path: dir, fileSystem: PosixFileSystem(), options: Options())
            try again.recover()
            #expect(again.lastSequence >= 42)
            let files = again.current.allFiles
            #expect(files.count == 1, "\(files.map(\.file))")
            #expect(files.first.map { InternalKey(encoded: $0.file.smallest)?.userKey == Array("k".utf8) } == true)
        }
    }
}
