/* lib/json_util.c - jansson helpers; see json_util.h. */
#include "config.h"

#include "lib/json_util.h"

#include <stdlib.h>

#include "lib/err.h"
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
