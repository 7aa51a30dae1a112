#include "formats/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local uv_error last_error;

const char *uv_strerror(int code)
{
    switch (code) {
#define UV_X_CASE(name, value, text)                                                               \
    case value:                                                                                    \
        return text;
        UV_ERROR_CODES(UV_X_CASE)
#undef UV_X_CASE
    }
    return "unknown error";
}

int uv_error_set(int code, uv_errlib lib, int lib_code, const char *fmt, ...)
{
    last_error.code = code;
    last_error.lib = lib;
    last_error.lib_code = lib_code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error.message, sizeof last_error.message, fmt, ap);
    va_end(ap);
    return code;
}

void uv_error_prefix(const char *fmt, ...)
{
    char prefix[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    char joined[sizeof last_error.message];
    size_t plen = strlen(prefix);
    if (plen > sizeof joined - 3) plen = sizeof joined - 3;
    memcpy(joined, prefix, plen);
    memcpy(joined + plen, ": ", 2);
    size_t room = sizeof joined - plen - 3, mlen = strlen(last_error.message);
    if (mlen > room) mlen = room;
    memcpy(joined + plen + 2, last_error.message, mlen);
    joined[plen + 2 + mlen] = '\0';
    memcpy(last_error.message, joined, sizeof joined);
}

const uv_error *uv_error_last(void)
{
    return &last_error;
}

void uv_error_clear(void)
{
    memset(&last_error, 0, sizeof last_error);
}
