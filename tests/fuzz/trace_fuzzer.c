/* Fuzz target for formats/trace.c: the whole input through uv_trace_parse (Rollbar, Raygun,
 * native Symbolicator/Sentry payloads or text with JavaScript, glibc and gdb frames) and, when
 * it is JSON, through uv_jv_parse + uv_trace_parse_jv, which must agree; then
 * each line through uv_trace_parse_frame_line with an exact and a short
 * scratch buffer. Every string of a parsed model is read so ASan sees stray pointers, and
 * the model's invariants are checked with abort(). */
#include "formats/trace.h"

#include "formats/jv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static volatile size_t sink;

static void check_frame(const uv_trace *t, const uv_trace_frame *f)
{
    sink += strlen(f->function) + strlen(f->url);
    if (f->has_column && !f->has_line) abort();
    if (f->has_line && f->line >= (UINT32_C(1) << 31)) abort();
    if (f->has_column && f->column >= (UINT32_C(1) << 31)) abort();
    if (t->kind == UV_TRACE_TEXT && f->text_line >= t->text_line_count) abort();
    sink += strlen(f->module) + strlen(f->symbol);
    if (t->kind == UV_TRACE_TEXT && f->has_address && f->module != f->url) abort();
    if (f->has_module_offset && !f->has_address) abort();
    if (f->symbol[0] && (f->has_module_offset || !f->has_address)) abort();
    if (f->adjust != UV_TRACE_ADJUST_AUTO && t->kind != UV_TRACE_NATIVE) abort();
}

static void check_trace(const uv_trace *t)
{
    if (t->exception_count == 0 && t->kind == UV_TRACE_TEXT) abort();
    if (t->version) sink += strlen(t->version);
    if (t->platform) sink += strlen(t->platform);
    for (size_t i = 0; i < t->text_line_count; i++)
        sink += strlen(t->text_lines[i]);
    if (t->module_count && t->kind != UV_TRACE_NATIVE) abort();
    for (size_t i = 0; i < t->module_count; i++) {
        const uv_trace_module *m = &t->modules[i];
        sink += strlen(m->type) + strlen(m->code_file) + strlen(m->debug_file) +
                strlen(m->build_id) + strlen(m->debug_id);
        if (m->has_image_size && m->image_addr + m->image_size < m->image_addr) abort();
        if (strlen(m->build_id) % 2) abort();
    }
    for (size_t i = 0; i < t->exception_count; i++) {
        const uv_trace_exception *e = &t->exceptions[i];
        sink += strlen(e->exception_class) + strlen(e->message);
        if (e->frame_count > 100000) abort();
        for (size_t j = 0; j < e->frame_count; j++)
            check_frame(t, &e->frames[j]);
    }
}

/* The same payload parsed by the caller (the service's way) reads as uv_trace_parse reads it. */
static void check_borrowed(const char *text, size_t size, int rc, const uv_trace *trace)
{
    uv_jv_doc *doc;
    if (uv_jv_parse(&doc, text, size, NULL, NULL) != 0) return;
    uv_trace *borrowed = NULL;
    int borrowed_rc = uv_trace_parse_jv(&borrowed, doc);
    if (borrowed_rc == 0) {
        if (borrowed->json_doc != doc) abort();
        check_trace(borrowed);
    } else if (borrowed) {
        abort();
    }
    /* uv_trace_parse reads JSON when the text starts with '{' (after blanks). */
    size_t first = 0;
    while (first < size && (text[first] == ' ' || text[first] == '\t' || text[first] == '\r' ||
                            text[first] == '\n' || text[first] == '\v' || text[first] == '\f'))
        first++;
    if (first < size && text[first] == '{') {
        if (rc != borrowed_rc) abort();
        if (trace &&
            (trace->kind != borrowed->kind || trace->exception_count != borrowed->exception_count ||
             trace->module_count != borrowed->module_count))
            abort();
        for (size_t i = 0; trace && i < trace->exception_count; i++) {
            const uv_trace_exception *a = &trace->exceptions[i], *b = &borrowed->exceptions[i];
            if (a->frame_count != b->frame_count || strcmp(a->message, b->message) != 0) abort();
            for (size_t j = 0; j < a->frame_count; j++)
                if (strcmp(a->frames[j].url, b->frames[j].url) != 0 ||
                    a->frames[j].line != b->frames[j].line ||
                    a->frames[j].address != b->frames[j].address)
                    abort();
        }
    }
    uv_trace_free(borrowed);
    uv_jv_free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    uv_trace *trace = NULL;
    int rc = uv_trace_parse(&trace, text, size);
    if (rc == 0)
        check_trace(trace);
    else if (trace)
        abort(); /* failure must leave *out NULL */
    check_borrowed(text, size, rc, trace);
    uv_trace_free(trace);

    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && data[i] != '\n') continue;
        size_t len = i - start;
        char *scratch = malloc(len + 2);
        if (scratch) {
            uv_trace_frame frame;
            if (uv_trace_parse_frame_line(text + start, len, &frame, scratch, len + 2) == 0) {
                if (frame.function < scratch || frame.url < scratch ||
                    frame.url + strlen(frame.url) >= scratch + len + 2)
                    abort();
                if (frame.has_column && !frame.has_line) abort();
                if (frame.has_address && frame.module != frame.url) abort();
                if (frame.symbol[0] && frame.symbol != frame.function) abort();
                /* Too little scratch must be refused, never overrun. */
                (void)uv_trace_parse_frame_line(text + start, len, &frame, scratch, len / 2);
            }
            free(scratch);
        }
        start = i + 1;
    }
    return 0;
}
