// LintTests: house rules checked on the source tree (Pebble's internal/lint): no `try!`,
// `fatalError(` or Foundation in the engine and tools, and the README's test command is the
// one CI runs.
import Testing
import Foundation
import SedimentTestSupport

@Suite struct LintTests {
    var root: String { String(fixturesDirectory().dropLast("/Fixtures".count)) }

    func swiftFiles(under dir: String) throws -> [String] {
        let base = root + "/" + dir
        guard let e = FileManager.default.enumerator(atPath: base) else { return [] }
        return e.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }.map { base + "/" + $0 }
    }

    @Test func noTrapsOrFoundationInSources() throws {
        var offences: [String] = []
        let files = try swiftFiles(under: "Sources")
        // A wrong root would scan nothing and pass.
        #expect(files.count > 50 && files.contains { $0.hasSuffix("/Sources/Sediment/Database.swift") }, "\(files.count) files")
        for file in files {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                if code.contains("try!") || code.contains("fatalError(") || code.contains("import Foundation") {
                    offences.append("\(file):\(n + 1): \(line)")
                }
            }
        }
        #expect(offences.isEmpty, "\(offences.joined(separator: "\n"))")
    }

    @Test func readmeTestCommandIsWhatCIRuns() throws {
        let readme = try String(contentsOfFile: root + "/README.md", encoding: .utf8)
        let ci = try String(contentsOfFile: root + "/.ci/run", encoding: .utf8)
        let command = ci.split(separator: "\n").last { $0.hasPrefix(".ci/deps") }
        #expect(command != nil)
        if let command { #expect(readme.contains(command), "README must show: \(command)") }
    }
}
