/* aws/cloudwatch.c - GetMetricStatistics and GetMetricData over AWS JSON
 * 1.0; see cloudwatch.h. */
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
#include "lib/str.h"
#include "lib/utf8.h"

/* Not a service limit: a guard so a hostile or broken endpoint cannot
 * make us allocate without bound.  A real reply has at most 1,440 points
 * per unit (several units can share a metric: CloudWatch API Reference,
 * "GetMetricStatistics"). */
#define CW_MAX_PARSE_POINTS 100000
/* The same guard for one GetMetricData page: five times the 100,800
 * datapoints a call returns at most. */
#define CW_GMD_MAX_PARSE_POINTS 504000
/* Most bytes of Messages kept for a GetMetricData result. */
#define CW_GMD_MAX_MESSAGE 1024

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

/* The API limits of a series (CloudWatch API Reference,
 * "GetMetricStatistics"; "GetMetricData" and its "MetricStat" have the
 * same ones), checked here so a bad rule fails with a clear message
 * instead of a 400 from AWS on every poll. */
static int
check_series(const struct sw_series *s, char *err, size_t errlen)
{
    int r;

    r = check_str("namespace", s->namespace_, 255, err, errlen);
    if (r < 0)
        return r;
    if (s->namespace_[0] == ':') {
        sw_err_set(err, errlen, "namespace '%s' starts with ':'",
                   s->namespace_);
        return SW_EINVAL;
    }
    r = check_str("metric name", s->metric, 255, err, errlen);
    if (r < 0)
        return r;
    if (s->ndims > SW_MAX_DIMENSIONS) {
        sw_err_set(err, errlen, "%zu dimensions, more than %d", s->ndims,
                   SW_MAX_DIMENSIONS);
        return SW_EINVAL;
    }
    if (s->ndims && !s->dims) {
        sw_err_set(err, errlen, "dimensions missing");
        return SW_EINVAL;
    }
    for (size_t i = 0; i < s->ndims; i++) {
        r = check_str("dimension name", s->dims[i].name, 255, err, errlen);
        if (r == 0)
            r = check_str("dimension value", s->dims[i].value, 1024, err,
                          errlen);
        if (r < 0)
            return r;
    }
    if (s->unit && !unit_ok(s->unit)) {
        sw_err_set(err, errlen, "unit '%s' is not a CloudWatch unit", s->unit);
        return SW_EINVAL;
    }
    /* Standard resolution wants multiples of 60; high-resolution custom
     * metrics also allow 1, 5, 10, 20 and 30 seconds. */
    if (s->period_s < 1 ||
        (s->period_s % 60 != 0 && s->period_s != 1 && s->period_s != 5 &&
         s->period_s != 10 && s->period_s != 20 && s->period_s != 30)) {
        sw_err_set(err, errlen,
                   "period %d must be 1, 5, 10, 20, 30 or a multiple of 60",
                   s->period_s);
        return SW_EINVAL;
    }
    return 0;
}

/* [START, END) must be a non-empty range of non-negative times; with
 * MAX_POINTS, it may touch at most that many periods of PERIOD_S. */
static int
check_range(time_t start, time_t end, int period_s, long long max_points,
            char *err, size_t errlen)
{
    long long span, points;

    if (start < 0 || end <= start) {
        sw_err_set(err, errlen, "time range %lld..%lld is empty or negative",
                   (long long)start, (long long)end);
        return SW_EINVAL;
    }
    if (!max_points)
        return 0;
    /* Count the periods the range touches, a partial one included, since
     * that is how many datapoints AWS may return. */
    span = (long long)end - (long long)start;
    points = (span + period_s - 1) / period_s;
    if (points > max_points) {
        sw_err_set(err, errlen,
                   "%lld datapoints requested, more than %lld per call", points,
                   max_points);
        return SW_EINVAL;
    }
    return 0;
}

/* The statistics of one GetMetricStatistics call: valid, each once, and
 * one list only (CloudWatch API Reference, "GetMetricStatistics": "you
 * must specify either Statistics or ExtendedStatistics, but not both";
 * Statistics has at most 5 members, ExtendedStatistics at most 10). */
static int
check_gms_stats(const char *const *stats, size_t n, char *err, size_t errlen)
{
    size_t npct = 0;

    if (!stats || n == 0) {
        sw_err_set(err, errlen, "no statistic requested");
        return SW_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!sw_stat_is_valid(stats[i])) {
            sw_err_set(err, errlen, "statistic '%s' is not valid",
                       stats[i] ? stats[i] : "(none)");
            return SW_EINVAL;
        }
        npct += sw_stat_is_percentile(stats[i]) ? 1 : 0;
    }
    if (npct && npct < n) {
        sw_err_set(err, errlen,
                   "statistics and percentiles in one request: "
                   "GetMetricStatistics takes Statistics or "
                   "ExtendedStatistics, not both");
        return SW_EINVAL;
    }
    if (npct > SW_CW_MAX_EXTENDED_STATISTICS) {
        sw_err_set(err, errlen, "%zu percentiles, more than %d per call", npct,
                   SW_CW_MAX_EXTENDED_STATISTICS);
        return SW_EINVAL;
    }
    if (!npct && n > SW_CW_MAX_STATISTICS) {
        sw_err_set(err, errlen, "%zu statistics, more than %d per call", n,
                   SW_CW_MAX_STATISTICS);
        return SW_EINVAL;
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(stats[i], stats[j]) == 0) {
                sw_err_set(err, errlen, "statistic '%s' is requested twice",
                           stats[i]);
                return SW_EINVAL;
            }
    return 0;
}

/* Namespace, MetricName and Dimensions (left out when there are none, as
 * botocore does) of S into O: the top level of a GetMetricStatistics
 * request, or a GetMetricData query's Metric. */
static void
add_metric(json_t *o, const struct sw_series *s, int *failed)
{
    sw_json_set_new(o, "Namespace", json_string(s->namespace_), failed);
    sw_json_set_new(o, "MetricName", json_string(s->metric), failed);
    if (s->ndims) {
        json_t *dims = json_array();

        for (size_t i = 0; i < s->ndims; i++) {
            json_t *d = json_object();

            sw_json_set_new(d, "Name", json_string(s->dims[i].name), failed);
            sw_json_set_new(d, "Value", json_string(s->dims[i].value), failed);
            sw_json_append_new(dims, d, failed);
        }
        sw_json_set_new(o, "Dimensions", dims, failed);
    }
}

int
sw_cw_gms_request_stats(const struct sw_series *s, const char *const *stats,
                        size_t nstats, time_t start, time_t end,
                        struct sw_buf *body, char *err, size_t errlen)
{
    json_t *o, *list;
    int failed = 0, r;

    if (err && errlen)
        err[0] = '\0';
    if (!s || !body) {
        sw_err_set(err, errlen, "no query");
        return SW_EINVAL;
    }
    r = check_series(s, err, errlen);
    if (r == 0)
        r = check_gms_stats(stats, nstats, err, errlen);
    if (r == 0)
        r = check_range(start, end, s->period_s, SW_CW_MAX_DATAPOINTS, err,
                        errlen);
    if (r < 0)
        return r;
    o = json_object();
    /* Members in the model's order, as botocore sends them; jansson keeps
     * insertion order. */
    add_metric(o, s, &failed);
    sw_json_set_new(o, "StartTime", json_integer((json_int_t)start), &failed);
    sw_json_set_new(o, "EndTime", json_integer((json_int_t)end), &failed);
    sw_json_set_new(o, "Period", json_integer(s->period_s), &failed);
    list = json_array();
    for (size_t i = 0; i < nstats; i++)
        sw_json_append_new(list, json_string(stats[i]), &failed);
    /* Percentiles travel in ExtendedStatistics; check_gms_stats() made
     * sure they are all of one kind. */
    sw_json_set_new(o,
                    sw_stat_is_percentile(stats[0]) ? "ExtendedStatistics"
                                                    : "Statistics",
                    list, &failed);
    if (s->unit)
        sw_json_set_new(o, "Unit", json_string(s->unit), &failed);
    /* On failure BODY is left as it was, not with half a request. */
    return sw_json_finish_body(o, failed, body, err, errlen);
}

int
sw_cw_gms_request(const struct sw_metric_query *q, struct sw_buf *body,
                  char *err, size_t errlen)
{
    struct sw_series s;

    if (!q || !body) {
        sw_err_set(err, errlen, "no query");
        return SW_EINVAL;
    }
    s.namespace_ = q->namespace_;
    s.metric = q->metric;
    s.dims = q->dims;
    s.ndims = q->ndims;
    s.unit = q->unit;
    s.period_s = q->period_s;
    return sw_cw_gms_request_stats(&s, &q->stat, 1, q->start, q->end, body, err,
                                   errlen);
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

/* A JSON 1.0 timestamp: epoch seconds, possibly fractional; a period
 * starts on a whole second, so the fraction is dropped.  Returns 0,
 * SW_EPARSE (not a number) or SW_ERANGE (*T is before 1970 or after
 * 9999). */
static int
get_epoch(const json_t *v, double *t, time_t *out)
{
    if (get_number(v, t) < 0)
        return SW_EPARSE;
    if (*t < 0 || *t > CW_MAX_EPOCH)
        return SW_ERANGE;
    *out = (time_t)floor(*t);
    return 0;
}

/* The members of datapoint I every statistic shares: its Timestamp and
 * SampleCount into P, and in *EXT its ExtendedStatistics map (NULL when
 * absent or when WANT_EXT is 0: no percentile was asked for, so the map
 * is not looked at).  Errors name the 0-based index in the reply's
 * Datapoints array. */
static int
parse_point_head(const json_t *dp, size_t i, int want_ext,
                 struct sw_datapoint *p, const json_t **ext, char *err,
                 size_t errlen)
{
    const json_t *ts, *sc, *x;
    double t;
    int r;

    *ext = NULL;
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
    r = get_epoch(ts, &t, &p->ts);
    if (r == SW_EPARSE) {
        sw_err_set(err, errlen,
                   "datapoint %zu: 'Timestamp' is %s, not a number", i,
                   sw_json_type_name(ts));
        return SW_EPARSE;
    }
    if (r < 0) {
        sw_err_set(err, errlen,
                   "datapoint %zu: 'Timestamp' %.17g is out of range", i, t);
        return SW_EPARSE;
    }

    p->sample_count = -1;
    sc = json_object_get(dp, "SampleCount");
    if (sc) {
        if (get_number(sc, &p->sample_count) < 0) {
            sw_err_set(err, errlen,
                       "datapoint %zu: 'SampleCount' is %s, not a number", i,
                       sw_json_type_name(sc));
            return SW_EPARSE;
        }
        if (p->sample_count < 0) {
            sw_err_set(err, errlen, "datapoint %zu: 'SampleCount' is negative",
                       i);
            return SW_EPARSE;
        }
    }

    x = want_ext ? json_object_get(dp, "ExtendedStatistics") : NULL;
    if (x && !json_is_object(x)) {
        sw_err_set(err, errlen,
                   "datapoint %zu: 'ExtendedStatistics' is %s, not an object",
                   i, sw_json_type_name(x));
        return SW_EPARSE;
    }
    *ext = x;
    return 0;
}

int
sw_cw_gms_parse_stats(const char *json, size_t len, const char *const *stats,
                      size_t nstats, struct sw_datapoint **out, size_t *nout,
                      char *err, size_t errlen)
{
    json_t *root = NULL;
    const json_t *dps;
    size_t count, npct = 0;
    long sc = -1; /* the index of SampleCount in STATS */
    int r = SW_EPARSE;

    if (err && errlen)
        err[0] = '\0';
    if (!out || !nout || !stats || nstats == 0 ||
        nstats > SW_CW_MAX_STATISTICS + SW_CW_MAX_EXTENDED_STATISTICS) {
        sw_err_set(err, errlen, "%zu statistics, not 1 to %d", nstats,
                   SW_CW_MAX_STATISTICS + SW_CW_MAX_EXTENDED_STATISTICS);
        return SW_EINVAL;
    }
    for (size_t k = 0; k < nstats; k++) {
        out[k] = NULL;
        nout[k] = 0;
    }
    for (size_t k = 0; k < nstats; k++) {
        if (!sw_stat_is_valid(stats[k])) {
            sw_err_set(err, errlen, "statistic '%s' is not valid",
                       stats[k] ? stats[k] : "(none)");
            return SW_EINVAL;
        }
        if (sw_stat_is_percentile(stats[k]))
            npct++;
        else if (sc < 0 && strcmp(stats[k], "SampleCount") == 0)
            sc = (long)k;
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
    for (size_t k = 0; k < nstats; k++) {
        out[k] = malloc(count * sizeof(*out[k]));
        if (!out[k]) {
            r = SW_ENOMEM;
            sw_err_set(err, errlen, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i < count; i++) {
        const json_t *dp = json_array_get(dps, i), *ext;
        struct sw_datapoint p;
        size_t found = 0;

        r = parse_point_head(dp, i, npct > 0, &p, &ext, err, errlen);
        if (r < 0)
            goto out;
        r = SW_EPARSE;
        for (size_t k = 0; k < nstats; k++) {
            const json_t *v;

            if (sw_stat_is_percentile(stats[k]))
                v = ext ? json_object_get(ext, stats[k]) : NULL;
            else
                v = json_object_get(dp, stats[k]);
            /* Not an error by itself: CloudWatch leaves out what it
             * cannot compute (no percentiles from statistic sets). */
            if (!v)
                continue;
            if (get_number(v, &p.value) < 0) {
                sw_err_set(err, errlen,
                           "datapoint %zu: '%s' is %s, not a number", i,
                           stats[k], sw_json_type_name(v));
                goto out;
            }
            out[k][nout[k]++] = p;
            found++;
        }
        /* A datapoint that answers nothing that was asked is not what
         * CloudWatch sends: the reply is for another request. */
        if (!found) {
            if (npct == nstats && !ext)
                sw_err_set(err, errlen,
                           "datapoint %zu has no 'ExtendedStatistics'", i);
            else if (nstats == 1)
                sw_err_set(err, errlen, "datapoint %zu has no '%s'", i,
                           stats[0]);
            else
                sw_err_set(err, errlen,
                           "datapoint %zu has none of the %zu statistics "
                           "requested",
                           i, nstats);
            goto out;
        }
    }
    /* AWS returns datapoints in no particular order, and one per unit
     * when the metric was published with several. */
    for (size_t k = 0; k < nstats; k++) {
        nout[k] = sw_datapoints_normalize(out[k], nout[k]);
        if (!nout[k]) {
            free(out[k]);
            out[k] = NULL;
        }
    }
    if (sc >= 0)
        for (size_t k = 0; k < nstats; k++)
            if (strcmp(stats[k], "SampleCount") != 0)
                sw_datapoints_join_counts(out[k], nout[k], out[sc], nout[sc]);
    r = 0;
out:
    if (r < 0)
        for (size_t k = 0; k < nstats; k++) {
            free(out[k]);
            out[k] = NULL;
            nout[k] = 0;
        }
    json_decref(root);
    return r;
}

int
sw_cw_gms_parse(const char *json, size_t len, const char *stat,
                struct sw_datapoint **out, size_t *n, char *err, size_t errlen)
{
    return sw_cw_gms_parse_stats(json, len, &stat, 1, out, n, err, errlen);
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

/* --- GetMetricData --- */

/* A MetricDataQuery Id (CloudWatch API Reference, "MetricDataQuery"):
 * 1-255 characters, letters, digits and '_', starting with a lower-case
 * letter. */
static int
check_gmd_id(const char *id, char *err, size_t errlen)
{
    size_t n;

    if (!id || !*id) {
        sw_err_set(err, errlen, "id is empty");
        return SW_EINVAL;
    }
    n = strlen(id);
    if (n > SW_CW_GMD_MAX_ID) {
        sw_err_set(err, errlen, "id is %zu bytes long, more than %d", n,
                   SW_CW_GMD_MAX_ID);
        return SW_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        char c = id[i];

        if ((c >= 'a' && c <= 'z') ||
            (i > 0 &&
             ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')))
            continue;
        sw_err_set(err, errlen,
                   "id must start with a lower-case letter and hold only "
                   "letters, digits and '_'");
        return SW_EINVAL;
    }
    return 0;
}

int
sw_cw_gmd_request(const struct sw_cw_gmd_query *q, size_t n, time_t start,
                  time_t end, const char *next_token, struct sw_buf *body,
                  char *err, size_t errlen)
{
    json_t *o, *list;
    char sub[256];
    int failed = 0, r = 0;

    if (err && errlen)
        err[0] = '\0';
    if (!q || !body || n == 0) {
        sw_err_set(err, errlen, "no queries");
        return SW_EINVAL;
    }
    if (n > SW_CW_GMD_MAX_QUERIES) {
        sw_err_set(err, errlen, "%zu queries, more than %d per call", n,
                   SW_CW_GMD_MAX_QUERIES);
        return SW_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        const struct sw_cw_gmd_query *x = &q[i];

        r = check_gmd_id(x->id, sub, sizeof(sub));
        if (r == 0 && !x->series) {
            sw_err_set(sub, sizeof(sub), "no series");
            r = SW_EINVAL;
        }
        if (r == 0)
            r = check_series(x->series, sub, sizeof(sub));
        if (r == 0 && !sw_stat_is_valid(x->stat)) {
            sw_err_set(sub, sizeof(sub), "statistic '%s' is not valid",
                       x->stat ? x->stat : "(none)");
            r = SW_EINVAL;
        }
        for (size_t j = 0; r == 0 && j < i; j++)
            if (strcmp(q[j].id, x->id) == 0) {
                sw_err_set(sub, sizeof(sub), "id is also query %zu's", j);
                r = SW_EINVAL;
            }
        if (r < 0) {
            /* An id that failed its check is not printed whole. */
            sw_err_set(err, errlen, "query %zu ('%.64s'): %s", i,
                       x->id ? x->id : "", sub);
            return r;
        }
    }
    /* No datapoint limit: a longer answer comes in pages. */
    r = check_range(start, end, 0, 0, err, errlen);
    if (r == 0 && next_token)
        r = check_str("next token", next_token, SW_CW_GMD_MAX_REQUEST, err,
                      errlen);
    if (r < 0)
        return r;

    /* Members in the model's order (GetMetricDataInput, MetricDataQuery,
     * MetricStat, Metric), as botocore sends them. */
    o = json_object();
    list = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct sw_series *s = q[i].series;
        json_t *mq = json_object(), *ms = json_object(), *m = json_object();

        sw_json_set_new(mq, "Id", json_string(q[i].id), &failed);
        add_metric(m, s, &failed);
        sw_json_set_new(ms, "Metric", m, &failed);
        sw_json_set_new(ms, "Period", json_integer(s->period_s), &failed);
        sw_json_set_new(ms, "Stat", json_string(q[i].stat), &failed);
        if (s->unit)
            sw_json_set_new(ms, "Unit", json_string(s->unit), &failed);
        sw_json_set_new(mq, "MetricStat", ms, &failed);
        sw_json_set_new(mq, "ReturnData", json_true(), &failed);
        sw_json_append_new(list, mq, &failed);
    }
    sw_json_set_new(o, "MetricDataQueries", list, &failed);
    /* Epoch seconds, as for GetMetricStatistics; CloudWatch rounds
     * StartTime down the same way for both calls. */
    sw_json_set_new(o, "StartTime", json_integer((json_int_t)start), &failed);
    sw_json_set_new(o, "EndTime", json_integer((json_int_t)end), &failed);
    if (next_token)
        sw_json_set_new(o, "NextToken", json_string(next_token), &failed);
    /* Oldest first: a page then ends at a time, and the next one goes on
     * from there. */
    sw_json_set_new(o, "ScanBy", json_string("TimestampAscending"), &failed);
    return sw_json_finish_body(o, failed, body, err, errlen);
}

/* At most the room left in B of S, cut at a character boundary: a
 * message is for people, so a long one is shortened, never refused. */
static void
add_clipped(struct sw_buf *b, const char *s)
{
    size_t room = b->cap > b->len ? b->cap - b->len : 0;

    (void)sw_buf_add(b, s, sw_utf8_prefix(s, strlen(s), room));
}

/* The Messages member of O (a result, or the reply): an array of objects
 * whose Code and Value are strings when present.  With B, each becomes
 * "Code: Value" in B, separated by "; ". */
static int
parse_messages(const json_t *o, struct sw_buf *b, char *err, size_t errlen)
{
    static const char *const members[] = {"Code", "Value"};
    json_t *msgs;
    int r;

    r = sw_json_array_member(o, "Messages", 10000, &msgs, err, errlen);
    if (r < 0 || !msgs)
        return r;
    for (size_t i = 0; i < json_array_size(msgs); i++) {
        const json_t *m = json_array_get(msgs, i);
        const char *text[2] = {NULL, NULL};

        if (!json_is_object(m)) {
            sw_err_set(err, errlen, "message %zu is %s, not an object", i,
                       sw_json_type_name(m));
            return SW_EPARSE;
        }
        for (size_t k = 0; k < 2; k++) {
            const json_t *v = json_object_get(m, members[k]);

            if (!v || json_is_null(v))
                continue;
            if (!json_is_string(v)) {
                sw_err_set(err, errlen, "message %zu: '%s' is %s, not a string",
                           i, members[k], sw_json_type_name(v));
                return SW_EPARSE;
            }
            text[k] = json_string_value(v);
        }
        if (!b || (!text[0] && !text[1]))
            continue;
        if (b->len)
            add_clipped(b, "; ");
        if (text[0])
            add_clipped(b, text[0]);
        if (text[0] && text[1])
            add_clipped(b, ": ");
        if (text[1])
            add_clipped(b, text[1]);
    }
    return 0;
}

/* One MetricDataResults entry E into the result of its query in RES (N,
 * matching Q); *TOTAL counts the points of the reply so far. */
static int
parse_gmd_result(const json_t *e, const struct sw_cw_gmd_query *q, size_t n,
                 struct sw_cw_gmd_result *res, size_t *total, char *err,
                 size_t errlen)
{
    static const char *const statuses[] = {"Complete", "PartialData",
                                           "InternalError", "Forbidden"};
    const json_t *idv, *st, *label;
    json_t *tsa, *vals;
    struct sw_datapoint *pts = NULL;
    struct sw_cw_gmd_result *x;
    struct sw_buf msg;
    const char *id, *status = NULL;
    size_t k, nts, nv;
    int r;

    sw_buf_init(&msg, CW_GMD_MAX_MESSAGE);
    if (!json_is_object(e)) {
        sw_err_set(err, errlen, "is %s, not an object", sw_json_type_name(e));
        return SW_EPARSE;
    }
    idv = json_object_get(e, "Id");
    if (!idv) {
        sw_err_set(err, errlen, "has no 'Id'");
        return SW_EPARSE;
    }
    /* A NUL inside would cut the C string short (jansson refuses it when
     * loading a reply, but that is its choice, not ours to rely on). */
    id = sw_json_whole_string(idv, NULL);
    if (!id) {
        if (json_is_string(idv))
            sw_err_set(err, errlen, "'Id' holds a NUL byte");
        else
            sw_err_set(err, errlen, "'Id' is %s, not a string",
                       sw_json_type_name(idv));
        return SW_EPARSE;
    }
    for (k = 0; k < n; k++)
        if (strcmp(q[k].id, id) == 0)
            break;
    /* The reply's id is not printed: it is not ours. */
    if (k == n) {
        sw_err_set(err, errlen, "'Id' is not the id of any query");
        return SW_EPARSE;
    }
    x = &res[k];
    if (x->status) {
        sw_err_set(err, errlen, "'Id' '%s' is repeated", q[k].id);
        return SW_EPARSE;
    }
    st = json_object_get(e, "StatusCode");
    if (!st || !json_is_string(st)) {
        sw_err_set(err, errlen, "'StatusCode' is %s, not a string",
                   st ? sw_json_type_name(st) : "missing");
        return SW_EPARSE;
    }
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
        if (strcmp(json_string_value(st), statuses[i]) == 0)
            status = statuses[i];
    if (!status) {
        sw_err_set(err, errlen,
                   "'StatusCode' is not Complete, PartialData, InternalError "
                   "or Forbidden");
        return SW_EPARSE;
    }
    label = json_object_get(e, "Label");
    if (label && !json_is_null(label) && !json_is_string(label)) {
        sw_err_set(err, errlen, "'Label' is %s, not a string",
                   sw_json_type_name(label));
        return SW_EPARSE;
    }
    r = sw_json_array_member(e, "Timestamps", CW_GMD_MAX_PARSE_POINTS, &tsa,
                             err, errlen);
    if (r == 0)
        r = sw_json_array_member(e, "Values", CW_GMD_MAX_PARSE_POINTS, &vals,
                                 err, errlen);
    if (r < 0)
        return r;
    nts = tsa ? json_array_size(tsa) : 0;
    nv = vals ? json_array_size(vals) : 0;
    /* "The number of timestamps always matches the number of values"
     * (CloudWatch API Reference, "MetricDataResult"). */
    if (nts != nv) {
        sw_err_set(err, errlen, "'Timestamps' has %zu entries but 'Values' %zu",
                   nts, nv);
        return SW_EPARSE;
    }
    if (nts > CW_GMD_MAX_PARSE_POINTS - *total) {
        sw_err_set(err, errlen, "reply has more than %d datapoints",
                   CW_GMD_MAX_PARSE_POINTS);
        return SW_EPARSE;
    }
    *total += nts;
    if (nts) {
        pts = malloc(nts * sizeof(*pts));
        if (!pts) {
            sw_err_set(err, errlen, "out of memory");
            return SW_ENOMEM;
        }
    }
    for (size_t i = 0; i < nts; i++) {
        const json_t *tv = json_array_get(tsa, i),
                     *vv = json_array_get(vals, i);
        double t;

        /* The timestamps of a MetricStat are the starts of its periods,
         * counted from StartTime as CloudWatch rounds it (CloudWatch API
         * Reference, "GetMetricData"; the same rounding as
         * "GetMetricStatistics"): with StartTime aligned to the period,
         * they are the Timestamps GetMetricStatistics returns. */
        r = get_epoch(tv, &t, &pts[i].ts);
        if (r == SW_EPARSE)
            sw_err_set(err, errlen, "timestamp %zu is %s, not a number", i,
                       sw_json_type_name(tv));
        else if (r < 0)
            sw_err_set(err, errlen, "timestamp %zu (%.17g) is out of range", i,
                       t);
        else if (get_number(vv, &pts[i].value) < 0)
            sw_err_set(err, errlen, "value %zu is %s, not a number", i,
                       sw_json_type_name(vv));
        else {
            /* GetMetricData returns values only, never a SampleCount. */
            pts[i].sample_count = -1;
            continue;
        }
        r = SW_EPARSE;
        goto out;
    }
    r = parse_messages(e, &msg, err, errlen);
    if (r < 0)
        goto out;
    x->status = sw_strdup(status);
    if (msg.len)
        x->message = sw_buf_steal(&msg, NULL);
    if (!x->status || (msg.len && !x->message)) {
        /* Mark the result unanswered again: the caller frees it all. */
        free(x->status);
        x->status = NULL;
        sw_err_set(err, errlen, "out of memory");
        r = SW_ENOMEM;
        goto out;
    }
    if (x->message)
        sw_str_blank_ctl(x->message);
    /* ScanBy TimestampAscending sorts them, but nothing is assumed. */
    x->n = sw_datapoints_normalize(pts, nts);
    x->pts = pts;
    pts = NULL;
    r = 0;
out:
    free(pts);
    sw_buf_release(&msg);
    return r;
}

int
sw_cw_gmd_parse(const char *json, size_t len, const struct sw_cw_gmd_query *q,
                size_t n, struct sw_cw_gmd_result **out, size_t *nout,
                char **next_token, char *err, size_t errlen)
{
    json_t *root = NULL, *results;
    const json_t *tok;
    struct sw_cw_gmd_result *res = NULL;
    char sub[256];
    size_t total = 0;
    int r = SW_EPARSE;

    *out = NULL;
    *nout = 0;
    if (next_token)
        *next_token = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (!q || n == 0 || n > SW_CW_GMD_MAX_QUERIES) {
        sw_err_set(err, errlen, "%zu queries, not 1 to %d", q ? n : 0,
                   SW_CW_GMD_MAX_QUERIES);
        return SW_EINVAL;
    }
    for (size_t i = 0; i < n; i++)
        if (!q[i].id) {
            sw_err_set(err, errlen, "query %zu has no id", i);
            return SW_EINVAL;
        }
    res = calloc(n, sizeof(*res));
    if (!res) {
        sw_err_set(err, errlen, "out of memory");
        return SW_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        res[i].id = sw_strdup(q[i].id);
        if (!res[i].id) {
            sw_err_set(err, errlen, "out of memory");
            r = SW_ENOMEM;
            goto out;
        }
    }
    root = sw_json_load_object(json, len, err, errlen);
    if (!root)
        goto out;
    /* More entries than queries cannot all have a known, unique Id. */
    r = sw_json_array_member(root, "MetricDataResults", n, &results, err,
                             errlen);
    if (r < 0)
        goto out;
    for (size_t j = 0; results && j < json_array_size(results); j++) {
        r = parse_gmd_result(json_array_get(results, j), q, n, res, &total, sub,
                             sizeof(sub));
        if (r < 0) {
            sw_err_set(err, errlen, "result %zu: %s", j, sub);
            goto out;
        }
    }
    r = parse_messages(root, NULL, err, errlen);
    if (r < 0)
        goto out;
    r = SW_EPARSE;
    tok = json_object_get(root, "NextToken");
    if (tok && !json_is_null(tok)) {
        size_t tl;
        const char *t = sw_json_whole_string(tok, &tl);

        if (!t) {
            if (json_is_string(tok))
                sw_err_set(err, errlen, "'NextToken' holds a NUL byte");
            else
                sw_err_set(err, errlen, "'NextToken' is %s, not a string",
                           sw_json_type_name(tok));
            goto out;
        }
        /* An empty token would ask for the first page again. */
        if (tl && next_token) {
            *next_token = sw_strdup(t);
            if (!*next_token) {
                sw_err_set(err, errlen, "out of memory");
                r = SW_ENOMEM;
                goto out;
            }
        }
    }
    *out = res;
    *nout = n;
    res = NULL;
    r = 0;
out:
    sw_cw_gmd_results_free(res, n);
    json_decref(root);
    return r;
}

int
sw_cw_gmd_merge(struct sw_cw_gmd_result *acc, struct sw_cw_gmd_result *page,
                size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct sw_cw_gmd_result *a = &acc[i], *p = &page[i];

        if (p->n) {
            struct sw_datapoint *v;

            if (a->n > SIZE_MAX / sizeof(*v) - p->n)
                return SW_ENOMEM;
            v = realloc(a->pts, (a->n + p->n) * sizeof(*v));
            if (!v)
                return SW_ENOMEM;
            /* Appended after ACC's: on a tie the page wins, as a later
             * entry does in sw_datapoints_normalize(). */
            memcpy(v + a->n, p->pts, p->n * sizeof(*v));
            a->pts = v;
            a->n = sw_datapoints_normalize(v, a->n + p->n);
        }
        free(p->pts);
        p->pts = NULL;
        p->n = 0;
        if (p->status) {
            free(a->status);
            free(a->message);
            a->status = p->status;
            a->message = p->message;
            p->status = NULL;
            p->message = NULL;
        }
    }
    return 0;
}

void
sw_cw_gmd_results_free(struct sw_cw_gmd_result *r, size_t n)
{
    if (!r)
        return;
    for (size_t i = 0; i < n; i++) {
        free(r[i].id);
        free(r[i].status);
        free(r[i].pts);
        free(r[i].message);
    }
    free(r);
}
