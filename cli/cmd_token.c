/* unravel token create: an access token of a project with Rollbar-style scopes. */
#include "cli/cli.h"

#include "formats/error.h"
#include "store/service.h"
#include "store/store.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char help[] =
    "usage: unravel token create --project P --scope SCOPES [--name N] [--store DIR]\n"
    "\n"
    "Creates an access token for project P and prints it (once: only its hash is stored).\n"
    "SCOPES is a comma-separated list of:\n"
    "  post_server_item   post items from any platform, deploys\n"
    "  post_client_item   post items from client platforms only (browser, android, ios,\n"
    "                     flutter, react-native; Raygun entries from raygun4js)\n"
    "  read               the read API (items, occurrences, versions, deploys)\n"
    "  write              change items (PATCH), deploys\n"
    "\n"
    "Options:\n"
    "  --project P    the project (must exist: `unravel project create P`)\n"
    "  --scope S      scopes, e.g. post_client_item or read,write\n"
    "  --name N       a label for the token\n"
    "  --store DIR    store directory (env UNRAVEL_STORE, default ./unravel-data)\n"
    "\n"
    "Exit codes: 0 created; 1 unknown project or scope; 2 usage; 3 I/O.\n";

static int run(int argc, char **argv)
{
    static const struct option options[] = {
        {"project", required_argument, NULL, 'p'},
        {"scope", required_argument, NULL, 'S'},
        {"scopes", required_argument, NULL, 'S'},
        {"name", required_argument, NULL, 'n'},
        {"store", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *project = NULL, *scope_text = NULL, *name = NULL, *store_opt = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'p':
            project = optarg;
            break;
        case 'S':
            scope_text = optarg;
            break;
        case 'n':
            name = optarg;
            break;
        case 's':
            store_opt = optarg;
            break;
        case 'h':
            fputs(help, stdout);
            return UV_EXIT_OK;
        default:
            fputs(help, stderr);
            return UV_EXIT_USAGE;
        }
    }
    if (optind >= argc || strcmp(argv[optind], "create") != 0 || argc - optind != 1) {
        uv_cli_error("token: expected `token create --project P --scope SCOPES`");
        return UV_EXIT_USAGE;
    }
    if (!project || !scope_text) {
        uv_cli_error("token create: --project and --scope are required");
        return UV_EXIT_USAGE;
    }
    unsigned scopes = 0;
    if (uv_scope_parse(scope_text, &scopes) != 0 || scopes == 0) {
        uv_cli_report("token create: --scope");
        return UV_EXIT_INPUT;
    }
    uv_store *store = NULL;
    int rc = uv_store_open(&store, uv_cli_store_dir(store_opt), 0);
    int64_t project_id = 0;
    if (rc == 0) {
        rc = uv_store_project_find(store, project, &project_id);
        if (rc == UV_ENOTFOUND)
            uv_error_set(rc, UV_LIB_NONE, 0,
                         "no project '%s' (create it with `unravel project create`)", project);
    }
    char token[UV_TOKEN_LEN];
    if (rc == 0) rc = uv_store_token_create(store, project_id, scopes, name, token);
    if (rc != 0) {
        uv_cli_report("token create");
        uv_store_close(store);
        return uv_cli_exit_code(rc);
    }
    uv_store_close(store);
    puts(token);
    return UV_EXIT_OK;
}

const uv_command uv_command_token = {
    .name = "token",
    .summary = "create access tokens for the service",
    .help = help,
    .run = run,
};
