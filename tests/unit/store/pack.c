/* Packed occurrence payloads (pack.c): round trips, what a corrupt or hostile frame gets, rows
 * of older stores (TEXT) read as they are; and deferred durability (store.c): commits on a
 * deferred handle, flushed from another thread, checkpointed, survive a kill -9 of the process
 * and a close. */
#include "formats/error.h"
#include "store/service.h"
#include "store/store.h"
#include "store_test_util.h"
#include "test.h"

#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

static char root[256];

static uv_store *open_new(const char *name)
{
    return open_store_in(root, name);
}

static uv_occurrence_in occ(int64_t project, const char *uuid, const char *raw)
{
    uv_occurrence_in in = {
        .project_id = project,
        .uuid = uuid,
        .fingerprint = "f",
        .title = "TypeError: x is undefined",
        .level = "error",
        .version = "1.0",
        .source = "rollbar",
        .timestamp = 1000,
        .raw_json = raw,
        .resolved_json = "{\"unravel_resolution\":2}",
    };
    return in;
}

TEST(round_trip)
{
    const char *texts[] = {"", "{}",
                           "{\"password\":\"[scrubbed]\",\"frames\":[1,2,3,1,2,3,1,2,3]}"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        uv_buf packed = UV_BUF_INIT;
        CHECK_INT(uv_store_pack(texts[i], strlen(texts[i]), &packed), 0);
        CHECK(uv_store_is_packed(packed.data, packed.len));
        char *back = NULL;
        size_t len = 99;
        CHECK_INT(uv_store_unpack(packed.data, packed.len, 1 << 20, &back, &len), 0);
        CHECK_STR(back, texts[i]);
        CHECK_INT(len, strlen(texts[i]));
        free(back);
        uv_buf_free(&packed);
    }
    /* a large repetitive payload packs small */
    size_t n = 200000;
    char *big = malloc(n + 1);
    if (!big) return;
    for (size_t i = 0; i < n; i++)
        big[i] = "{\"filename\":\"app.min.js\",\"lineno\":1}"[i % 36];
    big[n] = '\0';
    uv_buf packed = UV_BUF_INIT;
    CHECK_INT(uv_store_pack(big, n, &packed), 0);
    CHECK(packed.len < n / 20);
    char *back = NULL;
    CHECK_INT(uv_store_unpack(packed.data, packed.len, n, &back, NULL), 0);
    CHECK(back && memcmp(back, big, n) == 0);
    free(back);
    /* ... and is refused when it would unpack past the limit given */
    CHECK_INT(uv_store_unpack(packed.data, packed.len, n - 1, &back, NULL), UV_ECORRUPT);
    CHECK_CONTAINS(uv_error_last()->message, "more than");
    CHECK(back == NULL);
    uv_buf_free(&packed);
    free(big);
}

TEST(corrupt_frames)
{
    char *out = (char *)1;
    CHECK_INT(uv_store_unpack("{\"a\":1}", 7, 1 << 20, &out, NULL), UV_ECORRUPT);
    CHECK(out == NULL);
    CHECK_CONTAINS(uv_error_last()->message, "not a packed payload");
    CHECK_INT(uv_store_unpack("", 0, 1 << 20, &out, NULL), UV_ECORRUPT);

    uv_buf packed = UV_BUF_INIT;
    const char *text = "{\"message\":\"hello hello hello hello\"}";
    CHECK_INT(uv_store_pack(text, strlen(text), &packed), 0);
    /* every truncation and every single-byte change is an error or the exact text: never a
     * crash, never other bytes */
    for (size_t cut = 0; cut < packed.len; cut++) {
        CHECK_INT(uv_store_unpack(packed.data, cut, 1 << 20, &out, NULL), UV_ECORRUPT);
        CHECK(out == NULL);
    }
    for (size_t i = 0; i < packed.len; i++) {
        uint8_t saved = packed.data[i];
        packed.data[i] ^= 0x5a;
        int rc = uv_store_unpack(packed.data, packed.len, 1 << 20, &out, NULL);
        if (rc == 0) {
            CHECK_INT(strlen(out), strlen(text));
            free(out);
        } else {
            CHECK_INT(rc, UV_ECORRUPT);
        }
        packed.data[i] = saved;
    }
    uv_buf_free(&packed);

    /* a frame of text holding a NUL byte: payloads are C strings */
    uv_buf nul = UV_BUF_INIT;
    CHECK_INT(uv_store_pack("ab\0cd", 5, &nul), 0);
    CHECK_INT(uv_store_unpack(nul.data, nul.len, 1 << 20, &out, NULL), UV_ECORRUPT);
    CHECK_CONTAINS(uv_error_last()->message, "NUL");
    uv_buf_free(&nul);
}

TEST(stored_packed_and_legacy_text)
{
    uv_store *s = open_new("rows");
    if (!s) return;
    int64_t p = 0;
    CHECK_INT(uv_store_project_ensure(s, "web", &p), 0);
    const char *raw = "{\"data\":{\"body\":{\"message\":{\"body\":\"packed row\"}}}}";
    uv_occurrence_in in = occ(p, "u-1", raw);
    uv_occurrence_ack a, b;
    CHECK_INT(uv_store_occurrence_put(s, &in, &a), 0);
    /* packed by the caller */
    uv_buf raw_packed = UV_BUF_INIT, resolved_packed = UV_BUF_INIT;
    const char *raw2 = "{\"data\":{\"body\":{\"message\":{\"body\":\"prepacked\"}}}}";
    CHECK_INT(uv_store_pack(raw2, strlen(raw2), &raw_packed), 0);
    in = occ(p, "u-2", raw2);
    CHECK_INT(uv_store_pack(in.resolved_json, strlen(in.resolved_json), &resolved_packed), 0);
    in.raw_packed = &raw_packed;
    in.resolved_packed = &resolved_packed;
    CHECK_INT(uv_store_occurrence_put(s, &in, &b), 0);
    uv_buf_free(&raw_packed);
    uv_buf_free(&resolved_packed);

    /* at rest both columns are zstd frames */
    char value[128];
    CHECK_INT(store_sql(s,
                        "SELECT count(*) FROM occurrences WHERE typeof(raw_json) = 'blob'"
                        " AND typeof(resolved_json) = 'blob'"
                        " AND hex(substr(raw_json, 1, 4)) = '28B52FFD'",
                        NULL, 0, value, sizeof value),
              SQLITE_OK);
    CHECK_STR(value, "2");

    uv_occurrence o;
    CHECK_INT(uv_store_occurrence_get(s, p, a.id, &o), 0);
    CHECK_STR(o.raw_json, raw);
    CHECK_STR(o.resolved_json, "{\"unravel_resolution\":2}");
    uv_occurrence_clear(&o);
    CHECK_INT(uv_store_occurrence_get(s, p, b.id, &o), 0);
    CHECK_STR(o.raw_json, raw2);
    uv_occurrence_clear(&o);

    /* a row as a store before packing wrote it: TEXT, read as it is */
    char sql[256];
    snprintf(sql, sizeof sql,
             "UPDATE occurrences SET raw_json = '{\"legacy\":true}', resolved_json = NULL"
             " WHERE id = %lld",
             (long long)a.id);
    CHECK_INT(store_sql(s, sql, NULL, 0, NULL, 0), SQLITE_OK);
    CHECK_INT(uv_store_occurrence_get(s, p, a.id, &o), 0);
    CHECK_STR(o.raw_json, "{\"legacy\":true}");
    CHECK(o.resolved_json == NULL);
    uv_occurrence_clear(&o);

    /* a damaged packed value is an error naming the row and column, not a crash */
    static const uint8_t bad[] = {0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x05, 0xff, 0xff, 0xff};
    snprintf(sql, sizeof sql, "UPDATE occurrences SET raw_json = ?1 WHERE id = %lld",
             (long long)b.id);
    CHECK_INT(store_sql(s, sql, bad, (int)sizeof bad, NULL, 0), SQLITE_OK);
    CHECK_INT(uv_store_occurrence_get(s, p, b.id, &o), UV_ECORRUPT);
    char want[64];
    snprintf(want, sizeof want, "occurrence %lld raw_json", (long long)b.id);
    CHECK_CONTAINS(uv_error_last()->message, want);
    uv_store_close(s);
}

/* Flushes a deferred handle from another thread, as the server's syncer does. */
static void *flush_thread(void *arg)
{
    return (void *)(intptr_t)uv_store_log_flush(arg);
}

static int64_t killed_project;

/* In the child: one occurrence committed on a deferred handle, then flushed. */
static int deferred_child(void *dir)
{
    uv_store *child = NULL;
    if (uv_store_open(&child, dir, 0) != 0 || uv_store_defer_sync(child) != 0) return 3;
    uv_occurrence_in in = occ(killed_project, "killed-1", "{\"after\":\"kill\"}");
    uv_occurrence_ack ack;
    if (uv_store_occurrence_put(child, &in, &ack) != 0) return 4;
    if (uv_store_log_flush(child) != 0) return 5;
    return 0;
}

TEST(deferred_sync)
{
    uv_store *s = open_new("deferred");
    if (!s) return;
    int64_t p = 0;
    CHECK_INT(uv_store_project_ensure(s, "web", &p), 0);
    CHECK(!uv_store_log_due(s));
    CHECK_INT(uv_store_defer_sync(s), 0);
    enum { GROUPS = 50, N = 25 };
    /* distinct, poorly compressible payloads (~8 KB packed) so that the log grows past the
     * point where it is copied into the database */
    unsigned seed = 7;
    int checkpoints = 0;
    for (int g = 0; g < GROUPS; g++) {
        uv_occurrence_in in[N];
        uv_occurrence_ack out[N];
        static char uuids[GROUPS * N][24];
        static char raws[N][10100];
        for (int i = 0; i < N; i++) {
            int k = g * N + i;
            snprintf(uuids[k], sizeof uuids[k], "d-%d", k);
            int len = snprintf(raws[i], sizeof raws[i], "{\"noise\":\"");
            while (len < 10000) {
                seed = seed * 1103515245u + 12345u;
                raws[i][len++] = (char)('(' + (seed >> 16) % 52); /* no quote or backslash */
            }
            snprintf(raws[i] + len, sizeof raws[i] - (size_t)len, "\"}");
            in[i] = occ(p, uuids[k], raws[i]);
        }
        CHECK_INT(uv_store_occurrence_put_batch(s, in, N, out), 0);
        pthread_t t;
        CHECK_INT(pthread_create(&t, NULL, flush_thread, s), 0);
        void *rc = NULL;
        pthread_join(t, &rc);
        CHECK_INT((int)(intptr_t)rc, 0);
        if (uv_store_log_due(s)) {
            CHECK_INT(uv_store_log_checkpoint(s), 0);
            checkpoints++;
        }
    }
    CHECK(checkpoints > 0);
    char value[64];
    CHECK_INT(store_sql(s, "SELECT count(*) FROM occurrences", NULL, 0, value, sizeof value),
              SQLITE_OK);
    CHECK_STR(value, "1250");
    /* not inside a transaction */
    CHECK_INT(uv_store_begin(s), 0);
    CHECK_INT(uv_store_log_checkpoint(s), UV_EINVALID);
    CHECK_INT(uv_store_rollback(s), 0);
    uv_store_close(s);

    /* a flushed commit survives kill -9 of the process that made it */
    char dir[512];
    snprintf(dir, sizeof dir, "%s/deferred", root);
    killed_project = p;
    CHECK(run_then_sigkill(deferred_child, dir));
    CHECK_INT(uv_store_open(&s, dir, 0), 0);
    if (!s) return;
    CHECK_INT(store_sql(s, "SELECT count(*) FROM occurrences WHERE uuid = 'killed-1'", NULL, 0,
                        value, sizeof value),
              SQLITE_OK);
    CHECK_STR(value, "1");
    uv_store_close(s);

    /* read-only handles cannot defer */
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_READONLY), 0);
    if (!s) return;
    CHECK_INT(uv_store_defer_sync(s), UV_EINVALID);
    uv_store_close(s);
}

int main(void)
{
    temp_dir(root, sizeof root);
    RUN(round_trip);
    RUN(corrupt_frames);
    RUN(stored_packed_and_legacy_text);
    RUN(deferred_sync);
    if (!getenv("KEEP")) remove_tree(root);
    TEST_MAIN_END();
}
