/* A borrowed string view: bytes [ptr, ptr+len), not NUL-terminated unless stated.
 * Views into parsed data live as long as the object that returned them. */
#ifndef UV_STR_H
#define UV_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct {
    const char *ptr;
    size_t len;
} uv_str;

#define UV_STR_NULL ((uv_str){NULL, 0})

static inline uv_str uv_str_c(const char *s)
{
    return (uv_str){s, s ? strlen(s) : 0};
}

static inline bool uv_str_eq(uv_str a, uv_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static inline bool uv_str_eq_c(uv_str a, const char *b)
{
    return uv_str_eq(a, uv_str_c(b));
}

static inline bool uv_str_starts_with(uv_str a, const char *prefix)
{
    size_t n = strlen(prefix);
    return a.len >= n && memcmp(a.ptr, prefix, n) == 0;
}

#endif
