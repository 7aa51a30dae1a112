/* Uploading native debug files: executables, shared libraries, separate debug files (e.g.
 * /usr/lib/debug/.build-id/xx/yyyy.debug) and dwz supplementary files. Each ELF is stored as
 * kind "debuginfo" (it carries DWARF) or "executable" (symbols only), under (project, version,
 * file name) with its GNU build-id (lowercase hex) as debug ID, so lookups find it by build-id
 * from any version. Breakpad .sym files (text starting "MODULE ") are parsed and stored as kind
 * "breakpad" with their debug ID, keyed NAME/DEBUGID/NAME.sym. What each file holds is reported,
 * like `sentry-cli debug-files check`. With `remote` set, each file is sent to the service instead
 * (POST /api/1/symbols, see upload/remote.h). */
#ifndef UV_UPLOAD_SYMBOLS_H
#define UV_UPLOAD_SYMBOLS_H

#include "store/store.h"
#include "upload/sourcemaps.h"

#include <stdbool.h>
#include <stddef.h>

/* What one file holds; passed to the `file` callback for each ELF found. */
typedef struct {
    const char *path;
    const char *kind;     /* "debuginfo", "executable" or "breakpad" (a .sym file) */
    const char *elf_kind; /* "executable", "shared", "relocatable", "core", "breakpad symbols" */
    const char *arch;
    char build_id[129]; /* lowercase hex, "" when none (.sym: its INFO CODE_ID) */
    char debug_id[41];  /* UUID form, "" when none (.sym: Breakpad's form, uppercase) */
    size_t symbols;     /* function symbols in .symtab/.dynsym */
    bool has_symtab, has_debug_info, has_lines, has_inlines, has_unwind;
    bool is_dwz_supplementary; /* a file other debug files point at with .gnu_debugaltlink */
    bool has_debuglink, has_altlink;
    bool stored; /* false in a dry run or when skipped */
} uv_symbol_file_info;

typedef void (*uv_symbol_file_fn)(void *ctx, const uv_symbol_file_info *info);

typedef struct {
    const char *const *paths; /* files or directories (walked, non-ELF files skipped) */
    size_t path_count;
    bool dry_run;
    uv_store *store;
    int64_t project_id;
    const char *version;
    uv_upload_report_fn report; /* problems: not an ELF (given explicitly), corrupt, stripped */
    uv_symbol_file_fn file;     /* one call per ELF handled */
    void *ctx;                  /* passed to both callbacks */
    uv_remote *remote;          /* send each file there instead of storing it (store may be NULL) */
} uv_upload_symbols_options;

typedef struct {
    size_t files, debuginfo, executables, breakpad, without_build_id, warnings, errors;
    size_t bytes;
} uv_upload_symbols_summary;

/* Returns 0 when every path was handled (problems counted and reported; a file the server
 * rejects with 400/413/422 is an error of that file), or a negative code for failures that
 * stop the upload (store I/O; with a remote: no connection, refused token, server errors). */
int uv_upload_symbols(const uv_upload_symbols_options *options, uv_upload_symbols_summary *out);

/* The same for one file already in memory (an HTTP upload; `options->paths` is unused):
 * `name` is reported as its path and its last component is the artifact key. Counts are ADDED
 * to *out (zero it first). A file that is not a valid ELF is reported as an error and counted
 * in out->errors; the return value is non-zero only for store failures. */
int uv_upload_symbols_bytes(const uv_upload_symbols_options *options, const char *name,
                            const void *data, size_t len, uv_upload_symbols_summary *out);

#endif
