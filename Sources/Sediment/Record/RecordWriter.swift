// RecordWriter: frames logical records into the 32 KiB-block log format (RecordFormat.swift,
// DESIGN.md §3) and appends them to a WritableFile.
//
//   block:  | header | payload ... | header | payload ... | 0-6 zero bytes of padding |
//
// Each `addRecord` builds every fragment of one record, padding included, into one buffer and
// hands it to `file.append` once: one write system call per record, so a crash tears at most
// the last record, and group commit can count on one record per batch group.
//
// Not thread-safe: the owner (the WAL writer or the VersionSet) serialises calls.

/// Appends framed records to a log file (write-ahead log or MANIFEST).
final class RecordWriter {
    /// The file records are appended to.
    let file: any WritableFile
    /// Offset of the next byte within the current 32 KiB block.
    private var blockOffset: Int
    /// The frame under construction; kept to reuse its capacity between records.
    private var frame: [UInt8] = []
    /// The file's length as this writer knows it: the initial offset plus every frame
    /// appended (without asking the file, which would take its lock).
    private(set) var fileOffset: UInt64

    /// A writer appending to `file`, which already holds `initialOffset` bytes of log.
    /// - Parameter initialOffset: the file's current length, so block boundaries stay aligned
    ///   when appending to a partly written log. Default 0 (a new file).
    init(file: any WritableFile, initialOffset: UInt64 = 0) {
        self.file = file
        self.blockOffset = Int(initialOffset % UInt64(RecordFormat.blockSize))
        self.fileOffset = initialOffset
    }

    /// Frames `payload` as one logical record and appends it with one `append` call.
    /// - Complexity: O(payload.count).
    /// - Throws: `SedimentError` from the file; on error the file may hold part of the record,
    ///   which readers treat as a torn tail.
    func addRecord(_ payload: UnsafeRawBufferPointer) throws {
        frame.removeAll(keepingCapacity: true)
        var offset = blockOffset
        var remaining = payload.count
        var position = 0
        var isFirst = true
        repeat {
            let leftover = RecordFormat.blockSize - offset
            if leftover < RecordFormat.headerSize {
                // Too short for a header: zero-fill the block tail and start a new block.
                frame.append(contentsOf: repeatElement(0, count: leftover))
                offset = 0
            }
            let available = RecordFormat.blockSize - offset - RecordFormat.headerSize
            let length = min(remaining, available)
            let isLast = length == remaining
            let type: RecordType = isFirst ? (isLast ? .full : .first) : (isLast ? .last : .middle)
            let fragment = UnsafeRawBufferPointer(rebasing: payload[position..<position + length])
            frame.appendFixed32(RecordFormat.checksum(type: type.rawValue, payload: fragment))
            frame.append(UInt8(truncatingIfNeeded: length))
            frame.append(UInt8(truncatingIfNeeded: length >> 8))
            frame.append(type.rawValue)
            frame.append(contentsOf: fragment)
            offset += RecordFormat.headerSize + length
            position += length
            remaining -= length
            isFirst = false
        } while remaining > 0
        try frame.withUnsafeBytes { try file.append($0) }
        blockOffset = offset
        fileOffset += UInt64(frame.count)
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
