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

#include "formats/error.h"

#include <demangle.h>
#include <stdbool.h>
#include <stdint.h>
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

/* A member function returning a pointer or reference to function: libiberty prints its
 * qualifier inside the declarator (`int (*&C::f() const)(int)`), LLVM after the returned
 * function's parameters (`int (*&C::f())(int) const`). Rewritten in place (same length). */
static void move_function_cv(uv_buf *text)
{
    static const char pattern[] = ") const)(";
    const size_t cv = 6; /* " const" */
    char *s = (char *)text->data;
    size_t n = text->len;
    for (size_t i = 0, moves = 0; i + sizeof pattern - 1 <= n && moves < 16; i++) {
        if (memcmp(s + i, pattern, sizeof pattern - 1) != 0) continue;
        size_t open = i + sizeof pattern - 2, j = open, depth = 0;
        for (; j < n; j++) { /* the ')' closing the returned function's parameters */
            if (s[j] == '(')
                depth++;
            else if (s[j] == ')' && --depth == 0)
                break;
        }
        if (j >= n) return;
        /* ") const)(...)" → "))(...) const" */
        memmove(s + i + 1, s + i + 1 + cv, j + 1 - (i + 1 + cv));
        memcpy(s + j + 1 - cv, " const", cv);
        moves++;
        i = j;
    }
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

/* ---- LLVM 14's readings of the parse tree ---------------------------------------------------
 *
 * Two of LLVM 14's differences depend on the mangled structure, not on the printed text, so they
 * are applied to libiberty's parse tree (cplus_demangle_v3_components) before printing it:
 *
 *  - Generic lambdas: LLVM parses the `T_` of a lambda's parameter list as the type "auto", a node
 *    later substitutions (`S<n>_`) refer to as well. GCC's mangler does refer to them: the
 *    function parameters of `std::__sort<It, Cmp>(It, It, Cmp)` with a lambda comparator are
 *    mangled as substitutions of the lambda's `T_`, so LLVM prints `(auto, auto, auto)` where
 *    libiberty (resolving the template parameter at print time) prints the iterator types. The
 *    template-parameter nodes inside a lambda's parameter list become the name "auto" here; the
 *    tree shares substituted nodes, so every reference to them prints "auto" too.
 *  - Inheriting constructors (`CI1 <base>`): LLVM names the constructor after its own class,
 *    libiberty after the base class.
 *
 * The tree is a DAG (substitutions share nodes); walks mark visited nodes. libiberty allocates
 * every node from one array (`mem`, 2 x the name's length entries), so only pointers into it
 * are followed. */

typedef struct demangle_component dcomp;

typedef struct node_list node_list;

typedef struct {
    dcomp *base;        /* libiberty's node array */
    size_t count;       /* its capacity */
    uint8_t *visited;   /* one mark per node */
    node_list *lambdas; /* where collect_lambda puts them */
} tree_walk;

static bool node_index(const tree_walk *t, const dcomp *d, size_t *index)
{
    uintptr_t p = (uintptr_t)d, b = (uintptr_t)t->base;
    if (!d || p < b || (p - b) % sizeof(dcomp) != 0 || (p - b) / sizeof(dcomp) >= t->count)
        return false;
    *index = (p - b) / sizeof(dcomp);
    return true;
}

/* The children of a node (up to 2), by its kind: kinds whose union holds no node pointers have
 * none. Any pointer outside the node array is dropped by node_index. */
static int children(dcomp *d, dcomp **out)
{
    switch (d->type) {
    case DEMANGLE_COMPONENT_NAME:
    case DEMANGLE_COMPONENT_OPERATOR:
    case DEMANGLE_COMPONENT_BUILTIN_TYPE:
    case DEMANGLE_COMPONENT_EXTENDED_BUILTIN_TYPE:
    case DEMANGLE_COMPONENT_SUB_STD:
    case DEMANGLE_COMPONENT_TEMPLATE_PARAM:
    case DEMANGLE_COMPONENT_FUNCTION_PARAM:
    case DEMANGLE_COMPONENT_CHARACTER:
    case DEMANGLE_COMPONENT_NUMBER:
    case DEMANGLE_COMPONENT_UNNAMED_TYPE:
    case DEMANGLE_COMPONENT_FIXED_TYPE:
        return 0;
    case DEMANGLE_COMPONENT_CTOR:
        out[0] = d->u.s_ctor.name;
        return 1;
    case DEMANGLE_COMPONENT_DTOR:
        out[0] = d->u.s_dtor.name;
        return 1;
    case DEMANGLE_COMPONENT_EXTENDED_OPERATOR:
        out[0] = d->u.s_extended_operator.name;
        return 1;
    case DEMANGLE_COMPONENT_LAMBDA:
    case DEMANGLE_COMPONENT_DEFAULT_ARG:
        out[0] = d->u.s_unary_num.sub;
        return 1;
    default:
        out[0] = d->u.s_binary.left;
        out[1] = d->u.s_binary.right;
        return 2;
    }
}

/* Calls visit(node) once for every node reachable from `root` (depth-first, explicit stack),
 * not entering nodes for which `enter` returns false. */
typedef bool (*visit_fn)(tree_walk *t, dcomp *d);

static int walk(tree_walk *t, dcomp *root, visit_fn visit)
{
    memset(t->visited, 0, t->count);
    size_t cap = 64, top = 0;
    dcomp **stack = malloc(cap * sizeof *stack);
    if (!stack) return UV_ENOMEM;
    size_t index;
    if (node_index(t, root, &index)) {
        t->visited[index] = 1;
        stack[top++] = root;
    }
    while (top) {
        dcomp *d = stack[--top];
        if (!visit(t, d)) continue;
        dcomp *kids[2];
        int n = children(d, kids);
        for (int k = 0; k < n; k++) {
            if (!node_index(t, kids[k], &index) || t->visited[index]) continue;
            t->visited[index] = 1;
            if (top == cap) {
                dcomp **grown = uv_array_grow(stack, &cap, top, sizeof *stack, 64);
                if (!grown) {
                    free(stack);
                    return UV_ENOMEM;
                }
                stack = grown;
            }
            stack[top++] = kids[k];
        }
    }
    free(stack);
    return 0;
}

/* Inside a lambda's parameter list: template parameters become "auto". Nested encodings
 * (local names) have template parameters of their own and are not entered. */
static bool make_auto(tree_walk *t, dcomp *d)
{
    (void)t;
    if (d->type == DEMANGLE_COMPONENT_TEMPLATE_PARAM) {
        cplus_demangle_fill_name(d, "auto", 4);
        return false;
    }
    return d->type != DEMANGLE_COMPONENT_LOCAL_NAME && d->type != DEMANGLE_COMPONENT_TYPED_NAME;
}

static bool is_generic_lambda(const dcomp *d)
{
    return d->type == DEMANGLE_COMPONENT_LAMBDA && d->u.s_unary_num.sub &&
           d->u.s_unary_num.sub->type == DEMANGLE_COMPONENT_ARGLIST;
}

/* The lambdas of the tree, collected first (make_auto walks use the visited marks too). */
struct node_list {
    dcomp **items;
    size_t count, cap;
    bool failed;
};

static bool collect_lambda(tree_walk *t, dcomp *d)
{
    if (is_generic_lambda(d)) {
        node_list *l = t->lambdas;
        dcomp **grown = uv_array_grow(l->items, &l->cap, l->count, sizeof *l->items, 8);
        if (!grown) {
            l->failed = true;
            return false;
        }
        l->items = grown;
        l->items[l->count++] = d;
    }
    return true;
}

/* The unqualified class name a scope ends with (A in ns::A<int>), or NULL. */
static dcomp *base_name(dcomp *d)
{
    for (int depth = 0; d && depth < 64; depth++) {
        switch (d->type) {
        case DEMANGLE_COMPONENT_NAME:
            return d;
        case DEMANGLE_COMPONENT_QUAL_NAME:
        case DEMANGLE_COMPONENT_LOCAL_NAME:
            d = d->u.s_binary.right;
            break;
        case DEMANGLE_COMPONENT_TEMPLATE:
        case DEMANGLE_COMPONENT_TAGGED_NAME:
            d = d->u.s_binary.left;
            break;
        default:
            return NULL;
        }
    }
    return NULL;
}

static bool rename_ctor(tree_walk *t, dcomp *d)
{
    (void)t;
    dcomp *ctor = d->type == DEMANGLE_COMPONENT_QUAL_NAME ? d->u.s_binary.right : NULL;
    if (ctor && ctor->type == DEMANGLE_COMPONENT_CTOR) {
        dcomp *name = base_name(d->u.s_binary.left);
        if (name) ctor->u.s_ctor.name = name;
    }
    return true;
}

/* "CI<digit>" somewhere: maybe an inheriting constructor (C1, C2, or GCC's unified C4) */
static bool has_inheriting_ctor(const char *name)
{
    for (const char *p = strstr(name, "CI"); p; p = strstr(p + 1, "CI"))
        if (p[2] >= '1' && p[2] <= '5') return true;
    return false;
}

#define ITANIUM_OPTIONS (DMGL_PARAMS | DMGL_ANSI)

/* libiberty's demangling of an Itanium name with LLVM 14's readings applied; malloc'ed. */
static char *demangle_itanium(const char *name, bool nested);

/* How many 'E's local_return_type tries as the end of an enclosing function's encoding. */
#define LOCAL_NAME_MAX_TRIES 16

/* `_ZZ<encoding>E<entity>`: LLVM prints the enclosing function's return type
 * (`void f<int>(int)::x`), libiberty elides it from the tree. The encoding is demangled alone
 * (as `_Z<encoding>`: its substitutions start afresh there too) and its return type put in front
 * of `out`. The encoding ends at the last 'E' for which `_Z` + what precedes it demangles whole:
 * any longer prefix holds that 'E', which nothing after an encoding can consume. Returns a new
 * string (then frees `out`), or `out`. */
static char *local_return_type(const char *name, dcomp *root, char *out)
{
    dcomp *local = root;
    if (local->type == DEMANGLE_COMPONENT_TYPED_NAME) local = local->u.s_binary.left;
    if (!local || local->type != DEMANGLE_COMPONENT_LOCAL_NAME) return out;
    dcomp *encoding = local->u.s_binary.left;
    if (!encoding || encoding->type != DEMANGLE_COMPONENT_TYPED_NAME ||
        !encoding->u.s_binary.right ||
        encoding->u.s_binary.right->type != DEMANGLE_COMPONENT_FUNCTION_TYPE)
        return out;
    size_t size = 0, len = strlen(name);
    char *inner = cplus_demangle_print(ITANIUM_OPTIONS, encoding, 64, &size);
    char *prefix = malloc(len + 1);
    char *result = out;
    size_t inner_len = inner ? strlen(inner) : 0;
    if (!inner || !prefix || strncmp(out, inner, inner_len) != 0) goto done;
    size_t tries = 0;
    for (size_t e = len; e-- > 3 && tries < LOCAL_NAME_MAX_TRIES;) {
        if (name[e] != 'E') continue;
        tries++;
        memcpy(prefix, "_Z", 2);
        memcpy(prefix + 2, name + 3, e - 3);
        prefix[e - 1] = '\0';
        char *full = demangle_itanium(prefix, true);
        if (!full) continue;
        size_t full_len = strlen(full);
        if (full_len > inner_len && memcmp(full + full_len - inner_len, inner, inner_len) == 0) {
            size_t head = full_len - inner_len, out_len = strlen(out);
            char *joined = malloc(head + out_len + 1);
            if (joined) {
                memcpy(joined, full, head);
                memcpy(joined + head, out, out_len + 1);
                free(out);
                result = joined;
            }
        }
        free(full);
        break;
    }
done:
    free(prefix);
    free(inner);
    return result;
}

/* libiberty's demangling of an Itanium name with LLVM 14's readings applied; malloc'ed.
 * `nested`: called by local_return_type (which then is not applied again). */
static char *demangle_itanium(const char *name, bool nested)
{
    void *mem = NULL;
    dcomp *root = cplus_demangle_v3_components(name, ITANIUM_OPTIONS, &mem);
    if (!root) return NULL;
    size_t len = strlen(name);
    node_list lambdas = {0};
    tree_walk t = {mem, 2 * len, malloc(2 * len), &lambdas};
    char *out = NULL;
    if (!t.visited) goto done;
    int rc = walk(&t, root, collect_lambda);
    if (rc || lambdas.failed) {
        free(lambdas.items);
        goto done;
    }
    for (size_t i = 0; i < lambdas.count && !rc; i++)
        rc = walk(&t, lambdas.items[i]->u.s_unary_num.sub, make_auto);
    free(lambdas.items);
    if (!rc && has_inheriting_ctor(name)) rc = walk(&t, root, rename_ctor);
    size_t size = 0;
    if (!rc) out = cplus_demangle_print(ITANIUM_OPTIONS, root, (int)len * 2, &size);
    if (out && !nested && name[2] == 'Z') out = local_return_type(name, root, out);
done:
    free(t.visited);
    free(mem);
    return out;
}

static char *run_libiberty(const char *name)
{
    if (name[0] == '_' && name[1] == 'R')
        return cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_RUST);
    return demangle_itanium(name, false);
}

/* Formats libiberty's output `dem` plus an extra suffix from the mangled name (may be empty)
 * into the arena. */
static const char *finish(const char *dem, const char *extra_suffix, size_t extra_len, bool itanium,
                          uv_arena *arena)
{
    uv_buf text = UV_BUF_INIT, suffix = UV_BUF_INIT;
    const char *result = NULL;
    int rc = 0;
    size_t n = strlen(dem);
    size_t base = strip_clones(dem, n, &suffix, &rc);
    if (!rc && extra_len) rc = uv_buf_append(&suffix, extra_suffix, extra_len);
    if (!rc && itanium) rc = rewrite(&text, dem, base);
    if (!rc && itanium) move_function_cv(&text);
    if (!rc && !itanium) rc = uv_buf_append(&text, dem, base); /* LLVM's Rust printer agrees */
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
        result = finish(dem, NULL, 0, name[1] == 'Z', arena);
        free(dem);
    } else if (name[1] == 'Z') {
        /* LLVM takes whatever follows the encoding as a clone suffix */
        size_t tries = 0;
        for (size_t dot = 2; dot < len && tries < DEMANGLE_MAX_SUFFIX_TRIES; dot++) {
            if (copy[dot] != '.') continue;
            /* Rust legacy names escape "::" inside identifiers as "..": such dots never end
             * an encoding, so they use up no try */
            if (copy[dot + 1] == '.') {
                dot++;
                continue;
            }
            tries++;
            copy[dot] = '\0';
            dem = run_libiberty(copy);
            copy[dot] = '.';
            if (dem) {
                result = finish(dem, copy + dot, len - dot, true, arena);
                free(dem);
                break;
            }
        }
    }
    free(copy);
    return result;
}
