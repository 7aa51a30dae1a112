/* Fuzz target for formats/minidump.c: parse the input; on failure the dump must come back NULL
 * with a message; on success read every field of the model, check its invariants with abort()
 * (memory regions sorted, disjoint and inside the input; registers within the architecture's
 * numbering; the crash thread in range; IDs NUL-terminated hex), do a few memory reads at the
 * addresses a stack walker would try, and free. */
#include "formats/minidump.h"

#include "formats/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static volatile size_t sink;

static void touch_str(uv_str s)
{
    if (s.len && !s.ptr) abort();
    size_t sum = 0;
    for (size_t i = 0; i < s.len; i++)
        sum += (unsigned char)s.ptr[i];
    sink += sum;
}

static void check_id(const char *id, size_t size)
{
    size_t len = strnlen(id, size);
    if (len == size) abort(); /* not terminated */
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) abort();
    }
}

static void read_at(const uv_dump *dump, uv_arch arch, uint64_t addr)
{
    uint64_t value = 0;
    uint32_t word = 0;
    uint8_t bytes[64];
    if (uv_memory_read_ptr(&dump->memory, arch, addr, &value)) sink += (size_t)value;
    if (uv_memory_read_u32(&dump->memory, addr, &word)) sink += word;
    if (uv_memory_read(&dump->memory, addr, bytes, sizeof bytes)) sink += bytes[63];
    const uv_mem_region *r = uv_memory_find(&dump->memory, addr);
    if (r && (addr < r->base || addr - r->base >= r->size)) abort();
    sink += (size_t)(uintptr_t)uv_dump_module_at(dump, addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uv_dump *dump = (uv_dump *)&sink; /* must be reset to NULL on failure */
    sink += uv_minidump_is(data, size);
    if (uv_minidump_parse(&dump, data, size) != 0) {
        if (dump) abort();
        if (uv_error_last()->message[0] == '\0') abort();
        return 0;
    }
    if (!dump || !dump->arena || dump->kind != UV_DUMP_MINIDUMP) abort();

    touch_str(dump->os);
    touch_str(dump->os_version);
    touch_str(dump->cpu_info);
    touch_str(dump->crash_reason);
    sink += dump->cpu_count + dump->pid + dump->crashed + dump->crash_signal + dump->crash_code +
            dump->crash_tid + (size_t)dump->crash_address + (size_t)dump->arch;
    sink += strlen(uv_arch_name(dump->arch));
    if (dump->crashed && dump->crash_reason.len == 0) abort();
    if (dump->crash_thread != SIZE_MAX && dump->crash_thread >= dump->thread_count) abort();

    const uv_memory *mem = &dump->memory;
    for (size_t i = 0; i < mem->count; i++) {
        const uv_mem_region *r = &mem->regions[i];
        if (r->size == 0 || r->data < data || r->data > data + size ||
            r->size > (uint64_t)(data + size - r->data))
            abort();
        if (r->base + (r->size - 1) < r->base) abort();
        if (i > 0 && r->base < mem->regions[i - 1].base + mem->regions[i - 1].size) abort();
        sink += r->data[0] + r->data[r->size - 1];
        read_at(dump, dump->arch, r->base + r->size - 2);
    }

    for (size_t i = 0; i < dump->thread_count; i++) {
        const uv_dump_thread *t = &dump->threads[i];
        touch_str(t->name);
        sink += t->tid + (size_t)t->stack_base + (size_t)t->stack_size;
        if (t->regs.valid >> UV_REGS_MAX) abort();
        if (t->regs.valid && t->regs.arch == UV_ARCH_UNKNOWN) abort();
        for (int reg = 0; reg < UV_REGS_MAX; reg++)
            if (uv_regs_has(&t->regs, reg)) {
                if (!uv_arch_reg_name(t->regs.arch, reg)) abort();
                sink += (size_t)t->regs.r[reg];
            }
        uv_arch arch = t->regs.arch;
        if (arch != UV_ARCH_UNKNOWN) {
            read_at(dump, arch, t->regs.r[uv_arch_pc(arch)]);
            read_at(dump, arch, t->regs.r[uv_arch_sp(arch)]);
            read_at(dump, arch, t->regs.r[uv_arch_fp(arch)]);
        }
        read_at(dump, dump->arch, t->stack_base);
    }

    for (size_t i = 0; i < dump->module_count; i++) {
        const uv_dump_module *m = &dump->modules[i];
        touch_str(m->path);
        touch_str(m->debug_file);
        touch_str(m->version);
        check_id(m->build_id, sizeof m->build_id);
        check_id(m->debug_id, sizeof m->debug_id);
        check_id(m->code_id, sizeof m->code_id);
        if (m->main != (i == 0)) abort();
        sink += (size_t)m->base + (size_t)m->size;
        read_at(dump, dump->arch, m->base);
    }
    read_at(dump, dump->arch, dump->crash_address);
    uv_dump_free(dump);
    return 0;
}
