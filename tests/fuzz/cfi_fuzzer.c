/* Fuzz target for formats/cfi.c. Input: a 7-byte header, then section bytes. Header: flags
 * (bits 0-1: architecture x86-64 / x86 / arm64 / unknown; bit 2: .debug_frame follows the
 * .eh_frame, else the whole rest is .eh_frame), the .eh_frame length (u16 LE, with bit 2),
 * the .eh_frame address (u32 LE). Opens the sections, walks every FDE (rows must tile each
 * FDE's range), looks up pcs inside and around them (the row found must cover the pc; an
 * indexed FDE never fails), renders every rule as Breakpad postfix and applies rows to fake
 * registers over a small fake stack. A failed open must leave *out NULL and a message. */
#include "formats/cfi.h"

#include "formats/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static volatile size_t sink;

#define MAX_PCS 64

typedef struct {
    uint64_t pcs[MAX_PCS];
    size_t count;
    uv_arch arch;
} walk;

static uint8_t stack_bytes[512];
static const uv_mem_region stack_region = {0x10000, sizeof stack_bytes, stack_bytes};
static const uv_memory stack_memory = {&stack_region, 1};

static void add_pc(walk *w, uint64_t pc)
{
    if (w->count < MAX_PCS) w->pcs[w->count++] = pc;
}

static void render(uv_arch arch, const uv_cfi_rule *rule, bool is_cfa)
{
    char out[48];
    if (uv_cfi_rule_postfix(arch, rule, is_cfa, out, sizeof out)) {
        size_t n = strnlen(out, sizeof out);
        if (n == sizeof out || n == 0) abort();
        sink += n;
    }
}

static void apply(uv_arch arch, const uv_cfi_row *row)
{
    uv_regs callee = {.arch = arch}, caller;
    for (int i = 0; i < UV_REGS_MAX; i++)
        uv_regs_set(&callee, i, 0x10000 + 8 * (uint64_t)i);
    if (uv_cfi_apply(row, &callee, &stack_memory, &caller) == 0) {
        if (caller.arch != arch) abort();
        sink += (size_t)caller.valid;
    }
}

static int each(void *ctx, uint64_t start, uint64_t size, const uv_cfi_row *rows, size_t n)
{
    walk *w = ctx;
    if (size == 0 || n == 0) abort();
    if (rows[0].start != start || rows[n - 1].end != start + size) abort();
    for (size_t i = 0; i < n; i++) {
        if (rows[i].start >= rows[i].end) abort();
        if (i > 0 && rows[i].start != rows[i - 1].end) abort();
        if (rows[i].ra_reg >= UV_REGS_MAX) abort();
        render(w->arch, &rows[i].cfa, true);
        for (int r = 0; r < UV_REGS_MAX; r++)
            render(w->arch, &rows[i].regs[r], false);
    }
    add_pc(w, start);
    add_pc(w, start + size / 2);
    add_pc(w, start + size - 1);
    add_pc(w, start + size);
    if (start > 0) add_pc(w, start - 1);
    apply(w->arch, &rows[n - 1]);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 7) return 0;
    static const uv_arch arches[] = {UV_ARCH_X86_64, UV_ARCH_X86, UV_ARCH_ARM64, UV_ARCH_UNKNOWN};
    uv_arch arch = arches[data[0] & 3];
    bool with_debug = data[0] & 4;
    size_t eh_len = (size_t)data[1] | (size_t)data[2] << 8;
    uint64_t vaddr = (uint64_t)data[3] | (uint64_t)data[4] << 8 | (uint64_t)data[5] << 16 |
                     (uint64_t)data[6] << 24;
    data += 7;
    size -= 7;
    if (!with_debug || eh_len > size) eh_len = size;
    /* exact-size copies so that reads past either section are caught */
    uint8_t *eh = malloc(eh_len ? eh_len : 1);
    uint8_t *dbg = malloc(size - eh_len ? size - eh_len : 1);
    if (!eh || !dbg) abort();
    memcpy(eh, data, eh_len);
    memcpy(dbg, data + eh_len, size - eh_len);
    uv_cfi_section eh_section = {eh, eh_len, vaddr};
    uv_cfi_section dbg_section = {dbg, size - eh_len, 0};
    for (size_t i = 0; i < sizeof stack_bytes; i++)
        stack_bytes[i] = (uint8_t)(i * 7 + 1);

    uv_cfi *cfi = (uv_cfi *)&sink; /* must be reset to NULL on failure */
    if (uv_cfi_open(&cfi, arch, &eh_section, with_debug ? &dbg_section : NULL) != 0) {
        if (cfi) abort();
        if (uv_error_last()->message[0] == '\0') abort();
        free(eh);
        free(dbg);
        return 0;
    }
    sink += uv_cfi_fde_count(cfi) + uv_cfi_skipped(cfi);
    walk w = {.count = 0, .arch = arch};
    if (uv_cfi_each_fde(cfi, each, &w) != 0) abort();
    add_pc(&w, 0);
    add_pc(&w, vaddr);
    for (size_t i = 0; i < w.count; i++) {
        uv_cfi_row row;
        int rc = uv_cfi_find(cfi, w.pcs[i], &row);
        if (rc == 0) {
            if (w.pcs[i] < row.start || w.pcs[i] >= row.end) abort();
            apply(arch, &row);
        } else if (rc != UV_ENOTFOUND) {
            abort(); /* every indexed FDE ran cleanly at open */
        }
    }
    uv_cfi_free(cfi);
    free(eh);
    free(dbg);
    return 0;
}
