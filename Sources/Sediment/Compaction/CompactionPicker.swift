// CompactionPicker: RocksDB's leveled policy (DESIGN.md §9).
//
//  Score per level: L0 = table count / level0FileNumCompactionTrigger; Ln (n >= 1) = bytes /
//  target, target(1) = maxBytesForLevelBase, target(n+1) = target(n) * multiplier. The last
//  level has no score. The highest score of at least 1 goes first, skipping levels that a running
//  compaction holds.
//  Inputs: from L0, every L0 table (they overlap each other); from Ln, the first table after
//  the level's round-robin cursor (the largest key of the previous compaction there), wrapping,
//  that nothing in Ln+1 overlaps (a trivial move, extended over the following tables while the
//  combined range still overlaps nothing below), else the table with the fewest next-level bytes
//  per byte of its own (RocksDB's kMinOverlappingRatio; ties in round-robin order).
//  Then every table of the next level overlapping the inputs' user-key range; for L0 the range
//  is widened until no other L0 table overlaps it.
//  Clean cuts: RocksDB cuts its outputs by size, even between two versions of one user key, so
//  a level of a database RocksDB wrote may hold one user key in adjacent tables (`... k#24]`,
//  `[k#23 ...`). Inputs on L1 and deeper, on either level, are widened over such neighbours
//  (RocksDB's ExpandInputsToCleanCut, LevelDB's AddBoundaryInputs): moving or merging only the
//  newer part would put older versions above newer ones, or let a dropped tombstone uncover an
//  older value left behind in the level. Sediment's own outputs are cut between user keys only.
// Pure function of the version and cursors: no I/O, no locking.

/// Picks compactions from a version.
struct CompactionPicker {
    let options: Options

    /// The most grandparent bytes one output table (or a trivially moved table) may overlap:
    /// 10 x targetFileSizeBase (RocksDB's max_compaction_bytes default is 25 x).
    var maxGrandparentOverlapBytes: UInt64 { UInt64(max(0, options.targetFileSizeBase)) * 10 }

    /// True when `c` may run as a trivial move (a MANIFEST edit only).
    func isTrivialMove(_ c: Compaction) -> Bool {
        c.mayMoveTrivially && c.isTrivialMove(maxGrandparentOverlapBytes: maxGrandparentOverlapBytes)
    }

    /// Bytes level `level` (>= 1) may hold before it is compacted.
    func targetBytes(level: Int) -> Double {
        var t = Double(options.maxBytesForLevelBase)
        var i = 1
        while i < level {
            t *= options.maxBytesForLevelMultiplier
            i += 1
        }
        return t
    }

    /// The compaction score of every level but the last.
    func scores(_ version: Version) -> [Double] {
        var out: [Double] = []
        for level in 0..<max(0, version.numLevels - 1) {
            if level == 0 {
                out.append(Double(version.files(at: 0).count) / Double(max(1, options.level0FileNumCompactionTrigger)))
            } else {
                out.append(Double(version.totalBytes(at: level)) / targetBytes(level: level))
            }
        }
        return out
    }

    /// The most urgent compaction, or nil when every score is below 1 (RocksDB's rule: a level
    /// at its trigger or target compacts) or its levels are busy.
    /// - Parameters:
    ///   - busyLevels: levels a running compaction reads or writes.
    ///   - cursors: per level, the largest internal key of the last compaction there.
    func pick(_ version: Version, busyLevels: Set<Int>, cursors: [Int: [UInt8]]) -> Compaction? {
        let s = scores(version)
        let order = s.indices.filter { s[$0] >= 1 }.sorted { s[$0] > s[$1] }
        for level in order where !busyLevels.contains(level) && !busyLevels.contains(level + 1) {
            let files = version.files(at: level)
            guard !files.isEmpty else { continue }
            var inputs: [FileMetadata]
            if level == 0 {
                inputs = files
            } else {
                let after = cursors[level]
                let start = after.flatMap { c in files.firstIndex { compareInternalKeys($0.largest, c) > 0 } } ?? 0
                let (chosen, movable) = chooseInput(version, level: level, from: start)
                if movable { return extendMove(version, level: level, from: chosen) }
                inputs = chosen
            }
            return expand(version, level: level, inputs: inputs,
                          reason: level == 0 ? "L0 count" : "size")
        }
        return nil
    }

    /// The tables of `level` (n >= 1) to compact, in one round-robin pass from index `start`:
    /// each table is taken with the neighbours that share a boundary user key with it (a clean
    /// cut, see the header; usually the table alone). The first such group that nothing in the
    /// next level overlaps (`movable`: moving it down costs a MANIFEST edit instead of a merge),
    /// else the group whose merge rewrites the fewest next-level bytes per byte it moves down:
    /// overlapping bytes in level + 1 divided by its own size (RocksDB's default
    /// `kMinOverlappingRatio`). Ties go to the first in round-robin order, so equal tables still
    /// take turns.
    /// - Complexity: O(tables at level x tables at level + 1), once.
    func chooseInput(_ version: Version, level: Int, from start: Int) -> (files: [FileMetadata], movable: Bool) {
        let files = version.files(at: level)
        var best = [files[start % files.count]]
        var bestRatio = Double.infinity
        for k in 0..<files.count {
            let group = cleanCut(version, level: level, [files[(start + k) % files.count]])
            let (lo, hi) = CompactionPicker.userRange(group)
            let overlapping = version.overlapping(level: level + 1, smallestUserKey: lo, largestUserKey: hi)
            if overlapping.isEmpty { return (group, true) }
            let ratio = Double(overlapping.reduce(UInt64(0)) { $0 + $1.size })
                / Double(max(1, group.reduce(UInt64(0)) { $0 + $1.size }))
            if ratio < bestRatio {
                best = group
                bestRatio = ratio
            }
        }
        return (best, false)
    }

    /// `files` (tables of the sorted level `level` >= 1, usually adjacent) with every table
    /// between them, widened over the neighbours that share a boundary user key (see the
    /// header). Returns `files` unchanged on L0 or when none of them is on the level.
    func cleanCut(_ version: Version, level: Int, _ files: [FileMetadata]) -> [FileMetadata] {
        guard level > 0, !files.isEmpty else { return files }
        let all = version.files(at: level)
        let numbers = Set(files.map(\.number))
        guard var lo = all.firstIndex(where: { numbers.contains($0.number) }),
              var hi = all.lastIndex(where: { numbers.contains($0.number) }) else { return files }
        while lo > 0 && all[lo - 1].largestUserKey.elementsEqual(all[lo].smallestUserKey) { lo -= 1 }
        while hi + 1 < all.count && all[hi + 1].smallestUserKey.elementsEqual(all[hi].largestUserKey) { hi += 1 }
        return Array(all[lo...hi])
    }

    /// A trivial move of `group` (one clean-cut group, see `chooseInput`) extended over the
    /// tables that follow it in the level while nothing in the next level overlaps the combined
    /// range, up to 25 x targetFileSizeBase (RocksDB's TryExtendNonL0TrivialMove and
    /// max_compaction_bytes): one move can then empty most of a level whose tables all sit above
    /// gaps of the next. Falls back to `group` alone when the extended move (widened to a clean
    /// cut) would overlap too much of the level after, or anything of the next.
    func extendMove(_ version: Version, level: Int, from group: [FileMetadata]) -> Compaction {
        let files = version.files(at: level)
        guard let first = group.first, let last = group.last,
              var i = files.firstIndex(where: { $0.number == last.number }) else {
            return expand(version, level: level, inputs: group, reason: "size")
        }
        var inputs = group
        var bytes = group.reduce(UInt64(0)) { $0 + $1.size }
        let limit = UInt64(max(0, options.targetFileSizeBase)) * 25
        while i + 1 < files.count {
            let next = files[i + 1]
            guard bytes + next.size <= limit,
                  version.overlapping(level: level + 1, smallestUserKey: Array(first.smallestUserKey),
                                      largestUserKey: Array(next.largestUserKey)).isEmpty else { break }
            inputs.append(next)
            bytes += next.size
            i += 1
        }
        let extended = expand(version, level: level, inputs: inputs, reason: "size")
        return inputs.count == group.count || isTrivialMove(extended)
            ? extended : expand(version, level: level, inputs: group, reason: "size")
    }

    /// A compaction of `inputs` at `level` with the overlapping tables of the next level and the
    /// grandparents filled in; inputs on sorted levels are widened to clean cuts (see the header).
    func expand(_ version: Version, level: Int, inputs startInputs: [FileMetadata], reason: String) -> Compaction {
        var inputs = cleanCut(version, level: level, startInputs)
        if level == 0 {
            // Widen to every L0 table overlapping the range, transitively.
            var changed = true
            while changed {
                changed = false
                let (lo, hi) = CompactionPicker.userRange(inputs)
                for f in version.overlapping(level: 0, smallestUserKey: lo, largestUserKey: hi)
                where !inputs.contains(where: { $0.number == f.number }) {
                    inputs.append(f)
                    changed = true
                }
            }
        }
        let (lo, hi) = CompactionPicker.userRange(inputs)
        let next = cleanCut(version, level: level + 1,
                            version.overlapping(level: level + 1, smallestUserKey: lo, largestUserKey: hi))
        let (alo, ahi) = CompactionPicker.userRange(inputs + next)
        let grand = level + 2 < version.numLevels
            ? version.overlapping(level: level + 2, smallestUserKey: alo, largestUserKey: ahi) : []
        return Compaction(level: level, inputs: inputs, nextLevelInputs: next, grandparents: grand, reason: reason)
    }

    /// The smallest and largest user keys of `files`.
    static func userRange(_ files: [FileMetadata]) -> ([UInt8], [UInt8]) {
        var lo: [UInt8] = []
        var hi: [UInt8] = []
        for (i, f) in files.enumerated() {
            let s = Array(f.smallestUserKey)
            let l = Array(f.largestUserKey)
            if i == 0 || compareBytes(s, lo) < 0 { lo = s }
            if i == 0 || compareBytes(l, hi) > 0 { hi = l }
        }
        return (lo, hi)
    }
}
