/* Uploading source maps from a build output: see sourcemaps.h for what is stored where. */
#include "upload/sourcemaps.h"

#include "formats/arena.h"
#include "formats/error.h"
#include "formats/sourcemap.h"
#include "upload/remote.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Ceilings: a build output of more than 100,000 files or deeper than 64 directories is not one
 * we were meant to walk; a single script or map over 512 MiB is refused. */
#define MAX_FILES 100000
#define MAX_DEPTH 64
#define MAX_FILE_BYTES ((size_t)512 << 20)

typedef struct {
    char *path; /* on disk */
    char *rel;  /* relative to the root given */
    bool is_map;
    bool used; /* a map already paired with a script */
} found_file;

typedef struct {
    const uv_upload_sourcemaps_options *opt;
    uv_upload_summary *sum;
    uv_arena *arena;
    found_file *files;
    size_t count, cap;
} upload_ctx;

static void report(upload_ctx *c, uv_upload_severity sev, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void report(upload_ctx *c, uv_upload_severity sev, const char *path, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (sev == UV_UPLOAD_WARNING) c->sum->warnings++;
    if (sev == UV_UPLOAD_ERROR) c->sum->errors++;
    if (c->opt->report) c->opt->report(c->opt->report_ctx, sev, path, msg);
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool is_script(const char *name)
{
    return has_suffix(name, ".js") || has_suffix(name, ".mjs") || has_suffix(name, ".cjs");
}

static bool is_map(const char *name)
{
    return has_suffix(name, ".map");
}

static char *join_path(uv_arena *arena, const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = strlen(name);
    bool slash = dl > 0 && dir[dl - 1] != '/';
    char *out = uv_arena_alloc(arena, dl + slash + nl + 1);
    if (!out) return NULL;
    memcpy(out, dir, dl);
    if (slash) out[dl] = '/';
    memcpy(out + dl + slash, name, nl + 1);
    return out;
}

static void normalize_path(char *path);

static int add_file(upload_ctx *c, const char *path, const char *rel, bool map)
{
    if (c->count >= MAX_FILES)
        return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0, "more than %d scripts and maps to upload",
                            MAX_FILES);
    found_file *files = uv_array_grow(c->files, &c->cap, c->count, sizeof *files, 64);
    if (!files) return UV_ENOMEM;
    c->files = files;
    found_file *f = &c->files[c->count];
    f->path = uv_arena_strndup(c->arena, path, strlen(path));
    f->rel = uv_arena_strndup(c->arena, rel, strlen(rel));
    f->is_map = map;
    f->used = false;
    if (!f->path || !f->rel) return UV_ENOMEM;
    normalize_path(f->path); /* as map paths found through sourceMappingURL are */
    c->count++;
    return 0;
}

static int walk(upload_ctx *c, const char *dir, const char *rel, int depth)
{
    if (depth > MAX_DEPTH)
        return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0, "%s: directories nested deeper than %d",
                            dir, MAX_DEPTH);
    DIR *d = opendir(dir);
    if (!d)
        return uv_error_set(UV_EIO, UV_LIB_OS, errno, "%s: cannot open directory: %s", dir,
                            strerror(errno));
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        /* Hidden entries and dependencies are not part of a build's own output. */
        if (e->d_name[0] == '.' || strcmp(e->d_name, "node_modules") == 0) continue;
        char *path = join_path(c->arena, dir, e->d_name);
        char *child_rel = rel[0] ? join_path(c->arena, rel, e->d_name)
                                 : uv_arena_strndup(c->arena, e->d_name, strlen(e->d_name));
        if (!path || !child_rel) {
            rc = UV_ENOMEM;
            break;
        }
        struct stat st;
        if (stat(path, &st) != 0) continue; /* vanished or a dangling link */
        if (S_ISDIR(st.st_mode))
            rc = walk(c, path, child_rel, depth + 1);
        else if (S_ISREG(st.st_mode) && (is_script(e->d_name) || is_map(e->d_name)))
            rc = add_file(c, path, child_rel, is_map(e->d_name));
    }
    closedir(d);
    return rc;
}

static int cmp_files(const void *a, const void *b)
{
    return strcmp(((const found_file *)a)->rel, ((const found_file *)b)->rel);
}

static found_file *find_by_path(upload_ctx *c, const char *path)
{
    for (size_t i = 0; i < c->count; i++)
        if (strcmp(c->files[i].path, path) == 0) return &c->files[i];
    return NULL;
}

/* The URL of a file from its relative path. */
static char *url_for(upload_ctx *c, const char *rel)
{
    const char *prefix = c->opt->url_prefix ? c->opt->url_prefix : "~/";
    return join_path(c->arena, prefix, rel);
}

/* Directory part of a path, "." when none. */
static char *dir_of(uv_arena *arena, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return uv_arena_strndup(arena, ".", 1);
    return uv_arena_strndup(arena, path, slash == path ? 1 : (size_t)(slash - path));
}

/* Removes "./" and "a/../" segments from a relative or absolute path, in place. */
static void normalize_path(char *path)
{
    char *end = path + strlen(path);
    char *out = path, *p = path;
    if (*p == '/') out++, p++;
    char *start = out;
    while (p < end) {
        char *seg_end = memchr(p, '/', (size_t)(end - p));
        size_t len = seg_end ? (size_t)(seg_end - p) : (size_t)(end - p);
        if (len == 0 || (len == 1 && p[0] == '.')) {
            /* skip */
        } else if (len == 2 && p[0] == '.' && p[1] == '.' && out > start &&
                   !(out - start >= 3 && strncmp(out - 3, "../", 3) == 0)) {
            out--; /* drop the previous segment */
            while (out > start && out[-1] != '/')
                out--;
        } else {
            /* out never passes p, and the '/' written lands at or before p's own '/'. */
            memmove(out, p, len);
            out += len;
            *out++ = '/';
        }
        p += len + 1;
    }
    if (out > start && out[-1] == '/') out--;
    *out = '\0';
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A path on disk for a source named by a map at `map_path`; NULL when it is not a local path. */
/* `base_dir` is the map's directory (where the spec resolves sources) or, as a fallback for
 * bundlers that write paths relative to where they ran (terser does), the current one. */
static char *source_path(uv_arena *arena, const char *base_dir, uv_str source)
{
    if (source.len == 0) return NULL;
    char *s = uv_arena_strndup(arena, source.ptr, source.len);
    if (!s) return NULL;
    if (strncmp(s, "file://", 7) == 0) {
        s += 7;
    } else if (strstr(s, "://") || strncmp(s, "webpack:", 8) == 0) {
        return NULL; /* a URL: not on this disk */
    }
    char *path = s[0] == '/' ? s : join_path(arena, base_dir, s);
    if (path) normalize_path(path);
    return path;
}

static int put_file_blob(upload_ctx *c, const uint8_t *data, size_t len, char hex[UV_HASH_HEX])
{
    c->sum->bytes += len;
    return uv_store_blob_put(c->opt->store, data, len, hex);
}

/* The local writer: blobs first, then the group's index rows in one transaction. */
static int store_group(upload_ctx *c, const uv_upload_group *g, size_t *stored_sources)
{
    const uv_upload_sourcemaps_options *o = c->opt;
    char map_hex[UV_HASH_HEX], js_hex[UV_HASH_HEX];
    int rc = put_file_blob(c, g->map, g->map_len, map_hex);
    if (rc == 0 && g->script) rc = put_file_blob(c, g->script, g->script_len, js_hex);
    if (rc != 0) return rc;
    typedef struct {
        char *key;
        char hex[UV_HASH_HEX];
        size_t size;
    } source_row;
    source_row *rows =
        uv_arena_calloc(c->arena, g->source_count ? g->source_count : 1, sizeof *rows);
    if (!rows) return UV_ENOMEM;
    size_t row_count = 0;
    for (size_t i = 0; i < g->source_count; i++) {
        uv_mapped src;
        rc = uv_file_map(g->sources[i].path, MAX_FILE_BYTES, &src);
        if (rc != 0) {
            report(c, UV_UPLOAD_WARNING, g->sources[i].path, "%s", uv_error_last()->message);
            continue;
        }
        rc = put_file_blob(c, src.data, src.len, rows[row_count].hex);
        rows[row_count].size = src.len;
        uv_mapped_release(&src);
        if (rc != 0) return rc;
        size_t key_len = strlen(g->url) + 1 + strlen(g->sources[i].name);
        rows[row_count].key = uv_arena_alloc(c->arena, key_len + 1);
        if (!rows[row_count].key) return UV_ENOMEM;
        snprintf(rows[row_count].key, key_len + 1, "%s\n%s", g->url, g->sources[i].name);
        row_count++;
    }
    *stored_sources = row_count;
    const char *debug_id = g->debug_id[0] ? g->debug_id : NULL;
    rc = uv_store_begin(o->store);
    if (rc != 0) return rc;
    if (g->script)
        rc = uv_store_artifact_put(o->store, o->project_id, o->version, "minified", g->url, js_hex,
                                   g->script_len, debug_id, NULL);
    if (rc == 0)
        rc = uv_store_artifact_put(o->store, o->project_id, o->version, "sourcemap", g->url,
                                   map_hex, g->map_len, debug_id, NULL);
    for (size_t i = 0; rc == 0 && i < row_count; i++)
        rc = uv_store_artifact_put(o->store, o->project_id, o->version, "source", rows[i].key,
                                   rows[i].hex, rows[i].size, NULL, NULL);
    if (rc != 0) {
        uv_error prev = *uv_error_last();
        uv_store_rollback(o->store);
        return uv_error_set(prev.code, prev.lib, prev.lib_code, "%s", prev.message);
    }
    return uv_store_commit(o->store);
}

/* The remote sender: one POST per group. A group the server rejects (400/413/422) is an error
 * of that map; anything else (no connection, refused token, server failure) stops the upload. */
static int send_group(upload_ctx *c, const uv_upload_group *g)
{
    int rc = uv_remote_send_sourcemap(c->opt->remote, c->opt->version, g);
    if (rc == UV_EINVALID) {
        report(c, UV_UPLOAD_ERROR, g->map_path, "rejected: %s", uv_error_last()->message);
        uv_error_clear();
        return 1;
    }
    if (rc != 0) return rc;
    c->sum->bytes += g->map_len;
    return 0;
}

/* Makes the group of one map (already parsed from `map_bytes`) under `url`, with its script
 * when given — debug ID, sources embedded or found on disk — and hands it to the local writer
 * or the remote sender (or, in a dry run, only counts it). */
static int upload_group(upload_ctx *c, const char *url, const found_file *script,
                        const uv_mapped *script_bytes, const char *map_path,
                        const uv_mapped *map_bytes, const uv_sourcemap *map,
                        const char *script_debug_id)
{
    const uv_upload_sourcemaps_options *o = c->opt;
    uv_str map_debug = uv_sourcemap_debug_id(map);
    char debug_id[64] = "";
    if (script_debug_id && script_debug_id[0])
        snprintf(debug_id, sizeof debug_id, "%s", script_debug_id);
    else if (map_debug.len && map_debug.len < sizeof debug_id)
        snprintf(debug_id, sizeof debug_id, "%.*s", (int)map_debug.len, map_debug.ptr);

    /* Sources: embedded, found on disk, or missing. */
    uint32_t n = uv_sourcemap_source_count(map);
    uv_upload_source *sources = uv_arena_calloc(c->arena, n ? n : 1, sizeof *sources);
    if (!sources) return UV_ENOMEM;
    size_t source_count = 0, embedded = 0;
    for (uint32_t i = 0; i < n; i++) {
        uv_str content;
        if (uv_sourcemap_source_content(map, i, c->arena, &content) == 0) {
            embedded++;
            continue;
        }
        uv_error_clear();
        uv_str name = uv_sourcemap_source(map, i);
        char *path = source_path(c->arena, dir_of(c->arena, map_path), name);
        if (path && !file_exists(path)) {
            char *from_cwd = source_path(c->arena, ".", name);
            if (from_cwd && file_exists(from_cwd)) path = from_cwd;
        }
        if (!path || !file_exists(path)) {
            report(c, UV_UPLOAD_WARNING, map_path,
                   "source '%.*s' is neither embedded (sourcesContent) nor found on disk%s%s",
                   (int)name.len, name.ptr, path ? " at " : "", path ? path : "");
            continue;
        }
        char *source_name = uv_arena_strndup(c->arena, name.ptr, name.len);
        if (!source_name) return UV_ENOMEM;
        sources[source_count++] = (uv_upload_source){source_name, path};
    }
    uv_upload_group group = {
        .url = url,
        .script_path = script ? script->path : NULL,
        .script = script ? script_bytes->data : NULL,
        .script_len = script ? script_bytes->len : 0,
        .map_path = map_path,
        .map = map_bytes->data,
        .map_len = map_bytes->len,
        .debug_id = debug_id,
        .sources = sources,
        .source_count = source_count,
    };
    int rc = 0;
    if (o->remote && !o->dry_run)
        rc = send_group(c, &group);
    else if (!o->dry_run)
        rc = store_group(c, &group, &source_count);
    if (rc < 0) return rc;
    if (rc > 0) return 0; /* rejected: reported, nothing counted */
    c->sum->maps++;
    c->sum->embedded += embedded;
    c->sum->sources += source_count;
    if (debug_id[0]) c->sum->debug_ids++;
    return 0;
}

/* Finds the map of a script: its sourceMappingURL (file or data: URL), else NAME.map.
 * On success either *map_file is set (a file of the walk or elsewhere on disk) or *inline_json. */
static int locate_map(upload_ctx *c, const found_file *script, const uv_mapped *js, char **map_path,
                      uv_str *inline_json)
{
    *map_path = NULL;
    *inline_json = UV_STR_NULL;
    uv_str url;
    if (uv_sourcemap_find_url((const char *)js->data, js->len, &url) == 0) {
        if (uv_str_starts_with(url, "data:")) {
            int rc = uv_sourcemap_decode_data_url(url, c->arena, inline_json);
            if (rc != 0) {
                report(c, UV_UPLOAD_ERROR, script->path, "sourceMappingURL data: URL: %s",
                       uv_error_last()->message);
                return rc;
            }
            return 0;
        }
        size_t len = 0;
        while (len < url.len && url.ptr[len] != '?' && url.ptr[len] != '#')
            len++;
        char *rel = uv_arena_strndup(c->arena, url.ptr, len);
        if (!rel) return UV_ENOMEM;
        char *candidate = NULL;
        if (strstr(rel, "://")) {
            /* An absolute URL: the map is expected beside the script under the same name. */
            const char *base = strrchr(rel, '/');
            candidate = join_path(c->arena, dir_of(c->arena, script->path), base + 1);
        } else if (rel[0] == '/') {
            candidate = rel;
        } else {
            candidate = join_path(c->arena, dir_of(c->arena, script->path), rel);
        }
        if (!candidate) return UV_ENOMEM;
        normalize_path(candidate);
        if (file_exists(candidate)) {
            *map_path = candidate;
            return 0;
        }
        report(c, UV_UPLOAD_WARNING, script->path,
               "sourceMappingURL names %s, which does not exist; trying %s.map", candidate,
               script->path);
    }
    char *sibling = join_path(c->arena, "", script->path);
    size_t sl = sibling ? strlen(sibling) : 0;
    char *with_map = sibling ? uv_arena_alloc(c->arena, sl + 5) : NULL;
    if (!with_map) return UV_ENOMEM;
    memcpy(with_map, sibling, sl);
    memcpy(with_map + sl, ".map", 5);
    if (file_exists(with_map)) *map_path = with_map;
    return 0;
}

static int upload_script(upload_ctx *c, found_file *script)
{
    uv_mapped js;
    int rc = uv_file_map(script->path, MAX_FILE_BYTES, &js);
    if (rc != 0) {
        report(c, UV_UPLOAD_ERROR, script->path, "%s", uv_error_last()->message);
        return 0;
    }
    c->sum->files++;
    char *map_path = NULL;
    uv_str inline_json;
    rc = locate_map(c, script, &js, &map_path, &inline_json);
    if (rc != 0) {
        uv_mapped_release(&js);
        return rc == UV_ENOMEM ? rc : 0;
    }
    if (!map_path && !inline_json.ptr) {
        report(c, UV_UPLOAD_NOTE, script->path, "no source map (no sourceMappingURL, no %s.map)",
               script->rel);
        uv_mapped_release(&js);
        return 0;
    }
    uv_mapped map_bytes = {0};
    bool map_mapped = map_path != NULL;
    if (map_path) {
        found_file *walked = find_by_path(c, map_path);
        if (walked) walked->used = true;
        rc = uv_file_map(map_path, MAX_FILE_BYTES, &map_bytes);
        if (rc != 0) {
            report(c, UV_UPLOAD_ERROR, map_path, "%s", uv_error_last()->message);
            uv_mapped_release(&js);
            return 0;
        }
    } else {
        map_bytes.data = (const uint8_t *)inline_json.ptr;
        map_bytes.len = inline_json.len;
        map_path = script->path;
    }
    uv_sourcemap *map = NULL;
    rc = uv_sourcemap_parse(&map, (const char *)map_bytes.data, map_bytes.len);
    if (rc != 0) {
        report(c, UV_UPLOAD_ERROR, map_path, "invalid source map: %s", uv_error_last()->message);
        rc = 0;
    } else {
        uv_str js_debug;
        char debug_id[64] = "";
        if (uv_sourcemap_find_debug_id((const char *)js.data, js.len, &js_debug) == 0 &&
            js_debug.len < sizeof debug_id)
            snprintf(debug_id, sizeof debug_id, "%.*s", (int)js_debug.len, js_debug.ptr);
        char *url = url_for(c, script->rel);
        rc = url ? upload_group(c, url, script, &js, map_path, &map_bytes, map, debug_id)
                 : UV_ENOMEM;
    }
    if (rc == 0) uv_error_clear(); /* a failure that stops the upload keeps its message */
    uv_sourcemap_free(map);
    if (map_mapped) uv_mapped_release(&map_bytes);
    uv_mapped_release(&js);
    return rc;
}

/* A map that no script named: stored under its own URL, so a script stored later (or one
 * whose sourceMappingURL names it) still finds it. */
static int upload_orphan_map(upload_ctx *c, found_file *f)
{
    uv_mapped bytes;
    int rc = uv_file_map(f->path, MAX_FILE_BYTES, &bytes);
    if (rc != 0) {
        report(c, UV_UPLOAD_ERROR, f->path, "%s", uv_error_last()->message);
        return 0;
    }
    uv_sourcemap *map = NULL;
    rc = uv_sourcemap_parse(&map, (const char *)bytes.data, bytes.len);
    if (rc != 0) {
        report(c, UV_UPLOAD_ERROR, f->path, "invalid source map: %s", uv_error_last()->message);
        rc = 0;
    } else {
        report(c, UV_UPLOAD_NOTE, f->path, "no script names this map; stored under its own URL");
        char *url = url_for(c, f->rel);
        rc = url ? upload_group(c, url, NULL, NULL, f->path, &bytes, map, NULL) : UV_ENOMEM;
    }
    if (rc == 0) uv_error_clear(); /* a failure that stops the upload keeps its message */
    uv_sourcemap_free(map);
    uv_mapped_release(&bytes);
    return rc;
}

int uv_upload_sourcemaps(const uv_upload_sourcemaps_options *options, uv_upload_summary *out)
{
    memset(out, 0, sizeof *out);
    upload_ctx c = {options, out, NULL, NULL, 0, 0};
    int rc = uv_arena_new(&c.arena);
    if (rc != 0) return rc;
    for (size_t i = 0; rc == 0 && i < options->path_count; i++) {
        const char *path = options->paths[i];
        struct stat st;
        if (stat(path, &st) != 0) {
            rc = uv_error_set(errno == ENOENT ? UV_ENOTFOUND : UV_EIO, UV_LIB_OS, errno, "%s: %s",
                              path, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk(&c, path, "", 0);
        } else if (S_ISREG(st.st_mode) && (is_script(path) || is_map(path))) {
            const char *base = strrchr(path, '/');
            rc = add_file(&c, path, base ? base + 1 : path, is_map(path));
        } else {
            rc = uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                              "%s: not a directory, script (.js, .mjs, .cjs) or .map file", path);
        }
    }
    if (rc == 0) qsort(c.files, c.count, sizeof *c.files, cmp_files);
    for (size_t i = 0; rc == 0 && i < c.count; i++)
        if (!c.files[i].is_map) rc = upload_script(&c, &c.files[i]);
    for (size_t i = 0; rc == 0 && i < c.count; i++)
        if (c.files[i].is_map && !c.files[i].used) rc = upload_orphan_map(&c, &c.files[i]);
    free(c.files);
    uv_arena_free(c.arena);
    return rc;
}
