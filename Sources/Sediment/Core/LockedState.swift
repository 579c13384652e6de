// LockedState: a value behind a pthread mutex. Used instead of Synchronization.Mutex because on
// Linux that Mutex is built on raw futex calls that ThreadSanitizer cannot see, so every access
// it protects would be reported as a race; pthread mutexes are understood by TSan, and the cost
// is the same uncontended.
//
// Thread-safety: `withLock` may be called from any thread; the value is touched only inside it.
import Glibc

/// A value that is only read or written with its mutex held.
@_spi(Internals) public final class LockedState<Value: ~Copyable>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Exclusive access is guaranteed by the mutex, so the run-time exclusivity check
    /// (swift_beginAccess on every `withLock`) is redundant.
    @exclusivity(unchecked) private var value: Value

    /// Wraps `value`.
    @_spi(Internals) public init(_ value: consuming Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    @inline(__always)
    @_spi(Internals) public func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
