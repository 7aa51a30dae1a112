/* DWARF 2–5 → uv_debuginfo through libdwarf (20210528 API).
 *
 * libdwarf reads our sections through its object-access interface: the sections come from
 * uv_elf_section (so SHF_COMPRESSED and .zdebug ones arrive inflated and nothing is read
 * from disk). Every compilation unit gives
 *   - its line program: rows (address, file, line, column) with end-of-sequence markers, and
 *     the file table turned into the absolute paths llvm-symbolizer prints (LLVM's
 *     Prologue::getFileNameByIndex with AbsoluteFilePath: comp_dir + include dir + name,
 *     an absolute component restarting the path; DWARF 5 directory 0 is the comp_dir entry);
 *   - its function instances: DW_TAG_subprogram with code and DW_TAG_inlined_subroutine
 *     nested in them, found by an iterative walk (bounded depth) through lexical blocks,
 *     namespaces and classes. Code ranges come from low_pc/high_pc (high_pc possibly an
 *     offset) or DW_AT_ranges (.debug_ranges with the CU base address, or .debug_rnglists).
 *     Names follow LLVM's DWARFDie::getName(LinkageName): the first DW_AT_linkage_name /
 *     DW_AT_MIPS_linkage_name found through the DW_AT_specification / DW_AT_abstract_origin
 *     chain (depth first, specification before origin), else the first DW_AT_name.
 * dwz supplementary files: DW_FORM_GNU_ref_alt / DW_FORM_ref_sup4/8 name DIEs in the alt
 * file's .debug_info (read through a second libdwarf handle), DW_FORM_GNU_strp_alt /
 * DW_FORM_strp_sup offsets into its .debug_str (read here). Without an alt file such names
 * come out "".
 *
 * libdwarf is always called with a Dwarf_Error and no error handler, so it never aborts; a
 * unit whose DIEs or line program are malformed is rolled back and counted, the rest kept. */
#include "formats/dwarf.h"

#include "formats/buf.h"
#include "formats/error.h"

#include <dwarf.h>
#include <libdwarf.h>

#include <stdlib.h>
#include <string.h>

/* Deeper DIE nesting than this is not produced by any compiler (real code stays below 40);
 * subtrees past it are skipped. */
#define MAX_DIE_DEPTH 256
/* Links followed from one DIE through DW_AT_specification / DW_AT_abstract_origin: real
 * chains are 1–3 long (inlined → abstract instance → in-class declaration). */
#define MAX_NAME_CHAIN 8
/* Entries in one unit's file table: a ceiling far above real ones (thousands at most). */
#define MAX_UNIT_FILES (1u << 20)

/* The debug sections libdwarf needs for lines, functions and names (others, like the large
 * .debug_loclists, stay compressed). */
static const char *const wanted_sections[] = {
    ".debug_info", ".debug_abbrev", ".debug_line",     ".debug_line_str",    ".debug_str",
    ".debug_addr", ".debug_ranges", ".debug_rnglists", ".debug_str_offsets",
};
#define SECTION_SLOTS (1 + sizeof wanted_sections / sizeof wanted_sections[0])

typedef struct {
    const char *name;
    const uint8_t *data;
    size_t len;
} section;

/* One ELF file seen through libdwarf. */
typedef struct {
    section sections[SECTION_SLOTS]; /* [0] is the null section, as in ELF */
    unsigned section_count;
    Dwarf_Endianness byte_order;
    Dwarf_Small pointer_size;
    Dwarf_Obj_Access_Interface access;
    Dwarf_Debug dbg;
    const uint8_t *debug_str; /* for DW_FORM_GNU_strp_alt into this file; may be NULL */
    size_t debug_str_len;
} dwarf_file;

/* A reference to a DIE: in the main file or in the supplementary one. */
typedef struct {
    bool valid, in_alt;
    Dwarf_Off offset;
} die_ref;

typedef struct {
    uint64_t key; /* (in_alt << 63 | offset) + 1; 0 = empty slot */
    uint32_t linkage, short_name;
} name_slot;

typedef struct {
    Dwarf_Die die;
    uint32_t parent;       /* instance enclosing this DIE */
    uint32_t child_parent; /* instance enclosing its children */
    bool descend;
} walk_frame;

typedef struct {
    uv_di_builder *builder;
    dwarf_file main, alt;
    bool has_alt;
    bool skip_zero_ranges; /* linked files: code at address 0 is code the linker dropped */
    Dwarf_Debug err_dbg;   /* the handle whose DIE is being read (errors belong to it) */
    uv_dwarf_summary summary;
    /* the unit being read */
    Dwarf_Off unit_offset;
    Dwarf_Half unit_version;
    Dwarf_Addr unit_base;
    bool unit_by_gcc;     /* DW_AT_producer "GNU …" */
    uint32_t *unit_files; /* file index as the unit numbers it → model file, or UV_DI_NONE */
    size_t unit_file_count, unit_file_cap;
    uv_buf path;
    struct {
        uint64_t low, high;
    } * pending; /* ranges of the instance being read */
    size_t pending_count, pending_cap;
    name_slot *names; /* DIE → names found through its chain */
    size_t name_count, name_cap;
    walk_frame stack[MAX_DIE_DEPTH];
} reader;

/* ---- libdwarf errors ---------------------------------------------------------------------- */

/* Turns a libdwarf failure into UV_ECORRUPT (or the message of a DW_DLV_NO_ENTRY where an
 * entry was required) and releases the error. */
static int dwarf_failed(Dwarf_Debug dbg, Dwarf_Error err, const char *what, Dwarf_Off unit)
{
    if (!err)
        return uv_error_set(UV_ECORRUPT, UV_LIB_DWARF, 0, "%s at CU offset 0x%llx", what,
                            (unsigned long long)unit);
    int code = (int)dwarf_errno(err);
    const char *msg = dwarf_errmsg(err);
    uv_error_set(UV_ECORRUPT, UV_LIB_DWARF, code, "%s at CU offset 0x%llx (libdwarf: %s)", what,
                 (unsigned long long)unit, msg ? msg : "no message");
    dwarf_dealloc(dbg, err, DW_DLA_ERROR);
    return UV_ECORRUPT;
}

#define CHECK_DW(r, res, err, what)                                                                \
    do {                                                                                           \
        if ((res) == DW_DLV_ERROR) return dwarf_failed((r)->err_dbg, err, what, (r)->unit_offset); \
    } while (0)

/* ---- object access: sections from uv_elf ---------------------------------------------------- */

static int obj_section_info(void *object, Dwarf_Half index, Dwarf_Obj_Access_Section *out,
                            int *error)
{
    const dwarf_file *f = object;
    *error = 0;
    if (index >= f->section_count) return DW_DLV_NO_ENTRY;
    memset(out, 0, sizeof *out);
    out->type = index ? 1 /* SHT_PROGBITS */ : 0 /* SHT_NULL */;
    out->size = f->sections[index].len;
    out->name = f->sections[index].name;
    return DW_DLV_OK;
}

static Dwarf_Endianness obj_byte_order(void *object)
{
    return ((const dwarf_file *)object)->byte_order;
}

static Dwarf_Small obj_length_size(void *object)
{
    (void)object;
    return 4; /* libdwarf reads 64-bit DWARF units from their own headers */
}

static Dwarf_Small obj_pointer_size(void *object)
{
    return ((const dwarf_file *)object)->pointer_size;
}

static Dwarf_Unsigned obj_section_count(void *object)
{
    return ((const dwarf_file *)object)->section_count;
}

static int obj_load_section(void *object, Dwarf_Half index, Dwarf_Small **data, int *error)
{
    const dwarf_file *f = object;
    *error = 0;
    if (index == 0 || index >= f->section_count) return DW_DLV_NO_ENTRY;
    /* libdwarf only reads loaded sections (we give it no relocation hook). */
    *data = (Dwarf_Small *)(uintptr_t)f->sections[index].data;
    return DW_DLV_OK;
}

static const Dwarf_Obj_Access_Methods access_methods = {
    obj_section_info, obj_byte_order, obj_length_size, obj_pointer_size, obj_section_count,
    obj_load_section, NULL,
};

/* The ELF handle does not say its byte order; the first unit header does: its 2-byte version
 * (2–5) has a zero high byte. */
static Dwarf_Endianness guess_byte_order(const uint8_t *info, size_t len)
{
    size_t at = 4;
    if (len >= 4 && info[0] == 0xff && info[1] == 0xff && info[2] == 0xff && info[3] == 0xff)
        at = 12; /* 64-bit DWARF: 0xffffffff then an 8-byte length */
    if (len >= at + 2 && info[at] == 0 && info[at + 1] >= 2 && info[at + 1] <= 5)
        return DW_OBJECT_MSB;
    return DW_OBJECT_LSB;
}

/* Opens libdwarf over `elf`. UV_ENOTFOUND when there is no (non-empty) .debug_info. */
static int open_file(dwarf_file *f, uv_elf *elf)
{
    memset(f, 0, sizeof *f);
    f->sections[0].name = "";
    f->section_count = 1;
    for (size_t i = 0; i < sizeof wanted_sections / sizeof wanted_sections[0]; i++) {
        const uint8_t *data;
        size_t len;
        int rc = uv_elf_section(elf, wanted_sections[i], &data, &len);
        if (rc == UV_ENOTFOUND || (rc == 0 && len == 0)) continue;
        if (rc) return rc;
        f->sections[f->section_count++] = (section){wanted_sections[i], data, len};
        if (i == 0) f->byte_order = guess_byte_order(data, len);
        if (strcmp(wanted_sections[i], ".debug_str") == 0) {
            f->debug_str = data;
            f->debug_str_len = len;
        }
    }
    if (f->section_count < 2 || strcmp(f->sections[1].name, ".debug_info") != 0)
        return uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0, "no DWARF debug info");
    f->pointer_size = uv_elf_is_64(elf) ? 8 : 4;
    f->access.object = f;
    f->access.methods = &access_methods;
    Dwarf_Error err = NULL;
    int res = dwarf_object_init_b(&f->access, NULL, NULL, DW_GROUPNUMBER_ANY, &f->dbg, &err);
    if (res == DW_DLV_NO_ENTRY) {
        f->dbg = NULL;
        return uv_error_set(UV_ENOTFOUND, UV_LIB_DWARF, 0, "no DWARF debug info");
    }
    if (res != DW_DLV_OK) {
        f->dbg = NULL;
        return dwarf_failed(NULL, err, "opening the DWARF sections", 0);
    }
    return 0;
}

static void close_file(dwarf_file *f)
{
    if (!f->dbg) return;
    Dwarf_Error err = NULL;
    if (dwarf_object_finish(f->dbg, &err) == DW_DLV_ERROR) dwarf_dealloc(NULL, err, DW_DLA_ERROR);
    f->dbg = NULL;
}

static dwarf_file *file_of(reader *r, bool in_alt)
{
    return in_alt ? &r->alt : &r->main;
}

/* ---- attributes ------------------------------------------------------------------------------ */

/* Looks up attribute `name`: 1 found (release with dwarf_dealloc_attribute), 0 absent, or a
 * negative error. */
static int get_attr(reader *r, Dwarf_Die die, Dwarf_Half name, Dwarf_Attribute *attr)
{
    Dwarf_Error err = NULL;
    int res = dwarf_attr(die, name, attr, &err);
    CHECK_DW(r, res, err, "reading a DIE attribute");
    return res == DW_DLV_OK;
}

/* A string attribute; "" when it lives in a supplementary file we do not have. */
static int attr_string(reader *r, Dwarf_Attribute attr, const char **out)
{
    Dwarf_Error err = NULL;
    Dwarf_Half form = 0;
    int res = dwarf_whatform(attr, &form, &err);
    CHECK_DW(r, res, err, "reading an attribute form");
    if (form == DW_FORM_GNU_strp_alt || form == DW_FORM_strp_sup) {
        Dwarf_Off offset = 0;
        res = dwarf_global_formref(attr, &offset, &err);
        CHECK_DW(r, res, err, "reading a supplementary string offset");
        *out = "";
        if (r->has_alt && r->alt.debug_str && offset < r->alt.debug_str_len &&
            memchr(r->alt.debug_str + offset, 0, r->alt.debug_str_len - offset))
            *out = (const char *)r->alt.debug_str + offset;
        return 0;
    }
    char *s = NULL;
    res = dwarf_formstring(attr, &s, &err);
    CHECK_DW(r, res, err, "reading a string attribute");
    *out = res == DW_DLV_OK && s ? s : "";
    return 0;
}

/* A reference attribute of a DIE in file `in_alt`: where the referenced DIE is. */
static int attr_ref(reader *r, bool in_alt, Dwarf_Attribute attr, die_ref *out)
{
    Dwarf_Error err = NULL;
    Dwarf_Half form = 0;
    *out = (die_ref){false, false, 0};
    int res = dwarf_whatform(attr, &form, &err);
    CHECK_DW(r, res, err, "reading an attribute form");
    if (form == DW_FORM_ref_sig8) return 0; /* type units: never a function */
    bool to_alt = in_alt || form == DW_FORM_GNU_ref_alt || form == DW_FORM_ref_sup4 ||
                  form == DW_FORM_ref_sup8;
    Dwarf_Off offset = 0;
    res = dwarf_global_formref(attr, &offset, &err);
    CHECK_DW(r, res, err, "reading a DIE reference");
    if (res != DW_DLV_OK || (to_alt && !r->has_alt)) return 0;
    *out = (die_ref){true, to_alt, offset};
    return 0;
}

static int attr_udata(reader *r, Dwarf_Die die, Dwarf_Half name, Dwarf_Unsigned *out, bool *found)
{
    Dwarf_Attribute attr;
    *found = false;
    int rc = get_attr(r, die, name, &attr);
    if (rc <= 0) return rc;
    Dwarf_Error err = NULL;
    Dwarf_Half form = 0;
    int res = dwarf_whatform(attr, &form, &err);
    if (res == DW_DLV_OK && form == DW_FORM_implicit_const) {
        /* this libdwarf reads DW_FORM_implicit_const (DWARF 5) only as signed data */
        Dwarf_Signed value = 0;
        res = dwarf_formsdata(attr, &value, &err);
        if (res == DW_DLV_OK && value < 0) res = DW_DLV_NO_ENTRY;
        *out = (Dwarf_Unsigned)value;
    } else if (res == DW_DLV_OK) {
        res = dwarf_formudata(attr, out, &err);
    }
    dwarf_dealloc_attribute(attr);
    CHECK_DW(r, res, err, "reading a constant attribute");
    *found = res == DW_DLV_OK;
    return 0;
}

/* ---- names ----------------------------------------------------------------------------------- */

static name_slot *name_lookup(reader *r, uint64_t key)
{
    if (!r->name_cap) return NULL;
    size_t mask = r->name_cap - 1;
    for (size_t s = (key * 0x9e3779b97f4a7c15ull) >> 20 & mask;; s = (s + 1) & mask) {
        if (r->names[s].key == key) return &r->names[s];
        if (r->names[s].key == 0) return NULL;
    }
}

static int name_store(reader *r, uint64_t key, uint32_t linkage, uint32_t short_name)
{
    if ((r->name_count + 1) * 2 > r->name_cap) { /* load under 50% */
        size_t cap = r->name_cap ? r->name_cap * 2 : 4096;
        name_slot *slots = calloc(cap, sizeof *slots);
        if (!slots) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "DWARF: out of memory");
        for (size_t i = 0; i < r->name_cap; i++) {
            if (!r->names[i].key) continue;
            size_t s = (r->names[i].key * 0x9e3779b97f4a7c15ull) >> 20 & (cap - 1);
            while (slots[s].key)
                s = (s + 1) & (cap - 1);
            slots[s] = r->names[i];
        }
        free(r->names);
        r->names = slots;
        r->name_cap = cap;
    }
    size_t mask = r->name_cap - 1;
    size_t s = (key * 0x9e3779b97f4a7c15ull) >> 20 & mask;
    while (r->names[s].key && r->names[s].key != key)
        s = (s + 1) & mask;
    if (!r->names[s].key) r->name_count++;
    r->names[s] = (name_slot){key, linkage, short_name};
    return 0;
}

static int intern_name(reader *r, const char *s, uint32_t *out)
{
    return uv_di_builder_name(r->builder, uv_str_c(s), out);
}

/* The linkage and plain names of one DIE itself (UV_DI_NONE when absent) and its links. */
static int die_own_names(reader *r, bool in_alt, Dwarf_Die die, uint32_t *linkage,
                         uint32_t *short_name, die_ref *spec, die_ref *origin)
{
    static const Dwarf_Half linkage_attrs[] = {DW_AT_MIPS_linkage_name, DW_AT_linkage_name};
    Dwarf_Attribute attr;
    int rc;
    *linkage = *short_name = UV_DI_NONE;
    *spec = *origin = (die_ref){false, false, 0};
    for (size_t i = 0; i < 2 && *linkage == UV_DI_NONE; i++) {
        if ((rc = get_attr(r, die, linkage_attrs[i], &attr)) < 0) return rc;
        if (rc == 0) continue;
        const char *s;
        rc = attr_string(r, attr, &s);
        dwarf_dealloc_attribute(attr);
        if (rc || (rc = intern_name(r, s, linkage))) return rc;
    }
    if ((rc = get_attr(r, die, DW_AT_name, &attr)) < 0) return rc;
    if (rc == 1) {
        const char *s;
        rc = attr_string(r, attr, &s);
        dwarf_dealloc_attribute(attr);
        if (rc || (rc = intern_name(r, s, short_name))) return rc;
    }
    if ((rc = get_attr(r, die, DW_AT_specification, &attr)) < 0) return rc;
    if (rc == 1) {
        rc = attr_ref(r, in_alt, attr, spec);
        dwarf_dealloc_attribute(attr);
        if (rc) return rc;
    }
    if ((rc = get_attr(r, die, DW_AT_abstract_origin, &attr)) < 0) return rc;
    if (rc == 1) {
        rc = attr_ref(r, in_alt, attr, origin);
        dwarf_dealloc_attribute(attr);
        if (rc) return rc;
    }
    return 0;
}

static int chain_names(reader *r, die_ref ref, unsigned depth, uint32_t *linkage,
                       uint32_t *short_name);

/* Combines a DIE's own names with those found through its links, in LLVM's order: the DIE,
 * then the DW_AT_specification chain, then the DW_AT_abstract_origin chain. */
static int names_through_links(reader *r, bool in_alt, Dwarf_Die die, unsigned depth,
                               uint32_t *linkage, uint32_t *short_name)
{
    die_ref links[2];
    int rc = die_own_names(r, in_alt, die, linkage, short_name, &links[0], &links[1]);
    if (rc) return rc;
    for (size_t i = 0; i < 2 && *linkage == UV_DI_NONE; i++) {
        if (!links[i].valid || depth >= MAX_NAME_CHAIN) continue;
        uint32_t l, s;
        if ((rc = chain_names(r, links[i], depth + 1, &l, &s))) return rc;
        *linkage = l;
        if (*short_name == UV_DI_NONE) *short_name = s;
    }
    return 0;
}

/* Names found from a referenced DIE on, cached per DIE (many inlined copies share one
 * abstract origin). A dangling reference gives no names, as in LLVM. */
static int chain_names(reader *r, die_ref ref, unsigned depth, uint32_t *linkage,
                       uint32_t *short_name)
{
    uint64_t key = ((uint64_t)ref.in_alt << 63 | ref.offset) + 1;
    const name_slot *cached = name_lookup(r, key);
    if (cached) {
        *linkage = cached->linkage;
        *short_name = cached->short_name;
        return 0;
    }
    *linkage = *short_name = UV_DI_NONE;
    dwarf_file *f = file_of(r, ref.in_alt);
    Dwarf_Die die = NULL;
    Dwarf_Error err = NULL;
    int res = dwarf_offdie_b(f->dbg, ref.offset, true, &die, &err);
    if (res == DW_DLV_ERROR) {
        if (ref.in_alt) { /* a bad link into the supplementary file: no name, not a bad unit */
            dwarf_dealloc(f->dbg, err, DW_DLA_ERROR);
            return name_store(r, key, UV_DI_NONE, UV_DI_NONE);
        }
        return dwarf_failed(f->dbg, err, "following a DIE reference", r->unit_offset);
    }
    if (res == DW_DLV_NO_ENTRY) return name_store(r, key, UV_DI_NONE, UV_DI_NONE);
    Dwarf_Debug saved = r->err_dbg;
    r->err_dbg = f->dbg;
    int rc = names_through_links(r, ref.in_alt, die, depth, linkage, short_name);
    r->err_dbg = saved;
    dwarf_dealloc_die(die);
    if (rc) return rc;
    return name_store(r, key, *linkage, *short_name);
}

/* ---- address ranges -------------------------------------------------------------------------- */

static int pending_add(reader *r, uint64_t low, uint64_t high)
{
    if (low >= high || (low == 0 && r->skip_zero_ranges)) return 0;
    void *grown =
        uv_array_grow(r->pending, &r->pending_cap, r->pending_count, sizeof *r->pending, 16);
    if (!grown) return UV_ENOMEM;
    r->pending = grown;
    r->pending[r->pending_count].low = low;
    r->pending[r->pending_count++].high = high;
    return 0;
}

/* DWARF 5 .debug_rnglists (DW_FORM_sec_offset or DW_FORM_rnglistx): libdwarf gives each entry
 * with its addresses already resolved ("cooked"). */
static int rnglist_ranges(reader *r, Dwarf_Attribute attr, Dwarf_Half form)
{
    Dwarf_Error err = NULL;
    Dwarf_Unsigned value = 0;
    int res;
    if (form == DW_FORM_rnglistx) {
        res = dwarf_formudata(attr, &value, &err);
    } else {
        Dwarf_Off offset = 0;
        res = dwarf_global_formref(attr, &offset, &err);
        value = offset;
    }
    CHECK_DW(r, res, err, "reading DW_AT_ranges");
    Dwarf_Rnglists_Head head = NULL;
    Dwarf_Unsigned count = 0, global_offset = 0;
    res = dwarf_rnglists_get_rle_head(attr, form, value, &head, &count, &global_offset, &err);
    CHECK_DW(r, res, err, "reading a .debug_rnglists list");
    if (res != DW_DLV_OK) return 0;
    int rc = 0;
    for (Dwarf_Unsigned i = 0; i < count && !rc; i++) {
        unsigned entry_len = 0, kind = 0;
        Dwarf_Unsigned raw1 = 0, raw2 = 0, low = 0, high = 0;
        Dwarf_Bool no_addr = 0;
        res = dwarf_get_rnglists_entry_fields_a(head, i, &entry_len, &kind, &raw1, &raw2, &no_addr,
                                                &low, &high, &err);
        if (res == DW_DLV_ERROR) {
            rc = dwarf_failed(r->main.dbg, err, "reading a .debug_rnglists entry", r->unit_offset);
            break;
        }
        if (res != DW_DLV_OK || kind == DW_RLE_end_of_list) break;
        if (kind == DW_RLE_base_address || kind == DW_RLE_base_addressx || no_addr) continue;
        rc = pending_add(r, low, high);
    }
    dwarf_dealloc_rnglists_head(head);
    return rc;
}

/* DWARF 2–4 .debug_ranges: offsets from the unit's base address until a base selection. */
static int debug_ranges(reader *r, Dwarf_Die die, Dwarf_Attribute attr, Dwarf_Half form)
{
    Dwarf_Error err = NULL;
    Dwarf_Off offset = 0;
    int res;
    if (form == DW_FORM_data4 || form == DW_FORM_data8) { /* DWARF 2/3 */
        Dwarf_Unsigned value = 0;
        res = dwarf_formudata(attr, &value, &err);
        offset = value;
    } else {
        res = dwarf_global_formref(attr, &offset, &err);
    }
    CHECK_DW(r, res, err, "reading DW_AT_ranges");
    Dwarf_Ranges *list = NULL;
    Dwarf_Signed count = 0;
    Dwarf_Unsigned bytes = 0;
    Dwarf_Off real_offset = 0;
    res = dwarf_get_ranges_b(r->main.dbg, offset, die, &real_offset, &list, &count, &bytes, &err);
    CHECK_DW(r, res, err, "reading a .debug_ranges list");
    if (res != DW_DLV_OK) return 0;
    int rc = 0;
    uint64_t base = r->unit_base;
    for (Dwarf_Signed i = 0; i < count && !rc; i++) {
        if (list[i].dwr_type == DW_RANGES_END) break;
        if (list[i].dwr_type == DW_RANGES_ADDRESS_SELECTION)
            base = list[i].dwr_addr2;
        else
            rc = pending_add(r, base + list[i].dwr_addr1, base + list[i].dwr_addr2);
    }
    dwarf_ranges_dealloc(r->main.dbg, list, count);
    return rc;
}

/* Collects the code ranges of a DIE into r->pending (as LLVM: low_pc/high_pc first, else
 * DW_AT_ranges). */
static int die_ranges(reader *r, Dwarf_Die die)
{
    Dwarf_Error err = NULL;
    Dwarf_Addr low = 0, high = 0;
    r->pending_count = 0;
    int res = dwarf_lowpc(die, &low, &err);
    CHECK_DW(r, res, err, "reading DW_AT_low_pc");
    if (res == DW_DLV_OK) {
        Dwarf_Half form = 0;
        enum Dwarf_Form_Class cls = DW_FORM_CLASS_UNKNOWN;
        res = dwarf_highpc_b(die, &high, &form, &cls, &err);
        CHECK_DW(r, res, err, "reading DW_AT_high_pc");
        if (res != DW_DLV_OK) return 0; /* a lone low_pc (an entry point) covers no code */
        if (cls == DW_FORM_CLASS_CONSTANT && __builtin_add_overflow(low, high, &high)) return 0;
        return pending_add(r, low, high);
    }
    Dwarf_Attribute attr;
    int rc = get_attr(r, die, DW_AT_ranges, &attr);
    if (rc <= 0) return rc;
    Dwarf_Half form = 0;
    res = dwarf_whatform(attr, &form, &err);
    if (res == DW_DLV_ERROR) {
        dwarf_dealloc_attribute(attr);
        return dwarf_failed(r->main.dbg, err, "reading an attribute form", r->unit_offset);
    }
    if (r->unit_version >= 5 || form == DW_FORM_rnglistx)
        rc = rnglist_ranges(r, attr, form);
    else
        rc = debug_ranges(r, die, attr, form);
    dwarf_dealloc_attribute(attr);
    return rc;
}

/* ---- function instances ---------------------------------------------------------------------- */

/* Adds the instance a subprogram or inlined-subroutine DIE describes, if it has code:
 * `*out` = its index, or UV_DI_NONE. */
static int add_instance(reader *r, Dwarf_Die die, uint32_t parent, bool inlined, uint32_t *out)
{
    *out = UV_DI_NONE;
    int rc = die_ranges(r, die);
    if (rc || r->pending_count == 0) return rc;
    uv_di_func func = {UV_DI_NONE, UV_DI_NONE, UV_DI_NONE, 0, 0, 0};
    uint32_t linkage, short_name;
    if ((rc = names_through_links(r, false, die, 0, &linkage, &short_name))) return rc;
    func.name = linkage != UV_DI_NONE ? linkage : short_name;
    if (func.name == UV_DI_NONE && (rc = intern_name(r, "", &func.name))) return rc;
    if (inlined) {
        r->summary.has_inlines = true;
        Dwarf_Unsigned value = 0;
        bool found;
        if ((rc = attr_udata(r, die, DW_AT_call_file, &value, &found))) return rc;
        if (found && value < r->unit_file_count) func.call_file = r->unit_files[value];
        if ((rc = attr_udata(r, die, DW_AT_call_line, &value, &found))) return rc;
        if (found && value <= UINT32_MAX) func.call_line = (uint32_t)value;
        if ((rc = attr_udata(r, die, DW_AT_call_column, &value, &found))) return rc;
        if (found && value <= UINT32_MAX) func.call_column = (uint32_t)value;
        const uv_di_func *p = uv_di_builder_func_at(r->builder, parent);
        if (p) {
            func.parent = parent;
            func.depth = p->depth + 1;
        }
    }
    uint32_t index;
    if ((rc = uv_di_builder_func(r->builder, &func, &index))) return rc;
    for (size_t i = 0; i < r->pending_count; i++)
        if ((rc = uv_di_builder_range(r->builder, r->pending[i].low, r->pending[i].high, index)))
            return rc;
    *out = index;
    return 0;
}

/* Looks at one DIE: records an instance when it is one, and says whether to walk its
 * children and which instance encloses them. */
static int visit(reader *r, walk_frame *frame)
{
    Dwarf_Error err = NULL;
    Dwarf_Half tag = 0;
    int res = dwarf_tag(frame->die, &tag, &err);
    CHECK_DW(r, res, err, "reading a DIE tag");
    frame->descend = true;
    frame->child_parent = frame->parent;
    switch (tag) {
    case DW_TAG_subprogram:
        /* Always a function of its own (even nested, as GNU C nested functions are). */
        return add_instance(r, frame->die, UV_DI_NONE, false, &frame->child_parent);
    case DW_TAG_inlined_subroutine: {
        uint32_t index;
        int rc = add_instance(r, frame->die, frame->parent, true, &index);
        if (index != UV_DI_NONE) frame->child_parent = index;
        return rc;
    }
    case DW_TAG_lexical_block:
    case DW_TAG_namespace:
    case DW_TAG_class_type:
    case DW_TAG_structure_type:
    case DW_TAG_union_type:
    case DW_TAG_interface_type:
    case DW_TAG_module:
    case DW_TAG_try_block:
    case DW_TAG_catch_block:
    case DW_TAG_with_stmt:
        return 0;
    default: /* variables, parameters, types, call sites: no code inside */
        frame->descend = false;
        return 0;
    }
}

/* Walks the unit's DIE tree depth first without recursion. */
static int walk_unit(reader *r, Dwarf_Die unit_die)
{
    Dwarf_Debug dbg = r->main.dbg;
    Dwarf_Error err = NULL;
    Dwarf_Die die = NULL;
    int res = dwarf_child(unit_die, &die, &err);
    CHECK_DW(r, res, err, "reading the first DIE of a unit");
    if (res == DW_DLV_NO_ENTRY) return 0;
    size_t depth = 1;
    r->stack[0] = (walk_frame){die, UV_DI_NONE, UV_DI_NONE, false};
    int rc = visit(r, &r->stack[0]);
    while (!rc && depth > 0) {
        walk_frame *top = &r->stack[depth - 1];
        if (top->descend && depth < MAX_DIE_DEPTH) {
            top->descend = false;
            res = dwarf_child(top->die, &die, &err);
            if (res == DW_DLV_ERROR) {
                rc = dwarf_failed(dbg, err, "reading a DIE's children", r->unit_offset);
                break;
            }
            if (res == DW_DLV_OK) {
                r->stack[depth] = (walk_frame){die, top->child_parent, UV_DI_NONE, false};
                rc = visit(r, &r->stack[depth++]);
                continue;
            }
        }
        res = dwarf_siblingof_b(dbg, top->die, true, &die, &err);
        dwarf_dealloc_die(top->die);
        top->die = NULL;
        if (res == DW_DLV_ERROR) {
            rc = dwarf_failed(dbg, err, "reading a DIE's sibling", r->unit_offset);
            depth--;
            break;
        }
        if (res == DW_DLV_NO_ENTRY) {
            depth--;
            continue;
        }
        *top = (walk_frame){die, top->parent, UV_DI_NONE, false};
        rc = visit(r, top);
    }
    while (depth > 0) /* after a failure: release what is still held */
        if (r->stack[--depth].die) dwarf_dealloc_die(r->stack[depth].die);
    return rc;
}

/* ---- line programs --------------------------------------------------------------------------- */

/* LLVM's path test for both styles: "/x", "C:\x" or "C:/x", "\\server\x". */
static bool is_absolute(const char *s)
{
    if (!s || !*s) return false;
    if (s[0] == '/') return true;
    bool alpha = (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z');
    if (alpha && s[1] == ':' && (s[2] == '\\' || s[2] == '/')) return true;
    if ((s[0] == '\\' || s[0] == '/') && (s[1] == '\\' || s[1] == '/') && s[2] && s[2] != '\\' &&
        s[2] != '/') {
        const char *q = s + 2;
        while (*q && *q != '\\' && *q != '/')
            q++;
        return *q != 0;
    }
    return false;
}

/* llvm::sys::path::append (POSIX style): empty parts are skipped, one '/' between parts. */
static int path_append(uv_buf *path, const char *part)
{
    if (!part || !*part) return 0;
    if (path->len && path->data[path->len - 1] == '/') {
        while (*part == '/')
            part++;
    } else if (path->len && part[0] != '/') {
        int rc = uv_buf_append(path, "/", 1);
        if (rc) return rc;
    }
    return uv_buf_append_str(path, part);
}

/* The path llvm-symbolizer prints for one file entry of a line table. */
static int file_path(reader *r, Dwarf_Line_Context ctx, Dwarf_Unsigned line_version,
                     const char *comp_dir, Dwarf_Signed dir_count, const char *name,
                     Dwarf_Unsigned dir_index, uv_str *out)
{
    r->path.len = 0;
    if (is_absolute(name)) {
        *out = uv_str_c(name);
        return 0;
    }
    /* libdwarf numbers include directories as DWARF does: from 0 in DWARF 5 (0 = the
     * compilation directory), from 1 in DWARF 2–4 (0 = the compilation directory, implicit). */
    bool has_dir = line_version >= 5 ? dir_index < (Dwarf_Unsigned)dir_count
                                     : dir_index >= 1 && dir_index <= (Dwarf_Unsigned)dir_count;
    const char *dir = NULL;
    if (has_dir) {
        Dwarf_Error err = NULL;
        int res = dwarf_srclines_include_dir_data(ctx, (Dwarf_Signed)dir_index, &dir, &err);
        CHECK_DW(r, res, err, "reading a line table directory");
        if (res != DW_DLV_OK) dir = NULL;
    }
    int rc = 0;
    /* As LLVM 14 (the llvm-symbolizer we compare with) does, comp_dir is prepended to any
     * relative directory, DWARF 5's entry 0 included: a relative comp_dir "./time" gives
     * "./time/./time/x.c". (LLVM 16 leaves entry 0 alone: see docs/dwarf.md.) */
    if (comp_dir && *comp_dir && !is_absolute(dir)) rc = path_append(&r->path, comp_dir);
    if (!rc) rc = path_append(&r->path, dir);
    if (!rc) rc = path_append(&r->path, name);
    if (rc) return rc;
    *out = (uv_str){(const char *)r->path.data, r->path.len};
    if (!out->ptr) *out = (uv_str){"", 0};
    return 0;
}

/* Reads the unit's file table into r->unit_files. */
static int read_files(reader *r, Dwarf_Line_Context ctx, Dwarf_Unsigned line_version,
                      const char *comp_dir)
{
    Dwarf_Error err = NULL;
    Dwarf_Signed base = 0, count = 0, end = 0, dir_count = 0;
    int res = dwarf_srclines_files_indexes(ctx, &base, &count, &end, &err);
    CHECK_DW(r, res, err, "reading a line table's file count");
    res = dwarf_srclines_include_dir_count(ctx, &dir_count, &err);
    CHECK_DW(r, res, err, "reading a line table's directory count");
    if (base < 0 || end < base || (size_t)end > MAX_UNIT_FILES)
        return uv_error_set(UV_ECORRUPT, UV_LIB_DWARF, 0,
                            "line table with %lld files at CU offset 0x%llx", (long long)end,
                            (unsigned long long)r->unit_offset);
    if ((size_t)end > r->unit_file_cap) {
        uint32_t *files = realloc(r->unit_files, (size_t)end * sizeof *files);
        if (!files) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "DWARF: out of memory");
        r->unit_files = files;
        r->unit_file_cap = (size_t)end;
    }
    r->unit_file_count = (size_t)end;
    for (Dwarf_Signed i = 0; i < end; i++)
        r->unit_files[i] = UV_DI_NONE;
    for (Dwarf_Signed i = base; i < end; i++) {
        const char *name = NULL;
        Dwarf_Unsigned dir = 0, mtime = 0, length = 0;
        Dwarf_Form_Data16 *md5 = NULL;
        res = dwarf_srclines_files_data_b(ctx, i, &name, &dir, &mtime, &length, &md5, &err);
        CHECK_DW(r, res, err, "reading a line table file entry");
        if (res != DW_DLV_OK) continue;
        uv_str path;
        int rc = file_path(r, ctx, line_version, comp_dir, dir_count, name ? name : "", dir, &path);
        if (!rc) rc = uv_di_builder_file(r->builder, path, &r->unit_files[i]);
        if (rc) return rc;
    }
    return 0;
}

/* dwarf_lineendsequence, minus a libdwarf 20210528 bug: it also says "end of sequence" for
 * every row that has the epilogue_begin flag (rustc/LLVM set it on the row before a function's
 * epilogue), which would cut the sequence there. A real end-of-sequence row never carries the
 * flag (it is cleared after each row, and no compiler sets it just before the end), so a row
 * flagged both is an ordinary row. */
static int line_ends_sequence(Dwarf_Line line, Dwarf_Bool *end, Dwarf_Error *err)
{
    int res = dwarf_lineendsequence(line, end, err);
    if (res != DW_DLV_OK || !*end) return res;
    Dwarf_Bool prologue_end = 0, epilogue_begin = 0;
    Dwarf_Unsigned isa = 0, discriminator = 0;
    res = dwarf_prologue_end_etc(line, &prologue_end, &epilogue_begin, &isa, &discriminator, err);
    if (res == DW_DLV_OK && epilogue_begin) *end = 0;
    return res;
}

/* Scans the run of rows from lines[i] sharing its `address`: *run_end = the index after it,
 * *zero_length = whether the run reaches the end of its sequence. Rows of such a run cover no
 * byte (LLVM's sequence ends at their address, so no lookup finds them); kept, they would
 * cover whatever follows up to the next sequence. */
static int scan_run(reader *r, Dwarf_Line *lines, Dwarf_Signed count, Dwarf_Signed i,
                    Dwarf_Addr address, Dwarf_Signed *run_end, bool *zero_length)
{
    *zero_length = false;
    Dwarf_Signed j = i + 1;
    for (; j < count; j++) {
        Dwarf_Error err = NULL;
        Dwarf_Addr next = 0;
        Dwarf_Bool end = 0;
        int res = dwarf_lineaddr(lines[j], &next, &err);
        if (res == DW_DLV_OK) res = line_ends_sequence(lines[j], &end, &err);
        CHECK_DW(r, res, err, "reading a line table row");
        if (res != DW_DLV_OK || next != address) break;
        if (end) {
            *zero_length = true;
            break;
        }
    }
    *run_end = j;
    return 0;
}

/* libdwarf 20210528 starts DWARF 5 sequences with file register 0 where the standard (and
 * LLVM) say 1, so a row it reports in file 0 is in file 1 unless the program set file 0
 * explicitly, which it does not tell. GCC never sets file 0 (its file 0 and 1 name the
 * primary file, not always through the same directory), so for GCC's units 0 means 1; for
 * others (clang sets file 0 for the primary file) 0 is kept. */
static int read_rows(reader *r, Dwarf_Line *lines, Dwarf_Signed count, Dwarf_Unsigned line_version)
{
    bool zero_means_one = line_version >= 5 && r->unit_by_gcc;
    uint32_t unknown_file = UV_DI_NONE;
    Dwarf_Signed run_end = 0; /* rows before it were scanned by scan_run */
    bool zero_length = false;
    for (Dwarf_Signed i = 0; i < count; i++) {
        Dwarf_Error err = NULL;
        Dwarf_Addr address = 0;
        Dwarf_Bool end = 0;
        Dwarf_Unsigned line = 0, file = 0, column = 0;
        int res = dwarf_lineaddr(lines[i], &address, &err);
        if (res == DW_DLV_OK) res = line_ends_sequence(lines[i], &end, &err);
        if (res == DW_DLV_OK && !end) res = dwarf_lineno(lines[i], &line, &err);
        if (res == DW_DLV_OK && !end) res = dwarf_line_srcfileno(lines[i], &file, &err);
        if (res == DW_DLV_OK && !end) res = dwarf_lineoff_b(lines[i], &column, &err);
        CHECK_DW(r, res, err, "reading a line table row");
        int rc = 0;
        if (end) {
            rc = uv_di_builder_row(r->builder, address, UV_DI_NONE, 0, 0);
        } else if (i >= run_end &&
                   (rc = scan_run(r, lines, count, i, address, &run_end, &zero_length))) {
            return rc;
        } else if (zero_length) {
            continue; /* its sequence ends at its own address */
        } else {
            if (file == 0 && zero_means_one) file = 1;
            uint32_t model_file = file < r->unit_file_count ? r->unit_files[file] : UV_DI_NONE;
            if (model_file == UV_DI_NONE) { /* a file index the table does not have */
                if (unknown_file == UV_DI_NONE &&
                    (rc = uv_di_builder_file(r->builder, (uv_str){"", 0}, &unknown_file)))
                    return rc;
                model_file = unknown_file;
            }
            rc = uv_di_builder_row(r->builder, address, model_file,
                                   line <= UINT32_MAX ? (uint32_t)line : 0,
                                   column <= UINT32_MAX ? (uint32_t)column : 0);
        }
        if (rc) return rc;
    }
    return 0;
}

static int read_lines(reader *r, Dwarf_Die unit_die, const char *comp_dir)
{
    Dwarf_Error err = NULL;
    Dwarf_Unsigned line_version = 0;
    Dwarf_Small table_count = 0;
    Dwarf_Line_Context ctx = NULL;
    r->unit_file_count = 0;
    int res = dwarf_srclines_b(unit_die, &line_version, &table_count, &ctx, &err);
    CHECK_DW(r, res, err, "reading the line table header");
    if (res != DW_DLV_OK) return 0;
    int rc = read_files(r, ctx, line_version, comp_dir);
    if (!rc && table_count == 1) {
        Dwarf_Line *lines = NULL;
        Dwarf_Signed count = 0;
        res = dwarf_srclines_from_linecontext(ctx, &lines, &count, &err);
        if (res == DW_DLV_ERROR)
            rc = dwarf_failed(r->main.dbg, err, "reading the line program", r->unit_offset);
        else if (res == DW_DLV_OK)
            rc = read_rows(r, lines, count, line_version);
    }
    dwarf_srclines_dealloc_b(ctx);
    return rc;
}

/* ---- units ----------------------------------------------------------------------------------- */

static int read_unit(reader *r, Dwarf_Die unit_die)
{
    Dwarf_Error err = NULL;
    Dwarf_Half tag = 0;
    int res = dwarf_tag(unit_die, &tag, &err);
    CHECK_DW(r, res, err, "reading the unit DIE");
    if (tag != DW_TAG_compile_unit && tag != DW_TAG_partial_unit && tag != DW_TAG_skeleton_unit)
        return 0; /* type units describe no code */
    Dwarf_Attribute attr;
    const char *comp_dir = NULL;
    int rc = get_attr(r, unit_die, DW_AT_comp_dir, &attr);
    if (rc < 0) return rc;
    if (rc == 1) {
        rc = attr_string(r, attr, &comp_dir);
        dwarf_dealloc_attribute(attr);
        if (rc) return rc;
    }
    const char *producer = NULL;
    if ((rc = get_attr(r, unit_die, DW_AT_producer, &attr)) < 0) return rc;
    if (rc == 1) {
        rc = attr_string(r, attr, &producer);
        dwarf_dealloc_attribute(attr);
        if (rc) return rc;
    }
    r->unit_by_gcc = producer && strncmp(producer, "GNU ", 4) == 0;
    Dwarf_Addr base = 0;
    res = dwarf_lowpc(unit_die, &base, &err);
    CHECK_DW(r, res, err, "reading the unit's DW_AT_low_pc");
    r->unit_base = res == DW_DLV_OK ? base : 0;
    if ((rc = read_lines(r, unit_die, comp_dir))) return rc;
    return walk_unit(r, unit_die);
}

static void note_version(reader *r, unsigned version)
{
    uv_dwarf_summary *s = &r->summary;
    if (!s->version_min || version < s->version_min) s->version_min = version;
    if (version > s->version_max) s->version_max = version;
}

/* Fatal failures stop the whole read; the others only lose the unit. */
static bool fatal(int rc)
{
    return rc == UV_ENOMEM || rc == UV_ETOOBIG;
}

static int read_units(reader *r, size_t *skipped)
{
    uv_error saved = {0};
    Dwarf_Off offset = 0;
    size_t read = 0;
    for (;;) {
        Dwarf_Error err = NULL;
        Dwarf_Unsigned header_length = 0, type_offset = 0, next = 0;
        Dwarf_Half version = 0, address_size = 0, length_size = 0, extension_size = 0,
                   unit_type = 0;
        Dwarf_Off abbrev_offset = 0;
        Dwarf_Sig8 signature;
        int res = dwarf_next_cu_header_d(
            r->main.dbg, true, &header_length, &version, &abbrev_offset, &address_size,
            &length_size, &extension_size, &signature, &type_offset, &next, &unit_type, &err);
        if (res == DW_DLV_NO_ENTRY) break;
        r->unit_offset = offset;
        if (res == DW_DLV_ERROR) { /* the unit chain is broken: nothing after it is found */
            dwarf_failed(r->main.dbg, err, "reading a unit header", offset);
            if (!saved.code) saved = *uv_error_last();
            (*skipped)++;
            break;
        }
        r->summary.cu_count++;
        note_version(r, version);
        r->unit_version = version;
        uv_di_mark mark = uv_di_builder_mark(r->builder);
        Dwarf_Die unit_die = NULL;
        res = dwarf_siblingof_b(r->main.dbg, NULL, true, &unit_die, &err);
        int rc = 0;
        if (res == DW_DLV_ERROR)
            rc = dwarf_failed(r->main.dbg, err, "reading the unit DIE", offset);
        else if (res == DW_DLV_OK) {
            rc = read_unit(r, unit_die);
            dwarf_dealloc_die(unit_die);
        }
        if (rc) {
            if (fatal(rc)) return rc;
            uv_di_builder_rollback(r->builder, mark);
            if (!saved.code) saved = *uv_error_last();
            (*skipped)++;
        } else {
            read++;
        }
        if (next <= offset) break; /* libdwarf always moves forward; never loop */
        offset = next;
    }
    if (*skipped && !read) { /* nothing usable: report the first failure */
        uv_error_set(saved.code, saved.lib, saved.lib_code, "%s", saved.message);
        return saved.code;
    }
    uv_error_clear();
    return 0;
}

int uv_dwarf_read(uv_debuginfo **out, uv_elf *elf, uv_elf *alt, uv_dwarf_summary *summary)
{
    *out = NULL;
    if (summary) memset(summary, 0, sizeof *summary);
    reader *r = calloc(1, sizeof *r);
    if (!r) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "DWARF: out of memory");
    int rc = open_file(&r->main, elf);
    if (rc) goto done;
    r->summary.has_debug_info = true;
    r->summary.has_lines = uv_elf_has_section(elf, ".debug_line");
    r->skip_zero_ranges = uv_elf_get_kind(elf) != UV_ELF_RELOCATABLE;
    /* A supplementary file we cannot read only costs the names it holds. */
    if (alt && open_file(&r->alt, alt) == 0) r->has_alt = true;
    if ((rc = uv_di_builder_new(&r->builder))) goto done;
    r->err_dbg = r->main.dbg;
    size_t skipped = 0;
    if ((rc = read_units(r, &skipped))) goto done;
    uv_di_builder *b = r->builder;
    r->builder = NULL;
    if ((rc = uv_di_builder_finish(b, out))) goto done;
    (*out)->units_skipped = skipped;
    if (summary) *summary = r->summary;
done:
    uv_di_builder_free(r->builder);
    close_file(&r->main);
    close_file(&r->alt);
    free(r->unit_files);
    free(r->pending);
    free(r->names);
    uv_buf_free(&r->path);
    free(r);
    return rc;
}
