// RecoveryTests: damaged logs in every WALRecoveryMode, power loss (drop-unsynced), and log
// write failures turning the database read-only without losing acknowledged writes.
import Testing
import Glibc
import Synchronization
@testable import Sediment
import SedimentTestSupport

@Suite struct RecoveryTests {
    /// Writes key0..key9 (one log record each, 32 bytes apiece) and returns the log's path.
    func writeTenRecords(_ path: String, options: Options = Options()) throws -> String {
        let db = try Database(path: path, options: options)
        for i in 0..<10 { try db.put(b("key\(i)"), b("value\(i)")) }
        try db.close()
        let logs = try PosixFileSystem().children(of: path).filter { $0.hasSuffix(".log") }.sorted()
        guard let last = logs.last else { throw TestSupportError("no log in \(path)") }
        let size = try PosixFileSystem().fileSize(path + "/" + last)
        #expect(size == 320)
        return path + "/" + last
    }

    func damage(_ file: String, _ change: (inout [UInt8]) -> Void) throws {
        let fs = PosixFileSystem()
        var bytes = try fs.readWholeFile(file)
        change(&bytes)
        try fs.writeWholeFile(file, bytes)
    }

    /// Gives record `index` of a log from `writeTenRecords` (32 bytes each) the batch sequence
    /// `sequence`, with a valid checksum.
    func setSequence(ofRecord index: Int, in log: String, to sequence: UInt64) throws {
        try damage(log) { bytes in
            let record = index * 32
            for i in 0..<8 { bytes[record + 7 + i] = UInt8(truncatingIfNeeded: sequence >> (8 * UInt64(i))) }
            let crc = Array(bytes[record + 6..<record + 32]).withUnsafeBytes { payloadAndType in
                RecordFormat.checksum(type: payloadAndType[0], payload: UnsafeRawBufferPointer(rebasing: payloadAndType[1...]))
            }
            for i in 0..<4 { bytes[record + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        }
    }

    /// A database whose last sequence is near 2^56 - 1 (a foreign or crafted log, which recovery
    /// accepts while its numbers fit): writes that still fit are applied, one that would be
    /// numbered past the largest is refused with nothing applied, instead of wrapping to 0 and
    /// being stored as the oldest version of its key.
    @Test func writesPastTheLargestSequenceNumberAreRefused() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let log = try writeTenRecords(path)
            try setSequence(ofRecord: 9, in: log, to: (1 << 56) - 3)
            let db = try Database(path: path)
            #expect(try db.get(b("key9")) == b("value9"))
            try db.put(b("key9"), b("newer"))
            #expect(try db.get(b("key9")) == b("newer"))
            var batch = WriteBatch()
            batch.put(b("x"), b("1"))
            batch.put(b("key9"), b("wrapped"))
            do {
                try db.write(batch)
                Issue.record("a batch numbered past 2^56 - 1 was accepted")
            } catch SedimentError.notSupported(let feature, let file) {
                #expect(feature.contains("largest sequence number"), "\(feature)")
                #expect(file == path)
            }
            #expect(try db.get(b("x")) == nil)
            try db.put(b("last"), b("fits"))
            #expect(throws: SedimentError.self) { try db.put(b("y"), b("2")) }
            // None left: even an empty synced batch (a barrier) is refused; its record would
            // carry sequence 2^56, which the next open rejects as damage.
            #expect(throws: SedimentError.self) { try db.write(WriteBatch(), options: WriteOptions(sync: true)) }
            #expect(try db.get(b("key9")) == b("newer"))
            try db.close()
            var strict = Options()
            strict.walRecoveryMode = .absoluteConsistency
            let again = try Database(path: path, options: strict)
            #expect(try again.get(b("key9")) == b("newer"))
            #expect(try again.get(b("last")) == b("fits"))
            #expect(try again.get(b("x")) == nil)
            try again.close()
        }
    }

    func present(_ path: String, mode: WALRecoveryMode) throws -> [Int] {
        var o = Options()
        o.walRecoveryMode = mode
        let db = try Database(path: path, options: o)
        defer { try? db.close() }
        return try (0..<10).filter { try db.get(b("key\($0)")) == b("value\($0)") }
    }

    static let modes: [WALRecoveryMode] = [.pointInTime, .tolerateCorruptedTailRecords, .absoluteConsistency, .skipAnyCorruptedRecords]

    @Test(arguments: modes)
    func tornLastRecord(mode: WALRecoveryMode) throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let log = try writeTenRecords(path)
            try damage(log) { $0.removeLast(5) }
            if mode == .absoluteConsistency {
                do { _ = try present(path, mode: mode); Issue.record("absoluteConsistency accepted a torn tail") } catch let e as SedimentError {
                    guard case .corruption(let file, _, _) = e else { Issue.record("wrong error \(e)"); return }
                    #expect(file == log)
                }
            } else {
                #expect(try present(path, mode: mode) == Array(0..<9))
            }
        }
    }

    @Test(arguments: modes)
    func corruptedMiddleRecord(mode: WALRecoveryMode) throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let log = try writeTenRecords(path)
            try damage(log) { $0[4 * 32 + 7 + 15] ^= 0x55 }
            switch mode {
            case .pointInTime:
                #expect(try present(path, mode: mode) == Array(0..<4))
            case .skipAnyCorruptedRecords:
                // As RocksDB: a bad checksum drops the rest of its 32 KiB block (the length may be
                // what was damaged); everything before the damage is kept.
                #expect(try present(path, mode: mode) == Array(0..<4))
            case .tolerateCorruptedTailRecords, .absoluteConsistency:
                do { _ = try present(path, mode: mode); Issue.record("\(mode) accepted mid-log damage") } catch let e as SedimentError {
                    guard case .corruption(let file, let offset, _) = e else { Issue.record("wrong error \(e)"); return }
                    #expect(file == log)
                    #expect(offset != nil)
                }
            }
        }
    }

    /// A record with a good checksum whose batch numbers its operations past 2^56 - 1 (here
    /// from UInt64.max, where numbering them overflowed and trapped) is damage at that record:
    /// what came before it is kept, in every mode that keeps anything.
    @Test(arguments: modes)
    func batchSequencePastTheLargestIsDamage(mode: WALRecoveryMode) throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let log = try writeTenRecords(path)
            try setSequence(ofRecord: 5, in: log, to: .max)
            switch mode {
            case .pointInTime:
                #expect(try present(path, mode: mode) == Array(0..<5))
            case .skipAnyCorruptedRecords:
                #expect(try present(path, mode: mode) == [0, 1, 2, 3, 4, 6, 7, 8, 9])
            case .tolerateCorruptedTailRecords, .absoluteConsistency:
                do { _ = try present(path, mode: mode); Issue.record("\(mode) accepted the batch") } catch let e as SedimentError {
                    guard case .corruption(let file, _, let message) = e else { Issue.record("wrong error \(e)"); return }
                    #expect(file == log)
                    #expect(message.contains("sequence"))
                }
            }
        }
    }

    /// pointInTime keeps what precedes the damage and replays no later log; the damaged log and
    /// the later one are not deleted but moved, as they were, to lost/ (where Database.repair
    /// can salvage them).
    @Test func pointInTimeMovesTheLogsItDidNotReplayToLost() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let fs = PosixFileSystem()
            let number = try damagedLogFollowedByAnother(path)
            let log = FileNames.log(path, number)
            let damagedBytes = try fs.readWholeFile(log)
            let laterBytes = try fs.readWholeFile(FileNames.log(path, number + 1))

            #expect(try present(path, mode: .pointInTime) == Array(0..<4))
            let db = try Database(path: path)
            #expect(try db.get(b("k")) == nil)
            try db.close()
            #expect(!fs.fileExists(log) && !fs.fileExists(FileNames.log(path, number + 1)))
            #expect(try fs.readWholeFile(FileNames.log(path + "/lost", number)) == damagedBytes)
            #expect(try fs.readWholeFile(FileNames.log(path + "/lost", number + 1)) == laterBytes)
        }
    }

    /// Writes ten records, damages record 4 and adds a later log (as after a memtable switch)
    /// holding `k = old` at sequence 11; returns the damaged log's number.
    func damagedLogFollowedByAnother(_ path: String) throws -> UInt64 {
        let log = try writeTenRecords(path)
        try damage(log) { $0[4 * 32 + 7 + 15] ^= 0x55 }
        guard let slash = log.lastIndex(of: "/"), let (_, number) = FileNames.parse(String(log[log.index(after: slash)...])) else {
            throw TestSupportError("log name \(log)")
        }
        let later = try WriteAheadLog.create(fileSystem: PosixFileSystem(), directory: path, number: number + 1)
        var batch = WriteBatch()
        batch.put(b("k"), b("old"))
        batch.sequence = 11
        try later.append(batch.rep)
        try later.close()
        return number
    }

    /// Writes after a `.pointInTime` stop are numbered after every batch in the logs moved to
    /// lost/: salvaging those logs with repair (DESIGN §8) must never let their older values
    /// shadow a newer write.
    @Test func writesAfterAPointInTimeStopAreNewerThanTheLostLogs() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let fs = PosixFileSystem()
            let number = try damagedLogFollowedByAnother(path)
            let db = try Database(path: path)
            #expect(try db.get(b("k")) == nil)
            try db.put(b("k"), b("new"))
            try db.close()
            try fs.rename(FileNames.log(path + "/lost", number + 1), to: FileNames.log(path, number + 1))
            try Database.repair(path: path)
            let repaired = try Database(path: path)
            defer { try? repaired.close() }
            #expect(try repaired.get(b("k")) == b("new"))
            for i in 0..<4 { #expect(try repaired.get(b("key\(i)")) == b("value\(i)")) }
        }
    }

    /// A log that cannot be moved to lost/ fails the open and nothing is recorded: the logs stay
    /// where they were, and the next open stops at the same damage and moves them.
    @Test func failedMoveToLostFailsTheOpenAndKeepsTheLogs() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let posix = PosixFileSystem()
            let number = try damagedLogFollowedByAnother(path)
            let damaged = try posix.readWholeFile(FileNames.log(path, number))
            let fs = FaultInjectionFileSystem()
            fs.inject(.init(.rename, pathContains: FileNames.padded(number) + ".log",
                            error: .io(file: "rename", errno: 5, message: "injected"), times: 1))
            var o = Options()
            o.fileSystem = fs
            #expect(throws: SedimentError.io(file: "rename", errno: 5, message: "injected")) {
                try Database(path: path, options: o)
            }
            #expect(try posix.readWholeFile(FileNames.log(path, number)) == damaged)
            #expect(posix.fileExists(FileNames.log(path, number + 1)) || posix.fileExists(FileNames.log(path + "/lost", number + 1)))
            let db = try Database(path: path, options: o)
            #expect(try db.get(b("key3")) == b("value3"))
            #expect(try db.get(b("key4")) == nil)
            try db.close()
            #expect(try posix.readWholeFile(FileNames.log(path + "/lost", number)) == damaged)
            #expect(posix.fileExists(FileNames.log(path + "/lost", number + 1)))
        }
    }

    /// A database whose MANIFEST ends in a torn edit and a table no edit names (what the torn
    /// edit described); returns the table's path.
    func tornManifestWithUnnamedTable(_ path: String) throws -> String {
        let fs = PosixFileSystem()
        var o = Options()
        o.disableAutoCompactions = true
        let db = try Database(path: path, options: o)
        try db.put(b("a"), b("1"))
        try db.flush()
        try db.close()
        guard let table = try fs.children(of: path).first(where: { $0.hasSuffix(".sst") }) else {
            throw TestSupportError("no table in \(path)")
        }
        let unnamed = FileNames.table(path, 900)
        try fs.writeWholeFile(unnamed, try fs.readWholeFile(path + "/" + table))
        let manifest = path + "/" + String(decoding: try fs.readWholeFile(FileNames.current(path)).dropLast(), as: UTF8.self)
        try fs.writeWholeFile(manifest, try fs.readWholeFile(manifest) + [0x11, 0x22, 0x33])
        return unnamed
    }

    /// After a torn MANIFEST edit, a table no edit names moves to lost/ and the move survives
    /// power loss (both directories synced).
    @Test func tableOfATornManifestEditMovesToLostDurably() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let posix = PosixFileSystem()
            let unnamed = try tornManifestWithUnnamedTable(path)
            let bytes = try posix.readWholeFile(unnamed)
            let fs = FaultInjectionFileSystem()
            var o = Options()
            o.fileSystem = fs
            let db = try Database(path: path, options: o)
            #expect(try db.get(b("a")) == b("1"))
            try db.close()
            try fs.dropUnsyncedData()
            #expect(!posix.fileExists(unnamed))
            #expect(try posix.readWholeFile(path + "/lost/000900.sst") == bytes)
        }
    }

    /// After a torn MANIFEST edit, a table that cannot be moved to lost/ fails the open and is
    /// kept, also through an open that fails later for another reason; a later open moves it.
    @Test func tableOfATornManifestEditIsNeverDeleted() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let posix = PosixFileSystem()
            let unnamed = try tornManifestWithUnnamedTable(path)
            let fs = FaultInjectionFileSystem()
            var o = Options()
            o.fileSystem = fs
            fs.inject(.init(.createDirectory, pathContains: "/lost", error: .noSpace(file: "lost", message: "injected"), times: 1))
            #expect(throws: SedimentError.noSpace(file: "lost", message: "injected")) { try Database(path: path, options: o) }
            #expect(posix.fileExists(unnamed))
            // An open that fails after recovery (IDENTITY cannot be written).
            try posix.removeFile(FileNames.identity(path))
            fs.inject(.init(.create, pathContains: "IDENTITY", error: .io(file: "IDENTITY", errno: 5, message: "injected"), times: 1))
            #expect(throws: SedimentError.self) { try Database(path: path, options: o) }
            #expect(posix.fileExists(unnamed) || posix.fileExists(path + "/lost/000900.sst"))
            let db = try Database(path: path, options: o)
            #expect(try db.get(b("a")) == b("1"))
            try db.close()
            #expect(posix.fileExists(path + "/lost/000900.sst"))
        }
    }

    /// An empty batch written with sync syncs the log, so every write acknowledged before it
    /// survives power loss (a barrier, as in RocksDB).
    @Test func syncedEmptyBatchMakesEarlierWritesDurable() throws {
        try withTemporaryDirectory { dir in
            let (path, fs, o, db) = try openWithFaultInjection(dir)
            for i in 0..<20 { try db.put(b("k\(i)"), b("v\(i)")) }
            let syncs = fs.count(of: .sync)
            try db.write(WriteBatch(), options: WriteOptions(sync: true))
            #expect(fs.count(of: .sync) == syncs + 1)
            fs.freeze()
            try? db.close()
            try fs.dropUnsyncedData()
            fs.thaw()
            let again = try Database(path: path, options: o)
            for i in 0..<20 { #expect(try again.get(b("k\(i)")) == b("v\(i)"), "k\(i)") }
            try again.close()
        }
    }

    /// `sync` with `disableWAL` cannot be honoured (no log to sync): every kind of write refuses
    /// it with `.invalidArgument`, as RocksDB does, and writes nothing.
    @Test func syncWithoutTheLogIsRefused() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/db")
            let both = WriteOptions(sync: true, disableWAL: true)
            var batch = WriteBatch()
            batch.put(b("c"), b("3"))
            let attempts: [() throws -> Void] = [
                { try db.put(b("a"), b("1"), options: both) },
                { try db.delete(b("a"), options: both) },
                { try db.write(batch, options: both) },
                { try db.write(WriteBatch(), options: both) },
            ]
            for attempt in attempts {
                do {
                    try attempt()
                    Issue.record("a synced write without the log was accepted")
                } catch SedimentError.invalidArgument(let message) {
                    #expect(message.contains("disableWAL"))
                }
            }
            #expect(try db.get(b("a")) == nil)
            #expect(try db.get(b("c")) == nil)
            try db.put(b("a"), b("1"), options: WriteOptions(disableWAL: true))
            #expect(try db.get(b("a")) == b("1"))
            try db.close()
        }
    }

    /// Writes made with `disableWAL` are in no log: a clean close flushes them (RocksDB does,
    /// unless avoid_flush_during_shutdown), so a deleted key does not come back and the reopened
    /// database holds every acknowledged write.
    @Test func closeFlushesWritesMadeWithoutTheLog() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let db = try Database(path: path)
            try db.put(b("k"), b("v1"))
            try db.delete(b("k"), options: WriteOptions(disableWAL: true))
            try db.put(b("u"), b("unlogged"), options: WriteOptions(disableWAL: true))
            try db.put(b("x"), b("1"), options: WriteOptions(sync: true))
            try db.close()
            let again = try Database(path: path)
            #expect(try again.get(b("k")) == nil)
            #expect(try again.get(b("u")) == b("unlogged"))
            #expect(try again.get(b("x")) == b("1"))
            try again.close()
        }
    }

    /// When that flush fails, `close` still closes (the LOCK is released) and says so with
    /// `.readOnly` naming what was lost, instead of returning as if nothing happened.
    @Test func closeReportsAFailedFlushOfUnloggedWrites() throws {
        try withTemporaryDirectory { dir in
            let (path, fs, options, db) = try openWithFaultInjection(dir)
            try db.put(b("a"), b("logged"))
            try db.put(b("b"), b("unlogged"), options: WriteOptions(disableWAL: true))
            fs.inject(.init(.append, pathContains: ".sst",
                            error: .noSpace(file: ".sst", message: "injected"), times: nil))
            do {
                try db.close()
                Issue.record("close reported success though the unlogged write was not flushed")
            } catch SedimentError.readOnly(let message) {
                #expect(message.contains("disableWAL"), "\(message)")
            }
            fs.clearFaults()
            let again = try Database(path: path, options: options)
            #expect(try again.get(b("a")) == b("logged"))
            try again.close()
        }
    }

    /// `close()` after a `disableWAL` write that a flush already put in a table, with level 0 at
    /// the stop trigger and every compaction failing with `.noSpace` (retried, no background
    /// error): nothing is left to flush, so close returns at once, as without the write (it
    /// used to wait on the stop trigger until a compaction succeeded, forever here).
    /// - Returns: seconds close took, capped near 5 (the faults are then cleared).
    func closeTimeWithLevel0Stopped(unlogged: Bool) throws -> Double {
        try withTemporaryDirectory { dir in
            let fs = FaultInjectionFileSystem()
            var o = Options()
            o.fileSystem = fs
            o.level0FileNumCompactionTrigger = 2
            o.level0SlowdownWritesTrigger = 3
            o.level0StopWritesTrigger = 3
            let db = try Database(path: dir + "/db", options: o)
            fs.inject(.init(.openForReading, pathContains: ".sst", error: .noSpace(file: ".sst", message: "injected"), times: nil))
            try db.put(b("k0"), b("v"), options: WriteOptions(disableWAL: unlogged))
            try db.flush()
            for i in 1...2 {
                try db.put(b("k\(i)"), b("v"))
                try db.flush()
            }
            #expect(db.property("sediment.num-files-at-level0") == "3")
            let done = Atomic<Bool>(false)
            let start = Clock.nanoseconds()
            let took = Atomic<Int>(0)
            runConcurrently(threads: 2) { i in
                if i == 0 {
                    #expect(throws: Never.self) { try db.close() }
                    took.store(Int(Clock.nanoseconds() - start), ordering: .relaxed)
                    done.store(true, ordering: .releasing)
                } else {
                    var waited = 0
                    while !done.load(ordering: .acquiring) && waited < 50 {
                        usleep(100_000)
                        waited += 1
                    }
                    fs.clearFaults()
                }
            }
            return Double(took.load(ordering: .relaxed)) / 1e9
        }
    }

    @Test func closeDoesNotWaitForCompactionsWhenNothingUnloggedIsLeft() throws {
        #expect(try closeTimeWithLevel0Stopped(unlogged: false) < 2)
        #expect(try closeTimeWithLevel0Stopped(unlogged: true) < 2, "close waited on the level-0 stop trigger with nothing to flush")
    }

    /// A `disableWAL` write already flushed, then a background error: `close()` has nothing
    /// unlogged to lose and does not claim it did.
    @Test func closeAfterFlushedUnloggedWritesAndABackgroundErrorClaimsNoLoss() throws {
        try withTemporaryDirectory { dir in
            let fs = FaultInjectionFileSystem()
            var o = Options()
            o.fileSystem = fs
            o.level0FileNumCompactionTrigger = 2
            let path = dir + "/db"
            let db = try Database(path: path, options: o)
            fs.inject(.init(.openForReading, pathContains: ".sst", error: .io(file: ".sst", errno: 5, message: "injected"), times: 1))
            try db.put(b("u"), b("unlogged"), options: WriteOptions(disableWAL: true))
            try db.flush()
            try db.put(b("x"), b("1"))
            try db.flush()
            #expect(throws: SedimentError.self) { try db.waitForCompactions() }
            #expect(throws: Never.self) { try db.close() }
            fs.clearFaults()
            let again = try Database(path: path, options: o)
            #expect(try again.get(b("u")) == b("unlogged"))
            try again.close()
        }
    }

    @Test func recoveredStateSurvivesAnotherReopen() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let log = try writeTenRecords(path)
            try damage(log) { $0.removeLast(5) }
            #expect(try present(path, mode: .pointInTime) == Array(0..<9))
            let db = try Database(path: path)
            try db.put(b("after"), b("recovery"))
            try db.close()
            let again = try Database(path: path)
            #expect(try again.get(b("after")) == b("recovery"))
            #expect(try again.get(b("key8")) == b("value8"))
            try again.close()
        }
    }

    /// A fresh database in `dir`/db over a new fault-injecting file system, with the options
    /// used to open it (so a test can reopen with the same ones).
    func openWithFaultInjection(_ dir: String, _ configure: (inout Options) -> Void = { _ in })
        throws -> (path: String, fs: FaultInjectionFileSystem, options: Options, db: Database) {
        let opened = try openOverFaultInjection(in: dir, configure)
        return (opened.path, opened.fs, opened.options, opened.db)
    }

    @Test func dropUnsyncedKeepsEverySyncedWrite() throws {
        try withTemporaryDirectory { dir in
            let (path, fs, o, db) = try openWithFaultInjection(dir) { $0.writeBufferSize = 32 << 10 }
            for i in 0..<300 {
                try db.put(b("s\(i)"), [UInt8](repeating: UInt8(i & 0xFF), count: 200), options: WriteOptions(sync: true))
                try db.put(b("u\(i)"), b("unsynced"))
            }
            // Power loss with the database still open: nothing more reaches the disk, then
            // everything never synced is lost.
            fs.freeze()
            try? db.close()
            try fs.dropUnsyncedData()
            fs.thaw()
            let again = try Database(path: path, options: o)
            for i in 0..<300 {
                #expect(try again.get(b("s\(i)")) == [UInt8](repeating: UInt8(i & 0xFF), count: 200), "synced write s\(i)")
            }
            try again.close()
        }
    }

    @Test func logWriteFailureMakesDatabaseReadOnly() throws {
        try withTemporaryDirectory { dir in
            let (path, fs, o, db) = try openWithFaultInjection(dir)
            try db.put(b("before"), b("1"), options: WriteOptions(sync: true))
            fs.inject(.init(.sync, pathContains: ".log", error: .io(file: "log", errno: 5, message: "injected EIO"), times: 1))
            #expect(throws: SedimentError.self) { try db.put(b("failed"), b("2"), options: WriteOptions(sync: true)) }
            do { try db.put(b("later"), b("3")); Issue.record("write after a failed sync succeeded") } catch let e as SedimentError {
                guard case .readOnly = e else { Issue.record("expected readOnly, got \(e)"); return }
            }
            #expect(try db.get(b("before")) == b("1"))
            try db.close()
            let again = try Database(path: path, options: o)
            #expect(try again.get(b("before")) == b("1"))
            #expect(try again.get(b("later")) == nil)
            try again.close()
        }
    }

    @Test func flushFailureKeepsTheLogAndLosesNothing() throws {
        try withTemporaryDirectory { dir in
            let (path, fs, o, db) = try openWithFaultInjection(dir)
            for i in 0..<100 { try db.put(b("k\(i)"), b("v\(i)")) }
            fs.inject(.init(.append, pathContains: ".sst", error: .noSpace(file: "sst", message: "injected ENOSPC"), times: 1))
            #expect(throws: SedimentError.self) { try db.flush() }
            #expect(try db.get(b("k5")) == b("v5"))
            try db.close()
            fs.clearFaults()
            let names = try fs.children(of: path)
            #expect(names.filter { $0.hasSuffix(".sst") }.isEmpty, "partial table removed: \(names)")
            let again = try Database(path: path, options: o)
            for i in 0..<100 { #expect(try again.get(b("k\(i)")) == b("v\(i)")) }
            try again.close()
        }
    }
}
