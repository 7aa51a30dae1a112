/* JavaScript frame resolution.
 *
 * For each frame URL the resolver finds, once, the source map that covers it:
 *   1. the stored minified file whose key best matches the URL; when it (or its map) carries a
 *      debug ID, the map with that debug ID;
 *   2. else the map stored under the best-matching key of (project, version);
 *   3. else the minified file's own sourceMappingURL: an inline data: URL, or a map stored
 *      under the URL it names (resolved against the minified file's key).
 * Maps come from the store's cache ("smcache", the decoded arrays) when present, else from the
 * blob, and the decoded form is written to the cache for the next run.
 *
 * The enclosing function's original name comes, in order of preference, from
 *   a. the function scope enclosing the original position in the original source text
 *      (sourcesContent or a stored source): exact even when the minifier inlined the function;
 *   b. the minified file's enclosing scope: its naming token mapped through `names`
 *      (Sentry's and Chrome DevTools' method);
 *   c. the callee name at the caller frame's call site, mapped through `names`;
 *   d. the `names` entry at the frame's own position; e. the frame's own method name.
 * A scope found by (a) or (b) that is anonymous gives no name: we do not borrow a neighbour's. */
#include "symbolicate/jsresolve.h"

#include "formats/error.h"
#include "formats/jsscope.h"
#include "formats/sourcemap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Version of the cache entries this module writes; bump with the formats' cache versions. */
#define SMCACHE_KIND "smcache"
#define SCOPES_KIND "jsscope"
#define SOURCE_SCOPES_KIND "jsscope-source"
#define CACHE_VERSION 1u

/* Ceilings: a map or minified file beyond 512 MiB is refused (the biggest real bundles we know
 * are ~50 MB); at most 4096 distinct frame URLs are remembered per resolver. */
#define MAX_ARTIFACT_BYTES ((size_t)512 << 20)
#define MAX_URLS 4096

typedef struct {
    bool tried;
    bool have_text;
    uv_str text;           /* original source text */
    uv_jsscopes *scopes;   /* its function scopes, NULL when not parsed or failed */
    uv_mapped scope_bytes; /* backing of `scopes` when loaded from the cache */
    const char **lines;    /* text split into lines, lazily for context */
    size_t line_count;
} source_info;

typedef struct {
    char *key;     /* artifact key (or map path in explicit mode) */
    char *blob;    /* blob hash of the map in the store, or NULL */
    char *version; /* version the map was stored under, or NULL (explicit mode) */
    uv_sourcemap *map;
    uv_mapped map_bytes;     /* backing bytes of `map` (blob, cache file or file) */
    uv_arena *arena;         /* backing for data: URL maps and unescaped texts */
    uv_jsscopes *min_scopes; /* scopes of the minified file, NULL when unknown */
    char *min_blob;          /* blob of the stored minified file, NULL when none */
    bool min_tried;          /* min_scopes loaded (or failed) already */
    uv_mapped min_bytes;
    source_info *sources; /* one per map source */
} loaded_map;

typedef struct {
    char *url;              /* normalised frame URL */
    loaded_map *map;        /* NULL when missing or malformed */
    uv_frame_status status; /* MISSING_SOURCEMAP / MALFORMED when map is NULL */
    char *detail;
} url_entry;

typedef struct {
    char *key;
    char *version;
    char *blob;
    char *debug_id;
    int64_t created_at;
} artifact_ref;

typedef struct {
    artifact_ref *items;
    size_t count, cap;
    bool loaded;
} artifact_list;

struct uv_jsresolver {
    uv_jsresolve_options options;
    uv_arena *arena;
    url_entry *urls;
    size_t url_count, url_cap;
    loaded_map **maps; /* all loaded maps, owned */
    size_t map_count, map_cap;
    artifact_list minified, sourcemaps;
};

const char *uv_frame_status_name(uv_frame_status status)
{
    switch (status) {
    case UV_FRAME_SYMBOLICATED:
        return "symbolicated";
    case UV_FRAME_MISSING_SOURCEMAP:
        return "missing_sourcemap";
    case UV_FRAME_NO_MAPPING:
        return "no_mapping";
    case UV_FRAME_MALFORMED:
        return "malformed";
    }
    return "unknown";
}

const char *uv_name_origin_name(uv_name_origin origin)
{
    switch (origin) {
    case UV_NAME_NONE:
        return "none";
    case UV_NAME_ORIGINAL_SCOPE:
        return "original_scope";
    case UV_NAME_MINIFIED_SCOPE:
        return "minified_scope";
    case UV_NAME_CALL_SITE:
        return "call_site";
    case UV_NAME_TOKEN:
        return "mapping_name";
    case UV_NAME_FRAME:
        return "frame";
    }
    return "unknown";
}

/* ---- URL normalisation and matching ------------------------------------------------------ */

char *uv_jsresolve_normalize_url(uv_arena *arena, const char *url)
{
    size_t len = strcspn(url, "?#");
    const char *start = url;
    if (strncmp(url, "file://", 7) == 0) {
        start = url + 7;
        /* file://host/path: keep /path; file:///path has an empty host. */
        if (*start != '/') {
            const char *slash = strchr(start, '/');
            start = slash ? slash : start + strlen(start);
        }
        len = strcspn(start, "?#");
    }
    char *out = uv_arena_strndup(arena, start, len);
    if (!out) return NULL;
    for (char *p = out; *p; p++)
        if (*p == '\\') *p = '/';
    return out;
}

/* Splits a URL or key into scheme+host ("https://h:1", "" for "~/" or plain paths) and path. */
typedef struct {
    const char *origin;
    size_t origin_len;
    const char *path; /* starts with '/' when there is one */
    bool tilde;       /* "~/…": any scheme and host */
    bool has_scheme;
} url_parts;

static url_parts split_url(const char *s)
{
    url_parts p = {s, 0, s, false, false};
    if (s[0] == '~' && s[1] == '/') {
        p.tilde = true;
        p.path = s + 1;
        return p;
    }
    const char *colon = strstr(s, "://");
    if (colon) {
        bool scheme_ok = colon > s;
        for (const char *c = s; c < colon; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '+' || *c == '-' || *c == '.'))
                scheme_ok = false;
        if (scheme_ok) {
            const char *host = colon + 3;
            const char *slash = strchr(host, '/');
            p.has_scheme = true;
            p.origin_len = (size_t)((slash ? slash : host + strlen(host)) - s);
            p.path = slash ? slash : "";
        }
    }
    return p;
}

unsigned uv_jsresolve_match_score(const char *key, const char *url)
{
    size_t key_len = strcspn(key, "?#");
    if (strlen(url) == key_len && strncmp(key, url, key_len) == 0) return 3000000u;
    url_parts k = split_url(key), u = split_url(url);
    size_t kpath_len = strcspn(k.path, "?#");
    size_t upath_len = strlen(u.path);
    if (kpath_len == 0) return 0;
    /* A key with an explicit scheme and host only matches that origin. */
    bool explicit_origin = k.has_scheme && k.origin_len > strcspn(key, ":") + 3;
    if (explicit_origin && u.has_scheme &&
        (k.origin_len != u.origin_len || strncmp(k.origin, u.origin, k.origin_len) != 0))
        return 0;
    if (explicit_origin && !u.has_scheme) return 0;
    if (upath_len == kpath_len && strncmp(k.path, u.path, kpath_len) == 0)
        return k.tilde || k.has_scheme ? 2000000u : 1000000u;
    /* Path suffix on a segment boundary: "/srv/app/dist/app.js" ends with "/dist/app.js". */
    const char *kp = k.path;
    size_t kl = kpath_len;
    while (kl > 0 && *kp == '/')
        kp++, kl--;
    if (kl == 0 || kl >= upath_len) return 0;
    const char *tail = u.path + upath_len - kl;
    if (tail[-1] != '/' || strncmp(tail, kp, kl) != 0) return 0;
    return 1u + (unsigned)(kl < 999998 ? kl : 999998);
}

/* ---- artifact lists ------------------------------------------------------------------------ */

static char *dup_str(uv_arena *arena, const char *s)
{
    return uv_arena_strndup(arena, s, strlen(s));
}

typedef struct {
    uv_jsresolver *resolver;
    artifact_list *list;
} list_ctx;

static int collect_artifact(const uv_artifact *a, void *vctx)
{
    list_ctx *ctx = vctx;
    artifact_list *list = ctx->list;
    uv_arena *arena = ctx->resolver->arena;
    artifact_ref *items = uv_array_grow(list->items, &list->cap, list->count, sizeof *items, 64);
    if (!items) return UV_ENOMEM;
    list->items = items;
    artifact_ref *r = &list->items[list->count];
    r->key = dup_str(arena, a->key);
    r->version = dup_str(arena, a->version);
    r->blob = dup_str(arena, a->blob);
    r->debug_id = dup_str(arena, a->debug_id);
    r->created_at = a->created_at;
    if (!r->key || !r->version || !r->blob || !r->debug_id) return UV_ENOMEM;
    list->count++;
    return 0;
}

static int load_list(uv_jsresolver *r, artifact_list *list, const char *kind)
{
    if (list->loaded) return 0;
    list_ctx ctx = {r, list};
    int rc = uv_store_artifact_each(r->options.store, r->options.project_id, r->options.version,
                                    kind, collect_artifact, &ctx);
    if (rc < 0) return rc;
    list->loaded = true;
    return 0;
}

/* Best-matching artifact for `url`; ties go to the newest upload. */
static const artifact_ref *best_match(const artifact_list *list, const char *url)
{
    const artifact_ref *best = NULL;
    unsigned best_score = 0;
    for (size_t i = 0; i < list->count; i++) {
        unsigned s = uv_jsresolve_match_score(list->items[i].key, url);
        if (s == 0) continue;
        if (s > best_score || (s == best_score && list->items[i].created_at > best->created_at)) {
            best = &list->items[i];
            best_score = s;
        }
    }
    return best;
}

/* ---- loading maps ------------------------------------------------------------------------- */

static void free_loaded_map(loaded_map *m)
{
    if (!m) return;
    if (m->sources) {
        uint32_t n = uv_sourcemap_source_count(m->map);
        for (uint32_t i = 0; i < n; i++) {
            uv_jsscope_free(m->sources[i].scopes);
            uv_mapped_release(&m->sources[i].scope_bytes);
        }
    }
    uv_sourcemap_free(m->map);
    uv_mapped_release(&m->map_bytes);
    uv_jsscope_free(m->min_scopes);
    uv_mapped_release(&m->min_bytes);
    uv_arena_free(m->arena);
    free(m);
}

static int remember_map(uv_jsresolver *r, loaded_map *m)
{
    loaded_map **maps = uv_array_grow(r->maps, &r->map_cap, r->map_count, sizeof *maps, 8);
    if (!maps) return UV_ENOMEM;
    r->maps = maps;
    r->maps[r->map_count++] = m;
    return 0;
}

static loaded_map *new_loaded_map(const char *key)
{
    loaded_map *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    if (uv_arena_new(&m->arena) != 0) {
        free(m);
        return NULL;
    }
    m->key = uv_arena_strndup(m->arena, key, strlen(key));
    if (!m->key) {
        free_loaded_map(m);
        return NULL;
    }
    return m;
}

static int finish_loaded_map(loaded_map *m)
{
    uint32_t n = uv_sourcemap_source_count(m->map);
    m->sources = uv_arena_calloc(m->arena, n ? n : 1, sizeof *m->sources);
    return m->sources ? 0 : UV_ENOMEM;
}

/* Loads the map stored as blob `blob` (key `key`), through the cache. */
static int load_stored_map(uv_jsresolver *r, const char *key, const char *version, const char *blob,
                           loaded_map **out)
{
    uv_store *store = r->options.store;
    loaded_map *m = new_loaded_map(key);
    if (!m) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    m->blob = uv_arena_strndup(m->arena, blob, strlen(blob));
    m->version = uv_arena_strndup(m->arena, version, strlen(version));
    if (!m->blob || !m->version) {
        free_loaded_map(m);
        return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    }
    int rc = uv_store_cache_get(store, SMCACHE_KIND, blob, CACHE_VERSION, &m->map_bytes);
    if (rc == 0) {
        rc = uv_sourcemap_load_cache(&m->map, m->map_bytes.data, m->map_bytes.len);
        if (rc != 0) {
            /* A corrupt or outdated cache is never trusted: drop it and rebuild below. */
            uv_mapped_release(&m->map_bytes);
            uv_store_cache_drop(store, SMCACHE_KIND, blob, CACHE_VERSION);
            m->map = NULL;
        }
    }
    if (!m->map) {
        rc = uv_store_blob_map(store, blob, &m->map_bytes);
        if (rc != 0) goto fail;
        rc = uv_sourcemap_parse(&m->map, (const char *)m->map_bytes.data, m->map_bytes.len);
        if (rc != 0) goto fail;
        uv_buf cache = UV_BUF_INIT;
        if (uv_sourcemap_write_cache(m->map, &cache) == 0) {
            /* Best effort: a cache that cannot be written only costs speed next time. */
            (void)uv_store_cache_put(store, SMCACHE_KIND, blob, CACHE_VERSION, cache.data,
                                     cache.len);
        }
        uv_buf_free(&cache);
        uv_error_clear();
    }
    rc = finish_loaded_map(m);
    if (rc != 0) goto fail;
    *out = m;
    return 0;
fail:
    free_loaded_map(m);
    return rc;
}

/* Loads the function scopes of the stored minified file `blob` into `m`, through the cache.
 * Failure only means names come from the fallbacks. */
/* Scope tables in the store's cache, under (kind, key): a table that does not load is never
 * trusted but dropped, so the caller rebuilds it. */
static bool scopes_from_cache(uv_store *store, const char *kind, const char *key,
                              uv_jsscopes **scopes, uv_mapped *bytes)
{
    if (uv_store_cache_get(store, kind, key, CACHE_VERSION, bytes) != 0) return false;
    if (uv_jsscope_load_cache(scopes, bytes->data, bytes->len) == 0) return true;
    uv_mapped_release(bytes);
    uv_store_cache_drop(store, kind, key, CACHE_VERSION);
    *scopes = NULL;
    return false;
}

/* Best effort: a table that cannot be cached only costs a rescan next time. */
static void scopes_to_cache(uv_store *store, const char *kind, const char *key,
                            const uv_jsscopes *scopes)
{
    uv_buf cache = UV_BUF_INIT;
    if (uv_jsscope_write_cache(scopes, &cache) == 0)
        (void)uv_store_cache_put(store, kind, key, CACHE_VERSION, cache.data, cache.len);
    uv_buf_free(&cache);
}

static void load_minified_scopes(uv_jsresolver *r, loaded_map *m)
{
    const char *blob = m->min_blob;
    if (m->min_tried || !blob) return;
    m->min_tried = true;
    uv_store *store = r->options.store;
    if (scopes_from_cache(store, SCOPES_KIND, blob, &m->min_scopes, &m->min_bytes)) return;
    if (uv_store_blob_map(store, blob, &m->min_bytes) == 0 &&
        uv_jsscope_parse(&m->min_scopes, (const char *)m->min_bytes.data, m->min_bytes.len) == 0)
        scopes_to_cache(store, SCOPES_KIND, blob, m->min_scopes);
    else
        m->min_scopes = NULL;
    uv_error_clear();
}

/* Remembers the minified file of a map; its scopes are read only when a name needs them. */
static void set_minified(loaded_map *m, const char *blob)
{
    m->min_blob = uv_arena_strndup(m->arena, blob, strlen(blob));
}

/* Joins a relative map URL to the key of the minified file that names it. */
static char *join_key(uv_arena *arena, const char *base_key, const char *rel)
{
    if (strstr(rel, "://") || rel[0] == '/' || (rel[0] == '~' && rel[1] == '/'))
        return uv_jsresolve_normalize_url(arena, rel);
    const char *slash = strrchr(base_key, '/');
    size_t dir_len = slash ? (size_t)(slash - base_key) + 1 : 0;
    size_t rel_len = strcspn(rel, "?#");
    char *out = uv_arena_alloc(arena, dir_len + rel_len + 1);
    if (!out) return NULL;
    memcpy(out, base_key, dir_len);
    /* Resolve "./" and "../" segments of rel against the directory. */
    size_t len = dir_len;
    const char *p = rel, *end = rel + rel_len;
    while (p < end) {
        const char *seg_end = memchr(p, '/', (size_t)(end - p));
        size_t seg_len = seg_end ? (size_t)(seg_end - p) : (size_t)(end - p);
        if (seg_len == 1 && p[0] == '.') {
            /* skip */
        } else if (seg_len == 2 && p[0] == '.' && p[1] == '.') {
            if (len > 0 && out[len - 1] == '/') len--;
            while (len > 0 && out[len - 1] != '/')
                len--;
        } else {
            memcpy(out + len, p, seg_len);
            len += seg_len;
            if (seg_end) out[len++] = '/';
        }
        p += seg_len + (seg_end ? 1 : 0);
    }
    out[len] = '\0';
    return out;
}

static int set_missing(uv_jsresolver *r, url_entry *e, uv_frame_status status, const char *fmt,
                       const char *arg)
{
    char text[1024];
    snprintf(text, sizeof text, fmt, arg);
    e->status = status;
    e->detail = dup_str(r->arena, text);
    return 0;
}

/* Finds and loads the map for normalised URL `url` in store mode. */
static int resolve_url_store(uv_jsresolver *r, url_entry *e)
{
    int rc = load_list(r, &r->minified, "minified");
    if (rc == 0) rc = load_list(r, &r->sourcemaps, "sourcemap");
    if (rc != 0) return rc;
    const artifact_ref *minified = best_match(&r->minified, e->url);
    const artifact_ref *map_ref = best_match(&r->sourcemaps, e->url);

    /* 1. debug ID of the minified file */
    uv_artifact found;
    if (minified && minified->debug_id[0]) {
        rc = uv_store_artifact_find_debug_id(r->options.store, r->options.project_id,
                                             minified->debug_id, "sourcemap", &found);
        if (rc == 0) {
            loaded_map *m = NULL;
            rc = load_stored_map(r, found.key, found.version, found.blob, &m);
            if (rc == UV_ENOMEM) return rc;
            if (rc != 0) {
                return set_missing(r, e, UV_FRAME_MALFORMED, "%s", uv_error_last()->message);
            }
            e->map = m;
            set_minified(m, minified->blob);
            return remember_map(r, m);
        }
        if (rc != UV_ENOTFOUND) return rc;
    }
    /* 2. the map stored under the matching URL */
    if (map_ref) {
        loaded_map *m = NULL;
        rc = load_stored_map(r, map_ref->key, map_ref->version, map_ref->blob, &m);
        if (rc == UV_ENOMEM) return rc;
        if (rc != 0) return set_missing(r, e, UV_FRAME_MALFORMED, "%s", uv_error_last()->message);
        e->map = m;
        if (minified) set_minified(m, minified->blob);
        return remember_map(r, m);
    }
    if (!minified)
        return set_missing(r, e, UV_FRAME_MISSING_SOURCEMAP,
                           "no source map or minified file stored for %s", e->url);
    /* 3. the minified file's sourceMappingURL */
    uv_mapped js;
    rc = uv_store_blob_map(r->options.store, minified->blob, &js);
    if (rc != 0) return set_missing(r, e, UV_FRAME_MALFORMED, "%s", uv_error_last()->message);
    uv_str url;
    if (uv_sourcemap_find_url((const char *)js.data, js.len, &url) != 0) {
        uv_mapped_release(&js);
        return set_missing(r, e, UV_FRAME_MISSING_SOURCEMAP,
                           "minified file %s has no sourceMappingURL and no map is stored for it",
                           minified->key);
    }
    if (uv_str_starts_with(url, "data:")) {
        loaded_map *m = new_loaded_map(minified->key);
        if (!m) {
            uv_mapped_release(&js);
            return UV_ENOMEM;
        }
        uv_str json;
        rc = uv_sourcemap_decode_data_url(url, m->arena, &json);
        if (rc == 0) rc = uv_sourcemap_parse(&m->map, json.ptr, json.len);
        uv_mapped_release(&js);
        if (rc == 0) rc = finish_loaded_map(m);
        if (rc != 0) {
            free_loaded_map(m);
            if (rc == UV_ENOMEM) return rc;
            return set_missing(r, e, UV_FRAME_MALFORMED, "%s", uv_error_last()->message);
        }
        e->map = m;
        set_minified(m, minified->blob);
        return remember_map(r, m);
    }
    char *rel = uv_arena_strndup(r->arena, url.ptr, url.len);
    uv_mapped_release(&js);
    char *map_key = rel ? join_key(r->arena, minified->key, rel) : NULL;
    if (!map_key) return UV_ENOMEM;
    for (size_t i = 0; i < r->sourcemaps.count; i++) {
        const artifact_ref *a = &r->sourcemaps.items[i];
        if (strcmp(a->key, map_key) != 0) continue;
        loaded_map *m = NULL;
        rc = load_stored_map(r, a->key, a->version, a->blob, &m);
        if (rc == UV_ENOMEM) return rc;
        if (rc != 0) return set_missing(r, e, UV_FRAME_MALFORMED, "%s", uv_error_last()->message);
        e->map = m;
        set_minified(m, minified->blob);
        return remember_map(r, m);
    }
    return set_missing(r, e, UV_FRAME_MISSING_SOURCEMAP,
                       "the minified file names source map %s, which is not stored", map_key);
}

/* Basename without directories, query or fragment. */
static void basename_of(const char *s, size_t len, const char **out, size_t *out_len)
{
    size_t end = 0;
    while (end < len && s[end] != '?' && s[end] != '#')
        end++;
    size_t start = end;
    while (start > 0 && s[start - 1] != '/' && s[start - 1] != '\\')
        start--;
    *out = s + start;
    *out_len = end - start;
}

static int resolve_url_explicit(uv_jsresolver *r, url_entry *e)
{
    const char *ub;
    size_t ub_len;
    basename_of(e->url, strlen(e->url), &ub, &ub_len);
    for (size_t i = 0; i < r->map_count; i++) {
        loaded_map *m = r->maps[i];
        uv_str file = uv_sourcemap_file(m->map);
        const char *fb;
        size_t fb_len;
        basename_of(file.ptr ? file.ptr : "", file.len, &fb, &fb_len);
        bool match = fb_len > 0 && fb_len == ub_len && memcmp(fb, ub, ub_len) == 0;
        if (!match) {
            const char *pb;
            size_t pb_len;
            basename_of(m->key, strlen(m->key), &pb, &pb_len);
            if (pb_len > 4 && memcmp(pb + pb_len - 4, ".map", 4) == 0) pb_len -= 4;
            match = pb_len > 0 && pb_len == ub_len && memcmp(pb, ub, ub_len) == 0;
        }
        if (match) {
            e->map = m;
            return 0;
        }
    }
    return set_missing(r, e, UV_FRAME_MISSING_SOURCEMAP, "none of the given source maps is for %s",
                       e->url);
}

static url_entry *entry_for(uv_jsresolver *r, const char *raw_url, int *rc)
{
    *rc = 0;
    char *url = uv_jsresolve_normalize_url(r->arena, raw_url);
    if (!url) {
        *rc = UV_ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < r->url_count; i++)
        if (strcmp(r->urls[i].url, url) == 0) return &r->urls[i];
    if (r->url_count >= MAX_URLS) {
        *rc = uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0,
                           "more than %d distinct script URLs in one trace", MAX_URLS);
        return NULL;
    }
    url_entry *urls = uv_array_grow(r->urls, &r->url_cap, r->url_count, sizeof *urls, 16);
    if (!urls) {
        *rc = UV_ENOMEM;
        return NULL;
    }
    r->urls = urls;
    url_entry *e = &r->urls[r->url_count];
    memset(e, 0, sizeof *e);
    e->url = url;
    *rc = r->options.store ? resolve_url_store(r, e) : resolve_url_explicit(r, e);
    if (*rc != 0) return NULL;
    r->url_count++;
    return e;
}

/* ---- original sources ----------------------------------------------------------------------- */

/* Function scopes of original source `i`: from the cache (keyed by the map's blob and the
 * source index) when the map is stored, else scanned and cached. Failure leaves NULL. */
static void load_source_scopes(uv_jsresolver *r, loaded_map *m, uint32_t i, source_info *s)
{
    char key[UV_HASH_HEX] = "";
    uv_store *store = r->options.store;
    if (store && m->blob) {
        char id[UV_HASH_HEX + 16];
        int n = snprintf(id, sizeof id, "%s/%u", m->blob, i);
        uv_sha256_hex(id, (size_t)n, key);
    }
    if (key[0] && scopes_from_cache(store, SOURCE_SCOPES_KIND, key, &s->scopes, &s->scope_bytes))
        return;
    if (uv_jsscope_parse(&s->scopes, s->text.ptr, s->text.len) != 0) {
        s->scopes = NULL;
        return;
    }
    if (key[0]) scopes_to_cache(store, SOURCE_SCOPES_KIND, key, s->scopes);
}

/* Text of source `i` of `m`: sourcesContent, else a stored source artifact. */
static source_info *source_text(uv_jsresolver *r, loaded_map *m, uint32_t i)
{
    source_info *s = &m->sources[i];
    if (s->tried) return s;
    s->tried = true;
    if (uv_sourcemap_source_content(m->map, i, m->arena, &s->text) == 0) {
        s->have_text = true;
    } else if (r->options.store && m->version) {
        uv_str name = uv_sourcemap_source(m->map, i);
        size_t key_len = strlen(m->key) + 1 + name.len;
        char *key = uv_arena_alloc(m->arena, key_len + 1);
        uv_artifact a;
        if (key && key_len < sizeof a.key) {
            snprintf(key, key_len + 1, "%s\n%.*s", m->key, (int)name.len, name.ptr);
            if (uv_store_artifact_get(r->options.store, r->options.project_id, m->version, "source",
                                      key, &a) == 0) {
                uv_mapped bytes;
                if (uv_store_blob_map(r->options.store, a.blob, &bytes) == 0) {
                    char *copy = uv_arena_strndup(m->arena, (const char *)bytes.data, bytes.len);
                    if (copy) {
                        s->text = (uv_str){copy, bytes.len};
                        s->have_text = true;
                    }
                    uv_mapped_release(&bytes);
                }
            }
        }
    }
    if (s->have_text) load_source_scopes(r, m, i, s);
    uv_error_clear();
    return s;
}

static int split_lines(uv_arena *arena, source_info *s)
{
    if (s->lines) return 0;
    size_t count = 1;
    for (size_t i = 0; i < s->text.len; i++)
        if (s->text.ptr[i] == '\n') count++;
    s->lines = uv_arena_calloc(arena, count, sizeof *s->lines);
    if (!s->lines) return UV_ENOMEM;
    size_t start = 0, n = 0;
    for (size_t i = 0; i <= s->text.len; i++) {
        if (i == s->text.len || s->text.ptr[i] == '\n') {
            size_t end = i;
            if (end > start && s->text.ptr[end - 1] == '\r') end--;
            s->lines[n++] = uv_arena_strndup(arena, s->text.ptr + start, end - start);
            if (!s->lines[n - 1]) return UV_ENOMEM;
            start = i + 1;
        }
    }
    /* A final newline does not start another line. */
    if (n > 1 && s->text.len > 0 && s->text.ptr[s->text.len - 1] == '\n') n--;
    s->line_count = n;
    return 0;
}

static int add_context(uv_jsresolver *r, loaded_map *m, source_info *s, uv_resolved_frame *f)
{
    if (!s->have_text || r->options.context_lines == 0) return 0;
    if (split_lines(m->arena, s) != 0) return UV_ENOMEM;
    if (f->line >= s->line_count) return 0;
    size_t n = r->options.context_lines;
    size_t first = f->line >= n ? f->line - n : 0;
    size_t last = f->line + n < s->line_count ? f->line + n : s->line_count - 1;
    f->pre_context = &s->lines[first];
    f->pre_count = f->line - first;
    f->context_line = s->lines[f->line];
    f->post_context = &s->lines[f->line + 1];
    f->post_count = last - f->line;
    return 0;
}

static const char *str_dup_view(uv_arena *arena, uv_str v)
{
    return uv_arena_strndup(arena, v.ptr ? v.ptr : "", v.len);
}

/* ---- frames ------------------------------------------------------------------------------- */

static bool frame_has_location(const uv_trace_frame *f)
{
    return f->url && f->url[0] && f->has_line && !f->is_native;
}

/* Maps frame position through the map: exact column, or the first mapping of the line. */
static int lookup_frame(const loaded_map *m, const uv_trace_frame *f, uv_sm_token *tok,
                        bool *approximate)
{
    *approximate = !f->has_column;
    if (f->has_column) return uv_sourcemap_lookup(m->map, f->line, f->column, tok);
    return uv_sourcemap_lookup_line(m->map, f->line, tok);
}

/* The name of mapping `name` index, or NULL. */
static const char *mapping_name(uv_arena *arena, const loaded_map *m, uint32_t name)
{
    if (name == UV_SM_NONE || name >= uv_sourcemap_name_count(m->map)) return NULL;
    uv_str v = uv_sourcemap_name(m->map, name);
    return v.len ? str_dup_view(arena, v) : NULL;
}

/* (a) and (b): name of the scope enclosing a position in a scope table; *found tells whether a
 * scope encloses it at all (an anonymous one gives NULL with *found true). */
static const uv_jsscope *enclosing_scope(const uv_jsscopes *scopes, uint32_t line, uint32_t col)
{
    if (!scopes) return NULL;
    uint32_t i = uv_jsscope_find(scopes, line, col);
    return i == UV_JSSCOPE_NONE ? NULL : uv_jsscope_get(scopes, i);
}

/* How a function is shown: `new C` for a constructor (as V8 prints it), `C.m` for a member of
 * class or object C, else the plain name; NULL for an anonymous function. */
static const char *display_name(uv_arena *arena, uv_str name, uv_str holder)
{
    if (name.len == 0) return NULL;
    if (holder.len == 0) return str_dup_view(arena, name);
    bool ctor = uv_str_eq_c(name, "constructor");
    size_t len = ctor ? 4 + holder.len : holder.len + 1 + name.len;
    char *out = uv_arena_alloc(arena, len + 1);
    if (!out) return NULL;
    if (ctor)
        snprintf(out, len + 1, "new %.*s", (int)holder.len, holder.ptr);
    else
        snprintf(out, len + 1, "%.*s.%.*s", (int)holder.len, holder.ptr, (int)name.len, name.ptr);
    return out;
}

/* (b): the name of the minified scope enclosing the frame, through its naming token's
 * mapping; NULL for an anonymous scope or top-level code. */
static const char *minified_scope_name(uv_arena *arena, const loaded_map *m,
                                       const uv_trace_frame *f)
{
    const uv_jsscope *scope = enclosing_scope(m->min_scopes, f->line, f->column);
    uv_sm_token tok;
    if (!scope || scope->name_line == UV_JSSCOPE_NONE ||
        uv_sourcemap_lookup(m->map, scope->name_line, scope->name_column, &tok) != 0)
        return NULL;
    const char *fn = mapping_name(arena, m, tok.name);
    const char *holder = NULL;
    if (scope->class_line != UV_JSSCOPE_NONE &&
        uv_sourcemap_lookup(m->map, scope->class_line, scope->class_column, &tok) == 0)
        holder = mapping_name(arena, m, tok.name);
    return fn ? display_name(arena, uv_str_c(fn), uv_str_c(holder)) : NULL;
}

/* (c): the `names` entry where the caller (frame index + 1) made the call, which names the
 * callee. *out stays NULL when there is none. */
static int call_site_name(uv_jsresolver *r, const uv_trace_exception *exc, size_t index,
                          uv_arena *arena, const char **out)
{
    if (index + 1 >= exc->frame_count) return 0;
    const uv_trace_frame *caller = &exc->frames[index + 1];
    if (!frame_has_location(caller) || !caller->has_column) return 0;
    int rc;
    url_entry *ce = entry_for(r, caller->url, &rc);
    if (!ce) return rc;
    uv_sm_token tok;
    bool approximate;
    if (ce->map && lookup_frame(ce->map, caller, &tok, &approximate) == 0)
        *out = mapping_name(arena, ce->map, tok.name);
    return 0;
}

static int resolve_one(uv_jsresolver *r, const uv_trace_exception *exc, size_t index,
                       uv_arena *arena, uv_resolved_frame *out)
{
    const uv_trace_frame *f = &exc->frames[index];
    memset(out, 0, sizeof *out);
    if (!frame_has_location(f)) {
        out->status = UV_FRAME_MISSING_SOURCEMAP;
        out->detail = f->url && f->url[0] ? "frame has no line number" : "frame has no file";
        return 0;
    }
    int rc;
    url_entry *e = entry_for(r, f->url, &rc);
    if (!e) return rc;
    if (!e->map) {
        out->status = e->status;
        out->detail = e->detail;
        return 0;
    }
    loaded_map *m = e->map;
    out->artifact = m->key;
    uv_sm_token tok;
    if (lookup_frame(m, f, &tok, &out->approximate) != 0) {
        out->status = UV_FRAME_NO_MAPPING;
        out->detail = "the source map has no mapping at this position";
        return 0;
    }
    out->status = UV_FRAME_SYMBOLICATED;
    out->source = str_dup_view(arena, uv_sourcemap_source(m->map, tok.source));
    out->line = tok.line;
    out->column = tok.column;
    out->name = mapping_name(arena, m, tok.name);
    out->in_ignore_list = uv_sourcemap_source_ignored(m->map, tok.source);
    if (!out->source) return UV_ENOMEM;

    /* (a) the scope enclosing the original position in the original source */
    source_info *s = source_text(r, m, tok.source);
    const uv_jsscope *scope = enclosing_scope(s->scopes, tok.line, tok.column);
    if (scope || s->scopes) {
        out->function_origin = UV_NAME_ORIGINAL_SCOPE;
        if (scope) out->function = display_name(arena, scope->name, scope->class_name);
    } else {
        /* (b) the minified enclosing scope's name token, mapped through names */
        bool scoped = f->has_column && (load_minified_scopes(r, m), m->min_scopes != NULL);
        if (scoped) {
            out->function = minified_scope_name(arena, m, f);
            out->function_origin = UV_NAME_MINIFIED_SCOPE;
        }
        /* (c) an anonymous or unknown scope: the callee name at the caller's call site */
        if (!out->function) {
            rc = call_site_name(r, exc, index, arena, &out->function);
            if (rc != 0) return rc;
            if (out->function) out->function_origin = UV_NAME_CALL_SITE;
        }
        /* (d) without any scope information, the names entry at the frame's own position */
        if (!out->function && !scoped && out->name) {
            out->function = out->name;
            out->function_origin = UV_NAME_TOKEN;
        }
    }
    /* (e) the frame's own method name */
    if (!out->function && out->function_origin == UV_NAME_NONE && f->function && f->function[0]) {
        out->function = f->function;
        out->function_origin = UV_NAME_FRAME;
    }
    return add_context(r, m, s, out);
}

int uv_jsresolve_exception(uv_jsresolver *resolver, const uv_trace_exception *exception,
                           uv_arena *arena, uv_resolved_frame *out)
{
    for (size_t i = 0; i < exception->frame_count; i++) {
        int rc = resolve_one(resolver, exception, i, arena, &out[i]);
        if (rc != 0) return rc;
    }
    return 0;
}

/* ---- lifetime ------------------------------------------------------------------------------- */

static int load_explicit_map(uv_jsresolver *r, const char *path)
{
    loaded_map *m = new_loaded_map(path);
    if (!m) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    int rc = uv_file_map(path, MAX_ARTIFACT_BYTES, &m->map_bytes);
    if (rc == 0) {
        rc = uv_sourcemap_parse(&m->map, (const char *)m->map_bytes.data, m->map_bytes.len);
        if (rc != 0) uv_error_prefix("%s", path);
    }
    if (rc == 0) rc = finish_loaded_map(m);
    if (rc == 0) rc = remember_map(r, m);
    if (rc != 0) free_loaded_map(m);
    return rc;
}

int uv_jsresolve_new(uv_jsresolver **out, const uv_jsresolve_options *options)
{
    uv_jsresolver *r = calloc(1, sizeof *r);
    if (!r) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    r->options = *options;
    int rc = uv_arena_new(&r->arena);
    if (rc != 0) {
        free(r);
        return rc;
    }
    if (!options->store) {
        for (size_t i = 0; i < options->sourcemap_count; i++) {
            rc = load_explicit_map(r, options->sourcemap_paths[i]);
            if (rc != 0) {
                uv_jsresolve_free(r);
                return rc;
            }
        }
    }
    *out = r;
    return 0;
}

size_t uv_jsresolve_footprint(const uv_jsresolver *resolver)
{
    return uv_arena_used(resolver->arena) + resolver->url_cap * sizeof *resolver->urls +
           resolver->map_cap * sizeof *resolver->maps +
           (resolver->minified.count + resolver->sourcemaps.count) * 64;
}

void uv_jsresolve_free(uv_jsresolver *resolver)
{
    if (!resolver) return;
    for (size_t i = 0; i < resolver->map_count; i++)
        free_loaded_map(resolver->maps[i]);
    free(resolver->maps);
    free(resolver->urls);
    free(resolver->minified.items);
    free(resolver->sourcemaps.items);
    uv_arena_free(resolver->arena);
    free(resolver);
}
