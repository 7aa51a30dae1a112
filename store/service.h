/* The service's index: access tokens, occurrences grouped into items, and deploys (schema v2).
 * Same store, same rules as store.h: reached only through these functions, so another backend
 * can implement them; every write acknowledged (return 0) is durable. */
#ifndef UV_STORE_SERVICE_H
#define UV_STORE_SERVICE_H

#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- tokens ------------------------------------------------------------------------------ */

/* Scopes as Rollbar's: bit flags. */
enum {
    UV_SCOPE_POST_SERVER_ITEM = 1, /* items from server platforms, deploys, uploads */
    UV_SCOPE_POST_CLIENT_ITEM = 2, /* items from client platforms only */
    UV_SCOPE_READ = 4,             /* GET */
    UV_SCOPE_WRITE = 8,            /* PATCH / DELETE */
};

/* "post_server_item,read" → flags; UV_EINVALID naming an unknown scope. */
int uv_scope_parse(const char *text, unsigned *out);
/* flags → "post_server_item,post_client_item,read,write" order; out holds ≥ 64 bytes. */
void uv_scope_format(unsigned scopes, char *out, size_t out_len);

#define UV_TOKEN_LEN 33 /* 32 lowercase hex characters (128 random bits) + NUL */

/* Creates a token for the project with `scopes`; the plaintext is returned once in `out` and
 * only its SHA-256 is stored (tokens are never stored or logged in clear). `name` may be NULL. */
int uv_store_token_create(uv_store *store, int64_t project_id, unsigned scopes, const char *name,
                          char out[UV_TOKEN_LEN]);
/* Checks a presented token: 0 with its project and scopes, UV_ENOTFOUND when unknown
 * (constant-time comparison is not needed: lookups are by hash). */
int uv_store_token_check(uv_store *store, const char *token, int64_t *project_id, unsigned *scopes);

/* ---- occurrences and items ------------------------------------------------------------- */

typedef enum {
    UV_ITEM_ACTIVE,
    UV_ITEM_RESOLVED,
    UV_ITEM_MUTED,
} uv_item_status;

const char *uv_item_status_name(uv_item_status status);
int uv_item_status_parse(const char *text, uv_item_status *out);

/* One occurrence to store: the payload after scrubbing and its symbolicated form. */
typedef struct {
    int64_t project_id;
    const char *uuid;            /* client's uuid, or NULL (one is generated); a repeated uuid
                                    of the project is not stored twice */
    const char *fingerprint;     /* grouping key (hex), required */
    const char *title;           /* "TypeError: x is undefined", for item lists */
    const char *exception_class; /* may be NULL */
    const char *level;           /* "error", "warning", …; NULL = "error" */
    const char *environment;     /* may be NULL */
    const char *version;         /* code version, may be NULL */
    const char *platform;        /* "browser", "node", …, may be NULL */
    const char *source;          /* "rollbar" or "raygun" */
    int64_t timestamp;           /* unix seconds of the occurrence (server time when absent) */
    const char *raw_json;        /* the scrubbed payload */
    const char *resolved_json;   /* the symbolicated result (JSON), or NULL when not yet */
    bool unresolved_frames;      /* some frame lacked a map/symbols: reprocess when they arrive */
    /* Optional: raw_json and resolved_json already packed (uv_store_pack), so that a thread
     * writing for many others does not spend its time compressing; NULL: packed on put. */
    const uv_buf *raw_packed, *resolved_packed;
} uv_occurrence_in;

typedef struct {
    int64_t id;
    int64_t item_id;
    char uuid[64];
    bool duplicate;   /* the uuid was already stored: nothing written */
    bool reactivated; /* the item was resolved and this occurrence reactivated it */
} uv_occurrence_ack;

/* Stores an occurrence and updates (or creates) its item, in one transaction: counts, first
 * and last seen, level, environments, versions; an item resolved in version V is reactivated
 * by an occurrence of a later version (compared as Rollbar does: by the time versions were
 * first seen in the project) — and by any occurrence when resolved without a version. */
int uv_store_occurrence_put(uv_store *store, const uv_occurrence_in *in, uv_occurrence_ack *out);

/* Replaces the resolved form of an occurrence (background reprocessing). */
int uv_store_occurrence_set_resolved(uv_store *store, int64_t occurrence_id,
                                     const char *resolved_json, bool unresolved_frames);

typedef struct {
    int64_t id;
    int64_t project_id;
    int64_t counter; /* per-project item number, as Rollbar shows it */
    char fingerprint[72];
    char title[512];
    char level[16];
    uv_item_status status;
    char resolved_in_version[256]; /* "" when none */
    int64_t total_occurrences;
    int64_t first_seen, last_seen; /* unix seconds */
    char environments[512];        /* comma-separated, in order first seen */
    char last_version[256];
} uv_item;

int uv_store_item_get(uv_store *store, int64_t project_id, int64_t item_id, uv_item *out);
/* Items of the project, most recently seen first; `status` < 0 for all. Paged: `offset`,
 * `limit` (≤ 1000). Calls fn per item; fn returns non-zero to stop. */
typedef int (*uv_item_fn)(const uv_item *item, void *ctx);
int uv_store_item_list(uv_store *store, int64_t project_id, int status, size_t offset, size_t limit,
                       uv_item_fn fn, void *ctx);
/* PATCH: status and resolved_in_version (NULL keeps it). */
int uv_store_item_update(uv_store *store, int64_t project_id, int64_t item_id,
                         uv_item_status status, const char *resolved_in_version);

typedef struct {
    int64_t id;
    int64_t item_id;
    int64_t project_id;
    char uuid[64];
    int64_t timestamp;
    char version[256];
    char environment[128];
    char *raw_json;      /* malloc'd; free with uv_occurrence_clear */
    char *resolved_json; /* malloc'd or NULL */
    bool unresolved_frames;
} uv_occurrence;

int uv_store_occurrence_get(uv_store *store, int64_t project_id, int64_t occurrence_id,
                            uv_occurrence *out);
/* Occurrences of an item, newest first (paged as above). raw/resolved JSON are filled. */
typedef int (*uv_occurrence_fn)(const uv_occurrence *occurrence, void *ctx);
int uv_store_occurrence_list(uv_store *store, int64_t project_id, int64_t item_id, size_t offset,
                             size_t limit, uv_occurrence_fn fn, void *ctx);
/* Occurrences of (project, version) with unresolved frames, for reprocessing. */
int uv_store_occurrence_each_unresolved(uv_store *store, int64_t project_id, const char *version,
                                        uv_occurrence_fn fn, void *ctx);
void uv_occurrence_clear(uv_occurrence *occurrence);

/* ---- deploys --------------------------------------------------------------------------- */

typedef struct {
    int64_t id;
    int64_t project_id;
    char environment[128];
    char revision[256];
    char status[16]; /* "started", "succeeded", "failed", "timed_out" */
    char comment[1024];
    char local_username[128];
    int64_t start_time, finish_time; /* unix seconds; 0 when not finished */
} uv_deploy;

int uv_store_deploy_create(uv_store *store, uv_deploy *deploy); /* sets deploy->id */
int uv_store_deploy_get(uv_store *store, int64_t project_id, int64_t deploy_id, uv_deploy *out);
/* Only while "started": else UV_EEXISTS ("deploy N is already succeeded") for HTTP 409. */
int uv_store_deploy_set_status(uv_store *store, int64_t project_id, int64_t deploy_id,
                               const char *status, const char *comment);
/* Newest first; page is 1-based, 20 a page. */
typedef int (*uv_deploy_fn)(const uv_deploy *deploy, void *ctx);
int uv_store_deploy_list(uv_store *store, int64_t project_id, size_t page, uv_deploy_fn fn,
                         void *ctx);

/* Versions of the project with their first-seen time, newest first. */
typedef int (*uv_version_fn)(const char *version, int64_t first_seen, void *ctx);
int uv_store_version_list(uv_store *store, int64_t project_id, uv_version_fn fn, void *ctx);

/* Project names by id, and the list (for `unravel project list` and the site). */
int uv_store_project_name(uv_store *store, int64_t project_id, char *out, size_t out_len);
/* Calls fn for every project in id order; fn returns non-zero to stop (that value returned). */
typedef int (*uv_project_fn)(int64_t project_id, const char *name, void *ctx);
int uv_store_project_each(uv_store *store, uv_project_fn fn, void *ctx);

/* Project settings (scrubbing and IP policy), stored as a JSON object; "{}" when unset. */
int uv_store_project_settings_get(uv_store *store, int64_t project_id, char *out, size_t out_len);
/* One read for a long-lived consumer (the service): the project's settings (as
 * uv_store_project_settings_get) and a counter that changes whenever any of the project's
 * artifacts is added, replaced or deleted (by any process), so cached resolvers can be
 * checked for staleness per request. */
int uv_store_project_state(uv_store *store, int64_t project_id, int64_t *artifacts_changed,
                           char *settings, size_t settings_len);
int uv_store_project_settings_set(uv_store *store, int64_t project_id, const char *json);

/* ---- group commit ---------------------------------------------------------------------- */

/* n occurrence puts in ONE transaction (one fsync for all: the ingest path batches requests
 * arriving together). out[i] is the ack of in[i]; a uuid repeated inside the batch is a
 * duplicate of its first copy. All or nothing: on any failure nothing is written (the error
 * names the index) — unless the caller's own uv_store_begin transaction is open, which the
 * puts then join and the caller must roll back. */
int uv_store_occurrence_put_batch(uv_store *store, const uv_occurrence_in *in, size_t n,
                                  uv_occurrence_ack *out);

#endif
