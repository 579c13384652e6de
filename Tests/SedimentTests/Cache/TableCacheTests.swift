// TableCacheTests: readers are found by file number, including two numbers that share a slot of
// the cache's direct-mapped front, and an evicted table is opened again from disk.
import Foundation
import Testing
import SedimentTestSupport
@_spi(Internals) @testable import Sediment

@Suite struct TableCacheTests {
    @Test(arguments: [-1, 1000]) func readersByNumberAcrossSharedSlotsAndEviction(maxOpenFiles: Int) throws {
        try withTemporaryDirectory { dir in
            let numbers: [UInt64] = [1, 257, 513, 2]              // 1, 257 and 513 share a front slot
            var sizes: [UInt64: UInt64] = [:]
            for n in numbers {
                sizes[n] = try buildTable(at: FileNames.table(dir, n), [(ikey(b("key\(n)"), 1), b("value\(n)"))],
                                          options: TableBuilderOptions())
            }
            let cache = TableCache(directory: dir, fileSystem: PosixFileSystem(), blockCache: nil, maxOpenFiles: maxOpenFiles)
            for _ in 0..<3 {
                for n in numbers {
                    let reader = try cache.reader(number: n, size: sizes[n] ?? 0)
                    #expect(reader.fileNumber == n)
                    #expect(scanAll(reader.makeIterator()).map(\.value) == [b("value\(n)")])
                }
            }
            _ = try cache.reader(number: 257, size: sizes[257] ?? 0)   // 257 now holds the shared slot
            cache.evict(257)
            try FileManager.default.removeItem(atPath: FileNames.table(dir, 257))
            #expect(throws: SedimentError.self) { try cache.reader(number: 257, size: sizes[257] ?? 0) }
            #expect(try cache.reader(number: 1, size: sizes[1] ?? 0).fileNumber == 1)
            #expect(try cache.reader(number: 513, size: sizes[513] ?? 0).fileNumber == 513)
        }
    }
}
