/* SHA-256 against the FIPS 180-4 / NIST example vectors, one-shot and streamed in odd pieces. */
#include "formats/sha256.h"

#include "test.h"

#include <stdlib.h>

static void streamed_hex(const char *data, size_t len, size_t piece, char out[65])
{
    uv_sha256 ctx;
    uint8_t digest[32];
    uv_sha256_init(&ctx);
    for (size_t off = 0; off < len; off += piece)
        uv_sha256_update(&ctx, data + off, len - off < piece ? len - off : piece);
    uv_sha256_final(&ctx, digest);
    uv_sha256_to_hex(digest, out);
}

TEST(vectors)
{
    static const struct {
        const char *in, *hex;
    } cases[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
         "lmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char hex[65];
        uv_sha256_digest_hex(cases[i].in, strlen(cases[i].in), hex);
        CHECK_STR(hex, cases[i].hex);
        for (size_t piece = 1; piece <= 65; piece += 7) {
            streamed_hex(cases[i].in, strlen(cases[i].in), piece, hex);
            CHECK_STR(hex, cases[i].hex);
        }
    }
}

TEST(million_a)
{
    size_t n = 1000000;
    char *a = malloc(n);
    CHECK(a != NULL);
    if (!a) return;
    memset(a, 'a', n);
    char hex[65];
    streamed_hex(a, n, 4097, hex);
    CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

int main(void)
{
    RUN(vectors);
    RUN(million_a);
    TEST_MAIN_END();
}
