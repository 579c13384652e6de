// Tests for WriteBatch: record sizes as the group-commit queue computes them, the records a
// batch reads back, and the refusal of keys and values over the size limits.
import Testing
@testable import Sediment

@Suite struct WriteBatchTests {
    @Test func recordSizesMatchTheEncoding() {
        var batch = WriteBatch()
        // Lengths on both sides of a varint's one-byte limit.
        for (k, v) in [(0, 0), (1, 1), (16, 100), (127, 128), (128, 20_000), (300, 0)] {
            var before = batch.byteSize
            batch.put([UInt8](repeating: 7, count: k), [UInt8](repeating: 9, count: v))
            let put = batch.byteSize - before
            #expect(put == WriteBatch.putRecordSize(keyCount: k, valueCount: v))
            before = batch.byteSize
            batch.delete([UInt8](repeating: 3, count: k))
            let delete = batch.byteSize - before
            #expect(delete == WriteBatch.deleteRecordSize(keyCount: k))
            // The queue's single writes are charged what the batch encoding measured.
            let single = SingleWrite(kind: .deletion, key: [UInt8](repeating: 3, count: k), value: [])
            #expect(single.byteSize == delete)
            let singlePut = SingleWrite(kind: .value, key: [UInt8](repeating: 7, count: k), value: [UInt8](repeating: 9, count: v))
            #expect(singlePut.byteSize == put)
        }
    }

    @Test func recordsReadBackInOrder() throws {
        var batch = WriteBatch()
        batch.put([1, 2], [3])
        batch.delete([4])
        batch.put([], [5, 6])
        var seen: [(ValueKind, [UInt8], [UInt8])] = []
        try batch.forEach { kind, key, value in seen.append((kind, Array(key), Array(value))) }
        #expect(batch.count == 3)
        #expect(seen.map(\.0) == [.value, .deletion, .value])
        #expect(seen.map(\.1) == [[1, 2], [4], []])
        #expect(seen.map(\.2) == [[3], [], [5, 6]])
    }

    @Test func anOversizedKeyIsLeftOutAndRefusesTheBatch() {
        var batch = WriteBatch()
        batch.put([1], [2])
        let sizeBefore = batch.byteSize
        batch.put([UInt8](repeating: 0, count: Database.maxKeySize + 1), [3])
        #expect(batch.count == 1 && batch.byteSize == sizeBefore)
        #expect(batch.refusal?.contains("operation 1: key of \(Database.maxKeySize + 1) bytes") == true)
        // Later operations are left out too: the batch is refused whole.
        batch.delete([4])
        #expect(batch.count == 1)
        batch.clear()
        #expect(batch.refusal == nil)
        batch.delete([UInt8](repeating: 0, count: Database.maxKeySize))
        #expect(batch.count == 1 && batch.refusal == nil)
        batch.delete([UInt8](repeating: 0, count: Database.maxKeySize + 1))
        #expect(batch.count == 1 && batch.refusal != nil)
    }

    @Test func theLimitsAreInclusive() {
        #expect(Database.sizeViolation(keyCount: Database.maxKeySize, valueCount: Database.maxValueSize) == nil)
        #expect(Database.sizeViolation(keyCount: Database.maxKeySize + 1, valueCount: 0)?.contains("key of 8388609 bytes") == true)
        #expect(Database.sizeViolation(keyCount: 0, valueCount: Database.maxValueSize + 1)?
            .contains("value of \(Database.maxValueSize + 1) bytes is over the \(Database.maxValueSize)-byte limit") == true)
    }
}
