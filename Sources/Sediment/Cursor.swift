// Cursor: the user-facing iterator (RocksDB's DBIter). It runs over a MergingIterator of every
// source captured when it was made (memtables, L0 tables, one LevelIterator per deeper level) and
// shows each user key once, at its newest version visible at the cursor's sequence, hiding
// tombstones and keys outside [lowerBound, upperBound).
//
// Visibility rule: an entry (k, s, t) is visible when s <= sequence; for each user key the
// visible entry with the largest s decides; a deletion hides the key.
//
// Skipping: after `maxSkipsBeforeReseek` hidden versions of one user key the cursor reseeks
// past all of them instead of stepping one by one, so long runs of overwritten or deleted
// entries cost O(log n), not O(n) each (RocksDB's max_sequential_skip_in_iterations).
//
// Lifetime: the cursor retains the memtables and table readers it reads; flushes and later
// writes never change what it sees. It also holds its `Database`, so dropping the last other
// reference does not close the database under it (an explicit `close()` does: the cursor then
// reports `.closed`). Not thread-safe: one cursor, one thread at a time.

/// A positioned cursor over the merged view of the database.
public final class Cursor {
    private let merged: MergingIterator
    private let sequence: SequenceNumber
    private let lowerBound: [UInt8]?
    private let upperBound: [UInt8]?
    private let core: DatabaseCore
    /// The handle the cursor came from: while a cursor exists its database is not closed by
    /// the last user reference going away (an explicit `close()` still closes it).
    private let database: Database?
    private let snapshot: Snapshot?
    /// Keeps the tables the cursor may still open on disk.
    private let version: Version
    // Iterator state is @exclusivity(unchecked): the class is used by one thread at a time and
    // no access to a field overlaps another (no callbacks into self), so the run-time check
    // that class fields otherwise get on every access (swift_beginAccess) is pure cost.
    @exclusivity(unchecked) private var valid = false
    @exclusivity(unchecked) private var forward = true
    // The current entry when moving backward (the merged iterator is then before it).
    @exclusivity(unchecked) private var savedKey: [UInt8] = []
    @exclusivity(unchecked) private var savedValue: [UInt8] = []
    @exclusivity(unchecked) private var cursorError: SedimentError?
    /// The user key whose remaining entries a forward step skips: `skipKeyCount` bytes at
    /// `skipKeyBytes`, a buffer kept across steps (a step copies the current key here instead
    /// of into a new array) and grown when a longer key comes.
    @exclusivity(unchecked) private var skipKeyBytes: UnsafeMutableRawPointer?
    @exclusivity(unchecked) private var skipKeyCapacity = 0
    @exclusivity(unchecked) private var skipKeyCount = 0
    private var skipKey: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: skipKeyBytes, count: skipKeyCount) }
    static let maxSkipsBeforeReseek = 8

    init(core: DatabaseCore, database: Database?, merged: MergingIterator, sequence: SequenceNumber, version: Version,
         options: ReadOptions) {
        self.version = version
        self.core = core
        self.database = database
        self.merged = merged
        self.sequence = sequence
        self.lowerBound = options.lowerBound
        self.upperBound = options.upperBound
        self.snapshot = options.snapshot
    }

    deinit {
        skipKeyBytes?.deallocate()
    }

    /// Makes `user` the key to skip.
    @inline(__always) private func setSkipKey(_ user: UnsafeRawBufferPointer) {
        if user.count > skipKeyCapacity {
            skipKeyBytes?.deallocate()
            skipKeyCapacity = max(user.count, 2 * skipKeyCapacity, 64)
            skipKeyBytes = .allocate(byteCount: skipKeyCapacity, alignment: 8)
        }
        if let base = user.baseAddress, let to = skipKeyBytes { to.copyMemory(from: base, byteCount: user.count) }
        skipKeyCount = user.count
    }

    /// True when positioned at a key.
    public var isValid: Bool { valid }

    /// The current key. - Precondition: `isValid`.
    public var key: [UInt8] {
        guard valid else { return [] }
        if forward {
            let k = merged.key
            return Array(UnsafeRawBufferPointer(rebasing: k[0..<k.count - 8]))
        }
        return savedKey
    }

    /// The current value. - Precondition: `isValid`.
    public var value: [UInt8] {
        guard valid else { return [] }
        return forward ? Array(merged.value) : savedValue
    }

    /// Calls `body` with the current key's bytes, without copying them (empty when invalid).
    /// The bytes are valid only during the call.
    @_spi(Internals) public func withUnsafeKey<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        guard valid else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        if forward {
            let k = merged.key
            return try body(UnsafeRawBufferPointer(rebasing: k[0..<k.count - 8]))
        }
        return try savedKey.withUnsafeBytes(body)
    }

    /// The byte length of the current key, without copying it.
    public var keyCount: Int {
        guard valid else { return 0 }
        return forward ? merged.key.count - 8 : savedKey.count
    }

    /// The byte length of the current value, without copying it.
    public var valueCount: Int {
        guard valid else { return 0 }
        return forward ? merged.value.count : savedValue.count
    }

    /// The I/O or corruption error that made the cursor invalid, if any (`.closed` when the
    /// database was closed while the cursor was in use).
    public var error: SedimentError? { cursorError ?? merged.error }

    /// False (and the cursor invalid, with `.closed`) once the database is closed.
    private func checkOpen() -> Bool {
        if core.isClosed {
            cursorError = .closed
            valid = false
            return false
        }
        return true
    }

    // MARK: positioning

    /// Positions at the first key (at or after `lowerBound`).
    public func seekToFirst() {
        guard checkOpen() else { return }
        forward = true
        if let lowerBound {
            seekInternal(lowerBound)
        } else {
            merged.seekToFirst()
        }
        findNextUserEntry(skipping: false)
    }

    /// Positions at the last key (before `upperBound`).
    public func seekToLast() {
        guard checkOpen() else { return }
        forward = false
        if let upperBound {
            // The last entry with user key < upperBound.
            var target = upperBound
            target.appendFixed64(packSequenceAndKind(maxSequenceNumber, .forSeek))
            target.withUnsafeBytes { merged.seekForPrevious($0) }
            while merged.isValid && userKeyCompare(merged.key, upperBound) >= 0 { merged.previous() }
        } else {
            merged.seekToLast()
        }
        findPrevUserEntry()
    }

    /// Positions at the first key >= `target`.
    public func seek(_ target: [UInt8]) {
        guard checkOpen() else { return }
        forward = true
        var t = target
        if let lowerBound, compareBytes(t, lowerBound) < 0 { t = lowerBound }
        seekInternal(t)
        findNextUserEntry(skipping: false)
    }

    /// Positions at the last key <= `target`.
    public func seekForPrevious(_ target: [UInt8]) {
        guard checkOpen() else { return }
        forward = false
        if let upperBound, compareBytes(target, upperBound) >= 0 {
            seekToLast()
            return
        }
        var t = target
        t.appendFixed64(packSequenceAndKind(0, .deletion))
        t.withUnsafeBytes { merged.seekForPrevious($0) }
        findPrevUserEntry()
    }

    /// Moves to the next key. - Precondition: `isValid`.
    public func next() {
        guard valid, checkOpen() else { return }
        if !forward {
            // The merged iterator sits before the current key: move it to the first entry
            // after the current user key's entries.
            forward = true
            let current = savedKey
            var t = current
            t.appendFixed64(packSequenceAndKind(0, .deletion))
            t.withUnsafeBytes { merged.seek($0) }
            if merged.isValid && userKeyCompare(merged.key, current) == 0 { merged.next() }
            current.withUnsafeBytes { setSkipKey($0) }
            findNextUserEntry(skipping: true)
            return
        }
        let k = merged.key
        setSkipKey(UnsafeRawBufferPointer(rebasing: k[0..<k.count - 8]))
        merged.next()
        findNextUserEntry(skipping: true)
    }

    /// Moves to the previous key. - Precondition: `isValid`.
    public func previous() {
        guard valid, checkOpen() else { return }
        if forward {
            // Move the merged iterator before every entry of the current user key.
            let current = key
            forward = false
            var t = current
            t.appendFixed64(packSequenceAndKind(maxSequenceNumber, .forSeek))
            t.withUnsafeBytes { merged.seekForPrevious($0) }
            while merged.isValid && userKeyCompare(merged.key, current) >= 0 { merged.previous() }
        }
        findPrevUserEntry()
    }

    // MARK: internals

    private func seekInternal(_ userKey: [UInt8]) {
        let trailer = packSequenceAndKind(sequence, .forSeek)
        guard userKey.count <= 248 else {
            var t = userKey
            t.appendFixed64(trailer)
            t.withUnsafeBytes { merged.seek($0) }
            return
        }
        // The target on the stack (a constant size keeps withUnsafeTemporaryAllocation off the
        // heap): a seek allocates nothing for it.
        withUnsafeTemporaryAllocation(byteCount: 256, alignment: 8) { buf in
            guard let base = buf.baseAddress else { return }
            userKey.withUnsafeBytes { u in
                if let src = u.baseAddress { base.copyMemory(from: src, byteCount: u.count) }
            }
            (base + userKey.count).storeBytes(of: trailer.littleEndian, as: UInt64.self)
            merged.seek(UnsafeRawBufferPointer(start: base, count: userKey.count + 8))
        }
    }

    /// Compares the user-key part of an internal key with `user`.
    @inline(__always) private func userKeyCompare(_ internalKey: UnsafeRawBufferPointer, _ user: [UInt8]) -> Int {
        user.withUnsafeBytes { u in userKeyCompare(internalKey, u) }
    }

    /// Compares the user-key part of an internal key with `user`.
    @inline(__always) private func userKeyCompare(_ internalKey: UnsafeRawBufferPointer, _ user: UnsafeRawBufferPointer) -> Int {
        compareBytes(UnsafeRawBufferPointer(rebasing: internalKey[0..<internalKey.count - 8]), user)
    }

    /// Advances the merged iterator to the next visible live entry whose user key is not
    /// `skipKey` (when `skipping`), and sets `valid`.
    private func findNextUserEntry(skipping startSkipping: Bool) {
        var skipping = startSkipping
        var skipped = 0
        valid = false
        while merged.isValid {
            let k = merged.key
            guard k.count >= 8 else {
                cursorError = .corruption(file: "cursor", offset: nil, message: "internal key shorter than 8 bytes")
                return
            }
            if let upperBound, userKeyCompare(k, upperBound) >= 0 { return }
            let trailer = k.loadFixed64(at: k.count - 8)
            let seq = trailer >> 8
            if seq <= sequence {
                let kind = UInt8(truncatingIfNeeded: trailer)
                if skipping && userKeyCompare(k, skipKey) <= 0 {
                    skipped += 1
                    if skipped > Cursor.maxSkipsBeforeReseek {
                        // Jump past every remaining entry of skipKey.
                        var t = Array(skipKey)
                        t.appendFixed64(packSequenceAndKind(0, .deletion))
                        t.withUnsafeBytes { merged.seek($0) }
                        skipped = 0
                        if merged.isValid && userKeyCompare(merged.key, skipKey) == 0 { merged.next() }
                        continue
                    }
                } else if kind == ValueKind.deletion.rawValue || kind == ValueKind.singleDeletion.rawValue {
                    setSkipKey(UnsafeRawBufferPointer(rebasing: k[0..<k.count - 8]))
                    skipping = true
                    skipped = 0
                } else if kind == ValueKind.value.rawValue {
                    valid = true
                    return
                } else {
                    cursorError = .notSupported(feature: "value kind 0x\(hexByte(kind)) in a cursor", file: "cursor")
                    return
                }
            }
            merged.next()
        }
    }

    /// Moves the merged iterator backward to the previous visible live user key, saving it in
    /// `savedKey`/`savedValue`, and sets `valid`.
    private func findPrevUserEntry() {
        var kindFound: UInt8 = ValueKind.deletion.rawValue
        valid = false
        while merged.isValid {
            let k = merged.key
            let trailer = k.loadFixed64(at: k.count - 8)
            let seq = trailer >> 8
            let user = UnsafeRawBufferPointer(rebasing: k[0..<k.count - 8])
            if let lowerBound, lowerBound.withUnsafeBytes({ compareBytes(user, $0) }) < 0 { break }
            if seq <= sequence {
                if kindFound != ValueKind.deletion.rawValue && savedKey.withUnsafeBytes({ compareBytes(user, $0) }) < 0 {
                    // A newer visible entry of the saved key was found: it decides.
                    break
                }
                kindFound = UInt8(truncatingIfNeeded: trailer)
                if kindFound == ValueKind.value.rawValue {
                    savedKey = Array(user)
                    savedValue = Array(merged.value)
                } else if kindFound == ValueKind.deletion.rawValue || kindFound == ValueKind.singleDeletion.rawValue {
                    savedKey.removeAll(keepingCapacity: true)
                    savedValue.removeAll(keepingCapacity: true)
                } else {
                    cursorError = .notSupported(feature: "value kind 0x\(hexByte(kindFound)) in a cursor", file: "cursor")
                    return
                }
            }
            merged.previous()
        }
        // A merge that stopped on an error (not at its start) may have hidden a newer version
        // of the saved key: the cursor stops too.
        if kindFound == ValueKind.value.rawValue && (merged.isValid || merged.error == nil) {
            valid = true
        } else {
            savedKey.removeAll(keepingCapacity: true)
            savedValue.removeAll(keepingCapacity: true)
        }
    }
}
