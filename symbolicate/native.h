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

/* Whose naming rules a lookup follows, for tools that must answer exactly like another one. */
typedef enum {
    /* The symcache's own answer (formats/symcache.c): DWARF frames, the outermost one named
     * by the function symbol covering the address (debug file's .symtab preferred). */
    UV_NATIVE_NAMES_DEBUGINFO,
    /* llvm-symbolizer 14: the outermost (non-inlined) frame is named by the module's own
     * symbol table (.symtab, else .dynsym: functions, objects and untyped symbols, a symbol
     * of size 0 reaching to the next one) when a symbol covers the address — so GCC clones
     * read "f.constprop.0" — and a local symbol without line info takes the file name of
     * the STT_FILE symbol before it. */
    UV_NATIVE_NAMES_LLVM,
    /* GNU addr2line (binutils 2.40): DWARF names; where DWARF says nothing, the nearest
     * code symbol (function or untyped) at or before the address in the same section (any
     * size), with its STT_FILE name, from the debug file's symbol table when it has one. */
    UV_NATIVE_NAMES_GNU,
    /* DWARF alone, no symbol table at all (llvm-symbolizer --functions=none). */
    UV_NATIVE_NAMES_DWARF,
} uv_native_names;

typedef struct {
    uv_store *store;               /* optional: symcache cache and debug files by build-id */
    int64_t project_id;            /* for store lookups; 0 = any project */
    const char *const *debug_dirs; /* extra roots searched like /usr/lib/debug; may be NULL */
    size_t debug_dir_count;
    /* The naming rules the lookups will follow (zero: UV_NATIVE_NAMES_DEBUGINFO). With LLVM
     * or GNU the symcache holds DWARF names only (its own cache entry) and the tool's symbol
     * rules are applied at lookup, so each tool's answers are exact; other rules still work
     * on that module but are then approximate. */
    uv_native_names names;
} uv_native_options;

typedef struct uv_native_module uv_native_module;

/* What was found for the module (for reports and --verbose). */
typedef struct {
    char build_id[2 * 64 + 1]; /* lowercase hex, "" when none */
    char debug_file[4096];     /* the file the symcache was built from ("" if none) */
    bool has_dwarf, has_inlines, has_symbols;
    bool from_cache;     /* the symcache came from the store's cache */
    char alt_file[4096]; /* the dwz supplementary file used ("" if none) */
    char note[512];      /* why debug info is missing or partial ("" when all is well) */
    bool elf64;          /* a 64-bit ELF (addresses print with 16 hex digits in GNU style) */
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

/* The module's ELF files as found at open: the file itself, its separate debug file (NULL
 * when the file holds its own DWARF or none was found) and its dwz supplementary file (NULL
 * when none). Borrowed: they live as long as the module (dump-syms, call frame info). */
void uv_native_elf_files(const uv_native_module *module, uv_elf **main, uv_elf **debug,
                         uv_elf **alt);

/* Address in the module's own (file) virtual address space → frames, innermost first (see
 * uv_symcache_lookup). */
int uv_native_lookup(uv_native_module *module, uint64_t address, uv_sc_frame *frames, size_t max,
                     size_t *count);

/* uv_native_lookup with the naming rules of `names`. Names taken from a symbol table come
 * back raw in raw_name and demangled (llvm-symbolizer's way) in function; they live as long
 * as the module. With UV_NATIVE_NAMES_LLVM, function_start is llvm-symbolizer's
 * StartAddress: the start of the symbol that named the outermost frame (else that frame's
 * DWARF entry), 0 on every inlined frame. */
int uv_native_lookup_as(uv_native_module *module, uint64_t address, uv_native_names names,
                        uv_sc_frame *frames, size_t max, size_t *count);

#endif
