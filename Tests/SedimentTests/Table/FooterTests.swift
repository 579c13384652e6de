// FooterTests: footer round trip, legacy magic, and the errors for damaged tails; plus the
// reader's errors for damaged tables (each names the file and the block offset).
import Testing
import SedimentTestSupport
@_spi(Internals) @testable import Sediment

@Suite struct FooterTests {
    @Test func roundTrip() throws {
        let f = Footer(formatVersion: 5, checksum: .crc32c, metaindexHandle: BlockHandle(offset: 1000, size: 50),
                       indexHandle: BlockHandle(offset: 900, size: 95))
        let bytes = f.encode()
        #expect(bytes.count == Footer.encodedLength)
        let d = try bytes.withUnsafeBytes { try Footer.decode(tail: $0, fileSize: 2000, file: "t.sst") }
        #expect(d == f)
    }

    @Test func legacyFooter() throws {
        var bytes: [UInt8] = []
        BlockHandle(offset: 10, size: 20).encode(into: &bytes)
        BlockHandle(offset: 40, size: 5).encode(into: &bytes)
        bytes += Array(repeating: 0, count: 40 - bytes.count)
        bytes.appendFixed64(Footer.legacyBlockBasedMagic)
        let d = try bytes.withUnsafeBytes { try Footer.decode(tail: $0, fileSize: 100, file: "t.sst") }
        #expect(d.formatVersion == 0 && d.checksum == .crc32c && d.indexHandle == BlockHandle(offset: 40, size: 5))
    }

    @Test func badMagicNamesFileAndOffset() {
        var bytes = Footer(formatVersion: 5, checksum: .crc32c, metaindexHandle: BlockHandle(offset: 0, size: 1),
                           indexHandle: BlockHandle(offset: 0, size: 1)).encode()
        bytes[bytes.count - 1] ^= 0x55
        #expect(throws: SedimentError.corruption(file: "t.sst", offset: 92, message: "bad table magic number 0xdde241b785f4cff7 (not an sstable)")) {
            try bytes.withUnsafeBytes { try Footer.decode(tail: $0, fileSize: 100, file: "t.sst") }
        }
    }

    @Test func shortFileAndHandlesPastData() {
        #expect(throws: SedimentError.self) {
            try [UInt8](repeating: 0, count: 10).withUnsafeBytes { try Footer.decode(tail: $0, fileSize: 10, file: "t.sst") }
        }
        let bytes = Footer(formatVersion: 5, checksum: .crc32c, metaindexHandle: BlockHandle(offset: 90, size: 100),
                           indexHandle: BlockHandle(offset: 0, size: 1)).encode()
        #expect(throws: SedimentError.self) {
            try bytes.withUnsafeBytes { try Footer.decode(tail: $0, fileSize: 100, file: "t.sst") }
        }
    }

    /// Builds a table, flips one byte at `offset(table)`, and expects opening or reading to
    /// fail with corruption naming the file.
    @Test func damagedTablesFailCleanly() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/t.sst"
            let entries = (0..<500).map { i in (key: ikey(Array("key\(1000 + i)".utf8), UInt64(i + 1)), value: Array(repeating: UInt8(i & 0xFF), count: 30)) }
            try buildTable(at: path, entries, options: TableBuilderOptions(compression: .none))
            let good = try PosixFileSystem().readWholeFile(path)
            let table = try openTable(path)
            let filterHandle = table.metaindexEntries.first { $0.name == fullFilterMetaKey }!.handle
            let targets: [(String, Int)] = [
                ("data", 20), ("index", Int(table.indexHandle.offset) + 2),
                ("filter", Int(filterHandle.offset) + 3), ("metaindex", Int(table.metaindexHandle.offset) + 1),
            ]
            for (name, at) in targets {
                var bad = good
                bad[at] ^= 0x40
                let damaged = dir + "/\(name).sst"
                try PosixFileSystem().writeWholeFile(damaged, bad)
                var failure: SedimentError? = nil
                do {
                    let t = try openTable(damaged)
                    try t.verifyChecksums()
                } catch let e as SedimentError { failure = e }
                guard case let .corruption(file, offset, message)? = failure else {
                    Issue.record("\(name): expected corruption, got \(String(describing: failure))")
                    continue
                }
                #expect(file == damaged)
                #expect(offset != nil && message.contains("checksum mismatch"), "\(name): \(message)")
            }
            // Truncation: every prefix either fails cleanly or (never) succeeds.
            for cut in [0, 1, 20, 52, good.count / 2, good.count - 1] {
                let p = dir + "/cut.sst"
                try PosixFileSystem().writeWholeFile(p, Array(good[0..<cut]))
                #expect(throws: SedimentError.self) { _ = try openTable(p) }
            }
        }
    }
}
