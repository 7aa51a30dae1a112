/* unravel serve: the HTTP service (server/server.h) until SIGTERM or SIGINT. */
#include "cli/cli.h"

#include "formats/error.h"
#include "server/server.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: unravel serve [--listen HOST:PORT] [--threads N] [--max-connections N]\n"
    "                     [--store DIR]\n"
    "                     [--tls-cert FILE --tls-key FILE] [--ready-file FILE]\n"
    "                     [--max-body BYTES] [--rate-limit N]\n"
    "\n"
    "Runs the HTTP service: Rollbar-compatible ingest (POST /api/1/item/, deploys), Raygun-\n"
    "compatible ingest (POST /entries, /entries/bulk), the read API (items, occurrences,\n"
    "versions, deploys), GET /health and GET /metrics (Prometheus). Occurrences are scrubbed of\n"
    "secrets by the project's settings, symbolicated with the project's uploads and grouped into\n"
    "items before they are stored. Requests authenticate with project access tokens (create them\n"
    "with `unravel project create` or `unravel token create`). See docs/api.md.\n"
    "\n"
    "Options:\n"
    "  --listen HOST:PORT  address to listen on (default 127.0.0.1:8080; port 0 = any free port;\n"
    "                      IPv6 as [::1]:8080)\n"
    "  --threads N         event threads (default: the number of online CPUs): they read\n"
    "                      every request and run ingest (parse, scrub, symbolicate); a\n"
    "                      request waiting for its group commit suspends its connection and\n"
    "                      holds no thread. Other routes (uploads, reads, deploys) run on up\n"
    "                      to 32 worker threads, N of them doing CPU work at once\n"
    "  --max-connections N connections served at once (default 512); more wait in the\n"
    "                      listen backlog\n"
    "  --store DIR         store directory (env UNRAVEL_STORE, default ./unravel-data)\n"
    "  --tls-cert FILE     PEM certificate; with --tls-key, serve HTTPS\n"
    "  --tls-key FILE      PEM private key\n"
    "  --ready-file FILE   write \"HOST:PORT\" there once listening (for scripts, with port 0)\n"
    "  --max-body BYTES    larger request bodies get 413 (default 8388608)\n"
    "  --rate-limit N      requests a minute per token before 429 (default 5000)\n"
    "\n"
    "SIGTERM or SIGINT stops accepting connections, lets requests in flight finish (up to 10 s)\n"
    "and exits 0. Exit codes: 0 stopped; 2 usage; 3 cannot start (store, address, TLS files).\n"
    "\n"
    "Example:\n"
    "  unravel project create web\n"
    "  unravel serve --listen 0.0.0.0:8080 --store /var/lib/unravel\n";

static volatile sig_atomic_t stop_requested;

static void on_signal(int signal_number)
{
    (void)signal_number;
    stop_requested = 1;
}

static bool parse_count(const char *name, const char *text, unsigned long long max,
                        unsigned long long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (!*text || *end || errno || text[0] == '-' || value == 0 || value > max) {
        uv_cli_error("serve: %s: expected a number from 1 to %llu, got '%s'", name, max, text);
        return false;
    }
    *out = value;
    return true;
}

static int run(int argc, char **argv)
{
    static const struct option options[] = {
        {"listen", required_argument, NULL, 'l'},
        {"threads", required_argument, NULL, 't'},
        {"store", required_argument, NULL, 's'},
        {"tls-cert", required_argument, NULL, 'c'},
        {"tls-key", required_argument, NULL, 'k'},
        {"ready-file", required_argument, NULL, 'r'},
        {"max-body", required_argument, NULL, 'b'},
        {"rate-limit", required_argument, NULL, 'R'},
        {"max-connections", required_argument, NULL, 'M'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uv_server_options opt = {0};
    const char *store_opt = NULL;
    unsigned long long value;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'l':
            opt.listen = optarg;
            break;
        case 't':
            if (!parse_count("--threads", optarg, 256, &value)) return UV_EXIT_USAGE;
            opt.threads = (unsigned)value;
            break;
        case 'M':
            if (!parse_count("--max-connections", optarg, 65536, &value)) return UV_EXIT_USAGE;
            opt.max_connections = (unsigned)value;
            break;
        case 's':
            store_opt = optarg;
            break;
        case 'c':
            opt.tls_cert = optarg;
            break;
        case 'k':
            opt.tls_key = optarg;
            break;
        case 'r':
            opt.ready_file = optarg;
            break;
        case 'b':
            if (!parse_count("--max-body", optarg, (unsigned long long)1 << 30, &value))
                return UV_EXIT_USAGE;
            opt.max_body = (size_t)value;
            break;
        case 'R':
            if (!parse_count("--rate-limit", optarg, 100000000, &value)) return UV_EXIT_USAGE;
            opt.rate_limit = (unsigned)value;
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
        uv_cli_error("serve: unexpected argument '%s'", argv[optind]);
        return UV_EXIT_USAGE;
    }
    if ((opt.tls_cert == NULL) != (opt.tls_key == NULL)) {
        uv_cli_error("serve: --tls-cert and --tls-key go together");
        return UV_EXIT_USAGE;
    }
    opt.store_dir = uv_cli_store_dir(store_opt);

    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);

    int rc = uv_server_run(&opt, &stop_requested);
    if (rc != 0) {
        uv_cli_report("serve");
        return rc == UV_EINVALID ? UV_EXIT_USAGE : UV_EXIT_IO;
    }
    return UV_EXIT_OK;
}

const uv_command uv_command_serve = {
    .name = "serve",
    .summary = "run the HTTP service (Rollbar/Raygun ingest, read API)",
    .help = help,
    .run = run,
};
