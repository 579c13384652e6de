// VersionEdit+Decoding: parses a MANIFEST record back into a VersionEdit, accepting what
// RocksDB 7.x writes for the default column family and refusing, by name, what Sediment does not
// implement. See VersionEdit.swift for the tag table and DESIGN.md §7.

extension VersionEdit {
    /// Decodes one MANIFEST record.
    /// - Parameter file: the MANIFEST's path, named in errors.
    /// - Throws: `.corruption(file:...)` for truncated or malformed fields and unknown tags;
    ///   `.notSupported(feature:file:)` for other column families, other comparators, blob
    ///   files, atomic groups, non-zero path ids, user-defined timestamps and unknown
    ///   must-understand custom fields.
    static func decode(_ bytes: [UInt8], file: String) throws -> VersionEdit {
        try bytes.withUnsafeBytes { raw in
            var decoder = VersionEditDecoder(reader: ByteReader(raw), file: file)
            return try decoder.decode()
        }
    }
}

/// The state of one decode: the reader and the file to name in errors.
private struct VersionEditDecoder {
    var reader: ByteReader
    let file: String
    var edit = VersionEdit()

    mutating func decode() throws -> VersionEdit {
        while !reader.isAtEnd {
            let tag = try varint32("tag")
            switch tag {
            case VersionEditTag.comparator:
                let name = String(decoding: try lengthPrefixed("comparator name"), as: UTF8.self)
                guard name == bytewiseComparatorName else {
                    throw SedimentError.notSupported(feature: "comparator \(name)", file: file)
                }
                edit.comparator = name
            case VersionEditTag.logNumber: edit.logNumber = try fileNumber("log number")
            case VersionEditTag.prevLogNumber: edit.prevLogNumber = try fileNumber("previous log number")
            case VersionEditTag.nextFileNumber: edit.nextFileNumber = try fileNumber("next file number")
            case VersionEditTag.lastSequence: edit.lastSequence = try sequence("last sequence number")
            case VersionEditTag.minLogNumberToKeep: edit.minLogNumberToKeep = try fileNumber("min log number to keep")
            case VersionEditTag.maxColumnFamily: edit.maxColumnFamily = try varint32("max column family")
            case VersionEditTag.compactCursor:
                _ = try level()
                try skipLengthPrefixed("compact cursor", minimum: 8)
            case VersionEditTag.deletedFile:
                let level = try level()
                edit.deletedFiles.append(DeletedFile(level: level, number: try fileNumber("deleted file number")))
            case VersionEditTag.newFile, VersionEditTag.newFile2, VersionEditTag.newFile3, VersionEditTag.newFile4:
                edit.newFiles.append(try newFile(tag))
            case VersionEditTag.columnFamily:
                let id = try varint32("column family")
                guard id == 0 else { throw SedimentError.notSupported(feature: "column family \(id)", file: file) }
            case VersionEditTag.columnFamilyAdd, VersionEditTag.columnFamilyDrop:
                throw SedimentError.notSupported(feature: "column families other than default", file: file)
            case VersionEditTag.inAtomicGroup:
                throw SedimentError.notSupported(feature: "atomic groups", file: file)
            case VersionEditTag.blobFileAddition, VersionEditTag.blobFileGarbage,
                 VersionEditTag.blobFileAdditionDeprecated, VersionEditTag.blobFileGarbageDeprecated:
                throw SedimentError.notSupported(feature: "blob files", file: file)
            case VersionEditTag.walAddition:
                // A log number, then tagged fields to the terminator (RocksDB's WalAddition);
                // WAL tracking is only verified by RocksDB, so the record is read and dropped.
                _ = try varint64("WAL addition log number")
                fields: while true {
                    switch try varint32("WAL addition field") {
                    case 1: break fields
                    case 2: _ = try varint64("WAL synced size")
                    case let other: throw corrupt("unknown WAL addition field \(other)")
                    }
                }
            case VersionEditTag.walDeletion:
                _ = try varint64("WAL deletion log number")
            case VersionEditTag.dbID:
                edit.dbID = String(decoding: try lengthPrefixed("DB id"), as: UTF8.self)
            case let other where other & VersionEditTag.safeIgnoreMask != 0:
                try skipLengthPrefixed("ignorable field \(other)")
            default:
                throw corrupt("unknown tag \(tag)")
            }
        }
        return edit
    }

    /// A NewFile, NewFile2, NewFile3 or NewFile4 entry.
    private mutating func newFile(_ tag: UInt32) throws -> LevelFile {
        let level = try level()
        let number = try fileNumber("new file number")
        if tag == VersionEditTag.newFile3 {
            let path = try varint32("new file path id")
            guard path == 0 else { throw SedimentError.notSupported(feature: "db_paths (path id \(path))", file: file) }
        }
        let size = try varint64("new file size")
        guard size <= UInt64(Int64.max) else { throw corrupt("new file size \(size) out of range") }
        let smallest = try internalKey("new file smallest key")
        let largest = try internalKey("new file largest key")
        var smallestSequence: UInt64 = 0
        var largestSequence: UInt64 = maxSequenceNumber
        if tag != VersionEditTag.newFile {
            smallestSequence = try sequence("new file smallest seqno")
            largestSequence = try sequence("new file largest seqno")
        }
        if tag == VersionEditTag.newFile4 { try customFields() }
        return LevelFile(level: level, file: FileMetadata(number: number, size: size, smallest: smallest, largest: largest,
                                                          smallestSequence: smallestSequence, largestSequence: largestSequence))
    }

    /// NewFile4's custom fields up to the terminator.
    private mutating func customFields() throws {
        while true {
            let tag = try varint32("new file custom field tag")
            if tag == NewFileCustomTag.terminate { return }
            let value = try lengthPrefixed("new file custom field \(tag)")
            switch tag {
            case NewFileCustomTag.minLogNumberToKeepHack:
                guard value.count == 8 else { throw corrupt("min log number to keep field of \(value.count) bytes") }
                let n = value.withUnsafeBytes { $0.loadFixed64(at: 0) }
                guard n <= FileNames.maxNumber else { throw corrupt("min log number to keep \(n) out of range") }
                edit.minLogNumberToKeep = n
            case NewFileCustomTag.pathID:
                guard value.count == 1 else { throw corrupt("path id field of \(value.count) bytes") }
                guard value[0] == 0 else { throw SedimentError.notSupported(feature: "db_paths (path id \(value[0]))", file: file) }
            case NewFileCustomTag.oldestBlobFileNumber:
                throw SedimentError.notSupported(feature: "blob files", file: file)
            case NewFileCustomTag.minTimestamp, NewFileCustomTag.maxTimestamp:
                throw SedimentError.notSupported(feature: "user-defined timestamps", file: file)
            case let other where other & NewFileCustomTag.nonSafeIgnoreMask != 0:
                throw SedimentError.notSupported(feature: "new file custom field \(other)", file: file)
            default:
                break // need-compaction, times, epoch, checksums, temperature, unique id, ...
            }
        }
    }

    private mutating func level() throws -> Int {
        let level = try varint32("level")
        guard level < 64 else { throw corrupt("level \(level) out of range") }
        return Int(level)
    }

    private mutating func internalKey(_ what: String) throws -> [UInt8] {
        let key = try lengthPrefixed(what)
        guard key.count >= 8 else { throw corrupt("\(what) shorter than 8 bytes") }
        return key
    }

    private mutating func varint32(_ what: String) throws -> UInt32 {
        guard let v = reader.readVarint32() else { throw corrupt("truncated \(what)") }
        return v
    }

    /// A file number: at most `FileNames.maxNumber`, so that the numbers after it never overflow.
    private mutating func fileNumber(_ what: String) throws -> UInt64 {
        let n = try varint64(what)
        guard n <= FileNames.maxNumber else { throw corrupt("\(what) \(n) out of range") }
        return n
    }

    /// A sequence number: at most `maxSequenceNumber` (56 bits), as internal keys pack it.
    private mutating func sequence(_ what: String) throws -> UInt64 {
        let n = try varint64(what)
        guard n <= maxSequenceNumber else { throw corrupt("\(what) \(n) out of range") }
        return n
    }

    private mutating func varint64(_ what: String) throws -> UInt64 {
        guard let v = reader.readVarint64() else { throw corrupt("truncated \(what)") }
        return v
    }

    private mutating func lengthPrefixed(_ what: String) throws -> [UInt8] {
        guard let v = reader.readLengthPrefixed() else { throw corrupt("truncated \(what)") }
        return v
    }

    /// Steps over a length-prefixed field without copying it. (Decoding it into an array that
    /// is then discarded is what `TableReader.verifyChecksums` did with the meta blocks, where
    /// the optimiser released the unused array before copying into it; DESIGN.md §13.)
    private mutating func skipLengthPrefixed(_ what: String, minimum: Int = 0) throws {
        guard let range = reader.readLengthPrefixedRange() else { throw corrupt("truncated \(what)") }
        guard range.count >= minimum else { throw corrupt("\(what) shorter than \(minimum) bytes") }
    }

    private func corrupt(_ message: String) -> SedimentError {
        .corruption(file: file, offset: nil, message: "bad version edit: \(message) at byte \(reader.offset)")
    }
}
