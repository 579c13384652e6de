// LostFiles: the database's `lost/` directory, RocksDB's RepairDB place for files that may still
// hold data but are no longer part of the database (DESIGN.md §8): logs that `.pointInTime`
// recovery did not replay, tables a torn MANIFEST edit described, and what `Database.repair`
// replaced. Nothing in `lost/` is read by the engine; numbers there still count as used.
//
// One rule for every caller: a move is a rename inside one file system, `lost/` is created (and
// its entry made durable) on first use, and `syncMoves` makes both directory entries durable.

enum LostFiles {
    /// `directory`/lost.
    static func path(in directory: String) -> String { directory + "/lost" }

    /// Moves the file `name` of `directory` into `directory`/lost/, creating `lost/` when it is
    /// missing. Call `syncMoves` after the last move.
    /// - Throws: the file system's error when `lost/` cannot be created or the rename fails;
    ///   the file is then still where it was.
    static func move(_ name: String, from directory: String, fileSystem fs: any FileSystem) throws {
        let lost = path(in: directory)
        if !fs.isDirectory(lost) {
            try fs.createDirectory(lost)
            try fs.syncDirectory(directory)
        }
        try fs.rename(directory + "/" + name, to: lost + "/" + name)
    }

    /// Makes earlier moves durable: the entries `lost/` gained and those `directory` lost.
    /// - Throws: the file system's error from either directory sync.
    static func syncMoves(in directory: String, fileSystem fs: any FileSystem) throws {
        try fs.syncDirectory(path(in: directory))
        try fs.syncDirectory(directory)
    }
}
