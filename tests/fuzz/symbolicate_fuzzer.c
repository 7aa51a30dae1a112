/* Fuzz target for the whole JavaScript symbolication path: the input is parsed as a trace
 * (text, Rollbar or Raygun), every frame is resolved against a fixed real terser map of
 * tests/data/js-basic/shapes.js made by `terser --toplevel -c -m` (with sourcesContent, so original
 * scopes and source context run too), and both reports are rendered. The map is written once to a
 * temporary file because explicit maps are read from files. */
#include "formats/arena.h"
#include "formats/buf.h"
#include "formats/trace.h"
#include "symbolicate/jsresolve.h"
#include "symbolicate/report.h"

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char map_json[] =
    "{\"version\":3,\"names\":[\"computeArea\",\"shape\",\"kind\",\"Math\",\"PI\",\"radius\","
    "\"width\",\"height\",\"value\",\"console\",\"log\",\"shapes\",\"total\",\"s\",\"totalAre"
    "a\"],\"sources\":[\"shapes.js\"],\"sourcesContent\":[\"// Fixture for tests/cli/js_symbo"
    "licate.sh: a few functions whose names the minifier mangles.\\nfunction computeArea(shap"
    "e) {\\n  if (shape.kind === \\\"circle\\\") {\\n    return Math.PI * shape.radius * shap"
    "e.radius;\\n  }\\n  return shape.width * shape.height.value;\\n}\\n\\nfunction totalArea"
    "(shapes) {\\n  let total = 0;\\n  for (const s of shapes) {\\n    total += computeArea(s"
    ");\\n  }\\n  return total;\\n}\\n\\nfunction main() {\\n  const shapes = [{ kind: \\\"ci"
    "rcle\\\", radius: 2 }, { kind: \\\"rect\\\", width: 3 }];\\n  console.log(totalArea(shap"
    "es));\\n}\\n\\nmain();\\n\"],\"mappings\":\"AACA,SAASA,EAAYC,GACnB,MAAmB,WAAfA,EAAMC,KAC"
    "DC,KAAKC,GAAKH,EAAMI,OAASJ,EAAMI,OAEjCJ,EAAMK,MAAQL,EAAMM,OAAOC,KACpC,CAYEC,QAAQC,IAVV,S"
    "AAmBC,GACjB,IAAIC,EAAQ,EACZ,IAAK,MAAMC,KAAKF,EACdC,GAASZ,EAAYa,GAEvB,OAAOD,CACT,CAIcE,CA"
    "DG,CAAC,CAAEZ,KAAM,SAAUG,OAAQ,GAAK,CAAEH,KAAM,OAAQI,MAAO\",\"ignoreList\":[],\"file\":\""
    "app.min.js\"}";

static char map_path[64];

static void write_map(void)
{
    if (map_path[0]) return;
    strcpy(map_path, "/tmp/unravel-fuzz-map-XXXXXX");
    int fd = mkstemp(map_path);
    if (fd < 0) abort();
    size_t len = sizeof map_json - 1;
    if (write(fd, map_json, len) != (ssize_t)len) abort();
    close(fd);
}

static void cleanup(void)
{
    if (map_path[0]) unlink(map_path);
}

/* What the service stores (the resolution) merged back into the payload must be what the
 * report gives for the same frames. */
static void check_stored(const uv_trace *trace, uv_resolved_frame *const *frames, const char *raw,
                         size_t raw_len, const uv_buf *report)
{
    uv_buf stored = UV_BUF_INIT, merged = UV_BUF_INIT;
    if (uv_report_resolution(&stored, trace, frames, NULL) != 0) abort();
    if (!uv_report_is_resolution((const char *)stored.data)) abort();
    if (uv_report_merge_stored(&merged, raw, raw_len, (const char *)stored.data, stored.len) != 0)
        abort();
    json_t *a = json_loadb((const char *)report->data, report->len, 0, NULL);
    json_t *b = json_loadb((const char *)merged.data, merged.len, 0, NULL);
    if (!a || !b || !json_equal(a, b)) abort();
    json_decref(a);
    json_decref(b);
    uv_buf_free(&stored);
    uv_buf_free(&merged);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!map_path[0]) {
        write_map();
        atexit(cleanup);
    }
    uv_trace *trace = NULL;
    if (uv_trace_parse(&trace, (const char *)data, size) != 0) return 0;
    const char *maps[] = {map_path};
    uv_jsresolve_options options = {
        .sourcemap_paths = maps, .sourcemap_count = 1, .context_lines = 2};
    uv_jsresolver *resolver = NULL;
    uv_arena *arena = NULL;
    if (uv_jsresolve_new(&resolver, &options) != 0) abort(); /* the fixed map is valid */
    if (uv_arena_new(&arena) != 0) abort();
    uv_resolved_frame **frames = calloc(trace->exception_count + 1, sizeof *frames);
    int rc = frames ? 0 : -1;
    for (size_t e = 0; rc == 0 && e < trace->exception_count; e++) {
        size_t n = trace->exceptions[e].frame_count;
        frames[e] = uv_arena_calloc(arena, n ? n : 1, sizeof **frames);
        rc = frames[e] ? uv_jsresolve_exception(resolver, &trace->exceptions[e], arena, frames[e])
                       : -1;
    }
    if (rc == 0) {
        uv_buf text = UV_BUF_INIT, json = UV_BUF_INIT;
        (void)uv_report_text(&text, trace, frames);
        int json_rc = uv_report_json(&json, trace, frames);
        if (json_rc == 0 && trace->json_doc) {
            check_stored(trace, frames, (const char *)data, size, &json);
            /* Without source context every frame takes the compact (array) form. */
            for (size_t e = 0; e < trace->exception_count; e++)
                for (size_t f = 0; f < trace->exceptions[e].frame_count; f++)
                    frames[e][f].context_line = NULL;
            uv_buf plain = UV_BUF_INIT;
            if (uv_report_json(&plain, trace, frames) != 0) abort();
            check_stored(trace, frames, (const char *)data, size, &plain);
            uv_buf_free(&plain);
        }
        uv_buf_free(&text);
        uv_buf_free(&json);
    }
    free(frames);
    uv_arena_free(arena);
    uv_jsresolve_free(resolver);
    uv_trace_free(trace);
    return 0;
}
