// ModelFuzzProgram: decodes any byte string into an option set and a list of operations on the
// public `Database` API, for the API model fuzzer (ModelFuzzRunner, DESIGN.md §4a). The libFuzzer
// binary (Tests/Fuzz/build.sh compiles this folder into it) and ModelFuzzTests share it, so it
// imports nothing but Sediment. Every byte string decodes; decoding stops at the end of the
// input or after `maxOperations` operations, and a byte missing mid-operation reads as 0.
//
//   byte 0  bits 0-1 writeBufferSize {2, 8, 32, 256} KiB   2-3 level0 trigger {1, 2, 4, 8}
//           bits 4-5 compression {none, lz4, zlib, lz4}     6 synced writes   7 no auto compaction
//   byte 1  bits 0-1 targetFileSizeBase {512, 2 Ki, 8 Ki, 64 Ki}   2-3 blockSize {64, 256, 1 Ki, 4 Ki}
//           bits 4-5 blockRestartInterval {1, 2, 4, 16}     6 no filter   7 no block cache
//   byte 2  bit 0 maxOpenFiles 2   1 reads skip checksums   2-3 maxBytesForLevelBase {4, 16, 256 Ki, 256 Mi}
//   then operations: an opcode byte (low 6 bits: the kind, weighted so that about 1 in 16 is a
//   flush, compactRange, reopen or wait, which cost most; high 2 bits: snapshot slot 0-1 or none
//   for reads and walks (3 on a walk: the held cursor), the slot for snapshot and release), then
//   the kind's argument bytes
//   (see `decodeOne`).
//
// Keys come from a table of 64 (`key(_:)`): the empty key, keys that are prefixes of others,
// keys with 0x00 and 0xFF bytes, 40-byte keys. Values are unique per operation (prefix
// "v<operation index>.<batch entry>:"), so a stale version never compares equal to the newest one.
import Sediment

/// Where a cursor walk starts.
enum ModelFuzzWalkStart: Equatable {
    case first, last
    case seek([UInt8])
    case seekForPrevious([UInt8])
}

/// One operation of a model fuzz program.
enum ModelFuzzOperation {
    case put([UInt8], [UInt8])
    case delete([UInt8])
    /// Entries applied in order as one batch; a nil value is a delete. May be empty.
    case batch([(key: [UInt8], value: [UInt8]?)])
    case get([UInt8], snapshot: Int?)
    /// A cursor with optional bounds positioned by `start`, then one move per element of
    /// `moves` (true: next, false: previous), re-seeking with `start` when it becomes invalid.
    /// With `held`, the walk uses the cursor kept by the last `holdCursor` (bounds and snapshot
    /// ignored), which must still show the state of when it was made.
    case walk(start: ModelFuzzWalkStart, moves: [Bool], lower: [UInt8]?, upper: [UInt8]?, snapshot: Int?, held: Bool)
    /// Makes a cursor with these bounds and keeps it (until the next holdCursor or reopen).
    case holdCursor(lower: [UInt8]?, upper: [UInt8]?)
    case scan(from: [UInt8]?, to: [UInt8]?)
    /// Takes a snapshot into slot 0-1 (replacing what the slot held).
    case takeSnapshot(Int)
    case releaseSnapshot(Int)
    case flush
    case compact(from: [UInt8]?, to: [UInt8]?)
    case waitForCompactions
    /// close() and open again; `changeCompression` reopens with the next compression.
    case reopen(changeCompression: Bool)
}

/// Options and operations decoded from fuzz input.
struct ModelFuzzProgram {
    var options = Options()
    var syncWrites = false
    var verifyChecksumsOnRead = true
    var operations: [ModelFuzzOperation] = []

    /// The 64 keys operations choose from, in no particular order.
    static let keys: [[UInt8]] = (0..<64).map { i -> [UInt8] in
        let base: [UInt8] = [0x6B, Array("0123456789abcdef".utf8)[i % 16]]
        switch i / 16 {
        case 0: return i == 0 ? [] : base
        case 1: return base + [0x2F, 0x78]
        case 2: return i == 47 ? [0xFF, 0xFF, 0xFF] : base + [0x00]
        default: return base + [UInt8](repeating: UInt8(0x41 + i % 16), count: 38)
        }
    }

    static func key(_ byte: UInt8) -> [UInt8] { keys[Int(byte) % keys.count] }

    /// A value for operation `index` (batch entry `entry`) whose length class comes from
    /// `byte`: 0-63 bytes (half of them), 64-316 (a quarter), 320-1328, or 2,000-9,000 (1 in
    /// 32), compressible or not.
    static func value(_ byte: UInt8, index: Int, entry: Int = 0) -> [UInt8] {
        let low = Int(byte & 63)
        let count = switch byte >> 6 {
        case 0, 2: low
        case 1: 64 + low * 4
        default: low < 8 ? 2000 + low * 1000 : 320 + low * 16
        }
        var v = Array("v\(index).\(entry):".utf8)
        var state = UInt64(truncatingIfNeeded: index &* 17 &+ entry) &* 0x9E37_79B9_7F4A_7C15 | 1
        while v.count < count {
            if index % 3 == 0 {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                v.append(UInt8(truncatingIfNeeded: state))
            } else {
                v.append(UInt8(0x61 + index % 26))
            }
        }
        return Array(v.prefix(count))
    }

    /// Reads bytes in order; past the end every byte is 0 and `exhausted` is true.
    struct Reader {
        let bytes: [UInt8]
        var offset = 0
        var exhausted: Bool { offset >= bytes.count }
        mutating func byte() -> UInt8 {
            defer { offset += 1 }
            return offset < bytes.count ? bytes[offset] : 0
        }
    }

    /// Decodes `bytes` (see the file header).
    init(decoding bytes: [UInt8], maxOperations: Int = 200) {
        var r = Reader(bytes: bytes)
        let a = r.byte(), b = r.byte(), c = r.byte()
        options.writeBufferSize = [2048, 8192, 32768, 262_144][Int(a & 3)]
        options.level0FileNumCompactionTrigger = [1, 2, 4, 8][Int(a >> 2 & 3)]
        options.compression = [Compression.none, .lz4, .zlib, .lz4][Int(a >> 4 & 3)]
        syncWrites = a & 0x40 != 0
        options.disableAutoCompactions = a & 0x80 != 0
        options.targetFileSizeBase = [512, 2048, 8192, 65536][Int(b & 3)]
        options.blockSize = [64, 256, 1024, 4096][Int(b >> 2 & 3)]
        options.blockRestartInterval = [1, 2, 4, 16][Int(b >> 4 & 3)]
        if b & 0x40 != 0 { options.bloomBitsPerKey = 0 }
        if b & 0x80 != 0 { options.blockCacheSize = 0 }
        if c & 1 != 0 { options.maxOpenFiles = 2 }
        verifyChecksumsOnRead = c & 2 == 0
        options.maxBytesForLevelBase = [4096, 16384, 262_144, 256 << 20][Int(c >> 2 & 3)]
        while !r.exhausted && operations.count < maxOperations {
            operations.append(Self.decodeOne(&r, index: operations.count))
        }
    }

    /// Decodes one operation; `index` makes its values unique.
    static func decodeOne(_ r: inout Reader, index: Int) -> ModelFuzzOperation {
        let opcode = r.byte()
        let high = Int(opcode >> 6)
        let slot: Int? = high < 2 ? high : nil
        func bounds(_ flags: UInt8, _ r: inout Reader) -> ([UInt8]?, [UInt8]?) {
            var lo = flags & 1 != 0 ? key(r.byte()) : nil
            var hi = flags & 2 != 0 ? key(r.byte()) : nil
            if let l = lo, let h = hi, h.lexicographicallyPrecedes(l) { (lo, hi) = (h, l) }
            return (lo, hi)
        }
        switch opcode & 63 {
        case 0..<22: return .put(key(r.byte()), value(r.byte(), index: index))
        case 22..<29: return .delete(key(r.byte()))
        case 29..<35:
            let header = r.byte()
            let count = header & 8 != 0 ? 0 : 1 + Int(header & 7)
            return .batch((0..<count).map { i in
                let k = key(r.byte())
                let v = r.byte()
                return (k, v & 0xE0 == 0xE0 ? nil : value(v, index: index, entry: i))
            })
        case 35..<44: return .get(key(r.byte()), snapshot: slot)
        case 44..<52:
            let mode = r.byte()
            let start: ModelFuzzWalkStart = switch mode & 3 {
            case 0: .first
            case 1: .last
            case 2: .seek(key(r.byte()))
            default: .seekForPrevious(key(r.byte()))
            }
            let (lo, hi) = bounds(mode >> 2, &r)
            let count = 1 + Int(mode >> 4)
            let pattern = r.byte()
            // Runs of one direction with switches where `pattern` has a 1 bit.
            var forward = mode & 3 != 1 && mode & 3 != 3
            let moves = (0..<count).map { i -> Bool in
                if pattern >> (i % 8) & 1 != 0 { forward.toggle() }
                return forward
            }
            return .walk(start: start, moves: moves, lower: lo, upper: hi, snapshot: slot, held: high == 3)
        case 52, 53:
            let (lo, hi) = bounds(r.byte(), &r)
            return .scan(from: lo, to: hi)
        case 54, 55: return .takeSnapshot(high & 1)
        case 56: return .releaseSnapshot(high & 1)
        case 57, 58: return .flush
        case 59:
            let (lo, hi) = bounds(r.byte(), &r)
            return .compact(from: lo, to: hi)
        case 60: return .waitForCompactions
        case 63:
            let (lo, hi) = bounds(r.byte(), &r)
            return .holdCursor(lower: lo, upper: hi)
        default: return .reopen(changeCompression: opcode & 63 == 62)
        }
    }
}

extension ModelFuzzOperation: CustomStringConvertible {
    var description: String {
        func k(_ key: [UInt8]?) -> String { key.map(ModelFuzzProgram.show) ?? "-" }
        switch self {
        case let .put(key, value): return "put \(k(key)) (\(value.count) bytes)"
        case let .delete(key): return "delete \(k(key))"
        case let .batch(entries):
            let parts = entries.map { e -> String in
                if let v = e.value { return "put \(k(e.key)) (\(v.count))" }
                return "delete \(k(e.key))"
            }
            return "batch [" + parts.joined(separator: ", ") + "]"
        case let .get(key, s): return "get \(k(key))" + (s.map { " @snapshot\($0)" } ?? "")
        case let .walk(start, moves, lo, hi, s, held):
            let path = String(moves.map { $0 ? ">" : "<" })
            if held { return "walk \(start) \(path) on the held cursor" }
            return "walk \(start) [\(k(lo)), \(k(hi))) " + path + (s.map { " @snapshot\($0)" } ?? "")
        case let .holdCursor(lo, hi): return "hold a cursor [\(k(lo)), \(k(hi)))"
        case let .scan(lo, hi): return "scan [\(k(lo)), \(k(hi)))"
        case let .takeSnapshot(s): return "snapshot\(s) = snapshot()"
        case let .releaseSnapshot(s): return "release snapshot\(s)"
        case .flush: return "flush"
        case let .compact(lo, hi): return "compactRange [\(k(lo)), \(k(hi))]"
        case .waitForCompactions: return "waitForCompactions"
        case let .reopen(change): return change ? "reopen with the next compression" : "reopen"
        }
    }
}

extension ModelFuzzWalkStart: CustomStringConvertible {
    var description: String {
        switch self {
        case .first: "seekToFirst"
        case .last: "seekToLast"
        case let .seek(k): "seek(\(ModelFuzzProgram.show(k)))"
        case let .seekForPrevious(k): "seekForPrevious(\(ModelFuzzProgram.show(k)))"
        }
    }
}

extension ModelFuzzProgram: CustomStringConvertible {
    /// Printable key: ASCII as is, other bytes as \xNN, the empty key as "".
    static func show(_ key: [UInt8]) -> String {
        if key.isEmpty { return "\"\"" }
        return key.map { (0x21...0x7E).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined()
    }

    var description: String {
        let o = options
        let head = "options: writeBuffer \(o.writeBufferSize), L0 trigger \(o.level0FileNumCompactionTrigger), "
            + "\(o.compression), sync \(syncWrites), autoCompactions \(!o.disableAutoCompactions), "
            + "targetFile \(o.targetFileSizeBase), block \(o.blockSize)/restart \(o.blockRestartInterval), "
            + "bloom \(o.bloomBitsPerKey), cache \(o.blockCacheSize), maxOpenFiles \(o.maxOpenFiles), "
            + "levelBase \(o.maxBytesForLevelBase), read checksums \(verifyChecksumsOnRead)"
        return ([head] + operations.enumerated().map { "\($0.offset): \($0.element)" }).joined(separator: "\n")
    }
}
