/* POST /api/1/minidump: crash dumps as Crashpad and Breakpad clients upload them — a
 * multipart/form-data body whose part `upload_file_minidump` is the dump, with the client's
 * annotations as plain fields (`prod`, `ver`, `guid`, …). The dump is walked and symbolicated
 * with the project's uploads (symbolicate/crash.c) and stored as an occurrence of an item,
 * grouped by crash reason and the top frames of the crashing thread.
 *
 * What is stored: the annotations (scrubbed by the project's settings, like any payload),
 * the dump's size and SHA-256, and the symbolicated report (rust-minidump's JSON shape). The
 * dump itself is not stored: its memory pages may hold anything the process held, which no
 * scrubber can clean (Sentry keeps them only when a project opts in). */
#include "server/server_internal.h"

#include "formats/error.h"
#include "formats/sha256.h"
#include "symbolicate/crash.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define DUMP_PART "upload_file_minidump"
#define FIELD_MAX 4096
/* Frames of the crashing thread that name the item (like grouping.c's in-app frames). */
#define GROUP_FRAMES 5

/* The first present text field among `names`, else NULL. */
static const char *field(uv_request *req, const char *const *names)
{
    for (size_t i = 0; names[i]; i++) {
        const uv_form_part *part = uv_server__form_part(req, names[i]);
        if (part && !part->filename && part->data.len > 0 && part->data.len <= 255 &&
            strlen((const char *)part->data.data) == part->data.len)
            return (const char *)part->data.data;
    }
    return NULL;
}

/* Plain fields other than the dump and the token, as an object (to be scrubbed). */
static json_t *annotations(uv_request *req)
{
    json_t *out = json_object();
    for (size_t i = 0; out && i < req->part_count; i++) {
        const uv_form_part *p = &req->parts[i];
        if (p->filename || strcmp(p->name, DUMP_PART) == 0 || strcmp(p->name, "access_token") == 0)
            continue;
        size_t len = p->data.len < FIELD_MAX ? p->data.len : FIELD_MAX;
        /* not UTF-8 (or cut inside a character), or holding a NUL (which the stored JSON text
         * may not carry: formats/jv.h): a placeholder rather than dropped silently */
        json_t *value = len && memchr(p->data.data, 0, len)
                            ? NULL
                            : json_stringn((const char *)p->data.data, len);
        if (!value) value = json_string("[binary]");
        json_object_set_new(out, p->name, value);
    }
    return out;
}

/* Fingerprint and title from the rendered report: crash reason + the crashing thread's top
 * frames' functions (module when unnamed). */
static void group_of(json_t *report, char fingerprint[65], char *title, size_t title_len)
{
    json_t *crash = json_object_get(report, "crash_info");
    const char *reason = json_string_value(json_object_get(crash, "type"));
    json_t *frames = json_object_get(json_object_get(report, "crashing_thread"), "frames");
    uv_sha256 h;
    uv_sha256_init(&h);
    uv_sha256_update(&h, "minidump\n", 9);
    if (reason) uv_sha256_update(&h, reason, strlen(reason));
    const char *top = NULL;
    size_t used = 0;
    for (size_t i = 0; i < json_array_size(frames) && used < GROUP_FRAMES; i++) {
        json_t *f = json_array_get(frames, i);
        const char *fn = json_string_value(json_object_get(f, "function"));
        const char *module = json_string_value(json_object_get(f, "module"));
        if (!fn && !module) continue;
        uv_sha256_update(&h, "\n", 1);
        if (module) uv_sha256_update(&h, module, strlen(module));
        uv_sha256_update(&h, "!", 1);
        if (fn) uv_sha256_update(&h, fn, strlen(fn));
        if (!top && fn) top = fn;
        used++;
    }
    uint8_t digest[32];
    uv_sha256_final(&h, digest);
    for (size_t i = 0; i < 32; i++)
        snprintf(fingerprint + 2 * i, 3, "%02x", digest[i]);
    snprintf(title, title_len, "%s%s%s", reason ? reason : "crash", top ? " in " : "",
             top ? top : "");
}

void uv_server__minidump(uv_request *req)
{
    if (!uv_server__require_multipart(req)) return;
    int64_t project_id = 0;
    if (!uv_server__form_auth(req, UV_SCOPE_POST_SERVER_ITEM | UV_SCOPE_POST_CLIENT_ITEM,
                              &project_id))
        return;
    const uv_form_part *dump = uv_server__form_part(req, DUMP_PART);
    if (!dump || dump->data.len == 0) {
        uv_server__reply_error(req, 400, "missing form part '%s' (the minidump file)", DUMP_PART);
        return;
    }
    uv_store *store = uv_server__store(req);
    if (!store) return;
    static const char *const version_fields[] = {"version", "ver", "_version", NULL};
    static const char *const env_fields[] = {"environment", "env", NULL};
    const char *version = field(req, version_fields);
    const char *environment = field(req, env_fields);

    uv_crash_report *report = NULL;
    uv_buf resolved = UV_BUF_INIT;
    json_t *parsed = NULL, *raw = NULL;
    char *raw_text = NULL, *raw_json = NULL;
    uv_jv_doc *raw_doc = NULL;
    uv_crash_options options = {
        .store = store, .project_id = project_id, .no_local_files = true, .no_system_debug = true};
    int rc = uv_crash_symbolicate(&report, dump->data.data, dump->data.len, &options);
    if (rc != 0) {
        uv_server__reply_error(req, 422, "%s: %s", DUMP_PART, uv_error_last()->message);
        goto done;
    }
    rc = uv_crash_render(report, UV_CRASH_JSON, &resolved);
    if (rc == 0) rc = uv_buf_append(&resolved, "", 1);
    if (rc != 0) {
        uv_server__reply_failure(req, rc, "rendering the crash");
        goto done;
    }
    json_error_t error;
    parsed = json_loads((const char *)resolved.data, 0, &error);
    uv_crash_stats stats;
    uv_crash_get_stats(report, &stats);

    char sha[65];
    uv_sha256_digest_hex(dump->data.data, dump->data.len, sha);
    const uv_dump *d = uv_crash_report_dump(report);
    char address[32];
    snprintf(address, sizeof address, "0x%llx", (unsigned long long)d->crash_address);
    raw = json_pack("{s:{s:I,s:s,s:s,s:b},s:o,s:s,s:{s:s%,s:s}}", "minidump", "size",
                    (json_int_t)dump->data.len, "sha256", sha, "kind",
                    d->kind == UV_DUMP_MINIDUMP ? "minidump" : "core", "stored", 0, "annotations",
                    annotations(req), "platform", "native", "crash", "reason",
                    d->crash_reason.ptr ? d->crash_reason.ptr : "", d->crash_reason.len, "address",
                    address);
    if (!raw) {
        uv_server__reply_failure(req, UV_ENOMEM, "describing the crash");
        goto done;
    }
    /* Scrub the annotations like any payload, by the project's settings. */
    const uv_scrub_rules *rules = NULL;
    int64_t changed = 0;
    rc = uv_server__cache_project(req->cache, store, project_id, &rules, &changed);
    if (rc != 0) {
        uv_server__reply_failure(req, rc, "project settings");
        goto done;
    }
    raw_text = uv_server__json_text(raw);
    rc = raw_text ? uv_jv_parse(&raw_doc, raw_text, strlen(raw_text), NULL, NULL) : UV_ENOMEM;
    if (rc == 0 && uv_scrub_jv(raw_doc, rules) == (size_t)-1) rc = UV_ENOMEM;
    if (rc == 0) {
        uv_buf scrubbed = UV_BUF_INIT;
        rc = uv_jv_write(&scrubbed, raw_doc->root);
        if (rc == 0) rc = uv_buf_append(&scrubbed, "", 1);
        if (rc == 0)
            raw_json = (char *)scrubbed.data; /* owned here now */
        else
            uv_buf_free(&scrubbed);
    }
    if (rc != 0) {
        uv_server__reply_failure(req, rc, "scrubbing the crash");
        goto done;
    }
    char fingerprint[65], title[512];
    group_of(parsed, fingerprint, title, sizeof title);
    uv_occurrence_in in = {
        .project_id = project_id,
        .fingerprint = fingerprint,
        .title = title,
        .exception_class = d->crash_reason.len ? title : NULL,
        .level = "critical",
        .environment = environment,
        .version = version,
        .platform = "native",
        .source = "minidump",
        .timestamp = (int64_t)time(NULL),
        .raw_json = raw_json,
        .resolved_json = (const char *)resolved.data,
        .unresolved_frames = false, /* the dump is not kept: nothing to reprocess later */
    };
    uv_occurrence_ack ack;
    memset(&ack, 0, sizeof ack);
    rc = uv_server__writer_put(uv_server__writer(req), &in, &ack);
    if (rc == UV_SERVER_QUEUE_FULL) {
        uv_server__reply_busy(req);
        goto done;
    }
    if (rc != 0) {
        uv_server__reply_failure(req, rc, "storing the crash");
        goto done;
    }
    uv_server__metrics_occurrence(stats.frames_symbolicated,
                                  stats.frames - stats.frames_symbolicated);
    uv_server__reply_result(req, json_pack("{s:I,s:s,s:i,s:i,s:i}", "id", (json_int_t)ack.id,
                                           "uuid", ack.uuid, "threads", (int)stats.threads,
                                           "frames", (int)stats.frames, "frames_symbolicated",
                                           (int)stats.frames_symbolicated));
done:
    free(raw_json);
    uv_jv_free(raw_doc);
    free(raw_text);
    json_decref(raw);
    json_decref(parsed);
    uv_buf_free(&resolved);
    uv_crash_report_free(report);
}
