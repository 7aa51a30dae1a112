/* symcache: our own compact, versioned, mmap-able, little-endian lookup file built once per
 * debug file from a uv_debuginfo model and the ELF's function symbols. It maps sorted address
 * ranges to a source location; each location names its function, file, line and column and,
 * for inlined code, the location it was inlined into, so a lookup returns the whole inline
 * chain, innermost first, without touching libdwarf. Addresses without DWARF ranges fall back
 * to ELF symbols (function name only). Function names are stored raw and demangled.
 * Format: see the version history and layout comment in symcache.c and docs/symcache.md. */
#ifndef UV_SYMCACHE_H
#define UV_SYMCACHE_H

#include "formats/buf.h"
#include "formats/debuginfo.h"
#include "formats/elf.h"
#include "formats/str.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct uv_symcache uv_symcache;

typedef struct {
    uv_str function; /* demangled name (or the raw one when it is not mangled); empty if none */
    uv_str raw_name; /* as in the debug file (mangled) */
    uv_str file;     /* empty when unknown */
    uint32_t line;   /* 0 when unknown */
    uint32_t column; /* 0 when unknown */
    uint64_t function_start; /* address of the function's entry (symbol or range start), or 0 */
    bool from_symbol_table;  /* no DWARF here: the name comes from .symtab/.dynsym */
} uv_sc_frame;

/* Writes a symcache for `di` (may be NULL: symbols only) and `symbols` (may be empty).
 * `arch` is a short machine name recorded in the header (e.g. "x86_64"). */
int uv_symcache_write(uv_buf *out, const uv_debuginfo *di, const uv_elf_symbol *symbols,
                      size_t symbol_count, const char *arch);

/* Opens a symcache in `bytes` (zero-copy; must outlive the handle). Another format version
 * or any inconsistency → UV_ECORRUPT (callers rebuild the cache). */
int uv_symcache_open(uv_symcache **out, const void *bytes, size_t len);
void uv_symcache_free(uv_symcache *cache); /* accepts NULL */

/* Looks `address` up: fills up to `max` frames, innermost first, and sets *count to the full
 * chain length (which may exceed max). UV_ENOTFOUND when nothing covers the address. */
int uv_symcache_lookup(const uv_symcache *cache, uint64_t address, uv_sc_frame *frames, size_t max,
                       size_t *count);

/* Facts for reports (`unravel upload symbols`, benchmarks). */
typedef struct {
    size_t ranges, locations, functions, files, symbols;
    bool has_lines, has_inlines;
} uv_symcache_stats;
void uv_symcache_get_stats(const uv_symcache *cache, uv_symcache_stats *out);

#endif
