// PowerLossTests: simulated power loss at random points of a single-writer workload, with
// FaultInjectionFileSystem. Each cycle arms `freeze(afterOperations:)` at a random mutating
// operation (so the crash lands inside log appends, flushes, compactions and MANIFEST/CURRENT
// switches alike: tiny write buffer, tiny MANIFEST limit, tiny level targets), abandons the
// database, drops every unsynced byte and directory entry, and reopens. Checks:
//   - every write acknowledged with `sync: true` survives with its exact value;
//   - on odd cycles the disk also keeps a random prefix of each file's unsynced bytes, so logs
//     and MANIFESTs end in torn records;
//   - the recovered state is a prefix of the write sequence (no holes): there is an index p
//     such that every write before p is visible and none after it;
//   - the reopened database passes `verifyChecksums()`, and cursors agree with gets.
// Replays from SEDIMENT_SEED; SEDIMENT_POWERLOSS_CYCLES scales the run (300 in CI).
import Foundation
import Testing
@testable import Sediment
import SedimentTestSupport

@Suite struct PowerLossTests {
    /// Options that make flushes, compactions and MANIFEST switches happen every few writes.
    static func churnOptions(_ fs: FaultInjectionFileSystem) -> Options {
        var o = Options()
        o.fileSystem = fs
        o.writeBufferSize = 4 << 10
        o.maxManifestFileSize = 2 << 10
        o.level0FileNumCompactionTrigger = 2
        o.maxBytesForLevelBase = 16 << 10
        o.maxBytesForLevelMultiplier = 2
        o.targetFileSizeBase = 4 << 10
        o.blockSize = 256
        o.maxBackgroundJobs = 1
        o.compression = .none
        return o
    }

    /// The value of write `i`: self-describing, so a wrong value is recognisable.
    static func value(_ i: Int) -> [UInt8] { b("v\(i)-" + String(repeating: "p", count: i % 97)) }
    /// Write `i` goes to key `i % 64`, so later writes overwrite earlier ones (a hole shows as
    /// an older value), and every 11th write deletes.
    static func key(_ i: Int) -> [UInt8] { b("k\(i % 64)") }
    static func isDelete(_ i: Int) -> Bool { i % 11 == 10 }

    /// The state after the first `n` writes.
    static func model(after n: Int) -> [[UInt8]: [UInt8]] {
        var m: [[UInt8]: [UInt8]] = [:]
        for i in 0..<n { m[key(i)] = isDelete(i) ? nil : value(i) }
        return m
    }

    @Test func randomCrashPointsRecoverAPrefixWithEverySyncedWrite() throws {
        var rng = SeededRandom(defaultSeed: 0xB0057)
        let cycles = ProcessInfo.processInfo.environment["SEDIMENT_POWERLOSS_CYCLES"].flatMap(Int.init) ?? 300
        let writes = 400
        var failures = 0
        try withMemoryBackedTemporaryDirectory { dir in
            for cycle in 0..<cycles {
                let path = dir + "/db\(cycle)"
                let fs = FaultInjectionFileSystem()
                let options = PowerLossTests.churnOptions(fs)
                let crashAt = Int(rng.next() % 1500)
                var acknowledged = 0
                var lastSynced = -1
                do {
                    let db = try Database(path: path, options: options)
                    fs.freeze(afterOperations: crashAt)
                    for i in 0..<writes {
                        let sync = rng.next() % 5 == 0
                        let w = WriteOptions(sync: sync)
                        if PowerLossTests.isDelete(i) {
                            try db.delete(PowerLossTests.key(i), options: w)
                        } else {
                            try db.put(PowerLossTests.key(i), PowerLossTests.value(i), options: w)
                        }
                        acknowledged = i + 1
                        if sync { lastSynced = i }
                        if i % 150 == 149 { try db.compactRange() }
                    }
                    try db.close()
                } catch {
                    // Only the simulated crash may stop the workload (or the open or the close).
                    #expect(fs.isFrozen, "cycle \(cycle) crashAt \(crashAt): the workload threw before the crash: \(error)")
                }
                fs.freeze()
                if cycle % 2 == 1 {
                    // Odd cycles: the disk kept a random prefix of each file's unsynced bytes
                    // (torn records at the ends of logs and MANIFESTs).
                    var keepRng = SeededRandom(defaultSeed: rng.next())
                    try fs.dropUnsyncedData { _, synced, size in synced + keepRng.next() % (size - synced + 1) }
                } else {
                    try fs.dropUnsyncedData()
                }
                fs.thaw()
                let ok = try PowerLossTests.check(path: path, options: options, acknowledged: acknowledged,
                                                  lastSynced: lastSynced, context: "cycle \(cycle) crashAt \(crashAt) seed \(rng.seed)")
                if !ok { failures += 1 }
                removeTree(path)
            }
        }
        #expect(failures == 0, "\(failures) of \(cycles) power-loss cycles failed (seed \(rng.seed))")
    }

    /// Reopens and checks the prefix property. Returns false after recording issues.
    static func check(path: String, options: Options, acknowledged: Int, lastSynced: Int, context: String) throws -> Bool {
        let db: Database
        do {
            db = try Database(path: path, options: options)
        } catch {
            Issue.record("\(context): reopen failed: \(error)")
            return false
        }
        defer { try? db.close() }
        var state: [[UInt8]: [UInt8]] = [:]
        for k in 0..<64 { state[b("k\(k)")] = try db.get(b("k\(k)")) }
        // Find the prefix length p (between lastSynced+1 and acknowledged, or beyond for writes
        // in flight) whose model equals what is on disk.
        var prefix: Int? = nil
        var model = PowerLossTests.model(after: max(0, lastSynced + 1))
        var n = max(0, lastSynced + 1)
        while true {
            if model == state.compactMapValues({ $0 }) { prefix = n; break }
            if n >= acknowledged + 1 { break }
            model[key(n)] = isDelete(n) ? nil : value(n)
            n += 1
        }
        guard let prefix else {
            Issue.record("\(context): recovered state is no prefix of the writes (acknowledged \(acknowledged), last synced \(lastSynced))")
            return false
        }
        _ = prefix
        // Cursors agree with gets.
        var scanned: [[UInt8]: [UInt8]] = [:]
        for (k, v) in try db.scan() { scanned[k] = v }
        if scanned != state.compactMapValues({ $0 }) {
            Issue.record("\(context): a full scan disagrees with gets")
            return false
        }
        do { try db.verifyChecksums() } catch {
            Issue.record("\(context): verifyChecksums failed: \(error)")
            return false
        }
        // A write after recovery survives the next reopen.
        try db.put(b("after"), b("crash"), options: WriteOptions(sync: true))
        try db.close()
        let again = try Database(path: path, options: options)
        defer { try? again.close() }
        if try again.get(b("after")) != b("crash") {
            Issue.record("\(context): the write after recovery was lost")
            return false
        }
        return true
    }
}
