/* The debug-info model's builder: readers append rows, function instances and ranges in
 * whatever order their format gives them; strings are interned in hash tables (FNV-1a, open
 * addressing) so each distinct path or name gets one index; finishing sorts the rows stably
 * by address and copies everything into one arena owned by the model. */
#include "formats/debuginfo.h"

#include "formats/buf.h"
#include "formats/error.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uv_str *items; /* views into the model's arena */
    size_t count, cap;
    uint32_t *slots; /* index + 1, 0 = empty; capacity a power of two */
    size_t slot_count;
} intern_table;

struct uv_di_builder {
    uv_arena *arena; /* becomes the model's arena */
    intern_table files, names;
    uv_di_row *rows;
    size_t row_count, row_cap;
    uv_di_func *funcs;
    size_t func_count, func_cap;
    uv_di_range *ranges;
    size_t range_count, range_cap;
};

void uv_debuginfo_free(uv_debuginfo *di)
{
    if (!di) return;
    uv_arena_free(di->arena); /* the model itself lives in its arena */
}

static uint64_t hash_bytes(const char *p, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (uint8_t)p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static int intern_rehash(intern_table *t)
{
    size_t slot_count = t->slot_count ? t->slot_count * 2 : 1024;
    uint32_t *slots = calloc(slot_count, sizeof *slots);
    if (!slots) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "debug info: out of memory");
    for (size_t i = 0; i < t->count; i++) {
        size_t s = hash_bytes(t->items[i].ptr, t->items[i].len) & (slot_count - 1);
        while (slots[s])
            s = (s + 1) & (slot_count - 1);
        slots[s] = (uint32_t)i + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->slot_count = slot_count;
    return 0;
}

static int intern(uv_arena *arena, intern_table *t, uv_str s, uint32_t *index)
{
    if (!s.ptr) s = (uv_str){"", 0};
    if ((t->count + 1) * 10 > t->slot_count * 7) { /* keep the load under 70% */
        int rc = intern_rehash(t);
        if (rc) return rc;
    }
    size_t slot = hash_bytes(s.ptr, s.len) & (t->slot_count - 1);
    while (t->slots[slot]) {
        uint32_t i = t->slots[slot] - 1;
        if (uv_str_eq(t->items[i], s)) {
            *index = i;
            return 0;
        }
        slot = (slot + 1) & (t->slot_count - 1);
    }
    if (t->count >= UV_DI_MAX_ITEMS)
        return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0, "debug info: more than %zu strings",
                            UV_DI_MAX_ITEMS);
    uv_str *items = uv_array_grow(t->items, &t->cap, t->count, sizeof *items, 256);
    if (!items) return UV_ENOMEM;
    t->items = items;
    char *copy = uv_arena_strndup(arena, s.ptr, s.len);
    if (!copy) return UV_ENOMEM;
    items[t->count] = (uv_str){copy, s.len};
    t->slots[slot] = (uint32_t)t->count + 1;
    *index = (uint32_t)t->count++;
    return 0;
}

int uv_di_builder_new(uv_di_builder **out)
{
    uv_di_builder *b = calloc(1, sizeof *b);
    if (!b) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "debug info: out of memory");
    int rc = uv_arena_new(&b->arena);
    if (rc) {
        free(b);
        return rc;
    }
    *out = b;
    return 0;
}

static void free_arrays(uv_di_builder *b)
{
    free(b->files.items);
    free(b->files.slots);
    free(b->names.items);
    free(b->names.slots);
    free(b->rows);
    free(b->funcs);
    free(b->ranges);
}

void uv_di_builder_free(uv_di_builder *b)
{
    if (!b) return;
    free_arrays(b);
    uv_arena_free(b->arena);
    free(b);
}

int uv_di_builder_file(uv_di_builder *b, uv_str path, uint32_t *index)
{
    return intern(b->arena, &b->files, path, index);
}

int uv_di_builder_name(uv_di_builder *b, uv_str name, uint32_t *index)
{
    return intern(b->arena, &b->names, name, index);
}

static int too_many(const char *what)
{
    return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0, "debug info: more than %zu %s", UV_DI_MAX_ITEMS,
                        what);
}

int uv_di_builder_row(uv_di_builder *b, uint64_t address, uint32_t file, uint32_t line,
                      uint32_t column)
{
    if (b->row_count >= UV_DI_MAX_ITEMS) return too_many("line rows");
    uv_di_row *rows = uv_array_grow(b->rows, &b->row_cap, b->row_count, sizeof *rows, 4096);
    if (!rows) return UV_ENOMEM;
    b->rows = rows;
    rows[b->row_count++] = (uv_di_row){address, file, line, column};
    return 0;
}

int uv_di_builder_func(uv_di_builder *b, const uv_di_func *func, uint32_t *index)
{
    if (b->func_count >= UV_DI_MAX_ITEMS) return too_many("functions");
    uv_di_func *funcs = uv_array_grow(b->funcs, &b->func_cap, b->func_count, sizeof *funcs, 1024);
    if (!funcs) return UV_ENOMEM;
    b->funcs = funcs;
    funcs[b->func_count] = *func;
    *index = (uint32_t)b->func_count++;
    return 0;
}

int uv_di_builder_range(uv_di_builder *b, uint64_t low, uint64_t high, uint32_t func)
{
    if (b->range_count >= UV_DI_MAX_ITEMS) return too_many("ranges");
    uv_di_range *ranges =
        uv_array_grow(b->ranges, &b->range_cap, b->range_count, sizeof *ranges, 1024);
    if (!ranges) return UV_ENOMEM;
    b->ranges = ranges;
    ranges[b->range_count++] = (uv_di_range){low, high, func};
    return 0;
}

uv_di_mark uv_di_builder_mark(const uv_di_builder *b)
{
    return (uv_di_mark){b->row_count, b->func_count, b->range_count};
}

void uv_di_builder_rollback(uv_di_builder *b, uv_di_mark mark)
{
    if (mark.rows < b->row_count) b->row_count = mark.rows;
    if (mark.funcs < b->func_count) b->func_count = mark.funcs;
    if (mark.ranges < b->range_count) b->range_count = mark.ranges;
}

const uv_di_func *uv_di_builder_func_at(const uv_di_builder *b, uint32_t index)
{
    return index < b->func_count ? &b->funcs[index] : NULL;
}

/* Row order: by address, an end-of-sequence marker before other rows at its address. */
static bool row_before(const uv_di_row *a, const uv_di_row *b)
{
    if (a->address != b->address) return a->address < b->address;
    return a->file == UV_DI_NONE && b->file != UV_DI_NONE;
}

static bool rows_sorted(const uv_di_row *rows, size_t count)
{
    for (size_t i = 1; i < count; i++)
        if (row_before(&rows[i], &rows[i - 1])) return false;
    return true;
}

/* Bottom-up merge sort: stable, O(n log n), one temporary copy. */
static int merge_sort_rows(uv_di_row *rows, size_t count)
{
    uv_di_row *tmp = malloc(count * sizeof *tmp);
    if (!tmp) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "debug info: out of memory");
    uv_di_row *src = rows, *dst = tmp;
    for (size_t width = 1; width < count; width *= 2) {
        for (size_t lo = 0; lo < count; lo += 2 * width) {
            size_t mid = lo + width < count ? lo + width : count;
            size_t hi = mid + width < count ? mid + width : count;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = row_before(&src[j], &src[i]) ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        uv_di_row *t = src;
        src = dst;
        dst = t;
    }
    if (src != rows) memcpy(rows, src, count * sizeof *rows);
    free(tmp);
    return 0;
}

typedef struct {
    uint64_t start;
    size_t first, count;
} sequence;

static int cmp_sequence(const void *a, const void *b)
{
    const sequence *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first; /* keeps input order: stable */
}

/* Sequences are runs of rows ending with an end marker; a file's sequences usually do not
 * overlap, so ordering whole sequences by start address sorts the rows in O(s log s + n).
 * Overlapping ones (code discarded by the linker, all at address 0) fall back to a full
 * stable sort. */
static int sort_rows(uv_di_row *rows, size_t count)
{
    if (rows_sorted(rows, count)) return 0;
    size_t seq_count = 0, seq_cap = 0;
    sequence *seqs = NULL;
    for (size_t i = 0; i < count;) {
        size_t j = i;
        while (j < count && rows[j].file != UV_DI_NONE)
            j++;
        if (j < count) j++; /* include the end marker */
        sequence *grown = uv_array_grow(seqs, &seq_cap, seq_count, sizeof *seqs, 256);
        if (!grown) {
            free(seqs);
            return UV_ENOMEM;
        }
        seqs = grown;
        seqs[seq_count++] = (sequence){rows[i].address, i, j - i};
        i = j;
    }
    qsort(seqs, seq_count, sizeof *seqs, cmp_sequence);
    uv_di_row *sorted = malloc(count * sizeof *sorted);
    if (!sorted) {
        free(seqs);
        return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "debug info: out of memory");
    }
    size_t k = 0;
    for (size_t s = 0; s < seq_count; s++) {
        memcpy(sorted + k, rows + seqs[s].first, seqs[s].count * sizeof *rows);
        k += seqs[s].count;
    }
    memcpy(rows, sorted, count * sizeof *rows);
    free(sorted);
    free(seqs);
    if (rows_sorted(rows, count)) return 0;
    return merge_sort_rows(rows, count);
}

static void *copy_array(uv_arena *arena, const void *items, size_t count, size_t size)
{
    void *copy = uv_arena_calloc(arena, count ? count : 1, size);
    if (copy && count) memcpy(copy, items, count * size);
    return copy;
}

int uv_di_builder_finish(uv_di_builder *b, uv_debuginfo **out)
{
    int rc = sort_rows(b->rows, b->row_count);
    if (rc) goto fail;
    uv_debuginfo *di = uv_arena_calloc(b->arena, 1, sizeof *di);
    if (!di) goto oom;
    di->arena = b->arena;
    di->files = copy_array(b->arena, b->files.items, b->files.count, sizeof(uv_str));
    di->names = copy_array(b->arena, b->names.items, b->names.count, sizeof(uv_str));
    di->rows = copy_array(b->arena, b->rows, b->row_count, sizeof(uv_di_row));
    di->funcs = copy_array(b->arena, b->funcs, b->func_count, sizeof(uv_di_func));
    di->ranges = copy_array(b->arena, b->ranges, b->range_count, sizeof(uv_di_range));
    if (!di->files || !di->names || !di->rows || !di->funcs || !di->ranges) goto oom;
    di->file_count = b->files.count;
    di->name_count = b->names.count;
    di->row_count = b->row_count;
    di->func_count = b->func_count;
    di->range_count = b->range_count;
    free_arrays(b);
    free(b);
    *out = di;
    return 0;
oom:
    rc = UV_ENOMEM;
fail:
    uv_di_builder_free(b);
    return rc;
}
