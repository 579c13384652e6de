// Tests for MappedLogFile, the real file system's write-ahead log file: appends (across window
// boundaries) read back exactly; space is reserved a window at a time and `close` cuts it off;
// a log left open (as a crash leaves it) ends in zeros that the log reader takes for the clean
// end of the data, and a record half copied before them is a torn tail; a database's log is one.
import Glibc
import Testing
@testable import Sediment
import SedimentTestSupport

@Suite struct MappedLogFileTests {
    private func bytesOnDisk(_ path: String) throws -> [UInt8] {
        let file = try PosixFileSystem().openForReading(path)
        var out = [UInt8](repeating: 0, count: Int(try file.size()))
        var done = 0
        while done < out.count {
            let n = try out.withUnsafeMutableBytes { try file.read(at: UInt64(done), into: UnsafeMutableRawBufferPointer(rebasing: $0[done...])) }
            if n == 0 { break }
            done += n
        }
        return out
    }

    @Test func appendsAcrossWindowsAndCloseCutsTheReservedTail() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/000001.log"
            let file = try PosixFileSystem().createLogForWriting(path)
            #expect(file is MappedLogFile)
            // A new log reserves one small window; windows double up to 1 MiB.
            #expect(try bytesOnDisk(path).count == Int(MappedLogFile.firstWindowBytes))
            let window = Int(MappedLogFile.windowBytes)
            var expected: [UInt8] = []
            for (i, n) in [1, 4093, window - 4094 - 10, 20, window + 7, 12_345].enumerated() {
                let chunk = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ i &* 101 &+ 1) }
                try chunk.withUnsafeBytes { try file.append($0) }
                expected += chunk
                #expect(file.size == UInt64(expected.count))
            }
            try file.sync()
            let open = try bytesOnDisk(path)
            #expect(open.count >= expected.count && open.count < expected.count + window, "reserved: \(open.count)")
            #expect(Array(open[0..<expected.count]) == expected)
            #expect(open[expected.count...].allSatisfy { $0 == 0 })
            try file.close()
            #expect(try bytesOnDisk(path) == expected)
            let thrown = #expect(throws: SedimentError.self) { try [1].withUnsafeBytes { try file.append($0) } }
            #expect(thrown?.description.contains(path) == true)
        }
    }

    @Test func anOpenLogEndsInZerosTheReaderTakesForTheEnd() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/000002.log"
            let file = try PosixFileSystem().createLogForWriting(path)
            let writer = RecordWriter(file: file)
            let records = (0..<300).map { payload(100 + $0 * 37, seed: $0) }
            for r in records { try writer.addRecord(r) }
            // Left open, as kill -9 leaves it: the reserved zeros are still there.
            for mode in allRecoveryModes {
                let reader = RecordReader(file: try PosixFileSystem().openForReading(path), mode: mode)
                var out: [[UInt8]] = []
                while let r = try reader.readRecord() { out.append(r) }
                #expect(out == records, "\(mode)")
                #expect(reader.tornTailOffset == nil && !reader.stoppedAtCorruption)
            }
            // Half of one more record copied, as a crash in the middle of the copy leaves it.
            let last = try framed([payload(500, seed: 7)])
            try Array(last[0..<200]).withUnsafeBytes { try file.append($0) }
            let reader = RecordReader(file: try PosixFileSystem().openForReading(path), mode: .tolerateCorruptedTailRecords)
            var out: [[UInt8]] = []
            while let r = try reader.readRecord() { out.append(r) }
            #expect(out == records)
            #expect(reader.tornTailOffset == writer.fileOffset)
            try file.close()
        }
    }

    @Test func aDatabaseLogIsMappedAndReopensWithEveryWrite() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/db")
            for i in 0..<5000 { try db.put(testKey(i), testValue(i, round: 0)) }
            let log = try #require(db.core.monitor.withLock { db.core.state.log })
            #expect(log.fileIsMapped)
            try db.close()
            let again = try Database(path: dir + "/db")
            for i in stride(from: 0, to: 5000, by: 7) { #expect(try again.get(testKey(i)) == testValue(i, round: 0)) }
            try again.close()
        }
    }
}
