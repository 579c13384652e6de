// SSTDump+Raw: `--command=raw` writes `<file minus .sst>_dump.txt` in the layout of RocksDB's
// BlockBasedTable::DumpTable: footer, metaindex handles, properties, every index entry, every
// data block's entries (hex and spaced ASCII), a data-block size summary and the range
// deletions of a table that has them.
@_spi(Internals) import Sediment

extension SSTDump {
    /// The raw dump of `table`.
    static func rawDump(_ table: TableReader) throws -> [UInt8] {
        var out: [UInt8] = []
        func put(_ s: String) { out.append(contentsOf: s.utf8) }
        func handleHex(_ h: BlockHandle) -> String {
            var b: [UInt8] = []
            appendVarint(h.offset, &b)
            appendVarint(h.size, &b)
            return hex(b)
        }
        func ascii(_ bytes: UnsafeRawBufferPointer, escapeNul: Bool) {
            for b in bytes {
                if escapeNul && b == 0 { put("\\0") } else { out.append(b) }
                out.append(0x20)
            }
        }
        /// One entry as RocksDB's DumpKeyValue: the internal key's user key => the value.
        func entry(_ key: [UInt8], _ value: [UInt8]) {
            let user = key.count >= 8 ? Array(key[0..<key.count - 8]) : key
            put("  HEX    \(hex(user)): \(hex(value))\n  ASCII  ")
            user.withUnsafeBytes { ascii($0, escapeNul: true) }
            put(": ")
            value.withUnsafeBytes { ascii($0, escapeNul: true) }
            put("\n  ------\n")
        }
        put("Footer Details:\n--------------------------------------\n")
        put("  metaindex handle: \(handleHex(table.metaindexHandle))\n  ")
        put("index handle: \(handleHex(table.indexHandle))\n  ")
        // RocksDB reads a legacy (LevelDB-magic) footer as block-based format_version 0 and
        // prints it so: the block-based magic, then "format version: 0".
        put("table_magic_number: \(0x88e2_41b7_85f4_cff7 as UInt64)\n  ")
        put("format version: \(table.isLegacyFormat ? 0 : table.formatVersion)\n  ")
        put("\nMetaindex Details:\n--------------------------------------\n")
        for (name, h) in table.metaindexEntries {
            if name == "rocksdb.properties" {
                put("  Properties block handle: \(handleHex(h))\n")
            } else if name == "rocksdb.compression_dict" {
                put("  Compression dictionary block handle: \(handleHex(h))\n")
            } else if name.contains("filter.rocksdb.") {
                put("  Filter block handle: \(handleHex(h))\n")
            } else if name == "rocksdb.range_del" {
                put("  Range deletion block handle: \(handleHex(h))\n")
            }
        }
        put("\nTable Properties:\n--------------------------------------\n  ")
        put(propertiesText(table.properties, delimiter: "\n  ") + "\n")
        put("Index Details:\n--------------------------------------\n")
        put("  Block key hex dump: Data block handle\n  Block key ascii\n\n")
        var handles: [BlockHandle] = []
        for entry in try table.indexEntries() {
            handles.append(entry.handle)
            put("  HEX    \(hex(entry.userKey)): \(handleHex(entry.handle))\n  ASCII  ")
            entry.userKey.withUnsafeBytes { ascii($0, escapeNul: false) }
            put("\n  ------\n")
        }
        put("\n")
        var sizes: [UInt64] = []
        for (i, h) in handles.enumerated() {
            sizes.append(h.size)
            put("Data Block # \(i + 1) @ \(handleHex(h))\n--------------------------------------\n")
            for (key, value) in try table.blockEntries(h) { entry(key, value) }
            put("\n")
        }
        if let lo = sizes.min(), let hi = sizes.max() {
            let sum = sizes.reduce(0, +)
            put("Data Block Summary:\n--------------------------------------\n")
            put("  # data blocks: \(sizes.count)\n  min data block size: \(lo)\n  max data block size: \(hi)\n")
            put("  avg data block size: \(fixed6(Double(sum) / Double(sizes.count)))\n")
        }
        // A table RocksDB wrote with DeleteRange holds its tombstones in a meta block: start
        // key (an internal key) => end key, printed as RocksDB's DumpTable does.
        if let rangeDel = table.metaindexEntries.first(where: { $0.name == "rocksdb.range_del" })?.handle {
            let entries = try table.blockEntries(rangeDel)
            if !entries.isEmpty {
                put("Range deletions:\n--------------------------------------\n")
                for (key, value) in entries { entry(key, value) }
                put("\n")
            }
        }
        return out
    }

    private static func appendVarint(_ value: UInt64, _ out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }
}
