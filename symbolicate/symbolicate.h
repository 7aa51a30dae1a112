/* Symbolicating a whole trace: decides which resolvers its frames need (JavaScript through
 * source maps, native through debug files), runs them over every exception and renders the
 * result. The one entry point the CLI uses today and the service will use at ingest. */
#ifndef UV_SYMBOLICATE_H
#define UV_SYMBOLICATE_H

#include "formats/arena.h"
#include "formats/buf.h"
#include "formats/trace.h"
#include "store/store.h"
#include "symbolicate/jsresolve.h"
#include "symbolicate/nativeresolve.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    bool js;     /* some frame (or a message-only trace) is JavaScript */
    bool native; /* some frame is native */
} uv_symbolicate_needs;

/* What `trace` needs, so a caller knows whether a project/store is required before opening
 * one: JavaScript frames need a store and project (or explicit maps); native ones need
 * neither when their modules are on disk. */
uv_symbolicate_needs uv_symbolicate_needs_of(const uv_trace *trace);

typedef struct {
    uv_store *store;                    /* NULL: explicit maps only, native modules from disk */
    int64_t project_id;                 /* 0 with a store: any project (native by build-id) */
    const char *version;                /* NULL: the trace's own, else the newest upload */
    const char *const *sourcemap_paths; /* explicit maps (store NULL) */
    size_t sourcemap_count;
    const uv_native_module_arg *modules; /* `--module NAME=BUILDID@BASE` */
    size_t module_count;
    unsigned context_lines;
    bool no_demangle;
    /* Optional, borrowed: a resolver made for the same store, project and version (a service
     * keeps them across requests); used instead of a new one and not freed with the result,
     * which must be freed before it. */
    uv_jsresolver *js_resolver;
} uv_symbolicate_options;

/* The result: per exception e, js[e] (when JavaScript was resolved) and native[e] (when native
 * frames were) hold one entry per frame. Everything lives until uv_symbolicated_free, which
 * also frees the resolvers (their maps and modules back the strings). */
typedef struct uv_symbolicated {
    const uv_trace *trace;
    uv_resolved_frame **js;
    uv_native_resolved **native;
    uv_arena *arena;
    uv_jsresolver *js_resolver;
    uv_nativeresolver *native_resolver;
    bool js_borrowed; /* js_resolver came from the options */
} uv_symbolicated;

/* Resolves every frame of `trace` (which must outlive the result). Problems with single
 * frames are reported through their statuses; the return value is non-zero for invalid
 * explicit maps, out of memory and store failures. */
int uv_symbolicate_trace(uv_symbolicated **out, const uv_trace *trace,
                         const uv_symbolicate_options *options);

/* Appends the text or JSON rendering (see report.h). */
int uv_symbolicated_render(const uv_symbolicated *result, bool json, uv_buf *out);
/* What the service stores: the results only (report.h, uv_report_resolution). */
int uv_symbolicated_render_stored(const uv_symbolicated *result, uv_buf *out);

void uv_symbolicated_free(uv_symbolicated *result); /* accepts NULL */

#endif
