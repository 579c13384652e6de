// ModelFuzzTests: the API model fuzzer (FuzzTarget.model: ModelFuzzProgram decoded from bytes,
// run by ModelFuzzRunner against a Database and a sorted model) over pseudo-random inputs from
// fixed seeds, so the libFuzzer target's checks run in every `swift test` too. A failure prints
// the seed, the input in hex and the decoded program. SEDIMENT_SEED=<seed> replays one input;
// SEDIMENT_MODEL_FUZZ_INPUTS scales the run (default 200: about 12 s of CPU in a debug build).
import Foundation
import Testing
@testable import Sediment
import SedimentTestSupport

@Suite struct ModelFuzzTests {
    static var inputCount: Int {
        ProcessInfo.processInfo.environment["SEDIMENT_MODEL_FUZZ_INPUTS"].flatMap(Int.init) ?? 200
    }

    /// The report for a failed input: how to replay it, the bytes, the program.
    static func report(_ error: any Error, input: [UInt8], seed: UInt64?) -> Comment {
        let hex = input.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        return Comment(rawValue: """
            \(error)
            \(seed.map { "seed \($0): replay with SEDIMENT_SEED=\($0) swift test --filter ModelFuzz" } ?? "")
            input (\(input.count) bytes, hex): \(hex)
            program:
            \(ModelFuzzProgram(decoding: input))
            """)
    }

    @Test func randomProgramsMatchTheModel() throws {
        let replay = ProcessInfo.processInfo.environment["SEDIMENT_SEED"] != nil
        let seeds: [UInt64] = replay ? [SeededRandom().seed] : (0..<UInt64(Self.inputCount)).map { 0x30DE_0000 + $0 }
        for seed in seeds {
            let (input, used) = FuzzTarget.randomModelInput(seed: seed)
            do { try FuzzTarget.model.run(input) } catch {
                Issue.record(Self.report(error, input: input, seed: used))
                return
            }
        }
    }

    @Test func decoderFollowsTheDocumentedLayout() {
        // Options bytes, then: put key 5 (value class 0, 3 bytes), get key 5 at snapshot slot 1,
        // walk from seekForPrevious(key 9) with both bounds, an empty batch, reopen with the next
        // compression, and a put cut short by the end of the input.
        let p = ModelFuzzProgram(decoding: [0x5D, 0x00, 0x01, 0, 5, 3, 0x40 | 35, 5, 47, 0x3F, 9, 1, 2, 0xFF, 29, 0x08, 62, 0])
        #expect(p.options.writeBufferSize == 8192)
        #expect(p.options.level0FileNumCompactionTrigger == 8)
        #expect(p.options.compression == .lz4)
        #expect(p.syncWrites)
        #expect(!p.options.disableAutoCompactions)
        #expect(p.options.maxOpenFiles == 2)
        #expect(p.operations.map(\.description) == [
            "put k5 (3 bytes)",
            "get k5 @snapshot1",
            "walk seekForPrevious(k9) [k1, k2) ><>< @snapshot0",
            "batch []",
            "reopen with the next compression",
            "put \"\" (0 bytes)",
        ])
        let held = ModelFuzzProgram(decoding: [0, 0, 0, 63, 0x01, 3, 0xC0 | 44, 0x10, 0])
        #expect(held.operations.map(\.description) == ["hold a cursor [k3, -)", "walk seekToFirst >> on the held cursor"])
        #expect(ModelFuzzProgram.value(3, index: 0) == Array("v0.".utf8))
        #expect(ModelFuzzProgram.value(0xC0, index: 7).count == 2000)
    }

    @Test func aDivergenceIsReported() throws {
        // The runner must catch a wrong read: change the model behind the database's back.
        try withMemoryBackedTemporaryDirectory { dir in
            let program = ModelFuzzProgram(decoding: [0, 0, 0, 0, 5, 40, 0xC0 | 35, 5])
            let runner = ModelFuzzRunner(program: program, path: dir + "/db")
            runner.db = try runner.open()
            try runner.apply(program.operations[0])
            runner.model[ModelFuzzProgram.key(5)] = Array("stale".utf8)
            #expect(throws: ModelFuzzFailure.self) { try runner.apply(program.operations[1]) }
            try runner.db?.close()
        }
    }
}
