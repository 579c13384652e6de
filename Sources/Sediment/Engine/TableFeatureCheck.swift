// TableFeatureCheck: at open, refuses a database whose live tables use RocksDB features Sediment
// does not read, before any of them is served (DESIGN.md §12 "What Sediment rejects").
//
// Each live table is opened through the TableCache (so the work also warms it) and its
// properties are checked: merge operands, range deletions, a comparator other than bytewise, a
// column family other than the default, block compression other than none/LZ4/Zlib, and a
// compression dictionary all give `.notSupported` naming the feature and the table. The MANIFEST
// and the logs are checked where they are decoded (VersionEdit+Decoding, WriteBatch, RecordReader).
// Stateless; called once during open, before the core is shared.

enum TableFeatureCheck {
    /// Opens every table of `version` and checks it.
    /// - Throws: `.notSupported` naming the feature and the table; `.corruption`/`.io` from
    ///   opening a damaged or unreadable table.
    static func checkLiveTables(_ version: Version, _ tableCache: TableCache) throws {
        for level in version.levels {
            for f in level {
                try check(tableCache.reader(number: f.number, size: f.size))
            }
        }
    }

    /// The comparator names that order keys as Sediment does.
    static let bytewiseComparators: Set<String> = ["", "leveldb.BytewiseComparator"]

    /// The block compressions Sediment decodes, by the name RocksDB records.
    static let readableCompressions: Set<String> = ["", "NoCompression", "LZ4", "Zlib"]

    /// Checks one table's properties and meta blocks.
    /// - Throws: `.notSupported` naming the first unsupported feature and the table.
    static func check(_ table: TableReader) throws {
        let p = table.properties
        func refuse(_ feature: String) -> SedimentError { .notSupported(feature: feature, file: table.path) }
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
