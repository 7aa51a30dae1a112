/* Native symbolication of one module, the way elfutils' libdwfl does it: a module is an
 * executable or shared object (or its separate debug file); its debug information is found
 * lazily — in the file itself, else by build-id (the store, then /usr/lib/debug/.build-id/
 * xx/yyyy.debug), else by .gnu_debuglink (same directory, .debug/, /usr/lib/debug/DIR) — with
 * its dwz supplementary file (.gnu_debugaltlink) when it has one, and turned once into a
 * symcache (kept in the store's cache when there is a store) that serves every lookup. */
#ifndef UV_NATIVE_H
#define UV_NATIVE_H

#include "formats/symcache.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uv_store *store;           /* optional: symcache cache and debug files by build-id */
    int64_t project_id;        /* for store lookups; 0 = any project */
    const char *const *debug_dirs; /* extra roots searched like /usr/lib/debug; may be NULL */
    size_t debug_dir_count;
} uv_native_options;

typedef struct uv_native_module uv_native_module;

/* What was found for the module (for reports and --verbose). */
typedef struct {
    char build_id[2 * 64 + 1]; /* lowercase hex, "" when none */
    char debug_file[4096];     /* the file the symcache was built from ("" if none) */
    bool has_dwarf, has_inlines, has_symbols;
    bool from_cache;           /* the symcache came from the store's cache */
} uv_native_info;

/* Opens the module at `path` (an ELF file). Errors name the file; a module without any
 * symbols or debug info still opens (lookups then return UV_ENOTFOUND). */
int uv_native_open_file(uv_native_module **out, const char *path, const uv_native_options *options);
/* Opens the module whose GNU build-id is `build_id_hex` from the store (kind "debuginfo",
 * else "executable") or /usr/lib/debug/.build-id. UV_ENOTFOUND naming the build-id. */
int uv_native_open_build_id(uv_native_module **out, const char *build_id_hex,
                            const uv_native_options *options);
void uv_native_free(uv_native_module *module); /* accepts NULL */

const uv_native_info *uv_native_get_info(const uv_native_module *module);

/* Address in the module's own (file) virtual address space → frames, innermost first (see
 * uv_symcache_lookup). */
int uv_native_lookup(uv_native_module *module, uint64_t address, uv_sc_frame *frames, size_t max,
                     size_t *count);

#endif
