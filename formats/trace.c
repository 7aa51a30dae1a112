/* Stack traces as they arrive, read into one model (formats/trace.h).
 *
 * Three inputs:
 *  - Rollbar item payload (JSON): data.body.trace | trace_chain | message. Rollbar lists
 *    frames oldest first ("most recent call last"); we reverse them so the throwing frame
 *    comes first. Columns are 1-based except from rollbar.js's Node notifier
 *    (data.notifier.name "node_rollbar"), which sends V8's column minus one.
 *  - Raygun entry (JSON): details.error with stackTrace (innermost first) and a chain of
 *    innerError / innerErrors. Keys are matched case-insensitively at every level because
 *    raygun4node sends camelCase and raygun4js PascalCase.
 *  - Text: V8/Node (`    at fn (url:line:col)`) and Firefox/Safari (`fn@url:line:col`) frame
 *    lines, grouped into one exception per run of frames, each named by the nearest
 *    `Name: message` line before it. Every input line is kept so output can echo it.
 *
 * Every string and array of the model lives in one arena (the document's when the trace owns
 * one); JSON strings point into the payload's jv document (formats/jv.h), which the trace owns
 * when uv_trace_parse parsed the text (with a copy of the text, which the document's spans
 * refer to) and borrows from the caller of uv_trace_parse_jv. Paths for error messages
 * ("data.body.trace.frames[3].lineno") are formatted only when an error is reported.
 * docs/trace-formats.md is the user-facing page. */
#include "formats/trace.h"

#include "formats/arena.h"
#include "formats/error.h"
#include "formats/jv.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ceilings. 64 MiB is far above any real trace or payload and bounds what one call parses. */
#define TRACE_MAX_INPUT ((size_t)64 << 20)
/* V8 keeps 10 frames by default and Error.stackTraceLimit rarely goes past a few thousand;
 * 100,000 frames per exception and 1,000 exceptions leave room for any real trace while
 * bounding the model's memory. */
#define TRACE_MAX_FRAMES 100000u
#define TRACE_MAX_EXCEPTIONS 1000u
/* Text input keeps a pointer per line: 4 Mi lines is 32 MiB of pointers, far more lines
 * than any trace (a 64 MiB input would need 16-byte lines on average to hit it). */
#define TRACE_MAX_LINES ((size_t)4 << 20)
/* Positions are stored 0-based in uint32 but callers compare them with int32 source-map
 * units: a 0-based line or column must be below 2^31, otherwise the frame has no position. */
#define TRACE_MAX_POSITION ((uint64_t)1 << 31)
/* Raygun innerError chains are a few deep; 64 stops hostile nesting early. */
#define RAYGUN_MAX_DEPTH 64
/* `eval at f (eval at g (…))` nests once per eval level; real traces have one or two. The
 * bound keeps a hostile line from costing more than a few passes over it. */
#define EVAL_MAX_DEPTH 16

typedef struct {
    uv_trace trace;       /* first member: uv_trace_free converts back */
    uv_arena *arena;      /* the document's when owned_doc */
    uv_jv_doc *owned_doc; /* the document uv_trace_parse parsed, or NULL */
} trace_box;

static const char empty_string[] = "";

/* ---------------------------------------------------------------------------------------- */
/* Small view helpers                                                                        */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static uv_str trim(uv_str s)
{
    while (s.len && is_space(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len && is_space(s.ptr[s.len - 1]))
        s.len--;
    return s;
}

static uv_str sub(uv_str s, size_t from, size_t to)
{
    return (uv_str){s.ptr + from, to - from};
}

static bool consume_prefix(uv_str *s, const char *prefix)
{
    if (!uv_str_starts_with(*s, prefix)) return false;
    size_t n = strlen(prefix);
    s->ptr += n;
    s->len -= n;
    return true;
}

static bool ends_with(uv_str s, const char *suffix)
{
    size_t n = strlen(suffix);
    return s.len >= n && memcmp(s.ptr + s.len - n, suffix, n) == 0;
}

/* Index of `needle` in `s` or SIZE_MAX. */
static size_t find(uv_str s, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0 || s.len < n) return SIZE_MAX;
    for (size_t i = 0; i + n <= s.len; i++) {
        if (s.ptr[i] == needle[0] && memcmp(s.ptr + i, needle, n) == 0) return i;
    }
    return SIZE_MAX;
}

/* Decimal digits to a number, saturating just above what any position may hold. */
static uint64_t parse_digits(uv_str digits)
{
    uint64_t v = 0;
    for (size_t i = 0; i < digits.len; i++) {
        v = v * 10 + (uint64_t)(digits.ptr[i] - '0');
        if (v > ((uint64_t)1 << 40)) return (uint64_t)1 << 40;
    }
    return v;
}

/* ---------------------------------------------------------------------------------------- */
/* Frame lines                                                                               */

/* A frame as printed: views into the line, 1-based positions (0 = absent). */
typedef struct {
    uv_str function;
    uv_str url;
    uint64_t line, column;
    bool has_line, has_column, is_native;
    /* Native lines: url is the module, function the symbol (glibc) or function (gdb). */
    bool has_address, has_module_offset, has_symbol;
    uint64_t address, module_offset;
    int64_t symbol_offset;
} line_frame;

static bool is_native_marker(uv_str s)
{
    if (uv_str_eq_c(s, "native") || uv_str_eq_c(s, "<anonymous>") ||
        uv_str_eq_c(s, "[native code]") || uv_str_eq_c(s, "native code") ||
        uv_str_eq_c(s, "unknown location") || uv_str_eq_c(s, "(unknown)"))
        return true;
    /* `at async Promise.all (index 0)` */
    uv_str rest = s;
    if (consume_prefix(&rest, "index ") && rest.len) {
        for (size_t i = 0; i < rest.len; i++)
            if (!is_digit(rest.ptr[i])) return false;
        return true;
    }
    return false;
}

/* Splits `url:line:col` or `url:line` at the last one or two `:digits`. The url is whatever
 * comes before, so ports, query strings and Windows drive letters stay in it. */
static bool split_position(uv_str loc, line_frame *f)
{
    uint64_t numbers[2];
    int count = 0;
    uv_str rest = loc;
    while (count < 2) {
        size_t end = rest.len, start = end;
        while (start > 0 && is_digit(rest.ptr[start - 1]))
            start--;
        if (start == end || start == 0 || rest.ptr[start - 1] != ':') break;
        numbers[count++] = parse_digits(sub(rest, start, end));
        rest.len = start - 1;
    }
    if (count == 0 || rest.len == 0) return false;
    f->url = rest;
    f->has_line = true;
    if (count == 2) {
        f->line = numbers[1];
        f->column = numbers[0];
        f->has_column = true;
    } else {
        f->line = numbers[0];
    }
    return true;
}

/* Index of the ')' matching the '(' at `open`, or SIZE_MAX. */
static size_t match_forward(uv_str s, size_t open)
{
    size_t depth = 0;
    for (size_t i = open; i < s.len; i++) {
        if (s.ptr[i] == '(')
            depth++;
        else if (s.ptr[i] == ')' && --depth == 0)
            return i;
    }
    return SIZE_MAX;
}

/* A V8 location: `url:line:col`, `native`, `<anonymous>`, `index N`, or an eval chain
 * `eval at f (url:line:col), <anonymous>:l:c` whose innermost parenthesised location is the
 * real file that called eval (error-stack-parser and Sentry make the same choice). */
static bool parse_v8_location(uv_str loc, line_frame *f)
{
    loc = trim(loc);
    for (int depth = 0; uv_str_starts_with(loc, "eval at "); depth++) {
        if (depth == EVAL_MAX_DEPTH) return false;
        size_t open = find(loc, "(");
        size_t close = open == SIZE_MAX ? SIZE_MAX : match_forward(loc, open);
        if (close == SIZE_MAX) {
            /* `eval at <anonymous>, <anonymous>:1:1`: only the eval'd code's position. */
            size_t comma = SIZE_MAX;
            for (size_t i = loc.len; i-- > 0;)
                if (loc.ptr[i] == ',') {
                    comma = i;
                    break;
                }
            if (comma == SIZE_MAX) return false;
            loc = trim(sub(loc, comma + 1, loc.len));
            break;
        }
        loc = trim(sub(loc, open + 1, close));
    }
    if (loc.len == 0) return false;
    if (is_native_marker(loc)) {
        f->url = loc;
        f->is_native = true;
        return true;
    }
    if (!split_position(loc, f)) return false;
    if (uv_str_eq_c(f->url, "<anonymous>") || uv_str_eq_c(f->url, "native")) f->is_native = true;
    return true;
}

/* `    at fn (loc)`, `    at loc`, `    at async fn (loc)`, `    at new C (loc)`. */
static bool parse_v8_line(uv_str line, line_frame *f)
{
    uv_str s = trim(line);
    if (!consume_prefix(&s, "at ") && !consume_prefix(&s, "at\t")) return false;
    s = trim(s);
    /* util.inspect ends the last frame with ` {` when properties (a `[cause]`) follow. */
    if (ends_with(s, " {")) s = trim(sub(s, 0, s.len - 2));
    if (s.len == 0) return false;
    if (s.ptr[s.len - 1] == ')') {
        size_t depth = 0, open = SIZE_MAX;
        for (size_t i = s.len; i-- > 0;) {
            if (s.ptr[i] == ')')
                depth++;
            else if (s.ptr[i] == '(' && --depth == 0) {
                open = i;
                break;
            }
        }
        if (open != SIZE_MAX && (open == 0 || is_space(s.ptr[open - 1]))) {
            f->function = trim(sub(s, 0, open));
            return parse_v8_location(sub(s, open + 1, s.len - 1), f);
        }
    }
    /* No parenthesised location: the whole rest is one (`at file:///a.mjs:3:5`). */
    f->function = (uv_str){s.ptr, 0};
    consume_prefix(&s, "async ");
    return parse_v8_location(s, f);
}

/* `fn@url:line:col`, `@url:line:col`, `fn@url:line`, `fn@[native code]`,
 * `fn@url line 2 > eval:1:5` (Firefox eval: the calling file's line, no column). */
static bool parse_gecko_line(uv_str line, line_frame *f)
{
    uv_str s = trim(line);
    if (uv_str_eq_c(s, "[native code]")) {
        f->function = (uv_str){s.ptr, 0};
        f->url = s;
        f->is_native = true;
        return true;
    }
    size_t at = SIZE_MAX;
    bool quoted = false;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] == '"')
            quoted = !quoted;
        else if (s.ptr[i] == '@' && !quoted) {
            at = i;
            break;
        }
    }
    if (at == SIZE_MAX) return false;
    uv_str function = sub(s, 0, at), loc = trim(sub(s, at + 1, s.len));
    /* A message line (`Error: mail a@b.c:25`) is not a frame: names never hold ": ". */
    if (find(function, ": ") != SIZE_MAX) return false;
    f->function = function;
    if (uv_str_eq_c(loc, "[native code]")) {
        f->url = loc;
        f->is_native = true;
        return true;
    }
    size_t eval = find(loc, " line ");
    if (eval != SIZE_MAX && eval > 0) {
        uv_str after = sub(loc, eval + 6, loc.len);
        size_t digits = 0;
        while (digits < after.len && is_digit(after.ptr[digits]))
            digits++;
        if (digits > 0 && uv_str_starts_with(sub(after, digits, after.len), " > ")) {
            f->url = sub(loc, 0, eval);
            f->line = parse_digits(sub(after, 0, digits));
            f->has_line = true;
            return true;
        }
    }
    return split_position(loc, f);
}

/* `0x` followed by 1 to 16 hex digits, the whole of `s`. */
static bool parse_hex_address(uv_str s, uint64_t *out)
{
    if (s.len < 3 || s.len > 18 || s.ptr[0] != '0' || (s.ptr[1] != 'x' && s.ptr[1] != 'X'))
        return false;
    uint64_t v = 0;
    for (size_t i = 2; i < s.len; i++) {
        char c = s.ptr[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return false;
        v = v << 4 | d;
    }
    *out = v;
    return true;
}

/* Offsets inside a module or function: 2^62 is far beyond any real image and keeps
 * `symbol address + offset` and its negation free of overflow. */
#define NATIVE_MAX_OFFSET ((uint64_t)1 << 62)

/* glibc backtrace_symbols(): `MODULE(SYMBOL+0xOFF) [0xADDR]`, `MODULE(+0xOFF)[0xADDR]`,
 * `MODULE() [0xADDR]`, `MODULE [0xADDR]` / `MODULE[0xADDR]` (non-PIE executables),
 * `[0xADDR]` (no module known). The space before `[` is printed by glibc 2.x since 2013;
 * older ones print none. The module path may itself hold parentheses: the symbol part is the
 * last parenthesised group before the address. */
static bool parse_glibc_line(uv_str line, line_frame *f)
{
    uv_str s = trim(line);
    if (s.len < 5 || s.ptr[s.len - 1] != ']') return false;
    size_t open = s.len - 1;
    while (open > 0 && s.ptr[open - 1] != '[')
        open--;
    if (open == 0) return false;
    if (!parse_hex_address(sub(s, open, s.len - 1), &f->address)) return false;
    uv_str head = trim(sub(s, 0, open - 1));
    f->has_address = true;
    f->function = (uv_str){s.ptr, 0};
    f->url = (uv_str){s.ptr, 0};
    if (head.len == 0) return true;
    if (head.ptr[head.len - 1] != ')') {
        /* `./app[0x401225]` (glibc prints no space there): a module without symbol part;
         * refuse spaces, which would make prose like `see [0x1]` a frame. */
        if (is_space(s.ptr[open - 2]) || find(head, " ") != SIZE_MAX ||
            find(head, "\t") != SIZE_MAX)
            return false;
        f->url = head;
        return true;
    }
    size_t paren = SIZE_MAX;
    for (size_t i = head.len - 1; i-- > 0;)
        if (head.ptr[i] == '(') {
            paren = i;
            break;
        }
    if (paren == SIZE_MAX || paren == 0) return false;
    uv_str module = sub(head, 0, paren), inner = sub(head, paren + 1, head.len - 1);
    if (find(inner, " ") != SIZE_MAX || find(inner, "(") != SIZE_MAX) return false;
    f->url = module;
    if (inner.len == 0) return true;
    /* [SYMBOL]{+|-}0xOFF, or a bare SYMBOL */
    size_t sign = SIZE_MAX;
    for (size_t i = inner.len; i-- > 0;)
        if (inner.ptr[i] == '+' || inner.ptr[i] == '-') {
            sign = i;
            break;
        }
    uint64_t offset = 0;
    if (sign == SIZE_MAX || !parse_hex_address(sub(inner, sign + 1, inner.len), &offset)) {
        f->function = inner;
        f->has_symbol = true;
        return true;
    }
    if (offset >= NATIVE_MAX_OFFSET) return false;
    if (sign == 0) {
        if (inner.ptr[0] == '-') return false; /* before the module's start: not an address */
        f->has_module_offset = true;
        f->module_offset = offset;
        return true;
    }
    f->function = sub(inner, 0, sign);
    f->has_symbol = true;
    f->symbol_offset = inner.ptr[sign] == '-' ? -(int64_t)offset : (int64_t)offset;
    return true;
}

/* gdb `bt`: `#N  0xADDR in FUNCTION (ARGS) [at FILE:LINE | from MODULE]`. Frames printed
 * without an address (`#0  main () at t.c:5`) carry nothing to resolve and are not read. */
static bool parse_gdb_line(uv_str line, line_frame *f)
{
    uv_str s = trim(line);
    if (!consume_prefix(&s, "#")) return false;
    size_t i = 0;
    while (i < s.len && is_digit(s.ptr[i]))
        i++;
    if (i == 0 || i >= s.len || !is_space(s.ptr[i])) return false;
    s = trim(sub(s, i, s.len));
    size_t end = 0;
    while (end < s.len && !is_space(s.ptr[end]))
        end++;
    if (!parse_hex_address(sub(s, 0, end), &f->address)) return false;
    uv_str rest = trim(sub(s, end, s.len));
    if (!consume_prefix(&rest, "in ")) return false;
    rest = trim(rest);
    size_t name_end = find(rest, " (");
    if (name_end == SIZE_MAX) name_end = rest.len;
    if (name_end == 0) return false;
    f->has_address = true;
    f->function = sub(rest, 0, name_end);
    f->url = (uv_str){rest.ptr, 0};
    size_t from = SIZE_MAX;
    for (size_t k = rest.len; k-- > name_end;)
        if (k + 6 <= rest.len && memcmp(rest.ptr + k, " from ", 6) == 0) {
            from = k;
            break;
        }
    if (from != SIZE_MAX) f->url = trim(sub(rest, from + 6, rest.len));
    return true;
}

static bool parse_line_views(const char *p, size_t n, line_frame *f)
{
    memset(f, 0, sizeof *f);
    uv_str line = {p, n};
    if (parse_v8_line(line, f)) return true;
    memset(f, 0, sizeof *f);
    if (parse_gecko_line(line, f)) return true;
    memset(f, 0, sizeof *f);
    if (parse_glibc_line(line, f)) return true;
    memset(f, 0, sizeof *f);
    if (parse_gdb_line(line, f)) return true;
    memset(f, 0, sizeof *f);
    return false;
}

/* 1-based printed positions to the model's 0-based ones; out-of-range values mean no
 * position at all, a missing or zero column keeps the line. `column_base` is 0 or 1. */
static void set_position(uv_trace_frame *out, bool has_line, int64_t line, bool has_column,
                         int64_t column, int64_t column_base)
{
    out->has_line = out->has_column = false;
    out->line = out->column = 0;
    if (!has_line || line < 1 || (uint64_t)(line - 1) >= TRACE_MAX_POSITION) return;
    if (has_column && (column < 0 || (column >= column_base &&
                                      (uint64_t)(column - column_base) >= TRACE_MAX_POSITION)))
        return;
    out->has_line = true;
    out->line = (uint32_t)(line - 1);
    if (has_column && column >= column_base) {
        out->has_column = true;
        out->column = (uint32_t)(column - column_base);
    }
}

static int64_t clamp_printed(uint64_t v)
{
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

static void frame_from_views(uv_trace_frame *out, const line_frame *f)
{
    set_position(out, f->has_line, clamp_printed(f->line), f->has_column, clamp_printed(f->column),
                 1);
    out->is_native = f->is_native;
    out->json = NULL;
    out->text_line = 0;
    out->has_address = f->has_address;
    out->address = f->address;
    out->has_module_offset = f->has_module_offset;
    out->module_offset = f->module_offset;
    out->symbol_offset = f->symbol_offset;
    out->adjust = UV_TRACE_ADJUST_AUTO;
}

int uv_trace_parse_frame_line(const char *line, size_t len, uv_trace_frame *out, char *scratch,
                              size_t scratch_len)
{
    line_frame f;
    if (!line || !parse_line_views(line, len, &f)) return UV_ENOTFOUND;
    size_t need = f.function.len + f.url.len + 2;
    if (!scratch || scratch_len < need)
        return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0,
                            "stack frame line: %zu bytes of scratch needed, %zu given", need,
                            scratch_len);
    memcpy(scratch, f.function.ptr, f.function.len);
    scratch[f.function.len] = '\0';
    char *url = scratch + f.function.len + 1;
    memcpy(url, f.url.ptr, f.url.len);
    url[f.url.len] = '\0';
    frame_from_views(out, &f);
    out->function = scratch;
    out->url = url;
    out->module = f.has_address ? url : empty_string;
    out->symbol = f.has_symbol ? scratch : empty_string;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Text input                                                                                */

/* `Error: msg`, `TypeError [ERR_X]: msg`, `Uncaught TypeError: msg`, `[cause]: Error: msg`,
 * `Caused by: Error: msg`, or a lone `SomethingError`. Sets class and the first line of the
 * message (views into `line`). */
static bool parse_header_line(uv_str line, uv_str *class_name, uv_str *message)
{
    uv_str s = trim(line);
    for (;;) {
        if (consume_prefix(&s, "Uncaught (in promise) ") || consume_prefix(&s, "Uncaught ") ||
            consume_prefix(&s, "[cause]: ") || consume_prefix(&s, "Caused by: ")) {
            s = trim(s);
            continue;
        }
        break;
    }
    size_t i = 0;
    if (i >= s.len ||
        !(s.ptr[i] == '_' || s.ptr[i] == '$' || (s.ptr[i] >= 'A' && s.ptr[i] <= 'Z') ||
          (s.ptr[i] >= 'a' && s.ptr[i] <= 'z')))
        return false;
    while (i < s.len &&
           (s.ptr[i] == '_' || s.ptr[i] == '$' || s.ptr[i] == '.' || is_digit(s.ptr[i]) ||
            (s.ptr[i] >= 'A' && s.ptr[i] <= 'Z') || (s.ptr[i] >= 'a' && s.ptr[i] <= 'z')))
        i++;
    uv_str name = sub(s, 0, i);
    /* Node's ` [ERR_CODE]` after the name. */
    if (i + 1 < s.len && s.ptr[i] == ' ' && s.ptr[i + 1] == '[') {
        size_t close = i + 2;
        while (close < s.len && s.ptr[close] != ']' && s.ptr[close] != ' ')
            close++;
        if (close < s.len && s.ptr[close] == ']') i = close + 1;
    }
    if (i == s.len) {
        if (!ends_with(name, "Error") && !ends_with(name, "Exception")) return false;
        *class_name = sub(s, 0, i);
        *message = (uv_str){s.ptr + i, 0};
        return true;
    }
    if (s.ptr[i] != ':' || (i + 1 < s.len && s.ptr[i + 1] != ' ')) return false;
    *class_name = sub(s, 0, i);
    *message = trim(sub(s, i + 1, s.len));
    return true;
}

typedef struct {
    size_t header_line; /* SIZE_MAX when no header line */
    size_t first_frame_line, last_frame_line;
    size_t frame_count;
} text_run;

static bool is_blank(const char *line)
{
    for (; *line; line++)
        if (!is_space(*line)) return false;
    return true;
}

/* Joins the header's message with the lines between it and the first frame (V8 prints
 * multi-line messages that way), dropping trailing blank lines. */
static const char *header_message(uv_arena *arena, char **lines, const text_run *run, uv_str first)
{
    size_t end = run->first_frame_line;
    while (end > run->header_line + 1 && is_blank(lines[end - 1]))
        end--;
    size_t total = first.len;
    for (size_t i = run->header_line + 1; i < end; i++)
        total += 1 + strlen(lines[i]);
    char *out = uv_arena_alloc(arena, total + 1);
    if (!out) return NULL;
    memcpy(out, first.ptr, first.len);
    size_t at = first.len;
    for (size_t i = run->header_line + 1; i < end; i++) {
        out[at++] = '\n';
        size_t n = strlen(lines[i]);
        memcpy(out + at, lines[i], n);
        at += n;
    }
    out[at] = '\0';
    return out;
}

static int parse_text(trace_box *box, const char *buf, size_t len)
{
    uv_trace *t = &box->trace;
    uv_arena *arena = box->arena;
    t->kind = UV_TRACE_TEXT;

    const char *nul = memchr(buf, '\0', len);
    if (nul)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                            "text input: NUL byte at offset %zu (binary data, not a stack trace)",
                            (size_t)(nul - buf));

    size_t line_count = 0;
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\n') line_count++;
    if (len > 0 && buf[len - 1] != '\n') line_count++;
    if (line_count > TRACE_MAX_LINES)
        return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0,
                            "text input: %zu lines, more than the %zu accepted", line_count,
                            TRACE_MAX_LINES);

    char *copy = uv_arena_alloc(arena, len + 1);
    char **lines = uv_arena_calloc(arena, line_count ? line_count : 1, sizeof *lines);
    size_t *lengths = malloc((line_count ? line_count : 1) * sizeof *lengths);
    if (!copy || !lines || !lengths) {
        free(lengths);
        return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "text input: out of memory");
    }
    memcpy(copy, buf, len);
    copy[len] = '\0';
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= len && n < line_count; i++) {
        if (i == len || copy[i] == '\n') {
            size_t end = i;
            if (end > start && copy[end - 1] == '\r') end--;
            copy[end] = '\0';
            lines[n] = copy + start;
            lengths[n] = end - start;
            n++;
            start = i + 1;
        }
    }
    t->text_lines = (const char **)lines;
    t->text_line_count = line_count;

    /* Pass 1: group frame lines into runs. A new run starts at a frame that follows a header
     * line or a blank line (or that is the first); other lines between frames (Node's
     * `... 3 lines matching cause stack trace ...`, `{`) stay inside the run. */
    text_run *runs = calloc(TRACE_MAX_EXCEPTIONS, sizeof *runs);
    if (!runs) {
        free(lengths);
        return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "text input: out of memory");
    }
    size_t run_count = 0, header = SIZE_MAX;
    bool split = true;
    int rc = 0;
    for (size_t i = 0; i < line_count; i++) {
        line_frame f;
        uv_str cls, msg;
        if (parse_line_views(lines[i], lengths[i], &f)) {
            text_run *run = run_count ? &runs[run_count - 1] : NULL;
            if (split || !run) {
                if (run_count == TRACE_MAX_EXCEPTIONS) {
                    rc = uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0,
                                      "text input: more than %u stack traces (line %zu)",
                                      TRACE_MAX_EXCEPTIONS, i + 1);
                    goto done;
                }
                run = &runs[run_count++];
                run->header_line = header;
                run->first_frame_line = i;
            }
            if (run->frame_count == TRACE_MAX_FRAMES) {
                rc = uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0,
                                  "text input: the stack trace starting at line %zu has more "
                                  "than %u frames",
                                  run->first_frame_line + 1, TRACE_MAX_FRAMES);
                goto done;
            }
            run->frame_count++;
            run->last_frame_line = i;
            split = false;
            header = SIZE_MAX;
        } else if (parse_header_line((uv_str){lines[i], lengths[i]}, &cls, &msg)) {
            header = i;
            split = true;
        } else if (is_blank(lines[i])) {
            split = true;
        }
    }
    if (run_count == 0) {
        rc = uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "no stack frames found in input");
        goto done;
    }

    /* Pass 2: fill the model. */
    t->exceptions = uv_arena_calloc(arena, run_count, sizeof *t->exceptions);
    if (!t->exceptions) goto oom;
    t->exception_count = run_count;
    for (size_t r = 0; r < run_count; r++) {
        const text_run *run = &runs[r];
        uv_trace_exception *e = &t->exceptions[r];
        e->exception_class = empty_string;
        e->message = empty_string;
        e->text_line = run->first_frame_line;
        if (run->header_line != SIZE_MAX) {
            uv_str cls, msg;
            size_t h = run->header_line;
            parse_header_line((uv_str){lines[h], lengths[h]}, &cls, &msg);
            e->exception_class = uv_arena_strndup(arena, cls.ptr, cls.len);
            e->message = header_message(arena, lines, run, msg);
            if (!e->exception_class || !e->message) goto oom;
            e->text_line = h;
        }
        e->frames = uv_arena_calloc(arena, run->frame_count, sizeof *e->frames);
        if (!e->frames) goto oom;
        for (size_t i = run->first_frame_line; i <= run->last_frame_line; i++) {
            if (e->frame_count == run->frame_count) break;
            char *scratch = uv_arena_alloc(arena, lengths[i] + 2);
            if (!scratch) goto oom;
            uv_trace_frame *frame = &e->frames[e->frame_count];
            if (uv_trace_parse_frame_line(lines[i], lengths[i], frame, scratch, lengths[i] + 2) !=
                0)
                continue;
            frame->text_line = i;
            e->frame_count++;
        }
    }
    goto done;
oom:
    rc = uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "text input: out of memory");
done:
    free(runs);
    free(lengths);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* JSON helpers                                                                              */

typedef struct {
    const char *what; /* "rollbar payload" or "raygun entry" */
} json_ctx;

/* Where a value sits in the payload, for error messages only: segments chained on the stack
 * and formatted when an error is reported, so a successful parse builds no path strings. A
 * segment is ".name" (plain "name" at the root; a name may hold dots) or "[index]". */
typedef struct json_path {
    const struct json_path *parent;
    const char *name; /* NULL for an index segment */
    size_t index;
} json_path;

#define AT_KEY(parent, key) (&(json_path){(parent), (key), 0})
#define AT_INDEX(parent, i) (&(json_path){(parent), NULL, (i)})

static void path_append(const json_path *path, char *buf, size_t size, size_t *at)
{
    if (path->parent) path_append(path->parent, buf, size, at);
    if (*at >= size) return;
    int n = path->name
                ? snprintf(buf + *at, size - *at, "%s%s", path->parent ? "." : "", path->name)
                : snprintf(buf + *at, size - *at, "[%zu]", path->index);
    if (n > 0) *at += (size_t)n;
}

/* Records "WHAT: PATH" followed by the formatted rest (": expected …", " is not …") and
 * returns `code`. */
static int fail(const json_ctx *ctx, int code, const json_path *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(const json_ctx *ctx, int code, const json_path *path, const char *fmt, ...)
{
    /* Raygun paths 64 inner errors deep run past the 512-byte message record, which cuts. */
    char where[1024], rest[256];
    size_t at = 0;
    where[0] = '\0';
    path_append(path, where, sizeof where, &at);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rest, sizeof rest, fmt, ap);
    va_end(ap);
    return uv_error_set(code, UV_LIB_NONE, 0, "%s: %s%s", ctx->what, where, rest);
}

/* Member `key` (`len` bytes) of an object, or NULL when `object` is no object or has no such
 * member: uv_jv_get inlined where MEMBER names a literal key, so no strlen and the comparison
 * of a known length compiles to a few loads (this runs for every field of every frame). */
static inline __attribute__((always_inline)) const uv_jv *member(const uv_jv *object,
                                                                 const char *key, size_t len)
{
    if (!object || object->type != UV_JV_OBJECT) return NULL;
    for (const uv_jv *m = object->first; m; m = m->next)
        if (m->key_len == len && memcmp(m->key, key, len) == 0) return m;
    return NULL;
}
#define MEMBER(object, key) member((object), "" key, sizeof(key) - 1)

static bool ascii_case_equal(const char *a, const char *b, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z') x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (unsigned char)(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

/* The same with an ASCII case-insensitive key (Raygun): the exact spelling wherever it is,
 * else the first match in text order (uv_jv_get_ci alone would prefer an earlier other
 * casing). */
static inline __attribute__((always_inline)) const uv_jv *member_ci(const uv_jv *object,
                                                                    const char *key, size_t len)
{
    if (!object || object->type != UV_JV_OBJECT) return NULL;
    const uv_jv *folded = NULL;
    for (const uv_jv *m = object->first; m; m = m->next) {
        if (m->key_len != len) continue;
        if (memcmp(m->key, key, len) == 0) return m;
        if (!folded && ascii_case_equal(m->key, key, len)) folded = m;
    }
    return folded;
}
#define MEMBER_CI(object, key) member_ci((object), "" key, sizeof(key) - 1)

static bool is_absent(const uv_jv *value)
{
    return !value || value->type == UV_JV_NULL;
}

/* Optional string: NULL when missing or null, error when another type. The string is the
 * document's: it lives as long as the trace's document. */
static int get_string(const json_ctx *ctx, const uv_jv *value, const json_path *path,
                      const char **out)
{
    *out = NULL;
    if (is_absent(value)) return 0;
    if (value->type != UV_JV_STRING) return fail(ctx, UV_EINVALID, path, ": expected a string");
    *out = value->str;
    return 0;
}

/* Optional integer: *present false when missing or null. */
static int get_integer(const json_ctx *ctx, const uv_jv *value, const json_path *path,
                       bool *present, int64_t *out)
{
    *present = false;
    *out = 0;
    if (is_absent(value)) return 0;
    if (value->type != UV_JV_INTEGER) return fail(ctx, UV_EINVALID, path, ": expected an integer");
    *present = true;
    *out = value->integer;
    return 0;
}

/* Optional object: NULL when missing or null, error when another type. */
static int get_object(const json_ctx *ctx, const uv_jv *value, const json_path *path,
                      const uv_jv **out)
{
    *out = NULL;
    if (is_absent(value)) return 0;
    if (value->type != UV_JV_OBJECT) return fail(ctx, UV_EINVALID, path, " is not an object");
    *out = value;
    return 0;
}

static int get_array(const json_ctx *ctx, const uv_jv *value, const json_path *path,
                     const uv_jv **out)
{
    *out = NULL;
    if (is_absent(value)) return 0;
    if (value->type != UV_JV_ARRAY) return fail(ctx, UV_EINVALID, path, " is not an array");
    *out = value;
    return 0;
}

static const char *or_empty(const char *s)
{
    return s ? s : empty_string;
}

/* A frame whose url is empty or a placeholder and which has no line is native. */
static bool json_frame_is_native(const uv_trace_frame *f)
{
    uv_str url = uv_str_c(f->url);
    return is_native_marker(url) || (url.len == 0 && !f->has_line);
}

static int check_frame_count(const json_ctx *ctx, const json_path *path, size_t count)
{
    if (count > TRACE_MAX_FRAMES)
        return fail(ctx, UV_ETOOBIG, path, " has %zu frames, more than %u", count,
                    TRACE_MAX_FRAMES);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Rollbar                                                                                   */

static int rollbar_trace(const json_ctx *ctx, uv_arena *arena, const uv_jv *trace,
                         const json_path *path, int64_t column_base, uv_trace_exception *e)
{
    if (!uv_jv_is(trace, UV_JV_OBJECT)) return fail(ctx, UV_EINVALID, path, " is not an object");
    e->json = trace;
    e->exception_class = empty_string;
    e->message = empty_string;
    const uv_jv *exception, *frames;
    const char *cls, *message, *description;
    int rc;
    const json_path exception_path = {path, "exception", 0};
    if ((rc = get_object(ctx, MEMBER(trace, "exception"), &exception_path, &exception))) return rc;
    if (exception) {
        if ((rc = get_string(ctx, MEMBER(exception, "class"), AT_KEY(&exception_path, "class"),
                             &cls)))
            return rc;
        if ((rc = get_string(ctx, MEMBER(exception, "message"), AT_KEY(&exception_path, "message"),
                             &message)))
            return rc;
        if ((rc = get_string(ctx, MEMBER(exception, "description"),
                             AT_KEY(&exception_path, "description"), &description)))
            return rc;
        e->exception_class = or_empty(cls);
        e->message = or_empty(message ? message : description);
    }
    const json_path frames_path = {path, "frames", 0};
    if ((rc = get_array(ctx, MEMBER(trace, "frames"), &frames_path, &frames))) return rc;
    if (!frames) return 0;
    size_t count = frames->len;
    if ((rc = check_frame_count(ctx, &frames_path, count))) return rc;
    e->frames = uv_arena_calloc(arena, count ? count : 1, sizeof *e->frames);
    if (!e->frames) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "%s: out of memory", ctx->what);
    e->frame_count = count;
    size_t i = 0;
    for (const uv_jv *frame = frames->first; frame && i < count; frame = frame->next, i++) {
        /* Rollbar lists the most recent call last; the model wants it first. */
        uv_trace_frame *out = &e->frames[count - 1 - i];
        const json_path frame_path = {&frames_path, NULL, i};
        if (frame->type != UV_JV_OBJECT)
            return fail(ctx, UV_EINVALID, &frame_path, ": expected an object");
        const char *filename, *method;
        bool has_line, has_column;
        int64_t line, column;
        if ((rc = get_string(ctx, MEMBER(frame, "filename"), AT_KEY(&frame_path, "filename"),
                             &filename)))
            return rc;
        if ((rc = get_string(ctx, MEMBER(frame, "method"), AT_KEY(&frame_path, "method"), &method)))
            return rc;
        if ((rc = get_integer(ctx, MEMBER(frame, "lineno"), AT_KEY(&frame_path, "lineno"),
                              &has_line, &line)))
            return rc;
        if ((rc = get_integer(ctx, MEMBER(frame, "colno"), AT_KEY(&frame_path, "colno"),
                              &has_column, &column)))
            return rc;
        out->function = or_empty(method);
        out->url = or_empty(filename);
        set_position(out, has_line, line, has_column, column, column_base);
        out->json = frame;
        out->is_native = json_frame_is_native(out);
    }
    return 0;
}

/* A version string: a string as given, or an integer in decimal (Rollbar accepts "45"). */
static int version_value(const json_ctx *ctx, uv_arena *arena, const uv_jv *value,
                         const json_path *path, const char **out)
{
    *out = NULL;
    if (is_absent(value)) return 0;
    if (value->type == UV_JV_INTEGER) {
        char digits[32];
        int n = snprintf(digits, sizeof digits, "%" PRId64, value->integer);
        *out = uv_arena_strndup(arena, digits, (size_t)n);
        if (!*out) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "%s: out of memory", ctx->what);
        return 0;
    }
    int rc = get_string(ctx, value, path, out);
    if (!rc && *out && !**out) *out = NULL;
    return rc;
}

static int parse_rollbar(trace_box *box, const uv_jv *root)
{
    const json_ctx ctx = {"rollbar payload"};
    uv_trace *t = &box->trace;
    uv_arena *arena = box->arena;
    t->kind = UV_TRACE_ROLLBAR;
    const uv_jv *data, *body, *notifier, *client, *javascript, *server;
    int rc;
    if ((rc = get_object(&ctx, MEMBER(root, "data"), AT_KEY(NULL, "data"), &data))) return rc;
    if (!data) return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "rollbar payload: data is missing");
    if ((rc = get_object(&ctx, MEMBER(data, "body"), AT_KEY(NULL, "data.body"), &body))) return rc;
    if (!body)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "rollbar payload: data.body is missing");

    /* Version: data.code_version, else client.javascript.code_version, else the server's
     * code_version or its deprecated sha (Rollbar's item API, "code_version"). */
    const char *version = NULL;
    if ((rc = version_value(&ctx, arena, MEMBER(data, "code_version"),
                            AT_KEY(NULL, "data.code_version"), &version)))
        return rc;
    if ((rc = get_object(&ctx, MEMBER(data, "client"), AT_KEY(NULL, "data.client"), &client)))
        return rc;
    javascript = NULL;
    if (client && (rc = get_object(&ctx, MEMBER(client, "javascript"),
                                   AT_KEY(NULL, "data.client.javascript"), &javascript)))
        return rc;
    if (!version && javascript &&
        (rc = version_value(&ctx, arena, MEMBER(javascript, "code_version"),
                            AT_KEY(NULL, "data.client.javascript.code_version"), &version)))
        return rc;
    if ((rc = get_object(&ctx, MEMBER(data, "server"), AT_KEY(NULL, "data.server"), &server)))
        return rc;
    if (!version && server &&
        (rc = version_value(&ctx, arena, MEMBER(server, "code_version"),
                            AT_KEY(NULL, "data.server.code_version"), &version)))
        return rc;
    if (!version && server &&
        (rc = version_value(&ctx, arena, MEMBER(server, "sha"), AT_KEY(NULL, "data.server.sha"),
                            &version)))
        return rc;
    t->version = version;
    if ((rc = get_string(&ctx, MEMBER(data, "platform"), AT_KEY(NULL, "data.platform"),
                         &t->platform)))
        return rc;

    /* rollbar.js's Node notifier sends colno = V8 column - 1 (src/server/parser.js); every
     * other sender copies the 1-based column it was given. */
    int64_t column_base = 1;
    const char *notifier_name = NULL;
    if ((rc = get_object(&ctx, MEMBER(data, "notifier"), AT_KEY(NULL, "data.notifier"), &notifier)))
        return rc;
    if (notifier && (rc = get_string(&ctx, MEMBER(notifier, "name"),
                                     AT_KEY(NULL, "data.notifier.name"), &notifier_name)))
        return rc;
    if (notifier_name && strcmp(notifier_name, "node_rollbar") == 0) column_base = 0;

    const uv_jv *trace = MEMBER(body, "trace");
    const uv_jv *chain = MEMBER(body, "trace_chain");
    const uv_jv *message = MEMBER(body, "message");
    if (!is_absent(trace)) {
        t->exceptions = uv_arena_calloc(arena, 1, sizeof *t->exceptions);
        if (!t->exceptions)
            return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "rollbar payload: out of memory");
        t->exception_count = 1;
        return rollbar_trace(&ctx, arena, trace, AT_KEY(NULL, "data.body.trace"), column_base,
                             t->exceptions);
    }
    if (!is_absent(chain)) {
        if (chain->type != UV_JV_ARRAY)
            return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                                "rollbar payload: data.body.trace_chain is not an array");
        size_t count = chain->len;
        if (count == 0)
            return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                                "rollbar payload: data.body.trace_chain is empty");
        if (count > TRACE_MAX_EXCEPTIONS)
            return uv_error_set(
                UV_ETOOBIG, UV_LIB_NONE, 0,
                "rollbar payload: data.body.trace_chain has %zu traces, more than %u", count,
                TRACE_MAX_EXCEPTIONS);
        t->exceptions = uv_arena_calloc(arena, count, sizeof *t->exceptions);
        if (!t->exceptions)
            return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "rollbar payload: out of memory");
        t->exception_count = count;
        const json_path chain_path = {NULL, "data.body.trace_chain", 0};
        size_t i = 0;
        for (const uv_jv *item = chain->first; item && i < count; item = item->next, i++)
            if ((rc = rollbar_trace(&ctx, arena, item, AT_INDEX(&chain_path, i), column_base,
                                    &t->exceptions[i])))
                return rc;
        return 0;
    }
    if (!is_absent(message)) {
        if (message->type != UV_JV_OBJECT)
            return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                                "rollbar payload: data.body.message is not an object");
        const char *text;
        if ((rc = get_string(&ctx, MEMBER(message, "body"), AT_KEY(NULL, "data.body.message.body"),
                             &text)))
            return rc;
        t->exceptions = uv_arena_calloc(arena, 1, sizeof *t->exceptions);
        if (!t->exceptions)
            return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "rollbar payload: out of memory");
        t->exception_count = 1;
        t->exceptions[0].exception_class = empty_string;
        t->exceptions[0].message = or_empty(text);
        t->exceptions[0].json = message;
        return 0;
    }
    if (MEMBER(body, "crash_report"))
        return uv_error_set(UV_EUNSUPPORTED, UV_LIB_NONE, 0,
                            "rollbar payload: data.body.crash_report (iOS crash reports) is not "
                            "supported");
    return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                        "rollbar payload: data.body has none of trace, trace_chain, message");
}

/* ---------------------------------------------------------------------------------------- */
/* Raygun                                                                                    */

/* An error of the chain. Its path ends in one or two segments of its own (".innerError", or
 * ".innerErrors" and "[i]") chained to the path of the error holding it; nodes never move
 * (the array is allocated whole), so the chain stays valid after the walk. */
typedef struct {
    const uv_jv *error;
    json_path list; /* the ".innerErrors" segment when path is "[i]" */
    json_path path;
} raygun_node;

typedef struct {
    raygun_node *nodes;
    size_t count;
} raygun_walk;

/* Collects the error and its inner errors depth-first: error, innerError (recursively),
 * then each of innerErrors (recursively). */
static int raygun_collect(const json_ctx *ctx, raygun_walk *w, const uv_jv *error,
                          const json_path *path, int depth)
{
    if (!uv_jv_is(error, UV_JV_OBJECT)) return fail(ctx, UV_EINVALID, path, " is not an object");
    if (depth > RAYGUN_MAX_DEPTH)
        return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0,
                            "%s: inner errors nested deeper than %d levels", ctx->what,
                            RAYGUN_MAX_DEPTH);
    if (w->count == TRACE_MAX_EXCEPTIONS)
        return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0, "%s: more than %u errors in the chain",
                            ctx->what, TRACE_MAX_EXCEPTIONS);
    raygun_node *node = &w->nodes[w->count++];
    node->error = error;
    node->path = *path;
    if (!path->name) {
        node->list = *path->parent;
        node->path.parent = &node->list;
    }

    const uv_jv *inner = MEMBER_CI(error, "innerError");
    int rc;
    if (!is_absent(inner) &&
        (rc = raygun_collect(ctx, w, inner, AT_KEY(&node->path, "innerError"), depth + 1)))
        return rc;
    const json_path list_path = {&node->path, "innerErrors", 0};
    const uv_jv *inners;
    if ((rc = get_array(ctx, MEMBER_CI(error, "innerErrors"), &list_path, &inners))) return rc;
    size_t i = 0;
    for (const uv_jv *item = inners ? inners->first : NULL; item; item = item->next, i++)
        if ((rc = raygun_collect(ctx, w, item, AT_INDEX(&list_path, i), depth + 1))) return rc;
    return 0;
}

static int raygun_error(const json_ctx *ctx, uv_arena *arena, const raygun_node *node,
                        uv_trace_exception *e)
{
    const json_path *path = &node->path;
    const uv_jv *error = node->error, *stack;
    const char *cls, *message;
    int rc;
    e->json = error;
    if ((rc = get_string(ctx, MEMBER_CI(error, "className"), AT_KEY(path, "className"), &cls)))
        return rc;
    if ((rc = get_string(ctx, MEMBER_CI(error, "message"), AT_KEY(path, "message"), &message)))
        return rc;
    e->exception_class = or_empty(cls);
    e->message = or_empty(message);
    const json_path stack_path = {path, "stackTrace", 0};
    if ((rc = get_array(ctx, MEMBER_CI(error, "stackTrace"), &stack_path, &stack))) return rc;
    if (!stack) return 0;
    size_t count = stack->len;
    if ((rc = check_frame_count(ctx, &stack_path, count))) return rc;
    e->frames = uv_arena_calloc(arena, count ? count : 1, sizeof *e->frames);
    if (!e->frames) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "%s: out of memory", ctx->what);
    e->frame_count = count;
    size_t i = 0;
    for (const uv_jv *frame = stack->first; frame && i < count; frame = frame->next, i++) {
        uv_trace_frame *out = &e->frames[i]; /* Raygun lists the throwing frame first */
        const json_path frame_path = {&stack_path, NULL, i};
        if (frame->type != UV_JV_OBJECT)
            return fail(ctx, UV_EINVALID, &frame_path, ": expected an object");
        const char *file, *method;
        bool has_line, has_column;
        int64_t line, column;
        if ((rc = get_string(ctx, MEMBER_CI(frame, "fileName"), AT_KEY(&frame_path, "fileName"),
                             &file)))
            return rc;
        if ((rc = get_string(ctx, MEMBER_CI(frame, "methodName"), AT_KEY(&frame_path, "methodName"),
                             &method)))
            return rc;
        if ((rc = get_integer(ctx, MEMBER_CI(frame, "lineNumber"),
                              AT_KEY(&frame_path, "lineNumber"), &has_line, &line)))
            return rc;
        if ((rc = get_integer(ctx, MEMBER_CI(frame, "columnNumber"),
                              AT_KEY(&frame_path, "columnNumber"), &has_column, &column)))
            return rc;
        out->function = or_empty(method);
        out->url = or_empty(file);
        set_position(out, has_line, line, has_column, column, 1);
        out->json = frame;
        out->is_native = json_frame_is_native(out);
    }
    return 0;
}

static int parse_raygun(trace_box *box, const uv_jv *root)
{
    const json_ctx ctx = {"raygun entry"};
    uv_trace *t = &box->trace;
    uv_arena *arena = box->arena;
    t->kind = UV_TRACE_RAYGUN;
    const uv_jv *details, *client, *error;
    int rc;
    if ((rc = get_object(&ctx, MEMBER_CI(root, "details"), AT_KEY(NULL, "details"), &details)))
        return rc;
    if (!details)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "raygun entry: details is missing");
    const char *version = NULL;
    if ((rc = get_string(&ctx, MEMBER_CI(details, "version"), AT_KEY(NULL, "details.version"),
                         &version)))
        return rc;
    /* raygun4js sends "Not supplied" when the application set no version. */
    if (version && (!*version || strcmp(version, "Not supplied") == 0)) version = NULL;
    t->version = version;
    if ((rc = get_object(&ctx, MEMBER_CI(details, "client"), AT_KEY(NULL, "details.client"),
                         &client)))
        return rc;
    const char *client_name = NULL;
    if (client && (rc = get_string(&ctx, MEMBER_CI(client, "name"),
                                   AT_KEY(NULL, "details.client.name"), &client_name)))
        return rc;
    if (client_name &&
        (strcmp(client_name, "raygun-node") == 0 || strcmp(client_name, "raygun4node") == 0))
        t->platform = "node";
    else if (client_name &&
             (strcmp(client_name, "raygun-js") == 0 || strcmp(client_name, "raygun4js") == 0))
        t->platform = "browser";
    else if (client_name && *client_name)
        t->platform = client_name;

    if ((rc = get_object(&ctx, MEMBER_CI(details, "error"), AT_KEY(NULL, "details.error"), &error)))
        return rc;
    if (!error)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "raygun entry: details.error is missing");

    raygun_walk walk = {calloc(TRACE_MAX_EXCEPTIONS, sizeof(raygun_node)), 0};
    if (!walk.nodes) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "raygun entry: out of memory");
    rc = raygun_collect(&ctx, &walk, error, AT_KEY(NULL, "details.error"), 0);
    if (!rc) {
        t->exceptions = uv_arena_calloc(arena, walk.count, sizeof *t->exceptions);
        if (!t->exceptions)
            rc = uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "raygun entry: out of memory");
    }
    if (!rc) {
        t->exception_count = walk.count;
        for (size_t i = 0; i < walk.count && !rc; i++)
            rc = raygun_error(&ctx, arena, &walk.nodes[i], &t->exceptions[i]);
    }
    free(walk.nodes);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Native payloads: Symbolicator requests and Sentry events                                  */

/* A process maps a few hundred modules; 10,000 leaves room for any real one. */
#define NATIVE_MAX_MODULES 10000u

/* Symbolicator's HexValue: a non-negative JSON integer, or a string "0x…" (hex) or of decimal
 * digits. Absent or null: *present false. */
static int get_hex_value(const json_ctx *ctx, const uv_jv *value, const json_path *path,
                         bool *present, uint64_t *out)
{
    *present = false;
    *out = 0;
    if (is_absent(value)) return 0;
    if (value->type == UV_JV_INTEGER) {
        if (value->integer < 0) return fail(ctx, UV_EINVALID, path, ": negative address");
        *present = true;
        *out = (uint64_t)value->integer;
        return 0;
    }
    if (value->type != UV_JV_STRING)
        return fail(ctx, UV_EINVALID, path, ": expected a hex string (\"0x…\") or an integer");
    uv_str text = {value->str, value->len};
    if (parse_hex_address(text, out)) {
        *present = true;
        return 0;
    }
    uint64_t v = 0;
    bool ok = text.len > 0 && text.len <= 20;
    for (size_t i = 0; ok && i < text.len; i++) {
        if (!is_digit(text.ptr[i]) || __builtin_mul_overflow(v, 10, &v) ||
            __builtin_add_overflow(v, (uint64_t)(text.ptr[i] - '0'), &v))
            ok = false;
    }
    if (!ok)
        return fail(ctx, UV_EINVALID, path,
                    ": \"%.40s\" is not an address (\"0x\" and up to 16 hex digits, or decimal)",
                    text.ptr);
    *present = true;
    *out = v;
    return 0;
}

/* A build-id: hex digits (dashes ignored, as some SDKs send GUID-shaped code ids), lowercased
 * into the arena; at most 64 bytes (UV_BUILD_ID_MAX in formats/elf.h). */
static int build_id_value(const json_ctx *ctx, uv_arena *arena, const uv_jv *value,
                          const json_path *path, const char **out)
{
    const char *text;
    int rc = get_string(ctx, value, path, &text);
    if (rc || !text || !*text) return rc;
    size_t n = value->len, digits = 0;
    char *hex = uv_arena_alloc(arena, n + 1);
    if (!hex) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "%s: out of memory", ctx->what);
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (c == '-') continue;
        if (c >= 'A' && c <= 'F') c = (char)(c - 'A' + 'a');
        if (!is_digit(c) && !(c >= 'a' && c <= 'f'))
            return fail(ctx, UV_EINVALID, path, ": \"%.40s\" is not a hex build-id", text);
        hex[digits++] = c;
    }
    hex[digits] = '\0';
    if (digits == 0 || digits % 2 || digits > 128)
        return fail(ctx, UV_EINVALID, path,
                    ": a build-id has an even number of hex digits, 2 to 128");
    *out = hex;
    return 0;
}

static int native_module(const json_ctx *ctx, uv_arena *arena, const uv_jv *obj,
                         const json_path *path, uv_trace_module *m)
{
    int rc;
    if (!uv_jv_is(obj, UV_JV_OBJECT)) return fail(ctx, UV_EINVALID, path, " is not an object");
    m->json = obj;
    const char *type, *code_file, *debug_file, *debug_id, *build_id = NULL;
    bool present;
    if ((rc = get_string(ctx, MEMBER(obj, "type"), AT_KEY(path, "type"), &type))) return rc;
    if ((rc = get_string(ctx, MEMBER(obj, "code_file"), AT_KEY(path, "code_file"), &code_file)))
        return rc;
    if ((rc = get_string(ctx, MEMBER(obj, "debug_file"), AT_KEY(path, "debug_file"), &debug_file)))
        return rc;
    if ((rc = get_string(ctx, MEMBER(obj, "debug_id"), AT_KEY(path, "debug_id"), &debug_id)))
        return rc;
    /* Sentry's ELF code_id is the GNU build-id in hex; "build_id" is our own spelling. */
    if ((rc = build_id_value(ctx, arena, MEMBER(obj, "code_id"), AT_KEY(path, "code_id"),
                             &build_id)))
        return rc;
    if (!build_id && (rc = build_id_value(ctx, arena, MEMBER(obj, "build_id"),
                                          AT_KEY(path, "build_id"), &build_id)))
        return rc;
    if ((rc = get_hex_value(ctx, MEMBER(obj, "image_addr"), AT_KEY(path, "image_addr"), &present,
                            &m->image_addr)))
        return rc;
    if ((rc = get_hex_value(ctx, MEMBER(obj, "image_size"), AT_KEY(path, "image_size"),
                            &m->has_image_size, &m->image_size)))
        return rc;
    if (m->has_image_size && m->image_size > UINT64_MAX - m->image_addr)
        return fail(ctx, UV_EINVALID, path, ": image_addr + image_size overflows 64 bits");
    m->type = or_empty(type);
    m->code_file = or_empty(code_file);
    m->debug_file = or_empty(debug_file);
    m->debug_id = or_empty(debug_id);
    m->build_id = or_empty(build_id);
    return 0;
}

static int native_modules(const json_ctx *ctx, uv_trace *t, uv_arena *arena, const uv_jv *list,
                          const json_path *path)
{
    const uv_jv *modules;
    int rc = get_array(ctx, list, path, &modules);
    if (rc || !modules) return rc;
    size_t count = modules->len;
    if (count > NATIVE_MAX_MODULES)
        return fail(ctx, UV_ETOOBIG, path, " has %zu modules, more than %u", count,
                    NATIVE_MAX_MODULES);
    t->modules = uv_arena_calloc(arena, count ? count : 1, sizeof *t->modules);
    if (!t->modules) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "%s: out of memory", ctx->what);
    t->module_count = count;
    size_t i = 0;
    for (const uv_jv *m = modules->first; m && i < count; m = m->next, i++)
        if ((rc = native_module(ctx, arena, m, AT_INDEX(path, i), &t->modules[i]))) return rc;
    return 0;
}

/* One native frame object: instruction_addr, addr_mode ("abs" or "rel:N": relative to
 * modules[N]), adjust_instruction_addr, package (module path), function / symbol. */
static int native_frame(const json_ctx *ctx, const uv_trace *t, const uv_jv *frame,
                        const json_path *path, uv_trace_frame *out)
{
    int rc;
    if (!uv_jv_is(frame, UV_JV_OBJECT)) return fail(ctx, UV_EINVALID, path, ": expected an object");
    out->json = frame;
    if ((rc = get_hex_value(ctx, MEMBER(frame, "instruction_addr"),
                            AT_KEY(path, "instruction_addr"), &out->has_address, &out->address)))
        return rc;
    const char *mode, *package, *function, *symbol;
    const json_path mode_path = {path, "addr_mode", 0};
    if ((rc = get_string(ctx, MEMBER(frame, "addr_mode"), &mode_path, &mode))) return rc;
    if (mode && strcmp(mode, "abs") != 0) {
        char *end = NULL;
        unsigned long long index = 0;
        bool ok = strncmp(mode, "rel:", 4) == 0 && is_digit(mode[4]);
        if (ok) index = strtoull(mode + 4, &end, 10);
        if (!ok || *end != '\0' || index >= t->module_count)
            return fail(ctx, UV_EINVALID, &mode_path,
                        ": expected \"abs\" or \"rel:N\" with N below the %zu modules, got "
                        "\"%.40s\"",
                        t->module_count, mode);
        uint64_t base = t->modules[index].image_addr;
        if (out->has_address && out->address > UINT64_MAX - base)
            return fail(ctx, UV_EINVALID, AT_KEY(path, "instruction_addr"),
                        ": address overflows 64 bits");
        out->address += base;
    }
    const uv_jv *adjust = MEMBER(frame, "adjust_instruction_addr");
    if (!is_absent(adjust)) {
        if (adjust->type != UV_JV_TRUE && adjust->type != UV_JV_FALSE)
            return fail(ctx, UV_EINVALID, AT_KEY(path, "adjust_instruction_addr"),
                        ": expected true or false");
        out->adjust = adjust->type == UV_JV_TRUE ? UV_TRACE_ADJUST_YES : UV_TRACE_ADJUST_NO;
    }
    if ((rc = get_string(ctx, MEMBER(frame, "package"), AT_KEY(path, "package"), &package)))
        return rc;
    if ((rc = get_string(ctx, MEMBER(frame, "function"), AT_KEY(path, "function"), &function)))
        return rc;
    if ((rc = get_string(ctx, MEMBER(frame, "symbol"), AT_KEY(path, "symbol"), &symbol))) return rc;
    out->module = out->url = or_empty(package);
    out->function = or_empty(function ? function : symbol);
    out->symbol = empty_string;
    return 0;
}

/* frames[] of one stack trace; `caller_first` (Sentry events) reverses them. */
static int native_frames(const json_ctx *ctx, const uv_trace *t, uv_arena *arena,
                         const uv_jv *frames, const json_path *path, bool caller_first,
                         uv_trace_exception *e)
{
    size_t count = frames->len;
    int rc = check_frame_count(ctx, path, count);
    if (rc) return rc;
    e->frames = uv_arena_calloc(arena, count ? count : 1, sizeof *e->frames);
    if (!e->frames) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "%s: out of memory", ctx->what);
    e->frame_count = count;
    size_t i = 0;
    for (const uv_jv *frame = frames->first; frame && i < count; frame = frame->next, i++) {
        uv_trace_frame *out = &e->frames[caller_first ? count - 1 - i : i];
        if ((rc = native_frame(ctx, t, frame, AT_INDEX(path, i), out))) return rc;
    }
    return 0;
}

/* Symbolicator: {"modules":[…], "stacktraces":[{"frames":[…]}], "signal"?, …}; the older
 * documentation's "threads" is read when "stacktraces" is absent. Frames innermost first. */
static int parse_symbolicator(trace_box *box, const uv_jv *root)
{
    const json_ctx ctx = {"symbolicator request"};
    uv_trace *t = &box->trace;
    uv_arena *arena = box->arena;
    t->kind = UV_TRACE_NATIVE;
    int rc = native_modules(&ctx, t, arena, MEMBER(root, "modules"), AT_KEY(NULL, "modules"));
    if (rc) return rc;
    const uv_jv *stacktraces = MEMBER(root, "stacktraces");
    const char *list_name = stacktraces ? "stacktraces" : "threads";
    const json_path list_path = {NULL, list_name, 0};
    const uv_jv *list;
    if ((rc = get_array(&ctx, stacktraces ? stacktraces : MEMBER(root, "threads"), &list_path,
                        &list)))
        return rc;
    bool present;
    int64_t signal;
    if ((rc = get_integer(&ctx, MEMBER(root, "signal"), AT_KEY(NULL, "signal"), &present, &signal)))
        return rc;
    t->has_signal = present;
    t->signal = signal;
    const char *version;
    if ((rc = version_value(&ctx, arena, MEMBER(root, "version"), AT_KEY(NULL, "version"),
                            &version)))
        return rc;
    t->version = version;
    size_t count = list ? list->len : 0;
    if (count > TRACE_MAX_EXCEPTIONS)
        return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0, "%s: %s has %zu entries, more than %u",
                            ctx.what, list_name, count, TRACE_MAX_EXCEPTIONS);
    t->exceptions = uv_arena_calloc(arena, count ? count : 1, sizeof *t->exceptions);
    if (!t->exceptions) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "%s: out of memory", ctx.what);
    t->exception_count = count;
    size_t i = 0;
    for (const uv_jv *st = count ? list->first : NULL; st && i < count; st = st->next, i++) {
        const uv_jv *frames;
        uv_trace_exception *e = &t->exceptions[i];
        e->exception_class = empty_string;
        e->message = empty_string;
        const json_path st_path = {&list_path, NULL, i};
        if (st->type != UV_JV_OBJECT) return fail(&ctx, UV_EINVALID, &st_path, " is not an object");
        e->json = st;
        const json_path frames_path = {&st_path, "frames", 0};
        if ((rc = get_array(&ctx, MEMBER(st, "frames"), &frames_path, &frames))) return rc;
        if (frames && (rc = native_frames(&ctx, t, arena, frames, &frames_path, false, e)))
            return rc;
    }
    return 0;
}

/* Sentry event: exception.values[] (or a bare array), each {type, value, stacktrace:{frames}}
 * with frames caller first; debug_meta.images[] are the modules; release is the version. The
 * values are listed oldest (outermost) first like Rollbar chains, and kept in that order. */
static int parse_sentry_event(trace_box *box, const uv_jv *root)
{
    const json_ctx ctx = {"sentry event"};
    uv_trace *t = &box->trace;
    uv_arena *arena = box->arena;
    t->kind = UV_TRACE_NATIVE;
    const uv_jv *debug_meta, *exception, *values = NULL;
    int rc;
    if ((rc =
             get_object(&ctx, MEMBER(root, "debug_meta"), AT_KEY(NULL, "debug_meta"), &debug_meta)))
        return rc;
    if (debug_meta && (rc = native_modules(&ctx, t, arena, MEMBER(debug_meta, "images"),
                                           AT_KEY(NULL, "debug_meta.images"))))
        return rc;
    const char *version;
    if ((rc = version_value(&ctx, arena, MEMBER(root, "release"), AT_KEY(NULL, "release"),
                            &version)))
        return rc;
    t->version = version;
    exception = MEMBER(root, "exception");
    const char *values_name = "exception.values";
    if (uv_jv_is(exception, UV_JV_ARRAY)) {
        values = exception;
        values_name = "exception";
    } else if ((rc = get_object(&ctx, exception, AT_KEY(NULL, "exception"), &exception))) {
        return rc;
    } else if (exception && (rc = get_array(&ctx, MEMBER(exception, "values"),
                                            AT_KEY(NULL, values_name), &values))) {
        return rc;
    }
    size_t count = values ? values->len : 0;
    if (count > TRACE_MAX_EXCEPTIONS)
        return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0, "%s: %s has %zu entries, more than %u",
                            ctx.what, values_name, count, TRACE_MAX_EXCEPTIONS);
    t->exceptions = uv_arena_calloc(arena, count ? count : 1, sizeof *t->exceptions);
    if (!t->exceptions) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "%s: out of memory", ctx.what);
    t->exception_count = count;
    const json_path values_path = {NULL, values_name, 0};
    size_t i = 0;
    for (const uv_jv *value = count ? values->first : NULL; value && i < count;
         value = value->next, i++) {
        const uv_jv *stacktrace, *frames;
        uv_trace_exception *e = &t->exceptions[i];
        const json_path value_path = {&values_path, NULL, i};
        if (value->type != UV_JV_OBJECT)
            return fail(&ctx, UV_EINVALID, &value_path, " is not an object");
        e->json = value;
        const char *type, *message;
        if ((rc = get_string(&ctx, MEMBER(value, "type"), AT_KEY(&value_path, "type"), &type)))
            return rc;
        if ((rc = get_string(&ctx, MEMBER(value, "value"), AT_KEY(&value_path, "value"), &message)))
            return rc;
        e->exception_class = or_empty(type);
        e->message = or_empty(message);
        const json_path stacktrace_path = {&value_path, "stacktrace", 0};
        if ((rc = get_object(&ctx, MEMBER(value, "stacktrace"), &stacktrace_path, &stacktrace)))
            return rc;
        if (!stacktrace) continue;
        const json_path frames_path = {&stacktrace_path, "frames", 0};
        if ((rc = get_array(&ctx, MEMBER(stacktrace, "frames"), &frames_path, &frames))) return rc;
        if (frames && (rc = native_frames(&ctx, t, arena, frames, &frames_path, true, e)))
            return rc;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Entry points                                                                              */

/* Reads a parsed JSON payload into the box, whose trace points into `doc` from here on. */
static int parse_json_root(trace_box *box, const uv_jv_doc *doc)
{
    box->trace.json_doc = doc;
    const uv_jv *root = doc ? doc->root : NULL;
    if (!uv_jv_is(root, UV_JV_OBJECT))
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "JSON input must be an object");
    if (MEMBER(root, "data")) return parse_rollbar(box, root);
    if (MEMBER_CI(root, "details")) return parse_raygun(box, root);
    if (MEMBER(root, "stacktraces") || MEMBER(root, "threads") || MEMBER(root, "modules"))
        return parse_symbolicator(box, root);
    if (MEMBER(root, "exception") || MEMBER(root, "debug_meta"))
        return parse_sentry_event(box, root);
    return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                        "JSON input is neither a Rollbar item (no \"data\" object with a body) "
                        "nor a Raygun entry (no \"details\" object) nor a native payload (no "
                        "\"stacktraces\"/\"modules\", no \"exception\"/\"debug_meta\")");
}

/* Parses the text into a document and the box into the document's arena (one arena for
 * both). *out is NULL when the text is no JSON, else the box to finish, even on failure. */
static int parse_json(trace_box **out, const char *buf, size_t len)
{
    *out = NULL;
    uv_jv_error jerr;
    uv_jv_doc *doc;
    int rc = uv_jv_parse(&doc, buf, len, NULL, &jerr);
    if (rc == UV_ENOMEM) return rc;
    /* Syntax errors and nesting past the depth limit alike (jansson reported both as a
     * syntax error). */
    if (rc)
        return uv_error_set(UV_EINVALID, UV_LIB_JSON, 0,
                            "JSON input: line %d column %d (byte %zu): %s", jerr.line, jerr.column,
                            jerr.position, jerr.text);
    /* The document's spans refer to the text (values are copied from it): keep a copy as long
     * as the trace, since the caller's buffer may go first. */
    char *text = uv_arena_alloc(doc->arena, len ? len : 1);
    trace_box *box = uv_arena_calloc(doc->arena, 1, sizeof *box);
    if (!text || !box) {
        uv_jv_free(doc);
        return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "JSON input: out of memory");
    }
    memcpy(text, buf, len);
    doc->text = text;
    box->arena = doc->arena;
    box->owned_doc = doc;
    *out = box;
    return parse_json_root(box, doc);
}

static int new_box(trace_box **out)
{
    uv_arena *arena;
    int rc = uv_arena_new(&arena);
    if (rc) return rc;
    trace_box *box = uv_arena_calloc(arena, 1, sizeof *box);
    if (!box) {
        uv_arena_free(arena);
        return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "trace input: out of memory");
    }
    box->arena = arena;
    *out = box;
    return 0;
}

/* After a successful parse: frames of JavaScript payloads carry no native fields, "" rather
 * than NULL. On failure frees the box. */
static int finish_box(trace_box *box, int rc, uv_trace **out)
{
    if (rc) {
        uv_trace_free(&box->trace);
        return rc;
    }
    for (size_t e = 0; e < box->trace.exception_count; e++)
        for (size_t f = 0; f < box->trace.exceptions[e].frame_count; f++) {
            uv_trace_frame *frame = &box->trace.exceptions[e].frames[f];
            if (!frame->module) frame->module = empty_string;
            if (!frame->symbol) frame->symbol = empty_string;
        }
    *out = &box->trace;
    return 0;
}

int uv_trace_parse(uv_trace **out, const char *buf, size_t len)
{
    *out = NULL;
    if (!buf && len) return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "trace input: NULL buffer");
    if (len > TRACE_MAX_INPUT)
        return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0,
                            "trace input: %zu bytes, more than the %zu MiB accepted", len,
                            TRACE_MAX_INPUT >> 20);
    size_t i = 0;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) i = 3; /* UTF-8 byte order mark */
    size_t first = i;
    while (first < len && is_space(buf[first]))
        first++;
    trace_box *box = NULL;
    int rc;
    if (first < len && buf[first] == '{') {
        rc = parse_json(&box, buf + i, len - i);
        if (!box) return rc;
    } else {
        if ((rc = new_box(&box))) return rc;
        rc = parse_text(box, buf + i, len - i);
    }
    return finish_box(box, rc, out);
}

int uv_trace_parse_jv(uv_trace **out, const uv_jv_doc *doc)
{
    *out = NULL;
    trace_box *box = NULL;
    int rc = new_box(&box);
    if (rc) return rc;
    return finish_box(box, parse_json_root(box, doc), out);
}

void uv_trace_free(uv_trace *trace)
{
    if (!trace) return;
    trace_box *box = (trace_box *)trace;
    if (box->owned_doc)
        uv_jv_free(box->owned_doc); /* its arena holds the box */
    else
        uv_arena_free(box->arena);
}
