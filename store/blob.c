/* Content-addressed blobs and read-only file mappings.
 *
 * A blob lives at blobs/<first 2 hex digits>/<other 62 hex digits> of its SHA-256. A put
 * writes a temp file (tmp-*, O_EXCL) directly in blobs/, fsyncs it, renames it into place
 * and fsyncs the fan-out directory (and blobs/ when the fan-out directory was created), so a
 * blob is durable once put returns. Renaming over an existing blob is harmless: same name,
 * same bytes. */
#include "store/store_internal.h"

#include "formats/error.h"
#include "formats/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- SHA-256 ------------------------------------------------------------------------- */

void uv_sha256_hex(const void *data, size_t len, char out[UV_HASH_HEX])
{
    uv_sha256_digest_hex(data, len, out);
}

/* ---- paths --------------------------------------------------------------------------- */

/* blobs/ab and blobs/ab/cdef… for a validated hex */
static int blob_paths(uv_store *store, const char *hex, char **out_fanout, char **out_path)
{
    char fan[3] = {hex[0], hex[1], '\0'};
    *out_fanout = uv_store__join(store->blobs_dir, fan, NULL);
    *out_path = *out_fanout ? uv_store__join(store->blobs_dir, fan, hex + 2) : NULL;
    if (*out_path) return 0;
    free(*out_fanout);
    *out_fanout = NULL;
    return UV_ENOMEM;
}

static int check_hex(uv_store *store, const char *hex)
{
    if (uv_store__valid_hex(hex)) return 0;
    return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0,
                        "store %s: blob hash \"%.80s\" is not 64 lowercase hex digits", store->dir,
                        hex ? hex : "(null)");
}

static int check_writable(uv_store *store)
{
    if (!(store->flags & UV_STORE_READONLY)) return 0;
    return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "store %s: opened read-only", store->dir);
}

bool uv_store_blob_exists(uv_store *store, const char *hex)
{
    if (!uv_store__valid_hex(hex)) return false;
    char *fanout, *path;
    if (blob_paths(store, hex, &fanout, &path)) return false;
    struct stat st;
    bool exists = stat(path, &st) == 0 && S_ISREG(st.st_mode);
    free(fanout);
    free(path);
    return exists;
}

/* Moves the fsynced, closed temp file into place as blob `hex` and makes that durable.
 * Removes the temp file when the blob already exists or on failure. */
static int install_temp(uv_store *store, const char *tmp_path, const char *hex)
{
    char *fanout, *path;
    if (blob_paths(store, hex, &fanout, &path)) {
        unlink(tmp_path);
        return UV_ENOMEM;
    }
    int rc = 0;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        unlink(tmp_path); /* dedupe: the same bytes are already durable */
        goto done;
    }
    bool new_fanout = stat(fanout, &st) != 0;
    rc = uv_store__mkdir(fanout, 0755);
    if (rc == 0 && new_fanout) rc = uv_store__fsync_dir(store->blobs_dir);
    if (rc == 0 && rename(tmp_path, path) != 0)
        rc = uv_error_set(UV_EIO, UV_LIB_OS, errno, "store %s: rename %s to %s: %s", store->dir,
                          tmp_path, path, strerror(errno));
    if (rc == 0) rc = uv_store__fsync_dir(fanout);
    if (rc) unlink(tmp_path);
done:
    free(fanout);
    free(path);
    return rc;
}

static int fsync_close(int fd, const char *path)
{
    int rc = 0;
    if (fsync(fd) != 0)
        rc = uv_error_set(UV_EIO, UV_LIB_OS, errno, "%s: fsync: %s", path, strerror(errno));
    if (close(fd) != 0 && rc == 0)
        rc = uv_error_set(UV_EIO, UV_LIB_OS, errno, "%s: close: %s", path, strerror(errno));
    return rc;
}

int uv_store_blob_put(uv_store *store, const void *data, size_t len, char out_hex[UV_HASH_HEX])
{
    out_hex[0] = '\0';
    int rc = check_writable(store);
    if (rc) return rc;
    char hex[UV_HASH_HEX];
    uv_sha256_hex(data, len, hex);
    if (!hex[0]) return uv_error_last()->code;
    if (uv_store_blob_exists(store, hex)) {
        memcpy(out_hex, hex, UV_HASH_HEX);
        return 0;
    }
    char *tmp_path = NULL;
    int fd = uv_store__temp_create(store->blobs_dir, &tmp_path);
    if (fd < 0) return fd;
    rc = uv_store__write_all(fd, data, len, tmp_path);
    if (rc) {
        close(fd);
        unlink(tmp_path);
    } else {
        rc = fsync_close(fd, tmp_path);
        if (rc)
            unlink(tmp_path);
        else
            rc = install_temp(store, tmp_path, hex);
    }
    free(tmp_path);
    if (rc == 0) memcpy(out_hex, hex, UV_HASH_HEX);
    return rc;
}

/* ---- streamed writer ----------------------------------------------------------------- */

struct uv_blob_writer {
    uv_store *store;
    int fd;
    char *tmp_path;
    uv_sha256 sha;
    int error; /* first failure, returned again by later calls */
};

int uv_store_blob_writer_open(uv_store *store, uv_blob_writer **out)
{
    *out = NULL;
    int rc = check_writable(store);
    if (rc) return rc;
    uv_blob_writer *w = calloc(1, sizeof *w);
    if (!w) return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    w->store = store;
    w->fd = -1;
    uv_sha256_init(&w->sha);
    w->fd = uv_store__temp_create(store->blobs_dir, &w->tmp_path);
    if (w->fd < 0) {
        rc = w->fd;
        w->fd = -1;
        goto fail;
    }
    *out = w;
    return 0;
fail:
    free(w);
    return rc;
}

int uv_blob_writer_write(uv_blob_writer *w, const void *data, size_t len)
{
    if (w->error) return w->error;
    if (len == 0) return 0;
    int rc = uv_store__write_all(w->fd, data, len, w->tmp_path);
    if (rc == 0) uv_sha256_update(&w->sha, data, len);
    w->error = rc;
    return rc;
}

void uv_blob_writer_abort(uv_blob_writer *w)
{
    if (!w) return;
    if (w->fd >= 0) close(w->fd);
    if (w->tmp_path) unlink(w->tmp_path);
    free(w->tmp_path);
    free(w);
}

int uv_blob_writer_commit(uv_blob_writer *w, char out_hex[UV_HASH_HEX])
{
    out_hex[0] = '\0';
    int rc = w->error;
    if (rc) {
        uv_blob_writer_abort(w);
        return rc;
    }
    uint8_t digest[32];
    uv_sha256_final(&w->sha, digest);
    char hex[UV_HASH_HEX];
    uv_sha256_to_hex(digest, hex);
    int fd = w->fd;
    w->fd = -1;
    rc = fsync_close(fd, w->tmp_path);
    if (rc == 0) {
        rc = install_temp(w->store, w->tmp_path, hex);
        free(w->tmp_path); /* install_temp consumed the file: abort must not unlink it */
        w->tmp_path = NULL;
    }
    uv_blob_writer_abort(w);
    if (rc == 0) memcpy(out_hex, hex, UV_HASH_HEX);
    return rc;
}

/* ---- mappings ------------------------------------------------------------------------ */

/* uv_mapped.priv_ points at one of these; an empty mapping has priv_ NULL. */
typedef struct {
    bool is_mmap; /* else malloc'd (stdin) */
    void *base;
    size_t len;
} mapping;

/* Mappings of empty files point here so data is never NULL. */
static const uint8_t empty_bytes[1];

static int map_set(uv_mapped *out, bool is_mmap, void *base, size_t len)
{
    mapping *m = malloc(sizeof *m);
    if (!m) return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM, "out of memory");
    m->is_mmap = is_mmap;
    m->base = base;
    m->len = len;
    out->data = base;
    out->len = len;
    out->priv_ = m;
    return 0;
}

void uv_mapped_release(uv_mapped *m)
{
    if (!m) return;
    mapping *priv = m->priv_;
    if (priv) {
        if (priv->is_mmap)
            munmap(priv->base, priv->len);
        else
            free(priv->base);
        free(priv);
    }
    m->data = NULL;
    m->len = 0;
    m->priv_ = NULL;
}

/* Reads all of stdin into memory, failing past max_len bytes. */
static int read_stdin(size_t max_len, uv_mapped *out)
{
    size_t cap = 0, len = 0;
    uint8_t *buf = NULL;
    for (;;) {
        if (len == cap) {
            if (cap > max_len) {
                free(buf);
                return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0,
                                    "stdin: more than the limit of %zu bytes", max_len);
            }
            /* grow ×2 from 64 KiB, but never beyond max_len + 1 (enough to see overflow) */
            size_t next = cap ? (cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2) : 65536;
            size_t ceiling = max_len == SIZE_MAX ? SIZE_MAX : max_len + 1;
            if (next > ceiling) next = ceiling;
            uint8_t *grown = realloc(buf, next);
            if (!grown) {
                free(buf);
                return uv_error_set(UV_ENOMEM, UV_LIB_OS, ENOMEM,
                                    "stdin: out of memory reading %zu bytes", next);
            }
            buf = grown;
            cap = next;
        }
        ssize_t n = read(STDIN_FILENO, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            free(buf);
            return uv_error_set(UV_EIO, UV_LIB_OS, err, "stdin: read: %s", strerror(err));
        }
        if (n == 0) break;
        len += (size_t)n;
        if (len > max_len) {
            free(buf);
            return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0,
                                "stdin: more than the limit of %zu bytes", max_len);
        }
    }
    if (len == 0) {
        free(buf);
        *out = (uv_mapped){empty_bytes, 0, NULL};
        return 0;
    }
    int rc = map_set(out, false, buf, len);
    if (rc) free(buf);
    return rc;
}

int uv_file_map(const char *path, size_t max_len, uv_mapped *out)
{
    *out = (uv_mapped){NULL, 0, NULL};
    if (!path || !*path) return uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "empty file name");
    if (strcmp(path, "-") == 0) return read_stdin(max_len, out);
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; it is rejected below anyway */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int err = errno;
        return uv_error_set(err == ENOENT ? UV_ENOTFOUND : UV_EIO, UV_LIB_OS, err, "%s: %s", path,
                            strerror(err));
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0) {
        rc = uv_error_set(UV_EIO, UV_LIB_OS, errno, "%s: %s", path, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        rc = uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "%s: is a directory", path);
    } else if (!S_ISREG(st.st_mode)) {
        rc = uv_error_set(UV_EINVALID, UV_LIB_NONE, 0, "%s: not a regular file", path);
    } else if (st.st_size < 0 || (uint64_t)st.st_size > max_len ||
               (uint64_t)st.st_size > SIZE_MAX) {
        rc = uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0,
                          "%s: %lld bytes, more than the limit of %zu bytes", path,
                          (long long)st.st_size, max_len);
    } else if (st.st_size == 0) {
        *out = (uv_mapped){empty_bytes, 0, NULL};
    } else {
        size_t len = (size_t)st.st_size;
        void *base = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (base == MAP_FAILED)
            rc = uv_error_set(UV_EIO, UV_LIB_OS, errno, "%s: mmap: %s", path, strerror(errno));
        else if ((rc = map_set(out, true, base, len)) != 0)
            munmap(base, len);
    }
    close(fd);
    return rc;
}

int uv_store_blob_map(uv_store *store, const char *hex, uv_mapped *out)
{
    *out = (uv_mapped){NULL, 0, NULL};
    int rc = check_hex(store, hex);
    if (rc) return rc;
    char *fanout, *path;
    if (blob_paths(store, hex, &fanout, &path)) return UV_ENOMEM;
    rc = uv_file_map(path, SIZE_MAX, out);
    if (rc == UV_ENOTFOUND)
        uv_error_set(UV_ENOTFOUND, UV_LIB_NONE, 0, "store %s: blob %s not found", store->dir, hex);
    free(fanout);
    free(path);
    return rc;
}
