// BenchRunner+Workloads: the db_bench benchmarks, with RocksDB's definitions (db_bench_tool.cc):
//   fillseq           --writes (default --num; 0 also means --num) puts of keys 0, 1, 2, ...;
//                     no --duration
//   fillrandom        --writes puts of random keys in [0, --num); --duration overrides the count
//   overwrite         the same, on the existing database
//   fillsync          fillrandom with sync=1 over the keys [0, --num/1000): --writes (default
//                     --num) synced puts, --num/1000 of them when --writes=0, none when
//                     --num/1000 is 0; the report says "(K ops)" with K = --num/1000 (RocksDB
//                     divides its num_, not its writes_)
//   readrandom        --reads (default --num) gets of random keys; "(F of R found)"
//   readmissing       readrandom with keys one byte longer (--key_size+1), which never exist
//   readseq/readreverse  one cursor from first/last over up to --reads entries
//   seekrandom        a new cursor per op, seek to a random key (found: it lands exactly on
//                     it), then up to --seek_nexts nexts whose bytes are counted
//   readwhilewriting  --threads readers doing readrandom beside one writer doing random puts
//                     until they finish (the writer's figures stay out of the report)
//   deleteseq/deleterandom  --deletes (default --num) deletes in key order / of random keys
//   compact           compactRange over everything (1 operation)
// Keys come from RocksDB's generator (BenchKeys.swift) and are drawn as RocksDB 7.8 draws them:
// the k-th worker thread started in the run (counting every benchmark's threads) is seeded
// --seed + k, so the first benchmark's first thread --seed + 1; DoWrite and DoDelete draw one
// number per batch before its keys (RocksDB's `rand.Next() % num_key_gens`, SelectDB),
// ReadRandom and readwhilewriting's writer one per operation (SelectDBWithCfh, SelectDB),
// SeekRandom none; then each key is `Next() % N`. So at --threads=1 a seed writes, reads,
// seeks and deletes RocksDB's exact keys (checked against /usr/bin/db_bench in
// DBBenchRunTests). With more threads each thread draws RocksDB's sequence, but the
// interleaving is the scheduler's, in both engines.
// Worker threads share the database and the write rate limiter; each owns its BenchStats.
@_spi(Internals) import Sediment
import Glibc

extension BenchRunner {
    /// Runs workload `name` on `config.threads` workers and returns the merged figures.
    func runWorkload(_ name: String, _ db: Database) throws -> BenchStats {
        let readers = config.threads
        let total = name == "readwhilewriting" ? readers + 1 : readers
        let firstSeed = threadSeedCounter
        threadSeedCounter += UInt64(total)
        let per = Locked([BenchStats?](repeating: nil, count: total))
        let failure = Locked<String?>(nil)
        let readersDone = Locked(0)
        runThreads(total) { t in
            do {
                // RocksDB: ThreadState(i, ++total_thread_count_) seeds seed_base + that count.
                let seed = self.config.seed &+ firstSeed &+ UInt64(t) &+ 1
                var s: BenchStats
                if name == "readwhilewriting" {
                    if t == 0 {
                        s = try self.backgroundWriter(db, seed: seed, readersDone: readersDone, readers: readers)
                    } else {
                        s = try self.worker("readrandom", db, thread: t, seed: seed)
                        s.name = name
                        readersDone.withLock { $0 += 1 }
                    }
                } else {
                    s = try self.worker(name, db, thread: t, seed: seed)
                }
                per.withLock { $0[t] = s }
            } catch {
                failure.withLock { $0 = $0 ?? "\(error)" }
                readersDone.withLock { $0 += 1 }
            }
        }
        if let f = failure.withLock({ $0 }) { throw WorkloadError(benchmark: name, message: f) }
        var merged = BenchStats()
        merged.name = name
        merged.operation = Self.operation(for: name)
        for s in per.withLock({ $0 }) {
            if let s { merged.merge(s) }
        }
        return merged
    }

    /// Operations for `name` on one worker thread.
    func worker(_ name: String, _ db: Database, thread: Int, seed: UInt64) throws -> BenchStats {
        let c = config
        var s = BenchStats(name: name, threadID: thread, operation: Self.operation(for: name), config: c)
        if c.statsPerInterval { s.intervalStats = { db.property("sediment.stats") } }
        var rng = BenchRandom(seed: seed)
        let writes = c.writes < 0 ? c.num : c.writes
        let reads = c.reads < 0 ? c.num : c.reads
        let deletes = c.deletes < 0 ? c.num : c.deletes
        let readOptions = ReadOptions(verifyChecksums: c.verifyChecksum)
        s.start()
        switch name {
        case "fillseq", "fillrandom", "overwrite", "fillsync":
            try doWrite(name, db, &s, &rng, seed: seed, writes: writes)
        case "deleteseq", "deleterandom":
            try doDelete(sequential: name == "deleteseq", db, &s, &rng, deletes: deletes)
        case "readseq", "readreverse":
            let cursor = try db.cursor(options: readOptions)
            if name == "readseq" { cursor.seekToFirst() } else { cursor.seekToLast() }
            var i = 0
            while cursor.isValid && i < reads {
                s.bytes += UInt64(cursor.keyCount + cursor.valueCount)
                i += 1
                s.finishedOps(1)
                if name == "readseq" { cursor.next() } else { cursor.previous() }
            }
            if let e = cursor.error { throw e }
        case "readrandom", "readmissing":
            var key = [UInt8](repeating: 0, count: c.keySize + (name == "readmissing" ? 1 : 0))
            var duration = BenchDuration(seconds: c.duration, maxOps: reads)
            // One value buffer for every read, as RocksDB's driver reads into a PinnableSlice
            // and LevelDB's into a reused std::string.
            var value: [UInt8] = []
            while !duration.done(1) {
                _ = rng.next()  // RocksDB's SelectDBWithCfh(thread) draws one per read
                makeBenchKey(UInt64(rng.uniform(c.num)), into: &key)
                s.reads += 1
                if try db.get(key, into: &value, options: readOptions) {
                    s.found += 1
                    s.bytes += UInt64(key.count + value.count)
                }
                s.finishedOps(1)
            }
            s.message = "(\(s.found) of \(s.reads) found)\n"
        case "seekrandom":
            var key = [UInt8](repeating: 0, count: c.keySize)
            var duration = BenchDuration(seconds: c.duration, maxOps: reads)
            while !duration.done(1) {
                makeBenchKey(UInt64(rng.uniform(c.num)), into: &key)
                let cursor = try db.cursor(options: readOptions)
                cursor.seek(key)
                s.reads += 1
                // Compared in place, as RocksDB's db_bench compares the iterator's key Slice.
                if cursor.isValid && key.withUnsafeBytes({ k in cursor.withUnsafeKey { sameBytes($0, k) } }) {
                    s.found += 1
                }
                var j = 0
                while j < c.seekNexts && cursor.isValid {
                    s.bytes += UInt64(cursor.keyCount + cursor.valueCount)
                    cursor.next()
                    j += 1
                }
                if let e = cursor.error { throw e }
                s.finishedOps(1)
            }
            s.message = "(\(s.found) of \(s.reads) found)\n"
        case "compact":
            try db.compactRange()
        default:
            throw WorkloadError(benchmark: name, message: "not a workload")
        }
        s.stop()
        return s
    }

    /// fillseq, fillrandom, overwrite, fillsync (DoWrite), with --batch_size puts per write.
    private func doWrite(_ name: String, _ db: Database, _ s: inout BenchStats, _ rng: inout BenchRandom,
                         seed: UInt64, writes: Int) throws {
        let c = config
        var writeOptions = WriteOptions(sync: c.sync, disableWAL: c.disableWAL)
        // RocksDB's num_ (the key space) and num_ops (writes_, or num_ when --writes=0).
        var keySpace = c.num
        if name == "fillsync" {
            keySpace = c.num / 1000
            writeOptions.sync = true
            s.message = "(\(keySpace) ops)"
        }
        // RocksDB's loop does nothing when its key space is empty (fillsync below 1000 keys).
        guard keySpace > 0 else { return }
        let ops = writes == 0 ? keySpace : writes
        let sequential = name == "fillseq"
        var values = BenchValues(valueSize: c.valueSize, compressionRatio: c.compressionRatio, seed: seed)
        var key = [UInt8](repeating: 0, count: c.keySize)
        var value = [UInt8]()
        var duration = BenchDuration(seconds: sequential ? 0 : c.duration, maxOps: ops)
        var i = 0
        let perBatch = c.batchSize
        let unused = WriteBatch()
        while !duration.done(perBatch) {
            // A new batch only when putting several keys per write (one put goes through `put`).
            var batch = perBatch > 1 ? WriteBatch() : unused
            var batchBytes = 0
            _ = rng.next()  // RocksDB's `thread->rand.Next() % num_key_gens`, once per batch
            for j in 0..<perBatch {
                makeBenchKey(UInt64(sequential ? i + j : rng.uniform(keySpace)), into: &key)
                values.next(into: &value)
                batchBytes += key.count + value.count
                if perBatch == 1 {
                    try db.put(key, value, options: writeOptions)
                } else {
                    batch.put(key, value)
                }
            }
            if perBatch > 1 { try db.write(batch, options: writeOptions) }
            s.bytes += UInt64(batchBytes)
            s.finishedOps(UInt64(perBatch))
            writeLimiter?.request(batchBytes)
            i += perBatch
        }
    }

    /// deleteseq, deleterandom (DoDelete).
    private func doDelete(sequential: Bool, _ db: Database, _ s: inout BenchStats, _ rng: inout BenchRandom,
                          deletes: Int) throws {
        let c = config
        let writeOptions = WriteOptions(sync: c.sync, disableWAL: c.disableWAL)
        var key = [UInt8](repeating: 0, count: c.keySize)
        var duration = BenchDuration(seconds: sequential ? 0 : c.duration, maxOps: deletes)
        var i = 0
        let perBatch = c.batchSize
        let unused = WriteBatch()
        while !duration.done(perBatch) {
            var batch = perBatch > 1 ? WriteBatch() : unused
            _ = rng.next()  // RocksDB's SelectDB(thread), once per batch
            for j in 0..<perBatch {
                makeBenchKey(UInt64(sequential ? i + j : rng.uniform(c.num)), into: &key)
                if perBatch == 1 { try db.delete(key, options: writeOptions) } else { batch.delete(key) }
            }
            if perBatch > 1 { try db.write(batch, options: writeOptions) }
            s.finishedOps(UInt64(perBatch))
            i += perBatch
        }
    }

    /// readwhilewriting's writer (BGWriter): random puts until every reader is done; its figures
    /// are excluded from the report.
    func backgroundWriter(_ db: Database, seed: UInt64, readersDone: Locked<Int>, readers: Int) throws -> BenchStats {
        let c = config
        var s = BenchStats(name: "readwhilewriting", threadID: 0, operation: .write, config: c)
        s.excludeFromMerge = true
        s.progressReports = false
        var rng = BenchRandom(seed: seed)
        var values = BenchValues(valueSize: c.valueSize, compressionRatio: c.compressionRatio, seed: seed)
        var key = [UInt8](repeating: 0, count: c.keySize)
        var value = [UInt8]()
        let options = WriteOptions(sync: c.sync, disableWAL: c.disableWAL)
        let limiter = c.benchmarkWriteRateLimit > 0 ? RateLimiter(bytesPerSecond: c.benchmarkWriteRateLimit) : nil
        while readersDone.withLock({ $0 }) < readers {
            _ = rng.next()  // RocksDB's SelectDB(thread), once per put
            makeBenchKey(UInt64(rng.uniform(c.num)), into: &key)
            values.next(into: &value)
            try db.put(key, value, options: options)
            s.bytes += UInt64(key.count + value.count)
            s.finishedOps(1)
            limiter?.request(key.count + value.count)
        }
        s.stop()
        return s
    }

    /// The histogram label RocksDB uses for `name`.
    static func operation(for name: String) -> BenchOperation {
        switch name {
        case "fillseq", "fillrandom", "overwrite", "fillsync": .write
        case "readrandom", "readmissing", "readseq", "readreverse", "readwhilewriting": .read
        case "seekrandom": .seek
        case "deleteseq", "deleterandom": .delete
        default: .op
        }
    }
}

/// RocksDB's Duration: `maxOps` operations, or `seconds` of them when `seconds` > 0 (the clock
/// is read once per 1000 operations, --ops_between_duration_checks).
struct BenchDuration {
    let seconds: Int
    let maxOps: Int
    private var ops = 0
    private let start = nowMicros()

    init(seconds: Int, maxOps: Int) {
        self.seconds = seconds
        self.maxOps = maxOps
    }

    /// Counts `increment` operations about to be done; true when the benchmark is over.
    mutating func done(_ increment: Int) -> Bool {
        let inc = max(increment, 1)
        // Saturating: a huge --batch_size must not trap on the second batch.
        let (sum, overflow) = ops.addingReportingOverflow(inc)
        ops = overflow ? Int.max : sum
        if seconds > 0 {
            guard ops / 1000 != (ops - inc) / 1000 else { return false }
            return (nowMicros() - start) / 1_000_000 >= UInt64(seconds)
        }
        return ops > maxOps
    }
}

/// A benchmark failed on an engine error.
struct WorkloadError: Error, CustomStringConvertible {
    let benchmark: String
    let message: String
    var description: String { "\(benchmark) failed: \(message)" }
}

/// True when `a` and `b` hold the same bytes (one memcmp, not a byte-by-byte walk).
@inline(__always) func sameBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    guard a.count > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return true }
    return memcmp(pa, pb, a.count) == 0
}
