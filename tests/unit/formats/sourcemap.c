/* Source maps: VLQ, parsing rules and their error texts, sourceRoot, ignore lists, index maps,
 * lookup semantics (mozilla's originalPositionFor), comments, data: URLs and the cache. */
#include "formats/error.h"
#include "formats/sourcemap.h"
#include "test.h"

#include <stdlib.h>

/* ---- helpers ---------------------------------------------------------------------------- */

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Test-side VLQ encoder (the library only decodes). */
static void vlq_encode(char **o, int64_t v)
{
    uint64_t x = v < 0 ? ((uint64_t)(-v) << 1) | 1 : (uint64_t)v << 1;
    do {
        unsigned digit = x & 31;
        x >>= 5;
        if (x) digit |= 32;
        *(*o)++ = b64chars[digit];
    } while (x);
}

/* A segment written with absolute values; n = 1, 4 or 5 fields. Lines end with a -1 column. */
typedef struct {
    int n;
    int64_t v[5];
} abs_seg;

#define END_LINE                                                                                   \
    {                                                                                              \
        0,                                                                                         \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

/* Encodes absolute segments (lines separated by END_LINE entries) as a mappings string. */
static char *encode(const abs_seg *segs, size_t count)
{
    char *out = malloc(count * 40 + 1), *o = out;
    int64_t prev[5] = {0};
    bool first_in_line = true;
    for (size_t i = 0; i < count; i++) {
        if (segs[i].n == 0) {
            *o++ = ';';
            prev[0] = 0;
            first_in_line = true;
            continue;
        }
        if (!first_in_line) *o++ = ',';
        first_in_line = false;
        for (int f = 0; f < segs[i].n; f++) {
            vlq_encode(&o, segs[i].v[f] - prev[f]);
            prev[f] = segs[i].v[f];
        }
    }
    *o = '\0';
    return out;
}

static uv_sourcemap *parse_ok(const char *json)
{
    uv_sourcemap *map = NULL;
    int rc = uv_sourcemap_parse(&map, json, strlen(json));
    if (rc)
        fprintf(stderr, "unexpected parse failure: %s\n  for %s\n", uv_error_last()->message, json);
    CHECK_INT(rc, 0);
    return map;
}

static uv_sourcemap *parse_mappings(const char *sources, const char *names, const char *mappings)
{
    char json[4096];
    snprintf(json, sizeof json, "{\"version\":3,\"sources\":%s,\"names\":%s,\"mappings\":\"%s\"}",
             sources, names, mappings);
    return parse_ok(json);
}

/* ---- VLQ ------------------------------------------------------------------------------ */

TEST(vlq_table)
{
    static const struct {
        const char *in;
        int rc;
        int32_t value;
        size_t consumed;
    } cases[] = {
        {"A", 0, 0, 1},
        {"C", 0, 1, 1},
        {"D", 0, -1, 1},
        {"gB", 0, 16, 2},
        {"hB", 0, -16, 2},
        {"2H", 0, 123, 2},
        {"+/////D", 0, INT32_MAX, 7}, /* the largest value */
        {"//////D", 0, -INT32_MAX, 7},
        {"B", 0, INT32_MIN, 1},         /* "-0" stands for -2^31 (ECMA-426) */
        {"AC", 0, 0, 1},                /* stops after one value */
        {"+/////H", UV_EINVALID, 0, 0}, /* 2^32 - 1 in magnitude bits: over 32 bits */
        {"+/////E", UV_EINVALID, 0, 0},
        {"ggggggggA", UV_EINVALID, 0, 0}, /* too many continuation digits */
        {"g", UV_EINVALID, 0, 0},         /* truncated continuation */
        {"g,", UV_EINVALID, 0, 0},
        {"*", UV_EINVALID, 0, 0},
        {"=", UV_EINVALID, 0, 0},
        {"", UV_EINVALID, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t pos = 0;
        int32_t v = 12345;
        int rc = uv_vlq_decode(cases[i].in, strlen(cases[i].in), &pos, &v);
        CHECK_INT(rc, cases[i].rc);
        if (rc == 0) {
            CHECK_INT(v, cases[i].value);
            CHECK_INT(pos, cases[i].consumed);
        } else {
            CHECK_CONTAINS(uv_error_last()->message, "VLQ");
        }
    }
}

TEST(vlq_roundtrip)
{
    const int64_t values[] = {0,          1,         -1,         15,           16,    -16,
                              31,         32,        1000,       -1000,        65535, 1 << 20,
                              -(1 << 25), INT32_MAX, -INT32_MAX, INT32_MAX - 1};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char buf[16], *o = buf;
        vlq_encode(&o, values[i]);
        size_t pos = 0, len = (size_t)(o - buf);
        int32_t v;
        CHECK_INT(uv_vlq_decode(buf, len, &pos, &v), 0);
        CHECK_INT(v, values[i]);
        CHECK_INT(pos, len);
    }
}

/* ---- Error texts ------------------------------------------------------------------------ */

TEST(malformed_maps)
{
    static const struct {
        const char *json;
        int rc;
        const char *needle;
    } cases[] = {
        {"{\"version\":2,\"sources\":[],\"mappings\":\"\"}", UV_EINVALID, "version"},
        {"{\"version\":\"3\",\"sources\":[],\"mappings\":\"\"}", UV_EINVALID, "version"},
        {"{\"sources\":[],\"mappings\":\"\"}", UV_EINVALID, "version: missing"},
        {"{\"version\":3,\"mappings\":\"\"}", UV_EINVALID, "sources: missing"},
        {"{\"version\":3,\"sources\":[]}", UV_EINVALID, "mappings: missing"},
        {"{\"version\":3,\"sources\":[1],\"mappings\":\"\"}", UV_EINVALID,
         "sources[0]: expected a string or null"},
        {"{\"version\":3,\"sources\":[],\"names\":[null],\"mappings\":\"\"}", UV_EINVALID,
         "names[0]: expected a string"},
        {"{\"version\":3,\"sources\":[\"a\"],\"mappings\":\"AAAA,AA\"}", UV_EINVALID,
         "mappings: line 1, segment 2: 2 fields (a segment has 1, 4 or 5)"},
        {"{\"version\":3,\"sources\":[\"a\"],\"mappings\":\";AAA\"}", UV_EINVALID,
         "mappings: line 2, segment 1: 3 fields"},
        {"{\"version\":3,\"sources\":[\"a\"],\"names\":[\"x\"],\"mappings\":\"AAAAAA\"}",
         UV_EINVALID, "mappings: line 1, segment 1: more than 5 fields"},
        {"{\"version\":3,\"sources\":[\"a\"],\"mappings\":\"AAAA,A*AA\"}", UV_EINVALID,
         "mappings: line 1, segment 2: invalid base64 character '*'"},
        {"{\"version\":3,\"sources\":[\"a\"],\"mappings\":\"AAAg\"}", UV_EINVALID,
         "mappings: line 1, segment 1: truncated VLQ value"},
        {"{\"version\":3,\"sources\":[\"a\"],\"mappings\":\"AAAg;\"}", UV_EINVALID,
         "mappings: line 1, segment 1: truncated VLQ value"},
        {"{\"version\":3,\"sources\":[\"a\"],\"mappings\":\"+/////H\"}", UV_EINVALID,
         "mappings: line 1, segment 1: VLQ value at offset 0 exceeds 32 bits"},
        {"{\"version\":3,\"sources\":[\"a\"],\"mappings\":\"+/////D,C\"}", UV_EINVALID,
         "mappings: line 1, segment 2: generated column 2147483648 exceeds 2^31-1"},
        {"{\"version\":3,\"sources\":[\"a\",\"b\",\"c\",\"d\",\"e\"],\"mappings\":"
         "\";;AAAA,CAAA,CAAA,CAAA,CAAA,CAAA,CYAA\"}",
         UV_EINVALID, "mappings: line 3, segment 7: source index 12 out of range (5 sources)"},
        {"{\"version\":3,\"sources\":[\"a\"],\"mappings\":\"AAAAC\"}", UV_EINVALID,
         "mappings: line 1, segment 1: name index 1 out of range (0 names)"},
        {"{\"version\":3,\"sources\":[\"a\"],\"mappings\":\"D\"}", UV_EINVALID,
         "mappings: line 1, segment 1: generated column -1 is negative"},
        {"{\"version\":3,\"sources\":[\"a\"],\"mappings\":\"AAAA,ADAA\"}", UV_EINVALID,
         "mappings: line 1, segment 2: source index -1 is negative"},
        {"{\"version\":3,\"sources\":[\"a\"],\"mappings\":\"AADA\"}", UV_EINVALID,
         "mappings: line 1, segment 1: original line -1 is negative"},
        {"{\"version\":3,\"sources\":[\"a\"],\"mappings\":\"AAAD\"}", UV_EINVALID,
         "mappings: line 1, segment 1: original column -1 is negative"},
        {"{\"version\":3,\"sources\":[\"a\"],\"names\":[\"n\"],\"mappings\":\"AAAAB\"}",
         UV_EINVALID, "mappings: line 1, segment 1: name index -2147483648 is negative"},
        {"{\"version\":3,\"sources\":[\"a\"],\"mappings\":\"\",\"ignoreList\":[3]}", UV_EINVALID,
         "ignoreList[0]: source index 3 out of range (1 sources)"},
        {"{\"version\":3,\"sources\":[\"a\"],\"mappings\":\"\",\"x_google_ignoreList\":[0,-1]}",
         UV_EINVALID, "x_google_ignoreList[1]: expected a non-negative integer"},
        {"{\"version\":3,\"sources\":[\"a\"],\"mappings\":\"\",\"ignoreList\":[0.5]}", UV_EINVALID,
         "ignoreList[0]: expected a non-negative integer"},
        {"{\"version\":3,\"sources\":[],\"mappings\":\"\"} x", UV_EINVALID, "trailing characters"},
        {"{\"version\":3,\"sources\":[],\"mappings\":\"\",}", UV_EINVALID, "JSON"},
        {"{\"version\":3,\"sources\":[\"\\q\"],\"mappings\":\"\"}", UV_EINVALID, "bad escape"},
        {"{\"version\":3,\"sources\":[\"\\u12\"],\"mappings\":\"\"}", UV_EINVALID,
         "bad \\u escape"},
        {"{\"version\":3,\"sources\":[\"a\nb\"],\"mappings\":\"\"}", UV_EINVALID,
         "control character"},
        {"{\"version\":3,\"sources\":[],\"mappings\":\"\"", UV_EINVALID, "JSON"},
        {"[1]", UV_EINVALID, "expected a JSON object"},
        {"", UV_EINVALID, "expected a JSON object"},
        {"{\"version\":3,\"sources\":[],\"mappings\":\"\",\"x\":01}", UV_EINVALID, "JSON"},
        {"{\"version\":3,\"sources\":[],\"mappings\":\"\",\"x\":tru}", UV_EINVALID, "JSON"},
        {"{\"version\":3,\"sections\":[{\"offset\":{\"line\":0,\"column\":0},\"url\":\"a.map\"}]}",
         UV_EUNSUPPORTED, "sections[0]: sections that reference a map by url are not supported"},
        {"{\"version\":3,\"sections\":[{\"offset\":{\"line\":0,\"column\":0},\"map\":{\"version\":"
         "3,"
         "\"sections\":[]}}]}",
         UV_EINVALID, "sections[0].map.sections: nested index maps are not allowed"},
        {"{\"version\":3,\"sections\":[{\"offset\":{\"line\":1,\"column\":0},\"map\":{\"version\":"
         "3,"
         "\"sources\":[],\"mappings\":\"\"}},{\"offset\":{\"line\":0,\"column\":5},\"map\":{"
         "\"version\":3,"
         "\"sources\":[],\"mappings\":\"\"}}]}",
         UV_EINVALID, "sections[1]: offset 0:5 is not after the previous section's 1:0"},
        {"{\"version\":3,\"sections\":[{\"offset\":{\"line\":0,\"column\":0},\"map\":{\"version\":"
         "3,"
         "\"sources\":[\"a\"],\"mappings\":\"UAAA\"}},{\"offset\":{\"line\":0,\"column\":5},"
         "\"map\":{"
         "\"version\":3,\"sources\":[],\"mappings\":\"\"}}]}",
         UV_EINVALID, "sections[1]: overlaps sections[0], which has a mapping at 0:10"},
        {"{\"version\":3,\"sections\":[{\"offset\":{\"line\":0},\"map\":{}}]}", UV_EINVALID,
         "sections[0].offset: needs both line and column"},
    };
    size_t n = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < n; i++) {
        uv_sourcemap *map = NULL;
        uv_error_clear();
        int rc = uv_sourcemap_parse(&map, cases[i].json, strlen(cases[i].json));
        CHECK_INT(rc, cases[i].rc);
        CHECK(map == NULL);
        CHECK_CONTAINS(uv_error_last()->message, cases[i].needle);
        uv_sourcemap_free(map);
    }
    /* A section's mapping errors name the section. */
    const char *bad_section =
        "{\"version\":3,\"sections\":[{\"offset\":{\"line\":0,\"column\":0},\"map\":{\"version\":3,"
        "\"sources\":[\"a\"],\"mappings\":\"AAAA;ACAA\"}}]}";
    uv_sourcemap *map = NULL;
    CHECK_INT(uv_sourcemap_parse(&map, bad_section, strlen(bad_section)), UV_EINVALID);
    CHECK_CONTAINS(
        uv_error_last()->message,
        "sections[0].map.mappings: line 2, segment 1: source index 1 out of range (1 sources)");
}

TEST(nesting_is_bounded)
{
    size_t depth = 100000;
    char *json = malloc(depth * 2 + 64);
    size_t o = (size_t)sprintf(json, "{\"version\":3,\"x\":");
    for (size_t i = 0; i < depth; i++)
        json[o++] = '[';
    for (size_t i = 0; i < depth; i++)
        json[o++] = ']';
    o += (size_t)sprintf(json + o, ",\"sources\":[],\"mappings\":\"\"}");
    uv_sourcemap *map = NULL;
    CHECK_INT(uv_sourcemap_parse(&map, json, o), UV_EINVALID);
    CHECK_CONTAINS(uv_error_last()->message, "nesting too deep");
    free(json);
}

/* ---- Accepted fields ------------------------------------------------------------------ */

TEST(fields_and_unknowns)
{
    uv_sourcemap *map =
        parse_ok(")]}'\n{\"version\":3,\"file\":\"out\\/"
                 "min.js\",\"unknown\":{\"a\":[1,2.5e3,true,false,null]},"
                 "\"sources\":[\"a.js\",null,\"c\\u00e9.js\"],\"names\":[\"x\",\"y\\\"z\"],"
                 "\"sourcesContent\":[\"line1\\nline2 \\ud83d\\ude00\",null],\"mappings\":\"AAAA\","
                 "\"debugId\":\"85314830-023f-4cf1-a267-535f4e37bb17\",\"ignoreList\":[1],"
                 "\"x_google_ignoreList\":[2]}");
    if (!map) return;
    CHECK_VIEW(uv_sourcemap_file(map), "out/min.js");
    CHECK_VIEW(uv_sourcemap_debug_id(map), "85314830-023f-4cf1-a267-535f4e37bb17");
    CHECK_INT(uv_sourcemap_source_count(map), 3);
    CHECK_VIEW(uv_sourcemap_source(map, 0), "a.js");
    CHECK(uv_sourcemap_source(map, 1).ptr == NULL);
    CHECK_VIEW(uv_sourcemap_source(map, 2), "c\xc3\xa9.js");
    CHECK_INT(uv_sourcemap_name_count(map), 2);
    CHECK_VIEW(uv_sourcemap_name(map, 1), "y\"z");
    CHECK(!uv_sourcemap_source_ignored(map, 0));
    CHECK(uv_sourcemap_source_ignored(map, 1));
    CHECK(uv_sourcemap_source_ignored(map, 2));
    uv_arena *arena;
    uv_arena_new(&arena);
    uv_str content;
    CHECK_INT(uv_sourcemap_source_content(map, 0, arena, &content), 0);
    CHECK_VIEW(content, "line1\nline2 \xf0\x9f\x98\x80");
    CHECK_INT(uv_sourcemap_source_content(map, 1, arena, &content), UV_ENOTFOUND);
    CHECK_INT(uv_sourcemap_source_content(map, 2, arena, &content), UV_ENOTFOUND); /* short array */
    uv_arena_free(arena);
    uv_sourcemap_free(map);

    map = parse_ok("{\"version\":3,\"sources\":[],\"mappings\":\"\",\"debug_id\":\"abc\"}");
    if (map) CHECK_VIEW(uv_sourcemap_debug_id(map), "abc");
    uv_sourcemap_free(map);
    /* `names` may be missing (Sass does that) */
    map = parse_ok("{\"version\":3,\"sources\":[\"a\"],\"mappings\":\"AAAA\"}");
    if (map) CHECK_INT(uv_sourcemap_name_count(map), 0);
    uv_sourcemap_free(map);
}

TEST(source_root_joining)
{
    static const struct {
        const char *root, *source, *joined;
    } cases[] = {
        {NULL, "a.js", "a.js"},
        {"", "a.js", "a.js"},
        {"src", "a.js", "src/a.js"},
        {"src/", "a.js", "src/a.js"},
        {"https://example.com/js", "a.js", "https://example.com/js/a.js"},
        {"https://example.com/js/", "../a.js", "https://example.com/js/../a.js"},
        {"/root", "/abs.js", "/root//abs.js"},
        {"webpack:///", "./src/x.ts", "webpack:///./src/x.ts"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char json[512];
        if (cases[i].root)
            snprintf(
                json, sizeof json,
                "{\"version\":3,\"sourceRoot\":\"%s\",\"sources\":[\"%s\",null],\"mappings\":\"\"}",
                cases[i].root, cases[i].source);
        else
            snprintf(json, sizeof json,
                     "{\"version\":3,\"sources\":[\"%s\",null],\"mappings\":\"\"}",
                     cases[i].source);
        uv_sourcemap *map = parse_ok(json);
        if (!map) continue;
        CHECK_VIEW(uv_sourcemap_source(map, 0), cases[i].joined);
        CHECK_VIEW(uv_sourcemap_source_raw(map, 0), cases[i].source);
        CHECK(uv_sourcemap_source(map, 1).ptr == NULL); /* null stays null, no root */
        uv_sourcemap_free(map);
    }
}

/* ---- Lookup semantics ------------------------------------------------------------------ */

typedef struct {
    uint32_t line, column;
    int rc;
    uint32_t src, orig_line, orig_col, name;
} lookup_case;

static void check_lookups(const uv_sourcemap *map, const lookup_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uv_sm_token t;
        int rc = uv_sourcemap_lookup(map, cases[i].line, cases[i].column, &t);
        if (rc != cases[i].rc)
            fprintf(stderr, "lookup %u:%u (case %zu)\n", cases[i].line, cases[i].column, i);
        CHECK_INT(rc, cases[i].rc);
        if (rc || cases[i].rc) continue;
        CHECK_INT(t.gen_line, cases[i].line);
        CHECK_INT(t.source, cases[i].src);
        CHECK_INT(t.line, cases[i].orig_line);
        CHECK_INT(t.column, cases[i].orig_col);
        CHECK_INT(t.name, cases[i].name);
    }
}

#define NONE UV_SM_NONE

TEST(lookup_greatest_lower_bound_same_line)
{
    const abs_seg segs[] = {
        {4, {2, 0, 10, 1}}, {5, {8, 1, 20, 2, 0}},
        {1, {12}},          {4, {15, 0, 30, 3}},
        END_LINE,           END_LINE, /* line 1 empty */
        {4, {0, 1, 40, 0}}, END_LINE,
        END_LINE,
    };
    char *m = encode(segs, sizeof segs / sizeof segs[0]);
    uv_sourcemap *map = parse_mappings("[\"a.js\",\"b.js\"]", "[\"n\"]", m);
    free(m);
    if (!map) return;
    const lookup_case cases[] = {
        {0, 0, UV_ENOTFOUND, 0, 0, 0, 0}, /* before the first segment */
        {0, 1, UV_ENOTFOUND, 0, 0, 0, 0},
        {0, 2, 0, 0, 10, 1, NONE},
        {0, 7, 0, 0, 10, 1, NONE},
        {0, 8, 0, 1, 20, 2, 0},
        {0, 11, 0, 1, 20, 2, 0},
        {0, 12, UV_ENOTFOUND, 0, 0, 0, 0}, /* a 1-field segment: mozilla returns nulls */
        {0, 14, UV_ENOTFOUND, 0, 0, 0, 0},
        {0, 15, 0, 0, 30, 3, NONE},
        {0, 1000000, 0, 0, 30, 3, NONE},
        {1, 0, UV_ENOTFOUND, 0, 0, 0, 0}, /* empty line: no fallback to line 0 */
        {1, 50, UV_ENOTFOUND, 0, 0, 0, 0},
        {2, 0, 0, 1, 40, 0, NONE},
        {3, 5, UV_ENOTFOUND, 0, 0, 0, 0}, /* empty last lines */
        {4, 0, UV_ENOTFOUND, 0, 0, 0, 0},
        {99, 0, UV_ENOTFOUND, 0, 0, 0, 0}, /* past the end */
    };
    check_lookups(map, cases, sizeof cases / sizeof cases[0]);
    CHECK_INT(uv_sourcemap_segment_count(map), 5);

    uv_sm_token t;
    CHECK_INT(uv_sourcemap_lookup_line(map, 0, &t), 0);
    CHECK_INT(t.gen_column, 2);
    CHECK_INT(uv_sourcemap_lookup_line(map, 1, &t), UV_ENOTFOUND);
    CHECK_INT(uv_sourcemap_lookup_line(map, 2, &t), 0);
    CHECK_INT(t.line, 40);
    uv_sourcemap_free(map);
}

/* Results below were taken from mozilla source-map 0.7.6 (node): segments within a line are
 * sorted by (column, source, line, column, name) with 1-field segments last, and a lookup
 * that hits several segments on one column returns the one its binary search probes first. */
TEST(lookup_unsorted_and_duplicates_like_mozilla)
{
    const abs_seg unsorted[] = {
        {4, {5, 0, 0, 0}}, {4, {3, 0, 1, 0}}, {4, {5, 0, 2, 0}}, {4, {3, 0, 3, 0}}};
    char *m = encode(unsorted, 4);
    uv_sourcemap *map = parse_mappings("[\"a\"]", "[]", m);
    free(m);
    if (map) {
        const lookup_case cases[] = {
            {0, 3, 0, 0, 3, 0, NONE}, {0, 4, 0, 0, 3, 0, NONE},         {0, 5, 0, 0, 0, 0, NONE},
            {0, 6, 0, 0, 2, 0, NONE}, {0, 2, UV_ENOTFOUND, 0, 0, 0, 0},
        };
        check_lookups(map, cases, sizeof cases / sizeof cases[0]);
        /* segments come out sorted */
        uv_sm_token t;
        uint32_t expect_cols[] = {3, 3, 5, 5}, expect_lines[] = {1, 3, 0, 2};
        for (size_t i = 0; i < 4; i++) {
            CHECK_INT(uv_sourcemap_segment(map, i, &t), 0);
            CHECK_INT(t.gen_column, expect_cols[i]);
            CHECK_INT(t.line, expect_lines[i]);
        }
        uv_sourcemap_free(map);
    }

    static const struct {
        abs_seg segs[3];
        size_t n;
        int rc;
        uint32_t src, line, col, name;
    } dup[] = {
        /* mozilla: {source:"a",line:3} for lines 0,2,3 at one column */
        {{{4, {0, 0, 0, 0}}, {4, {0, 0, 2, 0}}, {4, {0, 0, 3, 0}}}, 3, 0, 0, 2, 0, NONE},
        {{{4, {0, 1, 0, 0}}, {4, {0, 0, 5, 0}}}, 2, 0, 1, 0, 0, NONE},
        {{{4, {0, 0, 5, 0}}, {4, {0, 1, 0, 0}}}, 2, 0, 1, 0, 0, NONE},
        {{{5, {0, 0, 0, 3, 0}}, {5, {0, 0, 0, 0, 1}}}, 2, 0, 0, 0, 3, 0},
        {{{4, {0, 0, 0, 5}}, {4, {0, 0, 1, 0}}}, 2, 0, 0, 1, 0, NONE},
        {{{5, {0, 0, 0, 0, 2}}, {4, {0, 0, 0, 0}}}, 2, 0, 0, 0, 0, 2},
        {{{4, {0, 0, 0, 0}}, {5, {0, 0, 0, 0, 2}}}, 2, 0, 0, 0, 0, 2},
        {{{5, {0, 2, 9, 9, 2}}, {1, {0}}}, 2, UV_ENOTFOUND, 0, 0, 0, 0},
        {{{1, {0}}, {5, {0, 2, 9, 9, 2}}}, 2, UV_ENOTFOUND, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof dup / sizeof dup[0]; i++) {
        m = encode(dup[i].segs, dup[i].n);
        map = parse_mappings("[\"a\",\"b\",\"c\"]", "[\"x\",\"y\",\"z\"]", m);
        free(m);
        if (!map) continue;
        lookup_case c = {0, 0, dup[i].rc, dup[i].src, dup[i].line, dup[i].col, dup[i].name};
        check_lookups(map, &c, 1);
        uv_sourcemap_free(map);
    }
}

TEST(index_map_flattening)
{
    /* section 0 at 0:0 (a.js), section 1 at 0:100 (b.js, c.js; name "q"), section 2 at 3:0 */
    const char *json =
        "{\"version\":3,\"file\":\"bundle.js\",\"sections\":["
        "{\"offset\":{\"line\":0,\"column\":0},\"map\":{\"version\":3,\"sources\":[\"a.js\"],"
        "\"names\":[\"p\"],\"mappings\":\"AAAAA,KAAK\"}},"
        "{\"offset\":{\"line\":0,\"column\":100},\"map\":{\"version\":3,\"sourceRoot\":\"lib\","
        "\"sources\":[\"b.js\",\"c.js\"],\"names\":[\"q\"],\"ignoreList\":[1],"
        "\"sourcesContent\":[\"B\",\"C\"],\"mappings\":\"KAAAA;ECCA\"}},"
        "{\"offset\":{\"line\":3,\"column\":7},\"map\":{\"version\":3,\"sources\":[\"d.js\"],"
        "\"mappings\":\";AAAA\"}}]}";
    uv_sourcemap *map = parse_ok(json);
    if (!map) return;
    CHECK_VIEW(uv_sourcemap_file(map), "bundle.js");
    CHECK_INT(uv_sourcemap_source_count(map), 4);
    CHECK_VIEW(uv_sourcemap_source(map, 1), "lib/b.js");
    CHECK_VIEW(uv_sourcemap_source_raw(map, 2), "c.js");
    CHECK_VIEW(uv_sourcemap_source(map, 3), "d.js");
    CHECK(!uv_sourcemap_source_ignored(map, 1));
    CHECK(uv_sourcemap_source_ignored(map, 2));
    CHECK_INT(uv_sourcemap_name_count(map), 2);
    CHECK_VIEW(uv_sourcemap_name(map, 1), "q");
    uv_arena *arena;
    uv_arena_new(&arena);
    uv_str content;
    CHECK_INT(uv_sourcemap_source_content(map, 2, arena, &content), 0);
    CHECK_VIEW(content, "C");
    CHECK_INT(uv_sourcemap_source_content(map, 0, arena, &content), UV_ENOTFOUND);
    uv_arena_free(arena);
    const lookup_case cases[] = {
        {0, 0, 0, 0, 0, 0, 0},
        {0, 5, 0, 0, 0, 5, NONE},
        {0, 99, 0, 0, 0, 5, NONE},
        {0, 100, UV_ENOTFOUND, 0, 0, 0, 0}, /* in section 1, before its first mapping (105) */
        {0, 104, UV_ENOTFOUND, 0, 0, 0, 0},
        {0, 105, 0, 1, 0, 0, 1},
        {1, 1, UV_ENOTFOUND, 0, 0, 0, 0}, /* column offset only on the first line */
        {1, 2, 0, 2, 1, 0, NONE},
        {2, 0, UV_ENOTFOUND, 0, 0, 0, 0},
        {3, 50, UV_ENOTFOUND, 0, 0, 0, 0}, /* section 2's first line is empty */
        {4, 0, 0, 3, 0, 0, NONE},          /* its second line: no column offset */
        {5, 0, UV_ENOTFOUND, 0, 0, 0, 0},
    };
    check_lookups(map, cases, sizeof cases / sizeof cases[0]);
    uv_sourcemap_free(map);

    /* no sections at all */
    map = parse_ok("{\"version\":3,\"sections\":[]}");
    if (map) {
        uv_sm_token t;
        CHECK_INT(uv_sourcemap_lookup(map, 0, 0, &t), UV_ENOTFOUND);
        CHECK_INT(uv_sourcemap_segment_count(map), 0);
    }
    uv_sourcemap_free(map);
}

/* ---- Comments and data: URLs ------------------------------------------------------------- */

TEST(find_url_in_last_lines_only)
{
    static const struct {
        const char *js;
        int rc;
        const char *url;
    } cases[] = {
        {"var a=1;\n//# sourceMappingURL=app.js.map\n", 0, "app.js.map"},
        {"var a=1;\n//# sourceMappingURL=app.js.map", 0, "app.js.map"},
        {"var a=1;\r\n//# sourceMappingURL=app.js.map\r\n\r\n  \n", 0, "app.js.map"},
        {"var a=1;\n//@ sourceMappingURL=old.map\n", 0, "old.map"},
        {"var a=1;\n/*# sourceMappingURL=block.map */\n", 0, "block.map"},
        {"var a=1;\n/*# sourceMappingURL=block.map */", 0, "block.map"},
        {"var a=1;\n//# sourceMappingURL=first.map\n//# sourceMappingURL=second.map\n", 0,
         "second.map"},
        {"var a=1;\n//# sourceMappingURL=app.map\n// trailing comment\n/* another\n one */\n", 0,
         "app.map"},
        {"var a=1;\n//# sourceMappingURL=app.map\n//# debugId=1234\n", 0, "app.map"},
        {"//# sourceMappingURL=data:application/json;base64,e30=\n", 0,
         "data:application/json;base64,e30="},
        {"//# sourceMappingURL=app.map\nvar a=1;\n", UV_ENOTFOUND, NULL},
        {"var a=1; //# sourceMappingURL=app.map\n", UV_ENOTFOUND, NULL},
        {"var s='\\n//# sourceMappingURL=x.map';\n", UV_ENOTFOUND, NULL},
        {"var a=1;\n//# sourceMappingURL=\n", UV_ENOTFOUND, NULL},
        {"var a=1;\n//#sourceMappingURL=nospace.map\n", UV_ENOTFOUND, NULL},
        {"", UV_ENOTFOUND, NULL},
        {"*/\n", UV_ENOTFOUND, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uv_str url = UV_STR_NULL;
        int rc = uv_sourcemap_find_url(cases[i].js, strlen(cases[i].js), &url);
        if (rc != cases[i].rc) fprintf(stderr, "find_url case %zu\n", i);
        CHECK_INT(rc, cases[i].rc);
        if (rc == 0 && cases[i].url) CHECK_VIEW(url, cases[i].url);
    }
    const char *js =
        "x();\n//# debugId=85314830-023f-4cf1-a267-535f4e37bb17\n//# sourceMappingURL=a.map\n";
    uv_str id;
    CHECK_INT(uv_sourcemap_find_debug_id(js, strlen(js), &id), 0);
    CHECK_VIEW(id, "85314830-023f-4cf1-a267-535f4e37bb17");
    const char *early = "//# debugId=abc\nx();\n";
    CHECK_INT(uv_sourcemap_find_debug_id(early, strlen(early), &id), UV_ENOTFOUND);
}

TEST(data_urls)
{
    static const struct {
        const char *url;
        int rc;
        const char *decoded;
    } cases[] = {
        {"data:application/json;base64,eyJhIjoxfQ==", 0, "{\"a\":1}"},
        {"data:application/json;charset=utf-8;base64,eyJhIjoxfQ==", 0, "{\"a\":1}"},
        {"data:application/json;charset=UTF-8;base64,eyJhIjoxfQ", 0, "{\"a\":1}"},
        {"DATA:Application/JSON;base64,eyJhIjoxfQ==", 0, "{\"a\":1}"},
        {"data:application/json,%7B%22a%22%3A1%7D", 0, "{\"a\":1}"},
        {"data:application/json;charset=utf-8,{\"a\":1}", 0, "{\"a\":1}"},
        {"data:;base64,e30=", 0, "{}"},
        {"data:,{}", 0, "{}"},
        {"data:text/plain;base64,e30=", UV_EINVALID, "not application/json"},
        {"data:application/json;charset=latin1,{}", UV_EINVALID, "unsupported charset"},
        {"data:application/json;base64,e30*", UV_EINVALID, "invalid base64"},
        {"data:application/json;base64,e", UV_EINVALID, "truncated base64"},
        {"data:application/json,%7", UV_EINVALID, "bad percent escape"},
        {"data:application/json;base64", UV_EINVALID, "missing ','"},
        {"https://example.com/a.map", UV_EINVALID, "does not start with data:"},
    };
    uv_arena *arena;
    uv_arena_new(&arena);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uv_str out;
        int rc = uv_sourcemap_decode_data_url(uv_str_c(cases[i].url), arena, &out);
        CHECK_INT(rc, cases[i].rc);
        if (rc == 0)
            CHECK_VIEW(out, cases[i].decoded);
        else
            CHECK_CONTAINS(uv_error_last()->message, cases[i].decoded);
    }
    uv_arena_free(arena);
}

/* ---- Cache ---------------------------------------------------------------------------- */

static const char cache_map[] =
    "{\"version\":3,\"file\":\"out.js\",\"debugId\":\"d-1\",\"sections\":["
    "{\"offset\":{\"line\":0,\"column\":0},\"map\":{\"version\":3,\"sources\":[\"a.js\",null],"
    "\"sourcesContent\":[\"esc\\\"aped\\n\",null],\"names\":[\"n\\u0041\",\"m\"],"
    "\"mappings\":\"AAAAA,EAAC,C,KCAAC;;AACA\"}},"
    "{\"offset\":{\"line\":2,\"column\":30},\"map\":{\"version\":3,\"sourceRoot\":\"r/\","
    "\"sources\":[\"b.js\"],\"ignoreList\":[0],\"sourcesContent\":[\"plain\"],"
    "\"mappings\":\"AAAA,IAAI;AACA\"}}]}";

static void *aligned_copy(const void *p, size_t n)
{
    void *q = aligned_alloc(8, n ? (n + 7) & ~(size_t)7 : 8);
    if (n) memcpy(q, p, n);
    return q;
}

static void check_same_map(const uv_sourcemap *a, const uv_sourcemap *b)
{
    CHECK_INT(uv_sourcemap_segment_count(a), uv_sourcemap_segment_count(b));
    CHECK_INT(uv_sourcemap_source_count(a), uv_sourcemap_source_count(b));
    CHECK_INT(uv_sourcemap_name_count(a), uv_sourcemap_name_count(b));
    CHECK(uv_str_eq(uv_sourcemap_file(a), uv_sourcemap_file(b)));
    CHECK(uv_str_eq(uv_sourcemap_debug_id(a), uv_sourcemap_debug_id(b)));
    for (size_t i = 0; i < uv_sourcemap_segment_count(a); i++) {
        uv_sm_token x, y;
        CHECK_INT(uv_sourcemap_segment(a, i, &x), 0);
        CHECK_INT(uv_sourcemap_segment(b, i, &y), 0);
        CHECK(memcmp(&x, &y, sizeof x) == 0);
        /* and lookups at and around each segment agree */
        for (uint32_t d = 0; d < 3; d++) {
            int ra = uv_sourcemap_lookup(a, x.gen_line, x.gen_column + d, &x);
            int rb = uv_sourcemap_lookup(b, y.gen_line, y.gen_column + d, &y);
            CHECK_INT(ra, rb);
            if (ra == 0) CHECK(memcmp(&x, &y, sizeof x) == 0);
            uv_sourcemap_segment(a, i, &x);
            uv_sourcemap_segment(b, i, &y);
        }
    }
    uv_arena *arena;
    uv_arena_new(&arena);
    for (uint32_t i = 0; i < uv_sourcemap_source_count(a); i++) {
        CHECK(uv_str_eq(uv_sourcemap_source(a, i), uv_sourcemap_source(b, i)));
        CHECK(uv_str_eq(uv_sourcemap_source_raw(a, i), uv_sourcemap_source_raw(b, i)));
        CHECK_INT(uv_sourcemap_source_ignored(a, i), uv_sourcemap_source_ignored(b, i));
        uv_str ca, cb;
        int ra = uv_sourcemap_source_content(a, i, arena, &ca);
        int rb = uv_sourcemap_source_content(b, i, arena, &cb);
        CHECK_INT(ra, rb);
        if (ra == 0) CHECK(uv_str_eq(ca, cb));
    }
    for (uint32_t i = 0; i < uv_sourcemap_name_count(a); i++)
        CHECK(uv_str_eq(uv_sourcemap_name(a, i), uv_sourcemap_name(b, i)));
    uv_arena_free(arena);
}

TEST(cache_round_trip)
{
    uv_sourcemap *map = parse_ok(cache_map);
    if (!map) return;
    CHECK_INT(uv_sourcemap_segment_count(map), 8);
    uv_buf buf = UV_BUF_INIT;
    CHECK_INT(uv_sourcemap_write_cache(map, &buf), 0);
    void *bytes = aligned_copy(buf.data, buf.len);
    uv_sourcemap *loaded = NULL;
    CHECK_INT(uv_sourcemap_load_cache(&loaded, bytes, buf.len), 0);
    if (loaded) {
        check_same_map(map, loaded);
        uv_str content;
        CHECK_INT(uv_sourcemap_source_content(loaded, 0, NULL, &content), 0);
        CHECK_VIEW(content, "esc\"aped\n");
        CHECK_VIEW(uv_sourcemap_name(loaded, 0), "nA");
        CHECK_VIEW(uv_sourcemap_source(loaded, 2), "r/b.js");
        CHECK(uv_sourcemap_source_ignored(loaded, 2));
        /* a cache of a cache is byte-identical */
        uv_buf again = UV_BUF_INIT;
        CHECK_INT(uv_sourcemap_write_cache(loaded, &again), 0);
        CHECK_INT(again.len, buf.len);
        CHECK(again.len == buf.len && memcmp(again.data, buf.data, buf.len) == 0);
        uv_buf_free(&again);
    }
    uv_sourcemap_free(loaded);
    free(bytes);
    uv_buf_free(&buf);
    uv_sourcemap_free(map);
}

TEST(cache_corruption_rejected)
{
    uv_sourcemap *map = parse_ok(cache_map);
    if (!map) return;
    uv_buf buf = UV_BUF_INIT;
    CHECK_INT(uv_sourcemap_write_cache(map, &buf), 0);
    uv_sourcemap_free(map);
    /* every truncation is rejected */
    for (size_t len = 0; len < buf.len; len++) {
        void *bytes = aligned_copy(buf.data, len);
        uv_sourcemap *loaded = NULL;
        int rc = uv_sourcemap_load_cache(&loaded, bytes, len);
        if (rc != UV_ECORRUPT) fprintf(stderr, "truncated at %zu loaded\n", len);
        CHECK_INT(rc, UV_ECORRUPT);
        uv_sourcemap_free(loaded);
        free(bytes);
    }
    /* the magic, the version and the counts are checked */
    static const size_t must_fail[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    for (size_t k = 0; k < sizeof must_fail / sizeof must_fail[0]; k++) {
        uint8_t *bytes = aligned_copy(buf.data, buf.len);
        bytes[must_fail[k]] ^= 0x40;
        uv_sourcemap *loaded = NULL;
        CHECK_INT(uv_sourcemap_load_cache(&loaded, bytes, buf.len), UV_ECORRUPT);
        uv_sourcemap_free(loaded);
        free(bytes);
    }
    /* the flipped magic names the byte order */
    {
        uint8_t *bytes = aligned_copy(buf.data, buf.len);
        bytes[0] = 'M', bytes[1] = 'S', bytes[2] = 'V', bytes[3] = 'U';
        uv_sourcemap *loaded = NULL;
        CHECK_INT(uv_sourcemap_load_cache(&loaded, bytes, buf.len), UV_ECORRUPT);
        CHECK_CONTAINS(uv_error_last()->message, "byte order");
        free(bytes);
    }
    /* flipping any byte anywhere never crashes; lookups on what loads stay in bounds */
    for (size_t i = 0; i < buf.len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            uint8_t *bytes = aligned_copy(buf.data, buf.len);
            bytes[i] ^= (uint8_t)(1u << bit);
            uv_sourcemap *loaded = NULL;
            if (uv_sourcemap_load_cache(&loaded, bytes, buf.len) == 0) {
                uv_sm_token t;
                for (uint32_t line = 0; line < 5; line++)
                    for (uint32_t col = 0; col < 40; col += 3)
                        if (uv_sourcemap_lookup(loaded, line, col, &t) == 0) {
                            CHECK(t.source < uv_sourcemap_source_count(loaded));
                            (void)uv_sourcemap_source(loaded, t.source);
                        }
                for (size_t s = 0; s < uv_sourcemap_segment_count(loaded); s++)
                    (void)uv_sourcemap_segment(loaded, s, &t);
                uv_str c;
                for (uint32_t s = 0; s < uv_sourcemap_source_count(loaded); s++)
                    (void)uv_sourcemap_source_content(loaded, s, NULL, &c);
            }
            uv_sourcemap_free(loaded);
            free(bytes);
        }
    }
    /* misaligned buffers are refused rather than read unaligned */
    {
        uint8_t *bytes = aligned_copy(buf.data, buf.len + 8);
        memmove(bytes + 1, bytes, buf.len);
        uv_sourcemap *loaded = NULL;
        CHECK(uv_sourcemap_load_cache(&loaded, bytes + 1, buf.len) != 0);
        free(bytes);
    }
    uv_buf_free(&buf);
}

TEST(cache_is_fast_to_load)
{
    /* a map with many segments on one line: loading must not touch each segment */
    size_t n = 200000;
    char *mappings = malloc(n * 8 + 1), *o = mappings;
    for (size_t i = 0; i < n; i++) {
        if (i) *o++ = ',';
        memcpy(o, "CAAC", 4);
        o += 4;
    }
    *o = '\0';
    size_t jlen = strlen(mappings) + 128;
    char *json = malloc(jlen);
    snprintf(json, jlen, "{\"version\":3,\"sources\":[\"a\"],\"mappings\":\"%s\"}", mappings);
    uv_sourcemap *map = parse_ok(json);
    free(mappings);
    if (map) {
        uv_buf buf = UV_BUF_INIT;
        CHECK_INT(uv_sourcemap_write_cache(map, &buf), 0);
        void *bytes = aligned_copy(buf.data, buf.len);
        uv_sourcemap *loaded = NULL;
        CHECK_INT(uv_sourcemap_load_cache(&loaded, bytes, buf.len), 0);
        if (loaded) {
            uv_sm_token t;
            CHECK_INT(uv_sourcemap_lookup(loaded, 0, 123456, &t), 0); /* segment i at i+1 */
            CHECK_INT(t.gen_column, 123456);
            CHECK_INT(t.column, 123456);
            CHECK_INT(uv_sourcemap_segment_count(loaded), n);
        }
        uv_sourcemap_free(loaded);
        free(bytes);
        uv_buf_free(&buf);
    }
    uv_sourcemap_free(map);
    free(json);
}

int main(void)
{
    RUN(vlq_table);
    RUN(vlq_roundtrip);
    RUN(malformed_maps);
    RUN(nesting_is_bounded);
    RUN(fields_and_unknowns);
    RUN(source_root_joining);
    RUN(lookup_greatest_lower_bound_same_line);
    RUN(lookup_unsorted_and_duplicates_like_mozilla);
    RUN(index_map_flattening);
    RUN(find_url_in_last_lines_only);
    RUN(data_urls);
    RUN(cache_round_trip);
    RUN(cache_corruption_rejected);
    RUN(cache_is_fast_to_load);
    TEST_MAIN_END();
}
