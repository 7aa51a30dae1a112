/* Fuzz target for formats/sourcemap: parse the input as a map; when it parses, look up
 * assorted positions, write a cache, load it back and check that both answer identically.
 * The input also goes through the comment finders and the data: URL decoder. */
#include "formats/arena.h"
#include "formats/buf.h"
#include "formats/sourcemap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);                             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void same_token(int ra, const uv_sm_token *a, int rb, const uv_sm_token *b)
{
    REQUIRE(ra == rb);
    if (ra == 0) REQUIRE(memcmp(a, b, sizeof *a) == 0);
}

static void same_str(uv_str a, uv_str b)
{
    REQUIRE((a.ptr == NULL) == (b.ptr == NULL));
    REQUIRE(uv_str_eq(a, b));
}

static void compare(const uv_sourcemap *a, const uv_sourcemap *b, uv_arena *arena)
{
    REQUIRE(uv_sourcemap_segment_count(a) == uv_sourcemap_segment_count(b));
    REQUIRE(uv_sourcemap_source_count(a) == uv_sourcemap_source_count(b));
    REQUIRE(uv_sourcemap_name_count(a) == uv_sourcemap_name_count(b));
    same_str(uv_sourcemap_file(a), uv_sourcemap_file(b));
    same_str(uv_sourcemap_debug_id(a), uv_sourcemap_debug_id(b));
    size_t n = uv_sourcemap_segment_count(a);
    uint32_t last_line = 0;
    for (size_t i = 0; i < n; i++) {
        uv_sm_token x, y;
        REQUIRE(uv_sourcemap_segment(a, i, &x) == 0);
        REQUIRE(uv_sourcemap_segment(b, i, &y) == 0);
        REQUIRE(memcmp(&x, &y, sizeof x) == 0);
        if (x.source != UV_SM_NONE) {
            REQUIRE(x.source < uv_sourcemap_source_count(a));
            REQUIRE(x.name == UV_SM_NONE || x.name < uv_sourcemap_name_count(a));
        }
        last_line = x.gen_line;
        /* lookups at, just before and just after every segment */
        for (int d = -1; d <= 1; d++) {
            if (d < 0 && x.gen_column == 0) continue;
            uint32_t col = x.gen_column + (uint32_t)d;
            uv_sm_token ta, tb;
            int ra = uv_sourcemap_lookup(a, x.gen_line, col, &ta);
            int rb = uv_sourcemap_lookup(b, x.gen_line, col, &tb);
            same_token(ra, &ta, rb, &tb);
            if (ra == 0) {
                REQUIRE(ta.gen_line == x.gen_line && ta.gen_column <= col);
                REQUIRE(ta.source < uv_sourcemap_source_count(a));
            }
        }
    }
    for (uint32_t line = 0; line <= last_line + 2 && line < 64; line++) {
        uv_sm_token ta, tb;
        same_token(uv_sourcemap_lookup(a, line, UINT32_MAX, &ta), &ta,
                   uv_sourcemap_lookup(b, line, UINT32_MAX, &tb), &tb);
        same_token(uv_sourcemap_lookup_line(a, line, &ta), &ta,
                   uv_sourcemap_lookup_line(b, line, &tb), &tb);
    }
    for (uint32_t i = 0; i < uv_sourcemap_source_count(a); i++) {
        same_str(uv_sourcemap_source(a, i), uv_sourcemap_source(b, i));
        same_str(uv_sourcemap_source_raw(a, i), uv_sourcemap_source_raw(b, i));
        REQUIRE(uv_sourcemap_source_ignored(a, i) == uv_sourcemap_source_ignored(b, i));
        uv_str ca, cb;
        int ra = uv_sourcemap_source_content(a, i, arena, &ca);
        int rb = uv_sourcemap_source_content(b, i, arena, &cb);
        REQUIRE(ra == rb);
        if (ra == 0) REQUIRE(uv_str_eq(ca, cb));
    }
    for (uint32_t i = 0; i < uv_sourcemap_name_count(a); i++)
        same_str(uv_sourcemap_name(a, i), uv_sourcemap_name(b, i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    uv_arena *arena = NULL;
    if (uv_arena_new(&arena)) return 0;

    uv_str url, id, decoded;
    if (uv_sourcemap_find_url(text, size, &url) == 0) {
        REQUIRE(url.ptr >= text && url.ptr + url.len <= text + size);
        (void)uv_sourcemap_decode_data_url(url, arena, &decoded);
    }
    if (uv_sourcemap_find_debug_id(text, size, &id) == 0)
        REQUIRE(id.ptr >= text && id.ptr + id.len <= text + size);
    (void)uv_sourcemap_decode_data_url((uv_str){text, size}, arena, &decoded);

    uv_sourcemap *map = NULL;
    if (uv_sourcemap_parse(&map, text, size) == 0) {
        uv_buf buf = UV_BUF_INIT;
        REQUIRE(uv_sourcemap_write_cache(map, &buf) == 0);
        /* the loader wants 8-byte alignment, as an mmap gives */
        void *bytes = malloc(buf.len ? buf.len : 1);
        REQUIRE(bytes != NULL);
        memcpy(bytes, buf.data, buf.len);
        uv_sourcemap *loaded = NULL;
        REQUIRE(uv_sourcemap_load_cache(&loaded, bytes, buf.len) == 0);
        compare(map, loaded, arena);
        uv_sourcemap_free(loaded);
        /* any truncation of the cache is rejected, never read past */
        size_t cut = size % (buf.len ? buf.len : 1);
        REQUIRE(uv_sourcemap_load_cache(&loaded, bytes, cut) != 0);
        free(bytes);
        uv_buf_free(&buf);
    }
    uv_sourcemap_free(map);
    /* the input as a cache file must never crash the loader */
    if (size >= 8) {
        void *copy = malloc(size);
        if (copy) {
            memcpy(copy, data, size);
            uv_sourcemap *loaded = NULL;
            if (uv_sourcemap_load_cache(&loaded, copy, size) == 0) {
                uv_sm_token t;
                for (uint32_t line = 0; line < 8; line++)
                    for (uint32_t col = 0; col < 64; col += 7)
                        if (uv_sourcemap_lookup(loaded, line, col, &t) == 0)
                            (void)uv_sourcemap_source(loaded, t.source);
            }
            uv_sourcemap_free(loaded);
            free(copy);
        }
    }
    uv_arena_free(arena);
    return 0;
}
