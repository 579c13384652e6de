// RepairTests: Database.repair (RocksDB's RepairDB semantics) on damaged databases: a missing
// CURRENT, a missing or garbled MANIFEST, data only in a log, a damaged table (moved to lost/),
// a healthy database (nothing lost), tables level 0 alone would order wrongly, an I/O error at
// every step of a repair (a second repair still recovers everything), and the errors.
import Testing
@testable import Sediment
import SedimentTestSupport

@Suite struct RepairTests {
    let fs = PosixFileSystem()

    /// Options that keep every table where the test put it.
    var quiet: Options {
        var o = Options()
        o.disableAutoCompactions = true
        return o
    }

    /// Every key and value a full scan shows.
    func contents(_ path: String) throws -> [String: String] {
        let db = try Database(path: path)
        defer { try? db.close() }
        var out: [String: String] = [:]
        for (k, v) in try db.scan() { out[String(decoding: k, as: UTF8.self)] = String(decoding: v, as: UTF8.self) }
        for (k, v) in out { #expect(try db.get(b(k)) == b(v), "get disagrees with scan for \(k)") }
        return out
    }

    /// A database with tables on several levels, overwrites, deletes and unflushed writes.
    /// - Parameter leavingObsoleteLog: put the first log back after close, as a failed unlink
    ///   would leave it (its values are the first ones, which later writes overwrite or delete),
    ///   and compact after the overwrites, so that salvaging that log would bring v1 back.
    /// - Returns: what it should hold.
    func populate(_ path: String, leavingObsoleteLog: Bool = false) throws -> [String: String] {
        var model: [String: String] = [:]
        let db = try Database(path: path, options: quiet)
        var firstLog: (name: String, bytes: [UInt8])?
        defer {
            try? db.close()
            if let firstLog { try? fs.writeWholeFile(path + "/" + firstLog.name, firstLog.bytes) }
        }
        func put(_ k: String, _ v: String) throws {
            try db.put(b(k), b(v))
            model[k] = v
        }
        for i in 0..<200 { try put("key\(1000 + i)", "v1-\(i)") }
        if leavingObsoleteLog, let log = try names(path).first(where: { $0.hasSuffix(".log") }) {
            try db.put(b("key1000"), b("v1-0"), options: WriteOptions(sync: true))
            firstLog = (log, try fs.readWholeFile(path + "/" + log))
        }
        try db.flush()
        try db.compactRange()
        for i in stride(from: 0, to: 200, by: 3) { try put("key\(1000 + i)", "v2-\(i)") }
        try db.flush()
        // Settles v2 as `k#0`, which the obsolete log's v1 entries would shadow if salvaged.
        if leavingObsoleteLog { try db.compactRange() }
        for i in stride(from: 0, to: 200, by: 7) {
            try db.delete(b("key\(1000 + i)"))
            model["key\(1000 + i)"] = nil
        }
        var batch = WriteBatch()
        for i in 200..<220 {
            batch.put(b("key\(1000 + i)"), b("batch-\(i)"))
            model["key\(1000 + i)"] = "batch-\(i)"
        }
        try db.write(batch)
        try put("key1001", "newest")
        return model
    }

    func names(_ path: String) throws -> [String] { try fs.children(of: path).sorted() }

    /// The path of the MANIFEST that CURRENT in `path` names.
    func currentManifest(_ path: String) throws -> String {
        path + "/" + String(decoding: try fs.readWholeFile(FileNames.current(path)).dropLast(), as: UTF8.self)
    }

    @Test func healthyDatabaseKeepsEverything() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let model = try populate(path)
            try Database.repair(path: path)
            #expect(try contents(path) == model)
            // Repairing twice changes nothing either.
            try Database.repair(path: path)
            #expect(try contents(path) == model)
        }
    }

    @Test func missingCurrent() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let model = try populate(path)
            try fs.removeFile(FileNames.current(path))
            #expect(throws: SedimentError.self) { try Database(path: path) }
            try Database.repair(path: path)
            #expect(try contents(path) == model)
        }
    }

    @Test(arguments: ["delete", "garble", "truncate"])
    func damagedManifest(how: String) throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let model = try populate(path)
            for name in try names(path) where name.hasPrefix("MANIFEST-") {
                let file = path + "/" + name
                switch how {
                case "delete": try fs.removeFile(file)
                case "garble":
                    var bytes = try fs.readWholeFile(file)
                    for i in stride(from: 0, to: bytes.count, by: 5) { bytes[i] ^= 0x5A }
                    try fs.writeWholeFile(file, bytes)
                default: try fs.writeWholeFile(file, Array(try fs.readWholeFile(file).prefix(9)))
                }
            }
            #expect(throws: SedimentError.self) { try Database(path: path) }
            try Database.repair(path: path)
            #expect(try contents(path) == model)
            let lost = try names(path + "/lost")
            if how != "delete" { #expect(lost.contains { $0.hasPrefix("MANIFEST-") }) }
        }
    }

    @Test func dataOnlyInALog() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            var model: [String: String] = [:]
            do {
                let db = try Database(path: path)
                for i in 0..<50 {
                    try db.put(b("k\(i)"), b("v\(i)"))
                    model["k\(i)"] = "v\(i)"
                }
                try db.delete(b("k7"))
                model["k7"] = nil
                try db.close()
            }
            for name in try names(path) where name == "CURRENT" || name.hasPrefix("MANIFEST-") {
                try fs.removeFile(path + "/" + name)
            }
            #expect(try names(path).contains { $0.hasSuffix(".log") })
            #expect(!(try names(path).contains { $0.hasSuffix(".sst") }))
            try Database.repair(path: path)
            #expect(try names(path + "/lost").contains { $0.hasSuffix(".log") })
            #expect(try contents(path) == model)
            // Writes after repair continue the sequence: a new value wins over the log's.
            do {
                let db = try Database(path: path)
                try db.put(b("k1"), b("after"))
                try db.close()
            }
            model["k1"] = "after"
            #expect(try contents(path) == model)
        }
    }

    /// As RocksDB's reader, a bad checksum drops the rest of its 32 KiB block; later blocks survive.
    @Test func damagedLogRecordIsSkipped() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let value = { (i: Int) in String(repeating: "\(i)", count: 10_000) }
            do {
                let db = try Database(path: path)
                for i in 0..<10 { try db.put(b("key\(i)"), b(value(i))) }
                try db.close()
            }
            guard let log = try names(path).first(where: { $0.hasSuffix(".log") }) else {
                throw TestSupportError("no log")
            }
            var bytes = try fs.readWholeFile(path + "/" + log)
            bytes[10_100] ^= 0xFF   // the payload of record 1, in block 0
            try fs.writeWholeFile(path + "/" + log, bytes)
            try Database.repair(path: path)
            let got = try contents(path)
            #expect(got["key0"] == value(0))
            #expect(got["key1"] == nil)
            #expect(got["key8"] == value(8))
            #expect(got["key9"] == value(9))
            for (k, v) in got { #expect(k.hasPrefix("key") && v == value(Int(k.dropFirst(3)) ?? -1)) }
        }
    }

    @Test(arguments: ["truncate", "footer", "data"])
    func damagedTableGoesToLost(how: String) throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            do {
                let db = try Database(path: path, options: quiet)
                for i in 0..<100 { try db.put(b("a\(i)"), b("first\(i)")) }
                try db.flush()
                for i in 0..<100 { try db.put(b("b\(i)"), b("second\(i)")) }
                try db.flush()
                try db.close()
            }
            let tables = try names(path).filter { $0.hasSuffix(".sst") }
            #expect(tables.count == 2)
            guard let victim = tables.last else { throw TestSupportError("no table") }
            let file = path + "/" + victim
            var bytes = try fs.readWholeFile(file)
            switch how {
            case "truncate": bytes.removeLast(20)
            case "footer": bytes[bytes.count - 3] ^= 0xFF
            default: bytes[40] ^= 0xFF   // inside the first data block
            }
            try fs.writeWholeFile(file, bytes)
            try Database.repair(path: path)
            #expect(try names(path + "/lost").contains(victim))
            var expected: [String: String] = [:]
            for i in 0..<100 { expected["a\(i)"] = "first\(i)" }
            #expect(try contents(path) == expected)
        }
    }

    /// A table compacted to the last level after a newer L0 table of another range was kept
    /// has the larger largest sequence but older versions: level 0 alone would read it first.
    @Test func tablesLevelZeroWouldMisorderAreMerged() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            do {
                let db = try Database(path: path, options: quiet)
                for c in "abcdefghijklmnopqrstuvwxyz" { try db.put(b(String(c)), b("old")) }
                try db.flush()
                try db.compactRange()
                try db.put(b("a"), b("new-a"))
                try db.flush()
                try db.put(b("m"), b("new-m"))
                try db.flush()
                try db.compactRange(from: b("m"), to: b("n"))
                try db.close()
            }
            try fs.removeFile(FileNames.current(path))
            try Database.repair(path: path)
            var expected: [String: String] = [:]
            for c in "abcdefghijklmnopqrstuvwxyz" { expected[String(c)] = "old" }
            expected["a"] = "new-a"
            expected["m"] = "new-m"
            #expect(try contents(path) == expected)
        }
    }

    /// An I/O error or power loss at any mutating step of a repair loses nothing: repairing again
    /// recovers all. With CURRENT removed (every file salvaged) and with it in place (its
    /// MANIFEST replayed to tell obsolete files from live ones).
    @Test(arguments: [true, false])
    func failureAtEveryStepThenRepairAgain(removingCurrent: Bool) throws {
        try withMemoryBackedTemporaryDirectory { dir in
            let eio = SedimentError.io(file: "injected", errno: 5, message: "injected EIO")
            let probe = FaultInjectionFileSystem()
            var o = Options()
            o.fileSystem = probe
            let model = try populate(dir + "/probe", leavingObsoleteLog: !removingCurrent)
            if removingCurrent { try fs.removeFile(FileNames.current(dir + "/probe")) }
            let before = probe.mutatingOperationCount
            try Database.repair(path: dir + "/probe", options: o)
            let operations = probe.mutatingOperationCount - before
            #expect(try contents(dir + "/probe") == model)
            #expect(operations >= 6, "repair made only \(operations) mutating operations")
            for k in 0..<operations {
                let path = dir + "/db-\(k)"
                #expect(try populate(path, leavingObsoleteLog: !removingCurrent) == model)
                if removingCurrent { try fs.removeFile(FileNames.current(path)) }
                let faulty = FaultInjectionFileSystem()
                o.fileSystem = faulty
                faulty.failOnce(afterOperations: k, with: eio)
                try? Database.repair(path: path, options: o)
                try Database.repair(path: path)
                #expect(try contents(path) == model, "repair failing at its mutating operation \(k), then repaired again")
                removeTree(path)

                // Power loss at the same step: unsynced data and directory entries vanish.
                let crashPath = dir + "/crash-\(k)"
                #expect(try populate(crashPath, leavingObsoleteLog: !removingCurrent) == model)
                if removingCurrent { try fs.removeFile(FileNames.current(crashPath)) }
                let crashing = FaultInjectionFileSystem()
                o.fileSystem = crashing
                crashing.freeze(afterOperations: k)
                try? Database.repair(path: crashPath, options: o)
                try crashing.dropUnsyncedData()
                try Database.repair(path: crashPath)
                #expect(try contents(crashPath) == model, "power loss at repair's mutating operation \(k), then repaired again")
                removeTree(crashPath)
            }
        }
    }

    /// A repair after a `.pointInTime` open keeps the last sequence that open raised past the
    /// log it moved to lost/ (it used to count only the files left in the directory): a write
    /// after the repair is numbered past that log, so salvaging the log later (moved back, then
    /// repaired again) does not bring back the older value over it.
    @Test func repairKeepsTheSequenceRaisedPastLostLogs() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let synced = WriteOptions(sync: true)
            do {
                let db = try Database(path: path)
                try db.put(b("a"), b("1"), options: synced)
                try db.put(b("b"), [UInt8](repeating: 0x62, count: 40_000), options: synced)
                try db.put(b("c"), b("old"), options: synced)
                try db.close()
            }
            guard let log = try names(path).first(where: { $0.hasSuffix(".log") }) else { throw TestSupportError("no log") }
            var bytes = try fs.readWholeFile(path + "/" + log)
            bytes[24 + 7 + 100] ^= 0xFF   // inside b's first fragment: pointInTime stops there
            try fs.writeWholeFile(path + "/" + log, bytes)
            try Database(path: path).close()
            #expect(try names(path + "/lost").contains(log))
            try Database.repair(path: path)
            do {
                let db = try Database(path: path)
                try db.put(b("c"), b("NEW"), options: synced)
                try db.close()
            }
            try fs.rename(path + "/lost/" + log, to: path + "/" + log)
            try fs.removeFile(FileNames.current(path))   // else the MANIFEST makes the log obsolete
            try Database.repair(path: path)
            let got = try contents(path)
            #expect(got["c"] == "NEW")
            #expect(got["a"] == "1")
        }
    }

    /// A database whose last MANIFEST edit (the flush of x=1, a=old, whose log is gone) is
    /// torn: the open moves that flush's table to lost/.
    func makeTornFlushEdit(_ path: String) throws {
        let db = try Database(path: path, options: quiet)
        try db.put(b("x"), b("1"))
        try db.put(b("a"), b("old"))
        try db.flush()
        try db.close()
        let current = try currentManifest(path)
        var manifest = try fs.readWholeFile(current)
        manifest.removeLast()
        try fs.writeWholeFile(current, manifest)
    }

    /// Writes a=NEW, moves the tables in lost/ back, repairs: while CURRENT names a MANIFEST
    /// that replays, the moved-back table is obsolete to it and goes back to lost/; salvaging it
    /// takes removing CURRENT too, and then the salvaged a=old must stay older than a=NEW.
    func expectSalvageKeepsNewerWrite(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let db = try Database(path: path, options: quiet)
        #expect(try names(path + "/lost").contains { $0.hasSuffix(".sst") }, "the table is not in lost/", sourceLocation: sourceLocation)
        try db.put(b("a"), b("NEW"), options: WriteOptions(sync: true))
        try db.close()
        func moveBack() throws {
            for name in try names(path + "/lost") where name.hasSuffix(".sst") {
                try fs.rename(path + "/lost/" + name, to: path + "/" + name)
            }
        }
        try moveBack()
        try Database.repair(path: path)
        #expect(try contents(path) == ["a": "NEW"], sourceLocation: sourceLocation)
        try moveBack()
        try fs.removeFile(FileNames.current(path))
        try Database.repair(path: path)
        let got = try contents(path)
        #expect(got["a"] == "NEW", sourceLocation: sourceLocation)
        #expect(got["x"] == "1", sourceLocation: sourceLocation)
    }

    /// The same after a torn MANIFEST tail: the open that moves the tables no edit names to lost/
    /// first raises the last sequence past their entries, so a salvaged table's old value stays
    /// older than a write made after that open.
    @Test func tablesMovedAfterATornManifestStayOlderThanNewWrites() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            try makeTornFlushEdit(path)
            do {
                let db = try Database(path: path, options: quiet)
                #expect(try db.get(b("a")) == nil)
                try db.close()
            }
            try expectSalvageKeepsNewerWrite(path)
        }
    }

    /// An open after a torn MANIFEST tail that fails while moving the unreferenced tables to
    /// lost/ leaves the tail torn, so the next open moves them again (it used to record a
    /// sequence-raising edit first: that new MANIFEST had no torn tail, and the next open
    /// deleted the tables, the only copy of a flush whose log was gone, as obsolete).
    @Test func aFailedMoveAfterATornManifestIsRetriedNotDeleted() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            try makeTornFlushEdit(path)
            let faulty = FaultInjectionFileSystem()
            faulty.inject(.init(.rename, pathContains: ".sst", error: .io(file: ".sst", errno: 5, message: "injected"), times: nil))
            var o = quiet
            o.fileSystem = faulty
            #expect(throws: SedimentError.self) { try Database(path: path, options: o) }
            try expectSalvageKeepsNewerWrite(path)
        }
    }

    /// k=A, then k=B, each settled by a full compaction (written as `k#0`), while a cursor pins
    /// the first compaction's output: the copy taken then holds that obsolete table (`k#0=A`)
    /// beside the live one (`k#0=B`), and the input of the second compaction (`k#3=B`) is gone.
    /// - Returns: the copy's path.
    func obsoleteTableBesideTheLiveOne(_ dir: String) throws -> String {
        let path = dir + "/db"
        let db = try Database(path: path, options: quiet)
        defer { try? db.close() }
        try db.put(b("k"), b("A"))
        try db.put(b("other"), b("x"))
        try db.flush()
        try db.compactRange()
        let cursor = try db.cursor()
        cursor.seekToFirst()
        try db.put(b("k"), b("B"))
        try db.flush()
        try db.compactRange()
        try copyDatabase(path, to: dir + "/copy")   // as a crash (kill -9) now would leave it
        #expect(try db.get(b("k")) == b("B"))
        _ = cursor
        return dir + "/copy"
    }

    /// A table a crash left behind after the compaction that made it obsolete (here pinned by a
    /// cursor) must not bring back the value it held: its `k#1=A` would shadow the live `k#0`
    /// written by sequence zeroing. The MANIFEST replays cleanly and does not name it, so repair
    /// moves it to lost/ instead of salvaging it.
    @Test func obsoleteTableIsNotResurrected() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let copy = dir + "/copy"
            do {
                let db = try Database(path: path, options: quiet)
                try db.put(b("k"), b("A"))
                try db.flush()
                let cursor = try db.cursor()
                cursor.seekToFirst()
                try db.compactRange()
                try db.put(b("k"), b("B"))
                try db.flush()
                try db.compactRange()
                try copyDatabase(path, to: copy)   // as a crash (kill -9) now would leave it
                _ = cursor
                try db.close()
            }
            let tablesBefore = try names(copy).filter { $0.hasSuffix(".sst") }
            #expect(tablesBefore.count == 2, "the pinned table is not in the copy: \(tablesBefore)")
            try Database.repair(path: copy)
            #expect(try contents(copy) == ["k": "B"])
            #expect(try names(copy + "/lost").contains { $0.hasSuffix(".sst") })
        }
    }

    /// The same for a log a failed unlink left behind after its memtable was flushed: its
    /// `k#1=A` is below the MANIFEST's log number, so repair does not convert it.
    @Test func obsoleteLogIsNotConverted() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            var saved: (name: String, bytes: [UInt8])?
            do {
                let db = try Database(path: path, options: quiet)
                try db.put(b("k"), b("A"), options: WriteOptions(sync: true))
                if let log = try names(path).first(where: { $0.hasSuffix(".log") }) {
                    saved = (log, try fs.readWholeFile(path + "/" + log))
                }
                try db.flush()
                try db.compactRange()
                try db.put(b("k"), b("B"))
                try db.flush()
                try db.compactRange()
                try db.close()
            }
            guard let saved else { throw TestSupportError("no log") }
            #expect(!fs.fileExists(path + "/" + saved.name))
            try fs.writeWholeFile(path + "/" + saved.name, saved.bytes)
            try Database.repair(path: path)
            #expect(try contents(path) == ["k": "B"])
            #expect(try names(path + "/lost").contains(saved.name))
        }
    }

    /// Without a MANIFEST to tell live tables from obsolete ones, repair keeps every version;
    /// where two tables hold the same internal key (both written by sequence zeroing), the one
    /// with the larger file number, written later, wins.
    @Test func identicalKeysPreferTheNewerTable() throws {
        try withTemporaryDirectory { dir in
            let copy = try obsoleteTableBesideTheLiveOne(dir)
            let tablesBefore = try names(copy).filter { $0.hasSuffix(".sst") }
            #expect(tablesBefore.count == 2, "the pinned table is not in the copy: \(tablesBefore)")
            try fs.removeFile(FileNames.current(copy))
            try Database.repair(path: copy)
            #expect(try contents(copy) == ["k": "B", "other": "x"])
        }
    }

    /// A MANIFEST whose last edit is torn is not trusted to tell obsolete tables: the torn edit
    /// may name the only copy of acknowledged writes (their log already deleted). Here an edit
    /// recording a next file number past that table comes before the torn one, as a flush or
    /// compaction on another thread can leave it; repair still salvages the table.
    @Test func tornManifestIsNotTrusted() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            do {
                let db = try Database(path: path, options: quiet)
                try db.put(b("x"), b("1"))
                try db.flush()
                try db.put(b("y"), b("2"))
                try db.flush()
                try db.close()
            }
            let manifest = try currentManifest(path)
            var records: [[UInt8]] = []
            let reader = RecordReader(file: try fs.openForReading(manifest), mode: .absoluteConsistency)
            while let record = try reader.readRecord() { records.append(record) }
            guard let yTable = try names(path).filter({ $0.hasSuffix(".sst") }).last.flatMap({ FileNames.parse($0)?.number }),
                  let yEdit = records.lastIndex(where: { record in
                      (try? VersionEdit.decode(record, file: manifest))?.newFiles.contains { $0.file.number == yTable } ?? false
                  }) else { throw TestSupportError("no flush edit for y's table") }
            var raise = VersionEdit()
            raise.nextFileNumber = yTable + 100
            var edited = Array(records[..<yEdit])
            edited += records[(yEdit + 1)...]
            edited.append(raise.encode())
            edited.append(records[yEdit])
            let file = try fs.createForWriting(manifest)
            let writer = RecordWriter(file: file)
            for record in edited { try writer.addRecord(record) }
            try file.close()
            var bytes = try fs.readWholeFile(manifest)
            bytes.removeLast()
            try fs.writeWholeFile(manifest, bytes)
            try Database.repair(path: path)
            #expect(try contents(path) == ["x": "1", "y": "2"])
        }
    }

    /// A MANIFEST naming a table that is missing or damaged is not trusted either: the obsolete
    /// table a crash left beside it is then the best remaining copy, and repair salvages it.
    @Test(arguments: ["delete", "garble"])
    func manifestWithALostTableIsNotTrusted(how: String) throws {
        try withTemporaryDirectory { dir in
            let copy = try obsoleteTableBesideTheLiveOne(dir)
            guard let live = try names(copy).filter({ $0.hasSuffix(".sst") }).last else { throw TestSupportError("no table") }
            if how == "delete" {
                try fs.removeFile(copy + "/" + live)
            } else {
                var bytes = try fs.readWholeFile(copy + "/" + live)
                for i in bytes.count - 8..<bytes.count { bytes[i] = 0 }   // the footer's magic
                try fs.writeWholeFile(copy + "/" + live, bytes)
            }
            try Database.repair(path: copy)
            #expect(try contents(copy) == ["k": "A", "other": "x"])
        }
    }

    @Test func openDatabaseIsLocked() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            let db = try Database(path: path)
            try db.put(b("k"), b("v"))
            #expect {
                try Database.repair(path: path)
            } throws: { error in
                if case SedimentError.locked = error { return true }
                return false
            }
            try db.close()
            try Database.repair(path: path)
            #expect(try contents(path) == ["k": "v"])
        }
    }

    @Test func missingDirectory() throws {
        try withTemporaryDirectory { dir in
            #expect {
                try Database.repair(path: dir + "/nothing-here")
            } throws: { error in
                if case SedimentError.invalidArgument = error { return true }
                return false
            }
            #expect(!fs.fileExists(dir + "/nothing-here"))
        }
    }
}
