/* The HTTP daemon (libmicrohttpd): request bodies with a ceiling, routing, token auth with
 * Rollbar's scopes and a per-token rate limit, JSON replies and errors, pooled store handles,
 * graceful drain on stop.
 *
 * Threads: `--threads` event threads (MHD's pool, epoll) read and answer every connection.
 * The ingest routes run on them: a request is parsed, scrubbed and symbolicated there, then its
 * connection is suspended while its write waits for the group commit (writer.c), and the
 * writer resumes it — no thread waits per request, and one wake-up answers a whole group.
 * Every other route (uploads, reads, deploys, bulk posts, metrics), which may block on the
 * store or take long, runs on a worker thread (started on demand, at most WORKERS_MAX) while
 * its connection is suspended. */
#include "server/server_internal.h"

#include "formats/error.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_LISTEN "127.0.0.1:8080"
#define DEFAULT_MAX_BODY ((size_t)8 << 20)
#define DEFAULT_RATE_LIMIT 5000u
/* Tokens tracked per one-minute window; past this many distinct tokens in one minute new
 * ones are not limited (the table must not grow with hostile input). */
#define RATE_SLOTS 4096
/* How long a stop waits for in-flight requests before closing their connections. */
#define DRAIN_SECONDS 10
/* A client that sends nothing for this long is disconnected. */
#define CONNECTION_TIMEOUT 30
/* MHD zeroes a connection's memory pool for every request: request lines and headers need a
 * few KB (bodies go to our own buffer), so a smaller pool than its 32 KiB default is cheaper. */
#define CONNECTION_MEMORY (16 * 1024)
/* TLS files are small PEM texts. */
#define TLS_FILE_MAX (1u << 20)
/* Occurrences waiting for the writer: 4 × its group size per worker thread is room for every
 * request of a busy pool; past it requests get 503 and Retry-After instead of a growing queue. */
#define INGEST_QUEUE_PER_THREAD 256
/* Connections served at once; more wait in the listen backlog. */
#define DEFAULT_MAX_CONNECTIONS 512u
#define RETRY_AFTER_SECONDS 1
/* Worker threads for the routes that may block; more such requests wait in a queue (bounded by
 * the connection limit: one request per connection). */
#define WORKERS_MAX 32
/* Parts of one multipart upload: a source map and the originals it names, or a set of debug
 * files; more than this is not a build's upload. */
#define FORM_PARTS_MAX 4096
/* libmicrohttpd's post processor buffer (holds one part header line at a time). */
#define POST_BUFFER 65536
/* A body declared too big is still read (and thrown away) before the 413 when it is at most
 * this many times the limit and at most DRAIN_MAX_BYTES: answering while the client is still
 * sending makes the connection close under it, and the client sees a send error, not the 413.
 * Larger ones are answered at once and the connection closed: reading them costs too much. */
#define DRAIN_FACTOR 4u
#define DRAIN_MAX_BYTES ((unsigned long long)64 << 20)

/* A store handle with what it caches across requests (cache.c). */
typedef struct {
    uv_store *store;
    uv_server_cache *cache;
} pooled_handle;

typedef struct {
    char key[UV_HASH_HEX]; /* SHA-256 of the token: tokens are never kept in clear */
    int64_t window;        /* minute number */
    unsigned count;
} rate_slot;

struct uv_server_state {
    const uv_server_options *options;
    size_t max_body;
    unsigned rate_limit;
    pthread_mutex_t lock; /* stores and rate table */
    /* Store handles: each request checks one out on first use and returns it when it
     * completes, so there are never more handles than requests in flight at a peak. */
    pooled_handle *stores; /* every handle opened */
    size_t store_count, store_cap;
    pooled_handle *idle; /* handles not checked out (capacity store_cap) */
    size_t idle_count;
    rate_slot *rate;
    atomic_long in_flight;
    /* `--threads` slots: how many worker threads do CPU work at once (a blocking ingest
     * waiting for its group commit gives its slot up meanwhile). */
    sem_t slots;
    /* The worker threads and their queue of requests (linked by work_next). */
    pthread_mutex_t work_lock;
    pthread_cond_t work_wake;
    uv_request *work_head, *work_tail;
    size_t work_queued, workers_idle, worker_count;
    bool work_stopping;
    pthread_t workers[WORKERS_MAX];
    uv_server_writer *writer;
    uv_server_reprocess *reprocess;
};

static _Thread_local sem_t *slot_held; /* the slot this thread runs in, NULL outside */

void uv_server__slot_yield(void)
{
    if (slot_held) sem_post(slot_held);
}

void uv_server__slot_resume(void)
{
    if (slot_held)
        while (sem_wait(slot_held) != 0) {
        } /* EINTR only */
}

uv_server_writer *uv_server__writer(uv_request *req)
{
    return req->server->writer;
}

uv_server_reprocess *uv_server__reprocessor(uv_request *req)
{
    return req->server->reprocess;
}

/* ---- replies ---------------------------------------------------------------------------- */

static void set_reply(uv_request *req, unsigned status, char *body, size_t len)
{
    free(req->reply);
    req->status = status;
    req->reply = body;
    req->reply_len = len;
    req->replied = true;
}

void uv_server__reply_json(uv_request *req, unsigned status, json_t *json)
{
    char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;
    json_decref(json);
    if (!text) {
        static const char oom[] = "{\"err\":1,\"message\":\"out of memory\"}";
        text = strdup(oom);
        status = 500;
        if (!text) {
            set_reply(req, 500, NULL, 0);
            return;
        }
    }
    set_reply(req, status, text, strlen(text));
}

void uv_server__reply_error(uv_request *req, unsigned status, const char *fmt, ...)
{
    char message[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    uv_server__reply_json(req, status, json_pack("{s:i,s:s}", "err", 1, "message", message));
}

void uv_server__reply_empty(uv_request *req, unsigned status)
{
    set_reply(req, status, NULL, 0);
}

void uv_server__reply_text(uv_request *req, unsigned status, char *text, size_t len)
{
    set_reply(req, status, text, len);
}

void uv_server__reply_busy(uv_request *req)
{
    req->retry_after = RETRY_AFTER_SECONDS;
    uv_server__reply_error(req, 503, "the ingest queue is full; retry after %u s",
                           RETRY_AFTER_SECONDS);
}

void uv_server__reply_result(uv_request *req, json_t *result)
{
    uv_server__reply_json(req, 200, json_pack("{s:i,s:o}", "err", 0, "result", result));
}

void uv_server__reply_failure(uv_request *req, int code, const char *what)
{
    const uv_error *e = uv_error_last();
    const char *message = e->code == code && e->message[0] ? e->message : uv_strerror(code);
    switch (code) {
    case UV_ENOTFOUND:
        uv_server__reply_error(req, 404, "%s: %s", what, message);
        break;
    case UV_EINVALID:
    case UV_ETOOBIG:
    case UV_ECORRUPT:
        uv_server__reply_error(req, 422, "%s: %s", what, message);
        break;
    case UV_EEXISTS:
        uv_server__reply_error(req, 409, "%s: %s", what, message);
        break;
    default:
        fprintf(stderr, "unravel serve: %s %s: %s: %s\n", req->method, req->path, what, message);
        uv_server__reply_error(req, 500, "%s: internal error", what);
        break;
    }
}

/* ---- the store of this thread ----------------------------------------------------------- */

uv_store *uv_server__store(uv_request *req)
{
    uv_server_state *server = req->server;
    if (req->store) return req->store;
    pooled_handle h = {NULL, NULL};
    pthread_mutex_lock(&server->lock);
    if (server->idle_count > 0) h = server->idle[--server->idle_count];
    pthread_mutex_unlock(&server->lock);
    int rc = 0;
    if (!h.store) {
        rc = uv_store_open(&h.store, server->options->store_dir, UV_STORE_CREATE);
        if (rc == 0 && !(h.cache = uv_server__cache_new()))
            rc = uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
        if (rc == 0) {
            pthread_mutex_lock(&server->lock);
            size_t cap = server->store_cap;
            pooled_handle *grown = uv_array_grow(server->stores, &server->store_cap,
                                                 server->store_count, sizeof *server->stores, 8);
            if (grown) server->stores = grown;
            if (grown && server->store_cap != cap) { /* idle keeps the same capacity */
                pooled_handle *idle = realloc(server->idle, server->store_cap * sizeof *idle);
                if (idle)
                    server->idle = idle;
                else
                    grown = NULL;
            }
            if (grown) server->stores[server->store_count++] = h;
            pthread_mutex_unlock(&server->lock);
            if (!grown) rc = uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
        }
        if (rc != 0) {
            uv_server__cache_free(h.cache);
            uv_store_close(h.store);
        }
    }
    if (rc != 0) {
        fprintf(stderr, "unravel serve: store: %s\n", uv_error_last()->message);
        uv_server__reply_error(req, 503, "the store is unavailable");
        return NULL;
    }
    req->store = h.store;
    req->cache = h.cache;
    return h.store;
}

/* Gives the request's store handle back to the pool. */
static void release_store(uv_request *req)
{
    if (!req->store) return;
    uv_server_state *server = req->server;
    pthread_mutex_lock(&server->lock);
    server->idle[server->idle_count++] = (pooled_handle){req->store, req->cache};
    pthread_mutex_unlock(&server->lock);
    req->store = NULL;
    req->cache = NULL;
}

/* ---- request helpers -------------------------------------------------------------------- */

const char *uv_server__query(uv_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

bool uv_server__page(uv_request *req, size_t *page)
{
    *page = 1;
    const char *text = uv_server__query(req, "page");
    if (!text) return true;
    char *end = NULL;
    errno = 0;
    unsigned long value = strtoul(text, &end, 10);
    if (!*text || *end || errno || value < 1 || value > 1000000 || text[0] == '-') {
        uv_server__reply_error(req, 400, "page: expected a number from 1 to 1000000");
        return false;
    }
    *page = value;
    return true;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes application/x-www-form-urlencoded text (in place safe: out ≤ in). */
static size_t form_decode(const char *in, size_t len, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == '+') {
            out[n++] = ' ';
        } else if (in[i] == '%' && i + 2 < len + 0 && hex_value(in[i + 1]) >= 0 &&
                   hex_value(in[i + 2]) >= 0) {
            out[n++] = (char)(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
            i += 2;
        } else {
            out[n++] = in[i];
        }
    }
    return n;
}

/* The value of field `name` of a form body: a malloc'd copy, or NULL when absent. */
static char *form_field(const char *body, size_t len, const char *name, size_t *out_len)
{
    size_t name_len = strlen(name);
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        const char *eq = memchr(body + i, '=', end - i);
        size_t key_end = eq ? (size_t)(eq - body) : end;
        char key[64];
        if (key_end - i < sizeof key) {
            size_t key_len = form_decode(body + i, key_end - i, key);
            if (key_len == name_len && memcmp(key, name, name_len) == 0) {
                size_t value_start = eq ? key_end + 1 : end;
                char *value = malloc(end - value_start + 1);
                if (!value) return NULL;
                *out_len = form_decode(body + value_start, end - value_start, value);
                value[*out_len] = '\0';
                return value;
            }
        }
        i = end + 1;
    }
    return NULL;
}

/* The JSON text of the body: the body itself, or the decoded form field `field` of a form
 * body (then *decoded holds it, to free). NULL after replying 400. */
static const char *body_text(uv_request *req, const char *field, size_t *out_len, char **decoded)
{
    const char *type =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    const char *text = (const char *)req->body.data;
    size_t len = req->body.len;
    *decoded = NULL;
    /* A form body (rollbar.js's fallback) — unless it is JSON text sent with curl's default
     * form content type. */
    size_t first = 0;
    while (text && first < len && strchr(" \t\r\n", text[first]))
        first++;
    bool looks_json = text && first < len && (text[first] == '{' || text[first] == '[');
    if (field && type && !looks_json &&
        strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0) {
        *decoded = form_field(text ? text : "", len, field, &len);
        if (!*decoded) {
            uv_server__reply_error(req, 400, "form body: no '%s' field", field);
            return NULL;
        }
        text = *decoded;
    }
    if (!text || len == 0) {
        free(*decoded);
        *decoded = NULL;
        uv_server__reply_error(req, 400, "empty body: expected a JSON object");
        return NULL;
    }
    *out_len = len;
    return text;
}

json_t *uv_server__body_json(uv_request *req, const char *field)
{
    char *decoded;
    size_t len;
    const char *text = body_text(req, field, &len, &decoded);
    if (!text) return NULL;
    json_error_t error;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &error);
    free(decoded);
    if (!root) {
        uv_server__reply_error(req, 400, "invalid JSON at line %d, column %d: %s", error.line,
                               error.column, error.text);
        return NULL;
    }
    return root;
}

uv_jv_doc *uv_server__body_jv(uv_request *req, const char *field)
{
    char *decoded;
    size_t len;
    const char *text = body_text(req, field, &len, &decoded);
    if (!text) return NULL;
    if (decoded) { /* the tree's spans point into its text: keep it with the request */
        free(req->body_text);
        req->body_text = decoded;
    }
    uv_jv_doc *doc = NULL;
    uv_jv_error error;
    int rc = uv_jv_parse(&doc, text, len, NULL, &error);
    if (rc == UV_ENOMEM) {
        uv_server__reply_failure(req, rc, "parsing the body");
        return NULL;
    }
    if (rc != 0) {
        uv_server__reply_error(req, 400, "invalid JSON at line %d, column %d: %s", error.line,
                               error.column, error.text);
        return NULL;
    }
    return doc;
}

/* ---- auth and rate limit ---------------------------------------------------------------- */

static const char *request_token(uv_request *req, const char *body_token)
{
    const char *token =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Rollbar-Access-Token");
    if (!token) token = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-ApiKey");
    if (!token) token = uv_server__query(req, "access_token");
    if (!token) token = uv_server__query(req, "apikey");
    if (!token) token = body_token;
    return token;
}

/* Counts one request of the token; false when over the limit. */
static bool rate_take(uv_request *req, const char *token)
{
    uv_server_state *server = req->server;
    char key[UV_HASH_HEX];
    uv_sha256_hex(token, strlen(token), key);
    int64_t now = (int64_t)time(NULL);
    int64_t window = now / 60;
    req->has_rate = true;
    req->rate_limit = server->rate_limit;
    req->rate_reset = (window + 1) * 60;
    unsigned start = (unsigned)strtoul((char[9]){key[0], key[1], key[2], key[3], key[4], key[5],
                                                 key[6], key[7], 0},
                                       NULL, 16) %
                     RATE_SLOTS;
    bool allowed = true;
    pthread_mutex_lock(&server->lock);
    rate_slot *slot = NULL;
    for (unsigned probe = 0; probe < RATE_SLOTS; probe++) {
        rate_slot *s = &server->rate[(start + probe) % RATE_SLOTS];
        if (s->window == window && strcmp(s->key, key) == 0) {
            slot = s;
            break;
        }
        if (s->window != window) { /* empty or stale: take it */
            memcpy(s->key, key, sizeof key);
            s->window = window;
            s->count = 0;
            slot = s;
            break;
        }
    }
    if (slot) {
        if (slot->count >= server->rate_limit)
            allowed = false;
        else
            slot->count++;
        req->rate_remaining = server->rate_limit - slot->count;
    } else {
        req->rate_remaining = server->rate_limit;
    }
    pthread_mutex_unlock(&server->lock);
    return allowed;
}

bool uv_server__auth(uv_request *req, const char *body_token, unsigned any_of, int64_t *project_id,
                     unsigned *scopes)
{
    const char *token = request_token(req, body_token);
    if (!token || !*token) {
        uv_server__reply_error(req, 403,
                               "missing access token (X-Rollbar-Access-Token header, "
                               "access_token, X-ApiKey or ?apikey=)");
        return false;
    }
    if (strlen(token) >= 128) {
        uv_server__reply_error(req, 403, "invalid access token");
        return false;
    }
    uv_store *store = uv_server__store(req);
    if (!store) return false;
    int rc = 0;
    if (!req->cache || !uv_server__cache_token_get(req->cache, token, project_id, scopes)) {
        rc = uv_store_token_check(store, token, project_id, scopes);
        if (rc == 0 && req->cache)
            uv_server__cache_token_put(req->cache, token, *project_id, *scopes);
    }
    if (rc == UV_ENOTFOUND) {
        uv_server__reply_error(req, 403, "invalid access token");
        return false;
    }
    if (rc != 0) {
        uv_server__reply_failure(req, rc, "access token");
        return false;
    }
    if (!(*scopes & any_of)) {
        char need[64];
        uv_scope_format(any_of, need, sizeof need);
        uv_server__reply_error(req, 403,
                               "insufficient privileges: this needs a token with scope %s", need);
        return false;
    }
    if (!rate_take(req, token)) {
        uv_server__reply_error(req, 429, "rate limit exceeded: %u requests a minute per token",
                               req->server->rate_limit);
        return false;
    }
    return true;
}

/* ---- routing ---------------------------------------------------------------------------- */

static const char *const route_names[UV_ROUTE_COUNT] = {
    [UV_ROUTE_UNKNOWN] = "unknown",
    [UV_ROUTE_HEALTH] = "/health",
    [UV_ROUTE_METRICS] = "/metrics",
    [UV_ROUTE_PREFLIGHT] = "preflight",
    [UV_ROUTE_ITEM_POST] = "/api/1/item/",
    [UV_ROUTE_ENTRIES] = "/entries",
    [UV_ROUTE_ENTRIES_BULK] = "/entries/bulk",
    [UV_ROUTE_ITEMS] = "/api/1/items",
    [UV_ROUTE_ITEM_GET] = "/api/1/item/:id",
    [UV_ROUTE_ITEM_PATCH] = "/api/1/item/:id (PATCH)",
    [UV_ROUTE_ITEM_OCCURRENCES] = "/api/1/item/:id/occurrences",
    [UV_ROUTE_OCCURRENCE] = "/api/1/occurrence/:id",
    [UV_ROUTE_VERSIONS] = "/api/1/versions",
    [UV_ROUTE_DEPLOY_POST] = "/api/1/deploy",
    [UV_ROUTE_DEPLOYS] = "/api/1/deploys",
    [UV_ROUTE_DEPLOY_GET] = "/api/1/deploy/:id",
    [UV_ROUTE_DEPLOY_PATCH] = "/api/1/deploy/:id (PATCH)",
    [UV_ROUTE_SOURCEMAP] = "/api/1/sourcemap",
    [UV_ROUTE_SYMBOLS] = "/api/1/symbols",
    [UV_ROUTE_MINIDUMP] = "/api/1/minidump",
};

const char *uv_server__route_name(uv_route route)
{
    return route < UV_ROUTE_COUNT ? route_names[route] : "unknown";
}

/* Parses a positive decimal id ending the path or followed by `rest`; 0 when not one. */
static int64_t path_id(const char *text, const char *rest)
{
    int64_t value = 0;
    size_t i = 0;
    for (; text[i] >= '0' && text[i] <= '9'; i++) {
        if (i >= 18) return 0;
        value = value * 10 + (text[i] - '0');
    }
    if (i == 0 || value == 0) return 0;
    return strcmp(text + i, rest) == 0 ? value : 0;
}

typedef struct {
    const char *method;
    uv_route route;
} method_route;

/* Finds the routes of `path`: up to 4 (method, route) pairs; returns how many. */
static size_t match_path(const char *path, method_route out[4], int64_t *id)
{
    *id = 0;
    if (strcmp(path, "/health") == 0) {
        out[0] = (method_route){"GET", UV_ROUTE_HEALTH};
        return 1;
    }
    if (strcmp(path, "/metrics") == 0) {
        out[0] = (method_route){"GET", UV_ROUTE_METRICS};
        return 1;
    }
    if (strcmp(path, "/api/1/item/") == 0 || strcmp(path, "/api/1/item") == 0) {
        out[0] = (method_route){"POST", UV_ROUTE_ITEM_POST};
        out[1] = (method_route){"OPTIONS", UV_ROUTE_PREFLIGHT};
        return 2;
    }
    if (strcmp(path, "/entries") == 0) {
        out[0] = (method_route){"POST", UV_ROUTE_ENTRIES};
        out[1] = (method_route){"OPTIONS", UV_ROUTE_PREFLIGHT};
        return 2;
    }
    if (strcmp(path, "/entries/bulk") == 0) {
        out[0] = (method_route){"POST", UV_ROUTE_ENTRIES_BULK};
        out[1] = (method_route){"OPTIONS", UV_ROUTE_PREFLIGHT};
        return 2;
    }
    if (strcmp(path, "/api/1/items") == 0 || strcmp(path, "/api/1/items/") == 0) {
        out[0] = (method_route){"GET", UV_ROUTE_ITEMS};
        return 1;
    }
    if (strcmp(path, "/api/1/versions") == 0) {
        out[0] = (method_route){"GET", UV_ROUTE_VERSIONS};
        return 1;
    }
    if (strcmp(path, "/api/1/deploy") == 0 || strcmp(path, "/api/1/deploy/") == 0) {
        out[0] = (method_route){"POST", UV_ROUTE_DEPLOY_POST};
        return 1;
    }
    if (strcmp(path, "/api/1/sourcemap") == 0 || strcmp(path, "/api/1/sourcemap/") == 0) {
        out[0] = (method_route){"POST", UV_ROUTE_SOURCEMAP};
        return 1;
    }
    if (strcmp(path, "/api/1/symbols") == 0 || strcmp(path, "/api/1/symbols/") == 0) {
        out[0] = (method_route){"POST", UV_ROUTE_SYMBOLS};
        return 1;
    }
    if (strcmp(path, "/api/1/minidump") == 0 || strcmp(path, "/api/1/minidump/") == 0) {
        out[0] = (method_route){"POST", UV_ROUTE_MINIDUMP};
        return 1;
    }
    if (strcmp(path, "/api/1/deploys") == 0) {
        out[0] = (method_route){"GET", UV_ROUTE_DEPLOYS};
        return 1;
    }
    static const char item[] = "/api/1/item/", occurrence[] = "/api/1/occurrence/",
                      deploy[] = "/api/1/deploy/";
    if (strncmp(path, item, sizeof item - 1) == 0) {
        const char *rest = path + sizeof item - 1;
        if ((*id = path_id(rest, "")) != 0) {
            out[0] = (method_route){"GET", UV_ROUTE_ITEM_GET};
            out[1] = (method_route){"PATCH", UV_ROUTE_ITEM_PATCH};
            return 2;
        }
        if ((*id = path_id(rest, "/occurrences")) != 0) {
            out[0] = (method_route){"GET", UV_ROUTE_ITEM_OCCURRENCES};
            return 1;
        }
        return 0;
    }
    if (strncmp(path, occurrence, sizeof occurrence - 1) == 0) {
        if ((*id = path_id(path + sizeof occurrence - 1, "")) != 0) {
            out[0] = (method_route){"GET", UV_ROUTE_OCCURRENCE};
            return 1;
        }
        return 0;
    }
    if (strncmp(path, deploy, sizeof deploy - 1) == 0) {
        if ((*id = path_id(path + sizeof deploy - 1, "")) != 0) {
            out[0] = (method_route){"GET", UV_ROUTE_DEPLOY_GET};
            out[1] = (method_route){"PATCH", UV_ROUTE_DEPLOY_PATCH};
            return 2;
        }
        return 0;
    }
    return 0;
}

/* Sets req->route (and id); false after replying 404 or 405. */
static bool route_request(uv_request *req)
{
    method_route routes[4];
    size_t count = match_path(req->path, routes, &req->id);
    if (count == 0) {
        uv_server__reply_error(req, 404, "no such endpoint: %s", req->path);
        return false;
    }
    for (size_t i = 0; i < count; i++)
        if (strcmp(routes[i].method, req->method) == 0) req->route = routes[i].route;
    if (req->route == UV_ROUTE_UNKNOWN) {
        uv_server__reply_error(req, 405, "method %s not allowed on %s", req->method, req->path);
        return false;
    }
    return true;
}

/* The routes answered on the event threads: quick ones, and single-occurrence ingest, which
 * suspends its connection while it waits for the disk. */
static bool runs_on_event_thread(uv_route route)
{
    return route == UV_ROUTE_HEALTH || route == UV_ROUTE_PREFLIGHT || route == UV_ROUTE_ITEM_POST ||
           route == UV_ROUTE_ENTRIES;
}

/* Runs the handler of req->route: it replies, or (ingest on an event thread) suspends. */
static void dispatch(uv_request *req)
{
    switch (req->route) {
    case UV_ROUTE_HEALTH:
        uv_server__reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
        break;
    case UV_ROUTE_METRICS:
        uv_server__metrics_render(req, req->server->options->store_dir);
        break;
    case UV_ROUTE_PREFLIGHT:
        req->cors = true;
        uv_server__reply_empty(req, 204);
        break;
    case UV_ROUTE_ITEM_POST:
        req->cors = true;
        uv_server__rollbar_item(req);
        break;
    case UV_ROUTE_ENTRIES:
    case UV_ROUTE_ENTRIES_BULK:
        req->cors = true;
        uv_server__raygun_entries(req, req->route == UV_ROUTE_ENTRIES_BULK);
        break;
    case UV_ROUTE_ITEMS:
        uv_server__read_items(req);
        break;
    case UV_ROUTE_ITEM_GET:
        uv_server__read_item(req);
        break;
    case UV_ROUTE_ITEM_PATCH:
        uv_server__write_item(req);
        break;
    case UV_ROUTE_ITEM_OCCURRENCES:
        uv_server__read_occurrences(req);
        break;
    case UV_ROUTE_OCCURRENCE:
        uv_server__read_occurrence(req);
        break;
    case UV_ROUTE_VERSIONS:
        uv_server__read_versions(req);
        break;
    case UV_ROUTE_DEPLOY_POST:
        uv_server__deploy_create(req);
        break;
    case UV_ROUTE_DEPLOYS:
        uv_server__deploy_list(req);
        break;
    case UV_ROUTE_DEPLOY_GET:
        uv_server__deploy_get(req);
        break;
    case UV_ROUTE_DEPLOY_PATCH:
        uv_server__deploy_patch(req);
        break;
    case UV_ROUTE_SOURCEMAP:
        uv_server__upload_sourcemap(req);
        break;
    case UV_ROUTE_SYMBOLS:
        uv_server__upload_symbols(req);
        break;
    case UV_ROUTE_MINIDUMP:
        uv_server__minidump(req);
        break;
    default:
        uv_server__reply_error(req, 404, "no such endpoint: %s", req->path);
        break;
    }
    if (!req->replied && !req->suspended) uv_server__reply_error(req, 500, "no reply");
}

/* ---- suspended connections and worker threads -------------------------------------------- */

bool uv_server__suspend(uv_request *req)
{
    if (!req->on_event_thread) return false;
    MHD_suspend_connection(req->conn);
    req->suspended = true;
    release_store(req); /* the rest of the work needs no handle */
    return true;
}

void uv_server__resume(uv_request *req)
{
    MHD_resume_connection(req->conn);
}

/* A route that may block, run to its reply on this (worker) thread. */
static void run_blocking(uv_request *req)
{
    uv_server_state *server = req->server;
    while (sem_wait(&server->slots) != 0) {
    } /* EINTR only */
    slot_held = &server->slots;
    dispatch(req);
    slot_held = NULL;
    sem_post(&server->slots);
    release_store(req);
}

static void *worker_main(void *arg)
{
    uv_server_state *server = arg;
    pthread_mutex_lock(&server->work_lock);
    for (;;) {
        while (!server->work_head && !server->work_stopping) {
            server->workers_idle++;
            pthread_cond_wait(&server->work_wake, &server->work_lock);
            server->workers_idle--;
        }
        uv_request *req = server->work_head;
        if (!req) break; /* stopping and drained */
        server->work_head = req->work_next;
        if (!server->work_head) server->work_tail = NULL;
        server->work_queued--;
        pthread_mutex_unlock(&server->work_lock);
        run_blocking(req);
        uv_server__resume(req); /* the event thread sends the reply */
        pthread_mutex_lock(&server->work_lock);
    }
    pthread_mutex_unlock(&server->work_lock);
    return NULL;
}

/* Queues a suspended request for the workers, starting one when none is free; false when no
 * worker runs or can start (the caller runs it itself). */
static bool work_push(uv_server_state *server, uv_request *req)
{
    pthread_mutex_lock(&server->work_lock);
    if (server->work_stopping) {
        pthread_mutex_unlock(&server->work_lock);
        return false;
    }
    if (server->work_queued + 1 > server->workers_idle && server->worker_count < WORKERS_MAX &&
        pthread_create(&server->workers[server->worker_count], NULL, worker_main, server) == 0)
        server->worker_count++;
    if (server->worker_count == 0) {
        pthread_mutex_unlock(&server->work_lock);
        return false;
    }
    req->work_next = NULL;
    if (server->work_tail)
        server->work_tail->work_next = req;
    else
        server->work_head = req;
    server->work_tail = req;
    server->work_queued++;
    pthread_cond_signal(&server->work_wake);
    pthread_mutex_unlock(&server->work_lock);
    return true;
}

/* Lets the workers finish what is queued and joins them. */
static void workers_stop(uv_server_state *server)
{
    pthread_mutex_lock(&server->work_lock);
    server->work_stopping = true;
    pthread_cond_broadcast(&server->work_wake);
    size_t count = server->worker_count;
    pthread_mutex_unlock(&server->work_lock);
    for (size_t i = 0; i < count; i++)
        pthread_join(server->workers[i], NULL);
    server->worker_count = 0; /* a second stop joins nothing */
}

/* ---- MHD callbacks ---------------------------------------------------------------------- */

static enum MHD_Result queue_reply(uv_request *req)
{
    struct MHD_Response *response = MHD_create_response_from_buffer(
        req->reply_len, req->reply ? req->reply : (void *)"",
        req->reply ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!response) return MHD_NO;
    req->reply = NULL; /* owned by the response now */
    if (req->reply_len > 0) {
        const char *type = req->route == UV_ROUTE_METRICS && req->status == 200
                               ? "text/plain; version=0.0.4; charset=utf-8"
                               : "application/json";
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    }
    if (req->cors) {
        MHD_add_response_header(response, "Access-Control-Allow-Origin", "*");
        MHD_add_response_header(response, "Access-Control-Allow-Methods", "POST, OPTIONS");
        MHD_add_response_header(response, "Access-Control-Allow-Headers",
                                "Content-Type, X-Rollbar-Access-Token, X-ApiKey");
        MHD_add_response_header(response, "Access-Control-Max-Age", "86400");
    }
    if (req->has_rate) {
        char value[32];
        int64_t now = (int64_t)time(NULL);
        snprintf(value, sizeof value, "%u", req->rate_limit);
        MHD_add_response_header(response, "X-Rate-Limit-Limit", value);
        snprintf(value, sizeof value, "%u", req->rate_remaining);
        MHD_add_response_header(response, "X-Rate-Limit-Remaining", value);
        snprintf(value, sizeof value, "%lld",
                 (long long)(req->rate_reset > now ? req->rate_reset - now : 0));
        MHD_add_response_header(response, "X-Rate-Limit-Remaining-Seconds", value);
        snprintf(value, sizeof value, "%lld", (long long)req->rate_reset);
        MHD_add_response_header(response, "X-Rate-Limit-Reset", value);
    }
    if (req->retry_after) {
        char value[16];
        snprintf(value, sizeof value, "%u", req->retry_after);
        MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, value);
    }
    if (req->status == 405) {
        method_route routes[4];
        int64_t id;
        size_t count = match_path(req->path, routes, &id);
        char allow[64] = "";
        for (size_t i = 0; i < count; i++) {
            if (i) strcat(allow, ", ");
            strcat(allow, routes[i].method);
        }
        MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, allow);
    }
    enum MHD_Result rc = MHD_queue_response(req->conn, req->status, response);
    MHD_destroy_response(response);
    return rc;
}

/* ---- multipart/form-data ---------------------------------------------------------------- */

const uv_form_part *uv_server__form_part(uv_request *req, const char *name)
{
    for (size_t i = 0; i < req->part_count; i++)
        if (strcmp(req->parts[i].name, name) == 0) return &req->parts[i];
    return NULL;
}

/* libmicrohttpd calls this for each piece of each part: `off` is the offset of `data` within
 * the part, 0 for its first piece. Parts and their total are capped by the max body. */
static enum MHD_Result on_form_data(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *filename, const char *content_type,
                                    const char *transfer_encoding, const char *data, uint64_t off,
                                    size_t size)
{
    (void)kind;
    (void)content_type;
    (void)transfer_encoding;
    uv_request *req = cls;
    if (!key) key = "";
    uv_form_part *part = req->part_count ? &req->parts[req->part_count - 1] : NULL;
    bool same_name = part && strcmp(part->name, key) == 0 &&
                     (part->filename == NULL) == (filename == NULL) &&
                     (!filename || strcmp(part->filename, filename) == 0);
    if (!part || (off == 0 && !(same_name && part->data.len == 0)) || !same_name) {
        if (req->part_count >= FORM_PARTS_MAX) {
            req->form_bad = true;
            return MHD_NO;
        }
        uv_form_part *grown =
            uv_array_grow(req->parts, &req->part_cap, req->part_count, sizeof *req->parts, 8);
        if (!grown) {
            req->too_big = true;
            return MHD_NO;
        }
        req->parts = grown;
        part = &req->parts[req->part_count];
        memset(part, 0, sizeof *part);
        part->data = UV_BUF_INIT;
        part->data.limit = req->server->max_body + 1; /* + the NUL */
        part->name = strdup(key);
        part->filename = filename ? strdup(filename) : NULL;
        req->part_count++;
        if (!part->name || (filename && !part->filename)) {
            req->too_big = true;
            return MHD_NO;
        }
    }
    if (size > req->server->max_body - req->parts_bytes ||
        req->parts_bytes > req->server->max_body) {
        req->too_big = true;
        return MHD_NO;
    }
    req->parts_bytes += size;
    if (size && uv_buf_append(&part->data, data, size) != 0) {
        req->too_big = true;
        return MHD_NO;
    }
    return MHD_YES;
}

static bool is_upload_route(const char *method, const char *url)
{
    method_route routes[4];
    int64_t id;
    size_t count = match_path(url, routes, &id);
    return count == 1 && strcmp(method, "POST") == 0 &&
           (routes[0].route == UV_ROUTE_SOURCEMAP || routes[0].route == UV_ROUTE_SYMBOLS ||
            routes[0].route == UV_ROUTE_MINIDUMP);
}

static void free_form(uv_request *req)
{
    if (req->post) MHD_destroy_post_processor(req->post);
    req->post = NULL;
    for (size_t i = 0; i < req->part_count; i++) {
        free(req->parts[i].name);
        free(req->parts[i].filename);
        uv_buf_free(&req->parts[i].data);
    }
    free(req->parts);
    req->parts = NULL;
    req->part_count = req->part_cap = 0;
}

/* Each part's bytes get a NUL after them so fields read as strings. */
static bool terminate_parts(uv_request *req)
{
    for (size_t i = 0; i < req->part_count; i++) {
        uv_buf *b = &req->parts[i].data;
        if (uv_buf_append(b, "", 1) != 0) return false;
        b->len--;
    }
    return true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    uv_server_state *server = cls;
    uv_request *req = *con_cls;
    if (!req) {
        req = calloc(1, sizeof *req);
        if (!req) return MHD_NO;
        req->server = server;
        req->conn = conn;
        req->method = method;
        req->path = url;
        req->body = UV_BUF_INIT;
        req->body.limit = server->max_body;
        clock_gettime(CLOCK_MONOTONIC, &req->started);
        atomic_fetch_add(&server->in_flight, 1);
        *con_cls = req;
        const char *type =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (type && strncasecmp(type, "multipart/form-data", 19) == 0 &&
            is_upload_route(method, url)) {
            req->post = MHD_create_post_processor(conn, POST_BUFFER, on_form_data, req);
            if (!req->post) {
                uv_server__reply_error(req, 400,
                                       "multipart/form-data: missing or invalid boundary");
                return queue_reply(req);
            }
        }
        const char *length =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length) {
            char *end = NULL;
            errno = 0;
            unsigned long long declared = strtoull(length, &end, 10);
            unsigned long long drain = (unsigned long long)server->max_body * DRAIN_FACTOR;
            if (drain > DRAIN_MAX_BYTES) drain = DRAIN_MAX_BYTES;
            if (errno || end == length || declared > drain) {
                uv_server__reply_error(req, 413, "request body larger than %zu bytes",
                                       server->max_body);
                return queue_reply(req);
            }
            if (declared > server->max_body) req->too_big = true; /* read, discard, then 413 */
        }
        return MHD_YES;
    }
    if (req->suspended) { /* resumed: a worker or the writer has finished it */
        req->suspended = false;
        if (req->ingest) uv_server__ingest_finish(req);
        if (!req->replied) uv_server__reply_error(req, 500, "no reply");
        return queue_reply(req);
    }
    if (req->replied) { /* answered up front (413): discard whatever still arrives */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0 && req->post) {
        if (!req->too_big && !req->form_bad &&
            MHD_post_process(req->post, upload_data, *upload_data_size) != MHD_YES && !req->too_big)
            req->form_bad = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!req->too_big && uv_buf_append(&req->body, upload_data, *upload_data_size) != 0) {
            req->too_big = true;
            uv_buf_free(&req->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->post) {
        /* MHD_NO: the body ended inside a part or had stray bytes after the last boundary. */
        if (MHD_destroy_post_processor(req->post) != MHD_YES && !req->too_big) req->form_bad = true;
        req->post = NULL;
        if (!req->too_big && !terminate_parts(req)) req->too_big = true;
    }
    if (req->too_big)
        uv_server__reply_error(req, 413, "request body larger than %zu bytes", server->max_body);
    else if (req->form_bad)
        uv_server__reply_error(req, 400, "malformed multipart/form-data body (at most %d parts)",
                               FORM_PARTS_MAX);
    else if (route_request(req)) {
        if (runs_on_event_thread(req->route)) {
            req->on_event_thread = true;
            dispatch(req);
            req->on_event_thread = false;
            if (req->suspended) return MHD_YES; /* answered when the writer resumes it */
        } else {
            /* Suspended before it is queued, so no worker can resume it first. */
            MHD_suspend_connection(conn);
            req->suspended = true;
            if (!work_push(server, req)) {
                run_blocking(req);
                uv_server__resume(req);
            }
            return MHD_YES;
        }
    }
    return queue_reply(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    (void)conn;
    (void)code;
    uv_server_state *server = cls;
    uv_request *req = *con_cls;
    if (!req) return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double seconds = (double)(now.tv_sec - req->started.tv_sec) +
                     (double)(now.tv_nsec - req->started.tv_nsec) / 1e9;
    if (req->replied) uv_server__metrics_request(req->route, req->status, seconds);
    release_store(req);
    uv_server__ingest_free(req->ingest);
    uv_buf_free(&req->body);
    free(req->body_text);
    free_form(req);
    free(req->reply);
    free(req);
    *con_cls = NULL;
    atomic_fetch_sub(&server->in_flight, 1);
}

/* ---- start and stop --------------------------------------------------------------------- */

static int parse_listen(const char *listen, struct sockaddr_storage *addr, bool *ipv6)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "--listen '%s': expected HOST:PORT",
                            listen);
    char host[128];
    size_t host_len = (size_t)(colon - listen);
    if (listen[0] == '[' && host_len >= 2 && listen[host_len - 1] == ']') {
        listen++;
        host_len -= 2;
    }
    if (host_len >= sizeof host)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "--listen: host too long");
    memcpy(host, listen, host_len);
    host[host_len] = '\0';
    char *end = NULL;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || port > 65535)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "--listen '%s': invalid port", colon + 1);
    memset(addr, 0, sizeof *addr);
    struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
    if (strcmp(host, "localhost") == 0) strcpy(host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *ipv6 = false;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *ipv6 = true;
        return 0;
    }
    return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                        "--listen '%s': host must be an IPv4 or IPv6 address", host);
}

static int read_small_file(const char *path, char **out)
{
    uv_mapped m = {0};
    int rc = uv_file_map(path, TLS_FILE_MAX, &m);
    if (rc != 0) return rc;
    char *text = malloc(m.len + 1);
    if (!text) {
        uv_mapped_release(&m);
        return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    }
    if (m.len) memcpy(text, m.data, m.len);
    text[m.len] = '\0';
    uv_mapped_release(&m);
    *out = text;
    return 0;
}

static int write_ready_file(const char *path, const char *host, unsigned port, bool ipv6)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "--ready-file: path too long");
    FILE *f = fopen(tmp, "w");
    if (!f) return uv_error_set(UV_EIO, UV_LIB_OS, errno, "%s: %s", tmp, strerror(errno));
    if (ipv6)
        fprintf(f, "[%s]:%u\n", host, port);
    else
        fprintf(f, "%s:%u\n", host, port);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        int err = errno;
        unlink(tmp);
        return uv_error_set(UV_EIO, UV_LIB_OS, err, "%s: %s", path, strerror(err));
    }
    return 0;
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    fputs("unravel serve: httpd: ", stderr);
    vfprintf(stderr, fmt, ap);
}

int uv_server_run(const uv_server_options *options, volatile sig_atomic_t *stop)
{
    uv_server_options opt = *options;
    if (!opt.listen || !*opt.listen) opt.listen = DEFAULT_LISTEN;
    if (!opt.store_dir || !*opt.store_dir) opt.store_dir = UV_STORE_DEFAULT_DIR;
    if (opt.threads == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        opt.threads = cpus > 0 && cpus <= 256 ? (unsigned)cpus : 2;
    }
    if (opt.max_connections > 65536)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "--max-connections: at most 65536");
    if (opt.threads > 256)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "--threads: at most 256");
    if ((opt.tls_cert == NULL) != (opt.tls_key == NULL))
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "TLS needs both a certificate and a key");

    struct sockaddr_storage addr;
    bool ipv6 = false;
    int rc = parse_listen(opt.listen, &addr, &ipv6);
    if (rc != 0) return rc;

    /* The store must open (and migrate) before we listen. */
    uv_store *main_store = NULL;
    rc = uv_store_open(&main_store, opt.store_dir, UV_STORE_CREATE);
    if (rc != 0) return rc;
    uv_store_close(main_store);

    char *cert = NULL, *key = NULL;
    if (opt.tls_cert) {
        if (!MHD_is_feature_supported(MHD_FEATURE_TLS))
            return uv_error_set(UV_EUNSUPPORTED, UV_LIB_HTTP, 0,
                                "this libmicrohttpd was built without TLS");
        rc = read_small_file(opt.tls_cert, &cert);
        if (rc == 0) rc = read_small_file(opt.tls_key, &key);
        if (rc != 0) {
            free(cert);
            return rc;
        }
    }

    uv_server_state server = {0};
    server.options = &opt;
    server.max_body = opt.max_body ? opt.max_body : DEFAULT_MAX_BODY;
    server.rate_limit = opt.rate_limit ? opt.rate_limit : DEFAULT_RATE_LIMIT;
    pthread_mutex_init(&server.lock, NULL);
    atomic_init(&server.in_flight, 0);
    sem_init(&server.slots, 0, opt.threads);
    pthread_mutex_init(&server.work_lock, NULL);
    pthread_cond_init(&server.work_wake, NULL);
    server.rate = calloc(RATE_SLOTS, sizeof *server.rate);
    if (!server.rate) {
        free(cert);
        free(key);
        return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    }
    uv_server__metrics_reset();
    unsigned max_connections = opt.max_connections ? opt.max_connections : DEFAULT_MAX_CONNECTIONS;
    size_t queue = (size_t)opt.threads * INGEST_QUEUE_PER_THREAD;
    if (queue < max_connections) queue = max_connections; /* one waiting put per connection */
    rc = uv_server__writer_start(&server.writer, opt.store_dir, queue);
    if (rc == 0) rc = uv_server__reprocess_start(&server.reprocess, opt.store_dir);
    if (rc != 0) {
        uv_server__writer_stop(server.writer);
        free(server.rate);
        pthread_mutex_destroy(&server.lock);
        sem_destroy(&server.slots);
        free(cert);
        free(key);
        return rc;
    }

    /* `--threads` event threads; requests that wait suspend their connection (see the top). */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG | MHD_USE_ITC;
    if (MHD_is_feature_supported(MHD_FEATURE_EPOLL))
        flags |= MHD_USE_EPOLL;
    else if (MHD_is_feature_supported(MHD_FEATURE_POLL))
        flags |= MHD_USE_POLL;

    if (ipv6) flags |= MHD_USE_IPv6;
    if (cert) flags |= MHD_USE_TLS;
    struct MHD_OptionItem tls_options[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, key},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_Daemon *daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, &server, MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_LIMIT,
        max_connections, MHD_OPTION_NOTIFY_COMPLETED, on_completed, &server,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY, MHD_OPTION_THREAD_POOL_SIZE,
        opt.threads > 1 ? opt.threads : 0u, MHD_OPTION_ARRAY, cert ? tls_options : tls_options + 2,
        MHD_OPTION_END);
    if (!daemon) {
        rc = uv_error_set(UV_EIO, UV_LIB_HTTP, 0,
                          "cannot listen on %s (address in use, or TLS files invalid)", opt.listen);
        goto done;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info ? info->port : 0;
    char host[INET6_ADDRSTRLEN] = "";
    if (ipv6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&addr)->sin6_addr, host, sizeof host);
    else
        inet_ntop(AF_INET, &((struct sockaddr_in *)&addr)->sin_addr, host, sizeof host);
    fprintf(stderr, "unravel serve: listening on %s%s%s:%u (%s, %u threads, store %s)\n",
            ipv6 ? "[" : "", host, ipv6 ? "]" : "", port, cert ? "https" : "http", opt.threads,
            opt.store_dir);
    if (opt.ready_file) {
        rc = write_ready_file(opt.ready_file, host, port, ipv6);
        if (rc != 0) {
            MHD_stop_daemon(daemon);
            goto done;
        }
    }
    while (!*stop) {
        struct timespec tick = {0, 50 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
    /* Drain: stop accepting, let in-flight requests finish, then close. */
    fprintf(stderr, "unravel serve: stopping\n");
    MHD_socket listen_socket = MHD_quiesce_daemon(daemon);
    for (int i = 0; i < DRAIN_SECONDS * 20 && atomic_load(&server.in_flight) > 0; i++) {
        struct timespec tick = {0, 50 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
    /* MHD must not stop with a connection still suspended: the workers and the writer finish
     * what they hold, resuming each (those past the drain time are answered or closed). */
    workers_stop(&server);
    uv_server__writer_stop(server.writer);
    server.writer = NULL;
    for (int i = 0; i < 20 && atomic_load(&server.in_flight) > 0; i++) {
        struct timespec tick = {0, 50 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
    MHD_stop_daemon(daemon);
    if (listen_socket != MHD_INVALID_SOCKET) close(listen_socket);
    rc = 0;
done:
    /* Requests are over: write what is still queued, then stop reprocessing. */
    workers_stop(&server);
    uv_server__writer_stop(server.writer);
    uv_server__reprocess_stop(server.reprocess);
    for (size_t i = 0; i < server.store_count; i++) {
        uv_server__cache_free(server.stores[i].cache);
        uv_store_close(server.stores[i].store);
    }
    free(server.stores);
    free(server.idle);
    free(server.rate);
    pthread_mutex_destroy(&server.lock);
    pthread_cond_destroy(&server.work_wake);
    pthread_mutex_destroy(&server.work_lock);
    sem_destroy(&server.slots);
    free(cert);
    free(key);
    return rc;
}
