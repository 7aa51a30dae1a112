/* /metrics in the Prometheus text format: requests by route and status, a request latency
 * histogram, occurrences stored, symbolication hits and misses (frames), and the size of the
 * store directory. Counters are process-wide, behind one mutex (updates are a few adds). */
#include "server/server_internal.h"

#include "formats/error.h"

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The statuses we answer; anything else counts as "other". */
static const unsigned statuses[] = {200, 202, 204, 400, 403, 404, 405,
                                    409, 413, 422, 429, 500, 503};
#define STATUS_COUNT (sizeof statuses / sizeof statuses[0])

static const double buckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define BUCKET_COUNT (sizeof buckets / sizeof buckets[0])

static struct {
    pthread_mutex_t lock;
    uint64_t requests[UV_ROUTE_COUNT][STATUS_COUNT + 1];
    uint64_t latency[BUCKET_COUNT + 1]; /* non-cumulative; last = above every bucket */
    double latency_sum;
    uint64_t latency_count;
    uint64_t occurrences;
    uint64_t frames_resolved, frames_unresolved;
} metrics = {.lock = PTHREAD_MUTEX_INITIALIZER};

void uv_server__metrics_reset(void)
{
    pthread_mutex_lock(&metrics.lock);
    memset(metrics.requests, 0, sizeof metrics.requests);
    memset(metrics.latency, 0, sizeof metrics.latency);
    metrics.latency_sum = 0;
    metrics.latency_count = metrics.occurrences = 0;
    metrics.frames_resolved = metrics.frames_unresolved = 0;
    pthread_mutex_unlock(&metrics.lock);
}

void uv_server__metrics_request(uv_route route, unsigned status, double seconds)
{
    size_t s = STATUS_COUNT;
    for (size_t i = 0; i < STATUS_COUNT; i++)
        if (statuses[i] == status) s = i;
    size_t b = BUCKET_COUNT;
    for (size_t i = 0; i < BUCKET_COUNT; i++)
        if (seconds <= buckets[i]) {
            b = i;
            break;
        }
    if (route >= UV_ROUTE_COUNT) route = UV_ROUTE_UNKNOWN;
    pthread_mutex_lock(&metrics.lock);
    metrics.requests[route][s]++;
    metrics.latency[b]++;
    metrics.latency_sum += seconds;
    metrics.latency_count++;
    pthread_mutex_unlock(&metrics.lock);
}

void uv_server__metrics_occurrence(size_t frames_resolved, size_t frames_unresolved)
{
    pthread_mutex_lock(&metrics.lock);
    metrics.occurrences++;
    metrics.frames_resolved += frames_resolved;
    metrics.frames_unresolved += frames_unresolved;
    pthread_mutex_unlock(&metrics.lock);
}

/* nftw has no context argument: the sum lives in a thread-local. */
static _Thread_local uint64_t walk_bytes;

static int add_size(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)path;
    (void)ftw;
    if (type == FTW_F) walk_bytes += (uint64_t)st->st_size;
    return 0;
}

void uv_server__metrics_render(uv_request *req, const char *store_dir)
{
    walk_bytes = 0;
    nftw(store_dir, add_size, 16, FTW_PHYS);
    uint64_t store_bytes = walk_bytes;

    uv_buf out = UV_BUF_INIT;
    int rc = 0;
    pthread_mutex_lock(&metrics.lock);
    rc |= uv_buf_append_str(&out, "# HELP unravel_http_requests_total HTTP requests answered, "
                                  "by route and status.\n"
                                  "# TYPE unravel_http_requests_total counter\n");
    for (size_t r = 0; r < UV_ROUTE_COUNT; r++)
        for (size_t s = 0; s <= STATUS_COUNT; s++) {
            if (!metrics.requests[r][s]) continue;
            char status[8] = "other";
            if (s < STATUS_COUNT) snprintf(status, sizeof status, "%u", statuses[s]);
            rc |= uv_buf_printf(&out,
                                "unravel_http_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
                                uv_server__route_name((uv_route)r), status,
                                (unsigned long long)metrics.requests[r][s]);
        }
    rc |= uv_buf_append_str(&out, "# HELP unravel_http_request_duration_seconds Time from the "
                                  "request's headers to its completion.\n"
                                  "# TYPE unravel_http_request_duration_seconds histogram\n");
    uint64_t cumulative = 0;
    for (size_t b = 0; b < BUCKET_COUNT; b++) {
        cumulative += metrics.latency[b];
        rc |= uv_buf_printf(&out, "unravel_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                            buckets[b], (unsigned long long)cumulative);
    }
    rc |= uv_buf_printf(&out,
                        "unravel_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
                        "unravel_http_request_duration_seconds_sum %.6f\n"
                        "unravel_http_request_duration_seconds_count %llu\n",
                        (unsigned long long)metrics.latency_count, metrics.latency_sum,
                        (unsigned long long)metrics.latency_count);
    rc |= uv_buf_printf(&out,
                        "# HELP unravel_occurrences_stored_total Occurrences stored (duplicates "
                        "not counted).\n"
                        "# TYPE unravel_occurrences_stored_total counter\n"
                        "unravel_occurrences_stored_total %llu\n"
                        "# HELP unravel_symbolication_frames_total Frames of stored occurrences, "
                        "by whether they were symbolicated.\n"
                        "# TYPE unravel_symbolication_frames_total counter\n"
                        "unravel_symbolication_frames_total{result=\"hit\"} %llu\n"
                        "unravel_symbolication_frames_total{result=\"miss\"} %llu\n",
                        (unsigned long long)metrics.occurrences,
                        (unsigned long long)metrics.frames_resolved,
                        (unsigned long long)metrics.frames_unresolved);
    pthread_mutex_unlock(&metrics.lock);
    rc |= uv_buf_printf(&out,
                        "# HELP unravel_store_bytes Bytes of files in the store directory.\n"
                        "# TYPE unravel_store_bytes gauge\n"
                        "unravel_store_bytes %llu\n",
                        (unsigned long long)store_bytes);
    if (rc != 0) {
        uv_buf_free(&out);
        uv_server__reply_error(req, 500, "out of memory");
        return;
    }
    uv_server__reply_text(req, 200, (char *)out.data, out.len);
}
