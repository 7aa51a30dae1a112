/* formats/scrub: secret keys at any depth, key=value pairs inside strings, URL userinfo,
 * Bearer/Basic credentials, card numbers (strings and JSON numbers), IP policies, settings.
 * Payloads are parsed with uv_jv_parse, scrubbed with uv_scrub_jv and written back with
 * uv_jv_write (members in text order). */
#include "formats/buf.h"
#include "formats/error.h"
#include "formats/jv.h"
#include "formats/scrub.h"
#include "test.h"

#include <stdlib.h>

static uv_jv_doc *load(const char *text)
{
    uv_jv_doc *doc = NULL;
    uv_jv_error err;
    if (uv_jv_parse(&doc, text, strlen(text), NULL, &err) != 0) {
        fprintf(stderr, "bad test JSON: %s\n", err.text);
        return NULL;
    }
    return doc;
}

/* The document as compact JSON text (malloc'd). */
static char *dump(const uv_jv_doc *doc)
{
    uv_buf out = UV_BUF_INIT;
    if (uv_jv_write(&out, doc->root) != 0 || uv_buf_append(&out, "", 1) != 0) {
        uv_buf_free(&out);
        return NULL;
    }
    return (char *)out.data;
}

/* Scrubs one string with the defaults and returns the result (static buffer). */
static const char *scrub_text(const char *in)
{
    static char result[1024];
    uv_buf literal = UV_BUF_INIT;
    uv_jv_write_string(&literal, in, strlen(in));
    uv_buf_append(&literal, "", 1);
    uv_jv_doc *doc = load((const char *)literal.data);
    uv_scrub_rules rules = uv_scrub_defaults();
    uv_scrub_jv(doc, &rules);
    snprintf(result, sizeof result, "%s", doc ? uv_jv_string(doc->root) : "(unparsed)");
    uv_jv_free(doc);
    uv_buf_free(&literal);
    return result;
}

/* Project settings stay jansson (uv_scrub_rules_from_settings reads a json_t). */
static json_t *load_settings(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    if (!j) fprintf(stderr, "bad test JSON: %s\n", err.text);
    return j;
}

/* The string member `key` of the root object. */
static const char *member(const uv_jv_doc *doc, const char *key)
{
    return uv_jv_string(uv_jv_get(doc->root, key));
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
        /* pairs are found from their separators back: the same keys as a forward scan */
        {"a: b password = x", "a: b password = [scrubbed]"},
        {"{\"token\" : \"abc\"}", "{\"token\" : \"[scrubbed]\"}"},
        {"password=x:token=y", "password=[scrubbed]"},
        {"key:password:hunter2", "key:password:[scrubbed]"},
        {"p%5Bsecret%5D='x y'&z", "p%5Bsecret%5D='[scrubbed]'&z"},
        {"a=1 session\t=\ts1;b", "a=1 session\t=\t[scrubbed];b"},
        {"cookie:\"a\\\"b\" rest", "cookie:\"[scrubbed]\" rest"},
        {"Authorization:Bearer abc", "Authorization:[scrubbed]"},
        {"mongodb://u:p@h1,h2/db?password=x",
         "mongodb://u:[scrubbed]@h1,h2/db?password=[scrubbed]"},
        {"x://a@b http://u:pw@h", "x://a@b http://u:[scrubbed]@h"},
        /* schemes are found from the space after them */
        {"xBearer abcdef", "xBearer abcdef"},
        {"-Bearer abc", "-Bearer [scrubbed]"},
        {"Basic dXNlcjpwYXNz Basic dXNl", "Basic [scrubbed] Basic dXNl"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        CHECK_STR(scrub_text(cases[i].in), cases[i].out);
}

TEST(strings_with_control_bytes)
{
    /* jv rejects "\u0000" (as jansson without JSON_ALLOW_NUL does), so no NUL reaches the
     * scrubber; other control bytes are part of a value, not delimiters. */
    uv_jv_doc *doc = NULL;
    CHECK_INT(uv_jv_parse(&doc, "\"password=a\\u0000b&x=1\"", 23, NULL, NULL), UV_EINVALID);
    uv_jv_free(doc);
    doc = load("\"password=a\\u0001b&x=1\"");
    CHECK(doc != NULL);
    uv_scrub_rules rules = uv_scrub_defaults();
    CHECK_INT(uv_scrub_jv(doc, &rules), 1);
    CHECK_INT(doc->root->len, strlen("password=[scrubbed]&x=1"));
    CHECK_STR(uv_jv_string(doc->root), "password=[scrubbed]&x=1");
    CHECK(doc->modified);
    uv_jv_free(doc);
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
    uv_jv_doc *j = load(
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
    CHECK(!j->modified);
    size_t n = uv_scrub_jv(j, &rules);
    CHECK(j->modified);
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
    /* Idempotent: a second pass finds nothing more, on the tree and on its text. */
    size_t again = uv_scrub_jv(j, &rules);
    CHECK_INT(again, 0);
    CHECK_INT(n, 13);
    uv_jv_doc *reparsed = load(out);
    CHECK(reparsed != NULL);
    CHECK_INT(uv_scrub_jv(reparsed, &rules), 0);
    uv_jv_free(reparsed);
    free(out);
    uv_jv_free(j);
}

TEST(ip_policies)
{
    const char *payload =
        "{\"data\":{\"request\":{\"user_ip\":\"203.0.113.7\",\"headers\":{\"X-Forwarded-For\":"
        "\"203.0.113.7, 2001:db8:85a3::8a2e:370:7334\",\"X-Real-IP\":\"198.51.100.9\"}}},"
        "\"details\":{\"request\":{\"ipAddress\":\"::ffff:10.1.2.3\",\"hostName\":\"api\"}},"
        "\"ip\":\"$remote_ip\",\"remote_addr\":null}";
    uv_jv_doc *j = load(payload);
    uv_scrub_rules rules = uv_scrub_defaults();
    rules.ip_policy = UV_IP_ANONYMIZE;
    CHECK_INT(uv_scrub_jv(j, &rules), 5);
    char *out = dump(j);
    CHECK_CONTAINS(out, "\"user_ip\":\"203.0.113.0\"");
    CHECK_CONTAINS(out, "\"X-Forwarded-For\":\"203.0.113.0, 2001:db8:85a3::\"");
    CHECK_CONTAINS(out, "\"X-Real-IP\":\"198.51.100.0\"");
    CHECK_CONTAINS(out, "\"ipAddress\":\"::\"");  /* ::ffff:10.1.2.3 keeps 48 zero bits */
    CHECK_CONTAINS(out, "\"ip\":\"[scrubbed]\""); /* not an address: never kept */
    CHECK_CONTAINS(out, "\"remote_addr\":null");
    CHECK_CONTAINS(out, "\"hostName\":\"api\"");
    CHECK_INT(uv_scrub_jv(j, &rules), 0); /* anonymized addresses stay as they are */
    free(out);
    uv_jv_free(j);

    j = load(payload);
    rules.ip_policy = UV_IP_DROP;
    CHECK_INT(uv_scrub_jv(j, &rules), 5);
    out = dump(j);
    CHECK(strstr(out, "203.0.113") == NULL);
    CHECK(strstr(out, "198.51.100") == NULL);
    CHECK(strstr(out, "ipAddress") == NULL);
    CHECK(strstr(out, "user_ip") == NULL);
    CHECK_CONTAINS(out, "\"hostName\":\"api\"");
    CHECK_CONTAINS(out, "\"remote_addr\":null"); /* null says nothing: kept */
    CHECK(strstr(out, "X-Real-IP") == NULL);
    free(out);
    uv_jv_free(j);

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
    uv_jv_doc *j = load("{\"password\":\"pw\",\"ssn_number\":\"123-45-6789\",\"note\":\"x=1\"}");
    uv_scrub_rules rules = uv_scrub_defaults();
    rules.enabled = false;
    CHECK_INT(uv_scrub_jv(j, &rules), 0);
    CHECK_STR(member(j, "password"), "pw");
    CHECK(!j->modified);

    /* Replacing the defaults: only "note" counts now. */
    static const char *const only_note[] = {"NOTE"};
    rules = uv_scrub_defaults();
    rules.key_patterns = only_note;
    rules.key_pattern_count = 1;
    CHECK_INT(uv_scrub_jv(j, &rules), 1);
    CHECK_STR(member(j, "password"), "pw");
    CHECK_STR(member(j, "note"), UV_SCRUBBED);

    /* Adding to the defaults, written with dashes. */
    static const char *const extra[] = {"ssn-number"};
    rules = uv_scrub_defaults();
    rules.extra_patterns = extra;
    rules.extra_pattern_count = 1;
    CHECK_INT(uv_scrub_jv(j, &rules), 2);
    CHECK_STR(member(j, "ssn_number"), UV_SCRUBBED);
    CHECK_STR(member(j, "password"), UV_SCRUBBED);
    uv_jv_free(j);
}

TEST(key_matching)
{
    /* One-byte patterns have a table of their own; `-`/`_` and case are ignored on both
     * sides; keys longer than the stack buffer; more patterns and pattern text than fit in
     * the context (heap). */
    static const char *const short_patterns[] = {"Q", "i-d"};
    uv_scrub_rules rules = uv_scrub_defaults();
    rules.key_patterns = short_patterns;
    rules.key_pattern_count = 2;
    uv_jv_doc *j = load("{\"aq\":1,\"b\":2,\"user_Id\":3,\"i\":4,\"note\":\"q=1&i_d=2&x=3\"}");
    CHECK_INT(uv_scrub_jv(j, &rules), 4);
    char *out = dump(j);
    CHECK_STR(out, "{\"aq\":\"[scrubbed]\",\"b\":2,\"user_Id\":\"[scrubbed]\",\"i\":4,"
                   "\"note\":\"q=[scrubbed]&i_d=[scrubbed]&x=3\"}");
    free(out);
    uv_jv_free(j);

    char text[1400], key[301];
    memset(key, 'a', 300);
    key[300] = 0;
    snprintf(text, sizeof text, "{\"%s\":1,\"%sPass_Word\":2,\"k\":\"%sPassword=x\"}", key, key,
             key);
    j = load(text);
    rules = uv_scrub_defaults();
    CHECK_INT(uv_scrub_jv(j, &rules), 2);
    out = dump(j);
    snprintf(text, sizeof text,
             "{\"%s\":1,\"%sPass_Word\":\"[scrubbed]\",\"k\":\"%sPassword=[scrubbed]\"}", key, key,
             key);
    CHECK_STR(out, text);
    free(out);
    uv_jv_free(j);

    char names[40][32];
    const char *extra[40];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "customer-field-number-%02d", i);
        extra[i] = names[i];
    }
    rules = uv_scrub_defaults();
    rules.extra_patterns = extra;
    rules.extra_pattern_count = 40;
    j = load("{\"CustomerFieldNumber39\":1,\"customer_field_number_4\":2,\"passwd\":3,"
             "\"customerFieldNumber00Copy\":[4]}");
    CHECK_INT(uv_scrub_jv(j, &rules), 3);
    out = dump(j);
    CHECK_STR(out, "{\"CustomerFieldNumber39\":\"[scrubbed]\",\"customer_field_number_4\":2,"
                   "\"passwd\":\"[scrubbed]\",\"customerFieldNumber00Copy\":\"[scrubbed]\"}");
    free(out);
    uv_jv_free(j);
}

TEST(repeated_keys_and_strings)
{
    /* Verdicts are remembered within a call by content: a string in the same cache slot as a
     * clean one (same length, first and last byte) is still scanned. */
    uv_jv_doc *j = load("[{\"filename\":\"x-clean-text2\",\"pass_word\":\"a\"},"
                        "{\"filename\":\"xpassword=aa2\",\"pass_word\":\"b\"},"
                        "{\"filename\":\"x-clean-text2\",\"pass_word\":null,\"PassWord\":[1]}]");
    uv_scrub_rules rules = uv_scrub_defaults();
    CHECK_INT(uv_scrub_jv(j, &rules), 4);
    char *out = dump(j);
    CHECK_STR(out,
              "[{\"filename\":\"x-clean-text2\",\"pass_word\":\"[scrubbed]\"},"
              "{\"filename\":\"xpassword=[scrubbed]\",\"pass_word\":\"[scrubbed]\"},"
              "{\"filename\":\"x-clean-text2\",\"pass_word\":null,\"PassWord\":\"[scrubbed]\"}]");
    free(out);
    uv_jv_free(j);
}

TEST(settings)
{
    json_t *s =
        load_settings("{\"scrub\":true,\"scrub_fields\":[\"employee_id\"],\"ip\":\"anonymize\"}");
    uv_scrub_rules rules;
    CHECK_INT(uv_scrub_rules_from_settings(s, &rules), 0);
    CHECK(rules.enabled);
    CHECK_INT(rules.ip_policy, UV_IP_ANONYMIZE);
    uv_jv_doc *j = load("{\"EmployeeId\":5,\"user_ip\":\"1.2.3.4\",\"password\":\"x\"}");
    CHECK_INT(uv_scrub_jv(j, &rules), 3);
    char *out = dump(j);
    CHECK_STR(
        out, "{\"EmployeeId\":\"[scrubbed]\",\"user_ip\":\"1.2.3.0\",\"password\":\"[scrubbed]\"}");
    free(out);
    uv_jv_free(j);
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
        s = load_settings(bad[i].json);
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
    uv_jv_doc *j = load(text);
    CHECK(j != NULL);
    uv_scrub_rules rules = uv_scrub_defaults();
    CHECK_INT(uv_scrub_jv(j, &rules), 1);
    char *out = dump(j);
    CHECK(out && strstr(out, "\"token\":\"[scrubbed]\""));
    free(out);
    uv_jv_free(j);
    free(text);
}

TEST(numbers_and_root)
{
    uv_jv_doc *j = load("[4111111111111111, 1700000000000, -4111111111111111, 4111111111111111.0, "
                        "\"4111111111111111\", 12]");
    uv_scrub_rules rules = uv_scrub_defaults();
    CHECK_INT(uv_scrub_jv(j, &rules), 4);
    char *out = dump(j);
    CHECK_STR(out,
              "[\"[scrubbed]\",1700000000000,\"[scrubbed]\",\"[scrubbed]\",\"[scrubbed]\",12]");
    free(out);
    rules.scrub_card_numbers = false;
    uv_jv_free(j);
    j = load("[4111111111111111]");
    CHECK_INT(uv_scrub_jv(j, &rules), 0);
    uv_jv_free(j);
    CHECK_INT(uv_scrub_jv(NULL, &rules), 0);
    j = load("5");
    CHECK_INT(uv_scrub_jv(j, NULL), 0);
    uv_jv_free(j);
}

int main(void)
{
    RUN(strings);
    RUN(strings_with_control_bytes);
    RUN(luhn);
    RUN(rollbar_payload);
    RUN(ip_policies);
    RUN(disabled_and_custom_patterns);
    RUN(key_matching);
    RUN(repeated_keys_and_strings);
    RUN(settings);
    RUN(deep_nesting);
    RUN(numbers_and_root);
    TEST_MAIN_END();
}
