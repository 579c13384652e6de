// Tests for Arena: alignment, chunk rollover, oversize chunks, memory accounting, page
// prefault requests; and for PagePrefaulter.
import Testing
import Glibc
@_spi(Internals) @testable import Sediment
import SedimentTestSupport

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

    /// Records prefault requests instead of sending them to the helper thread.
    final class Recorder {
        var requests: [(address: Int, count: Int)] = []
    }

    @Test func prefaultAsksForThePageAfterTheOneTheWriterEnters() {
        let recorder = Recorder()
        let page = 4096, chunk = 4 * page
        let arena = Arena(chunkSizeBytes: chunk, prefaultPageBytes: page) { p, n in
            recorder.requests.append((Int(bitPattern: p), n))
        }
        var allocations: [(address: Int, count: Int)] = []
        var sizes = SeededRandom(defaultSeed: 7)
        // Odd sizes and alignments make allocations straddle page boundaries.
        while recorder.requests.count < 9 {
            let size = Int(sizes.next() % 300) + 1
            let alignment = [1, 2, 8, 16][Int(sizes.next() % 4)]
            let p = arena.allocate(byteCount: size, alignment: alignment)
            let address = Int(bitPattern: p)
            #expect(address % alignment == 0)
            p.initializeMemory(as: UInt8.self, repeating: UInt8(allocations.count & 0xFF), count: size)
            allocations.append((address, size))
            // The newest request is for the page just after the one this allocation ends in.
            if let last = recorder.requests.last, recorder.requests.count % 3 != 0 {
                #expect(last.count == page)
                #expect(last.address - page <= address + size && address + size <= last.address)
            }
        }
        // Requests come in chunk order: pages 1, 2, 3 of each chunk, never page 0, never twice.
        var chunks: [Int] = []
        for (i, r) in recorder.requests.enumerated() {
            let k = i % 3 + 1
            if k == 1 { chunks.append(r.address - page) }
            #expect(r.address == chunks[chunks.count - 1] + k * page)
        }
        #expect(Set(chunks).count == chunks.count)
        // Every allocation lies inside one chunk, and none overlaps another.
        for a in allocations {
            #expect(chunks.contains { a.address >= $0 && a.address + a.count <= $0 + chunk })
        }
        let sorted = allocations.sorted { $0.address < $1.address }
        for (a, b) in zip(sorted, sorted.dropFirst()) { #expect(a.address + a.count <= b.address) }
        // Contents survive: each allocation still holds its own fill byte.
        for (i, a) in allocations.enumerated() {
            let p = UnsafeRawPointer(bitPattern: a.address)!
            #expect((0..<a.count).allSatisfy { p.load(fromByteOffset: $0, as: UInt8.self) == UInt8(i & 0xFF) })
        }
    }

    @Test func prefaultingStopsAtTheBudget() {
        let recorder = Recorder()
        let page = 4096, chunk = 4 * page
        // The first chunk is prefaulted; the second brings the arena to the budget (the
        // memtable's last chunk) and is not.
        let arena = Arena(chunkSizeBytes: chunk, prefaultPageBytes: page, prefaultBudget: 2 * chunk) { p, n in
            recorder.requests.append((Int(bitPattern: p), n))
        }
        var firstChunk = 0
        while arena.memoryUsage < 2 * chunk {
            let p = Int(bitPattern: arena.allocate(byteCount: 96, alignment: 8))
            if firstChunk == 0 { firstChunk = p }
        }
        // Fill the second chunk to its last page.
        for _ in 0..<(chunk / 96 - 2) { _ = arena.allocate(byteCount: 96, alignment: 8) }
        #expect(arena.memoryUsage < 3 * chunk)
        #expect(recorder.requests.map(\.address) == [1, 2, 3].map { firstChunk + $0 * page })
    }

    @Test func chunksTakenWhileTheGateIsClosedAreNotPrefaultedAndAreCollapsedOnceItOpens() {
        let prefaults = Recorder()
        let collapses = Recorder()
        let gate = HugePageGate()
        let chunk = 2 * Arena.hugePageBytes
        let arena = Arena(chunkSizeBytes: chunk, hugePageGate: gate,
                          prefault: { p, n in prefaults.requests.append((Int(bitPattern: p), n)) },
                          collapse: { p, n in collapses.requests.append((Int(bitPattern: p), n)) })
        var written: [(UnsafeMutableRawPointer, UInt8)] = []
        func fill(until usage: Int) {
            while arena.memoryUsage < usage || written.count % 700 != 699 {
                let p = arena.allocate(byteCount: 4000, alignment: 16)
                let v = UInt8(written.count & 0xFF)
                p.initializeMemory(as: UInt8.self, repeating: v, count: 4000)
                written.append((p, v))
            }
        }
        // Gate closed: a chunk with small pages, filled past its first 2 MiB, asks for nothing.
        gate.set(open: false)
        #expect(!gate.isOpen)
        fill(until: chunk)
        let first = Int(bitPattern: written[0].0)
        #expect(first % Arena.hugePageBytes == 0)
        #expect(prefaults.requests.isEmpty)
        #expect(collapses.requests.isEmpty)
        // Gate open: the next chunk is a huge-page one (its second page is prefaulted) and the
        // small-page chunk is handed over for collapsing, once.
        gate.set(open: true)
        fill(until: 2 * chunk)
        fill(until: 3 * chunk)
        #expect(collapses.requests.count == 1)
        #expect(collapses.requests.first?.address == first)
        #expect(collapses.requests.first?.count == chunk)
        #expect(prefaults.requests.count == 2)
        #expect(prefaults.requests.allSatisfy { $0.count == Arena.hugePageBytes && $0.address != first + Arena.hugePageBytes })
        #expect(written.allSatisfy { p, v in p.load(as: UInt8.self) == v && p.load(fromByteOffset: 3999, as: UInt8.self) == v })
    }

    @Test func collapsingKeepsContentsAndSurvivesUnmappedRanges() throws {
        let size = 2 * Arena.hugePageBytes
        let mapped = try #require(Arena.mapAligned(byteCount: size, alignment: Arena.hugePageBytes))
        for i in stride(from: 0, to: size, by: 4096) { mapped.storeBytes(of: UInt8(i / 4096 & 0xFF), toByteOffset: i, as: UInt8.self) }
        PagePrefaulter.shared.requestCollapse(mapped, count: size)
        PagePrefaulter.shared.drain()
        #expect(stride(from: 0, to: size, by: 4096).allSatisfy { mapped.load(fromByteOffset: $0, as: UInt8.self) == UInt8($0 / 4096 & 0xFF) })
        munmap(mapped, size)
        // A range that is gone by the time the helper gets to it is skipped.
        PagePrefaulter.shared.requestCollapse(mapped, count: size)
        PagePrefaulter.shared.drain()
    }

    @Test func hugeChunksAreMappedAlignedAndHoldTheirBytes() throws {
        let mapped = try #require(Arena.mapAligned(byteCount: 4 << 20, alignment: Arena.hugePageBytes))
        #expect(Int(bitPattern: mapped) % Arena.hugePageBytes == 0)
        mapped.initializeMemory(as: UInt8.self, repeating: 7, count: 4 << 20)
        #expect(mapped.load(fromByteOffset: (4 << 20) - 1, as: UInt8.self) == 7)
        munmap(mapped, 4 << 20)

        // An arena of 4 MiB chunks (mapped) keeps every allocation's bytes until it dies.
        var written: [(UnsafeMutableRawPointer, UInt8)] = []
        do {
            let arena = Arena(chunkSizeBytes: 4 << 20, prefault: { _, _ in })
            for i in 0..<3000 {
                let p = arena.allocate(byteCount: 4000, alignment: 16)
                p.initializeMemory(as: UInt8.self, repeating: UInt8(i & 0xFF), count: 4000)
                written.append((p, UInt8(i & 0xFF)))
            }
            #expect(arena.memoryUsage >= 12 << 20)
            #expect(written.allSatisfy { p, v in p.load(as: UInt8.self) == v && p.load(fromByteOffset: 3999, as: UInt8.self) == v })
        }
    }

    @Test func arenasWithOnePagePerChunkDoNotPrefault() {
        let recorder = Recorder()
        let arena = Arena(chunkSizeBytes: 4096, prefaultPageBytes: 4096) { p, n in
            recorder.requests.append((Int(bitPattern: p), n))
        }
        for _ in 0..<200 { _ = arena.allocate(byteCount: 100, alignment: 8) }
        #expect(recorder.requests.isEmpty)
        #expect(arena.memoryUsage >= 4 * 4096)
    }

    @Test func prefaulterPopulatesWithoutChangingContentsAndSurvivesUnmappedRanges() throws {
        let size = 1 << 20
        let p = try #require(mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        #expect(p != MAP_FAILED)
        p.initializeMemory(as: UInt8.self, repeating: 0x5A, count: 4096)
        let before = PagePrefaulter.shared.completedCount
        PagePrefaulter.shared.request(p, count: size)
        PagePrefaulter.shared.drain()
        #expect(PagePrefaulter.shared.completedCount >= before + 1)
        #expect((0..<4096).allSatisfy { p.load(fromByteOffset: $0, as: UInt8.self) == 0x5A })
        #expect((4096..<size).allSatisfy { p.load(fromByteOffset: $0, as: UInt8.self) == 0 })
        // A range freed before the helper reaches it: madvise fails, nothing traps.
        munmap(p, size)
        PagePrefaulter.shared.request(p, count: size)
        PagePrefaulter.shared.drain()
        #expect(PagePrefaulter.shared.completedCount >= before + 2)
    }
}
