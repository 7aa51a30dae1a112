/* The store: one directory holding
 *   unravel.db   SQLite (WAL) index: schema version (PRAGMA user_version), projects,
 *                versions, artifacts
 *   blobs/ab/cdef…  content-addressed (SHA-256) artifact bytes, written temp + fsync + rename
 *   cache/       derived lookup files keyed by (kind, blob hash, format version); safe to delete
 * Nothing above store/ touches SQLite or blob paths: everything goes through this interface,
 * so a second backend (object store + PostgreSQL) is an addition, not a rewrite.
 * An acknowledged write (return 0) survives kill -9 and power loss. */
#ifndef UV_STORE_H
#define UV_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/buf.h"

typedef struct uv_store uv_store;

#define UV_STORE_DEFAULT_DIR "./unravel-data"
#define UV_HASH_HEX 65 /* 64 hex digits of SHA-256 + NUL */

enum {
    UV_STORE_CREATE = 1,   /* create the directory and database when missing */
    UV_STORE_READONLY = 2, /* open for reading only; fails when the store does not exist */
};

/* Opens (and with UV_STORE_CREATE creates) the store in `dir`, applying pending schema
 * migrations inside a transaction. A database of a newer schema than this binary knows is
 * UV_EUNSUPPORTED; a missing store without UV_STORE_CREATE is UV_ENOTFOUND. Free with
 * uv_store_close. A handle is used by one thread at a time: open one per thread (any number
 * of handles and processes share a store safely; writers wait up to 5 s for each other). */
int uv_store_open(uv_store **out, const char *dir, int flags);
void uv_store_close(uv_store *store); /* accepts NULL */
const char *uv_store_dir(const uv_store *store);

/* The store's change generation: a number that grows after every committed change, by any
 * process, of what a long-running reader may cache — artifacts (uploads, deletes) and project
 * settings. Reading it is a memory load (a shared mapping of dir/unravel.gen), so a service
 * can check it per request instead of reading the database. False when the store has no
 * usable generation file (then every cached state must be read again). A process killed
 * between a commit and its bump leaves the change unannounced: readers should also expire
 * what they cache after a few seconds. */
bool uv_store_generation(const uv_store *store, uint64_t *out);

int uv_store_schema_version(const uv_store *store);

/* ---- deferred durability (one busy writer handle) ----------------------------------- */

/* Commits on this handle stop waiting for the disk (SQLite synchronous=OFF, no automatic
 * checkpoints): a commit is visible at once but durable only after a uv_store_log_flush that
 * began after it returned. For a writer that overlaps one group commit's disk flush with the
 * next group's statements; the caller must not acknowledge a write before its flush. */
int uv_store_defer_sync(uv_store *store);
/* Makes every commit that returned before this call durable (fdatasync of the log). May run on
 * another thread than the handle's user, but only one thread may call it. */
int uv_store_log_flush(uv_store *store);
/* With deferred sync, whether the log has grown enough to copy into the database; then
 * uv_store_log_checkpoint (on the handle's own thread, outside a transaction) copies it
 * durably: the log synced, the pages copied, the database synced — before SQLite may reuse
 * the log's space. */
bool uv_store_log_due(const uv_store *store);
int uv_store_log_checkpoint(uv_store *store);

/* ---- packed payloads (pack.c) --------------------------------------------------------- */

/* Occurrence payloads are stored packed: a zstd frame of the text. uv_store_pack appends the
 * packed form of `text` to *out (any thread; the store packs what callers did not). */
int uv_store_pack(const char *text, size_t len, uv_buf *out);
/* Whether bytes are a packed payload (the zstd frame magic). */
bool uv_store_is_packed(const void *data, size_t len);
/* Unpacks into a malloc'd NUL-terminated text of at most `max` bytes; UV_ECORRUPT for a bad
 * frame, one too large, or text holding a NUL. *out_len may be NULL. */
int uv_store_unpack(const void *data, size_t len, size_t max, char **out, size_t *out_len);

/* ---- blobs -------------------------------------------------------------------------- */

/* SHA-256 of bytes as 64 lowercase hex digits (the blob address; see formats/sha256.h). */
void uv_sha256_hex(const void *data, size_t len, char out[UV_HASH_HEX]);

/* Stores bytes under their SHA-256 (no-op when present); durable on return. */
int uv_store_blob_put(uv_store *store, const void *data, size_t len, char out_hex[UV_HASH_HEX]);

/* Streamed put: open, write any number of times, commit (durable) or abort. */
typedef struct uv_blob_writer uv_blob_writer;
int uv_store_blob_writer_open(uv_store *store, uv_blob_writer **out);
int uv_blob_writer_write(uv_blob_writer *w, const void *data, size_t len);
int uv_blob_writer_commit(uv_blob_writer *w, char out_hex[UV_HASH_HEX]); /* frees w */
void uv_blob_writer_abort(uv_blob_writer *w);                            /* frees w; NULL ok */

/* A read-only mapping of a file's bytes (blob, cache file or any file on disk). */
typedef struct {
    const uint8_t *data;
    size_t len;
    void *priv_;
} uv_mapped;

/* Maps blob `hex` read-only. UV_ENOTFOUND when absent. Release with uv_mapped_release. */
int uv_store_blob_map(uv_store *store, const char *hex, uv_mapped *out);
bool uv_store_blob_exists(uv_store *store, const char *hex);

/* Maps any file (or reads all of stdin for path "-"). Ceiling `max_len` bytes (UV_ETOOBIG
 * beyond, naming the file). Release with uv_mapped_release. */
int uv_file_map(const char *path, size_t max_len, uv_mapped *out);
void uv_mapped_release(uv_mapped *m);

/* ---- cache -------------------------------------------------------------------------- */

/* Derived files: kind (e.g. "smcache", "jsscope"), the source blob's hash, and the format
 * version of the derived file. get → UV_ENOTFOUND when absent; put is atomic (temp+rename)
 * but not fsynced: a lost cache file is rebuilt. Total size is bounded (oldest evicted). */
int uv_store_cache_get(uv_store *store, const char *kind, const char *blob_hex, uint32_t version,
                       uv_mapped *out);
int uv_store_cache_put(uv_store *store, const char *kind, const char *blob_hex, uint32_t version,
                       const void *data, size_t len);
/* Removes a cache file found corrupt so the next use rebuilds it (0 when already absent). */
int uv_store_cache_drop(uv_store *store, const char *kind, const char *blob_hex, uint32_t version);
/* Sets the size bound of cache/ for this handle (default 2 GiB, or env
 * UNRAVEL_CACHE_MAX_BYTES read at open). */
void uv_store_cache_set_limit(uv_store *store, uint64_t max_bytes);

/* ---- index -------------------------------------------------------------------------- */

/* Transactions group index writes (e.g. one upload's map + minified file + sources) so that
 * readers see all or nothing. Not nested. */
int uv_store_begin(uv_store *store);
int uv_store_commit(uv_store *store);
int uv_store_rollback(uv_store *store);

/* Project ids by name; `ensure` creates it when missing. Names: 1-64 of [A-Za-z0-9._-]. */
int uv_store_project_ensure(uv_store *store, const char *name, int64_t *out_id);
int uv_store_project_find(uv_store *store, const char *name, int64_t *out_id);

typedef struct {
    int64_t id;
    int64_t project_id;
    char version[256];
    char kind[32];  /* "sourcemap", "minified", "source" … */
    char key[2048]; /* e.g. the minified URL "~/static/app.min.js" */
    char blob[UV_HASH_HEX];
    char debug_id[64]; /* "" when none */
    uint64_t size;
    int64_t created_at; /* unix seconds */
    char meta[4096];    /* JSON object text, "{}" when none */
} uv_artifact;

/* Inserts or atomically replaces the artifact (project, version, kind, key). The blob must
 * have been put first. `debug_id` and `meta` may be NULL. Creates the version row. A field
 * longer than its uv_artifact buffer (minus the NUL) is UV_ETOOBIG naming it, never
 * truncated; `meta` must be a JSON object. */
int uv_store_artifact_put(uv_store *store, int64_t project_id, const char *version,
                          const char *kind, const char *key, const char *blob_hex, uint64_t size,
                          const char *debug_id, const char *meta_json);

/* Exact (project, version, kind, key). UV_ENOTFOUND when absent. */
int uv_store_artifact_get(uv_store *store, int64_t project_id, const char *version,
                          const char *kind, const char *key, uv_artifact *out);

/* Newest artifact of `kind` (NULL: any kind) carrying `debug_id` in the project (any
 * version; project_id 0: any project, as for build-ids, which name a file globally); debug
 * ids compare case-insensitively. */
int uv_store_artifact_find_debug_id(uv_store *store, int64_t project_id, const char *debug_id,
                                    const char *kind, uv_artifact *out);

/* Calls `fn` for each artifact of (project, version, kind), in key order; `fn` returns
 * non-zero to stop (that value is returned). `version` NULL means every version, `kind`
 * NULL every kind. `fn` may read the store (even iterate again) but should not write. */
typedef int (*uv_artifact_fn)(const uv_artifact *artifact, void *ctx);
int uv_store_artifact_each(uv_store *store, int64_t project_id, const char *version,
                           const char *kind, uv_artifact_fn fn, void *ctx);

/* Deletes (project, version, kind, key); UV_ENOTFOUND when absent. Blobs are not removed
 * here (another artifact may share them). */
int uv_store_artifact_delete(uv_store *store, int64_t project_id, const char *version,
                             const char *kind, const char *key);

#endif
