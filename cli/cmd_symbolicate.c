/* unravel symbolicate: any JavaScript trace or payload → readable trace. */
#include "cli/cli.h"

#include "formats/arena.h"
#include "formats/buf.h"
#include "formats/error.h"
#include "formats/trace.h"
#include "store/store.h"
#include "symbolicate/jsresolve.h"
#include "symbolicate/report.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: unravel symbolicate INPUT --project P [--version V] [--store DIR]\n"
    "                           [--format text|json] [--context N]\n"
    "       unravel symbolicate INPUT --sourcemap MAP... [--format text|json] [--context N]\n"
    "\n"
    "Turns a minified JavaScript stack trace into the original one. INPUT is a file or `-`\n"
    "(stdin) and is recognised as:\n"
    "  - a Rollbar item payload (data.body.trace or trace_chain; version from data.code_version\n"
    "    or data.client.javascript.code_version),\n"
    "  - a Raygun entry (details.error.stackTrace, details.version; keys in any case),\n"
    "  - plain text from V8/Node (`at fn (url:line:col)`) or Firefox/Safari (`fn@url:line:col`).\n"
    "\n"
    "Each frame's map is found by the debug ID of the stored minified file, else by the stored\n"
    "URL that best matches the frame's (query and fragment dropped; `~/` keys match any host;\n"
    "file paths match by their longest path suffix), else through the stored minified file's\n"
    "sourceMappingURL. The function name is that of the enclosing function in the original\n"
    "source. Frames that cannot be resolved say why: missing_sourcemap, no_mapping, malformed.\n"
    "A frame without a column (raygun4node sends none) resolves to the first mapping of its\n"
    "line and is marked approximate.\n"
    "\n"
    "Options:\n"
    "  --project P       project whose uploads to use\n"
    "  --version V       code version (default: the payload's, else the newest upload)\n"
    "  --store DIR       store directory (env UNRAVEL_STORE, default ./unravel-data)\n"
    "  --sourcemap MAP   use this map file instead of a store (repeatable); a map applies to\n"
    "                    frames whose file name is its `file` or its own name without .map\n"
    "  --format F        text (default) or json: the payload with `resolved` added to each\n"
    "                    frame, or for text input {\"kind\":\"text\",\"exceptions\":[…]}\n"
    "  --context N       N lines of original source around each frame (default 0)\n"
    "\n"
    "Lines and columns printed are 1-based, as V8 prints them. Exit codes: 0 done (even if some\n"
    "frames stayed unresolved); 1 the input could not be read as a trace, or the project or a\n"
    "map is missing or invalid; 2 usage; 3 I/O failure.\n"
    "\n"
    "Example:\n"
    "  node dist/app.min.js 2> crash.txt\n"
    "  unravel symbolicate crash.txt --project web --version 1.4.2 --context 2\n";

/* Ceiling on the input: the trace parser's own (64 MiB). */
#define MAX_INPUT ((size_t)64 << 20)
/* At most this many --sourcemap options. */
#define MAX_MAPS 256

static int run(int argc, char **argv)
{
    static const struct option options[] = {
        {"project", required_argument, NULL, 'p'}, {"version", required_argument, NULL, 'v'},
        {"store", required_argument, NULL, 's'},   {"sourcemap", required_argument, NULL, 'm'},
        {"format", required_argument, NULL, 'f'},  {"context", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *project = NULL, *version = NULL, *store_opt = NULL;
    const char *maps[MAX_MAPS];
    size_t map_count = 0;
    bool json = false;
    unsigned context = 0;
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
            if (!uv_cli_parse_format(optarg, &json)) return UV_EXIT_USAGE;
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
    if (map_count == 0 && (!project || !*project)) {
        uv_cli_error("symbolicate: --project is required (or give --sourcemap MAP)");
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
    uv_jsresolver *resolver = NULL;
    uv_arena *arena = NULL;
    uv_buf out = UV_BUF_INIT;
    uv_resolved_frame **frames = NULL;

    int rc = uv_file_map(input_path, MAX_INPUT, &input);
    if (rc != 0) {
        uv_cli_report(NULL);
        exit_code = rc == UV_ETOOBIG ? UV_EXIT_INPUT : UV_EXIT_IO;
        goto done;
    }
    have_input = true;
    rc = uv_trace_parse(&trace, (const char *)input.data, input.len);
    if (rc != 0) {
        uv_cli_report(strcmp(input_path, "-") == 0 ? "<stdin>" : input_path);
        exit_code = uv_cli_exit_code(rc);
        goto done;
    }

    uv_jsresolve_options ropt = {.context_lines = context};
    if (map_count > 0) {
        ropt.sourcemap_paths = maps;
        ropt.sourcemap_count = map_count;
    } else {
        const char *dir = uv_cli_store_dir(store_opt);
        rc = uv_store_open(&store, dir, 0);
        if (rc == 0) rc = uv_store_project_find(store, project, &ropt.project_id);
        if (rc != 0) {
            if (rc == UV_ENOTFOUND && store)
                uv_cli_error("symbolicate: no project '%s' in store %s (upload to it first)",
                             project, dir);
            else
                uv_cli_report(NULL);
            exit_code = rc == UV_ENOTFOUND ? UV_EXIT_INPUT : uv_cli_exit_code(rc);
            goto done;
        }
        ropt.store = store;
        ropt.version = version ? version : trace->version;
    }
    /* Text input names no version: report the one given, so JSON says what was used. */
    if (trace->kind == UV_TRACE_TEXT && version) trace->version = version;
    rc = uv_jsresolve_new(&resolver, &ropt);
    if (rc == 0) rc = uv_arena_new(&arena);
    if (rc != 0) {
        uv_cli_report("symbolicate");
        exit_code = uv_cli_exit_code(rc);
        goto done;
    }
    frames = calloc(trace->exception_count ? trace->exception_count : 1, sizeof *frames);
    if (!frames) {
        uv_cli_error("symbolicate: out of memory");
        exit_code = UV_EXIT_IO;
        goto done;
    }
    for (size_t e = 0; e < trace->exception_count; e++) {
        size_t n = trace->exceptions[e].frame_count;
        frames[e] = uv_arena_calloc(arena, n ? n : 1, sizeof **frames);
        rc = frames[e] ? uv_jsresolve_exception(resolver, &trace->exceptions[e], arena, frames[e])
                       : UV_ENOMEM;
        if (rc != 0) {
            uv_cli_report("symbolicate");
            exit_code = uv_cli_exit_code(rc);
            goto done;
        }
    }
    rc = json ? uv_report_json(&out, trace, frames) : uv_report_text(&out, trace, frames);
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
    free(frames);
    uv_buf_free(&out);
    uv_arena_free(arena);
    uv_jsresolve_free(resolver);
    uv_store_close(store);
    uv_trace_free(trace);
    if (have_input) uv_mapped_release(&input);
    return exit_code;
}

const uv_command uv_command_symbolicate = {
    "symbolicate",
    "turn a minified JavaScript trace or payload into the original one",
    help,
    run,
};
