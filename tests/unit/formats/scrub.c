/* formats/scrub: secret keys at any depth, key=value pairs inside strings, URL userinfo,
 * Bearer/Basic credentials, card numbers (strings and JSON numbers), IP policies, settings. */
#include "formats/error.h"
#include "formats/scrub.h"
#include "test.h"

#include <stdlib.h>

/* Scrubs one string with the defaults and returns the result (static buffer). */
static const char *scrub_text(const char *in)
{
    static char result[1024];
    json_t *v = json_string(in);
    uv_scrub_rules rules = uv_scrub_defaults();
    uv_scrub_json(v, &rules);
    snprintf(result, sizeof result, "%s", json_string_value(v));
    json_decref(v);
    return result;
}

static json_t *load(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    if (!j) fprintf(stderr, "bad test JSON: %s\n", err.text);
    return j;
}

static char *dump(const json_t *j)
{
    return json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
}

TEST(strings)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"a=1&password=hunter2&b=2", "a=1&password=[scrubbed]&b=2"},
        {"/login?user=bob&access_token=abc.def", "/login?user=bob&access_token=[scrubbed]"},
        {"session=abc123; theme=dark; csrftoken=zz",
         "session=[scrubbed]; theme=dark; csrftoken=[scrubbed]"},
        {"user%5Bpassword%5D=x&go=1", "user%5Bpassword%5D=[scrubbed]&go=1"},
        {"https://bob:s3cret@db.example.com:5432/app",
         "https://bob:[scrubbed]@db.example.com:5432/app"},
        {"https://bob@example.com/", "https://bob@example.com/"},
        {"https://example.com/a:b@c", "https://example.com/a:b@c"},
        {"GET /\r\nAuthorization: Bearer abc.def\r\nAccept: */*",
         "GET /\r\nAuthorization: [scrubbed]\r\nAccept: */*"},
        {"sent Bearer eyJhbGciOi.x-y_z with it", "sent Bearer [scrubbed] with it"},
        {"header Basic dXNlcjpwYXNz end", "header Basic [scrubbed] end"},
        {"Basic usage of the API", "Basic usage of the API"},
        {"{\"password\":\"p4ss\",\"user\":\"bob\"}",
         "{\"password\":\"[scrubbed]\",\"user\":\"bob\"}"},
        {"{\\\"api_key\\\":\\\"k\\\"}", "{\\\"api_key\\\":\\\"[scrubbed]\\\"}"},
        {"X-CSRF-Token: abc", "X-CSRF-Token: [scrubbed]"},
        {"TokenExpiredError: jwt expired", "TokenExpiredError: jwt expired"},
        {"    at verify (/srv/app/session.js:12:5)", "    at verify (/srv/app/session.js:12:5)"},
        {"card 4111 1111 1111 1111 exp", "card [scrubbed] exp"},
        {"card 4111-1111-1111-1111", "card [scrubbed]"},
        {"4111111111111111", "[scrubbed]"},
        {"amex 378282246310005.", "amex [scrubbed]."},
        {"4111 1111 1111 1111 2029", "[scrubbed] 2029"},
        {"not luhn 4111111111111112", "not luhn 4111111111111112"},
        {"ts 1700000000000 ms", "ts 1700000000000 ms"},
        {"id 411111111111111100000", "id 411111111111111100000"},
        {"timeout after 1234ms", "timeout after 1234ms"},
        {"tokenizer=gpt", "tokenizer=[scrubbed]"},
        {"plain text, nothing: here", "plain text, nothing: here"},
        {"password=", "password="},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        CHECK_STR(scrub_text(cases[i].in), cases[i].out);
}

TEST(strings_with_nul)
{
    json_t *v = json_stringn("password=a\0b&x=1", 16);
    uv_scrub_rules rules = uv_scrub_defaults();
    CHECK_INT(uv_scrub_json(v, &rules), 1);
    /* The NUL byte is part of the value, not a delimiter. */
    CHECK_INT(json_string_length(v), strlen("password=[scrubbed]&x=1"));
    CHECK(memcmp(json_string_value(v), "password=[scrubbed]&x=1", 23) == 0);
    json_decref(v);
}

TEST(luhn)
{
    CHECK(uv_luhn_valid("4111111111111111", 16));
    CHECK(uv_luhn_valid("378282246310005", 15));
    CHECK(uv_luhn_valid("6011111111111117", 16));
    CHECK(!uv_luhn_valid("4111111111111112", 16));
    CHECK(!uv_luhn_valid("411111111111", 12));         /* too short */
    CHECK(!uv_luhn_valid("41111111111111111111", 20)); /* too long */
    CHECK(!uv_luhn_valid("41111111a1111111", 16));
}

TEST(rollbar_payload)
{
    json_t *j = load(
        "{\"access_token\":\"abcd1234\",\"data\":{\"environment\":\"production\","
        "\"body\":{\"trace\":{\"frames\":[{\"filename\":\"https://cdn.example.com/app.min.js\","
        "\"lineno\":1,\"colno\":4242,\"method\":\"r\",\"locals\":{\"password\":\"pw\",\"n\":3,"
        "\"card\":4111111111111111}}],\"exception\":{\"class\":\"TypeError\",\"message\":\"x\"}}},"
        "\"request\":{\"url\":\"https://shop.example.com/checkout?coupon=A&token=t0k\","
        "\"headers\":{\"Cookie\":\"sid=1\",\"Authorization\":\"Basic Ym9iOnB3\",\"Accept\":\"*/*\","
        "\"X-Forwarded-For\":\"203.0.113.7, 10.0.0.1\"},"
        "\"GET\":{\"coupon\":\"A\",\"token\":\"t0k\"},\"query_string\":\"coupon=A&token=t0k\","
        "\"POST\":{\"user\":{\"name\":\"bob\",\"passwd\":[1,2,{\"x\":1}]}},"
        "\"body\":\"name=bob&password=pw\",\"user_ip\":\"203.0.113.7\"},"
        "\"custom\":{\"sessionId\":{\"id\":7},\"apiKey\":42,\"enabled_session\":true,"
        "\"secret_thing\":null},"
        "\"extra\":{\"user_password\":\"pw\"},"
        "\"person\":{\"id\":\"42\",\"username\":\"bob\"}}}");
    CHECK(j != NULL);
    uv_scrub_rules rules = uv_scrub_defaults();
    size_t n = uv_scrub_json(j, &rules);
    char *out = dump(j);
    CHECK(strstr(out, "abcd1234") == NULL);
    CHECK(strstr(out, "\"pw\"") == NULL);
    CHECK(strstr(out, "pw\"") == NULL);
    CHECK(strstr(out, "t0k") == NULL);
    CHECK(strstr(out, "4111111111111111") == NULL);
    CHECK(strstr(out, "Ym9iOnB3") == NULL);
    CHECK(strstr(out, "sid=1") == NULL);
    CHECK(strstr(out, "\"id\":7") == NULL);
    CHECK(strstr(out, "42,") == NULL || strstr(out, "\"apiKey\":\"[scrubbed]\""));
    CHECK_CONTAINS(out, "\"access_token\":\"[scrubbed]\"");
    CHECK_CONTAINS(out, "\"passwd\":\"[scrubbed]\"");
    CHECK_CONTAINS(out, "\"sessionId\":\"[scrubbed]\"");
    CHECK_CONTAINS(out, "\"apiKey\":\"[scrubbed]\"");
    CHECK_CONTAINS(out, "\"enabled_session\":true"); /* booleans carry nothing */
    CHECK_CONTAINS(out, "\"secret_thing\":null");
    CHECK_CONTAINS(out, "\"user_password\":\"[scrubbed]\"");
    CHECK_CONTAINS(out, "\"card\":\"[scrubbed]\"");
    CHECK_CONTAINS(out, "\"n\":3");
    CHECK_CONTAINS(out, "\"query_string\":\"coupon=A&token=[scrubbed]\"");
    CHECK_CONTAINS(out, "\"body\":\"name=bob&password=[scrubbed]\"");
    CHECK_CONTAINS(out, "\"url\":\"https://shop.example.com/checkout?coupon=A&token=[scrubbed]\"");
    CHECK_CONTAINS(out, "\"user_ip\":\"203.0.113.7\""); /* the default stores IPs */
    CHECK_CONTAINS(out, "\"username\":\"bob\"");
    CHECK_CONTAINS(out, "\"Accept\":\"*/*\"");
    CHECK_CONTAINS(out, "\"method\":\"r\"");
    /* Idempotent: a second pass finds nothing more. */
    size_t again = uv_scrub_json(j, &rules);
    CHECK_INT(again, 0);
    CHECK_INT(n, 13);
    free(out);
    json_decref(j);
}

TEST(ip_policies)
{
    const char *payload =
        "{\"data\":{\"request\":{\"user_ip\":\"203.0.113.7\",\"headers\":{\"X-Forwarded-For\":"
        "\"203.0.113.7, 2001:db8:85a3::8a2e:370:7334\",\"X-Real-IP\":\"198.51.100.9\"}}},"
        "\"details\":{\"request\":{\"ipAddress\":\"::ffff:10.1.2.3\",\"hostName\":\"api\"}},"
        "\"ip\":\"$remote_ip\",\"remote_addr\":null}";
    json_t *j = load(payload);
    uv_scrub_rules rules = uv_scrub_defaults();
    rules.ip_policy = UV_IP_ANONYMIZE;
    uv_scrub_json(j, &rules);
    char *out = dump(j);
    CHECK_CONTAINS(out, "\"user_ip\":\"203.0.113.0\"");
    CHECK_CONTAINS(out, "\"X-Forwarded-For\":\"203.0.113.0, 2001:db8:85a3::\"");
    CHECK_CONTAINS(out, "\"X-Real-IP\":\"198.51.100.0\"");
    CHECK_CONTAINS(out, "\"ipAddress\":\"::\"");  /* ::ffff:10.1.2.3 keeps 48 zero bits */
    CHECK_CONTAINS(out, "\"ip\":\"[scrubbed]\""); /* not an address: never kept */
    CHECK_CONTAINS(out, "\"remote_addr\":null");
    CHECK_CONTAINS(out, "\"hostName\":\"api\"");
    CHECK_INT(uv_scrub_json(j, &rules), 0); /* anonymized addresses stay as they are */
    free(out);
    json_decref(j);

    j = load(payload);
    rules.ip_policy = UV_IP_DROP;
    uv_scrub_json(j, &rules);
    out = dump(j);
    CHECK(strstr(out, "203.0.113") == NULL);
    CHECK(strstr(out, "198.51.100") == NULL);
    CHECK(strstr(out, "ipAddress") == NULL);
    CHECK(strstr(out, "user_ip") == NULL);
    CHECK_CONTAINS(out, "\"hostName\":\"api\"");
    free(out);
    json_decref(j);

    char buf[64];
    CHECK(uv_ip_anonymize("192.168.1.77", buf, sizeof buf));
    CHECK_STR(buf, "192.168.1.0");
    CHECK(uv_ip_anonymize("2001:db8:1:2:3:4:5:6", buf, sizeof buf));
    CHECK_STR(buf, "2001:db8:1::");
    CHECK(!uv_ip_anonymize("example.com", buf, sizeof buf));
    CHECK(!uv_ip_anonymize("1.2.3.4", buf, 8)); /* too small an output */
}

TEST(disabled_and_custom_patterns)
{
    json_t *j = load("{\"password\":\"pw\",\"ssn_number\":\"123-45-6789\",\"note\":\"x=1\"}");
    uv_scrub_rules rules = uv_scrub_defaults();
    rules.enabled = false;
    CHECK_INT(uv_scrub_json(j, &rules), 0);
    CHECK_STR(json_string_value(json_object_get(j, "password")), "pw");

    /* Replacing the defaults: only "note" counts now. */
    static const char *const only_note[] = {"NOTE"};
    rules = uv_scrub_defaults();
    rules.key_patterns = only_note;
    rules.key_pattern_count = 1;
    CHECK_INT(uv_scrub_json(j, &rules), 1);
    CHECK_STR(json_string_value(json_object_get(j, "password")), "pw");
    CHECK_STR(json_string_value(json_object_get(j, "note")), UV_SCRUBBED);

    /* Adding to the defaults, written with dashes. */
    static const char *const extra[] = {"ssn-number"};
    rules = uv_scrub_defaults();
    rules.extra_patterns = extra;
    rules.extra_pattern_count = 1;
    CHECK_INT(uv_scrub_json(j, &rules), 2);
    CHECK_STR(json_string_value(json_object_get(j, "ssn_number")), UV_SCRUBBED);
    CHECK_STR(json_string_value(json_object_get(j, "password")), UV_SCRUBBED);
    json_decref(j);
}

TEST(settings)
{
    json_t *s = load("{\"scrub\":true,\"scrub_fields\":[\"employee_id\"],\"ip\":\"anonymize\"}");
    uv_scrub_rules rules;
    CHECK_INT(uv_scrub_rules_from_settings(s, &rules), 0);
    CHECK(rules.enabled);
    CHECK_INT(rules.ip_policy, UV_IP_ANONYMIZE);
    json_t *j = load("{\"EmployeeId\":5,\"user_ip\":\"1.2.3.4\",\"password\":\"x\"}");
    CHECK_INT(uv_scrub_json(j, &rules), 3);
    char *out = dump(j);
    CHECK_STR(
        out, "{\"EmployeeId\":\"[scrubbed]\",\"password\":\"[scrubbed]\",\"user_ip\":\"1.2.3.0\"}");
    free(out);
    json_decref(j);
    json_decref(s);

    CHECK_INT(uv_scrub_rules_from_settings(NULL, &rules), 0);
    CHECK(rules.enabled);
    CHECK_INT(rules.ip_policy, UV_IP_STORE);

    static const struct {
        const char *json, *field;
    } bad[] = {
        {"{\"scrub\":\"yes\"}", "settings.scrub"},
        {"{\"scrub_fields\":\"password\"}", "settings.scrub_fields"},
        {"{\"scrub_fields\":[\"a\",3]}", "settings.scrub_fields[1]"},
        {"{\"scrub_fields\":[\"-_\"]}", "settings.scrub_fields[0]"},
        {"{\"ip\":\"hide\"}", "settings.ip"},
        {"[1]", "settings"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        s = load(bad[i].json);
        CHECK_INT(uv_scrub_rules_from_settings(s, &rules), UV_EINVALID);
        CHECK_CONTAINS(uv_error_last()->message, bad[i].field);
        json_decref(s);
    }
}

TEST(deep_nesting)
{
    /* As deep as jansson parses: the walk must not recurse. */
    enum { DEPTH = 2000 };
    char *text = malloc(DEPTH * 16 + 64);
    size_t n = 0;
    for (int i = 0; i < DEPTH; i++)
        n += (size_t)sprintf(text + n, i % 2 ? "[" : "{\"a\":");
    n += (size_t)sprintf(text + n, "{\"token\":\"t\"}");
    for (int i = DEPTH - 1; i >= 0; i--)
        text[n++] = i % 2 ? ']' : '}';
    text[n] = 0;
    json_t *j = load(text);
    CHECK(j != NULL);
    uv_scrub_rules rules = uv_scrub_defaults();
    CHECK_INT(uv_scrub_json(j, &rules), 1);
    char *out = json_dumps(j, JSON_COMPACT);
    CHECK(out && strstr(out, "\"token\":\"[scrubbed]\""));
    free(out);
    json_decref(j);
    free(text);
}

TEST(numbers_and_root)
{
    json_t *j = load("[4111111111111111, 1700000000000, -4111111111111111, 4111111111111111.0, "
                     "\"4111111111111111\", 12]");
    uv_scrub_rules rules = uv_scrub_defaults();
    CHECK_INT(uv_scrub_json(j, &rules), 4);
    char *out = dump(j);
    CHECK_STR(out,
              "[\"[scrubbed]\",1700000000000,\"[scrubbed]\",\"[scrubbed]\",\"[scrubbed]\",12]");
    free(out);
    rules.scrub_card_numbers = false;
    json_decref(j);
    j = load("[4111111111111111]");
    CHECK_INT(uv_scrub_json(j, &rules), 0);
    json_decref(j);
    CHECK_INT(uv_scrub_json(NULL, &rules), 0);
    j = json_integer(5);
    CHECK_INT(uv_scrub_json(j, NULL), 0);
    json_decref(j);
}

int main(void)
{
    RUN(strings);
    RUN(strings_with_nul);
    RUN(luhn);
    RUN(rollbar_payload);
    RUN(ip_policies);
    RUN(disabled_and_custom_patterns);
    RUN(settings);
    RUN(deep_nesting);
    RUN(numbers_and_root);
    TEST_MAIN_END();
}
