// DatabaseCore+Iteration: building the iterator stack for cursors and scans:
//   MergingIterator
//     ├─ MemTableIterator (active memtable)
//     ├─ MemTableIterator (each immutable memtable, newest first)
//     ├─ TableIterator    (each L0 table, newest first)
//     └─ LevelIterator    (one per non-empty deeper level; opens tables lazily)
// The cursor keeps every memtable and table reader it captured alive.

extension DatabaseCore {
    /// A cursor over the view at `options.snapshot` (or now); it keeps `database` (the handle
    /// it was asked from) alive.
    func cursor(options: ReadOptions, database: Database? = nil) throws -> Cursor {
        let view = try readView(snapshot: options.snapshot)
        var children: [any InternalIterator] = []
        // One allocation: the memtables, each L0 table, one LevelIterator per deeper level.
        children.reserveCapacity(1 + view.imms.count + (view.version.levels.first?.count ?? 0) + view.version.levels.count)
        children.append(view.mem.makeIterator())
        for imm in view.imms { children.append(imm.makeIterator()) }
        for (level, files) in view.version.levels.enumerated() where !files.isEmpty {
            if level == 0 {
                for f in files {
                    let reader = try tableCache.reader(number: f.number, size: f.size)
                    children.append(reader.makeIterator(verifyChecksums: options.verifyChecksums, fillCache: options.fillCache))
                }
            } else {
                children.append(LevelIterator(files: files, tableCache: tableCache,
                                              verifyChecksums: options.verifyChecksums, fillCache: options.fillCache))
            }
        }
        return Cursor(core: self, database: database, merged: MergingIterator(children, newestFirst: true), sequence: view.sequence, version: view.version,
                      options: options)
    }
}
