// FileNames: the names of the files in a database directory, as RocksDB names them
// (file/filename.cc), and the parser that tells them apart. See DESIGN.md §2.
//
//   000123.log       write-ahead log            000123.sst     table
//   MANIFEST-000123  version edits              CURRENT        "MANIFEST-000123\n"
//   000123.dbtmp     temporary (CURRENT swap)   LOCK           flock target
//   IDENTITY         database id                LOG, LOG.old.* info log
//   OPTIONS-000123   RocksDB options file
//
// Numbers are decimal, zero-padded to at least six digits.

/// What a file in a database directory is.
enum FileKind: Sendable, Hashable {
    /// `000123.log`: a write-ahead log.
    case log
    /// `000123.sst` (or LevelDB's `.ldb`): a table.
    case table
    /// `MANIFEST-000123`: version edits.
    case manifest
    /// `CURRENT`: names the MANIFEST in use.
    case current
    /// `LOCK`: the directory lock.
    case lock
    /// `000123.dbtmp`: a temporary file (the next CURRENT).
    case temp
    /// `IDENTITY`: the database id.
    case identity
    /// `LOG`, `LOG.old.*`: the info log.
    case infoLog
    /// `OPTIONS-000123`: a RocksDB options file.
    case options
}

/// Builds and parses the names of database files.
enum FileNames {
    /// The largest file number Sediment accepts, in a name or a MANIFEST: `Int64.max - 2^32`.
    /// Larger numbers (which RocksDB never hands out) would let the counter hand out numbers
    /// past `Int64.max`, whose names do not parse back (a MANIFEST CURRENT cannot name, logs
    /// replay skips); the 2^32 numbers between are headroom no database uses up. A name
    /// carrying a larger one is not a database file, a MANIFEST field carrying one is corruption.
    static let maxNumber = UInt64(Int64.max) - (1 << 32)

    /// `number` in decimal, zero-padded to six digits.
    static func padded(_ number: UInt64) -> String {
        let digits = String(number)
        return digits.count >= 6 ? digits : String(repeating: "0", count: 6 - digits.count) + digits
    }

    /// `db/000123.sst`.
    static func table(_ db: String, _ number: UInt64) -> String { "\(db)/\(padded(number)).sst" }
    /// `db/000123.log`.
    static func log(_ db: String, _ number: UInt64) -> String { "\(db)/\(padded(number)).log" }
    /// `db/MANIFEST-000123`.
    static func manifest(_ db: String, _ number: UInt64) -> String { "\(db)/MANIFEST-\(padded(number))" }
    /// `db/000123.dbtmp`.
    static func temp(_ db: String, _ number: UInt64) -> String { "\(db)/\(padded(number)).dbtmp" }
    /// `db/OPTIONS-000123`.
    static func options(_ db: String, _ number: UInt64) -> String { "\(db)/OPTIONS-\(padded(number))" }
    /// `db/CURRENT`.
    static func current(_ db: String) -> String { "\(db)/CURRENT" }
    /// `db/LOCK`.
    static func lock(_ db: String) -> String { "\(db)/LOCK" }
    /// `db/IDENTITY`.
    static func identity(_ db: String) -> String { "\(db)/IDENTITY" }
    /// `db/LOG`.
    static func infoLog(_ db: String) -> String { "\(db)/LOG" }

    /// The kind and number of a file name (not a path); number 0 for kinds without one.
    /// - Returns: nil for names that are not database files.
    static func parse(_ name: String) -> (kind: FileKind, number: UInt64)? {
        switch name {
        case "CURRENT": return (.current, 0)
        case "LOCK": return (.lock, 0)
        case "IDENTITY": return (.identity, 0)
        case "LOG": return (.infoLog, 0)
        default: break
        }
        if name.hasPrefix("LOG.old.") { return (.infoLog, 0) }
        if name.hasPrefix("MANIFEST-"), let n = number(name.dropFirst(9)) { return (.manifest, n) }
        if name.hasPrefix("OPTIONS-"), let n = number(name.dropFirst(8)) { return (.options, n) }
        guard let dot = name.firstIndex(of: "."), let n = number(name[..<dot]) else { return nil }
        switch name[name.index(after: dot)...] {
        case "log": return (.log, n)
        case "sst", "ldb": return (.table, n)
        case "dbtmp": return (.temp, n)
        default: return nil
        }
    }

    /// A run of decimal digits as a number; nil when empty, not all digits, or above `maxNumber`.
    private static func number(_ digits: Substring) -> UInt64? {
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let n = UInt64(digits), n <= maxNumber else { return nil }
        return n
    }
}
