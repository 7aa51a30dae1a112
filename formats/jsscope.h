/* JavaScript function scopes: a small tokenizer (comments, strings, template literals,
 * regular expression literals, punctuation) finds every function-like scope and the token
 * that names it, so a position inside minified code can be mapped to the *enclosing*
 * function's original name, the way Sentry's sourcemapcache does:
 *   function f() {}            name token `f`
 *   const f = function () {}   `f`      const f = () => {}   `f`
 *   o.f = function () {}       `f` (the last member)         x = { f() {} } / { f: () => 1 }  `f`
 *   class C { m() {} }         `m`      class C { static m() {} get m() {} }  `m`
 *   export default function () {}  no name token
 * It does not build an AST and never fails on syntax it does not understand: unknown input
 * yields fewer or coarser scopes, never an error (except limits).
 *
 * Positions are 0-based lines and 0-based columns in UTF-16 code units (source-map units);
 * a line ends at \n, \r\n, \r, U+2028 or U+2029, as in ECMAScript. */
#ifndef UV_JSSCOPE_H
#define UV_JSSCOPE_H

#include "formats/buf.h"
#include "formats/str.h"

#include <stddef.h>
#include <stdint.h>

#define UV_JSSCOPE_NONE UINT32_MAX

typedef struct {
    uint32_t start_line, start_column; /* first token of the function (`function`, `async`,
                                          the parameter list of an arrow, a method's name) */
    uint32_t end_line, end_column;     /* just past the closing `}` (or the arrow's body) */
    uint32_t name_line, name_column;   /* position of the naming token, or UV_JSSCOPE_NONE */
    uint32_t parent;                   /* index of the enclosing scope, or UV_JSSCOPE_NONE */
    uv_str name;                       /* text of the naming token (empty when none) */
    /* Added after the fields above (append-only): for a method, accessor, constructor, class
     * field or object-literal member, the class (`class C`, or the binding of an anonymous class
     * expression) or object literal binding (`const o = {`) that holds it, with the position of
     * that naming token; empty and UV_JSSCOPE_NONE otherwise. */
    uv_str class_name;
    uint32_t class_line, class_column;
} uv_jsscope;

typedef struct uv_jsscopes uv_jsscopes;

/* Scans `src`. Scopes come out sorted by start position (parents before children).
 * Names are views into `src`, which must outlive the result. Returns 0, UV_ENOMEM or
 * UV_ETOOBIG (more than 16 Mi scopes or nesting deeper than 4096). */
int uv_jsscope_parse(uv_jsscopes **out, const char *src, size_t len);

/* Loads a table written by uv_jsscope_write_cache; zero-copy over `bytes`. */
int uv_jsscope_load_cache(uv_jsscopes **out, const void *bytes, size_t len);
int uv_jsscope_write_cache(const uv_jsscopes *scopes, uv_buf *out);

void uv_jsscope_free(uv_jsscopes *scopes); /* accepts NULL */

size_t uv_jsscope_count(const uv_jsscopes *scopes);
const uv_jsscope *uv_jsscope_get(const uv_jsscopes *scopes, size_t i);

/* Index of the innermost scope containing (line, column), or UV_JSSCOPE_NONE. */
uint32_t uv_jsscope_find(const uv_jsscopes *scopes, uint32_t line, uint32_t column);

#endif
