/* formats/cfi: hand-built .eh_frame/.debug_frame entries (every instruction, both sections,
 * 32/64-bit lengths, remember/restore state, expressions), the expression machine, hostile
 * bytes, Breakpad spelling, and real CFI: this test binary's own .eh_frame (every function
 * starts with CFA = rsp+8 and the return address at CFA-8; a live stack walk through a chain
 * of functions recovers the return addresses the compiler reports) and libc's. Nothing is
 * compiled at test time. */
#include "formats/cfi.h"

#include "formats/elf.h"
#include "formats/error.h"

#include "test.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum { RAX = 0, RDX = 1, RCX = 2, RBX = 3, RSI = 4, RDI = 5, RBP = 6, RSP = 7 };
enum { R12 = 12, R13 = 13, R14 = 14, R15 = 15, RIP = 16 };

/* ---- byte builders ------------------------------------------------------------------- */

typedef struct {
    uint8_t b[8192];
    size_t n;
} bytes;

static void put8(bytes *o, unsigned v)
{
    if (o->n < sizeof o->b) o->b[o->n++] = (uint8_t)v;
}

static void put_le(bytes *o, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++)
        put8(o, (unsigned)(v >> (8 * i)) & 0xff);
}

static void put_uleb(bytes *o, uint64_t v)
{
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        put8(o, v ? b | 0x80 : b);
    } while (v);
}

static void put_sleb(bytes *o, int64_t v)
{
    for (;;) {
        uint8_t b = v & 0x7f;
        v >>= 7;
        bool done = (v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40));
        put8(o, done ? b : b | 0x80);
        if (done) return;
    }
}

static void put_bytes(bytes *o, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put8(o, p[i]);
}

static void patch32(bytes *o, size_t at, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        o->b[at + i] = (uint8_t)(v >> (8 * i));
}

#define EH_VADDR 0x20000u

/* .eh_frame CIE: version 1, "zR" with pcrel|sdata4, code align 1, data align -8, RA 16. */
static size_t eh_cie(bytes *o, const uint8_t *insns, size_t n)
{
    size_t at = o->n;
    put_le(o, 0, 4);
    put_le(o, 0, 4); /* CIE id */
    put8(o, 1);
    put_bytes(o, (const uint8_t *)"zR", 3);
    put_uleb(o, 1);
    put_sleb(o, -8);
    put8(o, RIP);
    put_uleb(o, 1);
    put8(o, 0x1b);
    put_bytes(o, insns, n);
    patch32(o, at, (uint32_t)(o->n - at - 4));
    return at;
}

/* .eh_frame FDE for [start, start+range) with a pc-relative sdata4 pc_begin. */
static size_t eh_fde(bytes *o, size_t cie, uint64_t start, uint32_t range, const uint8_t *insns,
                     size_t n)
{
    size_t at = o->n;
    put_le(o, 0, 4);
    put_le(o, (uint32_t)(o->n - cie), 4);
    put_le(o, (uint32_t)(int32_t)(start - (EH_VADDR + o->n)), 4);
    put_le(o, range, 4);
    put_uleb(o, 0);
    put_bytes(o, insns, n);
    patch32(o, at, (uint32_t)(o->n - at - 4));
    return at;
}

static const uint8_t std_cie_insns[] = {0x0c, RSP, 8, 0x80 | RIP, 1}; /* rsp+8, rip at cfa-8 */

static int open_eh(uv_cfi **out, const bytes *eh)
{
    uv_cfi_section s = {eh->b, eh->n, EH_VADDR};
    return uv_cfi_open(out, UV_ARCH_X86_64, &s, NULL);
}

static bool is_reg(const uv_cfi_rule *r, uint32_t reg, int64_t off)
{
    return r->kind == UV_CFI_REGISTER && r->reg == reg && r->offset == off;
}

static bool is_offset(const uv_cfi_rule *r, uv_cfi_rule_kind kind, int64_t off)
{
    return r->kind == kind && r->offset == off;
}

/* ---- hand-built entries ------------------------------------------------------------- */

/* glibc's x86-64 PLT CFA: rsp + 8 + ((rip & 15) >= 11 ? 8 : 0). */
static const uint8_t plt_expr[] = {0x77, 8, 0x80, 0, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22};

TEST(instructions)
{
    bytes eh = {.n = 0};
    size_t cie = eh_cie(&eh, std_cie_insns, sizeof std_cie_insns);
    bytes in = {.n = 0};
    put8(&in, 0x41);                               /* advance 1 -> 0x1001 */
    put8(&in, 0x0e), put8(&in, 16);                /* def_cfa_offset 16 */
    put8(&in, 0x80 | RBP), put8(&in, 2);           /* rbp at cfa-16 */
    put8(&in, 0x43);                               /* -> 0x1004 */
    put8(&in, 0x0d), put8(&in, RBP);               /* def_cfa_register rbp */
    put8(&in, 0x04), put_le(&in, 0x100, 4);        /* advance_loc4 -> 0x1104 */
    put8(&in, 0x0a);                               /* remember_state */
    put8(&in, 0x0c), put8(&in, RSP), put8(&in, 8); /* def_cfa rsp 8 */
    put8(&in, 0xc0 | RBP);                         /* restore rbp (no CIE rule: unspecified) */
    put8(&in, 0x41);                               /* -> 0x1105 */
    put8(&in, 0x0b);                               /* restore_state */
    put8(&in, 0x02), put8(&in, 16);                /* advance_loc1 -> 0x1115 */
    put8(&in, 0x0f), put_uleb(&in, sizeof plt_expr), put_bytes(&in, plt_expr, sizeof plt_expr);
    put8(&in, 0x03), put_le(&in, 0x100, 2);         /* advance_loc2 -> 0x1215 */
    put8(&in, 0x0c), put8(&in, RSP), put8(&in, 48); /* def_cfa rsp 48 */
    put8(&in, 0x10), put8(&in, RBX), put8(&in, 2), put8(&in, 0x38), put8(&in, 0x1c); /* cfa-8 */
    put8(&in, 0x16), put8(&in, R12), put8(&in, 2), put8(&in, 0x23), put8(&in, 4);    /* cfa+4 */
    put8(&in, 0x14), put8(&in, R13), put8(&in, 2);         /* val_offset cfa-16 */
    put8(&in, 0x09), put8(&in, R14), put8(&in, RBX);       /* r14 = rbx */
    put8(&in, 0x07), put8(&in, R15);                       /* undefined */
    put8(&in, 0x2e), put8(&in, 32);                        /* args_size: ignored */
    put8(&in, 0x11), put_uleb(&in, 80), put_sleb(&in, -2); /* reg 80: ignored */
    put8(&in, 0x00);                                       /* nop */
    put8(&in, 0x41);                                       /* -> 0x1216 */
    put8(&in, 0x2f), put8(&in, RDX), put8(&in, 1);         /* rdx at cfa+8 */
    put8(&in, 0x05), put8(&in, RSI), put8(&in, 3);         /* rsi at cfa-24 */
    put8(&in, 0x15), put8(&in, RDI), put_sleb(&in, -1);    /* rdi = cfa+8 */
    put8(&in, 0x08), put8(&in, RBX);                       /* rbx same value */
    put8(&in, 0x12), put8(&in, RSP), put_sleb(&in, -3);    /* def_cfa_sf rsp+24 */
    put8(&in, 0x41);                                       /* -> 0x1217 */
    put8(&in, 0x13), put_sleb(&in, -4);                    /* def_cfa_offset_sf 32 */
    put8(&in, 0x06), put8(&in, RBX);                       /* restore_extended rbx */
    put8(&in, 0x06), put8(&in, RIP);                       /* restore rip: cfa-8 */
    /* set_loc 0x1300; 17 = the FDE's header: length, CIE pointer, pc_begin, range, aug */
    put8(&in, 0x01), put_le(&in, (uint32_t)(0x1300 - (EH_VADDR + eh.n + 17 + in.n)), 4);
    put8(&in, 0x0e), put8(&in, 8);
    eh_fde(&eh, cie, 0x1000, 0x400, in.b, in.n);
    put_le(&eh, 0, 4); /* terminator */

    uv_cfi *cfi;
    CHECK_INT(open_eh(&cfi, &eh), 0);
    CHECK_INT(uv_cfi_fde_count(cfi), 1);
    CHECK_INT(uv_cfi_skipped(cfi), 0);
    uv_cfi_row row;
    CHECK_INT(uv_cfi_find(cfi, 0x1000, &row), 0);
    CHECK_INT(row.start, 0x1000);
    CHECK_INT(row.end, 0x1001);
    CHECK(is_reg(&row.cfa, RSP, 8));
    CHECK(is_offset(&row.regs[RIP], UV_CFI_OFFSET, -8));
    CHECK_INT(row.ra_reg, RIP);
    CHECK(!row.signal_frame);

    CHECK_INT(uv_cfi_find(cfi, 0x1002, &row), 0);
    CHECK_INT(row.start, 0x1001);
    CHECK_INT(row.end, 0x1004);
    CHECK(is_reg(&row.cfa, RSP, 16));
    CHECK(is_offset(&row.regs[RBP], UV_CFI_OFFSET, -16));

    CHECK_INT(uv_cfi_find(cfi, 0x1103, &row), 0);
    CHECK_INT(row.start, 0x1004);
    CHECK_INT(row.end, 0x1104);
    CHECK(is_reg(&row.cfa, RBP, 16));

    CHECK_INT(uv_cfi_find(cfi, 0x1104, &row), 0); /* the epilogue row */
    CHECK_INT(row.end, 0x1105);
    CHECK(is_reg(&row.cfa, RSP, 8));
    CHECK_INT(row.regs[RBP].kind, UV_CFI_UNSPECIFIED);

    CHECK_INT(uv_cfi_find(cfi, 0x1105, &row), 0); /* restored */
    CHECK_INT(row.end, 0x1115);
    CHECK(is_reg(&row.cfa, RBP, 16));
    CHECK(is_offset(&row.regs[RBP], UV_CFI_OFFSET, -16));

    CHECK_INT(uv_cfi_find(cfi, 0x1200, &row), 0);
    CHECK_INT(row.cfa.kind, UV_CFI_VAL_EXPRESSION);
    CHECK_INT(row.cfa.expr_len, sizeof plt_expr);
    CHECK(row.cfa.expr && memcmp(row.cfa.expr, plt_expr, sizeof plt_expr) == 0);

    CHECK_INT(uv_cfi_find(cfi, 0x1215, &row), 0);
    CHECK_INT(row.start, 0x1215);
    CHECK_INT(row.end, 0x1216);
    CHECK(is_reg(&row.cfa, RSP, 48));
    CHECK_INT(row.regs[RBX].kind, UV_CFI_EXPRESSION);
    CHECK_INT(row.regs[R12].kind, UV_CFI_VAL_EXPRESSION);
    CHECK(is_offset(&row.regs[R13], UV_CFI_VAL_OFFSET, -16));
    CHECK(row.regs[R14].kind == UV_CFI_REGISTER && row.regs[R14].reg == RBX);
    CHECK_INT(row.regs[R15].kind, UV_CFI_UNDEFINED);

    CHECK_INT(uv_cfi_find(cfi, 0x1216, &row), 0);
    CHECK(is_reg(&row.cfa, RSP, 24));
    CHECK(is_offset(&row.regs[RDX], UV_CFI_OFFSET, 8));
    CHECK(is_offset(&row.regs[RSI], UV_CFI_OFFSET, -24));
    CHECK(is_offset(&row.regs[RDI], UV_CFI_VAL_OFFSET, 8));
    CHECK(row.regs[RBX].kind == UV_CFI_SAME && row.regs[RBX].reg == RBX);

    CHECK_INT(uv_cfi_find(cfi, 0x1250, &row), 0);
    CHECK_INT(row.start, 0x1217);
    CHECK_INT(row.end, 0x1300);
    CHECK(is_reg(&row.cfa, RSP, 32));
    CHECK_INT(row.regs[RBX].kind, UV_CFI_UNSPECIFIED);
    CHECK(is_offset(&row.regs[RIP], UV_CFI_OFFSET, -8));

    CHECK_INT(uv_cfi_find(cfi, 0x1300, &row), 0); /* after set_loc */
    CHECK_INT(row.start, 0x1300);
    CHECK_INT(row.end, 0x1400);
    CHECK(is_reg(&row.cfa, RSP, 8));

    CHECK_INT(uv_cfi_find(cfi, 0x0fff, &row), UV_ENOTFOUND);
    CHECK_INT(uv_cfi_find(cfi, 0x1400, &row), UV_ENOTFOUND);
    uv_cfi_free(cfi);
}

typedef struct {
    size_t fdes, rows;
    uint64_t starts[16], sizes[16];
    size_t row_counts[16];
    bool contiguous;
} fde_stats;

static int stats_fn(void *ctx, uint64_t start, uint64_t size, const uv_cfi_row *rows, size_t n)
{
    fde_stats *s = ctx;
    if (s->fdes < 16) {
        s->starts[s->fdes] = start;
        s->sizes[s->fdes] = size;
        s->row_counts[s->fdes] = n;
    }
    s->fdes++;
    s->rows += n;
    if (n == 0 || rows[0].start != start || rows[n - 1].end != start + size) s->contiguous = false;
    for (size_t i = 1; i < n; i++)
        if (rows[i].start != rows[i - 1].end || rows[i].start <= rows[i - 1].start)
            s->contiguous = false;
    return 0;
}

static int stop_fn(void *ctx, uint64_t start, uint64_t size, const uv_cfi_row *rows, size_t n)
{
    (void)start, (void)size, (void)rows, (void)n;
    ++*(int *)ctx;
    return 7;
}

/* Both sections, overlapping: .debug_frame wins; 64-bit lengths; versions 1, 3, 4. */
TEST(debug_frame_and_overlaps)
{
    bytes eh = {.n = 0};
    size_t cie = eh_cie(&eh, std_cie_insns, sizeof std_cie_insns);
    const uint8_t grow[] = {0x44, 0x0e, 16}; /* at +4 the CFA is rsp+16 */
    eh_fde(&eh, cie, 0x1000, 0x100, grow, sizeof grow);
    eh_fde(&eh, cie, 0x3000, 0x100, grow, sizeof grow);
    eh_fde(&eh, cie, 0x3010, 0x10, NULL, 0); /* inside the one before */
    eh_fde(&eh, cie, 0x5000, 0, NULL, 0);    /* empty: not indexed */
    put_le(&eh, 0, 4);

    bytes dbg = {.n = 0};
    /* 64-bit CIE, version 4, address size 8, segment size 0 */
    put_le(&dbg, 0xffffffff, 4);
    size_t len_at = dbg.n;
    put_le(&dbg, 0, 8);
    size_t body = dbg.n;
    put_le(&dbg, UINT64_MAX, 8);
    put8(&dbg, 4);
    put8(&dbg, 0); /* "" */
    put8(&dbg, 8);
    put8(&dbg, 0);
    put_uleb(&dbg, 1);
    put_sleb(&dbg, -8);
    put_uleb(&dbg, RIP);
    put8(&dbg, 0x0c), put8(&dbg, RSP), put8(&dbg, 8), put8(&dbg, 0x80 | RIP), put8(&dbg, 1);
    uint64_t cie_len = dbg.n - body;
    for (unsigned i = 0; i < 8; i++)
        dbg.b[len_at + i] = (uint8_t)(cie_len >> (8 * i));
    /* 64-bit FDE for [0x1000, 0x1100): at +2 the CFA is rsp+32 */
    put_le(&dbg, 0xffffffff, 4);
    len_at = dbg.n;
    put_le(&dbg, 0, 8);
    body = dbg.n;
    put_le(&dbg, 0, 8); /* CIE at offset 0 */
    put_le(&dbg, 0x1000, 8);
    put_le(&dbg, 0x100, 8);
    put8(&dbg, 0x42), put8(&dbg, 0x0e), put8(&dbg, 32);
    uint64_t fde_len = dbg.n - body;
    for (unsigned i = 0; i < 8; i++)
        dbg.b[len_at + i] = (uint8_t)(fde_len >> (8 * i));
    /* 32-bit CIE version 3 (uleb RA), then an FDE for [0x2000, 0x2040) */
    size_t cie3 = dbg.n;
    put_le(&dbg, 0, 4);
    put_le(&dbg, 0xffffffff, 4);
    put8(&dbg, 3);
    put8(&dbg, 0);
    put_uleb(&dbg, 4); /* code alignment 4 */
    put_sleb(&dbg, -8);
    put_uleb(&dbg, RIP);
    put8(&dbg, 0x0c), put8(&dbg, RSP), put8(&dbg, 8);
    patch32(&dbg, cie3, (uint32_t)(dbg.n - cie3 - 4));
    size_t fde3 = dbg.n;
    put_le(&dbg, 0, 4);
    put_le(&dbg, cie3, 4);
    put_le(&dbg, 0x2000, 8);
    put_le(&dbg, 0x40, 8);
    put8(&dbg, 0x42), put8(&dbg, 0x0e), put8(&dbg, 24); /* advance 2*4 */
    patch32(&dbg, fde3, (uint32_t)(dbg.n - fde3 - 4));
    put_le(&dbg, 0, 4); /* zero-length padding in .debug_frame is skipped */

    uv_cfi_section e = {eh.b, eh.n, EH_VADDR}, d = {dbg.b, dbg.n, 0};
    uv_cfi *cfi;
    CHECK_INT(uv_cfi_open(&cfi, UV_ARCH_X86_64, &e, &d), 0);
    CHECK_INT(uv_cfi_fde_count(cfi), 5);
    CHECK_INT(uv_cfi_skipped(cfi), 0);
    uv_cfi_row row;
    CHECK_INT(uv_cfi_find(cfi, 0x1010, &row), 0);
    CHECK(is_reg(&row.cfa, RSP, 32)); /* .debug_frame's */
    CHECK_INT(uv_cfi_find(cfi, 0x1001, &row), 0);
    CHECK(is_reg(&row.cfa, RSP, 8));
    CHECK_INT(row.end, 0x1002);
    CHECK_INT(uv_cfi_find(cfi, 0x2007, &row), 0);
    CHECK(is_reg(&row.cfa, RSP, 8));
    CHECK_INT(uv_cfi_find(cfi, 0x2008, &row), 0);
    CHECK(is_reg(&row.cfa, RSP, 24));
    CHECK_INT(row.regs[RIP].kind, UV_CFI_UNSPECIFIED);
    CHECK_INT(uv_cfi_find(cfi, 0x3014, &row), 0); /* the inner FDE */
    CHECK(is_reg(&row.cfa, RSP, 8));
    CHECK_INT(row.start, 0x3010);
    CHECK_INT(uv_cfi_find(cfi, 0x3050, &row), 0); /* past the inner one: the outer */
    CHECK(is_reg(&row.cfa, RSP, 16));
    CHECK_INT(uv_cfi_find(cfi, 0x5000, &row), UV_ENOTFOUND);

    fde_stats st = {.contiguous = true};
    CHECK_INT(uv_cfi_each_fde(cfi, stats_fn, &st), 0);
    CHECK_INT(st.fdes, 4); /* [0x1000, 0x1100) once */
    CHECK(st.contiguous);
    CHECK_INT(st.starts[0], 0x1000);
    CHECK_INT(st.row_counts[0], 2); /* the .debug_frame one: split at +2 */
    CHECK_INT(st.starts[1], 0x2000);
    CHECK_INT(st.starts[2], 0x3000);
    CHECK_INT(st.starts[3], 0x3010);
    CHECK_INT(st.sizes[3], 0x10);
    int calls = 0;
    CHECK_INT(uv_cfi_each_fde(cfi, stop_fn, &calls), 7);
    CHECK_INT(calls, 1);
    uv_cfi_free(cfi);

    /* .debug_frame alone; no sections at all */
    CHECK_INT(uv_cfi_open(&cfi, UV_ARCH_X86_64, NULL, &d), 0);
    CHECK_INT(uv_cfi_fde_count(cfi), 2);
    uv_cfi_free(cfi);
    CHECK_INT(uv_cfi_open(&cfi, UV_ARCH_X86_64, NULL, NULL), 0);
    CHECK_INT(uv_cfi_fde_count(cfi), 0);
    CHECK_INT(uv_cfi_find(cfi, 0x1000, &row), UV_ENOTFOUND);
    CHECK_INT(uv_cfi_each_fde(cfi, stop_fn, &calls), 0);
    uv_cfi_free(cfi);
    uv_cfi_free(NULL);
}

/* Augmentations: P with an indirect pcrel personality, L, S, unknown letters after 'z';
 * "eh"; a 32-bit architecture's absptr. */
TEST(augmentations)
{
    bytes eh = {.n = 0};
    size_t cie = eh.n;
    put_le(&eh, 0, 4);
    put_le(&eh, 0, 4);
    put8(&eh, 1);
    put_bytes(&eh, (const uint8_t *)"zPLSQR", 7); /* Q: unknown, skipped with the rest */
    put_uleb(&eh, 1);
    put_sleb(&eh, -8);
    put8(&eh, RIP);
    put_uleb(&eh, 8);
    put8(&eh, 0x9b), put_le(&eh, 0x1234, 4); /* P: indirect|pcrel|sdata4 */
    put8(&eh, 0x1b);                         /* L */
    put8(&eh, 0x77), put8(&eh, 0x77);        /* Q's data, then R (never read: absptr) */
    put_bytes(&eh, std_cie_insns, sizeof std_cie_insns);
    patch32(&eh, cie, (uint32_t)(eh.n - cie - 4));
    size_t fde = eh.n;
    put_le(&eh, 0, 4);
    put_le(&eh, (uint32_t)(eh.n - cie), 4);
    put_le(&eh, 0x4000, 8); /* absptr: R was not reached */
    put_le(&eh, 0x10, 8);
    put_uleb(&eh, 4), put_le(&eh, 0, 4); /* LSDA pointer */
    patch32(&eh, fde, (uint32_t)(eh.n - fde - 4));
    uv_cfi *cfi;
    CHECK_INT(open_eh(&cfi, &eh), 0);
    CHECK_INT(uv_cfi_fde_count(cfi), 1);
    uv_cfi_row row;
    CHECK_INT(uv_cfi_find(cfi, 0x4008, &row), 0);
    CHECK(row.signal_frame);
    CHECK(is_reg(&row.cfa, RSP, 8));
    uv_cfi_free(cfi);

    /* "eh" (old GCC): a pointer after the augmentation string; x86: absptr is 4 bytes */
    bytes x = {.n = 0};
    put_le(&x, 0, 4);
    put_le(&x, 0, 4);
    put8(&x, 1);
    put_bytes(&x, (const uint8_t *)"eh", 3);
    put_le(&x, 0xdeadbeef, 4);
    put_uleb(&x, 1);
    put_sleb(&x, -4);
    put8(&x, 8);
    put8(&x, 0x0c), put8(&x, 4), put8(&x, 4), put8(&x, 0x88), put8(&x, 1);
    patch32(&x, 0, (uint32_t)(x.n - 4));
    fde = x.n;
    put_le(&x, 0, 4);
    put_le(&x, (uint32_t)x.n, 4);
    put_le(&x, 0x8048000, 4);
    put_le(&x, 0x20, 4);
    put8(&x, 0x41), put8(&x, 0x0e), put8(&x, 8), put8(&x, 0x85), put8(&x, 2);
    patch32(&x, fde, (uint32_t)(x.n - fde - 4));
    uv_cfi_section s = {x.b, x.n, 0x8049000};
    CHECK_INT(uv_cfi_open(&cfi, UV_ARCH_X86, &s, NULL), 0);
    CHECK_INT(uv_cfi_fde_count(cfi), 1);
    CHECK_INT(uv_cfi_find(cfi, 0x8048001, &row), 0);
    CHECK(is_reg(&row.cfa, 4, 8));
    CHECK(is_offset(&row.regs[5], UV_CFI_OFFSET, -8));
    CHECK(is_offset(&row.regs[8], UV_CFI_OFFSET, -4));
    CHECK_INT(row.ra_reg, 8);

    /* apply on x86: 32-bit words */
    uint8_t stack[16] = {0x78, 0x56, 0x34, 0x12, 0x44, 0x33, 0x22, 0x11};
    uv_mem_region region = {0xfff0, sizeof stack, stack};
    uv_memory mem = {&region, 1};
    uv_regs callee = {.arch = UV_ARCH_X86}, caller;
    uv_regs_set(&callee, 4, 0xfff0);
    uv_regs_set(&callee, 8, 0x8048001);
    uv_regs_set(&callee, 3, 0xb0b0); /* ebx: callee-saved, kept */
    uv_regs_set(&callee, 0, 0xa0a0); /* eax: not kept */
    CHECK_INT(uv_cfi_apply(&row, &callee, &mem, &caller), 0);
    CHECK_INT(caller.r[4], 0xfff8);
    CHECK_INT(caller.r[8], 0x11223344);
    CHECK_INT(caller.r[5], 0x12345678);
    CHECK_INT(caller.r[3], 0xb0b0);
    CHECK(!uv_regs_has(&caller, 0));
    uv_cfi_free(cfi);
}

/* ---- the expression machine and uv_cfi_apply ----------------------------------------- */

static uint8_t stack_mem[256];
static const uv_mem_region stack_region = {0x7000, sizeof stack_mem, stack_mem};
static const uv_memory stack_memory = {&stack_region, 1};

static void set_word(uint64_t addr, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        stack_mem[addr - 0x7000 + i] = (uint8_t)(v >> (8 * i));
}

static uv_regs x64_regs(uint64_t rip)
{
    uv_regs r = {.arch = UV_ARCH_X86_64};
    uv_regs_set(&r, RSP, 0x7010);
    uv_regs_set(&r, RBP, 0x7080);
    uv_regs_set(&r, RIP, rip);
    uv_regs_set(&r, RBX, 0xbbbb);
    uv_regs_set(&r, RAX, 5);
    return r;
}

/* Evaluates `expr` as a CFA expression; the caller's rsp is the result. */
static int eval_cfa(const uint8_t *expr, size_t len, uint64_t rip, uint64_t *out)
{
    uv_cfi_row row;
    memset(&row, 0, sizeof row);
    row.cfa = (uv_cfi_rule){.kind = UV_CFI_VAL_EXPRESSION, .expr = expr, .expr_len = len};
    row.ra_reg = RIP;
    /* the return address kept in place (no memory read): only the CFA is under test */
    row.regs[RIP] = (uv_cfi_rule){.kind = UV_CFI_SAME, .reg = RIP};
    uv_regs callee = x64_regs(rip), caller;
    int rc = uv_cfi_apply(&row, &callee, &stack_memory, &caller);
    if (rc == 0) *out = caller.r[RSP];
    return rc;
}

TEST(expressions)
{
    memset(stack_mem, 0, sizeof stack_mem);
    set_word(0x7020, 0x1122334455667788);
    /* the return address for every case: the CFA lands in the region */
    static const struct {
        const char *name;
        uint8_t expr[24];
        size_t len;
        int rc;
        uint64_t value;
    } cases[] = {
        {"breg7", {0x77, 0x10}, 2, 0, 0x7020},
        {"breg7 neg", {0x77, 0x70}, 2, 0, 0x7000},
        {"bregx", {0x92, RBP, 0x08}, 3, 0, 0x7088},
        {"lit+plus", {0x37, 0x3a, 0x22, 0x77, 0, 0x22}, 6, 0, 0x7010 + 17},
        {"const1u", {0x08, 0xf0, 0x77, 0, 0x22}, 5, 0, 0x7100},
        {"const1s", {0x77, 0x10, 0x09, 0xf8, 0x22}, 5, 0, 0x7018},
        {"const2u", {0x0a, 0x00, 0x70}, 3, 0, 0x7000},
        {"const2s", {0x77, 0x10, 0x0b, 0xfe, 0xff, 0x22}, 6, 0, 0x701e},
        {"const4u", {0x0c, 0x10, 0x70, 0, 0}, 5, 0, 0x7010},
        {"const4s", {0x77, 0x10, 0x0d, 0xf0, 0xff, 0xff, 0xff, 0x22}, 8, 0, 0x7010},
        {"const8u", {0x0e, 0x08, 0x70, 0, 0, 0, 0, 0, 0}, 9, 0, 0x7008},
        {"const8s",
         {0x77, 0, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x22},
         12,
         0,
         0x700f},
        {"constu", {0x10, 0x80, 0xe0, 0x01}, 4, 0, 0x7000},
        {"consts", {0x77, 0x10, 0x11, 0x70, 0x22}, 5, 0, 0x7010},
        {"plus_uconst", {0x77, 0, 0x23, 0x30}, 4, 0, 0x7040},
        {"minus", {0x77, 0x20, 0x38, 0x1c}, 4, 0, 0x7028},
        {"and/or/xor",
         {0x77, 0, 0x3f, 0x1a, 0x10, 0x80, 0xe0, 0x01, 0x21, 0x35, 0x27},
         11,
         0,
         0x7005},
        {"shl/shr", {0x10, 0x80, 0xe0, 0x01, 0x34, 0x24, 0x34, 0x25}, 8, 0, 0x7000},
        {"shra", {0x77, 0, 0x1f, 0x34, 0x26, 0x1f}, 6, 0, 0x701},
        {"mul/div", {0x77, 0, 0x34, 0x1e, 0x34, 0x1b}, 6, 0, 0x7010},
        {"div signed", {0x77, 0, 0x1f, 0x32, 0x1b, 0x1f}, 6, 0, 0x3808},
        {"mod", {0x77, 0x05, 0x32, 0x1d, 0x77, 0, 0x22}, 7, 0, 0x7011},
        {"neg/not", {0x77, 0, 0x20, 0x1f, 0x31, 0x1c}, 6, 0, 0x7010},
        {"abs", {0x77, 0, 0x1f, 0x19}, 4, 0, 0x7010},
        {"deref",
         {0x77, 0x10, 0x06, 0x0e, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x1c, 0x77, 0x10,
          0x22},
         16,
         0,
         0x7020},
        {"deref_size",
         {0x77, 0x10, 0x94, 0x02, 0x0a, 0x88, 0x77, 0x1c, 0x77, 0, 0x22},
         11,
         0,
         0x7010},
        {"dup/drop/swap/over", {0x77, 0, 0x12, 0x13, 0x31, 0x16, 0x14, 0x22, 0x22}, 9, 0, 0x7012},
        {"pick/rot", {0x31, 0x32, 0x77, 0, 0x15, 0x02, 0x17}, 7, 0, 0x7010},
        {"rot order", {0x31, 0x32, 0x33, 0x17, 0x13}, 5, 0, 1},
        {"pick order", {0x31, 0x32, 0x33, 0x15, 0x02}, 5, 0, 1},
        {"lt/gt/le/ge/eq/ne",
         {0x31, 0x32, 0x2d, 0x31, 0x32, 0x2b, 0x22, 0x31, 0x31, 0x2c, 0x22, 0x30,
          0x31, 0x2a, 0x22, 0x31, 0x31, 0x29, 0x22, 0x31, 0x32, 0x2e, 0x22, 0x23},
         24,
         UV_EINVALID,
         0}, /* truncated plus_uconst at the end */
        {"compare sum",
         {0x31, 0x32, 0x2d, 0x31, 0x32, 0x2b, 0x22, 0x31, 0x31, 0x2c, 0x22, 0x77, 0, 0x22},
         14,
         0,
         0x7012},
        {"signed compare", {0x30, 0x1f, 0x31, 0x1f, 0x2d, 0x77, 0, 0x22}, 8, 0, 0x7010},
        {"skip", {0x77, 0, 0x2f, 0x01, 0x00, 0x13, 0x96}, 7, 0, 0x7010},
        {"bra taken", {0x77, 0, 0x31, 0x28, 0x01, 0x00, 0x13}, 7, 0, 0x7010},
        {"bra not taken", {0x77, 0, 0x38, 0x30, 0x28, 0x01, 0x00, 0x22}, 8, 0, 0x7018},
        {"plt expr", {0x77, 8, 0x80, 0, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22}, 11, 0, 0x7020},
        /* errors */
        {"empty", {0}, 0, UV_EINVALID, 0},
        {"underflow", {0x22}, 1, UV_EINVALID, 0},
        {"loop", {0x2f, 0xfd, 0xff}, 3, UV_EINVALID, 0},
        {"bra loop", {0x31, 0x12, 0x28, 0xfc, 0xff}, 5, UV_EINVALID, 0},
        {"branch out", {0x2f, 0x00, 0x10}, 3, UV_EINVALID, 0},
        {"branch before", {0x2f, 0x00, 0xf0}, 3, UV_EINVALID, 0},
        {"reg0", {0x50}, 1, UV_EINVALID, 0},
        {"regx", {0x90, 0x01}, 2, UV_EINVALID, 0},
        {"fbreg", {0x91, 0x01}, 2, UV_EINVALID, 0},
        {"call_frame_cfa", {0x9c}, 1, UV_EINVALID, 0},
        {"div by 0", {0x31, 0x30, 0x1b}, 3, UV_EINVALID, 0},
        {"mod by 0", {0x31, 0x30, 0x1d}, 3, UV_EINVALID, 0},
        {"truncated const", {0x0c, 0x01}, 2, UV_EINVALID, 0},
        {"truncated breg", {0x77}, 1, UV_EINVALID, 0},
        {"unknown register", {0x7a, 0x00}, 2, UV_ENOTFOUND, 0},
        {"bregx large", {0x92, 0xff, 0xff, 0x03, 0x00}, 5, UV_ENOTFOUND, 0},
        {"deref outside", {0x30, 0x06}, 2, UV_ENOTFOUND, 0},
        {"deref_size 9", {0x77, 0, 0x94, 9}, 4, UV_EINVALID, 0},
        {"pick too far", {0x30, 0x15, 0x05}, 3, UV_EINVALID, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint64_t v = 0;
        int rc = eval_cfa(cases[i].expr, cases[i].len, 0x40000b, &v);
        if (rc != cases[i].rc || (rc == 0 && v != cases[i].value)) {
            fprintf(stderr,
                    "expression '%s': rc %d value 0x%llx, expected rc %d value 0x%llx (%s)\n",
                    cases[i].name, rc, (unsigned long long)v, cases[i].rc,
                    (unsigned long long)cases[i].value, uv_error_last()->message);
            uv_test_failures++;
        }
        uv_test_checks++;
    }

    /* A stack deeper than the machine's bound. */
    uint8_t deep[100];
    for (size_t i = 0; i < sizeof deep; i++)
        deep[i] = 0x30;
    uint64_t v;
    CHECK_INT(eval_cfa(deep, sizeof deep, 0, &v), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "overflow");

    /* glibc's PLT CFA: +8 once rip & 15 >= 11 (the push of the PLT slot) */
    set_word(0x7018, 0xaaaa);
    set_word(0x7020, 0xbbbb);
    CHECK_INT(eval_cfa(plt_expr, sizeof plt_expr, 0x401000, &v), 0);
    CHECK_INT(v, 0x7018);
    CHECK_INT(eval_cfa(plt_expr, sizeof plt_expr, 0x40100a, &v), 0);
    CHECK_INT(v, 0x7018);
    CHECK_INT(eval_cfa(plt_expr, sizeof plt_expr, 0x40100b, &v), 0);
    CHECK_INT(v, 0x7020);
    CHECK_INT(eval_cfa(plt_expr, sizeof plt_expr, 0x40100f, &v), 0);
    CHECK_INT(v, 0x7020);
}

TEST(apply_rules)
{
    memset(stack_mem, 0, sizeof stack_mem);
    set_word(0x7018, 0x401234); /* return address at CFA-8 */
    set_word(0x7010, 0x7090);   /* saved rbp at CFA-16 */
    set_word(0x7008, 0x3333);   /* saved rbx (via expression) at CFA-24 */
    set_word(0x7028, 0x2828);
    uv_cfi_row row;
    memset(&row, 0, sizeof row);
    row.ra_reg = RIP;
    row.cfa = (uv_cfi_rule){.kind = UV_CFI_REGISTER, .reg = RSP, .offset = 16};
    row.regs[RIP] = (uv_cfi_rule){.kind = UV_CFI_OFFSET, .offset = -8};
    row.regs[RBP] = (uv_cfi_rule){.kind = UV_CFI_OFFSET, .offset = -16};
    static const uint8_t minus24[] = {0x08, 24, 0x1c};
    row.regs[RBX] = (uv_cfi_rule){.kind = UV_CFI_EXPRESSION, .expr = minus24, .expr_len = 3};
    static const uint8_t plus8[] = {0x23, 8};
    row.regs[R12] = (uv_cfi_rule){.kind = UV_CFI_VAL_EXPRESSION, .expr = plus8, .expr_len = 2};
    row.regs[R13] = (uv_cfi_rule){.kind = UV_CFI_VAL_OFFSET, .offset = 0};
    row.regs[R14] = (uv_cfi_rule){.kind = UV_CFI_REGISTER, .reg = RAX};
    row.regs[R15] = (uv_cfi_rule){.kind = UV_CFI_UNDEFINED};
    row.regs[RDX] = (uv_cfi_rule){.kind = UV_CFI_SAME, .reg = RDX};
    row.regs[RCX] = (uv_cfi_rule){.kind = UV_CFI_OFFSET, .offset = 0x1000}; /* unreadable */

    uv_regs callee = x64_regs(0x400100), caller;
    uv_regs_set(&callee, R15, 0xf15);
    uv_regs_set(&callee, R12, 0xc12);
    uv_regs_set(&callee, RDX, 0xd);
    CHECK_INT(uv_cfi_apply(&row, &callee, &stack_memory, &caller), 0);
    CHECK_INT(caller.arch, UV_ARCH_X86_64);
    CHECK_INT(caller.r[RSP], 0x7020);
    CHECK_INT(caller.r[RIP], 0x401234);
    CHECK_INT(caller.r[RBP], 0x7090);
    CHECK_INT(caller.r[RBX], 0x3333);
    CHECK_INT(caller.r[R12], 0x7028);
    CHECK_INT(caller.r[R13], 0x7020);
    CHECK_INT(caller.r[R14], 5);
    CHECK(!uv_regs_has(&caller, R15)); /* undefined, although callee-saved */
    CHECK_INT(caller.r[RDX], 0xd);
    CHECK(!uv_regs_has(&caller, RCX)); /* unreadable: unknown, not an error */
    CHECK(!uv_regs_has(&caller, RAX)); /* caller-saved without a rule */
    CHECK(!uv_regs_has(&caller, RSI));

    /* A needed word missing: the return address */
    row.regs[RIP].offset = 0x1000;
    CHECK_INT(uv_cfi_apply(&row, &callee, &stack_memory, &caller), UV_ENOTFOUND);
    row.regs[RIP].offset = -8;
    /* A needed register missing: the CFA's */
    uv_regs no_sp = callee;
    no_sp.valid &= ~((uint64_t)1 << RSP);
    CHECK_INT(uv_cfi_apply(&row, &no_sp, &stack_memory, &caller), UV_ENOTFOUND);
    CHECK_CONTAINS(uv_error_last()->message, "rsp");
    /* An unsupported op in the CFA */
    static const uint8_t reg0[] = {0x50};
    uv_cfi_row bad = row;
    bad.cfa = (uv_cfi_rule){.kind = UV_CFI_VAL_EXPRESSION, .expr = reg0, .expr_len = 1};
    CHECK_INT(uv_cfi_apply(&bad, &callee, &stack_memory, &caller), UV_EINVALID);
    bad.cfa = (uv_cfi_rule){.kind = UV_CFI_UNSPECIFIED};
    CHECK_INT(uv_cfi_apply(&bad, &callee, &stack_memory, &caller), UV_EINVALID);

    /* An undefined return address: the outermost frame, no pc */
    row.regs[RIP] = (uv_cfi_rule){.kind = UV_CFI_UNDEFINED};
    CHECK_INT(uv_cfi_apply(&row, &callee, &stack_memory, &caller), 0);
    CHECK(!uv_regs_has(&caller, RIP));
    CHECK_INT(caller.r[RSP], 0x7020);

    /* arm64: RA column x30, without a rule (a leaf at entry) it is x30's value; pc = RA */
    uv_cfi_row a;
    memset(&a, 0, sizeof a);
    a.ra_reg = 30;
    a.cfa = (uv_cfi_rule){.kind = UV_CFI_REGISTER, .reg = 31, .offset = 0};
    uv_regs ac = {.arch = UV_ARCH_ARM64}, acaller;
    uv_regs_set(&ac, 31, 0x7000);
    uv_regs_set(&ac, 30, 0x5550);
    uv_regs_set(&ac, 32, 0x6000);
    uv_regs_set(&ac, 29, 0x7040);
    uv_regs_set(&ac, 19, 0x1919);
    uv_regs_set(&ac, 9, 0x99);
    CHECK_INT(uv_cfi_apply(&a, &ac, &stack_memory, &acaller), 0);
    CHECK_INT(acaller.r[32], 0x5550);
    CHECK_INT(acaller.r[31], 0x7000);
    CHECK_INT(acaller.r[29], 0x7040);
    CHECK_INT(acaller.r[19], 0x1919);
    CHECK(!uv_regs_has(&acaller, 9));
    /* with the frame record saved: x29 at CFA-16, x30 at CFA-8 */
    set_word(0x7030, 0x7070);
    set_word(0x7038, 0x5678);
    a.cfa.offset = 0x40;
    a.regs[29] = (uv_cfi_rule){.kind = UV_CFI_OFFSET, .offset = -16};
    a.regs[30] = (uv_cfi_rule){.kind = UV_CFI_OFFSET, .offset = -8};
    CHECK_INT(uv_cfi_apply(&a, &ac, &stack_memory, &acaller), 0);
    CHECK_INT(acaller.r[32], 0x5678);
    CHECK_INT(acaller.r[30], 0x5678);
    CHECK_INT(acaller.r[29], 0x7070);
    CHECK_INT(acaller.r[31], 0x7040);
}

/* Breakpad STACK CFI rules are evaluated with uv_postfix_eval, .cfa and .ra bound. */
TEST(apply_postfix)
{
    memset(stack_mem, 0, sizeof stack_mem);
    set_word(0x7018, 0x401234);
    set_word(0x7010, 0x7090);
    static const char cfa[] = "$rsp 16 +", ra[] = ".cfa 8 - ^", rbp[] = ".cfa 16 - ^",
                      rbx[] = ".ra 1 +";
    uv_cfi_row row;
    memset(&row, 0, sizeof row);
    row.ra_reg = RIP;
    row.cfa = (uv_cfi_rule){
        .kind = UV_CFI_POSTFIX, .expr = (const uint8_t *)cfa, .expr_len = strlen(cfa)};
    row.regs[RIP] =
        (uv_cfi_rule){.kind = UV_CFI_POSTFIX, .expr = (const uint8_t *)ra, .expr_len = strlen(ra)};
    row.regs[RBP] = (uv_cfi_rule){
        .kind = UV_CFI_POSTFIX, .expr = (const uint8_t *)rbp, .expr_len = strlen(rbp)};
    row.regs[RBX] = (uv_cfi_rule){
        .kind = UV_CFI_POSTFIX, .expr = (const uint8_t *)rbx, .expr_len = strlen(rbx)};
    uv_regs callee = x64_regs(0x400100), caller;
    CHECK_INT(uv_cfi_apply(&row, &callee, &stack_memory, &caller), 0);
    CHECK_INT(caller.r[RSP], 0x7020);
    CHECK_INT(caller.r[RIP], 0x401234);
    CHECK_INT(caller.r[RBP], 0x7090);
    CHECK_INT(caller.r[RBX], 0x401235);
}

TEST(breakpad_spelling)
{
    char out[64];
    uv_cfi_rule r = {.kind = UV_CFI_REGISTER, .reg = RSP, .offset = 8};
    CHECK(uv_cfi_rule_postfix(UV_ARCH_X86_64, &r, true, out, sizeof out));
    CHECK_STR(out, "$rsp 8 +");
    r.offset = -16;
    CHECK(uv_cfi_rule_postfix(UV_ARCH_X86_64, &r, true, out, sizeof out));
    CHECK_STR(out, "$rsp -16 +");
    r = (uv_cfi_rule){.kind = UV_CFI_REGISTER, .reg = RBP, .offset = 16};
    CHECK(uv_cfi_rule_postfix(UV_ARCH_X86_64, &r, true, out, sizeof out));
    CHECK_STR(out, "$rbp 16 +");
    CHECK(uv_cfi_rule_postfix(UV_ARCH_X86_64, &r, false, out, sizeof out));
    CHECK_STR(out, "$rbp");
    r = (uv_cfi_rule){.kind = UV_CFI_OFFSET, .offset = -16};
    CHECK(uv_cfi_rule_postfix(UV_ARCH_X86_64, &r, false, out, sizeof out));
    CHECK_STR(out, ".cfa -16 + ^");
    CHECK(!uv_cfi_rule_postfix(UV_ARCH_X86_64, &r, true, out, sizeof out));
    r = (uv_cfi_rule){.kind = UV_CFI_VAL_OFFSET, .offset = 16};
    CHECK(uv_cfi_rule_postfix(UV_ARCH_X86_64, &r, false, out, sizeof out));
    CHECK_STR(out, ".cfa 16 +");
    r = (uv_cfi_rule){.kind = UV_CFI_SAME, .reg = RBX};
    CHECK(uv_cfi_rule_postfix(UV_ARCH_X86_64, &r, false, out, sizeof out));
    CHECK_STR(out, "$rbx");
    r = (uv_cfi_rule){.kind = UV_CFI_REGISTER, .reg = RIP}; /* the RA column is .ra */
    CHECK(uv_cfi_rule_postfix(UV_ARCH_X86_64, &r, false, out, sizeof out));
    CHECK_STR(out, ".ra");
    r = (uv_cfi_rule){.kind = UV_CFI_REGISTER, .reg = 4, .offset = 4};
    CHECK(uv_cfi_rule_postfix(UV_ARCH_X86, &r, true, out, sizeof out));
    CHECK_STR(out, "$esp 4 +");
    r = (uv_cfi_rule){.kind = UV_CFI_REGISTER, .reg = 31, .offset = 16};
    CHECK(uv_cfi_rule_postfix(UV_ARCH_ARM64, &r, true, out, sizeof out));
    CHECK_STR(out, "sp 16 +");
    r = (uv_cfi_rule){.kind = UV_CFI_REGISTER, .reg = 29};
    CHECK(uv_cfi_rule_postfix(UV_ARCH_ARM64, &r, false, out, sizeof out));
    CHECK_STR(out, "x29");
    static const char text[] = "$rsp 8 + 4 @";
    r = (uv_cfi_rule){
        .kind = UV_CFI_POSTFIX, .expr = (const uint8_t *)text, .expr_len = strlen(text)};
    CHECK(uv_cfi_rule_postfix(UV_ARCH_X86_64, &r, true, out, sizeof out));
    CHECK_STR(out, "$rsp 8 + 4 @");
    CHECK(!uv_cfi_rule_postfix(UV_ARCH_X86_64, &r, true, out, 5)); /* too small */
    /* what Breakpad cannot say */
    r = (uv_cfi_rule){.kind = UV_CFI_VAL_EXPRESSION, .expr = plt_expr, .expr_len = 11};
    CHECK(!uv_cfi_rule_postfix(UV_ARCH_X86_64, &r, true, out, sizeof out));
    r.kind = UV_CFI_EXPRESSION;
    CHECK(!uv_cfi_rule_postfix(UV_ARCH_X86_64, &r, false, out, sizeof out));
    r = (uv_cfi_rule){.kind = UV_CFI_UNDEFINED}; /* the outermost frame's return address */
    CHECK(uv_cfi_rule_postfix(UV_ARCH_X86_64, &r, false, out, sizeof out));
    CHECK_STR(out, ".undef");
    CHECK(!uv_cfi_rule_postfix(UV_ARCH_X86_64, &r, true, out, sizeof out));
    r = (uv_cfi_rule){.kind = UV_CFI_UNSPECIFIED};
    CHECK(!uv_cfi_rule_postfix(UV_ARCH_X86_64, &r, false, out, sizeof out));
    r = (uv_cfi_rule){.kind = UV_CFI_REGISTER, .reg = 200};
    CHECK(!uv_cfi_rule_postfix(UV_ARCH_X86_64, &r, false, out, sizeof out));
    r = (uv_cfi_rule){.kind = UV_CFI_REGISTER, .reg = RSP, .offset = 8};
    CHECK(!uv_cfi_rule_postfix(UV_ARCH_X86_64, &r, true, out, 4));
}

/* ---- hostile bytes ------------------------------------------------------------------- */

/* Opens `eh` and, when that works, looks up and walks everything. Returns open's code. */
static int poke(const bytes *eh, size_t *skipped, size_t *fdes)
{
    uv_cfi *cfi = (uv_cfi *)&stack_mem; /* must come back NULL on failure */
    int rc = open_eh(&cfi, eh);
    if (rc != 0) {
        CHECK(cfi == NULL);
        CHECK(uv_error_last()->message[0] != '\0');
        return rc;
    }
    *skipped = uv_cfi_skipped(cfi);
    *fdes = uv_cfi_fde_count(cfi);
    uv_cfi_row row;
    for (uint64_t pc = 0xff0; pc < 0x1030; pc++)
        (void)uv_cfi_find(cfi, pc, &row);
    fde_stats st = {.contiguous = true};
    CHECK_INT(uv_cfi_each_fde(cfi, stats_fn, &st), 0);
    CHECK(st.contiguous);
    uv_cfi_free(cfi);
    return 0;
}

/* A CIE plus one FDE for [0x1000, 0x1020) with `insns`. */
static void one_fde(bytes *eh, const uint8_t *insns, size_t n)
{
    eh->n = 0;
    size_t cie = eh_cie(eh, std_cie_insns, sizeof std_cie_insns);
    eh_fde(eh, cie, 0x1000, 0x20, insns, n);
    put_le(eh, 0, 4);
}

TEST(hostile)
{
    bytes eh = {.n = 0};
    size_t skipped = 0, fdes = 0;

    /* truncated and lying lengths at offset 0: the section cannot be walked */
    put8(&eh, 0x10), put8(&eh, 0);
    CHECK_INT(poke(&eh, &skipped, &fdes), UV_ECORRUPT);
    CHECK_CONTAINS(uv_error_last()->message, ".eh_frame");
    CHECK_CONTAINS(uv_error_last()->message, "offset 0x0");
    eh.n = 0;
    put_le(&eh, 0x100, 4), put_le(&eh, 0, 4);
    CHECK_INT(poke(&eh, &skipped, &fdes), UV_ECORRUPT);
    CHECK_CONTAINS(uv_error_last()->message, "past the end");
    eh.n = 0;
    put_le(&eh, 0xffffffff, 4), put_le(&eh, UINT64_MAX, 8);
    CHECK_INT(poke(&eh, &skipped, &fdes), UV_ECORRUPT);
    eh.n = 0;
    put_le(&eh, 0xfffffff5, 4);
    CHECK_INT(poke(&eh, &skipped, &fdes), UV_ECORRUPT);
    eh.n = 0;
    put_le(&eh, 2, 4), put_le(&eh, 0, 2);
    CHECK_INT(poke(&eh, &skipped, &fdes), UV_ECORRUPT);

    /* a good FDE then a lying length: the good one stays, the rest is skipped */
    one_fde(&eh, NULL, 0);
    eh.n -= 4;
    put_le(&eh, 0x7fffffff, 4);
    CHECK_INT(poke(&eh, &skipped, &fdes), 0);
    CHECK_INT(fdes, 1);
    CHECK_INT(skipped, 1);
    /* trailing zero padding shorter than a length is fine */
    one_fde(&eh, NULL, 0);
    eh.n -= 4;
    put8(&eh, 0), put8(&eh, 0);
    CHECK_INT(poke(&eh, &skipped, &fdes), 0);
    CHECK_INT(skipped, 0);

    /* CIE pointers to nowhere, to an FDE, to itself */
    eh.n = 0;
    eh_cie(&eh, std_cie_insns, sizeof std_cie_insns);
    size_t fde = eh.n;
    eh_fde(&eh, 0, 0x1000, 0x20, NULL, 0);
    patch32(&eh, fde + 4, 0x1000); /* before the section */
    size_t second = eh.n;
    eh_fde(&eh, 0, 0x1000, 0x20, NULL, 0);
    patch32(&eh, second + 4, (uint32_t)(second + 4 - fde)); /* at the FDE before */
    size_t self = eh.n;
    eh_fde(&eh, 0, 0x1000, 0x20, NULL, 0);
    patch32(&eh, self + 4, 4); /* at itself */
    size_t mid = eh.n;
    eh_fde(&eh, 0, 0x1000, 0x20, NULL, 0);
    patch32(&eh, mid + 4, (uint32_t)(mid + 4 - 2)); /* into the middle of the CIE */
    CHECK_INT(poke(&eh, &skipped, &fdes), 0);
    CHECK_INT(fdes, 0);
    CHECK_INT(skipped, 4);

    /* bad instructions: each skips its FDE (and find never sees it) */
    static const struct {
        const char *name;
        uint8_t insns[16];
        size_t len;
    } bad[] = {
        {"unknown opcode", {0x3f}, 1},
        {"user opcode", {0x1c}, 1},
        {"truncated offset", {0x85}, 1},
        {"truncated advance_loc4", {0x04, 1, 0}, 3},
        {"truncated uleb", {0x0c, 0x87}, 2},
        {"restore_state empty", {0x0b}, 1},
        {"expression past end", {0x0f, 0x10, 0x00}, 3},
        {"set_loc backwards", {0x01, 0x00, 0x00, 0xfe, 0xff}, 5},
        {"window_save on x86-64", {0x2d}, 1},
        {"huge register", {0x07, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 7},
        {"offset overflow", {0x85, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 11},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        one_fde(&eh, bad[i].insns, bad[i].len);
        int rc = poke(&eh, &skipped, &fdes);
        if (rc != 0 || fdes != 0 || skipped != 1) {
            fprintf(stderr, "bad instructions '%s': rc %d, %zu FDEs, %zu skipped\n", bad[i].name,
                    rc, fdes, skipped);
            uv_test_failures++;
        }
        uv_test_checks++;
    }
    /* remember_state 65 deep */
    uint8_t deep[70];
    memset(deep, 0x0a, sizeof deep);
    one_fde(&eh, deep, 65);
    CHECK_INT(poke(&eh, &skipped, &fdes), 0);
    CHECK_INT(skipped, 1);
    one_fde(&eh, deep, 64); /* 64 is allowed */
    CHECK_INT(poke(&eh, &skipped, &fdes), 0);
    CHECK_INT(skipped, 0);
    CHECK_INT(fdes, 1);

    /* an advance past the end, then more instructions: ignored */
    static const uint8_t past[] = {0x7f, 0x0e, 0x10, 0x3f};
    one_fde(&eh, past, sizeof past);
    CHECK_INT(poke(&eh, &skipped, &fdes), 0);
    CHECK_INT(fdes, 1);

    /* an FDE whose range wraps, a CIE of version 2, an unknown augmentation, an 'omit'
     * FDE encoding, a return-address column out of range */
    eh.n = 0;
    size_t cie = eh_cie(&eh, std_cie_insns, sizeof std_cie_insns);
    eh_fde(&eh, cie, 0x1000, 0x20, NULL, 0);
    patch32(&eh, eh.n - 5, 0xffffffff);
    patch32(&eh, eh.n - 9, 0x7fffffff);
    size_t v2 = eh_cie(&eh, std_cie_insns, sizeof std_cie_insns);
    eh.b[v2 + 8] = 2;
    eh_fde(&eh, v2, 0x1000, 0x20, NULL, 0);
    size_t aug = eh_cie(&eh, std_cie_insns, sizeof std_cie_insns);
    eh.b[aug + 9] = 'y';
    eh_fde(&eh, aug, 0x1000, 0x20, NULL, 0);
    size_t omit = eh_cie(&eh, std_cie_insns, sizeof std_cie_insns);
    eh.b[omit + 16] = 0xff;
    eh_fde(&eh, omit, 0x1000, 0x20, NULL, 0);
    size_t ra = eh_cie(&eh, std_cie_insns, sizeof std_cie_insns);
    eh.b[ra + 14] = 100;
    eh_fde(&eh, ra, 0x1000, 0x20, NULL, 0);
    size_t datarel = eh_cie(&eh, std_cie_insns, sizeof std_cie_insns);
    eh.b[datarel + 16] = 0x3b;
    eh_fde(&eh, datarel, 0x1000, 0x20, NULL, 0);
    size_t indirect = eh_cie(&eh, std_cie_insns, sizeof std_cie_insns);
    eh.b[indirect + 16] = 0x9b;
    eh_fde(&eh, indirect, 0x1000, 0x20, NULL, 0);
    CHECK_INT(poke(&eh, &skipped, &fdes), 0);
    CHECK_INT(fdes, 0);
    CHECK_INT(skipped, 7);

    /* CIE parts whose cost would repeat for every FDE are bounded: a long augmentation
     * string, many initial instructions */
    eh.n = 0;
    size_t long_aug = eh.n;
    put_le(&eh, 0, 4);
    put_le(&eh, 0, 4);
    put8(&eh, 1);
    for (int i = 0; i < 40; i++)
        put8(&eh, 'z');
    put8(&eh, 0);
    put_uleb(&eh, 1), put_sleb(&eh, -8), put8(&eh, RIP), put_uleb(&eh, 0);
    patch32(&eh, long_aug, (uint32_t)(eh.n - long_aug - 4));
    eh_fde(&eh, long_aug, 0x1000, 0x20, NULL, 0);
    uint8_t nops[1100] = {0};
    size_t many = eh_cie(&eh, nops, sizeof nops);
    eh_fde(&eh, many, 0x1000, 0x20, NULL, 0);
    size_t enough = eh_cie(&eh, nops, 1000);
    eh_fde(&eh, enough, 0x1000, 0x20, NULL, 0);
    CHECK_INT(poke(&eh, &skipped, &fdes), 0);
    CHECK_INT(skipped, 2);
    CHECK_INT(fdes, 1);

    /* every truncation of a valid section, and every single-byte corruption */
    bytes good = {.n = 0};
    size_t c2 = eh_cie(&good, std_cie_insns, sizeof std_cie_insns);
    static const uint8_t body[] = {0x41, 0x0e, 0x10, 0x86, 0x02, 0x0a, 0x0f, 0x03, 0x77,
                                   0x08, 0x06, 0x42, 0x0b, 0x10, 0x03, 0x02, 0x2f, 0x00};
    eh_fde(&good, c2, 0x1000, 0x20, body, sizeof body);
    put_le(&good, 0, 4);
    for (size_t len = 0; len < good.n; len++) {
        bytes t = good;
        t.n = len;
        uint8_t *exact = malloc(len ? len : 1);
        memcpy(exact, t.b, len);
        uv_cfi_section s = {exact, len, EH_VADDR};
        uv_cfi *cfi = NULL;
        if (uv_cfi_open(&cfi, UV_ARCH_X86_64, &s, NULL) == 0) {
            uv_cfi_row row;
            (void)uv_cfi_find(cfi, 0x1008, &row);
            uv_cfi_free(cfi);
        }
        free(exact);
    }
    for (size_t i = 0; i < good.n; i++)
        for (unsigned v = 0; v < 256; v += 17) {
            bytes t = good;
            t.b[i] = (uint8_t)v;
            (void)poke(&t, &skipped, &fdes);
        }
}

/* ---- real CFI: this binary and libc --------------------------------------------------- */

typedef struct {
    void *p;
    size_t len;
} mapping;

static mapping map_path(const char *path)
{
    mapping m = {NULL, 0};
    int fd = open(path, O_RDONLY);
    if (fd < 0) return m;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            m.p = p;
            m.len = (size_t)st.st_size;
        }
    }
    close(fd);
    return m;
}

/* Opens the .eh_frame (and .debug_frame when present) of an ELF image. */
static uv_cfi *open_elf_cfi(uv_elf *elf)
{
    uv_cfi_section eh = {NULL, 0, 0}, dbg = {NULL, 0, 0};
    uv_elf_section_info info;
    for (size_t i = 0; uv_elf_section_at(elf, i, &info) == 0; i++) {
        if (uv_str_eq_c(info.name, ".eh_frame")) eh.vaddr = info.addr;
        if (uv_str_eq_c(info.name, ".debug_frame")) dbg.vaddr = info.addr;
    }
    if (uv_elf_section(elf, ".eh_frame", &eh.data, &eh.size) != 0) return NULL;
    if (uv_elf_section(elf, ".debug_frame", &dbg.data, &dbg.size) != 0) dbg.data = NULL;
    uv_cfi *cfi = NULL;
    if (uv_cfi_open(&cfi, UV_ARCH_X86_64, &eh, &dbg) != 0) {
        fprintf(stderr, "uv_cfi_open: %s\n", uv_error_last()->message);
        return NULL;
    }
    return cfi;
}

typedef struct {
    uint64_t *starts;
    uv_cfi_row *first; /* each FDE's first row */
    size_t count, cap;
    size_t rows, expr_cfa_rows, undefined_ra;
    uint64_t expr_fde_start;
    bool contiguous;
} collected;

static int collect_fn(void *ctx, uint64_t start, uint64_t size, const uv_cfi_row *rows, size_t n)
{
    collected *c = ctx;
    if (c->count == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->starts = realloc(c->starts, c->cap * sizeof *c->starts);
        c->first = realloc(c->first, c->cap * sizeof *c->first);
        if (!c->starts || !c->first) return 1;
    }
    c->starts[c->count] = start;
    c->first[c->count++] = rows[0];
    c->rows += n;
    if (n == 0 || rows[0].start != start || rows[n - 1].end != start + size) c->contiguous = false;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && rows[i].start != rows[i - 1].end) c->contiguous = false;
        if (rows[i].cfa.kind == UV_CFI_VAL_EXPRESSION) {
            if (!c->expr_cfa_rows) c->expr_fde_start = start;
            c->expr_cfa_rows++;
        }
    }
    return 0;
}

static bool has_fde_at(const collected *c, uint64_t addr, const uv_cfi_row **row)
{
    size_t lo = 0, hi = c->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->starts[mid] < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < c->count && c->starts[lo] == addr) {
        *row = &c->first[lo];
        return true;
    }
    return false;
}

/* Checks every function symbol with an FDE at its address: at entry the CFA is rsp+8 and the
 * return address is at CFA-8 (x86-64 psABI). Returns how many symbols had one. */
static size_t check_entries(uv_elf *elf, const collected *c, size_t *functions)
{
    const uv_elf_symbol *syms;
    size_t count, with_fde = 0, bad = 0;
    *functions = 0;
    if (uv_elf_symbols(elf, &syms, &count) != 0) return 0;
    for (size_t i = 0; i < count; i++) {
        const uv_cfi_row *row;
        /* .cold parts continue their function's frame */
        if (memmem(syms[i].name.ptr, syms[i].name.len, ".cold", 5)) continue;
        (*functions)++;
        if (!has_fde_at(c, syms[i].addr, &row)) continue;
        with_fde++;
        bool ok =
            is_reg(&row->cfa, RSP, 8) && (is_offset(&row->regs[RIP], UV_CFI_OFFSET, -8) ||
                                          row->regs[RIP].kind == UV_CFI_UNDEFINED); /* _start */
        if (!ok && bad++ < 5)
            fprintf(stderr, "%.*s at 0x%llx: CFA kind %d reg %u offset %lld, RA kind %d\n",
                    (int)syms[i].name.len, syms[i].name.ptr, (unsigned long long)syms[i].addr,
                    row->cfa.kind, row->cfa.reg, (long long)row->cfa.offset, row->regs[RIP].kind);
        uv_test_checks++;
        if (!ok) uv_test_failures++;
    }
    return with_fde;
}

/* A chain of calls the optimiser must keep: no inlining, cloning or tail calls. */
#if defined(__clang__)
#define KEEP __attribute__((noinline, optnone))
#else
#define KEEP __attribute__((noipa))
#endif

typedef struct {
    uint64_t pc, sp, bp;
    uint64_t ret[3]; /* __builtin_return_address(0) of walk_c, walk_b, walk_a */
    uint64_t stack_end;
    uint8_t *copy;
    size_t copy_len;
} capture;

static capture cap;

/* Copies the live stack above sp byte by byte (ASan must not check the redzones it holds). */
__attribute__((no_sanitize_address)) static void copy_stack(uint64_t sp)
{
    size_t len = cap.stack_end > sp ? (size_t)(cap.stack_end - sp) : 0;
    if (len > 64 * 1024) len = 64 * 1024;
    const volatile uint8_t *src = (const volatile uint8_t *)(uintptr_t)sp;
    for (size_t i = 0; i < len; i++)
        cap.copy[i] = src[i];
    cap.copy_len = len;
}

KEEP int walk_c(int x);
KEEP int walk_b(int x);
KEEP int walk_a(int x);

KEEP int walk_c(int x)
{
    uint64_t pc, sp, bp;
    __asm__ volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2"
                     : "=r"(pc), "=r"(sp), "=r"(bp));
    cap.pc = pc;
    cap.sp = sp;
    cap.bp = bp;
    cap.ret[0] = (uint64_t)(uintptr_t)__builtin_return_address(0);
    copy_stack(sp);
    return x + 1;
}

KEEP int walk_b(int x)
{
    int r = walk_c(x * 3);
    cap.ret[1] = (uint64_t)(uintptr_t)__builtin_return_address(0);
    return r * 2 + 1;
}

KEEP int walk_a(int x)
{
    int r = walk_b(x + 5);
    cap.ret[2] = (uint64_t)(uintptr_t)__builtin_return_address(0);
    return r - 7;
}

static bool symbol_named(uv_elf *elf, const char *name, uv_elf_symbol *out)
{
    const uv_elf_symbol *syms;
    size_t count;
    if (uv_elf_symbols(elf, &syms, &count) != 0) return false;
    for (size_t i = 0; i < count; i++)
        if (uv_str_eq_c(syms[i].name, name)) {
            *out = syms[i];
            return true;
        }
    return false;
}

/* The end of the main thread's [stack] mapping. */
static uint64_t stack_end_of(uint64_t sp)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return 0;
    char line[512];
    uint64_t end = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long lo, hi;
        if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 && sp >= lo && sp < hi) {
            end = hi;
            break;
        }
    }
    fclose(f);
    return end;
}

static void walk_live_stack(uv_elf *elf, const uv_cfi *cfi)
{
    uv_elf_symbol sym_c, sym_b, sym_a;
    if (!symbol_named(elf, "walk_c", &sym_c) || !symbol_named(elf, "walk_b", &sym_b) ||
        !symbol_named(elf, "walk_a", &sym_a)) {
        CHECK(!"walk_* symbols not found");
        return;
    }
    uint64_t bias = (uint64_t)(uintptr_t)&walk_c - sym_c.addr;
    int here;
    cap.stack_end = stack_end_of((uint64_t)(uintptr_t)&here);
    CHECK(cap.stack_end != 0);
    cap.copy = malloc(64 * 1024);
    if (!cap.copy || !cap.stack_end) return;
    volatile int arg = 2;
    CHECK_INT(walk_a(arg), ((2 + 5) * 3 + 1) * 2 + 1 - 7);

    /* the recovered return addresses sit in the callers */
    CHECK(cap.ret[0] - bias > sym_b.addr && cap.ret[0] - bias <= sym_b.addr + sym_b.size);
    CHECK(cap.ret[1] - bias > sym_a.addr && cap.ret[1] - bias <= sym_a.addr + sym_a.size);
    CHECK(cap.pc - bias > sym_c.addr && cap.pc - bias < sym_c.addr + sym_c.size);

    uv_mem_region region = {cap.sp, cap.copy_len, cap.copy};
    uv_memory mem = {&region, 1};
    uv_regs regs = {.arch = UV_ARCH_X86_64};
    uv_regs_set(&regs, RIP, cap.pc);
    uv_regs_set(&regs, RSP, cap.sp);
    uv_regs_set(&regs, RBP, cap.bp);
    for (int frame = 0; frame < 3; frame++) {
        uint64_t pc = regs.r[RIP];
        uint64_t lookup = (frame == 0 ? pc : pc - 1) - bias;
        uv_cfi_row row;
        int rc = uv_cfi_find(cfi, lookup, &row);
        CHECK_INT(rc, 0);
        if (rc != 0) break;
        uv_regs caller;
        rc = uv_cfi_apply(&row, &regs, &mem, &caller);
        if (rc) fprintf(stderr, "frame %d: %s\n", frame, uv_error_last()->message);
        CHECK_INT(rc, 0);
        if (rc != 0) break;
        CHECK(uv_regs_has(&caller, RIP));
        CHECK_INT(caller.r[RIP], cap.ret[frame]);
        CHECK(caller.r[RSP] > regs.r[RSP]);
        regs = caller;
    }
    free(cap.copy);
    cap.copy = NULL;
}

TEST(self)
{
    mapping m = map_path("/proc/self/exe");
    CHECK(m.p != NULL);
    if (!m.p) return;
    uv_elf *elf = NULL;
    CHECK_INT(uv_elf_open(&elf, m.p, m.len), 0);
    uv_cfi *cfi = elf ? open_elf_cfi(elf) : NULL;
    CHECK(cfi != NULL);
    if (cfi) {
        CHECK_INT(uv_cfi_skipped(cfi), 0);
        collected c = {.contiguous = true};
        CHECK_INT(uv_cfi_each_fde(cfi, collect_fn, &c), 0);
        CHECK(c.contiguous);
        CHECK(c.count > 100);
        size_t functions;
        size_t with_fde = check_entries(elf, &c, &functions);
        printf("self: %zu FDEs, %zu rows, %zu of %zu functions have an FDE at their start\n",
               c.count, c.rows, with_fde, functions);
        CHECK(with_fde * 10 >= functions * 9);
        CHECK(uv_cfi_fde_count(cfi) * 10 >= functions * 9);
        free(c.starts);
        free(c.first);
        walk_live_stack(elf, cfi);
        uv_cfi_free(cfi);
    }
    uv_elf_free(elf);
    munmap(m.p, m.len);
}

TEST(libc)
{
    const char *path = "/lib/x86_64-linux-gnu/libc.so.6";
    mapping m = map_path(path);
    if (!m.p) {
        printf("skip: no %s\n", path);
        return;
    }
    uv_elf *elf = NULL;
    CHECK_INT(uv_elf_open(&elf, m.p, m.len), 0);
    uv_cfi *cfi = elf ? open_elf_cfi(elf) : NULL;
    CHECK(cfi != NULL);
    if (cfi) {
        CHECK_INT(uv_cfi_skipped(cfi), 0);
        CHECK(uv_cfi_fde_count(cfi) > 1000);
        collected c = {.contiguous = true};
        CHECK_INT(uv_cfi_each_fde(cfi, collect_fn, &c), 0);
        CHECK(c.contiguous);
        size_t functions;
        size_t with_fde = check_entries(elf, &c, &functions);
        printf("libc: %zu FDEs, %zu rows, %zu CFA expression rows, %zu of %zu functions\n", c.count,
               c.rows, c.expr_cfa_rows, with_fde, functions);
        CHECK(with_fde * 10 >= functions * 9);

        uv_elf_symbol abort_sym;
        CHECK(symbol_named(elf, "abort", &abort_sym));
        uv_cfi_row row;
        CHECK_INT(uv_cfi_find(cfi, abort_sym.addr, &row), 0);
        CHECK_INT(row.start, abort_sym.addr);
        CHECK(is_reg(&row.cfa, RSP, 8));
        CHECK(is_offset(&row.regs[RIP], UV_CFI_OFFSET, -8));
        CHECK_INT(uv_cfi_find(cfi, abort_sym.addr + 1, &row), 0);

        /* the PLT's CFA expression evaluates */
        if (c.expr_cfa_rows) {
            CHECK_INT(uv_cfi_find(cfi, c.expr_fde_start + 16, &row), 0);
            if (row.cfa.kind == UV_CFI_VAL_EXPRESSION) {
                memset(stack_mem, 0, sizeof stack_mem);
                uv_regs callee = x64_regs(c.expr_fde_start + 16), caller;
                CHECK_INT(uv_cfi_apply(&row, &callee, &stack_memory, &caller), 0);
                CHECK(caller.r[RSP] == 0x7018 || caller.r[RSP] == 0x7020);
            }
        }
        free(c.starts);
        free(c.first);
        uv_cfi_free(cfi);
    }
    uv_elf_free(elf);
    munmap(m.p, m.len);
}

/* The return address on x86-64 lives on the stack, never in rip: a row without a rule for it
 * says nothing (UV_ENOTFOUND, so the walker tries its other unwinders) rather than "the
 * callee's pc again" (which would repeat the frame forever); undefined ends the walk. */
TEST(return_address_rules)
{
    uv_cfi_row row;
    memset(&row, 0, sizeof row);
    row.cfa = (uv_cfi_rule){.kind = UV_CFI_REGISTER, .reg = RSP, .offset = 8};
    row.ra_reg = RIP;
    uv_regs callee = x64_regs(0x401000), caller;
    CHECK_INT(uv_cfi_apply(&row, &callee, &stack_memory, &caller), UV_ENOTFOUND);
    row.regs[RIP] = (uv_cfi_rule){.kind = UV_CFI_UNDEFINED};
    CHECK_INT(uv_cfi_apply(&row, &callee, &stack_memory, &caller), 0);
    CHECK(!uv_regs_has(&caller, RIP)); /* the outermost frame */
}

int main(void)
{
    RUN(instructions);
    RUN(debug_frame_and_overlaps);
    RUN(augmentations);
    RUN(expressions);
    RUN(apply_rules);
    RUN(apply_postfix);
    RUN(return_address_rules);
    RUN(breakpad_spelling);
    RUN(hostile);
    RUN(self);
    RUN(libc);
    TEST_MAIN_END();
}
