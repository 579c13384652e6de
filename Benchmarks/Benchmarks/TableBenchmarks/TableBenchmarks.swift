// TableBenchmarks: filled in by the Table work; see DESIGN.md for the quoted figures.
import Benchmark
@_spi(Internals) import Sediment

let benchmarks: @Sendable () -> Void = {
}
