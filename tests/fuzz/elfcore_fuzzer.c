/* Fuzz target for formats/elfcore.c: parse the input as a core file; on success walk the whole
 * dump and check the model's invariants with abort(): paths and memory point into the input
 * (or are the parser's own constants), regions are sorted and disjoint, the crashing thread
 * exists, IDs have consistent lengths, memory reads at every thread's registers stay safe.
 * A failure leaves *out NULL and a message. */
#include "formats/elfcore.h"

#include "formats/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static volatile size_t sink;

static bool inside(const void *p, size_t len, const uint8_t *data, size_t size)
{
    const uint8_t *b = p;
    return b >= data && b <= data + size && len <= (size_t)(data + size - b);
}

static void check_view(uv_str v, const uint8_t *data, size_t size)
{
    if (v.len == 0) return;
    if (!v.ptr) abort();
    if (!inside(v.ptr, v.len, data, size) && !uv_str_eq_c(v, "linux-vdso.so.1") &&
        !uv_str_eq_c(v, "Linux"))
        abort();
    for (size_t i = 0; i < v.len; i++)
        sink += (unsigned char)v.ptr[i];
}

/* A string in the dump's arena: readable to its end. */
static void touch_text(uv_str v)
{
    if (v.len && !v.ptr) abort();
    for (size_t i = 0; i < v.len; i++)
        sink += (unsigned char)v.ptr[i];
}

static void check_hex(const char *s, size_t max, bool upper)
{
    size_t n = strnlen(s, max + 1);
    if (n > max || n % 2 != 0) abort();
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool digit = c >= '0' && c <= '9';
        bool letter = upper ? c >= 'A' && c <= 'F' : c >= 'a' && c <= 'f';
        if (!digit && !letter) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bool is_core = uv_elfcore_is(data, size);
    uv_dump *d = (uv_dump *)&sink; /* must be reset to NULL on failure */
    if (uv_elfcore_parse(&d, data, size) != 0) {
        if (d) abort();
        if (uv_error_last()->message[0] == '\0') abort();
        return 0;
    }
    if (!is_core || d->kind != UV_DUMP_ELFCORE) abort();
    check_view(d->os, data, size);
    touch_text(d->crash_reason);
    if (d->crashed != (d->crash_reason.len > 0)) abort();

    if (d->thread_count == 0 ? d->crash_thread != SIZE_MAX : d->crash_thread >= d->thread_count)
        abort();
    if (d->thread_count > 0 && d->threads[d->crash_thread].tid != d->crash_tid) abort();

    for (size_t i = 0; i < d->memory.count; i++) {
        const uv_mem_region *r = &d->memory.regions[i];
        if (r->size == 0 || !inside(r->data, (size_t)r->size, data, size)) abort();
        if (r->base + r->size - 1 < r->base) abort();
        if (i > 0 && r->base < d->memory.regions[i - 1].base + d->memory.regions[i - 1].size)
            abort();
        if (uv_memory_find(&d->memory, r->base) != r) abort();
        if (uv_memory_find(&d->memory, r->base + r->size - 1) != r) abort();
    }

    for (size_t i = 0; i < d->thread_count; i++) {
        const uv_dump_thread *t = &d->threads[i];
        if (t->regs.arch != d->arch) abort();
        for (int reg = 0; reg < UV_REGS_MAX; reg++) {
            if (!uv_regs_has(&t->regs, reg)) continue;
            uint64_t word;
            if (uv_memory_read_ptr(&d->memory, d->arch, t->regs.r[reg], &word)) sink += word;
        }
        if (t->stack_size && !uv_memory_find(&d->memory, t->stack_base)) abort();
        check_view(t->name, data, size);
    }

    size_t mains = 0;
    for (size_t i = 0; i < d->module_count; i++) {
        const uv_dump_module *m = &d->modules[i];
        check_view(m->path, data, size);
        check_view(m->debug_file, data, size);
        check_view(m->version, data, size);
        if (m->path.len == 0) abort();
        check_hex(m->build_id, 128, false);
        check_hex(m->code_id, 128, true);
        if (strlen(m->build_id) != strlen(m->code_id)) abort();
        if (strlen(m->debug_id) != (m->build_id[0] ? 33u : 0u)) abort();
        if (uv_elfcore_module_needs_file(m) != (m->build_id[0] == '\0')) abort();
        mains += m->main;
        if (m->size > 0 && !uv_dump_module_at(d, m->base)) abort();
    }
    if (mains != (d->module_count > 0) || (d->module_count > 0 && !d->modules[0].main)) abort();
    uv_dump_free(d);
    return 0;
}
