/* The HTTP service (libmicrohttpd): Rollbar- and Raygun-compatible ingest, token auth with
 * Rollbar's scopes, JSON errors, the read API, /health and /metrics. Thin: each API family is
 * one file that parses the request, calls the layers below and answers JSON. */
#ifndef UV_SERVER_H
#define UV_SERVER_H

#include <signal.h>
#include <stddef.h>

typedef struct {
    const char *listen;       /* "HOST:PORT"; default "127.0.0.1:8080"; port 0 = any free port */
    unsigned threads;         /* event threads (and busy workers); default: online CPUs */
    unsigned max_connections; /* connections served at once; default 512 */
    const char *store_dir;    /* the store (created when missing) */
    const char *tls_cert;     /* PEM files; both or neither */
    const char *tls_key;
    size_t max_body;        /* bytes; larger requests get 413; default 8 MiB */
    unsigned rate_limit;    /* requests per token per minute; 0 = default 5000 */
    const char *ready_file; /* when set, "HOST:PORT\n" is written there once listening (tests
                               and scripts use it with port 0) */
} uv_server_options;

/* Runs the service until *stop becomes non-zero (set it from a SIGTERM/SIGINT handler), then
 * drains in-flight requests and returns 0; or returns a negative code when it cannot start
 * (store, address in use, TLS files), with the reason in uv_error_last(). */
int uv_server_run(const uv_server_options *options, volatile sig_atomic_t *stop);

#endif
