// DatabaseCore+Properties: named figures for `Database.property`, in the manner of RocksDB's
// GetProperty ("rocksdb.num-files-at-level0" → "sediment.num-files-at-level0").

extension DatabaseCore {
    /// The value of property `name`, or nil when the name is unknown.
    func property(_ name: String) -> String? {
        monitor.withLock { () -> String? in
            let version = versions.current
            let prefix = "sediment."
            guard name.hasPrefix(prefix) else { return nil }
            let key = String(name.dropFirst(prefix.count))
            if key.hasPrefix("num-files-at-level") {
                guard let level = Int(key.dropFirst("num-files-at-level".count)),
                      level >= 0, level < version.levels.count else { return nil }
                return String(version.levels[level].count)
            }
            switch key {
            case "total-sst-files-size":
                return String(version.levels.joined().reduce(UInt64(0)) { $0 + $1.size })
            case "cur-size-all-mem-tables":
                return String(state.mem.approximateMemoryUsage + state.imms.reduce(0) { $0 + $1.table.approximateMemoryUsage })
            case "num-immutable-mem-table":
                return String(state.imms.count)
            case "estimate-num-keys":
                var n = state.mem.count + state.imms.reduce(0) { $0 + $1.table.count }
                for f in version.levels.joined() {
                    if let r = try? tableCache.reader(number: f.number, size: f.size) { n += Int(r.properties.numEntries) }
                }
                return String(n)
            case "last-sequence":
                return String(state.lastSequence)
            case "levelstats":
                return levelStats(version)
            case "stats":
                return statsText(version)
            case "sstables":
                return sstablesText(version)
            default:
                return nil
            }
        }
    }

    private func levelStats(_ version: Version) -> String {
        var out = "Level Files Size(MB)\n--------------------\n"
        for (i, files) in version.levels.enumerated() {
            let mb = Double(files.reduce(UInt64(0)) { $0 + $1.size }) / 1048576
            out += pad("\(i)", 3) + " " + pad("\(files.count)", 8) + " " + pad(fixed(mb, 0), 8) + "\n"
        }
        return out
    }

    /// RocksDB's "rocksdb.sstables" shape: per level "--- level N --- version# V ---", then one
    /// " number:size[smallest .. largest]" line per table (keys in `a#5,SET` notation). Sediment
    /// has no version counter; V is the next file number, which grows with every new version.
    private func sstablesText(_ version: Version) -> String {
        var out = ""
        for (i, files) in version.levels.enumerated() {
            out += "--- level \(i) --- version# \(versions.nextFileNumber) ---\n"
            for f in files {
                let small = InternalKey(encoded: f.smallest)?.description ?? "?"
                let large = InternalKey(encoded: f.largest)?.description ?? "?"
                out += " \(f.number):\(f.size)[\(small) .. \(large)]\n"
            }
        }
        return out
    }

    private func statsText(_ version: Version) -> String {
        let s = state.stats
        let uptime = Double(Clock.nanoseconds() - openedAt) / 1e9
        var out = "\n** DB Stats **\nUptime(secs): \(fixed(uptime, 1)) total\n"
        out += "Cumulative writes: \(s.writesApplied) writes, \(s.writeGroups) groups, "
            + "\(fixed(Double(s.writesApplied) / Double(max(s.writeGroups, 1)), 1)) writes per group\n"
        out += "Cumulative WAL: \(s.walSyncs) syncs, \(fixed(Double(s.walBytes) / 1073741824, 2)) GB written\n"
        out += "Cumulative stall: \(fixed(Double(s.stallNanoseconds) / 1e9, 3)) secs\n"
        out += "Flush: \(s.flushes) flushes, \(fixed(Double(s.flushBytes) / 1048576, 1)) MB, "
            + "\(fixed(Double(s.flushNanoseconds) / 1e9, 3)) secs\n"
        out += "\n** Compaction Stats **\n" + levelStats(version)
        return out
    }
}

/// `value` with `digits` decimals, without Foundation.
func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let negative = value < 0
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    var s = negative ? "-\(whole)" : "\(whole)"
    if digits > 0 {
        let frac = Int(scaled - Double(whole) * scale)
        var f = String(frac)
        while f.count < digits { f = "0" + f }
        s += "." + f
    }
    return s
}

/// `text` right-aligned in `width` columns.
func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}
