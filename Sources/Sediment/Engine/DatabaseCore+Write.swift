import Glibc

// DatabaseCore+Write: the write path with group commit (DESIGN.md §4).
//
// Writers queue in `state.writers`. The writer at the front is the leader: it makes room
// (switching to a new memtable and log when the current one is full), merges the batches of the
// writers queued behind it into one group, and with the lock released writes the group as ONE
// log record (one `write`), syncs at most once if any member asked for `sync`, and inserts the
// group into the memtable. It then publishes the new last sequence, marks every member done,
// posts each member's semaphore and the next leader's (WriterWakeup). A follower sleeps on its
// thread's semaphore until it is done or leads.
//
// A failed log write or sync puts the database in read-only mode (`state.backgroundError`):
// the members of the failed group get the error, later writes get `.readOnly`.

extension DatabaseCore {
    /// The largest group a leader assembles, in bytes of batch payload.
    static let maxGroupBytes = 1 << 20

    /// The largest group buffer kept for the next group; a larger one (a huge batch went
    /// through) is dropped rather than held.
    static let maxKeptGroupBuffer = 4 << 20

    /// Applies `batch` (nil: switch memtables, for `flush`). Returns when durable as asked.
    func write(_ batch: consuming WriteBatch?, options: WriteOptions) throws {
        try DatabaseCore.check(options)
        try commit(Writer(batch: batch, sync: options.sync, disableWAL: options.disableWAL))
    }

    /// Applies one put or delete. Returns when durable as asked.
    func write(single: SingleWrite, options: WriteOptions) throws {
        try DatabaseCore.check(options)
        try commit(Writer(batch: nil, single: single, sync: options.sync, disableWAL: options.disableWAL))
    }

    /// Refuses `sync` with `disableWAL`, as RocksDB does: there is no log to sync, so the
    /// write could not be made durable before it is acknowledged.
    static func check(_ options: WriteOptions) throws {
        if options.sync && options.disableWAL {
            throw SedimentError.invalidArgument("a synced write needs the write-ahead log (sync with disableWAL)")
        }
    }

    /// A synced leader stops yielding after this many rounds in a row in which no writer queued.
    static let syncYieldIdleRounds = 4
    /// ... and after this many rounds in all.
    static let syncYieldMaxRounds = 64
    /// A leader posts up to this many members of its group after letting go of the mutex.
    static let postedAfterUnlock = 16

    /// With the monitor held, as a synced leader: when fewer writers are queued than the last
    /// synced group had, yields the CPU (lock released) while the members of that group, woken
    /// together when it finished, keep queuing behind this leader, so that they share its
    /// fdatasync. Without it the first of them to queue again leads alone and groups alternate
    /// between one writer and the rest. A lone writer (last group of one) never yields.
    private func yieldToReturningWriters() {
        var rounds = 0
        var idle = 0
        while rounds < DatabaseCore.syncYieldMaxRounds, idle < DatabaseCore.syncYieldIdleRounds,
              state.writers.count < state.lastSyncGroupSize {
            let queued = state.writers.count
            monitor.unlock()
            sched_yield()
            monitor.lock()
            rounds += 1
            idle = state.writers.count > queued ? 0 : idle + 1
        }
    }

    /// Queues `me` and returns when its group is applied (or failed).
    private func commit(_ me: Writer) throws {
        let isFlushRequest = me.isFlushRequest
        monitor.lock()
        if state.closed {
            monitor.unlock()
            throw SedimentError.closed
        }
        state.writers.append(me)
        if state.writers.first !== me {
            // Follower: sleep on this thread's semaphore, without the mutex. The leader sets
            // `done` (and `error`) before posting, and sem_post/sem_wait order those writes
            // before this read; a writer not done was posted because it now leads. Were the
            // wait to fail without a post, `done` is read under the mutex instead.
            monitor.unlock()
            while true {
                let posted = me.wakeup.wait()
                if posted, me.done {
                    if let error = me.error { throw error }
                    return
                }
                monitor.lock()
                if me.done {
                    monitor.unlock()
                    if let error = me.error { throw error }
                    return
                }
                if state.writers.first === me { break }
                monitor.unlock()
            }
        }
        // Leader. The group is the first `groupCount` writers of the queue (no array of them:
        // a generic array allocation per write showed up in profiles).
        var groupCount = 1
        var failure: SedimentError? = nil
        do {
            try makeRoomForWrite(force: isFlushRequest)
        } catch let error as SedimentError {
            failure = error
        } catch {
            failure = .io(file: path, errno: 0, message: "\(error)")
        }
        // Sequence numbers left before the 56 bits of an internal key run out (lastSequence is
        // at most maxSequenceNumber: the MANIFEST's and the logs' are checked at open).
        let numbersLeft = maxSequenceNumber - state.lastSequence
        // None left refuses even an empty batch: its record would carry sequence 2^56.
        if failure == nil, !isFlushRequest, numbersLeft == 0 || me.operationCount > numbersLeft {
            failure = .notSupported(feature: "a write past the largest sequence number 2^56 - 1 "
                                    + "(the last one used is \(state.lastSequence))", file: path)
        }
        if failure == nil, !isFlushRequest, me.sync, !me.disableWAL {
            yieldToReturningWriters()
        }
        if failure == nil, !isFlushRequest {
            // The group: writers from the front while they write to the same log and fit.
            var groupBytes = me.byteSize
            var groupOperations = me.operationCount
            var wantSync = me.sync
            while groupCount < state.writers.count {
                let w = state.writers[groupCount]
                guard !w.isFlushRequest, w.disableWAL == me.disableWAL,
                      groupBytes + w.byteSize <= DatabaseCore.maxGroupBytes,
                      groupOperations + w.operationCount <= numbersLeft else { break }
                groupBytes += w.byteSize
                groupOperations += w.operationCount
                wantSync = wantSync || w.sync
                groupCount += 1
            }
            // Assembled in the kept buffer (a copy of each batch, but no allocation).
            var combined = state.groupBuffer.take() ?? WriteBatch(reservingCapacity: groupBytes)
            combined.resetKeepingCapacity()
            for i in 0..<groupCount {
                let w = state.writers[i]
                if let b = w.batch { combined.append(b) } else if let s = w.single { combined.add(s.kind, s.key, s.value) }
            }
            let firstSequence = state.lastSequence + 1
            combined.sequence = firstSequence
            let mem = state.mem
            let log = state.log
            monitor.unlock()
            var logFailed = false
            do {
                if !me.disableWAL, let log {
                    logFailed = true
                    try log.append(combined.rep)
                    if wantSync { try log.sync() }
                    logFailed = false
                }
                var seq = firstSequence
                try combined.forEach(file: "write batch") { kind, key, value in
                    mem.add(sequence: seq, kind: kind, key: key, value: value)
                    seq += 1
                }
            } catch let error as SedimentError {
                failure = error
            } catch {
                failure = .io(file: path, errno: 0, message: "\(error)")
            }
            monitor.lock()
            if me.disableWAL && combined.count > 0 { state.memHasUnloggedWrites = true }
            if let failure, logFailed, state.backgroundError == nil {
                state.backgroundError = failure
                // flush() and stalled writers wait for progress and check the error when woken;
                // the background threads stop working once it is set and would wake nobody.
                monitor.broadcast(.progress)
            }
            if failure == nil || !logFailed {
                state.lastSequence = firstSequence + UInt64(combined.count) - 1
            }
            if combined.capacity <= DatabaseCore.maxKeptGroupBuffer { state.groupBuffer = combined }
            state.stats.writeGroups += 1
            state.stats.writesApplied += UInt64(combined.count)
            if !me.disableWAL {
                state.stats.walBytes += UInt64(combined.byteSize)
                if wantSync {
                    state.stats.walSyncs += 1
                    state.lastSyncGroupSize = groupCount
                }
            }
        }
        // Members are posted after the mutex is let go of (up to `postedAfterUnlock` of them;
        // the rest of a larger group before), so that a woken member can queue its next write
        // at once instead of sleeping again on the mutex the leader still holds. A member
        // cannot return (or its thread exit and free its semaphore) before its post: it
        // returns only when posted, or when `sem_wait` fails, which it cannot on a valid
        // semaphore.
        withUnsafeTemporaryAllocation(of: WriterWakeup.self, capacity: DatabaseCore.postedAfterUnlock) { toPost in
            var pending = 0
            for i in 0..<groupCount {
                let w = state.writers[i]
                w.error = failure
                w.done = true
                guard i > 0 else { continue }
                if pending < toPost.count {
                    toPost.initializeElement(at: pending, to: w.wakeup)
                    pending += 1
                } else {
                    w.wakeup.post()
                }
            }
            state.writers.removeFirst(groupCount)
            // The next writer leads; it is posted last, so the members it may group with are
            // already on their way back.
            let next = state.writers.first?.wakeup
            // For `close`, which waits for the queue to drain.
            monitor.broadcast(.writers)
            monitor.unlock()
            for i in 0..<pending { toPost[i].post() }
            next?.post()
        }
        if let failure { throw failure }
    }

    /// Ensures the memtable has room, switching to a new one (and a new log) when it is full
    /// or when `force` asks for it. Waits while every write buffer is full. Once `close()` has
    /// begun only its own switch (`closing`) goes on: a queued write fails with `.closed`.
    /// - Precondition: `monitor` is held by the group-commit leader, or by `close()` once the
    ///   writer queue has drained.
    func makeRoomForWrite(force: Bool, closing: Bool = false) throws {
        var mustSwitch = force
        var delayed = false
        while true {
            if let error = state.backgroundError {
                throw SedimentError.readOnly(message: error.description)
            }
            if state.shuttingDown || (state.closed && !closing) { throw SedimentError.closed }
            let level0 = versions.current.files(at: 0).count
            // close()'s switch waits only for a free write buffer (flushes), never for
            // compactions: those may keep failing (.noSpace is retried) with nothing to flush.
            let stallsApply = !closing && !options.disableAutoCompactions && state.manualCompactions == 0
            if stallsApply && !delayed && level0 >= options.level0SlowdownWritesTrigger {
                // Slow down every write (not only memtable switches), as LevelDB and RocksDB do:
                // give compaction 1 ms of this writer's time, once per write.
                let start = Clock.nanoseconds()
                monitor.unlock()
                var ts = timespec(tv_sec: 0, tv_nsec: 1_000_000)
                nanosleep(&ts, nil)
                monitor.lock()
                state.stats.stallNanoseconds += Clock.nanoseconds() - start
                delayed = true
                continue
            }
            if stallsApply && level0 >= options.level0StopWritesTrigger {
                // Stop: no write proceeds until compaction brings L0 back under the trigger.
                let start = Clock.nanoseconds()
                monitor.wait(for: .progress)
                state.stats.stallNanoseconds += Clock.nanoseconds() - start
                continue
            }
            if state.mem.isEmpty || (!mustSwitch && !state.mem.isFull(writeBufferSize: options.writeBufferSize)) {
                // An empty memtable is never switched out, whatever its arena has reserved.
                return
            }
            if state.imms.count >= options.maxWriteBufferNumber - 1 {
                // Every buffer is full: wait for the background flush.
                let start = Clock.nanoseconds()
                monitor.wait(for: .progress)
                state.stats.stallNanoseconds += Clock.nanoseconds() - start
                continue
            }
            if let old = state.log {
                // Make the full log durable before any later log can be: otherwise a synced
                // write in the next log could survive power loss while unsynced writes before
                // it in this one vanish, leaving a hole. A failed sync stops writes (§4).
                do {
                    try old.sync()
                } catch {
                    let e = asSedimentError(error)
                    state.backgroundError = e
                    monitor.broadcast(.progress)   // as above: waiters must see the error
                    throw e
                }
            }
            let number = versions.newFileNumber()
            let newLog = try WriteAheadLog.create(fileSystem: fileSystem, directory: path, number: number)
            if let old = state.log {
                state.imms.append(ImmutableMemTable(table: state.mem, logNumber: old.number,
                                                    hasUnloggedWrites: state.memHasUnloggedWrites))
                state.memHasUnloggedWrites = false
                try? old.close()
            }
            state.log = newLog
            hugePageGate.set(open: state.imms.isEmpty)
            state.mem = makeMemTable()
            mustSwitch = false
            monitor.broadcast(.work)
            return
        }
    }

    /// Switches to a new memtable and waits until every memtable written so far is in a
    /// durable level-0 table.
    func flush() throws {
        try write(nil, options: WriteOptions())
        try monitor.withLock {
            while !state.imms.isEmpty {
                try checkOpen()
                if let error = state.backgroundError { throw SedimentError.readOnly(message: error.description) }
                monitor.wait(for: .progress)
            }
        }
    }
}
