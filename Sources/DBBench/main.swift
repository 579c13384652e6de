// db_bench: RocksDB's workload tool for Sediment. The logic lives in SedimentTools
// (DBBench.swift); this is only the process entry point.
import SedimentTools
import Glibc

exit(DBBench.main(Array(CommandLine.arguments.dropFirst())))
