// WriteAheadLogTests: the log hands the kernel a write-back hint every MiB appended
// (sync_file_range on Linux); the hint changes nothing a reader sees, promises no durability, and
// is harmless on a closed file.
import Testing
@testable import Sediment
import SedimentTestSupport

@Suite struct WriteAheadLogTests {
    @Test func recordsReadBackWholeAcrossWritebackHints() throws {
        try withTemporaryDirectory { dir in
            let fs = PosixFileSystem()
            let log = try WriteAheadLog.create(fileSystem: fs, directory: dir, number: 7)
            var rng = SeededRandom(defaultSeed: 0x3A1)
            // ~3.5 MiB in records of 1-40 KiB: several hints, records spanning 32 KiB blocks.
            var written: [[UInt8]] = []
            var total = 0
            while total < 3_500_000 {
                let record = (0..<Int.random(in: 1...40_000, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                try log.append(record)
                written.append(record)
                total += record.count
            }
            try log.sync()
            try log.close()
            let reader = RecordReader(file: try fs.openForReading(log.path), mode: .absoluteConsistency)
            var read: [[UInt8]] = []
            while let r = try reader.readRecord() { read.append(r) }
            #expect(read.count == written.count)
            #expect(read == written)
        }
    }

    @Test func writebackHintOnAClosedFileDoesNothing() throws {
        try withTemporaryDirectory { dir in
            let file = try PosixFileSystem().createForWriting(dir + "/f")
            try [UInt8](repeating: 1, count: 4096).withUnsafeBytes { try file.append($0) }
            file.startWriteback(offset: 0, count: 4096)
            try file.close()
            file.startWriteback(offset: 0, count: 4096)
            #expect(try PosixFileSystem().fileSize(dir + "/f") == 4096)
        }
    }
}
