/* Background reprocessing: occurrences stored before their source maps or debug files arrived
 * keep a flag (unresolved_frames). When an upload for (project, version) comes in over HTTP,
 * that pair is queued here; one thread re-symbolicates the version's flagged occurrences with
 * its own store handle and replaces their resolved form. Requests never wait for it. */
#include "server/server_internal.h"

#include "formats/error.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Distinct (project, version) pairs waiting: uploads of one build come in bursts for one
 * version, so a handful suffices; past it a request is dropped (and logged). */
#define REPROCESS_QUEUE 64
/* Occurrences re-symbolicated per pass over one version: bounds the memory of the raw
 * payloads held at once; a later upload of the version continues with the rest. */
#define REPROCESS_BATCH 10000
#define VERSION_MAX 256

typedef struct {
    int64_t project_id;
    char version[VERSION_MAX];
} job;

struct uv_server_reprocess {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    job queue[REPROCESS_QUEUE];
    size_t count;
    bool stopping;
    pthread_t thread;
    uv_store *store;
};

typedef struct {
    int64_t id;
    char *raw_json;
} todo;

typedef struct {
    todo *items;
    size_t count, cap;
    int rc;
} todo_list;

static int collect(const uv_occurrence *occurrence, void *ctx)
{
    todo_list *list = ctx;
    if (list->count >= REPROCESS_BATCH) return 1;
    todo *grown = uv_array_grow(list->items, &list->cap, list->count, sizeof *grown, 16);
    char *raw = grown && occurrence->raw_json ? strdup(occurrence->raw_json) : NULL;
    if (!raw) {
        if (grown) list->items = grown;
        list->rc = uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
        return 1;
    }
    list->items = grown;
    list->items[list->count++] = (todo){occurrence->id, raw};
    return 0;
}

static void run_job(uv_store *store, const job *j)
{
    todo_list list = {0};
    int rc = uv_store_occurrence_each_unresolved(store, j->project_id, j->version, collect, &list);
    if (rc == 0) rc = list.rc;
    if (rc != 0)
        fprintf(stderr, "unravel serve: reprocessing version %s: %s\n", j->version,
                uv_error_last()->message);
    size_t updated = 0, still = 0;
    for (size_t i = 0; i < list.count; i++) {
        uv_buf resolved = UV_BUF_INIT;
        bool unresolved = true;
        int one = uv_server__resolve_again(store, j->project_id, list.items[i].raw_json, &resolved,
                                           &unresolved);
        if (one == 0)
            one = uv_store_occurrence_set_resolved(store, list.items[i].id,
                                                   (const char *)resolved.data, unresolved);
        if (one != 0)
            fprintf(stderr, "unravel serve: reprocessing occurrence %lld: %s\n",
                    (long long)list.items[i].id, uv_error_last()->message);
        else if (unresolved)
            still++;
        else
            updated++;
        uv_buf_free(&resolved);
        free(list.items[i].raw_json);
    }
    free(list.items);
    if (list.count)
        fprintf(stderr,
                "unravel serve: reprocessed %zu occurrences of version %s (%zu resolved, %zu "
                "still missing artifacts)\n",
                list.count, j->version, updated, still);
}

static void *reprocess_main(void *arg)
{
    uv_server_reprocess *r = arg;
    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (r->count == 0 && !r->stopping)
            pthread_cond_wait(&r->wake, &r->lock);
        if (r->stopping) break;
        job j = r->queue[0];
        memmove(&r->queue[0], &r->queue[1], (r->count - 1) * sizeof r->queue[0]);
        r->count--;
        pthread_mutex_unlock(&r->lock);
        run_job(r->store, &j);
        pthread_mutex_lock(&r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

int uv_server__reprocess_start(uv_server_reprocess **out, const char *store_dir)
{
    *out = NULL;
    uv_server_reprocess *r = calloc(1, sizeof *r);
    if (!r) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    int rc = uv_store_open(&r->store, store_dir, UV_STORE_CREATE);
    if (rc != 0) {
        free(r);
        return rc;
    }
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->wake, NULL);
    int err = pthread_create(&r->thread, NULL, reprocess_main, r);
    if (err != 0) {
        pthread_cond_destroy(&r->wake);
        pthread_mutex_destroy(&r->lock);
        uv_store_close(r->store);
        free(r);
        return uv_error_set(UV_EIO, UV_LIB_OS, err, "cannot start the reprocessing thread");
    }
    *out = r;
    return 0;
}

void uv_server__reprocess_request(uv_server_reprocess *r, int64_t project_id, const char *version)
{
    if (!r || !version || strlen(version) >= VERSION_MAX) return;
    pthread_mutex_lock(&r->lock);
    bool queued = false;
    for (size_t i = 0; i < r->count && !queued; i++)
        queued = r->queue[i].project_id == project_id && strcmp(r->queue[i].version, version) == 0;
    if (!queued) {
        if (r->count < REPROCESS_QUEUE) {
            job *j = &r->queue[r->count++];
            j->project_id = project_id;
            snprintf(j->version, sizeof j->version, "%s", version);
            pthread_cond_signal(&r->wake);
        } else {
            fprintf(stderr, "unravel serve: reprocessing queue full; version %s skipped\n",
                    version);
        }
    }
    pthread_mutex_unlock(&r->lock);
}

void uv_server__reprocess_stop(uv_server_reprocess *r)
{
    if (!r) return;
    pthread_mutex_lock(&r->lock);
    r->stopping = true;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->lock);
    uv_store_close(r->store);
    free(r);
}
