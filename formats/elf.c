/* ELF reader (see elf.h). The file is untrusted: before libelf sees it we check the
 * identification bytes and that the section and program header tables lie inside the buffer
 * (libelf quietly pretends a truncated table is empty, and older versions trust e_shoff when
 * reading the extended section count). libelf then parses the headers and the symbol tables
 * for both classes and byte orders; we read section contents, notes, names and compressed data
 * ourselves, straight from the caller's bytes, with every offset checked.
 *
 * Layout reminders (ELF gABI):
 *   note:          namesz, descsz, type (3 × 4 bytes), name padded to the note alignment (4,
 *                  or 8 in PT_NOTE/SHT_NOTE with alignment 8), desc padded likewise.
 *   SHF_COMPRESSED: Elf64_Chdr {u32 ch_type, u32 reserved, u64 ch_size, u64 ch_addralign}
 *                  or Elf32_Chdr {u32 ch_type, u32 ch_size, u32 ch_addralign}, then the zlib
 *                  stream (ch_type 1 = ELFCOMPRESS_ZLIB; 2 = zstd, unsupported here).
 *   .zdebug_*:     "ZLIB", 8-byte big-endian uncompressed size, zlib stream (GNU, pre-gABI).
 *   .gnu_debuglink: NUL-terminated file name, zero padding to 4, CRC-32 in file byte order.
 *   .gnu_debugaltlink: NUL-terminated path, then the build-id bytes to the end.
 *
 * Ownership: everything we hand out points into the caller's bytes or into the handle's arena
 * (inflated sections, the symbol array) and lives until uv_elf_free. */
#include "formats/elf.h"

#include "formats/buf.h"
#include "formats/error.h"

#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#ifndef SHF_COMPRESSED
#define SHF_COMPRESSED (1u << 11)
#endif
#ifndef ELFCOMPRESS_ZLIB
#define ELFCOMPRESS_ZLIB 1
#endif
#ifndef ELFCOMPRESS_ZSTD
#define ELFCOMPRESS_ZSTD 2
#endif
#ifndef NT_GNU_BUILD_ID
#define NT_GNU_BUILD_ID 3
#endif
#ifndef STT_GNU_IFUNC
#define STT_GNU_IFUNC 10
#endif
#ifndef STB_GNU_UNIQUE
#define STB_GNU_UNIQUE 10
#endif

/* One inflated section may not exceed this: DWARF sections of the largest debug files we
 * expect (browsers, LLVM) stay well below it, and it bounds what a lying header can make us
 * allocate. */
#define INFLATE_LIMIT ((uint64_t)1 << 30)
/* Deflate cannot expand by more than 1032:1 (a 258-byte match costs at least 2 bits), so a
 * declared size beyond this ratio (plus slack for headers of tiny streams) is a lie. */
#define INFLATE_MAX_RATIO 1032u
#define INFLATE_SLACK 1024u

typedef struct {
    uv_str name;
    uint64_t offset, size, addr, flags, entsize, addralign;
    uint32_t type, link;
    bool compressed; /* SHF_COMPRESSED or named .zdebug* */
} section;

/* An inflated section, or the failure to inflate it (kept so that asking again neither
 * allocates again nor hides the first message). */
typedef struct {
    size_t index;
    const uint8_t *data;
    size_t len;
    int status;
    const char *error; /* in the arena, when status != 0 */
} inflated_section;

struct uv_elf {
    Elf *elf;
    const uint8_t *bytes;
    size_t len;
    uv_arena *arena;
    bool is_64, big_endian;
    uint16_t type, machine;

    section *sections;
    size_t section_count;

    uint64_t first_load_vaddr;

    const uint8_t *build_id;
    size_t build_id_len;
    int build_id_status;      /* 0, UV_ENOTFOUND or UV_ECORRUPT */
    char build_id_error[200]; /* the message for UV_ECORRUPT */

    inflated_section *inflated;
    size_t inflated_count, inflated_cap;

    uv_elf_symbol *symbols;
    size_t symbol_count;
    bool symbols_built;
};

/* ---- byte order ---------------------------------------------------------------------- */

static uint16_t get16(bool big, const uint8_t *p)
{
    return big ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t get32(bool big, const uint8_t *p)
{
    return big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
               : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint64_t get64(bool big, const uint8_t *p)
{
    return big ? (uint64_t)get32(true, p) << 32 | get32(true, p + 4)
               : (uint64_t)get32(false, p + 4) << 32 | get32(false, p);
}

/* True when [offset, offset+size) lies inside a buffer of `len` bytes. */
static bool in_bounds(uint64_t offset, uint64_t size, size_t len)
{
    return offset <= len && size <= len - offset;
}

static int elf_failure(const char *what)
{
    int err = elf_errno();
    return uv_error_set(UV_ECORRUPT, UV_LIB_ELF, err, "%s: %s", what, elf_errmsg(err));
}

/* ---- header tables, checked before libelf reads them --------------------------------- */

typedef struct {
    uint64_t phoff, shoff;
    uint16_t phentsize, phnum, shentsize, shnum, shstrndx;
} raw_header;

static int check_tables(const uint8_t *p, size_t len, bool is_64, bool big, raw_header *h)
{
    if (is_64) {
        h->phoff = get64(big, p + 32);
        h->shoff = get64(big, p + 40);
        h->phentsize = get16(big, p + 54);
        h->phnum = get16(big, p + 56);
        h->shentsize = get16(big, p + 58);
        h->shnum = get16(big, p + 60);
        h->shstrndx = get16(big, p + 62);
    } else {
        h->phoff = get32(big, p + 28);
        h->shoff = get32(big, p + 32);
        h->phentsize = get16(big, p + 42);
        h->phnum = get16(big, p + 44);
        h->shentsize = get16(big, p + 46);
        h->shnum = get16(big, p + 48);
        h->shstrndx = get16(big, p + 50);
    }
    size_t shdr_size = is_64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
    size_t phdr_size = is_64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);

    /* Section headers. e_shnum == 0 with e_shoff != 0 means the count is in section 0's
     * sh_size (likewise e_shstrndx == SHN_XINDEX → sh_link, e_phnum == PN_XNUM → sh_info). */
    uint64_t shnum = h->shnum;
    if (h->shoff != 0) {
        if (h->shentsize != shdr_size)
            return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                                "ELF header: e_shentsize is %u, expected %zu", h->shentsize,
                                shdr_size);
        if (!in_bounds(h->shoff, shdr_size, len))
            return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                                "section header table at offset %llu lies past the end of the "
                                "file (%zu bytes)",
                                (unsigned long long)h->shoff, len);
        const uint8_t *s0 = p + h->shoff;
        if (shnum == 0) shnum = is_64 ? get64(big, s0 + 32) : get32(big, s0 + 20);
        uint64_t table;
        if (__builtin_mul_overflow(shnum, (uint64_t)shdr_size, &table) ||
            !in_bounds(h->shoff, table, len))
            return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                                "section header table at offset %llu (%llu entries) ends past "
                                "the end of the file (%zu bytes)",
                                (unsigned long long)h->shoff, (unsigned long long)shnum, len);
    } else if (shnum != 0) {
        return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                            "ELF header: %llu sections but no section header table (e_shoff 0)",
                            (unsigned long long)shnum);
    }

    uint64_t phnum = h->phnum;
    if (phnum == PN_XNUM) {
        if (h->shoff == 0)
            return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                                "ELF header: e_phnum is PN_XNUM but there is no section 0");
        phnum = get32(big, p + h->shoff + (is_64 ? 44 : 28));
    }
    if (phnum != 0) {
        if (h->phentsize != phdr_size)
            return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                                "ELF header: e_phentsize is %u, expected %zu", h->phentsize,
                                phdr_size);
        uint64_t table;
        if (__builtin_mul_overflow(phnum, (uint64_t)phdr_size, &table) ||
            !in_bounds(h->phoff, table, len))
            return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                                "program header table at offset %llu (%llu entries) ends past "
                                "the end of the file (%zu bytes)",
                                (unsigned long long)h->phoff, (unsigned long long)phnum, len);
    }
    return 0;
}

/* ---- sections ------------------------------------------------------------------------ */

static int read_sections(uv_elf *e)
{
    size_t count, strndx;
    if (elf_getshdrnum(e->elf, &count) != 0) return elf_failure("section header count");
    if (count == 0) return 0;
    if (elf_getshdrstrndx(e->elf, &strndx) != 0) return elf_failure("section name table index");

    e->sections = uv_arena_calloc(e->arena, count, sizeof *e->sections);
    if (!e->sections) return UV_ENOMEM;
    e->section_count = count;

    for (size_t i = 0; i < count; i++) {
        GElf_Shdr sh;
        Elf_Scn *scn = elf_getscn(e->elf, i);
        if (!scn || !gelf_getshdr(scn, &sh)) {
            char what[64];
            snprintf(what, sizeof what, "section header %zu", i);
            return elf_failure(what);
        }
        section *s = &e->sections[i];
        s->offset = sh.sh_offset;
        s->size = sh.sh_size;
        s->addr = sh.sh_addr;
        s->flags = sh.sh_flags;
        s->entsize = sh.sh_entsize;
        s->addralign = sh.sh_addralign;
        s->type = sh.sh_type;
        s->link = sh.sh_link;
        /* name.len holds sh_name until the section name table is known (below). */
        s->name = (uv_str){(const char *)e->bytes, sh.sh_name};
    }

    const section *names = NULL;
    if (strndx != SHN_UNDEF) {
        if (strndx >= count)
            return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                                "section name table index %zu is past the %zu sections", strndx,
                                count);
        names = &e->sections[strndx];
        if (names->type == SHT_NOBITS || !in_bounds(names->offset, names->size, e->len))
            return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                                "section name table (section %zu) at offset %llu, %llu bytes, "
                                "is not inside the file (%zu bytes)",
                                strndx, (unsigned long long)names->offset,
                                (unsigned long long)names->size, e->len);
    }
    const char *table = names ? (const char *)e->bytes + names->offset : NULL;
    uint64_t table_size = names ? names->size : 0;

    for (size_t i = 0; i < count; i++) {
        section *s = &e->sections[i];
        uint64_t name_offset = s->name.len;
        s->name.len = 0;
        if (names) {
            const char *end = NULL;
            if (name_offset < table_size)
                end = memchr(table + name_offset, '\0', table_size - name_offset);
            if (!end)
                return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                                    "section %zu: name offset %llu is not a string inside the "
                                    "section name table (%llu bytes)",
                                    i, (unsigned long long)name_offset,
                                    (unsigned long long)table_size);
            s->name = (uv_str){table + name_offset, (size_t)(end - (table + name_offset))};
        }
        if (s->type != SHT_NOBITS && s->type != SHT_NULL && !in_bounds(s->offset, s->size, e->len))
            return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                                "section %zu (%.*s) at offset %llu, %llu bytes, ends past the "
                                "end of the file (%zu bytes)",
                                i, (int)s->name.len, s->name.ptr, (unsigned long long)s->offset,
                                (unsigned long long)s->size, e->len);
        s->compressed = (s->flags & SHF_COMPRESSED) || uv_str_starts_with(s->name, ".zdebug");
    }
    return 0;
}

/* Exact name first; ".debug_x" then falls back to ".zdebug_x". SHT_NULL headers (section 0
 * and any other: their fields are undefined, so never bounds-checked) never match. */
static const section *find_section(const uv_elf *e, const char *name)
{
    for (size_t i = 1; i < e->section_count; i++)
        if (e->sections[i].type != SHT_NULL && uv_str_eq_c(e->sections[i].name, name))
            return &e->sections[i];
    if (strncmp(name, ".debug_", 7) == 0) {
        size_t rest = strlen(name + 7);
        for (size_t i = 1; i < e->section_count; i++) {
            uv_str n = e->sections[i].name;
            if (e->sections[i].type != SHT_NULL && n.len == 8 + rest &&
                memcmp(n.ptr, ".zdebug_", 8) == 0 && memcmp(n.ptr + 8, name + 7, rest) == 0)
                return &e->sections[i];
        }
    }
    return NULL;
}

/* ---- notes --------------------------------------------------------------------------- */

static uint64_t align_up(uint64_t v, uint64_t align)
{
    return (v + align - 1) & ~(align - 1);
}

/* Looks for NT_GNU_BUILD_ID "GNU" in the notes at [offset, offset+size) of the file.
 * Returns 1 when found, 0 when not, UV_ECORRUPT (message in e->build_id_error) when the
 * notes are malformed. `where` names the segment or section for messages. */
static int scan_notes(uv_elf *e, uint64_t offset, uint64_t size, uint64_t alignment,
                      const char *where)
{
    if (!in_bounds(offset, size, e->len)) {
        snprintf(e->build_id_error, sizeof e->build_id_error,
                 "%s at offset %llu, %llu bytes, ends past the end of the file (%zu bytes)", where,
                 (unsigned long long)offset, (unsigned long long)size, e->len);
        return UV_ECORRUPT;
    }
    const uint8_t *p = e->bytes + offset;
    uint64_t align = alignment == 8 ? 8 : 4;
    uint64_t pos = 0;
    while (size - pos >= 12) {
        uint32_t namesz = get32(e->big_endian, p + pos);
        uint32_t descsz = get32(e->big_endian, p + pos + 4);
        uint32_t type = get32(e->big_endian, p + pos + 8);
        uint64_t name_at = pos + 12;
        uint64_t desc_at = name_at + align_up(namesz, align);
        if (desc_at > size || descsz > size - desc_at) {
            snprintf(e->build_id_error, sizeof e->build_id_error,
                     "%s: note at offset %llu (name %u bytes, description %u bytes) runs past "
                     "its end",
                     where, (unsigned long long)(offset + pos), namesz, descsz);
            return UV_ECORRUPT;
        }
        if (type == NT_GNU_BUILD_ID && namesz == 4 && memcmp(p + name_at, "GNU", 4) == 0 &&
            descsz > 0) {
            if (descsz > UV_BUILD_ID_MAX) {
                snprintf(e->build_id_error, sizeof e->build_id_error,
                         "%s: build-id note at offset %llu is %u bytes, more than %d", where,
                         (unsigned long long)(offset + pos), descsz, UV_BUILD_ID_MAX);
                return UV_ECORRUPT;
            }
            e->build_id = p + desc_at;
            e->build_id_len = descsz;
            return 1;
        }
        pos = desc_at + align_up(descsz, align); /* ≤ size + 7: no overflow */
        if (pos > size) break;                   /* last note without trailing padding */
    }
    return 0;
}

/* PT_NOTE segments first (what a running process has mapped), then SHT_NOTE sections (a
 * separate debug file's segments may point at nothing), as Breakpad and Sentry do. */
static void find_build_id(uv_elf *e, size_t phnum)
{
    int status = UV_ENOTFOUND;
    char first_error[sizeof e->build_id_error] = "";
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e->elf, (int)i, &ph) || ph.p_type != PT_NOTE) continue;
        char where[64];
        snprintf(where, sizeof where, "note segment %zu", i);
        int r = scan_notes(e, ph.p_offset, ph.p_filesz, ph.p_align, where);
        if (r == 1) return;
        if (r < 0 && status != UV_ECORRUPT) {
            status = UV_ECORRUPT;
            memcpy(first_error, e->build_id_error, sizeof first_error);
        }
    }
    for (size_t i = 0; i < e->section_count; i++) {
        const section *s = &e->sections[i];
        if (s->type != SHT_NOTE) continue;
        char where[96];
        snprintf(where, sizeof where, "note section %.*s", (int)s->name.len, s->name.ptr);
        int r = scan_notes(e, s->offset, s->size, s->addralign, where);
        if (r == 1) return;
        if (r < 0 && status != UV_ECORRUPT) {
            status = UV_ECORRUPT;
            memcpy(first_error, e->build_id_error, sizeof first_error);
        }
    }
    e->build_id_status = status;
    memcpy(e->build_id_error, first_error, sizeof first_error);
}

/* ---- open / free --------------------------------------------------------------------- */

static pthread_once_t libelf_once = PTHREAD_ONCE_INIT;
static bool libelf_ok;

static void libelf_init(void)
{
    libelf_ok = elf_version(EV_CURRENT) != EV_NONE;
}

int uv_elf_open(uv_elf **out, const void *bytes, size_t len)
{
    *out = NULL;
    const uint8_t *p = bytes;
    if (!p || len < SELFMAG || memcmp(p, ELFMAG, SELFMAG) != 0)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "not an ELF file");
    if (len < EI_NIDENT)
        return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                            "ELF identification truncated: %zu bytes, %d needed", len, EI_NIDENT);
    if (p[EI_CLASS] != ELFCLASS32 && p[EI_CLASS] != ELFCLASS64)
        return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                            "ELF class byte (offset %d) is %u, neither 32- nor 64-bit", EI_CLASS,
                            p[EI_CLASS]);
    if (p[EI_DATA] != ELFDATA2LSB && p[EI_DATA] != ELFDATA2MSB)
        return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                            "ELF data encoding byte (offset %d) is %u, neither little- nor "
                            "big-endian",
                            EI_DATA, p[EI_DATA]);
    bool is_64 = p[EI_CLASS] == ELFCLASS64;
    bool big = p[EI_DATA] == ELFDATA2MSB;
    size_t header_size = is_64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    if (len < header_size)
        return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                            "ELF header truncated: %zu bytes, the %d-bit header needs %zu", len,
                            is_64 ? 64 : 32, header_size);
    raw_header raw;
    int rc = check_tables(p, len, is_64, big, &raw);
    if (rc) return rc;

    pthread_once(&libelf_once, libelf_init);
    if (!libelf_ok)
        return uv_error_set(UV_EUNSUPPORTED, UV_LIB_ELF, elf_errno(),
                            "libelf does not support ELF version %d", EV_CURRENT);

    uv_elf *e = calloc(1, sizeof *e);
    if (!e) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "ELF handle: out of memory");
    e->bytes = p;
    e->len = len;
    e->is_64 = is_64;
    e->big_endian = big;
    e->build_id_status = UV_ENOTFOUND;
    rc = uv_arena_new(&e->arena);
    if (rc) goto fail;

    /* elf_memory takes `char *` because descriptors opened for writing may be updated in
     * place; with only the read calls used here libelf never writes to the image (the unit
     * test maps files PROT_READ to hold it to that), so casting away const is sound. */
    e->elf = elf_memory((char *)p, len);
    if (!e->elf) {
        rc = elf_failure("ELF header");
        goto fail;
    }
    if (elf_kind(e->elf) != ELF_K_ELF) {
        rc = uv_error_set(UV_ECORRUPT, UV_LIB_ELF, 0, "libelf does not recognise the ELF header");
        goto fail;
    }
    GElf_Ehdr eh;
    if (!gelf_getehdr(e->elf, &eh)) {
        rc = elf_failure("ELF header");
        goto fail;
    }
    e->type = eh.e_type;
    e->machine = eh.e_machine;

    rc = read_sections(e);
    if (rc) goto fail;

    size_t phnum;
    if (elf_getphdrnum(e->elf, &phnum) != 0) {
        rc = elf_failure("program header count");
        goto fail;
    }
    bool have_load = false;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e->elf, (int)i, &ph)) {
            char what[64];
            snprintf(what, sizeof what, "program header %zu", i);
            rc = elf_failure(what);
            goto fail;
        }
        if (ph.p_type == PT_LOAD && !have_load) {
            e->first_load_vaddr = ph.p_vaddr;
            have_load = true;
        }
    }
    find_build_id(e, phnum);
    *out = e;
    return 0;

fail:
    uv_elf_free(e);
    return rc;
}

void uv_elf_free(uv_elf *elf)
{
    if (!elf) return;
    if (elf->elf) elf_end(elf->elf);
    uv_arena_free(elf->arena);
    free(elf->inflated);
    free(elf);
}

/* ---- simple getters ------------------------------------------------------------------ */

uv_elf_kind uv_elf_get_kind(const uv_elf *elf)
{
    switch (elf->type) {
    case ET_EXEC:
        return UV_ELF_EXECUTABLE;
    case ET_DYN:
        return UV_ELF_SHARED;
    case ET_REL:
        return UV_ELF_RELOCATABLE;
    case ET_CORE:
        return UV_ELF_CORE;
    default:
        return UV_ELF_OTHER;
    }
}

const char *uv_elf_kind_name(uv_elf_kind kind)
{
    switch (kind) {
    case UV_ELF_EXECUTABLE:
        return "executable";
    case UV_ELF_SHARED:
        return "shared";
    case UV_ELF_RELOCATABLE:
        return "relocatable";
    case UV_ELF_CORE:
        return "core";
    case UV_ELF_OTHER:
        break;
    }
    return "other";
}

uint16_t uv_elf_machine(const uv_elf *elf)
{
    return elf->machine;
}

/* Names as the GNU triplets and `uname -m` spell them; where one e_machine covers both
 * widths the class decides. Anything else is "unknown" (callers still have the number). */
const char *uv_elf_machine_name(const uv_elf *elf)
{
    bool w = elf->is_64;
    switch (elf->machine) {
    case EM_386:
        return "x86";
    case EM_X86_64:
        return "x86_64";
    case EM_ARM:
        return "arm";
    case EM_AARCH64:
        return "aarch64";
    case EM_PPC:
        return "ppc";
    case EM_PPC64:
        return "ppc64";
    case EM_MIPS:
        return w ? "mips64" : "mips";
    case EM_RISCV:
        return w ? "riscv64" : "riscv32";
    case EM_S390:
        return w ? "s390x" : "s390";
    case EM_SPARC:
        return "sparc";
    case EM_SPARCV9:
        return "sparcv9";
    case EM_IA_64:
        return "ia64";
    case EM_ALPHA:
        return "alpha";
    case EM_SH:
        return "sh";
    case EM_PARISC:
        return "hppa";
    case EM_68K:
        return "m68k";
#ifdef EM_LOONGARCH
    case EM_LOONGARCH:
        return w ? "loongarch64" : "loongarch32";
#else
    case 258:
        return w ? "loongarch64" : "loongarch32";
#endif
    default:
        return "unknown";
    }
}

bool uv_elf_is_64(const uv_elf *elf)
{
    return elf->is_64;
}

uint64_t uv_elf_first_load_vaddr(const uv_elf *elf)
{
    return elf->first_load_vaddr;
}

/* ---- build-id and debug ID ----------------------------------------------------------- */

int uv_elf_build_id(const uv_elf *elf, const uint8_t **out, size_t *len)
{
    if (!elf->build_id) {
        if (elf->build_id_status == UV_ECORRUPT)
            return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0, "%s", elf->build_id_error);
        return uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0, "no GNU build-id note");
    }
    *out = elf->build_id;
    *len = elf->build_id_len;
    return 0;
}

static const char hex_lower[] = "0123456789abcdef";
static const char hex_upper[] = "0123456789ABCDEF";

int uv_elf_build_id_hex(const uv_elf *elf, char *out)
{
    const uint8_t *id = NULL;
    size_t len = 0;
    int rc = uv_elf_build_id(elf, &id, &len);
    if (rc) {
        out[0] = '\0';
        return rc;
    }
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex_lower[id[i] >> 4];
        out[2 * i + 1] = hex_lower[id[i] & 15];
    }
    out[2 * len] = '\0';
    return 0;
}

void uv_debug_id_from_build_id_order(const uint8_t *build_id, size_t len, bool big_endian,
                                     char uuid[UV_DEBUG_ID_UUID_LEN],
                                     char breakpad[UV_DEBUG_ID_BREAKPAD_LEN])
{
    uint8_t g[16] = {0};
    memcpy(g, build_id, len < 16 ? len : 16);
    if (!big_endian) {
        /* The GUID's Data1 (4 bytes), Data2 and Data3 (2 bytes each) are little-endian
         * integers on the device; printing them big-endian swaps their bytes. */
        uint8_t t;
        t = g[0], g[0] = g[3], g[3] = t;
        t = g[1], g[1] = g[2], g[2] = t;
        t = g[4], g[4] = g[5], g[5] = t;
        t = g[6], g[6] = g[7], g[7] = t;
    }
    size_t u = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) uuid[u++] = '-';
        uuid[u++] = hex_lower[g[i] >> 4];
        uuid[u++] = hex_lower[g[i] & 15];
        breakpad[2 * i] = hex_upper[g[i] >> 4];
        breakpad[2 * i + 1] = hex_upper[g[i] & 15];
    }
    uuid[u] = '\0';
    breakpad[32] = '0'; /* age: always 0 for ELF */
    breakpad[33] = '\0';
}

void uv_debug_id_from_build_id(const uint8_t *build_id, size_t len, char uuid[UV_DEBUG_ID_UUID_LEN],
                               char breakpad[UV_DEBUG_ID_BREAKPAD_LEN])
{
    uv_debug_id_from_build_id_order(build_id, len, false, uuid, breakpad);
}

int uv_elf_debug_id(const uv_elf *elf, char uuid[UV_DEBUG_ID_UUID_LEN],
                    char breakpad[UV_DEBUG_ID_BREAKPAD_LEN])
{
    const uint8_t *id = NULL;
    size_t len = 0;
    int rc = uv_elf_build_id(elf, &id, &len);
    if (rc) {
        uuid[0] = breakpad[0] = '\0';
        return rc;
    }
    uv_debug_id_from_build_id_order(id, len, elf->big_endian, uuid, breakpad);
    return 0;
}

/* ---- debug links --------------------------------------------------------------------- */

int uv_elf_debuglink(const uv_elf *elf, uv_str *name, uint32_t *crc)
{
    const section *s = find_section(elf, ".gnu_debuglink");
    if (!s || s->type == SHT_NOBITS)
        return uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0, "no .gnu_debuglink section");
    const char *p = (const char *)elf->bytes + s->offset;
    const char *end = memchr(p, '\0', s->size);
    if (!end || end == p)
        return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                            ".gnu_debuglink at offset %llu: no NUL-terminated file name",
                            (unsigned long long)s->offset);
    uint64_t crc_at = align_up((uint64_t)(end - p) + 1, 4);
    if (crc_at > s->size || s->size - crc_at < 4)
        return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                            ".gnu_debuglink at offset %llu: %llu bytes leave no room for the CRC "
                            "at offset %llu",
                            (unsigned long long)s->offset, (unsigned long long)s->size,
                            (unsigned long long)crc_at);
    *name = (uv_str){p, (size_t)(end - p)};
    *crc = get32(elf->big_endian, (const uint8_t *)p + crc_at);
    return 0;
}

uint32_t uv_debuglink_crc32(const void *data, size_t len)
{
    const Bytef *p = data;
    uLong crc = crc32(0L, Z_NULL, 0);
    while (len > 0) {
        uInt chunk = len > (1u << 30) ? (1u << 30) : (uInt)len;
        crc = crc32(crc, p, chunk);
        p += chunk;
        len -= chunk;
    }
    return (uint32_t)crc;
}

int uv_elf_altlink(const uv_elf *elf, uv_str *path, const uint8_t **build_id, size_t *len)
{
    const section *s = find_section(elf, ".gnu_debugaltlink");
    if (!s || s->type == SHT_NOBITS)
        return uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0, "no .gnu_debugaltlink section");
    const char *p = (const char *)elf->bytes + s->offset;
    const char *end = memchr(p, '\0', s->size);
    if (!end || end == p)
        return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                            ".gnu_debugaltlink at offset %llu: no NUL-terminated path",
                            (unsigned long long)s->offset);
    size_t id_len = s->size - (size_t)(end + 1 - p);
    if (id_len == 0 || id_len > UV_BUILD_ID_MAX)
        return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                            ".gnu_debugaltlink at offset %llu: build-id of %zu bytes (1 to %d "
                            "expected)",
                            (unsigned long long)s->offset, id_len, UV_BUILD_ID_MAX);
    *path = (uv_str){p, (size_t)(end - p)};
    *build_id = (const uint8_t *)end + 1;
    *len = id_len;
    return 0;
}

/* ---- section contents ---------------------------------------------------------------- */

static int inflate_into(const section *s, const uint8_t *in, uint64_t in_len, uint64_t declared,
                        uint8_t *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    int zr = inflateInit(&z);
    if (zr != Z_OK)
        return uv_error_set(zr == Z_MEM_ERROR ? UV_ENOMEM : UV_EUNSUPPORTED, UV_LIB_ZLIB, zr,
                            "section %.*s: inflateInit failed", (int)s->name.len, s->name.ptr);
    /* One spare output byte tells "exactly the declared size" from "more than declared". */
    z.next_out = out;
    z.avail_out = (uInt)(declared + 1);
    uint64_t left = in_len;
    int rc = 0;
    for (;;) {
        if (z.avail_in == 0 && left > 0) {
            uInt chunk = left > (1u << 30) ? (1u << 30) : (uInt)left;
            z.next_in = (Bytef *)(uintptr_t)in;
            z.avail_in = chunk;
            in += chunk;
            left -= chunk;
        }
        zr = inflate(&z, left == 0 ? Z_FINISH : Z_NO_FLUSH);
        if (zr == Z_STREAM_END) break;
        if (zr == Z_OK && (z.avail_in > 0 || left > 0) && z.avail_out > 0) continue;
        if (zr == Z_MEM_ERROR) {
            rc = uv_error_set(UV_ENOMEM, UV_LIB_ZLIB, zr, "section %.*s: out of memory",
                              (int)s->name.len, s->name.ptr);
        } else if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT || zr == Z_STREAM_ERROR) {
            rc = uv_error_set(UV_ECORRUPT, UV_LIB_ZLIB, zr,
                              "section %.*s at offset %llu: bad zlib stream after %lu bytes: %s",
                              (int)s->name.len, s->name.ptr, (unsigned long long)s->offset,
                              z.total_in, z.msg ? z.msg : "invalid data");
        } else if (z.avail_out == 0) {
            rc = uv_error_set(UV_ECORRUPT, UV_LIB_ZLIB, zr,
                              "section %.*s at offset %llu: inflates to more than the declared "
                              "%llu bytes",
                              (int)s->name.len, s->name.ptr, (unsigned long long)s->offset,
                              (unsigned long long)declared);
        } else {
            rc = uv_error_set(UV_ECORRUPT, UV_LIB_ZLIB, zr,
                              "section %.*s at offset %llu: zlib stream ends early (%lu of %llu "
                              "bytes)",
                              (int)s->name.len, s->name.ptr, (unsigned long long)s->offset,
                              z.total_out, (unsigned long long)declared);
        }
        break;
    }
    if (rc == 0 && z.total_out > declared)
        rc = uv_error_set(UV_ECORRUPT, UV_LIB_ZLIB, 0,
                          "section %.*s at offset %llu: inflates to more than the declared "
                          "%llu bytes",
                          (int)s->name.len, s->name.ptr, (unsigned long long)s->offset,
                          (unsigned long long)declared);
    else if (rc == 0 && z.total_out < declared)
        rc = uv_error_set(UV_ECORRUPT, UV_LIB_ZLIB, 0,
                          "section %.*s at offset %llu: zlib stream ends early (%lu of %llu "
                          "bytes)",
                          (int)s->name.len, s->name.ptr, (unsigned long long)s->offset, z.total_out,
                          (unsigned long long)declared);
    inflateEnd(&z);
    return rc;
}

static int inflate_section(uv_elf *e, const section *s, const uint8_t **data, size_t *len)
{
    size_t index = (size_t)(s - e->sections);
    for (size_t i = 0; i < e->inflated_count; i++)
        if (e->inflated[i].index == index) {
            const inflated_section *c = &e->inflated[i];
            if (c->status) return uv_error_set(c->status, UV_LIB_NONE, 0, "%s", c->error);
            *data = c->data;
            *len = c->len;
            return 0;
        }

    const uint8_t *raw = e->bytes + s->offset;
    uint64_t header, declared;
    int name_len = (int)s->name.len;
    if (s->flags & SHF_COMPRESSED) {
        header = e->is_64 ? sizeof(Elf64_Chdr) : sizeof(Elf32_Chdr);
        if (s->size < header)
            return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                                "section %.*s at offset %llu: %llu bytes, too short for its "
                                "compression header",
                                name_len, s->name.ptr, (unsigned long long)s->offset,
                                (unsigned long long)s->size);
        uint32_t type = get32(e->big_endian, raw);
        declared = e->is_64 ? get64(e->big_endian, raw + 8) : get32(e->big_endian, raw + 4);
        if (type != ELFCOMPRESS_ZLIB)
            return uv_error_set(UV_EUNSUPPORTED, UV_LIB_NONE, 0,
                                "section %.*s: compression type %u (%s) is not supported, only "
                                "zlib (1)",
                                name_len, s->name.ptr, type,
                                type == ELFCOMPRESS_ZSTD ? "zstd" : "unknown");
    } else {
        header = 12;
        if (s->size < header || memcmp(raw, "ZLIB", 4) != 0)
            return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                                "section %.*s at offset %llu: no \"ZLIB\" header", name_len,
                                s->name.ptr, (unsigned long long)s->offset);
        declared = get64(true, raw + 4);
    }
    uint64_t compressed = s->size - header;
    if (declared > INFLATE_LIMIT)
        return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0,
                            "section %.*s: declares %llu bytes uncompressed, more than the 1 GiB "
                            "limit",
                            name_len, s->name.ptr, (unsigned long long)declared);
    if (declared > compressed * INFLATE_MAX_RATIO + INFLATE_SLACK)
        return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                            "section %.*s: declares %llu bytes from %llu compressed bytes, more "
                            "than deflate can produce",
                            name_len, s->name.ptr, (unsigned long long)declared,
                            (unsigned long long)compressed);

    inflated_section *grown =
        uv_array_grow(e->inflated, &e->inflated_cap, e->inflated_count, sizeof *e->inflated, 8);
    if (!grown) return UV_ENOMEM;
    e->inflated = grown;
    uint8_t *out = uv_arena_alloc(e->arena, (size_t)declared + 1);
    if (!out) return UV_ENOMEM;
    int rc = inflate_into(s, raw + header, compressed, declared, out);
    if (rc) {
        const char *message = uv_error_last()->message;
        const char *copy = uv_arena_strndup(e->arena, message, strlen(message));
        if (copy) e->inflated[e->inflated_count++] = (inflated_section){index, NULL, 0, rc, copy};
        return rc;
    }
    e->inflated[e->inflated_count++] = (inflated_section){index, out, (size_t)declared, 0, NULL};
    *data = out;
    *len = (size_t)declared;
    return 0;
}

int uv_elf_section(uv_elf *elf, const char *name, const uint8_t **data, size_t *len)
{
    const section *s = find_section(elf, name);
    if (!s || s->type == SHT_NOBITS)
        return uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0, "no section %s%s", name,
                            s ? " (only its header: SHT_NOBITS)" : "");
    if (s->compressed) return inflate_section(elf, s, data, len);
    *data = elf->bytes + s->offset;
    *len = (size_t)s->size;
    return 0;
}

bool uv_elf_has_section(const uv_elf *elf, const char *name)
{
    const section *s = find_section(elf, name);
    return s && s->type != SHT_NOBITS;
}

int uv_elf_section_at(const uv_elf *elf, size_t index, uv_elf_section_info *out)
{
    if (index >= elf->section_count)
        return uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0, "no section %zu (the file has %zu)",
                            index, elf->section_count);
    const section *s = &elf->sections[index];
    out->name = s->name;
    out->addr = s->addr;
    out->size = s->size;
    out->flags = s->flags;
    out->type = s->type;
    out->compressed = s->compressed;
    return 0;
}

/* ---- symbols ------------------------------------------------------------------------- */

typedef struct {
    uint64_t addr, size;
    uv_str name;
    uint32_t index; /* position in the table: keeps the order stable among equals */
    uint8_t rank;   /* 0 global, 1 weak, 2 local */
} candidate;

static int compare_candidates(const void *pa, const void *pb)
{
    const candidate *a = pa, *b = pb;
    if (a->addr != b->addr) return a->addr < b->addr ? -1 : 1;
    if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
    if (a->size != b->size) return a->size > b->size ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

static int build_symbols(uv_elf *e)
{
    const section *table = NULL;
    for (size_t i = 1; i < e->section_count && !table; i++)
        if (e->sections[i].type == SHT_SYMTAB) table = &e->sections[i];
    for (size_t i = 1; i < e->section_count && !table; i++)
        if (e->sections[i].type == SHT_DYNSYM) table = &e->sections[i];
    if (!table) return 0;

    size_t index = (size_t)(table - e->sections);
    int name_len = (int)table->name.len;
    size_t entsize = e->is_64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
    if (table->entsize != entsize)
        return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                            "symbol table %.*s: entry size %llu, expected %zu", name_len,
                            table->name.ptr, (unsigned long long)table->entsize, entsize);
    if (table->link >= e->section_count || e->sections[table->link].type != SHT_STRTAB)
        return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                            "symbol table %.*s: linked section %u is not a string table", name_len,
                            table->name.ptr, table->link);
    const section *strings = &e->sections[table->link];
    const char *str = (const char *)e->bytes + strings->offset;

    Elf_Data *data = elf_getdata(elf_getscn(e->elf, index), NULL);
    if (!data) return elf_failure("symbol table");
    size_t count = data->d_size / entsize;
    if (count > INT32_MAX)
        return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0, "symbol table %.*s: %zu symbols", name_len,
                            table->name.ptr, count);

    candidate *all = count ? malloc(count * sizeof *all) : NULL;
    if (count && !all) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "symbols: out of memory");
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        GElf_Sym sym;
        if (!gelf_getsym(data, (int)i, &sym)) {
            free(all);
            return elf_failure("symbol");
        }
        int type = GELF_ST_TYPE(sym.st_info);
        if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF) continue;
        uint64_t addr = sym.st_value;
        if (e->machine == EM_ARM) addr &= ~(uint64_t)1; /* the Thumb bit is not an address */
        if (addr == 0) continue;
        const char *end = NULL;
        if (sym.st_name < strings->size)
            end = memchr(str + sym.st_name, '\0', strings->size - sym.st_name);
        if (!end) {
            free(all);
            return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                                "symbol %zu of %.*s: name offset %u is not a string inside "
                                "%.*s (%llu bytes)",
                                i, name_len, table->name.ptr, (unsigned)sym.st_name,
                                (int)strings->name.len, strings->name.ptr,
                                (unsigned long long)strings->size);
        }
        if (end == str + sym.st_name) continue; /* nameless: nothing to show */
        int bind = GELF_ST_BIND(sym.st_info);
        uint8_t rank = bind == STB_GLOBAL || bind == STB_GNU_UNIQUE ? 0 : bind == STB_WEAK ? 1 : 2;
        all[n++] = (candidate){addr,
                               sym.st_size,
                               {str + sym.st_name, (size_t)(end - (str + sym.st_name))},
                               (uint32_t)i,
                               rank};
    }
    if (n > 1) qsort(all, n, sizeof *all, compare_candidates);
    size_t unique = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || all[i].addr != all[i - 1].addr) unique++;
    e->symbols = uv_arena_alloc(e->arena, (unique ? unique : 1) * sizeof *e->symbols);
    if (!e->symbols) {
        free(all);
        return UV_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || all[i].addr != all[i - 1].addr)
            e->symbols[k++] = (uv_elf_symbol){all[i].addr, all[i].size, all[i].name};
    e->symbol_count = k;
    free(all);
    return 0;
}

int uv_elf_symbols(uv_elf *elf, const uv_elf_symbol **out, size_t *count)
{
    if (!elf->symbols_built) {
        int rc = build_symbols(elf);
        if (rc) return rc;
        if (!elf->symbols) {
            elf->symbols = uv_arena_alloc(elf->arena, sizeof *elf->symbols);
            if (!elf->symbols) return UV_ENOMEM;
        }
        elf->symbols_built = true;
    }
    *out = elf->symbols;
    *count = elf->symbol_count;
    return 0;
}
