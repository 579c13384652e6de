// RocksDBInteropTests: tables Sediment writes pass RocksDB 7.8's `sst_dump --command=verify`
// and list exactly the written entries under `--command=scan`; tables RocksDB's db_bench
// writes are read by TableReader (every key found, absent keys absent).
import Foundation
import Testing
import SedimentTestSupport
@_spi(Internals) @testable import Sediment

@Suite struct RocksDBInteropTests {
    struct Shape: CustomStringConvertible, Sendable {
        var compression: Compression
        var bloom: Double
        var restart: Int
        var blockSize: Int
        var count: Int
        var valueSize: Int
        var description: String { "\(compression) bloom=\(bloom) restart=\(restart) block=\(blockSize) n=\(count) v=\(valueSize)" }
    }

    static let shapes: [Shape] = [
        Shape(compression: .none, bloom: 10, restart: 16, blockSize: 4096, count: 500, valueSize: 20),
        Shape(compression: .lz4, bloom: 0, restart: 1, blockSize: 64, count: 300, valueSize: 10),
        Shape(compression: .zlib, bloom: 10, restart: 16, blockSize: 64, count: 300, valueSize: 0),
        Shape(compression: .lz4, bloom: 10, restart: 16, blockSize: 4096, count: 20, valueSize: 100_000),
        Shape(compression: .zlib, bloom: 5, restart: 1, blockSize: 4096, count: 2000, valueSize: 50),
        Shape(compression: .lz4, bloom: 10, restart: 16, blockSize: 4096, count: 100_000, valueSize: 8),
    ]

    /// Sorted entries with shared prefixes, 0x00/0xFF bytes, several versions of some keys, and
    /// an occasional deletion.
    static func entries(_ shape: Shape, seed: UInt64) -> [(key: [UInt8], value: [UInt8])] {
        var rng = SeededRandom(defaultSeed: seed)
        var out: [(key: [UInt8], value: [UInt8])] = []
        var seq: UInt64 = UInt64(shape.count) * 2
        for i in 0..<shape.count {
            var user = Array("key\(String(i, radix: 16))".utf8)
            user = Array("prefix/long/shared/".utf8) + [UInt8(i >> 16), UInt8((i >> 8) & 0xFF), UInt8(i & 0xFF)] + user
            if i % 7 == 0 { user.append(0xFF) }
            if i % 11 == 0 { user.append(0x00) }
            let versions = i % 13 == 0 ? 2 : 1
            for v in 0..<versions {
                let kind: ValueKind = (i % 17 == 0 && v == versions - 1) ? .deletion : .value
                let value = kind == .deletion ? [] : randomBytes(shape.valueSize, using: &rng)
                out.append((ikey(user, seq, kind), value))
                seq -= 1
            }
        }
        return out
    }

    static func hex(_ b: some Sequence<UInt8>) -> String { b.map { hexByte($0) }.joined() }

    @Test(arguments: shapes)
    func rocksDBReadsSedimentTables(_ shape: Shape) throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/000001.sst"
            let entries = Self.entries(shape, seed: 42)
            try buildTable(at: path, entries, options: TableBuilderOptions(
                blockSize: shape.blockSize, blockRestartInterval: shape.restart,
                bloomBitsPerKey: shape.bloom, compression: shape.compression))
            let verify = try rocksSSTDump(["--file=" + path, "--command=verify"])
            #expect(verify.status == 0, "\(verify.stderr)")
            #expect(verify.stdoutText.hasSuffix("The file is ok\n"), "\(verify.stdoutText) \(verify.stderr)")
            let scan = try rocksSSTDump(["--file=" + path, "--command=scan", "--output_hex"])
            #expect(scan.status == 0)
            #expect(scan.stderr.isEmpty, "\(scan.stderr)")
            var expected = "Process \(path)\nSst file format: block-based\nfrom [] to []\n"
            for e in entries {
                let k = InternalKey(encoded: e.key)!
                expected += "'\(Self.hex(k.userKey))' seq:\(k.sequence), type:\(k.kind.rawValue) => \(Self.hex(e.value))\n"
            }
            #expect(scan.stdoutText == expected)
            // And Sediment reads its own table back.
            let table = try openTable(path)
            let it = table.makeIterator()
            let got = scanAll(it)
            #expect(it.error == nil)
            #expect(got.count == entries.count)
            #expect(zip(got, entries).allSatisfy { $0.key == $1.key && $0.value == $1.value })
        }
    }
}

/// Tables written by RocksDB 7.8's db_bench (format_version 5, user-key delta-encoded index,
/// FastLocalBloom filter) read through TableReader.
@Suite struct RocksDBWrittenTableTests {
    /// Runs db_bench fillrandom + flush into `dir` and returns the .sst paths.
    static func makeRocksDBTables(in dir: String, compression: String, bloomBits: Int) throws -> [String] {
        let r = try run("/usr/bin/db_bench", [
            "--benchmarks=fillrandom,flush", "--num=2000", "--compression_type=\(compression)",
            "--bloom_bits=\(bloomBits)", "--db=\(dir)", "--value_size=100", "--seed=7",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".sst") }.sorted()
        #expect(!names.isEmpty, "db_bench wrote no table in \(dir)")
        return names.map { dir + "/" + $0 }
    }

    /// Parses RocksDB sst_dump's hex scan lines into (user key, sequence, type, value).
    static func parseScan(_ text: String) -> [(user: [UInt8], seq: UInt64, type: UInt8, value: [UInt8])] {
        func unhex(_ s: Substring) -> [UInt8] {
            var out: [UInt8] = []
            var i = s.startIndex
            while i < s.endIndex, let j = s.index(i, offsetBy: 2, limitedBy: s.endIndex), let b = UInt8(s[i..<j], radix: 16) {
                out.append(b)
                i = j
            }
            return out
        }
        return text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("'"), let close = line.dropFirst().firstIndex(of: "'"),
                  let arrow = line.range(of: " => ") else { return nil }
            let user = unhex(line[line.index(after: line.startIndex)..<close])
            let meta = line[line.index(after: close)..<arrow.lowerBound] // " seq:N, type:T"
            let parts = meta.split(separator: ",")
            let seq = UInt64(parts[0].split(separator: ":")[1]) ?? 0
            let type = UInt8(parts[1].split(separator: ":")[1]) ?? 255
            return (user, seq, type, unhex(line[arrow.upperBound...]))
        }
    }

    /// Scans `table` forward, then backward, and expects exactly `expected` (from `parseScan`)
    /// each way. Returns the iterator (for seeks) and the entries read forward.
    @discardableResult
    static func expectScan(_ table: TableReader,
                           equals expected: [(user: [UInt8], seq: UInt64, type: UInt8, value: [UInt8])],
                           sourceLocation: SourceLocation = #_sourceLocation)
        -> (iterator: TableIterator, entries: [(key: [UInt8], value: [UInt8])]) {
        let it = table.makeIterator()
        let got = scanAll(it)
        #expect(it.error == nil, sourceLocation: sourceLocation)
        #expect(got.count == expected.count, sourceLocation: sourceLocation)
        for (g, e) in zip(got, expected) {
            #expect(g.key == ikey(e.user, e.seq, ValueKind(rawValue: e.type) ?? .value) && g.value == e.value,
                    sourceLocation: sourceLocation)
        }
        var backward: [[UInt8]] = []
        it.seekToLast()
        while it.isValid { backward.append(Array(it.key)); it.previous() }
        #expect(it.error == nil, sourceLocation: sourceLocation)
        #expect(backward == got.map(\.key).reversed(), sourceLocation: sourceLocation)
        return (it, got)
    }

    @Test(arguments: ["none", "lz4", "zlib"])
    func sedimentReadsRocksDBTables(_ compression: String) throws {
        try withTemporaryDirectory { dir in
            for path in try Self.makeRocksDBTables(in: dir + "/db", compression: compression, bloomBits: 10) {
                let table = try openTable(path)
                #expect(table.formatVersion == 5 && table.properties.indexKeyIsUserKey == 1 && table.properties.indexValueIsDeltaEncoded == 1)
                #expect(table.filter?.isEvaluated == true)
                try table.verifyChecksums()
                let scan = try rocksSSTDump(["--file=" + path, "--command=scan", "--output_hex"])
                let expected = Self.parseScan(scan.stdoutText)
                #expect(expected.count == Int(table.properties.numEntries))
                let (it, got) = Self.expectScan(table, equals: expected)
                // Every key is found with its newest value; absent neighbours are absent.
                var falsePositiveProbes = 0, filterPasses = 0
                for e in expected {
                    let r = try e.user.withUnsafeBytes { try table.get(userKey: $0, sequence: maxSequenceNumber) }
                    #expect(r == (e.type == 0 ? .deleted : .found(e.value)), "\(e.user) type \(e.type)")
                    let absent = e.user + [0x01]
                    let a = try absent.withUnsafeBytes { try table.get(userKey: $0, sequence: maxSequenceNumber) }
                    #expect(a == .notFound)
                    falsePositiveProbes += 1
                    if absent.withUnsafeBytes({ table.filter?.mayMatch($0) ?? true }) { filterPasses += 1 }
                    // Reading below the key's sequence finds nothing older in this table.
                    let old = try e.user.withUnsafeBytes { try table.get(userKey: $0, sequence: e.seq - 1) }
                    #expect(old == .notFound)
                }
                // A correct hash keeps RocksDB's ~1% false-positive rate at 10 bits/key.
                #expect(filterPasses * 100 < falsePositiveProbes * 5, "\(filterPasses) of \(falsePositiveProbes)")
                // Seeks land where the scan says.
                for (i, e) in expected.enumerated() where i % 37 == 0 {
                    ikey(e.user, e.seq).withUnsafeBytes { it.seek($0) }
                    #expect(it.isValid && Array(it.key) == got[i].key)
                }
            }
        }
    }
}
