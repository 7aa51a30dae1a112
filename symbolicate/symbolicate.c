/* Symbolicating a whole trace: see symbolicate.h. */
#include "symbolicate/symbolicate.h"

#include "formats/error.h"
#include "symbolicate/report.h"

#include <stdlib.h>

uv_symbolicate_needs uv_symbolicate_needs_of(const uv_trace *trace)
{
    uv_symbolicate_needs needs = {false, false};
    for (size_t e = 0; e < trace->exception_count; e++)
        for (size_t i = 0; i < trace->exceptions[e].frame_count; i++) {
            if (uv_nativeresolve_is_native(trace, &trace->exceptions[e].frames[i]))
                needs.native = true;
            else
                needs.js = true;
        }
    /* A trace without native frames is read as JavaScript, even with messages only. */
    if (!needs.native && trace->kind != UV_TRACE_NATIVE) needs.js = true;
    return needs;
}

void uv_symbolicated_free(uv_symbolicated *result)
{
    if (!result) return;
    free(result->js);
    free(result->native);
    uv_arena_free(result->arena);
    if (!result->js_borrowed) uv_jsresolve_free(result->js_resolver);
    uv_nativeresolve_free(result->native_resolver);
    free(result);
}

static int new_resolvers(uv_symbolicated *r, const uv_trace *trace, const uv_symbolicate_options *o)
{
    uv_symbolicate_needs needs = uv_symbolicate_needs_of(trace);
    const char *version = o->version ? o->version : trace->version;
    int rc = 0;
    if (needs.js && o->js_resolver) {
        r->js_resolver = o->js_resolver;
        r->js_borrowed = true;
    } else if (needs.js) {
        uv_jsresolve_options jo = {
            .store = o->store,
            .project_id = o->project_id,
            .version = version,
            .sourcemap_paths = o->sourcemap_paths,
            .sourcemap_count = o->sourcemap_count,
            .context_lines = o->context_lines,
        };
        rc = uv_jsresolve_new(&r->js_resolver, &jo);
    }
    if (rc == 0 && needs.native) {
        uv_nativeresolve_options no = {
            .store = o->store,
            .project_id = o->project_id,
            .version = version,
            .modules = o->modules,
            .module_count = o->module_count,
            .no_demangle = o->no_demangle,
        };
        rc = uv_nativeresolve_new(&r->native_resolver, &no);
    }
    return rc;
}

int uv_symbolicate_trace(uv_symbolicated **out, const uv_trace *trace,
                         const uv_symbolicate_options *options)
{
    *out = NULL;
    uv_symbolicated *r = calloc(1, sizeof *r);
    size_t exceptions = trace->exception_count ? trace->exception_count : 1;
    if (!r) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    r->trace = trace;
    int rc = uv_arena_new(&r->arena);
    if (rc == 0) rc = new_resolvers(r, trace, options);
    if (rc == 0 && r->js_resolver && !(r->js = calloc(exceptions, sizeof *r->js))) rc = UV_ENOMEM;
    if (rc == 0 && r->native_resolver && !(r->native = calloc(exceptions, sizeof *r->native)))
        rc = UV_ENOMEM;
    for (size_t e = 0; rc == 0 && e < trace->exception_count; e++) {
        const uv_trace_exception *exc = &trace->exceptions[e];
        size_t n = exc->frame_count ? exc->frame_count : 1;
        if (r->js_resolver) {
            r->js[e] = uv_arena_calloc(r->arena, n, sizeof **r->js);
            rc = r->js[e] ? uv_jsresolve_exception(r->js_resolver, exc, r->arena, r->js[e])
                          : UV_ENOMEM;
        }
        if (rc == 0 && r->native_resolver) {
            r->native[e] = uv_arena_calloc(r->arena, n, sizeof **r->native);
            rc = r->native[e] ? uv_nativeresolve_exception(r->native_resolver, trace, exc, r->arena,
                                                           r->native[e])
                              : UV_ENOMEM;
        }
    }
    if (rc != 0) {
        if (rc == UV_ENOMEM && uv_error_last()->code != UV_ENOMEM)
            uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
        uv_symbolicated_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int uv_symbolicated_render_stored(const uv_symbolicated *result, uv_buf *out)
{
    return uv_report_resolution(out, result->trace, result->js, result->native);
}

int uv_symbolicated_render(const uv_symbolicated *result, bool json, uv_buf *out)
{
    return json ? uv_report_json_with_native(out, result->trace, result->js, result->native)
                : uv_report_text_with_native(out, result->trace, result->js, result->native);
}
