// Tests for the tools' RocksDB-style flag parsing.
import Testing
@testable import SedimentTools

@Suite struct FlagParsingTests {
    @Test func parsesEqualsAndBareFlags() throws {
        let flags = try parseFlags(["--file=/tmp/x.sst", "--output_hex", "-command=scan"])
        #expect(flags.map(\.name) == ["file", "output_hex", "command"])
        #expect(flags.map(\.value) == ["/tmp/x.sst", "1", "scan"])
    }

    @Test func rejectsPositionalArguments() {
        #expect(throws: UsageError.self) { try parseFlags(["scan"]) }
    }
}
