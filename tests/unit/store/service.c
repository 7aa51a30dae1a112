/* The service's index (schema v2): scopes and tokens, occurrences grouped into items with
 * duplicates and reactivation, batch puts, field limits, paged lists, deploys and their 409,
 * versions, project settings, migration of a v1 store, and durability across kill -9. */
#include "formats/error.h"
#include "store/service.h"
#include "store/store_internal.h"
#include "store_test_util.h"
#include "test.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <time.h>

static char root[256];

static uv_store *open_new(const char *name)
{
    return open_store_in(root, name);
}

/* One SQL query's first column as text on the store's database, outside the API. */
static int raw_query(uv_store *s, const char *sql, char *out, size_t cap)
{
    return store_sql(s, sql, NULL, 0, out, cap);
}

static uv_occurrence_in occ(int64_t project, const char *fingerprint, const char *version,
                            int64_t ts)
{
    uv_occurrence_in in = {
        .project_id = project,
        .fingerprint = fingerprint,
        .title = "TypeError: x is undefined",
        .level = "error",
        .environment = "production",
        .version = version,
        .platform = "browser",
        .source = "rollbar",
        .timestamp = ts,
        .raw_json = "{\"body\":{}}",
    };
    return in;
}

TEST(scopes)
{
    unsigned flags = 99;
    CHECK_INT(uv_scope_parse("post_server_item,read", &flags), 0);
    CHECK_INT(flags, UV_SCOPE_POST_SERVER_ITEM | UV_SCOPE_READ);
    CHECK_INT(uv_scope_parse(" write , post_client_item ", &flags), 0);
    CHECK_INT(flags, UV_SCOPE_WRITE | UV_SCOPE_POST_CLIENT_ITEM);
    CHECK_INT(uv_scope_parse("read,admin", &flags), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "\"admin\"");
    CHECK_INT(uv_scope_parse("", &flags), UV_EINVALID);
    CHECK_INT(uv_scope_parse("read,,write", &flags), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "offset 5");
    CHECK_INT(uv_scope_parse("read write", &flags), UV_EINVALID);
    CHECK_INT(uv_scope_parse(NULL, &flags), UV_EINVALID);
    char text[64];
    uv_scope_format(UV_SCOPE_WRITE | UV_SCOPE_READ | UV_SCOPE_POST_SERVER_ITEM |
                        UV_SCOPE_POST_CLIENT_ITEM,
                    text, sizeof text);
    CHECK_STR(text, "post_server_item,post_client_item,read,write");
    uv_scope_format(UV_SCOPE_READ, text, sizeof text);
    CHECK_STR(text, "read");
    uv_scope_format(0, text, sizeof text);
    CHECK_STR(text, "");
    /* round trip */
    CHECK_INT(uv_scope_parse("read,write", &flags), 0);
    uv_scope_format(flags, text, sizeof text);
    CHECK_STR(text, "read,write");
}

TEST(tokens)
{
    uv_store *s = open_new("tokens");
    if (!s) return;
    CHECK_INT(uv_store_schema_version(s), 3);
    int64_t web = 0, api = 0;
    CHECK_INT(uv_store_project_ensure(s, "web", &web), 0);
    CHECK_INT(uv_store_project_ensure(s, "api", &api), 0);
    char t1[UV_TOKEN_LEN], t2[UV_TOKEN_LEN];
    CHECK_INT(uv_store_token_create(s, web, UV_SCOPE_POST_CLIENT_ITEM, "browser", t1), 0);
    CHECK_INT(uv_store_token_create(s, api, UV_SCOPE_READ | UV_SCOPE_WRITE, NULL, t2), 0);
    CHECK_INT(strlen(t1), 32);
    CHECK(strspn(t1, "0123456789abcdef") == 32);
    CHECK(strcmp(t1, t2) != 0);

    int64_t project = 0;
    unsigned scopes = 0;
    CHECK_INT(uv_store_token_check(s, t1, &project, &scopes), 0);
    CHECK_INT(project, web);
    CHECK_INT(scopes, UV_SCOPE_POST_CLIENT_ITEM);
    CHECK_INT(uv_store_token_check(s, t2, &project, &scopes), 0);
    CHECK_INT(project, api);
    CHECK_INT(scopes, UV_SCOPE_READ | UV_SCOPE_WRITE);

    /* unknown: well-formed but never issued, wrong shape, empty, NULL */
    CHECK_INT(uv_store_token_check(s, "0123456789abcdef0123456789abcdef", &project, &scopes),
              UV_ENOTFOUND);
    CHECK_INT(project, 0);
    CHECK_INT(scopes, 0);
    char upper[UV_TOKEN_LEN];
    snprintf(upper, sizeof upper, "%s", t1);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'f') *p = (char)(*p - 32);
    if (strcmp(upper, t1) != 0)
        CHECK_INT(uv_store_token_check(s, upper, &project, &scopes), UV_ENOTFOUND);
    CHECK_INT(uv_store_token_check(s, "short", &project, &scopes), UV_ENOTFOUND);
    CHECK_INT(uv_store_token_check(s, "", &project, &scopes), UV_ENOTFOUND);
    CHECK_INT(uv_store_token_check(s, NULL, &project, &scopes), UV_ENOTFOUND);

    /* only the hash is stored */
    char value[128], sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM tokens WHERE hash = '%s' OR name = '%s'", t1,
             t1);
    CHECK_INT(raw_query(s, sql, value, sizeof value), SQLITE_OK);
    CHECK_STR(value, "0");
    char hash[UV_HASH_HEX];
    uv_sha256_hex(t1, 32, hash);
    snprintf(sql, sizeof sql, "SELECT name FROM tokens WHERE hash = '%s'", hash);
    CHECK_INT(raw_query(s, sql, value, sizeof value), SQLITE_OK);
    CHECK_STR(value, "browser");

    /* bad scopes, missing project, overlong name */
    char t3[UV_TOKEN_LEN];
    CHECK_INT(uv_store_token_create(s, web, 0, NULL, t3), UV_EINVALID);
    CHECK_INT(uv_store_token_create(s, web, 16, NULL, t3), UV_EINVALID);
    CHECK_INT(uv_store_token_create(s, 999, UV_SCOPE_READ, NULL, t3), UV_ENOTFOUND);
    CHECK_CONTAINS(uv_error_last()->message, "999");
    char name[300];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    CHECK_INT(uv_store_token_create(s, web, UV_SCOPE_READ, name, t3), UV_ETOOBIG);
    CHECK_CONTAINS(uv_error_last()->message, "name");
    uv_store_close(s);
}

TEST(occurrences_group_into_items)
{
    uv_store *s = open_new("items");
    if (!s) return;
    int64_t web = 0, api = 0;
    CHECK_INT(uv_store_project_ensure(s, "web", &web), 0);
    CHECK_INT(uv_store_project_ensure(s, "api", &api), 0);

    uv_occurrence_ack a1, a2, a3, b1;
    uv_occurrence_in in = occ(web, "aaaa", "1.0", 1000);
    in.resolved_json = "{\"frames\":[]}";
    CHECK_INT(uv_store_occurrence_put(s, &in, &a1), 0);
    CHECK(!a1.duplicate && !a1.reactivated);
    CHECK(a1.id > 0 && a1.item_id > 0);
    /* a generated v7 uuid: version 7, the variant, and the current unix time in ms first */
    CHECK_INT(strlen(a1.uuid), 36);
    CHECK(a1.uuid[14] == '7');
    {
        char ms_hex[13];
        snprintf(ms_hex, sizeof ms_hex, "%.8s%.4s", a1.uuid, a1.uuid + 9);
        long long ms = strtoll(ms_hex, NULL, 16);
        long long now_ms = (long long)time(NULL) * 1000;
        CHECK(ms > now_ms - 60000 && ms <= now_ms + 1000);
    }
    CHECK(strchr("89ab", a1.uuid[19]) != NULL);
    CHECK(a1.uuid[8] == '-' && a1.uuid[13] == '-' && a1.uuid[18] == '-' && a1.uuid[23] == '-');

    in = occ(web, "aaaa", "1.1", 900);
    in.environment = "staging";
    in.level = "warning";
    in.title = "TypeError: y is undefined";
    in.uuid = "client-uuid-1";
    CHECK_INT(uv_store_occurrence_put(s, &in, &a2), 0);
    CHECK_INT(a2.item_id, a1.item_id);
    CHECK_STR(a2.uuid, "client-uuid-1");
    in = occ(web, "aaaa", NULL, 1100);
    CHECK_INT(uv_store_occurrence_put(s, &in, &a3), 0);
    CHECK_INT(a3.item_id, a1.item_id);

    in = occ(api, "aaaa", "1.0", 1000); /* same fingerprint, other project: its own item */
    in.level = NULL;
    in.environment = NULL;
    CHECK_INT(uv_store_occurrence_put(s, &in, &b1), 0);
    CHECK(b1.item_id != a1.item_id);

    uv_item item;
    CHECK_INT(uv_store_item_get(s, web, a1.item_id, &item), 0);
    CHECK_INT(item.counter, 1);
    CHECK_INT(item.project_id, web);
    CHECK_STR(item.fingerprint, "aaaa");
    CHECK_STR(item.title, "TypeError: x is undefined"); /* the latest occurrence's */
    CHECK_STR(item.level, "error");
    CHECK_INT(item.status, UV_ITEM_ACTIVE);
    CHECK_STR(item.resolved_in_version, "");
    CHECK_INT(item.total_occurrences, 3);
    CHECK_INT(item.first_seen, 900);
    CHECK_INT(item.last_seen, 1100);
    CHECK_STR(item.environments, "production,staging");
    CHECK_STR(item.last_version, "1.1"); /* an occurrence without version keeps it */

    CHECK_INT(uv_store_item_get(s, api, b1.item_id, &item), 0);
    CHECK_INT(item.counter, 1); /* per project */
    CHECK_STR(item.level, "error");
    CHECK_STR(item.environments, "");
    CHECK_INT(uv_store_item_get(s, api, a1.item_id, &item), UV_ENOTFOUND);

    /* a second item of web gets counter 2 */
    uv_occurrence_ack c1;
    in = occ(web, "bbbb", "1.0", 1200);
    CHECK_INT(uv_store_occurrence_put(s, &in, &c1), 0);
    CHECK_INT(uv_store_item_get(s, web, c1.item_id, &item), 0);
    CHECK_INT(item.counter, 2);

    /* the occurrence reads back */
    uv_occurrence o;
    CHECK_INT(uv_store_occurrence_get(s, web, a1.id, &o), 0);
    CHECK_INT(o.item_id, a1.item_id);
    CHECK_INT(o.project_id, web);
    CHECK_STR(o.uuid, a1.uuid);
    CHECK_INT(o.timestamp, 1000);
    CHECK_STR(o.version, "1.0");
    CHECK_STR(o.environment, "production");
    CHECK_STR(o.raw_json, "{\"body\":{}}");
    CHECK_STR(o.resolved_json, "{\"frames\":[]}");
    CHECK(!o.unresolved_frames);
    uv_occurrence_clear(&o);
    CHECK(o.raw_json == NULL && o.resolved_json == NULL);
    uv_occurrence_clear(&o); /* twice is fine */
    CHECK_INT(uv_store_occurrence_get(s, web, a3.id, &o), 0);
    CHECK_STR(o.version, "");
    CHECK(o.resolved_json == NULL);
    uv_occurrence_clear(&o);
    CHECK_INT(uv_store_occurrence_get(s, api, a1.id, &o), UV_ENOTFOUND);
    uv_occurrence_clear(NULL);

    /* versions first seen by occurrences */
    char value[64];
    CHECK_INT(raw_query(s,
                        "SELECT group_concat(version) FROM (SELECT version FROM versions"
                        " ORDER BY id)",
                        value, sizeof value),
              SQLITE_OK);
    CHECK_STR(value, "1.0,1.1,1.0");

    /* a missing project */
    in = occ(4242, "cccc", NULL, 0);
    uv_occurrence_ack ack;
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), UV_ENOTFOUND);
    CHECK_CONTAINS(uv_error_last()->message, "4242");
    CHECK_INT(ack.id, 0);
    uv_store_close(s);
}

TEST(duplicate_uuid)
{
    uv_store *s = open_new("dup");
    if (!s) return;
    int64_t web = 0, api = 0;
    CHECK_INT(uv_store_project_ensure(s, "web", &web), 0);
    CHECK_INT(uv_store_project_ensure(s, "api", &api), 0);
    uv_occurrence_in in = occ(web, "aaaa", "1.0", 1000);
    in.uuid = "0d5e2c52-5cd9-4c43-a2b4-1b1f4d2a0001";
    uv_occurrence_ack first, again;
    CHECK_INT(uv_store_occurrence_put(s, &in, &first), 0);
    CHECK(!first.duplicate);
    in.fingerprint = "other"; /* even with a different payload: not stored twice */
    in.timestamp = 5000;
    CHECK_INT(uv_store_occurrence_put(s, &in, &again), 0);
    CHECK(again.duplicate);
    CHECK_INT(again.id, first.id);
    CHECK_INT(again.item_id, first.item_id);
    CHECK_STR(again.uuid, in.uuid);
    uv_item item;
    CHECK_INT(uv_store_item_get(s, web, first.item_id, &item), 0);
    CHECK_INT(item.total_occurrences, 1);
    CHECK_INT(item.last_seen, 1000);
    char value[64];
    CHECK_INT(raw_query(s,
                        "SELECT count(*) || ',' || (SELECT count(*) FROM items)"
                        " FROM occurrences",
                        value, sizeof value),
              SQLITE_OK);
    CHECK_STR(value, "1,1");
    /* the same uuid in another project is another occurrence */
    in.project_id = api;
    CHECK_INT(uv_store_occurrence_put(s, &in, &again), 0);
    CHECK(!again.duplicate);
    CHECK(again.id != first.id);
    uv_store_close(s);
}

TEST(reactivation)
{
    uv_store *s = open_new("reactivate");
    if (!s) return;
    int64_t p = 0;
    CHECK_INT(uv_store_project_ensure(s, "web", &p), 0);
    uv_occurrence_ack ack;
    uv_item item;

    /* resolved without a version: any occurrence reactivates */
    uv_occurrence_in in = occ(p, "noversion", "1.0", 100);
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
    int64_t id = ack.item_id;
    CHECK_INT(uv_store_item_update(s, p, id, UV_ITEM_RESOLVED, NULL), 0);
    CHECK_INT(uv_store_item_get(s, p, id, &item), 0);
    CHECK_INT(item.status, UV_ITEM_RESOLVED);
    in = occ(p, "noversion", NULL, 101);
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
    CHECK(ack.reactivated);
    CHECK_INT(uv_store_item_get(s, p, id, &item), 0);
    CHECK_INT(item.status, UV_ITEM_ACTIVE);
    in = occ(p, "noversion", NULL, 102); /* already active: no second reactivation */
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
    CHECK(!ack.reactivated);

    /* resolved in 2.0: older (1.0) and equal (2.0) versions do not reactivate, nor an
     * occurrence without a version; a version first seen later (3.0) does */
    in = occ(p, "versioned", "1.0", 200);
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
    id = ack.item_id;
    in = occ(p, "versioned", "2.0", 201);
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
    CHECK_INT(uv_store_item_update(s, p, id, UV_ITEM_RESOLVED, "2.0"), 0);
    CHECK_INT(uv_store_item_get(s, p, id, &item), 0);
    CHECK_STR(item.resolved_in_version, "2.0");
    const char *quiet[] = {"1.0", "2.0", NULL};
    for (int i = 0; i < 3; i++) {
        in = occ(p, "versioned", quiet[i], 210 + i);
        CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
        CHECK(!ack.reactivated);
        CHECK_INT(uv_store_item_get(s, p, id, &item), 0);
        CHECK_INT(item.status, UV_ITEM_RESOLVED);
    }
    in = occ(p, "versioned", "3.0", 220);
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
    CHECK(ack.reactivated);
    CHECK_INT(uv_store_item_get(s, p, id, &item), 0);
    CHECK_INT(item.status, UV_ITEM_ACTIVE);
    CHECK_STR(item.resolved_in_version, "");
    CHECK_INT(item.total_occurrences, 6);

    /* resolved in a version nobody has seen yet: it is first seen at the resolution, so an
     * older version does not reactivate and one first seen afterwards does */
    CHECK_INT(uv_store_item_update(s, p, id, UV_ITEM_RESOLVED, "4.0"), 0);
    in = occ(p, "versioned", "3.0", 230);
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
    CHECK(!ack.reactivated);
    in = occ(p, "versioned", "4.0", 231);
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
    CHECK(!ack.reactivated);
    in = occ(p, "versioned", "4.0.1", 232);
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
    CHECK(ack.reactivated);

    /* a muted item stays muted */
    CHECK_INT(uv_store_item_update(s, p, id, UV_ITEM_MUTED, NULL), 0);
    in = occ(p, "versioned", "5.0", 240);
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
    CHECK(!ack.reactivated);
    CHECK_INT(uv_store_item_get(s, p, id, &item), 0);
    CHECK_INT(item.status, UV_ITEM_MUTED);

    /* update errors */
    CHECK_INT(uv_store_item_update(s, p, 9999, UV_ITEM_RESOLVED, NULL), UV_ENOTFOUND);
    CHECK_INT(uv_store_item_update(s, p + 1, id, UV_ITEM_RESOLVED, NULL), UV_ENOTFOUND);
    CHECK_INT(uv_store_item_update(s, p, id, (uv_item_status)7, NULL), UV_EINVALID);
    char long_version[300];
    memset(long_version, '1', sizeof long_version - 1);
    long_version[sizeof long_version - 1] = '\0';
    CHECK_INT(uv_store_item_update(s, p, id, UV_ITEM_RESOLVED, long_version), UV_ETOOBIG);
    CHECK_CONTAINS(uv_error_last()->message, "resolved_in_version");

    /* status names */
    uv_item_status st;
    CHECK_STR(uv_item_status_name(UV_ITEM_RESOLVED), "resolved");
    CHECK_STR(uv_item_status_name((uv_item_status)9), "unknown");
    CHECK_INT(uv_item_status_parse("muted", &st), 0);
    CHECK_INT(st, UV_ITEM_MUTED);
    CHECK_INT(uv_item_status_parse("Muted", &st), UV_EINVALID);
    CHECK_INT(uv_item_status_parse(NULL, &st), UV_EINVALID);
    uv_store_close(s);
}

TEST(field_limits)
{
    uv_store *s = open_new("limits");
    if (!s) return;
    int64_t p = 0;
    CHECK_INT(uv_store_project_ensure(s, "web", &p), 0);
    char big[2048];
    uv_occurrence_ack ack;
    static const struct {
        const char *field;
        size_t len; /* one more than allowed */
    } cases[] = {
        {"fingerprint", 72},      {"uuid", 64},     {"level", 16},
        {"environment", 128},     {"version", 256}, {"platform", 64},
        {"exception_class", 256}, {"source", 64},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(big, 'x', cases[i].len);
        big[cases[i].len] = '\0';
        uv_occurrence_in in = occ(p, "fp", "1.0", 100);
        const char *f = cases[i].field;
        if (!strcmp(f, "fingerprint")) in.fingerprint = big;
        if (!strcmp(f, "uuid")) in.uuid = big;
        if (!strcmp(f, "level")) in.level = big;
        if (!strcmp(f, "environment")) in.environment = big;
        if (!strcmp(f, "version")) in.version = big;
        if (!strcmp(f, "platform")) in.platform = big;
        if (!strcmp(f, "exception_class")) in.exception_class = big;
        if (!strcmp(f, "source")) in.source = big;
        CHECK_INT(uv_store_occurrence_put(s, &in, &ack), UV_ETOOBIG);
        CHECK_CONTAINS(uv_error_last()->message, f);
        /* one byte less fits */
        big[cases[i].len - 1] = '\0';
        if (!strcmp(f, "fingerprint") || !strcmp(f, "uuid")) big[0] = (char)('a' + i);
        CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
    }
    /* required fields */
    uv_occurrence_in in = occ(p, NULL, NULL, 0);
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "fingerprint");
    in = occ(p, "fp", NULL, 0);
    in.raw_json = NULL;
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "raw_json");
    in = occ(0, "fp", NULL, 0);
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), UV_EINVALID);
    in = occ(p, "fp", NULL, 0);
    in.environment = "prod,eu";
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "comma");

    /* a long title is cut at a UTF-8 boundary within 511 bytes: "é" is 2 bytes, so 300 of
     * them (600 bytes) become 255 (510 bytes), never half a character */
    char title[700] = "";
    for (int i = 0; i < 300; i++)
        strcat(title, "\xc3\xa9");
    in = occ(p, "titled", NULL, 100);
    in.title = title;
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
    uv_item item;
    CHECK_INT(uv_store_item_get(s, p, ack.item_id, &item), 0);
    CHECK_INT(strlen(item.title), 510);
    CHECK(memcmp(item.title, title, 510) == 0);
    /* ASCII is cut at exactly 511 */
    memset(title, 'T', 600);
    title[600] = '\0';
    in = occ(p, "titled", NULL, 101);
    in.title = title;
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
    CHECK_INT(uv_store_item_get(s, p, ack.item_id, &item), 0);
    CHECK_INT(strlen(item.title), 511);

    /* environments stop growing when uv_item's buffer is full, without failing */
    for (int i = 0; i < 40; i++) {
        char env[64];
        snprintf(env, sizeof env, "environment-number-%02d", i);
        in = occ(p, "many-envs", NULL, 100 + i);
        in.environment = env;
        CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
    }
    CHECK_INT(uv_store_item_get(s, p, ack.item_id, &item), 0);
    CHECK(strlen(item.environments) <= 511);
    CHECK(strncmp(item.environments, "environment-number-00,environment-number-01", 43) == 0);
    CHECK_INT(item.total_occurrences, 40);
    uv_store_close(s);
}

TEST(batch_put)
{
    uv_store *s = open_new("batch");
    if (!s) return;
    int64_t p = 0;
    CHECK_INT(uv_store_project_ensure(s, "web", &p), 0);
    uv_occurrence_in in[4] = {
        occ(p, "one", "1.0", 10),
        occ(p, "two", "1.0", 11),
        occ(p, "one", "1.1", 12),
        occ(p, "two", "1.0", 13),
    };
    in[1].uuid = "same";
    in[3].uuid = "same"; /* repeated within the batch: a duplicate of in[1] */
    uv_occurrence_ack out[4];
    CHECK_INT(uv_store_occurrence_put_batch(s, in, 4, out), 0);
    CHECK(!out[0].duplicate && !out[1].duplicate && !out[2].duplicate);
    CHECK(out[3].duplicate);
    CHECK_INT(out[3].id, out[1].id);
    CHECK_INT(out[2].item_id, out[0].item_id);
    CHECK(out[1].item_id != out[0].item_id);
    uv_item item;
    CHECK_INT(uv_store_item_get(s, p, out[0].item_id, &item), 0);
    CHECK_INT(item.total_occurrences, 2);
    CHECK_INT(uv_store_item_get(s, p, out[1].item_id, &item), 0);
    CHECK_INT(item.total_occurrences, 1);
    CHECK_INT(uv_store_occurrence_put_batch(s, in, 0, out), 0);

    /* all or nothing: an invalid third occurrence leaves no trace of the first two */
    uv_occurrence_in bad[3] = {occ(p, "three", "2.0", 20), occ(p, "one", "2.0", 21),
                               occ(p, NULL, "2.0", 22)};
    CHECK_INT(uv_store_occurrence_put_batch(s, bad, 3, out), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "occurrence 2 of 3");
    CHECK_INT(out[0].id, 0);
    char value[64];
    CHECK_INT(raw_query(s,
                        "SELECT count(*) || ',' || (SELECT count(*) FROM items) || ','"
                        " || (SELECT count(*) FROM versions) FROM occurrences",
                        value, sizeof value),
              SQLITE_OK);
    CHECK_STR(value, "3,2,2");
    CHECK_INT(uv_store_item_get(s, p, out[0].item_id, &item), UV_ENOTFOUND);

    /* inside the caller's transaction the puts join it */
    CHECK_INT(uv_store_begin(s), 0);
    CHECK_INT(uv_store_occurrence_put_batch(s, bad, 2, out), 0);
    CHECK_INT(uv_store_rollback(s), 0);
    CHECK_INT(raw_query(s, "SELECT count(*) FROM occurrences", value, sizeof value), SQLITE_OK);
    CHECK_STR(value, "3");
    uv_store_close(s);
}

typedef struct {
    int64_t ids[64];
    int64_t times[64];
    int n;
    int stop_after;
    uv_store *store;
    int nested;
} collected;

static int collect_item(const uv_item *item, void *ctx)
{
    collected *c = ctx;
    if (c->n < 64) {
        c->ids[c->n] = item->counter;
        c->times[c->n] = item->last_seen;
    }
    c->n++;
    if (c->store) { /* list again from inside the callback */
        collected inner = {.n = 0};
        if (uv_store_item_list(c->store, item->project_id, -1, 0, 1000, collect_item, &inner) == 0)
            c->nested += inner.n;
    }
    return c->stop_after && c->n >= c->stop_after ? 42 : 0;
}

static int collect_occurrence(const uv_occurrence *o, void *ctx)
{
    collected *c = ctx;
    if (c->n < 64) {
        c->ids[c->n] = o->id;
        c->times[c->n] = o->timestamp;
    }
    c->n++;
    return 0;
}

TEST(item_and_occurrence_lists)
{
    uv_store *s = open_new("lists");
    if (!s) return;
    int64_t p = 0, q = 0;
    CHECK_INT(uv_store_project_ensure(s, "web", &p), 0);
    CHECK_INT(uv_store_project_ensure(s, "api", &q), 0);
    /* items 1..5 last seen at 500, 100, 400, 200, 300 */
    static const int64_t seen[] = {500, 100, 400, 200, 300};
    int64_t item_ids[5];
    for (int i = 0; i < 5; i++) {
        char fp[16];
        snprintf(fp, sizeof fp, "fp%d", i);
        uv_occurrence_in in = occ(p, fp, NULL, seen[i]);
        uv_occurrence_ack ack;
        CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
        item_ids[i] = ack.item_id;
    }
    uv_occurrence_in other = occ(q, "fp0", NULL, 999);
    uv_occurrence_ack ack;
    CHECK_INT(uv_store_occurrence_put(s, &other, &ack), 0);

    collected c = {.n = 0};
    CHECK_INT(uv_store_item_list(s, p, -1, 0, 1000, collect_item, &c), 0);
    CHECK_INT(c.n, 5);
    static const int64_t by_recency[] = {1, 3, 5, 4, 2};
    for (int i = 0; i < 5 && i < c.n; i++)
        CHECK_INT(c.ids[i], by_recency[i]);
    /* pages of 2 */
    memset(&c, 0, sizeof c);
    CHECK_INT(uv_store_item_list(s, p, -1, 2, 2, collect_item, &c), 0);
    CHECK_INT(c.n, 2);
    CHECK_INT(c.ids[0], 5);
    CHECK_INT(c.ids[1], 4);
    memset(&c, 0, sizeof c);
    CHECK_INT(uv_store_item_list(s, p, -1, 4, 2, collect_item, &c), 0);
    CHECK_INT(c.n, 1);
    memset(&c, 0, sizeof c);
    CHECK_INT(uv_store_item_list(s, p, -1, 10, 2, collect_item, &c), 0);
    CHECK_INT(c.n, 0);
    /* by status */
    CHECK_INT(uv_store_item_update(s, p, item_ids[2], UV_ITEM_RESOLVED, NULL), 0);
    CHECK_INT(uv_store_item_update(s, p, item_ids[4], UV_ITEM_RESOLVED, NULL), 0);
    memset(&c, 0, sizeof c);
    CHECK_INT(uv_store_item_list(s, p, UV_ITEM_RESOLVED, 0, 10, collect_item, &c), 0);
    CHECK_INT(c.n, 2);
    CHECK_INT(c.ids[0], 3);
    CHECK_INT(c.ids[1], 5);
    memset(&c, 0, sizeof c);
    CHECK_INT(uv_store_item_list(s, p, UV_ITEM_ACTIVE, 0, 10, collect_item, &c), 0);
    CHECK_INT(c.n, 3);
    memset(&c, 0, sizeof c);
    CHECK_INT(uv_store_item_list(s, p, UV_ITEM_MUTED, 0, 10, collect_item, &c), 0);
    CHECK_INT(c.n, 0);
    /* stop early, nested listing, bad arguments */
    memset(&c, 0, sizeof c);
    c.stop_after = 2;
    CHECK_INT(uv_store_item_list(s, p, -1, 0, 10, collect_item, &c), 42);
    CHECK_INT(c.n, 2);
    memset(&c, 0, sizeof c);
    c.store = s;
    CHECK_INT(uv_store_item_list(s, p, -1, 0, 10, collect_item, &c), 0);
    CHECK_INT(c.n, 5);
    CHECK_INT(c.nested, 25);
    CHECK_INT(uv_store_item_list(s, p, -1, 0, 0, collect_item, &c), UV_EINVALID);
    CHECK_INT(uv_store_item_list(s, p, -1, 0, 1001, collect_item, &c), UV_EINVALID);
    CHECK_INT(uv_store_item_list(s, p, 3, 0, 10, collect_item, &c), UV_EINVALID);

    /* occurrences of one item, newest first, paged */
    static const int64_t times[] = {30, 10, 50, 20, 40};
    int64_t item = 0;
    for (int i = 0; i < 5; i++) {
        uv_occurrence_in in = occ(p, "many", "1.0", times[i]);
        CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
        item = ack.item_id;
    }
    memset(&c, 0, sizeof c);
    CHECK_INT(uv_store_occurrence_list(s, p, item, 0, 100, collect_occurrence, &c), 0);
    CHECK_INT(c.n, 5);
    static const int64_t newest[] = {50, 40, 30, 20, 10};
    for (int i = 0; i < 5 && i < c.n; i++)
        CHECK_INT(c.times[i], newest[i]);
    memset(&c, 0, sizeof c);
    CHECK_INT(uv_store_occurrence_list(s, p, item, 3, 100, collect_occurrence, &c), 0);
    CHECK_INT(c.n, 2);
    CHECK_INT(c.times[0], 20);
    memset(&c, 0, sizeof c);
    CHECK_INT(uv_store_occurrence_list(s, q, item, 0, 100, collect_occurrence, &c), 0);
    CHECK_INT(c.n, 0); /* another project's item */
    CHECK_INT(uv_store_occurrence_list(s, p, item, 0, 0, collect_occurrence, &c), UV_EINVALID);
    uv_store_close(s);
}

typedef struct {
    uv_store *store;
    int n;
    int bad;
    const char *version;
} reprocess;

/* Stores the resolved form from inside the iteration, as background reprocessing does. */
static int resolve_one(const uv_occurrence *o, void *ctx)
{
    reprocess *r = ctx;
    r->n++;
    if (!o->unresolved_frames || !o->raw_json) r->bad++;
    if (r->version && strcmp(o->version, r->version) != 0) r->bad++;
    if (uv_store_occurrence_set_resolved(r->store, o->id, "{\"resolved\":true}", false) != 0)
        r->bad++;
    return 0;
}

TEST(unresolved_reprocessing)
{
    uv_store *s = open_new("unresolved");
    if (!s) return;
    int64_t p = 0;
    CHECK_INT(uv_store_project_ensure(s, "web", &p), 0);
    /* 300 unresolved of 2.0 (more than one chunk), 5 of 1.0, 5 resolved of 2.0 */
    enum { N = 310 };
    uv_occurrence_in *in = calloc(N, sizeof *in);
    uv_occurrence_ack *out = calloc(N, sizeof *out);
    if (!in || !out) {
        CHECK(0);
        free(in);
        free(out);
        uv_store_close(s);
        return;
    }
    for (int i = 0; i < N; i++) {
        in[i] = occ(p, i % 2 ? "x" : "y", i < 300 ? "2.0" : "1.0", 100 + i);
        in[i].unresolved_frames = i < 305;
        if (i >= 305) in[i].version = "2.0";
    }
    CHECK_INT(uv_store_occurrence_put_batch(s, in, N, out), 0);
    reprocess r = {.store = s, .version = "1.0"};
    CHECK_INT(uv_store_occurrence_each_unresolved(s, p, "1.0", resolve_one, &r), 0);
    CHECK_INT(r.n, 5);
    CHECK_INT(r.bad, 0);
    r = (reprocess){.store = s, .version = "2.0"};
    CHECK_INT(uv_store_occurrence_each_unresolved(s, p, "2.0", resolve_one, &r), 0);
    CHECK_INT(r.n, 300);
    CHECK_INT(r.bad, 0);
    r = (reprocess){.store = s};
    CHECK_INT(uv_store_occurrence_each_unresolved(s, p, NULL, resolve_one, &r), 0);
    CHECK_INT(r.n, 0); /* all resolved now */
    uv_occurrence o;
    CHECK_INT(uv_store_occurrence_get(s, p, out[0].id, &o), 0);
    CHECK_STR(o.resolved_json, "{\"resolved\":true}");
    CHECK(!o.unresolved_frames);
    uv_occurrence_clear(&o);
    /* set_resolved back to unresolved, then NULL version iterates every version */
    CHECK_INT(uv_store_occurrence_set_resolved(s, out[0].id, NULL, true), 0);
    CHECK_INT(uv_store_occurrence_set_resolved(s, out[301].id, NULL, true), 0);
    r = (reprocess){.store = s};
    CHECK_INT(uv_store_occurrence_each_unresolved(s, p, NULL, resolve_one, &r), 0);
    CHECK_INT(r.n, 2);
    CHECK_INT(r.bad, 0);
    CHECK_INT(uv_store_occurrence_set_resolved(s, 123456, "{}", false), UV_ENOTFOUND);
    free(in);
    free(out);
    uv_store_close(s);
}

static int collect_deploy(const uv_deploy *d, void *ctx)
{
    collected *c = ctx;
    if (c->n < 64) {
        c->ids[c->n] = d->id;
        c->times[c->n] = d->start_time;
    }
    c->n++;
    return 0;
}

TEST(deploys)
{
    uv_store *s = open_new("deploys");
    if (!s) return;
    int64_t p = 0, q = 0;
    CHECK_INT(uv_store_project_ensure(s, "web", &p), 0);
    CHECK_INT(uv_store_project_ensure(s, "api", &q), 0);
    uv_deploy d = {.project_id = p};
    strcpy(d.environment, "production");
    strcpy(d.revision, "abc123");
    strcpy(d.local_username, "ci");
    CHECK_INT(uv_store_deploy_create(s, &d), 0);
    CHECK(d.id > 0);
    CHECK_STR(d.status, "started");
    CHECK(d.start_time > 0);
    uv_deploy got;
    CHECK_INT(uv_store_deploy_get(s, p, d.id, &got), 0);
    CHECK_STR(got.environment, "production");
    CHECK_STR(got.revision, "abc123");
    CHECK_STR(got.status, "started");
    CHECK_STR(got.local_username, "ci");
    CHECK_STR(got.comment, "");
    CHECK_INT(got.finish_time, 0);
    CHECK_INT(uv_store_deploy_get(s, q, d.id, &got), UV_ENOTFOUND);

    CHECK_INT(uv_store_deploy_set_status(s, p, d.id, "succeeded", "all good"), 0);
    CHECK_INT(uv_store_deploy_get(s, p, d.id, &got), 0);
    CHECK_STR(got.status, "succeeded");
    CHECK_STR(got.comment, "all good");
    CHECK(got.finish_time > 0);
    /* 409: no longer started */
    CHECK_INT(uv_store_deploy_set_status(s, p, d.id, "failed", NULL), UV_EEXISTS);
    char expected[64];
    snprintf(expected, sizeof expected, "deploy %lld is already succeeded", (long long)d.id);
    CHECK_CONTAINS(uv_error_last()->message, expected);
    CHECK_INT(uv_store_deploy_get(s, p, d.id, &got), 0);
    CHECK_STR(got.status, "succeeded");
    CHECK_INT(uv_store_deploy_set_status(s, p, 9999, "failed", NULL), UV_ENOTFOUND);
    CHECK_INT(uv_store_deploy_set_status(s, q, d.id, "failed", NULL), UV_ENOTFOUND);
    CHECK_INT(uv_store_deploy_set_status(s, p, d.id, "done", NULL), UV_EINVALID);
    CHECK_INT(uv_store_deploy_set_status(s, p, d.id, "started", NULL), UV_EINVALID);

    /* comment NULL keeps it; a comment too long is refused */
    uv_deploy e = {.project_id = p, .start_time = 50};
    strcpy(e.environment, "staging");
    strcpy(e.revision, "def");
    strcpy(e.comment, "first");
    CHECK_INT(uv_store_deploy_create(s, &e), 0);
    char long_comment[1100];
    memset(long_comment, 'c', sizeof long_comment - 1);
    long_comment[sizeof long_comment - 1] = '\0';
    CHECK_INT(uv_store_deploy_set_status(s, p, e.id, "failed", long_comment), UV_ETOOBIG);
    CHECK_CONTAINS(uv_error_last()->message, "comment");
    CHECK_INT(uv_store_deploy_set_status(s, p, e.id, "timed_out", NULL), 0);
    CHECK_INT(uv_store_deploy_get(s, p, e.id, &got), 0);
    CHECK_STR(got.comment, "first");
    CHECK_STR(got.status, "timed_out");

    /* created finished */
    uv_deploy f = {.project_id = p, .start_time = 60};
    strcpy(f.environment, "staging");
    strcpy(f.revision, "ghi");
    strcpy(f.status, "failed");
    CHECK_INT(uv_store_deploy_create(s, &f), 0);
    CHECK(f.finish_time > 0);
    CHECK_INT(uv_store_deploy_set_status(s, p, f.id, "succeeded", NULL), UV_EEXISTS);

    /* bad creates */
    uv_deploy bad = {.project_id = p};
    strcpy(bad.revision, "x");
    CHECK_INT(uv_store_deploy_create(s, &bad), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "environment");
    strcpy(bad.environment, "prod");
    strcpy(bad.status, "finished");
    CHECK_INT(uv_store_deploy_create(s, &bad), UV_EINVALID);
    bad.status[0] = '\0';
    memset(bad.revision, 'r', sizeof bad.revision); /* no NUL */
    CHECK_INT(uv_store_deploy_create(s, &bad), UV_ETOOBIG);
    CHECK_CONTAINS(uv_error_last()->message, "revision");
    strcpy(bad.revision, "x");
    bad.project_id = 777;
    CHECK_INT(uv_store_deploy_create(s, &bad), UV_ENOTFOUND);

    /* 25 more in api: pages of 20, newest first */
    for (int i = 0; i < 25; i++) {
        uv_deploy g = {.project_id = q, .start_time = 1000 + (i * 7) % 25};
        strcpy(g.environment, "production");
        snprintf(g.revision, sizeof g.revision, "rev%d", i);
        CHECK_INT(uv_store_deploy_create(s, &g), 0);
    }
    collected c = {.n = 0};
    CHECK_INT(uv_store_deploy_list(s, q, 1, collect_deploy, &c), 0);
    CHECK_INT(c.n, 20);
    for (int i = 0; i < 20 && i < c.n; i++)
        CHECK_INT(c.times[i], 1024 - i);
    memset(&c, 0, sizeof c);
    CHECK_INT(uv_store_deploy_list(s, q, 2, collect_deploy, &c), 0);
    CHECK_INT(c.n, 5);
    CHECK_INT(c.times[0], 1004);
    CHECK_INT(c.times[4], 1000);
    memset(&c, 0, sizeof c);
    CHECK_INT(uv_store_deploy_list(s, q, 3, collect_deploy, &c), 0);
    CHECK_INT(c.n, 0);
    CHECK_INT(uv_store_deploy_list(s, q, 0, collect_deploy, &c), UV_EINVALID);
    memset(&c, 0, sizeof c);
    CHECK_INT(uv_store_deploy_list(s, p, 1, collect_deploy, &c), 0);
    CHECK_INT(c.n, 3);
    CHECK_INT(c.ids[0], d.id); /* started now, the newest */
    CHECK_INT(c.ids[1], f.id);
    CHECK_INT(c.ids[2], e.id);
    uv_store_close(s);
}

static int collect_version(const char *version, int64_t first_seen, void *ctx)
{
    char *out = ctx;
    (void)first_seen;
    size_t used = strlen(out);
    snprintf(out + used, 256 - used, "%s%s", used ? "," : "", version);
    return 0;
}

static int collect_project(int64_t id, const char *name, void *ctx)
{
    char *out = ctx;
    (void)id;
    if (*out) strcat(out, ",");
    strcat(out, name);
    return 0;
}

/* The change generation: bumped after commits that change artifacts or settings (seen by
 * another handle at once), not by other writes, not by rolled-back changes. */
TEST(batch_memo)
{
    /* One group, one item seen again and again (the rows after the first take the item and
     * version from the group's memo): counts, environments and Rollbar's reactivation rule hold
     * as if each row were stored alone. */
    uv_store *s = open_new("memo");
    if (!s) return;
    int64_t p = 0;
    CHECK_INT(uv_store_project_ensure(s, "web", &p), 0);
    uv_occurrence_in first[2] = {occ(p, "one", "1.0", 10), occ(p, "one", "1.1", 12)};
    uv_occurrence_ack out[2];
    CHECK_INT(uv_store_occurrence_put_batch(s, first, 2, out), 0);
    CHECK_INT(uv_store_item_update(s, p, out[0].item_id, UV_ITEM_RESOLVED, "1.1"), 0);
    uv_occurrence_in again[5] = {
        occ(p, "one", "1.1", 30), occ(p, "one", "1.0", 31),  occ(p, "one", "1.2", 32),
        occ(p, "one", "1.2", 33), occ(p, "four", "1.2", 34),
    };
    again[1].environment = "staging";
    again[3].environment = "qa";
    uv_occurrence_ack acks[5];
    CHECK_INT(uv_store_occurrence_put_batch(s, again, 5, acks), 0);
    CHECK(!acks[0].reactivated && !acks[1].reactivated); /* not later than 1.1 */
    CHECK(acks[2].reactivated);                          /* 1.2 was first seen after 1.1 */
    CHECK(!acks[3].reactivated);                         /* already active again */
    CHECK_INT(acks[3].item_id, out[0].item_id);
    CHECK(acks[4].item_id != out[0].item_id);
    uv_item item;
    CHECK_INT(uv_store_item_get(s, p, out[0].item_id, &item), 0);
    CHECK_INT(item.total_occurrences, 6);
    CHECK_INT(item.status, UV_ITEM_ACTIVE);
    CHECK_STR(item.resolved_in_version, "");
    CHECK_STR(item.environments, "production,staging,qa");
    CHECK_INT(item.last_seen, 33);

    uv_store_close(s);
}

TEST(generation)
{
    uv_store *s = open_new("generation");
    if (!s) return;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/generation", root);
    uv_store *other = NULL;
    CHECK_INT(uv_store_open(&other, dir, UV_STORE_READONLY), 0);
    if (!other) {
        uv_store_close(s);
        return;
    }
    uint64_t g0 = 0, g = 0, seen = 0;
    CHECK(uv_store_generation(s, &g0));
    int64_t p = 0;
    CHECK_INT(uv_store_project_ensure(s, "web", &p), 0);
    uv_occurrence_in in = occ(p, "f", "1.0", 5);
    uv_occurrence_ack ack;
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
    CHECK(uv_store_generation(s, &g) && g == g0); /* occurrences are not cached state */
    char hex[UV_HASH_HEX];
    CHECK_INT(uv_store_blob_put(s, "x", 1, hex), 0);
    CHECK_INT(uv_store_artifact_put(s, p, "1.0", "source", "~/a.js", hex, 1, NULL, NULL), 0);
    CHECK(uv_store_generation(s, &g) && g == g0 + 1);
    CHECK(uv_store_generation(other, &seen) && seen == g);
    CHECK_INT(uv_store_project_settings_set(s, p, "{\"ip\":\"drop\"}"), 0);
    CHECK(uv_store_generation(other, &seen) && seen == g0 + 2);
    CHECK_INT(uv_store_begin(s), 0);
    CHECK_INT(uv_store_artifact_put(s, p, "1.0", "source", "~/b.js", hex, 1, NULL, NULL), 0);
    CHECK(uv_store_generation(s, &g) && g == g0 + 2); /* not before the commit */
    CHECK_INT(uv_store_rollback(s), 0);
    CHECK(uv_store_generation(s, &g) && g == g0 + 2);
    CHECK_INT(uv_store_artifact_delete(s, p, "1.0", "source", "~/a.js"), 0);
    CHECK(uv_store_generation(other, &seen) && seen == g0 + 3);
    uv_store_close(other);
    uv_store_close(s);
}

TEST(versions_projects_settings)
{
    uv_store *s = open_new("projects");
    if (!s) return;
    int64_t p = 0, q = 0;
    CHECK_INT(uv_store_project_ensure(s, "web-app", &p), 0);
    CHECK_INT(uv_store_project_ensure(s, "api", &q), 0);
    /* first seen by an upload, then by occurrences; an old occurrence timestamp does not
     * make a new version old: first seen is when the store saw it */
    char hex[UV_HASH_HEX];
    CHECK_INT(uv_store_blob_put(s, "x", 1, hex), 0);
    CHECK_INT(uv_store_artifact_put(s, p, "1.0", "source", "~/a.js", hex, 1, NULL, NULL), 0);
    uv_occurrence_in in = occ(p, "f", "1.1", 5);
    uv_occurrence_ack ack;
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
    in = occ(p, "f", "1.2", 4);
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
    in = occ(p, "f", "1.1", 6);
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
    char list[256] = "";
    CHECK_INT(uv_store_version_list(s, p, collect_version, list), 0);
    CHECK_STR(list, "1.2,1.1,1.0");
    list[0] = '\0';
    CHECK_INT(uv_store_version_list(s, q, collect_version, list), 0);
    CHECK_STR(list, "");

    char name[65];
    CHECK_INT(uv_store_project_name(s, p, name, sizeof name), 0);
    CHECK_STR(name, "web-app");
    CHECK_INT(uv_store_project_name(s, p, name, 4), UV_ETOOBIG);
    CHECK_INT(uv_store_project_name(s, 999, name, sizeof name), UV_ENOTFOUND);
    char projects[256] = "";
    CHECK_INT(uv_store_project_each(s, collect_project, projects), 0);
    CHECK_STR(projects, "web-app,api");

    char settings[256];
    CHECK_INT(uv_store_project_settings_get(s, p, settings, sizeof settings), 0);
    CHECK_STR(settings, "{}");
    CHECK_INT(
        uv_store_project_settings_set(s, p, "{\"scrub_fields\":[\"ssn\"],\"store_ip\":false}"), 0);
    CHECK_INT(uv_store_project_settings_get(s, p, settings, sizeof settings), 0);
    CHECK_STR(settings, "{\"scrub_fields\":[\"ssn\"],\"store_ip\":false}");
    CHECK_INT(uv_store_project_settings_get(s, p, settings, 8), UV_ETOOBIG);
    CHECK_INT(uv_store_project_settings_get(s, q, settings, sizeof settings), 0);
    CHECK_STR(settings, "{}");
    CHECK_INT(uv_store_project_settings_set(s, p, "[1,2]"), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "not a JSON object");
    CHECK_INT(uv_store_project_settings_set(s, p, "{\"a\":"), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "offset");
    CHECK_INT(uv_store_project_settings_set(s, p, ""), UV_EINVALID);
    /* at most 65535 bytes: with its NUL it fits a 64 KiB buffer */
    char *huge = malloc(65537);
    if (huge) {
        memset(huge, ' ', 65536);
        huge[0] = '{';
        huge[65534] = '}';
        huge[65535] = '\0';
        CHECK_INT(uv_store_project_settings_set(s, q, huge), 0);
        huge[65535] = ' ';
        huge[65536] = '\0';
        CHECK_INT(uv_store_project_settings_set(s, q, huge), UV_ETOOBIG);
        CHECK_CONTAINS(uv_error_last()->message, "settings");
        free(huge);
    }
    CHECK_INT(uv_store_project_settings_set(s, 999, "{}"), UV_ENOTFOUND);
    CHECK_INT(uv_store_project_settings_get(s, 999, settings, sizeof settings), UV_ENOTFOUND);
    /* unchanged by the failures */
    CHECK_INT(uv_store_project_settings_get(s, p, settings, sizeof settings), 0);
    CHECK_STR(settings, "{\"scrub_fields\":[\"ssn\"],\"store_ip\":false}");
    uv_store_close(s);
}

TEST(read_only)
{
    uv_store *s = open_new("readonly");
    if (!s) return;
    int64_t p = 0;
    CHECK_INT(uv_store_project_ensure(s, "web", &p), 0);
    uv_occurrence_in in = occ(p, "f", "1.0", 5);
    uv_occurrence_ack ack;
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
    int64_t item_id = ack.item_id;
    char token[UV_TOKEN_LEN];
    CHECK_INT(uv_store_token_create(s, p, UV_SCOPE_READ, "r", token), 0);
    char dir[600];
    snprintf(dir, sizeof dir, "%s", uv_store_dir(s));
    uv_store_close(s);
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_READONLY), 0);
    if (!s) return;
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "read-only");
    CHECK_INT(ack.id, 0);
    CHECK_INT(uv_store_occurrence_put_batch(s, &in, 1, &ack), UV_EINVALID);
    char t2[UV_TOKEN_LEN];
    CHECK_INT(uv_store_token_create(s, p, UV_SCOPE_READ, NULL, t2), UV_EINVALID);
    CHECK_INT(uv_store_project_settings_set(s, p, "{}"), UV_EINVALID);
    /* reads work */
    int64_t project = 0;
    unsigned scopes = 0;
    CHECK_INT(uv_store_token_check(s, token, &project, &scopes), 0);
    CHECK_INT(project, p);
    uv_item item;
    CHECK_INT(uv_store_item_get(s, p, item_id, &item), 0);
    CHECK_INT(item.total_occurrences, 1);
    uv_store_close(s);
}

TEST(migrate_from_v1)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/v1store", root);
    uv_store *s = NULL;
    CHECK_INT(uv_store__open_schema(&s, dir, UV_STORE_CREATE, 1), 0);
    if (!s) return;
    CHECK_INT(uv_store_schema_version(s), 1);
    int64_t p = 0;
    CHECK_INT(uv_store_project_ensure(s, "web", &p), 0);
    char hex[UV_HASH_HEX];
    CHECK_INT(uv_store_blob_put(s, "js", 2, hex), 0);
    CHECK_INT(uv_store_artifact_put(s, p, "0.9", "minified", "~/app.js", hex, 2, NULL, NULL), 0);
    char value[64];
    CHECK_INT(raw_query(s,
                        "SELECT count(*) FROM sqlite_master WHERE name IN ('tokens','items',"
                        "'occurrences','deploys')",
                        value, sizeof value),
              SQLITE_OK);
    CHECK_STR(value, "0");
    uv_store_close(s);
    CHECK_INT(uv_store__open_schema(&s, dir, 0, 0), UV_EINVALID);

    /* a read-only open cannot migrate; a read-write one does, keeping the v1 data */
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_READONLY), UV_EUNSUPPORTED);
    CHECK_INT(uv_store_open(&s, dir, 0), 0);
    if (!s) return;
    CHECK_INT(uv_store_schema_version(s), 3);
    CHECK_INT(raw_query(s, "PRAGMA user_version", value, sizeof value), SQLITE_OK);
    CHECK_STR(value, "3");
    CHECK_INT(raw_query(s,
                        "SELECT count(*) FROM sqlite_master WHERE name IN ('tokens','items',"
                        "'occurrences','deploys','items_recent','occurrences_item',"
                        "'deploys_recent','versions_first_seen')",
                        value, sizeof value),
              SQLITE_OK);
    CHECK_STR(value, "8");
    uv_artifact art;
    CHECK_INT(uv_store_artifact_get(s, p, "0.9", "minified", "~/app.js", &art), 0);
    char settings[64];
    CHECK_INT(uv_store_project_settings_get(s, p, settings, sizeof settings), 0);
    CHECK_STR(settings, "{}");
    /* v3: the artifact counter starts at 0 for migrated projects and moves with every
     * artifact change, whoever makes it */
    int64_t changed = -1, changed2 = -1;
    CHECK_INT(uv_store_project_state(s, p, &changed, settings, sizeof settings), 0);
    CHECK_INT(changed, 0);
    CHECK_STR(settings, "{}");
    CHECK_INT(uv_store_artifact_put(s, p, "0.9", "minified", "~/other.js", art.blob, art.size, NULL,
                                    NULL),
              0);
    CHECK_INT(uv_store_project_state(s, p, &changed, settings, sizeof settings), 0);
    CHECK_INT(changed, 1);
    CHECK_INT(uv_store_artifact_put(s, p, "0.9", "minified", "~/other.js", art.blob, art.size, NULL,
                                    NULL),
              0);
    CHECK_INT(uv_store_project_state(s, p, &changed2, settings, sizeof settings), 0);
    CHECK_INT(changed2, 2);
    CHECK_INT(uv_store_artifact_delete(s, p, "0.9", "minified", "~/other.js"), 0);
    CHECK_INT(uv_store_project_state(s, p, &changed, settings, sizeof settings), 0);
    CHECK_INT(changed, 3);
    CHECK_INT(uv_store_project_state(s, p + 1000, &changed, settings, sizeof settings),
              UV_ENOTFOUND);
    uv_occurrence_in in = occ(p, "f", "1.0", 5);
    uv_occurrence_ack ack;
    CHECK_INT(uv_store_occurrence_put(s, &in, &ack), 0);
    char list[256] = "";
    CHECK_INT(uv_store_version_list(s, p, collect_version, list), 0);
    CHECK_STR(list, "1.0,0.9");
    uv_store_close(s);
    /* and reopening does nothing more */
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_READONLY), 0);
    CHECK_INT(uv_store_schema_version(s), 3);
    uv_store_close(s);
}

enum { CRASH_N = 50 };
static int64_t crash_project;

/* In the child: CRASH_N occurrences in one batch. */
static int crash_child(void *dir)
{
    uv_store *child = NULL;
    if (uv_store_open(&child, dir, 0) != 0) return 3;
    uv_occurrence_in in[CRASH_N];
    uv_occurrence_ack out[CRASH_N];
    char uuids[CRASH_N][40];
    for (int i = 0; i < CRASH_N; i++) {
        in[i] = occ(crash_project, i % 3 ? "a" : "b", "1.0", 100 + i);
        snprintf(uuids[i], sizeof uuids[i], "crash-%d", i);
        in[i].uuid = uuids[i];
    }
    return uv_store_occurrence_put_batch(child, in, CRASH_N, out) != 0 ? 4 : 0;
}

TEST(crash_durability)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/crash", root);
    uv_store *s = NULL;
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_CREATE), 0);
    if (!s) return;
    int64_t p = 0;
    CHECK_INT(uv_store_project_ensure(s, "web", &p), 0);
    uv_store_close(s);

    crash_project = p;
    CHECK(run_then_sigkill(crash_child, dir));

    CHECK_INT(uv_store_open(&s, dir, 0), 0);
    if (!s) return;
    collected c = {.n = 0};
    CHECK_INT(uv_store_item_list(s, p, -1, 0, 10, collect_item, &c), 0);
    CHECK_INT(c.n, 2);
    int64_t total = 0;
    for (int64_t id = 1; id <= 2; id++) {
        uv_item item;
        if (uv_store_item_get(s, p, id, &item) == 0) total += item.total_occurrences;
    }
    CHECK_INT(total, CRASH_N);
    char value[64];
    CHECK_INT(raw_query(s, "SELECT count(*) FROM occurrences WHERE uuid LIKE 'crash-%'", value,
                        sizeof value),
              SQLITE_OK);
    CHECK_STR(value, "50");
    /* and their uuids are known: a retry is a duplicate */
    uv_occurrence_in retry = occ(p, "a", "1.0", 100);
    retry.uuid = "crash-7";
    uv_occurrence_ack ack;
    CHECK_INT(uv_store_occurrence_put(s, &retry, &ack), 0);
    CHECK(ack.duplicate);
    uv_store_close(s);
}

int main(void)
{
    temp_dir(root, sizeof root);
    RUN(scopes);
    RUN(generation);
    RUN(batch_memo);
    RUN(tokens);
    RUN(occurrences_group_into_items);
    RUN(duplicate_uuid);
    RUN(reactivation);
    RUN(field_limits);
    RUN(batch_put);
    RUN(item_and_occurrence_lists);
    RUN(unresolved_reprocessing);
    RUN(deploys);
    RUN(versions_projects_settings);
    RUN(read_only);
    RUN(migrate_from_v1);
    RUN(crash_durability);
    remove_tree(root);
    TEST_MAIN_END();
}
