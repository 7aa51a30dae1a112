/* Group commit at ingest. One writer thread owns a store handle for occurrence writes. Request
 * threads do everything else (scrub, symbolicate, fingerprint, pack) on their own handles, then
 * queue their uv_occurrence_in; the writer takes everything queued (up to BATCH_MAX) and stores
 * it with one uv_store_occurrence_put_batch (one transaction). Only once that commit is on disk
 * is each write answered — a suspended connection resumed (the event threads' ingest, http.c),
 * a waiting thread woken (uv_server__writer_put) — so every 200/202 is durable.
 *
 * The disk flush is the slowest step (~0.4–3 ms on these disks), so it is overlapped: the
 * writer's handle commits without waiting for the disk (uv_store_defer_sync) and hands the
 * group to a syncer thread, which flushes the log (uv_store_log_flush) and answers the group,
 * while the writer already runs the next group's statements. The writer then waits until the
 * syncer has taken that group (one group ahead at most), so groups gather what arrives during
 * a flush instead of the log filling with small commits. The log is copied into the database
 * by the writer, durably, every few MB (uv_store_log_checkpoint). Where deferral is not
 * available each commit syncs itself, as SQLite's synchronous=FULL does.
 *
 * SQLite with synchronous=FULL commits a few thousand transactions a second on these disks but
 * tens of thousands of rows a second in groups: batching is what makes ≥ 10,000 acknowledged
 * occurrences a second possible on two cores. */
#include "server/server_internal.h"

#include "formats/error.h"

#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Occurrences per transaction: past ~64 rows the fsync is already amortised, and a larger
 * group only makes the first waiter of the group wait longer. */
#define BATCH_MAX 64

struct uv_server_writer {
    pthread_mutex_t lock;
    pthread_cond_t wake;     /* the writer: work queued or stop */
    uv_server_write **queue; /* ring of `capacity` */
    size_t capacity, head, count;
    bool stopping;
    pthread_t thread;
    uv_store *store;
    unsigned long long batches, occurrences; /* totals, for the log at stop */
    /* Deferred sync: the writer commits without waiting for the disk and hands the group's
     * successful writes to the syncer, which flushes the log and answers them, while the
     * writer already runs the next group's statements. At most one group waits for the
     * syncer: the writer waits until it is taken, so the next group gathers what arrived
     * during the flush instead of the log filling with small commits. */
    bool deferred;
    bool syncer_running, syncer_stopping;
    pthread_t syncer;
    pthread_cond_t sync_wake;  /* the syncer: a group committed, or stop */
    pthread_cond_t sync_taken; /* the writer: the syncer took the committed group */
    uv_server_write *committed[BATCH_MAX];
    size_t committed_count;
};

/* Stores one group; fills rc/ack/error of each. All or nothing per transaction: when the
 * group fails (one bad occurrence), each is retried alone so only the bad one fails. */
static void write_group(uv_store *store, uv_server_write **group, size_t n)
{
    uv_occurrence_in in[BATCH_MAX];
    uv_occurrence_ack out[BATCH_MAX];
    memset(out, 0, sizeof out);
    for (size_t i = 0; i < n; i++)
        in[i] = *group[i]->in;
    int rc = uv_store_occurrence_put_batch(store, in, n, out);
    if (rc == 0) {
        for (size_t i = 0; i < n; i++) {
            *group[i]->ack = out[i];
            group[i]->rc = 0;
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        group[i]->rc = n == 1 ? rc : uv_store_occurrence_put(store, &in[i], &out[i]);
        if (group[i]->rc == 0)
            *group[i]->ack = out[i];
        else
            group[i]->error = *uv_error_last();
    }
}

static void *writer_main(void *arg)
{
    uv_server_writer *w = arg;
    uv_server_write *group[BATCH_MAX];
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (w->count == 0 && !w->stopping)
            pthread_cond_wait(&w->wake, &w->lock);
        if (w->count == 0) break; /* stopping and drained */
        size_t n = w->count < BATCH_MAX ? w->count : BATCH_MAX;
        for (size_t i = 0; i < n; i++) {
            group[i] = w->queue[w->head];
            w->head = (w->head + 1) % w->capacity;
        }
        w->count -= n;
        pthread_mutex_unlock(&w->lock);
        write_group(w->store, group, n);
        /* Each write is answered on its own (a waiting thread's semaphore, or a suspended
         * connection resumed), not through a shared condition: no herd of wake-ups per commit.
         * Its owner may free it the moment `done` runs: it is not touched after. Failed writes
         * are answered now; stored ones once durable — after this commit's own sync, or
         * (deferred) after the syncer's flush. */
        size_t stored = 0;
        for (size_t i = 0; i < n; i++) {
            if (w->deferred && group[i]->rc == 0)
                group[stored++] = group[i];
            else
                group[i]->done(group[i]);
        }
        pthread_mutex_lock(&w->lock);
        w->batches++;
        w->occurrences += n;
        if (stored > 0) {
            memcpy(w->committed, group, stored * sizeof *group);
            w->committed_count = stored;
            pthread_cond_signal(&w->sync_wake);
        }
        /* A due checkpoint runs now, while the syncer flushes: the group just committed need
         * not wait for it (its flush began after its commit either way). */
        if (w->deferred && uv_store_log_due(w->store)) {
            pthread_mutex_unlock(&w->lock);
            if (uv_store_log_checkpoint(w->store) != 0) /* syncs the log too */
                fprintf(stderr, "unravel serve: %s\n", uv_error_last()->message);
            pthread_mutex_lock(&w->lock);
        }
        while (w->committed_count > 0)
            pthread_cond_wait(&w->sync_taken, &w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void *syncer_main(void *arg)
{
    uv_server_writer *w = arg;
    uv_server_write *group[BATCH_MAX];
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (w->committed_count == 0 && !w->syncer_stopping)
            pthread_cond_wait(&w->sync_wake, &w->lock);
        size_t n = w->committed_count;
        if (n == 0) break; /* stopping and drained */
        memcpy(group, w->committed, n * sizeof *group);
        w->committed_count = 0;
        pthread_cond_signal(&w->sync_taken);
        pthread_mutex_unlock(&w->lock);
        /* Every commit of the group returned before this flush began: durable after it. */
        int rc = uv_store_log_flush(w->store);
        for (size_t i = 0; i < n; i++) {
            if (rc != 0) {
                group[i]->rc = rc;
                group[i]->error = *uv_error_last();
            }
            group[i]->done(group[i]);
        }
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Lets the syncer answer what it holds and joins it. */
static void syncer_stop(uv_server_writer *w)
{
    if (!w->syncer_running) return;
    pthread_mutex_lock(&w->lock);
    w->syncer_stopping = true;
    pthread_cond_signal(&w->sync_wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->syncer, NULL);
    w->syncer_running = false;
}

int uv_server__writer_start(uv_server_writer **out, const char *store_dir, size_t capacity)
{
    *out = NULL;
    uv_server_writer *w = calloc(1, sizeof *w);
    if (!w) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    w->capacity = capacity ? capacity : 1;
    w->queue = calloc(w->capacity, sizeof *w->queue);
    if (!w->queue) {
        free(w);
        return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory");
    }
    int rc = uv_store_open(&w->store, store_dir, UV_STORE_CREATE);
    if (rc != 0) {
        free(w->queue);
        free(w);
        return rc;
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->sync_wake, NULL);
    pthread_cond_init(&w->sync_taken, NULL);
    /* Without a syncer thread (or where the store refuses), each commit syncs itself. */
    if (pthread_create(&w->syncer, NULL, syncer_main, w) == 0) {
        w->syncer_running = true;
        w->deferred = uv_store_defer_sync(w->store) == 0;
    }
    int err = pthread_create(&w->thread, NULL, writer_main, w);
    if (err != 0) {
        syncer_stop(w);
        pthread_cond_destroy(&w->sync_taken);
        pthread_cond_destroy(&w->sync_wake);
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        uv_store_close(w->store);
        free(w->queue);
        free(w);
        return uv_error_set(UV_EIO, UV_LIB_OS, err, "cannot start the writer thread");
    }
    *out = w;
    return 0;
}

int uv_server__writer_submit(uv_server_writer *w, uv_server_write *write)
{
    write->rc = 0;
    memset(&write->error, 0, sizeof write->error);
    pthread_mutex_lock(&w->lock);
    if (w->count >= w->capacity || w->stopping) {
        pthread_mutex_unlock(&w->lock);
        return UV_SERVER_QUEUE_FULL;
    }
    w->queue[(w->head + w->count) % w->capacity] = write;
    w->count++;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

/* A blocking put: the write and the semaphore its `done` posts. */
typedef struct {
    uv_server_write write;
    sem_t done;
} waiting_write;

static void post_waiter(uv_server_write *write)
{
    waiting_write *waiter = (waiting_write *)((char *)write - offsetof(waiting_write, write));
    sem_post(&waiter->done);
}

int uv_server__writer_put(uv_server_writer *w, const uv_occurrence_in *in, uv_occurrence_ack *ack)
{
    waiting_write p = {.write = {.in = in, .ack = ack, .done = post_waiter}};
    if (sem_init(&p.done, 0, 0) != 0)
        return uv_error_set(UV_EIO, UV_LIB_OS, errno, "cannot make a semaphore");
    if (uv_server__writer_submit(w, &p.write) != 0) {
        sem_destroy(&p.done);
        return UV_SERVER_QUEUE_FULL;
    }
    uv_server__slot_yield(); /* others may work while this one waits for the disk */
    while (sem_wait(&p.done) != 0) {
    } /* EINTR only */
    sem_destroy(&p.done);
    uv_server__slot_resume();
    return uv_server__write_result(&p.write);
}

int uv_server__write_result(const uv_server_write *write)
{
    if (write->rc != 0)
        uv_error_set(write->rc, write->error.lib, write->error.lib_code, "%s",
                     write->error.message[0] ? write->error.message : uv_strerror(write->rc));
    return write->rc;
}

void uv_server__writer_stop(uv_server_writer *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true; /* new puts are refused; queued ones are still written */
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL); /* it waits until the syncer took its last group */
    syncer_stop(w);
    if (w->occurrences)
        fprintf(stderr, "unravel serve: stored %llu occurrences in %llu group commits\n",
                w->occurrences, w->batches);
    pthread_cond_destroy(&w->sync_taken);
    pthread_cond_destroy(&w->sync_wake);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    uv_store_close(w->store);
    free(w->queue);
    free(w);
}
