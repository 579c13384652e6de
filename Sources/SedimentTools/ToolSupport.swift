// ToolSupport: what the command-line tools share: RocksDB-style `--flag=value` parsing and
// writing to standard output/error without Foundation.
import Glibc

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

/// Splits `--name=value` / `--name value` / `-name=value` arguments into (name, value) pairs, in
/// order. A bare `--name` gets the value "1" (RocksDB's gflags treat a bare boolean as true).
package func parseFlags(_ arguments: [String]) throws(UsageError) -> [(name: String, value: String)] {
    var out: [(String, String)] = []
    var i = 0
    while i < arguments.count {
        var arg = arguments[i]
        guard arg.hasPrefix("-") else { throw UsageError("unexpected argument '\(arg)'") }
        while arg.hasPrefix("-") { arg.removeFirst() }
        if let eq = arg.firstIndex(of: "=") {
            out.append((String(arg[..<eq]), String(arg[arg.index(after: eq)...])))
        } else {
            out.append((arg, "1"))
        }
        i += 1
    }
    return out
}
