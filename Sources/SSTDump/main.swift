// sst_dump: inspects and verifies SSTables with RocksDB's sst_dump syntax. The logic lives in
// SedimentTools (SSTDump.swift); this is only the process entry point.
import SedimentTools
import Glibc

exit(SSTDump.main(Array(CommandLine.arguments.dropFirst())))
