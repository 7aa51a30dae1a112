/* symbolicate/report: the stored resolution (what the service writes per occurrence) merged
 * back into the stored payload must give the same document as the report of the same
 * results, for payloads written any way (whitespace, empty frame objects, several traces),
 * and damaged resolutions must still merge into valid JSON or fail cleanly. */
#include "formats/trace.h"
#include "symbolicate/report.h"
#include "test.h"

#include <jansson.h>
#include <stdlib.h>

static const char payload[] =
    "{ \"data\" : {\"code_version\":\"1.0\", \"body\": {\"trace_chain\": [\n"
    "  {\"exception\": {\"class\": \"TypeError\", \"message\": \"x\"},\n"
    "   \"frames\": [ {\"filename\": \"https://a.example/app.min.js\", \"lineno\": 1, "
    "\"colno\": 10}, {} ,\n"
    "     {\"filename\":\"https://a.example/app.min.js\",\"lineno\":1,\"colno\":99,"
    "\"method\":\"q\"} ]},\n"
    "  {\"exception\": {\"class\": \"Error\"}, \"frames\": [{\"filename\": \"b.js\", "
    "\"lineno\": 3}]}\n"
    "]}}}  \n";

/* Frames of the payload above: symbolicated (with non-ASCII and a NULL function), missing a
 * map (with detail), one with source context (kept as an object), an approximate one. */
static void fill(uv_resolved_frame *a, uv_resolved_frame *b)
{
    static const char *pre[] = {"const a = 1;"};
    static const char *post[] = {"}", "// é"};
    memset(a, 0, 3 * sizeof *a);
    memset(b, 0, sizeof *b);
    a[0] = (uv_resolved_frame){.status = UV_FRAME_SYMBOLICATED,
                               .function = "créer",
                               .function_origin = UV_NAME_ORIGINAL_SCOPE,
                               .source = "src/app.ts",
                               .line = 41,
                               .column = 4,
                               .name = "x\"y",
                               .in_ignore_list = true,
                               .artifact = "~/app.min.js"};
    a[1] = (uv_resolved_frame){.status = UV_FRAME_MISSING_SOURCEMAP, .detail = "no map for ''"};
    a[2] = (uv_resolved_frame){.status = UV_FRAME_SYMBOLICATED,
                               .function = NULL,
                               .function_origin = UV_NAME_NONE,
                               .source = "src/app.ts",
                               .line = 0,
                               .column = 0,
                               .artifact = "~/app.min.js",
                               .context_line = "  run();",
                               .pre_context = pre,
                               .pre_count = 1,
                               .post_context = post,
                               .post_count = 2};
    b[0] = (uv_resolved_frame){.status = UV_FRAME_SYMBOLICATED,
                               .function = "main",
                               .function_origin = UV_NAME_TOKEN,
                               .source = "src/b.ts",
                               .line = 2,
                               .column = 0,
                               .approximate = true,
                               .artifact = "~/b.js"};
}

static json_t *load(const uv_buf *b)
{
    return json_loadb((const char *)b->data, b->len, 0, NULL);
}

TEST(round_trip)
{
    uv_trace *trace = NULL;
    CHECK_INT(uv_trace_parse(&trace, payload, sizeof payload - 1), 0);
    if (!trace) return;
    CHECK_INT(trace->exception_count, 2);
    uv_resolved_frame a[3], b[1];
    fill(a, b);
    uv_resolved_frame *frames[] = {a, b};
    uv_buf report = UV_BUF_INIT, stored = UV_BUF_INIT, merged = UV_BUF_INIT;
    CHECK_INT(uv_report_json(&report, trace, frames), 0);
    CHECK_INT(uv_report_resolution(&stored, trace, frames, NULL), 0);
    CHECK_INT(uv_buf_append(&stored, "", 1), 0);
    CHECK(uv_report_is_resolution((const char *)stored.data));
    CHECK(!uv_report_is_resolution("{\"data\":{}}"));
    const char *text = (const char *)stored.data;
    CHECK_INT(uv_report_merge_stored(&merged, payload, sizeof payload - 1, text, stored.len - 1),
              0);
    json_t *want = load(&report), *got = load(&merged);
    CHECK(want && got && json_equal(want, got));
    /* The spliced text keeps the payload's own bytes around each insertion. */
    CHECK(merged.len > 10 && memcmp(merged.data, "{ \"data\" : {", 12) == 0);
    json_t *frame = json_array_get(
        json_object_get(
            json_array_get(json_object_get(json_object_get(json_object_get(got, "data"), "body"),
                                           "trace_chain"),
                           0),
            "frames"),
        2); /* frames are innermost first: the payload's last is the trace's first */
    json_t *resolved = json_object_get(frame, "resolved");
    CHECK_STR(json_string_value(json_object_get(resolved, "function")), "créer");
    CHECK_INT(json_integer_value(json_object_get(resolved, "line")), 42);
    CHECK_INT(json_integer_value(json_object_get(resolved, "column")), 5);
    CHECK(json_is_true(json_object_get(resolved, "in_ignore_list")));
    CHECK_STR(json_string_value(json_object_get(resolved, "name")), "x\"y");
    /* a name that is not UTF-8 (a symbol from a binary) is kept, lossily, not dropped */
    a[0].function = "f\xff\xc3x";
    uv_buf lossy = UV_BUF_INIT;
    CHECK_INT(uv_report_json(&lossy, trace, frames), 0);
    json_t *doc = load(&lossy);
    CHECK(doc != NULL);
    CHECK(lossy.len && strstr((const char *)lossy.data, "\"f??x\"") != NULL);
    json_decref(doc);
    uv_buf_free(&lossy);
    json_decref(want);
    json_decref(got);
    uv_buf_free(&report);
    uv_buf_free(&stored);
    uv_buf_free(&merged);
    uv_trace_free(trace);
}

TEST(damaged_resolutions)
{
    static const char *const bad[] = {
        "{\"unravel_resolution\":2,\"strings\":[\"symbolicated\"],\"exceptions\":[[[1,99,-3,0,"
        "4294967297,1,1,7,1,1],null,{}],[\"x\"]]}",
        "{\"unravel_resolution\":2,\"strings\":[1,2],\"exceptions\":[[[1],[2,2,2]]]}",
        "{\"unravel_resolution\":2,\"strings\":[\"bogus\"],\"exceptions\":[[[1,1,1,1,1,1,1,1,1,1]]]"
        "}",
        "{\"unravel_resolution\":2,\"exceptions\":[]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uv_buf merged = UV_BUF_INIT;
        CHECK_INT(
            uv_report_merge_stored(&merged, payload, sizeof payload - 1, bad[i], strlen(bad[i])),
            0);
        json_t *v = load(&merged);
        CHECK(v != NULL);
        json_decref(v);
        uv_buf_free(&merged);
    }
    static const char *const unusable[] = {"{\"unravel_resolution\":2}", "not json", "[]"};
    for (size_t i = 0; i < sizeof unusable / sizeof unusable[0]; i++) {
        uv_buf merged = UV_BUF_INIT;
        CHECK(uv_report_merge_stored(&merged, payload, sizeof payload - 1, unusable[i],
                                     strlen(unusable[i])) != 0);
        uv_buf_free(&merged);
    }
}

int main(void)
{
    RUN(round_trip);
    RUN(damaged_resolutions);
    TEST_MAIN_END();
}
