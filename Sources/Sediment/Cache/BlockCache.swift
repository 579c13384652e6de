// BlockCache: a sharded LRU cache of decoded `Block`s, bounded in bytes (a block's charge is
// its size), keyed by (file number, block offset). File numbers must be unique among the
// tables sharing one cache (the engine's are).
//
// Thread-safety: each of 16 shards is a `LockedState` (pthread mutex) around an index-linked LRU
// list and a dictionary; lookups and inserts lock one shard only. `Block`s are immutable, so a
// block handed out stays valid after eviction for as long as the caller retains it.

/// A thread-safe, byte-bounded LRU cache of blocks shared by table readers.
@_spi(Internals) public final class BlockCache: Sendable {
    /// Identifies a cached block.
    struct Key: Hashable, Sendable {
        var fileNumber: UInt64
        var offset: UInt64
    }

    private struct Slot {
        var key: Key
        var block: Block?
        var previous: Int
        var next: Int
    }

    /// One shard: slots in a circular doubly linked list through `head` (most recent first).
    private struct Shard: ~Copyable {
        var slots: [Slot] = []
        var index: [Key: Int] = [:]
        var freeSlots: [Int] = []
        var usage = 0
        let capacity: Int
        // slot 0 is the sentinel of the LRU list.
        init(capacity: Int) {
            self.capacity = capacity
            slots.append(Slot(key: Key(fileNumber: .max, offset: .max), block: nil, previous: 0, next: 0))
        }

        mutating func unlink(_ i: Int) {
            let p = slots[i].previous, n = slots[i].next
            slots[p].next = n
            slots[n].previous = p
        }

        mutating func pushFront(_ i: Int) {
            let first = slots[0].next
            slots[i].previous = 0
            slots[i].next = first
            slots[first].previous = i
            slots[0].next = i
        }

        mutating func lookup(_ key: Key) -> Block? {
            guard let i = index[key] else { return nil }
            unlink(i)
            pushFront(i)
            return slots[i].block
        }

        mutating func insert(_ key: Key, _ block: Block) {
            if let i = index[key] {
                usage -= slots[i].block?.charge ?? 0
                slots[i].block = block
                usage += block.charge
                unlink(i)
                pushFront(i)
            } else {
                let slot = Slot(key: key, block: block, previous: 0, next: 0)
                let i: Int
                if let f = freeSlots.popLast() {
                    slots[f] = slot
                    i = f
                } else {
                    slots.append(slot)
                    i = slots.count - 1
                }
                index[key] = i
                pushFront(i)
                usage += block.charge
            }
            while usage > capacity, slots[0].previous != 0 {
                let victim = slots[0].previous
                unlink(victim)
                usage -= slots[victim].block?.charge ?? 0
                index[slots[victim].key] = nil
                slots[victim].block = nil
                freeSlots.append(victim)
            }
        }

        mutating func erase(fileNumber: UInt64) {
            for (key, i) in index where key.fileNumber == fileNumber {
                unlink(i)
                usage -= slots[i].block?.charge ?? 0
                slots[i].block = nil
                index[key] = nil
                freeSlots.append(i)
            }
        }
    }

    private final class ShardBox: Sendable {
        let mutex: LockedState<Shard>
        init(capacity: Int) { mutex = LockedState(Shard(capacity: capacity)) }
    }

    private let shards: [ShardBox]
    /// The capacity in bytes.
    public let capacity: Int

    /// A cache holding at most `capacityBytes` bytes of blocks (at least one block per shard).
    public init(capacityBytes: Int, shardCount: Int = 16) {
        capacity = capacityBytes
        let n = max(1, shardCount)
        shards = (0..<n).map { _ in ShardBox(capacity: max(0, capacityBytes) / n) }
    }

    @inline(__always) private func shard(_ key: Key) -> ShardBox {
        var h = key.fileNumber &* 0x9E37_79B9_7F4A_7C15 ^ key.offset &* 0xC2B2_AE3D_27D4_EB4F
        h ^= h >> 29
        return shards[Int(h % UInt64(shards.count))]
    }

    /// The cached block, marking it most recently used.
    func lookup(fileNumber: UInt64, offset: UInt64) -> Block? {
        let key = Key(fileNumber: fileNumber, offset: offset)
        return shard(key).mutex.withLock { $0.lookup(key) }
    }

    /// Caches `block`, evicting least recently used blocks beyond the capacity.
    func insert(fileNumber: UInt64, offset: UInt64, block: Block) {
        let key = Key(fileNumber: fileNumber, offset: offset)
        shard(key).mutex.withLock { $0.insert(key, block) }
    }

    /// Drops every block of `fileNumber` (after the table is deleted).
    public func erase(fileNumber: UInt64) {
        for s in shards { s.mutex.withLock { $0.erase(fileNumber: fileNumber) } }
    }

    /// Bytes currently charged.
    public var usage: Int {
        shards.reduce(0) { total, s in total + s.mutex.withLock { $0.usage } }
    }
}
