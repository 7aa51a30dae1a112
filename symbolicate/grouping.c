/* Grouping occurrences into items: see grouping.h; the user-facing rules are in
 * docs/privacy.md ("Grouping"), next to what is scrubbed before grouping sees a payload.
 *
 * The fingerprint is SHA-256 over a small versioned text (never stored, only hashed):
 *   "uv-grouping-1\npayload\n" FINGERPRINT                          when the payload gives one;
 *   "uv-grouping-1\nframes\n" CLASS ("\n" FUNCTION "\t" FILE)...    for a trace with usable frames;
 *   "uv-grouping-1\nmessage\n" LEVEL "\n" CLASS "\n" NORMALISED     otherwise.
 * Frames: the first exception's (the outermost of a chain), innermost first, at most
 * UV_GROUPING_FRAMES of them, skipping ignore-listed sources, node_modules, runtime-internal
 * frames (node:, internal/, native, <anonymous>) and frames with no file; consecutive equal
 * frames (recursion) count once. Frames without a function name (top-level code, anonymous
 * callbacks) are used only when no frame has one: whether a minifier inlined a function into
 * top-level code must not split an item. Line and column never take part: they change with
 * every build. */
#include "symbolicate/grouping.h"

#include "formats/jv.h"
#include "formats/sha256.h"

#include <ctype.h>
#include <string.h>

#define GROUPING_VERSION "uv-grouping-1\n"

typedef struct {
    const char *function; /* "" when none */
    const char *file;
} group_frame;

static void hash_str(uv_sha256 *h, const char *s)
{
    if (s) uv_sha256_update(h, s, strlen(s));
}

static const char *basename_of(const char *path, size_t *len)
{
    size_t n = strcspn(path, "?#");
    size_t start = 0;
    for (size_t i = 0; i < n; i++)
        if (path[i] == '/' || path[i] == '\\') start = i + 1;
    *len = n - start;
    return path + start;
}

static bool starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_runtime_url(const char *url)
{
    return starts_with(url, "node:") || starts_with(url, "internal/") ||
           strcmp(url, "native") == 0 || strcmp(url, "<anonymous>") == 0;
}

static bool is_third_party(const char *path)
{
    return path && strstr(path, "node_modules/") != NULL;
}

/* The function and file a frame contributes; false when it is skipped. `file_len` bytes of
 * `file` count (a URL's basename without query). */
static bool frame_key(const uv_symbolicated *result, const uv_trace_exception *exc, size_t i,
                      const char **function, const char **file, size_t *file_len)
{
    const uv_trace *trace = result->trace;
    const uv_trace_frame *f = &exc->frames[i];
    bool native = uv_nativeresolve_is_native(trace, f);
    if (native) {
        const uv_native_resolved *n =
            result->native && result->native[0] ? &result->native[0][i] : NULL;
        if (n && n->status == UV_NATIVE_SYMBOLICATED && n->frame_count > 0) {
            const uv_native_location *loc = &n->frames[0];
            *function = loc->raw_function ? loc->raw_function : loc->function ? loc->function : "";
            *file = loc->file ? loc->file : "";
            *file_len = strlen(*file);
        } else {
            *function = f->symbol[0] ? f->symbol : f->function;
            *file = basename_of(f->module[0] ? f->module : f->url, file_len);
        }
        return (*function)[0] || *file_len;
    }
    if (f->is_native || !f->url[0] || is_runtime_url(f->url)) return false;
    const uv_resolved_frame *r = result->js && result->js[0] ? &result->js[0][i] : NULL;
    if (r && r->in_ignore_list) return false;
    if (r && r->status == UV_FRAME_SYMBOLICATED && r->source) {
        if (is_third_party(r->source)) return false;
        *function = r->function ? r->function : "";
        *file = r->source;
        *file_len = strlen(r->source);
        return true;
    }
    if (is_third_party(f->url)) return false;
    /* Unresolved: the frame's own names; a minified name is the best there is. */
    const char *fn = f->function;
    if (strcmp(fn, "Object.<anonymous>") == 0 || strcmp(fn, "<anonymous>") == 0) fn = "";
    *function = fn;
    *file = basename_of(f->url, file_len);
    return *file_len > 0;
}

/* Hashes the frames of the first exception; false when none qualified. */
static bool hash_frames(uv_sha256 *h, const uv_symbolicated *result)
{
    const uv_trace *trace = result->trace;
    if (trace->exception_count == 0) return false;
    const uv_trace_exception *exc = &trace->exceptions[0];
    for (int pass = 0; pass < 2; pass++) { /* 0: named frames only; 1: any frame */
        const char *prev_function = NULL, *prev_file = NULL;
        size_t prev_file_len = 0, used = 0;
        uv_sha256 copy = *h;
        for (size_t i = 0; i < exc->frame_count && used < UV_GROUPING_FRAMES; i++) {
            const char *function, *file;
            size_t file_len;
            if (!frame_key(result, exc, i, &function, &file, &file_len)) continue;
            if (pass == 0 && !function[0]) continue;
            if (prev_function && strcmp(prev_function, function) == 0 &&
                prev_file_len == file_len && memcmp(prev_file, file, file_len) == 0)
                continue;
            if (used == 0) {
                uv_sha256_update(&copy, "frames\n", 7);
                hash_str(&copy, exc->exception_class);
            }
            uv_sha256_update(&copy, "\n", 1);
            hash_str(&copy, function);
            uv_sha256_update(&copy, "\t", 1);
            uv_sha256_update(&copy, file, file_len);
            prev_function = function;
            prev_file = file;
            prev_file_len = file_len;
            used++;
        }
        if (used) {
            *h = copy;
            return true;
        }
    }
    return false;
}

static bool is_hex_char(unsigned char c)
{
    return isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Hashes `message` with numbers normalised: an alphanumeric run made only of hex digits and
 * holding at least one digit (ids, addresses, hashes, "0x7f…") becomes "#"; in other runs each
 * digit run becomes "#" ("1234ms" → "#ms"). */
static void hash_normalised(uv_sha256 *h, const char *message)
{
    const unsigned char *s = (const unsigned char *)message;
    size_t i = 0;
    while (s[i]) {
        if (!isalnum(s[i])) {
            size_t start = i;
            while (s[i] && !isalnum(s[i]))
                i++;
            uv_sha256_update(h, s + start, i - start);
            continue;
        }
        size_t start = i;
        bool all_hex = true, has_digit = false;
        while (s[i] && isalnum(s[i])) {
            if (isdigit(s[i])) has_digit = true;
            if (!is_hex_char(s[i])) all_hex = false;
            i++;
        }
        /* "0x…": the x is not a hex digit but the run is a number. */
        size_t len = i - start;
        if (len > 2 && s[start] == '0' && (s[start + 1] == 'x' || s[start + 1] == 'X')) {
            all_hex = true;
            for (size_t j = start + 2; j < i; j++)
                if (!is_hex_char(s[j])) all_hex = false;
        }
        if (all_hex && has_digit) {
            uv_sha256_update(h, "#", 1);
            continue;
        }
        for (size_t j = start; j < i;) {
            if (isdigit(s[j])) {
                while (j < i && isdigit(s[j]))
                    j++;
                uv_sha256_update(h, "#", 1);
            } else {
                uv_sha256_update(h, s + j, 1);
                j++;
            }
        }
    }
}

/* Rollbar's data.level ("error", "warning" …); "" for other payloads. */
static const char *level_of(const uv_trace *trace)
{
    if (trace->kind != UV_TRACE_ROLLBAR || !trace->json_doc) return "";
    const uv_jv *data = uv_jv_get(trace->json_doc->root, "data");
    const char *level = uv_jv_string(uv_jv_get(data, "level"));
    return level ? level : "";
}

void uv_grouping_fingerprint(const uv_symbolicated *result, const char *payload_fingerprint,
                             char out[UV_FINGERPRINT_LEN])
{
    uv_sha256 h;
    uv_sha256_init(&h);
    uv_sha256_update(&h, GROUPING_VERSION, strlen(GROUPING_VERSION));
    if (payload_fingerprint && payload_fingerprint[0]) {
        uv_sha256_update(&h, "payload\n", 8);
        hash_str(&h, payload_fingerprint);
    } else if (!result || !result->trace || !hash_frames(&h, result)) {
        const uv_trace *trace = result ? result->trace : NULL;
        const uv_trace_exception *exc =
            trace && trace->exception_count ? &trace->exceptions[0] : NULL;
        uv_sha256_update(&h, "message\n", 8);
        hash_str(&h, trace ? level_of(trace) : "");
        uv_sha256_update(&h, "\n", 1);
        hash_str(&h, exc ? exc->exception_class : "");
        uv_sha256_update(&h, "\n", 1);
        hash_normalised(&h, exc ? exc->message : "");
    }
    uint8_t digest[32];
    uv_sha256_final(&h, digest);
    uv_sha256_to_hex(digest, out);
}

/* Appends up to `n` bytes of s to out (capacity cap, used *len), cutting at a UTF-8 boundary
 * and at the first line break. */
static void append_line(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
    size_t take = 0;
    while (take < n && s[take] && s[take] != '\n' && s[take] != '\r')
        take++;
    if (*len + take + 1 > cap) take = cap - 1 - *len;
    while (take > 0 && ((unsigned char)s[take] & 0xC0) == 0x80)
        take--; /* s[take] continues a character: cut before that character */
    memcpy(out + *len, s, take);
    *len += take;
    out[*len] = 0;
}

void uv_grouping_title(const uv_trace *trace, char *out, size_t out_len)
{
    if (!out || out_len == 0) return;
    out[0] = 0;
    size_t len = 0;
    const uv_trace_exception *exc = trace && trace->exception_count ? &trace->exceptions[0] : NULL;
    const char *cls = exc ? exc->exception_class : "";
    const char *msg = exc ? exc->message : "";
    if (!cls[0] && !msg[0]) {
        append_line(out, out_len, &len, "(no message)", SIZE_MAX);
        return;
    }
    append_line(out, out_len, &len, cls, SIZE_MAX);
    if (cls[0] && msg[0]) append_line(out, out_len, &len, ": ", 2);
    append_line(out, out_len, &len, msg, 255);
}
