// Arena: a bump allocator over large raw chunks, owning the memory of one memtable (LevelDB's
// util/arena.cc). See DESIGN.md §5.
//
// Invariants:
//   1. Memory handed out is never moved or freed before the arena is deinitialised, so raw
//      pointers into it stay valid for as long as the arena (and so its memtable) is alive.
//   2. `current..<chunkStart + chunkSizeBytes` is the unused tail of the newest regular chunk; allocations of more
//      than a quarter of the chunk size get a chunk of their own and leave that tail in place.
//      `remainingBytes` counts only up to the next stop: the chunk's end, or (when prefaulting)
//      the next page boundary, where the slow path asks the PagePrefaulter for the page after
//      the one being entered and moves the stop on. Every allocation lies inside one chunk.
//   3. `memoryUsageBytes` is the sum of every chunk's size plus the chunk list's bookkeeping;
//      it only grows.
//   4. A chunk taken while the HugePageGate is closed is in `smallPageChunks` until the next
//      chunk taken with the gate open hands it to `collapse`; such a chunk is never prefaulted.
//
// Thread-safety: one allocating thread at a time (the memtable's single writer). The memory
// usage counter is an `Atomic`, so any thread may read it while the writer allocates.

import Synchronization

import Glibc

/// A bump allocator over large chunks; everything is freed at once when the arena dies.
final class Arena {
    /// The size of a regular chunk in bytes.
    let chunkSizeBytes: Int
    /// Every chunk allocated, freed in `deinit`.
    private var chunks: [UnsafeMutableRawPointer] = []
    /// Chunks mapped directly from the system (huge-page chunks), with their sizes: unmapped
    /// in `deinit`, so a flushed memtable's memory leaves the process at once instead of
    /// staying in malloc's heap.
    private var mappedChunks: [(address: UnsafeMutableRawPointer, size: Int)] = []
    /// The next free byte of the current regular chunk (nil before the first chunk).
    private var current: UnsafeMutableRawPointer?
    /// Bytes free at `current` before the next stop (page boundary or chunk end).
    private var remainingBytes = 0
    /// Start of the current regular chunk (its end is `chunkStart + chunkSizeBytes`).
    private var chunkStart: UnsafeMutableRawPointer?
    /// Page size for prefaulting; 0 when this arena does not prefault.
    private let prefaultPageBytes: Int
    /// Highest page index of the current chunk already requested from the prefaulter.
    private var prefaultedPage = 0
    /// Where prefault requests go.
    private let prefault: (UnsafeMutableRawPointer, Int) -> Void
    /// Where collapse requests for small-page chunks go.
    private let collapse: (UnsafeMutableRawPointer, Int) -> Void
    /// Prefaulting stops once `memoryUsage` reaches this.
    private let prefaultBudget: Int
    /// Bytes held by the arena; readable from any thread.
    private let memoryUsageBytes = Atomic<Int>(0)
    /// Says whether a new chunk may use huge pages; nil: always.
    private let hugePageGate: HugePageGate?
    /// True when the current regular chunk was given small pages by the closed gate (it is
    /// not prefaulted then).
    private var currentChunkHeldBack = false
    /// Huge-page-sized chunks mapped with 4 KiB pages while the gate was closed, to be
    /// collapsed once it opens.
    private var smallPageChunks: [(address: UnsafeMutableRawPointer, size: Int)] = []

    /// The largest alignment `allocate` supports (chunks are allocated with it).
    static let maxAlignment = 16

    /// An empty arena whose regular chunks are `chunkSizeBytes` long (at least 4 KiB is
    /// sensible; smaller values are raised to 256 bytes).
    ///
    /// When chunks span at least two pages of `prefaultPageBytes` (by default 2 MiB huge
    /// pages, so from 4 MiB chunks up), the arena asks `prefault` to populate page k + 1 of a
    /// chunk when the writer enters page k, so that the writer rarely faults a page itself.
    /// No page is prefaulted once the arena holds `prefaultBudget` bytes or more.
    ///
    /// With a `hugePageGate`, a huge-page-sized chunk taken while the gate is closed is mapped
    /// with 4 KiB pages and not prefaulted; when a chunk is next taken with the gate open, the
    /// earlier small-page chunks are handed to `collapse` (by default the PagePrefaulter, which
    /// asks the kernel to rebuild them as huge pages).
    init(chunkSizeBytes: Int = 1 << 20, prefaultPageBytes: Int = Arena.hugePageBytes, prefaultBudget: Int = .max,
         hugePageGate: HugePageGate? = nil,
         prefault: @escaping (UnsafeMutableRawPointer, Int) -> Void = { PagePrefaulter.shared.request($0, count: $1) },
         collapse: @escaping (UnsafeMutableRawPointer, Int) -> Void = { PagePrefaulter.shared.requestCollapse($0, count: $1) }) {
        self.prefaultBudget = prefaultBudget
        self.hugePageGate = hugePageGate
        self.collapse = collapse
        self.chunkSizeBytes = max(chunkSizeBytes, 256)
        let pages = prefaultPageBytes > 0 && self.chunkSizeBytes % prefaultPageBytes == 0
            ? self.chunkSizeBytes / prefaultPageBytes : 0
        self.prefaultPageBytes = pages >= 2 ? prefaultPageBytes : 0
        self.prefault = prefault
    }

    deinit {
        for chunk in chunks { chunk.deallocate() }
        for m in mappedChunks { munmap(m.address, m.size) }
    }

    /// The bytes the arena holds from the system (chunks plus bookkeeping), approximately.
    /// Safe to call from any thread.
    var memoryUsage: Int { memoryUsageBytes.load(ordering: .relaxed) }

    /// The unused bytes at the end of the current regular chunk (0 before the first). Only
    /// the allocating thread (or one ordered after it by a lock) may ask.
    var unusedBytesInCurrentChunk: Int {
        guard let current, let chunkStart else { return 0 }
        return chunkStart + chunkSizeBytes - current
    }

    /// Returns `byteCount` uninitialised bytes aligned to `alignment`, valid until the arena dies.
    /// - Precondition: `byteCount > 0`; `alignment` is a power of two no larger than 16.
    /// - Complexity: O(1) amortised; a new chunk is taken from the system when the current one
    ///   is exhausted.
    @inline(__always)
    func allocate(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        assert(byteCount > 0 && alignment > 0 && alignment & (alignment - 1) == 0 && alignment <= Arena.maxAlignment)
        if let current {
            let address = Int(bitPattern: current)
            let padding = (alignment - (address & (alignment - 1))) & (alignment - 1)
            let needed = padding + byteCount
            if needed <= remainingBytes {
                self.current = current + needed
                remainingBytes -= needed
                return current + padding
            }
        }
        return allocateFallback(byteCount: byteCount, alignment: alignment)
    }

    /// Slow path: past a page-boundary stop inside the current chunk, the allocation is made
    /// there and the next page is prefaulted; otherwise a dedicated chunk for large requests,
    /// or a fresh regular chunk (abandoning the tail of the old one, as LevelDB does).
    @inline(never)
    private func allocateFallback(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        if let current, let chunkStart {
            let address = Int(bitPattern: current)
            let padding = (alignment - (address & (alignment - 1))) & (alignment - 1)
            let needed = padding + byteCount
            if needed <= chunkStart + chunkSizeBytes - current {
                self.current = current + needed
                setStop()
                return current + padding
            }
        }
        if byteCount > chunkSizeBytes / 4 {
            return newChunk(byteCount: byteCount)
        }
        let (chunk, heldBack) = newChunkReportingGate(byteCount: chunkSizeBytes)
        currentChunkHeldBack = heldBack
        current = chunk + byteCount
        chunkStart = chunk
        prefaultedPage = 0
        setStop()
        return chunk
    }

    /// Sets `remainingBytes` to the distance from `current` to the next stop, and asks for the
    /// page after the one `current` is in when that has not been asked for yet.
    private func setStop() {
        guard let current, let chunkStart else { return }
        let offset = current - chunkStart
        guard prefaultPageBytes > 0 && !currentChunkHeldBack else {
            remainingBytes = chunkSizeBytes - offset
            return
        }
        let page = offset / prefaultPageBytes
        remainingBytes = min(chunkSizeBytes, (page + 1) * prefaultPageBytes) - offset
        let next = page + 1
        if next > prefaultedPage && next * prefaultPageBytes < chunkSizeBytes && memoryUsage < prefaultBudget {
            prefaultedPage = next
            prefault(chunkStart + next * prefaultPageBytes, prefaultPageBytes)
        }
    }

    /// Chunks this large (and multiples of it) are aligned to a huge page and marked for
    /// transparent huge pages: a memtable's random walks then miss the TLB far less.
    static let hugePageBytes = 2 << 20

    /// Allocates a chunk from the system and accounts for it.
    private func newChunk(byteCount: Int) -> UnsafeMutableRawPointer {
        newChunkReportingGate(byteCount: byteCount).chunk
    }

    /// Allocates a chunk from the system and accounts for it. Huge-page-sized chunks are
    /// mapped 2 MiB-aligned and marked `MADV_HUGEPAGE`, unless the gate is closed (then
    /// `heldBack` is true and the chunk keeps small pages); others, or a huge one whose mapping
    /// fails, come from malloc.
    private func newChunkReportingGate(byteCount: Int) -> (chunk: UnsafeMutableRawPointer, heldBack: Bool) {
        let hugeSized = byteCount >= Arena.hugePageBytes && byteCount % Arena.hugePageBytes == 0
        let gateOpen = hugePageGate?.isOpen ?? true
        if hugeSized && gateOpen && !smallPageChunks.isEmpty {
            for c in smallPageChunks { collapse(c.address, c.size) }
            smallPageChunks.removeAll()
        }
        let chunk: UnsafeMutableRawPointer
        var heldBack = false
        if hugeSized, let mapped = Arena.mapAligned(byteCount: byteCount, alignment: Arena.hugePageBytes) {
            mappedChunks.append((mapped, byteCount))
            chunk = mapped
            if gateOpen {
                _ = madvise(chunk, byteCount, MADV_HUGEPAGE)
            } else {
                smallPageChunks.append((mapped, byteCount))
                heldBack = true
            }
        } else {
            chunk = UnsafeMutableRawPointer.allocate(byteCount: byteCount,
                                                     alignment: hugeSized ? Arena.hugePageBytes : Arena.maxAlignment)
            chunks.append(chunk)
            if hugeSized { _ = madvise(chunk, byteCount, MADV_HUGEPAGE) }
        }
        memoryUsageBytes.add(byteCount + MemoryLayout<UnsafeMutableRawPointer>.stride, ordering: .relaxed)
        return (chunk, heldBack)
    }

    /// `byteCount` bytes of fresh anonymous memory aligned to `alignment` (a power of two, a
    /// multiple of the page size): a mapping `alignment` bytes larger, trimmed at both ends.
    /// Nil when the system refuses the mapping.
    static func mapAligned(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        let total = byteCount + alignment
        guard let raw = mmap(nil, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              raw != MAP_FAILED else { return nil }
        let address = Int(bitPattern: raw)
        let aligned = (address + alignment - 1) & ~(alignment - 1)
        let head = aligned - address
        let tail = total - head - byteCount
        if head > 0 { munmap(raw, head) }
        if tail > 0 { munmap(raw + head + byteCount, tail) }
        return raw + head
    }
}
