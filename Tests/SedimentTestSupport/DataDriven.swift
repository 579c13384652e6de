// DataDriven: Pebble's data-driven test files (cockroachdb/datadriven), so a component's cases
// are text a reviewer reads as a table rather than code:
//
//   # a comment
//   command key=value key2=v1,v2
//   input line
//   input line
//   ----
//   expected output
//   <blank line ends the case>
//
// An output that itself holds blank lines is fenced by a doubled separator (`----` `----` before
// it, `----` `----` after it). `SEDIMENT_REWRITE=1` rewrites every expected block with the actual
// output in place; review the change on the git diff. Thread-safety: none needed (one file is
// read, run and rewritten by one test).
import Foundation

/// One case of a data-driven file.
public struct DataDrivenCase: Sendable, CustomStringConvertible {
    /// The command word, e.g. "define" or "pick".
    public var command: String
    /// The `key=value` arguments after the command, in order (a bare word has an empty value).
    public var arguments: [(key: String, value: String)]
    /// The lines between the command and `----`, joined by newlines.
    public var input: String
    /// The expected output (without the final newline).
    public var expected: String
    /// The 1-based line of the command, for failure messages.
    public var line: Int
    /// The file the case came from.
    public var file: String

    /// The value of argument `key`, if given.
    public func argument(_ key: String) -> String? {
        arguments.first { $0.key == key }?.value
    }

    /// `file:line: command`.
    public var description: String { "\(file):\(line): \(command)" }
}

/// A parsed data-driven file, able to write itself back with new outputs.
public struct DataDrivenFile: Sendable {
    /// The file's path.
    public let path: String
    /// Its cases in order.
    public private(set) var cases: [DataDrivenCase] = []
    /// The file as chunks: literal text between cases and, per case, its header (command +
    /// input + separator), so a rewrite keeps comments and spacing.
    private var chunks: [Chunk] = []

    private enum Chunk: Sendable {
        case text(String)
        case caseOutput(index: Int)
    }

    /// Reads and parses `path`.
    /// - Throws: `TestSupportError` when the file cannot be read or a case has no `----`.
    public init(path: String) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TestSupportError("cannot read \(path)")
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
        var i = 0
        var text = ""
        let name = (path as NSString).lastPathComponent
        while i < lines.count {
            let line = lines[i]
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") {
                text += line + (i + 1 < lines.count ? "\n" : "")
                i += 1
                continue
            }
            // A command line, its input, the separator.
            let commandLine = i + 1
            var words = trimmed.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            let command = words.removeFirst()
            let arguments = words.map { w -> (key: String, value: String) in
                guard let eq = w.firstIndex(of: "=") else { return (w, "") }
                return (String(w[..<eq]), String(w[w.index(after: eq)...]))
            }
            text += line + "\n"
            i += 1
            var input: [String] = []
            while i < lines.count && lines[i] != "----" {
                input.append(lines[i])
                text += lines[i] + "\n"
                i += 1
            }
            guard i < lines.count else { throw TestSupportError("\(name):\(commandLine): no ---- after the command") }
            text += "----\n"
            i += 1
            var output: [String] = []
            if i < lines.count && lines[i] == "----" {
                // Fenced output: until a doubled separator.
                i += 1
                while i < lines.count && !(lines[i] == "----" && i + 1 < lines.count && lines[i + 1] == "----") {
                    output.append(lines[i])
                    i += 1
                }
                i += 2
            } else {
                while i < lines.count && !lines[i].trimmingCharacters(in: .whitespaces).isEmpty {
                    output.append(lines[i])
                    i += 1
                }
            }
            chunks.append(.text(text))
            text = ""
            chunks.append(.caseOutput(index: cases.count))
            cases.append(DataDrivenCase(command: command, arguments: arguments, input: input.joined(separator: "\n"),
                                        expected: output.joined(separator: "\n"), line: commandLine, file: name))
        }
        chunks.append(.text(text))
    }

    /// The file's text with `outputs[i]` as the expected block of case i.
    public func rendered(outputs: [String]) -> String {
        var out = ""
        for chunk in chunks {
            switch chunk {
            case .text(let t):
                out += t
            case .caseOutput(let index):
                let o = index < outputs.count ? outputs[index] : cases[index].expected
                let body = o.hasSuffix("\n") ? String(o.dropLast()) : o
                if body.split(separator: "\n", omittingEmptySubsequences: false).contains(where: { $0.isEmpty }) && !body.isEmpty {
                    out += "----\n" + body + "\n----\n----\n"
                } else {
                    out += body.isEmpty ? "" : body + "\n"
                }
            }
        }
        return out
    }

    /// True when `SEDIMENT_REWRITE=1` asks to rewrite expected outputs.
    public static var rewriting: Bool {
        ProcessInfo.processInfo.environment["SEDIMENT_REWRITE"] == "1"
    }

    /// Writes the file back with `outputs` as the expected blocks.
    public func rewrite(outputs: [String]) throws {
        let text = rendered(outputs: outputs)
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw TestSupportError("cannot write \(path)")
        }
    }

    /// The `.txt` files of `Fixtures/testdata/<area>`, sorted, as paths.
    public static func files(area: String) -> [String] {
        let dir = fixturesDirectory() + "/testdata/" + area
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".txt") }.sorted().map { dir + "/" + $0 }
    }
}
