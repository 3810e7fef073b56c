/* aws/cloudwatch.c - GetMetricStatistics over AWS JSON 1.0; see
 * cloudwatch.h. */
#include "config.h"

#include "aws/cloudwatch.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws/client.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/json_util.h"
#include "lib/log.h"
#include "lib/metric.h"
#include "lib/utf8.h"

/* Not a service limit: a guard so a hostile or broken endpoint cannot
 * make us allocate without bound.  A real reply has at most 1,440 points
 * per unit (several units can share a metric: CloudWatch API Reference,
 * "GetMetricStatistics"). */
#define CW_MAX_PARSE_POINTS 100000

/* 30 dimensions of 255 + 1024 bytes, each byte escaped as \uXXXX at
 * worst, fit well below this. */
#define CW_MAX_REQUEST (512u * 1024)

/* Epoch seconds we accept in a reply: 1970 up to the year 9999. */
#define CW_MAX_EPOCH 253402300799.0

/* A string member within [1, max] bytes of valid UTF-8. */
static int
check_str(const char *what, const char *s, size_t max, char *err, size_t errlen)
{
    size_t n;

    if (!s || !*s) {
        sw_err_set(err, errlen, "%s is empty", what);
        return SW_EINVAL;
    }
    n = strlen(s);
    if (n > max) {
        sw_err_set(err, errlen, "%s is %zu bytes long, more than %zu", what, n,
                   max);
        return SW_EINVAL;
    }
    if (!sw_utf8_valid(s, strlen(s))) {
        sw_err_set(err, errlen, "%s is not valid UTF-8", what);
        return SW_EINVAL;
    }
    return 0;
}

static int
unit_ok(const char *u)
{
    static const char *const units[] = {"Seconds",
                                        "Microseconds",
                                        "Milliseconds",
                                        "Bytes",
                                        "Kilobytes",
                                        "Megabytes",
                                        "Gigabytes",
                                        "Terabytes",
                                        "Bits",
                                        "Kilobits",
                                        "Megabits",
                                        "Gigabits",
                                        "Terabits",
                                        "Percent",
                                        "Count",
                                        "Bytes/Second",
                                        "Kilobytes/Second",
                                        "Megabytes/Second",
                                        "Gigabytes/Second",
                                        "Terabytes/Second",
                                        "Bits/Second",
                                        "Kilobits/Second",
                                        "Megabits/Second",
                                        "Gigabits/Second",
                                        "Terabits/Second",
                                        "Count/Second",
                                        "None"};

    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strcmp(u, units[i]) == 0)
            return 1;
    return 0;
}

/* The API limits (CloudWatch API Reference, "GetMetricStatistics"),
 * checked here so a bad rule fails with a clear message instead of a 400
 * from AWS on every poll. */
static int
check_query(const struct sw_metric_query *q, char *err, size_t errlen)
{
    long long span, points;
    int r;

    r = check_str("namespace", q->namespace_, 255, err, errlen);
    if (r < 0)
        return r;
    if (q->namespace_[0] == ':') {
        sw_err_set(err, errlen, "namespace '%s' starts with ':'",
                   q->namespace_);
        return SW_EINVAL;
    }
    r = check_str("metric name", q->metric, 255, err, errlen);
    if (r < 0)
        return r;
    if (q->ndims > SW_MAX_DIMENSIONS) {
        sw_err_set(err, errlen, "%zu dimensions, more than %d", q->ndims,
                   SW_MAX_DIMENSIONS);
        return SW_EINVAL;
    }
    if (q->ndims && !q->dims) {
        sw_err_set(err, errlen, "dimensions missing");
        return SW_EINVAL;
    }
    for (size_t i = 0; i < q->ndims; i++) {
        r = check_str("dimension name", q->dims[i].name, 255, err, errlen);
        if (r == 0)
            r = check_str("dimension value", q->dims[i].value, 1024, err,
                          errlen);
        if (r < 0)
            return r;
    }
    if (!sw_stat_is_valid(q->stat)) {
        sw_err_set(err, errlen, "statistic '%s' is not valid",
                   q->stat ? q->stat : "(none)");
        return SW_EINVAL;
    }
    if (q->unit && !unit_ok(q->unit)) {
        sw_err_set(err, errlen, "unit '%s' is not a CloudWatch unit", q->unit);
        return SW_EINVAL;
    }
    /* Standard resolution wants multiples of 60; high-resolution custom
     * metrics also allow 1, 5, 10, 20 and 30 seconds. */
    if (q->period_s < 1 ||
        (q->period_s % 60 != 0 && q->period_s != 1 && q->period_s != 5 &&
         q->period_s != 10 && q->period_s != 20 && q->period_s != 30)) {
        sw_err_set(err, errlen,
                   "period %d must be 1, 5, 10, 20, 30 or a multiple of 60",
                   q->period_s);
        return SW_EINVAL;
    }
    if (q->start < 0 || q->end <= q->start) {
        sw_err_set(err, errlen, "time range %lld..%lld is empty or negative",
                   (long long)q->start, (long long)q->end);
        return SW_EINVAL;
    }
    /* Count the periods the range touches, a partial one included, since
     * that is how many datapoints AWS may return. */
    span = (long long)q->end - (long long)q->start;
    points = (span + q->period_s - 1) / q->period_s;
    if (points > SW_CW_MAX_DATAPOINTS) {
        sw_err_set(err, errlen,
                   "%lld datapoints requested, more than %d per call", points,
                   SW_CW_MAX_DATAPOINTS);
        return SW_EINVAL;
    }
    return 0;
}

int
sw_cw_gms_request(const struct sw_metric_query *q, struct sw_buf *body,
                  char *err, size_t errlen)
{
    json_t *o, *stats;
    int failed = 0, r;

    if (err && errlen)
        err[0] = '\0';
    if (!q || !body) {
        sw_err_set(err, errlen, "no query");
        return SW_EINVAL;
    }
    r = check_query(q, err, errlen);
    if (r < 0)
        return r;
    o = json_object();
    /* Members in the model's order, as botocore sends them; jansson keeps
     * insertion order. */
    sw_json_set_new(o, "Namespace", json_string(q->namespace_), &failed);
    sw_json_set_new(o, "MetricName", json_string(q->metric), &failed);
    if (q->ndims) {
        json_t *dims = json_array();

        for (size_t i = 0; i < q->ndims; i++) {
            json_t *d = json_object();

            sw_json_set_new(d, "Name", json_string(q->dims[i].name), &failed);
            sw_json_set_new(d, "Value", json_string(q->dims[i].value), &failed);
            sw_json_append_new(dims, d, &failed);
        }
        sw_json_set_new(o, "Dimensions", dims, &failed);
    }
    sw_json_set_new(o, "StartTime", json_integer((json_int_t)q->start),
                    &failed);
    sw_json_set_new(o, "EndTime", json_integer((json_int_t)q->end), &failed);
    sw_json_set_new(o, "Period", json_integer(q->period_s), &failed);
    stats = json_array();
    sw_json_append_new(stats, json_string(q->stat), &failed);
    /* Percentiles travel in ExtendedStatistics; the two lists are
     * mutually exclusive. */
    sw_json_set_new(
        o, sw_stat_is_percentile(q->stat) ? "ExtendedStatistics" : "Statistics",
        stats, &failed);
    if (q->unit)
        sw_json_set_new(o, "Unit", json_string(q->unit), &failed);
    /* On failure BODY is left as it was, not with half a request. */
    return sw_json_finish_body(o, failed, body, err, errlen);
}

/* --- the reply --- */

/* A JSON number as a finite double.  jansson never produces NaN or
 * infinities (it rejects overflowing literals), but the check costs
 * nothing and keeps that assumption out of the callers. */
static int
get_number(const json_t *v, double *out)
{
    double d;

    if (!json_is_number(v))
        return SW_EPARSE;
    d = json_number_value(v);
    if (!isfinite(d))
        return SW_EPARSE;
    *out = d;
    return 0;
}

/* Datapoint I of the reply into OUT.  Errors name the 0-based index in
 * the reply's Datapoints array. */
static int
parse_point(const json_t *dp, size_t i, const char *stat,
            struct sw_datapoint *out, char *err, size_t errlen)
{
    const json_t *ts, *v, *sc, *ext;
    double t;

    if (!json_is_object(dp)) {
        sw_err_set(err, errlen, "datapoint %zu is %s, not an object", i,
                   sw_json_type_name(dp));
        return SW_EPARSE;
    }
    ts = json_object_get(dp, "Timestamp");
    if (!ts) {
        sw_err_set(err, errlen, "datapoint %zu has no 'Timestamp'", i);
        return SW_EPARSE;
    }
    /* JSON 1.0 timestamps are epoch seconds, possibly fractional; a
     * period starts on a whole second, so the fraction is dropped. */
    if (get_number(ts, &t) < 0) {
        sw_err_set(err, errlen,
                   "datapoint %zu: 'Timestamp' is %s, not a number", i,
                   sw_json_type_name(ts));
        return SW_EPARSE;
    }
    if (t < 0 || t > CW_MAX_EPOCH) {
        sw_err_set(err, errlen,
                   "datapoint %zu: 'Timestamp' %.17g is out of range", i, t);
        return SW_EPARSE;
    }
    out->ts = (time_t)floor(t);

    out->sample_count = -1;
    sc = json_object_get(dp, "SampleCount");
    if (sc) {
        if (get_number(sc, &out->sample_count) < 0) {
            sw_err_set(err, errlen,
                       "datapoint %zu: 'SampleCount' is %s, not a number", i,
                       sw_json_type_name(sc));
            return SW_EPARSE;
        }
        if (out->sample_count < 0) {
            sw_err_set(err, errlen, "datapoint %zu: 'SampleCount' is negative",
                       i);
            return SW_EPARSE;
        }
    }

    if (sw_stat_is_percentile(stat)) {
        ext = json_object_get(dp, "ExtendedStatistics");
        if (!ext) {
            sw_err_set(err, errlen, "datapoint %zu has no 'ExtendedStatistics'",
                       i);
            return SW_EPARSE;
        }
        if (!json_is_object(ext)) {
            sw_err_set(err, errlen,
                       "datapoint %zu: 'ExtendedStatistics' is %s, not an "
                       "object",
                       i, sw_json_type_name(ext));
            return SW_EPARSE;
        }
        v = json_object_get(ext, stat);
    } else {
        v = json_object_get(dp, stat);
    }
    if (!v) {
        sw_err_set(err, errlen, "datapoint %zu has no '%s'", i, stat);
        return SW_EPARSE;
    }
    if (get_number(v, &out->value) < 0) {
        sw_err_set(err, errlen, "datapoint %zu: '%s' is %s, not a number", i,
                   stat, sw_json_type_name(v));
        return SW_EPARSE;
    }
    return 0;
}

int
sw_cw_gms_parse(const char *json, size_t len, const char *stat,
                struct sw_datapoint **out, size_t *n, char *err, size_t errlen)
{
    json_t *root = NULL;
    const json_t *dps;
    struct sw_datapoint *v = NULL;
    size_t count, kept;
    int r = SW_EPARSE;

    *out = NULL;
    *n = 0;
    if (err && errlen)
        err[0] = '\0';
    if (!sw_stat_is_valid(stat)) {
        sw_err_set(err, errlen, "statistic '%s' is not valid",
                   stat ? stat : "(none)");
        return SW_EINVAL;
    }
    /* Duplicate keys are accepted (the last one wins, jansson's default):
     * AWS does not send them, and refusing a whole reply over one would
     * only turn a harmless oddity into missing data. */
    root = sw_json_load_object(json, len, err, errlen);
    if (!root)
        goto out;
    dps = json_object_get(root, "Datapoints");
    /* No Datapoints (or null) is an empty answer, not an error: that is
     * what a metric without data in the range looks like. */
    if (!dps || json_is_null(dps)) {
        r = 0;
        goto out;
    }
    if (!json_is_array(dps)) {
        sw_err_set(err, errlen, "'Datapoints' is %s, not an array",
                   sw_json_type_name(dps));
        goto out;
    }
    count = json_array_size(dps);
    if (count == 0) {
        r = 0;
        goto out;
    }
    if (count > CW_MAX_PARSE_POINTS) {
        sw_err_set(err, errlen, "reply has %zu datapoints, more than %d", count,
                   CW_MAX_PARSE_POINTS);
        goto out;
    }
    v = malloc(count * sizeof(*v));
    if (!v) {
        r = SW_ENOMEM;
        sw_err_set(err, errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        r = parse_point(json_array_get(dps, i), i, stat, &v[i], err, errlen);
        if (r < 0)
            goto out;
    }
    /* AWS returns datapoints in no particular order, and one per unit
     * when the metric was published with several. */
    kept = sw_datapoints_normalize(v, count);
    *out = v;
    *n = kept;
    v = NULL;
    r = 0;
out:
    free(v);
    json_decref(root);
    return r;
}

int
sw_cw_get_metric_statistics(struct sw_aws *a, const struct sw_metric_query *q,
                            struct sw_datapoint **out, size_t *n,
                            struct sw_aws_error *err)
{
    struct sw_buf body, reply;
    char why[256];
    int r;

    *out = NULL;
    *n = 0;
    memset(err, 0, sizeof(*err));
    sw_buf_init(&body, CW_MAX_REQUEST);
    sw_buf_init(&reply, SW_CW_MAX_REPLY);
    r = sw_cw_gms_request(q, &body, why, sizeof(why));
    if (r < 0) {
        /* Refused before sending: botocore calls this a parameter
         * validation error, so the code says the same. */
        sw_aws_error_set(err, "ParamValidation",
                         "GetMetricStatistics request: %s", why);
        goto out;
    }
    r = sw_aws_call(a, SW_SVC_MONITORING, SW_PROTO_JSON10,
                    "GetMetricStatistics", body.data, body.len, &reply, err);
    if (r < 0)
        goto out;
    r = sw_cw_gms_parse(reply.data, reply.len, q->stat, out, n, why,
                        sizeof(why));
    if (r < 0) {
        sw_aws_error_set(err, "MalformedReply", "GetMetricStatistics reply: %s",
                         why);
    }
out:
    sw_buf_release(&body);
    sw_buf_release(&reply);
    return r;
}
