/* Store handle and index: open/create/reopen, schema migrations, projects, artifacts,
 * transactions, several handles on one store, and durability across kill -9. */
#include "formats/error.h"
#include "store/store.h"
#include "store_test_util.h"
#include "test.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

static char root[256];

/* A new store directory path (not yet created) under the test root. */
static void store_path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", root, name);
}

/* Runs one SQL statement on dir/unravel.db outside the store API (for tampering). */
static int raw_sql(const char *dir, const char *sql, char *result, size_t cap)
{
    char path[512];
    snprintf(path, sizeof path, "%s/unravel.db", dir);
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    sqlite3_stmt *st = NULL;
    if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && result)
            snprintf(result, cap, "%s", (const char *)sqlite3_column_text(st, 0));
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

TEST(open_create_reopen)
{
    char dir[512], sub[600];
    store_path(dir, sizeof dir, "a/b/store");
    uv_store *s = NULL;
    CHECK_INT(uv_store_open(&s, dir, 0), UV_ENOTFOUND);
    CHECK(s == NULL);
    CHECK_CONTAINS(uv_error_last()->message, dir);
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_READONLY), UV_ENOTFOUND);

    CHECK_INT(uv_store_open(&s, dir, UV_STORE_CREATE), 0);
    CHECK(s != NULL);
    CHECK_STR(uv_store_dir(s), dir);
    CHECK_INT(uv_store_schema_version(s), 3);
    snprintf(sub, sizeof sub, "%s/blobs", dir);
    CHECK(path_exists(sub));
    snprintf(sub, sizeof sub, "%s/cache", dir);
    CHECK(path_exists(sub));
    snprintf(sub, sizeof sub, "%s/unravel.db", dir);
    CHECK(path_exists(sub));
    int64_t id = 0;
    CHECK_INT(uv_store_project_ensure(s, "web", &id), 0);
    uv_store_close(s);

    /* reopen without CREATE, then read-only: the project is still there */
    CHECK_INT(uv_store_open(&s, dir, 0), 0);
    int64_t again = 0;
    CHECK_INT(uv_store_project_find(s, "web", &again), 0);
    CHECK_INT(again, id);
    uv_store_close(s);
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_READONLY), 0);
    CHECK_INT(uv_store_project_find(s, "web", &again), 0);
    CHECK_INT(uv_store_project_ensure(s, "other", &again), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "read-only");
    uv_store_close(s);

    /* the settings that make it shareable and durable */
    char mode[64] = "";
    CHECK_INT(raw_sql(dir, "PRAGMA journal_mode", mode, sizeof mode), SQLITE_OK);
    CHECK_STR(mode, "wal");
    uv_store_close(NULL);
}

TEST(open_rejects)
{
    char dir[512], file[600];
    store_path(dir, sizeof dir, "not-a-store");
    CHECK_INT(mkdir(dir, 0755), 0);
    uv_store *s = NULL;
    /* an existing directory without unravel.db is not a store */
    CHECK_INT(uv_store_open(&s, dir, 0), UV_ENOTFOUND);
    CHECK_CONTAINS(uv_error_last()->message, dir);
    /* a file where the directory should be */
    snprintf(file, sizeof file, "%s/plain-file", dir);
    CHECK_INT(write_file(file, "x", 1), 0);
    CHECK_INT(uv_store_open(&s, file, UV_STORE_CREATE), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "not a directory");
    CHECK_INT(uv_store_open(&s, "", UV_STORE_CREATE), UV_EINVALID);
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_CREATE | UV_STORE_READONLY), UV_EINVALID);
    /* unravel.db that is not a database at all */
    snprintf(file, sizeof file, "%s/unravel.db", dir);
    char junk[4096];
    memset(junk, 'j', sizeof junk); /* a page of text where SQLite expects its header */
    CHECK_INT(write_file(file, junk, sizeof junk), 0);
    CHECK_INT(uv_store_open(&s, dir, 0), UV_ECORRUPT);
    CHECK_CONTAINS(uv_error_last()->message, dir);
    CHECK_INT(uv_error_last()->lib, UV_LIB_SQL);
    CHECK(s == NULL);
}

TEST(migrations)
{
    char dir[512];
    store_path(dir, sizeof dir, "migrate");
    uv_store *s = NULL;
    /* a version-0 (empty) database is migrated on a read-write open, refused read-only */
    CHECK_INT(mkdir(dir, 0755), 0);
    CHECK_INT(raw_sql(dir, "PRAGMA user_version", NULL, 0), SQLITE_OK);
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_READONLY), UV_EUNSUPPORTED);
    CHECK_CONTAINS(uv_error_last()->message, "schema version 0");
    CHECK_INT(uv_store_open(&s, dir, 0), 0);
    CHECK_INT(uv_store_schema_version(s), 3);
    uv_store_close(s);
    char value[64] = "";
    CHECK_INT(raw_sql(dir, "PRAGMA user_version", value, sizeof value), SQLITE_OK);
    CHECK_STR(value, "3");
    CHECK_INT(raw_sql(dir,
                      "SELECT count(*) FROM sqlite_master WHERE name IN ('projects',"
                      "'versions','artifacts','artifacts_debug_id')",
                      value, sizeof value),
              SQLITE_OK);
    CHECK_STR(value, "4");

    /* reopening does not migrate again */
    CHECK_INT(uv_store_open(&s, dir, 0), 0);
    uv_store_close(s);

    /* a newer schema than this binary knows */
    CHECK_INT(raw_sql(dir, "PRAGMA user_version=99", NULL, 0), SQLITE_OK);
    CHECK_INT(uv_store_open(&s, dir, 0), UV_EUNSUPPORTED);
    CHECK(s == NULL);
    CHECK_CONTAINS(uv_error_last()->message, "has schema version 99");
    CHECK_CONTAINS(uv_error_last()->message, "knows up to 3");
    CHECK_CONTAINS(uv_error_last()->message, dir);
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_READONLY), UV_EUNSUPPORTED);

    /* another program's SQLite file */
    CHECK_INT(raw_sql(dir, "PRAGMA user_version=1", NULL, 0), SQLITE_OK);
    CHECK_INT(raw_sql(dir, "PRAGMA application_id=1234", NULL, 0), SQLITE_OK);
    CHECK_INT(uv_store_open(&s, dir, 0), UV_EUNSUPPORTED);
    CHECK_CONTAINS(uv_error_last()->message, "another program");
}

TEST(projects)
{
    char dir[512];
    store_path(dir, sizeof dir, "projects");
    uv_store *s = NULL;
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_CREATE), 0);
    if (!s) return;
    int64_t a = 0, b = 0, c = 0;
    CHECK_INT(uv_store_project_find(s, "web", &a), UV_ENOTFOUND);
    CHECK_CONTAINS(uv_error_last()->message, "web");
    CHECK_INT(uv_store_project_ensure(s, "web", &a), 0);
    CHECK(a > 0);
    CHECK_INT(uv_store_project_ensure(s, "web", &b), 0);
    CHECK_INT(b, a);
    CHECK_INT(uv_store_project_ensure(s, "api-2.x_Y", &c), 0);
    CHECK(c != a);
    CHECK_INT(uv_store_project_find(s, "web", &b), 0);
    CHECK_INT(b, a);
    char name64[65], name65[66];
    memset(name64, 'n', 64);
    name64[64] = '\0';
    memset(name65, 'n', 65);
    name65[65] = '\0';
    CHECK_INT(uv_store_project_ensure(s, name64, &b), 0);
    static const char *const bad[] = {"", "a b", "../etc", "x/y", "é", "semi;colon"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(uv_store_project_ensure(s, bad[i], &b), UV_EINVALID);
        CHECK_INT(uv_store_project_find(s, bad[i], &b), UV_EINVALID);
    }
    CHECK_INT(uv_store_project_ensure(s, name65, &b), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "project name");
    CHECK_INT(uv_store_project_ensure(s, NULL, &b), UV_EINVALID);
    uv_store_close(s);
}

/* Puts `text` as a blob and returns its hash in hex. */
static void put_text(uv_store *s, const char *text, char hex[UV_HASH_HEX])
{
    CHECK_INT(uv_store_blob_put(s, text, strlen(text), hex), 0);
}

typedef struct {
    int calls;
    int stop_at;
    char keys[16][64];
    char versions[16][32];
} each_log;

static int log_artifact(const uv_artifact *a, void *ctx)
{
    each_log *log = ctx;
    if (log->calls < 16) {
        snprintf(log->keys[log->calls], sizeof log->keys[0], "%.63s", a->key);
        snprintf(log->versions[log->calls], sizeof log->versions[0], "%.31s", a->version);
    }
    log->calls++;
    return log->calls == log->stop_at ? 42 : 0;
}

TEST(artifacts)
{
    char dir[512];
    store_path(dir, sizeof dir, "artifacts");
    uv_store *s = NULL;
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_CREATE), 0);
    if (!s) return;
    int64_t web = 0, api = 0;
    CHECK_INT(uv_store_project_ensure(s, "web", &web), 0);
    CHECK_INT(uv_store_project_ensure(s, "api", &api), 0);
    char map1[UV_HASH_HEX], map2[UV_HASH_HEX], js[UV_HASH_HEX];
    put_text(s, "{\"version\":3}", map1);
    put_text(s, "{\"version\":3,\"names\":[]}", map2);
    put_text(s, "function a(){}", js);

    uv_artifact a;
    CHECK_INT(uv_store_artifact_get(s, web, "1.0", "sourcemap", "~/app.js.map", &a), UV_ENOTFOUND);
    CHECK_INT(uv_store_artifact_put(s, web, "1.0", "sourcemap", "~/app.js.map", map1, 13,
                                    "ABCDEF00-1111-2222-3333-444455556666", "{\"url\":\"x\"}"),
              0);
    CHECK_INT(uv_store_artifact_put(s, web, "1.0", "minified", "~/app.js", js, 14, NULL, NULL), 0);
    memset(&a, 0x55, sizeof a);
    CHECK_INT(uv_store_artifact_get(s, web, "1.0", "sourcemap", "~/app.js.map", &a), 0);
    CHECK_INT(a.project_id, web);
    CHECK_STR(a.version, "1.0");
    CHECK_STR(a.kind, "sourcemap");
    CHECK_STR(a.key, "~/app.js.map");
    CHECK_STR(a.blob, map1);
    CHECK_INT(a.size, 13);
    CHECK_STR(a.debug_id, "ABCDEF00-1111-2222-3333-444455556666");
    CHECK_STR(a.meta, "{\"url\":\"x\"}");
    CHECK(a.created_at > 1600000000);
    int64_t first_id = a.id;
    CHECK_INT(uv_store_artifact_get(s, web, "1.0", "minified", "~/app.js", &a), 0);
    CHECK_STR(a.debug_id, "");
    CHECK_STR(a.meta, "{}");
    /* another project and another version do not see it */
    CHECK_INT(uv_store_artifact_get(s, api, "1.0", "sourcemap", "~/app.js.map", &a), UV_ENOTFOUND);
    CHECK_INT(uv_store_artifact_get(s, web, "1.1", "sourcemap", "~/app.js.map", &a), UV_ENOTFOUND);

    /* replace: same row, new blob and fields */
    CHECK_INT(
        uv_store_artifact_put(s, web, "1.0", "sourcemap", "~/app.js.map", map2, 24, NULL, NULL), 0);
    CHECK_INT(uv_store_artifact_get(s, web, "1.0", "sourcemap", "~/app.js.map", &a), 0);
    CHECK_INT(a.id, first_id);
    CHECK_STR(a.blob, map2);
    CHECK_INT(a.size, 24);
    CHECK_STR(a.debug_id, "");
    CHECK_STR(a.meta, "{}");

    /* debug ids: newest wins, any version, case-insensitive, kind filter */
    CHECK_INT(uv_store_artifact_put(s, web, "1.0", "sourcemap", "~/b.js.map", map1, 13,
                                    "dddddddd-0000-0000-0000-000000000001", NULL),
              0);
    CHECK_INT(uv_store_artifact_put(s, web, "2.0", "sourcemap", "~/c.js.map", map2, 24,
                                    "dddddddd-0000-0000-0000-000000000001", NULL),
              0);
    CHECK_INT(uv_store_artifact_find_debug_id(s, web, "DDDDDDDD-0000-0000-0000-000000000001",
                                              "sourcemap", &a),
              0);
    CHECK_STR(a.key, "~/c.js.map");
    CHECK_STR(a.version, "2.0");
    CHECK_INT(
        uv_store_artifact_find_debug_id(s, web, "dddddddd-0000-0000-0000-000000000001", NULL, &a),
        0);
    CHECK_STR(a.key, "~/c.js.map");
    CHECK_INT(uv_store_artifact_find_debug_id(s, web, "dddddddd-0000-0000-0000-000000000001",
                                              "minified", &a),
              UV_ENOTFOUND);
    CHECK_INT(uv_store_artifact_find_debug_id(s, api, "dddddddd-0000-0000-0000-000000000001",
                                              "sourcemap", &a),
              UV_ENOTFOUND);

    /* iteration: key order, per version or all versions, kind filter, early stop */
    CHECK_INT(uv_store_artifact_put(s, web, "2.0", "sourcemap", "~/a.js.map", map1, 13, NULL, NULL),
              0);
    each_log log = {0};
    CHECK_INT(uv_store_artifact_each(s, web, "1.0", "sourcemap", log_artifact, &log), 0);
    CHECK_INT(log.calls, 2);
    CHECK_STR(log.keys[0], "~/app.js.map");
    CHECK_STR(log.keys[1], "~/b.js.map");
    memset(&log, 0, sizeof log);
    CHECK_INT(uv_store_artifact_each(s, web, NULL, "sourcemap", log_artifact, &log), 0);
    CHECK_INT(log.calls, 4);
    CHECK_STR(log.keys[0], "~/a.js.map");
    CHECK_STR(log.versions[0], "2.0");
    CHECK_STR(log.keys[1], "~/app.js.map");
    CHECK_STR(log.keys[2], "~/b.js.map");
    CHECK_STR(log.keys[3], "~/c.js.map");
    memset(&log, 0, sizeof log);
    CHECK_INT(uv_store_artifact_each(s, web, "1.0", NULL, log_artifact, &log), 0);
    CHECK_INT(log.calls, 3);
    CHECK_STR(log.keys[0], "~/app.js");
    memset(&log, 0, sizeof log);
    CHECK_INT(uv_store_artifact_each(s, web, NULL, NULL, log_artifact, &log), 0);
    CHECK_INT(log.calls, 5);
    memset(&log, 0, sizeof log);
    log.stop_at = 2;
    CHECK_INT(uv_store_artifact_each(s, web, NULL, "sourcemap", log_artifact, &log), 42);
    CHECK_INT(log.calls, 2);
    memset(&log, 0, sizeof log);
    CHECK_INT(uv_store_artifact_each(s, web, "9.9", "sourcemap", log_artifact, &log), 0);
    CHECK_INT(log.calls, 0);

    /* delete */
    CHECK_INT(uv_store_artifact_delete(s, web, "1.0", "sourcemap", "~/b.js.map"), 0);
    CHECK_INT(uv_store_artifact_get(s, web, "1.0", "sourcemap", "~/b.js.map", &a), UV_ENOTFOUND);
    CHECK_INT(uv_store_artifact_delete(s, web, "1.0", "sourcemap", "~/b.js.map"), UV_ENOTFOUND);
    CHECK_INT(uv_store_artifact_delete(s, web, "7.0", "sourcemap", "~/b.js.map"), UV_ENOTFOUND);
    CHECK(uv_store_blob_exists(s, map1)); /* blobs stay */
    uv_store_close(s);
}

typedef struct {
    uv_store *store;
    int64_t project;
    int outer, inner;
} nested_ctx;

static int count_inner(const uv_artifact *a, void *ctx)
{
    (void)a;
    ((nested_ctx *)ctx)->inner++;
    return 0;
}

static int iterate_again(const uv_artifact *a, void *ctx)
{
    nested_ctx *n = ctx;
    n->outer++;
    uv_artifact other;
    /* reads and a nested iteration of the same query inside the callback */
    if (uv_store_artifact_get(n->store, n->project, a->version, a->kind, a->key, &other) != 0)
        return -100;
    return uv_store_artifact_each(n->store, n->project, "1", "source", count_inner, n);
}

TEST(each_nested)
{
    char dir[512];
    store_path(dir, sizeof dir, "nested");
    uv_store *s = NULL;
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_CREATE), 0);
    if (!s) return;
    int64_t p = 0;
    CHECK_INT(uv_store_project_ensure(s, "p", &p), 0);
    char hex[UV_HASH_HEX];
    put_text(s, "src", hex);
    CHECK_INT(uv_store_begin(s), 0);
    for (int i = 0; i < 3; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        CHECK_INT(uv_store_artifact_put(s, p, "1", "source", key, hex, 3, NULL, NULL), 0);
    }
    CHECK_INT(uv_store_commit(s), 0);
    nested_ctx n = {s, p, 0, 0};
    CHECK_INT(uv_store_artifact_each(s, p, "1", "source", iterate_again, &n), 0);
    CHECK_INT(n.outer, 3);
    CHECK_INT(n.inner, 9);
    uv_store_close(s);
}

TEST(field_limits)
{
    char dir[512];
    store_path(dir, sizeof dir, "limits");
    uv_store *s = NULL;
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_CREATE), 0);
    if (!s) return;
    int64_t p = 0;
    CHECK_INT(uv_store_project_ensure(s, "p", &p), 0);
    char hex[UV_HASH_HEX];
    put_text(s, "bytes", hex);

    static char key[2049], version[257], meta[4097], kind[33], debug_id[65];
    memset(key, 'k', 2048);
    memset(version, 'v', 256);
    memset(kind, 'c', 32);
    memset(debug_id, 'd', 64);
    memset(meta, ' ', 4096);
    meta[0] = '{';
    meta[4095] = '}';

    /* one byte too long: rejected naming the field, never truncated */
    CHECK_INT(uv_store_artifact_put(s, p, "1", "source", key, hex, 5, NULL, NULL), UV_ETOOBIG);
    CHECK_CONTAINS(uv_error_last()->message, "key");
    CHECK_INT(uv_store_artifact_put(s, p, version, "source", "k", hex, 5, NULL, NULL), UV_ETOOBIG);
    CHECK_CONTAINS(uv_error_last()->message, "version");
    CHECK_INT(uv_store_artifact_put(s, p, "1", kind, "k", hex, 5, NULL, NULL), UV_ETOOBIG);
    CHECK_CONTAINS(uv_error_last()->message, "kind");
    CHECK_INT(uv_store_artifact_put(s, p, "1", "source", "k", hex, 5, debug_id, NULL), UV_ETOOBIG);
    CHECK_CONTAINS(uv_error_last()->message, "debug_id");
    CHECK_INT(uv_store_artifact_put(s, p, "1", "source", "k", hex, 5, NULL, meta), UV_ETOOBIG);
    CHECK_CONTAINS(uv_error_last()->message, "meta");
    /* lookups with values too long to exist are simply not found */
    uv_artifact a;
    CHECK_INT(uv_store_artifact_get(s, p, "1", "source", key, &a), UV_ENOTFOUND);

    /* exactly at the limit: stored and read back whole */
    key[2047] = '\0';
    version[255] = '\0';
    kind[31] = '\0';
    debug_id[63] = '\0';
    meta[4094] = '}';
    meta[4095] = '\0';
    CHECK_INT(uv_store_artifact_put(s, p, version, kind, key, hex, 5, debug_id, meta), 0);
    memset(&a, 0, sizeof a);
    CHECK_INT(uv_store_artifact_get(s, p, version, kind, key, &a), 0);
    CHECK_STR(a.key, key);
    CHECK_STR(a.version, version);
    CHECK_STR(a.kind, kind);
    CHECK_STR(a.debug_id, debug_id);
    CHECK_STR(a.meta, meta);

    /* other invalid arguments */
    CHECK_INT(uv_store_artifact_put(s, p, "", "source", "k", hex, 5, NULL, NULL), UV_EINVALID);
    CHECK_INT(uv_store_artifact_put(s, p, "1", "source", "", hex, 5, NULL, NULL), UV_EINVALID);
    CHECK_INT(uv_store_artifact_put(s, p, "1", "source", "k", hex, 5, NULL, "[1]"), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "JSON object");
    CHECK_INT(uv_store_artifact_put(s, p, "1", "source", "k", hex, 5, NULL, "{oops"), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "meta");
    CHECK_INT(uv_store_artifact_put(s, p, "1", "source", "k", "ABC", 5, NULL, NULL), UV_EINVALID);
    char absent[UV_HASH_HEX];
    memset(absent, 'e', 64);
    absent[64] = '\0';
    CHECK_INT(uv_store_artifact_put(s, p, "1", "source", "k", absent, 5, NULL, NULL), UV_ENOTFOUND);
    CHECK_CONTAINS(uv_error_last()->message, absent);
    CHECK_INT(uv_store_artifact_put(s, 9999, "1", "source", "k", hex, 5, NULL, NULL), UV_ENOTFOUND);
    CHECK_CONTAINS(uv_error_last()->message, "project id 9999");
    CHECK_INT(uv_store_artifact_put(s, p, "1", "source", "k", hex, UINT64_MAX, NULL, NULL),
              UV_ETOOBIG);
    /* failed writes left nothing behind */
    CHECK_INT(uv_store_artifact_get(s, p, "1", "source", "k", &a), UV_ENOTFOUND);
    uv_store_close(s);
}

TEST(transactions)
{
    char dir[512];
    store_path(dir, sizeof dir, "tx");
    uv_store *s = NULL;
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_CREATE), 0);
    if (!s) return;
    int64_t p = 0;
    CHECK_INT(uv_store_project_ensure(s, "p", &p), 0);
    char hex[UV_HASH_HEX];
    put_text(s, "tx bytes", hex);
    uv_artifact a;

    CHECK_INT(uv_store_commit(s), UV_EINVALID);
    CHECK_INT(uv_store_rollback(s), 0);
    CHECK_INT(uv_store_begin(s), 0);
    CHECK_INT(uv_store_begin(s), UV_EINVALID);
    CHECK_INT(uv_store_artifact_put(s, p, "1", "source", "a", hex, 8, NULL, NULL), 0);
    CHECK_INT(uv_store_artifact_put(s, p, "1", "source", "b", hex, 8, NULL, NULL), 0);
    CHECK_INT(uv_store_artifact_get(s, p, "1", "source", "a", &a), 0); /* own writes visible */
    CHECK_INT(uv_store_rollback(s), 0);
    CHECK_INT(uv_store_artifact_get(s, p, "1", "source", "a", &a), UV_ENOTFOUND);
    CHECK_INT(uv_store_artifact_get(s, p, "1", "source", "b", &a), UV_ENOTFOUND);

    CHECK_INT(uv_store_begin(s), 0);
    CHECK_INT(uv_store_artifact_put(s, p, "1", "source", "a", hex, 8, NULL, NULL), 0);
    /* a failed put inside a transaction leaves the transaction usable */
    CHECK_INT(uv_store_artifact_put(s, p, "1", "source", "", hex, 8, NULL, NULL), UV_EINVALID);
    CHECK_INT(uv_store_artifact_put(s, p, "1", "source", "b", hex, 8, NULL, NULL), 0);
    CHECK_INT(uv_store_commit(s), 0);
    CHECK_INT(uv_store_artifact_get(s, p, "1", "source", "a", &a), 0);
    CHECK_INT(uv_store_artifact_get(s, p, "1", "source", "b", &a), 0);

    /* closing with an open transaction discards it */
    CHECK_INT(uv_store_begin(s), 0);
    CHECK_INT(uv_store_artifact_put(s, p, "1", "source", "c", hex, 8, NULL, NULL), 0);
    uv_store_close(s);
    CHECK_INT(uv_store_open(&s, dir, 0), 0);
    if (!s) return;
    CHECK_INT(uv_store_artifact_get(s, p, "1", "source", "c", &a), UV_ENOTFOUND);
    CHECK_INT(uv_store_artifact_get(s, p, "1", "source", "b", &a), 0);
    uv_store_close(s);
}

TEST(two_handles)
{
    char dir[512];
    store_path(dir, sizeof dir, "shared");
    uv_store *a = NULL, *b = NULL;
    CHECK_INT(uv_store_open(&a, dir, UV_STORE_CREATE), 0);
    CHECK_INT(uv_store_open(&b, dir, 0), 0);
    if (!a || !b) return;
    int64_t pa = 0, pb = 0;
    CHECK_INT(uv_store_project_ensure(a, "p", &pa), 0);
    CHECK_INT(uv_store_project_find(b, "p", &pb), 0);
    CHECK_INT(pb, pa);
    char hex[UV_HASH_HEX];
    put_text(a, "shared bytes", hex);
    CHECK(uv_store_blob_exists(b, hex));
    uv_artifact art;
    /* b reads before, during and after a's transaction */
    CHECK_INT(uv_store_artifact_get(b, pb, "1", "source", "k", &art), UV_ENOTFOUND);
    CHECK_INT(uv_store_begin(a), 0);
    CHECK_INT(uv_store_artifact_put(a, pa, "1", "source", "k", hex, 12, NULL, NULL), 0);
    CHECK_INT(uv_store_artifact_get(b, pb, "1", "source", "k", &art), UV_ENOTFOUND);
    CHECK_INT(uv_store_commit(a), 0);
    CHECK_INT(uv_store_artifact_get(b, pb, "1", "source", "k", &art), 0);
    CHECK_STR(art.blob, hex);
    /* and b can write once a is done */
    CHECK_INT(uv_store_artifact_put(b, pb, "1", "source", "k2", hex, 12, NULL, NULL), 0);
    CHECK_INT(uv_store_artifact_get(a, pa, "1", "source", "k2", &art), 0);
    uv_store_close(a);
    uv_store_close(b);
}

/* Several processes write the same store at once: every write lands (writers wait for the
 * lock instead of failing), and the shared version and project rows are created once. */
TEST(concurrent_writers)
{
    char dir[512];
    store_path(dir, sizeof dir, "concurrent");
    uv_store *s = NULL;
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_CREATE), 0);
    if (!s) return;
    enum { WRITERS = 4, PUTS = 25 };
    fflush(NULL);
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        if (pids[w] != 0) continue;
        uv_store *c = NULL;
        int64_t p = 0;
        if (uv_store_open(&c, dir, 0) || uv_store_project_ensure(c, "shared", &p)) _exit(3);
        for (int i = 0; i < PUTS; i++) {
            char text[64], hex[UV_HASH_HEX], key[32];
            snprintf(text, sizeof text, "writer %d put %d", w, i);
            snprintf(key, sizeof key, "w%d-%02d", w, i);
            bool tx = i % 2 == 0; /* alternate explicit and implicit transactions */
            if (uv_store_blob_put(c, text, strlen(text), hex) || (tx && uv_store_begin(c)) ||
                uv_store_artifact_put(c, p, "1.0", "source", key, hex, strlen(text), NULL, NULL) ||
                (tx && uv_store_commit(c))) {
                fprintf(stderr, "writer %d: %s\n", w, uv_error_last()->message);
                _exit(4);
            }
        }
        uv_store_close(c);
        _exit(0);
    }
    for (int w = 0; w < WRITERS; w++) {
        int status = -1;
        CHECK_INT(waitpid(pids[w], &status, 0), pids[w]);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    int64_t p = 0;
    CHECK_INT(uv_store_project_find(s, "shared", &p), 0);
    each_log log = {0};
    CHECK_INT(uv_store_artifact_each(s, p, "1.0", "source", log_artifact, &log), 0);
    CHECK_INT(log.calls, WRITERS * PUTS);
    CHECK_STR(log.keys[0], "w0-00");
    char count[32] = "";
    CHECK_INT(raw_sql(dir, "SELECT count(*) FROM versions", count, sizeof count), SQLITE_OK);
    CHECK_STR(count, "1");
    uv_store_close(s);
}

/* A child process writes and commits, then dies by SIGKILL without closing anything; what
 * it was told is committed must be there for the next process. */
static const char crash_payload[] = "durable bytes written just before kill -9";

/* In the child: a blob and the artifact naming it, committed. */
static int crash_child(void *dir)
{
    uv_store *s = NULL;
    int64_t p = 0;
    char hex[UV_HASH_HEX];
    size_t n = sizeof crash_payload - 1;
    if (uv_store_open(&s, dir, UV_STORE_CREATE) || uv_store_project_ensure(s, "p", &p) ||
        uv_store_begin(s) || uv_store_blob_put(s, crash_payload, n, hex) ||
        uv_store_artifact_put(s, p, "1", "minified", "~/app.js", hex, n, NULL, NULL) ||
        uv_store_commit(s))
        return 3;
    return 0;
}

TEST(crash_durability)
{
    char dir[512];
    store_path(dir, sizeof dir, "crash");
    const char *payload = crash_payload;
    char expected[UV_HASH_HEX];
    uv_sha256_hex(payload, sizeof crash_payload - 1, expected);
    CHECK(run_then_sigkill(crash_child, dir));
    uv_store *s = NULL;
    CHECK_INT(uv_store_open(&s, dir, 0), 0);
    if (!s) return;
    int64_t p = 0;
    CHECK_INT(uv_store_project_find(s, "p", &p), 0);
    uv_artifact a;
    CHECK_INT(uv_store_artifact_get(s, p, "1", "minified", "~/app.js", &a), 0);
    CHECK_STR(a.blob, expected);
    uv_mapped m;
    CHECK_INT(uv_store_blob_map(s, a.blob, &m), 0);
    CHECK_INT(m.len, sizeof crash_payload - 1);
    CHECK(m.data && memcmp(m.data, payload, m.len) == 0);
    uv_mapped_release(&m);
    uv_store_close(s);
}

int main(void)
{
    temp_dir(root, sizeof root);
    RUN(open_create_reopen);
    RUN(open_rejects);
    RUN(migrations);
    RUN(projects);
    RUN(artifacts);
    RUN(each_nested);
    RUN(field_limits);
    RUN(transactions);
    RUN(two_handles);
    RUN(concurrent_writers);
    RUN(crash_durability);
    remove_tree(root);
    TEST_MAIN_END();
}
