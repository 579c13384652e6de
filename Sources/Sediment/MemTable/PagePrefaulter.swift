// PagePrefaulter: one process-wide helper thread that faults in memory pages ahead of the thread
// that will write them, so a memtable writer does not stop for the kernel's first-touch work on
// a fresh huge page (zeroing 2 MiB and, with THP defrag set to "madvise", direct compaction:
// measured at 4-10 ms per page on this project's machine). See DESIGN.md §5 "Arena".
//
// The helper populates with madvise(MADV_POPULATE_WRITE) (Linux 5.14+), never with a store: a
// range that was freed and unmapped meanwhile makes madvise fail with ENOMEM, and a range that
// was freed and reused is populated without its contents changing, so a request that arrives
// after its arena died is harmless. On an older kernel madvise fails with EINVAL and the writer
// faults its pages itself, as before.
//
// It also collapses ranges into huge pages on request (madvise MADV_HUGEPAGE, then MADV_COLLAPSE,
// Linux 6.1+): the arena's chunks that were mapped with small pages while a flush was pending
// (HugePageGate.swift). The same reasoning holds: an unmapped range fails with ENOMEM, and a
// reused one keeps its contents (collapsing copies them) and merely becomes huge-page eligible.
// On an older kernel the collapse fails with EINVAL and the chunk keeps its small pages.
//
// Thread-safety: `request` may be called from any thread; the queue is guarded by a Monitor.
import Glibc

/// Populates page ranges on a helper thread, best effort.
final class PagePrefaulter: @unchecked Sendable {
    /// The process-wide instance, started on first use.
    static let shared = PagePrefaulter()

    /// Requests beyond this many waiting are dropped (the writer then faults those pages).
    static let queueLimit = 16

    private let monitor = Monitor()
    // Guarded by `monitor`.
    private var queue: [(address: UInt, count: Int, collapse: Bool)] = []
    private var started = false
    private var thread: BackgroundThread?
    /// Ranges populated (successfully or not); for tests.
    private var completed = 0
    /// True while the helper works on a range it took off the queue.
    private var busy = false

    /// Asks the helper to populate `count` bytes at `address` for writing. Returns at once;
    /// drops the request when the queue is full or the thread cannot be started.
    func request(_ address: UnsafeMutableRawPointer, count: Int) {
        enqueue(address, count: count, collapse: false)
    }

    /// Asks the helper to rebuild `count` bytes at `address` (2 MiB-aligned) as huge pages.
    /// Returns at once; dropped like `request` when the queue is full.
    func requestCollapse(_ address: UnsafeMutableRawPointer, count: Int) {
        enqueue(address, count: count, collapse: true)
    }

    private func enqueue(_ address: UnsafeMutableRawPointer, count: Int, collapse: Bool) {
        monitor.withLock {
            if !started {
                started = true
                let t = BackgroundThread(name: "sediment-prefault") { [self] in run() }
                do { try t.start(); thread = t } catch { return }
            }
            guard thread != nil, queue.count < PagePrefaulter.queueLimit else { return }
            queue.append((UInt(bitPattern: address), count, collapse))
            monitor.broadcast(.work)
        }
    }

    /// Ranges the helper has finished with so far.
    var completedCount: Int { monitor.withLock { completed } }

    private func run() {
        while true {
            let next: (address: UInt, count: Int, collapse: Bool) = monitor.withLock {
                while queue.isEmpty { monitor.wait(for: .work) }
                busy = true
                return queue.removeFirst()
            }
            if let p = UnsafeMutableRawPointer(bitPattern: next.address) {
                if next.collapse {
                    _ = madvise(p, next.count, MADV_HUGEPAGE)
                    _ = madvise(p, next.count, PagePrefaulter.collapse)
                } else {
                    _ = madvise(p, next.count, PagePrefaulter.populateWrite)
                }
            }
            monitor.withLock {
                completed += 1
                busy = false
                monitor.broadcast(.progress)
            }
        }
    }

    /// Waits until every request made so far has been handled (tests).
    func drain() {
        monitor.withLock {
            while !queue.isEmpty || busy { monitor.wait(for: .progress) }
        }
    }

    /// MADV_POPULATE_WRITE (23 in Linux's uapi headers).
    static let populateWrite: Int32 = 23
    /// MADV_COLLAPSE (25 in Linux's uapi headers).
    static let collapse: Int32 = 25
}
