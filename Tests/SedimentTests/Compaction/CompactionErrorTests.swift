// CompactionErrorTests: background compaction failures (DESIGN.md §9, §11). A non-space error
// makes the database read-only (writes throw `.readOnly` naming the cause, reads work, reopening
// loses nothing); running out of space is retried later while writes go on.
//
// Setup: a database with five L0 tables is built with automatic compactions off and closed;
// it is reopened with them on (trigger 4), so the first .sst file the engine creates is a
// compaction output, never a flush.
import Testing
import Glibc
@testable import Sediment
import SedimentTestSupport

@Suite struct CompactionErrorTests {
    let keys = 1000

    func options(_ fs: FaultInjectionFileSystem, auto: Bool) -> Options {
        var o = deepTreeOptions(fileSystem: fs)
        o.writeBufferSize = 1 << 20
        o.level0FileNumCompactionTrigger = 4
        o.maxBytesForLevelBase = 10 << 20
        o.disableAutoCompactions = !auto
        return o
    }

    /// Five overlapping L0 tables; the newest values are round 4.
    func buildLevel0(_ path: String, _ fs: FaultInjectionFileSystem) throws {
        let db = try Database(path: path, options: options(fs, auto: false))
        for round in 0..<5 {
            for i in stride(from: round % 2, to: keys, by: 1) { try db.put(testKey(i), testValue(i, round: round)) }
            try db.flush()
        }
        #expect(db.property("sediment.num-files-at-level0") == "5")
        try db.close()
    }

    func waitUntil(_ condition: () -> Bool) {
        for _ in 0..<2000 where !condition() {
            var ts = timespec(tv_sec: 0, tv_nsec: 5_000_000)
            nanosleep(&ts, nil)
        }
    }

    @Test func failedCompactionMakesTheDatabaseReadOnlyAndReopenLosesNothing() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let fs = FaultInjectionFileSystem()
            try buildLevel0(path, fs)
            fs.inject(.init(.append, pathContains: ".sst",
                            error: .io(file: "injected.sst", errno: 5, message: "injected EIO"), times: 1))
            let db = try Database(path: path, options: options(fs, auto: true))
            waitUntil { db.property("sediment.background-errors") == "1" }
            #expect(db.property("sediment.background-errors") == "1")
            do {
                try db.put(b("new"), b("value"))
                Issue.record("a write succeeded after a failed compaction")
            } catch let SedimentError.readOnly(message) {
                #expect(message.contains("injected EIO"), "the cause: \(message)")
            }
            #expect(throws: SedimentError.self) { try db.waitForCompactions() }
            // Reads keep working, from the tables the failed compaction left in place.
            for i in stride(from: 0, to: keys, by: 13) { #expect(try db.get(testKey(i)) == testValue(i, round: 4)) }
            #expect(db.property("sediment.num-files-at-level0") == "5")
            #expect(db.property("sediment.stats")?.contains("Background error: ") == true)
            try db.close()
            // No partial output is left behind to be mistaken for data.
            let tables = try fs.children(of: path).filter { $0.hasSuffix(".sst") }
            #expect(tables.count == 5, "\(tables)")

            fs.clearFaults()
            let again = try Database(path: path, options: options(fs, auto: true))
            try again.waitForCompactions()
            #expect(again.property("sediment.num-files-at-level0") == "0")
            try checkTreeInvariants(again)
            for i in 0..<keys { #expect(try again.get(testKey(i)) == testValue(i, round: 4)) }
            try again.put(b("new"), b("value"))
            try again.close()
        }
    }

    @Test func outOfSpaceDuringCompactionIsRetriedWhileWritesGoOn() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let fs = FaultInjectionFileSystem()
            try buildLevel0(path, fs)
            fs.inject(.init(.append, pathContains: ".sst", error: .noSpace(file: "injected.sst", message: "injected ENOSPC"), times: 1))
            let db = try Database(path: path, options: options(fs, auto: true))
            waitUntil { (db.property("sediment.stats") ?? "").contains(" 1 retries after no space") }
            #expect(db.property("sediment.background-errors") == "0")
            // Writes and reads go on while the compaction waits to retry.
            for i in 0..<100 { try db.put(b("during-\(i)"), b("v\(i)")) }
            #expect(try db.get(b("during-7")) == b("v7"))
            try db.waitForCompactions()
            #expect(db.property("sediment.num-files-at-level0") == "0")
            #expect((db.property("sediment.stats") ?? "").contains(" 1 retries after no space"))
            try checkTreeInvariants(db)
            for i in stride(from: 0, to: keys, by: 7) { #expect(try db.get(testKey(i)) == testValue(i, round: 4)) }
            try db.close()
        }
    }

    /// A disk that stays full: `waitForCompactions` throws `.noSpace` after three failed tries
    /// instead of waiting forever; writes and reads go on; once space is back the retry succeeds
    /// and the next wait returns.
    @Test func waitingForCompactionsOnAFullDiskEndsWithNoSpace() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let fs = FaultInjectionFileSystem()
            try buildLevel0(path, fs)
            fs.inject(.init(.append, pathContains: ".sst", error: .noSpace(file: "injected.sst", message: "injected ENOSPC"), times: nil))
            let db = try Database(path: path, options: options(fs, auto: true))
            do {
                try db.waitForCompactions()
                Issue.record("waitForCompactions returned while every compaction ran out of space")
            } catch SedimentError.noSpace(let file, _) {
                #expect(file == "injected.sst")
            }
            #expect((db.property("sediment.stats") ?? "").contains(" 3 retries after no space"))
            #expect(db.property("sediment.background-errors") == "0")
            try db.put(b("during"), b("full disk"))
            #expect(try db.get(b("during")) == b("full disk"))
            fs.clearFaults()
            try db.waitForCompactions()
            #expect(db.property("sediment.num-files-at-level0") == "0")
            for i in stride(from: 0, to: keys, by: 7) { #expect(try db.get(testKey(i)) == testValue(i, round: 4)) }
            try db.close()
        }
    }
}
