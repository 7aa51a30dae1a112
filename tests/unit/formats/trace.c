/* Tests for formats/trace.c: every frame-line shape, text grouping on traces captured from
 * Node (tests/data/traces/capture.sh), Rollbar and Raygun payloads, limits and errors. */
#include "formats/trace.h"

#include "formats/error.h"
#include "formats/jv.h"
#include "test.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX /* expected "no line" / "no column" */

static char *read_fixture(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/traces/%s", UV_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size + 1);
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) buf[size] = '\0';
    *len = (size_t)size;
    return buf;
}

static uv_trace *parse_fixture(const char *name)
{
    size_t len;
    char *buf = read_fixture(name, &len);
    CHECK(buf != NULL);
    if (!buf) return NULL;
    uv_trace *t = NULL;
    int rc = uv_trace_parse(&t, buf, len);
    free(buf);
    if (rc) fprintf(stderr, "%s: %s\n", name, uv_error_last()->message);
    CHECK_INT(rc, 0);
    return t;
}

static uv_trace *parse_string(const char *s)
{
    uv_trace *t = NULL;
    int rc = uv_trace_parse(&t, s, strlen(s));
    if (rc) fprintf(stderr, "unexpected error: %s\n", uv_error_last()->message);
    CHECK_INT(rc, 0);
    return t;
}

/* Checks one frame: function, url, 0-based line/column (NONE when absent), native flag. */
static void check_frame(const char *where, const uv_trace_frame *f, const char *function,
                        const char *url, uint32_t line, uint32_t column, bool is_native)
{
    int before = uv_test_failures;
    CHECK_STR(f->function, function);
    CHECK_STR(f->url, url);
    CHECK_INT(f->has_line, line != NONE);
    if (line != NONE) CHECK_INT(f->line, line);
    CHECK_INT(f->has_column, column != NONE);
    if (column != NONE) CHECK_INT(f->column, column);
    CHECK_INT(f->is_native, is_native);
    if (uv_test_failures != before) fprintf(stderr, "  ... in %s\n", where);
}

/* ---------------------------------------------------------------------------------------- */

typedef struct {
    const char *line;
    const char *function, *url;
    uint32_t line_no, column;
    bool is_native;
} line_case;

static const line_case frame_lines[] = {
    /* V8 / Node */
    {"    at fn (http://x.com/a.js:10:5)", "fn", "http://x.com/a.js", 9, 4, false},
    {"    at http://x.com/a.js:10:5", "", "http://x.com/a.js", 9, 4, false},
    {"    at async fetchUser (/app/a.js:4:9)", "async fetchUser", "/app/a.js", 3, 8, false},
    {"    at new Foo (/app/a.js:1:1)", "new Foo", "/app/a.js", 0, 0, false},
    {"    at Foo.bar [as baz] (/app/a.js:7:3)", "Foo.bar [as baz]", "/app/a.js", 6, 2, false},
    {"    at Array.map (<anonymous>)", "Array.map", "<anonymous>", NONE, NONE, true},
    {"    at new Promise (<anonymous>)", "new Promise", "<anonymous>", NONE, NONE, true},
    {"    at JSON.parse (native)", "JSON.parse", "native", NONE, NONE, true},
    {"    at async Promise.all (index 1)", "async Promise.all", "index 1", NONE, NONE, true},
    {"    at <anonymous>", "", "<anonymous>", NONE, NONE, true},
    {"    at eval (eval at runSnippet (/app/eval.js:3:10), <anonymous>:3:3)", "eval",
     "/app/eval.js", 2, 9, false},
    {"    at inner (eval at a (eval at b (http://x/a.js:1:2), <anonymous>:1:1), <anonymous>:2:3)",
     "inner", "http://x/a.js", 0, 1, false},
    {"    at eval (eval at <anonymous>, <anonymous>:5:6)", "eval", "<anonymous>", 4, 5, true},
    {"    at file:///abs/path.mjs:3:5", "", "file:///abs/path.mjs", 2, 4, false},
    {"    at async file:///abs/path.mjs:3:5", "", "file:///abs/path.mjs", 2, 4, false},
    {"    at node:internal/main/run_main_module:28:49", "", "node:internal/main/run_main_module",
     27, 48, false},
    {"    at Module._compile (node:internal/modules/cjs/loader:1521:14)", "Module._compile",
     "node:internal/modules/cjs/loader", 1520, 13, false},
    {"    at Object.<anonymous> (C:\\x\\y.js:1:2)", "Object.<anonymous>", "C:\\x\\y.js", 0, 1,
     false},
    {"    at C:\\x\\y.js:1:2", "", "C:\\x\\y.js", 0, 1, false},
    {"    at Ab (https://h:8080/a.js?v=1:1:2)", "Ab", "https://h:8080/a.js?v=1", 0, 1, false},
    {"    at https://h:8080/a.js?v=1:1:2", "", "https://h:8080/a.js?v=1", 0, 1, false},
    {"    at f (/path with spaces/(1)/a.js:2:3)", "f", "/path with spaces/(1)/a.js", 1, 2, false},
    {"    at get total [as total] (/app/class.js:32:11)", "get total [as total]", "/app/class.js",
     31, 10, false},
    {"    at node:internal/main/run_main_module:28:49 {", "", "node:internal/main/run_main_module",
     27, 48, false},
    {"at fn (a.js:2:3)", "fn", "a.js", 1, 2, false},
    {"\tat fn (a.js:2:3)\r", "fn", "a.js", 1, 2, false},
    {"    at fn (a.js:7)", "fn", "a.js", 6, NONE, false},
    {"    at fn (a.js:1:0)", "fn", "a.js", 0, NONE, false},
    {"    at fn (a.js:0:5)", "fn", "a.js", NONE, NONE, false},
    {"    at fn (a.js:2147483648:1)", "fn", "a.js", 2147483647, 0, false},
    {"    at fn (a.js:2147483649:1)", "fn", "a.js", NONE, NONE, false},
    {"    at fn (a.js:1:2147483649)", "fn", "a.js", NONE, NONE, false},
    {"    at fn (a.js:99999999999999999999999:1)", "fn", "a.js", NONE, NONE, false},
    /* Firefox / Safari */
    {"fn@http://x.com/a.js:10:5", "fn", "http://x.com/a.js", 9, 4, false},
    {"@http://x.com/a.js:10:5", "", "http://x.com/a.js", 9, 4, false},
    {"fn@http://x.com/a.js:10", "fn", "http://x.com/a.js", 9, NONE, false},
    {"Cart/<.render/<@https://s.com/app.min.js:1:20771", "Cart/<.render/<",
     "https://s.com/app.min.js", 0, 20770, false},
    {"gen*@https://s.com/app.min.js:2:99", "gen*", "https://s.com/app.min.js", 1, 98, false},
    {"promise callback*init@https://s.com/a.js:3:120", "promise callback*init",
     "https://s.com/a.js", 2, 119, false},
    {"global code@https://s.com/a.js:3:8", "global code", "https://s.com/a.js", 2, 7, false},
    {"map@[native code]", "map", "[native code]", NONE, NONE, true},
    {"[native code]", "", "[native code]", NONE, NONE, true},
    {"evalled@https://s.com/a.js line 2 > eval:1:5", "evalled", "https://s.com/a.js", 1, NONE,
     false},
    /* Gecko lines split at the first '@': a url holding '@' (npm CDNs) stays whole. */
    {"f@https://cdn.example.com/npm/pkg@1.2.3/dist/x.js:4:5", "f",
     "https://cdn.example.com/npm/pkg@1.2.3/dist/x.js", 3, 4, false},
    {"  fn@https://h:8080/a.js?v=1:1:2  ", "fn", "https://h:8080/a.js?v=1", 0, 1, false},
};

/* Lines that are not frames. */
static const char *not_frames[] = {
    "",
    "   ",
    "Error: boom",
    "TypeError: Cannot read properties of undefined (reading 'theme')",
    "    ... 5 lines matching cause stack trace ...",
    "/app/sync.js:3",
    "  return JSON.parse(text).settings.theme;",
    "                                  ^",
    "Node.js v20.20.2",
    "}",
    "    at ",
    "    at fn (a.js)",
    "    at fn (:1:2)",
    "    at fn (not a location)",
    "at 10 o'clock we deployed",
    "Error: mail me@example.com:25",
    "fn@",
    "fn@a.js",
    "fn@:1:2",
    "eval code@",
};

TEST(frame_line_shapes)
{
    char scratch[512];
    for (size_t i = 0; i < sizeof frame_lines / sizeof frame_lines[0]; i++) {
        const line_case *c = &frame_lines[i];
        uv_trace_frame f;
        memset(&f, 0xAB, sizeof f);
        int rc = uv_trace_parse_frame_line(c->line, strlen(c->line), &f, scratch, sizeof scratch);
        CHECK_INT(rc, 0);
        if (rc == 0)
            check_frame(c->line, &f, c->function, c->url, c->line_no, c->column, c->is_native);
        CHECK(f.json == NULL);
    }
    for (size_t i = 0; i < sizeof not_frames / sizeof not_frames[0]; i++) {
        uv_trace_frame f;
        int rc = uv_trace_parse_frame_line(not_frames[i], strlen(not_frames[i]), &f, scratch,
                                           sizeof scratch);
        if (rc != UV_ENOTFOUND) fprintf(stderr, "  accepted as a frame: \"%s\"\n", not_frames[i]);
        CHECK_INT(rc, UV_ENOTFOUND);
    }
}

TEST(frame_line_borrows_and_scratch)
{
    /* Not NUL-terminated: the parser must stop at len. */
    const char text[] = "    at fn (a.js:2:3)XXXX";
    char scratch[64];
    uv_trace_frame f;
    CHECK_INT(uv_trace_parse_frame_line(text, strlen(text) - 4, &f, scratch, sizeof scratch), 0);
    check_frame("unterminated", &f, "fn", "a.js", 1, 2, false);
    CHECK(f.function >= scratch && f.function < scratch + sizeof scratch);
    CHECK(f.url >= scratch && f.url < scratch + sizeof scratch);
    /* Scratch too small: function + url + two NULs = 2 + 4 + 2 = 8 bytes. */
    CHECK_INT(uv_trace_parse_frame_line(text, strlen(text) - 4, &f, scratch, 7), UV_ETOOBIG);
    CHECK_CONTAINS(uv_error_last()->message, "scratch");
    CHECK_INT(uv_trace_parse_frame_line(text, strlen(text) - 4, &f, scratch, 8), 0);
    CHECK_INT(uv_trace_parse_frame_line(text, 0, &f, scratch, sizeof scratch), UV_ENOTFOUND);
}

/* ---------------------------------------------------------------------------------------- */
/* Text                                                                                      */

TEST(node_uncaught_preamble)
{
    uv_trace *t = parse_fixture("node-sync.txt");
    if (!t) return;
    CHECK_INT(t->kind, UV_TRACE_TEXT);
    CHECK(t->json_doc == NULL);
    CHECK(t->version == NULL);
    CHECK_INT(t->text_line_count, 16);
    CHECK_STR(t->text_lines[0], "/app/sync.js:3");
    CHECK_STR(t->text_lines[2], "                                  ^");
    CHECK_STR(t->text_lines[3], "");
    CHECK_STR(t->text_lines[15], "Node.js v20.20.2");
    CHECK_INT(t->exception_count, 1);
    const uv_trace_exception *e = &t->exceptions[0];
    CHECK_STR(e->exception_class, "TypeError");
    CHECK_STR(e->message, "Cannot read properties of undefined (reading 'theme')");
    CHECK_INT(e->text_line, 4);
    CHECK_INT(e->frame_count, 9);
    check_frame("sync 0", &e->frames[0], "parseConfig", "/app/sync.js", 2, 34, false);
    check_frame("sync 1", &e->frames[1], "loadTheme", "/app/sync.js", 7, 9, false);
    check_frame("sync 2", &e->frames[2], "Object.<anonymous>", "/app/sync.js", 10, 0, false);
    check_frame("sync 7", &e->frames[7], "Function.executeUserEntryPoint [as runMain]",
                "node:internal/modules/run_main", 163, 11, false);
    CHECK_INT(e->frames[0].text_line, 5);
    CHECK_INT(e->frames[8].text_line, 13);
    CHECK(e->json == NULL && e->frames[0].json == NULL);
    uv_trace_free(t);
}

TEST(node_async)
{
    uv_trace *t = parse_fixture("node-async.txt");
    if (!t) return;
    CHECK_INT(t->exception_count, 1);
    CHECK_STR(t->exceptions[0].exception_class, "RangeError");
    CHECK_STR(t->exceptions[0].message, "user 42 out of range");
    CHECK_INT(t->exceptions[0].frame_count, 2);
    check_frame("async 0", &t->exceptions[0].frames[0], "fetchUser", "/app/async.js", 3, 8, false);
    check_frame("async 1", &t->exceptions[0].frames[1], "async render", "/app/async.js", 7, 15,
                false);
    uv_trace_free(t);
}

TEST(node_class_methods_two_traces)
{
    uv_trace *t = parse_fixture("node-class.txt");
    if (!t) return;
    CHECK_INT(t->exception_count, 2);
    const uv_trace_exception *a = &t->exceptions[0], *b = &t->exceptions[1];
    CHECK_STR(a->exception_class, "TypeError");
    CHECK_STR(a->message, "negative price for ink");
    CHECK_INT(a->frame_count, 10);
    check_frame("class 0", &a->frames[0], "LineItem.reject", "/app/class.js", 13, 10, false);
    check_frame("class 1", &a->frames[1], "new LineItem", "/app/class.js", 9, 29, false);
    check_frame("class 2", &a->frames[2], "", "/app/class.js", 3, 37, false);
    check_frame("class 3", &a->frames[3], "Array.map", "<anonymous>", NONE, NONE, true);
    check_frame("class 4", &a->frames[4], "new Cart", "/app/class.js", 3, 23, false);
    CHECK_STR(b->exception_class, "Error");
    CHECK_STR(b->message, "total is not computed yet");
    CHECK_INT(b->text_line, 11);
    CHECK_INT(b->frame_count, 9);
    check_frame("class b0", &b->frames[0], "get total [as total]", "/app/class.js", 31, 10, false);
    check_frame("class b1", &b->frames[1], "Object.checkout", "/app/class.js", 28, 16, false);
    uv_trace_free(t);
}

TEST(node_eval)
{
    uv_trace *t = parse_fixture("node-eval.txt");
    if (!t) return;
    CHECK_INT(t->exception_count, 2);
    CHECK_STR(t->exceptions[0].message, "Cannot read properties of null (reading 'field')");
    check_frame("eval 0", &t->exceptions[0].frames[0], "inner", "/app/eval.js", 2, 9, false);
    check_frame("eval 1", &t->exceptions[0].frames[1], "eval", "/app/eval.js", 2, 9, false);
    check_frame("eval 2", &t->exceptions[0].frames[2], "runSnippet", "/app/eval.js", 2, 9, false);
    check_frame("function", &t->exceptions[1].frames[0], "eval", "/app/eval.js", 12, 13, false);
    uv_trace_free(t);
}

TEST(node_promise_all)
{
    uv_trace *t = parse_fixture("node-promise-all.txt");
    if (!t) return;
    CHECK_INT(t->exception_count, 1);
    CHECK_INT(t->exceptions[0].frame_count, 6);
    check_frame("all 0", &t->exceptions[0].frames[0], "check", "/app/promise-all.js", 3, 21, false);
    check_frame("all 4", &t->exceptions[0].frames[4], "async Promise.all", "index 1", NONE, NONE,
                true);
    check_frame("all 5", &t->exceptions[0].frames[5], "async main", "/app/promise-all.js", 8, 2,
                false);
    uv_trace_free(t);
}

TEST(node_esm)
{
    uv_trace *t = parse_fixture("node-esm.txt");
    if (!t) return;
    CHECK_INT(t->exceptions[0].frame_count, 5);
    check_frame("esm 0", &t->exceptions[0].frames[0], "divide", "file:///app/esm.mjs", 2, 21,
                false);
    check_frame("esm 1", &t->exceptions[0].frames[1], "", "file:///app/esm.mjs", 7, 2, false);
    check_frame("esm 3", &t->exceptions[0].frames[3], "async ModuleLoader.import",
                "node:internal/modules/esm/loader", 605, 23, false);
    uv_trace_free(t);
}

TEST(node_cause)
{
    uv_trace *t = parse_fixture("node-cause.txt");
    if (!t) return;
    CHECK_INT(t->exception_count, 2);
    const uv_trace_exception *outer = &t->exceptions[0], *cause = &t->exceptions[1];
    CHECK_STR(outer->message, "could not load user");
    CHECK_INT(outer->frame_count, 3); /* "... 5 lines matching" is kept as text, not a frame */
    check_frame("outer 2", &outer->frames[2], "", "node:internal/main/run_main_module", 27, 48,
                false);
    CHECK_STR(cause->exception_class, "Error");
    CHECK_STR(cause->message, "connection refused");
    CHECK_INT(cause->text_line, 5);
    CHECK_INT(cause->frame_count, 9);
    check_frame("cause 0", &cause->frames[0], "readDb", "/app/cause.js", 2, 8, false);
    uv_trace_free(t);
}

TEST(browser_texts)
{
    uv_trace *t = parse_fixture("firefox.txt");
    if (t) {
        CHECK_INT(t->exception_count, 1);
        const uv_trace_exception *e = &t->exceptions[0];
        CHECK_STR(e->exception_class, "TypeError");
        CHECK_STR(e->message, "can't access property \"name\", user is undefined");
        CHECK_INT(e->frame_count, 8);
        const char *app = "https://shop.example.com/static/app.min.js";
        check_frame("ff 0", &e->frames[0], "renderUser", app, 0, 10323, false);
        check_frame("ff 1", &e->frames[1], "Cart/<.render/<", app, 0, 20770, false);
        check_frame("ff 3", &e->frames[3], "gen*", app, 1, 98, false);
        check_frame("ff 4", &e->frames[4], "", app, 2, 6, false);
        check_frame("ff 5", &e->frames[5], "promise callback*init", app, 2, 119, false);
        check_frame("ff 6", &e->frames[6], "evalled", app, 1, NONE, false);
        check_frame("ff 7", &e->frames[7], "legacy", "https://old.example.com/a.js", 43, NONE,
                    false);
        uv_trace_free(t);
    }
    t = parse_fixture("safari.txt");
    if (t) {
        const uv_trace_exception *e = &t->exceptions[0];
        CHECK_INT(t->exception_count, 1);
        CHECK_INT(e->frame_count, 6);
        check_frame("sf 1", &e->frames[1], "map", "[native code]", NONE, NONE, true);
        check_frame("sf 2", &e->frames[2], "", "https://shop.example.com/static/app.min.js", 0,
                    20771, false);
        check_frame("sf 4", &e->frames[4], "global code",
                    "https://shop.example.com/static/app.min.js", 2, 7, false);
        check_frame("sf 5", &e->frames[5], "", "[native code]", NONE, NONE, true);
        uv_trace_free(t);
    }
    t = parse_fixture("chrome.txt");
    if (t) {
        const uv_trace_exception *e = &t->exceptions[0];
        CHECK_STR(e->exception_class, "TypeError");
        CHECK_STR(e->message, "Cannot read properties of undefined (reading 'map')");
        CHECK_INT(e->frame_count, 5);
        check_frame("ch 0", &e->frames[0], "Ab",
                    "https://cdn.example.com:8443/assets/index-4f2a.js?v=12", 1, 1233, false);
        check_frame("ch 2", &e->frames[2], "", "https://cdn.example.com:8443/assets/vendor.js#frag",
                    0, 98, false);
        check_frame("ch 3", &e->frames[3], "Object.<anonymous>", "C:\\Users\\dev\\app\\index.js", 9,
                    1, false);
        check_frame("ch 4", &e->frames[4], "", "C:\\Users\\dev\\app\\lib\\util.js", 2, 3, false);
        uv_trace_free(t);
    }
}

TEST(text_grouping)
{
    /* A blank line separates traces that have no header; CRLF endings; multi-line message;
     * header prefixes; a lone error name; Node's error code in brackets. */
    uv_trace *t = parse_string("@a.js:1:1\r\n@a.js:2:2\r\n\r\n@b.js:3:3\r\n");
    if (t) {
        CHECK_INT(t->text_line_count, 4);
        CHECK_STR(t->text_lines[0], "@a.js:1:1");
        CHECK_INT(t->exception_count, 2);
        CHECK_INT(t->exceptions[0].frame_count, 2);
        CHECK_STR(t->exceptions[0].exception_class, "");
        CHECK_STR(t->exceptions[0].message, "");
        CHECK_INT(t->exceptions[0].text_line, 0);
        CHECK_INT(t->exceptions[1].frame_count, 1);
        CHECK_INT(t->exceptions[1].frames[0].text_line, 3);
        uv_trace_free(t);
    }
    t = parse_string("Error: first line\nsecond line\n\n    at f (a.js:1:2)\n");
    if (t) {
        CHECK_STR(t->exceptions[0].exception_class, "Error");
        CHECK_STR(t->exceptions[0].message, "first line\nsecond line");
        uv_trace_free(t);
    }
    t = parse_string(
        "Uncaught (in promise) AbortError: stop\n    at f (a.js:1:2)\n"
        "Caused by: ValidationError\n    at g (b.js:3:4)\n"
        "TypeError [ERR_INVALID_ARG_TYPE]: The \"path\" argument must be of type string\n"
        "    at h (c.js:5:6)");
    if (t) {
        CHECK_INT(t->exception_count, 3);
        CHECK_STR(t->exceptions[0].exception_class, "AbortError");
        CHECK_STR(t->exceptions[0].message, "stop");
        CHECK_STR(t->exceptions[1].exception_class, "ValidationError");
        CHECK_STR(t->exceptions[1].message, "");
        CHECK_STR(t->exceptions[2].exception_class, "TypeError [ERR_INVALID_ARG_TYPE]");
        CHECK_STR(t->exceptions[2].message, "The \"path\" argument must be of type string");
        CHECK_INT(t->text_line_count, 6);
        uv_trace_free(t);
    }
    /* A UTF-8 byte order mark does not hide the header. */
    t = parse_string("\xEF\xBB\xBFRangeError: x\n    at f (a.js:1:2)\n");
    if (t) {
        CHECK_STR(t->exceptions[0].exception_class, "RangeError");
        CHECK_STR(t->text_lines[0], "RangeError: x");
        uv_trace_free(t);
    }
}

TEST(text_errors)
{
    uv_trace *t = (uv_trace *)1;
    CHECK_INT(uv_trace_parse(&t, "Error: boom\nno frames here\n", 27), UV_EINVALID);
    CHECK(t == NULL);
    CHECK_STR(uv_error_last()->message, "no stack frames found in input");
    CHECK_INT(uv_trace_parse(&t, "", 0), UV_EINVALID);
    CHECK_STR(uv_error_last()->message, "no stack frames found in input");
    CHECK_INT(uv_trace_parse(&t, "@a.js:1:1\n\0x", 12), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "NUL byte at offset 10");

    /* 1,001 traces, each one frame after a blank line. */
    size_t len = 1001 * 11;
    char *many = malloc(len);
    for (size_t i = 0; i < 1001; i++)
        memcpy(many + i * 11, "@a.js:1:1\n\n", 11);
    CHECK_INT(uv_trace_parse(&t, many, len), UV_ETOOBIG);
    CHECK_CONTAINS(uv_error_last()->message, "more than 1000 stack traces");
    CHECK_INT(uv_trace_parse(&t, many, 1000 * 11), 0);
    if (t) CHECK_INT(t->exception_count, 1000);
    uv_trace_free(t);
    free(many);

    /* 100,001 frames in one trace. */
    len = 100001 * 10;
    char *deep = malloc(len);
    for (size_t i = 0; i < 100001; i++)
        memcpy(deep + i * 10, "@a.js:1:1\n", 10);
    CHECK_INT(uv_trace_parse(&t, deep, len), UV_ETOOBIG);
    CHECK_CONTAINS(uv_error_last()->message, "more than 100000 frames");
    CHECK_INT(uv_trace_parse(&t, deep, len - 10), 0);
    if (t) CHECK_INT(t->exceptions[0].frame_count, 100000);
    uv_trace_free(t);
    free(deep);

    /* Input ceiling: checked before anything is read. */
    CHECK_INT(uv_trace_parse(&t, "x", ((size_t)64 << 20) + 1), UV_ETOOBIG);
    CHECK_CONTAINS(uv_error_last()->message, "64 MiB");
    uv_trace_free(NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* Rollbar                                                                                   */

TEST(rollbar_browser_trace)
{
    uv_trace *t = parse_fixture("rollbar-browser.json");
    if (!t) return;
    CHECK_INT(t->kind, UV_TRACE_ROLLBAR);
    CHECK(t->json_doc != NULL);
    CHECK_STR(t->version, "1.4.2");
    CHECK_STR(t->platform, "browser");
    CHECK_INT(t->text_line_count, 0);
    CHECK_INT(t->exception_count, 1);
    const uv_trace_exception *e = &t->exceptions[0];
    CHECK_STR(e->exception_class, "TypeError");
    CHECK_STR(e->message, "undefined is not an object (evaluating 'user.name')");
    CHECK(uv_jv_is(e->json, UV_JV_OBJECT));
    CHECK_INT(e->frame_count, 4);
    /* Reversed: the last frame of the payload (most recent call) comes first. */
    const char *app = "https://shop.example.com/static/app.min.js";
    check_frame("rb 0", &e->frames[0], "renderUser", app, 0, 10324, false);
    check_frame("rb 1", &e->frames[1], "[anonymous]", "(unknown)", NONE, NONE, true);
    check_frame("rb 2", &e->frames[2], "Array.map", app, 0, 20771, false);
    check_frame("rb 3", &e->frames[3], "[anonymous]", app, 2, 6, false);
    const uv_jv *code = uv_jv_get(e->frames[0].json, "code");
    CHECK_STR(uv_jv_string(code), "function renderUser(u){return u.name}");
    uv_trace_free(t);
}

TEST(rollbar_node_trace_chain)
{
    uv_trace *t = parse_fixture("rollbar-node-chain.json");
    if (!t) return;
    CHECK_STR(t->version, "server-9");
    CHECK(t->platform == NULL);
    CHECK_INT(t->exception_count, 2);
    /* Chain kept as given: the outer error first, then its cause. */
    CHECK_STR(t->exceptions[0].message, "could not load user");
    CHECK_STR(t->exceptions[1].message, "connection refused");
    /* node_rollbar sends colno = V8 column - 1: the same (line 10, column 11) as the text. */
    check_frame("chain 0", &t->exceptions[0].frames[0], "loadUser", "/app/cause.js", 9, 10, false);
    check_frame("chain 2", &t->exceptions[0].frames[2], "<unknown>",
                "node:internal/main/run_main_module", 27, 48, false);
    check_frame("cause 0", &t->exceptions[1].frames[0], "readDb", "/app/cause.js", 2, 8, false);
    uv_trace_free(t);
}

TEST(rollbar_message_only)
{
    uv_trace *t = parse_fixture("rollbar-message.json");
    if (!t) return;
    CHECK_STR(t->version, "45");
    CHECK_STR(t->platform, "linux");
    CHECK_INT(t->exception_count, 1);
    CHECK_STR(t->exceptions[0].exception_class, "");
    CHECK_STR(t->exceptions[0].message, "Request over threshold of 10 seconds");
    CHECK_INT(t->exceptions[0].frame_count, 0);
    uv_trace_free(t);
}

typedef struct {
    const char *json;
    const char *version; /* NULL: none */
} version_case;

TEST(rollbar_version_precedence)
{
#define BODY "\"body\":{\"message\":{\"body\":\"m\"}}"
    static const version_case cases[] = {
        {"{\"data\":{" BODY
         ",\"code_version\":\"top\",\"client\":{\"javascript\":{\"code_version\":"
         "\"js\"}},\"server\":{\"code_version\":\"srv\"}}}",
         "top"},
        {"{\"data\":{" BODY ",\"client\":{\"javascript\":{\"code_version\":\"js\"}},\"server\":{"
         "\"code_version\":\"srv\"}}}",
         "js"},
        {"{\"data\":{" BODY ",\"server\":{\"code_version\":\"srv\",\"sha\":\"abc\"}}}", "srv"},
        {"{\"data\":{" BODY ",\"server\":{\"sha\":\"abc\"}}}", "abc"},
        {"{\"data\":{" BODY ",\"code_version\":\"\",\"client\":{\"javascript\":{\"code_version\":"
         "\"js\"}}}}",
         "js"},
        {"{\"data\":{" BODY ",\"code_version\":null}}", NULL},
        {"{\"access_token\":\"t\",\"data\":{" BODY "}}", NULL},
    };
#undef BODY
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uv_trace *t = parse_string(cases[i].json);
        if (!t) continue;
        if (cases[i].version)
            CHECK_STR(t->version, cases[i].version);
        else
            CHECK(t->version == NULL);
        uv_trace_free(t);
    }
}

TEST(rollbar_positions)
{
    /* lineno/colno missing, null, zero, negative and beyond 2^31: kept, without position. */
    uv_trace *t =
        parse_string("{\"data\":{\"body\":{\"trace\":{\"exception\":{\"class\":\"E\"},\"frames\":["
                     "{\"filename\":\"a.js\",\"lineno\":2147483649,\"colno\":1},"
                     "{\"filename\":\"a.js\",\"lineno\":5,\"colno\":-3},"
                     "{\"filename\":\"a.js\",\"lineno\":5,\"colno\":0},"
                     "{\"filename\":\"a.js\",\"lineno\":0,\"colno\":3},"
                     "{\"filename\":\"a.js\",\"lineno\":null,\"colno\":null},"
                     "{\"method\":\"m\"},"
                     "{\"filename\":\"a.js\",\"lineno\":2147483648,\"colno\":2147483648}"
                     "]}}}}");
    if (!t) return;
    const uv_trace_exception *e = &t->exceptions[0];
    CHECK_INT(e->frame_count, 7);
    CHECK_STR(e->message, "");
    check_frame("max", &e->frames[0], "", "a.js", 2147483647, 2147483647, false);
    check_frame("no file", &e->frames[1], "m", "", NONE, NONE, true);
    check_frame("null", &e->frames[2], "", "a.js", NONE, NONE, false);
    check_frame("line 0", &e->frames[3], "", "a.js", NONE, NONE, false);
    check_frame("col 0", &e->frames[4], "", "a.js", 4, NONE, false);
    check_frame("col -3", &e->frames[5], "", "a.js", NONE, NONE, false);
    check_frame("too big", &e->frames[6], "", "a.js", NONE, NONE, false);
    uv_trace_free(t);
}

/* ---------------------------------------------------------------------------------------- */
/* Raygun                                                                                    */

TEST(raygun_node)
{
    uv_trace *t = parse_fixture("raygun-node.json");
    if (!t) return;
    CHECK_INT(t->kind, UV_TRACE_RAYGUN);
    CHECK_STR(t->version, "5.0.1");
    CHECK_STR(t->platform, "node");
    CHECK_INT(t->exception_count, 2);
    const uv_trace_exception *e = &t->exceptions[0];
    CHECK_STR(e->exception_class, "Error");
    CHECK_STR(e->message, "connection refused");
    CHECK_INT(e->frame_count, 3);
    /* raygun4node sends no columnNumber: has_column false. Innermost first, as given. */
    check_frame("rg 0", &e->frames[0], "readDb", "/app/cause.js", 2, NONE, false);
    check_frame("rg 1", &e->frames[1], "loadUser", "/app/cause.js", 7, NONE, false);
    check_frame("rg 2", &e->frames[2], "map", "", NONE, NONE, true);
    CHECK_STR(t->exceptions[1].exception_class, "SystemError");
    CHECK_STR(t->exceptions[1].message, "ECONNREFUSED 127.0.0.1:5432");
    check_frame("rg inner", &t->exceptions[1].frames[0], "[anonymous]", "/app/db.js", 19, NONE,
                false);
    uv_trace_free(t);
}

TEST(raygun_js_case_insensitive)
{
    uv_trace *t = parse_fixture("raygun-js.json");
    if (!t) return;
    CHECK(t->version == NULL); /* "Not supplied" */
    CHECK_STR(t->platform, "browser");
    /* error, then InnerErrors[0], InnerErrors[1], then its INNERERROR. */
    CHECK_INT(t->exception_count, 4);
    CHECK_STR(t->exceptions[0].exception_class, "TypeError");
    check_frame("js 0", &t->exceptions[0].frames[0], "renderUser",
                "https://shop.example.com/static/app.min.js", 0, 10324, false);
    check_frame("js 1", &t->exceptions[0].frames[1], "[anonymous]",
                "https://shop.example.com/static/app.min.js", 2, 7, false);
    CHECK_STR(t->exceptions[1].message, "first");
    CHECK_STR(t->exceptions[2].message, "second");
    CHECK_STR(t->exceptions[3].exception_class, "Deep");
    CHECK_STR(t->exceptions[3].message, "third");
    CHECK_INT(t->exceptions[3].frame_count, 0);
    uv_trace_free(t);
}

TEST(raygun_inner_depth)
{
    /* 65 nested innerErrors (depth 65) fail; 64 pass. */
    for (int levels = 64; levels <= 65; levels++) {
        char buf[8192];
        size_t at = 0;
        at += (size_t)snprintf(buf + at, sizeof buf - at,
                               "{\"details\":{\"error\":{\"message\":\"0\"");
        for (int i = 0; i < levels; i++)
            at += (size_t)snprintf(buf + at, sizeof buf - at, ",\"innerError\":{\"message\":\"%d\"",
                                   i + 1);
        for (int i = 0; i < levels + 3; i++)
            buf[at++] = '}';
        buf[at] = '\0';
        uv_trace *t = NULL;
        int rc = uv_trace_parse(&t, buf, at);
        if (levels == 64) {
            CHECK_INT(rc, 0);
            if (t) {
                CHECK_INT(t->exception_count, 65);
                CHECK_STR(t->exceptions[64].message, "64");
            }
        } else {
            CHECK_INT(rc, UV_ETOOBIG);
            CHECK_CONTAINS(uv_error_last()->message, "deeper than 64");
        }
        uv_trace_free(t);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Malformed JSON                                                                            */

typedef struct {
    const char *input;
    int code;
    const char *message; /* substring */
} error_case;

static const error_case json_errors[] = {
    {"{\"data\": {\"body\": ", UV_EINVALID, "JSON input: line 1 column 18"},
    {"{\n  \"data\": [1,]\n}", UV_EINVALID, "JSON input: line 2"},
    {"{\"a\":1,\"a\":2}", UV_EINVALID, "duplicate object key"},
    {"{\"hello\": 1}", UV_EINVALID, "neither a Rollbar item"},
    {"{\"data\": 3}", UV_EINVALID, "rollbar payload: data is not an object"},
    {"{\"data\": {}}", UV_EINVALID, "rollbar payload: data.body is missing"},
    {"{\"data\": {\"body\": {}}}", UV_EINVALID,
     "data.body has none of trace, trace_chain, message"},
    {"{\"data\": {\"body\": {\"crash_report\": {\"raw\": \"x\"}}}}", UV_EUNSUPPORTED,
     "crash_report"},
    {"{\"data\": {\"body\": {\"trace\": []}}}", UV_EINVALID, "data.body.trace is not an object"},
    {"{\"data\": {\"body\": {\"trace\": {\"frames\": {}}}}}", UV_EINVALID,
     "rollbar payload: data.body.trace.frames is not an array"},
    {"{\"data\": {\"body\": {\"trace\": {\"frames\": [{}, {}, {}, {\"lineno\": \"12\"}]}}}}",
     UV_EINVALID, "rollbar payload: data.body.trace.frames[3].lineno: expected an integer"},
    {"{\"data\": {\"body\": {\"trace\": {\"frames\": [{\"colno\": 1.5}]}}}}", UV_EINVALID,
     "data.body.trace.frames[0].colno: expected an integer"},
    {"{\"data\": {\"body\": {\"trace\": {\"frames\": [7]}}}}", UV_EINVALID,
     "data.body.trace.frames[0]: expected an object"},
    {"{\"data\": {\"body\": {\"trace\": {\"frames\": [{\"filename\": 7}]}}}}", UV_EINVALID,
     "data.body.trace.frames[0].filename: expected a string"},
    {"{\"data\": {\"body\": {\"trace\": {\"exception\": \"x\"}}}}", UV_EINVALID,
     "data.body.trace.exception is not an object"},
    {"{\"data\": {\"body\": {\"trace_chain\": []}}}", UV_EINVALID,
     "data.body.trace_chain is empty"},
    {"{\"data\": {\"body\": {\"trace_chain\": {}}}}", UV_EINVALID,
     "data.body.trace_chain is not an array"},
    {"{\"data\": {\"body\": {\"trace_chain\": [{\"frames\": []}, 5]}}}", UV_EINVALID,
     "data.body.trace_chain[1] is not an object"},
    {"{\"data\": {\"body\": {\"message\": \"hi\"}}}", UV_EINVALID,
     "data.body.message is not an object"},
    {"{\"data\": {\"code_version\": [], \"body\": {\"message\": {}}}}", UV_EINVALID,
     "data.code_version: expected a string"},
    {"{\"details\": 1}", UV_EINVALID, "raygun entry: details is not an object"},
    {"{\"Details\": {}}", UV_EINVALID, "raygun entry: details.error is missing"},
    {"{\"details\": {\"error\": {\"stackTrace\": {}}}}", UV_EINVALID,
     "raygun entry: details.error.stackTrace is not an array"},
    {"{\"details\": {\"error\": {\"StackTrace\": [{\"LineNumber\": \"x\"}]}}}", UV_EINVALID,
     "raygun entry: details.error.stackTrace[0].lineNumber: expected an integer"},
    {"{\"details\": {\"error\": {\"innerError\": []}}}", UV_EINVALID,
     "raygun entry: details.error.innerError is not an object"},
    {"{\"details\": {\"error\": {\"innerErrors\": [{}, {\"stackTrace\": 1}]}}}", UV_EINVALID,
     "details.error.innerErrors[1].stackTrace is not an array"},
    {"{\"details\": {\"version\": 3, \"error\": {}}}", UV_EINVALID,
     "raygun entry: details.version: expected a string"},
};

TEST(json_errors)
{
    for (size_t i = 0; i < sizeof json_errors / sizeof json_errors[0]; i++) {
        const error_case *c = &json_errors[i];
        uv_trace *t = (uv_trace *)1;
        int rc = uv_trace_parse(&t, c->input, strlen(c->input));
        CHECK_INT(rc, c->code);
        CHECK(t == NULL);
        CHECK_CONTAINS(uv_error_last()->message, c->message);
    }
    /* Deep nesting is bounded by the JSON parser's depth, reported as a syntax error. */
    size_t n = 5000;
    char *deep = malloc(2 * n + 16);
    size_t at = 0;
    memcpy(deep, "{\"data\":", 8);
    at = 8;
    for (size_t i = 0; i < n; i++)
        deep[at++] = '[';
    for (size_t i = 0; i < n; i++)
        deep[at++] = ']';
    deep[at++] = '}';
    uv_trace *t = NULL;
    CHECK_INT(uv_trace_parse(&t, deep, at), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "JSON input: line 1");
    CHECK_INT(uv_error_last()->lib, UV_LIB_JSON);
    free(deep);
}

/* ---------------------------------------------------------------------------------------- */
/* Native frames                                                                             */

typedef struct {
    const char *line;
    const char *module, *symbol, *function;
    uint64_t address;
    bool has_module_offset;
    uint64_t module_offset;
    int64_t symbol_offset;
} native_case;

static const native_case native_lines[] = {
    /* glibc backtrace_symbols(), with and without the space before '[' */
    {"./bin(+0x11a9) [0x55d4c3a2b1a9]", "./bin", "", "", 0x55d4c3a2b1a9, true, 0x11a9, 0},
    {"./bin(+0x11a9)[0x55d4c3a2b1a9]", "./bin", "", "", 0x55d4c3a2b1a9, true, 0x11a9, 0},
    {"/path/bin(func+0x1a)[0x55d4c3a2b1c9]", "/path/bin", "func", "func", 0x55d4c3a2b1c9, false, 0,
     0x1a},
    {"/lib/x86_64-linux-gnu/libc.so.6(__libc_start_main+0x85) [0x7f289b230305]",
     "/lib/x86_64-linux-gnu/libc.so.6", "__libc_start_main", "__libc_start_main", 0x7f289b230305,
     false, 0, 0x85},
    {"/lib/libfoo.so(_ZN3foo3barEv-0x10) [0x7f0000001000]", "/lib/libfoo.so", "_ZN3foo3barEv",
     "_ZN3foo3barEv", 0x7f0000001000, false, 0, -0x10},
    {"/opt/my app (v2)/bin(main+0x5) [0x401005]", "/opt/my app (v2)/bin", "main", "main", 0x401005,
     false, 0, 5},
    {"./bt_nopie[0x401225]", "./bt_nopie", "", "", 0x401225, false, 0, 0},
    {"./app() [0x401225]", "./app", "", "", 0x401225, false, 0, 0},
    {"[0x7f0012345678]", "", "", "", 0x7f0012345678, false, 0, 0},
    {"  [0XFFFFFFFFFFFFFFFF]  ", "", "", "", UINT64_MAX, false, 0, 0},
    /* gdb */
    {"#3  0x0000555555555189 in main ()", "", "", "main", 0x555555555189, false, 0, 0},
    {"#0  0x00007ffff7e4a9fc in __pthread_kill_implementation (no_tid=0, signo=6, "
     "threadid=<optimized out>) at ./nptl/pthread_kill.c:44",
     "", "", "__pthread_kill_implementation", 0x7ffff7e4a9fc, false, 0, 0},
    {"#12 0x00007ffff7dd1d90 in __libc_start_call_main () from /lib/x86_64-linux-gnu/libc.so.6",
     "/lib/x86_64-linux-gnu/libc.so.6", "", "__libc_start_call_main", 0x7ffff7dd1d90, false, 0, 0},
};

static const char *not_native[] = {
    "see [0x1000]",          "[0x]",
    "[0x12345678901234567]", "[0xzz]",
    "./bin(+0x11a9)",        "./bin(-0x10) [0x1000]",
    "#0  main () at t.c:5",  "#x  0x1 in main ()",
    "#1  0x1 main ()",       "(+0x10) [0x1000]",
};

TEST(native_frame_lines)
{
    char scratch[512];
    for (size_t i = 0; i < sizeof native_lines / sizeof native_lines[0]; i++) {
        const native_case *c = &native_lines[i];
        uv_trace_frame f;
        memset(&f, 0xAB, sizeof f);
        int rc = uv_trace_parse_frame_line(c->line, strlen(c->line), &f, scratch, sizeof scratch);
        CHECK_INT(rc, 0);
        if (rc != 0) {
            fprintf(stderr, "  not a frame: %s\n", c->line);
            continue;
        }
        int before = uv_test_failures;
        CHECK(f.has_address);
        CHECK(f.address == c->address);
        CHECK_STR(f.module, c->module);
        CHECK_STR(f.url, c->module);
        CHECK_STR(f.symbol, c->symbol);
        CHECK_STR(f.function, c->function);
        CHECK_INT(f.has_module_offset, c->has_module_offset);
        if (c->has_module_offset) CHECK(f.module_offset == c->module_offset);
        CHECK(f.symbol_offset == c->symbol_offset);
        CHECK(!f.has_line && !f.has_column && !f.is_native);
        CHECK_INT(f.adjust, UV_TRACE_ADJUST_AUTO);
        if (uv_test_failures != before) fprintf(stderr, "  ... in %s\n", c->line);
    }
    for (size_t i = 0; i < sizeof not_native / sizeof not_native[0]; i++) {
        uv_trace_frame f;
        int rc = uv_trace_parse_frame_line(not_native[i], strlen(not_native[i]), &f, scratch,
                                           sizeof scratch);
        if (rc != UV_ENOTFOUND) fprintf(stderr, "  accepted as a frame: \"%s\"\n", not_native[i]);
        CHECK_INT(rc, UV_ENOTFOUND);
    }
    /* JavaScript frames carry no native fields. */
    uv_trace_frame f;
    memset(&f, 0xAB, sizeof f);
    CHECK_INT(uv_trace_parse_frame_line("    at fn (a.js:2:3)", 20, &f, scratch, sizeof scratch),
              0);
    CHECK(!f.has_address && !f.has_module_offset);
    CHECK_STR(f.module, "");
    CHECK_STR(f.symbol, "");
}

TEST(native_text_trace)
{
    uv_trace *t = parse_string("Obtained 4 stack frames.\n"
                               "./app(+0x12b0)[0x55fa8dab22b0]\n"
                               "./app(leaf+0x1e)[0x55fa8dab22fe]\n"
                               "/lib/x86_64-linux-gnu/libc.so.6(+0x2724a)[0x7f289b23024a]\n"
                               "[0x55fa8dab21c1]\n");
    if (!t) return;
    CHECK_INT(t->kind, UV_TRACE_TEXT);
    CHECK_INT(t->exception_count, 1);
    const uv_trace_exception *e = &t->exceptions[0];
    CHECK_INT(e->frame_count, 4);
    if (e->frame_count == 4) {
        CHECK_INT(e->frames[0].text_line, 1);
        CHECK_STR(e->frames[1].symbol, "leaf");
        CHECK_STR(e->frames[2].module, "/lib/x86_64-linux-gnu/libc.so.6");
        CHECK(e->frames[3].address == 0x55fa8dab21c1);
        CHECK_STR(e->frames[3].module, "");
    }
    CHECK_INT(t->module_count, 0);
    uv_trace_free(t);
}

TEST(native_symbolicator_request)
{
    uv_trace *t = parse_string(
        "{\"signal\": 11, \"version\": \"2.0\", \"sources\": [],\n"
        " \"modules\": [{\"type\": \"elf\", \"code_file\": \"/usr/bin/app\",\n"
        "   \"code_id\": \"4C1E-AB\", \"debug_id\": \"1e4c0000-0000-0000-0000-000000000000\",\n"
        "   \"image_addr\": \"0x5600000000\", \"image_size\": 8192},\n"
        "  {\"type\": \"elf\", \"code_file\": \"/lib/libc.so.6\", \"build_id\": \"abcd\",\n"
        "   \"image_addr\": 139637976727552, \"image_size\": \"0x1000\"}],\n"
        " \"stacktraces\": [{\"registers\": {\"rip\": \"0x1\"}, \"frames\": [\n"
        "   {\"instruction_addr\": \"0x5600001000\", \"function\": \"crash\"},\n"
        "   {\"instruction_addr\": \"0x10\", \"addr_mode\": \"rel:1\", \"package\": "
        "\"/lib/libc.so.6\","
        "    \"adjust_instruction_addr\": false},\n"
        "   {\"instruction_addr\": \"12345\"},\n"
        "   {\"lineno\": 3}]}]}");
    if (!t) return;
    CHECK_INT(t->kind, UV_TRACE_NATIVE);
    CHECK(t->has_signal && t->signal == 11);
    CHECK_STR(t->version, "2.0");
    CHECK_INT(t->module_count, 2);
    if (t->module_count == 2) {
        CHECK_STR(t->modules[0].build_id, "4c1eab");
        CHECK_STR(t->modules[0].code_file, "/usr/bin/app");
        CHECK_STR(t->modules[0].type, "elf");
        CHECK(t->modules[0].image_addr == 0x5600000000 && t->modules[0].image_size == 8192);
        CHECK_STR(t->modules[1].build_id, "abcd");
        CHECK(t->modules[1].image_addr == 139637976727552u && t->modules[1].image_size == 0x1000);
        CHECK_STR(t->modules[1].debug_file, "");
    }
    CHECK_INT(t->exception_count, 1);
    const uv_trace_exception *e = &t->exceptions[0];
    CHECK_INT(e->frame_count, 4);
    if (e->frame_count == 4) {
        CHECK(e->frames[0].has_address && e->frames[0].address == 0x5600001000);
        CHECK_STR(e->frames[0].function, "crash");
        CHECK(e->frames[1].address == 139637976727552u + 0x10);
        CHECK_STR(e->frames[1].module, "/lib/libc.so.6");
        CHECK_INT(e->frames[1].adjust, UV_TRACE_ADJUST_NO);
        CHECK(e->frames[2].address == 12345);
        CHECK(!e->frames[3].has_address);
        CHECK(e->frames[0].json != NULL);
    }
    uv_trace_free(t);
}

TEST(native_sentry_event)
{
    uv_trace *t = parse_string(
        "{\"release\": \"app@1.2\", \"platform\": \"native\",\n"
        " \"exception\": {\"values\": [{\"type\": \"SIGSEGV\", \"value\": \"Segfault\",\n"
        "   \"stacktrace\": {\"frames\": [{\"instruction_addr\": \"0x100\"},\n"
        "                                {\"instruction_addr\": \"0x200\"}]}}]},\n"
        " \"debug_meta\": {\"images\": [{\"type\": \"elf\", \"code_file\": \"/a\",\n"
        "   \"image_addr\": \"0x0\", \"image_size\": 4096}]}}");
    if (!t) return;
    CHECK_INT(t->kind, UV_TRACE_NATIVE);
    CHECK_STR(t->version, "app@1.2");
    CHECK_INT(t->module_count, 1);
    CHECK_INT(t->exception_count, 1);
    if (t->exception_count == 1 && t->exceptions[0].frame_count == 2) {
        CHECK_STR(t->exceptions[0].exception_class, "SIGSEGV");
        CHECK_STR(t->exceptions[0].message, "Segfault");
        /* Sentry lists the caller first: the crashing frame comes first in the model. */
        CHECK(t->exceptions[0].frames[0].address == 0x200);
        CHECK(t->exceptions[0].frames[1].address == 0x100);
    }
    uv_trace_free(t);
}

static const struct {
    const char *input;
    int code;
    const char *message;
} native_errors[] = {
    {"{\"modules\": [{\"image_addr\": \"zz\"}]}", UV_EINVALID,
     "symbolicator request: modules[0].image_addr: \"zz\" is not an address"},
    {"{\"modules\": [{\"image_addr\": -5}]}", UV_EINVALID, "modules[0].image_addr: negative"},
    {"{\"modules\": [{\"image_addr\": \"0x1\", \"code_id\": \"xyz\"}]}", UV_EINVALID,
     "modules[0].code_id: \"xyz\" is not a hex build-id"},
    {"{\"modules\": [{\"image_addr\": \"0xffffffffffffff00\", \"image_size\": 4096}]}", UV_EINVALID,
     "image_addr + image_size overflows"},
    {"{\"modules\": 3}", UV_EINVALID, "modules is not an array"},
    {"{\"stacktraces\": [{\"frames\": [{\"instruction_addr\": true}]}]}", UV_EINVALID,
     "stacktraces[0].frames[0].instruction_addr: expected a hex string"},
    {"{\"stacktraces\": [{\"frames\": [{\"instruction_addr\": \"0x1\", \"addr_mode\": "
     "\"rel:0\"}]}]}",
     UV_EINVALID, "addr_mode: expected \"abs\" or \"rel:N\" with N below the 0 modules"},
    {"{\"stacktraces\": [{\"frames\": [{\"instruction_addr\": \"0x1\", "
     "\"adjust_instruction_addr\": 1}]}]}",
     UV_EINVALID, "adjust_instruction_addr: expected true or false"},
    {"{\"stacktraces\": [3]}", UV_EINVALID, "stacktraces[0] is not an object"},
    {"{\"exception\": {\"values\": [{\"stacktrace\": {\"frames\": {}}}]}}", UV_EINVALID,
     "sentry event: exception.values[0].stacktrace.frames is not an array"},
    {"{\"exception\": 5}", UV_EINVALID, "sentry event: exception is not an object"},
};

TEST(native_payload_errors)
{
    for (size_t i = 0; i < sizeof native_errors / sizeof native_errors[0]; i++) {
        uv_trace *t = (uv_trace *)1;
        int rc = uv_trace_parse(&t, native_errors[i].input, strlen(native_errors[i].input));
        CHECK_INT(rc, native_errors[i].code);
        CHECK(t == NULL);
        CHECK_CONTAINS(uv_error_last()->message, native_errors[i].message);
    }
}

int main(void)
{
    RUN(frame_line_shapes);
    RUN(frame_line_borrows_and_scratch);
    RUN(node_uncaught_preamble);
    RUN(node_async);
    RUN(node_class_methods_two_traces);
    RUN(node_eval);
    RUN(node_promise_all);
    RUN(node_esm);
    RUN(node_cause);
    RUN(browser_texts);
    RUN(text_grouping);
    RUN(text_errors);
    RUN(rollbar_browser_trace);
    RUN(rollbar_node_trace_chain);
    RUN(rollbar_message_only);
    RUN(rollbar_version_precedence);
    RUN(rollbar_positions);
    RUN(raygun_node);
    RUN(raygun_js_case_insensitive);
    RUN(raygun_inner_depth);
    RUN(json_errors);
    RUN(native_frame_lines);
    RUN(native_text_trace);
    RUN(native_symbolicator_request);
    RUN(native_sentry_event);
    RUN(native_payload_errors);
    TEST_MAIN_END();
}
