/* Raygun-compatible ingest: POST /entries (one entry) and POST /entries/bulk (an array),
 * authenticated by X-ApiKey or ?apikey=, answered 202 with an empty body as Raygun does. */
#include "server/server_internal.h"

#include "formats/error.h"

#include <stdio.h>
#include <string.h>

/* A bulk post holds at most this many entries (raygun4js batches far fewer). */
#define BULK_MAX 100

static bool entry_valid(uv_request *req, const uv_jv *entry, size_t index, bool bulk,
                        bool client_only)
{
    char where[32] = "";
    if (bulk) snprintf(where, sizeof where, "entry %zu: ", index);
    if (!uv_jv_is(entry, UV_JV_OBJECT)) {
        uv_server__reply_error(req, 422, "%sthe entry must be a JSON object", where);
        return false;
    }
    const uv_jv *details = uv_jv_get_ci(entry, "details");
    if (!uv_jv_is(details, UV_JV_OBJECT)) {
        uv_server__reply_error(req, 422, "%sDetails is missing or not an object", where);
        return false;
    }
    if (client_only) {
        const uv_jv *client = uv_jv_get_ci(details, "client");
        const char *name = uv_jv_string(uv_jv_get_ci(client, "name"));
        if (!name || !strstr(name, "raygun4js")) {
            uv_server__reply_error(req, 403,
                                   "%sinsufficient privileges: a post_client_item token may only "
                                   "post entries from raygun4js",
                                   where);
            return false;
        }
    }
    return true;
}

void uv_server__raygun_entries(uv_request *req, bool bulk)
{
    uv_jv_doc *doc = uv_server__body_jv(req, NULL);
    if (!doc) return;
    const uv_jv *root = doc->root;
    uv_jv_doc *entry_doc = NULL;
    int64_t project_id = 0;
    unsigned scopes = 0;
    if (!uv_server__auth(req, NULL, UV_SCOPE_POST_SERVER_ITEM | UV_SCOPE_POST_CLIENT_ITEM,
                         &project_id, &scopes))
        goto done;
    bool client_only = !(scopes & UV_SCOPE_POST_SERVER_ITEM);
    size_t count = 1;
    if (bulk) {
        if (!uv_jv_is(root, UV_JV_ARRAY)) {
            uv_server__reply_error(req, 422, "/entries/bulk expects a JSON array of entries");
            goto done;
        }
        count = root->len;
        if (count > BULK_MAX) {
            uv_server__reply_error(req, 413, "at most %d entries a bulk post", BULK_MAX);
            goto done;
        }
    }
    /* Validate every entry before storing any. */
    const uv_jv *entry = bulk ? root->first : root;
    for (size_t i = 0; i < count; i++, entry = entry->next)
        if (!entry_valid(req, entry, i, bulk, client_only)) goto done;
    if (!uv_server__store(req)) goto done;
    if (!bulk) {
        uv_server__ingest_answer(req, project_id, doc, "raygun"); /* owns doc now */
        return;
    }
    entry = root->first;
    for (size_t i = 0; i < count; i++, entry = entry->next) {
        uv_occurrence_ack ack;
        memset(&ack, 0, sizeof ack);
        unsigned status = 500;
        /* Each entry of a bulk post is a payload of its own: its text parsed alone (it was
         * valid inside the array, so it is valid alone). */
        uv_jv_free(entry_doc);
        entry_doc = NULL;
        int rc = uv_jv_parse(&entry_doc, doc->text + entry->start, entry->end - entry->start, NULL,
                             NULL);
        if (rc == 0) rc = uv_server__ingest(req, project_id, entry_doc, "raygun", &ack, &status);
        if (rc != 0) {
            char what[32];
            snprintf(what, sizeof what, "entry %zu", i);
            if (status == 503)
                uv_server__reply_busy(req);
            else if (status == 422)
                uv_server__reply_error(req, 422, "%s: %s", what, uv_error_last()->message);
            else
                uv_server__reply_failure(req, rc, what);
            goto done;
        }
    }
    uv_server__reply_empty(req, 202);
done:
    uv_jv_free(entry_doc);
    uv_jv_free(doc);
}
