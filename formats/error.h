/* Errors: every fallible function returns 0 or a negative UV_E* code; the details
 * (which library failed, its own code, a one-line message naming the file, field or
 * offset) go to a thread-local record read with uv_error_last(). */
#ifndef UV_ERROR_H
#define UV_ERROR_H

#define UV_ERROR_CODES(X)                                                                          \
    X(UV_OK, 0, "success")                                                                         \
    X(UV_ENOTFOUND, -1, "not found")                                                               \
    X(UV_EINVALID, -2, "invalid input")                                                            \
    X(UV_ECORRUPT, -3, "corrupt data")                                                             \
    X(UV_EUNSUPPORTED, -4, "unsupported")                                                          \
    X(UV_ETOOBIG, -5, "too big")                                                                   \
    X(UV_EIO, -6, "I/O error")                                                                     \
    X(UV_ENOMEM, -7, "out of memory")                                                              \
    X(UV_EEXISTS, -8, "already exists")

typedef enum {
#define UV_X_ENUM(name, value, text) name = value,
    UV_ERROR_CODES(UV_X_ENUM)
#undef UV_X_ENUM
} uv_code;

/* Which library reported the failure, so callers can tell our checks from theirs. */
typedef enum {
    UV_LIB_NONE,
    UV_LIB_OS,
    UV_LIB_JSON,
    UV_LIB_SQL,
    UV_LIB_ZLIB,
    UV_LIB_ZIP,
    UV_LIB_ELF,
    UV_LIB_DWARF,
    UV_LIB_HTTP,
} uv_errlib;

typedef struct {
    int code;      /* a uv_code */
    uv_errlib lib; /* library that failed, UV_LIB_NONE for our own checks */
    int lib_code;  /* that library's own code (errno, SQLite code …), 0 if none */
    char message[512];
} uv_error;

/* Static text for a code; never NULL. */
const char *uv_strerror(int code);

/* Records an error for this thread and returns `code`, so `return uv_error_set(...)` works.
 * The message is printf-formatted and truncated to fit. */
int uv_error_set(int code, uv_errlib lib, int lib_code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prefixes the current message with "prefix: " (e.g. a file name known only to the caller). */
void uv_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last error recorded on this thread (code UV_OK when none). Borrowed. */
const uv_error *uv_error_last(void);

void uv_error_clear(void);

#endif
