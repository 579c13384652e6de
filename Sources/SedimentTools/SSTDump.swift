// SSTDump: sst_dump's logic with RocksDB 7.8's syntax and output: `--file=` (a table or a
// directory of .sst files), `--command=check|scan|raw|verify|identify|recompress|none`,
// `--from=`, `--to=`, `--prefix=`, `--output_hex`, `--input_key_hex`, `--show_properties`,
// `--show_summary`, `--read_num=`, `--verify_checksum`, and recompress's `--set_block_size=`,
// `--compression_types=` and `--compression_level_from=`/`--compression_level_to=`.
// As RocksDB's, it reads only files whose names end in ".sst" (in a directory, and as --file
// itself: any other file is "not a valid SST file"), and it refuses a table whose data blocks
// need a compression dictionary (a "rocksdb.compression_dict" meta block) as not supported, as
// it refuses Snappy or ZSTD blocks.
// Differences from RocksDB: no "options.env is 0x…" line (a pointer), errors are one line
// naming the file (and block offset), every error makes the exit status 1, and a usage error
// is status 2, and recompress reports every table of a directory (RocksDB's stops after the
// first). Output goes through one buffer (SSTDumpOutput), not a syscall per line.
@_spi(Internals) import Sediment

/// sst_dump's logic.
package enum SSTDump {
    /// The parsed command line.
    struct Arguments {
        var path: String?
        var command = "check"
        var from: [UInt8]?
        var to: [UInt8]?
        var outputHex = false
        var inputKeyHex = false
        var showProperties = false
        var readNum: UInt64 = 0
        var verifyChecksum = false
        /// `--prefix=`: check and scan start at this key and stop at the first key without it.
        var prefix: [UInt8]?
        var showSummary = false
        /// recompress: the data block size of the rewritten tables.
        var blockSize = 16384
        /// recompress: RocksDB compression type names (nil: all of them).
        var compressionTypes: [String]?
    }

    /// Runs sst_dump with `arguments` (without the program name); returns the exit status.
    package static func main(_ arguments: [String]) -> Int32 {
        if arguments.contains("--help") || arguments.contains("-help") {
            printOut(usage)
            return 0
        }
        let args: Arguments
        do {
            args = try parse(arguments)
        } catch {
            printError("sst_dump: \(error)")
            return 2
        }
        var out = SSTDumpOutput()
        let status = run(args, &out)
        out.flush()
        return status
    }

    /// Runs sst_dump capturing its output instead of writing it (for tests).
    package static func capture(_ arguments: [String]) -> (status: Int32, stdout: [UInt8], stderr: String) {
        let args: Arguments
        do {
            args = try parse(arguments)
        } catch {
            return (2, [], "sst_dump: \(error)\n")
        }
        var out = SSTDumpOutput()
        out.capture = true
        let status = run(args, &out)
        out.flush()
        return (status, out.captured, out.capturedErrors)
    }

    static let usage = """
    sst_dump (Sediment): RocksDB's sst_dump commands on block-based tables.
    sst_dump --file=<table.sst or directory> [--command=check|scan|raw|verify|identify|none]
        --command=check     read every entry (the default); with --verify_checksum, checks blocks
        --command=scan      print every entry as 'key' seq:N, type:T => value
        --command=raw       write <file>_dump.txt: footer, meta blocks, properties, index, entries
        --command=verify    check every block's checksum
        --command=identify  report whether the file is a valid SST file, or list those in a directory
        --command=recompress  report the table's size written again with each compression type
        --from=<key> --to=<key>  the range for check and scan (--input_key_hex: keys in hex)
        --prefix=<key>      check and scan only the keys starting with <key> (not with --from)
        --read_num=<n>      stop after n entries
        --output_hex        print keys and values in hex
        --show_properties   print the table properties
        --verify_checksum   verify block checksums while reading
        --show_summary      after the files, the number of files, data blocks and block sizes
        --set_block_size=<n>  recompress: data block size (default 16384; also --block_size)
        --compression_types=<list>  recompress: comma-separated types, e.g. kLZ4Compression
            (Sediment has kNoCompression, kZlibCompression and kLZ4Compression)
        --compression_level_from=<n> --compression_level_to=<n>  recompress: only 32767, the
            default level, exists in Sediment
    Exit status: 0 when every file was read, 1 when a file is unreadable or damaged, 2 for a
    bad command line.
    """

    /// sst_dump's boolean flags (bare: true; `--noname`: false).
    static let booleanFlags: Set<String> = ["output_hex", "input_key_hex", "show_properties", "verify_checksum",
                                            "show_summary"]

    static func parse(_ arguments: [String]) throws(UsageError) -> Arguments {
        var a = Arguments()
        var from: String?, to: String?, prefix: String?
        var levelFrom: Int?, levelTo: Int?
        for (name, value) in try parseFlags(arguments, booleans: booleanFlags) {
            func bool() throws(UsageError) -> Bool {
                guard let b = parseBoolFlag(value) else { throw UsageError("bad value '\(value)' for --\(name)") }
                return b
            }
            switch name {
            case "file": a.path = value
            case "command": a.command = value
            case "from": from = value
            case "to": to = value
            case "output_hex": a.outputHex = try bool()
            case "input_key_hex": a.inputKeyHex = try bool()
            case "show_properties": a.showProperties = try bool()
            case "verify_checksum": a.verifyChecksum = try bool()
            case "read_num":
                guard let n = UInt64(value) else { throw UsageError("bad value '\(value)' for --read_num") }
                a.readNum = n
            case "prefix": prefix = value
            case "show_summary": a.showSummary = try bool()
            case "set_block_size", "block_size":
                guard let n = Int(value), n > 0, n <= Options.maxBlockSize else {
                    throw UsageError("bad value '\(value)' for --\(name) (1 to \(Options.maxBlockSize))")
                }
                a.blockSize = n
            case "compression_types":
                let names = value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                for n in names where !compressionTypeNames.contains(n) {
                    throw UsageError("\(n) is not a valid CompressionType")
                }
                a.compressionTypes = names
            case "compression_level_from", "compression_level_to", "compression_level":
                guard let n = Int(value) else { throw UsageError("bad value '\(value)' for --\(name)") }
                if name != "compression_level_to" { levelFrom = n }
                if name != "compression_level_from" { levelTo = n }
            default:
                throw UsageError("Unrecognized argument '--\(name)'")
            }
        }
        guard ["check", "scan", "raw", "verify", "identify", "recompress", "none", ""].contains(a.command) else {
            throw UsageError("unknown --command=\(a.command) (use check, scan, raw, verify, identify, recompress or none)")
        }
        if prefix != nil && from != nil { throw UsageError("Cannot specify --prefix and --from") }
        switch (levelFrom, levelTo) {
        case (nil, nil): break
        case (let f?, let t?):
            guard a.compressionTypes?.count == 1 else { throw UsageError("Specify one compression type.") }
            guard f == defaultCompressionLevel && t == defaultCompressionLevel else {
                throw UsageError("compression levels \(f) to \(t): Sediment's codecs have only the default level, \(defaultCompressionLevel)")
            }
        default: throw UsageError("Specify both --compression_level_from and --compression_level_to.")
        }
        guard a.path != nil else { throw UsageError("file or directory must be specified (--file=PATH)") }
        func key(_ s: String?, _ flag: String) throws(UsageError) -> [UInt8]? {
            guard let s else { return nil }
            guard a.inputKeyHex else { return Array(s.utf8) }
            guard let k = decodeHex(s) else { throw UsageError("--\(flag)=\(s) is not hex") }
            return k
        }
        a.from = try key(from, "from")
        a.to = try key(to, "to")
        a.prefix = try key(prefix, "prefix")
        return a
    }

    /// True for a name RocksDB's sst_dump reads: longer than 4 characters, ending in ".sst".
    static func isTableName(_ name: String) -> Bool {
        name.utf8.count > 4 && name.hasSuffix(".sst")
    }

    /// The meta block of a table whose blocks are compressed with a dictionary.
    static let compressionDictBlock = "rocksdb.compression_dict"

    /// One line for `error` about `file`: the error's own text when it names the file.
    static func describe(_ error: any Error, file: String) -> String {
        let text = "\(error)"
        return text.contains(file) ? text : "\(file): \(text)"
    }

    /// Decodes hex (an optional 0x prefix, either case); nil when malformed.
    static func decodeHex(_ s: String) -> [UInt8]? {
        var digits = Array(s.utf8)
        if digits.count >= 2 && digits[0] == 0x30 && (digits[1] == 0x78 || digits[1] == 0x58) { digits.removeFirst(2) }
        guard digits.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        var i = 0
        while i < digits.count {
            guard let h = nibble(digits[i]), let l = nibble(digits[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }

    private static func run(_ args: Arguments, _ out: inout SSTDumpOutput) -> Int32 {
        let fs = PosixFileSystem()
        guard let path = args.path else { return 2 }
        guard fs.fileExists(path) else {
            out.error("\(path): No such file or directory")
            return 1
        }
        let isDirectory = fs.isDirectory(path)
        // RocksDB skips a --file not named *.sst as it skips such a directory entry.
        var files: [String] = isTableName(path) ? [path] : []
        if isDirectory {
            do {
                files = try fs.children(of: path).filter(isTableName).sorted().map { path + "/" + $0 }
            } catch {
                out.error(describe(error, file: path))
                return 1
            }
        }
        var failed = false
        var valid = 0
        var validFiles: [String] = []
        var totalRead: UInt64 = 0
        var summary = Summary()
        fileLoop: for file in files {
            out.line("Process \(file)")
            let table: TableReader
            do {
                let size = try fs.fileSize(file)
                guard size > 0 else { throw SedimentError.corruption(file: file, offset: 0, message: "empty file") }
                table = try TableReader.open(file: fs.openForReading(file), fileSize: size, fileNumber: 0, blockCache: nil)
                // Its data blocks do not decompress without the dictionary, which Sediment does
                // not apply: refused like a Snappy table, not reported as corrupted.
                if table.metaindexEntries.contains(where: { $0.name == compressionDictBlock }) {
                    throw SedimentError.notSupported(feature: "compression dictionary (\(compressionDictBlock))", file: file)
                }
            } catch {
                out.error(describe(error, file: file))
                failed = true
                continue
            }
            out.line("Sst file format: block-based")
            valid += 1
            validFiles.append(file)
            if valid == 1 && ["check", "scan", ""].contains(args.command) {
                out.line("from [\(hex(args.from ?? args.prefix ?? []))] to [\(hex(args.to ?? []))]")
            }
            switch args.command {
            case "recompress":
                // RocksDB stops after the first table; Sediment reports every one.
                do {
                    try showCompressionSizes(table, args, &out)
                } catch {
                    out.error("Failed to recompress: " + describe(error, file: file))
                    failed = true
                }
                continue
            case "raw":
                let dumpPath = String(file.dropLast(4)) + "_dump.txt"  // every file ends in ".sst"
                do {
                    try fs.writeWholeFile(dumpPath, rawDump(table), sync: false)
                    out.line("raw dump written to file \(dumpPath)")
                } catch {
                    out.error(describe(error, file: file))
                    failed = true
                }
                continue
            case "check", "scan", "":
                let remaining = args.readNum > 0 ? args.readNum - min(totalRead, args.readNum) : 0
                let (read, error) = scan(table, args, limit: remaining, print: args.command == "scan", &out)
                if let error {
                    out.error(describe(error, file: file))
                    failed = true
                }
                totalRead += read
                // RocksDB stops here, before the properties, once --read_num is passed.
                if args.readNum > 0 && totalRead > args.readNum { break fileLoop }
            case "verify":
                do {
                    try table.verifyChecksums()
                    out.line("The file is ok")
                } catch {
                    out.error("\(file) is corrupted: \(error)")
                    failed = true
                }
                continue
            default:
                break
            }
            if args.showProperties { printProperties(table.properties, &out) }
            if args.showSummary { summary.add(table.properties) }
            if args.readNum > 0 && totalRead > args.readNum { break }
        }
        if args.showSummary { summary.print(&out) }
        if valid == 0 {
            if failed && !isDirectory { return 1 }
            if isDirectory {
                out.line("------------------------------")
                out.error("No valid SST files found in \(path)")
            } else {
                out.error("\(path) is not a valid SST file")
            }
            return 1
        }
        if args.command == "identify" {
            if isDirectory {
                out.line("------------------------------")
                out.line("List of valid SST files found in \(path):")
                for f in validFiles { out.line(f) }
                out.line("Number of valid SST files: \(validFiles.count)")
            } else {
                out.line("\(path) is a valid SST file")
            }
        }
        return failed ? 1 : 0
    }

    /// `--show_summary`'s totals over the tables whose properties were read.
    struct Summary {
        var files: UInt64 = 0
        var dataBlocks: UInt64 = 0
        var dataSize: UInt64 = 0
        var indexSize: UInt64 = 0
        var filterSize: UInt64 = 0

        mutating func add(_ p: TableProperties) {
            files += 1
            dataBlocks &+= p.numDataBlocks
            dataSize &+= p.dataSize
            indexSize &+= p.indexSize
            filterSize &+= p.filterSize
        }

        func print(_ out: inout SSTDumpOutput) {
            out.line("total number of files: \(files)")
            out.line("total number of data blocks: \(dataBlocks)")
            out.line("total data block size: \(dataSize)")
            out.line("total index block size: \(indexSize)")
            out.line("total filter block size: \(filterSize)")
        }
    }
}
