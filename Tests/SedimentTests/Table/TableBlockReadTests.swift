// TableBlockReadTests: how point lookups and cursors read data blocks (DESIGN.md §14 P30). A
// lookup copies a stored block into its stack buffer through the table's mapping, a cursor into
// one of its two reusable buffers: an uncompressed block is read there and not cached, a
// compressed one is decompressed into a block the cache keeps, and a block too large for a
// lookup's buffer takes the heap path (a cursor grows its buffer). Every variant returns the
// right entries, and a damaged block is still a typed checksum error.
import Foundation
import Testing
import SedimentTestSupport
@_spi(Internals) @testable import Sediment

@Suite struct TableBlockReadTests {
    /// 2,000 entries whose values compress well (so LZ4 keeps every block compressed).
    static func entries() -> [(key: [UInt8], value: [UInt8])] {
        (0..<2000).map { i in
            let user = Array(String(format: "key%08d", i).utf8)
            let value = Array(repeating: UInt8(i % 251), count: 60) + Array(String(i).utf8)
            return (ikey(user, UInt64(i + 1)), value)
        }
    }

    /// Writes `entries` as a table at `path` (restart interval 16, Bloom 10 bits per key).
    static func build(_ path: String, _ entries: [(key: [UInt8], value: [UInt8])],
                      _ compression: Compression, blockSize: Int) throws {
        try buildTable(at: path, entries, options: TableBuilderOptions(
            blockSize: blockSize, blockRestartInterval: 16, bloomBitsPerKey: 10, compression: compression))
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
            try Self.build(path, entries, compression, blockSize: blockSize)
            let cache = BlockCache(capacityBytes: 1 << 20)
            let table = try openTable(path, cache: cache)
            let before = cache.usage
            try Self.getAll(table, entries)
            // Twice: the second pass reads cached blocks where there are any.
            try Self.getAll(table, entries)
            #expect((cache.usage > before) == cached, "usage \(before) -> \(cache.usage)")
            // A cursor caches the blocks it cannot walk in its own buffers (and lookups then
            // find those), and only those.
            let scanCache = BlockCache(capacityBytes: 1 << 20)
            let scanned = try openTable(path, cache: scanCache, fileNumber: 2)
            #expect(scanAll(scanned.makeIterator()).map(\.key) == entries.map(\.key))
            #expect((scanCache.usage > 0) == (compression != .none), "usage \(scanCache.usage)")
            try Self.getAll(scanned, entries)
        }
    }

    @Test(arguments: [(Compression.none, 4096), (.none, 64), (.none, 32768), (.lz4, 4096)])
    func cursorWalksBlocksInItsOwnBuffers(_ compression: Compression, _ blockSize: Int) throws {
        let entries = Self.entries()
        try withTemporaryDirectory { dir in
            let path = dir + "/t.sst"
            try Self.build(path, entries, compression, blockSize: blockSize)
            let table = try openTable(path, cache: BlockCache(capacityBytes: 1 << 20))
            let it = table.makeIterator()
            // Forward, backward, and seeks that jump between blocks in both directions: every
            // entry seen must be the model's (a reused buffer overwritten under the cursor's
            // block would show up as a wrong key or value).
            #expect(scanAll(it).map(\.value) == entries.map(\.value))
            var backward: [[UInt8]] = []
            it.seekToLast()
            while it.isValid {
                backward.append(Array(it.value))
                it.previous()
            }
            #expect(backward.reversed() == entries.map(\.value))
            var rng = SeededRandom(defaultSeed: 0xB10C)
            for _ in 0..<300 {
                let i = Int(rng.next() % UInt64(entries.count))
                entries[i].key.withUnsafeBytes { it.seek($0) }
                #expect(it.isValid && Array(it.key) == entries[i].key && Array(it.value) == entries[i].value)
                if i > 0 {
                    it.previous()
                    #expect(it.isValid && Array(it.value) == entries[i - 1].value)
                }
            }
            #expect(it.error == nil)
        }
    }

    @Test func theBytesToPrefetchAreTheNextBlocks() throws {
        let entries = Self.entries()
        try withTemporaryDirectory { dir in
            let path = dir + "/t.sst"
            try Self.build(path, entries, .none, blockSize: 4096)
            let table = try openTable(path, cache: BlockCache(capacityBytes: 1 << 20))
            var index = BlockCursor(block: table.indexBlock, order: table.indexOrder, format: table.indexFormat)
            defer { index.release() }
            index.seekToFirst()
            let first = index.handle
            index.next()
            let second = index.handle
            #expect(table.mappedBytesAfter(first) == nil, "nothing is mapped before a cursor reads a block")
            let it = table.makeIterator()
            it.seekToFirst()
            #expect(it.isValid)
            guard let file = table.file as? PosixRandomAccessFile,
                  let base = file.mappedAddressForPrefetch(at: 0, count: 0),
                  let after = table.mappedBytesAfter(first), let start = after.baseAddress else {
                Issue.record("the table's file is not mapped after a cursor read")
                return
            }
            #expect(base.distance(to: start) == Int(second.offset))
            #expect(after.count == Int(first.size) + blockTrailerSize)
            // A walk that prefetches as it goes still sees every entry.
            #expect(scanAll(it).map(\.key) == entries.map(\.key) && it.error == nil)
            // Over a file system that does not map, there is nothing to prefetch.
            let fs = FaultInjectionFileSystem()
            let unmapped = try TableReader.open(file: fs.openForReading(path), fileSize: fs.fileSize(path),
                                                fileNumber: 3, blockCache: BlockCache(capacityBytes: 1 << 20))
            let walker = unmapped.makeIterator()
            walker.seekToFirst()
            #expect(walker.isValid && unmapped.mappedBytesAfter(first) == nil)
        }
    }

    @Test func cursorStopsAtADamagedBlockWithATypedError() throws {
        let entries = Self.entries()
        try withTemporaryDirectory { dir in
            let path = dir + "/t.sst"
            try Self.build(path, entries, .none, blockSize: 4096)
            var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
            // Damage the third data block (its offset from the index of a clean reader).
            let clean = try openTable(path)
            var index = BlockCursor(block: clean.indexBlock, order: clean.indexOrder, format: clean.indexFormat)
            index.seekToFirst()
            index.next()
            index.next()
            let damaged = index.handle
            index.release()
            bytes[Int(damaged.offset) + 10] ^= 0x01
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let table = try openTable(path, cache: BlockCache(capacityBytes: 1 << 20))
            let it = table.makeIterator()
            it.seekToFirst()
            var seen: [[UInt8]] = []
            while it.isValid {
                seen.append(Array(it.key))
                it.next()
            }
            #expect(!seen.isEmpty && seen.count < entries.count)
            #expect(seen == Array(entries.prefix(seen.count).map(\.key)))
            guard case let .corruption(file, offset, message)? = it.error else {
                Issue.record("expected a corruption error, got \(String(describing: it.error))")
                return
            }
            #expect(file == path)
            #expect(offset == Int64(damaged.offset))
            #expect(message.contains("checksum mismatch"), "\(message)")
        }
    }

    @Test(arguments: [Compression.none, .lz4])
    func damagedBlockIsAChecksumErrorForALookup(_ compression: Compression) throws {
        let entries = Self.entries()
        try withTemporaryDirectory { dir in
            let path = dir + "/t.sst"
            try Self.build(path, entries, compression, blockSize: 4096)
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

    /// A compressed block read without checksum verification is not cached: LZ4 can decode a
    /// damaged block to the right size with wrong bytes, and from the cache it would reach the
    /// reads (and compactions) that verify, which must see the checksum error instead.
    @Test func blockReadUnverifiedIsNotCached() throws {
        try withTemporaryDirectory { dir in
            var state: UInt32 = 7
            let entries: [(key: [UInt8], value: [UInt8])] = (0..<200).map { i in
                let noise: [UInt8] = (0..<40).map { _ in
                    state = state &* 1103515245 &+ 12345
                    return UInt8(truncatingIfNeeded: state >> 16)
                }
                return (ikey(Array(String(format: "key%08d", i).utf8), UInt64(i + 1)), noise + Array(repeating: 0x61, count: 40))
            }
            let pristine = dir + "/pristine.sst"
            try Self.build(pristine, entries, .lz4, blockSize: 4096)
            let fs = PosixFileSystem()
            let bytes = try fs.readWholeFile(pristine)
            guard let first = try openTable(pristine).indexEntries().first?.handle else {
                Issue.record("no data block")
                return
            }
            // Find a flipped byte after which every unverified get succeeds but one value is wrong.
            for offset in Int(first.offset) + 1..<Int(first.offset + first.size) {
                var damaged = bytes
                damaged[offset] ^= 0x20
                let path = dir + "/damaged.sst"
                try fs.writeWholeFile(path, damaged, sync: false)
                let cache = BlockCache(capacityBytes: 1 << 20)
                let table = try openTable(path, cache: cache)
                var wrongKey: [UInt8]? = nil
                do {
                    for e in entries {
                        let user = Array(e.key.dropLast(8))
                        let got = try user.withUnsafeBytes { try table.get(userKey: $0, sequence: 1000, verifyChecksums: false) }
                        if got != .found(e.value) { wrongKey = user; break }
                    }
                } catch { continue }
                guard let wrongKey else { continue }
                #expect(cache.usage == 0, "an unverified block was cached")
                do {
                    let got = try wrongKey.withUnsafeBytes { try table.get(userKey: $0, sequence: 1000, verifyChecksums: true) }
                    Issue.record("a verified get after an unverified one returned \(got) at flipped offset \(offset)")
                } catch SedimentError.corruption(let file, _, _) {
                    #expect(file == path)
                }
                return
            }
            Issue.record("no single flipped byte decoded to wrong values")
        }
    }
}
