// In-memory files for the record tests: a WritableFile that counts appends and a
// RandomAccessFile over a byte array, so tests can damage bytes directly.
import Synchronization
@testable import Sediment

/// A WritableFile keeping its bytes in memory and counting `append` calls.
final class MemoryWritableFile: WritableFile {
    let path: String
    private let state = Mutex<(bytes: [UInt8], appends: Int)>(([], 0))

    init(path: String = "memory.log") { self.path = path }

    var size: UInt64 { state.withLock { UInt64($0.bytes.count) } }
    var bytes: [UInt8] { state.withLock { $0.bytes } }
    var appendCount: Int { state.withLock { $0.appends } }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        state.withLock { $0.bytes.append(contentsOf: bytes); $0.appends += 1 }
    }
    func sync() throws {}
    func close() throws {}
}

/// A RandomAccessFile over fixed bytes; `maxRead` caps each read to exercise short reads.
struct MemoryRandomAccessFile: RandomAccessFile {
    let path: String
    let bytes: [UInt8]
    var maxRead = Int.max

    init(_ bytes: [UInt8], path: String = "memory.log", maxRead: Int = Int.max) {
        self.bytes = bytes
        self.path = path
        self.maxRead = maxRead
    }

    func size() throws -> UInt64 { UInt64(bytes.count) }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard offset < UInt64(bytes.count) else { return 0 }
        let start = Int(offset)
        let n = min(buffer.count, bytes.count - start, maxRead)
        bytes.withUnsafeBytes { src in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[start..<start + n]))
        }
        return n
    }
}

/// Frames `records` with a RecordWriter and returns the file bytes.
func framed(_ records: [[UInt8]]) throws -> [UInt8] {
    let file = MemoryWritableFile()
    let writer = RecordWriter(file: file)
    for r in records { try writer.addRecord(r) }
    return file.bytes
}

/// Reads every record of `bytes` in `mode`.
func readAll(_ bytes: [UInt8], mode: WALRecoveryMode, maxRead: Int = Int.max) throws -> (records: [[UInt8]], reader: RecordReader) {
    let reader = RecordReader(file: MemoryRandomAccessFile(bytes, maxRead: maxRead), mode: mode)
    var out: [[UInt8]] = []
    while let r = try reader.readRecord() { out.append(r) }
    return (out, reader)
}

/// A payload of `n` bytes derived from `seed`, different for different seeds.
func payload(_ n: Int, seed: Int) -> [UInt8] {
    (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed &* 7 &+ 1) }
}

/// Rewrites the header at `offset` with a new length/type and a crc that matches it.
func rewriteHeader(_ bytes: inout [UInt8], at offset: Int, type: UInt8, payloadLength: Int) {
    bytes[offset + 4] = UInt8(payloadLength & 0xFF)
    bytes[offset + 5] = UInt8(payloadLength >> 8)
    bytes[offset + 6] = type
    let end = min(bytes.count, offset + 7 + payloadLength)
    let crc = bytes.withUnsafeBytes { RecordFormat.checksum(type: type, payload: UnsafeRawBufferPointer(rebasing: $0[offset + 7..<end])) }
    for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
}

let allRecoveryModes: [WALRecoveryMode] = [.absoluteConsistency, .tolerateCorruptedTailRecords, .pointInTime, .skipAnyCorruptedRecords]
