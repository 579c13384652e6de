// SedimentFuzz: the libFuzzer harness for Sediment's file parsers (issue 7), built outside
// SwiftPM by Fuzz/build.sh with `-sanitize=fuzzer` (not run in CI; the deterministic
// ParserFuzzTests run the same entry points in the suite). The first input byte picks the
// parser; the rest is the file:
//   0 table open + scan + get + verify (checksums on)   1 the same with checksums off
//   2 block decoder                                      3 footer
//   4 record reader, every recovery mode, + WriteBatch   5 MANIFEST: records + VersionEdit + apply
//   6 WriteBatch decoder                                 7 filter block
// Any SedimentError is a pass; a trap, a leak report or a timeout is a finding: make it a
// fixture and a regression test. Seed corpora: Fuzz/seed-corpus.sh writes them from Fixtures/.
@_spi(Internals) @testable import Sediment

/// A read-only file over bytes in memory.
struct FuzzFile: RandomAccessFile {
    let path: String
    let bytes: [UInt8]
    func size() throws -> UInt64 { UInt64(bytes.count) }
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard offset < UInt64(bytes.count) else { return 0 }
        let n = min(buffer.count, bytes.count - Int(offset))
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[Int(offset)..<Int(offset) + n])) }
        return n
    }
}

func fuzzOne(_ selector: UInt8, _ bytes: [UInt8]) throws {
    switch selector % 8 {
    case 0, 1:
        let verify = selector % 8 == 0
        let table = try TableReader.open(file: FuzzFile(path: "fuzz.sst", bytes: bytes), fileSize: UInt64(bytes.count),
                                         fileNumber: 1, blockCache: nil)
        let it = table.makeIterator(verifyChecksums: verify, fillCache: false)
        it.seekToFirst()
        var steps = 0
        while it.isValid && steps < 10_000 { it.next(); steps += 1 }
        for k in ["user/00010", "zzz"] {
            _ = try Array(k.utf8).withUnsafeBytes { try table.get(userKey: $0, sequence: .max >> 8, verifyChecksums: verify) }
        }
        try table.verifyChecksums()
    case 2:
        let block = try Block.make(copying: bytes, file: "fuzz", offset: 0)
        var c = BlockCursor(block: block, order: .internalKey)
        defer { c.release() }
        c.seekToFirst()
        var steps = 0
        while c.isValid && steps < 10_000 { c.next(); steps += 1 }
        c.seekToLast()
        while c.isValid && steps < 20_000 { c.previous(); steps += 1 }
    case 3:
        _ = try bytes.withUnsafeBytes { try Footer.decode(tail: $0, fileSize: UInt64(bytes.count), file: "fuzz") }
    case 4:
        for mode in [WALRecoveryMode.absoluteConsistency, .tolerateCorruptedTailRecords, .pointInTime, .skipAnyCorruptedRecords] {
            let reader = RecordReader(file: FuzzFile(path: "fuzz.log", bytes: bytes), mode: mode)
            while let record = try? reader.readRecord() {
                try? WriteBatch(encoded: record).forEach(file: "fuzz.log") { _, _, _ in }
            }
        }
    case 5:
        let reader = RecordReader(file: FuzzFile(path: "MANIFEST-fuzz", bytes: bytes), mode: .tolerateCorruptedTailRecords)
        var version = Version(numLevels: 7)
        while let record = try reader.readRecord() {
            version = try version.applying(VersionEdit.decode(record, file: "MANIFEST-fuzz"))
        }
    case 6:
        try WriteBatch(encoded: bytes).forEach(file: "fuzz") { _, _, _ in }
    default:
        let filter = FilterBlockReader(contents: bytes)
        _ = Array("user/00001".utf8).withUnsafeBytes { filter.mayMatch($0) }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    do { try fuzzOne(data[0], bytes) } catch is SedimentError {} catch {
        preconditionFailure("non-Sediment error \(error)")
    }
    return 0
}
