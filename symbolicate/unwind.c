/* The stack walker, after Breakpad's (processor/stackwalker*.cc) and rust-minidump's
 * (minidump-unwind) rules.
 *
 * Frame 0 is the thread's context. Each caller is found by the first method that gives one:
 *  1. call frame information through the provider (DWARF CFI, STACK CFI, STACK WIN). A CFI
 *     result with no return address (rule "undefined", or 0) is the outermost frame: the walk
 *     ends there instead of guessing further. On x86 a CFI return address outside every
 *     module is re-searched on the stack above the CFI's stack pointer (Breakpad's STACK WIN
 *     "CFI_SCAN" refinement).
 *  2. the frame pointer:
 *       x86-64  rip = [rbp+8], rbp = [rbp], rsp = rbp+16, accepted when rbp is 8-aligned, rip
 *               is canonical and the new rbp is >= the new rsp and inside the stack (Breakpad's
 *               checks) — or, the new rbp failing them, when rip is a plausible return
 *               address (then rbp is unknown); never on Windows, whose x64 code keeps no
 *               frame chain;
 *       x86     eip = [ebp+4], ebp = [ebp], esp = ebp+8;
 *       arm64   pc = the callee's lr, lr = [fp+8], fp = [fp], sp = fp+16 (Breakpad: the
 *               context frame is taken as a leaf whose lr still holds its return address);
 *               frames found by CFI or scanning have no such lr (a CFI frame's x30 is its
 *               own pc), so their frame record is read directly: pc = [fp+8].
 *  3. scanning the stack upwards from sp for a word that is a plausible return address
 *     (inside a module and, when the module has symbols, inside a function): 160 words for
 *     the context frame's caller, 40 afterwards (Breakpad's kRASearchWords and its 4x
 *     first-frame allowance); the caller's sp is just above that word and (x86, x86-64) its
 *     frame pointer is recovered when the word below it chains plausibly.
 * A caller is rejected — and the walk ends — when its pc is below 4096, or its sp is below
 * the callee's (equal is allowed only for the context frame's caller, whose return address
 * may still be in a register), or when pc and sp both repeat. Frame-pointer and scanning
 * reads are confined to the thread's stack memory when the dump says where it is. */
#include "symbolicate/unwind.h"

#include "formats/error.h"

#include <errno.h>
#include <string.h>

#define DEFAULT_MAX_FRAMES 256
#define SCAN_WORDS 40             /* Breakpad's kRASearchWords */
#define SCAN_WORDS_CONTEXT 160    /* 4x for the caller of the context frame */
#define MIN_PC 4096               /* a pc in the zero page ends the walk */
#define MAX_FRAME_GAP (128 << 10) /* Breakpad's largest reasonable frame, for fp recovery */

const char *uv_trust_name(uv_trust trust)
{
    switch (trust) {
    case UV_TRUST_CONTEXT:
        return "context";
    case UV_TRUST_CFI:
        return "cfi";
    case UV_TRUST_FP:
        return "fp";
    case UV_TRUST_CFI_SCAN:
        return "cfi_scan";
    case UV_TRUST_SCAN:
        return "scan";
    default:
        return "none";
    }
}

const char *uv_trust_description(uv_trust trust)
{
    switch (trust) {
    case UV_TRUST_CONTEXT:
        return "given as instruction pointer in context";
    case UV_TRUST_CFI:
        return "call frame info";
    case UV_TRUST_FP:
        return "previous frame's frame pointer";
    case UV_TRUST_CFI_SCAN:
        return "call frame info with scanning";
    case UV_TRUST_SCAN:
        return "stack scanning";
    default:
        return "unknown";
    }
}

typedef struct {
    const uv_dump *dump;
    const uv_unwind_provider *provider;
    uv_arch arch;
    unsigned word;      /* pointer size */
    uint64_t addr_mask; /* UINT32_MAX on x86 */
    uint64_t stack_lo;  /* [stack_lo, stack_hi): the thread's stack; 0/UINT64_MAX unknown */
    uint64_t stack_hi;
    uint64_t ptrauth_mask; /* arm64: bits of a code address below the highest module end */
    bool windows;
    int pc_reg, sp_reg, fp_reg;
} walker;

static size_t module_index(const walker *w, uint64_t addr)
{
    const uv_dump_module *m = uv_dump_module_at(w->dump, addr);
    return m ? (size_t)(m - w->dump->modules) : SIZE_MAX;
}

/* A word of the stack (zero-extended); false outside the stack or the dump. */
static bool stack_word(const walker *w, uint64_t addr, uint64_t *out)
{
    if (addr < w->stack_lo || addr >= w->stack_hi || w->stack_hi - addr < w->word) return false;
    return uv_memory_read_ptr(&w->dump->memory, w->arch, addr, out);
}

static bool add_ok(const walker *w, uint64_t a, uint64_t b, uint64_t *out)
{
    if (__builtin_add_overflow(a, b, out)) return false;
    return *out <= w->addr_mask;
}

static bool is_non_canonical(uint64_t p)
{
    return p > 0x7FFFFFFFFFFFull && p < 0xFFFF800000000000ull;
}

/* arm64 pointer authentication codes sit in the high bits of saved return addresses: drop
 * them when the address without them falls inside a module (Breakpad's PtrauthStrip). */
static uint64_t strip_pac(const walker *w, uint64_t pc)
{
    if (w->arch != UV_ARCH_ARM64 || !w->ptrauth_mask || !(pc & ~w->ptrauth_mask)) return pc;
    uint64_t stripped = pc & w->ptrauth_mask;
    return module_index(w, stripped) != SIZE_MAX ? stripped : pc;
}

/* Whether `pc` may be a return address: Breakpad's InstructionAddressSeemsValid. */
static bool plausible(const walker *w, uint64_t pc)
{
    if (pc < MIN_PC || pc > w->addr_mask) return false;
    if (w->arch == UV_ARCH_X86_64 && is_non_canonical(pc)) return false;
    size_t m = module_index(w, pc);
    if (m == SIZE_MAX) return false;
    if (w->provider && w->provider->plausible_return)
        return w->provider->plausible_return(w->provider->ctx, m, pc);
    return true;
}

/* Scans `words` words from `start` for a plausible return address. */
static bool scan(const walker *w, uint64_t start, size_t words, uint64_t *location, uint64_t *pc)
{
    uint64_t addr = start;
    for (size_t i = 0; i <= words; i++) {
        uint64_t value;
        if (!stack_word(w, addr, &value)) return false;
        value = strip_pac(w, value);
        if (plausible(w, value)) {
            *location = addr;
            *pc = value;
            return true;
        }
        if (!add_ok(w, addr, w->word, &addr)) return false;
    }
    return false;
}

static int try_cfi(const walker *w, const uv_unwind_frame *callee, uv_regs *caller)
{
    if (callee->module == SIZE_MAX || !w->provider || !w->provider->cfi_step) return UV_ENOTFOUND;
    memset(caller, 0, sizeof *caller);
    caller->arch = w->arch;
    int rc = w->provider->cfi_step(w->provider->ctx, callee->module, callee->lookup_pc,
                                   &callee->regs, &w->dump->memory, caller);
    if (rc) return UV_ENOTFOUND;
    caller->arch = w->arch;
    return 0;
}

static bool fp_x86_64(const walker *w, const uv_regs *callee, uv_regs *caller)
{
    if (w->windows || !uv_regs_has(callee, w->fp_reg) || !uv_regs_has(callee, w->sp_reg))
        return false;
    uint64_t bp = callee->r[w->fp_reg], sp = callee->r[w->sp_reg];
    uint64_t ra_at, new_sp, pc, new_bp, probe;
    if (bp % 8 || !add_ok(w, bp, 8, &ra_at) || !add_ok(w, bp, 16, &new_sp)) return false;
    if (!stack_word(w, ra_at, &pc) || !stack_word(w, bp, &new_bp)) return false;
    if (is_non_canonical(pc) || new_sp <= sp) return false;
    bool chained = new_bp >= new_sp && stack_word(w, new_bp, &probe);
    /* Breakpad and rust-minidump also require the saved rbp to chain on. A caller that does
     * not keep a frame pointer (__libc_start_main calling main) breaks that while [rbp+8] is
     * still its return address: accepted when it is a plausible one, with rbp unknown, rather
     * than scanning from rsp into stale words of deeper, finished calls. */
    if (!chained && !plausible(w, pc)) return false;
    memset(caller, 0, sizeof *caller);
    caller->arch = w->arch;
    uv_regs_set(caller, w->pc_reg, pc);
    uv_regs_set(caller, w->sp_reg, new_sp);
    if (chained) uv_regs_set(caller, w->fp_reg, new_bp);
    return true;
}

static bool fp_x86(const walker *w, const uv_regs *callee, uv_regs *caller)
{
    if (!uv_regs_has(callee, w->fp_reg)) return false;
    uint64_t bp = callee->r[w->fp_reg];
    uint64_t ra_at, new_sp, pc, new_bp;
    if (!add_ok(w, bp, 4, &ra_at) || !add_ok(w, bp, 8, &new_sp)) return false;
    if (!stack_word(w, ra_at, &pc) || !stack_word(w, bp, &new_bp)) return false;
    memset(caller, 0, sizeof *caller);
    caller->arch = w->arch;
    uv_regs_set(caller, w->pc_reg, pc);
    uv_regs_set(caller, w->sp_reg, new_sp);
    uv_regs_set(caller, w->fp_reg, new_bp);
    return true;
}

static bool fp_arm64(const walker *w, const uv_unwind_frame *frame, uv_regs *caller)
{
    const int lr_reg = 30;
    const uv_regs *callee = &frame->regs;
    if (!uv_regs_has(callee, w->fp_reg) || !uv_regs_has(callee, w->sp_reg)) return false;
    uint64_t fp = callee->r[w->fp_reg];
    uint64_t pc, new_fp = 0, new_lr = 0, new_sp = callee->r[w->sp_reg], lr_at;
    /* lr holds the return address only in the context frame and in frames this walk made
     * from a frame pointer; a CFI frame's x30 is its own pc (the rule for the return address
     * column), which would repeat the frame. */
    bool lagging = frame->trust == UV_TRUST_CONTEXT || frame->trust == UV_TRUST_FP;
    if (lagging && uv_regs_has(callee, lr_reg)) {
        pc = strip_pac(w, callee->r[lr_reg]);
        if (fp) {
            if (!add_ok(w, fp, 8, &lr_at) || !add_ok(w, fp, 16, &new_sp)) return false;
            if (!stack_word(w, fp, &new_fp) || !stack_word(w, lr_at, &new_lr)) return false;
            new_lr = strip_pac(w, new_lr);
        }
    } else {
        /* Otherwise the callee's own frame record holds the return address, and the caller's
         * lr stays unknown, so the next step reads a record again. */
        if (!fp || !add_ok(w, fp, 8, &lr_at) || !add_ok(w, fp, 16, &new_sp)) return false;
        if (!stack_word(w, fp, &new_fp) || !stack_word(w, lr_at, &pc)) return false;
        pc = strip_pac(w, pc);
        memset(caller, 0, sizeof *caller);
        caller->arch = w->arch;
        uv_regs_set(caller, w->pc_reg, pc);
        uv_regs_set(caller, w->sp_reg, new_sp);
        uv_regs_set(caller, w->fp_reg, new_fp);
        return true;
    }
    memset(caller, 0, sizeof *caller);
    caller->arch = w->arch;
    uv_regs_set(caller, w->pc_reg, pc);
    uv_regs_set(caller, w->sp_reg, new_sp);
    uv_regs_set(caller, w->fp_reg, new_fp);
    uv_regs_set(caller, lr_reg, new_lr);
    return true;
}

static bool try_fp(const walker *w, const uv_unwind_frame *callee, uv_regs *caller)
{
    switch (w->arch) {
    case UV_ARCH_X86_64:
        return fp_x86_64(w, &callee->regs, caller);
    case UV_ARCH_X86:
        return fp_x86(w, &callee->regs, caller);
    case UV_ARCH_ARM64:
        return fp_arm64(w, callee, caller);
    default:
        return false;
    }
}

/* Scanning for the caller of `callee`; recovers the frame pointer like Breakpad (x86) and
 * rust-minidump (x86-64) do. */
static bool try_scan(const walker *w, const uv_unwind_frame *callee, size_t words, uv_regs *caller)
{
    const uv_regs *regs = &callee->regs;
    if (!uv_regs_has(regs, w->sp_reg)) return false;
    uint64_t location, pc, new_sp;
    if (!scan(w, regs->r[w->sp_reg], words, &location, &pc)) return false;
    if (!add_ok(w, location, w->word, &new_sp)) return false;
    memset(caller, 0, sizeof *caller);
    caller->arch = w->arch;
    uv_regs_set(caller, w->pc_reg, pc);
    uv_regs_set(caller, w->sp_reg, new_sp);
    if (w->arch == UV_ARCH_X86 && uv_regs_has(regs, w->fp_reg)) {
        /* The caller's ebp is normally saved just below the return address. */
        uint64_t saved_at = location - 4, bp;
        if (location >= 4 && stack_word(w, saved_at, &bp) && bp > saved_at &&
            bp - saved_at <= MAX_FRAME_GAP)
            uv_regs_set(caller, w->fp_reg, bp);
        else
            uv_regs_set(caller, w->fp_reg, regs->r[w->fp_reg]);
    } else if (w->arch == UV_ARCH_X86_64 && uv_regs_has(regs, w->fp_reg) &&
               location > regs->r[w->sp_reg]) {
        uint64_t last_bp = regs->r[w->fp_reg], saved_at = location - 8, bp, probe;
        if (last_bp == saved_at && stack_word(w, saved_at, &bp) && bp > location &&
            bp - saved_at <= MAX_FRAME_GAP && stack_word(w, bp, &probe))
            uv_regs_set(caller, w->fp_reg, bp);
        else if (last_bp >= new_sp)
            uv_regs_set(caller, w->fp_reg, last_bp);
    }
    return true;
}

/* Breakpad's TerminateWalk plus the repeat check. */
static bool ends_walk(const walker *w, const uv_unwind_frame *callee, const uv_regs *caller)
{
    if (!uv_regs_has(caller, w->pc_reg) || !uv_regs_has(caller, w->sp_reg)) return true;
    uint64_t pc = caller->r[w->pc_reg], sp = caller->r[w->sp_reg];
    if (pc < MIN_PC || pc > w->addr_mask) return true;
    bool first = callee->trust == UV_TRUST_CONTEXT;
    if (first ? sp < callee->sp : sp <= callee->sp) return true;
    return pc == callee->pc && sp == callee->sp;
}

static void fill_frame(const walker *w, uv_unwind_frame *f, const uv_regs *regs, uv_trust trust)
{
    f->regs = *regs;
    f->pc = regs->r[w->pc_reg];
    f->sp = uv_regs_has(regs, w->sp_reg) ? regs->r[w->sp_reg] : 0;
    f->trust = trust;
    f->lookup_pc = trust == UV_TRUST_CONTEXT || f->pc == 0 ? f->pc : f->pc - 1;
    f->module = module_index(w, f->lookup_pc);
}

/* Finds the caller of `callee` into `out`; false when the walk ends. */
static bool step(const walker *w, const uv_unwind_frame *callee, const uv_unwind_options *opts,
                 bool scan_allowed, uv_unwind_frame *out)
{
    uv_regs caller;
    uv_trust trust = UV_TRUST_NONE;
    bool first = callee->trust == UV_TRUST_CONTEXT;
    size_t words = opts && opts->scan_words ? opts->scan_words
                   : first                  ? SCAN_WORDS_CONTEXT
                                            : SCAN_WORDS;
    if (try_cfi(w, callee, &caller) == 0) {
        /* An undefined or zero return address: the outermost frame. */
        if (!uv_regs_has(&caller, w->pc_reg) || caller.r[w->pc_reg] == 0 ||
            !uv_regs_has(&caller, w->sp_reg))
            return false;
        uv_regs_set(&caller, w->pc_reg, strip_pac(w, caller.r[w->pc_reg]));
        trust = UV_TRUST_CFI;
        uint64_t pc = caller.r[w->pc_reg];
        if (w->arch == UV_ARCH_X86 && scan_allowed && module_index(w, pc) == SIZE_MAX) {
            uint64_t location, found;
            if (scan(w, caller.r[w->sp_reg], words, &location, &found) &&
                location + 4 <= w->addr_mask) {
                uv_regs_set(&caller, w->pc_reg, found);
                uv_regs_set(&caller, w->sp_reg, location + 4);
                trust = UV_TRUST_CFI_SCAN;
            }
        }
    } else if (try_fp(w, callee, &caller)) {
        trust = UV_TRUST_FP;
    } else if (scan_allowed && try_scan(w, callee, words, &caller)) {
        trust = UV_TRUST_SCAN;
    } else {
        return false;
    }
    if (ends_walk(w, callee, &caller)) return false;
    fill_frame(w, out, &caller, trust);
    return true;
}

static void setup(walker *w, const uv_dump *dump, const uv_dump_thread *thread,
                  const uv_unwind_provider *provider)
{
    memset(w, 0, sizeof *w);
    w->dump = dump;
    w->provider = provider;
    w->arch = dump->arch;
    w->word = uv_arch_pointer_size(dump->arch);
    w->addr_mask = w->word == 4 ? UINT32_MAX : UINT64_MAX;
    w->pc_reg = uv_arch_pc(dump->arch);
    w->sp_reg = uv_arch_sp(dump->arch);
    w->fp_reg = uv_arch_fp(dump->arch);
    w->windows = dump->os.len >= 7 && memcmp(dump->os.ptr, "Windows", 7) == 0;
    w->stack_lo = 0;
    w->stack_hi = UINT64_MAX;
    if (thread->stack_size && thread->stack_base + thread->stack_size > thread->stack_base) {
        w->stack_lo = thread->stack_base;
        w->stack_hi = thread->stack_base + thread->stack_size;
    }
    uint64_t highest = 0;
    for (size_t i = 0; i < dump->module_count; i++) {
        uint64_t end = dump->modules[i].base + dump->modules[i].size;
        if (end > highest) highest = end;
    }
    uint64_t mask = 0;
    while (mask < highest && mask != UINT64_MAX)
        mask = mask << 1 | 1;
    w->ptrauth_mask = mask;
}

int uv_unwind_thread(const uv_dump *dump, const uv_dump_thread *thread,
                     const uv_unwind_provider *provider, const uv_unwind_options *options,
                     uv_arena *arena, uv_unwind_frame **frames, size_t *count)
{
    *frames = NULL;
    *count = 0;
    walker w;
    setup(&w, dump, thread, provider);
    if (!uv_regs_has(&thread->regs, w.pc_reg)) return 0;
    size_t max = options && options->max_frames ? options->max_frames : DEFAULT_MAX_FRAMES;
    /* Frames are gathered in a small buffer first so a short stack costs little arena. */
    size_t cap = max < 16 ? max : 16;
    uv_unwind_frame *out = uv_arena_calloc(arena, cap, sizeof *out);
    if (!out) return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");

    uv_regs context = thread->regs;
    context.arch = w.arch;
    fill_frame(&w, &out[0], &context, UV_TRUST_CONTEXT);
    size_t n = 1;
    bool scan_allowed = !(options && options->no_scan);
    while (n < max) {
        if (n == cap) {
            size_t new_cap = cap * 2 < max ? cap * 2 : max;
            uv_unwind_frame *grown = uv_arena_calloc(arena, new_cap, sizeof *grown);
            if (!grown) return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
            memcpy(grown, out, n * sizeof *out);
            out = grown;
            cap = new_cap;
        }
        if (!step(&w, &out[n - 1], options, scan_allowed, &out[n])) break;
        n++;
    }
    *frames = out;
    *count = n;
    return 0;
}
