// Tests for RecordWriter: fragment layout, block padding, one append per record, and appending
// to a partly written log.
import Testing
@testable import Sediment

@Suite struct RecordWriterTests {
    /// The (type, length) of every physical record in `bytes`, following block padding.
    private func physicalRecords(_ bytes: [UInt8]) -> [(type: UInt8, length: Int)] {
        var out: [(UInt8, Int)] = []
        var offset = 0
        while offset < bytes.count {
            let inBlock = offset % RecordFormat.blockSize
            if RecordFormat.blockSize - inBlock < RecordFormat.headerSize { offset += RecordFormat.blockSize - inBlock; continue }
            let length = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8
            out.append((bytes[offset + 6], length))
            offset += RecordFormat.headerSize + length
        }
        return out
    }

    @Test func smallRecordIsOneFullFragment() throws {
        let bytes = try framed([Array("hello".utf8)])
        #expect(bytes.count == 7 + 5)
        let records = physicalRecords(bytes)
        #expect(records.count == 1)
        #expect(records.first?.type == RecordType.full.rawValue)
        #expect(Array(bytes[7...]) == Array("hello".utf8))
    }

    @Test func headerLayoutMatchesTheFormat() throws {
        let bytes = try framed([[0x61]])
        let crc = bytes.withUnsafeBytes { $0.loadFixed32(at: 0) }
        let expected = CRC32C.mask(CRC32C.compute([1, 0x61]))
        #expect(crc == expected)
        #expect(bytes[4] == 1 && bytes[5] == 0 && bytes[6] == 1)
    }

    @Test func emptyRecordIsAFullHeader() throws {
        let bytes = try framed([[]])
        #expect(bytes.count == 7)
        #expect(bytes[6] == RecordType.full.rawValue)
    }

    @Test func largeRecordFragmentsFirstMiddleLast() throws {
        let bytes = try framed([payload(3 * RecordFormat.blockSize, seed: 1)])
        let types = physicalRecords(bytes).map(\.type)
        #expect(types == [2, 3, 3, 4])
    }

    @Test func exactlyBlockSizedRecordFillsOneBlock() throws {
        let bytes = try framed([payload(RecordFormat.blockSize - 7, seed: 1), [1, 2, 3]])
        #expect(bytes.count == RecordFormat.blockSize + 7 + 3)
        #expect(physicalRecords(bytes).map(\.type) == [1, 1])
    }

    @Test func shortBlockTailIsZeroPadded() throws {
        // Leave 4 bytes in the first block: too few for a header.
        let bytes = try framed([payload(RecordFormat.blockSize - 7 - 4, seed: 1), [9]])
        #expect(bytes.count == RecordFormat.blockSize + 8)
        #expect(bytes[(RecordFormat.blockSize - 4)..<RecordFormat.blockSize].allSatisfy { $0 == 0 })
    }

    @Test func exactlyHeaderSizedTailGetsAnEmptyFirstFragment() throws {
        // Leave exactly 7 bytes: LevelDB writes an empty FIRST there.
        let bytes = try framed([payload(RecordFormat.blockSize - 14, seed: 1), [7, 7]])
        #expect(physicalRecords(bytes).map(\.type) == [1, 2, 4])
        #expect(physicalRecords(bytes).map(\.length) == [RecordFormat.blockSize - 14, 0, 2])
    }

    @Test func oneAppendPerRecord() throws {
        let file = MemoryWritableFile()
        let writer = RecordWriter(file: file)
        try writer.addRecord(payload(100_000, seed: 2))
        try writer.addRecord([1])
        try writer.addRecord([])
        #expect(file.appendCount == 3)
        #expect(writer.file === file)
    }

    @Test func initialOffsetContinuesBlockAlignment() throws {
        let first = MemoryWritableFile()
        let a = RecordWriter(file: first)
        try a.addRecord(payload(40_000, seed: 1))
        let second = MemoryWritableFile()
        let b = RecordWriter(file: second, initialOffset: first.size)
        try b.addRecord(payload(50_000, seed: 2))
        let joined = first.bytes + second.bytes
        let (records, reader) = try readAll(joined, mode: .absoluteConsistency)
        #expect(records == [payload(40_000, seed: 1), payload(50_000, seed: 2)])
        #expect(reader.lastRecordEndOffset == UInt64(joined.count))
    }

    @Test func fileOffsetTracksTheBytesTheFileHolds() throws {
        let file = MemoryWritableFile()
        let writer = RecordWriter(file: file)
        // Sizes that fill a block exactly, pad a short tail, and span several blocks.
        for (i, n) in [0, 5, RecordFormat.blockSize - 19, 3, 100_000, 1, RecordFormat.blockSize].enumerated() {
            try writer.addRecord(payload(n, seed: i))
            #expect(writer.fileOffset == file.size)
        }
        let resumed = RecordWriter(file: MemoryWritableFile(), initialOffset: 12_345)
        try resumed.addRecord(payload(10, seed: 9))
        #expect(resumed.fileOffset == 12_345 + 17)
    }

    @Test func framesNeverExceedTheirBoundAndReadBack() throws {
        // Every start offset near a block's end (padding, header-sized tails) and sizes that
        // end exactly at, just before and just after block boundaries.
        let b = RecordFormat.blockSize, h = RecordFormat.headerSize
        for start in [0, b - 14, b - 8, b - h, b - 6, b - 1] {
            let prefix = MemoryWritableFile()
            let filler = RecordWriter(file: prefix)
            if start >= h { try filler.addRecord(payload(start - h, seed: 1)) }
            #expect(prefix.size == UInt64(start))
            for (i, n) in [0, 1, b - 2 * h, b - h, b, 2 * b - 3 * h, 3 * b + 5].enumerated() {
                let file = MemoryWritableFile()
                let writer = RecordWriter(file: file, initialOffset: prefix.size)
                let record = payload(n, seed: i + 2)
                try writer.addRecord(record)
                #expect(file.size <= UInt64(RecordWriter.frameBound(payloadCount: n)))
                let (records, _) = try readAll(prefix.bytes + file.bytes, mode: .absoluteConsistency)
                #expect(records.last == record)
            }
        }
    }
}
