// CompactionTestSupport: Pebble key/file notation for the picker's data-driven cases, option
// sets that make a small tree grow deep quickly, and the expensive tree checker that reads every
// table (DESIGN.md §9 invariants that need table contents):
//
//   * a table's metadata equals its contents (first and last key, sequence range, size);
//   * for any user key, entries in deeper levels are older (smaller sequence numbers) than those
//     in shallower levels, and an L0 table listed earlier is newer than one listed later.
// The metadata-only invariants run inside the engine after every version change (debug builds).
import Testing
@_spi(Internals) @testable import Sediment
import SedimentTestSupport

/// Parses `a#5,SET` (Pebble's notation) into an encoded internal key.
func parseInternalKey(_ text: some StringProtocol) throws -> [UInt8] {
    guard let hash = text.lastIndex(of: "#") else { throw TestSupportError("no # in key \(text)") }
    let user = Array(text[..<hash].utf8)
    let rest = text[text.index(after: hash)...].split(separator: ",")
    guard rest.count == 2, let seq = UInt64(rest[0]) else { throw TestSupportError("bad key \(text)") }
    let kinds: [String: ValueKind] = ["SET": .value, "DEL": .deletion, "MERGE": .merge, "SINGLEDEL": .singleDeletion]
    guard let kind = kinds[String(rest[1])] else { throw TestSupportError("unknown kind in \(text)") }
    return InternalKey(userKey: user, sequence: seq, kind: kind).encoded
}

/// Parses `000012:[a#5,SET-k#9,SET] size=100` into FileMetadata (size defaults to 1; the
/// sequence range is taken from the two keys).
func parseFileMetadata(_ text: some StringProtocol) throws -> FileMetadata {
    let parts = text.split(separator: " ")
    guard let spec = parts.first, let colon = spec.firstIndex(of: ":"), let number = UInt64(spec[..<colon]) else {
        throw TestSupportError("bad file \(text)")
    }
    var range = spec[spec.index(after: colon)...]
    guard range.hasPrefix("["), range.hasSuffix("]") else { throw TestSupportError("bad range in \(text)") }
    range = range.dropFirst().dropLast()
    // Split at the '-' that follows a kind name (user keys may contain '-').
    guard let dash = range.ranges(of: ",SET-").first ?? range.ranges(of: ",DEL-").first else {
        throw TestSupportError("bad range in \(text)")
    }
    let smallest = try parseInternalKey(range[..<range.index(dash.upperBound, offsetBy: -1)])
    let largest = try parseInternalKey(range[dash.upperBound...])
    var size: UInt64 = 1
    for p in parts.dropFirst() where p.hasPrefix("size=") {
        guard let s = UInt64(p.dropFirst(5)) else { throw TestSupportError("bad size in \(text)") }
        size = s
    }
    let s1 = InternalKey(encoded: smallest)?.sequence ?? 0
    let s2 = InternalKey(encoded: largest)?.sequence ?? 0
    return FileMetadata(number: number, size: size, smallest: smallest, largest: largest,
                        smallestSequence: min(s1, s2), largestSequence: max(s1, s2))
}

/// Options for trees that grow several levels deep from a few hundred KB of writes.
func deepTreeOptions(fileSystem: (any FileSystem)? = nil) -> Options {
    var o = Options()
    o.writeBufferSize = 32 << 10
    o.targetFileSizeBase = 16 << 10
    o.maxBytesForLevelBase = 64 << 10
    o.maxBytesForLevelMultiplier = 4
    o.level0FileNumCompactionTrigger = 2
    o.compression = .none
    o.blockSize = 1024
    if let fileSystem { o.fileSystem = fileSystem }
    return o
}

/// Everything the tree checker learned, for tests that look at tombstones.
struct TreeContents {
    /// Entries per level (all tables of the level).
    var entriesPerLevel: [Int] = []
    /// Tombstones per level.
    var deletionsPerLevel: [Int] = []
    /// Every user key's entries, newest first as the tree orders them: (level, sequence, kind).
    var entries: [[UInt8]: [(level: Int, sequence: UInt64, kind: UInt8)]] = [:]

    /// Tombstones in every table.
    var deletions: Int { deletionsPerLevel.reduce(0, +) }
}

/// Reads every table of the database's current version and checks the content invariants;
/// returns what it read. Failures are recorded with `Issue.record`.
@discardableResult
func checkTreeInvariants(_ db: Database, sourceLocation: SourceLocation = #_sourceLocation) throws -> TreeContents {
    let core = db.core
    let version = core.monitor.withLock { core.versions.current }
    for problem in version.invariantViolations() {
        Issue.record("version invariant: \(problem)", sourceLocation: sourceLocation)
    }
    var contents = TreeContents()
    for (level, files) in version.levels.enumerated() {
        contents.entriesPerLevel.append(0)
        contents.deletionsPerLevel.append(0)
        for f in files {
            let reader = try core.tableCache.reader(number: f.number, size: f.size)
            let size = try core.fileSystem.fileSize(FileNames.table(core.path, f.number))
            if size != f.size { Issue.record("\(f): metadata size \(f.size), file \(size)", sourceLocation: sourceLocation) }
            let it = reader.makeIterator(verifyChecksums: true, fillCache: false)
            it.seekToFirst()
            var first: [UInt8]? = nil
            var last: [UInt8] = []
            var minSeq = UInt64.max
            var maxSeq: UInt64 = 0
            var deletions = 0
            var count = 0
            while it.isValid {
                let key = Array(it.key)
                if first == nil { first = key }
                if !last.isEmpty && compareInternalKeys(last, key) >= 0 {
                    Issue.record("\(f): keys out of order", sourceLocation: sourceLocation)
                }
                last = key
                guard let ik = InternalKey(encoded: key) else {
                    Issue.record("\(f): malformed key", sourceLocation: sourceLocation)
                    break
                }
                minSeq = min(minSeq, ik.sequence)
                maxSeq = max(maxSeq, ik.sequence)
                if ik.kind == ValueKind.deletion { deletions += 1 }
                count += 1
                contents.entries[ik.userKey, default: []].append((level, ik.sequence, ik.kind.rawValue))
                it.next()
            }
            if let e = it.error { throw e }
            if first != f.smallest || last != f.largest || minSeq != f.smallestSequence || maxSeq != f.largestSequence {
                let firstText = first.flatMap { InternalKey(encoded: $0)?.description } ?? "empty"
                let lastText = InternalKey(encoded: last)?.description ?? "empty"
                Issue.record(Comment(rawValue: "\(f) seqs \(f.smallestSequence)-\(f.largestSequence): contents are [\(firstText)-\(lastText)] seqs \(minSeq)-\(maxSeq)"),
                             sourceLocation: sourceLocation)
            }
            if Int(reader.properties.numEntries) != count || Int(reader.properties.numDeletions) != deletions {
                let p = reader.properties
                Issue.record(Comment(rawValue: "\(f): properties say \(p.numEntries) entries/\(p.numDeletions) deletions, table holds \(count)/\(deletions)"),
                             sourceLocation: sourceLocation)
            }
            contents.entriesPerLevel[level] += count
            contents.deletionsPerLevel[level] += deletions
        }
    }
    // Newer above older: entries were appended level by level, L0 in newest-first table order.
    for (key, list) in contents.entries {
        for i in list.indices.dropFirst() where list[i].sequence >= list[i - 1].sequence {
            let below = list[i]
            let above = list[i - 1]
            Issue.record(Comment(rawValue: "key \(printableKey(key)): L\(below.level)#\(below.sequence) is not older than L\(above.level)#\(above.sequence) above it"),
                         sourceLocation: sourceLocation)
            break
        }
    }
    return contents
}

/// The value written for key `i` in round `round`: `size` bytes, distinct per (i, round).
func testValue(_ i: Int, round: Int, size: Int = 100) -> [UInt8] {
    var v = Array("v\(i)-r\(round)-".utf8)
    while v.count < size { v.append(UInt8(97 + (i + round + v.count) % 26)) }
    return Array(v.prefix(size))
}

/// A fixed-width key for `i`, so keys sort in numeric order.
func testKey(_ i: Int) -> [UInt8] {
    var s = String(i)
    while s.count < 8 { s = "0" + s }
    return Array("key\(s)".utf8)
}
