/* Rollbar-compatible ingest: POST /api/1/item/ with a JSON body (or a form field `payload`),
 * answered as Rollbar does: {"err":0,"result":{"id":…,"uuid":"…"}}. */
#include "server/server_internal.h"

#include "formats/error.h"

#include <string.h>

void uv_server__rollbar_item(uv_request *req)
{
    uv_jv_doc *doc = uv_server__body_jv(req, "payload");
    if (!doc) return;
    const uv_jv *root = doc->root;
    if (!uv_jv_is(root, UV_JV_OBJECT)) {
        uv_server__reply_error(req, 422, "Invalid format: the payload must be a JSON object");
        goto done;
    }
    const uv_jv *body_token = uv_jv_get(root, "access_token");
    if (body_token && !uv_jv_is(body_token, UV_JV_STRING)) {
        uv_server__reply_error(req, 422, "access_token must be a string");
        goto done;
    }
    int64_t project_id = 0;
    unsigned scopes = 0;
    if (!uv_server__auth(req, uv_jv_string(body_token),
                         UV_SCOPE_POST_SERVER_ITEM | UV_SCOPE_POST_CLIENT_ITEM, &project_id,
                         &scopes))
        goto done;
    const uv_jv *data = uv_jv_get(root, "data");
    if (!uv_jv_is(data, UV_JV_OBJECT)) {
        uv_server__reply_error(req, 422, "Invalid format: data is missing or not an object");
        goto done;
    }
    const uv_jv *body = uv_jv_get(data, "body");
    if (!uv_jv_is(body, UV_JV_OBJECT)) {
        uv_server__reply_error(req, 422, "Invalid format: data.body is missing or not an object");
        goto done;
    }
    if (!(scopes & UV_SCOPE_POST_SERVER_ITEM)) {
        const uv_jv *platform = uv_jv_get(data, "platform");
        if (!uv_server__client_platform(uv_jv_string(platform))) {
            uv_server__reply_error(req, 403,
                                   "insufficient privileges: a post_client_item token may only "
                                   "post items with data.platform browser, android, ios, "
                                   "flutter or react-native");
            goto done;
        }
    }
    if (!uv_server__store(req)) goto done;
    uv_server__ingest_answer(req, project_id, doc, "rollbar"); /* owns doc now */
    return;
done:
    uv_jv_free(doc);
}
