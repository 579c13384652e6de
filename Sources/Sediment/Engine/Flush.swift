// Flush: writes one memtable to a new level-0 table. Used by the background flush and by
// recovery. Like RocksDB's flush, it drops an overwritten version of a key when no live snapshot
// can see it (SnapshotStripes), so a key written twice into one memtable costs one entry on disk. The table is complete and synced before its metadata is returned; on any error the
// partial file is removed and the error rethrown (the memtable and its log stay as they were).

/// The arena chunk size for a memtable: an eighth of the write buffer (as RocksDB's
/// arena_block_size), between 4 KiB and 8 MiB, so that small write buffers are not filled by
/// one chunk's reservation; from 2 MiB up, a multiple of 2 MiB so the arena can use huge pages.
func arenaBlockSize(for options: Options) -> Int {
    let eighth = min(8 << 20, max(4096, options.writeBufferSize / 8))
    if eighth >= Arena.hugePageBytes { return eighth / Arena.hugePageBytes * Arena.hugePageBytes }
    return (eighth + 4095) / 4096 * 4096
}

enum Flush {
    /// Writes the entries of `mem` that some reader can see to table `number` in `directory`
    /// (the newest entry of every key always stays), syncs and closes it.
    /// - Parameter snapshots: the live snapshots, ascending (none during recovery).
    /// - Returns: the table's metadata for a VersionEdit.
    /// - Throws: `SedimentError` from the file system; the partial table is removed first.
    static func writeLevel0Table(_ mem: MemTable, number: UInt64, directory: String,
                                 options: Options, snapshots: [SequenceNumber] = []) throws -> FileMetadata {
        let fs = options.fileSystem
        let path = FileNames.table(directory, number)
        let file = try fs.createForWriting(path)
        do {
            // Every user key in the memtable reaches the table (its newest version at least).
            let builder = TableBuilder(file: file, options: TableBuilderOptions(options),
                                       creationTime: Clock.unixSeconds(), plannedFilterKeys: mem.distinctUserKeys)
            let it = mem.makeIterator()
            it.seekToFirst()
            var smallest: [UInt8] = []
            var largest: [UInt8] = []
            var smallestSeq = UInt64.max
            var largestSeq: UInt64 = 0
            let stripes = SnapshotStripes(snapshots)
            var lastStripe = -1
            while it.isValid {
                let key = it.key
                let seq = key.loadFixed64(at: key.count - 8) >> 8
                let stripe = stripes.stripe(of: seq)
                let sameUserKey = !largest.isEmpty && largest.withUnsafeBytes { l in
                    compareBytes(UnsafeRawBufferPointer(rebasing: l[0..<l.count - 8]),
                                 UnsafeRawBufferPointer(rebasing: key[0..<key.count - 8])) == 0
                }
                if sameUserKey && stripe == lastStripe {
                    it.next()   // hidden by the newer entry just written, from every reader
                    continue
                }
                lastStripe = stripe
                if smallest.isEmpty { smallest = Array(key) }
                smallestSeq = min(smallestSeq, seq)
                largestSeq = max(largestSeq, seq)
                try builder.add(key, it.value)
                largest.removeAll(keepingCapacity: true)
                largest.append(contentsOf: key)
                it.next()
            }
            let size = try builder.finish()
            try file.sync()
            try file.close()
            try fs.syncDirectory(directory)
            return FileMetadata(number: number, size: size, smallest: smallest, largest: largest,
                                smallestSequence: smallestSeq == UInt64.max ? 0 : smallestSeq,
                                largestSequence: largestSeq)
        } catch {
            try? file.close()
            try? fs.removeFile(path)
            throw error
        }
    }
}

