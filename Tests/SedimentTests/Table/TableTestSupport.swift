// TableTestSupport: helpers shared by the table tests: building tables from sorted entries,
// opening them, making internal keys, and running RocksDB's tools as subprocesses.
import Foundation
import Testing
import SedimentTestSupport
@_spi(Internals) @testable import Sediment

/// An internal key for `user` at `sequence` with `kind`.
func ikey(_ user: [UInt8], _ sequence: UInt64, _ kind: ValueKind = .value) -> [UInt8] {
    InternalKey(userKey: user, sequence: sequence, kind: kind).encoded
}

/// Writes `entries` (sorted encoded internal keys) to `path` as a table.
@discardableResult
func buildTable(at path: String, _ entries: [(key: [UInt8], value: [UInt8])],
                options: TableBuilderOptions, creationTime: UInt64 = 0) throws -> UInt64 {
    let file = try PosixFileSystem().createForWriting(path)
    let builder = TableBuilder(file: file, options: options, creationTime: creationTime)
    for e in entries { try builder.add(e.key, e.value) }
    let size = try builder.finish()
    try file.close()
    return size
}

/// Opens the table at `path`.
func openTable(_ path: String, cache: BlockCache? = nil, fileNumber: UInt64 = 1) throws -> TableReader {
    let fs = PosixFileSystem()
    return try TableReader.open(file: fs.openForReading(path), fileSize: fs.fileSize(path),
                                fileNumber: fileNumber, blockCache: cache)
}

/// Every entry of an iterator, forward.
func scanAll(_ it: some InternalIterator) -> [(key: [UInt8], value: [UInt8])] {
    var out: [(key: [UInt8], value: [UInt8])] = []
    it.seekToFirst()
    while it.isValid {
        out.append((Array(it.key), Array(it.value)))
        it.next()
    }
    return out
}

/// RocksDB's sst_dump output without its first line ("options.env is 0x…", a pointer).
func rocksSSTDump(_ arguments: [String]) throws -> ProcessResult {
    var r = try run("/usr/bin/sst_dump", arguments)
    if let nl = r.stdout.firstIndex(of: 10), r.stdout.starts(with: Array("options.env is".utf8)) {
        r.stdout.removeSubrange(...nl)
    }
    return r
}

/// Random bytes.
func randomBytes(_ n: Int, using rng: inout SeededRandom) -> [UInt8] {
    (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
}
