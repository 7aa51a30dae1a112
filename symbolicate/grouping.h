/* Grouping occurrences into items: the payload's own `fingerprint` when given, else a SHA-256
 * of the exception class and the top in-app resolved frames (function + original file), so
 * that minified traces of one bug from different versions (different minified names and
 * positions) land in one item. Frames that stayed unresolved contribute their raw function
 * and file name without line numbers; ignore-listed (third-party) frames are skipped. */
#ifndef UV_GROUPING_H
#define UV_GROUPING_H

#include "symbolicate/symbolicate.h"

#define UV_FINGERPRINT_LEN 65

/* Up to this many in-app frames of the first exception are hashed. */
#define UV_GROUPING_FRAMES 5

/* Writes the fingerprint of `result` (its trace's payload fingerprint when present, hashed
 * so that its length is fixed) into out. */
void uv_grouping_fingerprint(const uv_symbolicated *result, const char *payload_fingerprint,
                             char out[UV_FINGERPRINT_LEN]);

/* A one-line title, "Class: message" (message truncated to 255 bytes), into out. */
void uv_grouping_title(const uv_trace *trace, char *out, size_t out_len);

#endif
