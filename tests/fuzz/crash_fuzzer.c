/* Fuzz target for the whole crash pipeline (symbolicate/crash.c with formats/minidump.c,
 * formats/elfcore.c, symbolicate/unwind.c): the input is a minidump or core file; it is
 * walked with no store, no local files and no system debug files (so every frame is found by
 * the frame pointer or by scanning garbage stacks, which must stay bounded), and rendered in
 * all three formats. A rendering must succeed for every dump that parsed. */
#include "symbolicate/crash.h"

#include "formats/error.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uv_crash_options options = {
        .no_local_files = true,
        .no_system_debug = true,
        .max_frames = 64,
    };
    uv_crash_report *report = NULL;
    if (uv_crash_symbolicate(&report, data, size, &options) != 0) {
        if (report) abort(); /* a failure leaves nothing behind */
        uv_error_clear();
        return 0;
    }
    static const uv_crash_format formats[] = {UV_CRASH_TEXT, UV_CRASH_JSON, UV_CRASH_BREAKPAD_M};
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
        uv_buf out = UV_BUF_INIT;
        if (uv_crash_render(report, formats[i], &out) != 0) abort();
        if (out.len == 0) abort();
        uv_buf_free(&out);
    }
    uv_crash_stats stats;
    uv_crash_get_stats(report, &stats);
    if (stats.frames_symbolicated > stats.frames) abort();
    uv_crash_report_free(report);
    return 0;
}
