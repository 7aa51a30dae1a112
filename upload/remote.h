/* The build side talking to `unravel serve` (or any Rollbar-compatible service) over HTTP with
 * libcurl: source maps to POST /api/1/sourcemap and debug files to POST /api/1/symbols as
 * multipart forms, deploys as JSON to POST /api/1/deploy and PATCH /api/1/deploy/ID.
 *
 * Every request is tried up to 4 times: after a connection error, a timeout, a 5xx or a 429
 * it waits 0.5 s, 1 s, 2 s (or the server's Retry-After, up to 60 s) and tries again. Other
 * answers are final. Connecting may take 10 s and a whole request 300 s. The token travels in
 * the X-Rollbar-Access-Token header (and the form's `access_token` field, as Rollbar's API
 * wants); it never appears in an error message. */
#ifndef UV_UPLOAD_REMOTE_H
#define UV_UPLOAD_REMOTE_H

#include "upload/sourcemaps.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct uv_remote uv_remote;

typedef struct {
    const char *url;   /* base URL, e.g. https://errors.example.com (a trailing / is fine) */
    const char *token; /* access token; required */
    bool progress;     /* draw a progress bar on stderr (callers pass isatty(2)) */
    /* For tests; 0 = the defaults above. */
    unsigned max_tries;
    long first_delay_ms;
    long connect_timeout_ms, total_timeout_ms;
} uv_remote_options;

/* Creates a client; UV_EINVALID when the URL is not http(s)://… or the token is missing.
 * Free with uv_remote_free (accepts NULL). */
int uv_remote_new(uv_remote **out, const uv_remote_options *options);
void uv_remote_free(uv_remote *remote);

/* The last answer received. `body` is the server's (NUL-terminated, at most 1 MiB kept) and
 * lives until the next request or uv_remote_free. status is 0 when no answer came. */
typedef struct {
    long status;
    const char *body;
    size_t body_len;
} uv_remote_response;
const uv_remote_response *uv_remote_last(const uv_remote *remote);

/* Failure codes of the calls below (details in uv_error_last(), lib UV_LIB_HTTP with the
 * HTTP status, or 0 when no answer came; the message quotes the server's JSON `message`):
 *   UV_EINVALID  the server rejected what was sent (400, 413, 422): that upload only
 *   UV_EEXISTS   409 (a deploy that is no longer started)
 *   UV_ENOTFOUND 404
 *   UV_EIO       anything else: no connection after all tries, 401/403, 5xx, 429 … */

/* Sends a JSON body with `method` ("POST", "PATCH") to base URL + `path`; 0 on a 2xx. */
int uv_remote_json(uv_remote *remote, const char *method, const char *path, const char *json);

/* POST /api/1/sourcemap: fields access_token, version, minified_url = group->url, the map as
 * file part `source_map` and each source read from disk as a file part named by the source as
 * the map names it. */
int uv_remote_send_sourcemap(uv_remote *remote, const char *version, const uv_upload_group *group);

/* POST /api/1/symbols: fields access_token, version and the debug file (`len` bytes at `data`)
 * as file part `symbols` with file name `name`. */
int uv_remote_send_symbols(uv_remote *remote, const char *version, const char *name,
                           const void *data, size_t len);

/* POST /api/1/deploy with the deploy's environment, revision, status and (when not "")
 * local_username and comment; *id is the deploy id the server answers. */
int uv_remote_deploy_create(uv_remote *remote, const char *environment, const char *revision,
                            const char *status, const char *local_username, const char *comment,
                            int64_t *id);

/* PATCH /api/1/deploy/ID: status and (when not NULL) comment. UV_EEXISTS (409) when the deploy
 * is no longer started, UV_ENOTFOUND when there is no such deploy. */
int uv_remote_deploy_update(uv_remote *remote, int64_t id, const char *status, const char *comment);

#endif
