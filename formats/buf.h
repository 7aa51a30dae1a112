/* A growable byte buffer with a ceiling: used to build output (cache files, JSON, text). */
#ifndef UV_BUF_H
#define UV_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t limit; /* 0 = UV_BUF_DEFAULT_LIMIT */
} uv_buf;

/* Default ceiling: 1 GiB, far above any cache or output we build from inputs we accept. */
#define UV_BUF_DEFAULT_LIMIT ((size_t)1 << 30)

#define UV_BUF_INIT ((uv_buf){NULL, 0, 0, 0})

/* Appends; returns 0, UV_ENOMEM or UV_ETOOBIG (past the limit). */
int uv_buf_append(uv_buf *b, const void *data, size_t len);
int uv_buf_append_str(uv_buf *b, const char *s);
int uv_buf_printf(uv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Grows so that `extra` more bytes fit; returns a pointer to the free space. */
uint8_t *uv_buf_reserve(uv_buf *b, size_t extra);
/* Appends zero bytes until len is a multiple of `align` (a power of two). */
int uv_buf_align(uv_buf *b, size_t align);
void uv_buf_free(uv_buf *b);

/* Writes v in decimal at out (at most 20 bytes, no NUL); returns the length. For hot paths,
 * where snprintf costs more than the rest of the work. */
size_t uv_format_u64(char *out, uint64_t v);

/* Growable arrays: returns `items` (holding `count` elements of `size` bytes in `*cap` slots)
 * with room for one more element, reallocated (capacity doubled, at least `first`) when full.
 * On failure returns NULL with UV_ENOMEM recorded and `items` left as it was. */
void *uv_array_grow(void *items, size_t *cap, size_t count, size_t size, size_t first);

#endif
