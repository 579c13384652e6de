// LegacyCompressionFramingTests: tables RocksDB 7.8's db_bench wrote with format_version 0 and 1
// (Fixtures/sst/rocksdb/), whose compressed blocks use RocksDB's compress_format_version 1:
// LZ4 blocks behind an 8-byte size header, zlib blocks without any size (DESIGN.md §6
// Compression). Each is read entry for entry against RocksDB's own scan, by gets and by
// verifyChecksums; damaged copies of a block's legacy framing are `.corruption` naming the
// file and block offset. Fixtures/README.md says how the tables were made.
import Foundation
import Testing
import SedimentTestSupport
@_spi(Internals) @testable import Sediment

@Suite struct LegacyCompressionFramingTests {
    static let dir = fixturesDirectory() + "/sst/rocksdb"

    /// The four tables: (file name without `.sst`, footer format_version, properties' compression).
    static let tables: [(name: String, formatVersion: UInt32, compression: String)] = [
        ("format0-lz4", 0, "LZ4"), ("format0-zlib", 0, "Zlib"),
        ("format1-lz4", 1, "LZ4"), ("format1-zlib", 1, "Zlib"),
    ]

    /// The entries RocksDB's `sst_dump --command=scan --output_hex` lists (the same for all four
    /// tables: db_bench fillseq, 200 keys, seed 7).
    static func expectedEntries() throws -> [(user: [UInt8], seq: UInt64, type: UInt8, value: [UInt8])] {
        let text = try String(contentsOfFile: dir + "/fillseq.scan.txt", encoding: .utf8)
        return RocksDBWrittenTableTests.parseScan(text)
    }

    /// The stored compression type byte of the block at `handle` (its trailer's first byte).
    static func storedType(_ bytes: [UInt8], _ handle: BlockHandle) -> UInt8 {
        bytes[Int(handle.offset + handle.size)]
    }

    @Test(arguments: tables.map(\.name))
    func rocksDBTableReadsEntryForEntry(_ name: String) throws {
        let spec = try #require(Self.tables.first { $0.name == name })
        let path = Self.dir + "/\(name).sst"
        let table = try openTable(path)
        #expect(table.formatVersion == spec.formatVersion)
        #expect(table.isLegacyFormat == (spec.formatVersion == 0))
        #expect(table.properties.compressionName == spec.compression)
        // The index and every data block are stored compressed, so each goes through the framing.
        let bytes = try PosixFileSystem().readWholeFile(path)
        let code: UInt8 = spec.compression == "LZ4" ? 0x4 : 0x2
        #expect(Self.storedType(bytes, table.indexHandle) == code)
        let blocks = try table.indexEntries()
        #expect(blocks.count == 5 && blocks.allSatisfy { Self.storedType(bytes, $0.handle) == code })

        try table.verifyChecksums()
        let expected = try Self.expectedEntries()
        #expect(expected.count == 200 && Int(table.properties.numEntries) == expected.count)
        // db_bench's first key: 8-byte big-endian 0 padded with '0' to 16 bytes.
        #expect(expected.first?.user == [UInt8](repeating: 0, count: 8) + Array("00000000".utf8))
        #expect(expected.first?.value.prefix(4) == [0x5E, 0x7B, 0x56, 0x68])

        RocksDBWrittenTableTests.expectScan(table, equals: expected)

        for e in expected {
            let found = try e.user.withUnsafeBytes { try table.get(userKey: $0, sequence: maxSequenceNumber) }
            #expect(found == .found(e.value))
            let absent = e.user + [0x01]
            let missing = try absent.withUnsafeBytes { try table.get(userKey: $0, sequence: maxSequenceNumber) }
            #expect(missing == .notFound)
        }
        // Through a block cache too (compressed blocks are cached decompressed).
        let cached = try openTable(path, cache: BlockCache(capacityBytes: 1 << 20))
        for e in expected.prefix(50) {
            let found = try e.user.withUnsafeBytes { try cached.get(userKey: $0, sequence: maxSequenceNumber) }
            #expect(found == .found(e.value))
        }
    }

    /// A copy of fixture `name` at `path` with `edit` applied to the stored bytes of the block
    /// at `handle`, its crc32c trailer recomputed so that only the framing is wrong.
    static func damagedCopy(of name: String, at path: String, block handle: BlockHandle,
                            _ edit: (inout ArraySlice<UInt8>) -> Void) throws {
        var bytes = try PosixFileSystem().readWholeFile(Self.dir + "/\(name).sst")
        let start = Int(handle.offset), end = start + Int(handle.size)
        var block = bytes[start..<end]
        edit(&block)
        bytes.replaceSubrange(start..<end, with: block)
        let crc = bytes[start..<end].withUnsafeBytes { ChecksumType.crc32c.blockChecksum($0, lastByte: bytes[end]) }
        withUnsafeBytes(of: crc.littleEndian) { bytes.replaceSubrange(end + 1..<end + 5, with: $0) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// The error `body` throws, which must be `.corruption`: (file, offset, message).
    static func corruption(_ body: () throws -> Void) -> (file: String, offset: Int64?, message: String)? {
        do {
            try body()
        } catch let SedimentError.corruption(file, offset, message) {
            return (file, offset, message)
        } catch {
            Issue.record("expected .corruption, got \(error)")
        }
        return nil
    }

    /// An 8-byte LZ4 header claiming an absurd size, or one byte more or less than the block
    /// holds, makes reads and verifyChecksums `.corruption` naming the file and the block's
    /// offset, checked before anything is allocated; the undamaged table reads the same block.
    @Test func aDamagedLegacyLZ4HeaderIsCorruption() throws {
        let pristine = try openTable(Self.dir + "/format1-lz4.sst")
        let handle = try #require(try pristine.indexEntries().last?.handle)
        let lastKey = try #require(try Self.expectedEntries().last?.user)
        let good = try lastKey.withUnsafeBytes { try pristine.get(userKey: $0, sequence: maxSequenceNumber) }
        #expect(good != .notFound)
        let header = try PosixFileSystem().readWholeFile(Self.dir + "/format1-lz4.sst")[Int(handle.offset)..<Int(handle.offset) + 8]
        let size = header.withUnsafeBytes { $0.loadFixed32(at: 0) }
        #expect(header.suffix(4).allSatisfy { $0 == 0 } && size > 0)
        try withTemporaryDirectory { dir in
            for (claimed, message) in [
                (UInt32(Int32.max), "absurd uncompressed size \(Int32.max) for \(handle.size - 8) bytes in a LZ4 block"),
                (size + 1, "LZ4 block does not decompress to its recorded size"),
                (size - 1, "LZ4 block does not decompress to its recorded size"),
            ] {
                let path = dir + "/000009.sst"
                try Self.damagedCopy(of: "format1-lz4", at: path, block: handle) { block in
                    withUnsafeBytes(of: claimed.littleEndian) { block.replaceSubrange(block.startIndex..<block.startIndex + 4, with: $0) }
                }
                let table = try openTable(path)
                let viaGet = Self.corruption { _ = try lastKey.withUnsafeBytes { try table.get(userKey: $0, sequence: maxSequenceNumber) } }
                #expect(viaGet?.file == path && viaGet?.offset == Int64(handle.offset) && viaGet?.message == message)
                let viaVerify = Self.corruption { try table.verifyChecksums() }
                #expect(viaVerify?.file == path && viaVerify?.offset == Int64(handle.offset) && viaVerify?.message == message)
            }
        }
    }

    /// A damaged legacy LZ4 header on the index block fails the open, naming the index's offset.
    @Test func aDamagedLegacyIndexHeaderFailsTheOpen() throws {
        let pristine = try openTable(Self.dir + "/format0-lz4.sst")
        let index = pristine.indexHandle
        try withTemporaryDirectory { dir in
            let path = dir + "/000009.sst"
            try Self.damagedCopy(of: "format0-lz4", at: path, block: index) { block in
                block[block.startIndex + 3] = 0x40 // claims 1 GiB + the real size
            }
            let e = Self.corruption { _ = try openTable(path) }
            #expect(e?.file == path && e?.offset == Int64(index.offset))
            #expect(e?.message.hasPrefix("absurd uncompressed size") == true)
        }
    }

    /// A legacy zlib block whose deflate stream is garbled is `.corruption` naming the file and
    /// offset (streams cut short: `BlockCompressionTests`).
    @Test func aDamagedLegacyZlibStreamIsCorruption() throws {
        let pristine = try openTable(Self.dir + "/format1-zlib.sst")
        let handle = try #require(try pristine.indexEntries().first?.handle)
        try pristine.verifyChecksums()
        try withTemporaryDirectory { dir in
            let path = dir + "/000009.sst"
            // 0xFF: a final block of the reserved type 3.
            try Self.damagedCopy(of: "format1-zlib", at: path, block: handle) { $0[$0.startIndex] = 0xFF }
            let garbled = Self.corruption { try openTable(path).verifyChecksums() }
            #expect(garbled?.file == path && garbled?.offset == Int64(handle.offset))
            #expect(garbled?.message.hasPrefix("zlib block does not decompress") == true)
        }
    }
}
