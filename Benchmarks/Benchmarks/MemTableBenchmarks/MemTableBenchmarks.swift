// MemTableBenchmarks: filled in by the MemTable work; see DESIGN.md for the quoted figures.
import Benchmark
@_spi(Internals) import Sediment

let benchmarks: @Sendable () -> Void = {
}
