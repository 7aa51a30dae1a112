/* unravel sourcemap check|lookup: validate one source map, or map generated positions back
 * to original ones exactly as mozilla source-map's originalPositionFor does. */
#include "cli/cli.h"

#include "formats/buf.h"
#include "formats/error.h"
#include "formats/sourcemap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Same ceiling as the parser: a bigger file is refused before it is read. */
#define MAP_MAX_BYTES ((size_t)512 << 20)
/* A position line on stdin longer than this is not a position. */
#define POSITION_MAX 64

static const char help[] =
    "usage: unravel sourcemap check MAP\n"
    "       unravel sourcemap lookup MAP [--format text|json] [LINE:COLUMN...]\n"
    "\n"
    "Debug one source map (ECMA-426: regular and index maps).\n"
    "\n"
    "  check    parse MAP and report \"MAP: valid source map: N sources, M names,\n"
    "           K segments[, debug id X]\" (exit 0) or \"MAP: invalid: REASON\" on\n"
    "           stderr (exit 1). The reason names the field, and for mappings the\n"
    "           1-based generated line and segment.\n"
    "  lookup   map generated positions to original ones. LINE is 1-based and COLUMN\n"
    "           0-based, exactly like mozilla source-map's originalPositionFor: the\n"
    "           last mapping at or before COLUMN on the same generated line. Without\n"
    "           positions on the command line, reads one LINE:COLUMN per line from\n"
    "           stdin (for bulk use).\n"
    "\n"
    "Output of lookup, one line per position:\n"
    "  text   SOURCE:LINE:COLUMN NAME   (original line 1-based, column 0-based; the\n"
    "         name is left out when there is none), or `null` when nothing maps there\n"
    "  json   {\"source\":\"...\",\"line\":L,\"column\":C,\"name\":\"...\"|null} or null\n"
    "\n"
    "MAP may be `-` for standard input.\n"
    "\n"
    "Examples:\n"
    "  unravel sourcemap check dist/app.min.js.map\n"
    "  unravel sourcemap lookup dist/app.min.js.map 1:10384\n"
    "  unravel sourcemap lookup --format json app.js.map 1:200 1:5000\n"
    "  cut -d' ' -f2 frames.txt | unravel sourcemap lookup app.js.map > original.txt\n"
    "\n"
    "Exit codes: 0 success, 1 invalid map, 2 usage error, 3 the map could not be read.\n";

/* The bytes of a map: mmapped when the file allows it, else read into memory. */
typedef struct {
    char *data;
    size_t len;
    bool mapped;
} map_bytes;

static int read_all(int fd, const char *name, map_bytes *out)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        uv_cli_error("%s: out of memory", name);
        return UV_EXIT_IO;
    }
    for (;;) {
        if (len == cap) {
            if (cap > MAP_MAX_BYTES) {
                free(buf);
                uv_cli_error("%s: larger than %zu bytes", name, MAP_MAX_BYTES);
                return UV_EXIT_INPUT;
            }
            char *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                uv_cli_error("%s: out of memory", name);
                return UV_EXIT_IO;
            }
            buf = grown;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR) continue;
            uv_cli_error("%s: %s", name, strerror(errno));
            free(buf);
            return UV_EXIT_IO;
        }
        if (n == 0) break;
        len += (size_t)n;
    }
    out->data = buf;
    out->len = len;
    out->mapped = false;
    return UV_EXIT_OK;
}

static int load_bytes(const char *path, map_bytes *out)
{
    if (strcmp(path, "-") == 0) return read_all(STDIN_FILENO, "<stdin>", out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        uv_cli_error("%s: %s", path, strerror(errno));
        return UV_EXIT_IO;
    }
    struct stat st;
    int rc;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        if ((uint64_t)st.st_size > MAP_MAX_BYTES) {
            close(fd);
            uv_cli_error("%s: larger than %zu bytes", path, MAP_MAX_BYTES);
            return UV_EXIT_INPUT;
        }
        if (st.st_size == 0) {
            out->data = NULL;
            out->len = 0;
            out->mapped = false;
            close(fd);
            return UV_EXIT_OK;
        }
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (p != MAP_FAILED) {
            out->data = p;
            out->len = (size_t)st.st_size;
            out->mapped = true;
            close(fd);
            return UV_EXIT_OK;
        }
    }
    rc = read_all(fd, path, out);
    close(fd);
    return rc;
}

static void free_bytes(map_bytes *b)
{
    if (b->mapped)
        munmap(b->data, b->len);
    else
        free(b->data);
}

/* Loads and parses; on failure prints "MAP: invalid: REASON" and returns the exit code. */
static int open_map(const char *path, map_bytes *bytes, uv_sourcemap **map)
{
    int rc = load_bytes(path, bytes);
    if (rc) return rc;
    int err = uv_sourcemap_parse(map, bytes->data ? bytes->data : "", bytes->len);
    if (err) {
        const uv_error *e = uv_error_last();
        fprintf(stderr, "%s: invalid: %s\n", path, e->message[0] ? e->message : uv_strerror(err));
        free_bytes(bytes);
        return uv_cli_exit_code(err);
    }
    return UV_EXIT_OK;
}

static int run_check(const char *path)
{
    map_bytes bytes;
    uv_sourcemap *map;
    int rc = open_map(path, &bytes, &map);
    if (rc) return rc;
    printf("%s: valid source map: %u sources, %u names, %zu segments", path,
           uv_sourcemap_source_count(map), uv_sourcemap_name_count(map),
           uv_sourcemap_segment_count(map));
    uv_str id = uv_sourcemap_debug_id(map);
    if (id.len) printf(", debug id %.*s", (int)id.len, id.ptr);
    putchar('\n');
    uv_sourcemap_free(map);
    free_bytes(&bytes);
    return UV_EXIT_OK;
}

/* ---- Output: hand-formatted into a big stdio buffer (100k lookups are benchmarked) --- */

static void put_u32(uint32_t v)
{
    char text[20];
    fwrite_unlocked(text, 1, uv_format_u64(text, v), stdout);
}

static void put_view(uv_str s)
{
    fwrite_unlocked(s.ptr, 1, s.len, stdout);
}

static void put_json_string(uv_str s)
{
    static const char hex[] = "0123456789abcdef";
    putchar_unlocked('"');
    size_t run = 0;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        fwrite_unlocked(s.ptr + run, 1, i - run, stdout);
        run = i + 1;
        putchar_unlocked('\\');
        switch (c) {
        case '"':
            putchar_unlocked('"');
            break;
        case '\\':
            putchar_unlocked('\\');
            break;
        case '\n':
            putchar_unlocked('n');
            break;
        case '\r':
            putchar_unlocked('r');
            break;
        case '\t':
            putchar_unlocked('t');
            break;
        default:
            fputs_unlocked("u00", stdout);
            putchar_unlocked(hex[c >> 4]);
            putchar_unlocked(hex[c & 15]);
        }
    }
    fwrite_unlocked(s.ptr + run, 1, s.len - run, stdout);
    putchar_unlocked('"');
}

static void print_result(const uv_sourcemap *map, uint32_t line1, uint32_t column, bool json)
{
    uv_sm_token t;
    if (line1 == 0 || uv_sourcemap_lookup(map, line1 - 1, column, &t) != 0) {
        fputs_unlocked("null\n", stdout);
        return;
    }
    uv_str source = uv_sourcemap_source(map, t.source);
    if (json) {
        fputs_unlocked("{\"source\":", stdout);
        if (source.ptr)
            put_json_string(source);
        else
            fputs_unlocked("null", stdout);
        fputs_unlocked(",\"line\":", stdout);
        put_u32(t.line + 1);
        fputs_unlocked(",\"column\":", stdout);
        put_u32(t.column);
        fputs_unlocked(",\"name\":", stdout);
        if (t.name != UV_SM_NONE)
            put_json_string(uv_sourcemap_name(map, t.name));
        else
            fputs_unlocked("null", stdout);
        fputs_unlocked("}\n", stdout);
        return;
    }
    put_view(source.ptr ? source : uv_str_c("null"));
    putchar_unlocked(':');
    put_u32(t.line + 1);
    putchar_unlocked(':');
    put_u32(t.column);
    if (t.name != UV_SM_NONE) {
        putchar_unlocked(' ');
        put_view(uv_sourcemap_name(map, t.name));
    }
    putchar_unlocked('\n');
}

/* Parses "LINE:COLUMN" (LINE >= 1, both decimal, fitting in 32 bits). */
static bool parse_position(const char *s, size_t n, uint32_t *line, uint32_t *column)
{
    uint64_t v[2] = {0, 0};
    int part = 0;
    size_t digits = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ':' && part == 0 && digits > 0) {
            part = 1;
            digits = 0;
            continue;
        }
        if (c < '0' || c > '9') return false;
        v[part] = v[part] * 10 + (uint64_t)(c - '0');
        if (v[part] > UINT32_MAX) return false;
        digits++;
    }
    if (part != 1 || digits == 0 || v[0] == 0) return false;
    *line = (uint32_t)v[0];
    *column = (uint32_t)v[1];
    return true;
}

static int run_lookup(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false;
    int first_pos = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--format") == 0) {
            if (i + 1 >= argc) {
                uv_cli_error("sourcemap lookup: --format needs a value");
                return UV_EXIT_USAGE;
            }
            if (!uv_cli_parse_format(argv[++i], &json)) return UV_EXIT_USAGE;
        } else if (strncmp(a, "--format=", 9) == 0) {
            if (!uv_cli_parse_format(a + 9, &json)) return UV_EXIT_USAGE;
        } else if (a[0] == '-' && a[1] != '\0') {
            uv_cli_error("sourcemap lookup: unknown option '%s'", a);
            return UV_EXIT_USAGE;
        } else if (!path) {
            path = a;
        } else {
            uint32_t l, c;
            if (!parse_position(a, strlen(a), &l, &c)) {
                uv_cli_error("sourcemap lookup: '%s' is not LINE:COLUMN (LINE from 1)", a);
                return UV_EXIT_USAGE;
            }
            if (first_pos < 0) first_pos = i;
        }
    }
    if (!path) {
        uv_cli_error("sourcemap lookup: missing MAP (see `unravel help sourcemap`)");
        return UV_EXIT_USAGE;
    }
    if (strcmp(path, "-") == 0 && first_pos < 0) {
        uv_cli_error("sourcemap lookup: with MAP from stdin, give positions as arguments");
        return UV_EXIT_USAGE;
    }
    map_bytes bytes;
    uv_sourcemap *map;
    int rc = open_map(path, &bytes, &map);
    if (rc) return rc;
    static char outbuf[1 << 20];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    rc = UV_EXIT_OK;
    if (first_pos >= 0) {
        for (int i = first_pos; i < argc; i++) {
            if (strcmp(argv[i], "--format") == 0) {
                i++;
                continue;
            }
            if (argv[i][0] == '-' || argv[i] == path) continue;
            uint32_t l, c;
            if (parse_position(argv[i], strlen(argv[i]), &l, &c)) print_result(map, l, c, json);
        }
    } else {
        char line[POSITION_MAX + 2];
        size_t lineno = 0;
        while (fgets(line, sizeof line, stdin)) {
            lineno++;
            size_t n = strlen(line);
            if (n == sizeof line - 1 && line[n - 1] != '\n') {
                uv_cli_error("sourcemap lookup: stdin line %zu is too long for LINE:COLUMN",
                             lineno);
                rc = UV_EXIT_USAGE;
                break;
            }
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
                n--;
            size_t s = 0;
            while (s < n && line[s] == ' ')
                s++;
            if (s == n) continue;
            uint32_t l, c;
            if (!parse_position(line + s, n - s, &l, &c)) {
                uv_cli_error("sourcemap lookup: stdin line %zu: '%.*s' is not LINE:COLUMN", lineno,
                             (int)(n - s), line + s);
                rc = UV_EXIT_USAGE;
                break;
            }
            print_result(map, l, c, json);
        }
    }
    if (fflush(stdout) != 0) {
        uv_cli_error("sourcemap lookup: writing output: %s", strerror(errno));
        if (!rc) rc = UV_EXIT_IO;
    }
    uv_sourcemap_free(map);
    free_bytes(&bytes);
    return rc;
}

static int run(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? UV_EXIT_USAGE : UV_EXIT_OK;
    }
    if (strcmp(argv[1], "check") == 0) {
        if (argc != 3) {
            uv_cli_error("usage: unravel sourcemap check MAP");
            return UV_EXIT_USAGE;
        }
        return run_check(argv[2]);
    }
    if (strcmp(argv[1], "lookup") == 0) return run_lookup(argc - 1, argv + 1);
    uv_cli_error("sourcemap: unknown subcommand '%s' (check or lookup)", argv[1]);
    return UV_EXIT_USAGE;
}

const uv_command uv_command_sourcemap = {
    "sourcemap",
    "check a source map or look up generated positions in it",
    help,
    run,
};
