/* symcache: hand-built models (nesting, several ranges per instance, gaps, end of sequence,
 * symbol fallback, merging, deep inline chains), a seeded random model checked address by
 * address against a brute-force reference written here, and corrupt caches. */
#include "formats/symcache.h"

#include "formats/arena.h"
#include "formats/demangle.h"
#include "formats/error.h"
#include "test.h"

#include <stdlib.h>
#include <time.h>

/* ---- building models by hand ------------------------------------------------------------ */

typedef struct {
    uv_debuginfo di;
    size_t file_cap, name_cap, row_cap, func_cap, range_cap;
} model;

static void model_init(model *m)
{
    memset(m, 0, sizeof *m);
    uv_arena_new(&m->di.arena);
}

static void model_free(model *m)
{
    free(m->di.files);
    free(m->di.names);
    free(m->di.rows);
    free(m->di.funcs);
    free(m->di.ranges);
    uv_arena_free(m->di.arena);
}

#define PUSH(arr, count, cap, value)                                                               \
    do {                                                                                           \
        if ((count) == (cap)) {                                                                    \
            (cap) = (cap) ? (cap)*2 : 16;                                                          \
            (arr) = realloc((arr), (cap) * sizeof *(arr));                                         \
        }                                                                                          \
        (arr)[(count)++] = (value);                                                                \
    } while (0)

static uint32_t add_file(model *m, const char *path)
{
    PUSH(m->di.files, m->di.file_count, m->file_cap, uv_str_c(path));
    return (uint32_t)m->di.file_count - 1;
}

static uint32_t add_name(model *m, const char *name)
{
    PUSH(m->di.names, m->di.name_count, m->name_cap, uv_str_c(name));
    return (uint32_t)m->di.name_count - 1;
}

static uint32_t add_func(model *m, const char *name, uint32_t parent, uint32_t call_file,
                         uint32_t call_line, uint32_t call_column)
{
    uint32_t depth = parent == UV_DI_NONE ? 0 : m->di.funcs[parent].depth + 1;
    uv_di_func f = {
        name ? add_name(m, name) : UV_DI_NONE, parent, call_file, call_line, call_column, depth};
    PUSH(m->di.funcs, m->di.func_count, m->func_cap, f);
    return (uint32_t)m->di.func_count - 1;
}

static void add_range(model *m, uint32_t func, uint64_t low, uint64_t high)
{
    uv_di_range r = {low, high, func};
    PUSH(m->di.ranges, m->di.range_count, m->range_cap, r);
}

static void add_row(model *m, uint64_t address, uint32_t file, uint32_t line, uint32_t column)
{
    uv_di_row r = {address, file, line, column};
    PUSH(m->di.rows, m->di.row_count, m->row_cap, r);
}

static void end_seq(model *m, uint64_t address)
{
    add_row(m, address, UV_DI_NONE, 0, 0);
}

/* A written and opened cache; the bytes are kept in an 8-aligned malloc block. */
typedef struct {
    uv_buf buf;
    uv_symcache *cache;
} built;

static int build(built *b, const uv_debuginfo *di, const uv_elf_symbol *syms, size_t nsyms)
{
    memset(b, 0, sizeof *b);
    int rc = uv_symcache_write(&b->buf, di, syms, nsyms, "x86_64");
    if (rc) return rc;
    return uv_symcache_open(&b->cache, b->buf.data, b->buf.len);
}

static void built_free(built *b)
{
    uv_symcache_free(b->cache);
    uv_buf_free(&b->buf);
}

#define MAXF 64

static size_t lookup(const built *b, uint64_t addr, uv_sc_frame *frames)
{
    size_t n = 0;
    int rc = uv_symcache_lookup(b->cache, addr, frames, MAXF, &n);
    if (rc == UV_ENOTFOUND) return 0;
    CHECK_INT(rc, 0);
    return n;
}

/* Checks frame k of a lookup: function (demangled), file, line, column. */
#define CHECK_FRAME(fr, fn, file_, line_, col_)                                                    \
    do {                                                                                           \
        CHECK_VIEW((fr).function, fn);                                                             \
        CHECK_VIEW((fr).file, file_);                                                              \
        CHECK_INT((fr).line, line_);                                                               \
        CHECK_INT((fr).column, col_);                                                              \
    } while (0)

/* ---- hand-built cases ------------------------------------------------------------------- */

TEST(nesting_and_inline_chain)
{
    model m;
    model_init(&m);
    uint32_t a = add_file(&m, "/src/a.c"), h = add_file(&m, "/src/h.h");
    uint32_t outer = add_func(&m, "main", UV_DI_NONE, UV_DI_NONE, 0, 0);
    uint32_t mid = add_func(&m, "mid", outer, a, 10, 3);
    uint32_t leaf = add_func(&m, "leaf", mid, h, 20, 5);
    add_range(&m, outer, 0x1000, 0x1100);
    add_range(&m, mid, 0x1010, 0x1040);
    add_range(&m, leaf, 0x1020, 0x1030);
    add_row(&m, 0x1000, a, 1, 1);
    add_row(&m, 0x1010, h, 30, 2);
    add_row(&m, 0x1020, h, 40, 7);
    add_row(&m, 0x1030, a, 11, 0);
    end_seq(&m, 0x1100);
    built b;
    CHECK_INT(build(&b, &m.di, NULL, 0), 0);
    uv_sc_frame f[MAXF];
    CHECK_INT(lookup(&b, 0x1000, f), 1);
    CHECK_FRAME(f[0], "main", "/src/a.c", 1, 1);
    CHECK_INT(f[0].function_start, 0x1000);
    CHECK(!f[0].from_symbol_table);
    CHECK_INT(lookup(&b, 0x1015, f), 2);
    CHECK_FRAME(f[0], "mid", "/src/h.h", 30, 2);
    CHECK_FRAME(f[1], "main", "/src/a.c", 10, 3);
    CHECK_INT(lookup(&b, 0x102f, f), 3);
    CHECK_FRAME(f[0], "leaf", "/src/h.h", 40, 7);
    CHECK_FRAME(f[1], "mid", "/src/h.h", 20, 5);
    CHECK_FRAME(f[2], "main", "/src/a.c", 10, 3);
    CHECK_INT(f[0].function_start, 0x1020);
    CHECK_INT(lookup(&b, 0x1035, f), 2);
    CHECK_FRAME(f[0], "mid", "/src/a.c", 11, 0);
    CHECK_INT(lookup(&b, 0x1040, f), 1);
    CHECK_FRAME(f[0], "main", "/src/a.c", 11, 0);
    CHECK_INT(lookup(&b, 0x10ff, f), 1);
    CHECK_INT(lookup(&b, 0x1100, f), 0);
    CHECK_INT(lookup(&b, 0xfff, f), 0);
    CHECK_INT(lookup(&b, UINT64_MAX, f), 0);
    /* max smaller than the chain: count still says 3 */
    size_t n = 0;
    CHECK_INT(uv_symcache_lookup(b.cache, 0x1025, f, 1, &n), 0);
    CHECK_INT(n, 3);
    CHECK_VIEW(f[0].function, "leaf");
    uv_symcache_stats st;
    uv_symcache_get_stats(b.cache, &st);
    CHECK(st.has_lines);
    CHECK(st.has_inlines);
    CHECK_INT(st.files, 2);
    built_free(&b);
    model_free(&m);
}

TEST(multiple_ranges_and_gaps)
{
    model m;
    model_init(&m);
    uint32_t a = add_file(&m, "a.c");
    uint32_t f = add_func(&m, "split", UV_DI_NONE, UV_DI_NONE, 0, 0);
    uint32_t g = add_func(&m, "inl", f, a, 7, 0);
    add_range(&m, f, 0x2000, 0x2010);
    add_range(&m, f, 0x3000, 0x3010); /* a cold part */
    add_range(&m, g, 0x2008, 0x2010);
    add_range(&m, g, 0x3000, 0x3004);
    add_row(&m, 0x2000, a, 5, 0);
    end_seq(&m, 0x2010);
    add_row(&m, 0x3000, a, 8, 0);
    end_seq(&m, 0x3010);
    built b;
    CHECK_INT(build(&b, &m.di, NULL, 0), 0);
    uv_sc_frame fr[MAXF];
    CHECK_INT(lookup(&b, 0x2004, fr), 1);
    CHECK_INT(lookup(&b, 0x2008, fr), 2);
    CHECK_FRAME(fr[0], "inl", "a.c", 5, 0);
    CHECK_FRAME(fr[1], "split", "a.c", 7, 0);
    CHECK_INT(fr[0].function_start, 0x2008);
    CHECK_INT(fr[1].function_start, 0x2000);
    CHECK_INT(lookup(&b, 0x2010, fr), 0); /* gap */
    CHECK_INT(lookup(&b, 0x2fff, fr), 0);
    CHECK_INT(lookup(&b, 0x3002, fr), 2);
    CHECK_INT(lookup(&b, 0x3004, fr), 1);
    CHECK_FRAME(fr[0], "split", "a.c", 8, 0);
    CHECK_INT(lookup(&b, 0x3010, fr), 0);
    built_free(&b);
    model_free(&m);
}

TEST(end_sequence_and_missing_pieces)
{
    model m;
    model_init(&m);
    uint32_t a = add_file(&m, "a.c");
    uint32_t f = add_func(&m, "f", UV_DI_NONE, UV_DI_NONE, 0, 0);
    add_range(&m, f, 0x100, 0x200);
    add_row(&m, 0x100, a, 3, 1);
    end_seq(&m, 0x150);          /* the rest of f has no row: line 0 */
    add_row(&m, 0x300, a, 9, 2); /* a row without any function */
    add_row(&m, 0x308, a, 0, 0); /* compiler said "no line" */
    end_seq(&m, 0x310);
    built b;
    CHECK_INT(build(&b, &m.di, NULL, 0), 0);
    uv_sc_frame fr[MAXF];
    CHECK_INT(lookup(&b, 0x14f, fr), 1);
    CHECK_FRAME(fr[0], "f", "a.c", 3, 1);
    CHECK_INT(lookup(&b, 0x150, fr), 1);
    CHECK_FRAME(fr[0], "f", "", 0, 0);
    CHECK_INT(lookup(&b, 0x304, fr), 1);
    CHECK_FRAME(fr[0], "", "a.c", 9, 2);
    CHECK(!fr[0].from_symbol_table);
    CHECK_INT(lookup(&b, 0x308, fr), 1);
    CHECK_FRAME(fr[0], "", "a.c", 0, 0);
    CHECK_INT(lookup(&b, 0x310, fr), 0);
    built_free(&b);
    model_free(&m);
}

TEST(symbols_fallback_and_override)
{
    model m;
    model_init(&m);
    uint32_t a = add_file(&m, "t.cc");
    uint32_t mainf = add_func(&m, "main", UV_DI_NONE, UV_DI_NONE, 0, 0);
    uint32_t inl = add_func(&m, "_ZN3foo3barEv", mainf, a, 4, 2);
    add_range(&m, mainf, 0x1100, 0x1200);
    add_range(&m, mainf, 0x10e0, 0x10f0); /* main.cold */
    add_range(&m, inl, 0x10e0, 0x10e8);
    add_row(&m, 0x10e0, a, 11, 1);
    end_seq(&m, 0x10f0);
    add_row(&m, 0x1100, a, 2, 1);
    end_seq(&m, 0x1200);
    add_row(&m, 0x1400, a, 50, 0); /* rows only: name from the symbol */
    end_seq(&m, 0x1410);
    uv_elf_symbol syms[] = {
        {0x1100, 0x100, uv_str_c("main")},
        {0x10e0, 0x10, uv_str_c("main.cold")},
        {0x1300, 0x20, uv_str_c("_Z6helperi")},
        {0x1300, 0, uv_str_c("helper_alias")}, /* same address, smaller size: dropped */
        {0x1400, 0x10, uv_str_c("rows_only")},
        {0x1500, 0, uv_str_c("sized_zero")}, /* to the next symbol */
        {0x1600, 0x8, uv_str_c("_ZL6helperii.constprop.0")},
    };
    built b;
    CHECK_INT(build(&b, &m.di, syms, sizeof syms / sizeof *syms), 0);
    uv_sc_frame fr[MAXF];
    CHECK_INT(lookup(&b, 0x10e4, fr), 2);
    CHECK_FRAME(fr[0], "foo::bar()", "t.cc", 11, 1);
    CHECK_VIEW(fr[0].raw_name, "_ZN3foo3barEv");
    CHECK_FRAME(fr[1], "main.cold", "t.cc", 4, 2);
    CHECK_INT(fr[1].function_start, 0x10e0);
    CHECK_INT(lookup(&b, 0x10e8, fr), 1);
    CHECK_FRAME(fr[0], "main.cold", "t.cc", 11, 1);
    CHECK_INT(lookup(&b, 0x1150, fr), 1);
    CHECK_FRAME(fr[0], "main", "t.cc", 2, 1);
    CHECK_INT(lookup(&b, 0x1310, fr), 1);
    CHECK_FRAME(fr[0], "helper(int)", "", 0, 0);
    CHECK(fr[0].from_symbol_table);
    CHECK_INT(fr[0].function_start, 0x1300);
    CHECK_INT(lookup(&b, 0x1320, fr), 0);
    CHECK_INT(lookup(&b, 0x1404, fr), 1);
    CHECK_FRAME(fr[0], "rows_only", "t.cc", 50, 0);
    CHECK(!fr[0].from_symbol_table);
    CHECK_INT(lookup(&b, 0x15ff, fr), 1);
    CHECK_VIEW(fr[0].function, "sized_zero");
    CHECK_INT(lookup(&b, 0x1604, fr), 1);
    CHECK_VIEW(fr[0].function, "helper(int, int) (.constprop.0)");
    CHECK_INT(lookup(&b, 0x1608, fr), 0);
    uv_symcache_stats st;
    uv_symcache_get_stats(b.cache, &st);
    CHECK_INT(st.symbols, 6);
    built_free(&b);

    /* symbols only (no debug info at all); the last size-0 symbol runs to the end */
    uv_elf_symbol only[] = {{0x40, 0, uv_str_c("a")}, {0x80, 0, uv_str_c("b")}};
    CHECK_INT(build(&b, NULL, only, 2), 0);
    CHECK_INT(lookup(&b, 0x3f, fr), 0);
    CHECK_INT(lookup(&b, 0x7f, fr), 1);
    CHECK_VIEW(fr[0].function, "a");
    CHECK_INT(lookup(&b, UINT64_MAX, fr), 1);
    CHECK_VIEW(fr[0].function, "b");
    uv_symcache_get_stats(b.cache, &st);
    CHECK(!st.has_lines);
    CHECK_INT(st.ranges, 2);
    built_free(&b);

    /* nothing at all */
    CHECK_INT(build(&b, NULL, NULL, 0), 0);
    CHECK_INT(lookup(&b, 0, fr), 0);
    size_t n = 7;
    CHECK_INT(uv_symcache_lookup(b.cache, 0x1234, fr, MAXF, &n), UV_ENOTFOUND);
    CHECK_INT(n, 0);
    built_free(&b);
    model_free(&m);
}

TEST(adjacent_merge)
{
    model m;
    model_init(&m);
    uint32_t a = add_file(&m, "a.c");
    uint32_t f = add_func(&m, "f", UV_DI_NONE, UV_DI_NONE, 0, 0);
    add_range(&m, f, 0x0, 0x40);
    add_range(&m, f, 0x40, 0x80); /* abutting range of the same instance */
    for (uint64_t x = 0; x < 0x80; x += 4)
        add_row(&m, x, a, 7, 1); /* many rows, one location */
    add_row(&m, 0x60, a, 8, 1);
    end_seq(&m, 0x80);
    built b;
    CHECK_INT(build(&b, &m.di, NULL, 0), 0);
    uv_symcache_stats st;
    uv_symcache_get_stats(b.cache, &st);
    /* [0,0x60) line 7, [0x60,0x64) line 8, [0x64,0x80) line 7, gap */
    CHECK_INT(st.ranges, 4);
    CHECK_INT(st.locations, 2);
    CHECK_INT(st.functions, 1);
    uv_sc_frame fr[MAXF];
    CHECK_INT(lookup(&b, 0x61, fr), 1);
    CHECK_INT(fr[0].line, 8);
    CHECK_INT(lookup(&b, 0x64, fr), 1);
    CHECK_INT(fr[0].line, 7);
    built_free(&b);
    model_free(&m);
}

TEST(deep_chain_and_weird_ranges)
{
    model m;
    model_init(&m);
    uint32_t a = add_file(&m, "deep.h");
    uint32_t prev = add_func(&m, "f0", UV_DI_NONE, UV_DI_NONE, 0, 0);
    add_range(&m, prev, 0x1000, 0x2000);
    char name[32];
    for (uint32_t d = 1; d < 200; d++) {
        snprintf(name, sizeof name, "f%u", d);
        uint32_t f =
            add_func(&m, uv_arena_strndup(m.di.arena, name, strlen(name)), prev, a, d, d % 7);
        add_range(&m, f, 0x1000 + d, 0x2000 - d);
        prev = f;
    }
    /* an instance sticking out of its parent, a zero-size and an inverted range */
    uint32_t out = add_func(&m, "out", 0, a, 1000, 0);
    add_range(&m, out, 0x1ff0, 0x2010);
    add_range(&m, out, 0x1500, 0x1500);
    add_range(&m, out, 0x1600, 0x1400);
    /* two instances of equal depth over one address: the smaller range wins */
    uint32_t wide = add_func(&m, "wide", 0, a, 1, 0), narrow = add_func(&m, "narrow", 0, a, 2, 0);
    add_range(&m, wide, 0x2100, 0x2200);
    add_range(&m, narrow, 0x2140, 0x2150);
    add_row(&m, 0x1000, a, 1, 0);
    end_seq(&m, 0x3000);
    built b;
    CHECK_INT(build(&b, &m.di, NULL, 0), 0);
    uv_sc_frame fr[MAXF];
    size_t n = 0;
    CHECK_INT(uv_symcache_lookup(b.cache, 0x1800, fr, MAXF, &n), 0);
    CHECK_INT(n, 200);
    CHECK_VIEW(fr[0].function, "f199");
    CHECK_VIEW(fr[1].function, "f198");
    CHECK_INT(fr[1].line, 199);
    CHECK_INT(fr[1].column, 199 % 7);
    CHECK_INT(uv_symcache_lookup(b.cache, 0x1ff8, fr, MAXF, &n), 0);
    CHECK_INT(n, 8); /* f7 (depth 7) contains 0x1ff8; "out" is only depth 1 */
    CHECK_INT(uv_symcache_lookup(b.cache, 0x2008, fr, MAXF, &n), 0);
    CHECK_INT(n, 2);
    CHECK_VIEW(fr[0].function, "out");
    CHECK_VIEW(fr[1].function, "f0");
    CHECK_INT(fr[1].line, 1000);
    CHECK_INT(lookup(&b, 0x2010, fr), 1); /* the row only */
    CHECK_INT(lookup(&b, 0x2145, fr), 2);
    CHECK_VIEW(fr[0].function, "narrow");
    CHECK_INT(lookup(&b, 0x2155, fr), 2);
    CHECK_VIEW(fr[0].function, "wide");
    built_free(&b);
    model_free(&m);
}

TEST(bad_models)
{
    model m;
    model_init(&m);
    uint32_t a = add_file(&m, "a.c");
    uint32_t f = add_func(&m, "f", UV_DI_NONE, UV_DI_NONE, 0, 0);
    add_range(&m, f, 0, 10);
    add_row(&m, 0, a, 1, 0);
    uv_buf out = UV_BUF_INIT;
    m.di.rows[0].file = 5;
    CHECK_INT(uv_symcache_write(&out, &m.di, NULL, 0, "x"), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "row 0");
    m.di.rows[0].file = a;
    m.di.ranges[0].func = 9;
    CHECK_INT(uv_symcache_write(&out, &m.di, NULL, 0, "x"), UV_EINVALID);
    m.di.ranges[0].func = f;
    m.di.funcs[0].parent = 0; /* a cycle: ignored, f is outermost */
    CHECK_INT(uv_symcache_write(&out, &m.di, NULL, 0, "x"), 0);
    CHECK(out.len > 0);
    uv_buf_free(&out);
    model_free(&m);
}

/* ---- the random model and its brute-force reference ------------------------------------ */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static uint64_t below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

typedef struct {
    const char *function; /* raw name, "" when none */
    const char *file;
    uint32_t line, column;
    uint64_t start;
    bool symtab;
} ref_frame;

static uint32_t ref_parent(const uv_debuginfo *di, uint32_t f)
{
    uint32_t p = di->funcs[f].parent;
    return p != UV_DI_NONE && di->funcs[p].depth < di->funcs[f].depth ? p : UV_DI_NONE;
}

static uint64_t ref_entry(const uv_debuginfo *di, uint32_t f)
{
    uint64_t e = UINT64_MAX;
    for (size_t i = 0; i < di->range_count; i++)
        if (di->ranges[i].func == f && di->ranges[i].low < di->ranges[i].high &&
            di->ranges[i].low < e)
            e = di->ranges[i].low;
    return e == UINT64_MAX ? 0 : e;
}

static const char *ref_name(const uv_debuginfo *di, uint32_t f)
{
    uint32_t n = di->funcs[f].name;
    return n == UV_DI_NONE ? "" : di->names[n].ptr;
}

static const char *ref_file(const uv_debuginfo *di, uint32_t file)
{
    return file == UV_DI_NONE ? "" : di->files[file].ptr;
}

/* The covering symbol by llvm-symbolizer's rule, or -1. */
static long ref_symbol(const uv_elf_symbol *syms, size_t n, uint64_t a)
{
    long best = -1;
    for (size_t i = 0; i < n; i++) {
        if (syms[i].addr > a) continue;
        if (best < 0 || syms[i].addr > syms[best].addr) {
            best = (long)i;
        } else if (syms[i].addr == syms[best].addr) {
            uint64_t si = syms[i].size, sb = syms[best].size;
            if (si > sb) best = (long)i;
        }
    }
    if (best < 0) return -1;
    const uv_elf_symbol *s = &syms[best];
    if (s->size != 0 && (s->addr + s->size < s->addr ? false : a >= s->addr + s->size)) return -1;
    return best;
}

static size_t ref_lookup(const uv_debuginfo *di, const uv_elf_symbol *syms, size_t nsyms,
                         uint64_t a, ref_frame *out)
{
    long inst = -1;
    uint64_t inst_size = 0;
    for (size_t i = 0; i < di->range_count; i++) {
        const uv_di_range *r = &di->ranges[i];
        if (!(r->low <= a && a < r->high)) continue;
        uint64_t size = r->high - r->low;
        if (inst < 0) {
            inst = r->func;
            inst_size = size;
            continue;
        }
        uint32_t d = di->funcs[r->func].depth, bd = di->funcs[inst].depth;
        if (d > bd || (d == bd && (size < inst_size || (size == inst_size && r->func > inst)))) {
            inst = r->func;
            inst_size = size;
        }
    }
    long row = -1;
    for (size_t i = 0; i < di->row_count; i++)
        if (di->rows[i].address <= a) row = (long)i;
    if (row >= 0 && di->rows[row].file == UV_DI_NONE) row = -1;
    long sym = ref_symbol(syms, nsyms, a);
    size_t n = 0;
    if (inst >= 0) {
        uint32_t f = (uint32_t)inst;
        out[0] = (ref_frame){ref_name(di, f),
                             row >= 0 ? ref_file(di, di->rows[row].file) : "",
                             row >= 0 ? di->rows[row].line : 0,
                             row >= 0 ? di->rows[row].column : 0,
                             ref_entry(di, f),
                             false};
        n = 1;
        for (;;) {
            if (ref_parent(di, f) == UV_DI_NONE) {
                if (sym >= 0) {
                    out[n - 1].function = syms[sym].name.ptr;
                    out[n - 1].start = syms[sym].addr;
                }
                break;
            }
            uint32_t p = ref_parent(di, f);
            out[n] = (ref_frame){ref_name(di, p),        ref_file(di, di->funcs[f].call_file),
                                 di->funcs[f].call_line, di->funcs[f].call_column,
                                 ref_entry(di, p),       false};
            n++;
            f = p;
        }
    } else if (row >= 0) {
        out[0] = (ref_frame){sym >= 0 ? syms[sym].name.ptr : "",
                             ref_file(di, di->rows[row].file),
                             di->rows[row].line,
                             di->rows[row].column,
                             sym >= 0 ? syms[sym].addr : 0,
                             false};
        n = 1;
    } else if (sym >= 0) {
        out[0] = (ref_frame){syms[sym].name.ptr, "", 0, 0, syms[sym].addr, true};
        n = 1;
    }
    return n;
}

static char *strdup_arena(uv_arena *arena, const char *s)
{
    return uv_arena_strndup(arena, s, strlen(s));
}

/* A random model: functions with nested inlined instances, several ranges each (some
 * sticking out, empty or inverted), rows in sequences, and symbols with sizes and without. */
static void random_model(model *m, uv_elf_symbol **syms_out, size_t *nsyms, uint64_t span)
{
    model_init(m);
    char buf[64];
    for (int i = 0; i < 6; i++) {
        snprintf(buf, sizeof buf, "/src/file%d.c", i);
        add_file(m, strdup_arena(m->di.arena, buf));
    }
    uint64_t base = 0x400000;
    int top = 10 + (int)below(10);
    for (int t = 0; t < top; t++) {
        snprintf(buf, sizeof buf, t % 3 ? "func%d" : "_Z4funcILi%dEEvv", t);
        uint32_t f = add_func(m, strdup_arena(m->di.arena, buf), UV_DI_NONE, UV_DI_NONE, 0, 0);
        uint64_t lo = base + below(span), len = 1 + below(span / 8);
        add_range(m, f, lo, lo + len);
        if (below(3) == 0) add_range(m, f, base + below(span), base + below(span));
        /* inlined children, grandchildren … */
        uint32_t parents[8] = {f};
        uint64_t plo[8] = {lo}, plen[8] = {len};
        int np = 1;
        int kids = (int)below(12);
        for (int k = 0; k < kids; k++) {
            int pi = (int)below((uint64_t)np);
            snprintf(buf, sizeof buf, "inl%d_%d", t, k);
            uint32_t c = add_func(m, below(10) ? strdup_arena(m->di.arena, buf) : NULL, parents[pi],
                                  below(5) ? (uint32_t)below(6) : UV_DI_NONE, (uint32_t)below(100),
                                  (uint32_t)below(4));
            uint64_t clo = plo[pi] + below(plen[pi]), clen = below(plen[pi] / 2 + 2);
            if (below(8) == 0) clen += below(64); /* sticks out */
            add_range(m, c, clo, clo + clen);
            if (below(4) == 0) {
                uint64_t x = plo[pi] + below(plen[pi]);
                add_range(m, c, x, x + below(16));
            }
            if (np < 8 && clen > 0) {
                parents[np] = c;
                plo[np] = clo;
                plen[np] = clen;
                np++;
            }
        }
    }
    /* rows: sorted sequences */
    uint64_t a = base;
    while (a < base + span + 64) {
        uint64_t seq_end = a + 1 + below(span / 6);
        for (uint64_t x = a; x < seq_end;) {
            add_row(m, x, (uint32_t)below(6), (uint32_t)below(50), (uint32_t)below(3));
            if (below(5) == 0) add_row(m, x, (uint32_t)below(6), (uint32_t)below(50), 0);
            x += 1 + below(12);
        }
        end_seq(m, seq_end);
        a = seq_end + below(3) * below(40); /* sometimes a hole, sometimes back to back */
    }
    /* symbols */
    size_t ns = 5 + below(20);
    uv_elf_symbol *syms = calloc(ns, sizeof *syms);
    for (size_t i = 0; i < ns; i++) {
        snprintf(buf, sizeof buf, i % 4 ? "sym%zu" : "_Z3symILi%zuEEvv", i);
        syms[i].name = uv_str_c(strdup_arena(m->di.arena, buf));
        syms[i].addr = base - 32 + below(span + 64);
        syms[i].size = below(3) == 0 ? 0 : 1 + below(span / 10);
        if (i > 0 && below(8) == 0) syms[i].addr = syms[i - 1].addr; /* a duplicate address */
    }
    *syms_out = syms;
    *nsyms = ns;
}

static int compare_at(const model *m, const uv_elf_symbol *syms, size_t nsyms, const built *b,
                      uint64_t a)
{
    ref_frame expect[MAXF * 4];
    uv_sc_frame got[MAXF];
    size_t ne = ref_lookup(&m->di, syms, nsyms, a, expect);
    size_t ng = 0;
    int rc = uv_symcache_lookup(b->cache, a, got, MAXF, &ng);
    if (ne == 0) return rc == UV_ENOTFOUND ? 0 : 1;
    if (rc != 0 || ng != ne) return 1;
    for (size_t k = 0; k < ne && k < MAXF; k++) {
        if (!uv_str_eq_c(got[k].raw_name, expect[k].function) ||
            !uv_str_eq_c(got[k].file, expect[k].file) || got[k].line != expect[k].line ||
            got[k].column != expect[k].column || got[k].function_start != expect[k].start ||
            got[k].from_symbol_table != expect[k].symtab)
            return 1;
    }
    return 0;
}

TEST(random_models_against_reference)
{
    for (uint64_t seed = 1; seed <= 40; seed++) {
        rng_state = 0x9e3779b97f4a7c15ull * seed;
        model m;
        uv_elf_symbol *syms;
        size_t nsyms;
        uint64_t span = 256 + below(4096);
        random_model(&m, &syms, &nsyms, span);
        built b;
        int rc = build(&b, &m.di, syms, nsyms);
        CHECK_INT(rc, 0);
        if (rc) {
            free(syms);
            model_free(&m);
            continue;
        }
        int mismatches = 0;
        /* every address of the span and around it */
        for (uint64_t a = 0x400000 - 48; a < 0x400000 + span + 128; a++)
            if (compare_at(&m, syms, nsyms, &b, a)) {
                if (mismatches++ < 3)
                    fprintf(stderr, "seed %llu: mismatch at 0x%llx\n", (unsigned long long)seed,
                            (unsigned long long)a);
            }
        /* and random far-away ones */
        for (int i = 0; i < 200; i++)
            mismatches += compare_at(&m, syms, nsyms, &b, rnd());
        CHECK_INT(mismatches, 0);
        /* writing twice gives the same bytes */
        uv_buf again = UV_BUF_INIT;
        CHECK_INT(uv_symcache_write(&again, &m.di, syms, nsyms, "x86_64"), 0);
        CHECK(again.len == b.buf.len && memcmp(again.data, b.buf.data, again.len) == 0);
        uv_buf_free(&again);
        built_free(&b);
        free(syms);
        model_free(&m);
    }
}

/* ---- corrupt caches ----------------------------------------------------------------------- */

static void probe(const uint8_t *bytes, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, bytes, len);
    uv_symcache *c = NULL;
    if (uv_symcache_open(&c, copy, len) == 0) {
        uv_sc_frame fr[8];
        size_t n;
        for (uint64_t a = 0x3ff000; a < 0x402000; a += 7)
            uv_symcache_lookup(c, a, fr, 8, &n);
        uv_symcache_lookup(c, 0, fr, 8, &n);
        uv_symcache_lookup(c, UINT64_MAX, fr, 8, &n);
        uv_symcache_stats st;
        uv_symcache_get_stats(c, &st);
        uv_symcache_free(c);
    }
    free(copy);
}

TEST(corrupt_caches)
{
    rng_state = 12345;
    model m;
    uv_elf_symbol *syms;
    size_t nsyms;
    random_model(&m, &syms, &nsyms, 300);
    built b;
    CHECK_INT(build(&b, &m.di, syms, nsyms), 0);
    /* every truncation is rejected */
    int accepted = 0;
    for (size_t len = 0; len < b.buf.len; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, b.buf.data, len);
        uv_symcache *c = NULL;
        int rc = uv_symcache_open(&c, copy, len);
        if (rc == 0)
            accepted++;
        else if (rc != UV_ECORRUPT)
            accepted += 1000;
        uv_symcache_free(c);
        free(copy);
    }
    CHECK_INT(accepted, 0);
    /* errors name what is wrong */
    uint8_t *copy = malloc(b.buf.len);
    memcpy(copy, b.buf.data, b.buf.len);
    uv_symcache *c = NULL;
    copy[4] = 99;
    CHECK_INT(uv_symcache_open(&c, copy, b.buf.len), UV_ECORRUPT);
    CHECK_CONTAINS(uv_error_last()->message, "version 99");
    copy[4] = 1;
    copy[0] = 'U' ^ 1;
    CHECK_INT(uv_symcache_open(&c, copy, b.buf.len), UV_ECORRUPT);
    CHECK_CONTAINS(uv_error_last()->message, "magic");
    memcpy(copy, "CSVU", 4);
    CHECK_INT(uv_symcache_open(&c, copy, b.buf.len), UV_ECORRUPT);
    CHECK_CONTAINS(uv_error_last()->message, "other byte order");
    free(copy);
    /* every single-byte flip: rejected or harmless */
    for (size_t i = 0; i < b.buf.len; i++) {
        copy = malloc(b.buf.len);
        memcpy(copy, b.buf.data, b.buf.len);
        copy[i] ^= (uint8_t)(1u << (i % 8));
        probe(copy, b.buf.len);
        copy[i] = 0xff;
        probe(copy, b.buf.len);
        free(copy);
    }
    /* random multi-byte damage */
    for (int k = 0; k < 2000; k++) {
        copy = malloc(b.buf.len);
        memcpy(copy, b.buf.data, b.buf.len);
        for (int j = 0; j < 4; j++)
            copy[below(b.buf.len)] = (uint8_t)rnd();
        probe(copy, b.buf.len);
        free(copy);
    }
    /* unaligned bytes are refused, not misread */
    uint8_t *shifted = malloc(b.buf.len + 8);
    memcpy(shifted + 1, b.buf.data, b.buf.len);
    CHECK_INT(uv_symcache_open(&c, shifted + 1, b.buf.len), UV_EINVALID);
    free(shifted);
    built_free(&b);
    free(syms);
    model_free(&m);
}

/* ---- scale ---------------------------------------------------------------------------- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A big-binary-shaped model: `funcs` functions each with inlined instances and ~rows_per
 * rows. UV_SYMCACHE_BENCH=1 runs the full size (2M rows, 500k ranges) and prints timings. */
TEST(scale)
{
    bool bench = getenv("UV_SYMCACHE_BENCH") != NULL;
    size_t nfuncs = bench ? 100000 : 5000;
    model m;
    model_init(&m);
    for (int i = 0; i < 200; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "/src/f%d.cc", i);
        add_file(&m, strdup_arena(m.di.arena, buf));
    }
    rng_state = 777;
    uint64_t a = 0x10000;
    uv_elf_symbol *syms = calloc(nfuncs, sizeof *syms);
    char buf[64];
    for (size_t i = 0; i < nfuncs; i++) {
        snprintf(buf, sizeof buf, "_ZN2ns5Klass%zu6methodEi", i);
        const char *name = strdup_arena(m.di.arena, buf);
        uint32_t f = add_func(&m, name, UV_DI_NONE, UV_DI_NONE, 0, 0);
        uint64_t len = 20 * 16;
        add_range(&m, f, a, a + len);
        syms[i] = (uv_elf_symbol){a, len, uv_str_c(name)};
        uint32_t parent = f;
        for (int k = 0; k < 4; k++) { /* 4 nested inlines: 5 ranges per function */
            snprintf(buf, sizeof buf, "_ZN2ns6helper%dEv", (int)below(5000));
            uint32_t c = add_func(&m, strdup_arena(m.di.arena, buf), parent, (uint32_t)below(200),
                                  (uint32_t)below(3000), 0);
            add_range(&m, c, a + 16 * (uint64_t)(k + 1), a + len - 16 * (uint64_t)(k + 1));
            parent = c;
        }
        for (int r = 0; r < 20; r++)
            add_row(&m, a + 16 * (uint64_t)r, (uint32_t)below(200), (uint32_t)below(3000),
                    (uint32_t)below(40));
        end_seq(&m, a + len);
        a += len;
    }
    double t0 = now();
    uv_buf out = UV_BUF_INIT;
    CHECK_INT(uv_symcache_write(&out, &m.di, syms, nfuncs, "x86_64"), 0);
    double t1 = now();
    uv_symcache *c = NULL;
    uint8_t *bytes = malloc(out.len);
    memcpy(bytes, out.data, out.len);
    CHECK_INT(uv_symcache_open(&c, bytes, out.len), 0);
    double t2 = now();
    size_t lookups = 1000000, frames = 0;
    uv_sc_frame fr[16];
    for (size_t i = 0; i < lookups; i++) {
        size_t n = 0;
        if (uv_symcache_lookup(c, 0x10000 + below(a - 0x10000), fr, 16, &n) == 0) frames += n;
    }
    double t3 = now();
    CHECK(frames >= lookups);
    uv_symcache_stats st;
    uv_symcache_get_stats(c, &st);
    if (bench)
        printf("scale: %zu rows, %zu ranges -> %zu bytes (%zu ranges, %zu locations, %zu "
               "functions); write %.3f s, open %.4f s, %zu lookups %.3f s (%.0f ns each)\n",
               m.di.row_count, m.di.range_count, out.len, st.ranges, st.locations, st.functions,
               t1 - t0, t2 - t1, lookups, t3 - t2, (t3 - t2) / (double)lookups * 1e9);
    uv_symcache_free(c);
    free(bytes);
    uv_buf_free(&out);
    free(syms);
    model_free(&m);
}

int main(void)
{
    RUN(nesting_and_inline_chain);
    RUN(multiple_ranges_and_gaps);
    RUN(end_sequence_and_missing_pieces);
    RUN(symbols_fallback_and_override);
    RUN(adjacent_merge);
    RUN(deep_chain_and_weird_ranges);
    RUN(bad_models);
    RUN(random_models_against_reference);
    RUN(corrupt_caches);
    RUN(scale);
    TEST_MAIN_END();
}
