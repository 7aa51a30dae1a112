/* unravel symbolicate: any JavaScript or native trace or payload → readable trace. */
#include "cli/cli.h"

#include "formats/arena.h"
#include "formats/buf.h"
#include "formats/elfcore.h"
#include "formats/error.h"
#include "formats/minidump.h"
#include "formats/trace.h"
#include "store/store.h"
#include "symbolicate/crash.h"
#include "symbolicate/symbolicate.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char help[] =
    "usage: unravel symbolicate INPUT --project P [--version V] [--store DIR]\n"
    "                           [--format text|json] [--context N]\n"
    "       unravel symbolicate INPUT --sourcemap MAP... [--format text|json] [--context N]\n"
    "       unravel symbolicate INPUT [--module NAME=BUILDID@BASE...] [--project P]\n"
    "                           [--store DIR] [--no-demangle] [--format text|json]\n"
    "       unravel symbolicate CORE|MINIDUMP [--symbols-from PATH...] [--store DIR]\n"
    "                           [--project P] [--format text|json|breakpad-m]\n"
    "                           [--crashed-only] [--context N]\n"
    "\n"
    "Turns a minified JavaScript stack trace, or raw native addresses, into the original one.\n"
    "INPUT is a file or `-` (stdin) and is recognised as:\n"
    "  - a Rollbar item payload (data.body.trace or trace_chain; version from data.code_version\n"
    "    or data.client.javascript.code_version),\n"
    "  - a Raygun entry (details.error.stackTrace, details.version; keys in any case),\n"
    "  - plain text from V8/Node (`at fn (url:line:col)`) or Firefox/Safari (`fn@url:line:col`),\n"
    "  - native: a Sentry Symbolicator request ({\"modules\":[…],\"stacktraces\":[…]}), a Sentry\n"
    "    event (exception.values[].stacktrace, debug_meta.images), or text lines printed by\n"
    "    glibc's backtrace_symbols() (`/bin/app(main+0x1a) [0x55…]`, `/lib/x.so(+0x1234)[0x7f…]`,\n"
    "    `[0x7f…]`) or by gdb's bt (`#3  0x00005555555551a9 in main () from /lib/x.so`).\n"
    "\n"
    "JavaScript: each frame's map is found by the debug ID of the stored minified file, else by\n"
    "the stored URL that best matches the frame's (query and fragment dropped; `~/` keys match\n"
    "any host; file paths match by their longest path suffix), else through the stored minified\n"
    "file's sourceMappingURL. The function name is that of the enclosing function in the\n"
    "original source. Frames that cannot be resolved say why: missing_sourcemap, no_mapping,\n"
    "malformed. A frame without a column (raygun4node sends none) resolves to the first mapping\n"
    "of its line and is marked approximate.\n"
    "\n"
    "Native: each address finds its module (the payload's module containing it, the path in the\n"
    "line, or a --module), whose debug file is found by build-id (the store, /usr/lib/debug),\n"
    "else the file on disk, else the store by file name (uploaded with `unravel upload\n"
    "symbols`). Frame 0 is looked up at its address, callers at address - 1 (return\n"
    "addresses). Output is one line per inlined level, gdb style:\n"
    "  #0  0x000055d4c3a2b1c9 in parse at src/parse.c:42:7 (app+0x11c9) (inlined)\n"
    "Unresolved frames say why: missing_symbol, unknown_image, missing, malformed.\n"
    "\n"
    "Crash dumps: a Linux core file (ELF ET_CORE) or a minidump (Breakpad, Crashpad,\n"
    "Windows) is walked thread by thread: frame 0 from the thread's registers, callers by\n"
    "call frame information (.eh_frame/.debug_frame, Breakpad STACK CFI and STACK WIN), else\n"
    "the frame pointer, else a bounded stack scan; each frame says how it was found (context,\n"
    "cfi, fp, scan). Symbols come from --symbols-from (.sym files, Breakpad symbol\n"
    "directories NAME/DEBUGID/NAME.sym, ELF files and debug directories), the store (debug\n"
    "files by build-id, .sym files by debug ID), the module files named by a core when they\n"
    "are on this machine, and /usr/lib/debug. Output: the crash reason and address, the\n"
    "crashing thread first, every thread, the module list; text like Breakpad's\n"
    "minidump_stackwalk, json like rust-minidump's minidump-stackwalk --json, breakpad-m\n"
    "like minidump_stackwalk -m.\n"
    "\n"
    "Options:\n"
    "  --project P       project whose uploads to use (needed for JavaScript; for native\n"
    "                    input only to find debug files by file name)\n"
    "  --version V       code version (default: the payload's, else the newest upload)\n"
    "  --store DIR       store directory (env UNRAVEL_STORE, default ./unravel-data; native\n"
    "                    input uses it when it exists)\n"
    "  --sourcemap MAP   use this map file instead of a store (repeatable); a map applies to\n"
    "                    frames whose file name is its `file` or its own name without .map\n"
    "  --module NAME=BUILDID@BASE\n"
    "                    native module NAME (a file name, matched to the basename of the\n"
    "                    module in each frame line) has GNU build-id BUILDID (hex) and was\n"
    "                    loaded at BASE (hex, its first mapping in /proc/PID/maps); either\n"
    "                    part may be left out (NAME=BUILDID, NAME=@BASE). Repeatable.\n"
    "  --no-demangle     print C++/Rust function names as in the debug file\n"
    "  --format F        text (default) or json: the payload with `resolved` added to each\n"
    "                    frame, or for text input {\"kind\":\"text\",\"exceptions\":[…]}\n"
    "  --context N       N lines of original source around each frame (default 0)\n"
    "  --symbols-from PATH  crash dumps: a .sym file, an ELF file or a directory of them\n"
    "                    (Breakpad's NAME/DEBUGID/NAME.sym layout or .build-id trees);\n"
    "                    repeatable\n"
    "  --crashed-only    crash dumps: only the crashing thread\n"
    "  --format breakpad-m  crash dumps: Breakpad's machine-readable pipe format\n"
    "\n"
    "Lines and columns printed are 1-based, as V8 prints them. Exit codes: 0 done (even if some\n"
    "frames stayed unresolved); 1 the input could not be read as a trace, or the project or a\n"
    "map is missing or invalid; 2 usage; 3 I/O failure.\n"
    "\n"
    "Examples:\n"
    "  node dist/app.min.js 2> crash.txt\n"
    "  unravel symbolicate crash.txt --project web --version 1.4.2 --context 2\n"
    "  ./app 2> backtrace.txt   # lines from backtrace_symbols_fd()\n"
    "  unravel symbolicate backtrace.txt --module app=4c1e…9a@55d4c3a2a000 --project app\n";

/* Ceiling on the input: the trace parser's own (64 MiB); crash dumps may be larger (a core
 * file holds the process's written memory). */
#define MAX_INPUT ((size_t)64 << 20)
#define MAX_DUMP ((size_t)16 << 30)
#define MAX_SYMBOL_PATHS 64
/* At most this many --sourcemap options. */
#define MAX_MAPS 256
/* At most this many --module options (a process maps a few hundred modules at most, and only
 * those in the trace need naming). */
#define MAX_MODULES 1024

static bool dir_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

typedef struct {
    const char *symbol_paths[MAX_SYMBOL_PATHS];
    size_t symbol_path_count;
    bool crashed_only;
    bool breakpad_m;
} dump_args;

/* A core file or minidump: the crash pipeline (symbolicate/crash.c). */
static int run_dump(const uv_mapped *input, const char *input_path, const dump_args *args,
                    bool json, unsigned context, const char *store_opt, const char *project)
{
    uv_store *store = NULL;
    uv_crash_report *report = NULL;
    uv_buf out = UV_BUF_INIT;
    int exit_code = UV_EXIT_OK;
    uv_crash_options copt = {
        .symbol_paths = args->symbol_paths,
        .symbol_path_count = args->symbol_path_count,
        .context_lines = context,
        .crashed_only = args->crashed_only,
    };
    const char *dir = uv_cli_store_dir(store_opt);
    int rc = 0;
    if (project || store_opt || dir_exists(dir)) {
        rc = uv_store_open(&store, dir, 0);
        if (rc == 0 && project) rc = uv_store_project_find(store, project, &copt.project_id);
        if (rc != 0) {
            if (rc == UV_ENOTFOUND && store)
                uv_cli_error("symbolicate: no project '%s' in store %s", project, dir);
            else
                uv_cli_report(NULL);
            exit_code = rc == UV_ENOTFOUND ? UV_EXIT_INPUT : uv_cli_exit_code(rc);
            goto done;
        }
        copt.store = store;
    }
    rc = uv_crash_symbolicate(&report, input->data, input->len, &copt);
    if (rc == 0)
        rc = uv_crash_render(report,
                             args->breakpad_m ? UV_CRASH_BREAKPAD_M
                             : json           ? UV_CRASH_JSON
                                              : UV_CRASH_TEXT,
                             &out);
    if (rc != 0) {
        uv_cli_report(strcmp(input_path, "-") == 0 ? "<stdin>" : input_path);
        exit_code = uv_cli_exit_code(rc);
        goto done;
    }
    if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
        uv_cli_error("symbolicate: cannot write output");
        exit_code = UV_EXIT_IO;
    }
done:
    uv_buf_free(&out);
    uv_crash_report_free(report);
    uv_store_close(store);
    return exit_code;
}

static int run(int argc, char **argv)
{
    static const struct option options[] = {
        {"symbols-from", required_argument, NULL, 'S'},
        {"crashed-only", no_argument, NULL, 'C'},
        {"project", required_argument, NULL, 'p'},
        {"version", required_argument, NULL, 'v'},
        {"store", required_argument, NULL, 's'},
        {"sourcemap", required_argument, NULL, 'm'},
        {"format", required_argument, NULL, 'f'},
        {"context", required_argument, NULL, 'c'},
        {"module", required_argument, NULL, 'M'},
        {"no-demangle", no_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *module_texts[MAX_MODULES];
    size_t module_count = 0;
    bool no_demangle = false;
    const char *project = NULL, *version = NULL, *store_opt = NULL;
    const char *maps[MAX_MAPS];
    size_t map_count = 0;
    bool json = false;
    unsigned context = 0;
    dump_args dargs = {.symbol_path_count = 0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'p':
            project = optarg;
            break;
        case 'v':
            version = optarg;
            break;
        case 's':
            store_opt = optarg;
            break;
        case 'm':
            if (map_count == MAX_MAPS) {
                uv_cli_error("symbolicate: more than %d --sourcemap options", MAX_MAPS);
                return UV_EXIT_USAGE;
            }
            maps[map_count++] = optarg;
            break;
        case 'f':
            dargs.breakpad_m = strcmp(optarg, "breakpad-m") == 0;
            if (!dargs.breakpad_m && !uv_cli_parse_format(optarg, &json)) return UV_EXIT_USAGE;
            break;
        case 'S':
            if (dargs.symbol_path_count == MAX_SYMBOL_PATHS) {
                uv_cli_error("symbolicate: more than %d --symbols-from options", MAX_SYMBOL_PATHS);
                return UV_EXIT_USAGE;
            }
            dargs.symbol_paths[dargs.symbol_path_count++] = optarg;
            break;
        case 'C':
            dargs.crashed_only = true;
            break;
        case 'c': {
            char *end;
            unsigned long n = strtoul(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || n > 1000) {
                uv_cli_error("--context: expected a number of lines from 0 to 1000, got '%s'",
                             optarg);
                return UV_EXIT_USAGE;
            }
            context = (unsigned)n;
            break;
        }
        case 'M':
            if (module_count == MAX_MODULES) {
                uv_cli_error("symbolicate: more than %d --module options", MAX_MODULES);
                return UV_EXIT_USAGE;
            }
            module_texts[module_count++] = optarg;
            break;
        case 'D':
            no_demangle = true;
            break;
        case 'h':
            fputs(help, stdout);
            return UV_EXIT_OK;
        default:
            fputs(help, stderr);
            return UV_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        uv_cli_error("symbolicate: give exactly one INPUT (a file or -)");
        return UV_EXIT_USAGE;
    }
    if (project && !*project) {
        uv_cli_error("symbolicate: --project needs a name");
        return UV_EXIT_USAGE;
    }
    if (map_count > 0 && store_opt) {
        uv_cli_error("symbolicate: use either --store or --sourcemap, not both");
        return UV_EXIT_USAGE;
    }
    const char *input_path = argv[optind];
    int exit_code = UV_EXIT_OK;
    uv_mapped input = {0};
    bool have_input = false;
    uv_trace *trace = NULL;
    uv_store *store = NULL;
    uv_arena *arena = NULL;
    uv_buf out = UV_BUF_INIT;
    uv_symbolicated *result = NULL;
    uv_native_module_arg module_args[MAX_MODULES];

    int rc = uv_file_map(input_path, MAX_DUMP, &input);
    if (rc != 0) {
        uv_cli_report(NULL);
        exit_code = rc == UV_ETOOBIG ? UV_EXIT_INPUT : UV_EXIT_IO;
        goto done;
    }
    have_input = true;
    if (uv_minidump_is(input.data, input.len) || uv_elfcore_is(input.data, input.len)) {
        if (map_count > 0 || module_count > 0) {
            uv_cli_error("symbolicate: --sourcemap and --module do not apply to crash dumps "
                         "(use --symbols-from)");
            exit_code = UV_EXIT_USAGE;
            goto done;
        }
        exit_code = run_dump(&input, input_path, &dargs, json, context, store_opt, project);
        goto done;
    }
    if (dargs.breakpad_m || dargs.symbol_path_count > 0 || dargs.crashed_only) {
        uv_cli_error("symbolicate: --format breakpad-m, --symbols-from and --crashed-only apply "
                     "to crash dumps (a core file or a minidump) only");
        exit_code = UV_EXIT_USAGE;
        goto done;
    }
    if (input.len > MAX_INPUT) {
        uv_cli_error("symbolicate: %s: %zu bytes, more than the %zu MiB a trace may have",
                     input_path, input.len, MAX_INPUT >> 20);
        exit_code = UV_EXIT_INPUT;
        goto done;
    }
    rc = uv_trace_parse(&trace, (const char *)input.data, input.len);
    if (rc != 0) {
        uv_cli_report(strcmp(input_path, "-") == 0 ? "<stdin>" : input_path);
        exit_code = uv_cli_exit_code(rc);
        goto done;
    }

    /* JavaScript frames need --project (or --sourcemap); native frames need no store when
     * their modules are on disk. */
    uv_symbolicate_needs needs = uv_symbolicate_needs_of(trace);
    if (needs.js && map_count == 0 && !project) {
        uv_cli_error("symbolicate: --project is required (or give --sourcemap MAP)");
        exit_code = UV_EXIT_USAGE;
        goto done;
    }
    rc = uv_arena_new(&arena);
    for (size_t i = 0; rc == 0 && i < module_count; i++) {
        rc = uv_nativeresolve_parse_module_arg(module_texts[i], arena, &module_args[i]);
        if (rc != 0) {
            uv_cli_report("symbolicate");
            exit_code = UV_EXIT_USAGE;
            goto done;
        }
    }
    if (rc != 0) {
        uv_cli_report("symbolicate");
        exit_code = uv_cli_exit_code(rc);
        goto done;
    }

    uv_symbolicate_options sopt = {
        .version = version,
        .modules = module_args,
        .module_count = module_count,
        .context_lines = context,
        .no_demangle = no_demangle,
    };
    const char *dir = uv_cli_store_dir(store_opt);
    bool want_store = map_count == 0 && (project || store_opt || (needs.native && dir_exists(dir)));
    if (want_store) {
        rc = uv_store_open(&store, dir, 0);
        if (rc == 0 && project) rc = uv_store_project_find(store, project, &sopt.project_id);
        if (rc != 0) {
            if (rc == UV_ENOTFOUND && store)
                uv_cli_error("symbolicate: no project '%s' in store %s (upload to it first)",
                             project, dir);
            else
                uv_cli_report(NULL);
            exit_code = rc == UV_ENOTFOUND ? UV_EXIT_INPUT : uv_cli_exit_code(rc);
            goto done;
        }
        sopt.store = store;
    } else {
        sopt.sourcemap_paths = maps;
        sopt.sourcemap_count = map_count;
    }
    /* Text input names no version: report the one given, so JSON says what was used. */
    if (trace->kind == UV_TRACE_TEXT && version) trace->version = version;
    rc = uv_symbolicate_trace(&result, trace, &sopt);
    if (rc == 0) rc = uv_symbolicated_render(result, json, &out);
    if (rc != 0) {
        uv_cli_report("symbolicate");
        exit_code = uv_cli_exit_code(rc);
        goto done;
    }
    if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
        uv_cli_error("symbolicate: cannot write output");
        exit_code = UV_EXIT_IO;
    }
done:
    uv_symbolicated_free(result);
    uv_buf_free(&out);
    uv_arena_free(arena);
    uv_store_close(store);
    uv_trace_free(trace);
    if (have_input) uv_mapped_release(&input);
    return exit_code;
}

const uv_command uv_command_symbolicate = {
    "symbolicate",
    "turn a JavaScript or native trace, payload, core file or minidump into a readable one",
    help,
    run,
};
