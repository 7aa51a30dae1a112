/* Linux ELF core files (see elfcore.h), parsed from the raw bytes with every offset checked.
 *
 * Layout reminders (little-endian; "word" is 8 bytes in ELFCLASS64 cores, 4 in ELFCLASS32):
 *   ELF header:   e_type 4 = ET_CORE; program headers at e_phoff (e_phnum PN_XNUM: the count
 *                 is section 0's sh_info). PT_LOAD: p_filesz bytes at p_offset are the memory
 *                 at p_vaddr (the kernel writes 0 for what it did not dump); PT_NOTE: notes.
 *   note:         namesz, descsz, type (3 × 4 bytes), name and desc each padded to 4 bytes
 *                 (8 in a segment with p_align 8). Core notes are named "CORE" (or "LINUX"
 *                 for register sets we ignore, "GDB" for gdb's target description).
 *   NT_PRSTATUS:  elf_siginfo {si_signo, si_code, si_errno}, short pr_cursig, pr_sigpend,
 *                 pr_sighold (words), pr_pid (the thread id), ppid, pgrp, sid, four timevals,
 *                 then pr_reg (user_regs_struct) at 112 (64-bit) or 72 (i386).
 *                 x86-64 pr_reg: r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi
 *                 orig_rax rip cs eflags rsp ss fs_base gs_base ds es fs gs (27 × 8).
 *                 i386 pr_reg: ebx ecx edx esi edi ebp eax ds es fs gs orig_eax eip cs eflags
 *                 esp ss (17 × 4). arm64 pr_reg: x0..x30 sp pc pstate (34 × 8).
 *   NT_PRPSINFO:  ... pr_pid, ppid, pgrp, sid (4 × 4), pr_fname[16], pr_psargs[80] at the end
 *                 (136 bytes on 64-bit, 124 on i386 whose uid_t is 16 bits).
 *   NT_SIGINFO:   siginfo_t: si_signo, si_errno, si_code (3 × 4), then the union (at 16 on
 *                 64-bit, 12 on 32-bit) whose first field is si_addr for fault signals.
 *   NT_AUXV:      (type, value) word pairs up to AT_NULL; AT_ENTRY 9, AT_SYSINFO_EHDR 33.
 *   NT_FILE:      count, page size, count × (start, end, file offset in pages) words, then
 *                 count NUL-terminated paths.
 *
 * Who wrote the core matters for the signal. The kernel writes one NT_SIGINFO after the first
 * (crashing) thread's NT_PRSTATUS and sets pr_cursig to the signal in every thread. gdb's
 * gcore writes an NT_SIGINFO after each thread's NT_PRSTATUS; when the process stopped on a
 * signal it sets pr_cursig in every thread, writes the faulting thread first and gives the
 * others the SIGSTOP it stopped them with in their NT_SIGINFO; for a process it attached to,
 * pr_cursig is 0 everywhere. So an NT_SIGINFO belongs to the NT_PRSTATUS before it, and the
 * crashing thread is the first with a non-zero pr_cursig, preferring one whose NT_SIGINFO
 * holds that signal.
 *
 * Ownership: module paths and memory regions point into the caller's bytes; everything else
 * (the dump itself included) lives in the dump's arena. */
#include "formats/elfcore.h"

#include "formats/elf.h"
#include "formats/error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ET_CORE_TYPE 4
#define EM_386_MACHINE 3
#define EM_X86_64_MACHINE 62
#define EM_AARCH64_MACHINE 183
#define PT_LOAD_TYPE 1
#define PT_NOTE_TYPE 4
#define PN_XNUM_COUNT 0xffff

#define NT_PRSTATUS_TYPE 1
#define NT_PRPSINFO_TYPE 3
#define NT_AUXV_TYPE 6
#define NT_SIGINFO_TYPE 0x53494749u
#define NT_FILE_TYPE 0x46494c45u
#define NT_GNU_BUILD_ID_TYPE 3

#define AT_NULL_TYPE 0
#define AT_ENTRY_TYPE 9
#define AT_SYSINFO_EHDR_TYPE 33

/* A module's ELF headers are read from the dumped memory: real files have about a dozen
 * program headers and a few hundred bytes of notes, so these bound what a lying header in
 * the dump can make us read. */
#define MODULE_MAX_PHDRS 512
#define MODULE_MAX_NOTE_BYTES ((uint64_t)1 << 16)

typedef struct {
    const uint8_t *bytes;
    size_t len;
    bool is_64;
    unsigned word; /* 4 or 8 */
    uv_arch arch;
    uint64_t phoff, phnum;
    uv_arena *arena;
    uv_dump *dump;
} core;

typedef struct {
    uint32_t type;
    uv_str name; /* without its trailing NULs */
    const uint8_t *desc;
    size_t descsz;
    uint64_t offset; /* of the note header in the file */
} note;

typedef struct {
    size_t segment; /* program header index */
    uint64_t start, end, pos;
    uint64_t align;
    size_t index; /* of the next note within the segment */
} note_iter;

typedef struct {
    uint64_t start, end, pgoff;
    uv_str path;
} file_mapping;

/* ---- little-endian fields -------------------------------------------------------------- */

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p + 4) << 32 | get32(p);
}

static uint64_t get_word(const core *c, const uint8_t *p)
{
    return c->is_64 ? get64(p) : get32(p);
}

static bool in_bounds(uint64_t offset, uint64_t size, size_t len)
{
    return offset <= len && size <= len - offset;
}

static int corrupt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int corrupt(const char *fmt, ...)
{
    char message[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0, "ELF core: %s", message);
}

/* ---- ELF header and program headers ----------------------------------------------------- */

bool uv_elfcore_is(const void *bytes, size_t len)
{
    const uint8_t *p = bytes;
    if (!p || len < 20 ||
        memcmp(p,
               "\x7f"
               "ELF",
               4) != 0)
        return false;
    if (p[5] == 1) return get16(p + 16) == ET_CORE_TYPE;
    if (p[5] == 2) return (p[16] << 8 | p[17]) == ET_CORE_TYPE;
    return false;
}

static int read_header(core *c)
{
    const uint8_t *p = c->bytes;
    if (!uv_elfcore_is(p, c->len))
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "not an ELF core file");
    if (p[4] != 1 && p[4] != 2) return corrupt("ELF header: unknown class %u (EI_CLASS)", p[4]);
    if (p[5] != 1)
        return uv_error_set(UV_EUNSUPPORTED, UV_LIB_NONE, 0,
                            "ELF core: big-endian cores are not supported");
    c->is_64 = p[4] == 2;
    c->word = c->is_64 ? 8 : 4;
    size_t ehdr_size = c->is_64 ? 64 : 52;
    if (c->len < ehdr_size)
        return corrupt("ELF header: file is %zu bytes, the header needs %zu", c->len, ehdr_size);
    uint16_t machine = get16(p + 18);
    if (machine == EM_X86_64_MACHINE && c->is_64)
        c->arch = UV_ARCH_X86_64;
    else if (machine == EM_AARCH64_MACHINE && c->is_64)
        c->arch = UV_ARCH_ARM64;
    else if (machine == EM_386_MACHINE && !c->is_64)
        c->arch = UV_ARCH_X86;
    else
        return uv_error_set(UV_EUNSUPPORTED, UV_LIB_NONE, 0,
                            "ELF core: machine %u in a %d-bit core is not supported (x86-64, "
                            "arm64 and i386 are)",
                            machine, c->is_64 ? 64 : 32);

    uint64_t shoff;
    uint16_t phentsize, phnum, shentsize;
    if (c->is_64) {
        c->phoff = get64(p + 32);
        shoff = get64(p + 40);
        phentsize = get16(p + 54);
        phnum = get16(p + 56);
        shentsize = get16(p + 58);
    } else {
        c->phoff = get32(p + 28);
        shoff = get32(p + 32);
        phentsize = get16(p + 42);
        phnum = get16(p + 44);
        shentsize = get16(p + 46);
    }
    c->phnum = phnum;
    if (phnum == PN_XNUM_COUNT) { /* more than 65534 segments: the count is in sh_info */
        size_t shdr_size = c->is_64 ? 64 : 40;
        if (shoff == 0 || shentsize != shdr_size || !in_bounds(shoff, shdr_size, c->len))
            return corrupt("ELF header: e_phnum is PN_XNUM but section header 0 at offset "
                           "%llu is missing or out of the file (%zu bytes)",
                           (unsigned long long)shoff, c->len);
        c->phnum = get32(p + shoff + (c->is_64 ? 44 : 28));
    }
    size_t phdr_size = c->is_64 ? 56 : 32;
    if (c->phnum == 0) return corrupt("ELF header: no program headers (e_phnum 0)");
    if (phentsize != phdr_size)
        return corrupt("ELF header: e_phentsize is %u, expected %zu", phentsize, phdr_size);
    uint64_t table;
    if (__builtin_mul_overflow(c->phnum, (uint64_t)phdr_size, &table) ||
        !in_bounds(c->phoff, table, c->len))
        return corrupt("program header table at offset %llu (%llu entries) ends past the end "
                       "of the file (%zu bytes)",
                       (unsigned long long)c->phoff, (unsigned long long)c->phnum, c->len);
    return 0;
}

typedef struct {
    uint32_t type, flags;
    uint64_t offset, vaddr, filesz, memsz, align;
} phdr;

static phdr read_phdr(const core *c, uint64_t index)
{
    const uint8_t *p = c->bytes + c->phoff + index * (c->is_64 ? 56 : 32);
    phdr h;
    h.type = get32(p);
    if (c->is_64) {
        h.flags = get32(p + 4);
        h.offset = get64(p + 8);
        h.vaddr = get64(p + 16);
        h.filesz = get64(p + 32);
        h.memsz = get64(p + 40);
        h.align = get64(p + 48);
    } else {
        h.offset = get32(p + 4);
        h.vaddr = get32(p + 8);
        h.filesz = get32(p + 16);
        h.memsz = get32(p + 20);
        h.flags = get32(p + 24);
        h.align = get32(p + 28);
    }
    return h;
}

/* ---- notes -------------------------------------------------------------------------------- */

/* Starts at the first PT_NOTE segment at or after `segment`: 1 found, 0 none left, < 0 error
 * (a segment outside the file). */
static int note_segment(const core *c, note_iter *it, uint64_t segment)
{
    for (; segment < c->phnum; segment++) {
        phdr h = read_phdr(c, segment);
        if (h.type != PT_NOTE_TYPE) continue;
        if (!in_bounds(h.offset, h.filesz, c->len))
            return corrupt("PT_NOTE segment %llu at offset %llu (%llu bytes) ends past the end "
                           "of the file (%zu bytes)",
                           (unsigned long long)segment, (unsigned long long)h.offset,
                           (unsigned long long)h.filesz, c->len);
        it->segment = (size_t)segment;
        it->start = it->pos = h.offset;
        it->end = h.offset + h.filesz;
        it->align = h.align == 8 ? 8 : 4;
        it->index = 0;
        return 1;
    }
    return 0;
}

static int note_first(const core *c, note_iter *it)
{
    return note_segment(c, it, 0);
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) return false;
    return true;
}

/* The next note of any PT_NOTE segment: 1 and *out, 0 at the end, < 0 on a damaged note. */
static int note_next(const core *c, note_iter *it, note *out)
{
    for (;;) {
        uint64_t left = it->end - it->pos;
        if (left == 0 || (left < 12 && all_zero(c->bytes + it->pos, (size_t)left))) {
            int rc = note_segment(c, it, (uint64_t)it->segment + 1);
            if (rc <= 0) return rc;
            continue;
        }
        uint64_t at = it->pos;
        if (left < 12)
            return corrupt("PT_NOTE segment %zu: note %zu at offset %llu: header truncated "
                           "(%llu bytes left)",
                           it->segment, it->index, (unsigned long long)at,
                           (unsigned long long)left);
        const uint8_t *h = c->bytes + at;
        uint64_t namesz = get32(h), descsz = get32(h + 4);
        uint64_t mask = it->align - 1;
        uint64_t name_at = at + 12;
        uint64_t desc_at = name_at + ((namesz + mask) & ~mask);
        if (namesz > it->end - name_at || desc_at > it->end)
            return corrupt("PT_NOTE segment %zu: note %zu at offset %llu: namesz %llu runs past "
                           "the segment end (offset %llu)",
                           it->segment, it->index, (unsigned long long)at,
                           (unsigned long long)namesz, (unsigned long long)it->end);
        if (descsz > it->end - desc_at)
            return corrupt("PT_NOTE segment %zu: note %zu at offset %llu: descsz %llu runs past "
                           "the segment end (offset %llu)",
                           it->segment, it->index, (unsigned long long)at,
                           (unsigned long long)descsz, (unsigned long long)it->end);
        uint64_t padded = (descsz + mask) & ~mask;
        it->pos = padded > it->end - desc_at ? it->end : desc_at + padded;
        it->index++;

        size_t name_len = (size_t)namesz;
        while (name_len > 0 && c->bytes[name_at + name_len - 1] == '\0')
            name_len--;
        out->type = get32(h + 8);
        out->name = (uv_str){(const char *)c->bytes + name_at, name_len};
        out->desc = c->bytes + desc_at;
        out->descsz = (size_t)descsz;
        out->offset = at;
        return 1;
    }
}

static bool is_core_note(const note *n, uint32_t type)
{
    return n->type == type && uv_str_eq_c(n->name, "CORE");
}

/* ---- threads ------------------------------------------------------------------------------ */

static size_t prstatus_size(const core *c)
{
    switch (c->arch) {
    case UV_ARCH_X86_64:
        return 112 + 27 * 8;
    case UV_ARCH_ARM64:
        return 112 + 34 * 8;
    default:
        return 72 + 17 * 4;
    }
}

static void read_registers(const core *c, const uint8_t *desc, uv_regs *regs)
{
    memset(regs, 0, sizeof *regs);
    regs->arch = c->arch;
    if (c->arch == UV_ARCH_X86_64) {
        /* DWARF number → index in user_regs_struct */
        static const uint8_t from[17] = {10, 12, 11, 5, 13, 14, 4, 19, 9, 8, 7, 6, 3, 2, 1, 0, 16};
        for (int i = 0; i < 17; i++)
            uv_regs_set(regs, i, get64(desc + 112 + 8 * from[i]));
    } else if (c->arch == UV_ARCH_ARM64) {
        for (int i = 0; i < 33; i++) /* x0..x30, sp, pc */
            uv_regs_set(regs, i, get64(desc + 112 + 8 * i));
    } else {
        static const uint8_t from[10] = {6, 1, 2, 0, 15, 5, 3, 4, 12, 14};
        for (int i = 0; i < 10; i++)
            uv_regs_set(regs, i, get32(desc + 72 + 4 * from[i]));
    }
}

typedef struct {
    int cursig;
    uint32_t info_signo, info_code; /* pr_info */
    bool has_siginfo;
    note siginfo; /* the NT_SIGINFO after this thread's NT_PRSTATUS */
} thread_signal;

/* ---- crash reason ------------------------------------------------------------------------- */

/* Breakpad's spelling (uv_linux_signal_reason), and "0xSIGNAL / 0xCODE" for signals it does
 * not know. */
static void crash_reason(char *out, size_t size, uint32_t signo, uint32_t code)
{
    if (!uv_linux_signal_reason(out, size, signo, code))
        snprintf(out, size, "0x%08x / 0x%08x", signo, code);
}

static bool is_fault_signal(uint32_t signo)
{
    /* SIGILL SIGTRAP SIGBUS SIGFPE SIGSEGV SIGSYS: si_addr is meaningful when the kernel sent
     * it (si_code > 0); for kill()/tgkill() the union holds the sender's pid and uid. */
    return signo == 4 || signo == 5 || signo == 7 || signo == 8 || signo == 11 || signo == 31;
}

static int set_crash(core *c, const thread_signal *signals)
{
    uv_dump *d = c->dump;
    d->crash_thread = d->thread_count > 0 ? 0 : SIZE_MAX;
    /* The first thread with a signal; when several have one (the kernel and gdb copy it to
     * every thread) the first whose own NT_SIGINFO is that signal (gdb gives the others the
     * SIGSTOP it stopped them with). */
    size_t crashed = SIZE_MAX;
    for (size_t i = 0; i < d->thread_count; i++) {
        const thread_signal *s = &signals[i];
        if (s->cursig == 0) continue;
        if (crashed == SIZE_MAX) crashed = i;
        if (s->has_siginfo && get32(s->siginfo.desc) == (uint32_t)s->cursig) {
            crashed = i;
            break;
        }
    }
    if (d->thread_count > 0) d->crash_tid = d->threads[0].tid;
    if (crashed == SIZE_MAX) return 0;

    const thread_signal *s = &signals[crashed];
    uint32_t signo = (uint32_t)s->cursig, code = 0;
    uint64_t address = 0;
    if (s->has_siginfo && get32(s->siginfo.desc) == signo) {
        const uint8_t *info = s->siginfo.desc;
        code = get32(info + 8);
        if (is_fault_signal(signo) && (int32_t)code > 0)
            address = get_word(c, info + (c->is_64 ? 16 : 12));
    } else if (s->info_signo == signo) {
        code = s->info_code;
    }
    d->crashed = true;
    d->crash_thread = crashed;
    d->crash_tid = d->threads[crashed].tid;
    d->crash_signal = signo;
    d->crash_code = code;
    d->crash_address = address;
    char reason[64];
    crash_reason(reason, sizeof reason, signo, code);
    char *text = uv_arena_strndup(c->arena, reason, strlen(reason));
    if (!text) return UV_ENOMEM;
    d->crash_reason = (uv_str){text, strlen(text)};
    return 0;
}

/* ---- modules ------------------------------------------------------------------------------ */

static int compare_mapping(const void *a, const void *b)
{
    const file_mapping *x = a, *y = b;
    size_t n = x->path.len < y->path.len ? x->path.len : y->path.len;
    int r = n ? memcmp(x->path.ptr, y->path.ptr, n) : 0;
    if (r != 0) return r;
    if (x->path.len != y->path.len) return x->path.len < y->path.len ? -1 : 1;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int read_nt_file(core *c, const note *n, file_mapping **out, size_t *out_count)
{
    size_t w = c->word;
    if (n->descsz < 2 * w)
        return corrupt("NT_FILE note at offset %llu: %zu bytes, too short for its header",
                       (unsigned long long)n->offset, n->descsz);
    uint64_t count = get_word(c, n->desc);
    uint64_t table;
    if (__builtin_mul_overflow(count, (uint64_t)(3 * w), &table) || table > n->descsz - 2 * w)
        return corrupt("NT_FILE note at offset %llu: %llu mappings do not fit in its %zu bytes",
                       (unsigned long long)n->offset, (unsigned long long)count, n->descsz);
    file_mapping *maps = uv_arena_calloc(c->arena, count ? (size_t)count : 1, sizeof *maps);
    if (!maps) return UV_ENOMEM;
    const uint8_t *entry = n->desc + 2 * w;
    const char *names = (const char *)entry + table;
    const char *end = (const char *)n->desc + n->descsz;
    for (size_t i = 0; i < count; i++, entry += 3 * w) {
        maps[i].start = get_word(c, entry);
        maps[i].end = get_word(c, entry + w);
        maps[i].pgoff = get_word(c, entry + 2 * w);
        if (maps[i].end < maps[i].start)
            return corrupt("NT_FILE note at offset %llu: mapping %zu ends (0x%llx) before it "
                           "starts (0x%llx)",
                           (unsigned long long)n->offset, i, (unsigned long long)maps[i].end,
                           (unsigned long long)maps[i].start);
        const char *nul = names < end ? memchr(names, '\0', (size_t)(end - names)) : NULL;
        if (!nul)
            return corrupt("NT_FILE note at offset %llu: the name of mapping %zu is missing or "
                           "not NUL-terminated",
                           (unsigned long long)n->offset, i);
        maps[i].path = (uv_str){names, (size_t)(nul - names)};
        names = nul + 1;
    }
    *out = maps;
    *out_count = (size_t)count;
    return 0;
}

/* Files that are mapped but hold no code: devices and System V shared memory. */
static bool is_data_file(uv_str path)
{
    return path.len == 0 || path.ptr[0] != '/' || uv_str_starts_with(path, "/dev/") ||
           uv_str_starts_with(path, "/SYSV");
}

/* Whether the memory at addr, when the dump holds it, starts with an ELF header: 1 yes, 0 no,
 * -1 unknown (not in the dump). */
static int elf_magic_at(const uv_memory *mem, uint64_t addr)
{
    uint8_t magic[4];
    if (!uv_memory_read(mem, addr, magic, 4)) return -1;
    return memcmp(magic,
                  "\x7f"
                  "ELF",
                  4) == 0;
}

static void hex(char *out, const uint8_t *bytes, size_t len, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * len] = '\0';
}

/* Looks for NT_GNU_BUILD_ID in a note segment of `size` bytes at `addr` in the dump. */
static bool build_id_in_notes(const uv_memory *mem, uint64_t addr, uint64_t size, uint64_t align,
                              uv_dump_module *m)
{
    uint64_t mask = align == 8 ? 7 : 3;
    uint64_t pos = 0;
    while (size - pos >= 12) {
        uint8_t h[12];
        if (addr + pos < addr || !uv_memory_read(mem, addr + pos, h, 12)) return false;
        uint64_t namesz = get32(h), descsz = get32(h + 4);
        uint64_t name_at = pos + 12;
        uint64_t desc_at = name_at + ((namesz + mask) & ~mask);
        if (desc_at > size || descsz > size - desc_at) return false;
        if (get32(h + 8) == NT_GNU_BUILD_ID_TYPE && namesz == 4 && descsz > 0 &&
            descsz <= UV_BUILD_ID_MAX) {
            uint8_t name[4], id[UV_BUILD_ID_MAX];
            if (uv_memory_read(mem, addr + name_at, name, 4) && memcmp(name, "GNU", 4) == 0 &&
                uv_memory_read(mem, addr + desc_at, id, (size_t)descsz)) {
                hex(m->build_id, id, (size_t)descsz, false);
                hex(m->code_id, id, (size_t)descsz, true);
                char uuid[UV_DEBUG_ID_UUID_LEN];
                uv_debug_id_from_build_id(id, (size_t)descsz, uuid, m->debug_id);
                return true;
            }
        }
        pos = desc_at + ((descsz + mask) & ~mask);
    }
    return false;
}

/* Reads the module's ELF header and program headers from the dump: the build-id from its
 * notes and, in *span, the bytes its PT_LOAD segments cover (0 when unknown). `first_len` is
 * how many bytes of the file are mapped linearly at `base` (its mapping at file offset 0). */
static void read_module_image(const core *c, uv_dump_module *m, uint64_t first_len, uint64_t *span)
{
    const uv_memory *mem = &c->dump->memory;
    uint64_t base = m->base;
    *span = 0;
    uint8_t eh[64];
    size_t ehdr_size = c->is_64 ? 64 : 52;
    if (!uv_memory_read(mem, base, eh, ehdr_size)) return;
    if (memcmp(eh,
               "\x7f"
               "ELF",
               4) != 0 ||
        eh[4] != (c->is_64 ? 2 : 1) || eh[5] != 1)
        return;
    uint64_t phoff = c->is_64 ? get64(eh + 32) : get32(eh + 28);
    uint16_t phentsize = get16(eh + (c->is_64 ? 54 : 42));
    uint16_t phnum = get16(eh + (c->is_64 ? 56 : 44));
    size_t phdr_size = c->is_64 ? 56 : 32;
    if (phentsize != phdr_size || phnum == 0 || phnum > MODULE_MAX_PHDRS) return;
    uint64_t table_end;
    if (__builtin_add_overflow(base, phoff, &table_end) ||
        __builtin_add_overflow(table_end, (uint64_t)phnum * phdr_size, &table_end))
        return;

    /* The bias maps the lowest PT_LOAD (whose file offset 0 sits at base) to memory. */
    bool have_load = false;
    uint64_t load_lo = UINT64_MAX, load_hi = 0, link_base = 0;
    for (uint16_t i = 0; i < phnum; i++) {
        uint8_t ph[56];
        if (!uv_memory_read(mem, base + phoff + (uint64_t)i * phdr_size, ph, phdr_size)) return;
        uint32_t type = get32(ph);
        if (type != PT_LOAD_TYPE) continue;
        uint64_t offset = c->is_64 ? get64(ph + 8) : get32(ph + 4);
        uint64_t vaddr = c->is_64 ? get64(ph + 16) : get32(ph + 8);
        uint64_t memsz = c->is_64 ? get64(ph + 40) : get32(ph + 20);
        if (vaddr < load_lo) {
            load_lo = vaddr;
            link_base = vaddr >= offset ? vaddr - offset : vaddr;
        }
        if (vaddr + memsz >= vaddr && vaddr + memsz > load_hi) load_hi = vaddr + memsz;
        have_load = true;
    }
    if (have_load && load_hi > link_base) *span = ((load_hi - link_base) + 4095) & ~(uint64_t)4095;

    for (uint16_t i = 0; i < phnum; i++) {
        uint8_t ph[56];
        if (!uv_memory_read(mem, base + phoff + (uint64_t)i * phdr_size, ph, phdr_size)) return;
        if (get32(ph) != PT_NOTE_TYPE) continue;
        uint64_t offset = c->is_64 ? get64(ph + 8) : get32(ph + 4);
        uint64_t vaddr = c->is_64 ? get64(ph + 16) : get32(ph + 8);
        uint64_t filesz = c->is_64 ? get64(ph + 32) : get32(ph + 16);
        uint64_t align = c->is_64 ? get64(ph + 48) : get32(ph + 28);
        if (filesz > MODULE_MAX_NOTE_BYTES) continue;
        uint64_t addr;
        if (offset <= first_len && filesz <= first_len - offset)
            addr = base + offset; /* inside the mapping of file offset 0 */
        else if (have_load && vaddr >= link_base && vaddr - link_base <= UINT64_MAX - base)
            addr = base + (vaddr - link_base);
        else
            continue;
        if (build_id_in_notes(mem, addr, filesz, align, m)) return;
    }
}

static uv_str base_name(uv_str path)
{
    size_t i = path.len;
    while (i > 0 && path.ptr[i - 1] != '/')
        i--;
    return (uv_str){path.ptr + i, path.len - i};
}

static int compare_module(const void *a, const void *b)
{
    const uv_dump_module *x = a, *y = b;
    return x->base < y->base ? -1 : x->base > y->base;
}

typedef struct {
    uint64_t entry, sysinfo_ehdr;
    bool have_entry, have_sysinfo;
} auxv_info;

static int build_modules(core *c, const file_mapping *maps, size_t map_count, const auxv_info *auxv)
{
    uv_dump *d = c->dump;
    size_t cap = map_count + 1; /* + the vDSO */
    uv_dump_module *modules = uv_arena_calloc(c->arena, cap, sizeof *modules);
    uint64_t *first_len = uv_arena_calloc(c->arena, cap, sizeof *first_len);
    file_mapping *sorted = uv_arena_calloc(c->arena, map_count ? map_count : 1, sizeof *sorted);
    if (!modules || !first_len || !sorted) return UV_ENOMEM;
    if (map_count) memcpy(sorted, maps, map_count * sizeof *maps);
    qsort(sorted, map_count, sizeof *sorted, compare_mapping);

    /* One module per path: its mapping at file offset 0 (the first one followed by more
     * mappings of the file, i.e. a loaded image rather than the file mapped as data, else
     * the first), up to the end of the file's last mapping before its next offset-0 one. */
    size_t count = 0;
    for (size_t i = 0; i < map_count;) {
        size_t group_end = i;
        while (group_end < map_count && uv_str_eq(sorted[group_end].path, sorted[i].path))
            group_end++;
        size_t chosen = SIZE_MAX;
        uint64_t chosen_end = 0;
        bool chosen_loaded = false;
        if (!is_data_file(sorted[i].path)) {
            for (size_t j = i; j < group_end; j++) {
                if (sorted[j].pgoff != 0) continue;
                if (elf_magic_at(&d->memory, sorted[j].start) == 0) continue;
                uint64_t end = sorted[j].end;
                size_t k = j + 1;
                for (; k < group_end && sorted[k].pgoff != 0; k++)
                    if (sorted[k].end > end) end = sorted[k].end;
                bool loaded = k > j + 1;
                if (chosen == SIZE_MAX || (loaded && !chosen_loaded)) {
                    chosen = j;
                    chosen_end = end;
                    chosen_loaded = loaded;
                }
            }
        }
        if (chosen != SIZE_MAX) {
            uv_dump_module *m = &modules[count];
            m->path = sorted[chosen].path;
            m->base = sorted[chosen].start;
            m->size = chosen_end - sorted[chosen].start;
            m->debug_file = base_name(m->path);
            first_len[count] = sorted[chosen].end - sorted[chosen].start;
            count++;
        }
        i = group_end;
    }

    /* The vDSO is no file, so NT_FILE does not list it; its image is in the dump. */
    size_t vdso = SIZE_MAX;
    if (auxv->have_sysinfo && elf_magic_at(&d->memory, auxv->sysinfo_ehdr) == 1) {
        const uv_mem_region *r = uv_memory_find(&d->memory, auxv->sysinfo_ehdr);
        uv_dump_module *m = &modules[count];
        m->path = uv_str_c("linux-vdso.so.1");
        m->debug_file = m->path;
        m->base = auxv->sysinfo_ehdr;
        m->size = r->base + r->size - auxv->sysinfo_ehdr;
        first_len[count] = m->size;
        vdso = count++;
    }

    for (size_t i = 0; i < count; i++) {
        uint64_t span;
        read_module_image(c, &modules[i], first_len[i], &span);
        if (i == vdso && span > 0 && span <= modules[i].size) modules[i].size = span;
    }
    qsort(modules, count, sizeof *modules, compare_module);

    /* The main module holds AT_ENTRY (else the lowest mapping's file); it goes first, as
     * Breakpad's Linux minidump writer orders it. */
    size_t main_index = SIZE_MAX;
    for (size_t i = 0; i < count && auxv->have_entry; i++)
        if (auxv->entry >= modules[i].base && auxv->entry - modules[i].base < modules[i].size)
            main_index = i;
    if (main_index == SIZE_MAX && map_count > 0) {
        for (size_t i = 0; i < count; i++)
            if (uv_str_eq(modules[i].path, maps[0].path)) main_index = i;
    }
    if (main_index == SIZE_MAX && count > 0) main_index = 0;
    if (main_index != SIZE_MAX) {
        uv_dump_module main = modules[main_index];
        memmove(&modules[1], &modules[0], main_index * sizeof *modules);
        modules[0] = main;
        modules[0].main = true;
    }
    d->modules = modules;
    d->module_count = count;
    return 0;
}

/* ---- the parse ---------------------------------------------------------------------------- */

static int read_memory(core *c)
{
    size_t loads = 0;
    for (uint64_t i = 0; i < c->phnum; i++)
        if (read_phdr(c, i).type == PT_LOAD_TYPE) loads++;
    uv_mem_region *regions = uv_arena_calloc(c->arena, loads ? loads : 1, sizeof *regions);
    if (!regions) return UV_ENOMEM;
    size_t count = 0;
    for (uint64_t i = 0; i < c->phnum; i++) {
        phdr h = read_phdr(c, i);
        if (h.type != PT_LOAD_TYPE || h.filesz == 0) continue;
        /* A core cut short by RLIMIT_CORE or a full disk still has its notes (the kernel
         * writes them first) and the memory before the cut: keep what the file holds. */
        if (h.offset >= c->len) continue;
        uint64_t size = h.filesz;
        if (size > c->len - h.offset) size = c->len - h.offset;
        if (h.memsz != 0 && size > h.memsz) size = h.memsz;
        if (size > UINT64_MAX - h.vaddr) size = UINT64_MAX - h.vaddr; /* no wrap-around */
        if (size == 0) continue;
        regions[count++] = (uv_mem_region){h.vaddr, size, c->bytes + h.offset};
    }
    uv_memory_sort(regions, &count);
    c->dump->memory = (uv_memory){regions, count};
    return 0;
}

static int read_notes(core *c, auxv_info *auxv, thread_signal **signals_out)
{
    uv_dump *d = c->dump;
    note_iter it;
    note n;
    int rc;

    /* Pass 1: check every note and count the threads. */
    size_t threads = 0;
    const note *nt_file = NULL, *nt_auxv = NULL, *nt_prpsinfo = NULL;
    note file_note, auxv_note, prpsinfo_note;
    size_t min_prstatus = prstatus_size(c);
    for (rc = note_first(c, &it); rc > 0 && (rc = note_next(c, &it, &n)) > 0;) {
        if (is_core_note(&n, NT_PRSTATUS_TYPE)) {
            if (n.descsz < min_prstatus)
                return corrupt("NT_PRSTATUS note at offset %llu: %zu bytes, expected %zu for "
                               "%s",
                               (unsigned long long)n.offset, n.descsz, min_prstatus,
                               uv_arch_name(c->arch));
            threads++;
        } else if (is_core_note(&n, NT_FILE_TYPE) && !nt_file) {
            file_note = n;
            nt_file = &file_note;
        } else if (is_core_note(&n, NT_AUXV_TYPE) && !nt_auxv) {
            auxv_note = n;
            nt_auxv = &auxv_note;
        } else if (is_core_note(&n, NT_PRPSINFO_TYPE) && !nt_prpsinfo) {
            prpsinfo_note = n;
            nt_prpsinfo = &prpsinfo_note;
        } else if (is_core_note(&n, NT_SIGINFO_TYPE) && n.descsz < 16u + c->word) {
            return corrupt("NT_SIGINFO note at offset %llu: %zu bytes, too short for siginfo_t",
                           (unsigned long long)n.offset, n.descsz);
        }
    }
    if (rc < 0) return rc;

    /* Pass 2: the threads, each with the NT_SIGINFO that follows it. */
    d->threads = uv_arena_calloc(c->arena, threads ? threads : 1, sizeof *d->threads);
    thread_signal *signals = uv_arena_calloc(c->arena, threads ? threads : 1, sizeof *signals);
    if (!d->threads || !signals) return UV_ENOMEM;
    size_t t = 0;
    bool have_first_siginfo = false;
    note first_siginfo = {0};
    for (rc = note_first(c, &it); rc > 0 && (rc = note_next(c, &it, &n)) > 0;) {
        if (is_core_note(&n, NT_PRSTATUS_TYPE) && t < threads) {
            uv_dump_thread *th = &d->threads[t];
            th->tid = get32(n.desc + (c->is_64 ? 32 : 24)); /* pr_pid */
            read_registers(c, n.desc, &th->regs);
            signals[t].info_signo = get32(n.desc);
            signals[t].info_code = get32(n.desc + 4);
            signals[t].cursig = (int16_t)get16(n.desc + 12);
            t++;
        } else if (is_core_note(&n, NT_SIGINFO_TYPE)) {
            if (t > 0 && !signals[t - 1].has_siginfo) {
                signals[t - 1].siginfo = n;
                signals[t - 1].has_siginfo = true;
            } else if (t == 0 && !have_first_siginfo) {
                first_siginfo = n;
                have_first_siginfo = true;
            }
        }
    }
    if (rc < 0) return rc;
    d->thread_count = t;
    /* A process-wide NT_SIGINFO written before any NT_PRSTATUS is the first thread's. */
    if (t > 0 && !signals[0].has_siginfo && have_first_siginfo) {
        signals[0].siginfo = first_siginfo;
        signals[0].has_siginfo = true;
    }
    *signals_out = signals;

    if (nt_prpsinfo) {
        /* pr_pid is the fourth 4-byte field before pr_fname[16] and pr_psargs[80]. */
        if (nt_prpsinfo->descsz < 96 + 16)
            return corrupt("NT_PRPSINFO note at offset %llu: %zu bytes, too short",
                           (unsigned long long)nt_prpsinfo->offset, nt_prpsinfo->descsz);
        d->pid = get32(nt_prpsinfo->desc + nt_prpsinfo->descsz - 96 - 16);
    } else if (t > 0) {
        d->pid = d->threads[0].tid;
    }

    if (nt_auxv) {
        size_t w = c->word;
        for (size_t off = 0; nt_auxv->descsz - off >= 2 * w; off += 2 * w) {
            uint64_t type = get_word(c, nt_auxv->desc + off);
            uint64_t value = get_word(c, nt_auxv->desc + off + w);
            if (type == AT_NULL_TYPE) break;
            if (type == AT_ENTRY_TYPE) auxv->entry = value, auxv->have_entry = true;
            if (type == AT_SYSINFO_EHDR_TYPE && value != 0)
                auxv->sysinfo_ehdr = value, auxv->have_sysinfo = true;
        }
    }

    file_mapping *maps = NULL;
    size_t map_count = 0;
    if (nt_file) {
        rc = read_nt_file(c, nt_file, &maps, &map_count);
        if (rc != 0) return rc;
    }
    return build_modules(c, maps, map_count, auxv);
}

static void find_stacks(uv_dump *d)
{
    for (size_t i = 0; i < d->thread_count; i++) {
        uv_dump_thread *th = &d->threads[i];
        int sp = uv_arch_sp(d->arch);
        if (!uv_regs_has(&th->regs, sp)) continue;
        const uv_mem_region *r = uv_memory_find(&d->memory, th->regs.r[sp]);
        if (!r) continue;
        th->stack_base = r->base;
        th->stack_size = r->size;
    }
}

int uv_elfcore_parse(uv_dump **out, const void *bytes, size_t len)
{
    *out = NULL;
    core c = {.bytes = bytes, .len = bytes ? len : 0};
    int rc = read_header(&c);
    if (rc != 0) return rc;
    rc = uv_arena_new(&c.arena);
    if (rc != 0) return rc;
    c.dump = uv_arena_calloc(c.arena, 1, sizeof *c.dump);
    if (!c.dump) {
        uv_arena_free(c.arena);
        return UV_ENOMEM;
    }
    uv_dump *d = c.dump;
    d->arena = c.arena;
    d->kind = UV_DUMP_ELFCORE;
    d->arch = c.arch;
    d->os = uv_str_c("Linux");
    d->crash_thread = SIZE_MAX;

    auxv_info auxv = {0};
    thread_signal *signals = NULL;
    rc = read_memory(&c);
    if (rc == 0) rc = read_notes(&c, &auxv, &signals);
    if (rc == 0) rc = set_crash(&c, signals);
    if (rc != 0) {
        uv_arena_free(c.arena);
        return rc;
    }
    find_stacks(d);
    *out = d;
    return 0;
}

bool uv_elfcore_module_needs_file(const uv_dump_module *module)
{
    return module->build_id[0] == '\0';
}
