/* Fuzz target for formats/trace.c: the whole input through uv_trace_parse (Rollbar, Raygun
 * or text), then each line through uv_trace_parse_frame_line with an exact and a short
 * scratch buffer. Every string of a parsed model is read so ASan sees stray pointers, and
 * the model's invariants are checked with abort(). */
#include "formats/trace.h"

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
}

static void check_trace(const uv_trace *t)
{
    if (t->exception_count == 0 && t->kind == UV_TRACE_TEXT) abort();
    if (t->version) sink += strlen(t->version);
    if (t->platform) sink += strlen(t->platform);
    for (size_t i = 0; i < t->text_line_count; i++)
        sink += strlen(t->text_lines[i]);
    for (size_t i = 0; i < t->exception_count; i++) {
        const uv_trace_exception *e = &t->exceptions[i];
        sink += strlen(e->exception_class) + strlen(e->message);
        if (e->frame_count > 100000) abort();
        for (size_t j = 0; j < e->frame_count; j++)
            check_frame(t, &e->frames[j]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    uv_trace *trace = NULL;
    if (uv_trace_parse(&trace, text, size) == 0) {
        check_trace(trace);
        uv_trace_free(trace);
    } else if (trace) {
        abort(); /* failure must leave *out NULL */
    }

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
                /* Too little scratch must be refused, never overrun. */
                (void)uv_trace_parse_frame_line(text + start, len, &frame, scratch, len / 2);
            }
            free(scratch);
        }
        start = i + 1;
    }
    return 0;
}
