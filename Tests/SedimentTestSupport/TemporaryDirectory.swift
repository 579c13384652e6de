// TemporaryDirectory: a fresh directory per test, removed when the test is done.
import Glibc

/// Creates a fresh temporary directory, runs `body` with its path, then removes it.
public func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    try withTemporaryDirectory(under: "/tmp", body)
}

/// Like `withTemporaryDirectory`, but in memory (`/dev/shm`) when the machine has it, where
/// fsync costs nothing: for crash and corruption loops that open hundreds of databases.
public func withMemoryBackedTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    var st = stat()
    let shm = stat("/dev/shm", &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR && access("/dev/shm", W_OK) == 0
    return try withTemporaryDirectory(under: shm ? "/dev/shm" : "/tmp", body)
}

/// Creates a fresh directory under `parent`, runs `body` with its path, then removes it.
public func withTemporaryDirectory<T>(under parent: String, _ body: (String) throws -> T) throws -> T {
    var template = Array("\(parent)/sediment-test-XXXXXX".utf8CString)
    let path = template.withUnsafeMutableBufferPointer { buf -> String? in
        guard let p = mkdtemp(buf.baseAddress!) else { return nil }
        return String(cString: p)
    }
    guard let path else { throw TestSupportError("mkdtemp failed") }
    defer { removeTree(path) }
    return try body(path)
}

/// Removes `path` and everything under it.
public func removeTree(_ path: String) {
    if let dir = opendir(path) {
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
            if name == "." || name == ".." { continue }
            removeTree(path + "/" + name)
        }
        closedir(dir)
        rmdir(path)
    } else {
        unlink(path)
    }
}

/// An error raised by test helpers.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The repository's Fixtures/ directory, found from this file's path.
public func fixturesDirectory(file: StaticString = #filePath) -> String {
    // `file` is the caller's path, somewhere under <root>/Tests/: cut at the last "Tests".
    let parts = "\(file)".split(separator: "/", omittingEmptySubsequences: false)
    let tests = parts.lastIndex(of: "Tests") ?? max(0, parts.count - 3)
    return parts[..<tests].joined(separator: "/") + "/Fixtures"
}

/// A deterministic random generator (SplitMix64) seeded from SEDIMENT_SEED or the given seed.
public struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    /// The seed in use; tests print it so a failure can be replayed with SEDIMENT_SEED.
    public let seed: UInt64

    public init(defaultSeed: UInt64 = 0x5EED) {
        if let s = getenv("SEDIMENT_SEED"), let v = UInt64(String(cString: s)) { seed = v } else { seed = defaultSeed }
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
