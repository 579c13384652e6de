// TableLookupTests: how point lookups read data blocks (DESIGN.md §14 P30). A lookup copies a
// stored block into its stack buffer through the table's mapping: an uncompressed block is read
// in that buffer and not cached, a compressed one is decompressed into a block the cache keeps,
// and a block too large for the buffer takes the heap path. Every variant returns the right
// values, and a damaged block is still a typed checksum error.
import Foundation
import Testing
import SedimentTestSupport
@_spi(Internals) @testable import Sediment

@Suite struct TableLookupTests {
    /// 2,000 entries whose values compress well (so LZ4 keeps every block compressed).
    static func entries() -> [(key: [UInt8], value: [UInt8])] {
        (0..<2000).map { i in
            let user = Array(String(format: "key%08d", i).utf8)
            let value = Array(repeating: UInt8(i % 251), count: 60) + Array(String(i).utf8)
            return (ikey(user, UInt64(i + 1)), value)
        }
    }

    /// Gets every key (and a few absent ones) and checks the values.
    static func getAll(_ table: TableReader, _ entries: [(key: [UInt8], value: [UInt8])]) throws {
        for e in entries {
            let k = InternalKey(encoded: e.key)!
            let got = try k.userKey.withUnsafeBytes { try table.get(userKey: $0, sequence: maxSequenceNumber) }
            #expect(got == .found(e.value), "\(k)")
        }
        for absent in ["key", "key00000000x", "kez"] {
            let got = try Array(absent.utf8).withUnsafeBytes { try table.get(userKey: $0, sequence: maxSequenceNumber) }
            #expect(got == .notFound, "\(absent)")
        }
    }

    @Test(arguments: [(Compression.none, 4096, false), (.lz4, 4096, true), (.zlib, 4096, true),
                      (.none, 32768, true)])
    func lookupsCacheOnlyBlocksTheyCannotReadInPlace(_ compression: Compression, _ blockSize: Int,
                                                      _ cached: Bool) throws {
        let entries = Self.entries()
        try withTemporaryDirectory { dir in
            let path = dir + "/t.sst"
            try buildTable(at: path, entries, options: TableBuilderOptions(
                blockSize: blockSize, blockRestartInterval: 16, bloomBitsPerKey: 10, compression: compression))
            let cache = BlockCache(capacityBytes: 1 << 20)
            let table = try openTable(path, cache: cache)
            let before = cache.usage
            try Self.getAll(table, entries)
            // Twice: the second pass reads cached blocks where there are any.
            try Self.getAll(table, entries)
            #expect((cache.usage > before) == cached, "usage \(before) -> \(cache.usage)")
            // A cursor still caches what it reads, and lookups then find those blocks.
            #expect(scanAll(table.makeIterator()).count == entries.count)
            #expect(cache.usage > before)
            try Self.getAll(table, entries)
        }
    }

    @Test(arguments: [Compression.none, .lz4])
    func damagedBlockIsAChecksumErrorForALookup(_ compression: Compression) throws {
        let entries = Self.entries()
        try withTemporaryDirectory { dir in
            let path = dir + "/t.sst"
            try buildTable(at: path, entries, options: TableBuilderOptions(
                blockSize: 4096, blockRestartInterval: 16, bloomBitsPerKey: 10, compression: compression))
            var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[100] ^= 0x40  // inside the first data block
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let table = try openTable(path, cache: BlockCache(capacityBytes: 1 << 20))
            let first = InternalKey(encoded: entries[0].key)!.userKey
            do {
                _ = try first.withUnsafeBytes { try table.get(userKey: $0, sequence: maxSequenceNumber) }
                Issue.record("a get through a damaged block returned")
            } catch let SedimentError.corruption(file, offset, message) {
                #expect(file == path)
                #expect(offset == 0)
                #expect(message.contains("checksum mismatch"), "\(message)")
            }
            // Keys in undamaged blocks still read.
            let last = entries[entries.count - 1]
            let got = try InternalKey(encoded: last.key)!.userKey.withUnsafeBytes {
                try table.get(userKey: $0, sequence: maxSequenceNumber)
            }
            #expect(got == .found(last.value))
        }
    }
}
