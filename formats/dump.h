/* The model of a crash dump shared by every dump format (formats/minidump.c for Breakpad and
 * Crashpad minidumps, formats/elfcore.c for Linux ELF core files) and by the stack walker
 * (symbolicate/unwind.c): the CPU and OS, why the process died, its threads with their
 * registers, its loaded modules, and the memory the dump holds. A parsed dump is immutable;
 * every array and string lives in its arena and byte views point into the dump's bytes
 * (which must outlive it). */
#ifndef UV_DUMP_H
#define UV_DUMP_H

#include "formats/arena.h"
#include "formats/str.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    UV_ARCH_UNKNOWN = 0,
    UV_ARCH_X86,
    UV_ARCH_X86_64,
    UV_ARCH_ARM64,
} uv_arch;

/* Registers are numbered as DWARF numbers them for the architecture, so CFI rules index them
 * directly:
 *  x86-64: 0 rax 1 rdx 2 rcx 3 rbx 4 rsi 5 rdi 6 rbp 7 rsp 8..15 r8..r15 16 rip
 *  x86:    0 eax 1 ecx 2 edx 3 ebx 4 esp 5 ebp 6 esi 7 edi 8 eip 9 eflags
 *  arm64:  0..30 x0..x30 (29 fp, 30 lr) 31 sp 32 pc (pc has no DWARF number; 32 is ours) */
#define UV_REGS_MAX 34

typedef struct {
    uv_arch arch;
    uint64_t r[UV_REGS_MAX];
    uint64_t valid; /* bit i set: r[i] is known */
} uv_regs;

/* Short names as Breakpad prints them: "x86", "amd64", "arm64", "unknown". */
const char *uv_arch_name(uv_arch arch);
unsigned uv_arch_pointer_size(uv_arch arch); /* 4 or 8 (8 for unknown) */
int uv_arch_pc(uv_arch arch);                /* register number of the instruction pointer */
int uv_arch_sp(uv_arch arch);
int uv_arch_fp(uv_arch arch); /* rbp / ebp / x29 */
int uv_arch_ra(uv_arch arch); /* DWARF return-address column: rip 16, eip 8, x30 */
/* Register name without '$' ("rip", "esp", "x29", "sp", "pc"); NULL for an unnamed number. */
const char *uv_arch_reg_name(uv_arch arch, int reg);
/* Number of a register name ("rsp", "$rsp", "eip", "x29", "fp", "lr", "sp", "pc"), or -1. */
int uv_arch_reg_by_name(uv_arch arch, const char *name, size_t len);
static inline bool uv_regs_has(const uv_regs *r, int reg)
{
    return reg >= 0 && reg < UV_REGS_MAX && (r->valid >> reg) & 1u;
}
static inline void uv_regs_set(uv_regs *r, int reg, uint64_t value)
{
    if (reg >= 0 && reg < UV_REGS_MAX) {
        r->r[reg] = value;
        r->valid |= (uint64_t)1 << reg;
    }
}

/* A piece of the crashed process's memory held by the dump. */
typedef struct {
    uint64_t base, size;
    const uint8_t *data; /* size bytes */
} uv_mem_region;

typedef struct {
    const uv_mem_region *regions; /* sorted by base, not overlapping */
    size_t count;
} uv_memory;

/* Copies len bytes at addr; false when any byte is not in the dump. Little-endian readers
 * below. All are O(log regions). */
bool uv_memory_read(const uv_memory *mem, uint64_t addr, void *out, size_t len);
bool uv_memory_read_u32(const uv_memory *mem, uint64_t addr, uint32_t *out);
bool uv_memory_read_u64(const uv_memory *mem, uint64_t addr, uint64_t *out);
/* Pointer of the architecture's size (4 or 8 bytes), zero-extended. */
bool uv_memory_read_ptr(const uv_memory *mem, uv_arch arch, uint64_t addr, uint64_t *out);
/* The region holding addr, or NULL. */
const uv_mem_region *uv_memory_find(const uv_memory *mem, uint64_t addr);

typedef struct {
    uv_str path;   /* code file as the dump names it ("/usr/lib/libc.so.6", "C:\\…\\a.exe") */
    uint64_t base; /* load address */
    uint64_t size; /* bytes mapped from base */
    char build_id[129]; /* GNU build-id, lowercase hex; "" when unknown */
    char debug_id[41];  /* Breakpad debug ID: GUID as 32 uppercase hex + age in hex (33 to 40
                           chars); "" when unknown */
    char code_id[129];  /* Breakpad code ID: ELF build-id uppercase hex, or Windows
                           TIMESTAMP(8 hex)SIZE(hex); "" when unknown */
    uv_str debug_file;  /* PDB name from CodeView, else the code file's base name */
    uv_str version;     /* "5.1.2600.2180" from VS_FIXEDFILEINFO; empty when none */
    bool main;          /* the process's executable */
} uv_dump_module;

typedef struct {
    uint32_t tid;
    uv_str name;         /* empty when unknown */
    uv_regs regs;        /* the thread's context (for the crashing thread: at the fault) */
    uint64_t stack_base; /* lowest address of the stack memory the dump holds (0: unknown) */
    uint64_t stack_size;
} uv_dump_thread;

typedef enum { UV_DUMP_MINIDUMP, UV_DUMP_ELFCORE } uv_dump_kind;

typedef struct {
    uv_arena *arena;
    uv_dump_kind kind;
    uv_arch arch;
    uv_str os;         /* "Linux", "Windows NT", "Mac OS X", … (Breakpad's spelling) */
    uv_str os_version; /* "5.1.2600 Service Pack 2"; for Linux the kernel release when known */
    uv_str cpu_info;   /* "GenuineIntel family 6 model 13 stepping 8"; empty when unknown */
    uint32_t cpu_count;
    uint32_t pid;
    bool crashed;        /* there is an exception/signal record */
    uv_str crash_reason; /* Breakpad's spelling: "EXCEPTION_ACCESS_VIOLATION_WRITE",
                            "SIGSEGV /SEGV_MAPERR", "SIGABRT" … */
    uint64_t crash_address;
    uint32_t crash_signal; /* Linux signal number (0 when not a signal) */
    uint32_t crash_code;   /* si_code / exception code */
    uint32_t crash_tid;
    size_t crash_thread; /* index into threads, SIZE_MAX when none */
    /* With an exception record the crashing thread's registers come from the exception's
     * context; threads[crash_thread].regs already holds them. */
    uv_dump_thread *threads;
    size_t thread_count;
    uv_dump_module *modules; /* in the dump's order (minidumps: main module first) */
    size_t module_count;
    uv_memory memory;
} uv_dump;

/* Parsers allocate the uv_dump itself in its arena, so this frees everything. NULL is fine. */
void uv_dump_free(uv_dump *dump);
/* The module whose [base, base+size) holds addr, or NULL (O(modules)). */
const uv_dump_module *uv_dump_module_at(const uv_dump *dump, uint64_t addr);
/* A Linux signal and si_code as Breakpad's processor (minidump_processor.cc) spells them:
 * "SIGSEGV /SEGV_MAPERR" (no space after the slash for SIGSEGV only), "SIGBUS / BUS_ADRERR",
 * "SIGILL / ILL_ILLOPN", "SIGFPE / FPE_INTDIV", the code as 0x%08x when it has no name, the
 * bare name for other signals. False (out untouched) for signal 0 or >= 32. */
bool uv_linux_signal_reason(char *out, size_t size, uint32_t signo, uint32_t code);

/* Sorts memory regions by base and drops any overlap (keeping the first); for parsers. */
void uv_memory_sort(uv_mem_region *regions, size_t *count);

#endif
