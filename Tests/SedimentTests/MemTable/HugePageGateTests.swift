// Tests for HugePageGate as the database drives it: closed while a memtable waits for its flush
// (even a flush that failed), open again once no memtable waits. The arena's side (small pages,
// no prefault, collapse on reopening) is in ArenaTests.
import Testing
@testable import Sediment
import SedimentTestSupport

@Suite struct HugePageGateTests {
    @Test func aDatabaseClosesTheGateWhileAMemTableWaitsForItsFlush() throws {
        try withMemoryBackedTemporaryDirectory { dir in
            let opened = try openOverFaultInjection(in: dir)
            let (fs, db) = (opened.fs, opened.db)
            #expect(db.core.hugePageGate.isOpen)
            for i in 0..<100 { try db.put(b("k\(i)"), b("v\(i)")) }
            try db.flush()
            #expect(db.core.hugePageGate.isOpen, "no memtable waits after a flush")
            for i in 0..<100 { try db.put(b("k\(i)"), b("w\(i)")) }
            // The table cannot be created: the switched memtable keeps waiting, the gate stays shut.
            fs.inject(.init(.create, pathContains: ".sst", error: .noSpace(file: "injected", message: "injected ENOSPC"), times: 1))
            #expect(throws: SedimentError.self) { try db.flush() }
            let waiting = db.core.monitor.withLock { db.core.state.imms.count }
            #expect(waiting == 1)
            #expect(!db.core.hugePageGate.isOpen)
            for i in 0..<100 { #expect(try db.get(b("k\(i)")) == b("w\(i)")) }
            try db.close()
        }
    }
}
