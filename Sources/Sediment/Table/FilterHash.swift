// FilterHash: RocksDB's `Hash64` (util/hash.cc), the 64-bit key hash of format_version 5
// full filters. It is the *preview* XXH3 from xxHash 0.7.2 ("XXPH3"), which RocksDB froze for
// its persistent formats: for every input length it differs from the released XXH3 (0.8, the
// system libxxhash and `xxh3Hash64`), so it is implemented here from the algorithm.
// One more RocksDB change: the empty input hashes to mul128_fold64(secret[0..<8], PRIME64_2).
// Pure function; thread-safe. See DESIGN.md §6 "Filter block".

private let prime32_1: UInt64 = 0x9E37_79B1
private let prime32_2: UInt64 = 0x85EB_CA77
private let prime32_3: UInt64 = 0xC2B2_AE3D
private let prime64_1: UInt64 = 0x9E37_79B1_85EB_CA87
private let prime64_2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
private let prime64_3: UInt64 = 0x1656_67B1_9E37_79F9
private let prime64_4: UInt64 = 0x85EB_CA77_C2B2_AE63
private let prime64_5: UInt64 = 0x27D4_EB2F_1656_67C5

/// The 192-byte default secret of XXH3 (identical in the preview and the release).
private let xxhSecret: [UInt8] = [
    0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
    0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
    0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
    0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
    0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
    0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
    0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
    0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
    0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
    0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
    0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
    0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
]

@inline(__always) private func fold64(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let r = a.multipliedFullWidth(by: b)
    return r.low ^ r.high
}

@inline(__always) private func avalanche(_ x: UInt64) -> UInt64 {
    var h = x
    h ^= h >> 37
    h = h &* prime64_3
    h ^= h >> 32
    return h
}

/// RocksDB's `Hash64(data, n)` (XXPH3 64-bit, seed 0) of `input`.
func rocksHash64(_ input: UnsafeRawBufferPointer) -> UInt64 {
    xxhSecret.withUnsafeBytes { secret in rocksHash64(input, secret: secret) }
}

private func rocksHash64(_ input: UnsafeRawBufferPointer, secret s: UnsafeRawBufferPointer) -> UInt64 {
    let len = input.count
    @inline(__always) func r64(_ o: Int) -> UInt64 { input.loadFixed64(at: o) }
    @inline(__always) func k64(_ o: Int) -> UInt64 { s.loadFixed64(at: o) }
    @inline(__always) func mix16(_ i: Int, _ k: Int) -> UInt64 {
        fold64(r64(i) ^ k64(k), r64(i + 8) ^ k64(k + 8))
    }
    let n = UInt64(len)
    switch len {
    case 0:
        return fold64(k64(0), prime64_2)
    case 1...3:
        let combined = UInt32(input[0]) | UInt32(input[len >> 1]) << 8 | UInt32(input[len - 1]) << 16 | UInt32(len) << 24
        let keyed = UInt64(combined) ^ UInt64(s.loadFixed32(at: 0))
        return avalanche(keyed &* prime64_1)
    case 4...8:
        let lo = UInt64(input.loadFixed32(at: 0)), hi = UInt64(input.loadFixed32(at: len - 4))
        let keyed = (lo | hi << 32) ^ k64(0)
        let mix = n &+ ((keyed ^ (keyed >> 51)) &* prime32_1)
        return avalanche((mix ^ (mix >> 47)) &* prime64_2)
    case 9...16:
        let lo = r64(0) ^ k64(0), hi = r64(len - 8) ^ k64(8)
        return avalanche(n &+ (lo &+ hi) &+ fold64(lo, hi))
    case 17...128:
        var acc = n &* prime64_1
        if len > 32 {
            if len > 64 {
                if len > 96 {
                    acc &+= mix16(48, 96)
                    acc &+= mix16(len - 64, 112)
                }
                acc &+= mix16(32, 64)
                acc &+= mix16(len - 48, 80)
            }
            acc &+= mix16(16, 32)
            acc &+= mix16(len - 32, 48)
        }
        acc &+= mix16(0, 0)
        acc &+= mix16(len - 16, 16)
        return avalanche(acc)
    case 129...240:
        var acc = n &* prime64_1
        for i in 0..<8 { acc &+= mix16(16 * i, 16 * i) }
        acc = avalanche(acc)
        for i in 8..<(len / 16) { acc &+= mix16(16 * i, 16 * (i - 8) + 3) }
        acc &+= mix16(len - 16, 136 - 17)
        return avalanche(acc)
    default:
        return hashLong(input, secret: s)
    }
}

private func hashLong(_ input: UnsafeRawBufferPointer, secret s: UnsafeRawBufferPointer) -> UInt64 {
    var acc: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (prime32_3, prime64_1, prime64_2, prime64_3, prime64_4, prime32_2, prime64_5, prime32_1)
    let len = input.count
    let stripe = 64
    let roundsPerBlock = (s.count - stripe) / 8
    let blockLength = stripe * roundsPerBlock
    withUnsafeMutableBytes(of: &acc) { accBytes in
        let a = accBytes.bindMemory(to: UInt64.self)
        func accumulate(_ at: Int, _ k: Int) {
            for i in 0..<8 {
                let data = input.loadFixed64(at: at + 8 * i)
                let key = data ^ s.loadFixed64(at: k + 8 * i)
                a[i] &+= data
                a[i] &+= (key & 0xFFFF_FFFF) &* (key >> 32)
            }
        }
        func scramble() {
            for i in 0..<8 {
                var v = a[i]
                v ^= v >> 47
                v ^= s.loadFixed64(at: s.count - stripe + 8 * i)
                a[i] = v &* prime32_1
            }
        }
        let blocks = len / blockLength
        for b in 0..<blocks {
            for r in 0..<roundsPerBlock { accumulate(b * blockLength + r * stripe, r * 8) }
            scramble()
        }
        let stripes = (len - blocks * blockLength) / stripe
        for r in 0..<stripes { accumulate(blocks * blockLength + r * stripe, r * 8) }
        if len & (stripe - 1) != 0 { accumulate(len - stripe, s.count - stripe - 7) }
    }
    var result = UInt64(len) &* prime64_1
    withUnsafeBytes(of: &acc) { raw in
        for i in 0..<4 {
            result &+= fold64(raw.loadFixed64(at: 16 * i) ^ s.loadFixed64(at: 11 + 16 * i),
                              raw.loadFixed64(at: 16 * i + 8) ^ s.loadFixed64(at: 11 + 16 * i + 8))
        }
    }
    return avalanche(result)
}
