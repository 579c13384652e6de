// BlockCache: a sharded LRU cache of decoded `Block`s, bounded in bytes (a block's charge is
// its size), keyed by (file number, block offset). File numbers must be unique among the
// tables sharing one cache (the engine's are).
//
// Thread-safety: each of 16 shards is a `LockedState` (pthread mutex) around an index-linked LRU
// list and a chained hash table of slot indices; lookups and inserts lock one shard only.
// `Block`s are immutable, so a block handed out stays valid after eviction for as long as the
// caller retains it.

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
        /// The next slot in this slot's hash chain; 0 ends the chain.
        var chain: Int
    }

    /// Mixes a key into 64 bits (a multiply-xorshift; cheaper than SipHash, and keys are not
    /// attacker-chosen).
    @inline(__always) static func hash(_ key: Key) -> UInt64 {
        var h = key.fileNumber &* 0x9E37_79B9_7F4A_7C15 ^ key.offset &* 0xC2B2_AE3D_27D4_EB4F
        h ^= h >> 29
        h &*= 0xBF58_476D_1CE4_E5B9
        h ^= h >> 32
        return h
    }

    /// One shard: slots in a circular doubly linked list through `head` (most recent first),
    /// found through a chained hash table of slot indices (a power-of-two bucket array).
    private struct Shard: ~Copyable {
        var slots: [Slot] = []
        var buckets: [Int] = Array(repeating: 0, count: 64)
        var count = 0
        var freeSlots: [Int] = []
        var usage = 0
        let capacity: Int
        // slot 0 is the sentinel of the LRU list.
        init(capacity: Int) {
            self.capacity = capacity
            slots.append(Slot(key: Key(fileNumber: .max, offset: .max), block: nil, previous: 0, next: 0, chain: 0))
        }

        @inline(__always) func bucket(_ key: Key) -> Int {
            Int(truncatingIfNeeded: BlockCache.hash(key) >> 7) & (buckets.count - 1)
        }

        /// The slot holding `key`, or 0.
        @inline(__always) func find(_ key: Key) -> Int {
            var i = buckets[bucket(key)]
            while i != 0 {
                if slots[i].key == key { return i }
                i = slots[i].chain
            }
            return 0
        }

        mutating func addToChain(_ i: Int) {
            let b = bucket(slots[i].key)
            slots[i].chain = buckets[b]
            buckets[b] = i
        }

        mutating func removeFromChain(_ i: Int) {
            let b = bucket(slots[i].key)
            if buckets[b] == i {
                buckets[b] = slots[i].chain
                return
            }
            var p = buckets[b]
            while p != 0 {
                if slots[p].chain == i {
                    slots[p].chain = slots[i].chain
                    return
                }
                p = slots[p].chain
            }
        }

        mutating func grow() {
            buckets = Array(repeating: 0, count: buckets.count * 2)
            for i in 1..<slots.count where slots[i].block != nil { addToChain(i) }
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
            let i = find(key)
            guard i != 0 else { return nil }
            if slots[0].next != i {
                unlink(i)
                pushFront(i)
            }
            return slots[i].block
        }

        mutating func remove(_ i: Int) {
            unlink(i)
            removeFromChain(i)
            usage -= slots[i].block?.charge ?? 0
            slots[i].block = nil
            count -= 1
            freeSlots.append(i)
        }

        mutating func insert(_ key: Key, _ block: Block) {
            let existing = find(key)
            if existing != 0 {
                usage -= slots[existing].block?.charge ?? 0
                slots[existing].block = block
                usage += block.charge
                unlink(existing)
                pushFront(existing)
            } else {
                let slot = Slot(key: key, block: block, previous: 0, next: 0, chain: 0)
                let i: Int
                if let f = freeSlots.popLast() {
                    slots[f] = slot
                    i = f
                } else {
                    slots.append(slot)
                    i = slots.count - 1
                }
                count += 1
                if count > buckets.count { grow() } else { addToChain(i) }
                pushFront(i)
                usage += block.charge
            }
            while usage > capacity, slots[0].previous != 0 {
                remove(slots[0].previous)
            }
        }

        mutating func erase(fileNumber: UInt64) {
            var i = slots[0].next
            while i != 0 {
                let n = slots[i].next
                if slots[i].key.fileNumber == fileNumber { remove(i) }
                i = n
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
        shards[Int(BlockCache.hash(key) % UInt64(shards.count))]
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
