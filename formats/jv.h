/* jv: a fast JSON tree for untrusted payloads on the ingest path.
 *
 * jansson spends ~70 µs on a 2.3 KB Rollbar item (a node and a hashtable entry malloc'd per
 * value, a callback per character); the service must take ≥ 10,000 of them a second on two
 * cores. jv parses the same text in one pass into an arena: nodes are a fixed struct linked
 * as first-child/next-sibling lists, strings are decoded once into the arena, and the whole
 * tree is freed at once. It accepts exactly what jansson's
 * json_loadb(JSON_DECODE_ANY | JSON_REJECT_DUPLICATES) accepts (RFC 8259; valid UTF-8 only;
 * no "\u0000"; integers must fit int64, reals a finite double; duplicate keys rejected), so a
 * payload the service stores is always readable by jansson later; tests/fuzz/jv_fuzzer.c
 * checks that agreement.
 *
 * Each value remembers its byte span in the parsed text, so unmodified values can be copied
 * and frames can have text spliced into them (symbolicate/report.c). Values are read-only
 * except through uv_jv_set_string (the scrubber), which marks the document modified. */
#ifndef UV_JV_H
#define UV_JV_H

#include "formats/arena.h"
#include "formats/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    UV_JV_NULL,
    UV_JV_FALSE,
    UV_JV_TRUE,
    UV_JV_INTEGER,
    UV_JV_REAL,
    UV_JV_STRING,
    UV_JV_ARRAY,
    UV_JV_OBJECT,
} uv_jv_type;

typedef struct uv_jv uv_jv;
struct uv_jv {
    uv_jv_type type;
    uint32_t len;    /* STRING, INTEGER, REAL: bytes of str; ARRAY/OBJECT: number of members */
    const char *str; /* STRING: decoded UTF-8, NUL-terminated (never holds a NUL); INTEGER,
                      * REAL: the number as written in the text (a copy in the arena, so
                      * uv_jv_write needs no text) */
    const char *key; /* a member of an OBJECT: its decoded key, NUL-terminated; else NULL */
    uint32_t key_len;
    int64_t integer; /* INTEGER */
    double real;     /* REAL, and INTEGER as a double */
    uv_jv *first;    /* ARRAY/OBJECT: first member, in text order */
    uv_jv *next;     /* next member of the parent */
    uv_jv *parent;   /* NULL for the root */
    /* [start, end): the value's bytes in the parsed text (for a member, the value only, not
     * its key). Both 0 for a value replaced by uv_jv_set_string. */
    size_t start, end;
};

typedef struct {
    unsigned max_depth; /* arrays/objects nested deeper are an error; 0: 2048 (jansson's) */
} uv_jv_limits;

typedef struct {
    int line, column; /* 1-based, where the parse stopped */
    size_t position;  /* byte offset */
    char text[160];   /* what was wrong, e.g. "duplicate object key" */
} uv_jv_error;

typedef struct uv_jv_doc {
    uv_arena *arena; /* everything of the tree */
    uv_jv *root;
    const char *text; /* the parsed text (borrowed: must outlive spans' use) */
    size_t text_len;
    bool modified;      /* a value was replaced since the parse: spans no longer tell the text */
    uv_jv *remove_hint; /* private to uv_jv_remove: the member before the last one removed */
} uv_jv_doc;

/* Parses `len` bytes of `text` (need not be NUL-terminated; a value of any type at the top,
 * surrounded by optional whitespace). 0 and *out on success (free with uv_jv_free);
 * UV_EINVALID with *error filled (and the uv_error record set to "JSON: line L column C (byte
 * B): TEXT") on a syntax error, UV_ETOOBIG past the depth limit, UV_ENOMEM. `limits` and
 * `error` may be NULL. The text is borrowed: keep it while using spans. */
int uv_jv_parse(uv_jv_doc **out, const char *text, size_t len, const uv_jv_limits *limits,
                uv_jv_error *error);
void uv_jv_free(uv_jv_doc *doc); /* accepts NULL */

/* Member `key` of an object (exact match), or NULL when `object` is not an object (or NULL)
 * or has no such member. */
uv_jv *uv_jv_get(const uv_jv *object, const char *key);
/* The same with ASCII case-insensitive keys (Raygun's keys come in either case); the first
 * match in text order. */
uv_jv *uv_jv_get_ci(const uv_jv *object, const char *key);

static inline bool uv_jv_is(const uv_jv *v, uv_jv_type type)
{
    return v && v->type == type;
}
static inline bool uv_jv_is_number(const uv_jv *v)
{
    return v && (v->type == UV_JV_INTEGER || v->type == UV_JV_REAL);
}
/* The string's text, or NULL when v is not a string. */
static inline const char *uv_jv_string(const uv_jv *v)
{
    return v && v->type == UV_JV_STRING ? v->str : NULL;
}

/* Turns `v` (any value, in the tree of `doc`) into the string `s` of `len` bytes (copied into
 * the document's arena; must be valid UTF-8 without NUL). Members of a replaced container are
 * dropped. Marks the document modified. 0 or UV_ENOMEM. */
int uv_jv_set_string(uv_jv_doc *doc, uv_jv *v, const char *s, size_t len);

/* Removes `member` (a member of an object or an element of an array in the tree of `doc`) from
 * its parent. Marks the document modified. */
void uv_jv_remove(uv_jv_doc *doc, uv_jv *member);

/* Appends `v` as compact JSON text: the same bytes as jansson's json_dumps(JSON_COMPACT) of
 * the same value (members in text order, no spaces, non-ASCII as UTF-8, "/" unescaped), except
 * numbers, which are copied from the parsed text as written. 0 or UV_ENOMEM. */
int uv_jv_write(uv_buf *out, const uv_jv *v);

/* Whether `len` bytes are UTF-8 that JSON text may hold (no overlong forms, no surrogates, at
 * most U+10FFFF) — what the parse requires of strings. */
bool uv_jv_utf8_valid(const char *s, size_t len);

/* Decodes the body of a JSON string literal (the bytes between its quotes, escapes already
 * checked to be well formed) into `dst`, which has room for `len` bytes (decoding never grows
 * text). A lone UTF-16 surrogate becomes its 3-byte form (WTF-8: JavaScript strings may hold
 * them; jv's own parse rejects them before). Returns the decoded length. */
size_t uv_jv_unescape(char *dst, const char *src, size_t len);

/* Appends `s` (`len` bytes of UTF-8) as a JSON string literal with quotes, escaped as
 * jansson escapes it. 0 or UV_ENOMEM. */
int uv_jv_write_string(uv_buf *out, const char *s, size_t len);

#endif
