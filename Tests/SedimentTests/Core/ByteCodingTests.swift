// Tests for ByteCoding and Checksum: varint round trips and truncation, fixed widths, crc32c
// known answers and masking.
import Testing
@testable import Sediment
import CSedimentSupport
import SedimentTestSupport

@Suite struct ByteCodingTests {
    @Test func varintRoundTrip() {
        let values: [UInt64] = [0, 1, 127, 128, 255, 300, 16383, 16384, 1 << 32, UInt64.max]
        var buf: [UInt8] = []
        for v in values { buf.appendVarint64(v) }
        buf.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            for v in values { #expect(r.readVarint64() == v) }
            #expect(r.isAtEnd)
        }
        for v in values { var b: [UInt8] = []; b.appendVarint64(v); #expect(b.count == varintLength(v)) }
    }

    @Test func truncatedVarintIsNil() {
        let bytes: [UInt8] = [0x80, 0x80]
        bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            #expect(r.readVarint64() == nil)
        }
    }

    @Test func overlongVarint32IsNil() {
        let bytes: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            #expect(r.readVarint32() == nil)
        }
    }

    @Test func fixedWidthsAreLittleEndian() {
        var b: [UInt8] = []
        b.appendFixed32(0x04030201)
        b.appendFixed64(0x0807060504030201)
        #expect(b == [1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func crc32cKnownAnswers() {
        // From RFC 3720 / LevelDB's crc32c_test.
        #expect(CRC32C.compute([UInt8](repeating: 0, count: 32)) == 0x8a9136aa)
        #expect(CRC32C.compute([UInt8](repeating: 0xff, count: 32)) == 0x62a8ab43)
        #expect(CRC32C.compute((0..<32).map { UInt8($0) }) == 0x46dd794e)
        #expect(CRC32C.compute(Array("hello world".utf8)) == CRC32C.compute(Array(" world".utf8), extending: CRC32C.compute(Array("hello".utf8))))
        let c = CRC32C.compute(Array("foo".utf8))
        #expect(CRC32C.mask(c) != c)
        #expect(CRC32C.unmask(CRC32C.mask(c)) == c)
    }

    @Test func crc32cHardwareLanesMatchThePortableCode() {
        // Lengths around the three-lane threshold (3 x 128 bytes) and its multiples, odd
        // alignments, and chained extends: the hardware path must equal the table-driven one.
        var rng = SeededRandom(defaultSeed: 0xC3C)
        let data = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let lengths = Array(0...40) + [383, 384, 385, 767, 768, 769, 1151, 1152, 1153, 2000, 4096, 4990]
        data.withUnsafeBytes { raw in
            for n in lengths {
                for offset in [0, 1, 3, 7] where offset + n <= raw.count {
                    let p = raw.baseAddress! + offset
                    let seed = UInt32.random(in: 0...UInt32.max, using: &rng)
                    #expect(sediment_crc32c_extend(seed, p, n) == sediment_crc32c_extend_portable(seed, p, n),
                            "length \(n) offset \(offset)")
                }
            }
            let whole = sediment_crc32c_extend(0, raw.baseAddress!, 4000)
            let split = sediment_crc32c_extend(sediment_crc32c_extend(0, raw.baseAddress!, 1500), raw.baseAddress! + 1500, 2500)
            #expect(whole == split)
        }
    }
}
