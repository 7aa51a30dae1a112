/* DWARF (libdwarf) → uv_debuginfo: line programs (DWARF 2–5), subprograms (low/high pc,
 * DW_AT_ranges, names through DW_AT_specification / DW_AT_abstract_origin, linkage names) and
 * inlined subroutines with their call file/line/column. Sections come from formats/elf.h
 * (compressed ones inflated there); dwz supplementary files (DW_FORM_GNU_ref_alt,
 * DW_FORM_GNU_strp_alt, DWARF 5 _sup forms) are followed when one is given. */
#ifndef UV_DWARF_H
#define UV_DWARF_H

#include "formats/debuginfo.h"
#include "formats/elf.h"

#include <stdbool.h>

typedef struct {
    bool has_debug_info; /* .debug_info present */
    bool has_lines;      /* .debug_line present */
    bool has_inlines;    /* at least one DW_TAG_inlined_subroutine */
    unsigned cu_count;
    unsigned version_min, version_max; /* DWARF versions seen */
} uv_dwarf_summary;

/* Reads the DWARF of `elf` (and of `alt`, the dwz supplementary file, or NULL) into a new
 * model. A file without .debug_info gives UV_ENOTFOUND ("no DWARF debug info"); malformed
 * DWARF gives UV_ECORRUPT with libdwarf's message (UV_LIB_DWARF) naming the CU offset.
 * Compilation units that fail are skipped and counted in `summary` when possible rather
 * than failing the whole file. `summary` may be NULL. Free with uv_debuginfo_free. */
int uv_dwarf_read(uv_debuginfo **out, uv_elf *elf, uv_elf *alt, uv_dwarf_summary *summary);

#endif
