/* unravel project create|list|settings: projects of the store, their first access tokens and
 * their privacy settings. */
#include "cli/cli.h"

#include "formats/error.h"
#include "formats/scrub.h"
#include "store/service.h"
#include "store/store.h"

#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: unravel project create NAME [--store DIR]\n"
    "       unravel project list [--store DIR]\n"
    "       unravel project settings NAME [--scrub on|off] [--scrub-field KEY]...\n"
    "                                     [--ip store|anonymize|drop] [--store DIR]\n"
    "\n"
    "create makes project NAME (1-64 of A-Z a-z 0-9 . _ -) and two access tokens for it:\n"
    "one with scopes post_server_item,post_client_item (for SDKs and deploy scripts) and one\n"
    "with read,write (for the read API). Each token is printed once, here: only its hash is\n"
    "stored. Make more with `unravel token create`.\n"
    "\n"
    "list prints the projects, one `ID NAME` a line.\n"
    "\n"
    "settings prints the project's privacy settings as JSON after applying the options given:\n"
    "  --scrub on|off      scrub secrets from payloads before they are stored (default on)\n"
    "  --scrub-field KEY   also scrub values under keys containing KEY (repeatable; adds to\n"
    "                      the built-in list: password, secret, token, cookie, session, …)\n"
    "  --ip POLICY         client IP addresses: store, anonymize (IPv4 last octet, IPv6 last\n"
    "                      80 bits zeroed) or drop\n"
    "See docs/privacy.md.\n"
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

/* Size of the settings text we read back (the store's own ceiling is 64 KiB). */
#define SETTINGS_MAX 65536

typedef struct {
    const char *scrub;   /* "on"/"off" or NULL */
    const char *ip;      /* policy or NULL */
    const char **fields; /* --scrub-field values */
    size_t field_count;
} settings_change;

static int settings(uv_store *store, const char *name, const settings_change *change)
{
    int64_t id = 0;
    int rc = uv_store_project_find(store, name, &id);
    if (rc != 0) {
        uv_cli_error("project settings: no project '%s'", name);
        return UV_EXIT_INPUT;
    }
    char *text = malloc(SETTINGS_MAX);
    if (!text) return UV_EXIT_IO;
    json_t *root = NULL;
    rc = uv_store_project_settings_get(store, id, text, SETTINGS_MAX);
    if (rc == 0) root = json_loads(text, 0, NULL);
    free(text);
    if (rc != 0 || !root) {
        uv_cli_report("project settings");
        json_decref(root);
        return UV_EXIT_IO;
    }
    if (change->scrub)
        json_object_set_new(root, "scrub", json_boolean(strcmp(change->scrub, "on") == 0));
    if (change->ip) json_object_set_new(root, "ip", json_string(change->ip));
    if (change->field_count) {
        json_t *fields = json_object_get(root, "scrub_fields");
        if (!json_is_array(fields)) {
            fields = json_array();
            json_object_set_new(root, "scrub_fields", fields);
        }
        for (size_t i = 0; i < change->field_count; i++)
            json_array_append_new(fields, json_string(change->fields[i]));
    }
    /* The service reads them with these rules: refuse what it would refuse. */
    uv_scrub_rules rules;
    int exit_code = UV_EXIT_OK;
    if (uv_scrub_rules_from_settings(root, &rules) != 0) {
        uv_cli_report("project settings");
        exit_code = UV_EXIT_USAGE;
    }
    char *dump = exit_code == UV_EXIT_OK ? json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    bool changed = change->scrub || change->ip || change->field_count;
    if (dump && changed && uv_store_project_settings_set(store, id, dump) != 0) {
        uv_cli_report("project settings");
        exit_code = UV_EXIT_IO;
    }
    if (dump && exit_code == UV_EXIT_OK) printf("%s\n", dump);
    free(dump);
    json_decref(root);
    return exit_code;
}

static int run(int argc, char **argv)
{
    static const struct option options[] = {
        {"store", required_argument, NULL, 's'},
        {"scrub", required_argument, NULL, 'S'},
        {"scrub-field", required_argument, NULL, 'F'},
        {"ip", required_argument, NULL, 'I'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *store_opt = NULL;
    const char *fields[64];
    settings_change change = {NULL, NULL, fields, 0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 's':
            store_opt = optarg;
            break;
        case 'S':
            if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0) {
                uv_cli_error("--scrub: expected on or off, got '%s'", optarg);
                return UV_EXIT_USAGE;
            }
            change.scrub = optarg;
            break;
        case 'F':
            if (change.field_count == sizeof fields / sizeof fields[0]) {
                uv_cli_error("--scrub-field: at most 64 at once");
                return UV_EXIT_USAGE;
            }
            fields[change.field_count++] = optarg;
            break;
        case 'I':
            change.ip = optarg; /* checked with the other settings */
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
    bool is_settings = action && strcmp(action, "settings") == 0;
    if (!is_create && !is_list && !is_settings) {
        uv_cli_error("project: expected create NAME, list or settings NAME");
        return UV_EXIT_USAGE;
    }
    if (((is_create || is_settings) && argc - optind != 2) || (is_list && argc - optind != 1)) {
        uv_cli_error(is_list ? "project list: no arguments" : "project %s: give one NAME", action);
        return UV_EXIT_USAGE;
    }
    if (!is_settings && (change.scrub || change.ip || change.field_count)) {
        uv_cli_error("project %s: --scrub, --scrub-field and --ip belong to `project settings`",
                     action);
        return UV_EXIT_USAGE;
    }
    uv_store *store = NULL;
    int rc = uv_store_open(&store, uv_cli_store_dir(store_opt),
                           is_create ? UV_STORE_CREATE
                           : is_list ? UV_STORE_READONLY
                                     : 0);
    if (rc != 0) {
        uv_cli_report("project");
        return uv_cli_exit_code(rc);
    }
    int exit_code = is_create ? create(store, argv[optind + 1])
                    : is_list ? list(store)
                              : settings(store, argv[optind + 1], &change);
    uv_store_close(store);
    return exit_code;
}

const uv_command uv_command_project = {
    .name = "project",
    .summary = "create and list projects (with their first tokens); privacy settings",
    .help = help,
    .run = run,
};
