/* Native frame resolution (see nativeresolve.h and docs/native-frames.md).
 *
 * A frame goes through three steps:
 *  1. its image: the payload module whose [image_addr, image_addr + image_size) holds the
 *     address (a module without a size reaches to the next module, as Symbolicator infers
 *     it), or for text the module path printed in the line, matched to --module NAME by
 *     basename, or the --module whose mapped range holds the address;
 *  2. the module, opened once per (build-id | path): by build-id through uv_native (store,
 *     /usr/lib/debug), else the file on disk, else the store by (project, version, name);
 *     the ELF itself is read here too for its first PT_LOAD, kind, extent and symbols;
 *  3. the address in the ELF's own address space (rules in nativeresolve.h), minus one for
 *     return addresses, looked up with every inline level. */
#include "symbolicate/nativeresolve.h"

#include "formats/buf.h"
#include "formats/elf.h"
#include "formats/error.h"
#include "symbolicate/native.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ELF files read for program headers and symbols: 4 GiB covers the largest debug files
 * (Chromium's are ~3 GiB) while bounding a mapping of something that is not one. */
#define MAX_ELF_BYTES ((size_t)4 << 30)
/* Inline chains are a few levels deep; 4096 bounds a corrupt cache's answer. */
#define MAX_INLINE_DEPTH 4096u
/* Distinct (module, load bias) pairs learned per exception from `(+0x…) [0x…]` lines. */
#define MAX_LEARNED_BIASES 1024u

typedef struct {
    char *key;                /* "b:" build-id or "p:" path */
    char *name;               /* as given by the input */
    uv_native_module *module; /* NULL when it could not be opened */
    uv_native_status failure;
    char *detail;
    char build_id[2 * UV_BUILD_ID_MAX + 1];
    char *debug_file;
    /* The ELF read here: first PT_LOAD, kind, extent and symbols. */
    bool has_elf;
    uv_mapped elf_bytes;
    uv_elf *elf;
    uint64_t first_load;
    uint64_t extent; /* end of the highest allocated section − first_load */
    bool is_exec;
    const uv_elf_symbol *symbols;
    size_t symbol_count;
    size_t *by_name; /* indices of symbols sorted by name, built on first use */
} module_entry;

typedef struct {
    const char *module; /* trace string */
    uint64_t bias;
} learned_bias;

struct uv_nativeresolver {
    uv_nativeresolve_options options;
    uv_arena *arena; /* module entries' strings */
    module_entry **entries;
    size_t entry_count, entry_cap;
    uv_sc_frame *scratch;
    size_t scratch_cap;
    /* Payload modules sorted by image_addr with their ends, for the trace last seen. */
    const uv_trace *sorted_for;
    size_t *sorted;
    uint64_t *ends;
    learned_bias *biases;
    size_t bias_count;
};

const char *uv_native_status_name(uv_native_status status)
{
    switch (status) {
    case UV_NATIVE_SYMBOLICATED:
        return "symbolicated";
    case UV_NATIVE_MISSING_SYMBOL:
        return "missing_symbol";
    case UV_NATIVE_UNKNOWN_IMAGE:
        return "unknown_image";
    case UV_NATIVE_MISSING:
        return "missing";
    case UV_NATIVE_MALFORMED:
        return "malformed";
    }
    return "unknown";
}

/* ---- arguments ---------------------------------------------------------------------------- */

static bool is_hex_digit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int uv_nativeresolve_parse_module_arg(const char *arg, uv_arena *arena, uv_native_module_arg *out)
{
    memset(out, 0, sizeof *out);
    const char *eq = strrchr(arg, '=');
    if (!eq || eq == arg)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                            "--module '%s': expected NAME=BUILDID@BASE (NAME is the module's "
                            "file name)",
                            arg);
    out->name = uv_arena_strndup(arena, arg, (size_t)(eq - arg));
    const char *id = eq + 1, *at = strchr(id, '@');
    size_t id_len = at ? (size_t)(at - id) : strlen(id);
    if (id_len > 0) {
        if (id_len % 2 || id_len > 2 * UV_BUILD_ID_MAX)
            return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                                "--module '%s': the build-id must be an even number of hex "
                                "digits, at most %d",
                                arg, 2 * UV_BUILD_ID_MAX);
        char *hex = uv_arena_alloc(arena, id_len + 1);
        if (!hex) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
        for (size_t i = 0; i < id_len; i++) {
            if (!is_hex_digit(id[i]))
                return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                                    "--module '%s': '%c' in the build-id is not a hex digit", arg,
                                    id[i]);
            hex[i] = (char)(id[i] >= 'A' && id[i] <= 'F' ? id[i] - 'A' + 'a' : id[i]);
        }
        hex[id_len] = '\0';
        out->build_id = hex;
    }
    if (at) {
        const char *b = at + 1;
        if (b[0] == '0' && (b[1] == 'x' || b[1] == 'X')) b += 2;
        size_t n = strlen(b);
        if (n == 0 || n > 16)
            return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                                "--module '%s': BASE must be 1 to 16 hex digits", arg);
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++) {
            if (!is_hex_digit(b[i]))
                return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                                    "--module '%s': '%c' in BASE is not a hex digit", arg, b[i]);
            v = v << 4 | (uint64_t)(b[i] <= '9' ? b[i] - '0' : (b[i] | 0x20) - 'a' + 10);
        }
        out->base = v;
        out->has_base = true;
    }
    if (!out->name) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    return 0;
}

/* ---- lifetime ----------------------------------------------------------------------------- */

int uv_nativeresolve_new(uv_nativeresolver **out, const uv_nativeresolve_options *options)
{
    *out = NULL;
    uv_nativeresolver *r = calloc(1, sizeof *r);
    if (!r) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    r->options = *options;
    int rc = uv_arena_new(&r->arena);
    if (rc != 0) {
        free(r);
        return rc;
    }
    *out = r;
    return 0;
}

static void free_entry(module_entry *e)
{
    if (!e) return;
    uv_native_free(e->module);
    uv_elf_free(e->elf);
    if (e->has_elf) uv_mapped_release(&e->elf_bytes);
    free(e->by_name);
    free(e);
}

void uv_nativeresolve_free(uv_nativeresolver *resolver)
{
    if (!resolver) return;
    for (size_t i = 0; i < resolver->entry_count; i++)
        free_entry(resolver->entries[i]);
    free(resolver->entries);
    free(resolver->scratch);
    free(resolver->sorted);
    free(resolver->ends);
    free(resolver->biases);
    uv_arena_free(resolver->arena);
    free(resolver);
}

bool uv_nativeresolve_is_native(const uv_trace *trace, const uv_trace_frame *f)
{
    return trace->kind == UV_TRACE_NATIVE || f->has_address;
}

/* ---- modules ------------------------------------------------------------------------------ */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return path && *path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *arena_printf(uv_arena *arena, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char *arena_printf(uv_arena *arena, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    return uv_arena_strndup(arena, buf, strlen(buf));
}

/* Adopts `bytes` as the module's ELF when it is one (and carries `build_id` when given). */
static bool adopt_elf(module_entry *e, uv_mapped *bytes, const char *build_id)
{
    uv_elf *elf = NULL;
    if (uv_elf_open(&elf, bytes->data, bytes->len) != 0) {
        uv_mapped_release(bytes);
        return false;
    }
    char hex[2 * UV_BUILD_ID_MAX + 1] = "";
    if (build_id && *build_id &&
        (uv_elf_build_id_hex(elf, hex) != 0 || strcmp(hex, build_id) != 0)) {
        uv_elf_free(elf);
        uv_mapped_release(bytes);
        return false;
    }
    e->elf_bytes = *bytes;
    e->elf = elf;
    e->has_elf = true;
    e->first_load = uv_elf_first_load_vaddr(elf);
    e->is_exec = uv_elf_get_kind(elf) == UV_ELF_EXECUTABLE;
    uint64_t end = 0;
    uv_elf_section_info info;
    for (size_t i = 0; uv_elf_section_at(elf, i, &info) == 0; i++) {
        if ((info.flags & 0x2 /* SHF_ALLOC */) && info.addr + info.size > end &&
            info.addr + info.size >= info.addr)
            end = info.addr + info.size;
    }
    e->extent = end > e->first_load ? end - e->first_load : 0;
    if (uv_elf_symbols(elf, &e->symbols, &e->symbol_count) != 0) {
        e->symbols = NULL;
        e->symbol_count = 0;
    }
    return true;
}

static bool adopt_file(module_entry *e, const char *path, const char *build_id)
{
    uv_mapped bytes;
    if (!file_exists(path) || uv_file_map(path, MAX_ELF_BYTES, &bytes) != 0) return false;
    return adopt_elf(e, &bytes, build_id);
}

static bool adopt_build_id_path(module_entry *e, const char *root, const char *build_id)
{
    char path[4096];
    if (strlen(build_id) < 4) return false;
    snprintf(path, sizeof path, "%s/.build-id/%.2s/%s.debug", root, build_id, build_id + 2);
    return adopt_file(e, path, build_id);
}

/* Reads the module's ELF (any file of the same build: program headers and symbols are the
 * same in the executable and its separate debug file). */
static void load_elf(uv_nativeresolver *r, module_entry *e, const char *code_path)
{
    const char *id = e->build_id[0] ? e->build_id : NULL;
    if (e->debug_file && adopt_file(e, e->debug_file, id)) return;
    if (code_path && adopt_file(e, code_path, id)) return;
    if (!id) return;
    uv_store *store = r->options.store;
    static const char *const kinds[] = {"debuginfo", "executable"};
    for (size_t k = 0; store && k < 2; k++) {
        uv_artifact a;
        uv_mapped bytes;
        if (uv_store_artifact_find_debug_id(store, r->options.project_id, id, kinds[k], &a) == 0 &&
            uv_store_blob_map(store, a.blob, &bytes) == 0 && adopt_elf(e, &bytes, id))
            return;
    }
    for (size_t i = 0; i < r->options.debug_dir_count; i++)
        if (adopt_build_id_path(e, r->options.debug_dirs[i], id)) return;
    adopt_build_id_path(e, "/usr/lib/debug", id);
}

typedef struct {
    const char *name;
    uv_artifact best;
    bool found;
} newest_ctx;

static int newest_by_name(const uv_artifact *a, void *ctx)
{
    newest_ctx *c = ctx;
    if (strcmp(a->key, c->name) == 0 && (!c->found || a->created_at >= c->best.created_at)) {
        c->best = *a;
        c->found = true;
    }
    return 0;
}

/* The build-id of the debug file stored for (project, version, file name), "" when none. */
static int stored_build_id(uv_nativeresolver *r, const char *name, char *out, size_t out_len)
{
    out[0] = '\0';
    uv_store *store = r->options.store;
    if (!store || !r->options.project_id) return 0;
    static const char *const kinds[] = {"debuginfo", "executable"};
    for (size_t k = 0; k < 2; k++) {
        newest_ctx c = {.name = name};
        if (r->options.version) {
            int rc = uv_store_artifact_get(store, r->options.project_id, r->options.version,
                                           kinds[k], name, &c.best);
            if (rc == 0)
                c.found = true;
            else if (rc != UV_ENOTFOUND)
                return rc;
        } else {
            int rc = uv_store_artifact_each(store, r->options.project_id, NULL, kinds[k],
                                            newest_by_name, &c);
            if (rc < 0) return rc;
        }
        if (c.found && c.best.debug_id[0]) {
            snprintf(out, out_len, "%s", c.best.debug_id);
            return 0;
        }
    }
    return 0;
}

static void set_failure(module_entry *e, uv_arena *arena, int rc, const char *fallback)
{
    e->failure = rc == UV_ENOTFOUND ? UV_NATIVE_MISSING : UV_NATIVE_MALFORMED;
    const uv_error *err = uv_error_last();
    e->detail = arena_printf(arena, "%s", err && err->message[0] ? err->message : fallback);
}

/* Opens the module named by `path` and/or `build_id` (either may be NULL), once. */
static int get_module(uv_nativeresolver *r, const char *path, const char *build_id,
                      module_entry **out)
{
    *out = NULL;
    char key[4096];
    snprintf(key, sizeof key, "%s:%s", build_id ? "b" : "p", build_id ? build_id : path);
    for (size_t i = 0; i < r->entry_count; i++)
        if (strcmp(r->entries[i]->key, key) == 0) {
            *out = r->entries[i];
            return 0;
        }
    if (r->entry_count == r->entry_cap) {
        void *grown =
            uv_array_grow(r->entries, &r->entry_cap, r->entry_count, sizeof *r->entries, 16);
        if (!grown) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
        r->entries = grown;
    }
    module_entry *e = calloc(1, sizeof *e);
    if (!e) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    e->key = uv_arena_strndup(r->arena, key, strlen(key));
    e->name = uv_arena_strndup(r->arena, path ? path : build_id, strlen(path ? path : build_id));
    if (!e->key || !e->name) {
        free(e);
        return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    }
    r->entries[r->entry_count++] = e;
    *out = e;

    uv_native_options nopt = {
        .store = r->options.store,
        .project_id = r->options.project_id,
        .debug_dirs = r->options.debug_dirs,
        .debug_dir_count = r->options.debug_dir_count,
    };
    int rc = UV_ENOTFOUND;
    const char *opened_from = NULL;
    if (build_id) {
        rc = uv_native_open_build_id(&e->module, build_id, &nopt);
        if (rc == UV_ENOMEM) return rc;
        if (rc != 0 && file_exists(path)) {
            /* Not stored: the file on disk, provided it is the same build. */
            uv_native_module *m = NULL;
            int frc = uv_native_open_file(&m, path, &nopt);
            if (frc == 0) {
                const uv_native_info *info = uv_native_get_info(m);
                if (strcmp(info->build_id, build_id) == 0) {
                    e->module = m;
                    rc = 0;
                    opened_from = path;
                } else {
                    e->failure = UV_NATIVE_MISSING;
                    e->detail =
                        arena_printf(r->arena, "no debug file with build-id %s; %s has build-id %s",
                                     build_id, path, info->build_id[0] ? info->build_id : "(none)");
                    uv_native_free(m);
                    return 0;
                }
            }
        }
        if (rc != 0) {
            set_failure(e, r->arena, rc, "no debug file for this build-id");
            if (rc == UV_ENOTFOUND)
                e->detail = arena_printf(r->arena,
                                         "no debug file with build-id %s in the store, the debug "
                                         "directories or on disk",
                                         build_id);
            return 0;
        }
    } else if (file_exists(path)) {
        rc = uv_native_open_file(&e->module, path, &nopt);
        if (rc == UV_ENOMEM) return rc;
        if (rc != 0) {
            set_failure(e, r->arena, rc, "cannot read the module");
            return 0;
        }
        opened_from = path;
    } else {
        char stored[sizeof e->build_id];
        rc = stored_build_id(r, base_name(path), stored, sizeof stored);
        if (rc != 0) return rc;
        if (stored[0])
            rc = uv_native_open_build_id(&e->module, stored, &nopt);
        else
            rc = UV_ENOTFOUND;
        if (rc == UV_ENOMEM) return rc;
        if (rc != 0) {
            e->failure = UV_NATIVE_MISSING;
            e->detail =
                arena_printf(r->arena, "%s is not on disk and no debug file named %s is stored%s",
                             path, base_name(path), r->options.store ? "" : " (no store given)");
            return 0;
        }
    }
    const uv_native_info *info = uv_native_get_info(e->module);
    snprintf(e->build_id, sizeof e->build_id, "%s", info->build_id);
    if (info->debug_file[0])
        e->debug_file = uv_arena_strndup(r->arena, info->debug_file, strlen(info->debug_file));
    else if (opened_from)
        e->debug_file = uv_arena_strndup(r->arena, opened_from, strlen(opened_from));
    load_elf(r, e, path);
    return 0;
}

/* ---- symbols by name ---------------------------------------------------------------------- */

static const module_entry *sort_entry; /* qsort has no context argument in C17 */

static int compare_symbol_names(const void *a, const void *b)
{
    const uv_elf_symbol *x = &sort_entry->symbols[*(const size_t *)a];
    const uv_elf_symbol *y = &sort_entry->symbols[*(const size_t *)b];
    size_t n = x->name.len < y->name.len ? x->name.len : y->name.len;
    int c = memcmp(x->name.ptr, y->name.ptr, n);
    if (c) return c;
    if (x->name.len != y->name.len) return x->name.len < y->name.len ? -1 : 1;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Address of the function symbol named `name` (the lowest one when several share it). */
static bool symbol_address(module_entry *e, const char *name, uint64_t *out)
{
    if (!e->symbol_count) return false;
    if (!e->by_name) {
        e->by_name = malloc(e->symbol_count * sizeof *e->by_name);
        if (!e->by_name) return false;
        for (size_t i = 0; i < e->symbol_count; i++)
            e->by_name[i] = i;
        sort_entry = e;
        qsort(e->by_name, e->symbol_count, sizeof *e->by_name, compare_symbol_names);
        sort_entry = NULL;
    }
    uv_str want = uv_str_c(name);
    size_t lo = 0, hi = e->symbol_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uv_str have = e->symbols[e->by_name[mid]].name;
        size_t n = have.len < want.len ? have.len : want.len;
        int c = memcmp(have.ptr, want.ptr, n);
        if (c == 0) c = have.len < want.len ? -1 : have.len > want.len;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == e->symbol_count || !uv_str_eq(e->symbols[e->by_name[lo]].name, want)) return false;
    *out = e->symbols[e->by_name[lo]].addr;
    return true;
}

/* ---- images ------------------------------------------------------------------------------- */

static int compare_by_image_addr_ctx(const void *a, const void *b);
static const uv_trace *sort_trace;

static int compare_by_image_addr_ctx(const void *a, const void *b)
{
    uint64_t x = sort_trace->modules[*(const size_t *)a].image_addr;
    uint64_t y = sort_trace->modules[*(const size_t *)b].image_addr;
    return x < y ? -1 : x > y;
}

/* Sorts the payload's modules by load address and fixes each one's end: image_addr +
 * image_size, or the next module's start when no size was sent. */
static int prepare_modules(uv_nativeresolver *r, const uv_trace *trace)
{
    if (r->sorted_for == trace) return 0;
    free(r->sorted);
    free(r->ends);
    r->sorted = NULL;
    r->ends = NULL;
    r->sorted_for = NULL;
    size_t n = trace->module_count;
    if (n == 0) {
        r->sorted_for = trace;
        return 0;
    }
    r->sorted = malloc(n * sizeof *r->sorted);
    r->ends = malloc(n * sizeof *r->ends);
    if (!r->sorted || !r->ends) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    for (size_t i = 0; i < n; i++)
        r->sorted[i] = i;
    sort_trace = trace;
    qsort(r->sorted, n, sizeof *r->sorted, compare_by_image_addr_ctx);
    sort_trace = NULL;
    for (size_t i = 0; i < n; i++) {
        const uv_trace_module *m = &trace->modules[r->sorted[i]];
        if (m->has_image_size)
            r->ends[i] = m->image_addr + m->image_size;
        else
            r->ends[i] = i + 1 < n ? trace->modules[r->sorted[i + 1]].image_addr : UINT64_MAX;
    }
    r->sorted_for = trace;
    return 0;
}

/* The payload module holding `address` (the last-starting one when several do), or NULL. */
static const uv_trace_module *payload_module(const uv_nativeresolver *r, const uv_trace *trace,
                                             uint64_t address)
{
    size_t lo = 0, hi = trace->module_count;
    while (lo < hi) { /* first module starting above the address */
        size_t mid = lo + (hi - lo) / 2;
        if (trace->modules[r->sorted[mid]].image_addr <= address)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i-- > 0;) {
        if (address < r->ends[i]) return &trace->modules[r->sorted[i]];
        if (lo - i > 8) break; /* overlapping images are rare; do not scan them all */
    }
    return NULL;
}

/* The Breakpad/Sentry debug ID of an ELF is its build-id's first 16 bytes with the first
 * three GUID fields byte-swapped; undoing that gives the build-id when it is 16 bytes long
 * (MD5 or UUID build-ids). Writes "" when `debug_id` is not a GUID. */
static void build_id_from_debug_id(const char *debug_id, char out[33])
{
    char hex[32];
    size_t n = 0;
    out[0] = '\0';
    for (const char *p = debug_id; *p && n < 32; p++) {
        if (*p == '-') continue;
        if (!is_hex_digit(*p)) return;
        hex[n++] = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
    }
    if (n != 32) return;
    static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[2 * order[i]];
        out[2 * i + 1] = hex[2 * order[i] + 1];
    }
    out[32] = '\0';
}

static const uv_native_module_arg *module_arg_by_name(const uv_nativeresolver *r,
                                                      const char *module)
{
    for (size_t i = 0; i < r->options.module_count; i++) {
        const uv_native_module_arg *a = &r->options.modules[i];
        if (strcmp(a->name, module) == 0 || strcmp(a->name, base_name(module)) == 0) return a;
    }
    return NULL;
}

/* Learns (module, load bias) from text frames printing both `(+0xOFF)` and `[0xADDR]`. */
static int learn_biases(uv_nativeresolver *r, const uv_trace_exception *exc)
{
    r->bias_count = 0;
    for (size_t i = 0; i < exc->frame_count; i++) {
        const uv_trace_frame *f = &exc->frames[i];
        if (!f->has_address || !f->has_module_offset || !f->module[0] ||
            f->address < f->module_offset)
            continue;
        bool known = false;
        for (size_t k = 0; k < r->bias_count && !known; k++)
            known = strcmp(r->biases[k].module, f->module) == 0;
        if (known || r->bias_count == MAX_LEARNED_BIASES) continue;
        if (!r->biases) {
            r->biases = malloc(MAX_LEARNED_BIASES * sizeof *r->biases);
            if (!r->biases) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
        }
        r->biases[r->bias_count++] = (learned_bias){f->module, f->address - f->module_offset};
    }
    return 0;
}

static bool learned_bias_for(const uv_nativeresolver *r, const char *module, uint64_t *bias)
{
    for (size_t k = 0; k < r->bias_count; k++)
        if (strcmp(r->biases[k].module, module) == 0) {
            *bias = r->biases[k].bias;
            return true;
        }
    return false;
}

/* ---- frames ------------------------------------------------------------------------------- */

static const char *copy_view(uv_arena *arena, uv_str v)
{
    return v.len ? uv_arena_strndup(arena, v.ptr, v.len) : NULL;
}

static int lookup_locations(uv_nativeresolver *r, module_entry *e, uint64_t address,
                            uv_arena *arena, uv_native_resolved *out)
{
    size_t count = 0;
    if (!r->scratch) {
        r->scratch_cap = 64;
        r->scratch = malloc(r->scratch_cap * sizeof *r->scratch);
        if (!r->scratch) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    }
    int rc = uv_native_lookup(e->module, address, r->scratch, r->scratch_cap, &count);
    if (rc == 0 && count > r->scratch_cap) {
        size_t want = count > MAX_INLINE_DEPTH ? MAX_INLINE_DEPTH : count;
        uv_sc_frame *grown = realloc(r->scratch, want * sizeof *grown);
        if (!grown) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
        r->scratch = grown;
        r->scratch_cap = want;
        rc = uv_native_lookup(e->module, address, r->scratch, r->scratch_cap, &count);
    }
    if (rc == UV_ENOMEM) return rc;
    if (rc != 0 || count == 0) {
        out->status =
            rc == 0 || rc == UV_ENOTFOUND ? UV_NATIVE_MISSING_SYMBOL : UV_NATIVE_MALFORMED;
        out->detail =
            rc == 0 || rc == UV_ENOTFOUND
                ? arena_printf(arena, "no function in %s covers 0x%" PRIx64, e->name, address)
                : arena_printf(arena, "%s", uv_error_last()->message);
        return 0;
    }
    if (count > r->scratch_cap) count = r->scratch_cap;
    out->frames = uv_arena_calloc(arena, count, sizeof *out->frames);
    if (!out->frames) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    for (size_t i = 0; i < count; i++) {
        const uv_sc_frame *s = &r->scratch[i];
        uv_native_location *l = &out->frames[i];
        l->raw_function = copy_view(arena, s->raw_name);
        l->function = r->options.no_demangle ? l->raw_function : copy_view(arena, s->function);
        if (!l->function) l->function = l->raw_function;
        l->file = copy_view(arena, s->file);
        l->line = s->line;
        l->column = s->column;
        l->inlined = i + 1 < count;
        l->from_symbol_table = s->from_symbol_table;
    }
    out->frame_count = count;
    out->status = UV_NATIVE_SYMBOLICATED;
    return 0;
}

static int resolve_one(uv_nativeresolver *r, const uv_trace *trace, const uv_trace_exception *exc,
                       size_t index, uv_arena *arena, uv_native_resolved *out)
{
    const uv_trace_frame *f = &exc->frames[index];
    memset(out, 0, sizeof *out);
    out->status = UV_NATIVE_UNKNOWN_IMAGE;
    if (!uv_nativeresolve_is_native(trace, f)) {
        out->detail = "not a native frame";
        return 0;
    }
    if (!f->has_address) {
        out->detail = "the frame has no instruction address";
        return 0;
    }
    uint64_t address = f->address;

    /* 1. the image */
    const char *path = NULL, *build_id = NULL;
    char derived[33];
    bool has_base = false;
    uint64_t base = 0;
    const uv_native_module_arg *arg = NULL;
    module_entry *e = NULL;
    int rc;
    if (trace->module_count > 0) {
        const uv_trace_module *m = payload_module(r, trace, address);
        if (!m) {
            out->detail =
                arena_printf(arena, "no module of the payload contains 0x%" PRIx64, address);
            return 0;
        }
        path = m->code_file[0] ? m->code_file : m->debug_file[0] ? m->debug_file : NULL;
        build_id = m->build_id[0] ? m->build_id : NULL;
        if (!build_id && m->debug_id[0]) {
            build_id_from_debug_id(m->debug_id, derived);
            if (derived[0]) build_id = derived;
        }
        base = m->image_addr;
        has_base = true;
        if (!path && !build_id) {
            out->detail = "the module has neither code_file, debug_file, code_id nor debug_id";
            return 0;
        }
        arg = path ? module_arg_by_name(r, path) : NULL;
        if (arg && !build_id) build_id = arg->build_id;
    } else if (f->module[0]) {
        path = f->module;
        arg = module_arg_by_name(r, path);
        if (arg) {
            build_id = arg->build_id;
            has_base = arg->has_base;
            base = arg->base;
        }
    } else {
        /* No module printed (`[0x…]`, gdb without `from`): the --module mapped there. */
        for (size_t i = 0; i < r->options.module_count && !e; i++) {
            const uv_native_module_arg *a = &r->options.modules[i];
            if (!a->has_base || address < a->base) continue;
            module_entry *c;
            if ((rc = get_module(r, a->build_id ? NULL : a->name, a->build_id, &c))) return rc;
            uint64_t extent = c->has_elf && c->extent ? c->extent : 0;
            if (address - a->base < extent) {
                e = c;
                arg = a;
                has_base = true;
                base = a->base;
                path = a->name;
            }
        }
        if (!e) {
            out->detail = arena_printf(arena,
                                       "the line names no module and no --module "
                                       "NAME=BUILDID@BASE maps 0x%" PRIx64,
                                       address);
            return 0;
        }
    }
    if (!e && (rc = get_module(r, path, build_id, &e))) return rc;
    out->module = path ? path : e->name;
    out->build_id = e->build_id[0] ? e->build_id : build_id;
    out->debug_file = e->debug_file;
    if (!e->module) {
        out->status = e->failure;
        out->detail = e->detail;
        return 0;
    }

    /* 2. the address in the ELF's own address space */
    uint64_t first_load = e->has_elf ? e->first_load : 0, file_address = 0, bias = 0;
    if (has_base) {
        if (address < base) {
            out->detail = arena_printf(arena, "0x%" PRIx64 " is below the load address 0x%" PRIx64,
                                       address, base);
            return 0;
        }
        out->has_module_offset = true;
        out->module_offset = address - base;
        file_address = out->module_offset + first_load;
    } else if (f->has_module_offset) {
        file_address = f->module_offset;
    } else if (learned_bias_for(r, f->module, &bias) && address >= bias) {
        file_address = address - bias; /* exact, unlike a symbol name that may be an alias */
    } else if (f->symbol[0]) {
        uint64_t start;
        if (!symbol_address(e, f->symbol, &start)) {
            out->status = UV_NATIVE_MISSING_SYMBOL;
            out->detail =
                arena_printf(arena, "no symbol %s in %s (an alias?): give --module %s=@BASE",
                             f->symbol, e->name, base_name(e->name));
            return 0;
        }
        file_address = start + (uint64_t)f->symbol_offset;
    } else if (e->has_elf && e->is_exec) {
        file_address = address; /* a non-PIE executable is loaded at its own addresses */
    } else {
        out->detail = arena_printf(arena, "no load address for %s: give --module %s=BUILDID@BASE",
                                   e->name, base_name(e->name));
        return 0;
    }
    if (!out->has_module_offset && file_address >= first_load) {
        out->has_module_offset = true;
        out->module_offset = file_address - first_load;
    }
    out->has_file_address = true;
    out->file_address = file_address;

    /* 3. the lookup; callers' return addresses step back into the call instruction */
    out->adjusted =
        f->adjust == UV_TRACE_ADJUST_YES || (f->adjust == UV_TRACE_ADJUST_AUTO && index > 0);
    if (out->adjusted && file_address == 0) out->adjusted = false;
    return lookup_locations(r, e, file_address - (out->adjusted ? 1 : 0), arena, out);
}

int uv_nativeresolve_exception(uv_nativeresolver *resolver, const uv_trace *trace,
                               const uv_trace_exception *exception, uv_arena *arena,
                               uv_native_resolved *out)
{
    int rc = prepare_modules(resolver, trace);
    if (rc == 0) rc = learn_biases(resolver, exception);
    for (size_t i = 0; rc == 0 && i < exception->frame_count; i++)
        rc = resolve_one(resolver, trace, exception, i, arena, &out[i]);
    return rc;
}
