// CompactionPickerTests: the leveled picker as data-driven cases
// (Fixtures/testdata/compaction_picker/*.txt). Commands:
//
//   define [l0-trigger=N] [base=BYTES] [multiplier=X] [levels=N] [target-file-size=BYTES]
//   L0: 000012:[a#5,SET-k#9,SET] size=100      one table per line; "Ln:" alone starts a level
//   ----
//   <the version with each level's score>
//
//   pick [busy=1,2]
//   ----
//   <the chosen compaction, or "no compaction">
//
// `pick` advances the round-robin cursor as the engine does after a compaction (the largest key
// of the inputs at the start level); `define` resets cursors. `SEDIMENT_REWRITE=1` rewrites the
// expected blocks.
import Testing
@_spi(Internals) @testable import Sediment
import SedimentTestSupport

/// The state a data-driven picker file carries from case to case.
private struct PickerState {
    var options = Options()
    var version = Version(numLevels: 7)
    var cursors: [Int: [UInt8]] = [:]
}

@Suite struct CompactionPickerTests {
    @Test(arguments: DataDrivenFile.files(area: "compaction_picker").map { String($0.split(separator: "/").last ?? "") })
    func dataDriven(name: String) throws {
        let path = try #require(DataDrivenFile.files(area: "compaction_picker").first { $0.hasSuffix("/" + name) })
        let file = try DataDrivenFile(path: path)
        var state = PickerState()
        var outputs: [String] = []
        for c in file.cases {
            let actual: String
            do {
                actual = try run(c, &state)
            } catch {
                actual = "error: \(error)"
            }
            outputs.append(actual)
            if !DataDrivenFile.rewriting {
                #expect(actual == c.expected, "\(c)")
            }
        }
        if DataDrivenFile.rewriting { try file.rewrite(outputs: outputs) }
    }

    @Test func testdataFilesExist() {
        #expect(DataDrivenFile.files(area: "compaction_picker").count >= 1)
    }

    private func run(_ c: DataDrivenCase, _ state: inout PickerState) throws -> String {
        switch c.command {
        case "define":
            var o = Options()
            o.level0FileNumCompactionTrigger = Int(c.argument("l0-trigger") ?? "") ?? 4
            o.maxBytesForLevelBase = Int(c.argument("base") ?? "") ?? 1000
            o.maxBytesForLevelMultiplier = Double(c.argument("multiplier") ?? "") ?? 10
            o.numLevels = Int(c.argument("levels") ?? "") ?? 7
            o.targetFileSizeBase = Int(c.argument("target-file-size") ?? "") ?? 100
            var levels = Array(repeating: [FileMetadata](), count: o.numLevels)
            var level = 0
            for raw in c.input.split(separator: "\n") {
                var line = raw.drop { $0 == " " }
                if line.hasPrefix("L"), let colon = line.firstIndex(of: ":"), let n = Int(line[line.index(after: line.startIndex)..<colon]) {
                    guard n < o.numLevels else { throw TestSupportError("level \(n) out of range") }
                    level = n
                    line = line[line.index(after: colon)...].drop { $0 == " " }
                }
                if !line.isEmpty { levels[level].append(try parseFileMetadata(line)) }
            }
            state = PickerState(options: o, version: Version(levels: levels), cursors: [:])
            return describe(state.version, CompactionPicker(options: o))
        case "pick":
            let picker = CompactionPicker(options: state.options)
            let busy = Set((c.argument("busy") ?? "").split(separator: ",").compactMap { Int($0) })
            guard let chosen = picker.pick(state.version, busyLevels: busy, cursors: state.cursors) else {
                return "no compaction"
            }
            state.cursors[chosen.level] = chosen.inputs.map(\.largest).max { compareInternalKeys($0, $1) < 0 }
            return describe(chosen, picker, score: picker.scores(state.version)[chosen.level])
        default:
            throw TestSupportError("unknown command \(c.command)")
        }
    }

    private func describe(_ version: Version, _ picker: CompactionPicker) -> String {
        let scores = picker.scores(version)
        var out: [String] = []
        for (level, files) in version.levels.enumerated() where !files.isEmpty {
            let score = level < scores.count ? " score=\(fixed(scores[level], 2))" : " (last)"
            out.append("L\(level):\(score)")
            for f in files { out.append("  \(f) size=\(f.size)") }
        }
        return out.isEmpty ? "empty" : out.joined(separator: "\n")
    }

    private func describe(_ c: Compaction, _ picker: CompactionPicker, score: Double) -> String {
        var out = ["L\(c.level) -> L\(c.outputLevel) reason=\(c.reason) score=\(fixed(score, 2))"
                   + (picker.isTrivialMove(c) ? " trivial-move" : "")]
        out.append("  L\(c.level): " + c.inputs.map { FileNames.padded($0.number) }.joined(separator: " "))
        out.append("  L\(c.outputLevel): " + (c.nextLevelInputs.isEmpty ? "-" : c.nextLevelInputs.map { FileNames.padded($0.number) }.joined(separator: " ")))
        if !c.grandparents.isEmpty {
            out.append("  grandparents: " + c.grandparents.map { FileNames.padded($0.number) }.joined(separator: " "))
        }
        return out.joined(separator: "\n")
    }
}
