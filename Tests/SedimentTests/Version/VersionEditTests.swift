// Tests for VersionEdit: round trips of every field, RocksDB's older new-file encodings, custom
// fields, ignorable tags, and damaged or unsupported edits.
import Testing
@testable import Sediment

/// An encoded internal key for tests.
func ikey(_ user: String, _ seq: UInt64, _ kind: ValueKind = .value) -> [UInt8] {
    InternalKey(userKey: Array(user.utf8), sequence: seq, kind: kind).encoded
}

/// A file for tests covering [lo#loSeq, hi#hiSeq].
func tableFile(_ number: UInt64, _ lo: String, _ hi: String, seqs: ClosedRange<UInt64> = 1...9, size: UInt64 = 1000) -> FileMetadata {
    FileMetadata(number: number, size: size, smallest: ikey(lo, seqs.lowerBound), largest: ikey(hi, seqs.upperBound, .deletion),
                 smallestSequence: seqs.lowerBound, largestSequence: seqs.upperBound)
}

@Suite struct VersionEditTests {
    private func fullEdit() -> VersionEdit {
        var e = VersionEdit()
        e.comparator = bytewiseComparatorName
        e.logNumber = 12
        e.prevLogNumber = 3
        e.nextFileNumber = 1 << 40
        e.lastSequence = maxSequenceNumber
        e.minLogNumberToKeep = 11
        e.maxColumnFamily = 0
        e.dbID = "a1b2-c3"
        e.deleteFile(level: 0, number: 5)
        e.deleteFile(level: 6, number: 300)
        e.addFile(level: 0, tableFile(7, "a", "k"))
        e.addFile(level: 3, tableFile(8, "", "\u{7F}zz", seqs: 0...UInt64(1 << 50), size: UInt64(1) << 41))
        return e
    }

    @Test func roundTripsEveryField() throws {
        let e = fullEdit()
        #expect(try VersionEdit.decode(e.encode(), file: "M") == e)
    }

    @Test func roundTripsEmptyAndSingleFieldEdits() throws {
        #expect(try VersionEdit.decode(VersionEdit().encode(), file: "M") == VersionEdit())
        #expect(VersionEdit().encode().isEmpty)
        var e = VersionEdit()
        e.lastSequence = 0
        #expect(try VersionEdit.decode(e.encode(), file: "M") == e)
        #expect(e.encode() == [4, 0])
    }

    @Test func newFile4LayoutIsRocksDBs() {
        var e = VersionEdit()
        e.addFile(level: 1, FileMetadata(number: 9, size: 300, smallest: ikey("a", 1), largest: ikey("b", 2),
                                         smallestSequence: 1, largestSequence: 2))
        var want: [UInt8] = [103, 1, 9, 0xAC, 0x02, 9]
        want += ikey("a", 1)
        want += [9] + ikey("b", 2)
        want += [1, 2, 1]
        #expect(e.encode() == want)
    }

    @Test func descriptionUsesPebbleNotation() {
        #expect(tableFile(12, "a", "k", seqs: 5...9).description == "000012:[a#5,SET-k#9,DEL]")
    }

    @Test func decodesOlderNewFileEncodingsAndCustomFields() throws {
        var bytes: [UInt8] = [7, 2, 4, 100]                   // NewFile: level 2, #4, size 100
        bytes += [9] + ikey("a", 1) + [9] + ikey("c", 3)
        bytes += [100, 1, 5, 50] + [9] + ikey("d", 4) + [9] + ikey("e", 6) + [4, 6] // NewFile2
        bytes += [102, 0, 6, 0, 60] + [9] + ikey("f", 7) + [9] + ikey("g", 8) + [7, 8] // NewFile3, path 0
        bytes += [103, 0, 10, 70] + [9] + ikey("h", 9) + [9] + ikey("i", 9) + [9, 9]  // NewFile4 with fields:
        bytes += [5, 1, 0x2A]                                   //   oldest ancester time
        bytes += [2, 1, 1]                                      //   need compaction
        bytes += [3, 8, 21, 0, 0, 0, 0, 0, 0, 0]                //   min log number to keep (fixed64)
        bytes += [65, 1, 0]                                     //   path id 0
        bytes += [40, 2, 0xEE, 0xEE]                            //   unknown, safe to ignore
        bytes += [1]
        bytes += [0xC3, 0x40, 3, 0x61, 0x62, 0x63]              // tag 8259: ignorable, skipped
        bytes += [200, 1, 0]                                    // column family 0
        bytes += [5, 1] + [9] + ikey("z", 1)                    // compact cursor, ignored
        let e = try VersionEdit.decode(bytes, file: "M")
        #expect(e.newFiles.map(\.file.number) == [4, 5, 6, 10])
        #expect(e.newFiles.map(\.level) == [2, 1, 0, 0])
        #expect(e.newFiles[0].file.largestSequence == maxSequenceNumber)
        #expect(e.newFiles[1].file.smallestSequence == 4 && e.newFiles[1].file.largestSequence == 6)
        #expect(e.minLogNumberToKeep == 21)
    }

    @Test func damagedEditsAreCorruption() throws {
        let good = fullEdit().encode()
        // Every strict prefix that cuts a field is corruption naming the file (cuts between
        // fields decode to a smaller edit).
        var corruptions = 0
        for cut in 1..<good.count {
            do {
                _ = try VersionEdit.decode(Array(good.prefix(cut)), file: "db/MANIFEST-000001")
            } catch let SedimentError.corruption(file, _, _) {
                #expect(file == "db/MANIFEST-000001")
                corruptions += 1
            }
        }
        #expect(corruptions > good.count / 2)
        let bad: [[UInt8]] = [
            [99, 1],                                          // unknown tag
            [2],                                              // truncated log number
            [2, 0x80, 0x80],                                  // truncated varint
            [103, 0, 1, 1, 3, 1, 2, 3],                       // short internal key
            [103, 0, 1, 1, 9] + ikey("a", 1) + [9] + ikey("b", 1) + [1, 1], // no terminator
            [6, 0x80, 0x01, 5],                               // level 128
        ]
        for b in bad {
            #expect(throws: SedimentError.self) { try VersionEdit.decode(b, file: "M") }
            do { _ = try VersionEdit.decode(b, file: "M") } catch let e as SedimentError {
                guard case .corruption(file: "M", _, _) = e else { Issue.record("\(b): \(e)"); continue }
            }
        }
    }

    /// File numbers above Int64.max, file sizes above Int64.max and sequence numbers above
    /// 2^56 - 1 are corruption: used as numbers they overflowed (next file number + 1, a read
    /// at size - 53, sequence + 1) and trapped. The largest accepted values still decode.
    @Test func numbersOutOfRangeAreCorruption() throws {
        var largest = VersionEdit()
        largest.logNumber = FileNames.maxNumber
        largest.nextFileNumber = FileNames.maxNumber
        largest.lastSequence = maxSequenceNumber
        largest.addFile(level: 1, tableFile(FileNames.maxNumber, "a", "b", seqs: 0...maxSequenceNumber, size: UInt64(Int64.max)))
        #expect(try VersionEdit.decode(largest.encode(), file: "M") == largest)

        var edits: [VersionEdit] = []
        for change in [{ (e: inout VersionEdit) in e.logNumber = .max }, { $0.prevLogNumber = FileNames.maxNumber + 1 },
                       { $0.nextFileNumber = .max }, { $0.lastSequence = maxSequenceNumber + 1 },
                       { $0.minLogNumberToKeep = .max }, { $0.deleteFile(level: 2, number: .max) },
                       { $0.addFile(level: 0, tableFile(.max, "a", "b")) },
                       { $0.addFile(level: 0, tableFile(9, "a", "b", size: .max)) },
                       { $0.addFile(level: 0, tableFile(9, "a", "b", seqs: 1...(maxSequenceNumber + 1))) }] {
            var e = VersionEdit()
            change(&e)
            edits.append(e)
        }
        for e in edits {
            let thrown = #expect(throws: SedimentError.self) { try VersionEdit.decode(e.encode(), file: "db/MANIFEST-000004") }
            guard case .corruption(file: "db/MANIFEST-000004", _, let message)? = thrown else {
                Issue.record("\(e): \(String(describing: thrown))"); continue
            }
            #expect(message.contains("out of range"))
        }
    }

    @Test func unsupportedFeaturesNameTheManifest() {
        let file = "db/MANIFEST-000009"
        let comparator: [UInt8] = [1, 3] + Array("rev".utf8)
        let cases: [([UInt8], String)] = [
            (comparator, "comparator rev"),
            ([200, 1, 1], "column family 1"),
            ([201, 1, 3] + Array("abc".utf8), "column families other than default"),
            ([202, 1], "column families other than default"),
            ([0xAC, 0x02, 1], "atomic groups"),
            ([0x90, 0x03], "blob files"),
            ([102, 0, 6, 1, 60] + [9] + ikey("f", 7) + [9] + ikey("g", 8) + [7, 8], "db_paths (path id 1)"),
            ([103, 0, 10, 70] + [9] + ikey("h", 9) + [9] + ikey("i", 9) + [9, 9, 65, 1, 2, 1], "db_paths (path id 2)"),
            ([103, 0, 10, 70] + [9] + ikey("h", 9) + [9] + ikey("i", 9) + [9, 9, 4, 1, 3, 1], "blob files"),
            ([103, 0, 10, 70] + [9] + ikey("h", 9) + [9] + ikey("i", 9) + [9, 9, 10, 1, 3, 1], "user-defined timestamps"),
            ([103, 0, 10, 70] + [9] + ikey("h", 9) + [9] + ikey("i", 9) + [9, 9, 70, 1, 3, 1], "new file custom field 70"),
        ]
        for (bytes, feature) in cases {
            let thrown = #expect(throws: SedimentError.self) { try VersionEdit.decode(bytes, file: file) }
            #expect(thrown == .notSupported(feature: feature, file: file))
        }
    }

    /// RocksDB 6.x's WAL-tracking records (tags 8196 and 8197) sit in the ignorable range but
    /// carry no length prefix: they are read field by field, not skipped by a length (which
    /// misread the rest of the edit); its deprecated blob records (8194, 8195) are refused.
    @Test func unprefixedRocksDB6RecordsAreReadByTheirOwnLayout() throws {
        var bytes: [UInt8] = [0x84, 0x40, 7, 2, 100, 1]           // WalAddition: log 7, synced size 100, end
        bytes += [0x85, 0x40, 3]                                  // WalDeletion: log 3
        bytes += [3, 42]                                          // next file number 42
        bytes += [4, 9]                                           // last sequence 9
        let e = try VersionEdit.decode(bytes, file: "M")
        #expect(e.nextFileNumber == 42)
        #expect(e.lastSequence == 9)
        for tag: [UInt8] in [[0x82, 0x40], [0x83, 0x40]] {
            let thrown = #expect(throws: SedimentError.self) { try VersionEdit.decode(tag + [1, 2, 3], file: "M") }
            #expect(thrown == .notSupported(feature: "blob files", file: "M"))
        }
        let unknown = #expect(throws: SedimentError.self) { try VersionEdit.decode([0x84, 0x40, 7, 9], file: "M") }
        guard case .corruption? = unknown else { Issue.record("got \(String(describing: unknown))"); return }
    }
}
