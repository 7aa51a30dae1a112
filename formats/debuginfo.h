/* A neutral model of what a debug file says about code addresses: a line table, function
 * instances (concrete subprograms and the inlined subroutines inside them) with their address
 * ranges, and the strings they name. Built by the DWARF reader (formats/dwarf.c; later also
 * Breakpad .sym) and consumed by the symcache writer (formats/symcache.c), so lookups never
 * need the reader. Addresses are the debug file's own virtual addresses. */
#ifndef UV_DEBUGINFO_H
#define UV_DEBUGINFO_H

#include "formats/arena.h"
#include "formats/str.h"

#include <stddef.h>
#include <stdint.h>

#define UV_DI_NONE UINT32_MAX

/* One line-table row: it covers [address, next row's address) of its sequence. A row with
 * file == UV_DI_NONE ends a sequence (the address just past its last instruction). Rows are
 * sorted by address (end markers before a row starting at the same address). */
typedef struct {
    uint64_t address;
    uint32_t file;   /* index into files, or UV_DI_NONE for an end-of-sequence marker */
    uint32_t line;   /* 1-based; 0 when the compiler says "no line" */
    uint32_t column; /* 1-based; 0 when unknown */
} uv_di_row;

/* A function instance: a concrete subprogram (parent == UV_DI_NONE) or an inlined subroutine
 * (parent = the instance it was inlined into; call_* = where in the parent it was called). */
typedef struct {
    uint32_t name;        /* index into names: the linkage (mangled) name when the DWARF has
                             one, else the plain DW_AT_name */
    uint32_t parent;      /* index into funcs, or UV_DI_NONE */
    uint32_t call_file;   /* index into files, or UV_DI_NONE */
    uint32_t call_line;   /* 0 when unknown */
    uint32_t call_column; /* 0 when unknown */
    uint32_t depth;       /* 0 for a concrete subprogram, parent's depth + 1 when inlined */
} uv_di_func;

/* An address range [low, high) of a function instance (an instance may have several). */
typedef struct {
    uint64_t low, high;
    uint32_t func; /* index into funcs */
} uv_di_range;

typedef struct {
    uv_arena *arena; /* owns every array and string below */
    uv_str *files;   /* full paths as llvm-symbolizer prints them (comp_dir/dir/name) */
    size_t file_count;
    uv_str *names;
    size_t name_count;
    uv_di_row *rows;
    size_t row_count;
    uv_di_func *funcs;
    size_t func_count;
    uv_di_range *ranges; /* in no particular order */
    size_t range_count;
    size_t units_skipped; /* compilation units left out because they could not be read */
} uv_debuginfo;

/* Frees the model (its arena); accepts NULL. */
void uv_debuginfo_free(uv_debuginfo *di);

/* Building a model, for readers (formats/dwarf.c; later Breakpad .sym). Strings are copied
 * into the model's arena and interned (one index per distinct path or name); rows, functions
 * and ranges are appended in any order and put in their final form by uv_di_builder_finish.
 * Indices must stay below UV_DI_NONE: past that (or past `UV_DI_MAX_ITEMS`) the builder
 * refuses with UV_ETOOBIG. */
#define UV_DI_MAX_ITEMS ((size_t)1 << 30) /* per array: far above any real debug file */

typedef struct uv_di_builder uv_di_builder;

/* A point to roll back to when a unit turns out to be corrupt half-way (interned strings
 * stay: they are harmless). */
typedef struct {
    size_t rows, funcs, ranges;
} uv_di_mark;

int uv_di_builder_new(uv_di_builder **out);
void uv_di_builder_free(uv_di_builder *b); /* accepts NULL */
int uv_di_builder_file(uv_di_builder *b, uv_str path, uint32_t *index);
int uv_di_builder_name(uv_di_builder *b, uv_str name, uint32_t *index);
int uv_di_builder_row(uv_di_builder *b, uint64_t address, uint32_t file, uint32_t line,
                      uint32_t column);
int uv_di_builder_func(uv_di_builder *b, const uv_di_func *func, uint32_t *index);
int uv_di_builder_range(uv_di_builder *b, uint64_t low, uint64_t high, uint32_t func);
uv_di_mark uv_di_builder_mark(const uv_di_builder *b);
void uv_di_builder_rollback(uv_di_builder *b, uv_di_mark mark);
/* Borrowed view of a function appended so far (valid until the next append). */
const uv_di_func *uv_di_builder_func_at(const uv_di_builder *b, uint32_t index);
/* Sorts the rows (stable: rows at one address keep their order, end-of-sequence markers go
 * first), moves everything into a new model and frees the builder, even on failure. */
int uv_di_builder_finish(uv_di_builder *b, uv_debuginfo **out);

#endif
