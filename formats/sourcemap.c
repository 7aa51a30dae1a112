/* Source Map v3 / ECMA-426.
 *
 * Format: a JSON object. A regular map has `version` (3), `sources`, `mappings` and optional
 * `file`, `sourceRoot`, `sourcesContent`, `names`, `ignoreList` (or `x_google_ignoreList`)
 * and `debugId` (or `debug_id`). `mappings` is a string of generated lines separated by ';',
 * each a list of segments separated by ',', each segment 1, 4 or 5 base64 VLQ values
 * (generated column, source, original line, original column, name), all relative to the
 * previous segment (the generated column resets on each line). An index map has `sections`
 * instead: each an `offset` {line, column} and an embedded regular `map`; the column offset
 * applies only to the section's first line.
 *
 * Parsing scans the JSON once in place (no DOM): strings stay views into the input unless
 * they contain a backslash, `sourcesContent` entries stay raw spans unescaped on demand, and
 * `mappings` is decoded straight into two flat arrays: per-generated-line offsets
 * (line_count + 1 entries) into one array of packed segment records, sorted within each line
 * by (column, source, original line, original column, name) with 1-field segments last, the
 * order mozilla source-map 0.7 sorts in. Index maps are flattened into the same arrays, with
 * each section's sources and names appended and its segment range remembered.
 *
 * Lookup reproduces mozilla's originalPositionFor (GREATEST_LOWER_BOUND) exactly: pick the
 * section whose offset is the greatest <= the position, binary-search that section's segments
 * with the same probe sequence as mozilla's (Rust slice::binary_search_by, which stops at the
 * first probe that compares equal, so ties between segments on one column resolve the same
 * way), take the greatest lower bound, and answer only if it is on the requested line and has
 * a source.
 *
 * The cache is the same arrays written as a versioned little-endian file (see "Cache" below)
 * that loads by pointing into the bytes. */
#include "formats/sourcemap.h"

#include "formats/endian.h"
#include "formats/error.h"
#include "formats/jv.h"

#include <stdlib.h>
#include <string.h>

/* Inputs larger than this are refused: the largest real maps are tens of MB; 512 MiB leaves
 * room while keeping every offset inside 32 bits with headroom. */
#define SM_MAX_INPUT ((size_t)512 << 20)
/* JSON nesting allowed in unknown fields; source maps themselves nest 4 deep. */
#define SM_MAX_DEPTH 128
/* Segment and line ceilings: 64 Mi segments is 100x the largest maps seen (TypeScript's
 * compiler has 578k) and caps the decoded arrays at 1.3 GB. */
#define SM_MAX_SEGMENTS ((size_t)1 << 26)
#define SM_MAX_LINES ((size_t)1 << 26)
/* Sources, names and sections are indexed with 32 bits; keep them well below the sentinel. */
#define SM_MAX_ITEMS ((size_t)1 << 26)
/* Joined sources (sourceRoot + source) are materialised; bound their total size. */
#define SM_MAX_JOINED ((size_t)1 << 30)

typedef struct {
    uint32_t gen_col, src, orig_line, orig_col, name;
} sm_seg;

typedef struct {
    uint32_t line, column;  /* generated offset of the section */
    uint32_t first_segment; /* index of its first segment */
    uint32_t reserved;
} sm_section;

enum { CONTENT_ABSENT = 0, CONTENT_PLAIN = 1, CONTENT_ESCAPED = 2 };

typedef struct {
    uv_str raw, joined;
    const char *content; /* raw JSON span (without quotes) or the final text */
    size_t content_len;
    uint8_t content_state;
    bool ignored;
} sm_source;

/* ---- Cache file layout ----------------------------------------------------------------
 * All integers little-endian. The file is:
 *   header (80 bytes, disk_header)
 *   line offsets      (line_count + 1) x u32
 *   segments          segment_count x 20 bytes (sm_seg)
 *   columns           segment_count x u32 (the generated columns again, packed for search)
 *   sections          section_count x 16 bytes (sm_section)
 *   sources           source_count x 32 bytes (disk_source)
 *   names             name_count x 8 bytes (disk_str)
 *   string table      strtab_size bytes (sources, names, contents, file, debug id)
 * Every array starts at an offset that is a multiple of 8 and is named in the header.
 *
 * Version history:
 *   1  first version. */
#define SM_CACHE_MAGIC 0x4d535655u /* "UVSM" when read as little-endian bytes */
#define SM_CACHE_MAGIC_FLIPPED 0x5556534du
#define SM_CACHE_VERSION 1u

typedef struct {
    uint32_t off, len;
} disk_str;

typedef struct {
    disk_str raw, joined, content; /* content.off == UINT32_MAX: no content */
    uint32_t flags;                /* bit 0: ignored */
    uint32_t reserved;
} disk_source;

typedef struct {
    uint32_t magic;
    uint32_t version;
    uint32_t line_count;
    uint32_t segment_count;
    uint32_t section_count;
    uint32_t source_count;
    uint32_t name_count;
    uint32_t strtab_size;
    disk_str file, debug_id;
    uint32_t lines_offset, segments_offset, sections_offset, sources_offset;
    uint32_t names_offset, strtab_offset;
    uint32_t columns_offset; /* segment_count x u32: each segment's generated column */
    uint32_t reserved;       /* zero; for flags of later versions */
} disk_header;

_Static_assert(sizeof(sm_seg) == 20, "segment record is 20 bytes on disk");
_Static_assert(sizeof(sm_section) == 16, "section record is 16 bytes on disk");
_Static_assert(sizeof(disk_str) == 8, "string ref is 8 bytes on disk");
_Static_assert(sizeof(disk_source) == 32, "source record is 32 bytes on disk");
_Static_assert(sizeof(disk_header) == 80, "header is 80 bytes on disk");

struct uv_sourcemap {
    uv_arena *arena;
    /* The decoded arrays: owned (parsed) or views into the cache bytes. */
    const uint32_t *line_offsets;
    uint32_t line_count;
    const sm_seg *segs;
    const uint32_t *cols; /* segs[i].gen_col again, packed, for the binary search */
    size_t seg_count;
    const sm_section *sections;
    uint32_t section_count;
    uint32_t source_count, name_count;
    uv_str file, debug_id;
    /* Parsed maps. */
    sm_source *sources;
    uv_str *names;
    uint32_t *own_lines;
    uint32_t *own_cols;
    sm_seg *own_segs;
    sm_section *own_sections;
    /* Loaded from a cache. */
    bool from_cache;
    const disk_source *disk_sources;
    const disk_str *disk_names;
    const char *strtab;
    uint32_t strtab_size;
};

/* ---- Small helpers ------------------------------------------------------------------- */

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#include <stdarg.h>
#include <stdio.h>

static int fail(int code, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return uv_error_set(code, UV_LIB_NONE, 0, "%s", msg);
}

/* Growable array of fixed-size items, malloc-backed (moved into the map on success). */
typedef struct {
    void *data;
    size_t len, cap, item, limit;
} vec;

static void *vec_push(vec *v)
{
    if (v->len == v->cap) {
        if (v->len >= v->limit) return NULL;
        size_t cap = v->cap ? v->cap * 2 : 64;
        if (cap > v->limit) cap = v->limit;
        void *p = realloc(v->data, cap * v->item);
        if (!p) return NULL;
        v->data = p;
        v->cap = cap;
    }
    return (char *)v->data + v->item * v->len++;
}

/* ---- JSON scanning --------------------------------------------------------------------
 * A cursor over the input; every function returns 0 or a negative code after recording an
 * error that names the byte offset. */

typedef struct {
    const char *p;
    size_t len, pos;
    int depth;
} jscan;

static int json_err(const jscan *s, const char *what)
{
    return fail(UV_EINVALID, "JSON: %s at offset %zu", what, s->pos);
}

static void ws(jscan *s)
{
    while (s->pos < s->len) {
        char c = s->p[s->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        s->pos++;
    }
}

/* 1 for bytes that end or interrupt the fast path of a string: '"', '\\' and controls. */
static const uint8_t string_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Scans a string at the cursor (which must be at '"'); *out is the span between the quotes,
 * *escaped whether it contains a backslash. Validates escapes and rejects raw controls. */
static int scan_string(jscan *s, uv_str *out, bool *escaped)
{
    if (s->pos >= s->len || s->p[s->pos] != '"') return json_err(s, "expected a string");
    size_t start = ++s->pos;
    bool esc = false;
    const unsigned char *p = (const unsigned char *)s->p;
    size_t i = start, n = s->len;
    for (;;) {
        /* eight bytes at a time while none is '"', '\\' or a control character */
        while (i + 8 <= n) {
            uint64_t x;
            memcpy(&x, p + i, 8);
            const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
            uint64_t q = x ^ (ones * '"'), bs = x ^ (ones * '\\');
            uint64_t hit = ((q - ones) & ~q) | ((bs - ones) & ~bs) | ((x - ones * 0x20) & ~x);
            if (hit & highs) break;
            i += 8;
        }
        while (i < n && !string_stop[p[i]])
            i++;
        if (i >= n) {
            s->pos = n;
            return json_err(s, "unterminated string");
        }
        unsigned char c = p[i];
        if (c == '"') break;
        if (c < 0x20) {
            s->pos = i;
            return json_err(s, "control character in string");
        }
        /* backslash */
        esc = true;
        if (i + 1 >= n) {
            s->pos = i;
            return json_err(s, "unterminated string");
        }
        switch (p[i + 1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            i += 2;
            break;
        case 'u':
            if (i + 6 > n || hexval((char)p[i + 2]) < 0 || hexval((char)p[i + 3]) < 0 ||
                hexval((char)p[i + 4]) < 0 || hexval((char)p[i + 5]) < 0) {
                s->pos = i;
                return json_err(s, "bad \\u escape");
            }
            i += 6;
            break;
        default:
            s->pos = i;
            return json_err(s, "bad escape");
        }
    }
    out->ptr = s->p + start;
    out->len = i - start;
    *escaped = esc;
    s->pos = i + 1;
    return 0;
}

static int unescape_arena(uv_arena *arena, uv_str span, uv_str *out)
{
    char *dst = uv_arena_alloc(arena, span.len + 1);
    if (!dst) return UV_ENOMEM;
    size_t n = uv_jv_unescape(dst, span.ptr, span.len);
    dst[n] = '\0';
    out->ptr = dst;
    out->len = n;
    return 0;
}

/* Reads a string value, unescaped into the arena when needed. */
static int read_string(jscan *s, uv_arena *arena, uv_str *out)
{
    bool esc;
    int rc = scan_string(s, out, &esc);
    if (rc) return rc;
    return esc ? unescape_arena(arena, *out, out) : 0;
}

/* Scans a JSON number; *is_int and *value are set when it is an integer that fits in int64
 * (no fraction, no exponent). */
static int scan_number(jscan *s, bool *is_int, int64_t *value)
{
    size_t i = s->pos, n = s->len;
    const char *p = s->p;
    bool neg = false, integral = true, overflow = false;
    uint64_t v = 0;
    if (i < n && p[i] == '-') {
        neg = true;
        i++;
    }
    if (i >= n || p[i] < '0' || p[i] > '9') return json_err(s, "bad number");
    if (p[i] == '0') {
        i++;
    } else {
        while (i < n && p[i] >= '0' && p[i] <= '9') {
            if (v > (UINT64_MAX - 9) / 10) overflow = true;
            v = v * 10 + (uint64_t)(p[i] - '0');
            i++;
        }
    }
    if (i < n && p[i] == '.') {
        integral = false;
        i++;
        if (i >= n || p[i] < '0' || p[i] > '9') {
            s->pos = i;
            return json_err(s, "bad number");
        }
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        integral = false;
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-')) i++;
        if (i >= n || p[i] < '0' || p[i] > '9') {
            s->pos = i;
            return json_err(s, "bad number");
        }
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
    }
    s->pos = i;
    *is_int = integral && !overflow && v <= (uint64_t)INT64_MAX;
    *value = *is_int ? (neg ? -(int64_t)v : (int64_t)v) : 0;
    return 0;
}

static int expect_literal(jscan *s, const char *word)
{
    size_t n = strlen(word);
    if (s->len - s->pos < n || memcmp(s->p + s->pos, word, n) != 0)
        return json_err(s, "unexpected character");
    s->pos += n;
    return 0;
}

static int skip_value(jscan *s);

/* Iterates the members of an object: call with *first = true; returns 1 with the key when
 * there is one more (cursor at its value), 0 at the closing brace, negative on error. */
static int object_next(jscan *s, bool *first, uv_str *key, bool *key_escaped)
{
    ws(s);
    if (*first) {
        if (s->pos >= s->len || s->p[s->pos] != '{') return json_err(s, "expected an object");
        s->pos++;
        ws(s);
        if (s->pos < s->len && s->p[s->pos] == '}') {
            s->pos++;
            return 0;
        }
        *first = false;
    } else {
        if (s->pos >= s->len) return json_err(s, "unterminated object");
        if (s->p[s->pos] == '}') {
            s->pos++;
            return 0;
        }
        if (s->p[s->pos] != ',') return json_err(s, "expected ',' or '}'");
        s->pos++;
        ws(s);
    }
    int rc = scan_string(s, key, key_escaped);
    if (rc) return rc;
    ws(s);
    if (s->pos >= s->len || s->p[s->pos] != ':') return json_err(s, "expected ':'");
    s->pos++;
    ws(s);
    return 1;
}

/* Same for arrays: returns 1 with the cursor at the next element, 0 at ']'. */
static int array_next(jscan *s, bool *first)
{
    ws(s);
    if (*first) {
        if (s->pos >= s->len || s->p[s->pos] != '[') return json_err(s, "expected an array");
        s->pos++;
        ws(s);
        if (s->pos < s->len && s->p[s->pos] == ']') {
            s->pos++;
            return 0;
        }
        *first = false;
        return 1;
    }
    if (s->pos >= s->len) return json_err(s, "unterminated array");
    if (s->p[s->pos] == ']') {
        s->pos++;
        return 0;
    }
    if (s->p[s->pos] != ',') return json_err(s, "expected ',' or ']'");
    s->pos++;
    ws(s);
    return 1;
}

static int skip_value(jscan *s)
{
    ws(s);
    if (s->pos >= s->len) return json_err(s, "unexpected end of input");
    char c = s->p[s->pos];
    int rc;
    if (c == '{' || c == '[') {
        if (++s->depth > SM_MAX_DEPTH) return json_err(s, "nesting too deep");
        bool first = true;
        if (c == '{') {
            uv_str key;
            bool esc;
            while ((rc = object_next(s, &first, &key, &esc)) == 1)
                if ((rc = skip_value(s))) return rc;
        } else {
            while ((rc = array_next(s, &first)) == 1)
                if ((rc = skip_value(s))) return rc;
        }
        s->depth--;
        return rc;
    }
    if (c == '"') {
        uv_str span;
        bool esc;
        return scan_string(s, &span, &esc);
    }
    if (c == 't') return expect_literal(s, "true");
    if (c == 'f') return expect_literal(s, "false");
    if (c == 'n') return expect_literal(s, "null");
    bool is_int;
    int64_t v;
    return scan_number(s, &is_int, &v);
}

static bool at_null(jscan *s)
{
    ws(s);
    if (s->len - s->pos >= 4 && memcmp(s->p + s->pos, "null", 4) == 0) {
        s->pos += 4;
        return true;
    }
    return false;
}

static bool at_char(jscan *s, char c)
{
    ws(s);
    return s->pos < s->len && s->p[s->pos] == c;
}

/* Compares a key (possibly escaped) with a name. */
static bool key_is(uv_str key, bool escaped, const char *name)
{
    if (!escaped) return uv_str_eq_c(key, name);
    char tmp[64];
    if (key.len >= sizeof tmp) return false;
    size_t n = uv_jv_unescape(tmp, key.ptr, key.len);
    return n == strlen(name) && memcmp(tmp, name, n) == 0;
}

/* Reads a non-negative integer (fits in uint32 below the sentinel) or fails naming `what`. */
static int read_index(jscan *s, const char *what, uint32_t *out)
{
    ws(s);
    if (s->pos >= s->len || (s->p[s->pos] != '-' && (s->p[s->pos] < '0' || s->p[s->pos] > '9')))
        return fail(UV_EINVALID, "%s: expected a non-negative integer at offset %zu", what, s->pos);
    bool is_int;
    int64_t v;
    int rc = scan_number(s, &is_int, &v);
    if (rc) return rc;
    if (!is_int || v < 0 || v > INT32_MAX)
        return fail(UV_EINVALID, "%s: expected a non-negative integer below 2^31", what);
    *out = (uint32_t)v;
    return 0;
}

/* ---- Base64 VLQ ---------------------------------------------------------------------- */

static const int8_t b64[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,  ['H'] = 8,
    ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
    ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
    ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
    ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
}; /* value + 1; 0 = not a base64 digit */

enum { VLQ_OK = 0, VLQ_BADCHAR = 1, VLQ_TRUNCATED = 2, VLQ_OVERFLOW = 3 };

/* Decodes one VLQ: ECMA-426 limits values to 32-bit signed; "-0" stands for -2^31.
 * Stops at the end or at a non-digit. Returns a VLQ_* status; on VLQ_BADCHAR *pos is at the
 * offending byte. */
static inline int vlq_read(const char *s, size_t len, size_t *pos, int32_t *out)
{
    size_t i = *pos;
    uint64_t acc = 0;
    unsigned shift = 0;
    for (;;) {
        if (i >= len) {
            *pos = i;
            return VLQ_TRUNCATED;
        }
        int d = b64[(unsigned char)s[i]] - 1;
        if (d < 0) {
            *pos = i;
            char c = s[i];
            return (c == ',' || c == ';') ? VLQ_TRUNCATED : VLQ_BADCHAR;
        }
        i++;
        acc |= (uint64_t)(d & 31) << shift;
        if (acc > 0xffffffffu) {
            *pos = i;
            return VLQ_OVERFLOW;
        }
        if (!(d & 32)) break;
        shift += 5;
        if (shift > 30) {
            /* A continuation after 32 bits of payload can only add zero digits or overflow;
             * the spec caps a value at 7 digits. */
            *pos = i;
            return VLQ_OVERFLOW;
        }
    }
    uint32_t mag = (uint32_t)(acc >> 1);
    if (acc & 1) {
        *out = mag == 0 ? INT32_MIN : -(int32_t)mag;
    } else {
        *out = (int32_t)mag;
    }
    *pos = i;
    return VLQ_OK;
}

int uv_vlq_decode(const char *s, size_t len, size_t *pos, int32_t *out)
{
    size_t p = *pos;
    int st = vlq_read(s, len, &p, out);
    switch (st) {
    case VLQ_OK:
        *pos = p;
        return 0;
    case VLQ_BADCHAR:
        return fail(UV_EINVALID, "VLQ: invalid base64 character '%c' at offset %zu", s[p], p);
    case VLQ_TRUNCATED:
        return fail(UV_EINVALID, "VLQ: truncated value at offset %zu", p);
    default:
        return fail(UV_EINVALID, "VLQ: value exceeds 32 bits at offset %zu", *pos);
    }
}

/* ---- Builder ------------------------------------------------------------------------- */

typedef struct {
    uv_arena *arena;
    vec lines;    /* uint32: start segment of each line */
    vec segs;     /* sm_seg */
    vec sections; /* sm_section */
    vec sources;  /* sm_source */
    vec names;    /* uv_str */
    uv_str file, debug_id;
    size_t joined_total;
    uint32_t last_seg_line; /* line of the last segment (valid when segs.len > 0) */
} builder;

static int oom(void)
{
    return fail(UV_ENOMEM, "source map: out of memory");
}

/* Full mozilla order within one generated line. */
static inline int seg_cmp(const sm_seg *a, const sm_seg *b)
{
    if (a->gen_col != b->gen_col) return a->gen_col < b->gen_col ? -1 : 1;
    bool an = a->src == UV_SM_NONE, bn = b->src == UV_SM_NONE;
    if (an || bn) return an == bn ? 0 : (an ? 1 : -1);
    if (a->src != b->src) return a->src < b->src ? -1 : 1;
    if (a->orig_line != b->orig_line) return a->orig_line < b->orig_line ? -1 : 1;
    if (a->orig_col != b->orig_col) return a->orig_col < b->orig_col ? -1 : 1;
    /* name: none sorts before any index; UV_SM_NONE is the largest uint32, so map it. */
    uint64_t an2 = a->name == UV_SM_NONE ? 0 : (uint64_t)a->name + 1;
    uint64_t bn2 = b->name == UV_SM_NONE ? 0 : (uint64_t)b->name + 1;
    return an2 == bn2 ? 0 : (an2 < bn2 ? -1 : 1);
}

static int seg_qsort_cmp(const void *a, const void *b)
{
    return seg_cmp(a, b);
}

static void sort_line(sm_seg *segs, size_t n, size_t disorder)
{
    if (disorder <= 32) {
        for (size_t i = 1; i < n; i++) {
            if (seg_cmp(&segs[i - 1], &segs[i]) <= 0) continue;
            sm_seg tmp = segs[i];
            size_t j = i;
            while (j > 0 && seg_cmp(&segs[j - 1], &tmp) > 0) {
                segs[j] = segs[j - 1];
                j--;
            }
            segs[j] = tmp;
        }
    } else {
        qsort(segs, n, sizeof *segs, seg_qsort_cmp);
    }
}

static int start_line(builder *b)
{
    uint32_t *slot = vec_push(&b->lines);
    if (!slot) {
        if (b->lines.len >= b->lines.limit)
            return fail(UV_ETOOBIG, "mappings: more than %zu generated lines", b->lines.limit);
        return oom();
    }
    *slot = (uint32_t)b->segs.len;
    return 0;
}

static const char *field_names[] = {"generated column", "source index", "original line",
                                    "original column", "name index"};

/* Decodes a `mappings` string into the builder. Lines start at global line `line_base`;
 * the first line's columns are shifted by `col_offset`; source and name indices are
 * checked against the map's own counts and stored shifted by the bases. `ctx` prefixes
 * messages ("mappings" or "sections[2].map.mappings"). */
static int decode_mappings(builder *b, const char *ctx, uv_str m, uint32_t line_base,
                           uint32_t col_offset, uint32_t src_base, uint32_t src_count,
                           uint32_t name_base, uint32_t name_count)
{
    const char *s = m.ptr;
    size_t len = m.len, pos = 0;
    int64_t state[5] = {0, 0, 0, 0, 0}; /* gen col, source, orig line, orig col, name */
    uint32_t line = 0;                  /* relative line */
    size_t seg_in_line = 0;
    size_t line_start = b->segs.len, disorder = 0;
    int rc;

    /* Reserve room up front: a segment needs at least 2 bytes ("A,"), so len / 2 + 1 bounds
     * the count; untouched capacity costs address space only. */
    size_t want = b->segs.len + len / 2 + 1;
    if (want > b->segs.limit) want = b->segs.limit;
    if (want > b->segs.cap) {
        void *p = realloc(b->segs.data, want * sizeof(sm_seg));
        if (!p) return oom();
        b->segs.data = p;
        b->segs.cap = want;
    }

    for (;;) {
        if (pos >= len || s[pos] == ';') {
            /* end of a line: sort it if it came out of order */
            size_t n = b->segs.len - line_start;
            if (disorder && n > 1) sort_line((sm_seg *)b->segs.data + line_start, n, disorder);
            if (pos >= len) break;
            pos++;
            line++;
            if ((rc = start_line(b))) return rc;
            state[0] = 0;
            seg_in_line = 0;
            line_start = b->segs.len;
            disorder = 0;
            continue;
        }
        if (s[pos] == ',') {
            /* empty segments (",," or a leading ',') are skipped, as mozilla does, but
             * counted so that segment numbers match positions in the text */
            if (pos == 0 || s[pos - 1] == ',' || s[pos - 1] == ';') seg_in_line++;
            pos++;
            continue;
        }
        seg_in_line++;
        int32_t v[5];
        int fields = 0;
        while (pos < len && s[pos] != ',' && s[pos] != ';') {
            if (fields == 5)
                return fail(UV_EINVALID, "%s: line %u, segment %zu: more than 5 fields", ctx,
                            line + 1, seg_in_line);
            size_t at = pos;
            int d = b64[(unsigned char)s[pos]] - 1;
            if (d >= 0 && d < 32) { /* one-digit value: the common case */
                v[fields++] = (d & 1) ? (d == 1 ? INT32_MIN : -(d >> 1)) : (d >> 1);
                pos++;
                continue;
            }
            int st = vlq_read(s, len, &pos, &v[fields]);
            if (st == VLQ_BADCHAR) {
                unsigned char c = (unsigned char)s[pos];
                if (c >= 0x20 && c < 0x7f)
                    return fail(UV_EINVALID,
                                "%s: line %u, segment %zu: invalid base64 character '%c'", ctx,
                                line + 1, seg_in_line, c);
                return fail(UV_EINVALID,
                            "%s: line %u, segment %zu: invalid base64 character (byte 0x%02x)", ctx,
                            line + 1, seg_in_line, c);
            }
            if (st == VLQ_TRUNCATED)
                return fail(UV_EINVALID, "%s: line %u, segment %zu: truncated VLQ value", ctx,
                            line + 1, seg_in_line);
            if (st == VLQ_OVERFLOW)
                return fail(UV_EINVALID,
                            "%s: line %u, segment %zu: VLQ value at offset %zu exceeds 32 bits",
                            ctx, line + 1, seg_in_line, at);
            fields++;
        }
        if (fields != 1 && fields != 4 && fields != 5)
            return fail(UV_EINVALID,
                        "%s: line %u, segment %zu: %d fields (a segment has 1, 4 or 5)", ctx,
                        line + 1, seg_in_line, fields);
        for (int f = 0; f < fields; f++) {
            int64_t nv = state[f] + v[f];
            if (nv < 0)
                return fail(UV_EINVALID, "%s: line %u, segment %zu: %s %lld is negative", ctx,
                            line + 1, seg_in_line, field_names[f], (long long)nv);
            if (nv > INT32_MAX)
                return fail(UV_EINVALID, "%s: line %u, segment %zu: %s %lld exceeds 2^31-1", ctx,
                            line + 1, seg_in_line, field_names[f], (long long)nv);
            state[f] = nv;
        }
        sm_seg seg;
        uint64_t col = (uint64_t)state[0] + (line == 0 ? col_offset : 0);
        if (col > INT32_MAX)
            return fail(UV_EINVALID,
                        "%s: line %u, segment %zu: generated column %llu exceeds 2^31-1 after "
                        "the section offset",
                        ctx, line + 1, seg_in_line, (unsigned long long)col);
        seg.gen_col = (uint32_t)col;
        seg.src = seg.orig_line = seg.orig_col = seg.name = UV_SM_NONE;
        if (fields >= 4) {
            if (state[1] >= src_count)
                return fail(UV_EINVALID,
                            "%s: line %u, segment %zu: source index %lld out of range (%u "
                            "sources)",
                            ctx, line + 1, seg_in_line, (long long)state[1], src_count);
            seg.src = src_base + (uint32_t)state[1];
            seg.orig_line = (uint32_t)state[2];
            seg.orig_col = (uint32_t)state[3];
        }
        if (fields == 5) {
            if (state[4] >= name_count)
                return fail(UV_EINVALID,
                            "%s: line %u, segment %zu: name index %lld out of range (%u names)",
                            ctx, line + 1, seg_in_line, (long long)state[4], name_count);
            seg.name = name_base + (uint32_t)state[4];
        }
        if (b->segs.len > line_start &&
            seg_cmp((const sm_seg *)b->segs.data + b->segs.len - 1, &seg) > 0)
            disorder++;
        sm_seg *slot;
        if (b->segs.len < b->segs.cap) {
            slot = (sm_seg *)b->segs.data + b->segs.len++;
        } else if (!(slot = vec_push(&b->segs))) {
            if (b->segs.len >= b->segs.limit)
                return fail(UV_ETOOBIG, "%s: more than %zu segments", ctx, b->segs.limit);
            return oom();
        }
        *slot = seg;
        b->last_seg_line = line_base + line;
    }
    return 0;
}

/* ---- Regular map parsing ------------------------------------------------------------- */

typedef struct {
    bool has_version, has_sources, has_mappings, has_sections, has_names;
    uint32_t version_ok;
    uv_str mappings; /* span (escaped flag below) */
    bool mappings_escaped;
    size_t sections_pos; /* cursor position of the sections array */
    size_t ignore_pos[2];
    bool has_ignore[2];
    uv_str source_root;
    size_t src_first, src_count; /* range in builder sources */
    size_t name_first, name_count;
    size_t content_count;
} map_fields;

static int parse_sources(jscan *s, builder *b, const char *ctx, map_fields *mf)
{
    bool first = true;
    int rc;
    size_t i = 0;
    mf->src_first = b->sources.len;
    while ((rc = array_next(s, &first)) == 1) {
        sm_source *src = vec_push(&b->sources);
        if (!src)
            return b->sources.len >= b->sources.limit
                       ? fail(UV_ETOOBIG, "%s: too many sources", ctx)
                       : oom();
        memset(src, 0, sizeof *src);
        if (at_null(s)) {
            src->raw = UV_STR_NULL;
        } else if (at_char(s, '"')) {
            if ((rc = read_string(s, b->arena, &src->raw))) return rc;
        } else {
            return fail(UV_EINVALID, "%s[%zu]: expected a string or null", ctx, i);
        }
        i++;
    }
    mf->src_count = i;
    return rc;
}

static int parse_names(jscan *s, builder *b, const char *ctx, map_fields *mf)
{
    bool first = true;
    int rc;
    size_t i = 0;
    mf->name_first = b->names.len;
    while ((rc = array_next(s, &first)) == 1) {
        uv_str *name = vec_push(&b->names);
        if (!name)
            return b->names.len >= b->names.limit ? fail(UV_ETOOBIG, "%s: too many names", ctx)
                                                  : oom();
        if (!at_char(s, '"')) return fail(UV_EINVALID, "%s[%zu]: expected a string", ctx, i);
        if ((rc = read_string(s, b->arena, name))) return rc;
        i++;
    }
    mf->name_count = i;
    return rc;
}

/* sourcesContent is parsed before we know whether `sources` comes later, so the spans go to
 * a temporary list that is attached once both are known. */
typedef struct {
    const char *ptr;
    size_t len;
    uint8_t state;
} content_span;

static int parse_contents(jscan *s, vec *out, const char *ctx)
{
    bool first = true;
    int rc;
    out->len = 0;
    while ((rc = array_next(s, &first)) == 1) {
        content_span *c = vec_push(out);
        if (!c)
            return out->len >= out->limit ? fail(UV_ETOOBIG, "%s: too many entries", ctx) : oom();
        if (at_null(s)) {
            c->ptr = NULL;
            c->len = 0;
            c->state = CONTENT_ABSENT;
        } else if (at_char(s, '"')) {
            uv_str span;
            bool esc;
            if ((rc = scan_string(s, &span, &esc))) return rc;
            c->ptr = span.ptr;
            c->len = span.len;
            c->state = esc ? CONTENT_ESCAPED : CONTENT_PLAIN;
        } else {
            return fail(UV_EINVALID, "%s[%zu]: expected a string or null", ctx, out->len - 1);
        }
    }
    return rc;
}

static int apply_ignore_list(jscan *s, builder *b, const char *ctx, const map_fields *mf)
{
    bool first = true;
    int rc;
    size_t i = 0;
    while ((rc = array_next(s, &first)) == 1) {
        char what[192];
        snprintf(what, sizeof what, "%s[%zu]", ctx, i);
        uint32_t idx;
        if ((rc = read_index(s, what, &idx))) return rc;
        if (idx >= mf->src_count)
            return fail(UV_EINVALID, "%s: source index %u out of range (%zu sources)", what, idx,
                        mf->src_count);
        ((sm_source *)b->sources.data)[mf->src_first + idx].ignored = true;
        i++;
    }
    return rc;
}

static int parse_map_object(jscan *s, builder *b, const char *prefix, bool nested,
                            uint32_t line_base, uint32_t col_offset);

static int join_sources(builder *b, const map_fields *mf)
{
    if (mf->src_count == 0) return 0;
    sm_source *srcs = (sm_source *)b->sources.data + mf->src_first;
    uv_str root = mf->source_root;
    bool slash = root.len > 0 && root.ptr[root.len - 1] == '/';
    for (size_t i = 0; i < mf->src_count; i++) {
        if (root.len == 0 || srcs[i].raw.ptr == NULL) {
            srcs[i].joined = srcs[i].raw;
            continue;
        }
        size_t n = root.len + (slash ? 0 : 1) + srcs[i].raw.len;
        b->joined_total += n;
        if (b->joined_total > SM_MAX_JOINED)
            return fail(UV_ETOOBIG, "sourceRoot: joined sources exceed %zu bytes",
                        (size_t)SM_MAX_JOINED);
        char *p = uv_arena_alloc(b->arena, n + 1);
        if (!p) return UV_ENOMEM;
        memcpy(p, root.ptr, root.len);
        size_t o = root.len;
        if (!slash) p[o++] = '/';
        memcpy(p + o, srcs[i].raw.ptr, srcs[i].raw.len);
        p[n] = '\0';
        srcs[i].joined = (uv_str){p, n};
    }
    return 0;
}

/* Ensures global line `line` is the current line (the last one started), padding with empty
 * lines or dropping trailing empty lines of the previous section. */
static int seek_line(builder *b, uint32_t line)
{
    if (b->lines.len > (size_t)line + 1) {
        /* lines past the previous section's last segment are empty: drop them */
        b->lines.len = (size_t)line + 1;
        return 0;
    }
    while (b->lines.len < (size_t)line + 1) {
        int rc = start_line(b);
        if (rc) return rc;
    }
    return 0;
}

static int parse_sections(jscan *s, builder *b)
{
    bool first = true;
    int rc;
    size_t index = 0;
    bool have_prev = false;
    uint32_t prev_line = 0, prev_col = 0;
    while ((rc = array_next(s, &first)) == 1) {
        char ctx[64];
        snprintf(ctx, sizeof ctx, "sections[%zu]", index);
        bool ofirst = true, have_offset = false, have_map = false, have_url = false;
        uint32_t off_line = 0, off_col = 0;
        size_t map_pos = 0;
        uv_str key;
        bool kesc;
        if (!at_char(s, '{')) return fail(UV_EINVALID, "%s: expected an object", ctx);
        while ((rc = object_next(s, &ofirst, &key, &kesc)) == 1) {
            if (key_is(key, kesc, "offset")) {
                bool f2 = true, got_line = false, got_col = false;
                uv_str k2;
                bool e2;
                if (!at_char(s, '{'))
                    return fail(UV_EINVALID, "%s.offset: expected an object", ctx);
                while ((rc = object_next(s, &f2, &k2, &e2)) == 1) {
                    char what[96];
                    if (key_is(k2, e2, "line")) {
                        snprintf(what, sizeof what, "%s.offset.line", ctx);
                        if ((rc = read_index(s, what, &off_line))) return rc;
                        got_line = true;
                    } else if (key_is(k2, e2, "column")) {
                        snprintf(what, sizeof what, "%s.offset.column", ctx);
                        if ((rc = read_index(s, what, &off_col))) return rc;
                        got_col = true;
                    } else if ((rc = skip_value(s))) {
                        return rc;
                    }
                }
                if (rc) return rc;
                if (!got_line || !got_col)
                    return fail(UV_EINVALID, "%s.offset: needs both line and column", ctx);
                have_offset = true;
            } else if (key_is(key, kesc, "map")) {
                if (!at_char(s, '{')) return fail(UV_EINVALID, "%s.map: expected an object", ctx);
                map_pos = s->pos;
                have_map = true;
                if ((rc = skip_value(s))) return rc;
            } else if (key_is(key, kesc, "url")) {
                have_url = true;
                if ((rc = skip_value(s))) return rc;
            } else if ((rc = skip_value(s))) {
                return rc;
            }
        }
        if (rc) return rc;
        if (!have_offset) return fail(UV_EINVALID, "%s: missing offset", ctx);
        if (!have_map && have_url)
            return fail(UV_EUNSUPPORTED,
                        "%s: sections that reference a map by url are not supported; embed "
                        "the map",
                        ctx);
        if (!have_map) return fail(UV_EINVALID, "%s: missing map", ctx);
        if (have_prev && (off_line < prev_line || (off_line == prev_line && off_col <= prev_col)))
            return fail(UV_EINVALID,
                        "%s: offset %u:%u is not after the previous section's %u:%u (sections "
                        "must be sorted and must not overlap)",
                        ctx, off_line, off_col, prev_line, prev_col);
        if (b->segs.len > 0) {
            const sm_seg *last = (const sm_seg *)b->segs.data + b->segs.len - 1;
            if (b->last_seg_line > off_line ||
                (b->last_seg_line == off_line && last->gen_col >= off_col))
                return fail(UV_EINVALID,
                            "%s: overlaps sections[%zu], which has a mapping at %u:%u, at or "
                            "after this section's offset %u:%u",
                            ctx, index - 1, b->last_seg_line, last->gen_col, off_line, off_col);
        }
        if (b->sections.len >= SM_MAX_ITEMS) return fail(UV_ETOOBIG, "sections: too many");
        if ((rc = seek_line(b, off_line))) return rc;
        sm_section *sec = vec_push(&b->sections);
        if (!sec) return oom();
        sec->line = off_line;
        sec->column = off_col;
        sec->first_segment = (uint32_t)b->segs.len;
        sec->reserved = 0;
        jscan sub = {s->p, s->len, map_pos, s->depth};
        char prefix[96];
        snprintf(prefix, sizeof prefix, "%s.map", ctx);
        if ((rc = parse_map_object(&sub, b, prefix, true, off_line, off_col))) return rc;
        have_prev = true;
        prev_line = off_line;
        prev_col = off_col;
        index++;
    }
    if (rc) return rc;
    return 0;
}

/* Parses one map object at the cursor (a regular map, or when !nested also an index map),
 * appending to the builder. `prefix` names the object in messages ("" at top level). */
static int parse_map_object(jscan *s, builder *b, const char *prefix, bool nested,
                            uint32_t line_base, uint32_t col_offset)
{
    map_fields mf;
    memset(&mf, 0, sizeof mf);
    vec contents = {NULL, 0, 0, sizeof(content_span), SM_MAX_ITEMS};
    bool first = true;
    uv_str key;
    bool kesc;
    int rc;
    char ctx[128];
#define CTX(field) (snprintf(ctx, sizeof ctx, "%s%s%s", prefix, *prefix ? "." : "", field), ctx)
    size_t sources_pos = 0, names_pos = 0;
    while ((rc = object_next(s, &first, &key, &kesc)) == 1) {
        if (key_is(key, kesc, "version")) {
            bool is_int;
            int64_t v;
            ws(s);
            if (s->pos < s->len &&
                (s->p[s->pos] == '-' || (s->p[s->pos] >= '0' && s->p[s->pos] <= '9'))) {
                if ((rc = scan_number(s, &is_int, &v))) goto out;
                if (!is_int || v != 3) {
                    rc = fail(UV_EINVALID, "%s: unsupported version (expected 3)", CTX("version"));
                    goto out;
                }
            } else {
                rc = fail(UV_EINVALID, "%s: expected the number 3", CTX("version"));
                goto out;
            }
            mf.has_version = true;
        } else if (key_is(key, kesc, "sources")) {
            if (!at_char(s, '[')) {
                rc = fail(UV_EINVALID, "%s: expected an array", CTX("sources"));
                goto out;
            }
            sources_pos = s->pos;
            mf.has_sources = true;
            if ((rc = skip_value(s))) goto out;
        } else if (key_is(key, kesc, "names")) {
            if (!at_char(s, '[')) {
                rc = fail(UV_EINVALID, "%s: expected an array", CTX("names"));
                goto out;
            }
            names_pos = s->pos;
            mf.has_names = true;
            if ((rc = skip_value(s))) goto out;
        } else if (key_is(key, kesc, "sourcesContent")) {
            if (at_null(s)) {
                contents.len = 0;
                continue;
            }
            if (!at_char(s, '[')) {
                rc = fail(UV_EINVALID, "%s: expected an array", CTX("sourcesContent"));
                goto out;
            }
            if ((rc = parse_contents(s, &contents, CTX("sourcesContent")))) goto out;
        } else if (key_is(key, kesc, "mappings")) {
            if (!at_char(s, '"')) {
                rc = fail(UV_EINVALID, "%s: expected a string", CTX("mappings"));
                goto out;
            }
            if ((rc = scan_string(s, &mf.mappings, &mf.mappings_escaped))) goto out;
            mf.has_mappings = true;
        } else if (key_is(key, kesc, "sourceRoot")) {
            if (at_null(s)) {
                mf.source_root = UV_STR_NULL;
                continue;
            }
            if (!at_char(s, '"')) {
                rc = fail(UV_EINVALID, "%s: expected a string", CTX("sourceRoot"));
                goto out;
            }
            if ((rc = read_string(s, b->arena, &mf.source_root))) goto out;
        } else if (key_is(key, kesc, "file")) {
            if (at_null(s)) continue;
            if (!at_char(s, '"')) {
                rc = fail(UV_EINVALID, "%s: expected a string", CTX("file"));
                goto out;
            }
            uv_str file;
            if ((rc = read_string(s, b->arena, &file))) goto out;
            if (!nested) b->file = file;
        } else if (key_is(key, kesc, "debugId") || key_is(key, kesc, "debug_id")) {
            if (at_null(s)) continue;
            if (!at_char(s, '"')) {
                rc = fail(UV_EINVALID, "%s: expected a string", CTX("debugId"));
                goto out;
            }
            uv_str id;
            if ((rc = read_string(s, b->arena, &id))) goto out;
            if (!nested) b->debug_id = id;
        } else if (key_is(key, kesc, "ignoreList") || key_is(key, kesc, "x_google_ignoreList")) {
            int which = key_is(key, kesc, "ignoreList") ? 0 : 1;
            if (at_null(s)) continue;
            if (!at_char(s, '[')) {
                rc = fail(UV_EINVALID, "%s: expected an array",
                          CTX(which ? "x_google_ignoreList" : "ignoreList"));
                goto out;
            }
            mf.ignore_pos[which] = s->pos;
            mf.has_ignore[which] = true;
            if ((rc = skip_value(s))) goto out;
        } else if (key_is(key, kesc, "sections")) {
            if (nested) {
                rc = fail(UV_EINVALID, "%s: nested index maps are not allowed", CTX("sections"));
                goto out;
            }
            if (!at_char(s, '[')) {
                rc = fail(UV_EINVALID, "sections: expected an array");
                goto out;
            }
            mf.sections_pos = s->pos;
            mf.has_sections = true;
            if ((rc = skip_value(s))) goto out;
        } else if ((rc = skip_value(s))) {
            goto out;
        }
    }
    if (rc) goto out;
    if (!mf.has_version) {
        rc = fail(UV_EINVALID, "%s: missing (must be 3)", CTX("version"));
        goto out;
    }
    if (mf.has_sections) {
        jscan sub = {s->p, s->len, mf.sections_pos, s->depth};
        rc = parse_sections(&sub, b);
        goto out;
    }
    if (!mf.has_sources) {
        rc = fail(UV_EINVALID, "%s: missing", CTX("sources"));
        goto out;
    }
    if (!mf.has_mappings) {
        rc = fail(UV_EINVALID, "%s: missing", CTX("mappings"));
        goto out;
    }
    {
        jscan sub = {s->p, s->len, sources_pos, s->depth};
        if ((rc = parse_sources(&sub, b, CTX("sources"), &mf))) goto out;
    }
    if (mf.has_names) {
        jscan sub = {s->p, s->len, names_pos, s->depth};
        if ((rc = parse_names(&sub, b, CTX("names"), &mf))) goto out;
    } else {
        mf.name_first = b->names.len;
    }
    if (mf.src_count > 0 && contents.len > 0) {
        sm_source *srcs = (sm_source *)b->sources.data + mf.src_first;
        const content_span *cs = contents.data;
        for (size_t i = 0; i < mf.src_count && i < contents.len; i++) {
            srcs[i].content = cs[i].ptr;
            srcs[i].content_len = cs[i].len;
            srcs[i].content_state = cs[i].state;
        }
    }
    if ((rc = join_sources(b, &mf))) goto out;
    for (int which = 0; which < 2; which++) {
        if (!mf.has_ignore[which]) continue;
        jscan sub = {s->p, s->len, mf.ignore_pos[which], s->depth};
        if ((rc = apply_ignore_list(&sub, b, CTX(which ? "x_google_ignoreList" : "ignoreList"),
                                    &mf)))
            goto out;
    }
    {
        uv_str m = mf.mappings;
        if (mf.mappings_escaped && (rc = unescape_arena(b->arena, m, &m))) goto out;
        if (!nested) {
            /* a regular map is one section at 0:0 */
            sm_section *sec = vec_push(&b->sections);
            if (!sec) {
                rc = oom();
                goto out;
            }
            *sec = (sm_section){0, 0, 0, 0};
            if ((rc = start_line(b))) goto out;
        }
        rc = decode_mappings(b, CTX("mappings"), m, line_base, col_offset, (uint32_t)mf.src_first,
                             (uint32_t)mf.src_count, (uint32_t)mf.name_first,
                             (uint32_t)mf.name_count);
    }
out:
    free(contents.data);
    return rc;
#undef CTX
}

static void map_free_owned(uv_sourcemap *map)
{
    free(map->own_lines);
    free(map->own_segs);
    free(map->own_cols);
    free(map->own_sections);
    free(map->sources);
    free(map->names);
    uv_arena_free(map->arena);
    free(map);
}

int uv_sourcemap_parse(uv_sourcemap **out, const char *json, size_t len)
{
    *out = NULL;
    if (len > SM_MAX_INPUT)
        return fail(UV_ETOOBIG, "source map: %zu bytes is over the %zu byte limit", len,
                    SM_MAX_INPUT);
    builder b;
    memset(&b, 0, sizeof b);
    b.lines = (vec){NULL, 0, 0, sizeof(uint32_t), SM_MAX_LINES + 1};
    b.segs = (vec){NULL, 0, 0, sizeof(sm_seg), SM_MAX_SEGMENTS};
    b.sections = (vec){NULL, 0, 0, sizeof(sm_section), SM_MAX_ITEMS};
    b.sources = (vec){NULL, 0, 0, sizeof(sm_source), SM_MAX_ITEMS};
    b.names = (vec){NULL, 0, 0, sizeof(uv_str), SM_MAX_ITEMS};
    int rc = uv_arena_new(&b.arena);
    if (rc) return rc;

    jscan s = {json, len, 0, 0};
    /* The spec allows an XSSI guard line: )]}' */
    if (len >= 4 && memcmp(json, ")]}'", 4) == 0) {
        const char *nl = memchr(json, '\n', len);
        s.pos = nl ? (size_t)(nl - json) + 1 : len;
    }
    ws(&s);
    if (!at_char(&s, '{')) {
        rc = fail(UV_EINVALID, "source map: expected a JSON object at offset %zu", s.pos);
        goto fail;
    }
    if ((rc = parse_map_object(&s, &b, "", false, 0, 0))) goto fail;
    ws(&s);
    if (s.pos != len) {
        rc = fail(UV_EINVALID, "JSON: trailing characters at offset %zu", s.pos);
        goto fail;
    }
    if (b.lines.len == 0 && (rc = start_line(&b))) goto fail; /* index map without sections */
    /* closing entry */
    {
        uint32_t *end = vec_push(&b.lines);
        if (!end) {
            rc = oom();
            goto fail;
        }
        *end = (uint32_t)b.segs.len;
    }

    uint32_t *cols = malloc((b.segs.len ? b.segs.len : 1) * sizeof *cols);
    uv_sourcemap *map = cols ? calloc(1, sizeof *map) : NULL;
    if (!map) {
        free(cols);
        rc = oom();
        goto fail;
    }
    for (size_t i = 0; i < b.segs.len; i++)
        cols[i] = ((const sm_seg *)b.segs.data)[i].gen_col;
    map->own_cols = cols;
    map->cols = cols;
    map->arena = b.arena;
    map->own_lines = b.lines.data;
    map->line_offsets = b.lines.data;
    map->line_count = (uint32_t)(b.lines.len - 1);
    map->own_segs = b.segs.data;
    map->segs = b.segs.data;
    map->seg_count = b.segs.len;
    map->own_sections = b.sections.data;
    map->sections = b.sections.data;
    map->section_count = (uint32_t)b.sections.len;
    map->sources = b.sources.data;
    map->source_count = (uint32_t)b.sources.len;
    map->names = b.names.data;
    map->name_count = (uint32_t)b.names.len;
    map->file = b.file;
    map->debug_id = b.debug_id;
    *out = map;
    return 0;
fail:
    free(b.lines.data);
    free(b.segs.data);
    free(b.sections.data);
    free(b.sources.data);
    free(b.names.data);
    uv_arena_free(b.arena);
    return rc;
}

void uv_sourcemap_free(uv_sourcemap *map)
{
    if (map) map_free_owned(map);
}

/* ---- Lookup -------------------------------------------------------------------------- */

/* First index in [lo, hi) whose column is >= column (cols sorted within a line). */
static size_t lower_bound(const uint32_t *cols, size_t lo, size_t hi, uint32_t column)
{
    size_t n = hi - lo;
    const uint32_t *base = cols + lo;
    while (n > 1) {
        size_t half = n / 2;
        __builtin_prefetch(base + half / 2);
        __builtin_prefetch(base + half + half / 2);
        base = base[half] < column ? base + half : base;
        n -= half;
    }
    if (n == 1 && *base < column) base++;
    return (size_t)(base - cols);
}

/* Finds the segment mozilla's lookup returns within the section's segments [first, end):
 * Rust's slice::binary_search_by (as compiled into mozilla's mappings.wasm) over the
 * section, comparing (line, column), which stops at the first probe that compares equal;
 * failing that, the element before the insertion point if it is on the same line.
 * The probe sequence only needs to know, for an index, whether its segment compares less,
 * equal or greater, so it runs on the equal range [a, b) found by two lower bounds. */
static int search_section(const uv_sourcemap *map, size_t first, size_t end, uint32_t line,
                          uint32_t column, size_t *found)
{
    size_t lo = map->line_offsets[line], hi = map->line_offsets[line + 1];
    if (lo < first) lo = first;
    if (hi > end) hi = end;
    if (lo >= hi) return UV_ENOTFOUND;
    size_t a = lower_bound(map->cols, lo, hi, column);
    if (a == hi || map->cols[a] != column) {
        if (a == lo) return UV_ENOTFOUND;
        *found = a - 1;
        return 0;
    }
    size_t b = a + 1;
    if (b < hi && map->cols[b] == column)
        b = column == UINT32_MAX ? hi : lower_bound(map->cols, b, hi, column + 1);
    if (b - a == 1) {
        *found = a;
        return 0;
    }
    size_t left = first, right = end, size = end - first;
    while (left < right) {
        size_t mid = left + size / 2;
        if (mid < a) {
            left = mid + 1;
        } else if (mid >= b) {
            right = mid;
        } else {
            *found = mid;
            return 0;
        }
        size = right - left;
    }
    return UV_ENOTFOUND; /* unreachable: [a, b) is non-empty */
}

static int segment_token(const uv_sourcemap *map, size_t i, uint32_t line, uv_sm_token *out)
{
    const sm_seg *seg = &map->segs[i];
    if (seg->src == UV_SM_NONE) return UV_ENOTFOUND;
    if (seg->src >= map->source_count || (seg->name != UV_SM_NONE && seg->name >= map->name_count))
        return fail(UV_ECORRUPT, "source map cache: segment %zu has an index out of range", i);
    out->gen_line = line;
    out->gen_column = map->cols[i];
    out->source = seg->src;
    out->line = seg->orig_line;
    out->column = seg->orig_col;
    out->name = seg->name;
    return 0;
}

int uv_sourcemap_lookup(const uv_sourcemap *map, uint32_t line, uint32_t column, uv_sm_token *out)
{
    if (line >= map->line_count || map->section_count == 0) return UV_ENOTFOUND;
    /* the last section whose offset is <= (line, column) */
    size_t lo = 0, hi = map->section_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const sm_section *sec = &map->sections[mid];
        if (sec->line < line || (sec->line == line && sec->column <= column))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0) return UV_ENOTFOUND;
    size_t si = lo - 1;
    size_t first = map->sections[si].first_segment;
    size_t end = si + 1 < map->section_count ? map->sections[si + 1].first_segment : map->seg_count;
    if (first > end || end > map->seg_count)
        return fail(UV_ECORRUPT, "source map cache: section %zu has a bad segment range", si);
    size_t found;
    if (search_section(map, first, end, line, column, &found)) return UV_ENOTFOUND;
    return segment_token(map, found, line, out);
}

int uv_sourcemap_lookup_line(const uv_sourcemap *map, uint32_t line, uv_sm_token *out)
{
    if (line >= map->line_count) return UV_ENOTFOUND;
    for (size_t i = map->line_offsets[line]; i < map->line_offsets[line + 1]; i++) {
        if (map->segs[i].src == UV_SM_NONE) continue;
        return segment_token(map, i, line, out);
    }
    return UV_ENOTFOUND;
}

int uv_sourcemap_segment(const uv_sourcemap *map, size_t i, uv_sm_token *out)
{
    if (i >= map->seg_count) return UV_ENOTFOUND;
    /* the line holding segment i: the last line whose offset is <= i */
    size_t lo = 0, hi = map->line_count;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (map->line_offsets[mid] <= i)
            lo = mid;
        else
            hi = mid;
    }
    const sm_seg *seg = &map->segs[i];
    if (seg->src == UV_SM_NONE) {
        *out = (uv_sm_token){(uint32_t)lo, map->cols[i], UV_SM_NONE,
                             UV_SM_NONE,   UV_SM_NONE,   UV_SM_NONE};
        return 0;
    }
    return segment_token(map, i, (uint32_t)lo, out);
}

/* ---- Getters ------------------------------------------------------------------------- */

/* A string of the cache; off == UINT32_MAX stands for null (a null source, no content). */
static uv_str cache_str(const uv_sourcemap *map, disk_str ref)
{
    if (ref.off == UINT32_MAX) return UV_STR_NULL;
    return (uv_str){map->strtab + ref.off, ref.len}; /* validated at load */
}

uint32_t uv_sourcemap_source_count(const uv_sourcemap *map)
{
    return map->source_count;
}

uv_str uv_sourcemap_source(const uv_sourcemap *map, uint32_t i)
{
    if (i >= map->source_count) return UV_STR_NULL;
    if (map->from_cache) return cache_str(map, map->disk_sources[i].joined);
    return map->sources[i].joined;
}

uv_str uv_sourcemap_source_raw(const uv_sourcemap *map, uint32_t i)
{
    if (i >= map->source_count) return UV_STR_NULL;
    if (map->from_cache) return cache_str(map, map->disk_sources[i].raw);
    return map->sources[i].raw;
}

int uv_sourcemap_source_content(const uv_sourcemap *map, uint32_t i, uv_arena *arena, uv_str *out)
{
    if (i >= map->source_count) return UV_ENOTFOUND;
    if (map->from_cache) {
        disk_str ref = map->disk_sources[i].content;
        if (ref.off == UINT32_MAX) return UV_ENOTFOUND;
        *out = cache_str(map, ref);
        return 0;
    }
    const sm_source *src = &map->sources[i];
    switch (src->content_state) {
    case CONTENT_PLAIN:
        *out = (uv_str){src->content, src->content_len};
        return 0;
    case CONTENT_ESCAPED:
        return unescape_arena(arena, (uv_str){src->content, src->content_len}, out);
    default:
        return UV_ENOTFOUND;
    }
}

bool uv_sourcemap_source_ignored(const uv_sourcemap *map, uint32_t i)
{
    if (i >= map->source_count) return false;
    if (map->from_cache) return map->disk_sources[i].flags & 1u;
    return map->sources[i].ignored;
}

uint32_t uv_sourcemap_name_count(const uv_sourcemap *map)
{
    return map->name_count;
}

uv_str uv_sourcemap_name(const uv_sourcemap *map, uint32_t i)
{
    if (i >= map->name_count) return UV_STR_NULL;
    if (map->from_cache) return cache_str(map, map->disk_names[i]);
    return map->names[i];
}

uv_str uv_sourcemap_file(const uv_sourcemap *map)
{
    return map->file;
}

uv_str uv_sourcemap_debug_id(const uv_sourcemap *map)
{
    return map->debug_id;
}

size_t uv_sourcemap_segment_count(const uv_sourcemap *map)
{
    return map->seg_count;
}

/* ---- Cache --------------------------------------------------------------------------- */

/* Appends u32 values in little-endian order. */
static int append_u32s(uv_buf *out, const uint32_t *v, size_t n)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, (size_t)4, &bytes))
        return fail(UV_ETOOBIG, "source map cache: too large");
    uint8_t *p = uv_buf_reserve(out, bytes);
    if (!p) return uv_error_last()->code;
    for (size_t i = 0; i < n; i++)
        uv_put_le32(p + 4 * i, v[i]);
    out->len += bytes;
    return 0;
}

typedef struct {
    uv_buf strtab;
} cache_writer;

static int add_str(cache_writer *w, uv_str s, disk_str *ref)
{
    if (!s.ptr) {
        *ref = (disk_str){UINT32_MAX, 0};
        return 0;
    }
    if (w->strtab.len > UINT32_MAX || s.len > UINT32_MAX - w->strtab.len)
        return fail(UV_ETOOBIG, "source map cache: string table over 4 GiB");
    ref->off = (uint32_t)w->strtab.len;
    ref->len = (uint32_t)s.len;
    int rc = uv_buf_append(&w->strtab, s.ptr, s.len);
    if (rc) return rc;
    return uv_buf_append(&w->strtab, "", 1); /* NUL-terminate for callers' convenience */
}

static int add_content(cache_writer *w, const uv_sourcemap *map, uint32_t i, disk_str *ref)
{
    if (map->from_cache) return add_str(w, cache_str(map, map->disk_sources[i].content), ref);
    const sm_source *src = &map->sources[i];
    if (src->content_state == CONTENT_ABSENT) {
        *ref = (disk_str){UINT32_MAX, 0};
        return 0;
    }
    if (src->content_state == CONTENT_PLAIN)
        return add_str(w, (uv_str){src->content, src->content_len}, ref);
    /* unescape straight into the table */
    if (w->strtab.len > UINT32_MAX || src->content_len > UINT32_MAX - w->strtab.len)
        return fail(UV_ETOOBIG, "source map cache: string table over 4 GiB");
    char *dst = (char *)uv_buf_reserve(&w->strtab, src->content_len + 1);
    if (!dst) return uv_error_last()->code;
    size_t n = uv_jv_unescape(dst, src->content, src->content_len);
    dst[n] = '\0';
    ref->off = (uint32_t)w->strtab.len;
    ref->len = (uint32_t)n;
    w->strtab.len += n + 1;
    return 0;
}

static void put_ref(uint8_t *p, disk_str r)
{
    uv_put_le32(p, r.off);
    uv_put_le32(p + 4, r.len);
}

int uv_sourcemap_write_cache(const uv_sourcemap *map, uv_buf *out)
{
    cache_writer w = {UV_BUF_INIT};
    int rc = 0;
    size_t start = out->len;
    disk_header h;
    memset(&h, 0, sizeof h);
    if (map->seg_count > UINT32_MAX) return fail(UV_ETOOBIG, "source map cache: too many segments");
    if ((rc = add_str(&w, map->file, &h.file))) goto done;
    if ((rc = add_str(&w, map->debug_id, &h.debug_id))) goto done;

    /* header placeholder */
    if ((rc = uv_buf_append(out, &h, sizeof h))) goto done;
    if ((rc = uv_buf_align(out, 8))) goto done;
    h.lines_offset = (uint32_t)(out->len - start);
    if ((rc = append_u32s(out, map->line_offsets, (size_t)map->line_count + 1))) goto done;
    if ((rc = uv_buf_align(out, 8))) goto done;
    h.segments_offset = (uint32_t)(out->len - start);
    if ((rc = append_u32s(out, (const uint32_t *)map->segs, map->seg_count * 5))) goto done;
    if ((rc = uv_buf_align(out, 8))) goto done;
    h.columns_offset = (uint32_t)(out->len - start);
    if ((rc = append_u32s(out, map->cols, map->seg_count))) goto done;
    if ((rc = uv_buf_align(out, 8))) goto done;
    h.sections_offset = (uint32_t)(out->len - start);
    if ((rc = append_u32s(out, (const uint32_t *)map->sections, (size_t)map->section_count * 4)))
        goto done;
    if ((rc = uv_buf_align(out, 8))) goto done;
    h.sources_offset = (uint32_t)(out->len - start);
    for (uint32_t i = 0; i < map->source_count; i++) {
        disk_str raw, joined, content;
        if ((rc = add_str(&w, uv_sourcemap_source_raw(map, i), &raw))) goto done;
        uv_str j = uv_sourcemap_source(map, i), r = uv_sourcemap_source_raw(map, i);
        if (j.ptr == r.ptr && j.len == r.len)
            joined = raw;
        else if ((rc = add_str(&w, j, &joined)))
            goto done;
        if ((rc = add_content(&w, map, i, &content))) goto done;
        uint8_t rec[32];
        put_ref(rec, raw);
        put_ref(rec + 8, joined);
        put_ref(rec + 16, content);
        uv_put_le32(rec + 24, uv_sourcemap_source_ignored(map, i) ? 1u : 0u);
        uv_put_le32(rec + 28, 0);
        if ((rc = uv_buf_append(out, rec, sizeof rec))) goto done;
    }
    h.names_offset = (uint32_t)(out->len - start);
    for (uint32_t i = 0; i < map->name_count; i++) {
        disk_str ref;
        if ((rc = add_str(&w, uv_sourcemap_name(map, i), &ref))) goto done;
        uint8_t rec[8];
        put_ref(rec, ref);
        if ((rc = uv_buf_append(out, rec, sizeof rec))) goto done;
    }
    if ((rc = uv_buf_align(out, 8))) goto done;
    h.strtab_offset = (uint32_t)(out->len - start);
    if (w.strtab.len > UINT32_MAX || out->len - start > UINT32_MAX - w.strtab.len) {
        rc = fail(UV_ETOOBIG, "source map cache: over 4 GiB");
        goto done;
    }
    if ((rc = uv_buf_append(out, w.strtab.data, w.strtab.len))) goto done;

    h.magic = SM_CACHE_MAGIC;
    h.version = SM_CACHE_VERSION;
    h.line_count = map->line_count;
    h.segment_count = (uint32_t)map->seg_count;
    h.section_count = map->section_count;
    h.source_count = map->source_count;
    h.name_count = map->name_count;
    h.strtab_size = (uint32_t)w.strtab.len;
    {
        /* the header as little-endian u32s, in field order */
        uint32_t words[sizeof h / 4];
        memcpy(words, &h, sizeof h);
        for (size_t i = 0; i < sizeof h / 4; i++)
            uv_put_le32(out->data + start + 4 * i, words[i]);
    }
done:
    uv_buf_free(&w.strtab);
    if (rc) out->len = start;
    return rc;
}

static bool host_is_little_endian(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

/* Checks that [off, off + count*size) lies within len. */
static bool range_ok(size_t len, uint32_t off, size_t count, size_t size)
{
    size_t bytes, end;
    if (__builtin_mul_overflow(count, size, &bytes)) return false;
    if (__builtin_add_overflow((size_t)off, bytes, &end)) return false;
    return end <= len && (off & 7u) == 0;
}

static bool ref_ok(disk_str r, uint32_t strtab_size)
{
    if (r.off == UINT32_MAX) return r.len == 0;
    return r.off <= strtab_size && r.len <= strtab_size - r.off;
}

int uv_sourcemap_load_cache(uv_sourcemap **out, const void *bytes, size_t len)
{
    *out = NULL;
    const uint8_t *p = bytes;
    if (len < sizeof(disk_header))
        return fail(UV_ECORRUPT, "source map cache: %zu bytes is too short for a header", len);
    uint32_t magic = uv_get_le32(p);
    if (magic == SM_CACHE_MAGIC_FLIPPED)
        return fail(UV_ECORRUPT, "source map cache: written with the other byte order");
    if (magic != SM_CACHE_MAGIC) return fail(UV_ECORRUPT, "source map cache: bad magic");
    uint32_t version = uv_get_le32(p + 4);
    if (version != SM_CACHE_VERSION)
        return fail(UV_ECORRUPT, "source map cache: version %u, expected %u", version,
                    SM_CACHE_VERSION);
    if (!host_is_little_endian())
        return fail(UV_ECORRUPT, "source map cache: cannot map a little-endian cache here");
    if (((uintptr_t)bytes & 7u) != 0)
        return fail(UV_EINVALID, "source map cache: buffer must be 8-byte aligned");
    disk_header h;
    memcpy(&h, p, sizeof h);
    if (h.line_count >= UINT32_MAX || h.line_count > SM_MAX_LINES ||
        h.segment_count > SM_MAX_SEGMENTS || h.source_count > SM_MAX_ITEMS ||
        h.name_count > SM_MAX_ITEMS || h.section_count > SM_MAX_ITEMS)
        return fail(UV_ECORRUPT, "source map cache: counts out of range");
    if (!range_ok(len, h.lines_offset, (size_t)h.line_count + 1, 4) ||
        !range_ok(len, h.segments_offset, h.segment_count, sizeof(sm_seg)) ||
        !range_ok(len, h.columns_offset, h.segment_count, 4) || h.columns_offset < sizeof h ||
        !range_ok(len, h.sections_offset, h.section_count, sizeof(sm_section)) ||
        !range_ok(len, h.sources_offset, h.source_count, sizeof(disk_source)) ||
        !range_ok(len, h.names_offset, h.name_count, sizeof(disk_str)) ||
        !range_ok(len, h.strtab_offset, h.strtab_size, 1) || h.lines_offset < sizeof h ||
        h.segments_offset < sizeof h || h.strtab_offset < sizeof h)
        return fail(UV_ECORRUPT, "source map cache: an array lies outside the file");
    if (h.reserved != 0) return fail(UV_ECORRUPT, "source map cache: reserved field is not zero");
    if (!ref_ok(h.file, h.strtab_size) || !ref_ok(h.debug_id, h.strtab_size))
        return fail(UV_ECORRUPT, "source map cache: bad string reference in the header");
    const uint32_t *lines = (const uint32_t *)(p + h.lines_offset);
    if (lines[0] != 0 || lines[h.line_count] != h.segment_count)
        return fail(UV_ECORRUPT, "source map cache: line offsets do not span the segments");
    for (uint32_t i = 0; i < h.line_count; i++)
        if (lines[i] > lines[i + 1])
            return fail(UV_ECORRUPT, "source map cache: line offsets decrease at line %u", i);
    const sm_section *sections = (const sm_section *)(p + h.sections_offset);
    for (uint32_t i = 0; i < h.section_count; i++) {
        if (sections[i].first_segment > h.segment_count || sections[i].line >= h.line_count + 1u)
            return fail(UV_ECORRUPT, "source map cache: section %u out of range", i);
        if (i > 0 && (sections[i].first_segment < sections[i - 1].first_segment ||
                      sections[i].line < sections[i - 1].line ||
                      (sections[i].line == sections[i - 1].line &&
                       sections[i].column <= sections[i - 1].column)))
            return fail(UV_ECORRUPT, "source map cache: sections out of order at %u", i);
    }
    const disk_source *sources = (const disk_source *)(p + h.sources_offset);
    for (uint32_t i = 0; i < h.source_count; i++) {
        if (!ref_ok(sources[i].raw, h.strtab_size) || !ref_ok(sources[i].joined, h.strtab_size) ||
            !ref_ok(sources[i].content, h.strtab_size) || sources[i].reserved != 0 ||
            sources[i].flags > 1u)
            return fail(UV_ECORRUPT, "source map cache: source %u has a bad string reference", i);
    }
    const disk_str *names = (const disk_str *)(p + h.names_offset);
    for (uint32_t i = 0; i < h.name_count; i++)
        if (!ref_ok(names[i], h.strtab_size))
            return fail(UV_ECORRUPT, "source map cache: name %u has a bad string reference", i);

    uv_sourcemap *map = calloc(1, sizeof *map);
    if (!map) return oom();
    map->from_cache = true;
    map->line_offsets = lines;
    map->line_count = h.line_count;
    map->segs = (const sm_seg *)(p + h.segments_offset);
    map->cols = (const uint32_t *)(p + h.columns_offset);
    map->seg_count = h.segment_count;
    map->sections = sections;
    map->section_count = h.section_count;
    map->source_count = h.source_count;
    map->name_count = h.name_count;
    map->disk_sources = sources;
    map->disk_names = names;
    map->strtab = (const char *)(p + h.strtab_offset);
    map->strtab_size = h.strtab_size;
    map->file = cache_str(map, h.file);
    map->debug_id = cache_str(map, h.debug_id);
    *out = map;
    return 0;
}

/* ---- sourceMappingURL / debugId comments --------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Matches "# NAME=" or "@ NAME=" at the start of comment text; returns the value (up to
 * whitespace or the end of the text). */
static bool comment_value(const char *t, size_t n, const char *name, bool allow_legacy, uv_str *out)
{
    if (n < 2 || !(t[0] == '#' || (allow_legacy && t[0] == '@'))) return false;
    if (t[1] != ' ' && t[1] != '\t') return false;
    size_t nl = strlen(name);
    if (n - 2 < nl + 1 || memcmp(t + 2, name, nl) != 0 || t[2 + nl] != '=') return false;
    size_t i = 3 + nl, j = i;
    while (j < n && !is_space(t[j]) && t[j] != '"' && t[j] != '\'')
        j++;
    if (j == i) return false;
    /* only whitespace may follow the value inside the comment */
    for (size_t k = j; k < n; k++)
        if (!is_space(t[k])) return false;
    *out = (uv_str){t + i, j - i};
    return true;
}

/* Walks backwards over the trailing comments and whitespace of `js`; the last comment that
 * carries `name` wins. Code after it (or any code at all on the scanned lines) ends the
 * search. */
static int find_trailing(const char *js, size_t len, const char *name, bool allow_legacy,
                         uv_str *out)
{
    size_t end = len;
    while (end > 0) {
        while (end > 0 && is_space(js[end - 1]))
            end--;
        if (end == 0) break;
        if (end >= 2 && js[end - 2] == '*' && js[end - 1] == '/') {
            /* a block comment: find its opening */
            size_t open = end - 2;
            bool found = false;
            while (open >= 2) {
                if (js[open - 2] == '/' && js[open - 1] == '*') {
                    found = true;
                    break;
                }
                open--;
            }
            if (!found) return UV_ENOTFOUND;
            const char *t = js + open;
            size_t n = end - 2 - open;
            if (comment_value(t, n, name, allow_legacy, out)) return 0;
            end = open - 2;
            continue;
        }
        /* a line: a // comment from its start (after indentation) or code */
        size_t ls = end;
        while (ls > 0 && js[ls - 1] != '\n' && js[ls - 1] != '\r')
            ls--;
        size_t i = ls;
        while (i < end && (js[i] == ' ' || js[i] == '\t'))
            i++;
        if (end - i < 2 || js[i] != '/' || js[i + 1] != '/') return UV_ENOTFOUND;
        if (comment_value(js + i + 2, end - i - 2, name, allow_legacy, out)) return 0;
        end = ls;
    }
    return UV_ENOTFOUND;
}

int uv_sourcemap_find_url(const char *js, size_t len, uv_str *out)
{
    return find_trailing(js, len, "sourceMappingURL", true, out);
}

int uv_sourcemap_find_debug_id(const char *js, size_t len, uv_str *out)
{
    return find_trailing(js, len, "debugId", false, out);
}

/* ---- data: URLs ---------------------------------------------------------------------- */

static bool ieq(const char *a, size_t n, const char *b)
{
    if (strlen(b) != n) return false;
    for (size_t i = 0; i < n; i++) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != b[i]) return false;
    }
    return true;
}

static void trim(const char **p, size_t *n)
{
    while (*n && is_space(**p)) {
        (*p)++;
        (*n)--;
    }
    while (*n && is_space((*p)[*n - 1]))
        (*n)--;
}

int uv_sourcemap_decode_data_url(uv_str url, uv_arena *arena, uv_str *out)
{
    if (url.len < 5 || !ieq(url.ptr, 5, "data:"))
        return fail(UV_EINVALID, "data URL: does not start with data:");
    const char *comma = memchr(url.ptr, ',', url.len);
    if (!comma) return fail(UV_EINVALID, "data URL: missing ','");
    const char *meta = url.ptr + 5;
    size_t meta_len = (size_t)(comma - meta);
    bool base64 = false;
    size_t part = 0;
    while (meta_len > 0 || part == 0) {
        const char *semi = memchr(meta, ';', meta_len);
        size_t n = semi ? (size_t)(semi - meta) : meta_len;
        const char *t = meta;
        size_t tn = n;
        trim(&t, &tn);
        if (part == 0) {
            if (tn != 0 && !ieq(t, tn, "application/json"))
                return fail(UV_EINVALID, "data URL: media type '%.*s' is not application/json",
                            (int)(tn > 64 ? 64 : tn), t);
        } else if (ieq(t, tn, "base64")) {
            base64 = true;
        } else if (tn > 8 && ieq(t, 8, "charset=")) {
            if (!ieq(t + 8, tn - 8, "utf-8") && !ieq(t + 8, tn - 8, "utf8") &&
                !ieq(t + 8, tn - 8, "us-ascii"))
                return fail(UV_EINVALID, "data URL: unsupported charset '%.*s'",
                            (int)(tn - 8 > 32 ? 32 : tn - 8), t + 8);
        } else if (tn != 0) {
            return fail(UV_EINVALID, "data URL: unsupported parameter '%.*s'",
                        (int)(tn > 32 ? 32 : tn), t);
        }
        part++;
        if (!semi) break;
        meta_len -= n + 1;
        meta = semi + 1;
    }
    const char *d = comma + 1;
    size_t dn = url.len - (size_t)(d - url.ptr);
    char *dst = uv_arena_alloc(arena, dn + 1);
    if (!dst) return UV_ENOMEM;
    size_t o = 0;
    if (base64) {
        uint32_t acc = 0;
        int bits = 0;
        size_t pad = 0;
        for (size_t i = 0; i < dn; i++) {
            char c = d[i];
            if (c == '=') {
                pad++;
                continue;
            }
            if (is_space(c)) continue;
            int v = b64[(unsigned char)c] - 1;
            if (v < 0 && c == '-') v = 62; /* base64url */
            if (v < 0 && c == '_') v = 63;
            if (v < 0 || pad)
                return fail(UV_EINVALID, "data URL: invalid base64 at offset %zu",
                            (size_t)(d + i - url.ptr));
            acc = (acc << 6) | (uint32_t)v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                dst[o++] = (char)((acc >> bits) & 0xff);
            }
        }
        if (bits >= 6) return fail(UV_EINVALID, "data URL: truncated base64");
    } else {
        for (size_t i = 0; i < dn; i++) {
            if (d[i] == '%') {
                int hi = i + 2 < dn ? hexval(d[i + 1]) : -1;
                int lo = i + 2 < dn ? hexval(d[i + 2]) : -1;
                if (hi < 0 || lo < 0)
                    return fail(UV_EINVALID, "data URL: bad percent escape at offset %zu",
                                (size_t)(d + i - url.ptr));
                dst[o++] = (char)(hi << 4 | lo);
                i += 2;
            } else {
                dst[o++] = d[i];
            }
        }
    }
    dst[o] = '\0';
    out->ptr = dst;
    out->len = o;
    return 0;
}
