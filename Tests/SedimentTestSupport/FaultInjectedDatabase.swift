// FaultInjectedDatabase: a fresh database over a new FaultInjectionFileSystem, the setup shared
// by the fault-matrix, recovery, group-commit and huge-page-gate tests.
import Sediment

/// A database opened at `path` over `fs`, with the options used to open it (so a test can
/// reopen with the same ones).
public struct FaultInjectedDatabase {
    /// The database directory (`dir`/db).
    public let path: String
    /// The file system every file of the database goes through.
    public let fs: FaultInjectionFileSystem
    /// The options the database was opened with, `fileSystem` included.
    public let options: Options
    /// The open database.
    public let db: Database
}

/// Opens a fresh database in `dir`/db over a new fault-injecting file system, with default
/// options changed by `configure`.
public func openOverFaultInjection(in dir: String, _ configure: (inout Options) -> Void = { _ in })
    throws -> FaultInjectedDatabase {
    let fs = FaultInjectionFileSystem()
    var o = Options()
    o.fileSystem = fs
    configure(&o)
    let path = dir + "/db"
    return FaultInjectedDatabase(path: path, fs: fs, options: o, db: try Database(path: path, options: o))
}
