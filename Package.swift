// swift-tools-version: 6.1
// Sediment: an LSM-tree storage engine in Swift, with RocksDB-compatible on-disk formats.
import PackageDescription

let package = Package(
    name: "Sediment",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Sediment", targets: ["Sediment"]),
        .executable(name: "sst_dump", targets: ["SSTDump"]),
        .executable(name: "db_bench", targets: ["DBBench"]),
    ],
    dependencies: [
        // Latency histograms for db_bench (nanosecond percentiles).
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CXXHash", pkgConfig: "libxxhash", providers: [.apt(["libxxhash-dev"])]),
        .target(name: "CSedimentSupport"),
        .target(
            name: "Sediment",
            dependencies: ["CLZ4", "CZlib", "CXXHash", "CSedimentSupport"]
        ),
        .target(name: "SedimentTools", dependencies: ["Sediment", .product(name: "Histogram", package: "hdrhistogram-swift")]),
        .executableTarget(name: "SSTDump", dependencies: ["SedimentTools"]),
        .executableTarget(name: "DBBench", dependencies: ["SedimentTools"]),
        .target(name: "SedimentTestSupport", dependencies: ["Sediment"], path: "Tests/SedimentTestSupport"),
        .executableTarget(name: "CrashWriter", dependencies: ["Sediment"], path: "Tests/CrashWriter"),
        .testTarget(name: "SedimentTests", dependencies: ["Sediment", "SedimentTestSupport", "CrashWriter"]),
        .testTarget(name: "SedimentToolsTests", dependencies: ["SedimentTools", "SedimentTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
