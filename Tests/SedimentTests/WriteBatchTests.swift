// Tests for WriteBatch: record sizes as the group-commit queue computes them, and the records a
// batch reads back.
import Testing
@testable import Sediment

@Suite struct WriteBatchTests {
    @Test func recordSizesMatchTheEncoding() {
        var batch = WriteBatch()
        // Lengths on both sides of a varint's one-byte limit.
        for (k, v) in [(0, 0), (1, 1), (16, 100), (127, 128), (128, 20_000), (300, 0)] {
            var before = batch.byteSize
            batch.put([UInt8](repeating: 7, count: k), [UInt8](repeating: 9, count: v))
            #expect(batch.byteSize - before == WriteBatch.putRecordSize(keyCount: k, valueCount: v))
            before = batch.byteSize
            batch.delete([UInt8](repeating: 3, count: k))
            #expect(batch.byteSize - before == WriteBatch.deleteRecordSize(keyCount: k))
            let single = SingleWrite(kind: .deletion, key: [UInt8](repeating: 3, count: k), value: [])
            #expect(single.byteSize == WriteBatch.deleteRecordSize(keyCount: k))
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
}
