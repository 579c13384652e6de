// TableHarnessTests: LevelDB table_test-style model harness. Random sorted key sets are
// written into a block and into tables of several shapes; every iterator is driven through
// random seeks, steps and direction switches and compared with a sorted-array oracle.
import Testing
import SedimentTestSupport
@_spi(Internals) @testable import Sediment

/// A sorted-array model of an iterator.
struct ModelCursor {
    let entries: [(key: [UInt8], value: [UInt8])]
    var position: Int? = nil

    mutating func seekToFirst() { position = entries.isEmpty ? nil : 0 }
    mutating func seekToLast() { position = entries.isEmpty ? nil : entries.count - 1 }
    mutating func seek(_ t: [UInt8]) {
        let i = entries.firstIndex { compareInternalKeys($0.key, t) >= 0 }
        position = i
    }
    mutating func seekForPrevious(_ t: [UInt8]) {
        position = entries.lastIndex { compareInternalKeys($0.key, t) <= 0 }
    }
    mutating func next() { if let p = position { position = p + 1 < entries.count ? p + 1 : nil } }
    mutating func previous() { if let p = position { position = p > 0 ? p - 1 : nil } }
}

@Suite struct TableHarnessTests {
    /// Random entries with long shared prefixes, 0x00/0xFF bytes, empty and large values.
    static func randomEntries(_ rng: inout SeededRandom, count: Int, bigValues: Bool) -> [(key: [UInt8], value: [UInt8])] {
        var set: [[UInt8]: [UInt8]] = [:]
        let prefixes: [[UInt8]] = [[], Array(repeating: 0x61, count: 40), [0x00, 0x00], [0xFF, 0xFF, 0xFF]]
        while set.count < count {
            var user = prefixes[Int.random(in: 0..<prefixes.count, using: &rng)]
            for _ in 0..<Int.random(in: 0...6, using: &rng) {
                user.append([0x00, 0xFF, 0x61, 0x62, UInt8.random(in: 0...255, using: &rng)][Int.random(in: 0..<5, using: &rng)])
            }
            let seq = UInt64.random(in: 1...1000, using: &rng)
            let kind: ValueKind = Int.random(in: 0..<10, using: &rng) == 0 ? .deletion : .value
            let vlen = bigValues && Int.random(in: 0..<50, using: &rng) == 0 ? 100_000 : Int.random(in: 0...20, using: &rng)
            set[ikey(user, seq, kind)] = randomBytes(kind == .deletion ? 0 : vlen, using: &rng)
        }
        return set.map { (key: $0.key, value: $0.value) }.sorted { compareInternalKeys($0.key, $1.key) < 0 }
    }

    /// Drives `it` and the model through the same random operations, comparing after each.
    static func exercise(_ it: some InternalIterator, _ entries: [(key: [UInt8], value: [UInt8])],
                         _ rng: inout SeededRandom, steps: Int) {
        var model = ModelCursor(entries: entries)
        func randomTarget() -> [UInt8] {
            if !entries.isEmpty && Bool.random(using: &rng) {
                var k = entries[Int.random(in: 0..<entries.count, using: &rng)].key
                if Bool.random(using: &rng) { k[k.count - 9 < 0 ? 0 : max(0, k.count - 9)] &+= 1 }
                return k
            }
            return ikey(randomBytes(Int.random(in: 0...4, using: &rng), using: &rng), UInt64.random(in: 0...1001, using: &rng))
        }
        for step in 0..<steps {
            switch Int.random(in: 0..<8, using: &rng) {
            case 0: it.seekToFirst(); model.seekToFirst()
            case 1: it.seekToLast(); model.seekToLast()
            case 2: let t = randomTarget(); t.withUnsafeBytes { it.seek($0) }; model.seek(t)
            case 3: let t = randomTarget(); t.withUnsafeBytes { it.seekForPrevious($0) }; model.seekForPrevious(t)
            case 4, 5: if it.isValid { it.next(); model.next() }
            default: if it.isValid { it.previous(); model.previous() }
            }
            #expect(it.error == nil)
            if let p = model.position {
                #expect(it.isValid, "step \(step): expected \(InternalKey(encoded: entries[p].key)!)")
                guard it.isValid else { return }
                #expect(Array(it.key) == entries[p].key && Array(it.value) == entries[p].value,
                        "step \(step): \(InternalKey(encoded: Array(it.key))!) vs \(InternalKey(encoded: entries[p].key)!)")
            } else {
                #expect(!it.isValid, "step \(step): expected end")
            }
        }
    }

    @Test(arguments: [1, 2, 16])
    func blockIteratorMatchesModel(restartInterval: Int) throws {
        var rng = SeededRandom(defaultSeed: 0xB10C + UInt64(restartInterval))
        print("seed \(rng.seed)")
        for count in [1, 2, 5, 100, 700] {
            let entries = Self.randomEntries(&rng, count: count, bigValues: false)
            var builder = BlockBuilder(restartInterval: restartInterval)
            for e in entries { builder.add(e.key, e.value) }
            let block = try Block.make(copying: builder.finish(), file: "mem", offset: 0)
            let it = BlockIterator(block: block)
            #expect(scanAll(it).map(\.key) == entries.map(\.key))
            // A full backward scan (previous() reuses each restart interval's decoded entries).
            var backward: [(key: [UInt8], value: [UInt8])] = []
            it.seekToLast()
            while it.isValid {
                backward.append((Array(it.key), Array(it.value)))
                it.previous()
            }
            #expect(backward.reversed().map(\.key) == entries.map(\.key))
            #expect(backward.reversed().map(\.value) == entries.map(\.value))
            Self.exercise(it, entries, &rng, steps: 400)
        }
    }

    struct Shape: Sendable, CustomStringConvertible {
        var blockSize: Int, restart: Int, compression: Compression, bloom: Double, count: Int, big: Bool
        var description: String { "block=\(blockSize) restart=\(restart) \(compression) bloom=\(bloom) n=\(count)" }
    }

    @Test(arguments: [
        Shape(blockSize: 64, restart: 1, compression: .none, bloom: 10, count: 300, big: false),
        Shape(blockSize: 256, restart: 4, compression: .lz4, bloom: 0, count: 1000, big: false),
        Shape(blockSize: 4096, restart: 16, compression: .zlib, bloom: 10, count: 2000, big: true),
        Shape(blockSize: 1, restart: 16, compression: .lz4, bloom: 10, count: 200, big: false),
        Shape(blockSize: 4096, restart: 16, compression: .lz4, bloom: 10, count: 1, big: false),
    ])
    func tableIteratorAndGetMatchModel(_ shape: Shape) throws {
        var rng = SeededRandom(defaultSeed: 0x7AB1E + UInt64(shape.count))
        print("seed \(rng.seed)")
        let entries = Self.randomEntries(&rng, count: shape.count, bigValues: shape.big)
        try withTemporaryDirectory { dir in
            let path = dir + "/t.sst"
            try buildTable(at: path, entries, options: TableBuilderOptions(
                blockSize: shape.blockSize, blockRestartInterval: shape.restart,
                bloomBitsPerKey: shape.bloom, compression: shape.compression))
            let cache = BlockCache(capacityBytes: 64 << 10)
            let table = try openTable(path, cache: cache)
            #expect(table.properties.numEntries == UInt64(entries.count))
            let it = table.makeIterator()
            #expect(scanAll(it).map(\.key) == entries.map(\.key))
            Self.exercise(it, entries, &rng, steps: 1500)
            // get(): the newest version with seq <= snapshot decides.
            for (i, e) in entries.enumerated() where i % 3 == 0 {
                let k = InternalKey(encoded: e.key)!
                for snapshot in [k.sequence, maxSequenceNumber, k.sequence - 1] {
                    let expected = entries.first { x in
                        let xk = InternalKey(encoded: x.key)!
                        return xk.userKey == k.userKey && xk.sequence <= snapshot
                    }
                    let want: LookupResult = expected.map {
                        InternalKey(encoded: $0.key)!.kind == .deletion ? .deleted : .found($0.value)
                    } ?? .notFound
                    let got = try k.userKey.withUnsafeBytes { try table.get(userKey: $0, sequence: snapshot) }
                    #expect(got == want, "\(k) at \(snapshot)")
                }
            }
            for _ in 0..<200 {
                let user = randomBytes(7, using: &rng) + [0x42]
                let got = try user.withUnsafeBytes { try table.get(userKey: $0, sequence: maxSequenceNumber) }
                #expect(got == .notFound)
            }
            try table.verifyChecksums()
        }
    }

    @Test func emptyTable() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/e.sst"
            try buildTable(at: path, [], options: TableBuilderOptions())
            let table = try openTable(path)
            let it = table.makeIterator()
            it.seekToFirst(); #expect(!it.isValid && it.error == nil)
            it.seekToLast(); #expect(!it.isValid && it.error == nil)
            let got = try [UInt8]("a".utf8).withUnsafeBytes { try table.get(userKey: $0, sequence: 5) }
            #expect(got == .notFound)
            let verify = try rocksSSTDump(["--file=" + path, "--command=verify"])
            #expect(verify.stdoutText.hasSuffix("The file is ok\n"), "\(verify.stderr)")
        }
    }

    @Test func outOfOrderAddIsRejected() throws {
        try withTemporaryDirectory { dir in
            let file = try PosixFileSystem().createForWriting(dir + "/x.sst")
            let b = TableBuilder(file: file, options: TableBuilderOptions())
            try b.add(ikey(Array("b".utf8), 1), [])
            #expect(throws: SedimentError.self) { try b.add(ikey(Array("a".utf8), 1), []) }
            #expect(throws: SedimentError.self) { try b.add([1, 2], []) }
            b.abandon()
            try file.close()
        }
    }

    /// A table whose index block would pass its limit (4 GiB; lowered here) is refused with
    /// `.notSupported` naming the table, never written unreadable and never a trap.
    @Test func indexBlockOverItsLimitIsRefused() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/big-index.sst"
            let file = try PosixFileSystem().createForWriting(path)
            let builder = TableBuilder(file: file, options: TableBuilderOptions(blockSize: 4096, blockRestartInterval: 16,
                                                                                bloomBitsPerKey: 0, compression: .lz4))
            builder.indexBlockLimit = 64 << 10
            // 8 KiB keys that differ only at the end: every key is a block of its own and every
            // separator is nearly the whole key.
            var user = [UInt8](repeating: 0x61, count: 8 << 10)
            var refused: SedimentError? = nil
            for j in 0..<64 {
                user[user.count - 2] = UInt8(j >> 8)
                user[user.count - 1] = UInt8(j & 0xFF)
                do {
                    try builder.add(ikey(user, UInt64(j + 1)), [])
                } catch let error as SedimentError {
                    refused = error
                    break
                }
            }
            guard case .notSupported(let feature, let file)? = refused else {
                Issue.record("expected .notSupported, got \(String(describing: refused))"); return
            }
            #expect(feature.contains("index block over 4 GiB") && file == path)
            builder.abandon()
        }
    }

    @Test func separatorsAndSuccessors() {
        var s = ikey(Array("abcdef".utf8), 5)
        // The limit's bytes must stay alive for the call: no pointer escapes withUnsafeBytes.
        let limit = ikey(Array("abzz".utf8), 9)
        limit.withUnsafeBytes { shortenSeparator(&s, limit: $0) }
        #expect(Array(s.dropLast(8)) == Array("abd".utf8))
        // RocksDB's rule when the first differing byte grows into limit's byte: still shorter
        // than limit, because limit goes on (a proper prefix of it).
        var p = ikey(Array("abc1xyz".utf8), 5)
        let longer = ikey(Array("abc2zz".utf8), 9)
        longer.withUnsafeBytes { shortenSeparator(&p, limit: $0) }
        #expect(Array(p.dropLast(8)) == Array("abc2".utf8))
        // ...but not when limit ends there: then a later byte of start grows.
        var q = ikey(Array("abc1xyz".utf8), 5)
        let ends = ikey(Array("abc2".utf8), 9)
        ends.withUnsafeBytes { shortenSeparator(&q, limit: $0) }
        #expect(Array(q.dropLast(8)) == Array("abc1y".utf8))
        var t = ikey([0xFF, 0xFF, 0x01, 0x07], 3)
        shortenToSuccessor(&t)
        #expect(Array(t.dropLast(8)) == [0xFF, 0xFF, 0x02])
        var u = ikey([0xFF, 0xFF], 3)
        let before = u
        shortenToSuccessor(&u)
        #expect(u == before)
    }

    @Test func blockCacheEvictsByBytes() throws {
        let cache = BlockCache(capacityBytes: 4096, shardCount: 1)
        var builder = BlockBuilder(restartInterval: 16)
        builder.add(ikey(Array("k".utf8), 1), Array(repeating: 7, count: 1000))
        let bytes = builder.finish()
        for i in 0..<10 {
            cache.insert(fileNumber: 1, offset: UInt64(i), block: try Block.make(copying: bytes, file: "m", offset: 0))
        }
        #expect(cache.usage <= 4096)
        #expect(cache.lookup(fileNumber: 1, offset: 9) != nil)
        #expect(cache.lookup(fileNumber: 1, offset: 0) == nil)
        cache.erase(fileNumber: 1)
        #expect(cache.usage == 0)
    }
}
