/* The read API (token scope `read`): items, an item, its occurrences, one occurrence (the
 * scrubbed payload as received and its symbolicated form), versions; and PATCH of an item
 * (scope `write`). Answers are Rollbar-shaped: {"err":0,"result":…}. */
#include "server/server_internal.h"

#include "formats/error.h"
#include "symbolicate/report.h"

#include <string.h>

#define ITEMS_PAGE 100
#define OCCURRENCES_PAGE 20

static json_t *item_json(const uv_item *item)
{
    json_t *environments = json_array();
    const char *p = item->environments;
    while (environments && *p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len) json_array_append_new(environments, json_stringn(p, len));
        p += len + (comma ? 1 : 0);
    }
    return json_pack(
        "{s:I,s:I,s:I,s:s,s:s,s:s,s:s,s:s*,s:I,s:I,s:I,s:o,s:s*}", "id", (json_int_t)item->id,
        "project_id", (json_int_t)item->project_id, "counter", (json_int_t)item->counter, "title",
        item->title, "level", item->level, "status", uv_item_status_name(item->status),
        "fingerprint", item->fingerprint, "resolved_in_version",
        item->resolved_in_version[0] ? item->resolved_in_version : NULL, "total_occurrences",
        (json_int_t)item->total_occurrences, "first_occurrence_timestamp",
        (json_int_t)item->first_seen, "last_occurrence_timestamp", (json_int_t)item->last_seen,
        "environments", environments, "last_version",
        item->last_version[0] ? item->last_version : NULL);
}

/* Stored JSON text back to a value (null when unreadable: never fail a read for it). */
static json_t *stored_json(const char *text)
{
    if (!text) return json_null();
    json_t *value = json_loads(text, JSON_DECODE_ANY, NULL);
    return value ? value : json_null();
}

/* The symbolicated payload: stored results spliced into the stored payload (what ingest
 * stores since the results stopped carrying a second copy of the payload), or the stored text
 * as it is (older rows, crash reports; or when the two do not fit together). */
static json_t *resolved_json(const uv_occurrence *o)
{
    if (!o->raw_json || !uv_report_is_resolution(o->resolved_json))
        return stored_json(o->resolved_json);
    uv_buf merged = UV_BUF_INIT;
    json_t *value = NULL;
    if (uv_report_merge_stored(&merged, o->raw_json, strlen(o->raw_json), o->resolved_json,
                               strlen(o->resolved_json)) == 0)
        value = json_loadb((const char *)merged.data, merged.len, 0, NULL);
    uv_buf_free(&merged);
    return value ? value : stored_json(o->resolved_json);
}

static json_t *occurrence_json(const uv_occurrence *o)
{
    return json_pack(
        "{s:I,s:I,s:I,s:s,s:I,s:s*,s:s*,s:b,s:o,s:o}", "id", (json_int_t)o->id, "item_id",
        (json_int_t)o->item_id, "project_id", (json_int_t)o->project_id, "uuid", o->uuid,
        "timestamp", (json_int_t)o->timestamp, "version", o->version[0] ? o->version : NULL,
        "environment", o->environment[0] ? o->environment : NULL, "unresolved_frames",
        o->unresolved_frames, "raw", stored_json(o->raw_json), "resolved", resolved_json(o));
}

static int append_item(const uv_item *item, void *ctx)
{
    json_t *item_value = item_json(item);
    if (!item_value) return UV_ENOMEM;
    return json_array_append_new(ctx, item_value) == 0 ? 0 : UV_ENOMEM;
}

static int append_occurrence(const uv_occurrence *occurrence, void *ctx)
{
    json_t *value = occurrence_json(occurrence);
    if (!value) return UV_ENOMEM;
    return json_array_append_new(ctx, value) == 0 ? 0 : UV_ENOMEM;
}

static bool read_auth(uv_request *req, unsigned scope, int64_t *project_id, uv_store **store)
{
    unsigned scopes = 0;
    if (!uv_server__auth(req, NULL, scope, project_id, &scopes)) return false;
    *store = uv_server__store(req);
    return *store != NULL;
}

void uv_server__read_items(uv_request *req)
{
    int64_t project_id;
    uv_store *store;
    if (!read_auth(req, UV_SCOPE_READ, &project_id, &store)) return;
    int status = -1;
    const char *status_text = uv_server__query(req, "status");
    if (status_text && *status_text) {
        uv_item_status parsed;
        if (uv_item_status_parse(status_text, &parsed) != 0) {
            uv_server__reply_error(req, 400, "status: expected active, resolved or muted");
            return;
        }
        status = (int)parsed;
    }
    size_t page;
    if (!uv_server__page(req, &page)) return;
    json_t *items = json_array();
    if (!items) {
        uv_server__reply_error(req, 500, "out of memory");
        return;
    }
    int rc = uv_store_item_list(store, project_id, status, (page - 1) * ITEMS_PAGE, ITEMS_PAGE,
                                append_item, items);
    if (rc != 0) {
        json_decref(items);
        uv_server__reply_failure(req, rc, "items");
        return;
    }
    uv_server__reply_result(req, json_pack("{s:o,s:I}", "items", items, "page", (json_int_t)page));
}

void uv_server__read_item(uv_request *req)
{
    int64_t project_id;
    uv_store *store;
    if (!read_auth(req, UV_SCOPE_READ, &project_id, &store)) return;
    uv_item item;
    int rc = uv_store_item_get(store, project_id, req->id, &item);
    if (rc != 0) {
        uv_server__reply_failure(req, rc, "item");
        return;
    }
    uv_server__reply_result(req, item_json(&item));
}

void uv_server__write_item(uv_request *req)
{
    json_t *root = uv_server__body_json(req, NULL);
    if (!root) return;
    int64_t project_id;
    uv_store *store;
    if (!read_auth(req, UV_SCOPE_WRITE, &project_id, &store)) goto done;
    if (!json_is_object(root)) {
        uv_server__reply_error(req, 422,
                               "expected a JSON object with status and/or "
                               "resolved_in_version");
        goto done;
    }
    uv_item item;
    int rc = uv_store_item_get(store, project_id, req->id, &item);
    if (rc != 0) {
        uv_server__reply_failure(req, rc, "item");
        goto done;
    }
    uv_item_status status = item.status;
    json_t *status_value = json_object_get(root, "status");
    if (status_value) {
        if (!json_is_string(status_value) ||
            uv_item_status_parse(json_string_value(status_value), &status) != 0) {
            uv_server__reply_error(req, 422, "status: expected active, resolved or muted");
            goto done;
        }
    }
    const char *version = NULL;
    json_t *version_value = json_object_get(root, "resolved_in_version");
    if (version_value && !json_is_null(version_value)) {
        if (!json_is_string(version_value) || json_string_length(version_value) > 255) {
            uv_server__reply_error(req, 422,
                                   "resolved_in_version: expected a string of at most 255 bytes");
            goto done;
        }
        version = json_string_value(version_value);
    }
    if (!status_value && !version) {
        uv_server__reply_error(req, 422,
                               "nothing to change: give status and/or "
                               "resolved_in_version");
        goto done;
    }
    rc = uv_store_item_update(store, project_id, req->id, status, version);
    if (rc == 0) rc = uv_store_item_get(store, project_id, req->id, &item);
    if (rc != 0) {
        uv_server__reply_failure(req, rc, "item");
        goto done;
    }
    uv_server__reply_result(req, item_json(&item));
done:
    json_decref(root);
}

void uv_server__read_occurrences(uv_request *req)
{
    int64_t project_id;
    uv_store *store;
    if (!read_auth(req, UV_SCOPE_READ, &project_id, &store)) return;
    size_t page;
    if (!uv_server__page(req, &page)) return;
    uv_item item;
    int rc = uv_store_item_get(store, project_id, req->id, &item);
    if (rc != 0) {
        uv_server__reply_failure(req, rc, "item");
        return;
    }
    json_t *list = json_array();
    if (!list) {
        uv_server__reply_error(req, 500, "out of memory");
        return;
    }
    rc = uv_store_occurrence_list(store, project_id, req->id, (page - 1) * OCCURRENCES_PAGE,
                                  OCCURRENCES_PAGE, append_occurrence, list);
    if (rc != 0) {
        json_decref(list);
        uv_server__reply_failure(req, rc, "occurrences");
        return;
    }
    uv_server__reply_result(req,
                            json_pack("{s:o,s:I}", "instances", list, "page", (json_int_t)page));
}

void uv_server__read_occurrence(uv_request *req)
{
    int64_t project_id;
    uv_store *store;
    if (!read_auth(req, UV_SCOPE_READ, &project_id, &store)) return;
    uv_occurrence occurrence;
    memset(&occurrence, 0, sizeof occurrence);
    int rc = uv_store_occurrence_get(store, project_id, req->id, &occurrence);
    if (rc != 0) {
        uv_server__reply_failure(req, rc, "occurrence");
        return;
    }
    json_t *value = occurrence_json(&occurrence);
    uv_occurrence_clear(&occurrence);
    uv_server__reply_result(req, value);
}

static int append_version(const char *version, int64_t first_seen, void *ctx)
{
    json_t *value =
        json_pack("{s:s,s:I}", "version", version, "first_seen", (json_int_t)first_seen);
    if (!value) return UV_ENOMEM;
    return json_array_append_new(ctx, value) == 0 ? 0 : UV_ENOMEM;
}

void uv_server__read_versions(uv_request *req)
{
    int64_t project_id;
    uv_store *store;
    if (!read_auth(req, UV_SCOPE_READ, &project_id, &store)) return;
    json_t *list = json_array();
    if (!list) {
        uv_server__reply_error(req, 500, "out of memory");
        return;
    }
    int rc = uv_store_version_list(store, project_id, append_version, list);
    if (rc != 0) {
        json_decref(list);
        uv_server__reply_failure(req, rc, "versions");
        return;
    }
    uv_server__reply_result(req, json_pack("{s:o}", "versions", list));
}
