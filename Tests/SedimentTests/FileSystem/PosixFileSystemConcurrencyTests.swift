// Concurrency tests for PosixFileSystem's mapped reads: threads that make a file's first mapped
// reads at the same moment race to map it; exactly one mapping is made and every thread reads the
// file's bytes. Runs under the thread sanitizer (Tests/sanitize.sh, "Concurrency").
import Synchronization
import Testing
@_spi(Internals) @testable import Sediment
import SedimentTestSupport

@Suite struct PosixFileSystemConcurrencyTests {
    @Test func threadsMappingAFileAtOnceAllReadItsBytes() throws {
        try withTemporaryDirectory { dir in
            let bytes = (0..<(6 * 4096 + 17)).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
            for round in 0..<40 {
                let path = dir + "/f\(round)"
                let out = try PosixFileSystem().createForWriting(path)
                try bytes.withUnsafeBytes { try out.append($0) }
                try out.close()
                let file = try PosixFileSystem().openForReading(path)
                let mismatches = LockedState(0)
                let arrived = Atomic<Int>(0)
                runConcurrently(threads: 4) { t in
                    // Start together, so that several threads find the file unmapped.
                    arrived.add(1, ordering: .relaxed)
                    while arrived.load(ordering: .relaxed) < 4 {}
                    let offset = (t * 5000) % bytes.count
                    var got = [UInt8](repeating: 0, count: 4096)
                    let n = (try? got.withUnsafeMutableBytes { try file.readMapped(at: UInt64(offset), into: $0) }) ?? -1
                    let want = Array(bytes[offset..<min(offset + 4096, bytes.count)])
                    if n != want.count || Array(got[0..<max(n, 0)]) != want { mismatches.withLock { $0 += 1 } }
                }
                #expect(mismatches.withLock { $0 } == 0, "round \(round)")
            }
        }
    }
}
