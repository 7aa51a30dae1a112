/* formats/breakpad: Breakpad's own fixtures (linux_inline.sym through the symcache, as
 * Breakpad's resolver test expects; test_app.sym's STACK WIN records walking minidump2.dmp's
 * stack to the frames minidump_stackwalk prints), hand-written records for STACK CFI, STACK
 * WIN and errors, the postfix evaluator, and a write → parse round trip of a hand-made model.
 *
 * The fixtures are looked up under tests/data/minidump and then /work/shared/data/minidump;
 * when neither holds them those tests say so and are skipped. */
#include "formats/breakpad.h"

#include "formats/error.h"
#include "formats/minidump.h"
#include "formats/symcache.h"

#include "test.h"

#include <stdlib.h>
#include <time.h>

/* ---- helpers --------------------------------------------------------------------------- */

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size + 1);
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[size] = '\0';
        *len = (size_t)size;
    }
    return buf;
}

/* A fixture from Breakpad's test data (see the file comment). */
static char *read_fixture(const char *rel, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/minidump/%s", UV_TEST_DATA, rel);
    char *buf = read_all(path, len);
    if (!buf) {
        snprintf(path, sizeof path, "/work/shared/data/minidump/%s", rel);
        buf = read_all(path, len);
    }
    if (!buf) printf("skip: fixture %s not found\n", rel);
    return buf;
}

static uv_breakpad *parse_text(const char *text)
{
    uv_breakpad *bp = NULL;
    int rc = uv_breakpad_parse(&bp, text, strlen(text));
    if (rc) fprintf(stderr, "parse failed: %s\n", uv_error_last()->message);
    CHECK_INT(rc, 0);
    return bp;
}

static int parse_error(const char *text, const char **message)
{
    uv_breakpad *bp = NULL;
    int rc = uv_breakpad_parse(&bp, text, strlen(text));
    *message = uv_error_last()->message;
    CHECK(bp == NULL);
    uv_breakpad_free(bp);
    return rc;
}

static uv_symcache *symcache_of(const uv_breakpad *bp, uv_buf *buf)
{
    uv_debuginfo *di = NULL;
    CHECK_INT(uv_breakpad_debuginfo(bp, &di), 0);
    const uv_elf_symbol *syms;
    size_t n;
    CHECK_INT(uv_breakpad_symbols(bp, &syms, &n), 0);
    *buf = UV_BUF_INIT;
    CHECK_INT(uv_symcache_write(buf, di, syms, n, "x86_64"), 0);
    uv_debuginfo_free(di);
    uv_symcache *c = NULL;
    CHECK_INT(uv_symcache_open(&c, buf->data, buf->len), 0);
    return c;
}

/* ---- linux_inline.sym ------------------------------------------------------------------ */

TEST(linux_inline)
{
    size_t len;
    char *text = read_fixture("symbols/linux_inline/BBA6FA10B8AAB33D00000000000000000/"
                              "linux_inline.sym",
                              &len);
    if (!text) return;
    uv_breakpad *bp = NULL;
    CHECK_INT(uv_breakpad_parse(&bp, text, len), 0);
    if (!bp) return;
    const uv_breakpad_info *info = uv_breakpad_get_info(bp);
    CHECK_VIEW(info->os, "Linux");
    CHECK_VIEW(info->arch, "x86_64");
    CHECK_VIEW(info->debug_id, "BBA6FA10B8AAB33D00000000000000000");
    CHECK_VIEW(info->name, "linux_inline");
    CHECK_VIEW(info->code_id, "10FAA6BBAAB83DB3");
    CHECK_VIEW(info->code_file, "");
    CHECK_INT(uv_breakpad_arch(bp), UV_ARCH_X86_64);
    CHECK(!uv_breakpad_has_cfi(bp));
    CHECK(!uv_breakpad_has_win(bp));

    const uv_elf_symbol *syms;
    size_t n;
    CHECK_INT(uv_breakpad_symbols(bp, &syms, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(syms[0].addr, 0x15b30);
    CHECK_INT(syms[0].size, 0x6cf);
    CHECK_VIEW(syms[0].name, "main");

    uint64_t start, size;
    CHECK_INT(uv_breakpad_line_at(bp, 0x161b6, &start, &size), 0);
    CHECK_INT(start, 0x161b6);
    CHECK_INT(size, 2);
    CHECK_INT(uv_breakpad_line_at(bp, 0x15b50, &start, &size), 0);
    CHECK_INT(start, 0x15b45);
    CHECK_INT(size, 0x11);
    CHECK_INT(uv_breakpad_line_at(bp, 0x15b2f, &start, &size), UV_ENOTFOUND);
    CHECK_INT(uv_breakpad_line_at(bp, 0x161ff, &start, &size), UV_ENOTFOUND);

    uv_debuginfo *di = NULL;
    CHECK_INT(uv_breakpad_debuginfo(bp, &di), 0);
    if (di) {
        CHECK_INT(di->func_count, 4);
        CHECK_INT(di->file_count, 4);
        CHECK_INT(di->funcs[3].depth, 3);
        CHECK_INT(di->funcs[3].call_line, 32);
        CHECK_VIEW(di->files[di->funcs[3].call_file], "c.cpp");
        CHECK_VIEW(di->names[di->funcs[3].name], "func()");
        CHECK_INT(di->funcs[di->funcs[3].parent].depth, 2);
        /* every line record is contiguous with the next: one end marker, at the end */
        size_t markers = 0;
        for (size_t i = 0; i < di->row_count; i++)
            markers += di->rows[i].file == UV_DI_NONE;
        CHECK_INT(markers, 1);
        CHECK_INT(di->rows[di->row_count - 1].address, 0x161ff);
        uv_debuginfo_free(di);
    }

    /* Breakpad's resolver test: innermost first */
    uv_buf buf;
    uv_symcache *c = symcache_of(bp, &buf);
    uv_sc_frame frames[8];
    size_t count = 0;
    CHECK_INT(uv_symcache_lookup(c, 0x161b6, frames, 8, &count), 0);
    CHECK_INT(count, 4);
    static const struct {
        const char *function, *file;
        uint32_t line;
    } expect[] = {
        {"func()", "linux_inline.cpp", 27},
        {"bar()", "c.cpp", 32},
        {"foo()", "b.cpp", 39},
        {"main", "a.cpp", 42},
    };
    for (size_t i = 0; i < 4 && i < count; i++) {
        CHECK_VIEW(frames[i].function, expect[i].function);
        CHECK_VIEW(frames[i].file, expect[i].file);
        CHECK_INT(frames[i].line, expect[i].line);
    }
    uv_symcache_free(c);
    uv_buf_free(&buf);
    uv_breakpad_free(bp);
    free(text);
}

/* ---- minidump2: test_app.sym's STACK WIN records on a real stack ------------------------ */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The MemoryList stream (type 5) of a minidump: {u32 count; {u64 start; u32 size; u32 rva}}. */
static uv_mem_region *minidump_memory(const uint8_t *d, size_t len, size_t *count)
{
    *count = 0;
    if (len < 32 || memcmp(d, "MDMP", 4) != 0) return NULL;
    uint32_t streams = le32(d + 8), dir = le32(d + 12);
    for (uint32_t i = 0; i < streams; i++) {
        size_t e = (size_t)dir + (size_t)i * 12;
        if (e + 12 > len) return NULL;
        if (le32(d + e) != 5) continue;
        size_t rva = le32(d + e + 8);
        if (rva + 4 > len) return NULL;
        uint32_t n = le32(d + rva);
        uv_mem_region *r = calloc(n ? n : 1, sizeof *r);
        for (uint32_t k = 0; k < n; k++) {
            size_t m = rva + 4 + (size_t)k * 16;
            if (m + 16 > len) break;
            uint64_t start = le32(d + m) | (uint64_t)le32(d + m + 4) << 32;
            uint32_t size = le32(d + m + 8), at = le32(d + m + 12);
            if ((size_t)at + size > len) continue;
            r[(*count)++] = (uv_mem_region){start, size, d + at};
        }
        uv_memory_sort(r, count);
        return r;
    }
    return NULL;
}

enum { EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7, EIP = 8 };

TEST(minidump2_stack_win)
{
    size_t sym_len, dmp_len;
    char *text = read_fixture("symbols/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/"
                              "test_app.sym",
                              &sym_len);
    char *dump = read_fixture("minidump2.dmp", &dmp_len);
    if (!text || !dump) {
        free(text);
        free(dump);
        return;
    }
    clock_t t0 = clock();
    uv_breakpad *bp = NULL;
    CHECK_INT(uv_breakpad_parse(&bp, text, sym_len), 0);
    double ms = (double)(clock() - t0) * 1000.0 / CLOCKS_PER_SEC;
    printf("     test_app.sym (%zu bytes) parsed in %.1f ms\n", sym_len, ms);
    if (!bp) return;
    CHECK_INT(uv_breakpad_arch(bp), UV_ARCH_X86);
    CHECK(uv_breakpad_has_win(bp));
    CHECK(!uv_breakpad_has_cfi(bp));
    const uv_elf_symbol *syms;
    size_t nsyms;
    uv_breakpad_symbols(bp, &syms, &nsyms);
    CHECK(nsyms > 100);
    for (size_t i = 1; i < nsyms; i++)
        if (syms[i - 1].addr >= syms[i].addr) {
            CHECK(!"symbols sorted and unique");
            break;
        }
    uint64_t start, size;
    CHECK_INT(uv_breakpad_line_at(bp, 0x429e, &start, &size), 0); /* test_app.cc:58 */

    size_t region_count;
    uv_mem_region *regions = minidump_memory((const uint8_t *)dump, dmp_len, &region_count);
    CHECK(regions != NULL && region_count > 0);
    uv_memory mem = {regions, region_count};

    /* frame 0 as minidump_stackwalk prints it */
    uv_regs regs = {.arch = UV_ARCH_X86};
    uv_regs_set(&regs, EIP, 0x0040429e);
    uv_regs_set(&regs, ESP, 0x0012fe84);
    uv_regs_set(&regs, EBP, 0x0012fe88);
    uv_regs_set(&regs, EBX, 0x7c80abc1);
    uv_regs_set(&regs, ESI, 0x00000002);
    uv_regs_set(&regs, EDI, 0x00000a28);
    uv_regs_set(&regs, EAX, 0x00000045);
    uv_regs_set(&regs, ECX, 0x0012fe94);
    uv_regs_set(&regs, EDX, 0x0042bc58);
    static const uint32_t expect[][3] = {
        {0x00404200, 0x0012fe90, 0x0012ff70},
        {0x004053ec, 0x0012ff78, 0x0012ffc0},
        {0x7c816fd7, 0x0012ffc8, 0x0012fff0},
    };
    const uint64_t base = 0x400000;
    for (size_t i = 0; i < 3; i++) {
        /* a caller's pc is a return address: look up the call instruction before it */
        uint64_t pc = regs.r[EIP] - (i > 0);
        uv_regs caller;
        int rc = uv_breakpad_win_unwind(bp, pc - base, &regs, &mem, &caller);
        if (rc) fprintf(stderr, "frame %zu: %s\n", i, uv_error_last()->message);
        CHECK_INT(rc, 0);
        if (rc) break;
        CHECK_INT(caller.r[EIP], expect[i][0]);
        CHECK_INT(caller.r[ESP], expect[i][1]);
        CHECK_INT(caller.r[EBP], expect[i][2]);
        CHECK(uv_regs_has(&caller, EIP) && uv_regs_has(&caller, ESP) && uv_regs_has(&caller, EBP));
        CHECK(!uv_regs_has(&caller, EAX));
        regs = caller;
    }
    /* kernel32 is not in this module; an address no record covers */
    uv_regs caller;
    CHECK_INT(uv_breakpad_win_unwind(bp, 0x10, &regs, &mem, &caller), UV_ENOTFOUND);

    /* FrameData records win over FPO ones at one address (0x5405 has both: FrameData says
     * the return address is above 0x2c of locals and 0xc of saved registers, FPO says 0) */
    uv_regs callee = {.arch = UV_ARCH_X86};
    uv_regs_set(&callee, ESP, 0x0012fe84);
    uv_regs_set(&callee, EBP, 0x0012fe88);
    uint32_t word;
    CHECK_INT(uv_breakpad_win_unwind(bp, 0x5410, &callee, &mem, &caller), 0);
    CHECK(uv_memory_read_u32(&mem, 0x0012fe84 + 0x38, &word) && caller.r[EIP] == word);
    CHECK_INT(caller.r[ESP], 0x0012fe84 + 0x3c);
    CHECK_INT(caller.r[EBP], 0x0012fe88);
    /* nested records resolve to the innermost: 0x42af (4 bytes of saved registers) sits
     * inside 0x42ae (none) */
    CHECK_INT(uv_breakpad_win_unwind(bp, 0x42b0, &callee, &mem, &caller), 0);
    CHECK(uv_memory_read_u32(&mem, 0x0012fe84 + 4, &word) && caller.r[EIP] == word);
    CHECK_INT(caller.r[ESP], 0x0012fe84 + 8);
    CHECK_INT(uv_breakpad_win_unwind(bp, 0x42ae, &callee, &mem, &caller), 0);
    CHECK(uv_memory_read_u32(&mem, 0x0012fe84, &word) && caller.r[EIP] == word);
    CHECK_INT(caller.r[ESP], 0x0012fe84 + 4);
    free(regions);
    uv_breakpad_free(bp);
    free(text);
    free(dump);
}

/* The same walk from the dump as formats/minidump.c reads it: the crashing thread's context
 * and the dump's memory. */
TEST(minidump2_parsed)
{
    size_t sym_len, dmp_len;
    char *text = read_fixture("symbols/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/"
                              "test_app.sym",
                              &sym_len);
    char *bytes = read_fixture("minidump2.dmp", &dmp_len);
    uv_breakpad *bp = NULL;
    uv_dump *dump = NULL;
    if (text && bytes) {
        CHECK_INT(uv_breakpad_parse(&bp, text, sym_len), 0);
        CHECK_INT(uv_minidump_parse(&dump, bytes, dmp_len), 0);
    }
    if (bp && dump) {
        CHECK(dump->crash_thread < dump->thread_count);
        uv_regs regs = dump->threads[dump->crash_thread].regs;
        CHECK_INT(regs.r[EIP], 0x0040429e);
        const uv_dump_module *m = uv_dump_module_at(dump, regs.r[EIP]);
        CHECK(m != NULL && m->base == 0x400000);
        static const uint32_t expect[][3] = {
            {0x00404200, 0x0012fe90, 0x0012ff70},
            {0x004053ec, 0x0012ff78, 0x0012ffc0},
            {0x7c816fd7, 0x0012ffc8, 0x0012fff0},
        };
        for (size_t i = 0; i < 3 && m; i++) {
            uv_regs caller;
            int rc = uv_breakpad_win_unwind(bp, regs.r[EIP] - (i > 0) - m->base, &regs,
                                            &dump->memory, &caller);
            CHECK_INT(rc, 0);
            if (rc) break;
            CHECK_INT(caller.r[EIP], expect[i][0]);
            CHECK_INT(caller.r[ESP], expect[i][1]);
            CHECK_INT(caller.r[EBP], expect[i][2]);
            regs = caller;
        }
    }
    uv_dump_free(dump);
    uv_breakpad_free(bp);
    free(text);
    free(bytes);
}

/* ---- STACK WIN by hand ----------------------------------------------------------------- */

TEST(stack_win_handmade)
{
    uv_breakpad *bp = parse_text(
        "MODULE windows x86 0123456789ABCDEF0123456789ABCDEF1 t.pdb\n"
        /* FPO without a frame pointer: params 8, saved regs 4, locals 0x10 */
        "STACK WIN 0 3000 20 0 0 8 4 10 0 0 0\n"
        /* FPO allocating a frame pointer: saved regs 8, locals 0x10 */
        "STACK WIN 0 4000 20 0 0 0 8 10 0 0 1\n"
        /* nested FrameData programs, and an FPO record under the inner one */
        "STACK WIN 4 5000 100 0 0 0 0 0 0 1 $eip 1 = $esp 2 =\n"
        "STACK WIN 4 5010 10 0 0 0 0 0 0 1 $eip 3 = $esp 4 =\n"
        "STACK WIN 0 5010 10 0 0 0 0 0 0 0 0\n"
        /* partially overlapping the 5000 record: dropped */
        "STACK WIN 4 50f0 20 0 0 0 0 0 0 1 $eip 5 = $esp 6 =\n"
        /* a program that leaves no $esp, and one that reads unreadable memory */
        "STACK WIN 4 6000 10 0 0 0 0 0 0 1 $eip 1 =\n"
        "STACK WIN 4 6010 10 0 0 0 0 0 0 1 $eip 0x100 ^ = $esp 4 =\n"
        /* the MSVC 2010 spelling with '=' glued to the next token, saving ebx/esi/edi */
        "STACK WIN 4 7000 10 0 0 0 0 0 0 1 $T0 $ebp = $eip $T0 4 + ^ =$ebp $T0 ^ =$esp $T0 8 + "
        "=$ebx $T0 8 - ^ = $esi 7 = $edi 9 =\n");
    if (!bp) return;
    CHECK(uv_breakpad_has_win(bp));
    uint8_t stack[0x40];
    for (size_t i = 0; i < sizeof stack; i += 4) { /* word at 0x1000 + i holds 0xa000 + i */
        uint32_t v = 0xa000 + (uint32_t)i;
        memcpy(stack + i, &v, 4);
    }
    uv_mem_region region = {0x1000, sizeof stack, stack};
    uv_memory mem = {&region, 1};
    uv_regs callee = {.arch = UV_ARCH_X86}, caller;
    uv_regs_set(&callee, ESP, 0x1000);
    uv_regs_set(&callee, EBP, 0x1020);
    uv_regs_set(&callee, EBX, 0x77);

    CHECK_INT(uv_breakpad_win_unwind(bp, 0x3004, &callee, &mem, &caller), 0);
    CHECK_INT(caller.r[EIP], 0xa014); /* [esp + locals + saved regs] */
    CHECK_INT(caller.r[ESP], 0x1018);
    CHECK_INT(caller.r[EBP], 0x1020); /* unchanged */
    CHECK(uv_regs_has(&caller, EBX) && caller.r[EBX] == 0x77);

    CHECK_INT(uv_breakpad_win_unwind(bp, 0x4000, &callee, &mem, &caller), 0);
    CHECK_INT(caller.r[EIP], 0xa018);
    CHECK_INT(caller.r[ESP], 0x101c);
    /* ebp = [esp + saved regs - 8] = 0xa000, unreadable: the saved-register area is searched
     * from its top for a word pointing at readable memory — none does here, so it stays */
    CHECK_INT(caller.r[EBP], 0xa000);
    CHECK(!uv_regs_has(&caller, EBX));

    CHECK_INT(uv_breakpad_win_unwind(bp, 0x5004, &callee, &mem, &caller), 0);
    CHECK_INT(caller.r[EIP], 1);
    CHECK_INT(uv_breakpad_win_unwind(bp, 0x5015, &callee, &mem, &caller), 0);
    CHECK_INT(caller.r[EIP], 3);
    CHECK_INT(caller.r[ESP], 4);
    CHECK_INT(uv_breakpad_win_unwind(bp, 0x5020, &callee, &mem, &caller), 0);
    CHECK_INT(caller.r[EIP], 1);
    CHECK_INT(uv_breakpad_win_unwind(bp, 0x50ff, &callee, &mem, &caller), 0);
    CHECK_INT(caller.r[EIP], 1);
    CHECK_INT(uv_breakpad_win_unwind(bp, 0x5100, &callee, &mem, &caller), UV_ENOTFOUND);
    CHECK_INT(uv_breakpad_win_unwind(bp, 0x6000, &callee, &mem, &caller), UV_ENOTFOUND);
    CHECK_INT(uv_breakpad_win_unwind(bp, 0x6010, &callee, &mem, &caller), UV_ENOTFOUND);
    CHECK_INT(uv_breakpad_win_unwind(bp, 0x2fff, &callee, &mem, &caller), UV_ENOTFOUND);

    /* ebp-based with the saved registers read back */
    uv_regs_set(&callee, EBP, 0x1010);
    CHECK_INT(uv_breakpad_win_unwind(bp, 0x7000, &callee, &mem, &caller), 0);
    CHECK_INT(caller.r[EIP], 0xa014);
    CHECK_INT(caller.r[EBP], 0xa010); /* unreadable as a pointer, and no saved regs to search */
    CHECK_INT(caller.r[ESP], 0x1018);
    CHECK(uv_regs_has(&caller, EBX) && caller.r[EBX] == 0xa008);
    CHECK(uv_regs_has(&caller, ESI) && caller.r[ESI] == 7);
    CHECK(uv_regs_has(&caller, EDI) && caller.r[EDI] == 9);

    /* no esp, no unwinding */
    uv_regs bare = {.arch = UV_ARCH_X86};
    CHECK_INT(uv_breakpad_win_unwind(bp, 0x3004, &bare, &mem, &caller), UV_ENOTFOUND);
    uv_breakpad_free(bp);
}

/* ---- STACK CFI ------------------------------------------------------------------------- */

TEST(stack_cfi)
{
    uv_breakpad *bp = parse_text("MODULE Linux x86_64 0123456789ABCDEF0123456789ABCDEF0 t\n"
                                 "STACK CFI INIT 1000 40 .cfa: $rsp 8 + .ra: .cfa -8 + ^\n"
                                 "STACK CFI 1001 .cfa: $rsp 16 + $rbp: .cfa -16 + ^\n"
                                 "STACK CFI 1004 .cfa: $rbp 16 +\n"
                                 "STACK CFI 1010 $rbx: $rbx .cfa: $rsp 8 + ^ $r12: .cfa 16 +\n"
                                 "STACK CFI INIT 2000 10 .cfa: $rsp 8 + .ra: .cfa -8 + ^\n"
                                 "STACK CFI 2008 $r13: .cfa 24 - $r14: $rsp 4 * .cfa: $rsp\n");
    if (!bp) return;
    CHECK(uv_breakpad_has_cfi(bp));
    uv_cfi_row row;
    CHECK_INT(uv_breakpad_cfi_find(bp, 0x1000, &row), 0);
    CHECK_INT(row.start, 0x1000);
    CHECK_INT(row.end, 0x1001);
    CHECK_INT(row.ra_reg, 16);
    CHECK_INT(row.cfa.kind, UV_CFI_REGISTER);
    CHECK_INT(row.cfa.reg, 7);
    CHECK_INT(row.cfa.offset, 8);
    CHECK_INT(row.regs[16].kind, UV_CFI_OFFSET);
    CHECK_INT(row.regs[16].offset, -8);
    CHECK_INT(row.regs[6].kind, UV_CFI_UNSPECIFIED);

    CHECK_INT(uv_breakpad_cfi_find(bp, 0x1003, &row), 0);
    CHECK_INT(row.start, 0x1001);
    CHECK_INT(row.end, 0x1004);
    CHECK_INT(row.cfa.offset, 16);
    CHECK_INT(row.regs[6].kind, UV_CFI_OFFSET);
    CHECK_INT(row.regs[6].offset, -16);

    CHECK_INT(uv_breakpad_cfi_find(bp, 0x1008, &row), 0);
    CHECK_INT(row.cfa.kind, UV_CFI_REGISTER);
    CHECK_INT(row.cfa.reg, 6);
    CHECK_INT(row.cfa.offset, 16);
    CHECK_INT(row.regs[6].kind, UV_CFI_OFFSET); /* still in force */

    CHECK_INT(uv_breakpad_cfi_find(bp, 0x103f, &row), 0);
    CHECK_INT(row.start, 0x1010);
    CHECK_INT(row.end, 0x1040);
    CHECK_INT(row.cfa.kind, UV_CFI_POSTFIX);
    CHECK(row.cfa.expr_len == 10 && memcmp(row.cfa.expr, "$rsp 8 + ^", 10) == 0);
    CHECK_INT(row.regs[3].kind, UV_CFI_REGISTER);
    CHECK_INT(row.regs[3].reg, 3);
    CHECK_INT(row.regs[12].kind, UV_CFI_VAL_OFFSET);
    CHECK_INT(row.regs[12].offset, 16);

    CHECK_INT(uv_breakpad_cfi_find(bp, 0x2004, &row), 0); /* 0x1xxx deltas do not leak */
    CHECK_INT(row.start, 0x2000);
    CHECK_INT(row.end, 0x2008);
    CHECK_INT(row.cfa.offset, 8);
    CHECK_INT(row.regs[6].kind, UV_CFI_UNSPECIFIED);
    CHECK_INT(uv_breakpad_cfi_find(bp, 0x2008, &row), 0);
    CHECK_INT(row.end, 0x2010);
    CHECK_INT(row.regs[13].kind, UV_CFI_VAL_OFFSET);
    CHECK_INT(row.regs[13].offset, -24);
    CHECK_INT(row.regs[14].kind, UV_CFI_POSTFIX);
    CHECK_INT(row.cfa.kind, UV_CFI_REGISTER);
    CHECK_INT(row.cfa.offset, 0);

    CHECK_INT(uv_breakpad_cfi_find(bp, 0xfff, &row), UV_ENOTFOUND);
    CHECK_INT(uv_breakpad_cfi_find(bp, 0x1040, &row), UV_ENOTFOUND);
    CHECK_INT(uv_breakpad_cfi_find(bp, 0x2010, &row), UV_ENOTFOUND);
    uv_breakpad_free(bp);

    /* arm64 names its registers without '$'; .ra is the x30 column */
    bp = parse_text("MODULE Linux arm64 0123456789ABCDEF0123456789ABCDEF0 t\n"
                    "STACK CFI INIT 100 20 .cfa: sp 0 + .ra: x30\n"
                    "STACK CFI 104 .cfa: sp 16 + x29: .cfa -16 + ^ .ra: .cfa -8 + ^\n");
    if (!bp) return;
    CHECK_INT(uv_breakpad_arch(bp), UV_ARCH_ARM64);
    CHECK_INT(uv_breakpad_cfi_find(bp, 0x100, &row), 0);
    CHECK_INT(row.ra_reg, 30);
    CHECK_INT(row.cfa.kind, UV_CFI_REGISTER);
    CHECK_INT(row.cfa.reg, 31);
    CHECK_INT(row.regs[30].kind, UV_CFI_REGISTER);
    CHECK_INT(row.regs[30].reg, 30);
    CHECK_INT(uv_breakpad_cfi_find(bp, 0x110, &row), 0);
    CHECK_INT(row.cfa.offset, 16);
    CHECK_INT(row.regs[29].kind, UV_CFI_OFFSET);
    CHECK_INT(row.regs[29].offset, -16);
    CHECK_INT(row.regs[30].kind, UV_CFI_OFFSET);
    CHECK_INT(row.regs[30].offset, -8);
    uv_breakpad_free(bp);
}

/* ---- records, line endings, errors ------------------------------------------------------ */

TEST(records)
{
    uv_breakpad *bp =
        parse_text("MODULE windows x86 5A9832E5287241C1838ED98914E9B7FF1 my app.pdb\r\n"
                   "INFO CODE_ID 45E5A2C6B000 my app.exe\r\n"
                   "INFO GENERATOR mozilla/dump_syms 2.0\r\n"
                   "FILE 3 c:\\src\\a file.cc\r\n"
                   "FUNC m 1000 20 8 ns::f(int, char const *)\r\n"
                   "1000 10 7 3\r\n"
                   "1010 10 -1 3\r\n"
                   "FUNC 1000 20 0 ns::g()\r\n"
                   "PUBLIC 1000 0 f_public\r\n"
                   "PUBLIC m 2000 4 g_public\r\n"
                   "\r\n"
                   "SOMETHING NEW 1 2 3\r\n"
                   "FUNC 3000 0 0\r\n");
    if (!bp) return;
    const uv_breakpad_info *info = uv_breakpad_get_info(bp);
    CHECK_VIEW(info->name, "my app.pdb");
    CHECK_VIEW(info->code_id, "45E5A2C6B000");
    CHECK_VIEW(info->code_file, "my app.exe");
    CHECK_INT(uv_breakpad_arch(bp), UV_ARCH_X86);
    const uv_elf_symbol *syms;
    size_t n;
    uv_breakpad_symbols(bp, &syms, &n);
    CHECK_INT(n, 3);
    CHECK_VIEW(syms[0].name, "ns::f(int, char const *)"); /* the first FUNC wins */
    CHECK_INT(syms[0].size, 0x20);
    CHECK_VIEW(syms[1].name, "g_public");
    CHECK_INT(syms[1].size, 0);
    CHECK_VIEW(syms[2].name, "");
    uv_debuginfo *di = NULL;
    CHECK_INT(uv_breakpad_debuginfo(bp, &di), 0);
    if (di) {
        CHECK_INT(di->file_count, 1);
        CHECK_VIEW(di->files[0], "c:\\src\\a file.cc");
        CHECK_INT(di->row_count, 3);
        CHECK_INT(di->rows[1].line, 0); /* a negative (hidden) line */
        uv_debuginfo_free(di);
    }
    uv_breakpad_free(bp);
}

TEST(errors)
{
    const char *msg;
    CHECK_INT(parse_error("", &msg), UV_EINVALID);
    CHECK_INT(parse_error("FUNC 1 2 3 f\n", &msg), UV_EINVALID);
    CHECK_INT(parse_error("MODULEX Linux x86_64 ID n\n", &msg), UV_EINVALID);
    CHECK_INT(parse_error("MODULE Linux\n", &msg), UV_ECORRUPT);
    CHECK_CONTAINS(msg, "line 1: MODULE");
    CHECK_INT(parse_error("MODULE Linux x86_64 ID n\nFUNC 10 zz 0 f\n", &msg), UV_ECORRUPT);
    CHECK_CONTAINS(msg, "line 2: FUNC: bad size");
    CHECK_INT(parse_error("MODULE Linux x86_64 ID n\n10 4 1 0\n", &msg), UV_ECORRUPT);
    CHECK_CONTAINS(msg, "line 2: line record");
    CHECK_INT(parse_error("MODULE Linux x86_64 ID n\nFUNC 10 4 0 f\n10 4 x 0\n", &msg),
              UV_ECORRUPT);
    CHECK_CONTAINS(msg, "line 3: line record: bad line number");
    CHECK_INT(parse_error("MODULE Linux x86_64 ID n\nFUNC 10 4 0 f\nINLINE 1 2 3 4 10 2\n", &msg),
              UV_ECORRUPT);
    CHECK_CONTAINS(msg, "INLINE");
    CHECK_INT(parse_error("MODULE Linux x86_64 ID n\nFUNC 10 4 0 f\nINLINE 0 2 3 4\n", &msg),
              UV_ECORRUPT);
    CHECK_INT(parse_error("MODULE Linux x86_64 ID n\nFUNC ffffffffffffffff 2 0 f\n", &msg),
              UV_ECORRUPT);
    CHECK_INT(parse_error("MODULE Linux x86_64 ID n\nFUNC 10000000000000000 2 0 f\n", &msg),
              UV_ECORRUPT);
    CHECK_INT(parse_error("MODULE Linux x86_64 ID n\nSTACK CFI INIT 10 4 $rsp 8 +\n", &msg),
              UV_ECORRUPT);
    CHECK_CONTAINS(msg, "STACK CFI INIT: bad rules");
    CHECK_INT(parse_error("MODULE Linux x86_64 ID n\nSTACK CFI 10 .cfa:\n", &msg), UV_ECORRUPT);
    CHECK_INT(parse_error("MODULE windows x86 ID n\nSTACK WIN 4 10 4 0 0 0 0 0 0 1\n", &msg),
              UV_ECORRUPT);
    CHECK_INT(parse_error("MODULE windows x86 ID n\nSTACK WIN 5 10 4 0 0 0 0 0 0 0 0\n", &msg),
              UV_ECORRUPT);
    CHECK_INT(parse_error("MODULE windows x86 ID n\nMODULE windows x86 ID n\n", &msg), UV_ECORRUPT);

    /* old INLINE spelling without call_file; deeper INLINEs attach to the latest parent */
    uv_breakpad *bp = parse_text("MODULE Linux x86_64 ID n\n"
                                 "INLINE_ORIGIN 0 a\nINLINE_ORIGIN 1 b\nINLINE_ORIGIN 2 c\n"
                                 "FUNC 10 40 0 f\n"
                                 "INLINE 0 5 0 10 10\n"
                                 "INLINE 1 6 1 12 4\n"
                                 "INLINE 0 7 2 30 8 40 4\n"
                                 "INLINE 1 8 0 2 30 2\n");
    if (!bp) return;
    uv_debuginfo *di = NULL;
    CHECK_INT(uv_breakpad_debuginfo(bp, &di), 0);
    if (di) {
        CHECK_INT(di->func_count, 5);
        CHECK_INT(di->funcs[1].call_file, UV_DI_NONE);
        CHECK_INT(di->funcs[2].parent, 1);
        CHECK_INT(di->funcs[3].parent, 0);
        CHECK_INT(di->funcs[4].parent, 3); /* new spelling: call file 0, origin 2 */
        CHECK_VIEW(di->names[di->funcs[4].name], "c");
        CHECK_INT(di->range_count, 6);
        uv_debuginfo_free(di);
    }
    uv_breakpad_free(bp);
}

/* ---- postfix evaluation ---------------------------------------------------------------- */

static int eval(const char *expr, uv_arch arch, uint64_t *result)
{
    uv_regs regs = {.arch = arch};
    uv_regs_set(&regs, uv_arch_sp(arch), 0x1000);
    static uint8_t bytes[16] = {0x78, 0x56, 0x34, 0x12, 0xf0, 0xde, 0xbc, 0x9a};
    uv_mem_region region = {0x1000, sizeof bytes, bytes};
    uv_memory mem = {&region, 1};
    uv_postfix_var vars[4];
    size_t count = 0;
    return uv_postfix_eval(expr, strlen(expr), arch, &regs, vars, &count, 4, &mem, result);
}

TEST(postfix)
{
    static const struct {
        const char *expr;
        uv_arch arch;
        uint64_t value;
    } ok[] = {
        {"1 2 +", UV_ARCH_X86_64, 3},
        {"10 3 -", UV_ARCH_X86_64, 7},
        {"-5 3 +", UV_ARCH_X86_64, (uint64_t)-2},
        {"-5 3 +", UV_ARCH_X86, 0xfffffffe},
        {"0xffffffff 1 +", UV_ARCH_X86, 0},
        {"6 7 *", UV_ARCH_X86_64, 42},
        {"7 2 /", UV_ARCH_X86_64, 3},
        {"7 2 %", UV_ARCH_X86_64, 1},
        {"0x1f 16 @", UV_ARCH_X86_64, 16},
        {"0x1234 0x100 @", UV_ARCH_X86_64, 0x1200},
        {"$rsp 8 +", UV_ARCH_X86_64, 0x1008},
        {"rsp", UV_ARCH_X86_64, 0x1000},
        {"$rsp ^", UV_ARCH_X86_64, 0x9abcdef012345678},
        {"$esp ^", UV_ARCH_X86, 0x12345678},
        {"sp 4 + ^", UV_ARCH_ARM64, 0x9abcdef0},
        {"$T0 5 = $T0 1 +", UV_ARCH_X86_64, 6},
        {"$T0 $rsp = $T0 $T0 8 + = $T0", UV_ARCH_X86_64, 0x1008},
        {"$T0 4 =$T1 $T0 = $T1", UV_ARCH_X86_64, 4},
        {"$rsp 16 = $rsp", UV_ARCH_X86_64, 16}, /* a variable shadows the register */
        {"$T0 1 =", UV_ARCH_X86_64, 0},
        {"", UV_ARCH_X86_64, 0},
        {"  42  ", UV_ARCH_X86_64, 42},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        uint64_t v = 0xdead;
        int rc = eval(ok[i].expr, ok[i].arch, &v);
        if (rc || v != ok[i].value)
            fprintf(stderr, "postfix '%s': rc %d value 0x%" PRIx64 "\n", ok[i].expr, rc, v);
        CHECK_INT(rc, 0);
        CHECK(v == ok[i].value);
    }
    static const struct {
        const char *expr;
        int code;
        const char *message;
    } bad[] = {
        {"+", UV_EINVALID, "underflow"},
        {"1 ^ ^ +", UV_ENOTFOUND, "memory"},
        {"$nope 1 +", UV_ENOTFOUND, "$nope"},
        {"$rax", UV_ENOTFOUND, "$rax"}, /* a register the caller does not know */
        {".cfa 8 +", UV_ENOTFOUND, ".cfa"},
        {"1 0 /", UV_EINVALID, "division by zero"},
        {"1 0 %", UV_EINVALID, "division by zero"},
        {"0x2000 ^", UV_ENOTFOUND, "0x2000"},
        {"1 2", UV_EINVALID, "left on the stack"},
        {"5 1 =", UV_EINVALID, "'='"},
        {"=", UV_EINVALID, "underflow"},
        {"$a 1 = $b 2 = $c 3 = $d 4 = $e 5 =", UV_EINVALID, "$e"},
        {"$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1 =", UV_EINVALID, "too long"},
        {"99999999999999999999999 1 +", UV_ENOTFOUND, "99999"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint64_t v;
        int rc = eval(bad[i].expr, UV_ARCH_X86_64, &v);
        if (rc != bad[i].code) fprintf(stderr, "postfix '%s': rc %d\n", bad[i].expr, rc);
        CHECK_INT(rc, bad[i].code);
        CHECK_CONTAINS(uv_error_last()->message, bad[i].message);
    }
    /* a deep program is refused, not overflowed */
    char deep[1024] = "";
    for (int i = 0; i < 100; i++)
        strcat(deep, "1 ");
    uint64_t v;
    CHECK_INT(eval(deep, UV_ARCH_X86_64, &v), UV_EINVALID);
    /* no memory, no variables */
    CHECK_INT(uv_postfix_eval("8 ^", 3, UV_ARCH_X86_64, NULL, NULL, NULL, 0, NULL, &v),
              UV_ENOTFOUND);
    CHECK_INT(uv_postfix_eval("$x 8 =", 6, UV_ARCH_X86_64, NULL, NULL, NULL, 0, NULL, &v),
              UV_EINVALID);
    /* variables persist across calls and are replaced */
    uv_postfix_var vars[2];
    size_t count = 0;
    CHECK_INT(uv_postfix_eval(".cfa 16 =", 9, UV_ARCH_X86_64, NULL, vars, &count, 2, NULL, &v), 0);
    CHECK_INT(uv_postfix_eval(".cfa 8 +", 8, UV_ARCH_X86_64, NULL, vars, &count, 2, NULL, &v), 0);
    CHECK_INT(v, 24);
    CHECK_INT(uv_postfix_eval(".cfa 32 =", 9, UV_ARCH_X86_64, NULL, vars, &count, 2, NULL, &v), 0);
    CHECK_INT(count, 1);
    CHECK_STR(vars[0].name, ".cfa");
    CHECK_INT(vars[0].value, 32);
}

/* ---- writing --------------------------------------------------------------------------- */

/* main [0x1100, 0x1180) with inlined() at a.c:12 over [0x1110, 0x1120) and deeper() inside
 * it at b.h:3 over [0x1112, 0x1118); foo() [0x1200, 0x1240); a symbol bar() at 0x1300. */
static uv_debuginfo *sample_model(void)
{
    uv_di_builder *b = NULL;
    CHECK_INT(uv_di_builder_new(&b), 0);
    uint32_t a_c, b_h, n_main, n_foo, n_inl, n_deep, f_main, f_foo, f_inl, f_deep;
    uv_di_builder_file(b, uv_str_c("/src/a.c"), &a_c);
    uv_di_builder_file(b, uv_str_c("/src/b.h"), &b_h);
    uv_di_builder_file(b, uv_str_c("/src/unused.c"), &(uint32_t){0});
    uv_di_builder_name(b, uv_str_c("main"), &n_main);
    uv_di_builder_name(b, uv_str_c("_Z3foov"), &n_foo);
    uv_di_builder_name(b, uv_str_c("_Z7inlinedv"), &n_inl);
    uv_di_builder_name(b, uv_str_c("_Z6deeperi"), &n_deep);
    uv_di_builder_func(b, &(uv_di_func){n_main, UV_DI_NONE, UV_DI_NONE, 0, 0, 0}, &f_main);
    uv_di_builder_func(b, &(uv_di_func){n_foo, UV_DI_NONE, UV_DI_NONE, 0, 0, 0}, &f_foo);
    uv_di_builder_func(b, &(uv_di_func){n_inl, f_main, a_c, 12, 5, 1}, &f_inl);
    uv_di_builder_func(b, &(uv_di_func){n_deep, f_inl, b_h, 3, 0, 2}, &f_deep);
    uv_di_builder_range(b, 0x1100, 0x1180, f_main);
    uv_di_builder_range(b, 0x1200, 0x1240, f_foo);
    uv_di_builder_range(b, 0x1110, 0x1120, f_inl);
    uv_di_builder_range(b, 0x1112, 0x1118, f_deep);
    uv_di_builder_row(b, 0x1100, a_c, 10, 1);
    uv_di_builder_row(b, 0x1110, b_h, 2, 0);
    uv_di_builder_row(b, 0x1112, b_h, 30, 0);
    uv_di_builder_row(b, 0x1118, b_h, 4, 0);
    uv_di_builder_row(b, 0x1120, a_c, 13, 0);
    uv_di_builder_row(b, 0x1180, UV_DI_NONE, 0, 0);
    uv_di_builder_row(b, 0x1200, a_c, 20, 0);
    uv_di_builder_row(b, 0x1220, a_c, 21, 0);
    uv_di_builder_row(b, 0x1240, UV_DI_NONE, 0, 0);
    uv_debuginfo *di = NULL;
    CHECK_INT(uv_di_builder_finish(b, &di), 0);
    return di;
}

TEST(write_round_trip)
{
    uv_debuginfo *di = sample_model();
    if (!di) return;
    static const uv_elf_symbol syms[] = {
        {0x1100, 0x80, {"main", 4}},        {0x1200, 0x40, {"_Z3foov", 7}},
        {0x1300, 0x10, {"_Z3barv", 7}},     {0x1300, 0x10, {"bar_alias", 9}},
        {0x0800, 0x10, {"below_load", 10}},
    };
    uv_breakpad_header h = {"Linux", "x86_64", "0123456789ABCDEF0123456789ABCDEF0", "t.so",
                            "ABCDEF"};
    uv_buf out = UV_BUF_INIT;
    CHECK_INT(uv_breakpad_write(&out, &h, di, syms, 5, NULL, 0x1000), 0);
    uv_buf_append(&out, "", 1);
    const char *text = (const char *)out.data;
    const char *expect = "MODULE Linux x86_64 0123456789ABCDEF0123456789ABCDEF0 t.so\n"
                         "INFO CODE_ID ABCDEF\n"
                         "FILE 0 /src/a.c\n"
                         "FILE 1 /src/b.h\n"
                         "INLINE_ORIGIN 0 deeper(int)\n"
                         "INLINE_ORIGIN 1 inlined()\n"
                         "FUNC 100 80 0 main\n"
                         "INLINE 0 12 0 1 110 10\n"
                         "INLINE 1 3 1 0 112 6\n"
                         "100 10 10 0\n"
                         "110 2 2 1\n"
                         "112 6 30 1\n"
                         "118 8 4 1\n"
                         "120 60 13 0\n"
                         "FUNC 200 40 0 foo()\n"
                         "200 20 20 0\n"
                         "220 20 21 0\n"
                         "PUBLIC 300 0 bar()\n";
    CHECK_STR(text, expect);

    /* parse it back: the same answers, 0x1000 lower */
    uv_breakpad *bp = NULL;
    CHECK_INT(uv_breakpad_parse(&bp, out.data, out.len - 1), 0);
    if (bp) {
        uv_buf a_buf = UV_BUF_INIT, b_buf;
        CHECK_INT(uv_symcache_write(&a_buf, di, syms, 3, "x86_64"), 0);
        uv_symcache *a = NULL;
        CHECK_INT(uv_symcache_open(&a, a_buf.data, a_buf.len), 0);
        uv_symcache *b = symcache_of(bp, &b_buf);
        int mismatches = 0;
        for (uint64_t x = 0x10f0; x < 0x1310 && a && b; x++) {
            uv_sc_frame fa[8], fb[8];
            size_t na = 0, nb = 0;
            int ra = uv_symcache_lookup(a, x, fa, 8, &na);
            int rb = uv_symcache_lookup(b, x - 0x1000, fb, 8, &nb);
            bool same = ra == rb && na == nb;
            for (size_t i = 0; same && ra == 0 && i < na; i++)
                same = uv_str_eq(fa[i].function, fb[i].function) &&
                       uv_str_eq(fa[i].file, fb[i].file) && fa[i].line == fb[i].line;
            if (!same && mismatches++ < 5)
                fprintf(stderr, "round trip differs at 0x%" PRIx64 "\n", x);
        }
        CHECK_INT(mismatches, 0);
        uv_sc_frame f[4];
        size_t n;
        CHECK_INT(uv_symcache_lookup(b, 0x114, f, 4, &n), 0);
        CHECK_INT(n, 3);
        CHECK_VIEW(f[0].function, "deeper(int)");
        CHECK_VIEW(f[2].function, "main");
        CHECK_INT(f[2].line, 12);
        uv_symcache_free(a);
        uv_symcache_free(b);
        uv_buf_free(&a_buf);
        uv_buf_free(&b_buf);
        uv_breakpad_free(bp);
    }
    uv_buf_free(&out);

    /* no model at all: symbols only */
    out = UV_BUF_INIT;
    h.code_id = NULL;
    CHECK_INT(uv_breakpad_write(&out, &h, NULL, syms, 2, NULL, 0), 0);
    uv_buf_append(&out, "", 1);
    CHECK_STR((const char *)out.data, "MODULE Linux x86_64 0123456789ABCDEF0123456789ABCDEF0 t.so\n"
                                      "PUBLIC 1100 0 main\n"
                                      "PUBLIC 1200 0 foo()\n");
    uv_buf_free(&out);
    h.name = "two\nlines";
    CHECK_INT(uv_breakpad_write(&out, &h, NULL, NULL, 0, NULL, 0), UV_EINVALID);
    uv_buf_free(&out);
    uv_debuginfo_free(di);
}

/* A hand-assembled x86-64 .eh_frame: a CIE (CFA = rsp+8, return address at CFA-8) and one
 * FDE for [0x1100, 0x1120): push rbp at +1, mov rbp, rsp at +4. */
static const uint8_t eh_frame[] = {
    /* CIE */
    20, 0, 0, 0, 0, 0, 0, 0, 1, 'z', 'R', 0, 1, 0x78, 16, 1, 0x00, /* absolute pointers */
    0x0c, 7, 8,                                                    /* def_cfa rsp+8 */
    0x90, 1,                                                       /* rip at cfa-8 */
    0, 0,                                                          /* padding */
    /* FDE */
    36, 0, 0, 0, 28, 0, 0, 0,               /* CIE pointer */
    0x00, 0x11, 0, 0, 0, 0, 0, 0,           /* pc_begin 0x1100 */
    0x20, 0, 0, 0, 0, 0, 0, 0,              /* pc_range */
    0,                                      /* augmentation data */
    0x41, 0x0e, 16, 0x86, 2, 0x43, 0x0d, 6, /* +1: cfa rsp+16, rbp at cfa-16; +4: cfa rbp */
    0, 0, 0, 0, 0, 0, 0,                    /* padding */
    0, 0, 0, 0,                             /* terminator */
};

TEST(write_cfi)
{
    uv_cfi *cfi = NULL;
    uv_cfi_section eh = {eh_frame, sizeof eh_frame, 0x2000};
    int rc = uv_cfi_open(&cfi, UV_ARCH_X86_64, &eh, NULL);
    CHECK_INT(rc, 0);
    if (rc) return;
    uv_breakpad_header h = {"Linux", "x86_64", "0123456789ABCDEF0123456789ABCDEF0", "t", ""};
    uv_buf out = UV_BUF_INIT;
    CHECK_INT(uv_breakpad_write(&out, &h, NULL, NULL, 0, cfi, 0x1000), 0);
    uv_buf_append(&out, "", 1);
    CHECK_STR((const char *)out.data, "MODULE Linux x86_64 0123456789ABCDEF0123456789ABCDEF0 t\n"
                                      "STACK CFI INIT 100 20 .cfa: $rsp 8 + .ra: .cfa -8 + ^\n"
                                      "STACK CFI 101 .cfa: $rsp 16 + $rbp: .cfa -16 + ^\n"
                                      "STACK CFI 104 .cfa: $rbp 16 +\n");
    /* read back, every address answers as the DWARF does */
    uv_breakpad *bp = NULL;
    CHECK_INT(uv_breakpad_parse(&bp, out.data, out.len - 1), 0);
    for (uint64_t pc = 0x10ff; pc <= 0x1120 && bp; pc++) {
        uv_cfi_row want, got;
        int rw = uv_cfi_find(cfi, pc, &want);
        int rg = uv_breakpad_cfi_find(bp, pc - 0x1000, &got);
        CHECK_INT(rg, rw);
        if (rw || rg) continue;
        bool same = want.cfa.kind == got.cfa.kind && want.cfa.reg == got.cfa.reg &&
                    want.cfa.offset == got.cfa.offset && want.ra_reg == got.ra_reg &&
                    want.start - 0x1000 == got.start && want.end - 0x1000 == got.end;
        for (int r = 0; r < UV_REGS_MAX; r++)
            same =
                same && want.regs[r].kind == got.regs[r].kind &&
                (want.regs[r].kind != UV_CFI_OFFSET || want.regs[r].offset == got.regs[r].offset);
        if (!same) fprintf(stderr, "CFI differs at 0x%" PRIx64 "\n", pc);
        CHECK(same);
    }
    uv_breakpad_free(bp);
    uv_buf_free(&out);
    uv_cfi_free(cfi);
}

int main(void)
{
    RUN(linux_inline);
    RUN(minidump2_stack_win);
    RUN(minidump2_parsed);
    RUN(stack_win_handmade);
    RUN(stack_cfi);
    RUN(records);
    RUN(errors);
    RUN(postfix);
    RUN(write_round_trip);
    RUN(write_cfi);
    TEST_MAIN_END();
}
