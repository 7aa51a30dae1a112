/* Call frame information: how to find a caller's registers from a callee's at a given code
 * address. Read from DWARF `.eh_frame` / `.debug_frame` (this file's parser) and produced by
 * Breakpad `STACK CFI` records (formats/breakpad.c), both as uv_cfi_row, and applied by
 * uv_cfi_apply for the stack walker (symbolicate/unwind.c) and written out as STACK CFI by
 * `unravel dump-syms`. Addresses are the module's own (file) virtual addresses. */
#ifndef UV_CFI_H
#define UV_CFI_H

#include "formats/dump.h"
#include "formats/elf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    UV_CFI_UNSPECIFIED = 0, /* no rule: callee-saved registers are taken as unchanged, others
                               unknown */
    UV_CFI_UNDEFINED,       /* not recoverable (for the return address: outermost frame) */
    UV_CFI_SAME,            /* caller's value = callee's value */
    UV_CFI_OFFSET,          /* saved in memory at CFA + offset */
    UV_CFI_VAL_OFFSET,      /* value = CFA + offset */
    UV_CFI_REGISTER,        /* value = callee's register `reg` (+ offset, for the CFA rule) */
    UV_CFI_EXPRESSION,      /* saved at the address a DWARF expression computes (CFA pushed) */
    UV_CFI_VAL_EXPRESSION,  /* value = DWARF expression (CFA pushed first) */
    UV_CFI_POSTFIX,         /* value = Breakpad postfix expression (text), may use .cfa */
} uv_cfi_rule_kind;

typedef struct {
    uv_cfi_rule_kind kind;
    uint32_t reg;        /* UV_CFI_REGISTER; for UV_CFI_SAME the register itself */
    int64_t offset;      /* UV_CFI_OFFSET, UV_CFI_VAL_OFFSET, UV_CFI_REGISTER (CFA rule only) */
    const uint8_t *expr; /* DWARF expression bytes or postfix text (views into the source) */
    size_t expr_len;
} uv_cfi_rule;

/* The rules in force for [start, end). The CFA rule is UV_CFI_REGISTER (reg + offset),
 * UV_CFI_VAL_EXPRESSION (DWARF expression, nothing pushed) or UV_CFI_POSTFIX. */
typedef struct {
    uint64_t start, end;
    uv_cfi_rule cfa;
    uv_cfi_rule regs[UV_REGS_MAX]; /* indexed by DWARF register number (formats/dump.h) */
    uint32_t ra_reg;               /* the return-address column (rip 16 / eip 8 / x30) */
    bool signal_frame;             /* CIE augmentation 'S' */
} uv_cfi_row;

typedef struct uv_cfi uv_cfi;

typedef struct {
    const uint8_t *data; /* may be NULL when the section is absent */
    size_t size;
    uint64_t vaddr; /* the section's sh_addr (for pc-relative pointer encodings) */
} uv_cfi_section;

/* Indexes the FDEs of `eh_frame` and/or `debug_frame` (either may be NULL or empty; when an
 * address is covered by both, .debug_frame wins) for `arch`. Zero-copy: the bytes must
 * outlive the handle. Malformed entries are skipped (counted in uv_cfi_skipped); a section
 * that cannot be walked at all → UV_ECORRUPT naming the section and offset. */
int uv_cfi_open(uv_cfi **out, uv_arch arch, const uv_cfi_section *eh_frame,
                const uv_cfi_section *debug_frame);
void uv_cfi_free(uv_cfi *cfi); /* accepts NULL */

/* The CFI of an ELF module: `.eh_frame` of `file` (which is loaded) and `.debug_frame` of
 * `debug` (its separate debug file; may be NULL), else of `file`. Either file may be NULL.
 * UV_ENOTFOUND when neither section is there; else as uv_cfi_open. The files must outlive
 * the handle. */
int uv_cfi_open_elf(uv_cfi **out, uv_arch arch, uv_elf *file, uv_elf *debug);
size_t uv_cfi_fde_count(const uv_cfi *cfi);
size_t uv_cfi_skipped(const uv_cfi *cfi);

/* The row covering `pc` (runs the CIE's and FDE's instructions up to pc). UV_ENOTFOUND when
 * no FDE covers it; UV_ECORRUPT for bad instructions (naming the FDE's offset). */
int uv_cfi_find(const uv_cfi *cfi, uint64_t pc, uv_cfi_row *row);

/* Every FDE in address order with all of its rows (rows[0].start = the FDE's start, each
 * row's end = the next row's start, the last row's end = start + size), for dump-syms. The
 * callback returns non-zero to stop (that value is returned). */
typedef int (*uv_cfi_fde_fn)(void *ctx, uint64_t start, uint64_t size, const uv_cfi_row *rows,
                             size_t row_count);
int uv_cfi_each_fde(const uv_cfi *cfi, uv_cfi_fde_fn fn, void *ctx);

/* Applies `row` to the callee's registers: computes the CFA, then every register with a rule
 * (reading saved values from `mem`); registers without a rule keep the callee's value when
 * they are callee-saved for the ABI (x86-64: rbx rbp r12-r15; x86: ebx ebp esi edi; arm64:
 * x19-x29), else are left unknown. The caller's stack pointer is the CFA and its pc is the
 * return address column's value. POSTFIX rules are evaluated with uv_postfix_eval
 * (formats/breakpad.h) with `.cfa` and `.ra` bound. UV_ENOTFOUND when a needed register or
 * memory word is missing; UV_EINVALID for an unsupported expression op. */
int uv_cfi_apply(const uv_cfi_row *row, const uv_regs *callee, const uv_memory *mem,
                 uv_regs *caller);

/* Renders a rule as Breakpad STACK CFI postfix ("$rsp 8 +", ".cfa -16 + ^", "$rbx", ".undef"
 * for an undefined register — the return address of the outermost frame), for
 * dump-syms; false when it cannot be expressed (DWARF expressions), then the FDE's rows are
 * written without that register (the CFA rule missing: the row is left out). */
bool uv_cfi_rule_postfix(uv_arch arch, const uv_cfi_rule *rule, bool is_cfa, char *out,
                         size_t size);

#endif
