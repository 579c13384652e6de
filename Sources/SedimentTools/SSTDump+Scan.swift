// SSTDump+Scan: the check and scan commands (RocksDB's SstFileDumper::ReadSequential) and the
// shared byte formatting: `'<user key>' seq:N, type:T => <value>`, keys and values as raw
// bytes or uppercase hex. RocksDB prints each with printf("%s"), so text stops at a NUL byte;
// Sediment reproduces that truncation to keep the output byte-identical.
@_spi(Internals) import Sediment

extension SSTDump {
    /// Uppercase hex of `bytes` (RocksDB's Slice::ToString(true)).
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `bytes` (or their hex) up to the first NUL, as "%s" would print them.
    static func appendPrintf(_ bytes: UnsafeRawBufferPointer, hex asHex: Bool, to out: inout [UInt8]) {
        if asHex {
            out.append(contentsOf: hex(bytes).utf8)
        } else {
            for b in bytes {
                if b == 0 { break }
                out.append(b)
            }
        }
    }

    /// Reads entries from `args.from` (or `args.prefix`) up to `args.to` (or the first key
    /// without the prefix), printing them when `print`. Returns the
    /// number of entries counted (RocksDB's read_num bookkeeping) and the error, if any.
    static func scan(_ table: TableReader, _ args: Arguments, limit: UInt64, print: Bool,
                     _ out: inout SSTDumpOutput) -> (UInt64, SedimentError?) {
        let it = table.makeIterator(verifyChecksums: args.verifyChecksum, fillCache: false)
        if let from = args.from ?? args.prefix {
            var target = from
            // The smallest internal key for the user key: max sequence, kValueTypeForSeek.
            var trailer = ((UInt64(1) << 56) - 1) << 8 | 0x16
            for _ in 0..<8 {
                target.append(UInt8(truncatingIfNeeded: trailer))
                trailer >>= 8
            }
            target.withUnsafeBytes { it.seek($0) }
        } else {
            it.seekToFirst()
        }
        var count: UInt64 = 0
        var line: [UInt8] = []
        while it.isValid {
            count += 1
            if limit > 0 && count > limit { break }
            let key = it.key
            if key.count < 8 {
                out.error("Corrupted internal key of \(key.count) bytes")
                it.next()
                continue
            }
            let user = UnsafeRawBufferPointer(rebasing: key[0..<key.count - 8])
            if let prefix = args.prefix, !user.starts(with: prefix) { break }
            if let to = args.to, to.withUnsafeBytes({ compare(user, $0) }) >= 0 { break }
            if print {
                let trailer = UnsafeRawBufferPointer(rebasing: key[(key.count - 8)...]).loadUnaligned(as: UInt64.self)
                let t = UInt64(littleEndian: trailer)
                var debug: [UInt8] = [0x27]
                if args.outputHex { debug.append(contentsOf: hex(user).utf8) } else { debug.append(contentsOf: user) }
                debug.append(contentsOf: "' seq:\(t >> 8), type:\(t & 0xFF)".utf8)
                // The whole debug string goes through one %s: it ends at its first NUL.
                line = Array(debug.prefix { $0 != 0 })
                line.append(contentsOf: " => ".utf8)
                appendPrintf(it.value, hex: args.outputHex, to: &line)
                line.append(10)
                out.write(line)
            }
            it.next()
        }
        return (count, it.error)
    }

    /// Bytewise comparison.
    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, b.count)
        for i in 0..<n where a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
        return a.count < b.count ? -1 : (a.count > b.count ? 1 : 0)
    }
}
