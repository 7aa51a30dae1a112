/* Text and JSON renderings of a symbolicated trace (see report.h). */
#include "symbolicate/report.h"

#include "formats/jsonw.h"

#include "formats/error.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* json_string fails on invalid UTF-8; fall back to a lossy copy rather than dropping data. */
static json_t *json_text(const char *s)
{
    if (!s) return json_null();
    json_t *v = json_string(s);
    if (v) return v;
    size_t n = strlen(s);
    char *copy = malloc(n + 1);
    if (!copy) return json_null();
    for (size_t i = 0; i <= n; i++)
        copy[i] = (s[i] & 0x80) ? '?' : s[i];
    v = json_string(copy);
    free(copy);
    return v ? v : json_null();
}

static json_t *context_lines(const char *const *lines, size_t count)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < count; i++)
        json_array_append_new(a, json_text(lines[i]));
    return a;
}

static json_t *resolved_object(const uv_resolved_frame *f)
{
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "status", json_string(uv_frame_status_name(f->status)));
    if (f->status == UV_FRAME_SYMBOLICATED) {
        json_object_set_new(o, "function", json_text(f->function));
        json_object_set_new(o, "function_source",
                            json_string(uv_name_origin_name(f->function_origin)));
        json_object_set_new(o, "source", json_text(f->source));
        json_object_set_new(o, "line", json_integer((json_int_t)f->line + 1));
        json_object_set_new(o, "column", json_integer((json_int_t)f->column + 1));
        json_object_set_new(o, "name", f->name ? json_text(f->name) : json_null());
        json_object_set_new(o, "approximate", json_boolean(f->approximate));
        json_object_set_new(o, "in_ignore_list", json_boolean(f->in_ignore_list));
    }
    json_object_set_new(o, "sourcemap", str_or_null(f->artifact));
    if (f->detail) json_object_set_new(o, "detail", json_text(f->detail));
    if (f->context_line) {
        json_t *ctx = json_object();
        json_object_set_new(ctx, "pre_context", context_lines(f->pre_context, f->pre_count));
        json_object_set_new(ctx, "context_line", json_text(f->context_line));
        json_object_set_new(ctx, "post_context", context_lines(f->post_context, f->post_count));
        json_object_set_new(o, "context", ctx);
    }
    return o;
}

static json_t *hex_value(uint64_t v)
{
    char text[24];
    snprintf(text, sizeof text, "0x%" PRIx64, v);
    return json_string(text);
}

static json_t *native_resolved_object(const uv_native_resolved *r)
{
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "status", json_string(uv_native_status_name(r->status)));
    json_object_set_new(o, "module", r->module ? json_text(r->module) : json_null());
    json_object_set_new(o, "build_id", str_or_null(r->build_id));
    json_object_set_new(o, "debug_file", r->debug_file ? json_text(r->debug_file) : json_null());
    json_object_set_new(o, "module_offset",
                        r->has_module_offset ? hex_value(r->module_offset) : json_null());
    json_object_set_new(o, "file_address",
                        r->has_file_address ? hex_value(r->file_address) : json_null());
    json_object_set_new(o, "adjusted", json_boolean(r->adjusted));
    json_t *frames = json_array();
    for (size_t i = 0; frames && i < r->frame_count; i++) {
        const uv_native_location *l = &r->frames[i];
        json_t *fo = json_object();
        json_object_set_new(fo, "function", json_text(l->function));
        json_object_set_new(fo, "raw_function", json_text(l->raw_function));
        json_object_set_new(fo, "file", json_text(l->file));
        json_object_set_new(fo, "line", l->line ? json_integer(l->line) : json_null());
        json_object_set_new(fo, "column", l->column ? json_integer(l->column) : json_null());
        json_object_set_new(fo, "inlined", json_boolean(l->inlined));
        json_object_set_new(fo, "symbol_table_only", json_boolean(l->from_symbol_table));
        json_array_append_new(frames, fo);
    }
    json_object_set_new(o, "frames", frames ? frames : json_null());
    if (r->detail) json_object_set_new(o, "detail", json_text(r->detail));
    return o;
}

static bool use_native(const uv_trace *trace, uv_native_resolved *const *native,
                       const uv_trace_frame *f)
{
    return native && uv_nativeresolve_is_native(trace, f);
}

static int dump_json(uv_buf *out, json_t *root, bool compact)
{
    if (compact) return uv_json_write(out, root);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
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

static int report_json(uv_buf *out, const uv_trace *trace, uv_resolved_frame *const *frames,
                       uv_native_resolved *const *native, bool compact);

int uv_report_json_with_native(uv_buf *out, const uv_trace *trace, uv_resolved_frame *const *frames,
                               uv_native_resolved *const *native)
{
    return report_json(out, trace, frames, native, false);
}

int uv_report_json_stored(uv_buf *out, const uv_trace *trace, uv_resolved_frame *const *frames,
                          uv_native_resolved *const *native)
{
    return report_json(out, trace, frames, native, true);
}

static int report_json(uv_buf *out, const uv_trace *trace, uv_resolved_frame *const *frames,
                       uv_native_resolved *const *native, bool compact)
{
    if (trace->json_root) {
        /* Payloads keep every field of their own; each frame gains `resolved`. */
        for (size_t e = 0; e < trace->exception_count; e++) {
            const uv_trace_exception *exc = &trace->exceptions[e];
            for (size_t i = 0; i < exc->frame_count; i++) {
                json_t *frame = exc->frames[i].json;
                if (!frame || !json_is_object(frame)) continue;
                if (use_native(trace, native, &exc->frames[i]))
                    json_object_set_new(frame, "resolved", native_resolved_object(&native[e][i]));
                else if (frames)
                    json_object_set_new(frame, "resolved", resolved_object(&frames[e][i]));
            }
        }
        return dump_json(out, trace->json_root, compact);
    }
    json_t *root = json_object();
    json_t *exceptions = json_array();
    json_object_set_new(root, "kind", json_string("text"));
    json_object_set_new(root, "version", str_or_null(trace->version));
    for (size_t e = 0; e < trace->exception_count; e++) {
        const uv_trace_exception *exc = &trace->exceptions[e];
        json_t *eo = json_object();
        json_t *fa = json_array();
        json_object_set_new(eo, "class", json_text(exc->exception_class));
        json_object_set_new(eo, "message", json_text(exc->message));
        for (size_t i = 0; i < exc->frame_count; i++) {
            const uv_trace_frame *f = &exc->frames[i];
            json_t *fo = json_object();
            json_object_set_new(fo, "function", json_text(f->function));
            json_object_set_new(fo, "url", json_text(f->url));
            json_object_set_new(fo, "line",
                                f->has_line ? json_integer((json_int_t)f->line + 1) : json_null());
            json_object_set_new(fo, "column",
                                f->has_column ? json_integer((json_int_t)f->column + 1)
                                              : json_null());
            if (use_native(trace, native, f)) {
                json_object_set_new(fo, "address",
                                    f->has_address ? hex_value(f->address) : json_null());
                json_object_set_new(fo, "module", json_text(f->module));
                if (f->has_module_offset)
                    json_object_set_new(fo, "module_offset", hex_value(f->module_offset));
                if (f->symbol[0]) {
                    json_object_set_new(fo, "symbol", json_text(f->symbol));
                    json_object_set_new(fo, "symbol_offset", json_integer(f->symbol_offset));
                }
                json_object_set_new(fo, "resolved", native_resolved_object(&native[e][i]));
            } else if (frames) {
                json_object_set_new(fo, "resolved", resolved_object(&frames[e][i]));
            }
            json_array_append_new(fa, fo);
        }
        json_object_set_new(eo, "frames", fa);
        json_array_append_new(exceptions, eo);
    }
    json_object_set_new(root, "exceptions", exceptions);
    int rc = dump_json(out, root, compact);
    json_decref(root);
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
