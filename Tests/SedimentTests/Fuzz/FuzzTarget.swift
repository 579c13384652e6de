// FuzzTarget: the fuzz entry points (issue 7, DESIGN.md §4a), one per parser plus the API model
// fuzzer, and their seed inputs derived from Fixtures/. The libFuzzer binary (Tests/Fuzz/build.sh
// compiles this folder into it with -D SEDIMENT_LIBFUZZER) and the suite (ParserFuzzTests,
// ModelFuzzTests, FuzzFindingTests) call the same `run`, so a finding replays in `swift test`.
//
//   0 table             table open + scan both ways + get + verifyChecksums, checksums verified
//   1 table-unverified  the same without checksum verification, so the decoders see garbage
//   2 block             block decoder: walks both ways and a seek, bytewise and internal-key order
//   3 footer            footer decoder
//   4 log               record reader + replay checks per recovery mode; Recovery.replayLogs when a batch passes
//   5 manifest          a MANIFEST -> VersionSet.recover (decode, apply, install) -> next numbers
//   6 writebatch        WriteBatch decoder, the replay checks, numbered into a memtable
//   7 filter            full filter block reader
//   8 model             API operations against a Database and an in-memory model (ModelFuzzRunner)
//
// Contract: `run` returns or throws. A SedimentError is a pass for the parsers (bad input must be
// reported, typed); a ModelFuzzFailure (the model target) or a trap is a finding.
@_spi(Internals) @testable import Sediment
#if !SEDIMENT_LIBFUZZER
import SedimentTestSupport
#endif

/// A read-only file over bytes in memory.
struct FuzzInputFile: RandomAccessFile {
    let path: String
    let bytes: [UInt8]
    func size() throws -> UInt64 { UInt64(bytes.count) }
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard offset < UInt64(bytes.count) else { return 0 }
        let n = min(buffer.count, bytes.count - Int(offset))
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[Int(offset)..<Int(offset) + n])) }
        return n
    }
}

/// One fuzz entry point.
enum FuzzTarget: UInt8, CaseIterable, Sendable {
    case table, tableUnverified, block, footer, log, manifest, writeBatch, filter, model

    /// The name used by SEDIMENT_FUZZ_TARGET, corpus folders and Fixtures/fuzz/<name>/.
    var name: String {
        ["table", "table-unverified", "block", "footer", "log", "manifest", "writebatch", "filter", "model"][Int(rawValue)]
    }

    /// The target called `name`, or numbered `name`.
    init?(named name: String) {
        guard let t = Self.allCases.first(where: { $0.name == name }) ?? UInt8(name).flatMap(Self.init(rawValue:)) else { return nil }
        self = t
    }

    /// Feeds `bytes` to this entry point.
    /// - Throws: SedimentError for input the parsers reject; ModelFuzzFailure (a finding) from
    ///   the model target.
    func run(_ bytes: [UInt8]) throws {
        switch self {
        case .table, .tableUnverified: try Self.exerciseTable(bytes, verify: self == .table)
        case .block:
            let block = try Block.make(copying: bytes, file: "fuzz", offset: 0)
            for order in [BlockKeyOrder.bytewise, .internalKey] {
                var c = BlockCursor(block: block, order: order)
                defer { c.release() }
                c.seekToFirst()
                var steps = 0
                while c.isValid && steps < 10_000 { c.next(); steps += 1 }
                c.seekToLast()
                while c.isValid && steps < 20_000 { c.previous(); steps += 1 }
                Array("user/00100\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{1}".utf8).withUnsafeBytes { c.seek($0) }
                if let e = c.error { throw e }
            }
        case .footer:
            _ = try bytes.withUnsafeBytes { try Footer.decode(tail: $0, fileSize: UInt64(bytes.count), file: "fuzz") }
        case .log:
            // Per recovery mode: the record reader alone, each record checked as replay checks it;
            // then, when some record passed, the open path: the input as the only log of a new
            // database, replayed by Recovery.replayLogs (memtable inserts, level-0 tables, the
            // MANIFEST edit). A SedimentError is the mode refusing the damage.
            for mode in [WALRecoveryMode.absoluteConsistency, .tolerateCorruptedTailRecords, .pointInTime, .skipAnyCorruptedRecords] {
                let reader = RecordReader(file: FuzzInputFile(path: "fuzz.log", bytes: bytes), mode: mode)
                var records = 0, batches = 0
                while let record = try? reader.readRecord(), records < 10_000 {
                    records += 1
                    if (try? Recovery.validate(WriteBatch(encoded: record), file: "fuzz.log", offset: nil)) != nil { batches += 1 }
                }
                guard batches > 0 else { continue }
                try withMemoryBackedTemporaryDirectory { dir in
                    var options = Options()
                    options.walRecoveryMode = mode
                    options.writeBufferSize = 64 << 10
                    let versions = VersionSet(path: dir, fileSystem: options.fileSystem, options: options)
                    defer { versions.close() }
                    try versions.createNew()
                    try options.fileSystem.writeWholeFile(FileNames.log(dir, versions.newFileNumber()), bytes, sync: false)
                    do {
                        let result = try Recovery.replayLogs(directory: dir, versions: versions, options: options)
                        try result.log.close()
                    } catch is SedimentError {}
                }
            }
        case .manifest:
            // The open path: CURRENT naming the input, VersionSet.recover (decode, apply, install
            // and the file-number bookkeeping), then the numbers a recovery hands out next.
            try withMemoryBackedTemporaryDirectory { dir in
                let fs = PosixFileSystem()
                try fs.writeWholeFile(FileNames.manifest(dir, 1), bytes, sync: false)
                try fs.writeWholeFile(FileNames.current(dir), Array("MANIFEST-000001\n".utf8), sync: false)
                let versions = VersionSet(path: dir, fileSystem: fs, options: Options())
                try versions.recover()
                versions.markFileNumberUsed(versions.newFileNumber())
                _ = versions.snapshot().encode()
            }
        case .writeBatch:
            // What replay does with one log record: check it whole, then number it into a memtable.
            let batch = WriteBatch(encoded: bytes)
            try Recovery.validate(batch, file: "fuzz", offset: nil)
            _ = try Recovery.insert(batch, into: MemTable(arenaBlockSize: 64 << 10, prefaultBudget: 0), file: "fuzz")
        case .filter:
            let reader = FilterBlockReader(contents: bytes)
            for k in 0..<8 { _ = Array("user/0000\(k)".utf8).withUnsafeBytes { reader.mayMatch($0) } }
        case .model:
            try withMemoryBackedTemporaryDirectory { dir in try ModelFuzzRunner.run(bytes, path: dir + "/db") }
        }
    }

    /// Opens `bytes` as a table, walks it both ways, looks keys up, and verifies checksums.
    static func exerciseTable(_ bytes: [UInt8], verify: Bool) throws {
        // Half the inputs read through a small block cache that the cursor fills (cached blocks
        // and the cursor's two block buffers), half straight from the file.
        let cache = bytes.count & 1 == 0 ? BlockCache(capacityBytes: 16 << 10) : nil
        let table = try TableReader.open(file: FuzzInputFile(path: "fuzz.sst", bytes: bytes), fileSize: UInt64(bytes.count),
                                         fileNumber: 1, blockCache: cache)
        let it = table.makeIterator(verifyChecksums: verify, fillCache: cache != nil)
        it.seekToFirst()
        var steps = 0
        var seen: [[UInt8]] = []
        while it.isValid && steps < 10_000 {
            if steps % 7 == 0 && seen.count < 48 { seen.append(Array(it.key)) }
            it.next()
            steps += 1
        }
        it.seekToLast()
        while it.isValid && steps < 20_000 { it.previous(); steps += 1 }
        // Seeks to keys the table holds and to keys between them, each followed by steps both
        // ways (direction switches, the reverse-step cache, restart searches).
        for (i, key) in seen.enumerated() {
            var target = key
            if i & 1 == 1, !target.isEmpty { target[target.count - 1] &+= 1 }
            target.withUnsafeBytes { i & 2 == 0 ? it.seek($0) : it.seekForPrevious($0) }
            for step in 0..<6 where it.isValid {
                if (step + i) % 3 == 0 { it.previous() } else { it.next() }
            }
        }
        for k in ["user/00010", "user/00150", "zzz"] {
            _ = try Array(k.utf8).withUnsafeBytes { try table.get(userKey: $0, sequence: .max >> 8, verifyChecksums: verify) }
        }
        if let e = it.error { throw e }
        try table.verifyChecksums()
    }

    /// A pseudo-random model fuzz input of 16 to 1,200 bytes from `seed` (replays from
    /// SEDIMENT_SEED when set).
    static func randomModelInput(seed: UInt64) -> (input: [UInt8], seed: UInt64) {
        var rng = SeededRandom(defaultSeed: seed)
        let count = 16 + Int(rng.next() % 1185)
        return ((0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, rng.seed)
    }

    /// Seed inputs for this target from the fixtures in `fixtures` (a Fixtures/ directory):
    /// whole tables, logs and MANIFESTs, and the blocks, footers, filters and batches in them.
    func seeds(fixtures: String) throws -> [[UInt8]] {
        let fs = PosixFileSystem()
        func files(_ dir: String, _ keep: (String) -> Bool) throws -> [String] {
            try fs.children(of: fixtures + "/" + dir).filter(keep).sorted().map { fixtures + "/" + dir + "/" + $0 }
        }
        let tablePaths = try files("sst") { $0.hasSuffix(".sst") } + files("sst/damaged") { $0.hasSuffix(".sst") }
            + files("db/pristine") { $0.hasSuffix(".sst") }
        let logPaths = try files("db/pristine") { $0.hasSuffix(".log") } + files("wal/damaged") { $0.hasSuffix(".log") }
        let tables = try tablePaths.map { try fs.readWholeFile($0) }
        let readable = tables.compactMap { bytes in
            try? TableReader.open(file: FuzzInputFile(path: "seed.sst", bytes: bytes), fileSize: UInt64(bytes.count),
                                  fileNumber: 1, blockCache: nil)
        }
        switch self {
        case .table, .tableUnverified: return tables
        case .block:
            // The blocks that read back (the damaged tables' bad blocks are left out).
            return readable.flatMap { t in
                let data = ((try? t.indexEntries()) ?? []).prefix(4).map(\.handle)
                let meta = t.metaindexEntries.filter { $0.name != fullFilterMetaKey }.map(\.handle)
                return (data + [t.indexHandle, t.metaindexHandle] + meta).compactMap { try? t.blockContents($0) }
            }
        case .footer: return tables.map { Array($0.suffix(Footer.encodedLength)) }
        case .filter:
            return readable.flatMap { t in
                t.metaindexEntries.filter { $0.name == fullFilterMetaKey }.compactMap { try? t.blockContents($0.handle) }
            }
        case .log: return try logPaths.map { try fs.readWholeFile($0) }
        case .writeBatch:
            return try logPaths.flatMap { path -> [[UInt8]] in
                let reader = RecordReader(file: try fs.openForReading(path), mode: .skipAnyCorruptedRecords)
                var records: [[UInt8]] = []
                while let r = try? reader.readRecord() { records.append(r) }
                return records
            }
        case .manifest:
            return try (files("db/pristine") { $0.hasPrefix("MANIFEST-") } + files("manifest/damaged") { $0.hasSuffix(".MANIFEST") })
                .map { try fs.readWholeFile($0) }
        case .model: return (0..<16).map { Self.randomModelInput(seed: 0x30DE1 + $0).input }
        }
    }
}
