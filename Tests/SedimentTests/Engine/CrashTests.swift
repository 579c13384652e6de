// CrashTests: kill -9 in the middle of concurrent writes, with and without sync. After each
// kill the database must open without error and hold every acknowledged write with its exact
// value (deletes included); a write after recovery must survive the next reopen.
import Testing
import Foundation
@testable import Sediment
import SedimentTestSupport

@Suite struct CrashTests {
    /// The CrashWriter helper, built next to the test bundle.
    func writerPath() throws -> String {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("CrashWriter").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw TestSupportError("CrashWriter helper not found near \(exe.path); build with `swift build --build-tests`")
    }

    @Test(arguments: [false, true])
    func killNineLosesNoAcknowledgedWrite(sync: Bool) throws {
        let writer = try writerPath()
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            var rng = SeededRandom(defaultSeed: sync ? 11 : 12)
            var expected: [String: String?] = [:]
            // Operations logged as intended but not acknowledged when the process died: either
            // outcome is correct for them (the whole batch, or none of it).
            var inFlight: [String: String?] = [:]
            for round in 0..<4 {
                let out = dir + "/acks-\(round).txt"
                _ = FileManager.default.createFile(atPath: out, contents: nil)
                let process = Process()
                process.executableURL = URL(fileURLWithPath: writer)
                process.arguments = [path, sync ? "1" : "0", String(round)]
                process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
                try process.run()
                usleep(UInt32(150_000 + Int(rng.next() % 400_000)))
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                let text = try String(contentsOfFile: out, encoding: .utf8)
                inFlight = [:]
                for line in text.split(separator: "\n") {
                    let parts = line.split(separator: " ", maxSplits: 2)
                    guard parts.count == 3 else { continue }
                    let key = String(parts[1])
                    let value: String? = parts[2] == "DEL" ? nil : String(parts[2])
                    if parts[0] == "intent" {
                        inFlight[key] = .some(value)
                    } else if parts[0] == "ack" {
                        expected[key] = .some(value)
                        inFlight[key] = nil
                    }
                }
                #expect(!expected.isEmpty, "round \(round) acknowledged nothing")
                let db = try Database(path: path)
                var missing = 0
                for (key, value) in expected {
                    let got = try db.get(Array(key.utf8)).map { String(decoding: $0, as: UTF8.self) }
                    if got != value, !(inFlight[key].map { $0 == got } ?? false) { missing += 1; if missing < 5 { Issue.record("round \(round): \(key) is \(String(describing: got)), acknowledged \(String(describing: value))") } }
                }
                #expect(missing == 0, "round \(round) (seed \(rng.seed)): \(missing) of \(expected.count) acknowledged writes wrong")
                try db.put(Array("after-\(round)".utf8), Array("ok".utf8))
                try db.close()
                expected["after-\(round)"] = .some("ok")
            }
        }
    }
}
