// BlockCursorTests: a block whose restart array is damaged (read with checksums off, or from a
// table stored without checksums) stops the cursor with a typed error instead of being passed
// over in silence.
import Testing
import SedimentTestSupport
@_spi(Internals) @testable import Sediment

@Suite struct BlockCursorTests {
    /// A later restart point equal to the start of the restart array names no entry: stepping
    /// to the last entry (a backward scan, seekForPrevious) used to leave the cursor invalid
    /// with no error, so the block's entries were skipped as if it were empty.
    @Test func aRestartPointAtTheEndOfTheEntriesIsCorruption() throws {
        var builder = BlockBuilder(restartInterval: 1)
        for i in 0..<3 { builder.add(ikey(Array("k\(i)".utf8), 1), Array("v\(i)".utf8)) }
        var bytes = builder.finish()
        let restarts = 3
        let restartsOffset = bytes.count - 4 - 4 * restarts
        #expect(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: bytes.count - 4, as: UInt32.self) } == 3)
        for i in 0..<4 { bytes[restartsOffset + 4 * (restarts - 1) + i] = UInt8(truncatingIfNeeded: restartsOffset >> (8 * i)) }
        let block = try Block.make(copying: bytes, file: "damaged.sst", offset: 4096)
        var cursor = BlockCursor(block: block, order: .internalKey)
        defer { cursor.release() }
        cursor.seekToLast()
        #expect(!cursor.isValid)
        guard case .corruption(let file, _, let message)? = cursor.error else {
            Issue.record("no corruption reported: \(String(describing: cursor.error))")
            return
        }
        #expect(file == "damaged.sst")
        #expect(message.contains("restart point 2"), "\(message)")
    }
}
