/* URL normalisation and key matching of the JavaScript resolver. */
#include "symbolicate/jsresolve.h"

#include "test.h"

TEST(normalize)
{
    uv_arena *arena;
    CHECK_INT(uv_arena_new(&arena), 0);
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"https://example.com/static/app.js?v=3#x", "https://example.com/static/app.js"},
        {"file:///srv/app/dist/app.js", "/srv/app/dist/app.js"},
        {"file://host/srv/app.js", "/srv/app.js"},
        {"C:\\app\\dist\\app.js", "C:/app/dist/app.js"},
        {"/srv/app.js", "/srv/app.js"},
        {"app.js#frag", "app.js"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_STR(uv_jsresolve_normalize_url(arena, cases[i].in), cases[i].out);
    uv_arena_free(arena);
}

TEST(match_scores)
{
    /* exact URL beats host-agnostic path beats path suffix */
    unsigned exact =
        uv_jsresolve_match_score("https://cdn.example/js/app.js", "https://cdn.example/js/app.js");
    unsigned tilde = uv_jsresolve_match_score("~/js/app.js", "https://cdn.example/js/app.js");
    unsigned suffix = uv_jsresolve_match_score("~/app.js", "https://cdn.example/js/app.js");
    CHECK(exact > tilde);
    CHECK(tilde > suffix);
    CHECK(suffix > 0);
    /* longer suffixes win */
    CHECK(uv_jsresolve_match_score("~/dist/app.js", "/srv/web/dist/app.js") >
          uv_jsresolve_match_score("~/app.js", "/srv/web/dist/app.js"));
    /* the app:/// convention matches a path ending the same way */
    CHECK(uv_jsresolve_match_score("app:///dist/app.js", "/srv/web/dist/app.js") > 0);
    /* a key with an explicit host matches only that host */
    CHECK_INT(uv_jsresolve_match_score("https://cdn.example/js/app.js",
                                       "https://other.example/js/app.js"),
              0);
    CHECK_INT(uv_jsresolve_match_score("https://cdn.example/js/app.js", "/js/app.js"), 0);
    /* suffixes must fall on a segment boundary */
    CHECK_INT(uv_jsresolve_match_score("~/app.js", "/srv/myapp.js"), 0);
    CHECK_INT(uv_jsresolve_match_score("~/vendor.js", "https://cdn.example/js/app.js"), 0);
    /* a host-agnostic key needs the same path when the frame has a host */
    CHECK(uv_jsresolve_match_score("~/js/app.js", "http://localhost:8080/js/app.js") >= 2000000u);
    /* query strings on keys are ignored */
    CHECK(uv_jsresolve_match_score("~/js/app.js?v=2", "https://h/js/app.js") > 0);
}

TEST(status_names)
{
    CHECK_STR(uv_frame_status_name(UV_FRAME_SYMBOLICATED), "symbolicated");
    CHECK_STR(uv_frame_status_name(UV_FRAME_MISSING_SOURCEMAP), "missing_sourcemap");
    CHECK_STR(uv_frame_status_name(UV_FRAME_NO_MAPPING), "no_mapping");
    CHECK_STR(uv_frame_status_name(UV_FRAME_MALFORMED), "malformed");
}

int main(void)
{
    RUN(normalize);
    RUN(match_scores);
    RUN(status_names);
    TEST_MAIN_END();
}
