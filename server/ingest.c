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

int uv_server__ingest(uv_request *req, int64_t project_id, uv_jv_doc *doc, const char *source,
                      uv_occurrence_ack *ack, unsigned *http_status)
{
    *http_status = 500;
    uv_store *store = req->store; /* checked out by the auth before */
    if (!store || !req->cache)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "ingest without a store handle");
    const uv_scrub_rules *rules = NULL;
    int64_t artifacts_changed = 0;
    int rc = uv_server__cache_project(req->cache, store, project_id, &rules, &artifacts_changed);
    if (rc != 0) return rc;
    *http_status = 422;
    bool raygun = strcmp(source, "raygun") == 0;
    payload_fields fields = {0};
    rc = raygun ? raygun_fields(doc->root, &fields) : rollbar_fields(doc->root, &fields);
    if (rc != 0) return rc;

    uv_trace *trace = NULL;
    uv_symbolicated *result = NULL;
    uv_buf raw = UV_BUF_INIT, resolved = UV_BUF_INIT;
    *http_status = 500;
    /* Scrub before anything is written, parsed further or logged. */
    if (uv_scrub_jv(doc, rules) == (size_t)-1) {
        rc = uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory while scrubbing");
        goto done;
    }
    /* Nothing replaced: the payload's own text is stored (the parse rejected duplicate keys,
     * so no value hid from the scrubber); else the scrubbed tree is written out. */
    if (!doc->modified)
        rc = uv_buf_append(&raw, doc->text + doc->root->start, doc->root->end - doc->root->start);
    else
        rc = uv_jv_write(&raw, doc->root);
    if (rc == 0) rc = uv_buf_append(&raw, "", 1); /* NUL */
    if (rc != 0) goto done;
    rc = uv_trace_parse_jv(&trace, doc);
    if (rc != 0) {
        *http_status = 422;
        uv_error_prefix("payload");
        goto done;
    }
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
    if (rc == 0) rc = uv_symbolicated_render_stored(result, &resolved);
    if (rc == 0) rc = uv_buf_append(&resolved, "", 1); /* NUL */
    if (rc != 0) goto done;

    size_t frames_resolved = 0, frames_unresolved = 0;
    count_frames(result, &frames_resolved, &frames_unresolved);

    char fingerprint[UV_FINGERPRINT_LEN];
    char title[512];
    uv_grouping_fingerprint(result, fields.fingerprint, fingerprint);
    uv_grouping_title(trace, title, sizeof title);
    const char *exception_class =
        trace->exception_count > 0 && trace->exceptions[0].exception_class[0]
            ? trace->exceptions[0].exception_class
            : NULL;
    const char *platform = fields.platform ? fields.platform : trace->platform;
    uv_occurrence_in in = {
        .project_id = project_id,
        .uuid = fields.uuid,
        .fingerprint = fingerprint,
        .title = title,
        .exception_class = exception_class,
        .level = fields.level,
        .environment = fields.environment,
        .version = trace->version,
        .platform = platform,
        .source = source,
        .timestamp = fields.timestamp ? fields.timestamp : (int64_t)time(NULL),
        .raw_json = (const char *)raw.data,
        .resolved_json = (const char *)resolved.data,
        .unresolved_frames = frames_unresolved > 0,
    };
    /* Durable once this returns 0: the writer commits it with whatever else is queued. */
    rc = uv_server__writer_put(uv_server__writer(req), &in, ack);
    if (rc == UV_SERVER_QUEUE_FULL) {
        *http_status = 503;
        goto done;
    }
    if (rc == UV_EINVALID || rc == UV_ETOOBIG) *http_status = 422;
    if (rc == 0 && !ack->duplicate)
        uv_server__metrics_occurrence(frames_resolved, frames_unresolved);
done:
    uv_symbolicated_free(result); /* before the cached resolver may be dropped */
    uv_server__cache_trim(req->cache);
    uv_trace_free(trace);
    uv_buf_free(&resolved);
    uv_buf_free(&raw);
    return rc;
}
