// CursorTests: the database cursor against a sorted model (LevelDB table_test Harness style):
// random puts/deletes with flushes interleaved, then every step forward, backward, seeks and
// direction switches compared with the model; bounds; snapshots; cursors across close.
import Foundation
import Testing
@_spi(Internals) @testable import Sediment
import SedimentTestSupport

/// A sorted in-memory model of the database's visible state.
struct Model {
    var map: [[UInt8]: [UInt8]] = [:]
    var sortedKeys: [[UInt8]] { map.keys.sorted { compareBytes($0, $1) < 0 } }
}

@Suite struct CursorTests {
    /// A table that fails mid-read (a flipped byte in its data block) stops a cursor and a
    /// scan with its error: going on would show the older versions that table hides (a
    /// deleted key, an overwritten value) as current, forward and backward.
    @Test func aFailedNewerTableStopsTheCursorInsteadOfShowingOlderVersions() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            var o = Options()
            o.compression = .none
            o.disableAutoCompactions = true
            do {
                let db = try Database(path: path, options: o)
                for k in ["a", "b", "c"] { try db.put(Array(k.utf8), Array("old".utf8)) }
                try db.flush()
                try db.delete(Array("b".utf8))
                try db.put(Array("c".utf8), Array("new".utf8))
                try db.flush()
                try db.close()
            }
            let tables = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".sst") }.sorted()
            let newest = URL(fileURLWithPath: path + "/" + (try #require(tables.last)))
            var bytes = [UInt8](try Data(contentsOf: newest))
            bytes[3] ^= 0xFF   // inside the first data block
            try Data(bytes).write(to: newest)

            let db = try Database(path: path, options: o)
            defer { try? db.close() }
            let c = try db.cursor()
            var forward: [String] = []
            c.seekToFirst()
            while c.isValid { forward.append(String(decoding: c.key + Array("=".utf8) + c.value, as: UTF8.self)); c.next() }
            #expect(!forward.contains("b=old") && !forward.contains("c=old"), "\(forward)")
            #expect(c.error != nil)
            var backward: [String] = []
            c.seekToLast()
            while c.isValid { backward.append(String(decoding: c.key + Array("=".utf8) + c.value, as: UTF8.self)); c.previous() }
            #expect(!backward.contains("b=old") && !backward.contains("c=old"), "\(backward)")
            #expect(c.error != nil)
            var it = try db.scan().makeIterator()
            var scanned: [String] = []
            while let (k, v) = it.next() { scanned.append(String(decoding: k + Array("=".utf8) + v, as: UTF8.self)) }
            #expect(!scanned.contains("b=old") && !scanned.contains("c=old"), "\(scanned)")
            #expect(it.error != nil)
        }
    }

    func randomKey(_ rng: inout SeededRandom) -> [UInt8] {
        switch rng.next() % 4 {
        case 0: return [UInt8](repeating: 0x61, count: 20) + [UInt8(rng.next() % 20)]      // long shared prefix
        case 1: return [UInt8(rng.next() % 3 == 0 ? 0x00 : 0xFF), UInt8(rng.next() % 8)]      // 0x00 / 0xFF bytes
        default: return Array("k\(rng.next() % 200)".utf8)
        }
    }

    func checkCursor(_ db: Database, _ model: Model, _ rng: inout SeededRandom, options: ReadOptions = ReadOptions()) throws {
        let keys = model.sortedKeys.filter { k in
            (options.lowerBound.map { compareBytes(k, $0) >= 0 } ?? true) && (options.upperBound.map { compareBytes(k, $0) < 0 } ?? true)
        }
        let c = try db.cursor(options: options)
        // Full forward and backward.
        c.seekToFirst()
        var seen: [[UInt8]] = []
        while c.isValid { seen.append(c.key); #expect(c.value == model.map[c.key]); c.next() }
        #expect(seen == keys, "forward scan (seed \(rng.seed))")
        c.seekToLast()
        seen = []
        while c.isValid { seen.append(c.key); c.previous() }
        #expect(seen == keys.reversed(), "backward scan (seed \(rng.seed))")
        // Random walks with direction switches.
        for _ in 0..<60 {
            var pos: Int
            let target = randomKey(&rng)
            if rng.next() % 2 == 0 {
                c.seek(target)
                pos = keys.firstIndex { compareBytes($0, target) >= 0 } ?? keys.count
            } else {
                c.seekForPrevious(target)
                pos = keys.lastIndex { compareBytes($0, target) <= 0 } ?? -1
            }
            for _ in 0..<6 {
                if pos >= 0 && pos < keys.count {
                    #expect(c.isValid && c.key == keys[pos], "walk (seed \(rng.seed))")
                    #expect(c.value == model.map[keys[pos]])
                } else {
                    #expect(!c.isValid, "walk past the end (seed \(rng.seed))")
                    break
                }
                if rng.next() % 2 == 0 { c.next(); pos += 1 } else { c.previous(); pos -= 1 }
            }
        }
        #expect(c.error == nil)
    }

    @Test func cursorMatchesModelAcrossFlushes() throws {
        var rng = SeededRandom(defaultSeed: 42)
        try withTemporaryDirectory { dir in
            var o = Options()
            o.writeBufferSize = 16 << 10
            let db = try Database(path: dir + "/db", options: o)
            var model = Model()
            for round in 0..<6 {
                for _ in 0..<300 {
                    let k = randomKey(&rng)
                    if rng.next() % 4 == 0 {
                        try db.delete(k)
                        model.map[k] = nil
                    } else {
                        let v: [UInt8] = rng.next() % 10 == 0 ? [] : Array("v\(rng.next() % 1000)".utf8)
                        try db.put(k, v)
                        model.map[k] = v
                    }
                }
                if round % 2 == 1 { try db.flush() }
                try checkCursor(db, model, &rng)
                try checkCursor(db, model, &rng, options: ReadOptions(lowerBound: Array("k1".utf8), upperBound: Array("k5".utf8)))
            }
            let scanned = try db.scan(from: Array("k".utf8), to: Array("l".utf8)).map { $0.key }
            #expect(scanned == model.sortedKeys.filter { $0.first == 0x6B })
            try db.close()
        }
    }

    @Test func snapshotCursorSeesTheOldState() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/db")
            for i in 0..<100 { try db.put(b("key\(i)"), b("old\(i)")) }
            let snap = db.snapshot()
            for i in 0..<100 where i % 2 == 0 { try db.delete(b("key\(i)")) }
            for i in 0..<100 where i % 2 == 1 { try db.put(b("key\(i)"), b("new\(i)")) }
            try db.flush()
            let old = try db.scan(options: ReadOptions(snapshot: snap)).map { String(decoding: $0.value, as: UTF8.self) }
            #expect(old.count == 100)
            #expect(old.allSatisfy { $0.hasPrefix("old") })
            let now = try db.scan().map { String(decoding: $0.value, as: UTF8.self) }
            #expect(now.count == 50)
            #expect(now.allSatisfy { $0.hasPrefix("new") })
            try db.close()
        }
    }

    /// A seek that lands on its key leaves older sources (and newer ones whose filter rules the
    /// key out) unpositioned; the steps after it must still see every source.
    @Test func seekOntoAKeyThenStepSeesEverySource() throws {
        try withTemporaryDirectory { dir in
            var o = Options()
            o.disableAutoCompactions = true
            let db = try Database(path: dir + "/db", options: o)
            func k(_ i: Int) -> [UInt8] { b("k" + String(1000 + i)) }
            var model = Model()
            for i in 0..<300 { try db.put(k(i), b("v1-\(i)")); model.map[k(i)] = b("v1-\(i)") }
            try db.flush()
            try db.compactRange()                                   // a deeper level
            for i in stride(from: 0, to: 300, by: 2) { try db.put(k(i), b("v2-\(i)")); model.map[k(i)] = b("v2-\(i)") }
            try db.flush()                                          // L0, older
            let snap = db.snapshot()
            let before = model
            for i in stride(from: 0, to: 300, by: 3) { try db.put(k(i), b("v3-\(i)")); model.map[k(i)] = b("v3-\(i)") }
            for i in stride(from: 1, to: 300, by: 7) { try db.delete(k(i)); model.map[k(i)] = nil }
            try db.flush()                                          // L0, newer
            for i in stride(from: 0, to: 300, by: 5) { try db.put(k(i), b("v4-\(i)")); model.map[k(i)] = b("v4-\(i)") }
            for i in stride(from: 2, to: 300, by: 11) { try db.delete(k(i)); model.map[k(i)] = nil }
            for (m, options) in [(model, ReadOptions()), (before, ReadOptions(snapshot: snap))] {
                let keys = m.sortedKeys
                let reused = try db.cursor(options: options)
                for i in 0..<300 {
                    let pos = keys.firstIndex { compareBytes($0, k(i)) >= 0 } ?? keys.count
                    for c in [try db.cursor(options: options), reused] {
                        c.seek(k(i))
                        guard pos < keys.count else { #expect(!c.isValid); continue }
                        #expect(c.isValid && c.key == keys[pos] && c.value == m.map[keys[pos]], "seek \(i)")
                        if i % 2 == 0 {
                            c.next()
                            if pos + 1 < keys.count {
                                #expect(c.key == keys[pos + 1] && c.value == m.map[keys[pos + 1]], "next after \(i)")
                            } else {
                                #expect(!c.isValid)
                            }
                        } else {
                            c.previous()
                            if pos > 0 {
                                #expect(c.key == keys[pos - 1] && c.value == m.map[keys[pos - 1]], "previous after \(i)")
                            } else {
                                #expect(!c.isValid)
                            }
                        }
                        #expect(c.error == nil)
                    }
                }
            }
            try db.close()
        }
    }

    @Test func longRunsOfOverwritesAreSkipped() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/db")
            for i in 0..<2000 { try db.put(b("hot"), b("v\(i)")) }
            for i in 0..<500 { try db.put(b("gone\(i)"), b("x")); try db.delete(b("gone\(i)")) }
            try db.put(b("z"), b("last"))
            let all = try db.scan().map { $0 }
            #expect(all.map(\.key) == [b("hot"), b("z")])
            #expect(all.first?.value == b("v1999"))
            let c = try db.cursor()
            c.seekToLast()
            #expect(c.key == b("z"))
            c.previous()
            #expect(c.key == b("hot") && c.value == b("v1999"))
            c.previous()
            #expect(!c.isValid)
            try db.close()
        }
    }

    @Test func cursorAfterCloseFailsCleanly() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/db")
            for i in 0..<10 { try db.put(b("k\(i)"), b("v")) }
            let c = try db.cursor()
            c.seekToFirst()
            #expect(c.isValid)
            try db.close()
            c.next()
            #expect(!c.isValid)
            #expect(c.error == .closed)
            #expect(throws: SedimentError.closed) { _ = try db.cursor() }
        }
    }

    /// A cursor or scan keeps its database open after the caller's last reference to the
    /// `Database` goes; the database closes (and its LOCK goes) when the cursor goes.
    @Test func cursorsAndScansKeepTheirDatabaseOpen() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            do {
                let db = try Database(path: path)
                for i in 0..<10 { try db.put(b("k\(i)"), b("v\(i)")) }
                try db.close()
            }
            func scan() throws -> ScanSequence { try Database(path: path).scan() }
            func cursor() throws -> Cursor { try Database(path: path).cursor() }
            do {
                var it = try scan().makeIterator()
                var rows: [[UInt8]] = []
                while let (key, _) = it.next() { rows.append(key) }
                #expect(it.error == nil)
                #expect(rows == (0..<10).map { b("k\($0)") })
            }
            var c: Cursor? = try cursor()
            c?.seekToLast()
            #expect(c?.key == b("k9") && c?.value == b("v9") && c?.error == nil)
            #expect(throws: SedimentError.locked(path: FileNames.lock(path))) { _ = try Database(path: path) }
            c = nil
            let again = try Database(path: path)
            #expect(try again.get(b("k0")) == b("v0"))
            try again.close()
        }
    }
}

/// Cursors and gets while writers, flushes and compactions run (run under TSan in CI).
@Suite struct CursorConcurrencyTests {
    @Test func readersSeeConsistentSnapshotsWhileWritersRun() throws {
        try withTemporaryDirectory { dir in
            var o = Options()
            o.writeBufferSize = 32 << 10
            o.level0FileNumCompactionTrigger = 2
            o.maxBytesForLevelBase = 128 << 10
            o.targetFileSizeBase = 32 << 10
            let db = try Database(path: dir + "/db", options: o)
            // Invariant the readers check: every key "k<i>" has a value "v<round>-<i>" and all
            // keys written in one batch carry the same round.
            let failures = LockedState([String]())
            runConcurrently(threads: 4) { t in
                do {
                    if t == 0 {
                        for round in 0..<40 {
                            var batch = WriteBatch()
                            for i in 0..<50 { batch.put(b("k\(i)"), b("v\(round)-\(i)")) }
                            try db.write(batch)
                            if round % 10 == 9 { try db.flush() }
                        }
                    } else {
                        for _ in 0..<30 {
                            let snap = db.snapshot()
                            let c = try db.cursor(options: ReadOptions(snapshot: snap))
                            c.seekToFirst()
                            var rounds = Set<String>()
                            var count = 0
                            while c.isValid {
                                let v = String(decoding: c.value, as: UTF8.self)
                                rounds.insert(String(v.split(separator: "-").first ?? ""))
                                count += 1
                                c.next()
                            }
                            if let e = c.error { failures.withLock { $0.append("cursor error \(e)") } }
                            if count != 0 && (count != 50 || rounds.count != 1) {
                                failures.withLock { $0.append("torn view: \(count) keys from rounds \(rounds)") }
                            }
                            if let v = try db.get(b("k7"), options: ReadOptions(snapshot: snap)),
                               !String(decoding: v, as: UTF8.self).hasSuffix("-7") {
                                failures.withLock { $0.append("bad get value") }
                            }
                        }
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
            #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 }.prefix(5))")
            try db.close()
        }
    }

    @Test func hundredKilobyteValuesThroughCursorsAndFlushes() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/db")
            let big = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            for i in 0..<12 { try db.put(b("big\(i)"), big + [UInt8(i)]) }
            try db.flush()
            try db.put(b("big5"), [])
            let all = try db.scan().map { $0 }
            #expect(all.count == 12)
            for (k, v) in all {
                if k == b("big5") { #expect(v.isEmpty) } else { #expect(v.count == 100_001 && v.dropLast() == big[...]) }
            }
            try db.close()
        }
    }
}
