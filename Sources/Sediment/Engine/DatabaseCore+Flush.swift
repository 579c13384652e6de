// DatabaseCore+Flush: the background flush. It flushes the oldest immutable memtable to a
// level-0 table, records the table and the new log number in the MANIFEST, drops the memtable
// and deletes the logs that are no longer needed. Flushes come before any other background work.

extension DatabaseCore {
    /// Writes `state.imms[0]` to a table and installs it.
    /// - Precondition: `monitor` is held; `state.imms` is not empty. Releases it while writing.
    func flushOldestMemTable() {
        let immLogNumber = state.imms[0].logNumber
        let number = versions.newFileNumber()
        state.pendingOutputs.insert(number)
        state.flushing = true
        let start = Clock.nanoseconds()
        // The memtable is an argument, so it is released as soon as the call returns and only
        // `state.imms` holds it: its memory goes back when the edit below removes it.
        let result = writeTableOutsideLock(state.imms[0].table, number: number, snapshots: snapshots.sequences())
        state.flushing = false
        var keepPending = false
        defer { if !keepPending { state.pendingOutputs.remove(number) } }
        switch result {
        case .success(let meta):
            var edit = VersionEdit()
            edit.addFile(level: 0, meta)
            // The oldest log still needed is the next memtable's.
            edit.logNumber = state.imms.count > 1 ? state.imms[1].logNumber : (state.log?.number ?? immLogNumber + 1)
            edit.prevLogNumber = 0
            versions.lastSequence = state.lastSequence
            do {
                try versions.logAndApply(edit)
                state.imms.removeFirst()
                hugePageGate.set(open: state.imms.isEmpty)
                noteVersionInstalled()
                ensureLevelStats(0)
                state.stats.levels[0].bytesWritten += meta.size
                state.stats.levels[0].nanoseconds += Clock.nanoseconds() - start
                state.stats.flushes += 1
                state.stats.flushBytes += meta.size
                state.stats.flushNanoseconds += Clock.nanoseconds() - start
                monitor.broadcast(.progress)   // writers waiting for room need not wait for the removals
                deleteObsoleteFilesOutsideLock()
            } catch let error as SedimentError {
                // The edit may have reached the disk (a failed sync leaves that unknown, a failed
                // directory sync after CURRENT's rename too): keep the table, or a reopen could
                // find the MANIFEST naming a missing file. The next open deletes it if unused.
                keepPending = true
                state.backgroundError = error
            } catch {
                keepPending = true
                state.backgroundError = .io(file: FileNames.manifest(path, versions.manifestFileNumber), errno: 0, message: "\(error)")
            }
        case .failure(let error):
            state.backgroundError = error
        }
    }

    /// Writes `mem` to level-0 table `number` with `monitor` released.
    /// - Precondition: `monitor` is held; it is held again on return.
    private func writeTableOutsideLock(_ mem: MemTable, number: UInt64,
                                      snapshots liveSnapshots: [SequenceNumber]) -> Result<FileMetadata, SedimentError> {
        monitor.unlock()
        defer { monitor.lock() }
        do {
            return .success(try Flush.writeLevel0Table(mem, number: number, directory: path, options: options,
                                                        snapshots: liveSnapshots))
        } catch let error as SedimentError {
            return .failure(error)
        } catch {
            return .failure(.io(file: FileNames.table(path, number), errno: 0, message: "\(error)"))
        }
    }
}
