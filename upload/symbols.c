/* Uploading native debug files: see symbols.h. */
#include "upload/symbols.h"

#include "formats/arena.h"
#include "formats/breakpad.h"
#include "formats/buf.h"
#include "formats/dwarf.h"
#include "formats/elf.h"
#include "formats/error.h"
#include "upload/remote.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* Ceilings: one debug file up to 4 GiB (the largest Debian -dbg files are a few hundred MB);
 * a walk stops at 100,000 files and 64 directory levels. */
#define MAX_FILE_BYTES ((size_t)4 << 30)
#define MAX_FILES 100000
#define MAX_DEPTH 64

typedef struct {
    dev_t dev;
    ino_t ino;
} file_id;

typedef struct {
    const uv_upload_symbols_options *opt;
    uv_upload_symbols_summary *sum;
    file_id *seen; /* files already handled (a .build-id link and its target are one file) */
    size_t seen_count, seen_cap;
} upload_ctx;

static void report(upload_ctx *c, uv_upload_severity sev, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void report(upload_ctx *c, uv_upload_severity sev, const char *path, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (sev == UV_UPLOAD_WARNING) c->sum->warnings++;
    if (sev == UV_UPLOAD_ERROR) c->sum->errors++;
    if (c->opt->report) c->opt->report(c->opt->ctx, sev, path, msg);
}

/* Marks a file as handled; false when it was already. */
static int first_visit(upload_ctx *c, const struct stat *st, bool *first)
{
    for (size_t i = 0; i < c->seen_count; i++)
        if (c->seen[i].dev == st->st_dev && c->seen[i].ino == st->st_ino) {
            *first = false;
            return 0;
        }
    if (c->seen_count >= MAX_FILES)
        return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0, "more than %d files to upload", MAX_FILES);
    file_id *seen = uv_array_grow(c->seen, &c->seen_cap, c->seen_count, sizeof *seen, 64);
    if (!seen) return UV_ENOMEM;
    c->seen = seen;
    c->seen[c->seen_count++] = (file_id){st->st_dev, st->st_ino};
    *first = true;
    return 0;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Looks at what the file holds. DWARF is read (not only looked for) so that a file whose
 * debug info we could not use is reported now, not at the first crash. */
static void inspect(uv_elf *elf, uv_symbol_file_info *info)
{
    info->elf_kind = uv_elf_kind_name(uv_elf_get_kind(elf));
    info->arch = uv_elf_machine_name(elf);
    if (uv_elf_build_id_hex(elf, info->build_id) == 0) {
        char breakpad[UV_DEBUG_ID_BREAKPAD_LEN];
        uv_elf_debug_id(elf, info->debug_id, breakpad);
    } else {
        info->build_id[0] = '\0';
    }
    const uv_elf_symbol *symbols;
    if (uv_elf_symbols(elf, &symbols, &info->symbols) != 0) info->symbols = 0;
    info->has_symtab = uv_elf_has_section(elf, ".symtab");
    info->has_debug_info = uv_elf_has_section(elf, ".debug_info");
    info->has_lines = uv_elf_has_section(elf, ".debug_line");
    info->has_unwind =
        uv_elf_has_section(elf, ".eh_frame") || uv_elf_has_section(elf, ".debug_frame");
    uv_str name;
    uint32_t crc;
    const uint8_t *alt_id;
    size_t alt_len;
    info->has_debuglink = uv_elf_debuglink(elf, &name, &crc) == 0;
    info->has_altlink = uv_elf_altlink(elf, &name, &alt_id, &alt_len) == 0;
    /* A dwz supplementary file holds shared DWARF and no code of its own. */
    info->is_dwz_supplementary = info->has_debug_info && !uv_elf_has_section(elf, ".text") &&
                                 uv_elf_first_load_vaddr(elf) == 0 && !info->has_lines;
    uv_error_clear();
}

static int upload_bytes(upload_ctx *c, const char *path, const void *data, size_t len,
                        bool explicit);

static int upload_file(upload_ctx *c, const char *path, bool explicit)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        report(c, UV_UPLOAD_ERROR, path, "%s", strerror(errno));
        return 0;
    }
    bool first;
    int rc = first_visit(c, &st, &first);
    if (rc != 0 || !first) return rc;
    uv_mapped bytes;
    rc = uv_file_map(path, MAX_FILE_BYTES, &bytes);
    if (rc != 0) {
        report(c, UV_UPLOAD_ERROR, path, "%s", uv_error_last()->message);
        return 0;
    }
    rc = upload_bytes(c, path, bytes.data, bytes.len, explicit);
    uv_mapped_release(&bytes);
    return rc;
}

static bool looks_breakpad(const void *data, size_t len)
{
    return len >= 7 && memcmp(data, "MODULE ", 7) == 0;
}

static void copy_view(char *out, size_t size, uv_str v)
{
    size_t n = v.len < size - 1 ? v.len : size - 1;
    if (n) memcpy(out, v.ptr, n); /* an empty view may have no pointer */
    out[n] = '\0';
}

/* Stores (or sends) the bytes of a checked file under key `key`. */
static int put_file(upload_ctx *c, const char *path, const char *key, const char *kind,
                    const char *debug_id, const char *meta, const void *data, size_t len,
                    bool *stored)
{
    *stored = false;
    int rc = 0;
    if (!c->opt->dry_run && c->opt->remote) {
        rc = uv_remote_send_symbols(c->opt->remote, c->opt->version, key, data, len);
        if (rc == UV_EINVALID) {
            report(c, UV_UPLOAD_ERROR, path, "rejected: %s", uv_error_last()->message);
            uv_error_clear();
            return 1; /* an error of this file, not of the upload */
        }
    } else if (!c->opt->dry_run) {
        char hex[UV_HASH_HEX];
        rc = uv_store_blob_put(c->opt->store, data, len, hex);
        if (rc == 0)
            rc =
                uv_store_artifact_put(c->opt->store, c->opt->project_id, c->opt->version, kind, key,
                                      hex, len, debug_id && *debug_id ? debug_id : NULL, meta);
    }
    if (rc == 0 && !c->opt->dry_run) {
        *stored = true;
        c->sum->bytes += len;
    }
    return rc;
}

/* A Breakpad .sym: parsed in full (a broken one is refused here, not at crash time), stored
 * as kind "breakpad" with its debug ID, keyed NAME/DEBUGID/NAME.sym like Breakpad's symbol
 * store layout; its code ID (the build-id for ELF modules) goes into the artifact's meta. */
static int upload_breakpad(upload_ctx *c, const char *path, const void *data, size_t len)
{
    uv_breakpad *bp = NULL;
    if (uv_breakpad_parse(&bp, data, len) != 0) {
        report(c, UV_UPLOAD_ERROR, path, "%s", uv_error_last()->message);
        uv_error_clear();
        return 0;
    }
    const uv_breakpad_info *bi = uv_breakpad_get_info(bp);
    uv_symbol_file_info info;
    memset(&info, 0, sizeof info);
    info.path = path;
    info.kind = "breakpad";
    info.elf_kind = "breakpad symbols";
    char arch[32], name[256], sym_name[256];
    copy_view(arch, sizeof arch, bi->arch);
    info.arch = arch;
    copy_view(info.debug_id, sizeof info.debug_id, bi->debug_id);
    copy_view(info.build_id, sizeof info.build_id, bi->code_id);
    for (char *p = info.debug_id; *p; p++)
        if (*p >= 'a' && *p <= 'f') *p = (char)(*p - 'a' + 'A');
    copy_view(name, sizeof name, bi->name);
    /* Breakpad's layout: test_app.pdb/ID/test_app.sym, libfoo.so/ID/libfoo.so.sym */
    snprintf(sym_name, sizeof sym_name, "%s", name);
    size_t n = strlen(sym_name);
    if (n > 4 && strcasecmp(sym_name + n - 4, ".pdb") == 0) sym_name[n - 4] = '\0';
    const uv_elf_symbol *symbols;
    size_t count = 0;
    if (uv_breakpad_symbols(bp, &symbols, &count) == 0) info.symbols = count;
    info.has_symtab = count > 0;
    uv_debuginfo *di = NULL;
    if (uv_breakpad_debuginfo(bp, &di) == 0) {
        info.has_debug_info = di->func_count > 0;
        info.has_lines = di->row_count > 0;
        for (size_t i = 0; i < di->func_count && !info.has_inlines; i++)
            info.has_inlines = di->funcs[i].depth > 0;
    }
    uv_debuginfo_free(di);
    uv_error_clear();
    info.has_unwind = uv_breakpad_has_cfi(bp) || uv_breakpad_has_win(bp);
    uv_breakpad_free(bp);
    c->sum->files++;
    if (!info.debug_id[0]) {
        report(c, UV_UPLOAD_ERROR, path, "MODULE line has no debug ID");
        return 0;
    }
    char key[1024], meta[512];
    snprintf(key, sizeof key, "%s/%s/%s.sym", name, info.debug_id, sym_name);
    snprintf(meta, sizeof meta, "{\"code_id\":\"%s\"}", info.build_id);
    for (char *p = meta; *p; p++) /* the code ID is hex from the file; keep the JSON valid */
        if (*p == '\\' || (unsigned char)*p < 0x20) *p = '_';
    bool stored;
    int rc = put_file(c, path, key, "breakpad", info.debug_id, meta, data, len, &stored);
    if (rc == 1) return 0;
    info.stored = stored;
    if (rc == 0) {
        c->sum->breakpad++;
        if (c->opt->file) c->opt->file(c->opt->ctx, &info);
    }
    return rc;
}

/* One file's bytes: inspect, report, store under base_name(path). */
static int upload_bytes(upload_ctx *c, const char *path, const void *data, size_t len,
                        bool explicit)
{
    if (looks_breakpad(data, len)) return upload_breakpad(c, path, data, len);
    uv_elf *elf = NULL;
    int rc = uv_elf_open(&elf, data, len);
    if (rc != 0) {
        /* Walking a directory meets other files too; only files named explicitly must be ELF. */
        if (explicit || rc != UV_EINVALID)
            report(c, UV_UPLOAD_ERROR, path, "%s", uv_error_last()->message);
        uv_error_clear();
        return 0;
    }
    uv_symbol_file_info info;
    memset(&info, 0, sizeof info);
    info.path = path;
    inspect(elf, &info);
    c->sum->files++;
    if (info.has_debug_info) {
        uv_debuginfo *di = NULL;
        uv_dwarf_summary dsum;
        if (uv_dwarf_read(&di, elf, NULL, &dsum) == 0) {
            info.has_inlines = dsum.has_inlines;
        } else if (!info.has_altlink) {
            /* With an altlink, part of the DWARF lives in the supplementary file: reading
             * this one alone may fail without anything being wrong. */
            report(c, UV_UPLOAD_WARNING, path, "DWARF could not be read: %s",
                   uv_error_last()->message);
        }
        uv_debuginfo_free(di);
        uv_error_clear();
    }
    info.kind = info.has_debug_info ? "debuginfo" : "executable";
    if (!info.has_debug_info && !info.has_symtab)
        report(c, UV_UPLOAD_WARNING, path,
               "stripped: no debug info and no symbol table (only %zu exported functions); "
               "upload its separate debug file too",
               info.symbols);
    if (!info.build_id[0]) {
        c->sum->without_build_id++;
        report(c, UV_UPLOAD_WARNING, path,
               "no GNU build-id: it can only be found by project, version and file name");
    }
    bool stored;
    rc = put_file(c, path, base_name(path), info.kind, info.build_id, NULL, data, len, &stored);
    if (rc == 1) {
        uv_elf_free(elf);
        return 0;
    }
    info.stored = stored;
    if (rc == 0) {
        if (info.has_debug_info)
            c->sum->debuginfo++;
        else
            c->sum->executables++;
        if (c->opt->file) c->opt->file(c->opt->ctx, &info);
    }
    uv_elf_free(elf);
    return rc;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(upload_ctx *c, const char *dir, int depth)
{
    if (depth > MAX_DEPTH)
        return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0, "%s: directories nested deeper than %d",
                            dir, MAX_DEPTH);
    DIR *d = opendir(dir);
    if (!d)
        return uv_error_set(UV_EIO, UV_LIB_OS, errno, "%s: cannot open directory: %s", dir,
                            strerror(errno));
    /* Sorted, so uploads and reports are deterministic. */
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char **grown = uv_array_grow(names, &cap, count, sizeof *names, 32);
        char *name = grown ? strdup(e->d_name) : NULL;
        if (!grown || !name) {
            free(name);
            names = grown ? grown : names;
            rc = uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
            break;
        }
        names = grown;
        names[count++] = name;
    }
    closedir(d);
    if (rc == 0) qsort(names, count, sizeof *names, compare_names);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        size_t len = strlen(dir) + 1 + strlen(names[i]) + 1;
        char *path = malloc(len);
        if (!path) {
            rc = uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
            break;
        }
        snprintf(path, len, "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                rc = walk(c, path, depth + 1);
            else if (S_ISREG(st.st_mode))
                rc = upload_file(c, path, false);
        }
        free(path);
    }
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return rc;
}

int uv_upload_symbols(const uv_upload_symbols_options *options, uv_upload_symbols_summary *out)
{
    memset(out, 0, sizeof *out);
    upload_ctx c = {options, out, NULL, 0, 0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < options->path_count; i++) {
        const char *path = options->paths[i];
        struct stat st;
        if (stat(path, &st) != 0)
            rc = uv_error_set(errno == ENOENT ? UV_ENOTFOUND : UV_EIO, UV_LIB_OS, errno, "%s: %s",
                              path, strerror(errno));
        else if (S_ISDIR(st.st_mode))
            rc = walk(&c, path, 0);
        else
            rc = upload_file(&c, path, true);
    }
    free(c.seen);
    return rc;
}

int uv_upload_symbols_bytes(const uv_upload_symbols_options *options, const char *name,
                            const void *data, size_t len, uv_upload_symbols_summary *out)
{
    upload_ctx c = {options, out, NULL, 0, 0};
    return upload_bytes(&c, name, data, len, true);
}
