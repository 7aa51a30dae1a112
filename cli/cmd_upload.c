/* unravel upload sourcemaps: store a build's scripts, source maps and sources for a version. */
#include "cli/cli.h"

#include "formats/error.h"
#include "store/store.h"
#include "upload/remote.h"
#include "upload/sourcemaps.h"
#include "upload/symbols.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
    "usage: unravel upload sourcemaps DIR|FILE... --project P --version V\n"
    "                                 [--url-prefix PREFIX] [--dry-run] [--store DIR] [-q]\n"
    "       unravel upload sourcemaps DIR|FILE... --version V --url URL --token T [...]\n"
    "\n"
    "Walks a build output and stores, for version V of project P, every minified script\n"
    "(.js, .mjs, .cjs) with its source map and the original sources the map does not embed\n"
    "(looked up relative to the map, then to the current directory).\n"
    "\n"
    "A script's map is the file its `//# sourceMappingURL=` comment names (or the inline data:\n"
    "URL there), else NAME.js.map beside it. Each script is stored under the URL\n"
    "PREFIX + its path relative to the DIR given; the default PREFIX `~/` means any scheme and\n"
    "host, so `~/static/app.min.js` matches https://example.com/static/app.min.js, and a frame\n"
    "path such as /srv/app/static/app.min.js matches by its longest path suffix.\n"
    "Uploading the same version and URL again replaces the earlier upload atomically.\n"
    "\n"
    "Options:\n"
    "  --project P       project name (created in the store when missing)\n"
    "  --version V       the code version the build was made from (e.g. a git SHA)\n"
    "  --url-prefix P    URL prefix of the files (default ~/), e.g. https://cdn.example.com/js/\n"
    "  --dry-run         validate and report, store nothing\n"
    "  --store DIR       store directory (env UNRAVEL_STORE, default ./unravel-data)\n"
    "  --url URL         send to an `unravel serve` (or Rollbar-compatible) service instead\n"
    "                    (env UNRAVEL_URL): one POST /api/1/sourcemap per map, with the map,\n"
    "                    minified_url = the script's URL and the sources read from disk;\n"
    "                    the project is the token's (--project is then optional)\n"
    "  --token T         access token with scope post_server_item (env UNRAVEL_TOKEN)\n"
    "  -q, --quiet       print only problems\n"
    "\n"
    "Requests are retried (0.5 s, 1 s, 2 s; 4 tries) after connection errors, 5xx and 429\n"
    "(honouring Retry-After); a progress bar is drawn on stderr when it is a terminal.\n"
    "\n"
    "Prints a summary (scripts, maps, sources, debug IDs, problems). Exit codes: 0 all stored;\n"
    "1 some file had problems or was rejected by the server (each is printed: file and\n"
    "reason); 2 usage; 3 I/O, network or server failure (the server's message is printed).\n"
    "\n"
    "Example:\n"
    "  unravel upload sourcemaps dist/ --project web --version 1.4.2 --url-prefix '~/static/'\n"
    "\n"
    "\n"
    "usage: unravel upload symbols PATH... --project P --version V [--dry-run] [--store DIR] [-q]\n"
    "       unravel upload symbols PATH... --version V --url URL --token T [...]\n"
    "\n"
    "Stores native debug files: executables, shared libraries, separate debug files (such as\n"
    "/usr/lib/debug/.build-id/xx/yyyy.debug) and dwz supplementary files. Directories are walked\n"
    "(files that are not ELF are skipped there). Each file is stored under (P, V, file name) and\n"
    "under its GNU build-id, so `unravel addr2line --build-id` and native frames of any version\n"
    "find it; files with DWARF are kind `debuginfo`, others `executable`. For each file it prints\n"
    "what the file holds: symbol table, debug info, line tables, inline info, unwind info. A\n"
    "stripped file without debug info, or one without a build-id, is a warning. Uploading the\n"
    "same file again changes nothing. Breakpad .sym files (from `unravel dump-syms` or Breakpad's\n"
    "dump_syms) are parsed and stored as kind `breakpad` under their debug ID, keyed\n"
    "NAME/DEBUGID/NAME.sym, for crash dumps (`unravel symbolicate DUMP`). With --url/--token (env "
    "UNRAVEL_URL, UNRAVEL_TOKEN) each\n"
    "file is sent to the service instead: POST /api/1/symbols, fields version and the file.\n"
    "\n"
    "Example:\n"
    "  objcopy --only-keep-debug build/server build/server.debug\n"
    "  unravel upload symbols build/server build/server.debug --project api --version 2.1.0\n";

typedef struct {
    bool quiet;
} report_ctx;

static void report(void *vctx, uv_upload_severity severity, const char *path, const char *message)
{
    report_ctx *ctx = vctx;
    if (severity == UV_UPLOAD_NOTE && ctx->quiet) return;
    const char *label = severity == UV_UPLOAD_ERROR     ? "error"
                        : severity == UV_UPLOAD_WARNING ? "warning"
                                                        : "note";
    fprintf(stderr, "%s: %s: %s\n", path, label, message);
}

/* The remote of --url/--token (or UNRAVEL_URL/UNRAVEL_TOKEN); *out stays NULL without a URL.
 * Returns an exit code. */
static int open_remote(const char *command, const char *url, const char *token, uv_remote **out)
{
    *out = NULL;
    if (!url || !*url) url = getenv("UNRAVEL_URL");
    if (!url || !*url) {
        if (token) {
            uv_cli_error("%s: --token needs --url (or UNRAVEL_URL)", command);
            return UV_EXIT_USAGE;
        }
        return UV_EXIT_OK;
    }
    if (!token || !*token) token = getenv("UNRAVEL_TOKEN");
    uv_remote_options options = {.url = url, .token = token, .progress = isatty(2) == 1};
    if (uv_remote_new(out, &options) != 0) {
        uv_cli_report(command);
        return UV_EXIT_USAGE;
    }
    return UV_EXIT_OK;
}

/* Exit code of a failed upload: with a remote, every failure that stops it is the network's
 * or the server's (3). */
static int failure_exit_code(int rc, const uv_remote *remote)
{
    return remote ? UV_EXIT_IO : uv_cli_exit_code(rc);
}

/* Where an upload goes: a service (--url) or a local store (created when missing; none in a dry
 * run). `where` names it for the summary line. */
typedef struct {
    uv_remote *remote;
    uv_store *store;
    int64_t project_id;
    const char *where;
} destination;

/* Checks the common options and opens the destination; returns an exit code. */
static int open_destination(const char *command, const char *url_opt, const char *token_opt,
                            const char *store_opt, const char *project, const char *version,
                            bool dry_run, destination *out)
{
    memset(out, 0, sizeof *out);
    int exit_code = open_remote(command, url_opt, token_opt, &out->remote);
    if (exit_code != UV_EXIT_OK) return exit_code;
    if ((!out->remote && (!project || !*project)) || !version || !*version ||
        strlen(version) > 255) {
        uv_cli_error("%s: --project and --version (up to 255 bytes) are required", command);
        uv_remote_free(out->remote);
        return UV_EXIT_USAGE;
    }
    out->where =
        out->remote ? (url_opt ? url_opt : getenv("UNRAVEL_URL")) : uv_cli_store_dir(store_opt);
    if (dry_run || out->remote) return UV_EXIT_OK;
    int rc = uv_store_open(&out->store, out->where, UV_STORE_CREATE);
    if (rc == 0) rc = uv_store_project_ensure(out->store, project, &out->project_id);
    if (rc != 0) {
        uv_cli_report(NULL);
        uv_store_close(out->store);
        return rc == UV_EINVALID ? UV_EXIT_USAGE : UV_EXIT_IO;
    }
    return UV_EXIT_OK;
}

static void close_destination(destination *d)
{
    uv_store_close(d->store);
    uv_remote_free(d->remote);
}

static int run_sourcemaps(int argc, char **argv)
{
    static const struct option options[] = {
        {"project", required_argument, NULL, 'p'},
        {"version", required_argument, NULL, 'v'},
        {"url-prefix", required_argument, NULL, 'u'},
        {"url", required_argument, NULL, 'U'},
        {"token", required_argument, NULL, 'T'},
        {"dry-run", no_argument, NULL, 'n'},
        {"store", required_argument, NULL, 's'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *project = NULL, *version = NULL, *prefix = NULL, *store_opt = NULL;
    const char *url_opt = NULL, *token_opt = NULL;
    bool dry_run = false;
    report_ctx rctx = {false};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", options, NULL)) != -1) {
        switch (c) {
        case 'p':
            project = optarg;
            break;
        case 'v':
            version = optarg;
            break;
        case 'u':
            prefix = optarg;
            break;
        case 'U':
            url_opt = optarg;
            break;
        case 'T':
            token_opt = optarg;
            break;
        case 'n':
            dry_run = true;
            break;
        case 's':
            store_opt = optarg;
            break;
        case 'q':
            rctx.quiet = true;
            break;
        case 'h':
            fputs(help, stdout);
            return UV_EXIT_OK;
        default:
            fputs(help, stderr);
            return UV_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        uv_cli_error("upload sourcemaps: give at least one directory or file");
        return UV_EXIT_USAGE;
    }
    destination d;
    int exit_code = open_destination("upload sourcemaps", url_opt, token_opt, store_opt, project,
                                     version, dry_run, &d);
    if (exit_code != UV_EXIT_OK) return exit_code;
    uv_upload_sourcemaps_options opt = {
        .paths = (const char *const *)argv + optind,
        .path_count = (size_t)(argc - optind),
        .url_prefix = prefix,
        .dry_run = dry_run,
        .store = d.store,
        .project_id = d.project_id,
        .version = version,
        .report = report,
        .report_ctx = &rctx,
        .remote = d.remote,
    };
    uv_upload_summary sum;
    int rc = uv_upload_sourcemaps(&opt, &sum);
    if (rc != 0) {
        uv_cli_report("upload sourcemaps");
        exit_code = failure_exit_code(rc, d.remote);
        close_destination(&d);
        return exit_code;
    }
    close_destination(&d);
    const char *dir = d.where;
    if (!rctx.quiet || sum.errors || sum.warnings)
        printf("%s%s %s@%s: %zu script%s, %zu map%s, %zu source%s from disk, %zu embedded, "
               "%zu debug ID%s, %zu warning%s, %zu error%s\n",
               dry_run ? "dry run: would upload to " : "uploaded to ", dry_run ? "" : dir,
               project ? project : "", version, sum.files, sum.files == 1 ? "" : "s", sum.maps,
               sum.maps == 1 ? "" : "s", sum.sources, sum.sources == 1 ? "" : "s", sum.embedded,
               sum.debug_ids, sum.debug_ids == 1 ? "" : "s", sum.warnings,
               sum.warnings == 1 ? "" : "s", sum.errors, sum.errors == 1 ? "" : "s");
    if (sum.errors) return UV_EXIT_INPUT;
    if (sum.maps == 0) {
        uv_cli_error("upload sourcemaps: no source maps found");
        return UV_EXIT_INPUT;
    }
    return UV_EXIT_OK;
}

static void print_symbol_file(void *vctx, const uv_symbol_file_info *f)
{
    report_ctx *ctx = vctx;
    if (ctx->quiet) return;
    if (strcmp(f->kind, "breakpad") == 0) {
        printf("%s: breakpad symbols (%s), debug ID %s", f->path, f->arch, f->debug_id);
        if (f->build_id[0]) printf(", code ID %s", f->build_id);
        printf("\n  holds: %zu FUNC/PUBLIC records,%s%s%s\n", f->symbols,
               f->has_lines ? " line records," : " no line records,",
               f->has_inlines ? " INLINE records," : "",
               f->has_unwind ? " STACK CFI/WIN records" : " no unwind records");
        return;
    }
    printf("%s: %s (%s %s)", f->path, f->kind, f->elf_kind, f->arch);
    if (f->build_id[0]) printf(", build-id %s", f->build_id);
    printf("\n  holds:");
    if (f->has_symtab)
        printf(" symbol table (%zu functions),", f->symbols);
    else
        printf(" dynamic symbols only (%zu functions),", f->symbols);
    printf("%s%s%s%s%s%s\n", f->has_debug_info ? " debug info," : " no debug info,",
           f->has_lines ? " line tables," : "", f->has_inlines ? " inline info," : "",
           f->has_unwind ? " unwind info" : " no unwind info",
           f->is_dwz_supplementary ? ", dwz supplementary file" : "",
           f->has_debuglink ? ", a .gnu_debuglink" : "");
}

static int run_symbols(int argc, char **argv)
{
    static const struct option options[] = {
        {"project", required_argument, NULL, 'p'},
        {"version", required_argument, NULL, 'v'},
        {"url", required_argument, NULL, 'U'},
        {"token", required_argument, NULL, 'T'},
        {"dry-run", no_argument, NULL, 'n'},
        {"store", required_argument, NULL, 's'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *project = NULL, *version = NULL, *store_opt = NULL;
    const char *url_opt = NULL, *token_opt = NULL;
    bool dry_run = false;
    report_ctx rctx = {false};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", options, NULL)) != -1) {
        switch (c) {
        case 'p':
            project = optarg;
            break;
        case 'v':
            version = optarg;
            break;
        case 'U':
            url_opt = optarg;
            break;
        case 'T':
            token_opt = optarg;
            break;
        case 'n':
            dry_run = true;
            break;
        case 's':
            store_opt = optarg;
            break;
        case 'q':
            rctx.quiet = true;
            break;
        case 'h':
            fputs(help, stdout);
            return UV_EXIT_OK;
        default:
            fputs(help, stderr);
            return UV_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        uv_cli_error("upload symbols: give at least one file or directory");
        return UV_EXIT_USAGE;
    }
    destination d;
    int exit_code = open_destination("upload symbols", url_opt, token_opt, store_opt, project,
                                     version, dry_run, &d);
    if (exit_code != UV_EXIT_OK) return exit_code;
    uv_upload_symbols_options opt = {
        .paths = (const char *const *)argv + optind,
        .path_count = (size_t)(argc - optind),
        .dry_run = dry_run,
        .store = d.store,
        .project_id = d.project_id,
        .version = version,
        .report = report,
        .file = print_symbol_file,
        .ctx = &rctx,
        .remote = d.remote,
    };
    uv_upload_symbols_summary sum;
    int rc = uv_upload_symbols(&opt, &sum);
    if (rc != 0) {
        uv_cli_report("upload symbols");
        exit_code = failure_exit_code(rc, d.remote);
        close_destination(&d);
        return exit_code;
    }
    close_destination(&d);
    const char *dir = d.where;
    if (!rctx.quiet || sum.errors || sum.warnings)
        printf("%s%s %s@%s: %zu file%s (%zu with debug info, %zu executable%s, %zu Breakpad "
               ".sym), %zu without build-id, %zu warning%s, %zu error%s\n",
               dry_run ? "dry run: would upload to " : "uploaded to ", dry_run ? "" : dir,
               project ? project : "", version, sum.files, sum.files == 1 ? "" : "s", sum.debuginfo,
               sum.executables, sum.executables == 1 ? "" : "s", sum.breakpad, sum.without_build_id,
               sum.warnings, sum.warnings == 1 ? "" : "s", sum.errors, sum.errors == 1 ? "" : "s");
    if (sum.errors) return UV_EXIT_INPUT;
    if (sum.files == 0) {
        uv_cli_error("upload symbols: no ELF or Breakpad .sym files found");
        return UV_EXIT_INPUT;
    }
    return UV_EXIT_OK;
}

static int run(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? UV_EXIT_USAGE : UV_EXIT_OK;
    }
    if (strcmp(argv[1], "sourcemaps") == 0) return run_sourcemaps(argc - 1, argv + 1);
    if (strcmp(argv[1], "symbols") == 0) return run_symbols(argc - 1, argv + 1);
    if (strcmp(argv[1], "bundle") == 0) {
        uv_cli_error("upload bundle: not available in this version");
        return UV_EXIT_USAGE;
    }
    uv_cli_error("upload: unknown kind '%s' (expected sourcemaps or symbols)", argv[1]);
    return UV_EXIT_USAGE;
}

const uv_command uv_command_upload = {
    "upload",
    "store a build's source maps or native debug files for a version",
    help,
    run,
};
