// Tests for SkipList and MemTableIterator against a sorted-array oracle (LevelDB table_test's
// Harness idea): random inserts of awkward keys, then every iterator movement compared with
// the oracle, including direction switches.
import Testing
import SedimentTestSupport
@_spi(Internals) @testable import Sediment

/// An entry of the oracle: encoded internal key and value.
struct OracleEntry {
    var key: [UInt8]
    var value: [UInt8]
}

/// Random keys with long shared prefixes, 0x00 and 0xFF bytes, and empty user keys.
func randomUserKey(_ rng: inout SeededRandom) -> [UInt8] {
    let prefixes: [[UInt8]] = [
        [], Array(repeating: 0x61, count: 100), Array(repeating: 0x00, count: 9),
        Array(repeating: 0xFF, count: 17), [0x61, 0x62, 0x63], Array(repeating: 0x61, count: 99) + [0x62],
    ]
    let alphabet: [UInt8] = [0x00, 0x01, 0x61, 0x62, 0x7F, 0x80, 0xFE, 0xFF]
    var key = prefixes[Int(rng.next() % UInt64(prefixes.count))]
    for _ in 0..<Int(rng.next() % 4) { key.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
    return key
}

/// The encoded internal key for the parts.
func internalKey(_ userKey: [UInt8], _ sequence: SequenceNumber, _ kind: ValueKind) -> [UInt8] {
    InternalKey(userKey: userKey, sequence: sequence, kind: kind).encoded
}

/// A memtable filled with `count` random entries, and its sorted oracle.
func makeRandomMemTable(count: Int, rng: inout SeededRandom, arenaBlockSize: Int = 4096) -> (MemTable, [OracleEntry]) {
    let mem = MemTable(arenaBlockSize: arenaBlockSize)
    var oracle: [OracleEntry] = []
    for i in 0..<count {
        let userKey = randomUserKey(&rng)
        let sequence = SequenceNumber(i + 1) * 3
        let kind: ValueKind = rng.next() % 4 == 0 ? .deletion : .value
        let valueLength = rng.next() % 50 == 0 ? 100_000 : Int(rng.next() % 20)
        let value = kind == .deletion ? [] : (0..<valueLength).map { UInt8(truncatingIfNeeded: $0 &+ i) }
        mem.add(sequence: sequence, kind: kind, key: userKey, value: value)
        oracle.append(OracleEntry(key: internalKey(userKey, sequence, kind), value: value))
    }
    oracle.sort { compareInternalKeys($0.key, $1.key) < 0 }
    return (mem, oracle)
}

/// The oracle's position for an iterator: an index, or nil when invalid.
func expectAt(_ it: MemTableIterator, _ index: Int?, _ oracle: [OracleEntry], _ what: String, seed: UInt64) {
    guard let index, index >= 0, index < oracle.count else {
        #expect(!it.isValid, "\(what): expected invalid (seed \(seed))")
        return
    }
    #expect(it.isValid, "\(what): expected entry \(index) (seed \(seed))")
    guard it.isValid else { return }
    #expect(Array(it.key) == oracle[index].key, "\(what): key at \(index) (seed \(seed))")
    #expect(Array(it.value) == oracle[index].value, "\(what): value at \(index) (seed \(seed))")
}

/// A full forward scan, then a full backward scan, compared with the oracle.
func expectFullScans(_ it: MemTableIterator, _ oracle: [OracleEntry], seed: UInt64) {
    it.seekToFirst()
    for i in 0..<oracle.count { expectAt(it, i, oracle, "forward", seed: seed); it.next() }
    #expect(!it.isValid)
    it.seekToLast()
    for i in stride(from: oracle.count - 1, through: 0, by: -1) {
        expectAt(it, i, oracle, "backward", seed: seed); it.previous()
    }
    #expect(!it.isValid)
}

/// Index of the first oracle entry >= key, or count.
func lowerBound(_ oracle: [OracleEntry], _ key: [UInt8]) -> Int {
    var lo = 0, hi = oracle.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if compareInternalKeys(oracle[mid].key, key) < 0 { lo = mid + 1 } else { hi = mid }
    }
    return lo
}

/// Index of the last oracle entry <= key, or -1.
func lastAtMost(_ oracle: [OracleEntry], _ key: [UInt8]) -> Int {
    var lo = 0, hi = oracle.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if compareInternalKeys(oracle[mid].key, key) <= 0 { lo = mid + 1 } else { hi = mid }
    }
    return lo - 1
}

@Suite struct SkipListTests {
    @Test func emptyListIteratorIsInvalidEverywhere() {
        let mem = MemTable()
        let it = mem.makeIterator()
        #expect(!it.isValid)
        it.seekToFirst(); #expect(!it.isValid)
        it.seekToLast(); #expect(!it.isValid)
        internalKey([0x61], 1, .value).withUnsafeBytes { it.seek($0) }
        #expect(!it.isValid)
        internalKey([0x61], 1, .value).withUnsafeBytes { it.seekForPrevious($0) }
        #expect(!it.isValid)
        #expect(it.key.isEmpty && it.value.isEmpty && it.error == nil)
        #expect(mem.isEmpty && mem.count == 0)
    }

    @Test func forwardAndBackwardScansMatchOracle() {
        var rng = SeededRandom()
        let (mem, oracle) = makeRandomMemTable(count: 2000, rng: &rng)
        #expect(mem.count == oracle.count)
        let it = mem.makeIterator()
        expectFullScans(it, oracle, seed: rng.seed)
    }

    /// Ascending runs (linked through the last insert's splice, without a search) mixed with
    /// random keys, repeats and keys just below the last one, at every level the list grows to.
    @Test func inOrderRunsMixedWithRandomKeysMatchOracle() {
        var rng = SeededRandom()
        let mem = MemTable(arenaBlockSize: 4096)
        var oracle: [OracleEntry] = []
        var sequence: SequenceNumber = 1
        func add(_ userKey: [UInt8]) {
            let value = Array("v\(sequence)".utf8)
            mem.add(sequence: sequence, kind: .value, key: userKey, value: value)
            oracle.append(OracleEntry(key: internalKey(userKey, sequence, .value), value: value))
            sequence += 1
        }
        func numbered(_ i: Int) -> [UInt8] { Array(String(100_000 + i).utf8) }
        for run in 0..<40 {
            let start = Int(rng.next() % 5000)
            for i in start..<start + Int(rng.next() % 300) { add(numbered(i)) }   // ascending run
            switch run % 4 {
            case 0: add(numbered(start))                                          // a repeat, newer
            case 1: add(numbered(start + Int(rng.next() % 300)))                  // inside the run
            case 2: add(randomUserKey(&rng))
            default: add(numbered(start) + [0x00])                                // just after the run start
            }
        }
        oracle.sort { compareInternalKeys($0.key, $1.key) < 0 }
        #expect(mem.count == oracle.count)
        let it = mem.makeIterator()
        expectFullScans(it, oracle, seed: rng.seed)
        for entry in oracle.prefix(500) {
            entry.key.withUnsafeBytes { it.seek($0) }
            #expect(it.isValid && Array(it.key) == entry.key)
        }
    }

    @Test func seeksMatchOracle() {
        var rng = SeededRandom(defaultSeed: 77)
        let (mem, oracle) = makeRandomMemTable(count: 1500, rng: &rng)
        let it = mem.makeIterator()
        for _ in 0..<2000 {
            // Targets: existing keys, and random user keys at random sequences and kinds.
            let target: [UInt8]
            if rng.next() % 2 == 0 {
                target = oracle[Int(rng.next() % UInt64(oracle.count))].key
            } else {
                let kinds: [ValueKind] = [.deletion, .value, .forSeek]
                target = internalKey(randomUserKey(&rng), rng.next() % 5000, kinds[Int(rng.next() % 3)])
            }
            target.withUnsafeBytes { it.seek($0) }
            expectAt(it, lowerBound(oracle, target), oracle, "seek", seed: rng.seed)
            target.withUnsafeBytes { it.seekForPrevious($0) }
            expectAt(it, lastAtMost(oracle, target), oracle, "seekForPrevious", seed: rng.seed)
        }
    }

    @Test func randomWalkWithDirectionSwitchesMatchesOracle() {
        var rng = SeededRandom(defaultSeed: 4242)
        let (mem, oracle) = makeRandomMemTable(count: 800, rng: &rng)
        let it = mem.makeIterator()
        var position: Int? = nil
        for step in 0..<20_000 {
            switch rng.next() % 8 {
            case 0: it.seekToFirst(); position = 0
            case 1: it.seekToLast(); position = oracle.count - 1
            case 2:
                let target = internalKey(randomUserKey(&rng), rng.next() % 3000, .value)
                target.withUnsafeBytes { it.seek($0) }
                position = lowerBound(oracle, target)
            case 3:
                let target = internalKey(randomUserKey(&rng), rng.next() % 3000, .deletion)
                target.withUnsafeBytes { it.seekForPrevious($0) }
                position = lastAtMost(oracle, target)
            case 4, 5:
                if let p = position, p >= 0, p < oracle.count { it.next(); position = p + 1 }
            default:
                if let p = position, p >= 0, p < oracle.count { it.previous(); position = p - 1 }
            }
            expectAt(it, position, oracle, "walk step \(step)", seed: rng.seed)
            if let p = position, p < 0 || p >= oracle.count { position = nil }
        }
    }

    @Test func iteratorKeepsTheMemTableAlive() {
        func makeIterator() -> MemTableIterator {
            let mem = MemTable(arenaBlockSize: 4096)
            for i in 0..<500 { mem.add(sequence: SequenceNumber(i + 1), kind: .value, key: [UInt8(i % 256), UInt8(i / 256)], value: [UInt8(i % 7)]) }
            return mem.makeIterator()
        }
        let it = makeIterator()
        var n = 0
        it.seekToFirst()
        while it.isValid { n += 1; it.next() }
        #expect(n == 500)
    }

    @Test func heightsAreDeterministicAndBounded() {
        func heights() -> [Int] {
            let list = SkipList(arena: Arena(chunkSizeBytes: 4096))
            var out: [Int] = []
            for i in 0..<3000 {
                withUnsafeBytes(of: UInt32(i).bigEndian) { k in
                    list.insert(userKey: k, trailer: 1 << 8 | 1, value: UnsafeRawBufferPointer(start: nil, count: 0))
                }
            }
            var node = list.first()
            while let n = node { out.append(n.height); node = n.next(0) }
            return out
        }
        let a = heights()
        #expect(a == heights())
        #expect(a.allSatisfy { $0 >= 1 && $0 <= SkipList.maxHeight })
        let tall = a.filter { $0 > 1 }.count
        // p = 1/4: about 750 of 3000 nodes are taller than 1.
        #expect(tall > 550 && tall < 950)
    }
}
