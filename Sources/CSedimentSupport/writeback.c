// writeback.c: the write-back hint behind WritableFile.startWriteback (Linux sync_file_range).
#define _GNU_SOURCE
#include <fcntl.h>
#include "CSedimentSupport.h"

int sediment_start_writeback(int fd, int64_t offset, int64_t count) {
#if defined(__linux__)
    return sync_file_range(fd, (off64_t)offset, (off64_t)count, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)count;
    return 0;
#endif
}
