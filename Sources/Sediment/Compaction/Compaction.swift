// Compaction: one unit of compaction work: input tables from `level` and `level + 1`, merged
// into new tables at `outputLevel` (= level + 1), with the grandparent tables (level + 2) that
// bound how far one output table may stretch. See DESIGN.md §9.

/// A chosen compaction.
struct Compaction: Sendable {
    /// The level the compaction starts from.
    let level: Int
    /// Tables taken from `level`.
    var inputs: [FileMetadata]
    /// Tables taken from `level + 1` that overlap `inputs`.
    var nextLevelInputs: [FileMetadata]
    /// Tables of `level + 2`, for cutting outputs that would overlap too much of it.
    var grandparents: [FileMetadata]
    /// Why it was picked: "L0 count", "size", "manual" (for stats and logs).
    var reason: String
    /// False when the outputs must be rewritten even if nothing overlaps below (the last step
    /// of compactRange, which must drop dead versions).
    var mayMoveTrivially = true

    /// The level outputs are written to.
    var outputLevel: Int { level + 1 }

    /// Every input table.
    var allInputs: [FileMetadata] { inputs + nextLevelInputs }

    /// True when one table can move down a level without rewriting: nothing overlaps it below
    /// and it does not overlap too much of the level after that.
    func isTrivialMove(maxGrandparentOverlapBytes: UInt64) -> Bool {
        level > 0 && inputs.count == 1 && nextLevelInputs.isEmpty
            && grandparents.reduce(0) { $0 + $1.size } <= maxGrandparentOverlapBytes
    }
}
