// DatabaseTests: the public write/read path across reopen, recovery from logs and tables,
// concurrency, group commit, misuse errors, and the key and value size limits.
import Testing
import Synchronization
import Glibc
@testable import Sediment
import SedimentTestSupport

@Suite struct DatabaseTests {
    func smallOptions() -> Options {
        var o = Options()
        o.writeBufferSize = 64 << 10
        return o
    }

    @Test func putGetOverwriteDeleteAcrossReopen() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            do {
                let db = try Database(path: path)
                try db.put(b("a"), b("1"))
                try db.put(b("b"), b("2"))
                try db.put(b("a"), b("3"))
                try db.delete(b("b"))
                try db.put(b("empty"), [])
                #expect(try db.get(b("a")) == b("3"))
                #expect(try db.get(b("b")) == nil)
                #expect(try db.get(b("empty")) == [])
                #expect(try db.get(b("zzz")) == nil)
                try db.close()
            }
            let db = try Database(path: path)
            #expect(try db.get(b("a")) == b("3"))
            #expect(try db.get(b("b")) == nil)
            #expect(try db.get(b("empty")) == [])
            try db.close()
        }
    }

    @Test func getIntoABufferAgreesWithGetFromEverySource() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/db")
            // Tables (flushed), then the memtable over them, a tombstone over a table, a snapshot.
            for i in 0..<200 { try db.put(b("k\(i)"), b("table-\(i)")) }
            try db.flush()
            try db.put(b("k1"), b("mem-1"))
            try db.delete(b("k2"))
            try db.put(b("k3"), [])
            let before = db.snapshot()
            try db.put(b("k4"), b("after-snapshot"))
            var value = b("untouched")
            for key in ["k0", "k1", "k2", "k3", "k4", "k199", "absent"] {
                let expected = try db.get(b(key))
                var buffer = b("previous contents that are longer than any value")
                let found = try db.get(b(key), into: &buffer)
                #expect(found == (expected != nil), "\(key)")
                if let expected { #expect(buffer == expected, "\(key)") }
                else { #expect(buffer == b("previous contents that are longer than any value"), "\(key)") }
                // One buffer reused across reads holds the last value found.
                if try db.get(b(key), into: &value) { #expect(value == expected) }
            }
            var atSnapshot: [UInt8] = []
            #expect(try db.get(b("k4"), into: &atSnapshot, options: ReadOptions(snapshot: before)))
            #expect(atSnapshot == b("table-4"))
            #expect(try db.get(b("k2"), into: &atSnapshot) == false)
            #expect(atSnapshot == b("table-4"))
            try db.close()
            #expect(throws: SedimentError.self) { _ = try db.get(b("k0"), into: &value) }
        }
    }

    @Test func recoveryFromLogsOnlyTablesOnlyAndBoth() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let db = try Database(path: path, options: smallOptions())
            for i in 0..<500 { try db.put(b("k\(i)"), b("v\(i)")) }
            try db.flush()                               // tables
            #expect(db.property("sediment.num-files-at-level0") != "0")
            for i in 250..<750 { try db.put(b("k\(i)"), b("w\(i)")) }   // some in logs only
            for i in 0..<100 { try db.delete(b("k\(i)")) }
            try db.close()
            let again = try Database(path: path, options: smallOptions())
            for i in 0..<750 {
                let expected: [UInt8]? = i < 100 ? nil : (i < 250 ? b("v\(i)") : b("w\(i)"))
                #expect(try again.get(b("k\(i)")) == expected, "key k\(i)")
            }
            try again.close()
        }
    }

    @Test func largeWritesSpillIntoManyTables() throws {
        try withTemporaryDirectory { dir in
            // Compactions off: how many tables stay in L0 must not depend on how fast a
            // background compaction keeps up with the writes (it once merged all but 4).
            var o = smallOptions()
            o.disableAutoCompactions = true
            let db = try Database(path: dir + "/db", options: o)
            let value = [UInt8](repeating: 7, count: 1000)
            for i in 0..<2000 { try db.put(b("key\(i)"), value + b("\(i)")) }
            try db.flush()
            let files = Int(db.property("sediment.num-files-at-level0") ?? "0") ?? 0
            #expect(files > 5)
            for i in stride(from: 0, to: 2000, by: 37) { #expect(try db.get(b("key\(i)")) == value + b("\(i)")) }
            try db.close()
        }
    }

    @Test func batchesApplyAtomically() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let db = try Database(path: path)
            var batch = WriteBatch()
            batch.put(b("x"), b("1"))
            batch.put(b("y"), b("2"))
            batch.delete(b("x"))
            #expect(batch.count == 3)
            try db.write(batch)
            #expect(try db.get(b("x")) == nil)
            #expect(try db.get(b("y")) == b("2"))
            try db.close()
            let again = try Database(path: path)
            #expect(try again.get(b("x")) == nil)
            #expect(try again.get(b("y")) == b("2"))
        }
    }

    @Test func concurrentWritersAllVisibleAfterReopen() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let db = try Database(path: path, options: smallOptions())
            let failures = Atomic<Int>(0)
            runConcurrently(threads: 8) { t in
                for i in 0..<500 {
                    do {
                        try db.put(b("t\(t)-\(i)"), b("v\(t)-\(i)"))
                        if i % 7 == 0, try db.get(b("t\(t)-\(i)")) != b("v\(t)-\(i)") { failures.add(1, ordering: .relaxed) }
                    } catch { failures.add(1, ordering: .relaxed) }
                }
            }
            #expect(failures.load(ordering: .relaxed) == 0)
            try db.close()
            let again = try Database(path: path, options: smallOptions())
            for t in 0..<8 { for i in 0..<500 { #expect(try again.get(b("t\(t)-\(i)")) == b("v\(t)-\(i)")) } }
        }
    }

    @Test func groupCommitJoinsSyncWriters() throws {
        try withTemporaryDirectory { dir in
            let opened = try openOverFaultInjection(in: dir)
            let (fs, db) = (opened.fs, opened.db)
            fs.resetCounts()
            let perThread = 50
            runConcurrently(threads: 8) { t in
                for i in 0..<perThread { try? db.put(b("t\(t)-\(i)"), b("v"), options: WriteOptions(sync: true)) }
            }
            let syncs = fs.count(of: .sync)
            // Every write is durable, yet writers shared fdatasyncs.
            #expect(syncs < 8 * perThread)
            #expect(syncs >= 1)
            for t in 0..<8 { for i in 0..<perThread { #expect(try db.get(b("t\(t)-\(i)")) == b("v")) } }
            try db.close()
        }
    }

    @Test func loneSyncedWriterAfterAGroupStillSyncsEveryPut() throws {
        try withTemporaryDirectory { dir in
            let opened = try openOverFaultInjection(in: dir)
            let (path, fs, o, db) = (opened.path, opened.fs, opened.options, opened.db)
            // After a burst of synced writers shared fdatasyncs, a lone synced writer gets one
            // fdatasync per put (never a sync skipped because a group just synced), none lost.
            runConcurrently(threads: 8) { t in
                for i in 0..<20 { try? db.put(b("t\(t)-\(i)"), b("v"), options: WriteOptions(sync: true)) }
            }
            fs.resetCounts()
            for i in 0..<30 { try db.put(b("lone-\(i)"), b("w"), options: WriteOptions(sync: true)) }
            #expect(fs.count(of: .sync) == 30)
            try db.close()
            let again = try Database(path: path, options: o)
            for i in 0..<30 { #expect(try again.get(b("lone-\(i)")) == b("w")) }
            for t in 0..<8 { for i in 0..<20 { #expect(try again.get(b("t\(t)-\(i)")) == b("v")) } }
            try again.close()
        }
    }

    @Test func secondOpenIsLocked() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/db")
            #expect(throws: SedimentError.locked(path: dir + "/db/LOCK")) { _ = try Database(path: dir + "/db") }
            try db.close()
            let again = try Database(path: dir + "/db")
            try again.close()
        }
    }

    /// How many of this process's open file descriptors point under `directory`
    /// (`/proc/self/fd`); other tests' files are elsewhere.
    static func openDescriptors(under directory: String) -> Int {
        guard let d = opendir("/proc/self/fd") else { return -1 }
        defer { closedir(d) }
        var count = 0
        var target = [CChar](repeating: 0, count: 4096)
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let n = readlink("/proc/self/fd/" + name, &target, target.count - 1)
            guard n > 0 else { continue }
            let link = String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if link.hasPrefix(directory + "/") { count += 1 }
        }
        return count
    }

    /// An open that fails part way (after the lock, the MANIFEST, the tables or some of the
    /// log replay) closes every file it opened and releases the lock: nothing under the
    /// directory stays open, and once the damage is undone the database opens with its data.
    @Test func failedOpensLeaveNoFileOpenAndReleaseTheLock() throws {
        try withTemporaryDirectory { dir in
            let fs = PosixFileSystem()
            let pristine = dir + "/pristine"
            var options = smallOptions()
            options.disableAutoCompactions = true
            do {
                let db = try Database(path: pristine, options: options)
                for t in 0..<3 {
                    for i in 0..<200 { try db.put(b("k\(t)-\(i)"), b(String(repeating: "v", count: 100))) }
                    try db.flush()
                }
                for i in 0..<200 { try db.put(b("log-\(i)"), b("in the log")) }
                #expect(Self.openDescriptors(under: pristine) > 0, "the count sees an open database's files")
                try db.close()
            }
            #expect(Self.openDescriptors(under: pristine) == 0)
            let names = try fs.children(of: pristine).filter { $0 != "LOCK" }
            let tables = names.filter { $0.hasSuffix(".sst") }.sorted()
            guard let manifest = names.first(where: { $0.hasPrefix("MANIFEST-") }),
                  let log = names.first(where: { $0.hasSuffix(".log") }), tables.count == 3 else {
                Issue.record("unexpected files \(names)")
                return
            }
            func flip(_ bytes: [UInt8], at offset: Int) -> [UInt8] { var c = bytes; c[offset] ^= 0x40; return c }
            let damages: [(String, String, ([UInt8]) -> [UInt8]?)] = [
                ("garbled CURRENT", "CURRENT", { _ in b("garbage\n") }),
                ("MANIFEST's first record", manifest, { flip($0, at: 12) }),
                ("a missing table", tables[1], { _ in nil }),
                ("a table's footer", tables[2], { flip($0, at: $0.count - 3) }),
                ("a log record, absolute consistency", log, { flip($0, at: $0.count / 2) }),
            ]
            for (what, file, damage) in damages {
                let path = dir + "/damaged"
                try fs.createDirectory(path)
                for name in names {
                    let bytes = try fs.readWholeFile(pristine + "/" + name)
                    guard let written = name == file ? damage(bytes) : bytes else { continue }
                    try fs.writeWholeFile(path + "/" + name, written, sync: false)
                }
                var o = options
                o.walRecoveryMode = .absoluteConsistency
                do {
                    _ = try Database(path: path, options: o)
                    Issue.record("\(what): opened")
                } catch let e as SedimentError {
                    #expect(e.description.contains(path), "\(what): \(e)")
                }
                #expect(Self.openDescriptors(under: path) == 0, "\(what): files left open")
                // Undo the damage: the lock is free and nothing was lost.
                try fs.writeWholeFile(path + "/" + file, fs.readWholeFile(pristine + "/" + file), sync: false)
                let db = try Database(path: path, options: o)
                #expect(try db.get(b("k1-7"))?.count == 100, "\(what)")
                #expect(try db.get(b("log-199")) == b("in the log"), "\(what)")
                try db.close()
                // Closed, though still referenced, the database holds nothing open.
                #expect(Self.openDescriptors(under: path) == 0)
                for name in try fs.children(of: path) { try fs.removeFile(path + "/" + name) }
                try fs.removeDirectory(path)
            }
        }
    }

    /// After close(), though the object is still referenced, nothing under the directory is
    /// open, and a property that reads tables (or a read racing close) opens them only for as
    /// long as it needs them.
    @Test func closeReleasesEveryFileWhileTheDatabaseIsStillReferenced() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let db = try Database(path: path, options: smallOptions())
            for i in 0..<2000 { try db.put(b("k\(i)"), b(String(repeating: "v", count: 50))) }
            try db.flush()
            #expect(try db.get(b("k1")) != nil)
            #expect(Self.openDescriptors(under: path) > 1, "a table and the log are open")
            try db.close()
            #expect(Self.openDescriptors(under: path) == 0)
            #expect(db.property("sediment.estimate-num-keys") == "2000")
            #expect(Self.openDescriptors(under: path) == 0)
            // The directory can go while the object lives on.
            try Database.destroy(path: path)
            #expect(!PosixFileSystem().fileExists(path))
        }
    }

    /// A failed IDENTITY write fails the open and leaves no IDENTITY, so the next open writes a
    /// whole one; an empty IDENTITY left by an older version is written again.
    @Test func identityIsWholeOrAbsent() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let fs = FaultInjectionFileSystem()
            var o = Options()
            o.fileSystem = fs
            fs.inject(.init(.sync, pathContains: "IDENTITY", error: .io(file: path + "/IDENTITY", errno: 5, message: "injected EIO"), times: 1))
            #expect(throws: SedimentError.self) { _ = try Database(path: path, options: o) }
            #expect(!fs.fileExists(path + "/IDENTITY"))
            try Database(path: path, options: o).close()
            let first = try fs.readWholeFile(path + "/IDENTITY")
            #expect(first.count == 36)
            try fs.writeWholeFile(path + "/IDENTITY", [])
            try Database(path: path, options: o).close()
            #expect(try fs.readWholeFile(path + "/IDENTITY").count == 36)
            // A whole IDENTITY is kept as it is.
            let second = try fs.readWholeFile(path + "/IDENTITY")
            try Database(path: path, options: o).close()
            #expect(try fs.readWholeFile(path + "/IDENTITY") == second)
        }
    }

    @Test func misuseGivesTypedErrors() throws {
        try withTemporaryDirectory { dir in
            var noCreate = Options()
            noCreate.createIfMissing = false
            #expect(throws: SedimentError.self) { _ = try Database(path: dir + "/missing", options: noCreate) }
            let db = try Database(path: dir + "/db")
            try db.close()
            var exclusive = Options()
            exclusive.errorIfExists = true
            #expect(throws: SedimentError.self) { _ = try Database(path: dir + "/db", options: exclusive) }
            // A file where the directory should be.
            try PosixFileSystem().writeWholeFile(dir + "/file", b("x"))
            do {
                _ = try Database(path: dir + "/file")
                Issue.record("opening a file as a database succeeded")
            } catch let error as SedimentError {
                #expect(error.description.contains(dir + "/file"))
            }
            // Use after close.
            #expect(throws: SedimentError.closed) { try db.put(b("a"), b("b")) }
            #expect(throws: SedimentError.closed) { _ = try db.get(b("a")) }
            try db.close() // idempotent
        }
    }

    /// L0 triggers out of order (a compaction trigger above the stop trigger, or a stop trigger
    /// of 0) are put in order at open, as RocksDB's SanitizeOptions does, instead of stopping
    /// every write at an L0 count that never triggers a compaction. The writes run on a thread
    /// with a deadline, so a regression fails the test instead of hanging it.
    @Test(arguments: [(50, 20, 36), (4, 20, 0), (0, 0, 0)])
    func outOfOrderLevel0TriggersNeverStopWrites(triggers: (Int, Int, Int)) throws {
        try withTemporaryDirectory { dir in
            var o = Options()
            o.writeBufferSize = 32 << 10
            (o.level0FileNumCompactionTrigger, o.level0SlowdownWritesTrigger, o.level0StopWritesTrigger) = triggers
            let db = try Database(path: dir + "/db", options: o)
            let done = Atomic<Bool>(false)
            let failure = Mutex<String?>(nil)
            runConcurrently(threads: 2) { t in
                if t == 0 {
                    do {
                        for i in 0..<45 {   // 45 flushes: past the default stop trigger of 36
                            for j in 0..<5 { try db.put(b("k\(i)-\(j)"), b("v\(i)")) }
                            try db.flush()
                        }
                    } catch { failure.withLock { $0 = "\(error)" } }
                    done.store(true, ordering: .releasing)
                } else {
                    var waited = 0
                    while !done.load(ordering: .acquiring) && waited < 120_000 { usleep(1000); waited += 1 }
                    // Unblocks a writer that is stopped for good: it gets .closed.
                    if !done.load(ordering: .acquiring) { try? db.close() }
                }
            }
            #expect(failure.withLock { $0 } == nil, "triggers \(triggers): \(failure.withLock { $0 } ?? "")")
            try? db.close()
            let reopened = try Database(path: dir + "/db", options: o)
            #expect(try reopened.get(b("k44-4")) == b("v44"))
            try reopened.close()
        }
    }

    /// "Unlimited" sizes (Int.max) run, lowered to RocksDB's bounds at open: the write buffer
    /// size plus the memtable's slack, and the target file size times 10 or 25 (the compaction
    /// picker's overlap limits), overflowed and trapped on the second put or first compaction.
    @Test func unlimitedWriteBufferAndTargetFileSizesRun() throws {
        try withTemporaryDirectory { dir in
            var o = Options()
            o.writeBufferSize = .max
            o.targetFileSizeBase = .max
            o.maxBytesForLevelBase = .max
            let db = try Database(path: dir + "/db", options: o)
            for i in 0..<20 {
                try db.put(b("k\(i % 7)"), b("v\(i)"))
                if i % 5 == 4 { try db.flush() }
            }
            try db.compactRange()
            #expect(try db.get(b("k6")) == b("v13"))
            try db.close()
            let reopened = try Database(path: dir + "/db", options: o)
            #expect(try reopened.get(b("k5")) == b("v19"))
            try reopened.close()
        }
    }

    /// Level-shape options no database can run with are refused by name at open; nothing is
    /// created. (A negative target file size trapped at the first compaction; more levels than
    /// a MANIFEST's level field is read with made a database that could not be reopened.)
    @Test(arguments: 0..<7)
    func impossibleLevelShapesAreRefused(variant: Int) throws {
        var o = Options()
        let option: String
        switch variant {
        case 0: (option, o.targetFileSizeBase) = ("targetFileSizeBase", -1)
        case 1: (option, o.targetFileSizeBase) = ("targetFileSizeBase", 0)
        case 2: (option, o.maxBytesForLevelBase) = ("maxBytesForLevelBase", -5)
        case 3: (option, o.maxBytesForLevelMultiplier) = ("maxBytesForLevelMultiplier", 0)
        case 4: (option, o.maxBytesForLevelMultiplier) = ("maxBytesForLevelMultiplier", .nan)
        case 5: (option, o.maxBytesForLevelMultiplier) = ("maxBytesForLevelMultiplier", .infinity)
        default: (option, o.numLevels) = ("numLevels", 65)
        }
        try withTemporaryDirectory { dir in
            do {
                _ = try Database(path: dir + "/db", options: o)
                Issue.record("\(option): opened")
            } catch let SedimentError.invalidArgument(message) {
                #expect(message.contains(option), "\(message)")
            }
            #expect(!PosixFileSystem().fileExists(dir + "/db"))
        }
    }

    /// Files whose names carry a number above Int64.max are not database files: they are left
    /// alone instead of being counted as used file numbers (UInt64.max + 1 overflowed and
    /// trapped in open and in repair) or replayed as logs.
    /// Creating a database makes its directory entry durable (the parent is fsynced) before
    /// any write can be acknowledged in it. When that fsync fails, the open fails with the
    /// error and leaves no directory behind (which a later open would take as already durable).
    @Test func failedParentSyncAtCreationCreatesNothing() throws {
        try withTemporaryDirectory { dir in
            let fs = FaultInjectionFileSystem()
            fs.inject(.init(.syncDirectory, pathContains: dir, error: .io(file: dir, errno: 5, message: "injected EIO"), times: 1))
            var o = Options()
            o.fileSystem = fs
            do {
                _ = try Database(path: dir + "/db/", options: o)
                Issue.record("open succeeded though the parent directory could not be synced")
            } catch SedimentError.io(let file, let code, _) {
                #expect(file == dir && code == 5)
            }
            #expect(!fs.fileExists(dir + "/db"))
            let db = try Database(path: dir + "/db/", options: o)
            try db.put(b("k"), b("v"), options: WriteOptions(sync: true))
            try db.close()
        }
    }

    @Test func parentDirectoryOfDatabasePaths() {
        let cases = [("db", "."), ("db/", "."), ("/db", "/"), ("/x/db", "/x"), ("/x/db//", "/x"), ("a//b", "a"), ("/", "/")]
        for (path, parent) in cases { #expect(DatabaseCore.parentDirectory(of: path) == parent, "\(path)") }
    }

    @Test func strayFilesWithHugeNumbersAreIgnored() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let db = try Database(path: path)
            try db.put(b("a"), b("1"))
            try db.close()
            let fs = PosixFileSystem()
            let strays = ["18446744073709551615.log", "18446744073709551614.dbtmp", "OPTIONS-18446744073709551615",
                          "9223372036854775808.sst", "MANIFEST-18446744073709551615"]
            for name in strays { try fs.writeWholeFile(path + "/" + name, []) }
            let reopened = try Database(path: path)
            #expect(try reopened.get(b("a")) == b("1"))
            try reopened.put(b("b"), b("2"))
            try reopened.flush()
            try reopened.close()
            try Database.repair(path: path)
            let repaired = try Database(path: path)
            #expect(try repaired.get(b("a")) == b("1"))
            #expect(try repaired.get(b("b")) == b("2"))
            try repaired.close()
            for name in strays { #expect(fs.fileExists(path + "/" + name), "\(name)") }
        }
    }

    /// A file in lost/ keeps its number: the open counts it as used (as repair does), so no new
    /// file takes it and a later move to lost/ can never land on it.
    @Test func numbersOfFilesInLostAreNeverReused() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let fs = PosixFileSystem()
            try Database(path: path).close()
            try fs.createDirectory(path + "/lost")
            try fs.writeWholeFile(path + "/lost/000100.sst", [1, 2, 3])
            let db = try Database(path: path)
            try db.put(b("a"), b("1"))
            try db.flush()
            try db.close()
            let numbers = try fs.children(of: path).compactMap { name -> UInt64? in
                guard let (kind, number) = FileNames.parse(name), [.table, .log, .manifest].contains(kind) else { return nil }
                return number
            }
            #expect(!numbers.isEmpty)
            for n in numbers { #expect(n > 100, "file number \(n) was handed out below a number in lost/") }
            #expect(try fs.readWholeFile(path + "/lost/000100.sst") == [1, 2, 3])
        }
    }

    /// A stray file numbered `Int64.max` is not counted: the numbers handed out after it would
    /// pass `Int64.max`, and a MANIFEST so numbered cannot be named by CURRENT (the next open
    /// failed). Such a number is above `FileNames.maxNumber`, so the file is left alone.
    @Test func aStrayFileAtTheLargestNumberDoesNotExhaustTheCounter() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let fs = PosixFileSystem()
            try Database(path: path).close()
            try fs.writeWholeFile(path + "/9223372036854775807.log", [])
            let db = try Database(path: path)
            try db.put(b("a"), b("1"))
            try db.flush()
            try db.close()
            let again = try Database(path: path)
            #expect(try again.get(b("a")) == b("1"))
            try again.close()
            #expect(fs.fileExists(path + "/9223372036854775807.log"))
        }
    }

    @Test func oversizedKeysAndBlockSizesAreRefusedWithNothingWritten() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let db = try Database(path: path)
            let longKey = [UInt8](repeating: 0x6B, count: Database.maxKeySize + 1)
            func expectRefusal(_ what: String, _ body: () throws -> Void) {
                do {
                    try body()
                    Issue.record("\(what) of an oversized key succeeded")
                } catch let SedimentError.invalidArgument(message) {
                    #expect(message.contains("\(what) refused") && message.contains("key of \(Database.maxKeySize + 1) bytes"), "\(message)")
                } catch {
                    Issue.record("\(what): \(error)")
                }
            }
            expectRefusal("put") { try db.put(longKey, b("v")) }
            expectRefusal("delete") { try db.delete(longKey) }
            var batch = WriteBatch()
            batch.put(b("before"), b("1"))
            batch.put(longKey, b("2"))
            expectRefusal("write batch") { try db.write(batch) }
            // The largest key is accepted and reads back from a table after a reopen.
            let largest = [UInt8](repeating: 0x6B, count: Database.maxKeySize)
            try db.put(largest, b("largest"))
            try db.flush()
            try db.close()
            let again = try Database(path: path)
            #expect(try again.get(b("before")) == nil, "a refused batch wrote part of itself")
            #expect(try again.get(largest) == b("largest"))
            #expect(try again.scan().map(\.key) == [largest])
            try again.close()
            // A block size over the limit is refused at open and by repair.
            var options = Options()
            options.blockSize = Options.maxBlockSize + 1
            #expect(throws: SedimentError.invalidArgument("blockSize \(Options.maxBlockSize + 1) is over the \(Options.maxBlockSize)-byte limit")) {
                _ = try Database(path: path, options: options)
            }
            #expect(throws: SedimentError.self) { try Database.repair(path: path, options: options) }
        }
    }

    /// A value far larger than a block, compressible (zeros) or not (noise), through the log, a
    /// flush, a compaction, a reopen, gets and a cursor. SEDIMENT_LARGE_VALUE_MIB sets its size
    /// (16 MiB; outside CI up to `Database.maxValueSize`: past 2 GiB no codec takes the block and
    /// it is stored as it is).
    @Test(arguments: [Compression.lz4, .zlib, .none], [false, true])
    func largeValuesRoundTripThroughEveryLayer(compression: Compression, compressible: Bool) throws {
        let mib = getenv("SEDIMENT_LARGE_VALUE_MIB").flatMap { Int(String(cString: $0)) } ?? 16
        let size = min(mib << 20, Database.maxValueSize)
        var value = [UInt8](repeating: 0, count: size)
        if !compressible {
            var rng = SeededRandom()
            value.withUnsafeMutableBytes { raw in
                for i in stride(from: 0, to: raw.count - 7, by: 8) {
                    raw.storeBytes(of: rng.next(), toByteOffset: i, as: UInt64.self)
                }
            }
        }
        // On disk: a memory-backed directory would hold the log and tables in RAM beside them.
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            var options = Options()
            options.compression = compression
            var db = try Database(path: path, options: options)
            try db.put(b("a"), b("small"))
            try db.put(b("v"), value)
            try db.put(b("z"), b("after"))
            func check(_ stage: String) throws {
                #expect(try db.get(b("v")) == value, "\(stage)")
                #expect(try db.scan().map(\.value.count) == [5, size, 5], "\(stage)")
            }
            try check("memtable")
            try db.flush()
            try check("flushed")
            try db.compactRange()
            try check("compacted")
            try db.close()
            db = try Database(path: path, options: options)
            try check("reopened")
            try db.verifyChecksums()
            try db.close()
        }
    }

    @Test func garbledCurrentAndMissingTableAreCorruption() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let fs = PosixFileSystem()
            let db = try Database(path: path)
            try db.put(b("a"), b("1"))
            try db.flush()
            try db.close()
            let current = try fs.readWholeFile(path + "/CURRENT")
            try fs.writeWholeFile(path + "/CURRENT", b("garbage\n"))
            do { _ = try Database(path: path); Issue.record("garbled CURRENT opened") } catch let e as SedimentError {
                #expect(e.description.contains(path))
            }
            try fs.writeWholeFile(path + "/CURRENT", current)
            let tables = try fs.children(of: path).filter { $0.hasSuffix(".sst") }
            #expect(!tables.isEmpty)
            for t in tables { try fs.removeFile(path + "/" + t) }
            do { _ = try Database(path: path); Issue.record("missing table opened") } catch let e as SedimentError {
                guard case .corruption(let file, _, _) = e else { Issue.record("wrong error \(e)"); return }
                #expect(file.hasSuffix(".sst"))
            }
        }
    }

    @Test func destroyRemovesEverything() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/db")
            try db.put(b("a"), b("1"))
            #expect(throws: SedimentError.self) { try Database.destroy(path: dir + "/db") }
            try db.close()
            try Database.destroy(path: dir + "/db")
            #expect(!PosixFileSystem().fileExists(dir + "/db"))
        }
    }

    @Test func sequenceNumbersNeverGoBackwards() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            var last: UInt64 = 0
            for round in 0..<3 {
                let db = try Database(path: path)
                let before = UInt64(db.property("sediment.last-sequence") ?? "0") ?? 0
                #expect(before >= last)
                for i in 0..<10 { try db.put(b("k\(i)"), b("r\(round)")) }
                if round == 1 { try db.flush() }
                last = UInt64(db.property("sediment.last-sequence") ?? "0") ?? 0
                #expect(last == before + 10)
                try db.close()
            }
        }
    }

    /// A snapshot belongs to the database that made it: another database, or the same path
    /// reopened, refuses it (its sequence means nothing there) instead of reading at it.
    @Test func snapshotFromAnotherDatabaseIsRefused() throws {
        try withTemporaryDirectory { dir in
            let first = try Database(path: dir + "/a")
            try first.put(b("k"), b("v1"))
            let snap = first.snapshot()
            try first.put(b("k"), b("v2"))
            try first.close()
            let reopened = try Database(path: dir + "/a")
            let other = try Database(path: dir + "/b")
            for db in [reopened, other] {
                let o = ReadOptions(snapshot: snap)
                #expect(throws: SedimentError.self) { _ = try db.get(b("k"), options: o) }
                var value: [UInt8] = []
                #expect(throws: SedimentError.self) { _ = try db.get(b("k"), into: &value, options: o) }
                #expect(throws: SedimentError.self) { _ = try db.cursor(options: o) }
                #expect(throws: SedimentError.self) { _ = try db.scan(options: o) }
                do {
                    _ = try db.get(b("k"), options: o)
                } catch let error {
                    guard case .invalidArgument(let message) = error as? SedimentError else {
                        Issue.record("expected .invalidArgument, got \(error)"); continue
                    }
                    #expect(message.contains("another Database"))
                }
            }
            #expect(try reopened.get(b("k")) == b("v2"))
            let own = reopened.snapshot()
            #expect(try reopened.get(b("k"), options: ReadOptions(snapshot: own)) == b("v2"))
            try reopened.close()
            try other.close()
        }
    }

    @Test func snapshotReadsOldValues() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/db")
            try db.put(b("a"), b("old"))
            let snap = db.snapshot()
            try db.put(b("a"), b("new"))
            try db.delete(b("a"))
            #expect(try db.get(b("a"), options: ReadOptions(snapshot: snap)) == b("old"))
            try db.flush()
            #expect(try db.get(b("a"), options: ReadOptions(snapshot: snap)) == b("old"))
            #expect(try db.get(b("a")) == nil)
            try db.close()
        }
    }
}
