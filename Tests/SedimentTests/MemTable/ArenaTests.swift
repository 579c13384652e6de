// Tests for Arena: alignment, chunk rollover, oversize chunks, memory accounting.
import Testing
@_spi(Internals) @testable import Sediment

@Suite struct ArenaTests {
    @Test func allocationsAreAlignedAndDisjoint() {
        let arena = Arena(chunkSizeBytes: 4096)
        var previousEnd = 0
        for size in [1, 3, 8, 17, 1, 64, 5, 1000, 2] {
            for alignment in [1, 2, 8, 16] {
                let p = arena.allocate(byteCount: size, alignment: alignment)
                let address = Int(bitPattern: p)
                #expect(address % alignment == 0)
                p.initializeMemory(as: UInt8.self, repeating: 0xAB, count: size)
                if address > previousEnd - 4096 && address < previousEnd { Issue.record("overlap at \(address)") }
                previousEnd = address + size
            }
        }
    }

    @Test func memoryUsageCountsChunks() {
        let arena = Arena(chunkSizeBytes: 4096)
        #expect(arena.memoryUsage == 0)
        _ = arena.allocate(byteCount: 10, alignment: 1)
        let oneChunk = arena.memoryUsage
        #expect(oneChunk >= 4096 && oneChunk < 4096 + 64)
        // Filling the first chunk takes a second one.
        for _ in 0..<40 { _ = arena.allocate(byteCount: 100, alignment: 8) }
        #expect(arena.memoryUsage >= 2 * 4096)
    }

    @Test func oversizeAllocationGetsItsOwnChunkAndKeepsTheCurrentOne() {
        let arena = Arena(chunkSizeBytes: 4096)
        let small1 = arena.allocate(byteCount: 16, alignment: 8)
        let before = arena.memoryUsage
        let big = arena.allocate(byteCount: 100_000, alignment: 16)
        big.initializeMemory(as: UInt8.self, repeating: 1, count: 100_000)
        #expect(arena.memoryUsage >= before + 100_000)
        let small2 = arena.allocate(byteCount: 16, alignment: 8)
        // The regular chunk's tail was kept: the next small allocation follows the first.
        #expect(small2 == small1 + 16)
    }
}
