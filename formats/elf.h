/* ELF files (libelf, read from memory): kind, machine, GNU build-id and the debug ID derived
 * from it, .gnu_debuglink (+ CRC), .gnu_debugaltlink (dwz supplementary file), sections with
 * SHF_COMPRESSED and legacy .zdebug* sections inflated (zlib), function symbols from
 * .symtab/.dynsym, and program headers (the first PT_LOAD makes addresses module-relative).
 *
 * Debug IDs: Breakpad and Sentry turn a build-id into a debug ID by taking its first 16 bytes
 * (zero-padded) as a GUID whose first three fields (4, 2, 2 bytes) are byte-swapped, age 0.
 * The swap is for little-endian files (all common targets); for big-endian files the bytes
 * are taken as they are, as Sentry's symbolic does (Breakpad swaps by host byte order, which on
 * the device is the file's). docs/elf.md has a worked example.
 * We print it as Sentry does, "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (lowercase), and as
 * Breakpad does, 33 uppercase hex digits (GUID + age "0"). */
#ifndef UV_ELF_H
#define UV_ELF_H

#include "formats/arena.h"
#include "formats/str.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct uv_elf uv_elf;

typedef enum {
    UV_ELF_EXECUTABLE,  /* ET_EXEC */
    UV_ELF_SHARED,      /* ET_DYN (shared objects and PIE executables) */
    UV_ELF_RELOCATABLE, /* ET_REL */
    UV_ELF_CORE,        /* ET_CORE */
    UV_ELF_OTHER,
} uv_elf_kind;

typedef struct {
    uint64_t addr; /* st_value */
    uint64_t size; /* st_size (0 when unknown: then it extends to the next symbol) */
    uv_str name;   /* raw (mangled) name, a view into the file */
} uv_elf_symbol;

#define UV_BUILD_ID_MAX 64          /* bytes; real ones are 20 (SHA-1) or 16 (MD5/UUID) */
#define UV_DEBUG_ID_UUID_LEN 37     /* 36 chars + NUL */
#define UV_DEBUG_ID_BREAKPAD_LEN 34 /* 33 chars + NUL */

/* Reads an ELF image from `bytes` (typically mmapped; must outlive the handle: sections and
 * names are views into it, except inflated sections which live in the handle's arena).
 * Not an ELF → UV_EINVALID "not an ELF file"; truncated or inconsistent headers →
 * UV_ECORRUPT naming the offset/section. Free with uv_elf_free. */
int uv_elf_open(uv_elf **out, const void *bytes, size_t len);
void uv_elf_free(uv_elf *elf); /* accepts NULL */

uv_elf_kind uv_elf_get_kind(const uv_elf *elf);
const char *uv_elf_kind_name(uv_elf_kind kind);     /* "executable", "shared", … */
uint16_t uv_elf_machine(const uv_elf *elf);         /* e_machine, e.g. EM_X86_64 = 62 */
const char *uv_elf_machine_name(const uv_elf *elf); /* "x86_64", "aarch64", "x86", … */
bool uv_elf_is_64(const uv_elf *elf);

/* GNU build-id (NT_GNU_BUILD_ID from PT_NOTE or SHT_NOTE). UV_ENOTFOUND when absent. */
int uv_elf_build_id(const uv_elf *elf, const uint8_t **out, size_t *len);
/* Lowercase hex of the build-id (2*len chars + NUL; out must hold 2*UV_BUILD_ID_MAX+1). */
int uv_elf_build_id_hex(const uv_elf *elf, char *out);
/* Debug ID from the build-id in both spellings (see above). UV_ENOTFOUND without build-id. */
int uv_elf_debug_id(const uv_elf *elf, char uuid[UV_DEBUG_ID_UUID_LEN],
                    char breakpad[UV_DEBUG_ID_BREAKPAD_LEN]);
/* Pure conversion, exposed for tests and for build-ids given by users (little-endian rule). */
void uv_debug_id_from_build_id(const uint8_t *build_id, size_t len, char uuid[UV_DEBUG_ID_UUID_LEN],
                               char breakpad[UV_DEBUG_ID_BREAKPAD_LEN]);
/* The same for a file of either byte order: no swap when `big_endian`. */
void uv_debug_id_from_build_id_order(const uint8_t *build_id, size_t len, bool big_endian,
                                     char uuid[UV_DEBUG_ID_UUID_LEN],
                                     char breakpad[UV_DEBUG_ID_BREAKPAD_LEN]);

/* .gnu_debuglink: file name and CRC-32. UV_ENOTFOUND when absent. */
int uv_elf_debuglink(const uv_elf *elf, uv_str *name, uint32_t *crc);
/* The CRC-32 .gnu_debuglink uses (the zlib/IEEE polynomial), over a whole file. */
uint32_t uv_debuglink_crc32(const void *data, size_t len);
/* .gnu_debugaltlink: the dwz supplementary file's path and build-id. UV_ENOTFOUND. */
int uv_elf_altlink(const uv_elf *elf, uv_str *path, const uint8_t **build_id, size_t *len);

/* Virtual address of the first PT_LOAD segment (0 when there is none, e.g. a .o file). */
uint64_t uv_elf_first_load_vaddr(const uv_elf *elf);

/* Section contents by name, inflated when SHF_COMPRESSED (ELFCOMPRESS_ZLIB) or named .zdebug*
 * ("ZLIB" + 8-byte big-endian size). Asking for ".debug_info" also finds ".zdebug_info".
 * SHT_NOBITS sections (as in separate debug files' .text) are reported absent.
 * UV_ENOTFOUND when absent; UV_ECORRUPT on a bad compressed section; UV_EUNSUPPORTED for
 * compression types other than zlib (e.g. zstd, naming the type). Inflated data is cached
 * in the handle (a second call is free) and bounded (1 GiB per section: UV_ETOOBIG). */
int uv_elf_section(uv_elf *elf, const char *name, const uint8_t **data, size_t *len);
bool uv_elf_has_section(const uv_elf *elf, const char *name);
/* Section i (0-based over the section header table) for iteration: name, address, size,
 * flags, type; returns UV_ENOTFOUND past the end. */
typedef struct {
    uv_str name;
    uint64_t addr, size, flags;
    uint32_t type;
    bool compressed;
} uv_elf_section_info;
int uv_elf_section_at(const uv_elf *elf, size_t index, uv_elf_section_info *out);

/* Function symbols (STT_FUNC and STT_GNU_IFUNC with a non-zero address, from .symtab, else
 * .dynsym), sorted by address, one per address (a global name preferred over a weak one
 * over a local one, then the longer size; on EM_ARM the Thumb bit is cleared first).
 * Built on first call; the array lives as long as the handle. */
int uv_elf_symbols(uv_elf *elf, const uv_elf_symbol **out, size_t *count);

#endif
