// crc32c (Castagnoli, reflected polynomial 0x82F63B78) for Sediment's log records and block
// trailers. The hardware path uses SSE4.2's crc32 instruction 8 bytes at a time; the portable
// path uses slicing-by-8 tables built once on first use.
#include "CSedimentSupport.h"
#include <string.h>
#include <pthread.h>

static uint32_t tables[8][256];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;
static int have_sse42 = 0;
#if defined(__x86_64__)
static void build_shift_tables(uint32_t t[4][256], size_t k);
static uint32_t shift_lane[4][256], shift_2lane[4][256];
#define LANE 128
#endif

static void build_tables(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : (c >> 1);
        tables[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
        for (int t = 1; t < 8; t++) tables[t][i] = (tables[t - 1][i] >> 8) ^ tables[0][tables[t - 1][i] & 0xFF];
    }
#if defined(__x86_64__)
    __builtin_cpu_init();
    have_sse42 = __builtin_cpu_supports("sse4.2");
    if (have_sse42) {
        build_shift_tables(shift_lane, LANE);
        build_shift_tables(shift_2lane, 2 * LANE);
    }
#endif
}

static uint32_t extend_portable(uint32_t crc, const uint8_t *p, size_t n) {
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= crc;
        crc = tables[7][w & 0xFF] ^ tables[6][(w >> 8) & 0xFF] ^ tables[5][(w >> 16) & 0xFF] ^
              tables[4][(w >> 24) & 0xFF] ^ tables[3][(w >> 32) & 0xFF] ^ tables[2][(w >> 40) & 0xFF] ^
              tables[1][(w >> 48) & 0xFF] ^ tables[0][w >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) crc = (crc >> 8) ^ tables[0][(crc ^ *p++) & 0xFF];
    return crc;
}

#if defined(__x86_64__)
// The crc32 instruction has a latency of three cycles and a throughput of one per cycle, so one
// dependent chain uses a third of it. Buffers of 3 * LANE bytes or more are split into three
// lanes crc'd side by side (the second and third from a zero register) and joined with the
// linearity of the crc register:
//   reg(a || b || c, r) = shift(reg(a, r), 2 * LANE) ^ shift(reg(b, 0), LANE) ^ reg(c, 0)
// where shift(r, k) is the register after k zero bytes from r: a linear map on 32 bits, kept
// as four 256-entry tables per k (one per byte of r), built once from the instruction itself.
__attribute__((target("sse4.2")))
static uint32_t zeros_sse42(uint32_t r, size_t n) {
    uint64_t c = r;
    for (size_t i = 0; i < n / 8; i++) c = __builtin_ia32_crc32di(c, 0);
    return (uint32_t)c;
}

static void build_shift_tables(uint32_t t[4][256], size_t k) {
    uint32_t basis[32];
    for (int b = 0; b < 32; b++) basis[b] = zeros_sse42(1u << b, k);
    for (int j = 0; j < 4; j++) {
        for (uint32_t v = 0; v < 256; v++) {
            uint32_t x = 0;
            for (int b = 0; b < 8; b++) if (v & (1u << b)) x ^= basis[8 * j + b];
            t[j][v] = x;
        }
    }
}

static inline uint32_t shift(const uint32_t t[4][256], uint32_t r) {
    return t[0][r & 0xFF] ^ t[1][(r >> 8) & 0xFF] ^ t[2][(r >> 16) & 0xFF] ^ t[3][r >> 24];
}

__attribute__((target("sse4.2")))
static uint32_t extend_sse42(uint32_t crc, const uint8_t *p, size_t n) {
    uint64_t c = crc;
    while (n >= 3 * LANE) {
        uint64_t a = c, b = 0, d = 0;
        for (size_t i = 0; i < LANE; i += 8) {
            uint64_t wa, wb, wd;
            memcpy(&wa, p + i, 8);
            memcpy(&wb, p + LANE + i, 8);
            memcpy(&wd, p + 2 * LANE + i, 8);
            a = __builtin_ia32_crc32di(a, wa);
            b = __builtin_ia32_crc32di(b, wb);
            d = __builtin_ia32_crc32di(d, wd);
        }
        c = shift(shift_2lane, (uint32_t)a) ^ shift(shift_lane, (uint32_t)b) ^ (uint32_t)d;
        p += 3 * LANE;
        n -= 3 * LANE;
    }
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = __builtin_ia32_crc32di(c, w);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}
#endif

uint32_t sediment_crc32c_extend_portable(uint32_t crc, const void *data, size_t n) {
    pthread_once(&tables_once, build_tables);
    return ~extend_portable(~crc, (const uint8_t *)data, n);
}

uint32_t sediment_crc32c_extend(uint32_t crc, const void *data, size_t n) {
    pthread_once(&tables_once, build_tables);
    const uint8_t *p = (const uint8_t *)data;
    crc = ~crc;
#if defined(__x86_64__)
    if (have_sse42) return ~extend_sse42(crc, p, n);
#endif
    return ~extend_portable(crc, p, n);
}
