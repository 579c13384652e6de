// VersionEdit: one change to the version set (files added and removed, log and file numbers,
// last sequence), in RocksDB's MANIFEST record encoding (db/version_edit.cc). Each MANIFEST record
// (RecordFormat.swift) is one encoded edit. See DESIGN.md §7.
//
// An edit is a sequence of tagged fields, each tag a varint32:
//
//   tag  field                 value
//   1    comparator            varint32 length + name
//   2    log number            varint64
//   9    prev log number       varint64
//   3    next file number      varint64
//   203  max column family     varint32
//   10   min log to keep       varint64
//   4    last sequence         varint64
//   6    deleted file          varint32 level, varint64 number
//   103  new file (NewFile4)   varint32 level, varint64 number, varint64 size,
//                              lp smallest ikey, lp largest ikey,
//                              varint64 smallest seqno, varint64 largest seqno,
//                              { varint32 custom tag, lp value }*, varint32 1 (terminator)
//   8193 DB id                 varint32 length + id
//
// Sediment writes the fields in that order (RocksDB's). Decoding also reads NewFile (7),
// NewFile2 (100), NewFile3 (102, path 0 only), compact cursors (5, ignored), column family 0
// (200) and every tag with the safe-to-ignore bit (8192) by skipping its length-prefixed value.
// Other column families, blob files, atomic groups, user-defined timestamps and other
// comparators are `.notSupported`; anything malformed is `.corruption`.

/// One change to the version set, as stored in a MANIFEST record.
struct VersionEdit: Sendable, Equatable {
    /// The user comparator's name; Sediment only knows `leveldb.BytewiseComparator`.
    var comparator: String?
    /// Logs with numbers below this are no longer needed (their data is in tables).
    var logNumber: UInt64?
    /// The log before `logNumber` still being compacted (LevelDB legacy; 0 when unused).
    var prevLogNumber: UInt64?
    /// The next file number to hand out.
    var nextFileNumber: UInt64?
    /// The last sequence number used.
    var lastSequence: SequenceNumber?
    /// RocksDB's min_log_number_to_keep (kept across reopen; Sediment writes it only if set).
    var minLogNumberToKeep: UInt64?
    /// RocksDB's max_column_family (decoded and re-encoded; Sediment uses only family 0).
    var maxColumnFamily: UInt32?
    /// RocksDB's DB id, when the MANIFEST records one.
    var dbID: String?
    /// Files removed, applied before `newFiles`.
    var deletedFiles: [DeletedFile] = []
    /// Files added.
    var newFiles: [LevelFile] = []

    /// An empty edit.
    init() {}

    /// Records that `file` is added at `level`.
    mutating func addFile(level: Int, _ file: FileMetadata) {
        newFiles.append(LevelFile(level: level, file: file))
    }

    /// Records that file `number` is removed from `level`.
    mutating func deleteFile(level: Int, number: UInt64) {
        deletedFiles.append(DeletedFile(level: level, number: number))
    }

    /// The encoded edit: the payload of one MANIFEST record.
    /// - Complexity: O(size of the edit).
    func encode() -> [UInt8] {
        var out: [UInt8] = []
        if let dbID {
            out.appendVarint32(VersionEditTag.dbID)
            out.appendLengthPrefixed(Array(dbID.utf8))
        }
        if let comparator {
            out.appendVarint32(VersionEditTag.comparator)
            out.appendLengthPrefixed(Array(comparator.utf8))
        }
        appendField(&out, VersionEditTag.logNumber, logNumber)
        appendField(&out, VersionEditTag.prevLogNumber, prevLogNumber)
        appendField(&out, VersionEditTag.nextFileNumber, nextFileNumber)
        appendField(&out, VersionEditTag.maxColumnFamily, maxColumnFamily.map(UInt64.init))
        appendField(&out, VersionEditTag.minLogNumberToKeep, minLogNumberToKeep)
        appendField(&out, VersionEditTag.lastSequence, lastSequence)
        for d in deletedFiles {
            out.appendVarint32(VersionEditTag.deletedFile)
            out.appendVarint32(UInt32(truncatingIfNeeded: d.level))
            out.appendVarint64(d.number)
        }
        for n in newFiles {
            out.appendVarint32(VersionEditTag.newFile4)
            out.appendVarint32(UInt32(truncatingIfNeeded: n.level))
            out.appendVarint64(n.file.number)
            out.appendVarint64(n.file.size)
            out.appendLengthPrefixed(n.file.smallest)
            out.appendLengthPrefixed(n.file.largest)
            out.appendVarint64(n.file.smallestSequence)
            out.appendVarint64(n.file.largestSequence)
            out.appendVarint32(NewFileCustomTag.terminate)
        }
        return out
    }

    private func appendField(_ out: inout [UInt8], _ tag: UInt32, _ value: UInt64?) {
        guard let value else { return }
        out.appendVarint32(tag)
        out.appendVarint64(value)
    }
}

/// RocksDB's VersionEdit tags (db/version_edit.h `Tag`).
enum VersionEditTag {
    /// The user comparator name.
    static let comparator: UInt32 = 1
    /// The log number.
    static let logNumber: UInt32 = 2
    /// The next file number.
    static let nextFileNumber: UInt32 = 3
    /// The last sequence number.
    static let lastSequence: UInt32 = 4
    /// A compaction cursor (level, internal key).
    static let compactCursor: UInt32 = 5
    /// A deleted file (level, number).
    static let deletedFile: UInt32 = 6
    /// LevelDB's new file (no sequence numbers).
    static let newFile: UInt32 = 7
    /// The previous log number.
    static let prevLogNumber: UInt32 = 9
    /// RocksDB's min_log_number_to_keep.
    static let minLogNumberToKeep: UInt32 = 10
    /// New file with sequence numbers.
    static let newFile2: UInt32 = 100
    /// New file with a path id.
    static let newFile3: UInt32 = 102
    /// New file with custom fields (what RocksDB writes).
    static let newFile4: UInt32 = 103
    /// The column family the edit applies to.
    static let columnFamily: UInt32 = 200
    /// A column family created.
    static let columnFamilyAdd: UInt32 = 201
    /// A column family dropped.
    static let columnFamilyDrop: UInt32 = 202
    /// The largest column family id.
    static let maxColumnFamily: UInt32 = 203
    /// An edit in an atomic group.
    static let inAtomicGroup: UInt32 = 300
    /// A blob file added.
    static let blobFileAddition: UInt32 = 400
    /// Garbage in a blob file.
    static let blobFileGarbage: UInt32 = 401
    /// Tags with this bit may be skipped (their value is length-prefixed).
    static let safeIgnoreMask: UInt32 = 1 << 13
    /// The DB id (safe to ignore).
    static let dbID: UInt32 = safeIgnoreMask + 1
    /// RocksDB 6.x blob file records (`kBlobFileAddition_DEPRECATED`, `_Garbage_`): in the
    /// ignorable range but NOT length-prefixed.
    static let blobFileAdditionDeprecated: UInt32 = safeIgnoreMask + 2
    static let blobFileGarbageDeprecated: UInt32 = safeIgnoreMask + 3
    /// RocksDB 6.x WAL tracking (`kWalAddition`, `kWalDeletion`): in the ignorable range but
    /// NOT length-prefixed; their "2" successors (8199, 8200) are.
    static let walAddition: UInt32 = safeIgnoreMask + 4
    static let walDeletion: UInt32 = safeIgnoreMask + 5
}

/// RocksDB's NewFile4 custom field tags (db/version_edit.h `NewFileCustomTag`).
enum NewFileCustomTag {
    /// End of the custom fields.
    static let terminate: UInt32 = 1
    /// The file is marked for compaction.
    static let needCompaction: UInt32 = 2
    /// RocksDB's min_log_number_to_keep as a fixed64.
    static let minLogNumberToKeepHack: UInt32 = 3
    /// The oldest blob file the table refers to.
    static let oldestBlobFileNumber: UInt32 = 4
    /// Smallest user-defined timestamp.
    static let minTimestamp: UInt32 = 10
    /// Largest user-defined timestamp.
    static let maxTimestamp: UInt32 = 11
    /// Custom fields with this bit must be understood; others may be skipped.
    static let nonSafeIgnoreMask: UInt32 = 1 << 6
    /// The db_paths index (one byte).
    static let pathID: UInt32 = nonSafeIgnoreMask + 1
}
