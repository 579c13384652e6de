// SSTDump+Properties: `--show_properties`, printed as RocksDB 7.8's TableProperties::ToString
// with "\n  " between properties and ": " between name and value, then the raw user-collected
// properties in hex. The "unique ID" needs RocksDB's session-id hashing, which Sediment does
// not implement: it prints N/A (as RocksDB does for tables without a session id).
@_spi(Internals) import Sediment

extension SSTDump {
    /// `value` with six decimals, as printf("%f") prints it.
    static func fixed6(_ value: Double) -> String {
        guard value.isFinite, value >= 0, value < 1e12 else { return "\(value)" }
        let scaled = UInt64((value * 1_000_000).rounded())
        let frac = String(scaled % 1_000_000)
        return "\(scaled / 1_000_000)." + String(repeating: "0", count: 6 - frac.count) + frac
    }

    /// RocksDB's property list, name and value, in its order.
    static func propertyLines(_ p: TableProperties) -> [(String, String)] {
        func orNA(_ s: String) -> String { s.isEmpty ? "N/A" : s }
        var lines: [(String, String)] = [
            ("# data blocks", "\(p.numDataBlocks)"),
            ("# entries", "\(p.numEntries)"),
            ("# deletions", "\(p.numDeletions)"),
            ("# merge operands", "\(p.numMergeOperands)"),
            ("# range deletions", "\(p.numRangeDeletions)"),
            ("raw key size", "\(p.rawKeySize)"),
            ("raw average key size", fixed6(p.numEntries != 0 ? Double(p.rawKeySize) / Double(p.numEntries) : 0)),
            ("raw value size", "\(p.rawValueSize)"),
            ("raw average value size", fixed6(p.numEntries != 0 ? Double(p.rawValueSize) / Double(p.numEntries) : 0)),
            ("data block size", "\(p.dataSize)"),
            ("index block size (user-key? \(p.indexKeyIsUserKey), delta-value? \(p.indexValueIsDeltaEncoded))", "\(p.indexSize)"),
        ]
        if p.indexPartitions != 0 {
            lines.append(("# index partitions", "\(p.indexPartitions)"))
            lines.append(("top-level index size", "\(p.topLevelIndexSize)"))
        }
        lines += [
            ("filter block size", "\(p.filterSize)"),
            ("# entries for filter", "\(p.numFilterEntries)"),
            ("(estimated) table size", "\(p.dataSize &+ p.indexSize &+ p.filterSize)"),
            ("filter policy name", orNA(p.filterPolicyName)),
            ("prefix extractor name", orNA(p.prefixExtractorName)),
            ("column family ID", p.columnFamilyID == 0x7FFF_FFFF ? "N/A" : "\(p.columnFamilyID)"),
            ("column family name", orNA(p.columnFamilyName)),
            ("comparator name", orNA(p.comparatorName)),
            ("merge operator name", orNA(p.mergeOperatorName)),
            ("property collectors names", orNA(p.propertyCollectorsNames)),
            ("SST file compression algo", orNA(p.compressionName)),
            ("SST file compression options", orNA(p.compressionOptions)),
            ("creation time", "\(p.creationTime)"),
            ("time stamp of earliest key", "\(p.oldestKeyTime)"),
            ("file creation time", "\(p.fileCreationTime)"),
            ("slow compression estimated data size", "\(p.slowCompressionEstimatedDataSize)"),
            ("fast compression estimated data size", "\(p.fastCompressionEstimatedDataSize)"),
            ("DB identity", p.dbID),
            ("DB session identity", p.dbSessionID),
            ("DB host id", p.dbHostID),
            ("original file number", "\(p.originalFileNumber)"),
            ("unique ID", "N/A"),
            ("Sequence number to time mapping", p.seqnoToTimeMapping.isEmpty ? "" : "N/A"),
        ]
        return lines
    }

    /// TableProperties::ToString(delimiter, ": ").
    static func propertiesText(_ p: TableProperties, delimiter: String) -> String {
        propertyLines(p).map { "\($0.0): \($0.1)" + delimiter }.joined()
    }

    static func printProperties(_ p: TableProperties, _ out: inout SSTDumpOutput) {
        var text = "Table Properties:\n------------------------------\n  " + propertiesText(p, delimiter: "\n  ")
        text += "Raw user collected properties\n------------------------------\n"
        for (name, value) in p.userCollected { text += "  # \(name): 0x\(hex(value))\n" }
        out.write(Array(text.utf8))
    }
}
