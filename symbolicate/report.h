/* Rendering a symbolicated trace for people (text) and programs (JSON).
 *
 * Text: plain-text input is echoed line by line with each frame line rewritten V8-style,
 * `    at FUNCTION (SOURCE:LINE:COLUMN)` (line and column 1-based, as V8 prints them), followed by
 * source context when requested; payload input (Rollbar, Raygun) prints `Class: message` and
 * the frames innermost first.
 * JSON: payload input is the payload itself with a `resolved` object added to each frame;
 * text input becomes {"kind":"text","exceptions":[{"class","message","frames":[…]}]}.
 * `resolved` = {status, function, function_source, source, line (1-based), column (1-based),
 * name, approximate, in_ignore_list, sourcemap, detail?, context?}. See docs/symbolicate.md. */
#ifndef UV_REPORT_H
#define UV_REPORT_H

#include "formats/buf.h"
#include "formats/trace.h"
#include "symbolicate/jsresolve.h"

#include <stdbool.h>

/* `frames[e]` holds the resolved frames of trace->exceptions[e]. Appends to `out`. */
int uv_report_text(uv_buf *out, const uv_trace *trace, uv_resolved_frame *const *frames);
int uv_report_json(uv_buf *out, const uv_trace *trace, uv_resolved_frame *const *frames);

#endif
