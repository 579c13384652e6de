// Tests for LevelIterator inside a MergingIterator: the merge's forward step calls each child
// (memtable, table, level) through an unretained reference, and the level calls its current table
// the same way (DESIGN.md §14 P37). A level of many small tables, some empty, is crossed forward
// again and again, after seeks, direction switches and cache evictions, so that a table iterator
// released when the level moves on is never called or read again (run under
// `--sanitize=address`); a table that cannot be opened stops the scan with its error.
import Foundation
import Testing
import SedimentTestSupport
@_spi(Internals) @testable import Sediment

@Suite struct LevelIteratorTests {
    private func userKey(_ k: Int) -> [UInt8] { Array(String(format: "k%05d", k).utf8) }

    /// A level of `tables` tables (number 1...), table t holding user keys 3t..3t+2 at sequence
    /// 1 in tiny blocks; every seventh table is empty (its range still covers its keys).
    /// Returns the files and the level's entries, sorted.
    private func buildLevel(in dir: String, tables: Int) throws
        -> (files: [FileMetadata], entries: [(key: [UInt8], value: [UInt8])]) {
        let options = TableBuilderOptions(blockSize: 48, blockRestartInterval: 1, bloomBitsPerKey: 10,
                                          compression: .none)
        var files: [FileMetadata] = []
        var all: [(key: [UInt8], value: [UInt8])] = []
        for t in 0..<tables {
            let number = UInt64(t + 1)
            let entries = t % 7 == 3 ? [] : (0..<3).map { j in
                (key: ikey(userKey(3 * t + j), 1), value: Array("level-t\(t)-j\(j)-".utf8) + [UInt8](repeating: UInt8(j), count: 40))
            }
            let size = try buildTable(at: FileNames.table(dir, number), entries, options: options)
            files.append(FileMetadata(number: number, size: size, smallest: ikey(userKey(3 * t), 1),
                                      largest: ikey(userKey(3 * t + 2), 1), smallestSequence: 1, largestSequence: 1))
            all += entries
        }
        return (files, all)
    }

    /// maxOpenFiles 1 gives the cache its minimum capacity (20 readers), so the 60 tables evict.
    @Test(arguments: [-1, 1]) func mergedScansAcrossManySmallTables(maxOpenFiles: Int) throws {
        try withTemporaryDirectory { dir in
            let tableCount = 60
            let (files, levelEntries) = try buildLevel(in: dir, tables: tableCount)
            // A table child (number 1000) and a memtable child with newer versions of some keys.
            var tableEntries: [(key: [UInt8], value: [UInt8])] = []
            for k in stride(from: 1, to: 3 * tableCount, by: 5) { tableEntries.append((ikey(userKey(k), 5), b("table-\(k)"))) }
            let tableSize = try buildTable(at: FileNames.table(dir, 1000), tableEntries,
                                           options: TableBuilderOptions(blockSize: 64, compression: .none))
            let mem = MemTable(arenaBlockSize: 4096)
            var memEntries: [(key: [UInt8], value: [UInt8])] = []
            for k in stride(from: 2, to: 3 * tableCount, by: 11) {
                mem.add(sequence: 9, kind: .value, key: userKey(k), value: b("mem-\(k)"))
                memEntries.append((ikey(userKey(k), 9), b("mem-\(k)")))
            }
            var all = levelEntries + tableEntries + memEntries
            all.sort { compareInternalKeys($0.key, $1.key) < 0 }

            let cache = TableCache(directory: dir, fileSystem: PosixFileSystem(), blockCache: nil, maxOpenFiles: maxOpenFiles)
            let tableReader = try cache.reader(number: 1000, size: tableSize)
            for round in 0..<3 {
                let level = LevelIterator(files: files, tableCache: cache, verifyChecksums: true, fillCache: round == 1)
                let merged = MergingIterator([mem.makeIterator(), tableReader.makeIterator(verifyChecksums: true, fillCache: false), level],
                                             newestFirst: round == 2)
                /// Steps forward from model position `from` to the end, checking every entry.
                func scanForward(from start: Int, _ what: String) {
                    var model = start
                    while merged.isValid && model < all.count {
                        #expect(Array(merged.key) == all[model].key, "\(what) at \(model), round \(round)")
                        #expect(Array(merged.value) == all[model].value, "\(what) at \(model), round \(round)")
                        if model % 40 == 17 {
                            for n in 1...UInt64(tableCount) { cache.evict(n) }   // drop the cache's readers
                        }
                        merged.next()
                        model += 1
                    }
                    #expect(!merged.isValid && model == all.count, "\(what) ends at \(model) of \(all.count), round \(round)")
                    #expect(merged.error == nil)
                }
                merged.seekToFirst()
                scanForward(from: 0, "seekToFirst")
                for k in [0, 7, 10, 44, 95, 130, 3 * tableCount - 1] {
                    let target = ikey(userKey(k), 100)
                    target.withUnsafeBytes { merged.seek($0) }
                    let start = all.firstIndex { compareInternalKeys($0.key, target) >= 0 } ?? all.count
                    scanForward(from: start, "seek \(k)")
                }
                // Backward a while, then forward again (a direction switch repositions every child).
                let target = ikey(userKey(100), 0)
                target.withUnsafeBytes { merged.seekForPrevious($0) }
                var model = all.lastIndex { compareInternalKeys($0.key, target) <= 0 } ?? -1
                for _ in 0..<25 where merged.isValid {
                    #expect(Array(merged.key) == all[model].key, "previous at \(model), round \(round)")
                    merged.previous()
                    model -= 1
                }
                #expect(merged.isValid)
                merged.next()
                scanForward(from: model + 1, "after previous")
                merged.seekToLast()
                model = all.count - 1
                while merged.isValid {
                    #expect(Array(merged.key) == all[model].key, "seekToLast/previous at \(model), round \(round)")
                    merged.previous()
                    model -= 1
                }
                #expect(model == -1)
                merged.seekToFirst()
                scanForward(from: 0, "seekToFirst again")
            }
        }
    }

    @Test func levelAloneAdvancesAcrossTables() throws {
        try withTemporaryDirectory { dir in
            let (files, entries) = try buildLevel(in: dir, tables: 40)
            let cache = TableCache(directory: dir, fileSystem: PosixFileSystem(), blockCache: nil, maxOpenFiles: 1)
            let level = LevelIterator(files: files, tableCache: cache, verifyChecksums: true, fillCache: false)
            for start in [0, 5, 31, entries.count - 1] {
                entries[start].key.withUnsafeBytes { level.seek($0) }
                var seen: [[UInt8]] = level.isValid ? [Array(level.key)] : []
                while let e = level.advance() {
                    #expect(Array(e.key) == Array(level.key))
                    #expect(Array(e.value) == Array(level.value))
                    seen.append(Array(e.key))
                }
                #expect(seen == entries[start...].map(\.key), "from \(start)")
                #expect(level.error == nil)
            }
            // A level positioned on no table (never positioned; seekForPrevious before its first
            // key) has no table to call: advance returns nil, and a later seek starts over.
            let fresh = LevelIterator(files: files, tableCache: cache, verifyChecksums: true, fillCache: false)
            #expect(fresh.advance() == nil)
            let before = ikey(Array("a".utf8), 1)
            before.withUnsafeBytes { fresh.seekForPrevious($0) }
            #expect(!fresh.isValid)
            #expect(fresh.advance() == nil)
            fresh.seekToFirst()
            var n = fresh.isValid ? 1 : 0
            while fresh.advance() != nil { n += 1 }
            #expect(n == entries.count)
        }
    }

    @Test func aTableThatCannotBeOpenedStopsTheMerge() throws {
        try withTemporaryDirectory { dir in
            let (files, entries) = try buildLevel(in: dir, tables: 20)
            try FileManager.default.removeItem(atPath: FileNames.table(dir, 12))   // table index 11
            let cache = TableCache(directory: dir, fileSystem: PosixFileSystem(), blockCache: nil, maxOpenFiles: -1)
            let level = LevelIterator(files: files, tableCache: cache, verifyChecksums: true, fillCache: false)
            let merged = MergingIterator([level])
            merged.seekToFirst()
            var seen: [[UInt8]] = []
            while merged.isValid {
                seen.append(Array(merged.key))
                merged.next()
            }
            let expected = entries.filter { e in
                files[..<11].contains { f in f.largest.withUnsafeBytes { l in e.key.withUnsafeBytes { compareInternalKeys($0, l) <= 0 } } }
            }.map(\.key)
            #expect(seen == expected)
            #expect(merged.error != nil)
            let target = ikey(userKey(3 * 12), 1)
            target.withUnsafeBytes { merged.seek($0) }
            // A seek past the missing table: the level's error is sticky (savedError), so the merge
            // stays stopped.
            #expect(!merged.isValid)
            #expect(merged.error != nil)
        }
    }
}
