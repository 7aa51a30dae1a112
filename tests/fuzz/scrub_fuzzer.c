/* Fuzz target for formats/scrub.c: the input is parsed as JSON (jansson) and scrubbed three
 * times — with the defaults, with IP anonymization plus an extra pattern, and with IPs
 * dropped. After each pass an independent check walks the tree: no value under a key that
 * looks secret may survive (only null, booleans and "[scrubbed]" are allowed there), IP keys
 * hold only anonymized addresses (or are gone), and the tree still dumps to JSON that parses
 * back equal (strings stay valid UTF-8). Any violation aborts. */
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

static bool is_scrubbed(const json_t *v)
{
    return json_is_string(v) && strcmp(json_string_value(v), UV_SCRUBBED) == 0;
}

/* An anonymized list: "a, b" where every address anonymizes to itself. */
static bool anonymized_list(const json_t *v)
{
    if (!json_is_string(v)) return false;
    char *copy = strdup(json_string_value(v));
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

static void check_tree(json_t *root, const uv_scrub_rules *rules, bool extra)
{
    json_t **stack = NULL;
    size_t count = 0, cap = 0;
#define PUSH(v)                                                                                    \
    do {                                                                                           \
        if (count == cap) {                                                                        \
            cap = cap ? cap * 2 : 64;                                                              \
            stack = realloc(stack, cap * sizeof *stack);                                           \
            if (!stack) abort();                                                                   \
        }                                                                                          \
        stack[count++] = (v);                                                                      \
    } while (0)
    if (json_is_object(root) || json_is_array(root)) PUSH(root);
    while (count) {
        json_t *c = stack[--count];
        if (json_is_array(c)) {
            for (size_t i = 0; i < json_array_size(c); i++) {
                json_t *v = json_array_get(c, i);
                if (json_is_object(v) || json_is_array(v)) PUSH(v);
            }
            continue;
        }
        const char *key;
        json_t *v;
        json_object_foreach(c, key, v)
        {
            size_t len = json_object_iter_key_len(json_object_key_to_iter(key));
            if (key_is_secret(key, len, extra)) {
                if (!json_is_null(v) && !json_is_boolean(v) && !is_scrubbed(v)) abort();
                continue;
            }
            if (key_is_ip(key, len)) {
                if (rules->ip_policy == UV_IP_DROP && !json_is_null(v)) abort();
                if (rules->ip_policy == UV_IP_ANONYMIZE && !json_is_null(v) && !is_scrubbed(v) &&
                    !anonymized_list(v))
                    abort();
            }
            if (json_is_object(v) || json_is_array(v)) PUSH(v);
        }
    }
    free(stack);
#undef PUSH
    /* Still valid JSON with valid strings. */
    char *text = json_dumps(root, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!text) abort();
    json_t *back = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!back || !json_equal(back, root)) abort();
    json_decref(back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *original = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!original) return 0;

    uv_scrub_rules rules = uv_scrub_defaults();
    json_t *tree = json_deep_copy(original);
    if (tree) {
        uv_scrub_json(tree, &rules);
        check_tree(tree, &rules, false);
        json_decref(tree);
    }

    static const char *const extra[] = {"employee"};
    rules = uv_scrub_defaults();
    rules.extra_patterns = extra;
    rules.extra_pattern_count = 1;
    rules.ip_policy = UV_IP_ANONYMIZE;
    tree = json_deep_copy(original);
    if (tree) {
        uv_scrub_json(tree, &rules);
        check_tree(tree, &rules, true);
        /* A second pass leaves secrets scrubbed (it may only find more, never undo). */
        uv_scrub_json(tree, &rules);
        check_tree(tree, &rules, true);
        json_decref(tree);
    }

    rules = uv_scrub_defaults();
    rules.ip_policy = UV_IP_DROP;
    rules.scrub_card_numbers = false;
    tree = json_deep_copy(original);
    if (tree) {
        uv_scrub_json(tree, &rules);
        check_tree(tree, &rules, false);
        json_decref(tree);
    }
    json_decref(original);
    return 0;
}
