/* Differential fuzz target for formats/jv.c against jansson: both must accept or both reject
 * the input (jansson with JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, jv with its default
 * limits, which are jansson's). When both accept:
 *   - the tree is consistent: parent links, member counts, spans that start with the value's
 *     first character, numbers' text equal to their span, strings without NULs, every key
 *     found again by uv_jv_get and uv_jv_get_ci;
 *   - uv_jv_write's text loads in jansson equal to jansson's own tree, and is byte-identical
 *     to json_dumps(JSON_COMPACT) when the document holds no number;
 *   - the root's span parses alone to the same text;
 *   - after removing the first member and replacing the next with a string in both trees,
 *     the written text still loads equal to the edited jansson tree.
 * Any disagreement aborts. */
#include "formats/error.h"
#include "formats/jv.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JANSSON_FLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)

static void fail(const char *what, const uint8_t *data, size_t size)
{
    fprintf(stderr, "jv_fuzzer: %s\ninput (%zu bytes): %.*s\n", what, size,
            (int)(size > 2000 ? 2000 : size), (const char *)data);
    abort();
}

static bool ascii_case_equal(const char *a, const char *b, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z') x += 32;
        if (y >= 'A' && y <= 'Z') y += 32;
        if (x != y) return false;
    }
    return true;
}

/* Walks the tree without recursion; returns whether it holds a number. */
static bool check_tree(const uv_jv_doc *doc, const uint8_t *data, size_t size)
{
    bool numbers = false;
    const uv_jv *v = doc->root;
    if (v->parent || v->key || v->next) fail("root has a parent, key or sibling", data, size);
    for (;;) {
        if (v->start >= v->end || v->end > size) fail("bad span", data, size);
        unsigned char c = data[v->start];
        switch (v->type) {
        case UV_JV_NULL:
            if (v->end - v->start != 4 || c != 'n') fail("null span", data, size);
            break;
        case UV_JV_FALSE:
            if (v->end - v->start != 5 || c != 'f') fail("false span", data, size);
            break;
        case UV_JV_TRUE:
            if (v->end - v->start != 4 || c != 't') fail("true span", data, size);
            break;
        case UV_JV_INTEGER:
        case UV_JV_REAL:
            numbers = true;
            if (!v->str || v->len != v->end - v->start ||
                memcmp(v->str, data + v->start, v->len) != 0)
                fail("number text differs from its span", data, size);
            if (v->type == UV_JV_INTEGER && v->real != (double)v->integer)
                fail("integer's real differs", data, size);
            break;
        case UV_JV_STRING:
            if (c != '"' || data[v->end - 1] != '"') fail("string span", data, size);
            if (!v->str || strlen(v->str) != v->len) fail("string length", data, size);
            break;
        case UV_JV_ARRAY:
        case UV_JV_OBJECT: {
            if (c != (v->type == UV_JV_ARRAY ? '[' : '{') ||
                data[v->end - 1] != (v->type == UV_JV_ARRAY ? ']' : '}'))
                fail("container span", data, size);
            uint32_t count = 0;
            for (const uv_jv *m = v->first; m; m = m->next) {
                count++;
                if (m->parent != v) fail("member's parent", data, size);
                if (m->start < v->start || m->end > v->end) fail("member outside", data, size);
                if (v->type == UV_JV_ARRAY && m->key) fail("element with a key", data, size);
                if (v->type == UV_JV_OBJECT) {
                    if (!m->key || strlen(m->key) != m->key_len) fail("key", data, size);
                    if (uv_jv_get(v, m->key) != m) fail("uv_jv_get", data, size);
                    const uv_jv *ci = uv_jv_get_ci(v, m->key);
                    if (!ci || ci->key_len != m->key_len ||
                        !ascii_case_equal(ci->key, m->key, m->key_len))
                        fail("uv_jv_get_ci", data, size);
                }
                if (m->next && m->next->start < m->end) fail("members out of order", data, size);
            }
            if (count != v->len) fail("member count", data, size);
            if (v->first) {
                v = v->first;
                continue;
            }
            break;
        }
        default:
            fail("unknown type", data, size);
        }
        while (v != doc->root && !v->next)
            v = v->parent;
        if (v == doc->root) return numbers;
        v = v->next;
    }
}

/* uv_jv_write of the root must load in jansson equal to `want`. */
static void check_written(const uv_jv *root, const json_t *want, const uint8_t *data, size_t size,
                          uv_buf *out)
{
    out->len = 0;
    if (uv_jv_write(out, root) != 0) fail("uv_jv_write failed", data, size);
    json_error_t err;
    json_t *back = json_loadb((const char *)out->data, out->len, JANSSON_FLAGS, &err);
    if (!back) {
        fprintf(stderr, "written: %.*s\njansson: %s\n", (int)out->len, (const char *)out->data,
                err.text);
        fail("jansson rejects uv_jv_write's text", data, size);
    }
    if (!json_equal(back, want)) {
        fprintf(stderr, "written: %.*s\n", (int)out->len, (const char *)out->data);
        fail("uv_jv_write's text loads different from jansson's tree", data, size);
    }
    json_decref(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    json_t *j = json_loadb((const char *)data, size, JANSSON_FLAGS, &jerr);
    uv_jv_doc *doc = NULL;
    uv_jv_error err;
    int rc = uv_jv_parse(&doc, (const char *)data, size, NULL, &err);
    if (rc != 0 && doc) fail("a document despite an error", data, size);
    if (rc == UV_ENOMEM) {
        json_decref(j);
        return 0;
    }
    if (!j && rc == 0) {
        fprintf(stderr, "jansson: %s (line %d column %d)\n", jerr.text, jerr.line, jerr.column);
        fail("jv accepts what jansson rejects", data, size);
    }
    if (j && rc != 0) {
        fprintf(stderr, "jv: %s (line %d column %d byte %zu)\n", err.text, err.line, err.column,
                err.position);
        fail("jv rejects what jansson accepts", data, size);
    }
    if (!j) {
        if (err.position > size || err.line < 1 || err.column < 1 || !err.text[0])
            fail("error without a position or text", data, size);
        return 0;
    }

    bool numbers = check_tree(doc, data, size);
    uv_buf out = UV_BUF_INIT;
    check_written(doc->root, j, data, size, &out);
    if (!numbers) {
        char *dumped = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!dumped) abort();
        if (strlen(dumped) != out.len || memcmp(dumped, out.data, out.len) != 0) {
            fprintf(stderr, "jansson: %s\njv:      %.*s\n", dumped, (int)out.len,
                    (const char *)out.data);
            fail("uv_jv_write differs from json_dumps", data, size);
        }
        free(dumped);
    }

    /* The root's span alone parses to the same text. */
    uv_jv_doc *again = NULL;
    const uv_jv *root = doc->root;
    if (uv_jv_parse(&again, (const char *)data + root->start, root->end - root->start, NULL,
                    NULL) != 0)
        fail("the root's span does not parse", data, size);
    uv_buf out2 = UV_BUF_INIT;
    if (uv_jv_write(&out2, again->root) != 0 || out2.len != out.len ||
        memcmp(out2.data, out.data, out.len) != 0)
        fail("the root's span writes differently", data, size);
    uv_buf_free(&out2);
    uv_jv_free(again);

    /* Edits in both trees. */
    uv_jv *first = doc->root->first;
    if (first) {
        uv_jv *second = first->next;
        if (json_is_object(j)) {
            json_object_del(j, first->key);
            if (second) json_object_set_new(j, second->key, json_string("x\"\n\xc3\xa9"));
        } else {
            json_array_remove(j, 0);
            if (second) json_array_set_new(j, 0, json_string("x\"\n\xc3\xa9"));
        }
        uint32_t len = doc->root->len;
        uv_jv_remove(doc, first);
        if (doc->root->len != len - 1 || !doc->modified) fail("uv_jv_remove", data, size);
        if (second && uv_jv_set_string(doc, second, "x\"\n\xc3\xa9", 5) != 0)
            fail("uv_jv_set_string", data, size);
        check_written(doc->root, j, data, size, &out);
    }
    if (uv_jv_set_string(doc, doc->root, "", 0) != 0) fail("uv_jv_set_string", data, size);
    out.len = 0;
    if (uv_jv_write(&out, doc->root) != 0 || out.len != 2) fail("root set to \"\"", data, size);

    uv_buf_free(&out);
    uv_jv_free(doc);
    json_decref(j);
    return 0;
}
