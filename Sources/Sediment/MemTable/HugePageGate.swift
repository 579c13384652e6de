// HugePageGate: the switch that tells a database's memtable arenas whether a new chunk may use
// huge pages. See DESIGN.md §5 "Arena".
//
// While a full memtable waits for its flush, the database holds two memtables, and what the
// new one takes from the system during the flush is what the process's peak memory grows by.
// A huge-page chunk is resident 2 MiB at a time, and the prefaulter keeps the next 2 MiB
// ready, so during a flush the new memtable holds up to 4 MiB more than its entries need. With
// the gate closed, a new chunk uses ordinary 4 KiB pages, faulted in as the writer reaches
// them; chunks taken while it is open use huge pages as before, and the chunks taken while it
// was closed are handed to the prefaulter to be collapsed into huge pages once it opens.
//
// Thread-safety: an Atomic; the database closes and opens it under its lock, arenas read it
// from the writing thread.

import Synchronization

/// Whether new memtable chunks may use huge pages (closed while a flush is pending).
final class HugePageGate: Sendable {
    private let closed = Atomic<Bool>(false)

    /// An open gate.
    init() {}

    /// True when new chunks may use huge pages.
    var isOpen: Bool { !closed.load(ordering: .relaxed) }

    /// Sets the gate: open when no memtable waits for a flush.
    func set(open: Bool) { closed.store(!open, ordering: .relaxed) }
}
