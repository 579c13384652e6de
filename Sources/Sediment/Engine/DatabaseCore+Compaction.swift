// DatabaseCore+Compaction: background compactions, compactRange, and obsolete-file tracking.
//
// Background threads (`maxBackgroundJobs`) run `backgroundLoop`: a flush when a memtable waits
// (flushes first, one at a time), otherwise the picker's most urgent compaction whose levels are
// free. A compaction holds its two levels in `state.busyLevels` so no table is taken twice;
// it runs without the lock; its edit is installed under the lock. A compaction that runs out of
// space is retried after a pause; any other failure puts the database in read-only mode.

extension DatabaseCore {
    /// The compaction picker for this database's options.
    var picker: CompactionPicker { CompactionPicker(options: options) }

    /// The background threads' loop; returns when the database shuts down.
    func backgroundLoop() {
        monitor.lock()
        while !state.shuttingDown {
            if state.backgroundError == nil && !state.imms.isEmpty && !state.flushing {
                flushOldestMemTable()
                monitor.broadcast(.progress)
                monitor.broadcast(.work)
                continue
            }
            if let c = pickAutomaticCompaction() {
                _ = runCompaction(c)
                monitor.broadcast(.progress)
                monitor.broadcast(.work)
                continue
            }
            if state.compactionRetryAfter > Clock.nanoseconds() {
                monitor.wait(for: .work, nanoseconds: 100_000_000)
            } else {
                monitor.wait(for: .work)
            }
        }
        monitor.unlock()
    }

    /// The next automatic compaction, if one is due and allowed. - Precondition: lock held.
    func pickAutomaticCompaction() -> Compaction? {
        guard state.backgroundError == nil, !options.disableAutoCompactions, state.manualCompactions == 0,
              Clock.nanoseconds() >= state.compactionRetryAfter else { return nil }
        if let c = picker.pick(versions.current, busyLevels: state.busyLevels, cursors: state.compactionCursors) {
            return c
        }
        return pickSeekCompaction()
    }

    /// The compaction of the table whose seek budget ran out, if it is still in the tree, not
    /// on the last level, and its levels are free. - Precondition: lock held.
    private func pickSeekCompaction() -> Compaction? {
        guard let (level, number) = state.seekCompactionFile else { return nil }
        let version = versions.current
        guard level + 1 < version.numLevels,
              let f = version.files(at: level).first(where: { $0.number == number }) else {
            // Gone (compacted meanwhile) or on the last level: nothing to do; tell a waiting
            // `waitForCompactions` that the request is settled.
            state.seekCompactionFile = nil
            monitor.broadcast(.progress)
            return nil
        }
        guard !state.busyLevels.contains(level), !state.busyLevels.contains(level + 1) else { return nil }
        state.seekCompactionFile = nil
        return picker.expand(version, level: level, inputs: [f], reason: "seek")
    }

    /// Runs `c` and installs its result. Returns the error, if any.
    /// - Precondition: `monitor` is held; it is released while tables are written.
    @discardableResult
    func runCompaction(_ c: Compaction) -> SedimentError? {
        state.busyLevels.insert(c.level)
        state.busyLevels.insert(c.outputLevel)
        state.runningCompactions += 1
        for f in c.allInputs { state.compactingTables.insert(f.number) }
        defer {
            for f in c.allInputs { state.compactingTables.remove(f.number) }
            state.busyLevels.remove(c.level)
            state.busyLevels.remove(c.outputLevel)
            state.runningCompactions -= 1
        }
        let start = Clock.nanoseconds()
        ensureLevelStats(c.outputLevel)
        if picker.isTrivialMove(c) {
            var edit = VersionEdit()
            for f in c.inputs {
                edit.deleteFile(level: c.level, number: f.number)
                edit.addFile(level: c.outputLevel, f)
            }
            if let e = installEdit(edit) { return e }
            state.compactionCursors[c.level] = c.inputs.last?.largest
            state.stats.levels[c.outputLevel].bytesMoved += c.inputs.reduce(0) { $0 + $1.size }
            state.stats.levels[c.outputLevel].moves += 1
            return nil
        }
        let allocated = OutputNumbers()
        monitor.unlock()
        // The job (and the Version it holds) is gone before the result is installed, so the
        // input tables are deleted below rather than at the next flush or compaction.
        let outcome = runJob(c, allocated: allocated)
        monitor.lock()
        switch outcome {
        case .success(let result):
            var edit = VersionEdit()
            for f in c.inputs { edit.deleteFile(level: c.level, number: f.number) }
            for f in c.nextLevelInputs { edit.deleteFile(level: c.outputLevel, number: f.number) }
            for f in result.outputs { edit.addFile(level: c.outputLevel, f) }
            // On failure the outputs stay (and stay pending): the edit may be on disk after a
            // failed sync, so a reopen may need them; the next open deletes them if unused.
            if let e = installEdit(edit) { return e }
            for n in allocated.numbers { state.pendingOutputs.remove(n) }
            state.noSpaceCompactionsInARow = 0
            state.compactionCursors[c.level] = c.inputs.map(\.largest).max { compareInternalKeys($0, $1) < 0 }
            var s = state.stats.levels[c.outputLevel]
            s.compactions += 1
            s.nanoseconds += Clock.nanoseconds() - start
            s.bytesRead += result.bytesRead
            s.bytesReadInputLevel += c.inputs.reduce(0) { $0 + $1.size }
            s.bytesReadOutputLevel += c.nextLevelInputs.reduce(0) { $0 + $1.size }
            s.bytesWritten += result.bytesWritten
            s.entriesIn += result.entriesIn
            s.entriesDropped += result.entriesDropped
            state.stats.levels[c.outputLevel] = s
            monitor.broadcast(.progress)
            deleteObsoleteFilesOutsideLock()
            return nil
        case .failure(let e):
            // The job removed what it wrote; make sure, and stop protecting the numbers.
            for n in allocated.numbers {
                state.pendingOutputs.remove(n)
                try? fileSystem.removeFile(FileNames.table(path, n))
            }
            if case .noSpace = e {
                // Out of space: try again later rather than stopping writes.
                state.compactionRetryAfter = Clock.nanoseconds() + 1_000_000_000
                state.stats.compactionRetries += 1
                state.noSpaceCompactionsInARow += 1
                state.lastNoSpaceError = e
            } else {
                state.backgroundError = e
            }
            return e
        }
    }

    /// Builds and runs the job for `c` without the lock.
    /// - Precondition: `monitor` is NOT held (the job takes it to allocate file numbers).
    private func runJob(_ c: Compaction, allocated: OutputNumbers) -> Result<CompactionResult, SedimentError> {
        let (version, snapshotList) = monitor.withLock { (versions.current, snapshots.sequences()) }
        let job = CompactionJob(compaction: c, version: version, snapshots: snapshotList,
                                directory: path, options: options, tableCache: tableCache,
                                newFileNumber: { [self] in
                                    monitor.withLock {
                                        let n = versions.newFileNumber()
                                        state.pendingOutputs.insert(n)
                                        allocated.numbers.append(n)
                                        return n
                                    }
                                })
        do {
            return .success(try job.run())
        } catch {
            return .failure(asSedimentError(error))
        }
    }

    /// Makes sure the level statistics have a row for `level`.
    func ensureLevelStats(_ level: Int) {
        while state.stats.levels.count <= level { state.stats.levels.append(LevelStatistics()) }
    }

    /// Records `edit` (with the current last sequence) in the MANIFEST and installs the new
    /// Version; on failure the database turns read-only and the error is returned.
    /// - Precondition: lock held.
    func installEdit(_ edit: VersionEdit) -> SedimentError? {
        versions.lastSequence = state.lastSequence
        do {
            try versions.logAndApply(edit)
        } catch {
            let e = asSedimentError(error)
            state.backgroundError = e
            return e
        }
        noteVersionInstalled()
        return nil
    }

    /// Remembers the current version so its tables stay while anyone holds it.
    /// - Precondition: lock held.
    func noteVersionInstalled() {
        state.versionsSeen.removeAll { $0.version == nil }
        state.versionsSeen.append(WeakVersion(version: versions.current))
        versions.current.assertInvariants()
    }

    /// Table numbers referenced by the current version or any older version still held.
    /// - Precondition: lock held.
    func referencedTables() -> Set<UInt64> {
        var live = versions.liveFileNumbers()
        for w in state.versionsSeen {
            if let v = w.version { for f in v.levels.joined() { live.insert(f.number) } }
        }
        return live
    }

    /// Compacts every table overlapping [from, to] down to the last level (nil: unbounded), as
    /// RocksDB's CompactRange with `bottommost_level_compaction = kForceOptimized`: level by
    /// level, each step merging the overlapping tables of one level with those of the next.
    /// Steps above the last level may move tables down unchanged when nothing below overlaps
    /// them; the step into the last level always rewrites, and last-level tables in the range
    /// that no step rewrote are then rewritten in place, so every overwritten version and every
    /// tombstone that no live snapshot needs is gone when it returns.
    func compactRange(from: [UInt8]?, to: [UInt8]?) throws {
        try flush()
        monitor.lock()
        defer {
            state.manualCompactions -= 1
            monitor.broadcast(.work)
            monitor.broadcast(.progress)
            monitor.unlock()
        }
        state.manualCompactions += 1
        while state.runningCompactions > 0 && !state.closed { monitor.wait(for: .progress) }
        try checkOpen()
        let last = versions.current.numLevels - 1
        let lastBefore = Set(versions.current.files(at: last).map(\.number))
        for level in 0..<last {
            try checkOpen()
            if let e = state.backgroundError { throw SedimentError.readOnly(message: e.description) }
            let files = versions.current.overlapping(level: level, smallestUserKey: from, largestUserKey: to)
            if files.isEmpty { continue }
            var c = picker.expand(versions.current, level: level, inputs: files, reason: "manual")
            c.grandparents = []
            c.mayMoveTrivially = level + 1 < last
            if let e = runCompaction(c) { throw e }
        }
        // Last-level tables no step above rewrote, one at a time (so an output never spans a
        // table written by the last step), each with the neighbours that share a boundary user
        // key with it (a RocksDB-written level; CompactionPicker "Clean cuts").
        for f in versions.current.overlapping(level: last, smallestUserKey: from, largestUserKey: to)
        where lastBefore.contains(f.number) {
            try checkOpen()
            if let e = state.backgroundError { throw SedimentError.readOnly(message: e.description) }
            guard versions.current.files(at: last).contains(where: { $0.number == f.number }) else { continue }
            let group = picker.cleanCut(versions.current, level: last, [f])
            var c = Compaction(level: last, inputs: group, nextLevelInputs: [], grandparents: [], reason: "manual")
            c.rewritesInPlace = true
            if let e = runCompaction(c) { throw e }
        }
    }

    /// Compactions in a row that may run out of space before `waitForCompactions` gives up
    /// (each retry comes about a second after the last failure).
    static let noSpaceFailuresBeforeWaitEnds = 3

    /// Waits until no flush or compaction is due or running, then deletes obsolete tables that
    /// readers no longer hold. A compaction that runs out of space is retried in the background;
    /// the wait goes on through a retry, but ends when one fails during it and makes
    /// `noSpaceFailuresBeforeWaitEnds` in a row.
    /// - Throws: `.closed`; `.readOnly` after a background error; `.noSpace` naming the table
    ///   when compactions keep running out of space (they are still retried).
    func waitForCompactions() throws {
        try monitor.withLock {
            let retriesBefore = state.stats.compactionRetries
            while true {
                try checkOpen()
                if let e = state.backgroundError { throw SedimentError.readOnly(message: e.description) }
                let idle = state.imms.isEmpty && state.runningCompactions == 0 && !state.flushing
                let due = !options.disableAutoCompactions
                    && (picker.pick(versions.current, busyLevels: [], cursors: state.compactionCursors) != nil
                        || state.seekCompactionFile != nil)
                if idle && !due {
                    // Tables that cursors held while compactions replaced them go now.
                    deleteObsoleteFiles()
                    return
                }
                // Out of space again during this wait, after enough tries: the disk stays full.
                if due, state.noSpaceCompactionsInARow >= DatabaseCore.noSpaceFailuresBeforeWaitEnds,
                   state.stats.compactionRetries > retriesBefore, let e = state.lastNoSpaceError {
                    throw e
                }
                monitor.wait(for: .progress, nanoseconds: 50_000_000)
            }
        }
    }
}

/// The file numbers one compaction job allocated. Touched only with the monitor held.
private final class OutputNumbers {
    var numbers: [UInt64] = []
}

/// Any error as a SedimentError (the engine throws nothing else; this keeps the compiler happy).
func asSedimentError(_ error: any Error) -> SedimentError {
    (error as? SedimentError) ?? .io(file: "", errno: 0, message: "\(error)")
}
