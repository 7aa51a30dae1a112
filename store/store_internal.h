/* Shared-internal parts of the filesystem + SQLite store backend: the handle's layout and
 * the helpers that store.c (open, schema), blob.c (blobs, file maps), cache.c (derived
 * files) and index.c (projects, artifacts, transactions) share. Nothing outside store/
 * includes this file: the seam to other layers is store/store.h alone. */
#ifndef UV_STORE_INTERNAL_H
#define UV_STORE_INTERNAL_H

#include "store/store.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Prepared statements kept for the life of the handle (index.c owns their SQL). */
enum uv_store__stmt {
    UV_STMT_PROJECT_INSERT,
    UV_STMT_PROJECT_FIND,
    UV_STMT_VERSION_FIND,
    UV_STMT_VERSION_INSERT,
    UV_STMT_ARTIFACT_UPSERT,
    UV_STMT_ARTIFACT_GET,
    UV_STMT_ARTIFACT_DEBUG_ID,
    UV_STMT_ARTIFACT_EACH_VERSION,
    UV_STMT_ARTIFACT_EACH_ALL,
    UV_STMT_ARTIFACT_EACH_PROJECT,
    UV_STMT_ARTIFACT_DELETE,
    UV_STMT_BEGIN,
    UV_STMT_COMMIT,
    UV_STMT_ROLLBACK,
    UV_STMT_COUNT
};

/* Default bound on cache/ (overridable with env UNRAVEL_CACHE_MAX_BYTES): derived files are
 * a few times their source maps / debug files, 2 GiB holds the working set of many releases. */
#define UV_STORE_CACHE_DEFAULT_MAX ((uint64_t)2 << 30)

/* Temp files (tmp-*) in blobs/ and cache/ older than this are leftovers of killed writers. */
#define UV_STORE_STALE_TEMP_SECONDS (24 * 3600)

struct uv_store {
    char *dir;       /* as given to uv_store_open */
    char *blobs_dir; /* dir/blobs */
    char *cache_dir; /* dir/cache */
    sqlite3 *db;
    int flags;
    int schema_version;
    bool in_tx; /* inside uv_store_begin … commit/rollback */
    sqlite3_stmt *stmts[UV_STMT_COUNT];
    /* cache accounting (cache.c): bytes in cache/ as last scanned plus this handle's puts */
    uint64_t cache_max;
    uint64_t cache_total;
    bool cache_scanned;
    /* service.c's prepared statements, allocated on first use */
    struct uv_store__service *service;
    /* The store's change generation (store.c): a counter in the shared mapping of
     * dir/unravel.gen (NULL when it could not be mapped), bumped after a commit that changed
     * artifacts or project settings (state_dirty set by those writes). */
    _Atomic uint64_t *generation;
    bool state_dirty;
    /* Deferred durability (uv_store_defer_sync): commits do not wait for the disk; the log's
     * frame count after the last commit (SQLite's WAL hook) and a descriptor of the log file
     * that uv_store_log_flush syncs (opened on first use). */
    bool sync_deferred;
    int log_frames;
    int log_fd;
    bool log_fd_open;
};

/* Marks the open transaction (or the next commit) as changing what services cache. */
void uv_store__state_changed(uv_store *store);
/* At the end of a transaction: when it changed such state and committed, bumps the
 * generation (the counter only grows); either way the mark is cleared. */
void uv_store__announce(uv_store *store, bool committed);

/* Frees service.c's state (close path); accepts a store without any. */
void uv_store__service_free(uv_store *store);

/* Opens like uv_store_open but migrates a new or older database only up to schema
 * `schema_version` (≥ 1): for tests that need a store as an older release left it. */
int uv_store__open_schema(uv_store **out, const char *dir, int flags, int schema_version);

/* Records a SQLite failure as "store DIR: <what>: <sqlite message>" with the SQLite code,
 * mapping it to a uv_code, and returns that code. */
int uv_store__sql_error(uv_store *store, int rc, const char *what);

/* Maps a SQLite result code to a uv_code. */
int uv_store__sql_code(int rc);

/* Returns the cached prepared statement `id` (preparing it on first use), or NULL with the
 * error recorded. The statement is reset and unbound when handed out. */
sqlite3_stmt *uv_store__stmt(uv_store *store, enum uv_store__stmt id);
const char *uv_store__stmt_sql(enum uv_store__stmt id);

/* Frees the prepared statements (close path). */
void uv_store__stmts_free(uv_store *store);

/* malloc'd "a/b" (or "a/b/c" with c non-NULL); NULL with UV_ENOMEM recorded. */
char *uv_store__join(const char *a, const char *b, const char *c);

/* mkdir that treats an existing directory as success; records UV_EIO naming the path. */
int uv_store__mkdir(const char *path, mode_t mode);

/* fsyncs a directory so a rename/creation inside it is durable. */
int uv_store__fsync_dir(const char *path);

/* Creates a unique temp file "tmp-<pid>-<n>-<ns>" in dir with O_EXCL, mode 0644. Returns the
 * fd and stores the malloc'd path in *out_path, or a negative UV_E* code. */
int uv_store__temp_create(const char *dir, char **out_path);

/* Writes all of len bytes (retrying on EINTR/short writes); records UV_EIO naming path. */
int uv_store__write_all(int fd, const void *data, size_t len, const char *path);

/* Removes tmp-* files older than UV_STORE_STALE_TEMP_SECONDS directly inside dir. */
void uv_store__remove_stale_temps(const char *dir);

/* True when hex is exactly 64 lowercase hex digits. */
bool uv_store__valid_hex(const char *hex);

/* Reads UNRAVEL_CACHE_MAX_BYTES (or the default) into store->cache_max. */
int uv_store__cache_init(uv_store *store);

#endif
