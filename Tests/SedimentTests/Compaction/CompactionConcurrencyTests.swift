// CompactionConcurrencyTests: gets and cursors stay correct while flushes and compactions run
// on two background threads and a third thread calls compactRange. Every key always exists (no
// deletes), and every value names its key, so a reader can check what it sees without a model.
// Must pass under `swift test --sanitize=thread --filter Compaction`.
import Testing
import Synchronization
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
