/* Rendering a symbolicated trace for people (text) and programs (JSON).
 *
 * Text: plain-text input is echoed line by line with each frame line rewritten V8-style,
 * `    at FUNCTION (SOURCE:LINE:COLUMN)` (line and column 1-based, as V8 prints them), followed by
 * source context when requested; payload input (Rollbar, Raygun) prints `Class: message` and
 * the frames innermost first.
 * JSON: payload input is the payload's own text with a `resolved` object spliced into each
 * frame object as its last member (then indented);
 * text input becomes {"kind":"text","exceptions":[{"class","message","frames":[…]}]}.
 * `resolved` = {status, function, function_source, source, line (1-based), column (1-based),
 * name, approximate, in_ignore_list, sourcemap, detail?, context?}. See docs/symbolicate.md.
 *
 * Native frames (symbolicate/nativeresolve.h) print gdb/eu-stack style, one line per inline
 * level: `#N  0xADDRESS in FUNCTION at FILE:LINE:COLUMN (MODULE+0xOFFSET)`, inlined levels
 * marked ` (inlined)`, unresolved ones `in ?? (MODULE+0xOFFSET) [status: detail]`; in JSON
 * their `resolved` is {status, module, build_id, debug_file, module_offset, file_address,
 * adjusted, frames:[{function, raw_function, file, line, column, inlined}], detail?}.
 * See docs/native-frames.md. */
#ifndef UV_REPORT_H
#define UV_REPORT_H

#include "formats/buf.h"
#include "formats/trace.h"
#include "symbolicate/jsresolve.h"
#include "symbolicate/nativeresolve.h"

#include <stdbool.h>

/* `frames[e]` holds the resolved frames of trace->exceptions[e]. Appends to `out`. */
int uv_report_text(uv_buf *out, const uv_trace *trace, uv_resolved_frame *const *frames);
int uv_report_json(uv_buf *out, const uv_trace *trace, uv_resolved_frame *const *frames);

/* The same with native frames: `native[e]` holds the native results of exception e (frames
 * for which uv_nativeresolve_is_native is true use them); `frames` may be NULL when no frame
 * is a JavaScript one, `native` NULL when none is native (then these equal the above). */
int uv_report_text_with_native(uv_buf *out, const uv_trace *trace, uv_resolved_frame *const *frames,
                               uv_native_resolved *const *native);
int uv_report_json_with_native(uv_buf *out, const uv_trace *trace, uv_resolved_frame *const *frames,
                               uv_native_resolved *const *native);

/* What the service stores per occurrence: only the results, not a second copy of the payload,
 * compactly — {"unravel_resolution":2,"strings":[…],"exceptions":[[F, …], …]} with F the
 * result of frame i of exception e (report.c describes the encoding), written directly. */
#define UV_REPORT_RESOLUTION_KEY "unravel_resolution"
int uv_report_resolution(uv_buf *out, const uv_trace *trace, uv_resolved_frame *const *frames,
                         uv_native_resolved *const *native);
/* Whether stored text is such a resolution (older stores hold the whole rendered payload). */
bool uv_report_is_resolution(const char *text);
/* The stored payload `raw` with each frame's R from `resolution` added as its `resolved`
 * member: the same text uv_report_json_with_native gave at ingest, compact. The payload is
 * parsed again (formats/trace.h) to find its frames; UV_EINVALID when either text is not what
 * the service stores. */
int uv_report_merge_stored(uv_buf *out, const char *raw, size_t raw_len, const char *resolution,
                           size_t resolution_len);

#endif
