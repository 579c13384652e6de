// Makes Fixtures/db/rocksdb-split-key: a RocksDB 7.8.3 database whose L1 splits the versions
// of one user key between adjacent tables (RocksDB cuts compaction outputs by size, even
// inside one key's versions, when snapshots keep the versions alive). The newest entry of
// "k" is a tombstone; "a" and "z" are live.
//   cc rocksdb-split-key.c -o mk /usr/lib/x86_64-linux-gnu/librocksdb.so.7.8 && ./mk DIR
// then copy every file but LOG and LOCK. Expected layout (`ldb manifest_dump`):
//   L1: 12:[a#0 .. k#23]  13:[k#22 .. k#4]  14:[k#3 .. z#43]   (tombstone k#42 in 12)
#include <stdio.h>
#include <string.h>

// RocksDB's C API (rocksdb/c.h), declared here so that Debian's librocksdb7.8 alone suffices.
typedef struct rocksdb_t rocksdb_t;
typedef struct rocksdb_options_t rocksdb_options_t;
typedef struct rocksdb_writeoptions_t rocksdb_writeoptions_t;
typedef struct rocksdb_flushoptions_t rocksdb_flushoptions_t;
typedef struct rocksdb_snapshot_t rocksdb_snapshot_t;
enum { rocksdb_no_compression = 0 };
rocksdb_options_t* rocksdb_options_create(void);
void rocksdb_options_set_create_if_missing(rocksdb_options_t*, unsigned char);
void rocksdb_options_set_compression(rocksdb_options_t*, int);
void rocksdb_options_set_target_file_size_base(rocksdb_options_t*, unsigned long long);
void rocksdb_options_set_disable_auto_compactions(rocksdb_options_t*, int);
rocksdb_t* rocksdb_open(const rocksdb_options_t*, const char*, char**);
void rocksdb_close(rocksdb_t*);
rocksdb_writeoptions_t* rocksdb_writeoptions_create(void);
rocksdb_flushoptions_t* rocksdb_flushoptions_create(void);
void rocksdb_put(rocksdb_t*, const rocksdb_writeoptions_t*, const char*, size_t, const char*, size_t, char**);
void rocksdb_delete(rocksdb_t*, const rocksdb_writeoptions_t*, const char*, size_t, char**);
const rocksdb_snapshot_t* rocksdb_create_snapshot(rocksdb_t*);
void rocksdb_release_snapshot(rocksdb_t*, const rocksdb_snapshot_t*);
void rocksdb_flush(rocksdb_t*, const rocksdb_flushoptions_t*, char**);
void rocksdb_compact_range(rocksdb_t*, const char*, size_t, const char*, size_t);

#define CHECK(e) do { if (e) { fprintf(stderr, "%s\n", e); return 1; } } while (0)

int main(int argc, char** argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s DIR\n", argv[0]); return 2; }
    char* err = NULL;
    rocksdb_options_t* o = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(o, 1);
    rocksdb_options_set_compression(o, rocksdb_no_compression);
    rocksdb_options_set_target_file_size_base(o, 4096);
    rocksdb_options_set_disable_auto_compactions(o, 1);
    rocksdb_t* db = rocksdb_open(o, argv[1], &err); CHECK(err);
    rocksdb_writeoptions_t* w = rocksdb_writeoptions_create();
    rocksdb_flushoptions_t* f = rocksdb_flushoptions_create();
    const rocksdb_snapshot_t* snapshots[40];
    rocksdb_put(db, w, "a", 1, "A", 1, &err); CHECK(err);
    for (int i = 0; i < 40; i++) {
        char v[400], head[32];
        memset(v, 'a' + i % 26, sizeof v);
        int n = snprintf(head, sizeof head, "old-version-%02d:", i);
        memcpy(v, head, (size_t)n);
        rocksdb_put(db, w, "k", 1, v, sizeof v, &err); CHECK(err);
        snapshots[i] = rocksdb_create_snapshot(db);
        if (i == 19) { rocksdb_flush(db, f, &err); CHECK(err); }
    }
    rocksdb_delete(db, w, "k", 1, &err); CHECK(err);
    rocksdb_put(db, w, "z", 1, "Z", 1, &err); CHECK(err);
    rocksdb_flush(db, f, &err); CHECK(err);
    rocksdb_compact_range(db, NULL, 0, NULL, 0);
    for (int i = 0; i < 40; i++) rocksdb_release_snapshot(db, snapshots[i]);
    rocksdb_close(db);
    return 0;
}
