/* unravel addr2line: llvm-symbolizer / GNU addr2line compatible address lookups in one ELF
 * module (or one found by build-id in the store), so scripts can switch tools unchanged.
 *
 * The lookups are uv_native_lookup_as (symbolicate/native.c); this file parses options and
 * addresses and prints in the three output styles. Output goes through one big buffer that
 * is written out before every blocking read of standard input, so a coprocess gets each
 * answer at once while bulk input is answered in large writes. */
#include "cli/cli.h"

#include "formats/error.h"
#include "symbolicate/native.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Output is written in chunks of this size (and before every blocking read). */
#define OUT_CHUNK ((size_t)1 << 20)
/* Input lines longer than this are cut (an address line is a few dozen bytes; the cut part
 * of a garbage line is not echoed back). */
#define LINE_MAX_BYTES ((size_t)1 << 16)
/* Frames printed per address: deeper inline chains are cut. */
#define MAX_FRAMES 256
/* --debug-dir may be repeated this many times. */
#define MAX_DEBUG_DIRS 16

static const char help[] =
    "usage: unravel addr2line (-e FILE | --obj FILE | --build-id ID) [options] [ADDRESS...]\n"
    "\n"
    "Turn addresses in an ELF module into function, file, line and column, with inlined\n"
    "frames — a drop-in for `llvm-symbolizer --obj=FILE` (default style) and for GNU\n"
    "`addr2line -e FILE` (--output-style gnu). Debug info is found like elfutils does: in\n"
    "the file, by build-id (store, DEBUGDIR/.build-id/xx/rest.debug, /usr/lib/debug), or by\n"
    ".gnu_debuglink (file's directory, .debug/, /usr/lib/debug/DIR), with dwz files. With a\n"
    "store, the symbol cache built from the DWARF is kept in its cache/: later runs read no\n"
    "DWARF at all.\n"
    "\n"
    "Addresses are module-relative (the file's own virtual addresses). Without ADDRESS\n"
    "arguments, one address per line is read from standard input and each is answered as\n"
    "soon as it is read (usable as a coprocess). Address syntax:\n"
    "  llvm, json  like llvm-symbolizer: 0x1a2b (hex), 0b101, 0o17 or 017 (octal), else\n"
    "              decimal; an optional \"CODE \" prefix; text after the address is ignored.\n"
    "              A line that is not an address is echoed back (json: an Error object).\n"
    "  gnu         like addr2line: always hex, 0x optional (strtoull base 16).\n"
    "\n"
    "Options:\n"
    "  -e, --obj, --exe FILE   the module (executable, shared object or debug file)\n"
    "  --build-id ID           the module with this GNU build-id (hex), from the store or\n"
    "                          the debug directories\n"
    "  --output-style STYLE    llvm (default), gnu or json (llvm-symbolizer's JSON)\n"
    "  -f, --functions[=none|linkage]  print function names (default in llvm/json style)\n"
    "  -i, --inlines, --inlining       print inlined frames (default in llvm/json style)\n"
    "  --no-inlines            only the innermost location\n"
    "  -C, --demangle          demangle C++/Rust names (default in llvm/json style)\n"
    "  --no-demangle           print names as the symbol table and DWARF spell them\n"
    "  -a, --addresses         print each address before its frames\n"
    "  -p, --pretty-print      one line per frame: FUNCTION at FILE:LINE[:COLUMN]\n"
    "  -s, --basenames         print file names without their directories\n"
    "  --store DIR             store for build-ids and the symbol cache (env UNRAVEL_STORE;\n"
    "                          ./unravel-data is used when it exists)\n"
    "  --project P             look build-ids up in project P only\n"
    "  --debug-dir DIR         another root searched like /usr/lib/debug (repeatable)\n"
    "  -v, --verbose           say on stderr which debug file and cache were used\n"
    "\n"
    "Output per address:\n"
    "  llvm   FUNCTION\\nFILE:LINE:COLUMN\\n per frame, innermost first, then an empty line;\n"
    "         unknown parts print as ?? and 0 (byte-identical to llvm-symbolizer 14 with\n"
    "         --inlining --demangle)\n"
    "  gnu    [FUNCTION\\n]FILE:LINE\\n per frame (the first only without -i); ??:0 when\n"
    "         nothing is known, ??:? when only the function is (as binutils 2.40 prints)\n"
    "  json   {\"Address\":\"0x..\",\"ModuleName\":..,\"Symbol\":[{\"Column\",\"FileName\",\n"
    "         \"FunctionName\",\"Line\",\"StartAddress\"}..]}, one per line from stdin, one\n"
    "         array for arguments\n"
    "\n"
    "Examples:\n"
    "  unravel addr2line -e ./server 0x4011d6 0x401200\n"
    "  unravel addr2line -e ./server --output-style gnu -f -i -C -a 4011d6\n"
    "  unravel addr2line --build-id 8f3a...c1 --store /srv/unravel < addresses.txt\n"
    "  unravel addr2line --obj=libfoo.so --output-style json 0x1f2e0\n"
    "\n"
    "Exit codes: 0 success (even when some addresses are unknown), 1 the module is missing,\n"
    "not ELF or its build-id is unknown, 2 usage error, 3 I/O error.\n";

typedef enum { STYLE_LLVM, STYLE_GNU, STYLE_JSON } output_style;

typedef struct {
    output_style style;
    bool functions, inlines, demangle, addresses, pretty, basenames;
    bool elf64;
    const char *module_name; /* JSON "ModuleName" */
    uv_native_module *module;
    uv_native_names names;
    /* output */
    char *out;
    size_t out_len;
    bool write_failed;
    bool json_list_open; /* arguments in JSON style: one array */
    size_t json_items;
    uv_sc_frame frames[MAX_FRAMES];
} printer;

/* ---- output buffer ------------------------------------------------------------------ */

static void flush_out(printer *p)
{
    size_t done = 0;
    while (done < p->out_len && !p->write_failed) {
        ssize_t n = write(STDOUT_FILENO, p->out + done, p->out_len - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            uv_cli_error("standard output: %s", strerror(errno));
            p->write_failed = true;
            break;
        }
        done += (size_t)n;
    }
    p->out_len = 0;
}

/* Makes room for `n` bytes (n <= OUT_CHUNK). */
static inline char *reserve(printer *p, size_t n)
{
    if (p->out_len + n > 2 * OUT_CHUNK) flush_out(p);
    return p->out + p->out_len;
}

static inline void put(printer *p, const char *s, size_t n)
{
    if (n == 0) return;     /* s may be NULL then */
    while (n > OUT_CHUNK) { /* only for absurdly long names */
        put(p, s, OUT_CHUNK);
        s += OUT_CHUNK;
        n -= OUT_CHUNK;
    }
    memcpy(reserve(p, n), s, n);
    p->out_len += n;
}

#define PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)

static inline void put_char(printer *p, char c)
{
    *reserve(p, 1) = c;
    p->out_len++;
}

static void put_u64(printer *p, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(p, tmp + i, sizeof tmp - i);
}

/* "0x" + lowercase hex, at least `width` digits. */
static void put_hex(printer *p, uint64_t v, int width)
{
    char tmp[20];
    size_t i = sizeof tmp;
    int digits = 0;
    do {
        tmp[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
        digits++;
    } while (v || digits < width);
    put(p, "0x", 2);
    put(p, tmp + i, sizeof tmp - i);
}

/* JSON string contents, escaped the way llvm's json::OStream does. */
static void put_json_escaped(printer *p, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        put(p, s + start, i - start);
        start = i + 1;
        switch (c) {
        case '"':
            PUT_LIT(p, "\\\"");
            break;
        case '\\':
            PUT_LIT(p, "\\\\");
            break;
        case '\b':
            PUT_LIT(p, "\\b");
            break;
        case '\f':
            PUT_LIT(p, "\\f");
            break;
        case '\n':
            PUT_LIT(p, "\\n");
            break;
        case '\r':
            PUT_LIT(p, "\\r");
            break;
        case '\t':
            PUT_LIT(p, "\\t");
            break;
        default: {
            char esc[7] = {
                '\\', 'u', '0', '0', "0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15], 0};
            put(p, esc, 6);
        }
        }
    }
    put(p, s + start, n - start);
}

static void put_json_string(printer *p, const char *s, size_t n)
{
    put_char(p, '"');
    put_json_escaped(p, s, n);
    put_char(p, '"');
}

/* ---- frames ------------------------------------------------------------------------- */

static uv_str frame_name(const printer *p, const uv_sc_frame *f)
{
    if (!p->demangle && f->raw_name.len) return f->raw_name;
    return f->function.len ? f->function : f->raw_name;
}

static uv_str frame_file(const printer *p, const uv_sc_frame *f)
{
    uv_str file = f->file;
    if (p->basenames && file.len) {
        const char *slash = memrchr(file.ptr, '/', file.len);
        if (slash) {
            size_t skip = (size_t)(slash + 1 - file.ptr);
            file = (uv_str){file.ptr + skip, file.len - skip};
        }
    }
    return file;
}

static void put_str_or(printer *p, uv_str s, const char *unknown)
{
    if (s.len)
        put(p, s.ptr, s.len);
    else
        put(p, unknown, strlen(unknown));
}

/* The frames llvm-symbolizer prints for an answer (llvm and JSON styles): one unknown frame
 * when there is none; with --no-inlines one frame, the innermost location under the outermost
 * function (name and start), kept in p->frames. */
static void llvm_frames(printer *p, const uv_sc_frame **frames, size_t *count)
{
    static const uv_sc_frame unknown;
    if (*count == 0) {
        *frames = &unknown;
        *count = 1;
    }
    if (!p->inlines) {
        const uv_sc_frame *outer = &(*frames)[*count - 1];
        uv_sc_frame one = (*frames)[0];
        one.function = outer->function;
        one.raw_name = outer->raw_name;
        one.function_start = outer->function_start;
        p->frames[0] = one;
        *frames = p->frames;
        *count = 1;
    }
}

static void print_llvm(printer *p, uint64_t address, const uv_sc_frame *frames, size_t count)
{
    if (p->addresses) {
        put_hex(p, address, 1);
        if (p->pretty)
            PUT_LIT(p, ": ");
        else
            put_char(p, '\n');
    }
    llvm_frames(p, &frames, &count);
    for (size_t i = 0; i < count; i++) {
        const uv_sc_frame *f = &frames[i];
        if (p->functions) {
            if (p->pretty && i > 0) PUT_LIT(p, " (inlined by) ");
            put_str_or(p, frame_name(p, f), "??");
            if (p->pretty)
                PUT_LIT(p, " at ");
            else
                put_char(p, '\n');
        }
        put_str_or(p, frame_file(p, f), "??");
        put_char(p, ':');
        put_u64(p, f->line);
        put_char(p, ':');
        put_u64(p, f->column);
        put_char(p, '\n');
    }
    put_char(p, '\n');
}

static void print_gnu(printer *p, uint64_t address, const uv_sc_frame *frames, size_t count)
{
    if (p->addresses) {
        put_hex(p, address, p->elf64 ? 16 : 8);
        if (p->pretty)
            PUT_LIT(p, ": ");
        else
            put_char(p, '\n');
    }
    if (count == 0) {
        if (p->functions) {
            if (p->pretty)
                PUT_LIT(p, "?? ");
            else
                PUT_LIT(p, "??\n");
        }
        PUT_LIT(p, "??:0\n");
        return;
    }
    if (!p->inlines) count = 1;
    for (size_t i = 0; i < count; i++) {
        const uv_sc_frame *f = &frames[i];
        if (p->pretty && i > 0) PUT_LIT(p, " (inlined by) ");
        if (p->functions) {
            put_str_or(p, frame_name(p, f), "??");
            if (p->pretty)
                PUT_LIT(p, " at ");
            else
                put_char(p, '\n');
        }
        put_str_or(p, frame_file(p, f), "??");
        put_char(p, ':');
        if (f->line)
            put_u64(p, f->line);
        else
            put_char(p, '?');
        put_char(p, '\n');
    }
}

static void json_item_begin(printer *p)
{
    if (p->json_list_open && p->json_items++ > 0) put_char(p, ',');
}

static void json_item_end(printer *p)
{
    if (!p->json_list_open) put_char(p, '\n');
}

static void print_json(printer *p, uint64_t address, const uv_sc_frame *frames, size_t count)
{
    json_item_begin(p);
    PUT_LIT(p, "{\"Address\":\"");
    put_hex(p, address, 1);
    PUT_LIT(p, "\",\"ModuleName\":");
    put_json_string(p, p->module_name, strlen(p->module_name));
    PUT_LIT(p, ",\"Symbol\":[");
    llvm_frames(p, &frames, &count);
    for (size_t i = 0; i < count; i++) {
        const uv_sc_frame *f = &frames[i];
        if (i) put_char(p, ',');
        PUT_LIT(p, "{\"Column\":");
        put_u64(p, f->column);
        PUT_LIT(p, ",\"FileName\":");
        uv_str file = frame_file(p, f);
        put_json_string(p, file.ptr, file.len);
        PUT_LIT(p, ",\"FunctionName\":");
        uv_str name = p->functions ? frame_name(p, f) : (uv_str){"", 0};
        put_json_string(p, name.ptr, name.len);
        PUT_LIT(p, ",\"Line\":");
        put_u64(p, f->line);
        PUT_LIT(p, ",\"StartAddress\":\"");
        if (f->function_start) put_hex(p, f->function_start, 1);
        PUT_LIT(p, "\"}");
    }
    PUT_LIT(p, "]}");
    json_item_end(p);
}

static void answer(printer *p, uint64_t address)
{
    size_t count = 0;
    if (uv_native_lookup_as(p->module, address, p->names, p->frames, MAX_FRAMES, &count) != 0)
        count = 0;
    if (count > MAX_FRAMES) count = MAX_FRAMES;
    switch (p->style) {
    case STYLE_LLVM:
        print_llvm(p, address, p->frames, count);
        break;
    case STYLE_GNU:
        print_gnu(p, address, p->frames, count);
        break;
    case STYLE_JSON:
        print_json(p, address, p->frames, count);
        break;
    }
}

/* ---- address syntax ----------------------------------------------------------------- */

/* llvm's StringRef::getAsInteger(0, …): radix from the prefix, all of `s` must be digits,
 * no overflow. */
static bool parse_llvm_integer(const char *s, size_t n, uint64_t *out)
{
    unsigned radix = 10;
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        radix = 16;
        s += 2, n -= 2;
    } else if (n >= 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
        radix = 2;
        s += 2, n -= 2;
    } else if (n >= 2 && s[0] == '0' && s[1] == 'o') {
        radix = 8;
        s += 2, n -= 2;
    } else if (n >= 2 && s[0] == '0' && s[1] >= '0' && s[1] <= '9') {
        radix = 8;
        s += 1, n -= 1;
    }
    if (n == 0) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'z')
            d = (unsigned)(c - 'a') + 10;
        else if (c >= 'A' && c <= 'Z')
            d = (unsigned)(c - 'A') + 10;
        else
            return false;
        if (d >= radix) return false;
        if (__builtin_mul_overflow(v, radix, &v) || __builtin_add_overflow(v, d, &v)) return false;
    }
    *out = v;
    return true;
}

/* llvm-symbolizer 14's parseCommand with a module given: optional "CODE " prefix, then the
 * first token (delimiters space, \n, \r). */
static bool parse_llvm_address(const char *line, size_t n, uint64_t *out)
{
    if (n >= 5 && memcmp(line, "CODE ", 5) == 0) line += 5, n -= 5;
    size_t i = 0;
    while (i < n && (line[i] == ' ' || line[i] == '\n' || line[i] == '\r'))
        i++;
    size_t start = i;
    while (i < n && line[i] != ' ' && line[i] != '\n' && line[i] != '\r')
        i++;
    return parse_llvm_integer(line + start, i - start, out);
}

/* binutils 2.40 addr2line (bfd_scan_vma base 16, as measured): leading blanks, an optional
 * '+', an optional 0x/0X, then hex digits up to the first other character; no number (or a
 * '-') reads as 0 and an overflow as all ones. */
static uint64_t parse_gnu_address(const char *s)
{
    while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
        s++;
    if (*s == '+') s++;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
    uint64_t v = 0;
    bool overflow = false;
    for (;; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (*s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a') + 10;
        else if (*s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A') + 10;
        else
            break;
        if (v >> 60) overflow = true;
        v = (v << 4) | d;
    }
    return overflow ? UINT64_MAX : v;
}

static void symbolize_input(printer *p, const char *line, size_t n)
{
    if (p->style == STYLE_GNU) {
        answer(p, parse_gnu_address(line));
        return;
    }
    uint64_t address;
    if (parse_llvm_address(line, n, &address)) {
        answer(p, address);
        return;
    }
    if (p->style == STYLE_LLVM) {
        put(p, line, n);
        put_char(p, '\n');
        return;
    }
    json_item_begin(p);
    PUT_LIT(p, "{\"Error\":{\"Message\":\"unable to parse arguments: ");
    put_json_escaped(p, line, n);
    PUT_LIT(p, "\"},\"ModuleName\":");
    put_json_string(p, p->module_name, strlen(p->module_name));
    put_char(p, '}');
    json_item_end(p);
}

/* Reads standard input line by line; writes the pending output before each blocking read.
 * A line longer than LINE_MAX_BYTES is answered from its head and the rest skipped. */
static int run_stdin(printer *p)
{
    char *buf = malloc(LINE_MAX_BYTES + 1);
    if (!buf) {
        uv_cli_error("out of memory");
        return UV_EXIT_IO;
    }
    size_t len = 0;
    bool skipping = false;
    int rc = UV_EXIT_OK;
    for (;;) {
        size_t pos = 0;
        char *nl;
        while ((nl = memchr(buf + pos, '\n', len - pos)) != NULL) {
            size_t line_len = (size_t)(nl - (buf + pos));
            if (!skipping) {
                *nl = '\0';
                symbolize_input(p, buf + pos, line_len);
            }
            skipping = false;
            pos += line_len + 1;
        }
        memmove(buf, buf + pos, len - pos);
        len -= pos;
        if (len == LINE_MAX_BYTES) {
            if (!skipping) {
                buf[len] = '\0';
                symbolize_input(p, buf, len);
            }
            skipping = true;
            len = 0;
        }
        flush_out(p); /* the answers so far go out before we may block */
        if (p->write_failed) break;
        ssize_t n = read(STDIN_FILENO, buf + len, LINE_MAX_BYTES - len);
        if (n < 0) {
            if (errno == EINTR) continue;
            uv_cli_error("standard input: %s", strerror(errno));
            rc = UV_EXIT_IO;
            break;
        }
        if (n == 0) { /* a last line without newline */
            if (len > 0 && !skipping) {
                buf[len] = '\0';
                symbolize_input(p, buf, len);
            }
            break;
        }
        len += (size_t)n;
    }
    free(buf);
    return rc;
}

/* ---- options ------------------------------------------------------------------------ */

enum {
    OPT_OBJ = 256,
    OPT_BUILD_ID,
    OPT_STYLE,
    OPT_NO_INLINES,
    OPT_NO_DEMANGLE,
    OPT_STORE,
    OPT_PROJECT,
    OPT_DEBUG_DIR,
};

static int usage(const char *fmt, const char *arg)
{
    fputs("unravel: addr2line: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (see `unravel help addr2line`)\n", stderr);
    return UV_EXIT_USAGE;
}

static int run(int argc, char **argv)
{
    static const struct option options[] = {
        {"obj", required_argument, NULL, 'e'},
        {"exe", required_argument, NULL, 'e'},
        {"build-id", required_argument, NULL, OPT_BUILD_ID},
        {"functions", optional_argument, NULL, 'f'},
        {"inlines", no_argument, NULL, 'i'},
        {"inlining", no_argument, NULL, 'i'},
        {"no-inlines", no_argument, NULL, OPT_NO_INLINES},
        {"demangle", no_argument, NULL, 'C'},
        {"no-demangle", no_argument, NULL, OPT_NO_DEMANGLE},
        {"addresses", no_argument, NULL, 'a'},
        {"pretty-print", no_argument, NULL, 'p'},
        {"basenames", no_argument, NULL, 's'},
        {"output-style", required_argument, NULL, OPT_STYLE},
        {"store", required_argument, NULL, OPT_STORE},
        {"project", required_argument, NULL, OPT_PROJECT},
        {"debug-dir", required_argument, NULL, OPT_DEBUG_DIR},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *obj = NULL, *build_id = NULL, *store_dir = NULL, *project = NULL;
    const char *debug_dirs[MAX_DEBUG_DIRS];
    size_t debug_dir_count = 0;
    int functions = -1, inlines = -1, demangle = -1; /* -1: the style's default */
    bool addresses = false, pretty = false, basenames = false, verbose = false;
    output_style style = STYLE_LLVM;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":e:fiCapsvh", options, NULL)) != -1) {
        switch (c) {
        case 'e':
            obj = optarg;
            break;
        case OPT_BUILD_ID:
            build_id = optarg;
            break;
        case 'f':
            if (!optarg || strcmp(optarg, "linkage") == 0)
                functions = 1;
            else if (strcmp(optarg, "none") == 0)
                functions = 0;
            else
                return usage("--functions: expected none or linkage, got '%s'", optarg);
            break;
        case 'i':
            inlines = 1;
            break;
        case OPT_NO_INLINES:
            inlines = 0;
            break;
        case 'C':
            demangle = 1;
            break;
        case OPT_NO_DEMANGLE:
            demangle = 0;
            break;
        case 'a':
            addresses = true;
            break;
        case 'p':
            pretty = true;
            break;
        case 's':
            basenames = true;
            break;
        case 'v':
            verbose = true;
            break;
        case OPT_STYLE:
            if (strcasecmp(optarg, "llvm") == 0)
                style = STYLE_LLVM;
            else if (strcasecmp(optarg, "gnu") == 0)
                style = STYLE_GNU;
            else if (strcasecmp(optarg, "json") == 0)
                style = STYLE_JSON;
            else
                return usage("--output-style: expected llvm, gnu or json, got '%s'", optarg);
            break;
        case OPT_STORE:
            store_dir = optarg;
            break;
        case OPT_PROJECT:
            project = optarg;
            break;
        case OPT_DEBUG_DIR:
            if (debug_dir_count == MAX_DEBUG_DIRS)
                return usage("--debug-dir: at most 16, got more at '%s'", optarg);
            debug_dirs[debug_dir_count++] = optarg;
            break;
        case 'h':
            uv_cli_print_help(&uv_command_addr2line, stdout);
            return UV_EXIT_OK;
        case ':':
            return usage("option %s needs a value", argv[optind - 1]);
        default:
            return usage("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!obj == !build_id) return usage("%s", "give exactly one of -e/--obj FILE or --build-id ID");

    printer *p = calloc(1, sizeof *p);
    if (!p) {
        uv_cli_error("out of memory");
        return UV_EXIT_IO;
    }
    p->style = style;
    bool llvm_like = style != STYLE_GNU;
    p->functions = functions >= 0 ? functions : llvm_like;
    p->inlines = inlines >= 0 ? inlines : llvm_like;
    p->demangle = demangle >= 0 ? demangle : llvm_like;
    p->addresses = addresses;
    p->pretty = pretty;
    p->basenames = basenames;
    p->names = !llvm_like     ? UV_NATIVE_NAMES_GNU
               : p->functions ? UV_NATIVE_NAMES_LLVM
                              : UV_NATIVE_NAMES_DWARF; /* llvm: no symbol table then */
    p->module_name = obj ? obj : build_id;

    int rc = UV_EXIT_OK;
    uv_store *store = NULL;
    uv_native_options native = {0};
    native.debug_dirs = debug_dirs;
    native.debug_dir_count = debug_dir_count;
    /* An explicit --store is created when missing (so a first run fills its cache); the
     * environment's or the default one is used only when it exists. */
    const char *dir = uv_cli_store_dir(store_dir);
    int err = uv_store_open(&store, dir, store_dir ? UV_STORE_CREATE : 0);
    if (err && (store_dir || err != UV_ENOTFOUND)) {
        uv_cli_report("addr2line: store");
        rc = uv_cli_exit_code(err);
        goto done;
    }
    native.store = store;
    native.names = p->names;
    if (project) {
        if (!store) {
            uv_cli_error("addr2line: --project %s needs a store (--store DIR)", project);
            rc = UV_EXIT_USAGE;
            goto done;
        }
        err = uv_store_project_find(store, project, &native.project_id);
        if (err) {
            uv_cli_error("addr2line: project '%s' not found in store %s", project, dir);
            rc = uv_cli_exit_code(err);
            goto done;
        }
    }
    err = obj ? uv_native_open_file(&p->module, obj, &native)
              : uv_native_open_build_id(&p->module, build_id, &native);
    if (err) {
        uv_cli_report("addr2line");
        rc = uv_cli_exit_code(err);
        goto done;
    }
    const uv_native_info *info = uv_native_get_info(p->module);
    p->elf64 = info->elf64;
    if (verbose) {
        fprintf(stderr, "unravel: addr2line: build-id %s, debug info from %s%s%s%s\n",
                info->build_id[0] ? info->build_id : "(none)",
                info->debug_file[0] ? info->debug_file : "(nothing)",
                info->alt_file[0] ? " + dwz " : "", info->alt_file,
                info->from_cache ? " (cached symcache)" : "");
        fprintf(stderr, "unravel: addr2line: dwarf %s, inlines %s, symbols %s%s%s\n",
                info->has_dwarf ? "yes" : "no", info->has_inlines ? "yes" : "no",
                info->has_symbols ? "yes" : "no", info->note[0] ? "; " : "", info->note);
    }

    p->out = malloc(2 * OUT_CHUNK);
    if (!p->out) {
        uv_cli_error("out of memory");
        rc = UV_EXIT_IO;
        goto done;
    }
    if (optind < argc) {
        if (style == STYLE_JSON) {
            p->json_list_open = true;
            put_char(p, '[');
        }
        for (int i = optind; i < argc && !p->write_failed; i++)
            symbolize_input(p, argv[i], strlen(argv[i]));
        if (style == STYLE_JSON) PUT_LIT(p, "]\n");
    } else {
        rc = run_stdin(p);
    }
    flush_out(p);
    if (p->write_failed && rc == UV_EXIT_OK) rc = UV_EXIT_IO;

done:
    uv_native_free(p->module);
    uv_store_close(store);
    free(p->out);
    free(p);
    return rc;
}

const uv_command uv_command_addr2line = {
    "addr2line", "addresses → function, file, line (llvm-symbolizer/addr2line compatible)", help,
    run};
