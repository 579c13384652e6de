// DatabaseCore+Flush: the background flush. It flushes the oldest immutable memtable to a
// level-0 table, records the table and the new log number in the MANIFEST, drops the memtable
// and deletes the logs that are no longer needed. Flushes come before any other background work.

extension DatabaseCore {
    /// Writes `state.imms[0]` to a table and installs it.
    /// - Precondition: `monitor` is held; `state.imms` is not empty. Releases it while writing.
    func flushOldestMemTable() {
        let imm = state.imms[0]
        let number = versions.newFileNumber()
        state.pendingOutputs.insert(number)
        state.flushing = true
        let liveSnapshots = snapshots.sequences()
        monitor.unlock()
        let start = Clock.nanoseconds()
        var result: Result<FileMetadata, SedimentError>
        do {
            result = .success(try Flush.writeLevel0Table(imm.table, number: number, directory: path, options: options,
                                                            snapshots: liveSnapshots))
        } catch let error as SedimentError {
            result = .failure(error)
        } catch {
            result = .failure(.io(file: FileNames.table(path, number), errno: 0, message: "\(error)"))
        }
        monitor.lock()
        state.flushing = false
        var keepPending = false
        defer { if !keepPending { state.pendingOutputs.remove(number) } }
        switch result {
        case .success(let meta):
            var edit = VersionEdit()
            edit.addFile(level: 0, meta)
            // The oldest log still needed is the next memtable's.
            edit.logNumber = state.imms.count > 1 ? state.imms[1].logNumber : (state.log?.number ?? imm.logNumber + 1)
            edit.prevLogNumber = 0
            versions.lastSequence = state.lastSequence
            do {
                try versions.logAndApply(edit)
                state.imms.removeFirst()
                noteVersionInstalled()
                ensureLevelStats(0)
                state.stats.levels[0].bytesWritten += meta.size
                state.stats.levels[0].nanoseconds += Clock.nanoseconds() - start
                state.stats.flushes += 1
                state.stats.flushBytes += meta.size
                state.stats.flushNanoseconds += Clock.nanoseconds() - start
                deleteObsoleteFiles()
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
}
