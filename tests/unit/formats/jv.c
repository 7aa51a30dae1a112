/* formats/jv: accepts and rejects exactly what jansson's json_loadb(JSON_DECODE_ANY |
 * JSON_REJECT_DUPLICATES) does (every case is checked against jansson too), spans, lookups,
 * replacing and removing values, the writer against json_dumps(JSON_COMPACT), large objects
 * (duplicate keys found in O(n log n)), the depth limit, and error positions. */
#include "formats/error.h"
#include "formats/jsonw.h"
#include "formats/jv.h"
#include "test.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JANSSON_FLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)

typedef struct {
    const char *text;
    size_t len;
} sample;

#define S(literal)                                                                                 \
    {                                                                                              \
        literal, sizeof literal - 1                                                                \
    }

static bool jansson_accepts(const char *text, size_t len)
{
    json_t *v = json_loadb(text, len, JANSSON_FLAGS, NULL);
    json_decref(v);
    return v != NULL;
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The written text of a value. */
static char *written(const uv_jv *v)
{
    uv_buf out = UV_BUF_INIT;
    CHECK_INT(uv_jv_write(&out, v), 0);
    CHECK_INT(uv_buf_append(&out, "", 1), 0);
    return (char *)out.data;
}

TEST(accepts)
{
    static const sample valid[] = {
        S("0"),
        S("-0"),
        S("1"),
        S("-1"),
        S("9223372036854775807"),
        S("-9223372036854775808"),
        S("1.5"),
        S("-0.0"),
        S("1e5"),
        S("1E-5"),
        S("0.1e+2"),
        S("1e-400"), /* underflows to 0: jansson accepts it */
        S("1.7976931348623157e308"),
        S("true"),
        S("false"),
        S("null"),
        S("\"\""),
        S("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\""),
        S("\"\\u00e9\\u4E2D\\ud83d\\ude00\\uDBFF\\uDFFF\""),
        S("\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xef\xbf\xbf\""),
        S("\"\x7f\""),
        S(" \t\r\n[ ] \n"),
        S("{}"),
        S("[]"),
        S("{\"\":1}"),
        S("[[[]]]"),
        S("{ \"a\" : { \"b\" : [ 1 , { \"c\" : null } ] } , \"A\" : 2 }"),
        S("{\"a\":1,\"b\":{\"a\":2}}"),    /* the same key in different objects */
        S("{\"a\\u0062\":1,\"ab\\n\":2}"), /* distinct once decoded */
        /* jansson loses a NUL right after a number or a literal (pushed back by its lexer) */
        S("1\0"),
        S("true\0 "),
        S("[null\0,-1.5e3\0, false\0]"),
    };
    for (size_t i = 0; i < sizeof valid / sizeof *valid; i++) {
        uv_jv_doc *doc = NULL;
        uv_jv_error err;
        int rc = uv_jv_parse(&doc, valid[i].text, valid[i].len, NULL, &err);
        if (rc) printf("  rejected %s: %s\n", valid[i].text, err.text);
        CHECK_INT(rc, 0);
        CHECK(jansson_accepts(valid[i].text, valid[i].len));
        if (doc) {
            CHECK(doc->root != NULL);
            CHECK_INT(doc->root->start, strspn(valid[i].text, " \t\r\n"));
            CHECK(!doc->modified);
        }
        uv_jv_free(doc);
    }
}

TEST(rejects)
{
    static const struct {
        sample s;
        const char *error;
    } invalid[] = {
        {S(""), "premature end of input"},
        {S("  \n"), "premature end of input"},
        {S("["), "premature end of input"},
        {S("{"), "string or '}' expected"},
        {S("[1"), "premature end of input"},
        {S("[1,]"), "unexpected token"},
        {S("{\"a\":1,}"), "string expected"},
        {S("{\"a\" 1}"), "':' expected"},
        {S("{\"a\":1 \"b\":2}"), "'}' expected"},
        {S("[1 2]"), "']' expected"},
        {S("{1:2}"), "string or '}' expected"},
        {S("01"), "invalid token"},
        {S("-01"), "invalid token"},
        {S("-"), "invalid token"},
        {S("- 1"), "invalid token"},
        {S("1."), "invalid token"},
        {S("1.e5"), "invalid token"},
        {S("1e"), "invalid token"},
        {S("1e+"), "invalid token"},
        {S(".5"), "'[' or '{' expected"},
        {S("+1"), "'[' or '{' expected"},
        {S("0x10"), "end of file expected"},
        {S("tru"), "invalid token"},
        {S("nul"), "invalid token"},
        {S("True"), "'[' or '{' expected"},
        {S("truex"), "end of file expected"},
        {S("NaN"), "'[' or '{' expected"},
        {S("1 2"), "end of file expected"},
        {S("[1]x"), "end of file expected"},
        {S("[1]]"), "end of file expected"},
        {S("'a'"), "'[' or '{' expected"},
        {S("\"abc"), "premature end of input"},
        {S("\"abc\\"), "premature end of input"},
        {S("\"a\\x\""), "invalid escape"},
        {S("\"a\\U0041\""), "invalid escape"},
        {S("\"\\u12\""), "invalid escape"},
        {S("\"\\u12g4\""), "invalid escape"},
        {S("\"\\u0000\""), "\\u0000 is not allowed"},
        {S("{\"a\\u0000\":1}"), "\\u0000 is not allowed"},
        {S("\"\\ud800\""), "invalid Unicode '\\uD800'"},
        {S("\"\\udc00\""), "invalid Unicode '\\uDC00'"},
        {S("\"\\udfff\\ud800\""), "invalid Unicode '\\uDFFF'"},
        {S("\"\\ud800\\u0041\""), "invalid Unicode '\\uD800\\u0041'"},
        {S("\"\\ud800\\ud800\""), "invalid Unicode '\\uD800\\uD800'"},
        {S("\"\\ud800x\""), "invalid Unicode '\\uD800'"},
        {S("\"\\ud800\\n\""), "invalid Unicode '\\uD800'"},
        {S("\"\\ud800\\u12\""), "invalid escape"},
        {S("\"a\x01\""), "control character 0x1 in string"},
        {S("\"a\x1f\""), "control character 0x1f in string"},
        {S("\"a\tb\""), "control character 0x9 in string"},
        {S("\"a\nb\""), "unexpected newline"},
        {S("\"a\0b\""), "control character 0x0 in string"},
        {S("[\0]"), "unexpected token"},
        {S("[1]\0"), "end of file expected"},
        {S("1\0\0"), "end of file expected"},
        {S("[1 \0]"), "']' expected"},
        {S("\"a\"\0"), "end of file expected"},
        {S("{\"a\":{}\0}"), "'}' expected"},
        {S("\"\xff\""), "unable to decode byte 0xff"},
        {S("\"\x80\""), "unable to decode byte 0x80"},             /* a lone continuation byte */
        {S("\"\xc0\x80\""), "unable to decode byte 0xc0"},         /* overlong NUL */
        {S("\"\xc1\xbf\""), "unable to decode byte 0xc1"},         /* overlong 2-byte */
        {S("\"\xe0\x80\xaf\""), "unable to decode byte 0xe0"},     /* overlong 3-byte */
        {S("\"\xf0\x80\x80\xaf\""), "unable to decode byte 0xf0"}, /* overlong 4-byte */
        {S("\"\xed\xa0\x80\""), "unable to decode byte 0xed"},     /* U+D800 in UTF-8 */
        {S("\"\xed\xbf\xbf\""), "unable to decode byte 0xed"},     /* U+DFFF in UTF-8 */
        {S("\"\xf4\x90\x80\x80\""), "unable to decode byte 0xf4"}, /* U+110000 */
        {S("\"\xf5\x80\x80\x80\""), "unable to decode byte 0xf5"},
        {S("\"\xe2\x82\""), "unable to decode byte 0xe2"}, /* truncated */
        {S("\"\xe2\x82"), "unable to decode byte 0xe2"},   /* truncated at the end */
        {S("\"\xf0\x9f\x98"), "unable to decode byte 0xf0"},
        {S("\"\xc3\x28\""), "unable to decode byte 0xc3"},
        {S("\xef\xbb\xbf[]"), "'[' or '{' expected"}, /* a byte order mark */
        {S("[] \xff"), "unable to decode byte 0xff"},
        {S("9223372036854775808"), "too big integer"},
        {S("-9223372036854775809"), "too big negative integer"},
        {S("123456789012345678901234567890"), "too big integer"},
        {S("1e400"), "real number overflow"},
        {S("-1e400"), "real number overflow"},
        {S("[1.8e308]"), "real number overflow"},
        {S("{\"a\":1,\"a\":2}"), "duplicate object key"},
        {S("{\"a\":1,\"b\":{},\"\\u0061\":2}"), "duplicate object key"},
        {S("{\"\":1,\"\":2}"), "duplicate object key"},
        {S("{\"x\":{\"k\":[],\"k\":null}}"), "duplicate object key"},
    };
    for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++) {
        uv_jv_doc *doc = (uv_jv_doc *)&doc; /* must come back NULL */
        uv_jv_error err;
        int rc = uv_jv_parse(&doc, invalid[i].s.text, invalid[i].s.len, NULL, &err);
        if (rc != UV_EINVALID) printf("  accepted case %zu: %s\n", i, invalid[i].s.text);
        CHECK_INT(rc, UV_EINVALID);
        CHECK(doc == NULL);
        CHECK(!jansson_accepts(invalid[i].s.text, invalid[i].s.len));
        if (rc == UV_EINVALID) {
            CHECK_CONTAINS(err.text, invalid[i].error);
            CHECK(err.line >= 1 && err.column >= 1 && err.position <= invalid[i].s.len);
            CHECK_INT(uv_error_last()->code, UV_EINVALID);
            CHECK_INT(uv_error_last()->lib, UV_LIB_JSON);
            CHECK_CONTAINS(uv_error_last()->message, invalid[i].error);
        }
    }
    /* error may be NULL */
    uv_jv_doc *doc;
    CHECK_INT(uv_jv_parse(&doc, "[", 1, NULL, NULL), UV_EINVALID);
}

TEST(error_position)
{
    const char *text = "{\n  \"a\": tru\n}";
    uv_jv_doc *doc;
    uv_jv_error err;
    CHECK_INT(uv_jv_parse(&doc, text, strlen(text), NULL, &err), UV_EINVALID);
    CHECK_INT(err.line, 2);
    CHECK_INT(err.column, 8);
    CHECK_INT(err.position, 9);
    CHECK_STR(err.text, "invalid token");
    CHECK_STR(uv_error_last()->message, "JSON: line 2 column 8 (byte 9): invalid token");

    text = "[\"\xc3\xa9\xc3\xa9\", x]"; /* columns count characters, as jansson's do */
    CHECK_INT(uv_jv_parse(&doc, text, strlen(text), NULL, &err), UV_EINVALID);
    CHECK_INT(err.line, 1);
    CHECK_INT(err.column, 8);
    CHECK_INT(err.position, 9);
}

TEST(tree_and_spans)
{
    const char *text = " {\"a\": [1, -2.50e1, 9223372036854775807], \"s\" : \"x\\ny\\u00e9\","
                       " \"t\":true, \"f\":false, \"n\":null, \"o\":{}} ";
    uv_jv_doc *doc;
    CHECK_INT(uv_jv_parse(&doc, text, strlen(text), NULL, NULL), 0);
    if (!doc) return;
    CHECK(doc->text == text);
    CHECK_INT(doc->text_len, strlen(text));
    const uv_jv *root = doc->root;
    CHECK(uv_jv_is(root, UV_JV_OBJECT));
    CHECK_INT(root->len, 6);
    CHECK_INT(root->start, 1);
    CHECK_INT(root->end, strlen(text) - 1);
    CHECK(root->parent == NULL && root->key == NULL && root->next == NULL);

    const uv_jv *a = uv_jv_get(root, "a");
    CHECK(uv_jv_is(a, UV_JV_ARRAY));
    CHECK(a == root->first && a->parent == root);
    CHECK_INT(a->len, 3);
    CHECK_INT(a->key_len, 1);
    CHECK_STR(a->key, "a");
    CHECK_INT(a->end - a->start, strlen("[1, -2.50e1, 9223372036854775807]"));
    CHECK(memcmp(text + a->start, "[1, -2.50e1, ", 13) == 0);
    const uv_jv *one = a->first, *real = one->next, *big = real->next;
    CHECK(uv_jv_is(one, UV_JV_INTEGER) && one->integer == 1 && one->real == 1.0);
    CHECK(one->key == NULL && one->parent == a);
    CHECK(uv_jv_is(real, UV_JV_REAL) && real->real == -25.0);
    CHECK(uv_jv_is_number(real) && !uv_jv_is_number(a));
    CHECK_INT(real->end - real->start, 7);
    CHECK(memcmp(text + real->start, "-2.50e1", 7) == 0);
    CHECK_INT(big->integer, INT64_MAX);
    CHECK(big->next == NULL);

    const uv_jv *s = uv_jv_get(root, "s");
    CHECK_STR(uv_jv_string(s), "x\ny\xc3\xa9");
    CHECK_INT(s->len, 5);
    CHECK_INT(s->end - s->start, strlen("\"x\\ny\\u00e9\""));
    CHECK(text[s->start] == '"' && text[s->end - 1] == '"');
    CHECK(uv_jv_string(a) == NULL);
    CHECK(uv_jv_is(uv_jv_get(root, "t"), UV_JV_TRUE));
    CHECK(uv_jv_is(uv_jv_get(root, "f"), UV_JV_FALSE));
    CHECK(uv_jv_is(uv_jv_get(root, "n"), UV_JV_NULL));
    const uv_jv *o = uv_jv_get(root, "o");
    CHECK(uv_jv_is(o, UV_JV_OBJECT) && o->len == 0 && o->first == NULL);
    CHECK_INT(o->end - o->start, 2);
    uv_jv_free(doc);
    uv_jv_free(NULL);
}

TEST(get)
{
    const char *text =
        "{\"Message\":1,\"message\":2,\"Details\":{\"Error\":3},\"\":4,\"MESSAGEx\":5}";
    uv_jv_doc *doc;
    CHECK_INT(uv_jv_parse(&doc, text, strlen(text), NULL, NULL), 0);
    if (!doc) return;
    const uv_jv *root = doc->root;
    CHECK_INT(uv_jv_get(root, "Message")->integer, 1);
    CHECK_INT(uv_jv_get(root, "message")->integer, 2);
    CHECK_INT(uv_jv_get(root, "")->integer, 4);
    CHECK(uv_jv_get(root, "MESSAGE") == NULL);
    CHECK(uv_jv_get(root, "Messag") == NULL);
    CHECK_INT(uv_jv_get_ci(root, "MESSAGE")->integer, 1); /* first in text order */
    CHECK_INT(uv_jv_get_ci(root, "message")->integer, 1);
    CHECK_INT(uv_jv_get_ci(root, "messagex")->integer, 5);
    CHECK_INT(uv_jv_get_ci(uv_jv_get_ci(root, "details"), "ERROR")->integer, 3);
    CHECK(uv_jv_get_ci(root, "messag") == NULL);
    CHECK(uv_jv_get(NULL, "a") == NULL && uv_jv_get_ci(NULL, "a") == NULL);
    CHECK(uv_jv_get(root->first, "a") == NULL); /* not an object */
    uv_jv_free(doc);

    /* removing members while walking them */
    text = "{\"a\":1,\"drop1\":2,\"drop2\":3,\"b\":4,\"drop3\":5}";
    CHECK_INT(uv_jv_parse(&doc, text, strlen(text), NULL, NULL), 0);
    for (uv_jv *m = doc->root->first; m; m = m->next)
        if (strncmp(m->key, "drop", 4) == 0) uv_jv_remove(doc, m);
    CHECK_INT(doc->root->len, 2);
    char *out = written(doc->root);
    CHECK_STR(out, "{\"a\":1,\"b\":4}");
    free(out);
    uv_jv_free(doc);

    /* non-ASCII keys compare byte for byte, case-insensitively only in ASCII */
    text = "{\"\xc3\x89t\xc3\xa9\":1}";
    CHECK_INT(uv_jv_parse(&doc, text, strlen(text), NULL, NULL), 0);
    CHECK(uv_jv_get_ci(doc->root, "\xc3\x89T\xc3\xa9") != NULL);
    CHECK(uv_jv_get_ci(doc->root, "\xc3\xa9t\xc3\xa9") == NULL);
    uv_jv_free(doc);
}

TEST(set_string_and_remove)
{
    const char *text = "{\"a\":1,\"b\":[1,2,{\"c\":\"x\"}],\"password\":\"hunter2\",\"n\":1.50,"
                       "\"arr\":[10,20,30]}";
    uv_jv_doc *doc;
    CHECK_INT(uv_jv_parse(&doc, text, strlen(text), NULL, NULL), 0);
    if (!doc) return;
    uv_jv *root = doc->root;
    char *out = written(root);
    CHECK_STR(out, text);
    free(out);

    uv_jv *password = uv_jv_get(root, "password");
    CHECK_INT(uv_jv_set_string(doc, password, "[scrubbed]", 10), 0);
    CHECK(doc->modified);
    CHECK_INT(password->start, 0);
    CHECK_INT(password->end, 0);
    CHECK_STR(uv_jv_string(password), "[scrubbed]");
    CHECK_INT(password->len, 10);
    CHECK_STR(password->key, "password");

    uv_jv *b = uv_jv_get(root, "b");
    CHECK_INT(uv_jv_set_string(doc, b, "say \"hi\"\n", 9), 0);
    CHECK(uv_jv_is(b, UV_JV_STRING) && b->first == NULL);
    uv_jv *n = uv_jv_get(root, "n");
    CHECK_INT(uv_jv_set_string(doc, n, "1.5", 3), 0); /* a number turned string is a string */
    out = written(root);
    CHECK_STR(out, "{\"a\":1,\"b\":\"say \\\"hi\\\"\\n\",\"password\":\"[scrubbed]\",\"n\":\"1.5\","
                   "\"arr\":[10,20,30]}");
    free(out);

    uv_jv_remove(doc, uv_jv_get(root, "a")); /* the first */
    CHECK_INT(root->len, 4);
    uv_jv *arr = uv_jv_get(root, "arr");
    uv_jv_remove(doc, arr->first->next); /* a middle element */
    CHECK_INT(arr->len, 2);
    uv_jv_remove(doc, arr->first->next); /* the last */
    CHECK_INT(arr->len, 1);
    uv_jv_remove(doc, password);
    uv_jv_remove(doc, password); /* twice: nothing more happens */
    CHECK_INT(root->len, 3);
    out = written(root);
    CHECK_STR(out, "{\"b\":\"say \\\"hi\\\"\\n\",\"n\":\"1.5\",\"arr\":[10]}");
    free(out);
    uv_jv_remove(doc, arr->first);
    out = written(root);
    CHECK_STR(out, "{\"b\":\"say \\\"hi\\\"\\n\",\"n\":\"1.5\",\"arr\":[]}");
    free(out);
    out = written(arr);
    CHECK_STR(out, "[]");
    free(out);
    uv_jv_remove(doc, root); /* the root has no parent: nothing happens */
    CHECK_INT(root->len, 3);

    CHECK_INT(uv_jv_set_string(doc, root, "", 0), 0); /* the whole document */
    out = written(root);
    CHECK_STR(out, "\"\"");
    free(out);
    uv_jv_free(doc);
}

static void same_as_jansson(const char *text)
{
    json_t *j = json_loads(text, JANSSON_FLAGS, NULL);
    CHECK(j != NULL);
    uv_jv_doc *doc;
    CHECK_INT(uv_jv_parse(&doc, text, strlen(text), NULL, NULL), 0);
    if (!j || !doc) return;
    char *want = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    char *got = written(doc->root);
    if (strcmp(want, got) != 0) printf("  want %s\n  got  %s\n", want, got);
    CHECK_STR(got, want);
    /* a member written alone is written the same way too */
    if (doc->root->first && json_is_object(j)) {
        char *member =
            json_dumps(json_object_get(j, doc->root->first->key), JSON_COMPACT | JSON_ENCODE_ANY);
        char *mine = written(doc->root->first);
        CHECK_STR(mine, member);
        free(mine);
        free(member);
    }
    free(got);
    free(want);
    uv_jv_free(doc);
    json_decref(j);
}

TEST(writer_matches_jansson)
{
    same_as_jansson("{}");
    same_as_jansson("[]");
    same_as_jansson("null");
    same_as_jansson(" [ true , false , null , 0 , -1 , 9223372036854775807 ] ");
    same_as_jansson("[1.5,-0.25,0.5,100.0]"); /* reals jansson writes as given */
    same_as_jansson("\"tab\\there \\\"quoted\\\" back\\\\slash \\/ \\b\\f\\n\\r \\u0001\\u001f\"");
    same_as_jansson("\"caf\\u00e9 \\u4e2d\\u6587 \\ud83d\\ude00 \\u2028 \xe2\x82\xac \x7f\"");
    same_as_jansson("{\"z\":1,\"a\":{\"m\":[1,{\"k\":\"v\"},[]],\"b\":{}},\"\\n\\u001b\":\"key\"}");
    same_as_jansson(
        "{\"data\":{\"environment\":\"production\",\"body\":{\"trace\":{\"frames\":[{\"filename\":"
        "\"https://x/a.js\",\"lineno\":1,\"colno\":48213,\"method\":\"r\"}],\"exception\":{"
        "\"class\":\"TypeError\",\"message\":\"Cannot read properties of undefined (reading "
        "'x')\"}}},\"request\":{\"headers\":{\"User-Agent\":\"Mozilla/5.0\"}}}}");
}

TEST(numbers_as_written)
{
    const char *text = "[1e5,1E+05,-0,-0.0,0.10,1e-400,12345678901234567890e-10]";
    uv_jv_doc *doc;
    CHECK_INT(uv_jv_parse(&doc, text, strlen(text), NULL, NULL), 0);
    if (!doc) return;
    char *out = written(doc->root);
    CHECK_STR(out, text);
    free(out);
    const uv_jv *v = doc->root->first;
    CHECK(v->type == UV_JV_REAL && v->real == 1e5);
    v = v->next->next;
    CHECK(v->type == UV_JV_INTEGER && v->integer == 0);
    v = v->next->next->next;
    CHECK(v->type == UV_JV_REAL && v->real == 0.0);
    uv_jv_free(doc);
}

/* "{"k0":0,"k1":1,...}" with `count` keys; with `duplicate` the last key repeats the first. */
static char *big_object(int count, bool duplicate, size_t *len)
{
    uv_buf b = UV_BUF_INIT;
    uv_buf_append(&b, "{", 1);
    for (int i = 0; i < count; i++)
        uv_buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", duplicate && i == count - 1 ? 0 : i, i);
    uv_buf_append(&b, "}", 1);
    *len = b.len;
    return (char *)b.data;
}

TEST(large_objects)
{
    enum { N = 100000 };
    size_t len;
    char *text = big_object(N, false, &len);
    uv_jv_doc *doc;
    double t0 = seconds();
    CHECK_INT(uv_jv_parse(&doc, text, len, NULL, NULL), 0);
    double t1 = seconds();
    printf("  100,000 unique keys: %.1f ms\n", (t1 - t0) * 1e3);
    CHECK(t1 - t0 < 2.0); /* quadratic checking would take minutes */
    if (doc) {
        CHECK_INT(doc->root->len, N);
        CHECK_INT(uv_jv_get(doc->root, "k99999")->integer, 99999);
    }
    uv_jv_free(doc);
    free(text);

    text = big_object(N, true, &len);
    uv_jv_error err;
    t0 = seconds();
    CHECK_INT(uv_jv_parse(&doc, text, len, NULL, &err), UV_EINVALID);
    t1 = seconds();
    CHECK(t1 - t0 < 2.0);
    CHECK_STR(err.text, "duplicate object key");
    CHECK(!jansson_accepts(text, len));
    free(text);

    /* a duplicate between the first members of an object that grows large */
    text = big_object(40, false, &len);
    text[3] = '1'; /* "k0" becomes "k1" */
    CHECK_INT(uv_jv_parse(&doc, text, len, NULL, &err), UV_EINVALID);
    CHECK(!jansson_accepts(text, len));
    text[3] = '0';
    CHECK_INT(uv_jv_parse(&doc, text, len, NULL, &err), 0);
    uv_jv_free(doc);
    free(text);
}

static char *nested(int depth, const char *inner, size_t *len)
{
    size_t n = strlen(inner);
    char *text = malloc(2 * (size_t)depth + n + 1);
    memset(text, '[', (size_t)depth);
    memcpy(text + depth, inner, n);
    memset(text + depth + n, ']', (size_t)depth);
    *len = 2 * (size_t)depth + n;
    text[*len] = '\0';
    return text;
}

TEST(depth_limit)
{
    size_t len;
    uv_jv_doc *doc;
    uv_jv_error err;
    /* jansson counts every value: 2048 arrays, or 2047 arrays around a scalar */
    char *text = nested(2048, "", &len);
    CHECK_INT(uv_jv_parse(&doc, text, len, NULL, NULL), 0);
    CHECK(jansson_accepts(text, len));
    if (doc) {
        char *out = written(doc->root);
        CHECK_STR(out, text);
        free(out);
    }
    uv_jv_free(doc);
    free(text);
    text = nested(2049, "", &len);
    CHECK_INT(uv_jv_parse(&doc, text, len, NULL, &err), UV_ETOOBIG);
    CHECK_STR(err.text, "maximum parsing depth reached");
    CHECK(!jansson_accepts(text, len));
    free(text);
    text = nested(2048, "1", &len);
    CHECK_INT(uv_jv_parse(&doc, text, len, NULL, NULL), UV_ETOOBIG);
    CHECK(!jansson_accepts(text, len));
    free(text);
    text = nested(2047, "{\"a\":1}", &len);
    CHECK_INT(uv_jv_parse(&doc, text, len, NULL, NULL), UV_ETOOBIG);
    CHECK(!jansson_accepts(text, len));
    free(text);

    uv_jv_limits limits = {.max_depth = 3};
    CHECK_INT(uv_jv_parse(&doc, "[[1]]", 5, &limits, NULL), 0);
    uv_jv_free(doc);
    CHECK_INT(uv_jv_parse(&doc, "{\"a\":{\"b\":{}}}", 14, &limits, NULL), 0);
    uv_jv_free(doc);
    CHECK_INT(uv_jv_parse(&doc, "[[[1]]]", 7, &limits, NULL), UV_ETOOBIG);
    CHECK_INT(uv_jv_parse(&doc, "[[[[]]]]", 8, &limits, NULL), UV_ETOOBIG);
    CHECK_INT(uv_error_last()->code, UV_ETOOBIG);

    /* far deeper than the limit fails quickly, without recursion */
    text = nested(1000000, "", &len);
    CHECK_INT(uv_jv_parse(&doc, text, len, NULL, NULL), UV_ETOOBIG);
    limits.max_depth = 1000000;
    CHECK_INT(uv_jv_parse(&doc, text, len, &limits, NULL), 0);
    if (doc) {
        uv_buf out = UV_BUF_INIT;
        CHECK_INT(uv_jv_write(&out, doc->root), 0);
        CHECK(out.len == len && memcmp(out.data, text, len) == 0);
        uv_buf_free(&out);
    }
    uv_jv_free(doc);
    free(text);
}

TEST(write_string)
{
    uv_buf out = UV_BUF_INIT;
    CHECK_INT(uv_jv_write_string(&out, "a\"b\\c/\x01\x1f\x7f\xc3\xa9\b\f\n\r\t", 16), 0);
    CHECK_INT(uv_buf_append(&out, "", 1), 0);
    CHECK_STR((char *)out.data, "\"a\\\"b\\\\c/\\u0001\\u001F\x7f\xc3\xa9\\b\\f\\n\\r\\t\"");
    uv_buf_free(&out);
    CHECK_INT(uv_jv_write(&out, NULL), UV_EINVALID);
}

TEST(rollbar_item_speed)
{
    /* an item shaped like the service's benchmark payload */
    uv_buf b = UV_BUF_INIT;
    uv_buf_append_str(&b, "{\"data\":{\"environment\":\"bench\",\"platform\":\"browser\",\"level\":"
                          "\"error\",\"code_version\":\"1.0.0\",\"uuid\":\"abc-1\",\"body\":{"
                          "\"trace\":{\"exception\":{\"class\":\"TypeError\",\"message\":\"Cannot "
                          "read properties of undefined (reading 'x')\"},\"frames\":[");
    for (int i = 0; i < 20; i++)
        uv_buf_printf(&b,
                      "%s{\"filename\":\"https://bench.example/static/lodash.min.js\",\"lineno\":9,"
                      "\"colno\":%d,\"method\":\"f%d\"}",
                      i ? "," : "", 4010 + i * 37, i);
    uv_buf_append_str(&b, "]}},\"client\":{\"javascript\":{\"browser\":\"Mozilla/5.0 (X11; Linux "
                          "x86_64)\",\"source_map_enabled\":true}},\"timestamp\":1700000000}}");
    enum { N = 2000 };
    double t0 = seconds();
    for (int i = 0; i < N; i++) {
        uv_jv_doc *doc;
        CHECK_INT(uv_jv_parse(&doc, (char *)b.data, b.len, NULL, NULL), 0);
        uv_jv_free(doc);
    }
    double t1 = seconds();
    for (int i = 0; i < N / 10; i++)
        json_decref(json_loadb((char *)b.data, b.len, JANSSON_FLAGS, NULL));
    double t2 = seconds();
    printf("  %zu-byte item: jv %.2f us, jansson %.2f us (this build)\n", b.len,
           (t1 - t0) / N * 1e6, (t2 - t1) / (N / 10) * 1e6);
    uv_buf_free(&b);
}

/* Removing members while walking forward (the scrubber's IP "drop" on a hostile object with
 * 100,000 IP-named keys) stays linear: a quadratic walk would take minutes here. */
TEST(remove_many)
{
    enum { N = 100000 };
    uv_buf text = UV_BUF_INIT;
    CHECK_INT(uv_buf_append(&text, "{", 1), 0);
    for (int i = 0; i < N; i++)
        CHECK_INT(uv_buf_printf(&text, "%s\"k%d\":%d", i ? "," : "", i, i), 0);
    CHECK_INT(uv_buf_append(&text, "}", 1), 0);
    uv_jv_doc *doc = NULL;
    CHECK_INT(uv_jv_parse(&doc, (const char *)text.data, text.len, NULL, NULL), 0);
    if (doc) {
        clock_t start = clock();
        int i = 0;
        for (uv_jv *m = doc->root->first; m; m = m->next, i++)
            if (i % 3 != 0) uv_jv_remove(doc, m);
        double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
        CHECK_INT(doc->root->len, (N + 2) / 3);
        CHECK(seconds < 2.0);
        uv_buf out = UV_BUF_INIT;
        CHECK_INT(uv_jv_write(&out, doc->root), 0);
        CHECK(out.len > 12 && memcmp(out.data, "{\"k0\":0,\"k3\":3,", 15) == 0);
        uv_buf_free(&out);
        uv_jv_free(doc);
    }
    uv_buf_free(&text);
}

int main(void)
{
    RUN(accepts);
    RUN(rejects);
    RUN(error_position);
    RUN(tree_and_spans);
    RUN(get);
    RUN(set_string_and_remove);
    RUN(writer_matches_jansson);
    RUN(numbers_as_written);
    RUN(large_objects);
    RUN(depth_limit);
    RUN(write_string);
    RUN(rollbar_item_speed);
    RUN(remove_many);
    TEST_MAIN_END();
}
