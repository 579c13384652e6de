// Version+Invariants: the shape rules of a Version that compactions must preserve (DESIGN.md §9),
// checked from metadata alone after every version change in debug builds and whenever the
// `SEDIMENT_INVARIANTS` compilation condition is set (like swift-collections' Heap+Invariants).
//
//   1. Every table's smallest internal key <= its largest, smallest sequence <= largest.
//   2. L1 and deeper: tables sorted and disjoint by internal key. Sediment's own outputs are
//      also disjoint by user key, but RocksDB's may split one user key's versions between
//      adjacent tables (newer versions in the first), which the picker's clean cuts respect;
//      a read finds the newest version in the first of them.
//   3. L0 is newest first: when two L0 tables' user-key ranges overlap, every sequence of the
//      one listed first is newer than every sequence of the other (flushes write disjoint
//      sequence ranges), so a read may stop at the first L0 hit.
//   4. No table number appears twice.
// The checks that need table contents (metadata equals contents; deeper levels older per user
// key) read every table and live in the test support, not here.
// Pure functions of an immutable Version: thread-safe.

extension Version {
    /// Every broken invariant, as one line each; empty when the version is well formed.
    /// - Complexity: O(n log n) in the number of tables.
    func invariantViolations() -> [String] {
        var problems: [String] = []
        var numbers = Set<UInt64>()
        for (level, files) in levels.enumerated() {
            for f in files {
                if !numbers.insert(f.number).inserted { problems.append("L\(level): \(f) listed twice") }
                if f.smallest.count < 8 || f.largest.count < 8 {
                    problems.append("L\(level): \(f) has a malformed key")
                    continue
                }
                if compareInternalKeys(f.smallest, f.largest) > 0 {
                    problems.append("L\(level): \(f) smallest > largest")
                }
                if f.smallestSequence > f.largestSequence {
                    problems.append("L\(level): \(f) sequence range \(f.smallestSequence) > \(f.largestSequence)")
                }
            }
            if level == 0 {
                for i in files.indices {
                    for j in files.indices.dropFirst(i + 1) where Version.userRangesOverlap(files[i], files[j])
                        && files[i].smallestSequence <= files[j].largestSequence {
                        problems.append("L0: \(files[i]) (seq \(files[i].smallestSequence)...) is not newer than overlapping \(files[j]) (seq ...\(files[j].largestSequence))")
                    }
                }
                continue
            }
            for i in files.indices.dropFirst() {
                let prev = files[i - 1]
                let next = files[i]
                if compareInternalKeys(prev.largest, next.smallest) >= 0 {
                    problems.append("L\(level): \(prev) overlaps \(next)")
                }
            }
        }
        return problems
    }

    /// True when the user-key ranges of `a` and `b` intersect.
    static func userRangesOverlap(_ a: FileMetadata, _ b: FileMetadata) -> Bool {
        compareBytes(Array(a.largestUserKey), Array(b.smallestUserKey)) >= 0
            && compareBytes(Array(b.largestUserKey), Array(a.smallestUserKey)) >= 0
    }

    /// In debug builds (or with `SEDIMENT_INVARIANTS`), stops with a description of the first
    /// broken invariant; compiled out otherwise.
    func assertInvariants() {
        #if DEBUG || SEDIMENT_INVARIANTS
        let problems = invariantViolations()
        assert(problems.isEmpty, "Version invariants broken:\n" + problems.joined(separator: "\n"))
        #endif
    }
}
