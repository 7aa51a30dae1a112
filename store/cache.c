/* Derived-file cache: cache/<kind>/v<format version>/<ab>/<blob hash>.
 *
 * Files are written to a temp file in cache/ and renamed into place (atomic, not fsynced: a
 * file lost to a crash is rebuilt from its blob). A get touches the file's times, so mtime is
 * the last use. The total size is bounded: each handle learns the size of cache/ with one
 * scan at its first put and then adds its own puts; when that total passes the bound it
 * rescans (getting the exact total, other processes' files included) and deletes the least
 * recently used files until the total is 90% of the bound. Between scans other processes'
 * puts are not counted, so the bound can be overshot by what they wrote meanwhile. */
#include "store/store_internal.h"

#include "formats/buf.h"
#include "formats/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_KIND_MAX 31

int uv_store__cache_init(uv_store *store)
{
    store->cache_max = UV_STORE_CACHE_DEFAULT_MAX;
    const char *env = getenv("UNRAVEL_CACHE_MAX_BYTES");
    if (!env || !*env) return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(env, &end, 10);
    if (errno || *end || env[0] == '-' || env[0] == '+' || env[0] == ' ')
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                            "UNRAVEL_CACHE_MAX_BYTES: \"%.40s\" is not a number of bytes", env);
    store->cache_max = v;
    return 0;
}

void uv_store_cache_set_limit(uv_store *store, uint64_t max_bytes)
{
    store->cache_max = max_bytes;
}

/* Kinds name directories: 1-31 of [A-Za-z0-9_-], so never "." / ".." / a path. */
static int check_key(uv_store *store, const char *kind, const char *hex)
{
    size_t n = kind ? strlen(kind) : 0;
    bool ok = n >= 1 && n <= CACHE_KIND_MAX;
    for (size_t i = 0; ok && i < n; i++) {
        char c = kind[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '-';
    }
    if (!ok)
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                            "store %s: cache kind \"%.40s\" is not 1-%d of [A-Za-z0-9_-]",
                            store->dir, kind ? kind : "(null)", CACHE_KIND_MAX);
    if (!uv_store__valid_hex(hex))
        return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                            "store %s: cache blob hash \"%.80s\" is not 64 lowercase hex digits",
                            store->dir, hex ? hex : "(null)");
    return 0;
}

/* The file's path, and with `dirs` non-NULL the directories leading to it (kind, version,
 * fan-out). Returns NULL with UV_ENOMEM recorded. */
static char *cache_path(uv_store *store, const char *kind, const char *hex, uint32_t version,
                        char *dirs[3])
{
    char ver[16], fan[3] = {hex[0], hex[1], '\0'};
    snprintf(ver, sizeof ver, "v%" PRIu32, version);
    char *kind_dir = uv_store__join(store->cache_dir, kind, NULL);
    char *ver_dir = kind_dir ? uv_store__join(kind_dir, ver, NULL) : NULL;
    char *fan_dir = ver_dir ? uv_store__join(ver_dir, fan, NULL) : NULL;
    char *path = fan_dir ? uv_store__join(fan_dir, hex, NULL) : NULL;
    if (path && dirs) {
        dirs[0] = kind_dir;
        dirs[1] = ver_dir;
        dirs[2] = fan_dir;
    } else {
        free(kind_dir);
        free(ver_dir);
        free(fan_dir);
    }
    return path;
}

int uv_store_cache_get(uv_store *store, const char *kind, const char *blob_hex, uint32_t version,
                       uv_mapped *out)
{
    *out = (uv_mapped){NULL, 0, NULL};
    int rc = check_key(store, kind, blob_hex);
    if (rc) return rc;
    char *path = cache_path(store, kind, blob_hex, version, NULL);
    if (!path) return UV_ENOMEM;
    rc = uv_file_map(path, SIZE_MAX, out);
    if (rc == 0)
        utimensat(AT_FDCWD, path, NULL, 0); /* mark as recently used; best effort */
    else if (rc == UV_ENOTFOUND)
        uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0, "store %s: no cache file %s v%" PRIu32 " %s",
                     store->dir, kind, version, blob_hex);
    free(path);
    return rc;
}

/* ---- accounting and eviction --------------------------------------------------------- */

typedef struct {
    char *path;
    struct timespec used; /* mtime: last put or get */
    uint64_t size;
} cache_file;

typedef struct {
    cache_file *files;
    size_t count, cap;
    uint64_t total;
    int error;
} cache_scan;

static void scan_add(cache_scan *scan, const char *path, const struct stat *st)
{
    if (scan->error) return;
    cache_file *grown = uv_array_grow(scan->files, &scan->cap, scan->count, sizeof *grown, 256);
    if (!grown) {
        scan->error = UV_ENOMEM;
        return;
    }
    scan->files = grown;
    char *copy = strdup(path);
    if (!copy) {
        scan->error = uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
        return;
    }
    scan->files[scan->count++] = (cache_file){copy, st->st_mtim, (uint64_t)st->st_size};
    scan->total += (uint64_t)st->st_size;
}

/* Collects the regular files at depth 4 (kind/vN/ab/hash) below dir; other entries are
 * ignored (temp files at depth 1 are handled by uv_store__remove_stale_temps). */
static void scan_dir(cache_scan *scan, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d) return; /* removed meanwhile by a concurrent eviction: nothing to count */
    struct dirent *e;
    while (!scan->error && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        char *path = uv_store__join(dir, e->d_name, NULL);
        if (!path) {
            scan->error = UV_ENOMEM;
            break;
        }
        if (depth < 4 && S_ISDIR(st.st_mode))
            scan_dir(scan, path, depth + 1);
        else if (depth == 4 && S_ISREG(st.st_mode))
            scan_add(scan, path, &st);
        free(path);
    }
    closedir(d);
}

static void scan_free(cache_scan *scan)
{
    for (size_t i = 0; i < scan->count; i++)
        free(scan->files[i].path);
    free(scan->files);
}

static int by_last_use(const void *a, const void *b)
{
    const cache_file *x = a, *y = b;
    if (x->used.tv_sec != y->used.tv_sec) return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
    if (x->used.tv_nsec != y->used.tv_nsec) return x->used.tv_nsec < y->used.tv_nsec ? -1 : 1;
    return strcmp(x->path, y->path);
}

/* Rescans cache/ and, when over the bound, deletes least recently used files (never `keep`,
 * the file just put) down to 90% of the bound. Sets store->cache_total to the result. */
static int cache_rescan(uv_store *store, const char *keep)
{
    cache_scan scan = {0};
    scan_dir(&scan, store->cache_dir, 1);
    if (scan.error) {
        scan_free(&scan);
        return scan.error;
    }
    uint64_t total = scan.total;
    if (total > store->cache_max) {
        uint64_t target = store->cache_max - store->cache_max / 10;
        qsort(scan.files, scan.count, sizeof *scan.files, by_last_use);
        for (size_t i = 0; i < scan.count && total > target; i++) {
            if (keep && strcmp(scan.files[i].path, keep) == 0) continue;
            if (unlink(scan.files[i].path) == 0 || errno == ENOENT) total -= scan.files[i].size;
        }
    }
    scan_free(&scan);
    store->cache_total = total;
    store->cache_scanned = true;
    return 0;
}

int uv_store_cache_put(uv_store *store, const char *kind, const char *blob_hex, uint32_t version,
                       const void *data, size_t len)
{
    int rc = check_key(store, kind, blob_hex);
    if (rc) return rc;
    char *dirs[3] = {NULL, NULL, NULL};
    char *path = cache_path(store, kind, blob_hex, version, dirs);
    if (!path) return UV_ENOMEM;
    char *tmp_path = NULL;
    rc = uv_store__mkdir(store->cache_dir, 0755); /* cache/ may have been deleted: rebuild */
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = uv_store__mkdir(dirs[i], 0755);
    int fd = rc ? rc : uv_store__temp_create(store->cache_dir, &tmp_path);
    if (fd < 0) {
        rc = fd;
        goto done;
    }
    rc = uv_store__write_all(fd, data, len, tmp_path);
    if (close(fd) != 0 && rc == 0)
        rc = uv_error_set(UV_EIO, UV_LIB_OS, errno, "%s: close: %s", tmp_path, strerror(errno));
    struct stat old;
    uint64_t old_size = stat(path, &old) == 0 && S_ISREG(old.st_mode) ? (uint64_t)old.st_size : 0;
    if (rc == 0 && rename(tmp_path, path) != 0)
        rc = uv_error_set(UV_EIO, UV_LIB_OS, errno, "store %s: rename %s to %s: %s", store->dir,
                          tmp_path, path, strerror(errno));
    if (rc) {
        unlink(tmp_path);
        goto done;
    }
    if (!store->cache_scanned) {
        rc = cache_rescan(store, path);
    } else {
        store->cache_total -= old_size < store->cache_total ? old_size : store->cache_total;
        store->cache_total += len;
        if (store->cache_total > store->cache_max) rc = cache_rescan(store, path);
    }
done:
    free(tmp_path);
    free(path);
    for (int i = 0; i < 3; i++)
        free(dirs[i]);
    return rc;
}

int uv_store_cache_drop(uv_store *store, const char *kind, const char *blob_hex, uint32_t version)
{
    int rc = check_key(store, kind, blob_hex);
    if (rc) return rc;
    char *path = cache_path(store, kind, blob_hex, version, NULL);
    if (!path) return UV_ENOMEM;
    struct stat st;
    uint64_t size = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
    if (unlink(path) == 0) {
        store->cache_total -= size < store->cache_total ? size : store->cache_total;
    } else if (errno != ENOENT) {
        rc = uv_error_set(UV_EIO, UV_LIB_OS, errno, "%s: cannot remove: %s", path, strerror(errno));
    }
    free(path);
    return rc;
}
