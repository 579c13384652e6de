// TableReader: opens a block-based table written by Sediment or RocksDB (format_version 0...5),
// keeping its footer, properties, index block and filter in memory, and reads data blocks
// through the optional shared BlockCache. See DESIGN.md §6.
//
// Every length and offset read from disk is checked against the file before use; every error
// is a `SedimentError` naming the file path and, where known, the block offset.
// Thread-safety: immutable after `open` (but for the atomic seek budget), so one reader serves
// any number of threads.
import Synchronization

/// A read-only view of one table file.
@_spi(Internals) public final class TableReader: Sendable {
    /// The file, read with positional reads.
    let file: any RandomAccessFile
    /// The path, for errors.
    public let path: String
    /// The file size given to `open`.
    public let fileSize: UInt64
    /// The number keying this table's blocks in the cache.
    public let fileNumber: UInt64
    /// The decoded footer.
    let footer: Footer
    /// The table's properties (defaults for a legacy table without a properties block).
    public let properties: TableProperties
    /// Handles found in the metaindex, by name.
    let metaHandles: [(name: String, handle: BlockHandle)]
    let indexBlock: Block
    let indexOrder: BlockKeyOrder
    let indexFormat: BlockValueFormat
    let filter: FilterBlockReader?
    let blockCache: BlockCache?
    /// Where the footer starts: no block may extend past it.
    private let blocksEnd: UInt64
    /// How compressed blocks are framed (from the footer's format_version).
    private let framing: CompressedBlockFraming
    /// Seeks left before point reads that look through this table without stopping in it ask
    /// for its compaction (LevelDB's allowed_seeks: one seek per 16 KiB, at least 100).
    let seekBudget: Atomic<Int>
    /// False until this reader first puts a data block into the block cache. Until then a
    /// lookup in the cache cannot hit (the cache key is this file), so it is skipped: a table
    /// stored without compression, read by point lookups only, never caches a block (P30).
    private let hasCachedBlocks = Atomic<Bool>(false)

    private init(file: any RandomAccessFile, fileSize: UInt64, fileNumber: UInt64, footer: Footer,
                 properties: TableProperties, metaHandles: [(name: String, handle: BlockHandle)],
                 indexBlock: Block, indexOrder: BlockKeyOrder, indexFormat: BlockValueFormat,
                 filter: FilterBlockReader?, blockCache: BlockCache?, blocksEnd: UInt64) {
        self.file = file
        self.path = file.path
        self.fileSize = fileSize
        self.fileNumber = fileNumber
        self.footer = footer
        self.properties = properties
        self.metaHandles = metaHandles
        self.indexBlock = indexBlock
        self.indexOrder = indexOrder
        self.indexFormat = indexFormat
        self.filter = filter
        self.blockCache = blockCache
        self.blocksEnd = blocksEnd
        self.framing = CompressedBlockFraming(formatVersion: footer.formatVersion)
        self.seekBudget = Atomic(max(100, Int(clamping: fileSize / 16384)))
    }

    /// Opens the table in `file` of `fileSize` bytes: reads and verifies the footer,
    /// metaindex, properties, index and filter blocks.
    /// - Throws: `.corruption` (bad magic, truncation, checksum mismatch, malformed block)
    ///   naming the file and offset; `.notSupported` for features Sediment does not read.
    public static func open(file: any RandomAccessFile, fileSize: UInt64, fileNumber: UInt64,
                            blockCache: BlockCache?) throws -> TableReader {
        let path = file.path
        let tailLength = Int(min(fileSize, UInt64(Footer.encodedLength)))
        let tail = try file.readExactly(at: fileSize - UInt64(tailLength), count: tailLength)
        let footer = try tail.withUnsafeBytes { try Footer.decode(tail: $0, fileSize: fileSize, file: path) }
        let blocksEnd = fileSize - UInt64(footer.formatVersion == 0 ? Footer.legacyEncodedLength : Footer.encodedLength)
        let io = BlockReader(file: file, path: path, checksum: footer.checksum, blocksEnd: blocksEnd,
                             framing: CompressedBlockFraming(formatVersion: footer.formatVersion))

        let metaindex = try io.readBlock(footer.metaindexHandle, verify: true)
        var metaHandles: [(name: String, handle: BlockHandle)] = []
        do {
            var c = BlockCursor(block: metaindex, order: .bytewise)
            defer { c.release() }
            c.seekToFirst()
            while c.isValid {
                guard let (h, _) = BlockHandle.decode(c.value, at: 0, limit: c.value.count) else {
                    throw SedimentError.corruption(file: path, offset: Int64(footer.metaindexHandle.offset),
                                                   message: "bad block handle in the metaindex")
                }
                metaHandles.append((String(decoding: c.key, as: UTF8.self), h))
                c.next()
            }
            if let e = c.error { throw e }
        }
        var properties = TableProperties()
        if let h = metaHandles.first(where: { $0.name == "rocksdb.properties" })?.handle {
            let block: Block
            do {
                block = try io.readBlock(h, verify: true)
            } catch let error as SedimentError {
                // A table RocksDB ingested with write_global_seqno = true (BlockReader).
                guard case .corruption = error, let ingested = try? io.ingestedPropertiesBlock(h) else { throw error }
                block = ingested
            }
            properties = try TableProperties.decode(block)
        }
        var indexFormat = BlockValueFormat(isIndex: true)
        indexFormat.deltaEncoded = properties.indexValueIsDeltaEncoded != 0
        let indexType = properties.userProperty("rocksdb.block.based.table.index.type")
            .flatMap { $0.count == 4 ? $0.withUnsafeBytes { $0.loadFixed32(at: 0) } : nil } ?? 0
        switch indexType {
        case 0, 1: break
        case 3: indexFormat.hasFirstKey = true
        default: throw SedimentError.notSupported(feature: "index type \(indexType) (partitioned index)", file: path)
        }
        let indexBlock = try io.readBlock(footer.indexHandle, verify: true)
        let indexOrder: BlockKeyOrder = properties.indexKeyIsUserKey != 0 ? .userKeyForInternalTarget : .internalKey
        indexBlock.attachSearchIndex(order: indexOrder, format: indexFormat)
        var filter: FilterBlockReader? = nil
        // A RocksDB table written with a prefix extractor and whole_key_filtering=false keeps
        // only prefixes in its filter, which says nothing about whole keys: it is not used.
        let wholeKeyFiltering = properties.userProperty("rocksdb.block.based.table.whole.key.filtering") != Array("0".utf8)
        if wholeKeyFiltering, let h = metaHandles.first(where: { $0.name == fullFilterMetaKey })?.handle {
            filter = FilterBlockReader(contents: try io.readContents(h, verify: true))
        }
        return TableReader(file: file, fileSize: fileSize, fileNumber: fileNumber, footer: footer,
                           properties: properties, metaHandles: metaHandles, indexBlock: indexBlock,
                           indexOrder: indexOrder,
                           indexFormat: indexFormat, filter: filter, blockCache: blockCache, blocksEnd: blocksEnd)
    }

    private var io: BlockReader {
        BlockReader(file: file, path: path, checksum: footer.checksum, blocksEnd: blocksEnd, framing: framing)
    }

    /// The data block at `handle`, from the cache when it is there, else read with a
    /// positional read and not cached (reads that must not fill the cache: `fillCache` false,
    /// compaction, tools). Reads that fill the cache take `readBlock(_:verifyChecksums:scratch:)`.
    func uncachedDataBlock(_ handle: BlockHandle, verifyChecksums: Bool) throws -> Block {
        if let b = cachedBlock(handle) { return b }
        return try io.readBlock(handle, verify: verifyChecksums)
    }

    /// The data block at `handle` for a point lookup: from the cache, or read through the
    /// mapping with `scratch` holding the stored bytes (an uncompressed block borrows it and
    /// is not cached; see `BlockReader.readBlock(_:verify:scratch:)`).
    private func lookupBlock(_ handle: BlockHandle, verifyChecksums: Bool, fillCache: Bool,
                             scratch: UnsafeMutableRawBufferPointer) throws -> Block {
        guard fillCache else { return try uncachedDataBlock(handle, verifyChecksums: verifyChecksums) }
        if let b = cachedBlock(handle) { return b }
        return try readBlock(handle, verifyChecksums: verifyChecksums, scratch: scratch).block
    }

    /// Reads the data block at `handle` through the mapping into `scratch` and caches it
    /// unless it borrows `scratch` (`borrowed` true: an uncompressed block, valid while
    /// `scratch` is left alone) or its checksum was not checked: a damaged block read
    /// unverified must not be served from the cache to readers (and compactions) that verify.
    func readBlock(_ handle: BlockHandle, verifyChecksums: Bool,
                   scratch: UnsafeMutableRawBufferPointer) throws -> (block: Block, borrowed: Bool) {
        let (b, cacheable) = try io.readBlock(handle, verify: verifyChecksums, scratch: scratch)
        if cacheable && (verifyChecksums || footer.checksum == .none) { cache(b, handle) }
        return (b, !cacheable)
    }

    /// The mapped bytes of the block that follows the one at `handle` in the file (assumed the
    /// same size, clipped to the table's data), for a cursor to prefetch while it walks the
    /// block at `handle`; nil when the file is not mapped. A hint only: never read through it.
    func mappedBytesAfter(_ handle: BlockHandle) -> UnsafeRawBufferPointer? {
        guard let mapped = file as? PosixRandomAccessFile else { return nil }
        let start = handle.offset &+ handle.size &+ UInt64(blockTrailerSize)
        guard start < blocksEnd else { return nil }
        let count = Int(min(handle.size &+ UInt64(blockTrailerSize), blocksEnd - start))
        return mapped.mappedAddressForPrefetch(at: start, count: count).map { UnsafeRawBufferPointer(start: $0, count: count) }
    }

    /// The bytes the stored block at `handle` and its trailer take.
    /// - Throws: `.corruption` when the handle runs past the table's data.
    func storedBlockBytes(_ handle: BlockHandle) throws -> Int { try io.checkedCount(handle) }

    /// The data block at `handle` if the block cache holds it.
    func cachedBlock(_ handle: BlockHandle) -> Block? {
        guard let blockCache, hasCachedBlocks.load(ordering: .relaxed) else { return nil }
        return blockCache.lookup(fileNumber: fileNumber, offset: handle.offset)
    }

    private func cache(_ block: Block, _ handle: BlockHandle) {
        guard let blockCache else { return }
        blockCache.insert(fileNumber: fileNumber, offset: handle.offset, block: block)
        if !hasCachedBlocks.load(ordering: .relaxed) { hasCachedBlocks.store(true, ordering: .relaxed) }
    }

    /// Charges one seek; true exactly once, when the budget runs out.
    func chargeSeek() -> Bool {
        seekBudget.subtract(1, ordering: .relaxed).newValue == 0
    }

    /// The footer's checksum type.
    public var checksumType: ChecksumType { footer.checksum }
    /// The table's format_version.
    public var formatVersion: UInt32 { footer.formatVersion }
    /// True when the footer carries the legacy (LevelDB) magic number.
    public var isLegacyFormat: Bool { footer.formatVersion == 0 }

    /// Looks `userKey` up as of `sequence`: the filter, then the index, then (usually) one
    /// data block. The newest entry with sequence <= `sequence` decides.
    /// - Throws: `.corruption`/`.io` naming the file and block; `.notSupported` for merge
    ///   operands, range deletions and other kinds Sediment does not interpret.
    public func get(userKey: UnsafeRawBufferPointer, sequence: SequenceNumber,
                    verifyChecksums: Bool = true, fillCache: Bool = true) throws -> LookupResult {
        var value: [UInt8] = []
        switch try lookup(userKey: userKey, sequence: sequence, verifyChecksums: verifyChecksums,
                          fillCache: fillCache, { value = Array($0) }) {
        case .found: return .found(value)
        case .deleted: return .deleted
        case .notFound: return .notFound
        }
    }

    /// `get` without building the value: a found value is passed to `onValue` as a view into
    /// the block, valid only during the call.
    /// - Throws: as `get`.
    public func lookup(userKey: UnsafeRawBufferPointer, sequence: SequenceNumber,
                       verifyChecksums: Bool = true, fillCache: Bool = true,
                       _ onValue: (UnsafeRawBufferPointer) -> Void) throws -> LookupStatus {
        if let filter, !filter.mayMatch(userKey) { return .notFound }
        let targetCount = userKey.count + 8
        // A constant-size scratch is allocated on the stack (a size known only at run time
        // makes withUnsafeTemporaryAllocation fall back to the heap): 1 KiB for the seek target
        // and the two cursors' key buffers, then 8 KiB for a stored data block (a 4 KiB block
        // and its trailer fit; larger blocks take a heap buffer). A key too long for it takes
        // a heap buffer for the target; cursors grow their own key buffers when a key
        // outgrows their scratch.
        return try withUnsafeTemporaryAllocation(byteCount: 9216, alignment: 8) { whole in
            let buf = UnsafeMutableRawBufferPointer(rebasing: whole[0..<1024])
            let blockScratch = UnsafeMutableRawBufferPointer(rebasing: whole[1024...])
            let inline = targetCount <= 256
            let targetBuffer = inline ? UnsafeMutableRawBufferPointer(rebasing: buf[0..<targetCount])
                                      : UnsafeMutableRawBufferPointer.allocate(byteCount: targetCount, alignment: 8)
            defer { if !inline { targetBuffer.deallocate() } }
            if let src = userKey.baseAddress, userKey.count > 0, let dst = targetBuffer.baseAddress {
                dst.copyMemory(from: src, byteCount: userKey.count)
            }
            targetBuffer.storeBytes(of: packSequenceAndKind(min(sequence, maxSequenceNumber), .forSeek).littleEndian,
                                    toByteOffset: userKey.count, as: UInt64.self)
            let target = UnsafeRawBufferPointer(targetBuffer)
            let scratchStart = inline ? 256 : 0
            let scratchCount = (buf.count - scratchStart) / 2
            let indexScratch = UnsafeMutableRawBufferPointer(rebasing: buf[scratchStart..<scratchStart + scratchCount])
            let dataScratch = UnsafeMutableRawBufferPointer(rebasing: buf[(scratchStart + scratchCount)...])
            var index = BlockCursor(block: indexBlock, order: indexOrder, format: indexFormat, scratch: indexScratch)
            defer { index.release() }
            index.seek(target)
            while index.isValid {
                let block = try lookupBlock(index.handle, verifyChecksums: verifyChecksums,
                                            fillCache: fillCache, scratch: blockScratch)
                var data = BlockCursor(block: block, order: .internalKey, scratch: dataScratch)
                defer { data.release() }
                data.seek(target)
                if data.isValid {
                    let key = data.key
                    guard key.count >= 8 else {
                        throw SedimentError.corruption(file: path, offset: Int64(block.offset),
                                                       message: "internal key shorter than 8 bytes")
                    }
                    guard compareBytes(UnsafeRawBufferPointer(rebasing: key[0..<key.count - 8]), userKey) == 0 else {
                        return .notFound
                    }
                    switch ValueKind(rawValue: key[key.count - 8]) {
                    case .value:
                        onValue(data.value)
                        return .found
                    case .deletion, .singleDeletion: return .deleted
                    case let kind:
                        throw SedimentError.notSupported(
                            feature: "value kind \(kind.map { $0.shortName } ?? "0x" + hexByte(key[key.count - 8]))",
                            file: path)
                    }
                }
                if let e = data.error { throw e }
                index.next()
            }
            if let e = index.error { throw e }
            return .notFound
        }
    }

    /// A new iterator over every entry, positioned nowhere.
    public func makeIterator(verifyChecksums: Bool = true, fillCache: Bool = true) -> TableIterator {
        TableIterator(table: self, verifyChecksums: verifyChecksums, fillCache: fillCache)
    }

    /// Reads every block (data, index, filter, properties, metaindex) and checks its checksum
    /// and decoding.
    /// - Throws: the first error, naming the file and block offset.
    public func verifyChecksums() throws {
        let io = self.io
        _ = try io.readBlock(footer.metaindexHandle, verify: true)
        for (_, h) in metaHandles { try io.verifyContents(h) }
        _ = try io.readBlock(footer.indexHandle, verify: true)
        var index = BlockCursor(block: indexBlock, order: indexOrder, format: indexFormat)
        defer { index.release() }
        index.seekToFirst()
        while index.isValid {
            let block = try io.readBlock(index.handle, verify: true)
            var data = BlockCursor(block: block, order: .internalKey)
            defer { data.release() }
            data.seekToFirst()
            while data.isValid { data.next() }
            if let e = data.error { throw e }
            index.next()
        }
        if let e = index.error { throw e }
    }

    /// Raw access for tools: the stored bytes of a block after decompression.
    public func blockContents(_ handle: BlockHandle) throws -> [UInt8] {
        try io.readContents(handle, verify: true)
    }

    /// The handles in the metaindex, in order (for sst_dump's raw dump).
    public var metaindexEntries: [(name: String, handle: BlockHandle)] { metaHandles }
    /// The metaindex block's handle.
    public var metaindexHandle: BlockHandle { footer.metaindexHandle }
    /// The index block's handle.
    public var indexHandle: BlockHandle { footer.indexHandle }
}

extension TableReader {
    /// Every index entry as (user key of the separator, data block handle), for tools.
    /// - Throws: the index block's corruption, naming the file and offset.
    public func indexEntries() throws -> [(userKey: [UInt8], handle: BlockHandle)] {
        var out: [(userKey: [UInt8], handle: BlockHandle)] = []
        var c = BlockCursor(block: indexBlock, order: indexOrder, format: indexFormat)
        defer { c.release() }
        c.seekToFirst()
        while c.isValid {
            let k = c.key
            let user = indexOrder == .internalKey && k.count >= 8 ? Array(k[0..<k.count - 8]) : Array(k)
            out.append((user, c.handle))
            c.next()
        }
        if let e = c.error { throw e }
        return out
    }

    /// Every (internal key, value) of the data block at `handle`, for tools.
    /// - Throws: read, checksum or decoding errors naming the file and block offset.
    public func blockEntries(_ handle: BlockHandle) throws -> [(key: [UInt8], value: [UInt8])] {
        let block = try uncachedDataBlock(handle, verifyChecksums: true)
        var out: [(key: [UInt8], value: [UInt8])] = []
        var c = BlockCursor(block: block, order: .internalKey)
        defer { c.release() }
        c.seekToFirst()
        while c.isValid {
            out.append((Array(c.key), Array(c.value)))
            c.next()
        }
        if let e = c.error { throw e }
        return out
    }
}

extension TableReader {
    /// False only when the table's filter proves `userKey` absent (true without a filter).
    public func filterMayMatch(_ userKey: UnsafeRawBufferPointer) -> Bool {
        filter?.mayMatch(userKey) ?? true
    }
}
