/* Blobs (SHA-256 addressing, dedupe, streamed writes, mappings) and uv_file_map. */
#include "formats/error.h"
#include "store/store.h"
#include "store_test_util.h"
#include "test.h"

#include <stdint.h>

static char root[256];

TEST(sha256_vectors)
{
    static const struct {
        const char *input;
        const char *hex;
    } cases[] = {
        /* FIPS 180-2 examples and the empty string */
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    char hex[UV_HASH_HEX];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uv_sha256_hex(cases[i].input, strlen(cases[i].input), hex);
        CHECK_STR(hex, cases[i].hex);
    }
    static char million[1000000];
    memset(million, 'a', sizeof million);
    uv_sha256_hex(million, sizeof million, hex);
    CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(put_map_dedupe)
{
    char dir[512], path[700];
    snprintf(dir, sizeof dir, "%s/blobs-store", root);
    uv_store *s = NULL;
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_CREATE), 0);
    if (!s) return;
    char hex[UV_HASH_HEX];
    CHECK_INT(uv_store_blob_put(s, "abc", 3, hex), 0);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* the documented layout: blobs/ab/<rest> */
    snprintf(path, sizeof path,
             "%s/blobs/ba/7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", dir);
    struct stat first, second;
    CHECK_INT(stat(path, &first), 0);
    CHECK_INT(first.st_size, 3);
    CHECK(uv_store_blob_exists(s, hex));

    /* dedupe: a second put is a no-op (same file, not rewritten) */
    char again[UV_HASH_HEX];
    CHECK_INT(uv_store_blob_put(s, "abc", 3, again), 0);
    CHECK_STR(again, hex);
    CHECK_INT(stat(path, &second), 0);
    CHECK_INT(second.st_ino, first.st_ino);

    uv_mapped m;
    CHECK_INT(uv_store_blob_map(s, hex, &m), 0);
    CHECK_INT(m.len, 3);
    CHECK(m.data && memcmp(m.data, "abc", 3) == 0);
    uv_mapped_release(&m);
    CHECK(m.data == NULL);
    uv_mapped_release(&m); /* twice is harmless */
    uv_mapped_release(NULL);

    /* the empty blob */
    CHECK_INT(uv_store_blob_put(s, "", 0, hex), 0);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK_INT(uv_store_blob_map(s, hex, &m), 0);
    CHECK_INT(m.len, 0);
    CHECK(m.data != NULL);
    uv_mapped_release(&m);

    /* absent and malformed hashes */
    char absent[UV_HASH_HEX];
    memset(absent, '0', 64);
    absent[64] = '\0';
    CHECK(!uv_store_blob_exists(s, absent));
    CHECK_INT(uv_store_blob_map(s, absent, &m), UV_ENOTFOUND);
    CHECK_CONTAINS(uv_error_last()->message, absent);
    CHECK(!uv_store_blob_exists(s, "../../etc/passwd"));
    CHECK_INT(uv_store_blob_map(s, "../../etc/passwd", &m), UV_EINVALID);
    CHECK_INT(uv_store_blob_map(
                  s, "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", &m),
              UV_EINVALID);
    CHECK_INT(uv_store_blob_map(s, NULL, &m), UV_EINVALID);

    /* no temp files left behind */
    snprintf(path, sizeof path, "%s/blobs", dir);
    CHECK_INT(count_prefixed(path, "tmp-"), 0);
    uv_store_close(s);

    /* a read-only handle reads but does not write */
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_READONLY), 0);
    if (!s) return;
    CHECK_INT(uv_store_blob_map(
                  s, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", &m),
              0);
    uv_mapped_release(&m);
    CHECK_INT(uv_store_blob_put(s, "new", 3, hex), UV_EINVALID);
    uv_blob_writer *w = NULL;
    CHECK_INT(uv_store_blob_writer_open(s, &w), UV_EINVALID);
    CHECK(w == NULL);
    uv_store_close(s);
}

TEST(streamed_writer)
{
    char dir[512], blobs[600];
    snprintf(dir, sizeof dir, "%s/writer-store", root);
    snprintf(blobs, sizeof blobs, "%s/blobs", dir);
    uv_store *s = NULL;
    CHECK_INT(uv_store_open(&s, dir, UV_STORE_CREATE), 0);
    if (!s) return;
    /* 3 MB of pseudo-random bytes written in uneven chunks */
    size_t len = 3u << 20;
    uint8_t *data = malloc(len);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[i] = (uint8_t)x;
    }
    char expected[UV_HASH_HEX], hex[UV_HASH_HEX];
    uv_sha256_hex(data, len, expected);

    uv_blob_writer *w = NULL;
    CHECK_INT(uv_store_blob_writer_open(s, &w), 0);
    CHECK_INT(count_prefixed(blobs, "tmp-"), 1);
    size_t off = 0, chunk = 1;
    while (off < len) {
        size_t n = chunk < len - off ? chunk : len - off;
        CHECK_INT(uv_blob_writer_write(w, data + off, n), 0);
        off += n;
        chunk = chunk * 3 + 7;
    }
    CHECK_INT(uv_blob_writer_write(w, data, 0), 0);
    CHECK_INT(uv_blob_writer_commit(w, hex), 0);
    CHECK_STR(hex, expected);
    CHECK_INT(count_prefixed(blobs, "tmp-"), 0);
    uv_mapped m;
    CHECK_INT(uv_store_blob_map(s, hex, &m), 0);
    CHECK_INT(m.len, len);
    CHECK(m.data && memcmp(m.data, data, len) == 0);
    uv_mapped_release(&m);

    /* the one-shot put of the same bytes agrees and dedupes */
    char oneshot[UV_HASH_HEX];
    CHECK_INT(uv_store_blob_put(s, data, len, oneshot), 0);
    CHECK_STR(oneshot, expected);

    /* a streamed write of bytes already stored commits to the same hash */
    CHECK_INT(uv_store_blob_writer_open(s, &w), 0);
    CHECK_INT(uv_blob_writer_write(w, data, len), 0);
    CHECK_INT(uv_blob_writer_commit(w, hex), 0);
    CHECK_STR(hex, expected);

    /* the empty stream */
    CHECK_INT(uv_store_blob_writer_open(s, &w), 0);
    CHECK_INT(uv_blob_writer_commit(w, hex), 0);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(uv_store_blob_exists(s, hex));

    /* abort leaves nothing */
    CHECK_INT(uv_store_blob_writer_open(s, &w), 0);
    CHECK_INT(uv_blob_writer_write(w, "unfinished", 10), 0);
    uv_blob_writer_abort(w);
    uv_blob_writer_abort(NULL);
    uv_sha256_hex("unfinished", 10, hex);
    CHECK(!uv_store_blob_exists(s, hex));
    CHECK_INT(count_prefixed(blobs, "tmp-"), 0);
    free(data);
    uv_store_close(s);
}

TEST(file_map)
{
    char path[512];
    uv_mapped m;

    snprintf(path, sizeof path, "%s/regular.txt", root);
    CHECK_INT(write_file(path, "hello\n", 6), 0);
    CHECK_INT(uv_file_map(path, 100, &m), 0);
    CHECK_INT(m.len, 6);
    CHECK(m.data && memcmp(m.data, "hello\n", 6) == 0);
    uv_mapped_release(&m);
    /* exactly at the ceiling is fine, one byte over is not */
    CHECK_INT(uv_file_map(path, 6, &m), 0);
    uv_mapped_release(&m);
    CHECK_INT(uv_file_map(path, 5, &m), UV_ETOOBIG);
    CHECK_CONTAINS(uv_error_last()->message, path);

    snprintf(path, sizeof path, "%s/empty.txt", root);
    CHECK_INT(write_file(path, "", 0), 0);
    CHECK_INT(uv_file_map(path, 100, &m), 0);
    CHECK_INT(m.len, 0);
    CHECK(m.data != NULL);
    uv_mapped_release(&m);

    CHECK_INT(uv_file_map(root, 100, &m), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, root);
    CHECK_CONTAINS(uv_error_last()->message, "directory");

    snprintf(path, sizeof path, "%s/missing.txt", root);
    CHECK_INT(uv_file_map(path, 100, &m), UV_ENOTFOUND);
    CHECK_CONTAINS(uv_error_last()->message, path);
    CHECK_INT(uv_error_last()->lib, UV_LIB_OS);

    /* a FIFO: rejected at once, never waiting for a writer */
    snprintf(path, sizeof path, "%s/fifo", root);
    CHECK_INT(mkfifo(path, 0600), 0);
    CHECK_INT(uv_file_map(path, 100, &m), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "not a regular file");

    CHECK_INT(uv_file_map("", 100, &m), UV_EINVALID);
}

/* Maps "-" with stdin redirected from a file holding `len` bytes of `data`. */
static int map_stdin(const char *data, size_t len, size_t max_len, uv_mapped *out)
{
    char path[512];
    snprintf(path, sizeof path, "%s/stdin.txt", root);
    if (write_file(path, data, len)) return -100;
    int saved = dup(STDIN_FILENO);
    int fd = open(path, O_RDONLY);
    dup2(fd, STDIN_FILENO);
    close(fd);
    int rc = uv_file_map("-", max_len, out);
    dup2(saved, STDIN_FILENO);
    close(saved);
    return rc;
}

TEST(file_map_stdin)
{
    uv_mapped m;
    CHECK_INT(map_stdin("from stdin", 10, 100, &m), 0);
    CHECK_INT(m.len, 10);
    CHECK(m.data && memcmp(m.data, "from stdin", 10) == 0);
    uv_mapped_release(&m);

    CHECK_INT(map_stdin("", 0, 100, &m), 0);
    CHECK_INT(m.len, 0);
    CHECK(m.data != NULL);
    uv_mapped_release(&m);

    CHECK_INT(map_stdin("from stdin", 10, 10, &m), 0);
    uv_mapped_release(&m);
    CHECK_INT(map_stdin("from stdin", 10, 9, &m), UV_ETOOBIG);
    CHECK_CONTAINS(uv_error_last()->message, "stdin");

    /* larger than one read buffer */
    size_t len = 200000;
    char *big = malloc(len);
    for (size_t i = 0; i < len; i++)
        big[i] = (char)('a' + i % 26);
    CHECK_INT(map_stdin(big, len, len, &m), 0);
    CHECK_INT(m.len, len);
    CHECK(m.data && memcmp(m.data, big, len) == 0);
    uv_mapped_release(&m);
    CHECK_INT(map_stdin(big, len, len - 1, &m), UV_ETOOBIG);
    free(big);
}

int main(void)
{
    temp_dir(root, sizeof root);
    RUN(sha256_vectors);
    RUN(put_map_dedupe);
    RUN(streamed_writer);
    RUN(file_map);
    RUN(file_map_stdin);
    remove_tree(root);
    TEST_MAIN_END();
}
