// FileMetadata: what the version set knows about one table file: number, size, key range
// (encoded internal keys, see InternalKey.swift) and sequence range. Value type, Sendable.
// Printed in Pebble's notation: `000012:[a#5,SET-k#9,DEL]`.

/// One table file of a version.
struct FileMetadata: Sendable, Hashable, CustomStringConvertible {
    /// The file number (`000012.sst`).
    var number: UInt64
    /// The file size in bytes.
    var size: UInt64
    /// The smallest encoded internal key in the file.
    var smallest: [UInt8]
    /// The largest encoded internal key in the file.
    var largest: [UInt8]
    /// The smallest sequence number in the file.
    var smallestSequence: SequenceNumber
    /// The largest sequence number in the file.
    var largestSequence: SequenceNumber

    /// Metadata from its parts.
    init(number: UInt64, size: UInt64, smallest: [UInt8], largest: [UInt8],
         smallestSequence: SequenceNumber, largestSequence: SequenceNumber) {
        self.number = number
        self.size = size
        self.smallest = smallest
        self.largest = largest
        self.smallestSequence = smallestSequence
        self.largestSequence = largestSequence
    }

    /// The user key of `smallest` (empty if the key is malformed).
    var smallestUserKey: ArraySlice<UInt8> { smallest.dropLast(8) }
    /// The user key of `largest` (empty if the key is malformed).
    var largestUserKey: ArraySlice<UInt8> { largest.dropLast(8) }

    /// `000012:[a#5,SET-k#9,DEL]`.
    var description: String {
        "\(FileNames.padded(number)):[\(Self.describe(smallest))-\(Self.describe(largest))]"
    }

    /// An encoded internal key in Pebble's notation, or its bytes when it does not parse.
    private static func describe(_ key: [UInt8]) -> String {
        InternalKey(encoded: key)?.description ?? "?\(printableKey(key))"
    }
}

/// A table file and the level it is on (a VersionEdit addition, or one entry of a Version).
struct LevelFile: Sendable, Hashable {
    /// The level, 0 for L0.
    var level: Int
    /// The file.
    var file: FileMetadata
}

/// A table file removed from a level by a VersionEdit.
struct DeletedFile: Sendable, Hashable {
    /// The level the file is on.
    var level: Int
    /// Its number.
    var number: UInt64
}
