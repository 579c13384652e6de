// Tests for the tools' RocksDB-style (gflags) flag parsing.
import Testing
@testable import SedimentTools

@Suite struct FlagParsingTests {
    @Test func parsesEqualsAndBareFlags() throws {
        let flags = try parseFlags(["--file=/tmp/x.sst", "--output_hex", "-command=scan"], booleans: ["output_hex"])
        #expect(flags.map(\.name) == ["file", "output_hex", "command"])
        #expect(flags.map(\.value) == ["/tmp/x.sst", "1", "scan"])
    }

    @Test func rejectsPositionalArguments() {
        #expect(throws: UsageError.self) { try parseFlags(["scan"], booleans: []) }
    }

    @Test func valueFlagTakesTheNextArgument() throws {
        let flags = try parseFlags(["--num", "100", "--sync", "--db", "/tmp/d"], booleans: ["sync"])
        #expect(flags.map(\.name) == ["num", "sync", "db"])
        #expect(flags.map(\.value) == ["100", "1", "/tmp/d"])
    }

    @Test func valueFlagWithoutItsValueIsAnError() {
        // gflags: "flag '--db' is missing its argument". Before, a bare value flag became "1".
        #expect(throws: UsageError.self) { try parseFlags(["--db", "--benchmarks=fillseq"], booleans: []) }
        #expect(throws: UsageError.self) { try parseFlags(["--benchmarks=fillseq", "--num"], booleans: []) }
    }

    @Test func negatedBooleans() throws {
        let flags = try parseFlags(["--nosync", "--nouse_existing_db", "--histogram"],
                                   booleans: ["sync", "use_existing_db", "histogram"])
        #expect(flags.map(\.name) == ["sync", "use_existing_db", "histogram"])
        #expect(flags.map(\.value) == ["0", "0", "1"])
    }

    @Test func dbBenchAndSSTDumpCommandLines() throws {
        let c = try DBBenchConfig.parse(["--num", "123", "--nosync", "--benchmarks=fillseq", "--db", "/tmp/x"])
        #expect(c.num == 123 && !c.sync && c.db == "/tmp/x")
        #expect(throws: UsageError.self) { try DBBenchConfig.parse(["--db", "--benchmarks=fillseq", "--num=100"]) }
        #expect(throws: UsageError.self) { try DBBenchConfig.parse(["--benchmarks=fillseq", "--num"]) }
        #expect(throws: UsageError.self) { try SSTDump.parse(["--file=/tmp/x.sst", "--read_num"]) }
        let off = try SSTDump.parse(["--file=/tmp/x.sst", "--output_hex=no", "--noshow_properties"])
        #expect(!off.outputHex && !off.showProperties)
        #expect(try SSTDump.parse(["--file", "/tmp/x.sst", "--output_hex"]).outputHex)
        #expect(throws: UsageError.self) { try SSTDump.parse(["--file=/tmp/x.sst", "--output_hex=maybe"]) }
    }
}
