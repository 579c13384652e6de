// DatabaseCore+Properties: named figures for `Database.property`, in the manner of RocksDB's
// GetProperty ("rocksdb.num-files-at-level0" → "sediment.num-files-at-level0"): stats,
// levelstats, sstables, num-files-at-level<N>, estimate-num-keys, total-sst-files-size,
// cur-size-all-mem-tables, num-immutable-mem-table, num-running-compactions, background-errors,
// last-sequence. Every figure is read under the monitor, so one property is self-consistent;
// estimate-num-keys takes the version there and opens its tables after letting go of it.

extension DatabaseCore {
    /// The value of property `name`, or nil when the name is unknown.
    func property(_ name: String) -> String? {
        if name == "sediment.estimate-num-keys" { return estimateNumKeys() }
        return monitor.withLock { () -> String? in
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
            case "last-sequence":
                return String(state.lastSequence)
            case "levelstats":
                return levelStats(version)
            case "stats":
                return statsText(version)
            case "sstables":
                return sstablesText(version)
            case "num-running-compactions":
                return String(state.runningCompactions)
            case "background-errors":
                return state.backgroundError == nil ? "0" : "1"
            default:
                return nil
            }
        }
    }

    /// Entries in the memtables plus every table's entry count (from its properties), as
    /// RocksDB's estimate. The tables are opened without the monitor held (opening one reads
    /// it), so writers are not stalled; the version held keeps them from being deleted. A table
    /// that cannot be opened adds nothing: it is an estimate, and the read that needs that table
    /// reports the damage.
    private func estimateNumKeys() -> String {
        let (inMemory, version) = monitor.withLock {
            (state.mem.count + state.imms.reduce(0) { $0 + $1.table.count }, versions.current)
        }
        var n = inMemory
        for f in version.levels.joined() {
            // The count comes from the table's properties: saturate rather than trap on a
            // foreign table claiming more than Int.max entries.
            guard let r = try? tableCache.reader(number: f.number, size: f.size) else { continue }
            let (sum, overflow) = n.addingReportingOverflow(Int(clamping: r.properties.numEntries))
            n = overflow ? Int.max : sum
        }
        return String(n)
    }

    /// RocksDB's `rocksdb.levelstats`: files and megabytes per level.
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

    /// `rocksdb.stats` in Sediment's terms: the per-level compaction table, then the DB-wide
    /// counters. Rows are output levels: "L1" counts the compactions that wrote into L1 (Rn is
    /// what they read from L0, Rnp1 from L1 itself); flushes count toward L0.
    private func statsText(_ version: Version) -> String {
        let s = state.stats
        let uptime = Double(Clock.nanoseconds() - openedAt) / 1e9
        let scores = picker.scores(version)
        var out = "\n** Compaction Stats **\n"
        out += "Level    Files   Size     Score Read(GB)  Rn(GB) Rnp1(GB) Write(GB) Wnew(GB) Moved(GB) W-Amp "
            + "Rd(MB/s) Wr(MB/s) Comp(sec) Comp(cnt) Avg(sec)   KeyIn KeyDrop\n"
        out += String(repeating: "-", count: 155) + "\n"
        var sum = LevelStatistics()
        var sumFiles = 0
        var sumCompacting = 0
        var sumSize: UInt64 = 0
        for level in 0..<version.numLevels {
            var l = level < s.levels.count ? s.levels[level] : LevelStatistics()
            if level == 0 { l.compactions += s.flushes }
            let files = version.files(at: level)
            let compacting = files.filter { state.compactingTables.contains($0.number) }.count
            let size = version.totalBytes(at: level)
            let empty = files.isEmpty && l.compactions == 0 && l.bytesMoved == 0
            sumFiles += files.count
            sumCompacting += compacting
            sumSize += size
            sum.compactions += l.compactions
            sum.nanoseconds += l.nanoseconds
            sum.bytesRead += l.bytesRead
            sum.bytesReadInputLevel += l.bytesReadInputLevel
            sum.bytesReadOutputLevel += l.bytesReadOutputLevel
            sum.bytesWritten += l.bytesWritten
            sum.bytesMoved += l.bytesMoved
            sum.entriesIn += l.entriesIn
            sum.entriesDropped += l.entriesDropped
            if empty { continue }
            let wamp = level == 0 ? (l.bytesWritten > 0 ? 1.0 : 0.0)
                : (l.bytesReadInputLevel == 0 ? 0.0 : Double(l.bytesWritten) / Double(l.bytesReadInputLevel))
            out += statsRow("L\(level)", files: files.count, compacting: compacting, size: size,
                            score: level < scores.count ? scores[level] : 0, l, wamp: wamp)
        }
        let sumWamp = s.flushBytes == 0 ? 0.0 : Double(sum.bytesWritten) / Double(s.flushBytes)
        out += statsRow("Sum", files: sumFiles, compacting: sumCompacting, size: sumSize, score: 0, sum, wamp: sumWamp)
        let gb = 1073741824.0
        let secs = Double(sum.nanoseconds) / 1e9
        out += "Flush(GB): cumulative \(fixed(Double(s.flushBytes) / gb, 3)), \(s.flushes) flushes, "
            + "\(fixed(Double(s.flushNanoseconds) / 1e9, 3)) secs\n"
        out += "Cumulative compaction: \(fixed(Double(sum.bytesWritten) / gb, 2)) GB write, "
            + "\(fixed(Double(sum.bytesRead) / gb, 2)) GB read, \(fixed(secs, 1)) seconds, "
            + "\(fixed(Double(sum.bytesMoved) / gb, 2)) GB moved, \(s.compactionRetries) retries after no space\n"
        let compactionBytes = sum.bytesWritten - min(sum.bytesWritten, s.flushBytes)
        let ingest = s.walBytes
        out += "Table bytes written: \(s.flushBytes) flush + \(compactionBytes) compaction; ingest \(ingest) bytes; "
            + "write amplification \(fixed(ingest == 0 ? 0 : Double(sum.bytesWritten) / Double(ingest), 2)) (table bytes / ingest)\n"
        out += "\n** DB Stats **\nUptime(secs): \(fixed(uptime, 1)) total\n"
        out += "Cumulative writes: \(humanCount(s.writesApplied)) writes, \(humanCount(s.writeGroups)) commit groups, "
            + "\(fixed(Double(s.writesApplied) / Double(max(s.writeGroups, 1)), 1)) writes per commit group, "
            + "ingest: \(fixed(Double(s.walBytes) / gb, 2)) GB\n"
        out += "Cumulative WAL: \(s.walSyncs) syncs, written: \(fixed(Double(s.walBytes) / gb, 2)) GB\n"
        out += "Cumulative stall: \(fixed(Double(s.stallNanoseconds) / 1e9, 3)) secs, "
            + "\(fixed(uptime > 0 ? Double(s.stallNanoseconds) / 1e9 / uptime * 100 : 0, 1)) percent\n"
        out += "Background error: \(state.backgroundError.map { "\($0)" } ?? "none")\n"
        return out
    }

    /// One row of the compaction table, with RocksDB's column widths.
    private func statsRow(_ name: String, files: Int, compacting: Int, size: UInt64, score: Double,
                          _ l: LevelStatistics, wamp: Double) -> String {
        let gb = 1073741824.0
        let mb = 1048576.0
        let secs = Double(l.nanoseconds) / 1e9
        var row = pad(name, 4) + " " + pad("\(files)", 6) + "/" + "\(compacting)".padding(3) + " "
        row += pad(humanBytes(size), 8) + " " + pad(fixed(score, 1), 5) + " "
        row += pad(fixed(Double(l.bytesRead) / gb, 1), 8) + " "
        row += pad(fixed(Double(l.bytesReadInputLevel) / gb, 1), 7) + " "
        row += pad(fixed(Double(l.bytesReadOutputLevel) / gb, 1), 8) + " "
        row += pad(fixed(Double(l.bytesWritten) / gb, 1), 9) + " "
        let wnew = l.bytesWritten > l.bytesReadOutputLevel ? l.bytesWritten - l.bytesReadOutputLevel : 0
        row += pad(fixed(Double(wnew) / gb, 1), 8) + " "
        row += pad(fixed(Double(l.bytesMoved) / gb, 1), 9) + " "
        row += pad(fixed(wamp, 1), 5) + " "
        row += pad(fixed(secs > 0 ? Double(l.bytesRead) / mb / secs : 0, 1), 8) + " "
        row += pad(fixed(secs > 0 ? Double(l.bytesWritten) / mb / secs : 0, 1), 8) + " "
        row += pad(fixed(secs, 2), 9) + " " + pad("\(l.compactions)", 9) + " "
        row += pad(fixed(l.compactions > 0 ? secs / Double(l.compactions) : 0, 3), 8) + " "
        row += pad(humanCount(l.entriesIn), 7) + " " + pad(humanCount(l.entriesDropped), 7) + "\n"
        return row
    }
}

/// RocksDB's BytesToHumanString: "57.26 MB".
func humanBytes(_ bytes: UInt64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : fixed(value, 2) + " " + units[unit]
}

/// RocksDB's NumberToHumanString: "1234", "56K", "789M".
func humanCount(_ n: UInt64) -> String {
    if n < 10_000 { return "\(n)" }
    if n < 10_000_000 { return "\(n / 1000)K" }
    if n < 10_000_000_000 { return "\(n / 1_000_000)M" }
    return "\(n / 1_000_000_000)G"
}

extension String {
    /// Left-aligned in `width` columns (printf's `%-Ns`).
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

/// `value` with `digits` decimals, without Foundation.
@_spi(Internals) public func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<max(0, digits) { scale *= 10 }
    // Beyond 2^53 a Double has no fractional digits left; print it as Swift does (never trap).
    guard value.isFinite, abs(value) * scale < 9.0e15 else { return "\(value)" }
    let negative = value < 0
    let scaled = (abs(value) * scale).rounded()
    let whole = UInt64(scaled / scale)
    var s = negative ? "-\(whole)" : "\(whole)"
    if digits > 0 {
        let frac = UInt64(scaled - Double(whole) * scale)
        var f = String(frac)
        while f.count < digits { f = "0" + f }
        s += "." + f
    }
    return s
}

/// `text` right-aligned in `width` columns.
@_spi(Internals) public func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}
