/* The index: projects, versions and artifacts in unravel.db, through prepared statements
 * cached in the handle (prepared on first use, reset after every use so no read
 * transaction outlives a call). A write outside uv_store_begin … commit runs in its own
 * IMMEDIATE transaction, so it takes the write lock before reading and never fails with a
 * stale snapshot; busy_timeout makes it wait for other processes' writers. */
#include "store/store_internal.h"

#include "formats/error.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ARTIFACT_COLUMNS                                                                           \
    "a.id, a.project_id, v.version, a.kind, a.key, a.blob, a.debug_id, a.size, a.created_at, "     \
    "a.meta"

static const char *const stmt_sql[UV_STMT_COUNT] = {
    [UV_STMT_PROJECT_INSERT] =
        "INSERT INTO projects (name, created_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
    [UV_STMT_PROJECT_FIND] = "SELECT id FROM projects WHERE name = ?1",
    [UV_STMT_VERSION_FIND] = "SELECT id FROM versions WHERE project_id = ?1 AND version = ?2",
    [UV_STMT_VERSION_INSERT] =
        "INSERT INTO versions (project_id, version, created_at) VALUES (?1, ?2, ?3)",
    [UV_STMT_ARTIFACT_UPSERT] =
        "INSERT INTO artifacts (project_id, version_id, kind, key, blob, size, debug_id, meta,"
        " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        " ON CONFLICT (project_id, version_id, kind, key) DO UPDATE SET blob = excluded.blob,"
        " size = excluded.size, debug_id = excluded.debug_id, meta = excluded.meta,"
        " created_at = excluded.created_at",
    [UV_STMT_ARTIFACT_GET] =
        "SELECT " ARTIFACT_COLUMNS " FROM versions v JOIN artifacts a ON a.version_id = v.id"
        " WHERE v.project_id = ?1 AND v.version = ?2 AND a.project_id = ?1 AND a.kind = ?3"
        " AND a.key = ?4",
    [UV_STMT_ARTIFACT_DEBUG_ID] =
        "SELECT " ARTIFACT_COLUMNS " FROM artifacts a JOIN versions v ON v.id = a.version_id"
        " WHERE (?1 = 0 OR a.project_id = ?1) AND a.debug_id = ?2 AND (?3 IS NULL OR a.kind = ?3)"
        " ORDER BY a.created_at DESC, a.id DESC LIMIT 1",
    [UV_STMT_ARTIFACT_EACH_VERSION] =
        "SELECT " ARTIFACT_COLUMNS " FROM versions v JOIN artifacts a ON a.version_id = v.id"
        " WHERE v.project_id = ?1 AND v.version = ?2 AND a.project_id = ?1"
        " AND (?3 IS NULL OR a.kind = ?3) ORDER BY a.key, a.kind",
    [UV_STMT_ARTIFACT_EACH_ALL] =
        "SELECT " ARTIFACT_COLUMNS " FROM artifacts a JOIN versions v ON v.id = a.version_id"
        " WHERE a.project_id = ?1 AND a.kind = ?3 AND ?2 IS NULL ORDER BY a.key, v.version",
    [UV_STMT_ARTIFACT_EACH_PROJECT] =
        "SELECT " ARTIFACT_COLUMNS " FROM artifacts a JOIN versions v ON v.id = a.version_id"
        " WHERE a.project_id = ?1 AND ?2 IS NULL AND ?3 IS NULL"
        " ORDER BY a.key, a.kind, v.version",
    [UV_STMT_ARTIFACT_DELETE] =
        ("DELETE FROM artifacts WHERE project_id = ?1 AND kind = ?3 AND key = ?4 AND version_id ="
         " (SELECT id FROM versions WHERE project_id = ?1 AND version = ?2)"),
    [UV_STMT_BEGIN] = "BEGIN IMMEDIATE",
    [UV_STMT_COMMIT] = "COMMIT",
    [UV_STMT_ROLLBACK] = "ROLLBACK",
};

const char *uv_store__stmt_sql(enum uv_store__stmt id)
{
    return stmt_sql[id];
}

sqlite3_stmt *uv_store__stmt(uv_store *store, enum uv_store__stmt id)
{
    sqlite3_stmt *st = store->stmts[id];
    if (!st) {
        int rc =
            sqlite3_prepare_v3(store->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
        if (rc != SQLITE_OK) {
            sqlite3_finalize(st);
            uv_store__sql_error(store, rc, "preparing a statement");
            return NULL;
        }
        store->stmts[id] = st;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

void uv_store__stmts_free(uv_store *store)
{
    for (int i = 0; i < UV_STMT_COUNT; i++) {
        sqlite3_finalize(store->stmts[i]);
        store->stmts[i] = NULL;
    }
}

/* Ends a use of a cached statement: releases its read snapshot and its bound strings. */
static void stmt_done(sqlite3_stmt *st)
{
    if (!st) return;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Steps a statement that returns no rows. */
static int step_done(uv_store *store, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    int result = rc == SQLITE_DONE ? 0 : uv_store__sql_error(store, rc, what);
    stmt_done(st);
    return result;
}

static int check_writable(uv_store *store)
{
    if (!(store->flags & UV_STORE_READONLY)) return 0;
    return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "store %s: opened read-only", store->dir);
}

/* ---- transactions -------------------------------------------------------------------- */

int uv_store_begin(uv_store *store)
{
    if (store->in_tx)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                            "store %s: a transaction is already open (they do not nest)",
                            store->dir);
    sqlite3_stmt *st = uv_store__stmt(store, UV_STMT_BEGIN);
    if (!st) return uv_error_last()->code;
    int rc = step_done(store, st, "beginning a transaction");
    if (rc == 0) store->in_tx = true;
    return rc;
}

int uv_store_rollback(uv_store *store)
{
    if (!store->in_tx) return 0;
    store->in_tx = false;
    uv_store__announce(store, false);
    if (sqlite3_get_autocommit(store->db)) return 0; /* SQLite already rolled it back */
    sqlite3_stmt *st = uv_store__stmt(store, UV_STMT_ROLLBACK);
    if (!st) return uv_error_last()->code;
    return step_done(store, st, "rolling back");
}

int uv_store_commit(uv_store *store)
{
    if (!store->in_tx)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "store %s: commit without a transaction",
                            store->dir);
    if (sqlite3_get_autocommit(store->db)) {
        store->in_tx = false;
        uv_store__announce(store, false);
        return uv_error_set(UV_EIO, UV_LIB_SQL, 0,
                            "store %s: the transaction was rolled back after an earlier error",
                            store->dir);
    }
    sqlite3_stmt *st = uv_store__stmt(store, UV_STMT_COMMIT);
    int rc = st ? step_done(store, st, "committing") : uv_error_last()->code;
    if (rc == 0) {
        store->in_tx = false;
        uv_store__announce(store, true);
        return 0;
    }
    /* a failed COMMIT leaves the transaction open: end it so the handle stays usable */
    uv_error prior = *uv_error_last();
    uv_store_rollback(store);
    uv_error_set(prior.code, prior.lib, prior.lib_code, "%s", prior.message);
    return rc;
}

/* Runs a write in the caller's transaction or, outside one, in its own. */
static int own_begin(uv_store *store, bool *owned)
{
    *owned = !store->in_tx;
    return *owned ? uv_store_begin(store) : 0;
}

static int own_end(uv_store *store, bool owned, int rc)
{
    if (!owned) return rc;
    if (rc == 0) return uv_store_commit(store);
    uv_error prior = *uv_error_last();
    uv_store_rollback(store);
    uv_error_set(prior.code, prior.lib, prior.lib_code, "%s", prior.message);
    return rc;
}

/* ---- validation ---------------------------------------------------------------------- */

/* Longest field values: the uv_artifact buffers minus the NUL. */
#define MAX_VERSION (sizeof(((uv_artifact *)0)->version) - 1)
#define MAX_KIND (sizeof(((uv_artifact *)0)->kind) - 1)
#define MAX_KEY (sizeof(((uv_artifact *)0)->key) - 1)
#define MAX_DEBUG_ID (sizeof(((uv_artifact *)0)->debug_id) - 1)
#define MAX_META (sizeof(((uv_artifact *)0)->meta) - 1)

/* A required text field for a write: non-empty and at most max bytes (UV_ETOOBIG beyond:
 * it could not be read back into uv_artifact). */
static int check_field(uv_store *store, const char *field, const char *value, size_t max)
{
    if (!value || !*value)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "store %s: artifact %s is empty",
                            store->dir, field);
    size_t n = strlen(value);
    if (n > max)
        return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0,
                            "store %s: artifact %s is %zu bytes, more than the limit of %zu",
                            store->dir, field, n, max);
    return 0;
}

/* The same for a lookup: a value too long to have been stored is simply not found. */
static int check_lookup(uv_store *store, const char *field, const char *value, size_t max)
{
    if (!value || !*value)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "store %s: artifact %s is empty",
                            store->dir, field);
    if (strlen(value) > max)
        return uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0,
                            "store %s: no artifact has a %s longer than %zu bytes", store->dir,
                            field, max);
    return 0;
}

static int check_project_name(uv_store *store, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    bool ok = n >= 1 && n <= 64;
    for (size_t i = 0; ok && i < n; i++) {
        char c = name[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '_' || c == '-';
    }
    if (ok) return 0;
    return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                        "store %s: project name \"%.80s\" is not 1-64 of [A-Za-z0-9._-]",
                        store->dir, name ? name : "(null)");
}

static int check_meta(uv_store *store, const char *meta)
{
    int rc = check_field(store, "meta", meta, MAX_META);
    if (rc) return rc;
    json_error_t err;
    json_t *root = json_loads(meta, 0, &err);
    bool object = root && json_is_object(root);
    json_decref(root);
    if (object) return 0;
    if (!root)
        return uv_error_set(UV_EINVALID, UV_LIB_JSON, 0,
                            "store %s: artifact meta: invalid JSON at offset %d: %s", store->dir,
                            err.position, err.text);
    return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "store %s: artifact meta is not a JSON object",
                        store->dir);
}

/* ---- projects ------------------------------------------------------------------------ */

int uv_store_project_find(uv_store *store, const char *name, int64_t *out_id)
{
    *out_id = 0;
    int rc = check_project_name(store, name);
    if (rc) return rc;
    sqlite3_stmt *st = uv_store__stmt(store, UV_STMT_PROJECT_FIND);
    if (!st) return uv_error_last()->code;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        *out_id = sqlite3_column_int64(st, 0);
    else if (step == SQLITE_DONE)
        rc = uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0, "store %s: no project named %s", store->dir,
                          name);
    else
        rc = uv_store__sql_error(store, step, "finding a project");
    stmt_done(st);
    return rc;
}

int uv_store_project_ensure(uv_store *store, const char *name, int64_t *out_id)
{
    *out_id = 0;
    int rc = check_project_name(store, name);
    if (rc == 0) rc = check_writable(store);
    if (rc) return rc;
    sqlite3_stmt *st = uv_store__stmt(store, UV_STMT_PROJECT_INSERT);
    if (!st) return uv_error_last()->code;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
    rc = step_done(store, st, "creating a project");
    return rc ? rc : uv_store_project_find(store, name, out_id);
}

/* ---- artifacts ----------------------------------------------------------------------- */

/* Copies text column `col` into dst[cap]; a value that does not fit was not written by us. */
static int copy_text(uv_store *store, sqlite3_stmt *st, int col, char *dst, size_t cap,
                     const char *field, int64_t id)
{
    const unsigned char *text = sqlite3_column_text(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    if (!text) n = 0;
    if (n >= cap)
        return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                            "store %s: artifact %" PRId64 ": %s is %zu bytes, more than %zu",
                            store->dir, id, field, n, cap - 1);
    if (n) memcpy(dst, text, n);
    dst[n] = '\0';
    return 0;
}

static int read_row(uv_store *store, sqlite3_stmt *st, uv_artifact *out)
{
    out->id = sqlite3_column_int64(st, 0);
    out->project_id = sqlite3_column_int64(st, 1);
    int64_t size = sqlite3_column_int64(st, 7);
    out->size = size > 0 ? (uint64_t)size : 0;
    out->created_at = sqlite3_column_int64(st, 8);
    int rc = copy_text(store, st, 2, out->version, sizeof out->version, "version", out->id);
    if (rc == 0) rc = copy_text(store, st, 3, out->kind, sizeof out->kind, "kind", out->id);
    if (rc == 0) rc = copy_text(store, st, 4, out->key, sizeof out->key, "key", out->id);
    if (rc == 0) rc = copy_text(store, st, 5, out->blob, sizeof out->blob, "blob", out->id);
    if (rc == 0)
        rc = copy_text(store, st, 6, out->debug_id, sizeof out->debug_id, "debug_id", out->id);
    if (rc == 0) rc = copy_text(store, st, 9, out->meta, sizeof out->meta, "meta", out->id);
    if (rc == 0 && !out->meta[0]) strcpy(out->meta, "{}");
    return rc;
}

/* Finds or creates the version row, inside the caller's write transaction. */
static int version_ensure(uv_store *store, int64_t project_id, const char *version, int64_t *out_id)
{
    sqlite3_stmt *st = uv_store__stmt(store, UV_STMT_VERSION_FIND);
    if (!st) return uv_error_last()->code;
    sqlite3_bind_int64(st, 1, project_id);
    sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    int rc = 0;
    if (step == SQLITE_ROW)
        *out_id = sqlite3_column_int64(st, 0);
    else if (step != SQLITE_DONE)
        rc = uv_store__sql_error(store, step, "finding a version");
    stmt_done(st);
    if (step != SQLITE_DONE) return rc;

    st = uv_store__stmt(store, UV_STMT_VERSION_INSERT);
    if (!st) return uv_error_last()->code;
    sqlite3_bind_int64(st, 1, project_id);
    sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
    step = sqlite3_step(st);
    if (step == SQLITE_CONSTRAINT_FOREIGNKEY)
        rc =
            uv_error_set(UV_ENOTFOUND, UV_LIB_SQL, step,
                         "store %s: project id %" PRId64 " does not exist", store->dir, project_id);
    else if (step != SQLITE_DONE)
        rc = uv_store__sql_error(store, step, "creating a version");
    else
        *out_id = sqlite3_last_insert_rowid(store->db);
    stmt_done(st);
    return rc;
}

int uv_store_artifact_put(uv_store *store, int64_t project_id, const char *version,
                          const char *kind, const char *key, const char *blob_hex, uint64_t size,
                          const char *debug_id, const char *meta_json)
{
    if (!debug_id) debug_id = "";
    if (!meta_json) meta_json = "{}";
    int rc = check_writable(store);
    if (rc == 0) rc = check_field(store, "version", version, MAX_VERSION);
    if (rc == 0) rc = check_field(store, "kind", kind, MAX_KIND);
    if (rc == 0) rc = check_field(store, "key", key, MAX_KEY);
    if (rc == 0 && *debug_id) rc = check_field(store, "debug_id", debug_id, MAX_DEBUG_ID);
    if (rc == 0) rc = check_meta(store, meta_json);
    if (rc) return rc;
    if (!uv_store__valid_hex(blob_hex))
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                            "store %s: artifact blob \"%.80s\" is not 64 lowercase hex digits",
                            store->dir, blob_hex ? blob_hex : "(null)");
    if (size > (uint64_t)INT64_MAX)
        return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0,
                            "store %s: artifact size %" PRIu64 " is too large", store->dir, size);
    if (!uv_store_blob_exists(store, blob_hex))
        return uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0,
                            "store %s: blob %s is not in the store (put it before the artifact)",
                            store->dir, blob_hex);
    bool owned;
    rc = own_begin(store, &owned);
    if (rc) return rc;
    int64_t version_id = 0;
    rc = version_ensure(store, project_id, version, &version_id);
    if (rc == 0) {
        sqlite3_stmt *st = uv_store__stmt(store, UV_STMT_ARTIFACT_UPSERT);
        if (!st) {
            rc = uv_error_last()->code;
        } else {
            sqlite3_bind_int64(st, 1, project_id);
            sqlite3_bind_int64(st, 2, version_id);
            sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 4, key, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 5, blob_hex, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 6, (int64_t)size);
            if (*debug_id) sqlite3_bind_text(st, 7, debug_id, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 8, meta_json, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 9, (int64_t)time(NULL));
            uv_store__state_changed(store);
            rc = step_done(store, st, "storing an artifact");
        }
    }
    return own_end(store, owned, rc);
}

int uv_store_artifact_get(uv_store *store, int64_t project_id, const char *version,
                          const char *kind, const char *key, uv_artifact *out)
{
    int rc = check_lookup(store, "version", version, MAX_VERSION);
    if (rc == 0) rc = check_lookup(store, "kind", kind, MAX_KIND);
    if (rc == 0) rc = check_lookup(store, "key", key, MAX_KEY);
    if (rc) return rc;
    sqlite3_stmt *st = uv_store__stmt(store, UV_STMT_ARTIFACT_GET);
    if (!st) return uv_error_last()->code;
    sqlite3_bind_int64(st, 1, project_id);
    sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, key, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = read_row(store, st, out);
    else if (step == SQLITE_DONE)
        rc = uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0,
                          "store %s: no %s artifact %.300s in version %s", store->dir, kind, key,
                          version);
    else
        rc = uv_store__sql_error(store, step, "reading an artifact");
    stmt_done(st);
    return rc;
}

int uv_store_artifact_find_debug_id(uv_store *store, int64_t project_id, const char *debug_id,
                                    const char *kind, uv_artifact *out)
{
    int rc = check_lookup(store, "debug_id", debug_id, MAX_DEBUG_ID);
    if (rc == 0 && kind) rc = check_lookup(store, "kind", kind, MAX_KIND);
    if (rc) return rc;
    sqlite3_stmt *st = uv_store__stmt(store, UV_STMT_ARTIFACT_DEBUG_ID);
    if (!st) return uv_error_last()->code;
    sqlite3_bind_int64(st, 1, project_id);
    sqlite3_bind_text(st, 2, debug_id, -1, SQLITE_STATIC);
    if (kind) sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = read_row(store, st, out);
    else if (step == SQLITE_DONE)
        rc = uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0, "store %s: no %s artifact with debug id %s",
                          store->dir, kind ? kind : "", debug_id);
    else
        rc = uv_store__sql_error(store, step, "finding an artifact by debug id");
    stmt_done(st);
    return rc;
}

int uv_store_artifact_each(uv_store *store, int64_t project_id, const char *version,
                           const char *kind, uv_artifact_fn fn, void *ctx)
{
    int rc = 0;
    if (version) rc = check_lookup(store, "version", version, MAX_VERSION);
    if (rc == 0 && kind) rc = check_lookup(store, "kind", kind, MAX_KIND);
    if (rc == UV_ENOTFOUND) return 0; /* nothing can match: no calls */
    if (rc) return rc;
    enum uv_store__stmt id = version ? UV_STMT_ARTIFACT_EACH_VERSION
                             : kind  ? UV_STMT_ARTIFACT_EACH_ALL
                                     : UV_STMT_ARTIFACT_EACH_PROJECT;
    /* `fn` may iterate again (nested): then the cached statement is busy, use a fresh one */
    sqlite3_stmt *st = store->stmts[id];
    bool fresh = st && sqlite3_stmt_busy(st);
    if (fresh) {
        int prc = sqlite3_prepare_v2(store->db, stmt_sql[id], -1, &st, NULL);
        if (prc != SQLITE_OK) {
            sqlite3_finalize(st);
            return uv_store__sql_error(store, prc, "preparing a statement");
        }
    } else if (!(st = uv_store__stmt(store, id))) {
        return uv_error_last()->code;
    }
    uv_artifact *row = malloc(sizeof *row);
    if (!row) {
        rc = uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
        goto done;
    }
    sqlite3_bind_int64(st, 1, project_id);
    if (version) sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
    if (kind) sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
    for (;;) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) {
            rc = uv_store__sql_error(store, step, "listing artifacts");
            break;
        }
        memset(row, 0, sizeof *row);
        rc = read_row(store, st, row);
        if (rc == 0) rc = fn(row, ctx);
        if (rc) break;
    }
done:
    free(row);
    if (fresh)
        sqlite3_finalize(st);
    else
        stmt_done(st);
    return rc;
}

int uv_store_artifact_delete(uv_store *store, int64_t project_id, const char *version,
                             const char *kind, const char *key)
{
    int rc = check_writable(store);
    if (rc == 0) rc = check_lookup(store, "version", version, MAX_VERSION);
    if (rc == 0) rc = check_lookup(store, "kind", kind, MAX_KIND);
    if (rc == 0) rc = check_lookup(store, "key", key, MAX_KEY);
    if (rc) return rc;
    sqlite3_stmt *st = uv_store__stmt(store, UV_STMT_ARTIFACT_DELETE);
    if (!st) return uv_error_last()->code;
    sqlite3_bind_int64(st, 1, project_id);
    sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, key, -1, SQLITE_STATIC);
    uv_store__state_changed(store);
    rc = step_done(store, st, "deleting an artifact");
    if (!store->in_tx) uv_store__announce(store, rc == 0); /* committed by itself */
    if (rc == 0 && sqlite3_changes(store->db) == 0)
        rc = uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0,
                          "store %s: no %s artifact %.300s in version %s to delete", store->dir,
                          kind, key, version);
    return rc;
}
