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
