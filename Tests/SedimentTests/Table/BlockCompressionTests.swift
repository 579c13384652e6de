// BlockCompressionTests: the codecs' framing round-trips at the extremes of their ratios, and a
// size prefix no codec could reach from the stored bytes is corruption, not an allocation.
import Testing
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
}
