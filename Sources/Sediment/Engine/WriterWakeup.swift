// WriterWakeup: the semaphore a group-commit follower sleeps on (DESIGN.md §4). One per thread,
// made on the thread's first write and destroyed when the thread exits; a thread waits in at
// most one write at a time, so one semaphore serves all of its writes. The leader posts it once
// per wait: either the writer is done (its `done` and `error` were set, under the database
// mutex, before the post) or it is now at the front of the queue and leads. Waking costs the
// follower no mutex: a finished member returns straight from `sem_wait`, instead of every member
// of a group queuing for the mutex after a condition broadcast.
import Glibc

/// The calling thread's group-commit semaphore.
struct WriterWakeup {
    private let semaphore: UnsafeMutablePointer<sem_t>

    /// The semaphore of the calling thread (made on first use).
    static func current() -> WriterWakeup {
        if let p = pthread_getspecific(writerWakeupKey) {
            return WriterWakeup(semaphore: p.assumingMemoryBound(to: sem_t.self))
        }
        let s = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
        sem_init(s, 0, 0)
        pthread_setspecific(writerWakeupKey, s)
        return WriterWakeup(semaphore: s)
    }

    /// Sleeps until the next `post` (returns at once if one is pending). Returns false, without
    /// having been posted, only if `sem_wait` fails with something other than EINTR (which
    /// cannot happen on a valid semaphore); the caller then checks its state under the mutex.
    func wait() -> Bool {
        while sem_wait(semaphore) != 0 {
            if errno != EINTR { return false }
        }
        return true
    }

    /// Wakes the thread sleeping in `wait` (or lets its next `wait` return at once).
    func post() { sem_post(semaphore) }
}

/// The thread-specific slot holding each thread's semaphore; its destructor frees it.
private let writerWakeupKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { p in
        guard let p else { return }
        let s = p.assumingMemoryBound(to: sem_t.self)
        sem_destroy(s)
        s.deallocate()
    }
    return key
}()
