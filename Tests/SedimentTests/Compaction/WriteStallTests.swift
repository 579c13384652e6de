// WriteStallTests: with tiny level-0 triggers and automatic compactions on, writers are slowed
// and stopped while L0 is crowded and go on by themselves once compactions catch up
// (DESIGN.md §9 "Stalls"); the time spent waiting shows in sediment.stats.
import Testing
import Synchronization
@testable import Sediment
import SedimentTestSupport

@Suite struct WriteStallTests {
    /// "Cumulative stall: 0.123 secs" → 0.123.
    func stallSeconds(_ db: Database) -> Double {
        let stats = db.property("sediment.stats") ?? ""
        guard let line = stats.split(separator: "\n").first(where: { $0.hasPrefix("Cumulative stall: ") }),
              let word = line.dropFirst("Cumulative stall: ".count).split(separator: " ").first else { return -1 }
        return Double(word) ?? -1
    }

    /// 16 KB memtables and the given level-0 triggers.
    func stallOptions(compactAt trigger: Int, slowAt slowdown: Int, stopAt stop: Int) -> Options {
        var o = deepTreeOptions()
        o.writeBufferSize = 16 << 10
        o.level0FileNumCompactionTrigger = trigger
        o.level0SlowdownWritesTrigger = slowdown
        o.level0StopWritesTrigger = stop
        return o
    }

    @Test func writesStallAtTheLevel0TriggersAndResumeByThemselves() throws {
        try withTemporaryDirectory { dir in
            var o = stallOptions(compactAt: 1, slowAt: 1, stopAt: 2)
            o.maxBackgroundJobs = 1
            let db = try Database(path: dir + "/db", options: o)
            #expect(stallSeconds(db) == 0)
            let n = 4000
            for i in 0..<n { try db.put(testKey(i), testValue(i, round: 0)) }
            try db.waitForCompactions()
            #expect(stallSeconds(db) > 0, "\(db.property("sediment.stats") ?? "")")
            // Nothing is stuck: more writes go through, and the tree is whole.
            for i in 0..<n where i % 3 == 0 { try db.put(testKey(i), testValue(i, round: 1)) }
            try db.waitForCompactions()
            #expect(try #require(Int(db.property("sediment.num-files-at-level0") ?? "")) < 2)
            try checkTreeInvariants(db)
            for i in stride(from: 0, to: n, by: 5) {
                #expect(try db.get(testKey(i)) == testValue(i, round: i % 3 == 0 ? 1 : 0))
            }
            try db.close()
        }
    }

    @Test func writersFromSeveralThreadsAllFinishThroughStalls() throws {
        try withTemporaryDirectory { dir in
            let o = stallOptions(compactAt: 2, slowAt: 2, stopAt: 3)
            let db = try Database(path: dir + "/db", options: o)
            let failed = Atomic<Int>(0)
            runConcurrently(threads: 4) { t in
                for i in 0..<800 {
                    do { try db.put(testKey(t * 10_000 + i), testValue(i, round: t)) } catch {
                        failed.add(1, ordering: .relaxed)
                    }
                }
            }
            #expect(failed.load(ordering: .relaxed) == 0, "puts failed during the stalls")
            try db.waitForCompactions()
            for t in 0..<4 {
                for i in 0..<800 {
                    #expect(try db.get(testKey(t * 10_000 + i)) == testValue(i, round: t))
                }
            }
            // Four writers against a stop at 3 level-0 tables do stall.
            #expect(stallSeconds(db) > 0, "\(db.property("sediment.stats") ?? "")")
            try db.close()
        }
    }

    @Test func stallsAreOffWithoutAutomaticCompactions() throws {
        try withTemporaryDirectory { dir in
            var o = stallOptions(compactAt: 1, slowAt: 1, stopAt: 2)
            o.disableAutoCompactions = true
            let db = try Database(path: dir + "/db", options: o)
            for i in 0..<2000 { try db.put(testKey(i), testValue(i, round: 0)) }
            try db.flush()
            #expect(try #require(Int(db.property("sediment.num-files-at-level0") ?? "")) >= 2)
            #expect(try db.get(testKey(1999)) == testValue(1999, round: 0))
            try db.close()
        }
    }
}
