/* The service's index (schema v2, docs/store.md "Service tables"): access tokens stored as
 * SHA-256 hashes, occurrences grouped by fingerprint into items (with Rollbar's
 * resolve/reactivate rule), deploys, versions' first-seen times and project settings.
 *
 * Statements are prepared once per handle and cached in store->service (like index.c's);
 * a list whose callback lists again gets a fresh statement for the nested use. Every write
 * runs in the caller's uv_store_begin transaction or in its own BEGIN IMMEDIATE one, so it
 * takes the write lock before reading and never acts on a stale snapshot. Text written must
 * fit the fixed buffers of the read-side structs: a longer value is UV_ETOOBIG naming the
 * field, never silently cut (only an item's title is cut, at a UTF-8 boundary). */
#include "store/service.h"
#include "store/store_internal.h"

#include "formats/error.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* Bounds on fields that no read-side struct holds: generous for real clients, small enough
 * that a hostile payload cannot bloat every row. */
#define MAX_TOKEN_NAME 255
#define MAX_EXCEPTION_CLASS 255
#define MAX_PLATFORM 63
#define MAX_SOURCE 63
/* Payload JSON: the HTTP layer bounds requests far below this; the ceiling keeps a direct
 * caller from storing rows SQLite or a reader would choke on. */
#define MAX_OCCURRENCE_JSON ((size_t)16 << 20)
/* Project settings are a small object (scrub patterns, IP policy); with its NUL it fits a
 * 64 KiB buffer. */
#define MAX_SETTINGS (((size_t)64 << 10) - 1)
#define MAX_LIST_LIMIT 1000
#define DEPLOYS_PER_PAGE 20
/* Unresolved occurrences are handed out in chunks of ids, so the callback may write (set the
 * resolved form) and memory stays bounded however many are pending. */
#define UNRESOLVED_CHUNK 256

#define FIELD_MAX(type, field) (sizeof(((type *)0)->field) - 1)

enum svc_stmt {
    S_TOKEN_INSERT,
    S_TOKEN_CHECK,
    S_OCC_FIND_UUID,
    S_VERSION_FIND,
    S_VERSION_INSERT,
    S_VERSION_LATER,
    S_ITEM_FIND,
    S_ITEM_INSERT,
    S_ITEM_UPDATE,
    S_ITEM_SEEN,
    S_ITEM_REACTIVATE,
    S_OCC_INSERT,
    S_OCC_SET_RESOLVED,
    S_ITEM_GET,
    S_ITEM_LIST_ALL,
    S_ITEM_LIST_STATUS,
    S_ITEM_SET,
    S_OCC_GET,
    S_OCC_LIST,
    S_OCC_UNRESOLVED,
    S_DEPLOY_INSERT,
    S_DEPLOY_GET,
    S_DEPLOY_SET_STATUS,
    S_DEPLOY_LIST,
    S_VERSION_LIST,
    S_PROJECT_NAME,
    S_PROJECT_LIST,
    S_SETTINGS_GET,
    S_SETTINGS_SET,
    S_PROJECT_STATE,
    S_COUNT
};

#define ITEM_COLUMNS                                                                               \
    "id, project_id, counter, fingerprint, title, level, status, resolved_in_version, total,"      \
    " first_seen, last_seen, environments, last_version"
#define OCC_COLUMNS                                                                                \
    "id, item_id, project_id, uuid, timestamp, version, environment, raw_json, resolved_json,"     \
    " unresolved"
#define DEPLOY_COLUMNS                                                                             \
    "id, project_id, environment, revision, status, comment, local_username, start_time,"          \
    " finish_time"

static const char *const svc_sql[S_COUNT] = {
    [S_TOKEN_INSERT] = "INSERT INTO tokens (project_id, name, hash, scopes, created_at)"
                       " VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_TOKEN_CHECK] = "SELECT project_id, scopes FROM tokens WHERE hash = ?1",
    [S_OCC_FIND_UUID] = "SELECT id, item_id FROM occurrences WHERE project_id = ?1 AND uuid = ?2",
    [S_VERSION_FIND] = "SELECT id FROM versions WHERE project_id = ?1 AND version = ?2",
    [S_VERSION_INSERT] =
        "INSERT INTO versions (project_id, version, created_at) VALUES (?1, ?2, ?3)",
    /* versions compare by first-seen time, ties by row id (the order they were created) */
    [S_VERSION_LATER] = "SELECT (o.created_at, o.id) > (r.created_at, r.id)"
                        " FROM versions o, versions r WHERE o.project_id = ?1 AND o.version = ?2"
                        " AND r.project_id = ?1 AND r.version = ?3",
    [S_ITEM_FIND] = "SELECT id, status, resolved_in_version, environments FROM items"
                    " WHERE project_id = ?1 AND fingerprint = ?2",
    [S_ITEM_INSERT] =
        "INSERT INTO items (project_id, counter, fingerprint, title, exception_class, level,"
        " total, first_seen, last_seen, environments, last_version) VALUES (?1,"
        " (SELECT coalesce(max(counter), 0) + 1 FROM items WHERE project_id = ?1),"
        " ?2, ?3, ?4, ?5, 1, ?6, ?6, ?7, ?8)",
    /* An item's update at ingest is three statements so that the indexes on last_seen and
     * status (items_recent, items_status_recent) are only written when those change — last_seen
     * is in seconds, so a busy item's index entries move once a second, not once a group
     * commit: two fewer pages in most commits. */
    [S_ITEM_UPDATE] =
        "UPDATE items SET title = ?2, exception_class = ?3, level = ?4, total = total + ?8,"
        " first_seen = min(first_seen, ?5), environments = ?6,"
        " last_version = CASE WHEN ?7 = '' THEN last_version ELSE ?7 END"
        " WHERE id = ?1",
    [S_ITEM_SEEN] = "UPDATE items SET last_seen = ?2 WHERE id = ?1 AND last_seen < ?2",
    [S_ITEM_REACTIVATE] = "UPDATE items SET status = 'active', resolved_in_version = ''"
                          " WHERE id = ?1",
    [S_OCC_INSERT] = "INSERT INTO occurrences (project_id, item_id, uuid, timestamp, version,"
                     " environment, level, platform, source, raw_json, resolved_json, unresolved)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [S_OCC_SET_RESOLVED] = "UPDATE occurrences SET resolved_json = ?2, unresolved = ?3"
                           " WHERE id = ?1",
    [S_ITEM_GET] = "SELECT " ITEM_COLUMNS " FROM items WHERE project_id = ?1 AND id = ?2",
    [S_ITEM_LIST_ALL] = "SELECT " ITEM_COLUMNS " FROM items WHERE project_id = ?1"
                        " ORDER BY last_seen DESC, id DESC LIMIT ?3 OFFSET ?4",
    [S_ITEM_LIST_STATUS] = "SELECT " ITEM_COLUMNS " FROM items WHERE project_id = ?1"
                           " AND status = ?2 ORDER BY last_seen DESC, id DESC LIMIT ?3 OFFSET ?4",
    [S_ITEM_SET] = "UPDATE items SET status = ?3,"
                   " resolved_in_version = coalesce(?4, resolved_in_version)"
                   " WHERE project_id = ?1 AND id = ?2",
    [S_OCC_GET] = "SELECT " OCC_COLUMNS " FROM occurrences WHERE project_id = ?1 AND id = ?2",
    [S_OCC_LIST] = "SELECT " OCC_COLUMNS " FROM occurrences WHERE item_id = ?2"
                   " AND project_id = ?1 ORDER BY timestamp DESC, id DESC LIMIT ?3 OFFSET ?4",
    [S_OCC_UNRESOLVED] = "SELECT id FROM occurrences WHERE project_id = ?1 AND unresolved <> 0"
                         " AND (?2 IS NULL OR version = ?2) AND id > ?3 ORDER BY id LIMIT ?4",
    [S_DEPLOY_INSERT] = "INSERT INTO deploys (project_id, environment, revision, status, comment,"
                        " local_username, start_time, finish_time)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [S_DEPLOY_GET] = "SELECT " DEPLOY_COLUMNS " FROM deploys WHERE project_id = ?1 AND id = ?2",
    [S_DEPLOY_SET_STATUS] =
        "UPDATE deploys SET status = ?3, comment = coalesce(?4, comment), finish_time = ?5"
        " WHERE project_id = ?1 AND id = ?2 AND status = 'started'",
    [S_DEPLOY_LIST] = "SELECT " DEPLOY_COLUMNS " FROM deploys WHERE project_id = ?1"
                      " ORDER BY start_time DESC, id DESC LIMIT ?2 OFFSET ?3",
    [S_VERSION_LIST] = "SELECT version, created_at FROM versions WHERE project_id = ?1"
                       " ORDER BY created_at DESC, id DESC",
    [S_PROJECT_NAME] = "SELECT name FROM projects WHERE id = ?1",
    [S_PROJECT_LIST] = "SELECT id, name FROM projects ORDER BY id",
    [S_SETTINGS_GET] = "SELECT settings FROM projects WHERE id = ?1",
    [S_SETTINGS_SET] = "UPDATE projects SET settings = ?2 WHERE id = ?1",
    [S_PROJECT_STATE] = "SELECT artifacts_changed, settings FROM projects WHERE id = ?1",
};

struct uv_store__service {
    sqlite3_stmt *stmts[S_COUNT];
};

void uv_store__service_free(uv_store *store)
{
    if (!store || !store->service) return;
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(store->service->stmts[i]);
    free(store->service);
    store->service = NULL;
}

/* A statement in use: the cached one, or a fresh one when the cached one is already
 * stepping (a callback listing again). */
typedef struct {
    sqlite3_stmt *st;
    bool fresh;
} stmt_use;

static int stmt_get(uv_store *store, enum svc_stmt id, stmt_use *out)
{
    out->st = NULL;
    out->fresh = false;
    if (!store->service) {
        store->service = calloc(1, sizeof *store->service);
        if (!store->service) return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    }
    sqlite3_stmt *st = store->service->stmts[id];
    if (st && sqlite3_stmt_busy(st)) {
        int rc = sqlite3_prepare_v2(store->db, svc_sql[id], -1, &st, NULL);
        if (rc != SQLITE_OK) {
            sqlite3_finalize(st);
            return uv_store__sql_error(store, rc, "preparing a statement");
        }
        out->st = st;
        out->fresh = true;
        return 0;
    }
    if (!st) {
        int rc =
            sqlite3_prepare_v3(store->db, svc_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
        if (rc != SQLITE_OK) {
            sqlite3_finalize(st);
            return uv_store__sql_error(store, rc, "preparing a statement");
        }
        store->service->stmts[id] = st;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    out->st = st;
    return 0;
}

/* Ends a use: releases the read snapshot and the bound strings (they are the caller's). */
static void stmt_put(stmt_use *use)
{
    if (!use->st) return;
    if (use->fresh) {
        sqlite3_finalize(use->st);
    } else {
        sqlite3_reset(use->st);
        sqlite3_clear_bindings(use->st);
    }
    use->st = NULL;
}

/* Steps a statement that returns no rows; a missing project (foreign key) is UV_ENOTFOUND. */
static int step_write(uv_store *store, stmt_use *use, int64_t project_id, const char *what)
{
    int rc = sqlite3_step(use->st);
    int result = 0;
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        result =
            uv_error_set(UV_ENOTFOUND, UV_LIB_SQL, rc,
                         "store %s: project id %" PRId64 " does not exist", store->dir, project_id);
    else if (rc != SQLITE_DONE)
        result = uv_store__sql_error(store, rc, what);
    stmt_put(use);
    return result;
}

static int check_writable(uv_store *store)
{
    if (!(store->flags & UV_STORE_READONLY)) return 0;
    return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "store %s: opened read-only", store->dir);
}

/* A write joins the caller's transaction or runs in its own BEGIN IMMEDIATE one. */
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

/* An optional text field for a write: at most max bytes, else UV_ETOOBIG naming it. */
static int check_len(uv_store *store, const char *what, const char *field, const char *value,
                     size_t max)
{
    if (!value) return 0;
    size_t n = strlen(value);
    if (n <= max) return 0;
    return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0,
                        "store %s: %s %s is %zu bytes, more than the limit of %zu", store->dir,
                        what, field, n, max);
}

/* The same for a required field: also non-empty. */
static int check_required(uv_store *store, const char *what, const char *field, const char *value,
                          size_t max)
{
    if (!value || !*value)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "store %s: %s %s is empty", store->dir,
                            what, field);
    return check_len(store, what, field, value, max);
}

/* Copies text column col into dst[cap]; a value that does not fit was not written by us. */
static int copy_text(uv_store *store, sqlite3_stmt *st, int col, char *dst, size_t cap,
                     const char *what, const char *field, int64_t id)
{
    const unsigned char *text = sqlite3_column_text(st, col);
    size_t n = text ? (size_t)sqlite3_column_bytes(st, col) : 0;
    if (n >= cap)
        return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                            "store %s: %s %" PRId64 ": %s is %zu bytes, more than %zu", store->dir,
                            what, id, field, n, cap - 1);
    if (n) memcpy(dst, text, n);
    dst[n] = '\0';
    return 0;
}

/* malloc'd copy of text column col (NULL column → *out NULL). */
static int dup_text(sqlite3_stmt *st, int col, char **out)
{
    *out = NULL;
    const unsigned char *text = sqlite3_column_text(st, col);
    if (!text) return 0;
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    char *copy = malloc(n + 1);
    if (!copy) return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    memcpy(copy, text, n);
    copy[n] = '\0';
    *out = copy;
    return 0;
}

/* An occurrence payload column: packed (a BLOB, pack.c) or, as older stores wrote it, TEXT. */
static int dup_payload(uv_store *store, sqlite3_stmt *st, int col, char **out, int64_t id,
                       const char *field)
{
    if (sqlite3_column_type(st, col) != SQLITE_BLOB) return dup_text(st, col, out);
    *out = NULL;
    const void *data = sqlite3_column_blob(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    int rc = uv_store_unpack(data, n, MAX_OCCURRENCE_JSON, out, NULL);
    if (rc) uv_error_prefix("store %s: occurrence %" PRId64 " %s", store->dir, id, field);
    return rc;
}

static int random_bytes(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return uv_error_set(UV_EIO, UV_LIB_OS, errno, "getrandom: %s", strerror(errno));
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void hex_encode(const uint8_t *bytes, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * len] = '\0';
}

/* ---- scopes and tokens -------------------------------------------------------------- */

static const struct {
    const char *name;
    unsigned flag;
} scope_names[] = {
    {"post_server_item", UV_SCOPE_POST_SERVER_ITEM},
    {"post_client_item", UV_SCOPE_POST_CLIENT_ITEM},
    {"read", UV_SCOPE_READ},
    {"write", UV_SCOPE_WRITE},
};
#define SCOPE_COUNT (sizeof scope_names / sizeof scope_names[0])
#define SCOPE_ALL                                                                                  \
    (UV_SCOPE_POST_SERVER_ITEM | UV_SCOPE_POST_CLIENT_ITEM | UV_SCOPE_READ | UV_SCOPE_WRITE)

int uv_scope_parse(const char *text, unsigned *out)
{
    *out = 0;
    if (!text) return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "scopes: none given");
    unsigned flags = 0;
    const char *p = text;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *start = p;
        while (*p && *p != ',' && *p != ' ' && *p != '\t')
            p++;
        size_t n = (size_t)(p - start);
        while (*p == ' ' || *p == '\t')
            p++;
        if (n == 0)
            return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                                "scopes \"%.100s\": empty scope at offset %zu", text,
                                (size_t)(start - text));
        size_t i = 0;
        while (i < SCOPE_COUNT &&
               !(strlen(scope_names[i].name) == n && memcmp(scope_names[i].name, start, n) == 0))
            i++;
        if (i == SCOPE_COUNT)
            return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                                "scopes: unknown scope \"%.*s\" (known: post_server_item, "
                                "post_client_item, read, write)",
                                (int)(n > 64 ? 64 : n), start);
        flags |= scope_names[i].flag;
        if (*p == '\0') break;
        if (*p != ',')
            return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                                "scopes \"%.100s\": expected ',' at offset %zu", text,
                                (size_t)(p - text));
        p++;
    }
    *out = flags;
    return 0;
}

void uv_scope_format(unsigned scopes, char *out, size_t out_len)
{
    if (!out || out_len == 0) return;
    out[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < SCOPE_COUNT; i++) {
        if (!(scopes & scope_names[i].flag)) continue;
        int n = snprintf(out + used, out_len - used, "%s%s", used ? "," : "", scope_names[i].name);
        if (n < 0 || (size_t)n >= out_len - used) { /* never with out_len ≥ 64 */
            out[used] = '\0';
            return;
        }
        used += (size_t)n;
    }
}

int uv_store_token_create(uv_store *store, int64_t project_id, unsigned scopes, const char *name,
                          char out[UV_TOKEN_LEN])
{
    out[0] = '\0';
    int rc = check_writable(store);
    if (rc == 0) rc = check_len(store, "token", "name", name, MAX_TOKEN_NAME);
    if (rc) return rc;
    if (scopes == 0 || (scopes & ~(unsigned)SCOPE_ALL))
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                            "store %s: token scopes 0x%x are not a non-empty set of known scopes",
                            store->dir, scopes);
    uint8_t secret[16];
    char token[UV_TOKEN_LEN];
    rc = random_bytes(secret, sizeof secret);
    if (rc) return rc;
    hex_encode(secret, sizeof secret, token);
    char hash[UV_HASH_HEX];
    uv_sha256_hex(token, strlen(token), hash);

    bool owned;
    rc = own_begin(store, &owned);
    if (rc) return rc;
    stmt_use use;
    rc = stmt_get(store, S_TOKEN_INSERT, &use);
    if (rc == 0) {
        sqlite3_bind_int64(use.st, 1, project_id);
        sqlite3_bind_text(use.st, 2, name ? name : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(use.st, 3, hash, -1, SQLITE_STATIC);
        sqlite3_bind_int64(use.st, 4, (int64_t)scopes);
        sqlite3_bind_int64(use.st, 5, (int64_t)time(NULL));
        rc = step_write(store, &use, project_id, "creating a token");
    }
    rc = own_end(store, owned, rc);
    if (rc == 0) memcpy(out, token, UV_TOKEN_LEN);
    return rc;
}

int uv_store_token_check(uv_store *store, const char *token, int64_t *project_id, unsigned *scopes)
{
    *project_id = 0;
    *scopes = 0;
    /* only our own shape can be stored: anything else is unknown without a lookup */
    bool shaped = token && strlen(token) == UV_TOKEN_LEN - 1;
    for (size_t i = 0; shaped && i < UV_TOKEN_LEN - 1; i++)
        shaped = (token[i] >= '0' && token[i] <= '9') || (token[i] >= 'a' && token[i] <= 'f');
    if (!shaped)
        return uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0, "store %s: unknown access token",
                            store->dir);
    char hash[UV_HASH_HEX];
    uv_sha256_hex(token, UV_TOKEN_LEN - 1, hash);
    stmt_use use;
    int rc = stmt_get(store, S_TOKEN_CHECK, &use);
    if (rc) return rc;
    sqlite3_bind_text(use.st, 1, hash, -1, SQLITE_STATIC);
    int step = sqlite3_step(use.st);
    if (step == SQLITE_ROW) {
        *project_id = sqlite3_column_int64(use.st, 0);
        *scopes = (unsigned)sqlite3_column_int64(use.st, 1);
    } else if (step == SQLITE_DONE) {
        rc = uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0, "store %s: unknown access token",
                          store->dir);
    } else {
        rc = uv_store__sql_error(store, step, "checking a token");
    }
    stmt_put(&use);
    return rc;
}

/* ---- item status -------------------------------------------------------------------- */

static const char *const status_names[] = {
    [UV_ITEM_ACTIVE] = "active",
    [UV_ITEM_RESOLVED] = "resolved",
    [UV_ITEM_MUTED] = "muted",
};
#define STATUS_COUNT (sizeof status_names / sizeof status_names[0])

const char *uv_item_status_name(uv_item_status status)
{
    if ((unsigned)status >= STATUS_COUNT) return "unknown";
    return status_names[status];
}

int uv_item_status_parse(const char *text, uv_item_status *out)
{
    *out = UV_ITEM_ACTIVE;
    for (size_t i = 0; text && i < STATUS_COUNT; i++) {
        if (strcmp(text, status_names[i]) == 0) {
            *out = (uv_item_status)i;
            return 0;
        }
    }
    return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                        "item status \"%.64s\" is not active, resolved or muted",
                        text ? text : "(null)");
}

/* ---- occurrences -------------------------------------------------------------------- */

/* An occurrence's fields after validation and defaults. */
typedef struct {
    const char *uuid;
    char uuid_buf[37];
    size_t title_len; /* title cut to 511 bytes at a UTF-8 boundary */
    const char *title;
    const char *exception_class;
    const char *level;
    const char *environment;
    const char *version;
    const char *platform;
    const char *source;
    int64_t timestamp;
} occurrence_fields;

/* Longest prefix of s that is at most max bytes and does not split a UTF-8 sequence. */
static size_t utf8_prefix(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max) return n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* A version 7 uuid (RFC 9562): 48 bits of unix milliseconds, then random bits. Time-ordered,
 * so the uuids the store makes for payloads without one (Raygun's, minidumps) go in at the
 * end of the (project, uuid) index instead of a random page of it each. */
static int random_uuid(char out[37])
{
    uint8_t b[16];
    int rc = random_bytes(b, sizeof b);
    if (rc) return rc;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)(ms >> (40 - 8 * i));
    b[6] = (uint8_t)((b[6] & 0x0F) | 0x70); /* version 7 */
    b[8] = (uint8_t)((b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    char hex[33];
    hex_encode(b, sizeof b, hex);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
    return 0;
}

static int check_occurrence(uv_store *store, const uv_occurrence_in *in, occurrence_fields *f)
{
    static const char what[] = "occurrence";
    memset(f, 0, sizeof *f);
    if (in->project_id <= 0)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                            "store %s: occurrence project_id %" PRId64 " is not a project id",
                            store->dir, in->project_id);
    int rc = check_required(store, what, "fingerprint", in->fingerprint,
                            FIELD_MAX(uv_item, fingerprint));
    if (rc == 0 && in->uuid && *in->uuid)
        rc = check_len(store, what, "uuid", in->uuid, FIELD_MAX(uv_occurrence, uuid));
    if (rc == 0)
        rc = check_len(store, what, "exception_class", in->exception_class, MAX_EXCEPTION_CLASS);
    if (rc == 0 && in->level)
        rc = check_required(store, what, "level", in->level, FIELD_MAX(uv_item, level));
    if (rc == 0)
        rc = check_len(store, what, "environment", in->environment,
                       FIELD_MAX(uv_occurrence, environment));
    if (rc == 0)
        rc = check_len(store, what, "version", in->version, FIELD_MAX(uv_occurrence, version));
    if (rc == 0) rc = check_len(store, what, "platform", in->platform, MAX_PLATFORM);
    if (rc == 0) rc = check_len(store, what, "source", in->source, MAX_SOURCE);
    if (rc == 0) rc = check_required(store, what, "raw_json", in->raw_json, MAX_OCCURRENCE_JSON);
    if (rc == 0)
        rc = check_len(store, what, "resolved_json", in->resolved_json, MAX_OCCURRENCE_JSON);
    if (rc) return rc;
    /* item environments are a comma-separated list */
    if (in->environment && strchr(in->environment, ','))
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                            "store %s: occurrence environment \"%.128s\" contains a comma",
                            store->dir, in->environment);
    if (in->uuid && *in->uuid) {
        f->uuid = in->uuid;
    } else {
        rc = random_uuid(f->uuid_buf);
        if (rc) return rc;
        f->uuid = f->uuid_buf;
    }
    f->title = in->title ? in->title : "";
    f->title_len = utf8_prefix(f->title, FIELD_MAX(uv_item, title));
    f->exception_class = in->exception_class ? in->exception_class : "";
    f->level = in->level ? in->level : "error";
    f->environment = in->environment ? in->environment : "";
    f->version = in->version ? in->version : "";
    f->platform = in->platform ? in->platform : "";
    f->source = in->source ? in->source : "";
    f->timestamp = in->timestamp > 0 ? in->timestamp : (int64_t)time(NULL);
    return 0;
}

/* Finds or creates the version row (first seen now), inside the caller's transaction. */
static int version_ensure(uv_store *store, int64_t project_id, const char *version)
{
    stmt_use use;
    int rc = stmt_get(store, S_VERSION_FIND, &use);
    if (rc) return rc;
    sqlite3_bind_int64(use.st, 1, project_id);
    sqlite3_bind_text(use.st, 2, version, -1, SQLITE_STATIC);
    int step = sqlite3_step(use.st);
    stmt_put(&use);
    if (step == SQLITE_ROW) return 0;
    if (step != SQLITE_DONE) return uv_store__sql_error(store, step, "finding a version");
    rc = stmt_get(store, S_VERSION_INSERT, &use);
    if (rc) return rc;
    sqlite3_bind_int64(use.st, 1, project_id);
    sqlite3_bind_text(use.st, 2, version, -1, SQLITE_STATIC);
    sqlite3_bind_int64(use.st, 3, (int64_t)time(NULL));
    return step_write(store, &use, project_id, "creating a version");
}

/* True when `version` was first seen after `resolved_version` (both in the project); false
 * when either was never seen. */
static int version_later(uv_store *store, int64_t project_id, const char *version,
                         const char *resolved_version, bool *out)
{
    *out = false;
    stmt_use use;
    int rc = stmt_get(store, S_VERSION_LATER, &use);
    if (rc) return rc;
    sqlite3_bind_int64(use.st, 1, project_id);
    sqlite3_bind_text(use.st, 2, version, -1, SQLITE_STATIC);
    sqlite3_bind_text(use.st, 3, resolved_version, -1, SQLITE_STATIC);
    int step = sqlite3_step(use.st);
    if (step == SQLITE_ROW)
        *out = sqlite3_column_int(use.st, 0) != 0;
    else if (step != SQLITE_DONE)
        rc = uv_store__sql_error(store, step, "comparing versions");
    stmt_put(&use);
    return rc;
}

/* envs with `env` appended when it is not listed yet and the list still fits uv_item's
 * buffer (an item seen in more environments than that keeps the first ones). */
static void environments_add(char out[512], const char *envs, const char *env)
{
    snprintf(out, 512, "%s", envs);
    size_t n = strlen(env);
    if (n == 0) return;
    for (const char *p = out; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && memcmp(p, env, n) == 0) return;
        if (!end) break;
        p = end + 1;
    }
    size_t used = strlen(out);
    if (used + (used ? 1 : 0) + n > 511) return;
    snprintf(out + used, 512 - used, "%s%s", used ? "," : "", env);
}

/* What one group's transaction already read or wrote, so the rows after the first of a
 * version or an item skip the lookups (a burst of one error is one item and one version): the
 * versions ensured and the items' current fields. Updates of an item already in the database
 * are folded into one per group (`pending`: counts, first/last seen, the last row's title,
 * class and level, environments, the last version, reactivation) and written when the slot is
 * reused or before the commit. Valid only inside that transaction. */
#define MEMO_VERSIONS 16
#define MEMO_ITEMS 8
typedef struct {
    struct {
        int64_t project_id;
        const char *version; /* borrowed from the group's input */
    } versions[MEMO_VERSIONS];
    size_t version_count;
    struct memo_item {
        int64_t project_id;
        const char *fingerprint; /* borrowed */
        int64_t item_id;
        char status[16], resolved_in[256], envs[512];
        /* the folded update, when pending */
        bool pending, reactivate;
        int64_t count, first_seen, last_seen;
        const char *title, *exception_class, *level, *version; /* borrowed; version "" = none */
        size_t title_len;
    } items[MEMO_ITEMS];
    size_t item_count, item_next;
} batch_memo;

static bool memo_has_version(const batch_memo *m, int64_t project_id, const char *version)
{
    for (size_t i = 0; m && i < m->version_count; i++)
        if (m->versions[i].project_id == project_id && strcmp(m->versions[i].version, version) == 0)
            return true;
    return false;
}

static void memo_add_version(batch_memo *m, int64_t project_id, const char *version)
{
    if (!m || m->version_count == MEMO_VERSIONS) return;
    m->versions[m->version_count].project_id = project_id;
    m->versions[m->version_count].version = version;
    m->version_count++;
}

static int memo_find_item(const batch_memo *m, int64_t project_id, const char *fingerprint)
{
    for (size_t i = 0; m && i < m->item_count; i++)
        if (m->items[i].project_id == project_id &&
            strcmp(m->items[i].fingerprint, fingerprint) == 0)
            return (int)i;
    return -1;
}

/* The item update: `count` more occurrences seen from `first_seen` to `last_seen`. */
static int item_update(uv_store *store, int64_t project_id, int64_t item_id, const char *title,
                       size_t title_len, const char *exception_class, const char *level,
                       int64_t first_seen, int64_t last_seen, const char *envs, const char *version,
                       bool reactivate, int64_t count)
{
    stmt_use use;
    int rc = stmt_get(store, S_ITEM_UPDATE, &use);
    if (rc) return rc;
    sqlite3_bind_int64(use.st, 1, item_id);
    sqlite3_bind_text(use.st, 2, title, (int)title_len, SQLITE_STATIC);
    sqlite3_bind_text(use.st, 3, exception_class, -1, SQLITE_STATIC);
    sqlite3_bind_text(use.st, 4, level, -1, SQLITE_STATIC);
    sqlite3_bind_int64(use.st, 5, first_seen);
    sqlite3_bind_text(use.st, 6, envs, -1, SQLITE_STATIC);
    sqlite3_bind_text(use.st, 7, version, -1, SQLITE_STATIC);
    sqlite3_bind_int64(use.st, 8, count);
    rc = step_write(store, &use, project_id, "updating an item");
    if (rc) return rc;
    rc = stmt_get(store, S_ITEM_SEEN, &use);
    if (rc) return rc;
    sqlite3_bind_int64(use.st, 1, item_id);
    sqlite3_bind_int64(use.st, 2, last_seen);
    rc = step_write(store, &use, project_id, "updating an item's last occurrence");
    if (rc || !reactivate) return rc;
    rc = stmt_get(store, S_ITEM_REACTIVATE, &use);
    if (rc) return rc;
    sqlite3_bind_int64(use.st, 1, item_id);
    return step_write(store, &use, project_id, "reactivating an item");
}

/* Writes a slot's folded update, if any. */
static int memo_flush_item(uv_store *store, batch_memo *m, size_t slot)
{
    if (!m->items[slot].pending) return 0;
    m->items[slot].pending = false;
    return item_update(store, m->items[slot].project_id, m->items[slot].item_id,
                       m->items[slot].title, m->items[slot].title_len,
                       m->items[slot].exception_class, m->items[slot].level,
                       m->items[slot].first_seen, m->items[slot].last_seen, m->items[slot].envs,
                       m->items[slot].version, m->items[slot].reactivate, m->items[slot].count);
}

static int memo_flush(uv_store *store, batch_memo *m)
{
    int rc = 0;
    for (size_t i = 0; m && rc == 0 && i < m->item_count; i++)
        rc = memo_flush_item(store, m, i);
    return rc;
}

/* Records an item's fields as this transaction left them. */
static int memo_set_item(uv_store *store, batch_memo *m, int *slot, int64_t project_id,
                         const char *fingerprint, int64_t item_id, const char *status,
                         const char *resolved_in, const char *envs)
{
    if (!m) return 0;
    if (*slot < 0) {
        *slot = (int)(m->item_count < MEMO_ITEMS ? m->item_count++ : m->item_next);
        m->item_next = (m->item_next + 1) % MEMO_ITEMS;
        int rc = memo_flush_item(store, m, (size_t)*slot); /* a reused slot's update first */
        if (rc) return rc;
        m->items[*slot].pending = false;
    }
    m->items[*slot].project_id = project_id;
    m->items[*slot].fingerprint = fingerprint;
    m->items[*slot].item_id = item_id;
    snprintf(m->items[*slot].status, sizeof m->items[*slot].status, "%s", status);
    snprintf(m->items[*slot].resolved_in, sizeof m->items[*slot].resolved_in, "%s", resolved_in);
    snprintf(m->items[*slot].envs, sizeof m->items[*slot].envs, "%s", envs);
    return 0;
}

static int occurrence_insert(uv_store *store, const uv_occurrence_in *in,
                             const occurrence_fields *fp, uv_occurrence_ack *out, int rc);

/* One put inside an open transaction (`memo`: the group's, or NULL). */
static int occurrence_put_tx(uv_store *store, const uv_occurrence_in *in, uv_occurrence_ack *out,
                             batch_memo *memo)
{
    occurrence_fields f;
    int rc = check_occurrence(store, in, &f);
    if (rc) return rc;
    snprintf(out->uuid, sizeof out->uuid, "%s", f.uuid);

    /* a repeated uuid: acknowledge the stored one, write nothing */
    stmt_use use;
    rc = stmt_get(store, S_OCC_FIND_UUID, &use);
    if (rc) return rc;
    sqlite3_bind_int64(use.st, 1, in->project_id);
    sqlite3_bind_text(use.st, 2, f.uuid, -1, SQLITE_STATIC);
    int step = sqlite3_step(use.st);
    if (step == SQLITE_ROW) {
        out->id = sqlite3_column_int64(use.st, 0);
        out->item_id = sqlite3_column_int64(use.st, 1);
        out->duplicate = true;
    } else if (step != SQLITE_DONE) {
        rc = uv_store__sql_error(store, step, "finding an occurrence by uuid");
    }
    stmt_put(&use);
    if (rc || out->duplicate) return rc;

    if (*f.version && !memo_has_version(memo, in->project_id, f.version)) {
        rc = version_ensure(store, in->project_id, f.version);
        if (rc) return rc;
        memo_add_version(memo, in->project_id, f.version);
    }

    char status[16] = "", resolved_in[256] = "", envs[512] = "";
    int memo_slot = memo_find_item(memo, in->project_id, in->fingerprint);
    bool found = memo_slot >= 0;
    if (found) {
        out->item_id = memo->items[memo_slot].item_id;
        snprintf(status, sizeof status, "%s", memo->items[memo_slot].status);
        snprintf(resolved_in, sizeof resolved_in, "%s", memo->items[memo_slot].resolved_in);
        snprintf(envs, sizeof envs, "%s", memo->items[memo_slot].envs);
    } else {
        rc = stmt_get(store, S_ITEM_FIND, &use);
        if (rc) return rc;
        sqlite3_bind_int64(use.st, 1, in->project_id);
        sqlite3_bind_text(use.st, 2, in->fingerprint, -1, SQLITE_STATIC);
        step = sqlite3_step(use.st);
        found = step == SQLITE_ROW;
        if (found) {
            out->item_id = sqlite3_column_int64(use.st, 0);
            rc = copy_text(store, use.st, 1, status, sizeof status, "item", "status", out->item_id);
            if (rc == 0)
                rc = copy_text(store, use.st, 2, resolved_in, sizeof resolved_in, "item",
                               "resolved_in_version", out->item_id);
            if (rc == 0)
                rc = copy_text(store, use.st, 3, envs, sizeof envs, "item", "environments",
                               out->item_id);
        } else if (step != SQLITE_DONE) {
            rc = uv_store__sql_error(store, step, "finding an item");
        }
        stmt_put(&use);
        if (rc) return rc;
    }

    char new_envs[512];
    environments_add(new_envs, envs, f.environment);
    if (!found) {
        rc = stmt_get(store, S_ITEM_INSERT, &use);
        if (rc) return rc;
        sqlite3_bind_int64(use.st, 1, in->project_id);
        sqlite3_bind_text(use.st, 2, in->fingerprint, -1, SQLITE_STATIC);
        sqlite3_bind_text(use.st, 3, f.title, (int)f.title_len, SQLITE_STATIC);
        sqlite3_bind_text(use.st, 4, f.exception_class, -1, SQLITE_STATIC);
        sqlite3_bind_text(use.st, 5, f.level, -1, SQLITE_STATIC);
        sqlite3_bind_int64(use.st, 6, f.timestamp);
        sqlite3_bind_text(use.st, 7, new_envs, -1, SQLITE_STATIC);
        sqlite3_bind_text(use.st, 8, f.version, -1, SQLITE_STATIC);
        rc = step_write(store, &use, in->project_id, "creating an item");
        if (rc) return rc;
        out->item_id = sqlite3_last_insert_rowid(store->db);
        rc = memo_set_item(store, memo, &memo_slot, in->project_id, in->fingerprint, out->item_id,
                           "active", "", new_envs);
        if (rc) return rc;
    } else {
        bool reactivate = false;
        if (strcmp(status, "resolved") == 0) {
            if (!*resolved_in)
                reactivate = true;
            else if (*f.version)
                rc = version_later(store, in->project_id, f.version, resolved_in, &reactivate);
            if (rc) return rc;
        }
        out->reactivated = reactivate;
        if (!memo)
            return occurrence_insert(store, in, &f, out,
                                     item_update(store, in->project_id, out->item_id, f.title,
                                                 f.title_len, f.exception_class, f.level,
                                                 f.timestamp, f.timestamp, new_envs, f.version,
                                                 reactivate, 1));
        rc = memo_set_item(store, memo, &memo_slot, in->project_id, in->fingerprint, out->item_id,
                           reactivate ? "active" : status, reactivate ? "" : resolved_in, new_envs);
        if (rc) return rc;
        /* fold this row into the slot's update */
        struct memo_item *it = &memo->items[memo_slot];
        if (!it->pending) {
            it->pending = true;
            it->reactivate = false;
            it->count = 0;
            it->first_seen = it->last_seen = f.timestamp;
            it->version = "";
        }
        it->count++;
        it->reactivate = it->reactivate || reactivate;
        if (f.timestamp < it->first_seen) it->first_seen = f.timestamp;
        if (f.timestamp > it->last_seen) it->last_seen = f.timestamp;
        it->title = f.title;
        it->title_len = f.title_len;
        it->exception_class = f.exception_class;
        it->level = f.level;
        if (*f.version) it->version = f.version;
    }
    return occurrence_insert(store, in, &f, out, 0);
}

/* The occurrence row itself, after its item (`rc`: the item write's result, passed through). */
static int occurrence_insert(uv_store *store, const uv_occurrence_in *in,
                             const occurrence_fields *fp, uv_occurrence_ack *out, int rc)
{
    if (rc) return rc;
    occurrence_fields f = *fp;
    stmt_use use;
    rc = stmt_get(store, S_OCC_INSERT, &use);
    if (rc) return rc;
    sqlite3_bind_int64(use.st, 1, in->project_id);
    sqlite3_bind_int64(use.st, 2, out->item_id);
    sqlite3_bind_text(use.st, 3, f.uuid, -1, SQLITE_STATIC);
    sqlite3_bind_int64(use.st, 4, f.timestamp);
    sqlite3_bind_text(use.st, 5, f.version, -1, SQLITE_STATIC);
    sqlite3_bind_text(use.st, 6, f.environment, -1, SQLITE_STATIC);
    sqlite3_bind_text(use.st, 7, f.level, -1, SQLITE_STATIC);
    sqlite3_bind_text(use.st, 8, f.platform, -1, SQLITE_STATIC);
    sqlite3_bind_text(use.st, 9, f.source, -1, SQLITE_STATIC);
    /* the payloads packed (pack.c): by the caller, else here */
    uv_buf raw = UV_BUF_INIT, resolved = UV_BUF_INIT;
    const uv_buf *raw_packed = in->raw_packed, *resolved_packed = in->resolved_packed;
    if (!raw_packed) {
        rc = uv_store_pack(in->raw_json, strlen(in->raw_json), &raw);
        raw_packed = &raw;
    }
    if (rc == 0 && in->resolved_json && !resolved_packed) {
        rc = uv_store_pack(in->resolved_json, strlen(in->resolved_json), &resolved);
        resolved_packed = &resolved;
    }
    if (rc) {
        stmt_put(&use);
        uv_buf_free(&raw);
        uv_buf_free(&resolved);
        return rc;
    }
    sqlite3_bind_blob(use.st, 10, raw_packed->data, (int)raw_packed->len, SQLITE_STATIC);
    if (in->resolved_json)
        sqlite3_bind_blob(use.st, 11, resolved_packed->data, (int)resolved_packed->len,
                          SQLITE_STATIC);
    sqlite3_bind_int(use.st, 12, in->unresolved_frames ? 1 : 0);
    rc = step_write(store, &use, in->project_id, "storing an occurrence");
    uv_buf_free(&raw);
    uv_buf_free(&resolved);
    if (rc) return rc;
    out->id = sqlite3_last_insert_rowid(store->db);
    return 0;
}

int uv_store_occurrence_put(uv_store *store, const uv_occurrence_in *in, uv_occurrence_ack *out)
{
    memset(out, 0, sizeof *out);
    int rc = check_writable(store);
    if (rc) return rc;
    bool owned;
    rc = own_begin(store, &owned);
    if (rc) return rc;
    rc = occurrence_put_tx(store, in, out, NULL);
    rc = own_end(store, owned, rc);
    if (rc) {
        out->id = out->item_id = 0;
        out->duplicate = out->reactivated = false;
    }
    return rc;
}

int uv_store_occurrence_put_batch(uv_store *store, const uv_occurrence_in *in, size_t n,
                                  uv_occurrence_ack *out)
{
    int rc = check_writable(store);
    if (rc || n == 0) return rc;
    memset(out, 0, n * sizeof *out);
    bool owned;
    rc = own_begin(store, &owned);
    if (rc) return rc;
    batch_memo *memo = calloc(1, sizeof *memo); /* NULL: every row looks up (still correct) */
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = occurrence_put_tx(store, &in[i], &out[i], memo);
        if (rc) uv_error_prefix("occurrence %zu of %zu", i, n);
    }
    if (rc == 0) rc = memo_flush(store, memo); /* the items' folded updates, before the commit */
    free(memo);
    rc = own_end(store, owned, rc);
    if (rc) memset(out, 0, n * sizeof *out);
    return rc;
}

int uv_store_occurrence_set_resolved(uv_store *store, int64_t occurrence_id,
                                     const char *resolved_json, bool unresolved_frames)
{
    int rc = check_writable(store);
    if (rc == 0)
        rc = check_len(store, "occurrence", "resolved_json", resolved_json, MAX_OCCURRENCE_JSON);
    if (rc) return rc;
    bool owned;
    rc = own_begin(store, &owned);
    if (rc) return rc;
    uv_buf packed = UV_BUF_INIT;
    if (resolved_json) rc = uv_store_pack(resolved_json, strlen(resolved_json), &packed);
    stmt_use use;
    if (rc == 0) rc = stmt_get(store, S_OCC_SET_RESOLVED, &use);
    if (rc == 0) {
        sqlite3_bind_int64(use.st, 1, occurrence_id);
        if (resolved_json)
            sqlite3_bind_blob(use.st, 2, packed.data, (int)packed.len, SQLITE_STATIC);
        sqlite3_bind_int(use.st, 3, unresolved_frames ? 1 : 0);
        rc = step_write(store, &use, 0, "storing a resolved occurrence");
    }
    uv_buf_free(&packed);
    if (rc == 0 && sqlite3_changes(store->db) == 0)
        rc = uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0, "store %s: no occurrence %" PRId64,
                          store->dir, occurrence_id);
    return own_end(store, owned, rc);
}

static int read_occurrence(uv_store *store, sqlite3_stmt *st, uv_occurrence *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(st, 0);
    out->item_id = sqlite3_column_int64(st, 1);
    out->project_id = sqlite3_column_int64(st, 2);
    out->timestamp = sqlite3_column_int64(st, 4);
    out->unresolved_frames = sqlite3_column_int(st, 9) != 0;
    int rc = copy_text(store, st, 3, out->uuid, sizeof out->uuid, "occurrence", "uuid", out->id);
    if (rc == 0)
        rc = copy_text(store, st, 5, out->version, sizeof out->version, "occurrence", "version",
                       out->id);
    if (rc == 0)
        rc = copy_text(store, st, 6, out->environment, sizeof out->environment, "occurrence",
                       "environment", out->id);
    if (rc == 0) rc = dup_payload(store, st, 7, &out->raw_json, out->id, "raw_json");
    if (rc == 0 && !out->raw_json) rc = uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    if (rc == 0) rc = dup_payload(store, st, 8, &out->resolved_json, out->id, "resolved_json");
    if (rc) uv_occurrence_clear(out);
    return rc;
}

/* Reads the row `id` of project `project_id` with statement `which` (binding ?1 = project,
 * ?2 = id) through `read`; UV_ENOTFOUND naming `what` when there is none. */
typedef int (*row_reader)(uv_store *store, sqlite3_stmt *st, void *out);

static int get_row(uv_store *store, int which, int64_t project_id, int64_t id, row_reader read,
                   void *out, const char *what)
{
    stmt_use use;
    int rc = stmt_get(store, which, &use);
    if (rc) return rc;
    sqlite3_bind_int64(use.st, 1, project_id);
    sqlite3_bind_int64(use.st, 2, id);
    int step = sqlite3_step(use.st);
    if (step == SQLITE_ROW)
        rc = read(store, use.st, out);
    else if (step == SQLITE_DONE)
        rc = uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0,
                          "store %s: project %" PRId64 " has no %s %" PRId64, store->dir,
                          project_id, what, id);
    else
        rc = uv_store__sql_error(store, step, "reading a row");
    stmt_put(&use);
    return rc;
}

static int read_occurrence_row(uv_store *store, sqlite3_stmt *st, void *out)
{
    return read_occurrence(store, st, out);
}

void uv_occurrence_clear(uv_occurrence *occurrence)
{
    if (!occurrence) return;
    free(occurrence->raw_json);
    free(occurrence->resolved_json);
    occurrence->raw_json = NULL;
    occurrence->resolved_json = NULL;
}

int uv_store_occurrence_get(uv_store *store, int64_t project_id, int64_t occurrence_id,
                            uv_occurrence *out)
{
    memset(out, 0, sizeof *out);
    return get_row(store, S_OCC_GET, project_id, occurrence_id, read_occurrence_row, out,
                   "occurrence");
}

/* Checks offset/limit of a paged list and converts them for binding. */
static int check_page(uv_store *store, const char *what, size_t offset, size_t limit)
{
    if (limit == 0 || limit > MAX_LIST_LIMIT)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "store %s: %s limit %zu is not 1-%d",
                            store->dir, what, limit, MAX_LIST_LIMIT);
    if (offset > (size_t)INT64_MAX)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "store %s: %s offset %zu is too large",
                            store->dir, what, offset);
    return 0;
}

int uv_store_occurrence_list(uv_store *store, int64_t project_id, int64_t item_id, size_t offset,
                             size_t limit, uv_occurrence_fn fn, void *ctx)
{
    int rc = check_page(store, "occurrence list", offset, limit);
    if (rc) return rc;
    stmt_use use;
    rc = stmt_get(store, S_OCC_LIST, &use);
    if (rc) return rc;
    sqlite3_bind_int64(use.st, 1, project_id);
    sqlite3_bind_int64(use.st, 2, item_id);
    sqlite3_bind_int64(use.st, 3, (int64_t)limit);
    sqlite3_bind_int64(use.st, 4, (int64_t)offset);
    uv_occurrence row;
    for (;;) {
        int step = sqlite3_step(use.st);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) {
            rc = uv_store__sql_error(store, step, "listing occurrences");
            break;
        }
        rc = read_occurrence(store, use.st, &row);
        if (rc) break;
        rc = fn(&row, ctx);
        uv_occurrence_clear(&row);
        if (rc) break;
    }
    stmt_put(&use);
    return rc;
}

int uv_store_occurrence_each_unresolved(uv_store *store, int64_t project_id, const char *version,
                                        uv_occurrence_fn fn, void *ctx)
{
    if (version && strlen(version) > FIELD_MAX(uv_occurrence, version))
        return 0; /* cannot have been stored: nothing to call */
    int64_t ids[UNRESOLVED_CHUNK];
    int64_t after = 0;
    for (;;) {
        /* a chunk of ids, then each row read on its own: no statement is stepping while fn
         * runs, so fn may store the resolved form */
        stmt_use use;
        int rc = stmt_get(store, S_OCC_UNRESOLVED, &use);
        if (rc) return rc;
        sqlite3_bind_int64(use.st, 1, project_id);
        if (version) sqlite3_bind_text(use.st, 2, version, -1, SQLITE_STATIC);
        sqlite3_bind_int64(use.st, 3, after);
        sqlite3_bind_int64(use.st, 4, UNRESOLVED_CHUNK);
        size_t count = 0;
        for (;;) {
            int step = sqlite3_step(use.st);
            if (step == SQLITE_DONE) break;
            if (step != SQLITE_ROW) {
                rc = uv_store__sql_error(store, step, "listing unresolved occurrences");
                break;
            }
            ids[count++] = sqlite3_column_int64(use.st, 0);
        }
        stmt_put(&use);
        if (rc) return rc;
        for (size_t i = 0; i < count; i++) {
            uv_occurrence row;
            rc = uv_store_occurrence_get(store, project_id, ids[i], &row);
            if (rc == UV_ENOTFOUND) continue; /* deleted meanwhile */
            if (rc) return rc;
            rc = fn(&row, ctx);
            uv_occurrence_clear(&row);
            if (rc) return rc;
        }
        if (count < UNRESOLVED_CHUNK) return 0;
        after = ids[count - 1];
    }
}

/* ---- items -------------------------------------------------------------------------- */

static int read_item(uv_store *store, sqlite3_stmt *st, uv_item *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(st, 0);
    out->project_id = sqlite3_column_int64(st, 1);
    out->counter = sqlite3_column_int64(st, 2);
    out->total_occurrences = sqlite3_column_int64(st, 8);
    out->first_seen = sqlite3_column_int64(st, 9);
    out->last_seen = sqlite3_column_int64(st, 10);
    char status[16];
    int rc = copy_text(store, st, 3, out->fingerprint, sizeof out->fingerprint, "item",
                       "fingerprint", out->id);
    if (rc == 0)
        rc = copy_text(store, st, 4, out->title, sizeof out->title, "item", "title", out->id);
    if (rc == 0)
        rc = copy_text(store, st, 5, out->level, sizeof out->level, "item", "level", out->id);
    if (rc == 0) rc = copy_text(store, st, 6, status, sizeof status, "item", "status", out->id);
    if (rc == 0 && uv_item_status_parse(status, &out->status) != 0)
        rc = uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                          "store %s: item %" PRId64 ": unknown status \"%s\"", store->dir, out->id,
                          status);
    if (rc == 0)
        rc = copy_text(store, st, 7, out->resolved_in_version, sizeof out->resolved_in_version,
                       "item", "resolved_in_version", out->id);
    if (rc == 0)
        rc = copy_text(store, st, 11, out->environments, sizeof out->environments, "item",
                       "environments", out->id);
    if (rc == 0)
        rc = copy_text(store, st, 12, out->last_version, sizeof out->last_version, "item",
                       "last_version", out->id);
    return rc;
}

static int read_item_row(uv_store *store, sqlite3_stmt *st, void *out)
{
    return read_item(store, st, out);
}

int uv_store_item_get(uv_store *store, int64_t project_id, int64_t item_id, uv_item *out)
{
    memset(out, 0, sizeof *out);
    return get_row(store, S_ITEM_GET, project_id, item_id, read_item_row, out, "item");
}

int uv_store_item_list(uv_store *store, int64_t project_id, int status, size_t offset, size_t limit,
                       uv_item_fn fn, void *ctx)
{
    if (status >= (int)STATUS_COUNT)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "store %s: unknown item status %d",
                            store->dir, status);
    int rc = check_page(store, "item list", offset, limit);
    if (rc) return rc;
    stmt_use use;
    rc = stmt_get(store, status < 0 ? S_ITEM_LIST_ALL : S_ITEM_LIST_STATUS, &use);
    if (rc) return rc;
    sqlite3_bind_int64(use.st, 1, project_id);
    if (status >= 0) sqlite3_bind_text(use.st, 2, status_names[status], -1, SQLITE_STATIC);
    sqlite3_bind_int64(use.st, 3, (int64_t)limit);
    sqlite3_bind_int64(use.st, 4, (int64_t)offset);
    uv_item *row = malloc(sizeof *row);
    if (!row) rc = uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    while (rc == 0) {
        int step = sqlite3_step(use.st);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) {
            rc = uv_store__sql_error(store, step, "listing items");
            break;
        }
        rc = read_item(store, use.st, row);
        if (rc == 0) rc = fn(row, ctx);
    }
    free(row);
    stmt_put(&use);
    return rc;
}

int uv_store_item_update(uv_store *store, int64_t project_id, int64_t item_id,
                         uv_item_status status, const char *resolved_in_version)
{
    int rc = check_writable(store);
    if (rc == 0)
        rc = check_len(store, "item", "resolved_in_version", resolved_in_version,
                       FIELD_MAX(uv_item, resolved_in_version));
    if (rc) return rc;
    if ((unsigned)status >= STATUS_COUNT)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "store %s: unknown item status %d",
                            store->dir, (int)status);
    bool owned;
    rc = own_begin(store, &owned);
    if (rc) return rc;
    /* the version it is resolved in gets its first-seen time now (when not seen before), so
     * versions first seen after this resolution reactivate the item */
    if (resolved_in_version && *resolved_in_version)
        rc = version_ensure(store, project_id, resolved_in_version);
    stmt_use use;
    if (rc == 0) rc = stmt_get(store, S_ITEM_SET, &use);
    if (rc == 0) {
        sqlite3_bind_int64(use.st, 1, project_id);
        sqlite3_bind_int64(use.st, 2, item_id);
        sqlite3_bind_text(use.st, 3, status_names[status], -1, SQLITE_STATIC);
        if (resolved_in_version)
            sqlite3_bind_text(use.st, 4, resolved_in_version, -1, SQLITE_STATIC);
        rc = step_write(store, &use, project_id, "updating an item");
        if (rc == 0 && sqlite3_changes(store->db) == 0)
            rc = uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0,
                              "store %s: project %" PRId64 " has no item %" PRId64, store->dir,
                              project_id, item_id);
    }
    return own_end(store, owned, rc);
}

/* ---- deploys ------------------------------------------------------------------------ */

static const char *const deploy_statuses[] = {"started", "succeeded", "failed", "timed_out"};

static bool deploy_status_known(const char *status)
{
    for (size_t i = 0; i < sizeof deploy_statuses / sizeof deploy_statuses[0]; i++)
        if (strcmp(status, deploy_statuses[i]) == 0) return true;
    return false;
}

/* A fixed-buffer field of a uv_deploy the caller filled: it must hold a NUL. */
static int check_buffer(uv_store *store, const char *field, const char *buf, size_t cap,
                        bool required)
{
    size_t n = strnlen(buf, cap);
    if (n == cap)
        return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0,
                            "store %s: deploy %s is not NUL-terminated within %zu bytes",
                            store->dir, field, cap);
    if (required && n == 0)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "store %s: deploy %s is empty", store->dir,
                            field);
    return 0;
}

int uv_store_deploy_create(uv_store *store, uv_deploy *deploy)
{
    int rc = check_writable(store);
    if (rc == 0)
        rc = check_buffer(store, "environment", deploy->environment, sizeof deploy->environment,
                          true);
    if (rc == 0)
        rc = check_buffer(store, "revision", deploy->revision, sizeof deploy->revision, true);
    if (rc == 0) rc = check_buffer(store, "status", deploy->status, sizeof deploy->status, false);
    if (rc == 0)
        rc = check_buffer(store, "comment", deploy->comment, sizeof deploy->comment, false);
    if (rc == 0)
        rc = check_buffer(store, "local_username", deploy->local_username,
                          sizeof deploy->local_username, false);
    if (rc) return rc;
    if (!deploy->status[0]) strcpy(deploy->status, "started");
    if (!deploy_status_known(deploy->status))
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                            "store %s: deploy status \"%s\" is not started, succeeded, failed or "
                            "timed_out",
                            store->dir, deploy->status);
    int64_t now = (int64_t)time(NULL);
    if (deploy->start_time <= 0) deploy->start_time = now;
    if (strcmp(deploy->status, "started") == 0)
        deploy->finish_time = 0;
    else if (deploy->finish_time <= 0)
        deploy->finish_time = now;
    bool owned;
    rc = own_begin(store, &owned);
    if (rc) return rc;
    stmt_use use;
    rc = stmt_get(store, S_DEPLOY_INSERT, &use);
    if (rc == 0) {
        sqlite3_bind_int64(use.st, 1, deploy->project_id);
        sqlite3_bind_text(use.st, 2, deploy->environment, -1, SQLITE_STATIC);
        sqlite3_bind_text(use.st, 3, deploy->revision, -1, SQLITE_STATIC);
        sqlite3_bind_text(use.st, 4, deploy->status, -1, SQLITE_STATIC);
        sqlite3_bind_text(use.st, 5, deploy->comment, -1, SQLITE_STATIC);
        sqlite3_bind_text(use.st, 6, deploy->local_username, -1, SQLITE_STATIC);
        sqlite3_bind_int64(use.st, 7, deploy->start_time);
        sqlite3_bind_int64(use.st, 8, deploy->finish_time);
        rc = step_write(store, &use, deploy->project_id, "creating a deploy");
    }
    if (rc == 0) deploy->id = sqlite3_last_insert_rowid(store->db);
    return own_end(store, owned, rc);
}

static int read_deploy(uv_store *store, sqlite3_stmt *st, uv_deploy *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(st, 0);
    out->project_id = sqlite3_column_int64(st, 1);
    out->start_time = sqlite3_column_int64(st, 7);
    out->finish_time = sqlite3_column_int64(st, 8);
    int rc = copy_text(store, st, 2, out->environment, sizeof out->environment, "deploy",
                       "environment", out->id);
    if (rc == 0)
        rc = copy_text(store, st, 3, out->revision, sizeof out->revision, "deploy", "revision",
                       out->id);
    if (rc == 0)
        rc = copy_text(store, st, 4, out->status, sizeof out->status, "deploy", "status", out->id);
    if (rc == 0)
        rc = copy_text(store, st, 5, out->comment, sizeof out->comment, "deploy", "comment",
                       out->id);
    if (rc == 0)
        rc = copy_text(store, st, 6, out->local_username, sizeof out->local_username, "deploy",
                       "local_username", out->id);
    return rc;
}

static int read_deploy_row(uv_store *store, sqlite3_stmt *st, void *out)
{
    return read_deploy(store, st, out);
}

int uv_store_deploy_get(uv_store *store, int64_t project_id, int64_t deploy_id, uv_deploy *out)
{
    memset(out, 0, sizeof *out);
    return get_row(store, S_DEPLOY_GET, project_id, deploy_id, read_deploy_row, out, "deploy");
}

int uv_store_deploy_set_status(uv_store *store, int64_t project_id, int64_t deploy_id,
                               const char *status, const char *comment)
{
    int rc = check_writable(store);
    if (rc == 0) rc = check_len(store, "deploy", "comment", comment, FIELD_MAX(uv_deploy, comment));
    if (rc) return rc;
    if (!status || !deploy_status_known(status) || strcmp(status, "started") == 0)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                            "store %s: deploy status \"%.32s\" is not succeeded, failed or "
                            "timed_out",
                            store->dir, status ? status : "(null)");
    bool owned;
    rc = own_begin(store, &owned);
    if (rc) return rc;
    stmt_use use;
    rc = stmt_get(store, S_DEPLOY_SET_STATUS, &use);
    if (rc == 0) {
        sqlite3_bind_int64(use.st, 1, project_id);
        sqlite3_bind_int64(use.st, 2, deploy_id);
        sqlite3_bind_text(use.st, 3, status, -1, SQLITE_STATIC);
        if (comment) sqlite3_bind_text(use.st, 4, comment, -1, SQLITE_STATIC);
        sqlite3_bind_int64(use.st, 5, (int64_t)time(NULL));
        rc = step_write(store, &use, project_id, "updating a deploy");
    }
    if (rc == 0 && sqlite3_changes(store->db) == 0) {
        /* not started any more, or not there: read it (under the same write lock) to say */
        uv_deploy *current = malloc(sizeof *current);
        if (!current) {
            rc = uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
        } else {
            rc = uv_store_deploy_get(store, project_id, deploy_id, current);
            if (rc == 0)
                rc = uv_error_set(UV_EEXISTS, UV_LIB_NONE, 0, "deploy %" PRId64 " is already %s",
                                  deploy_id, current->status);
            free(current);
        }
    }
    return own_end(store, owned, rc);
}

int uv_store_deploy_list(uv_store *store, int64_t project_id, size_t page, uv_deploy_fn fn,
                         void *ctx)
{
    if (page == 0 || page > (size_t)INT64_MAX / DEPLOYS_PER_PAGE)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                            "store %s: deploy list page %zu (pages start at 1)", store->dir, page);
    stmt_use use;
    int rc = stmt_get(store, S_DEPLOY_LIST, &use);
    if (rc) return rc;
    sqlite3_bind_int64(use.st, 1, project_id);
    sqlite3_bind_int64(use.st, 2, DEPLOYS_PER_PAGE);
    sqlite3_bind_int64(use.st, 3, (int64_t)(page - 1) * DEPLOYS_PER_PAGE);
    uv_deploy *row = malloc(sizeof *row);
    if (!row) rc = uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    while (rc == 0) {
        int step = sqlite3_step(use.st);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) {
            rc = uv_store__sql_error(store, step, "listing deploys");
            break;
        }
        rc = read_deploy(store, use.st, row);
        if (rc == 0) rc = fn(row, ctx);
    }
    free(row);
    stmt_put(&use);
    return rc;
}

/* ---- versions and projects ---------------------------------------------------------- */

int uv_store_version_list(uv_store *store, int64_t project_id, uv_version_fn fn, void *ctx)
{
    stmt_use use;
    int rc = stmt_get(store, S_VERSION_LIST, &use);
    if (rc) return rc;
    sqlite3_bind_int64(use.st, 1, project_id);
    while (rc == 0) {
        int step = sqlite3_step(use.st);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) {
            rc = uv_store__sql_error(store, step, "listing versions");
            break;
        }
        const char *version = (const char *)sqlite3_column_text(use.st, 0);
        rc = fn(version ? version : "", sqlite3_column_int64(use.st, 1), ctx);
    }
    stmt_put(&use);
    return rc;
}

int uv_store_project_each(uv_store *store, uv_project_fn fn, void *ctx)
{
    stmt_use use;
    int rc = stmt_get(store, S_PROJECT_LIST, &use);
    if (rc) return rc;
    while (rc == 0) {
        int step = sqlite3_step(use.st);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) {
            rc = uv_store__sql_error(store, step, "listing projects");
            break;
        }
        const char *name = (const char *)sqlite3_column_text(use.st, 1);
        rc = fn(sqlite3_column_int64(use.st, 0), name ? name : "", ctx);
    }
    stmt_put(&use);
    return rc;
}

/* Reads one text column of the project row into out[out_len]; with `number`, the statement's
 * first column is an integer read there and the text is the second. */
static int project_text_and(uv_store *store, enum svc_stmt id, int64_t project_id,
                            const char *field, const char *fallback, char *out, size_t out_len,
                            int64_t *number)
{
    if (out_len) out[0] = '\0';
    int col = number ? 1 : 0;
    stmt_use use;
    int rc = stmt_get(store, id, &use);
    if (rc) return rc;
    sqlite3_bind_int64(use.st, 1, project_id);
    int step = sqlite3_step(use.st);
    if (step == SQLITE_ROW) {
        if (number) *number = sqlite3_column_int64(use.st, 0);
        const char *text = (const char *)sqlite3_column_text(use.st, col);
        if (!text || !*text) text = fallback;
        size_t n = strlen(text);
        if (n >= out_len)
            rc = uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0,
                              "store %s: project %" PRId64 " %s is %zu bytes, the buffer holds %zu",
                              store->dir, project_id, field, n, out_len ? out_len - 1 : 0);
        else
            memcpy(out, text, n + 1);
    } else if (step == SQLITE_DONE) {
        rc =
            uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0,
                         "store %s: project id %" PRId64 " does not exist", store->dir, project_id);
    } else {
        rc = uv_store__sql_error(store, step, "reading a project");
    }
    stmt_put(&use);
    return rc;
}

static int project_text(uv_store *store, enum svc_stmt id, int64_t project_id, const char *field,
                        const char *fallback, char *out, size_t out_len)
{
    return project_text_and(store, id, project_id, field, fallback, out, out_len, NULL);
}

int uv_store_project_name(uv_store *store, int64_t project_id, char *out, size_t out_len)
{
    return project_text(store, S_PROJECT_NAME, project_id, "name", "", out, out_len);
}

int uv_store_project_settings_get(uv_store *store, int64_t project_id, char *out, size_t out_len)
{
    return project_text(store, S_SETTINGS_GET, project_id, "settings", "{}", out, out_len);
}

int uv_store_project_state(uv_store *store, int64_t project_id, int64_t *artifacts_changed,
                           char *settings, size_t settings_len)
{
    *artifacts_changed = 0;
    return project_text_and(store, S_PROJECT_STATE, project_id, "settings", "{}", settings,
                            settings_len, artifacts_changed);
}

int uv_store_project_settings_set(uv_store *store, int64_t project_id, const char *json)
{
    int rc = check_writable(store);
    if (rc == 0) rc = check_required(store, "project", "settings", json, MAX_SETTINGS);
    if (rc) return rc;
    json_error_t err;
    json_t *root = json_loads(json, 0, &err);
    bool object = root && json_is_object(root);
    json_decref(root);
    if (!root)
        return uv_error_set(UV_EINVALID, UV_LIB_JSON, 0,
                            "store %s: project settings: invalid JSON at offset %d: %s", store->dir,
                            err.position, err.text);
    if (!object)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                            "store %s: project settings are not a JSON object", store->dir);
    bool owned;
    rc = own_begin(store, &owned);
    if (rc) return rc;
    stmt_use use;
    rc = stmt_get(store, S_SETTINGS_SET, &use);
    if (rc == 0) {
        sqlite3_bind_int64(use.st, 1, project_id);
        sqlite3_bind_text(use.st, 2, json, -1, SQLITE_STATIC);
        uv_store__state_changed(store);
        rc = step_write(store, &use, project_id, "storing project settings");
    }
    if (rc == 0 && sqlite3_changes(store->db) == 0)
        rc =
            uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0,
                         "store %s: project id %" PRId64 " does not exist", store->dir, project_id);
    return own_end(store, owned, rc);
}
