// Subprocess: runs a command-line tool (RocksDB's sst_dump and db_bench) and collects its
// status and output. A missing tool throws, so interop tests fail loudly instead of skipping.
import Foundation

/// The output of a finished subprocess.
public struct ProcessResult {
    public var status: Int32
    public var stdout: [UInt8]
    public var stderr: String
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs `executable` with `arguments`; fails the test when it cannot be started.
public func run(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
    guard FileManager.default.isExecutableFile(atPath: executable) else {
        throw TestSupportError("\(executable) is missing: install Debian's rocksdb-tools (CI does)")
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    let out = Pipe()
    let errPath = NSTemporaryDirectory() + "/sediment-stderr-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: errPath) }
    guard let err = FileHandle(forWritingAtPath: errPath) else { throw TestSupportError("cannot create \(errPath)") }
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    try err.close()
    let errData = FileManager.default.contents(atPath: errPath) ?? Data()
    return ProcessResult(status: p.terminationStatus, stdout: Array(outData),
                         stderr: String(decoding: errData, as: UTF8.self))
}

