/* jv: see jv.h. One pass over the text, no recursion: the innermost open container is the
 * parse state (its `parent` leads back out), and while a container is open its `next` field,
 * unused until its own next sibling arrives, points at its last member so appending is O(1).
 *
 * A string is scanned once to validate it (UTF-8, escapes, surrogate pairs, control bytes)
 * and find its end; it is copied as is when it holds no escape, else decoded in a second pass
 * that can assume valid input. Numbers keep the text they were written with (in `str`/`len`)
 * so the writer copies them unchanged. Duplicate keys: a new key is compared with the members
 * so far while an object is small; an object that grows larger is checked once when it closes
 * by sorting its members by key, so the worst case is O(n log n). */
#include "formats/jv.h"

#include "formats/error.h"

#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Objects with up to this many members check each new key against the previous ones; larger
 * ones are sorted once at '}'. */
#define SMALL_OBJECT 16

/* jansson's JSON_PARSER_MAX_DEPTH. */
#define DEFAULT_MAX_DEPTH 2048

typedef struct {
    const unsigned char *text, *end;
    uv_arena *arena;
    uv_jv_error *error;
    unsigned max_depth;
    const uv_jv **scratch; /* members of a large object, sorted to find duplicates */
    size_t scratch_cap;
    /* Nodes and string bytes are handed out from chunks of the arena rather than one arena
     * call each (with UV_ARENA_MALLOC every one is its own allocation, for ASan). */
    uv_jv *nodes, *nodes_end;
    size_t node_chunk;
    char *bytes, *bytes_end;
    size_t byte_chunk;
} parser;

/* Chunks grow geometrically up to these sizes, so a small document wastes little and a large
 * one makes few arena calls. */
#define NODE_CHUNK_FIRST 32
#define NODE_CHUNK_MAX 4096
#define BYTE_CHUNK_FIRST 4096
#define BYTE_CHUNK_MAX (256 * 1024)

static inline uv_jv *new_node(parser *ps)
{
#ifdef UV_ARENA_MALLOC
    return uv_arena_alloc(ps->arena, sizeof(uv_jv));
#else
    if (ps->nodes == ps->nodes_end) {
        ps->nodes = uv_arena_alloc(ps->arena, ps->node_chunk * sizeof(uv_jv));
        if (!ps->nodes) return NULL;
        ps->nodes_end = ps->nodes + ps->node_chunk;
        if (ps->node_chunk < NODE_CHUNK_MAX) ps->node_chunk *= 2;
    }
    return ps->nodes++;
#endif
}

/* `size` bytes for text (no alignment). */
static inline char *new_bytes(parser *ps, size_t size)
{
#ifdef UV_ARENA_MALLOC
    return uv_arena_alloc(ps->arena, size);
#else
    if ((size_t)(ps->bytes_end - ps->bytes) < size) {
        if (size > ps->byte_chunk / 4) return uv_arena_alloc(ps->arena, size);
        ps->bytes = uv_arena_alloc(ps->arena, ps->byte_chunk);
        if (!ps->bytes) return NULL;
        ps->bytes_end = ps->bytes + ps->byte_chunk;
        if (ps->byte_chunk < BYTE_CHUNK_MAX) ps->byte_chunk *= 2;
    }
    char *p = ps->bytes;
    ps->bytes += size;
    return p;
#endif
}

/* 1 for bytes that may appear in a string as themselves without further checks. */
static const unsigned char plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20: '"' */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x30 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50: '\\' */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x60 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x70 */
};

/* The high bit of each byte of `word` (8 bytes of text) that is not plain: < 0x20, '"', '\\'
 * or >= 0x80. Borrows can mark bytes above a marked one too, never below, so the lowest mark
 * is exact. */
static inline uint64_t special_bytes(uint64_t word)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    uint64_t quote = word ^ (ones * '"'), backslash = word ^ (ones * '\\');
    uint64_t control = (word - ones * 0x20) & ~word;
    quote = (quote - ones) & ~quote;
    backslash = (backslash - ones) & ~backslash;
    return (control | quote | backslash | word) & high;
}

/* Index of the first marked byte in memory order. */
static inline unsigned first_byte(uint64_t marks)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (unsigned)__builtin_ctzll(marks) / 8;
#else
    return (unsigned)__builtin_clzll(marks) / 8;
#endif
}

static void locate(const unsigned char *text, size_t pos, int *line, int *column)
{
    size_t lines = 1, line_start = 0, chars = 1;
    for (size_t i = 0; i < pos; i++)
        if (text[i] == '\n') lines++, line_start = i + 1;
    for (size_t i = line_start; i < pos; i++)
        if ((text[i] & 0xC0) != 0x80) chars++;
    *line = lines > INT_MAX ? INT_MAX : (int)lines;
    *column = chars > INT_MAX ? INT_MAX : (int)chars;
}

/* Records a syntax (or depth) error found at `at` and returns `code`. */
__attribute__((format(printf, 4, 5))) static int fail(parser *ps, const unsigned char *at, int code,
                                                      const char *fmt, ...)
{
    char text[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    size_t pos = (size_t)(at - ps->text);
    int line, column;
    /* At the end of the input the column is the last character's, as jansson reports it. */
    locate(ps->text, at == ps->end && pos > 0 ? pos - 1 : pos, &line, &column);
    if (ps->error) {
        ps->error->line = line;
        ps->error->column = column;
        ps->error->position = pos;
        memcpy(ps->error->text, text, sizeof text);
    }
    return uv_error_set(code, UV_LIB_JSON, 0, "JSON: line %d column %d (byte %zu): %s", line,
                        column, pos, text);
}

static int out_of_memory(parser *ps)
{
    if (ps->error) {
        memset(ps->error, 0, sizeof *ps->error);
        snprintf(ps->error->text, sizeof ps->error->text, "out of memory");
    }
    return UV_ENOMEM;
}

static inline const unsigned char *skip_space(const unsigned char *p, const unsigned char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

static inline int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* The 4 hex digits at p (p + 4 <= end checked by the caller), or -1. */
static inline long hex4(const unsigned char *p)
{
    int a = hex_value(p[0]), b = hex_value(p[1]), c = hex_value(p[2]), d = hex_value(p[3]);
    if ((a | b | c | d) < 0) return -1;
    return (long)a << 12 | (long)b << 8 | (long)c << 4 | (long)d;
}

/* Bytes of the valid UTF-8 sequence at p (lead byte >= 0x80), or 0 when it is not valid:
 * overlong forms, UTF-16 surrogates, code points past U+10FFFF and truncated sequences. */
static inline size_t utf8_sequence(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t avail = (size_t)(end - p);
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* past U+10FFFF */
    } else
        return 0;
    if (avail < n || p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    return n;
}

static inline char *put_utf8(char *out, unsigned long cp)
{
    if (cp < 0x80) {
        *out++ = (char)cp;
    } else if (cp < 0x800) {
        *out++ = (char)(0xC0 | cp >> 6);
        *out++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *out++ = (char)(0xE0 | cp >> 12);
        *out++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *out++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *out++ = (char)(0xF0 | cp >> 18);
        *out++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *out++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *out++ = (char)(0x80 | (cp & 0x3F));
    }
    return out;
}

bool uv_jv_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t n = utf8_sequence(p, end);
        if (n == 0) return false;
        p += n;
    }
    return true;
}

size_t uv_jv_unescape(char *dst, const char *src, size_t len)
{
    const char *p = src, *end = src + len;
    char *o = dst;
    while (p < end) {
        const char *bs = memchr(p, '\\', (size_t)(end - p));
        if (!bs) bs = end;
        memcpy(o, p, (size_t)(bs - p));
        o += bs - p;
        p = bs;
        if (p + 1 >= end) break;
        char c = p[1];
        p += 2;
        switch (c) {
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u': {
            long cp = end - p >= 4 ? hex4((const unsigned char *)p) : -1;
            if (cp < 0) return (size_t)(o - dst); /* not well formed: stop, never overrun */
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                long low = hex4((const unsigned char *)p + 2);
                if (low >= 0xDC00 && low <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    p += 6;
                }
            }
            o = put_utf8(o, (unsigned long)cp);
            break;
        }
        default: /* '"', '\\', '/' */
            *o++ = c;
        }
    }
    return (size_t)(o - dst);
}

/* Parses the string whose opening quote is at *pp: validates it, stores the decoded,
 * NUL-terminated text in the arena, and leaves *pp after the closing quote. */
static int parse_string(parser *ps, const unsigned char **pp, const char **out, uint32_t *out_len)
{
    const unsigned char *s = *pp + 1, *q = s, *end = ps->end;
    bool escaped = false;
    for (;;) {
        while (end - q >= 8) { /* the common case: runs of plain ASCII, 8 bytes at a time */
            uint64_t word;
            memcpy(&word, q, 8);
            uint64_t special = special_bytes(word);
            if (special) {
                q += first_byte(special);
                break;
            }
            q += 8;
        }
        while (q < end && plain[*q])
            q++;
        if (q == end) return fail(ps, q, UV_EINVALID, "premature end of input");
        unsigned char c = *q;
        if (c == '"') break;
        if (c == '\\') {
            escaped = true;
            if (q + 1 == end) return fail(ps, q + 1, UV_EINVALID, "premature end of input");
            switch (q[1]) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                q += 2;
                continue;
            case 'u':
                break;
            default:
                return fail(ps, q, UV_EINVALID, "invalid escape");
            }
            long cp = end - q >= 6 ? hex4(q + 2) : -1;
            if (cp < 0) return fail(ps, q, UV_EINVALID, "invalid escape");
            if (cp == 0)
                return fail(ps, q, UV_EINVALID, "\\u0000 is not allowed without JSON_ALLOW_NUL");
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return fail(ps, q, UV_EINVALID, "invalid Unicode '\\u%04lX'", cp);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (end - q < 8 || q[6] != '\\' || q[7] != 'u')
                    return fail(ps, q, UV_EINVALID, "invalid Unicode '\\u%04lX'", cp);
                long low = end - q >= 12 ? hex4(q + 8) : -1;
                if (low < 0) return fail(ps, q + 6, UV_EINVALID, "invalid escape");
                if (low < 0xDC00 || low > 0xDFFF)
                    return fail(ps, q, UV_EINVALID, "invalid Unicode '\\u%04lX\\u%04lX'", cp, low);
                q += 6;
            }
            q += 6;
            continue;
        }
        if (c < 0x20) {
            if (c == '\n') return fail(ps, q, UV_EINVALID, "unexpected newline");
            return fail(ps, q, UV_EINVALID, "control character 0x%x in string", c);
        }
        size_t n = utf8_sequence(q, end);
        if (!n) return fail(ps, q, UV_EINVALID, "unable to decode byte 0x%x", c);
        q += n;
    }
    size_t raw = (size_t)(q - s);
    if (raw > UINT32_MAX) return fail(ps, s, UV_ETOOBIG, "string longer than 4 GiB");
    char *text = new_bytes(ps, raw + 1);
    if (!text) return out_of_memory(ps);
    size_t len = raw;
    if (!escaped)
        memcpy(text, s, raw);
    else
        len = uv_jv_unescape(text, (const char *)s, (size_t)(q - s));
    text[len] = '\0';
    *out = text;
    *out_len = (uint32_t)len;
    *pp = q + 1;
    return 0;
}

static double parse_real(const char *text, size_t len)
{
    char *stop;
    double value = strtod(text, &stop);
    if (stop == text + len) return value;
    /* A locale whose decimal point is not '.': write the number its way, as jansson does. */
    const char *point = localeconv()->decimal_point;
    char local[512];
    size_t point_len = strlen(point);
    if (len + point_len >= sizeof local) return value;
    const char *dot = memchr(text, '.', len);
    if (!dot) return value;
    size_t head = (size_t)(dot - text);
    memcpy(local, text, head);
    memcpy(local + head, point, point_len);
    memcpy(local + head + point_len, dot + 1, len - head); /* with the NUL */
    return strtod(local, NULL);
}

/* Parses the number at *pp into v (type, integer, real, and its text in str/len). */
static int parse_number(parser *ps, const unsigned char **pp, uv_jv *v)
{
    const unsigned char *start = *pp, *p = start, *end = ps->end;
    bool negative = false, real = false;
    if (*p == '-') negative = true, p++;
    if (p == end || *p < '0' || *p > '9') return fail(ps, start, UV_EINVALID, "invalid token");
    const unsigned char *digits = p;
    if (*p == '0') {
        p++;
        if (p < end && *p >= '0' && *p <= '9') return fail(ps, start, UV_EINVALID, "invalid token");
    } else {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    const unsigned char *digits_end = p;
    if (p < end && *p == '.') {
        p++;
        if (p == end || *p < '0' || *p > '9') return fail(ps, start, UV_EINVALID, "invalid token");
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        real = true;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p == end || *p < '0' || *p > '9') return fail(ps, start, UV_EINVALID, "invalid token");
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        real = true;
    }
    size_t len = (size_t)(p - start);
    if (len > UINT32_MAX) return fail(ps, start, UV_ETOOBIG, "number longer than 4 GiB");
    char *text = new_bytes(ps, len + 1);
    if (!text) return out_of_memory(ps);
    memcpy(text, start, len);
    text[len] = '\0';
    v->str = text;
    v->len = (uint32_t)len;
    if (!real) {
        uint64_t magnitude = 0;
        uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        for (const unsigned char *d = digits; d < digits_end; d++) {
            if (__builtin_mul_overflow(magnitude, 10, &magnitude) ||
                __builtin_add_overflow(magnitude, (uint64_t)(*d - '0'), &magnitude) ||
                magnitude > limit)
                return fail(ps, start, UV_EINVALID,
                            negative ? "too big negative integer" : "too big integer");
        }
        v->type = UV_JV_INTEGER;
        v->integer = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
        v->real = (double)v->integer;
    } else {
        double value = parse_real(text, len);
        if (isinf(value)) return fail(ps, start, UV_EINVALID, "real number overflow");
        v->type = UV_JV_REAL;
        v->real = value;
    }
    *pp = p;
    return 0;
}

static int compare_keys(const void *a, const void *b)
{
    const uv_jv *x = *(const uv_jv *const *)a, *y = *(const uv_jv *const *)b;
    if (x->key_len != y->key_len) return x->key_len < y->key_len ? -1 : 1;
    return memcmp(x->key, y->key, x->key_len);
}

/* Whether the (large) object has two members with the same key: sorts its members by key. */
static int check_duplicates(parser *ps, const uv_jv *object, bool *duplicate)
{
    if (ps->scratch_cap < object->len) {
        const uv_jv **grown = realloc(ps->scratch, object->len * sizeof *grown);
        if (!grown) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "JSON: out of memory");
        ps->scratch = grown;
        ps->scratch_cap = object->len;
    }
    size_t n = 0;
    for (const uv_jv *m = object->first; m; m = m->next)
        ps->scratch[n++] = m;
    qsort(ps->scratch, n, sizeof *ps->scratch, compare_keys);
    *duplicate = false;
    for (size_t i = 1; i < n && !*duplicate; i++)
        *duplicate = compare_keys(&ps->scratch[i - 1], &ps->scratch[i]) == 0;
    return 0;
}

static int parse(parser *ps, uv_jv **root_out)
{
    const unsigned char *p = ps->text, *end = ps->end;
    uv_jv *container = NULL; /* innermost open array or object */
    unsigned depth = 0;      /* open containers */
    const char *key = NULL;  /* key of the next member of an object */
    uint32_t key_len = 0;
    uv_jv *root = NULL, *v;
    int rc;

value:
    p = skip_space(p, end);
    if (depth >= ps->max_depth) /* the value would be at depth + 1; jansson counts the same */
        return fail(ps, p, UV_ETOOBIG, "maximum parsing depth reached");
    if (p == end) return fail(ps, p, UV_EINVALID, "premature end of input");
    v = new_node(ps);
    if (!v) return out_of_memory(ps);
    v->len = 0;
    v->str = NULL;
    v->key = key;
    v->key_len = key_len;
    v->integer = 0;
    v->real = 0;
    v->first = v->next = NULL;
    v->parent = container;
    v->start = (size_t)(p - ps->text);
    if (!container) {
        root = v;
    } else {
        if (container->len == UINT32_MAX)
            return fail(ps, p, UV_ETOOBIG, "more than %u members", UINT32_MAX);
        if (container->next)
            container->next->next = v;
        else
            container->first = v;
        container->next = v;
        container->len++;
    }
    switch (*p) {
    case '{':
        v->type = UV_JV_OBJECT;
        container = v;
        depth++;
        p = skip_space(p + 1, end);
        if (p < end && *p == '}') {
            p++;
            goto close;
        }
        if (p == end || *p != '"') return fail(ps, p, UV_EINVALID, "string or '}' expected");
        goto member;
    case '[':
        v->type = UV_JV_ARRAY;
        container = v;
        depth++;
        p = skip_space(p + 1, end);
        if (p < end && *p == ']') {
            p++;
            goto close;
        }
        key = NULL;
        key_len = 0;
        goto value;
    case '"':
        v->type = UV_JV_STRING;
        if ((rc = parse_string(ps, &p, &v->str, &v->len))) return rc;
        break;
    case 't':
        if (end - p < 4 || memcmp(p, "true", 4) != 0)
            return fail(ps, p, UV_EINVALID, "invalid token");
        v->type = UV_JV_TRUE;
        p += 4;
        break;
    case 'f':
        if (end - p < 5 || memcmp(p, "false", 5) != 0)
            return fail(ps, p, UV_EINVALID, "invalid token");
        v->type = UV_JV_FALSE;
        p += 5;
        break;
    case 'n':
        if (end - p < 4 || memcmp(p, "null", 4) != 0)
            return fail(ps, p, UV_EINVALID, "invalid token");
        v->type = UV_JV_NULL;
        p += 4;
        break;
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
        if ((rc = parse_number(ps, &p, v))) return rc;
        break;
    default:
        if (*p >= 0x80 && !utf8_sequence(p, end))
            return fail(ps, p, UV_EINVALID, "unable to decode byte 0x%x", *p);
        return fail(ps, p, UV_EINVALID, container ? "unexpected token" : "'[' or '{' expected");
    }
    v->end = (size_t)(p - ps->text);
    /* jansson's lexer reads one byte past a number or a literal and pushes it back; a NUL
     * pushed back is lost, so "[1\0]" loads as [1]. Accept exactly that much. */
    if (v->type != UV_JV_STRING && p < end && *p == '\0') p++;

after_value:
    p = skip_space(p, end);
    if (!container) {
        if (p != end) {
            if (*p >= 0x80 && !utf8_sequence(p, end))
                return fail(ps, p, UV_EINVALID, "unable to decode byte 0x%x", *p);
            return fail(ps, p, UV_EINVALID, "end of file expected");
        }
        *root_out = root;
        return 0;
    }
    if (p == end) return fail(ps, p, UV_EINVALID, "premature end of input");
    if (container->type == UV_JV_ARRAY) {
        if (*p == ',') {
            p++;
            key = NULL;
            key_len = 0;
            goto value;
        }
        if (*p == ']') {
            p++;
            goto close;
        }
        return fail(ps, p, UV_EINVALID, "']' expected");
    }
    if (*p == '}') {
        p++;
        goto close;
    }
    if (*p != ',') return fail(ps, p, UV_EINVALID, "'}' expected");
    p = skip_space(p + 1, end);
    if (p == end || *p != '"') return fail(ps, p, UV_EINVALID, "string expected");

member : /* p is at the opening quote of the key of a new member of `container` */
{
    const unsigned char *key_at = p;
    if ((rc = parse_string(ps, &p, &key, &key_len))) return rc;
    if (container->len < SMALL_OBJECT)
        for (const uv_jv *m = container->first; m; m = m->next)
            if (m->key_len == key_len && memcmp(m->key, key, key_len) == 0)
                return fail(ps, key_at, UV_EINVALID, "duplicate object key");
    p = skip_space(p, end);
    if (p == end || *p != ':') return fail(ps, p, UV_EINVALID, "':' expected");
    p++;
    goto value;
}

close: /* p is just past the bracket that closes `container` */
    v = container;
    v->end = (size_t)(p - ps->text);
    v->next = NULL;
    if (v->type == UV_JV_OBJECT && v->len > SMALL_OBJECT) {
        bool duplicate = false;
        if ((rc = check_duplicates(ps, v, &duplicate))) return out_of_memory(ps);
        if (duplicate) return fail(ps, p - 1, UV_EINVALID, "duplicate object key");
    }
    container = v->parent;
    depth--;
    goto after_value;
}

int uv_jv_parse(uv_jv_doc **out, const char *text, size_t len, const uv_jv_limits *limits,
                uv_jv_error *error)
{
    *out = NULL;
    if (error) memset(error, 0, sizeof *error);
    if (!text && len) return uv_error_set(UV_EINVALID, UV_LIB_JSON, 0, "JSON: no text");
    uv_arena *arena;
    int rc = uv_arena_new(&arena);
    if (rc) return rc;
    uv_jv_doc *doc = uv_arena_alloc(arena, sizeof *doc);
    if (!doc) {
        uv_arena_free(arena);
        return UV_ENOMEM;
    }
    static const unsigned char empty[1];
    const unsigned char *bytes = text ? (const unsigned char *)text : empty;
    parser ps = {
        .text = bytes,
        .end = bytes + len,
        .arena = arena,
        .error = error,
        .max_depth = limits && limits->max_depth ? limits->max_depth : DEFAULT_MAX_DEPTH,
        .node_chunk = NODE_CHUNK_FIRST,
        .byte_chunk = BYTE_CHUNK_FIRST,
    };
    uv_jv *root = NULL;
    rc = parse(&ps, &root);
    free(ps.scratch);
    if (rc) {
        uv_arena_free(arena);
        return rc;
    }
    *doc = (uv_jv_doc){.arena = arena, .root = root, .text = text, .text_len = len};
    *out = doc;
    return 0;
}

void uv_jv_free(uv_jv_doc *doc)
{
    if (doc) uv_arena_free(doc->arena); /* the doc lives in its own arena */
}

uv_jv *uv_jv_get(const uv_jv *object, const char *key)
{
    if (!object || object->type != UV_JV_OBJECT || !key) return NULL;
    size_t len = strlen(key);
    for (uv_jv *m = object->first; m; m = m->next)
        if (m->key_len == len && memcmp(m->key, key, len) == 0) return m;
    return NULL;
}

static inline unsigned char ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

uv_jv *uv_jv_get_ci(const uv_jv *object, const char *key)
{
    if (!object || object->type != UV_JV_OBJECT || !key) return NULL;
    size_t len = strlen(key);
    for (uv_jv *m = object->first; m; m = m->next) {
        if (m->key_len != len) continue;
        size_t i = 0;
        while (i < len &&
               ascii_lower((unsigned char)m->key[i]) == ascii_lower((unsigned char)key[i]))
            i++;
        if (i == len) return m;
    }
    return NULL;
}

int uv_jv_set_string(uv_jv_doc *doc, uv_jv *v, const char *s, size_t len)
{
    if (len > UINT32_MAX)
        return uv_error_set(UV_ETOOBIG, UV_LIB_JSON, 0, "JSON: string longer than 4 GiB");
    char *copy = uv_arena_strndup(doc->arena, s, len);
    if (!copy) return UV_ENOMEM;
    v->type = UV_JV_STRING;
    v->str = copy;
    v->len = (uint32_t)len;
    v->integer = 0;
    v->real = 0;
    v->first = NULL;
    v->start = v->end = 0;
    doc->modified = true;
    return 0;
}

void uv_jv_remove(uv_jv_doc *doc, uv_jv *member)
{
    uv_jv *parent = member ? member->parent : NULL;
    if (!parent) return;
    /* Start after the member that preceded the last removal when it is a sibling: a walk that
     * removes members as it goes forward (the scrubber's IP "drop") then costs O(1) a removal
     * instead of a scan of the parent from the start. */
    uv_jv *hint = doc->remove_hint;
    bool from_hint = hint && hint->parent == parent && hint != member;
    for (int pass = 0; pass < 2; pass++, from_hint = false) {
        uv_jv *prev = from_hint ? hint : NULL;
        for (uv_jv **link = from_hint ? &hint->next : &parent->first; *link;
             prev = *link, link = &(*link)->next) {
            if (*link != member) continue;
            /* The member keeps its own links, so a loop over the members that removes the one
             * it stands on still reaches the next; a second removal finds nothing to do. */
            *link = member->next;
            parent->len--;
            doc->modified = true;
            doc->remove_hint = prev;
            return;
        }
        if (!from_hint) return;
    }
}

int uv_jv_write_string(uv_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF"; /* jansson writes \u001F */
    int rc = uv_buf_append(out, "\"", 1);
    size_t run = 0; /* start of the bytes not yet copied */
    for (size_t i = 0; rc == 0 && i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        if (i > run) rc = uv_buf_append(out, s + run, i - run);
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u', esc[2] = '0', esc[3] = '0', esc[4] = hex[c >> 4], esc[5] = hex[c & 15];
            n = 6;
        }
        if (rc == 0) rc = uv_buf_append(out, esc, n);
        run = i + 1;
    }
    if (rc == 0 && len > run) rc = uv_buf_append(out, s + run, len - run);
    if (rc == 0) rc = uv_buf_append(out, "\"", 1);
    return rc;
}

/* Writes one value without its members (a container's opening bracket only, or both brackets
 * when it is empty). */
static int write_scalar_or_open(uv_buf *out, const uv_jv *v)
{
    switch (v->type) {
    case UV_JV_NULL:
        return uv_buf_append(out, "null", 4);
    case UV_JV_FALSE:
        return uv_buf_append(out, "false", 5);
    case UV_JV_TRUE:
        return uv_buf_append(out, "true", 4);
    case UV_JV_INTEGER:
    case UV_JV_REAL:
        if (v->str) return uv_buf_append(out, v->str, v->len);
        if (v->type == UV_JV_INTEGER) return uv_buf_printf(out, "%" PRId64, v->integer);
        return uv_buf_printf(out, "%.17g", v->real);
    case UV_JV_STRING:
        return uv_jv_write_string(out, v->str, v->len);
    case UV_JV_ARRAY:
        return uv_buf_append(out, v->first ? "[" : "[]", v->first ? 1 : 2);
    case UV_JV_OBJECT:
        return uv_buf_append(out, v->first ? "{" : "{}", v->first ? 1 : 2);
    }
    return uv_error_set(UV_EINVALID, UV_LIB_JSON, 0, "JSON: unknown value type");
}

int uv_jv_write(uv_buf *out, const uv_jv *v)
{
    if (!v) return uv_error_set(UV_EINVALID, UV_LIB_JSON, 0, "JSON: no value");
    const uv_jv *cur = v;
    int rc;
    for (;;) {
        if (cur != v) {
            if (cur != cur->parent->first && (rc = uv_buf_append(out, ",", 1))) return rc;
            if (cur->parent->type == UV_JV_OBJECT) {
                if ((rc = uv_jv_write_string(out, cur->key, cur->key_len))) return rc;
                if ((rc = uv_buf_append(out, ":", 1))) return rc;
            }
        }
        if ((rc = write_scalar_or_open(out, cur))) return rc;
        if ((cur->type == UV_JV_ARRAY || cur->type == UV_JV_OBJECT) && cur->first) {
            cur = cur->first;
            continue;
        }
        while (cur != v && !cur->next) {
            cur = cur->parent;
            if ((rc = uv_buf_append(out, cur->type == UV_JV_OBJECT ? "}" : "]", 1))) return rc;
        }
        if (cur == v) return 0;
        cur = cur->next;
    }
}
