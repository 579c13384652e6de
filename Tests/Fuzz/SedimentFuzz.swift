// SedimentFuzz: the libFuzzer glue for Sediment's fuzz targets (issue 7, DESIGN.md §4a). Built
// outside SwiftPM by Tests/Fuzz/build.sh with `-sanitize=fuzzer,address`, together with
// Tests/SedimentTests/Fuzz/ (the entry points, `FuzzTarget`, shared with the suite) and
// Tests/SedimentTestSupport/TemporaryDirectory.swift; Tests/Fuzz/ci.sh runs every target (the CI step).
//
// Environment:
//   SEDIMENT_FUZZ_TARGET=<name or number>  every input goes whole to that target (table,
//       table-unverified, block, footer, log, manifest, writebatch, filter, model; see
//       FuzzTarget.swift). Unset: the first input byte (mod 9) picks the target, the rest is input.
//   SEDIMENT_FUZZ_WRITE_SEEDS=<dir>  write <dir>/<target>/seed-N for every target from Fixtures/
//       (the current directory must be the repository root) and exit; seed-corpus.sh calls this.
//
// A SedimentError is a pass for the parsers; any other error (a model divergence, printed to
// stderr), a trap, an ASan report, a leak or a timeout is a finding: minimize it, add it under
// Fixtures/fuzz/<target>/ (FuzzFindingTests replays it) and fix it.
import Glibc
import Sediment

/// The target fixed by SEDIMENT_FUZZ_TARGET, or nil when the first byte selects.
let fixedTarget: FuzzTarget? = getenv("SEDIMENT_FUZZ_TARGET").flatMap { FuzzTarget(named: String(cString: $0)) }

/// Writes every target's seeds under `dir`; returns how many files were written.
func writeSeeds(to dir: String) throws -> Int {
    let fs = PosixFileSystem()
    var written = 0
    try fs.createDirectory(dir)
    for target in FuzzTarget.allCases {
        let sub = dir + "/" + target.name
        try fs.createDirectory(sub)
        for (i, seed) in try target.seeds(fixtures: "Fixtures").enumerated() {
            let file = try fs.createForWriting(sub + "/seed-\(i)")
            try seed.withUnsafeBytes { try file.append($0) }
            try file.close()
            written += 1
        }
    }
    return written
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> Int32 {
    if let name = getenv("SEDIMENT_FUZZ_TARGET"), fixedTarget == nil {
        print("SEDIMENT_FUZZ_TARGET=\(String(cString: name)): no such target; targets: "
              + FuzzTarget.allCases.map(\.name).joined(separator: " "))
        exit(2)
    }
    if let dir = getenv("SEDIMENT_FUZZ_WRITE_SEEDS") {
        do {
            print("wrote \(try writeSeeds(to: String(cString: dir))) seeds to \(String(cString: dir))")
            exit(0)
        } catch {
            print("writing seeds failed: \(error)")
            exit(1)
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let target: FuzzTarget
    let bytes: [UInt8]
    if let fixedTarget {
        target = fixedTarget
        bytes = Array(UnsafeBufferPointer(start: data, count: size))
    } else {
        guard size > 0, let t = FuzzTarget(rawValue: data[0] % UInt8(FuzzTarget.allCases.count)) else { return 0 }
        target = t
        bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    }
    do { try target.run(bytes) } catch is SedimentError {} catch {
        // -O drops preconditionFailure's message: print it, and the decoded program of a model
        // input, before trapping (libFuzzer then saves the input as a crash artifact).
        var report = "\(target.name): \(error)\n"
        if target == .model { report += "program:\n\(ModelFuzzProgram(decoding: bytes))\n" }
        report += "replay: SEDIMENT_FUZZ_REPLAY=\(target.name):<artifact> swift test --filter FuzzFinding\n"
        fputs(report, stderr)
        preconditionFailure()
    }
    return 0
}
