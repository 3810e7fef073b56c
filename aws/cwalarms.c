/* aws/cwalarms.c - CloudWatch alarm APIs over AWS JSON 1.0; see
 * cwalarms.h. */
#include "config.h"

#include "aws/cwalarms.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "aws/client.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/json_util.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/utf8.h"

#define SLEEP_SLICE_MS 100 /* how often a waiting limiter looks at cancel */
#define TAG_KEY_MAX    128
#define TAG_VALUE_MAX  256

/* ------------------------------------------------------------------ */
/* rate limiting                                                       */

void
sw_cwa_bucket_init(struct sw_cwa_bucket *b, double rate_per_s, double burst)
{
    b->rate_per_s = rate_per_s > 0 ? rate_per_s : 1;
    b->max_rate_per_s = b->rate_per_s;
    b->burst = burst >= 1 ? burst : 1;
    b->tokens = b->burst;
    b->last_ms = -1;
}

void
sw_cwa_bucket_idle(struct sw_cwa_bucket *b, sw_mono_ms now_ms)
{
    if (b->last_ms < 0 || now_ms > b->last_ms)
        b->last_ms = now_ms;
}

long
sw_cwa_bucket_take(struct sw_cwa_bucket *b, sw_mono_ms now_ms)
{
    double missing;

    if (b->last_ms >= 0 && now_ms > b->last_ms) {
        b->tokens += (double)(now_ms - b->last_ms) * b->rate_per_s / 1000.0;
        if (b->tokens > b->burst)
            b->tokens = b->burst;
    }
    /* A clock that steps back (it should not: monotonic) must not give
     * tokens away, so time only moves forward here. */
    if (b->last_ms < 0 || now_ms > b->last_ms)
        b->last_ms = now_ms;
    /* The epsilon keeps rounding (3 * 0.333... = 0.999...) from asking
     * for a one-millisecond wait that refills nothing visible. */
    if (b->tokens >= 1.0 - 1e-9) {
        b->tokens -= 1.0;
        if (b->tokens < 0)
            b->tokens = 0;
        return 0;
    }
    missing = 1.0 - b->tokens;
    return (long)ceil(missing * 1000.0 / b->rate_per_s);
}

static const int op_tps[SW_CWA_NOPS] = {
    [SW_CWA_DESCRIBE] = SW_CWA_TPS_DESCRIBE,
    [SW_CWA_PUT] = SW_CWA_TPS_PUT,
    [SW_CWA_DELETE] = SW_CWA_TPS_DELETE,
    [SW_CWA_LIST_TAGS] = SW_CWA_TPS_TAGS,
    [SW_CWA_TAG] = SW_CWA_TPS_TAGS,
};

void
sw_cwa_limiter_init(struct sw_cwa_limiter *l)
{
    memset(l, 0, sizeof(*l));
    /* Burst 1: evenly spaced calls.  A bigger burst would let the first
     * calls of a run land in one second on top of the refill, which is
     * exactly what a per-second quota counts. */
    for (int i = 0; i < SW_CWA_NOPS; i++)
        sw_cwa_bucket_init(&l->bucket[i], op_tps[i] * SW_CWA_TPS_SHARE, 1);
}

void
sw_cwa_limiter_done(struct sw_cwa_limiter *l, enum sw_cwa_op op, int slowed)
{
    struct sw_cwa_bucket *b;

    if (!l || (int)op < 0 || op >= SW_CWA_NOPS)
        return;
    b = &l->bucket[op];
    sw_cwa_bucket_idle(b, l->now ? l->now(l->arg) : sw_mono_now());
    /* Multiplicative decrease, additive increase: the quota is shared,
     * and whoever else uses it is not going to slow down for us. */
    if (slowed) {
        b->rate_per_s /= 2;
        if (b->rate_per_s < SW_CWA_MIN_TPS)
            b->rate_per_s = SW_CWA_MIN_TPS;
    } else if (b->rate_per_s < b->max_rate_per_s) {
        b->rate_per_s += b->max_rate_per_s / 10;
        if (b->rate_per_s > b->max_rate_per_s)
            b->rate_per_s = b->max_rate_per_s;
    }
}

long
sw_cwa_limiter_interval_ms(const struct sw_cwa_limiter *l, enum sw_cwa_op op)
{
    if (!l || (int)op < 0 || op >= SW_CWA_NOPS)
        return 0;
    return (long)ceil(1000.0 / l->bucket[op].rate_per_s);
}

static void
real_sleep(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    (void)nanosleep(&ts, NULL);
}

int
sw_cwa_limiter_wait(struct sw_cwa_limiter *l, enum sw_cwa_op op)
{
    if (!l)
        return 0;
    if ((int)op < 0 || op >= SW_CWA_NOPS)
        return SW_EINVAL;
    for (;;) {
        sw_mono_ms now = l->now ? l->now(l->arg) : sw_mono_now();
        long wait;

        if (l->cancel && *l->cancel)
            return SW_ECANCELED;
        wait = sw_cwa_bucket_take(&l->bucket[op], now);
        if (wait == 0)
            return 0;
        if (wait > SLEEP_SLICE_MS)
            wait = SLEEP_SLICE_MS;
        if (l->sleep)
            l->sleep(l->arg, wait);
        else
            real_sleep(wait);
        l->waited_ms += wait;
    }
}

/* ------------------------------------------------------------------ */
/* validation helpers                                                  */

/* S (N bytes) is text of MIN..MAX characters with no control character. */
static int
text_ok(const char *s, size_t n, long min, long max)
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
    return s && text_ok(s, strlen(s), 1, SW_CWA_NAME_MAX);
}

int
sw_cwa_arn_is_valid(const char *s)
{
    size_t n;

    if (!s)
        return 0;
    n = strlen(s);
    return n <= SW_CWA_ARN_MAX && sw_str_has_prefix(s, "arn:") &&
           text_ok(s, n, 5, SW_CWA_ARN_MAX);
}

static int
token_ok(const char *t, size_t n)
{
    return n >= 1 && n <= SW_CWA_TOKEN_MAX && !sw_str_has_ctl(t, n);
}

/* A jansson string whose C string is the whole value (jansson allows
 * "\u0000" inside). */
static const char *
whole_string(const json_t *v, size_t *len)
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

static const char *
type_name(const json_t *v)
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

/* ------------------------------------------------------------------ */
/* request bodies                                                      */

static void
append_new(json_t *a, json_t *value, int *failed)
{
    if (!value || json_array_append_new(a, value) < 0)
        *failed = 1;
}

/* Append O to BODY as compact JSON; on failure BODY is as it was. */
static int
dump_body(const json_t *o, struct sw_buf *body, char *err, size_t errlen)
{
    /* Members in insertion order: the model's, as botocore sends them,
     * so a request reads the same in a capture as in the docs. */
    int r = sw_json_append(o, body);

    if (r == 0)
        return 0;
    sw_err_set(err, errlen, "%s",
               r == SW_ETOOBIG ? "request body too large for its buffer"
                               : "out of memory");
    return r;
}

static void
clear_err(char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
}

int
sw_cwa_describe_alarms_request(const char *prefix, int max_records,
                               const char *token, struct sw_buf *body,
                               char *err, size_t errlen)
{
    json_t *o = NULL;
    int failed = 0, r;

    clear_err(err, errlen);
    if (!body) {
        sw_err_set(err, errlen, "no body buffer");
        return SW_EINVAL;
    }
    if (prefix && *prefix &&
        !text_ok(prefix, strlen(prefix), 1, SW_CWA_NAME_MAX)) {
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
    if (token && *token && !token_ok(token, strlen(token))) {
        sw_err_set(err, errlen,
                   "NextToken must be 1-%d bytes without control "
                   "characters",
                   SW_CWA_TOKEN_MAX);
        return SW_EINVAL;
    }
    o = json_object();
    if (!o) {
        sw_err_set(err, errlen, "out of memory");
        return SW_ENOMEM;
    }
    /* The model's member order: AlarmNames, AlarmNamePrefix, AlarmTypes,
     * ..., NextToken, MaxRecords.  AlarmTypes is left out: omitted, it
     * means metric alarms only, which is all we make. */
    if (prefix && *prefix)
        sw_json_set_new(o, "AlarmNamePrefix", json_string(prefix), &failed);
    if (token && *token)
        sw_json_set_new(o, "NextToken", json_string(token), &failed);
    if (max_records)
        sw_json_set_new(o, "MaxRecords", json_integer(max_records), &failed);
    if (failed) {
        sw_err_set(err, errlen, "out of memory");
        r = SW_ENOMEM;
    } else {
        r = dump_body(o, body, err, errlen);
    }
    json_decref(o);
    return r;
}

int
sw_cwa_list_tags_request(const char *arn, struct sw_buf *body, char *err,
                         size_t errlen)
{
    json_t *o;
    int failed = 0, r;

    clear_err(err, errlen);
    if (!body) {
        sw_err_set(err, errlen, "no body buffer");
        return SW_EINVAL;
    }
    if (!sw_cwa_arn_is_valid(arn)) {
        sw_err_set(err, errlen, "ResourceARN is not a valid ARN");
        return SW_EINVAL;
    }
    o = json_object();
    if (!o) {
        sw_err_set(err, errlen, "out of memory");
        return SW_ENOMEM;
    }
    sw_json_set_new(o, "ResourceARN", json_string(arn), &failed);
    if (failed) {
        sw_err_set(err, errlen, "out of memory");
        r = SW_ENOMEM;
    } else {
        r = dump_body(o, body, err, errlen);
    }
    json_decref(o);
    return r;
}

int
sw_cwa_put_metric_alarm_request(const json_t *input, struct sw_buf *body,
                                char *err, size_t errlen)
{
    const char *name;
    size_t mark;
    int r;

    clear_err(err, errlen);
    if (!body) {
        sw_err_set(err, errlen, "no body buffer");
        return SW_EINVAL;
    }
    if (!json_is_object(input)) {
        sw_err_set(err, errlen, "PutMetricAlarm input is not an object");
        return SW_EINVAL;
    }
    name = whole_string(json_object_get(input, "AlarmName"), NULL);
    if (!name || !sw_cwa_name_is_valid(name)) {
        sw_err_set(err, errlen,
                   "AlarmName must be 1-%d characters of UTF-8 without "
                   "control characters",
                   SW_CWA_NAME_MAX);
        return SW_EINVAL;
    }
    mark = body->len;
    r = dump_body(input, body, err, errlen);
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
    json_t *o = NULL, *arr = NULL;
    int failed = 0, r = SW_ENOMEM;

    clear_err(err, errlen);
    if (!body) {
        sw_err_set(err, errlen, "no body buffer");
        return SW_EINVAL;
    }
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
    if (!o || !arr) {
        json_decref(arr);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        append_new(arr, json_string(names[i]), &failed);
    sw_json_set_new(o, "AlarmNames", arr, &failed);
    if (failed)
        goto out;
    r = dump_body(o, body, err, errlen);
out:
    if (r == SW_ENOMEM)
        sw_err_set(err, errlen, "out of memory");
    json_decref(o);
    return r;
}

int
sw_cwa_tag_resource_request(const char *arn, const json_t *tags,
                            struct sw_buf *body, char *err, size_t errlen)
{
    json_t *o = NULL, *arr = NULL;
    const char *key;
    json_t *v;
    int failed = 0, r = SW_ENOMEM;

    clear_err(err, errlen);
    if (!body) {
        sw_err_set(err, errlen, "no body buffer");
        return SW_EINVAL;
    }
    if (!sw_cwa_arn_is_valid(arn)) {
        sw_err_set(err, errlen, "ResourceARN is not a valid ARN");
        return SW_EINVAL;
    }
    if (!json_is_object(tags) || json_object_size(tags) < 1 ||
        json_object_size(tags) > SW_CWA_MAX_TAGS) {
        sw_err_set(err, errlen, "Tags must hold 1-%d tags", SW_CWA_MAX_TAGS);
        return SW_EINVAL;
    }
    json_object_foreach((json_t *)tags, key, v)
    {
        size_t vlen;
        const char *s = whole_string(v, &vlen);

        if (!text_ok(key, strlen(key), 1, TAG_KEY_MAX)) {
            sw_err_set(err, errlen,
                       "tag key must be 1-%d characters without control "
                       "characters",
                       TAG_KEY_MAX);
            return SW_EINVAL;
        }
        /* Tag values may be empty; control characters never help. */
        if (!s || (vlen && !text_ok(s, vlen, 0, TAG_VALUE_MAX))) {
            sw_err_set(err, errlen,
                       "tag '%s': the value must be a string of at most %d "
                       "characters without control characters",
                       key, TAG_VALUE_MAX);
            return SW_EINVAL;
        }
    }
    o = json_object();
    arr = json_array();
    if (!o || !arr) {
        json_decref(arr);
        goto out;
    }
    json_object_foreach((json_t *)tags, key, v)
    {
        json_t *t = json_object();

        if (!t) {
            failed = 1;
            break;
        }
        sw_json_set_new(t, "Key", json_string(key), &failed);
        sw_json_set_new(t, "Value", json_incref(v), &failed);
        append_new(arr, t, &failed);
    }
    sw_json_set_new(o, "ResourceARN", json_string(arn), &failed);
    sw_json_set_new(o, "Tags", arr, &failed);
    if (failed)
        goto out;
    r = dump_body(o, body, err, errlen);
out:
    if (r == SW_ENOMEM)
        sw_err_set(err, errlen, "out of memory");
    json_decref(o);
    return r;
}

/* ------------------------------------------------------------------ */
/* replies                                                             */

static json_t *
load_reply(const char *json, size_t len, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root;

    /* An empty body is how an endpoint may answer an operation without
     * output; it is not an object, so callers that need one say so. */
    root = json_loadb(json ? json : "", json ? len : 0, 0, &jerr);
    if (!root) {
        /* jansson quotes the input near the error, raw bytes included:
         * the reason must stay one printable line. */
        for (char *c = jerr.text; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = ' ';
        sw_err_set(err, errlen, "reply is not JSON: %s at line %d column %d",
                   jerr.text, jerr.line, jerr.column);
        return NULL;
    }
    if (!json_is_object(root)) {
        sw_err_set(err, errlen, "reply is %s, not a JSON object",
                   type_name(root));
        json_decref(root);
        return NULL;
    }
    return root;
}

enum mtype { M_STRING, M_BOOL, M_NUMBER, M_STRINGS, M_DIMS, M_OBJECTS };

static const struct {
    const char *name;
    enum mtype type;
} alarm_members[] = {
    {"AlarmDescription", M_STRING},
    {"MetricName", M_STRING},
    {"Namespace", M_STRING},
    {"Statistic", M_STRING},
    {"ExtendedStatistic", M_STRING},
    {"Unit", M_STRING},
    {"ComparisonOperator", M_STRING},
    {"TreatMissingData", M_STRING},
    {"EvaluateLowSampleCountPercentile", M_STRING},
    {"ThresholdMetricId", M_STRING},
    {"StateValue", M_STRING},
    {"ActionsEnabled", M_BOOL},
    {"Period", M_NUMBER},
    {"EvaluationPeriods", M_NUMBER},
    {"DatapointsToAlarm", M_NUMBER},
    {"Threshold", M_NUMBER},
    {"OKActions", M_STRINGS},
    {"AlarmActions", M_STRINGS},
    {"InsufficientDataActions", M_STRINGS},
    {"Dimensions", M_DIMS},
    {"Metrics", M_OBJECTS},
};

/* One member of an alarm has the type the model gives it.  Returns 0 or
 * SW_EPARSE with the reason after "MetricAlarms entry I: ". */
static int
check_member(const json_t *v, enum mtype t, const char *name, size_t i,
             char *err, size_t errlen)
{
    const char *want = NULL;

    switch (t) {
    case M_STRING:
        if (!whole_string(v, NULL))
            want = "a string";
        break;
    case M_BOOL:
        if (!json_is_boolean(v))
            want = "a boolean";
        break;
    case M_NUMBER:
        if (!json_is_number(v))
            want = "a number";
        break;
    case M_STRINGS:
    case M_DIMS:
    case M_OBJECTS:
        if (!json_is_array(v)) {
            want = "an array";
            break;
        }
        for (size_t k = 0; k < json_array_size(v); k++) {
            const json_t *e = json_array_get(v, k);

            if (t == M_STRINGS && !whole_string(e, NULL)) {
                sw_err_set(err, errlen,
                           "MetricAlarms entry %zu: '%s' entry %zu is %s, not "
                           "a string",
                           i, name, k, type_name(e));
                return SW_EPARSE;
            }
            if (t != M_STRINGS && !json_is_object(e)) {
                sw_err_set(err, errlen,
                           "MetricAlarms entry %zu: '%s' entry %zu is %s, not "
                           "an object",
                           i, name, k, type_name(e));
                return SW_EPARSE;
            }
            if (t == M_DIMS &&
                (!whole_string(json_object_get(e, "Name"), NULL) ||
                 !whole_string(json_object_get(e, "Value"), NULL))) {
                sw_err_set(err, errlen,
                           "MetricAlarms entry %zu: 'Dimensions' entry %zu "
                           "needs string 'Name' and 'Value'",
                           i, k);
                return SW_EPARSE;
            }
        }
        break;
    }
    if (want) {
        sw_err_set(err, errlen, "MetricAlarms entry %zu: '%s' is %s, not %s", i,
                   name, type_name(v), want);
        return SW_EPARSE;
    }
    return 0;
}

/* Check and tidy one MetricAlarms entry in place (null members go). */
static int
check_alarm(json_t *a, size_t i, char *err, size_t errlen)
{
    const char *s;
    int r;

    if (!json_is_object(a)) {
        sw_err_set(err, errlen, "MetricAlarms entry %zu is %s, not an object",
                   i, type_name(a));
        return SW_EPARSE;
    }
    /* Nulls first: a member set to null is one the service left out, as
     * far as comparing configurations goes. */
    for (;;) {
        const char *key, *gone = NULL;
        json_t *v;

        json_object_foreach(a, key, v)
        {
            if (json_is_null(v)) {
                gone = key;
                break;
            }
        }
        if (!gone)
            break;
        if (json_object_del(a, gone) < 0)
            return SW_EPARSE;
    }
    s = whole_string(json_object_get(a, "AlarmName"), NULL);
    if (!s || !sw_cwa_name_is_valid(s)) {
        sw_err_set(err, errlen,
                   "MetricAlarms entry %zu has no valid 'AlarmName'", i);
        return SW_EPARSE;
    }
    s = whole_string(json_object_get(a, "AlarmArn"), NULL);
    if (!s || !sw_cwa_arn_is_valid(s)) {
        sw_err_set(err, errlen,
                   "MetricAlarms entry %zu has no valid 'AlarmArn'", i);
        return SW_EPARSE;
    }
    for (size_t k = 0; k < sizeof(alarm_members) / sizeof(alarm_members[0]);
         k++) {
        const json_t *v = json_object_get(a, alarm_members[k].name);

        if (!v)
            continue;
        r = check_member(v, alarm_members[k].type, alarm_members[k].name, i,
                         err, errlen);
        if (r < 0)
            return r;
    }
    return 0;
}

int
sw_cwa_describe_alarms_parse(const char *json, size_t len, json_t **alarms,
                             char **next_token, char *err, size_t errlen)
{
    json_t *root = NULL, *list, *out = NULL;
    const json_t *tok;
    char *token = NULL;
    int r = SW_EPARSE;

    clear_err(err, errlen);
    if (!alarms || !next_token) {
        sw_err_set(err, errlen, "no output");
        return SW_EINVAL;
    }
    *alarms = NULL;
    *next_token = NULL;
    root = load_reply(json, len, err, errlen);
    if (!root)
        goto out;
    list = json_object_get(root, "MetricAlarms");
    if (list && !json_is_null(list)) {
        if (!json_is_array(list)) {
            sw_err_set(err, errlen, "'MetricAlarms' is %s, not an array",
                       type_name(list));
            goto out;
        }
        if (json_array_size(list) > SW_CWA_MAX_ALARMS) {
            sw_err_set(err, errlen,
                       "'MetricAlarms' has %zu entries, more "
                       "than %d",
                       json_array_size(list), SW_CWA_MAX_ALARMS);
            goto out;
        }
        for (size_t i = 0; i < json_array_size(list); i++) {
            r = check_alarm(json_array_get(list, i), i, err, errlen);
            if (r < 0)
                goto out;
        }
        r = SW_EPARSE;
        out = json_incref(list);
    } else {
        out = json_array();
        if (!out) {
            r = SW_ENOMEM;
            sw_err_set(err, errlen, "out of memory");
            goto out;
        }
    }
    tok = json_object_get(root, "NextToken");
    if (tok && !json_is_null(tok)) {
        size_t n;
        const char *t = whole_string(tok, &n);

        if (!t) {
            sw_err_set(err, errlen, "'NextToken' is %s, not a string",
                       type_name(tok));
            goto out;
        }
        if (!token_ok(t, n)) {
            sw_err_set(err, errlen,
                       "'NextToken' is not 1-%d bytes without control "
                       "characters",
                       SW_CWA_TOKEN_MAX);
            goto out;
        }
        token = sw_strdup(t);
        if (!token) {
            r = SW_ENOMEM;
            sw_err_set(err, errlen, "out of memory");
            goto out;
        }
    }
    *alarms = out;
    out = NULL;
    *next_token = token;
    token = NULL;
    r = 0;
out:
    free(token);
    json_decref(out);
    json_decref(root);
    return r;
}

int
sw_cwa_list_tags_parse(const char *json, size_t len, json_t **out, char *err,
                       size_t errlen)
{
    json_t *root = NULL, *tags = NULL;
    const json_t *list;
    int r = SW_EPARSE;

    clear_err(err, errlen);
    if (!out) {
        sw_err_set(err, errlen, "no output");
        return SW_EINVAL;
    }
    *out = NULL;
    root = load_reply(json, len, err, errlen);
    if (!root)
        goto out;
    tags = json_object();
    if (!tags) {
        r = SW_ENOMEM;
        sw_err_set(err, errlen, "out of memory");
        goto out;
    }
    list = json_object_get(root, "Tags");
    if (list && !json_is_null(list)) {
        if (!json_is_array(list)) {
            sw_err_set(err, errlen, "'Tags' is %s, not an array",
                       type_name(list));
            goto out;
        }
        /* A resource holds at most 50 tags; more is not a real reply and
         * would only cost memory. */
        if (json_array_size(list) > SW_CWA_MAX_TAGS) {
            sw_err_set(err, errlen, "'Tags' has %zu entries, more than %d",
                       json_array_size(list), SW_CWA_MAX_TAGS);
            goto out;
        }
        for (size_t i = 0; i < json_array_size(list); i++) {
            const json_t *t = json_array_get(list, i), *v;
            const char *k, *s;
            size_t klen, vlen;

            if (!json_is_object(t)) {
                sw_err_set(err, errlen,
                           "'Tags' entry %zu is %s, not an "
                           "object",
                           i, type_name(t));
                goto out;
            }
            k = whole_string(json_object_get(t, "Key"), &klen);
            if (!k || !text_ok(k, klen, 1, TAG_KEY_MAX)) {
                sw_err_set(err, errlen, "'Tags' entry %zu has no valid 'Key'",
                           i);
                goto out;
            }
            v = json_object_get(t, "Value");
            s = whole_string(v, &vlen);
            if (!s || sw_utf8_count(s, vlen) > TAG_VALUE_MAX) {
                sw_err_set(err, errlen, "'Tags' entry %zu has no valid 'Value'",
                           i);
                goto out;
            }
            if (json_object_set(tags, k, (json_t *)v) < 0) {
                r = SW_ENOMEM;
                sw_err_set(err, errlen, "out of memory");
                goto out;
            }
        }
    }
    *out = tags;
    tags = NULL;
    r = 0;
out:
    json_decref(tags);
    json_decref(root);
    return r;
}

/* ------------------------------------------------------------------ */
/* the calls                                                           */

static void
refused(struct sw_aws_error *err, const char *op, const char *why)
{
    /* Refused before sending: botocore calls this a parameter validation
     * error, so the code says the same. */
    sw_strlcpy(err->code, "ParamValidation", sizeof(err->code));
    sw_err_set(err->message, sizeof(err->message), "%s request: %s", op, why);
}

static void
malformed(struct sw_aws_error *err, const char *op, const char *why)
{
    sw_strlcpy(err->code, "MalformedReply", sizeof(err->code));
    sw_err_set(err->message, sizeof(err->message), "%s reply: %s", op, why);
}

static int
reset_err(struct sw_aws_error *err)
{
    if (!err)
        return SW_EINVAL;
    memset(err, 0, sizeof(*err));
    return 0;
}

/* Wait on the limiter, then one signed, retried call; ERR->attempts
 * accumulates into *ATTEMPTS across the calls of one operation. */
static int
limited_call(struct sw_aws *a, struct sw_cwa_limiter *l, enum sw_cwa_op op,
             const char *name, const struct sw_buf *body, struct sw_buf *reply,
             struct sw_aws_error *err, int *attempts)
{
    int r, sent;

    for (int round = 0;; round++) {
        r = sw_cwa_limiter_wait(l, op);
        if (r < 0) {
            sw_strlcpy(err->code, "Canceled", sizeof(err->code));
            sw_err_set(err->message, sizeof(err->message),
                       "%s: stopped before sending", name);
            err->attempts = *attempts;
            return r;
        }
        sw_buf_reset(reply);
        r = sw_aws_call(a, SW_SVC_MONITORING, SW_PROTO_JSON10, name, body->data,
                        body->len, reply, err);
        sent = err->attempts;
        *attempts += sent;
        err->attempts = *attempts;
        sw_cwa_limiter_done(l, op, r == SW_ETHROTTLED || sent > 1);
        if (r != SW_ETHROTTLED || !l || round >= SW_CWA_THROTTLE_ROUNDS)
            return r;
        /* Someone else is using the account's quota: slower, again. */
        sw_log_info("cwalarms: %s throttled after %d attempts; trying again "
                    "at %.2f calls a second",
                    name, *attempts, l->bucket[op].rate_per_s);
    }
}

int
sw_cwa_describe_alarms(struct sw_aws *a, struct sw_cwa_limiter *l,
                       const char *prefix, json_t **out,
                       struct sw_aws_error *err)
{
    struct sw_buf body, reply;
    json_t *acc = NULL, *page = NULL;
    char *token = NULL, *next = NULL;
    char why[256];
    int r, pages = 0, attempts = 0;

    sw_buf_init(&body, SW_CWA_MAX_REQUEST);
    sw_buf_init(&reply, SW_CWA_MAX_REPLY);
    r = reset_err(err);
    if (r < 0)
        return r;
    if (!a || !out) {
        sw_strlcpy(err->message, "no AWS client or output",
                   sizeof(err->message));
        return SW_EINVAL;
    }
    *out = NULL;
    acc = json_array();
    if (!acc) {
        r = SW_ENOMEM;
        goto out;
    }
    for (;;) {
        if (pages >= SW_CWA_MAX_PAGES) {
            sw_strlcpy(err->code, "TooManyAlarms", sizeof(err->code));
            sw_err_set(err->message, sizeof(err->message),
                       "DescribeAlarms: still more alarms after %d pages",
                       SW_CWA_MAX_PAGES);
            r = SW_ETOOBIG;
            goto out;
        }
        sw_buf_reset(&body);
        sw_buf_reset(&reply);
        r = sw_cwa_describe_alarms_request(prefix, SW_CWA_PAGE_RECORDS, token,
                                           &body, why, sizeof(why));
        if (r < 0) {
            refused(err, "DescribeAlarms", why);
            goto out;
        }
        pages++;
        r = limited_call(a, l, SW_CWA_DESCRIBE, "DescribeAlarms", &body, &reply,
                         err, &attempts);
        if (r < 0)
            goto out;
        r = sw_cwa_describe_alarms_parse(reply.data, reply.len, &page, &next,
                                         why, sizeof(why));
        if (r < 0) {
            sw_strlcpy(err->code, "MalformedReply", sizeof(err->code));
            sw_err_set(err->message, sizeof(err->message),
                       "DescribeAlarms reply (page %d): %s", pages, why);
            goto out;
        }
        if (json_array_size(acc) + json_array_size(page) > SW_CWA_MAX_ALARMS) {
            sw_strlcpy(err->code, "TooManyAlarms", sizeof(err->code));
            sw_err_set(err->message, sizeof(err->message),
                       "DescribeAlarms: more than %d alarms",
                       SW_CWA_MAX_ALARMS);
            r = SW_ETOOBIG;
            goto out;
        }
        if (json_array_extend(acc, page) < 0) {
            r = SW_ENOMEM;
            goto out;
        }
        json_decref(page);
        page = NULL;
        sw_log_debug("cwalarms: DescribeAlarms page %d: %zu alarms so far%s",
                     pages, json_array_size(acc), next ? ", more to come" : "");
        if (!next)
            break;
        /* The same token again would page forever. */
        if (token && strcmp(token, next) == 0) {
            sw_strlcpy(err->code, "MalformedReply", sizeof(err->code));
            sw_err_set(err->message, sizeof(err->message),
                       "DescribeAlarms reply (page %d): the same NextToken "
                       "as the page before",
                       pages);
            r = SW_EPARSE;
            goto out;
        }
        free(token);
        token = next;
        next = NULL;
    }
    *out = acc;
    acc = NULL;
    r = 0;
out:
    if (r == SW_ENOMEM && !err->message[0])
        sw_strlcpy(err->message, "out of memory", sizeof(err->message));
    json_decref(acc);
    json_decref(page);
    free(token);
    free(next);
    sw_buf_release(&body);
    sw_buf_release(&reply);
    return r;
}

int
sw_cwa_list_tags(struct sw_aws *a, struct sw_cwa_limiter *l, const char *arn,
                 json_t **out, struct sw_aws_error *err)
{
    struct sw_buf body, reply;
    char why[256];
    int r, attempts = 0;

    sw_buf_init(&body, SW_CWA_MAX_REQUEST);
    sw_buf_init(&reply, SW_CWA_MAX_REPLY);
    r = reset_err(err);
    if (r < 0)
        return r;
    if (!a || !out) {
        sw_strlcpy(err->message, "no AWS client or output",
                   sizeof(err->message));
        return SW_EINVAL;
    }
    *out = NULL;
    r = sw_cwa_list_tags_request(arn, &body, why, sizeof(why));
    if (r < 0) {
        refused(err, "ListTagsForResource", why);
        goto out;
    }
    r = limited_call(a, l, SW_CWA_LIST_TAGS, "ListTagsForResource", &body,
                     &reply, err, &attempts);
    if (r < 0)
        goto out;
    r = sw_cwa_list_tags_parse(reply.data, reply.len, out, why, sizeof(why));
    if (r < 0)
        malformed(err, "ListTagsForResource", why);
out:
    sw_buf_release(&body);
    sw_buf_release(&reply);
    return r;
}

/* A call whose reply carries nothing we use (PutMetricAlarm, DeleteAlarms,
 * TagResource answer an empty object, or nothing at all). */
static int
send_only(struct sw_aws *a, struct sw_cwa_limiter *l, enum sw_cwa_op op,
          const char *name, const struct sw_buf *body, struct sw_aws_error *err)
{
    struct sw_buf reply;
    int r, attempts = 0;

    sw_buf_init(&reply, SW_CWA_MAX_REPLY);
    r = limited_call(a, l, op, name, body, &reply, err, &attempts);
    sw_buf_release(&reply);
    return r;
}

int
sw_cwa_put_metric_alarm(struct sw_aws *a, struct sw_cwa_limiter *l,
                        const json_t *input, struct sw_aws_error *err)
{
    struct sw_buf body;
    char why[256];
    int r;

    sw_buf_init(&body, SW_CWA_MAX_REQUEST);
    r = reset_err(err);
    if (r < 0)
        return r;
    if (!a) {
        sw_strlcpy(err->message, "no AWS client", sizeof(err->message));
        return SW_EINVAL;
    }
    r = sw_cwa_put_metric_alarm_request(input, &body, why, sizeof(why));
    if (r < 0)
        refused(err, "PutMetricAlarm", why);
    else
        r = send_only(a, l, SW_CWA_PUT, "PutMetricAlarm", &body, err);
    sw_buf_release(&body);
    return r;
}

int
sw_cwa_delete_alarms(struct sw_aws *a, struct sw_cwa_limiter *l,
                     const char *const *names, size_t n,
                     struct sw_aws_error *err)
{
    struct sw_buf body;
    char why[256];
    int r;

    sw_buf_init(&body, SW_CWA_MAX_REQUEST);
    r = reset_err(err);
    if (r < 0)
        return r;
    if (!a) {
        sw_strlcpy(err->message, "no AWS client", sizeof(err->message));
        return SW_EINVAL;
    }
    r = sw_cwa_delete_alarms_request(names, n, &body, why, sizeof(why));
    if (r < 0)
        refused(err, "DeleteAlarms", why);
    else
        r = send_only(a, l, SW_CWA_DELETE, "DeleteAlarms", &body, err);
    sw_buf_release(&body);
    return r;
}

int
sw_cwa_tag_resource(struct sw_aws *a, struct sw_cwa_limiter *l, const char *arn,
                    const json_t *tags, struct sw_aws_error *err)
{
    struct sw_buf body;
    char why[256];
    int r;

    sw_buf_init(&body, SW_CWA_MAX_REQUEST);
    r = reset_err(err);
    if (r < 0)
        return r;
    if (!a) {
        sw_strlcpy(err->message, "no AWS client", sizeof(err->message));
        return SW_EINVAL;
    }
    r = sw_cwa_tag_resource_request(arn, tags, &body, why, sizeof(why));
    if (r < 0)
        refused(err, "TagResource", why);
    else
        r = send_only(a, l, SW_CWA_TAG, "TagResource", &body, err);
    sw_buf_release(&body);
    return r;
}
