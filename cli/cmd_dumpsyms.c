/* unravel dump-syms: a Breakpad .sym from an ELF file and its DWARF (found like addr2line
 * finds it: in the file, by build-id, by .gnu_debuglink, with dwz files) and its call frame
 * information (.eh_frame of the file, .debug_frame of the debug file), for Breakpad and
 * Crashpad based tooling and for `unravel upload symbols`. The records are written by
 * formats/breakpad.c; this file finds the inputs. */
#include "cli/cli.h"

#include "formats/breakpad.h"
#include "formats/cfi.h"
#include "formats/dwarf.h"
#include "formats/error.h"
#include "symbolicate/native.h"

#include <elf.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEBUG_DIRS 16

static const char help[] =
    "usage: unravel dump-syms FILE [-o OUT] [--debug-dir DIR]... [--no-cfi] [-v]\n"
    "\n"
    "Writes a Breakpad symbol file (.sym) for an ELF executable or shared library, like\n"
    "Breakpad's dump_syms: MODULE (OS, architecture, debug ID from the GNU build-id, file\n"
    "name), INFO CODE_ID (the build-id), FILE, INLINE_ORIGIN, FUNC with its INLINE and line\n"
    "records, PUBLIC records for symbols no function covers, and STACK CFI records from the\n"
    "call frame information. Addresses are relative to the lowest loaded address. Debug info\n"
    "is found like `unravel addr2line` finds it (the file itself, by build-id in\n"
    "/usr/lib/debug and --debug-dir, by .gnu_debuglink), with dwz supplementary files.\n"
    "\n"
    "Options:\n"
    "  -o, --output OUT   write there instead of standard output\n"
    "  --debug-dir DIR    another root searched like /usr/lib/debug (repeatable)\n"
    "  --no-cfi           leave STACK CFI records out\n"
    "  -v, --verbose      say on stderr which debug file was used\n"
    "\n"
    "Breakpad's symbol store layout is NAME/DEBUGID/NAME.sym; `unravel upload symbols` takes\n"
    "the .sym as it is and `unravel symbolicate DUMP --symbols-from DIR` reads that layout.\n"
    "\n"
    "Example:\n"
    "  unravel dump-syms build/server -o server.sym\n"
    "  unravel upload symbols server.sym --project api --version 2.1.0\n";

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static uv_arch arch_of(uv_elf *elf)
{
    switch (uv_elf_machine(elf)) {
    case EM_X86_64:
        return UV_ARCH_X86_64;
    case EM_386:
        return UV_ARCH_X86;
    case EM_AARCH64:
        return UV_ARCH_ARM64;
    default:
        return UV_ARCH_UNKNOWN;
    }
}

/* Breakpad's spelling of the architecture in MODULE lines. */
static const char *breakpad_arch(uv_elf *elf)
{
    switch (uv_elf_machine(elf)) {
    case EM_X86_64:
        return "x86_64";
    case EM_386:
        return "x86";
    case EM_AARCH64:
        return "arm64";
    case EM_ARM:
        return "arm";
    default:
        return uv_elf_machine_name(elf);
    }
}

static int run(int argc, char **argv)
{
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'}, {"debug-dir", required_argument, NULL, 'D'},
        {"no-cfi", no_argument, NULL, 'C'},       {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *output = NULL;
    const char *debug_dirs[MAX_DEBUG_DIRS];
    size_t debug_dir_count = 0;
    bool no_cfi = false, verbose = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:vh", options, NULL)) != -1) {
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case 'D':
            if (debug_dir_count == MAX_DEBUG_DIRS) {
                uv_cli_error("dump-syms: at most %d --debug-dir options", MAX_DEBUG_DIRS);
                return UV_EXIT_USAGE;
            }
            debug_dirs[debug_dir_count++] = optarg;
            break;
        case 'C':
            no_cfi = true;
            break;
        case 'v':
            verbose = true;
            break;
        case 'h':
            uv_cli_print_help(&uv_command_dumpsyms, stdout);
            return UV_EXIT_OK;
        default:
            return UV_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        uv_cli_error("dump-syms: give exactly one ELF file (see `unravel help dump-syms`)");
        return UV_EXIT_USAGE;
    }
    const char *path = argv[optind];
    uv_native_options nopt = {.debug_dirs = debug_dirs, .debug_dir_count = debug_dir_count};
    uv_native_module *module = NULL;
    int rc = uv_native_open_file(&module, path, &nopt);
    if (rc != 0) {
        uv_cli_report("dump-syms");
        return uv_cli_exit_code(rc);
    }
    const uv_native_info *info = uv_native_get_info(module);
    uv_elf *main_elf, *debug_elf, *alt_elf;
    uv_native_elf_files(module, &main_elf, &debug_elf, &alt_elf);
    uv_elf *dwarf_elf = debug_elf ? debug_elf : main_elf;
    if (verbose)
        fprintf(stderr, "unravel: dump-syms: %s: debug info from %s%s%s%s%s\n", path,
                info->debug_file[0] ? info->debug_file : "(none)", info->alt_file[0] ? ", " : "",
                info->alt_file, info->note[0] ? "; " : "", info->note);

    uv_debuginfo *di = NULL;
    uv_dwarf_summary summary;
    if (info->has_dwarf && uv_dwarf_read(&di, dwarf_elf, alt_elf, &summary) != 0) {
        fprintf(stderr,
                "unravel: dump-syms: %s: DWARF could not be read (%s); writing symbols "
                "only\n",
                path, uv_error_last()->message);
        di = NULL;
    }
    /* Symbols: the debug file's .symtab when it has one (stripped binaries keep .dynsym). */
    const uv_elf_symbol *symbols = NULL;
    size_t symbol_count = 0;
    uv_elf *symbol_elf =
        debug_elf && uv_elf_has_section(debug_elf, ".symtab") ? debug_elf : main_elf;
    if (uv_elf_symbols(symbol_elf, &symbols, &symbol_count) != 0) {
        symbols = NULL;
        symbol_count = 0;
    }
    uv_error_clear();

    uv_cfi *cfi = NULL;
    if (!no_cfi) {
        rc = uv_cfi_open_elf(&cfi, arch_of(main_elf), main_elf, debug_elf);
        if (rc != 0 && rc != UV_ENOTFOUND)
            fprintf(stderr,
                    "unravel: dump-syms: %s: call frame information unreadable (%s); "
                    "no STACK CFI records\n",
                    path, uv_error_last()->message);
        uv_error_clear();
    }

    char uuid[UV_DEBUG_ID_UUID_LEN], debug_id[UV_DEBUG_ID_BREAKPAD_LEN];
    char build_id[2 * UV_BUILD_ID_MAX + 1] = "";
    if (uv_elf_debug_id(main_elf, uuid, debug_id) != 0) {
        /* Breakpad hashes the first page of .text when there is no build-id; we refuse to
         * invent an identity that nothing else can match. */
        snprintf(debug_id, sizeof debug_id, "%033d", 0);
        fprintf(stderr, "unravel: dump-syms: %s: no GNU build-id: debug ID written as zeros\n",
                path);
    }
    if (uv_elf_build_id_hex(main_elf, build_id) == 0)
        for (char *p = build_id; *p; p++)
            if (*p >= 'a' && *p <= 'f') *p = (char)(*p - 'a' + 'A');
    uv_error_clear();
    uv_breakpad_header header = {
        .os = "Linux",
        .arch = breakpad_arch(main_elf),
        .debug_id = debug_id,
        .name = base_name(path),
        .code_id = build_id,
    };
    uv_buf out = UV_BUF_INIT;
    rc = uv_breakpad_write(&out, &header, di, symbols, symbol_count, cfi,
                           uv_elf_first_load_vaddr(main_elf));
    int exit_code = UV_EXIT_OK;
    if (rc != 0) {
        uv_cli_report("dump-syms");
        exit_code = uv_cli_exit_code(rc);
    } else {
        FILE *f = output ? fopen(output, "w") : stdout;
        if (!f || fwrite(out.data, 1, out.len, f) != out.len || (output && fclose(f) != 0) ||
            (!output && fflush(stdout) != 0)) {
            uv_cli_error("dump-syms: %s: %s", output ? output : "standard output", strerror(errno));
            exit_code = UV_EXIT_IO;
        }
    }
    uv_buf_free(&out);
    uv_cfi_free(cfi);
    uv_debuginfo_free(di);
    uv_native_free(module);
    return exit_code;
}

const uv_command uv_command_dumpsyms = {
    .name = "dump-syms",
    .summary = "write a Breakpad .sym (functions, lines, inlines, STACK CFI) for an ELF file",
    .help = help,
    .run = run,
};
