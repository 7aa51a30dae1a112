/* The build side of JavaScript symbolication: walk a build output, pair each minified script
 * (.js/.mjs/.cjs) with its source map (its sourceMappingURL — a file or a data: URL — else a
 * sibling NAME.map), validate the map, and store, for (project, version):
 *   kind "minified"  key URL            the minified file (debug ID from `//# debugId=` or its map)
 *   kind "sourcemap" key URL            the map, under the URL of the script it belongs to
 *   kind "sourcemap" key URL-of-map     a map no script names, under its own URL
 *   kind "source"    key URL "\n" SRC   an original source the map names but does not embed,
 *                                       found on disk relative to the map
 *                                       (else to the current directory, as terser writes them)
 * where URL = PREFIX + the file's path relative to the directory given (PREFIX defaults to "~/",
 * any scheme and host). Each script's artifacts are replaced in one transaction.
 *
 * With `remote` set, nothing is stored locally: the same pairing makes one group per map (its
 * script, the map, the sources read from disk) and each group is sent to the service
 * (upload/remote.h: POST /api/1/sourcemap with minified_url = URL). */
#ifndef UV_UPLOAD_SOURCEMAPS_H
#define UV_UPLOAD_SOURCEMAPS_H

#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    UV_UPLOAD_NOTE,    /* informational: e.g. a script without a map */
    UV_UPLOAD_WARNING, /* stored, but something is missing (e.g. a source not found) */
    UV_UPLOAD_ERROR,   /* not stored: invalid map, unreadable file */
} uv_upload_severity;

/* Called for every problem found; `path` is the file concerned. */
typedef void (*uv_upload_report_fn)(void *ctx, uv_upload_severity severity, const char *path,
                                    const char *message);

/* An original source found on disk for a map that does not embed it. */
typedef struct {
    const char *name; /* as the map's `sources` names it */
    const char *path; /* on disk */
} uv_upload_source;

/* One unit of upload: a map, the script it belongs to (if any) and its sources from disk.
 * Everything is borrowed for the duration of the call that receives it. */
typedef struct {
    const char *url;         /* the script's URL (or the map's own, for a map no script names) */
    const char *script_path; /* NULL for a map no script names */
    const uint8_t *script;
    size_t script_len;
    const char *map_path; /* the map's file, or the script's for an inline data: URL map */
    const uint8_t *map;
    size_t map_len;
    const char *debug_id; /* "" when neither the script nor the map has one */
    const uv_upload_source *sources;
    size_t source_count;
} uv_upload_group;

typedef struct uv_remote uv_remote;

typedef struct {
    const char *const *paths; /* directories or files */
    size_t path_count;
    const char *url_prefix; /* NULL = "~/" */
    bool dry_run;           /* validate and report only; `store` may be NULL */
    uv_store *store;
    int64_t project_id;
    const char *version;
    uv_upload_report_fn report;
    void *report_ctx;
    uv_remote *remote; /* send each group there instead of storing it (store may be NULL) */
} uv_upload_sourcemaps_options;

typedef struct {
    size_t files;     /* scripts found */
    size_t maps;      /* valid maps stored (or that would be, in a dry run) */
    size_t sources;   /* original sources stored from disk */
    size_t embedded;  /* sources carried in sourcesContent */
    size_t debug_ids; /* scripts or maps carrying a debug ID */
    size_t warnings;
    size_t errors;
    size_t bytes; /* bytes stored */
} uv_upload_summary;

/* Runs the upload. Returns 0 when every file was handled (problems are counted in the summary
 * and reported through the callback; errors > 0 means some artifacts were not stored — with a
 * remote, that includes groups the server rejected with 400/413/422), or a negative code for
 * failures that stop the whole upload (store I/O; with a remote: no connection, a refused
 * token, server errors after the retries). */
int uv_upload_sourcemaps(const uv_upload_sourcemaps_options *options, uv_upload_summary *out);

#endif
