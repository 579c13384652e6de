// DatabaseBenchmarks: filled in by the Database work; see DESIGN.md for the quoted figures.
import Benchmark
@_spi(Internals) import Sediment

let benchmarks: @Sendable () -> Void = {
}
