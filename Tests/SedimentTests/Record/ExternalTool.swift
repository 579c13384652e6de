// Runs RocksDB's command-line tools (Debian's rocksdb-tools: /usr/bin/ldb, /usr/bin/db_bench) for
// interoperability tests. A missing tool is a test failure, never a skip.
import Foundation

/// The output of a finished tool run.
struct ToolRun {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `executable` with `arguments`, waiting for it to exit.
/// - Throws: when the executable is missing or cannot be started.
func runTool(_ executable: String, _ arguments: [String], input: String? = nil) throws -> ToolRun {
    guard FileManager.default.isExecutableFile(atPath: executable) else {
        throw ToolMissing(path: executable)
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let stdin = Pipe()
    if input != nil { process.standardInput = stdin }
    try process.run()
    if let input {
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
    }
    // Read before waiting so a large output cannot fill the pipe and block the tool.
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ToolRun(status: process.terminationStatus,
                   stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self))
}

/// A RocksDB tool the interop tests need is not installed.
struct ToolMissing: Error, CustomStringConvertible {
    let path: String
    var description: String { "\(path) is missing: install Debian's rocksdb-tools (apt-get install rocksdb-tools)" }
}

/// Hex as ldb prints it: `0x` and uppercase digits.
func ldbHex(_ bytes: [UInt8]) -> String {
    "0x" + bytes.map { b in
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
    }.joined()
}
