/* Scrubbing occurrence payloads (formats/jv.h trees) before they are stored.
 *
 * At every object member:
 *   1. a key that matches a secret pattern (lowercased, `-`/`_` removed, substring match)
 *      replaces the whole value — string, number, object or array — by "[scrubbed]"
 *      (null and booleans carry nothing and stay);
 *   2. else a key named like an IP field follows the IP policy;
 *   3. else strings are scanned (below), numbers checked for card numbers, containers walked.
 * Inside strings, these spans become "[scrubbed]":
 *   - the value of `key=value` / `key: value` / `"key": "value"` pairs whose key matches
 *     (query strings, cookie headers, form bodies, header lines, JSON carried as text);
 *   - the password of URL userinfo (`scheme://user:PASS@host`);
 *   - the credential after `Bearer ` and after `Basic ` (when it looks like base64);
 *   - 13–19 digit runs (single spaces or dashes allowed between groups) with a card
 *     issuer prefix that pass the Luhn check.
 *
 * Every stored occurrence goes through here, and almost every key and string holds nothing,
 * so that case is made cheap:
 *   - the walk follows the tree's parent links: no stack, no allocation, any depth;
 *   - a key is normalised (ASCII only: no locale) into a stack buffer and each of its
 *     positions is looked up in a 4096-bit table of the patterns' first two bytes; only a hit
 *     compares the patterns that start with those bytes (sorted, binary-searched). One-byte
 *     patterns have a table of their own;
 *   - a string is searched for pairs only at its '=' and ':' (the key is found by walking
 *     back from the separator: the same keys a forward scan would find), for userinfo only at
 *     "://", for Bearer/Basic only at spaces, for card numbers only when it holds ≥ 13 digits;
 *   - each key's verdict and each string found clean is remembered for the rest of the call
 *     (small direct-mapped caches), since frames repeat the same keys and file names.
 * On the 20-frame benchmark item this is ~2 µs where the jansson version took ~60 µs.
 * docs/privacy.md is the user-facing page, with the known false positives. */
#include "formats/scrub.h"

#include "formats/buf.h"
#include "formats/error.h"
#include "formats/jv.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A string literal and its length, for the tables below. */
#define WITH_LENGTH(literal) literal, sizeof literal - 1

/* Already normalised (lowercase, no `-`/`_`), and in the order of their first two bytes, which
 * is how the matcher sorts patterns (so sorting the defaults moves nothing). "token" also
 * matches "tokenizer" and "session" matches "sessionCount": over-scrubbing is the accepted
 * price of never leaking. */
static const struct {
    const char *text;
    size_t len;
} default_patterns[] = {
    {WITH_LENGTH("apikey")},     {WITH_LENGTH("authorization")}, {WITH_LENGTH("cardnumber")},
    {WITH_LENGTH("ccnumber")},   {WITH_LENGTH("cookie")},        {WITH_LENGTH("creditcard")},
    {WITH_LENGTH("credential")}, {WITH_LENGTH("csrf")},          {WITH_LENGTH("cvv")},
    {WITH_LENGTH("jwt")},        {WITH_LENGTH("password")},      {WITH_LENGTH("passwd")},
    {WITH_LENGTH("passphrase")}, {WITH_LENGTH("privatekey")},    {WITH_LENGTH("secret")},
    {WITH_LENGTH("session")},    {WITH_LENGTH("signature")},     {WITH_LENGTH("token")},
    {WITH_LENGTH("xsrf")},
};
#define DEFAULT_PATTERN_COUNT (sizeof default_patterns / sizeof *default_patterns)

/* Keys (normalised, compared whole) that hold a client IP address. */
static const struct {
    const char *name;
    size_t len;
} ip_keys[] = {
    {WITH_LENGTH("userip")},        {WITH_LENGTH("ip")},       {WITH_LENGTH("ipaddress")},
    {WITH_LENGTH("remoteaddr")},    {WITH_LENGTH("remoteip")}, {WITH_LENGTH("clientip")},
    {WITH_LENGTH("xforwardedfor")}, {WITH_LENGTH("xrealip")},
};

uv_scrub_rules uv_scrub_defaults(void)
{
    return (uv_scrub_rules){
        .enabled = true,
        .key_patterns = NULL,
        .key_pattern_count = 0,
        .extra_patterns = NULL,
        .extra_pattern_count = 0,
        .scrub_card_numbers = true,
        .ip_policy = UV_IP_STORE,
        .extra_fields = NULL,
    };
}

/* ---- ASCII character classes (payload bytes, never the C library's locale) ---- */

typedef struct {
    uint64_t lo, hi; /* bit c of lo (c < 64) or of hi (64 ≤ c < 128): c is in the set */
} char_set;

/* letters and digits */
static const char_set ALNUM = {0x03ff000000000000u, 0x07fffffe07fffffeu};
/* a key inside a string: letters, digits, `_-[]%` */
static const char_set KEY_CHARS = {0x03ff202000000000u, 0x07fffffeaffffffeu};
/* a credential after Bearer/Basic: letters, digits, `-._~+/=` */
static const char_set TOKEN_CHARS = {0x23ffe80000000000u, 0x47fffffe87fffffeu};
/* base64: letters, digits, `+/=` */
static const char_set BASE64_CHARS = {0x23ff880000000000u, 0x07fffffe07fffffeu};
/* what ends an unquoted `key=value` value: `&;, \t\r\n"'<>` */
static const char_set VALUE_END = {0x580010c500002600u, 0};
/* what ends a URL's authority: `/?#"'<> \t\r\n` */
static const char_set AUTHORITY_END = {0xd000808d00002600u, 0};

static inline bool in_set(char_set set, char c)
{
    unsigned u = (unsigned char)c;
    return u < 128 && ((u < 64 ? set.lo : set.hi) >> (u & 63) & 1);
}

static inline bool is_digit(char c)
{
    return (unsigned)((unsigned char)c - '0') < 10;
}

static inline unsigned char to_lower(unsigned char c)
{
    return (unsigned)(c - 'A') < 26 ? (unsigned char)(c + ('a' - 'A')) : c;
}

static bool is_quote(char c)
{
    return c == '"' || c == '\'';
}

/* Whether the `n` bytes at s equal `lower` (lowercase ASCII) ignoring ASCII case. */
static bool equals_ci(const char *s, const char *lower, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (to_lower((unsigned char)s[i]) != (unsigned char)lower[i]) return false;
    return true;
}

static bool ends_with_ci(const char *s, size_t len, const char *lower_suffix)
{
    size_t n = strlen(lower_suffix);
    return len >= n && equals_ci(s + len - n, lower_suffix, n);
}

static bool is_scrubbed_text(const char *s, size_t len)
{
    return len == sizeof UV_SCRUBBED - 1 && memcmp(s, UV_SCRUBBED, len) == 0;
}

static bool is_scrubbed(const uv_jv *value)
{
    return value->type == UV_JV_STRING && is_scrubbed_text(value->str, value->len);
}

/* ---- the context of one call ---- */

typedef struct {
    size_t start, end;
} span;

typedef struct {
    const char *text; /* normalised, at least two bytes */
    size_t len;
    uint16_t first2; /* text[0] << 8 | text[1]: the sort key */
} pattern;

enum {
    INLINE_PATTERNS = 32,      /* the defaults plus a dozen project fields need no malloc */
    INLINE_PATTERN_TEXT = 512, /* normalised non-default patterns, likewise */
    INLINE_KEY = 256,          /* longer keys are normalised into a heap buffer */
    PAIR_TABLE_BITS = 4096,
};

/* Keys and strings repeat within a payload (every frame has the same keys, and mostly the
 * same file name), so what was found for one is remembered for the rest of the call. */
enum { KEY_SECRET = 1, KEY_IP = 2, KEY_CACHE = 64, STRING_CACHE = 32 };

typedef struct {
    const char *key; /* an object key of the document (NULL: empty slot) */
    size_t len;
    unsigned verdict; /* 0, KEY_SECRET or KEY_IP */
} key_verdict;

typedef struct {
    const char *str; /* a string of the document with nothing to scrub (NULL: empty slot) */
    size_t len;
} clean_string;

/* A cache slot (`slots` a power of two) for `len` bytes of NUL-terminated s. */
static inline size_t cache_slot(const char *s, size_t len, size_t slots)
{
    unsigned first = (unsigned char)s[0], last = (unsigned char)s[len ? len - 1 : 0];
    return (len * 7 + first * 31 + last) & (slots - 1);
}

typedef struct {
    const uv_scrub_rules *rules;
    uv_jv_doc *doc;
    pattern *patterns; /* two bytes or longer, sorted by first2 */
    size_t pattern_count;
    char *pattern_text; /* the normalised non-default patterns */
    size_t pattern_text_used;
    uint64_t pair_table[PAIR_TABLE_BITS / 64]; /* pair_hash of each pattern's first two bytes */
    uint64_t single_table[4];                  /* bit c: c alone is a pattern */
    bool has_single;
    uv_buf key;  /* scratch: a normalised key longer than INLINE_KEY */
    uv_buf text; /* scratch: a rewritten string */
    span *spans; /* scratch: spans of the current string to replace */
    size_t span_count, span_cap;
    size_t replaced;
    bool failed; /* out of memory: the document is unusable */
    key_verdict key_cache[KEY_CACHE];
    clean_string clean_strings[STRING_CACHE];
    pattern inline_patterns[INLINE_PATTERNS];
    char inline_pattern_text[INLINE_PATTERN_TEXT];
} scrub_ctx;

static inline unsigned pair_hash(unsigned char a, unsigned char b)
{
    return (unsigned)(a & 63) << 6 | (b & 63);
}

static inline bool table_has(const uint64_t *table, unsigned bit)
{
    return table[bit >> 6] >> (bit & 63) & 1;
}

/* Adds a normalised pattern (`text` lives as long as the context). */
static void add_normalised(scrub_ctx *ctx, const char *text, size_t len)
{
    if (len == 0) return; /* an empty pattern would match every key */
    if (len == 1) {
        unsigned char c = (unsigned char)text[0];
        ctx->single_table[c >> 6] |= (uint64_t)1 << (c & 63);
        ctx->has_single = true;
        return;
    }
    unsigned char a = (unsigned char)text[0], b = (unsigned char)text[1];
    unsigned h = pair_hash(a, b);
    ctx->pair_table[h >> 6] |= (uint64_t)1 << (h & 63);
    ctx->patterns[ctx->pattern_count++] = (pattern){text, len, (uint16_t)(a << 8 | b)};
}

static int compare_patterns(const void *a, const void *b)
{
    const pattern *x = a, *y = b;
    return (x->first2 > y->first2) - (x->first2 < y->first2);
}

/* Sorts the patterns by their first two bytes (for pattern_at's binary search). */
static void sort_patterns(scrub_ctx *ctx)
{
    if (ctx->pattern_count > INLINE_PATTERNS) {
        qsort(ctx->patterns, ctx->pattern_count, sizeof *ctx->patterns, compare_patterns);
        return;
    }
    for (size_t i = 1; i < ctx->pattern_count; i++) { /* few: insertion sort, no calls */
        pattern p = ctx->patterns[i];
        size_t j = i;
        for (; j > 0 && ctx->patterns[j - 1].first2 > p.first2; j--)
            ctx->patterns[j] = ctx->patterns[j - 1];
        ctx->patterns[j] = p;
    }
}

/* Normalises a pattern (lowercase, `-`/`_` dropped) into the pattern text, then adds it. */
static void add_pattern(scrub_ctx *ctx, const char *pattern_text, size_t len)
{
    char *out = ctx->pattern_text + ctx->pattern_text_used;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)pattern_text[i];
        if (c != '-' && c != '_') out[n++] = (char)to_lower(c);
    }
    out[n] = 0;
    ctx->pattern_text_used += n + 1;
    add_normalised(ctx, out, n);
}

/* The patterns the rules name (but the defaults, which are not copied), their count and the
 * bytes their normalised text needs; false on overflow. */
static bool count_patterns(const uv_scrub_rules *rules, size_t *count, size_t *text)
{
    *count = rules->key_patterns ? 0 : DEFAULT_PATTERN_COUNT;
    *text = 0;
    bool overflow = false;
    for (size_t i = 0; rules->key_patterns && i < rules->key_pattern_count; i++)
        if (rules->key_patterns[i]) {
            overflow |= __builtin_add_overflow(*text, strlen(rules->key_patterns[i]) + 1, text);
            (*count)++;
        }
    for (size_t i = 0; rules->extra_patterns && i < rules->extra_pattern_count; i++)
        if (rules->extra_patterns[i]) {
            overflow |= __builtin_add_overflow(*text, strlen(rules->extra_patterns[i]) + 1, text);
            (*count)++;
        }
    size_t n = json_is_array(rules->extra_fields) ? json_array_size(rules->extra_fields) : 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(rules->extra_fields, i);
        if (!json_is_string(v)) continue;
        overflow |= __builtin_add_overflow(*text, json_string_length(v) + 1, text);
        (*count)++;
    }
    return !overflow;
}

static bool ctx_init(scrub_ctx *ctx, const uv_scrub_rules *rules, uv_jv_doc *doc)
{
    memset(ctx, 0, offsetof(scrub_ctx, inline_patterns));
    ctx->rules = rules;
    ctx->doc = doc;
    ctx->patterns = ctx->inline_patterns;
    ctx->pattern_text = ctx->inline_pattern_text;
    size_t count, text;
    if (!count_patterns(rules, &count, &text)) {
        uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "scrub patterns too large");
        return false;
    }
    if (count > INLINE_PATTERNS) {
        ctx->patterns = calloc(count, sizeof *ctx->patterns);
        if (!ctx->patterns) {
            ctx->patterns = ctx->inline_patterns;
            uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory for %zu scrub patterns", count);
            return false;
        }
    }
    if (text > INLINE_PATTERN_TEXT) {
        ctx->pattern_text = malloc(text);
        if (!ctx->pattern_text) {
            ctx->pattern_text = ctx->inline_pattern_text;
            uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory for scrub patterns");
            return false;
        }
    }
    if (rules->key_patterns) {
        for (size_t i = 0; i < rules->key_pattern_count; i++)
            if (rules->key_patterns[i])
                add_pattern(ctx, rules->key_patterns[i], strlen(rules->key_patterns[i]));
    } else {
        for (size_t i = 0; i < DEFAULT_PATTERN_COUNT; i++)
            add_normalised(ctx, default_patterns[i].text, default_patterns[i].len);
    }
    for (size_t i = 0; rules->extra_patterns && i < rules->extra_pattern_count; i++)
        if (rules->extra_patterns[i])
            add_pattern(ctx, rules->extra_patterns[i], strlen(rules->extra_patterns[i]));
    size_t n = json_is_array(rules->extra_fields) ? json_array_size(rules->extra_fields) : 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(rules->extra_fields, i);
        if (json_is_string(v)) add_pattern(ctx, json_string_value(v), json_string_length(v));
    }
    sort_patterns(ctx);
    return true;
}

static void ctx_free(scrub_ctx *ctx)
{
    if (ctx->patterns != ctx->inline_patterns) free(ctx->patterns);
    if (ctx->pattern_text != ctx->inline_pattern_text) free(ctx->pattern_text);
    uv_buf_free(&ctx->key);
    uv_buf_free(&ctx->text);
    free(ctx->spans);
}

/* ---- keys ---- */

/* Normalises `len` bytes of key (lowercase ASCII, `-`/`_` dropped) into `local` (INLINE_KEY
 * bytes) or, when longer, into ctx->key. Returns the bytes (*out_len of them), NULL when out
 * of memory (ctx->failed is then set). */
static const unsigned char *normalise_key(scrub_ctx *ctx, const char *key, size_t len,
                                          unsigned char *local, size_t *out_len)
{
    unsigned char *out = local;
    if (len > INLINE_KEY) {
        ctx->key.len = 0;
        out = uv_buf_reserve(&ctx->key, len);
        if (!out) {
            ctx->failed = true;
            return NULL;
        }
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)key[i];
        out[n] = to_lower(c);
        n += c != '-' && c != '_';
    }
    *out_len = n;
    return out;
}

/* Whether a pattern of two bytes or more starts at k (n bytes left). */
static bool pattern_at(const scrub_ctx *ctx, const unsigned char *k, size_t n)
{
    uint16_t first2 = (uint16_t)(k[0] << 8 | k[1]);
    size_t lo = 0, hi = ctx->pattern_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ctx->patterns[mid].first2 < first2)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < ctx->pattern_count && ctx->patterns[i].first2 == first2; i++) {
        const pattern *p = &ctx->patterns[i];
        if (p->len <= n && memcmp(k + 2, p->text + 2, p->len - 2) == 0) return true;
    }
    return false;
}

/* Whether the normalised key (n bytes) contains a secret pattern. */
static bool matches_pattern(const scrub_ctx *ctx, const unsigned char *k, size_t n)
{
    if (ctx->has_single)
        for (size_t i = 0; i < n; i++)
            if (table_has(ctx->single_table, k[i])) return true;
    for (size_t i = 0; i + 1 < n; i++)
        if (table_has(ctx->pair_table, pair_hash(k[i], k[i + 1])) && pattern_at(ctx, k + i, n - i))
            return true;
    return false;
}

/* Whether a raw key matches a secret pattern. Out of memory counts as a match (and fails the
 * whole call). */
static bool is_secret_key(scrub_ctx *ctx, const char *key, size_t len)
{
    unsigned char local[INLINE_KEY];
    size_t n;
    const unsigned char *k = normalise_key(ctx, key, len, local, &n);
    return !k || matches_pattern(ctx, k, n);
}

static bool is_ip_name(const unsigned char *k, size_t n)
{
    for (size_t i = 0; i < sizeof ip_keys / sizeof *ip_keys; i++)
        if (ip_keys[i].len == n && k[0] == (unsigned char)ip_keys[i].name[0] &&
            memcmp(k, ip_keys[i].name, n) == 0)
            return true;
    return false;
}

/* ---- card numbers ---- */

bool uv_luhn_valid(const char *digits, size_t len)
{
    if (len < 13 || len > 19) return false;
    unsigned sum = 0;
    for (size_t i = 0; i < len; i++) {
        char c = digits[len - 1 - i];
        if (!is_digit(c)) return false;
        unsigned d = (unsigned)(c - '0');
        if (i % 2 == 1) {
            d *= 2;
            if (d > 9) d -= 9;
        }
        sum += d;
    }
    return sum % 10 == 0;
}

/* Whether the digits start like a payment card issuer's number (Visa 4, Mastercard 51–55 and
 * 2221–2720, Amex 34/37, Diners 30/36/38, JCB 35, Discover/UnionPay/Maestro 6, Maestro 50,
 * 56–58). Keeps millisecond timestamps (13 digits starting with 1) out. */
static bool card_prefix(const char *d)
{
    switch (d[0]) {
    case '3':
        return d[1] == '0' || d[1] == '4' || d[1] == '5' || d[1] == '6' || d[1] == '7' ||
               d[1] == '8';
    case '4':
    case '5':
    case '6':
        return true;
    case '2': {
        int p = (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
        return p >= 221 && p <= 720;
    }
    default:
        return false;
    }
}

static bool is_card_number(const char *digits, size_t len)
{
    return len >= 13 && len <= 19 && card_prefix(digits) && uv_luhn_valid(digits, len);
}

/* Whether s holds at least 13 ASCII digits, the fewest a card number has. Eight bytes at a
 * time: after `^ '0'` a digit is a byte 0–9, the only bytes below 0x80 whose low seven bits
 * plus 0x76 stay below 0x80 (no carry crosses bytes: 0x7f + 0x76 < 0x100); the multiply sums
 * the eight one-bit flags into the top byte. */
static bool has_card_digit_count(const char *s, size_t len)
{
    if (len < 13) return false;
    size_t digits = 0, i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t x = w ^ 0x3030303030303030u;
        uint64_t not_digit =
            (((x & 0x7f7f7f7f7f7f7f7fu) + 0x7676767676767676u) | x) & 0x8080808080808080u;
        digits += 8 - (size_t)(((not_digit >> 7) * 0x0101010101010101u) >> 56);
        if (digits >= 13) return true;
    }
    for (; i < len; i++)
        digits += is_digit(s[i]);
    return digits >= 13;
}

/* ---- spans inside strings ---- */

static bool add_span(scrub_ctx *ctx, size_t start, size_t end)
{
    if (end <= start) return true;
    span *grown = uv_array_grow(ctx->spans, &ctx->span_cap, ctx->span_count, sizeof *grown, 8);
    if (!grown) return false;
    ctx->spans = grown;
    ctx->spans[ctx->span_count++] = (span){start, end};
    return true;
}

/* The first '=' or ':' at or after `from` (`len` when none); *colon and *equals cache the
 * next of each (`len` when none). */
static size_t next_separator(const char *s, size_t len, size_t from, size_t *colon, size_t *equals)
{
    if (*colon < from) {
        const char *c = memchr(s + from, ':', len - from);
        *colon = c ? (size_t)(c - s) : len;
    }
    if (*equals < from) {
        const char *e = memchr(s + from, '=', len - from);
        *equals = e ? (size_t)(e - s) : len;
    }
    return *colon < *equals ? *colon : *equals;
}

/* `key=value`, `key: value`, `"key": "value"` with a secret key. Read forward, a pair is
 * KEY [\]["'] [ \t]* (=|:) where KEY is a whole run of key characters; this finds the same
 * pairs from each separator backwards, so text without separators costs nothing. `resume`
 * (the end of the last value replaced) is a non-key character, so runs found after it are the
 * runs a forward scan restarted there would find. */
static bool find_pairs(scrub_ctx *ctx, const char *s, size_t len, size_t first_colon,
                       size_t first_equals)
{
    size_t resume = 0, from = 0, colon = first_colon, equals = first_equals;
    for (;;) {
        size_t sep_at = next_separator(s, len, from, &colon, &equals);
        if (sep_at >= len) break;
        from = sep_at + 1;
        size_t e = sep_at;
        while (e > resume && (s[e - 1] == ' ' || s[e - 1] == '\t'))
            e--;
        if (e > resume && is_quote(s[e - 1])) {
            e--;
            if (e > resume && s[e - 1] == '\\') e--; /* JSON inside JSON text */
        }
        size_t key_end = e;
        while (e > resume && in_set(KEY_CHARS, s[e - 1]))
            e--;
        size_t key_start = e;
        if (key_start == key_end) continue;
        char sep = s[sep_at];
        size_t p = sep_at + 1;
        if (sep == ':' && p + 1 < len && s[p] == '/' && s[p + 1] == '/') continue; /* a URL */
        /* "TokenExpiredError: jwt expired" is a message, not a credential. */
        if (sep == ':' && (ends_with_ci(s + key_start, key_end - key_start, "error") ||
                           ends_with_ci(s + key_start, key_end - key_start, "exception")))
            continue;
        if (!is_secret_key(ctx, s + key_start, key_end - key_start)) continue;
        while (p < len && (s[p] == ' ' || s[p] == '\t'))
            p++;
        size_t value_start = p, value_end;
        if (p + 1 < len && s[p] == '\\' && is_quote(s[p + 1])) { /* \"value\" */
            p += 2;
            value_start = p;
            while (p < len && s[p] != '\\' && !is_quote(s[p]))
                p++;
            value_end = p;
        } else if (p < len && is_quote(s[p])) {
            char quote = s[p++];
            value_start = p;
            while (p < len && s[p] != quote) {
                if (s[p] == '\\' && p + 1 < len) p++;
                p++;
            }
            value_end = p < len ? p : len;
        } else if (sep == '=') {
            while (p < len && !in_set(VALUE_END, s[p]))
                p++;
            value_end = p;
        } else { /* a header line: the rest of the line */
            while (p < len && s[p] != '\r' && s[p] != '\n')
                p++;
            value_end = p;
        }
        if (!add_span(ctx, value_start, value_end)) return false;
        resume = from = value_end; /* the value's end is never a key character */
    }
    return true;
}

/* `scheme://user:password@host`, looked for from the first ':' on. */
static bool find_userinfo(scrub_ctx *ctx, const char *s, size_t len, size_t first_colon)
{
    size_t i = first_colon;
    while (i + 3 <= len) {
        const char *c = memchr(s + i, ':', len - i - 2);
        if (!c) break;
        i = (size_t)(c - s);
        if (s[i + 1] != '/' || s[i + 2] != '/') {
            i++;
            continue;
        }
        size_t a = i + 3, e = a, at = 0;
        bool has_at = false;
        while (e < len && !in_set(AUTHORITY_END, s[e])) {
            if (s[e] == '@') {
                at = e;
                has_at = true;
            }
            e++;
        }
        if (!has_at) {
            i++;
            continue;
        }
        const char *colon = memchr(s + a, ':', at - a);
        if (colon && !add_span(ctx, (size_t)(colon - s) + 1, at)) return false;
        i = e;
    }
    return true;
}

/* `Bearer TOKEN` always; `Basic TOKEN` when TOKEN looks like base64 (so "Basic usage" stays).
 * Both need the space after the scheme, so only spaces are looked at. */
static bool find_auth_schemes(scrub_ctx *ctx, const char *s, size_t len)
{
    size_t resume = 0, from = 5; /* no scheme ends before byte 5 */
    while (from < len) {
        const char *hit = memchr(s + from, ' ', len - from);
        if (!hit) break;
        size_t space = (size_t)(hit - s), i;
        from = space + 1;
        bool basic;
        if (space >= 6 && equals_ci(s + space - 6, "bearer", 6)) {
            i = space - 6;
            basic = false;
        } else if (equals_ci(s + space - 5, "basic", 5)) {
            i = space - 5;
            basic = true;
        } else {
            continue;
        }
        if (i < resume || (i > 0 && in_set(ALNUM, s[i - 1]))) continue;
        size_t p = space + 1;
        while (p < len && s[p] == ' ')
            p++;
        size_t start = p;
        while (p < len && in_set(TOKEN_CHARS, s[p]))
            p++;
        if (p == start) continue;
        if (basic) {
            size_t tlen = p - start;
            bool base64 = tlen >= 8 && tlen % 4 == 0;
            for (size_t j = start; base64 && j < p; j++)
                base64 = in_set(BASE64_CHARS, s[j]);
            if (!base64) continue;
        }
        if (!add_span(ctx, start, p)) return false;
        resume = p;
    }
    return true;
}

/* Digit runs with single spaces or dashes between groups; every span of whole groups holding
 * 13–19 digits is tried, so a card followed by more digits ("4111 1111 1111 1111 2029") is
 * still found. */
static bool find_cards(scrub_ctx *ctx, const char *s, size_t len)
{
    enum { MAX_GROUPS = 19 };
    size_t i = 0;
    while (i < len) {
        if (!is_digit(s[i]) || (i > 0 && is_digit(s[i - 1]))) {
            i++;
            continue;
        }
        /* Collect the run's groups. */
        size_t run_end = i;
        size_t group_start[MAX_GROUPS + 1], group_end[MAX_GROUPS + 1];
        size_t groups = 0;
        size_t p = i;
        bool overflow = false;
        for (;;) {
            size_t g = p;
            while (p < len && is_digit(s[p]))
                p++;
            if (groups < MAX_GROUPS + 1) {
                group_start[groups] = g;
                group_end[groups] = p;
                groups++;
            } else {
                overflow = true;
            }
            run_end = p;
            if (overflow) break;
            if (p + 1 < len && (s[p] == ' ' || s[p] == '-') && is_digit(s[p + 1]))
                p++;
            else
                break;
        }
        /* Try spans of whole groups starting at each group. */
        bool found = false;
        for (size_t a = 0; a < groups && !found; a++) {
            char digits[20];
            size_t nd = 0;
            for (size_t b = a; b < groups; b++) {
                size_t glen = group_end[b] - group_start[b];
                if (nd + glen > 19) break;
                memcpy(digits + nd, s + group_start[b], glen);
                nd += glen;
                if (is_card_number(digits, nd)) {
                    if (!add_span(ctx, group_start[a], group_end[b])) return false;
                    found = true;
                    /* Continue after this card. */
                    run_end = group_end[b];
                    break;
                }
            }
        }
        if (!found && overflow) run_end = group_end[1]; /* slide on through a long run */
        i = run_end > i ? run_end : i + 1;
    }
    return true;
}

static int compare_spans(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Replaces `value` by the string s; counts it. */
static void replace(scrub_ctx *ctx, uv_jv *value, const char *s, size_t len)
{
    if (uv_jv_set_string(ctx->doc, value, s, len) != 0)
        ctx->failed = true;
    else
        ctx->replaced++;
}

/* Scrubs a string value; counts replaced spans. */
static void scrub_string(scrub_ctx *ctx, uv_jv *value)
{
    const char *s = value->str;
    size_t len = value->len;
    if (len == 0 || is_scrubbed_text(s, len)) return;
    clean_string *seen = &ctx->clean_strings[cache_slot(s, len, STRING_CACHE)];
    if (seen->str && seen->len == len && memcmp(seen->str, s, len) == 0) return;
    ctx->span_count = 0;
    const char *colon = memchr(s, ':', len), *equals = memchr(s, '=', len);
    size_t first_colon = colon ? (size_t)(colon - s) : len;
    size_t first_equals = equals ? (size_t)(equals - s) : len;
    bool ok = (!colon && !equals) || find_pairs(ctx, s, len, first_colon, first_equals);
    ok = ok && (!colon || find_userinfo(ctx, s, len, first_colon));
    ok = ok && find_auth_schemes(ctx, s, len);
    ok = ok && (!ctx->rules->scrub_card_numbers || !has_card_digit_count(s, len) ||
                find_cards(ctx, s, len));
    if (!ok) {
        ctx->failed = true;
        return;
    }
    if (ctx->span_count == 0) {
        *seen = (clean_string){s, len};
        return;
    }
    size_t before = ctx->replaced;
    if (ctx->span_count > 1) qsort(ctx->spans, ctx->span_count, sizeof *ctx->spans, compare_spans);
    ctx->text.len = 0;
    size_t at = 0, i = 0;
    while (i < ctx->span_count) {
        size_t start = ctx->spans[i].start, end = ctx->spans[i].end;
        for (i++; i < ctx->span_count && ctx->spans[i].start <= end; i++)
            if (ctx->spans[i].end > end) end = ctx->spans[i].end;
        if (start < at) start = at;
        if (is_scrubbed_text(s + start, end - start))
            continue; /* scrubbed before: left as it is, not counted again */
        if (uv_buf_append(&ctx->text, s + at, start - at) != 0 ||
            uv_buf_append(&ctx->text, UV_SCRUBBED, sizeof UV_SCRUBBED - 1) != 0) {
            ctx->failed = true;
            return;
        }
        ctx->replaced++;
        at = end;
    }
    if (ctx->replaced == before) return;
    if (uv_buf_append(&ctx->text, s + at, len - at) != 0 ||
        uv_jv_set_string(ctx->doc, value, (const char *)ctx->text.data, ctx->text.len) != 0)
        ctx->failed = true;
}

/* Whether a JSON number looks like a card number: its magnitude's integer digits. */
static bool number_is_card(const uv_jv *value)
{
    uint64_t magnitude;
    if (value->type == UV_JV_INTEGER) {
        int64_t v = value->integer;
        if (v < 0) v = v == INT64_MIN ? INT64_MAX : -v;
        magnitude = (uint64_t)v;
    } else {
        double v = value->real < 0 ? -value->real : value->real;
        if (!(v >= 1e12 && v < 1e19)) return false;
        magnitude = (uint64_t)v;                  /* v truncated: below 2^64, so defined */
        if ((double)magnitude != v) return false; /* not integral (a double's floor is exact) */
    }
    if (magnitude < 1000000000000u) return false; /* fewer than 13 digits */
    char digits[20];
    return is_card_number(digits, uv_format_u64(digits, magnitude));
}

/* The IP policy for the value of `member`, under an IP key. */
static void apply_ip_policy(scrub_ctx *ctx, uv_jv *member)
{
    if (member->type == UV_JV_NULL) return;
    if (ctx->rules->ip_policy == UV_IP_DROP) {
        uv_jv_remove(ctx->doc, member);
        ctx->replaced++;
        return;
    }
    if (is_scrubbed(member)) return;
    if (member->type != UV_JV_STRING) {
        replace(ctx, member, UV_SCRUBBED, sizeof UV_SCRUBBED - 1);
        return;
    }
    /* Anonymize: each comma-separated address (X-Forwarded-For lists several). */
    const char *s = member->str;
    size_t len = member->len;
    uv_buf *out = &ctx->text;
    out->len = 0;
    size_t i = 0;
    bool ok = true;
    while (ok && i <= len) {
        size_t e = i;
        while (e < len && s[e] != ',')
            e++;
        size_t a = i, b = e;
        while (a < b && s[a] == ' ')
            a++;
        while (b > a && s[b - 1] == ' ')
            b--;
        char ip[64], anon[64];
        if (b - a == 0 || b - a >= sizeof ip) {
            ok = false;
            break;
        }
        memcpy(ip, s + a, b - a);
        ip[b - a] = 0;
        if (!uv_ip_anonymize(ip, anon, sizeof anon)) {
            ok = false;
            break;
        }
        if ((out->len && uv_buf_append(out, ", ", 2) != 0) || uv_buf_append_str(out, anon) != 0) {
            ctx->failed = true;
            return;
        }
        i = e + 1;
    }
    if (!ok) { /* not an IP: never keep it */
        replace(ctx, member, UV_SCRUBBED, sizeof UV_SCRUBBED - 1);
        return;
    }
    if (out->len == len && memcmp(out->data, s, len) == 0) return; /* already anonymized */
    replace(ctx, member, (const char *)out->data, out->len);
}

/* ---- the walk ---- */

/* Scrubs `member` of `container`; true when it is a container to walk into. */
static unsigned classify_key(scrub_ctx *ctx, const char *key, size_t len)
{
    key_verdict *cached = &ctx->key_cache[cache_slot(key, len, KEY_CACHE)];
    if (cached->key && cached->len == len && memcmp(cached->key, key, len) == 0)
        return cached->verdict;
    unsigned char local[INLINE_KEY];
    size_t n;
    const unsigned char *k = normalise_key(ctx, key, len, local, &n);
    if (!k) return KEY_SECRET;
    unsigned verdict = 0;
    if (matches_pattern(ctx, k, n))
        verdict = KEY_SECRET;
    else if (ctx->rules->ip_policy != UV_IP_STORE && len <= 64 && is_ip_name(k, n))
        verdict = KEY_IP;
    *cached = (key_verdict){key, len, verdict};
    return verdict;
}

static bool visit(scrub_ctx *ctx, const uv_jv *container, uv_jv *member)
{
    if (container->type == UV_JV_OBJECT) {
        unsigned verdict = classify_key(ctx, member->key, member->key_len);
        if (verdict == KEY_SECRET) {
            if (member->type == UV_JV_NULL || member->type == UV_JV_FALSE ||
                member->type == UV_JV_TRUE || is_scrubbed(member))
                return false;
            replace(ctx, member, UV_SCRUBBED, sizeof UV_SCRUBBED - 1);
            return false;
        }
        if (verdict == KEY_IP) {
            apply_ip_policy(ctx, member);
            return false;
        }
    }
    switch (member->type) {
    case UV_JV_STRING:
        scrub_string(ctx, member);
        return false;
    case UV_JV_INTEGER:
    case UV_JV_REAL:
        if (ctx->rules->scrub_card_numbers && number_is_card(member))
            replace(ctx, member, UV_SCRUBBED, sizeof UV_SCRUBBED - 1);
        return false;
    case UV_JV_ARRAY:
    case UV_JV_OBJECT:
        return true;
    default:
        return false;
    }
}

/* Visits every member under root, depth first, through first/next/parent links. */
static void walk(scrub_ctx *ctx, uv_jv *root)
{
    uv_jv *container = root, *member = root->first;
    for (;;) {
        while (member && !ctx->failed) {
            uv_jv *next = member->next; /* taken first: a dropped member leaves the list */
            if (visit(ctx, container, member) && member->first) {
                container = member;
                member = member->first;
                continue;
            }
            member = next;
        }
        if (ctx->failed || container == root) return;
        member = container->next;
        container = container->parent;
    }
}

size_t uv_scrub_jv(uv_jv_doc *doc, const uv_scrub_rules *rules)
{
    uv_scrub_rules defaults = uv_scrub_defaults();
    if (!rules) rules = &defaults;
    if (!doc || !doc->root || !rules->enabled) return 0;
    scrub_ctx ctx;
    if (!ctx_init(&ctx, rules, doc)) {
        ctx_free(&ctx);
        return (size_t)-1;
    }
    uv_jv *root = doc->root;
    if (root->type == UV_JV_STRING)
        scrub_string(&ctx, root);
    else if (root->type == UV_JV_OBJECT || root->type == UV_JV_ARRAY)
        walk(&ctx, root);
    size_t replaced = ctx.failed ? (size_t)-1 : ctx.replaced;
    ctx_free(&ctx);
    return replaced;
}

/* ---- IP addresses ---- */

bool uv_ip_anonymize(const char *ip, char *out, size_t out_len)
{
    if (!ip || !out || out_len < INET6_ADDRSTRLEN) return false;
    unsigned char addr[16];
    if (inet_pton(AF_INET, ip, addr) == 1) {
        addr[3] = 0;
        return inet_ntop(AF_INET, addr, out, (socklen_t)out_len) != NULL;
    }
    if (inet_pton(AF_INET6, ip, addr) == 1) {
        memset(addr + 6, 0, 10); /* keep the first 48 bits */
        return inet_ntop(AF_INET6, addr, out, (socklen_t)out_len) != NULL;
    }
    return false;
}

/* ---- project settings ---- */

int uv_scrub_rules_from_settings(json_t *settings, uv_scrub_rules *out)
{
    *out = uv_scrub_defaults();
    if (!settings || json_is_null(settings)) return 0;
    if (!json_is_object(settings))
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "settings: expected an object");
    json_t *scrub = json_object_get(settings, "scrub");
    if (scrub && !json_is_null(scrub)) {
        if (!json_is_boolean(scrub))
            return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                                "settings.scrub: expected true or false");
        out->enabled = json_is_true(scrub);
    }
    json_t *fields = json_object_get(settings, "scrub_fields");
    if (fields && !json_is_null(fields)) {
        if (!json_is_array(fields))
            return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                                "settings.scrub_fields: expected an array of strings");
        size_t n = json_array_size(fields);
        for (size_t i = 0; i < n; i++) {
            json_t *f = json_array_get(fields, i);
            if (!json_is_string(f))
                return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                                    "settings.scrub_fields[%zu]: expected a string", i);
            size_t real = 0, len = json_string_length(f);
            const char *s = json_string_value(f);
            for (size_t j = 0; j < len; j++)
                if (s[j] != '-' && s[j] != '_') real++;
            if (real == 0)
                return uv_error_set(
                    UV_EINVALID, UV_LIB_NONE, 0,
                    "settings.scrub_fields[%zu]: empty pattern would match every key", i);
        }
        out->extra_fields = fields;
    }
    json_t *ip = json_object_get(settings, "ip");
    if (ip && !json_is_null(ip)) {
        const char *v = json_string_value(ip);
        if (v && strcmp(v, "store") == 0)
            out->ip_policy = UV_IP_STORE;
        else if (v && strcmp(v, "anonymize") == 0)
            out->ip_policy = UV_IP_ANONYMIZE;
        else if (v && strcmp(v, "drop") == 0)
            out->ip_policy = UV_IP_DROP;
        else
            return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                                "settings.ip: expected \"store\", \"anonymize\" or \"drop\"");
    }
    return 0;
}
