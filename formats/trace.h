/* Stack traces as they arrive: a Rollbar item payload, a Raygun entry, or plain text from
 * V8/Node (`    at fn (url:line:col)`, `    at url:line:col`, `    at async fn (…)`,
 * `    at new C (…)`, `    at C.m [as alias] (…)`) and Firefox/Safari (`fn@url:line:col`,
 * `@url:line:col`). One model for all three, frames innermost first.
 *
 * Native frames: glibc backtrace_symbols() lines (`/bin/app(func+0x1a) [0x55…]`,
 * `/lib/x.so(+0x1234)[0x7f…]`, `[0x7f…]`), gdb `bt` lines (`#3  0x… in main () from /lib/x.so`)
 * and JSON payloads shaped like Sentry Symbolicator's /symbolicate request (`modules` +
 * `stacktraces`) or a Sentry event (`exception.values[].stacktrace` + `debug_meta.images`)
 * (kind UV_TRACE_NATIVE). Such frames carry an absolute instruction address and the module as
 * given; docs/native-frames.md documents the shapes.
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
    UV_TRACE_NATIVE, /* Symbolicator request or Sentry event with native frames */
} uv_trace_kind;

/* Whether a native frame's address is a return address to step back from before lookup. */
typedef enum {
    UV_TRACE_ADJUST_AUTO = 0, /* frame 0 as is, callers minus one (the default) */
    UV_TRACE_ADJUST_YES,      /* payload `adjust_instruction_addr: true` */
    UV_TRACE_ADJUST_NO,       /* payload `adjust_instruction_addr: false` */
} uv_trace_adjust;

typedef struct {
    const char *function; /* as given; "" when none. NUL-terminated, owned by the trace */
    const char *url;      /* url or path as given; "" when none */
    uint32_t line;        /* 0-based; valid when has_line */
    uint32_t column;      /* 0-based; valid when has_column */
    bool has_line, has_column;
    bool is_native;           /* `native`, `<anonymous>` or another frame without a location */
    const struct uv_jv *json; /* this frame's object in the payload's tree, or NULL */
    size_t text_line;         /* for text input: 0-based index of the input line holding it */
    /* Native frames (zero / "" for JavaScript ones). */
    bool has_address;
    uint64_t address;   /* absolute instruction address, as printed or sent */
    const char *module; /* module path or name as given ("" when none); = url for text */
    bool has_module_offset;
    uint64_t module_offset; /* glibc `(+0x…)`: the address minus the module's load bias */
    const char *symbol;     /* glibc `(func+0x1a)`: func ("" when none); = function for text */
    int64_t symbol_offset;  /* its offset (negative for `func-0x10`) */
    uv_trace_adjust adjust; /* payload adjust_instruction_addr */
} uv_trace_frame;

/* A module (debug image) listed by a native payload. */
typedef struct {
    const char *type;       /* "elf", "macho", "pe" … as given, "" when absent */
    const char *code_file;  /* path of the loaded file, "" when absent */
    const char *debug_file; /* "" when absent */
    const char *build_id;   /* lowercase hex of `code_id` (else our `build_id`), "" when none */
    const char *debug_id;   /* as given, "" when absent */
    uint64_t image_addr;    /* load address of the image (its first mapping) */
    uint64_t image_size;    /* valid when has_image_size */
    bool has_image_size;
    const struct uv_jv *json; /* the module object in the payload's tree */
} uv_trace_module;

typedef struct {
    const char *exception_class; /* "" when unknown */
    const char *message;         /* "" when unknown */
    uv_trace_frame *frames;      /* innermost (throwing) frame first */
    size_t frame_count;
    const struct uv_jv *json; /* this trace's object in the payload's tree, or NULL */
    size_t text_line;         /* text input: index of the line with the error message */
} uv_trace_exception;

typedef struct uv_trace {
    uv_trace_kind kind;
    const char *version;            /* code version from the payload, or NULL */
    const char *platform;           /* e.g. "browser", "node", or NULL */
    uv_trace_exception *exceptions; /* in chain order: the outermost error first */
    size_t exception_count;
    /* The payload's tree (NULL for text): owned when uv_trace_parse parsed it, borrowed from
     * the caller of uv_trace_parse_jv. */
    const struct uv_jv_doc *json_doc;
    /* For text input: the input split in lines so output can keep non-frame lines. */
    const char **text_lines;
    size_t text_line_count;
    /* Native payloads: the modules (debug images) listed, in payload order. */
    uv_trace_module *modules;
    size_t module_count;
    int64_t signal; /* `signal` of a Symbolicator request; valid when has_signal */
    bool has_signal;
} uv_trace;

/* Detects the kind and parses. JSON input must be an object: Rollbar when it has
 * `data.body.trace` or `data.body.trace_chain` (or `data.body.message` with no trace),
 * Raygun when it has `details` (keys matched case-insensitively), native (Symbolicator)
 * when it has `stacktraces`, `threads` or `modules`, native (Sentry event) when it has
 * `exception` or `debug_meta`; anything else that starts with `{` is UV_EINVALID naming what
 * was missing. Otherwise the input is read as text and must hold at least one frame line.
 * Input ceiling: 64 MiB. Free with uv_trace_free. */
int uv_trace_parse(uv_trace **out, const char *buf, size_t len);
/* The same for a JSON payload already parsed (the service's request body, see formats/jv.h):
 * the trace borrows `doc` (which it does not modify; it must outlive the trace) and points
 * into its tree. */
struct uv_jv_doc;
int uv_trace_parse_jv(uv_trace **out, const struct uv_jv_doc *doc);

/* Parses one line of text; 0 and a frame when it is a V8, Firefox/Safari, glibc
 * backtrace_symbols or gdb frame line, UV_ENOTFOUND otherwise. `line` need not be
 * NUL-terminated: function and url are copied into `scratch` of `scratch_len` bytes,
 * NUL-terminated (native frames: `module` is `url` and `symbol` is `function` or ""). */
int uv_trace_parse_frame_line(const char *line, size_t len, uv_trace_frame *out, char *scratch,
                              size_t scratch_len);

void uv_trace_free(uv_trace *trace); /* accepts NULL */

#endif
