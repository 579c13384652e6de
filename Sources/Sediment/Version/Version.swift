// Version: an immutable snapshot of which table files make up the tree, level by level.
// Readers hold a Version while they use its files; the VersionSet installs a new one per edit.
//
// Invariants:
//   1. L0 is ordered newest first: by largest sequence number descending, then by file number
//      descending (RocksDB's NewestFirstBySeqNo), so a read can stop at the first hit.
//   2. L1 and deeper are ordered by smallest internal key; their files do not overlap (the
//      engine's compactions keep it so; the Version does not check it).
// Immutable after init, hence Sendable.

/// The table files of the tree at one moment.
final class Version: Sendable {
    /// Files per level, ordered as the invariants above say. Always at least one level.
    let levels: [[FileMetadata]]

    /// A version over `levels`, which it sorts (L0 newest first, others by smallest key).
    init(levels: [[FileMetadata]]) {
        var sorted = levels.isEmpty ? [[]] : levels
        for i in sorted.indices {
            if i == 0 {
                sorted[i].sort { a, b in
                    a.largestSequence != b.largestSequence ? a.largestSequence > b.largestSequence : a.number > b.number
                }
            } else {
                sorted[i].sort { a, b in
                    let c = compareInternalKeys(a.smallest, b.smallest)
                    return c != 0 ? c < 0 : a.number < b.number
                }
            }
        }
        self.levels = sorted
    }

    /// An empty version with `numLevels` levels.
    convenience init(numLevels: Int) {
        self.init(levels: Array(repeating: [], count: max(1, numLevels)))
    }

    /// The number of levels, L0 included.
    var numLevels: Int { levels.count }

    /// The files at `level` (empty for a level out of range).
    func files(at level: Int) -> [FileMetadata] {
        levels.indices.contains(level) ? levels[level] : []
    }

    /// Every file with its level, L0 first.
    var allFiles: [LevelFile] {
        levels.enumerated().flatMap { level, files in files.map { LevelFile(level: level, file: $0) } }
    }

    /// Total bytes of the files at `level`.
    func totalBytes(at level: Int) -> UInt64 {
        files(at: level).reduce(0) { $0 + $1.size }
    }

    /// The files at `level` whose user-key range intersects [smallestUserKey, largestUserKey];
    /// nil bounds are open. L0 is not expanded transitively (the compaction picker does that).
    /// - Complexity: O(files at the level).
    func overlapping(level: Int, smallestUserKey: [UInt8]?, largestUserKey: [UInt8]?) -> [FileMetadata] {
        files(at: level).filter { f in
            if let lo = smallestUserKey, compareBytes(Array(f.largestUserKey), lo) < 0 { return false }
            if let hi = largestUserKey, compareBytes(Array(f.smallestUserKey), hi) > 0 { return false }
            return true
        }
    }

    /// The version after applying `edit`'s deletions then additions.
    /// - Throws: `.invalidArgument` when a deleted file is not on its level, an added file is
    ///   already in the version, or a level is out of range. Recovery turns these into
    ///   `.corruption` naming the MANIFEST.
    func applying(_ edit: VersionEdit) throws -> Version {
        var next = levels
        for d in edit.deletedFiles {
            guard next.indices.contains(d.level), let i = next[d.level].firstIndex(where: { $0.number == d.number }) else {
                throw SedimentError.invalidArgument("cannot delete table file #\(d.number) from level \(d.level): not in the version")
            }
            next[d.level].remove(at: i)
        }
        var present = Set(next.joined().map(\.number))
        for n in edit.newFiles {
            guard next.indices.contains(n.level) else {
                throw SedimentError.invalidArgument("table file #\(n.file.number) added at level \(n.level) of \(next.count)")
            }
            guard present.insert(n.file.number).inserted else {
                throw SedimentError.invalidArgument("table file #\(n.file.number) added twice")
            }
            next[n.level].append(n.file)
        }
        return Version(levels: next)
    }
}
