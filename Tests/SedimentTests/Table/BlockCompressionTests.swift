// BlockCompressionTests: the codecs' framing round-trips at the extremes of their ratios, and a
// size prefix no codec could reach from the stored bytes is corruption, not an allocation. The
// format_version 0/1 framing (8-byte LZ4 size header, zlib without a size) likewise, and each
// way it can be damaged is corruption naming the file and offset.
import Testing
import SedimentTestSupport
@testable import Sediment

@Suite struct BlockCompressionTests {
    /// Zeros compress as far as either codec goes; the decoder's bound must still admit them.
    @Test(arguments: [BlockCompressionType.lz4, .zlib])
    func theMostCompressibleBlocksDecompress(type: BlockCompressionType) throws {
        for size in [1, 100, 4096, 1 << 20, 16 << 20] {
            let raw = [UInt8](repeating: 0, count: size)
            let stored = raw.withUnsafeBytes { BlockCompression.compress($0, type: type) }
            guard let stored else {
                // Blocks too small to save 12.5 % stay uncompressed.
                #expect(size < 4096)
                continue
            }
            let back = try stored.withUnsafeBytes {
                try BlockCompression.decompress($0, type: type, file: "t", offset: 0)
            }
            #expect(back == raw, "\(type.name), \(size) bytes")
        }
    }

    /// A prefix claiming more than the codec can expand the rest to is refused before any
    /// allocation, naming the file and offset.
    @Test(arguments: [BlockCompressionType.lz4, .zlib])
    func anImpossibleSizePrefixIsCorruption(type: BlockCompressionType) throws {
        let raw = [UInt8](repeating: 0, count: 1 << 20)
        let stored = try #require(raw.withUnsafeBytes { BlockCompression.compress($0, type: type) })
        let body = try #require(stored.firstIndex { $0 < 0x80 }.map { stored[($0 + 1)...] })
        // The same codec bytes with prefixes just over the bound and at the varint32 maximum.
        let overBound = UInt64(body.count) * BlockCompression.maxExpansion(type) + 65
        for claimed in [overBound, UInt64(UInt32.max)] {
            var damaged: [UInt8] = []
            damaged.appendVarint32(UInt32(claimed))
            damaged.append(contentsOf: body)
            do {
                _ = try damaged.withUnsafeBytes {
                    try BlockCompression.decompress($0, type: type, file: "/db/000007.sst", offset: 4096)
                }
                Issue.record("\(type.name) block claiming \(claimed) bytes decompressed")
            } catch let SedimentError.corruption(file, offset, message) {
                #expect(file == "/db/000007.sst" && offset == 4096)
                #expect(message.contains("absurd uncompressed size \(claimed)"))
            }
        }
    }

    /// `compress`'s format_version >= 2 output rewritten in the format_version 0/1 framing: the
    /// varint32 prefix replaced by an 8-byte little-endian size for LZ4, dropped for zlib.
    static func legacyFramed(_ raw: [UInt8], _ type: BlockCompressionType) throws -> [UInt8] {
        let stored = try #require(raw.withUnsafeBytes { BlockCompression.compress($0, type: type) })
        let prefixEnd = try #require(stored.firstIndex { $0 < 0x80 }) + 1
        let body = stored[prefixEnd...]
        guard type == .lz4 else { return Array(body) }
        var header: [UInt8] = []
        header.appendFixed64(UInt64(raw.count))
        return header + body
    }

    static func decompressLegacy(_ stored: [UInt8], _ type: BlockCompressionType) throws -> [UInt8] {
        try stored.withUnsafeBytes {
            try BlockCompression.decompress($0, type: type, framing: .legacy, file: "/db/000007.sst", offset: 4096)
        }
    }

    /// The error of decompressing `stored` with the legacy framing, which must be corruption
    /// naming the file and offset.
    static func legacyError(_ stored: [UInt8], _ type: BlockCompressionType) -> String? {
        do {
            _ = try decompressLegacy(stored, type)
            Issue.record("\(type.name) block of \(stored.count) bytes decompressed")
        } catch let SedimentError.corruption(file, offset, message) {
            #expect(file == "/db/000007.sst" && offset == 4096)
            return message
        } catch {
            Issue.record("expected .corruption, got \(error)")
        }
        return nil
    }

    /// Legacy-framed blocks round-trip from a few bytes to 16 MiB of zeros: a zlib block's
    /// output buffer grows from 4x its input (at least 4 KiB) well past 1000x.
    @Test(arguments: [BlockCompressionType.lz4, .zlib])
    func legacyFramedBlocksDecompress(type: BlockCompressionType) throws {
        var rng = SeededRandom(defaultSeed: 3)
        let text = (0..<20_000).map { _ in UInt8.random(in: 0x61...0x64, using: &rng) }
        for raw in [[UInt8](repeating: 7, count: 100), text, [UInt8](repeating: 0, count: 1 << 20),
                    [UInt8](repeating: 0, count: 16 << 20)] {
            let back = try Self.decompressLegacy(try Self.legacyFramed(raw, type), type)
            #expect(back == raw, "\(type.name), \(raw.count) bytes")
        }
    }

    /// An LZ4 block shorter than its 8-byte header, a header claiming more than the rest could
    /// expand to, and one claiming a size the stream does not fill are corruption.
    @Test func aDamagedLegacyLZ4HeaderIsCorruption() throws {
        let raw = [UInt8](repeating: 9, count: 4096)
        let stored = try Self.legacyFramed(raw, .lz4)
        for n in [0, 1, 7] {
            #expect(Self.legacyError(Array(stored.prefix(n)), .lz4)
                    == "\(n)-byte LZ4 block is shorter than its 8-byte size header (format_version < 2)")
        }
        let body = stored.count - 8
        for claimed in [UInt32(body) * 255 + 65, UInt32(Int32.max), UInt32.max] {
            var damaged = stored
            damaged.replaceSubrange(0..<4, with: withUnsafeBytes(of: claimed.littleEndian, Array.init))
            #expect(Self.legacyError(damaged, .lz4) == "absurd uncompressed size \(claimed) for \(body) bytes in a LZ4 block")
        }
        for claimed in [UInt32(raw.count - 1), UInt32(raw.count + 1)] {
            var damaged = stored
            damaged.replaceSubrange(0..<4, with: withUnsafeBytes(of: claimed.littleEndian, Array.init))
            #expect(Self.legacyError(damaged, .lz4) == "LZ4 block does not decompress to its recorded size")
        }
        // RocksDB reads only the low 4 bytes of the native size_t: the high ones are ignored.
        var high = stored
        high[6] = 0xAB
        #expect(try Self.decompressLegacy(high, .lz4) == raw)
    }

    /// A legacy zlib stream cut short (at every length, including empty), or garbled, is
    /// corruption; none is read as a shorter block.
    @Test func aDamagedLegacyZlibStreamIsCorruption() throws {
        var rng = SeededRandom(defaultSeed: 5)
        let raw = (0..<40_000).map { _ in UInt8.random(in: 0x61...0x68, using: &rng) }
        let stored = try Self.legacyFramed(raw, .zlib)
        for n in Set([0, 1, 2, stored.count / 2, stored.count - 1]) {
            let message = Self.legacyError(Array(stored.prefix(n)), .zlib)
            #expect(message == "zlib block ends before its deflate stream does", "cut at \(n)")
        }
        var garbled = stored
        garbled[0] = 0xFF // a final block of the reserved type 3
        #expect(Self.legacyError(garbled, .zlib)?.hasPrefix("zlib block does not decompress") == true)
    }
}
