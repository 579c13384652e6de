// FuzzFindingTests: every input under Fixtures/fuzz/<target>/ (each a finding of the libFuzzer
// harness, minimized; Fixtures/README.md says what it broke) goes through the same entry point
// (FuzzTarget.run) and must return or throw a SedimentError; and every target's seed corpus,
// derived from Fixtures/ as Tests/Fuzz/seed-corpus.sh does, is non-empty and passes.
// SEDIMENT_FUZZ_REPLAY=<target>:<file> replays one libFuzzer artifact here.
import Foundation
import Testing
@testable import Sediment
import SedimentTestSupport

@Suite struct FuzzFindingTests {
    /// Runs `bytes` through `target`; anything but a SedimentError is recorded.
    static func replay(_ target: FuzzTarget, _ bytes: [UInt8], name: String) {
        do { try target.run(bytes) } catch is SedimentError {} catch {
            Issue.record(target == .model ? ModelFuzzTests.report(error, input: bytes, seed: nil)
                                          : Comment(rawValue: "\(target.name) \(name): \(error)"))
        }
    }

    @Test(arguments: FuzzTarget.allCases) func findingsStayFixed(_ target: FuzzTarget) throws {
        let fs = PosixFileSystem()
        let dir = fixturesDirectory() + "/fuzz/" + target.name
        let names = fs.isDirectory(dir) ? try fs.children(of: dir).sorted() : []
        // The targets with findings keep them: a moved folder must not pass by finding nothing.
        if ["table", "table-unverified"].contains(target.name) { #expect(!names.isEmpty, "no findings under \(dir)") }
        for name in names { Self.replay(target, try fs.readWholeFile(dir + "/" + name), name: name) }
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["SEDIMENT_FUZZ_REPLAY"] != nil, "set SEDIMENT_FUZZ_REPLAY=<target>:<file>"))
    func replayFromEnvironment() throws {
        let spec = try #require(ProcessInfo.processInfo.environment["SEDIMENT_FUZZ_REPLAY"])
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        let target = try #require(parts.count == 2 ? FuzzTarget(named: parts[0]) : nil, "want <target>:<file>, got \(spec)")
        Self.replay(target, try PosixFileSystem().readWholeFile(parts[1]), name: parts[1])
    }

    @Test(arguments: FuzzTarget.allCases.filter { $0 != .model })
    func seedsComeFromFixturesAndPass(_ target: FuzzTarget) throws {
        let seeds = try target.seeds(fixtures: fixturesDirectory())
        #expect(!seeds.isEmpty)
        for (i, seed) in seeds.enumerated() { Self.replay(target, seed, name: "seed \(i)") }
    }
}
