/* Fuzz target for formats/elf.c: open the input; on success call every getter, walk the
 * section table and read every section by name (inflating compressed ones), read the debug
 * links, build the symbol list, and check the model's invariants with abort(): views lie
 * inside the input or in inflated data, symbols strictly increase, failures leave *out NULL. */
#include "formats/elf.h"

#include "formats/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static volatile size_t sink;

static void check_view(uv_str v, const uint8_t *data, size_t size)
{
    const char *lo = (const char *)data, *hi = lo + size;
    if (v.len == 0) return;
    if (v.ptr < lo || v.ptr > hi || v.len > (size_t)(hi - v.ptr)) abort();
    for (size_t i = 0; i < v.len; i++)
        sink += (unsigned char)v.ptr[i];
}

static void touch(const uint8_t *p, size_t len)
{
    if (len && !p) abort();
    size_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += p[i];
    sink += sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uv_elf *elf = (uv_elf *)&sink; /* must be reset to NULL on failure */
    if (uv_elf_open(&elf, data, size) != 0) {
        if (elf) abort();
        if (uv_error_last()->message[0] == '\0') abort();
        return 0;
    }

    sink += (size_t)uv_elf_get_kind(elf) + uv_elf_machine(elf) + uv_elf_is_64(elf);
    sink += strlen(uv_elf_kind_name(uv_elf_get_kind(elf)));
    sink += strlen(uv_elf_machine_name(elf));
    sink += (size_t)uv_elf_first_load_vaddr(elf);

    const uint8_t *id;
    size_t id_len;
    if (uv_elf_build_id(elf, &id, &id_len) == 0) {
        if (id_len == 0 || id_len > UV_BUILD_ID_MAX) abort();
        if (id < data || id + id_len > data + size) abort();
        char hex[2 * UV_BUILD_ID_MAX + 1];
        if (uv_elf_build_id_hex(elf, hex) != 0 || strlen(hex) != 2 * id_len) abort();
        char uuid[UV_DEBUG_ID_UUID_LEN], breakpad[UV_DEBUG_ID_BREAKPAD_LEN];
        if (uv_elf_debug_id(elf, uuid, breakpad) != 0) abort();
        if (strlen(uuid) != 36 || strlen(breakpad) != 33) abort();
    }

    uv_str name;
    uint32_t crc;
    if (uv_elf_debuglink(elf, &name, &crc) == 0) {
        if (name.len == 0) abort();
        check_view(name, data, size);
    }
    const uint8_t *alt_id;
    size_t alt_len;
    if (uv_elf_altlink(elf, &name, &alt_id, &alt_len) == 0) {
        check_view(name, data, size);
        if (alt_id < data || alt_id + alt_len > data + size) abort();
    }

    uv_elf_section_info info;
    for (size_t i = 0; uv_elf_section_at(elf, i, &info) == 0; i++) {
        check_view(info.name, data, size);
        if (info.name.len == 0 || info.name.len > 200) continue;
        char section_name[256];
        memcpy(section_name, info.name.ptr, info.name.len);
        section_name[info.name.len] = '\0';
        bool has = uv_elf_has_section(elf, section_name);
        const uint8_t *bytes;
        size_t len;
        int rc = uv_elf_section(elf, section_name, &bytes, &len);
        if (rc == 0) {
            if (!has) abort();
            touch(bytes, len);
            /* Cached: the same answer again. */
            const uint8_t *again;
            size_t again_len;
            if (uv_elf_section(elf, section_name, &again, &again_len) != 0) abort();
            if (again != bytes || again_len != len) abort();
        } else if (rc == UV_ENOTFOUND && has) {
            abort();
        }
    }

    const uv_elf_symbol *symbols;
    size_t count;
    if (uv_elf_symbols(elf, &symbols, &count) == 0) {
        for (size_t i = 0; i < count; i++) {
            if (symbols[i].addr == 0) abort();
            if (i > 0 && symbols[i].addr <= symbols[i - 1].addr) abort();
            if (symbols[i].name.len == 0) abort();
            check_view(symbols[i].name, data, size);
        }
    }
    uv_elf_free(elf);
    return 0;
}
