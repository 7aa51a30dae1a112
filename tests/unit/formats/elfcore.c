/* formats/elfcore: real cores written at test time by gdb's gcore (a forked child of this
 * test with blocked threads; this test re-run under gdb until one of its threads faults; a
 * shell killed with SIGSEGV), checked against what the test knows of those processes and of
 * its own executable; cores built here by hand for x86-64, arm64 and i386 (register order,
 * signals, NT_FILE modules, build-ids in the dumped pages, the vDSO); and damaged cores
 * (truncated, lying sizes and counts) held in exact-size heap buffers so ASan sees any read
 * past them. Without gdb the real-core cases are skipped with a note.
 *
 * `test_formats_elfcore --write-seeds DIR` writes the hand-built cores and a slimmed copy of
 * the SIGSEGV core (its notes, module headers and stack pages) as fuzzing seeds. */
#include "formats/elfcore.h"

#include "formats/buf.h"
#include "formats/elf.h"
#include "formats/error.h"

#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];
static char self_exe[4096];
static bool have_gdb;

/* ---- helpers ------------------------------------------------------------------------- */

static bool run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool run(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0) fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
    return rc == 0;
}

/* No file this test writes comes near this; it stops gdb before a runaway core fills the
 * disk (gdb gets SIGXFSZ and the test fails instead). */
#define FILE_SIZE_LIMIT ((rlim_t)512 << 20)

/* The whole file in an exact-size heap buffer. */
static uint8_t *read_path(const char *path, size_t *len)
{
    *len = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return NULL;
    struct stat st;
    uint8_t *p = NULL;
    if (fstat(fd, &st) == 0 && st.st_size > 0 && (rlim_t)st.st_size <= FILE_SIZE_LIMIT) {
        p = malloc((size_t)st.st_size);
        size_t done = 0;
        while (p && done < (size_t)st.st_size) {
            ssize_t n = read(fd, p + done, (size_t)st.st_size - done);
            if (n <= 0) break;
            done += (size_t)n;
        }
        if (p && done != (size_t)st.st_size) {
            free(p);
            p = NULL;
        }
        if (p) *len = done;
    }
    close(fd);
    return p;
}

static bool write_path(const char *path, const void *p, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = fwrite(p, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

static uint8_t *copy(const void *p, size_t len)
{
    uint8_t *c = malloc(len ? len : 1);
    if (c && len) memcpy(c, p, len);
    return c;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

static void put_word(uint8_t *p, bool is_64, uint64_t v)
{
    if (is_64)
        put64(p, v);
    else
        put32(p, (uint32_t)v);
}

static const uv_dump_module *find_module(const uv_dump *d, const char *path)
{
    for (size_t i = 0; i < d->module_count; i++)
        if (uv_str_eq_c(d->modules[i].path, path)) return &d->modules[i];
    return NULL;
}

static const uv_dump_module *find_module_suffix(const uv_dump *d, const char *suffix)
{
    size_t n = strlen(suffix);
    for (size_t i = 0; i < d->module_count; i++) {
        uv_str p = d->modules[i].path;
        if (p.len >= n && memcmp(p.ptr + p.len - n, suffix, n) == 0) return &d->modules[i];
    }
    return NULL;
}

/* ---- building cores by hand ----------------------------------------------------------- */

typedef struct {
    const char *name;
    uint32_t type;
    const uint8_t *desc;
    size_t descsz;
} tnote;

typedef struct {
    uint64_t vaddr;
    const uint8_t *data;
    size_t size;
} tload;

#define EM_386_ 3
#define EM_X86_64_ 62
#define EM_AARCH64_ 183
#define NT_SIGINFO_ 0x53494749u
#define NT_FILE_ 0x46494c45u

static void append_note(uv_buf *b, const char *name, uint32_t type, const uint8_t *desc,
                        size_t descsz)
{
    uint8_t h[12];
    size_t namesz = strlen(name) + 1;
    put32(h, (uint32_t)namesz);
    put32(h + 4, (uint32_t)descsz);
    put32(h + 8, type);
    uv_buf_append(b, h, 12);
    uv_buf_append(b, name, namesz);
    uv_buf_align(b, 4);
    if (descsz) uv_buf_append(b, desc, descsz);
    uv_buf_align(b, 4);
}

/* ELF header, program headers (one PT_NOTE, then a PT_LOAD per load), notes, memory. */
static uint8_t *build_core(bool is_64, uint16_t machine, const tnote *notes, size_t note_count,
                           const tload *loads, size_t load_count, size_t *out_len)
{
    uv_buf notes_buf = UV_BUF_INIT;
    for (size_t i = 0; i < note_count; i++)
        append_note(&notes_buf, notes[i].name, notes[i].type, notes[i].desc, notes[i].descsz);
    size_t ehdr = is_64 ? 64 : 52, phdr = is_64 ? 56 : 32;
    size_t phnum = 1 + load_count;
    size_t notes_at = ehdr + phnum * phdr;
    size_t data_at = notes_at + notes_buf.len;
    size_t total = data_at;
    for (size_t i = 0; i < load_count; i++)
        total += loads[i].size;
    uint8_t *p = calloc(1, total);
    memcpy(p,
           "\x7f"
           "ELF",
           4);
    p[4] = is_64 ? 2 : 1;
    p[5] = 1;
    p[6] = 1;
    put16(p + 16, 4);
    put16(p + 18, machine);
    put32(p + 20, 1);
    if (is_64) {
        put64(p + 32, ehdr);
        put16(p + 52, (uint16_t)ehdr);
        put16(p + 54, (uint16_t)phdr);
        put16(p + 56, (uint16_t)phnum);
        put16(p + 58, 64);
    } else {
        put32(p + 28, (uint32_t)ehdr);
        put16(p + 40, (uint16_t)ehdr);
        put16(p + 42, (uint16_t)phdr);
        put16(p + 44, (uint16_t)phnum);
        put16(p + 46, 40);
    }
    size_t offset = data_at;
    for (size_t i = 0; i < phnum; i++) {
        uint8_t *h = p + ehdr + i * phdr;
        uint32_t type = i == 0 ? 4 : 1;
        uint64_t off = i == 0 ? notes_at : offset;
        uint64_t vaddr = i == 0 ? 0 : loads[i - 1].vaddr;
        uint64_t size = i == 0 ? notes_buf.len : loads[i - 1].size;
        if (is_64) {
            put32(h, type);
            put32(h + 4, i == 0 ? 4 : 6);
            put64(h + 8, off);
            put64(h + 16, vaddr);
            put64(h + 32, size);
            put64(h + 40, i == 0 ? 0 : size);
            put64(h + 48, i == 0 ? 4 : 4096);
        } else {
            put32(h, type);
            put32(h + 4, (uint32_t)off);
            put32(h + 8, (uint32_t)vaddr);
            put32(h + 16, (uint32_t)size);
            put32(h + 20, i == 0 ? 0 : (uint32_t)size);
            put32(h + 24, i == 0 ? 4 : 6);
            put32(h + 28, i == 0 ? 4 : 4096);
        }
        if (i > 0) {
            memcpy(p + offset, loads[i - 1].data, loads[i - 1].size);
            offset += loads[i - 1].size;
        }
    }
    if (notes_buf.len) memcpy(p + notes_at, notes_buf.data, notes_buf.len);
    uv_buf_free(&notes_buf);
    *out_len = total;
    return p;
}

/* A page holding an ELF image's first bytes: header, PT_LOAD (memsz bytes at vaddr 0, or at
 * `link` for ET_EXEC), PT_NOTE at file offset 0x200 with NT_GNU_BUILD_ID. */
static void make_image(uint8_t page[4096], bool is_64, uint16_t machine, uint64_t link,
                       uint64_t memsz, const uint8_t *id, size_t id_len)
{
    memset(page, 0, 4096);
    memcpy(page,
           "\x7f"
           "ELF",
           4);
    page[4] = is_64 ? 2 : 1;
    page[5] = 1;
    page[6] = 1;
    put16(page + 16, link ? 2 : 3);
    put16(page + 18, machine);
    size_t note_size = 16 + id_len;
    if (is_64) {
        put64(page + 32, 64);
        put16(page + 54, 56);
        put16(page + 56, 2);
        uint8_t *h = page + 64;
        put32(h, 1);
        put64(h + 16, link);
        put64(h + 32, memsz);
        put64(h + 40, memsz);
        h += 56;
        put32(h, 4);
        put64(h + 8, 0x200);
        put64(h + 16, link + 0x200);
        put64(h + 32, note_size);
        put64(h + 48, 4);
    } else {
        put32(page + 28, 52);
        put16(page + 42, 32);
        put16(page + 44, 2);
        uint8_t *h = page + 52;
        put32(h, 1);
        put32(h + 8, (uint32_t)link);
        put32(h + 16, (uint32_t)memsz);
        put32(h + 20, (uint32_t)memsz);
        h += 32;
        put32(h, 4);
        put32(h + 4, 0x200);
        put32(h + 8, (uint32_t)(link + 0x200));
        put32(h + 16, (uint32_t)note_size);
        put32(h + 28, 4);
    }
    uint8_t *n = page + 0x200;
    put32(n, 4);
    put32(n + 4, (uint32_t)id_len);
    put32(n + 8, 3);
    memcpy(n + 12, "GNU", 4);
    memcpy(n + 16, id, id_len);
}

typedef struct {
    uint64_t start, end, pgoff;
    const char *path;
} tmap;

static size_t make_nt_file(uint8_t *out, bool is_64, const tmap *maps, size_t count)
{
    size_t w = is_64 ? 8 : 4, at = 0;
    put_word(out, is_64, count);
    put_word(out + w, is_64, 4096);
    at = 2 * w;
    for (size_t i = 0; i < count; i++, at += 3 * w) {
        put_word(out + at, is_64, maps[i].start);
        put_word(out + at + w, is_64, maps[i].end);
        put_word(out + at + 2 * w, is_64, maps[i].pgoff);
    }
    for (size_t i = 0; i < count; i++) {
        size_t n = strlen(maps[i].path) + 1;
        memcpy(out + at, maps[i].path, n);
        at += n;
    }
    return at;
}

/* elf_prstatus with pr_cursig, pr_info, pr_pid and pr_reg. */
static size_t make_prstatus(uint8_t *out, uv_arch arch, uint32_t tid, int cursig,
                            uint32_t info_signo, uint32_t info_code, const uint64_t *regs)
{
    size_t size = arch == UV_ARCH_X86_64 ? 336 : arch == UV_ARCH_ARM64 ? 392 : 144;
    size_t count = arch == UV_ARCH_X86_64 ? 27 : arch == UV_ARCH_ARM64 ? 34 : 17;
    memset(out, 0, size);
    put32(out, info_signo);
    put32(out + 4, info_code);
    put16(out + 12, (uint16_t)cursig);
    bool is_64 = arch != UV_ARCH_X86;
    put32(out + (is_64 ? 32 : 24), tid);
    for (size_t i = 0; i < count; i++) {
        if (is_64)
            put64(out + 112 + 8 * i, regs[i]);
        else
            put32(out + 72 + 4 * i, (uint32_t)regs[i]);
    }
    return size;
}

static size_t make_siginfo(uint8_t out[128], bool is_64, uint32_t signo, int32_t code,
                           uint64_t addr)
{
    memset(out, 0, 128);
    put32(out, signo);
    put32(out + 8, (uint32_t)code);
    put_word(out + (is_64 ? 16 : 12), is_64, addr);
    return 128;
}

static size_t make_prpsinfo(uint8_t *out, bool is_64, uint32_t pid, const char *fname)
{
    size_t size = is_64 ? 136 : 124;
    memset(out, 0, size);
    put32(out + size - 96 - 16, pid);
    strncpy((char *)out + size - 96, fname, 15);
    return size;
}

static size_t make_auxv(uint8_t *out, bool is_64, uint64_t entry, uint64_t vdso)
{
    size_t w = is_64 ? 8 : 4;
    uint64_t pairs[] = {6, 4096, 33, vdso, 9, entry, 0, 0};
    for (size_t i = 0; i < 8; i++)
        put_word(out + i * w, is_64, pairs[i]);
    return 8 * w;
}

static const uint8_t exe_id[20] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23,
                                   0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98};
static const uint8_t vdso_id[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                    0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};

/* x86-64: two threads (the second crashed with SIGBUS/BUS_ADRERR, gdb's note order), an
 * executable and the vDSO whose headers are in the dump, a library whose are not, a device
 * and a data file (not modules), and a second offset-0 mapping of the executable as data. */
static uint8_t *synth_x86_64(size_t *len)
{
    static uint8_t exe_page[4096], vdso_page[4096], stack[4096], data_page[4096];
    make_image(exe_page, true, EM_X86_64_, 0x400000, 0x4000, exe_id, sizeof exe_id);
    make_image(vdso_page, true, EM_X86_64_, 0, 0x1000, vdso_id, sizeof vdso_id);
    memset(stack, 0x5a, sizeof stack);
    memcpy(data_page, "not an ELF file", 15);

    uint64_t regs1[27], regs2[27];
    for (int i = 0; i < 27; i++) {
        regs1[i] = 0x1000 + (uint64_t)i;
        regs2[i] = 0x2000 + (uint64_t)i;
    }
    regs1[16] = 0x7f0000001100; /* rip in libfoo */
    regs1[19] = 0x7ffe0000f00;  /* rsp */
    regs2[16] = 0x401234;
    regs2[19] = 0x7ffe0000800;

    static uint8_t st1[336], st2[336], si1[128], si2[128], ps[136], av[64], files[1024];
    make_prstatus(st1, UV_ARCH_X86_64, 100, 7, 0, 0, regs1); /* gdb: cursig in all threads */
    make_prstatus(st2, UV_ARCH_X86_64, 101, 7, 0, 0, regs2);
    make_siginfo(si1, true, 19, 0x80, 0);
    make_siginfo(si2, true, 7, 2, 0xdead000);
    make_prpsinfo(ps, true, 4242, "synth");
    make_auxv(av, true, 0x401000, 0x7fff0000);
    tmap maps[] = {
        {0x300000, 0x301000, 0, "/usr/bin/synth"},
        {0x400000, 0x401000, 0, "/usr/bin/synth"},
        {0x401000, 0x403000, 1, "/usr/bin/synth"},
        {0x403000, 0x404000, 3, "/usr/bin/synth"},
        {0x500000, 0x501000, 0, "/usr/share/data.bin"},
        {0x600000, 0x700000, 0, "/dev/zero"},
        {0x7f0000000000, 0x7f0000001000, 0, "/usr/lib/libfoo.so"},
        {0x7f0000001000, 0x7f0000005000, 1, "/usr/lib/libfoo.so"},
    };
    size_t files_len = make_nt_file(files, true, maps, sizeof maps / sizeof *maps);
    tnote notes[] = {
        {"CORE", 3, ps, sizeof ps},      {"CORE", 1, st1, sizeof st1},
        {"CORE", NT_SIGINFO_, si1, 128}, {"CORE", 1, st2, sizeof st2},
        {"LINUX", 0x202, si1, 16},       {"CORE", NT_SIGINFO_, si2, 128},
        {"CORE", 6, av, sizeof av},      {"CORE", NT_FILE_, files, files_len},
        {"GDB", 0xff000000, ps, 8},
    };
    tload loads[] = {
        {0x400000, exe_page, 4096},
        {0x500000, data_page, 4096},
        {0x7fff0000, vdso_page, 4096},
        {0x7ffe0000000, stack, 4096},
    };
    return build_core(true, EM_X86_64_, notes, sizeof notes / sizeof *notes, loads,
                      sizeof loads / sizeof *loads, len);
}

/* arm64: one thread faulting with SIGSEGV/SEGV_MAPERR at 0x10, kernel note order. */
static uint8_t *synth_arm64(size_t *len)
{
    static uint8_t exe_page[4096], stack[4096];
    make_image(exe_page, true, EM_AARCH64_, 0, 0x10000, exe_id, sizeof exe_id);
    memset(stack, 0x33, sizeof stack);
    uint64_t regs[34];
    for (int i = 0; i < 34; i++)
        regs[i] = 0x100 + (uint64_t)i;
    regs[31] = 0xffffc0000100; /* sp */
    regs[32] = 0xaaaa00000abc; /* pc */
    static uint8_t st[392], si[128], ps[136], av[64], files[256];
    make_prstatus(st, UV_ARCH_ARM64, 777, 11, 11, 0, regs);
    make_siginfo(si, true, 11, 1, 0x10);
    make_prpsinfo(ps, true, 777, "armcrash");
    make_auxv(av, true, 0xaaaa00000800, 0);
    tmap maps[] = {{0xaaaa00000000, 0xaaaa00001000, 0, "/opt/armcrash"},
                   {0xaaaa00010000, 0xaaaa00011000, 1, "/opt/armcrash"}};
    size_t files_len = make_nt_file(files, true, maps, 2);
    tnote notes[] = {{"CORE", 1, st, sizeof st},
                     {"CORE", 3, ps, sizeof ps},
                     {"CORE", NT_SIGINFO_, si, 128},
                     {"CORE", 6, av, sizeof av},
                     {"CORE", NT_FILE_, files, files_len}};
    tload loads[] = {{0xaaaa00000000, exe_page, 4096}, {0xffffc0000000, stack, 4096}};
    return build_core(true, EM_AARCH64_, notes, 5, loads, 2, len);
}

/* i386: one thread with SIGFPE/FPE_INTDIV, a non-PIE executable at 0x8048000. */
static uint8_t *synth_i386(size_t *len)
{
    static uint8_t exe_page[4096], stack[4096];
    make_image(exe_page, false, EM_386_, 0x8048000, 0x2000, exe_id, sizeof exe_id);
    memset(stack, 0x77, sizeof stack);
    uint64_t regs[17];
    for (int i = 0; i < 17; i++)
        regs[i] = 0x10 + (uint64_t)i;
    regs[12] = 0x8048123;  /* eip */
    regs[15] = 0xbfff0010; /* esp */
    static uint8_t st[144], si[128], ps[124], av[32], files[256];
    make_prstatus(st, UV_ARCH_X86, 31337, 8, 8, 1, regs);
    make_siginfo(si, false, 8, 1, 0x8048123);
    make_prpsinfo(ps, false, 31337, "oldie");
    make_auxv(av, false, 0x8048100, 0);
    tmap maps[] = {{0x8048000, 0x8049000, 0, "/usr/bin/oldie"},
                   {0x8049000, 0x804a000, 1, "/usr/bin/oldie"}};
    size_t files_len = make_nt_file(files, false, maps, 2);
    tnote notes[] = {{"CORE", 1, st, sizeof st},
                     {"CORE", 3, ps, sizeof ps},
                     {"CORE", NT_SIGINFO_, si, 128},
                     {"CORE", 6, av, sizeof av},
                     {"CORE", NT_FILE_, files, files_len}};
    tload loads[] = {{0x8048000, exe_page, 4096}, {0xbfff0000, stack, 4096}};
    return build_core(false, EM_386_, notes, 5, loads, 2, len);
}

/* A one-thread x86-64 core whose thread got `signo`/`code` (NT_SIGINFO when `siginfo`). */
static uint8_t *synth_signal(uint32_t signo, int32_t code, uint64_t addr, bool siginfo, size_t *len)
{
    uint64_t regs[27] = {0};
    static uint8_t st[336], si[128];
    make_prstatus(st, UV_ARCH_X86_64, 55, (int)signo, signo, (uint32_t)code, regs);
    make_siginfo(si, true, signo, code, addr);
    tnote notes[] = {{"CORE", 1, st, sizeof st}, {"CORE", NT_SIGINFO_, si, 128}};
    return build_core(true, EM_X86_64_, notes, siginfo ? 2 : 1, NULL, 0, len);
}

/* ---- invariants every parsed dump keeps ------------------------------------------------ */

static void check_invariants(const uv_dump *d, const uint8_t *bytes, size_t len)
{
    CHECK(d->kind == UV_DUMP_ELFCORE);
    CHECK_VIEW(d->os, "Linux");
    CHECK(d->crash_thread == SIZE_MAX ? d->thread_count == 0 : d->crash_thread < d->thread_count);
    for (size_t i = 0; i < d->memory.count; i++) {
        const uv_mem_region *r = &d->memory.regions[i];
        CHECK(r->size > 0);
        CHECK(r->data >= bytes && r->size <= (size_t)(bytes + len - r->data));
        if (i > 0) CHECK(r->base >= d->memory.regions[i - 1].base + d->memory.regions[i - 1].size);
    }
    size_t mains = 0;
    for (size_t i = 0; i < d->module_count; i++) {
        const uv_dump_module *m = &d->modules[i];
        mains += m->main;
        CHECK(m->path.len > 0);
        CHECK(strlen(m->build_id) == strlen(m->code_id));
        CHECK(strlen(m->build_id) % 2 == 0);
        CHECK(strlen(m->debug_id) == (m->build_id[0] ? 33u : 0u));
        CHECK(uv_elfcore_module_needs_file(m) == (m->build_id[0] == '\0'));
    }
    CHECK(mains == (d->module_count > 0));
    if (d->module_count > 0) CHECK(d->modules[0].main);
}

static uv_dump *parse_ok(const uint8_t *bytes, size_t len)
{
    uv_dump *d = NULL;
    int rc = uv_elfcore_parse(&d, bytes, len);
    CHECK_INT(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "  %s\n", uv_error_last()->message);
        return NULL;
    }
    check_invariants(d, bytes, len);
    return d;
}

/* ---- hand-built cores ------------------------------------------------------------------- */

TEST(x86_64_synthetic)
{
    size_t len;
    uint8_t *core = synth_x86_64(&len);
    CHECK(uv_elfcore_is(core, len));
    uv_dump *d = parse_ok(core, len);
    if (!d) {
        free(core);
        return;
    }
    CHECK_INT(d->arch, UV_ARCH_X86_64);
    CHECK_INT(d->pid, 4242);
    CHECK_INT(d->thread_count, 2);
    CHECK_INT(d->threads[0].tid, 100);
    CHECK_INT(d->threads[1].tid, 101);
    CHECK(d->crashed);
    CHECK_INT(d->crash_thread, 1);
    CHECK_INT(d->crash_tid, 101);
    CHECK_INT(d->crash_signal, 7);
    CHECK_INT(d->crash_code, 2);
    CHECK_INT(d->crash_address, 0xdead000);
    CHECK_VIEW(d->crash_reason, "SIGBUS / BUS_ADRERR");
    CHECK_INT(d->cpu_count, 0);

    /* DWARF order from user_regs_struct (0x2000 + index there). */
    const uv_regs *r = &d->threads[1].regs;
    static const int from[17] = {10, 12, 11, 5, 13, 14, 4, 19, 9, 8, 7, 6, 3, 2, 1, 0, 16};
    for (int i = 0; i < 17; i++) {
        CHECK(uv_regs_has(r, i));
        if (i != 7 && i != 16) CHECK_INT(r->r[i], 0x2000 + from[i]);
    }
    CHECK(!uv_regs_has(r, 17));
    CHECK_INT(r->r[16], 0x401234);
    CHECK_INT(r->r[7], 0x7ffe0000800);
    CHECK_INT(d->threads[1].stack_base, 0x7ffe0000000);
    CHECK_INT(d->threads[1].stack_size, 4096);
    uint64_t word;
    CHECK(uv_memory_read_u64(&d->memory, r->r[7], &word) && word == 0x5a5a5a5a5a5a5a5aull);

    CHECK_INT(d->memory.count, 4);
    CHECK_INT(d->module_count, 3);
    const uv_dump_module *exe = &d->modules[0];
    CHECK_VIEW(exe->path, "/usr/bin/synth");
    CHECK(exe->main);
    CHECK_INT(exe->base, 0x400000);
    CHECK_INT(exe->size, 0x4000);
    CHECK_STR(exe->build_id, "123456789abcdef00123456789abcdeffedcba98");
    CHECK_STR(exe->code_id, "123456789ABCDEF00123456789ABCDEFFEDCBA98");
    char uuid[UV_DEBUG_ID_UUID_LEN], breakpad[UV_DEBUG_ID_BREAKPAD_LEN];
    uv_debug_id_from_build_id(exe_id, sizeof exe_id, uuid, breakpad);
    CHECK_STR(exe->debug_id, breakpad);
    CHECK_STR(exe->debug_id, "78563412BC9AF0DE0123456789ABCDEF0");
    CHECK_VIEW(exe->debug_file, "synth");
    CHECK(!uv_elfcore_module_needs_file(exe));

    const uv_dump_module *vdso = &d->modules[1];
    CHECK_VIEW(vdso->path, "linux-vdso.so.1");
    CHECK_INT(vdso->base, 0x7fff0000);
    CHECK_INT(vdso->size, 0x1000);
    CHECK_STR(vdso->build_id, "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");

    const uv_dump_module *lib = &d->modules[2];
    CHECK_VIEW(lib->path, "/usr/lib/libfoo.so");
    CHECK_INT(lib->base, 0x7f0000000000);
    CHECK_INT(lib->size, 0x5000);
    CHECK_STR(lib->build_id, "");
    CHECK(uv_elfcore_module_needs_file(lib));
    CHECK(uv_dump_module_at(d, d->threads[0].regs.r[16]) == lib);
    CHECK(!find_module(d, "/dev/zero"));
    CHECK(!find_module(d, "/usr/share/data.bin"));
    uv_dump_free(d);
    free(core);
}

TEST(arm64_synthetic)
{
    size_t len;
    uint8_t *core = synth_arm64(&len);
    uv_dump *d = parse_ok(core, len);
    if (!d) {
        free(core);
        return;
    }
    CHECK_INT(d->arch, UV_ARCH_ARM64);
    CHECK_INT(d->pid, 777);
    CHECK_INT(d->thread_count, 1);
    CHECK_INT(d->crash_tid, 777);
    CHECK_VIEW(d->crash_reason, "SIGSEGV /SEGV_MAPERR");
    CHECK_INT(d->crash_address, 0x10);
    const uv_regs *r = &d->threads[0].regs;
    for (int i = 0; i <= 30; i++)
        CHECK_INT(r->r[i], 0x100 + i);
    CHECK_INT(r->r[uv_arch_sp(UV_ARCH_ARM64)], 0xffffc0000100);
    CHECK_INT(r->r[uv_arch_pc(UV_ARCH_ARM64)], 0xaaaa00000abc);
    CHECK_INT(r->valid, ((uint64_t)1 << 33) - 1);
    CHECK_INT(d->module_count, 1);
    CHECK_VIEW(d->modules[0].path, "/opt/armcrash");
    CHECK(d->modules[0].main);
    CHECK_INT(d->modules[0].size, 0x11000);
    CHECK_STR(d->modules[0].build_id, "123456789abcdef00123456789abcdeffedcba98");
    uv_dump_free(d);
    free(core);
}

TEST(i386_synthetic)
{
    size_t len;
    uint8_t *core = synth_i386(&len);
    uv_dump *d = parse_ok(core, len);
    if (!d) {
        free(core);
        return;
    }
    CHECK_INT(d->arch, UV_ARCH_X86);
    CHECK_INT(d->pid, 31337);
    CHECK_VIEW(d->crash_reason, "SIGFPE / FPE_INTDIV");
    CHECK_INT(d->crash_address, 0x8048123);
    const uv_regs *r = &d->threads[0].regs;
    static const int from[10] = {6, 1, 2, 0, 15, 5, 3, 4, 12, 14};
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 8) CHECK_INT(r->r[i], 0x10 + from[i]);
    CHECK_INT(r->r[8], 0x8048123);
    CHECK_INT(r->r[4], 0xbfff0010);
    CHECK_INT(d->threads[0].stack_base, 0xbfff0000);
    CHECK_INT(d->module_count, 1);
    CHECK_INT(d->modules[0].base, 0x8048000);
    CHECK_INT(d->modules[0].size, 0x2000);
    CHECK_STR(d->modules[0].build_id, "123456789abcdef00123456789abcdeffedcba98");
    uv_dump_free(d);
    free(core);
}

TEST(crash_reasons)
{
    static const struct {
        uint32_t signo;
        int32_t code;
        uint64_t addr;
        bool siginfo;
        const char *reason;
        uint64_t address;
    } cases[] = {
        {11, 1, 0x10, true, "SIGSEGV /SEGV_MAPERR", 0x10},
        {11, 2, 0x7000, true, "SIGSEGV /SEGV_ACCERR", 0x7000},
        {11, 0, 0x100000063, true, "SIGSEGV /0x00000000", 0}, /* kill(): si_pid, si_uid */
        {6, -6, 0x100000063, true, "SIGABRT", 0},             /* SI_TKILL from abort() */
        {6, 0, 0, false, "SIGABRT", 0},                       /* no NT_SIGINFO */
        {7, 2, 0x1000, true, "SIGBUS / BUS_ADRERR", 0x1000},
        {7, 9, 0x1000, true, "SIGBUS / 0x00000009", 0x1000},
        {4, 2, 0x401000, true, "SIGILL / ILL_ILLOPN", 0x401000},
        {8, 1, 0x401000, true, "SIGFPE / FPE_INTDIV", 0x401000},
        {5, 1, 0x401000, true, "SIGTRAP", 0x401000},
        {31, 1, 0x401000, true, "SIGSYS", 0x401000},
        {15, 0, 0, true, "SIGTERM", 0},
        {40, 0, 0, true, "0x00000028 / 0x00000000", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len;
        uint8_t *core =
            synth_signal(cases[i].signo, cases[i].code, cases[i].addr, cases[i].siginfo, &len);
        uv_dump *d = parse_ok(core, len);
        if (d) {
            CHECK(d->crashed);
            CHECK_INT(d->crash_signal, cases[i].signo);
            CHECK_INT(d->crash_code, (uint32_t)cases[i].code);
            CHECK_INT(d->crash_address, cases[i].address);
            CHECK_VIEW(d->crash_reason, cases[i].reason);
        }
        uv_dump_free(d);
        free(core);
    }
}

/* ---- damaged cores ---------------------------------------------------------------------- */

static void expect_error(const uint8_t *bytes, size_t len, int code, const char *needle)
{
    uint8_t *c = copy(bytes, len);
    uv_dump *d = (uv_dump *)&d;
    int rc = uv_elfcore_parse(&d, c, len);
    CHECK_INT(rc, code);
    CHECK(d == NULL);
    if (rc != 0) CHECK_CONTAINS(uv_error_last()->message, needle);
    if (rc == 0) uv_dump_free(d);
    free(c);
}

TEST(damaged)
{
    size_t len;
    uint8_t *core = synth_x86_64(&len);
    size_t phoff = 64, notes = (size_t)(64 + 5 * 56);

    expect_error((const uint8_t *)"hello", 5, UV_EINVALID, "not an ELF core");
    uint8_t *m = copy(core, len);
    put16(m + 16, 2); /* ET_EXEC */
    CHECK(!uv_elfcore_is(m, len));
    expect_error(m, len, UV_EINVALID, "not an ELF core");
    memcpy(m, core, len);
    m[5] = 2; /* big-endian: e_type reads as 0x0400 */
    CHECK(!uv_elfcore_is(m, len));
    put16(m + 16, 0x0400);
    CHECK(uv_elfcore_is(m, len));
    expect_error(m, len, UV_EUNSUPPORTED, "big-endian");
    memcpy(m, core, len);
    put16(m + 18, 40); /* EM_ARM */
    expect_error(m, len, UV_EUNSUPPORTED, "machine 40");

    memcpy(m, core, len);
    put16(m + 56, 0xfffe);
    expect_error(m, len, UV_ECORRUPT, "program header table");
    memcpy(m, core, len);
    put16(m + 56, 0xffff); /* PN_XNUM without section headers */
    expect_error(m, len, UV_ECORRUPT, "PN_XNUM");
    memcpy(m, core, len);
    put16(m + 54, 55);
    expect_error(m, len, UV_ECORRUPT, "e_phentsize");

    memcpy(m, core, len);
    put64(m + phoff + 8, len - 10); /* PT_NOTE offset near the end */
    expect_error(m, len, UV_ECORRUPT, "PT_NOTE segment 0");
    memcpy(m, core, len);
    put64(m + phoff + 32, UINT64_MAX); /* PT_NOTE size */
    expect_error(m, len, UV_ECORRUPT, "PT_NOTE segment 0");

    memcpy(m, core, len);
    put32(m + notes, 0xfffffff0); /* namesz of the first note */
    expect_error(m, len, UV_ECORRUPT, "namesz 4294967280");
    memcpy(m, core, len);
    put32(m + notes + 4, 0xffffffff); /* descsz */
    expect_error(m, len, UV_ECORRUPT, "descsz 4294967295");
    memcpy(m, core, len);
    put64(m + phoff + 32, 8); /* a segment too short for a note header */
    expect_error(m, len, UV_ECORRUPT, "header truncated");
    memcpy(m, core, len);
    put32(m + notes + 12 + 8 + 136 + 4, 100); /* the first NT_PRSTATUS made 100 bytes */
    expect_error(m, len, UV_ECORRUPT, "NT_PRSTATUS note at offset");

    /* NT_FILE: find it by its type, then lie about the count. */
    size_t file_at = 0;
    for (size_t at = notes; at + 12 <= len; at += 4)
        if (memcmp(m + at + 8, "ELIF", 4) == 0 && memcmp(m + at + 12, "CORE", 5) == 0) {
            file_at = at;
            break;
        }
    CHECK(file_at != 0);
    if (file_at) {
        size_t desc = file_at + 12 + 8;
        memcpy(m, core, len);
        put64(m + desc, (uint64_t)1 << 62); /* count × 24 overflows */
        expect_error(m, len, UV_ECORRUPT, "NT_FILE note at offset");
        memcpy(m, core, len);
        put64(m + desc, 0x0aaaaaaaaaaaaaab); /* count × 24 wraps to a small number */
        expect_error(m, len, UV_ECORRUPT, "mappings do not fit");
        memcpy(m, core, len);
        uint32_t descsz; /* more mappings than names */
        memcpy(&descsz, m + file_at + 4, 4);
        put64(m + desc, (descsz - 16) / 24);
        expect_error(m, len, UV_ECORRUPT, "not NUL-terminated");
        memcpy(m, core, len);
        put64(m + desc + 16 + 8, 0x100); /* mapping 0 ends before it starts */
        expect_error(m, len, UV_ECORRUPT, "mapping 0 ends");
    }

    /* Cut everywhere: an error or a dump, never a crash (memory may be cut short). */
    for (size_t cut = 0; cut < len; cut += cut < 1024 ? 1 : 61) {
        uint8_t *c = copy(core, cut);
        uv_dump *d = NULL;
        int rc = uv_elfcore_parse(&d, c, cut);
        if (rc == 0) {
            check_invariants(d, c, cut);
            uv_dump_free(d);
        } else {
            CHECK(d == NULL && uv_error_last()->message[0] != '\0');
        }
        free(c);
    }
    /* Byte flips over the headers and notes. */
    uint32_t seed = 12345;
    for (int round = 0; round < 3000; round++) {
        memcpy(m, core, len);
        for (int k = 0; k < 4; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % (notes + 2200);
            seed = seed * 1103515245u + 12345u;
            m[at] = (uint8_t)(seed >> 16);
        }
        uv_dump *d = NULL;
        if (uv_elfcore_parse(&d, m, len) == 0) {
            check_invariants(d, m, len);
            uv_dump_free(d);
        }
    }
    free(m);
    free(core);
}

/* More than 65534 segments: e_phnum is PN_XNUM and section header 0's sh_info has the count. */
TEST(pn_xnum)
{
    size_t len;
    uint8_t *core = synth_x86_64(&len);
    uint8_t *m = calloc(1, len + 64);
    memcpy(m, core, len);
    put64(m + 40, len);     /* e_shoff */
    put16(m + 56, 0xffff);  /* e_phnum = PN_XNUM */
    put32(m + len + 44, 5); /* sh_info */
    uv_dump *d = parse_ok(m, len + 64);
    if (d) {
        CHECK_INT(d->thread_count, 2);
        CHECK_INT(d->memory.count, 4);
        CHECK_INT(d->module_count, 3);
    }
    uv_dump_free(d);
    put16(m + 58, 40); /* e_shentsize */
    expect_error(m, len + 64, UV_ECORRUPT, "PN_XNUM");
    free(m);
    free(core);
}

/* ---- real cores from gdb ---------------------------------------------------------------- */

static void *blocked_thread(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static pthread_barrier_t crash_barrier;

static void *faulting_thread(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&crash_barrier);
    volatile uintptr_t where = 0x10; /* opaque to the compiler's bounds checks */
    *(volatile int *)where = 1;      /* SIGSEGV / SEGV_MAPERR at 0x10 */
    return NULL;
}

/* gdb's gcore dumps every private anonymous mapping unless it is marked MADV_DONTDUMP;
 * AddressSanitizer reserves terabytes for its allocator (its shadow is already marked), so
 * mark every anonymous mapping of 1 GiB or more before a core is taken. */
static void exclude_huge_mappings(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        unsigned long start, end, inode;
        char path[256] = "";
        if (sscanf(line, "%lx-%lx %*s %*s %*s %lu %255s", &start, &end, &inode, path) < 3) continue;
        if (inode != 0 || (path[0] && strncmp(path, "[anon", 5) != 0)) continue;
        if (end - start >= (1ul << 30)) madvise((void *)start, end - start, MADV_DONTDUMP);
    }
    fclose(f);
}

/* Threads with small stacks keep the cores small (gdb dumps whole stacks). */
static void start_threads(int count, void *(*fn)(void *))
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (int i = 0; i < count; i++) {
        pthread_t t;
        if (pthread_create(&t, &attr, fn, NULL) != 0) _exit(3);
    }
    pthread_attr_destroy(&attr);
}

/* Run under gdb by test_real_crash: three threads block, a fourth faults. */
static int crash_child(void)
{
    exclude_huge_mappings();
    pthread_barrier_init(&crash_barrier, NULL, 2);
    start_threads(3, blocked_thread);
    start_threads(1, faulting_thread);
    pthread_barrier_wait(&crash_barrier);
    for (int i = 0; i < 600; i++) /* the fault ends the process long before */
        sleep(1);
    return 1;
}

static void self_build_id(char *out)
{
    out[0] = '\0';
    size_t len;
    uint8_t *bytes = read_path(self_exe, &len);
    uv_elf *elf = NULL;
    if (bytes && uv_elf_open(&elf, bytes, len) == 0) uv_elf_build_id_hex(elf, out);
    uv_elf_free(elf);
    free(bytes);
}

/* Checks shared by the real cores: threads have a pc in a module and a readable sp. */
static void check_real_threads(const uv_dump *d)
{
    for (size_t i = 0; i < d->thread_count; i++) {
        const uv_regs *r = &d->threads[i].regs;
        int pc = uv_arch_pc(d->arch), sp = uv_arch_sp(d->arch);
        CHECK(uv_regs_has(r, pc) && uv_regs_has(r, sp));
        uint64_t word;
        CHECK(uv_memory_read_u64(&d->memory, r->r[sp], &word));
        CHECK(uv_dump_module_at(d, r->r[pc]) != NULL);
        CHECK(d->threads[i].stack_base != 0 && d->threads[i].stack_size != 0);
        for (size_t j = 0; j < i; j++)
            CHECK(d->threads[j].tid != d->threads[i].tid);
    }
}

TEST(real_live_process)
{
    if (!have_gdb) {
        printf("skip real_live_process: gdb/gcore not installed\n");
        return;
    }
    int ready[2];
    if (pipe(ready) != 0) {
        CHECK(!"pipe");
        return;
    }
    pid_t child = fork();
    if (child == 0) {
        close(ready[0]);
        exclude_huge_mappings();
        start_threads(3, blocked_thread);
        if (write(ready[1], "r", 1) != 1) _exit(2);
        for (;;)
            pause();
    }
    close(ready[1]);
    char byte;
    CHECK(read(ready[0], &byte, 1) == 1);
    close(ready[0]);
    char path[256];
    snprintf(path, sizeof path, "%s/live.%d", dir, (int)child);
    CHECK(run("gcore -o '%s/live' %d >/dev/null 2>&1", dir, (int)child));
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);

    size_t len;
    uint8_t *core = read_path(path, &len);
    CHECK(core != NULL);
    if (!core) return;
    uv_dump *d = parse_ok(core, len);
    if (d) {
        CHECK_INT(d->arch, UV_ARCH_X86_64);
        CHECK_INT(d->pid, child);
        CHECK(d->thread_count >= 4);
        bool has_main_thread = false;
        for (size_t i = 0; i < d->thread_count; i++)
            has_main_thread |= d->threads[i].tid == (uint32_t)child;
        CHECK(has_main_thread);
        check_real_threads(d);
        /* gcore of a running process: no thread stopped on a signal (gdb's own SIGSTOP is
         * in NT_SIGINFO but pr_cursig is 0), so no crash and the first thread. */
        CHECK(!d->crashed);
        CHECK_INT(d->crash_thread, 0);
        CHECK(d->memory.count > 0);

        const uv_dump_module *exe = find_module(d, self_exe);
        CHECK(exe != NULL);
        if (exe) {
            char expected[2 * UV_BUILD_ID_MAX + 1];
            self_build_id(expected);
            CHECK(expected[0] != '\0');
            CHECK_STR(exe->build_id, expected);
            CHECK(exe->main && exe == &d->modules[0]);
        }
        const uv_dump_module *libc = find_module_suffix(d, "/libc.so.6");
        CHECK(libc != NULL);
        if (libc) CHECK(strlen(libc->build_id) == 40);
        const uv_dump_module *vdso = find_module(d, "linux-vdso.so.1");
        CHECK(vdso != NULL);
        if (vdso) CHECK(vdso->build_id[0] != '\0');
        printf("     live gcore: %zu threads, %zu modules, %zu regions, %zu bytes\n",
               d->thread_count, d->module_count, d->memory.count, len);
    }
    uv_dump_free(d);
    free(core);
}

TEST(real_crash)
{
    if (!have_gdb) {
        printf("skip real_crash: gdb not installed\n");
        return;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/crash.core", dir);
    CHECK(run("gdb -nx -batch -ex run -ex 'gcore %s' --args '%s' --crash-child "
              ">/dev/null 2>&1 </dev/null",
              path, self_exe));
    size_t len;
    uint8_t *core = read_path(path, &len);
    CHECK(core != NULL);
    if (!core) return;
    uv_dump *d = parse_ok(core, len);
    if (d) {
        CHECK(d->thread_count >= 5);
        check_real_threads(d);
        CHECK(d->crashed);
        CHECK_INT(d->crash_signal, 11);
        CHECK_INT(d->crash_code, 1);
        CHECK_INT(d->crash_address, 0x10);
        CHECK_VIEW(d->crash_reason, "SIGSEGV /SEGV_MAPERR");
        /* gdb sets pr_cursig in every thread and writes the faulting one first. */
        CHECK(d->crash_thread < d->thread_count);
        if (d->crash_thread < d->thread_count) {
            CHECK(d->crash_tid != d->pid);
            CHECK_INT(d->threads[d->crash_thread].tid, d->crash_tid);
            const uv_regs *r = &d->threads[d->crash_thread].regs;
            const uv_dump_module *m = uv_dump_module_at(d, r->r[16]);
            CHECK(m && uv_str_eq_c(m->path, self_exe) && m->main);
        }
    }
    uv_dump_free(d);
    free(core);
}

TEST(real_kill_segv)
{
    if (!have_gdb) {
        printf("skip real_kill_segv: gdb not installed\n");
        return;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/sh.core", dir);
    CHECK(run("gdb -nx -batch -ex run -ex 'gcore %s' --args /bin/sh -c 'kill -SEGV $$' "
              ">/dev/null 2>&1 </dev/null",
              path));
    size_t len;
    uint8_t *core = read_path(path, &len);
    CHECK(core != NULL);
    if (!core) return;
    uv_dump *d = parse_ok(core, len);
    if (d) {
        CHECK_INT(d->thread_count, 1);
        check_real_threads(d);
        CHECK(d->crashed);
        CHECK_INT(d->crash_signal, 11);
        CHECK_INT(d->crash_code, 0); /* SI_USER */
        CHECK_INT(d->crash_address, 0);
        CHECK(uv_str_starts_with(d->crash_reason, "SIGSEGV"));
        CHECK_VIEW(d->crash_reason, "SIGSEGV /0x00000000");
        CHECK_INT(d->crash_tid, d->pid);
        CHECK(d->modules[0].main);
        CHECK(find_module_suffix(d, "/libc.so.6") != NULL);
    }
    uv_dump_free(d);
    free(core);
}

/* ---- fuzzing seeds ---------------------------------------------------------------------- */

/* The SIGSEGV core cut down to its CORE notes, the first page of each module and the page at
 * each thread's stack pointer. */
static uint8_t *slim_core(const uint8_t *core, size_t len, size_t *out_len)
{
    uv_dump *d = NULL;
    if (uv_elfcore_parse(&d, core, len) != 0) return NULL;
    enum { MAX_NOTES = 64, MAX_LOADS = 32 };
    tnote notes[MAX_NOTES];
    tload loads[MAX_LOADS];
    uint8_t pages[MAX_LOADS][4096];
    size_t note_count = 0, load_count = 0;
    /* Notes straight from the file's PT_NOTE segments. */
    uint64_t phoff, phnum = core[56] | core[57] << 8;
    memcpy(&phoff, core + 32, 8);
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *h = core + phoff + i * 56;
        uint64_t off, size;
        memcpy(&off, h + 8, 8);
        memcpy(&size, h + 32, 8);
        if (h[0] != 4) continue;
        for (uint64_t at = off; at + 12 <= off + size && note_count < MAX_NOTES;) {
            uint32_t namesz, descsz, type;
            memcpy(&namesz, core + at, 4);
            memcpy(&descsz, core + at + 4, 4);
            memcpy(&type, core + at + 8, 4);
            const char *name = (const char *)core + at + 12;
            const uint8_t *desc = core + at + 12 + ((namesz + 3) & ~3u);
            if (namesz == 5 && memcmp(name, "CORE", 5) == 0 && type != 2)
                notes[note_count++] = (tnote){"CORE", type, desc, descsz};
            at += 12 + ((namesz + 3) & ~3u) + ((descsz + 3) & ~3u);
        }
    }
    /* The first page of the executable, libc and the vDSO; the stack page of two threads. */
    uint64_t want[MAX_LOADS];
    size_t want_count = 0;
    for (size_t i = 0; i < d->module_count && want_count < MAX_LOADS; i++) {
        const uv_dump_module *m = &d->modules[i];
        uv_str name = m->debug_file;
        if (m->main || uv_str_eq_c(name, "libc.so.6") || uv_str_eq_c(name, "linux-vdso.so.1"))
            want[want_count++] = m->base;
    }
    for (size_t i = 0; i < d->thread_count && i < 2 && want_count < MAX_LOADS; i++)
        want[want_count++] = d->threads[i].regs.r[uv_arch_sp(d->arch)] & ~(uint64_t)4095;
    for (size_t i = 0; i < want_count; i++) {
        if (!uv_memory_read(&d->memory, want[i], pages[load_count], 4096)) continue;
        loads[load_count] = (tload){want[i], pages[load_count], 4096};
        load_count++;
    }
    uint8_t *out =
        build_core(true, core[18] | core[19] << 8, notes, note_count, loads, load_count, out_len);
    uv_dump_free(d);
    return out;
}

static int write_seeds(const char *seed_dir)
{
    struct {
        const char *name;
        uint8_t *(*make)(size_t *);
    } synth[] = {{"x86_64-two-threads", synth_x86_64},
                 {"arm64-segv", synth_arm64},
                 {"i386-fpe", synth_i386}};
    char path[512];
    for (size_t i = 0; i < sizeof synth / sizeof *synth; i++) {
        size_t len;
        uint8_t *core = synth[i].make(&len);
        snprintf(path, sizeof path, "%s/%s", seed_dir, synth[i].name);
        if (!write_path(path, core, len)) return 1;
        free(core);
    }
    size_t len;
    uint8_t *core = synth_signal(6, -6, 0, false, &len);
    snprintf(path, sizeof path, "%s/abort-no-siginfo", seed_dir);
    if (!write_path(path, core, len)) return 1;
    free(core);

    /* A real gcore of this test faulting under gdb, slimmed. */
    snprintf(path, sizeof path, "%s/real.core", dir);
    if (!run("gdb -nx -batch -ex run -ex 'gcore %s' --args '%s' --crash-child "
             ">/dev/null 2>&1 </dev/null",
             path, self_exe))
        return 1;
    core = read_path(path, &len);
    size_t slim_len;
    uint8_t *slim = core ? slim_core(core, len, &slim_len) : NULL;
    if (!slim) return 1;
    snprintf(path, sizeof path, "%s/gcore-segv-slim", seed_dir);
    if (!write_path(path, slim, slim_len)) return 1;
    printf("wrote %s (%zu bytes)\n", path, slim_len);
    free(slim);
    free(core);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--crash-child") == 0) return crash_child();
    struct rlimit limit = {FILE_SIZE_LIMIT, FILE_SIZE_LIMIT};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) {
        perror("setrlimit");
        return 1;
    }
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (n <= 0) {
        perror("readlink /proc/self/exe");
        return 1;
    }
    self_exe[n] = '\0';
    snprintf(dir, sizeof dir, "/tmp/uv-elfcore-test-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    have_gdb = system("command -v gdb >/dev/null 2>&1 && command -v gcore >/dev/null 2>&1") == 0;

    int rc;
    if (argc > 2 && strcmp(argv[1], "--write-seeds") == 0) {
        rc = write_seeds(argv[2]);
    } else {
        RUN(x86_64_synthetic);
        RUN(arm64_synthetic);
        RUN(i386_synthetic);
        RUN(crash_reasons);
        RUN(damaged);
        RUN(pn_xnum);
        RUN(real_live_process);
        RUN(real_crash);
        RUN(real_kill_segv);
        rc = -1;
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    if (rc >= 0) return rc;
    TEST_MAIN_END();
}
