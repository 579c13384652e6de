// RestartSearchIndexTests: a block searched through its RestartSearchIndex lands on the same
// entry as the plain binary search and as a sorted-array model, for key sets built to stress
// the index: one long prefix shared by every key, keys whose eight bytes after it tie, user keys
// that are prefixes of others, many versions of one user key, and keys shorter than a word.
import Testing
import SedimentTestSupport
@_spi(Internals) @testable import Sediment

@Suite struct RestartSearchIndexTests {
    /// A key-set shape: how user keys are made.
    enum Shape: String, CaseIterable, Sendable {
        /// Every key starts with the same 20 bytes.
        case commonPrefix
        /// Eight bytes after a shared prefix take only two values; the rest differs.
        case tiedWords
        /// Keys of 0 to 3 bytes and prefixes of one another.
        case shortAndNested
        /// A few user keys with many sequence numbers each.
        case manyVersions
    }

    static func userKey(_ shape: Shape, _ rng: inout SeededRandom) -> [UInt8] {
        switch shape {
        case .commonPrefix:
            return Array("tenant-0042/objects/".utf8) + randomBytes(Int.random(in: 0...12, using: &rng), using: &rng)
        case .tiedWords:
            let word: [UInt8] = Bool.random(using: &rng) ? Array(repeating: 0x41, count: 8) : Array(repeating: 0x42, count: 8)
            return [0x70, 0x71] + word + randomBytes(Int.random(in: 0...4, using: &rng), using: &rng)
        case .shortAndNested:
            let base: [UInt8] = [0x10, 0x00, 0xFF]
            return Array(base.prefix(Int.random(in: 0...3, using: &rng))) + randomBytes(Int.random(in: 0...1, using: &rng), using: &rng)
        case .manyVersions:
            return Array("key-\(Int.random(in: 0..<4, using: &rng))".utf8)
        }
    }

    /// Sorted, distinct entries whose keys are internal keys (or, for `userKeys`, user keys).
    static func entries(_ shape: Shape, count: Int, userKeys: Bool,
                        _ rng: inout SeededRandom) -> [[UInt8]] {
        var set = Set<[UInt8]>()
        var attempts = 0
        while set.count < count && attempts < count * 50 {
            attempts += 1
            let u = userKey(shape, &rng)
            set.insert(userKeys ? u : ikey(u, UInt64.random(in: 1...100_000, using: &rng)))
        }
        return set.sorted { userKeys ? compareBytes($0, $1) < 0 : compareInternalKeys($0, $1) < 0 }
    }

    /// Seek targets: every key, its neighbours by sequence, mutated and random keys.
    static func targets(_ shape: Shape, _ keys: [[UInt8]], userKeys: Bool,
                        _ rng: inout SeededRandom) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for k in keys {
            let user = userKeys ? k : Array(k.dropLast(8))
            let seq = userKeys ? UInt64.random(in: 0...100_001, using: &rng)
                               : InternalKey(encoded: k)!.sequence
            out.append(ikey(user, seq))
            out.append(ikey(user, seq + 1))
            out.append(ikey(user, max(seq, 1) - 1))
            out.append(ikey(user + [0x00], 5))
            if !user.isEmpty { out.append(ikey(Array(user.dropLast()), 5)) }
            var bumped = user
            if !bumped.isEmpty { bumped[Int.random(in: 0..<bumped.count, using: &rng)] &+= 1 }
            out.append(ikey(bumped, 7))
        }
        for _ in 0..<200 { out.append(ikey(userKey(shape, &rng), UInt64.random(in: 0...100_001, using: &rng))) }
        out.append(ikey([], 0))
        out.append(ikey([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], 1))
        out.append(ikey(Array("tenant-0042/".utf8), 3))
        out.append(ikey(Array("tenant-0043".utf8), 3))
        return out
    }

    @Test(arguments: Shape.allCases)
    func seekMatchesPlainSearchAndModel(shape: Shape) throws {
        var rng = SeededRandom(defaultSeed: 0x5EA4C + UInt64(shape.rawValue.count))
        print("seed \(rng.seed)")
        for userKeys in [false, true] {
            let order: BlockKeyOrder = userKeys ? .userKeyForInternalTarget : .internalKey
            for (count, interval) in [(700, 1), (1500, 4), (90, 1)] {
                let keys = Self.entries(shape, count: count, userKeys: userKeys, &rng)
                var builder = BlockBuilder(restartInterval: interval)
                for (i, k) in keys.enumerated() { builder.add(k, Array("v\(i)".utf8)) }
                let bytes = builder.finish()
                let plain = try Block.make(copying: bytes, file: "plain", offset: 0)
                let indexed = try Block.make(copying: bytes, file: "indexed", offset: 0)
                indexed.attachSearchIndex(order: order, format: .plain)
                let restarts = (keys.count + interval - 1) / interval
                if restarts >= RestartSearchIndex.minimumRestarts {
                    #expect(indexed.searchIndex != nil, "\(shape) \(keys.count) keys: no search index")
                } else {
                    #expect(indexed.searchIndex == nil)
                }
                var a = BlockCursor(block: plain, order: order)
                var b = BlockCursor(block: indexed, order: order)
                defer { a.release(); b.release() }
                for t in Self.targets(shape, keys, userKeys: userKeys, &rng) {
                    t.withUnsafeBytes { a.seek($0); b.seek($0) }
                    let want = keys.firstIndex { k in
                        userKeys ? compareBytes(k, Array(t.dropLast(8))) >= 0 : compareInternalKeys(k, t) >= 0
                    }
                    #expect(a.error == nil && b.error == nil)
                    #expect(a.isValid == (want != nil) && b.isValid == (want != nil), "\(shape) target \(t)")
                    if let want, a.isValid, b.isValid {
                        #expect(Array(a.key) == keys[want] && Array(b.key) == keys[want],
                                "\(shape) userKeys=\(userKeys) target \(t): plain \(Array(a.key)), indexed \(Array(b.key)), want \(keys[want])")
                    }
                }
            }
        }
    }

    @Test func malformedRestartKeysGetNoIndex() throws {
        // Internal-key order needs 8 trailer bytes on every key: a 3-byte key leaves the block
        // to the plain search (which reports what it finds).
        var builder = BlockBuilder(restartInterval: 1)
        builder.add([0x01, 0x02, 0x03], [])
        for i in 0..<100 { builder.add(ikey(Array("k\(1000 + i)".utf8), 1), []) }
        let block = try Block.make(copying: builder.finish(), file: "short", offset: 0)
        block.attachSearchIndex(order: .internalKey, format: .plain)
        #expect(block.searchIndex == nil)
    }

    @Test func tableIndexGetsASearchIndexAndEveryKeyIsFound() throws {
        var rng = SeededRandom(defaultSeed: 0x1DE4)
        print("seed \(rng.seed)")
        var users = Set<[UInt8]>()
        while users.count < 3000 { users.insert(Array("user/\(UInt32.random(in: 0...UInt32.max, using: &rng))".utf8)) }
        let sorted = users.sorted { compareBytes($0, $1) < 0 }
        let entries = sorted.enumerated().map { (key: ikey($0.element, UInt64($0.offset + 1)), value: Array("v\($0.offset)".utf8)) }
        try withTemporaryDirectory { dir in
            let path = dir + "/t.sst"
            try buildTable(at: path, entries, options: TableBuilderOptions(
                blockSize: 128, blockRestartInterval: 4, bloomBitsPerKey: 0, compression: .lz4))
            let table = try openTable(path)
            #expect(table.indexBlock.searchIndex != nil)
            for (i, u) in sorted.enumerated() {
                let got = try u.withUnsafeBytes { try table.get(userKey: $0, sequence: maxSequenceNumber) }
                #expect(got == .found(Array("v\(i)".utf8)), "user key \(String(decoding: u, as: UTF8.self))")
                var absent = u
                absent.append(0x00)
                let miss = try absent.withUnsafeBytes { try table.get(userKey: $0, sequence: maxSequenceNumber) }
                #expect(miss == .notFound)
            }
        }
    }
}
