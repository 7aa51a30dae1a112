/* symbolicate/crash: the whole pipeline on Breakpad's public fixtures (shared/data/minidump,
 * beside the repository; skipped with a note when absent): minidump2.dmp (Windows x86, .sym
 * with STACK WIN) must print exactly what Breakpad's `minidump_stackwalk -m` printed, except
 * the kernel32 frame, whose symbols we do not have; linux_inline.dmp (Linux x86-64) must
 * expand the inlined frames its .sym describes; the .sym is also found in a store by debug
 * ID. A Linux core file made at test time (a gcc-built program that crashes with core dumps
 * enabled; skipped when the machine writes none) is walked with its .eh_frame and resolved
 * from the files on this machine. Each renderer's shape is checked too, and damaged copies of
 * the fixtures must be rejected or rendered, never crash. */
#include "symbolicate/crash.h"

#include "formats/error.h"

#include "../store/store_test_util.h"
#include "test.h"

#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>

#define DATA UV_TEST_DATA "/../../../shared/data/minidump"

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = size >= 0 ? malloc((size_t)size + 1) : NULL;
    *len = buf ? fread(buf, 1, (size_t)size, f) : 0;
    if (buf) buf[*len] = '\0';
    fclose(f);
    return buf;
}

static bool have_data(void)
{
    struct stat st;
    if (stat(DATA "/minidump2.dmp", &st) == 0) return true;
    printf("note: %s not found; fixture tests skipped\n", DATA);
    return false;
}

/* Whether the directory tree holds at least one regular file. */
static bool is_nonempty_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return false;
    struct dirent *e;
    bool found = false;
    char path[1024];
    while (!found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        found = S_ISREG(st.st_mode) || (S_ISDIR(st.st_mode) && is_nonempty_tree(path));
    }
    closedir(d);
    return found;
}

static uv_crash_report *symbolicate(const char *dump_path, const char *const *paths,
                                    size_t path_count, char **bytes_out)
{
    size_t len;
    char *bytes = read_file(dump_path, &len);
    CHECK(bytes != NULL);
    *bytes_out = bytes;
    if (!bytes) return NULL;
    uv_crash_options options = {0};
    options.symbol_paths = paths;
    options.symbol_path_count = path_count;
    options.no_local_files = true;
    options.no_system_debug = true;
    uv_crash_report *report = NULL;
    int rc = uv_crash_symbolicate(&report, bytes, len, &options);
    CHECK_INT(rc, 0);
    if (rc) fprintf(stderr, "%s: %s\n", dump_path, uv_error_last()->message);
    return report;
}

static char *render(const uv_crash_report *report, uv_crash_format format)
{
    uv_buf out = UV_BUF_INIT;
    CHECK_INT(uv_crash_render(report, format, &out), 0);
    CHECK_INT(uv_buf_append(&out, "", 1), 0);
    return (char *)out.data;
}

TEST(minidump2_machine_readable)
{
    if (!have_data()) return;
    const char *paths[] = {DATA "/symbols"};
    char *bytes;
    uv_crash_report *report = symbolicate(DATA "/minidump2.dmp", paths, 1, &bytes);
    if (report) {
        char *got = render(report, UV_CRASH_BREAKPAD_M);
        size_t len;
        char *want = read_file(DATA "/minidump2.stackwalk.machine_readable.out", &len);
        CHECK(want != NULL);
        /* We have no kernel32 symbols: that frame is a module offset. */
        const char *bp = "0|3|kernel32.dll|BaseProcessStart|||0x23\n";
        char *at = want ? strstr(want, bp) : NULL;
        CHECK(at != NULL);
        if (at) {
            const char *ours = "0|3|kernel32.dll||||0x16fd7\n";
            memmove(at + strlen(ours), at + strlen(bp), strlen(at + strlen(bp)) + 1);
            memcpy(at, ours, strlen(ours));
        }
        if (want && got) {
            /* Line by line, so a failure names the line. */
            char *gs, *ws, *g = strtok_r(got, "\n", &gs), *w = strtok_r(want, "\n", &ws);
            size_t line = 1;
            for (; g || w; line++, g = strtok_r(NULL, "\n", &gs), w = strtok_r(NULL, "\n", &ws)) {
                if (!g || !w || strcmp(g, w) != 0) {
                    fprintf(stderr, "line %zu:\n  got  %s\n  want %s\n", line, g ? g : "(end)",
                            w ? w : "(end)");
                    CHECK(false);
                    break;
                }
            }
        }
        free(want);
        free(got);

        uv_crash_stats stats;
        uv_crash_get_stats(report, &stats);
        CHECK(stats.crashed);
        CHECK_INT(stats.modules, 13);
        CHECK_INT(stats.modules_with_symbols, 1);
        CHECK(stats.frames >= 4);
        CHECK(stats.frames_symbolicated >= 3);
        const uv_dump *dump = uv_crash_report_dump(report);
        CHECK(dump != NULL);
        uv_crash_module_info info;
        CHECK_INT(uv_crash_get_module(report, 0, &info), 0); /* test_app.exe */
        CHECK(info.looked_up && info.has_symbols && info.has_cfi && !info.corrupt);
        CHECK_CONTAINS(info.source, "/test_app.sym");
        CHECK_STR(info.note, "");
        for (size_t i = 0; dump && i < dump->module_count; i++) {
            uv_str path = dump->modules[i].path;
            if (!memmem(path.ptr, path.len, "kernel32", 8)) continue;
            CHECK_INT(uv_crash_get_module(report, i, &info), 0);
            CHECK(info.looked_up && !info.has_symbols && !info.has_cfi);
            CHECK_STR(info.source, "");
            CHECK_CONTAINS(info.note, "BCE8785C57B44245A669896B6A19B9542");
        }
        CHECK_INT(uv_crash_get_module(report, 13, &info), UV_ENOTFOUND);
    }
    uv_crash_report_free(report);
    free(bytes);
}

TEST(minidump2_text_and_json)
{
    if (!have_data()) return;
    const char *paths[] = {DATA "/symbols"};
    char *bytes;
    uv_crash_report *report = symbolicate(DATA "/minidump2.dmp", paths, 1, &bytes);
    if (report) {
        char *text = render(report, UV_CRASH_TEXT);
        CHECK_CONTAINS(text, "Operating system: Windows NT\n                  5.1.2600 Service "
                             "Pack 2\nCPU: x86\n");
        CHECK_CONTAINS(text, "Crash reason:  EXCEPTION_ACCESS_VIOLATION_WRITE\n"
                             "Crash address: 0x45\n");
        CHECK_CONTAINS(text, "Thread 0 (crashed)\n"
                             " 0  test_app.exe!`anonymous namespace'::CrashFunction "
                             "[test_app.cc : 58 + 0x3]\n"
                             "    eip = 0x0040429e   esp = 0x0012fe84   ebp = 0x0012fe88");
        CHECK_CONTAINS(text, " 1  test_app.exe!main [test_app.cc : 65 + 0x5]\n"
                             "    eip = 0x00404200   esp = 0x0012fe90   ebp = 0x0012ff70\n"
                             "    Found by: call frame info\n");
        CHECK_CONTAINS(text, " 3  kernel32.dll + 0x16fd7\n");
        CHECK_CONTAINS(text, "0x00400000 - 0x0042cfff  test_app.exe  ???  (main)\n");
        CHECK_CONTAINS(text, "0x7c800000 - 0x7c8f3fff  kernel32.dll  5.1.2600.2945  (WARNING: "
                             "No symbols, kernel32.pdb, BCE8785C57B44245A669896B6A19B9542)\n");
        free(text);

        char *text_json = render(report, UV_CRASH_JSON);
        json_error_t error;
        json_t *root = json_loads(text_json, 0, &error);
        CHECK(root != NULL);
        if (root) {
            CHECK_STR(json_string_value(json_object_get(root, "status")), "OK");
            json_t *sys = json_object_get(root, "system_info");
            CHECK_STR(json_string_value(json_object_get(sys, "os")), "Windows NT");
            CHECK_STR(json_string_value(json_object_get(sys, "cpu_arch")), "x86");
            CHECK_INT(json_integer_value(json_object_get(sys, "cpu_count")), 1);
            json_t *crash = json_object_get(root, "crash_info");
            CHECK_STR(json_string_value(json_object_get(crash, "type")),
                      "EXCEPTION_ACCESS_VIOLATION_WRITE");
            CHECK_STR(json_string_value(json_object_get(crash, "address")), "0x00000045");
            CHECK_INT(json_integer_value(json_object_get(crash, "crashing_thread")), 0);
            json_t *frames = json_object_get(json_object_get(root, "crashing_thread"), "frames");
            CHECK(json_array_size(frames) >= 4);
            json_t *f0 = json_array_get(frames, 0);
            CHECK_STR(json_string_value(json_object_get(f0, "module")), "test_app.exe");
            CHECK_STR(json_string_value(json_object_get(f0, "function")),
                      "`anonymous namespace'::CrashFunction");
            CHECK_STR(json_string_value(json_object_get(f0, "file")), "c:\\test_app.cc");
            CHECK_INT(json_integer_value(json_object_get(f0, "line")), 58);
            CHECK_STR(json_string_value(json_object_get(f0, "module_offset")), "0x0000429e");
            CHECK_STR(json_string_value(json_object_get(f0, "function_offset")), "0x0000000e");
            CHECK_STR(json_string_value(json_object_get(f0, "trust")), "context");
            CHECK(json_is_array(json_object_get(f0, "inlines")));
            json_t *f1 = json_array_get(frames, 1);
            CHECK_STR(json_string_value(json_object_get(f1, "trust")), "cfi");
            json_t *f3 = json_array_get(frames, 3);
            CHECK(json_is_null(json_object_get(f3, "function")));
            CHECK(json_is_true(json_object_get(f3, "missing_symbols")));
            json_t *modules = json_object_get(root, "modules");
            CHECK_INT(json_array_size(modules), 13);
            json_t *m0 = json_array_get(modules, 0);
            CHECK_STR(json_string_value(json_object_get(m0, "filename")), "test_app.exe");
            CHECK_STR(json_string_value(json_object_get(m0, "debug_file")), "test_app.pdb");
            CHECK_STR(json_string_value(json_object_get(m0, "debug_id")),
                      "5A9832E5287241C1838ED98914E9B7FF1");
            CHECK_STR(json_string_value(json_object_get(m0, "base_address")), "0x00400000");
            CHECK_STR(json_string_value(json_object_get(m0, "end_address")), "0x0042d000");
            CHECK(json_is_true(json_object_get(m0, "loaded_symbols")));
            CHECK(json_is_true(json_object_get(json_array_get(modules, 11), "missing_symbols")));
            CHECK(json_is_false(json_object_get(json_array_get(modules, 1), "missing_symbols")));
            json_decref(root);
        }
        free(text_json);
    }
    uv_crash_report_free(report);
    free(bytes);
}

TEST(symbols_from_a_sym_file)
{
    if (!have_data()) return;
    /* The .sym itself instead of the directory; and a directory that holds no symbols. */
    const char *paths[] = {DATA, DATA "/symbols/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/"
                                      "test_app.sym"};
    char *bytes;
    uv_crash_report *report = symbolicate(DATA "/minidump2.dmp", paths, 2, &bytes);
    if (report) {
        char *m = render(report, UV_CRASH_BREAKPAD_M);
        CHECK_CONTAINS(m, "\n0|0|test_app.exe|`anonymous namespace'::CrashFunction|c:\\test_app."
                          "cc|58|0x3\n");
        free(m);
    }
    uv_crash_report_free(report);
    free(bytes);

    /* No symbols at all: module offsets everywhere, nothing fails. */
    report = symbolicate(DATA "/minidump2.dmp", NULL, 0, &bytes);
    if (report) {
        char *m = render(report, UV_CRASH_BREAKPAD_M);
        CHECK_CONTAINS(m, "\n0|0|test_app.exe||||0x429e\n");
        free(m);
        uv_crash_stats stats;
        uv_crash_get_stats(report, &stats);
        CHECK_INT(stats.modules_with_symbols, 0);
        CHECK_INT(stats.frames_symbolicated, 0);
    }
    uv_crash_report_free(report);
    free(bytes);
}

TEST(linux_inline)
{
    if (!have_data()) return;
    const char *paths[] = {DATA "/symbols"};
    char *bytes;
    uv_crash_report *report = symbolicate(DATA "/linux_inline.dmp", paths, 1, &bytes);
    if (report) {
        char *m = render(report, UV_CRASH_BREAKPAD_M);
        char *text = render(report, UV_CRASH_TEXT);
        char *json = render(report, UV_CRASH_JSON);
        if (getenv("UV_TEST_VERBOSE")) printf("%s\n%s\n%s\n", m, text, json);
        CHECK_CONTAINS(m, "OS|Linux|");
        CHECK_CONTAINS(m, "CPU|amd64|");
        /* The inlined frames, innermost first, then the function they were inlined into. */
        CHECK_CONTAINS(m, "|linux_inline|func()|linux_inline.cpp|27|");
        CHECK_CONTAINS(m, "|linux_inline|bar()|c.cpp|32|");
        CHECK_CONTAINS(m, "|linux_inline|foo()|b.cpp|39|");
        CHECK_CONTAINS(m, "|linux_inline|main|a.cpp|42|");
        CHECK_CONTAINS(text, "Found by: inlined");
        CHECK_CONTAINS(json, "\"inlines\": [\n");
        free(m);
        free(text);
        free(json);
    }
    uv_crash_report_free(report);
    free(bytes);
}

TEST(symbols_from_the_store)
{
    if (!have_data()) return;
    char dir[256];
    temp_dir(dir, sizeof dir);
    uv_store *store = NULL;
    CHECK_INT(uv_store_open(&store, dir, UV_STORE_CREATE), 0);
    size_t sym_len;
    char *sym = read_file(DATA "/symbols/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/"
                               "test_app.sym",
                          &sym_len);
    CHECK(sym != NULL);
    int64_t project = 0;
    char blob[UV_HASH_HEX];
    if (store && sym) {
        CHECK_INT(uv_store_project_ensure(store, "app", &project), 0);
        CHECK_INT(uv_store_blob_put(store, sym, sym_len, blob), 0);
        CHECK_INT(uv_store_artifact_put(store, project, "1.0", "breakpad",
                                        "test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/"
                                        "test_app.sym",
                                        blob, sym_len, "5A9832E5287241C1838ED98914E9B7FF1", NULL),
                  0);
    }
    size_t len;
    char *bytes = read_file(DATA "/minidump2.dmp", &len);
    /* Twice: the second run reads the symcache the first one left in the store's cache. */
    for (int run = 0; run < 2 && store && bytes; run++) {
        uv_crash_options options = {0};
        options.store = store;
        options.project_id = project;
        options.no_local_files = true;
        options.no_system_debug = true;
        uv_crash_report *report = NULL;
        CHECK_INT(uv_crash_symbolicate(&report, bytes, len, &options), 0);
        if (!report) continue;
        char *m = render(report, UV_CRASH_BREAKPAD_M);
        CHECK_CONTAINS(m, "\n0|1|test_app.exe|main|c:\\test_app.cc|65|0x5\n");
        free(m);
        char *json = render(report, UV_CRASH_JSON);
        CHECK_CONTAINS(json, "\"symbol_url\": \"store:breakpad/");
        free(json);
        uv_crash_report_free(report);
        char cache[512];
        snprintf(cache, sizeof cache, "%s/cache", dir);
        CHECK(is_nonempty_tree(cache));
    }
    free(bytes);
    free(sym);
    uv_store_close(store);
    remove_tree(dir);
}

/* A core file of a small program crashing in an inlined function, or false when this
 * machine does not write core files where we can find them. */
static bool make_core(const char *dir, char *core, size_t cap)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd %s && printf '%%s\\n' '#include <stdio.h>' 'volatile int *target;' "
             "'static inline int leaf(int x) { *target = x; return x + 1; }' "
             "'__attribute__((noinline)) int middle(int x) { int r = leaf(x * 2); "
             "printf(\"%%%%d\\\\n\", r); return r; }' "
             "'__attribute__((noinline)) int outer(int x) { return middle(x + 1) + 1; }' "
             "'int main(int argc, char **argv) { (void)argv; return outer(argc) == 42; }' "
             "> app.c && gcc -g -O2 -fomit-frame-pointer app.c -o app && "
             "(ulimit -c unlimited; ./app >/dev/null 2>&1; true)",
             dir);
    if (system(cmd) != 0) return false;
    DIR *d = opendir(dir);
    if (!d) return false;
    struct dirent *e;
    bool found = false;
    while (!found && (e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "core", 4) == 0) {
            snprintf(core, cap, "%s/%s", dir, e->d_name);
            found = true;
        }
    closedir(d);
    return found;
}

TEST(linux_core_file)
{
    char dir[256], core[512];
    temp_dir(dir, sizeof dir);
    if (!make_core(dir, core, sizeof core)) {
        printf("note: no core file was written (core_pattern / ulimit); core test skipped\n");
        remove_tree(dir);
        return;
    }
    size_t len;
    char *bytes = read_file(core, &len);
    CHECK(bytes != NULL);
    uv_crash_options options = {0};
    options.no_system_debug = true;
    uv_crash_report *report = NULL;
    if (bytes) CHECK_INT(uv_crash_symbolicate(&report, bytes, len, &options), 0);
    if (report) {
        char *m = render(report, UV_CRASH_BREAKPAD_M);
        if (getenv("UV_TEST_VERBOSE")) printf("%s\n", m);
        CHECK_CONTAINS(m, "OS|Linux|");
        CHECK_CONTAINS(m, "Crash|SIGSEGV /SEGV_MAPERR|0x0|");
        /* leaf() was inlined into middle(), which .eh_frame unwinds to outer() and main(). */
        CHECK_CONTAINS(m, "|0|app|leaf|");
        CHECK_CONTAINS(m, "/app.c|3|0x"); /* app.c's line 3 */
        CHECK_CONTAINS(m, "|1|app|middle|");
        CHECK_CONTAINS(m, "|2|app|outer|");
        CHECK_CONTAINS(m, "|3|app|main|");
        free(m);
        char *text = render(report, UV_CRASH_TEXT);
        CHECK_CONTAINS(text, " 2  app!outer [app.c : 5 + 0x");
        CHECK_CONTAINS(text, "Found by: call frame info");
        free(text);
        uv_crash_stats stats;
        uv_crash_get_stats(report, &stats);
        CHECK(stats.crashed);
        CHECK(stats.modules_with_symbols >= 1);
    }
    uv_crash_report_free(report);

    /* Without the files on this machine there are no symbols, and no CFI. */
    options.no_local_files = true;
    options.crashed_only = true;
    report = NULL;
    if (bytes) CHECK_INT(uv_crash_symbolicate(&report, bytes, len, &options), 0);
    if (report) {
        char *m = render(report, UV_CRASH_BREAKPAD_M);
        CHECK(strstr(m, "|middle|") == NULL);
        free(m);
        /* Only the crashing thread (there is only one here anyway). */
        uv_crash_stats stats;
        uv_crash_get_stats(report, &stats);
        CHECK_INT(stats.threads, 1);
        CHECK_INT(stats.frames_symbolicated, 0);
    }
    uv_crash_report_free(report);
    free(bytes);
    remove_tree(dir);
}

TEST(mutated_dumps)
{
    if (!have_data()) return;
    /* Damaged copies of both fixtures: each is either rejected or symbolicated and rendered
     * in every format (ASan and UBSan watch the walker, the resolver and the renderers). */
    static const char *const dumps[] = {DATA "/minidump2.dmp", DATA "/linux_inline.dmp"};
    const char *paths[] = {DATA "/symbols"};
    srand(7);
    for (size_t d = 0; d < 2; d++) {
        size_t len;
        unsigned char *orig = (unsigned char *)read_file(dumps[d], &len);
        CHECK(orig != NULL);
        unsigned char *copy = orig ? malloc(len) : NULL;
        for (int round = 0; copy && round < 150; round++) {
            memcpy(copy, orig, len);
            for (int k = 1 + rand() % 8; k > 0; k--)
                copy[(size_t)rand() % len] = (unsigned char)rand();
            size_t cut = round % 10 == 5 ? (size_t)rand() % len : len;
            uv_crash_options options = {0};
            options.symbol_paths = paths;
            options.symbol_path_count = round % 10 == 0;
            options.no_local_files = true;
            options.no_system_debug = true;
            uv_crash_report *report = NULL;
            if (uv_crash_symbolicate(&report, copy, cut, &options) != 0) {
                CHECK(report == NULL);
                continue;
            }
            for (int format = UV_CRASH_TEXT; format <= UV_CRASH_BREAKPAD_M; format++) {
                uv_buf out = UV_BUF_INIT;
                CHECK_INT(uv_crash_render(report, (uv_crash_format)format, &out), 0);
                uv_buf_free(&out);
            }
            uv_crash_report_free(report);
        }
        free(copy);
        free(orig);
    }
}

TEST(not_a_dump)
{
    uv_crash_report *report = (uv_crash_report *)1;
    CHECK_INT(uv_crash_symbolicate(&report, "hello", 5, NULL), UV_EINVALID);
    CHECK(report == NULL);
    CHECK_CONTAINS(uv_error_last()->message, "not a crash dump");
    /* A truncated minidump is corrupt, not a crash. */
    char header[12] = "MDMP\x93\xa7";
    CHECK(uv_crash_symbolicate(&report, header, sizeof header, NULL) < 0);
    CHECK(report == NULL);
    uv_crash_report_free(NULL);
}

int main(void)
{
    RUN(minidump2_machine_readable);
    RUN(minidump2_text_and_json);
    RUN(symbols_from_a_sym_file);
    RUN(linux_inline);
    RUN(symbols_from_the_store);
    RUN(linux_core_file);
    RUN(mutated_dumps);
    RUN(not_a_dump);
    TEST_MAIN_END();
}
