// Tests for MemTable: point lookups at snapshot sequences over overwrites and deletions,
// awkward keys and values, accounting.
import Testing
@_spi(Internals) @testable import Sediment
import SedimentTestSupport

@Suite struct MemTableTests {
    let key: [UInt8] = Array("key".utf8)

    @Test func getSeesTheNewestVersionAtOrBelowTheSequence() {
        let mem = MemTable()
        mem.add(sequence: 10, kind: .value, key: key, value: [1])
        mem.add(sequence: 20, kind: .value, key: key, value: [2])
        mem.add(sequence: 30, kind: .deletion, key: key, value: [])
        mem.add(sequence: 40, kind: .value, key: key, value: [4])
        #expect(mem.get(userKey: key, sequence: 9) == .notFound)
        #expect(mem.get(userKey: key, sequence: 10) == .found([1]))
        #expect(mem.get(userKey: key, sequence: 15) == .found([1]))
        #expect(mem.get(userKey: key, sequence: 20) == .found([2]))
        #expect(mem.get(userKey: key, sequence: 29) == .found([2]))
        #expect(mem.get(userKey: key, sequence: 30) == .deleted)
        #expect(mem.get(userKey: key, sequence: 39) == .deleted)
        #expect(mem.get(userKey: key, sequence: 40) == .found([4]))
        #expect(mem.get(userKey: key, sequence: maxSequenceNumber) == .found([4]))
        #expect(mem.get(userKey: key, sequence: .max) == .found([4]))
    }

    @Test func getDoesNotConfuseKeysSharingAPrefix() {
        let mem = MemTable()
        mem.add(sequence: 1, kind: .value, key: [0x6B], value: [1])
        mem.add(sequence: 2, kind: .value, key: [0x6B, 0x00], value: [2])
        mem.add(sequence: 3, kind: .value, key: [0x6B, 0xFF], value: [3])
        #expect(mem.get(userKey: [0x6B], sequence: 10) == .found([1]))
        #expect(mem.get(userKey: [0x6B, 0x00], sequence: 10) == .found([2]))
        #expect(mem.get(userKey: [0x6B, 0xFF], sequence: 10) == .found([3]))
        #expect(mem.get(userKey: [0x6B, 0x01], sequence: 10) == .notFound)
        #expect(mem.get(userKey: [], sequence: 10) == .notFound)
        #expect(mem.get(userKey: [0x6B, 0xFF, 0xFF], sequence: 10) == .notFound)
    }

    @Test func emptyKeyAndEmptyValue() {
        let mem = MemTable()
        mem.add(sequence: 5, kind: .value, key: [], value: [])
        #expect(mem.get(userKey: [], sequence: 5) == .found([]))
        #expect(mem.get(userKey: [], sequence: 4) == .notFound)
        #expect(mem.get(userKey: [0], sequence: 5) == .notFound)
    }

    @Test func longSharedPrefixKeys() {
        let mem = MemTable(arenaBlockSize: 4096)
        let prefix = [UInt8](repeating: 0x61, count: 1000)
        for i in 0..<200 { mem.add(sequence: SequenceNumber(i + 1), kind: .value, key: prefix + [UInt8(i)], value: [UInt8(i)]) }
        for i in 0..<200 { #expect(mem.get(userKey: prefix + [UInt8(i)], sequence: 1000) == .found([UInt8(i)])) }
        #expect(mem.get(userKey: prefix, sequence: 1000) == .notFound)
    }

    @Test func hundredKilobyteValues() {
        let mem = MemTable(arenaBlockSize: 4096)
        let big = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 31) }
        mem.add(sequence: 1, kind: .value, key: [1], value: big)
        mem.add(sequence: 2, kind: .value, key: [2], value: [9])
        mem.add(sequence: 3, kind: .value, key: [3], value: big.reversed())
        #expect(mem.get(userKey: [1], sequence: 9) == .found(big))
        #expect(mem.get(userKey: [2], sequence: 9) == .found([9]))
        #expect(mem.get(userKey: [3], sequence: 9) == .found(big.reversed()))
        #expect(mem.approximateMemoryUsage >= 200_000)
    }

    @Test func kindsOtherThanValueAndDeletionAreNotFound() {
        let mem = MemTable()
        mem.add(sequence: 1, kind: .value, key: key, value: [1])
        mem.add(sequence: 2, kind: .merge, key: key, value: [2])
        #expect(mem.get(userKey: key, sequence: 1) == .found([1]))
        #expect(mem.get(userKey: key, sequence: 2) == .notFound)
    }

    @Test func withLookupGivesAViewWithoutCopying() {
        let mem = MemTable()
        mem.add(sequence: 7, kind: .value, key: key, value: [7, 7])
        let length = key.withUnsafeBytes { k in
            mem.withLookup(userKey: k, sequence: 7) { lookup -> Int in
                if case .value(let v) = lookup { return v.count }
                return -1
            }
        }
        #expect(length == 2)
    }

    @Test func countAndMemoryUsageGrow() {
        let mem = MemTable(arenaBlockSize: 4096)
        #expect(mem.isEmpty && mem.count == 0 && mem.approximateMemoryUsage >= 0)
        let initial = mem.approximateMemoryUsage
        for i in 0..<1000 { mem.add(sequence: SequenceNumber(i), kind: .value, key: [UInt8(i & 0xFF), UInt8(i >> 8)], value: [UInt8](repeating: 1, count: 50)) }
        #expect(!mem.isEmpty && mem.count == 1000)
        #expect(mem.approximateMemoryUsage >= initial + 1000 * 60)
        #expect(mem.approximateMemoryUsage < initial + 1000 * 60 * 2)
    }

    @Test func distinctUserKeysCountEachKeyOnceWhateverItsVersions() {
        let mem = MemTable(arenaBlockSize: 4096)
        var rng = SeededRandom(defaultSeed: 0xD15)
        print("seed \(rng.seed)")
        var keys = Set<[UInt8]>()
        for s in 1...3000 {
            // 500 keys, some prefixes of others; puts and deletions in sequence order.
            let key = Array("k\(rng.next() % 500)".utf8) + (rng.next() % 3 == 0 ? [] : [0])
            keys.insert(key)
            mem.add(sequence: SequenceNumber(s), kind: rng.next() % 5 == 0 ? .deletion : .value, key: key, value: [1])
            #expect(mem.distinctUserKeys == keys.count)
        }
        // A version older than the ones present (recovery order is not guaranteed by the type).
        let first = keys.sorted { $0.lexicographicallyPrecedes($1) }[0]
        mem.add(sequence: 0, kind: .value, key: first, value: [2])
        mem.add(sequence: 9999, kind: .value, key: Array("new".utf8), value: [3])
        #expect(mem.distinctUserKeys == keys.count + 1)
        #expect(mem.count == 3002)
    }

    /// Fills `mem` with `valueSize`-byte values until `isFull`; returns the bytes of the
    /// arena in use then (allocated chunks minus the unused tail of the last one).
    func fillUntilFull(_ mem: MemTable, writeBufferSize: Int, valueSize: Int) -> Int {
        var i = 0
        while !mem.isFull(writeBufferSize: writeBufferSize) {
            mem.add(sequence: SequenceNumber(i + 1), kind: .value, key: Array("key\(i)".utf8),
                    value: [UInt8](repeating: 7, count: valueSize))
            i += 1
        }
        return mem.approximateMemoryUsage - mem.arenaUnusedBytes
    }

    @Test func memTableHoldsAboutTheWriteBufferSizeBeforeItIsFull() {
        // RocksDB's rule: chunks until the next would pass the buffer size plus 60 % of a
        // chunk, then the last chunk until less than a quarter of it is left. (The rule before
        // it switched as soon as the chunks reached the buffer size, one chunk short.)
        let chunk = 64 << 10, buffer = 512 << 10
        let mem = MemTable(arenaBlockSize: chunk)
        let used = fillUntilFull(mem, writeBufferSize: buffer, valueSize: 100)
        #expect(used >= buffer - chunk / 4 - 256, "used \(used)")
        #expect(used <= buffer - chunk / 4 + 256, "used \(used)")
        #expect(mem.approximateMemoryUsage <= buffer + chunk * 3 / 5)

        // A buffer of one chunk fills three quarters of it.
        let small = MemTable(arenaBlockSize: 4096)
        let smallUsed = fillUntilFull(small, writeBufferSize: 4096, valueSize: 20)
        #expect(smallUsed >= 3072 - 64 && smallUsed <= 3072 + 64, "used \(smallUsed)")
    }

    @Test func memTableWithHugePageChunksStopsShortOfTheLastHugePage() {
        // 8 MiB chunks of four 2 MiB huge pages: the memtable is full before a write enters
        // the last quarter of the last chunk, so that page is never made resident.
        let chunk = 4 * Arena.hugePageBytes, buffer = 2 * chunk
        let mem = MemTable(arenaBlockSize: chunk, prefaultBudget: 0)
        let used = fillUntilFull(mem, writeBufferSize: buffer, valueSize: 8000)
        #expect(used <= buffer - chunk / 4, "used \(used)")
        #expect(used >= buffer - chunk / 4 - (64 << 10) - 8200, "used \(used)")
    }

    @Test func iteratorYieldsInternalKeysNewestFirst() {
        let mem = MemTable()
        mem.add(sequence: 1, kind: .value, key: [0x62], value: [1])
        mem.add(sequence: 2, kind: .value, key: [0x61], value: [2])
        mem.add(sequence: 3, kind: .deletion, key: [0x62], value: [])
        let it = mem.makeIterator()
        it.seekToFirst()
        var seen: [String] = []
        while it.isValid {
            seen.append(InternalKey(encoded: Array(it.key))?.description ?? "?")
            it.next()
        }
        #expect(seen == ["a#2,SET", "b#3,DEL", "b#1,SET"])
    }
}
