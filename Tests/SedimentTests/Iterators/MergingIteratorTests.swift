// Tests for MergingIterator: random walks (seeks, steps both ways, direction switches) over
// children with interleaved keys agree with a sorted model in key and value at every step,
// with and without deferred seeks; the value the merge caches for a child is never stale.
import Testing
@testable import Sediment
import SedimentTestSupport

/// A child over a sorted array of (internal key, value) entries.
private final class ArrayIterator: InternalIterator {
    let entries: [(key: [UInt8], value: [UInt8])]
    var position = -1
    init(_ entries: [(key: [UInt8], value: [UInt8])]) {
        self.entries = entries.sorted { compareInternalKeys($0.key, $1.key) < 0 }
    }
    var isValid: Bool { position >= 0 && position < entries.count }
    func seekToFirst() { position = entries.isEmpty ? -1 : 0 }
    func seekToLast() { position = entries.count - 1 }
    func seek(_ target: UnsafeRawBufferPointer) {
        position = entries.firstIndex { e in e.key.withUnsafeBytes { compareInternalKeys($0, target) >= 0 } } ?? entries.count
    }
    func seekForPrevious(_ target: UnsafeRawBufferPointer) {
        position = entries.lastIndex { e in e.key.withUnsafeBytes { compareInternalKeys($0, target) <= 0 } } ?? -1
    }
    func next() { position += 1 }
    func previous() { position -= 1 }
    var key: UnsafeRawBufferPointer { entries[position].key.withUnsafeBytes { $0 } }
    var value: UnsafeRawBufferPointer { entries[position].value.withUnsafeBytes { $0 } }
    var error: SedimentError? { nil }
}

@Suite struct MergingIteratorTests {
    /// An internal key for user key `k` at `sequence`.
    private func internalKey(_ k: Int, _ sequence: UInt64) -> [UInt8] {
        var key = Array(String(format: "k%05d", k).utf8)
        key.appendFixed64(packSequenceAndKind(sequence, .value))
        return key
    }

    /// Children of random entries; with `lsm`, child i holds only sequences below child i-1's
    /// (newest first), as deferred seeks require.
    private func makeChildren(_ rng: inout SeededRandom, count: Int, lsm: Bool) -> [ArrayIterator] {
        var sequence: UInt64 = 1_000_000
        // Internal keys are unique across children (the merge breaks exact ties by child order).
        var seen = Set<[UInt8]>()
        return (0..<count).map { c in
            var entries: [(key: [UInt8], value: [UInt8])] = []
            for _ in 0..<Int(rng.next() % 40) {
                sequence -= 1
                let s = lsm ? sequence : rng.next() % 1_000_000
                let k = Int(rng.next() % 60)
                let v = Array("c\(c)-k\(k)-s\(s)".utf8)
                entries.append((internalKey(k, s), v))
            }
            return ArrayIterator(entries.filter { seen.insert($0.key).inserted })
        }
    }

    @Test(arguments: [false, true])
    func randomWalksMatchTheModel(deferredSeeks: Bool) {
        var rng = SeededRandom(defaultSeed: deferredSeeks ? 11 : 12)
        for _ in 0..<40 {
            let children = makeChildren(&rng, count: Int(rng.next() % 5) + 1, lsm: deferredSeeks)
            var all = children.flatMap { $0.entries }
            all.sort { compareInternalKeys($0.key, $1.key) < 0 }
            let merged = MergingIterator(children, newestFirst: deferredSeeks)
            var model = -1
            func check(_ step: String) {
                let valid = model >= 0 && model < all.count
                #expect(merged.isValid == valid, "after \(step) (seed \(rng.seed))")
                guard valid, merged.isValid else { return }
                #expect(Array(merged.key) == all[model].key, "key after \(step) (seed \(rng.seed))")
                #expect(Array(merged.value) == all[model].value, "value after \(step) (seed \(rng.seed))")
            }
            for _ in 0..<200 {
                switch rng.next() % 7 {
                case 0:
                    merged.seekToFirst(); model = all.isEmpty ? -1 : 0; check("seekToFirst")
                case 1:
                    merged.seekToLast(); model = all.count - 1; check("seekToLast")
                case 2:
                    let t = internalKey(Int(rng.next() % 62), rng.next() % 1_000_001)
                    t.withUnsafeBytes { merged.seek($0) }
                    model = all.firstIndex { compareInternalKeys($0.key, t) >= 0 } ?? all.count
                    check("seek")
                case 3:
                    let t = internalKey(Int(rng.next() % 62), rng.next() % 1_000_001)
                    t.withUnsafeBytes { merged.seekForPrevious($0) }
                    model = all.lastIndex { compareInternalKeys($0.key, t) <= 0 } ?? -1
                    check("seekForPrevious")
                case 4, 5:
                    guard merged.isValid else { continue }
                    merged.next(); model += 1; check("next")
                default:
                    guard merged.isValid else { continue }
                    merged.previous(); model -= 1; check("previous")
                }
            }
        }
    }
}
