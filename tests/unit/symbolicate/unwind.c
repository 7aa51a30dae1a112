/* symbolicate/unwind: the stack walker on hand-built dumps (formats/dump.h): a module or two
 * and one stack region whose words each test lays out. Frame-pointer chains (x86-64, x86,
 * arm64), stack scanning with its word limits and plausibility callback, the provider's CFI
 * step taking precedence (and ending the walk when it finds no return address), the stop
 * rules, and garbage or cyclic stacks that must stay bounded. */
#include "symbolicate/unwind.h"

#include "formats/error.h"

#include "test.h"

#include <stdlib.h>

#define STACK_BASE 0x10000u
#define STACK_SIZE 0x2000u
#define MOD_BASE 0x400000u
#define MOD_SIZE 0x10000u
#define OTHER_BASE 0x500000u

typedef struct {
    uv_dump dump;
    uv_dump_module modules[2];
    uv_dump_thread thread;
    uv_mem_region region;
    uint8_t stack[STACK_SIZE];
    uv_arena *arena;
} fixture;

static void fixture_init(fixture *f, uv_arch arch)
{
    memset(f, 0, sizeof *f);
    f->dump.arch = arch;
    f->dump.os = uv_str_c("Linux");
    f->modules[0].path = uv_str_c("/bin/app");
    f->modules[0].base = MOD_BASE;
    f->modules[0].size = MOD_SIZE;
    f->modules[0].main = true;
    f->modules[1].path = uv_str_c("/lib/libother.so");
    f->modules[1].base = OTHER_BASE;
    f->modules[1].size = MOD_SIZE;
    f->dump.modules = f->modules;
    f->dump.module_count = 2;
    f->region.base = STACK_BASE;
    f->region.size = STACK_SIZE;
    f->region.data = f->stack;
    f->dump.memory.regions = &f->region;
    f->dump.memory.count = 1;
    f->thread.regs.arch = arch;
    f->thread.stack_base = STACK_BASE;
    f->thread.stack_size = STACK_SIZE;
    f->dump.threads = &f->thread;
    f->dump.thread_count = 1;
    f->dump.crash_thread = 0;
    CHECK_INT(uv_arena_new(&f->arena), 0);
}

static void fixture_free(fixture *f)
{
    uv_arena_free(f->arena);
}

static void put64(fixture *f, uint64_t addr, uint64_t value)
{
    uint64_t off = addr - STACK_BASE;
    if (off + 8 > STACK_SIZE) abort();
    for (int i = 0; i < 8; i++)
        f->stack[off + i] = (uint8_t)(value >> (8 * i));
}

static void put32(fixture *f, uint64_t addr, uint32_t value)
{
    uint64_t off = addr - STACK_BASE;
    if (off + 4 > STACK_SIZE) abort();
    for (int i = 0; i < 4; i++)
        f->stack[off + i] = (uint8_t)(value >> (8 * i));
}

static size_t walk(fixture *f, const uv_unwind_provider *provider, const uv_unwind_options *options,
                   uv_unwind_frame **frames)
{
    size_t count = 0;
    CHECK_INT(uv_unwind_thread(&f->dump, &f->thread, provider, options, f->arena, frames, &count),
              0);
    return count;
}

/* ---- frame pointers ----------------------------------------------------------------- */

TEST(x86_64_frame_pointer_chain)
{
    fixture *f = malloc(sizeof *f);
    fixture_init(f, UV_ARCH_X86_64);
    uv_regs_set(&f->thread.regs, 16, MOD_BASE + 0x1000); /* rip */
    uv_regs_set(&f->thread.regs, 7, 0x10100);            /* rsp */
    uv_regs_set(&f->thread.regs, 6, 0x10200);            /* rbp */
    uv_regs_set(&f->thread.regs, 3, 0x1234);             /* rbx */
    put64(f, 0x10200, 0x10300);
    put64(f, 0x10208, MOD_BASE + 0x2005);
    put64(f, 0x10300, 0x10400);
    put64(f, 0x10308, OTHER_BASE + 0x3005);
    /* 0x10400 holds 0: the chain ends (rbp 0 is below the caller's rsp) */

    uv_unwind_frame *frames;
    uv_unwind_options no_scan = {.no_scan = true};
    size_t n = walk(f, NULL, &no_scan, &frames);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_INT(frames[0].trust, UV_TRUST_CONTEXT);
        CHECK_INT(frames[0].pc, MOD_BASE + 0x1000);
        CHECK_INT(frames[0].lookup_pc, MOD_BASE + 0x1000);
        CHECK_INT(frames[0].sp, 0x10100);
        CHECK_INT(frames[0].module, 0);
        CHECK(uv_regs_has(&frames[0].regs, 3));
        CHECK_INT(frames[1].trust, UV_TRUST_FP);
        CHECK_INT(frames[1].pc, MOD_BASE + 0x2005);
        CHECK_INT(frames[1].lookup_pc, MOD_BASE + 0x2004);
        CHECK_INT(frames[1].sp, 0x10210);
        CHECK_INT(frames[1].regs.r[6], 0x10300);
        CHECK(!uv_regs_has(&frames[1].regs, 3)); /* nothing else is known */
        CHECK_INT(frames[1].module, 0);
        CHECK_INT(frames[2].trust, UV_TRUST_FP);
        CHECK_INT(frames[2].pc, OTHER_BASE + 0x3005);
        CHECK_INT(frames[2].sp, 0x10310);
        CHECK_INT(frames[2].module, 1);
    }
    /* The same with scanning allowed: nothing plausible above, same result. */
    CHECK_INT(walk(f, NULL, NULL, &frames), 3);

    /* A misaligned rbp is no frame pointer. */
    uv_regs_set(&f->thread.regs, 6, 0x10201);
    CHECK_INT(walk(f, NULL, &no_scan, &frames), 1);
    /* Neither is one whose chain leaves the thread's stack. */
    uv_regs_set(&f->thread.regs, 6, 0x10200);
    f->thread.stack_size = 0x380; /* the second caller's rbp (0x10400) lies beyond... */
    n = walk(f, NULL, &no_scan, &frames);
    /* ...but its return address is a plausible one: taken, with rbp unknown. */
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_INT(frames[2].trust, UV_TRUST_FP);
        CHECK_INT(frames[2].pc, OTHER_BASE + 0x3005);
        CHECK(!uv_regs_has(&frames[2].regs, 6));
    }
    /* A broken chain whose return address is in no module is no frame. */
    put64(f, 0x10308, 0x900005);
    CHECK_INT(walk(f, NULL, &no_scan, &frames), 2);
    put64(f, 0x10308, OTHER_BASE + 0x3005);
    /* Windows x64 keeps no frame chain: the walker does not follow rbp there. */
    f->thread.stack_size = STACK_SIZE;
    f->dump.os = uv_str_c("Windows NT");
    CHECK_INT(walk(f, NULL, &no_scan, &frames), 1);
    fixture_free(f);
    free(f);
}

TEST(x86_frame_pointer_chain)
{
    fixture *f = malloc(sizeof *f);
    fixture_init(f, UV_ARCH_X86);
    uv_regs_set(&f->thread.regs, 8, MOD_BASE + 0x100); /* eip */
    uv_regs_set(&f->thread.regs, 4, 0x10100);          /* esp */
    uv_regs_set(&f->thread.regs, 5, 0x10180);          /* ebp */
    put32(f, 0x10180, 0x10200);
    put32(f, 0x10184, MOD_BASE + 0x205);
    put32(f, 0x10200, 0x10280);
    put32(f, 0x10204, OTHER_BASE + 0x305);
    put32(f, 0x10280, 0);
    put32(f, 0x10284, 0); /* return address 0: the end */

    uv_unwind_frame *frames;
    size_t n = walk(f, NULL, NULL, &frames);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_INT(frames[1].pc, MOD_BASE + 0x205);
        CHECK_INT(frames[1].sp, 0x10188);
        CHECK_INT(frames[1].regs.r[5], 0x10200);
        CHECK_INT(frames[1].trust, UV_TRUST_FP);
        CHECK_INT(frames[2].pc, OTHER_BASE + 0x305);
        CHECK_INT(frames[2].sp, 0x10208);
        CHECK_INT(frames[2].module, 1);
    }
    fixture_free(f);
    free(f);
}

TEST(arm64_frame_records)
{
    fixture *f = malloc(sizeof *f);
    fixture_init(f, UV_ARCH_ARM64);
    uv_regs_set(&f->thread.regs, 32, MOD_BASE + 0x100); /* pc */
    uv_regs_set(&f->thread.regs, 31, 0x10100);          /* sp */
    uv_regs_set(&f->thread.regs, 29, 0x10140);          /* fp */
    uv_regs_set(&f->thread.regs, 30, MOD_BASE + 0x204); /* lr: the leaf's return address */
    put64(f, 0x10140, 0x10200);
    put64(f, 0x10148, OTHER_BASE + 0x308);
    put64(f, 0x10200, 0);
    put64(f, 0x10208, 0);

    uv_unwind_frame *frames;
    uv_unwind_options no_scan = {.no_scan = true};
    size_t n = walk(f, NULL, &no_scan, &frames);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_INT(frames[1].pc, MOD_BASE + 0x204);
        CHECK_INT(frames[1].trust, UV_TRUST_FP);
        CHECK_INT(frames[1].sp, 0x10150);
        CHECK_INT(frames[2].pc, OTHER_BASE + 0x308);
        CHECK_INT(frames[2].sp, 0x10210);
        CHECK_INT(frames[2].module, 1);
    }
    /* A pointer-authentication code in a saved return address is stripped. */
    put64(f, 0x10148, 0x002d000000000000ull | (OTHER_BASE + 0x308));
    n = walk(f, NULL, &no_scan, &frames);
    CHECK_INT(n, 3);
    if (n == 3) CHECK_INT(frames[2].pc, OTHER_BASE + 0x308);
    fixture_free(f);
    free(f);
}

/* ---- scanning ----------------------------------------------------------------------- */

static bool above_0x1200(void *ctx, size_t module, uint64_t pc)
{
    (void)ctx;
    (void)module;
    return (pc & 0xffff) >= 0x1200;
}

TEST(scan_finds_return_address)
{
    fixture *f = malloc(sizeof *f);
    fixture_init(f, UV_ARCH_X86_64);
    uv_regs_set(&f->thread.regs, 16, MOD_BASE + 0x1000);
    uv_regs_set(&f->thread.regs, 7, 0x10100);
    put64(f, 0x10100, 0x12345);                      /* not in a module */
    put64(f, 0x10108, MOD_BASE + 0x1100);            /* in a module, refused by the callback */
    put64(f, 0x10110, MOD_BASE + 0x1234);            /* the return address */
    put64(f, 0x10118 + 8 * 39, OTHER_BASE + 0x1300); /* reached by the next scan (40 words) */

    uv_unwind_provider provider = {NULL, NULL, above_0x1200};
    uv_unwind_frame *frames;
    size_t n = walk(f, &provider, NULL, &frames);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_INT(frames[1].trust, UV_TRUST_SCAN);
        CHECK_INT(frames[1].pc, MOD_BASE + 0x1234);
        CHECK_INT(frames[1].sp, 0x10118);
        CHECK_INT(frames[2].pc, OTHER_BASE + 0x1300);
        CHECK_INT(frames[2].sp, 0x10118 + 8 * 40);
    }
    /* Without the callback any address in a module will do. */
    n = walk(f, NULL, NULL, &frames);
    CHECK(n >= 2);
    if (n >= 2) CHECK_INT(frames[1].pc, MOD_BASE + 0x1100);
    /* no_scan: just the context. */
    uv_unwind_options no_scan = {.no_scan = true};
    CHECK_INT(walk(f, &provider, &no_scan, &frames), 1);
    fixture_free(f);
    free(f);
}

TEST(scan_word_limits)
{
    fixture *f = malloc(sizeof *f);
    fixture_init(f, UV_ARCH_X86_64);
    uv_regs_set(&f->thread.regs, 16, MOD_BASE + 0x1000);
    uv_regs_set(&f->thread.regs, 7, 0x10100);
    /* The context frame's caller is searched for 160 words: word 160 is found... */
    put64(f, 0x10100 + 8 * 160, MOD_BASE + 0x2000);
    uv_unwind_frame *frames;
    CHECK_INT(walk(f, NULL, NULL, &frames), 2);
    /* ...word 161 is not. */
    put64(f, 0x10100 + 8 * 160, 0);
    put64(f, 0x10100 + 8 * 161, MOD_BASE + 0x2000);
    CHECK_INT(walk(f, NULL, NULL, &frames), 1);
    /* An explicit limit replaces both. */
    uv_unwind_options wide = {.scan_words = 200};
    CHECK_INT(walk(f, NULL, &wide, &frames), 2);
    uv_unwind_options narrow = {.scan_words = 4};
    CHECK_INT(walk(f, NULL, &narrow, &frames), 1);
    fixture_free(f);
    free(f);
}

TEST(scan_recovers_frame_pointer)
{
    fixture *f = malloc(sizeof *f);
    fixture_init(f, UV_ARCH_X86_64);
    f->dump.os = uv_str_c("Windows NT"); /* no frame-pointer walking: the scan runs */
    uv_regs_set(&f->thread.regs, 16, MOD_BASE + 0x1000);
    uv_regs_set(&f->thread.regs, 7, 0x10100);
    uv_regs_set(&f->thread.regs, 6, 0x10118); /* points just below the return address */
    put64(f, 0x10118, 0x10300);               /* the caller's rbp, saved by the prologue */
    put64(f, 0x10120, MOD_BASE + 0x1234);     /* the return address */
    uv_unwind_frame *frames;
    size_t n = walk(f, NULL, NULL, &frames);
    CHECK(n >= 2);
    if (n >= 2) {
        CHECK_INT(frames[1].trust, UV_TRUST_SCAN);
        CHECK_INT(frames[1].pc, MOD_BASE + 0x1234);
        CHECK_INT(frames[1].sp, 0x10128);
        CHECK(uv_regs_has(&frames[1].regs, 6));
        CHECK_INT(frames[1].regs.r[6], 0x10300);
    }
    /* An rbp below the caller's rsp that does not point at the saved slot is dropped... */
    uv_regs_set(&f->thread.regs, 6, 0x10110);
    n = walk(f, NULL, NULL, &frames);
    CHECK(n >= 2);
    if (n >= 2) CHECK(!uv_regs_has(&frames[1].regs, 6));
    /* ...one above it was left unchanged by the callee and is carried over. */
    uv_regs_set(&f->thread.regs, 6, 0x10308);
    n = walk(f, NULL, NULL, &frames);
    CHECK(n >= 2);
    if (n >= 2) {
        CHECK(uv_regs_has(&frames[1].regs, 6));
        CHECK_INT(frames[1].regs.r[6], 0x10308);
    }
    fixture_free(f);
    free(f);
}

/* ---- the provider's CFI ------------------------------------------------------------- */

typedef struct {
    int calls;
    bool undefined_ra;     /* answer with no return address */
    uint64_t unknown_from; /* pcs at or above this have no CFI */
    uint64_t ra;           /* the caller's pc to give */
} cfi_ctx;

static int fake_cfi(void *ctx, size_t module, uint64_t lookup_pc, const uv_regs *callee,
                    const uv_memory *mem, uv_regs *caller)
{
    (void)module;
    (void)mem;
    cfi_ctx *c = ctx;
    c->calls++;
    if (lookup_pc >= c->unknown_from) return UV_ENOTFOUND;
    int pc = uv_arch_pc(callee->arch), sp = uv_arch_sp(callee->arch);
    if (!c->undefined_ra) uv_regs_set(caller, pc, c->ra);
    uv_regs_set(caller, sp, callee->r[sp] + 0x40);
    return 0;
}

TEST(cfi_comes_first)
{
    fixture *f = malloc(sizeof *f);
    fixture_init(f, UV_ARCH_X86_64);
    uv_regs_set(&f->thread.regs, 16, MOD_BASE + 0x1000);
    uv_regs_set(&f->thread.regs, 7, 0x10100);
    uv_regs_set(&f->thread.regs, 6, 0x10200);
    put64(f, 0x10200, 0x10300); /* a frame chain CFI must win over */
    put64(f, 0x10208, MOD_BASE + 0x2005);

    cfi_ctx c = {.unknown_from = MOD_BASE + 0x5000, .ra = MOD_BASE + 0x6000};
    uv_unwind_provider provider = {&c, fake_cfi, NULL};
    uv_unwind_options no_scan = {.no_scan = true};
    uv_unwind_frame *frames;
    size_t n = walk(f, &provider, &no_scan, &frames);
    CHECK(n >= 2);
    if (n >= 2) {
        CHECK_INT(frames[1].trust, UV_TRUST_CFI);
        CHECK_INT(frames[1].pc, MOD_BASE + 0x6000);
        CHECK_INT(frames[1].sp, 0x10140);
    }
    /* Frame 1 (pc 0x406000) has no CFI, and the CFI gave it no rbp: without scanning the
     * walk ends there. */
    CHECK_INT(n, 2);
    CHECK(c.calls >= 2);

    /* A CFI answer without a return address is the outermost frame: no fallback. */
    c.undefined_ra = true;
    CHECK_INT(walk(f, &provider, NULL, &frames), 1);

    /* No CFI at the context pc: the frame pointer is used. */
    c.undefined_ra = false;
    c.unknown_from = 0;
    n = walk(f, &provider, &no_scan, &frames);
    CHECK(n >= 2);
    if (n >= 2) CHECK_INT(frames[1].trust, UV_TRUST_FP);

    /* A frame outside every module never reaches the provider: its caller comes from the
     * frame pointer. */
    c.unknown_from = UINT64_MAX;
    uv_regs_set(&f->thread.regs, 16, 0x900000);
    n = walk(f, &provider, &no_scan, &frames);
    CHECK(n >= 2);
    if (n >= 2) {
        CHECK_INT(frames[0].module, SIZE_MAX);
        CHECK_INT(frames[1].trust, UV_TRUST_FP);
    }
    fixture_free(f);
    free(f);
}

TEST(x86_cfi_then_scan)
{
    fixture *f = malloc(sizeof *f);
    fixture_init(f, UV_ARCH_X86);
    uv_regs_set(&f->thread.regs, 8, MOD_BASE + 0x100);
    uv_regs_set(&f->thread.regs, 4, 0x10100);
    uv_regs_set(&f->thread.regs, 5, 0x10400);
    /* CFI says the caller's eip is 0x900000 (no module) at esp 0x10140; the word at
     * 0x10148 is a real return address. */
    put32(f, 0x10148, MOD_BASE + 0x777);
    cfi_ctx c = {.unknown_from = MOD_BASE + 0x500, .ra = 0x900000};
    uv_unwind_provider provider = {&c, fake_cfi, NULL};
    uv_unwind_frame *frames;
    size_t n = walk(f, &provider, NULL, &frames);
    CHECK(n >= 2);
    if (n >= 2) {
        CHECK_INT(frames[1].trust, UV_TRUST_CFI_SCAN);
        CHECK_INT(frames[1].pc, MOD_BASE + 0x777);
        CHECK_INT(frames[1].sp, 0x1014c);
    }
    fixture_free(f);
    free(f);
}

/* ---- stop rules and hostile stacks -------------------------------------------------- */

TEST(stop_rules)
{
    fixture *f = malloc(sizeof *f);
    fixture_init(f, UV_ARCH_X86);
    uv_regs_set(&f->thread.regs, 8, MOD_BASE + 0x100);
    uv_regs_set(&f->thread.regs, 4, 0x10100);
    uv_regs_set(&f->thread.regs, 5, 0x10180);
    uv_unwind_frame *frames;
    uv_unwind_options no_scan = {.no_scan = true};

    /* A return address in the zero page ends the walk. */
    put32(f, 0x10180, 0x10200);
    put32(f, 0x10184, 0xff0);
    CHECK_INT(walk(f, NULL, &no_scan, &frames), 1);

    /* A stack pointer that goes down ends it. */
    uv_regs_set(&f->thread.regs, 4, 0x10300);
    put32(f, 0x10184, MOD_BASE + 0x200);
    CHECK_INT(walk(f, NULL, &no_scan, &frames), 1);

    /* ebp pointing at itself: one frame, then the stack pointer stops growing. */
    uv_regs_set(&f->thread.regs, 4, 0x10100);
    put32(f, 0x10180, 0x10180);
    CHECK_INT(walk(f, NULL, &no_scan, &frames), 2);

    /* No pc in the context: no frames at all. */
    f->thread.regs.valid = 0;
    CHECK_INT(walk(f, NULL, NULL, &frames), 0);
    fixture_free(f);
    free(f);
}

TEST(bounded_on_garbage)
{
    fixture *f = malloc(sizeof *f);
    fixture_init(f, UV_ARCH_X86_64);
    /* Every word a plausible return address: each scan moves one word up, so the walk ends
     * at the frame limit or the top of the stack. */
    for (uint64_t a = STACK_BASE; a + 8 <= STACK_BASE + STACK_SIZE; a += 8)
        put64(f, a, MOD_BASE + 0x1000);
    uv_regs_set(&f->thread.regs, 16, MOD_BASE + 0x1000);
    uv_regs_set(&f->thread.regs, 7, STACK_BASE);
    uv_unwind_frame *frames;
    CHECK_INT(walk(f, NULL, NULL, &frames), 256);
    uv_unwind_options small = {.max_frames = 20};
    CHECK_INT(walk(f, NULL, &small, &frames), 20);

    /* Random stacks and registers: never a crash, never more than the limit, the stack
     * pointer strictly growing after the first caller. */
    srand(1);
    for (int round = 0; round < 300; round++) {
        uv_arch arch = round % 3 == 0   ? UV_ARCH_X86
                       : round % 3 == 1 ? UV_ARCH_X86_64
                                        : UV_ARCH_ARM64;
        f->dump.arch = arch;
        f->thread.regs.arch = arch;
        for (size_t i = 0; i < STACK_SIZE; i++) {
            int k = rand() % 8;
            /* words biased towards module and stack addresses */
            f->stack[i] = (uint8_t)(k == 0 ? 0x40 : k == 1 ? 0x01 : rand());
        }
        for (uint64_t a = STACK_BASE; a + 8 <= STACK_BASE + STACK_SIZE; a += 8) {
            int k = rand() % 4;
            if (k == 0) put64(f, a, MOD_BASE + (uint64_t)(rand() % MOD_SIZE));
            if (k == 1) put64(f, a, STACK_BASE + (uint64_t)(rand() % STACK_SIZE));
        }
        f->thread.regs.valid = 0;
        for (int reg = 0; reg < UV_REGS_MAX; reg++)
            uv_regs_set(&f->thread.regs, reg,
                        rand() % 2 ? STACK_BASE + (uint64_t)(rand() % STACK_SIZE)
                                   : MOD_BASE + (uint64_t)(rand() % MOD_SIZE));
        uv_regs_set(&f->thread.regs, uv_arch_pc(arch), MOD_BASE + 0x10);
        cfi_ctx c = {.unknown_from = MOD_BASE + (uint64_t)(rand() % MOD_SIZE),
                     .ra = MOD_BASE + 0x20};
        uv_unwind_provider provider = {&c, fake_cfi, NULL};
        size_t n = walk(f, round % 2 ? &provider : NULL, NULL, &frames);
        CHECK(n >= 1 && n <= 256);
        for (size_t i = 2; i < n; i++)
            if (frames[i].sp <= frames[i - 1].sp) {
                CHECK(frames[i].sp > frames[i - 1].sp);
                break;
            }
    }
    fixture_free(f);
    free(f);
}

TEST(trust_names)
{
    CHECK_STR(uv_trust_name(UV_TRUST_CONTEXT), "context");
    CHECK_STR(uv_trust_name(UV_TRUST_CFI), "cfi");
    CHECK_STR(uv_trust_name(UV_TRUST_FP), "fp");
    CHECK_STR(uv_trust_name(UV_TRUST_SCAN), "scan");
    CHECK_STR(uv_trust_name(UV_TRUST_CFI_SCAN), "cfi_scan");
    CHECK_STR(uv_trust_name(UV_TRUST_NONE), "none");
    CHECK_STR(uv_trust_description(UV_TRUST_CONTEXT), "given as instruction pointer in context");
    CHECK_STR(uv_trust_description(UV_TRUST_CFI), "call frame info");
    CHECK_STR(uv_trust_description(UV_TRUST_FP), "previous frame's frame pointer");
    CHECK_STR(uv_trust_description(UV_TRUST_SCAN), "stack scanning");
}

int main(void)
{
    RUN(x86_64_frame_pointer_chain);
    RUN(x86_frame_pointer_chain);
    RUN(arm64_frame_records);
    RUN(scan_finds_return_address);
    RUN(scan_word_limits);
    RUN(scan_recovers_frame_pointer);
    RUN(cfi_comes_first);
    RUN(x86_cfi_then_scan);
    RUN(stop_rules);
    RUN(bounded_on_garbage);
    RUN(trust_names);
    TEST_MAIN_END();
}
