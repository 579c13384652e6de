// FilterBlock: reads a table's whole-key full filter block (metaindex key
// "fullfilter.rocksdb.BuiltinBloomFilter") and decides which implementation its 5-byte
// metadata trailer names, as RocksDB's GetBuiltinFilterBitsReader does. Only FastLocalBloom is
// evaluated; every other kind answers "may match" (never a false negative), and a filter of
// metadata only answers "no". See BloomFilter.swift for the layout, DESIGN.md §6 "Filter block".
// Immutable; thread-safe.

/// The metaindex key of a whole-key full filter written with the built-in Bloom policy.
let fullFilterMetaKey = "fullfilter.rocksdb.BuiltinBloomFilter"
/// The `rocksdb.filter.policy` property value RocksDB 7.8 writes for that policy.
let bloomFilterPolicyName = "bloomfilter"

/// A table's filter, ready for queries.
struct FilterBlockReader: Sendable {
    private enum Kind: Sendable {
        case alwaysTrue, alwaysFalse
        case fastLocalBloom(BloomFilterReader)
    }
    private let kind: Kind
    /// The filter block (kept alive for `bits`).
    let contents: [UInt8]

    /// Interprets filter block `contents`.
    init(contents: [UInt8]) {
        self.contents = contents
        let n = contents.count
        if n <= 5 {
            kind = .alwaysFalse
        } else if contents[n - 5] == 0xFF {
            let len = n - 5
            let sub = contents[n - 4]
            let blockAndProbes = contents[n - 3]
            let probes = Int(blockAndProbes & 31)
            // As RocksDB's reader: 0 and 31 probes and nonzero reserved bytes (perhaps a
            // future hash seed) are layouts this reader does not know, so they answer "may match".
            let reserved = contents[n - 2] | contents[n - 1]
            if sub == 0, blockAndProbes >> 5 == 0, (1...30).contains(probes), reserved == 0, len % 64 == 0 {
                kind = .fastLocalBloom(BloomFilterReader(bitsLength: len, numProbes: probes))
            } else {
                kind = .alwaysTrue
            }
        } else {
            // Legacy Bloom (num_probes >= 1), Ribbon (-2) or unknown: answer conservatively.
            kind = .alwaysTrue
        }
    }

    /// False only when `userKey` is certainly not in the table.
    func mayMatch(_ userKey: UnsafeRawBufferPointer) -> Bool {
        switch kind {
        case .alwaysTrue: return true
        case .alwaysFalse: return false
        case .fastLocalBloom(let r):
            return contents.withUnsafeBytes { r.mayMatch(userKey, bits: $0) }
        }
    }

    /// True when the filter is one Sediment evaluates (FastLocalBloom).
    var isEvaluated: Bool {
        if case .fastLocalBloom = kind { return true }
        return false
    }
}
