/* aws/cwalarms_request.c - the CloudWatch alarm request bodies and the
 * API's limits; see cwalarms.h.
 *
 * Each builder checks its arguments against the limits of its page in the
 * CloudWatch API Reference, so a bad argument fails here with a reason
 * rather than as a 400 from AWS, then appends the body as compact JSON.
 * The validators are shared with the reply parsers (aws/cwalarms_reply.c):
 * a name or token from a reply goes into the next request.  Pure: no I/O.
 */
#include "config.h"

#include <string.h>

#include <jansson.h>

#include "aws/cwalarms.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/json_util.h"
#include "lib/str.h"
#include "lib/utf8.h"

/* ------------------------------------------------------------------ */
/* the API's limits                                                    */

int
sw_cwa_text_is_valid(const char *s, size_t n, long min, long max)
{
    long chars;

    if (!s || sw_str_has_ctl(s, n))
        return 0;
    chars = sw_utf8_count(s, n);
    return chars >= min && chars <= max;
}

int
sw_cwa_name_is_valid(const char *s)
{
    return s && sw_cwa_text_is_valid(s, strlen(s), 1, SW_CWA_NAME_MAX);
}

int
sw_cwa_arn_is_valid(const char *s)
{
    size_t n;

    if (!s)
        return 0;
    n = strlen(s);
    return n <= SW_CWA_ARN_MAX && sw_str_has_prefix(s, "arn:") &&
           sw_cwa_text_is_valid(s, n, 5, SW_CWA_ARN_MAX);
}

int
sw_cwa_token_is_valid(const char *t, size_t n)
{
    return n >= 1 && n <= SW_CWA_TOKEN_MAX && !sw_str_has_ctl(t, n);
}

/* ------------------------------------------------------------------ */
/* request bodies                                                      */

/* What every builder does first: ERR cleared, a BODY to append to.
 * Members then go in insertion order, the model's, as botocore sends
 * them, so a request reads the same in a capture as in the docs. */
static int
begin(const struct sw_buf *body, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!body) {
        sw_err_set(err, errlen, "no body buffer");
        return SW_EINVAL;
    }
    return 0;
}

/* begin() for the requests about one alarm, ARN. */
static int
begin_arn(const char *arn, const struct sw_buf *body, char *err, size_t errlen)
{
    int r = begin(body, err, errlen);

    if (r == 0 && !sw_cwa_arn_is_valid(arn)) {
        sw_err_set(err, errlen, "ResourceARN is not a valid ARN");
        r = SW_EINVAL;
    }
    return r;
}

int
sw_cwa_describe_alarms_request(const char *prefix, int max_records,
                               const char *token, struct sw_buf *body,
                               char *err, size_t errlen)
{
    json_t *o;
    int failed = 0, r = begin(body, err, errlen);

    if (r < 0)
        return r;
    if (prefix && *prefix &&
        !sw_cwa_text_is_valid(prefix, strlen(prefix), 1, SW_CWA_NAME_MAX)) {
        sw_err_set(err, errlen,
                   "AlarmNamePrefix must be 1-%d characters of UTF-8 "
                   "without control characters",
                   SW_CWA_NAME_MAX);
        return SW_EINVAL;
    }
    if (max_records < 0 || max_records > SW_CWA_PAGE_RECORDS) {
        sw_err_set(err, errlen, "MaxRecords must be 1-%d (got %d)",
                   SW_CWA_PAGE_RECORDS, max_records);
        return SW_EINVAL;
    }
    if (token && *token && !sw_cwa_token_is_valid(token, strlen(token))) {
        sw_err_set(err, errlen,
                   "NextToken must be 1-%d bytes without control "
                   "characters",
                   SW_CWA_TOKEN_MAX);
        return SW_EINVAL;
    }
    o = json_object();
    /* The model's member order: AlarmNames, AlarmNamePrefix, AlarmTypes,
     * ..., NextToken, MaxRecords.  AlarmTypes is left out: omitted, it
     * means metric alarms only, which is all we make. */
    if (prefix && *prefix)
        sw_json_set_new(o, "AlarmNamePrefix", json_string(prefix), &failed);
    if (token && *token)
        sw_json_set_new(o, "NextToken", json_string(token), &failed);
    if (max_records)
        sw_json_set_new(o, "MaxRecords", json_integer(max_records), &failed);
    return sw_json_finish_body(o, failed, body, err, errlen);
}

int
sw_cwa_list_tags_request(const char *arn, struct sw_buf *body, char *err,
                         size_t errlen)
{
    json_t *o;
    int failed = 0, r = begin_arn(arn, body, err, errlen);

    if (r < 0)
        return r;
    o = json_object();
    sw_json_set_new(o, "ResourceARN", json_string(arn), &failed);
    return sw_json_finish_body(o, failed, body, err, errlen);
}

int
sw_cwa_put_metric_alarm_request(const json_t *input, struct sw_buf *body,
                                char *err, size_t errlen)
{
    const char *name;
    size_t mark;
    int r = begin(body, err, errlen);

    if (r < 0)
        return r;
    if (!json_is_object(input)) {
        sw_err_set(err, errlen, "PutMetricAlarm input is not an object");
        return SW_EINVAL;
    }
    name = sw_json_whole_string(json_object_get(input, "AlarmName"), NULL);
    if (!name || !sw_cwa_name_is_valid(name)) {
        sw_err_set(err, errlen,
                   "AlarmName must be 1-%d characters of UTF-8 without "
                   "control characters",
                   SW_CWA_NAME_MAX);
        return SW_EINVAL;
    }
    mark = body->len;
    /* INPUT in its own member order, the one sync built it in. */
    r = sw_json_append_body(input, body, err, errlen);
    if (r < 0)
        return r;
    if (body->len - mark > SW_CWA_PUT_MAX) {
        sw_err_set(err, errlen,
                   "alarm '%s': the PutMetricAlarm request is %zu bytes, "
                   "more than the %u CloudWatch accepts",
                   name, body->len - mark, SW_CWA_PUT_MAX);
        body->len = mark;
        body->data[mark] = '\0';
        return SW_EINVAL;
    }
    return 0;
}

int
sw_cwa_delete_alarms_request(const char *const *names, size_t n,
                             struct sw_buf *body, char *err, size_t errlen)
{
    json_t *o, *arr;
    int failed = 0, r = begin(body, err, errlen);

    if (r < 0)
        return r;
    if (n < 1 || n > SW_CWA_DELETE_BATCH || !names) {
        sw_err_set(err, errlen, "AlarmNames must hold 1-%d names (got %zu)",
                   SW_CWA_DELETE_BATCH, n);
        return SW_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!sw_cwa_name_is_valid(names[i])) {
            sw_err_set(err, errlen, "AlarmNames entry %zu is not a valid name",
                       i);
            return SW_EINVAL;
        }
    }
    o = json_object();
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        sw_json_append_new(arr, json_string(names[i]), &failed);
    sw_json_set_new(o, "AlarmNames", arr, &failed);
    return sw_json_finish_body(o, failed, body, err, errlen);
}

int
sw_cwa_tag_resource_request(const char *arn, const json_t *tags,
                            struct sw_buf *body, char *err, size_t errlen)
{
    json_t *o, *arr, *v;
    const char *key;
    int failed = 0, r = begin_arn(arn, body, err, errlen);

    if (r < 0)
        return r;
    if (!json_is_object(tags) || json_object_size(tags) < 1 ||
        json_object_size(tags) > SW_CWA_MAX_TAGS) {
        sw_err_set(err, errlen, "Tags must hold 1-%d tags", SW_CWA_MAX_TAGS);
        return SW_EINVAL;
    }
    json_object_foreach((json_t *)tags, key, v)
    {
        size_t vlen;
        const char *s = sw_json_whole_string(v, &vlen);

        if (!sw_cwa_text_is_valid(key, strlen(key), 1, SW_CWA_TAG_KEY_MAX)) {
            sw_err_set(err, errlen,
                       "tag key must be 1-%d characters without control "
                       "characters",
                       SW_CWA_TAG_KEY_MAX);
            return SW_EINVAL;
        }
        /* Tag values may be empty; control characters never help. */
        if (!s ||
            (vlen && !sw_cwa_text_is_valid(s, vlen, 0, SW_CWA_TAG_VALUE_MAX))) {
            sw_err_set(err, errlen,
                       "tag '%s': the value must be a string of at most %d "
                       "characters without control characters",
                       key, SW_CWA_TAG_VALUE_MAX);
            return SW_EINVAL;
        }
    }
    o = json_object();
    arr = json_array();
    json_object_foreach((json_t *)tags, key, v)
    {
        json_t *t = json_object();

        sw_json_set_new(t, "Key", json_string(key), &failed);
        sw_json_set_new(t, "Value", json_incref(v), &failed);
        sw_json_append_new(arr, t, &failed);
    }
    sw_json_set_new(o, "ResourceARN", json_string(arn), &failed);
    sw_json_set_new(o, "Tags", arr, &failed);
    return sw_json_finish_body(o, failed, body, err, errlen);
}
