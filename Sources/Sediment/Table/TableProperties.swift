// TableProperties: the properties block ("rocksdb.properties" in the metaindex), with RocksDB's
// property names. See DESIGN.md §6 "Properties block".
//
// A block (restart interval 1) of name → value, sorted bytewise by name. Numbers are varint64;
// names and strings are raw bytes. Names RocksDB 7.8 does not predefine become
// `userCollected` (as do rocksdb.deleted.keys and rocksdb.merge.operands, which RocksDB lists in
// both places), shown by sst_dump as "Raw user collected properties". Value type.

/// The decoded properties of a table.
@_spi(Internals) public struct TableProperties: Sendable, Equatable {
    public var numDataBlocks: UInt64 = 0
    public var numEntries: UInt64 = 0
    public var numDeletions: UInt64 = 0
    public var numMergeOperands: UInt64 = 0
    public var numRangeDeletions: UInt64 = 0
    public var rawKeySize: UInt64 = 0
    public var rawValueSize: UInt64 = 0
    public var dataSize: UInt64 = 0
    public var indexSize: UInt64 = 0
    public var indexPartitions: UInt64 = 0
    public var topLevelIndexSize: UInt64 = 0
    public var indexKeyIsUserKey: UInt64 = 0
    public var indexValueIsDeltaEncoded: UInt64 = 0
    public var filterSize: UInt64 = 0
    public var numFilterEntries: UInt64 = 0
    public var formatVersion: UInt64 = 0
    public var fixedKeyLength: UInt64 = 0
    /// RocksDB's kUnknownColumnFamily (printed as N/A) unless the table names one.
    public var columnFamilyID: UInt64 = 0x7FFF_FFFF
    public var creationTime: UInt64 = 0
    public var oldestKeyTime: UInt64 = 0
    public var fileCreationTime: UInt64 = 0
    public var slowCompressionEstimatedDataSize: UInt64 = 0
    public var fastCompressionEstimatedDataSize: UInt64 = 0
    public var originalFileNumber: UInt64 = 0
    public var dbID = ""
    public var dbSessionID = ""
    public var dbHostID = ""
    public var filterPolicyName = ""
    public var columnFamilyName = ""
    public var comparatorName = ""
    public var mergeOperatorName = ""
    public var prefixExtractorName = ""
    public var propertyCollectorsNames = ""
    public var compressionName = ""
    public var compressionOptions = ""
    public var seqnoToTimeMapping: [UInt8] = []
    /// Every other property, sorted by name, value bytes as stored.
    public var userCollected: [(name: String, value: [UInt8])] = []

    /// Empty properties.
    public init() {}

    public static func == (a: TableProperties, b: TableProperties) -> Bool {
        a.encodedEntries().elementsEqual(b.encodedEntries(), by: { $0.0 == $1.0 && $0.1 == $1.1 })
    }

    private static let numberKeys: [(String, any WritableKeyPath<TableProperties, UInt64> & Sendable)] = [
        ("rocksdb.original.file.number", \.originalFileNumber),
        ("rocksdb.raw.key.size", \.rawKeySize),
        ("rocksdb.raw.value.size", \.rawValueSize),
        ("rocksdb.data.size", \.dataSize),
        ("rocksdb.index.size", \.indexSize),
        ("rocksdb.index.partitions", \.indexPartitions),
        ("rocksdb.top-level.index.size", \.topLevelIndexSize),
        ("rocksdb.index.key.is.user.key", \.indexKeyIsUserKey),
        ("rocksdb.index.value.is.delta.encoded", \.indexValueIsDeltaEncoded),
        ("rocksdb.num.entries", \.numEntries),
        ("rocksdb.num.filter_entries", \.numFilterEntries),
        ("rocksdb.deleted.keys", \.numDeletions),
        ("rocksdb.merge.operands", \.numMergeOperands),
        ("rocksdb.num.range-deletions", \.numRangeDeletions),
        ("rocksdb.num.data.blocks", \.numDataBlocks),
        ("rocksdb.filter.size", \.filterSize),
        ("rocksdb.format.version", \.formatVersion),
        ("rocksdb.fixed.key.length", \.fixedKeyLength),
        ("rocksdb.column.family.id", \.columnFamilyID),
        ("rocksdb.creation.time", \.creationTime),
        ("rocksdb.oldest.key.time", \.oldestKeyTime),
        ("rocksdb.file.creation.time", \.fileCreationTime),
        ("rocksdb.sample_for_compression.slow.data.size", \.slowCompressionEstimatedDataSize),
        ("rocksdb.sample_for_compression.fast.data.size", \.fastCompressionEstimatedDataSize),
    ]

    private static let stringKeys: [(String, any WritableKeyPath<TableProperties, String> & Sendable)] = [
        ("rocksdb.creating.db.identity", \.dbID),
        ("rocksdb.creating.session.identity", \.dbSessionID),
        ("rocksdb.creating.host.identity", \.dbHostID),
        ("rocksdb.filter.policy", \.filterPolicyName),
        ("rocksdb.column.family.name", \.columnFamilyName),
        ("rocksdb.comparator", \.comparatorName),
        ("rocksdb.merge.operator", \.mergeOperatorName),
        ("rocksdb.prefix.extractor.name", \.prefixExtractorName),
        ("rocksdb.property.collectors", \.propertyCollectorsNames),
        ("rocksdb.compression", \.compressionName),
        ("rocksdb.compression_options", \.compressionOptions),
    ]

    /// `numberKeys` and `stringKeys` by name, for decoding (a table open decodes every name).
    private static let numberKeyPaths = Dictionary(uniqueKeysWithValues: numberKeys.map { ($0.0, $0.1) })
    private static let stringKeyPaths = Dictionary(uniqueKeysWithValues: stringKeys.map { ($0.0, $0.1) })

    /// `entries` sorted bytewise by name, each name's bytes taken once (a table build and a
    /// table open each sort about 40 names).
    private static func sortedByName(_ entries: [String: [UInt8]]) -> [(String, [UInt8])] {
        entries.map { (bytes: Array($0.key.utf8), name: $0.key, value: $0.value) }
            .sorted { compareBytes($0.bytes, $1.bytes) < 0 }
            .map { ($0.name, $0.value) }
    }

    /// Numbers RocksDB writes only when non-zero.
    private static let omittedWhenZero: Set<String> = [
        "rocksdb.index.partitions", "rocksdb.top-level.index.size", "rocksdb.file.creation.time",
        "rocksdb.sample_for_compression.slow.data.size", "rocksdb.sample_for_compression.fast.data.size",
    ]

    /// The (name, value) entries RocksDB 7.8 would write for these properties, sorted by name.
    func encodedEntries() -> [(String, [UInt8])] {
        var out: [String: [UInt8]] = [:]
        for (name, path) in TableProperties.numberKeys {
            let v = self[keyPath: path]
            if v == 0 && TableProperties.omittedWhenZero.contains(name) { continue }
            var b: [UInt8] = []
            b.appendVarint64(v)
            out[name] = b
        }
        for (name, path) in TableProperties.stringKeys where !self[keyPath: path].isEmpty {
            out[name] = Array(self[keyPath: path].utf8)
        }
        if !seqnoToTimeMapping.isEmpty { out["rocksdb.seqno.time.map"] = seqnoToTimeMapping }
        for (name, value) in userCollected where out[name] == nil { out[name] = value }
        return TableProperties.sortedByName(out)
    }

    /// The serialized properties block (before compression/trailer).
    func encodeBlock() -> [UInt8] {
        var builder = BlockBuilder(restartInterval: 1)
        for (name, value) in encodedEntries() { builder.add(Array(name.utf8), value) }
        return builder.finish()
    }

    /// Decodes a properties block.
    /// - Throws: `.corruption` naming the block's file and offset on malformed or unsorted entries.
    static func decode(_ block: Block) throws -> TableProperties {
        var p = TableProperties()
        var userCollected: [String: [UInt8]] = [:]
        var cursor = BlockCursor(block: block, order: .bytewise)
        defer { cursor.release() }
        var last: [UInt8]? = nil
        cursor.seekToFirst()
        while cursor.isValid {
            let nameBytes = Array(cursor.key)
            if let last, compareBytes(last, nameBytes) >= 0 {
                throw SedimentError.corruption(file: block.file, offset: Int64(block.offset), message: "properties unsorted")
            }
            last = nameBytes
            let name = String(decoding: nameBytes, as: UTF8.self)
            let value = cursor.value
            if let path = numberKeyPaths[name] {
                if name == "rocksdb.deleted.keys" || name == "rocksdb.merge.operands" {
                    userCollected[name] = Array(value)
                }
                // RocksDB skips a malformed number (it logs and continues); so do we.
                if let (v, _) = value.decodeVarint64(at: 0, limit: value.count) { p[keyPath: path] = v }
            } else if let path = stringKeyPaths[name] {
                p[keyPath: path] = String(decoding: value, as: UTF8.self)
            } else if name == "rocksdb.seqno.time.map" {
                p.seqnoToTimeMapping = Array(value)
            } else {
                userCollected[name] = Array(value)
            }
            cursor.next()
        }
        if let e = cursor.error { throw e }
        p.userCollected = sortedByName(userCollected).map { (name: $0.0, value: $0.1) }
        return p
    }

    /// The value of a user-collected property, if present.
    func userProperty(_ name: String) -> [UInt8]? {
        userCollected.first(where: { $0.name == name })?.value
    }
}
