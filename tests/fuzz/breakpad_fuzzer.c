/* Fuzz target for formats/breakpad.c: parses the input as a .sym; on success builds the
 * debug-info model (rows sorted, indices in range), checks the symbol list (sorted, unique),
 * looks up lines, STACK CFI rows (the row covers the address; postfix rules are evaluated)
 * and STACK WIN unwinds at the addresses the file names, over a fake stack made of the input
 * bytes; then writes the model back as a .sym, which must parse again. Finally the input's
 * first bytes are evaluated as a postfix program. */
#include "formats/breakpad.h"

#include "formats/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define STACK_BASE 0x10000u
#define PROBES 64

static void check_model(const uv_debuginfo *di)
{
    for (size_t i = 1; i < di->row_count; i++)
        if (di->rows[i - 1].address > di->rows[i].address) abort();
    for (size_t i = 0; i < di->row_count; i++)
        if (di->rows[i].file != UV_DI_NONE && di->rows[i].file >= di->file_count) abort();
    for (size_t i = 0; i < di->func_count; i++) {
        const uv_di_func *f = &di->funcs[i];
        if (f->name >= di->name_count) abort();
        if (f->parent != UV_DI_NONE &&
            (f->parent >= i || f->depth != di->funcs[f->parent].depth + 1))
            abort();
        if (f->call_file != UV_DI_NONE && f->call_file >= di->file_count) abort();
    }
    for (size_t i = 0; i < di->range_count; i++)
        if (di->ranges[i].func >= di->func_count || di->ranges[i].low >= di->ranges[i].high)
            abort();
}

static void eval_rule(const uv_cfi_rule *rule, const uv_regs *regs, const uv_memory *mem)
{
    if (rule->kind != UV_CFI_POSTFIX) return;
    uv_postfix_var vars[4] = {{".cfa", STACK_BASE + 64}, {".ra", 0x1234}};
    size_t count = 2;
    uint64_t v;
    uv_postfix_eval((const char *)rule->expr, rule->expr_len, regs->arch, regs, vars, &count, 4,
                    mem, &v);
    if (count > 4) abort();
}

static void probe(const uv_breakpad *bp, uint64_t address, const uv_memory *mem)
{
    uint64_t start, size;
    if (uv_breakpad_line_at(bp, address, &start, &size) == 0 &&
        (address < start || address - start >= size))
        abort();
    uv_cfi_row row;
    if (uv_breakpad_cfi_find(bp, address, &row) == 0) {
        if (address < row.start || address >= row.end) abort();
        uv_regs regs = {.arch = uv_breakpad_arch(bp)};
        for (int r = 0; r < UV_REGS_MAX; r++)
            uv_regs_set(&regs, r, STACK_BASE + 8 * (uint64_t)r);
        eval_rule(&row.cfa, &regs, mem);
        for (int r = 0; r < UV_REGS_MAX; r++)
            eval_rule(&row.regs[r], &regs, mem);
    }
    uv_regs callee = {.arch = UV_ARCH_X86}, caller;
    uv_regs_set(&callee, 4, STACK_BASE + 16);
    uv_regs_set(&callee, 5, STACK_BASE + 32);
    uv_regs_set(&callee, 3, 7);
    if (uv_breakpad_win_unwind(bp, address, &callee, mem, &caller) == 0) {
        if (!uv_regs_has(&caller, 8) || !uv_regs_has(&caller, 4)) abort();
        if (caller.r[8] > UINT32_MAX || caller.r[4] > UINT32_MAX) abort();
    }
}

static void rewrite(const uv_breakpad *bp, const uv_debuginfo *di)
{
    const uv_elf_symbol *syms;
    size_t n;
    uv_breakpad_symbols(bp, &syms, &n);
    uv_breakpad_header h = {"Linux", "x86_64", "0123456789ABCDEF0123456789ABCDEF0", "f", "AB"};
    uv_buf out = UV_BUF_INIT;
    if (uv_breakpad_write(&out, &h, di, syms, n, NULL, 0) != 0) abort();
    uv_breakpad *again = NULL;
    if (uv_breakpad_parse(&again, out.data, out.len) != 0) abort();
    uv_breakpad_free(again);
    uv_buf_free(&out);
}

/* Addresses spelled in the text right after "STACK ": the records' own ranges. */
static void probe_stack_records(const uv_breakpad *bp, const uint8_t *data, size_t size,
                                const uv_memory *mem)
{
    const char *p = (const char *)data, *end = p + size;
    for (int k = 0; k < PROBES && p < end; k++) {
        const char *s = memmem(p, (size_t)(end - p), "STACK ", 6);
        if (!s) break;
        s += 6;
        while (s < end && *s != '\n' && (*s < '0' || *s > '9'))
            s++;
        if (s < end && *s == '0' && s + 1 < end && s[1] == ' ') s += 2; /* STACK WIN type */
        uint64_t a = 0;
        for (; s < end && ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')); s++)
            a = a * 16 + (uint64_t)(*s <= '9' ? *s - '0' : *s - 'a' + 10);
        probe(bp, a, mem);
        probe(bp, a + 2, mem);
        p = s;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uv_mem_region region = {STACK_BASE, size, data};
    uv_memory mem = {&region, size ? 1 : 0};

    uv_breakpad *bp = NULL;
    int rc = uv_breakpad_parse(&bp, data, size);
    if (rc) {
        if (bp || uv_error_last()->message[0] == '\0') abort();
    } else {
        const uv_breakpad_info *info = uv_breakpad_get_info(bp);
        if ((info->name.len && !info->name.ptr) || (info->code_id.len && !info->code_id.ptr))
            abort();
        const uv_elf_symbol *syms;
        size_t n;
        uv_breakpad_symbols(bp, &syms, &n);
        for (size_t i = 1; i < n; i++)
            if (syms[i - 1].addr >= syms[i].addr) abort();
        for (size_t i = 0; i < n && i < PROBES; i++) {
            probe(bp, syms[i].addr, &mem);
            probe(bp, syms[i].addr + 1, &mem);
            probe(bp, syms[i].addr + syms[i].size, &mem);
        }
        probe_stack_records(bp, data, size, &mem);
        uv_debuginfo *di = NULL;
        if (uv_breakpad_debuginfo(bp, &di) == 0) {
            check_model(di);
            rewrite(bp, di);
            uv_debuginfo_free(di);
        }
        uv_breakpad_free(bp);
    }

    /* the input as a postfix program */
    uv_regs regs = {.arch = size && data[0] & 1 ? UV_ARCH_X86 : UV_ARCH_X86_64};
    uv_regs_set(&regs, uv_arch_sp(regs.arch), STACK_BASE);
    uv_regs_set(&regs, uv_arch_fp(regs.arch), STACK_BASE + 8);
    uv_postfix_var vars[8];
    size_t count = 0;
    uint64_t v;
    uv_postfix_eval((const char *)data, size < 512 ? size : 512, regs.arch, &regs, vars, &count, 8,
                    &mem, &v);
    if (count > 8) abort();
    return 0;
}
