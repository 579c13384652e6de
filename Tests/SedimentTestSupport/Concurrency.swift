// Concurrency: run a body on N real threads at once (pthreads, so that N blocking callers are
// truly concurrent even on a 2-core machine), and wait for all of them.
import Glibc

private final class ThreadBox: @unchecked Sendable {
    let index: Int
    let body: @Sendable (Int) -> Void
    init(index: Int, body: @escaping @Sendable (Int) -> Void) {
        self.index = index
        self.body = body
    }
}

/// Runs `body(i)` for i in 0..<threads, each on its own thread, and returns when all are done.
public func runConcurrently(threads: Int, _ body: @escaping @Sendable (Int) -> Void) {
    var handles: [pthread_t] = []
    for i in 0..<threads {
        let box = Unmanaged.passRetained(ThreadBox(index: i, body: body))
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { arg in
            guard let arg else { return nil }
            let b = Unmanaged<ThreadBox>.fromOpaque(arg).takeRetainedValue()
            b.body(b.index)
            return nil
        }, box.toOpaque())
        if rc == 0 { handles.append(t) } else { box.release(); body(i) }
    }
    for t in handles { pthread_join(t, nil) }
}

/// Bytes of a string, for readable tests.
public func b(_ s: String) -> [UInt8] { Array(s.utf8) }
