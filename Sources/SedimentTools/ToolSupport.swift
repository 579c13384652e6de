// ToolSupport: what the command-line tools share: RocksDB-style `--flag=value` parsing and
// writing to standard output/error without Foundation.
import Glibc
@_spi(Internals) import Sediment

/// Writes `text` and a newline to standard error.
package func printError(_ text: String) {
    writeAll(fd: 2, text + "\n")
}

/// Writes `text` and a newline to standard output.
package func printOut(_ text: String) {
    writeAll(fd: 1, text + "\n")
}

/// Writes every byte of `text` to descriptor `fd`.
package func writeAll(fd: Int32, _ text: String) {
    var t = text
    t.withUTF8 { buf in
        var done = 0
        while done < buf.count {
            let n = write(fd, buf.baseAddress! + done, buf.count - done)
            if n < 0 { if errno == EINTR { continue }; return }
            done += n
        }
    }
}

/// A command-line usage error: the tools print it and exit with status 2.
package struct UsageError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

/// Splits the arguments into (name, value) pairs, in order, as RocksDB's gflags does:
/// `--name=value` (one or two leading dashes); `--name value` for a flag not in `booleans`
/// (the next argument is its value, unless it starts with "-": then the flag is missing its
/// argument); a bare boolean `--name` is "1" and its negation `--noname` is "0".
/// - Throws: `UsageError` for a positional argument, or a value flag with no value.
package func parseFlags(_ arguments: [String], booleans: Set<String>) throws(UsageError) -> [(name: String, value: String)] {
    var out: [(String, String)] = []
    var i = 0
    while i < arguments.count {
        var arg = arguments[i]
        guard arg.hasPrefix("-") else { throw UsageError("unexpected argument '\(arg)'") }
        while arg.hasPrefix("-") { arg.removeFirst() }
        if let eq = arg.firstIndex(of: "=") {
            out.append((String(arg[..<eq]), String(arg[arg.index(after: eq)...])))
        } else if booleans.contains(arg) {
            out.append((arg, "1"))
        } else if arg.hasPrefix("no"), booleans.contains(String(arg.dropFirst(2))) {
            out.append((String(arg.dropFirst(2)), "0"))
        } else if i + 1 < arguments.count, !arguments[i + 1].hasPrefix("-") {
            out.append((arg, arguments[i + 1]))
            i += 1
        } else {
            throw UsageError("flag '\(arguments[i])' is missing its argument")
        }
        i += 1
    }
    return out
}

/// A boolean flag's value as gflags reads it (1/0, true/false, t/f, yes/no, y/n, any case);
/// nil for anything else.
package func parseBoolFlag(_ value: String) -> Bool? {
    switch value.lowercased() {
    case "1", "true", "t", "yes", "y": return true
    case "0", "false", "f", "no", "n": return false
    default: return nil
    }
}

/// A value behind a mutex, shareable between the tools' worker threads.
package final class Locked<Value: Sendable>: Sendable {
    private let mutex: LockedState<Value>
    package init(_ value: Value) { mutex = LockedState(value) }
    package func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        try mutex.withLock { try body(&$0) }
    }
}

private final class ThreadBody: @unchecked Sendable {
    let index: Int
    let body: @Sendable (Int) -> Void
    init(index: Int, body: @escaping @Sendable (Int) -> Void) {
        self.index = index
        self.body = body
    }
}

/// Runs `body(i)` for i in 0..<count on separate threads and waits for all of them.
package func runThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    if count == 1 {
        body(0)
        return
    }
    var handles: [pthread_t] = []
    for i in 0..<count {
        let box = Unmanaged.passRetained(ThreadBody(index: i, body: body))
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { arg in
            guard let arg else { return nil }
            let b = Unmanaged<ThreadBody>.fromOpaque(arg).takeRetainedValue()
            b.body(b.index)
            return nil
        }, box.toOpaque())
        if rc == 0 { handles.append(t) } else { box.release(); body(i) }
    }
    for t in handles { pthread_join(t, nil) }
}

/// Sleeps for `seconds`.
package func sleepSeconds(_ seconds: Double) {
    guard seconds > 0 else { return }
    var ts = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
    var rest = timespec()
    while nanosleep(&ts, &rest) != 0 && errno == EINTR { ts = rest }
}
