// CompactionStatisticsTests: the named figures of `Database.property` that describe the tree and
// the compaction work (RocksDB's GetProperty, DESIGN.md §9): sediment.stats, levelstats,
// sstables, num-files-at-level<N>, estimate-num-keys, total-sst-files-size,
// cur-size-all-mem-tables. They must agree with each other and with the tree itself.
import Testing
@testable import Sediment
import SedimentTestSupport

@Suite struct CompactionStatisticsTests {
    @Test func propertiesDescribeTheTreeConsistently() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/db", options: deepTreeOptions())
            #expect(db.property("sediment.cur-size-all-mem-tables").flatMap { Int($0) } ?? -1 >= 0)
            for i in 0..<4000 { try db.put(testKey(i % 2500), testValue(i, round: 0)) }
            try db.waitForCompactions()
            #expect(try #require(Int(db.property("sediment.cur-size-all-mem-tables") ?? "")) > 0)

            // sstables: RocksDB's shape, a header per level and one " number:size[smallest ..
            // largest]" line per table, keys in Pebble's `a#5,SET` notation.
            let sstables = try #require(db.property("sediment.sstables"))
            var level = -1
            var perLevel = Array(repeating: 0, count: 7)
            var sizes: UInt64 = 0
            for line in sstables.split(separator: "\n") {
                if line.hasPrefix("--- level ") {
                    level = Int(line.dropFirst("--- level ".count).prefix { $0.isNumber }) ?? -1
                    continue
                }
                let fields = line.drop { $0 == " " }.split(separator: "[", maxSplits: 1)
                let numberAndSize = fields[0].split(separator: ":")
                #expect(fields.count == 2 && numberAndSize.count == 2 && fields[1].contains(" .. "), "\(line)")
                #expect(level >= 0 && level < 7)
                perLevel[level] += 1
                sizes += UInt64(numberAndSize.last ?? "") ?? 0
            }
            for l in 0..<7 { #expect(db.property("sediment.num-files-at-level\(l)") == String(perLevel[l])) }
            #expect(db.property("sediment.num-files-at-level7") == nil)
            #expect(db.property("sediment.num-files-at-levelx") == nil)
            #expect(db.property("sediment.total-sst-files-size") == String(sizes))
            #expect(perLevel.dropFirst().reduce(0, +) > 0, "\(sstables)")

            // levelstats: RocksDB's layout, a row per level.
            let levelstats = try #require(db.property("sediment.levelstats")).split(separator: "\n")
            #expect(levelstats.first == "Level Files Size(MB)")
            #expect(levelstats.count == 2 + 7)

            // estimate-num-keys counts entries in memtables and tables (at least the live keys).
            #expect(try #require(Int(db.property("sediment.estimate-num-keys") ?? "")) >= 2500)

            // stats: the per-level table with a Sum row and the DB-wide lines.
            let stats = try #require(db.property("sediment.stats"))
            for column in ["Level", "Files", "Size", "Score", "Read(GB)", "Rn(GB)", "Rnp1(GB)", "Write(GB)", "Wnew(GB)",
                           "Moved(GB)", "W-Amp", "Rd(MB/s)", "Wr(MB/s)", "Comp(sec)", "Comp(cnt)", "Avg(sec)", "KeyIn", "KeyDrop"] {
                #expect(stats.contains(column), "column \(column)")
            }
            for prefix in ["  L0 ", "  L1 ", " Sum ", "Flush(GB): cumulative", "Cumulative compaction:", "Table bytes written:",
                           "Uptime(secs):", "Cumulative writes: 4000 writes", "Cumulative WAL:", "Cumulative stall:"] {
                #expect(stats.split(separator: "\n").contains { $0.hasPrefix(prefix) }, "line \(prefix)")
            }
            // Compactions into L1 read entries and dropped overwritten ones.
            let l1 = try #require(stats.split(separator: "\n").first { $0.hasPrefix("  L1 ") }).split(separator: " ")
            #expect(try #require(Int(l1[l1.count - 4])) >= 1, "Comp(cnt) of \(l1)")
            #expect(l1[l1.count - 2] != "0", "KeyIn of \(l1)")
            #expect(db.property("sediment.no-such-thing") == nil)
            #expect(db.property("rocksdb.stats") == nil)
            try db.close()
        }
    }

    @Test func humanReadableNumbersFollowRocksDB() {
        #expect(humanBytes(0) == "0 B")
        #expect(humanBytes(1536) == "1.50 KB")
        #expect(humanBytes(60_018_892) == "57.24 MB")
        #expect(humanCount(9999) == "9999")
        #expect(humanCount(2_000_000) == "2000K")
        #expect(humanCount(1_476_000_000) == "1476M")
    }
}
