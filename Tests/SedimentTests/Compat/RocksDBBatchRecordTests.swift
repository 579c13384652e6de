// Write-batch records RocksDB may leave in a log that its tools cannot easily be made to write:
// column-family records naming the default family, log data and noops are accepted; records for
// another family, two-phase-commit markers, single deletions, blob indexes and wide-column
// entities are refused at open with `.notSupported` naming the feature and the log, with nothing
// applied. Each case is a hand-built log placed in a closed Sediment database.
import Testing
import SedimentTestSupport
@testable import Sediment

@Suite struct RocksDBBatchRecordTests {
    /// A batch at `sequence` holding `count` operations encoded as `records`.
    private func batch(sequence: UInt64, count: UInt32, _ records: [UInt8]) -> [UInt8] {
        var rep: [UInt8] = []
        rep.appendFixed64(sequence)
        rep.appendFixed32(count)
        return rep + records
    }

    private func lengthPrefixed(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        out.appendLengthPrefixed(Array(s.utf8))
        return out
    }

    /// Creates a database holding `a=1`, closes it, adds a log after Sediment's whose records
    /// are `batches`, and opens it again.
    private func openWithLog(_ dir: String, _ batches: [[UInt8]]) throws -> (Database, String) {
        let path = dir + "/db"
        let db = try Database(path: path)
        try db.put(Array("a".utf8), Array("1".utf8))
        try db.close()
        let fs = PosixFileSystem()
        let logPath = FileNames.log(path, 999_999)
        let file = try fs.createForWriting(logPath)
        let writer = RecordWriter(file: file)
        for b in batches { try writer.addRecord(b) }
        try writer.sync()
        try file.close()
        return (try Database(path: path), logPath)
    }

    @Test func defaultFamilyRecordsLogDataAndNoopsAreApplied() throws {
        try withTemporaryDirectory { dir in
            // put b (cf 0 explicit), log data, noop, delete a (cf 0 explicit), put c
            let records: [UInt8] = [0x05, 0x00] + lengthPrefixed("b") + lengthPrefixed("2")
                + [0x03] + lengthPrefixed("application blob") + [0x0D]
                + [0x04, 0x00] + lengthPrefixed("a")
                + [0x01] + lengthPrefixed("c") + lengthPrefixed("3")
            let (db, _) = try openWithLog(dir, [batch(sequence: 100, count: 3, records)])
            defer { try? db.close() }
            #expect(try sedimentScan(db) == [KeyValue(key: Array("b".utf8), value: Array("2".utf8)),
                                             KeyValue(key: Array("c".utf8), value: Array("3".utf8))])
            // Sequence numbers continue after the replayed batch.
            #expect(db.snapshot().sequence >= 102)
        }
    }

    static let refused: [(name: String, records: [UInt8], feature: String)] = [
        ("put in column family 1", [0x05, 0x01, 0x01, 0x78, 0x01, 0x79], "column family 1"),
        ("delete in column family 2", [0x04, 0x02, 0x01, 0x78], "column family 2"),
        ("merge", [0x02, 0x01, 0x78, 0x01, 0x79], "merge operand"),
        ("single deletion", [0x07, 0x01, 0x78], "single deletion"),
        ("range deletion", [0x0F, 0x01, 0x61, 0x01, 0x7A], "range deletion"),
        ("prepare marker", [0x09, 0x01, 0x01, 0x78, 0x01, 0x79], "transaction prepare marker"),
        ("commit marker", [0x0B, 0x03, 0x78, 0x69, 0x64], "transaction commit marker"),
        ("blob index", [0x11, 0x01, 0x78, 0x01, 0x00], "blob index"),
        ("wide-column entity", [0x16, 0x01, 0x78, 0x01, 0x00], "wide-column entity"),
    ]

    @Test(arguments: refused.map(\.name))
    func otherRecordsAreRefusedAndNothingIsApplied(_ name: String) throws {
        let c = try #require(Self.refused.first { $0.name == name })
        try withTemporaryDirectory { dir in
            // A good batch first: it must not be applied either.
            let good = batch(sequence: 100, count: 1, [0x01] + lengthPrefixed("b") + lengthPrefixed("2"))
            do {
                let (db, _) = try openWithLog(dir, [good, batch(sequence: 101, count: 1, c.records)])
                try db.close()
                Issue.record("opened a log with a \(name) record")
            } catch let SedimentError.notSupported(feature, file) {
                #expect(feature.contains(c.feature), "\(feature)")
                #expect(file.hasSuffix("/999999.log"), "\(file)")
            }
            // Without the log, the database is as it was: no table was left from the replay.
            try PosixFileSystem().removeFile(FileNames.log(dir + "/db", 999_999))
            let names = try PosixFileSystem().children(of: dir + "/db")
            #expect(!names.contains { $0.hasSuffix(".sst") }, "\(names)")
            #expect(try sedimentScan(path: dir + "/db") == [KeyValue(key: Array("a".utf8), value: Array("1".utf8))])
        }
    }
}
