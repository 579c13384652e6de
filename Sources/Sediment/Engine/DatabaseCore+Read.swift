// DatabaseCore+Read: point reads. The newest source that knows the key decides: the active
// memtable, the immutable memtables newest first, level-0 tables newest first, then one table
// per deeper level (found by binary search on key ranges). A tombstone means absent.

/// What a read captures under the lock: the sources to search and the sequence to read at.
struct ReadView {
    let mem: MemTable
    let imms: [MemTable]   // newest first
    let version: Version
    let sequence: SequenceNumber
}

extension DatabaseCore {
    /// Captures the current sources and sequence (or the snapshot's sequence).
    /// - Throws: `.closed`; `.invalidArgument` for a snapshot another `Database` made (its
    ///   sequence means nothing here, and no compaction kept the versions it would need).
    func readView(snapshot: Snapshot?) throws -> ReadView {
        if let snapshot, snapshot.list !== snapshots {
            throw SedimentError.invalidArgument("the snapshot (sequence \(snapshot.sequence)) was taken from another Database")
        }
        return try monitor.withLock {
            try checkOpen()
            return ReadView(mem: state.mem, imms: state.imms.reversed().map(\.table),
                            version: versions.current,
                            sequence: snapshot?.sequence ?? state.lastSequence)
        }
    }

    /// The newest value of `key` visible at the view's sequence, or nil.
    func get(_ key: [UInt8], options: ReadOptions) throws -> [UInt8]? {
        var value: [UInt8]? = nil
        _ = try key.withUnsafeBytes { k in try lookup(k, options: options) { value = Array($0) } }
        return value
    }

    /// Copies the newest value of `key` into `value` (replacing its contents, keeping its
    /// capacity) and returns true; returns false and leaves `value` alone when there is none.
    func get(_ key: [UInt8], into value: inout [UInt8], options: ReadOptions) throws -> Bool {
        try key.withUnsafeBytes { k in
            try lookup(k, options: options) { v in
                value.removeAll(keepingCapacity: true)
                value.append(contentsOf: v)
            }
        }
    }

    /// Finds the newest value of `key` visible at the read view's sequence and passes it to
    /// `onValue` (a view valid only during the call); returns false when there is none.
    func lookup(_ k: UnsafeRawBufferPointer, options: ReadOptions,
                _ onValue: (UnsafeRawBufferPointer) -> Void) throws -> Bool {
        let view = try readView(snapshot: options.snapshot)
        func fromMemTable(_ m: MemTable) -> LookupStatus {
            m.withLookup(userKey: k, sequence: view.sequence) { lookup in
                switch lookup {
                case .value(let v):
                    onValue(v)
                    return .found
                case .deleted: return .deleted
                case .notFound: return .notFound
                }
            }
        }
        if let decided = fromMemTable(view.mem).decision { return decided }
        for imm in view.imms {
            if let decided = fromMemTable(imm).decision { return decided }
        }
        // LevelDB's seek accounting: a get that reads two or more tables charges the first.
        // Tables are named by number and size only (a FileMetadata copy retains its two keys).
        var tablesRead = 0
        var first: (reader: TableReader, level: Int, number: UInt64)? = nil
        func read(number: UInt64, size: UInt64, level: Int) throws -> LookupStatus {
            let reader = try tableCache.reader(number: number, size: size)
            tablesRead += 1
            if tablesRead == 1 {
                first = (reader, level, number)
            } else if tablesRead == 2, self.options.seekCompaction,
                      let first, first.reader.chargeSeek() {
                requestSeekCompaction(level: first.level, number: first.number)
            }
            return try reader.lookup(userKey: k, sequence: view.sequence,
                                     verifyChecksums: options.verifyChecksums, fillCache: options.fillCache, onValue)
        }
        let levels = view.version.levels
        for level in 0..<levels.count {
            if level == 0 {
                for i in 0..<levels[0].count where DatabaseCore.mayContain(levels[0][i], k) {
                    if let decided = try read(number: levels[0][i].number, size: levels[0][i].size, level: 0).decision {
                        return decided
                    }
                }
            } else if let i = DatabaseCore.fileCoveringIndex(levels[level], k) {
                if let decided = try read(number: levels[level][i].number, size: levels[level][i].size, level: level).decision {
                    return decided
                }
            }
        }
        return false
    }

    /// Records that table `number` on `level` used up its seek budget and wakes the background
    /// threads (the first such table waits its turn; others are charged again later).
    private func requestSeekCompaction(level: Int, number: UInt64) {
        monitor.withLock {
            guard state.seekCompactionFile == nil, !state.closed else { return }
            state.seekCompactionFile = (level, number)
            monitor.broadcast(.work)
        }
    }

    /// True when `key` lies within the table's user-key range.
    static func mayContain(_ f: FileMetadata, _ key: UnsafeRawBufferPointer) -> Bool {
        f.smallest.withUnsafeBytes { s in
            f.largest.withUnsafeBytes { l in
                compareBytes(key, UnsafeRawBufferPointer(rebasing: s[0..<s.count - 8])) >= 0
                    && compareBytes(key, UnsafeRawBufferPointer(rebasing: l[0..<l.count - 8])) <= 0
            }
        }
    }

    /// The index in `files` (sorted, non-overlapping) of the one table whose range may hold
    /// `key`, or nil.
    static func fileCoveringIndex(_ files: [FileMetadata], _ key: UnsafeRawBufferPointer) -> Int? {
        var lo = 0
        var hi = files.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let largerOrEqual = files[mid].largest.withUnsafeBytes { l in
                compareBytes(UnsafeRawBufferPointer(rebasing: l[0..<l.count - 8]), key) >= 0
            }
            if largerOrEqual { hi = mid } else { lo = mid + 1 }
        }
        guard lo < files.count, mayContain(files[lo], key) else { return nil }
        return lo
    }

    /// Reads every block of every live table and checks its checksum.
    func verifyChecksums() throws {
        let view = try readView(snapshot: nil)
        for files in view.version.levels {
            for f in files {
                try tableCache.reader(number: f.number, size: f.size).verifyChecksums()
            }
        }
    }

    /// A snapshot at the newest visible sequence. It is registered under the lock, so no
    /// compaction can start between reading the sequence and registering it (and then drop a
    /// version this snapshot needs).
    func snapshot() -> Snapshot {
        let sequence = monitor.withLock {
            snapshots.acquire(state.lastSequence)
            return state.lastSequence
        }
        return Snapshot(sequence: sequence, list: snapshots)
    }
}
