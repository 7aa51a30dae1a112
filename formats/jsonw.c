/* Compact JSON writer: see jsonw.h. */
#include "formats/jsonw.h"

#include "formats/error.h"
#include "formats/jv.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int write_real(uv_buf *out, double v)
{
    char text[40];
    int n = snprintf(text, sizeof text, "%.17g", v);
    if (n < 0 || (size_t)n >= sizeof text - 2)
        return uv_error_set(UV_EINVALID, UV_LIB_JSON, 0, "JSON: a number cannot be written");
    char *e = strchr(text, 'e');
    if (e) { /* jansson's exponent: no '+', no leading zeros ("1e300", "9.9e-8") */
        char *digits = e + 1;
        if (*digits == '-') digits++;
        char *from = digits;
        if (*from == '+') from++;
        while (from[0] == '0' && from[1])
            from++;
        if (e[1] == '+') digits = e + 1;
        memmove(digits, from, strlen(from) + 1);
        n = (int)strlen(text);
    }
    if (!strpbrk(text, ".eE") && !strpbrk(text, "ni")) { /* integral: keep it a real */
        text[n++] = '.';
        text[n++] = '0';
        text[n] = '\0';
    }
    return uv_buf_append(out, text, (size_t)n);
}

static int write_value(uv_buf *out, const json_t *v, unsigned depth)
{
    if (depth > UV_JSONW_MAX_DEPTH)
        return uv_error_set(UV_ETOOBIG, UV_LIB_JSON, 0, "JSON: nested deeper than %d levels",
                            UV_JSONW_MAX_DEPTH);
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        int rc = uv_buf_append(out, "{", 1);
        const char *key;
        json_t *member;
        bool first = true;
        void *iter = json_object_iter((json_t *)v);
        for (; rc == 0 && iter; iter = json_object_iter_next((json_t *)v, iter)) {
            key = json_object_iter_key(iter);
            member = json_object_iter_value(iter);
            if (!first) rc = uv_buf_append(out, ",", 1);
            first = false;
            if (rc == 0) rc = uv_jv_write_string(out, key, json_object_iter_key_len(iter));
            if (rc == 0) rc = uv_buf_append(out, ":", 1);
            if (rc == 0) rc = write_value(out, member, depth + 1);
        }
        return rc ? rc : uv_buf_append(out, "}", 1);
    }
    case JSON_ARRAY: {
        int rc = uv_buf_append(out, "[", 1);
        size_t n = json_array_size(v);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            if (i) rc = uv_buf_append(out, ",", 1);
            if (rc == 0) rc = write_value(out, json_array_get(v, i), depth + 1);
        }
        return rc ? rc : uv_buf_append(out, "]", 1);
    }
    case JSON_STRING:
        return uv_jv_write_string(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: {
        char text[24];
        int n = snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return uv_buf_append(out, text, (size_t)n);
    }
    case JSON_REAL:
        return write_real(out, json_real_value(v));
    case JSON_TRUE:
        return uv_buf_append(out, "true", 4);
    case JSON_FALSE:
        return uv_buf_append(out, "false", 5);
    case JSON_NULL:
        return uv_buf_append(out, "null", 4);
    }
    return uv_error_set(UV_EINVALID, UV_LIB_JSON, 0, "JSON: unknown value type");
}

int uv_json_write(uv_buf *out, const json_t *value)
{
    if (!value) return uv_error_set(UV_EINVALID, UV_LIB_JSON, 0, "JSON: no value");
    return write_value(out, value, 0);
}
