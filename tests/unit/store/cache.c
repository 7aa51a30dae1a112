/* The derived-file cache: put/get/drop, keys, and least-recently-used eviction. */
#include "formats/error.h"
#include "store/store.h"
#include "store_test_util.h"
#include "test.h"

#include <time.h>

static char root[256];

/* A distinct valid blob hash per index: SHA-256 of the decimal number. */
static void hash_of(int n, char hex[UV_HASH_HEX])
{
    char text[16];
    snprintf(text, sizeof text, "%d", n);
    uv_sha256_hex(text, strlen(text), hex);
}

static void cache_file_path(char *buf, size_t cap, const char *dir, const char *kind,
                            uint32_t version, const char *hex)
{
    int n = snprintf(buf, cap, "%s/cache/%s/v%u/%.2s/%s", dir, kind, version, hex, hex);
    CHECK(n > 0 && (size_t)n < cap);
}

/* Sets a cache file's last-use time to `age` seconds ago. */
static void age_file(const char *path, int age)
{
    struct timespec times[2];
    clock_gettime(CLOCK_REALTIME, &times[0]);
    times[0].tv_sec -= age;
    times[1] = times[0];
    CHECK_INT(utimensat(AT_FDCWD, path, times, 0), 0);
}

TEST(put_get_drop)
{
    char dir[512], path[800];
    snprintf(dir, sizeof dir, "%s/cache-store", root);
    uv_store *s = NULL;
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_CREATE), 0);
    if (!s) return;
    char hex[UV_HASH_HEX];
    hash_of(1, hex);
    uv_mapped m;
    CHECK_INT(uv_store_cache_get(s, "smcache", hex, 1, &m), UV_ENOTFOUND);
    CHECK_INT(uv_store_cache_put(s, "smcache", hex, 1, "derived v1", 10), 0);
    CHECK_INT(uv_store_cache_put(s, "smcache", hex, 2, "derived version 2", 17), 0);
    CHECK_INT(uv_store_cache_put(s, "jsscope", hex, 1, "", 0), 0);
    cache_file_path(path, sizeof path, dir, "smcache", 1, hex);
    CHECK(path_exists(path));

    CHECK_INT(uv_store_cache_get(s, "smcache", hex, 1, &m), 0);
    CHECK_INT(m.len, 10);
    CHECK(m.data && memcmp(m.data, "derived v1", 10) == 0);
    uv_mapped_release(&m);
    CHECK_INT(uv_store_cache_get(s, "smcache", hex, 2, &m), 0);
    CHECK_INT(m.len, 17);
    uv_mapped_release(&m);
    CHECK_INT(uv_store_cache_get(s, "jsscope", hex, 1, &m), 0);
    CHECK_INT(m.len, 0);
    CHECK(m.data != NULL);
    uv_mapped_release(&m);
    CHECK_INT(uv_store_cache_get(s, "jsscope", hex, 2, &m), UV_ENOTFOUND);

    /* replace in place */
    CHECK_INT(uv_store_cache_put(s, "smcache", hex, 1, "rebuilt", 7), 0);
    CHECK_INT(uv_store_cache_get(s, "smcache", hex, 1, &m), 0);
    CHECK_INT(m.len, 7);
    CHECK(m.data && memcmp(m.data, "rebuilt", 7) == 0);
    uv_mapped_release(&m);

    /* drop one entry; dropping again is fine; the other versions stay */
    CHECK_INT(uv_store_cache_drop(s, "smcache", hex, 1), 0);
    CHECK_INT(uv_store_cache_get(s, "smcache", hex, 1, &m), UV_ENOTFOUND);
    CHECK_INT(uv_store_cache_drop(s, "smcache", hex, 1), 0);
    CHECK_INT(uv_store_cache_get(s, "smcache", hex, 2, &m), 0);
    uv_mapped_release(&m);

    /* keys that could escape the cache directory are refused */
    CHECK_INT(uv_store_cache_put(s, "..", hex, 1, "x", 1), UV_EINVALID);
    CHECK_INT(uv_store_cache_put(s, "a/b", hex, 1, "x", 1), UV_EINVALID);
    CHECK_INT(uv_store_cache_put(s, "", hex, 1, "x", 1), UV_EINVALID);
    CHECK_INT(uv_store_cache_get(s, "smcache", "../../unravel.db", 1, &m), UV_EINVALID);
    CHECK_INT(uv_store_cache_drop(s, "smcache", "abc", 1), UV_EINVALID);

    /* no temp files left, and a deleted cache/ is rebuilt on the next put */
    snprintf(path, sizeof path, "%s/cache", dir);
    CHECK_INT(count_prefixed(path, "tmp-"), 0);
    remove_tree(path);
    CHECK_INT(uv_store_cache_get(s, "smcache", hex, 2, &m), UV_ENOTFOUND);
    CHECK_INT(uv_store_cache_put(s, "smcache", hex, 2, "again", 5), 0);
    CHECK_INT(uv_store_cache_get(s, "smcache", hex, 2, &m), 0);
    uv_mapped_release(&m);
    uv_store_close(s);
}

TEST(eviction)
{
    char dir[512], path[800];
    snprintf(dir, sizeof dir, "%s/evict-store", root);
    setenv("UNRAVEL_CACHE_MAX_BYTES", "1000", 1);
    uv_store *s = NULL;
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_CREATE), 0);
    unsetenv("UNRAVEL_CACHE_MAX_BYTES");
    if (!s) return;
    char block[300];
    memset(block, 'x', sizeof block);
    char h[5][UV_HASH_HEX];
    for (int i = 0; i < 5; i++)
        hash_of(100 + i, h[i]);

    /* A, B, C: 900 bytes, under the bound; make their last uses distinct and ordered */
    for (int i = 0; i < 3; i++) {
        CHECK_INT(uv_store_cache_put(s, "k", h[i], 1, block, sizeof block), 0);
        cache_file_path(path, sizeof path, dir, "k", 1, h[i]);
        age_file(path, 300 - 100 * i);
    }
    /* using A makes B the least recently used */
    uv_mapped m;
    CHECK_INT(uv_store_cache_get(s, "k", h[0], 1, &m), 0);
    uv_mapped_release(&m);
    /* D pushes the total to 1200: B goes, leaving 900 (90% of the bound) */
    CHECK_INT(uv_store_cache_put(s, "k", h[3], 1, block, sizeof block), 0);
    bool present[4];
    for (int i = 0; i < 4; i++) {
        cache_file_path(path, sizeof path, dir, "k", 1, h[i]);
        present[i] = path_exists(path);
    }
    CHECK(present[0]);
    CHECK(!present[1]);
    CHECK(present[2]);
    CHECK(present[3]);

    /* replacing an entry does not count it twice: A again keeps the total at 900 */
    CHECK_INT(uv_store_cache_put(s, "k", h[0], 1, block, sizeof block), 0);
    for (int i = 0; i < 4; i++) {
        cache_file_path(path, sizeof path, dir, "k", 1, h[i]);
        CHECK_INT(path_exists(path), i != 1);
    }

    /* a file bigger than the whole bound is kept (it is the one in use) and evicts all else */
    char big[1500];
    memset(big, 'y', sizeof big);
    CHECK_INT(uv_store_cache_put(s, "k", h[4], 1, big, sizeof big), 0);
    for (int i = 0; i < 5; i++) {
        cache_file_path(path, sizeof path, dir, "k", 1, h[i]);
        CHECK_INT(path_exists(path), i == 4);
    }

    /* a handle's limit can be changed; a fresh handle counts files already there */
    uv_store_close(s);
    CHECK_INT(uv_store_open(&s, dir, 0), 0);
    if (!s) return;
    uv_store_cache_set_limit(s, 1850);
    CHECK_INT(uv_store_cache_put(s, "k", h[0], 1, block, sizeof block), 0); /* 1800: fits */
    cache_file_path(path, sizeof path, dir, "k", 1, h[4]);
    CHECK(path_exists(path));
    age_file(path, 1000);
    CHECK_INT(uv_store_cache_put(s, "k", h[1], 1, block, 100), 0); /* 1900 > 1850: big goes */
    CHECK(!path_exists(path));
    for (int i = 0; i < 2; i++) {
        cache_file_path(path, sizeof path, dir, "k", 1, h[i]);
        CHECK(path_exists(path));
    }
    uv_store_close(s);
}

TEST(bad_env)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/env-store", root);
    setenv("UNRAVEL_CACHE_MAX_BYTES", "12abc", 1);
    uv_store *s = NULL;
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_CREATE), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "UNRAVEL_CACHE_MAX_BYTES");
    setenv("UNRAVEL_CACHE_MAX_BYTES", "-5", 1);
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_CREATE), UV_EINVALID);
    unsetenv("UNRAVEL_CACHE_MAX_BYTES");
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_CREATE), 0);
    uv_store_close(s);
}

int main(void)
{
    temp_dir(root, sizeof root);
    RUN(put_get_drop);
    RUN(eviction);
    RUN(bad_env);
    remove_tree(root);
    TEST_MAIN_END();
}
