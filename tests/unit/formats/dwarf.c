/* DWARF reader against llvm-symbolizer: small C and C++ programs (an inline function, a
 * static function, two compilation units, a template, a method) are compiled at test time
 * with gcc/g++ at -O0 and -O2 for DWARF 4 and 5; for addresses inside their functions (from
 * nm) the model's inline chain (names, file:line:column of every frame) must equal what
 * `llvm-symbolizer --inlining` prints. Also: a dwz-compressed pair (when dwz is installed),
 * a file without DWARF, and corrupted .debug_info / .debug_line bytes (never a crash).
 * Without gcc, g++, nm or llvm-symbolizer the test prints "skipped" and passes. */
#include "formats/dwarf.h"
#include "formats/error.h"

#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/uv-dwarf-test-XXXXXX";

static bool have(const char *tool)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

static void write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static bool run(const char *fmt, const char *a, const char *b)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd %s && ", tmpdir);
    size_t n = strlen(cmd);
    snprintf(cmd + n, sizeof cmd - n, fmt, a, b);
    int rc = system(cmd);
    if (rc != 0) fprintf(stderr, "command failed: %s\n", cmd);
    return rc == 0;
}

static uint8_t *read_all(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc(size > 0 ? (size_t)size : 1);
    if (data && fread(data, 1, (size_t)size, f) != (size_t)size) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *len = (size_t)size;
    return data;
}

static const char util_h[] = "static inline int square_plus(int v)\n"
                             "{\n"
                             "    return v * v + 7;\n"
                             "}\n";
static const char a_c[] = "#include \"util.h\"\n"
                          "static int helper(int x) { return x * 3 + 1; }\n"
                          "int twice(int x);\n"
                          "int main(int argc, char **argv)\n"
                          "{\n"
                          "    (void)argv;\n"
                          "    int s = 0;\n"
                          "    for (int i = 0; i < argc * 1000; i++)\n"
                          "        s += square_plus(i) + helper(i) + twice(i);\n"
                          "    return s & 0x7f;\n"
                          "}\n";
static const char b_c[] = "#include \"util.h\"\n"
                          "__attribute__((noinline)) int twice(int x)\n"
                          "{\n"
                          "    return square_plus(x) * 2;\n"
                          "}\n";
static const char c_cc[] =
    "#include <string>\n"
    "#include <vector>\n"
    "namespace ns {\n"
    "template <typename T> struct Box {\n"
    "    T value;\n"
    "    __attribute__((noinline)) T get() const { return value + 1; }\n"
    "    T twice() const { return get() * 2; }\n"
    "};\n"
    "class Counter {\n"
    "  public:\n"
    "    __attribute__((noinline)) int bump(int by);\n"
    "  private:\n"
    "    int n = 0;\n"
    "};\n"
    "int Counter::bump(int by)\n"
    "{\n"
    "    n += by;\n"
    "    return n;\n"
    "}\n"
    "} // namespace ns\n"
    "static int helper(int v)\n"
    "{\n"
    "    std::vector<int> xs(v, 3);\n"
    "    int s = 0;\n"
    "    for (int x : xs)\n"
    "        s += x;\n"
    "    return s;\n"
    "}\n"
    "int main(int argc, char **)\n"
    "{\n"
    "    ns::Box<int> b{argc};\n"
    "    ns::Box<long> l{argc};\n"
    "    ns::Counter c;\n"
    "    std::string s(argc, 'x');\n"
    "    return b.twice() + (int)l.get() + c.bump(argc) + helper(argc) + (int)s.size();\n"
    "}\n";

/* Functions from our sources (raw symbol names, clones like "helper.isra.0" included). */
static bool ours(const char *symbol)
{
    static const char *const prefixes[] = {"main",       "twice",  "helper",
                                           "_ZL6helper", "_ZN2ns", "_ZNK2ns"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(symbol, prefixes[i], strlen(prefixes[i])) == 0) return true;
    return false;
}

/* ---- lookups in the model, as a symbolizer would do them ---- */

#define MAX_FRAMES 16

typedef struct {
    char name[256];
    char location[512]; /* file:line:column */
} frame;

static void view_to(char *out, size_t size, uv_str s)
{
    snprintf(out, size, "%.*s", (int)s.len, s.ptr ? s.ptr : "");
}

static size_t model_frames(const uv_debuginfo *di, uint64_t address, frame *frames)
{
    uint32_t best = UV_DI_NONE;
    for (size_t i = 0; i < di->range_count; i++)
        if (di->ranges[i].low <= address && address < di->ranges[i].high &&
            (best == UV_DI_NONE || di->funcs[di->ranges[i].func].depth > di->funcs[best].depth))
            best = di->ranges[i].func;
    /* the row: last one at or before the address (rows are sorted) */
    size_t lo = 0, hi = di->row_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (di->rows[mid].address <= address)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint32_t file = UV_DI_NONE, line = 0, column = 0;
    if (lo > 0 && di->rows[lo - 1].file != UV_DI_NONE) {
        file = di->rows[lo - 1].file;
        line = di->rows[lo - 1].line;
        column = di->rows[lo - 1].column;
    }
    size_t n = 0;
    for (uint32_t f = best; f != UV_DI_NONE && n < MAX_FRAMES; f = di->funcs[f].parent, n++) {
        const uv_di_func *func = &di->funcs[f];
        view_to(frames[n].name, sizeof frames[n].name, di->names[func->name]);
        char path[400] = "??";
        if (file != UV_DI_NONE) view_to(path, sizeof path, di->files[file]);
        snprintf(frames[n].location, sizeof frames[n].location, "%s:%u:%u", path, line, column);
        file = func->call_file;
        line = func->call_line;
        column = func->call_column;
    }
    return n;
}

typedef struct {
    uint64_t address;
    frame frames[MAX_FRAMES];
    size_t count;
} expected;

/* Addresses inside our functions: start, +4 and the middle (nm -S gives sizes). */
static size_t pick_addresses(const char *binary, uint64_t *out, size_t max)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "nm -S --defined-only %s/%s", tmpdir, binary);
    FILE *p = popen(cmd, "r");
    if (!p) return 0;
    char line[1024];
    size_t n = 0;
    while (fgets(line, sizeof line, p)) {
        unsigned long long addr, size;
        char type, name[800];
        if (sscanf(line, "%llx %llx %c %799s", &addr, &size, &type, name) != 4) continue;
        if ((type != 't' && type != 'T' && type != 'W') || !ours(name)) continue;
        uint64_t offsets[] = {0, 4, size / 2, size > 1 ? size - 1 : 0};
        for (size_t i = 0; i < 4 && n < max; i++)
            if (offsets[i] < size) out[n++] = addr + offsets[i];
    }
    pclose(p);
    return n;
}

static size_t symbolize(const char *binary, const uint64_t *addresses, size_t count, expected *out)
{
    char cmd[8192];
    int len = snprintf(cmd, sizeof cmd, "llvm-symbolizer --obj=%s/%s --inlining --no-demangle",
                       tmpdir, binary);
    for (size_t i = 0; i < count && len < (int)sizeof cmd - 32; i++)
        len += snprintf(cmd + len, sizeof cmd - (size_t)len, " 0x%llx",
                        (unsigned long long)addresses[i]);
    FILE *p = popen(cmd, "r");
    if (!p) return 0;
    char line[1024];
    size_t n = 0;
    bool want_name = true;
    memset(out, 0, count * sizeof *out);
    while (n < count && fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = 0;
        expected *e = &out[n];
        if (!*line) { /* blank line ends an address */
            e->address = addresses[n];
            n++;
            want_name = true;
            continue;
        }
        if (e->count >= MAX_FRAMES) continue;
        if (want_name) {
            snprintf(e->frames[e->count].name, sizeof e->frames[0].name, "%.255s", line);
        } else {
            snprintf(e->frames[e->count].location, sizeof e->frames[0].location, "%.511s", line);
            e->count++;
        }
        want_name = !want_name;
    }
    pclose(p);
    return n;
}

/* The outermost name llvm-symbolizer prints comes from the ELF symbol table (it overrides
 * DWARF there). They differ for compiler clones ("helper.isra.0") and for C++ functions with
 * internal linkage, which GCC gives no DW_AT_linkage_name ("helper" vs "_ZL6helperi"). */
static bool same_outer_name(const char *model, const char *llvm)
{
    if (strcmp(model, llvm) == 0) return true;
    size_t n = strlen(model);
    if (n && strncmp(model, llvm, n) == 0 && llvm[n] == '.') return true;
    char encoded[300];
    snprintf(encoded, sizeof encoded, "L%zu%s", n, model);
    return n && strncmp(llvm, "_Z", 2) == 0 && strstr(llvm, encoded) != NULL;
}

static int compare_with_llvm(const char *binary, const uv_debuginfo *di, bool check_names)
{
    uint64_t addresses[160];
    static expected want[160];
    size_t count = pick_addresses(binary, addresses, 160);
    CHECK(count >= 4);
    size_t got = symbolize(binary, addresses, count, want);
    CHECK_INT(got, count);
    int bad = 0;
    for (size_t i = 0; i < got; i++) {
        frame frames[MAX_FRAMES];
        size_t n = model_frames(di, want[i].address, frames);
        bool ok = n == want[i].count;
        for (size_t k = 0; ok && k < n; k++) {
            ok = strcmp(frames[k].location, want[i].frames[k].location) == 0;
            if (ok && check_names)
                ok = k + 1 < n ? strcmp(frames[k].name, want[i].frames[k].name) == 0
                               : same_outer_name(frames[k].name, want[i].frames[k].name);
        }
        if (!ok) {
            bad++;
            fprintf(stderr, "%s 0x%llx: model has %zu frames, llvm-symbolizer %zu\n", binary,
                    (unsigned long long)want[i].address, n, want[i].count);
            for (size_t k = 0; k < n || k < want[i].count; k++)
                fprintf(stderr, "   model %s %s | llvm %s %s\n", k < n ? frames[k].name : "-",
                        k < n ? frames[k].location : "-",
                        k < want[i].count ? want[i].frames[k].name : "-",
                        k < want[i].count ? want[i].frames[k].location : "-");
        }
    }
    CHECK_INT(bad, 0);
    return (int)got;
}

static int read_binary(const char *name, uint8_t **bytes, uv_elf **elf, uv_debuginfo **di,
                       uv_dwarf_summary *summary)
{
    size_t len = 0;
    *bytes = read_all(name, &len);
    *elf = NULL;
    *di = NULL;
    if (!*bytes) return UV_EIO;
    int rc = uv_elf_open(elf, *bytes, len);
    if (rc) return rc;
    return uv_dwarf_read(di, *elf, NULL, summary);
}

static void release(uint8_t *bytes, uv_elf *elf, uv_debuginfo *di)
{
    uv_debuginfo_free(di);
    uv_elf_free(elf);
    free(bytes);
}

static bool find_name(const uv_debuginfo *di, const char *name)
{
    for (size_t i = 0; i < di->func_count; i++)
        if (uv_str_eq_c(di->names[di->funcs[i].name], name)) return true;
    return false;
}

static void check_model_shape(const uv_debuginfo *di)
{
    for (size_t i = 1; i < di->row_count; i++) {
        bool ordered = di->rows[i - 1].address < di->rows[i].address ||
                       (di->rows[i - 1].address == di->rows[i].address &&
                        !(di->rows[i].file == UV_DI_NONE && di->rows[i - 1].file != UV_DI_NONE));
        if (!ordered) {
            CHECK(ordered);
            break;
        }
    }
    for (size_t i = 0; i < di->row_count; i++)
        if (di->rows[i].file != UV_DI_NONE && di->rows[i].file >= di->file_count) {
            CHECK(di->rows[i].file < di->file_count);
            break;
        }
    for (size_t i = 0; i < di->func_count; i++) {
        const uv_di_func *f = &di->funcs[i];
        CHECK(f->name < di->name_count);
        CHECK(f->parent == UV_DI_NONE
                  ? f->depth == 0
                  : f->parent < i && f->depth == di->funcs[f->parent].depth + 1);
        CHECK(f->call_file == UV_DI_NONE || f->call_file < di->file_count);
    }
    for (size_t i = 0; i < di->range_count; i++)
        CHECK(di->ranges[i].low < di->ranges[i].high && di->ranges[i].func < di->func_count);
}

TEST(compiled_programs)
{
    write_file("util.h", util_h);
    write_file("a.c", a_c);
    write_file("b.c", b_c);
    write_file("c.cc", c_cc);
    static const char *const opts[] = {"-O0", "-O2"};
    for (int version = 4; version <= 5; version++) {
        for (size_t o = 0; o < 2; o++) {
            char flags[64], c_bin[32], cc_bin[32];
            snprintf(flags, sizeof flags, "%s -gdwarf-%d", opts[o], version);
            snprintf(c_bin, sizeof c_bin, "c%d%s", version, opts[o]);
            snprintf(cc_bin, sizeof cc_bin, "cc%d%s", version, opts[o]);
            if (!run("gcc %s -o %s a.c b.c", flags, c_bin)) continue;
            if (!run("g++ %s -o %s c.cc", flags, cc_bin)) continue;
            const char *bins[] = {c_bin, cc_bin};
            for (size_t b = 0; b < 2; b++) {
                uint8_t *bytes;
                uv_elf *elf;
                uv_debuginfo *di;
                uv_dwarf_summary summary;
                int rc = read_binary(bins[b], &bytes, &elf, &di, &summary);
                CHECK_INT(rc, 0);
                if (rc) {
                    fprintf(stderr, "%s: %s\n", bins[b], uv_error_last()->message);
                    release(bytes, elf, di);
                    continue;
                }
                CHECK(summary.has_debug_info && summary.has_lines);
                CHECK_INT(summary.version_min, version);
                CHECK_INT(summary.version_max, version);
                CHECK_INT(summary.cu_count, b == 0 ? 2 : 1);
                CHECK_INT(di->units_skipped, 0);
                if (o == 1) CHECK(summary.has_inlines);
                check_model_shape(di);
                int compared = compare_with_llvm(bins[b], di, true);
                if (b == 0) {
                    CHECK(find_name(di, "main") && find_name(di, "twice"));
                    if (o == 0) CHECK(find_name(di, "helper") && find_name(di, "square_plus"));
                } else {
                    CHECK(find_name(di, "_ZN2ns7Counter4bumpEi"));
                    CHECK(find_name(di, "_ZNK2ns3BoxIiE3getEv"));
                    CHECK(find_name(di, "_ZNK2ns3BoxIlE3getEv"));
                }
                printf("     %s: %d addresses match llvm-symbolizer (%zu rows, %zu functions)\n",
                       bins[b], compared, di->row_count, di->func_count);
                release(bytes, elf, di);
            }
        }
    }
}

/* Line-table corner cases written by hand with .loc: a row at the very end of a sequence covers
 * no byte and must not appear (it would cover the gap up to the next sequence), and a row with
 * epilogue_begin is an ordinary row (libdwarf 20210528 reports it as an end of sequence). */
static const char rows_s[] = "\t.file 1 \"rows.c\"\n"
                             "\t.text\n"
                             "\t.globl f\n"
                             "\t.type f, @function\n"
                             "f:\n"
                             "\t.loc 1 10 0\n"
                             "\tnop\n"
                             "\tnop\n"
                             "\t.loc 1 11 0 epilogue_begin\n"
                             "\tnop\n"
                             "\tret\n"
                             "\t.loc 1 12 0\n"
                             "\t.size f, .-f\n"
                             "\t.section .note.GNU-stack,\"\",@progbits\n";
static const char rows_main_c[] = "void f(void);\nint main(void) { f(); return 0; }\n";

TEST(line_table_corner_cases)
{
    write_file("rows.s", rows_s);
    write_file("rows_main.c", rows_main_c);
    if (!run("gcc -c -g -o rows.o rows.s && gcc -g -o %s rows_main.c rows.o%s", "rows", "")) return;
    uint8_t *bytes;
    uv_elf *elf;
    uv_debuginfo *di;
    int rc = read_binary("rows", &bytes, &elf, &di, NULL);
    CHECK_INT(rc, 0);
    if (rc) {
        fprintf(stderr, "rows: %s\n", uv_error_last()->message);
        release(bytes, elf, di);
        return;
    }
    bool line10 = false, line11 = false, line12 = false;
    uint64_t at10 = 0, at11 = 0;
    for (size_t i = 0; i < di->row_count; i++) {
        const uv_di_row *r = &di->rows[i];
        if (r->file == UV_DI_NONE) continue;
        uv_str path = di->files[r->file];
        if (path.len < 6 || memcmp(path.ptr + path.len - 6, "rows.c", 6) != 0) continue;
        if (r->line == 10) line10 = true, at10 = r->address;
        if (r->line == 11) line11 = true, at11 = r->address;
        if (r->line == 12) line12 = true;
    }
    CHECK(line10);
    CHECK(line11);  /* epilogue_begin: kept as a row */
    CHECK(!line12); /* zero-length: dropped */
    CHECK_INT(at11 - at10, 2);
    /* the sequence goes on after the epilogue_begin row: no end marker at its address, one at
     * the end of f (4 bytes) */
    bool end_at11 = false, end_at_f_end = false;
    for (size_t i = 0; i < di->row_count; i++) {
        if (di->rows[i].file != UV_DI_NONE) continue;
        if (di->rows[i].address == at11) end_at11 = true;
        if (di->rows[i].address == at10 + 4) end_at_f_end = true;
    }
    CHECK(!end_at11);
    CHECK(end_at_f_end);
    release(bytes, elf, di);
}

TEST(no_dwarf)
{
    if (!run("gcc -O1 -o %s a.c b.c && strip --strip-debug %s", "nodebug", "nodebug")) return;
    uint8_t *bytes;
    uv_elf *elf;
    uv_debuginfo *di;
    uv_dwarf_summary summary = {.cu_count = 99};
    int rc = read_binary("nodebug", &bytes, &elf, &di, &summary);
    CHECK_INT(rc, UV_ENOTFOUND);
    CHECK(di == NULL);
    CHECK_CONTAINS(uv_error_last()->message, "no DWARF debug info");
    CHECK_INT(summary.cu_count, 0);
    release(bytes, elf, di);
}

/* Flips bytes all over a section (uncompressed: a view into our buffer) and reads again:
 * always 0 or an error code, never a crash (ASan build) or a hang. */
static void corrupt_section(const char *binary, const char *section_name)
{
    size_t len = 0;
    uint8_t *bytes = read_all(binary, &len);
    CHECK(bytes != NULL);
    if (!bytes) return;
    uint8_t *copy = malloc(len);
    uv_elf *elf = NULL;
    const uint8_t *data = NULL;
    size_t size = 0;
    CHECK_INT(uv_elf_open(&elf, bytes, len), 0);
    if (elf && uv_elf_section(elf, section_name, &data, &size) == 0 && data >= bytes &&
        data + size <= bytes + len && copy) {
        size_t offset = (size_t)(data - bytes);
        int ok = 0, failed = 0, skipped_units = 0;
        for (size_t step = 0; step < 64; step++) {
            memcpy(copy, bytes, len);
            size_t at = offset + (step * 7919 + 11) % size;
            copy[at] ^= (uint8_t)(0x5a + step);
            if (step % 4 == 3) /* sometimes a run of bytes */
                for (size_t k = at; k < offset + size && k < at + 16; k++)
                    copy[k] = 0xff;
            uv_elf *e2 = NULL;
            uv_debuginfo *di = NULL;
            if (uv_elf_open(&e2, copy, len) != 0) continue;
            int rc = uv_dwarf_read(&di, e2, NULL, NULL);
            CHECK(rc == 0 || rc == UV_ECORRUPT || rc == UV_ENOTFOUND || rc == UV_EUNSUPPORTED);
            if (rc == 0) {
                ok++;
                skipped_units += (int)di->units_skipped;
                check_model_shape(di);
            } else {
                failed++;
                CHECK(uv_error_last()->message[0] != 0);
            }
            uv_debuginfo_free(di);
            uv_elf_free(e2);
        }
        printf("     %s %s corrupted 64 times: %d read (%d units skipped), %d rejected\n", binary,
               section_name, ok, skipped_units, failed);
    }
    uv_elf_free(elf);
    free(copy);
    free(bytes);
}

TEST(corrupt)
{
    if (!run("gcc -O2 -gdwarf-%s -o corrupt5 a.c b.c && g++ -O2 -gdwarf-%s -o corruptcc c.cc", "5",
             "4"))
        return;
    corrupt_section("corrupt5", ".debug_info");
    corrupt_section("corrupt5", ".debug_line");
    corrupt_section("corruptcc", ".debug_info");
    corrupt_section("corruptcc", ".debug_abbrev");
}

TEST(dwz)
{
    if (!have("dwz")) {
        printf("     dwz not installed: dwz case skipped\n");
        return;
    }
    if (!run("g++ -O2 -gdwarf-%s -o dwz1 c.cc && cp dwz1 dwz2 && dwz -m common.dwz dwz1 dwz2"
             " && readelf -S dwz1 | grep -q %s",
             "5", "gnu_debugaltlink"))
        return;
    uint8_t *bytes, *alt_bytes;
    uv_elf *elf = NULL, *alt = NULL;
    uv_debuginfo *di = NULL;
    size_t alt_len = 0;
    alt_bytes = read_all("common.dwz", &alt_len);
    CHECK(alt_bytes != NULL);
    size_t len = 0;
    bytes = read_all("dwz1", &len);
    CHECK(bytes != NULL);
    if (!bytes || !alt_bytes) goto done;
    CHECK_INT(uv_elf_open(&elf, bytes, len), 0);
    CHECK_INT(uv_elf_open(&alt, alt_bytes, alt_len), 0);
    /* With the supplementary file: the method's linkage name lives there. */
    CHECK_INT(uv_dwarf_read(&di, elf, alt, NULL), 0);
    if (di) {
        CHECK(find_name(di, "_ZN2ns7Counter4bumpEi"));
        CHECK(find_name(di, "_ZNK2ns3BoxIiE3getEv"));
        check_model_shape(di);
        /* llvm-symbolizer 14 does not read dwz files' names: compare locations only */
        compare_with_llvm("dwz1", di, false);
        uv_debuginfo_free(di);
        di = NULL;
    }
    /* Without it: names from there are "", lines still all there. */
    CHECK_INT(uv_dwarf_read(&di, elf, NULL, NULL), 0);
    if (di) {
        CHECK(!find_name(di, "_ZN2ns7Counter4bumpEi"));
        CHECK(find_name(di, ""));
        compare_with_llvm("dwz1", di, false);
        uv_debuginfo_free(di);
    }
    uv_elf_free(elf);
done:
    uv_elf_free(alt);
    free(alt_bytes);
    free(bytes);
}

int main(void)
{
    if (!have("gcc") || !have("g++") || !have("nm") || !have("llvm-symbolizer")) {
        printf("skipped: needs gcc, g++, nm and llvm-symbolizer\n");
        return 0;
    }
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(compiled_programs);
    RUN(line_table_corner_cases);
    RUN(no_dwarf);
    RUN(corrupt);
    RUN(dwz);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    TEST_MAIN_END();
}
