// BloomFilterTests: RocksDB's Hash64 (XXPH3) known answers, FastLocalBloom geometry, the
// false-positive rate at 10 bits/key, and the planned-count builder against the hash-list one.
import Testing
import SedimentTestSupport
@_spi(Internals) @testable import Sediment

@Suite struct BloomFilterTests {
    /// Values printed by RocksDB 7.8's util/xxph3.h `XXPH3_64bits` over a buffer filled by the
    /// LCG s = s * 1103515245 + 12345 (starting at 1), byte = (s >> 16) & 0xFF.
    static let vectors: [(Int, UInt64)] = [
        (0, 0x5342c3010fe1dd04), (1, 0xb44a844ba6c73ae5), (2, 0xa820dad052e49d26), (3, 0x5b1674085c04e596),
        (4, 0x785775cf65e99df8), (5, 0xb06172b2f26d0d24), (8, 0xe31f25f90c9f9879), (9, 0xe6237732693931ae),
        (16, 0x9a58c892e8b8af29), (17, 0x19bbb6fd257ee2ea), (32, 0xb3179a54cfd2526d), (33, 0xbf60c0745a6dd895),
        (64, 0xdb6ca485e0b6b925), (65, 0x9d45b9a56c108bf5), (96, 0xd5c4a330385ede70), (97, 0xe10800aed8ea02f6),
        (128, 0x47c6f482da479768), (129, 0x486d290beaa40aa0), (200, 0x91ac7eb063cd609c), (240, 0xd547c8e1eafa0753),
        (241, 0x8a505a619f27ab88), (255, 0x28ac70def3cfed6f), (256, 0xb949a8b2d9c03fb8), (1023, 0x28fb4a2557ccb8a7),
        (1024, 0xbae986a78cb5f9f6), (1025, 0x0fbcc2089cd91c40), (2047, 0x472a8735c8c18d17), (3000, 0x93a9d57321b1b86e),
    ]

    @Test func rocksHash64MatchesRocksDB() {
        var s: UInt32 = 1
        let buf: [UInt8] = (0..<4096).map { _ in
            s = s &* 1103515245 &+ 12345
            return UInt8(truncatingIfNeeded: s >> 16)
        }
        buf.withUnsafeBytes { b in
            for (n, want) in Self.vectors {
                #expect(rocksHash64(UnsafeRawBufferPointer(rebasing: b[0..<n])) == want, "length \(n)")
            }
        }
    }

    @Test func geometryMatchesRocksDB() {
        var b = BloomFilterBuilder(bitsPerKey: 10)
        for i in 0..<1000 { withUnsafeBytes(of: UInt32(i)) { b.add($0) } }
        let f = b.finish()
        // ceil(1000 * 10000 / 8000) = 1250 → 1280 bytes + 5 bytes of metadata.
        #expect(f.count == 1285)
        #expect(Array(f.suffix(5)) == [0xFF, 0x00, 6, 0, 0])
        #expect(BloomFilterBuilder.numProbes(millibitsPerKey: 10000) == 6)
        #expect(BloomFilterBuilder.numProbes(millibitsPerKey: 20000) == 11)
        #expect(BloomFilterBuilder.numProbes(millibitsPerKey: 60000) == 24)
        #expect(FilterBlockReader(contents: [0xFF, 0, 6, 0, 0]).mayMatch(UnsafeRawBufferPointer(start: nil, count: 0)) == false)
        // Unknown kinds (legacy Bloom, Ribbon) never filter a key out.
        #expect(FilterBlockReader(contents: Array(repeating: 0, count: 64) + [0xFE, 0, 0, 0, 0]).mayMatch(UnsafeRawBufferPointer(start: nil, count: 0)))
    }

    @Test func falsePositiveRateAtTenBitsPerKey() {
        var rng = SeededRandom(defaultSeed: 0xF11)
        print("seed \(rng.seed)")
        var b = BloomFilterBuilder(bitsPerKey: 10)
        let n = 20_000
        let keys = (0..<n).map { _ in randomBytes(16, using: &rng) }
        for k in keys { k.withUnsafeBytes { b.add($0) } }
        let reader = FilterBlockReader(contents: b.finish())
        for k in keys { #expect(k.withUnsafeBytes { reader.mayMatch($0) }) }
        var positives = 0
        let probes = 100_000
        for i in 0..<probes {
            var k = Array("absent-".utf8)
            withUnsafeBytes(of: UInt64(i)) { k.append(contentsOf: $0) }
            if k.withUnsafeBytes({ reader.mayMatch($0) }) { positives += 1 }
        }
        let rate = Double(positives) / Double(probes)
        print("false-positive rate at 10 bits/key: \(rate)")
        #expect(rate <= 0.012)
    }

    @Test(arguments: [1, 7, 100, 4096, 25_000])
    func aBuilderToldTheKeyCountWritesTheSameBytes(_ distinct: Int) {
        var rng = SeededRandom(defaultSeed: 0xB100 + UInt64(distinct))
        print("seed \(rng.seed)")
        // Sorted distinct keys, some repeated consecutively as versions of one key are.
        let keys = Set((0..<distinct).map { _ in randomBytes(Int(rng.next() % 24) + 1, using: &rng) }).sorted { $0.lexicographicallyPrecedes($1) }
        var plain = BloomFilterBuilder(bitsPerKey: 10)
        var planned = BloomFilterBuilder(bitsPerKey: 10, plannedKeys: keys.count)
        for k in keys {
            let repeats = rng.next() % 4 == 0 ? 3 : 1
            for _ in 0..<repeats {
                k.withUnsafeBytes { plain.add($0) }
                k.withUnsafeBytes { planned.add($0) }
            }
        }
        #expect(planned.count == keys.count && plain.count == keys.count)
        #expect(planned.finish() == plain.finish())
    }

    @Test func aWrongPlannedCountStillFindsEveryKey() {
        var rng = SeededRandom(defaultSeed: 0xB1F)
        print("seed \(rng.seed)")
        let keys = (0..<3000).map { _ in randomBytes(16, using: &rng) }
        for plannedKeys in [1, 1000, 9000] {
            var b = BloomFilterBuilder(bitsPerKey: 10, plannedKeys: plannedKeys)
            for k in keys { k.withUnsafeBytes { b.add($0) } }
            let f = b.finish()
            #expect(f.count == BloomFilterBuilder(bitsPerKey: 10, plannedKeys: plannedKeys).finish().count)
            let reader = FilterBlockReader(contents: f)
            #expect(keys.allSatisfy { k in k.withUnsafeBytes { reader.mayMatch($0) } }, "planned \(plannedKeys)")
        }
    }

    /// As RocksDB's reader: a FastLocalBloom trailer naming 31 probes, or with either reserved
    /// byte set (perhaps a future hash seed), is a layout this reader does not know; it answers
    /// "may match" for every key instead of probing with the wrong rule.
    @Test(arguments: [(offsetFromEnd: 3, value: UInt8(31)), (2, 1), (1, 0x80)])
    func reservedTrailerValuesAreNotEvaluated(offsetFromEnd: Int, value: UInt8) {
        var b = BloomFilterBuilder(bitsPerKey: 10)
        for i in 0..<200 { withUnsafeBytes(of: UInt32(i)) { b.add($0) } }
        var f = b.finish()
        let absent = (1000..<2000).map(UInt32.init).filter { k in
            withUnsafeBytes(of: k) { !FilterBlockReader(contents: f).mayMatch($0) }
        }
        #expect(absent.count > 900)
        f[f.count - offsetFromEnd] = value
        let reader = FilterBlockReader(contents: f)
        #expect(!reader.isEvaluated)
        for k in absent.prefix(50) { #expect(withUnsafeBytes(of: k) { reader.mayMatch($0) }) }
    }
}
