// swift-tools-version: 6.1
// Sediment's benchmarks (ordo-one/benchmark), a package of their own so that the test suite and
// `swift test --sanitize=thread` never build the harness or its malloc interposer.
// Run: cd Benchmarks && swift package benchmark
import PackageDescription

let package = Package(
    name: "SedimentBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Sediment", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "TableBenchmarks",
            dependencies: [.product(name: "Sediment", package: "Sediment"), .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/TableBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "MemTableBenchmarks",
            dependencies: [.product(name: "Sediment", package: "Sediment"), .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/MemTableBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "DatabaseBenchmarks",
            dependencies: [.product(name: "Sediment", package: "Sediment"), .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/DatabaseBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
