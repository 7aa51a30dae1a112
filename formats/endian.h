/* Little-endian 32-bit fields of the cache files we define (byte by byte, so they read the
 * same on any host and at any alignment). */
#ifndef UV_ENDIAN_H
#define UV_ENDIAN_H

#include <stdint.h>

static inline void uv_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t uv_get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif
