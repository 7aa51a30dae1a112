/* HTTP client for uploads and deploys: see remote.h. */
#include "upload/remote.h"

#include "formats/buf.h"
#include "formats/error.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Defaults (remote.h): 4 tries, 0.5 s doubling, connect 10 s, whole request 300 s. */
#define DEFAULT_TRIES 4
#define DEFAULT_FIRST_DELAY_MS 500
#define DEFAULT_CONNECT_MS 10000L
#define DEFAULT_TOTAL_MS 300000L
/* A Retry-After longer than a minute is not worth blocking a build for: we wait at most this. */
#define MAX_RETRY_AFTER_MS 60000L
/* An answer is a small JSON document; keeping more than 1 MiB of it would only waste memory. */
#define MAX_RESPONSE_BYTES ((size_t)1 << 20)
/* Base URL and token lengths: far beyond real ones, small enough to print safely. */
#define MAX_URL_LEN 2048
#define MAX_TOKEN_LEN 512

struct uv_remote {
    CURL *curl;
    char *base; /* without trailing '/' */
    char *token;
    char *token_header;
    bool progress;
    unsigned max_tries;
    long first_delay_ms, connect_ms, total_ms;
    uv_buf body;
    bool body_truncated;
    uv_remote_response last;
    const char *label;    /* what the progress bar names */
    int progress_width;   /* characters last drawn, to clear the line */
    int progress_percent; /* last drawn, so the bar is redrawn only when it moves */
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int uv_remote_new(uv_remote **out, const uv_remote_options *options)
{
    *out = NULL;
    const char *url = options->url;
    if (!url || !(strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0))
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                            "--url: expected http://HOST[:PORT] or https://…, got '%s'",
                            url ? url : "");
    size_t url_len = strlen(url);
    if (url_len > MAX_URL_LEN)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "--url: longer than %d bytes",
                            MAX_URL_LEN);
    const char *token = options->token;
    if (!token || !*token)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                            "--token (or UNRAVEL_TOKEN) is required with --url");
    size_t token_len = strlen(token);
    if (token_len > MAX_TOKEN_LEN)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "--token: longer than %d bytes",
                            MAX_TOKEN_LEN);
    for (size_t i = 0; i < token_len; i++)
        if ((unsigned char)token[i] <= ' ' || token[i] == 0x7f)
            return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                                "--token: contains a space or control character");
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK)
        return uv_error_set(UV_EIO, UV_LIB_HTTP, (int)global_rc, "libcurl: %s",
                            curl_easy_strerror(global_rc));
    uv_remote *r = calloc(1, sizeof *r);
    if (!r) return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    while (url_len > 0 && url[url_len - 1] == '/')
        url_len--;
    r->base = strndup(url, url_len);
    r->token = strdup(token);
    size_t header_len = sizeof "X-Rollbar-Access-Token: " + token_len;
    r->token_header = malloc(header_len);
    r->curl = curl_easy_init();
    if (!r->base || !r->token || !r->token_header || !r->curl) {
        uv_remote_free(r);
        return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    }
    snprintf(r->token_header, header_len, "X-Rollbar-Access-Token: %s", token);
    r->progress = options->progress;
    r->max_tries = options->max_tries ? options->max_tries : DEFAULT_TRIES;
    r->first_delay_ms =
        options->first_delay_ms > 0 ? options->first_delay_ms : DEFAULT_FIRST_DELAY_MS;
    r->connect_ms =
        options->connect_timeout_ms > 0 ? options->connect_timeout_ms : DEFAULT_CONNECT_MS;
    r->total_ms = options->total_timeout_ms > 0 ? options->total_timeout_ms : DEFAULT_TOTAL_MS;
    r->body = UV_BUF_INIT;
    *out = r;
    return 0;
}

void uv_remote_free(uv_remote *remote)
{
    if (!remote) return;
    if (remote->curl) curl_easy_cleanup(remote->curl);
    free(remote->base);
    if (remote->token) {
        /* Do not leave the secret in freed memory. */
        volatile char *p = remote->token;
        while (*p)
            *p++ = 0;
        free(remote->token);
    }
    if (remote->token_header) {
        volatile char *p = remote->token_header;
        while (*p)
            *p++ = 0;
        free(remote->token_header);
    }
    uv_buf_free(&remote->body);
    free(remote);
}

const uv_remote_response *uv_remote_last(const uv_remote *remote)
{
    return &remote->last;
}

/* ---- one request with retries ---------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t count, void *ctx)
{
    uv_remote *r = ctx;
    size_t n = size * count;
    size_t room = MAX_RESPONSE_BYTES > r->body.len ? MAX_RESPONSE_BYTES - r->body.len : 0;
    size_t keep = n < room ? n : room;
    if (keep < n) r->body_truncated = true;
    if (keep && uv_buf_append(&r->body, data, keep) != 0) return 0; /* aborts the transfer */
    return n;
}

static void format_bytes(char *out, size_t len, curl_off_t bytes)
{
    if (bytes >= 1 << 20)
        snprintf(out, len, "%.1f MB", (double)bytes / (1 << 20));
    else if (bytes >= 1 << 10)
        snprintf(out, len, "%.1f kB", (double)bytes / (1 << 10));
    else
        snprintf(out, len, "%ld B", (long)bytes);
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    uv_remote *r = ctx;
    if (ultotal <= 0) return 0;
    int percent = (int)(ulnow * 100 / ultotal);
    if (r->progress_width > 0 && percent == r->progress_percent) return 0;
    r->progress_percent = percent;
    enum { BAR = 30 };
    int filled = (int)(ulnow * BAR / ultotal);
    char bar[BAR + 1];
    for (int i = 0; i < BAR; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[BAR] = '\0';
    char now[32], total[32];
    format_bytes(now, sizeof now, ulnow);
    format_bytes(total, sizeof total, ultotal);
    int width = fprintf(stderr, "\r[%s] %3d%% %s / %s %.40s", bar, percent, now, total,
                        r->label ? r->label : "");
    if (width > 0 && width < r->progress_width)
        fprintf(stderr, "%*s", r->progress_width - width, "");
    if (width > r->progress_width) r->progress_width = width;
    fflush(stderr);
    return 0;
}

static void clear_progress(uv_remote *r)
{
    if (r->progress_width > 0) {
        fprintf(stderr, "\r%*s\r", r->progress_width, "");
        fflush(stderr);
        r->progress_width = 0;
    }
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* The server's `message` (Rollbar's error shape), else the start of the body. */
static void server_message(const uv_remote *r, char *out, size_t len)
{
    out[0] = '\0';
    if (!r->last.body || r->last.body_len == 0) return;
    json_t *root = json_loadb(r->last.body, r->last.body_len, 0, NULL);
    json_t *message = root ? json_object_get(root, "message") : NULL;
    if (json_is_string(message)) {
        snprintf(out, len, "%s", json_string_value(message));
    } else {
        /* Not JSON: a proxy's page. Show its start on one line. */
        size_t n = 0;
        for (size_t i = 0; i < r->last.body_len && n + 1 < len && n < 200; i++) {
            unsigned char ch = (unsigned char)r->last.body[i];
            out[n++] = ch < ' ' || ch == 0x7f ? ' ' : (char)ch;
        }
        out[n] = '\0';
    }
    json_decref(root);
}

static bool retryable_curl_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

/* Performs the request configured on r->curl (method, body) against `url`, with retries.
 * Returns 0 on a 2xx; else the code documented in remote.h. */
static int perform(uv_remote *r, const char *method, const char *url, const char *what)
{
    CURL *curl = r->curl;
    char errbuf[CURL_ERROR_SIZE];
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, r->connect_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, r->total_ms);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "unravel-upload/1");
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    if (r->progress) {
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, r);
    } else {
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 1L);
    }
    r->label = what;
    long delay_ms = r->first_delay_ms;
    for (unsigned attempt = 1;; attempt++) {
        r->body.len = 0;
        r->body_truncated = false;
        r->last = (uv_remote_response){0, "", 0};
        errbuf[0] = '\0';
        CURLcode rc = curl_easy_perform(curl);
        clear_progress(r);
        if (uv_buf_append(&r->body, "", 1) != 0) /* NUL-terminate */
            return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
        r->body.len--;
        r->last.body = (const char *)r->body.data;
        r->last.body_len = r->body.len;
        long status = 0;
        curl_off_t retry_after = 0;
        if (rc == CURLE_OK) {
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
            curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &retry_after);
            r->last.status = status;
            if (status >= 200 && status < 300) return 0;
        }
        bool retry = rc == CURLE_OK ? status >= 500 || status == 429 : retryable_curl_error(rc);
        if (retry && attempt < r->max_tries) {
            long wait = delay_ms;
            if (retry_after > 0)
                wait = retry_after * 1000 > MAX_RETRY_AFTER_MS ? MAX_RETRY_AFTER_MS
                                                               : (long)retry_after * 1000;
            if (rc == CURLE_OK)
                fprintf(stderr, "unravel: %s %s: HTTP %ld, trying again in %.1f s\n", method, url,
                        status, wait / 1000.0);
            else
                fprintf(stderr, "unravel: %s %s: %s, trying again in %.1f s\n", method, url,
                        errbuf[0] ? errbuf : curl_easy_strerror(rc), wait / 1000.0);
            sleep_ms(wait);
            delay_ms *= 2;
            continue;
        }
        const char *tries = attempt > 1 ? " (after " : "";
        char tries_text[32] = "";
        if (attempt > 1) snprintf(tries_text, sizeof tries_text, "%u tries)", attempt);
        if (rc != CURLE_OK)
            return uv_error_set(UV_EIO, UV_LIB_HTTP, 0, "%s %s: %s%s%s", method, url,
                                errbuf[0] ? errbuf : curl_easy_strerror(rc), tries, tries_text);
        char message[400];
        server_message(r, message, sizeof message);
        int code = status == 400 || status == 413 || status == 422 ? UV_EINVALID
                   : status == 409                                 ? UV_EEXISTS
                   : status == 404                                 ? UV_ENOTFOUND
                                                                   : UV_EIO;
        return uv_error_set(code, UV_LIB_HTTP, (int)status, "%s %s: HTTP %ld%s%s%s%s", method, url,
                            status, message[0] ? ": " : "", message, tries, tries_text);
    }
}

static char *make_url(const uv_remote *r, const char *path)
{
    size_t len = strlen(r->base) + strlen(path) + 1;
    char *url = malloc(len);
    if (url) snprintf(url, len, "%s%s", r->base, path);
    return url;
}

int uv_remote_json(uv_remote *remote, const char *method, const char *path, const char *json)
{
    char *url = make_url(remote, path);
    struct curl_slist *headers = NULL, *h;
    h = curl_slist_append(headers, "Content-Type: application/json");
    if (h) headers = h;
    h = h ? curl_slist_append(headers, remote->token_header) : NULL;
    if (h) headers = h;
    h = h ? curl_slist_append(headers, "Expect:") : NULL;
    if (!url || !h) {
        free(url);
        curl_slist_free_all(headers);
        return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    }
    CURL *curl = remote->curl;
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(json));
    int rc = perform(remote, method, url, NULL);
    curl_easy_reset(curl);
    curl_slist_free_all(headers);
    free(url);
    return rc;
}

/* ---- multipart forms --------------------------------------------------------------------- */

/* A part's bytes read from memory (so a retry can seek back to the start). */
typedef struct {
    const uint8_t *data;
    size_t len, pos;
} memory_reader;

static size_t read_memory(char *buffer, size_t size, size_t count, void *arg)
{
    memory_reader *m = arg;
    size_t want = size * count, left = m->len - m->pos;
    size_t n = want < left ? want : left;
    memcpy(buffer, m->data + m->pos, n);
    m->pos += n;
    return n;
}

static int seek_memory(void *arg, curl_off_t offset, int origin)
{
    memory_reader *m = arg;
    curl_off_t base = origin == SEEK_SET   ? 0
                      : origin == SEEK_CUR ? (curl_off_t)m->pos
                                           : (curl_off_t)m->len;
    curl_off_t to = base + offset;
    if (to < 0 || to > (curl_off_t)m->len) return CURL_SEEKFUNC_FAIL;
    m->pos = (size_t)to;
    return CURL_SEEKFUNC_OK;
}

static int add_field(curl_mime *mime, const char *name, const char *value)
{
    curl_mimepart *part = curl_mime_addpart(mime);
    if (!part || curl_mime_name(part, name) != CURLE_OK ||
        curl_mime_data(part, value, CURL_ZERO_TERMINATED) != CURLE_OK)
        return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    return 0;
}

static int add_memory_file(curl_mime *mime, const char *name, const char *filename,
                           memory_reader *reader)
{
    curl_mimepart *part = curl_mime_addpart(mime);
    if (!part || curl_mime_name(part, name) != CURLE_OK ||
        curl_mime_filename(part, filename) != CURLE_OK ||
        curl_mime_type(part, "application/octet-stream") != CURLE_OK ||
        curl_mime_data_cb(part, (curl_off_t)reader->len, read_memory, seek_memory, NULL, reader) !=
            CURLE_OK)
        return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    return 0;
}

static int add_disk_file(curl_mime *mime, const char *name, const char *path)
{
    curl_mimepart *part = curl_mime_addpart(mime);
    if (!part || curl_mime_name(part, name) != CURLE_OK)
        return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    CURLcode rc = curl_mime_filedata(part, path);
    if (rc != CURLE_OK)
        return uv_error_set(rc == CURLE_READ_ERROR ? UV_EIO : UV_ENOMEM, UV_LIB_HTTP, (int)rc,
                            "%s: %s", path, curl_easy_strerror(rc));
    /* The name the server sees is the source as the map names it, not our local path. */
    const char *slash = strrchr(name, '/');
    curl_mime_filename(part, slash ? slash + 1 : name);
    curl_mime_type(part, "text/plain");
    return 0;
}

static int post_form(uv_remote *r, const char *path, curl_mime *mime, const char *what)
{
    char *url = make_url(r, path);
    struct curl_slist *headers = curl_slist_append(NULL, r->token_header), *h = headers;
    h = h ? curl_slist_append(headers, "Expect:") : NULL;
    if (!url || !h) {
        free(url);
        curl_slist_free_all(headers);
        return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    }
    curl_easy_reset(r->curl);
    curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(r->curl, CURLOPT_MIMEPOST, mime);
    int rc = perform(r, "POST", url, what);
    curl_easy_reset(r->curl);
    curl_slist_free_all(headers);
    free(url);
    return rc;
}

int uv_remote_send_sourcemap(uv_remote *remote, const char *version, const uv_upload_group *group)
{
    curl_mime *mime = curl_mime_init(remote->curl);
    if (!mime) return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    memory_reader map = {group->map, group->map_len, 0};
    const char *map_name = strrchr(group->map_path, '/');
    map_name = map_name ? map_name + 1 : group->map_path;
    int rc = add_field(mime, "access_token", remote->token);
    if (rc == 0) rc = add_field(mime, "version", version);
    if (rc == 0) rc = add_field(mime, "minified_url", group->url);
    if (rc == 0) rc = add_memory_file(mime, "source_map", map_name, &map);
    for (size_t i = 0; rc == 0 && i < group->source_count; i++)
        rc = add_disk_file(mime, group->sources[i].name, group->sources[i].path);
    if (rc == 0) rc = post_form(remote, "/api/1/sourcemap", mime, group->url);
    curl_mime_free(mime);
    return rc;
}

int uv_remote_send_symbols(uv_remote *remote, const char *version, const char *name,
                           const void *data, size_t len)
{
    curl_mime *mime = curl_mime_init(remote->curl);
    if (!mime) return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    memory_reader file = {data, len, 0};
    int rc = add_field(mime, "access_token", remote->token);
    if (rc == 0) rc = add_field(mime, "version", version);
    if (rc == 0) rc = add_memory_file(mime, "symbols", name, &file);
    if (rc == 0) rc = post_form(remote, "/api/1/symbols", mime, name);
    curl_mime_free(mime);
    return rc;
}

/* ---- deploys ----------------------------------------------------------------------------- */

static int send_json_object(uv_remote *remote, const char *method, const char *path, json_t *body)
{
    if (!body) return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text) return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    int rc = uv_remote_json(remote, method, path, text);
    free(text);
    return rc;
}

int uv_remote_deploy_create(uv_remote *remote, const char *environment, const char *revision,
                            const char *status, const char *local_username, const char *comment,
                            int64_t *id)
{
    *id = 0;
    json_t *body = json_pack("{s:s,s:s,s:s}", "environment", environment, "revision", revision,
                             "status", status);
    if (body && local_username && *local_username &&
        json_object_set_new(body, "local_username", json_string(local_username)) != 0) {
        json_decref(body);
        body = NULL;
    }
    if (body && comment && *comment &&
        json_object_set_new(body, "comment", json_string(comment)) != 0) {
        json_decref(body);
        body = NULL;
    }
    int rc = send_json_object(remote, "POST", "/api/1/deploy", body);
    if (rc != 0) return rc;
    json_error_t error;
    json_t *root = json_loadb(remote->last.body, remote->last.body_len, 0, &error);
    json_t *value = json_object_get(json_object_get(root, "data"), "deploy_id");
    if (!json_is_integer(value)) {
        json_decref(root);
        return uv_error_set(UV_EIO, UV_LIB_JSON, 0,
                            "POST %s/api/1/deploy: the answer has no data.deploy_id", remote->base);
    }
    *id = (int64_t)json_integer_value(value);
    json_decref(root);
    return 0;
}

int uv_remote_deploy_update(uv_remote *remote, int64_t id, const char *status, const char *comment)
{
    char path[64];
    snprintf(path, sizeof path, "/api/1/deploy/%lld", (long long)id);
    json_t *body = json_pack("{s:s}", "status", status);
    if (body && comment && json_object_set_new(body, "comment", json_string(comment)) != 0) {
        json_decref(body);
        body = NULL;
    }
    return send_json_object(remote, "PATCH", path, body);
}
