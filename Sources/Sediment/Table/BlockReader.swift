// BlockReader: reads one block and its 5-byte trailer from a table file, checks the handle
// against the file, verifies the trailer checksum and decompresses (framed as the table's
// format_version says, `CompressedBlockFraming`). See DESIGN.md §6 "File layout" and
// "Compression". A value type over an immutable file; thread-safe.
//
//   | block contents (handle.size bytes) | compression type (1) | fixed32 checksum |

/// Reads blocks of one table file.
struct BlockReader {
    let file: any RandomAccessFile
    let path: String
    let checksum: ChecksumType
    /// No block may extend past this offset (the footer's start).
    let blocksEnd: UInt64
    /// How compressed blocks are framed, from the footer's format_version.
    let framing: CompressedBlockFraming

    private func corrupt(_ handle: BlockHandle, _ message: String) -> SedimentError {
        .corruption(file: path, offset: Int64(clamping: handle.offset), message: message)
    }

    /// Reads the block at `handle` with its trailer into a fresh buffer (caller owns it) and
    /// returns it with the compression type byte. `mapped`: through the file's mapping.
    private func readRaw(_ handle: BlockHandle, verify: Bool, mapped: Bool) throws -> (UnsafeMutableRawBufferPointer, UInt8) {
        let count = try checkedCount(handle)
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 8)
        do {
            return (buf, try readRaw(handle, into: buf, verify: verify, mapped: mapped))
        } catch {
            buf.deallocate()
            throw error
        }
    }

    /// The bytes the block at `handle` and its trailer take, after checking the handle lies
    /// inside the table's data.
    /// - Throws: `.corruption` naming the file and offset when it does not.
    func checkedCount(_ handle: BlockHandle) throws -> Int {
        let (end, overflow) = handle.offset.addingReportingOverflow(handle.size &+ UInt64(blockTrailerSize))
        // A block the engine writes is under 4 GiB (Options.maxBlockSize, Database.maxKeySize,
        // Database.maxValueSize); a larger handle is damage.
        guard !overflow, handle.size <= UInt64(UInt32.max), end <= blocksEnd else {
            throw corrupt(handle, "block handle (offset \(handle.offset), size \(handle.size)) runs past the end of the data (\(blocksEnd))")
        }
        return Int(handle.size) + blockTrailerSize
    }

    /// Reads the block at `handle` with its trailer into `buf` (at least `checkedCount` bytes),
    /// verifies the checksum when asked, and returns the compression type byte.
    private func readRaw(_ handle: BlockHandle, into buf: UnsafeMutableRawBufferPointer,
                         verify: Bool, mapped: Bool) throws -> UInt8 {
        let size = Int(handle.size)
        let count = size + blockTrailerSize
        var done = 0
        while done < count {
            let into = UnsafeMutableRawBufferPointer(rebasing: buf[done..<count])
            let n = mapped ? try file.readMapped(at: handle.offset + UInt64(done), into: into)
                           : try file.read(at: handle.offset + UInt64(done), into: into)
            if n == 0 { throw corrupt(handle, "file ends inside the block (truncated)") }
            done += n
        }
        let type = buf[size]
        if verify && checksum != .none {
            let stored = UnsafeRawBufferPointer(buf).loadFixed32(at: size + 1)
            let computed = checksum.blockChecksum(UnsafeRawBufferPointer(rebasing: buf[0..<size]), lastByte: type)
            guard stored == computed else {
                throw corrupt(handle, "block checksum mismatch: stored 0x\(String(stored, radix: 16)), computed 0x\(String(computed, radix: 16)) (\(checksum.name))")
            }
        }
        return type
    }

    /// Reads the data block at `handle` through the file's mapping into `scratch` (a point
    /// lookup's stack buffer, or a cursor's reusable buffer). An uncompressed block that fits
    /// is returned borrowing `scratch`, not to be cached (`cacheable` false): like LevelDB's
    /// reads of uncompressed blocks from a mapped table, the page cache holds it, and a copy in
    /// the block cache would cost an allocation, an insertion and an eviction per miss (DESIGN.md
    /// §14 P30). A compressed block is decompressed into a buffer it owns; a block larger than
    /// `scratch` takes a buffer of its own.
    func readBlock(_ handle: BlockHandle, verify: Bool,
                   scratch: UnsafeMutableRawBufferPointer) throws -> (block: Block, cacheable: Bool) {
        let count = try checkedCount(handle)
        guard count <= scratch.count else { return (try readBlock(handle, verify: verify, mapped: true), true) }
        let typeByte = try readRaw(handle, into: scratch, verify: verify, mapped: true)
        let size = Int(handle.size)
        if typeByte == 0 {
            return (try Block.make(borrowing: scratch, count: size, file: path, offset: handle.offset), false)
        }
        let (raw, rawCount) = try decompressStored(scratch, typeByte, handle)
        return (try Block.make(taking: raw, count: rawCount, file: path, offset: handle.offset), true)
    }

    /// The decoded block at `handle`. `mapped`: read through the file's mapping (point reads
    /// and cursors that fill the cache); bulk scans (compaction) use positional reads, so the
    /// pages they pass over are not mapped into the process (DESIGN.md §6 "Mapped reads").
    func readBlock(_ handle: BlockHandle, verify: Bool, mapped: Bool = false) throws -> Block {
        let (buf, typeByte) = try readRaw(handle, verify: verify, mapped: mapped)
        if typeByte == 0 {
            return try Block.make(taking: buf, count: Int(handle.size), file: path, offset: handle.offset)
        }
        defer { buf.deallocate() }
        // Decompressed straight into the buffer the Block takes over.
        let (raw, count) = try decompressStored(buf, typeByte, handle)
        return try Block.make(taking: raw, count: count, file: path, offset: handle.offset)
    }

    /// The properties block at `handle` when its checksum holds once the 8-byte value of
    /// `rocksdb.external_sst_file.global_seqno` is zeroed, else nil. RocksDB's
    /// IngestExternalFile (`write_global_seqno = true`, its default) writes the table's global
    /// sequence number into that value in place without updating the block's checksum, and
    /// verifies the block that way (meta_blocks.cc); the table is then an ingested one, which
    /// TableFeatureCheck refuses by name instead of as damage.
    func ingestedPropertiesBlock(_ handle: BlockHandle) throws -> Block? {
        guard checksum != .none else { return nil }
        let (buf, typeByte) = try readRaw(handle, verify: false, mapped: false)
        let size = Int(handle.size)
        guard typeByte == 0 else {
            buf.deallocate()
            return nil
        }
        let stored = UnsafeRawBufferPointer(buf).loadFixed32(at: size + 1)
        var patched = Array(UnsafeRawBufferPointer(rebasing: buf[0..<size]))
        let block = try Block.make(taking: buf, count: size, file: path, offset: handle.offset)
        var cursor = BlockCursor(block: block, order: .bytewise)
        defer { cursor.release() }
        var valueOffset: Int? = nil
        cursor.seekToFirst()
        while cursor.isValid {
            if cursor.key.elementsEqual("rocksdb.external_sst_file.global_seqno".utf8) {
                let v = cursor.value
                if v.count == 8, let start = v.baseAddress, let base = block.bytes.baseAddress {
                    valueOffset = start - base
                }
                break
            }
            cursor.next()
        }
        guard let at = valueOffset, at >= 0, at + 8 <= size else { return nil }
        for i in at..<at + 8 { patched[i] = 0 }
        let computed = patched.withUnsafeBytes { checksum.blockChecksum($0, lastByte: typeByte) }
        return computed == stored ? block : nil
    }

    /// The decompressed contents of the block at `handle` (filter blocks are not restart blocks).
    func readContents(_ handle: BlockHandle, verify: Bool) throws -> [UInt8] {
        let (buf, typeByte) = try readRaw(handle, verify: verify, mapped: false)
        defer { buf.deallocate() }
        let stored = UnsafeRawBufferPointer(rebasing: buf[0..<Int(handle.size)])
        return typeByte == 0 ? Array(stored) : try decompress(stored, typeByte, handle)
    }

    /// Reads the block at `handle`, verifies its checksum and, when it is compressed, that it
    /// decompresses; keeps nothing. (`verifyChecksums` used to call `readContents` and discard
    /// the array: the release of that unused array was then scheduled before the copy into it
    /// in the optimised build, a write after free; DESIGN.md §13.)
    func verifyContents(_ handle: BlockHandle) throws {
        let (buf, typeByte) = try readRaw(handle, verify: true, mapped: false)
        defer { buf.deallocate() }
        guard typeByte != 0 else { return }
        try decompressStored(buf, typeByte, handle).buffer.deallocate()
    }

    /// Decompresses the stored contents of the block at `handle` (the first `handle.size`
    /// bytes of `stored`, compressed as `typeByte` says) into a fresh buffer the caller owns.
    private func decompressStored(_ stored: UnsafeMutableRawBufferPointer, _ typeByte: UInt8,
                                  _ handle: BlockHandle) throws -> (buffer: UnsafeMutableRawBufferPointer, count: Int) {
        try BlockCompression.decompressToBuffer(
            UnsafeRawBufferPointer(rebasing: stored[0..<Int(handle.size)]), type: compressionType(typeByte, handle),
            framing: framing, file: path, offset: handle.offset)
    }

    private func compressionType(_ typeByte: UInt8, _ handle: BlockHandle) throws -> BlockCompressionType {
        guard let type = BlockCompressionType(rawValue: typeByte) else {
            throw corrupt(handle, "unknown compression type \(typeByte) in the block trailer")
        }
        return type
    }

    private func decompress(_ data: UnsafeRawBufferPointer, _ typeByte: UInt8, _ handle: BlockHandle) throws -> [UInt8] {
        try BlockCompression.decompress(data, type: compressionType(typeByte, handle), framing: framing,
                                        file: path, offset: handle.offset)
    }
}
