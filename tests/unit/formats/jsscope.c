/* Tests for the JavaScript function-scope finder: every construct with its exact name and
 * positions, regex/division and template cases, UTF-16 columns, real minifier output,
 * lookups, the cache round trip and corrupt-cache rejection, and a self-check over acorn. */
#include "formats/error.h"
#include "formats/jsscope.h"
#include "test.h"

#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

/* Renders every scope as `name[sl:sc-el:ec]@nl:nc^parent{class}` separated by spaces;
 * an anonymous scope is `-` without `@`, a top-level one has no `^`, no class no `{}`. */
static char *render(const uv_jsscopes *s)
{
    uv_buf b = UV_BUF_INIT;
    for (size_t i = 0; i < uv_jsscope_count(s); i++) {
        const uv_jsscope *x = uv_jsscope_get(s, i);
        if (i) uv_buf_append_str(&b, " ");
        if (x->name.len)
            uv_buf_printf(&b, "%.*s", (int)x->name.len, x->name.ptr);
        else
            uv_buf_append_str(&b, "-");
        uv_buf_printf(&b, "[%u:%u-%u:%u]", x->start_line, x->start_column, x->end_line,
                      x->end_column);
        if (x->name_line != UV_JSSCOPE_NONE)
            uv_buf_printf(&b, "@%u:%u", x->name_line, x->name_column);
        if (x->parent != UV_JSSCOPE_NONE) uv_buf_printf(&b, "^%u", x->parent);
        if (x->class_name.len)
            uv_buf_printf(&b, "{%.*s@%u:%u}", (int)x->class_name.len, x->class_name.ptr,
                          x->class_line, x->class_column);
    }
    uv_buf_append(&b, "", 1);
    return (char *)b.data;
}

static char *scan(const char *src, size_t len)
{
    uv_jsscopes *s = NULL;
    int rc = uv_jsscope_parse(&s, src, len);
    CHECK_INT(rc, 0);
    if (rc) return NULL;
    char *text = render(s);
    uv_jsscope_free(s);
    return text;
}

typedef struct {
    const char *src;
    const char *expected;
} scope_case;

static void run_cases(const scope_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *got = scan(cases[i].src, strlen(cases[i].src));
        if (!got || strcmp(got, cases[i].expected) != 0)
            fprintf(stderr, "case %zu: %s\n", i, cases[i].src);
        CHECK_STR(got, cases[i].expected);
        free(got);
    }
}

TEST(declarations_and_expressions)
{
    static const scope_case cases[] = {
        {"function f(){}", "f[0:0-0:14]@0:9"},
        {"function* g(){ yield 1 }", "g[0:0-0:24]@0:10"},
        {"async function h(){}", "h[0:0-0:20]@0:15"},
        {"async function* ag(){}", "ag[0:0-0:22]@0:16"},
        {"(function(){})()", "-[0:1-0:13]"},
        {"!function(){}()", "-[0:1-0:13]"},
        {"const a = function b(){}", "b[0:10-0:24]@0:19"},
        {"var f = function(){}", "f[0:8-0:20]@0:4"},
        {"let f = async function(){}", "f[0:8-0:26]@0:4"},
        {"var g=function(){},h=function(){};", "g[0:6-0:18]@0:4 h[0:21-0:33]@0:19"},
        {"a.b.c = function(){}", "c[0:8-0:20]@0:4"},
        {"a[0] = function(){}", "-[0:7-0:19]"},
        {"export default function(){}", "-[0:15-0:27]"},
        {"export default function named(){}", "named[0:15-0:33]@0:24"},
        {"foo(function(){ return 1 })", "-[0:4-0:26]"},
        {"function outer(){ function inner(){} }", "outer[0:0-0:38]@0:9 inner[0:18-0:36]@0:27^0"},
        {"function f(a = function(){}) {}", "f[0:0-0:31]@0:9 a[0:15-0:27]@0:11^0"},
        {"x = { function: 1 }; function f(){}", "f[0:21-0:35]@0:30"},
        {"o.function = 1; function f(){}", "f[0:16-0:30]@0:25"},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

TEST(arrows)
{
    static const scope_case cases[] = {
        {"const f = () => {}", "f[0:10-0:18]@0:6"},
        {"x = () => {}", "x[0:4-0:12]@0:0"},
        {"const f = async (a) => a + 1;", "f[0:10-0:28]@0:6"},
        {"const f = async a => a;", "f[0:10-0:22]@0:6"},
        {"const f = a => a, g = 2", "f[0:10-0:16]@0:6"},
        {"let x = () => 1, y = async (a) => { return a }, z = a => a * 2;",
         "x[0:8-0:15]@0:4 y[0:21-0:46]@0:17 z[0:52-0:62]@0:48"},
        /* the body ends where automatic semicolon insertion applies … */
        {"const f = a => a\nfoo()", "f[0:10-0:16]@0:6"},
        /* … and not where the expression continues */
        {"const f = a => a\n  .map(b => b)", "f[0:10-1:14]@0:6 -[1:7-1:13]^0"},
        {"f(a => b => c)", "-[0:2-0:13] -[0:7-0:13]^0"},
        {"const f = a => a ? 1 : 2, g = 3", "f[0:10-0:24]@0:6"},
        {"x = c ? a => 1 : b", "-[0:8-0:14]"},
        {"x = [a => a, b => b]", "-[0:5-0:11] -[0:13-0:19]"},
        {"f((a, b) => { return a }, c)", "-[0:2-0:24]"},
        {"const f = () => ({ a: 1 })", "f[0:10-0:26]@0:6"},
        {"const f = () => function(){}", "f[0:10-0:28]@0:6 -[0:16-0:28]^0"},
        {"x = `${a => a}`", "-[0:7-0:13]"},
        {"f(async () => { await g() })", "-[0:2-0:27]"},
        {"x = () =>", ""},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

TEST(object_and_class_members)
{
    static const scope_case cases[] = {
        {"o = { f() {}, 'g'() {}, get h() {}, set h(v) {}, async *i() {}, [k]() {}, k: "
         "function(){}, l: () => {} };",
         "f[0:6-0:12]@0:6{o@0:0} g[0:14-0:22]@0:14{o@0:0} h[0:28-0:34]@0:28{o@0:0} "
         "h[0:40-0:47]@0:40{o@0:0} i[0:56-0:62]@0:56{o@0:0} -[0:64-0:72]{o@0:0} "
         "k[0:77-0:89]@0:74{o@0:0} l[0:94-0:102]@0:91{o@0:0}"},
        {"class C { constructor(){} m(){} static s(){} #p(){} get g(){} f = () => {} }",
         "constructor[0:10-0:25]@0:10{C@0:6} m[0:26-0:31]@0:26{C@0:6} "
         "s[0:39-0:44]@0:39{C@0:6} #p[0:45-0:51]@0:45{C@0:6} g[0:56-0:61]@0:56{C@0:6} "
         "f[0:66-0:74]@0:62{C@0:6}"},
        {"const K = class { m() {} }", "m[0:18-0:24]@0:18{K@0:6}"},
        {"class A extends mix(B, { x() {} }) { run() { return 1 } }",
         "x[0:25-0:31]@0:25 run[0:37-0:55]@0:37{A@0:6}"},
        {"class A {\n  a = 1\n  b() {}\n  static #c = function() {}\n}",
         "b[2:2-2:8]@2:2{A@0:6} #c[3:14-3:27]@3:9{A@0:6}"},
        {"x = { 'a-b': function(){}, 1: () => 1 }",
         "a-b[0:13-0:25]@0:6{x@0:0} 1[0:30-0:37]@0:27{x@0:0}"},
        {"x = { a: c ? d : function(){} }", "-[0:17-0:29]"},
        {"x = { a: f(function(){}) }", "-[0:11-0:23]"},
        {"x = { a: { b() {} } }", "b[0:11-0:17]@0:11{a@0:6}"},
        {"if (a) { f() } else { g() }", ""},
        {"switch (x) { case 1: { f() } }", ""},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

/* Each case would lose or misplace a scope if the `/` were lexed the other way. */
TEST(regex_or_division)
{
    static const scope_case cases[] = {
        {"x = a / b; function f(){} y = c / d", "f[0:11-0:25]@0:20"},
        {"a = b / c / d; function f(){}", "f[0:15-0:29]@0:24"},
        {"x = /re\\/[/]/g.test(s); function f(){}", "f[0:24-0:38]@0:33"},
        {"x = /[/]{/.test(s); function f(){}", "f[0:20-0:34]@0:29"},
        {"function g(){ if (a) /}/.test(b); return 1 } function f(){}",
         "g[0:0-0:44]@0:9 f[0:45-0:59]@0:54"},
        {"function g(){ while (a) /}/.exec(b) }", "g[0:0-0:37]@0:9"},
        {"function g(){ return /}/ } function f(){}", "g[0:0-0:26]@0:9 f[0:27-0:41]@0:36"},
        {"function g(){ x = (a) / 2 } var y = 1 / 2", "g[0:0-0:27]@0:9"},
        {"function g(){ {} /}/.test(s) } function f(){}", "g[0:0-0:30]@0:9 f[0:31-0:45]@0:40"},
        {"function g(){ x = {} / 2 } function f(){}", "g[0:0-0:26]@0:9 f[0:27-0:41]@0:36"},
        {"function g(){ x = a.return / 2 } function f(){}", "g[0:0-0:32]@0:9 f[0:33-0:47]@0:42"},
        {"function g(){ x = a[0] / 2 / 1 } function f(){}", "g[0:0-0:32]@0:9 f[0:33-0:47]@0:42"},
        {"function g(){ typeof /}/ } function f(){}", "g[0:0-0:26]@0:9 f[0:27-0:41]@0:36"},
        {"function g(){ x = a++ / 2 / 1 } function f(){}", "g[0:0-0:31]@0:9 f[0:32-0:46]@0:41"},
        {"x = 1 /* } */ / 2; function f(){ // }\n}", "f[0:19-1:1]@0:28"},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

TEST(strings_templates_comments)
{
    static const scope_case cases[] = {
        {"x = `a${ {b: 1}.b }c${ `${ function f(){} }` }d`; function g(){}",
         "f[0:27-0:41]@0:36 g[0:50-0:64]@0:59"},
        {"function g(){ return `${a}}` }", "g[0:0-0:30]@0:9"},
        {"function g(){ return `}${ `}` }}` }", "g[0:0-0:35]@0:9"},
        {"x = `line\n${ (() => 1)() }\n`; function f(){}", "-[1:4-1:11] f[2:3-2:17]@2:12"},
        {"x = '}\\'}'; function f(){}", "f[0:12-0:26]@0:21"},
        {"x = \"}\\\"}\"; function f(){}", "f[0:12-0:26]@0:21"},
        {"x = \"a\\\nb\"; function f(){}", "f[1:4-1:18]@1:13"},
        {"/* } */ function f(){ // }\n}", "f[0:8-1:1]@0:17"},
        {"#!/usr/bin/env node\nfunction f(){}", "f[1:0-1:14]@1:9"},
        /* unterminated constructs end at the line or the input and never crash */
        {"x = 'abc\nfunction f(){}", "f[1:0-1:14]@1:9"},
        {"x = /abc\nfunction f(){}", "f[1:0-1:14]@1:9"},
        {"function f(){ /* never closed", "f[0:0-0:29]@0:9"},
        {"function f(){ `abc ${ x", "f[0:0-0:23]@0:9"},
        {"function f(){ function g(){", "f[0:0-0:27]@0:9 g[0:14-0:27]@0:23^0"},
        {")))}}}]]] function f(){}", "f[0:10-0:24]@0:19"},
        {"function f(){ ( }", "f[0:0-0:17]@0:9"},
        {"function f(){ [ ( } function g(){}", "f[0:0-0:19]@0:9 g[0:20-0:34]@0:29"},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

TEST(typescript_best_effort)
{
    static const scope_case cases[] = {
        {"function f(a: string, cb: (x: number) => void): Promise<void> { return 1 }",
         "f[0:0-0:74]@0:9"},
        {"const g: (a: number) => void = (a) => {}", "g[0:31-0:40]@0:6"},
        {"class A { handler: Handler = () => {}; m(a: T): (x: U) => V { return 1 } }",
         "handler[0:29-0:37]@0:10{A@0:6} m[0:39-0:72]@0:39{A@0:6}"},
        {"const h = (a: number): string => a.toString()", "h[0:10-0:45]@0:6"},
        {"interface I<T> { pull?: (c: T) => void; run(): void }", ""},
        {"type Fn = (a: number) => void;\nconst k = () => 1", "k[1:10-1:17]@1:6"},
        {"function id<T>(x: T): T { return x }", "id[0:0-0:36]@0:9"},
        {"class B<T> extends A<T> implements I { private async run(): Promise<void> {} }",
         "run[0:53-0:76]@0:53{B@0:6}"},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

TEST(utf16_columns_and_line_terminators)
{
    static const scope_case cases[] = {
        /* U+1F600 is 4 UTF-8 bytes and 2 UTF-16 units */
        {"var s = '\xF0\x9F\x98\x80'; function f(){}", "f[0:14-0:28]@0:23"},
        /* U+00E9 is 2 bytes, 1 unit */
        {"var \xC3\xA9 = 1; function f(){}", "f[0:11-0:25]@0:20"},
        /* U+1D465 (a letter) as an identifier: 2 units */
        {"var \xF0\x9D\x91\xA5 = function(){}", "\xF0\x9D\x91\xA5[0:9-0:21]@0:4"},
        {"\r\nfunction f(){\r\n}\r\n", "f[1:0-2:1]@1:9"},
        {"a\rfunction f(){}", "f[1:0-1:14]@1:9"},
        /* U+2028 and U+2029 end lines, also inside strings and comments */
        {"x = 1;\xE2\x80\xA8"
         "function f(){}",
         "f[1:0-1:14]@1:9"},
        {"x = '\xE2\x80\xA8'; function f(){}", "f[1:3-1:17]@1:12"},
        {"// c\xE2\x80\xA9"
         "function f(){}",
         "f[1:0-1:14]@1:9"},
        /* invalid bytes count one unit each */
        {"x = '\xFF\xFE'; function f(){}", "f[0:10-0:24]@0:19"},
        {"x = '\xE2\x82'; function f(){}", "f[0:10-0:24]@0:19"},
        {"x = '\xED\xA0\x80'; function f(){}", "f[0:11-0:25]@0:20"},
        /* a byte order mark at the start is not part of the text; elsewhere U+FEFF and
         * U+00A0 are whitespace */
        {"\xEF\xBB\xBF"
         "function\xC2\xA0"
         "f(){}",
         "f[0:0-0:14]@0:9"},
        {"x;\xEF\xBB\xBF"
         "function f(){}",
         "f[0:3-0:17]@0:12"},
        {"\xEF\xBB\xBF#!/usr/bin/env node\nfunction f(){}", "f[1:0-1:14]@1:9"},
        /* \u escapes in identifiers */
        {"var \\u0061b = function(){}", "\\u0061b[0:14-0:26]@0:4"},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

/* Looks up the scope at the byte offset of `needle` in a one-line ASCII source (columns equal
 * byte offsets there) and returns its name, "-" when anonymous, "(none)" outside any. */
static const char *name_at(const uv_jsscopes *s, const char *src, const char *needle, char *out,
                           size_t cap)
{
    const char *at = strstr(src, needle);
    if (!at) return "(needle missing)";
    uint32_t i = uv_jsscope_find(s, 0, (uint32_t)(at - src));
    if (i == UV_JSSCOPE_NONE) return "(none)";
    const uv_jsscope *x = uv_jsscope_get(s, i);
    if (!x->name.len) return "-";
    snprintf(out, cap, "%.*s", (int)x->name.len, x->name.ptr);
    return out;
}

/* Output of the pinned terser (-c -m --module) and esbuild (--minify --format=esm) on a small
 * module (a class with a constructor, methods, a static method and a getter; a function with
 * a named function expression and an arrow callback; an arrow with a template; an object with
 * a method and a function property), made when this test was written. */
static const char terser_out[] =
    "export class Cart{constructor(t){this.items=t}total(){return this.items.reduce((t,e)=>"
    "t+e.price,0)}static empty(){return new Cart([])}get size(){return this.items.length}}"
    "export function checkout(t,e){if(0===t.size)throw new TypeError(\"empty cart\");return "
    "e(t.total()).then(function(t){return t.id},t=>{throw console.error(t),t})}export const "
    "format=t=>`$${(t/100).toFixed(2)} ${t>1e6?\"!\":\"\"}`;const t={click:t=>t.target,key:"
    "function(t){return/^[a-z\\/]+$/i.test(t.key)}};export default t;";

static const char esbuild_out[] =
    "class n{constructor(e){this.items=e}total(){return this.items.reduce((e,r)=>e+r.price,0)}"
    "static empty(){return new n([])}get size(){return this.items.length}}function c(t,e){if("
    "t.size===0)throw new TypeError(\"empty cart\");const r=t.total();return e(r).then("
    "function(i){return i.id},o=>{throw console.error(o),o})}const u=t=>`$${(t/100).toFixed(2)"
    "} ${t>1e6?\"!\":\"\"}`,s={click(t){return t.target},key:function(t){return/^[a-z\\/]+$/i."
    "test(t.key)}};var a=s;export{n as Cart,c as checkout,a as default,u as format};";

/* terser -c -m of an IIFE library (a function declaration, an object of functions, a
 * member assignment). */
static const char terser_iife[] =
    "!function(n){function r(n){for(var r=[],t=0;t<n.length;t++)\"}\"===n[t]&&r.push(t);"
    "return r}n.Lib={parse:r,version:\"1.0\",run:function(n){return r(n).map(n=>n/2)}},"
    "n.Lib.helper=function(){return 42}}(this);";

TEST(minified_output)
{
    char buf[64];
    uv_jsscopes *s = NULL;
    CHECK_INT(uv_jsscope_parse(&s, terser_out, strlen(terser_out)), 0);
    CHECK_INT(uv_jsscope_count(s), 11);
    CHECK_STR(name_at(s, terser_out, "this.items=t", buf, sizeof buf), "constructor");
    CHECK_STR(name_at(s, terser_out, "t+e.price", buf, sizeof buf), "-");
    CHECK_STR(name_at(s, terser_out, ",0)}static", buf, sizeof buf), "total");
    CHECK_STR(name_at(s, terser_out, "new Cart([])", buf, sizeof buf), "empty");
    CHECK_STR(name_at(s, terser_out, "this.items.length", buf, sizeof buf), "size");
    CHECK_STR(name_at(s, terser_out, "new TypeError", buf, sizeof buf), "checkout");
    CHECK_STR(name_at(s, terser_out, "return t.id", buf, sizeof buf), "-");
    CHECK_STR(name_at(s, terser_out, "console.error", buf, sizeof buf), "-");
    CHECK_STR(name_at(s, terser_out, "toFixed", buf, sizeof buf), "format");
    CHECK_STR(name_at(s, terser_out, "t.target", buf, sizeof buf), "click");
    CHECK_STR(name_at(s, terser_out, "i.test(t.key)", buf, sizeof buf), "key");
    CHECK_STR(name_at(s, terser_out, "export default", buf, sizeof buf), "(none)");
    uint32_t at = (uint32_t)(strstr(terser_out, "this.items.length") - terser_out);
    const uv_jsscope *size = uv_jsscope_get(s, uv_jsscope_find(s, 0, at));
    CHECK(size != NULL);
    if (size) {
        CHECK_VIEW(size->class_name, "Cart");
        CHECK_INT(size->class_column, (const char *)strstr(terser_out, "Cart{") - terser_out);
        CHECK_INT(size->name_column, strstr(terser_out, "size(){") - terser_out);
    }
    uv_jsscope_free(s);

    CHECK_INT(uv_jsscope_parse(&s, esbuild_out, strlen(esbuild_out)), 0);
    CHECK_INT(uv_jsscope_count(s), 11);
    CHECK_STR(name_at(s, esbuild_out, "this.items=e", buf, sizeof buf), "constructor");
    CHECK_STR(name_at(s, esbuild_out, "new n([])", buf, sizeof buf), "empty");
    CHECK_STR(name_at(s, esbuild_out, "const r=t.total()", buf, sizeof buf), "c");
    CHECK_STR(name_at(s, esbuild_out, "toFixed", buf, sizeof buf), "u");
    CHECK_STR(name_at(s, esbuild_out, "return t.target", buf, sizeof buf), "click");
    CHECK_STR(name_at(s, esbuild_out, "i.test(t.key)", buf, sizeof buf), "key");
    at = (uint32_t)(strstr(esbuild_out, "return t.target") - esbuild_out);
    const uv_jsscope *click = uv_jsscope_get(s, uv_jsscope_find(s, 0, at));
    CHECK(click != NULL);
    if (click) CHECK_VIEW(click->class_name, "s");
    uv_jsscope_free(s);

    CHECK_INT(uv_jsscope_parse(&s, terser_iife, strlen(terser_iife)), 0);
    CHECK_INT(uv_jsscope_count(s), 5);
    CHECK_STR(name_at(s, terser_iife, "r.push", buf, sizeof buf), "r");
    CHECK_STR(name_at(s, terser_iife, "version", buf, sizeof buf), "-");
    CHECK_STR(name_at(s, terser_iife, "r(n).map", buf, sizeof buf), "run");
    CHECK_STR(name_at(s, terser_iife, "n/2", buf, sizeof buf), "-");
    CHECK_STR(name_at(s, terser_iife, "return 42", buf, sizeof buf), "helper");
    CHECK_STR(name_at(s, terser_iife, "(this)", buf, sizeof buf), "(none)");
    uv_jsscope_free(s);
}

TEST(find)
{
    /*          0         1         2         3         4
     *          0123456789012345678901234567890123456789012345 */
    const char *src = "x; function a(){ b(function c(){ 1 }); 2 } z";
    uv_jsscopes *s = NULL;
    CHECK_INT(uv_jsscope_parse(&s, src, strlen(src)), 0);
    CHECK_INT(uv_jsscope_count(s), 2);
    CHECK_INT(uv_jsscope_find(s, 0, 0), UV_JSSCOPE_NONE);
    CHECK_INT(uv_jsscope_find(s, 0, 2), UV_JSSCOPE_NONE);
    CHECK_INT(uv_jsscope_find(s, 0, 3), 0); /* start is inclusive */
    CHECK_INT(uv_jsscope_find(s, 0, 18), 0);
    CHECK_INT(uv_jsscope_find(s, 0, 19), 1);
    CHECK_INT(uv_jsscope_find(s, 0, 33), 1);
    CHECK_INT(uv_jsscope_find(s, 0, 36), 0); /* end is exclusive */
    CHECK_INT(uv_jsscope_find(s, 0, 40), 0);
    CHECK_INT(uv_jsscope_find(s, 0, 42), UV_JSSCOPE_NONE);
    CHECK_INT(uv_jsscope_find(s, 1, 0), UV_JSSCOPE_NONE);
    CHECK(uv_jsscope_get(s, 2) == NULL);
    uv_jsscope_free(s);
    CHECK_INT(uv_jsscope_find(NULL, 0, 0), UV_JSSCOPE_NONE);
    CHECK_INT(uv_jsscope_count(NULL), 0);
    uv_jsscope_free(NULL);

    /* a multi-line source: the position after a nested scope's end line */
    const char *ml = "function a() {\n  function b() {\n  }\n  x()\n}\n";
    CHECK_INT(uv_jsscope_parse(&s, ml, strlen(ml)), 0);
    CHECK_INT(uv_jsscope_find(s, 1, 20), 1);
    CHECK_INT(uv_jsscope_find(s, 2, 2), 1);
    CHECK_INT(uv_jsscope_find(s, 2, 3), 0);
    CHECK_INT(uv_jsscope_find(s, 3, 2), 0);
    CHECK_INT(uv_jsscope_find(s, 4, 1), UV_JSSCOPE_NONE);
    uv_jsscope_free(s);
}

TEST(limits)
{
    size_t n = 5000;
    char *deep = malloc(2 * n + 32);
    memcpy(deep, "function f(){", 13);
    memset(deep + 13, '(', n);
    uv_jsscopes *s = NULL;
    CHECK_INT(uv_jsscope_parse(&s, deep, 13 + n), UV_ETOOBIG);
    CHECK(s == NULL);
    CHECK_CONTAINS(uv_error_last()->message, "4096");
    /* 4000 deep is fine, and unclosed brackets close at the end */
    CHECK_INT(uv_jsscope_parse(&s, deep, 13 + 4000), 0);
    CHECK_INT(uv_jsscope_count(s), 1);
    uv_jsscope_free(s);
    /* many closers with nothing open: linear, ignored */
    memset(deep, ')', 2 * n);
    CHECK_INT(uv_jsscope_parse(&s, deep, 2 * n), 0);
    CHECK_INT(uv_jsscope_count(s), 0);
    uv_jsscope_free(s);
    /* nested arrows count towards the nesting limit too */
    char *arrows = malloc(6 * n);
    for (size_t i = 0; i < n; i++)
        memcpy(arrows + 6 * i, "a=>b=>", 6);
    CHECK_INT(uv_jsscope_parse(&s, arrows, 6 * n), UV_ETOOBIG);
    free(arrows);
    free(deep);
    CHECK_INT(uv_jsscope_parse(&s, "", 0), 0);
    CHECK_INT(uv_jsscope_count(s), 0);
    uv_jsscope_free(s);
}

static const char cache_src[] =
    "class Shop { constructor(){} get total(){ return [1].map(x => x * 2) } }\n"
    "const o = { 'k\xC3\xA9y'() {}, [z]() {} };\n"
    "(function(){ a.b = function(){}; })();\n";

static bool same_scopes(const uv_jsscopes *a, const uv_jsscopes *b)
{
    if (uv_jsscope_count(a) != uv_jsscope_count(b)) return false;
    for (size_t i = 0; i < uv_jsscope_count(a); i++) {
        const uv_jsscope *x = uv_jsscope_get(a, i), *y = uv_jsscope_get(b, i);
        if (x->start_line != y->start_line || x->start_column != y->start_column ||
            x->end_line != y->end_line || x->end_column != y->end_column ||
            x->name_line != y->name_line || x->name_column != y->name_column ||
            x->parent != y->parent || !uv_str_eq(x->name, y->name) ||
            !uv_str_eq(x->class_name, y->class_name) || x->class_line != y->class_line ||
            x->class_column != y->class_column)
            return false;
    }
    return true;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

TEST(cache_round_trip)
{
    uv_jsscopes *s = NULL, *loaded = NULL;
    CHECK_INT(uv_jsscope_parse(&s, cache_src, strlen(cache_src)), 0);
    CHECK_INT(uv_jsscope_count(s), 7);
    uv_buf b = UV_BUF_INIT;
    uv_buf_append(&b, "pre", 3); /* the cache is appended after what is in the buffer */
    CHECK_INT(uv_jsscope_write_cache(s, &b), 0);
    /* names: constructor+Shop, total+Shop, k\xC3\xA9y+o, o, b */
    CHECK_INT(b.len, 3 + 32 + 7 * 52 + (11 + 4 + 5 + 4 + 4 + 1 + 1 + 1));
    CHECK(memcmp(b.data + 3, "UVJS", 4) == 0);
    size_t len = b.len - 3;
    uint8_t *bytes = malloc(len); /* exact size, so ASan sees any read past the end */
    memcpy(bytes, b.data + 3, len);
    uv_buf_free(&b);
    CHECK_INT(uv_jsscope_load_cache(&loaded, bytes, len), 0);
    CHECK(same_scopes(s, loaded));
    /* names are views into the cache bytes (zero copy) */
    const uv_jsscope *first = uv_jsscope_get(loaded, 0);
    CHECK(first && first->class_name.ptr >= (const char *)bytes &&
          first->class_name.ptr < (const char *)bytes + len);
    CHECK_INT(uv_jsscope_find(loaded, 0, 60), uv_jsscope_find(s, 0, 60));
    char *a = render(s), *c = render(loaded);
    CHECK_STR(c, a);
    free(a);
    free(c);
    uv_jsscope_free(loaded);

    /* every truncation is rejected as corrupt */
    int bad = 0;
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *part = malloc(cut ? cut : 1);
        memcpy(part, bytes, cut);
        loaded = NULL;
        int rc = uv_jsscope_load_cache(&loaded, part, cut);
        if (rc != UV_ECORRUPT || loaded) bad++;
        free(part);
    }
    CHECK_INT(bad, 0);

    uint8_t *copy = malloc(len + 1);
#define MUTATE(offset, value, expected_rc, needle)                                                 \
    do {                                                                                           \
        memcpy(copy, bytes, len);                                                                  \
        put32(copy + (offset), (value));                                                           \
        CHECK_INT(uv_jsscope_load_cache(&loaded, copy, len), (expected_rc));                       \
        CHECK_CONTAINS(uv_error_last()->message, (needle));                                        \
    } while (0)
    MUTATE(0, 0x12345678, UV_ECORRUPT, "magic");
    MUTATE(0, 0x55564A53, UV_EUNSUPPORTED, "byte order");
    MUTATE(4, 2, UV_EUNSUPPORTED, "version 2");
    MUTATE(8, 8, UV_ECORRUPT, "offset 8");
    MUTATE(8, 0xFFFFFFFF, UV_ECORRUPT, "offset 8");
    MUTATE(12, 0xFFFFFFF0, UV_ECORRUPT, "offset 8");
    /* record 1 (the getter `total`, 0:33-0:70): parent pointing forward or at itself, name
     * outside the string table, end before start, start before record 0's (0:13) */
    MUTATE(32 + 52 + 24, 5, UV_ECORRUPT, "parent");
    MUTATE(32 + 52 + 24, 1, UV_ECORRUPT, "parent");
    MUTATE(32 + 52 + 28, 0xFFFFFFFE, UV_ECORRUPT, "string table");
    MUTATE(32 + 52 + 32, 0xFFFFFFFE, UV_ECORRUPT, "string table");
    MUTATE(32 + 52 + 44, 40, UV_ECORRUPT, "string table");
    MUTATE(32 + 52 + 12, 0, UV_ECORRUPT, "ends before");
    MUTATE(32 + 52 + 4, 0, UV_ECORRUPT, "not sorted");
    /* record 2 (the arrow inside `total`) overhanging its parent */
    MUTATE(32 + 2 * 52 + 12, 500, UV_ECORRUPT, "inside its parent");
#undef MUTATE
    /* a trailing byte is corrupt too */
    memcpy(copy, bytes, len);
    copy[len] = 0;
    CHECK_INT(uv_jsscope_load_cache(&loaded, copy, len + 1), UV_ECORRUPT);
    free(copy);

    /* an empty table round-trips */
    uv_jsscopes *empty = NULL;
    CHECK_INT(uv_jsscope_parse(&empty, "x = 1", 5), 0);
    b = UV_BUF_INIT;
    CHECK_INT(uv_jsscope_write_cache(empty, &b), 0);
    CHECK_INT(b.len, 32);
    CHECK_INT(uv_jsscope_load_cache(&loaded, b.data, b.len), 0);
    CHECK_INT(uv_jsscope_count(loaded), 0);
    uv_jsscope_free(loaded);
    uv_jsscope_free(empty);
    uv_buf_free(&b);
    free(bytes);
    uv_jsscope_free(s);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

static const char *node_modules(void)
{
    const char *env = getenv("NODE_MODULES");
    return env ? env : UV_TEST_DATA "/../../node_modules";
}

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$';
}

/* Every `function NAME(` in acorn's bundle (found by a plain text scan, independent of the
 * tokenizer) must be a scope named NAME whose name position is that NAME. */
TEST(acorn_self_check)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/acorn/dist/acorn.js", node_modules());
    size_t len;
    char *src = read_file(path, &len);
    if (!src) {
        printf("skip acorn_self_check: %s not found\n", path);
        return;
    }
    uv_jsscopes *s = NULL;
    CHECK_INT(uv_jsscope_parse(&s, src, len), 0);
    size_t declared = 0, found = 0, assigned = 0, assigned_found = 0;
    uint32_t line = 0, col = 0;
    for (size_t i = 0; i < len; i++) {
        if (src[i] == '\n') {
            line++;
            col = 0;
            continue;
        }
        if (strncmp(src + i, "function ", 9) == 0 && (i == 0 || !ident_char(src[i - 1]))) {
            size_t n = i + 9, end = n;
            while (end < len && ident_char(src[end]))
                end++;
            size_t paren = end;
            while (paren < len && src[paren] == ' ')
                paren++;
            if (end > n && paren < len && src[paren] == '(') {
                declared++;
                uint32_t name_col = col + (uint32_t)(n - i);
                uint32_t at = uv_jsscope_find(s, line, name_col);
                const uv_jsscope *x = uv_jsscope_get(s, at);
                if (x && x->name_line == line && x->name_column == name_col &&
                    x->name.len == end - n && memcmp(x->name.ptr, src + n, end - n) == 0)
                    found++;
                else
                    fprintf(stderr, "acorn: function %.*s at %u:%u not found\n", (int)(end - n),
                            src + n, line + 1, name_col);
            }
        }
        /* `.NAME = function(`: the member names the function expression */
        if (strncmp(src + i, " = function(", 12) == 0) {
            size_t n = i;
            while (n > 0 && ident_char(src[n - 1]))
                n--;
            if (n < i && n > 0 && src[n - 1] == '.') {
                assigned++;
                uint32_t at = uv_jsscope_find(s, line, col + 3);
                const uv_jsscope *x = uv_jsscope_get(s, at);
                if (x && x->start_line == line && x->start_column == col + 3 &&
                    x->name_line == line && x->name_column == col - (uint32_t)(i - n) &&
                    x->name.len == i - n && memcmp(x->name.ptr, src + n, i - n) == 0)
                    assigned_found++;
                else
                    fprintf(stderr, "acorn: .%.*s = function at %u:%u not found\n", (int)(i - n),
                            src + n, line + 1, col + 3);
            }
        }
        col++; /* acorn.js is ASCII, so bytes are columns */
    }
    printf("acorn: %zu scopes, %zu of %zu `function NAME(` and %zu of %zu `.NAME = function(` "
           "found\n",
           uv_jsscope_count(s), found, declared, assigned_found, assigned);
    CHECK(declared >= 50);
    CHECK_INT(found, declared);
    CHECK(assigned >= 100);
    CHECK_INT(assigned_found, assigned);
    uv_jsscope_free(s);
    free(src);
}

/* Scans TypeScript's 9 MB compiler and reports the time (informational: timing under
 * sanitizers or a loaded machine says nothing); checks the table is a consistent tree. */
TEST(typescript_scan)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/typescript/lib/typescript.js", node_modules());
    size_t len;
    char *src = read_file(path, &len);
    if (!src) {
        printf("skip typescript_scan: %s not found\n", path);
        return;
    }
    uv_jsscopes *s = NULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = uv_jsscope_parse(&s, src, len);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK_INT(rc, 0);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    printf("typescript.js: %zu bytes, %zu scopes in %.1f ms\n", len, uv_jsscope_count(s), ms);
    CHECK(uv_jsscope_count(s) > 15000);
    size_t bad = 0;
    for (size_t i = 0; i < uv_jsscope_count(s); i++) {
        const uv_jsscope *x = uv_jsscope_get(s, i);
        if (x->parent != UV_JSSCOPE_NONE && x->parent >= i) bad++;
        uint32_t at = uv_jsscope_find(s, x->start_line, x->start_column);
        const uv_jsscope *y = uv_jsscope_get(s, at); /* i, or a child starting there too */
        if (!y || at < i || y->start_line != x->start_line || y->start_column != x->start_column)
            bad++;
    }
    CHECK_INT(bad, 0);
    uv_jsscope_free(s);
    free(src);
}

int main(void)
{
    RUN(declarations_and_expressions);
    RUN(arrows);
    RUN(object_and_class_members);
    RUN(regex_or_division);
    RUN(strings_templates_comments);
    RUN(typescript_best_effort);
    RUN(utf16_columns_and_line_terminators);
    RUN(minified_output);
    RUN(find);
    RUN(limits);
    RUN(cache_round_trip);
    RUN(acorn_self_check);
    RUN(typescript_scan);
    TEST_MAIN_END();
}
