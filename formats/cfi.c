/* DWARF call frame information: .eh_frame and .debug_frame (see cfi.h).
 *
 * Format (DWARF 5 §6.4, LSB "Exception Frames"): a section is a sequence of entries, each a
 * length (4 bytes; 0xffffffff then 8 bytes for 64-bit DWARF; in .eh_frame a zero length ends
 * the section) followed by an id: a CIE has id 0 in .eh_frame and all ones in .debug_frame; an
 * FDE's id points at its CIE (.eh_frame: distance back from the id field; .debug_frame: offset
 * from the section start; 4 bytes except in 64-bit .debug_frame).
 *   CIE: version (1, 3 or 4), augmentation string, [v4: address size, segment size],
 *        ["eh": a pointer], code alignment (uleb), data alignment (sleb), return-address column
 *        (byte in v1, uleb after), ['z': uleb length + augmentation data for R (FDE pointer
 *        encoding), P (personality encoding + pointer), L (LSDA encoding), S (signal frame),
 *        B/G (no data); unknown letters end the parse, the length skips the rest], initial
 *        instructions.
 *   FDE: [segment selector], pc_begin (CIE's encoding), pc_range (same format, no
 *        application), ['z': uleb length + data, skipped], instructions.
 * Pointer encodings DW_EH_PE_*: format in the low nibble (absptr, uleb128, udata2/4/8, sleb128,
 * sdata2/4/8), application in bits 4-6 (pcrel: plus the field's own address; aligned), 0x80
 * indirect, 0xff omitted. Text-, data- and function-relative pc_begin values and indirect
 * ones cannot be resolved from the section alone: such FDEs are skipped.
 *
 * Index: uv_cfi_open walks both sections once, parses every FDE header and runs its CIE's and
 * its own instructions to the end (so a malformed FDE is skipped at open, counted, and a
 * lookup never meets it), and keeps one array of (start, end, section, offset) sorted by
 * start, .debug_frame first on equal starts, with the running maximum of ends so a lookup
 * walks back over overlapping entries only as far as one could still cover the pc.
 * uv_cfi_find re-parses the chosen FDE and runs its instructions up to the pc.
 *
 * Rules are views into the section bytes (DWARF expressions stay byte spans); uv_cfi_apply
 * evaluates them with a small bounded stack machine. Everything is little-endian (the
 * architectures of uv_arch are). */
#include "formats/cfi.h"

#include "formats/breakpad.h"
#include "formats/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SEC_EH = 0, SEC_DEBUG = 1 };

/* DW_CFA_remember_state depth: compilers nest one or two levels (epilogues inside shrink-wrapped
 * regions); 64 is far above that and bounds the 70 KB the saved rule sets may take. */
#define STATE_STACK_MAX 64
/* Rows of one FDE handed to uv_cfi_each_fde (about 1.1 KB each): the largest functions of big
 * binaries have a few thousand; FDEs with more are skipped at open, which bounds the buffer
 * at about 18 MB. */
#define ROWS_MAX 16384
#define ROWS_TEXT "16384"
/* Overlapping FDEs a lookup walks back over before giving up: real overlaps are a handful. */
#define LOOKBACK_MAX 64
/* DWARF expression evaluation: stack depth and executed operations (bra/skip can loop). */
#define EXPR_STACK_MAX 64
#define EXPR_STEPS_MAX 10000
/* A CIE is parsed and its initial instructions run once per FDE that uses it, so its
 * variable-length parts are bounded to keep hostile sections linear: LEB128 numbers (10 bytes
 * hold 64 bits), the augmentation string (real ones are "zPLRSB" or shorter) and the initial
 * instructions (a handful of bytes in practice). */
#define LEB_BYTES_MAX 10
#define AUGMENTATION_MAX 32
#define CIE_INSNS_MAX 1024

/* DW_EH_PE_* */
#define PE_OMIT 0xff
#define PE_INDIRECT 0x80
#define PE_APP_MASK 0x70
#define PE_PCREL 0x10
#define PE_ALIGNED 0x50

typedef struct {
    const uint8_t *data;
    size_t size;
    uint64_t vaddr;
    int kind; /* SEC_EH or SEC_DEBUG */
} section;

typedef struct {
    uint64_t start, end; /* end > start */
    uint64_t max_end;    /* the largest end of this and every earlier entry */
    size_t offset;       /* of the FDE's length field in its section */
    int section;
} fde_entry;

struct uv_cfi {
    uv_arch arch;
    section sections[2];
    fde_entry *fdes;
    size_t fde_count, fde_cap;
    size_t skipped;
};

static const char *section_name(const section *s)
{
    return s->kind == SEC_EH ? ".eh_frame" : ".debug_frame";
}

static uint64_t addr_mask(unsigned size)
{
    return size == 4 ? UINT32_MAX : UINT64_MAX;
}

/* ---- bounds-checked reading ---------------------------------------------------------- */

typedef struct {
    const uint8_t *p;
    size_t end; /* reads stop here */
    size_t pos;
} cursor;

static bool take_uint(cursor *c, unsigned size, uint64_t *out)
{
    if (c->pos > c->end || c->end - c->pos < size) return false;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)c->p[c->pos + i] << (8 * i);
    c->pos += size;
    *out = v;
    return true;
}

static bool take_u8(cursor *c, uint8_t *out)
{
    uint64_t v;
    if (!take_uint(c, 1, &v)) return false;
    *out = (uint8_t)v;
    return true;
}

static bool take_skip(cursor *c, uint64_t n)
{
    if (c->pos > c->end || n > c->end - c->pos) return false;
    c->pos += (size_t)n;
    return true;
}

/* LEB128: at most LEB_BYTES_MAX bytes; bits past the 64th are dropped. */
static bool take_uleb(cursor *c, uint64_t *out)
{
    uint64_t v = 0;
    unsigned shift = 0;
    while (c->pos < c->end && shift < 7 * LEB_BYTES_MAX) {
        uint8_t b = c->p[c->pos++];
        if (shift < 64) v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

static bool take_sleb(cursor *c, int64_t *out)
{
    uint64_t v = 0;
    unsigned shift = 0;
    while (c->pos < c->end && shift < 7 * LEB_BYTES_MAX) {
        uint8_t b = c->p[c->pos++];
        if (shift < 64) v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) {
            if (shift < 64 && (b & 0x40)) v |= UINT64_MAX << shift;
            *out = (int64_t)v;
            return true;
        }
    }
    return false;
}

static int64_t sign_extend(uint64_t v, unsigned bytes)
{
    if (bytes >= 8) return (int64_t)v;
    unsigned bits = 8 * bytes;
    uint64_t sign = (uint64_t)1 << (bits - 1);
    v &= ((uint64_t)1 << bits) - 1;
    return (int64_t)((v ^ sign) - sign);
}

/* Reads a pointer in encoding `enc`. With `apply` the application (pcrel, aligned) is
 * resolved and unresolvable ones refused; without, only the stored value is read (pc_range,
 * and values we skip). */
static bool take_encoded(const section *s, cursor *c, uint8_t enc, unsigned addr_size, bool apply,
                         uint64_t *out, const char **why)
{
    uint8_t app = enc & PE_APP_MASK;
    if (app == PE_ALIGNED) { /* aligned to the pointer size in the address space */
        uint64_t misalign = (s->vaddr + c->pos) % addr_size;
        if (misalign && !take_skip(c, addr_size - misalign)) {
            *why = "truncated pointer";
            return false;
        }
    }
    uint64_t field = s->vaddr + c->pos;
    uint64_t v = 0;
    bool ok;
    switch (enc & 0x0f) {
    case 0x00: /* absptr */
        ok = take_uint(c, addr_size, &v);
        break;
    case 0x01:
        ok = take_uleb(c, &v);
        break;
    case 0x02:
        ok = take_uint(c, 2, &v);
        break;
    case 0x03:
        ok = take_uint(c, 4, &v);
        break;
    case 0x04:
        ok = take_uint(c, 8, &v);
        break;
    case 0x08: /* signed absptr */
        ok = take_uint(c, addr_size, &v);
        v = (uint64_t)sign_extend(v, addr_size);
        break;
    case 0x09: {
        int64_t sv;
        ok = take_sleb(c, &sv);
        v = (uint64_t)sv;
        break;
    }
    case 0x0a:
        ok = take_uint(c, 2, &v);
        v = (uint64_t)sign_extend(v, 2);
        break;
    case 0x0b:
        ok = take_uint(c, 4, &v);
        v = (uint64_t)sign_extend(v, 4);
        break;
    case 0x0c:
        ok = take_uint(c, 8, &v);
        break;
    default:
        *why = "unknown pointer encoding";
        return false;
    }
    if (!ok) {
        *why = "truncated pointer";
        return false;
    }
    if (apply) {
        if (enc & PE_INDIRECT) {
            *why = "indirect pointer encoding";
            return false;
        }
        if (app == PE_PCREL)
            v += field;
        else if (app != 0 && app != PE_ALIGNED) {
            *why = "text-, data- or function-relative pointer encoding";
            return false;
        }
    }
    *out = v & addr_mask(addr_size);
    return true;
}

/* ---- entries ------------------------------------------------------------------------- */

typedef struct {
    size_t offset; /* of the length field */
    size_t id_pos; /* of the CIE id / CIE pointer */
    size_t body;   /* after the id */
    size_t end;    /* one past the entry */
    uint64_t id;
    bool is_cie;
} entry_header;

enum { ENTRY_BROKEN = -1, ENTRY_ZERO = 0, ENTRY_OK = 1 };

static int read_entry(const section *s, size_t offset, entry_header *h, const char **why)
{
    cursor c = {s->data, s->size, offset};
    uint64_t len;
    bool dwarf64 = false;
    h->offset = offset;
    if (!take_uint(&c, 4, &len)) {
        *why = "truncated length";
        return ENTRY_BROKEN;
    }
    if (len == 0xffffffff) {
        if (!take_uint(&c, 8, &len)) {
            *why = "truncated 64-bit length";
            return ENTRY_BROKEN;
        }
        dwarf64 = true;
    } else if (len >= 0xfffffff0) {
        *why = "reserved length value";
        return ENTRY_BROKEN;
    }
    if (len == 0) {
        h->end = c.pos;
        return ENTRY_ZERO;
    }
    if (len > s->size - c.pos) {
        *why = "length runs past the end of the section";
        return ENTRY_BROKEN;
    }
    h->end = c.pos + (size_t)len;
    c.end = h->end;
    unsigned id_size = s->kind == SEC_DEBUG && dwarf64 ? 8 : 4;
    h->id_pos = c.pos;
    if (!take_uint(&c, id_size, &h->id)) {
        *why = "entry too short for its id";
        return ENTRY_BROKEN;
    }
    h->body = c.pos;
    if (s->kind == SEC_EH)
        h->is_cie = h->id == 0;
    else
        h->is_cie = h->id == (dwarf64 ? UINT64_MAX : 0xffffffff);
    return ENTRY_OK;
}

typedef struct {
    size_t offset;
    uint8_t version;
    uint8_t addr_size, segment_size;
    uint8_t fde_enc;
    bool has_aug_data, signal_frame;
    uint64_t code_align;
    int64_t data_align;
    uint32_t ra_reg;
    size_t insn_start, insn_end;
} cie_info;

static bool parse_cie(const section *s, uv_arch arch, size_t offset, cie_info *cie,
                      const char **why)
{
    entry_header h;
    int r = read_entry(s, offset, &h, why);
    if (r == ENTRY_ZERO) *why = "its CIE has length zero";
    if (r != ENTRY_OK) return false;
    if (!h.is_cie) {
        *why = "its CIE pointer points at an FDE";
        return false;
    }
    memset(cie, 0, sizeof *cie);
    cie->offset = offset;
    cursor c = {s->data, h.end, h.body};
    if (!take_u8(&c, &cie->version)) goto truncated;
    if (cie->version != 1 && cie->version != 3 && cie->version != 4) {
        *why = "unsupported CIE version";
        return false;
    }
    const char *aug = (const char *)s->data + c.pos;
    size_t room = c.end - c.pos;
    const uint8_t *nul =
        memchr(s->data + c.pos, 0, room < AUGMENTATION_MAX ? room : AUGMENTATION_MAX);
    if (!nul) {
        *why = room < AUGMENTATION_MAX ? "truncated CIE" : "augmentation string too long";
        return false;
    }
    size_t aug_len = (size_t)(nul - (s->data + c.pos));
    c.pos += aug_len + 1;
    cie->addr_size = (uint8_t)uv_arch_pointer_size(arch);
    if (cie->version == 4) {
        if (!take_u8(&c, &cie->addr_size) || !take_u8(&c, &cie->segment_size)) goto truncated;
        if (cie->addr_size != 4 && cie->addr_size != 8) {
            *why = "unsupported address size";
            return false;
        }
        if (cie->segment_size > 8) {
            *why = "unsupported segment selector size";
            return false;
        }
    }
    bool eh = aug_len == 2 && memcmp(aug, "eh", 2) == 0;
    if (eh && !take_skip(&c, cie->addr_size)) goto truncated;
    uint64_t ra;
    if (!take_uleb(&c, &cie->code_align) || !take_sleb(&c, &cie->data_align)) goto truncated;
    if (cie->version == 1) {
        uint8_t b;
        if (!take_u8(&c, &b)) goto truncated;
        ra = b;
    } else if (!take_uleb(&c, &ra)) {
        goto truncated;
    }
    if (ra >= UV_REGS_MAX) {
        *why = "return address column out of range";
        return false;
    }
    cie->ra_reg = (uint32_t)ra;
    cie->fde_enc = 0; /* absptr */
    if (aug_len > 0 && aug[0] == 'z') {
        uint64_t data_len;
        if (!take_uleb(&c, &data_len)) goto truncated;
        if (data_len > c.end - c.pos) goto truncated;
        cursor d = {s->data, c.pos + (size_t)data_len, c.pos};
        cie->has_aug_data = true;
        for (size_t i = 1; i < aug_len; i++) {
            uint8_t enc;
            uint64_t ignored;
            if (aug[i] == 'R') {
                if (!take_u8(&d, &cie->fde_enc)) goto truncated;
            } else if (aug[i] == 'L') {
                if (!take_u8(&d, &enc)) goto truncated;
            } else if (aug[i] == 'P') {
                if (!take_u8(&d, &enc)) goto truncated;
                if (enc != PE_OMIT &&
                    !take_encoded(s, &d, enc, cie->addr_size, false, &ignored, why))
                    return false;
            } else if (aug[i] == 'S') {
                cie->signal_frame = true;
            } else if (aug[i] != 'B' && aug[i] != 'G') {
                break; /* unknown: the length lets us skip its data */
            }
        }
        c.pos = d.end;
    } else if (aug_len > 0 && !eh) {
        *why = "unknown CIE augmentation";
        return false;
    }
    if (cie->fde_enc == PE_OMIT) {
        *why = "FDE pointer encoding is 'omit'";
        return false;
    }
    if (h.end - c.pos > CIE_INSNS_MAX) {
        *why = "too many initial instructions";
        return false;
    }
    cie->insn_start = c.pos;
    cie->insn_end = h.end;
    return true;
truncated:
    *why = "truncated CIE";
    return false;
}

typedef struct {
    size_t offset;
    uint64_t start, end;
    size_t insn_start, insn_end;
    cie_info cie;
} fde_info;

/* Parses the FDE at `offset` (whose header is `h`); `cache` holds the last CIE parsed. */
static bool parse_fde(const section *s, uv_arch arch, const entry_header *h, cie_info *cache,
                      bool *cache_valid, fde_info *fde, const char **why)
{
    size_t cie_offset;
    if (s->kind == SEC_EH) {
        if (h->id > h->id_pos) {
            *why = "CIE pointer points before the section";
            return false;
        }
        cie_offset = h->id_pos - (size_t)h->id;
    } else {
        if (h->id >= s->size) {
            *why = "CIE pointer points past the section";
            return false;
        }
        cie_offset = (size_t)h->id;
    }
    if (cie_offset == h->offset) {
        *why = "CIE pointer points at the FDE itself";
        return false;
    }
    if (!*cache_valid || cache->offset != cie_offset) {
        *cache_valid = false;
        if (!parse_cie(s, arch, cie_offset, cache, why)) return false;
        *cache_valid = true;
    }
    fde->cie = *cache;
    fde->offset = h->offset;
    cursor c = {s->data, h->end, h->body};
    uint64_t range;
    unsigned size = fde->cie.addr_size;
    if (!take_skip(&c, fde->cie.segment_size) ||
        !take_encoded(s, &c, fde->cie.fde_enc, size, true, &fde->start, why) ||
        !take_encoded(s, &c, fde->cie.fde_enc & 0x0f, size, false, &range, why))
        return false;
    if (range > addr_mask(size) - fde->start) {
        *why = "address range wraps around";
        return false;
    }
    fde->end = fde->start + range;
    if (fde->cie.has_aug_data) {
        uint64_t len;
        if (!take_uleb(&c, &len) || !take_skip(&c, len)) {
            *why = "truncated augmentation data";
            return false;
        }
    }
    fde->insn_start = c.pos;
    fde->insn_end = h->end;
    return true;
}

/* ---- the CFA program ----------------------------------------------------------------- */

typedef struct {
    uv_cfi_rule cfa;
    uv_cfi_rule regs[UV_REGS_MAX];
} rule_set;

/* Receives each row [start, end) as the program moves past it: 0 to go on, 1 to stop, or a
 * negative error. */
typedef int (*row_fn)(void *ctx, uint64_t start, uint64_t end, const rule_set *rules);

typedef struct {
    const section *s;
    const cie_info *cie;
    uv_arch arch;
    uint64_t loc, end;
    rule_set cur, init;
    rule_set *stack;
    size_t depth;
    row_fn emit;
    void *ctx;
    const char *why;
    size_t why_pos;
} machine;

enum { RUN_DONE = 0, RUN_STOPPED = 1, RUN_BAD = -1 };

static void set_rule(machine *m, uint64_t reg, uv_cfi_rule rule)
{
    if (reg >= UV_REGS_MAX) return; /* a register we do not track (vector registers …) */
    if (rule.kind == UV_CFI_SAME) rule.reg = (uint32_t)reg;
    m->cur.regs[reg] = rule;
}

static bool factored(machine *m, int64_t value, int64_t *out)
{
    if (__builtin_mul_overflow(value, m->cie->data_align, out)) {
        m->why = "factored offset overflows";
        return false;
    }
    return true;
}

static bool uleb_to_signed(machine *m, uint64_t v, int64_t *out)
{
    if (v > INT64_MAX) {
        m->why = "offset too large";
        return false;
    }
    *out = (int64_t)v;
    return true;
}

/* Moves the location to `to` (> loc), handing out the row just passed. */
static int move_to(machine *m, uint64_t to)
{
    if (to > m->end) to = m->end;
    if (to <= m->loc) return RUN_DONE;
    uint64_t from = m->loc;
    m->loc = to;
    int rc = m->emit(m->ctx, from, to, &m->cur);
    if (rc < 0) {
        m->why = "more rows than " ROWS_TEXT " (or out of memory)";
        return RUN_BAD;
    }
    return rc ? RUN_STOPPED : RUN_DONE;
}

static int advance(machine *m, uint64_t delta, bool in_cie)
{
    uint64_t by, to;
    if (in_cie) {
        m->why = "location advance in a CIE's initial instructions";
        return RUN_BAD;
    }
    if (__builtin_mul_overflow(delta, m->cie->code_align, &by) ||
        __builtin_add_overflow(m->loc, by, &to))
        to = UINT64_MAX;
    return move_to(m, to);
}

static bool take_block(machine *m, cursor *c, uv_cfi_rule *rule)
{
    uint64_t len;
    if (!take_uleb(c, &len) || len > c->end - c->pos) {
        m->why = "truncated expression";
        return false;
    }
    rule->expr = c->p + c->pos;
    rule->expr_len = (size_t)len;
    c->pos += (size_t)len;
    return true;
}

static bool take_reg(machine *m, cursor *c, uint64_t *reg)
{
    if (!take_uleb(c, reg)) return false;
    if (*reg > UINT32_MAX) {
        m->why = "register number out of range";
        return false;
    }
    return true;
}

/* Runs instructions [start, end) of the section. */
static int run(machine *m, size_t start, size_t end, bool in_cie)
{
    cursor c = {m->s->data, end, start};
    while (c.pos < c.end) {
        if (m->loc >= m->end && !in_cie) return RUN_DONE; /* the rest cannot matter */
        size_t at = c.pos;
        uint8_t op = c.p[c.pos++];
        uint64_t reg, reg2, u;
        int64_t off, s;
        uv_cfi_rule rule = {0};
        int rc = RUN_DONE;
        m->why = NULL;
        switch (op & 0xc0) {
        case 0x40: /* DW_CFA_advance_loc */
            rc = advance(m, op & 0x3f, in_cie);
            goto next;
        case 0x80: /* DW_CFA_offset */
            if (!take_uleb(&c, &u)) goto truncated;
            if (!uleb_to_signed(m, u, &off) || !factored(m, off, &rule.offset)) goto bad;
            rule.kind = UV_CFI_OFFSET;
            set_rule(m, op & 0x3f, rule);
            goto next;
        case 0xc0: /* DW_CFA_restore */
            reg = op & 0x3f;
            if (reg < UV_REGS_MAX) m->cur.regs[reg] = in_cie ? (uv_cfi_rule){0} : m->init.regs[reg];
            goto next;
        }
        switch (op) {
        case 0x00: /* DW_CFA_nop */
            break;
        case 0x01: { /* DW_CFA_set_loc */
            if (in_cie) {
                m->why = "DW_CFA_set_loc in a CIE's initial instructions";
                goto bad;
            }
            const char *why;
            uint64_t to;
            if (!take_encoded(m->s, &c, m->cie->fde_enc, m->cie->addr_size, true, &to, &why)) {
                m->why = why;
                goto bad;
            }
            if (to < m->loc) {
                m->why = "DW_CFA_set_loc moves backwards";
                goto bad;
            }
            rc = move_to(m, to);
            break;
        }
        case 0x02: /* DW_CFA_advance_loc1 */
        case 0x03: /* DW_CFA_advance_loc2 */
        case 0x04: /* DW_CFA_advance_loc4 */
        case 0x1d: /* DW_CFA_MIPS_advance_loc8 */
            if (!take_uint(&c, op == 0x1d ? 8 : 1u << (op - 2), &u)) goto truncated;
            rc = advance(m, u, in_cie);
            break;
        case 0x05: /* DW_CFA_offset_extended */
        case 0x14: /* DW_CFA_val_offset */
            if (!take_reg(m, &c, &reg) || !take_uleb(&c, &u)) goto truncated_or_bad;
            if (!uleb_to_signed(m, u, &off) || !factored(m, off, &rule.offset)) goto bad;
            rule.kind = op == 0x05 ? UV_CFI_OFFSET : UV_CFI_VAL_OFFSET;
            set_rule(m, reg, rule);
            break;
        case 0x11: /* DW_CFA_offset_extended_sf */
        case 0x15: /* DW_CFA_val_offset_sf */
            if (!take_reg(m, &c, &reg) || !take_sleb(&c, &s)) goto truncated_or_bad;
            if (!factored(m, s, &rule.offset)) goto bad;
            rule.kind = op == 0x11 ? UV_CFI_OFFSET : UV_CFI_VAL_OFFSET;
            set_rule(m, reg, rule);
            break;
        case 0x2f: /* DW_CFA_GNU_negative_offset_extended */
            if (!take_reg(m, &c, &reg) || !take_uleb(&c, &u)) goto truncated_or_bad;
            if (!uleb_to_signed(m, u, &off) || !factored(m, off, &rule.offset)) goto bad;
            if (rule.offset == INT64_MIN) {
                m->why = "offset too large";
                goto bad;
            }
            rule.offset = -rule.offset;
            rule.kind = UV_CFI_OFFSET;
            set_rule(m, reg, rule);
            break;
        case 0x06: /* DW_CFA_restore_extended */
            if (!take_reg(m, &c, &reg)) goto truncated_or_bad;
            if (reg < UV_REGS_MAX) m->cur.regs[reg] = in_cie ? (uv_cfi_rule){0} : m->init.regs[reg];
            break;
        case 0x07: /* DW_CFA_undefined */
        case 0x08: /* DW_CFA_same_value */
            if (!take_reg(m, &c, &reg)) goto truncated_or_bad;
            rule.kind = op == 0x07 ? UV_CFI_UNDEFINED : UV_CFI_SAME;
            set_rule(m, reg, rule);
            break;
        case 0x09: /* DW_CFA_register */
            if (!take_reg(m, &c, &reg) || !take_reg(m, &c, &reg2)) goto truncated_or_bad;
            rule.kind = UV_CFI_REGISTER;
            rule.reg = (uint32_t)reg2;
            set_rule(m, reg, rule);
            break;
        case 0x0a: /* DW_CFA_remember_state */
            if (m->depth == STATE_STACK_MAX) {
                m->why = "DW_CFA_remember_state nests too deep";
                goto bad;
            }
            if (!m->stack) {
                m->stack = malloc(STATE_STACK_MAX * sizeof *m->stack);
                if (!m->stack) {
                    m->why = "out of memory";
                    goto bad;
                }
            }
            m->stack[m->depth++] = m->cur;
            break;
        case 0x0b: /* DW_CFA_restore_state */
            if (m->depth == 0) {
                m->why = "DW_CFA_restore_state without a remembered state";
                goto bad;
            }
            m->cur = m->stack[--m->depth];
            break;
        case 0x0c: /* DW_CFA_def_cfa */
            if (!take_reg(m, &c, &reg) || !take_uleb(&c, &u)) goto truncated_or_bad;
            if (!uleb_to_signed(m, u, &off)) goto bad;
            m->cur.cfa =
                (uv_cfi_rule){.kind = UV_CFI_REGISTER, .reg = (uint32_t)reg, .offset = off};
            break;
        case 0x12: /* DW_CFA_def_cfa_sf */
            if (!take_reg(m, &c, &reg) || !take_sleb(&c, &s)) goto truncated_or_bad;
            if (!factored(m, s, &off)) goto bad;
            m->cur.cfa =
                (uv_cfi_rule){.kind = UV_CFI_REGISTER, .reg = (uint32_t)reg, .offset = off};
            break;
        case 0x0d: /* DW_CFA_def_cfa_register: keeps the offset */
            if (!take_reg(m, &c, &reg)) goto truncated_or_bad;
            if (m->cur.cfa.kind != UV_CFI_REGISTER) m->cur.cfa.offset = 0;
            m->cur.cfa.kind = UV_CFI_REGISTER;
            m->cur.cfa.reg = (uint32_t)reg;
            m->cur.cfa.expr = NULL;
            m->cur.cfa.expr_len = 0;
            break;
        case 0x0e: /* DW_CFA_def_cfa_offset (meaningful only for a register rule) */
            if (!take_uleb(&c, &u)) goto truncated;
            if (!uleb_to_signed(m, u, &off)) goto bad;
            m->cur.cfa.offset = off;
            break;
        case 0x13: /* DW_CFA_def_cfa_offset_sf */
            if (!take_sleb(&c, &s)) goto truncated;
            if (!factored(m, s, &off)) goto bad;
            m->cur.cfa.offset = off;
            break;
        case 0x0f: /* DW_CFA_def_cfa_expression */
            rule.kind = UV_CFI_VAL_EXPRESSION;
            if (!take_block(m, &c, &rule)) goto bad;
            m->cur.cfa = rule;
            break;
        case 0x10: /* DW_CFA_expression */
        case 0x16: /* DW_CFA_val_expression */
            if (!take_reg(m, &c, &reg)) goto truncated_or_bad;
            rule.kind = op == 0x10 ? UV_CFI_EXPRESSION : UV_CFI_VAL_EXPRESSION;
            if (!take_block(m, &c, &rule)) goto bad;
            set_rule(m, reg, rule);
            break;
        case 0x2d: /* DW_CFA_GNU_window_save; on AArch64 DW_CFA_AARCH64_negate_ra_state */
            if (m->arch != UV_ARCH_ARM64) {
                m->why = "DW_CFA_GNU_window_save (SPARC) is not supported";
                goto bad;
            }
            break; /* pointer authentication bits are the stack walker's to strip */
        case 0x2e: /* DW_CFA_GNU_args_size */
            if (!take_uleb(&c, &u)) goto truncated;
            break;
        default:
            m->why = "unknown instruction";
            goto bad;
        }
    next:
        if (rc != RUN_DONE) {
            if (rc == RUN_BAD) m->why_pos = at;
            return rc;
        }
        continue;
    truncated_or_bad:
        if (m->why) goto bad;
    truncated:
        m->why = "truncated instruction";
    bad:
        m->why_pos = at;
        return RUN_BAD;
    }
    return RUN_DONE;
}

/* Runs `fde` from its start: the CIE's initial instructions, then its own, handing every row
 * to `emit`. On RUN_BAD the error is recorded naming the FDE. */
static int run_fde(const uv_cfi *cfi, const section *s, const fde_info *fde, row_fn emit, void *ctx)
{
    machine *m = malloc(sizeof *m); /* 2.3 KB of rules: keep it off small thread stacks */
    if (!m) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory running CFI");
    memset(m, 0, sizeof *m);
    m->s = s;
    m->cie = &fde->cie;
    m->arch = cfi->arch;
    m->loc = fde->start;
    m->end = fde->end;
    m->emit = emit;
    m->ctx = ctx;
    int rc = run(m, fde->cie.insn_start, fde->cie.insn_end, true);
    if (rc == RUN_DONE) {
        m->init = m->cur;
        rc = run(m, fde->insn_start, fde->insn_end, false);
    }
    if (rc == RUN_DONE) rc = move_to(m, fde->end);
    int result = 0;
    if (rc == RUN_BAD)
        result = uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                              "%s: FDE at offset 0x%zx: %s at offset 0x%zx", section_name(s),
                              fde->offset, m->why ? m->why : "bad instruction", m->why_pos);
    free(m->stack);
    free(m);
    return result;
}

static void fill_row(uv_cfi_row *row, const fde_info *fde, uint64_t start, uint64_t end,
                     const rule_set *rules)
{
    row->start = start;
    row->end = end;
    row->cfa = rules->cfa;
    memcpy(row->regs, rules->regs, sizeof row->regs);
    row->ra_reg = fde->cie.ra_reg;
    row->signal_frame = fde->cie.signal_frame;
}

/* ---- the index ----------------------------------------------------------------------- */

typedef struct {
    size_t rows;
} count_ctx;

static int count_rows(void *ctx, uint64_t start, uint64_t end, const rule_set *rules)
{
    (void)start, (void)end, (void)rules;
    count_ctx *c = ctx;
    return ++c->rows > ROWS_MAX ? -1 : 0;
}

static int index_section(uv_cfi *cfi, int which)
{
    const section *s = &cfi->sections[which];
    cie_info cache;
    bool cache_valid = false;
    size_t offset = 0;
    while (offset < s->size) {
        entry_header h;
        const char *why = NULL;
        int r = read_entry(s, offset, &h, &why);
        if (r == ENTRY_BROKEN) {
            if (offset == 0)
                return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0, "%s: entry at offset 0x%zx: %s",
                                    section_name(s), offset, why);
            bool padding = true; /* a few zero bytes of alignment at the end are fine */
            for (size_t i = offset; i < s->size && padding; i++)
                padding = s->size - offset < 4 && s->data[i] == 0;
            if (!padding) cfi->skipped++;
            break;
        }
        if (r == ENTRY_ZERO) {
            if (s->kind == SEC_EH) break; /* the terminator */
            offset = h.end;
            continue;
        }
        offset = h.end;
        if (h.is_cie) continue;
        fde_info fde;
        if (!parse_fde(s, cfi->arch, &h, &cache, &cache_valid, &fde, &why)) {
            cfi->skipped++;
            continue;
        }
        if (fde.end == fde.start) continue; /* covers nothing (discarded code) */
        count_ctx count = {0};
        if (run_fde(cfi, s, &fde, count_rows, &count) != 0) {
            cfi->skipped++;
            continue;
        }
        fde_entry *grown =
            uv_array_grow(cfi->fdes, &cfi->fde_cap, cfi->fde_count, sizeof *cfi->fdes, 256);
        if (!grown) return UV_ENOMEM;
        cfi->fdes = grown;
        cfi->fdes[cfi->fde_count++] =
            (fde_entry){.start = fde.start, .end = fde.end, .offset = h.offset, .section = which};
    }
    uv_error_clear();
    return 0;
}

static int compare_fde(const void *a, const void *b)
{
    const fde_entry *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->section != y->section) return x->section == SEC_DEBUG ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

int uv_cfi_open(uv_cfi **out, uv_arch arch, const uv_cfi_section *eh_frame,
                const uv_cfi_section *debug_frame)
{
    *out = NULL;
    uv_cfi *cfi = calloc(1, sizeof *cfi);
    if (!cfi) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory opening CFI");
    cfi->arch = arch;
    const uv_cfi_section *given[2] = {eh_frame, debug_frame};
    for (int i = 0; i < 2; i++) {
        section *s = &cfi->sections[i];
        s->kind = i;
        if (given[i] && given[i]->data) {
            s->data = given[i]->data;
            s->size = given[i]->size;
            s->vaddr = given[i]->vaddr;
        }
    }
    for (int i = 0; i < 2; i++) {
        int rc = index_section(cfi, i);
        if (rc != 0) {
            uv_cfi_free(cfi);
            return rc;
        }
    }
    if (cfi->fde_count > 1) qsort(cfi->fdes, cfi->fde_count, sizeof *cfi->fdes, compare_fde);
    uint64_t max_end = 0;
    for (size_t i = 0; i < cfi->fde_count; i++) {
        if (cfi->fdes[i].end > max_end) max_end = cfi->fdes[i].end;
        cfi->fdes[i].max_end = max_end;
    }
    *out = cfi;
    return 0;
}

void uv_cfi_free(uv_cfi *cfi)
{
    if (!cfi) return;
    free(cfi->fdes);
    free(cfi);
}

size_t uv_cfi_fde_count(const uv_cfi *cfi)
{
    return cfi ? cfi->fde_count : 0;
}

size_t uv_cfi_skipped(const uv_cfi *cfi)
{
    return cfi ? cfi->skipped : 0;
}

/* Re-parses an indexed FDE (it parsed at open, so this only fails on memory). */
static int load_fde(const uv_cfi *cfi, const fde_entry *e, fde_info *fde)
{
    const section *s = &cfi->sections[e->section];
    entry_header h;
    const char *why = "bad entry";
    cie_info cache;
    bool cache_valid = false;
    if (read_entry(s, e->offset, &h, &why) != ENTRY_OK || h.is_cie ||
        !parse_fde(s, cfi->arch, &h, &cache, &cache_valid, fde, &why))
        return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0, "%s: FDE at offset 0x%zx: %s",
                            section_name(s), e->offset, why);
    return 0;
}

/* The entry covering pc (.debug_frame preferred, then the latest start), or NULL. */
static const fde_entry *lookup(const uv_cfi *cfi, uint64_t pc)
{
    size_t lo = 0, hi = cfi->fde_count;
    while (lo < hi) { /* first entry starting after pc */
        size_t mid = lo + (hi - lo) / 2;
        if (cfi->fdes[mid].start <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    const fde_entry *best = NULL;
    for (size_t i = lo, steps = 0; i > 0 && steps < LOOKBACK_MAX; steps++) {
        const fde_entry *e = &cfi->fdes[--i];
        if (e->max_end <= pc) break; /* nothing at or before i reaches pc */
        if (e->end > pc) {
            if (e->section == SEC_DEBUG) return e;
            if (!best) best = e;
        }
    }
    return best;
}

typedef struct {
    const fde_info *fde;
    uint64_t pc;
    uv_cfi_row *row;
    bool found;
} find_ctx;

static int find_row(void *ctx, uint64_t start, uint64_t end, const rule_set *rules)
{
    find_ctx *f = ctx;
    if (f->pc >= end) return 0;
    fill_row(f->row, f->fde, start, end, rules);
    f->found = true;
    return 1;
}

int uv_cfi_find(const uv_cfi *cfi, uint64_t pc, uv_cfi_row *row)
{
    const fde_entry *e = cfi ? lookup(cfi, pc) : NULL;
    if (!e)
        return uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0, "no FDE covers address 0x%llx",
                            (unsigned long long)pc);
    fde_info fde;
    int rc = load_fde(cfi, e, &fde);
    if (rc != 0) return rc;
    find_ctx ctx = {&fde, pc, row, false};
    rc = run_fde(cfi, &cfi->sections[e->section], &fde, find_row, &ctx);
    if (rc == 0 && !ctx.found)
        return uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0, "no CFI row covers address 0x%llx",
                            (unsigned long long)pc);
    return rc;
}

typedef struct {
    const fde_info *fde;
    uv_cfi_row *rows;
    size_t count, cap;
} rows_ctx;

static int collect_row(void *ctx, uint64_t start, uint64_t end, const rule_set *rules)
{
    rows_ctx *r = ctx;
    if (r->count == ROWS_MAX) return -1;
    uv_cfi_row *grown = uv_array_grow(r->rows, &r->cap, r->count, sizeof *r->rows, 16);
    if (!grown) return -1;
    r->rows = grown;
    fill_row(&r->rows[r->count++], r->fde, start, end, rules);
    return 0;
}

int uv_cfi_each_fde(const uv_cfi *cfi, uv_cfi_fde_fn fn, void *ctx)
{
    rows_ctx rows = {0};
    int result = 0;
    const fde_entry *prev = NULL;
    for (size_t i = 0; cfi && i < cfi->fde_count; i++) {
        const fde_entry *e = &cfi->fdes[i];
        /* The same range in both sections: once, from .debug_frame (sorted first). */
        if (prev && prev->start == e->start && prev->end == e->end) continue;
        prev = e;
        fde_info fde;
        result = load_fde(cfi, e, &fde);
        if (result != 0) break;
        rows.fde = &fde;
        rows.count = 0;
        result = run_fde(cfi, &cfi->sections[e->section], &fde, collect_row, &rows);
        if (result != 0) break;
        result = fn(ctx, fde.start, fde.end - fde.start, rows.rows, rows.count);
        if (result != 0) break;
    }
    free(rows.rows);
    return result;
}

/* ---- applying a row ------------------------------------------------------------------ */

typedef struct {
    uv_arch arch;
    unsigned size; /* address size */
    uint64_t mask;
    const uv_regs *callee;
    const uv_memory *mem;
} eval_ctx;

static int missing_register(const eval_ctx *e, uint64_t reg)
{
    const char *name = reg < UV_REGS_MAX ? uv_arch_reg_name(e->arch, (int)reg) : NULL;
    if (name)
        return uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0, "CFI: register %s is unknown", name);
    return uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0, "CFI: register %llu is unknown",
                        (unsigned long long)reg);
}

static int read_reg(const eval_ctx *e, uint64_t reg, uint64_t *out)
{
    if (reg >= UV_REGS_MAX || !uv_regs_has(e->callee, (int)reg)) return missing_register(e, reg);
    *out = e->callee->r[reg] & e->mask;
    return 0;
}

static int read_word(const eval_ctx *e, uint64_t addr, unsigned size, uint64_t *out)
{
    uint8_t b[8];
    if (!uv_memory_read(e->mem, addr, b, size))
        return uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0,
                            "CFI: memory at 0x%llx is not in the dump", (unsigned long long)addr);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)b[i] << (8 * i);
    *out = v;
    return 0;
}

static int bad_expr(const char *what, size_t at)
{
    return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "DWARF expression: %s at byte %zu", what, at);
}

/* Evaluates a DWARF expression (the subset valid in CFI: no register locations, no pieces,
 * no calls), `initial` pushed first when `push`. */
static int eval_expr(const eval_ctx *e, const uint8_t *expr, size_t len, bool push,
                     uint64_t initial, uint64_t *result)
{
    uint64_t st[EXPR_STACK_MAX];
    size_t n = 0;
    if (push) st[n++] = initial & e->mask;
    cursor c = {expr, len, 0};
    for (unsigned steps = 0; c.pos < c.end; steps++) {
        if (steps == EXPR_STEPS_MAX) return bad_expr("too many steps (a loop?)", c.pos);
        size_t at = c.pos;
        uint8_t op = expr[c.pos++];
        uint64_t a, b, u, v = 0;
        int64_t s;
        int rc;
        /* Operand counts: pops needed, pushes made. */
        unsigned pops = 0, pushes = 0;
        if ((op >= 0x30 && op <= 0x4f) || (op >= 0x70 && op <= 0x92) || op == 0x03 ||
            (op >= 0x08 && op <= 0x11))
            pushes = 1;
        else if (op == 0x12 || op == 0x14 || op == 0x15)
            pushes = 1, pops = op == 0x12 ? 1 : op == 0x14 ? 2 : 0;
        else if (op == 0x06 || op == 0x13 || op == 0x19 || op == 0x1f || op == 0x20 || op == 0x23 ||
                 op == 0x94 || op == 0x28)
            pops = 1;
        else if (op == 0x16 || (op >= 0x1a && op <= 0x1e) ||
                 (op >= 0x21 && op <= 0x27 && op != 0x23) || (op >= 0x29 && op <= 0x2e))
            pops = 2;
        else if (op == 0x17)
            pops = 3;
        if (n < pops) return bad_expr("stack underflow", at);
        if (pushes && n == EXPR_STACK_MAX) return bad_expr("stack overflow", at);
        switch (op) {
        case 0x03: /* DW_OP_addr */
            if (!take_uint(&c, e->size, &v)) goto truncated;
            st[n++] = v;
            break;
        case 0x06: /* DW_OP_deref */
            if ((rc = read_word(e, st[n - 1], e->size, &v)) != 0) return rc;
            st[n - 1] = v;
            break;
        case 0x94: { /* DW_OP_deref_size */
            uint8_t size;
            if (!take_u8(&c, &size)) goto truncated;
            if (size == 0 || size > e->size) return bad_expr("bad DW_OP_deref_size", at);
            if ((rc = read_word(e, st[n - 1], size, &v)) != 0) return rc;
            st[n - 1] = v;
            break;
        }
        case 0x08: /* DW_OP_const1u */
        case 0x0a: /* DW_OP_const2u */
        case 0x0c: /* DW_OP_const4u */
        case 0x0e: /* DW_OP_const8u */
            if (!take_uint(&c, 1u << ((op - 0x08) / 2), &v)) goto truncated;
            st[n++] = v & e->mask;
            break;
        case 0x09:   /* DW_OP_const1s */
        case 0x0b:   /* DW_OP_const2s */
        case 0x0d:   /* DW_OP_const4s */
        case 0x0f: { /* DW_OP_const8s */
            unsigned size = 1u << ((op - 0x09) / 2);
            if (!take_uint(&c, size, &v)) goto truncated;
            st[n++] = (uint64_t)sign_extend(v, size) & e->mask;
            break;
        }
        case 0x10: /* DW_OP_constu */
            if (!take_uleb(&c, &v)) goto truncated;
            st[n++] = v & e->mask;
            break;
        case 0x11: /* DW_OP_consts */
            if (!take_sleb(&c, &s)) goto truncated;
            st[n++] = (uint64_t)s & e->mask;
            break;
        case 0x12: /* DW_OP_dup */
            st[n] = st[n - 1];
            n++;
            break;
        case 0x13: /* DW_OP_drop */
            n--;
            break;
        case 0x14: /* DW_OP_over */
            st[n] = st[n - 2];
            n++;
            break;
        case 0x15: { /* DW_OP_pick */
            uint8_t i;
            if (!take_u8(&c, &i)) goto truncated;
            if (i >= n) return bad_expr("DW_OP_pick past the stack", at);
            st[n] = st[n - 1 - i];
            n++;
            break;
        }
        case 0x16: /* DW_OP_swap */
            a = st[n - 1];
            st[n - 1] = st[n - 2];
            st[n - 2] = a;
            break;
        case 0x17: /* DW_OP_rot: top three rotate, top becomes third */
            a = st[n - 1];
            st[n - 1] = st[n - 2];
            st[n - 2] = st[n - 3];
            st[n - 3] = a;
            break;
        case 0x19: /* DW_OP_abs */
            s = sign_extend(st[n - 1], e->size);
            st[n - 1] = (s < 0 ? 0 - (uint64_t)s : (uint64_t)s) & e->mask;
            break;
        case 0x1f: /* DW_OP_neg */
            st[n - 1] = (0 - st[n - 1]) & e->mask;
            break;
        case 0x20: /* DW_OP_not */
            st[n - 1] = ~st[n - 1] & e->mask;
            break;
        case 0x23: /* DW_OP_plus_uconst */
            if (!take_uleb(&c, &u)) goto truncated;
            st[n - 1] = (st[n - 1] + u) & e->mask;
            break;
        case 0x1a:         /* DW_OP_and */
        case 0x1b:         /* DW_OP_div */
        case 0x1c:         /* DW_OP_minus */
        case 0x1d:         /* DW_OP_mod */
        case 0x1e:         /* DW_OP_mul */
        case 0x21:         /* DW_OP_or */
        case 0x22:         /* DW_OP_plus */
        case 0x24:         /* DW_OP_shl */
        case 0x25:         /* DW_OP_shr */
        case 0x26:         /* DW_OP_shra */
        case 0x27:         /* DW_OP_xor */
        case 0x29:         /* DW_OP_eq */
        case 0x2a:         /* DW_OP_ge */
        case 0x2b:         /* DW_OP_gt */
        case 0x2c:         /* DW_OP_le */
        case 0x2d:         /* DW_OP_lt */
        case 0x2e: {       /* DW_OP_ne */
            b = st[--n];   /* the top */
            a = st[n - 1]; /* below it */
            int64_t sa = sign_extend(a, e->size), sb = sign_extend(b, e->size);
            unsigned bits = 8 * e->size;
            switch (op) {
            case 0x1a:
                v = a & b;
                break;
            case 0x1b:
                if (sb == 0) return bad_expr("division by zero", at);
                /* INT_MIN / -1 wraps, as two's complement hardware does */
                v = sb == -1 ? 0 - (uint64_t)sa : (uint64_t)(sa / sb);
                break;
            case 0x1c:
                v = a - b;
                break;
            case 0x1d:
                if (b == 0) return bad_expr("modulo by zero", at);
                v = a % b;
                break;
            case 0x1e:
                v = a * b;
                break;
            case 0x21:
                v = a | b;
                break;
            case 0x22:
                v = a + b;
                break;
            case 0x24:
                v = b >= bits ? 0 : a << b;
                break;
            case 0x25:
                v = b >= bits ? 0 : a >> b;
                break;
            case 0x26:
                v = (uint64_t)(b >= bits ? (sa < 0 ? -1 : 0) : sa >> b);
                break;
            case 0x27:
                v = a ^ b;
                break;
            case 0x29:
                v = sa == sb;
                break;
            case 0x2a:
                v = sa >= sb;
                break;
            case 0x2b:
                v = sa > sb;
                break;
            case 0x2c:
                v = sa <= sb;
                break;
            case 0x2d:
                v = sa < sb;
                break;
            default: /* 0x2e */
                v = sa != sb;
                break;
            }
            st[n - 1] = v & e->mask;
            break;
        }
        case 0x28:   /* DW_OP_bra */
        case 0x2f: { /* DW_OP_skip */
            if (!take_uint(&c, 2, &u)) goto truncated;
            int64_t delta = sign_extend(u, 2);
            bool jump = op == 0x2f || st[--n] != 0;
            if (jump) {
                if ((delta < 0 && (uint64_t)-delta > c.pos) ||
                    (delta > 0 && (uint64_t)delta > c.end - c.pos))
                    return bad_expr("branch out of the expression", at);
                c.pos = (size_t)((int64_t)c.pos + delta);
            }
            break;
        }
        case 0x92: /* DW_OP_bregx */
            if (!take_uleb(&c, &u) || !take_sleb(&c, &s)) goto truncated;
            if ((rc = read_reg(e, u, &v)) != 0) return rc;
            st[n++] = (v + (uint64_t)s) & e->mask;
            break;
        case 0x96: /* DW_OP_nop */
            break;
        default:
            if (op >= 0x30 && op <= 0x4f) { /* DW_OP_lit0..31 */
                st[n++] = op - 0x30u;
            } else if (op >= 0x70 && op <= 0x8f) { /* DW_OP_breg0..31 */
                if (!take_sleb(&c, &s)) goto truncated;
                if ((rc = read_reg(e, op - 0x70u, &v)) != 0) return rc;
                st[n++] = (v + (uint64_t)s) & e->mask;
            } else if (op >= 0x50 && op <= 0x6f) {
                return bad_expr("register location (DW_OP_reg*) in a CFI expression", at);
            } else {
                char what[64];
                snprintf(what, sizeof what, "unsupported operation 0x%02x", op);
                return bad_expr(what, at);
            }
            break;
        }
        continue;
    truncated:
        return bad_expr("truncated operation", at);
    }
    if (n == 0) return bad_expr("empty stack at the end", len);
    *result = st[n - 1] & e->mask;
    return 0;
}

typedef struct {
    uv_postfix_var vars[2]; /* .cfa, then .ra once known */
    size_t count;
} postfix_vars;

static int eval_postfix(const eval_ctx *e, const uv_cfi_rule *rule, postfix_vars *pv, uint64_t *out)
{
    /* Work on a copy: an expression may assign (=), which must not leak between rules. */
    uv_postfix_var vars[8];
    size_t count = pv->count;
    memcpy(vars, pv->vars, count * sizeof *vars);
    int rc = uv_postfix_eval((const char *)rule->expr, rule->expr_len, e->arch, e->callee, vars,
                             &count, sizeof vars / sizeof *vars, e->mem, out);
    if (rc == 0) *out &= e->mask;
    return rc;
}

/* The caller's value of a register under `rule` (not UNSPECIFIED / UNDEFINED). */
static int rule_value(const eval_ctx *e, const uv_cfi_rule *rule, uint32_t reg, uint64_t cfa,
                      postfix_vars *pv, uint64_t *out)
{
    uint64_t addr;
    int rc;
    switch (rule->kind) {
    case UV_CFI_SAME:
        return read_reg(e, reg, out);
    case UV_CFI_OFFSET:
        return read_word(e, (cfa + (uint64_t)rule->offset) & e->mask, e->size, out);
    case UV_CFI_VAL_OFFSET:
        *out = (cfa + (uint64_t)rule->offset) & e->mask;
        return 0;
    case UV_CFI_REGISTER:
        return read_reg(e, rule->reg, out);
    case UV_CFI_EXPRESSION:
        if ((rc = eval_expr(e, rule->expr, rule->expr_len, true, cfa, &addr)) != 0) return rc;
        return read_word(e, addr, e->size, out);
    case UV_CFI_VAL_EXPRESSION:
        return eval_expr(e, rule->expr, rule->expr_len, true, cfa, out);
    case UV_CFI_POSTFIX:
        return eval_postfix(e, rule, pv, out);
    default:
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "CFI: no rule for register %u", reg);
    }
}

static bool callee_saved(uv_arch arch, int reg)
{
    switch (arch) {
    case UV_ARCH_X86_64: /* rbx rbp r12-r15 */
        return reg == 3 || reg == 6 || (reg >= 12 && reg <= 15);
    case UV_ARCH_X86: /* ebx ebp esi edi */
        return reg == 3 || reg == 5 || reg == 6 || reg == 7;
    case UV_ARCH_ARM64: /* x19-x29 */
        return reg >= 19 && reg <= 29;
    default:
        return false;
    }
}

int uv_cfi_apply(const uv_cfi_row *row, const uv_regs *callee, const uv_memory *mem,
                 uv_regs *caller)
{
    eval_ctx e = {callee->arch, uv_arch_pointer_size(callee->arch), 0, callee, mem};
    e.mask = addr_mask(e.size);
    postfix_vars pv = {.count = 0};
    uint64_t cfa;
    int rc;
    switch (row->cfa.kind) {
    case UV_CFI_REGISTER:
        if ((rc = read_reg(&e, row->cfa.reg, &cfa)) != 0) return rc;
        cfa = (cfa + (uint64_t)row->cfa.offset) & e.mask;
        break;
    case UV_CFI_VAL_EXPRESSION:
        rc = eval_expr(&e, row->cfa.expr, row->cfa.expr_len, false, 0, &cfa);
        if (rc != 0) return rc;
        break;
    case UV_CFI_POSTFIX:
        if ((rc = eval_postfix(&e, &row->cfa, &pv, &cfa)) != 0) return rc;
        break;
    default:
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "CFI: the row has no CFA rule");
    }
    snprintf(pv.vars[0].name, sizeof pv.vars[0].name, ".cfa");
    pv.vars[0].value = cfa;
    pv.count = 1;

    uv_regs out;
    memset(&out, 0, sizeof out);
    out.arch = callee->arch;
    for (int i = 0; i < UV_REGS_MAX; i++)
        if (callee_saved(callee->arch, i) && uv_regs_has(callee, i))
            uv_regs_set(&out, i, callee->r[i]);

    /* The return address first: it is the one a failure must be reported for, and postfix
     * rules of other registers may use .ra. Without a rule it is the register's own value
     * (as on arm64 at a leaf function's entry); undefined means the outermost frame. Where
     * the return-address column is the pc itself (x86, x86-64: the address is on the stack,
     * never in a register) a missing rule says nothing, and the callee's pc is not it. */
    uint32_t ra = row->ra_reg;
    bool have_ra = false;
    uint64_t ra_value = 0;
    bool ra_is_pc = (int)ra == uv_arch_pc(callee->arch);
    if (ra_is_pc && ra < UV_REGS_MAX && row->regs[ra].kind == UV_CFI_UNSPECIFIED)
        return uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0,
                            "call frame information: no rule for the return address");
    if (ra < UV_REGS_MAX && row->regs[ra].kind != UV_CFI_UNDEFINED &&
        !(ra_is_pc && row->regs[ra].kind == UV_CFI_UNSPECIFIED)) {
        uv_cfi_rule rule = row->regs[ra];
        if (rule.kind == UV_CFI_UNSPECIFIED) rule.kind = UV_CFI_SAME;
        if ((rc = rule_value(&e, &rule, ra, cfa, &pv, &ra_value)) != 0) return rc;
        have_ra = true;
        snprintf(pv.vars[1].name, sizeof pv.vars[1].name, ".ra");
        pv.vars[1].value = ra_value;
        pv.count = 2;
    }
    for (uint32_t i = 0; i < UV_REGS_MAX; i++) {
        const uv_cfi_rule *rule = &row->regs[i];
        if (i == ra || rule->kind == UV_CFI_UNSPECIFIED) continue;
        uint64_t value;
        if (rule->kind != UV_CFI_UNDEFINED && rule_value(&e, rule, i, cfa, &pv, &value) == 0) {
            uv_regs_set(&out, (int)i, value);
        } else { /* not recoverable: unknown in the caller */
            out.r[i] = 0;
            out.valid &= ~((uint64_t)1 << i);
        }
    }
    int sp = uv_arch_sp(callee->arch), pc = uv_arch_pc(callee->arch);
    if (row->regs[sp].kind == UV_CFI_UNSPECIFIED || !uv_regs_has(&out, sp))
        uv_regs_set(&out, sp, cfa);
    if (have_ra) {
        if (ra < UV_REGS_MAX) uv_regs_set(&out, (int)ra, ra_value);
        uv_regs_set(&out, pc, ra_value);
    } else {
        out.r[pc] = 0;
        out.valid &= ~((uint64_t)1 << pc);
    }
    uv_error_clear();
    *caller = out;
    return 0;
}

/* ---- Breakpad STACK CFI spelling ----------------------------------------------------- */

/* Register names as Breakpad's dump_syms writes them: "$rsp", "$ebp" (with '$') on x86 and
 * x86-64, "x29", "sp" on arm64; the return-address column is ".ra". */
static bool postfix_reg_name(uv_arch arch, uint32_t reg, char *out, size_t size)
{
    if (reg >= UV_REGS_MAX) return false;
    if ((int)reg == uv_arch_ra(arch)) return (size_t)snprintf(out, size, ".ra") < size;
    if (arch == UV_ARCH_ARM64 && reg > 31) return false; /* Breakpad has no name for pc */
    const char *name = uv_arch_reg_name(arch, (int)reg);
    if (!name) return false;
    int n = snprintf(out, size, "%s%s", arch == UV_ARCH_ARM64 ? "" : "$", name);
    return n >= 0 && (size_t)n < size;
}

bool uv_cfi_rule_postfix(uv_arch arch, const uv_cfi_rule *rule, bool is_cfa, char *out, size_t size)
{
    char name[32];
    int n;
    if (size == 0) return false;
    out[0] = '\0';
    switch (rule->kind) {
    case UV_CFI_REGISTER:
        if (!postfix_reg_name(arch, rule->reg, name, sizeof name)) return false;
        n = is_cfa ? snprintf(out, size, "%s %lld +", name, (long long)rule->offset)
                   : snprintf(out, size, "%s", name);
        break;
    case UV_CFI_SAME:
        if (is_cfa || !postfix_reg_name(arch, rule->reg, name, sizeof name)) return false;
        n = snprintf(out, size, "%s", name);
        break;
    case UV_CFI_OFFSET:
        if (is_cfa) return false;
        n = snprintf(out, size, ".cfa %lld + ^", (long long)rule->offset);
        break;
    case UV_CFI_VAL_OFFSET:
        if (is_cfa) return false;
        n = snprintf(out, size, ".cfa %lld +", (long long)rule->offset);
        break;
    case UV_CFI_POSTFIX:
        if (!rule->expr || rule->expr_len >= size) return false;
        memcpy(out, rule->expr, rule->expr_len);
        out[rule->expr_len] = '\0';
        return true;
    case UV_CFI_UNDEFINED:
        /* ".undef" (as Sentry's symbolic writes it): the outermost frame, e.g. _start, whose
         * return address DWARF marks undefined; a reader that does not know the word fails
         * the rule and falls back to its other unwinders, which is what a missing rule does */
        if (is_cfa) return false;
        n = snprintf(out, size, ".undef");
        break;
    default: /* unspecified, DWARF expressions: Breakpad cannot say them */
        return false;
    }
    if (n < 0 || (size_t)n >= size) {
        out[0] = '\0';
        return false;
    }
    return true;
}

/* ---- CFI of an ELF module ------------------------------------------------------------ */

/* Section bytes and address; an empty section when absent. */
static uv_cfi_section elf_cfi_section(uv_elf *elf, const char *name)
{
    uv_cfi_section out = {NULL, 0, 0};
    const uint8_t *data;
    size_t len;
    if (!elf || uv_elf_section(elf, name, &data, &len) != 0) {
        uv_error_clear();
        return out;
    }
    out.data = data;
    out.size = len;
    uv_elf_section_info info;
    for (size_t i = 0; uv_elf_section_at(elf, i, &info) == 0; i++)
        if (uv_str_eq_c(info.name, name)) {
            out.vaddr = info.addr;
            break;
        }
    return out;
}

int uv_cfi_open_elf(uv_cfi **out, uv_arch arch, uv_elf *file, uv_elf *debug)
{
    *out = NULL;
    uv_cfi_section eh = elf_cfi_section(file, ".eh_frame");
    uv_cfi_section df = elf_cfi_section(debug ? debug : file, ".debug_frame");
    if (!df.data && debug) df = elf_cfi_section(file, ".debug_frame");
    if (!eh.data && !df.data)
        return uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0, "no .eh_frame or .debug_frame");
    return uv_cfi_open(out, arch, eh.data ? &eh : NULL, df.data ? &df : NULL);
}
