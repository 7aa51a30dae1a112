/* Walking a thread's stack in a crash dump (formats/dump.h) the way Breakpad's and
 * rust-minidump's stackwalkers do: the thread's context gives frame 0; each caller is found
 * by call frame information when the module has any (DWARF CFI, Breakpad STACK CFI or STACK
 * WIN, supplied by the caller through uv_unwind_provider), else by the frame pointer chain,
 * else by a bounded scan of the stack for a word that is a plausible return address (inside
 * a known module and, when the module has symbols, inside a function). Each frame carries how
 * it was found. Caller frames are looked up at return address - 1 (inside the call
 * instruction). The walk stops at a zero or unmapped pc, a stack pointer that does not grow,
 * a pc that repeats with the same sp, or the frame limit. */
#ifndef UV_UNWIND_H
#define UV_UNWIND_H

#include "formats/dump.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    UV_TRUST_NONE = 0,
    UV_TRUST_SCAN,     /* found by stack scanning */
    UV_TRUST_CFI_SCAN, /* scanning, then checked by CFI */
    UV_TRUST_FP,       /* frame pointer */
    UV_TRUST_CFI,      /* call frame information */
    UV_TRUST_CONTEXT,  /* the thread's own context (frame 0) */
} uv_trust;

/* "context", "cfi", "fp", "scan", "cfi_scan", "none" (rust-minidump's JSON spelling). */
const char *uv_trust_name(uv_trust trust);
/* Breakpad's human spelling: "given as instruction pointer in context", "call frame info",
 * "previous frame's frame pointer", "stack scanning", … */
const char *uv_trust_description(uv_trust trust);

typedef struct {
    uv_regs regs; /* registers known in this frame (frame 0: the whole context) */
    uint64_t pc;  /* instruction pointer (for callers: the return address) */
    uint64_t sp;
    uint64_t lookup_pc; /* pc for symbol/CFI lookups: pc for frame 0, else pc - 1 */
    uv_trust trust;
    size_t module; /* index into dump->modules, SIZE_MAX when none holds pc */
} uv_unwind_frame;

/* What the caller knows about modules. All callbacks get absolute addresses. */
typedef struct {
    void *ctx;
    /* Computes the caller's registers from `callee` with the CFI (or STACK WIN) of module
     * `module` at `lookup_pc`. 0 on success; UV_ENOTFOUND when the module has no CFI for that
     * address (the walker then tries the frame pointer and scanning); other errors are
     * treated like UV_ENOTFOUND. */
    int (*cfi_step)(void *ctx, size_t module, uint64_t lookup_pc, const uv_regs *callee,
                    const uv_memory *mem, uv_regs *caller);
    /* Whether `pc` may be a return address into module `module`: true when the module has no
     * symbols, else whether a function covers pc - 1. May be NULL (then: any pc in a module). */
    bool (*plausible_return)(void *ctx, size_t module, uint64_t pc);
} uv_unwind_provider;

typedef struct {
    size_t max_frames; /* 0: 256 */
    size_t scan_words; /* words scanned for a return address: 0 → 40 on the first caller
                          frame, 30 afterwards (Breakpad's numbers) */
    bool no_scan;      /* never scan */
} uv_unwind_options;

/* Walks one thread. Frames are allocated in `arena`. Never fails on bad stacks (a walk that
 * cannot continue just stops); UV_ENOMEM only. */
int uv_unwind_thread(const uv_dump *dump, const uv_dump_thread *thread,
                     const uv_unwind_provider *provider, const uv_unwind_options *options,
                     uv_arena *arena, uv_unwind_frame **frames, size_t *count);

#endif
