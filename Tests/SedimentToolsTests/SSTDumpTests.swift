// SSTDumpTests: Sediment's sst_dump against golden files (Fixtures/sst) and against RocksDB's
// sst_dump on the same tables. Golden tables are rebuilt from their recorded input and must be
// byte-identical; SEDIMENT_REWRITE=1 regenerates the fixtures (review the git diff).
import Foundation
import Testing
import SedimentTestSupport
@_spi(Internals) @testable import Sediment
@testable import SedimentTools

@Suite(.serialized) struct SSTDumpTests {
    static let dir = fixturesDirectory() + "/sst"
    static let rewrite = ProcessInfo.processInfo.environment["SEDIMENT_REWRITE"] == "1"

    /// The recorded input of every golden table: 300 keys with shared prefixes, two versions of
    /// every 10th key, a deletion every 25th, values of 0...40 bytes.
    static func goldenEntries() -> [(key: [UInt8], value: [UInt8])] {
        var out: [(key: [UInt8], value: [UInt8])] = []
        for i in 0..<300 {
            let user = Array("user/\(String(format: "%05d", i * 7))".utf8)
            var seq = UInt64(1000 - i)
            if i % 10 == 0 {
                out.append((InternalKey(userKey: user, sequence: seq + 2000, kind: .value).encoded, Array("new-\(i)".utf8)))
            }
            let kind: ValueKind = i % 25 == 0 ? .deletion : .value
            let value = kind == .deletion ? [] : Array(String(repeating: "v\(i % 10)", count: i % 21).utf8)
            out.append((InternalKey(userKey: user, sequence: seq, kind: kind).encoded, value))
            seq -= 1
        }
        return out
    }

    static func build(_ compression: Compression) throws -> [UInt8] {
        try withTemporaryDirectory { tmp in
            let path = tmp + "/t.sst"
            let file = try PosixFileSystem().createForWriting(path)
            let b = TableBuilder(file: file, options: TableBuilderOptions(
                blockSize: 512, blockRestartInterval: 16, bloomBitsPerKey: 10, compression: compression),
                creationTime: 1_700_000_000)
            for e in goldenEntries() { try b.add(e.key, e.value) }
            _ = try b.finish()
            try file.close()
            return try PosixFileSystem().readWholeFile(path)
        }
    }

    /// Compares `actual` with the fixture `name` (rewriting it when asked).
    static func expectFixture(_ name: String, _ actual: [UInt8]) throws {
        let path = dir + "/" + name
        if rewrite { try PosixFileSystem().writeWholeFile(path, actual, sync: false) }
        let expected = try PosixFileSystem().readWholeFile(path)
        #expect(expected == actual, "\(name) differs from its fixture (SEDIMENT_REWRITE=1 regenerates)")
    }

    static func placeholder(_ text: [UInt8], _ path: String) -> [UInt8] {
        Array(String(decoding: text, as: UTF8.self).replacingOccurrences(of: path, with: "$FILE").utf8)
    }

    @Test(arguments: Compression.allCases)
    func goldenTablesRebuildAndPrint(_ compression: Compression) throws {
        let name = compression.rawValue
        let bytes = try Self.build(compression)
        try Self.expectFixture("\(name).sst", bytes)
        let path = Self.dir + "/\(name).sst"
        for (suffix, args) in [("scan", ["--command=scan"]), ("properties", ["--command=none", "--show_properties"]),
                               ("verify", ["--command=verify"])] {
            let r = SSTDump.capture(["--file=" + path] + args)
            #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
            try Self.expectFixture("\(name).\(suffix).txt", Self.placeholder(r.stdout, path))
            // RocksDB's own sst_dump prints the same bytes.
            var rocks = try run("/usr/bin/sst_dump", ["--file=" + path] + args)
            if let nl = rocks.stdout.firstIndex(of: 10) { rocks.stdout.removeSubrange(...nl) }
            #expect(rocks.stdout == r.stdout, "sst_dump \(args) differs from RocksDB's on \(name).sst")
        }
    }

    /// Damaged copies of none.sst: (file, how, expected error line).
    static func damage(_ good: [UInt8], _ table: TableReader) -> [(String, [UInt8])] {
        let filter = table.metaindexEntries.first { $0.name == "fullfilter.rocksdb.BuiltinBloomFilter" }?.handle.offset ?? 0
        func flip(_ at: UInt64) -> [UInt8] { var b = good; b[Int(at)] ^= 0x01; return b }
        var badMagic = good
        badMagic[badMagic.count - 1] ^= 0xFF
        return [
            ("bad-magic", badMagic),
            ("truncated-footer", Array(good.dropLast(20))),
            ("flipped-data", flip(30)),
            ("flipped-index", flip(table.indexHandle.offset + 3)),
            ("flipped-filter", flip(filter + 7)),
        ]
    }

    @Test func damagedTablesGiveOneClearLine() throws {
        let good = try PosixFileSystem().readWholeFile(Self.dir + "/none.sst")
        let table = try TableReader.open(file: PosixFileSystem().openForReading(Self.dir + "/none.sst"),
                                         fileSize: UInt64(good.count), fileNumber: 1, blockCache: nil)
        for (name, bytes) in Self.damage(good, table) {
            let path = Self.dir + "/damaged/\(name).sst"
            try Self.expectFixture("damaged/\(name).sst", bytes)
            let r = SSTDump.capture(["--file=" + path, "--command=verify"])
            #expect(r.status != 0, "\(name)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(name): \(r.stderr)")
            #expect(r.stderr.contains(path), "\(name): \(r.stderr)")
            try Self.expectFixture("damaged/\(name).expected.txt", Self.placeholder(Array(r.stderr.utf8), path))
        }
    }

    @Test func missingPathNonTableAndUsage() throws {
        let missing = SSTDump.capture(["--file=/nonexistent/x.sst"])
        #expect(missing.status == 1 && missing.stderr == "/nonexistent/x.sst: No such file or directory\n")
        let readme = fixturesDirectory() + "/README.md"
        let notTable = SSTDump.capture(["--file=" + readme])
        #expect(notTable.status == 1 && notTable.stderr.contains(readme) && notTable.stderr.split(separator: "\n").count == 1)
        #expect(SSTDump.capture(["--file=x", "--bogus=1"]).status == 2)
        #expect(SSTDump.capture(["--command=scan"]).status == 2)
        #expect(SSTDump.capture(["--file=x", "--command=nope"]).status == 2)
    }

    @Test func fromToReadNumAndHexMatchRocksDB() throws {
        let path = Self.dir + "/lz4.sst"
        for args in [["--command=scan", "--from=user/00100", "--to=user/00200"],
                     ["--command=scan", "--output_hex", "--read_num=7"],
                     ["--command=scan", "--input_key_hex", "--from=0x757365722F3030353030", "--output_hex"],
                     ["--command=check", "--read_num=3"]] {
            let r = SSTDump.capture(["--file=" + path] + args)
            var rocks = try run("/usr/bin/sst_dump", ["--file=" + path] + args)
            if let nl = rocks.stdout.firstIndex(of: 10) { rocks.stdout.removeSubrange(...nl) }
            #expect(r.stdout == rocks.stdout, "\(args)")
        }
    }

    @Test func prefixAndSummaryMatchRocksDB() throws {
        for name in ["lz4", "none"] {
            let path = Self.dir + "/\(name).sst"
            for args in [["--command=scan", "--prefix=user/0010"],
                         ["--command=scan", "--prefix=user/02", "--to=user/0210", "--output_hex"],
                         ["--command=scan", "--input_key_hex", "--prefix=0x757365722F303031"],
                         ["--command=scan", "--prefix=zzz"],
                         ["--command=check", "--prefix=user/0", "--read_num=5"],
                         ["--command=none", "--show_summary"],
                         ["--command=check", "--show_summary", "--show_properties"]] {
                let r = SSTDump.capture(["--file=" + path] + args)
                var rocks = try run("/usr/bin/sst_dump", ["--file=" + path] + args)
                if let nl = rocks.stdout.firstIndex(of: 10) { rocks.stdout.removeSubrange(...nl) }
                #expect(r.status == 0 && r.stdout == rocks.stdout, "\(name) \(args)")
            }
        }
        // Every prefix entry and nothing else: 'user/0010' matches keys user/00100...user/00109.
        let r = SSTDump.capture(["--file=" + Self.dir + "/none.sst", "--command=scan", "--prefix=user/0010"])
        let keys = String(decoding: r.stdout, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("'") }
        let expected = Self.goldenEntries().filter { $0.key.starts(with: Array("user/0010".utf8)) }.count
        #expect(keys.count == expected && expected > 0)
        #expect(keys.allSatisfy { $0.hasPrefix("'user/0010") })
        // A directory: the totals of its three tables.
        let all = SSTDump.capture(["--file=" + Self.dir, "--command=none", "--show_summary"])
        let files = try ["lz4", "none", "zlib"].map { name in
            let path = Self.dir + "/\(name).sst"
            return try TableReader.open(file: PosixFileSystem().openForReading(path), fileSize: PosixFileSystem().fileSize(path),
                                        fileNumber: 0, blockCache: nil).properties
        }
        let text = String(decoding: all.stdout, as: UTF8.self)
        #expect(all.status == 0 && text.hasSuffix("""
            total number of files: 3
            total number of data blocks: \(files.map(\.numDataBlocks).reduce(0, +))
            total data block size: \(files.map(\.dataSize).reduce(0, +))
            total index block size: \(files.map(\.indexSize).reduce(0, +))
            total filter block size: \(files.map(\.filterSize).reduce(0, +))

            """), "\(text)")
        #expect(SSTDump.capture(["--file=x.sst", "--prefix=a", "--from=b"]).status == 2)
    }

    /// The numbers of one "Compression level: ..." line of recompress.
    static func recompressFigures(_ line: Substring) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for name in ["Size", "Blocks", "Compressed", "(ratio)", "(abort)"] {
            guard let r = line.range(of: name + ":") else { continue }
            out[name] = UInt64(line[r.upperBound...].drop { $0 == " " }.prefix { $0.isNumber })
        }
        return out
    }

    @Test(arguments: Compression.allCases)
    func recompressRewritesEveryEntryWithEachCodec(_ source: Compression) throws {
        let path = Self.dir + "/\(source.rawValue).sst"
        let fs = PosixFileSystem()
        let table = try TableReader.open(file: fs.openForReading(path), fileSize: fs.fileSize(path), fileNumber: 0, blockCache: nil)
        let original = try Self.entries(of: table)
        let r = SSTDump.capture(["--file=" + path, "--command=recompress", "--set_block_size=1024"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = String(decoding: r.stdout, as: UTF8.self).split(separator: "\n")
        #expect(lines.prefix(3) == ["Process \(path)", "Sst file format: block-based", "Block Size: 1024"])
        for (name, codec, property) in [("kNoCompression", Compression.none, "NoCompression"), ("kZlibCompression", .zlib, "Zlib"),
                                        ("kLZ4Compression", .lz4, "LZ4")] {
            let copy = try SSTDump.recompress(table, blockSize: 1024, compression: codec)
            // The rewritten table holds exactly the source's entries, in blocks of the new size,
            // stored with the codec asked for.
            let reopened = try TableReader.open(file: MemoryReadableFile(path: "copy", bytes: copy.bytes),
                                                fileSize: UInt64(copy.bytes.count), fileNumber: 0, blockCache: nil)
            try reopened.verifyChecksums()
            #expect(try Self.entries(of: reopened) == original, "\(name)")
            #expect(reopened.properties.compressionName == property)
            #expect(copy.dataBlocks > 1 && copy.dataBlocks < table.properties.numDataBlocks)
            #expect(codec == .none ? copy.compressed == 0 && copy.storedRaw == 0
                                   : copy.compressed + copy.storedRaw == copy.dataBlocks + 1)
            // The report prints those figures on the line after the type.
            guard let at = lines.firstIndex(where: { $0 == "Compression: " + name.padding(toWidth: 24) }) else {
                Issue.record("no line for \(name) in \(lines)")
                continue
            }
            let figures = Self.recompressFigures(lines[at + 1])
            #expect(lines[at + 1].hasPrefix("Compression level: 32767 Size: "))
            #expect(figures["Size"] == UInt64(copy.bytes.count) && figures["Blocks"] == copy.dataBlocks, "\(lines[at + 1])")
            #expect(figures["Compressed"] == copy.compressed && figures["(abort)"] == copy.storedRaw)
            #expect(figures["(ratio)"] == max(copy.dataBlocks, copy.compressed + copy.storedRaw) - copy.compressed - copy.storedRaw)
        }
        for name in ["kSnappyCompression", "kBZip2Compression", "kLZ4HCCompression", "kXpressCompression", "kZSTD"] {
            #expect(lines.contains("Unsupported compression type: \(name)."))
        }
    }

    @Test func recompressReportsLikeRocksDB() throws {
        // The same lines in the same order; the figures differ where the tables do (Sediment
        // cuts data blocks LevelDB's way, DESIGN.md §12, and writes other properties).
        for name in ["none", "zlib", "rocksdb/format1-lz4"] {
            let path = Self.dir + "/\(name).sst"
            let args = ["--command=recompress", "--compression_types=kNoCompression,kLZ4Compression,kZlibCompression",
                        "--set_block_size=2048"]
            let mine = SSTDump.capture(["--file=" + path] + args)
            let rocks = try run("/usr/bin/sst_dump", ["--file=" + path] + args)
            #expect(mine.status == 0 && rocks.status == 0, "\(mine.stderr)")
            func report(_ bytes: [UInt8]) -> [Substring] {
                String(decoding: bytes, as: UTF8.self).split(separator: "\n").filter {
                    $0.hasPrefix("Compression") || $0.hasPrefix("Block Size")
                }
            }
            let (a, b) = (report(mine.stdout), report(rocks.stdout))
            #expect(a.count == 7 && a.count == b.count, "\(a) \(b)")
            for (x, y) in zip(a, b) {
                if x.hasPrefix("Compression level") {
                    #expect(Set(Self.recompressFigures(x).keys) == Set(Self.recompressFigures(y).keys), "\(x) / \(y)")
                } else {
                    #expect(x == y)
                }
            }
            // Without compression every data block is counted as not compressed, in both.
            let none = Self.recompressFigures(a[2])
            #expect(none["Compressed"] == 0 && none["(abort)"] == 0 && none["(ratio)"] == none["Blocks"] && none["Blocks"] ?? 0 > 1)
        }
    }

    @Test func recompressFlagErrors() throws {
        let path = Self.dir + "/lz4.sst"
        func status(_ args: [String]) -> Int32 { SSTDump.capture(["--file=" + path, "--command=recompress"] + args).status }
        #expect(status(["--compression_types=kLZ4"]) == 2)
        #expect(status(["--compression_types=kLZ4Compression,"]) == 2)
        #expect(status(["--set_block_size=0"]) == 2)
        #expect(status(["--set_block_size=x"]) == 2)
        #expect(status(["--compression_level_from=32767"]) == 2)
        #expect(status(["--compression_level_from=1", "--compression_level_to=3"]) == 2)
        #expect(status(["--compression_level_from=1", "--compression_level_to=3", "--compression_types=kZlibCompression"]) == 2)
        #expect(status(["--compression_level=32767", "--compression_types=kZlibCompression"]) == 0)
        let one = SSTDump.capture(["--file=" + path, "--command=recompress", "--compression_types=kZSTD,kLZ4Compression",
                                   "--block_size=4096"])
        #expect(one.status == 0)
        let lines = String(decoding: one.stdout, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 6 && lines[2] == "Block Size: 4096" && lines[3] == "Unsupported compression type: kZSTD.")
        #expect(lines[4] == "Compression: kLZ4Compression         ")
    }

    /// Every entry of `table`, internal key and value.
    static func entries(of table: TableReader) throws -> [[UInt8]] {
        let it = table.makeIterator()
        var out: [[UInt8]] = []
        it.seekToFirst()
        while it.isValid {
            out.append(Array(it.key))
            out.append(Array(it.value))
            it.next()
        }
        if let e = it.error { throw e }
        return out
    }

    @Test func rocksDBTablesPrintIdentically() throws {
        try withTemporaryDirectory { tmp in
            for compression in ["lz4", "zlib", "none"] {
                let db = tmp + "/" + compression
                let r = try run("/usr/bin/db_bench", ["--benchmarks=fillrandom,flush", "--num=2000", "--compression_type=\(compression)",
                                                      "--bloom_bits=10", "--db=\(db)", "--seed=3"])
                #expect(r.status == 0, "\(r.stderr)")
                let tables = try FileManager.default.contentsOfDirectory(atPath: db).filter { $0.hasSuffix(".sst") }
                #expect(!tables.isEmpty, "RocksDB's db_bench wrote no table in \(db)")
                for name in tables {
                    for args in [["--command=scan"], ["--command=scan", "--output_hex"], ["--command=verify"]] {
                        let mine = SSTDump.capture(["--file=\(db)/\(name)"] + args)
                        var rocks = try run("/usr/bin/sst_dump", ["--file=\(db)/\(name)"] + args)
                        if let nl = rocks.stdout.firstIndex(of: 10) { rocks.stdout.removeSubrange(...nl) }
                        #expect(mine.status == 0 && mine.stdout == rocks.stdout, "\(compression) \(args)")
                    }
                }
            }
        }
    }

    @Test func rawDumpWritesFile() throws {
        try withTemporaryDirectory { tmp in
            let path = tmp + "/g.sst"
            try PosixFileSystem().writeWholeFile(path, try PosixFileSystem().readWholeFile(Self.dir + "/zlib.sst"))
            let r = SSTDump.capture(["--file=" + path, "--command=raw"])
            #expect(r.status == 0)
            let mine = try PosixFileSystem().readWholeFile(tmp + "/g_dump.txt")
            _ = try run("/usr/bin/sst_dump", ["--file=" + path, "--command=raw"])
            let rocks = try PosixFileSystem().readWholeFile(tmp + "/g_dump.txt")
            #expect(mine == rocks)
        }
    }

    /// RocksDB's output for `args` without its "options.env is 0x…" line.
    static func rocks(_ args: [String]) throws -> ProcessResult {
        var r = try run("/usr/bin/sst_dump", args)
        if let nl = r.stdout.firstIndex(of: 10) { r.stdout.removeSubrange(...nl) }
        return r
    }

    @Test func compressionDictionaryTableIsNotSupportedNotCorrupted() throws {
        let path = fixturesDirectory() + "/sst/rocksdb/compression-dict-zlib.sst"
        // A valid table: RocksDB reads it.
        let rocks = try Self.rocks(["--file=" + path, "--command=verify"])
        #expect(rocks.status == 0 && rocks.stdoutText.contains("The file is ok"))
        for command in ["check", "scan", "verify", "raw", "none"] {
            let r = SSTDump.capture(["--file=" + path, "--command=" + command])
            #expect(r.status == 1, "\(command)")
            #expect(r.stderr == "Not supported: compression dictionary (rocksdb.compression_dict) in \(path)\n", "\(command): \(r.stderr)")
        }
    }

    @Test func readNumStopsBeforePropertiesAsRocksDB() throws {
        try withTemporaryDirectory { tmp in
            // Two tables in a directory: --read_num spans files, and stops the loop once passed.
            let good = try PosixFileSystem().readWholeFile(Self.dir + "/lz4.sst")
            try PosixFileSystem().writeWholeFile(tmp + "/a.sst", good)
            try PosixFileSystem().writeWholeFile(tmp + "/b.sst", good)
            for args in [["--command=scan", "--read_num=3", "--show_properties"],
                         ["--command=check", "--read_num=5", "--show_properties"],
                         ["--command=scan", "--read_num=400", "--show_properties"]] {
                let mine = SSTDump.capture(["--file=" + tmp + "/a.sst"] + args)
                let rocks = try Self.rocks(["--file=" + tmp + "/a.sst"] + args)
                #expect(mine.status == 0 && mine.stdout == rocks.stdout, "\(args)")
                // RocksDB lists a directory in readdir order, Sediment sorted: compare the shape.
                func shape(_ out: [UInt8]) -> (files: Int, properties: Int) {
                    let text = String(decoding: out, as: UTF8.self)
                    return (text.components(separatedBy: "Process ").count - 1, text.components(separatedBy: "Table Properties").count - 1)
                }
                let mineDir = SSTDump.capture(["--file=" + tmp] + args)
                let rocksDir = try Self.rocks(["--file=" + tmp] + args)
                #expect(shape(mineDir.stdout) == shape(rocksDir.stdout), "directory \(args)")
            }
            let stopped = SSTDump.capture(["--file=" + tmp + "/a.sst", "--command=scan", "--read_num=3", "--show_properties"])
            #expect(!String(decoding: stopped.stdout, as: UTF8.self).contains("Table Properties"))
        }
    }

    @Test func filesNotNamedSSTAreSkippedAsRocksDBSkipsThem() throws {
        try withTemporaryDirectory { tmp in
            let good = try PosixFileSystem().readWholeFile(Self.dir + "/lz4.sst")
            for name in ["table.bin", "ab", "x.sst.old"] {
                let path = tmp + "/" + name
                try PosixFileSystem().writeWholeFile(path, good)
                for command in ["raw", "scan", "verify"] {
                    let mine = SSTDump.capture(["--file=" + path, "--command=" + command])
                    let rocks = try Self.rocks(["--file=" + path, "--command=" + command])
                    #expect(mine.status == 1 && rocks.status == 1, "\(name) \(command)")
                    #expect(mine.stderr == "\(path) is not a valid SST file\n" && mine.stderr == rocks.stderr, "\(name) \(command): \(mine.stderr)")
                    #expect(mine.stdout == rocks.stdout, "\(name) \(command)")
                }
            }
            // No dump file was written under a name cut from "table.bin" or "ab".
            let names = try FileManager.default.contentsOfDirectory(atPath: tmp).sorted()
            #expect(names == ["ab", "table.bin", "x.sst.old"])
        }
    }

    @Test func rawDumpOfLegacyTableMatchesRocksDB() throws {
        try withTemporaryDirectory { tmp in
            for name in ["format0-lz4", "format0-zlib", "format1-lz4"] {
                let bytes = try PosixFileSystem().readWholeFile(fixturesDirectory() + "/sst/rocksdb/\(name).sst")
                try PosixFileSystem().writeWholeFile(tmp + "/\(name).sst", bytes)
                let r = SSTDump.capture(["--file=" + tmp + "/\(name).sst", "--command=raw"])
                #expect(r.status == 0, "\(name): \(r.stderr)")
                let mine = String(decoding: try PosixFileSystem().readWholeFile(tmp + "/\(name)_dump.txt"), as: UTF8.self)
                _ = try run("/usr/bin/sst_dump", ["--file=" + tmp + "/\(name).sst", "--command=raw"])
                let rocks = String(decoding: try PosixFileSystem().readWholeFile(tmp + "/\(name)_dump.txt"), as: UTF8.self)
                // RocksDB's "unique ID" comes from session-id hashing Sediment does not do (N/A).
                func lines(_ text: String) -> [Substring] {
                    text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("  unique ID:") }
                }
                #expect(lines(mine) == lines(rocks), "\(name)")
                #expect(mine.contains("  table_magic_number: 9863518390377041911\n  format version: \(name.hasPrefix("format0") ? 0 : 1)\n"), "\(name)")
            }
        }
    }

    @Test func rawDumpListsRangeDeletionsAsRocksDB() throws {
        try withTemporaryDirectory { tmp in
            let bytes = try PosixFileSystem().readWholeFile(fixturesDirectory() + "/sst/rocksdb/range-deletion.sst")
            try PosixFileSystem().writeWholeFile(tmp + "/r.sst", bytes)
            let r = SSTDump.capture(["--file=" + tmp + "/r.sst", "--command=raw"])
            #expect(r.status == 0, "\(r.stderr)")
            let mine = String(decoding: try PosixFileSystem().readWholeFile(tmp + "/r_dump.txt"), as: UTF8.self)
            #expect(mine.hasSuffix("Range deletions:\n--------------------------------------\n  HEX    61: 63\n  ASCII  a : c \n  ------\n\n"))
            _ = try run("/usr/bin/sst_dump", ["--file=" + tmp + "/r.sst", "--command=raw"])
            let rocks = String(decoding: try PosixFileSystem().readWholeFile(tmp + "/r_dump.txt"), as: UTF8.self)
            func lines(_ text: String) -> [Substring] {
                text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("  unique ID:") }
            }
            #expect(lines(mine) == lines(rocks))
        }
    }

    @Test func identifyNamesValidTablesAsRocksDB() throws {
        try withTemporaryDirectory { tmp in
            let bytes = try PosixFileSystem().readWholeFile(Self.dir + "/lz4.sst")
            try PosixFileSystem().writeWholeFile(tmp + "/a.sst", bytes)
            try PosixFileSystem().writeWholeFile(tmp + "/b.sst", bytes)
            try PosixFileSystem().writeWholeFile(tmp + "/c.sst", Array("not a table".utf8))
            for args in [["--file=" + tmp + "/a.sst", "--command=identify"], ["--file=" + tmp, "--command=identify"]] {
                let mine = SSTDump.capture(args)
                let rocks = try Self.rocks(args)
                #expect(mine.status == (args[0].hasSuffix(".sst") ? 0 : 1), "\(args)")
                // RocksDB walks a directory in readdir order, Sediment in name order: the same
                // lines, perhaps in another order.
                func lines(_ b: [UInt8]) -> [Substring] { String(decoding: b, as: UTF8.self).split(separator: "\n").sorted() }
                #expect(lines(mine.stdout) == lines(rocks.stdout), "\(args): \(String(decoding: mine.stdout, as: UTF8.self))")
            }
            let single = String(decoding: SSTDump.capture(["--file=" + tmp + "/a.sst", "--command=identify"]).stdout, as: UTF8.self)
            #expect(single.hasSuffix("\(tmp)/a.sst is a valid SST file\n"))
            let listing = String(decoding: SSTDump.capture(["--file=" + tmp, "--command=identify"]).stdout, as: UTF8.self)
            #expect(listing.hasSuffix("List of valid SST files found in \(tmp):\n\(tmp)/a.sst\n\(tmp)/b.sst\nNumber of valid SST files: 2\n"))
        }
    }

    /// An unreadable directory is named once. Root reads any directory, so this runs only as
    /// another user.
    /// The built sst_dump executable next to the test bundle.
    static func toolPath() throws -> String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("sst_dump").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw TestSupportError("sst_dump not found near \(CommandLine.arguments[0]); build with `swift build --build-tests`")
    }

    @Test func unreadableDirectoryIsNamedOnce() throws {
        try withTemporaryDirectory { tmp in
            let dir = tmp + "/locked"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
            chmod(dir, 0)
            defer { chmod(dir, 0o755) }
            let status: Int32, stderr: String
            if getuid() != 0 {
                let r = SSTDump.capture(["--file=" + dir])
                (status, stderr) = (r.status, r.stderr)
            } else {
                // Root lists any directory: run the tool as nobody, for whom mode 000 holds. It
                // runs from a copy in the (traversable) temporary directory.
                chmod(tmp, 0o711)
                let tool = tmp + "/sst_dump"
                try FileManager.default.copyItem(atPath: try Self.toolPath(), toPath: tool)
                chmod(tool, 0o755)
                let r = try run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", tool, "--file=" + dir])
                (status, stderr) = (r.status, r.stderr)
            }
            #expect(status == 1, "\(stderr)")
            #expect(stderr.components(separatedBy: dir).count == 2 && stderr.contains("ermission"), "\(stderr)")
        }
    }
}

