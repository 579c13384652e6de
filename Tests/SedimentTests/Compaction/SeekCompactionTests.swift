// SeekCompactionTests: LevelDB's seek compaction (Options.seekCompaction, DESIGN.md §9). Point
// reads that look through a table without finding their key there use up its seek budget
// (at least 100 seeks); the table is then compacted into the next level, so later reads look
// at fewer tables. Every value stays readable through it, and with the option off the tree is
// left to the size triggers.
import Testing
@testable import Sediment
import SedimentTestSupport

@Suite struct SeekCompactionTests {
    /// Two overlapping level-0 tables (L0 trigger out of reach): the older holds keys 0..<400,
    /// the newer every tenth key rewritten, so a get of an untouched key reads the newer table
    /// first and finds its key in the older one.
    func openTwoLevel0Tables(_ dir: String, seekCompaction: Bool) throws -> Database {
        var o = Options()
        o.level0FileNumCompactionTrigger = 8
        o.compression = .none
        o.seekCompaction = seekCompaction
        let db = try Database(path: dir + "/db", options: o)
        for i in 0..<400 { try db.put(testKey(i), testValue(i, round: 0)) }
        try db.flush()
        for i in stride(from: 0, to: 400, by: 10) { try db.put(testKey(i), testValue(i, round: 1)) }
        try db.flush()
        try db.waitForCompactions()
        #expect(db.property("sediment.num-files-at-level0") == "2")
        return db
    }

    /// Gets every key `rounds` times, checking each value.
    func readAll(_ db: Database, rounds: Int) throws {
        for _ in 0..<rounds {
            for i in 0..<400 {
                #expect(try db.get(testKey(i)) == testValue(i, round: i % 10 == 0 ? 1 : 0), "key \(i)")
            }
        }
    }

    @Test func readsThatLookThroughATableCompactIt() throws {
        try withTemporaryDirectory { dir in
            let db = try openTwoLevel0Tables(dir, seekCompaction: true)
            // 360 gets per round read both tables: the newer table's budget (100) runs out in
            // the first round.
            try readAll(db, rounds: 1)
            try db.waitForCompactions()
            #expect(db.property("sediment.num-files-at-level0") == "0")
            #expect(db.property("sediment.num-files-at-level1") == "1")
            try readAll(db, rounds: 1)
            try db.close()
            // The compacted tree is what a reopen sees.
            let again = try Database(path: dir + "/db", options: Options())
            try readAll(again, rounds: 1)
            try again.close()
        }
    }

    @Test func withTheOptionOffReadsLeaveTheTreeAlone() throws {
        try withTemporaryDirectory { dir in
            let db = try openTwoLevel0Tables(dir, seekCompaction: false)
            try readAll(db, rounds: 3)
            try db.waitForCompactions()
            #expect(db.property("sediment.num-files-at-level0") == "2")
            try db.close()
        }
    }

    @Test func readsThatStopInTheFirstTableChargeNothing() throws {
        try withTemporaryDirectory { dir in
            let db = try openTwoLevel0Tables(dir, seekCompaction: true)
            // Only the rewritten keys: each get stops in the newer table.
            for _ in 0..<20 {
                for i in stride(from: 0, to: 400, by: 10) {
                    #expect(try db.get(testKey(i)) == testValue(i, round: 1))
                }
            }
            try db.waitForCompactions()
            #expect(db.property("sediment.num-files-at-level0") == "2")
            try db.close()
        }
    }
}
