/* formats/minidump: Breakpad's public test dumps (minidump2.dmp, a Windows x86 crash, checked
 * against minidump_stackwalk's output shipped beside it; linux_inline.dmp, a Crashpad
 * x86-64 Linux dump), dumps built here for what those lack (ARM64 contexts in both layouts,
 * Memory64List, ThreadNames, Linux and Windows crash reasons), and hostile inputs that must
 * give an error naming the stream, never a crash. Every input is parsed from an exact-size
 * heap copy so ASan sees any read past it.
 *
 * The shared fixtures live beside the repository (/work/shared/data, or $UV_SHARED_DATA);
 * when they are absent those tests print a note and pass. */
#include "formats/minidump.h"

#include "formats/elf.h"
#include "formats/error.h"

#include "test.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* ---- helpers ------------------------------------------------------------------------- */

typedef struct {
    uint8_t *bytes;
    size_t len;
} blob;

static const char *shared_dir(void)
{
    const char *env = getenv("UV_SHARED_DATA");
    return env && *env ? env : UV_TEST_DATA "/../../../shared/data";
}

static blob read_fixture(const char *name)
{
    blob b = {NULL, 0};
    char path[512];
    snprintf(path, sizeof path, "%s/minidump/%s", shared_dir(), name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("note: %s not found; skipping\n", path);
        return b;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (size > 0) {
        b.bytes = malloc((size_t)size);
        if (b.bytes && fread(b.bytes, 1, (size_t)size, f) == (size_t)size) b.len = (size_t)size;
    }
    fclose(f);
    return b;
}

/* Parses an exact-size copy of bytes; *keep receives the copy (free after the dump). */
static int parse_copy(uv_dump **out, const uint8_t *bytes, size_t len, uint8_t **keep)
{
    *keep = malloc(len ? len : 1);
    if (len) memcpy(*keep, bytes, len);
    return uv_minidump_parse(out, *keep, len);
}

static char *view(uv_str s)
{
    static char buf[4][512];
    static int next;
    char *b = buf[next++ & 3];
    snprintf(b, sizeof buf[0], "%.*s", (int)s.len, s.ptr ? s.ptr : "");
    return b;
}

/* ---- a minidump builder -------------------------------------------------------------- */

typedef struct {
    uint8_t data[1 << 17];
    size_t len;
    uint32_t dir[24][3];
    int streams;
    size_t stream_start;
    uint32_t stream_type;
} builder;

static size_t put(builder *b, const void *p, size_t n)
{
    size_t at = b->len;
    if (b->len + n > sizeof b->data) abort();
    if (p)
        memcpy(b->data + b->len, p, n);
    else
        memset(b->data + b->len, 0, n);
    b->len += n;
    return at;
}

static size_t put16(builder *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    return put(b, x, 2);
}

static size_t put32(builder *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    return put(b, x, 4);
}

static size_t put64(builder *b, uint64_t v)
{
    size_t at = put32(b, (uint32_t)v);
    put32(b, (uint32_t)(v >> 32));
    return at;
}

static void set32(builder *b, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b->data[at + (size_t)i] = (uint8_t)(v >> (8 * i));
}

static void set64(builder *b, size_t at, uint64_t v)
{
    set32(b, at, (uint32_t)v);
    set32(b, at + 4, (uint32_t)(v >> 32));
}

/* A MINIDUMP_STRING from ASCII; returns its offset. */
static uint32_t put_string(builder *b, const char *s)
{
    size_t at = put32(b, (uint32_t)(2 * strlen(s)));
    for (; *s; s++)
        put16(b, (uint8_t)*s);
    put16(b, 0);
    return (uint32_t)at;
}

static void begin(builder *b)
{
    memset(b, 0, sizeof *b);
    put(b, "MDMP", 4);
    put32(b, 0xa793);
    put(b, NULL, 24); /* count, directory, checksum, time, flags: patched in finish */
}

static void begin_stream(builder *b, uint32_t type)
{
    b->stream_start = b->len;
    b->stream_type = type;
}

static void end_stream(builder *b)
{
    b->dir[b->streams][0] = b->stream_type;
    b->dir[b->streams][1] = (uint32_t)(b->len - b->stream_start);
    b->dir[b->streams][2] = (uint32_t)b->stream_start;
    b->streams++;
}

static void finish(builder *b)
{
    size_t at = b->len;
    for (int i = 0; i < b->streams; i++) {
        put32(b, b->dir[i][0]);
        put32(b, b->dir[i][1]);
        put32(b, b->dir[i][2]);
    }
    set32(b, 8, (uint32_t)b->streams);
    set32(b, 12, (uint32_t)at);
}

/* SystemInfo with an optional CSD string (placed after the stream). */
static void system_info(builder *b, uint16_t arch, uint32_t platform, const char *csd)
{
    begin_stream(b, 7);
    put16(b, arch);
    put16(b, 6);      /* level */
    put16(b, 0x0d08); /* model 13 stepping 8 */
    uint8_t cpus[2] = {4, 1};
    put(b, cpus, 2);
    put32(b, 5);
    put32(b, 4);
    put32(b, 3);
    put32(b, platform);
    size_t csd_at = put32(b, 0);
    put32(b, 0); /* suites, reserved */
    put(b, arch == 0 ? "GenuineIntel" : NULL, 12);
    put(b, NULL, 12);
    end_stream(b);
    if (csd) set32(b, csd_at, put_string(b, csd));
}

static void exception(builder *b, uint32_t tid, uint32_t code, uint32_t flags, uint64_t address,
                      uint32_t nparams, const uint64_t *params)
{
    begin_stream(b, 6);
    put32(b, tid);
    put32(b, 0);
    put32(b, code);
    put32(b, flags);
    put64(b, 0);
    put64(b, address);
    put32(b, nparams);
    put32(b, 0);
    for (uint32_t i = 0; i < 15; i++)
        put64(b, i < nparams ? params[i] : 0);
    put32(b, 0); /* no context */
    put32(b, 0);
    end_stream(b);
}

/* ---- minidump2.dmp (Windows XP, x86) ------------------------------------------------- */

TEST(windows_x86)
{
    blob file = read_fixture("minidump2.dmp");
    blob expected = read_fixture("minidump2.stackwalk.machine_readable.out");
    if (!file.bytes || !expected.bytes) goto out;
    CHECK(uv_minidump_is(file.bytes, file.len));

    uv_dump *dump = NULL;
    uint8_t *keep;
    int rc = parse_copy(&dump, file.bytes, file.len, &keep);
    CHECK_INT(rc, 0);
    if (rc) {
        fprintf(stderr, "  %s\n", uv_error_last()->message);
        free(keep);
        goto out;
    }
    CHECK_INT(dump->kind, UV_DUMP_MINIDUMP);
    CHECK_VIEW(dump->os, "Windows NT");
    CHECK_VIEW(dump->os_version, "5.1.2600 Service Pack 2");
    CHECK_VIEW(dump->cpu_info, "GenuineIntel family 6 model 13 stepping 8");
    CHECK_INT(dump->cpu_count, 1);
    CHECK_INT(dump->arch, UV_ARCH_X86);
    CHECK_STR(uv_arch_name(dump->arch), "x86");
    CHECK_INT(dump->pid, 3932);
    CHECK(dump->crashed);
    CHECK_VIEW(dump->crash_reason, "EXCEPTION_ACCESS_VIOLATION_WRITE");
    CHECK_INT(dump->crash_address, 0x45);
    CHECK_INT(dump->crash_code, 0xc0000005);
    CHECK_INT(dump->crash_signal, 0);
    CHECK_INT(dump->crash_tid, 3060);

    /* Thread 4544 wrote the dump (BreakpadInfo): minidump_stackwalk leaves it out. */
    CHECK_INT(dump->thread_count, 1);
    CHECK_INT(dump->crash_thread, 0);
    if (dump->thread_count == 1) {
        const uv_dump_thread *t = &dump->threads[0];
        CHECK_INT(t->tid, 3060);
        CHECK_INT(t->regs.arch, UV_ARCH_X86);
        /* The exception's context (minidump2.stackwalk.out, frame 0). */
        static const struct {
            const char *name;
            uint64_t value;
        } regs[] = {{"eip", 0x0040429e},   {"esp", 0x0012fe84}, {"ebp", 0x0012fe88},
                    {"ebx", 0x7c80abc1},   {"esi", 0x00000002}, {"edi", 0x00000a28},
                    {"eax", 0x00000045},   {"ecx", 0x0012fe94}, {"edx", 0x0042bc58},
                    {"eflags", 0x00010246}};
        for (size_t i = 0; i < sizeof regs / sizeof *regs; i++) {
            int reg = uv_arch_reg_by_name(UV_ARCH_X86, regs[i].name, strlen(regs[i].name));
            CHECK(uv_regs_has(&t->regs, reg));
            if (t->regs.r[reg] != regs[i].value)
                fprintf(stderr, "  %s = 0x%" PRIx64 "\n", regs[i].name, t->regs.r[reg]);
            CHECK(t->regs.r[reg] == regs[i].value);
        }
        /* The stack is in the dump: esp lies in [stack_base, stack_base + size). */
        CHECK(t->stack_base == 0x12f31c);
        CHECK_INT(t->stack_size, 3300);
        uint32_t word;
        CHECK(uv_memory_read_u32(&dump->memory, 0x0012fe84, &word));
        /* Frame 1's eip is the return address above the saved ebp. */
        CHECK(uv_memory_read_u32(&dump->memory, 0x0012fe88 + 4, &word));
        CHECK_INT(word, 0x00404200);
        CHECK(!uv_memory_read_u32(&dump->memory, 0x10, &word));
    }

    /* Modules: every "Module|name|version|debug file|debug id|base|end|main" line. */
    size_t expected_modules = 0;
    char *text = malloc(expected.len + 1);
    memcpy(text, expected.bytes, expected.len);
    text[expected.len] = '\0';
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "Module|", 7) != 0) continue;
        char name[64], version[32], debug_file[64], debug_id[40];
        unsigned long long base, end;
        int main_flag;
        char *f[8];
        int n = 0;
        for (char *p = line, *q; n < 8; p = q + 1) {
            f[n++] = p;
            q = strchr(p, '|');
            if (!q) break;
            *q = '\0';
        }
        if (n != 8) continue;
        snprintf(name, sizeof name, "%s", f[1]);
        snprintf(version, sizeof version, "%s", f[2]);
        snprintf(debug_file, sizeof debug_file, "%s", f[3]);
        snprintf(debug_id, sizeof debug_id, "%s", f[4]);
        base = strtoull(f[5], NULL, 16);
        end = strtoull(f[6], NULL, 16);
        main_flag = atoi(f[7]);
        /* minidump_stackwalk lists modules by address; the dump keeps its own order. */
        const uv_dump_module *m = uv_dump_module_at(dump, base);
        CHECK(m != NULL);
        if (m) {
            uv_str path = m->path;
            const char *slash = path.ptr + path.len;
            while (slash > path.ptr && slash[-1] != '\\' && slash[-1] != '/')
                slash--;
            CHECK_STR(view((uv_str){slash, (size_t)(path.ptr + path.len - slash)}), name);
            CHECK_VIEW(m->version, version);
            CHECK_VIEW(m->debug_file, debug_file);
            CHECK_STR(m->debug_id, debug_id);
            CHECK_INT(m->base, base);
            CHECK_INT(m->base + m->size - 1, end);
            CHECK_INT(m->main, main_flag);
            CHECK_STR(m->build_id, "");
        }
        expected_modules++;
    }
    free(text);
    CHECK_INT(expected_modules, 13);
    CHECK_INT(dump->module_count, 13);
    if (dump->module_count > 0) {
        const uv_dump_module *m = &dump->modules[0];
        CHECK_VIEW(m->path, "c:\\test_app.exe");
        CHECK_STR(m->code_id, "45D35F6C2d000"); /* TimeDateStamp %08X, SizeOfImage %x */
        CHECK(uv_dump_module_at(dump, 0x0040429e) == m);
    }
    uv_dump_free(dump);
    free(keep);
out:
    free(file.bytes);
    free(expected.bytes);
}

/* ---- linux_inline.dmp (Crashpad, Linux x86-64) ---------------------------------------- */

TEST(linux_amd64)
{
    blob file = read_fixture("linux_inline.dmp");
    if (!file.bytes) return;
    uv_dump *dump = NULL;
    uint8_t *keep;
    int rc = parse_copy(&dump, file.bytes, file.len, &keep);
    CHECK_INT(rc, 0);
    if (rc) {
        fprintf(stderr, "  %s\n", uv_error_last()->message);
        free(keep);
        free(file.bytes);
        return;
    }
    CHECK_INT(dump->arch, UV_ARCH_X86_64);
    CHECK_VIEW(dump->os, "Linux");
    CHECK_VIEW(dump->os_version, "5.10.28 -1rodete2-amd64 #1 SMP Debian 5.10.28-1rodete2 "
                                 "(2021-05-12) x86_64");
    /* Crashpad keeps no CPUID vendor for x86-64. */
    CHECK_VIEW(dump->cpu_info, "family 6 model 85 stepping 4");
    CHECK_INT(dump->cpu_count, 72);
    CHECK_INT(dump->pid, 2146002);
    CHECK(dump->crashed);
    CHECK_VIEW(dump->crash_reason, "SIGILL / ILL_ILLOPN");
    CHECK_INT(dump->crash_signal, 4);
    CHECK_INT(dump->crash_code, 2);
    CHECK_INT(dump->crash_address, 0x2161b6);
    CHECK_INT(dump->thread_count, 1);
    CHECK_INT(dump->crash_thread, 0);

    const uv_dump_module *main_module = dump->module_count ? &dump->modules[0] : NULL;
    CHECK(main_module != NULL);
    if (main_module) {
        CHECK(main_module->main);
        CHECK_VIEW(main_module->debug_file, "linux_inline");
        CHECK(main_module->path.len > 13 &&
              memcmp(main_module->path.ptr + main_module->path.len - 13, "/linux_inline", 13) == 0);
        CHECK_STR(main_module->debug_id, "BBA6FA10B8AAB33D00000000000000000");
        CHECK_STR(main_module->code_id, "10FAA6BBAAB83DB3");
        CHECK_STR(main_module->build_id, "10faa6bbaab83db3");
        CHECK_INT(main_module->base, 0x200000);
        CHECK_VIEW(main_module->version, "0.0.0.0");
        /* The crash at module-relative 0x161b6 (README). */
        CHECK(uv_dump_module_at(dump, dump->crash_address) == main_module);
    }
    for (size_t i = 0; i < dump->module_count; i++)
        CHECK(!dump->modules[i].main == (i != 0));

    printf("  crash: %.*s at 0x%" PRIx64 ", tid %u\n", (int)dump->crash_reason.len,
           dump->crash_reason.ptr, dump->crash_address, dump->crash_tid);
    for (size_t i = 0; i < dump->thread_count; i++) {
        const uv_dump_thread *t = &dump->threads[i];
        printf("  thread %u \"%s\" stack 0x%" PRIx64 "+%" PRIu64 " rip=0x%" PRIx64 " rsp=0x%" PRIx64
               " rbp=0x%" PRIx64 "\n",
               t->tid, view(t->name), t->stack_base, t->stack_size, t->regs.r[16], t->regs.r[7],
               t->regs.r[6]);
        CHECK(uv_regs_has(&t->regs, 16) && uv_regs_has(&t->regs, 7));
        CHECK(t->regs.r[16] == dump->crash_address);
        uint64_t top;
        CHECK(uv_memory_read_u64(&dump->memory, t->regs.r[7], &top));
    }
    for (size_t i = 0; i < dump->module_count; i++)
        printf("  module %s base 0x%" PRIx64 " size 0x%" PRIx64 " id %s code %s\n",
               view(dump->modules[i].debug_file), dump->modules[i].base, dump->modules[i].size,
               dump->modules[i].debug_id, dump->modules[i].code_id);
    uv_dump_free(dump);
    free(keep);
    free(file.bytes);
}

/* Every prefix of the real dumps: an error or a dump, never a crash or an over-read. */
TEST(truncated_fixtures)
{
    const char *names[] = {"minidump2.dmp", "linux_inline.dmp"};
    for (size_t k = 0; k < 2; k++) {
        blob file = read_fixture(names[k]);
        if (!file.bytes) continue;
        size_t errors = 0;
        for (size_t len = 0; len < file.len; len++) {
            uv_dump *dump = (uv_dump *)&errors; /* must come back NULL on failure */
            uint8_t *keep;
            int rc = parse_copy(&dump, file.bytes, len, &keep);
            if (rc) {
                CHECK(dump == NULL);
                CHECK(uv_error_last()->message[0] != '\0');
                if (len >= 4) CHECK(rc == UV_ECORRUPT);
                errors++;
            } else {
                uv_dump_free(dump);
            }
            free(keep);
        }
        CHECK(errors > 0);
        free(file.bytes);
    }
}

/* ---- built dumps ----------------------------------------------------------------------- */

/* ARM64 in both context layouts, thread names, Memory64List, a padded ModuleList, a BpEL
 * module, Linux /proc status, SIGSEGV. */
TEST(arm64_built)
{
    static builder b;
    begin(&b);
    system_info(&b, 12, 0x8201, "Linux 5.4.0 test");

    /* Thread contexts first, so the ThreadList can point at them. */
    size_t ctx_new = put(&b, NULL, 912);
    set32(&b, ctx_new, 0x00400003);
    for (int r = 0; r <= 32; r++)
        set64(&b, ctx_new + 8 + 8 * (size_t)r, 0x1000 + (uint64_t)r);
    set64(&b, ctx_new + 8 + 8 * 31, 0x7010);   /* sp */
    set64(&b, ctx_new + 8 + 8 * 32, 0x400123); /* pc */
    size_t ctx_old = put(&b, NULL, 796);
    set64(&b, ctx_old, 0x80000002);
    for (int r = 0; r <= 32; r++)
        set64(&b, ctx_old + 8 + 8 * (size_t)r, 0x2000 + (uint64_t)r);
    size_t stack = put(&b, NULL, 64);
    set64(&b, stack + 16, 0x1122334455667788);

    begin_stream(&b, 3);
    put32(&b, 2);
    uint32_t tids[2] = {10, 11};
    size_t ctxs[2] = {ctx_new, ctx_old};
    for (int i = 0; i < 2; i++) {
        put32(&b, tids[i]);
        put(&b, NULL, 12);
        put64(&b, 0);
        put64(&b, i == 0 ? 0x7000 : 0);
        put32(&b, i == 0 ? 64 : 0);
        put32(&b, i == 0 ? (uint32_t)stack : 0);
        put32(&b, i == 0 ? 912 : 796);
        put32(&b, (uint32_t)ctxs[i]);
    }
    end_stream(&b);

    uint32_t main_name = put_string(&b, "main"), worker_name = put_string(&b, "worker");
    begin_stream(&b, 24);
    put32(&b, 3);
    put32(&b, 11);
    put64(&b, worker_name);
    put32(&b, 10);
    put64(&b, main_name);
    put32(&b, 99); /* no such thread */
    put64(&b, main_name);
    end_stream(&b);

    uint8_t build_id[20];
    for (int i = 0; i < 20; i++)
        build_id[i] = (uint8_t)(0xa0 + i);
    size_t cv = put32(&b, 0x4270454c);
    put(&b, build_id, 20);
    uint32_t module_name = put_string(&b, "/usr/lib/libtest.so");
    begin_stream(&b, 4);
    put32(&b, 1);
    put32(&b, 0); /* padding some 64-bit writers add */
    put64(&b, 0x7f0000000000);
    put32(&b, 0x5000);
    put32(&b, 0);
    put32(&b, 0);
    put32(&b, module_name);
    put(&b, NULL, 52);
    put32(&b, 24);
    put32(&b, (uint32_t)cv);
    put(&b, NULL, 24);
    end_stream(&b);

    begin_stream(&b, 9);
    put64(&b, 2);
    size_t base_rva = put64(&b, 0);
    put64(&b, 0x9000);
    put64(&b, 16);
    put64(&b, 0xa000);
    put64(&b, 8);
    end_stream(&b);
    set64(&b, base_rva, b.len);
    put64(&b, 0x0102030405060708);
    put64(&b, 0x1112131415161718);
    put64(&b, 0xfeedfacecafebeef);

    begin_stream(&b, 0x47670004);
    const char *status = "Name:\ttest\nState:\tR\nPid:\t4242\nPPid:\t1\n";
    put(&b, status, strlen(status));
    end_stream(&b);

    exception(&b, 11, 11, 1, 0xdead, 0, NULL);
    finish(&b);

    uv_dump *dump;
    uint8_t *keep;
    int rc = parse_copy(&dump, b.data, b.len, &keep);
    CHECK_INT(rc, 0);
    if (rc) {
        fprintf(stderr, "  %s\n", uv_error_last()->message);
        free(keep);
        return;
    }
    CHECK_INT(dump->arch, UV_ARCH_ARM64);
    CHECK_VIEW(dump->os, "Linux");
    CHECK_VIEW(dump->os_version, "5.4.3 Linux 5.4.0 test");
    CHECK_VIEW(dump->cpu_info, "");
    CHECK_INT(dump->cpu_count, 4);
    CHECK_INT(dump->pid, 4242);
    CHECK_VIEW(dump->crash_reason, "SIGSEGV /SEGV_MAPERR");
    CHECK_INT(dump->crash_signal, 11);
    CHECK_INT(dump->crash_code, 1);
    CHECK_INT(dump->crash_address, 0xdead);
    CHECK_INT(dump->thread_count, 2);
    CHECK_INT(dump->crash_thread, 1);
    if (dump->thread_count == 2) {
        const uv_dump_thread *t0 = &dump->threads[0], *t1 = &dump->threads[1];
        CHECK_VIEW(t0->name, "main");
        CHECK_VIEW(t1->name, "worker");
        CHECK_INT(t0->regs.arch, UV_ARCH_ARM64);
        CHECK_INT(t1->regs.arch, UV_ARCH_ARM64);
        CHECK(t0->regs.valid == (((uint64_t)1 << 33) - 1));
        CHECK(t1->regs.valid == (((uint64_t)1 << 33) - 1));
        CHECK_INT(t0->regs.r[uv_arch_pc(UV_ARCH_ARM64)], 0x400123);
        CHECK_INT(t0->regs.r[uv_arch_sp(UV_ARCH_ARM64)], 0x7010);
        CHECK_INT(t0->regs.r[29], 0x1000 + 29);
        CHECK_INT(t1->regs.r[uv_arch_pc(UV_ARCH_ARM64)], 0x2000 + 32);
        CHECK_INT(t1->regs.r[30], 0x2000 + 30);
        CHECK_INT(t0->stack_base, 0x7000);
        CHECK_INT(t0->stack_size, 64);
        uint64_t v;
        CHECK(uv_memory_read_u64(&dump->memory, 0x7010, &v));
        CHECK(v == 0x1122334455667788);
    }
    uint64_t v;
    CHECK(uv_memory_read_u64(&dump->memory, 0x9008, &v));
    CHECK(v == 0x1112131415161718);
    CHECK(uv_memory_read_u64(&dump->memory, 0xa000, &v));
    CHECK(v == 0xfeedfacecafebeef);
    CHECK(!uv_memory_read_u64(&dump->memory, 0x9010, &v));
    CHECK_INT(dump->memory.count, 3);

    CHECK_INT(dump->module_count, 1);
    if (dump->module_count == 1) {
        const uv_dump_module *m = &dump->modules[0];
        char uuid[UV_DEBUG_ID_UUID_LEN], breakpad[UV_DEBUG_ID_BREAKPAD_LEN];
        uv_debug_id_from_build_id(build_id, 20, uuid, breakpad);
        CHECK_STR(m->debug_id, breakpad);
        CHECK_STR(m->build_id, "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3");
        CHECK_STR(m->code_id, "A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3");
        CHECK_VIEW(m->path, "/usr/lib/libtest.so");
        CHECK_VIEW(m->debug_file, "libtest.so");
        CHECK_VIEW(m->version, "");
        CHECK(m->main);
        CHECK_INT(m->size, 0x5000);
    }
    uv_dump_free(dump);
    free(keep);
}

/* Crash reasons as minidump_stackwalk spells them. */
TEST(crash_reasons)
{
    static const struct {
        uint32_t platform, code, flags;
        uint32_t nparams;
        uint64_t params[3];
        const char *reason;
        uint64_t address;
    } cases[] = {
        {2, 0xc0000005, 0, 2, {0, 0x1234}, "EXCEPTION_ACCESS_VIOLATION_READ", 0x1234},
        {2, 0xc0000005, 0, 2, {8, 0x5678}, "EXCEPTION_ACCESS_VIOLATION_EXEC", 0x5678},
        {2, 0xc0000005, 0, 2, {3, 0x5678}, "EXCEPTION_ACCESS_VIOLATION", 0x5678},
        {2, 0xc0000005, 0, 0, {0}, "EXCEPTION_ACCESS_VIOLATION", 0xabc},
        {2,
         0xc0000006,
         0,
         3,
         {1, 0x10, 0xc000009c},
         "EXCEPTION_IN_PAGE_ERROR_WRITE / 0xc000009c",
         0x10},
        {2, 0xc00000fd, 0, 0, {0}, "EXCEPTION_STACK_OVERFLOW", 0xabc},
        {2, 0xc000001d, 0, 0, {0}, "EXCEPTION_ILLEGAL_INSTRUCTION", 0xabc},
        {2, 0xc0000094, 0, 0, {0}, "EXCEPTION_INT_DIVIDE_BY_ZERO", 0xabc},
        {2, 0x80000003, 0, 0, {0}, "EXCEPTION_BREAKPOINT", 0xabc},
        {2, 0xc0000409, 0, 0, {0}, "EXCEPTION_STACK_BUFFER_OVERRUN", 0xabc},
        {2, 0xe06d7363, 1, 0, {0}, "Unhandled C++ Exception", 0xabc},
        {2, 0x12345678, 1, 0, {0}, "0x12345678 / 0x00000001", 0xabc},
        {0x8201, 11, 1, 0, {0}, "SIGSEGV /SEGV_MAPERR", 0xabc},
        {0x8201, 11, 2, 0, {0}, "SIGSEGV /SEGV_ACCERR", 0xabc},
        {0x8201, 11, 0x80, 0, {0}, "SIGSEGV /0x00000080", 0xabc},
        {0x8201, 6, 0, 0, {0}, "SIGABRT", 0xabc},
        {0x8201, 7, 2, 0, {0}, "SIGBUS / BUS_ADRERR", 0xabc},
        {0x8201, 4, 2, 0, {0}, "SIGILL / ILL_ILLOPN", 0xabc},
        {0x8201, 8, 1, 0, {0}, "SIGFPE / FPE_INTDIV", 0xabc},
        {0x8203, 5, 0, 0, {0}, "SIGTRAP", 0xabc},
        {0x8201, 0xffffffff, 0, 0, {0}, "DUMP_REQUESTED", 0xabc},
        {0x8201, 99, 3, 0, {0}, "0x00000063 / 0x00000003", 0xabc},
        {0x8101, 1, 1, 0, {0}, "EXC_BAD_ACCESS / KERN_INVALID_ADDRESS", 0xabc},
        {0x8101, 1, 13, 0, {0}, "EXC_BAD_ACCESS / EXC_I386_GPFLT", 0xabc},
        {0x8101, 5, 0x00010002, 0, {0}, "EXC_SOFTWARE / SIGABRT", 0xabc},
        {0x8101, 6, 2, 0, {0}, "EXC_BREAKPOINT / EXC_I386_BPT", 0xabc},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        static builder b;
        begin(&b);
        system_info(&b, 0, cases[i].platform, NULL);
        exception(&b, 1, cases[i].code, cases[i].flags, 0xffffffff00000abc, cases[i].nparams,
                  cases[i].params);
        finish(&b);
        uv_dump *dump;
        uint8_t *keep;
        int rc = parse_copy(&dump, b.data, b.len, &keep);
        CHECK_INT(rc, 0);
        if (!rc) {
            CHECK_VIEW(dump->crash_reason, cases[i].reason);
            /* x86: the high half of the address is dropped */
            CHECK_INT(dump->crash_address, cases[i].address);
            CHECK_INT(dump->crash_thread, SIZE_MAX); /* no thread list */
            CHECK_VIEW(dump->os_version, "5.4.3");
            uv_dump_free(dump);
        }
        free(keep);
    }
}

/* ---- hostile inputs ------------------------------------------------------------------- */

static void expect_error(const char *what, const uint8_t *bytes, size_t len, int code,
                         const char *needle)
{
    uv_dump *dump = (uv_dump *)&len;
    uint8_t *keep;
    int rc = parse_copy(&dump, bytes, len, &keep);
    if (rc != code) fprintf(stderr, "  case %s: rc %d\n", what, rc);
    CHECK_INT(rc, code);
    CHECK(dump == NULL);
    if (rc) CHECK_CONTAINS(uv_error_last()->message, needle);
    if (!rc) uv_dump_free(dump);
    free(keep);
}

TEST(hostile)
{
    static builder b;

    expect_error("empty", (const uint8_t *)"", 0, UV_EINVALID, "not a minidump");
    expect_error("3 bytes", (const uint8_t *)"MDM", 3, UV_EINVALID, "not a minidump");
    expect_error("ELF", (const uint8_t *)"\177ELF\2\1\1\0", 8, UV_EINVALID, "MDMP");
    expect_error("big-endian", (const uint8_t *)"PMDM\0\0\xa7\x93", 8, UV_EUNSUPPORTED,
                 "big-endian");
    CHECK(!uv_minidump_is("MDM", 3));
    CHECK(uv_minidump_is("MDMP", 4));

    begin(&b);
    finish(&b);
    expect_error("truncated header", b.data, 20, UV_ECORRUPT, "header truncated");

    begin(&b);
    set32(&b, 4, 0xa792);
    finish(&b);
    expect_error("version", b.data, b.len, UV_EUNSUPPORTED, "version");

    /* A directory of 5 entries where the file holds one. */
    begin(&b);
    system_info(&b, 0, 2, NULL);
    finish(&b);
    set32(&b, 8, 5);
    expect_error("directory beyond the file", b.data, b.len, UV_ECORRUPT, "stream directory");
    begin(&b);
    finish(&b);
    set32(&b, 8, 0x40000000);
    set32(&b, 12, 0xfffffff0);
    expect_error("directory offset beyond the file", b.data, b.len, UV_ECORRUPT,
                 "stream directory");

    /* A stream whose data lies past the end. */
    begin(&b);
    system_info(&b, 0, 2, NULL);
    finish(&b);
    set32(&b, b.len - 4, 0xffffff00);
    expect_error("stream beyond the file", b.data, b.len, UV_ECORRUPT, "SystemInfo stream");
    begin(&b);
    system_info(&b, 0, 2, NULL);
    finish(&b);
    set32(&b, b.len - 8, 0xffffffff);
    expect_error("stream size beyond the file", b.data, b.len, UV_ECORRUPT, "runs past the end");

    /* Zero-size and short streams. */
    static const struct {
        uint32_t type;
        const char *name;
    } streams[] = {
        {3, "ThreadList stream"}, {4, "ModuleList stream"},   {5, "MemoryList stream"},
        {6, "Exception stream"},  {7, "SystemInfo stream"},   {9, "Memory64List stream"},
        {15, "MiscInfo stream"},  {24, "ThreadNames stream"}, {0x47670001, "BreakpadInfo stream"}};
    for (size_t i = 0; i < sizeof streams / sizeof *streams; i++) {
        begin(&b);
        begin_stream(&b, streams[i].type);
        end_stream(&b);
        finish(&b);
        expect_error(streams[i].name, b.data, b.len, UV_ECORRUPT, streams[i].name);
        begin(&b);
        begin_stream(&b, streams[i].type);
        put(&b, NULL, 3);
        end_stream(&b);
        finish(&b);
        expect_error(streams[i].name, b.data, b.len, UV_ECORRUPT, streams[i].name);
    }

    /* Huge counts. */
    uint32_t list_types[] = {3, 4, 5, 24};
    for (size_t i = 0; i < 4; i++) {
        begin(&b);
        begin_stream(&b, list_types[i]);
        put32(&b, 0xffffffff);
        put(&b, NULL, 48);
        end_stream(&b);
        finish(&b);
        expect_error("huge count", b.data, b.len, UV_ECORRUPT, "count 4294967295");
    }
    begin(&b);
    begin_stream(&b, 9);
    put64(&b, UINT64_MAX);
    put64(&b, 0);
    put(&b, NULL, 32);
    end_stream(&b);
    finish(&b);
    expect_error("huge Memory64List count", b.data, b.len, UV_ECORRUPT, "Memory64List stream");

    /* Memory whose bytes lie past the end of the file. */
    begin(&b);
    begin_stream(&b, 5);
    put32(&b, 1);
    put64(&b, 0x1000);
    put32(&b, 0x100000);
    put32(&b, 40);
    end_stream(&b);
    finish(&b);
    expect_error("memory beyond the file", b.data, b.len, UV_ECORRUPT, "MemoryList stream");
    begin(&b);
    begin_stream(&b, 9);
    put64(&b, 2);
    put64(&b, 32);
    put64(&b, 0x1000);
    put64(&b, 8);
    put64(&b, 0x2000);
    put64(&b, UINT64_MAX - 4);
    end_stream(&b);
    finish(&b);
    expect_error("memory64 beyond the file", b.data, b.len, UV_ECORRUPT, "Memory64List stream");
    begin(&b);
    begin_stream(&b, 5);
    put32(&b, 1);
    put64(&b, UINT64_MAX - 2);
    put32(&b, 8);
    put32(&b, 0);
    end_stream(&b);
    finish(&b);
    expect_error("memory wrapping", b.data, b.len, UV_ECORRUPT, "wraps");

    /* A thread context past the end. */
    begin(&b);
    begin_stream(&b, 3);
    put32(&b, 1);
    put32(&b, 1);
    put(&b, NULL, 36);
    put32(&b, 716);
    put32(&b, 0xfffff000);
    end_stream(&b);
    finish(&b);
    expect_error("context beyond the file", b.data, b.len, UV_ECORRUPT, "context");

    /* A module name past the end, and a string longer than the file. */
    for (int k = 0; k < 2; k++) {
        begin(&b);
        size_t name = put32(&b, 0x7ffffff0);
        begin_stream(&b, 4);
        put32(&b, 1);
        put64(&b, 0x400000);
        put32(&b, 0x1000);
        put32(&b, 0);
        put32(&b, 0);
        put32(&b, k == 0 ? 0xfffffff0 : (uint32_t)name);
        put(&b, NULL, 84);
        end_stream(&b);
        finish(&b);
        expect_error("module name", b.data, b.len, UV_ECORRUPT, "ModuleList stream");
    }

    /* Many modules naming one long string: refused rather than expanded. */
    begin(&b);
    size_t name = put32(&b, 60000);
    put(&b, NULL, 60000);
    begin_stream(&b, 4);
    put32(&b, 500);
    for (int i = 0; i < 500; i++) {
        put64(&b, 0x400000 + 0x1000 * (uint64_t)i);
        put32(&b, 0x1000);
        put32(&b, 0);
        put32(&b, 0);
        put32(&b, (uint32_t)name);
        put(&b, NULL, 84);
    }
    end_stream(&b);
    finish(&b);
    expect_error("string bomb", b.data, b.len, UV_ECORRUPT, "strings referenced");

    /* A CodeView record past the end. */
    begin(&b);
    uint32_t module_name = put_string(&b, "a.dll");
    begin_stream(&b, 4);
    put32(&b, 1);
    put64(&b, 0x400000);
    put32(&b, 0x1000);
    put32(&b, 0);
    put32(&b, 0);
    put32(&b, module_name);
    put(&b, NULL, 52);
    put32(&b, 100);
    put32(&b, 0xffffff00);
    put(&b, NULL, 24);
    end_stream(&b);
    finish(&b);
    expect_error("CodeView beyond the file", b.data, b.len, UV_ECORRUPT, "CodeView");

    /* Odd but valid: an empty dump, and short CodeView records. */
    begin(&b);
    finish(&b);
    uv_dump *dump;
    uint8_t *keep;
    CHECK_INT(parse_copy(&dump, b.data, b.len, &keep), 0);
    if (dump) {
        CHECK_INT(dump->thread_count, 0);
        CHECK_INT(dump->module_count, 0);
        CHECK_INT(dump->crash_thread, SIZE_MAX);
        CHECK(!dump->crashed);
        CHECK_VIEW(dump->os, "");
        uv_dump_free(dump);
    }
    free(keep);
    const uint32_t signatures[] = {0x53445352, 0x3031424e, 0x4270454c, 0};
    for (size_t k = 0; k < 4; k++) {
        begin(&b);
        size_t cv = put32(&b, signatures[k]);
        put(&b, "xyz", 3);
        module_name = put_string(&b, "b.dll");
        begin_stream(&b, 4);
        put32(&b, 1);
        put64(&b, 0x400000);
        put32(&b, 0x1000);
        put(&b, NULL, 8);
        put32(&b, module_name);
        put(&b, NULL, 52);
        put32(&b, 7);
        put32(&b, (uint32_t)cv);
        put(&b, NULL, 24);
        end_stream(&b);
        finish(&b);
        CHECK_INT(parse_copy(&dump, b.data, b.len, &keep), 0);
        if (dump) {
            CHECK_VIEW(dump->modules[0].debug_file, "b.dll");
            CHECK_STR(dump->modules[0].debug_id,
                      signatures[k] == 0x4270454c ? "007A79780000000000000000000000000" : "");
            uv_dump_free(dump);
        }
        free(keep);
    }
}

int main(void)
{
    RUN(windows_x86);
    RUN(linux_amd64);
    RUN(truncated_fixtures);
    RUN(arm64_built);
    RUN(crash_reasons);
    RUN(hostile);
    TEST_MAIN_END();
}
