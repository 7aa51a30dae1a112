/* Shared between the server's files: the request being answered, replies, auth, the
 * per-thread store, the ingest pipeline and metrics. Not part of the public interface. */
#ifndef UV_SERVER_INTERNAL_H
#define UV_SERVER_INTERNAL_H

#include "formats/buf.h"
#include "formats/error.h"
#include "formats/jv.h"
#include "formats/scrub.h"
#include "symbolicate/jsresolve.h"
#include "server/server.h"
#include "store/service.h"
#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct MHD_Connection;

/* Routes, for dispatch and for the metrics labels. */
typedef enum {
    UV_ROUTE_UNKNOWN,
    UV_ROUTE_HEALTH,
    UV_ROUTE_METRICS,
    UV_ROUTE_PREFLIGHT,
    UV_ROUTE_ITEM_POST,
    UV_ROUTE_ENTRIES,
    UV_ROUTE_ENTRIES_BULK,
    UV_ROUTE_ITEMS,
    UV_ROUTE_ITEM_GET,
    UV_ROUTE_ITEM_PATCH,
    UV_ROUTE_ITEM_OCCURRENCES,
    UV_ROUTE_OCCURRENCE,
    UV_ROUTE_VERSIONS,
    UV_ROUTE_DEPLOY_POST,
    UV_ROUTE_DEPLOYS,
    UV_ROUTE_DEPLOY_GET,
    UV_ROUTE_DEPLOY_PATCH,
    UV_ROUTE_SOURCEMAP,
    UV_ROUTE_SYMBOLS,
    UV_ROUTE_MINIDUMP,
    UV_ROUTE_COUNT
} uv_route;

const char *uv_server__route_name(uv_route route);

typedef struct uv_server_state uv_server_state;
typedef struct uv_server_writer uv_server_writer;
typedef struct uv_server_reprocess uv_server_reprocess;
typedef struct uv_ingest uv_ingest;

/* One part of a multipart/form-data body: name, filename (NULL for a plain field) and bytes
 * (NUL-terminated one past len, so a field reads as a C string). */
typedef struct {
    char *name;
    char *filename;
    uv_buf data;
} uv_form_part;

/* One request: created on the first call of the access handler, freed when MHD reports it
 * completed. Handlers read the body and set the reply through uv_server__reply_*. */
typedef struct {
    uv_server_state *server;
    struct MHD_Connection *conn;
    struct uv_store *store;        /* checked out of the server's pool by uv_server__store */
    struct uv_server_cache *cache; /* the handle's cache (cache.c), with the store */
    const char *method;
    const char *path;
    uv_buf body;
    bool too_big;
    /* The decoded form field uv_server__body_jv parsed (its tree points into it), or NULL. */
    char *body_text;
    /* multipart/form-data bodies (the upload routes) are parsed as they arrive. */
    struct MHD_PostProcessor *post;
    uv_form_part *parts;
    size_t part_count, part_cap, parts_bytes;
    bool form_bad; /* malformed multipart body */
    uv_route route;
    int64_t id; /* path id (/item/ID …), 0 when none */
    struct timespec started;
    /* The reply. */
    unsigned status;
    char *reply;
    size_t reply_len;
    bool replied;
    bool cors;
    /* Set by a successful auth: the rate-limit headers to send. */
    bool has_rate;
    unsigned rate_limit, rate_remaining;
    int64_t rate_reset;   /* unix seconds when the window ends */
    unsigned retry_after; /* seconds, sent as Retry-After when non-zero (503) */
    /* Where it runs (http.c): on an event thread the request may suspend its connection
     * (uv_server__suspend) and be answered when resumed; on a worker thread it blocks. */
    bool on_event_thread;
    bool suspended;
    uv_ingest *ingest; /* an occurrence waiting for its group commit (ingest.c), or NULL */
    void *work_next;   /* the workers' queue (http.c) */
} uv_request;

/* On an event thread: suspends the request's connection (it is answered when resumed) and
 * gives its store handle back; true. Elsewhere: false, nothing done. */
bool uv_server__suspend(uv_request *req);
/* Resumes a suspended request's connection; any thread. */
void uv_server__resume(uv_request *req);

/* Replies. json is stolen (decref'd). Every error is {"err":1,"message":"…"}. */
void uv_server__reply_json(uv_request *req, unsigned status, json_t *json);
void uv_server__reply_error(uv_request *req, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void uv_server__reply_empty(uv_request *req, unsigned status);
void uv_server__reply_text(uv_request *req, unsigned status, char *text, size_t len); /* stolen */
/* {"err":0,"result":result} with status 200. */
void uv_server__reply_result(uv_request *req, json_t *result);
/* Replies for a failed layer call: UV_ENOTFOUND → 404, UV_EINVALID/ETOOBIG → 422,
 * UV_EEXISTS → 409, else 500 (logged); the message is uv_error_last()'s. */
void uv_server__reply_failure(uv_request *req, int code, const char *what);

/* 503 with Retry-After: the ingest queue is full (backpressure). */
void uv_server__reply_busy(uv_request *req);

/* The request's store handle (from the server's pool, opened when the pool is empty; back
 * in the pool when the request completes); NULL after replying 503. */
uv_store *uv_server__store(uv_request *req);

/* Checks the request's token — `X-Rollbar-Access-Token`, `X-ApiKey`, `?access_token=`,
 * `?apikey=`, else `body_token` (a JSON body's access_token; may be NULL) — against the
 * store. It must carry one of the scopes in `any_of`. On success fills project and scopes
 * and applies the per-token rate limit; otherwise replies 403 (or 429) and returns false. */
bool uv_server__auth(uv_request *req, const char *body_token, unsigned any_of, int64_t *project_id,
                     unsigned *scopes);

/* The request body parsed as JSON; replies 400 (empty or invalid JSON, naming line and
 * column) and returns NULL on failure. `form_field`: for application/x-www-form-urlencoded
 * bodies, the field holding the JSON text (NULL: never a form). */
json_t *uv_server__body_json(uv_request *req, const char *form_field);
/* The same into the fast tree (formats/jv.h) for the ingest routes; free with uv_jv_free. */
uv_jv_doc *uv_server__body_jv(uv_request *req, const char *form_field);

/* Query argument, or NULL. */
const char *uv_server__query(uv_request *req, const char *name);
/* ?page= as a number ≥ 1 (1 when absent); false after replying 400. */
bool uv_server__page(uv_request *req, size_t *page);

/* ---- per-handle caches (cache.c) ------------------------------------------------------ */

typedef struct uv_server_cache uv_server_cache;
uv_server_cache *uv_server__cache_new(void); /* NULL when out of memory */
void uv_server__cache_free(uv_server_cache *cache);
/* The project's scrub rules (valid until the next call on this cache) and its artifact
 * counter, from one read of the project row. */
int uv_server__cache_project(uv_server_cache *cache, uv_store *store, int64_t project_id,
                             const uv_scrub_rules **rules, int64_t *artifacts_changed);
/* A JavaScript resolver for (project, version) on `store`, kept while the project's artifact
 * counter stays `artifacts_changed`; owned by the cache. */
int uv_server__cache_js(uv_server_cache *cache, uv_store *store, int64_t project_id,
                        const char *version, int64_t artifacts_changed, uv_jsresolver **out);
/* Valid tokens seen recently on this handle (cache.c says for how long): get answers from
 * the cache, put records a token the store just found valid. */
bool uv_server__cache_token_get(uv_server_cache *cache, const char *token, int64_t *project_id,
                                unsigned *scopes);
void uv_server__cache_token_put(uv_server_cache *cache, const char *token, int64_t project_id,
                                unsigned scopes);
/* Drops resolvers that grew too big; called when a request is done with them. */
void uv_server__cache_trim(uv_server_cache *cache);

/* ---- ingest (ingest.c) ---------------------------------------------------------------- */

/* Scrubs the payload `doc` by the project's settings, symbolicates, groups and stores it: the
 * whole pipeline behind POST /api/1/item/ and /entries. `doc` is borrowed (and scrubbed in
 * place). The request must hold its store handle (uv_server__store). Blocks until the write
 * is durable. On failure returns a negative code with a message in uv_error_last() and the
 * HTTP status to answer in *http_status. */
int uv_server__ingest(uv_request *req, int64_t project_id, uv_jv_doc *doc, const char *source,
                      uv_occurrence_ack *ack, unsigned *http_status);
/* The same pipeline for one occurrence, answering the request itself (Rollbar: 200
 * {"err":0,"result":{"id","uuid"}}; Raygun: 202; errors as uv_server__ingest's statuses).
 * `doc` is owned from here on. On an event thread the connection is suspended while the write
 * waits for its group commit and the answer is made by uv_server__ingest_finish on resume. */
void uv_server__ingest_answer(uv_request *req, int64_t project_id, uv_jv_doc *doc,
                              const char *source);
/* Answers a resumed request from its finished write (req->ingest), and frees it. */
void uv_server__ingest_finish(uv_request *req);
/* Frees an unfinished one (its connection went away). NULL ok. */
void uv_server__ingest_free(uv_ingest *job);

/* The compact JSON text of `value` (formats/jsonw.c, as json_dumps would write it, faster) as
 * a malloc'd C string; NULL when out of memory. */
char *uv_server__json_text(const json_t *value);

/* Symbolicates a stored (scrubbed) payload again: the resolved JSON (NUL-terminated) and
 * whether frames are still unresolved. For background reprocessing. */
int uv_server__resolve_again(uv_store *store, int64_t project_id, const char *raw_json,
                             uv_buf *resolved, bool *unresolved_frames);

/* ---- group commit (writer.c) ---------------------------------------------------------- */

/* uv_server__writer_put's answer when the queue is full or stopping: nothing was queued. */
#define UV_SERVER_QUEUE_FULL 1

/* Starts the writer thread with its own store handle and a queue of `capacity` waiting
 * occurrences. */
int uv_server__writer_start(uv_server_writer **out, const char *store_dir, size_t capacity);
/* One occurrence for the writer. The caller fills `in`, `ack` and `done`; the writer fills
 * `rc` (0: durably stored, *ack filled) and `error`, then calls done(write) on its thread —
 * after which it never touches the write again, so `done` may free it. `in`, its strings and
 * `ack` must stay alive until then. */
typedef struct uv_server_write {
    const uv_occurrence_in *in;
    uv_occurrence_ack *ack;
    int rc;
    uv_error error;
    void (*done)(struct uv_server_write *write);
    void *cls; /* the caller's */
} uv_server_write;
/* Queues a write without waiting: 0, or UV_SERVER_QUEUE_FULL (queue full or stopping; `done`
 * is then never called). */
int uv_server__writer_submit(uv_server_writer *w, uv_server_write *write);
/* A finished write's rc, with its error (if any) recorded for this thread. */
int uv_server__write_result(const uv_server_write *write);
/* Queues `in` and blocks until it is durably stored (0, *ack filled) or failed (negative code,
 * uv_error_last() set in this thread); UV_SERVER_QUEUE_FULL without waiting when full. `in`
 * and its strings must stay alive until it returns. */
int uv_server__writer_put(uv_server_writer *w, const uv_occurrence_in *in, uv_occurrence_ack *ack);
/* A request thread gives its CPU slot (`--threads`) up while it waits for a group commit and
 * takes one again after; no-ops outside a request. */
void uv_server__slot_yield(void);
void uv_server__slot_resume(void);
/* Refuses new puts, writes everything queued, joins the thread and frees. NULL ok. */
void uv_server__writer_stop(uv_server_writer *w);
/* The server's writer. */
uv_server_writer *uv_server__writer(uv_request *req);

/* ---- background reprocessing (reprocess.c) -------------------------------------------- */

/* A thread that re-symbolicates a version's unresolved occurrences after its source maps or
 * debug files arrive. Requests are deduplicated and bounded (REPROCESS_QUEUE); a request
 * when full is dropped with a log line (the occurrences stay flagged for the next upload). */
int uv_server__reprocess_start(uv_server_reprocess **out, const char *store_dir);
void uv_server__reprocess_request(uv_server_reprocess *r, int64_t project_id, const char *version);
/* Finishes the job in progress, drops queued ones, joins and frees. NULL ok. */
void uv_server__reprocess_stop(uv_server_reprocess *r);
uv_server_reprocess *uv_server__reprocessor(uv_request *req);

/* A multipart/form-data body with at least one part; else replies 400 (empty) or 415 (another
 * content type) and returns false. */
bool uv_server__require_multipart(uv_request *req);

/* uv_server__auth for a multipart request: the token may also be its `access_token` field (a
 * plain field, not a file part). */
bool uv_server__form_auth(uv_request *req, unsigned any_of, int64_t *project_id);

/* The part named `name` (first one), or NULL. */
const uv_form_part *uv_server__form_part(uv_request *req, const char *name);

/* Whether a platform name is a client platform (browser, android, ios, flutter,
 * react-native), which post_client_item tokens may post. */
bool uv_server__client_platform(const char *platform);

/* ---- API families --------------------------------------------------------------------- */

void uv_server__rollbar_item(uv_request *req);
void uv_server__raygun_entries(uv_request *req, bool bulk);
void uv_server__read_items(uv_request *req);
void uv_server__read_item(uv_request *req);
void uv_server__write_item(uv_request *req);
void uv_server__read_occurrences(uv_request *req);
void uv_server__read_occurrence(uv_request *req);
void uv_server__read_versions(uv_request *req);
void uv_server__deploy_create(uv_request *req);
void uv_server__deploy_list(uv_request *req);
void uv_server__deploy_get(uv_request *req);
void uv_server__deploy_patch(uv_request *req);
void uv_server__upload_sourcemap(uv_request *req);
void uv_server__upload_symbols(uv_request *req);
void uv_server__minidump(uv_request *req);

/* ---- metrics (metrics.c) -------------------------------------------------------------- */

void uv_server__metrics_reset(void);
void uv_server__metrics_request(uv_route route, unsigned status, double seconds);
void uv_server__metrics_occurrence(size_t frames_resolved, size_t frames_unresolved);
void uv_server__metrics_render(uv_request *req, const char *store_dir);

#endif
