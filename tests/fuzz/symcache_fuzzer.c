/* Fuzz target for formats/symcache.c (and formats/demangle.c through it): opens the input as
 * a symcache and looks up many addresses; then derives a small debug-info model and symbol
 * list from the same bytes (names partly taken from the input, so the demangler sees them),
 * writes a cache, reopens it, and checks every address of the model's span: a lookup answers
 * exactly when a range, a row or a symbol covers the address, chains are bounded, and writing
 * twice gives the same bytes. */
#include "formats/arena.h"
#include "formats/buf.h"
#include "formats/error.h"
#include "formats/symcache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BASE 0x1000u

typedef struct {
    const uint8_t *p;
    size_t len, at;
} reader;

static uint8_t take(reader *r)
{
    return r->at < r->len ? r->p[r->at++] : 0;
}

static uint16_t take16(reader *r)
{
    return (uint16_t)(take(r) | take(r) << 8);
}

static void probe_cache(const uint8_t *data, size_t size)
{
    uv_symcache *c = NULL;
    if (uv_symcache_open(&c, data, size) != 0) return;
    uv_symcache_stats st;
    uv_symcache_get_stats(c, &st);
    uv_sc_frame frames[8];
    size_t n;
    /* addresses named by the input itself (range starts live in it), and their neighbours */
    for (size_t i = 0; i + 8 <= size && i < 4096; i += 8) {
        uint64_t a;
        memcpy(&a, data + i, 8);
        for (int d = -1; d <= 1; d++)
            if (uv_symcache_lookup(c, a + (uint64_t)d, frames, 8, &n) == 0 &&
                (n == 0 || n > st.locations))
                abort();
    }
    uv_symcache_lookup(c, 0, frames, 8, &n);
    uv_symcache_lookup(c, UINT64_MAX, frames, 0, &n);
    uv_symcache_free(c);
}

static const char *const pool[] = {
    "main",
    "_Z3foov",
    "_Z3foov.cold",
    "_ZN2ns3BarIiE3bazEv",
    "_ZZ4mainENKUlvE_clEv",
    "_RNvCs1234_7mycrate3foo",
    "_ZN4core3fmt5write17h0123456789abcdefE",
    "",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    probe_cache(data, size);

    reader r = {data, size, 0};
    uv_arena *arena = NULL;
    if (uv_arena_new(&arena) != 0) return 0;
    uv_debuginfo di;
    memset(&di, 0, sizeof di);
    di.arena = arena;
    di.file_count = 1 + take(&r) % 4;
    di.files = uv_arena_calloc(arena, di.file_count, sizeof *di.files);
    for (size_t i = 0; i < di.file_count; i++)
        di.files[i] = (uv_str){i % 2 ? "/src/a.c" : "b.h", i % 2 ? 8 : 3};
    /* names: the pool plus slices of the input */
    di.name_count = 12;
    di.names = uv_arena_calloc(arena, di.name_count, sizeof *di.names);
    for (size_t i = 0; i < di.name_count; i++) {
        if (i < sizeof pool / sizeof *pool) {
            di.names[i] = uv_str_c(pool[i]);
        } else {
            size_t n = take(&r) % 48;
            if (n > r.len - r.at) n = r.len - r.at;
            char *s = uv_arena_strndup(arena, (const char *)r.p + r.at, n);
            r.at += n;
            di.names[i] = (uv_str){s, n};
        }
    }
    di.func_count = take(&r) % 16;
    di.funcs = uv_arena_calloc(arena, di.func_count ? di.func_count : 1, sizeof *di.funcs);
    for (size_t i = 0; i < di.func_count; i++) {
        uv_di_func *f = &di.funcs[i];
        uint8_t b = take(&r);
        f->name = b % 13 == 12 ? UV_DI_NONE : b % 13;
        uint8_t p = take(&r);
        f->parent = i > 0 && p % 3 ? (uint32_t)(p % i) : UV_DI_NONE;
        if (p == 0xff) f->parent = (uint32_t)i; /* a self-loop */
        f->call_file = take(&r) % 5 == 4 ? UV_DI_NONE : (uint32_t)(take(&r) % di.file_count);
        f->call_line = take(&r);
        f->call_column = take(&r) % 4;
        f->depth = f->parent == UV_DI_NONE || f->parent == i ? 0 : di.funcs[f->parent].depth + 1;
        if (take(&r) == 0xee) f->depth = take(&r); /* inconsistent depths */
    }
    di.range_count = di.func_count ? take(&r) % 32 : 0;
    di.ranges = uv_arena_calloc(arena, di.range_count ? di.range_count : 1, sizeof *di.ranges);
    for (size_t i = 0; i < di.range_count; i++) {
        uint64_t low = BASE + take16(&r) % 512;
        di.ranges[i] =
            (uv_di_range){low, low + take(&r) % 128 - 8, (uint32_t)(take(&r) % di.func_count)};
    }
    di.row_count = take(&r) % 64;
    di.rows = uv_arena_calloc(arena, di.row_count ? di.row_count : 1, sizeof *di.rows);
    uint64_t a = BASE + take(&r) % 64;
    for (size_t i = 0; i < di.row_count; i++) {
        uint8_t b = take(&r);
        di.rows[i] = (uv_di_row){a, b % 7 == 6 ? UV_DI_NONE : (uint32_t)(b % di.file_count),
                                 take(&r), take(&r) % 3};
        a += take(&r) % 24;
    }
    size_t nsyms = take(&r) % 8;
    uv_elf_symbol syms[8];
    for (size_t i = 0; i < nsyms; i++) {
        syms[i].addr = BASE - 16 + take16(&r) % 600;
        syms[i].size = take(&r) % 3 ? take(&r) : 0;
        syms[i].name = di.names[take(&r) % di.name_count];
    }

    uv_buf out = UV_BUF_INIT, again = UV_BUF_INIT;
    if (uv_symcache_write(&out, &di, syms, nsyms, "fuzz") != 0) abort();
    if (uv_symcache_write(&again, &di, syms, nsyms, "fuzz") != 0) abort();
    if (out.len != again.len || memcmp(out.data, again.data, out.len) != 0) abort();
    uv_symcache *c = NULL;
    if (uv_symcache_open(&c, out.data, out.len) != 0) abort();
    uv_symcache_stats st;
    uv_symcache_get_stats(c, &st);
    for (uint64_t x = BASE - 32; x < BASE + 1024; x++) {
        bool covered = false;
        for (size_t i = 0; i < di.range_count && !covered; i++)
            covered = di.ranges[i].low <= x && x < di.ranges[i].high;
        long row = -1;
        for (size_t i = 0; i < di.row_count; i++)
            if (di.rows[i].address <= x) row = (long)i;
        if (row >= 0 && di.rows[row].file != UV_DI_NONE) covered = true;
        long best = -1;
        for (size_t i = 0; i < nsyms; i++)
            if (syms[i].addr <= x &&
                (best < 0 || syms[i].addr > syms[best].addr ||
                 (syms[i].addr == syms[best].addr && syms[i].size > syms[best].size)))
                best = (long)i;
        if (best >= 0 && (syms[best].size == 0 || x < syms[best].addr + syms[best].size))
            covered = true;
        uv_sc_frame frames[4];
        size_t n = 0;
        int rc = uv_symcache_lookup(c, x, frames, 4, &n);
        if (covered != (rc == 0)) abort();
        if (rc == 0 && (n == 0 || n > st.locations || n > di.func_count + 1)) abort();
    }
    uv_symcache_free(c);
    uv_buf_free(&out);
    uv_buf_free(&again);
    uv_arena_free(arena);
    return 0;
}
