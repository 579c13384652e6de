// Interoperability: RocksDB's `ldb dump_wal` (Debian rocksdb-tools, RocksDB 7.8.3) must parse a
// log written by RecordWriter whose records are WriteBatch payloads, and print its operations.
import Testing
import SedimentTestSupport
@testable import Sediment

@Suite struct RecordInteropTests {
    @Test func ldbDumpWalParsesOurLog() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/000003.log"
            let fs = PosixFileSystem()
            let file = try fs.createForWriting(path)
            let writer = RecordWriter(file: file)
            var expected: [String] = []
            var sequence: UInt64 = 1
            for i in 0..<30 {
                var batch = WriteBatch()
                let key = Array("key\(i)".utf8)
                let value = [UInt8](repeating: UInt8(i), count: i % 3 == 0 ? 40_000 : 10)
                batch.put(key, value)
                if i % 4 == 0 { batch.delete(Array("gone\(i)".utf8)) }
                batch.sequence = sequence
                try writer.addRecord(batch.rep)
                var line = "\(sequence),\(batch.count),\(batch.byteSize),"
                line += "PUT(0) : \(ldbHex(key))"
                if i % 4 == 0 { line += " DELETE(0) : \(ldbHex(Array("gone\(i)".utf8)))" }
                expected.append(line)
                sequence += UInt64(batch.count)
            }
            try writer.sync()
            try file.close()

            let run = try runTool("/usr/bin/ldb", ["dump_wal", "--walfile=\(path)"])
            #expect(run.status == 0, "ldb failed: \(run.stderr)")
            let lines = run.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == expected.count, "\(run.stdout)")
            for (line, want) in zip(lines, expected) {
                // Columns: sequence,count,byte size,physical offset,operations.
                let parts = line.split(separator: ",", maxSplits: 4).map(String.init)
                #expect(parts.count == 5)
                guard parts.count == 5 else { continue }
                let got = "\(parts[0]),\(parts[1]),\(parts[2]),\(parts[4])".trimmingSuffixSpaces()
                #expect(got == want)
            }
        }
    }
}

extension String {
    /// The string without trailing spaces (ldb ends each line with one).
    func trimmingSuffixSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
