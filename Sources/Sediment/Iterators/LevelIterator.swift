// LevelIterator: one sorted, non-overlapping level (L1 and deeper) as a single internal
// iterator. It holds the level's file list and opens a table only when the cursor crosses into
// it (through the TableCache), so a scan of a small range opens few tables. Not thread-safe.

/// Iterates the tables of one sorted level in key order.
final class LevelIterator: InternalIterator {
    private let files: [FileMetadata]
    private let tableCache: TableCache
    private let verifyChecksums: Bool
    private let fillCache: Bool
    // Iterator state is @exclusivity(unchecked): the class is used by one thread at a time and
    // no access to a field overlaps another (no callbacks into self), so the run-time check
    // that class fields otherwise get on every access (swift_beginAccess) is pure cost.
    @exclusivity(unchecked) private var index = -1
    @exclusivity(unchecked) private var table: TableIterator? {
        didSet { tableRef = table.map { Unmanaged.passUnretained($0) } }
    }
    /// `table` without ownership, for `advance()`: calling through it makes no retain and
    /// release per step (DESIGN.md §14 P37). `table` keeps the iterator alive. `didSet` keeps
    /// the two in step; it does not run in `init`, so `init` must never set `table`.
    @exclusivity(unchecked) private var tableRef: Unmanaged<TableIterator>?
    @exclusivity(unchecked) private var savedError: SedimentError?

    init(files: [FileMetadata], tableCache: TableCache, verifyChecksums: Bool, fillCache: Bool) {
        self.files = files
        self.tableCache = tableCache
        self.verifyChecksums = verifyChecksums
        self.fillCache = fillCache
    }

    var isValid: Bool { table?.isValid ?? false }
    var key: UnsafeRawBufferPointer { table!.key }
    var value: UnsafeRawBufferPointer { table!.value }
    var error: SedimentError? { savedError ?? table?.error }

    /// Opens file `i` (or clears the table when out of range).
    private func open(_ i: Int) {
        index = i
        table = nil
        guard i >= 0 && i < files.count else { return }
        do {
            let reader = try tableCache.reader(number: files[i].number, size: files[i].size)
            table = reader.makeIterator(verifyChecksums: verifyChecksums, fillCache: fillCache)
        } catch let e as SedimentError {
            savedError = e
        } catch {
            savedError = .io(file: "table \(files[i].number)", errno: 0, message: "\(error)")
        }
    }

    /// Moves forward over exhausted tables.
    private func skipEmptyForward() {
        while let t = table, !t.isValid, t.error == nil, savedError == nil, index + 1 < files.count {
            open(index + 1)
            table?.seekToFirst()
        }
    }

    /// Moves backward over exhausted tables.
    private func skipEmptyBackward() {
        while let t = table, !t.isValid, t.error == nil, savedError == nil, index > 0 {
            open(index - 1)
            table?.seekToLast()
        }
    }

    /// False when no file's range holds `userKey` or that file's filter proves it absent.
    func mayContain(userKey: UnsafeRawBufferPointer) -> Bool {
        var lo = 0
        var hi = files.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let below = files[mid].largest.withUnsafeBytes { l in
                compareBytes(UnsafeRawBufferPointer(rebasing: l[0..<l.count - 8]), userKey) < 0
            }
            if below { lo = mid + 1 } else { hi = mid }
        }
        guard lo < files.count else { return false }
        let f = files[lo]
        let aboveSmallest = f.smallest.withUnsafeBytes { s in
            compareBytes(userKey, UnsafeRawBufferPointer(rebasing: s[0..<s.count - 8])) >= 0
        }
        guard aboveSmallest else { return false }
        // An error opening the table surfaces when the iterator is positioned.
        guard let reader = try? tableCache.reader(number: f.number, size: f.size) else { return true }
        return reader.filterMayMatch(userKey)
    }

    func seekToFirst() {
        open(0)
        table?.seekToFirst()
        skipEmptyForward()
    }

    func seekToLast() {
        open(files.count - 1)
        table?.seekToLast()
        skipEmptyBackward()
    }

    func seek(_ target: UnsafeRawBufferPointer) {
        // The first file whose largest key is >= target.
        var lo = 0
        var hi = files.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let c = files[mid].largest.withUnsafeBytes { compareInternalKeys($0, target) }
            if c < 0 { lo = mid + 1 } else { hi = mid }
        }
        open(lo)
        table?.seek(target)
        skipEmptyForward()
    }

    func seekForPrevious(_ target: UnsafeRawBufferPointer) {
        // The last file whose smallest key is <= target.
        var lo = 0
        var hi = files.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let c = files[mid].smallest.withUnsafeBytes { compareInternalKeys($0, target) }
            if c <= 0 { lo = mid + 1 } else { hi = mid }
        }
        open(lo - 1)
        table?.seekForPrevious(target)
        skipEmptyBackward()
    }

    func advance() -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)? {
        assert(tableRef?.toOpaque() == table.map { Unmanaged.passUnretained($0).toOpaque() },
               "LevelIterator.tableRef out of step with table")
        guard let t = tableRef else { return nil }
        if let e = t._withUnsafeGuaranteedRef({ $0.advance() }) { return e }
        skipEmptyForward()
        guard let u = table, u.isValid else { return nil }
        return (u.key, u.value)
    }

    func next() {
        table?.next()
        skipEmptyForward()
    }

    func previous() {
        table?.previous()
        skipEmptyBackward()
    }
}
