/* Rollbar-compatible deploys: POST /api/1/deploy (post_server_item), GET /api/1/deploys
 * (read), GET /api/1/deploy/ID (read), PATCH /api/1/deploy/ID (post_server_item or write;
 * only while the deploy is `started`, else 409). */
#include "server/server_internal.h"

#include "formats/error.h"

#include <stdio.h>
#include <string.h>

static bool status_valid(const char *status)
{
    return strcmp(status, "started") == 0 || strcmp(status, "succeeded") == 0 ||
           strcmp(status, "failed") == 0 || strcmp(status, "timed_out") == 0;
}

static json_t *deploy_json(const uv_deploy *d)
{
    return json_pack(
        "{s:I,s:I,s:s,s:s,s:s,s:s*,s:s*,s:I,s:o}", "id", (json_int_t)d->id, "project_id",
        (json_int_t)d->project_id, "environment", d->environment, "revision", d->revision, "status",
        d->status, "comment", d->comment[0] ? d->comment : NULL, "local_username",
        d->local_username[0] ? d->local_username : NULL, "start_time", (json_int_t)d->start_time,
        "finish_time", d->finish_time ? json_integer(d->finish_time) : json_null());
}

/* Copies the string member `key` into out (of out_len bytes); false after replying 422 when
 * it has the wrong type or does not fit; `required` members must be present. */
static bool take_string(uv_request *req, json_t *root, const char *key, bool required, char *out,
                        size_t out_len)
{
    json_t *value = json_object_get(root, key);
    if (!value || json_is_null(value)) {
        if (required) uv_server__reply_error(req, 422, "%s is required", key);
        return !required;
    }
    if (!json_is_string(value)) {
        uv_server__reply_error(req, 422, "%s must be a string", key);
        return false;
    }
    size_t len = json_string_length(value);
    if (len >= out_len || (required && len == 0)) {
        uv_server__reply_error(req, 422, "%s must be 1 to %zu bytes", key, out_len - 1);
        return false;
    }
    memcpy(out, json_string_value(value), len + 1);
    return true;
}

void uv_server__deploy_create(uv_request *req)
{
    json_t *root = uv_server__body_json(req, NULL);
    if (!root) return;
    if (!json_is_object(root)) {
        uv_server__reply_error(req, 422, "expected a JSON object");
        goto done;
    }
    json_t *token = json_object_get(root, "access_token");
    int64_t project_id;
    unsigned scopes;
    if (!uv_server__auth(req, json_string_value(token), UV_SCOPE_POST_SERVER_ITEM, &project_id,
                         &scopes))
        goto done;
    uv_deploy deploy;
    memset(&deploy, 0, sizeof deploy);
    deploy.project_id = project_id;
    strcpy(deploy.status, "started");
    if (!take_string(req, root, "environment", true, deploy.environment,
                     sizeof deploy.environment) ||
        !take_string(req, root, "revision", true, deploy.revision, sizeof deploy.revision) ||
        !take_string(req, root, "local_username", false, deploy.local_username,
                     sizeof deploy.local_username) ||
        !take_string(req, root, "comment", false, deploy.comment, sizeof deploy.comment) ||
        !take_string(req, root, "status", false, deploy.status, sizeof deploy.status))
        goto done;
    if (!status_valid(deploy.status)) {
        uv_server__reply_error(req, 422,
                               "status: expected started, succeeded, failed or timed_out");
        goto done;
    }
    uv_store *store = uv_server__store(req);
    if (!store) goto done;
    int rc = uv_store_deploy_create(store, &deploy);
    if (rc != 0) {
        uv_server__reply_failure(req, rc, "deploy");
        goto done;
    }
    uv_server__reply_json(
        req, 200, json_pack("{s:i,s:{s:I}}", "err", 0, "data", "deploy_id", (json_int_t)deploy.id));
done:
    json_decref(root);
}

static int append_deploy(const uv_deploy *deploy, void *ctx)
{
    json_t *value = deploy_json(deploy);
    if (!value) return UV_ENOMEM;
    return json_array_append_new(ctx, value) == 0 ? 0 : UV_ENOMEM;
}

void uv_server__deploy_list(uv_request *req)
{
    int64_t project_id;
    unsigned scopes;
    if (!uv_server__auth(req, NULL, UV_SCOPE_READ, &project_id, &scopes)) return;
    size_t page;
    if (!uv_server__page(req, &page)) return;
    uv_store *store = uv_server__store(req);
    if (!store) return;
    json_t *list = json_array();
    if (!list) {
        uv_server__reply_error(req, 500, "out of memory");
        return;
    }
    int rc = uv_store_deploy_list(store, project_id, page, append_deploy, list);
    if (rc != 0) {
        json_decref(list);
        uv_server__reply_failure(req, rc, "deploys");
        return;
    }
    uv_server__reply_result(req, json_pack("{s:o,s:I}", "deploys", list, "page", (json_int_t)page));
}

void uv_server__deploy_get(uv_request *req)
{
    int64_t project_id;
    unsigned scopes;
    if (!uv_server__auth(req, NULL, UV_SCOPE_READ, &project_id, &scopes)) return;
    uv_store *store = uv_server__store(req);
    if (!store) return;
    uv_deploy deploy;
    int rc = uv_store_deploy_get(store, project_id, req->id, &deploy);
    if (rc != 0) {
        uv_server__reply_failure(req, rc, "deploy");
        return;
    }
    uv_server__reply_result(req, deploy_json(&deploy));
}

void uv_server__deploy_patch(uv_request *req)
{
    json_t *root = uv_server__body_json(req, NULL);
    if (!root) return;
    if (!json_is_object(root)) {
        uv_server__reply_error(req, 422, "expected a JSON object with status");
        goto done;
    }
    json_t *token = json_object_get(root, "access_token");
    int64_t project_id;
    unsigned scopes;
    if (!uv_server__auth(req, json_string_value(token), UV_SCOPE_POST_SERVER_ITEM | UV_SCOPE_WRITE,
                         &project_id, &scopes))
        goto done;
    char status[16], comment[1024] = "";
    if (!take_string(req, root, "status", true, status, sizeof status) ||
        !take_string(req, root, "comment", false, comment, sizeof comment))
        goto done;
    if (!status_valid(status)) {
        uv_server__reply_error(req, 422,
                               "status: expected started, succeeded, failed or timed_out");
        goto done;
    }
    uv_store *store = uv_server__store(req);
    if (!store) goto done;
    int rc =
        uv_store_deploy_set_status(store, project_id, req->id, status, comment[0] ? comment : NULL);
    uv_deploy deploy;
    if (rc == 0) rc = uv_store_deploy_get(store, project_id, req->id, &deploy);
    if (rc != 0) {
        uv_server__reply_failure(req, rc, "deploy");
        goto done;
    }
    uv_server__reply_result(req, deploy_json(&deploy));
done:
    json_decref(root);
}
