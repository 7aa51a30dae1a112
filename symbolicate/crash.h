/* Symbolicating a crash dump (a Linux core file or a minidump): parse it (formats/elfcore.c,
 * formats/minidump.c), find each module's symbols (the store by build-id / debug ID /
 * code ID, --symbols-from paths, the module files named by the dump when they are on this
 * machine, /usr/lib/debug), walk every thread (symbolicate/unwind.c) with the modules' CFI
 * (ELF .eh_frame/.debug_frame, Breakpad STACK CFI / STACK WIN), resolve every frame with
 * inlined frames expanded, and render the result as text, JSON (shaped like rust-minidump's
 * `minidump-stackwalk --json`) or Breakpad's `minidump_stackwalk -m` pipe format. */
#ifndef UV_CRASH_H
#define UV_CRASH_H

#include "formats/buf.h"
#include "formats/dump.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { UV_CRASH_TEXT, UV_CRASH_JSON, UV_CRASH_BREAKPAD_M } uv_crash_format;

typedef struct {
    uv_store *store;    /* optional: symbols by build-id / debug ID, symcache cache */
    int64_t project_id; /* 0 = any */
    /* --symbols-from: files (.sym, ELF executables/libraries/debug files) or directories
     * (searched for Breakpad's NAME/DEBUGID/NAME.sym layout, /usr/lib/debug-style
     * .build-id/xx/yyyy.debug trees, and ELF files by build-id) */
    const char *const *symbol_paths;
    size_t symbol_path_count;
    bool no_local_files;  /* do not open the module paths named in the dump */
    bool no_system_debug; /* do not search /usr/lib/debug */
    size_t context_lines; /* source context around each frame when sources are stored */
    size_t max_frames;    /* per thread; 0 = 256 */
    bool crashed_only;    /* only the crashing thread */
} uv_crash_options;

typedef struct uv_crash_report uv_crash_report;

/* Symbolicates the dump in `bytes` (which must outlive the report). Not a core file or
 * minidump → UV_EINVALID; a corrupt dump → UV_ECORRUPT with the parser's message. Missing
 * symbols are not errors: those frames and modules say so. */
int uv_crash_symbolicate(uv_crash_report **out, const void *bytes, size_t len,
                         const uv_crash_options *options);
void uv_crash_report_free(uv_crash_report *report); /* accepts NULL */
const uv_dump *uv_crash_report_dump(const uv_crash_report *report);

/* Appends the report in `format` to out.
 *  text        Breakpad's minidump_stackwalk human output (OS, CPU, crash reason and
 *              address, "Thread N (crashed)" first, frames " N  module!function [file :
 *              line + 0xOFFSET]" with their registers and "Found by: …", inlined frames as
 *              frames of their own found "inlined", then "Loaded modules:" by address with
 *              "(WARNING: No symbols, …)" for modules whose symbols were looked for in vain);
 *              no crash parameters, process uptime or stack contents.
 *  json        rust-minidump's `minidump-stackwalk --json` keys: status, system_info,
 *              crash_info, crashing_thread (with threads_index), threads, thread_count,
 *              modules (by address; loaded_symbols, missing_symbols, corrupt_symbols,
 *              symbol_url = where the symbols came from), module_count, pid; each frame's
 *              `inlines` lists its inlined functions innermost first, `trust` is "context",
 *              "cfi", "frame_pointer", "scan" or "cfi_scan".
 *  breakpad-m  `minidump_stackwalk -m` exactly: OS|, CPU|, GPU|||, Crash|, Module| lines by
 *              address, a blank line, then thread|frame|module|function|file|line|offset,
 *              inlined frames (innermost first) numbered as frames like Breakpad does since
 *              it reads INLINE records; offset from the line's start when file and line are
 *              known, else from the function's, else from the module's base. */
int uv_crash_render(const uv_crash_report *report, uv_crash_format format, uv_buf *out);

/* What became of module `index` (dump order). Strings live as long as the report. */
typedef struct {
    bool looked_up; /* a frame or a stack-scan candidate fell in it */
    bool has_symbols;
    bool has_cfi;       /* STACK CFI / STACK WIN, or .eh_frame / .debug_frame */
    bool corrupt;       /* a candidate symbol file was malformed (and nothing else was found) */
    const char *source; /* the .sym or ELF used ("store:…" for the store), "" when none */
    const char *note;   /* why there are no symbols, "" otherwise */
} uv_crash_module_info;
/* UV_ENOTFOUND when index is out of range. */
int uv_crash_get_module(const uv_crash_report *report, size_t index, uv_crash_module_info *out);

/* Facts for the service and tests. */
typedef struct {
    size_t threads, frames, frames_symbolicated, modules, modules_with_symbols;
    bool crashed;
} uv_crash_stats;
void uv_crash_get_stats(const uv_crash_report *report, uv_crash_stats *out);

#endif
