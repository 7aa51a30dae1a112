/* unravel project create|list: projects of the store and their first access tokens. */
#include "cli/cli.h"

#include "formats/error.h"
#include "store/service.h"
#include "store/store.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char help[] =
    "usage: unravel project create NAME [--store DIR]\n"
    "       unravel project list [--store DIR]\n"
    "\n"
    "create makes project NAME (1-64 of A-Z a-z 0-9 . _ -) and two access tokens for it:\n"
    "one with scopes post_server_item,post_client_item (for SDKs and deploy scripts) and one\n"
    "with read,write (for the read API). Each token is printed once, here: only its hash is\n"
    "stored. Make more with `unravel token create`.\n"
    "\n"
    "list prints the projects, one `ID NAME` a line.\n"
    "\n"
    "Options:\n"
    "  --store DIR   store directory (env UNRAVEL_STORE, default ./unravel-data)\n"
    "\n"
    "Output of create:\n"
    "  project web (id 1)\n"
    "  token post_server_item,post_client_item 3f0c…\n"
    "  token read,write 9a1b…\n"
    "\n"
    "Exit codes: 0 done; 1 the project exists or the name is invalid; 2 usage; 3 I/O.\n";

static int create(uv_store *store, const char *name)
{
    int64_t id = 0;
    int rc = uv_store_project_find(store, name, &id);
    if (rc == 0) {
        uv_cli_error("project create: project '%s' already exists (id %" PRId64 ")", name, id);
        return UV_EXIT_INPUT;
    }
    if (rc != UV_ENOTFOUND) {
        uv_cli_report("project create");
        return uv_cli_exit_code(rc);
    }
    static const unsigned scope_sets[] = {
        UV_SCOPE_POST_SERVER_ITEM | UV_SCOPE_POST_CLIENT_ITEM,
        UV_SCOPE_READ | UV_SCOPE_WRITE,
    };
    static const char *const token_names[] = {"default post", "default read/write"};
    char tokens[2][UV_TOKEN_LEN];
    rc = uv_store_begin(store);
    if (rc == 0) rc = uv_store_project_ensure(store, name, &id);
    for (size_t i = 0; rc == 0 && i < 2; i++)
        rc = uv_store_token_create(store, id, scope_sets[i], token_names[i], tokens[i]);
    if (rc == 0) rc = uv_store_commit(store);
    if (rc != 0) {
        uv_cli_report("project create");
        uv_store_rollback(store);
        return uv_cli_exit_code(rc);
    }
    printf("project %s (id %" PRId64 ")\n", name, id);
    for (size_t i = 0; i < 2; i++) {
        char scopes[64];
        uv_scope_format(scope_sets[i], scopes, sizeof scopes);
        printf("token %s %s\n", scopes, tokens[i]);
    }
    return UV_EXIT_OK;
}

static int print_project(int64_t id, const char *name, void *ctx)
{
    (void)ctx;
    printf("%" PRId64 " %s\n", id, name);
    return 0;
}

static int list(uv_store *store)
{
    int rc = uv_store_project_each(store, print_project, NULL);
    if (rc != 0) {
        uv_cli_report("project list");
        return uv_cli_exit_code(rc);
    }
    return UV_EXIT_OK;
}

static int run(int argc, char **argv)
{
    static const struct option options[] = {
        {"store", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *store_opt = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
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
    const char *action = optind < argc ? argv[optind] : NULL;
    bool is_create = action && strcmp(action, "create") == 0;
    bool is_list = action && strcmp(action, "list") == 0;
    if (!is_create && !is_list) {
        uv_cli_error("project: expected create NAME or list");
        return UV_EXIT_USAGE;
    }
    if ((is_create && argc - optind != 2) || (is_list && argc - optind != 1)) {
        uv_cli_error(is_create ? "project create: give one NAME" : "project list: no arguments");
        return UV_EXIT_USAGE;
    }
    uv_store *store = NULL;
    int rc = uv_store_open(&store, uv_cli_store_dir(store_opt),
                           is_create ? UV_STORE_CREATE : UV_STORE_READONLY);
    if (rc != 0) {
        uv_cli_report("project");
        return uv_cli_exit_code(rc);
    }
    int exit_code = is_create ? create(store, argv[optind + 1]) : list(store);
    uv_store_close(store);
    return exit_code;
}

const uv_command uv_command_project = {
    .name = "project",
    .summary = "create and list projects (with their first access tokens)",
    .help = help,
    .run = run,
};
