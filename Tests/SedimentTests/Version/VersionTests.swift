// Tests for Version ordering and overlap queries, and for FileNames.
import Testing
@testable import Sediment

@Suite struct VersionTests {
    @Test func level0IsNewestFirstAndDeeperLevelsBySmallestKey() {
        let v = Version(levels: [
            [tableFile(3, "a", "z", seqs: 1...5), tableFile(9, "a", "z", seqs: 6...20), tableFile(4, "a", "z", seqs: 3...20)],
            [tableFile(7, "m", "p"), tableFile(5, "a", "c"), tableFile(6, "d", "f")],
        ])
        #expect(v.files(at: 0).map(\.number) == [9, 4, 3])
        #expect(v.files(at: 1).map(\.number) == [5, 6, 7])
        #expect(v.files(at: 5).isEmpty)
        #expect(v.allFiles.count == 6)
        #expect(v.totalBytes(at: 1) == 3000)
    }

    @Test func overlappingUsesUserKeyRanges() {
        let v = Version(levels: [[], [tableFile(5, "a", "c"), tableFile(6, "d", "f"), tableFile(7, "m", "p")]])
        #expect(v.overlapping(level: 1, smallestUserKey: Array("c".utf8), largestUserKey: Array("d".utf8)).map(\.number) == [5, 6])
        #expect(v.overlapping(level: 1, smallestUserKey: Array("g".utf8), largestUserKey: Array("l".utf8)).isEmpty)
        #expect(v.overlapping(level: 1, smallestUserKey: nil, largestUserKey: Array("a".utf8)).map(\.number) == [5])
        #expect(v.overlapping(level: 1, smallestUserKey: Array("n".utf8), largestUserKey: nil).map(\.number) == [7])
    }

    @Test func fileNamesBuildAndParse() {
        #expect(FileNames.table("db", 123) == "db/000123.sst")
        #expect(FileNames.log("db", 7) == "db/000007.log")
        #expect(FileNames.manifest("db", 1) == "db/MANIFEST-000001")
        #expect(FileNames.temp("db", 1_234_567) == "db/1234567.dbtmp")
        #expect(FileNames.current("db") == "db/CURRENT" && FileNames.lock("db") == "db/LOCK")
        #expect(FileNames.identity("db") == "db/IDENTITY" && FileNames.infoLog("db") == "db/LOG")
        let cases: [(String, FileKind, UInt64)] = [
            ("000123.sst", .table, 123), ("000009.ldb", .table, 9), ("000010.log", .log, 10),
            ("MANIFEST-000005", .manifest, 5), ("CURRENT", .current, 0), ("LOCK", .lock, 0),
            ("000003.dbtmp", .temp, 3), ("IDENTITY", .identity, 0), ("LOG", .infoLog, 0),
            ("LOG.old.1700000000", .infoLog, 0), ("OPTIONS-000007", .options, 7),
        ]
        for (name, kind, number) in cases {
            let parsed = FileNames.parse(name)
            #expect(parsed?.kind == kind && parsed?.number == number, "\(name)")
        }
        for bad in ["", "foo", "MANIFEST-", "MANIFEST-12a", "123", ".sst", "12.txt", "-1.log", "99999999999999999999999.sst", "CURRENT.bak"] {
            #expect(FileNames.parse(bad) == nil, "\(bad)")
        }
    }
}
