/* Scrubbing payloads before anything is stored: values under keys that look secret (password,
 * passwd, secret, token, api_key, access_token, authorization, cookie, set-cookie, session,
 * csrf, …; matched case-insensitively as substrings of the key, with `-`/`_` ignored) at any
 * depth — objects, arrays, and `key=value` pairs inside query strings, cookie headers and form
 * bodies carried as strings — become "[scrubbed]"; so do digit runs that pass the Luhn check
 * (card numbers, 13–19 digits, spaces or dashes allowed between groups). IP addresses are
 * kept, anonymized (IPv4: last octet zeroed; IPv6: last 80 bits zeroed) or dropped. */
#ifndef UV_SCRUB_H
#define UV_SCRUB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define UV_SCRUBBED "[scrubbed]"

typedef enum {
    UV_IP_STORE,
    UV_IP_ANONYMIZE,
    UV_IP_DROP,
} uv_ip_policy;

typedef struct {
    bool enabled;                    /* false: nothing is scrubbed (per-project switch) */
    const char *const *key_patterns; /* NULL: the defaults above */
    size_t key_pattern_count;
    const char *const *extra_patterns; /* added to the defaults (project settings) */
    size_t extra_pattern_count;
    bool scrub_card_numbers; /* default true */
    uv_ip_policy ip_policy;
    /* More patterns as a borrowed JSON array of strings (non-strings are ignored); set by
     * uv_scrub_rules_from_settings to its `scrub_fields`, NULL otherwise. */
    const json_t *extra_fields;
} uv_scrub_rules;

/* The defaults: enabled, default key patterns, card numbers on, IPs stored. */
uv_scrub_rules uv_scrub_defaults(void);

/* Scrubs the tree of `doc` in place (formats/jv.h: replaced values become strings, and the
 * document is marked modified when anything changed); returns the number of values
 * replaced, (size_t)-1 when out of memory (the document is then unusable: never store it).
 * Keys named like IP fields (`user_ip`, `ip`, `ip_address`, `remote_addr`,
 * `X-Forwarded-For`…) follow the IP policy. */
struct uv_jv_doc;
size_t uv_scrub_jv(struct uv_jv_doc *doc, const uv_scrub_rules *rules);

/* Whether `digits` (only 0-9, 13–19 of them) passes the Luhn check. Exposed for tests. */
bool uv_luhn_valid(const char *digits, size_t len);

/* Anonymizes an IPv4 or IPv6 address text into `out` (≥ 46 bytes); false when not an IP. */
bool uv_ip_anonymize(const char *ip, char *out, size_t out_len);

/* Parses project settings JSON ({"scrub": true, "scrub_fields": [...], "ip": "store" |
 * "anonymize" | "drop"}) into rules; strings point into `settings`, which must outlive them.
 * UV_EINVALID naming the field. */
int uv_scrub_rules_from_settings(json_t *settings, uv_scrub_rules *out);

#endif
