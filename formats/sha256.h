/* SHA-256 (FIPS 180-4): content addresses of blobs and cache keys. Our own small implementation
 * keeps libcrypto (and its start-up cost, which dominated a warm symbolication) out of the
 * binary. */
#ifndef UV_SHA256_H
#define UV_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t state[8];
    uint64_t length; /* bytes hashed so far */
    uint8_t block[64];
    size_t used; /* bytes in block */
} uv_sha256;

void uv_sha256_init(uv_sha256 *ctx);
void uv_sha256_update(uv_sha256 *ctx, const void *data, size_t len);
void uv_sha256_final(uv_sha256 *ctx, uint8_t digest[32]);

/* One call: digest of data as 64 lowercase hex digits and a NUL. */
void uv_sha256_digest_hex(const void *data, size_t len, char out[65]);
/* 32 bytes → 64 lowercase hex digits and a NUL. */
void uv_sha256_to_hex(const uint8_t digest[32], char out[65]);

#endif
