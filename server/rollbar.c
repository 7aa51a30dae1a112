/* Rollbar-compatible ingest: POST /api/1/item/ with a JSON body (or a form field `payload`),
 * answered as Rollbar does: {"err":0,"result":{"id":…,"uuid":"…"}}. */
#include "server/server_internal.h"

#include "formats/error.h"

#include <string.h>

void uv_server__rollbar_item(uv_request *req)
{
    json_t *root = uv_server__body_json(req, "payload");
    if (!root) return;
    if (!json_is_object(root)) {
        uv_server__reply_error(req, 422, "Invalid format: the payload must be a JSON object");
        goto done;
    }
    json_t *body_token = json_object_get(root, "access_token");
    if (body_token && !json_is_string(body_token)) {
        uv_server__reply_error(req, 422, "access_token must be a string");
        goto done;
    }
    int64_t project_id = 0;
    unsigned scopes = 0;
    if (!uv_server__auth(req, json_string_value(body_token),
                         UV_SCOPE_POST_SERVER_ITEM | UV_SCOPE_POST_CLIENT_ITEM, &project_id,
                         &scopes))
        goto done;
    json_t *data = json_object_get(root, "data");
    if (!json_is_object(data)) {
        uv_server__reply_error(req, 422, "Invalid format: data is missing or not an object");
        goto done;
    }
    json_t *body = json_object_get(data, "body");
    if (!json_is_object(body)) {
        uv_server__reply_error(req, 422, "Invalid format: data.body is missing or not an object");
        goto done;
    }
    if (!(scopes & UV_SCOPE_POST_SERVER_ITEM)) {
        json_t *platform = json_object_get(data, "platform");
        if (!uv_server__client_platform(json_string_value(platform))) {
            uv_server__reply_error(req, 403,
                                   "insufficient privileges: a post_client_item token may only "
                                   "post items with data.platform browser, android, ios, "
                                   "flutter or react-native");
            goto done;
        }
    }
    uv_store *store = uv_server__store(req);
    if (!store) goto done;
    uv_occurrence_ack ack;
    memset(&ack, 0, sizeof ack);
    unsigned status = 500;
    int rc = uv_server__ingest(req, project_id, root, "rollbar", &ack, &status);
    if (rc != 0) {
        if (status == 503)
            uv_server__reply_busy(req);
        else if (status == 422)
            uv_server__reply_error(req, 422, "%s", uv_error_last()->message);
        else
            uv_server__reply_failure(req, rc, "storing the item");
        goto done;
    }
    uv_server__reply_result(req,
                            json_pack("{s:I,s:s}", "id", (json_int_t)ack.id, "uuid", ack.uuid));
done:
    json_decref(root);
}
