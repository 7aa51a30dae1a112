/* symcache: the native lookup file.
 *
 * Format (all integers little-endian, every array 8-byte aligned, offsets from the start):
 *   header     80 bytes (disk_header): magic "UVSC", version, counts, array offsets, flags
 *   starts     range_count x u64: sorted, strictly increasing range starts; range i covers
 *              [starts[i], starts[i+1]) and the last one runs to the end of the address space
 *   range_locs range_count x u32: the innermost source location of range i, or UINT32_MAX for
 *              a gap (an address range nothing describes)
 *   locations  location_count x 24 bytes (disk_location): function, file, line, column, the
 *              location it was inlined into (always a smaller index, or UINT32_MAX) and flags
 *   functions  function_count x 24 bytes (disk_function): raw and demangled name, entry address
 *   files      file_count x 8 bytes (disk_str): full paths
 *   strings    strtab_size bytes; every string is followed by a NUL (not counted in its length)
 *
 * Lookup: binary search of `starts` for the last start <= address, then walk `inlined_into`
 * from that range's location: one frame per location, innermost first. O(log n), no allocation.
 *
 * Writing (uv_symcache_write) reproduces llvm-symbolizer --inlining on the model:
 *  - an address's innermost instance is the deepest function instance with a range containing
 *    it (ties: the smaller range, then the higher instance index: the later DIE), whatever its
 *    parents' ranges;
 *  - its line row is the last row whose address is <= the address; an end-of-sequence marker
 *    there means "no row";
 *  - frame 0 = (innermost instance's name, row's file/line/column); each further frame is the
 *    parent instance at the call site (call_file/line/column) of the frame below it;
 *  - the outermost frame's name comes from the ELF symbol covering the address when there is
 *    one (llvm-symbolizer does this for DWARF, which is how `main.cold` and
 *    `f() (.constprop.0)` get their names); a symbol covers [addr, addr+size), or with size 0
 *    everything up to the next symbol; only the last symbol at or below the address counts;
 *  - no instance but a row: one frame with the row and the symbol's name; an instance but no
 *    row: file unknown, line 0; neither: the symbol alone (from_symbol_table); else nothing.
 * The writer sweeps once over the sorted event addresses (range bounds, rows, symbol bounds)
 * with a heap of open ranges, interning locations in a hash table so that inline chains are
 * shared, and merges neighbouring intervals with the same location: O(n log n).
 *
 * Version history:
 *   1  first version. */
#include "formats/symcache.h"

#include "formats/demangle.h"
#include "formats/endian.h"
#include "formats/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SC_MAGIC 0x43535655u         /* "UVSC" read as little-endian bytes */
#define SC_MAGIC_FLIPPED 0x55565343u /* the same bytes read big-endian */
#define SC_VERSION 1u
#define SC_NONE UINT32_MAX

#define SC_LOC_FROM_SYMTAB 1u /* disk_location.flags: the frame comes from the symbol table */
#define SC_HAS_LINES 1u       /* disk_header.flags */
#define SC_HAS_INLINES 2u

/* Every index is a u32 with UINT32_MAX as "none"; model sizes are capped below that. The
 * largest real inputs (big C++ binaries) have a few million rows and ranges. */
#define SC_MAX_ITEMS ((size_t)UINT32_MAX - 1)

typedef struct {
    uint32_t off, len;
} disk_str;

typedef struct {
    uint32_t function; /* index into functions, or SC_NONE (no name known) */
    uint32_t file;     /* index into files, or SC_NONE */
    uint32_t line, column;
    uint32_t inlined_into; /* a smaller location index, or SC_NONE */
    uint32_t flags;        /* SC_LOC_FROM_SYMTAB */
} disk_location;

typedef struct {
    disk_str raw, demangled; /* demangled == raw when the name is not mangled */
    uint64_t entry;
} disk_function;

typedef struct {
    uint32_t magic;
    uint32_t version;
    uint32_t range_count;
    uint32_t location_count;
    uint32_t function_count;
    uint32_t file_count;
    uint32_t symbol_count; /* ELF symbols given to the writer (for statistics) */
    uint32_t strtab_size;
    uint32_t flags; /* SC_HAS_LINES | SC_HAS_INLINES */
    disk_str arch;
    uint32_t starts_offset, range_locs_offset, locations_offset, functions_offset;
    uint32_t files_offset, strtab_offset;
    uint32_t reserved[3]; /* zero; for later versions */
} disk_header;

_Static_assert(sizeof(disk_str) == 8, "string ref is 8 bytes on disk");
_Static_assert(sizeof(disk_location) == 24, "location is 24 bytes on disk");
_Static_assert(sizeof(disk_function) == 24, "function is 24 bytes on disk");
_Static_assert(sizeof(disk_header) == 80, "header is 80 bytes on disk");

/* Lookups first search every SC_SAMPLE-th range start, a copy made at open that stays in
 * cache (a 2M-range file has a 250 KB sample), then one block of the mapped starts. */
#define SC_SAMPLE_SHIFT 6

struct uv_symcache {
    uint64_t *samples; /* starts[i << SC_SAMPLE_SHIFT] */
    size_t sample_count;
    const uint64_t *starts;
    const uint32_t *range_locs;
    const disk_location *locations;
    const disk_function *functions;
    const disk_str *files;
    const char *strtab;
    uint32_t range_count, location_count, function_count, file_count, symbol_count;
    uint32_t strtab_size, flags;
};

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(int code, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return uv_error_set(code, UV_LIB_NONE, 0, "%s", msg);
}

static int oom(void)
{
    return fail(UV_ENOMEM, "symcache: out of memory");
}

/* ---- Writer: string table ---------------------------------------------------------------- */

typedef struct {
    uint32_t off, len, hash;
    disk_str demangled; /* for names: the demangled form's ref; off == SC_NONE until known */
} str_slot;

typedef struct {
    uv_buf data;
    str_slot *slots; /* open addressing; len == UINT32_MAX marks an empty slot */
    size_t cap, count;
} strtab_builder;

static uint32_t hash_bytes(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static int strtab_grow(strtab_builder *t)
{
    size_t cap = t->cap ? t->cap * 2 : 1024;
    str_slot *slots = malloc(cap * sizeof *slots);
    if (!slots) return oom();
    for (size_t i = 0; i < cap; i++)
        slots[i].len = UINT32_MAX;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slots[i].len == UINT32_MAX) continue;
        size_t j = t->slots[i].hash & (cap - 1);
        while (slots[j].len != UINT32_MAX)
            j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

/* Interns s[0..n) and returns its reference and its slot (valid until the next add). */
static int strtab_add_slot(strtab_builder *t, const char *s, size_t n, disk_str *ref, size_t *slot)
{
    if ((t->count + 1) * 2 > t->cap) {
        int rc = strtab_grow(t);
        if (rc) return rc;
    }
    if (n >= UINT32_MAX) return fail(UV_ETOOBIG, "symcache: a string of %zu bytes", n);
    uint32_t h = hash_bytes(s, n);
    size_t j = h & (t->cap - 1);
    while (t->slots[j].len != UINT32_MAX) {
        const str_slot *e = &t->slots[j];
        if (e->hash == h && e->len == n && (n == 0 || memcmp(t->data.data + e->off, s, n) == 0)) {
            *ref = (disk_str){e->off, e->len};
            *slot = j;
            return 0;
        }
        j = (j + 1) & (t->cap - 1);
    }
    if (t->data.len > UINT32_MAX - 1 - n)
        return fail(UV_ETOOBIG, "symcache: string table over 4 GiB");
    uint32_t off = (uint32_t)t->data.len;
    int rc = uv_buf_append(&t->data, s, n);
    if (!rc) rc = uv_buf_append(&t->data, "", 1);
    if (rc) return rc;
    t->slots[j] = (str_slot){off, (uint32_t)n, h, {SC_NONE, 0}};
    t->count++;
    *ref = (disk_str){off, (uint32_t)n};
    *slot = j;
    return 0;
}

static int strtab_add(strtab_builder *t, const char *s, size_t n, disk_str *ref)
{
    size_t slot;
    return strtab_add_slot(t, s, n, ref, &slot);
}

/* ---- Writer: interned records -------------------------------------------------------------- */

/* A hash set of fixed-size records of u32 words, stored in one growable array. */
typedef struct {
    uint32_t *words; /* count x width */
    size_t width, count, words_cap;
    uint64_t *table; /* hash << 32 | (record index + 1); 0 = empty */
    size_t table_cap;
} record_set;

static uint32_t hash_words(const uint32_t *w, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n; i++) {
        h ^= w[i];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 29;
    }
    return (uint32_t)(h ^ (h >> 32));
}

static int set_rehash(record_set *s)
{
    size_t cap = s->table_cap ? s->table_cap * 2 : 4096;
    uint64_t *table = calloc(cap, sizeof *table);
    if (!table) return oom();
    for (size_t i = 0; i < s->table_cap; i++) {
        if (!s->table[i]) continue;
        size_t j = (s->table[i] >> 32) & (cap - 1);
        while (table[j])
            j = (j + 1) & (cap - 1);
        table[j] = s->table[i];
    }
    free(s->table);
    s->table = table;
    s->table_cap = cap;
    return 0;
}

/* Sizes the table for about `expected` records up front (saves rehashing big inputs). */
static int set_reserve(record_set *s, size_t expected)
{
    if (expected > ((size_t)1 << 26)) expected = (size_t)1 << 26; /* a hint, not a limit */
    while (s->table_cap < expected * 2) {
        int rc = set_rehash(s);
        if (rc) return rc;
    }
    return 0;
}

static bool words_equal(const uint32_t *a, const uint32_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return false;
    return true;
}

/* Finds or adds the record `w`; *index is its position (insertion order). */
static int set_intern(record_set *s, const uint32_t *w, uint32_t *index)
{
    if ((s->count + 1) * 2 > s->table_cap) {
        int rc = set_rehash(s);
        if (rc) return rc;
    }
    uint32_t h = hash_words(w, s->width);
    size_t j = h & (s->table_cap - 1);
    while (s->table[j]) {
        if ((uint32_t)(s->table[j] >> 32) == h) {
            uint32_t i = (uint32_t)s->table[j] - 1;
            if (words_equal(s->words + (size_t)i * s->width, w, s->width)) {
                *index = i;
                return 0;
            }
        }
        j = (j + 1) & (s->table_cap - 1);
    }
    if (s->count >= SC_MAX_ITEMS) return fail(UV_ETOOBIG, "symcache: too many records");
    if ((s->count + 1) * s->width > s->words_cap) {
        size_t cap = s->words_cap ? s->words_cap * 2 : 1024 * s->width;
        uint32_t *grown = realloc(s->words, cap * sizeof *grown);
        if (!grown) return oom();
        s->words = grown;
        s->words_cap = cap;
    }
    memcpy(s->words + s->count * s->width, w, s->width * 4);
    *index = (uint32_t)s->count;
    s->table[j] = (uint64_t)h << 32 | (uint64_t)(s->count + 1);
    s->count++;
    return 0;
}

static void set_free(record_set *s)
{
    free(s->words);
    free(s->table);
}

/* ---- Writer: state ------------------------------------------------------------------------- */

typedef struct {
    uint64_t addr, end; /* end exclusive; UINT64_MAX with `open_end` = to the next symbol / end */
    uv_str name;
    bool open_end;
} sym_entry;

typedef struct {
    uint64_t low, high;
    uint32_t func;
} range_entry;

typedef struct {
    const uv_debuginfo *di;
    strtab_builder strings;
    uv_arena *arena;               /* demangled names */
    record_set functions;          /* raw.off, raw.len, dem.off, dem.len, entry lo, entry hi */
    record_set locations;          /* disk_location words */
    uint32_t *file_map;            /* model file -> disk file, lazily (SC_NONE until used) */
    record_set files;              /* off, len */
    bool *name_done;               /* model name -> name_refs filled */
    disk_str *name_refs;           /* raw and demangled refs per model name */
    uint32_t *inst_fn;             /* func -> function record, SC_NONE until used */
    uint64_t *inst_entry;          /* func -> lowest range start */
    uint32_t *memo_loc, *memo_sym; /* func -> call-site chain location for a symbol */
    bool *memo_valid;
    uint32_t *parent; /* effective parent (strictly smaller depth) or SC_NONE */
    sym_entry *syms;
    size_t sym_count;
    uint32_t *sym_fn; /* symbol -> function record */
    uint32_t *stack;  /* chain scratch */
    size_t stack_cap;
    bool has_lines, has_inlines;
} writer;

/* Interns a raw name: both spellings go in the string table; each distinct name is
 * demangled once. */
static int name_refs(writer *w, uv_str raw, disk_str *raw_ref, disk_str *dem_ref)
{
    size_t slot;
    int rc = strtab_add_slot(&w->strings, raw.ptr ? raw.ptr : "", raw.len, raw_ref, &slot);
    if (rc) return rc;
    if (w->strings.slots[slot].demangled.off != SC_NONE) {
        *dem_ref = w->strings.slots[slot].demangled;
        return 0;
    }
    const char *dem = raw.len ? uv_demangle(raw.ptr, raw.len, w->arena) : NULL;
    if (!dem) {
        *dem_ref = *raw_ref;
    } else {
        if ((rc = strtab_add(&w->strings, dem, strlen(dem), dem_ref))) return rc;
        /* the table may have grown: find the raw name's slot again */
        if ((rc = strtab_add_slot(&w->strings, raw.ptr ? raw.ptr : "", raw.len, raw_ref, &slot)))
            return rc;
    }
    w->strings.slots[slot].demangled = *dem_ref;
    return 0;
}

static int function_record(writer *w, disk_str raw, disk_str dem, uint64_t entry, uint32_t *out)
{
    uint32_t words[6] = {raw.off, raw.len,         dem.off,
                         dem.len, (uint32_t)entry, (uint32_t)(entry >> 32)};
    return set_intern(&w->functions, words, out);
}

static int instance_function(writer *w, uint32_t f, uint32_t *out)
{
    if (w->inst_fn[f] != SC_NONE) {
        *out = w->inst_fn[f];
        return 0;
    }
    uint32_t name = w->di->funcs[f].name;
    disk_str raw = {0, 0}, dem = {0, 0};
    int rc;
    if (name == UV_DI_NONE) {
        if ((rc = strtab_add(&w->strings, "", 0, &raw))) return rc;
        dem = raw;
    } else {
        if (!w->name_done[name]) {
            if ((rc = name_refs(w, w->di->names[name], &w->name_refs[2 * (size_t)name],
                                &w->name_refs[2 * (size_t)name + 1])))
                return rc;
            w->name_done[name] = true;
        }
        raw = w->name_refs[2 * (size_t)name];
        dem = w->name_refs[2 * (size_t)name + 1];
    }
    if ((rc = function_record(w, raw, dem, w->inst_entry[f], out))) return rc;
    w->inst_fn[f] = *out;
    return 0;
}

static int symbol_function(writer *w, size_t s, uint32_t *out)
{
    if (w->sym_fn[s] != SC_NONE) {
        *out = w->sym_fn[s];
        return 0;
    }
    disk_str raw, dem;
    int rc = name_refs(w, w->syms[s].name, &raw, &dem);
    if (!rc) rc = function_record(w, raw, dem, w->syms[s].addr, out);
    if (!rc) w->sym_fn[s] = *out;
    return rc;
}

static int disk_file(writer *w, uint32_t file, uint32_t *out)
{
    if (file == UV_DI_NONE) {
        *out = SC_NONE;
        return 0;
    }
    if (w->file_map[file] != SC_NONE) {
        *out = w->file_map[file];
        return 0;
    }
    disk_str ref;
    uv_str path = w->di->files[file];
    int rc = strtab_add(&w->strings, path.ptr ? path.ptr : "", path.len, &ref);
    uint32_t words[2] = {ref.off, ref.len};
    if (!rc) rc = set_intern(&w->files, words, out);
    if (!rc) w->file_map[file] = *out;
    return rc;
}

static int location(writer *w, uint32_t function, uint32_t model_file, uint32_t line,
                    uint32_t column, uint32_t inlined_into, uint32_t flags, uint32_t *out)
{
    uint32_t file;
    int rc = disk_file(w, model_file, &file);
    if (rc) return rc;
    uint32_t words[6] = {function, file, line, column, inlined_into, flags};
    return set_intern(&w->locations, words, out);
}

/* The name of instance f as a frame: the covering symbol's when f is outermost. */
static int frame_function(writer *w, uint32_t f, size_t sym, uint32_t *out)
{
    if (w->parent[f] == SC_NONE && sym != SIZE_MAX) return symbol_function(w, sym, out);
    return instance_function(w, f, out);
}

/* The location of f's parent at f's call site, with its own chain (SC_NONE when f is
 * outermost), memoised per instance for the current symbol. */
static int call_site_chain(writer *w, uint32_t f, size_t sym, uint32_t *out)
{
    uint32_t sym_tag = sym == SIZE_MAX ? SC_NONE : (uint32_t)sym;
    size_t depth = 0;
    uint32_t g = f, base = SC_NONE;
    /* climb until an outermost instance or a memoised one */
    for (;;) {
        if (w->parent[g] == SC_NONE) {
            base = SC_NONE;
            break;
        }
        if (w->memo_valid[g] && w->memo_sym[g] == sym_tag) {
            base = w->memo_loc[g];
            break;
        }
        uint32_t *grown = uv_array_grow(w->stack, &w->stack_cap, depth, sizeof *w->stack, 64);
        if (!grown) return uv_error_last()->code;
        w->stack = grown;
        w->stack[depth++] = g;
        g = w->parent[g];
    }
    /* now fill from the top down: stack[depth-1] is the highest non-memoised instance */
    while (depth > 0) {
        uint32_t h = w->stack[--depth];
        const uv_di_func *fn = &w->di->funcs[h];
        uint32_t p = w->parent[h], function;
        int rc = frame_function(w, p, sym, &function);
        if (!rc)
            rc = location(w, function, fn->call_file, fn->call_line, fn->call_column, base, 0,
                          &base);
        if (rc) return rc;
        w->memo_valid[h] = true;
        w->memo_sym[h] = sym_tag;
        w->memo_loc[h] = base;
    }
    *out = base;
    return 0;
}

/* ---- Writer: sorting and the open-range heap ----------------------------------------------- */

static int cmp_range(const void *a, const void *b)
{
    const range_entry *x = a, *y = b;
    if (x->low != y->low) return x->low < y->low ? -1 : 1;
    if (x->high != y->high) return x->high < y->high ? -1 : 1;
    return x->func < y->func ? -1 : x->func > y->func;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    uint64_t addr;
    size_t index;
} addr_index;

static int cmp_addr_index(const void *a, const void *b)
{
    const addr_index *x = a, *y = b;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

typedef struct {
    const range_entry *ranges;
    const uv_di_func *funcs;
    uint32_t *items; /* indices into ranges */
    size_t count;
} range_heap;

/* true when range a is a better innermost candidate than range b */
static bool heap_better(const range_heap *h, uint32_t a, uint32_t b)
{
    const range_entry *x = &h->ranges[a], *y = &h->ranges[b];
    uint32_t dx = h->funcs[x->func].depth, dy = h->funcs[y->func].depth;
    if (dx != dy) return dx > dy;
    uint64_t sx = x->high - x->low, sy = y->high - y->low;
    if (sx != sy) return sx < sy;
    /* identical ranges (glibc's __memcpy_erms/__memmove_erms aliases): llvm-symbolizer keeps
     * the later DIE, which has the higher instance index */
    if (x->func != y->func) return x->func > y->func;
    return a < b;
}

static void heap_push(range_heap *h, uint32_t r)
{
    size_t i = h->count++;
    h->items[i] = r;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!heap_better(h, h->items[i], h->items[p])) break;
        uint32_t t = h->items[i];
        h->items[i] = h->items[p];
        h->items[p] = t;
        i = p;
    }
}

static void heap_pop(range_heap *h)
{
    h->items[0] = h->items[--h->count];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, best = i;
        if (l < h->count && heap_better(h, h->items[l], h->items[best])) best = l;
        if (r < h->count && heap_better(h, h->items[r], h->items[best])) best = r;
        if (best == i) break;
        uint32_t t = h->items[i];
        h->items[i] = h->items[best];
        h->items[best] = t;
        i = best;
    }
}

/* ---- Writer: model checks -------------------------------------------------------------- */

static int check_model(const uv_debuginfo *di)
{
    if (di->file_count > SC_MAX_ITEMS || di->name_count > SC_MAX_ITEMS ||
        di->func_count > SC_MAX_ITEMS || di->range_count > SC_MAX_ITEMS ||
        di->row_count > SC_MAX_ITEMS)
        return fail(UV_ETOOBIG, "symcache: debug info model too large");
    if ((di->file_count && !di->files) || (di->name_count && !di->names) ||
        (di->func_count && !di->funcs) || (di->range_count && !di->ranges) ||
        (di->row_count && !di->rows))
        return fail(UV_EINVALID, "symcache: debug info model has a missing array");
    for (size_t i = 0; i < di->row_count; i++)
        if (di->rows[i].file != UV_DI_NONE && di->rows[i].file >= di->file_count)
            return fail(UV_EINVALID, "symcache: row %zu names file %u of %zu", i, di->rows[i].file,
                        di->file_count);
    for (size_t i = 0; i < di->func_count; i++) {
        const uv_di_func *f = &di->funcs[i];
        if (f->name != UV_DI_NONE && f->name >= di->name_count)
            return fail(UV_EINVALID, "symcache: function %zu names name %u of %zu", i, f->name,
                        di->name_count);
        if (f->parent != UV_DI_NONE && f->parent >= di->func_count)
            return fail(UV_EINVALID, "symcache: function %zu has parent %u of %zu", i, f->parent,
                        di->func_count);
        if (f->call_file != UV_DI_NONE && f->call_file >= di->file_count)
            return fail(UV_EINVALID, "symcache: function %zu has call file %u of %zu", i,
                        f->call_file, di->file_count);
    }
    for (size_t i = 0; i < di->range_count; i++)
        if (di->ranges[i].func >= di->func_count)
            return fail(UV_EINVALID, "symcache: range %zu names function %u of %zu", i,
                        di->ranges[i].func, di->func_count);
    return 0;
}

/* ---- Writer: output -------------------------------------------------------------------- */

static int pad8(uv_buf *out, size_t start)
{
    static const uint8_t zeros[8] = {0};
    size_t rem = (out->len - start) & 7u;
    return rem ? uv_buf_append(out, zeros, 8 - rem) : 0;
}

static int append_le32s(uv_buf *out, const uint32_t *v, size_t n)
{
    if (n == 0) return 0;
    uint8_t *p = uv_buf_reserve(out, n * 4);
    if (!p) return uv_error_last()->code;
    for (size_t i = 0; i < n; i++)
        uv_put_le32(p + 4 * i, v[i]);
    out->len += n * 4;
    return 0;
}

static int append_le64s(uv_buf *out, const uint64_t *v, size_t n)
{
    if (n == 0) return 0;
    uint8_t *p = uv_buf_reserve(out, n * 8);
    if (!p) return uv_error_last()->code;
    for (size_t i = 0; i < n; i++) {
        uv_put_le32(p + 8 * i, (uint32_t)v[i]);
        uv_put_le32(p + 8 * i + 4, (uint32_t)(v[i] >> 32));
    }
    out->len += n * 8;
    return 0;
}

static int section_offset(uv_buf *out, size_t start, uint32_t *offset)
{
    int rc = pad8(out, start);
    if (rc) return rc;
    if (out->len - start > UINT32_MAX) return fail(UV_ETOOBIG, "symcache: file over 4 GiB");
    *offset = (uint32_t)(out->len - start);
    return 0;
}

typedef struct {
    uint64_t *starts;
    uint32_t *locs;
    size_t count, cap;
} range_out;

static int emit_range(range_out *r, uint64_t start, uint32_t loc)
{
    if (r->count > 0 && r->locs[r->count - 1] == loc) return 0; /* merge neighbours */
    if (r->count == 0 && loc == SC_NONE) return 0;              /* no leading gap */
    if (r->count >= SC_MAX_ITEMS) return fail(UV_ETOOBIG, "symcache: too many ranges");
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        uint64_t *s = realloc(r->starts, cap * sizeof *s);
        if (!s) return oom();
        r->starts = s;
        uint32_t *l = realloc(r->locs, cap * sizeof *l);
        if (!l) return oom();
        r->locs = l;
        r->cap = cap;
    }
    r->starts[r->count] = start;
    r->locs[r->count] = loc;
    r->count++;
    return 0;
}

#define MIN_EVENT(next, has, v)                                                                    \
    do {                                                                                           \
        uint64_t v_ = (v);                                                                         \
        if (!(has) || v_ < (next)) (next) = v_;                                                    \
        (has) = true;                                                                              \
    } while (0)

/* Prepares sorted symbols: one per address (the largest size, as llvm-symbolizer keeps). */
static int prepare_symbols(writer *w, const uv_elf_symbol *symbols, size_t count)
{
    if (count == 0) return 0;
    if (count > SC_MAX_ITEMS) return fail(UV_ETOOBIG, "symcache: too many symbols");
    addr_index *order = malloc(count * sizeof *order);
    w->syms = malloc(count * sizeof *w->syms);
    if (!order || !w->syms) {
        free(order);
        return oom();
    }
    for (size_t i = 0; i < count; i++)
        order[i] = (addr_index){symbols[i].addr, i};
    qsort(order, count, sizeof *order, cmp_addr_index);
    size_t n = 0;
    for (size_t k = 0; k < count; k++) {
        const uv_elf_symbol *s = &symbols[order[k].index];
        sym_entry e = {s->addr, 0, s->name, s->size == 0};
        if (!e.open_end) e.end = s->addr + s->size < s->addr ? UINT64_MAX : s->addr + s->size;
        if (n > 0 && w->syms[n - 1].addr == e.addr) {
            sym_entry *prev = &w->syms[n - 1];
            /* keep the larger size (size 0 counts as the smallest) */
            if (!e.open_end && (prev->open_end || e.end > prev->end)) *prev = e;
            continue;
        }
        w->syms[n++] = e;
    }
    free(order);
    w->sym_count = n;
    w->sym_fn = malloc(n * sizeof *w->sym_fn);
    if (!w->sym_fn) return oom();
    for (size_t i = 0; i < n; i++)
        w->sym_fn[i] = SC_NONE;
    return 0;
}

/* Sweeps the event addresses and fills `r`. */
static int sweep(writer *w, range_out *r)
{
    const uv_debuginfo *di = w->di;
    size_t range_count = 0, row_count = di ? di->row_count : 0;
    range_entry *ranges = NULL;
    uint64_t *highs = NULL;
    addr_index *row_order = NULL;
    range_heap heap = {0};
    int rc = 0;

    if (di && di->range_count) {
        ranges = malloc(di->range_count * sizeof *ranges);
        highs = malloc(di->range_count * sizeof *highs);
        heap.items = malloc(di->range_count * sizeof *heap.items);
        if (!ranges || !highs || !heap.items) {
            rc = oom();
            goto done;
        }
        for (size_t i = 0; i < di->range_count; i++) {
            const uv_di_range *x = &di->ranges[i];
            if (x->low >= x->high) continue; /* empty ranges cover nothing */
            ranges[range_count] = (range_entry){x->low, x->high, x->func};
            highs[range_count] = x->high;
            range_count++;
        }
        qsort(ranges, range_count, sizeof *ranges, cmp_range);
        qsort(highs, range_count, sizeof *highs, cmp_u64);
        heap.ranges = ranges;
        heap.funcs = di->funcs;
    }
    /* rows in address order, keeping the given order among equal addresses */
    bool rows_sorted = true;
    for (size_t i = 1; i < row_count && rows_sorted; i++)
        rows_sorted = di->rows[i - 1].address <= di->rows[i].address;
    if (!rows_sorted) {
        row_order = malloc(row_count * sizeof *row_order);
        if (!row_order) {
            rc = oom();
            goto done;
        }
        for (size_t i = 0; i < row_count; i++)
            row_order[i] = (addr_index){di->rows[i].address, i};
        qsort(row_order, row_count, sizeof *row_order, cmp_addr_index);
    }
#define ROW(k) (&di->rows[row_order ? row_order[k].index : (k)])

    size_t ri = 0, li = 0, hi = 0, si = 0;
    size_t cur_row = SIZE_MAX, cur_sym = SIZE_MAX;
    uint64_t pos = 0;
    bool has = false;
    if (row_count) MIN_EVENT(pos, has, ROW(0)->address);
    if (range_count) MIN_EVENT(pos, has, ranges[0].low);
    if (w->sym_count) MIN_EVENT(pos, has, w->syms[0].addr);
    while (has) {
        while (ri < row_count && ROW(ri)->address <= pos)
            cur_row = ri++;
        while (li < range_count && ranges[li].low <= pos)
            heap_push(&heap, (uint32_t)li++);
        while (hi < range_count && highs[hi] <= pos)
            hi++;
        while (si < w->sym_count && w->syms[si].addr <= pos)
            cur_sym = si++;
        while (heap.count && ranges[heap.items[0]].high <= pos)
            heap_pop(&heap);

        uint64_t next = 0;
        bool more = false;
        if (ri < row_count) MIN_EVENT(next, more, ROW(ri)->address);
        if (li < range_count) MIN_EVENT(next, more, ranges[li].low);
        if (hi < range_count) MIN_EVENT(next, more, highs[hi]);
        if (si < w->sym_count) MIN_EVENT(next, more, w->syms[si].addr);
        size_t sym = SIZE_MAX;
        if (cur_sym != SIZE_MAX) {
            const sym_entry *s = &w->syms[cur_sym];
            if (s->open_end || pos < s->end) {
                sym = cur_sym;
                if (!s->open_end) MIN_EVENT(next, more, s->end);
            }
        }

        const uv_di_row *row = NULL;
        if (cur_row != SIZE_MAX && ROW(cur_row)->file != UV_DI_NONE) row = ROW(cur_row);
        uint32_t loc = SC_NONE;
        if (heap.count) {
            uint32_t f = ranges[heap.items[0]].func, function = SC_NONE, inlined_into = SC_NONE;
            if ((rc = call_site_chain(w, f, sym, &inlined_into))) goto done;
            if ((rc = frame_function(w, f, sym, &function))) goto done;
            if ((rc = location(w, function, row ? row->file : UV_DI_NONE, row ? row->line : 0,
                               row ? row->column : 0, inlined_into, 0, &loc)))
                goto done;
            if (inlined_into != SC_NONE) w->has_inlines = true;
            if (row) w->has_lines = true;
        } else if (row) {
            uint32_t function = SC_NONE;
            if (sym != SIZE_MAX && (rc = symbol_function(w, sym, &function))) goto done;
            if ((rc = location(w, function, row->file, row->line, row->column, SC_NONE, 0, &loc)))
                goto done;
            w->has_lines = true;
        } else if (sym != SIZE_MAX) {
            uint32_t function;
            if ((rc = symbol_function(w, sym, &function))) goto done;
            if ((rc = location(w, function, UV_DI_NONE, 0, 0, SC_NONE, SC_LOC_FROM_SYMTAB, &loc)))
                goto done;
        }
        if ((rc = emit_range(r, pos, loc))) goto done;
        if (!more || next <= pos) break; /* next <= pos cannot happen; guards the loop */
        pos = next;
    }
    /* the last interval ends where the sweep ends unless it runs to the end of the space */
#undef ROW
done:
    free(ranges);
    free(highs);
    free(heap.items);
    free(row_order);
    return rc;
}

static void writer_free(writer *w)
{
    uv_buf_free(&w->strings.data);
    free(w->strings.slots);
    uv_arena_free(w->arena);
    set_free(&w->functions);
    set_free(&w->locations);
    set_free(&w->files);
    free(w->file_map);
    free(w->name_done);
    free(w->name_refs);
    free(w->inst_fn);
    free(w->inst_entry);
    free(w->memo_loc);
    free(w->memo_sym);
    free(w->memo_valid);
    free(w->parent);
    free(w->syms);
    free(w->sym_fn);
    free(w->stack);
}

static int writer_init(writer *w, const uv_debuginfo *di)
{
    w->functions.width = 6;
    w->locations.width = 6;
    w->files.width = 2;
    int rc = uv_arena_new(&w->arena);
    if (rc) return rc;
    if (!di) return 0;
    size_t nf = di->func_count, nn = di->name_count, nfiles = di->file_count;
    w->file_map = malloc((nfiles ? nfiles : 1) * sizeof *w->file_map);
    w->name_done = calloc(nn ? nn : 1, sizeof *w->name_done);
    w->name_refs = malloc((nn ? nn : 1) * 2 * sizeof *w->name_refs);
    w->inst_fn = malloc((nf ? nf : 1) * sizeof *w->inst_fn);
    w->inst_entry = malloc((nf ? nf : 1) * sizeof *w->inst_entry);
    w->memo_loc = malloc((nf ? nf : 1) * sizeof *w->memo_loc);
    w->memo_sym = malloc((nf ? nf : 1) * sizeof *w->memo_sym);
    w->memo_valid = calloc(nf ? nf : 1, sizeof *w->memo_valid);
    w->parent = malloc((nf ? nf : 1) * sizeof *w->parent);
    if (!w->file_map || !w->name_done || !w->name_refs || !w->inst_fn || !w->inst_entry ||
        !w->memo_loc || !w->memo_sym || !w->memo_valid || !w->parent)
        return oom();
    for (size_t i = 0; i < nfiles; i++)
        w->file_map[i] = SC_NONE;
    for (size_t i = 0; i < nf; i++) {
        w->inst_fn[i] = SC_NONE;
        w->inst_entry[i] = UINT64_MAX;
        /* a parent must be shallower: this also rules out cycles */
        uint32_t p = di->funcs[i].parent;
        w->parent[i] = p != UV_DI_NONE && di->funcs[p].depth < di->funcs[i].depth ? p : SC_NONE;
    }
    for (size_t i = 0; i < di->range_count; i++) {
        const uv_di_range *x = &di->ranges[i];
        if (x->low < x->high && x->low < w->inst_entry[x->func]) w->inst_entry[x->func] = x->low;
    }
    for (size_t i = 0; i < nf; i++)
        if (w->inst_entry[i] == UINT64_MAX) w->inst_entry[i] = 0;
    return 0;
}

int uv_symcache_write(uv_buf *out, const uv_debuginfo *di, const uv_elf_symbol *symbols,
                      size_t symbol_count, const char *arch)
{
    writer w;
    memset(&w, 0, sizeof w);
    range_out r = {0};
    size_t start = out->len;
    int rc;
    if (di && (rc = check_model(di))) return rc;
    if (!symbols) symbol_count = 0;
    if ((rc = writer_init(&w, di))) goto done;
    w.di = di;
    if ((rc = prepare_symbols(&w, symbols, symbol_count))) goto done;
    if (di && ((rc = set_reserve(&w.locations, di->row_count + di->range_count + w.sym_count)) ||
               (rc = set_reserve(&w.functions, di->func_count + w.sym_count))))
        goto done;
    if ((rc = sweep(&w, &r))) goto done;

    disk_header h;
    memset(&h, 0, sizeof h);
    if ((rc = strtab_add(&w.strings, arch ? arch : "", arch ? strlen(arch) : 0, &h.arch)))
        goto done;
    h.magic = SC_MAGIC;
    h.version = SC_VERSION;
    h.range_count = (uint32_t)r.count;
    h.location_count = (uint32_t)w.locations.count;
    h.function_count = (uint32_t)w.functions.count;
    h.file_count = (uint32_t)w.files.count;
    h.symbol_count = (uint32_t)w.sym_count;
    h.strtab_size = (uint32_t)w.strings.data.len;
    h.flags = (w.has_lines ? SC_HAS_LINES : 0) | (w.has_inlines ? SC_HAS_INLINES : 0);

    if ((rc = uv_buf_append(out, &h, sizeof h))) goto done; /* placeholder */
    if ((rc = section_offset(out, start, &h.starts_offset))) goto done;
    if ((rc = append_le64s(out, r.starts, r.count))) goto done;
    if ((rc = section_offset(out, start, &h.range_locs_offset))) goto done;
    if ((rc = append_le32s(out, r.locs, r.count))) goto done;
    if ((rc = section_offset(out, start, &h.locations_offset))) goto done;
    if ((rc = append_le32s(out, w.locations.words, w.locations.count * 6))) goto done;
    if ((rc = section_offset(out, start, &h.functions_offset))) goto done;
    if ((rc = append_le32s(out, w.functions.words, w.functions.count * 6))) goto done;
    if ((rc = section_offset(out, start, &h.files_offset))) goto done;
    if ((rc = append_le32s(out, w.files.words, w.files.count * 2))) goto done;
    if ((rc = section_offset(out, start, &h.strtab_offset))) goto done;
    if (w.strings.data.len > UINT32_MAX - (out->len - start)) {
        rc = fail(UV_ETOOBIG, "symcache: file over 4 GiB");
        goto done;
    }
    if ((rc = uv_buf_append(out, w.strings.data.data, w.strings.data.len))) goto done;
    {
        uint32_t words[sizeof h / 4];
        memcpy(words, &h, sizeof h);
        for (size_t i = 0; i < sizeof h / 4; i++)
            uv_put_le32(out->data + start + 4 * i, words[i]);
    }
done:
    free(r.starts);
    free(r.locs);
    writer_free(&w);
    if (rc) out->len = start;
    return rc;
}

/* ---- Reader ---------------------------------------------------------------------------- */

static bool host_is_little_endian(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

/* [off, off + count*size) lies within len, after the header, 8-aligned. */
static bool array_ok(size_t len, uint32_t off, size_t count, size_t size)
{
    size_t bytes, end;
    if (__builtin_mul_overflow(count, size, &bytes)) return false;
    if (__builtin_add_overflow((size_t)off, bytes, &end)) return false;
    return off >= sizeof(disk_header) && end <= len && (off & 7u) == 0;
}

static bool ref_ok(disk_str r, uint32_t strtab_size)
{
    return r.off <= strtab_size && r.len < strtab_size - r.off; /* room for the NUL */
}

int uv_symcache_open(uv_symcache **out, const void *bytes, size_t len)
{
    *out = NULL;
    const uint8_t *p = bytes;
    if (!p || len < sizeof(disk_header))
        return fail(UV_ECORRUPT, "symcache: %zu bytes is too short for a header", len);
    uint32_t magic = uv_get_le32(p);
    if (magic == SC_MAGIC_FLIPPED)
        return fail(UV_ECORRUPT, "symcache: written with the other byte order");
    if (magic != SC_MAGIC) return fail(UV_ECORRUPT, "symcache: bad magic at offset 0");
    uint32_t version = uv_get_le32(p + 4);
    if (version != SC_VERSION)
        return fail(UV_ECORRUPT, "symcache: version %u, expected %u", version, SC_VERSION);
    if (!host_is_little_endian())
        return fail(UV_ECORRUPT, "symcache: cannot map a little-endian cache here");
    if (((uintptr_t)bytes & 7u) != 0)
        return fail(UV_EINVALID, "symcache: buffer must be 8-byte aligned");
    disk_header h;
    memcpy(&h, p, sizeof h);
    if (h.reserved[0] || h.reserved[1] || h.reserved[2])
        return fail(UV_ECORRUPT, "symcache: reserved header fields are not zero");
    if (h.flags & ~(uint32_t)(SC_HAS_LINES | SC_HAS_INLINES))
        return fail(UV_ECORRUPT, "symcache: unknown flags 0x%x", h.flags);
    if (h.range_count == UINT32_MAX || h.location_count == UINT32_MAX ||
        h.function_count == UINT32_MAX || h.file_count == UINT32_MAX)
        return fail(UV_ECORRUPT, "symcache: counts out of range");
    if (!array_ok(len, h.starts_offset, h.range_count, 8))
        return fail(UV_ECORRUPT, "symcache: range starts (offset %u) lie outside the file",
                    h.starts_offset);
    if (!array_ok(len, h.range_locs_offset, h.range_count, 4))
        return fail(UV_ECORRUPT, "symcache: range locations (offset %u) lie outside the file",
                    h.range_locs_offset);
    if (!array_ok(len, h.locations_offset, h.location_count, sizeof(disk_location)))
        return fail(UV_ECORRUPT, "symcache: locations (offset %u) lie outside the file",
                    h.locations_offset);
    if (!array_ok(len, h.functions_offset, h.function_count, sizeof(disk_function)))
        return fail(UV_ECORRUPT, "symcache: functions (offset %u) lie outside the file",
                    h.functions_offset);
    if (!array_ok(len, h.files_offset, h.file_count, sizeof(disk_str)))
        return fail(UV_ECORRUPT, "symcache: files (offset %u) lie outside the file",
                    h.files_offset);
    if (!array_ok(len, h.strtab_offset, h.strtab_size, 1))
        return fail(UV_ECORRUPT, "symcache: string table (offset %u) lies outside the file",
                    h.strtab_offset);
    const char *strtab = (const char *)(p + h.strtab_offset);
    if (!ref_ok(h.arch, h.strtab_size) || strtab[h.arch.off + h.arch.len] != '\0')
        return fail(UV_ECORRUPT, "symcache: bad architecture string reference");

    const uint64_t *starts = (const uint64_t *)(p + h.starts_offset);
    const uint32_t *range_locs = (const uint32_t *)(p + h.range_locs_offset);
    for (uint32_t i = 0; i < h.range_count; i++) {
        if (i > 0 && starts[i] <= starts[i - 1])
            return fail(UV_ECORRUPT, "symcache: range %u does not start after range %u", i, i - 1);
        if (range_locs[i] != SC_NONE && range_locs[i] >= h.location_count)
            return fail(UV_ECORRUPT, "symcache: range %u names location %u of %u", i, range_locs[i],
                        h.location_count);
    }
    const disk_location *locations = (const disk_location *)(p + h.locations_offset);
    for (uint32_t i = 0; i < h.location_count; i++) {
        const disk_location *l = &locations[i];
        if ((l->function != SC_NONE && l->function >= h.function_count) ||
            (l->file != SC_NONE && l->file >= h.file_count) ||
            (l->inlined_into != SC_NONE && l->inlined_into >= i) ||
            (l->flags & ~SC_LOC_FROM_SYMTAB))
            return fail(UV_ECORRUPT, "symcache: location %u (offset %zu) is inconsistent", i,
                        (size_t)h.locations_offset + (size_t)i * sizeof *l);
    }
    const disk_function *functions = (const disk_function *)(p + h.functions_offset);
    for (uint32_t i = 0; i < h.function_count; i++)
        if (!ref_ok(functions[i].raw, h.strtab_size) ||
            !ref_ok(functions[i].demangled, h.strtab_size))
            return fail(UV_ECORRUPT, "symcache: function %u has a bad string reference", i);
    const disk_str *files = (const disk_str *)(p + h.files_offset);
    for (uint32_t i = 0; i < h.file_count; i++)
        if (!ref_ok(files[i], h.strtab_size))
            return fail(UV_ECORRUPT, "symcache: file %u has a bad string reference", i);

    uv_symcache *c = calloc(1, sizeof *c);
    if (!c) return oom();
    c->sample_count = ((size_t)h.range_count + (1u << SC_SAMPLE_SHIFT) - 1) >> SC_SAMPLE_SHIFT;
    c->samples = malloc((c->sample_count ? c->sample_count : 1) * sizeof *c->samples);
    if (!c->samples) {
        free(c);
        return oom();
    }
    for (size_t i = 0; i < c->sample_count; i++)
        c->samples[i] = starts[i << SC_SAMPLE_SHIFT];
    c->starts = starts;
    c->range_locs = range_locs;
    c->locations = locations;
    c->functions = functions;
    c->files = files;
    c->strtab = strtab;
    c->range_count = h.range_count;
    c->location_count = h.location_count;
    c->function_count = h.function_count;
    c->file_count = h.file_count;
    c->symbol_count = h.symbol_count;
    c->strtab_size = h.strtab_size;
    c->flags = h.flags;
    *out = c;
    return 0;
}

void uv_symcache_free(uv_symcache *cache)
{
    if (!cache) return;
    free(cache->samples);
    free(cache);
}

static uv_str cache_str(const uv_symcache *c, disk_str r)
{
    return (uv_str){c->strtab + r.off, r.len};
}

int uv_symcache_lookup(const uv_symcache *cache, uint64_t address, uv_sc_frame *frames, size_t max,
                       size_t *count)
{
    *count = 0;
    /* the last sample, then the last range of its block, starting at or below the address */
    size_t lo = 0, hi = cache->sample_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cache->samples[mid] <= address)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0,
                            "symcache: nothing describes address 0x%llx",
                            (unsigned long long)address);
    size_t block = (lo - 1) << SC_SAMPLE_SHIFT;
    lo = block;
    hi = block + ((size_t)1 << SC_SAMPLE_SHIFT);
    if (hi > cache->range_count) hi = cache->range_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cache->starts[mid] <= address)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || cache->range_locs[lo - 1] == SC_NONE)
        return uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0,
                            "symcache: nothing describes address 0x%llx",
                            (unsigned long long)address);
    size_t n = 0;
    for (uint32_t loc = cache->range_locs[lo - 1]; loc != SC_NONE;
         loc = cache->locations[loc].inlined_into) {
        const disk_location *l = &cache->locations[loc];
        if (n < max) {
            uv_sc_frame *f = &frames[n];
            memset(f, 0, sizeof *f);
            f->function = f->raw_name = (uv_str){"", 0};
            f->file = (uv_str){"", 0};
            if (l->function != SC_NONE) {
                const disk_function *fn = &cache->functions[l->function];
                f->function = cache_str(cache, fn->demangled);
                f->raw_name = cache_str(cache, fn->raw);
                f->function_start = fn->entry;
            }
            if (l->file != SC_NONE) f->file = cache_str(cache, cache->files[l->file]);
            f->line = l->line;
            f->column = l->column;
            f->from_symbol_table = (l->flags & SC_LOC_FROM_SYMTAB) != 0;
        }
        n++;
    }
    *count = n;
    return 0;
}

void uv_symcache_get_stats(const uv_symcache *cache, uv_symcache_stats *out)
{
    memset(out, 0, sizeof *out);
    out->ranges = cache->range_count;
    out->locations = cache->location_count;
    out->functions = cache->function_count;
    out->files = cache->file_count;
    out->symbols = cache->symbol_count;
    out->has_lines = (cache->flags & SC_HAS_LINES) != 0;
    out->has_inlines = (cache->flags & SC_HAS_INLINES) != 0;
}
