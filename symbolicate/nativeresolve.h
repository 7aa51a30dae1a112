/* Native frame resolution: for each frame carrying an instruction address (glibc
 * backtrace_symbols / gdb text lines, Symbolicator requests, Sentry events) find its module,
 * open it (by build-id in the store or /usr/lib/debug, else the file on disk, else the store
 * by file name), turn the address into the module's own virtual address and look it up
 * through symbolicate/native.h, expanding inlined functions. Modules are opened once per
 * resolver (failures too). docs/native-frames.md is the user-facing page.
 *
 * Address rules (the same as Symbolicator and eu-stack):
 *   file address = address − load address (payload image_addr or --module BASE)
 *                  + the ELF's first PT_LOAD p_vaddr
 *   glibc `(+0xOFF)`: OFF is already the file address (glibc prints address − l_addr);
 *   glibc `(func+0xOFF)`: the address of `func` in the module's symbol table + OFF;
 *   otherwise the load bias learned from another frame of the same module that has both
 *   `(+0xOFF)` and `[0xADDR]`, or 0 for a non-PIE executable (ET_EXEC).
 * Frame 0 is looked up at its address, every caller frame at address − 1 (a return address
 * points after the call, possibly into the next line or function); a payload's
 * `adjust_instruction_addr` overrides that per frame. */
#ifndef UV_NATIVERESOLVE_H
#define UV_NATIVERESOLVE_H

#include "formats/arena.h"
#include "formats/trace.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    UV_NATIVE_SYMBOLICATED,
    UV_NATIVE_MISSING_SYMBOL, /* module opened, but no debug info or symbol covers the address */
    UV_NATIVE_UNKNOWN_IMAGE,  /* no module for the address, or no way to place the address */
    UV_NATIVE_MISSING,        /* module known, but its file was found nowhere */
    UV_NATIVE_MALFORMED,      /* the module's file could not be read */
} uv_native_status;

const char *uv_native_status_name(uv_native_status status);

/* One function level at the address: the innermost first, each inlined one followed by the
 * function it was inlined into (whose line is the call site). */
typedef struct {
    const char *function;     /* demangled (raw with no_demangle); NULL when unknown */
    const char *raw_function; /* as in the debug file; NULL when unknown */
    const char *file;         /* NULL when unknown */
    uint32_t line, column;    /* 1-based; 0 when unknown */
    bool inlined;             /* this level was inlined into the next one */
    bool from_symbol_table;   /* no DWARF: the name comes from .symtab/.dynsym */
} uv_native_location;

typedef struct {
    uv_native_status status;
    const char *module;     /* the module as named by the input (path, or build-id), or NULL */
    const char *build_id;   /* of the file used, lowercase hex, or NULL */
    const char *debug_file; /* the file the lookup used, or NULL */
    bool has_module_offset;
    uint64_t module_offset; /* address − module load address (Sentry's relative address) */
    bool has_file_address;
    uint64_t file_address;      /* address in the ELF's own virtual address space */
    bool adjusted;              /* looked up at file_address − 1 (a return address) */
    uv_native_location *frames; /* innermost first */
    size_t frame_count;
    const char *detail; /* why a frame stayed unresolved */
} uv_native_resolved;

/* `--module NAME=BUILDID@BASE`: NAME matches the basename (or the whole path) of a frame's
 * module; BUILDID (hex) and @BASE (hex load address, `0x` optional) may each be left out. */
typedef struct {
    const char *name;
    const char *build_id; /* lowercase hex, NULL when not given */
    uint64_t base;
    bool has_base;
} uv_native_module_arg;

/* Parses `NAME=BUILDID@BASE`; strings are allocated in `arena`. UV_EINVALID naming the part. */
int uv_nativeresolve_parse_module_arg(const char *arg, uv_arena *arena, uv_native_module_arg *out);

typedef struct {
    uv_store *store;     /* optional: debug files by build-id or by (project, version, name) */
    int64_t project_id;  /* 0: any project (build-ids name files globally) */
    const char *version; /* for lookups by file name; NULL: the newest upload */
    const uv_native_module_arg *modules; /* --module options */
    size_t module_count;
    const char *const *debug_dirs; /* extra roots searched like /usr/lib/debug; may be NULL */
    size_t debug_dir_count;
    bool no_demangle;
} uv_nativeresolve_options;

typedef struct uv_nativeresolver uv_nativeresolver;

/* The options (and the strings they point to) must outlive the resolver. */
int uv_nativeresolve_new(uv_nativeresolver **out, const uv_nativeresolve_options *options);
void uv_nativeresolve_free(uv_nativeresolver *resolver); /* accepts NULL */

/* Whether frame `f` of `trace` is a native frame (resolved here rather than by jsresolve). */
bool uv_nativeresolve_is_native(const uv_trace *trace, const uv_trace_frame *f);

/* Resolves the native frames of `exception` (a member of `trace`) into out[0..frame_count);
 * other frames get status UV_NATIVE_UNKNOWN_IMAGE and are not used. Strings live in `arena`.
 * Problems with single frames go in their status; the return value is non-zero only for out
 * of memory or store failures. */
int uv_nativeresolve_exception(uv_nativeresolver *resolver, const uv_trace *trace,
                               const uv_trace_exception *exception, uv_arena *arena,
                               uv_native_resolved *out);

#endif
