/* Fuzz target for formats/scrub.c: the input is parsed as JSON (formats/jv.h) and scrubbed
 * three times, each on a fresh parse — with the defaults, with IP anonymization plus an extra
 * pattern (twice: the second pass must find nothing more), and with IPs dropped. After each
 * pass an independent check walks the tree: no value under a key that looks secret may
 * survive (only null, booleans and "[scrubbed]" are allowed there), IP keys hold only
 * anonymized addresses (or are gone), the document is marked modified exactly when something
 * was replaced, and the written text parses back (jv and jansson: strings stay valid UTF-8)
 * and writes again to the same bytes. Any violation aborts. */
#include "formats/buf.h"
#include "formats/jv.h"
#include "formats/scrub.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The oracle's own copy of the default patterns (normalised) plus the extra one used below. */
static const char *const secret_words[] = {
    "password", "passwd",  "passphrase", "secret",     "token",      "apikey",     "authorization",
    "cookie",   "session", "csrf",       "xsrf",       "privatekey", "creditcard", "cardnumber",
    "ccnumber", "cvv",     "signature",  "credential", "jwt",
};
static const char *const ip_words[] = {
    "userip", "ip", "ipaddress", "remoteaddr", "remoteip", "clientip", "xforwardedfor", "xrealip",
};

static size_t normalise(const char *key, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        if (key[i] == '-' || key[i] == '_') continue;
        out[n++] = (char)tolower((unsigned char)key[i]);
    }
    out[n] = 0;
    return n;
}

static bool key_is_secret(const char *key, size_t len, bool extra)
{
    char *norm = malloc(len + 1);
    if (!norm) abort();
    size_t n = normalise(key, len, norm, len + 1);
    bool found = false;
    for (size_t i = 0; !found && i < sizeof secret_words / sizeof *secret_words; i++)
        found = memmem(norm, n, secret_words[i], strlen(secret_words[i])) != NULL;
    if (extra && memmem(norm, n, "employee", 8)) found = true;
    free(norm);
    return found;
}

static bool key_is_ip(const char *key, size_t len)
{
    char norm[80];
    if (len > 64) return false;
    normalise(key, len, norm, sizeof norm);
    for (size_t i = 0; i < sizeof ip_words / sizeof *ip_words; i++)
        if (strcmp(norm, ip_words[i]) == 0) return true;
    return false;
}

static bool is_scrubbed(const uv_jv *v)
{
    return uv_jv_is(v, UV_JV_STRING) && strcmp(v->str, UV_SCRUBBED) == 0;
}

/* An anonymized list: "a, b" where every address anonymizes to itself. */
static bool anonymized_list(const uv_jv *v)
{
    if (!uv_jv_is(v, UV_JV_STRING)) return false;
    char *copy = strdup(v->str);
    if (!copy) abort();
    bool ok = true;
    for (char *save = NULL, *part = strtok_r(copy, ",", &save); ok && part;
         part = strtok_r(NULL, ",", &save)) {
        while (*part == ' ')
            part++;
        char anon[64];
        ok = uv_ip_anonymize(part, anon, sizeof anon) && strcmp(anon, part) == 0;
    }
    free(copy);
    return ok;
}

static void write_text(uv_buf *out, const uv_jv *root)
{
    out->len = 0;
    if (uv_jv_write(out, root) != 0) abort();
}

static void check_tree(const uv_jv_doc *doc, const uv_scrub_rules *rules, bool extra)
{
    /* Depth first through the first/next/parent links (no recursion: any depth). */
    const uv_jv *root = doc->root, *v = root->first;
    while (v) {
        if (uv_jv_is(v->parent, UV_JV_OBJECT)) {
            if (key_is_secret(v->key, v->key_len, extra) && v->type != UV_JV_NULL &&
                v->type != UV_JV_FALSE && v->type != UV_JV_TRUE && !is_scrubbed(v))
                abort();
            else if (key_is_ip(v->key, v->key_len) && v->type != UV_JV_NULL) {
                if (rules->ip_policy == UV_IP_DROP) abort();
                if (rules->ip_policy == UV_IP_ANONYMIZE && !is_scrubbed(v) && !anonymized_list(v))
                    abort();
            }
        }
        if (v->first) {
            v = v->first;
            continue;
        }
        while (v && !v->next && v != root)
            v = v->parent;
        v = v && v != root ? v->next : NULL;
    }
    /* Still valid JSON with valid strings: jansson reads it (the stored payload is read with
     * jansson later), jv reads it and writes it back to the same bytes. */
    uv_buf text = UV_BUF_INIT, again = UV_BUF_INIT;
    write_text(&text, root);
    json_t *back = json_loadb((const char *)text.data, text.len, JSON_DECODE_ANY, NULL);
    if (!back) abort();
    json_decref(back);
    uv_jv_doc *reparsed = NULL;
    if (uv_jv_parse(&reparsed, (const char *)text.data, text.len, NULL, NULL) != 0) abort();
    write_text(&again, reparsed->root);
    if (again.len != text.len || memcmp(again.data, text.data, text.len) != 0) abort();
    uv_jv_free(reparsed);
    uv_buf_free(&again);
    uv_buf_free(&text);
}

/* Parses the input afresh, scrubs it with `rules` (`passes` times), checks the result. */
static void scrub_and_check(const uint8_t *data, size_t size, const uv_scrub_rules *rules,
                            bool extra, int passes)
{
    uv_jv_doc *doc = NULL;
    if (uv_jv_parse(&doc, (const char *)data, size, NULL, NULL) != 0) return;
    size_t n = uv_scrub_jv(doc, rules);
    if (n == (size_t)-1) abort(); /* no allocation fails here */
    if ((n > 0) != doc->modified) abort();
    check_tree(doc, rules, extra);
    for (int pass = 1; pass < passes; pass++) {
        /* A second pass leaves secrets scrubbed and finds nothing more. */
        if (uv_scrub_jv(doc, rules) != 0) abort();
        check_tree(doc, rules, extra);
    }
    uv_jv_free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uv_scrub_rules rules = uv_scrub_defaults();
    scrub_and_check(data, size, &rules, false, 1);

    static const char *const extra[] = {"employee"};
    rules = uv_scrub_defaults();
    rules.extra_patterns = extra;
    rules.extra_pattern_count = 1;
    rules.ip_policy = UV_IP_ANONYMIZE;
    scrub_and_check(data, size, &rules, true, 2);

    rules = uv_scrub_defaults();
    rules.ip_policy = UV_IP_DROP;
    rules.scrub_card_numbers = false;
    scrub_and_check(data, size, &rules, false, 1);
    return 0;
}
