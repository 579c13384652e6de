// TableBuilder: streams sorted internal keys into a RocksDB-compatible block-based table
// (format_version 5 footer, crc32c trailers by default). Memory is bounded by one data block,
// the index (one entry per data block) and the filter's 8 bytes per distinct user key (or its
// bit array alone, when the caller plans the key count, as a flush does).
// See DESIGN.md §6.
//
//   | data block 0 | ... | data block n-1 | filter | index | properties | metaindex | footer |
//
// Each block is followed by its 5-byte trailer: compression type byte + fixed32 checksum of
// the stored bytes and the type byte. Index keys are RocksDB's shortened separators; they are
// written as user keys (`rocksdb.index.key.is.user.key` = 1) unless two adjacent data blocks
// split one user key's versions. Not thread-safe: one writer.

/// Options for building one table.
@_spi(Internals) public struct TableBuilderOptions: Sendable {
    /// Target uncompressed size of a data block in bytes.
    public var blockSize: Int
    /// Keys between restart points in data blocks.
    public var blockRestartInterval: Int
    /// Bloom filter bits per key; 0 writes no filter.
    public var bloomBitsPerKey: Double
    /// Data and index block compression.
    public var compression: Compression
    /// How block trailers are checksummed.
    public var checksum: ChecksumType = .crc32c

    /// The table options of database `options`.
    public init(_ options: Options) {
        self.init(blockSize: options.blockSize, blockRestartInterval: options.blockRestartInterval,
                  bloomBitsPerKey: options.bloomBitsPerKey, compression: options.compression)
    }

    /// Explicit options.
    public init(blockSize: Int = 4096, blockRestartInterval: Int = 16, bloomBitsPerKey: Double = 10,
                compression: Compression = .lz4, checksum: ChecksumType = .crc32c) {
        self.blockSize = blockSize
        self.blockRestartInterval = blockRestartInterval
        self.bloomBitsPerKey = bloomBitsPerKey
        self.compression = compression
        self.checksum = checksum
    }
}

/// Writes one table from internal keys added in strictly increasing order.
@_spi(Internals) public final class TableBuilder {
    private let file: any WritableFile
    private let options: TableBuilderOptions
    private let creationTime: UInt64
    private let compressionType: BlockCompressionType

    // The builder's state is @exclusivity(unchecked): one thread builds a table and no access
    // overlaps another, so the runtime checks (5 % of a flush's time in perf) buy nothing.
    @exclusivity(unchecked) private var dataBlock: BlockBuilder
    @exclusivity(unchecked) private var indexWithSequence = BlockBuilder(restartInterval: 1)
    @exclusivity(unchecked) private var indexUserKeys = BlockBuilder(restartInterval: 1)
    private var separatorNeedsSequence = false
    @exclusivity(unchecked) private var filter: BloomFilterBuilder?
    @exclusivity(unchecked) private var lastKey: [UInt8] = []
    private var pendingHandle: BlockHandle?
    private var offset: UInt64 = 0
    @exclusivity(unchecked) private var outBuffer: [UInt8] = []
    @exclusivity(unchecked) private var properties = TableProperties()
    private var closed = false

    /// Entries added so far.
    public private(set) var numEntries = 0

    /// A builder writing to `file` (which should be empty). `creationTime` (seconds since the
    /// epoch) goes into the creation-time properties; 0 for reproducible output.
    /// - Parameter plannedFilterKeys: the number of distinct user keys the table will hold,
    ///   when the caller knows it (a flush does): the filter is then built as keys arrive
    ///   instead of from a list of their hashes (BloomFilterBuilder).
    public init(file: any WritableFile, options: TableBuilderOptions, creationTime: UInt64 = 0,
                plannedFilterKeys: Int? = nil) {
        self.file = file
        self.options = options
        self.creationTime = creationTime
        self.compressionType = BlockCompressionType(options.compression)
        self.dataBlock = BlockBuilder(restartInterval: options.blockRestartInterval)
        if options.bloomBitsPerKey > 0 {
            filter = BloomFilterBuilder(bitsPerKey: options.bloomBitsPerKey, plannedKeys: plannedFilterKeys)
        }
        outBuffer.reserveCapacity(1 << 16)
    }

    /// The most bytes an index block may take: block handles span at most 4 GiB - 1 bytes
    /// (`BlockReader.checkedCount`), and an index that large is stored uncompressed.
    static let maxIndexBlockBytes = Int(UInt32.max)
    /// `maxIndexBlockBytes`, lowered by tests (a 4 GiB index is out of a test's reach).
    var indexBlockLimit = TableBuilder.maxIndexBlockBytes

    /// Bytes the index block would take if the table were finished now (the form with
    /// sequence numbers, the larger of the two `finish` chooses between). Data-block sizes
    /// (`estimatedFileSize`) do not count it, as in RocksDB; a table of long keys that do not
    /// shorten can hold as many index bytes as data bytes.
    var estimatedIndexSize: Int { indexWithSequence.currentSizeEstimate }

    /// Bytes the file would have if the current data block were flushed now.
    public var estimatedFileSize: UInt64 { offset + UInt64(outBuffer.count) + UInt64(dataBlock.currentSizeEstimate) }

    /// Adds an entry.
    /// - Precondition: `internalKey` is an encoded internal key (>= 8 bytes) greater than every
    ///   key added before.
    /// - Throws: `.invalidArgument` when the precondition fails; I/O errors from the file.
    public func add(_ internalKey: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws {
        guard !closed else { throw SedimentError.invalidArgument("TableBuilder used after finish/abandon: \(file.path)") }
        guard internalKey.count >= 8 else {
            throw SedimentError.invalidArgument("internal key of \(internalKey.count) bytes (needs >= 8) for \(file.path)")
        }
        if numEntries > 0 {
            let c = lastKey.withUnsafeBytes { compareInternalKeys($0, internalKey) }
            guard c < 0 else {
                throw SedimentError.invalidArgument("keys added out of order to \(file.path)")
            }
        }
        let userKey = UnsafeRawBufferPointer(rebasing: internalKey[0..<internalKey.count - 8])
        if let handle = pendingHandle {
            try addIndexEntry(handle, next: internalKey)
            pendingHandle = nil
        }
        filter?.add(userKey)
        lastKey.removeAll(keepingCapacity: true)
        lastKey.append(contentsOf: internalKey)
        numEntries += 1
        properties.rawKeySize += UInt64(internalKey.count)
        properties.rawValueSize += UInt64(value.count)
        switch ValueKind(rawValue: internalKey[internalKey.count - 8]) {
        case .deletion, .singleDeletion, .deletionWithTimestamp: properties.numDeletions += 1
        case .merge: properties.numMergeOperands += 1
        default: break
        }
        dataBlock.add(internalKey, value)
        if dataBlock.currentSizeEstimate >= options.blockSize { try flushDataBlock() }
    }

    /// Adds an entry held in arrays.
    public func add(_ internalKey: [UInt8], _ value: [UInt8]) throws {
        try internalKey.withUnsafeBytes { k in try value.withUnsafeBytes { v in try add(k, v) } }
    }

    /// Adds the index entry of the data block at `handle`, whose last key is `lastKey`.
    /// - Throws: `.notSupported` when the index block would pass `maxIndexBlockBytes`.
    private func addIndexEntry(_ handle: BlockHandle, next: UnsafeRawBufferPointer?) throws {
        var separator = lastKey
        if let next {
            lastKey.withUnsafeBytes { last in
                let lastUser = UnsafeRawBufferPointer(rebasing: last[0..<last.count - 8])
                let nextUser = UnsafeRawBufferPointer(rebasing: next[0..<next.count - 8])
                if compareBytes(lastUser, nextUser) == 0 { separatorNeedsSequence = true }
            }
            shortenSeparator(&separator, limit: next)
        } else {
            shortenToSuccessor(&separator)
        }
        let encoded = handle.encoded
        // Entry header (three varints) and restart slot included, with room to spare.
        guard indexWithSequence.currentSizeEstimate + separator.count + encoded.count + 32 <= indexBlockLimit else {
            throw SedimentError.notSupported(
                feature: "an index block over 4 GiB (too many long keys for one table; a smaller writeBufferSize or targetFileSizeBase splits them)",
                file: file.path)
        }
        indexWithSequence.add(separator, encoded)
        indexUserKeys.add(Array(separator[0..<separator.count - 8]), encoded)
    }

    private func flushDataBlock() throws {
        guard !dataBlock.isEmpty else { return }
        let contents = dataBlock.finish()
        pendingHandle = try writeBlock(contents, compress: true)
        dataBlock.reset()
        properties.numDataBlocks += 1
        properties.dataSize = offset + UInt64(outBuffer.count)
    }

    /// Writes `contents` (compressed when worthwhile) and its trailer; returns its handle.
    private func writeBlock(_ contents: [UInt8], compress: Bool) throws -> BlockHandle {
        var type = BlockCompressionType.none
        var compressed: [UInt8]? = nil
        if compress && compressionType != .none {
            compressed = contents.withUnsafeBytes { BlockCompression.compress($0, type: compressionType) }
            if compressed != nil { type = compressionType }
        }
        let stored = compressed ?? contents
        let handle = BlockHandle(offset: offset + UInt64(outBuffer.count), size: UInt64(stored.count))
        let checksum = stored.withUnsafeBytes { options.checksum.blockChecksum($0, lastByte: type.rawValue) }
        outBuffer.append(contentsOf: stored)
        outBuffer.append(type.rawValue)
        outBuffer.appendFixed32(checksum)
        if outBuffer.count >= 1 << 16 { try flushOutput() }
        return handle
    }

    private func flushOutput() throws {
        guard !outBuffer.isEmpty else { return }
        try outBuffer.withUnsafeBytes { try file.append($0) }
        offset += UInt64(outBuffer.count)
        outBuffer.removeAll(keepingCapacity: true)
    }

    /// Writes the remaining data block, filter, index, properties, metaindex and footer.
    /// Does not sync or close the file.
    /// - Returns: the file size.
    public func finish() throws -> UInt64 {
        guard !closed else { throw SedimentError.invalidArgument("TableBuilder finished twice: \(file.path)") }
        closed = true
        try flushDataBlock()
        if let handle = pendingHandle {
            try addIndexEntry(handle, next: nil)
            pendingHandle = nil
        }
        var meta: [(String, BlockHandle)] = []
        if let filter {
            let contents = filter.finish()
            let h = try writeBlock(contents, compress: false)
            meta.append((fullFilterMetaKey, h))
            properties.filterSize = UInt64(contents.count)
            properties.numFilterEntries = UInt64(filter.count)
            properties.filterPolicyName = bloomFilterPolicyName
        }
        let userKeyIndex = !separatorNeedsSequence
        let indexContents = userKeyIndex ? indexUserKeys.finish() : indexWithSequence.finish()
        let indexHandle = try writeBlock(indexContents, compress: true)
        properties.indexSize = indexHandle.size + UInt64(blockTrailerSize)
        properties.indexKeyIsUserKey = userKeyIndex ? 1 : 0
        properties.indexValueIsDeltaEncoded = 0
        properties.numEntries = UInt64(numEntries)
        properties.formatVersion = 0 // RocksDB sets this property only for plain tables
        properties.columnFamilyID = 0
        properties.columnFamilyName = "default"
        properties.comparatorName = bytewiseComparatorName
        properties.mergeOperatorName = "nullptr"
        properties.prefixExtractorName = "nullptr"
        properties.propertyCollectorsNames = "[]"
        properties.compressionName = compressionType.name
        properties.compressionOptions = "window_bits=-14; level=32767; strategy=0; max_dict_bytes=0; zstd_max_train_bytes=0; enabled=0; max_dict_buffer_bytes=0; use_zstd_dict_trainer=1; "
        properties.creationTime = creationTime
        properties.oldestKeyTime = creationTime
        properties.fileCreationTime = creationTime
        properties.userCollected = [
            ("rocksdb.block.based.table.index.type", [0, 0, 0, 0]),
            ("rocksdb.block.based.table.prefix.filtering", Array("0".utf8)),
            ("rocksdb.block.based.table.whole.key.filtering", Array("1".utf8)),
        ]
        let propertiesHandle = try writeBlock(properties.encodeBlock(), compress: false)
        meta.append(("rocksdb.properties", propertiesHandle))
        var metaindex = BlockBuilder(restartInterval: 1)
        for (name, h) in meta.sorted(by: { $0.0 < $1.0 }) { metaindex.add(Array(name.utf8), h.encoded) }
        let metaindexHandle = try writeBlock(metaindex.finish(), compress: false)
        let footer = Footer(formatVersion: Footer.newestFormatVersion, checksum: options.checksum,
                            metaindexHandle: metaindexHandle, indexHandle: indexHandle)
        outBuffer.append(contentsOf: footer.encode())
        try flushOutput()
        return offset
    }

    /// Stops building; the caller deletes the file. Further calls fail.
    public func abandon() {
        closed = true
        outBuffer.removeAll()
    }
}

/// Shortens internal key `start` towards `limit` (RocksDB's InternalKeyComparator::
/// FindShortestSeparator over the bytewise comparator): start <= result < limit. The shortened
/// user key gets the trailer (max sequence, kValueTypeForSeek) so it sorts before every real
/// version of itself.
func shortenSeparator(_ start: inout [UInt8], limit: UnsafeRawBufferPointer) {
    let userStart = start[0..<start.count - 8]
    let userLimit = UnsafeRawBufferPointer(rebasing: limit[0..<limit.count - 8])
    let n = min(userStart.count, userLimit.count)
    var diff = 0
    while diff < n && userStart[diff] == userLimit[diff] { diff += 1 }
    guard diff < n else { return }
    var shortened = Array(userStart)
    guard shortened[diff] < userLimit[diff] else { return }
    // Growing the first differing byte stays below `limit` when it stays below limit's byte,
    // or when `limit` goes on past it (then the result is a proper prefix of `limit`).
    if shortened[diff] + 1 < userLimit[diff] || diff < userLimit.count - 1 {
        shortened[diff] += 1
        shortened.removeLast(shortened.count - diff - 1)
    } else {
        // The first differing byte cannot grow: grow a later byte of `start` instead.
        var i = diff + 1
        while i < shortened.count && shortened[i] == 0xFF { i += 1 }
        guard i < shortened.count else { return }
        shortened[i] += 1
        shortened.removeLast(shortened.count - i - 1)
    }
    guard compareBytes(Array(userStart), shortened) < 0 else { return }
    shortened.appendFixed64(packSequenceAndKind(maxSequenceNumber, .forSeek))
    start = shortened
}

/// Replaces internal key `key` by a short key after every key with its user key (RocksDB's
/// FindShortSuccessor): the first non-0xFF byte incremented, the rest dropped.
func shortenToSuccessor(_ key: inout [UInt8]) {
    let user = key[0..<key.count - 8]
    guard let i = user.firstIndex(where: { $0 != 0xFF }) else { return }
    var shortened = Array(user[...i])
    shortened[shortened.count - 1] += 1
    shortened.appendFixed64(packSequenceAndKind(maxSequenceNumber, .forSeek))
    key = shortened
}
