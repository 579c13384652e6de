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
    private var queue: [(address: UInt, count: Int)] = []
    private var started = false
    private var thread: BackgroundThread?
    /// Ranges populated (successfully or not); for tests.
    private var completed = 0
    /// True while the helper works on a range it took off the queue.
    private var busy = false

    /// Asks the helper to populate `count` bytes at `address` for writing. Returns at once;
    /// drops the request when the queue is full or the thread cannot be started.
    func request(_ address: UnsafeMutableRawPointer, count: Int) {
        monitor.withLock {
            if !started {
                started = true
                let t = BackgroundThread(name: "sediment-prefault") { [self] in run() }
                do { try t.start(); thread = t } catch { return }
            }
            guard thread != nil, queue.count < PagePrefaulter.queueLimit else { return }
            queue.append((UInt(bitPattern: address), count))
            monitor.broadcast(.work)
        }
    }

    /// Ranges the helper has finished with so far.
    var completedCount: Int { monitor.withLock { completed } }

    private func run() {
        while true {
            let next: (address: UInt, count: Int) = monitor.withLock {
                while queue.isEmpty { monitor.wait(for: .work) }
                busy = true
                return queue.removeFirst()
            }
            if let p = UnsafeMutableRawPointer(bitPattern: next.address) {
                _ = madvise(p, next.count, PagePrefaulter.populateWrite)
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
}
