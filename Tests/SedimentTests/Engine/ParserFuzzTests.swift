// ParserFuzzTests: deterministic, in-suite fuzzing of every file parser (issue 7). Valid inputs
// (the golden tables in Fixtures/sst, a framed log of write batches, a real MANIFEST, encoded
// VersionEdits and WriteBatches) are mutated with a seeded generator — bit flips, random bytes,
// truncation, insertion, deletion, duplicated slices, "interesting" 32-bit values — and run
// through the block decoder, table open + scan + get (with and without checksum verification,
// so the decoders themselves see garbage), the footer and filter readers, the record reader in
// every recovery mode, the VersionEdit decoder and Version.applying, and the WriteBatch
// decoder, all through the entry points the libFuzzer harness calls (FuzzTarget). Each must
// return or throw a SedimentError: a trap ends the test process, a hang trips the deadline.
// Tests/Fuzz/ci.sh runs the same entry points coverage-guided (DESIGN.md §4a). Replays from
// SEDIMENT_SEED; SEDIMENT_FUZZ_ITERATIONS scales the runs.
import Foundation
import Testing
@_spi(Internals) @testable import Sediment
import SedimentTestSupport

@Suite struct ParserFuzzTests {
    static var iterations: Int {
        ProcessInfo.processInfo.environment["SEDIMENT_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 3000
    }

    /// 32-bit values that break naive length and offset arithmetic.
    static let interesting: [UInt32] = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF]

    /// `input` with one to four random mutations.
    static func mutate(_ input: [UInt8], _ rng: inout SeededRandom) -> [UInt8] {
        var d = input
        for _ in 0...(rng.next() % 4) {
            let n = d.count
            let at = n == 0 ? 0 : Int(rng.next() % UInt64(n))
            switch rng.next() % 7 {
            case 0 where n > 0: d[at] ^= UInt8(1 << (rng.next() % 8))
            case 1 where n > 0: d[at] = UInt8(truncatingIfNeeded: rng.next())
            case 2: d.removeLast(n - at)
            case 3: d.insert(contentsOf: (0...(rng.next() % 8)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
            case 4 where n > 0: d.removeSubrange(at..<min(n, at + 1 + Int(rng.next() % 16)))
            case 5 where n >= 4:
                let v = interesting[Int(rng.next() % UInt64(interesting.count))]
                let p = min(at, n - 4)
                for i in 0..<4 { d[p + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
            case 6 where n > 0:
                let end = min(n, at + 1 + Int(rng.next() % 64))
                d.insert(contentsOf: Array(d[at..<end]), at: Int(rng.next() % UInt64(n)))
            default: d.append(UInt8(truncatingIfNeeded: rng.next()))
            }
        }
        return d
    }

    /// Runs `body` `iterations` times on mutations of `seeds` under a deadline; any error
    /// other than SedimentError is recorded.
    static func fuzz(_ name: String, seeds: [[UInt8]], seed: UInt64,
                     _ body: @escaping @Sendable ([UInt8]) throws -> Void) {
        let count = iterations
        let outcome = CorruptionTests.withDeadline(seconds: 60) {
            var rng = SeededRandom(defaultSeed: seed)
            var problems: [String] = []
            for i in 0..<count {
                let input = mutate(seeds[i % seeds.count], &rng)
                do { try body(input) } catch is SedimentError {} catch {
                    problems.append("\(name) iteration \(i) (seed \(rng.seed)): non-Sediment error \(error)")
                }
            }
            return problems
        }
        guard let outcome else { Issue.record("\(name): hung (seed \(seed))"); return }
        for p in outcome.prefix(5) { Issue.record(Comment(rawValue: p)) }
    }

    static func fixtureTables() throws -> [[UInt8]] {
        try ["none", "lz4", "zlib"].map { try PosixFileSystem().readWholeFile(fixturesDirectory() + "/sst/\($0).sst") }
    }

    @Test func tableOpenScanAndGet() throws {
        let tables = try Self.fixtureTables()
        Self.fuzz("table (verified)", seeds: tables, seed: 0xF0221) { try FuzzTarget.table.run($0) }
        Self.fuzz("table (unverified)", seeds: tables, seed: 0xF0222) { try FuzzTarget.tableUnverified.run($0) }
    }

    @Test func blockDecoderFooterAndFilter() throws {
        let table = try openTable(fixturesDirectory() + "/sst/none.sst")
        var blocks = try table.indexEntries().prefix(4).map { try table.blockContents($0.handle) }
        blocks.append(try table.blockContents(table.indexHandle))
        let filterHandle = try #require(table.metaHandles.first { $0.name == fullFilterMetaKey }?.handle)
        let filter = try table.blockContents(filterHandle)
        let tails = try Self.fixtureTables().map { Array($0.suffix(Footer.encodedLength)) }
        Self.fuzz("block", seeds: blocks, seed: 0xB10C) { try FuzzTarget.block.run($0) }
        Self.fuzz("footer", seeds: tails, seed: 0xF007) { try FuzzTarget.footer.run($0) }
        Self.fuzz("filter", seeds: [filter], seed: 0xF117) { try FuzzTarget.filter.run($0) }
    }

    /// A framed log of write batches: puts, deletes, an empty batch, a multi-block record.
    static func logSeed() throws -> ([UInt8], [[UInt8]]) {
        var batches: [[UInt8]] = []
        for i in 0..<12 {
            var batch = WriteBatch()
            for j in 0..<(i % 4) { batch.put(Array("k\(i)-\(j)".utf8), Array(repeating: UInt8(i), count: i * 7)) }
            if i % 3 == 0 { batch.delete(Array("k\(i)".utf8)) }
            batch.sequence = UInt64(100 + i * 5)
            batches.append(batch.rep)
        }
        var big = WriteBatch()
        big.put(Array("big".utf8), Array(repeating: 0xAB, count: 40_000))
        batches.append(big.rep)
        return (try framed(batches), batches)
    }

    @Test func recordReaderAndWriteBatch() throws {
        let (log, batches) = try Self.logSeed()
        Self.fuzz("log", seeds: [log, Array(log.prefix(300))], seed: 0x1061) { try FuzzTarget.log.run($0) }
        Self.fuzz("write batch", seeds: batches, seed: 0xBA7C) { try FuzzTarget.writeBatch.run($0) }
    }

    @Test func manifestAndVersionEdits() throws {
        let manifest = try withTemporaryDirectory { dir -> [UInt8] in
            var o = Options()
            o.disableAutoCompactions = true
            let db = try Database(path: dir + "/db", options: o)
            for i in 0..<3 {
                try db.put(Array("k\(i)".utf8), Array("v".utf8))
                try db.flush()
            }
            try db.compactRange()
            try db.close()
            let fs = PosixFileSystem()
            let name = try fs.children(of: dir + "/db").filter { $0.hasPrefix("MANIFEST-") }.sorted().last ?? ""
            return try fs.readWholeFile(dir + "/db/" + name)
        }
        let edits = try readAll(manifest, mode: .absoluteConsistency).records
        #expect(edits.count >= 4)
        Self.fuzz("MANIFEST", seeds: [manifest], seed: 0x3A41) { try FuzzTarget.manifest.run($0) }
        Self.fuzz("version edit", seeds: edits, seed: 0xED17) { bytes in
            _ = try Version(numLevels: 7).applying(VersionEdit.decode(bytes, file: "fuzz"))
        }
    }
}
