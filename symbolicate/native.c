/* Native modules, modelled on elfutils libdwfl (find-debuginfo.c, dwfl_module_getdwarf.c).
 *
 * Opening a module maps its ELF file and reads the build-id. The debug information is then
 * looked for in this order, the first hit winning:
 *   1. the file itself, when it has .debug_info (or .zdebug_info);
 *   2. by build-id: the store (artifact kind "debuginfo"), then ROOT/.build-id/xx/rest.debug
 *      for each debug root (the options' roots, then /usr/lib/debug);
 *   3. by .gnu_debuglink NAME: DIR/NAME, DIR/.debug/NAME, ROOT/DIR/NAME, where DIR is the
 *      file's canonical directory.
 * A candidate is accepted the way libdwfl validates it: when both files carry a build-id the
 * two must be equal; otherwise its CRC-32 must equal the debuglink's (the whole file is read
 * only then). A debug file with .gnu_debugaltlink gets its dwz supplementary file by build-id
 * (store, ROOT/.build-id/…) or by its path (absolute, or relative to the debug file's
 * directory), checked against the build-id the link names.
 *
 * The DWARF (+ the symbol table of whichever file has .symtab, the debug file preferred) is
 * turned into a symcache once. With a store, the symcache is kept in the store's cache
 * (kind "symcache"), keyed by the SHA-256 of a short identity text naming the debug file
 * (its blob hash when it came from the store; else its build-id and size — a build-id names
 * the file's contents, and hashing hundreds of megabytes on every run would cost more than
 * the lookups; the SHA-256 of its bytes only for files without build-id) and the same for
 * the supplementary file and the symbol file. A warm open therefore maps the ELF, reads its
 * build-id, finds the debug file by name and maps the cached symcache: no DWARF is read. A
 * corrupt cache file is dropped and rebuilt. A module whose DWARF is corrupt still opens with
 * its symbols, and that symbols-only symcache is cached too (the failure is remembered, as
 * libdwfl caches a module's load failure).
 *
 * The llvm-symbolizer and GNU addr2line naming rules (uv_native_lookup_as) need the raw
 * symbol tables (STT_FILE order, symbol sections, data symbols), which uv_elf_symbols does
 * not keep: a small bounds-checked .symtab reader below builds them lazily, on the first
 * lookup that asks. */
#include "symbolicate/native.h"

#include "formats/arena.h"
#include "formats/buf.h"
#include "formats/demangle.h"
#include "formats/dwarf.h"
#include "formats/elf.h"
#include "formats/error.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ELF and debug files are mapped whole: 4 GiB is above the largest debug files we know
 * (Chromium's is ~2.5 GiB) and keeps every offset in 32 bits for the symbol reader. */
#define NATIVE_FILE_MAX ((size_t)4 << 30)

/* Version of the cached symcache as this module builds it (the symcache format has its own
 * version inside; a mismatch there makes uv_symcache_open fail and the file is rebuilt).
 *   1  first version: DWARF of the debug file + dwz file, symbols of the .symtab owner.
 *   2  zero-length line rows dropped, libdwarf's epilogue_begin rows kept, identical ranges
 *      resolved to the later DIE, LLVM 14's demangling of generic lambdas, inheriting
 *      constructors and local names: caches built by version 1 answer differently. */
#define NATIVE_CACHE_VERSION 2u
#define NATIVE_CACHE_KIND "symcache"

/* Longest inline chain a lookup gathers internally before trimming to the caller's max:
 * real chains stay below ~30; deeper ones are cut (the outermost frames are kept). */
#define NATIVE_MAX_FRAMES 128

#define DEFAULT_DEBUG_ROOT "/usr/lib/debug"

/* One symbol of a raw table (see symtab below). */
typedef struct {
    uint64_t addr, size;
    uv_str name;
    uint32_t file;  /* index into the table's STT_FILE names, or UINT32_MAX */
    uint32_t index; /* position in the ELF table (for a stable sort) */
    uint16_t shndx;
    uint8_t type, bind;
    const char *demangled; /* memoised llvm-style demangling (NULL: not yet) */
    size_t demangled_len;
} raw_symbol;

/* A symbol table read straight from .symtab/.dynsym with one tool's rules. */
typedef struct {
    bool built;
    raw_symbol *syms;
    size_t count;
    uv_str *files; /* STT_FILE names */
    size_t file_count;
    uv_elf *elf; /* the ELF the table came from (for section lookups) */
} symtab;

/* One mapped ELF. */
typedef struct {
    uv_mapped map;
    uv_elf *elf;
    char path[4096];
    char blob[UV_HASH_HEX]; /* store blob hash, "" when from disk */
    char build_id[2 * UV_BUILD_ID_MAX + 1];
} elf_file;

struct uv_native_module {
    uv_native_info info;
    uv_native_options options;
    elf_file main;  /* the module as given */
    elf_file debug; /* the separate debug file (debug.elf NULL when none or main itself) */
    elf_file alt;   /* the dwz supplementary file */
    uv_mapped cache_map;
    uv_buf cache_buf;
    uv_symcache *symcache;
    uv_arena *arena; /* symbol tables, demangled names */
    symtab llvm_syms, gnu_syms;
};

/* ---- small helpers ------------------------------------------------------------------ */

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void note(uv_native_module *m, const char *fmt, const char *arg)
{
    if (m->info.note[0]) return; /* the first reason is the one that matters */
    snprintf(m->info.note, sizeof m->info.note, fmt, arg);
}

static bool is_hex_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 2 * UV_BUILD_ID_MAX || n % 2) return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}

static void hex_of(const uint8_t *bytes, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * len] = '\0';
}

static void elf_file_close(elf_file *f)
{
    uv_elf_free(f->elf);
    uv_mapped_release(&f->map);
    memset(f, 0, sizeof *f);
}

/* Maps `path` and opens it as ELF. Errors name the file. */
static int elf_file_open_path(elf_file *f, const char *path)
{
    memset(f, 0, sizeof *f);
    int rc = uv_file_map(path, NATIVE_FILE_MAX, &f->map);
    if (rc) return rc;
    rc = uv_elf_open(&f->elf, f->map.data, f->map.len);
    if (rc) {
        uv_error_prefix("%s", path);
        uv_mapped_release(&f->map);
        return rc;
    }
    copy_str(f->path, sizeof f->path, path);
    if (uv_elf_build_id_hex(f->elf, f->build_id) != 0) f->build_id[0] = '\0';
    return 0;
}

/* Maps the store blob of `artifact` and opens it as ELF. */
static int elf_file_open_blob(elf_file *f, uv_store *store, const uv_artifact *artifact)
{
    memset(f, 0, sizeof *f);
    int rc = uv_store_blob_map(store, artifact->blob, &f->map);
    if (rc) return rc;
    rc = uv_elf_open(&f->elf, f->map.data, f->map.len);
    if (rc) {
        uv_error_prefix("store blob %s (%s)", artifact->blob, artifact->key);
        uv_mapped_release(&f->map);
        return rc;
    }
    snprintf(f->path, sizeof f->path, "store:%s/%s", artifact->debug_id, artifact->key);
    copy_str(f->blob, sizeof f->blob, artifact->blob);
    if (uv_elf_build_id_hex(f->elf, f->build_id) != 0) f->build_id[0] = '\0';
    return 0;
}

static bool has_dwarf(const elf_file *f)
{
    return uv_elf_has_section(f->elf, ".debug_info") || uv_elf_has_section(f->elf, ".zdebug_info");
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* The debug roots in search order: the options' roots, then /usr/lib/debug. */
static size_t root_count(const uv_native_module *m)
{
    return m->options.debug_dir_count + 1;
}

static const char *root_at(const uv_native_module *m, size_t i)
{
    if (i < m->options.debug_dir_count && m->options.debug_dirs) return m->options.debug_dirs[i];
    return DEFAULT_DEBUG_ROOT;
}

/* ROOT/.build-id/xx/rest.debug; false when it does not fit. */
static bool build_id_path(char *out, size_t cap, const char *root, const char *hex)
{
    int n = snprintf(out, cap, "%s/.build-id/%.2s/%s.debug", root, hex, hex + 2);
    return n > 0 && (size_t)n < cap;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Finds a file with build-id `hex` in the store (kind `kind`) or in the debug roots, and
 * opens it into `f`. Returns 0, or UV_ENOTFOUND when nowhere; a candidate that is not the
 * right file is skipped. `want_dwarf`: only accept files with .debug_info. */
static int find_by_build_id(uv_native_module *m, const char *hex, const char *kind, bool want_dwarf,
                            elf_file *f)
{
    if (!is_hex_id(hex)) return UV_ENOTFOUND;
    if (m->options.store) {
        uv_artifact *artifact = malloc(sizeof *artifact);
        if (!artifact) return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
        int rc = uv_store_artifact_find_debug_id(m->options.store, m->options.project_id, hex, kind,
                                                 artifact);
        if (rc == 0) {
            rc = elf_file_open_blob(f, m->options.store, artifact);
            if (rc == 0 && (strcmp(f->build_id, hex) != 0 || (want_dwarf && !has_dwarf(f)))) {
                elf_file_close(f);
                rc = UV_ENOTFOUND;
            }
        }
        free(artifact);
        if (rc == 0) return 0;
        if (rc == UV_ENOMEM || rc == UV_EIO) return rc;
    }
    char path[4096];
    for (size_t i = 0; i < root_count(m); i++) {
        if (!build_id_path(path, sizeof path, root_at(m, i), hex) || !file_exists(path)) continue;
        if (elf_file_open_path(f, path) != 0) continue;
        if (strcmp(f->build_id, hex) == 0 && (!want_dwarf || has_dwarf(f))) return 0;
        elf_file_close(f);
    }
    return UV_ENOTFOUND;
}

/* A .gnu_debuglink candidate: accepted when its build-id equals the module's (both having
 * one), else when its CRC-32 equals the link's, and when it is not the module itself. */
static bool try_debuglink(uv_native_module *m, const char *path, uint32_t crc, elf_file *f)
{
    if (!file_exists(path) || same_file(path, m->main.path)) return false;
    if (elf_file_open_path(f, path) != 0) return false;
    bool ok;
    if (m->main.build_id[0] && f->build_id[0])
        ok = strcmp(m->main.build_id, f->build_id) == 0;
    else
        ok = uv_debuglink_crc32(f->map.data, f->map.len) == crc;
    if (ok && has_dwarf(f)) return true;
    elf_file_close(f);
    return false;
}

static int find_by_debuglink(uv_native_module *m, elf_file *f)
{
    uv_str link;
    uint32_t crc;
    if (uv_elf_debuglink(m->main.elf, &link, &crc) != 0 || link.len == 0 || link.len >= 256 ||
        memchr(link.ptr, '/', link.len) || memchr(link.ptr, '\0', link.len))
        return UV_ENOTFOUND;
    char name[256];
    memcpy(name, link.ptr, link.len);
    name[link.len] = '\0';

    char resolved[PATH_MAX];
    char dir[4096];
    if (m->main.blob[0]) return UV_ENOTFOUND; /* a stored file has no directory */
    if (realpath(m->main.path, resolved))
        copy_str(dir, sizeof dir, resolved);
    else
        copy_str(dir, sizeof dir, m->main.path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        copy_str(dir, sizeof dir, ".");

    char path[8192];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n > 0 && (size_t)n < sizeof path && try_debuglink(m, path, crc, f)) return 0;
    n = snprintf(path, sizeof path, "%s/.debug/%s", dir, name);
    if (n > 0 && (size_t)n < sizeof path && try_debuglink(m, path, crc, f)) return 0;
    for (size_t i = 0; i < root_count(m); i++) {
        n = snprintf(path, sizeof path, "%s%s%s/%s", root_at(m, i), dir[0] == '/' ? "" : "/", dir,
                     name);
        if (n > 0 && (size_t)n < sizeof path && try_debuglink(m, path, crc, f)) return 0;
    }
    return UV_ENOTFOUND;
}

/* The dwz supplementary file of the debug file `owner`, into m->alt. */
static int find_alt(uv_native_module *m, const elf_file *owner)
{
    uv_str path;
    const uint8_t *id;
    size_t id_len;
    if (uv_elf_altlink(owner->elf, &path, &id, &id_len) != 0) return UV_ENOTFOUND;
    char hex[2 * UV_BUILD_ID_MAX + 1] = "";
    if (id_len > 0 && id_len <= UV_BUILD_ID_MAX) hex_of(id, id_len, hex);
    if (hex[0] && find_by_build_id(m, hex, "debuginfo", true, &m->alt) == 0) return 0;
    if (path.len == 0 || path.len >= 4096 || memchr(path.ptr, '\0', path.len)) return UV_ENOTFOUND;
    char candidate[8192];
    int n;
    if (path.ptr[0] == '/') {
        n = snprintf(candidate, sizeof candidate, "%.*s", (int)path.len, path.ptr);
    } else {
        if (owner->blob[0]) return UV_ENOTFOUND;
        char dir[4096];
        copy_str(dir, sizeof dir, owner->path);
        n = snprintf(candidate, sizeof candidate, "%s/%.*s", dirname(dir), (int)path.len, path.ptr);
    }
    if (n <= 0 || (size_t)n >= sizeof candidate || !file_exists(candidate)) return UV_ENOTFOUND;
    if (elf_file_open_path(&m->alt, candidate) != 0) return UV_ENOTFOUND;
    if (hex[0] && strcmp(m->alt.build_id, hex) != 0) {
        elf_file_close(&m->alt);
        return UV_ENOTFOUND;
    }
    return 0;
}

/* ---- the symcache ------------------------------------------------------------------- */

/* Appends one file's identity to the cache-key text (see the file comment). */
static int identify(uv_buf *text, const char *role, const elf_file *f)
{
    if (!f || !f->elf) return uv_buf_printf(text, "%s=-\n", role);
    if (f->blob[0]) return uv_buf_printf(text, "%s=blob:%s\n", role, f->blob);
    if (f->build_id[0])
        return uv_buf_printf(text, "%s=build-id:%s:%zu\n", role, f->build_id, f->map.len);
    char hex[UV_HASH_HEX];
    uv_sha256_hex(f->map.data, f->map.len, hex);
    return uv_buf_printf(text, "%s=sha256:%s\n", role, hex);
}

static int cache_key(const elf_file *dwarf_file, const elf_file *alt, const elf_file *symbols,
                     char key[UV_HASH_HEX])
{
    uv_buf text = UV_BUF_INIT;
    int rc = uv_buf_append_str(&text, "unravel native symcache\n");
    if (!rc) rc = identify(&text, "dwarf", dwarf_file);
    if (!rc) rc = identify(&text, "alt", alt);
    if (!rc) rc = identify(&text, "symbols", symbols);
    if (!rc) uv_sha256_hex(text.data, text.len, key);
    uv_buf_free(&text);
    return rc;
}

static void fill_stats(uv_native_module *m)
{
    uv_symcache_stats stats;
    uv_symcache_get_stats(m->symcache, &stats);
    m->info.has_dwarf = stats.has_lines || stats.functions > stats.symbols;
    m->info.has_inlines = stats.has_inlines;
    m->info.has_symbols = stats.symbols > 0 || uv_elf_has_section(m->main.elf, ".symtab") ||
                          uv_elf_has_section(m->main.elf, ".dynsym") ||
                          (m->debug.elf && uv_elf_has_section(m->debug.elf, ".symtab"));
}

/* Builds the symcache of `dwarf_file` (may be NULL) + `alt` + the symbols of `symbols`. */
static int build_symcache(uv_native_module *m, elf_file *dwarf_file, elf_file *symbols)
{
    uv_debuginfo *di = NULL;
    if (dwarf_file) {
        uv_dwarf_summary summary;
        int rc = uv_dwarf_read(&di, dwarf_file->elf, m->alt.elf, &summary);
        if (rc == UV_ENOMEM || rc == UV_ETOOBIG) return rc;
        if (rc) {
            note(m, "%s", uv_error_last()->message);
            di = NULL;
        }
    }
    const uv_elf_symbol *syms = NULL;
    size_t sym_count = 0;
    if (symbols && uv_elf_symbols(symbols->elf, &syms, &sym_count) != 0) {
        syms = NULL;
        sym_count = 0;
    }
    int rc =
        uv_symcache_write(&m->cache_buf, di, syms, sym_count, uv_elf_machine_name(m->main.elf));
    uv_debuginfo_free(di);
    if (rc) return rc;
    return uv_symcache_open(&m->symcache, m->cache_buf.data, m->cache_buf.len);
}

/* Finds the debug file and makes the symcache (from the store's cache when possible). */
static int load(uv_native_module *m)
{
    elf_file *dwarf_file = NULL;
    if (has_dwarf(&m->main)) {
        dwarf_file = &m->main;
    } else {
        int rc = UV_ENOTFOUND;
        if (m->main.build_id[0])
            rc = find_by_build_id(m, m->main.build_id, "debuginfo", true, &m->debug);
        if (rc == UV_ENOTFOUND) rc = find_by_debuglink(m, &m->debug);
        if (rc == UV_ENOMEM || rc == UV_EIO) return rc;
        if (rc == 0)
            dwarf_file = &m->debug;
        else if (m->main.build_id[0])
            note(m, "no debug info: no debug file found for build-id %s", m->main.build_id);
        else
            note(m, "%s",
                 "no debug info: the file has no .debug_info, no build-id and no "
                 "usable .gnu_debuglink");
    }
    if (dwarf_file) {
        copy_str(m->info.debug_file, sizeof m->info.debug_file, dwarf_file->path);
        if (find_alt(m, dwarf_file) == 0)
            copy_str(m->info.alt_file, sizeof m->info.alt_file, m->alt.path);
        else if (uv_elf_altlink(dwarf_file->elf, &(uv_str){0}, &(const uint8_t *){0},
                                &(size_t){0}) == 0)
            note(m, "%s",
                 "the dwz supplementary file (.gnu_debugaltlink) was not found: "
                 "names and files it holds are missing");
    } else {
        copy_str(m->info.debug_file, sizeof m->info.debug_file, m->main.path);
    }
    /* Symbols from the file that has .symtab, the debug file preferred; none when a tool's
     * own symbol rules are applied at lookup (uv_native_lookup_as). */
    elf_file *symbols = &m->main;
    if (dwarf_file && dwarf_file != &m->main && uv_elf_has_section(dwarf_file->elf, ".symtab"))
        symbols = dwarf_file;
    if (m->options.names != UV_NATIVE_NAMES_DEBUGINFO) symbols = NULL;

    char key[UV_HASH_HEX] = "";
    uv_store *store = m->options.store;
    if (store) {
        int rc = cache_key(dwarf_file ? dwarf_file : &m->main, &m->alt, symbols, key);
        if (rc) return rc;
        if (uv_store_cache_get(store, NATIVE_CACHE_KIND, key, NATIVE_CACHE_VERSION,
                               &m->cache_map) == 0) {
            if (uv_symcache_open(&m->symcache, m->cache_map.data, m->cache_map.len) == 0) {
                m->info.from_cache = true;
                fill_stats(m);
                return 0;
            }
            uv_mapped_release(&m->cache_map);
            uv_store_cache_drop(store, NATIVE_CACHE_KIND, key, NATIVE_CACHE_VERSION);
        }
    }
    int rc = build_symcache(m, dwarf_file, symbols);
    if (rc) return rc;
    /* A cache that cannot be written only costs the next run a rebuild. */
    if (store)
        uv_store_cache_put(store, NATIVE_CACHE_KIND, key, NATIVE_CACHE_VERSION, m->cache_buf.data,
                           m->cache_buf.len);
    fill_stats(m);
    return 0;
}

static int module_new(uv_native_module **out, const uv_native_options *options)
{
    uv_native_module *m = calloc(1, sizeof *m);
    if (!m) return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    if (options) m->options = *options;
    int rc = uv_arena_new(&m->arena);
    if (rc) {
        free(m);
        return rc;
    }
    m->cache_buf = UV_BUF_INIT;
    *out = m;
    return 0;
}

static int finish_open(uv_native_module **out, uv_native_module *m)
{
    copy_str(m->info.build_id, sizeof m->info.build_id, m->main.build_id);
    m->info.elf64 = uv_elf_is_64(m->main.elf);
    int rc = load(m);
    if (rc) {
        uv_native_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int uv_native_open_file(uv_native_module **out, const char *path, const uv_native_options *options)
{
    *out = NULL;
    uv_native_module *m;
    int rc = module_new(&m, options);
    if (rc) return rc;
    rc = elf_file_open_path(&m->main, path);
    if (rc) {
        uv_native_free(m);
        return rc;
    }
    return finish_open(out, m);
}

int uv_native_open_build_id(uv_native_module **out, const char *build_id_hex,
                            const uv_native_options *options)
{
    *out = NULL;
    char hex[2 * UV_BUILD_ID_MAX + 1];
    size_t n = strlen(build_id_hex);
    if (n >= sizeof hex) n = sizeof hex - 1;
    for (size_t i = 0; i < n; i++)
        hex[i] = (char)((build_id_hex[i] >= 'A' && build_id_hex[i] <= 'F') ? build_id_hex[i] + 32
                                                                           : build_id_hex[i]);
    hex[n] = '\0';
    if (!is_hex_id(hex))
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                            "build-id '%s': expected an even number of hex digits", build_id_hex);
    uv_native_module *m;
    int rc = module_new(&m, options);
    if (rc) return rc;
    rc = find_by_build_id(m, hex, "debuginfo", false, &m->main);
    if (rc == UV_ENOTFOUND) rc = find_by_build_id(m, hex, "executable", false, &m->main);
    if (rc) {
        uv_native_free(m);
        if (rc == UV_ENOTFOUND)
            return uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0,
                                "build-id %s: no debug file or executable in the store%s or "
                                "under the .build-id folders of the debug roots",
                                hex, options && options->store ? "" : " (none given)");
        return rc;
    }
    return finish_open(out, m);
}

void uv_native_free(uv_native_module *m)
{
    if (!m) return;
    uv_symcache_free(m->symcache);
    uv_mapped_release(&m->cache_map);
    uv_buf_free(&m->cache_buf);
    elf_file_close(&m->alt);
    elf_file_close(&m->debug);
    elf_file_close(&m->main);
    uv_arena_free(m->arena);
    free(m);
}

const uv_native_info *uv_native_get_info(const uv_native_module *m)
{
    return &m->info;
}

void uv_native_elf_files(const uv_native_module *m, uv_elf **main, uv_elf **debug, uv_elf **alt)
{
    *main = m->main.elf;
    *debug = m->debug.elf && m->debug.elf != m->main.elf ? m->debug.elf : NULL;
    *alt = m->alt.elf;
}

int uv_native_lookup(uv_native_module *m, uint64_t address, uv_sc_frame *frames, size_t max,
                     size_t *count)
{
    *count = 0;
    if (!m->symcache) return UV_ENOTFOUND;
    return uv_symcache_lookup(m->symcache, address, frames, max, count);
}

/* ---- raw symbol tables (llvm-symbolizer and GNU addr2line rules) --------------------- */

enum {
    ST_NOTYPE = 0,
    ST_OBJECT = 1,
    ST_FUNC = 2,
    ST_SECTION = 3,
    ST_FILE = 4,
    ST_COMMON = 5,
    ST_TLS = 6,
    ST_IFUNC = 10,
    SB_LOCAL = 0,
    SHN_UNDEF_ = 0,
    SHN_LORESERVE_ = 0xff00,
    SHN_XINDEX_ = 0xffff,
    EM_ARM_ = 40,
    EM_AARCH64_ = 183,
    EM_RISCV_ = 243,
};

static uint64_t read_uint(const uint8_t *p, size_t n, bool big)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[big ? n - 1 - i : i] << (8 * i);
    return v;
}

/* ARM/AArch64/RISC-V mapping symbols ($a, $d, $t, $x, with an optional ".suffix") are
 * markers, not functions; LLVM skips them as format-specific. */
static bool is_mapping_symbol(uv_str name, uint16_t machine)
{
    if (machine != EM_ARM_ && machine != EM_AARCH64_ && machine != EM_RISCV_) return false;
    if (name.len < 2 || name.ptr[0] != '$' || !strchr("adtx", name.ptr[1])) return false;
    return name.len == 2 || name.ptr[2] == '.';
}

static int compare_llvm(const void *a, const void *b)
{
    const raw_symbol *x = a, *y = b;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    if (x->size != y->size) return x->size < y->size ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int compare_addr_index(const void *a, const void *b)
{
    const raw_symbol *x = a, *y = b;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Reads `table_name`/`strings_name` of `elf` (bytes `image`) into `t`: every symbol with a
 * name, its STT_FILE (for locals; for GNU also the state rule below), kept when `keep`
 * says so. Malformed entries (name past the string table) are skipped. */
static int read_table(uv_native_module *m, symtab *t, elf_file *f, const char *table_name,
                      const char *strings_name, bool llvm)
{
    const uint8_t *table, *strings;
    size_t table_len, strings_len;
    if (uv_elf_section(f->elf, table_name, &table, &table_len) != 0 ||
        uv_elf_section(f->elf, strings_name, &strings, &strings_len) != 0)
        return UV_ENOTFOUND;
    if (f->map.len < 6) return UV_ENOTFOUND;
    bool is64 = uv_elf_is_64(f->elf);
    bool big = f->map.data[5] == 2; /* EI_DATA: ELFDATA2MSB */
    size_t entry = is64 ? 24 : 16;
    size_t n = table_len / entry;
    if (n == 0) return UV_ENOTFOUND;
    uint16_t machine = uv_elf_machine(f->elf);

    raw_symbol *syms = uv_arena_calloc(m->arena, n, sizeof *syms);
    uv_str *files = uv_arena_calloc(m->arena, n, sizeof *files);
    if (!syms || !files) return UV_ENOMEM;
    size_t count = 0, file_count = 0;
    uint32_t file = UINT32_MAX;
    /* binutils: a global symbol takes the current file only while no STT_FILE has come after
     * a function symbol (elf_find_function's file_after_symbol_seen state). */
    bool symbol_seen = false, file_after_symbol = false;
    for (size_t i = 1; i < n; i++) { /* entry 0 is the null symbol */
        const uint8_t *p = table + i * entry;
        uint32_t name_off = (uint32_t)read_uint(p, 4, big);
        uint8_t info, other_unused;
        uint16_t shndx;
        uint64_t value, size;
        if (is64) {
            info = p[4];
            other_unused = p[5];
            shndx = (uint16_t)read_uint(p + 6, 2, big);
            value = read_uint(p + 8, 8, big);
            size = read_uint(p + 16, 8, big);
        } else {
            value = read_uint(p + 4, 4, big);
            size = read_uint(p + 8, 4, big);
            info = p[12];
            other_unused = p[13];
            shndx = (uint16_t)read_uint(p + 14, 2, big);
        }
        (void)other_unused;
        uint8_t type = info & 15, bind = info >> 4;
        if (name_off >= strings_len) continue;
        const char *name = (const char *)strings + name_off;
        const char *end = memchr(name, '\0', strings_len - name_off);
        if (!end) continue;
        uv_str sname = {name, (size_t)(end - name)};
        if (type == ST_FILE) {
            files[file_count] = sname;
            file = (uint32_t)file_count++;
            if (symbol_seen) file_after_symbol = true;
            continue;
        }
        bool keep;
        if (llvm)
            keep =
                (type == ST_NOTYPE || type == ST_OBJECT || type == ST_FUNC || type == ST_IFUNC) &&
                shndx != SHN_UNDEF_ && (shndx < SHN_LORESERVE_ || shndx == SHN_XINDEX_) &&
                !is_mapping_symbol(sname, machine);
        else /* bfd's _bfd_elf_maybe_function_sym: anything but data, sections, TLS */
            keep = type != ST_OBJECT && type != ST_SECTION && type != ST_COMMON && type != ST_TLS &&
                   shndx != SHN_UNDEF_ && shndx < SHN_LORESERVE_;
        if (!keep) continue;
        if (machine == EM_ARM_ && type == ST_FUNC) value &= ~(uint64_t)1; /* Thumb bit */
        uint32_t sym_file = UINT32_MAX;
        if (bind == SB_LOCAL || (!llvm && !file_after_symbol)) sym_file = file;
        if (!llvm) symbol_seen = true;
        syms[count++] =
            (raw_symbol){value, size, sname, sym_file, (uint32_t)i, shndx, type, bind, NULL, 0};
    }
    if (llvm) {
        /* LLVM: sort by (address, size) keeping table order, then keep the last of each
         * address — the largest size wins. */
        qsort(syms, count, sizeof *syms, compare_llvm);
        size_t kept = 0;
        for (size_t i = 0; i < count; i++) {
            if (kept > 0 && syms[kept - 1].addr == syms[i].addr)
                syms[kept - 1] = syms[i];
            else
                syms[kept++] = syms[i];
        }
        count = kept;
    } else {
        qsort(syms, count, sizeof *syms, compare_addr_index);
    }
    t->syms = syms;
    t->count = count;
    t->files = files;
    t->file_count = file_count;
    t->elf = f->elf;
    return 0;
}

/* llvm-symbolizer reads the symbols of the object it was given: .symtab, else .dynsym. */
static void build_llvm_table(uv_native_module *m)
{
    symtab *t = &m->llvm_syms;
    t->built = true;
    if (read_table(m, t, &m->main, ".symtab", ".strtab", true) != 0)
        read_table(m, t, &m->main, ".dynsym", ".dynstr", true);
}

/* GNU addr2line: the debug file's .symtab when it has one, else the file's. */
static void build_gnu_table(uv_native_module *m)
{
    symtab *t = &m->gnu_syms;
    t->built = true;
    if (m->debug.elf && read_table(m, t, &m->debug, ".symtab", ".strtab", false) == 0) return;
    if (read_table(m, t, &m->main, ".symtab", ".strtab", false) != 0)
        read_table(m, t, &m->main, ".dynsym", ".dynstr", false);
}

/* Last symbol with addr <= address, or NULL. */
static raw_symbol *last_at_or_before(const symtab *t, uint64_t address)
{
    size_t lo = 0, hi = t->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->syms[mid].addr <= address)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? &t->syms[lo - 1] : NULL;
}

static const raw_symbol *llvm_symbol(uv_native_module *m, uint64_t address)
{
    if (!m->llvm_syms.built) build_llvm_table(m);
    raw_symbol *s = last_at_or_before(&m->llvm_syms, address);
    if (!s || (s->size != 0 && address - s->addr >= s->size)) return NULL;
    return s;
}

/* Index of the allocated section holding `address` in `elf`, or -1. */
static long section_of(uv_elf *elf, uint64_t address)
{
    enum { SHF_ALLOC_ = 2 };
    uv_elf_section_info info;
    for (size_t i = 0; uv_elf_section_at(elf, i, &info) == 0; i++)
        if ((info.flags & SHF_ALLOC_) && address >= info.addr && address - info.addr < info.size)
            return (long)i;
    return -1;
}

static const raw_symbol *gnu_symbol(uv_native_module *m, uint64_t address)
{
    if (!m->gnu_syms.built) build_gnu_table(m);
    symtab *t = &m->gnu_syms;
    if (t->count == 0) return NULL;
    long section = section_of(t->elf, address);
    if (section < 0) return NULL;
    /* binutils: the highest start at or before the address in that section; among equal
     * starts the larger size, then the first in the table. */
    const raw_symbol *best = NULL;
    for (raw_symbol *s = last_at_or_before(t, address); s && s >= t->syms; s--) {
        if (best && s->addr != best->addr) break;
        if (s->shndx != (uint16_t)section) continue;
        /* bfd counts a size of 0 as 1 */
        if (!best || (s->size ? s->size : 1) >= (best->size ? best->size : 1)) best = s;
    }
    return best;
}

static void demangle_symbol(uv_native_module *m, raw_symbol *s)
{
    if (s->demangled) return;
    const char *d = uv_demangle(s->name.ptr, s->name.len, m->arena);
    if (d) {
        s->demangled = d;
        s->demangled_len = strlen(d);
    } else {
        s->demangled = s->name.ptr;
        s->demangled_len = s->name.len;
    }
}

static void name_from_symbol(uv_native_module *m, const symtab *t, const raw_symbol *cs,
                             uv_sc_frame *frame, bool set_file)
{
    raw_symbol *s = (raw_symbol *)cs;
    demangle_symbol(m, s);
    frame->function = (uv_str){s->demangled, s->demangled_len};
    frame->raw_name = s->name;
    frame->function_start = s->addr;
    if (set_file && frame->file.len == 0 && s->file != UINT32_MAX) frame->file = t->files[s->file];
}

int uv_native_lookup_as(uv_native_module *m, uint64_t address, uv_native_names names,
                        uv_sc_frame *frames, size_t max, size_t *count)
{
    *count = 0;
    if (names == UV_NATIVE_NAMES_DEBUGINFO) return uv_native_lookup(m, address, frames, max, count);

    uv_sc_frame chain[NATIVE_MAX_FRAMES];
    size_t n = 0;
    if (m->symcache &&
        uv_symcache_lookup(m->symcache, address, chain, NATIVE_MAX_FRAMES, &n) == 0) {
        if (n > NATIVE_MAX_FRAMES) n = NATIVE_MAX_FRAMES; /* deeper chains are cut */
        /* The symcache's own symbol fallback follows neither tool: redo it below. */
        if (n == 1 && chain[0].from_symbol_table) n = 0;
    } else {
        n = 0;
    }

    if (names == UV_NATIVE_NAMES_DWARF || names == UV_NATIVE_NAMES_LLVM) {
        /* llvm-symbolizer's StartAddress is a DIE's DW_AT_low_pc (absent with DW_AT_ranges,
         * which the model does not tell apart): kept for the outermost frame only */
        for (size_t i = 0; i + 1 < n; i++)
            chain[i].function_start = 0;
    }
    if (names == UV_NATIVE_NAMES_LLVM) {
        const raw_symbol *s = llvm_symbol(m, address);
        if (n == 0 && s) {
            chain[0] = (uv_sc_frame){0};
            n = 1;
        }
        if (s) name_from_symbol(m, &m->llvm_syms, s, &chain[n - 1], true);
    } else if (names == UV_NATIVE_NAMES_GNU) {
        if (n == 0 || chain[n - 1].function.len == 0) {
            const raw_symbol *s = gnu_symbol(m, address);
            if (n == 0 && s) {
                chain[0] = (uv_sc_frame){0};
                n = 1;
            }
            if (s) name_from_symbol(m, &m->gnu_syms, s, &chain[n - 1], true);
        }
    }
    if (n == 0) return UV_ENOTFOUND;
    *count = n;
    for (size_t i = 0; i < n && i < max; i++)
        frames[i] = chain[i];
    return 0;
}
