// Monitor: a mutex with one condition variable (pthread), for the database core's state. The
// Synchronization module's Mutex has no condition variable, and writers, flush waiters and the
// background thread all need to sleep until the state changes.
//
// Thread-safety: every method may be called from any thread. `wait` must be called with the
// lock held (inside `withLock`).
import Glibc

/// A pthread mutex with one condition variable per kind of event, so that waking the writers'
/// queue does not wake the background threads and the reverse.
final class Monitor: @unchecked Sendable {
    /// What a waiter waits for.
    enum Event: Int, CaseIterable {
        /// The group-commit queue changed (a leader finished, the queue emptied).
        case writers
        /// Background work may be available (a memtable switched, a compaction became possible).
        case work
        /// Background work finished (a flush or compaction installed its result, or failed).
        case progress
    }

    // Allocated once and never moved: pthread objects must not be copied.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let conditions: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        conditions = .allocate(capacity: Event.allCases.count)
        // Timed waits measure the monotonic clock: a wall-clock step (NTP, a resumed VM) must
        // not stretch the background threads' retry wait.
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        for i in 0..<Event.allCases.count {
            (conditions + i).initialize(to: pthread_cond_t())
            pthread_cond_init(conditions + i, &attributes)
        }
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        for i in 0..<Event.allCases.count { pthread_cond_destroy(conditions + i) }
        pthread_mutex_destroy(mutex)
        conditions.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the mutex held.
    @inline(__always) func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Takes the mutex (pair with `unlock`; prefer `withLock`).
    @inline(__always) func lock() { pthread_mutex_lock(mutex) }

    /// Releases the mutex taken by `lock`.
    @inline(__always) func unlock() { pthread_mutex_unlock(mutex) }

    /// Releases the mutex, sleeps until `broadcast(event)`, and takes the mutex again.
    /// - Precondition: the caller holds the lock.
    func wait(for event: Event) {
        pthread_cond_wait(conditions + event.rawValue, mutex)
    }

    /// Like `wait(for:)`, but returns after at most `nanoseconds`.
    func wait(for event: Event, nanoseconds: Int) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        var deadline = now
        let total = Int(now.tv_nsec) + nanoseconds
        deadline.tv_sec += total / 1_000_000_000
        deadline.tv_nsec = total % 1_000_000_000
        pthread_cond_timedwait(conditions + event.rawValue, mutex, &deadline)
    }

    /// Wakes every waiter for `event`.
    func broadcast(_ event: Event) {
        pthread_cond_broadcast(conditions + event.rawValue)
    }

    /// Wakes every waiter of every kind (used by `close`).
    func broadcastAll() {
        for e in Event.allCases { broadcast(e) }
    }
}

/// Starts a detached-from-callers background thread running `body`; `join()` waits for it.
final class BackgroundThread: @unchecked Sendable {
    private var thread: pthread_t? = nil
    private let body: @Sendable () -> Void

    init(name: String, _ body: @escaping @Sendable () -> Void) {
        self.body = body
    }

    /// Starts the thread. - Throws: `.io` when the system cannot create one.
    func start() throws {
        let unmanaged = Unmanaged.passRetained(self)
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { arg in
            guard let arg else { return nil }
            let me = Unmanaged<BackgroundThread>.fromOpaque(arg).takeRetainedValue()
            me.body()
            return nil
        }, unmanaged.toOpaque())
        if rc != 0 {
            unmanaged.release()
            throw SedimentError.io(file: "background thread", errno: rc, message: "pthread_create failed")
        }
        thread = t
    }

    /// Waits for the thread to finish. Call once, never from the thread itself.
    func join() {
        if let t = thread {
            pthread_join(t, nil)
            thread = nil
        }
    }
}
