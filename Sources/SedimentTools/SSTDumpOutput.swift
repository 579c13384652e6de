// SSTDumpOutput: sst_dump's buffered standard output (flushed every 64 KiB and at exit) and
// its standard-error lines (which flush standard output first, to keep the two in order).
import Glibc

/// Buffered output for sst_dump.
struct SSTDumpOutput {
    private var buffer: [UInt8] = []
    /// When true nothing is written: standard output accumulates in `captured`, errors in
    /// `capturedErrors` (for tests).
    var capture = false
    private(set) var captured: [UInt8] = []
    private(set) var capturedErrors = ""

    /// Appends raw bytes to standard output.
    mutating func write(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { flush() }
    }

    /// Appends a text line to standard output.
    mutating func line(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        buffer.append(10)
        if buffer.count >= 1 << 16 { flush() }
    }

    /// Writes a line to standard error.
    mutating func error(_ text: String) {
        if capture {
            capturedErrors += text + "\n"
            return
        }
        flush()
        printError(text)
    }

    /// Writes everything buffered to standard output.
    mutating func flush() {
        guard !buffer.isEmpty else { return }
        if capture {
            captured.append(contentsOf: buffer)
            buffer.removeAll(keepingCapacity: true)
            return
        }
        buffer.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var done = 0
            while done < raw.count {
                let n = Glibc.write(1, base + done, raw.count - done)
                if n < 0 { if errno == EINTR { continue }; return }
                done += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
