// Database+Repair: the public entry point of repair; the work is in Engine/Repair.swift.

extension Database {
    /// Best-effort rebuild of a damaged database (RocksDB's RepairDB semantics): converts every
    /// log into level-0 tables (skipping damaged records), scans every table, moves the tables
    /// that cannot be read to `lost/`, and writes a new MANIFEST and CURRENT naming every
    /// readable table (at level 0, or merged into one sorted run on the last level). Old
    /// MANIFESTs and converted logs are moved to `lost/`. When CURRENT names a MANIFEST that
    /// still replays, the tables and logs it has made obsolete (left by a crash or a failed
    /// delete) are moved to `lost/` unread, so they cannot bring back overwritten or deleted
    /// values; to salvage files from `lost/`, move them back and remove CURRENT as well.
    /// Afterwards `Database(path:)` opens the database with every readable key; of the versions
    /// of a key, the newest surviving one wins. Deleted keys may reappear when the tombstone was
    /// in the lost data, and without a MANIFEST an overwritten value may reappear when the newer
    /// value was rewritten with sequence number 0 by a compaction (as with RocksDB's RepairDB).
    /// - Parameters:
    ///   - path: the database directory.
    ///   - options: the file system and the options for the tables repair writes.
    /// - Throws: `.invalidArgument` when `path` is not a directory; `.locked` when the database
    ///   is open; `.io`/`.noSpace` from the file system. Damaged files do not throw.
    public static func repair(path: String, options: Options = Options()) throws {
        try Repair.run(path: path, options: options)
    }
}
