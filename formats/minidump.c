/* Minidump reader (see minidump.h). A minidump is a little-endian file: a 32-byte header
 * ("MDMP", version 0xa793 in the low 16 bits, stream count, directory offset), a directory
 * of 12-byte entries {stream type, size, offset}, and streams anywhere in the file that
 * point at more data (strings, contexts, memory) through 32-bit file offsets ("RVAs").
 *
 * Layout reminders (Microsoft's MINIDUMP_* structures, packed to 4 bytes; Breakpad's
 * minidump_format.h uses the same layouts with MD* names):
 *   MINIDUMP_STRING       u32 length in bytes, UTF-16LE units (no terminator counted)
 *   ThreadList (3)        u32 count, [4 bytes padding], count × MINIDUMP_THREAD (48):
 *                         tid, suspend, priority class, priority, u64 teb,
 *                         stack {u64 start, u32 size, u32 rva}, context {u32 size, u32 rva}
 *   ModuleList (4)        u32 count, [padding], count × MINIDUMP_MODULE (108): u64 base,
 *                         u32 size, checksum, timestamp, name rva, VS_FIXEDFILEINFO (13 × u32
 *                         at 24), CodeView {size, rva} at 76, misc record at 84, 16 reserved
 *   MemoryList (5)        u32 count, [padding], count × {u64 start, u32 size, u32 rva}
 *   Exception (6)         tid, pad, code, flags, u64 record, u64 address, u32 nparams, pad,
 *                         15 × u64 params, context {size, rva}               (168 bytes)
 *   SystemInfo (7)        u16 arch, level, revision, u8 cpus, product, u32 major, minor,
 *                         build, platform, CSD string rva, u16 suites, pad, 24 bytes CPU
 *                         (x86: 12-byte vendor id)                          (56 bytes)
 *   Memory64List (9)      u64 count, u64 base rva, count × {u64 start, u64 size}; the data
 *                         of range i follows range i-1's from base rva on
 *   MiscInfo (15)         u32 size, u32 flags1, u32 pid (valid with flags1 bit 0), …
 *   ThreadNames (24)      u32 count, count × {u32 tid, u64 name rva} (12 bytes)
 *   Breakpad 0x4767xxxx   1 BreakpadInfo {validity, dump tid, requesting tid}, 4 Linux
 *                         /proc/PID/status, 9 /proc/PID/maps (text)
 *   CodeView records      "RSDS" GUID(16) age(4) PDB name (NUL-terminated); "NB10" offset,
 *                         timestamp, age, PDB name; "BpEL" GNU build-id bytes to the end
 *   Contexts              MDRawContextX86 (716: flags at 0, edi..eax at 156, ebp 180,
 *                         eip 184, eflags 192, esp 196), MDRawContextAMD64 (1232: flags at
 *                         48, rax.. at 120, rip 248), MDRawContextARM64 (912: u32 flags,
 *                         cpsr, x0..x30, sp, pc from 8) and Breakpad's older ARM64 layout
 *                         (796: u64 flags, the same registers from 8).
 *
 * Names follow Breakpad's minidump_stackwalk: os, os_version ("5.1.2600 Service Pack 2"),
 * cpu_info, crash reasons, debug IDs (GUID fields as integers, then the age in lowercase
 * hex as the symbol server prints it) and code IDs. The thread Breakpad used to write the
 * dump (BreakpadInfo's dump thread) is left out, as minidump_stackwalk leaves it out.
 *
 * Every offset, count and size is checked against the file before it is used; strings are
 * bounded one by one and in total, so a hostile file cannot make us allocate more than a
 * small multiple of its own size. Ownership: the dump and everything it holds live in its
 * arena, except views (PDB names, memory, maps paths) into the caller's bytes. */
#include "formats/minidump.h"

#include "formats/elf.h"
#include "formats/error.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MD_SIGNATURE 0x504d444du /* "MDMP" */
#define MD_SIGNATURE_SWAPPED 0x4d444d50u
#define MD_VERSION 0xa793u

#define HEADER_SIZE 32
#define DIRECTORY_ENTRY_SIZE 12
#define THREAD_SIZE 48
#define MODULE_SIZE 108
#define MEMORY_DESCRIPTOR_SIZE 16
#define MEMORY64_DESCRIPTOR_SIZE 16
#define EXCEPTION_STREAM_SIZE 168
#define SYSTEM_INFO_SIZE 56
#define THREAD_NAME_SIZE 12
#define EXCEPTION_MAX_PARAMETERS 15u

enum {
    STREAM_THREAD_LIST = 3,
    STREAM_MODULE_LIST = 4,
    STREAM_MEMORY_LIST = 5,
    STREAM_EXCEPTION = 6,
    STREAM_SYSTEM_INFO = 7,
    STREAM_MEMORY64_LIST = 9,
    STREAM_MISC_INFO = 15,
    STREAM_THREAD_NAMES = 24,
    STREAM_BREAKPAD_INFO = 0x47670001,
    STREAM_LINUX_PROC_STATUS = 0x47670004,
    STREAM_LINUX_MAPS = 0x47670009,
};

enum {
    CPU_X86 = 0,
    CPU_MIPS = 1,
    CPU_PPC = 3,
    CPU_SHX = 4,
    CPU_ARM = 5,
    CPU_AMD64 = 9,
    CPU_X86_WIN64 = 10,
    CPU_ARM64 = 12,
    CPU_ARM64_OLD = 0x8003,
};

enum {
    OS_WIN32_WINDOWS = 1,
    OS_WIN32_NT = 2,
    OS_MAC_OS_X = 0x8101,
    OS_IOS = 0x8102,
    OS_LINUX = 0x8201,
    OS_SOLARIS = 0x8202,
    OS_ANDROID = 0x8203,
    OS_PS3 = 0x8204,
    OS_NACL = 0x8205,
    OS_FUCHSIA = 0x8206,
};

#define CV_RSDS 0x53445352u /* PDB 7.0 */
#define CV_NB10 0x3031424eu /* PDB 2.0 */
#define CV_ELF 0x4270454cu  /* "BpEL": Breakpad/Crashpad GNU build-id */
#define VS_FIXEDFILEINFO_SIGNATURE 0xfeef04bdu
#define VS_FIXEDFILEINFO_VERSION 0x00010000u

/* Context type flags (the CPU part of context_flags). */
#define CONTEXT_CPU_MASK 0xffffff00u
#define CONTEXT_X86 0x00010000u
#define CONTEXT_AMD64 0x00100000u
#define CONTEXT_ARM64 0x00400000u
#define CONTEXT_ARM64_OLD 0x80000000u
#define CONTEXT_CONTROL 0x1u
#define CONTEXT_INTEGER 0x2u
#define CONTEXT_X86_SIZE_MIN 204   /* through ss; the full structure is 716 bytes */
#define CONTEXT_AMD64_SIZE 1232    /* Breakpad identifies AMD64 contexts by this size */
#define CONTEXT_AMD64_SIZE_MIN 256 /* through rip */
#define CONTEXT_ARM64_SIZE_MIN 272 /* through pc (both layouts) */
#define CONTEXT_ARM64_OLD_SIZE 796

/* One MINIDUMP_STRING may hold this many bytes of UTF-16: Windows paths stop at 32767 units
 * and CSD versions and thread names are far shorter; anything longer is damage. */
#define STRING_MAX_BYTES 65536u
/* All strings together may use this much UTF-16 beyond the file's own size: real dumps
 * reference each string once, so a dump that points a thousand modules at one long string
 * is refused instead of multiplying its size. */
#define STRING_BUDGET_SLACK ((size_t)1 << 20)

typedef struct {
    uint32_t size, rva;
    bool present;
} location;

typedef struct {
    uint32_t tid;
    size_t index;
} tid_index;

typedef struct {
    const uint8_t *bytes;
    size_t len;
    uv_arena *arena;
    uv_dump *dump;
    size_t string_budget; /* UTF-16 bytes we may still convert */

    bool have_system_info;
    uint16_t cpu_arch;
    uint32_t platform;

    location system_info, misc_info, thread_list, module_list, memory_list, memory64_list,
        exception, thread_names, breakpad_info, linux_proc_status, linux_maps;

    bool has_dump_thread, has_requesting_thread;
    uint32_t dump_thread_id, requesting_thread_id;

    uv_mem_region *regions;
    size_t region_count, region_cap;
} parser;

/* ---- bytes and errors ---------------------------------------------------------------- */

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

/* True when [offset, offset+size) lies inside the file. */
static bool in_file(const parser *ps, uint64_t offset, uint64_t size)
{
    return offset <= ps->len && size <= ps->len - offset;
}

/* Records UV_ECORRUPT with "minidump: WHERE at offset OFF: DETAIL" and returns it. */
static int corrupt(const char *where, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int corrupt(const char *where, uint64_t offset, const char *fmt, ...)
{
    char detail[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0, "minidump: %s at offset %" PRIu64 ": %s",
                        where, offset, detail);
}

static const char *stream_name(uint32_t type)
{
    switch (type) {
    case STREAM_THREAD_LIST:
        return "ThreadList stream";
    case STREAM_MODULE_LIST:
        return "ModuleList stream";
    case STREAM_MEMORY_LIST:
        return "MemoryList stream";
    case STREAM_EXCEPTION:
        return "Exception stream";
    case STREAM_SYSTEM_INFO:
        return "SystemInfo stream";
    case STREAM_MEMORY64_LIST:
        return "Memory64List stream";
    case STREAM_MISC_INFO:
        return "MiscInfo stream";
    case STREAM_THREAD_NAMES:
        return "ThreadNames stream";
    case STREAM_BREAKPAD_INFO:
        return "BreakpadInfo stream";
    case STREAM_LINUX_PROC_STATUS:
        return "LinuxProcStatus stream";
    case STREAM_LINUX_MAPS:
        return "LinuxMaps stream";
    default:
        return "stream";
    }
}

/* Checks that a known stream is at least `min` bytes long. */
static int stream_min(const location *loc, uint32_t type, uint32_t min)
{
    if (loc->size < min)
        return corrupt(stream_name(type), loc->rva, "%" PRIu32 " bytes, need at least %" PRIu32,
                       loc->size, min);
    return 0;
}

static uv_str arena_str(parser *ps, const char *s, size_t len, int *rc)
{
    char *copy = uv_arena_strndup(ps->arena, s, len);
    if (!copy) *rc = UV_ENOMEM;
    return (uv_str){copy, copy ? len : 0};
}

/* ---- strings ------------------------------------------------------------------------- */

/* Appends code point c as UTF-8; returns the bytes written (at most 4). */
static size_t put_utf8(char *out, uint32_t c)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xc0 | c >> 6);
        out[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xe0 | c >> 12);
        out[1] = (char)(0x80 | (c >> 6 & 0x3f));
        out[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | c >> 18);
    out[1] = (char)(0x80 | (c >> 12 & 0x3f));
    out[2] = (char)(0x80 | (c >> 6 & 0x3f));
    out[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

/* Reads the MINIDUMP_STRING at `rva` as UTF-8 into the arena, stopping at a NUL unit;
 * unpaired surrogates become U+FFFD. `where`/`offset` name the field for errors. */
static int read_string(parser *ps, uint64_t rva, const char *where, uint64_t offset, uv_str *out)
{
    *out = UV_STR_NULL;
    if (!in_file(ps, rva, 4))
        return corrupt(where, offset, "string offset %" PRIu64 " lies beyond the end of the file",
                       rva);
    uint32_t bytes = get32(ps->bytes + rva);
    if (bytes > STRING_MAX_BYTES)
        return corrupt(where, offset, "string at %" PRIu64 " claims %" PRIu32 " bytes (limit %u)",
                       rva, bytes, STRING_MAX_BYTES);
    if (!in_file(ps, rva + 4, bytes))
        return corrupt(where, offset,
                       "string at %" PRIu64 " of %" PRIu32 " bytes runs past the end of the file",
                       rva, bytes);
    if (bytes > ps->string_budget)
        return corrupt(where, offset,
                       "strings referenced add up to more than the file could hold; refusing "
                       "to expand them");
    ps->string_budget -= bytes;

    const uint8_t *p = ps->bytes + rva + 4;
    size_t units = bytes / 2;
    /* A unit becomes at most 3 bytes of UTF-8 (a surrogate pair 4 bytes for 2 units). */
    char *text = uv_arena_alloc(ps->arena, units * 3 + 1);
    if (!text) return UV_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < units; i++) {
        uint32_t c = get16(p + 2 * i);
        if (c == 0) break;
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < units) {
            uint32_t low = get16(p + 2 * i + 2);
            if (low >= 0xdc00 && low <= 0xdfff) {
                c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
                i++;
            } else {
                c = 0xfffd;
            }
        } else if (c >= 0xd800 && c <= 0xdfff) {
            c = 0xfffd;
        }
        n += put_utf8(text + n, c);
    }
    text[n] = '\0';
    *out = (uv_str){text, n};
    return 0;
}

/* The part of a path after its last '/' or '\\'. */
static uv_str base_name(uv_str path)
{
    size_t start = 0;
    for (size_t i = 0; i < path.len; i++)
        if (path.ptr[i] == '/' || path.ptr[i] == '\\') start = i + 1;
    return (uv_str){path.ptr + start, path.len - start};
}

/* ---- header and directory ------------------------------------------------------------ */

static int read_directory(parser *ps)
{
    if (ps->len < HEADER_SIZE)
        return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                            "minidump: header truncated: %zu bytes, need %d", ps->len, HEADER_SIZE);
    uint32_t version = get32(ps->bytes + 4);
    if ((version & 0xffff) != MD_VERSION)
        return uv_error_set(UV_EUNSUPPORTED, UV_LIB_NONE, 0,
                            "minidump: header at offset 4: version 0x%04" PRIx32
                            " (only 0xa793 is known)",
                            version & 0xffff);
    uint32_t count = get32(ps->bytes + 8);
    uint32_t rva = get32(ps->bytes + 12);
    if (!in_file(ps, rva, (uint64_t)count * DIRECTORY_ENTRY_SIZE))
        return corrupt("stream directory", rva,
                       "%" PRIu32 " entries of %d bytes run past the end of the file (%zu bytes)",
                       count, DIRECTORY_ENTRY_SIZE, ps->len);

    for (uint32_t i = 0; i < count; i++) {
        uint64_t at = (uint64_t)rva + (uint64_t)i * DIRECTORY_ENTRY_SIZE;
        const uint8_t *e = ps->bytes + at;
        uint32_t type = get32(e), size = get32(e + 4), offset = get32(e + 8);
        if (type == 0) continue; /* MD_UNUSED_STREAM: padding entries */
        if (size > 0 && !in_file(ps, offset, size))
            return corrupt("stream directory", at,
                           "entry %" PRIu32 " (%s, type 0x%" PRIx32 ") of %" PRIu32
                           " bytes at %" PRIu32 " runs past the end of the file (%zu bytes)",
                           i, stream_name(type), type, size, offset, ps->len);
        location *loc = NULL;
        switch (type) {
        case STREAM_THREAD_LIST:
            loc = &ps->thread_list;
            break;
        case STREAM_MODULE_LIST:
            loc = &ps->module_list;
            break;
        case STREAM_MEMORY_LIST:
            loc = &ps->memory_list;
            break;
        case STREAM_EXCEPTION:
            loc = &ps->exception;
            break;
        case STREAM_SYSTEM_INFO:
            loc = &ps->system_info;
            break;
        case STREAM_MEMORY64_LIST:
            loc = &ps->memory64_list;
            break;
        case STREAM_MISC_INFO:
            loc = &ps->misc_info;
            break;
        case STREAM_THREAD_NAMES:
            loc = &ps->thread_names;
            break;
        case STREAM_BREAKPAD_INFO:
            loc = &ps->breakpad_info;
            break;
        case STREAM_LINUX_PROC_STATUS:
            loc = &ps->linux_proc_status;
            break;
        case STREAM_LINUX_MAPS:
            loc = &ps->linux_maps;
            break;
        default:
            break; /* streams we do not read */
        }
        if (loc && !loc->present) /* a repeated stream: the first one counts */
            *loc = (location){size, offset, true};
    }
    return 0;
}

/* The count of a ThreadList/ModuleList/MemoryList and the offset of its first entry; some
 * writers put 4 bytes of padding after the count (then the stream is 8 + n × entry). */
static int list_header(const parser *ps, const location *loc, uint32_t type, uint32_t entry,
                       uint32_t *count, uint64_t *first)
{
    *count = 0;
    *first = loc->rva;
    if (!loc->present) return 0;
    int rc = stream_min(loc, type, 4);
    if (rc) return rc;
    uint32_t n = get32(ps->bytes + loc->rva);
    uint64_t need = (uint64_t)n * entry;
    if (need > loc->size - 4)
        return corrupt(stream_name(type), loc->rva,
                       "count %" PRIu32 " needs %" PRIu64
                       " bytes of entries, the stream holds %" PRIu32,
                       n, need, loc->size - 4);
    *count = n;
    *first = loc->rva + ((uint64_t)loc->size == need + 8 ? 8 : 4);
    return 0;
}

/* ---- system information -------------------------------------------------------------- */

static const char *os_name(uint32_t platform)
{
    switch (platform) {
    case OS_WIN32_NT:
        return "Windows NT";
    case OS_WIN32_WINDOWS:
        return "Windows";
    case OS_MAC_OS_X:
        return "Mac OS X";
    case OS_IOS:
        return "iOS";
    case OS_LINUX:
        return "Linux";
    case OS_SOLARIS:
        return "Solaris";
    case OS_ANDROID:
        return "Android";
    case OS_PS3:
        return "PS3";
    case OS_NACL:
        return "NaCl";
    case OS_FUCHSIA:
        return "Fuchsia";
    default:
        return NULL;
    }
}

static bool is_windows(uint32_t platform)
{
    return platform == OS_WIN32_NT || platform == OS_WIN32_WINDOWS;
}

static bool is_linux(uint32_t platform)
{
    return platform == OS_LINUX || platform == OS_ANDROID;
}

static int read_system_info(parser *ps)
{
    const location *loc = &ps->system_info;
    if (!loc->present) return 0;
    int rc = stream_min(loc, STREAM_SYSTEM_INFO, SYSTEM_INFO_SIZE);
    if (rc) return rc;
    const uint8_t *s = ps->bytes + loc->rva;
    uv_dump *dump = ps->dump;
    ps->have_system_info = true;
    ps->cpu_arch = get16(s);
    ps->platform = get32(s + 20);
    uint16_t level = get16(s + 2), revision = get16(s + 4);
    dump->cpu_count = s[6];

    switch (ps->cpu_arch) {
    case CPU_X86:
        dump->arch = UV_ARCH_X86;
        break;
    case CPU_AMD64:
        dump->arch = UV_ARCH_X86_64;
        break;
    case CPU_ARM64:
    case CPU_ARM64_OLD:
        dump->arch = UV_ARCH_ARM64;
        break;
    default:
        dump->arch = UV_ARCH_UNKNOWN;
        break;
    }

    char buf[96];
    const char *os = os_name(ps->platform);
    if (!os) {
        snprintf(buf, sizeof buf, "0x%08" PRIx32, ps->platform);
        os = buf;
    }
    dump->os = arena_str(ps, os, strlen(os), &rc);
    if (rc) return rc;

    uv_str csd = UV_STR_NULL;
    uint32_t csd_rva = get32(s + 24);
    if (csd_rva != 0) {
        rc = read_string(ps, csd_rva, "SystemInfo stream", loc->rva, &csd);
        if (rc) return rc;
    }
    int n = snprintf(buf, sizeof buf, "%" PRIu32 ".%" PRIu32 ".%" PRIu32, get32(s + 8),
                     get32(s + 12), get32(s + 16));
    size_t version_len = (size_t)n + (csd.len ? 1 + csd.len : 0);
    char *version = uv_arena_alloc(ps->arena, version_len + 1);
    if (!version) return UV_ENOMEM;
    memcpy(version, buf, (size_t)n);
    if (csd.len) {
        version[n] = ' ';
        memcpy(version + n + 1, csd.ptr, csd.len);
    }
    version[version_len] = '\0';
    dump->os_version = (uv_str){version, version_len};

    if (ps->cpu_arch == CPU_X86 || ps->cpu_arch == CPU_AMD64) {
        /* CPUID vendor (ebx, edx, ecx) when the writer filled it in: Crashpad leaves other
         * bytes there for x86-64, which Breakpad would print as garbage. */
        const uint8_t *vendor = s + 32;
        size_t vendor_len = 0;
        bool printable = true;
        for (; vendor_len < 12 && vendor[vendor_len] != 0; vendor_len++)
            if (vendor[vendor_len] < 0x20 || vendor[vendor_len] >= 0x7f) printable = false;
        if (!printable) vendor_len = 0;
        char info[128];
        n = snprintf(info, sizeof info, "%.*s%sfamily %u model %u stepping %u", (int)vendor_len,
                     (const char *)vendor, vendor_len ? " " : "", level, revision >> 8,
                     revision & 0xff);
        dump->cpu_info = arena_str(ps, info, (size_t)n, &rc);
    } else if (ps->cpu_arch == CPU_ARM) {
        n = snprintf(buf, sizeof buf, "ARMv%u", level);
        dump->cpu_info = arena_str(ps, buf, (size_t)n, &rc);
    }
    return rc;
}

/* Process id from MiscInfo, else from Breakpad's copy of /proc/PID/status ("Pid:\t123"). */
static int read_process_id(parser *ps)
{
    const location *loc = &ps->misc_info;
    if (loc->present) {
        int rc = stream_min(loc, STREAM_MISC_INFO, 8);
        if (rc) return rc;
        const uint8_t *m = ps->bytes + loc->rva;
        if (loc->size >= 12 && (get32(m + 4) & 1)) ps->dump->pid = get32(m + 8);
    }
    loc = &ps->linux_proc_status;
    if (ps->dump->pid == 0 && loc->present) {
        const char *text = (const char *)ps->bytes + loc->rva;
        size_t len = loc->size;
        for (size_t i = 0; i + 4 < len; i++) {
            if ((i == 0 || text[i - 1] == '\n') && memcmp(text + i, "Pid:", 4) == 0) {
                size_t j = i + 4;
                while (j < len && (text[j] == ' ' || text[j] == '\t'))
                    j++;
                uint64_t pid = 0;
                while (j < len && text[j] >= '0' && text[j] <= '9' && pid <= UINT32_MAX)
                    pid = pid * 10 + (uint64_t)(text[j++] - '0');
                if (pid <= UINT32_MAX) ps->dump->pid = (uint32_t)pid;
                break;
            }
        }
    }
    return 0;
}

static int read_breakpad_info(parser *ps)
{
    const location *loc = &ps->breakpad_info;
    if (!loc->present) return 0;
    int rc = stream_min(loc, STREAM_BREAKPAD_INFO, 12);
    if (rc) return rc;
    const uint8_t *b = ps->bytes + loc->rva;
    uint32_t validity = get32(b);
    ps->has_dump_thread = validity & 1;
    ps->dump_thread_id = get32(b + 4);
    ps->has_requesting_thread = validity & 2;
    ps->requesting_thread_id = get32(b + 8);
    return 0;
}

/* ---- memory -------------------------------------------------------------------------- */

static int add_region(parser *ps, uint64_t base, uint64_t size, uint64_t rva, const char *where,
                      uint64_t offset)
{
    if (size == 0) return 0;
    if (!in_file(ps, rva, size))
        return corrupt(where, offset,
                       "memory at 0x%" PRIx64 ": %" PRIu64 " bytes at file offset %" PRIu64
                       " run past the end of the file (%zu bytes)",
                       base, size, rva, ps->len);
    if (base + (size - 1) < base)
        return corrupt(where, offset,
                       "memory at 0x%" PRIx64 " of %" PRIu64
                       " bytes wraps around the address space",
                       base, size);
    if (ps->region_count == ps->region_cap) /* counted before allocating; cannot happen */
        return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0, "minidump: too many memory regions");
    ps->regions[ps->region_count++] = (uv_mem_region){base, size, ps->bytes + rva};
    return 0;
}

static int read_memory_list(parser *ps, uint32_t count, uint64_t first)
{
    for (uint32_t i = 0; i < count; i++) {
        uint64_t at = first + (uint64_t)i * MEMORY_DESCRIPTOR_SIZE;
        const uint8_t *d = ps->bytes + at;
        int rc = add_region(ps, get64(d), get32(d + 8), get32(d + 12), "MemoryList stream", at);
        if (rc) return rc;
    }
    return 0;
}

static int memory64_header(const parser *ps, uint64_t *count, uint64_t *base_rva)
{
    const location *loc = &ps->memory64_list;
    *count = 0;
    *base_rva = 0;
    if (!loc->present) return 0;
    int rc = stream_min(loc, STREAM_MEMORY64_LIST, 16);
    if (rc) return rc;
    uint64_t n = get64(ps->bytes + loc->rva);
    if (n > (loc->size - 16) / MEMORY64_DESCRIPTOR_SIZE)
        return corrupt("Memory64List stream", loc->rva,
                       "count %" PRIu64 " needs more than the %" PRIu32 " bytes the stream holds",
                       n, loc->size);
    *count = n;
    *base_rva = get64(ps->bytes + loc->rva + 8);
    return 0;
}

static int read_memory64_list(parser *ps, uint64_t count, uint64_t data)
{
    const location *loc = &ps->memory64_list;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t at = loc->rva + 16 + i * MEMORY64_DESCRIPTOR_SIZE;
        const uint8_t *d = ps->bytes + at;
        uint64_t size = get64(d + 8);
        int rc = add_region(ps, get64(d), size, data, "Memory64List stream", at);
        if (rc) return rc;
        data += size; /* in the file, so no overflow */
    }
    return 0;
}

/* ---- contexts ------------------------------------------------------------------------ */

static void read_x86(const uint8_t *c, uv_regs *regs)
{
    static const struct {
        int reg;
        unsigned offset;
        bool control;
    } fields[] = {
        {0, 176, false}, /* eax */
        {1, 172, false}, /* ecx */
        {2, 168, false}, /* edx */
        {3, 164, false}, /* ebx */
        {4, 196, true},  /* esp */
        {5, 180, true},  /* ebp */
        {6, 160, false}, /* esi */
        {7, 156, false}, /* edi */
        {8, 184, true},  /* eip */
        {9, 192, true},  /* eflags */
    };
    uint32_t flags = get32(c);
    bool all = (flags & (CONTEXT_CONTROL | CONTEXT_INTEGER)) == 0;
    regs->arch = UV_ARCH_X86;
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        uint32_t group = fields[i].control ? CONTEXT_CONTROL : CONTEXT_INTEGER;
        if (all || (flags & group)) uv_regs_set(regs, fields[i].reg, get32(c + fields[i].offset));
    }
}

static void read_amd64(const uint8_t *c, uv_regs *regs)
{
    /* Offsets of rax, rdx, rcx, rbx, rsi, rdi, rbp, rsp, r8..r15, rip: DWARF order. */
    static const unsigned offsets[17] = {120, 136, 128, 144, 168, 176, 160, 152, 184,
                                         192, 200, 208, 216, 224, 232, 240, 248};
    uint32_t flags = get32(c + 48);
    bool all = (flags & (CONTEXT_CONTROL | CONTEXT_INTEGER)) == 0;
    regs->arch = UV_ARCH_X86_64;
    for (int reg = 0; reg < 17; reg++) {
        uint32_t group = reg == 7 || reg == 16 ? CONTEXT_CONTROL : CONTEXT_INTEGER;
        if (all || (flags & group)) uv_regs_set(regs, reg, get64(c + offsets[reg]));
    }
}

/* Both ARM64 layouts keep x0..x30, sp and pc as 33 u64 from offset 8. */
static void read_arm64(const uint8_t *c, bool old, uv_regs *regs)
{
    uint32_t flags = get32(c);
    bool all = old || (flags & (CONTEXT_CONTROL | CONTEXT_INTEGER)) == 0;
    regs->arch = UV_ARCH_ARM64;
    for (int reg = 0; reg <= 32; reg++) {
        uint32_t group = reg >= 29 ? CONTEXT_CONTROL : CONTEXT_INTEGER;
        if (all || (flags & group)) uv_regs_set(regs, reg, get64(c + 8 + 8 * (unsigned)reg));
    }
}

/* Reads a thread context into regs. A missing context or one of an architecture we do not
 * model leaves regs empty (arch unknown); a context outside the file is an error. */
static int read_context(parser *ps, uint32_t size, uint32_t rva, const char *where, uint64_t offset,
                        uv_regs *regs)
{
    memset(regs, 0, sizeof *regs);
    if (size == 0) return 0;
    if (!in_file(ps, rva, size))
        return corrupt(where, offset,
                       "context of %" PRIu32 " bytes at %" PRIu32
                       " runs past the end of the file (%zu bytes)",
                       size, rva, ps->len);
    const uint8_t *c = ps->bytes + rva;
    uint32_t cpu = size >= 4 ? get32(c) & CONTEXT_CPU_MASK : 0;

    if (size == CONTEXT_AMD64_SIZE && (get32(c + 48) & CONTEXT_CPU_MASK) == CONTEXT_AMD64)
        read_amd64(c, regs);
    else if (cpu == CONTEXT_X86 && size >= CONTEXT_X86_SIZE_MIN)
        read_x86(c, regs);
    else if (cpu == CONTEXT_ARM64 && size >= CONTEXT_ARM64_SIZE_MIN)
        read_arm64(c, false, regs);
    else if (cpu == CONTEXT_ARM64_OLD && size >= CONTEXT_ARM64_SIZE_MIN && get32(c + 4) == 0)
        read_arm64(c, true, regs);
    else if (size >= CONTEXT_AMD64_SIZE_MIN && (get32(c + 48) & CONTEXT_CPU_MASK) == CONTEXT_AMD64)
        read_amd64(c, regs);
    else if (cpu == 0 && ps->have_system_info) {
        /* No CPU type in the flags: trust the system information, as Breakpad does. */
        if (ps->cpu_arch == CPU_X86 && size >= CONTEXT_X86_SIZE_MIN)
            read_x86(c, regs);
        else if (ps->cpu_arch == CPU_AMD64 && size >= CONTEXT_AMD64_SIZE_MIN)
            read_amd64(c, regs);
        else if ((ps->cpu_arch == CPU_ARM64 || ps->cpu_arch == CPU_ARM64_OLD) &&
                 size >= CONTEXT_ARM64_SIZE_MIN)
            read_arm64(c, size == CONTEXT_ARM64_OLD_SIZE, regs);
    }
    return 0;
}

/* ---- threads ------------------------------------------------------------------------- */

static int cmp_tid(const void *a, const void *b)
{
    const tid_index *x = a, *y = b;
    if (x->tid != y->tid) return x->tid < y->tid ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int read_threads(parser *ps, uint32_t count, uint64_t first)
{
    uv_dump *dump = ps->dump;
    dump->threads = uv_arena_calloc(ps->arena, count ? count : 1, sizeof *dump->threads);
    if (!dump->threads) return UV_ENOMEM;
    for (uint32_t i = 0; i < count; i++) {
        uint64_t at = first + (uint64_t)i * THREAD_SIZE;
        const uint8_t *t = ps->bytes + at;
        uint32_t tid = get32(t);
        if (ps->has_dump_thread && tid == ps->dump_thread_id) continue;
        uv_dump_thread *thread = &dump->threads[dump->thread_count];
        thread->tid = tid;
        thread->stack_base = get64(t + 24);
        thread->stack_size = get32(t + 32);
        int rc = add_region(ps, thread->stack_base, thread->stack_size, get32(t + 36),
                            "ThreadList stream", at);
        if (!rc)
            rc = read_context(ps, get32(t + 40), get32(t + 44), "ThreadList stream", at,
                              &thread->regs);
        if (rc) return rc;
        dump->thread_count++;
    }
    return 0;
}

/* Index of the thread with `tid` through the sorted index, or SIZE_MAX. */
static size_t find_thread(const tid_index *sorted, size_t count, uint32_t tid)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid].tid < tid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < count && sorted[lo].tid == tid ? sorted[lo].index : SIZE_MAX;
}

static int read_thread_names(parser *ps, const tid_index *sorted)
{
    const location *loc = &ps->thread_names;
    if (!loc->present) return 0;
    int rc = stream_min(loc, STREAM_THREAD_NAMES, 4);
    if (rc) return rc;
    uint32_t n = get32(ps->bytes + loc->rva);
    if ((uint64_t)n * THREAD_NAME_SIZE > loc->size - 4)
        return corrupt("ThreadNames stream", loc->rva,
                       "count %" PRIu32 " needs %" PRIu64 " bytes, the stream holds %" PRIu32, n,
                       (uint64_t)n * THREAD_NAME_SIZE, loc->size - 4);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t at = loc->rva + 4 + (uint64_t)i * THREAD_NAME_SIZE;
        const uint8_t *e = ps->bytes + at;
        size_t index = find_thread(sorted, ps->dump->thread_count, get32(e));
        if (index == SIZE_MAX) continue;
        uv_str name;
        rc = read_string(ps, get64(e + 4), "ThreadNames stream", at, &name);
        if (rc) return rc;
        if (ps->dump->threads[index].name.len == 0) ps->dump->threads[index].name = name;
    }
    return 0;
}

/* ---- modules ------------------------------------------------------------------------- */

static const char hex_upper[] = "0123456789ABCDEF";
static const char hex_lower[] = "0123456789abcdef";

/* Reads the CodeView record: debug ID and PDB name (RSDS, NB10) or build-id (BpEL). */
static void read_codeview(const uint8_t *cv, uint32_t size, uv_dump_module *module,
                          uv_str *pdb_name)
{
    *pdb_name = UV_STR_NULL;
    if (size < 4) return;
    uint32_t signature = get32(cv);
    char id[48];
    if (signature == CV_RSDS && size >= 24) {
        /* GUID fields printed as the integers they are, then the age (symbol server). */
        int n = snprintf(id, sizeof id, "%08" PRIX32 "%04X%04X", get32(cv + 4), get16(cv + 8),
                         get16(cv + 10));
        for (int i = 0; i < 8; i++) {
            id[n++] = hex_upper[cv[12 + i] >> 4];
            id[n++] = hex_upper[cv[12 + i] & 15];
        }
        n += snprintf(id + n, sizeof id - (size_t)n, "%" PRIx32, get32(cv + 20));
        if ((size_t)n < sizeof module->debug_id) memcpy(module->debug_id, id, (size_t)n + 1);
        const char *name = (const char *)cv + 24;
        const char *end = memchr(name, '\0', size - 24);
        *pdb_name = (uv_str){name, end ? (size_t)(end - name) : size - 24};
    } else if (signature == CV_NB10 && size >= 16) {
        int n = snprintf(id, sizeof id, "%08" PRIX32 "%" PRIx32, get32(cv + 8), get32(cv + 12));
        if ((size_t)n < sizeof module->debug_id) memcpy(module->debug_id, id, (size_t)n + 1);
        const char *name = (const char *)cv + 16;
        const char *end = memchr(name, '\0', size - 16);
        *pdb_name = (uv_str){name, end ? (size_t)(end - name) : size - 16};
    } else if (signature == CV_ELF && size > 4) {
        const uint8_t *build_id = cv + 4;
        size_t len = size - 4;
        if (len > UV_BUILD_ID_MAX) return; /* a truncated id would be a wrong one */
        for (size_t i = 0; i < len; i++) {
            module->build_id[2 * i] = hex_lower[build_id[i] >> 4];
            module->build_id[2 * i + 1] = hex_lower[build_id[i] & 15];
            module->code_id[2 * i] = hex_upper[build_id[i] >> 4];
            module->code_id[2 * i + 1] = hex_upper[build_id[i] & 15];
        }
        module->build_id[2 * len] = module->code_id[2 * len] = '\0';
        char uuid[UV_DEBUG_ID_UUID_LEN];
        uv_debug_id_from_build_id(build_id, len, uuid, module->debug_id);
    }
}

static int read_modules(parser *ps, uint32_t count, uint64_t first)
{
    uv_dump *dump = ps->dump;
    dump->modules = uv_arena_calloc(ps->arena, count ? count : 1, sizeof *dump->modules);
    if (!dump->modules) return UV_ENOMEM;
    for (uint32_t i = 0; i < count; i++) {
        uint64_t at = first + (uint64_t)i * MODULE_SIZE;
        const uint8_t *m = ps->bytes + at;
        uv_dump_module *module = &dump->modules[i];
        module->base = get64(m);
        module->size = get32(m + 8);
        module->main = i == 0; /* Breakpad: the first module is the executable */
        int rc = read_string(ps, get32(m + 20), "ModuleList stream", at, &module->path);
        if (rc) return rc;

        if (get32(m + 24) == VS_FIXEDFILEINFO_SIGNATURE &&
            (get32(m + 28) & VS_FIXEDFILEINFO_VERSION)) {
            char version[48];
            uint32_t hi = get32(m + 32), lo = get32(m + 36);
            int n = snprintf(version, sizeof version, "%u.%u.%u.%u", hi >> 16, hi & 0xffff,
                             lo >> 16, lo & 0xffff);
            module->version = arena_str(ps, version, (size_t)n, &rc);
            if (rc) return rc;
        }

        uv_str pdb_name = UV_STR_NULL;
        uint32_t cv_size = get32(m + 76), cv_rva = get32(m + 80);
        if (cv_size > 0) {
            if (!in_file(ps, cv_rva, cv_size))
                return corrupt("ModuleList stream", at,
                               "module %" PRIu32 " CodeView record of %" PRIu32 " bytes at %" PRIu32
                               " runs past the end of the file (%zu bytes)",
                               i, cv_size, cv_rva, ps->len);
            read_codeview(ps->bytes + cv_rva, cv_size, module, &pdb_name);
        }
        /* PDB names are often full paths ("c:\\build\\app.pdb"); symbol stores key on the
         * base name, as minidump_stackwalk prints it. */
        module->debug_file = pdb_name.len ? base_name(pdb_name) : base_name(module->path);

        if (is_windows(ps->platform)) {
            snprintf(module->code_id, sizeof module->code_id, "%08" PRIX32 "%" PRIx32,
                     get32(m + 16), get32(m + 8));
        }
        dump->module_count++;
    }
    return 0;
}

/* Names modules that have no path from Breakpad's copy of /proc/PID/maps: the mapping that
 * starts at the module's base names its file. */
static void name_modules_from_maps(parser *ps)
{
    const location *loc = &ps->linux_maps;
    uv_dump *dump = ps->dump;
    if (!loc->present) return;
    bool unnamed = false;
    for (size_t i = 0; i < dump->module_count; i++)
        if (dump->modules[i].path.len == 0) unnamed = true;
    if (!unnamed) return;
    const char *text = (const char *)ps->bytes + loc->rva, *end = text + loc->size;
    while (text < end) {
        const char *eol = memchr(text, '\n', (size_t)(end - text));
        if (!eol) eol = end;
        uint64_t start = 0;
        const char *p = text;
        int digits = 0;
        for (; p < eol && digits < 16; p++, digits++) {
            int v = *p >= '0' && *p <= '9'   ? *p - '0'
                    : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
                    : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
                                             : -1;
            if (v < 0) break;
            start = start << 4 | (uint64_t)v;
        }
        /* The path is the sixth field; it starts at the first '/' after the fifth. */
        int fields = 0;
        const char *path = NULL;
        for (const char *q = text; q < eol; q++) {
            if (*q != ' ' && (q == text || q[-1] == ' ')) {
                if (++fields == 6) {
                    path = q;
                    break;
                }
            }
        }
        if (digits > 0 && path) {
            for (size_t i = 0; i < dump->module_count; i++) {
                uv_dump_module *module = &dump->modules[i];
                if (module->path.len == 0 && module->base == start) {
                    module->path = (uv_str){path, (size_t)(eol - path)};
                    if (module->debug_file.len == 0) module->debug_file = base_name(module->path);
                }
            }
        }
        text = eol + 1;
    }
}

/* ---- exception ----------------------------------------------------------------------- */

static const char *windows_code_name(uint32_t code)
{
    static const struct {
        uint32_t code;
        const char *name;
    } names[] = {
        {0x40010005, "DBG_CONTROL_C"},
        {0x80000001, "EXCEPTION_GUARD_PAGE"},
        {0x80000002, "EXCEPTION_DATATYPE_MISALIGNMENT"},
        {0x80000003, "EXCEPTION_BREAKPOINT"},
        {0x80000004, "EXCEPTION_SINGLE_STEP"},
        {0xc0000008, "EXCEPTION_INVALID_HANDLE"},
        {0xc000001d, "EXCEPTION_ILLEGAL_INSTRUCTION"},
        {0xc0000025, "EXCEPTION_NONCONTINUABLE_EXCEPTION"},
        {0xc0000026, "EXCEPTION_INVALID_DISPOSITION"},
        {0xc000008c, "EXCEPTION_BOUNDS_EXCEEDED"},
        {0xc000008d, "EXCEPTION_FLT_DENORMAL_OPERAND"},
        {0xc000008e, "EXCEPTION_FLT_DIVIDE_BY_ZERO"},
        {0xc000008f, "EXCEPTION_FLT_INEXACT_RESULT"},
        {0xc0000090, "EXCEPTION_FLT_INVALID_OPERATION"},
        {0xc0000091, "EXCEPTION_FLT_OVERFLOW"},
        {0xc0000092, "EXCEPTION_FLT_STACK_CHECK"},
        {0xc0000093, "EXCEPTION_FLT_UNDERFLOW"},
        {0xc0000094, "EXCEPTION_INT_DIVIDE_BY_ZERO"},
        {0xc0000095, "EXCEPTION_INT_OVERFLOW"},
        {0xc0000096, "EXCEPTION_PRIV_INSTRUCTION"},
        {0xc00000fd, "EXCEPTION_STACK_OVERFLOW"},
        {0xc00000ff, "EXCEPTION_BAD_FUNCTION_TABLE"},
        {0xc0000194, "EXCEPTION_POSSIBLE_DEADLOCK"},
        {0xc0000409, "EXCEPTION_STACK_BUFFER_OVERRUN"},
        {0xc0000374, "EXCEPTION_HEAP_CORRUPTION"},
        {0xe0000008, "Out of Memory"},
        {0xe06d7363, "Unhandled C++ Exception"},
        {0x0517a7ed, "Simulated Exception"},
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (names[i].code == code) return names[i].name;
    return NULL;
}

/* Windows reasons; access violations and in-page errors say read/write/exec from parameter
 * 0 and put the faulting data address in parameter 1. */
static bool windows_reason(char *out, size_t size, uint32_t code, const uint64_t *params,
                           uint32_t nparams, uint64_t *address)
{
    if (code == 0xc0000005 || code == 0xc0000006) {
        const char *base =
            code == 0xc0000005 ? "EXCEPTION_ACCESS_VIOLATION" : "EXCEPTION_IN_PAGE_ERROR";
        const char *kind = "";
        if (nparams >= 1) {
            kind = params[0] == 0   ? "_READ"
                   : params[0] == 1 ? "_WRITE"
                   : params[0] == 8 ? "_EXEC"
                                    : "";
        }
        int n = snprintf(out, size, "%s%s", base, kind);
        if (code == 0xc0000006 && nparams >= 3 && n > 0 && (size_t)n < size)
            snprintf(out + n, size - (size_t)n, " / 0x%08" PRIx32, (uint32_t)params[2]);
        if (nparams >= 2) *address = params[1];
        return true;
    }
    const char *name = windows_code_name(code);
    if (!name) return false;
    snprintf(out, size, "%s", name);
    return true;
}

static bool linux_reason(char *out, size_t size, uint32_t code, uint32_t flags)
{
    if (code == 0xffffffffu) { /* Breakpad's "dump requested" pseudo-exception */
        snprintf(out, size, "DUMP_REQUESTED");
        return true;
    }
    return uv_linux_signal_reason(out, size, code, flags);
}

static bool mac_reason(char *out, size_t size, uint32_t code, uint32_t flags, uint16_t arch)
{
    static const char *const exceptions[] = {NULL,
                                             "EXC_BAD_ACCESS",
                                             "EXC_BAD_INSTRUCTION",
                                             "EXC_ARITHMETIC",
                                             "EXC_EMULATION",
                                             "EXC_SOFTWARE",
                                             "EXC_BREAKPOINT",
                                             "EXC_SYSCALL",
                                             "EXC_MACH_SYSCALL",
                                             "EXC_RPC_ALERT"};
    if (code == 0x43507378) {
        snprintf(out, size, "Simulated Exception");
        return true;
    }
    if (code == 0 || code >= sizeof exceptions / sizeof *exceptions) return false;
    bool x86 = arch == CPU_X86 || arch == CPU_AMD64;
    bool arm = arch == CPU_ARM || arch == CPU_ARM64_OLD;
    const char *sub = NULL;
    switch (code) {
    case 1: /* EXC_BAD_ACCESS: a kern_return_t, or a CPU-specific code */
        sub = flags == 1    ? "KERN_INVALID_ADDRESS"
              : flags == 2  ? "KERN_PROTECTION_FAILURE"
              : flags == 8  ? "KERN_NO_ACCESS"
              : flags == 9  ? "KERN_MEMORY_FAILURE"
              : flags == 10 ? "KERN_MEMORY_ERROR"
              : flags == 50 ? "KERN_CODESIGN_ERROR"
                            : NULL;
        if (!sub && arm)
            sub = flags == 0x101 ? "EXC_ARM_DA_ALIGN" : flags == 0x102 ? "EXC_ARM_DA_DEBUG" : NULL;
        if (!sub && x86 && flags == 13) sub = "EXC_I386_GPFLT";
        break;
    case 2:
        if (arm && flags == 1) sub = "EXC_ARM_UNDEFINED";
        if (x86)
            sub = flags == 1    ? "EXC_I386_INVOP"
                  : flags == 10 ? "EXC_I386_INVTSSFLT"
                  : flags == 11 ? "EXC_I386_SEGNPFLT"
                  : flags == 12 ? "EXC_I386_STKFLT"
                  : flags == 13 ? "EXC_I386_GPFLT"
                  : flags == 17 ? "EXC_I386_ALIGNFLT"
                                : NULL;
        break;
    case 3:
        if (x86) {
            static const char *const arith[] = {NULL,
                                                "EXC_I386_DIV",
                                                "EXC_I386_INTO",
                                                "EXC_I386_NOEXT",
                                                "EXC_I386_EXTOVR",
                                                "EXC_I386_EXTERR",
                                                "EXC_I386_EMERR",
                                                "EXC_I386_BOUND",
                                                "EXC_I386_SSEEXTERR"};
            if (flags > 0 && flags < sizeof arith / sizeof *arith) sub = arith[flags];
        }
        break;
    case 5:
        sub = flags == 0x00010002   ? "SIGABRT"
              : flags == 0xdeadc0de ? "UNCAUGHT_NS_EXCEPTION"
                                    : NULL;
        break;
    case 6:
        if (arm)
            sub = flags == 0x101   ? "EXC_ARM_DA_ALIGN"
                  : flags == 0x102 ? "EXC_ARM_DA_DEBUG"
                  : flags == 1     ? "EXC_ARM_BREAKPOINT"
                                   : NULL;
        if (x86) sub = flags == 1 ? "EXC_I386_SGL" : flags == 2 ? "EXC_I386_BPT" : NULL;
        break;
    default:
        break;
    }
    if (sub)
        snprintf(out, size, "%s / %s", exceptions[code], sub);
    else
        snprintf(out, size, "%s / 0x%08" PRIx32, exceptions[code], flags);
    return true;
}

static int read_exception(parser *ps, const tid_index *sorted)
{
    const location *loc = &ps->exception;
    uv_dump *dump = ps->dump;
    if (!loc->present) {
        if (ps->has_requesting_thread) {
            dump->crash_tid = ps->requesting_thread_id;
            dump->crash_thread = find_thread(sorted, dump->thread_count, dump->crash_tid);
        }
        return 0;
    }
    int rc = stream_min(loc, STREAM_EXCEPTION, EXCEPTION_STREAM_SIZE);
    if (rc) return rc;
    const uint8_t *e = ps->bytes + loc->rva;
    uint32_t code = get32(e + 8), flags = get32(e + 12);
    uint32_t nparams = get32(e + 32);
    if (nparams > EXCEPTION_MAX_PARAMETERS) nparams = EXCEPTION_MAX_PARAMETERS;
    uint64_t params[EXCEPTION_MAX_PARAMETERS];
    for (uint32_t i = 0; i < nparams; i++)
        params[i] = get64(e + 40 + 8 * i);

    dump->crashed = true;
    dump->crash_tid = get32(e);
    dump->crash_address = get64(e + 24);
    dump->crash_code = code;

    char reason[96];
    bool named = false;
    if (is_windows(ps->platform)) {
        named = windows_reason(reason, sizeof reason, code, params, nparams, &dump->crash_address);
    } else if (is_linux(ps->platform)) {
        named = linux_reason(reason, sizeof reason, code, flags);
        if (code != 0xffffffffu) dump->crash_signal = code;
        dump->crash_code = flags; /* si_code */
    } else if (ps->platform == OS_MAC_OS_X || ps->platform == OS_IOS) {
        named = mac_reason(reason, sizeof reason, code, flags, ps->cpu_arch);
    }
    if (!named) snprintf(reason, sizeof reason, "0x%08" PRIx32 " / 0x%08" PRIx32, code, flags);
    dump->crash_reason = arena_str(ps, reason, strlen(reason), &rc);
    if (rc) return rc;

    /* 32-bit architectures: only the low half of the address means anything. */
    if (ps->have_system_info &&
        (ps->cpu_arch == CPU_X86 || ps->cpu_arch == CPU_MIPS || ps->cpu_arch == CPU_PPC ||
         ps->cpu_arch == CPU_SHX || ps->cpu_arch == CPU_ARM || ps->cpu_arch == CPU_X86_WIN64))
        dump->crash_address &= 0xffffffffu;

    dump->crash_thread = find_thread(sorted, dump->thread_count, dump->crash_tid);
    uv_regs regs;
    rc = read_context(ps, get32(e + 160), get32(e + 164), "Exception stream", loc->rva, &regs);
    if (rc) return rc;
    /* The thread's own context is inside the exception handler; the exception's is at the
     * fault. Keep the thread's when the exception carries none we can read. */
    if (dump->crash_thread != SIZE_MAX && regs.arch != UV_ARCH_UNKNOWN)
        dump->threads[dump->crash_thread].regs = regs;
    return 0;
}

/* ---- the whole dump ------------------------------------------------------------------ */

bool uv_minidump_is(const void *bytes, size_t len)
{
    return bytes && len >= 4 && get32(bytes) == MD_SIGNATURE;
}

static int parse(parser *ps)
{
    uv_dump *dump = ps->dump;
    int rc = read_directory(ps);
    if (!rc) rc = read_system_info(ps);
    if (!rc) rc = read_process_id(ps);
    if (!rc) rc = read_breakpad_info(ps);
    if (rc) return rc;

    uint32_t threads, modules, ranges;
    uint64_t threads_at, modules_at, ranges_at, ranges64, data64;
    rc = list_header(ps, &ps->thread_list, STREAM_THREAD_LIST, THREAD_SIZE, &threads, &threads_at);
    if (!rc)
        rc = list_header(ps, &ps->module_list, STREAM_MODULE_LIST, MODULE_SIZE, &modules,
                         &modules_at);
    if (!rc)
        rc = list_header(ps, &ps->memory_list, STREAM_MEMORY_LIST, MEMORY_DESCRIPTOR_SIZE, &ranges,
                         &ranges_at);
    if (!rc) rc = memory64_header(ps, &ranges64, &data64);
    if (rc) return rc;

    /* Every count is bounded by its stream's size, so these allocations are bounded by the
     * file's size. */
    ps->region_cap = (size_t)threads + ranges + (size_t)ranges64;
    ps->regions =
        uv_arena_calloc(ps->arena, ps->region_cap ? ps->region_cap : 1, sizeof *ps->regions);
    if (!ps->regions) return UV_ENOMEM;
    rc = read_memory_list(ps, ranges, ranges_at);
    if (!rc) rc = read_memory64_list(ps, ranges64, data64);
    if (!rc) rc = read_threads(ps, threads, threads_at);
    if (rc) return rc;

    tid_index *sorted =
        uv_arena_calloc(ps->arena, dump->thread_count ? dump->thread_count : 1, sizeof *sorted);
    if (!sorted) return UV_ENOMEM;
    for (size_t i = 0; i < dump->thread_count; i++)
        sorted[i] = (tid_index){dump->threads[i].tid, i};
    qsort(sorted, dump->thread_count, sizeof *sorted, cmp_tid);

    rc = read_thread_names(ps, sorted);
    if (!rc) rc = read_modules(ps, modules, modules_at);
    if (!rc) rc = read_exception(ps, sorted);
    if (rc) return rc;
    name_modules_from_maps(ps);

    uv_memory_sort(ps->regions, &ps->region_count);
    dump->memory = (uv_memory){ps->regions, ps->region_count};

    for (size_t i = 0; i < dump->thread_count; i++) {
        uv_dump_thread *thread = &dump->threads[i];
        if (dump->arch == UV_ARCH_UNKNOWN && thread->regs.arch != UV_ARCH_UNKNOWN)
            dump->arch = thread->regs.arch;
        /* Full-memory dumps leave the stack descriptor empty and keep the stack in
         * Memory64List: take the region holding the stack's start. */
        if (thread->stack_size == 0 && thread->stack_base != 0) {
            const uv_mem_region *r = uv_memory_find(&dump->memory, thread->stack_base);
            if (r) thread->stack_size = r->base + r->size - thread->stack_base;
        }
    }
    return 0;
}

int uv_minidump_parse(uv_dump **out, const void *bytes, size_t len)
{
    *out = NULL;
    if (!bytes || len < 4)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "not a minidump: %zu bytes", len);
    uint32_t signature = get32(bytes);
    if (signature == MD_SIGNATURE_SWAPPED)
        return uv_error_set(UV_EUNSUPPORTED, UV_LIB_NONE, 0,
                            "minidump: big-endian minidumps are not supported");
    if (signature != MD_SIGNATURE)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                            "not a minidump: no \"MDMP\" signature at offset 0");

    uv_arena *arena;
    int rc = uv_arena_new(&arena);
    if (rc) return rc;
    uv_dump *dump = uv_arena_calloc(arena, 1, sizeof *dump);
    if (!dump) {
        uv_arena_free(arena);
        return UV_ENOMEM;
    }
    dump->arena = arena;
    dump->kind = UV_DUMP_MINIDUMP;
    dump->crash_thread = SIZE_MAX;
    dump->os = dump->os_version = dump->cpu_info = dump->crash_reason = (uv_str){"", 0};

    parser ps = {.bytes = bytes, .len = len, .arena = arena, .dump = dump};
    ps.string_budget = len + STRING_BUDGET_SLACK;
    rc = parse(&ps);
    if (rc) {
        uv_arena_free(arena);
        return rc;
    }
    *out = dump;
    return 0;
}
