/* unravel deploy: record a deploy (environment, revision, status) in the local store or on a
 * service (POST /api/1/deploy), and finish it later (PATCH /api/1/deploy/ID). */
#include "cli/cli.h"

#include "formats/error.h"
#include "store/service.h"
#include "store/store.h"
#include "upload/remote.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
    "usage: unravel deploy --env E --revision V [--comment C] [--user U]\n"
    "                      [--status started|succeeded|failed] [TARGET]\n"
    "       unravel deploy --id N --status succeeded|failed|timed_out [--comment C] [TARGET]\n"
    "TARGET: --url URL --token T (env UNRAVEL_URL, UNRAVEL_TOKEN), or --project P [--store DIR]\n"
    "\n"
    "The first form records a deploy of revision V to environment E and prints its id; the\n"
    "second sets the status of deploy N, which must still be `started`. With --url the deploy\n"
    "goes to the service (POST /api/1/deploy, PATCH /api/1/deploy/N; a token with scope\n"
    "post_server_item), else to the local store under project P.\n"
    "\n"
    "Options:\n"
    "  --env E          environment, e.g. production (1-127 bytes)\n"
    "  --revision V     the code version deployed, e.g. a git SHA (1-255 bytes)\n"
    "  --comment C      free text (up to 1023 bytes)\n"
    "  --user U         who deployed (local_username, up to 127 bytes)\n"
    "  --status S       started (default on create), succeeded, failed or timed_out\n"
    "  --id N           the deploy to update\n"
    "  --url URL        the service (env UNRAVEL_URL)\n"
    "  --token T        access token (env UNRAVEL_TOKEN)\n"
    "  --project P      project of the local store (created when missing)\n"
    "  --store DIR      store directory (env UNRAVEL_STORE, default ./unravel-data)\n"
    "\n"
    "Requests are retried (0.5 s, 1 s, 2 s; 4 tries) after connection errors, 5xx and 429.\n"
    "Exit codes: 0 done; 1 (local store) no such deploy or it is no longer started; 2 usage;\n"
    "3 I/O, network or server failure, including the server's refusals (its message is\n"
    "printed: a 409 when the deploy is no longer started).\n"
    "\n"
    "Example:\n"
    "  id=$(unravel deploy --env production --revision \"$(git rev-parse HEAD)\" --user ci)\n"
    "  ./deploy.sh && unravel deploy --id \"$id\" --status succeeded \\\n"
    "                || unravel deploy --id \"$id\" --status failed\n";

static bool status_valid(const char *status)
{
    return strcmp(status, "started") == 0 || strcmp(status, "succeeded") == 0 ||
           strcmp(status, "failed") == 0 || strcmp(status, "timed_out") == 0;
}

/* Copies an option into a fixed field, or reports that it does not fit. */
static bool copy_field(const char *option, const char *value, char *out, size_t out_len)
{
    size_t len = value ? strlen(value) : 0;
    if (len >= out_len) {
        uv_cli_error("deploy: %s is longer than %zu bytes", option, out_len - 1);
        return false;
    }
    if (value) memcpy(out, value, len + 1);
    return true;
}

static int run_remote(const char *url, const char *token, const uv_deploy *deploy, int64_t id,
                      const char *comment)
{
    uv_remote *remote = NULL;
    uv_remote_options options = {.url = url, .token = token, .progress = false};
    if (uv_remote_new(&remote, &options) != 0) {
        uv_cli_report("deploy");
        return UV_EXIT_USAGE;
    }
    int rc;
    if (id > 0) {
        rc = uv_remote_deploy_update(remote, id, deploy->status, comment);
        if (rc == 0) printf("deploy %" PRId64 ": %s\n", id, deploy->status);
    } else {
        int64_t new_id;
        rc = uv_remote_deploy_create(remote, deploy->environment, deploy->revision, deploy->status,
                                     deploy->local_username, deploy->comment, &new_id);
        if (rc == 0) printf("%" PRId64 "\n", new_id);
    }
    uv_remote_free(remote);
    if (rc != 0) {
        uv_cli_report("deploy");
        return UV_EXIT_IO;
    }
    return UV_EXIT_OK;
}

static int run_local(const char *store_dir, const char *project, uv_deploy *deploy, int64_t id,
                     const char *comment)
{
    uv_store *store = NULL;
    int rc = uv_store_open(&store, store_dir, UV_STORE_CREATE);
    if (rc == 0) rc = uv_store_project_ensure(store, project, &deploy->project_id);
    if (rc != 0) {
        uv_cli_report("deploy");
        uv_store_close(store);
        return rc == UV_EINVALID ? UV_EXIT_USAGE : UV_EXIT_IO;
    }
    if (id > 0) {
        rc = uv_store_deploy_set_status(store, deploy->project_id, id, deploy->status, comment);
        if (rc == 0) printf("deploy %" PRId64 ": %s\n", id, deploy->status);
    } else {
        rc = uv_store_deploy_create(store, deploy);
        if (rc == 0) printf("%" PRId64 "\n", deploy->id);
    }
    uv_store_close(store);
    if (rc != 0) {
        uv_cli_report("deploy");
        return uv_cli_exit_code(rc);
    }
    return UV_EXIT_OK;
}

static int run(int argc, char **argv)
{
    static const struct option options[] = {
        {"env", required_argument, NULL, 'e'},
        {"environment", required_argument, NULL, 'e'},
        {"revision", required_argument, NULL, 'r'},
        {"comment", required_argument, NULL, 'c'},
        {"user", required_argument, NULL, 'u'},
        {"status", required_argument, NULL, 's'},
        {"id", required_argument, NULL, 'i'},
        {"url", required_argument, NULL, 'U'},
        {"token", required_argument, NULL, 'T'},
        {"project", required_argument, NULL, 'p'},
        {"store", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *env = NULL, *revision = NULL, *comment = NULL, *user = NULL, *status = NULL;
    const char *id_text = NULL, *url = NULL, *token = NULL, *project = NULL, *store_opt = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'e':
            env = optarg;
            break;
        case 'r':
            revision = optarg;
            break;
        case 'c':
            comment = optarg;
            break;
        case 'u':
            user = optarg;
            break;
        case 's':
            status = optarg;
            break;
        case 'i':
            id_text = optarg;
            break;
        case 'U':
            url = optarg;
            break;
        case 'T':
            token = optarg;
            break;
        case 'p':
            project = optarg;
            break;
        case 'S':
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
    if (optind < argc) {
        uv_cli_error("deploy: unexpected argument '%s'", argv[optind]);
        return UV_EXIT_USAGE;
    }
    uv_deploy deploy;
    memset(&deploy, 0, sizeof deploy);
    int64_t id = 0;
    if (id_text) {
        char *end;
        long long value = strtoll(id_text, &end, 10);
        if (!*id_text || *end || value <= 0) {
            uv_cli_error("deploy: --id: expected a positive deploy id, got '%s'", id_text);
            return UV_EXIT_USAGE;
        }
        id = value;
        if (env || revision || user) {
            uv_cli_error("deploy: --id updates a deploy: --env, --revision, --user do not apply");
            return UV_EXIT_USAGE;
        }
        if (!status) {
            uv_cli_error("deploy: --id needs --status");
            return UV_EXIT_USAGE;
        }
    } else if (!env || !*env || !revision || !*revision) {
        uv_cli_error("deploy: --env and --revision are required (or --id N --status S)");
        return UV_EXIT_USAGE;
    }
    if (!status) status = "started";
    if (!status_valid(status)) {
        uv_cli_error("deploy: --status: expected started, succeeded, failed or timed_out, got '%s'",
                     status);
        return UV_EXIT_USAGE;
    }
    if (!copy_field("--env", env, deploy.environment, sizeof deploy.environment) ||
        !copy_field("--revision", revision, deploy.revision, sizeof deploy.revision) ||
        !copy_field("--comment", comment, deploy.comment, sizeof deploy.comment) ||
        !copy_field("--user", user, deploy.local_username, sizeof deploy.local_username) ||
        !copy_field("--status", status, deploy.status, sizeof deploy.status))
        return UV_EXIT_USAGE;

    if (!url || !*url) url = getenv("UNRAVEL_URL");
    if (url && *url) {
        if (!token || !*token) token = getenv("UNRAVEL_TOKEN");
        return run_remote(url, token, &deploy, id, comment);
    }
    if (token) {
        uv_cli_error("deploy: --token needs --url (or UNRAVEL_URL)");
        return UV_EXIT_USAGE;
    }
    if (!project || !*project) {
        uv_cli_error("deploy: give --url and --token, or --project for the local store");
        return UV_EXIT_USAGE;
    }
    return run_local(uv_cli_store_dir(store_opt), project, &deploy, id, comment);
}

const uv_command uv_command_deploy = {
    .name = "deploy",
    .summary = "record a deploy (environment, revision, status) locally or on a service",
    .help = help,
    .run = run,
};
