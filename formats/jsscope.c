/* JavaScript function scopes.
 *
 * The scanner is a tokenizer plus a small state machine, never a parser:
 *   - the tokenizer knows comments, strings, numbers, template literals (with a stack of
 *     `${` substitutions, kept on the bracket stack), regular expression literals (allowed or
 *     not after the previous significant token, the classic rule, with `)` remembering whether
 *     its `(` followed if/while/for/with) and punctuators; it counts lines (\n, \r\n, \r,
 *     U+2028, U+2029) and UTF-16 columns as it goes;
 *   - the state machine keeps a stack of open brackets, each tagged (block, object literal,
 *     class body, function body, parenthesis, bracket, template substitution, brace-less arrow
 *     body) and recognises functions from short token patterns: `function`, `=>` after a
 *     parameter list or a single identifier, `name(...) {` directly inside an object literal
 *     or a class body. The naming token is found by looking back a few tokens from the
 *     function's first token (`x =`, `a.b.c =`, `key:` in an object literal), or is the
 *     function's own name (`function f`, a method's key).
 * Scopes are collected, sorted by start (ties: longer first) and linked to their parents in
 * one sweep that also clamps any child to its parent, so the table is a proper tree and
 * uv_jsscope_find is a binary search plus a walk up the parents.
 *
 * Cache file (all integers little-endian u32):
 *   header  magic "UVJS", version, scope count, string table size, 4 reserved (zero)
 *   records one per scope, sorted by start: start line/column, end line/column, name
 *           line/column, parent, name offset/length, class line/column, class offset/length
 *   strings names, referenced by offset/length, not NUL-terminated
 * The reader checks magic, byte order, version, the exact total size, and every record
 * (sorted, parent before child and containing it, string slices in bounds). */
#include "formats/jsscope.h"

#include "formats/endian.h"
#include "formats/error.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Limits from the header: 16 Mi scopes (a cache of ~1 GiB, far beyond any real bundle) and
 * 4096 nested brackets (real code nests a few dozen deep; the stack is per parse). */
#define MAX_SCOPES ((size_t)16 << 20)
#define MAX_DEPTH 4096
/* Positions are u32: inputs must stay below 4 GiB. */
#define MAX_INPUT ((size_t)UINT32_MAX - 1)
/* Recent significant tokens kept for look-back (the deepest look-back is about 8). */
#define RING 16

#define NONE UV_JSSCOPE_NONE

/* ---------------------------------------------------------------------------------------- */
/* Tokens                                                                                     */

enum tok_type {
    T_EOF,
    T_IDENT,
    T_PRIVATE, /* #name */
    T_NUMBER,
    T_STRING,
    T_TEMPLATE,      /* a whole template, or the tail after the last substitution */
    T_TEMPLATE_HEAD, /* a template part ending in `${` */
    T_REGEX,
    T_PUNCT,
};

enum punct {
    P_OTHER,
    P_LPAREN,
    P_RPAREN,
    P_LBRACKET,
    P_RBRACKET,
    P_LBRACE,
    P_RBRACE,
    P_COMMA,
    P_SEMI,
    P_COLON,
    P_QUESTION,
    P_OPTCHAIN, /* ?. */
    P_DOT,
    P_ASSIGN,    /* = */
    P_ASSIGN_OP, /* += … ||= */
    P_ARROW,     /* => */
    P_ELLIPSIS,
    P_STAR,
    P_INCDEC,
    P_BANG,
    P_TILDE,
    P_LT,
    P_GT,
};

enum keyword {
    K_NONE,
    K_RETURN,
    K_TYPEOF,
    K_CASE,
    K_DO,
    K_ELSE,
    K_IN,
    K_OF,
    K_NEW,
    K_DELETE,
    K_VOID,
    K_THROW,
    K_INSTANCEOF,
    K_YIELD,
    K_AWAIT,
    K_DEFAULT,
    K_EXTENDS,
    K_IF,
    K_WHILE,
    K_FOR,
    K_WITH,
    K_FUNCTION,
    K_ASYNC,
    K_CLASS,
    K_IMPLEMENTS,
    K_VAR,
    K_LET,
    K_CONST,
    K_GET,
    K_SET,
    K_STATIC,
    K_TYPE,     /* TypeScript `type Name = …` */
    K_MODIFIER, /* TypeScript: public private protected readonly declare abstract override accessor
                 */
    K_COUNT
};

enum {
    KW_REGEX = 1,  /* a `/` after it starts a regular expression */
    KW_OBJECT = 2, /* a `{` after it starts an object literal */
    KW_CTRL = 4,   /* its `(...)` is a condition: a `/` after the `)` starts a regex */
    KW_MOD = 8,    /* a class/object member modifier */
};

static const uint8_t keyword_flags[K_COUNT] = {
    [K_RETURN] = KW_REGEX | KW_OBJECT,
    [K_TYPEOF] = KW_REGEX | KW_OBJECT,
    [K_CASE] = KW_REGEX | KW_OBJECT,
    [K_DO] = KW_REGEX,
    [K_ELSE] = KW_REGEX,
    [K_IN] = KW_REGEX | KW_OBJECT,
    [K_OF] = KW_REGEX | KW_OBJECT,
    [K_NEW] = KW_REGEX | KW_OBJECT,
    [K_DELETE] = KW_REGEX | KW_OBJECT,
    [K_VOID] = KW_REGEX | KW_OBJECT,
    [K_THROW] = KW_REGEX | KW_OBJECT,
    [K_INSTANCEOF] = KW_REGEX | KW_OBJECT,
    [K_YIELD] = KW_REGEX | KW_OBJECT,
    [K_AWAIT] = KW_REGEX | KW_OBJECT,
    [K_DEFAULT] = KW_REGEX | KW_OBJECT,
    [K_EXTENDS] = KW_REGEX | KW_OBJECT,
    [K_IF] = KW_CTRL,
    [K_WHILE] = KW_CTRL,
    [K_FOR] = KW_CTRL,
    [K_WITH] = KW_CTRL,
    [K_ASYNC] = KW_MOD,
    [K_GET] = KW_MOD,
    [K_SET] = KW_MOD,
    [K_STATIC] = KW_MOD,
    [K_MODIFIER] = KW_MOD,
};

typedef struct {
    uint8_t type;   /* enum tok_type */
    uint8_t id;     /* enum punct for T_PUNCT, enum keyword for T_IDENT */
    bool nl;        /* a line terminator precedes it */
    bool after_dot; /* follows `.` or `?.`: a property name, never a keyword */
    uint32_t off, len;
    uint32_t sl, sc, el, ec; /* start and end (exclusive) line/column */
} token;

static uint8_t keyword_id(const uint8_t *p, size_t n)
{
#define KW(text, id)                                                                               \
    if (n == sizeof(text) - 1 && memcmp(p, text, n) == 0) return id
    if (n < 2 || n > 10 || p[0] < 'a' || p[0] > 'y') return K_NONE;
    switch (p[0]) {
    case 'a':
        KW("async", K_ASYNC);
        KW("await", K_AWAIT);
        KW("abstract", K_MODIFIER);
        KW("accessor", K_MODIFIER);
        break;
    case 'c':
        KW("case", K_CASE);
        KW("class", K_CLASS);
        KW("const", K_CONST);
        break;
    case 'd':
        KW("do", K_DO);
        KW("delete", K_DELETE);
        KW("default", K_DEFAULT);
        KW("declare", K_MODIFIER);
        break;
    case 'e':
        KW("else", K_ELSE);
        KW("extends", K_EXTENDS);
        break;
    case 'f':
        KW("for", K_FOR);
        KW("function", K_FUNCTION);
        break;
    case 'g':
        KW("get", K_GET);
        break;
    case 'i':
        KW("if", K_IF);
        KW("in", K_IN);
        KW("instanceof", K_INSTANCEOF);
        KW("implements", K_IMPLEMENTS);
        break;
    case 'l':
        KW("let", K_LET);
        break;
    case 'n':
        KW("new", K_NEW);
        break;
    case 'o':
        KW("of", K_OF);
        KW("override", K_MODIFIER);
        break;
    case 'p':
        KW("public", K_MODIFIER);
        KW("private", K_MODIFIER);
        KW("protected", K_MODIFIER);
        break;
    case 'r':
        KW("return", K_RETURN);
        KW("readonly", K_MODIFIER);
        break;
    case 's':
        KW("set", K_SET);
        KW("static", K_STATIC);
        break;
    case 't':
        KW("typeof", K_TYPEOF);
        KW("type", K_TYPE);
        KW("throw", K_THROW);
        break;
    case 'v':
        KW("var", K_VAR);
        KW("void", K_VOID);
        break;
    case 'w':
        KW("while", K_WHILE);
        KW("with", K_WITH);
        break;
    case 'y':
        KW("yield", K_YIELD);
        break;
    default:
        break;
    }
    return K_NONE;
#undef KW
}

/* ---------------------------------------------------------------------------------------- */
/* Lexer                                                                                      */

enum { C_IDSTART = 1, C_IDPART = 2, C_DIGIT = 4, C_HEX = 8 };

static uint8_t char_class[256];

static void init_char_class(void)
{
    /* Idempotent: concurrent first calls write the same values. */
    for (int c = 'a'; c <= 'z'; c++)
        char_class[c] = C_IDSTART | C_IDPART;
    for (int c = 'A'; c <= 'Z'; c++)
        char_class[c] = C_IDSTART | C_IDPART;
    for (int c = '0'; c <= '9'; c++)
        char_class[c] = C_IDPART | C_DIGIT | C_HEX;
    for (int c = 'a'; c <= 'f'; c++)
        char_class[c] |= C_HEX;
    for (int c = 'A'; c <= 'F'; c++)
        char_class[c] |= C_HEX;
    char_class['$'] = C_IDSTART | C_IDPART;
    char_class['_'] = C_IDSTART | C_IDPART;
}

typedef struct {
    const uint8_t *src;
    size_t len, pos;
    size_t line_start; /* byte offset where the current line begins */
    size_t adjust;     /* UTF-8 bytes minus UTF-16 units of the current line so far */
    uint32_t line;
    bool newline; /* a line terminator was passed since the last token began */
} lexer;

static inline uint32_t lx_col(const lexer *lx)
{
    return (uint32_t)(lx->pos - lx->line_start - lx->adjust);
}

/* Call with pos just past a line terminator. */
static inline void lx_newline(lexer *lx)
{
    lx->line++;
    lx->line_start = lx->pos;
    lx->adjust = 0;
    lx->newline = true;
}

/* Decodes the UTF-8 sequence at s (s[0] >= 0x80): the code point, or -1 for an invalid byte;
 * *n gets its byte length (1 for an invalid byte, which then counts as one UTF-16 unit). */
static int32_t utf8_decode(const uint8_t *s, size_t avail, size_t *n)
{
    uint8_t c = s[0];
    *n = 1;
    if (c >= 0xC2 && c <= 0xDF) {
        if (avail >= 2 && (s[1] & 0xC0) == 0x80) {
            *n = 2;
            return ((int32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
        }
    } else if (c >= 0xE0 && c <= 0xEF) {
        uint8_t lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        if (avail >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80) {
            *n = 3;
            return ((int32_t)(c & 0x0F) << 12) | ((int32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        }
    } else if (c >= 0xF0 && c <= 0xF4) {
        uint8_t lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        if (avail >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 &&
            (s[3] & 0xC0) == 0x80) {
            *n = 4;
            return ((int32_t)(c & 0x07) << 18) | ((int32_t)(s[1] & 0x3F) << 12) |
                   ((int32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        }
    }
    return -1;
}

static bool is_space_cp(int32_t cp)
{
    return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

static bool is_line_cp(int32_t cp)
{
    return cp == 0x2028 || cp == 0x2029;
}

static bool is_ident_cp(int32_t cp)
{
    return cp >= 0x80 && !is_space_cp(cp) && !is_line_cp(cp);
}

/* Consumes one non-ASCII sequence (or one invalid byte) and keeps the column right. */
static int32_t lx_nonascii(lexer *lx)
{
    size_t n;
    int32_t cp = utf8_decode(lx->src + lx->pos, lx->len - lx->pos, &n);
    lx->pos += n;
    lx->adjust += n - (n == 4 ? 2 : 1);
    if (is_line_cp(cp)) lx_newline(lx);
    return cp;
}

static int32_t lx_peek_cp(const lexer *lx)
{
    size_t n;
    return utf8_decode(lx->src + lx->pos, lx->len - lx->pos, &n);
}

/* Consumes the character after a backslash in a string or template. */
static void lx_escaped(lexer *lx)
{
    if (lx->pos >= lx->len) return;
    uint8_t c = lx->src[lx->pos];
    if (c == '\r') {
        lx->pos++;
        if (lx->pos < lx->len && lx->src[lx->pos] == '\n') lx->pos++;
        lx_newline(lx);
    } else if (c == '\n') {
        lx->pos++;
        lx_newline(lx);
    } else if (c >= 0x80) {
        lx_nonascii(lx);
    } else {
        lx->pos++;
    }
}

static void lx_line_comment(lexer *lx)
{
    const uint8_t *s = lx->src;
    while (lx->pos < lx->len) {
        uint8_t c = s[lx->pos];
        if (c == '\n' || c == '\r') return;
        if (c >= 0x80) {
            if (is_line_cp(lx_peek_cp(lx))) return;
            lx_nonascii(lx);
        } else {
            lx->pos++;
        }
    }
}

static void lx_block_comment(lexer *lx)
{
    const uint8_t *s = lx->src;
    while (lx->pos < lx->len) {
        uint8_t c = s[lx->pos];
        if (c == '*' && lx->pos + 1 < lx->len && s[lx->pos + 1] == '/') {
            lx->pos += 2;
            return;
        }
        if (c == '\n') {
            lx->pos++;
            lx_newline(lx);
        } else if (c == '\r') {
            lx->pos++;
            if (lx->pos < lx->len && s[lx->pos] == '\n') lx->pos++;
            lx_newline(lx);
        } else if (c >= 0x80) {
            lx_nonascii(lx);
        } else {
            lx->pos++;
        }
    }
}

/* Skips whitespace, line terminators and comments. */
static void lx_skip(lexer *lx)
{
    const uint8_t *s = lx->src;
    while (lx->pos < lx->len) {
        uint8_t c = s[lx->pos];
        if (c == ' ' || c == '\t' || c == '\v' || c == '\f') {
            lx->pos++;
        } else if (c == '\n') {
            lx->pos++;
            lx_newline(lx);
        } else if (c == '\r') {
            lx->pos++;
            if (lx->pos < lx->len && s[lx->pos] == '\n') lx->pos++;
            lx_newline(lx);
        } else if (c == '/' && lx->pos + 1 < lx->len && s[lx->pos + 1] == '/') {
            lx->pos += 2;
            lx_line_comment(lx);
        } else if (c == '/' && lx->pos + 1 < lx->len && s[lx->pos + 1] == '*') {
            lx->pos += 2;
            lx_block_comment(lx);
        } else if (c >= 0x80) {
            int32_t cp = lx_peek_cp(lx);
            if (!is_space_cp(cp) && !is_line_cp(cp)) return;
            lx_nonascii(lx);
        } else {
            return;
        }
    }
}

/* Consumes `\uXXXX` or `\u{…}` at pos (on a backslash); false if it is not one. */
static bool lx_unicode_escape(lexer *lx)
{
    const uint8_t *s = lx->src;
    if (lx->pos + 1 >= lx->len || s[lx->pos + 1] != 'u') return false;
    lx->pos += 2;
    if (lx->pos < lx->len && s[lx->pos] == '{') {
        lx->pos++;
        for (int i = 0; i < 8 && lx->pos < lx->len && (char_class[s[lx->pos]] & C_HEX); i++)
            lx->pos++;
        if (lx->pos < lx->len && s[lx->pos] == '}') lx->pos++;
    } else {
        for (int i = 0; i < 4 && lx->pos < lx->len && (char_class[s[lx->pos]] & C_HEX); i++)
            lx->pos++;
    }
    return true;
}

static void lx_ident_rest(lexer *lx)
{
    const uint8_t *s = lx->src;
    while (lx->pos < lx->len) {
        uint8_t c = s[lx->pos];
        if (char_class[c] & C_IDPART) {
            lx->pos++;
        } else if (c == '\\') {
            if (!lx_unicode_escape(lx)) return;
        } else if (c >= 0x80) {
            if (!is_ident_cp(lx_peek_cp(lx))) return;
            lx_nonascii(lx);
        } else {
            return;
        }
    }
}

static void lx_string(lexer *lx, uint8_t quote)
{
    const uint8_t *s = lx->src;
    lx->pos++;
    while (lx->pos < lx->len) {
        uint8_t c = s[lx->pos];
        if (c == quote) {
            lx->pos++;
            return;
        }
        if (c == '\\') {
            lx->pos++;
            lx_escaped(lx);
        } else if (c == '\n' || c == '\r') {
            return; /* unterminated: the string ends at the line */
        } else if (c >= 0x80) {
            lx_nonascii(lx); /* U+2028/U+2029 are allowed in strings and still end a line */
        } else {
            lx->pos++;
        }
    }
}

/* Scans template characters up to and including the closing backtick (T_TEMPLATE) or a `${`
 * (T_TEMPLATE_HEAD). An unterminated template runs to the end of input. */
static uint8_t lx_template(lexer *lx)
{
    const uint8_t *s = lx->src;
    while (lx->pos < lx->len) {
        uint8_t c = s[lx->pos];
        if (c == '`') {
            lx->pos++;
            return T_TEMPLATE;
        }
        if (c == '$' && lx->pos + 1 < lx->len && s[lx->pos + 1] == '{') {
            lx->pos += 2;
            return T_TEMPLATE_HEAD;
        }
        if (c == '\\') {
            lx->pos++;
            lx_escaped(lx);
        } else if (c == '\n') {
            lx->pos++;
            lx_newline(lx);
        } else if (c == '\r') {
            lx->pos++;
            if (lx->pos < lx->len && s[lx->pos] == '\n') lx->pos++;
            lx_newline(lx);
        } else if (c >= 0x80) {
            lx_nonascii(lx);
        } else {
            lx->pos++;
        }
    }
    return T_TEMPLATE;
}

static void lx_regex(lexer *lx)
{
    const uint8_t *s = lx->src;
    bool in_class = false;
    lx->pos++;
    while (lx->pos < lx->len) {
        uint8_t c = s[lx->pos];
        if (c == '\n' || c == '\r') return; /* unterminated */
        if (c >= 0x80) {
            if (is_line_cp(lx_peek_cp(lx))) return;
            lx_nonascii(lx);
            continue;
        }
        lx->pos++;
        if (c == '\\') {
            if (lx->pos < lx->len) {
                uint8_t e = s[lx->pos];
                if (e == '\n' || e == '\r') return;
                if (e >= 0x80) {
                    if (is_line_cp(lx_peek_cp(lx))) return;
                    lx_nonascii(lx);
                } else {
                    lx->pos++;
                }
            }
        } else if (c == '[') {
            in_class = true;
        } else if (c == ']') {
            in_class = false;
        } else if (c == '/' && !in_class) {
            lx_ident_rest(lx); /* flags */
            return;
        }
    }
}

static void lx_number(lexer *lx)
{
    const uint8_t *s = lx->src;
    size_t start = lx->pos;
    bool radix = s[start] == '0' && start + 1 < lx->len && (s[start + 1] | 0x20) != 'e' &&
                 (char_class[s[start + 1]] & C_IDSTART);
    while (lx->pos < lx->len) {
        uint8_t c = s[lx->pos];
        if ((char_class[c] & C_IDPART) || c == '.') {
            lx->pos++;
        } else if ((c == '+' || c == '-') && !radix && (s[lx->pos - 1] | 0x20) == 'e') {
            lx->pos++;
        } else {
            return;
        }
    }
}

/* Length of the punctuator at pos and its id. */
static size_t lx_punct(const lexer *lx, uint8_t *id)
{
    const uint8_t *s = lx->src + lx->pos;
    size_t avail = lx->len - lx->pos;
#define AT(i) (avail > (i) ? s[i] : 0)
    *id = P_OTHER;
    switch (s[0]) {
    case '(':
        *id = P_LPAREN;
        return 1;
    case ')':
        *id = P_RPAREN;
        return 1;
    case '[':
        *id = P_LBRACKET;
        return 1;
    case ']':
        *id = P_RBRACKET;
        return 1;
    case '{':
        *id = P_LBRACE;
        return 1;
    case '}':
        *id = P_RBRACE;
        return 1;
    case ',':
        *id = P_COMMA;
        return 1;
    case ';':
        *id = P_SEMI;
        return 1;
    case ':':
        *id = P_COLON;
        return 1;
    case '~':
        *id = P_TILDE;
        return 1;
    case '.':
        if (AT(1) == '.' && AT(2) == '.') {
            *id = P_ELLIPSIS;
            return 3;
        }
        *id = P_DOT;
        return 1;
    case '?':
        if (AT(1) == '.' && !(char_class[AT(2)] & C_DIGIT)) {
            *id = P_OPTCHAIN;
            return 2;
        }
        if (AT(1) == '?') {
            if (AT(2) == '=') {
                *id = P_ASSIGN_OP;
                return 3;
            }
            return 2;
        }
        *id = P_QUESTION;
        return 1;
    case '=':
        if (AT(1) == '>') {
            *id = P_ARROW;
            return 2;
        }
        if (AT(1) == '=') return AT(2) == '=' ? 3 : 2;
        *id = P_ASSIGN;
        return 1;
    case '!':
        if (AT(1) == '=') return AT(2) == '=' ? 3 : 2;
        *id = P_BANG;
        return 1;
    case '+':
    case '-':
        if (AT(1) == s[0]) {
            *id = P_INCDEC;
            return 2;
        }
        if (AT(1) == '=') {
            *id = P_ASSIGN_OP;
            return 2;
        }
        return 1;
    case '*':
        if (AT(1) == '*') {
            if (AT(2) == '=') {
                *id = P_ASSIGN_OP;
                return 3;
            }
            return 2;
        }
        if (AT(1) == '=') {
            *id = P_ASSIGN_OP;
            return 2;
        }
        *id = P_STAR;
        return 1;
    case '&':
    case '|':
        if (AT(1) == s[0]) {
            if (AT(2) == '=') {
                *id = P_ASSIGN_OP;
                return 3;
            }
            return 2;
        }
        if (AT(1) == '=') {
            *id = P_ASSIGN_OP;
            return 2;
        }
        return 1;
    case '/':
    case '%':
    case '^':
        if (AT(1) == '=') {
            *id = P_ASSIGN_OP;
            return 2;
        }
        return 1;
    case '<':
        if (AT(1) == '<') {
            if (AT(2) == '=') {
                *id = P_ASSIGN_OP;
                return 3;
            }
            return 2;
        }
        if (AT(1) == '=') return 2;
        *id = P_LT;
        return 1;
    case '>':
        if (AT(1) == '>') {
            size_t n = AT(2) == '>' ? 3 : 2;
            if (AT(n) == '=') {
                *id = P_ASSIGN_OP;
                return n + 1;
            }
            return n;
        }
        if (AT(1) == '=') return 2;
        *id = P_GT;
        return 1;
    default:
        return 1;
    }
#undef AT
}

/* Reads the next significant token. `regex_ok` says whether a `/` starts a regex here. */
static void lx_token(lexer *lx, token *t, bool regex_ok)
{
    lx->newline = false;
    lx_skip(lx);
    t->nl = lx->newline;
    t->after_dot = false;
    t->id = 0;
    t->off = (uint32_t)lx->pos;
    t->sl = lx->line;
    t->sc = lx_col(lx);
    if (lx->pos >= lx->len) {
        t->type = T_EOF;
    } else {
        const uint8_t *s = lx->src;
        uint8_t c = s[lx->pos];
        if (char_class[c] & C_IDSTART) {
            t->type = T_IDENT;
            lx->pos++;
            lx_ident_rest(lx);
            t->id = keyword_id(s + t->off, lx->pos - t->off);
        } else if (char_class[c] & C_DIGIT ||
                   (c == '.' && lx->pos + 1 < lx->len && (char_class[s[lx->pos + 1]] & C_DIGIT))) {
            t->type = T_NUMBER;
            lx_number(lx);
        } else if (c == '"' || c == '\'') {
            t->type = T_STRING;
            lx_string(lx, c);
        } else if (c == '`') {
            lx->pos++;
            t->type = lx_template(lx);
        } else if (c == '/' && regex_ok) {
            t->type = T_REGEX;
            lx_regex(lx);
        } else if (c == '#' && lx->pos + 1 < lx->len &&
                   ((char_class[s[lx->pos + 1]] & C_IDSTART) || s[lx->pos + 1] == '\\' ||
                    s[lx->pos + 1] >= 0x80)) {
            size_t before = lx->pos;
            lx->pos++;
            lx_ident_rest(lx);
            if (lx->pos == before + 1) { /* `#` not followed by an identifier character */
                t->type = T_PUNCT;
            } else {
                t->type = T_PRIVATE;
            }
        } else if (c == '\\') {
            t->type = T_IDENT; /* an identifier starting with a \u escape, or a stray \ */
            if (!lx_unicode_escape(lx)) lx->pos++;
            lx_ident_rest(lx);
        } else if (c >= 0x80) {
            if (is_ident_cp(lx_peek_cp(lx))) {
                t->type = T_IDENT;
                lx_nonascii(lx);
                lx_ident_rest(lx);
            } else {
                t->type = T_PUNCT; /* an invalid byte: a lone token of its own */
                lx_nonascii(lx);
            }
        } else {
            uint8_t id;
            t->type = T_PUNCT;
            lx->pos += lx_punct(lx, &id);
            t->id = id;
        }
    }
    t->len = (uint32_t)(lx->pos - t->off);
    t->el = lx->line;
    t->ec = lx_col(lx);
}

/* ---------------------------------------------------------------------------------------- */
/* Scope machine                                                                              */

typedef struct {
    uint32_t line, col, off, len; /* line == NONE: no name */
} cand;

static const cand NO_CAND = {NONE, NONE, 0, 0};

typedef struct {
    uint32_t sl, sc; /* first token */
    cand name, owner;
} fninfo;

typedef struct {
    uint32_t sl, sc, el, ec;
    cand name, owner;
    uint32_t order; /* creation order, the last sort key */
} rec;

enum entry_kind { E_BLOCK, E_OBJECT, E_CLASS, E_FUNC, E_PAREN, E_BRACKET, E_TEMPLATE, E_ARROW };

/* Which closer pops an entry: 0 `)`, 1 `]`, 2 `}`, -1 none (a brace-less arrow body). */
static int closer_class(uint8_t kind)
{
    switch (kind) {
    case E_PAREN:
        return 0;
    case E_BRACKET:
        return 1;
    case E_ARROW:
        return -1;
    default:
        return 2;
    }
}

typedef struct {
    uint8_t kind;
    bool ctrl;                /* E_PAREN after if/while/for/with */
    bool fn_params;           /* E_PAREN holding a function's or method's parameters (fn) */
    bool member_key;          /* E_BRACKET that is a computed member key */
    bool type_parens;         /* E_PAREN starting a TypeScript type after `:` */
    bool in_decl;             /* a var/let/const declaration list is open at this level */
    uint8_t bind_state;       /* 2: inside a TypeScript annotation of `bind` (until `=`) */
    uint32_t ternary;         /* `?` waiting for their `:` at this level */
    uint32_t scope;           /* record index for E_FUNC/E_ARROW, else NONE */
    uint32_t ol, oc;          /* opener position */
    uint64_t annot_eq_serial; /* the `=` that ends the annotation of `bind` */
    fninfo fn;  /* E_PAREN: the function (fn_params) or the arrow these could be params of */
    cand owner; /* E_OBJECT/E_CLASS: name of the class or of the object literal's binding */
    cand bind;  /* annotated binding name */
} entry;

enum { PF_NONE, PF_KW, PF_BODY };

typedef struct {
    lexer lx;
    token ring[RING];
    uint64_t serial; /* serial of the newest token in the ring; the first token is 1 */
    entry *stack;    /* stack[0] is the top level */
    size_t depth, cap;
    size_t open[3]; /* open entries per closer class */
    rec *recs;
    size_t nrecs, rcap;

    /* Pending function: after `function` (PF_KW) or after its parameters (PF_BODY). */
    int pf;
    size_t pf_depth;
    bool pf_named, pf_colon;
    uint64_t pf_serial;
    fninfo pf_info;

    /* After `=>`: the next token starts the arrow's body. */
    bool arrow_pending, arrow_brace;
    fninfo arrow_info;

    /* Pending class: 1 right after `class`, 2 in its heritage. */
    int pc;
    size_t pc_depth;
    cand pc_name;

    struct {
        uint64_t serial; /* of the `)` */
        bool ctrl, fn_params, type_parens;
        fninfo arrow;
    } paren;
    struct {
        uint64_t serial; /* of the `]` */
        bool member_key;
        uint32_t ol, oc;
    } bracket;
    uint64_t colon_serial;
    bool colon_ternary;
    bool brace_regex; /* a `/` after the last `}` starts a regex */
    int err;
} machine;

static inline const token *tok_at(const machine *m, uint64_t s)
{
    /* The slot after the newest token is being lexed into, so the window is RING - 1. */
    if (s == 0 || s > m->serial || m->serial - s >= RING - 1) return NULL;
    return &m->ring[s % RING];
}

static inline bool is_p(const token *t, uint8_t id)
{
    return t && t->type == T_PUNCT && t->id == id;
}

static inline uint8_t kw(const token *t)
{
    return t && t->type == T_IDENT && !t->after_dot ? t->id : K_NONE;
}

static inline bool is_name_tok(const token *t)
{
    return t && (t->type == T_IDENT || t->type == T_PRIVATE);
}

/* Could the token end an expression (so that a line break after it may end a statement)? */
static bool value_end(const token *t)
{
    if (!t) return false;
    switch (t->type) {
    case T_IDENT:
        return !(keyword_flags[kw(t)] & KW_REGEX);
    case T_PRIVATE:
    case T_NUMBER:
    case T_STRING:
    case T_TEMPLATE:
    case T_REGEX:
        return true;
    case T_PUNCT:
        return t->id == P_RPAREN || t->id == P_RBRACKET || t->id == P_RBRACE || t->id == P_INCDEC;
    default:
        return false;
    }
}

static cand cand_of(const token *t)
{
    cand c = {t->sl, t->sc, t->off, t->len};
    if (t->type == T_STRING && t->len >= 1) { /* the key without its quotes */
        c.off++;
        c.len--;
        if (c.len > 0 && t->len >= 2) c.len--;
    }
    return c;
}

static inline entry *top(machine *m)
{
    return &m->stack[m->depth];
}

static cand owner_of(const entry *e, const cand *name)
{
    if (name->line == NONE || (e->kind != E_OBJECT && e->kind != E_CLASS)) return NO_CAND;
    return e->owner;
}

/* The binding that names a function, class or object literal whose first token has serial
 * `first`: `x = …`, `a.b.c = …` (the last member), `const f: T = …` (TypeScript), or `key: …`
 * directly inside an object literal. */
static cand lookback_name(const machine *m, uint64_t first, const entry *e)
{
    const token *t1 = tok_at(m, first - 1);
    if (!t1 || t1->type != T_PUNCT) return NO_CAND;
    if (t1->id == P_ASSIGN) {
        if (e->annot_eq_serial == first - 1) return e->bind;
        const token *t2 = tok_at(m, first - 2);
        if (is_name_tok(t2)) return cand_of(t2);
        return NO_CAND;
    }
    if (t1->id == P_COLON && e->kind == E_OBJECT) {
        const token *t2 = tok_at(m, first - 2), *t3 = tok_at(m, first - 3);
        if (t2 && (is_name_tok(t2) || t2->type == T_STRING || t2->type == T_NUMBER) &&
            (is_p(t3, P_LBRACE) || is_p(t3, P_COMMA)))
            return cand_of(t2);
    }
    return NO_CAND;
}

/* Is the token with serial `s` the start of a member (after modifiers) of the object literal
 * or class body `e`? */
static bool member_start(const machine *m, uint64_t s, const entry *e)
{
    uint64_t first = s, k = s - 1;
    const token *t = tok_at(m, k);
    for (int i = 0; i < 6 && t && (is_p(t, P_STAR) || (keyword_flags[kw(t)] & KW_MOD)); i++) {
        first = k--;
        t = tok_at(m, k);
    }
    if (!t) return false;
    if (is_p(t, P_LBRACE)) return true;
    if (is_p(t, P_COMMA)) return e->kind == E_OBJECT;
    if (e->kind != E_CLASS) return false;
    if (is_p(t, P_SEMI) || is_p(t, P_RBRACE)) return true;
    const token *f = tok_at(m, first);
    return f && f->nl && value_end(t);
}

static int fail_too_big(machine *m, const char *what)
{
    if (!m->err)
        m->err = uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0, "javascript scopes: %s at line %u", what,
                              (unsigned)m->lx.line + 1);
    return m->err;
}

static uint32_t new_scope(machine *m, const fninfo *fn)
{
    if (m->nrecs >= MAX_SCOPES) {
        fail_too_big(m, "more than 16 Mi function scopes");
        return NONE;
    }
    rec *grown = uv_array_grow(m->recs, &m->rcap, m->nrecs, sizeof *grown, 256);
    if (!grown) {
        m->err = UV_ENOMEM;
        return NONE;
    }
    m->recs = grown;
    rec *r = &m->recs[m->nrecs];
    r->sl = fn->sl;
    r->sc = fn->sc;
    r->el = fn->sl;
    r->ec = fn->sc;
    r->name = fn->name;
    r->owner = fn->owner;
    r->order = (uint32_t)m->nrecs;
    return (uint32_t)m->nrecs++;
}

/* Pushes an entry; returns it, or NULL (error recorded) past the nesting limit. */
static entry *push(machine *m, uint8_t kind, const token *opener)
{
    if (m->depth + 1 > MAX_DEPTH) {
        fail_too_big(m, "brackets nested deeper than 4096");
        return NULL;
    }
    if (m->depth + 1 == m->cap) {
        size_t cap = m->cap * 2;
        entry *s = realloc(m->stack, cap * sizeof *s);
        if (!s) {
            m->err = uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "javascript scopes: out of memory");
            return NULL;
        }
        m->stack = s;
        m->cap = cap;
    }
    entry *e = &m->stack[++m->depth];
    /* Only the flags are reset: fn, owner and bind are read only after being set (fn by the
     * pusher of a parenthesis, owner by the pusher of a brace, bind with annot_eq_serial). */
    e->kind = kind;
    e->ctrl = e->fn_params = e->member_key = e->in_decl = e->type_parens = false;
    e->bind_state = 0;
    e->ternary = 0;
    e->scope = NONE;
    e->ol = opener->sl;
    e->oc = opener->sc;
    e->annot_eq_serial = 0;
    e->fn.name = e->fn.owner = NO_CAND;
    e->owner = NO_CAND;
    int cls = closer_class(kind);
    if (cls >= 0) m->open[cls]++;
    return e;
}

static void push_scope(machine *m, uint8_t kind, const fninfo *fn, const token *opener)
{
    uint32_t scope = new_scope(m, fn);
    if (scope == NONE) return;
    entry *e = push(m, kind, opener);
    if (e) e->scope = scope;
}

static void set_end(machine *m, uint32_t scope, uint32_t line, uint32_t col)
{
    if (scope == NONE) return;
    m->recs[scope].el = line;
    m->recs[scope].ec = col;
}

static void pop_one(machine *m, entry *out)
{
    *out = m->stack[m->depth--];
    int cls = closer_class(out->kind);
    if (cls >= 0) m->open[cls]--;
}

/* Pops up to and including the innermost entry closed by `t` (class 0/1/2); entries above it
 * (mismatched brackets) end where `t` starts. False, and nothing popped, if none is open. */
static bool pop_to(machine *m, int cls, const token *t, entry *popped)
{
    if (m->open[cls] == 0) return false;
    while (m->depth > 0) {
        pop_one(m, popped);
        if (closer_class(popped->kind) == cls) {
            set_end(m, popped->scope, t->el, t->ec);
            return true;
        }
        set_end(m, popped->scope, t->sl, t->sc);
    }
    return false;
}

static bool regex_allowed(const machine *m)
{
    const token *p = tok_at(m, m->serial);
    if (!p) return true;
    switch (p->type) {
    case T_IDENT:
        return (keyword_flags[kw(p)] & KW_REGEX) != 0;
    case T_PRIVATE:
    case T_NUMBER:
    case T_STRING:
    case T_TEMPLATE:
    case T_REGEX:
        return false;
    case T_PUNCT:
        switch (p->id) {
        case P_RPAREN:
            return m->paren.serial == m->serial && m->paren.ctrl;
        case P_RBRACKET:
        case P_INCDEC:
            return false;
        case P_RBRACE:
            return m->brace_regex;
        default:
            return true;
        }
    default:
        return true;
    }
}

/* Does `t` end the brace-less arrow body on top of the stack? */
static bool arrow_ends(const machine *m, const entry *e, const token *t)
{
    if (t->type == T_PUNCT) {
        switch (t->id) {
        case P_COMMA:
        case P_SEMI:
        case P_RPAREN:
        case P_RBRACKET:
        case P_RBRACE:
            return true;
        case P_COLON:
            return e->ternary == 0;
        default:
            break;
        }
    }
    if (!t->nl || !value_end(tok_at(m, m->serial))) return false;
    /* A line break where automatic semicolon insertion applies: the next token cannot
     * continue the expression. */
    switch (t->type) {
    case T_IDENT:
        return t->id != K_IN && t->id != K_INSTANCEOF;
    case T_PRIVATE:
    case T_NUMBER:
    case T_STRING:
        return true;
    case T_PUNCT:
        return t->id == P_LBRACE || t->id == P_INCDEC || t->id == P_BANG || t->id == P_TILDE;
    default:
        return false;
    }
}

static uint8_t brace_kind(const machine *m, const token *p, const entry *e)
{
    if (!p) return E_BLOCK;
    switch (p->type) {
    case T_IDENT:
        return (keyword_flags[kw(p)] & KW_OBJECT) ? E_OBJECT : E_BLOCK;
    case T_TEMPLATE_HEAD:
        return E_OBJECT;
    case T_PUNCT:
        switch (p->id) {
        case P_RPAREN:
        case P_RBRACKET:
        case P_RBRACE:
        case P_SEMI:
        case P_GT: /* TypeScript `interface I<T> {` */
        case P_LBRACE:
            return E_BLOCK;
        case P_COLON:
            if (m->colon_serial == m->serial - 1 && m->colon_ternary) return E_OBJECT;
            return e->kind == E_BLOCK || e->kind == E_FUNC || e->kind == E_CLASS ? E_BLOCK
                                                                                 : E_OBJECT;
        default:
            return E_OBJECT;
        }
    default:
        return E_BLOCK;
    }
}

/* The first token of a function whose own first token is `t` (serial s): `async` before it
 * on the same line joins it. */
static uint64_t with_async(const machine *m, uint64_t s, const token *t, fninfo *fn)
{
    const token *p = tok_at(m, s - 1);
    fn->sl = t->sl;
    fn->sc = t->sc;
    if (kw(p) == K_ASYNC && !t->nl) {
        fn->sl = p->sl;
        fn->sc = p->sc;
        return s - 1;
    }
    return s;
}

static void on_colon(machine *m, entry *e, uint64_t s)
{
    const token *n = tok_at(m, s - 1);
    bool optional = is_p(n, P_QUESTION), annot = false;
    if (optional || is_p(n, P_BANG)) n = tok_at(m, s - 2);
    uint64_t ns = optional || is_p(tok_at(m, s - 1), P_BANG) ? s - 2 : s - 1;
    if (n && (is_name_tok(n) || n->type == T_STRING)) {
        const token *before = tok_at(m, ns - 1);
        if (e->kind == E_CLASS && member_start(m, ns, e))
            annot = true;
        else if (e->in_decl && (kw(before) == K_VAR || kw(before) == K_LET ||
                                kw(before) == K_CONST || is_p(before, P_COMMA)))
            annot = true;
    }
    bool ternary = false;
    if (optional && e->ternary) e->ternary--; /* `?:` is TypeScript's optional member */
    if (annot) {
        e->bind = cand_of(n);
        e->bind_state = 2;
    } else if (optional) {
    } else if (e->ternary) {
        e->ternary--;
        ternary = true;
    }
    m->colon_serial = s;
    m->colon_ternary = ternary;
}

static void on_arrow(machine *m, entry *e, uint64_t s)
{
    /* `=>` of a TypeScript function type: in a variable's or field's annotation, in a return
     * type annotation, or in a parameter's annotation. */
    if (e->bind_state == 2 || (m->pf == PF_BODY && m->pf_colon)) return;
    const token *p = tok_at(m, s - 1);
    fninfo fn;
    if (is_p(p, P_RPAREN) && m->paren.serial == s - 1) {
        if (m->paren.fn_params || m->paren.type_parens) return;
        fn = m->paren.arrow;
    } else if (m->paren.serial && !m->paren.fn_params && s - m->paren.serial <= 8 &&
               m->colon_serial == m->paren.serial + 1 && !m->colon_ternary) {
        fn = m->paren.arrow; /* `(a): T => …` */
    } else if (p && p->type == T_IDENT && !(keyword_flags[kw(p)] & KW_REGEX)) {
        uint64_t first = with_async(m, s - 1, p, &fn);
        fn.name = lookback_name(m, first, e);
        fn.owner = owner_of(e, &fn.name);
    } else {
        return;
    }
    m->arrow_pending = true;
    m->arrow_info = fn;
}

static void on_lparen(machine *m, entry *e, const token *t, uint64_t s)
{
    const token *p = tok_at(m, s - 1);
    fninfo fn;
    bool params = false;
    bool member_ctx = e->kind == E_OBJECT || e->kind == E_CLASS;
    if (member_ctx && p && (is_name_tok(p) || p->type == T_STRING || p->type == T_NUMBER) &&
        member_start(m, s - 1, e)) {
        fn.sl = p->sl;
        fn.sc = p->sc;
        fn.name = cand_of(p);
        fn.owner = e->owner;
        params = true;
    } else if (member_ctx && is_p(p, P_RBRACKET) && m->bracket.serial == s - 1 &&
               m->bracket.member_key) {
        fn.sl = m->bracket.ol;
        fn.sc = m->bracket.oc;
        fn.name = NO_CAND;
        fn.owner = e->owner;
        params = true;
    } else {
        uint64_t first = with_async(m, s, t, &fn);
        fn.name = lookback_name(m, first, e);
        fn.owner = owner_of(e, &fn.name);
    }
    bool ctrl = (keyword_flags[kw(p)] & KW_CTRL) != 0;
    /* `: (` outside an object literal and not a ternary's `:` starts a TypeScript type:
     * its `=>` is a function type, never an arrow function. */
    bool type_parens =
        e->kind != E_OBJECT && is_p(p, P_COLON) && m->colon_serial == s - 1 && !m->colon_ternary;
    entry *n = push(m, E_PAREN, t);
    if (!n) return;
    n->ctrl = ctrl;
    n->type_parens = type_parens;
    n->fn_params = params;
    n->fn = fn;
}

/* Handles one token (already in the ring with serial s). */
static void handle(machine *m, token *t, uint64_t s)
{
    entry *e = top(m);
    const token *p = tok_at(m, s - 1);

    if (m->arrow_brace) {
        m->arrow_brace = false;
        push_scope(m, E_FUNC, &m->arrow_info, t); /* t is the `{` */
        return;
    }
    if (m->pf == PF_BODY) {
        if (m->depth < m->pf_depth) {
            m->pf = PF_NONE;
        } else if (m->depth == m->pf_depth) {
            if (is_p(t, P_LBRACE)) {
                m->pf = PF_NONE;
                push_scope(m, E_FUNC, &m->pf_info, t);
                return;
            }
            if (is_p(t, P_COLON) && s == m->pf_serial + 1) { /* TypeScript return type */
                m->pf_colon = true;
                return;
            }
            if (!m->pf_colon || (t->type == T_PUNCT &&
                                 (t->id == P_SEMI || t->id == P_COMMA || t->id == P_RBRACE ||
                                  t->id == P_ASSIGN || t->id == P_RPAREN || t->id == P_RBRACKET)))
                m->pf = PF_NONE;
        }
    } else if (m->pf == PF_KW) {
        if (m->depth < m->pf_depth) {
            m->pf = PF_NONE;
        } else if (m->depth == m->pf_depth) {
            if (is_p(t, P_STAR) || is_p(t, P_LT) || is_p(t, P_GT) || is_p(t, P_COMMA)) return;
            if (is_name_tok(t)) {
                if (!m->pf_named) {
                    m->pf_named = true;
                    m->pf_info.name = cand_of(t);
                }
                return;
            }
            if (is_p(t, P_LPAREN)) {
                m->pf = PF_NONE;
                entry *n = push(m, E_PAREN, t);
                if (!n) return;
                n->fn_params = true;
                n->fn = m->pf_info;
                return;
            }
            m->pf = PF_NONE;
        }
    }
    if (m->pc) {
        if (m->depth < m->pc_depth) {
            m->pc = 0;
        } else if (m->depth == m->pc_depth && !is_p(t, P_LBRACE)) {
            if (m->pc == 1) {
                if (kw(t) == K_EXTENDS || is_p(t, P_LT)) {
                    m->pc = 2;
                } else if (t->type == T_IDENT && kw(t) != K_IMPLEMENTS) {
                    m->pc_name = cand_of(t);
                    m->pc = 2;
                } else {
                    m->pc = 0; /* `class` was a property name */
                }
            } else if (is_p(t, P_SEMI) || is_p(t, P_RPAREN) || is_p(t, P_RBRACKET) ||
                       is_p(t, P_RBRACE)) {
                m->pc = 0;
            }
        }
    }
    if (e->bind_state == 2 && t->nl && value_end(p) && e->kind != E_PAREN && e->kind != E_BRACKET)
        e->bind_state = 0; /* a new statement or member began */

    switch (t->type) {
    case T_IDENT:
        switch (kw(t)) {
        case K_FUNCTION:
            m->pf = PF_KW;
            m->pf_depth = m->depth;
            m->pf_named = false;
            {
                uint64_t first = with_async(m, s, t, &m->pf_info);
                m->pf_info.name = lookback_name(m, first, e);
                m->pf_info.owner = owner_of(e, &m->pf_info.name);
            }
            break;
        case K_CLASS:
            m->pc = 1;
            m->pc_depth = m->depth;
            m->pc_name = lookback_name(m, s, e);
            break;
        case K_VAR:
        case K_LET:
        case K_CONST:
            e->in_decl = true;
            break;
        default:
            break;
        }
        return;
    case T_TEMPLATE_HEAD:
        push(m, E_TEMPLATE, t);
        return;
    case T_PUNCT:
        break;
    default:
        return;
    }

    switch (t->id) {
    case P_LPAREN:
        on_lparen(m, e, t, s);
        break;
    case P_RPAREN: {
        entry popped;
        if (!pop_to(m, 0, t, &popped)) break;
        m->paren.serial = s;
        m->paren.ctrl = popped.ctrl;
        m->paren.fn_params = popped.fn_params;
        m->paren.type_parens = popped.type_parens;
        m->paren.arrow = popped.fn;
        if (popped.fn_params) {
            m->pf = PF_BODY;
            m->pf_depth = m->depth;
            m->pf_colon = false;
            m->pf_serial = s;
            m->pf_info = popped.fn;
        }
        break;
    }
    case P_LBRACKET: {
        bool key = (e->kind == E_OBJECT || e->kind == E_CLASS) && member_start(m, s, e);
        entry *n = push(m, E_BRACKET, t);
        if (n) n->member_key = key;
        break;
    }
    case P_RBRACKET: {
        entry popped;
        if (!pop_to(m, 1, t, &popped)) break;
        m->bracket.serial = s;
        m->bracket.member_key = popped.member_key;
        m->bracket.ol = popped.ol;
        m->bracket.oc = popped.oc;
        break;
    }
    case P_LBRACE: {
        uint8_t kind;
        cand owner;
        if (m->pc && m->depth == m->pc_depth) {
            kind = E_CLASS;
            owner = m->pc_name;
            m->pc = 0;
        } else {
            kind = brace_kind(m, p, e);
            owner = kind == E_OBJECT ? lookback_name(m, s, e) : NO_CAND;
        }
        entry *n = push(m, kind, t);
        if (n) n->owner = owner;
        break;
    }
    case P_RBRACE: {
        entry popped;
        if (!pop_to(m, 2, t, &popped)) break;
        if (popped.kind == E_TEMPLATE) { /* `}` resumes the template */
            t->type = lx_template(&m->lx);
            t->len = (uint32_t)(m->lx.pos - t->off);
            t->el = m->lx.line;
            t->ec = lx_col(&m->lx);
            if (t->type == T_TEMPLATE_HEAD) push(m, E_TEMPLATE, t);
        }
        m->brace_regex = popped.kind != E_OBJECT;
        break;
    }
    case P_COMMA:
        e->bind_state = 0;
        break;
    case P_SEMI:
        e->in_decl = false;
        e->bind_state = 0;
        break;
    case P_QUESTION:
        e->ternary++;
        break;
    case P_COLON:
        on_colon(m, e, s);
        break;
    case P_ASSIGN:
        if (is_name_tok(p) && kw(tok_at(m, s - 2)) == K_TYPE) {
            e->bind_state = 2; /* TypeScript `type Name = …`: all of it is a type */
            e->bind = NO_CAND;
        } else if (e->bind_state == 2) {
            e->annot_eq_serial = s;
            e->bind_state = 0;
        }
        break;
    case P_ARROW:
        on_arrow(m, e, s);
        break;
    default:
        break;
    }
}

static int compare_rec(const void *a, const void *b)
{
    const rec *x = a, *y = b;
    if (x->sl != y->sl) return x->sl < y->sl ? -1 : 1;
    if (x->sc != y->sc) return x->sc < y->sc ? -1 : 1;
    if (x->el != y->el) return x->el > y->el ? -1 : 1; /* longer (the parent) first */
    if (x->ec != y->ec) return x->ec > y->ec ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

struct uv_jsscopes {
    uv_jsscope *items;
    size_t count;
};

static inline bool before(uint32_t l1, uint32_t c1, uint32_t l2, uint32_t c2)
{
    return l1 < l2 || (l1 == l2 && c1 < c2);
}

static uv_str view_of(const char *src, cand c)
{
    if (c.line == NONE || c.len == 0) return UV_STR_NULL;
    return (uv_str){src + c.off, c.len};
}

/* Sorts the records, links parents and builds the table. */
static int finish(machine *m, const char *src, uv_jsscopes **out)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nrecs; i++) { /* drop empty ranges (defensive) */
        rec *r = &m->recs[i];
        if (before(r->sl, r->sc, r->el, r->ec)) m->recs[n++] = *r;
    }
    bool sorted = true;
    for (size_t i = 1; i < n && sorted; i++)
        sorted = compare_rec(&m->recs[i - 1], &m->recs[i]) <= 0;
    if (!sorted) qsort(m->recs, n, sizeof *m->recs, compare_rec);

    uv_jsscopes *t = calloc(1, sizeof *t);
    uint32_t *open = n ? malloc(n * sizeof *open) : NULL;
    uv_jsscope *items = n ? malloc(n * sizeof *items) : NULL;
    if (!t || (n && (!open || !items))) {
        free(t);
        free(open);
        free(items);
        return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "javascript scopes: out of memory");
    }
    size_t depth = 0;
    for (size_t i = 0; i < n; i++) {
        const rec *r = &m->recs[i];
        uv_jsscope *it = &items[i];
        it->start_line = r->sl;
        it->start_column = r->sc;
        it->end_line = r->el;
        it->end_column = r->ec;
        while (depth > 0 &&
               !before(it->start_line, it->start_column, items[open[depth - 1]].end_line,
                       items[open[depth - 1]].end_column))
            depth--;
        it->parent = depth ? open[depth - 1] : NONE;
        if (depth) { /* clamp a child that overhangs its parent */
            const uv_jsscope *par = &items[open[depth - 1]];
            if (before(par->end_line, par->end_column, it->end_line, it->end_column)) {
                it->end_line = par->end_line;
                it->end_column = par->end_column;
            }
        }
        it->name_line = r->name.line;
        it->name_column = r->name.line == NONE ? NONE : r->name.col;
        it->name = view_of(src, r->name);
        it->class_line = r->owner.line;
        it->class_column = r->owner.line == NONE ? NONE : r->owner.col;
        it->class_name = view_of(src, r->owner);
        open[depth++] = (uint32_t)i;
    }
    free(open);
    t->items = items;
    t->count = n;
    *out = t;
    return 0;
}

int uv_jsscope_parse(uv_jsscopes **out, const char *src, size_t len)
{
    *out = NULL;
    if (len > MAX_INPUT)
        return uv_error_set(UV_ETOOBIG, UV_LIB_NONE, 0,
                            "javascript scopes: input of %zu bytes exceeds 4 GiB", len);
    if (!src) len = 0;
    init_char_class();

    machine *m = calloc(1, sizeof *m);
    if (!m) return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "javascript scopes: out of memory");
    m->cap = 64;
    m->stack = malloc(m->cap * sizeof *m->stack);
    if (!m->stack) {
        free(m);
        return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "javascript scopes: out of memory");
    }
    memset(&m->stack[0], 0, sizeof m->stack[0]);
    m->stack[0].kind = E_BLOCK;
    m->stack[0].scope = NONE;
    m->stack[0].owner = m->stack[0].bind = NO_CAND;
    m->lx.src = (const uint8_t *)src;
    m->lx.len = len;
    if (len >= 3 && memcmp(src, "\xEF\xBB\xBF", 3) == 0) {
        /* A leading byte order mark is dropped by decoders, so it takes no column. */
        m->lx.pos = 3;
        m->lx.adjust = 3;
    }
    if (len >= m->lx.pos + 2 && src[m->lx.pos] == '#' && src[m->lx.pos + 1] == '!') {
        m->lx.pos += 2; /* hashbang */
        lx_line_comment(&m->lx);
    }

    token *t;
    for (;;) {
        t = &m->ring[(m->serial + 1) % RING]; /* lexed in place, published by serial++ */
        lx_token(&m->lx, t, regex_allowed(m));
        if (t->type == T_EOF) break;
        const token *prev = tok_at(m, m->serial);
        t->after_dot = is_p(prev, P_DOT) || is_p(prev, P_OPTCHAIN);
        if (m->arrow_pending) {
            m->arrow_pending = false;
            if (is_p(t, P_LBRACE))
                m->arrow_brace = true;
            else
                push_scope(m, E_ARROW, &m->arrow_info, t);
        }
        while (!m->err && prev && top(m)->kind == E_ARROW && arrow_ends(m, top(m), t)) {
            entry popped;
            pop_one(m, &popped);
            set_end(m, popped.scope, prev->el, prev->ec);
        }
        if (m->err) break;
        m->serial++;
        handle(m, t, m->serial);
        if (m->err) break;
    }
    int rc = m->err;
    if (!rc) {
        /* Close what is still open: function bodies at the end of input, brace-less arrow
         * bodies at their last token. */
        const token *last = tok_at(m, m->serial);
        while (m->depth > 0) {
            entry popped;
            pop_one(m, &popped);
            if (popped.kind == E_ARROW && last)
                set_end(m, popped.scope, last->el, last->ec);
            else
                set_end(m, popped.scope, t->el, t->ec);
        }
        rc = finish(m, src, out);
    }
    free(m->recs);
    free(m->stack);
    free(m);
    return rc;
}

void uv_jsscope_free(uv_jsscopes *scopes)
{
    if (!scopes) return;
    free(scopes->items);
    free(scopes);
}

size_t uv_jsscope_count(const uv_jsscopes *scopes)
{
    return scopes ? scopes->count : 0;
}

const uv_jsscope *uv_jsscope_get(const uv_jsscopes *scopes, size_t i)
{
    return scopes && i < scopes->count ? &scopes->items[i] : NULL;
}

uint32_t uv_jsscope_find(const uv_jsscopes *scopes, uint32_t line, uint32_t column)
{
    if (!scopes || scopes->count == 0) return NONE;
    const uv_jsscope *it = scopes->items;
    /* Last scope starting at or before the position. */
    size_t lo = 0, hi = scopes->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (before(line, column, it[mid].start_line, it[mid].start_column))
            hi = mid;
        else
            lo = mid + 1;
    }
    if (lo == 0) return NONE;
    uint32_t i = (uint32_t)(lo - 1);
    /* Scopes nest properly, so any scope containing the position is this one or an
     * ancestor; parents have smaller indices, so the walk ends. */
    while (i != NONE && !before(line, column, it[i].end_line, it[i].end_column))
        i = it[i].parent;
    return i;
}

/* ---------------------------------------------------------------------------------------- */
/* Cache                                                                                      */

/* "UVJS" read as a little-endian u32. */
#define CACHE_MAGIC 0x534A5655u
#define CACHE_MAGIC_FLIPPED 0x55564A53u
/* Version history:
 *   1  first format: 32-byte header, 52-byte records, string table. */
#define CACHE_VERSION 1u

typedef struct {
    uint32_t magic, version, count, string_bytes;
    uint32_t reserved[4];
} disk_header;

typedef struct {
    uint32_t start_line, start_column, end_line, end_column;
    uint32_t name_line, name_column, parent, name_offset, name_length;
    uint32_t class_line, class_column, class_offset, class_length;
} disk_record;

_Static_assert(sizeof(disk_header) == 32, "cache header is 32 bytes");
_Static_assert(sizeof(disk_record) == 52, "cache record is 52 bytes");
#define RECORD_FIELDS (sizeof(disk_record) / sizeof(uint32_t))

int uv_jsscope_write_cache(const uv_jsscopes *scopes, uv_buf *out)
{
    size_t count = uv_jsscope_count(scopes);
    uint64_t strings = 0;
    for (size_t i = 0; i < count; i++)
        strings += (uint64_t)scopes->items[i].name.len + scopes->items[i].class_name.len;
    if (count > MAX_SCOPES || strings > UINT32_MAX)
        return uv_error_set(
            UV_ETOOBIG, UV_LIB_NONE, 0,
            "javascript scope cache: %zu scopes with %llu bytes of names is too big", count,
            (unsigned long long)strings);
    size_t total = sizeof(disk_header) + count * sizeof(disk_record) + (size_t)strings;
    size_t base = out->len;
    uint8_t *p = uv_buf_reserve(out, total);
    if (!p) return uv_error_last()->code;
    uint32_t header[8] = {
        CACHE_MAGIC, CACHE_VERSION, (uint32_t)count, (uint32_t)strings, 0, 0, 0, 0};
    for (size_t i = 0; i < 8; i++)
        uv_put_le32(p + 4 * i, header[i]);
    uint8_t *rp = p + sizeof(disk_header);
    uint8_t *sp = rp + count * sizeof(disk_record);
    uint32_t soff = 0;
    for (size_t i = 0; i < count; i++) {
        const uv_jsscope *s = &scopes->items[i];
        uint32_t name_off = soff;
        if (s->name.len) memcpy(sp + soff, s->name.ptr, s->name.len);
        soff += (uint32_t)s->name.len;
        uint32_t class_off = soff;
        if (s->class_name.len) memcpy(sp + soff, s->class_name.ptr, s->class_name.len);
        soff += (uint32_t)s->class_name.len;
        uint32_t f[RECORD_FIELDS] = {s->start_line,
                                     s->start_column,
                                     s->end_line,
                                     s->end_column,
                                     s->name_line,
                                     s->name_column,
                                     s->parent,
                                     name_off,
                                     (uint32_t)s->name.len,
                                     s->class_line,
                                     s->class_column,
                                     class_off,
                                     (uint32_t)s->class_name.len};
        for (size_t k = 0; k < RECORD_FIELDS; k++)
            uv_put_le32(rp + 4 * k, f[k]);
        rp += sizeof(disk_record);
    }
    out->len = base + total;
    return 0;
}

static int corrupt(const char *what, size_t index)
{
    return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0, "javascript scope cache: %s (record %zu)",
                        what, index);
}

int uv_jsscope_load_cache(uv_jsscopes **out, const void *bytes, size_t len)
{
    *out = NULL;
    const uint8_t *b = bytes;
    if (!b || len < sizeof(disk_header))
        return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                            "javascript scope cache: %zu bytes, shorter than the 32-byte header",
                            len);
    uint32_t magic = uv_get_le32(b);
    if (magic == CACHE_MAGIC_FLIPPED)
        return uv_error_set(UV_EUNSUPPORTED, UV_LIB_NONE, 0,
                            "javascript scope cache: written with the other byte order");
    if (magic != CACHE_MAGIC)
        return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                            "javascript scope cache: bad magic 0x%08x at offset 0", magic);
    uint32_t version = uv_get_le32(b + 4);
    if (version != CACHE_VERSION)
        return uv_error_set(UV_EUNSUPPORTED, UV_LIB_NONE, 0,
                            "javascript scope cache: version %u, this build reads version %u",
                            version, CACHE_VERSION);
    uint32_t count = uv_get_le32(b + 8), strings = uv_get_le32(b + 12);
    size_t records, total;
    if (count > MAX_SCOPES ||
        __builtin_mul_overflow((size_t)count, sizeof(disk_record), &records) ||
        __builtin_add_overflow(records, sizeof(disk_header), &total) ||
        __builtin_add_overflow(total, (size_t)strings, &total) || total != len)
        return uv_error_set(UV_ECORRUPT, UV_LIB_NONE, 0,
                            "javascript scope cache: %u scopes and %u string bytes need a "
                            "different size than the %zu bytes given (field count at offset 8)",
                            count, strings, len);
    const uint8_t *rp = b + sizeof(disk_header);
    const char *sp = (const char *)(rp + records);

    uv_jsscopes *t = calloc(1, sizeof *t);
    uv_jsscope *items = count ? malloc((size_t)count * sizeof *items) : NULL;
    if (!t || (count && !items)) {
        free(t);
        free(items);
        return uv_error_set(UV_ENOMEM, UV_LIB_OS, 0, "javascript scope cache: out of memory");
    }
    int rc = 0;
    for (size_t i = 0; i < count && !rc; i++, rp += sizeof(disk_record)) {
        uint32_t f[RECORD_FIELDS];
        for (size_t k = 0; k < RECORD_FIELDS; k++)
            f[k] = uv_get_le32(rp + 4 * k);
        uv_jsscope *it = &items[i];
        it->start_line = f[0];
        it->start_column = f[1];
        it->end_line = f[2];
        it->end_column = f[3];
        it->name_line = f[4];
        it->name_column = f[5];
        it->parent = f[6];
        it->class_line = f[9];
        it->class_column = f[10];
        uint64_t name_end = (uint64_t)f[7] + f[8], class_end = (uint64_t)f[11] + f[12];
        if (name_end > strings || class_end > strings) {
            rc = corrupt("name outside the string table", i);
            break;
        }
        it->name = f[8] ? (uv_str){sp + f[7], f[8]} : UV_STR_NULL;
        it->class_name = f[12] ? (uv_str){sp + f[11], f[12]} : UV_STR_NULL;
        if (!before(it->start_line, it->start_column, it->end_line, it->end_column)) {
            rc = corrupt("scope ends before it starts", i);
        } else if (i > 0 && before(it->start_line, it->start_column, items[i - 1].start_line,
                                   items[i - 1].start_column)) {
            rc = corrupt("scopes not sorted by start", i);
        } else if (it->parent != NONE) {
            const uv_jsscope *par = it->parent < i ? &items[it->parent] : NULL;
            if (!par)
                rc = corrupt("parent does not come before its child", i);
            else if (before(it->start_line, it->start_column, par->start_line, par->start_column) ||
                     before(par->end_line, par->end_column, it->end_line, it->end_column))
                rc = corrupt("scope not inside its parent", i);
        }
    }
    if (rc) {
        free(items);
        free(t);
        return rc;
    }
    t->items = items;
    t->count = count;
    *out = t;
    return 0;
}
