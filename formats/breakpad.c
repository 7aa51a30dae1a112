/* Breakpad text symbol files (.sym).
 *
 * Format: one record a line, fields separated by spaces, the last field of a named record
 * running to the end of the line (names may hold spaces). Addresses, sizes and STACK WIN
 * fields are hex without 0x; line numbers, file and origin ids and depths are decimal.
 *   MODULE os arch debug_id name
 *   INFO CODE_ID code_id [code_file]
 *   FILE id path
 *   INLINE_ORIGIN id name
 *   FUNC [m] address size parameter_size name
 *   address size line file_id                    a line record of the FUNC above it
 *   INLINE depth call_line call_file origin_id (address size)+
 *                                                an inlined instance inside the FUNC above
 *                                                it; depth 0 sits directly in the FUNC, a
 *                                                deeper one in the latest INLINE of depth-1
 *                                                (an older spelling has no call_file)
 *   PUBLIC [m] address parameter_size name
 *   STACK CFI INIT address size rules            rules: `name: postfix…` pairs, names being
 *   STACK CFI address rules                      .cfa, .ra and registers ($rbx, x29)
 *   STACK WIN type rva code_size prolog epilog params saved_regs locals max_stack
 *             has_program (program string | allocates_base_pointer)
 *
 * Parsing is one pass over the text into flat arrays of views (nothing is copied), then
 * sorts: functions by address (lines and inlines stay grouped under their FUNC, lines sorted
 * within it), STACK CFI INIT records by address with their deltas in one address-sorted
 * array (a delta applies to whichever INIT covers it, as in Breakpad), STACK WIN records by
 * type into nesting trees (Breakpad keeps them in contained range maps: a record may sit
 * inside a bigger one, the innermost wins, partial overlaps are dropped). Every lookup is a
 * binary search. STACK CFI rules are decoded when looked up; postfix programs are evaluated
 * by uv_postfix_eval with a fixed-size stack.
 *
 * Writing reproduces dump_syms' layout from a uv_debuginfo model, ELF symbols and CFI. */
#include "formats/breakpad.h"

#include "formats/demangle.h"
#include "formats/error.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE32 UINT32_MAX
/* Records of one kind are indexed with 32 bits; a .sym would need gigabytes to reach this. */
#define BP_MAX_RECORDS ((size_t)1 << 30)
/* Postfix programs in real files use four stack slots at most (`$T0 $ebp 680 + =`); 64
 * bounds what untrusted text can make the evaluator hold. */
#define POSTFIX_STACK_MAX 64
/* STACK WIN programs assign a handful of $T/$L/$P variables and registers. */
#define WIN_VARS_MAX 48

typedef struct {
    uint32_t id;
    uint32_t seq; /* file order, to keep the first of duplicate ids */
    uv_str name;
} bp_named;

typedef struct {
    uint64_t addr, size;
    uint32_t param_size;
    bool multiple;
    uv_str name;
    uint32_t first_line, line_count;     /* into lines */
    uint32_t first_inline, inline_count; /* into inlines */
} bp_func;

typedef struct {
    uint64_t addr, size;
    uint32_t line, file;
    uint32_t func; /* into funcs (file order) */
    uint32_t seq;
} bp_line;

typedef struct {
    uint32_t parent; /* into inlines, or NONE32 for depth 0 */
    uint32_t depth, call_line, call_file, origin;
    bool has_call_file;
    uint32_t first_range, range_count; /* into inline_ranges */
} bp_inline;

typedef struct {
    uint64_t addr, size;
} bp_range;

typedef struct {
    uint64_t addr;
    uv_str name;
} bp_public;

typedef struct {
    uint64_t addr, size;
    uv_str rules;
    uint32_t seq;
} bp_cfi_init;

typedef struct {
    uint64_t addr;
    uv_str rules;
    uint32_t seq;
} bp_cfi_delta;

typedef struct {
    uint64_t rva, size;
    uint32_t prolog, epilog, params, saved_regs, locals, max_stack;
    bool allocates_base_pointer;
    uv_str program;  /* empty when the record has none */
    uint32_t parent; /* the kept record containing this one, NONE32 at the top */
    uint32_t seq;
} bp_win;

enum { WIN_FPO = 0, WIN_FRAME_DATA = 1, WIN_KINDS = 2 };

#define ARRAY(type, name)                                                                          \
    type *name;                                                                                    \
    size_t name##_count, name##_cap

struct uv_breakpad {
    uv_breakpad_info info;
    uv_arch arch;
    ARRAY(bp_named, files);   /* sorted by id */
    ARRAY(bp_named, origins); /* sorted by id */
    ARRAY(bp_func, funcs);    /* file order */
    uint32_t *func_order;     /* funcs sorted by address */
    uint64_t *func_reach;     /* max end over func_order[0..i] */
    ARRAY(bp_line, lines);    /* grouped by func, sorted by address within */
    ARRAY(bp_inline, inlines);
    ARRAY(bp_range, inline_ranges);
    ARRAY(bp_public, publics);
    uv_elf_symbol *symbols;
    size_t symbol_count;
    ARRAY(bp_cfi_init, inits);   /* sorted by address, overlaps dropped */
    ARRAY(bp_cfi_delta, deltas); /* sorted by address */
    bp_win *win[WIN_KINDS];      /* sorted by (rva, size descending), nesting resolved */
    size_t win_count[WIN_KINDS], win_cap[WIN_KINDS];
};

/* ---- small helpers ------------------------------------------------------------------------ */

/* qsort that accepts an empty (possibly NULL) array. */
static void sort_items(void *base, size_t count, size_t size,
                       int (*cmp)(const void *, const void *))
{
    if (count > 1) qsort(base, count, size, cmp);
}

/* An error with a message (uv_error_set formats it). */
#define fail(code, ...) uv_error_set((code), UV_LIB_NONE, 0, __VA_ARGS__)

static int oom(void)
{
    return fail(UV_ENOMEM, "breakpad: out of memory");
}

/* Appends one zeroed slot to a growable array and returns it, or NULL (error recorded). */
static void *push(void **items, size_t *count, size_t *cap, size_t size)
{
    if (*count >= BP_MAX_RECORDS) {
        fail(UV_ETOOBIG, "breakpad: more than %zu records of one kind", BP_MAX_RECORDS);
        return NULL;
    }
    void *grown = uv_array_grow(*items, cap, *count, size, 64);
    if (!grown) return NULL;
    *items = grown;
    void *slot = (char *)grown + *count * size;
    memset(slot, 0, size);
    (*count)++;
    return slot;
}

#define PUSH(bp, name)                                                                             \
    push((void **)&(bp)->name, &(bp)->name##_count, &(bp)->name##_cap, sizeof *(bp)->name)

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

typedef struct {
    const char *p, *end;
} cursor;

static uv_str next_token(cursor *c)
{
    while (c->p < c->end && is_space(*c->p))
        c->p++;
    const char *start = c->p;
    while (c->p < c->end && !is_space(*c->p))
        c->p++;
    return (uv_str){start, (size_t)(c->p - start)};
}

/* The rest of the line without surrounding blanks. */
static uv_str rest_of_line(cursor *c)
{
    while (c->p < c->end && is_space(*c->p))
        c->p++;
    const char *e = c->end;
    while (e > c->p && is_space(e[-1]))
        e--;
    uv_str s = {c->p, (size_t)(e - c->p)};
    c->p = c->end;
    return s;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool parse_hex(uv_str t, uint64_t *out)
{
    if (t.len == 0) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < t.len; i++) {
        int d = hex_digit(t.ptr[i]);
        if (d < 0 || v >> 60) return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return true;
}

static bool parse_hex32(uv_str t, uint32_t *out)
{
    uint64_t v;
    if (!parse_hex(t, &v) || v > UINT32_MAX) return false;
    *out = (uint32_t)v;
    return true;
}

static bool parse_dec32(uv_str t, uint32_t *out)
{
    if (t.len == 0) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < t.len; i++) {
        if (t.ptr[i] < '0' || t.ptr[i] > '9') return false;
        v = v * 10 + (uint64_t)(t.ptr[i] - '0');
        if (v > UINT32_MAX) return false;
    }
    *out = (uint32_t)v;
    return true;
}

/* A postfix literal: optional '-', then decimal digits or 0x and hex digits. The value wraps
 * modulo 2^64 when negative, as Breakpad's unsigned evaluator does. */
static bool parse_literal(const char *p, size_t len, uint64_t *out)
{
    bool negative = len > 0 && p[0] == '-';
    if (negative) {
        p++;
        len--;
    }
    if (len == 0) return false;
    uint64_t v = 0;
    if (len > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        if (!parse_hex((uv_str){p + 2, len - 2}, &v)) return false;
    } else {
        for (size_t i = 0; i < len; i++) {
            if (p[i] < '0' || p[i] > '9') return false;
            uint64_t d = (uint64_t)(p[i] - '0');
            if (v > (UINT64_MAX - d) / 10) return false;
            v = v * 10 + d;
        }
    }
    *out = negative ? (uint64_t)0 - v : v;
    return true;
}

static bool all_hex(uv_str t)
{
    if (t.len == 0) return false;
    for (size_t i = 0; i < t.len; i++)
        if (hex_digit(t.ptr[i]) < 0) return false;
    return true;
}

static uv_arch arch_from_word(uv_str w)
{
    if (uv_str_eq_c(w, "x86_64") || uv_str_eq_c(w, "amd64")) return UV_ARCH_X86_64;
    if (uv_str_eq_c(w, "x86") || uv_str_eq_c(w, "i386") || uv_str_eq_c(w, "i486") ||
        uv_str_eq_c(w, "i586") || uv_str_eq_c(w, "i686"))
        return UV_ARCH_X86;
    if (uv_str_eq_c(w, "arm64") || uv_str_eq_c(w, "aarch64") || uv_str_eq_c(w, "arm64e"))
        return UV_ARCH_ARM64;
    return UV_ARCH_UNKNOWN;
}

/* ---- STACK CFI rules ---------------------------------------------------------------------- */

static bool is_rule_name(uv_str t)
{
    return t.len > 1 && t.ptr[t.len - 1] == ':';
}

/* Walks `rules` one `name: expression` pair at a time. */
typedef struct {
    cursor c;
    uv_str pending; /* a name token read ahead */
} rule_iter;

static void rule_iter_init(rule_iter *it, uv_str rules)
{
    it->c = (cursor){rules.ptr, rules.ptr + rules.len};
    it->pending = next_token(&it->c);
}

/* 1: a pair in *name (without ':') and *expr; 0: done; -1: malformed. */
static int rule_next(rule_iter *it, uv_str *name, uv_str *expr)
{
    if (it->pending.len == 0) return 0;
    if (!is_rule_name(it->pending)) return -1;
    *name = (uv_str){it->pending.ptr, it->pending.len - 1};
    const char *start = NULL, *end = NULL;
    for (;;) {
        uv_str t = next_token(&it->c);
        if (t.len == 0 || is_rule_name(t)) {
            it->pending = t;
            break;
        }
        if (!start) start = t.ptr;
        end = t.ptr + t.len;
    }
    if (!start) return -1;
    *expr = (uv_str){start, (size_t)(end - start)};
    return 1;
}

static bool rules_valid(uv_str rules)
{
    rule_iter it;
    rule_iter_init(&it, rules);
    uv_str name, expr;
    int n = 0, rc;
    while ((rc = rule_next(&it, &name, &expr)) == 1)
        n++;
    return rc == 0 && n > 0;
}

static int reg_of_token(uv_arch arch, uv_str t)
{
    if (t.len == 0 || t.ptr[0] == '.') return -1;
    int reg = uv_arch_reg_by_name(arch, t.ptr, t.len);
    return reg >= 0 && reg < UV_REGS_MAX ? reg : -1;
}

static bool token_is(uv_str t, const char *s)
{
    return uv_str_eq_c(t, s);
}

/* "N +" / "N -" as a signed offset. */
static bool signed_offset(uv_str num, uv_str op, int64_t *out)
{
    uint64_t v;
    if (!parse_literal(num.ptr, num.len, &v)) return false;
    int64_t s = (int64_t)v;
    if (token_is(op, "+")) {
        *out = s;
        return true;
    }
    if (token_is(op, "-") && s != INT64_MIN) {
        *out = -s;
        return true;
    }
    return false;
}

/* The rule an expression stands for: the simple forms dump_syms writes become plain rules,
 * anything else stays a postfix program. */
static uv_cfi_rule classify(uv_arch arch, uv_str expr, bool is_cfa)
{
    uv_cfi_rule postfix = {UV_CFI_POSTFIX, 0, 0, (const uint8_t *)expr.ptr, expr.len};
    if (!is_cfa && uv_str_eq_c(expr, ".undef")) /* no caller: the outermost frame */
        return (uv_cfi_rule){UV_CFI_UNDEFINED, 0, 0, NULL, 0};
    uv_str t[5];
    size_t n = 0;
    cursor c = {expr.ptr, expr.ptr + expr.len};
    for (uv_str tok = next_token(&c); tok.len; tok = next_token(&c)) {
        if (n == 5) return postfix;
        t[n++] = tok;
    }
    int64_t off = 0;
    if (is_cfa) {
        int reg = n > 0 ? reg_of_token(arch, t[0]) : -1;
        if (reg < 0) return postfix;
        if (n == 1) return (uv_cfi_rule){UV_CFI_REGISTER, (uint32_t)reg, 0, NULL, 0};
        if (n == 3 && signed_offset(t[1], t[2], &off))
            return (uv_cfi_rule){UV_CFI_REGISTER, (uint32_t)reg, off, NULL, 0};
        return postfix;
    }
    if (n > 0 && token_is(t[0], ".cfa")) {
        if (n == 1) return (uv_cfi_rule){UV_CFI_VAL_OFFSET, 0, 0, NULL, 0};
        if (n == 2 && token_is(t[1], "^")) return (uv_cfi_rule){UV_CFI_OFFSET, 0, 0, NULL, 0};
        if (n == 3 && signed_offset(t[1], t[2], &off))
            return (uv_cfi_rule){UV_CFI_VAL_OFFSET, 0, off, NULL, 0};
        if (n == 4 && token_is(t[3], "^") && signed_offset(t[1], t[2], &off))
            return (uv_cfi_rule){UV_CFI_OFFSET, 0, off, NULL, 0};
        return postfix;
    }
    if (n == 1) {
        int reg = reg_of_token(arch, t[0]);
        if (reg >= 0) return (uv_cfi_rule){UV_CFI_REGISTER, (uint32_t)reg, 0, NULL, 0};
    }
    return postfix;
}

static void apply_rules(uv_arch arch, uv_str rules, uv_cfi_row *row)
{
    rule_iter it;
    rule_iter_init(&it, rules);
    uv_str name, expr;
    while (rule_next(&it, &name, &expr) == 1) {
        if (token_is(name, ".cfa")) {
            row->cfa = classify(arch, expr, true);
        } else if (token_is(name, ".ra")) {
            row->regs[row->ra_reg] = classify(arch, expr, false);
        } else {
            int reg = reg_of_token(arch, name);
            if (reg >= 0) row->regs[reg] = classify(arch, expr, false);
            /* registers this architecture does not name are ignored, as Breakpad's walker
             * ignores rules for registers it does not track */
        }
    }
}

/* ---- parsing ------------------------------------------------------------------------------ */

typedef struct {
    uv_breakpad *bp;
    size_t line_no;
    int32_t cur_func;      /* index into funcs of the FUNC the next line/INLINE records belong to */
    uint32_t *depth_stack; /* latest INLINE index at each depth within cur_func */
    size_t depth_count, depth_cap;
} parser;

static int bad(parser *ps, const char *record, const char *what)
{
    return fail(UV_ECORRUPT, "breakpad .sym: line %zu: %s: %s", ps->line_no, record, what);
}

static int parse_named(parser *ps, cursor *c, bool origin)
{
    uv_breakpad *bp = ps->bp;
    const char *record = origin ? "INLINE_ORIGIN" : "FILE";
    uint32_t id;
    if (!parse_dec32(next_token(c), &id)) return bad(ps, record, "bad id");
    bp_named *n = origin ? PUSH(bp, origins) : PUSH(bp, files);
    if (!n) return UV_ENOMEM;
    n->id = id;
    n->seq = (uint32_t)(origin ? bp->origins_count : bp->files_count) - 1;
    n->name = rest_of_line(c);
    return 0;
}

static int parse_func(parser *ps, cursor *c)
{
    uv_breakpad *bp = ps->bp;
    uv_str t = next_token(c);
    bool multiple = token_is(t, "m");
    if (multiple) t = next_token(c);
    uint64_t addr, size, param;
    if (!parse_hex(t, &addr)) return bad(ps, "FUNC", "bad address");
    if (!parse_hex(next_token(c), &size)) return bad(ps, "FUNC", "bad size");
    if (addr + size < addr) return bad(ps, "FUNC", "range past the end of the address space");
    if (!parse_hex(next_token(c), &param)) return bad(ps, "FUNC", "bad parameter size");
    bp_func *f = PUSH(bp, funcs);
    if (!f) return UV_ENOMEM;
    f->addr = addr;
    f->size = size;
    f->param_size = (uint32_t)(param > UINT32_MAX ? UINT32_MAX : param);
    f->multiple = multiple;
    f->name = rest_of_line(c);
    f->first_line = (uint32_t)bp->lines_count;
    f->first_inline = (uint32_t)bp->inlines_count;
    ps->cur_func = (int32_t)(bp->funcs_count - 1);
    ps->depth_count = 0;
    return 0;
}

static int parse_line_record(parser *ps, cursor *c, uv_str first)
{
    uv_breakpad *bp = ps->bp;
    if (ps->cur_func < 0) return bad(ps, "line record", "no FUNC before it");
    uint64_t addr, size;
    uint32_t line, file;
    if (!parse_hex(first, &addr)) return bad(ps, "line record", "bad address");
    if (!parse_hex(next_token(c), &size)) return bad(ps, "line record", "bad size");
    if (addr + size < addr)
        return bad(ps, "line record", "range past the end of the address space");
    uv_str lt = next_token(c);
    /* PDB-derived files hold negative "hidden" lines; they read as line 0 */
    if (lt.len > 1 && lt.ptr[0] == '-' && parse_dec32((uv_str){lt.ptr + 1, lt.len - 1}, &line))
        line = 0;
    else if (!parse_dec32(lt, &line))
        return bad(ps, "line record", "bad line number");
    if (!parse_dec32(next_token(c), &file)) return bad(ps, "line record", "bad file number");
    bp_line *l = PUSH(bp, lines);
    if (!l) return UV_ENOMEM;
    *l = (bp_line){addr, size, line, file, (uint32_t)ps->cur_func, (uint32_t)bp->lines_count - 1};
    bp->funcs[ps->cur_func].line_count++;
    return 0;
}

static int parse_inline(parser *ps, cursor *c)
{
    uv_breakpad *bp = ps->bp;
    if (ps->cur_func < 0) return bad(ps, "INLINE", "no FUNC before it");
    uv_str tok[4];
    for (int i = 0; i < 4; i++)
        tok[i] = next_token(c);
    /* count what follows to tell the spellings apart: with call_file, 4 numbers then pairs */
    cursor probe = *c;
    size_t more = 0;
    while (next_token(&probe).len)
        more++;
    bool has_call_file = more % 2 == 0;
    uint32_t depth, call_line, call_file = 0, origin;
    if (!parse_dec32(tok[0], &depth)) return bad(ps, "INLINE", "bad depth");
    if (!parse_dec32(tok[1], &call_line)) return bad(ps, "INLINE", "bad call line");
    if (has_call_file) {
        if (!parse_dec32(tok[2], &call_file)) return bad(ps, "INLINE", "bad call file");
        if (!parse_dec32(tok[3], &origin)) return bad(ps, "INLINE", "bad origin");
    } else {
        if (!parse_dec32(tok[2], &origin)) return bad(ps, "INLINE", "bad origin");
        c->p = tok[3].ptr; /* tok[3] is the first address */
    }
    if (depth > ps->depth_count) return bad(ps, "INLINE", "no enclosing INLINE of depth-1");
    bp_inline *in = PUSH(bp, inlines);
    if (!in) return UV_ENOMEM;
    uint32_t index = (uint32_t)bp->inlines_count - 1;
    in->parent = depth == 0 ? NONE32 : ps->depth_stack[depth - 1];
    in->depth = depth;
    in->call_line = call_line;
    in->call_file = call_file;
    in->has_call_file = has_call_file;
    in->origin = origin;
    in->first_range = (uint32_t)bp->inline_ranges_count;
    for (;;) {
        uv_str a = next_token(c);
        if (a.len == 0) break;
        uint64_t addr, size;
        if (!parse_hex(a, &addr) || !parse_hex(next_token(c), &size))
            return bad(ps, "INLINE", "bad address range");
        if (addr + size < addr) return bad(ps, "INLINE", "range past the end of the address space");
        bp_range *r = PUSH(bp, inline_ranges);
        if (!r) return UV_ENOMEM;
        *r = (bp_range){addr, size};
        bp->inlines[index].range_count++;
    }
    if (bp->inlines[index].range_count == 0) return bad(ps, "INLINE", "no address range");
    bp->funcs[ps->cur_func].inline_count++;
    /* this instance is now the latest at its depth; deeper ones belonged to an earlier one */
    if (depth == ps->depth_count) {
        uint32_t *grown =
            uv_array_grow(ps->depth_stack, &ps->depth_cap, ps->depth_count, sizeof *grown, 16);
        if (!grown) return UV_ENOMEM;
        ps->depth_stack = grown;
    }
    ps->depth_stack[depth] = index;
    ps->depth_count = (size_t)depth + 1;
    return 0;
}

static int parse_public(parser *ps, cursor *c)
{
    uv_breakpad *bp = ps->bp;
    uv_str t = next_token(c);
    if (token_is(t, "m")) t = next_token(c);
    uint64_t addr, param;
    if (!parse_hex(t, &addr)) return bad(ps, "PUBLIC", "bad address");
    if (!parse_hex(next_token(c), &param)) return bad(ps, "PUBLIC", "bad parameter size");
    bp_public *p = PUSH(bp, publics);
    if (!p) return UV_ENOMEM;
    p->addr = addr;
    p->name = rest_of_line(c);
    return 0;
}

static int parse_stack_cfi(parser *ps, cursor *c)
{
    uv_breakpad *bp = ps->bp;
    uv_str t = next_token(c);
    if (token_is(t, "INIT")) {
        uint64_t addr, size;
        if (!parse_hex(next_token(c), &addr)) return bad(ps, "STACK CFI INIT", "bad address");
        if (!parse_hex(next_token(c), &size)) return bad(ps, "STACK CFI INIT", "bad size");
        if (addr + size < addr)
            return bad(ps, "STACK CFI INIT", "range past the end of the address space");
        uv_str rules = rest_of_line(c);
        if (!rules_valid(rules)) return bad(ps, "STACK CFI INIT", "bad rules");
        bp_cfi_init *in = PUSH(bp, inits);
        if (!in) return UV_ENOMEM;
        *in = (bp_cfi_init){addr, size, rules, (uint32_t)bp->inits_count - 1};
        return 0;
    }
    uint64_t addr;
    if (!parse_hex(t, &addr)) return bad(ps, "STACK CFI", "bad address");
    uv_str rules = rest_of_line(c);
    if (!rules_valid(rules)) return bad(ps, "STACK CFI", "bad rules");
    bp_cfi_delta *d = PUSH(bp, deltas);
    if (!d) return UV_ENOMEM;
    *d = (bp_cfi_delta){addr, rules, (uint32_t)bp->deltas_count - 1};
    return 0;
}

static int parse_stack_win(parser *ps, cursor *c)
{
    uv_breakpad *bp = ps->bp;
    uint32_t type, has_program;
    uint64_t rva, size;
    uint32_t f[6];
    if (!parse_hex32(next_token(c), &type) || type > 4) return bad(ps, "STACK WIN", "bad type");
    if (!parse_hex(next_token(c), &rva)) return bad(ps, "STACK WIN", "bad rva");
    if (!parse_hex(next_token(c), &size)) return bad(ps, "STACK WIN", "bad code size");
    if (rva + size < rva) return bad(ps, "STACK WIN", "range past the end of the address space");
    for (int i = 0; i < 6; i++)
        if (!parse_hex32(next_token(c), &f[i])) return bad(ps, "STACK WIN", "bad frame sizes");
    if (!parse_hex32(next_token(c), &has_program))
        return bad(ps, "STACK WIN", "bad has_program_string");
    uv_str program = UV_STR_NULL;
    uint32_t allocates_base_pointer = 0;
    if (has_program) {
        program = rest_of_line(c);
        if (program.len == 0) return bad(ps, "STACK WIN", "missing program string");
    } else if (!parse_hex32(next_token(c), &allocates_base_pointer)) {
        return bad(ps, "STACK WIN", "bad allocates_base_pointer");
    }
    /* only FPO (0) and FrameData (4) records are ever used by Breakpad's walker */
    int kind = type == 0 ? WIN_FPO : type == 4 ? WIN_FRAME_DATA : -1;
    if (kind < 0 || size == 0) return 0;
    bp_win *w = push((void **)&bp->win[kind], &bp->win_count[kind], &bp->win_cap[kind], sizeof *w);
    if (!w) return UV_ENOMEM;
    *w = (bp_win){rva,     size,   f[0],
                  f[1],    f[2],   f[3],
                  f[4],    f[5],   allocates_base_pointer != 0,
                  program, NONE32, (uint32_t)bp->win_count[kind] - 1};
    return 0;
}

static int parse_module(parser *ps, cursor *c)
{
    uv_breakpad_info *info = &ps->bp->info;
    info->os = next_token(c);
    info->arch = next_token(c);
    info->debug_id = next_token(c);
    info->name = rest_of_line(c);
    if (!info->os.len || !info->arch.len || !info->debug_id.len)
        return bad(ps, "MODULE", "expected os, arch, id and name");
    ps->bp->arch = arch_from_word(info->arch);
    return 0;
}

static int parse_record(parser *ps, const char *line, size_t len)
{
    cursor c = {line, line + len};
    uv_str kw = next_token(&c);
    if (kw.len == 0) return 0;
    if (token_is(kw, "FUNC")) return parse_func(ps, &c);
    if (token_is(kw, "STACK")) {
        uv_str kind = next_token(&c);
        if (token_is(kind, "CFI")) return parse_stack_cfi(ps, &c);
        if (token_is(kind, "WIN")) return parse_stack_win(ps, &c);
        return 0;
    }
    if (token_is(kw, "PUBLIC")) return parse_public(ps, &c);
    if (token_is(kw, "INLINE")) return parse_inline(ps, &c);
    if (token_is(kw, "FILE")) return parse_named(ps, &c, false);
    if (token_is(kw, "INLINE_ORIGIN")) return parse_named(ps, &c, true);
    if (token_is(kw, "INFO")) {
        if (token_is(next_token(&c), "CODE_ID")) {
            ps->bp->info.code_id = next_token(&c);
            ps->bp->info.code_file = rest_of_line(&c);
        }
        return 0;
    }
    if (token_is(kw, "MODULE")) return bad(ps, "MODULE", "a second MODULE record");
    if (all_hex(kw)) return parse_line_record(ps, &c, kw);
    return 0; /* a record type this reader does not know */
}

/* ---- sorting and indexing after the pass -------------------------------------------------- */

static int cmp_named(const void *a, const void *b)
{
    const bp_named *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts by id and keeps the first record of each id. */
static void index_named(bp_named *items, size_t *count)
{
    sort_items(items, *count, sizeof *items, cmp_named);
    size_t w = 0;
    for (size_t i = 0; i < *count; i++)
        if (w == 0 || items[w - 1].id != items[i].id) items[w++] = items[i];
    *count = w;
}

static const bp_named *find_named(const bp_named *items, size_t count, uint32_t id)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (items[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < count && items[lo].id == id ? &items[lo] : NULL;
}

static int cmp_line(const void *a, const void *b)
{
    const bp_line *x = a, *y = b;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_u64_pair(uint64_t a, uint64_t b, uint32_t sa, uint32_t sb)
{
    if (a != b) return a < b ? -1 : 1;
    return sa < sb ? -1 : sa > sb;
}

typedef struct {
    uint64_t addr;
    uint32_t index;
} addr_index;

static int cmp_addr_index(const void *a, const void *b)
{
    const addr_index *x = a, *y = b;
    return cmp_u64_pair(x->addr, y->addr, x->index, y->index);
}

static int cmp_init(const void *a, const void *b)
{
    const bp_cfi_init *x = a, *y = b;
    return cmp_u64_pair(x->addr, y->addr, x->seq, y->seq);
}

static int cmp_delta(const void *a, const void *b)
{
    const bp_cfi_delta *x = a, *y = b;
    return cmp_u64_pair(x->addr, y->addr, x->seq, y->seq);
}

static int cmp_win(const void *a, const void *b)
{
    const bp_win *x = a, *y = b;
    if (x->rva != y->rva) return x->rva < y->rva ? -1 : 1;
    if (x->size != y->size) return x->size > y->size ? -1 : 1; /* the containing one first */
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Builds the nesting tree of one kind of STACK WIN records: sorted so that a container comes
 * before what it contains; a record partially overlapping an earlier one, or repeating its
 * range, is dropped (Breakpad's contained range map refuses both). */
static int index_win(uv_breakpad *bp, int kind)
{
    bp_win *w = bp->win[kind];
    size_t n = bp->win_count[kind];
    if (n == 0) return 0;
    sort_items(w, n, sizeof *w, cmp_win);
    uint32_t *stack = malloc(n * sizeof *stack);
    if (!stack) return oom();
    size_t depth = 0, kept = 0;
    for (size_t i = 0; i < n; i++) {
        bp_win r = w[i];
        uint64_t end = r.rva + r.size;
        while (depth > 0 && w[stack[depth - 1]].rva + w[stack[depth - 1]].size <= r.rva)
            depth--;
        if (depth > 0) {
            const bp_win *top = &w[stack[depth - 1]];
            uint64_t top_end = top->rva + top->size;
            if (end > top_end || (top->rva == r.rva && top_end == end)) continue;
        }
        r.parent = depth > 0 ? stack[depth - 1] : NONE32;
        w[kept] = r;
        stack[depth++] = (uint32_t)kept;
        kept++;
    }
    free(stack);
    bp->win_count[kind] = kept;
    return 0;
}

static int finish(uv_breakpad *bp)
{
    index_named(bp->files, &bp->files_count);
    index_named(bp->origins, &bp->origins_count);

    /* lines: already grouped by FUNC (each follows its FUNC); sort each group by address */
    for (size_t i = 0; i < bp->funcs_count; i++) {
        bp_func *f = &bp->funcs[i];
        if (f->line_count > 1)
            sort_items(bp->lines + f->first_line, f->line_count, sizeof *bp->lines, cmp_line);
    }

    /* functions by address, with the furthest end reached so far for overlap-aware search */
    size_t nf = bp->funcs_count;
    addr_index *order = malloc((nf ? nf : 1) * sizeof *order);
    bp->func_order = malloc((nf ? nf : 1) * sizeof *bp->func_order);
    bp->func_reach = malloc((nf ? nf : 1) * sizeof *bp->func_reach);
    if (!order || !bp->func_order || !bp->func_reach) {
        free(order);
        return oom();
    }
    for (size_t i = 0; i < nf; i++)
        order[i] = (addr_index){bp->funcs[i].addr, (uint32_t)i};
    sort_items(order, nf, sizeof *order, cmp_addr_index);
    uint64_t reach = 0;
    for (size_t i = 0; i < nf; i++) {
        const bp_func *f = &bp->funcs[order[i].index];
        bp->func_order[i] = order[i].index;
        if (f->addr + f->size > reach) reach = f->addr + f->size;
        bp->func_reach[i] = reach;
    }
    free(order);

    /* symbols: FUNC and PUBLIC by address, a FUNC winning over a PUBLIC at one address */
    size_t ns = nf + bp->publics_count;
    bp->symbols = malloc((ns ? ns : 1) * sizeof *bp->symbols);
    if (!bp->symbols) return oom();
    size_t pi = 0, w = 0;
    addr_index *pub = malloc((bp->publics_count ? bp->publics_count : 1) * sizeof *pub);
    if (!pub) return oom();
    for (size_t i = 0; i < bp->publics_count; i++)
        pub[i] = (addr_index){bp->publics[i].addr, (uint32_t)i};
    sort_items(pub, bp->publics_count, sizeof *pub, cmp_addr_index);
    size_t fi = 0;
    while (fi < nf || pi < bp->publics_count) {
        bool take_func = pi == bp->publics_count ||
                         (fi < nf && bp->funcs[bp->func_order[fi]].addr <= pub[pi].addr);
        uv_elf_symbol s;
        if (take_func) {
            const bp_func *f = &bp->funcs[bp->func_order[fi++]];
            s = (uv_elf_symbol){f->addr, f->size, f->name};
        } else {
            const bp_public *p = &bp->publics[pub[pi++].index];
            s = (uv_elf_symbol){p->addr, 0, p->name};
        }
        if (w > 0 && bp->symbols[w - 1].addr == s.addr) continue; /* the first one wins */
        bp->symbols[w++] = s;
    }
    bp->symbol_count = w;
    free(pub);

    /* STACK CFI: INITs by address (an INIT overlapping an earlier one is dropped, as
     * Breakpad's range map refuses it), deltas by address */
    sort_items(bp->inits, bp->inits_count, sizeof *bp->inits, cmp_init);
    w = 0;
    for (size_t i = 0; i < bp->inits_count; i++) {
        const bp_cfi_init *in = &bp->inits[i];
        if (in->size == 0) continue;
        if (w > 0 && in->addr < bp->inits[w - 1].addr + bp->inits[w - 1].size) continue;
        bp->inits[w++] = *in;
    }
    bp->inits_count = w;
    sort_items(bp->deltas, bp->deltas_count, sizeof *bp->deltas, cmp_delta);

    for (int k = 0; k < WIN_KINDS; k++) {
        int rc = index_win(bp, k);
        if (rc) return rc;
    }
    return 0;
}

void uv_breakpad_free(uv_breakpad *bp)
{
    if (!bp) return;
    free(bp->files);
    free(bp->origins);
    free(bp->funcs);
    free(bp->func_order);
    free(bp->func_reach);
    free(bp->lines);
    free(bp->inlines);
    free(bp->inline_ranges);
    free(bp->publics);
    free(bp->symbols);
    free(bp->inits);
    free(bp->deltas);
    for (int k = 0; k < WIN_KINDS; k++)
        free(bp->win[k]);
    free(bp);
}

int uv_breakpad_parse(uv_breakpad **out, const void *text, size_t len)
{
    *out = NULL;
    const char *p = text, *end = p + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3; /* a UTF-8 byte order mark */
    if ((size_t)(end - p) < 7 || memcmp(p, "MODULE", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
        return fail(UV_EINVALID, "breakpad .sym: does not start with a MODULE record");
    uv_breakpad *bp = calloc(1, sizeof *bp);
    if (!bp) return oom();
    parser ps = {bp, 0, -1, NULL, 0, 0};
    int rc = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        size_t n = (size_t)(line_end - p);
        if (n > 0 && p[n - 1] == '\r') n--;
        ps.line_no++;
        if (ps.line_no == 1) {
            cursor c = {p + 6, p + n};
            rc = parse_module(&ps, &c);
        } else {
            rc = parse_record(&ps, p, n);
        }
        if (rc) break;
        p = nl ? nl + 1 : end;
    }
    free(ps.depth_stack);
    if (!rc) rc = finish(bp);
    if (rc) {
        uv_breakpad_free(bp);
        return rc;
    }
    *out = bp;
    return 0;
}

const uv_breakpad_info *uv_breakpad_get_info(const uv_breakpad *bp)
{
    return &bp->info;
}

uv_arch uv_breakpad_arch(const uv_breakpad *bp)
{
    return bp->arch;
}

int uv_breakpad_symbols(const uv_breakpad *bp, const uv_elf_symbol **out, size_t *count)
{
    *out = bp->symbols;
    *count = bp->symbol_count;
    return 0;
}

/* ---- lookups ------------------------------------------------------------------------------ */

/* Binary searches: how many elements of a sorted array have a key <= `key`. */
static size_t funcs_upto(const uv_breakpad *bp, uint64_t key)
{
    size_t lo = 0, hi = bp->funcs_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (bp->funcs[bp->func_order[mid]].addr <= key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* How many of `count` records (each `stride` bytes, sorted by an address that is their first
 * member: bp_line.addr, bp_cfi_init.addr, bp_win.rva) start at or below key. */
static size_t records_upto(const void *records, size_t count, size_t stride, uint64_t key)
{
    const char *base = records;
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (*(const uint64_t *)(const void *)(base + mid * stride) <= key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
_Static_assert(offsetof(bp_line, addr) == 0 && offsetof(bp_cfi_init, addr) == 0 &&
                   offsetof(bp_win, rva) == 0,
               "records_upto reads the address at the start of each record");

int uv_breakpad_line_at(const uv_breakpad *bp, uint64_t address, uint64_t *start, uint64_t *size)
{
    size_t k = funcs_upto(bp, address);
    /* walk back over every function that may still reach the address (overlaps are rare) */
    while (k > 0 && bp->func_reach[k - 1] > address) {
        const bp_func *f = &bp->funcs[bp->func_order[--k]];
        if (address - f->addr >= f->size || f->line_count == 0) continue;
        const bp_line *lines = bp->lines + f->first_line;
        size_t j = records_upto(lines, f->line_count, sizeof *lines, address);
        if (j > 0 && address - lines[j - 1].addr < lines[j - 1].size) {
            *start = lines[j - 1].addr;
            *size = lines[j - 1].size;
            return 0;
        }
    }
    return UV_ENOTFOUND;
}

bool uv_breakpad_has_cfi(const uv_breakpad *bp)
{
    return bp->inits_count > 0;
}

bool uv_breakpad_has_win(const uv_breakpad *bp)
{
    return bp->win_count[WIN_FPO] + bp->win_count[WIN_FRAME_DATA] > 0;
}

int uv_breakpad_cfi_find(const uv_breakpad *bp, uint64_t address, uv_cfi_row *row)
{
    size_t k = records_upto(bp->inits, bp->inits_count, sizeof *bp->inits, address);
    if (k == 0) return UV_ENOTFOUND;
    const bp_cfi_init *in = &bp->inits[k - 1];
    if (address - in->addr >= in->size) return UV_ENOTFOUND;
    memset(row, 0, sizeof *row);
    row->ra_reg = (uint32_t)uv_arch_ra(bp->arch);
    row->start = in->addr;
    row->end = in->addr + in->size;
    apply_rules(bp->arch, in->rules, row);
    /* deltas at [init, address], in address order */
    size_t lo = 0, hi = bp->deltas_count;
    while (lo < hi) { /* first delta with addr >= in->addr */
        size_t mid = lo + (hi - lo) / 2;
        if (bp->deltas[mid].addr < in->addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < bp->deltas_count; i++) {
        const bp_cfi_delta *d = &bp->deltas[i];
        if (d->addr > address) {
            if (d->addr < row->end) row->end = d->addr;
            break;
        }
        apply_rules(bp->arch, d->rules, row);
        row->start = d->addr;
    }
    return 0;
}

/* ---- postfix evaluation ------------------------------------------------------------------- */

typedef struct {
    bool is_name;
    uint64_t value;
    const char *name;
    size_t name_len;
} pf_item;

typedef struct {
    uv_arch arch;
    uint64_t mask;
    const uv_regs *regs;
    uv_postfix_var *vars;
    size_t *var_count;
    size_t var_cap;
    const uv_memory *mem;
} pf_ctx;

static uv_postfix_var *find_var(const pf_ctx *x, const char *name, size_t len)
{
    if (!x->vars || !x->var_count) return NULL;
    for (size_t i = 0; i < *x->var_count; i++)
        if (strlen(x->vars[i].name) == len && memcmp(x->vars[i].name, name, len) == 0)
            return &x->vars[i];
    return NULL;
}

static int resolve(const pf_ctx *x, const pf_item *it, uint64_t *out)
{
    if (!it->is_name) {
        *out = it->value;
        return 0;
    }
    const uv_postfix_var *v = find_var(x, it->name, it->name_len);
    if (v) {
        *out = v->value & x->mask;
        return 0;
    }
    if (it->name_len > 0 && it->name[0] != '.') {
        int reg = uv_arch_reg_by_name(x->arch, it->name, it->name_len);
        if (reg >= 0 && x->regs && uv_regs_has(x->regs, reg)) {
            *out = x->regs->r[reg] & x->mask;
            return 0;
        }
    }
    return fail(UV_ENOTFOUND, "postfix: unknown name '%.*s'", (int)it->name_len, it->name);
}

static int assign(const pf_ctx *x, const pf_item *target, uint64_t value)
{
    if (!target->is_name)
        return fail(UV_EINVALID, "postfix: '=' needs a name, found the number %" PRIu64,
                    target->value);
    if (target->name_len >= sizeof x->vars[0].name)
        return fail(UV_EINVALID, "postfix: name '%.*s' is too long", (int)target->name_len,
                    target->name);
    uv_postfix_var *v = find_var(x, target->name, target->name_len);
    if (!v) {
        if (!x->vars || !x->var_count || *x->var_count >= x->var_cap)
            return fail(UV_EINVALID, "postfix: no room for variable '%.*s'", (int)target->name_len,
                        target->name);
        v = &x->vars[(*x->var_count)++];
        memcpy(v->name, target->name, target->name_len);
        v->name[target->name_len] = '\0';
    }
    v->value = value & x->mask;
    return 0;
}

static int eval_token(const pf_ctx *x, pf_item *stack, size_t *depth, const char *t, size_t n)
{
    if (n == 1 && strchr("+-*/%@", t[0])) {
        if (*depth < 2) return fail(UV_EINVALID, "postfix: stack underflow at '%c'", t[0]);
        uint64_t a, b;
        int rc = resolve(x, &stack[*depth - 2], &a);
        if (!rc) rc = resolve(x, &stack[*depth - 1], &b);
        if (rc) return rc;
        uint64_t r = 0;
        switch (t[0]) {
        case '+':
            r = a + b;
            break;
        case '-':
            r = a - b;
            break;
        case '*':
            r = a * b;
            break;
        case '/':
        case '%':
            if (b == 0) return fail(UV_EINVALID, "postfix: division by zero at '%c'", t[0]);
            r = t[0] == '/' ? a / b : a % b;
            break;
        case '@': /* align down to a multiple of b, as Breakpad computes it */
            r = a & ~(b - 1);
            break;
        }
        (*depth)--;
        stack[*depth - 1] = (pf_item){false, r & x->mask, NULL, 0};
        return 0;
    }
    if (n == 1 && t[0] == '^') {
        if (*depth < 1) return fail(UV_EINVALID, "postfix: stack underflow at '^'");
        uint64_t addr, value;
        int rc = resolve(x, &stack[*depth - 1], &addr);
        if (rc) return rc;
        if (!x->mem || !uv_memory_read_ptr(x->mem, x->arch, addr, &value))
            return fail(UV_ENOTFOUND, "postfix: cannot read memory at 0x%" PRIx64 " for '^'", addr);
        stack[*depth - 1] = (pf_item){false, value & x->mask, NULL, 0};
        return 0;
    }
    if (n == 1 && t[0] == '=') {
        if (*depth < 2) return fail(UV_EINVALID, "postfix: stack underflow at '='");
        uint64_t value;
        int rc = resolve(x, &stack[*depth - 1], &value);
        if (!rc) rc = assign(x, &stack[*depth - 2], value);
        if (rc) return rc;
        *depth -= 2;
        return 0;
    }
    if (*depth >= POSTFIX_STACK_MAX)
        return fail(UV_EINVALID, "postfix: more than %d values on the stack at '%.*s'",
                    POSTFIX_STACK_MAX, (int)n, t);
    uint64_t v;
    if (parse_literal(t, n, &v))
        stack[(*depth)++] = (pf_item){false, v & x->mask, NULL, 0};
    else /* a name: resolved when used, so that '=' can assign to it */
        stack[(*depth)++] = (pf_item){true, 0, t, n};
    return 0;
}

/* Runs a program; *left = values left on the stack, *top = the top one resolved (when any). */
static int postfix_run(const pf_ctx *x, const char *expr, size_t len, size_t *left, uint64_t *top)
{
    pf_item stack[POSTFIX_STACK_MAX];
    size_t depth = 0;
    cursor c = {expr, expr + len};
    for (uv_str t = next_token(&c); t.len; t = next_token(&c)) {
        /* MSVC 2010 LTCG writes `=$eip` with the assignment stuck to the next token */
        if (t.len > 1 && t.ptr[0] == '=') {
            int rc = eval_token(x, stack, &depth, "=", 1);
            if (rc) return rc;
            t.ptr++;
            t.len--;
        }
        int rc = eval_token(x, stack, &depth, t.ptr, t.len);
        if (rc) return rc;
    }
    *left = depth;
    *top = 0;
    return depth > 0 ? resolve(x, &stack[depth - 1], top) : 0;
}

int uv_postfix_eval(const char *expr, size_t len, uv_arch arch, const uv_regs *regs,
                    uv_postfix_var *vars, size_t *var_count, size_t var_cap, const uv_memory *mem,
                    uint64_t *result)
{
    pf_ctx x = {arch,      uv_arch_pointer_size(arch) == 4 ? UINT32_MAX : UINT64_MAX,
                regs,      vars,
                var_count, var_cap,
                mem};
    size_t left;
    uint64_t top;
    int rc = postfix_run(&x, expr, len, &left, &top);
    if (rc) return rc;
    if (left > 1)
        return fail(UV_EINVALID, "postfix: %zu values left on the stack in '%.*s'", left,
                    (int)(len > 80 ? 80 : len), expr);
    *result = top;
    return 0;
}

/* ---- STACK WIN ---------------------------------------------------------------------------- */

static const bp_win *find_win(const uv_breakpad *bp, int kind, uint64_t address)
{
    const bp_win *w = bp->win[kind];
    size_t k = records_upto(w, bp->win_count[kind], sizeof *w, address);
    if (k == 0) return NULL;
    /* the innermost record containing the address is this one or one of its containers */
    for (uint32_t i = (uint32_t)(k - 1); i != NONE32; i = w[i].parent)
        if (address - w[i].rva < w[i].size) return &w[i];
    return NULL;
}

static bool var_value(const uv_postfix_var *vars, size_t count, const char *name, uint64_t *out)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(vars[i].name, name) == 0) {
            *out = vars[i].value;
            return true;
        }
    return false;
}

enum { X86_EBX = 3, X86_ESP = 4, X86_EBP = 5, X86_ESI = 6, X86_EDI = 7, X86_EIP = 8 };

/* STACK WIN, as Breakpad's x86 walker evaluates it. The program runs over a dictionary that
 * starts with the callee's $ebp, $esp (and $ebx when known) and the record's constants:
 * .cbSavedRegs, .cbLocals, .cbParams, .cbCalleeParams (the parameter size of the callee's own
 * callee; 0 here, see below) and .raSearchStart = .raSearch = esp + callee params + locals +
 * saved registers (where the return address should be), or ebp + 4 when the program aligns
 * the stack with '@'. It must assign $eip and $esp and leave nothing on the stack; $ebp keeps
 * the callee's value unless assigned; $ebx, $esi and $edi are recovered only when assigned.
 * A record without a program (FPO) gets one of Breakpad's two stock programs:
 *   allocates a frame pointer: eip = [raSearchStart], ebp = [esp + callee params + saved
 *                              regs - 8], esp = raSearchStart + 4
 *   no frame pointer:          eip = [raSearchStart], esp = raSearchStart + 4, ebp and ebx
 *                              pass through.
 * When the recovered ebp does not point at readable memory, the saved-register area is
 * searched from its top for a word that does (Breakpad's frame pointer recovery).
 * Not reproduced, for want of the walk's history and module list: the callee's callee
 * parameter size, and the scans for a return address that Breakpad makes around
 * .raSearchStart when a candidate is not inside a loaded module. */
int uv_breakpad_win_unwind(const uv_breakpad *bp, uint64_t address, const uv_regs *callee,
                           const uv_memory *mem, uv_regs *caller)
{
    /* FrameData records carry programs and are preferred over FPO ones (as Breakpad does) */
    const bp_win *w = find_win(bp, WIN_FRAME_DATA, address);
    if (!w) w = find_win(bp, WIN_FPO, address);
    if (!w) return UV_ENOTFOUND;
    if (!uv_regs_has(callee, X86_ESP))
        return fail(UV_ENOTFOUND, "STACK WIN: the callee's esp is unknown");
    uint32_t esp = (uint32_t)callee->r[X86_ESP];
    bool have_ebp = uv_regs_has(callee, X86_EBP), have_ebx = uv_regs_has(callee, X86_EBX);

    /* the dictionary Breakpad's walker starts from: ebp, esp and ebx when known */
    uv_regs known = {.arch = UV_ARCH_X86};
    uv_regs_set(&known, X86_ESP, esp);
    if (have_ebp) uv_regs_set(&known, X86_EBP, (uint32_t)callee->r[X86_EBP]);
    if (have_ebx) uv_regs_set(&known, X86_EBX, (uint32_t)callee->r[X86_EBX]);

    /* Without the walk's history the callee's callee parameter size is unknown: 0, which is
     * exact for the context frame. */
    const uint32_t callee_params = 0;
    uint32_t ra_search_start = esp + callee_params + w->locals + w->saved_regs;

    char fallback[160];
    const char *program;
    size_t program_len;
    bool recover_ebp = true;
    if (w->program.len) {
        program = w->program.ptr;
        program_len = w->program.len;
    } else if (w->allocates_base_pointer) {
        /* eip above locals and saved registers; ebp saved at the bottom of the saved
         * registers; esp just above the return address */
        program = "$eip .raSearchStart ^ = $ebp $esp .cbCalleeParams + .cbSavedRegs + 8 - ^ = "
                  "$esp .raSearchStart 4 + =";
        program_len = strlen(program);
    } else {
        /* ebp is not used at all: it passes through, and so (usually) does ebx */
        snprintf(fallback, sizeof fallback, "$eip .raSearchStart ^ = $esp .raSearchStart 4 + =%s",
                 have_ebx ? " $ebx $ebx =" : "");
        program = fallback;
        program_len = strlen(program);
        recover_ebp = false;
    }
    /* a program that aligns the stack makes esp-based arithmetic useless: the return
     * address sits above the frame pointer */
    if (have_ebp && memchr(program, '@', program_len))
        ra_search_start = (uint32_t)callee->r[X86_EBP] + 4;

    uv_postfix_var vars[WIN_VARS_MAX];
    size_t var_count = 0;
    const struct {
        const char *name;
        uint32_t value;
    } seed[] = {
        {".cbCalleeParams", callee_params},
        {".cbSavedRegs", w->saved_regs},
        {".cbLocals", w->locals},
        {".cbParams", w->params},
        {".raSearchStart", ra_search_start},
        {".raSearch", ra_search_start},
    };
    for (size_t i = 0; i < sizeof seed / sizeof *seed; i++) {
        snprintf(vars[var_count].name, sizeof vars[var_count].name, "%s", seed[i].name);
        vars[var_count++].value = seed[i].value;
    }
    size_t seeded = var_count;
    pf_ctx x = {UV_ARCH_X86, UINT32_MAX, &known, vars, &var_count, WIN_VARS_MAX, mem};
    size_t left;
    uint64_t top;
    int rc = postfix_run(&x, program, program_len, &left, &top);
    if (rc) return rc == UV_ENOMEM ? rc : UV_ENOTFOUND;
    uint64_t eip, new_esp, ebp;
    if (left != 0 || !var_value(vars + seeded, var_count - seeded, "$eip", &eip) ||
        !var_value(vars + seeded, var_count - seeded, "$esp", &new_esp))
        return fail(UV_ENOTFOUND, "STACK WIN at 0x%" PRIx64 ": the program sets no $eip/$esp",
                    address);
    bool ebp_known = var_value(vars + seeded, var_count - seeded, "$ebp", &ebp);
    if (!ebp_known && have_ebp) {
        ebp = (uint32_t)callee->r[X86_EBP];
        ebp_known = true;
    }

    /* When the recovered ebp does not point at readable memory, look for a saved frame
     * pointer in the saved-register area, from its top down. */
    uint32_t probe;
    if (recover_ebp && ebp_known && (eip != 0 || ebp != 0) &&
        !uv_memory_read_u32(mem, ebp, &probe)) {
        uint64_t location_end = (uint64_t)esp + callee_params;
        for (uint64_t location = location_end + w->saved_regs; location >= location_end;
             location -= 4) {
            uint32_t candidate;
            if (location > UINT32_MAX || !uv_memory_read_u32(mem, location, &candidate)) break;
            if (uv_memory_read_u32(mem, candidate, &probe)) {
                ebp = candidate;
                break;
            }
            if (location < 4) break;
        }
    }

    uv_regs r = {.arch = UV_ARCH_X86};
    uv_regs_set(&r, X86_EIP, eip & UINT32_MAX);
    uv_regs_set(&r, X86_ESP, new_esp & UINT32_MAX);
    if (ebp_known) uv_regs_set(&r, X86_EBP, ebp & UINT32_MAX);
    static const struct {
        const char *name;
        int reg;
    } saved[] = {{"$ebx", X86_EBX}, {"$esi", X86_ESI}, {"$edi", X86_EDI}};
    for (size_t i = 0; i < sizeof saved / sizeof *saved; i++) {
        uint64_t v;
        if (var_value(vars + seeded, var_count - seeded, saved[i].name, &v))
            uv_regs_set(&r, saved[i].reg, v & UINT32_MAX);
    }
    *caller = r;
    return 0;
}

/* ---- the debug-info model ----------------------------------------------------------------- */

typedef struct {
    const uv_breakpad *bp;
    uv_di_builder *b;
    uint32_t *file_di;   /* per FILE record: its model index, NONE32 until interned */
    uint32_t *origin_di; /* per INLINE_ORIGIN record */
    uint32_t unknown_file, unknown_name;
} di_ctx;

/* The model index of a FILE id (interned on first use; an id with no FILE record becomes an
 * empty path, which lookups print as an unknown file). */
static int di_file(di_ctx *x, uint32_t id, uint32_t *out)
{
    const bp_named *n = find_named(x->bp->files, x->bp->files_count, id);
    uint32_t *slot = n ? &x->file_di[n - x->bp->files] : &x->unknown_file;
    if (*slot == NONE32) {
        int rc = uv_di_builder_file(x->b, n ? n->name : (uv_str){"", 0}, slot);
        if (rc) return rc;
    }
    *out = *slot;
    return 0;
}

static int di_origin(di_ctx *x, uint32_t id, uint32_t *out)
{
    const bp_named *n = find_named(x->bp->origins, x->bp->origins_count, id);
    uint32_t *slot = n ? &x->origin_di[n - x->bp->origins] : &x->unknown_name;
    if (*slot == NONE32) {
        int rc = uv_di_builder_name(x->b, n ? n->name : (uv_str){"", 0}, slot);
        if (rc) return rc;
    }
    *out = *slot;
    return 0;
}

static int di_functions(di_ctx *x, uint32_t *inline_di)
{
    const uv_breakpad *bp = x->bp;
    for (size_t i = 0; i < bp->funcs_count; i++) {
        const bp_func *f = &bp->funcs[i];
        uv_di_func df = {0, UV_DI_NONE, UV_DI_NONE, 0, 0, 0};
        uint32_t fdi;
        int rc = uv_di_builder_name(x->b, f->name, &df.name);
        if (!rc) rc = uv_di_builder_func(x->b, &df, &fdi);
        if (!rc && f->size) rc = uv_di_builder_range(x->b, f->addr, f->addr + f->size, fdi);
        if (rc) return rc;
        for (uint32_t j = 0; j < f->inline_count; j++) {
            uint32_t index = f->first_inline + j;
            const bp_inline *in = &bp->inlines[index];
            uv_di_func di = {0,          in->parent == NONE32 ? fdi : inline_di[in->parent],
                             UV_DI_NONE, in->call_line,
                             0,          in->depth + 1};
            if (in->has_call_file) rc = di_file(x, in->call_file, &di.call_file);
            if (!rc) rc = di_origin(x, in->origin, &di.name);
            if (!rc) rc = uv_di_builder_func(x->b, &di, &inline_di[index]);
            for (uint32_t k = 0; !rc && k < in->range_count; k++) {
                const bp_range *r = &bp->inline_ranges[in->first_range + k];
                if (r->size)
                    rc = uv_di_builder_range(x->b, r->addr, r->addr + r->size, inline_di[index]);
            }
            if (rc) return rc;
        }
    }
    return 0;
}

/* Line records in address order become rows; where a record's end is not the next record's
 * start an end-of-sequence marker closes it. Overlapping records (identical code folded into
 * several FUNCs) keep the first. */
static int di_rows(di_ctx *x)
{
    const uv_breakpad *bp = x->bp;
    size_t n = bp->lines_count;
    addr_index *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) return oom();
    for (size_t i = 0; i < n; i++)
        order[i] = (addr_index){bp->lines[i].addr, (uint32_t)i};
    sort_items(order, n, sizeof *order, cmp_addr_index);
    bool open = false;
    uint64_t prev_end = 0;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        const bp_line *l = &bp->lines[order[i].index];
        if (l->size == 0 || (open && l->addr < prev_end)) continue;
        if (open && prev_end != l->addr) rc = uv_di_builder_row(x->b, prev_end, UV_DI_NONE, 0, 0);
        uint32_t file;
        if (!rc) rc = di_file(x, l->file, &file);
        if (!rc) rc = uv_di_builder_row(x->b, l->addr, file, l->line, 0);
        open = true;
        prev_end = l->addr + l->size;
    }
    if (!rc && open) rc = uv_di_builder_row(x->b, prev_end, UV_DI_NONE, 0, 0);
    free(order);
    return rc;
}

int uv_breakpad_debuginfo(const uv_breakpad *bp, uv_debuginfo **out)
{
    *out = NULL;
    di_ctx x = {bp, NULL, NULL, NULL, NONE32, NONE32};
    int rc = uv_di_builder_new(&x.b);
    if (rc) return rc;
    x.file_di = malloc((bp->files_count ? bp->files_count : 1) * sizeof *x.file_di);
    x.origin_di = malloc((bp->origins_count ? bp->origins_count : 1) * sizeof *x.origin_di);
    uint32_t *inline_di = malloc((bp->inlines_count ? bp->inlines_count : 1) * sizeof *inline_di);
    if (!x.file_di || !x.origin_di || !inline_di) {
        rc = oom();
    } else {
        memset(x.file_di, 0xff, bp->files_count * sizeof *x.file_di);
        memset(x.origin_di, 0xff, bp->origins_count * sizeof *x.origin_di);
        rc = di_functions(&x, inline_di);
        if (!rc) rc = di_rows(&x);
    }
    free(x.file_di);
    free(x.origin_di);
    free(inline_di);
    if (rc) {
        uv_di_builder_free(x.b);
        return rc;
    }
    return uv_di_builder_finish(x.b, out);
}

/* ---- writing ------------------------------------------------------------------------------ */

typedef struct {
    uv_buf *out;
    const uv_debuginfo *di;
    uint64_t load;
    uv_arch arch;
    uv_arena *arena;         /* demangled names */
    const char **demangled;  /* per model name, NULL until demangled */
    uint32_t *file_id;       /* per model file: its FILE id; NONE32 when unused */
    uint32_t *origin_id;     /* per model name: its INLINE_ORIGIN id; NONE32 when unused */
    uint32_t unknown_file;   /* an id with no FILE record, for unknown call files */
    uint32_t unknown_origin; /* an id with no INLINE_ORIGIN record, for nameless instances */
    bool collect;            /* first pass: only mark the files and origins used */
    uint32_t *child_start;   /* funcs grouped by parent: children of f are */
    uint32_t *children;      /*   children[child_start[f] .. child_start[f+1]) */
    uint32_t *range_start;   /* ranges grouped by func, sorted by low */
    uint32_t *ranges_of;
    uint32_t *stack; /* DFS over inline trees: (func, depth) pairs */
    int rc;
} writer;

#define MARK_USED 0u

/* Appends a name with line breaks blanked (a name must stay on its record's line). */
static int put_name(uv_buf *b, const char *s, size_t len)
{
    uint8_t *dst = uv_buf_reserve(b, len);
    if (!dst) return UV_ENOMEM;
    for (size_t i = 0; i < len; i++)
        dst[i] = s[i] == '\n' || s[i] == '\r' ? ' ' : (uint8_t)s[i];
    b->len += len;
    return 0;
}

static uv_str display_name(writer *w, uint32_t name)
{
    if (name >= w->di->name_count || w->di->names[name].len == 0) return uv_str_c("<name omitted>");
    if (!w->demangled[name]) {
        uv_str raw = w->di->names[name];
        const char *d = uv_demangle(raw.ptr, raw.len, w->arena);
        w->demangled[name] = d ? d : "";
    }
    return w->demangled[name][0] ? uv_str_c(w->demangled[name]) : w->di->names[name];
}

static uint32_t out_file(writer *w, uint32_t file)
{
    if (file >= w->di->file_count) return w->unknown_file;
    if (w->collect) w->file_id[file] = MARK_USED;
    return w->file_id[file];
}

static uint32_t out_origin(writer *w, uint32_t name)
{
    if (name >= w->di->name_count) return w->unknown_origin;
    if (w->collect) w->origin_id[name] = MARK_USED;
    return w->origin_id[name];
}

static void emit(writer *w, int rc)
{
    if (rc && !w->rc) w->rc = rc;
}

/* INLINE records of the instances inside concrete function `root` over [lo, hi), parents
 * before children (a reader takes the latest INLINE of depth-1 as the parent). */
static void write_inlines(writer *w, uint32_t root, uint64_t lo, uint64_t hi)
{
    size_t sp = 0;
    for (uint32_t c = w->child_start[root + 1]; c-- > w->child_start[root];) {
        w->stack[sp++] = w->children[c];
        w->stack[sp++] = 0;
    }
    while (sp > 0 && !w->rc) {
        uint32_t depth = w->stack[--sp], f = w->stack[--sp];
        bool any = false;
        for (uint32_t i = w->range_start[f]; i < w->range_start[f + 1]; i++) {
            const uv_di_range *r = &w->di->ranges[w->ranges_of[i]];
            uint64_t a = r->low > lo ? r->low : lo, b = r->high < hi ? r->high : hi;
            if (a >= b) continue;
            const uv_di_func *fn = &w->di->funcs[f];
            if (!any && !w->collect)
                emit(w, uv_buf_printf(w->out, "INLINE %" PRIu32 " %" PRIu32 " %" PRIu32 " %" PRIu32,
                                      depth, fn->call_line,
                                      fn->call_file == UV_DI_NONE ? w->unknown_file
                                                                  : out_file(w, fn->call_file),
                                      out_origin(w, fn->name)));
            if (w->collect) {
                if (fn->call_file != UV_DI_NONE) out_file(w, fn->call_file);
                out_origin(w, fn->name);
            } else {
                emit(w, uv_buf_printf(w->out, " %" PRIx64 " %" PRIx64, a - w->load, b - a));
            }
            any = true;
        }
        if (!any) continue; /* not in this range: neither are its children */
        if (!w->collect) emit(w, uv_buf_append(w->out, "\n", 1));
        for (uint32_t c = w->child_start[f + 1]; c-- > w->child_start[f];) {
            w->stack[sp++] = w->children[c];
            w->stack[sp++] = depth + 1;
        }
    }
}

/* Line records: the model's rows clipped to [lo, hi). */
static void write_lines(writer *w, uint64_t lo, uint64_t hi)
{
    const uv_debuginfo *di = w->di;
    size_t l = 0, h = di->row_count;
    while (l < h) { /* rows with address <= lo */
        size_t mid = l + (h - l) / 2;
        if (di->rows[mid].address <= lo)
            l = mid + 1;
        else
            h = mid;
    }
    for (size_t i = l > 0 ? l - 1 : 0; i < di->row_count && di->rows[i].address < hi; i++) {
        const uv_di_row *row = &di->rows[i];
        if (row->file == UV_DI_NONE) continue;
        uint64_t a = row->address > lo ? row->address : lo;
        uint64_t b = i + 1 < di->row_count ? di->rows[i + 1].address : hi;
        if (b > hi) b = hi;
        if (a >= b) continue;
        uint32_t file = out_file(w, row->file);
        if (!w->collect)
            emit(w, uv_buf_printf(w->out, "%" PRIx64 " %" PRIx64 " %" PRIu32 " %" PRIu32 "\n",
                                  a - w->load, b - a, row->line, file));
    }
}

typedef struct {
    uint64_t low, high;
    uint32_t func;
} concrete_range;

static int cmp_concrete(const void *a, const void *b)
{
    const concrete_range *x = a, *y = b;
    if (x->low != y->low) return x->low < y->low ? -1 : 1;
    if (x->high != y->high) return x->high > y->high ? -1 : 1;
    return x->func < y->func ? -1 : x->func > y->func;
}

static void write_functions(writer *w, const concrete_range *cr, size_t n)
{
    for (size_t i = 0; i < n && !w->rc; i++) {
        if (i > 0 && cr[i].low == cr[i - 1].low) continue; /* folded: written once, as `m` */
        bool multiple = i + 1 < n && cr[i + 1].low == cr[i].low;
        if (!w->collect) {
            uv_str name = display_name(w, w->di->funcs[cr[i].func].name);
            emit(w, uv_buf_printf(w->out, "FUNC %s%" PRIx64 " %" PRIx64 " 0 ", multiple ? "m " : "",
                                  cr[i].low - w->load, cr[i].high - cr[i].low));
            emit(w, put_name(w->out, name.ptr, name.len));
            emit(w, uv_buf_append(w->out, "\n", 1));
        }
        write_inlines(w, cr[i].func, cr[i].low, cr[i].high);
        write_lines(w, cr[i].low, cr[i].high);
    }
}

typedef struct {
    uv_str key;
    uint32_t index;
} sort_name;

static int cmp_sort_name(const void *a, const void *b)
{
    const sort_name *x = a, *y = b;
    size_t n = x->key.len < y->key.len ? x->key.len : y->key.len;
    int c = n ? memcmp(x->key.ptr, y->key.ptr, n) : 0;
    if (c) return c;
    if (x->key.len != y->key.len) return x->key.len < y->key.len ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Numbers the used files (or origins) in name order, as dump_syms does, and writes their
 * records. */
static int number_and_write(writer *w, uint32_t *ids, size_t count, bool origins)
{
    size_t used = 0;
    for (size_t i = 0; i < count; i++)
        used += ids[i] == MARK_USED;
    sort_name *s = malloc((used ? used : 1) * sizeof *s);
    if (!s) return oom();
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        if (ids[i] == MARK_USED)
            s[n++] =
                (sort_name){origins ? display_name(w, (uint32_t)i) : w->di->files[i], (uint32_t)i};
    sort_items(s, n, sizeof *s, cmp_sort_name);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        ids[s[i].index] = (uint32_t)i;
        rc = uv_buf_printf(w->out, "%s %zu ", origins ? "INLINE_ORIGIN" : "FILE", i);
        if (!rc) rc = put_name(w->out, s[i].key.ptr, s[i].key.len);
        if (!rc) rc = uv_buf_append(w->out, "\n", 1);
    }
    if (origins)
        w->unknown_origin = (uint32_t)n;
    else
        w->unknown_file = (uint32_t)n;
    free(s);
    return rc;
}

/* Groups items 0..count-1 by key[i] < groups (a stable counting sort, visiting the items in
 * `order` when given): the items of group g are items[start[g] .. start[g+1]). Items with a
 * key out of range are left out. */
static int group_by(uint32_t **start_out, uint32_t **items_out, size_t groups, size_t count,
                    const uint32_t *key, const addr_index *order)
{
    uint32_t *start = calloc(groups + 2, sizeof *start);
    uint32_t *items = malloc((count ? count : 1) * sizeof *items);
    if (!start || !items) {
        free(start);
        free(items);
        return oom();
    }
    for (size_t i = 0; i < count; i++)
        if (key[i] < groups) start[key[i] + 2]++;
    for (size_t g = 0; g < groups; g++)
        start[g + 2] += start[g + 1];
    for (size_t p = 0; p < count; p++) {
        uint32_t i = order ? order[p].index : (uint32_t)p;
        if (key[i] < groups) items[start[key[i] + 1]++] = i;
    }
    *start_out = start;
    *items_out = items;
    return 0;
}

/* STACK CFI records: the register name as dump_syms spells it (x86: "$rbx", arm64: "x19";
 * the return-address column is ".ra"). */
static bool reg_label(uv_arch arch, uint32_t reg, uint32_t ra_reg, char *out, size_t size)
{
    if (reg == ra_reg) {
        snprintf(out, size, ".ra");
        return true;
    }
    const char *name = uv_arch_reg_name(arch, (int)reg);
    if (!name) return false;
    snprintf(out, size, "%s%s", arch == UV_ARCH_ARM64 ? "" : "$", name);
    return true;
}

static bool rule_eq(const uv_cfi_rule *a, const uv_cfi_rule *b)
{
    return a->kind == b->kind && a->reg == b->reg && a->offset == b->offset &&
           a->expr_len == b->expr_len &&
           (a->expr_len == 0 || memcmp(a->expr, b->expr, a->expr_len) == 0);
}

static bool render_reg(uv_arch arch, const uv_cfi_row *row, uint32_t reg, char *out, size_t size)
{
    const uv_cfi_rule *r = &row->regs[reg];
    if (r->kind == UV_CFI_UNSPECIFIED) return false;
    /* ".undef" only for the return address: the outermost frame (other readers' walkers
     * may give up on a rule they cannot evaluate) */
    if (r->kind == UV_CFI_UNDEFINED && reg != row->ra_reg) return false;
    if (r->kind == UV_CFI_SAME) {
        const char *name = uv_arch_reg_name(arch, (int)reg);
        if (!name) return false;
        snprintf(out, size, "%s%s", arch == UV_ARCH_ARM64 ? "" : "$", name);
        return true;
    }
    return uv_cfi_rule_postfix(arch, r, false, out, size);
}

typedef struct {
    writer *w;
    uv_buf line; /* one record being assembled */
} cfi_writer;

/* Appends " name: rule" for every register whose rule differs from `prev` (all of them when
 * prev is NULL), the return address first; returns how many. */
static size_t cfi_regs(cfi_writer *cw, const uv_cfi_row *row, const uv_cfi_row *prev)
{
    writer *w = cw->w;
    size_t written = 0;
    char text[256], label[24];
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t reg = 0; reg < UV_REGS_MAX; reg++) {
            if ((pass == 0) != (reg == row->ra_reg)) continue;
            if (prev && rule_eq(&prev->regs[reg], &row->regs[reg])) continue;
            if (!render_reg(w->arch, row, reg, text, sizeof text)) continue;
            if (!reg_label(w->arch, reg, row->ra_reg, label, sizeof label)) continue;
            emit(w, uv_buf_printf(&cw->line, " %s: %s", label, text));
            written++;
        }
    }
    return written;
}

static int write_fde(void *ctx, uint64_t start, uint64_t size, const uv_cfi_row *rows,
                     size_t row_count)
{
    cfi_writer *cw = ctx;
    writer *w = cw->w;
    if (start < w->load || size == 0 || start + size < start) return 0;
    const uv_cfi_row *prev = NULL;
    char cfa[256];
    for (size_t i = 0; i < row_count && !w->rc; i++) {
        const uv_cfi_row *row = &rows[i];
        if (row->start < start || row->start - start >= size) continue;
        if (!uv_cfi_rule_postfix(w->arch, &row->cfa, true, cfa, sizeof cfa)) continue;
        cw->line.len = 0;
        size_t rules = 0;
        if (!prev) {
            emit(w, uv_buf_printf(&cw->line, "STACK CFI INIT %" PRIx64 " %" PRIx64 " .cfa: %s",
                                  row->start - w->load, start + size - row->start, cfa));
            rules = 1;
        } else {
            emit(w, uv_buf_printf(&cw->line, "STACK CFI %" PRIx64, row->start - w->load));
            if (!rule_eq(&prev->cfa, &row->cfa)) {
                emit(w, uv_buf_printf(&cw->line, " .cfa: %s", cfa));
                rules++;
            }
        }
        rules += cfi_regs(cw, row, prev);
        prev = row;
        if (rules == 0) continue; /* nothing this format can say changed here */
        emit(w, uv_buf_append(&cw->line, "\n", 1));
        emit(w, uv_buf_append(w->out, cw->line.data, cw->line.len));
    }
    return w->rc;
}

static int write_publics(writer *w, const concrete_range *cr, size_t cr_count,
                         const uv_elf_symbol *symbols, size_t symbol_count)
{
    uint64_t *reach = malloc((cr_count ? cr_count : 1) * sizeof *reach);
    addr_index *order = malloc((symbol_count ? symbol_count : 1) * sizeof *order);
    if (!reach || !order) {
        free(reach);
        free(order);
        return oom();
    }
    for (size_t i = 0; i < cr_count; i++)
        reach[i] = i > 0 && reach[i - 1] > cr[i].high ? reach[i - 1] : cr[i].high;
    size_t n = 0;
    for (size_t i = 0; i < symbol_count; i++)
        if (symbols[i].addr >= w->load && symbols[i].name.len > 0)
            order[n++] = (addr_index){symbols[i].addr, (uint32_t)i};
    sort_items(order, n, sizeof *order, cmp_addr_index);
    for (size_t i = 0; i < n && !w->rc; i++) {
        uint64_t addr = order[i].addr;
        if (i > 0 && order[i - 1].addr == addr) continue;
        size_t lo = 0, hi = cr_count;
        while (lo < hi) { /* concrete ranges starting at or below addr */
            size_t mid = lo + (hi - lo) / 2;
            if (cr[mid].low <= addr)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo > 0 && reach[lo - 1] > addr) continue; /* a FUNC covers it */
        const uv_elf_symbol *s = &symbols[order[i].index];
        const char *d = uv_demangle(s->name.ptr, s->name.len, w->arena);
        uv_str name = d ? uv_str_c(d) : s->name;
        emit(w, uv_buf_printf(w->out, "PUBLIC %" PRIx64 " 0 ", addr - w->load));
        emit(w, put_name(w->out, name.ptr, name.len));
        emit(w, uv_buf_append(w->out, "\n", 1));
    }
    free(reach);
    free(order);
    return w->rc;
}

static bool header_field_ok(const char *s)
{
    if (!s || !*s) return false;
    for (; *s; s++)
        if (*s == '\n' || *s == '\r') return false;
    return true;
}

/* Indexes the model for writing: children by parent, ranges by function (by address), and
 * the concrete functions' ranges in address order. */
static int writer_setup(writer *w, concrete_range **cr_out, size_t *cr_count)
{
    const uv_debuginfo *di = w->di;
    size_t nf = di->func_count, nr = di->range_count;
    w->demangled = calloc(di->name_count ? di->name_count : 1, sizeof *w->demangled);
    w->file_id = malloc((di->file_count ? di->file_count : 1) * sizeof *w->file_id);
    w->origin_id = malloc((di->name_count ? di->name_count : 1) * sizeof *w->origin_id);
    w->stack = malloc((2 * nf + 2) * sizeof *w->stack);
    uint32_t *key = malloc(((nf > nr ? nf : nr) + 1) * sizeof *key);
    addr_index *order = malloc((nr ? nr : 1) * sizeof *order);
    concrete_range *cr = malloc((nr ? nr : 1) * sizeof *cr);
    int rc = 0;
    if (!w->demangled || !w->file_id || !w->origin_id || !w->stack || !key || !order || !cr) {
        rc = oom();
        goto done;
    }
    memset(w->file_id, 0xff, di->file_count * sizeof *w->file_id);
    memset(w->origin_id, 0xff, di->name_count * sizeof *w->origin_id);
    for (size_t f = 0; f < nf; f++) /* a self-parent or a bad index is no parent */
        key[f] =
            di->funcs[f].parent < nf && di->funcs[f].parent != f ? di->funcs[f].parent : NONE32;
    rc = group_by(&w->child_start, &w->children, nf, nf, key, NULL);
    if (rc) goto done;
    size_t n = 0;
    for (size_t i = 0; i < nr; i++) {
        const uv_di_range *r = &di->ranges[i];
        key[i] = r->func < nf ? r->func : NONE32;
        order[i] = (addr_index){r->low, (uint32_t)i};
        if (r->func < nf && di->funcs[r->func].parent == UV_DI_NONE && r->low < r->high &&
            r->low >= w->load)
            cr[n++] = (concrete_range){r->low, r->high, r->func};
    }
    sort_items(order, nr, sizeof *order, cmp_addr_index);
    rc = group_by(&w->range_start, &w->ranges_of, nf, nr, key, order);
    if (rc) goto done;
    sort_items(cr, n, sizeof *cr, cmp_concrete);
    *cr_out = cr;
    *cr_count = n;
    cr = NULL;
done:
    free(key);
    free(order);
    free(cr);
    return rc;
}

int uv_breakpad_write(uv_buf *out, const uv_breakpad_header *header, const uv_debuginfo *di,
                      const uv_elf_symbol *symbols, size_t symbol_count, const uv_cfi *cfi,
                      uint64_t load_vaddr)
{
    if (!header || !header_field_ok(header->os) || !header_field_ok(header->arch) ||
        !header_field_ok(header->debug_id) || !header_field_ok(header->name))
        return fail(UV_EINVALID, "breakpad write: MODULE needs an os, arch, debug id and name");
    uv_debuginfo empty;
    memset(&empty, 0, sizeof empty);
    writer w;
    memset(&w, 0, sizeof w);
    w.out = out;
    w.di = di ? di : &empty;
    w.load = load_vaddr;
    w.arch = arch_from_word(uv_str_c(header->arch));
    int rc = uv_arena_new(&w.arena);
    if (rc) return rc;
    concrete_range *cr = NULL;
    size_t cr_count = 0;
    rc = writer_setup(&w, &cr, &cr_count);
    if (!rc)
        rc = uv_buf_printf(out, "MODULE %s %s %s %s\n", header->os, header->arch, header->debug_id,
                           header->name);
    if (!rc && header_field_ok(header->code_id))
        rc = uv_buf_printf(out, "INFO CODE_ID %s\n", header->code_id);
    if (!rc) { /* first pass: which files and origins are used */
        w.collect = true;
        write_functions(&w, cr, cr_count);
        w.collect = false;
        rc = w.rc;
    }
    if (!rc) rc = number_and_write(&w, w.file_id, w.di->file_count, false);
    if (!rc) rc = number_and_write(&w, w.origin_id, w.di->name_count, true);
    if (!rc) {
        write_functions(&w, cr, cr_count);
        rc = w.rc;
    }
    if (!rc) rc = write_publics(&w, cr, cr_count, symbols, symbol_count);
    if (!rc && cfi) {
        cfi_writer cw = {&w, UV_BUF_INIT};
        rc = uv_cfi_each_fde(cfi, write_fde, &cw);
        if (!rc) rc = w.rc;
        uv_buf_free(&cw.line);
    }
    free(cr);
    free(w.demangled);
    free(w.file_id);
    free(w.origin_id);
    free(w.stack);
    free(w.child_start);
    free(w.children);
    free(w.range_start);
    free(w.ranges_of);
    uv_arena_free(w.arena);
    return rc;
}
