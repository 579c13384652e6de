// Flush: writes one memtable to a new level-0 table. Used by the background flush and by
// recovery. The table is complete and synced before its metadata is returned; on any error the
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
    /// Writes every entry of `mem` to table `number` in `directory`, syncs and closes it.
    /// - Returns: the table's metadata for a VersionEdit.
    /// - Throws: `SedimentError` from the file system; the partial table is removed first.
    static func writeLevel0Table(_ mem: MemTable, number: UInt64, directory: String,
                                 options: Options) throws -> FileMetadata {
        let fs = options.fileSystem
        let path = FileNames.table(directory, number)
        let file = try fs.createForWriting(path)
        do {
            let builder = TableBuilder(file: file, options: TableBuilderOptions(options),
                                       creationTime: Clock.unixSeconds())
            let it = mem.makeIterator()
            it.seekToFirst()
            var smallest: [UInt8] = []
            var largest: [UInt8] = []
            var smallestSeq = UInt64.max
            var largestSeq: UInt64 = 0
            while it.isValid {
                let key = it.key
                if smallest.isEmpty { smallest = Array(key) }
                let seq = key.loadFixed64(at: key.count - 8) >> 8
                smallestSeq = min(smallestSeq, seq)
                largestSeq = max(largestSeq, seq)
                try builder.add(key, it.value)
                if !it.isValidAfterNextKeepingLast(&largest) { break }
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

extension MemTableIterator {
    /// Copies the current key into `last`, advances, and reports whether still valid.
    fileprivate func isValidAfterNextKeepingLast(_ last: inout [UInt8]) -> Bool {
        last = Array(key)
        next()
        return isValid
    }
}
