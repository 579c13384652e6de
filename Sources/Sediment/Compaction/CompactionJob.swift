// CompactionJob: executes a Compaction: merges its input tables and writes new tables at the
// output level, keeping exactly the versions some reader can still see (DESIGN.md §9):
//
//  * Stripes (SnapshotStripes.swift): of each user key only the newest entry per snapshot
//    stripe is kept; older ones in the same stripe are hidden from every reader and dropped.
//  * A tombstone in stripe 0 (no snapshot can see below it) is dropped too when no deeper
//    level can hold the key (then nothing remains for it to hide).
//  * Outputs are cut at `targetFileSizeBase`, and early when the output's range would overlap
//    more than 10 x targetFileSizeBase of the grandparent level, or when its index block alone
//    reaches targetFileSizeBase or 1 GiB (long keys that do not shorten), but never inside one
//    user key, so a level stays a set of tables with disjoint user-key ranges.
// Runs without the database lock; its inputs are immutable tables.

/// The result of a finished compaction.
struct CompactionResult {
    /// The tables written, in key order (all at the output level).
    var outputs: [FileMetadata] = []
    /// Bytes of every input table.
    var bytesRead: UInt64 = 0
    /// Bytes of every output table.
    var bytesWritten: UInt64 = 0
    /// Entries read from the inputs.
    var entriesIn: UInt64 = 0
    /// Entries not written (hidden versions, tombstones with nothing below).
    var entriesDropped: UInt64 = 0
}

/// Index bytes at which a compaction output is cut whatever its data size: far below the 4 GiB
/// an index block may take (`TableBuilder.maxIndexBlockBytes`), even with an 8 MiB last key.
let maxOutputIndexBytes = 1 << 30

/// Runs one compaction.
struct CompactionJob {
    /// What to merge.
    let compaction: Compaction
    /// The version the inputs come from; consulted for tables below the output level.
    let version: Version
    /// Live snapshots' sequence numbers, ascending.
    let snapshots: [SequenceNumber]
    /// The database directory.
    let directory: String
    /// Table building and file system options.
    let options: Options
    /// Opens the input tables.
    let tableCache: TableCache
    /// Hands out file numbers for outputs (and records them as pending).
    let newFileNumber: () -> UInt64

    /// Merges the inputs and writes the outputs. On error every output written so far is
    /// removed before the error is rethrown.
    func run() throws -> CompactionResult {
        var result = CompactionResult()
        let stripes = SnapshotStripes(snapshots)
        var children: [any InternalIterator] = []
        for f in compaction.allInputs { result.bytesRead += f.size }
        if compaction.level == 0 {
            for f in compaction.inputs {
                children.append(try tableCache.reader(number: f.number, size: f.size).makeIterator(verifyChecksums: true, fillCache: false))
            }
        } else if !compaction.inputs.isEmpty {
            children.append(LevelIterator(files: compaction.inputs, tableCache: tableCache, verifyChecksums: true, fillCache: false))
        }
        if !compaction.nextLevelInputs.isEmpty {
            children.append(LevelIterator(files: compaction.nextLevelInputs, tableCache: tableCache, verifyChecksums: true, fillCache: false))
        }
        let input = MergingIterator(children)
        var writer = OutputWriter(directory: directory, options: options, newFileNumber: newFileNumber)
        do {
            let maxGrandparentOverlap = CompactionPicker(options: options).maxGrandparentOverlapBytes
            var grandIndex = 0
            var overlappedBytes: UInt64 = 0
            var currentUserKey: [UInt8] = []
            var hasCurrentKey = false
            var lastStripe = -1
            var isBaseLevelForCurrent = false
            var zeroed: [UInt8] = []
            input.seekToFirst()
            while input.isValid {
                let key = input.key
                guard key.count >= 8 else {
                    throw SedimentError.corruption(file: directory, offset: nil, message: "compaction input key shorter than 8 bytes")
                }
                result.entriesIn += 1
                let user = UnsafeRawBufferPointer(rebasing: key[0..<key.count - 8])
                let newKey = !hasCurrentKey || currentUserKey.withUnsafeBytes { compareBytes(user, $0) } != 0
                if newKey {
                    // A user-key boundary: the only place an output may be cut.
                    if writer.isOpen {
                        // Advance the grandparent window past this key.
                        while grandIndex < compaction.grandparents.count,
                              compaction.grandparents[grandIndex].largest.withUnsafeBytes({ compareBytes(UnsafeRawBufferPointer(rebasing: $0[0..<$0.count - 8]), user) < 0 }) {
                            overlappedBytes += compaction.grandparents[grandIndex].size
                            grandIndex += 1
                        }
                        if writer.estimatedSize >= UInt64(options.targetFileSizeBase) || overlappedBytes > maxGrandparentOverlap
                            || writer.estimatedIndexSize >= min(options.targetFileSizeBase, maxOutputIndexBytes) {
                            try writer.finish(into: &result)
                            overlappedBytes = 0
                        }
                    }
                    currentUserKey = Array(user)
                    hasCurrentKey = true
                    lastStripe = -1
                    isBaseLevelForCurrent = isBaseLevel(user)
                }
                let trailer = key.loadFixed64(at: key.count - 8)
                let sequence = trailer >> 8
                let kind = UInt8(truncatingIfNeeded: trailer)
                let stripe = stripes.stripe(of: sequence)
                var drop = false
                if stripe == lastStripe {
                    drop = true   // a newer entry in the same stripe hides it
                } else if kind == ValueKind.deletion.rawValue && stripe == 0 && isBaseLevelForCurrent {
                    drop = true   // nothing below for the tombstone to hide, no snapshot needs it
                }
                lastStripe = stripe
                if drop {
                    result.entriesDropped += 1
                } else if kind == ValueKind.value.rawValue && stripe == 0 && isBaseLevelForCurrent && sequence != 0 {
                    // Visible to every reader and nothing below: the sequence number carries no
                    // information any more and is written as 0, which compresses (RocksDB's
                    // rule; DESIGN.md §9 "Dropping").
                    zeroed.removeAll(keepingCapacity: true)
                    zeroed.append(contentsOf: key)
                    zeroed.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(kind).littleEndian, toByteOffset: $0.count - 8, as: UInt64.self) }
                    try zeroed.withUnsafeBytes { try writer.add($0, input.value) }
                } else {
                    try writer.add(key, input.value)
                }
                input.next()
            }
            if let e = input.error { throw e }
            try writer.finish(into: &result)
            // The outputs' directory entries must be durable before the MANIFEST names them:
            // otherwise power loss can leave a MANIFEST naming tables that vanished.
            if !result.outputs.isEmpty { try options.fileSystem.syncDirectory(directory) }
        } catch {
            writer.abandon()
            for f in result.outputs { try? options.fileSystem.removeFile(FileNames.table(directory, f.number)) }
            throw error
        }
        return result
    }

    /// True when no level below the output level has a table whose range holds `user`.
    private func isBaseLevel(_ user: UnsafeRawBufferPointer) -> Bool {
        var level = compaction.outputLevel + 1
        while level < version.numLevels {
            if DatabaseCore.fileCoveringIndex(version.files(at: level), user) != nil { return false }
            level += 1
        }
        return true
    }
}

/// Writes the output tables of a compaction (or of repair's merge) one after another.
struct OutputWriter {
    let directory: String
    let options: Options
    let newFileNumber: () -> UInt64
    private var file: (any WritableFile)?
    private var builder: TableBuilder?
    private var number: UInt64 = 0
    private var smallest: [UInt8] = []
    private var largest: [UInt8] = []
    private var smallestSeq = UInt64.max
    private var largestSeq: UInt64 = 0

    init(directory: String, options: Options, newFileNumber: @escaping () -> UInt64) {
        self.directory = directory
        self.options = options
        self.newFileNumber = newFileNumber
    }

    var isOpen: Bool { builder != nil }
    var estimatedSize: UInt64 { builder?.estimatedFileSize ?? 0 }
    var estimatedIndexSize: Int { builder?.estimatedIndexSize ?? 0 }

    mutating func add(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws {
        if builder == nil {
            number = newFileNumber()
            let f = try options.fileSystem.createForWriting(FileNames.table(directory, number))
            file = f
            builder = TableBuilder(file: f, options: TableBuilderOptions(options), creationTime: Clock.unixSeconds())
            smallest = Array(key)
            smallestSeq = .max
            largestSeq = 0
        }
        let seq = key.loadFixed64(at: key.count - 8) >> 8
        smallestSeq = min(smallestSeq, seq)
        largestSeq = max(largestSeq, seq)
        try builder?.add(key, value)
        largest.removeAll(keepingCapacity: true)
        largest.append(contentsOf: key)
    }

    /// Completes the open output (if any): finishes, syncs and closes it, and appends its
    /// metadata to `result`. On error the output stays open so `abandon` removes it.
    mutating func finish(into result: inout CompactionResult) throws {
        guard let b = builder, let f = file else { return }
        let size = try b.finish()
        try f.sync()
        try f.close()
        builder = nil
        file = nil
        result.bytesWritten += size
        result.outputs.append(FileMetadata(number: number, size: size, smallest: smallest, largest: largest,
                                           smallestSequence: smallestSeq == .max ? 0 : smallestSeq,
                                           largestSequence: largestSeq))
    }

    /// Drops the open output, if any, and removes its file.
    mutating func abandon() {
        builder?.abandon()
        try? file?.close()
        if builder != nil || file != nil { try? options.fileSystem.removeFile(FileNames.table(directory, number)) }
        builder = nil
        file = nil
    }
}
