// BenchRunner+Workloads: the db_bench benchmarks (RocksDB's definitions):
//   fillseq           `--writes` (default --num) puts in key order
//   fillrandom        puts of random keys in [0, --num)
//   overwrite         the same, on the existing database
//   fillsync          --writes/1000 random puts, each with sync (fdatasync)
//   readrandom        `--reads` gets of random keys; reports how many were found
//   readmissing       gets of keys that cannot exist (key + ".")
//   readseq/readreverse  one cursor over up to --reads entries, forwards/backwards
//   seekrandom        a new cursor per op, seek to a random key, then --seek_nexts nexts
//   readwhilewriting  --threads readers doing readrandom beside one writer doing random puts
//                     (the writer's operations are not in the report, as in RocksDB)
//   deleteseq/deleterandom  deletes in key order / of random keys
//   flush, compact, waitforcompaction  the database calls of those names
@_spi(Internals) import Sediment

extension BenchRunner {
    func runWorkload(_ name: String, _ db: Database) throws -> BenchStats {
        let start = nowSeconds()
        var merged = BenchStats()
        merged.name = name
        switch name {
        case "flush":
            try db.flush()
            merged.operations = 1
        case "compact":
            try db.compactRange()
            merged.operations = 1
        case "waitforcompaction":
            try db.waitForCompactions()
            merged.operations = 1
        case "readwhilewriting":
            let stop = Locked(false)
            let per = Locked([BenchStats]())
            let readers = config.threads
            let failure = Locked<String?>(nil)
            runThreads(readers + 1) { t in
                do {
                    if t == readers {
                        try self.backgroundWriter(db, stop: stop)
                    } else {
                        let s = try self.worker("readrandom", db, thread: t)
                        per.withLock { $0.append(s) }
                    }
                } catch { failure.withLock { $0 = "\(error)" } }
                if t != readers && per.withLock({ $0.count }) == readers { stop.withLock { $0 = true } }
            }
            if let f = failure.withLock({ $0 }) { throw UsageError("readwhilewriting failed: \(f)") }
            for s in per.withLock({ $0 }) { merged.merge(s) }
        default:
            let per = Locked([BenchStats]())
            let failure = Locked<String?>(nil)
            runThreads(config.threads) { t in
                do {
                    let s = try self.worker(name, db, thread: t)
                    per.withLock { $0.append(s) }
                } catch { failure.withLock { $0 = "\(error)" } }
            }
            if let f = failure.withLock({ $0 }) { throw UsageError("\(name) failed: \(f)") }
            for s in per.withLock({ $0 }) { merged.merge(s) }
        }
        merged.elapsedSeconds = nowSeconds() - start
        if merged.threadSeconds == 0 { merged.threadSeconds = merged.elapsedSeconds }
        if ["readrandom", "readmissing", "readwhilewriting"].contains(name) {
            merged.message = "(\(merged.found) of \(merged.reads) found)"
        } else if name == "seekrandom" {
            merged.message = "(\(merged.found) of \(merged.reads) found)"
        }
        return merged
    }

    /// The operations one worker thread performs for `name`.
    func worker(_ name: String, _ db: Database, thread: Int) throws -> BenchStats {
        var s = BenchStats()
        s.name = name
        let c = config
        let writes = c.writes < 0 ? c.num : c.writes
        let reads = c.reads < 0 ? c.num : c.reads
        var rng = BenchRandom(seed: c.seed &+ 1000 &+ UInt64(thread))
        var values = BenchValues(valueSize: c.valueSize, compressionRatio: c.compressionRatio,
                                 seed: c.seed &+ UInt64(thread))
        var key = [UInt8](repeating: 0, count: c.keySize)
        var writeOptions = WriteOptions(sync: c.sync, disableWAL: c.disableWAL)
        let readOptions = ReadOptions(verifyChecksums: c.verifyChecksum)
        var ops: Int
        switch name {
        case "fillsync":
            ops = max(1, writes / 1000)
            writeOptions.sync = true
        case "fillseq", "fillrandom", "overwrite", "deleteseq", "deleterandom": ops = writes
        default: ops = reads
        }
        let timed = c.histogram
        s.histogramLabel = name.hasPrefix("read") ? "read" : (name == "seekrandom" ? "seek" : "write")
        let deadline = c.duration > 0 ? nowSeconds() + Double(c.duration) : Double.infinity
        let limiter = c.benchmarkWriteRateLimit
        let begin = nowSeconds()
        var opStart = timed ? nowSeconds() : 0

        func finishedOp() {
            if timed {
                let t = nowSeconds()
                s.histogram.add((t - opStart) * 1e6)
                opStart = t
            }
            s.operations += 1
            if thread == 0 && s.operations & 0x3FFFF == 0 {
                writeAll(fd: 2, "... finished \(s.operations) ops\r")
            }
        }

        switch name {
        case "readseq", "readreverse":
            let cursor = try db.cursor(options: readOptions)
            if name == "readseq" { cursor.seekToFirst() } else { cursor.seekToLast() }
            var i = 0
            while i < ops && cursor.isValid {
                s.bytes += UInt64(cursor.keyCount + cursor.valueCount)
                finishedOp()
                if name == "readseq" { cursor.next() } else { cursor.previous() }
                i += 1
                if i & 0xFFF == 0 && nowSeconds() > deadline { break }
            }
            if let e = cursor.error { throw e }
        default:
            var i = 0
            while i < ops {
                if i & 0xFF == 0 && nowSeconds() > deadline { break }
                switch name {
                case "fillseq", "deleteseq":
                    makeBenchKey(UInt64(i), into: &key)
                case "readmissing":
                    makeBenchKey(UInt64(rng.uniform(c.num)), into: &key)
                default:
                    makeBenchKey(UInt64(rng.uniform(c.num)), into: &key)
                }
                switch name {
                case "fillseq", "fillrandom", "overwrite", "fillsync":
                    if c.batchSize > 1 {
                        var batch = WriteBatch()
                        var j = 0
                        while j < c.batchSize && i < ops {
                            if j > 0 {
                                makeBenchKey(name == "fillseq" ? UInt64(i) : UInt64(rng.uniform(c.num)), into: &key)
                            }
                            let v = values.next()
                            batch.put(key, Array(v))
                            s.bytes += UInt64(key.count + v.count)
                            j += 1
                            i += 1
                        }
                        try db.write(batch, options: writeOptions)
                        finishedOp()
                        continue
                    }
                    let v = values.next()
                    try db.put(key, Array(v), options: writeOptions)
                    s.bytes += UInt64(key.count + v.count)
                case "deleteseq", "deleterandom":
                    try db.delete(key, options: writeOptions)
                case "readrandom":
                    s.reads += 1
                    if let v = try db.get(key, options: readOptions) {
                        s.found += 1
                        s.bytes += UInt64(key.count + v.count)
                    }
                case "readmissing":
                    s.reads += 1
                    if try db.get(key + [0x2E], options: readOptions) != nil { s.found += 1 }
                case "seekrandom":
                    s.reads += 1
                    let cursor = try db.cursor(options: readOptions)
                    cursor.seek(key)
                    if cursor.isValid {
                        s.found += 1
                        s.bytes += UInt64(cursor.keyCount + cursor.valueCount)
                        var n = 0
                        while n < c.seekNexts && cursor.isValid {
                            cursor.next()
                            if cursor.isValid { s.bytes += UInt64(cursor.keyCount + cursor.valueCount) }
                            n += 1
                        }
                    }
                    if let e = cursor.error { throw e }
                default:
                    throw UsageError("unknown benchmark '\(name)'")
                }
                if limiter > 0 && s.bytes > 0 {
                    let allowed = Double(s.bytes) / Double(limiter)
                    let spent = nowSeconds() - begin
                    if allowed > spent { sleepSeconds(allowed - spent) }
                }
                finishedOp()
                i += 1
            }
        }
        s.threadSeconds = nowSeconds() - begin
        return s
    }

    /// readwhilewriting's writer: random puts until the readers are done.
    func backgroundWriter(_ db: Database, stop: Locked<Bool>) throws {
        let c = config
        var rng = BenchRandom(seed: c.seed &+ 777)
        var values = BenchValues(valueSize: c.valueSize, compressionRatio: c.compressionRatio, seed: c.seed &+ 777)
        var key = [UInt8](repeating: 0, count: c.keySize)
        let options = WriteOptions(sync: c.sync, disableWAL: c.disableWAL)
        let begin = nowSeconds()
        var bytes: UInt64 = 0
        while !stop.withLock({ $0 }) {
            makeBenchKey(UInt64(rng.uniform(c.num)), into: &key)
            let v = values.next()
            try db.put(key, Array(v), options: options)
            bytes += UInt64(key.count + v.count)
            if c.benchmarkWriteRateLimit > 0 {
                let allowed = Double(bytes) / Double(c.benchmarkWriteRateLimit)
                let spent = nowSeconds() - begin
                if allowed > spent { sleepSeconds(allowed - spent) }
            }
        }
    }
}
