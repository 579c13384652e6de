// TableKeyAndFilterCheckTests: what a table reader refuses to trust. An entry key shorter than an
// internal key's 8-byte trailer (a malformed table with good checksums, or one read without
// verification) is corruption at its block offset, not a trap where the key is split; and a
// RocksDB table whose filter holds prefixes only (whole_key_filtering=0) is read without it.
import Testing
import SedimentTestSupport
@_spi(Internals) @testable import Sediment

@Suite struct TableKeyAndFilterCheckTests {
    /// A data block whose second key is 3 bytes: iterating (forward, backward) reaches it and
    /// stops with `.corruption` naming the block and the entry's offset.
    @Test func internalKeyShorterThanTrailerIsCorruption() throws {
        var builder = BlockBuilder(restartInterval: 1)
        builder.add(ikey(b("a"), 1), b("v"))
        builder.add(b("xyz"), b("w"))
        let block = try Block.make(copying: builder.finish(), file: "db/000009.sst", offset: 4096)
        let it = BlockIterator(block: block)
        it.seekToFirst()
        #expect(it.isValid && Array(it.key) == ikey(b("a"), 1))
        it.next()
        #expect(!it.isValid)
        guard case .corruption(file: "db/000009.sst", offset: 4096, let message)? = it.error else {
            Issue.record("no corruption: \(String(describing: it.error))")
            return
        }
        #expect(message.contains("3 bytes"))
        let backward = BlockIterator(block: block)
        backward.seekToLast()
        #expect(!backward.isValid && backward.error != nil)
        // Plain byte-string blocks (metaindex, properties) keep short keys.
        let plain = BlockIterator(block: block, order: .bytewise)
        #expect(scanAll(plain).map(\.key) == [ikey(b("a"), 1), b("xyz")])
        #expect(plain.error == nil)
    }

    /// Sediment's own tables filter whole keys. The same table with its whole-key-filtering
    /// property set to "0" (what RocksDB writes with a prefix extractor and
    /// whole_key_filtering=false) opens without a filter, so no lookup can skip it on a
    /// prefix filter's word; its entries are all still found.
    @Test func prefixOnlyFilterIsNotUsed() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/000007.sst"
            let entries = (0..<300).map { i in
                (key: ikey(b("key" + String(1000 + i)), 5), value: b("value\(i)"))
            }
            try buildTable(at: path, entries, options: TableBuilderOptions(bloomBitsPerKey: 10, compression: .none))
            let whole = try openTable(path)
            #expect(whole.filter != nil)

            let fs = PosixFileSystem()
            var bytes = try fs.readWholeFile(path)
            let name = Array("whole.key.filtering".utf8)
            guard let at = (0...(bytes.count - name.count)).first(where: { Array(bytes[$0..<$0 + name.count]) == name }),
                  bytes[at + name.count] == UInt8(ascii: "1"),
                  let handle = whole.metaHandles.first(where: { $0.name == "rocksdb.properties" })?.handle else {
                Issue.record("no whole-key-filtering property of \"1\" in the table")
                return
            }
            bytes[at + name.count] = UInt8(ascii: "0")
            let start = Int(handle.offset), end = Int(handle.offset + handle.size)
            let crc = Array(bytes[start..<end]).withUnsafeBytes {
                ChecksumType.crc32c.blockChecksum($0, lastByte: bytes[end])
            }
            for i in 0..<4 { bytes[end + 1 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
            try fs.writeWholeFile(path, bytes)

            let prefixOnly = try openTable(path)
            #expect(prefixOnly.filter == nil)
            #expect(scanAll(prefixOnly.makeIterator(verifyChecksums: true, fillCache: false)).map(\.value) == entries.map(\.value))
        }
    }
}
