/* Text and JSON renderings of a symbolicated trace (see report.h). */
#include "symbolicate/report.h"

#include "formats/error.h"
#include "formats/jv.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- resolved objects, written straight to text ---------------------------------------- */

/* A string value (null for NULL). Text that is not valid UTF-8 (a symbol name from a binary)
 * is written with '?' for every byte ≥ 0x80 rather than dropped. */
static int put_text(uv_buf *out, const char *s)
{
    if (!s) return uv_buf_append(out, "null", 4);
    size_t n = strlen(s);
    if (uv_jv_utf8_valid(s, n)) return uv_jv_write_string(out, s, n);
    char *copy = malloc(n + 1);
    if (!copy) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    for (size_t i = 0; i <= n; i++)
        copy[i] = (s[i] & 0x80) ? '?' : s[i];
    int rc = uv_jv_write_string(out, copy, n);
    free(copy);
    return rc;
}

/* `"key":` — keys are ASCII literals here. */
static int put_key(uv_buf *out, const char *key, bool first)
{
    int rc = first ? 0 : uv_buf_append(out, ",", 1);
    if (rc == 0) rc = uv_buf_append(out, "\"", 1);
    if (rc == 0) rc = uv_buf_append_str(out, key);
    if (rc == 0) rc = uv_buf_append(out, "\":", 2);
    return rc;
}

static int put_uint(uv_buf *out, uint64_t v)
{
    char text[20];
    return uv_buf_append(out, text, uv_format_u64(text, v));
}

static int put_hex(uv_buf *out, bool present, uint64_t v)
{
    if (!present) return uv_buf_append(out, "null", 4);
    char text[24];
    int n = snprintf(text, sizeof text, "\"0x%" PRIx64 "\"", v);
    return uv_buf_append(out, text, (size_t)n);
}

static int put_bool(uv_buf *out, bool v)
{
    return v ? uv_buf_append(out, "true", 4) : uv_buf_append(out, "false", 5);
}

static int put_lines(uv_buf *out, const char *const *lines, size_t count)
{
    int rc = uv_buf_append(out, "[", 1);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        if (i) rc = uv_buf_append(out, ",", 1);
        if (rc == 0) rc = put_text(out, lines[i]);
    }
    return rc == 0 ? uv_buf_append(out, "]", 1) : rc;
}

/* A JavaScript frame's `resolved`: {status, function, function_source, source, line, column,
 * name, approximate, in_ignore_list, sourcemap, detail?, context?}. */
static int put_resolved(uv_buf *out, const uv_resolved_frame *f)
{
    int rc = uv_buf_append(out, "{", 1);
    if (rc == 0) rc = put_key(out, "status", true);
    if (rc == 0) rc = put_text(out, uv_frame_status_name(f->status));
    if (rc == 0 && f->status == UV_FRAME_SYMBOLICATED) {
        rc = put_key(out, "function", false);
        if (rc == 0) rc = put_text(out, f->function);
        if (rc == 0) rc = put_key(out, "function_source", false);
        if (rc == 0) rc = put_text(out, uv_name_origin_name(f->function_origin));
        if (rc == 0) rc = put_key(out, "source", false);
        if (rc == 0) rc = put_text(out, f->source);
        if (rc == 0) rc = put_key(out, "line", false);
        if (rc == 0) rc = put_uint(out, (uint64_t)f->line + 1);
        if (rc == 0) rc = put_key(out, "column", false);
        if (rc == 0) rc = put_uint(out, (uint64_t)f->column + 1);
        if (rc == 0) rc = put_key(out, "name", false);
        if (rc == 0) rc = put_text(out, f->name);
        if (rc == 0) rc = put_key(out, "approximate", false);
        if (rc == 0) rc = put_bool(out, f->approximate);
        if (rc == 0) rc = put_key(out, "in_ignore_list", false);
        if (rc == 0) rc = put_bool(out, f->in_ignore_list);
    }
    if (rc == 0) rc = put_key(out, "sourcemap", false);
    if (rc == 0) rc = put_text(out, f->artifact);
    if (rc == 0 && f->detail) {
        rc = put_key(out, "detail", false);
        if (rc == 0) rc = put_text(out, f->detail);
    }
    if (rc == 0 && f->context_line) {
        rc = put_key(out, "context", false);
        if (rc == 0) rc = uv_buf_append(out, "{", 1);
        if (rc == 0) rc = put_key(out, "pre_context", true);
        if (rc == 0) rc = put_lines(out, f->pre_context, f->pre_count);
        if (rc == 0) rc = put_key(out, "context_line", false);
        if (rc == 0) rc = put_text(out, f->context_line);
        if (rc == 0) rc = put_key(out, "post_context", false);
        if (rc == 0) rc = put_lines(out, f->post_context, f->post_count);
        if (rc == 0) rc = uv_buf_append(out, "}", 1);
    }
    return rc == 0 ? uv_buf_append(out, "}", 1) : rc;
}

/* A native frame's `resolved`: {status, module, build_id, debug_file, module_offset,
 * file_address, adjusted, frames:[{function, raw_function, file, line, column, inlined,
 * symbol_table_only}], detail?}. */
static int put_native_resolved(uv_buf *out, const uv_native_resolved *r)
{
    int rc = uv_buf_append(out, "{", 1);
    if (rc == 0) rc = put_key(out, "status", true);
    if (rc == 0) rc = put_text(out, uv_native_status_name(r->status));
    if (rc == 0) rc = put_key(out, "module", false);
    if (rc == 0) rc = put_text(out, r->module);
    if (rc == 0) rc = put_key(out, "build_id", false);
    if (rc == 0) rc = put_text(out, r->build_id);
    if (rc == 0) rc = put_key(out, "debug_file", false);
    if (rc == 0) rc = put_text(out, r->debug_file);
    if (rc == 0) rc = put_key(out, "module_offset", false);
    if (rc == 0) rc = put_hex(out, r->has_module_offset, r->module_offset);
    if (rc == 0) rc = put_key(out, "file_address", false);
    if (rc == 0) rc = put_hex(out, r->has_file_address, r->file_address);
    if (rc == 0) rc = put_key(out, "adjusted", false);
    if (rc == 0) rc = put_bool(out, r->adjusted);
    if (rc == 0) rc = put_key(out, "frames", false);
    if (rc == 0) rc = uv_buf_append(out, "[", 1);
    for (size_t i = 0; rc == 0 && i < r->frame_count; i++) {
        const uv_native_location *l = &r->frames[i];
        rc = uv_buf_append(out, i ? ",{" : "{", i ? 2 : 1);
        if (rc == 0) rc = put_key(out, "function", true);
        if (rc == 0) rc = put_text(out, l->function);
        if (rc == 0) rc = put_key(out, "raw_function", false);
        if (rc == 0) rc = put_text(out, l->raw_function);
        if (rc == 0) rc = put_key(out, "file", false);
        if (rc == 0) rc = put_text(out, l->file);
        if (rc == 0) rc = put_key(out, "line", false);
        if (rc == 0) rc = l->line ? put_uint(out, l->line) : uv_buf_append(out, "null", 4);
        if (rc == 0) rc = put_key(out, "column", false);
        if (rc == 0) rc = l->column ? put_uint(out, l->column) : uv_buf_append(out, "null", 4);
        if (rc == 0) rc = put_key(out, "inlined", false);
        if (rc == 0) rc = put_bool(out, l->inlined);
        if (rc == 0) rc = put_key(out, "symbol_table_only", false);
        if (rc == 0) rc = put_bool(out, l->from_symbol_table);
        if (rc == 0) rc = uv_buf_append(out, "}", 1);
    }
    if (rc == 0) rc = uv_buf_append(out, "]", 1);
    if (rc == 0 && r->detail) {
        rc = put_key(out, "detail", false);
        if (rc == 0) rc = put_text(out, r->detail);
    }
    return rc == 0 ? uv_buf_append(out, "}", 1) : rc;
}

static bool use_native(const uv_trace *trace, uv_native_resolved *const *native,
                       const uv_trace_frame *f)
{
    return native && uv_nativeresolve_is_native(trace, f);
}

/* The `resolved` object of frame i of exception e; *none when the frame has neither (a
 * JavaScript frame of a trace resolved without JavaScript results). */
static int put_frame_resolved(uv_buf *out, const uv_trace *trace, uv_resolved_frame *const *frames,
                              uv_native_resolved *const *native, size_t e, size_t i, bool *none)
{
    *none = false;
    const uv_trace_frame *f = &trace->exceptions[e].frames[i];
    if (use_native(trace, native, f)) return put_native_resolved(out, &native[e][i]);
    if (frames) return put_resolved(out, &frames[e][i]);
    *none = true;
    return 0;
}

/* ---- splicing `resolved` into the payload's own text -------------------------------------- */

typedef struct {
    size_t at;         /* offset of the frame object's closing brace in the payload text */
    bool comma;        /* the object has members: ",\"resolved\":" */
    size_t start, end; /* the object's text in the pieces buffer */
} insertion;

static int by_offset(const void *a, const void *b)
{
    const insertion *x = a, *y = b;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* Appends the payload text with each frame's piece added as its last member `resolved`.
 * piece(e, i) writes the piece into `pieces` (or sets *none). */
typedef int (*piece_fn)(void *ctx, uv_buf *pieces, size_t e, size_t i, bool *none);

static int splice(uv_buf *out, const uv_trace *trace, piece_fn piece, void *ctx)
{
    const uv_jv_doc *doc = trace->json_doc;
    if (!doc || doc->modified || !doc->root)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                            "report: the payload tree has no text to add results to");
    size_t count = 0;
    for (size_t e = 0; e < trace->exception_count; e++)
        count += trace->exceptions[e].frame_count;
    insertion *ins = count ? calloc(count, sizeof *ins) : NULL;
    if (count && !ins) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    uv_buf pieces = UV_BUF_INIT;
    size_t n = 0;
    int rc = 0;
    for (size_t e = 0; rc == 0 && e < trace->exception_count; e++) {
        const uv_trace_exception *exc = &trace->exceptions[e];
        for (size_t i = 0; rc == 0 && i < exc->frame_count; i++) {
            const uv_jv *frame = exc->frames[i].json;
            if (!uv_jv_is(frame, UV_JV_OBJECT) || frame->end <= frame->start) continue;
            size_t start = pieces.len;
            bool none = false;
            rc = piece(ctx, &pieces, e, i, &none);
            if (rc || none) continue;
            ins[n++] = (insertion){frame->end - 1, frame->first != NULL, start, pieces.len};
        }
    }
    if (rc == 0 && n > 1) qsort(ins, n, sizeof *ins, by_offset);
    size_t from = doc->root->start;
    for (size_t k = 0; rc == 0 && k < n; k++) {
        if (k > 0 && ins[k].at == ins[k - 1].at) continue; /* one frame object, listed twice */
        rc = uv_buf_append(out, doc->text + from, ins[k].at - from);
        if (rc == 0) rc = uv_buf_append_str(out, ins[k].comma ? ",\"resolved\":" : "\"resolved\":");
        if (rc == 0) rc = uv_buf_append(out, pieces.data + ins[k].start, ins[k].end - ins[k].start);
        from = ins[k].at;
    }
    if (rc == 0) rc = uv_buf_append(out, doc->text + from, doc->root->end - from);
    uv_buf_free(&pieces);
    free(ins);
    return rc;
}

typedef struct {
    const uv_trace *trace;
    uv_resolved_frame *const *frames;
    uv_native_resolved *const *native;
} render_ctx;

static int render_piece(void *ctx, uv_buf *pieces, size_t e, size_t i, bool *none)
{
    const render_ctx *c = ctx;
    return put_frame_resolved(pieces, c->trace, c->frames, c->native, e, i, none);
}

/* Compact text to indented (the CLI's output). */
static int indent_json(uv_buf *out, const uv_buf *compact)
{
    json_error_t error;
    json_t *root = json_loadb((const char *)compact->data, compact->len, 0, &error);
    if (!root)
        return uv_error_set(UV_EINVALID, UV_LIB_JSON, 0, "report: rendered JSON unreadable: %s",
                            error.text);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!text) return uv_error_set(UV_ENOMEM, UV_LIB_JSON, 0, "cannot render JSON output");
    int rc = uv_buf_append_str(out, text);
    if (rc == 0) rc = uv_buf_append(out, "\n", 1);
    free(text);
    return rc;
}

int uv_report_json(uv_buf *out, const uv_trace *trace, uv_resolved_frame *const *frames)
{
    return uv_report_json_with_native(out, trace, frames, NULL);
}

/* Text input: {"kind":"text","version":…,"exceptions":[{"class","message","frames":[…]}]}. */
static int text_kind_json(uv_buf *out, const uv_trace *trace, uv_resolved_frame *const *frames,
                          uv_native_resolved *const *native)
{
    int rc = uv_buf_append_str(out, "{\"kind\":\"text\",\"version\":");
    if (rc == 0) rc = put_text(out, trace->version);
    if (rc == 0) rc = uv_buf_append_str(out, ",\"exceptions\":[");
    for (size_t e = 0; rc == 0 && e < trace->exception_count; e++) {
        const uv_trace_exception *exc = &trace->exceptions[e];
        rc = uv_buf_append(out, e ? ",{" : "{", e ? 2 : 1);
        if (rc == 0) rc = put_key(out, "class", true);
        if (rc == 0) rc = put_text(out, exc->exception_class);
        if (rc == 0) rc = put_key(out, "message", false);
        if (rc == 0) rc = put_text(out, exc->message);
        if (rc == 0) rc = uv_buf_append_str(out, ",\"frames\":[");
        for (size_t i = 0; rc == 0 && i < exc->frame_count; i++) {
            const uv_trace_frame *f = &exc->frames[i];
            rc = uv_buf_append(out, i ? ",{" : "{", i ? 2 : 1);
            if (rc == 0) rc = put_key(out, "function", true);
            if (rc == 0) rc = put_text(out, f->function);
            if (rc == 0) rc = put_key(out, "url", false);
            if (rc == 0) rc = put_text(out, f->url);
            if (rc == 0) rc = put_key(out, "line", false);
            if (rc == 0)
                rc = f->has_line ? put_uint(out, (uint64_t)f->line + 1)
                                 : uv_buf_append(out, "null", 4);
            if (rc == 0) rc = put_key(out, "column", false);
            if (rc == 0)
                rc = f->has_column ? put_uint(out, (uint64_t)f->column + 1)
                                   : uv_buf_append(out, "null", 4);
            if (rc == 0 && use_native(trace, native, f)) {
                rc = put_key(out, "address", false);
                if (rc == 0) rc = put_hex(out, f->has_address, f->address);
                if (rc == 0) rc = put_key(out, "module", false);
                if (rc == 0) rc = put_text(out, f->module);
                if (rc == 0 && f->has_module_offset) {
                    rc = put_key(out, "module_offset", false);
                    if (rc == 0) rc = put_hex(out, true, f->module_offset);
                }
                if (rc == 0 && f->symbol[0]) {
                    char offset[24];
                    int n = snprintf(offset, sizeof offset, "%" PRId64, f->symbol_offset);
                    rc = put_key(out, "symbol", false);
                    if (rc == 0) rc = put_text(out, f->symbol);
                    if (rc == 0) rc = put_key(out, "symbol_offset", false);
                    if (rc == 0) rc = uv_buf_append(out, offset, (size_t)n);
                }
            }
            bool none = false;
            size_t mark = out->len;
            if (rc == 0) rc = put_key(out, "resolved", false);
            if (rc == 0) rc = put_frame_resolved(out, trace, frames, native, e, i, &none);
            if (rc == 0 && none) out->len = mark;
            if (rc == 0) rc = uv_buf_append(out, "}", 1);
        }
        if (rc == 0) rc = uv_buf_append(out, "]}", 2);
    }
    return rc == 0 ? uv_buf_append(out, "]}", 2) : rc;
}

int uv_report_json_with_native(uv_buf *out, const uv_trace *trace, uv_resolved_frame *const *frames,
                               uv_native_resolved *const *native)
{
    uv_buf compact = UV_BUF_INIT;
    int rc;
    if (trace->json_doc) {
        /* Payloads keep every field of their own; each frame gains `resolved`. */
        render_ctx ctx = {trace, frames, native};
        rc = splice(&compact, trace, render_piece, &ctx);
    } else {
        rc = text_kind_json(&compact, trace, frames, native);
    }
    if (rc == 0) rc = indent_json(out, &compact);
    uv_buf_free(&compact);
    return rc;
}

/* ---- the stored resolution ------------------------------------------------------------------
 *
 * {"unravel_resolution":2,"strings":[S, …],"exceptions":[[F, …], …]}: the strings a result
 * uses, once each, and per frame F either null (no result), the `resolved` object itself
 * (native frames, frames with source context) or, for JavaScript frames, the array
 * [status, function, function_source, source, line, column, name, flags, sourcemap, detail]
 * where strings are 1-based indexes into S (0 for null), line and column are 1-based (0 when
 * not symbolicated) and flags has bit 0 approximate, bit 1 in_ignore_list. Twenty resolved
 * frames take ~1 KB this way instead of ~4.4 KB as objects, which keeps an occurrence's row
 * within one database page. Reading turns each F back into the object put_resolved writes. */

#define RESOLUTION_VERSION 2
#define JS_CELLS 10

typedef struct {
    const char **strings; /* in order of first use */
    size_t count, cap;
    uint32_t *slots; /* open addressing: index + 1, 0 = empty */
    size_t slot_cap; /* a power of two, > 2 × count */
} string_table;

static uint32_t hash_text(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The 1-based index of `s` in the table (added when new); 0 for NULL; -1 out of memory. */
static long intern(string_table *t, const char *s)
{
    if (!s) return 0;
    if (2 * (t->count + 1) >= t->slot_cap) {
        size_t cap = t->slot_cap ? 2 * t->slot_cap : 64;
        uint32_t *slots = calloc(cap, sizeof *slots);
        if (!slots) return -1;
        for (size_t i = 0; i < t->count; i++) {
            size_t k = hash_text(t->strings[i]) & (cap - 1);
            while (slots[k])
                k = (k + 1) & (cap - 1);
            slots[k] = (uint32_t)i + 1;
        }
        free(t->slots);
        t->slots = slots;
        t->slot_cap = cap;
    }
    size_t k = hash_text(s) & (t->slot_cap - 1);
    for (; t->slots[k]; k = (k + 1) & (t->slot_cap - 1))
        if (strcmp(t->strings[t->slots[k] - 1], s) == 0) return t->slots[k];
    const char **grown = uv_array_grow(t->strings, &t->cap, t->count, sizeof *grown, 32);
    if (!grown) return -1;
    t->strings = grown;
    t->strings[t->count++] = s;
    t->slots[k] = (uint32_t)t->count;
    return (long)t->count;
}

/* One JavaScript frame as its cells. */
static int put_js_cells(uv_buf *out, string_table *t, const uv_resolved_frame *f)
{
    bool done = f->status == UV_FRAME_SYMBOLICATED;
    long cells[JS_CELLS] = {
        intern(t, uv_frame_status_name(f->status)),
        done ? intern(t, f->function) : 0,
        done ? intern(t, uv_name_origin_name(f->function_origin)) : 0,
        done ? intern(t, f->source) : 0,
        done ? (long)f->line + 1 : 0,
        done ? (long)f->column + 1 : 0,
        done ? intern(t, f->name) : 0,
        done ? (f->approximate ? 1 : 0) | (f->in_ignore_list ? 2 : 0) : 0,
        intern(t, f->artifact),
        intern(t, f->detail),
    };
    char text[JS_CELLS * 21 + 2];
    size_t n = 0;
    for (size_t i = 0; i < JS_CELLS; i++) {
        if (cells[i] < 0) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
        text[n++] = i ? ',' : '[';
        n += uv_format_u64(text + n, (uint64_t)cells[i]);
    }
    text[n++] = ']';
    return uv_buf_append(out, text, n);
}

int uv_report_resolution(uv_buf *out, const uv_trace *trace, uv_resolved_frame *const *frames,
                         uv_native_resolved *const *native)
{
    string_table table = {0};
    uv_buf cells = UV_BUF_INIT;
    int rc = 0;
    for (size_t e = 0; rc == 0 && e < trace->exception_count; e++) {
        const uv_trace_exception *exc = &trace->exceptions[e];
        rc = uv_buf_append(&cells, e ? ",[" : "[", e ? 2 : 1);
        for (size_t i = 0; rc == 0 && i < exc->frame_count; i++) {
            if (i) rc = uv_buf_append(&cells, ",", 1);
            if (rc) break;
            const uv_trace_frame *f = &exc->frames[i];
            if (!use_native(trace, native, f) && frames && !frames[e][i].context_line) {
                rc = put_js_cells(&cells, &table, &frames[e][i]);
                continue;
            }
            bool none = false;
            rc = put_frame_resolved(&cells, trace, frames, native, e, i, &none);
            if (rc == 0 && none) rc = uv_buf_append(&cells, "null", 4);
        }
        if (rc == 0) rc = uv_buf_append(&cells, "]", 1);
    }
    if (rc == 0)
        rc = uv_buf_printf(out, "{\"" UV_REPORT_RESOLUTION_KEY "\":%d,\"strings\":[",
                           RESOLUTION_VERSION);
    for (size_t k = 0; rc == 0 && k < table.count; k++) {
        if (k) rc = uv_buf_append(out, ",", 1);
        if (rc == 0) rc = put_text(out, table.strings[k]);
    }
    if (rc == 0) rc = uv_buf_append_str(out, "],\"exceptions\":[");
    if (rc == 0) rc = uv_buf_append(out, cells.data, cells.len);
    if (rc == 0) rc = uv_buf_append(out, "]}", 2);
    uv_buf_free(&cells);
    free(table.strings);
    free(table.slots);
    return rc;
}

bool uv_report_is_resolution(const char *text)
{
    static const char prefix[] = "{\"" UV_REPORT_RESOLUTION_KEY "\":";
    return text && strncmp(text, prefix, sizeof prefix - 1) == 0;
}

/* The stored pieces, per exception and frame, for the merge. */
typedef struct {
    const uv_jv *exceptions; /* array of arrays */
    const char **strings;    /* the table, 0-based */
    size_t string_count;
    const char *text;
    const uv_jv *row; /* the current exception's array, cached across frames */
    size_t row_index;
    const uv_jv *cell; /* the current frame's piece */
    size_t cell_index;
} stored_ctx;

static const char *stored_string(const stored_ctx *c, const uv_jv *cell)
{
    if (!uv_jv_is(cell, UV_JV_INTEGER) || cell->integer <= 0 ||
        (uint64_t)cell->integer > c->string_count)
        return NULL;
    return c->strings[cell->integer - 1];
}

static uint32_t stored_position(const uv_jv *cell)
{
    return uv_jv_is(cell, UV_JV_INTEGER) && cell->integer > 0 && cell->integer <= UINT32_MAX
               ? (uint32_t)(cell->integer - 1)
               : 0;
}

/* JavaScript cells back to the frame put_resolved writes; false when they are not that. */
static bool js_frame_of(const stored_ctx *c, const uv_jv *array, uv_resolved_frame *f)
{
    const uv_jv *cell[JS_CELLS];
    const uv_jv *v = array->first;
    for (size_t i = 0; i < JS_CELLS; i++, v = v ? v->next : NULL)
        cell[i] = v;
    memset(f, 0, sizeof *f);
    const char *status = stored_string(c, cell[0]);
    if (!status) return false;
    bool known = false;
    for (int s = UV_FRAME_SYMBOLICATED; s <= UV_FRAME_MALFORMED && !known; s++)
        if (strcmp(status, uv_frame_status_name((uv_frame_status)s)) == 0) {
            f->status = (uv_frame_status)s;
            known = true;
        }
    if (!known) return false;
    const char *origin = stored_string(c, cell[2]);
    for (int o = UV_NAME_NONE; origin && o <= UV_NAME_FRAME; o++)
        if (strcmp(origin, uv_name_origin_name((uv_name_origin)o)) == 0)
            f->function_origin = (uv_name_origin)o;
    f->function = stored_string(c, cell[1]);
    f->source = stored_string(c, cell[3]);
    f->line = stored_position(cell[4]);
    f->column = stored_position(cell[5]);
    f->name = stored_string(c, cell[6]);
    int64_t flags = uv_jv_is(cell[7], UV_JV_INTEGER) ? cell[7]->integer : 0;
    f->approximate = flags & 1;
    f->in_ignore_list = flags & 2;
    f->artifact = stored_string(c, cell[8]);
    f->detail = stored_string(c, cell[9]);
    return true;
}

static int stored_piece(void *ctx, uv_buf *pieces, size_t e, size_t i, bool *none)
{
    stored_ctx *c = ctx;
    *none = true;
    if (!c->row || c->row_index != e) { /* exceptions and frames come in order: walk once */
        c->row = c->exceptions->first;
        for (size_t k = 0; c->row && k < e; k++)
            c->row = c->row->next;
        c->row_index = e;
        c->cell = NULL;
    }
    if (!uv_jv_is(c->row, UV_JV_ARRAY)) return 0;
    if (!c->cell || c->cell_index > i) {
        c->cell = c->row->first;
        c->cell_index = 0;
    }
    while (c->cell && c->cell_index < i) {
        c->cell = c->cell->next;
        c->cell_index++;
    }
    if (uv_jv_is(c->cell, UV_JV_OBJECT)) {
        *none = false;
        return uv_buf_append(pieces, c->text + c->cell->start, c->cell->end - c->cell->start);
    }
    uv_resolved_frame f;
    if (!uv_jv_is(c->cell, UV_JV_ARRAY) || !js_frame_of(c, c->cell, &f)) return 0;
    *none = false;
    return put_resolved(pieces, &f);
}

int uv_report_merge_stored(uv_buf *out, const char *raw, size_t raw_len, const char *resolution,
                           size_t resolution_len)
{
    uv_jv_doc *doc = NULL;
    uv_trace *trace = NULL;
    const char **strings = NULL;
    int rc = uv_jv_parse(&doc, resolution, resolution_len, NULL, NULL);
    const uv_jv *exceptions = rc == 0 ? uv_jv_get(doc->root, "exceptions") : NULL;
    const uv_jv *table = rc == 0 ? uv_jv_get(doc->root, "strings") : NULL;
    if (rc == 0 && !uv_jv_is(exceptions, UV_JV_ARRAY))
        rc = uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "stored resolution: no exceptions array");
    size_t count = uv_jv_is(table, UV_JV_ARRAY) ? table->len : 0;
    if (rc == 0 && count && !(strings = calloc(count, sizeof *strings)))
        rc = uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    if (rc == 0 && count) {
        size_t k = 0;
        for (const uv_jv *v = table->first; v; v = v->next)
            strings[k++] = uv_jv_string(v); /* NULL for a non-string: read as null */
    }
    if (rc == 0) rc = uv_trace_parse(&trace, raw, raw_len);
    if (rc == 0) {
        stored_ctx ctx = {.exceptions = exceptions,
                          .strings = strings,
                          .string_count = count,
                          .text = resolution};
        rc = splice(out, trace, stored_piece, &ctx);
    }
    free(strings);
    uv_trace_free(trace);
    uv_jv_free(doc);
    return rc;
}

static int frame_line(uv_buf *out, const char *indent, size_t indent_len, const uv_trace_frame *in,
                      const uv_resolved_frame *f, const char *original_line)
{
    int rc;
    if (f->status != UV_FRAME_SYMBOLICATED) {
        if (original_line)
            rc = uv_buf_append_str(out, original_line);
        else if (in->url && in->url[0]) {
            char pos[32] = "";
            if (in->has_line && in->has_column)
                snprintf(pos, sizeof pos, ":%u:%u", in->line + 1, in->column + 1);
            else if (in->has_line)
                snprintf(pos, sizeof pos, ":%u", in->line + 1);
            if (in->function[0])
                rc = uv_buf_printf(out, "%.*sat %s (%s%s)", (int)indent_len, indent, in->function,
                                   in->url, pos);
            else
                rc = uv_buf_printf(out, "%.*sat %s%s", (int)indent_len, indent, in->url, pos);
        } else
            rc = uv_buf_printf(out, "%.*sat %s", (int)indent_len, indent,
                               in->function[0] ? in->function : "<unknown>");
        /* Frames inside the runtime are expected to stay as they are; say why others do. */
        bool internal =
            !in->url || !in->url[0] || strncmp(in->url, "node:", 5) == 0 || in->is_native;
        if (rc == 0 && !internal)
            rc = uv_buf_printf(out, "  [%s]", uv_frame_status_name(f->status));
        return rc ? rc : uv_buf_append(out, "\n", 1);
    }
    if (f->function)
        rc = uv_buf_printf(out, "%.*sat %s (%s:%u:%u)", (int)indent_len, indent, f->function,
                           f->source, f->line + 1, f->column + 1);
    else
        rc = uv_buf_printf(out, "%.*sat %s:%u:%u", (int)indent_len, indent, f->source, f->line + 1,
                           f->column + 1);
    if (rc == 0 && f->approximate) rc = uv_buf_append_str(out, "  [approximate: no column]");
    if (rc == 0 && f->in_ignore_list) rc = uv_buf_append_str(out, "  [ignore-listed]");
    if (rc == 0) rc = uv_buf_append(out, "\n", 1);
    if (rc != 0 || !f->context_line) return rc;
    unsigned last = f->line + 1 + (unsigned)f->post_count;
    int width = 1;
    for (unsigned v = last; v >= 10; v /= 10)
        width++;
    unsigned first = f->line + 1 - (unsigned)f->pre_count;
    for (size_t i = 0; rc == 0 && i < f->pre_count; i++)
        rc = uv_buf_printf(out, "%.*s      %*u | %s\n", (int)indent_len, indent, width,
                           first + (unsigned)i, f->pre_context[i]);
    if (rc == 0)
        rc = uv_buf_printf(out, "%.*s    > %*u | %s\n", (int)indent_len, indent, width, f->line + 1,
                           f->context_line);
    for (size_t i = 0; rc == 0 && i < f->post_count; i++)
        rc = uv_buf_printf(out, "%.*s      %*u | %s\n", (int)indent_len, indent, width,
                           f->line + 2 + (unsigned)i, f->post_context[i]);
    return rc;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* ` (MODULE+0xOFFSET)` for a native frame, or nothing when the module is unknown. */
static int native_module_suffix(uv_buf *out, const uv_native_resolved *r)
{
    if (!r->module) return 0;
    if (r->has_module_offset)
        return uv_buf_printf(out, " (%s+0x%" PRIx64 ")", base_name(r->module), r->module_offset);
    return uv_buf_printf(out, " (%s)", base_name(r->module));
}

/* One line per inline level, numbered from `number`; *printed says how many. */
static int native_lines(uv_buf *out, size_t number, const uv_trace_frame *in,
                        const uv_native_resolved *r, size_t *printed)
{
    int rc = 0;
    char num[32];
    *printed = 0;
    if (r->status == UV_NATIVE_SYMBOLICATED) {
        for (size_t i = 0; rc == 0 && i < r->frame_count; i++) {
            const uv_native_location *l = &r->frames[i];
            snprintf(num, sizeof num, "#%zu", number + i);
            rc = uv_buf_printf(out, "%-4s0x%016" PRIx64 " in %s", num, in->address,
                               l->function ? l->function : "??");
            if (rc == 0 && l->file) {
                rc = uv_buf_printf(out, " at %s", l->file);
                if (rc == 0 && l->line) rc = uv_buf_printf(out, ":%u", l->line);
                if (rc == 0 && l->line && l->column) rc = uv_buf_printf(out, ":%u", l->column);
            }
            if (rc == 0) rc = native_module_suffix(out, r);
            if (rc == 0 && l->inlined) rc = uv_buf_append_str(out, " (inlined)");
            if (rc == 0) rc = uv_buf_append(out, "\n", 1);
        }
        *printed = r->frame_count;
        return rc;
    }
    /* Unresolved: keep what the input said (glibc's `func+0x1a`, gdb's function name). */
    snprintf(num, sizeof num, "#%zu", number);
    rc = uv_buf_printf(out, "%-4s", num);
    if (rc == 0 && in->has_address) rc = uv_buf_printf(out, "0x%016" PRIx64 " ", in->address);
    if (rc == 0 && in->symbol[0])
        rc = uv_buf_printf(out, "in %s%s0x%" PRIx64, in->symbol, in->symbol_offset < 0 ? "-" : "+",
                           in->symbol_offset < 0 ? (uint64_t)0 - (uint64_t)in->symbol_offset
                                                 : (uint64_t)in->symbol_offset);
    else if (rc == 0)
        rc = uv_buf_printf(out, "in %s", in->function[0] ? in->function : "??");
    if (rc == 0) rc = native_module_suffix(out, r);
    if (rc == 0) rc = uv_buf_printf(out, " [%s", uv_native_status_name(r->status));
    if (rc == 0 && r->detail) rc = uv_buf_printf(out, ": %s", r->detail);
    if (rc == 0) rc = uv_buf_append_str(out, "]\n");
    *printed = 1;
    return rc;
}

int uv_report_text(uv_buf *out, const uv_trace *trace, uv_resolved_frame *const *frames)
{
    return uv_report_text_with_native(out, trace, frames, NULL);
}

int uv_report_text_with_native(uv_buf *out, const uv_trace *trace, uv_resolved_frame *const *frames,
                               uv_native_resolved *const *native)
{
    int rc = 0;
    if (trace->kind == UV_TRACE_NATIVE) {
        for (size_t e = 0; rc == 0 && e < trace->exception_count; e++) {
            const uv_trace_exception *exc = &trace->exceptions[e];
            if (exc->exception_class[0] || exc->message[0])
                rc = uv_buf_printf(out, "%s%s%s%s\n", e > 0 ? "Caused by: " : "",
                                   exc->exception_class[0] ? exc->exception_class : "Error",
                                   exc->message[0] ? ": " : "", exc->message);
            else if (e == 0 && trace->has_signal)
                rc =
                    uv_buf_printf(out, "Stack trace %zu (signal %" PRId64 "):\n", e, trace->signal);
            else
                rc = uv_buf_printf(out, "%sStack trace %zu:\n", e > 0 ? "\n" : "", e);
            size_t number = 0;
            for (size_t i = 0; rc == 0 && i < exc->frame_count; i++) {
                size_t printed = 0;
                if (native)
                    rc = native_lines(out, number, &exc->frames[i], &native[e][i], &printed);
                number += printed;
            }
        }
        return rc;
    }
    if (trace->kind == UV_TRACE_TEXT) {
        /* Echo the input, rewriting the lines that hold frames. */
        size_t n = trace->text_line_count;
        const uv_trace_frame **by_line = calloc(n ? n : 1, sizeof *by_line);
        const uv_resolved_frame **res_by_line = calloc(n ? n : 1, sizeof *res_by_line);
        if (!by_line || !res_by_line) {
            free(by_line);
            free(res_by_line);
            return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
        }
        const uv_native_resolved **native_by_line = calloc(n ? n : 1, sizeof *native_by_line);
        size_t *number_by_line = calloc(n ? n : 1, sizeof *number_by_line);
        if (!native_by_line || !number_by_line) {
            free(by_line);
            free(res_by_line);
            free(native_by_line);
            free(number_by_line);
            return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
        }
        for (size_t e = 0; e < trace->exception_count; e++) {
            size_t number = 0; /* native frames are numbered per trace, gdb-style */
            for (size_t i = 0; i < trace->exceptions[e].frame_count; i++) {
                const uv_trace_frame *f = &trace->exceptions[e].frames[i];
                if (f->text_line >= n) continue;
                by_line[f->text_line] = f;
                if (use_native(trace, native, f)) {
                    const uv_native_resolved *r = &native[e][i];
                    native_by_line[f->text_line] = r;
                    number_by_line[f->text_line] = number;
                    number += r->status == UV_NATIVE_SYMBOLICATED ? r->frame_count : 1;
                } else if (frames) {
                    res_by_line[f->text_line] = &frames[e][i];
                }
            }
        }
        for (size_t l = 0; rc == 0 && l < n; l++) {
            const char *line = trace->text_lines[l];
            if (native_by_line[l]) {
                size_t printed;
                rc = native_lines(out, number_by_line[l], by_line[l], native_by_line[l], &printed);
                continue;
            }
            if (!by_line[l] || !res_by_line[l]) {
                rc = uv_buf_append_str(out, line);
                if (rc == 0) rc = uv_buf_append(out, "\n", 1);
                continue;
            }
            size_t indent = strspn(line, " \t");
            rc = frame_line(out, line, indent, by_line[l], res_by_line[l], line);
        }
        free(by_line);
        free(res_by_line);
        free(native_by_line);
        free(number_by_line);
        return rc;
    }
    for (size_t e = 0; rc == 0 && e < trace->exception_count; e++) {
        const uv_trace_exception *exc = &trace->exceptions[e];
        if (e > 0) rc = uv_buf_append_str(out, "Caused by: ");
        if (rc == 0)
            rc = uv_buf_printf(out, "%s%s%s\n",
                               exc->exception_class[0] ? exc->exception_class : "Error",
                               exc->message[0] ? ": " : "", exc->message);
        for (size_t i = 0; rc == 0 && frames && i < exc->frame_count; i++)
            rc = frame_line(out, "    ", 4, &exc->frames[i], &frames[e][i], NULL);
    }
    return rc;
}
