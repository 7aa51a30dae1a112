/* The crash dump model's small helpers: architectures, register names and memory reads. */
#include "formats/dump.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void uv_dump_free(uv_dump *dump)
{
    if (dump) uv_arena_free(dump->arena); /* the dump itself lives in its arena */
}

const char *uv_arch_name(uv_arch arch)
{
    switch (arch) {
    case UV_ARCH_X86:
        return "x86";
    case UV_ARCH_X86_64:
        return "amd64";
    case UV_ARCH_ARM64:
        return "arm64";
    default:
        return "unknown";
    }
}

unsigned uv_arch_pointer_size(uv_arch arch)
{
    return arch == UV_ARCH_X86 ? 4 : 8;
}

int uv_arch_pc(uv_arch arch)
{
    return arch == UV_ARCH_X86 ? 8 : arch == UV_ARCH_ARM64 ? 32 : 16;
}

int uv_arch_sp(uv_arch arch)
{
    return arch == UV_ARCH_X86 ? 4 : arch == UV_ARCH_ARM64 ? 31 : 7;
}

int uv_arch_fp(uv_arch arch)
{
    return arch == UV_ARCH_X86 ? 5 : arch == UV_ARCH_ARM64 ? 29 : 6;
}

int uv_arch_ra(uv_arch arch)
{
    return arch == UV_ARCH_X86 ? 8 : arch == UV_ARCH_ARM64 ? 30 : 16;
}

static const char *const x86_64_names[] = {"rax", "rdx", "rcx", "rbx", "rsi", "rdi",
                                           "rbp", "rsp", "r8",  "r9",  "r10", "r11",
                                           "r12", "r13", "r14", "r15", "rip"};
static const char *const x86_names[] = {"eax", "ecx", "edx", "ebx", "esp",
                                        "ebp", "esi", "edi", "eip", "eflags"};
static const char *const arm64_names[] = {
    "x0",  "x1",  "x2",  "x3",  "x4",  "x5",  "x6",  "x7",  "x8",  "x9",  "x10",
    "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21",
    "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29", "x30", "sp",  "pc"};

static const char *const *names_of(uv_arch arch, size_t *count)
{
    switch (arch) {
    case UV_ARCH_X86:
        *count = sizeof x86_names / sizeof *x86_names;
        return x86_names;
    case UV_ARCH_X86_64:
        *count = sizeof x86_64_names / sizeof *x86_64_names;
        return x86_64_names;
    case UV_ARCH_ARM64:
        *count = sizeof arm64_names / sizeof *arm64_names;
        return arm64_names;
    default:
        *count = 0;
        return NULL;
    }
}

const char *uv_arch_reg_name(uv_arch arch, int reg)
{
    size_t n;
    const char *const *names = names_of(arch, &n);
    return reg >= 0 && (size_t)reg < n ? names[reg] : NULL;
}

int uv_arch_reg_by_name(uv_arch arch, const char *name, size_t len)
{
    if (len > 0 && name[0] == '$') {
        name++;
        len--;
    }
    size_t n;
    const char *const *names = names_of(arch, &n);
    for (size_t i = 0; i < n; i++)
        if (strlen(names[i]) == len && strncasecmp(names[i], name, len) == 0) return (int)i;
    if (arch == UV_ARCH_ARM64) {
        if (len == 2 && strncasecmp(name, "fp", 2) == 0) return 29;
        if (len == 2 && strncasecmp(name, "lr", 2) == 0) return 30;
    }
    return -1;
}

const uv_mem_region *uv_memory_find(const uv_memory *mem, uint64_t addr)
{
    size_t lo = 0, hi = mem ? mem->count : 0;
    while (lo < hi) { /* first region with base > addr */
        size_t mid = lo + (hi - lo) / 2;
        if (mem->regions[mid].base <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0) return NULL;
    const uv_mem_region *r = &mem->regions[lo - 1];
    return addr - r->base < r->size ? r : NULL;
}

bool uv_memory_read(const uv_memory *mem, uint64_t addr, void *out, size_t len)
{
    uint8_t *dst = out;
    while (len > 0) { /* a read may straddle adjacent regions */
        const uv_mem_region *r = uv_memory_find(mem, addr);
        if (!r) return false;
        uint64_t off = addr - r->base;
        uint64_t avail = r->size - off;
        size_t n = avail < len ? (size_t)avail : len;
        memcpy(dst, r->data + off, n);
        dst += n;
        len -= n;
        if (len > 0 && addr + n < addr) return false; /* wrapped around the address space */
        addr += n;
    }
    return true;
}

bool uv_memory_read_u32(const uv_memory *mem, uint64_t addr, uint32_t *out)
{
    uint8_t b[4];
    if (!uv_memory_read(mem, addr, b, 4)) return false;
    *out = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return true;
}

bool uv_memory_read_u64(const uv_memory *mem, uint64_t addr, uint64_t *out)
{
    uint32_t lo, hi;
    if (!uv_memory_read_u32(mem, addr, &lo) || addr + 4 < addr ||
        !uv_memory_read_u32(mem, addr + 4, &hi))
        return false;
    *out = (uint64_t)hi << 32 | lo;
    return true;
}

bool uv_memory_read_ptr(const uv_memory *mem, uv_arch arch, uint64_t addr, uint64_t *out)
{
    if (uv_arch_pointer_size(arch) == 4) {
        uint32_t v;
        if (!uv_memory_read_u32(mem, addr, &v)) return false;
        *out = v;
        return true;
    }
    return uv_memory_read_u64(mem, addr, out);
}

const uv_dump_module *uv_dump_module_at(const uv_dump *dump, uint64_t addr)
{
    for (size_t i = 0; i < dump->module_count; i++) {
        const uv_dump_module *m = &dump->modules[i];
        if (addr >= m->base && addr - m->base < m->size) return m;
    }
    return NULL;
}

static int cmp_region(const void *a, const void *b)
{
    const uv_mem_region *x = a, *y = b;
    return x->base < y->base ? -1 : x->base > y->base;
}

void uv_memory_sort(uv_mem_region *regions, size_t *count)
{
    if (*count == 0) return;
    /* qsort is not stable; keep "the first" by tagging order via a stable merge of equals:
     * overlapping regions are rare (malformed dumps), so dropping either is acceptable as
     * long as the result is consistent. */
    qsort(regions, *count, sizeof *regions, cmp_region);
    size_t w = 0;
    for (size_t i = 0; i < *count; i++) {
        if (regions[i].size == 0) continue;
        if (w > 0) {
            uv_mem_region *prev = &regions[w - 1];
            uint64_t prev_end = prev->base + prev->size;
            if (prev_end < prev->base || regions[i].base < prev_end)
                continue; /* overlaps the one kept before it */
        }
        regions[w++] = regions[i];
    }
    *count = w;
}

static const char *const signal_names[32] = {
    NULL,        "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",   "SIGTRAP", "SIGABRT", "SIGBUS",
    "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2",  "SIGPIPE", "SIGALRM", "SIGTERM",
    "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",  "SIGTTIN", "SIGTTOU", "SIGURG",
    "SIGXCPU",   "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",   "SIGPWR",  "SIGSYS"};

bool uv_linux_signal_reason(char *out, size_t size, uint32_t signo, uint32_t code)
{
    static const char *const ill[] = {NULL,         "ILL_ILLOPC", "ILL_ILLOPN",
                                      "ILL_ILLADR", "ILL_ILLTRP", "ILL_PRVOPC",
                                      "ILL_PRVREG", "ILL_COPROC", "ILL_BADSTK"};
    static const char *const bus[] = {NULL,         "BUS_ADRALN",    "BUS_ADRERR",
                                      "BUS_OBJERR", "BUS_MCEERR_AR", "BUS_MCEERR_AO"};
    static const char *const fpe[] = {NULL,         "FPE_INTDIV", "FPE_INTOVF",
                                      "FPE_FLTDIV", "FPE_FLTOVF", "FPE_FLTUND",
                                      "FPE_FLTRES", "FPE_FLTINV", "FPE_FLTSUB"};
    static const char *const segv[] = {NULL, "SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR",
                                       "SEGV_PKUERR"};
    if (signo == 0 || signo >= 32) return false;
    const char *const *codes = NULL;
    size_t code_count = 0;
    const char *separator = " / ";
    switch (signo) {
    case 4:
        codes = ill, code_count = sizeof ill / sizeof *ill;
        break;
    case 7:
        codes = bus, code_count = sizeof bus / sizeof *bus;
        break;
    case 8:
        codes = fpe, code_count = sizeof fpe / sizeof *fpe;
        break;
    case 11:
        codes = segv, code_count = sizeof segv / sizeof *segv, separator = " /";
        break;
    default:
        break;
    }
    if (!codes)
        snprintf(out, size, "%s", signal_names[signo]);
    else if (code > 0 && code < code_count)
        snprintf(out, size, "%s%s%s", signal_names[signo], separator, codes[code]);
    else
        snprintf(out, size, "%s%s0x%08x", signal_names[signo], separator, (unsigned)code);
    return true;
}
