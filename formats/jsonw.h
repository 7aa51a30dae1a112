/* A fast compact writer for jansson values: the same text as json_dumps(value, JSON_COMPACT)
 * (members in insertion order, no spaces, non-ASCII left as UTF-8, reals as %.17g with ".0"
 * added to integral ones), appended to a uv_buf in large copies instead of jansson's
 * per-character callbacks. The service writes every stored payload and result with it. */
#ifndef UV_JSONW_H
#define UV_JSONW_H

#include "formats/buf.h"

#include <jansson.h>

/* Appends `value` (any JSON value; nesting is bounded by jansson's own parse and build
 * limits, and by UV_JSONW_MAX_DEPTH here: deeper is UV_ETOOBIG). */
#define UV_JSONW_MAX_DEPTH 2048
int uv_json_write(uv_buf *out, const json_t *value);

#endif
