// RecordWriter: frames logical records into the 32 KiB-block log format (RecordFormat.swift,
// DESIGN.md §3) and appends them to a WritableFile.
//
//   block:  | header | payload ... | header | payload ... | 0-6 zero bytes of padding |
//
// Each `addRecord` builds every fragment of one record, padding included, into one buffer and
// hands it to `file.append` once: one write system call per record, so a crash tears at most
// the last record, and group commit can count on one record per batch group.
//
// Not thread-safe: the owner (the WAL writer or the VersionSet) serialises calls, so the
// fields skip the run-time exclusivity check.

/// Appends framed records to a log file (write-ahead log or MANIFEST).
final class RecordWriter {
    /// The file records are appended to.
    let file: any WritableFile
    /// Offset of the next byte within the current 32 KiB block.
    @exclusivity(unchecked) private var blockOffset: Int
    /// The frame under construction: a raw buffer kept between records (grown when a record
    /// needs more), written with plain stores; no array bookkeeping per record.
    @exclusivity(unchecked) private var frame: UnsafeMutableRawPointer
    @exclusivity(unchecked) private var frameCapacity: Int
    /// The file's length as this writer knows it: the initial offset plus every frame
    /// appended (without asking the file, which would take its lock).
    @exclusivity(unchecked) private(set) var fileOffset: UInt64

    /// A writer appending to `file`, which already holds `initialOffset` bytes of log.
    /// - Parameter initialOffset: the file's current length, so block boundaries stay aligned
    ///   when appending to a partly written log. Default 0 (a new file).
    init(file: any WritableFile, initialOffset: UInt64 = 0) {
        self.file = file
        self.blockOffset = Int(initialOffset % UInt64(RecordFormat.blockSize))
        self.fileOffset = initialOffset
        self.frameCapacity = 4096
        self.frame = .allocate(byteCount: 4096, alignment: 8)
    }

    deinit { frame.deallocate() }

    /// The most bytes a record of `payloadCount` bytes can take framed: a header per fragment
    /// (at most one per block the payload touches, plus an empty first fragment) and at most
    /// `headerSize - 1` bytes of padding before each.
    static func frameBound(payloadCount: Int) -> Int {
        let fragments = payloadCount / (RecordFormat.blockSize - RecordFormat.headerSize) + 2
        return payloadCount + fragments * (2 * RecordFormat.headerSize)
    }

    /// Frames `payload` as one logical record and appends it with one `append` call.
    /// - Complexity: O(payload.count).
    /// - Throws: `SedimentError` from the file; on error the file may hold part of the record,
    ///   which readers treat as a torn tail.
    func addRecord(_ payload: UnsafeRawBufferPointer) throws {
        let bound = RecordWriter.frameBound(payloadCount: payload.count)
        if bound > frameCapacity {
            frame.deallocate()
            frameCapacity = max(bound, frameCapacity * 2)
            frame = .allocate(byteCount: frameCapacity, alignment: 8)
        }
        let out = frame
        var n = 0
        var offset = blockOffset
        var remaining = payload.count
        var position = 0
        var isFirst = true
        repeat {
            let leftover = RecordFormat.blockSize - offset
            if leftover < RecordFormat.headerSize {
                // Too short for a header: zero-fill the block tail and start a new block.
                (out + n).initializeMemory(as: UInt8.self, repeating: 0, count: leftover)
                n += leftover
                offset = 0
            }
            let available = RecordFormat.blockSize - offset - RecordFormat.headerSize
            let length = min(remaining, available)
            let isLast = length == remaining
            let type: RecordType = isFirst ? (isLast ? .full : .first) : (isLast ? .last : .middle)
            let fragment = UnsafeRawBufferPointer(rebasing: payload[position..<position + length])
            let crc = RecordFormat.checksum(type: type.rawValue, payload: fragment)
            (out + n).storeBytes(of: crc.littleEndian, as: UInt32.self)
            (out + n + 4).storeBytes(of: UInt8(truncatingIfNeeded: length), as: UInt8.self)
            (out + n + 5).storeBytes(of: UInt8(truncatingIfNeeded: length >> 8), as: UInt8.self)
            (out + n + 6).storeBytes(of: type.rawValue, as: UInt8.self)
            if length > 0, let src = fragment.baseAddress {
                (out + n + RecordFormat.headerSize).copyMemory(from: src, byteCount: length)
            }
            n += RecordFormat.headerSize + length
            offset += RecordFormat.headerSize + length
            position += length
            remaining -= length
            isFirst = false
        } while remaining > 0
        try file.append(UnsafeRawBufferPointer(start: out, count: n))
        blockOffset = offset
        fileOffset += UInt64(n)
    }

    /// Frames `payload` as one logical record and appends it with one `append` call.
    /// - Throws: `SedimentError` from the file.
    func addRecord(_ payload: [UInt8]) throws {
        try payload.withUnsafeBytes { try addRecord($0) }
    }

    /// Makes every appended record durable.
    /// - Throws: `SedimentError` from the file.
    func sync() throws {
        try file.sync()
    }
}
