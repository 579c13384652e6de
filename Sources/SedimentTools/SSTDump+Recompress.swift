// SSTDump+Recompress: `--command=recompress` (RocksDB's SstFileDumper::ShowAllCompressionSizes).
// Every point entry of the table is written again, in memory, into a table with
// `--set_block_size` (default 16384), RocksDB's default table options (restart interval 16, no
// filter) and each compression asked for; one line per compression reports the new size, the
// number of data blocks, the time taken and how many blocks were stored compressed.
// The counts follow RocksDB's tickers: "Compressed" is NUMBER_BLOCK_COMPRESSED (data and index
// blocks stored compressed); "Not compressed (abort)" is NUMBER_BLOCK_NOT_COMPRESSED, which
// RocksDB 7.8 increments for every block it tried to compress and stored as is (for a poor
// ratio too); "Not compressed (ratio)" is the rest of max(data blocks, the two counts), so with
// kNoCompression every data block is counted there. Compression types Sediment has no codec
// for print RocksDB's "Unsupported compression type" line. Only the default compression level
// (32767) exists: Sediment's codecs take none.
@_spi(Internals) import Sediment
import Synchronization

extension SSTDump {
    /// RocksDB's CompressionType names, in its order (sst_dump's kCompressions).
    static let compressionTypeNames = [
        "kNoCompression", "kSnappyCompression", "kZlibCompression", "kBZip2Compression",
        "kLZ4Compression", "kLZ4HCCompression", "kXpressCompression", "kZSTD",
    ]

    /// RocksDB's kDefaultCompressionLevel: the only level Sediment compresses at.
    static let defaultCompressionLevel = 32767

    /// The Sediment codec for RocksDB's compression type `name`; nil when Sediment has none.
    static func codec(named name: String) -> Compression? {
        switch name {
        case "kNoCompression": Compression.none
        case "kZlibCompression": .zlib
        case "kLZ4Compression": .lz4
        default: nil
        }
    }

    /// What writing a table again with one compression gave.
    struct RecompressResult {
        /// The new table's bytes.
        var bytes: [UInt8]
        /// Data blocks in the new table.
        var dataBlocks: UInt64
        /// Data and index blocks stored compressed.
        var compressed: UInt64
        /// Data and index blocks that compression was tried on and that were stored as is.
        var storedRaw: UInt64
    }

    /// Writes every point entry of `table` into a new in-memory table with `blockSize` and
    /// `compression`, then reads the new table's block trailers to count what was compressed.
    static func recompress(_ table: TableReader, blockSize: Int, compression: Compression) throws -> RecompressResult {
        let sink = MemoryWritableFile(path: table.path + " (recompressed in memory)")
        let builder = TableBuilder(file: sink, options: TableBuilderOptions(
            blockSize: blockSize, blockRestartInterval: 16, bloomBitsPerKey: 0, compression: compression))
        let it = table.makeIterator(verifyChecksums: true, fillCache: false)
        it.seekToFirst()
        do {
            while it.isValid {
                try builder.add(it.key, it.value)
                it.next()
            }
            if let error = it.error { throw error }
            _ = try builder.finish()
        } catch {
            builder.abandon()
            throw error
        }
        let bytes = sink.contents
        let copy = try TableReader.open(file: MemoryReadableFile(path: sink.path, bytes: bytes),
                                        fileSize: UInt64(bytes.count), fileNumber: 0, blockCache: nil)
        var result = RecompressResult(bytes: bytes, dataBlocks: copy.properties.numDataBlocks, compressed: 0, storedRaw: 0)
        guard compression != .none else { return result }
        for handle in try copy.indexEntries().map(\.handle) + [copy.indexHandle] {
            // The trailer's first byte is the block's compression type.
            let (end, overflow) = handle.offset.addingReportingOverflow(handle.size)
            guard !overflow, end < UInt64(bytes.count) else {
                throw SedimentError.corruption(file: sink.path, offset: Int64(clamping: handle.offset), message: "block handle past the end")
            }
            if bytes[Int(end)] == 0 { result.storedRaw += 1 } else { result.compressed += 1 }
        }
        return result
    }

    /// Prints RocksDB's recompress report for `table`.
    static func showCompressionSizes(_ table: TableReader, _ args: Arguments, _ out: inout SSTDumpOutput) throws {
        out.line("Block Size: \(args.blockSize)")
        for name in args.compressionTypes ?? compressionTypeNames {
            guard let compression = codec(named: name) else {
                out.line("Unsupported compression type: \(name).")
                continue
            }
            out.line("Compression: " + name.padding(toWidth: 24))
            let start = ContinuousClock.now
            let r = try recompress(table, blockSize: args.blockSize, compression: compression)
            let micros = (ContinuousClock.now - start).components
            let elapsed = micros.seconds * 1_000_000 + micros.attoseconds / 1_000_000_000_000
            let total = max(r.dataBlocks, r.compressed + r.storedRaw)
            let ratio = total - r.compressed - r.storedRaw
            func percent(_ n: UInt64) -> String {
                pad(fixed(total == 0 ? 0 : Double(n) / Double(total) * 100, 1), 5)
            }
            var line = "Compression level: \(defaultCompressionLevel)"
            line += " Size: " + pad(String(r.bytes.count), 10)
            line += " Blocks: " + pad(String(r.dataBlocks), 6)
            line += " Time Taken: " + pad(String(elapsed), 10) + " microsecs"
            line += " Compressed: " + pad(String(r.compressed), 6) + " (\(percent(r.compressed))%)"
            line += " Not compressed (ratio): " + pad(String(ratio), 6) + " (\(percent(ratio))%)"
            line += " Not compressed (abort): " + pad(String(r.storedRaw), 6) + " (\(percent(r.storedRaw))%)"
            out.line(line)
        }
    }
}

extension String {
    /// The string with spaces after it up to `width` characters (printf's "%-Ns").
    func padding(toWidth width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

/// A writable file kept in memory (the recompressed tables, which RocksDB writes to a MemEnv).
final class MemoryWritableFile: WritableFile {
    let path: String
    private let storage = Mutex<[UInt8]>([])

    init(path: String) { self.path = path }

    var size: UInt64 { storage.withLock { UInt64($0.count) } }
    var contents: [UInt8] { storage.withLock { $0 } }
    func append(_ bytes: UnsafeRawBufferPointer) throws { storage.withLock { $0.append(contentsOf: bytes) } }
    func sync() throws {}
    func close() throws {}
}

/// A readable file over bytes in memory.
struct MemoryReadableFile: RandomAccessFile {
    let path: String
    let bytes: [UInt8]

    func size() throws -> UInt64 { UInt64(bytes.count) }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard offset < UInt64(bytes.count) else { return 0 }
        let start = Int(offset)
        let n = min(buffer.count, bytes.count - start)
        bytes.withUnsafeBytes { src in
            guard let from = src.baseAddress, let to = buffer.baseAddress else { return }
            to.copyMemory(from: from + start, byteCount: n)
        }
        return n
    }
}
