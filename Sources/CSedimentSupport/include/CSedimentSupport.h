// CSedimentSupport: the few routines that want CPU instructions or system calls Swift cannot
// name directly (sync_file_range needs _GNU_SOURCE; a SIGBUS guard needs sigsetjmp).
// crc32c uses the SSE4.2 `crc32` instruction when the CPU has it, slicing-by-8 tables otherwise.
#ifndef SEDIMENT_SUPPORT_H
#define SEDIMENT_SUPPORT_H
#include <stddef.h>
#include <stdint.h>

/// Extends `crc` (an unmasked crc32c, 0 for a fresh one) over `n` bytes at `data`.
uint32_t sediment_crc32c_extend(uint32_t crc, const void *data, size_t n);

/// The same with the portable (table-driven) code whatever the CPU: for tests that check the
/// hardware path against it.
uint32_t sediment_crc32c_extend_portable(uint32_t crc, const void *data, size_t n);

/// Hints the CPU to start loading the cache line at `p` for reading (no fault if `p` is bad).
static inline void sediment_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

/// Linux sync_file_range(fd, offset, count, SYNC_FILE_RANGE_WRITE): starts write-back of the
/// range without waiting. Returns 0 or -1 with errno; a no-op returning 0 elsewhere.
int sediment_start_writeback(int fd, int64_t offset, int64_t count);

/// Installs (once per process) the SIGBUS handler behind `sediment_guarded_copy`, chaining to
/// the handler installed before it. Returns 0, or -1 when sigaction failed (then mapped reads
/// must not be used).
int sediment_install_sigbus_guard(void);

/// Copies `count` bytes from `source` (inside a file mapping) to `destination`. Returns 0, or -1
/// when touching `source` raised SIGBUS (the file shrank under the mapping); `destination` is
/// then partly written. Call `sediment_install_sigbus_guard` first.
int sediment_guarded_copy(void *destination, const void *source, size_t count);

#endif
