/* aws/query.c - AWS Query protocol form bodies; see query.h. */
#include "config.h"

#include "aws/query.h"

#include <stdarg.h>
#include <string.h>

#include "aws/sigv4.h"
#include "lib/buf.h"
#include "lib/err.h"

/* Append "KEY=VALUE" (with a leading '&' unless the body is empty).  On
 * failure the body is cut back to where it was, so a refused pair never
 * leaves half a key behind. */
static int
add_pair(struct sw_query *q, const char *key, const char *value, size_t len)
{
    size_t mark;
    int r;

    if (q->err)
        return q->err;
    if (!key || !*key || !value) {
        r = SW_EINVAL;
        goto out;
    }
    mark = q->body.len;
    r = q->body.len ? sw_buf_addc(&q->body, '&') : 0;
    if (r == 0)
        r = sw_uri_encode(&q->body, key, strlen(key), 0);
    if (r == 0)
        r = sw_buf_addc(&q->body, '=');
    if (r == 0)
        r = sw_uri_encode(&q->body, value, len, 0);
    if (r < 0 && q->body.data) {
        q->body.len = mark;
        q->body.data[mark] = '\0';
    }
out:
    if (r < 0)
        q->err = r;
    return r;
}

int
sw_query_init(struct sw_query *q, const char *action, const char *version)
{
    sw_buf_init(&q->body, SW_QUERY_MAX_BODY);
    q->err = 0;
    if (!action || !*action || !version || !*version) {
        q->err = SW_EINVAL;
        return q->err;
    }
    /* botocore puts Action and Version first; AWS does not care about
     * order, but matching the SDKs keeps bodies comparable in tests. */
    add_pair(q, "Action", action, strlen(action));
    return add_pair(q, "Version", version, strlen(version));
}

int
sw_query_add(struct sw_query *q, const char *key, const char *value)
{
    return add_pair(q, key, value, value ? strlen(value) : 0);
}

int
sw_query_add_len(struct sw_query *q, const char *key, const char *value,
                 size_t len)
{
    return add_pair(q, key, value, len);
}

int
sw_query_addf(struct sw_query *q, const char *key, const char *fmt, ...)
{
    struct sw_buf v;
    va_list ap;
    int r;

    if (q->err)
        return q->err;
    if (!fmt) {
        q->err = SW_EINVAL;
        return q->err;
    }
    sw_buf_init(&v, SW_QUERY_MAX_BODY);
    va_start(ap, fmt);
    r = sw_buf_vaddf(&v, fmt, ap);
    va_end(ap);
    if (r == 0)
        r = add_pair(q, key, v.data ? v.data : "", v.len);
    else
        q->err = r;
    sw_buf_wipe(&v);
    return r;
}

int
sw_query_error(const struct sw_query *q)
{
    return q->err;
}

const char *
sw_query_body(const struct sw_query *q)
{
    return sw_buf_str(&q->body);
}

size_t
sw_query_len(const struct sw_query *q)
{
    return q->body.len;
}

void
sw_query_release(struct sw_query *q)
{
    if (!q)
        return;
    sw_buf_wipe(&q->body);
    q->err = 0;
}
