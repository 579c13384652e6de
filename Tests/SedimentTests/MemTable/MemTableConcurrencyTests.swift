// Concurrency test for MemTable: one writer adds while four reader threads look up and iterate.
// Readers must only ever see fully-formed entries (value derived from key and sequence), keys in
// strictly increasing internal-key order, and at least every entry counted before they started.
// Run under `swift test --sanitize=thread --filter MemTable`.
import Foundation
import Synchronization
import Testing
@_spi(Internals) @testable import Sediment

/// The value written for an entry: a length and bytes that are a function of key and sequence,
/// so a reader can check it without sharing state with the writer.
private func expectedValue(key: UInt32, sequence: UInt64) -> [UInt8] {
    let length = Int((key &* 2_654_435_761) % 64)
    return (0..<length).map { UInt8(truncatingIfNeeded: UInt64($0) &+ UInt64(key) &* 7 &+ sequence) }
}

/// The user key for a number: 4 big-endian bytes after a shared prefix.
private func userKey(_ k: UInt32) -> [UInt8] {
    [0x70, 0x00, 0xFF] + withUnsafeBytes(of: k.bigEndian) { Array($0) }
}

@Suite struct MemTableConcurrencyTests {
    @Test func oneWriterFourReadersSeeOnlyWholeEntriesInOrder() {
        let mem = MemTable(arenaBlockSize: 16 * 1024)
        let keySpace: UInt32 = 2000
        let writes = 20_000
        let done = Atomic<Bool>(false)
        let failures = Mutex<[String]>([])
        let group = DispatchGroup()

        for reader in 0..<4 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                var state = UInt64(reader + 1) &* 0x9E37_79B9_7F4A_7C15
                var rounds = 0
                func record(_ message: String) { failures.withLock { if $0.count < 20 { $0.append(message) } } }
                while !done.load(ordering: .acquiring) || rounds < 3 {
                    rounds += 1
                    // Point lookups at random keys and the latest sequence.
                    for _ in 0..<200 {
                        state = state &* 6_364_136_223_846_793_005 &+ 1
                        let k = UInt32(truncatingIfNeeded: state >> 33) % keySpace
                        let key = userKey(k)
                        key.withUnsafeBytes { raw in
                            mem.withLookup(userKey: raw, sequence: maxSequenceNumber) { lookup in
                                if case .value(let v) = lookup {
                                    // Every version of a key has the same value length.
                                    if v.count != expectedValue(key: k, sequence: 0).count {
                                        record("reader \(reader): bad value length \(v.count) for key \(k)")
                                    }
                                }
                            }
                        }
                    }
                    // A full scan: ordered, whole entries, nothing counted earlier missing.
                    let before = mem.count
                    let it = mem.makeIterator()
                    it.seekToFirst()
                    var seen = 0
                    var previous: [UInt8]? = nil
                    while it.isValid {
                        let key = Array(it.key)
                        guard let decoded = InternalKey(encoded: key), decoded.userKey.count == 7 else {
                            record("reader \(reader): malformed key \(key)")
                            break
                        }
                        let k = decoded.userKey[3...].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                        if Array(it.value) != expectedValue(key: k, sequence: decoded.sequence) {
                            record("reader \(reader): torn value for \(decoded)")
                        }
                        if let previous, compareInternalKeys(previous, key) >= 0 {
                            record("reader \(reader): out of order at \(decoded)")
                        }
                        previous = key
                        seen += 1
                        it.next()
                    }
                    if seen < before { record("reader \(reader): saw \(seen) entries, count was \(before)") }
                }
            }
        }

        var state: UInt64 = 12345
        for i in 0..<writes {
            state = state &* 6_364_136_223_846_793_005 &+ 1442695040888963407
            let k = UInt32(truncatingIfNeeded: state >> 33) % keySpace
            let sequence = UInt64(i + 1)
            mem.add(sequence: sequence, kind: .value, key: userKey(k), value: expectedValue(key: k, sequence: sequence))
        }
        done.store(true, ordering: .releasing)
        group.wait()

        #expect(mem.count == writes)
        let problems = failures.withLock { $0 }
        #expect(problems.isEmpty, "\(problems)")
    }
}
