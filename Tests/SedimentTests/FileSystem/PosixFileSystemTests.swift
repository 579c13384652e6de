// Tests for PosixFileSystem's writable files: appends land one after another at the offset the
// file tracks (they are positional writes), a re-created file starts again at zero, and writes
// after close fail with a typed error.
import Testing
@testable import Sediment
import SedimentTestSupport

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
}
