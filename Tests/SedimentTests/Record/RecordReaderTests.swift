// Tests for RecordReader in the manner of LevelDB's log_test: round trips of every size class,
// fragments of every type, torn tails, bad checksums, zero tails, truncation at many offsets and
// absurd lengths, in each WAL recovery mode.
import Testing
import SedimentTestSupport
@testable import Sediment

@Suite struct RecordReaderTests {
    private let sizes = [0, 1, 100, RecordFormat.blockSize - 14, RecordFormat.blockSize - 7,
                         RecordFormat.blockSize, 3 * RecordFormat.blockSize + 17, 7, 0, 12_345]

    private var records: [[UInt8]] { sizes.enumerated().map { payload($0.element, seed: $0.offset) } }

    // MARK: clean files

    @Test func emptyFileHasNoRecords() throws {
        for mode in allRecoveryModes {
            let (out, reader) = try readAll([], mode: mode)
            #expect(out.isEmpty)
            #expect(!reader.stoppedAtCorruption && reader.tornTailOffset == nil && reader.corruptions.isEmpty)
            #expect(try reader.readRecord() == nil)
        }
    }

    @Test func roundTripsEverySizeClass() throws {
        let bytes = try framed(records)
        for mode in allRecoveryModes {
            let (out, reader) = try readAll(bytes, mode: mode)
            #expect(out == records)
            #expect(reader.lastRecordEndOffset == UInt64(bytes.count))
            #expect(!reader.stoppedAtCorruption)
        }
    }

    @Test func shortReadsStillRoundTrip() throws {
        let bytes = try framed(records)
        let (out, _) = try readAll(bytes, mode: .absoluteConsistency, maxRead: 1000)
        #expect(out == records)
    }

    @Test func randomSizesRoundTrip() throws {
        var rng = SeededRandom()
        print("seed \(rng.seed)")
        let many = (0..<300).map { i in payload(Int(rng.next() % 70_000) >> Int(rng.next() % 12), seed: i) }
        let (out, _) = try readAll(try framed(many), mode: .absoluteConsistency)
        #expect(out == many)
    }

    @Test func lastRecordEndOffsetTracksEachRecord() throws {
        let file = MemoryWritableFile()
        let writer = RecordWriter(file: file)
        var ends: [UInt64] = []
        for r in records { try writer.addRecord(r); ends.append(file.size) }
        let reader = RecordReader(file: MemoryRandomAccessFile(file.bytes), mode: .absoluteConsistency)
        for end in ends {
            _ = try reader.readRecord()
            #expect(reader.lastRecordEndOffset == end)
        }
    }

    @Test func zeroTailIsCleanEnd() throws {
        let bytes = try framed(records)
        for extra in [1, 6, 7, 100, RecordFormat.blockSize, 2 * RecordFormat.blockSize + 5] {
            let (out, reader) = try readAll(bytes + [UInt8](repeating: 0, count: extra), mode: .absoluteConsistency)
            #expect(out == records)
            #expect(reader.tornTailOffset == nil)
        }
    }

    @Test func damagedLastRecordFollowedOnlyByZerosIsATornTail() throws {
        // A mapped log's reserved tail after a record a crash left half copied
        // (MappedLogFile.swift): the record, then zeros to the end of the file.
        let full = try framed(records)
        for cut in [5, 7, 100, 3000] {
            for pad in [cut, cut + 1, RecordFormat.blockSize + 3] {
                let bytes = Array(full.dropLast(cut)) + [UInt8](repeating: 0, count: pad)
                #expect(throws: SedimentError.self) { try readAll(bytes, mode: .absoluteConsistency) }
                for mode in allRecoveryModes.dropFirst() {
                    let (out, reader) = try readAll(bytes, mode: mode)
                    #expect(out == Array(records.dropLast()), "cut \(cut) pad \(pad) \(mode)")
                    #expect(reader.tornTailOffset != nil && !reader.stoppedAtCorruption && reader.corruptions.isEmpty)
                }
            }
        }
    }

    @Test func damagedRecordWithDataAfterTheZerosIsCorruption() throws {
        // The zeros must run to the end of the file: a record after them means real damage.
        var bytes = try framed([[1, 2, 3], payload(200, seed: 9)])
        bytes[bytes.count - 50] ^= 0x40
        bytes += [UInt8](repeating: 0, count: RecordFormat.blockSize - bytes.count)
        bytes += try framed([[4, 5, 6]])
        #expect(throws: SedimentError.self) { try readAll(bytes, mode: .tolerateCorruptedTailRecords) }
        let (out, reader) = try readAll(bytes, mode: .pointInTime)
        #expect(out == [[1, 2, 3]])
        #expect(reader.stoppedAtCorruption && reader.tornTailOffset == nil)
    }

    @Test func zeroedSpaceBeforeLaterRecordsIsAHoleNotPreallocation() throws {
        // Power loss can leave an unwritten extent (zeros) between extents that reached the
        // disk: records, zeros from a record boundary to the end of the block, then more
        // records. Applying the later records without the lost ones would leave a hole, so the
        // zeros are corruption at their offset: pointInTime keeps the prefix before them.
        let before = [[UInt8]([1, 2, 3]), payload(300, seed: 4)]
        let after = [[UInt8]([7, 8, 9]), payload(40_000, seed: 5)]
        var bytes = try framed(before)
        let hole = bytes.count
        bytes += [UInt8](repeating: 0, count: RecordFormat.blockSize - bytes.count)
        bytes += try framed(after)
        for mode in [WALRecoveryMode.absoluteConsistency, .tolerateCorruptedTailRecords] {
            let thrown = #expect(throws: SedimentError.self) { try readAll(bytes, mode: mode) }
            if case let .corruption(file, offset, _)? = thrown {
                #expect(file == "memory.log" && offset == Int64(hole))
            } else {
                Issue.record("\(mode): \(String(describing: thrown))")
            }
        }
        let (pit, pitReader) = try readAll(bytes, mode: .pointInTime)
        #expect(pit.map(\.count) == before.map(\.count) && pit == before)
        #expect(pitReader.stoppedAtCorruption && pitReader.lastRecordEndOffset == UInt64(hole))
        // Skipping damage keeps every record on both sides and reports the hole once.
        let (skip, skipReader) = try readAll(bytes, mode: .skipAnyCorruptedRecords)
        #expect(skip.map(\.count) == (before + after).map(\.count) && skip == before + after)
        #expect(skipReader.corruptions.count == 1)
        // The same zeros with nothing after them are the preallocated tail: a clean end.
        let (tail, tailReader) = try readAll(Array(bytes.prefix(RecordFormat.blockSize)), mode: .absoluteConsistency)
        #expect(tail.map(\.count) == before.map(\.count) && tail == before && tailReader.tornTailOffset == nil && !tailReader.stoppedAtCorruption)
    }

    @Test func zeroHeaderWithGarbageAfterIsCorruption() throws {
        var bytes = try framed([[1, 2, 3]]) + [UInt8](repeating: 0, count: 20)
        bytes[bytes.count - 3] = 0x55
        #expect(throws: SedimentError.self) { try readAll(bytes, mode: .absoluteConsistency) }
        let (out, reader) = try readAll(bytes, mode: .pointInTime)
        #expect(out == [[1, 2, 3]])
        #expect(reader.stoppedAtCorruption)
    }

    // MARK: fragments

    @Test func middleWithoutFirstIsCorruption() throws {
        var bytes = try framed([[1, 2, 3], [4, 5]])
        rewriteHeader(&bytes, at: 0, type: RecordType.middle.rawValue, payloadLength: 3)
        let thrown = #expect(throws: SedimentError.self) { try readAll(bytes, mode: .tolerateCorruptedTailRecords) }
        #expect(thrown == .corruption(file: "memory.log", offset: 0, message: "middle fragment without a FIRST"))
        let (skipped, reader) = try readAll(bytes, mode: .skipAnyCorruptedRecords)
        #expect(skipped == [[4, 5]])
        #expect(reader.corruptions.count == 1)
        let (stopped, pit) = try readAll(bytes, mode: .pointInTime)
        #expect(stopped.isEmpty && pit.stoppedAtCorruption)
    }

    @Test func lastWithoutFirstIsCorruption() throws {
        var bytes = try framed([[1, 2, 3], [4, 5]])
        rewriteHeader(&bytes, at: 0, type: RecordType.last.rawValue, payloadLength: 3)
        let (skipped, reader) = try readAll(bytes, mode: .skipAnyCorruptedRecords)
        #expect(skipped == [[4, 5]])
        #expect(reader.corruptions.count == 1)
    }

    @Test func firstFollowedByFullDropsThePartialRecord() throws {
        var bytes = try framed([[1, 2, 3], [4, 5]])
        rewriteHeader(&bytes, at: 0, type: RecordType.first.rawValue, payloadLength: 3)
        #expect(throws: SedimentError.self) { try readAll(bytes, mode: .absoluteConsistency) }
        let (skipped, reader) = try readAll(bytes, mode: .skipAnyCorruptedRecords)
        #expect(skipped == [[4, 5]])
        #expect(reader.corruptions.count == 1)
        let (stopped, pit) = try readAll(bytes, mode: .pointInTime)
        #expect(stopped.isEmpty && pit.stoppedAtCorruption)
    }

    @Test func firstAtEndOfFileIsATornTail() throws {
        var bytes = try framed([[1, 2, 3], [4, 5]])
        rewriteHeader(&bytes, at: 10, type: RecordType.first.rawValue, payloadLength: 2)
        #expect(throws: SedimentError.self) { try readAll(bytes, mode: .absoluteConsistency) }
        for mode in allRecoveryModes.dropFirst() {
            let (out, reader) = try readAll(bytes, mode: mode)
            #expect(out == [[1, 2, 3]])
            #expect(reader.tornTailOffset == 10)
            #expect(!reader.stoppedAtCorruption)
        }
    }

    // MARK: torn tails

    @Test func tornLastRecordInEachMode() throws {
        let full = try framed(records)
        for cut in [1, 5, 7, 100] {
            let bytes = Array(full.dropLast(cut))
            let thrown = #expect(throws: SedimentError.self) { try readAll(bytes, mode: .absoluteConsistency) }
            if case let .corruption(file, offset, _)? = thrown {
                #expect(file == "memory.log" && offset != nil)
            } else {
                Issue.record("expected corruption, got \(String(describing: thrown))")
            }
            for mode in allRecoveryModes.dropFirst() {
                let (out, reader) = try readAll(bytes, mode: mode)
                #expect(out == Array(records.dropLast()))
                #expect(reader.tornTailOffset != nil)
                #expect(!reader.stoppedAtCorruption && reader.corruptions.isEmpty)
            }
        }
    }

    @Test func tornMultiBlockRecordInEachMode() throws {
        let big = payload(3 * RecordFormat.blockSize, seed: 9)
        let full = try framed([[1], big])
        let bytes = Array(full.prefix(2 * RecordFormat.blockSize + 100))
        #expect(throws: SedimentError.self) { try readAll(bytes, mode: .absoluteConsistency) }
        for mode in allRecoveryModes.dropFirst() {
            let (out, reader) = try readAll(bytes, mode: mode)
            #expect(out == [[1]])
            #expect(reader.tornTailOffset == 8)
        }
    }

    @Test func partialHeaderAtEndIsATornTail() throws {
        let bytes = try framed([[1, 2, 3]]) + [0x12, 0x34, 0x56]
        #expect(throws: SedimentError.self) { try readAll(bytes, mode: .absoluteConsistency) }
        let (out, reader) = try readAll(bytes, mode: .tolerateCorruptedTailRecords)
        #expect(out == [[1, 2, 3]])
        #expect(reader.tornTailOffset == 10)
    }

    @Test func truncationAtEveryOffsetNeverTrapsAndYieldsAPrefix() throws {
        let records = self.records
        let full = try framed(records)
        var ends: [Int] = []
        var total = 0
        let file = MemoryWritableFile()
        let writer = RecordWriter(file: file)
        for r in records { try writer.addRecord(r); ends.append(Int(file.size)) }
        total = full.count
        var cut = 0
        while cut <= total {
            let bytes = Array(full.prefix(cut))
            let complete = ends.filter { $0 <= cut }.count
            let (out, reader) = try readAll(bytes, mode: .tolerateCorruptedTailRecords)
            #expect(out == Array(records.prefix(complete)), "cut at \(cut)")
            #expect(!reader.stoppedAtCorruption)
            // absoluteConsistency accepts exactly the cuts that fall on record ends.
            let clean = (try? readAll(bytes, mode: .absoluteConsistency)) != nil
            let onBoundary = cut == 0 || ends.contains(cut) || isPaddingOnly(full, from: ends.last { $0 <= cut } ?? 0, to: cut)
            #expect(clean == onBoundary, "cut at \(cut)")
            cut += cut < 200 ? 1 : 331
        }
    }

    private func isPaddingOnly(_ bytes: [UInt8], from: Int, to: Int) -> Bool {
        from <= to && bytes[from..<to].allSatisfy { $0 == 0 }
    }

    // MARK: corruption before the tail

    @Test func badChecksumInTheMiddleInEachMode() throws {
        let small = (0..<5).map { payload(50, seed: $0) }
        var bytes = try framed(small)
        bytes[2 * 57 + 10] ^= 0x01 // payload byte of the third record
        for mode in [WALRecoveryMode.absoluteConsistency, .tolerateCorruptedTailRecords] {
            let thrown = #expect(throws: SedimentError.self) { try readAll(bytes, mode: mode) }
            #expect(thrown == .corruption(file: "memory.log", offset: 114, message: "record checksum mismatch"))
        }
        let (pit, pitReader) = try readAll(bytes, mode: .pointInTime)
        #expect(pit == Array(small.prefix(2)))
        #expect(pitReader.stoppedAtCorruption)
        #expect(pitReader.lastRecordEndOffset == 114)
        // A bad crc drops the rest of its block: in one block, everything after it goes too.
        let (skip, skipReader) = try readAll(bytes, mode: .skipAnyCorruptedRecords)
        #expect(skip == Array(small.prefix(2)))
        #expect(skipReader.corruptions.count == 1)
    }

    @Test func skipModeResumesAtTheNextBlock() throws {
        let recs = (0..<6).map { payload(20_000, seed: $0) }
        var bytes = try framed(recs)
        bytes[100] ^= 0xFF // inside record 0, first block
        let (out, reader) = try readAll(bytes, mode: .skipAnyCorruptedRecords)
        // Record 0 is lost; record 1 began in block 0 (its FIRST is dropped with the block), so its
        // tail in block 1 is an orphan LAST, also reported.
        #expect(out == Array(recs.dropFirst(2)))
        #expect(reader.corruptions.count == 2)
        #expect(!reader.stoppedAtCorruption)
    }

    @Test func absurdLengthBeforeTheTailIsCorruption() throws {
        let recs = (0..<3).map { payload(20_000, seed: $0) }
        var bytes = try framed(recs)
        bytes[4] = 0xFF; bytes[5] = 0xFF
        #expect(throws: SedimentError.self) { try readAll(bytes, mode: .tolerateCorruptedTailRecords) }
        let (pit, reader) = try readAll(bytes, mode: .pointInTime)
        #expect(pit.isEmpty && reader.stoppedAtCorruption)
    }

    @Test func absurdLengthAtTheTailIsATornTail() throws {
        var bytes = try framed([[1, 2, 3], [4]])
        rewriteHeader(&bytes, at: 10, type: 1, payloadLength: 0xFFFF)
        let (out, reader) = try readAll(bytes, mode: .tolerateCorruptedTailRecords)
        #expect(out == [[1, 2, 3]])
        #expect(reader.tornTailOffset == 10)
    }

    @Test func unknownTypeIsCorruptionAndSafeToIgnoreTypesAreSkipped() throws {
        var bytes = try framed([[1, 2, 3], [4]])
        rewriteHeader(&bytes, at: 0, type: 42, payloadLength: 3)
        #expect(throws: SedimentError.self) { try readAll(bytes, mode: .absoluteConsistency) }
        rewriteHeader(&bytes, at: 0, type: 0x80 | 42, payloadLength: 3)
        let (out, _) = try readAll(bytes, mode: .absoluteConsistency)
        #expect(out == [[4]])
    }

    @Test func compressionMarkerIsNotSupported() throws {
        var bytes = try framed([[1, 2, 3], [4]])
        rewriteHeader(&bytes, at: 0, type: RecordFormat.setCompressionType, payloadLength: 3)
        for mode in allRecoveryModes {
            let thrown = #expect(throws: SedimentError.self) { try readAll(bytes, mode: mode) }
            #expect(thrown == .notSupported(feature: "compressed write-ahead log", file: "memory.log"))
        }
    }

    @Test func recyclableRecordsAreNotSupported() throws {
        // A RocksDB recyclable FULL record: crc over type, log number (fixed32) and payload.
        var bytes: [UInt8] = [0, 0, 0, 0, 3, 0, 5, 7, 0, 0, 0, 0xA, 0xB, 0xC]
        let crc = CRC32C.mask(CRC32C.compute(Array(bytes[6...])))
        for i in 0..<4 { bytes[i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        for mode in allRecoveryModes {
            let thrown = #expect(throws: SedimentError.self) { try readAll(bytes, mode: mode) }
            #expect(thrown == .notSupported(feature: "recyclable log records (type 5)", file: "memory.log"))
        }
    }

    @Test func randomGarbageNeverTrapsOrHangs() throws {
        var rng = SeededRandom()
        print("seed \(rng.seed)")
        let base = try framed((0..<40).map { payload(Int($0) * 1_700, seed: $0) })
        for round in 0..<60 {
            var bytes = base
            for _ in 0..<(1 + round % 8) {
                let i = Int(rng.next() % UInt64(bytes.count))
                bytes[i] = UInt8(truncatingIfNeeded: rng.next())
            }
            if round % 3 == 0 { bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count)))) }
            for mode in allRecoveryModes {
                let reader = RecordReader(file: MemoryRandomAccessFile(bytes), mode: mode)
                var count = 0
                do {
                    while try reader.readRecord() != nil { count += 1 }
                } catch let error as SedimentError {
                    switch error {
                    case .corruption(let file, _, _), .notSupported(_, let file): #expect(file == "memory.log")
                    default: Issue.record("unexpected \(error)")
                    }
                }
                #expect(count <= 40)
            }
        }
    }
}

