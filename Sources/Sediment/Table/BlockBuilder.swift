// BlockBuilder: builds one block of prefix-compressed entries with restart points, the layout
// RocksDB and LevelDB share for data, index, metaindex and properties blocks.
// See DESIGN.md §6 "Blocks".
//
//   entry:  +------------------+----------------------+-------------------+-----------+-------+
//           | varint32: shared | varint32: non_shared | varint32: val len | key delta | value |
//           +------------------+----------------------+-------------------+-----------+-------+
//   block:  | entry 0 | entry 1 | ... | fixed32 restart[0] | ... | fixed32 restart[n-1] | fixed32 n |
//
// Every `restartInterval` entries a restart point stores its key whole (shared = 0) and its
// offset goes into the restart array, so readers binary-search restarts and decode forward.
// Sediment always writes the plain `n` (no data-block hash index bit). Not thread-safe.

/// Accumulates sorted entries into one serialized block.
struct BlockBuilder {
    /// Entries between restart points (>= 1).
    let restartInterval: Int
    private var buffer: [UInt8] = []
    private var restarts: [UInt32] = [0]
    private var counter = 0
    private var lastKey: [UInt8] = []
    /// Entries added since the last reset.
    private(set) var entryCount = 0

    /// A builder with the given restart interval (values below 1 mean 1).
    init(restartInterval: Int) {
        self.restartInterval = max(1, restartInterval)
    }

    /// True when nothing was added since the last reset.
    var isEmpty: Bool { entryCount == 0 }

    /// The size the block would have if finished now.
    var currentSizeEstimate: Int { buffer.count + restarts.count * 4 + 4 }

    /// The last key added.
    var lastAddedKey: [UInt8] { lastKey }

    /// Appends an entry. - Precondition: `key` sorts after the previous key in the block's order.
    mutating func add(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
        var shared = 0
        if counter < restartInterval {
            let n = min(lastKey.count, key.count)
            lastKey.withUnsafeBytes { last in
                while shared < n && last[shared] == key[shared] { shared += 1 }
            }
        } else {
            restarts.append(UInt32(buffer.count))
            counter = 0
        }
        let nonShared = key.count - shared
        if shared < 128 && nonShared < 128 && value.count < 128 {
            buffer.append(UInt8(shared))
            buffer.append(UInt8(nonShared))
            buffer.append(UInt8(value.count))
        } else {
            buffer.appendVarint32(UInt32(shared))
            buffer.appendVarint32(UInt32(nonShared))
            buffer.appendVarint32(UInt32(value.count))
        }
        buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: key[shared...]))
        buffer.append(contentsOf: value)
        lastKey.removeLast(lastKey.count - shared)
        lastKey.append(contentsOf: UnsafeRawBufferPointer(rebasing: key[shared...]))
        counter += 1
        entryCount += 1
    }

    /// Appends an entry held in arrays.
    mutating func add(_ key: [UInt8], _ value: [UInt8]) {
        key.withUnsafeBytes { k in value.withUnsafeBytes { v in add(k, v) } }
    }

    /// Appends the restart array and count and returns the finished block's bytes. The
    /// builder must be `reset()` before it is used again.
    mutating func finish() -> [UInt8] {
        for r in restarts { buffer.appendFixed32(r) }
        buffer.appendFixed32(UInt32(restarts.count))
        return buffer
    }

    /// Empties the builder, keeping its capacity.
    mutating func reset() {
        buffer.removeAll(keepingCapacity: true)
        restarts.removeAll(keepingCapacity: true)
        restarts.append(0)
        counter = 0
        entryCount = 0
        lastKey.removeAll(keepingCapacity: true)
    }
}
