// Tests for PosixFileSystem's files: appends land one after another at the offset the file
// tracks (they are positional writes), a re-created file starts again at zero, and writes after
// close fail with a typed error; mapped reads return what positional reads return, read a tail
// the file grew after it was mapped, and turn a file that shrank under its mapping into a typed
// error instead of SIGBUS (also through a database).
import Glibc
import Testing
@testable import Sediment
import SedimentTestSupport

private func pattern(_ n: Int, seed: Int = 0) -> [UInt8] {
    (0..<n).map { UInt8(truncatingIfNeeded: ($0 &+ seed) &* 2_654_435_761 >> 7) }
}

private func write(_ bytes: [UInt8], to path: String) throws {
    let file = try PosixFileSystem().createForWriting(path)
    try bytes.withUnsafeBytes { try file.append($0) }
    try file.close()
}

/// `readMapped` of `count` bytes at `offset` (one call, as BlockReader makes it).
private func mapped(_ file: any RandomAccessFile, at offset: Int, count: Int) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    let n = try out.withUnsafeMutableBytes { try file.readMapped(at: UInt64(offset), into: $0) }
    return Array(out[0..<n])
}

@Suite struct PosixFileSystemTests {
    @Test func appendsLandInOrderAndSizeTracksThem() throws {
        try withTemporaryDirectory { dir in
            let fs = PosixFileSystem()
            let path = dir + "/f"
            var expected: [UInt8] = []
            let file = try fs.createForWriting(path)
            for (i, n) in [1, 0, 7, 4096, 33, 70_000, 2].enumerated() {
                let chunk = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
                try chunk.withUnsafeBytes { try file.append($0) }
                expected += chunk
                #expect(file.size == UInt64(expected.count))
            }
            try file.sync()
            try file.close()
            #expect(try fs.fileSize(path) == UInt64(expected.count))
            let reader = try fs.openForReading(path)
            var back = [UInt8](repeating: 0, count: expected.count)
            let n = try back.withUnsafeMutableBytes { try reader.read(at: 0, into: $0) }
            #expect(n == expected.count)
            #expect(back == expected)

            // Created again: truncated, and the next append goes to offset 0.
            let again = try fs.createForWriting(path)
            try [UInt8]([9, 8, 7]).withUnsafeBytes { try again.append($0) }
            try again.close()
            #expect(try fs.fileSize(path) == 3)
        }
    }

    @Test func appendAfterCloseIsATypedError() throws {
        try withTemporaryDirectory { dir in
            let file = try PosixFileSystem().createForWriting(dir + "/g")
            try file.close()
            #expect(throws: SedimentError.self) { try [UInt8]([1]).withUnsafeBytes { try file.append($0) } }
        }
    }

    @Test func mappedReadsReturnWhatPositionalReadsReturn() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/t"
            let bytes = pattern(3 * 4096 + 123)
            try write(bytes, to: path)
            let file = try PosixFileSystem().openForReading(path)
            for (offset, count) in [(0, 1), (0, bytes.count), (4095, 2), (4096, 4096), (5000, 9000),
                                    (bytes.count - 1, 1), (bytes.count - 10, 100), (bytes.count, 5), (bytes.count + 7, 5)] {
                var viaRead = [UInt8](repeating: 0, count: count)
                let n = try viaRead.withUnsafeMutableBytes { try file.read(at: UInt64(offset), into: $0) }
                let viaMap = try mapped(file, at: offset, count: count)
                #expect(viaMap == Array(viaRead[0..<n]), "offset \(offset) count \(count)")
                #expect(viaMap == Array(bytes[min(offset, bytes.count)..<min(offset + count, bytes.count)]))
            }
        }
    }

    @Test func prefetchAddressesExistOnlyInsideTheMapping() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/t"
            let bytes = pattern(3 * 4096 + 123)
            try write(bytes, to: path)
            guard let file = try PosixFileSystem().openForReading(path) as? PosixRandomAccessFile else {
                Issue.record("PosixFileSystem opened something else")
                return
            }
            // Never maps by itself: nothing before the first mapped read.
            #expect(file.mappedAddressForPrefetch(at: 0, count: 1) == nil)
            _ = try mapped(file, at: 0, count: 1)
            guard let p = file.mappedAddressForPrefetch(at: 5000, count: 100) else {
                Issue.record("no address inside the mapping")
                return
            }
            #expect(Array(UnsafeRawBufferPointer(start: p, count: 100)) == Array(bytes[5000..<5100]))
            #expect(file.mappedAddressForPrefetch(at: UInt64(bytes.count - 10), count: 10) != nil)
            #expect(file.mappedAddressForPrefetch(at: UInt64(bytes.count - 10), count: 11) == nil)
            #expect(file.mappedAddressForPrefetch(at: UInt64(bytes.count + 1), count: 0) == nil)
            #expect(file.mappedAddressForPrefetch(at: 0, count: -1) == nil)
        }
    }

    @Test func mappedReadsSeeATailWrittenAfterTheMapping() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/t"
            let head = pattern(100)
            try write(head, to: path)
            let file = try PosixFileSystem().openForReading(path)
            #expect(try mapped(file, at: 0, count: 100) == head)  // maps 100 bytes
            let tail = pattern(5000, seed: 7)
            let fd = open(path, O_WRONLY | O_APPEND)
            #expect(fd >= 0)
            _ = tail.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            close(fd)
            // The mapped part first, then the rest by positional reads.
            #expect(try mapped(file, at: 50, count: 200) == Array(head[50...]))
            #expect(try mapped(file, at: 100, count: 5000) == tail)
        }
    }

    @Test func aFileThatShrinksUnderItsMappingIsATypedErrorNotSIGBUS() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/t"
            let bytes = pattern(16 * 4096)
            try write(bytes, to: path)
            let file = try PosixFileSystem().openForReading(path)
            #expect(try mapped(file, at: 0, count: 4096) == Array(bytes[0..<4096]))
            #expect(truncate(path, 4096) == 0)
            // Twice: the first jump out of the handler must leave SIGBUS deliverable.
            for _ in 0..<2 {
                do {
                    _ = try mapped(file, at: 8 * 4096, count: 4096)
                    Issue.record("a read past the new end of the file returned bytes")
                } catch let error as SedimentError {
                    guard case let .io(file: named, errno: code, message: message) = error else {
                        Issue.record("expected .io, got \(error)"); continue
                    }
                    #expect(named == path)
                    #expect(code == EIO)
                    #expect(message.contains("offset 32768"))
                }
            }
            // The part still in the file reads as before.
            #expect(try mapped(file, at: 100, count: 1000) == Array(bytes[100..<1100]))
        }
    }

    @Test func aTableTruncatedUnderAnOpenDatabaseFailsReadsWithATypedError() throws {
        try withTemporaryDirectory { dir in
            var options = Options()
            options.compression = .none
            options.blockCacheSize = 0
            let db = try Database(path: dir, options: options)
            let value = pattern(100)
            for i in 0..<20_000 { try db.put(Array("key\(100_000 + i)".utf8), value) }
            try db.flush()
            // Maps the table.
            #expect(try db.get(Array("key100000".utf8)) == value)
            let tables = try PosixFileSystem().children(of: dir).filter { $0.hasSuffix(".sst") }
            #expect(tables.count == 1)
            let table = dir + "/" + (tables.first ?? "")
            #expect(truncate(table, 8192) == 0)
            #expect(throws: SedimentError.self) { try db.get(Array("key119000".utf8)) }
            // The database stays usable: new writes and the memtable read as before.
            try db.put(Array("fresh".utf8), value)
            #expect(try db.get(Array("fresh".utf8)) == value)
            try db.close()
        }
    }
}
