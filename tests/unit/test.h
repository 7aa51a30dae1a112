/* A tiny test harness: TEST(name) functions registered by RUN(name) in main; CHECK macros
 * report file:line and the values, count failures, and main returns non-zero on any. */
#ifndef UV_TEST_H
#define UV_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int uv_test_failures;
static int uv_test_checks;

#define TEST(name) static void test_##name(void)

#define RUN(name)                                                                                  \
    do {                                                                                           \
        int before_ = uv_test_failures;                                                            \
        test_##name();                                                                             \
        printf("%s %s\n", uv_test_failures == before_ ? "ok  " : "FAIL", #name);                   \
    } while (0)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        uv_test_checks++;                                                                          \
        if (!(cond)) {                                                                             \
            uv_test_failures++;                                                                    \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_INT(actual, expected)                                                                \
    do {                                                                                           \
        long long a_ = (long long)(actual), e_ = (long long)(expected);                            \
        uv_test_checks++;                                                                          \
        if (a_ != e_) {                                                                            \
            uv_test_failures++;                                                                    \
            fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #actual, a_, \
                    e_);                                                                           \
        }                                                                                          \
    } while (0)

#define CHECK_STR(actual, expected)                                                                \
    do {                                                                                           \
        const char *a_ = (actual), *e_ = (expected);                                               \
        uv_test_checks++;                                                                          \
        if (!a_ || !e_ || strcmp(a_, e_) != 0) {                                                   \
            uv_test_failures++;                                                                    \
            fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #actual, \
                    a_ ? a_ : "(null)", e_ ? e_ : "(null)");                                       \
        }                                                                                          \
    } while (0)

/* Compares a uv_str view with a C string. */
#define CHECK_VIEW(view, expected)                                                                 \
    do {                                                                                           \
        uv_str v_ = (view);                                                                        \
        const char *e_ = (expected);                                                               \
        uv_test_checks++;                                                                          \
        if (v_.len != strlen(e_) || (v_.len && memcmp(v_.ptr, e_, v_.len) != 0)) {                 \
            uv_test_failures++;                                                                    \
            fprintf(stderr, "%s:%d: %s == \"%.*s\", expected \"%s\"\n", __FILE__, __LINE__, #view, \
                    (int)v_.len, v_.ptr ? v_.ptr : "", e_);                                        \
        }                                                                                          \
    } while (0)

/* Checks that `msg` contains `needle` (for error texts). */
#define CHECK_CONTAINS(msg, needle)                                                                \
    do {                                                                                           \
        const char *m_ = (msg), *n_ = (needle);                                                    \
        uv_test_checks++;                                                                          \
        if (!m_ || !strstr(m_, n_)) {                                                              \
            uv_test_failures++;                                                                    \
            fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__,         \
                    m_ ? m_ : "(null)", n_);                                                       \
        }                                                                                          \
    } while (0)

#define TEST_MAIN_END()                                                                            \
    do {                                                                                           \
        printf("%d checks, %d failed\n", uv_test_checks, uv_test_failures);                        \
        return uv_test_failures ? 1 : 0;                                                           \
    } while (0)

#endif
