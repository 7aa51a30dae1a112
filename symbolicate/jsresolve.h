/* JavaScript frame resolution: picks the source map for each minified frame (by debug ID, by
 * (project, version, normalised URL), or through the stored minified file's sourceMappingURL),
 * maps the position back, recovers the original name of the enclosing function and cuts source
 * context. Maps and scope tables are loaded once per resolver and come from the store's cache
 * when present (decoded maps are persisted there on first use). */
#ifndef UV_JSRESOLVE_H
#define UV_JSRESOLVE_H

#include "formats/arena.h"
#include "formats/trace.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    UV_FRAME_SYMBOLICATED,
    UV_FRAME_MISSING_SOURCEMAP, /* no map for the frame's file (or the frame has no file) */
    UV_FRAME_NO_MAPPING,        /* a map, but no mapping at that position */
    UV_FRAME_MALFORMED,         /* the map (or the stored minified file) could not be read */
} uv_frame_status;

const char *uv_frame_status_name(uv_frame_status status);

/* How a frame's function name was found (reported in JSON as `function_source`). */
typedef enum {
    UV_NAME_NONE,
    UV_NAME_ORIGINAL_SCOPE, /* enclosing function in the original source (sourcesContent) */
    UV_NAME_MINIFIED_SCOPE, /* enclosing minified scope's name token mapped through names */
    UV_NAME_CALL_SITE,      /* callee name at the caller frame's call site */
    UV_NAME_TOKEN,          /* the names entry at the frame's own position */
    UV_NAME_FRAME,          /* the frame's own (minified) method name, kept as given */
} uv_name_origin;

const char *uv_name_origin_name(uv_name_origin origin);

typedef struct {
    uv_frame_status status;
    const char *function; /* original enclosing function name, NULL when unknown */
    uv_name_origin function_origin;
    const char *source;    /* original source (sourceRoot joined), NULL unless resolved */
    uint32_t line, column; /* original position, 0-based */
    const char *name;      /* `names` entry of the mapping, NULL when none */
    bool approximate;      /* the frame had no column: first mapping of the line was used */
    bool in_ignore_list;   /* the source is in the map's ignoreList */
    const char *artifact;  /* key of the map used (e.g. "~/static/app.min.js"), or NULL */
    const char *detail;    /* for missing/malformed: what was looked for or what failed */
    /* Source context (when requested and the source text is known). */
    const char **pre_context;
    size_t pre_count;
    const char *context_line; /* NULL when no source text */
    const char **post_context;
    size_t post_count;
} uv_resolved_frame;

typedef struct {
    /* Store mode: artifacts of `project_id` (and `version` when not NULL) in `store`. */
    uv_store *store;
    int64_t project_id;
    const char *version;
    /* Explicit mode (store NULL): map files given by the user, matched to frames by the
     * basename of the map's `file` field or of the map path without `.map`. */
    const char *const *sourcemap_paths;
    size_t sourcemap_count;
    unsigned context_lines; /* lines of source context on each side; 0 for none */
} uv_jsresolve_options;

typedef struct uv_jsresolver uv_jsresolver;

/* Creates a resolver. In explicit mode the maps are read and validated here: an unreadable or
 * invalid map is an error naming the file. Free with uv_jsresolve_free. */
int uv_jsresolve_new(uv_jsresolver **out, const uv_jsresolve_options *options);
void uv_jsresolve_free(uv_jsresolver *resolver); /* accepts NULL */

/* Bytes the resolver holds beyond its mapped files (URL entries, strings, decoded tables):
 * long-lived resolvers (the service keeps them across requests) are dropped past a bound. */
size_t uv_jsresolve_footprint(const uv_jsresolver *resolver);

/* Resolves every frame of `exception` (innermost first) into `out[0..frame_count)`. Strings in
 * the results are allocated in `arena` or borrowed from the resolver (live until it is freed).
 * Problems with single frames are reported through their status, not as errors; the return
 * value is non-zero only for out-of-memory or store failures. */
int uv_jsresolve_exception(uv_jsresolver *resolver, const uv_trace_exception *exception,
                           uv_arena *arena, uv_resolved_frame *out);

/* Normalises a frame URL for matching: drops query and fragment, turns file:// URLs into paths.
 * Exposed for tests. Result allocated in arena. */
char *uv_jsresolve_normalize_url(uv_arena *arena, const char *url);

/* Whether stored key `key` (e.g. "~/static/app.js", "https://cdn.example/app.js",
 * "app:///dist/app.js") matches the normalised frame URL. Returns a score: 0 no match;
 * higher is better (exact URL > `~/` host-agnostic path > longest path-suffix on a segment
 * boundary, whose score grows with the suffix length). Exposed for tests. */
unsigned uv_jsresolve_match_score(const char *key, const char *url);

#endif
