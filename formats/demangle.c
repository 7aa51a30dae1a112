/* Demangling with libiberty, printed the way llvm-symbolizer (LLVM 14) prints names.
 *
 * llvm-symbolizer demangles a name only when it starts with "_Z" (Itanium C++; Rust legacy
 * names are Itanium names too, so they keep their `17h<hash>` component and `$LT$`-style
 * escapes) or "_R" (Rust v0). Everything else is printed as it is. libiberty's Itanium printer
 * agrees with LLVM's except for a few spellings, rewritten here after demangling:
 *
 *   libiberty                         llvm-symbolizer
 *   f() [clone .isra.0] [clone .cold] f() (.isra.0.cold)      (any suffix after the first '.')
 *   {lambda(int)#1} / #2 / #3          'lambda'(int) / 'lambda0'(int) / 'lambda1'(int)
 *   {unnamed type#1} / #2              'unnamed' / 'unnamed0'
 *   decltype(nullptr)                 std::nullptr_t
 *
 * LLVM accepts any text after the encoding as a clone suffix, libiberty only a few shapes, so
 * when a name with a '.' does not demangle, the part before each '.' is tried in turn. */
#include "formats/demangle.h"

#include "formats/buf.h"

#include <demangle.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Longer names are left mangled: real C++ names stay below ~8 KiB, and libiberty's recursion
 * on pathological inputs grows with the length. */
#define DEMANGLE_MAX_INPUT 16384
/* How many '.' positions are tried when a name with a suffix does not demangle whole. */
#define DEMANGLE_MAX_SUFFIX_TRIES 8

static bool starts_with(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && memcmp(s, prefix, k) == 0;
}

/* Parses "#<digits>}" at s[0..n): sets *number and *used. */
static bool parse_count(const char *s, size_t n, unsigned long *number, size_t *used)
{
    if (n < 3 || s[0] != '#') return false;
    size_t i = 1;
    unsigned long v = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        if (v > 100000000ul) return false;
        v = v * 10 + (unsigned long)(s[i] - '0');
        i++;
    }
    if (i == 1 || i >= n || s[i] != '}' || v == 0) return false;
    *number = v;
    *used = i + 1;
    return true;
}

/* LLVM numbers closures and unnamed types '' for the first, then 0, 1, … */
static int append_llvm_count(uv_buf *out, unsigned long number)
{
    if (number == 1) return 0;
    return uv_buf_printf(out, "%lu", number - 2);
}

/* Rewrites libiberty's spellings of one demangled name (s[0..n)) into LLVM's; recursive
 * through lambda parameter lists, whose depth is bounded by the input length. */
static int rewrite(uv_buf *out, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (starts_with(s + i, n - i, "{lambda(")) {
            /* find the ')' closing the parameter list */
            size_t open = i + 7, j = open, depth = 0;
            for (; j < n; j++) {
                if (s[j] == '(')
                    depth++;
                else if (s[j] == ')' && --depth == 0)
                    break;
            }
            unsigned long number;
            size_t used;
            if (j < n && parse_count(s + j + 1, n - j - 1, &number, &used)) {
                int rc;
                if ((rc = uv_buf_append_str(out, "'lambda"))) return rc;
                if ((rc = append_llvm_count(out, number))) return rc;
                if ((rc = uv_buf_append_str(out, "'("))) return rc;
                if ((rc = rewrite(out, s + open + 1, j - open - 1))) return rc;
                if ((rc = uv_buf_append_str(out, ")"))) return rc;
                i = j + 1 + used;
                continue;
            }
        } else if (starts_with(s + i, n - i, "{unnamed type")) {
            unsigned long number;
            size_t used;
            if (parse_count(s + i + 13, n - i - 13, &number, &used)) {
                int rc;
                if ((rc = uv_buf_append_str(out, "'unnamed"))) return rc;
                if ((rc = append_llvm_count(out, number))) return rc;
                if ((rc = uv_buf_append_str(out, "'"))) return rc;
                i += 13 + used;
                continue;
            }
        } else if (starts_with(s + i, n - i, "operator<< <") ||
                   starts_with(s + i, n - i, "operator< <")) {
            /* libiberty separates a template argument list from operator< and operator<< */
            size_t op = s[i + 9] == '<' ? 10 : 9;
            int rc = uv_buf_append(out, s + i, op);
            if (rc) return rc;
            i += op + 1;
            continue;
        } else if (starts_with(s + i, n - i, "operator>>")) {
            int rc = uv_buf_append(out, s + i, 10);
            if (rc) return rc;
            i += 10;
            continue;
        } else if (starts_with(s + i, n - i, ">>")) {
            /* libiberty drops the space after an empty trailing pack ("A<B<int>>") */
            int rc = uv_buf_append_str(out, "> ");
            if (rc) return rc;
            i += 1;
            continue;
        } else if (starts_with(s + i, n - i, "decltype(nullptr)")) {
            int rc = uv_buf_append_str(out, "std::nullptr_t");
            if (rc) return rc;
            i += strlen("decltype(nullptr)");
            continue;
        }
        int rc = uv_buf_append(out, s + i, 1);
        if (rc) return rc;
        i++;
    }
    return 0;
}

/* Moves libiberty's trailing " [clone .x]" groups into `suffix` (concatenated) and returns
 * the length of what precedes them. */
static size_t strip_clones(const char *s, size_t n, uv_buf *suffix, int *rc)
{
    static const char head[] = " [clone ";
    const size_t head_len = sizeof head - 1;
    size_t end = n;
    /* collected from the right, appended in order */
    size_t starts[64], ends[64], count = 0;
    while (count < 64 && end > head_len && s[end - 1] == ']') {
        size_t k = end - 1; /* find the '[' opening this group; the suffix has no brackets */
        while (k > 0 && s[k - 1] != '[' && s[k - 1] != ']')
            k--;
        if (k < 2 || s[k - 1] != '[') break;
        size_t h = k - 2; /* where " [" starts */
        if (h + head_len > end - 1 || memcmp(s + h, head, head_len) != 0) break;
        starts[count] = h + head_len;
        ends[count] = end - 1;
        count++;
        end = h;
    }
    *rc = 0;
    for (size_t c = count; c-- > 0 && !*rc;)
        *rc = uv_buf_append(suffix, s + starts[c], ends[c] - starts[c]);
    return end;
}

static char *run_libiberty(const char *name)
{
    if (name[0] == '_' && name[1] == 'R')
        return cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_RUST);
    return cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_GNU_V3);
}

/* Formats libiberty's output `dem` plus an extra suffix from the mangled name (may be empty)
 * into the arena. */
static const char *finish(const char *dem, const char *extra_suffix, size_t extra_len,
                          uv_arena *arena)
{
    uv_buf text = UV_BUF_INIT, suffix = UV_BUF_INIT;
    const char *result = NULL;
    int rc = 0;
    size_t n = strlen(dem);
    size_t base = strip_clones(dem, n, &suffix, &rc);
    if (!rc && extra_len) rc = uv_buf_append(&suffix, extra_suffix, extra_len);
    if (!rc) rc = rewrite(&text, dem, base);
    if (!rc && suffix.len) {
        if (!(rc = uv_buf_append_str(&text, " (")))
            rc = uv_buf_append(&text, suffix.data, suffix.len);
        if (!rc) rc = uv_buf_append_str(&text, ")");
    }
    if (!rc) result = uv_arena_strndup(arena, text.len ? (const char *)text.data : "", text.len);
    uv_buf_free(&text);
    uv_buf_free(&suffix);
    return result;
}

const char *uv_demangle(const char *name, size_t len, uv_arena *arena)
{
    if (!name || len < 3 || len > DEMANGLE_MAX_INPUT) return NULL;
    if (!(name[0] == '_' && (name[1] == 'Z' || name[1] == 'R'))) return NULL;
    /* LLVM 14 does not know transactional-memory clones and prints them mangled */
    if (len >= 5 && memcmp(name, "_ZGTt", 5) == 0) return NULL;
    if (memchr(name, '\0', len)) return NULL; /* an embedded NUL is no mangled name */
    char *copy = malloc(len + 1);
    if (!copy) return NULL;
    memcpy(copy, name, len);
    copy[len] = '\0';
    const char *result = NULL;
    char *dem = run_libiberty(copy);
    if (dem) {
        result = finish(dem, NULL, 0, arena);
        free(dem);
    } else if (name[1] == 'Z') {
        /* LLVM takes whatever follows the encoding as a clone suffix */
        size_t tries = 0;
        for (size_t dot = 2; dot < len && tries < DEMANGLE_MAX_SUFFIX_TRIES; dot++) {
            if (copy[dot] != '.') continue;
            tries++;
            copy[dot] = '\0';
            dem = run_libiberty(copy);
            copy[dot] = '.';
            if (dem) {
                result = finish(dem, copy + dot, len - dot, arena);
                free(dem);
                break;
            }
        }
    }
    free(copy);
    return result;
}
