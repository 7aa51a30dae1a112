/* Build-side uploads over HTTP, multipart/form-data as Rollbar's:
 *   POST /api/1/sourcemap  access_token (or the header), version, minified_url, source_map (the
 *                          map file) and further parts named by source path holding original
 *                          sources → kind "sourcemap" key minified_url, kind "source" key
 *                          minified_url "\n" path — what `unravel upload sourcemaps` stores.
 *   POST /api/1/symbols    version and one or more ELF files → what `unravel upload symbols`
 *                          stores (kind "debuginfo" or "executable" by file name and build-id).
 * Both validate before storing anything, store in one go, and queue the version's unresolved
 * occurrences for background reprocessing. */
#include "server/server_internal.h"

#include "formats/error.h"
#include "formats/sourcemap.h"
#include "upload/symbols.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Same ceilings as the store's columns: versions and URLs are short texts. */
#define VERSION_MAX 255
#define URL_MAX 4096

/* A required text field: present, non-empty, at most `max` bytes, no NUL inside. NULL after
 * replying 400. */
static const char *text_field(uv_request *req, const char *name, size_t max)
{
    const uv_form_part *part = uv_server__form_part(req, name);
    if (!part || part->data.len == 0) {
        uv_server__reply_error(req, 400, "missing form field '%s'", name);
        return NULL;
    }
    const char *text = (const char *)part->data.data;
    if (part->data.len > max || strlen(text) != part->data.len) {
        uv_server__reply_error(req, 400, "form field '%s': expected text of at most %zu bytes",
                               name, max);
        return NULL;
    }
    return text;
}

static bool is_field(const char *name, const char *const *fields)
{
    for (size_t i = 0; fields[i]; i++)
        if (strcmp(name, fields[i]) == 0) return true;
    return false;
}

bool uv_server__form_auth(uv_request *req, unsigned any_of, int64_t *project_id)
{
    const uv_form_part *token = uv_server__form_part(req, "access_token");
    const char *body_token = NULL;
    if (token && !token->filename && token->data.len > 0 && token->data.len < 128 &&
        strlen((const char *)token->data.data) == token->data.len)
        body_token = (const char *)token->data.data;
    unsigned scopes = 0;
    return uv_server__auth(req, body_token, any_of, project_id, &scopes);
}

/* Token with an upload scope. */
static bool upload_auth(uv_request *req, int64_t *project_id)
{
    return uv_server__form_auth(req, UV_SCOPE_POST_SERVER_ITEM, project_id);
}

bool uv_server__require_multipart(uv_request *req)
{
    if (req->parts || req->part_count) return true;
    const char *type =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (type && strncasecmp(type, "multipart/form-data", 19) == 0) {
        uv_server__reply_error(req, 400, "empty multipart/form-data body");
        return false;
    }
    uv_server__reply_error(req, 415, "expected a multipart/form-data body");
    return false;
}

void uv_server__upload_sourcemap(uv_request *req)
{
    if (!uv_server__require_multipart(req)) return;
    int64_t project_id = 0;
    if (!upload_auth(req, &project_id)) return;
    const char *version = text_field(req, "version", VERSION_MAX);
    if (!version) return;
    const char *minified_url = text_field(req, "minified_url", URL_MAX);
    if (!minified_url) return;
    const uv_form_part *map_part = uv_server__form_part(req, "source_map");
    if (!map_part || map_part->data.len == 0) {
        uv_server__reply_error(req, 400, "missing form part 'source_map' (the map file)");
        return;
    }
    uv_sourcemap *map = NULL;
    int rc = uv_sourcemap_parse(&map, (const char *)map_part->data.data, map_part->data.len);
    if (rc != 0) {
        uv_server__reply_error(req, 422, "source_map%s%s: %s", map_part->filename ? " " : "",
                               map_part->filename ? map_part->filename : "",
                               uv_error_last()->message);
        return;
    }
    char debug_id[64] = "";
    uv_str map_debug = uv_sourcemap_debug_id(map);
    if (map_debug.len && map_debug.len < sizeof debug_id)
        snprintf(debug_id, sizeof debug_id, "%.*s", (int)map_debug.len, map_debug.ptr);
    uv_sourcemap_free(map);

    static const char *const fields[] = {"access_token", "version", "minified_url", "source_map",
                                         NULL};
    uv_store *store = uv_server__store(req);
    if (!store) return;
    /* Blobs first (content-addressed, harmless if the index write fails), then the index rows
     * in one transaction. */
    char map_hex[UV_HASH_HEX];
    rc = uv_store_blob_put(store, map_part->data.data, map_part->data.len, map_hex);
    char(*source_hex)[UV_HASH_HEX] = calloc(req->part_count, sizeof *source_hex);
    if (rc == 0 && !source_hex) rc = uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    for (size_t i = 0; rc == 0 && i < req->part_count; i++) {
        const uv_form_part *part = &req->parts[i];
        if (is_field(part->name, fields)) continue;
        if (!part->name[0] || strlen(part->name) > URL_MAX) {
            rc = uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                              "form part %zu: a source needs its path as the part name", i);
            break;
        }
        rc = uv_store_blob_put(store, part->data.data, part->data.len, source_hex[i]);
    }
    bool began = false;
    if (rc == 0) rc = uv_store_begin(store);
    if (rc == 0) began = true;
    if (rc == 0)
        rc = uv_store_artifact_put(store, project_id, version, "sourcemap", minified_url, map_hex,
                                   map_part->data.len, debug_id[0] ? debug_id : NULL, NULL);
    size_t sources = 0;
    uv_buf key = UV_BUF_INIT;
    for (size_t i = 0; rc == 0 && i < req->part_count; i++) {
        const uv_form_part *part = &req->parts[i];
        if (is_field(part->name, fields)) continue;
        key.len = 0;
        rc = uv_buf_printf(&key, "%s\n%s", minified_url, part->name);
        if (rc == 0) rc = uv_buf_append(&key, "", 1);
        if (rc == 0)
            rc = uv_store_artifact_put(store, project_id, version, "source", (const char *)key.data,
                                       source_hex[i], part->data.len, NULL, NULL);
        if (rc == 0) sources++;
    }
    uv_buf_free(&key);
    free(source_hex);
    if (rc == 0 && began) rc = uv_store_commit(store);
    if (rc != 0) {
        if (began) uv_store_rollback(store);
        uv_server__reply_failure(req, rc, "storing the source map");
        return;
    }
    uv_server__reprocess_request(uv_server__reprocessor(req), project_id, version);
    uv_server__reply_result(req, json_pack("{s:s,s:s,s:I,s:s?}", "version", version, "minified_url",
                                           minified_url, "sources", (json_int_t)sources, "debug_id",
                                           debug_id[0] ? debug_id : NULL));
}

typedef struct {
    json_t *files;
    char problem[768]; /* the first error */
} symbols_ctx;

static void on_symbol_problem(void *ctx, uv_upload_severity severity, const char *path,
                              const char *message)
{
    symbols_ctx *c = ctx;
    if (severity == UV_UPLOAD_ERROR && !c->problem[0])
        snprintf(c->problem, sizeof c->problem, "%s: %s", path, message);
}

static void on_symbol_file(void *ctx, const uv_symbol_file_info *info)
{
    symbols_ctx *c = ctx;
    if (!c->files || !info->stored) return;
    json_array_append_new(c->files,
                          json_pack("{s:s,s:s,s:s?,s:s?,s:b,s:b}", "name", info->path, "kind",
                                    info->kind, "arch", info->arch, "build_id",
                                    info->build_id[0] ? info->build_id : NULL, "debug_info",
                                    info->has_debug_info, "symtab", info->has_symtab));
}

void uv_server__upload_symbols(uv_request *req)
{
    if (!uv_server__require_multipart(req)) return;
    int64_t project_id = 0;
    if (!upload_auth(req, &project_id)) return;
    const char *version = text_field(req, "version", VERSION_MAX);
    if (!version) return;
    static const char *const fields[] = {"access_token", "version", NULL};
    size_t files = 0;
    for (size_t i = 0; i < req->part_count; i++)
        if (!is_field(req->parts[i].name, fields)) files++;
    if (files == 0) {
        uv_server__reply_error(req, 400, "no debug files: send ELF files as form parts");
        return;
    }
    uv_store *store = uv_server__store(req);
    if (!store) return;
    symbols_ctx ctx = {0};
    uv_upload_symbols_options options = {
        .dry_run = true,
        .store = store,
        .project_id = project_id,
        .version = version,
        .report = on_symbol_problem,
        .file = on_symbol_file,
        .ctx = &ctx,
    };
    /* Validate every file first: a request that carries one bad file stores none. */
    uv_upload_symbols_summary summary;
    memset(&summary, 0, sizeof summary);
    int rc = 0;
    for (size_t pass = 0; rc == 0 && pass < 2; pass++) {
        options.dry_run = pass == 0;
        if (pass == 1) ctx.files = json_array();
        memset(&summary, 0, sizeof summary);
        for (size_t i = 0; rc == 0 && i < req->part_count; i++) {
            const uv_form_part *part = &req->parts[i];
            if (is_field(part->name, fields)) continue;
            const char *name = part->filename && part->filename[0] ? part->filename : part->name;
            rc = uv_upload_symbols_bytes(&options, name, part->data.data, part->data.len, &summary);
        }
        if (rc == 0 && summary.errors > 0) {
            uv_server__reply_error(req, 422, "%s", ctx.problem[0] ? ctx.problem : "invalid file");
            json_decref(ctx.files);
            return;
        }
    }
    if (rc != 0) {
        json_decref(ctx.files);
        uv_server__reply_failure(req, rc, "storing debug files");
        return;
    }
    uv_server__reprocess_request(uv_server__reprocessor(req), project_id, version);
    uv_server__reply_result(req, json_pack("{s:s,s:o}", "version", version, "files", ctx.files));
}
