/* Breakpad text symbol files (.sym): read and write.
 *
 * Reading: MODULE, INFO CODE_ID, FILE, INLINE_ORIGIN, FUNC (with the optional `m` flag),
 * INLINE, line records, PUBLIC (optional `m`), STACK CFI INIT / STACK CFI, STACK WIN. Lines
 * end with \n or \r\n. Every address in a .sym is relative to the module's load address
 * (for ELF: the lowest PT_LOAD vaddr), and so is everything this reader returns.
 * FUNC / INLINE / line records become a uv_debuginfo model (so the symcache serves them like
 * DWARF), PUBLIC and FUNC records become a symbol list, STACK CFI becomes uv_cfi_row rules
 * (formats/cfi.h), STACK WIN records are evaluated for x86 like Breakpad's stackwalker does.
 *
 * Writing (`unravel dump-syms`): the same records from a uv_debuginfo model, the ELF's
 * symbols and its CFI, in the order and spelling of Breakpad's dump_syms. */
#ifndef UV_BREAKPAD_H
#define UV_BREAKPAD_H

#include "formats/buf.h"
#include "formats/cfi.h"
#include "formats/debuginfo.h"
#include "formats/dump.h"
#include "formats/elf.h"
#include "formats/str.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct uv_breakpad uv_breakpad;

typedef struct {
    uv_str os;        /* "Linux", "windows", "mac" */
    uv_str arch;      /* "x86_64", "x86", "arm64" as written */
    uv_str debug_id;  /* 33 hex (uppercase as written) */
    uv_str name;      /* debug file name ("test_app.pdb", "libfoo.so") */
    uv_str code_id;   /* INFO CODE_ID's first word; empty when absent */
    uv_str code_file; /* INFO CODE_ID's second word (Windows); empty when absent */
} uv_breakpad_info;

/* Parses a .sym. Not starting with a MODULE line → UV_EINVALID; a malformed record →
 * UV_ECORRUPT naming the line number and record ("line 12: FUNC: bad size"). Unknown record
 * types (INFO other than CODE_ID) are skipped. The text must outlive the handle. */
int uv_breakpad_parse(uv_breakpad **out, const void *text, size_t len);
void uv_breakpad_free(uv_breakpad *bp); /* accepts NULL */
const uv_breakpad_info *uv_breakpad_get_info(const uv_breakpad *bp);
uv_arch uv_breakpad_arch(const uv_breakpad *bp); /* from MODULE's arch word */

/* FUNC (depth 0 functions, one range each), INLINE (inlined instances, their ranges, call
 * file and line, parent by depth) and line records as a new model; names as written. */
int uv_breakpad_debuginfo(const uv_breakpad *bp, uv_debuginfo **out);
/* FUNC and PUBLIC records as symbols sorted by address (FUNC with its size, PUBLIC with size
 * 0); a FUNC wins over a PUBLIC at the same address. Lives as long as the handle. */
int uv_breakpad_symbols(const uv_breakpad *bp, const uv_elf_symbol **out, size_t *count);
/* Start address and size of the line record covering `address` (Breakpad prints frame
 * offsets from it), UV_ENOTFOUND when none. */
int uv_breakpad_line_at(const uv_breakpad *bp, uint64_t address, uint64_t *start, uint64_t *size);

/* STACK CFI: the rules in force at `address` (INIT record plus the deltas at or below it).
 * Simple postfix forms become plain rules ("$rsp 8 +" → UV_CFI_REGISTER rsp+8, ".cfa -8 + ^"
 * → UV_CFI_OFFSET -8, "$rbx" → UV_CFI_REGISTER, ".cfa 16 +" → UV_CFI_VAL_OFFSET), any other
 * expression stays UV_CFI_POSTFIX. UV_ENOTFOUND when no STACK CFI covers the address. */
int uv_breakpad_cfi_find(const uv_breakpad *bp, uint64_t address, uv_cfi_row *row);
bool uv_breakpad_has_cfi(const uv_breakpad *bp);

/* STACK WIN (x86): recovers the caller's eip, esp, ebp (and ebx/esi/edi when the program
 * says) from the callee's registers like Breakpad's x86 stackwalker: type 4 (FrameData)
 * records run their program string with $T0.. variables, .cbSavedRegs, .cbLocals,
 * .cbParams, .raSearchStart bound; type 0 (FPO) records use the frame-size arithmetic.
 * `address` is module-relative; registers are absolute. UV_ENOTFOUND when no record covers
 * the address or the program cannot be evaluated on this memory. */
int uv_breakpad_win_unwind(const uv_breakpad *bp, uint64_t address, const uv_regs *callee,
                           const uv_memory *mem, uv_regs *caller);
bool uv_breakpad_has_win(const uv_breakpad *bp);

/* Breakpad postfix evaluation: tokens separated by spaces; numbers (decimal, or 0x hex,
 * negative allowed), registers ("$rsp", "$eip", resolved through `regs` and the
 * architecture's names), variables (".cfa", ".ra", "$T0", ".cbSavedRegs", … looked up in
 * vars), operators + - * / % @ (align down) ^ (dereference a pointer-sized word from mem)
 * and = (assign the value to the name below it: vars are added or replaced). Returns the
 * value left on the stack (0 when the program only assigns) in *result. Errors: stack
 * underflow, unknown name, unreadable memory, division by zero, more than var_cap variables
 * → UV_EINVALID / UV_ENOTFOUND with the token in the message. */
typedef struct {
    char name[32];
    uint64_t value;
} uv_postfix_var;
int uv_postfix_eval(const char *expr, size_t len, uv_arch arch, const uv_regs *regs,
                    uv_postfix_var *vars, size_t *var_count, size_t var_cap, const uv_memory *mem,
                    uint64_t *result);

/* Writing. Addresses in `di`, `symbols` and `cfi` are the ELF's virtual addresses and are
 * written minus `load_vaddr`. Functions get demangled names (formats/demangle.h); lines
 * group into FUNCs by address; INLINE_ORIGIN/INLINE records describe inlined instances;
 * PUBLIC records list symbols no FUNC covers; STACK CFI INIT/STACK CFI come from every FDE
 * of `cfi` (may be NULL). */
typedef struct {
    const char *os;       /* "Linux" */
    const char *arch;     /* "x86_64", "x86", "arm64" */
    const char *debug_id; /* 33 uppercase hex */
    const char *name;     /* file name without directory */
    const char *code_id;  /* build-id in uppercase hex; NULL or "" to leave INFO out */
} uv_breakpad_header;
int uv_breakpad_write(uv_buf *out, const uv_breakpad_header *header, const uv_debuginfo *di,
                      const uv_elf_symbol *symbols, size_t symbol_count, const uv_cfi *cfi,
                      uint64_t load_vaddr);

#endif
