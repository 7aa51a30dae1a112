/* Fuzz target for formats/jsscope.c: scans the input as JavaScript, checks the table's
 * invariants (sorted by start, parents before and around children, find agrees), round-trips
 * it through the cache, and also feeds the raw input to the cache loader. */
#include "formats/buf.h"
#include "formats/jsscope.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int before(uint32_t l1, uint32_t c1, uint32_t l2, uint32_t c2)
{
    return l1 < l2 || (l1 == l2 && c1 < c2);
}

static void check_table(const uv_jsscopes *s)
{
    size_t n = uv_jsscope_count(s);
    for (size_t i = 0; i < n; i++) {
        const uv_jsscope *x = uv_jsscope_get(s, i);
        if (!before(x->start_line, x->start_column, x->end_line, x->end_column)) abort();
        if (i > 0) {
            const uv_jsscope *p = uv_jsscope_get(s, i - 1);
            if (before(x->start_line, x->start_column, p->start_line, p->start_column)) abort();
        }
        if (x->parent != UV_JSSCOPE_NONE) {
            if (x->parent >= i) abort();
            const uv_jsscope *p = uv_jsscope_get(s, x->parent);
            if (before(x->start_line, x->start_column, p->start_line, p->start_column) ||
                before(p->end_line, p->end_column, x->end_line, x->end_column))
                abort();
        }
        if ((x->name_line == UV_JSSCOPE_NONE) != (x->name_column == UV_JSSCOPE_NONE)) abort();
        uint32_t at = uv_jsscope_find(s, x->start_line, x->start_column);
        if (at == UV_JSSCOPE_NONE || at < i) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uv_jsscopes *s = NULL, *loaded = NULL;
    if (uv_jsscope_load_cache(&loaded, data, size) == 0) {
        check_table(loaded);
        uv_jsscope_free(loaded);
        loaded = NULL;
    }
    if (uv_jsscope_parse(&s, (const char *)data, size) != 0) return 0;
    check_table(s);
    uv_buf b = UV_BUF_INIT;
    if (uv_jsscope_write_cache(s, &b) == 0) {
        if (uv_jsscope_load_cache(&loaded, b.data, b.len) != 0) abort();
        if (uv_jsscope_count(loaded) != uv_jsscope_count(s)) abort();
        for (size_t i = 0; i < uv_jsscope_count(s); i++) {
            const uv_jsscope *x = uv_jsscope_get(s, i), *y = uv_jsscope_get(loaded, i);
            if (x->end_line != y->end_line || x->end_column != y->end_column ||
                x->parent != y->parent || !uv_str_eq(x->name, y->name) ||
                !uv_str_eq(x->class_name, y->class_name))
                abort();
        }
        uv_jsscope_free(loaded);
    }
    uv_buf_free(&b);
    uv_jsscope_free(s);
    return 0;
}
