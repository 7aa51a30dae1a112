#include "formats/buf.h"

#include "formats/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint8_t *uv_buf_reserve(uv_buf *b, size_t extra)
{
    size_t limit = b->limit ? b->limit : UV_BUF_DEFAULT_LIMIT;
    size_t need;
    if (__builtin_add_overflow(b->len, extra, &need) || need > limit) {
        uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0, "buffer would exceed %zu bytes", limit);
        return NULL;
    }
    if (need > b->cap || !b->data) { /* an empty buffer still gets storage: data is never NULL */
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need)
            cap = cap > limit / 2 ? limit : cap * 2;
        uint8_t *p = realloc(b->data, cap);
        if (!p) {
            uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "buffer: cannot grow to %zu bytes", cap);
            return NULL;
        }
        b->data = p;
        b->cap = cap;
    }
    return b->data + b->len;
}

int uv_buf_append(uv_buf *b, const void *data, size_t len)
{
    uint8_t *p = uv_buf_reserve(b, len);
    if (!p) return uv_error_last()->code;
    if (len) memcpy(p, data, len);
    b->len += len;
    return 0;
}

int uv_buf_append_str(uv_buf *b, const char *s)
{
    return uv_buf_append(b, s, strlen(s));
}

int uv_buf_printf(uv_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return uv_error_set(UV_EINVALID, UV_LIB_OS, 0, "printf format failed");
    if ((size_t)n < sizeof small) return uv_buf_append(b, small, (size_t)n);
    uint8_t *p = uv_buf_reserve(b, (size_t)n + 1);
    if (!p) return uv_error_last()->code;
    va_start(ap, fmt);
    vsnprintf((char *)p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int uv_buf_align(uv_buf *b, size_t align)
{
    static const uint8_t zeros[64];
    size_t pad = (align - (b->len & (align - 1))) & (align - 1);
    return uv_buf_append(b, zeros, pad);
}

void *uv_array_grow(void *items, size_t *cap, size_t count, size_t size, size_t first)
{
    if (count < *cap) return items;
    size_t new_cap = *cap ? *cap * 2 : first, bytes;
    if (new_cap <= count || __builtin_mul_overflow(new_cap, size, &bytes)) {
        uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "array of %zu elements cannot grow", count);
        return NULL;
    }
    void *grown = realloc(items, bytes);
    if (!grown) {
        uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "out of memory growing an array to %zu bytes", bytes);
        return NULL;
    }
    *cap = new_cap;
    return grown;
}

void uv_buf_free(uv_buf *b)
{
    free(b->data);
    *b = UV_BUF_INIT;
}

size_t uv_format_u64(char *out, uint64_t v)
{
    char digits[20];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = digits[n - 1 - i];
    return n;
}
