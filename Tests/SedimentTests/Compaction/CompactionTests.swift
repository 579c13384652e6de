// CompactionTests: what compaction promises the user (DESIGN.md §9): space comes back after
// overwrites and deletes, tombstones go away unless a snapshot needs them, snapshots keep
// reading what they saw, and many background compactions across 3+ levels lose nothing. After
// each phase the tree checker reads every table (metadata = contents, deeper = older).
import Testing
@_spi(Internals) @testable import Sediment
import SedimentTestSupport

@Suite struct CompactionTests {
    /// Small buffers so a few thousand keys make many tables; automatic compactions on.
    func smallOptions() -> Options {
        var o = deepTreeOptions()
        o.writeBufferSize = 64 << 10
        o.targetFileSizeBase = 64 << 10
        return o
    }

    /// Long keys that do not shorten put as many bytes in the index as in the data: compaction
    /// cuts an output once its index alone reaches targetFileSizeBase, so no table's index can
    /// grow past what a block handle spans (DESIGN §9).
    @Test func outputsWithLongKeysAreCutByIndexSize() throws {
        try withTemporaryDirectory { dir in
            var o = Options()
            o.targetFileSizeBase = 256 << 10
            o.disableAutoCompactions = true
            let db = try Database(path: dir + "/db", options: o)
            var user = [UInt8](repeating: 0x61, count: 8 << 10)
            for j in 0..<300 {
                user[user.count - 2] = UInt8(j >> 8)
                user[user.count - 1] = UInt8(j & 0xFF)
                try db.put(user, [UInt8(j & 0xFF)])
            }
            try db.compactRange()
            let contents = try checkTreeInvariants(db)
            #expect(contents.entriesPerLevel.reduce(0, +) == 300)
            let version = db.core.monitor.withLock { db.core.versions.current }
            let files = version.levels.dropFirst().joined()
            #expect(files.count >= 300 * (8 << 10) / (256 << 10))
            for f in files {
                let reader = try db.core.tableCache.reader(number: f.number, size: f.size)
                #expect(reader.properties.indexSize <= (256 + 16) << 10, "table \(f.number): index \(reader.properties.indexSize) bytes")
            }
            try db.close()
        }
    }

    /// A database in `dir/db` holding keys 0..<n with round-0 values (not yet flushed).
    func openFilled(_ dir: String, keys n: Int) throws -> Database {
        let db = try Database(path: dir + "/db", options: smallOptions())
        for i in 0..<n { try db.put(testKey(i), testValue(i, round: 0)) }
        return db
    }

    /// The directory holds exactly the tables of the current version: compaction inputs are
    /// deleted as soon as nothing reads them.
    func expectOnlyLiveTablesOnDisk(_ db: Database, _ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let live = db.core.monitor.withLock { db.core.versions.liveFileNumbers() }
        let onDisk = Set(try db.core.fileSystem.children(of: path).compactMap { name -> UInt64? in
            guard let (kind, number) = FileNames.parse(name), kind == .table else { return nil }
            return number
        })
        #expect(onDisk == live, "tables on disk vs in the version", sourceLocation: sourceLocation)
    }

    func totalTableBytes(_ db: Database) throws -> Int {
        try #require(Int(db.property("sediment.total-sst-files-size") ?? ""))
    }

    @Test func overwritingEveryKeyThenCompactRangeReclaimsSpace() throws {
        try withTemporaryDirectory { dir in
            let n = 3000
            let db = try openFilled(dir, keys: n)
            try db.compactRange()
            let live = try totalTableBytes(db)
            for round in 1...3 {
                for i in 0..<n { try db.put(testKey(i), testValue(i, round: round)) }
            }
            try db.flush()
            let beforeCompaction = try totalTableBytes(db)
            try db.compactRange()
            let after = try totalTableBytes(db)
            #expect(beforeCompaction > live * 2, "overwrites should have piled up first: \(beforeCompaction) vs \(live)")
            #expect(Double(after) <= 1.1 * Double(live), "after \(after) bytes, live data \(live) bytes")
            let contents = try checkTreeInvariants(db)
            #expect(contents.entriesPerLevel.reduce(0, +) == n)
            try expectOnlyLiveTablesOnDisk(db, dir + "/db")
            for i in stride(from: 0, to: n, by: 7) { #expect(try db.get(testKey(i)) == testValue(i, round: 3)) }
            try db.close()
        }
    }

    @Test func deletingEveryKeyThenCompactRangeLeavesNoTables() throws {
        try withTemporaryDirectory { dir in
            let n = 3000
            let db = try openFilled(dir, keys: n)
            try db.compactRange()
            #expect(try totalTableBytes(db) > 0)
            for i in 0..<n { try db.delete(testKey(i)) }
            try db.compactRange()
            let contents = try checkTreeInvariants(db)
            #expect(contents.deletions == 0)
            #expect(contents.entriesPerLevel.reduce(0, +) == 0)
            #expect(try totalTableBytes(db) == 0)
            try expectOnlyLiveTablesOnDisk(db, dir + "/db")
            #expect(try db.get(testKey(5)) == nil)
            #expect(db.property("sediment.estimate-num-keys") == "0")
            try db.close()
        }
    }

    @Test func deletingHalfTheKeysLeavesOnlyTheOtherHalf() throws {
        try withTemporaryDirectory { dir in
            let n = 3000
            // The reference: a database that only ever held the odd keys.
            let reference = try Database(path: dir + "/ref", options: smallOptions())
            for i in stride(from: 1, to: n, by: 2) { try reference.put(testKey(i), testValue(i, round: 0)) }
            try reference.compactRange()
            let live = try totalTableBytes(reference)
            try reference.close()

            let db = try Database(path: dir + "/db", options: smallOptions())
            for i in 0..<n { try db.put(testKey(i), testValue(i, round: 0)) }
            try db.flush()
            for i in stride(from: 0, to: n, by: 2) { try db.delete(testKey(i)) }
            try db.compactRange()
            let after = try totalTableBytes(db)
            #expect(Double(after) <= 1.1 * Double(live), "after \(after) bytes, live data \(live) bytes")
            let contents = try checkTreeInvariants(db)
            #expect(contents.deletions == 0)
            #expect(contents.entriesPerLevel.reduce(0, +) == n / 2)
            var count = 0
            for (k, v) in try db.scan() {
                #expect(k == testKey(2 * count + 1))
                #expect(v == testValue(2 * count + 1, round: 0))
                count += 1
            }
            #expect(count == n / 2)
            try db.close()
        }
    }

    @Test func snapshotKeepsOldValuesAndTombstonesUntilReleased() throws {
        try withTemporaryDirectory { dir in
            let n = 2000
            let db = try openFilled(dir, keys: n)
            try db.flush()
            var snapshot: Snapshot? = db.snapshot()
            for i in 0..<n where i % 2 == 0 { try db.delete(testKey(i)) }
            for i in 0..<n where i % 2 == 1 { try db.put(testKey(i), testValue(i, round: 1)) }
            try db.compactRange()

            let held = try checkTreeInvariants(db)
            #expect(held.deletions == n / 2, "the snapshot needs every tombstone's older value, so both stay")
            #expect(held.entriesPerLevel.reduce(0, +) == 2 * n)
            do {
                let old = ReadOptions(snapshot: snapshot)
                for i in stride(from: 0, to: n, by: 5) {
                    #expect(try db.get(testKey(i), options: old) == testValue(i, round: 0), "snapshot read of \(i)")
                    #expect(try db.get(testKey(i)) == (i % 2 == 0 ? nil : testValue(i, round: 1)))
                }
                var seen = 0
                for (k, v) in try db.scan(options: old) {
                    #expect(k == testKey(seen) && v == testValue(seen, round: 0))
                    seen += 1
                }
                #expect(seen == n)
            }

            snapshot = nil   // the last reference (ReadOptions above held one too)
            try db.compactRange()
            let released = try checkTreeInvariants(db)
            #expect(released.deletions == 0)
            #expect(released.entriesPerLevel.reduce(0, +) == n / 2)
            for i in stride(from: 0, to: n, by: 5) {
                #expect(try db.get(testKey(i)) == (i % 2 == 0 ? nil : testValue(i, round: 1)))
            }
            try db.close()
        }
    }

    @Test func bottommostEntriesVisibleToEveryReaderGetSequenceZero() throws {
        try withTemporaryDirectory { dir in
            let n = 1000
            var o = smallOptions()
            o.disableAutoCompactions = true
            var db: Database? = try Database(path: dir + "/db", options: o)
            for i in 0..<n { try db?.put(testKey(i), testValue(i, round: 0)) }
            var snapshot: Snapshot? = try #require(db).snapshot()
            for i in 0..<n where i % 2 == 1 { try db?.put(testKey(i), testValue(i, round: 1)) }
            try db?.compactRange()

            // With the snapshot: round 0 is visible to every reader and nothing lies below, so
            // its sequence is 0; round 1 is newer than the snapshot and keeps its sequence.
            let held = try checkTreeInvariants(try #require(db))
            for i in 0..<n {
                let seqs = held.entries[testKey(i)]?.map(\.sequence) ?? []
                if i % 2 == 0 {
                    #expect(seqs == [0], "key \(i): \(seqs)")
                } else {
                    #expect(seqs.count == 2 && seqs[0] > 0 && seqs[1] == 0, "key \(i): \(seqs)")
                }
            }
            for i in stride(from: 1, to: n, by: 7) {
                #expect(try db?.get(testKey(i), options: ReadOptions(snapshot: snapshot)) == testValue(i, round: 0))
                #expect(try db?.get(testKey(i)) == testValue(i, round: i % 2))
            }

            snapshot = nil
            try db?.compactRange()
            let released = try checkTreeInvariants(try #require(db))
            #expect(released.entries.count == n)
            #expect(released.entries.values.allSatisfy { $0.count == 1 && $0[0].sequence == 0 })

            // Sequence numbers continue after a reopen: a new write hides the zeroed entry.
            try db?.close()
            db = try Database(path: dir + "/db", options: o)
            try db?.put(testKey(4), testValue(4, round: 2))
            try db?.flush()
            #expect(try db?.get(testKey(4)) == testValue(4, round: 2))
            #expect(try db?.get(testKey(5)) == testValue(5, round: 1))
            try db?.compactRange()
            #expect(try db?.get(testKey(4)) == testValue(4, round: 2))
            try db?.close()
        }
    }

    @Test func flushKeepsOnlyTheVersionsSomeReaderCanSee() throws {
        try withTemporaryDirectory { dir in
            var o = smallOptions()
            o.disableAutoCompactions = true
            let db = try Database(path: dir + "/db", options: o)
            for round in 0..<10 { try db.put(b("k"), testValue(0, round: round)) }
            let snapshot = db.snapshot()
            for round in 10..<20 { try db.put(b("k"), testValue(0, round: round)) }
            try db.delete(b("gone"))
            try db.flush()
            let contents = try checkTreeInvariants(db)
            // Round 9 for the snapshot, round 19 for everyone else, and the tombstone (a flush
            // never knows what older tables hold).
            #expect(contents.entries[b("k")]?.count == 2)
            #expect(contents.deletions == 1)
            #expect(try db.get(b("k"), options: ReadOptions(snapshot: snapshot)) == testValue(0, round: 9))
            #expect(try db.get(b("k")) == testValue(0, round: 19))
            try db.close()
        }
    }

    @Test func compactRangeOfASubrangeLeavesTheRestAlone() throws {
        try withTemporaryDirectory { dir in
            var o = smallOptions()
            o.disableAutoCompactions = true
            let db = try Database(path: dir + "/db", options: o)
            for i in 0..<2000 { try db.put(testKey(i), testValue(i, round: 0)) }
            try db.flush()
            for i in 0..<2000 { try db.put(testKey(i), testValue(i, round: 1)) }
            try db.flush()
            let level0Before = try #require(Int(db.property("sediment.num-files-at-level0") ?? ""))
            #expect(level0Before >= 4, "each half of each round should span level-0 tables of its own")
            try db.compactRange(from: testKey(0), to: testKey(999))
            try checkTreeInvariants(db)
            for i in stride(from: 0, to: 2000, by: 3) { #expect(try db.get(testKey(i)) == testValue(i, round: 1)) }
            // Level-0 tables covering only the upper half were not touched, and the range's
            // data now sits in the last level.
            let level0After = try #require(Int(db.property("sediment.num-files-at-level0") ?? ""))
            #expect(level0After > 0 && level0After < level0Before, "level 0: \(level0Before) tables before, \(level0After) after")
            let last = try #require(Int(db.property("sediment.num-files-at-level6") ?? ""))
            #expect(last > 0)
            try db.close()
        }
    }

    @Test func manyBackgroundCompactionsBuildThreeLevelsAndLoseNothing() throws {
        var rng = SeededRandom()
        print("seed \(rng.seed)")
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/db", options: deepTreeOptions())
            var model: [Int: Int] = [:]   // key -> round, or -1 when deleted
            let keys = 4000
            for round in 0..<6 {
                for _ in 0..<2500 {
                    let k = Int(rng.next() % UInt64(keys))
                    if rng.next() % 8 == 0 {
                        try db.delete(testKey(k))
                        model[k] = -1
                    } else {
                        try db.put(testKey(k), testValue(k, round: round))
                        model[k] = round
                    }
                }
                try db.waitForCompactions()
                try checkTreeInvariants(db)
            }
            var deepest = 0
            for level in 0..<7 where (Int(db.property("sediment.num-files-at-level\(level)") ?? "") ?? 0) > 0 { deepest = level }
            #expect(deepest >= 3, "tree shape:\n\(db.property("sediment.levelstats") ?? "")")
            for k in 0..<keys {
                let expected = model[k].flatMap { $0 < 0 ? nil : testValue(k, round: $0) }
                #expect(try db.get(testKey(k)) == expected, "key \(k)")
            }
            var scanned = 0
            for (key, value) in try db.scan() {
                scanned += 1
                guard let i = Int(String(decoding: key.dropFirst(3), as: UTF8.self)), let r = model[i], r >= 0 else {
                    Issue.record("unexpected key \(key)")
                    continue
                }
                #expect(value == testValue(i, round: r))
            }
            #expect(scanned == model.values.filter { $0 >= 0 }.count)
            try db.waitForCompactions()
            try expectOnlyLiveTablesOnDisk(db, dir + "/db")
            try db.close()
            // Reopen: the MANIFEST describes the same tree.
            let again = try Database(path: dir + "/db", options: deepTreeOptions())
            try checkTreeInvariants(again)
            for k in stride(from: 0, to: keys, by: 11) {
                let expected = model[k].flatMap { $0 < 0 ? nil : testValue(k, round: $0) }
                #expect(try again.get(testKey(k)) == expected)
            }
            try again.close()
        }
    }
}
