// ModelFuzzRunner: runs a ModelFuzzProgram against a `Database` in a directory and, step by
// step, against an in-memory model (a dictionary, sorted when walked; snapshots are copies of
// it). Every get, cursor position (key, value and validity after each seek, next and previous,
// under bounds and snapshots, and on a cursor held across later writes, flushes and
// compactions) and scan must equal the model's, no call may throw, and at the end
// full forward and backward walks, verifyChecksums, and a last close + reopen + walk must agree
// too. The first divergence is returned as a ModelFuzzFailure naming the operation; the
// libFuzzer target turns it into a trap (a finding), ModelFuzzTests into a test failure.
// Shared with the libFuzzer binary (see ModelFuzzProgram), so it imports only Sediment.
// One run uses one thread (the database's background threads aside).
import Sediment

/// Where and how the database and the model first disagreed.
struct ModelFuzzFailure: Error, CustomStringConvertible {
    /// The failing operation's index in the program, or nil for the final checks.
    var operationIndex: Int?
    var operation: String
    var message: String

    var description: String {
        "model fuzz: " + (operationIndex.map { "operation \($0) (\(operation))" } ?? operation) + ": " + message
    }
}

/// One run of a program: the database, the model, and the snapshots of both.
final class ModelFuzzRunner {
    typealias State = [[UInt8]: [UInt8]]

    let program: ModelFuzzProgram
    let path: String
    var options: Options
    var db: Database?
    var model: State = [:]
    var snapshots: [Int: (snapshot: Snapshot, state: State)] = [:]
    /// The cursor of the last holdCursor, the model when it was made, and its bounds.
    var held: (cursor: Cursor, state: State, lower: [UInt8]?, upper: [UInt8]?)?
    var current: (index: Int?, text: String) = (nil, "open")

    init(program: ModelFuzzProgram, path: String) {
        self.program = program
        self.path = path
        options = program.options
    }

    /// Decodes `bytes` and runs the program on a new database at `path`.
    /// - Throws: the first divergence, or an error the database threw, as ModelFuzzFailure.
    static func run(_ bytes: [UInt8], path: String) throws(ModelFuzzFailure) {
        try ModelFuzzRunner(program: ModelFuzzProgram(decoding: bytes), path: path).run()
    }

    func fail(_ message: String) -> ModelFuzzFailure {
        ModelFuzzFailure(operationIndex: current.index, operation: current.text, message: message)
    }

    /// Runs `body` on the open database; any error it throws is a failure.
    func call<T>(_ what: String, _ body: (Database) throws -> T) throws(ModelFuzzFailure) -> T {
        guard let db else { throw fail("\(what): no open database") }
        do { return try body(db) } catch { throw fail("\(what) threw \(error)") }
    }

    func expect(_ what: String, _ got: [UInt8]?, _ expected: [UInt8]?) throws(ModelFuzzFailure) {
        if got != expected {
            throw fail("\(what): got \(got.map(Self.text) ?? "nil"), expected \(expected.map(Self.text) ?? "nil")")
        }
    }

    /// A short printable form of a value: its length and first bytes.
    static func text(_ bytes: [UInt8]) -> String {
        "\(bytes.count) bytes \"" + String(decoding: bytes.prefix(16), as: UTF8.self) + "\""
    }

    func run() throws(ModelFuzzFailure) {
        db = try open()
        for (i, op) in program.operations.enumerated() {
            current = (i, op.description)
            try apply(op)
        }
        try finalChecks()
    }

    func open() throws(ModelFuzzFailure) -> Database {
        do { return try Database(path: path, options: options) } catch { throw fail("open threw \(error)") }
    }

    func readOptions(_ slot: Int?, lower: [UInt8]? = nil, upper: [UInt8]? = nil) -> (ReadOptions, State) {
        let snap = slot.flatMap { snapshots[$0] }
        return (ReadOptions(snapshot: snap?.snapshot, lowerBound: lower, upperBound: upper,
                            verifyChecksums: program.verifyChecksumsOnRead), snap?.state ?? model)
    }

    func apply(_ op: ModelFuzzOperation) throws(ModelFuzzFailure) {
        let write = WriteOptions(sync: program.syncWrites)
        switch op {
        case let .put(k, v):
            try call("put") { try $0.put(k, v, options: write) }
            model[k] = v
        case let .delete(k):
            try call("delete") { try $0.delete(k, options: write) }
            model[k] = nil
        case let .batch(entries):
            var batch = WriteBatch()
            for e in entries {
                if let v = e.value { batch.put(e.key, v) } else { batch.delete(e.key) }
            }
            try call("write") { try $0.write(batch, options: write) }
            for e in entries { model[e.key] = e.value }
        case let .get(k, slot):
            let (ro, state) = readOptions(slot)
            try expect("get \(ModelFuzzProgram.show(k))", try call("get") { try $0.get(k, options: ro) }, state[k])
        case let .walk(start, moves, lower, upper, slot, useHeld):
            try walk(start: start, moves: moves, lower: lower, upper: upper, slot: slot, useHeld: useHeld)
        case let .holdCursor(lower, upper):
            let (ro, state) = readOptions(nil, lower: lower, upper: upper)
            held = (try call("cursor") { try $0.cursor(options: ro) }, state, lower, upper)
        case let .scan(lower, upper):
            let (_, state) = readOptions(nil)
            let expected = Self.sortedKeys(state, lower: lower, upper: upper)
            var it = try call("scan") { try $0.scan(from: lower, to: upper, options: readOptions(nil).0) }.makeIterator()
            var got: [[UInt8]] = []
            while let (k, v) = it.next() {
                if got.count < expected.count { try expect("scan value of \(ModelFuzzProgram.show(k))", v, state[k]) }
                got.append(k)
            }
            if let e = it.error { throw fail("scan error \(e)") }
            if got != expected { throw fail("scan keys \(got.map(ModelFuzzProgram.show)), expected \(expected.map(ModelFuzzProgram.show))") }
        case let .takeSnapshot(slot):
            snapshots[slot] = (try call("snapshot") { $0.snapshot() }, model)
        case let .releaseSnapshot(slot):
            snapshots[slot] = nil
        case .flush:
            try call("flush") { try $0.flush() }
        case let .compact(lower, upper):
            try call("compactRange") { try $0.compactRange(from: lower, to: upper) }
        case .waitForCompactions:
            try call("waitForCompactions") { try $0.waitForCompactions() }
        case let .reopen(changeCompression):
            try reopen(changeCompression: changeCompression)
        }
    }

    /// close() and open again. Snapshots and the held cursor of the closed database are released
    /// only after the close, so releasing them into a closed database is exercised too.
    func reopen(changeCompression: Bool) throws(ModelFuzzFailure) {
        try call("close") { try $0.close() }
        if changeCompression {
            let all = Compression.allCases
            options.compression = all[((all.firstIndex(of: options.compression) ?? 0) + 1) % all.count]
        }
        db = nil
        snapshots.removeAll()
        held = nil
        db = try open()
    }

    /// The keys of `state` in [lower, upper), in bytewise order.
    static func sortedKeys(_ state: State, lower: [UInt8]? = nil, upper: [UInt8]? = nil) -> [[UInt8]] {
        state.keys.filter { k in
            (lower.map { !k.lexicographicallyPrecedes($0) } ?? true) && (upper.map { k.lexicographicallyPrecedes($0) } ?? true)
        }.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// Positions a cursor (a new one, or the held one when `useHeld` and there is one) and the
    /// model's index with `start`, then moves both, comparing after every step; an invalid
    /// position is re-seeked with `start`.
    func walk(start: ModelFuzzWalkStart, moves: [Bool], lower: [UInt8]?, upper: [UInt8]?,
              slot: Int?, useHeld: Bool = false) throws(ModelFuzzFailure) {
        let cursor: Cursor, state: State, view: [[UInt8]]
        if useHeld, let held {
            (cursor, state) = (held.cursor, held.state)
            view = Self.sortedKeys(state, lower: held.lower, upper: held.upper)
        } else {
            let ro: ReadOptions
            (ro, state) = readOptions(slot, lower: lower, upper: upper)
            view = Self.sortedKeys(state, lower: lower, upper: upper)
            cursor = try call("cursor") { try $0.cursor(options: ro) }
        }
        var at: Int?
        func position() {
            switch start {
            case .first:
                cursor.seekToFirst()
                at = view.isEmpty ? nil : 0
            case .last:
                cursor.seekToLast()
                at = view.isEmpty ? nil : view.count - 1
            case let .seek(t):
                cursor.seek(t)
                at = view.firstIndex { !$0.lexicographicallyPrecedes(t) }
            case let .seekForPrevious(t):
                cursor.seekForPrevious(t)
                at = view.lastIndex { !t.lexicographicallyPrecedes($0) }
            }
        }
        func compare(_ step: String) throws(ModelFuzzFailure) {
            if let e = cursor.error { throw fail("\(step): cursor error \(e)") }
            guard cursor.isValid == (at != nil) else {
                throw fail("\(step): cursor \(cursor.isValid ? "at \(ModelFuzzProgram.show(cursor.key))" : "invalid"), expected "
                           + (at.map { "at \(ModelFuzzProgram.show(view[$0]))" } ?? "invalid"))
            }
            guard let at else { return }
            try expect("\(step): key", cursor.key, view[at])
            try expect("\(step): value of \(ModelFuzzProgram.show(view[at]))", cursor.value, state[view[at]])
        }
        position()
        try compare("position")
        for (n, forward) in moves.enumerated() {
            if let i = at {
                if forward { cursor.next() } else { cursor.previous() }
                let j = forward ? i + 1 : i - 1
                at = view.indices.contains(j) ? j : nil
            } else {
                position()
            }
            try compare("move \(n) (\(forward ? "next" : "previous"))")
        }
    }

    /// Full walks both ways and verifyChecksums; then close, reopen and walk again, and close.
    func finalChecks() throws(ModelFuzzFailure) {
        for pass in ["end", "after the last reopen"] {
            current = (nil, "final checks, \(pass)")
            let count = max(1, model.count + 1)
            try walk(start: .first, moves: Array(repeating: true, count: count), lower: nil, upper: nil, slot: nil)
            try walk(start: .last, moves: Array(repeating: false, count: count), lower: nil, upper: nil, slot: nil)
            try call("verifyChecksums") { try $0.verifyChecksums() }
            if pass == "end" { try reopen(changeCompression: false) }
        }
        try call("close") { try $0.close() }
        snapshots.removeAll()
        held = nil
        db = nil
    }
}
