// TableFeatureCheck: at open, refuses a database whose live tables use RocksDB features Sediment
// does not read, before any of them is served (DESIGN.md §12 "What Sediment rejects").
//
// Each live table is opened through the TableCache (so the work also warms it) and its
// properties are checked: merge operands, range deletions, a comparator other than bytewise, a
// column family other than the default, block compression other than none/LZ4/Zlib, and a
// compression dictionary all give `.notSupported` naming the feature and the table, and so does
// a table RocksDB ingested (`IngestExternalFile`) under a global sequence number: its keys are
// stored with sequence 0 and RocksDB reads them at that number, which Sediment does not (read
// as 0 they would sort below older versions of the same keys). The MANIFEST
// and the logs are checked where they are decoded (VersionEdit+Decoding, WriteBatch, RecordReader).
// Stateless; called once during open, before the core is shared.

enum TableFeatureCheck {
    /// Opens every table of `version` and checks it.
    /// - Throws: `.notSupported` naming the feature and the table; `.corruption`/`.io` from
    ///   opening a damaged or unreadable table.
    static func checkLiveTables(_ version: Version, _ tableCache: TableCache) throws {
        for level in version.levels {
            for f in level {
                try check(tableCache.reader(number: f.number, size: f.size), manifestLargestSequence: f.largestSequence)
            }
        }
    }

    /// The comparator names that order keys as Sediment does.
    static let bytewiseComparators: Set<String> = ["", "leveldb.BytewiseComparator"]

    /// The block compressions Sediment decodes, by the name RocksDB records.
    static let readableCompressions: Set<String> = ["", "NoCompression", "LZ4", "Zlib"]

    /// Checks one table's properties and meta blocks. `manifestLargestSequence` is the largest
    /// sequence the MANIFEST records for the table (nil when no MANIFEST names it, as in repair).
    /// - Throws: `.notSupported` naming the first unsupported feature and the table.
    static func check(_ table: TableReader, manifestLargestSequence: UInt64?) throws {
        let p = table.properties
        func refuse(_ feature: String) -> SedimentError { .notSupported(feature: feature, file: table.path) }
        if let g = ingestedSequence(p, manifestLargestSequence: manifestLargestSequence), g != 0 {
            throw refuse("a file ingested with IngestExternalFile at global sequence number \(g)")
        }
        if p.numMergeOperands > 0 {
            throw refuse("merge operands (\(p.numMergeOperands))")
        }
        if p.numRangeDeletions > 0 || table.metaHandles.contains(where: { $0.name == "rocksdb.range_del" }) {
            throw refuse("range deletions (\(p.numRangeDeletions))")
        }
        if !bytewiseComparators.contains(p.comparatorName) {
            throw refuse("comparator \(p.comparatorName)")
        }
        if p.columnFamilyID != 0 && p.columnFamilyID != 0x7FFF_FFFF {
            throw refuse("column family \(p.columnFamilyID) (\(p.columnFamilyName))")
        }
        if !readableCompressions.contains(p.compressionName) {
            throw refuse("\(p.compressionName) block compression")
        }
        if table.metaHandles.contains(where: { $0.name == "rocksdb.compression_dict" }) {
            throw refuse("compression dictionary")
        }
    }
}

extension TableFeatureCheck {
    /// The global sequence number RocksDB reads every key of an ingested table at, or nil for a
    /// table that was not ingested (RocksDB's GetGlobalSequenceNumber): an external file of
    /// version >= 2 (`rocksdb.external_sst_file.version`, fixed32) takes its
    /// `rocksdb.external_sst_file.global_seqno` (fixed64) or, when that is 0 or absent (ingested
    /// with `write_global_seqno = false`: the number is in the MANIFEST only), the MANIFEST's
    /// largest sequence for the table. 0 means the keys' own sequence numbers (all 0) are the
    /// ones to read.
    static func ingestedSequence(_ p: TableProperties, manifestLargestSequence: UInt64?) -> UInt64? {
        guard let version = p.userProperty("rocksdb.external_sst_file.version"), version.count >= 4,
              version.withUnsafeBytes({ $0.loadFixed32(at: 0) }) >= 2 else { return nil }
        var global: UInt64 = 0
        if let g = p.userProperty("rocksdb.external_sst_file.global_seqno"), g.count >= 8 {
            global = g.withUnsafeBytes { $0.loadFixed64(at: 0) }
        }
        return global != 0 ? global : (manifestLargestSequence ?? 0)
    }
}
