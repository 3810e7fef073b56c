/* lib/json_util.c - jansson helpers; see json_util.h. */
#include "config.h"

#include "lib/json_util.h"

#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/str.h"
#include "lib/utf8.h"

struct dump_ctx {
    struct sw_buf *b;
    int r; /* why the dump stopped: SW_ETOOBIG or SW_ENOMEM */
};

static int
dump_cb(const char *buf, size_t size, void *data)
{
    struct dump_ctx *d = data;

    d->r = sw_buf_add(d->b, buf, size);
    return d->r < 0 ? -1 : 0;
}

int
sw_json_append(const json_t *j, struct sw_buf *b)
{
    struct dump_ctx dc = {b, 0};
    size_t mark = b->len;

    if (json_dump_callback(j, dump_cb, &dc,
                           JSON_COMPACT | JSON_PRESERVE_ORDER) == 0)
        return 0;
    if (b->data) {
        b->len = mark;
        b->data[mark] = '\0';
    }
    return dc.r < 0 ? dc.r : SW_ENOMEM;
}

int
sw_json_append_body(const json_t *j, struct sw_buf *b, char *err, size_t errlen)
{
    int r = sw_json_append(j, b);

    if (r < 0)
        sw_err_set(err, errlen, "%s",
                   r == SW_ETOOBIG ? "request body too large for its buffer"
                                   : "out of memory");
    return r;
}

int
sw_json_finish_body(json_t *o, int failed, struct sw_buf *b, char *err,
                    size_t errlen)
{
    int r;

    if (!o || failed) {
        sw_err_set(err, errlen, "out of memory");
        r = SW_ENOMEM;
    } else {
        r = sw_json_append_body(o, b, err, errlen);
    }
    json_decref(o);
    return r;
}

char *
sw_json_line(const json_t *j, size_t flags)
{
    char *text = json_dumps(j, flags), *line = NULL;
    size_t len;

    if (!text)
        return NULL;
    len = strlen(text);
    line = malloc(len + 2);
    if (line) {
        memcpy(line, text, len);
        line[len] = '\n';
        line[len + 1] = '\0';
    }
    free(text);
    return line;
}

void
sw_json_set_new(json_t *o, const char *key, json_t *value, int *failed)
{
    /* json_object_set_new() steals VALUE even when it fails */
    if (!value || json_object_set_new(o, key, value) < 0)
        *failed = 1;
}

void
sw_json_append_new(json_t *a, json_t *value, int *failed)
{
    if (!value || json_array_append_new(a, value) < 0)
        *failed = 1;
}

json_t *
sw_json_string_repair(const char *s)
{
    json_t *v;
    char *fixed;

    if (!s)
        return json_null();
    v = json_string(s);
    if (v)
        return v;
    fixed = sw_utf8_repair_dup(s);
    if (!fixed)
        return NULL;
    v = json_string(fixed);
    free(fixed);
    return v;
}

const char *
sw_json_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

const char *
sw_json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

const char *
sw_json_whole_string(const json_t *v, size_t *len)
{
    const char *s;

    if (!json_is_string(v))
        return NULL;
    s = json_string_value(v);
    if (strlen(s) != json_string_length(v))
        return NULL;
    if (len)
        *len = json_string_length(v);
    return s;
}

json_t *
sw_json_load_object(const char *json, size_t len, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root;

    /* An empty body is how an endpoint may answer an operation without
     * output; it is not an object, so callers that need one say so. */
    root = json_loadb(json ? json : "", json ? len : 0, 0, &jerr);
    if (!root) {
        sw_err_set(err, errlen, "reply is not JSON: %s at line %d column %d",
                   sw_str_blank_ctl(jerr.text), jerr.line, jerr.column);
        return NULL;
    }
    if (!json_is_object(root)) {
        sw_err_set(err, errlen, "reply is %s, not a JSON object",
                   sw_json_type_name(root));
        json_decref(root);
        return NULL;
    }
    return root;
}

int
sw_json_array_member(const json_t *o, const char *key, size_t max, json_t **out,
                     char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);

    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v)) {
        sw_err_set(err, errlen, "'%s' is %s, not an array", key,
                   sw_json_type_name(v));
        return SW_EPARSE;
    }
    if (json_array_size(v) > max) {
        sw_err_set(err, errlen, "'%s' has %zu entries, more than %zu", key,
                   json_array_size(v), max);
        return SW_EPARSE;
    }
    *out = v;
    return 0;
}
