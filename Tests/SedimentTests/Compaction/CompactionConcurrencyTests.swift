// CompactionConcurrencyTests: gets and cursors stay correct while flushes and compactions run
// on two background threads and a third thread calls compactRange. Every key always exists (no
// deletes), and every value names its key, so a reader can check what it sees without a model.
// Must pass under `swift test --sanitize=thread --filter Compaction`.
import Testing
import Synchronization
import Glibc
@testable import Sediment
import SedimentTestSupport

/// Shared between the test's threads: a stop flag and the first failures seen.
private final class SharedState: Sendable {
    let writing = Atomic<Bool>(true)
    let failures = Mutex<[String]>([])

    func fail(_ s: String) { failures.withLock { if $0.count < 20 { $0.append(s) } } }
    var isWriting: Bool { writing.load(ordering: .acquiring) }
}

@Suite struct CompactionConcurrencyTests {
    /// True when `value` is some round's value of key `i`.
    static func belongs(_ value: [UInt8], to i: Int) -> Bool {
        let prefix = Array("v\(i)-r".utf8)
        return value.count == 100 && value.starts(with: prefix)
    }

    @Test func readsAndCursorsStayCorrectWhileCompactionsRun() throws {
        try withTemporaryDirectory { dir in
            var o = deepTreeOptions()
            o.maxBackgroundJobs = 2
            let db = try Database(path: dir + "/db", options: o)
            let keys = 1500
            for i in 0..<keys { try db.put(testKey(i), testValue(i, round: 0)) }
            let shared = SharedState()
            runConcurrently(threads: 4) { t in
                switch t {
                case 0:   // the writer: several rounds of overwrites in a shuffled-ish order
                    for round in 1...4 {
                        for j in 0..<keys {
                            let i = (j * 7919 + round) % keys
                            do { try db.put(testKey(i), testValue(i, round: round)) } catch { shared.fail("put: \(error)") }
                        }
                    }
                    shared.writing.store(false, ordering: .releasing)
                case 1:   // manual compactions alongside the background ones
                    var n = 0
                    while shared.isWriting && n < 3 {
                        do { try db.compactRange(from: testKey(n * 400), to: testKey(n * 400 + 600)) } catch { shared.fail("compactRange: \(error)") }
                        n += 1
                    }
                case 2:   // point reads
                    var rng = SeededRandom(defaultSeed: 7)
                    while shared.isWriting {
                        let i = Int(rng.next() % UInt64(keys))
                        do {
                            guard let v = try db.get(testKey(i)) else { shared.fail("key \(i) missing"); continue }
                            if !Self.belongs(v, to: i) { shared.fail("key \(i) has a foreign value") }
                        } catch { shared.fail("get: \(error)") }
                    }
                default:  // full scans, forward and backward, each a consistent snapshot
                    while shared.isWriting {
                        do {
                            let c = try db.cursor()
                            var count = 0
                            c.seekToFirst()
                            while c.isValid {
                                if c.key != testKey(count) { shared.fail("scan: expected key \(count)"); break }
                                if !Self.belongs(c.value, to: count) { shared.fail("scan: key \(count) has a foreign value") }
                                count += 1
                                c.next()
                            }
                            if let e = c.error { shared.fail("cursor: \(e)") }
                            if count != keys { shared.fail("scan saw \(count) of \(keys) keys") }
                            c.seekToLast()
                            var back = keys - 1
                            while c.isValid && back >= keys - 50 {
                                if c.key != testKey(back) { shared.fail("reverse scan: expected key \(back)") }
                                back -= 1
                                c.previous()
                            }
                        } catch { shared.fail("cursor: \(error)") }
                    }
                }
            }
            let problems = shared.failures.withLock { $0 }
            #expect(problems.isEmpty, "\(problems)")
            try db.waitForCompactions()
            try checkTreeInvariants(db)
            for i in stride(from: 0, to: keys, by: 3) { #expect(try db.get(testKey(i)) == testValue(i, round: 4)) }
            try db.close()
        }
    }
}

/// Holds the first table creation after `arm()` until `release()`: the test sees a compaction
/// job in the middle of writing its output.
private final class TableCreationGate: Sendable {
    private let armed = Atomic<Bool>(false)
    private let entered = Atomic<Bool>(false)
    private let released = Atomic<Bool>(false)

    func arm() { armed.store(true, ordering: .releasing) }
    func release() { released.store(true, ordering: .releasing) }
    var isReleased: Bool { released.load(ordering: .acquiring) }

    /// Called on table creation: blocks the first one after `arm()` until `release()`.
    func pass(_ path: String) {
        guard path.hasSuffix(".sst"), armed.exchange(false, ordering: .acquiringAndReleasing) else { return }
        entered.store(true, ordering: .releasing)
        while !released.load(ordering: .acquiring) { usleep(1000) }
    }

    func waitUntilEntered() {
        while !entered.load(ordering: .acquiring) { usleep(1000) }
    }
}

/// The real file system with table creation passing through a gate.
private struct GatedFileSystem: ForwardingFileSystem {
    let base: any FileSystem = PosixFileSystem()
    let gate: TableCreationGate

    func createForWriting(_ path: String) throws -> any WritableFile {
        gate.pass(path)
        return try base.createForWriting(path)
    }
}

@Suite struct CloseDuringCompactRangeConcurrencyTests {
    /// `close()` on one thread while `compactRange` on another is writing a table: close returns
    /// only after that step is installed (its MANIFEST edit written, its inputs deleted), so
    /// nothing touches the directory once the LOCK is released; the compaction then stops with
    /// `.closed` (or finishes), and a reopen finds every key.
    @Test func closeWaitsForTheRunningStepAndNothingChangesAfterIt() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let gate = TableCreationGate()
            var o = deepTreeOptions(fileSystem: GatedFileSystem(gate: gate))
            o.disableAutoCompactions = true
            let db = try Database(path: path, options: o)
            let keys = 1200
            for i in 0..<keys { try db.put(testKey(i), testValue(i, round: 0)) }
            try db.flush()
            #expect(try Int(#require(db.property("sediment.num-files-at-level0"))) ?? 0 >= 2)
            gate.arm()
            let closeReturnedEarly = Atomic<Bool>(false)
            let outcomes = Mutex<[String]>([])
            let filesAtClose = Mutex<[String]>([])
            runConcurrently(threads: 3) { t in
                switch t {
                case 0:
                    do { try db.compactRange(); outcomes.withLock { $0.append("compactRange finished") } } catch {
                        outcomes.withLock { $0.append("compactRange: \(error)") }
                    }
                case 1:
                    gate.waitUntilEntered()
                    do { try db.close() } catch { outcomes.withLock { $0.append("close: \(error)") } }
                    if !gate.isReleased { closeReturnedEarly.store(true, ordering: .releasing) }
                    let names = (try? PosixFileSystem().children(of: path).sorted()) ?? []
                    let current = (try? PosixFileSystem().readWholeFile(path + "/CURRENT")) ?? []
                    filesAtClose.withLock { $0 = names + [String(decoding: current, as: UTF8.self)] }
                default:
                    gate.waitUntilEntered()
                    usleep(300_000)   // time for a close that does not wait to return
                    gate.release()
                }
            }
            let early = closeReturnedEarly.load(ordering: .acquiring)
            #expect(!early, "close returned while compactRange was writing a table")
            let results = outcomes.withLock { $0 }
            #expect(results.allSatisfy { $0 == "compactRange finished" || $0 == "compactRange: \(SedimentError.closed)" },
                    "\(results)")
            let namesAfter = try PosixFileSystem().children(of: path).sorted()
            let currentAfter = String(decoding: try PosixFileSystem().readWholeFile(path + "/CURRENT"), as: UTF8.self)
            #expect(filesAtClose.withLock { $0 } == namesAfter + [currentAfter], "the directory changed after close returned")
            var plain = deepTreeOptions()
            plain.disableAutoCompactions = true
            let reopened = try Database(path: path, options: plain)
            for i in 0..<keys { #expect(try reopened.get(testKey(i)) == testValue(i, round: 0)) }
            try reopened.verifyChecksums()
            try reopened.close()
        }
    }
}
