// Database+Repair: the public entry point of repair; the work is in Engine/Repair.swift.

extension Database {
    /// Best-effort rebuild of a damaged database (RocksDB's RepairDB semantics): converts every
    /// log into level-0 tables (skipping damaged records), scans every table, moves the tables
    /// that cannot be read to `lost/`, and writes a new MANIFEST and CURRENT naming every
    /// readable table at level 0. Old MANIFESTs and converted logs are moved to `lost/`.
    /// Afterwards `Database(path:)` opens the database with every readable key; of the versions
    /// of a key, the newest surviving one wins. Deleted keys may reappear when the tombstone was
    /// in the lost data.
    /// - Parameters:
    ///   - path: the database directory.
    ///   - options: the file system and the options for the tables repair writes.
    /// - Throws: `.invalidArgument` when `path` is not a directory; `.locked` when the database
    ///   is open; `.io`/`.noSpace` from the file system. Damaged files do not throw.
    public static func repair(path: String, options: Options = Options()) throws {
        try Repair.run(path: path, options: options)
    }
}
