// Compaction: one unit of compaction work: input tables from `level` and `level + 1`, merged
// into new tables at `outputLevel` (= level + 1), with the grandparent tables (level + 2) that
// bound how far one output table may stretch. compactRange also rewrites a last-level table in
// place (`rewritesInPlace`: output level = level) to drop what no snapshot needs any more.
// See DESIGN.md §9.

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

    /// True for compactRange's rewrite of last-level tables into the same level.
    var rewritesInPlace = false

    /// The level outputs are written to.
    var outputLevel: Int { rewritesInPlace ? level : level + 1 }

    /// Every input table.
    var allInputs: [FileMetadata] { inputs + nextLevelInputs }

    /// True when the inputs can move down a level without rewriting: they come from a sorted
    /// level (L1+), nothing overlaps them below, and they do not overlap too much of the level
    /// after that. (Automatic compactions take one table; compactRange may move many.)
    func isTrivialMove(maxGrandparentOverlapBytes: UInt64) -> Bool {
        level > 0 && !rewritesInPlace && !inputs.isEmpty && nextLevelInputs.isEmpty
            && grandparents.reduce(0) { $0 + $1.size } <= maxGrandparentOverlapBytes
    }
}
