/* Crash dump symbolication: parse, find symbols, walk, resolve, render.
 *
 * Symbols are looked for lazily, the first time a frame (or a stack-scan candidate) falls in
 * a module, in this order, the first hit winning:
 *   1. the store: a Breakpad .sym stored as an artifact of kind "breakpad" under the module's
 *      debug ID;
 *   2. the --symbols-from paths: .sym files whose MODULE line names the module's debug ID and
 *      debug file; in directories, Breakpad's DIR/<debug file>/<DEBUG ID>/<name>.sym layout
 *      (name = debug file minus ".pdb", plus ".sym") and the directory's own .sym and ELF
 *      files; ELF files whose build-id (or the debug ID derived from it) is the module's;
 *      directories are also searched as /usr/lib/debug-style roots (.build-id/xx/yyyy.debug);
 *   3. the module's own file at the path the dump names, when its build-id matches (a core
 *      file from this machine), through uv_native_open_file (which also finds its separate
 *      debug file);
 *   4. the module's build-id through uv_native_open_build_id (store, /usr/lib/debug).
 * A .sym becomes a symcache (kept in the store's cache when there is a store, keyed by the
 * .sym's SHA-256); addresses in it are load-address relative. ELF symcaches take file virtual
 * addresses: address - base + the ELF's first PT_LOAD vaddr.
 *
 * Call frame information: a .sym's STACK WIN (x86, tried first as Breakpad does) and STACK
 * CFI; for ELF modules the file's .eh_frame and its debug file's .debug_frame. CFI rows are in
 * module (file) address space and registers are absolute, so only the pc is translated. A
 * row whose return address is undefined marks the outermost frame.
 *
 * Each walked frame is resolved at its lookup pc (inside the call instruction) with its
 * inline chain; offsets are taken from the frame's pc like Breakpad prints them: from the
 * start of the line record (.sym: the record itself; ELF: the first byte before the pc that
 * still maps to the same file:line:column, at most LINE_PROBE_MAX bytes back — an
 * approximation, since adjacent line-table rows with the same position merge), else from
 * the function's start, else from the module's base. */
#include "symbolicate/crash.h"

#include "formats/breakpad.h"
#include "formats/cfi.h"
#include "formats/elf.h"
#include "formats/elfcore.h"
#include "formats/error.h"
#include "formats/minidump.h"
#include "formats/symcache.h"
#include "symbolicate/native.h"
#include "symbolicate/unwind.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* A .sym or symbol-path ELF file is mapped whole; 4 GiB is above any real one. */
#define SYMBOL_FILE_MAX ((size_t)4 << 30)
/* Files indexed per --symbols-from directory (its top level only): a symbol directory with
 * more is a Breakpad tree, found through its layout instead. */
#define DIR_INDEX_MAX 4096
/* Longest inline chain kept per frame (real chains stay below ~30). */
#define CHAIN_MAX 64
/* How far back the start of an ELF frame's line is searched for (bytes). */
#define LINE_PROBE_MAX 4096
/* Version of the cached .sym symcache (the symcache format has its own version inside).
 *   1  first version. */
#define SYM_CACHE_VERSION 1u
#define SYM_CACHE_KIND "breakpad-symcache"
/* A debug ID as the dump model holds it (GUID + age: up to 40 hex digits + NUL). */
#define DEBUG_ID_CAP sizeof(((uv_dump_module *)0)->debug_id)

/* ---- model -------------------------------------------------------------------------- */

/* Source lines around a frame's line, from the source file on this machine. */
typedef struct {
    uint32_t first; /* line number of lines[0] */
    uv_str *lines;  /* count lines, views into the mapped source */
    size_t count;
} crash_context;

typedef struct {
    uv_str function, file;
    uint32_t line;
    bool has_function_offset;
    uint64_t function_offset;
    crash_context *context; /* NULL when no source */
} crash_inline;

typedef struct {
    const uv_unwind_frame *uw;
    size_t module; /* SIZE_MAX: none */
    uint64_t module_offset;
    uv_str function, file; /* function.len == 0: unknown */
    uint32_t line;
    bool has_function_offset, has_line_offset;
    uint64_t function_offset, line_offset;
    crash_inline *inlines; /* innermost first */
    size_t inline_count;
    crash_context *context; /* NULL when no source */
} crash_frame;

typedef struct {
    size_t index; /* into dump->threads */
    crash_frame *frames;
    size_t frame_count;
} crash_thread;

typedef enum { SYMS_NONE, SYMS_BREAKPAD, SYMS_NATIVE } syms_kind;

/* One mapped ELF file (for CFI and the load address). */
typedef struct {
    uv_mapped map;
    uv_elf *elf;
} elf_map;

typedef struct {
    bool tried;
    syms_kind kind;
    char source[4096]; /* where the symbols came from ("" when none) */
    char note[512];    /* why there are none */
    bool corrupt;
    char debug_id[DEBUG_ID_CAP]; /* the dump's, else derived from the build-id */
    /* Breakpad .sym */
    uv_mapped sym_map;
    uv_breakpad *bp;
    uv_mapped cache_map;
    uv_buf cache_buf;
    uv_symcache *symcache;
    /* ELF */
    uv_native_module *native;
    elf_map main_elf, debug_elf;
    uv_cfi *cfi;
    uint64_t load_vaddr;
} module_syms;

/* A file found in --symbols-from (or a directory's top level). */
typedef struct {
    char *path;
    bool is_sym;
    char id[2 * UV_BUILD_ID_MAX + 1]; /* ELF: build-id, lowercase hex */
    char debug_id[DEBUG_ID_CAP];      /* .sym: MODULE's id; ELF: derived */
    char name[256];                   /* .sym: MODULE's name */
} symbol_file;

/* A source file read for context: mapped once, its line starts indexed. */
typedef struct {
    char *path;
    bool ok;
    uv_mapped map;
    size_t *starts; /* line i (1-based) starts at starts[i - 1] */
    size_t line_count;
} source_file;

struct uv_crash_report {
    uv_arena *arena;
    uv_dump *dump;
    uv_crash_options options;
    uv_native_options native_options;
    const char **dirs; /* --symbols-from directories */
    size_t dir_count;
    symbol_file *files;
    size_t file_count, file_cap;
    module_syms *mods;
    size_t *module_order; /* module indexes by load address (Breakpad lists them so) */
    crash_thread *threads;
    size_t thread_count;
    source_file *sources; /* files read for source context */
    size_t source_count, source_cap;
};

/* ---- small helpers ------------------------------------------------------------------ */

static void copy_str(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap) len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* The file name after the last '/' or '\\' (Breakpad's PathnameStripper). */
static uv_str base_name(uv_str path)
{
    size_t start = 0;
    for (size_t i = 0; i < path.len; i++)
        if (path.ptr[i] == '/' || path.ptr[i] == '\\') start = i + 1;
    return (uv_str){path.ptr ? path.ptr + start : "", path.len - start};
}

static bool str_ieq(uv_str a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && (n == 0 || strncasecmp(a.ptr, b, n) == 0);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void set_note(module_syms *ms, const char *fmt, const char *arg)
{
    if (!ms->note[0]) snprintf(ms->note, sizeof ms->note, fmt, arg);
}

static void elf_map_close(elf_map *e)
{
    uv_elf_free(e->elf);
    uv_mapped_release(&e->map);
    memset(e, 0, sizeof *e);
}

static int elf_map_open(elf_map *e, const char *path)
{
    memset(e, 0, sizeof *e);
    int rc = uv_file_map(path, SYMBOL_FILE_MAX, &e->map);
    if (rc) return rc;
    rc = uv_elf_open(&e->elf, e->map.data, e->map.len);
    if (rc) uv_mapped_release(&e->map);
    return rc;
}

/* Whether an ELF is the module's: same build-id, or the same Breakpad debug ID. */
static bool elf_matches(uv_elf *elf, const uv_dump_module *m)
{
    char hex[2 * UV_BUILD_ID_MAX + 1];
    if (uv_elf_build_id_hex(elf, hex) != 0) return false;
    if (m->build_id[0]) return strcasecmp(hex, m->build_id) == 0;
    char uuid[UV_DEBUG_ID_UUID_LEN], breakpad[UV_DEBUG_ID_BREAKPAD_LEN];
    if (m->debug_id[0] && uv_elf_debug_id(elf, uuid, breakpad) == 0)
        return strcasecmp(breakpad, m->debug_id) == 0;
    return false;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* The module's Breakpad debug ID: the dump's, else the one its build-id makes. */
static void effective_debug_id(const uv_dump_module *m, char out[DEBUG_ID_CAP])
{
    out[0] = '\0';
    if (m->debug_id[0]) {
        copy_str(out, DEBUG_ID_CAP, m->debug_id, strlen(m->debug_id));
        return;
    }
    size_t n = strlen(m->build_id);
    if (n < 2 || n % 2 || n / 2 > UV_BUILD_ID_MAX) return;
    uint8_t bytes[UV_BUILD_ID_MAX];
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_digit(m->build_id[2 * i]), lo = hex_digit(m->build_id[2 * i + 1]);
        if (hi < 0 || lo < 0) return;
        bytes[i] = (uint8_t)(hi << 4 | lo);
    }
    char uuid[UV_DEBUG_ID_UUID_LEN];
    uv_debug_id_from_build_id(bytes, n / 2, uuid, out);
}

/* ---- symbol path index -------------------------------------------------------------- */

/* Reads the MODULE line of a .sym: "MODULE os arch id name". */
static bool sym_header(const uint8_t *p, size_t len, char *id, size_t id_cap, char *name,
                       size_t name_cap)
{
    if (len < 7 || memcmp(p, "MODULE ", 7) != 0) return false;
    size_t end = 0;
    while (end < len && end < 4096 && p[end] != '\n' && p[end] != '\r')
        end++;
    const char *fields[5];
    size_t lens[5], n = 0, i = 0;
    while (i < end && n < 5) {
        while (i < end && p[i] == ' ')
            i++;
        if (i >= end) break;
        size_t start = i;
        /* the name is the rest of the line (it may hold spaces) */
        if (n == 4)
            i = end;
        else
            while (i < end && p[i] != ' ')
                i++;
        fields[n] = (const char *)p + start;
        lens[n++] = i - start;
    }
    if (n < 5) return false;
    copy_str(id, id_cap, fields[3], lens[3]);
    copy_str(name, name_cap, fields[4], lens[4]);
    return true;
}

static int add_symbol_file(uv_crash_report *r, const char *path)
{
    uv_mapped map;
    if (uv_file_map(path, SYMBOL_FILE_MAX, &map) != 0) return 0; /* unreadable: skipped */
    symbol_file f;
    memset(&f, 0, sizeof f);
    bool keep = false;
    if (sym_header(map.data, map.len, f.debug_id, sizeof f.debug_id, f.name, sizeof f.name)) {
        f.is_sym = true;
        keep = true;
    } else if (map.len >= 4 && memcmp(map.data, "\177ELF", 4) == 0) {
        uv_elf *elf;
        if (uv_elf_open(&elf, map.data, map.len) == 0) {
            char uuid[UV_DEBUG_ID_UUID_LEN];
            if (uv_elf_build_id_hex(elf, f.id) == 0) {
                keep = true;
                if (uv_elf_debug_id(elf, uuid, f.debug_id) != 0) f.debug_id[0] = '\0';
            }
            uv_elf_free(elf);
        }
    }
    uv_mapped_release(&map);
    if (!keep) return 0;
    f.path = uv_arena_strndup(r->arena, path, strlen(path));
    if (!f.path) return UV_ENOMEM;
    if (r->file_count == r->file_cap) {
        symbol_file *grown =
            uv_array_grow(r->files, &r->file_cap, r->file_count, sizeof *r->files, 16);
        if (!grown) return UV_ENOMEM;
        r->files = grown;
    }
    r->files[r->file_count++] = f;
    return 0;
}

static int index_dir(uv_crash_report *r, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    size_t seen = 0;
    int rc = 0;
    char path[8192];
    while (rc == 0 && seen < DIR_INDEX_MAX && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        int n = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (n <= 0 || (size_t)n >= sizeof path || !is_file(path)) continue;
        seen++;
        rc = add_symbol_file(r, path);
    }
    closedir(d);
    return rc;
}

static int index_symbol_paths(uv_crash_report *r)
{
    const uv_crash_options *o = &r->options;
    if (!o->symbol_path_count) return 0;
    r->dirs = uv_arena_calloc(r->arena, o->symbol_path_count, sizeof *r->dirs);
    if (!r->dirs) return UV_ENOMEM;
    for (size_t i = 0; i < o->symbol_path_count; i++) {
        const char *p = o->symbol_paths[i];
        if (!p) continue;
        int rc = 0;
        if (is_dir(p)) {
            r->dirs[r->dir_count] = uv_arena_strndup(r->arena, p, strlen(p));
            if (!r->dirs[r->dir_count]) return UV_ENOMEM;
            r->dir_count++;
            rc = index_dir(r, p);
        } else if (is_file(p)) {
            rc = add_symbol_file(r, p);
        }
        if (rc) return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    }
    r->native_options.debug_dirs = r->dirs;
    r->native_options.debug_dir_count = r->dir_count;
    return 0;
}

/* ---- loading a module's symbols ----------------------------------------------------- */

static uv_arch breakpad_arch_ok(uv_arch dump_arch, const uv_breakpad *bp)
{
    uv_arch a = uv_breakpad_arch(bp);
    return a == UV_ARCH_UNKNOWN ? dump_arch : a;
}

/* Makes the symcache of a parsed .sym (from the store's cache when possible). */
static int breakpad_symcache(uv_crash_report *r, module_syms *ms, const char *key_hex)
{
    uv_store *store = r->options.store;
    if (store && key_hex &&
        uv_store_cache_get(store, SYM_CACHE_KIND, key_hex, SYM_CACHE_VERSION, &ms->cache_map) ==
            0) {
        if (uv_symcache_open(&ms->symcache, ms->cache_map.data, ms->cache_map.len) == 0) return 0;
        uv_mapped_release(&ms->cache_map);
        uv_store_cache_drop(store, SYM_CACHE_KIND, key_hex, SYM_CACHE_VERSION);
    }
    uv_debuginfo *di = NULL;
    int rc = uv_breakpad_debuginfo(ms->bp, &di);
    if (rc) return rc;
    const uv_elf_symbol *syms = NULL;
    size_t sym_count = 0;
    rc = uv_breakpad_symbols(ms->bp, &syms, &sym_count);
    if (rc == 0) {
        const char *arch = uv_arch_name(breakpad_arch_ok(r->dump->arch, ms->bp));
        ms->cache_buf = UV_BUF_INIT;
        rc = uv_symcache_write(&ms->cache_buf, di, syms, sym_count, arch);
    }
    uv_debuginfo_free(di);
    if (rc) return rc;
    rc = uv_symcache_open(&ms->symcache, ms->cache_buf.data, ms->cache_buf.len);
    if (rc) return rc;
    if (store && key_hex)
        uv_store_cache_put(store, SYM_CACHE_KIND, key_hex, SYM_CACHE_VERSION, ms->cache_buf.data,
                           ms->cache_buf.len);
    return 0;
}

static void breakpad_close(module_syms *ms)
{
    uv_symcache_free(ms->symcache);
    ms->symcache = NULL;
    uv_mapped_release(&ms->cache_map);
    uv_buf_free(&ms->cache_buf);
    uv_breakpad_free(ms->bp);
    ms->bp = NULL;
    uv_mapped_release(&ms->sym_map);
}

/* Takes the .sym in ms->sym_map when its MODULE line names the module. 0: taken;
 * UV_ENOTFOUND: not this module's; UV_ENOMEM. Corrupt files are noted and skipped. */
static int take_breakpad(uv_crash_report *r, module_syms *ms, const uv_dump_module *m,
                         const char *source, const char *blob_hex)
{
    int rc = uv_breakpad_parse(&ms->bp, ms->sym_map.data, ms->sym_map.len);
    if (rc == 0) {
        const uv_breakpad_info *info = uv_breakpad_get_info(ms->bp);
        uv_str want = base_name(m->debug_file);
        uv_str have = base_name(info->name);
        if (!str_ieq(info->debug_id, ms->debug_id) ||
            (want.len && (have.len != want.len || strncasecmp(have.ptr, want.ptr, want.len) != 0)))
            rc = UV_ENOTFOUND;
    } else if (rc != UV_ENOMEM) {
        ms->corrupt = true;
        set_note(ms, "corrupt symbols: %.400s", uv_error_last()->message);
    }
    if (rc == 0) {
        char key[UV_HASH_HEX];
        if (!blob_hex) uv_sha256_hex(ms->sym_map.data, ms->sym_map.len, key);
        rc = breakpad_symcache(r, ms, blob_hex ? blob_hex : key);
        if (rc && rc != UV_ENOMEM) {
            ms->corrupt = true;
            set_note(ms, "unusable symbols: %.400s", uv_error_last()->message);
        }
    }
    if (rc) {
        breakpad_close(ms);
        return rc == UV_ENOMEM ? rc : UV_ENOTFOUND;
    }
    ms->kind = SYMS_BREAKPAD;
    copy_str(ms->source, sizeof ms->source, source, strlen(source));
    return 0;
}

static int try_sym_path(uv_crash_report *r, module_syms *ms, const uv_dump_module *m,
                        const char *path)
{
    if (!is_file(path) || uv_file_map(path, SYMBOL_FILE_MAX, &ms->sym_map) != 0)
        return UV_ENOTFOUND;
    return take_breakpad(r, ms, m, path, NULL);
}

static int try_store_sym(uv_crash_report *r, module_syms *ms, const uv_dump_module *m)
{
    uv_store *store = r->options.store;
    if (!store || !ms->debug_id[0]) return UV_ENOTFOUND;
    uv_artifact *art = malloc(sizeof *art);
    if (!art) return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    int rc = uv_store_artifact_find_debug_id(store, r->options.project_id, ms->debug_id, "breakpad",
                                             art);
    if (rc == 0) rc = uv_store_blob_map(store, art->blob, &ms->sym_map);
    if (rc == 0) {
        char source[4096];
        snprintf(source, sizeof source, "store:breakpad/%s/%s", art->debug_id, art->key);
        rc = take_breakpad(r, ms, m, source, art->blob);
    }
    free(art);
    return rc == UV_ENOMEM ? rc : rc ? UV_ENOTFOUND : 0;
}

/* Breakpad's symbol-directory layout: DIR/<debug file>/<DEBUG ID>/<debug file - .pdb>.sym. */
static int try_sym_dirs(uv_crash_report *r, module_syms *ms, const uv_dump_module *m)
{
    uv_str name = base_name(m->debug_file);
    if (!ms->debug_id[0] || name.len == 0 || name.len > 1024) return UV_ENOTFOUND;
    size_t stem = name.len;
    if (stem > 4 && strncasecmp(name.ptr + stem - 4, ".pdb", 4) == 0) stem -= 4;
    for (size_t i = 0; i < r->dir_count; i++) {
        char path[8192];
        int n = snprintf(path, sizeof path, "%s/%.*s/%s/%.*s.sym", r->dirs[i], (int)name.len,
                         name.ptr, ms->debug_id, (int)stem, name.ptr);
        if (n <= 0 || (size_t)n >= sizeof path) continue;
        int rc = try_sym_path(r, ms, m, path);
        if (rc != UV_ENOTFOUND) return rc;
    }
    return UV_ENOTFOUND;
}

static int try_indexed_syms(uv_crash_report *r, module_syms *ms, const uv_dump_module *m)
{
    if (!ms->debug_id[0]) return UV_ENOTFOUND;
    for (size_t i = 0; i < r->file_count; i++) {
        const symbol_file *f = &r->files[i];
        if (!f->is_sym || strcasecmp(f->debug_id, ms->debug_id) != 0) continue;
        int rc = try_sym_path(r, ms, m, f->path);
        if (rc != UV_ENOTFOUND) return rc;
    }
    return UV_ENOTFOUND;
}

/* CFI and the load address from the mapped ELF files (either may be absent). */
static void native_cfi(uv_crash_report *r, module_syms *ms)
{
    uv_elf *main_elf = ms->main_elf.elf, *debug_elf = ms->debug_elf.elf;
    uv_elf *phdrs = main_elf ? main_elf : debug_elf; /* debug files keep the program headers */
    ms->load_vaddr = phdrs ? uv_elf_first_load_vaddr(phdrs) : 0;
    if (uv_cfi_open_elf(&ms->cfi, r->dump->arch, main_elf, debug_elf) != 0) {
        ms->cfi = NULL;
        uv_error_clear();
    }
}

/* Opens the debug file the native module chose (when it is a file on disk) for .debug_frame
 * and takes the ELF's CFI. */
static void native_finish(uv_crash_report *r, module_syms *ms)
{
    const uv_native_info *info = uv_native_get_info(ms->native);
    if (info->debug_file[0] && strncmp(info->debug_file, "store:", 6) != 0 &&
        strcmp(info->debug_file, ms->source) != 0)
        if (elf_map_open(&ms->debug_elf, info->debug_file) != 0)
            memset(&ms->debug_elf, 0, sizeof ms->debug_elf);
    native_cfi(r, ms);
    ms->kind = SYMS_NATIVE;
}

/* An ELF file on disk known to be the module's (or, with `verify`, checked first). */
static int try_elf_path(uv_crash_report *r, module_syms *ms, const uv_dump_module *m,
                        const char *path, bool verify)
{
    if (elf_map_open(&ms->main_elf, path) != 0) return UV_ENOTFOUND;
    if (verify && !elf_matches(ms->main_elf.elf, m)) {
        elf_map_close(&ms->main_elf);
        return UV_ENOTFOUND;
    }
    int rc = uv_native_open_file(&ms->native, path, &r->native_options);
    if (rc) {
        elf_map_close(&ms->main_elf);
        if (rc == UV_ENOMEM) return rc;
        set_note(ms, "%s", uv_error_last()->message);
        return UV_ENOTFOUND;
    }
    copy_str(ms->source, sizeof ms->source, path, strlen(path));
    native_finish(r, ms);
    return 0;
}

static int try_indexed_elves(uv_crash_report *r, module_syms *ms, const uv_dump_module *m)
{
    for (size_t i = 0; i < r->file_count; i++) {
        const symbol_file *f = &r->files[i];
        if (f->is_sym) continue;
        bool match = m->build_id[0] ? strcasecmp(f->id, m->build_id) == 0
                                    : ms->debug_id[0] && strcasecmp(f->debug_id, ms->debug_id) == 0;
        if (!match) continue;
        int rc = try_elf_path(r, ms, m, f->path, false);
        if (rc != UV_ENOTFOUND) return rc;
    }
    return UV_ENOTFOUND;
}

/* The module's file where the dump says it was loaded from. */
static int try_local_file(uv_crash_report *r, module_syms *ms, const uv_dump_module *m)
{
    if (r->options.no_local_files || m->path.len == 0 || m->path.len >= 4096 ||
        m->path.ptr[0] != '/' || memchr(m->path.ptr, '\0', m->path.len))
        return UV_ENOTFOUND;
    char path[4096];
    copy_str(path, sizeof path, m->path.ptr, m->path.len);
    if (!is_file(path)) return UV_ENOTFOUND;
    /* Without a build-id in the dump the file is taken on its name (a core file whose
     * pages holding the ELF notes were not dumped). */
    return try_elf_path(r, ms, m, path, m->build_id[0] || m->debug_id[0]);
}

/* ELF by build-id (store, debug roots); the symbols come from uv_native_open_build_id, the
 * CFI and load address from the file found here the same way. */
static void map_build_id_file(uv_crash_report *r, module_syms *ms, const char *hex)
{
    uv_store *store = r->options.store;
    static const char *const kinds[] = {"debuginfo", "executable"};
    if (store) {
        uv_artifact *art = malloc(sizeof *art);
        for (size_t k = 0; art && k < 2; k++) {
            if (uv_store_artifact_find_debug_id(store, r->options.project_id, hex, kinds[k], art) !=
                0)
                continue;
            elf_map *slot = k == 0 ? &ms->debug_elf : &ms->main_elf;
            if (slot->elf || uv_store_blob_map(store, art->blob, &slot->map) != 0) continue;
            if (uv_elf_open(&slot->elf, slot->map.data, slot->map.len) != 0) {
                uv_mapped_release(&slot->map);
                slot->elf = NULL;
            }
        }
        free(art);
    }
    if (ms->debug_elf.elf || ms->main_elf.elf) return;
    for (size_t i = 0; i <= r->dir_count; i++) {
        if (i == r->dir_count && r->options.no_system_debug) break;
        const char *root = i < r->dir_count ? r->dirs[i] : "/usr/lib/debug";
        char path[8192];
        int n = snprintf(path, sizeof path, "%s/.build-id/%.2s/%s.debug", root, hex, hex + 2);
        if (n <= 0 || (size_t)n >= sizeof path || !is_file(path)) continue;
        if (elf_map_open(&ms->debug_elf, path) == 0) return;
    }
}

static int try_build_id(uv_crash_report *r, module_syms *ms, const uv_dump_module *m)
{
    if (!m->build_id[0]) return UV_ENOTFOUND;
    if (!r->options.store && r->options.no_system_debug && r->dir_count == 0) return UV_ENOTFOUND;
    int rc = uv_native_open_build_id(&ms->native, m->build_id, &r->native_options);
    if (rc) {
        if (rc == UV_ENOMEM) return rc;
        set_note(ms, "%s", uv_error_last()->message);
        return UV_ENOTFOUND;
    }
    const uv_native_info *info = uv_native_get_info(ms->native);
    copy_str(ms->source, sizeof ms->source, info->debug_file, strlen(info->debug_file));
    map_build_id_file(r, ms, m->build_id);
    native_cfi(r, ms);
    ms->kind = SYMS_NATIVE;
    return 0;
}

/* Finds the module's symbols once. UV_ENOMEM only; missing symbols are noted. */
static int load_module(uv_crash_report *r, size_t index)
{
    module_syms *ms = &r->mods[index];
    if (ms->tried) return 0;
    ms->tried = true;
    const uv_dump_module *m = &r->dump->modules[index];
    effective_debug_id(m, ms->debug_id);
    int (*const steps[])(uv_crash_report *, module_syms *, const uv_dump_module *) = {
        try_store_sym,     try_sym_dirs,   try_indexed_syms,
        try_indexed_elves, try_local_file, try_build_id,
    };
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        int rc = steps[i](r, ms, m);
        if (rc == 0) {
            ms->corrupt = false; /* a corrupt candidate before does not matter now */
            return 0;
        }
        if (rc == UV_ENOMEM) return rc;
    }
    ms->kind = SYMS_NONE;
    if (m->debug_id[0] || m->build_id[0])
        set_note(ms, "no symbols found for %s", m->debug_id[0] ? m->debug_id : m->build_id);
    else
        set_note(ms, "%s", "no symbols: the dump gives no debug ID or build-id");
    return 0;
}

static bool has_symbols(const module_syms *ms)
{
    return ms->kind != SYMS_NONE;
}

/* Module-relative address for the module's symbol/CFI data. */
static uint64_t relative(const uv_crash_report *r, size_t index, uint64_t addr)
{
    const module_syms *ms = &r->mods[index];
    uint64_t rel = addr - r->dump->modules[index].base;
    return ms->kind == SYMS_NATIVE ? rel + ms->load_vaddr : rel;
}

static int lookup(uv_crash_report *r, size_t index, uint64_t rel, uv_sc_frame *frames, size_t max,
                  size_t *count)
{
    module_syms *ms = &r->mods[index];
    *count = 0;
    int rc = UV_ENOTFOUND;
    if (ms->kind == SYMS_BREAKPAD)
        rc = uv_symcache_lookup(ms->symcache, rel, frames, max, count);
    else if (ms->kind == SYMS_NATIVE) {
        /* DWARF names first, as Breakpad's dump_syms and eu-stack name frames (`validate`,
         * not the symbol `validate.cold`; `__libc_start_main_impl`, not its versioned
         * alias); the symbol table only where DWARF says nothing. */
        rc = uv_native_lookup_as(ms->native, rel, UV_NATIVE_NAMES_DWARF, frames, max, count);
        if (rc != 0 || *count == 0)
            rc = uv_native_lookup_as(ms->native, rel, UV_NATIVE_NAMES_LLVM, frames, max, count);
    }
    if (rc == 0 && *count > max) *count = max;
    return rc;
}

/* ---- the walker's provider ---------------------------------------------------------- */

static int apply_row(const uv_cfi_row *row, const uv_regs *callee, const uv_memory *mem,
                     uv_regs *caller)
{
    if (row->ra_reg < UV_REGS_MAX && row->regs[row->ra_reg].kind == UV_CFI_UNDEFINED) {
        /* The outermost frame: report success without a pc so the walk ends. */
        memset(caller, 0, sizeof *caller);
        caller->arch = callee->arch;
        return 0;
    }
    return uv_cfi_apply(row, callee, mem, caller);
}

static int provider_cfi_step(void *ctx, size_t module, uint64_t lookup_pc, const uv_regs *callee,
                             const uv_memory *mem, uv_regs *caller)
{
    uv_crash_report *r = ctx;
    if (module >= r->dump->module_count || load_module(r, module) != 0) return UV_ENOTFOUND;
    module_syms *ms = &r->mods[module];
    uint64_t rel = relative(r, module, lookup_pc);
    uv_cfi_row row;
    if (ms->kind == SYMS_BREAKPAD) {
        if (r->dump->arch == UV_ARCH_X86 && uv_breakpad_has_win(ms->bp) &&
            uv_breakpad_win_unwind(ms->bp, rel, callee, mem, caller) == 0)
            return 0;
        if (uv_breakpad_has_cfi(ms->bp) && uv_breakpad_cfi_find(ms->bp, rel, &row) == 0)
            return apply_row(&row, callee, mem, caller);
        return UV_ENOTFOUND;
    }
    if (ms->kind == SYMS_NATIVE && ms->cfi && uv_cfi_find(ms->cfi, rel, &row) == 0)
        return apply_row(&row, callee, mem, caller);
    return UV_ENOTFOUND;
}

static bool provider_plausible(void *ctx, size_t module, uint64_t pc)
{
    uv_crash_report *r = ctx;
    if (module >= r->dump->module_count || load_module(r, module) != 0) return true;
    if (!has_symbols(&r->mods[module])) return true;
    uv_sc_frame frames[CHAIN_MAX];
    size_t count;
    if (lookup(r, module, relative(r, module, pc - 1), frames, CHAIN_MAX, &count) != 0 || !count)
        return false;
    return frames[count - 1].function.len > 0 || frames[count - 1].raw_name.len > 0;
}

/* ---- resolving frames --------------------------------------------------------------- */

static bool same_position(const uv_sc_frame *a, const uv_sc_frame *b)
{
    return a->line == b->line && a->column == b->column && uv_str_eq(a->file, b->file);
}

/* Start of the ELF line-table row around `rel` (see the file comment). */
static uint64_t native_line_start(uv_crash_report *r, size_t index, uint64_t rel,
                                  const uv_sc_frame *innermost)
{
    uv_sc_frame probe[CHAIN_MAX];
    uint64_t start = rel;
    uint64_t floor = innermost->function_start && innermost->function_start <= rel
                         ? innermost->function_start
                         : (rel > LINE_PROBE_MAX ? rel - LINE_PROBE_MAX : 0);
    if (rel - floor > LINE_PROBE_MAX) floor = rel - LINE_PROBE_MAX;
    while (start > floor) {
        size_t count;
        if (lookup(r, index, start - 1, probe, CHAIN_MAX, &count) != 0 || count == 0) break;
        if (!same_position(&probe[0], innermost)) break;
        start--;
    }
    return start;
}

static uv_str frame_name(const module_syms *ms, const uv_sc_frame *f)
{
    /* A .sym's names are printed as written (they are demangled already). */
    if (ms->kind == SYMS_BREAKPAD && f->raw_name.len) return f->raw_name;
    return f->function.len ? f->function : f->raw_name;
}

static int resolve_frame(uv_crash_report *r, const uv_unwind_frame *uw, crash_frame *out)
{
    memset(out, 0, sizeof *out);
    out->uw = uw;
    out->module = uw->module;
    if (uw->module == SIZE_MAX || uw->module >= r->dump->module_count) {
        out->module = SIZE_MAX;
        return 0;
    }
    const uv_dump_module *m = &r->dump->modules[uw->module];
    out->module_offset = uw->pc - m->base;
    int rc = load_module(r, uw->module);
    if (rc) return rc;
    module_syms *ms = &r->mods[uw->module];
    if (!has_symbols(ms)) return 0;

    uv_sc_frame chain[CHAIN_MAX];
    size_t count;
    uint64_t rel = relative(r, uw->module, uw->lookup_pc);
    if (lookup(r, uw->module, rel, chain, CHAIN_MAX, &count) != 0 || count == 0) return 0;

    /* The physical frame is the outermost function; inner ones were inlined into it. */
    const uv_sc_frame *outer = &chain[count - 1];
    uint64_t base_rel = ms->kind == SYMS_NATIVE ? ms->load_vaddr : 0;
    out->function = frame_name(ms, outer);
    out->file = outer->file;
    out->line = outer->line;
    if (outer->function_start || ms->kind == SYMS_BREAKPAD) {
        uint64_t start_abs = m->base + (outer->function_start - base_rel);
        out->has_function_offset = uw->pc >= start_abs;
        out->function_offset = uw->pc - start_abs;
    }

    /* The line's start, shared by every frame of the chain (Breakpad's source_line_base). */
    bool has_line_base = false;
    uint64_t line_base_abs = 0;
    if (ms->kind == SYMS_BREAKPAD) {
        uint64_t start, size;
        if (uv_breakpad_line_at(ms->bp, rel, &start, &size) == 0) {
            has_line_base = true;
            line_base_abs = m->base + start;
        }
    } else if (chain[0].line) {
        has_line_base = true;
        line_base_abs = m->base + (native_line_start(r, uw->module, rel, &chain[0]) - base_rel);
    }
    if (has_line_base && out->file.len && uw->pc >= line_base_abs) {
        out->has_line_offset = true;
        out->line_offset = uw->pc - line_base_abs;
    }

    if (count > 1) {
        out->inlines = uv_arena_calloc(r->arena, count - 1, sizeof *out->inlines);
        if (!out->inlines) return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
        out->inline_count = count - 1;
        for (size_t i = 0; i + 1 < count; i++) {
            crash_inline *in = &out->inlines[i];
            in->function = frame_name(ms, &chain[i]);
            in->file = chain[i].file;
            in->line = chain[i].line;
            if (chain[i].function_start) {
                uint64_t start_abs = m->base + (chain[i].function_start - base_rel);
                in->has_function_offset = uw->pc >= start_abs;
                in->function_offset = uw->pc - start_abs;
            }
        }
    }
    /* Strings from the symcache/native module live as long as the report. */
    return 0;
}

static int walk_thread(uv_crash_report *r, size_t index, crash_thread *out)
{
    const uv_dump_thread *t = &r->dump->threads[index];
    uv_unwind_provider provider = {r, provider_cfi_step, provider_plausible};
    uv_unwind_options opts = {.max_frames = r->options.max_frames};
    uv_unwind_frame *frames;
    size_t count;
    out->index = index;
    int rc = uv_unwind_thread(r->dump, t, &provider, &opts, r->arena, &frames, &count);
    if (rc) return rc;
    if (count == 0) return 0;
    out->frames = uv_arena_calloc(r->arena, count, sizeof *out->frames);
    if (!out->frames) return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    for (size_t i = 0; i < count; i++) {
        rc = resolve_frame(r, &frames[i], &out->frames[i]);
        if (rc) return rc;
    }
    out->frame_count = count;
    return 0;
}

/* ---- the pipeline ------------------------------------------------------------------- */

/* Module indexes sorted by base address (insertion sort: stable, and dumps hold at most a
 * few thousand modules). */
static void order_modules(const uv_dump *d, size_t *order)
{
    for (size_t i = 0; i < d->module_count; i++) {
        size_t j = i;
        while (j > 0 && d->modules[order[j - 1]].base > d->modules[i].base) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
}

/* ---- source context ------------------------------------------------------------------- */

/* Source files read for context: at most this many, each at most this big; debug info names
 * sources by the paths they were compiled at, so this finds them on the build machine (or
 * wherever the same tree sits). */
#define SOURCES_MAX 256
#define SOURCE_BYTES_MAX ((size_t)16 << 20)
#define CONTEXT_LINES_MAX 50

static source_file *source_for(uv_crash_report *r, uv_str path)
{
    for (size_t i = 0; i < r->source_count; i++)
        if (strlen(r->sources[i].path) == path.len &&
            memcmp(r->sources[i].path, path.ptr, path.len) == 0)
            return r->sources[i].ok ? &r->sources[i] : NULL;
    if (r->source_count == SOURCES_MAX || path.len == 0 || path.ptr[0] != '/') return NULL;
    source_file *grown =
        uv_array_grow(r->sources, &r->source_cap, r->source_count, sizeof *r->sources, 8);
    if (!grown) return NULL;
    r->sources = grown;
    source_file *f = &r->sources[r->source_count];
    memset(f, 0, sizeof *f);
    f->path = uv_arena_strndup(r->arena, path.ptr, path.len);
    if (!f->path) return NULL;
    r->source_count++;
    if (uv_file_map(f->path, SOURCE_BYTES_MAX, &f->map) != 0) {
        uv_error_clear(); /* no source here: no context, not an error */
        return NULL;
    }
    size_t cap = 0;
    for (size_t i = 0; i < f->map.len; i++) {
        if (i != 0 && f->map.data[i - 1] != '\n') continue; /* i starts a line */
        size_t *more = uv_array_grow(f->starts, &cap, f->line_count, sizeof *f->starts, 256);
        if (!more) {
            uv_mapped_release(&f->map);
            free(f->starts);
            f->starts = NULL;
            f->line_count = 0;
            return NULL;
        }
        f->starts = more;
        f->starts[f->line_count++] = i;
    }
    f->ok = true;
    return f;
}

/* Lines line-n .. line+n of `file`, or NULL. */
static crash_context *context_of(uv_crash_report *r, uv_str file, uint32_t line)
{
    if (line == 0) return NULL;
    source_file *f = source_for(r, file);
    if (!f || line > f->line_count) return NULL;
    size_t n =
        r->options.context_lines < CONTEXT_LINES_MAX ? r->options.context_lines : CONTEXT_LINES_MAX;
    size_t first = line > n ? line - n : 1;
    size_t last = line + n <= f->line_count ? line + n : f->line_count;
    crash_context *c = uv_arena_calloc(r->arena, 1, sizeof *c);
    if (!c) return NULL;
    c->lines = uv_arena_calloc(r->arena, last - first + 1, sizeof *c->lines);
    if (!c->lines) return NULL;
    c->first = (uint32_t)first;
    for (size_t l = first; l <= last; l++) {
        size_t start = f->starts[l - 1];
        size_t end = l < f->line_count ? f->starts[l] : f->map.len;
        while (end > start && (f->map.data[end - 1] == '\n' || f->map.data[end - 1] == '\r'))
            end--;
        c->lines[c->count++] = (uv_str){(const char *)f->map.data + start, end - start};
    }
    return c;
}

static int add_contexts(uv_crash_report *r)
{
    for (size_t t = 0; t < r->thread_count; t++)
        for (size_t i = 0; i < r->threads[t].frame_count; i++) {
            crash_frame *f = &r->threads[t].frames[i];
            f->context = context_of(r, f->file, f->line);
            for (size_t k = 0; k < f->inline_count; k++)
                f->inlines[k].context = context_of(r, f->inlines[k].file, f->inlines[k].line);
        }
    return 0;
}

int uv_crash_symbolicate(uv_crash_report **out, const void *bytes, size_t len,
                         const uv_crash_options *options)
{
    *out = NULL;
    uv_crash_report *r = calloc(1, sizeof *r);
    if (!r) return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    int rc = uv_arena_new(&r->arena);
    if (rc) {
        free(r);
        return rc;
    }
    if (options) r->options = *options;
    r->native_options.store = r->options.store;
    r->native_options.names = UV_NATIVE_NAMES_DWARF; /* the symcache keeps DWARF names only */
    r->native_options.project_id = r->options.project_id;

    if (uv_minidump_is(bytes, len))
        rc = uv_minidump_parse(&r->dump, bytes, len);
    else if (uv_elfcore_is(bytes, len))
        rc = uv_elfcore_parse(&r->dump, bytes, len);
    else
        rc = uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                          "not a crash dump: neither a minidump (MDMP) nor an ELF core file");
    if (rc == 0) rc = index_symbol_paths(r);
    if (rc == 0 && r->dump->module_count) {
        r->mods = calloc(r->dump->module_count, sizeof *r->mods);
        if (!r->mods) rc = uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    }
    if (rc == 0 && r->dump->module_count) {
        r->module_order = uv_arena_calloc(r->arena, r->dump->module_count, sizeof(size_t));
        if (!r->module_order)
            rc = uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
        else
            order_modules(r->dump, r->module_order);
    }
    if (rc == 0 && r->dump->thread_count) {
        r->threads = uv_arena_calloc(r->arena, r->dump->thread_count, sizeof *r->threads);
        if (!r->threads) rc = uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    }
    /* The crashing thread first, so its modules load first; the others in dump order
     * (with crashed_only: none, or only the first when no thread crashed). */
    size_t threads = rc == 0 ? r->dump->thread_count : 0;
    size_t crashed = rc == 0 ? r->dump->crash_thread : SIZE_MAX;
    if (crashed < threads) rc = walk_thread(r, crashed, &r->threads[r->thread_count++]);
    for (size_t i = 0; rc == 0 && i < threads; i++) {
        if (i == crashed) continue;
        if (r->options.crashed_only && r->thread_count) break;
        rc = walk_thread(r, i, &r->threads[r->thread_count++]);
    }
    if (rc == 0 && r->options.context_lines > 0) rc = add_contexts(r);
    if (rc) {
        uv_crash_report_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void uv_crash_report_free(uv_crash_report *r)
{
    if (!r) return;
    for (size_t i = 0; r->mods && i < r->dump->module_count; i++) {
        module_syms *ms = &r->mods[i];
        breakpad_close(ms);
        uv_cfi_free(ms->cfi);
        uv_native_free(ms->native);
        elf_map_close(&ms->main_elf);
        elf_map_close(&ms->debug_elf);
    }
    free(r->mods);
    free(r->files);
    for (size_t i = 0; i < r->source_count; i++) {
        if (r->sources[i].ok) uv_mapped_release(&r->sources[i].map);
        free(r->sources[i].starts);
    }
    free(r->sources);
    uv_dump_free(r->dump);
    uv_arena_free(r->arena);
    free(r);
}

const uv_dump *uv_crash_report_dump(const uv_crash_report *r)
{
    return r->dump;
}

void uv_crash_get_stats(const uv_crash_report *r, uv_crash_stats *out)
{
    memset(out, 0, sizeof *out);
    out->threads = r->thread_count;
    out->modules = r->dump->module_count;
    out->crashed = r->dump->crashed;
    for (size_t i = 0; i < r->dump->module_count; i++)
        if (has_symbols(&r->mods[i])) out->modules_with_symbols++;
    for (size_t t = 0; t < r->thread_count; t++) {
        out->frames += r->threads[t].frame_count;
        for (size_t f = 0; f < r->threads[t].frame_count; f++)
            if (r->threads[t].frames[f].function.len) out->frames_symbolicated++;
    }
}

/* ---- rendering: shared -------------------------------------------------------------- */

/* Threads in output order: the crashing one first, then the others by index. */
static const crash_thread *thread_for(const uv_crash_report *r, size_t index)
{
    for (size_t i = 0; i < r->thread_count; i++)
        if (r->threads[i].index == index) return &r->threads[i];
    return NULL;
}

static size_t requesting_thread(const uv_crash_report *r)
{
    size_t c = r->dump->crash_thread;
    return c < r->dump->thread_count ? c : SIZE_MAX;
}

/* Appends `s` without '|' and newlines (Breakpad's StripSeparator). */
static int put_stripped(uv_buf *out, uv_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] == '|' || s.ptr[i] == '\n') continue;
        int rc = uv_buf_append(out, &s.ptr[i], 1);
        if (rc) return rc;
    }
    return 0;
}

static int put_str(uv_buf *out, uv_str s)
{
    return s.len ? uv_buf_append(out, s.ptr, s.len) : 0;
}

static uv_str module_file_name(const uv_dump_module *m)
{
    return base_name(m->path);
}

static const uv_dump_module *main_module(const uv_dump *d)
{
    for (size_t i = 0; i < d->module_count; i++)
        if (d->modules[i].main) return &d->modules[i];
    return NULL;
}

/* One printable line of a stack: an inlined frame or a physical one, with the function, file,
 * line and the offset Breakpad prints for it. */
typedef struct {
    const crash_frame *frame;
    const crash_inline *in; /* NULL: the physical frame */
    size_t number;          /* the line's index in its thread's stack */
    uv_str function, file;
    uint32_t line;
    bool has_offset;
    uint64_t offset;
    int kind; /* of the offset: 0 line, 1 function, 2 module, 3 absolute */
} stack_line;

static void line_fields(stack_line *l)
{
    const crash_frame *f = l->frame;
    l->function = l->in ? l->in->function : f->function;
    l->file = l->in ? l->in->file : f->file;
    l->line = l->in ? l->in->line : f->line;
    if (f->module == SIZE_MAX) {
        l->kind = 3;
        l->has_offset = true;
        l->offset = f->uw->pc;
    } else if (l->function.len == 0) {
        l->kind = 2;
        l->has_offset = true;
        l->offset = f->module_offset;
    } else if (l->file.len && f->has_line_offset) {
        l->kind = 0;
        l->has_offset = true;
        l->offset = f->line_offset;
    } else {
        l->kind = 1;
        l->has_offset = l->in ? l->in->has_function_offset : f->has_function_offset;
        l->offset = l->in ? l->in->function_offset : f->function_offset;
    }
}

/* Calls `line_fn` for every line of the thread's stack, inlined levels before their frame,
 * until it fails. */
typedef int (*line_fn)(const uv_crash_report *r, const crash_thread *t, const stack_line *l,
                       uv_buf *out);

static int each_stack_line(const uv_crash_report *r, const crash_thread *t, line_fn fn, uv_buf *out)
{
    size_t number = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < t->frame_count; i++) {
        const crash_frame *f = &t->frames[i];
        for (size_t k = 0; rc == 0 && k <= f->inline_count; k++) {
            stack_line l = {
                .frame = f, .in = k < f->inline_count ? &f->inlines[k] : NULL, .number = number++};
            line_fields(&l);
            rc = fn(r, t, &l, out);
        }
    }
    return rc;
}

/* ---- rendering: Breakpad -m --------------------------------------------------------- */

static int machine_line(const uv_crash_report *r, const crash_thread *t, const stack_line *l,
                        uv_buf *out)
{
    const crash_frame *f = l->frame;
    int rc = uv_buf_printf(out, "%zu|%zu|", t->index, l->number);
    if (!rc && f->module != SIZE_MAX)
        rc = put_stripped(out, module_file_name(&r->dump->modules[f->module]));
    if (rc) return rc;
    if (l->kind == 0) {
        rc = uv_buf_append_str(out, "|");
        if (!rc) rc = put_stripped(out, l->function);
        if (!rc) rc = uv_buf_append_str(out, "|");
        if (!rc) rc = put_stripped(out, l->file);
        if (!rc) rc = uv_buf_printf(out, "|%" PRIu32 "|0x%" PRIx64 "\n", l->line, l->offset);
    } else if (l->kind == 1) {
        rc = uv_buf_append_str(out, "|");
        if (!rc) rc = put_stripped(out, l->function);
        if (!rc) rc = uv_buf_printf(out, "|||0x%" PRIx64 "\n", l->has_offset ? l->offset : 0);
    } else {
        rc = uv_buf_printf(out, "||||0x%" PRIx64 "\n", l->offset);
    }
    return rc;
}

static int render_machine(const uv_crash_report *r, uv_buf *out)
{
    const uv_dump *d = r->dump;
    int rc = uv_buf_append_str(out, "OS|");
    if (!rc) rc = put_stripped(out, d->os);
    if (!rc) rc = uv_buf_append_str(out, "|");
    if (!rc) rc = put_stripped(out, d->os_version);
    if (!rc) rc = uv_buf_printf(out, "\nCPU|%s|", uv_arch_name(d->arch));
    if (!rc) rc = put_stripped(out, d->cpu_info);
    if (!rc) rc = uv_buf_printf(out, "|%" PRIu32 "\nGPU|||\nCrash|", d->cpu_count);
    if (rc) return rc;
    size_t req = requesting_thread(r);
    if (d->crashed) {
        rc = put_stripped(out, d->crash_reason);
        if (!rc) rc = uv_buf_printf(out, "|0x%" PRIx64 "|", d->crash_address);
    } else {
        rc = uv_buf_append_str(out, "No crash||");
    }
    if (!rc) rc = req != SIZE_MAX ? uv_buf_printf(out, "%zu\n", req) : uv_buf_append_str(out, "\n");
    const uv_dump_module *main = main_module(d);
    for (size_t i = 0; rc == 0 && i < d->module_count; i++) {
        const uv_dump_module *m = &d->modules[r->module_order[i]];
        rc = uv_buf_append_str(out, "Module|");
        if (!rc) rc = put_stripped(out, module_file_name(m));
        if (!rc) rc = uv_buf_append_str(out, "|");
        if (!rc) rc = put_stripped(out, m->version);
        if (!rc) rc = uv_buf_append_str(out, "|");
        if (!rc) rc = put_stripped(out, base_name(m->debug_file));
        if (!rc) rc = uv_buf_append_str(out, "|");
        if (!rc) rc = put_stripped(out, uv_str_c(m->debug_id));
        if (!rc)
            rc = uv_buf_printf(out, "|0x%08" PRIx64 "|0x%08" PRIx64 "|%d\n", m->base,
                               m->base + m->size - 1, main && m->base == main->base ? 1 : 0);
    }
    if (!rc) rc = uv_buf_append_str(out, "\n");
    const crash_thread *t = req != SIZE_MAX ? thread_for(r, req) : NULL;
    if (!rc && t) rc = each_stack_line(r, t, machine_line, out);
    for (size_t i = 0; rc == 0 && i < r->thread_count; i++)
        if (r->threads[i].index != req) rc = each_stack_line(r, &r->threads[i], machine_line, out);
    return rc;
}

/* ---- rendering: text ---------------------------------------------------------------- */

static int print_register(uv_buf *out, uv_arch arch, const char *name, uint64_t value, int *col)
{
    char cell[64];
    if (arch == UV_ARCH_X86)
        snprintf(cell, sizeof cell, " %5s = 0x%08" PRIx32, name, (uint32_t)value);
    else
        snprintf(cell, sizeof cell, " %5s = 0x%016" PRIx64, name, value);
    size_t n = strlen(cell);
    if (*col + (int)n > 80) {
        *col = 0;
        int rc = uv_buf_append_str(out, "\n ");
        if (rc) return rc;
    }
    *col += (int)n;
    return uv_buf_append_str(out, cell);
}

/* Registers in Breakpad's order for the architecture. */
static int print_registers(uv_buf *out, uv_arch arch, const uv_unwind_frame *f)
{
    static const int x86_order[] = {8, 4, 5, 3, 6, 7};
    static const int x86_context[] = {0, 1, 2, 9};
    int col = 0, rc = 0;
    const uv_regs *regs = &f->regs;
    if (arch == UV_ARCH_X86) {
        for (size_t i = 0; rc == 0 && i < sizeof x86_order / sizeof *x86_order; i++)
            if (uv_regs_has(regs, x86_order[i]))
                rc = print_register(out, arch, uv_arch_reg_name(arch, x86_order[i]),
                                    regs->r[x86_order[i]], &col);
        if (f->trust == UV_TRUST_CONTEXT)
            for (size_t i = 0; rc == 0 && i < sizeof x86_context / sizeof *x86_context; i++) {
                int reg = x86_context[i];
                if (uv_regs_has(regs, reg))
                    rc = print_register(out, arch, reg == 9 ? "efl" : uv_arch_reg_name(arch, reg),
                                        regs->r[reg], &col);
            }
    } else if (arch == UV_ARCH_X86_64) {
        for (int reg = 0; rc == 0 && reg <= 16; reg++)
            if (uv_regs_has(regs, reg))
                rc = print_register(out, arch, uv_arch_reg_name(arch, reg), regs->r[reg], &col);
    } else if (arch == UV_ARCH_ARM64) {
        for (int reg = 0; rc == 0 && reg <= 32; reg++) {
            if (!uv_regs_has(regs, reg)) continue;
            const char *name = reg == 29 ? "fp" : reg == 30 ? "lr" : uv_arch_reg_name(arch, reg);
            rc = print_register(out, arch, name, regs->r[reg], &col);
        }
    }
    return rc;
}

/* Source lines under a frame's line: "    >  42  code" for the frame's own line. */
static int print_context(uv_buf *out, const crash_context *c, uint32_t line)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < c->count; i++) {
        uint32_t n = c->first + (uint32_t)i;
        rc = uv_buf_printf(out, "\n    %s %5" PRIu32 "  ", n == line ? ">" : " ", n);
        if (!rc) rc = put_str(out, c->lines[i]);
    }
    return rc;
}

static int text_line(const uv_crash_report *r, const crash_thread *t, const stack_line *l,
                     uv_buf *out)
{
    (void)t;
    const crash_frame *f = l->frame;
    int rc = uv_buf_printf(out, "%2zu  ", l->number);
    if (rc) return rc;
    if (f->module == SIZE_MAX) {
        rc = uv_buf_printf(out, "0x%" PRIx64, f->uw->pc);
    } else {
        rc = put_str(out, module_file_name(&r->dump->modules[f->module]));
        if (!rc && l->kind == 2) rc = uv_buf_printf(out, " + 0x%" PRIx64, l->offset);
        if (!rc && l->kind != 2) rc = uv_buf_append_str(out, "!");
        if (!rc && l->kind != 2) rc = put_str(out, l->function);
        if (!rc && l->kind == 0) {
            rc = uv_buf_append_str(out, " [");
            if (!rc) rc = put_str(out, base_name(l->file));
            if (!rc) rc = uv_buf_printf(out, " : %" PRIu32 " + 0x%" PRIx64 "]", l->line, l->offset);
        } else if (!rc && l->kind == 1 && l->has_offset) {
            rc = uv_buf_printf(out, " + 0x%" PRIx64, l->offset);
        }
    }
    const crash_context *ctx = l->in ? l->in->context : f->context;
    if (!rc && ctx) rc = print_context(out, ctx, l->line);
    if (!rc && l->in) return uv_buf_append_str(out, "\n    Found by: inlined\n");
    if (!rc) rc = uv_buf_append_str(out, "\n ");
    if (!rc) rc = print_registers(out, r->dump->arch, f->uw);
    if (!rc) rc = uv_buf_printf(out, "\n    Found by: %s\n", uv_trust_description(f->uw->trust));
    return rc;
}

static int render_text_stack(const uv_crash_report *r, const crash_thread *t, uv_buf *out)
{
    if (t->frame_count == 0) return uv_buf_append_str(out, " <no frames>\n");
    return each_stack_line(r, t, text_line, out);
}

static int render_text(const uv_crash_report *r, uv_buf *out)
{
    const uv_dump *d = r->dump;
    int rc = uv_buf_append_str(out, "Operating system: ");
    if (!rc) rc = put_str(out, d->os);
    if (!rc) rc = uv_buf_append_str(out, "\n                  ");
    if (!rc) rc = put_str(out, d->os_version);
    if (!rc) rc = uv_buf_printf(out, "\nCPU: %s\n", uv_arch_name(d->arch));
    if (!rc && d->cpu_info.len) {
        rc = uv_buf_append_str(out, "     ");
        if (!rc) rc = put_str(out, d->cpu_info);
        if (!rc) rc = uv_buf_append_str(out, "\n");
    }
    if (!rc)
        rc = uv_buf_printf(out, "     %" PRIu32 " CPU%s\n\nGPU: UNKNOWN\n\n", d->cpu_count,
                           d->cpu_count != 1 ? "s" : "");
    if (rc) return rc;
    if (d->crashed) {
        rc = uv_buf_append_str(out, "Crash reason:  ");
        if (!rc) rc = put_str(out, d->crash_reason);
        if (!rc) rc = uv_buf_printf(out, "\nCrash address: 0x%" PRIx64 "\n", d->crash_address);
    } else {
        rc = uv_buf_append_str(out, "No crash\n");
    }
    size_t req = requesting_thread(r);
    const crash_thread *t = req != SIZE_MAX ? thread_for(r, req) : NULL;
    if (!rc && t) {
        rc = uv_buf_printf(out, "\nThread %zu (%s)\n", req,
                           d->crashed ? "crashed" : "requested dump, did not crash");
        if (!rc) rc = render_text_stack(r, t, out);
    }
    for (size_t i = 0; rc == 0 && i < r->thread_count; i++) {
        if (r->threads[i].index == req) continue;
        rc = uv_buf_printf(out, "\nThread %zu\n", r->threads[i].index);
        if (!rc) rc = render_text_stack(r, &r->threads[i], out);
    }
    if (!rc) rc = uv_buf_append_str(out, "\nLoaded modules:\n");
    const uv_dump_module *main = main_module(d);
    for (size_t i = 0; rc == 0 && i < d->module_count; i++) {
        const uv_dump_module *m = &d->modules[r->module_order[i]];
        const module_syms *ms = &r->mods[r->module_order[i]];
        rc = uv_buf_printf(out, "0x%08" PRIx64 " - 0x%08" PRIx64 "  ", m->base,
                           m->base + m->size - 1);
        if (!rc) rc = put_str(out, module_file_name(m));
        if (!rc) rc = uv_buf_append_str(out, "  ");
        if (!rc) rc = m->version.len ? put_str(out, m->version) : uv_buf_append_str(out, "???");
        if (!rc && main && m->base == main->base) rc = uv_buf_append_str(out, "  (main)");
        if (!rc && ms->tried && !has_symbols(ms)) {
            rc = uv_buf_printf(out, "  (WARNING: %s symbols, ", ms->corrupt ? "Corrupt" : "No");
            if (!rc) rc = put_str(out, base_name(m->debug_file));
            if (!rc) rc = uv_buf_printf(out, ", %s)", m->debug_id);
        }
        if (!rc) rc = uv_buf_append_str(out, "\n");
    }
    return rc;
}

/* ---- rendering: JSON (rust-minidump's minidump-stackwalk --json) -------------------- */

/* Length of the valid UTF-8 sequence at p (1-4), or 0. */
static size_t utf8_length(const unsigned char *p, size_t left)
{
    size_t n = p[0] < 0x80             ? 1
               : (p[0] & 0xe0) == 0xc0 ? 2
               : (p[0] & 0xf0) == 0xe0 ? 3
               : (p[0] & 0xf8) == 0xf0 ? 4
                                       : 0;
    if (n == 0 || n > left || (n == 2 && p[0] < 0xc2)) return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80) return 0;
    return n;
}

/* A JSON string of a view; names from a dump or symbol file need not be UTF-8, so bytes
 * that are not become U+FFFD. */
static json_t *json_view(uv_str s)
{
    json_t *value = json_stringn(s.ptr ? s.ptr : "", s.len);
    if (value || s.len == 0) return value;
    uv_buf fixed = UV_BUF_INIT;
    const unsigned char *p = (const unsigned char *)s.ptr;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s.len;) {
        size_t n = utf8_length(p + i, s.len - i);
        rc = n ? uv_buf_append(&fixed, p + i, n) : uv_buf_append(&fixed, "\xef\xbf\xbd", 3);
        i += n ? n : 1;
    }
    value = rc ? NULL : json_stringn((const char *)fixed.data, fixed.len);
    if (!value && rc == 0) {
        /* What jansson still refuses (encoded surrogates, overlong forms): ASCII only. */
        for (size_t i = 0; i < fixed.len; i++)
            if (fixed.data[i] >= 0x80) fixed.data[i] = '?';
        value = json_stringn((const char *)fixed.data, fixed.len);
    }
    uv_buf_free(&fixed);
    return value;
}

static json_t *json_view_or_null(uv_str s)
{
    return s.len ? json_view(s) : json_null();
}

static json_t *json_hex(uint64_t value, unsigned digits)
{
    char text[32];
    snprintf(text, sizeof text, "0x%0*" PRIx64, (int)digits, value);
    return json_string(text);
}

static const char *json_trust(uv_trust trust)
{
    return trust == UV_TRUST_FP ? "frame_pointer" : uv_trust_name(trust);
}

/* Sets key to value (which may be NULL after an allocation failure: then fails). */
static int jset(json_t *obj, const char *key, json_t *value)
{
    if (!value || json_object_set_new(obj, key, value) != 0)
        return uv_error_set(UV_ENOMEM, UV_LIB_JSON, 0, "out of memory building JSON");
    return 0;
}

/* Sentry's names for source context: pre_context, context_line, post_context. */
static int json_context(json_t *o, const crash_context *c, uint32_t line)
{
    if (!c || line < c->first || line - c->first >= c->count) return 0;
    size_t at = line - c->first;
    json_t *pre = json_array(), *post = json_array();
    int rc = pre && post ? 0 : UV_ENOMEM;
    for (size_t i = 0; rc == 0 && i < c->count; i++) {
        if (i == at) continue;
        if (json_array_append_new(i < at ? pre : post, json_view(c->lines[i])) != 0) rc = UV_ENOMEM;
    }
    if (!rc) rc = jset(o, "pre_context", pre), pre = NULL;
    if (!rc) rc = jset(o, "context_line", json_view(c->lines[at]));
    if (!rc) rc = jset(o, "post_context", post), post = NULL;
    json_decref(pre);
    json_decref(post);
    return rc;
}

static json_t *json_frame(const uv_crash_report *r, const crash_frame *f, size_t number)
{
    unsigned w = 2 * uv_arch_pointer_size(r->dump->arch);
    json_t *o = json_object();
    if (!o) return NULL;
    const module_syms *ms = f->module != SIZE_MAX ? &r->mods[f->module] : NULL;
    int rc = jset(o, "frame", json_integer((json_int_t)number));
    if (!rc)
        rc = jset(o, "module",
                  ms ? json_view(module_file_name(&r->dump->modules[f->module])) : json_null());
    if (!rc) rc = jset(o, "function", json_view_or_null(f->function));
    if (!rc)
        rc = jset(o, "function_offset",
                  f->function.len && f->has_function_offset ? json_hex(f->function_offset, 8)
                                                            : json_null());
    if (!rc) rc = jset(o, "file", json_view_or_null(f->file));
    if (!rc) rc = jset(o, "line", f->line ? json_integer(f->line) : json_null());
    if (!rc) rc = jset(o, "offset", json_hex(f->uw->pc, w));
    if (!rc) rc = jset(o, "module_offset", ms ? json_hex(f->module_offset, 8) : json_null());
    if (!rc) rc = jset(o, "trust", json_string(json_trust(f->uw->trust)));
    if (!rc) rc = jset(o, "missing_symbols", json_boolean(ms && !has_symbols(ms)));
    json_t *inlines = rc ? NULL : json_array();
    if (!rc && !inlines) rc = UV_ENOMEM;
    for (size_t i = 0; rc == 0 && i < f->inline_count; i++) {
        json_t *in = json_object();
        if (!in || json_array_append_new(inlines, in) != 0) {
            rc = UV_ENOMEM;
            break;
        }
        rc = jset(in, "function", json_view_or_null(f->inlines[i].function));
        if (!rc) rc = jset(in, "file", json_view_or_null(f->inlines[i].file));
        if (!rc)
            rc = jset(in, "line",
                      f->inlines[i].line ? json_integer(f->inlines[i].line) : json_null());
        if (!rc) rc = json_context(in, f->inlines[i].context, f->inlines[i].line);
    }
    if (!rc) rc = json_context(o, f->context, f->line);
    if (!rc && inlines) {
        rc = jset(o, "inlines", inlines);
        inlines = NULL;
    }
    json_decref(inlines);
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *json_thread(const uv_crash_report *r, const crash_thread *t)
{
    const uv_dump_thread *dt = &r->dump->threads[t->index];
    json_t *o = json_object(), *frames = json_array();
    int rc = o && frames ? 0 : UV_ENOMEM;
    for (size_t i = 0; rc == 0 && i < t->frame_count; i++) {
        json_t *f = json_frame(r, &t->frames[i], i);
        if (!f || json_array_append_new(frames, f) != 0) rc = UV_ENOMEM;
    }
    if (!rc) rc = jset(o, "thread_id", json_integer(dt->tid));
    if (!rc) rc = jset(o, "thread_name", json_view_or_null(dt->name));
    if (!rc) rc = jset(o, "frame_count", json_integer((json_int_t)t->frame_count));
    if (!rc) {
        rc = jset(o, "frames", frames);
        frames = NULL;
    }
    json_decref(frames);
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int build_json(const uv_crash_report *r, json_t *root)
{
    const uv_dump *d = r->dump;
    unsigned w = 2 * uv_arch_pointer_size(d->arch);
    json_t *sys = json_object();
    int rc = jset(root, "status", json_string("OK"));
    if (!rc) rc = sys ? 0 : UV_ENOMEM;
    if (!rc) rc = jset(sys, "os", json_view(d->os));
    if (!rc) rc = jset(sys, "os_ver", json_view_or_null(d->os_version));
    if (!rc) rc = jset(sys, "cpu_arch", json_string(uv_arch_name(d->arch)));
    if (!rc) rc = jset(sys, "cpu_info", json_view_or_null(d->cpu_info));
    if (!rc) rc = jset(sys, "cpu_count", json_integer(d->cpu_count));
    if (!rc) {
        rc = jset(root, "system_info", sys);
        sys = NULL;
    }
    json_decref(sys);
    if (rc) return rc;

    size_t req = requesting_thread(r);
    json_t *crash = json_object();
    if (!crash) return UV_ENOMEM;
    rc = jset(crash, "type", d->crashed ? json_view(d->crash_reason) : json_null());
    if (!rc) rc = jset(crash, "address", d->crashed ? json_hex(d->crash_address, w) : json_null());
    if (!rc)
        rc = jset(crash, "crashing_thread",
                  req != SIZE_MAX ? json_integer((json_int_t)req) : json_null());
    if (!rc)
        rc = jset(root, "crash_info", crash);
    else
        json_decref(crash);
    if (rc) return rc;

    const crash_thread *ct = req != SIZE_MAX ? thread_for(r, req) : NULL;
    json_t *cthread = ct ? json_thread(r, ct) : json_null();
    if (ct && cthread) rc = jset(cthread, "threads_index", json_integer((json_int_t)req));
    if (!rc) rc = jset(root, "crashing_thread", cthread);
    if (rc) return rc;

    json_t *threads = json_array();
    if (!threads) return UV_ENOMEM;
    /* Every thread in dump order (rust-minidump lists them all, the crashing one too). */
    for (size_t i = 0; rc == 0 && i < d->thread_count; i++) {
        const crash_thread *t = thread_for(r, i);
        if (!t) continue;
        json_t *jt = json_thread(r, t);
        if (!jt || json_array_append_new(threads, jt) != 0) rc = UV_ENOMEM;
    }
    if (!rc) rc = jset(root, "thread_count", json_integer((json_int_t)json_array_size(threads)));
    if (!rc)
        rc = jset(root, "threads", threads);
    else
        json_decref(threads);
    if (rc) return rc;

    json_t *modules = json_array();
    if (!modules) return UV_ENOMEM;
    const uv_dump_module *main = main_module(d);
    for (size_t i = 0; rc == 0 && i < d->module_count; i++) {
        const uv_dump_module *m = &d->modules[r->module_order[i]];
        const module_syms *ms = &r->mods[r->module_order[i]];
        json_t *jm = json_object();
        if (!jm || json_array_append_new(modules, jm) != 0) {
            rc = UV_ENOMEM;
            break;
        }
        rc = jset(jm, "base_address", json_hex(m->base, w));
        if (!rc) rc = jset(jm, "end_address", json_hex(m->base + m->size, w));
        if (!rc) rc = jset(jm, "filename", json_view(module_file_name(m)));
        if (!rc) rc = jset(jm, "code_id", json_view_or_null(uv_str_c(m->code_id)));
        if (!rc) rc = jset(jm, "debug_file", json_view_or_null(base_name(m->debug_file)));
        if (!rc) rc = jset(jm, "debug_id", json_view_or_null(uv_str_c(m->debug_id)));
        if (!rc) rc = jset(jm, "version", json_view_or_null(m->version));
        if (!rc) rc = jset(jm, "loaded_symbols", json_boolean(has_symbols(ms)));
        if (!rc) rc = jset(jm, "missing_symbols", json_boolean(ms->tried && !has_symbols(ms)));
        if (!rc) rc = jset(jm, "corrupt_symbols", json_boolean(ms->corrupt));
        if (!rc && has_symbols(ms)) rc = jset(jm, "symbol_url", json_view(uv_str_c(ms->source)));
        if (!rc && main == m) rc = jset(jm, "main", json_true());
    }
    if (!rc) rc = jset(root, "module_count", json_integer((json_int_t)d->module_count));
    if (!rc)
        rc = jset(root, "modules", modules);
    else
        json_decref(modules);
    if (!rc) rc = jset(root, "pid", json_integer(d->pid));
    return rc;
}

static int render_json(const uv_crash_report *r, uv_buf *out)
{
    json_t *root = json_object();
    if (!root) return uv_error_set(UV_ENOMEM, UV_LIB_JSON, 0, "out of memory building JSON");
    int rc = build_json(r, root);
    if (rc) {
        json_decref(root);
        return rc == UV_ENOMEM ? uv_error_set(UV_ENOMEM, UV_LIB_JSON, 0, "out of memory") : rc;
    }
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!text) return uv_error_set(UV_ENOMEM, UV_LIB_JSON, 0, "out of memory writing JSON");
    rc = uv_buf_append_str(out, text);
    if (!rc) rc = uv_buf_append_str(out, "\n");
    free(text);
    return rc;
}

int uv_crash_render(const uv_crash_report *r, uv_crash_format format, uv_buf *out)
{
    switch (format) {
    case UV_CRASH_TEXT:
        return render_text(r, out);
    case UV_CRASH_JSON:
        return render_json(r, out);
    case UV_CRASH_BREAKPAD_M:
        return render_machine(r, out);
    }
    return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "unknown crash report format %d", (int)format);
}

int uv_crash_get_module(const uv_crash_report *r, size_t index, uv_crash_module_info *out)
{
    memset(out, 0, sizeof *out);
    if (index >= r->dump->module_count)
        return uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0, "module %zu: the dump has %zu", index,
                            r->dump->module_count);
    const module_syms *ms = &r->mods[index];
    out->looked_up = ms->tried;
    out->has_symbols = has_symbols(ms);
    out->has_cfi =
        ms->cfi || (ms->bp && (uv_breakpad_has_cfi(ms->bp) || uv_breakpad_has_win(ms->bp)));
    out->corrupt = ms->corrupt;
    out->source = ms->source;
    out->note = has_symbols(ms) ? "" : ms->note;
    return 0;
}
