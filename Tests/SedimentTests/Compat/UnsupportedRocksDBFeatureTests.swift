// What Sediment does not support in a RocksDB database is refused when opening, with
// `.notSupported` naming the feature and the file, and the directory is left as it was (nothing
// half-applied): a second column family, merge operands (in the log and in tables), range
// deletions (in the log and in tables), Snappy-compressed tables, plain tables, a timestamp comparator,
// a compressed WAL, blob files, recyclable log records and tables ingested under a global
// sequence number (recorded in the MANIFEST, or written into the table). Each database is made by RocksDB
// 7.8.3's own ldb or db_bench.
import Foundation
import Testing
import SedimentTestSupport
@testable import Sediment

/// A RocksDB database made with some feature, and what Sediment must say about it.
struct UnsupportedCase: CustomStringConvertible, Sendable {
    /// Test name.
    var description: String
    /// Tool runs that make the database, each `(tool path, arguments without --db)`.
    var steps: [(tool: String, arguments: [String])]
    /// A part of the refused feature's name.
    var feature: String
    /// A part of the refused file's name (`MANIFEST-`, `.log`, `.sst`).
    var file: String
    /// Rewrites the newest OPTIONS file after the first step (for settings no flag reaches).
    var optionsEdit: [(String, String)] = []
    /// Standard input for some steps, by step index. In arguments, `$DB` stands for the
    /// database's path.
    var input: [Int: String] = [:]
}

private let ldb = RocksDBTools.ldbPath
private let bench = RocksDBTools.dbBenchPath
private let smallFlushes = ["--num=1000", "--compression_type=none", "--write_buffer_size=32768"]

@Suite struct UnsupportedRocksDBFeatureTests {
    static let cases: [UnsupportedCase] = [
        UnsupportedCase(description: "second column family",
                        steps: [(ldb, ["--create_if_missing", "--compression_type=no", "put", "a", "1"]),
                                (ldb, ["create_column_family", "cf1"]),
                                (ldb, ["--column_family=cf1", "put", "x", "y"])],
                        feature: "column family", file: "MANIFEST-"),
        UnsupportedCase(description: "merge operand in the log",
                        steps: [(bench, ["--benchmarks=mergerandom", "--merge_operator=uint64add", "--num=100",
                                         "--compression_type=none"])],
                        feature: "merge operand", file: ".log"),
        UnsupportedCase(description: "merge operands in tables",
                        steps: [(bench, ["--benchmarks=mergerandom", "--merge_operator=uint64add"] + smallFlushes)],
                        feature: "merge operands", file: ".sst"),
        UnsupportedCase(description: "range deletion in the log",
                        steps: [(ldb, ["--create_if_missing", "--compression_type=no", "put", "a", "1"]),
                                (ldb, ["put", "b", "2"]),
                                (ldb, ["deleterange", "a", "b"])],
                        feature: "range deletion", file: ".log"),
        UnsupportedCase(description: "range deletions in tables",
                        steps: [(bench, ["--benchmarks=fillrandom", "--writes_per_range_tombstone=10",
                                         "--max_num_range_tombstones=100", "--range_tombstone_width=5"] + smallFlushes)],
                        feature: "range deletions", file: ".sst"),
        UnsupportedCase(description: "Snappy tables",
                        steps: [(ldb, ["--create_if_missing", "--compression_type=snappy", "put", "a", "1"]),
                                (ldb, ["put", "b", "2"])],
                        feature: "Snappy", file: ".sst"),
        UnsupportedCase(description: "plain tables",
                        steps: [(bench, ["--benchmarks=fillrandom", "--num=100", "--use_plain_table", "--prefix_size=8",
                                         "--compression_type=none"]),
                                (ldb, ["--try_load_options", "compact"])],
                        feature: "plain table format", file: ".sst"),
        UnsupportedCase(description: "user-defined timestamps",
                        steps: [(bench, ["--benchmarks=fillrandom", "--num=100", "--compression_type=none",
                                         "--user_timestamp_size=8"])],
                        feature: "comparator leveldb.BytewiseComparator.u64ts", file: "MANIFEST-"),
        UnsupportedCase(description: "compressed WAL",
                        steps: [(bench, ["--benchmarks=fillrandom", "--num=100", "--compression_type=none",
                                         "--wal_compression=zstd"])],
                        feature: "compressed write-ahead log", file: ".log"),
        UnsupportedCase(description: "blob files",
                        steps: [(bench, ["--benchmarks=fillrandom", "--enable_blob_files=true"] + smallFlushes)],
                        feature: "blob files", file: "MANIFEST-"),
        UnsupportedCase(description: "recyclable log records",
                        steps: [(ldb, ["--create_if_missing", "--compression_type=no", "put", "a", "1"]),
                                (ldb, ["--try_load_options", "put", "b", "2"])],
                        feature: "recyclable log records", file: ".log",
                        optionsEdit: [("recycle_log_file_num=0", "recycle_log_file_num=1"),
                                      ("wal_recovery_mode=kPointInTimeRecovery", "wal_recovery_mode=kSkipAnyCorruptedRecords")]),
        // The ingested table's keys are stored at sequence 0 and read at 3, a number only the
        // MANIFEST holds: read at 0, k = old would shadow k = new.
        UnsupportedCase(description: "table ingested under a global sequence number",
                        steps: [(ldb, ["--create_if_missing", "--compression_type=no", "put", "k", "old"]),
                                (ldb, ["put", "j", "other"]),
                                (ldb, ["write_extern_sst", "$DB.external.sst"]),
                                (ldb, ["ingest_extern_sst", "$DB.external.sst", "--write_global_seqno=false"])],
                        feature: "IngestExternalFile", file: ".sst", input: [2: "k ==> new\n"]),
        // RocksDB's default: the number written into the properties block in place, its
        // checksum left as it was (verified with the number zeroed, as RocksDB does).
        UnsupportedCase(description: "table ingested with the number written into it",
                        steps: [(ldb, ["--create_if_missing", "--compression_type=no", "put", "k", "old"]),
                                (ldb, ["put", "j", "other"]),
                                (ldb, ["write_extern_sst", "$DB.external.sst"]),
                                (ldb, ["ingest_extern_sst", "$DB.external.sst"])],
                        feature: "IngestExternalFile", file: ".sst", input: [2: "k ==> new\n"]),
    ]

    @Test(arguments: cases)
    func refusedAtOpenNamingFeatureAndFile(_ c: UnsupportedCase) throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/db"
            for (i, step) in c.steps.enumerated() {
                let arguments = step.arguments.map { $0.replacingOccurrences(of: "$DB", with: path) }
                let run = try runTool(step.tool, ["--db=\(path)"] + arguments, input: c.input[i])
                try #require(run.status == 0, "\(step.tool) \(step.arguments): \(run.stdout) \(run.stderr)")
                if i == 0 && !c.optionsEdit.isEmpty { try editNewestOptionsFile(path, c.optionsEdit) }
            }
            let before = try directoryListing(path)
            var options = Options()
            options.createIfMissing = false
            do {
                _ = try Database(path: path, options: options)
                Issue.record("Sediment opened a database with \(c.description)")
            } catch let error as SedimentError {
                guard case let .notSupported(feature, file) = error else {
                    Issue.record("expected .notSupported, got \(error)")
                    return
                }
                #expect(feature.contains(c.feature), "\(error)")
                #expect(file.hasPrefix(path + "/") && file.contains(c.file), "\(error)")
            }
            // Nothing was written, renamed or removed.
            #expect(try directoryListing(path) == before)
        }
    }

    /// Applies `edits` (old line text → new) to the highest-numbered OPTIONS file in `path`.
    private func editNewestOptionsFile(_ path: String, _ edits: [(String, String)]) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasPrefix("OPTIONS-") }.sorted()
        let name = try #require(names.last)
        var text = try String(contentsOfFile: path + "/" + name, encoding: .utf8)
        for (old, new) in edits {
            #expect(text.contains(old), "\(name) has no \(old)")
            text = text.replacingOccurrences(of: old, with: new)
        }
        try text.write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
    }
}
