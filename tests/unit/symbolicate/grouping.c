/* symbolicate/grouping: one item for one bug across builds. The fixtures in
 * tests/data/grouping/ (made by make.sh) are shapes.js minified by two terser configurations
 * (different mangled names, inlining and positions) and the traces node printed for each. */
#include "formats/error.h"
#include "symbolicate/grouping.h"
#include "test.h"

#include <stdlib.h>

#define DIR UV_TEST_DATA "/grouping/"

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    char *buf = malloc(1 << 20);
    *len = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    if (buf) buf[*len] = 0;
    fclose(f);
    return buf;
}

/* Fingerprint of `text` resolved against `map` (NULL: no maps at all). */
static void fingerprint_text(const char *text, const char *map, const char *payload_fp,
                             char out[UV_FINGERPRINT_LEN])
{
    out[0] = 0;
    uv_trace *trace = NULL;
    int rc = uv_trace_parse(&trace, text, strlen(text));
    CHECK_INT(rc, 0);
    if (rc) return;
    const char *maps[1] = {map};
    uv_symbolicate_options options = {0};
    options.sourcemap_paths = map ? maps : NULL;
    options.sourcemap_count = map ? 1 : 0;
    uv_symbolicated *result = NULL;
    rc = uv_symbolicate_trace(&result, trace, &options);
    CHECK_INT(rc, 0);
    if (rc == 0) uv_grouping_fingerprint(result, payload_fp, out);
    uv_symbolicated_free(result);
    uv_trace_free(trace);
}

static void fingerprint_file(const char *trace_path, const char *map, char out[UV_FINGERPRINT_LEN])
{
    size_t len;
    char *text = read_all(trace_path, &len);
    CHECK(text != NULL);
    if (text) fingerprint_text(text, map, NULL, out);
    free(text);
}

static bool is_hex64(const char *s)
{
    if (strlen(s) != 64) return false;
    for (size_t i = 0; i < 64; i++)
        if (!strchr("0123456789abcdef", s[i])) return false;
    return true;
}

TEST(two_builds_one_item)
{
    char a[UV_FINGERPRINT_LEN], b[UV_FINGERPRINT_LEN], c[UV_FINGERPRINT_LEN];
    fingerprint_file(DIR "trace-a.txt", DIR "build-a.min.js.map", a);
    fingerprint_file(DIR "trace-b.txt", DIR "build-b.min.js.map", b);
    CHECK(is_hex64(a));
    CHECK_STR(a, b);
    /* Golden: the hash input is versioned; changing it regroups every stored item. This is
     * SHA-256 of "uv-grouping-1\nframes\nTypeError\ncomputeArea\tshapes.js\ntotalArea\t
     * shapes.js\nmain\tshapes.js" (computed with Python's hashlib). */
    CHECK_STR(a, "5581bc6140307fb9213ccaa7a5dcb2b668d637de5cc0fb1239c4ccd49af40c10");

    /* Another error (thrown in totalArea) is another item. */
    fingerprint_file(DIR "trace-c.txt", DIR "build-a.min.js.map", c);
    CHECK(is_hex64(c));
    CHECK(strcmp(a, c) != 0);

    /* The same frames under another class are another item. */
    size_t len;
    char *text = read_all(DIR "trace-a.txt", &len);
    CHECK(text && strncmp(text, "TypeError", 9) == 0);
    if (text) {
        memcpy(text, "RangeErr", 8); /* "RangeErrr: …" keeps the length */
        fingerprint_text(text, DIR "build-a.min.js.map", NULL, c);
        CHECK(strcmp(a, c) != 0);
    }
    free(text);

    /* Without maps, build a's trace groups by its own names: not build b's item. */
    fingerprint_file(DIR "trace-a.txt", NULL, c);
    CHECK(is_hex64(c));
    CHECK(strcmp(a, c) != 0);
}

TEST(unresolved_frames_ignore_positions)
{
    char x[UV_FINGERPRINT_LEN], y[UV_FINGERPRINT_LEN], z[UV_FINGERPRINT_LEN];
    fingerprint_text("Error: boom\n"
                     "    at handler (https://cdn.example.com/app.js?v=1:10:20)\n"
                     "    at dispatch (https://cdn.example.com/app.js?v=1:30:5)\n",
                     NULL, NULL, x);
    fingerprint_text(
        "Error: boom again\n"
        "    at handler (https://other.example.com/static/app.js?v=2:11:99)\n"
        "    at handler (https://other.example.com/static/app.js?v=2:11:99)\n"
        "    at dispatch (https://cdn.example.com/app.js:31:7)\n"
        "    at next (/srv/app/node_modules/express/lib/router.js:1:2)\n"
        "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)\n",
        NULL, NULL, y);
    CHECK_STR(x, y); /* positions, hosts, queries, messages, recursion, library frames aside */
    fingerprint_text("Error: boom\n"
                     "    at handler (https://cdn.example.com/other.js:10:20)\n"
                     "    at dispatch (https://cdn.example.com/app.js:30:5)\n",
                     NULL, NULL, z);
    CHECK(strcmp(x, z) != 0); /* another file */

    /* Only the first UV_GROUPING_FRAMES usable frames count. */
    char text[2048];
    size_t n = (size_t)snprintf(text, sizeof text, "Error: deep\n");
    for (int i = 0; i < UV_GROUPING_FRAMES; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "    at f%d (/app/a.js:%d:1)\n", i, i + 1);
    fingerprint_text(text, NULL, NULL, x);
    snprintf(text + n, sizeof text - n, "    at extra (/app/a.js:99:1)\n");
    fingerprint_text(text, NULL, NULL, y);
    CHECK_STR(x, y);
}

TEST(payload_fingerprint)
{
    char x[UV_FINGERPRINT_LEN], y[UV_FINGERPRINT_LEN], z[UV_FINGERPRINT_LEN];
    fingerprint_file(DIR "trace-a.txt", DIR "build-a.min.js.map", z);
    fingerprint_text("Error: one\n    at f (/a.js:1:1)\n", NULL, "checkout-timeout", x);
    fingerprint_text("Error: two\n    at g (/b.js:1:1)\n", NULL, "checkout-timeout", y);
    CHECK(is_hex64(x));
    CHECK_STR(x, y);
    fingerprint_text("Error: one\n    at f (/a.js:1:1)\n", NULL, "other", y);
    CHECK(strcmp(x, y) != 0);
    CHECK(strcmp(x, z) != 0);
    /* An empty payload fingerprint is no fingerprint. */
    fingerprint_text("Error: one\n    at f (/a.js:1:1)\n", NULL, "", x);
    fingerprint_text("Error: one\n    at f (/a.js:1:1)\n", NULL, NULL, y);
    CHECK_STR(x, y);
}

static void fingerprint_message(const char *level, const char *body, char out[UV_FINGERPRINT_LEN])
{
    char payload[512];
    snprintf(payload, sizeof payload,
             "{\"data\":{\"level\":\"%s\",\"body\":{\"message\":{\"body\":\"%s\"}}}}", level, body);
    fingerprint_text(payload, NULL, NULL, out);
}

TEST(messages)
{
    char x[UV_FINGERPRINT_LEN], y[UV_FINGERPRINT_LEN];
    fingerprint_message("error", "timeout after 1234ms", x);
    fingerprint_message("error", "timeout after 98ms", y);
    CHECK_STR(x, y);
    /* SHA-256 of "uv-grouping-1\nmessage\nerror\n\ntimeout after #ms" (hashlib). */
    CHECK_STR(x, "73a54e2f29300386117e1ee3cf65fde5382c5bf7d910f64f4ae30d852010a913");
    fingerprint_message("warning", "timeout after 98ms", y);
    CHECK(strcmp(x, y) != 0);
    fingerprint_message("error", "timeout before 98ms", y);
    CHECK(strcmp(x, y) != 0);
    fingerprint_message("error", "user 5f3a2b9c not found at 0x7ffde1", x);
    fingerprint_message("error", "user 00aa1 not found at 0X1", y);
    CHECK_STR(x, y);
    fingerprint_message("error", "user bob not found at 0x1", y);
    CHECK(strcmp(x, y) != 0); /* "bob" is a word, not a number */
}

TEST(title)
{
    uv_trace_exception exc = {.exception_class = "TypeError", .message = "x is undefined"};
    uv_trace trace = {.kind = UV_TRACE_TEXT, .exceptions = &exc, .exception_count = 1};
    char out[300];
    uv_grouping_title(&trace, out, sizeof out);
    CHECK_STR(out, "TypeError: x is undefined");

    exc.message = "first line\nsecond line";
    uv_grouping_title(&trace, out, sizeof out);
    CHECK_STR(out, "TypeError: first line");

    char long_message[400];
    memset(long_message, 'm', sizeof long_message - 1);
    long_message[sizeof long_message - 1] = 0;
    exc.message = long_message;
    uv_grouping_title(&trace, out, sizeof out);
    CHECK_INT(strlen(out), strlen("TypeError: ") + 255);

    /* A small buffer cuts before a multi-byte character, never inside it. */
    exc.message = "caf\xc3\xa9 closed";
    char small[17];
    uv_grouping_title(&trace, small, 16); /* room for 15 bytes: é's first byte only */
    CHECK_STR(small, "TypeError: caf");
    uv_grouping_title(&trace, small, 17);
    CHECK_STR(small, "TypeError: caf\xc3\xa9");

    exc.exception_class = "";
    exc.message = "just a message";
    uv_grouping_title(&trace, out, sizeof out);
    CHECK_STR(out, "just a message");
    exc.message = "";
    uv_grouping_title(&trace, out, sizeof out);
    CHECK_STR(out, "(no message)");
    uv_grouping_title(NULL, out, sizeof out);
    CHECK_STR(out, "(no message)");
    uv_grouping_title(&trace, out, 0); /* nothing written, no crash */
}

int main(void)
{
    RUN(two_builds_one_item);
    RUN(unresolved_frames_ignore_positions);
    RUN(payload_fingerprint);
    RUN(messages);
    RUN(title);
    TEST_MAIN_END();
}
