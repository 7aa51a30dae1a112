/* Scrubbing occurrence payloads (jansson trees) before they are stored.
 *
 * The walk is iterative (an explicit stack of containers), so a payload nested to jansson's
 * parse limit costs heap, not C stack. At every object member:
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
 * docs/privacy.md is the user-facing page, with the known false positives. */
#include "formats/scrub.h"

#include "formats/buf.h"
#include "formats/error.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Already normalised (lowercase, no `-`/`_`). "token" also matches "tokenizer" and
 * "session" matches "sessionCount": over-scrubbing is the accepted price of never leaking. */
static const char *const default_patterns[] = {
    "password", "passwd",  "passphrase", "secret",     "token",      "apikey",     "authorization",
    "cookie",   "session", "csrf",       "xsrf",       "privatekey", "creditcard", "cardnumber",
    "ccnumber", "cvv",     "signature",  "credential", "jwt",
};

/* Keys (normalised, compared whole) that hold a client IP address. */
static const char *const ip_keys[] = {
    "userip", "ip", "ipaddress", "remoteaddr", "remoteip", "clientip", "xforwardedfor", "xrealip",
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

typedef struct {
    size_t start, end;
} span;

typedef struct {
    const uv_scrub_rules *rules;
    char **patterns; /* normalised, owned */
    size_t pattern_count;
    uv_buf key;  /* scratch: a normalised key */
    uv_buf text; /* scratch: a rewritten string */
    span *spans; /* scratch: spans of the current string to replace */
    size_t span_count, span_cap;
    size_t replaced;
} scrub_ctx;

/* Lowercases and drops `-` and `_` into b (NUL-terminated); false when out of memory. */
static bool normalize(uv_buf *b, const char *s, size_t len)
{
    b->len = 0;
    uint8_t *p = uv_buf_reserve(b, len + 1);
    if (!p) return false;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '-' || c == '_') continue;
        p[n++] = (char)tolower(c);
    }
    p[n] = 0;
    b->len = n;
    return true;
}

static bool add_pattern(scrub_ctx *ctx, const char *pattern, size_t len, size_t *cap)
{
    uv_buf tmp = UV_BUF_INIT;
    if (!normalize(&tmp, pattern, len)) return false;
    if (tmp.len == 0) { /* an empty pattern would match every key */
        uv_buf_free(&tmp);
        return true;
    }
    char **grown = uv_array_grow(ctx->patterns, cap, ctx->pattern_count, sizeof *grown, 32);
    if (!grown) {
        uv_buf_free(&tmp);
        return false;
    }
    ctx->patterns = grown;
    ctx->patterns[ctx->pattern_count++] = (char *)tmp.data;
    return true;
}

static bool ctx_init(scrub_ctx *ctx, const uv_scrub_rules *rules)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->rules = rules;
    size_t cap = 0;
    if (rules->key_patterns) {
        for (size_t i = 0; i < rules->key_pattern_count; i++)
            if (rules->key_patterns[i] &&
                !add_pattern(ctx, rules->key_patterns[i], strlen(rules->key_patterns[i]), &cap))
                return false;
    } else {
        for (size_t i = 0; i < sizeof default_patterns / sizeof *default_patterns; i++)
            if (!add_pattern(ctx, default_patterns[i], strlen(default_patterns[i]), &cap))
                return false;
    }
    for (size_t i = 0; rules->extra_patterns && i < rules->extra_pattern_count; i++)
        if (rules->extra_patterns[i] &&
            !add_pattern(ctx, rules->extra_patterns[i], strlen(rules->extra_patterns[i]), &cap))
            return false;
    if (json_is_array(rules->extra_fields)) {
        size_t n = json_array_size(rules->extra_fields);
        for (size_t i = 0; i < n; i++) {
            const json_t *v = json_array_get(rules->extra_fields, i);
            if (json_is_string(v) &&
                !add_pattern(ctx, json_string_value(v), json_string_length(v), &cap))
                return false;
        }
    }
    return true;
}

static void ctx_free(scrub_ctx *ctx)
{
    for (size_t i = 0; i < ctx->pattern_count; i++)
        free(ctx->patterns[i]);
    free(ctx->patterns);
    uv_buf_free(&ctx->key);
    uv_buf_free(&ctx->text);
    free(ctx->spans);
}

/* Whether the key matches a secret pattern. Out of memory counts as a match (never leak). */
static bool is_secret_key(scrub_ctx *ctx, const char *key, size_t len)
{
    if (!normalize(&ctx->key, key, len)) return true;
    const char *k = (const char *)ctx->key.data;
    for (size_t i = 0; i < ctx->pattern_count; i++)
        if (memmem(k, ctx->key.len, ctx->patterns[i], strlen(ctx->patterns[i]))) return true;
    return false;
}

static bool is_ip_key(scrub_ctx *ctx, const char *key, size_t len)
{
    if (len > 64) return false;
    if (!normalize(&ctx->key, key, len)) return false;
    for (size_t i = 0; i < sizeof ip_keys / sizeof *ip_keys; i++)
        if (strcmp((const char *)ctx->key.data, ip_keys[i]) == 0) return true;
    return false;
}

/* ---- card numbers ---- */

bool uv_luhn_valid(const char *digits, size_t len)
{
    if (len < 13 || len > 19) return false;
    unsigned sum = 0;
    for (size_t i = 0; i < len; i++) {
        char c = digits[len - 1 - i];
        if (c < '0' || c > '9') return false;
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

/* Whether c is one of `set` (never the NUL that ends `set`: strings may hold NUL bytes). */
static bool in_set(char c, const char *set)
{
    return c != 0 && strchr(set, c) != NULL;
}

static bool is_quote(char c)
{
    return c == '"' || c == '\'';
}

static bool is_key_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '-' || c == '[' || c == ']' || c == '%';
}

static bool ends_with_ci(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && strncasecmp(s + len - n, suffix, n) == 0;
}

/* `key=value`, `key: value`, `"key": "value"` with a secret key. */
static bool find_pairs(scrub_ctx *ctx, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (!is_key_char((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t key_start = i;
        while (i < len && is_key_char((unsigned char)s[i]))
            i++;
        size_t key_end = i, p = i;
        if (p + 1 < len && s[p] == '\\' && is_quote(s[p + 1])) p++; /* JSON inside JSON text */
        if (p < len && is_quote(s[p])) p++;
        while (p < len && (s[p] == ' ' || s[p] == '\t'))
            p++;
        if (p >= len || (s[p] != '=' && s[p] != ':')) continue;
        char sep = s[p++];
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
            while (p < len && !in_set(s[p], "&;, \t\r\n\"'<>"))
                p++;
            value_end = p;
        } else { /* a header line: the rest of the line */
            while (p < len && s[p] != '\r' && s[p] != '\n')
                p++;
            value_end = p;
        }
        if (!add_span(ctx, value_start, value_end)) return false;
        i = value_end > i ? value_end : i;
    }
    return true;
}

/* `scheme://user:password@host` */
static bool find_userinfo(scrub_ctx *ctx, const char *s, size_t len)
{
    for (size_t i = 0; i + 3 <= len; i++) {
        if (s[i] != ':' || s[i + 1] != '/' || s[i + 2] != '/') continue;
        size_t a = i + 3, e = a, at = 0, colon = 0;
        bool has_at = false, has_colon = false;
        while (e < len && !in_set(s[e], "/?#\"'<> \t\r\n")) {
            if (s[e] == '@') {
                at = e;
                has_at = true;
            }
            e++;
        }
        if (!has_at) continue;
        for (size_t j = a; j < at; j++)
            if (s[j] == ':') {
                colon = j;
                has_colon = true;
                break;
            }
        if (has_colon && !add_span(ctx, colon + 1, at)) return false;
        i = e > i ? e - 1 : i;
    }
    return true;
}

static bool is_token_char(unsigned char c)
{
    return isalnum(c) || in_set((char)c, "-._~+/=");
}

/* `Bearer TOKEN` always; `Basic TOKEN` when TOKEN looks like base64 (so "Basic usage" stays). */
static bool find_auth_schemes(scrub_ctx *ctx, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        size_t n;
        bool basic;
        if (i + 7 <= len && strncasecmp(s + i, "bearer ", 7) == 0) {
            n = 7;
            basic = false;
        } else if (i + 6 <= len && strncasecmp(s + i, "basic ", 6) == 0) {
            n = 6;
            basic = true;
        } else {
            continue;
        }
        if (i > 0 && isalnum((unsigned char)s[i - 1])) continue;
        size_t p = i + n;
        while (p < len && s[p] == ' ')
            p++;
        size_t start = p;
        while (p < len && is_token_char((unsigned char)s[p]))
            p++;
        if (p == start) continue;
        if (basic) {
            size_t tlen = p - start;
            bool base64 = tlen >= 8 && tlen % 4 == 0;
            for (size_t j = start; base64 && j < p; j++)
                base64 = isalnum((unsigned char)s[j]) || s[j] == '+' || s[j] == '/' || s[j] == '=';
            if (!base64) continue;
        }
        if (!add_span(ctx, start, p)) return false;
        i = p - 1;
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
        if (!isdigit((unsigned char)s[i]) || (i > 0 && isdigit((unsigned char)s[i - 1]))) {
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
            while (p < len && isdigit((unsigned char)s[p]))
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
            if (p + 1 < len && (s[p] == ' ' || s[p] == '-') && isdigit((unsigned char)s[p + 1]))
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

/* Scrubs a string value in place; counts replaced spans. */
static void scrub_string(scrub_ctx *ctx, json_t *value)
{
    const char *s = json_string_value(value);
    size_t len = json_string_length(value);
    if (len == strlen(UV_SCRUBBED) && memcmp(s, UV_SCRUBBED, len) == 0) return;
    ctx->span_count = 0;
    bool ok = find_pairs(ctx, s, len) && find_userinfo(ctx, s, len) &&
              find_auth_schemes(ctx, s, len) &&
              (!ctx->rules->scrub_card_numbers || find_cards(ctx, s, len));
    if (!ok) { /* out of memory: the whole value goes rather than any secret */
        json_string_set(value, UV_SCRUBBED);
        ctx->replaced++;
        return;
    }
    if (ctx->span_count == 0) return;
    size_t before = ctx->replaced;
    qsort(ctx->spans, ctx->span_count, sizeof *ctx->spans, compare_spans);
    ctx->text.len = 0;
    size_t at = 0, i = 0;
    while (i < ctx->span_count) {
        size_t start = ctx->spans[i].start, end = ctx->spans[i].end;
        for (i++; i < ctx->span_count && ctx->spans[i].start <= end; i++)
            if (ctx->spans[i].end > end) end = ctx->spans[i].end;
        if (start < at) start = at;
        if (end - start == strlen(UV_SCRUBBED) && memcmp(s + start, UV_SCRUBBED, end - start) == 0)
            continue; /* scrubbed before: left as it is, not counted again */
        if (uv_buf_append(&ctx->text, s + at, start - at) != 0 ||
            uv_buf_append_str(&ctx->text, UV_SCRUBBED) != 0) {
            json_string_set(value, UV_SCRUBBED);
            ctx->replaced++;
            return;
        }
        ctx->replaced++;
        at = end;
    }
    if (ctx->replaced == before) return;
    if (uv_buf_append(&ctx->text, s + at, len - at) != 0 ||
        json_string_setn_nocheck(value, (const char *)ctx->text.data, ctx->text.len) != 0)
        json_string_set(value, UV_SCRUBBED);
}

/* Whether a JSON number looks like a card number. */
static bool number_is_card(const json_t *value)
{
    char digits[32];
    if (json_is_integer(value)) {
        json_int_t v = json_integer_value(value);
        if (v < 0) v = v == INT64_MIN ? INT64_MAX : -v;
        snprintf(digits, sizeof digits, "%" JSON_INTEGER_FORMAT, v);
    } else {
        double v = fabs(json_real_value(value));
        if (!(v >= 1e12 && v < 1e19) || v != floor(v)) return false;
        snprintf(digits, sizeof digits, "%.0f", v);
    }
    return is_card_number(digits, strlen(digits));
}

static bool is_scrubbed(const json_t *value)
{
    return json_is_string(value) && strcmp(json_string_value(value), UV_SCRUBBED) == 0;
}

/* The IP policy for a value under an IP key. Returns the replacement (a new reference), or
 * NULL to keep the value; *drop says the member goes. */
static json_t *ip_replacement(scrub_ctx *ctx, json_t *value, bool *drop)
{
    *drop = false;
    if (ctx->rules->ip_policy == UV_IP_STORE || json_is_null(value)) return NULL;
    if (ctx->rules->ip_policy == UV_IP_DROP) {
        *drop = true;
        return NULL;
    }
    if (!json_is_string(value) || is_scrubbed(value)) {
        return is_scrubbed(value) ? NULL : json_string(UV_SCRUBBED);
    }
    /* Anonymize: each comma-separated address (X-Forwarded-For lists several). */
    const char *s = json_string_value(value);
    size_t len = json_string_length(value);
    uv_buf out = UV_BUF_INIT;
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
        if ((out.len && uv_buf_append_str(&out, ", ") != 0) || uv_buf_append_str(&out, anon) != 0)
            ok = false;
        i = e + 1;
    }
    json_t *replacement = ok ? json_stringn(out.len ? (const char *)out.data : "", out.len) : NULL;
    uv_buf_free(&out);
    if (!replacement) replacement = json_string(UV_SCRUBBED); /* not an IP: never keep it */
    if (replacement && json_equal(replacement, value)) {      /* already anonymized */
        json_decref(replacement);
        return NULL;
    }
    return replacement;
}

/* ---- the walk ---- */

typedef struct {
    json_t **items;
    size_t count, cap;
} json_stack;

/* Pushes a container; when that fails (out of memory) the container is emptied so nothing in
 * it survives unscrubbed. */
static void push(json_stack *stack, json_t *value)
{
    json_t **grown = uv_array_grow(stack->items, &stack->cap, stack->count, sizeof *grown, 64);
    if (!grown) {
        if (json_is_object(value)) json_object_clear(value);
        if (json_is_array(value)) json_array_clear(value);
        return;
    }
    stack->items = grown;
    stack->items[stack->count++] = value;
}

/* Scrubs a non-secret value's contents: strings in place; returns a replacement for numbers
 * that are card numbers (new reference) or NULL; pushes containers. */
static json_t *scrub_value(scrub_ctx *ctx, json_stack *stack, json_t *value)
{
    if (json_is_string(value)) {
        scrub_string(ctx, value);
    } else if (json_is_number(value)) {
        if (ctx->rules->scrub_card_numbers && number_is_card(value))
            return json_string(UV_SCRUBBED);
    } else if (json_is_object(value) || json_is_array(value)) {
        push(stack, value);
    }
    return NULL;
}

static void scrub_object(scrub_ctx *ctx, json_stack *stack, json_t *object)
{
    const char *key;
    json_t *value;
    void *tmp;
    json_object_foreach_safe(object, tmp, key, value)
    {
        void *iter = json_object_key_to_iter(key);
        size_t key_len = json_object_iter_key_len(iter);
        if (is_secret_key(ctx, key, key_len)) {
            if (json_is_null(value) || json_is_boolean(value) || is_scrubbed(value)) continue;
            json_t *s = json_string(UV_SCRUBBED);
            if (!s || json_object_iter_set_new(object, iter, s) != 0) {
                json_object_deln(object, key, key_len);
            }
            ctx->replaced++;
            continue;
        }
        if (ctx->rules->ip_policy != UV_IP_STORE && is_ip_key(ctx, key, key_len)) {
            bool drop;
            json_t *r = ip_replacement(ctx, value, &drop);
            if (drop) {
                json_object_deln(object, key, key_len);
                ctx->replaced++;
                continue;
            }
            if (r) {
                if (json_object_iter_set_new(object, iter, r) != 0)
                    json_object_deln(object, key, key_len);
                ctx->replaced++;
                continue;
            }
            continue; /* null, or already anonymized */
        }
        json_t *r = scrub_value(ctx, stack, value);
        if (r) {
            if (json_object_iter_set_new(object, iter, r) != 0)
                json_object_deln(object, key, key_len);
            ctx->replaced++;
        }
    }
}

static void scrub_array(scrub_ctx *ctx, json_stack *stack, json_t *array)
{
    size_t n = json_array_size(array);
    for (size_t i = 0; i < n; i++) {
        json_t *r = scrub_value(ctx, stack, json_array_get(array, i));
        if (r) {
            if (json_array_set_new(array, i, r) != 0) json_array_clear(array);
            ctx->replaced++;
        }
    }
}

size_t uv_scrub_json(json_t *root, const uv_scrub_rules *rules)
{
    uv_scrub_rules defaults = uv_scrub_defaults();
    if (!rules) rules = &defaults;
    if (!root || !rules->enabled) return 0;
    scrub_ctx ctx;
    if (!ctx_init(&ctx, rules)) { /* out of memory before anything could be checked */
        ctx_free(&ctx);
        if (json_is_object(root)) json_object_clear(root);
        if (json_is_array(root)) json_array_clear(root);
        if (json_is_string(root)) json_string_set(root, UV_SCRUBBED);
        return 1;
    }
    json_stack stack = {NULL, 0, 0};
    if (json_is_string(root))
        scrub_string(&ctx, root);
    else if (json_is_object(root) || json_is_array(root))
        push(&stack, root);
    while (stack.count) {
        json_t *container = stack.items[--stack.count];
        if (json_is_object(container))
            scrub_object(&ctx, &stack, container);
        else
            scrub_array(&ctx, &stack, container);
    }
    free(stack.items);
    size_t replaced = ctx.replaced;
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
