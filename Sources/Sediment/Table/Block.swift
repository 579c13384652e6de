// Block: one decoded (decompressed) block, owning its bytes in a manually allocated buffer so
// that cursors can hand out `UnsafeRawBufferPointer` keys and values that stay valid while the
// Block is retained (or, for a point lookup's uncompressed block, borrowing the lookup's stack
// buffer, which outlives it). See BlockBuilder.swift for the byte layout and DESIGN.md §6 "Blocks".
//
// The trailing fixed32 is RocksDB's packed footer: bit 31 set means a data-block hash index
// (format_version >= 4, kDataBlockBinaryAndHash) sits between the restart array and it:
//
//   | entries | restarts (fixed32 each) | hash buckets (1 byte each) | fixed16 num_buckets | fixed32 |
//
// Sediment ignores the hash index (binary search over restarts is always correct).
//
// Thread-safety: immutable after creation, so `@unchecked Sendable` is sound: the buffer is
// written only in `make` before the Block is published and freed only in `deinit`.

/// An immutable, validated block.
@_spi(Internals) public final class Block: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer
    /// The block's bytes (entries, restart array and footer).
    let bytes: UnsafeRawBufferPointer
    /// Offset of the restart array, which is also where entries end.
    let restartsOffset: Int
    /// Number of restart points (>= 1 for a non-empty block).
    let numRestarts: Int
    /// The file the block came from, for error messages.
    let file: String
    /// The block's offset in that file, for error messages.
    let offset: UInt64
    /// A search aid over the restart keys (index blocks of open tables). Set at most once, by
    /// `attachSearchIndex`, before the block is shared with another thread.
    private(set) var searchIndex: RestartSearchIndex?

    /// False when the bytes belong to the caller (`make(borrowing:)`) and outlive the block.
    private let ownsStorage: Bool

    private init(storage: UnsafeMutableRawBufferPointer, owns: Bool, count: Int, restartsOffset: Int,
                 numRestarts: Int, file: String, offset: UInt64) {
        self.storage = storage
        self.ownsStorage = owns
        self.bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage)[0..<count])
        self.restartsOffset = restartsOffset
        self.numRestarts = numRestarts
        self.file = file
        self.offset = offset
    }

    deinit { if ownsStorage { storage.deallocate() } }

    /// Bytes this block holds in memory (the block cache's charge).
    public var charge: Int { storage.count + 64 }

    /// Builds a RestartSearchIndex for this block (when it has enough restart points) and keeps
    /// it. - Precondition: the block is not yet visible to another thread.
    func attachSearchIndex(order: BlockKeyOrder, format: BlockValueFormat) {
        searchIndex = RestartSearchIndex(block: self, order: order, format: format)
    }

    /// Wraps `storage[0..<count]` after validating the restart array. Takes ownership of
    /// `storage` in every case: it is deallocated when validation fails.
    /// - Throws: `.corruption` naming `file` and `offset` when the footer is impossible.
    static func make(taking storage: UnsafeMutableRawBufferPointer, count: Int,
                     file: String, offset: UInt64) throws -> Block {
        do {
            return try make(storage, owns: true, count: count, file: file, offset: offset)
        } catch {
            storage.deallocate()
            throw error
        }
    }

    /// Wraps `storage[0..<count]`, which stays the caller's: the caller keeps it alive and
    /// unchanged for as long as the block or anything read from it is in use (a point lookup's
    /// stack buffer, DESIGN.md §6 "Mapped reads").
    /// - Throws: as `make(taking:)`.
    static func make(borrowing storage: UnsafeMutableRawBufferPointer, count: Int,
                     file: String, offset: UInt64) throws -> Block {
        try make(storage, owns: false, count: count, file: file, offset: offset)
    }

    private static func make(_ storage: UnsafeMutableRawBufferPointer, owns: Bool, count: Int,
                             file: String, offset: UInt64) throws -> Block {
        let bytes = UnsafeRawBufferPointer(storage)
        func fail(_ message: String) -> SedimentError {
            .corruption(file: file, offset: Int64(offset), message: message)
        }
        guard count >= 4, count <= bytes.count else { throw fail("block of \(count) bytes is too short") }
        let packed = bytes.loadFixed32(at: count - 4)
        let numRestarts = Int(packed & 0x7FFF_FFFF)
        var end = count - 4
        if packed & 0x8000_0000 != 0 {
            guard end >= 2 else { throw fail("block's hash index is truncated") }
            let buckets = Int(UInt16(bytes[end - 2]) | UInt16(bytes[end - 1]) << 8)
            end -= 2 + buckets
            guard end >= 0 else { throw fail("block's hash index is larger than the block") }
        }
        guard numRestarts >= 1, numRestarts <= end / 4 else {
            throw fail("block has an impossible restart count \(numRestarts)")
        }
        return Block(storage: storage, owns: owns, count: count, restartsOffset: end - numRestarts * 4,
                     numRestarts: numRestarts, file: file, offset: offset)
    }

    /// A block holding a copy of `contents`.
    static func make(copying contents: UnsafeRawBufferPointer, file: String, offset: UInt64) throws -> Block {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(contents.count, 1), alignment: 8)
        if contents.count > 0, let base = contents.baseAddress, let dst = storage.baseAddress {
            dst.copyMemory(from: base, byteCount: contents.count)
        }
        return try make(taking: storage, count: contents.count, file: file, offset: offset)
    }

    /// A block holding a copy of an array.
    static func make(copying contents: [UInt8], file: String, offset: UInt64) throws -> Block {
        try contents.withUnsafeBytes { try make(copying: $0, file: file, offset: offset) }
    }
}
