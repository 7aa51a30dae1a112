/* Source Map v3 / ECMA-426: parse regular and index maps, look up generated positions,
 * extract sourceMappingURL / debugId comments, decode data: URLs, and persist the decoded
 * map as a cache file that loads without any JSON parsing.
 *
 * All line and column numbers in this interface are 0-based; columns count UTF-16 code units,
 * as the spec says. */
#ifndef UV_SOURCEMAP_H
#define UV_SOURCEMAP_H

#include "formats/arena.h"
#include "formats/buf.h"
#include "formats/str.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UV_SM_NONE UINT32_MAX

typedef struct uv_sourcemap uv_sourcemap;

/* The mapping found by a lookup. */
typedef struct {
    uint32_t gen_line, gen_column; /* the segment's own generated position */
    uint32_t source;               /* index into sources, UV_SM_NONE for a 1-field segment */
    uint32_t line, column;         /* original position, 0-based */
    uint32_t name;                 /* index into names or UV_SM_NONE */
} uv_sm_token;

/* Parses a source map (regular or index) from `json`/`len`. Zero-copy: the map keeps
 * pointers into `json`, which must stay alive and unchanged until uv_sourcemap_free.
 * On failure returns UV_EINVALID (or UV_ETOOBIG / UV_ENOMEM) with a message naming the
 * field, and for `mappings` the 1-based generated line and segment number. */
int uv_sourcemap_parse(uv_sourcemap **out, const char *json, size_t len);

/* Loads a map written by uv_sourcemap_write_cache. Zero-copy over `bytes`, which must stay
 * alive (typically mmapped) until uv_sourcemap_free. A cache of another format version or
 * any inconsistency returns UV_ECORRUPT and the caller rebuilds it. */
int uv_sourcemap_load_cache(uv_sourcemap **out, const void *bytes, size_t len);

/* Serialises the decoded map (mappings, resolved sources, names, sourcesContent unescaped,
 * ignore list, debug id) into `out`. */
int uv_sourcemap_write_cache(const uv_sourcemap *map, uv_buf *out);

/* Accepts NULL. */
void uv_sourcemap_free(uv_sourcemap *map);

/* Greatest lower bound on (line, column) within the same generated line, as mozilla
 * source-map's originalPositionFor with its default bias: the last segment on `line` whose
 * column is <= `column`. Returns 0, or UV_ENOTFOUND when there is none or when that
 * segment has no source (a 1-field segment). */
int uv_sourcemap_lookup(const uv_sourcemap *map, uint32_t line, uint32_t column, uv_sm_token *out);

/* First segment with a source on `line` (for frames that carry no column). */
int uv_sourcemap_lookup_line(const uv_sourcemap *map, uint32_t line, uv_sm_token *out);

uint32_t uv_sourcemap_source_count(const uv_sourcemap *map);
/* Source i with sourceRoot applied as ECMA-426 says; JSON escapes already decoded. */
uv_str uv_sourcemap_source(const uv_sourcemap *map, uint32_t i);
/* Source i exactly as written in `sources` (unescaped, no sourceRoot). */
uv_str uv_sourcemap_source_raw(const uv_sourcemap *map, uint32_t i);
/* sourcesContent[i]: 0 and the text (unescaped into `arena` when needed; borrowed from the
 * cache when loaded from one) or UV_ENOTFOUND when absent or null. */
int uv_sourcemap_source_content(const uv_sourcemap *map, uint32_t i, uv_arena *arena, uv_str *out);
bool uv_sourcemap_source_ignored(const uv_sourcemap *map, uint32_t i);

uint32_t uv_sourcemap_name_count(const uv_sourcemap *map);
uv_str uv_sourcemap_name(const uv_sourcemap *map, uint32_t i);

/* The map's `file` and `debugId` fields; empty views when absent. */
uv_str uv_sourcemap_file(const uv_sourcemap *map);
uv_str uv_sourcemap_debug_id(const uv_sourcemap *map);

/* Number of decoded segments (for summaries and benchmarks). */
size_t uv_sourcemap_segment_count(const uv_sourcemap *map);

/* Segment i (0 <= i < segment_count) in generated order, 1-field segments included (their
 * source, line, column and name are UV_SM_NONE). For tests, dumps and cache checks.
 * Returns 0, UV_ENOTFOUND past the end, or UV_ECORRUPT for a bad cached segment. */
int uv_sourcemap_segment(const uv_sourcemap *map, size_t i, uv_sm_token *out);

/* In the last lines of a generated .js (only trailing comments/whitespace may follow),
 * finds `//# sourceMappingURL=X` (also the legacy `//@` and the same inside a block comment) and
 * `//# debugId=X`. Views borrow `js`. Returns 0 or UV_ENOTFOUND. */
int uv_sourcemap_find_url(const char *js, size_t len, uv_str *out);
int uv_sourcemap_find_debug_id(const char *js, size_t len, uv_str *out);

/* Decodes a `data:` URL holding a map (`;base64` or percent-encoded, media type
 * application/json or absent, optional `;charset=`). The result is allocated in `arena`.
 * Returns UV_EINVALID (not a data URL or undecodable) with a message. */
int uv_sourcemap_decode_data_url(uv_str url, uv_arena *arena, uv_str *out);

/* Base64 VLQ, exposed for tests: decodes one value starting at *pos within [s, s+len),
 * advancing *pos. Rejects values outside the spec's 32-bit signed range. */
int uv_vlq_decode(const char *s, size_t len, size_t *pos, int32_t *out);

#endif
