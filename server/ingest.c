/* The ingest pipeline shared by the Rollbar and Raygun endpoints: project settings → scrub
 * (before anything is written) → parse the scrubbed payload as a trace → symbolicate with
 * the project's uploads → fingerprint and title → queued to the writer thread, which stores it
 * in a group commit (writer.c) before the request answers. */
#include "server/server_internal.h"

#include "formats/error.h"
#include "formats/jsonw.h"
#include "formats/scrub.h"
#include "formats/trace.h"
#include "symbolicate/grouping.h"
#include "symbolicate/symbolicate.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

bool uv_server__client_platform(const char *platform)
{
    static const char *const clients[] = {"browser", "android", "ios", "flutter", "react-native"};
    if (!platform) return false;
    for (size_t i = 0; i < sizeof clients / sizeof clients[0]; i++)
        if (strcasecmp(platform, clients[i]) == 0) return true;
    return false;
}

/* An optional string member that must fit `max` bytes; sets *out (NULL when absent). Keys of
 * Raygun payloads are matched case-insensitively. */
static int optional_string(const uv_jv *object, const char *key, bool any_case, const char *field,
                           size_t max, const char **out)
{
    *out = NULL;
    const uv_jv *value = any_case ? uv_jv_get_ci(object, key) : uv_jv_get(object, key);
    if (!value || value->type == UV_JV_NULL) return 0;
    if (value->type != UV_JV_STRING)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "%s must be a string", field);
    if (value->len > max)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "%s is longer than %zu bytes", field, max);
    *out = value->str;
    return 0;
}

/* ISO 8601 "2026-01-01T00:00:00Z" (fractions and offsets accepted) → unix seconds. */
static int64_t parse_iso8601(const char *text)
{
    struct tm tm = {0};
    const char *rest = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) return 0;
    int64_t seconds = (int64_t)timegm(&tm);
    if (*rest == '.')
        for (rest++; *rest >= '0' && *rest <= '9'; rest++) {
        }
    if ((*rest == '+' || *rest == '-') && strlen(rest) >= 6) {
        int hours = (rest[1] - '0') * 10 + (rest[2] - '0');
        int minutes = (rest[4] - '0') * 10 + (rest[5] - '0');
        int64_t offset = (int64_t)hours * 3600 + minutes * 60;
        seconds += *rest == '+' ? -offset : offset;
    }
    return seconds;
}

/* Fields of the occurrence read from the payload, by source, before it is scrubbed: they
 * point into the tree's arena, where scrubbing leaves the old strings in place (it only
 * repoints values), so the uuid keeps its value even where the card-number rule scrubs a digit
 * run in it (two uuids must never become one); the payload's fingerprint is only hashed, never
 * stored. */
typedef struct {
    const char *uuid, *level, *environment, *platform, *fingerprint;
    int64_t timestamp;
} payload_fields;

static int rollbar_fields(const uv_jv *root, payload_fields *out)
{
    const uv_jv *data = uv_jv_get(root, "data");
    int rc = optional_string(data, "uuid", false, "data.uuid", 63, &out->uuid);
    if (rc == 0) rc = optional_string(data, "level", false, "data.level", 15, &out->level);
    if (rc == 0)
        rc =
            optional_string(data, "environment", false, "data.environment", 127, &out->environment);
    if (rc == 0) rc = optional_string(data, "platform", false, "data.platform", 63, &out->platform);
    if (rc == 0)
        rc = optional_string(data, "fingerprint", false, "data.fingerprint", 4096,
                             &out->fingerprint);
    if (rc != 0) return rc;
    const uv_jv *timestamp = uv_jv_get(data, "timestamp");
    if (timestamp && timestamp->type != UV_JV_NULL) {
        if (!uv_jv_is_number(timestamp))
            return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "data.timestamp must be a number");
        double value = timestamp->real;
        if (value > 0 && value < 1e11) out->timestamp = (int64_t)value;
    }
    return 0;
}

static int raygun_fields(const uv_jv *root, payload_fields *out)
{
    const uv_jv *details = uv_jv_get_ci(root, "details");
    const char *occurred = NULL;
    int rc = optional_string(root, "occurredOn", true, "OccurredOn", 64, &occurred);
    if (rc == 0)
        rc = optional_string(details, "groupingKey", true, "Details.GroupingKey", 4096,
                             &out->fingerprint);
    if (rc != 0) return rc;
    if (occurred) out->timestamp = parse_iso8601(occurred);
    const uv_jv *tags = uv_jv_get_ci(details, "tags");
    if (uv_jv_is(tags, UV_JV_ARRAY)) { /* an environment tag: "production", "staging" … */
        for (const uv_jv *tag = tags->first; tag; tag = tag->next) {
            const char *text = uv_jv_string(tag);
            if (text && (strcmp(text, "production") == 0 || strcmp(text, "staging") == 0 ||
                         strcmp(text, "development") == 0))
                out->environment = text;
        }
    }
    const uv_jv *client = uv_jv_get_ci(details, "client");
    const char *client_name = uv_jv_string(uv_jv_get_ci(client, "name"));
    out->platform = client_name && strstr(client_name, "raygun4js") ? "browser" : NULL;
    return 0;
}

char *uv_server__json_text(const json_t *value)
{
    uv_buf text = UV_BUF_INIT;
    if (uv_json_write(&text, value) != 0 || uv_buf_append(&text, "", 1) != 0) {
        uv_buf_free(&text);
        return NULL;
    }
    return (char *)text.data; /* owned by the caller now */
}

static void count_frames(const uv_symbolicated *result, size_t *resolved, size_t *unresolved)
{
    const uv_trace *trace = result->trace;
    for (size_t e = 0; e < trace->exception_count; e++) {
        const uv_trace_exception *exception = &trace->exceptions[e];
        for (size_t f = 0; f < exception->frame_count; f++) {
            const uv_trace_frame *frame = &exception->frames[f];
            if (frame->has_address && result->native && result->native[e]) {
                if (result->native[e][f].status == UV_NATIVE_SYMBOLICATED)
                    ++*resolved;
                else
                    ++*unresolved;
            } else if (result->js && result->js[e]) {
                if (result->js[e][f].status == UV_FRAME_SYMBOLICATED)
                    ++*resolved;
                else if (!frame->is_native)
                    ++*unresolved;
            }
        }
    }
}

int uv_server__resolve_again(uv_store *store, int64_t project_id, const char *raw_json,
                             uv_buf *resolved, bool *unresolved_frames)
{
    uv_trace *trace = NULL;
    uv_symbolicated *result = NULL;
    int rc = uv_trace_parse(&trace, raw_json, strlen(raw_json));
    if (rc == 0) {
        uv_symbolicate_options options = {.store = store, .project_id = project_id};
        rc = uv_symbolicate_trace(&result, trace, &options);
    }
    if (rc == 0) rc = uv_symbolicated_render_stored(result, resolved);
    if (rc == 0) rc = uv_buf_append(resolved, "", 1); /* NUL */
    if (rc == 0) {
        size_t frames_resolved = 0, frames_unresolved = 0;
        count_frames(result, &frames_resolved, &frames_unresolved);
        *unresolved_frames = frames_unresolved > 0;
    }
    uv_symbolicated_free(result);
    uv_trace_free(trace);
    return rc;
}

/* An occurrence on its way through the pipeline: what the writer stores points into it. */
struct uv_ingest {
    uv_server_write write;
    uv_occurrence_in in;
    uv_occurrence_ack ack;
    uv_request *req;
    uv_jv_doc *doc; /* the payload, scrubbed in place; owned when doc_owned */
    bool doc_owned;
    bool raygun;
    uv_trace *trace; /* the version and exception class stored point into it */
    uv_buf raw, resolved;
    uv_buf raw_packed, resolved_packed; /* packed here, so the writer thread need not */
    size_t frames_resolved, frames_unresolved;
    char fingerprint[UV_FINGERPRINT_LEN];
    char title[512];
};

void uv_server__ingest_free(uv_ingest *job)
{
    if (!job) return;
    uv_trace_free(job->trace);
    uv_buf_free(&job->resolved);
    uv_buf_free(&job->raw);
    uv_buf_free(&job->resolved_packed);
    uv_buf_free(&job->raw_packed);
    if (job->doc_owned) uv_jv_free(job->doc);
    free(job);
}

/* Everything before the write: settings, scrub, trace, symbolication, fingerprint; fills
 * job->in. On failure the status to answer is in *http_status. */
static int prepare(uv_request *req, int64_t project_id, const char *source, uv_ingest *job,
                   unsigned *http_status)
{
    *http_status = 500;
    uv_store *store = req->store; /* checked out by the auth before */
    if (!store || !req->cache)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "ingest without a store handle");
    uv_jv_doc *doc = job->doc;
    const uv_scrub_rules *rules = NULL;
    int64_t artifacts_changed = 0;
    int rc = uv_server__cache_project(req->cache, store, project_id, &rules, &artifacts_changed);
    if (rc != 0) return rc;
    *http_status = 422;
    payload_fields fields = {0};
    rc = job->raygun ? raygun_fields(doc->root, &fields) : rollbar_fields(doc->root, &fields);
    if (rc != 0) return rc;

    uv_symbolicated *result = NULL;
    *http_status = 500;
    /* Scrub before anything is written, parsed further or logged. */
    if (uv_scrub_jv(doc, rules) == (size_t)-1) {
        rc = uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory while scrubbing");
        goto done;
    }
    /* Nothing replaced: the payload's own text is stored (the parse rejected duplicate keys,
     * so no value hid from the scrubber); else the scrubbed tree is written out. */
    if (!doc->modified)
        rc = uv_buf_append(&job->raw, doc->text + doc->root->start,
                           doc->root->end - doc->root->start);
    else
        rc = uv_jv_write(&job->raw, doc->root);
    if (rc == 0) rc = uv_buf_append(&job->raw, "", 1); /* NUL */
    if (rc != 0) goto done;
    rc = uv_trace_parse_jv(&job->trace, doc);
    if (rc != 0) {
        *http_status = 422;
        uv_error_prefix("payload");
        goto done;
    }
    const uv_trace *trace = job->trace;
    if (trace->version && strlen(trace->version) > 255) {
        *http_status = 422;
        rc = uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "code version is longer than 255 bytes");
        goto done;
    }
    uv_symbolicate_options options = {.store = store, .project_id = project_id};
    if (uv_symbolicate_needs_of(trace).js)
        rc = uv_server__cache_js(req->cache, store, project_id, trace->version, artifacts_changed,
                                 &options.js_resolver);
    if (rc == 0) rc = uv_symbolicate_trace(&result, trace, &options);
    if (rc == 0) rc = uv_symbolicated_render_stored(result, &job->resolved);
    if (rc == 0) rc = uv_buf_append(&job->resolved, "", 1); /* NUL */
    if (rc != 0) goto done;

    rc = uv_store_pack((const char *)job->raw.data, job->raw.len - 1, &job->raw_packed);
    if (rc == 0)
        rc = uv_store_pack((const char *)job->resolved.data, job->resolved.len - 1,
                           &job->resolved_packed);
    if (rc != 0) goto done;

    count_frames(result, &job->frames_resolved, &job->frames_unresolved);
    uv_grouping_fingerprint(result, fields.fingerprint, job->fingerprint);
    uv_grouping_title(trace, job->title, sizeof job->title);
    const char *exception_class =
        trace->exception_count > 0 && trace->exceptions[0].exception_class[0]
            ? trace->exceptions[0].exception_class
            : NULL;
    const char *platform = fields.platform ? fields.platform : trace->platform;
    job->in = (uv_occurrence_in){
        .project_id = project_id,
        .uuid = fields.uuid,
        .fingerprint = job->fingerprint,
        .title = job->title,
        .exception_class = exception_class,
        .level = fields.level,
        .environment = fields.environment,
        .version = trace->version,
        .platform = platform,
        .source = source,
        .timestamp = fields.timestamp ? fields.timestamp : (int64_t)time(NULL),
        .raw_json = (const char *)job->raw.data,
        .resolved_json = (const char *)job->resolved.data,
        .unresolved_frames = job->frames_unresolved > 0,
        .raw_packed = &job->raw_packed,
        .resolved_packed = &job->resolved_packed,
    };
done:
    uv_symbolicated_free(result); /* before the cached resolver may be dropped */
    uv_server__cache_trim(req->cache);
    return rc;
}

static uv_ingest *ingest_new(uv_request *req, uv_jv_doc *doc, bool doc_owned, const char *source)
{
    uv_ingest *job = calloc(1, sizeof *job);
    if (!job) return NULL;
    job->req = req;
    job->doc = doc;
    job->doc_owned = doc_owned;
    job->raygun = strcmp(source, "raygun") == 0;
    job->raw = UV_BUF_INIT;
    job->resolved = UV_BUF_INIT;
    job->raw_packed = UV_BUF_INIT;
    job->resolved_packed = UV_BUF_INIT;
    job->write.in = &job->in;
    job->write.ack = &job->ack;
    return job;
}

/* The status of a failed write. */
static unsigned write_status(int rc)
{
    if (rc == UV_SERVER_QUEUE_FULL) return 503;
    if (rc == UV_EINVALID || rc == UV_ETOOBIG) return 422;
    return 500;
}

int uv_server__ingest(uv_request *req, int64_t project_id, uv_jv_doc *doc, const char *source,
                      uv_occurrence_ack *ack, unsigned *http_status)
{
    uv_ingest *job = ingest_new(req, doc, false, source);
    if (!job) {
        *http_status = 500;
        return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    }
    int rc = prepare(req, project_id, source, job, http_status);
    if (rc == 0) {
        /* Durable once this returns 0: the writer commits it with whatever else is queued. */
        rc = uv_server__writer_put(uv_server__writer(req), &job->in, ack);
        if (rc != 0) *http_status = write_status(rc);
    }
    if (rc == 0 && !ack->duplicate)
        uv_server__metrics_occurrence(job->frames_resolved, job->frames_unresolved);
    uv_server__ingest_free(job);
    return rc;
}

/* The reply to an ingest request, from its result. */
static void answer(uv_request *req, uv_ingest *job, int rc, unsigned status)
{
    const char *what = job->raygun ? "storing the entry" : "storing the item";
    if (rc == 0) {
        if (!job->ack.duplicate)
            uv_server__metrics_occurrence(job->frames_resolved, job->frames_unresolved);
        if (job->raygun) {
            uv_server__reply_empty(req, 202);
            return;
        }
        /* {"err":0,"result":{"id":…,"uuid":"…"}}, as json_pack and json_dumps would write it */
        uv_buf text = UV_BUF_INIT;
        char id[24];
        size_t id_len = uv_format_u64(id, (uint64_t)job->ack.id);
        if (uv_buf_append(&text, "{\"err\":0,\"result\":{\"id\":", 24) == 0 &&
            uv_buf_append(&text, id, id_len) == 0 && uv_buf_append(&text, ",\"uuid\":", 8) == 0 &&
            uv_jv_write_string(&text, job->ack.uuid, strlen(job->ack.uuid)) == 0 &&
            uv_buf_append(&text, "}}", 3) == 0) {
            uv_server__reply_text(req, 200, (char *)text.data, text.len - 1);
            return;
        }
        uv_buf_free(&text);
        rc = uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
        status = 500;
    }
    if (status == 503)
        uv_server__reply_busy(req);
    else if (status == 422 && !job->raygun)
        uv_server__reply_error(req, 422, "%s", uv_error_last()->message);
    else if (status == 422)
        uv_server__reply_error(req, 422, "%s: %s", what, uv_error_last()->message);
    else
        uv_server__reply_failure(req, rc, what);
}

/* On the writer thread, after the group commit: the connection goes back to its event thread,
 * which answers (uv_server__ingest_finish). */
static void written(uv_server_write *write)
{
    uv_ingest *job = (uv_ingest *)((char *)write - offsetof(uv_ingest, write));
    uv_server__resume(job->req);
}

void uv_server__ingest_answer(uv_request *req, int64_t project_id, uv_jv_doc *doc,
                              const char *source)
{
    uv_ingest *job = ingest_new(req, doc, true, source);
    if (!job) {
        uv_jv_free(doc);
        uv_server__reply_error(req, 500, "out of memory");
        return;
    }
    unsigned status = 500;
    int rc = prepare(req, project_id, source, job, &status);
    if (rc != 0) {
        answer(req, job, rc, status);
        uv_server__ingest_free(job);
        return;
    }
    job->write.done = written;
    /* Suspended before it is queued, so the writer can never resume it first. */
    if (uv_server__suspend(req)) {
        req->ingest = job;
        if (uv_server__writer_submit(uv_server__writer(req), &job->write) != 0) {
            job->write.rc = UV_SERVER_QUEUE_FULL;
            uv_server__resume(req);
        }
        return;
    }
    rc = uv_server__writer_put(uv_server__writer(req), &job->in, &job->ack);
    answer(req, job, rc, rc ? write_status(rc) : 200);
    uv_server__ingest_free(job);
}

void uv_server__ingest_finish(uv_request *req)
{
    uv_ingest *job = req->ingest;
    req->ingest = NULL;
    if (!job) return;
    int rc = uv_server__write_result(&job->write); /* queue full: 503 by write_status */
    answer(req, job, rc, rc ? write_status(rc) : 200);
    uv_server__ingest_free(job);
}
