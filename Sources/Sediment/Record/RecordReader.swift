// RecordReader: reads logical records back from the 32 KiB-block log format (RecordFormat.swift,
// DESIGN.md §3), block by block, with RocksDB's four WAL recovery modes deciding what damage
// does. Memory is bounded by one block plus the logical record being assembled; a header's
// length can never make the reader allocate more than a block.
//
// Damage comes in two kinds:
//   torn tail  - the file ends inside a record: a partial header (non-zero bytes), a fragment
//                whose length runs past the end of the file, or FIRST/MIDDLE fragments with no
//                LAST before the end. A crash during an append leaves exactly this. So does a
//                damaged record followed only by zeros to the end of the file: a mapped log's
//                reserved tail after a record the crash left half copied.
//   corruption - anything else: bad crc, impossible length, a fragment out of order, an
//                unknown record type, non-zero bytes after a zero header.
//
//   mode                          torn tail                 corruption
//   absoluteConsistency           throw                     throw
//   tolerateCorruptedTailRecords  end of data (tornTail)    throw
//   pointInTime                   end of data (tornTail)    end of data, stoppedAtCorruption
//   skipAnyCorruptedRecords       end of data (tornTail)    drop the damage, go on (corruptions)
//
// A zero header (type 0, length 0) followed only by zeros to the end of its block is
// preallocated space, not damage, as long as only zeros follow to the end of the file. A record
// after such zeros means the zeroed bytes were written and lost (power loss before a sync left
// an unwritten extent between written ones): corruption at the zeros' offset, so pointInTime
// recovery keeps the prefix before the hole instead of applying later writes without earlier
// ones. Recyclable records (types 5-8) and compressed logs (type 9)
// throw `.notSupported` whatever the mode.
//
// Not thread-safe: one reader belongs to one recovery.

/// Reads logical records from a write-ahead log or MANIFEST.
final class RecordReader {
    /// The file being read.
    let file: any RandomAccessFile
    /// How damage is treated.
    let mode: WALRecoveryMode

    /// True when reading ended early because of corruption (pointInTime only): records after
    /// the damage, in this file and in later logs, must not be applied.
    private(set) var stoppedAtCorruption = false
    /// The offset of the incomplete record that ended the file, when it ended with one (and the
    /// mode accepted it). Not counted as corruption.
    private(set) var tornTailOffset: UInt64?
    /// The file offset just past the last physical record of the last record returned.
    private(set) var lastRecordEndOffset: UInt64 = 0
    /// Damage skipped in skipAnyCorruptedRecords mode, in file order.
    private(set) var corruptions: [SedimentError] = []

    /// The current block (at most `RecordFormat.blockSize` bytes).
    private var block: [UInt8] = []
    /// File offset of `block[0]`.
    private var blockStart: UInt64 = 0
    /// Next unread byte in `block`.
    private var position = 0
    /// True once a block shorter than a full block has been read: the file ends in it.
    private var atEndOfFile = false
    /// True once `readRecord` has returned nil for good.
    private var finished = false
    /// Where a block's zeroed remainder began (a zero header followed by zeros to the end of
    /// its block), until a record or the end of the file shows whether it was a hole or the
    /// preallocated tail.
    private var zeroRegionStart: UInt64?

    /// A reader from the start of `file`.
    init(file: any RandomAccessFile, mode: WALRecoveryMode) {
        self.file = file
        self.mode = mode
    }

    /// One physical record, or why there is none.
    private enum Physical {
        case fragment(RecordType, Range<Int>)
        case endOfData
        case tornTail(offset: UInt64, message: String)
        case corrupt(offset: UInt64, message: String)
    }

    /// Reads the next logical record.
    /// - Returns: the payload, or nil at the end of the data (clean, torn tail accepted by the
    ///   mode, or stopped at corruption in pointInTime mode).
    /// - Throws: `.corruption(file:offset:message:)` for damage the mode does not accept,
    ///   `.notSupported` for RocksDB record features Sediment lacks, I/O errors from the file.
    func readRecord() throws -> [UInt8]? {
        guard !finished else { return nil }
        var scratch: [UInt8] = []
        var assembling = false
        var recordStart: UInt64 = 0
        while true {
            let fragmentStart = blockStart + UInt64(position)
            switch try readPhysical() {
            case let .fragment(type, range):
                switch type {
                case .full, .first:
                    if assembling {
                        guard try accept(corruptionAt: recordStart, "record without its LAST fragment") else { return nil }
                    }
                    if type == .full {
                        lastRecordEndOffset = blockStart + UInt64(position)
                        return Array(block[range])
                    }
                    scratch = Array(block[range])
                    assembling = true
                    recordStart = fragmentStart
                case .middle, .last:
                    guard assembling else {
                        guard try accept(corruptionAt: fragmentStart, "\(type) fragment without a FIRST") else { return nil }
                        continue
                    }
                    scratch.append(contentsOf: block[range])
                    if type == .last {
                        lastRecordEndOffset = blockStart + UInt64(position)
                        return scratch
                    }
                case .zero:
                    continue
                }
            case .endOfData:
                if assembling {
                    try acceptTornTail(at: recordStart, "file ends after a FIRST/MIDDLE fragment")
                }
                finished = true
                return nil
            case let .tornTail(offset, message):
                try acceptTornTail(at: assembling ? recordStart : offset, message)
                return nil
            case let .corrupt(offset, message):
                guard try accept(corruptionAt: offset, message) else { return nil }
                scratch = []
                assembling = false
            }
        }
    }

    /// Damage at `offset` in the current block after which only zeros follow, from `from` (an
    /// index into the block) to the end of the file, is a torn tail: a mapped log (DESIGN.md §4
    /// "Mapped log writes") keeps zeros reserved past its last record until it is closed, so a
    /// crash in the middle of copying a record leaves that record followed by zeros instead of
    /// at the end of the file. Anything else is corruption.
    private func tornIfZerosFollow(offset: UInt64, from: Int, _ message: String) throws -> Physical {
        if from < block.count, !block[from...].allSatisfy({ $0 == 0 }) {
            return .corrupt(offset: offset, message: message)
        }
        if !atEndOfFile {
            var next = blockStart + UInt64(block.count)
            let end = try file.size()
            var buffer = [UInt8](repeating: 0, count: RecordFormat.blockSize)
            while next < end {
                let n = try buffer.withUnsafeMutableBytes { try file.read(at: next, into: $0) }
                if n <= 0 { break }
                if !buffer[0..<n].allSatisfy({ $0 == 0 }) { return .corrupt(offset: offset, message: message) }
                next += UInt64(n)
            }
        }
        return .tornTail(offset: offset, message: message + ", then only zeros to the end of the file")
    }

    /// Applies the mode to corruption at `offset`: throws, stops (returns false), or records it
    /// and lets reading go on (returns true).
    private func accept(corruptionAt offset: UInt64, _ message: String) throws -> Bool {
        let error = SedimentError.corruption(file: file.path, offset: Int64(offset), message: message)
        switch mode {
        case .absoluteConsistency, .tolerateCorruptedTailRecords:
            finished = true
            throw error
        case .pointInTime:
            stoppedAtCorruption = true
            finished = true
            return false
        case .skipAnyCorruptedRecords:
            corruptions.append(error)
            return true
        }
    }

    /// Applies the mode to an incomplete record at the end of the file: throws in
    /// absoluteConsistency, otherwise ends the data there.
    private func acceptTornTail(at offset: UInt64, _ message: String) throws {
        finished = true
        if mode == .absoluteConsistency {
            throw SedimentError.corruption(file: file.path, offset: Int64(offset), message: "torn tail: " + message)
        }
        tornTailOffset = offset
    }

    /// Reads the next physical record of the file, loading blocks as needed.
    private func readPhysical() throws -> Physical {
        while true {
            let left = block.count - position
            if left < RecordFormat.headerSize {
                if atEndOfFile {
                    let tail = block[position...]
                    let offset = blockStart + UInt64(position)
                    position = block.count
                    if tail.allSatisfy({ $0 == 0 }) { return .endOfData }
                    return .tornTail(offset: offset, message: "file ends inside a record header")
                }
                // Block padding (or the start of the file): move on to the next block.
                try loadNextBlock()
                continue
            }
            let offset = blockStart + UInt64(position)
            let header = block[position..<position + RecordFormat.headerSize]
            let storedCRC = block.withUnsafeBytes { $0.loadFixed32(at: position) }
            let length = Int(header[header.startIndex + 4]) | Int(header[header.startIndex + 5]) << 8
            let typeByte = header[header.startIndex + 6]
            let payloadStart = position + RecordFormat.headerSize

            if typeByte == 0 && length == 0 {
                // Preallocated space reads as zeros: the rest of the block must be zero too.
                let rest = block[position...]
                position = block.count
                if rest.allSatisfy({ $0 == 0 }) {
                    if atEndOfFile { return .endOfData }
                    if zeroRegionStart == nil { zeroRegionStart = offset }
                    continue
                }
                return try tornIfZerosFollow(offset: offset, from: payloadStart,
                                             "zero record header followed by non-zero bytes")
            }
            if RecordFormat.recyclableTypes.contains(typeByte) && isValidRecyclable(at: position, length: length) {
                finished = true
                throw SedimentError.notSupported(feature: "recyclable log records (type \(typeByte))", file: file.path)
            }
            if payloadStart + length > block.count {
                position = block.count
                if atEndOfFile {
                    return .tornTail(offset: offset, message: "record of \(length) bytes runs past the end of the file")
                }
                return try tornIfZerosFollow(offset: offset, from: payloadStart,
                                             "record length \(length) runs past the end of its block")
            }
            let actualCRC = block.withUnsafeBytes { raw in
                RecordFormat.checksum(type: typeByte, payload: UnsafeRawBufferPointer(rebasing: raw[payloadStart..<payloadStart + length]))
            }
            if actualCRC != storedCRC {
                // The length cannot be trusted either: drop the rest of the block.
                position = block.count
                return try tornIfZerosFollow(offset: offset, from: payloadStart + length, "record checksum mismatch")
            }
            if let zeroStart = zeroRegionStart {
                // A whole record after zeroed space: those bytes were lost. Report the hole; the
                // record is read again after it (skipAnyCorruptedRecords goes on from here).
                zeroRegionStart = nil
                position = Int(offset - blockStart)
                return .corrupt(offset: zeroStart, message: "zeroed space from offset \(zeroStart) to a record at offset \(offset): log bytes were lost (written but not synced before a power loss?)")
            }
            position = payloadStart + length
            if let type = RecordType(rawValue: typeByte), type != .zero {
                return .fragment(type, payloadStart..<payloadStart + length)
            }
            if typeByte == RecordFormat.setCompressionType {
                finished = true
                throw SedimentError.notSupported(feature: "compressed write-ahead log", file: file.path)
            }
            if typeByte & RecordFormat.safeToIgnoreMask != 0 { continue }
            return .corrupt(offset: offset, message: "unknown record type \(typeByte)")
        }
    }

    /// True when the record at `start` checks out as a RocksDB recyclable record (crc over the
    /// type, the 4-byte log number and the payload).
    private func isValidRecyclable(at start: Int, length: Int) -> Bool {
        let end = start + RecordFormat.recyclableHeaderSize + length
        guard end <= block.count else { return false }
        return block.withUnsafeBytes { raw in
            let stored = raw.loadFixed32(at: start)
            let covered = UnsafeRawBufferPointer(rebasing: raw[start + 6..<end])
            return CRC32C.mask(CRC32C.compute(covered)) == stored
        }
    }

    /// Reads the block after the current one; a short read marks the end of the file.
    private func loadNextBlock() throws {
        blockStart += UInt64(block.count)
        if block.count != RecordFormat.blockSize {
            block = [UInt8](repeating: 0, count: RecordFormat.blockSize)
        }
        var filled = 0
        while filled < RecordFormat.blockSize {
            let n = try block.withUnsafeMutableBytes { raw in
                try file.read(at: blockStart + UInt64(filled), into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
            }
            if n <= 0 { break }
            filled += n
        }
        if filled < RecordFormat.blockSize {
            block.removeLast(RecordFormat.blockSize - filled)
            atEndOfFile = true
        }
        position = 0
    }
}

extension RecordReader {
    /// Calls `body` with each record in turn, for salvage (repair, raising the last sequence
    /// past logs and MANIFESTs that may be damaged): a `.corruption` the reader's mode does not
    /// step over ends the walk quietly, keeping what came before it.
    /// - Throws: errors other than `.corruption` from `readRecord` (I/O, `.notSupported`), and
    ///   whatever `body` throws.
    func forEachSalvagedRecord(_ body: ([UInt8]) throws -> Void) throws {
        while true {
            let record: [UInt8]
            do {
                guard let next = try readRecord() else { return }
                record = next
            } catch SedimentError.corruption {
                return
            }
            try body(record)
        }
    }
}
