/* formats/jsonw: byte-identical to json_dumps(JSON_COMPACT) on every kind of value, escapes,
 * UTF-8, reals, empty and nested containers, member order; faster than jansson (printed). */
#include "formats/error.h"
#include "formats/jsonw.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void same_as_jansson(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    CHECK(v != NULL);
    if (!v) return;
    char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    uv_buf got = UV_BUF_INIT;
    CHECK_INT(uv_json_write(&got, v), 0);
    CHECK_INT((int)got.len, (int)strlen(want));
    if (got.len != strlen(want) || memcmp(got.data, want, got.len) != 0) {
        printf("  want %s\n  got  %.*s\n", want, (int)got.len, (const char *)got.data);
        CHECK(!"uv_json_write differs from json_dumps");
    }
    free(want);
    uv_buf_free(&got);
    json_decref(v);
}

TEST(matches_jansson)
{
    same_as_jansson("{}");
    same_as_jansson("[]");
    same_as_jansson("null");
    same_as_jansson("[true,false,null,0,-1,9223372036854775807,-9223372036854775808]");
    same_as_jansson("[1.5,-0.25,1e300,2.0,100.0,1e-7,3.141592653589793,0.1]");
    same_as_jansson("\"tab\\there \\\"quoted\\\" back\\\\slash \\/ \\b\\f\\n\\r \\u0001\\u001f\"");
    same_as_jansson("\"caf\\u00e9 \\u4e2d\\u6587 \\ud83d\\ude00 \\u2028\"");
    same_as_jansson("\"nul \\u0000 inside\"");
    same_as_jansson("{\"z\":1,\"a\":{\"m\":[1,{\"k\":\"v\"},[]],\"b\":{}},\"\\n\":\"key escape\"}");
    same_as_jansson("{\"data\":{\"body\":{\"trace\":{\"frames\":[{\"filename\":\"https://x/a.js\","
                    "\"lineno\":1,\"colno\":48213,\"method\":\"r\"}]}}}}");
}

TEST(depth_limit)
{
    json_t *root = json_array(), *cur = root;
    for (int i = 0; i < UV_JSONW_MAX_DEPTH + 5; i++) {
        json_t *next = json_array();
        json_array_append_new(cur, next);
        cur = next;
    }
    uv_buf out = UV_BUF_INIT;
    CHECK_INT(uv_json_write(&out, root), UV_ETOOBIG);
    uv_buf_free(&out);
    json_decref(root);
    CHECK_INT(uv_json_write(&out, NULL), UV_EINVALID);
}

TEST(faster_than_jansson)
{
    /* a payload shaped like a stored occurrence: 20 frames with resolved objects */
    json_t *frames = json_array();
    for (int i = 0; i < 20; i++)
        json_array_append_new(
            frames, json_pack("{s:s,s:i,s:i,s:s,s:{s:s,s:s,s:s,s:i,s:i,s:b,s:s}}", "filename",
                              "https://bench.example/static/lodash.min.js", "lineno", 9, "colno",
                              4010 + i, "method", "f0", "resolved", "status", "symbolicated",
                              "function", "setToPairs", "source", "lodash.js", "line", 1283,
                              "column", 5, "approximate", 0, "sourcemap", "~/static/x.js"));
    json_t *root = json_pack("{s:{s:s,s:{s:{s:o}}}}", "data", "environment", "bench", "body",
                             "trace", "frames", frames);
    enum { N = 2000 };
    clock_t t0 = clock();
    size_t total = 0;
    for (int i = 0; i < N; i++) {
        char *s = json_dumps(root, JSON_COMPACT);
        total += strlen(s);
        free(s);
    }
    clock_t t1 = clock();
    for (int i = 0; i < N; i++) {
        uv_buf out = UV_BUF_INIT;
        uv_json_write(&out, root);
        total -= out.len;
        uv_buf_free(&out);
    }
    clock_t t2 = clock();
    CHECK(total == 0);
    printf("  %d documents: json_dumps %.1f ms, uv_json_write %.1f ms\n", N,
           (double)(t1 - t0) * 1000 / CLOCKS_PER_SEC, (double)(t2 - t1) * 1000 / CLOCKS_PER_SEC);
    json_decref(root);
}

int main(void)
{
    RUN(matches_jansson);
    RUN(depth_limit);
    RUN(faster_than_jansson);
    TEST_MAIN_END();
}
