/* Stack traces as they arrive: a Rollbar item payload, a Raygun entry, or plain text from
 * V8/Node (`    at fn (url:line:col)`, `    at url:line:col`, `    at async fn (…)`,
 * `    at new C (…)`, `    at C.m [as alias] (…)`) and Firefox/Safari (`fn@url:line:col`,
 * `@url:line:col`). One model for all three, frames innermost first.
 *
 * Column conventions, as each source prints them (documented in docs/trace-formats.md):
 *   V8 text, Firefox/Safari text: 1-based line, 1-based column.
 *   Rollbar `lineno`/`colno`: 1-based line, 1-based column (rollbar.js copies V8's numbers),
 *     except from rollbar.js's Node notifier (`data.notifier.name` "node_rollbar"), whose
 *     colno is V8's column minus one, i.e. 0-based.
 *   Raygun `lineNumber`/`columnNumber`: 1-based line, 1-based column; raygun4node sends none.
 * The model stores 0-based line and column (source-map units) plus has_line/has_column. */
#ifndef UV_TRACE_H
#define UV_TRACE_H

#include "formats/str.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    UV_TRACE_TEXT,
    UV_TRACE_ROLLBAR,
    UV_TRACE_RAYGUN,
} uv_trace_kind;

typedef struct {
    const char *function; /* as given; "" when none. NUL-terminated, owned by the trace */
    const char *url;      /* url or path as given; "" when none */
    uint32_t line;        /* 0-based; valid when has_line */
    uint32_t column;      /* 0-based; valid when has_column */
    bool has_line, has_column;
    bool is_native;   /* `native`, `<anonymous>` or another frame without a location */
    void *json;       /* borrowed json_t * of this frame's object in the payload, or NULL */
    size_t text_line; /* for text input: 0-based index of the input line holding it */
} uv_trace_frame;

typedef struct {
    const char *exception_class; /* "" when unknown */
    const char *message;         /* "" when unknown */
    uv_trace_frame *frames;      /* innermost (throwing) frame first */
    size_t frame_count;
    void *json;       /* borrowed json_t * of this trace's object, or NULL */
    size_t text_line; /* text input: index of the line with the error message */
} uv_trace_exception;

typedef struct uv_trace {
    uv_trace_kind kind;
    const char *version;            /* code version from the payload, or NULL */
    const char *platform;           /* e.g. "browser", "node", or NULL */
    uv_trace_exception *exceptions; /* in chain order: the outermost error first */
    size_t exception_count;
    void *json_root; /* owned json_t * of the whole payload (NULL for text) */
    /* For text input: the input split in lines so output can keep non-frame lines. */
    const char **text_lines;
    size_t text_line_count;
} uv_trace;

/* Detects the kind and parses. JSON input must be an object: Rollbar when it has
 * `data.body.trace` or `data.body.trace_chain` (or `data.body.message` with no trace),
 * Raygun when it has `details` (keys matched case-insensitively); anything else that starts
 * with `{` is UV_EINVALID naming what was missing. Otherwise the input is read as text and
 * must hold at least one frame line. Input ceiling: 64 MiB. Free with uv_trace_free. */
int uv_trace_parse(uv_trace **out, const char *buf, size_t len);

/* Parses one line of text; 0 and a frame when it is a V8 or Firefox/Safari frame line,
 * UV_ENOTFOUND otherwise. Views in `out` borrow `line` (NUL-termination not required:
 * function and url are copied into `scratch` of `scratch_len` bytes, NUL-terminated). */
int uv_trace_parse_frame_line(const char *line, size_t len, uv_trace_frame *out, char *scratch,
                              size_t scratch_len);

void uv_trace_free(uv_trace *trace); /* accepts NULL */

#endif
