/* tests/unit/test_cloudwatch.c - aws/cloudwatch builders and parsers:
 * the exact JSON 1.0 request of docs/aws-wire.md section 5, percentile
 * requests, the API limits listed there, and GetMetricStatistics
 * replies good and bad; several statistics in one call; GetMetricData
 * requests (section 15), replies, pages and their merging.  The network call
 * itself is exercised by the client and integration tests. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws/cloudwatch.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/metric.h"

/* The JSON 1.0 body of docs/aws-wire.md section 5, exactly as printed. */
static const char doc_body[] =
    "{\"Namespace\": \"AWS/Kinesis\", \"MetricName\": \"IncomingRecords\", "
    "\"Dimensions\": [{\"Name\": \"StreamName\",\n"
    " \"Value\": \"orders\"}], \"StartTime\": 1764150900, \"EndTime\": "
    "1764151500, \"Period\": 60, \"Statistics\": [\"Sum\"]}";

static struct sw_dimension orders_dim[1] = {{"StreamName", "orders"}};

static void
gms_query(struct sw_metric_query *q)
{
    time_t start, end;

    assert_int_equal(sw_time_parse_rfc3339("2025-11-26T09:55:00Z", &start), 0);
    assert_int_equal(sw_time_parse_rfc3339("2025-11-26T10:05:00Z", &end), 0);
    memset(q, 0, sizeof(*q));
    q->namespace_ = "AWS/Kinesis";
    q->metric = "IncomingRecords";
    q->dims = orders_dim;
    q->ndims = 1;
    q->stat = "Sum";
    q->period_s = 60;
    q->start = start;
    q->end = end;
}

static void
assert_request(const struct sw_metric_query *q, const char *want)
{
    struct sw_buf b;
    char err[256];

    sw_buf_init(&b, 64 * 1024);
    if (sw_cw_gms_request(q, &b, err, sizeof(err)) != 0)
        fail_msg("request refused: %s", err);
    assert_string_equal(sw_buf_str(&b), want);
    sw_buf_release(&b);
}

static void
test_request_exact(void **state)
{
    struct sw_metric_query q;
    json_error_t jerr;
    json_t *doc;
    char *compact;

    (void)state;
    gms_query(&q);
    assert_int_equal(q.start, 1764150900);
    assert_int_equal(q.end, 1764151500);
    /* the document's body, re-printed compactly in its own order */
    doc = json_loads(doc_body, 0, &jerr);
    assert_non_null(doc);
    compact = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_non_null(compact);
    assert_request(&q, compact);
    assert_request(&q, "{\"Namespace\":\"AWS/Kinesis\",\"MetricName\":"
                       "\"IncomingRecords\",\"Dimensions\":[{\"Name\":"
                       "\"StreamName\",\"Value\":\"orders\"}],\"StartTime\":"
                       "1764150900,\"EndTime\":1764151500,\"Period\":60,"
                       "\"Statistics\":[\"Sum\"]}");
    free(compact);
    json_decref(doc);
}

static void
test_request_variants(void **state)
{
    struct sw_metric_query q;
    struct sw_dimension dims[2] = {{"StreamName", "a \"quoted\" \xc3\xa9"},
                                   {"ShardId", "shardId-000000000001"}};
    struct sw_buf b;

    (void)state;
    /* percentile: ExtendedStatistics instead of Statistics, then Unit */
    gms_query(&q);
    q.stat = "p99";
    q.unit = "Milliseconds";
    assert_request(&q, "{\"Namespace\":\"AWS/Kinesis\",\"MetricName\":"
                       "\"IncomingRecords\",\"Dimensions\":[{\"Name\":"
                       "\"StreamName\",\"Value\":\"orders\"}],\"StartTime\":"
                       "1764150900,\"EndTime\":1764151500,\"Period\":60,"
                       "\"ExtendedStatistics\":[\"p99\"],\"Unit\":"
                       "\"Milliseconds\"}");
    q.stat = "p99.9";
    q.unit = NULL;
    assert_request(&q, "{\"Namespace\":\"AWS/Kinesis\",\"MetricName\":"
                       "\"IncomingRecords\",\"Dimensions\":[{\"Name\":"
                       "\"StreamName\",\"Value\":\"orders\"}],\"StartTime\":"
                       "1764150900,\"EndTime\":1764151500,\"Period\":60,"
                       "\"ExtendedStatistics\":[\"p99.9\"]}");
    /* no dimensions: the member is left out, as botocore does */
    gms_query(&q);
    q.ndims = 0;
    q.dims = NULL;
    q.stat = "Average";
    q.unit = "Count/Second";
    assert_request(&q, "{\"Namespace\":\"AWS/Kinesis\",\"MetricName\":"
                       "\"IncomingRecords\",\"StartTime\":1764150900,"
                       "\"EndTime\":1764151500,\"Period\":60,\"Statistics\":"
                       "[\"Average\"],\"Unit\":\"Count/Second\"}");
    /* JSON escaping and UTF-8 pass through jansson */
    gms_query(&q);
    q.dims = dims;
    q.ndims = 2;
    q.stat = "SampleCount";
    assert_request(&q, "{\"Namespace\":\"AWS/Kinesis\",\"MetricName\":"
                       "\"IncomingRecords\",\"Dimensions\":[{\"Name\":"
                       "\"StreamName\",\"Value\":\"a \\\"quoted\\\" "
                       "\xc3\xa9\"},{\"Name\":\"ShardId\",\"Value\":"
                       "\"shardId-000000000001\"}],\"StartTime\":1764150900,"
                       "\"EndTime\":1764151500,\"Period\":60,\"Statistics\":"
                       "[\"SampleCount\"]}");
    /* the body is appended to; a cap that is too small leaves it alone */
    gms_query(&q);
    sw_buf_init(&b, 64);
    assert_int_equal(sw_buf_adds(&b, "x"), 0);
    assert_int_equal(sw_cw_gms_request(&q, &b, NULL, 0), SW_ETOOBIG);
    assert_string_equal(sw_buf_str(&b), "x");
    sw_buf_release(&b);
}

/* Q must be refused with SW_EINVAL and an error containing WANT. */
static void
assert_refused(const struct sw_metric_query *q, const char *want)
{
    struct sw_buf b;
    char err[256];

    sw_buf_init(&b, 64 * 1024);
    assert_int_equal(sw_cw_gms_request(q, &b, err, sizeof(err)), SW_EINVAL);
    assert_int_equal(b.len, 0);
    if (!strstr(err, want))
        fail_msg("error '%s' lacks '%s'", err, want);
    sw_buf_release(&b);
}

static void
assert_accepted(const struct sw_metric_query *q)
{
    struct sw_buf b;
    char err[256];

    sw_buf_init(&b, 64 * 1024);
    if (sw_cw_gms_request(q, &b, err, sizeof(err)) != 0)
        fail_msg("refused: %s", err);
    sw_buf_release(&b);
}

static void
test_request_limits(void **state)
{
    static const int good_periods[] = {1,  5,   10,  20,   30,
                                       60, 120, 300, 3600, 86400};
    static const int bad_periods[] = {0, -60, 2, 15, 45, 90, 61};
    struct sw_dimension many[31];
    struct sw_metric_query q;
    char longname[300], longval[1100];

    (void)state;
    gms_query(&q);
    q.namespace_ = NULL;
    assert_refused(&q, "namespace is empty");
    q.namespace_ = "";
    assert_refused(&q, "namespace is empty");
    q.namespace_ = ":AWS";
    assert_refused(&q, "starts with ':'");
    memset(longname, 'n', 256);
    longname[256] = '\0';
    q.namespace_ = longname;
    assert_refused(&q, "namespace is 256 bytes long, more than 255");
    longname[255] = '\0';
    assert_accepted(&q);
    q.namespace_ = "AWS/\xc3(";
    assert_refused(&q, "namespace is not valid UTF-8");
    q.namespace_ = "AWS/\xed\xa0\x80"; /* a UTF-16 surrogate */
    assert_refused(&q, "not valid UTF-8");
    q.namespace_ = "AWS/\xc0\xaf"; /* overlong '/' */
    assert_refused(&q, "not valid UTF-8");

    gms_query(&q);
    q.metric = "";
    assert_refused(&q, "metric name is empty");

    gms_query(&q);
    for (size_t i = 0; i < 31; i++) {
        many[i].name = "N";
        many[i].value = "v";
    }
    q.dims = many;
    q.ndims = 31;
    assert_refused(&q, "31 dimensions, more than 30");
    q.ndims = 30;
    assert_accepted(&q);
    memset(longval, 'v', 1025);
    longval[1025] = '\0';
    many[3].value = longval;
    assert_refused(&q, "dimension value is 1025 bytes long, more than 1024");
    longval[1024] = '\0';
    assert_accepted(&q);
    many[4].name = NULL;
    assert_refused(&q, "dimension name is empty");
    q.dims = NULL;
    assert_refused(&q, "dimensions missing");

    gms_query(&q);
    q.stat = "sum";
    assert_refused(&q, "statistic 'sum' is not valid");
    q.stat = "p101";
    assert_refused(&q, "statistic 'p101' is not valid");
    q.stat = NULL;
    assert_refused(&q, "statistic '(none)' is not valid");

    gms_query(&q);
    q.unit = "Furlongs";
    assert_refused(&q, "unit 'Furlongs' is not a CloudWatch unit");

    gms_query(&q);
    for (size_t i = 0; i < sizeof(good_periods) / sizeof(int); i++) {
        q.period_s = good_periods[i];
        q.end = q.start + good_periods[i];
        assert_accepted(&q);
    }
    for (size_t i = 0; i < sizeof(bad_periods) / sizeof(int); i++) {
        q.period_s = bad_periods[i];
        assert_refused(&q, "must be 1, 5, 10, 20, 30 or a multiple of 60");
    }

    gms_query(&q);
    q.end = q.start;
    assert_refused(&q, "is empty or negative");
    q.end = q.start - 60;
    assert_refused(&q, "is empty or negative");
    q.start = -60;
    q.end = 60;
    assert_refused(&q, "is empty or negative");

    /* 1,440 datapoints is the most one call may return */
    gms_query(&q);
    q.end = q.start + 1440 * 60;
    assert_accepted(&q);
    q.end += 1; /* a partial 1,441st period */
    assert_refused(&q, "1441 datapoints requested, more than 1440 per call");
    q.period_s = 1;
    q.end = q.start + 3600;
    assert_refused(&q, "3600 datapoints requested");

    assert_int_equal(sw_cw_gms_request(NULL, NULL, NULL, 0), SW_EINVAL);
}

/* Parse JSON for STAT expecting success; returns the points. */
static struct sw_datapoint *
parse_ok(const char *json, const char *stat, size_t *n)
{
    struct sw_datapoint *v = (struct sw_datapoint *)1;
    char err[256];
    int r = sw_cw_gms_parse(json, strlen(json), stat, &v, n, err, sizeof(err));

    if (r != 0)
        fail_msg("parse failed (%d): %s", r, err);
    return v;
}

/* Parse JSON expecting SW_EPARSE and exactly the message WANT (or, when
 * WANT ends with '*', a message starting with it). */
static void
parse_bad(const char *json, size_t len, const char *stat, const char *want)
{
    struct sw_datapoint *v = (struct sw_datapoint *)1;
    size_t n = 99, wl = strlen(want);
    char err[256];

    assert_int_equal(sw_cw_gms_parse(json, len, stat, &v, &n, err, sizeof(err)),
                     SW_EPARSE);
    assert_null(v);
    assert_int_equal(n, 0);
    assert_null(strchr(err, '\n'));
    if (want[wl - 1] == '*' ? strncmp(err, want, wl - 1) != 0
                            : strcmp(err, want) != 0)
        fail_msg("error '%s', want '%s'", err, want);
}

#define BAD(json, stat, want) parse_bad(json, strlen(json), stat, want)

static void
test_parse_sorted(void **state)
{
    struct sw_datapoint *v;
    size_t n;

    (void)state;
    /* the example reply of docs/aws-wire.md section 5 */
    v = parse_ok(
        "{\"Label\":\"IncomingRecords\",\"Datapoints\":[{\"Timestamp\":"
        "1764151260.0,\"Sum\":1520.0,\"Unit\":\"Count\"}]}",
        "Sum", &n);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].ts, 1764151260);
    assert_true(v[0].value == 1520.0);
    assert_true(v[0].sample_count == -1);
    free(v);

    /* out of order, a duplicate timestamp (the later one wins: a second
     * unit, or a re-published value), fractions floored */
    v = parse_ok("{\"Datapoints\":["
                 "{\"Timestamp\":1764151320,\"Sum\":3,\"SampleCount\":3},"
                 "{\"Timestamp\":1764151200.75,\"Sum\":1},"
                 "{\"Timestamp\":1764151260,\"Sum\":2,\"Unit\":\"Count\"},"
                 "{\"Timestamp\":1764151260.9,\"Sum\":22,\"Unit\":\"None\"},"
                 "{\"Timestamp\":1764151140,\"Sum\":-0.5}],"
                 "\"Label\":\"IncomingRecords\"}",
                 "Sum", &n);
    assert_int_equal(n, 4);
    assert_int_equal(v[0].ts, 1764151140);
    assert_true(v[0].value == -0.5);
    assert_int_equal(v[1].ts, 1764151200);
    assert_true(v[1].value == 1);
    assert_int_equal(v[2].ts, 1764151260);
    assert_true(v[2].value == 22);
    assert_int_equal(v[3].ts, 1764151320);
    assert_true(v[3].value == 3);
    assert_true(v[3].sample_count == 3);
    free(v);

    /* SampleCount as the statistic */
    v = parse_ok("{\"Datapoints\":[{\"Timestamp\":60,\"SampleCount\":6.0,"
                 "\"Maximum\":10.0,\"Sum\":42.0}]}",
                 "SampleCount", &n);
    assert_int_equal(n, 1);
    assert_true(v[0].value == 6.0);
    assert_true(v[0].sample_count == 6.0);
    free(v);

    /* duplicate keys: accepted, the last one wins (documented choice) */
    v = parse_ok("{\"Datapoints\":[{\"Timestamp\":60,\"Sum\":1,\"Sum\":2}]}",
                 "Sum", &n);
    assert_int_equal(n, 1);
    assert_true(v[0].value == 2);
    free(v);
}

static void
test_parse_extended(void **state)
{
    struct sw_datapoint *v;
    size_t n;

    (void)state;
    v = parse_ok("{\"Datapoints\":[{\"Timestamp\":120,\"SampleCount\":10,"
                 "\"ExtendedStatistics\":{\"p50\":1.5,\"p99\":12.25},"
                 "\"Unit\":\"Milliseconds\"},{\"Timestamp\":60,"
                 "\"ExtendedStatistics\":{\"p99\":7}}]}",
                 "p99", &n);
    assert_int_equal(n, 2);
    assert_int_equal(v[0].ts, 60);
    assert_true(v[0].value == 7);
    assert_true(v[0].sample_count == -1);
    assert_int_equal(v[1].ts, 120);
    assert_true(v[1].value == 12.25);
    assert_true(v[1].sample_count == 10);
    free(v);
    v = parse_ok("{\"Datapoints\":[{\"Timestamp\":60,"
                 "\"ExtendedStatistics\":{\"p99.9\":3}}]}",
                 "p99.9", &n);
    assert_true(v[0].value == 3);
    free(v);

    BAD("{\"Datapoints\":[{\"Timestamp\":60,\"ExtendedStatistics\":"
        "{\"p50\":1}}]}",
        "p99", "datapoint 0 has no 'p99'");
    BAD("{\"Datapoints\":[{\"Timestamp\":60,\"p99\":1}]}", "p99",
        "datapoint 0 has no 'ExtendedStatistics'");
    BAD("{\"Datapoints\":[{\"Timestamp\":60,\"ExtendedStatistics\":[1]}]}",
        "p99", "datapoint 0: 'ExtendedStatistics' is an array, not an object");
    BAD("{\"Datapoints\":[{\"Timestamp\":60,\"ExtendedStatistics\":"
        "{\"p99\":\"1\"}}]}",
        "p99", "datapoint 0: 'p99' is a string, not a number");
}

static void
test_parse_empty(void **state)
{
    struct sw_datapoint *v;
    size_t n = 99;

    (void)state;
    v = parse_ok("{\"Datapoints\":[],\"Label\":\"IncomingRecords\"}", "Sum",
                 &n);
    assert_null(v);
    assert_int_equal(n, 0);
    v = parse_ok("{\"Label\":\"IncomingRecords\"}", "Sum", &n);
    assert_null(v);
    assert_int_equal(n, 0);
    v = parse_ok("{\"Datapoints\":null}", "p99", &n);
    assert_null(v);
    v = parse_ok(" {} \n", "Average", &n);
    assert_null(v);
    assert_int_equal(n, 0);
}

static void
test_parse_bad(void **state)
{
    (void)state;
    BAD("{\"Datapoints\":[{\"Timestamp\":60,\"Average\":2}]}", "Sum",
        "datapoint 0 has no 'Sum'");
    BAD("{\"Datapoints\":[{\"Timestamp\":60,\"Sum\":1},{\"Sum\":2}]}", "Sum",
        "datapoint 1 has no 'Timestamp'");
    /* not JSON, truncated, trailing junk, empty */
    BAD("<GetMetricStatisticsResponse/>", "Sum", "reply is not JSON: *");
    BAD("{\"Datapoints\":[{\"Timestamp\":1764151260", "Sum",
        "reply is not JSON: *");
    BAD("{\"Datapoints\":[]} x", "Sum", "reply is not JSON: *");
    BAD("", "Sum", "reply is not JSON: *");
    parse_bad(NULL, 0, "Sum", "reply is not JSON: *");
    parse_bad("{\"Datapoints\":[]}", 5, "Sum", "reply is not JSON: *");
    BAD("{\"a\":1,}", "Sum",
        "reply is not JSON: string or '}' expected near '}' at line 1 "
        "column 8");
    /* wrong types */
    BAD("[]", "Sum", "reply is an array, not a JSON object");
    /* jansson refuses a bare scalar at the top level itself */
    BAD("\"x\"", "Sum", "reply is not JSON: *");
    BAD("{\"Datapoints\":{}}", "Sum",
        "'Datapoints' is an object, not an array");
    BAD("{\"Datapoints\":5}", "Sum", "'Datapoints' is a number, not an array");
    BAD("{\"Datapoints\":[1]}", "Sum",
        "datapoint 0 is a number, not an object");
    BAD("{\"Datapoints\":[null]}", "Sum", "datapoint 0 is null, not an object");
    BAD("{\"Datapoints\":[{\"Timestamp\":\"2025-11-26T10:01:00Z\","
        "\"Sum\":1}]}",
        "Sum", "datapoint 0: 'Timestamp' is a string, not a number");
    BAD("{\"Datapoints\":[{\"Timestamp\":60,\"Sum\":true}]}", "Sum",
        "datapoint 0: 'Sum' is a boolean, not a number");
    BAD("{\"Datapoints\":[{\"Timestamp\":60,\"Sum\":null}]}", "Sum",
        "datapoint 0: 'Sum' is null, not a number");
    BAD("{\"Datapoints\":[{\"Timestamp\":60,\"Sum\":1,\"SampleCount\":"
        "\"3\"}]}",
        "Sum", "datapoint 0: 'SampleCount' is a string, not a number");
    BAD("{\"Datapoints\":[{\"Timestamp\":60,\"Sum\":1,\"SampleCount\":-1}]}",
        "Sum", "datapoint 0: 'SampleCount' is negative");
    BAD("{\"Datapoints\":[{\"Timestamp\":-60,\"Sum\":1}]}", "Sum",
        "datapoint 0: 'Timestamp' -60 is out of range");
    BAD("{\"Datapoints\":[{\"Timestamp\":1e12,\"Sum\":1}]}", "Sum",
        "datapoint 0: 'Timestamp' 1000000000000 is out of range");
    /* NaN-like values: not JSON literals, strings, overflowing numbers */
    BAD("{\"Datapoints\":[{\"Timestamp\":60,\"Sum\":NaN}]}", "Sum",
        "reply is not JSON: *");
    BAD("{\"Datapoints\":[{\"Timestamp\":60,\"Sum\":Infinity}]}", "Sum",
        "reply is not JSON: *");
    BAD("{\"Datapoints\":[{\"Timestamp\":60,\"Sum\":\"NaN\"}]}", "Sum",
        "datapoint 0: 'Sum' is a string, not a number");
    BAD("{\"Datapoints\":[{\"Timestamp\":60,\"Sum\":1e999}]}", "Sum",
        "reply is not JSON: real number overflow*");
    BAD("{\"Datapoints\":[{\"Timestamp\":99999999999999999999999,"
        "\"Sum\":1}]}",
        "Sum", "reply is not JSON: too big integer*");
    /* a NUL inside the reply */
    parse_bad("{\"Datapoints\":[]}\0", 18, "Sum", "reply is not JSON: *");
}

static void
test_parse_stat(void **state)
{
    struct sw_datapoint *v;
    size_t n;
    char err[128];

    (void)state;
    assert_int_equal(sw_cw_gms_parse("{}", 2, "sum", &v, &n, err, sizeof(err)),
                     SW_EINVAL);
    assert_string_equal(err, "statistic 'sum' is not valid");
    assert_int_equal(sw_cw_gms_parse("{}", 2, NULL, &v, &n, NULL, 0),
                     SW_EINVAL);
    /* a short error buffer truncates but stays terminated */
    assert_int_equal(sw_cw_gms_parse("[]", 2, "Sum", &v, &n, err, 8),
                     SW_EPARSE);
    assert_string_equal(err, "reply i");
}

/* A reply with COUNT datapoints, newest first, ts = i * 60. */
static char *
big_reply(size_t count)
{
    struct sw_buf b;
    size_t n;

    sw_buf_init(&b, 16u << 20);
    assert_int_equal(sw_buf_adds(&b, "{\"Datapoints\":["), 0);
    for (size_t i = count; i > 0; i--)
        assert_int_equal(sw_buf_addf(&b, "%s{\"Timestamp\":%zu,\"Sum\":%zu}",
                                     i == count ? "" : ",", i * 60, i),
                         0);
    assert_int_equal(sw_buf_adds(&b, "]}"), 0);
    return sw_buf_steal(&b, &n);
}

static void
test_parse_huge(void **state)
{
    struct sw_datapoint *v;
    size_t n;
    char *json;

    (void)state;
    json = big_reply(100000);
    v = parse_ok(json, "Sum", &n);
    assert_int_equal(n, 100000);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(v[i].ts, (time_t)(i + 1) * 60);
        assert_true(v[i].value == (double)(i + 1));
    }
    free(v);
    free(json);
    json = big_reply(100001);
    BAD(json, "Sum", "reply has 100001 datapoints, more than 100000");
    free(json);
}

/* --- several statistics in one GetMetricStatistics call --- */

static const struct sw_series orders_series = {
    "AWS/Kinesis", "IncomingRecords", orders_dim, 1, NULL, 60};

/* The request for STATS must be WANT exactly. */
static void
assert_stats_request(const struct sw_series *s, const char *const *stats,
                     size_t n, const char *want)
{
    struct sw_buf b;
    char err[256];

    sw_buf_init(&b, 64 * 1024);
    if (sw_cw_gms_request_stats(s, stats, n, 1764150900, 1764151500, &b, err,
                                sizeof(err)) != 0)
        fail_msg("request refused: %s", err);
    assert_string_equal(sw_buf_str(&b), want);
    sw_buf_release(&b);
}

/* STATS must be refused with SW_EINVAL and an error containing WANT. */
static void
assert_stats_refused(const struct sw_series *s, const char *const *stats,
                     size_t n, time_t start, time_t end, const char *want)
{
    struct sw_buf b;
    char err[256];

    sw_buf_init(&b, 64 * 1024);
    assert_int_equal(
        sw_cw_gms_request_stats(s, stats, n, start, end, &b, err, sizeof(err)),
        SW_EINVAL);
    assert_int_equal(b.len, 0);
    if (!strstr(err, want))
        fail_msg("error '%s' lacks '%s'", err, want);
    sw_buf_release(&b);
}

static void
test_stats_request(void **state)
{
    static const char *const five[] = {"Sum", "SampleCount", "Maximum",
                                       "Minimum", "Average"};
    static const char *const ten[] = {"p1",  "p10", "p25", "p50",   "p75",
                                      "p90", "p95", "p99", "p99.9", "p100"};
    static const char *const six[] = {"Sum",     "SampleCount", "Maximum",
                                      "Minimum", "Average",     "Sum"};
    static const char *const eleven[] = {"p1",    "p10",  "p25", "p50",
                                         "p75",   "p90",  "p95", "p99",
                                         "p99.9", "p100", "p0"};
    static const char *const mixed[] = {"Sum", "p99"};
    static const char *const twice[] = {"p99", "p50", "p99"};
    static const char *const bad[] = {"Sum", "sum"};
    static const char *const one[] = {"Sum"};
    struct sw_series s = orders_series;
    struct sw_metric_query q;
    struct sw_buf b1, b2;

    (void)state;
    /* plain statistics in the caller's order, then Unit */
    s.unit = "Count";
    assert_stats_request(
        &s, five, 5,
        "{\"Namespace\":\"AWS/Kinesis\",\"MetricName\":\"IncomingRecords\","
        "\"Dimensions\":[{\"Name\":\"StreamName\",\"Value\":\"orders\"}],"
        "\"StartTime\":1764150900,\"EndTime\":1764151500,\"Period\":60,"
        "\"Statistics\":[\"Sum\",\"SampleCount\",\"Maximum\",\"Minimum\","
        "\"Average\"],\"Unit\":\"Count\"}");
    s.unit = NULL;
    assert_stats_request(
        &s, ten, 10,
        "{\"Namespace\":\"AWS/Kinesis\",\"MetricName\":\"IncomingRecords\","
        "\"Dimensions\":[{\"Name\":\"StreamName\",\"Value\":\"orders\"}],"
        "\"StartTime\":1764150900,\"EndTime\":1764151500,\"Period\":60,"
        "\"ExtendedStatistics\":[\"p1\",\"p10\",\"p25\",\"p50\",\"p75\","
        "\"p90\",\"p95\",\"p99\",\"p99.9\",\"p100\"]}");

    /* the single-statistic builder is the same request */
    gms_query(&q);
    sw_buf_init(&b1, 4096);
    sw_buf_init(&b2, 4096);
    assert_int_equal(sw_cw_gms_request(&q, &b1, NULL, 0), 0);
    assert_int_equal(sw_cw_gms_request_stats(&orders_series, one, 1, q.start,
                                             q.end, &b2, NULL, 0),
                     0);
    assert_string_equal(sw_buf_str(&b1), sw_buf_str(&b2));
    sw_buf_release(&b1);
    sw_buf_release(&b2);

    assert_stats_refused(&s, six, 6, 1764150900, 1764151500,
                         "6 statistics, more than 5 per call");
    assert_stats_refused(&s, eleven, 11, 1764150900, 1764151500,
                         "11 percentiles, more than 10 per call");
    assert_stats_refused(&s, mixed, 2, 1764150900, 1764151500,
                         "Statistics or ExtendedStatistics, not both");
    assert_stats_refused(&s, twice, 3, 1764150900, 1764151500,
                         "statistic 'p99' is requested twice");
    assert_stats_refused(&s, bad, 2, 1764150900, 1764151500,
                         "statistic 'sum' is not valid");
    assert_stats_refused(&s, one, 0, 1764150900, 1764151500,
                         "no statistic requested");
    assert_stats_refused(&s, NULL, 1, 1764150900, 1764151500,
                         "no statistic requested");
    /* the series and range rules are the single-statistic ones */
    assert_stats_refused(&s, five, 5, 1764150900, 1764150900 + 1441 * 60,
                         "1441 datapoints requested, more than 1440 per call");
    s.period_s = 45;
    assert_stats_refused(&s, five, 5, 1764150900, 1764151500,
                         "period 45 must be 1, 5, 10, 20, 30 or a multiple");
    s = orders_series;
    s.namespace_ = ":x";
    assert_stats_refused(&s, five, 5, 1764150900, 1764151500,
                         "starts with ':'");
    assert_int_equal(
        sw_cw_gms_request_stats(NULL, five, 5, 0, 60, NULL, NULL, 0),
        SW_EINVAL);
}

/* Parse JSON for N STATS expecting success into OUT/NOUT. */
static void
parse_stats_ok(const char *json, const char *const *stats, size_t n,
               struct sw_datapoint **out, size_t *nout)
{
    char err[256];
    int r = sw_cw_gms_parse_stats(json, strlen(json), stats, n, out, nout, err,
                                  sizeof(err));

    if (r != 0)
        fail_msg("parse failed (%d): %s", r, err);
}

static void
parse_stats_bad(const char *json, const char *const *stats, size_t n,
                const char *want)
{
    struct sw_datapoint *out[4] = {(void *)1, (void *)1, (void *)1, (void *)1};
    size_t nout[4] = {9, 9, 9, 9};
    char err[256];

    assert_true(n <= 4);
    assert_int_equal(sw_cw_gms_parse_stats(json, strlen(json), stats, n, out,
                                           nout, err, sizeof(err)),
                     SW_EPARSE);
    for (size_t k = 0; k < n; k++) {
        assert_null(out[k]);
        assert_int_equal(nout[k], 0);
    }
    if (strcmp(err, want) != 0)
        fail_msg("error '%s', want '%s'", err, want);
}

static void
free_all(struct sw_datapoint **out, size_t n)
{
    for (size_t k = 0; k < n; k++)
        free(out[k]);
}

static void
test_stats_parse(void **state)
{
    static const char *const plain[] = {"Sum", "Maximum", "SampleCount"};
    static const char *const pct[] = {"p99", "p50"};
    static const char *const mixed[] = {"p99", "Sum", "SampleCount"};
    struct sw_datapoint *out[3];
    size_t nout[3];

    (void)state;
    /* unordered, one datapoint without Maximum (no value for it then), a
     * duplicate timestamp (the later entry wins for every statistic) */
    parse_stats_ok("{\"Datapoints\":["
                   "{\"Timestamp\":180,\"Sum\":9,\"Maximum\":5,"
                   "\"SampleCount\":3},"
                   "{\"Timestamp\":60.5,\"Sum\":1,\"SampleCount\":1},"
                   "{\"Timestamp\":120,\"Sum\":4,\"Maximum\":3,"
                   "\"SampleCount\":2,\"Unit\":\"Count\"},"
                   "{\"Timestamp\":120,\"Sum\":40,\"Maximum\":30,"
                   "\"SampleCount\":20,\"Unit\":\"None\"}]}",
                   plain, 3, out, nout);
    assert_int_equal(nout[0], 3);
    assert_int_equal(nout[1], 2);
    assert_int_equal(nout[2], 3);
    assert_int_equal(out[0][0].ts, 60);
    assert_true(out[0][0].value == 1 && out[0][0].sample_count == 1);
    assert_int_equal(out[0][1].ts, 120);
    assert_true(out[0][1].value == 40 && out[0][1].sample_count == 20);
    assert_int_equal(out[0][2].ts, 180);
    assert_true(out[0][2].value == 9 && out[0][2].sample_count == 3);
    assert_int_equal(out[1][0].ts, 120);
    assert_true(out[1][0].value == 30 && out[1][0].sample_count == 20);
    assert_int_equal(out[1][1].ts, 180);
    assert_true(out[1][1].value == 5 && out[1][1].sample_count == 3);
    assert_true(out[2][2].value == 3 && out[2][2].sample_count == 3);
    free_all(out, 3);

    /* percentiles: one datapoint lacks p50, another has no
     * ExtendedStatistics at all (statistic sets: no percentiles) while
     * its p99 is the only one asked for... in a multi-statistic call that
     * is no value for either */
    parse_stats_ok("{\"Datapoints\":["
                   "{\"Timestamp\":120,\"ExtendedStatistics\":"
                   "{\"p99\":12,\"p50\":3}},"
                   "{\"Timestamp\":60,\"ExtendedStatistics\":{\"p99\":7}}]}",
                   pct, 2, out, nout);
    assert_int_equal(nout[0], 2);
    assert_int_equal(nout[1], 1);
    assert_true(out[0][0].value == 7 && out[0][1].value == 12);
    assert_true(out[1][0].value == 3 && out[1][0].ts == 120);
    assert_true(out[0][0].sample_count == -1);
    free_all(out, 2);

    /* the parser also takes a mixed list (the request cannot be one):
     * SampleCount joins the percentile's points by time */
    parse_stats_ok("{\"Datapoints\":["
                   "{\"Timestamp\":60,\"Sum\":5,\"SampleCount\":2,"
                   "\"ExtendedStatistics\":{\"p99\":4}},"
                   "{\"Timestamp\":120,\"Sum\":1,\"SampleCount\":1}]}",
                   mixed, 3, out, nout);
    assert_int_equal(nout[0], 1);
    assert_int_equal(nout[1], 2);
    assert_int_equal(nout[2], 2);
    assert_true(out[0][0].value == 4 && out[0][0].sample_count == 2);
    assert_true(out[1][1].value == 1 && out[1][1].sample_count == 1);
    free_all(out, 3);

    /* nothing at all */
    parse_stats_ok("{\"Datapoints\":[]}", plain, 3, out, nout);
    for (size_t k = 0; k < 3; k++) {
        assert_null(out[k]);
        assert_int_equal(nout[k], 0);
    }

    /* a statistic missing everywhere: NULL and 0 for it alone */
    parse_stats_ok("{\"Datapoints\":[{\"Timestamp\":60,\"Sum\":1}]}", plain, 3,
                   out, nout);
    assert_int_equal(nout[0], 1);
    assert_null(out[1]);
    assert_int_equal(nout[1], 0);
    assert_null(out[2]);
    free_all(out, 3);

    parse_stats_bad("{\"Datapoints\":[{\"Timestamp\":60,\"Sum\":1},"
                    "{\"Timestamp\":120,\"Average\":1}]}",
                    plain, 3,
                    "datapoint 1 has none of the 3 statistics requested");
    parse_stats_bad("{\"Datapoints\":[{\"Timestamp\":60,\"Sum\":1}]}", pct, 2,
                    "datapoint 0 has no 'ExtendedStatistics'");
    parse_stats_bad("{\"Datapoints\":[{\"Timestamp\":60,\"ExtendedStatistics\":"
                    "{\"p99\":1,\"p50\":\"2\"}}]}",
                    pct, 2, "datapoint 0: 'p50' is a string, not a number");
    parse_stats_bad("{\"Datapoints\":[{\"Timestamp\":60,\"Sum\":1,"
                    "\"Maximum\":null}]}",
                    plain, 3, "datapoint 0: 'Maximum' is null, not a number");
    parse_stats_bad("{\"Datapoints\":[{\"Sum\":1}]}", plain, 3,
                    "datapoint 0 has no 'Timestamp'");
    parse_stats_bad("{\"Datapoints\":7}", plain, 3,
                    "'Datapoints' is a number, not an array");

    /* argument checks */
    assert_int_equal(
        sw_cw_gms_parse_stats("{}", 2, plain, 0, out, nout, NULL, 0),
        SW_EINVAL);
    assert_int_equal(
        sw_cw_gms_parse_stats("{}", 2, plain, 16, out, nout, NULL, 0),
        SW_EINVAL);
}

/* The multi-statistic parse gives what two single-statistic calls give
 * when joined with sw_datapoints_join_counts(), as agent/ joins a separate
 * SampleCount fetch: each reply below is the multi-statistic one with only
 * that statistic in it.  Duplicate timestamps and gaps included. */
static void
test_stats_join_equivalent(void **state)
{
    static const char *const both[] = {"Average", "SampleCount"};
    static const char reply[] =
        "{\"Datapoints\":["
        "{\"Timestamp\":240,\"Average\":4,\"SampleCount\":4},"
        "{\"Timestamp\":60,\"Average\":1,\"SampleCount\":1},"
        "{\"Timestamp\":120,\"Average\":2},"
        "{\"Timestamp\":120,\"SampleCount\":22},"
        "{\"Timestamp\":180,\"SampleCount\":3},"
        "{\"Timestamp\":300,\"Average\":5},"
        "{\"Timestamp\":60,\"Average\":11,\"SampleCount\":11}]}";
    static const char reply_avg[] = "{\"Datapoints\":["
                                    "{\"Timestamp\":240,\"Average\":4},"
                                    "{\"Timestamp\":60,\"Average\":1},"
                                    "{\"Timestamp\":120,\"Average\":2},"
                                    "{\"Timestamp\":300,\"Average\":5},"
                                    "{\"Timestamp\":60,\"Average\":11}]}";
    static const char reply_cnt[] = "{\"Datapoints\":["
                                    "{\"Timestamp\":240,\"SampleCount\":4},"
                                    "{\"Timestamp\":60,\"SampleCount\":1},"
                                    "{\"Timestamp\":120,\"SampleCount\":22},"
                                    "{\"Timestamp\":180,\"SampleCount\":3},"
                                    "{\"Timestamp\":60,\"SampleCount\":11}]}";
    struct sw_datapoint *out[2], *avg, *cnt;
    size_t nout[2], navg, ncnt;

    (void)state;
    parse_stats_ok(reply, both, 2, out, nout);
    avg = parse_ok(reply_avg, "Average", &navg);
    cnt = parse_ok(reply_cnt, "SampleCount", &ncnt);
    sw_datapoints_join_counts(avg, navg, cnt, ncnt);
    assert_int_equal(nout[0], navg);
    assert_int_equal(nout[1], ncnt);
    for (size_t i = 0; i < navg; i++) {
        assert_int_equal(out[0][i].ts, avg[i].ts);
        assert_true(out[0][i].value == avg[i].value);
        assert_true(out[0][i].sample_count == avg[i].sample_count);
    }
    for (size_t i = 0; i < ncnt; i++) {
        assert_int_equal(out[1][i].ts, cnt[i].ts);
        assert_true(out[1][i].value == cnt[i].value);
        assert_true(out[1][i].sample_count == cnt[i].sample_count);
    }
    /* 60: the later datapoint wins; 120: the count comes from the other
     * datapoint of that time; 300: no count at all */
    assert_int_equal(navg, 4);
    assert_true(out[0][0].value == 11 && out[0][0].sample_count == 11);
    assert_true(out[0][1].value == 2 && out[0][1].sample_count == 22);
    assert_true(out[0][3].value == 5 && out[0][3].sample_count == -1);
    free(avg);
    free(cnt);
    free_all(out, 2);
}

/* --- GetMetricData --- */

static const struct sw_dimension iter_dim[1] = {{"StreamName", "orders"}};
static const struct sw_series iter_series = {
    "AWS/Kinesis",  "GetRecords.IteratorAgeMilliseconds",
    iter_dim,       1,
    "Milliseconds", 60};

/* The GetMetricData request and reply of docs/aws-wire.md section 15,
 * exactly as printed there. */
static const char gmd_doc_printed[] =
    "{\"MetricDataQueries\": [{\"Id\": \"m0\", \"MetricStat\": {\"Metric\": "
    "{\"Namespace\": \"AWS/Kinesis\",\n"
    " \"MetricName\": \"IncomingRecords\", \"Dimensions\": [{\"Name\": "
    "\"StreamName\", \"Value\": \"orders\"}]},\n"
    " \"Period\": 60, \"Stat\": \"Sum\"}, \"ReturnData\": true}, {\"Id\": "
    "\"m1\", \"MetricStat\": {\"Metric\":\n"
    " {\"Namespace\": \"AWS/Kinesis\", \"MetricName\": "
    "\"GetRecords.IteratorAgeMilliseconds\",\n"
    " \"Dimensions\": [{\"Name\": \"StreamName\", \"Value\": \"orders\"}]}, "
    "\"Period\": 60, \"Stat\": \"p99\",\n"
    " \"Unit\": \"Milliseconds\"}, \"ReturnData\": true}], \"StartTime\": "
    "1764150900, \"EndTime\": 1764151500,\n"
    " \"ScanBy\": \"TimestampAscending\"}";
static const char gmd_doc_reply[] =
    "{\"MetricDataResults\": [{\"Id\": \"m1\", \"Label\": "
    "\"GetRecords.IteratorAgeMilliseconds\",\n"
    " \"Timestamps\": [1764151260, 1764151200.5, 1764151260], \"Values\": "
    "[250.0, 180.5, 260.0],\n"
    " \"StatusCode\": \"PartialData\", \"Messages\": [{\"Code\": "
    "\"MaxDatapoints\", \"Value\": \"more data\"}]},\n"
    " {\"Id\": \"m0\", \"Label\": \"IncomingRecords\", \"Timestamps\": "
    "[1764151200, 1764151260],\n"
    " \"Values\": [1487.0, 1520.0], \"StatusCode\": \"Complete\", "
    "\"Messages\": []}],\n"
    " \"NextToken\": \"page-2\", \"Messages\": []}";

/* The same request compactly, as streamwatch sends it. */
static const char gmd_doc_body[] =
    "{\"MetricDataQueries\":[{\"Id\":\"m0\",\"MetricStat\":{\"Metric\":{"
    "\"Namespace\":\"AWS/Kinesis\",\"MetricName\":\"IncomingRecords\","
    "\"Dimensions\":[{\"Name\":\"StreamName\",\"Value\":\"orders\"}]},"
    "\"Period\":60,\"Stat\":\"Sum\"},\"ReturnData\":true},{\"Id\":\"m1\","
    "\"MetricStat\":{\"Metric\":{\"Namespace\":\"AWS/Kinesis\","
    "\"MetricName\":\"GetRecords.IteratorAgeMilliseconds\",\"Dimensions\":[{"
    "\"Name\":\"StreamName\",\"Value\":\"orders\"}]},\"Period\":60,\"Stat\":"
    "\"p99\",\"Unit\":\"Milliseconds\"},\"ReturnData\":true}],\"StartTime\":"
    "1764150900,\"EndTime\":1764151500,\"ScanBy\":\"TimestampAscending\"}";

static void
gmd_doc_queries(struct sw_cw_gmd_query q[2])
{
    q[0].id = "m0";
    q[0].series = &orders_series;
    q[0].stat = "Sum";
    q[1].id = "m1";
    q[1].series = &iter_series;
    q[1].stat = "p99";
}

static void
assert_gmd_refused(const struct sw_cw_gmd_query *q, size_t n, time_t start,
                   time_t end, const char *token, const char *want)
{
    struct sw_buf b;
    char err[256];

    sw_buf_init(&b, SW_CW_GMD_MAX_REQUEST);
    assert_int_equal(
        sw_cw_gmd_request(q, n, start, end, token, &b, err, sizeof(err)),
        SW_EINVAL);
    assert_int_equal(b.len, 0);
    if (!strstr(err, want))
        fail_msg("error '%s' lacks '%s'", err, want);
    sw_buf_release(&b);
}

static void
test_gmd_request(void **state)
{
    struct sw_cw_gmd_query q[2], *many;
    struct sw_series nodims = {"Custom/App", "Latency", NULL, 0, NULL, 10};
    struct sw_series badp = orders_series;
    struct sw_buf b;
    char err[256], ids[501][8], longid[300];
    json_error_t jerr;
    json_t *doc;
    char *compact;

    (void)state;
    gmd_doc_queries(q);
    sw_buf_init(&b, SW_CW_GMD_MAX_REQUEST);
    if (sw_cw_gmd_request(q, 2, 1764150900, 1764151500, NULL, &b, err,
                          sizeof(err)) != 0)
        fail_msg("refused: %s", err);
    assert_string_equal(sw_buf_str(&b), gmd_doc_body);
    /* the document's example is this request, whitespace aside */
    doc = json_loads(gmd_doc_printed, 0, &jerr);
    assert_non_null(doc);
    compact = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(compact, gmd_doc_body);
    free(compact);
    json_decref(doc);

    /* the next page: NextToken between EndTime and ScanBy; no Dimensions
     * for a metric without any */
    sw_buf_reset(&b);
    q[1].series = &nodims;
    q[1].stat = "Average";
    q[1].id = "lat_1Z";
    assert_int_equal(sw_cw_gmd_request(q + 1, 1, 1764150900, 1764151500,
                                       "tok/en==", &b, err, sizeof(err)),
                     0);
    assert_string_equal(
        sw_buf_str(&b),
        "{\"MetricDataQueries\":[{\"Id\":\"lat_1Z\",\"MetricStat\":{\"Metric\":"
        "{\"Namespace\":\"Custom/App\",\"MetricName\":\"Latency\"},\"Period\":"
        "10,\"Stat\":\"Average\"},\"ReturnData\":true}],\"StartTime\":"
        "1764150900,\"EndTime\":1764151500,\"NextToken\":\"tok/en==\","
        "\"ScanBy\":\"TimestampAscending\"}");
    sw_buf_release(&b);

    /* 500 queries are fine, 501 are not; no datapoint limit per call
     * (a year of minutes comes in pages) */
    many = calloc(501, sizeof(*many));
    assert_non_null(many);
    for (size_t i = 0; i < 501; i++) {
        snprintf(ids[i], sizeof(ids[i]), "q%zu", i);
        many[i].id = ids[i];
        many[i].series = &orders_series;
        many[i].stat = "Maximum";
    }
    sw_buf_init(&b, SW_CW_GMD_MAX_REQUEST);
    assert_int_equal(sw_cw_gmd_request(many, 500, 0, 365 * 86400, NULL, &b, err,
                                       sizeof(err)),
                     0);
    sw_buf_release(&b);
    assert_gmd_refused(many, 501, 0, 60, NULL,
                       "501 queries, more than 500 per call");
    many[7].id = "q3";
    assert_gmd_refused(many, 10, 0, 60, NULL,
                       "query 7 ('q3'): id is also query 3's");
    free(many);

    gmd_doc_queries(q);
    assert_gmd_refused(q, 0, 0, 60, NULL, "no queries");
    assert_gmd_refused(NULL, 2, 0, 60, NULL, "no queries");
    q[1].id = "M1";
    assert_gmd_refused(q, 2, 0, 60, NULL,
                       "query 1 ('M1'): id must start with a lower-case");
    q[1].id = "m-1";
    assert_gmd_refused(q, 2, 0, 60, NULL, "hold only letters, digits and '_'");
    q[1].id = "1m";
    assert_gmd_refused(q, 2, 0, 60, NULL, "must start with a lower-case");
    q[1].id = "";
    assert_gmd_refused(q, 2, 0, 60, NULL, "query 1 (''): id is empty");
    q[1].id = NULL;
    assert_gmd_refused(q, 2, 0, 60, NULL, "id is empty");
    memset(longid, 'a', 256);
    longid[256] = '\0';
    q[1].id = longid;
    assert_gmd_refused(q, 2, 0, 60, NULL,
                       "id is 256 bytes long, more than 255");
    longid[255] = '\0';
    sw_buf_init(&b, SW_CW_GMD_MAX_REQUEST);
    assert_int_equal(sw_cw_gmd_request(q, 2, 0, 60, NULL, &b, NULL, 0), 0);
    sw_buf_release(&b);

    gmd_doc_queries(q);
    q[0].stat = "Median";
    assert_gmd_refused(q, 2, 0, 60, NULL,
                       "query 0 ('m0'): statistic 'Median' is not valid");
    q[0].stat = NULL;
    assert_gmd_refused(q, 2, 0, 60, NULL, "statistic '(none)' is not valid");
    gmd_doc_queries(q);
    badp.period_s = 90;
    q[1].series = &badp;
    assert_gmd_refused(q, 2, 0, 60, NULL,
                       "query 1 ('m1'): period 90 must be 1, 5, 10, 20, 30");
    q[1].series = NULL;
    assert_gmd_refused(q, 2, 0, 60, NULL, "query 1 ('m1'): no series");
    gmd_doc_queries(q);
    assert_gmd_refused(q, 2, 60, 60, NULL, "is empty or negative");
    assert_gmd_refused(q, 2, -60, 60, NULL, "is empty or negative");
    assert_gmd_refused(q, 2, 0, 60, "", "next token is empty");
    assert_gmd_refused(q, 2, 0, 60, "\xff", "next token is not valid UTF-8");

    /* a buffer too small leaves the body as it was */
    sw_buf_init(&b, 64);
    assert_int_equal(sw_cw_gmd_request(q, 2, 0, 60, NULL, &b, NULL, 0),
                     SW_ETOOBIG);
    assert_int_equal(b.len, 0);
    sw_buf_release(&b);
}

/* Parse JSON for Q (N) expecting success. */
static struct sw_cw_gmd_result *
gmd_ok(const char *json, const struct sw_cw_gmd_query *q, size_t n,
       char **token)
{
    struct sw_cw_gmd_result *r = (void *)1;
    size_t nr = 99;
    char err[256];
    int rc = sw_cw_gmd_parse(json, strlen(json), q, n, &r, &nr, token, err,
                             sizeof(err));

    if (rc != 0)
        fail_msg("parse failed (%d): %s", rc, err);
    assert_int_equal(nr, n);
    return r;
}

static void
gmd_bad(const char *json, const struct sw_cw_gmd_query *q, size_t n,
        const char *want)
{
    struct sw_cw_gmd_result *r = (void *)1;
    size_t nr = 99, wl = strlen(want);
    char err[256], *token = (char *)1;

    assert_int_equal(sw_cw_gmd_parse(json, strlen(json), q, n, &r, &nr, &token,
                                     err, sizeof(err)),
                     SW_EPARSE);
    assert_null(r);
    assert_int_equal(nr, 0);
    assert_null(token);
    assert_null(strchr(err, '\n'));
    if (want[wl - 1] == '*' ? strncmp(err, want, wl - 1) != 0
                            : strcmp(err, want) != 0)
        fail_msg("error '%s', want '%s'", err, want);
}

static void
test_gmd_parse(void **state)
{
    struct sw_cw_gmd_query q[3];
    struct sw_cw_gmd_result *r;
    char *token;

    (void)state;
    gmd_doc_queries(q);
    q[2].id = "m2";
    q[2].series = &orders_series;
    q[2].stat = "Maximum";
    /* the example reply of docs/aws-wire.md section 15 */
    r = gmd_ok(gmd_doc_reply, q, 2, &token);
    assert_string_equal(token, "page-2");
    free(token);
    assert_string_equal(r[0].status, "Complete");
    assert_int_equal(r[0].n, 2);
    assert_true(r[0].pts[1].value == 1520.0);
    assert_string_equal(r[1].status, "PartialData");
    assert_string_equal(r[1].message, "MaxDatapoints: more data");
    assert_int_equal(r[1].n, 2);
    assert_true(r[1].pts[1].value == 260.0);
    sw_cw_gmd_results_free(r, 2);

    /* results in any order, one query without a result in this page
     * (m2), timestamps out of order and repeated (the later wins),
     * fractions dropped, messages joined and blanked */
    r = gmd_ok("{\"MetricDataResults\":["
               "{\"Id\":\"m1\",\"Label\":\"GetRecords.IteratorAgeMilliseconds"
               "\",\"Timestamps\":[1764151260,1764151200.5,1764151260],"
               "\"Values\":[250.0,180.5,260.0],\"StatusCode\":\"PartialData\","
               "\"Messages\":[{\"Code\":\"MaxDatapoints\",\"Value\":\"more\\n"
               "data\"},{\"Value\":\"x\"},{}]},"
               "{\"Id\":\"m0\",\"Label\":\"IncomingRecords\",\"Timestamps\":"
               "[1764151200,1764151260],\"Values\":[1487.0,1520.0],"
               "\"StatusCode\":\"Complete\",\"Messages\":[]}],"
               "\"NextToken\":\"page-2\",\"Messages\":[]}",
               q, 3, &token);
    assert_string_equal(token, "page-2");
    free(token);
    assert_string_equal(r[0].id, "m0");
    assert_string_equal(r[0].status, "Complete");
    assert_null(r[0].message);
    assert_int_equal(r[0].n, 2);
    assert_int_equal(r[0].pts[0].ts, 1764151200);
    assert_true(r[0].pts[0].value == 1487.0);
    assert_true(r[0].pts[0].sample_count == -1);
    assert_int_equal(r[0].pts[1].ts, 1764151260);
    assert_string_equal(r[1].status, "PartialData");
    assert_string_equal(r[1].message, "MaxDatapoints: more data; x");
    assert_int_equal(r[1].n, 2);
    assert_int_equal(r[1].pts[0].ts, 1764151200);
    assert_true(r[1].pts[0].value == 180.5);
    assert_true(r[1].pts[1].value == 260.0);
    assert_string_equal(r[2].id, "m2");
    assert_null(r[2].status);
    assert_null(r[2].pts);
    assert_int_equal(r[2].n, 0);
    sw_cw_gmd_results_free(r, 3);

    /* empty answers; no NextToken, a null one or an empty one: last page */
    r = gmd_ok("{}", q, 3, &token);
    assert_null(token);
    assert_null(r[0].status);
    sw_cw_gmd_results_free(r, 3);
    r = gmd_ok("{\"MetricDataResults\":[{\"Id\":\"m2\",\"StatusCode\":"
               "\"Forbidden\",\"Timestamps\":null}],\"NextToken\":null}",
               q, 3, &token);
    assert_null(token);
    assert_string_equal(r[2].status, "Forbidden");
    assert_int_equal(r[2].n, 0);
    sw_cw_gmd_results_free(r, 3);
    r = gmd_ok("{\"MetricDataResults\":[{\"Id\":\"m0\",\"StatusCode\":"
               "\"InternalError\",\"Timestamps\":[],\"Values\":[]}],"
               "\"NextToken\":\"\"}",
               q, 3, &token);
    assert_null(token);
    assert_string_equal(r[0].status, "InternalError");
    sw_cw_gmd_results_free(r, 3);
    /* NEXT_TOKEN may be NULL */
    r = gmd_ok("{\"NextToken\":\"t\"}", q, 1, NULL);
    sw_cw_gmd_results_free(r, 1);

    gmd_bad("[]", q, 3, "reply is an array, not a JSON object");
    gmd_bad("{\"MetricDataResults\":", q, 3, "reply is not JSON: *");
    gmd_bad("{\"MetricDataResults\":{}}", q, 3,
            "'MetricDataResults' is an object, not an array");
    gmd_bad("{\"MetricDataResults\":[{},{},{},{}]}", q, 3,
            "'MetricDataResults' has 4 entries, more than 3");
    gmd_bad("{\"MetricDataResults\":[7]}", q, 3,
            "result 0: is a number, not an object");
    gmd_bad("{\"MetricDataResults\":[{\"StatusCode\":\"Complete\"}]}", q, 3,
            "result 0: has no 'Id'");
    gmd_bad("{\"MetricDataResults\":[{\"Id\":1}]}", q, 3,
            "result 0: 'Id' is a number, not a string");
    /* jansson refuses a NUL inside a string before we look */
    gmd_bad("{\"MetricDataResults\":[{\"Id\":\"m0\\u0000x\"}]}", q, 3,
            "reply is not JSON: *");
    gmd_bad("{\"MetricDataResults\":[{\"Id\":\"m9\",\"StatusCode\":"
            "\"Complete\"}]}",
            q, 3, "result 0: 'Id' is not the id of any query");
    gmd_bad("{\"MetricDataResults\":[{\"Id\":\"m1\",\"StatusCode\":"
            "\"Complete\"},{\"Id\":\"m1\",\"StatusCode\":\"Complete\"}]}",
            q, 3, "result 1: 'Id' 'm1' is repeated");
    gmd_bad("{\"MetricDataResults\":[{\"Id\":\"m1\"}]}", q, 3,
            "result 0: 'StatusCode' is missing, not a string");
    gmd_bad("{\"MetricDataResults\":[{\"Id\":\"m1\",\"StatusCode\":"
            "\"complete\"}]}",
            q, 3,
            "result 0: 'StatusCode' is not Complete, PartialData, "
            "InternalError or Forbidden");
    gmd_bad("{\"MetricDataResults\":[{\"Id\":\"m1\",\"StatusCode\":"
            "\"Complete\",\"Label\":5}]}",
            q, 3, "result 0: 'Label' is a number, not a string");
    gmd_bad("{\"MetricDataResults\":[{\"Id\":\"m1\",\"StatusCode\":"
            "\"Complete\",\"Timestamps\":[60],\"Values\":[]}]}",
            q, 3, "result 0: 'Timestamps' has 1 entries but 'Values' 0");
    gmd_bad("{\"MetricDataResults\":[{\"Id\":\"m1\",\"StatusCode\":"
            "\"Complete\",\"Values\":[1]}]}",
            q, 3, "result 0: 'Timestamps' has 0 entries but 'Values' 1");
    gmd_bad("{\"MetricDataResults\":[{\"Id\":\"m1\",\"StatusCode\":"
            "\"Complete\",\"Timestamps\":\"60\",\"Values\":[1]}]}",
            q, 3, "result 0: 'Timestamps' is a string, not an array");
    gmd_bad("{\"MetricDataResults\":[{\"Id\":\"m1\",\"StatusCode\":"
            "\"Complete\",\"Timestamps\":[60,\"2025-11-26T10:00:00Z\"],"
            "\"Values\":[1,2]}]}",
            q, 3, "result 0: timestamp 1 is a string, not a number");
    gmd_bad("{\"MetricDataResults\":[{\"Id\":\"m1\",\"StatusCode\":"
            "\"Complete\",\"Timestamps\":[-1],\"Values\":[1]}]}",
            q, 3, "result 0: timestamp 0 (-1) is out of range");
    gmd_bad("{\"MetricDataResults\":[{\"Id\":\"m1\",\"StatusCode\":"
            "\"Complete\",\"Timestamps\":[1e12],\"Values\":[1]}]}",
            q, 3, "result 0: timestamp 0 (1000000000000) is out of range");
    gmd_bad("{\"MetricDataResults\":[{\"Id\":\"m1\",\"StatusCode\":"
            "\"Complete\",\"Timestamps\":[60],\"Values\":[\"NaN\"]}]}",
            q, 3, "result 0: value 0 is a string, not a number");
    gmd_bad("{\"MetricDataResults\":[{\"Id\":\"m1\",\"StatusCode\":"
            "\"Complete\",\"Timestamps\":[60],\"Values\":[null]}]}",
            q, 3, "result 0: value 0 is null, not a number");
    gmd_bad("{\"MetricDataResults\":[{\"Id\":\"m1\",\"StatusCode\":"
            "\"Complete\",\"Messages\":{}}]}",
            q, 3, "result 0: 'Messages' is an object, not an array");
    gmd_bad("{\"MetricDataResults\":[{\"Id\":\"m1\",\"StatusCode\":"
            "\"Complete\",\"Messages\":[\"x\"]}]}",
            q, 3, "result 0: message 0 is a string, not an object");
    gmd_bad("{\"MetricDataResults\":[{\"Id\":\"m1\",\"StatusCode\":"
            "\"Complete\",\"Messages\":[{\"Code\":1}]}]}",
            q, 3, "result 0: message 0: 'Code' is a number, not a string");
    gmd_bad("{\"Messages\":[{\"Value\":[]}]}", q, 3,
            "message 0: 'Value' is an array, not a string");
    gmd_bad("{\"NextToken\":5}", q, 3, "'NextToken' is a number, not a string");
    gmd_bad("{\"NextToken\":\"a\\u0000b\"}", q, 3, "reply is not JSON: *");

    assert_int_equal(
        sw_cw_gmd_parse("{}", 2, q, 0, &r, &(size_t){0}, NULL, NULL, 0),
        SW_EINVAL);
    assert_int_equal(
        sw_cw_gmd_parse("{}", 2, NULL, 1, &r, &(size_t){0}, NULL, NULL, 0),
        SW_EINVAL);
}

/* Long Messages are cut at a character boundary; control characters
 * become spaces. */
static void
test_gmd_parse_message(void **state)
{
    struct sw_cw_gmd_query q[1] = {{"m0", &orders_series, "Sum"}};
    struct sw_cw_gmd_result *r;
    struct sw_buf b;
    size_t n;
    char *json;

    (void)state;
    sw_buf_init(&b, 1u << 20);
    assert_int_equal(sw_buf_adds(&b, "{\"MetricDataResults\":[{\"Id\":\"m0\","
                                     "\"StatusCode\":\"Complete\","
                                     "\"Messages\":[{\"Code\":\"\\u001b[31m\","
                                     "\"Value\":\""),
                     0);
    for (size_t i = 0; i < 600; i++)
        assert_int_equal(sw_buf_adds(&b, "\xc3\xa9"), 0); /* é */
    assert_int_equal(sw_buf_adds(&b, "\"}]}]}"), 0);
    json = sw_buf_steal(&b, &n);
    r = gmd_ok(json, q, 1, NULL);
    assert_non_null(r[0].message);
    assert_true(strlen(r[0].message) <= 1024);
    assert_true(strlen(r[0].message) >= 1020);
    assert_int_equal(strncmp(r[0].message, " [31m: \xc3\xa9", 9), 0);
    /* valid UTF-8: whole characters only */
    assert_int_equal(((strlen(r[0].message) - 7) % 2), 0);
    sw_cw_gmd_results_free(r, 1);
    free(json);
}

static char *
gmd_big_reply(size_t count)
{
    struct sw_buf b;
    size_t n;

    sw_buf_init(&b, 64u << 20);
    assert_int_equal(sw_buf_adds(&b, "{\"MetricDataResults\":["), 0);
    for (size_t r = 0; r < 2; r++) {
        assert_int_equal(sw_buf_addf(&b,
                                     "%s{\"Id\":\"m%zu\",\"StatusCode\":"
                                     "\"Complete\",\"Timestamps\":[",
                                     r ? "," : "", r),
                         0);
        for (size_t i = 0; i < count; i++)
            assert_int_equal(sw_buf_addf(&b, "%s%zu", i ? "," : "", i * 60), 0);
        assert_int_equal(sw_buf_adds(&b, "],\"Values\":["), 0);
        for (size_t i = 0; i < count; i++)
            assert_int_equal(sw_buf_addf(&b, "%s%zu", i ? "," : "", i), 0);
        assert_int_equal(sw_buf_adds(&b, "]}"), 0);
    }
    assert_int_equal(sw_buf_adds(&b, "]}"), 0);
    return sw_buf_steal(&b, &n);
}

static void
test_gmd_parse_huge(void **state)
{
    struct sw_cw_gmd_query q[2] = {{"m0", &orders_series, "Sum"},
                                   {"m1", &orders_series, "Maximum"}};
    struct sw_cw_gmd_result *r;
    char *json;

    (void)state;
    /* a full page of 100,800 points per query, twice */
    json = gmd_big_reply(SW_CW_GMD_MAX_DATAPOINTS);
    r = gmd_ok(json, q, 2, NULL);
    assert_int_equal(r[1].n, SW_CW_GMD_MAX_DATAPOINTS);
    assert_int_equal(r[1].pts[100799].ts, 100799 * 60);
    sw_cw_gmd_results_free(r, 2);
    free(json);
    json = gmd_big_reply(252001);
    gmd_bad(json, q, 2, "result 1: reply has more than 504000 datapoints");
    free(json);
}

static void
test_gmd_merge(void **state)
{
    struct sw_cw_gmd_query q[2] = {{"a", &orders_series, "Sum"},
                                   {"b", &orders_series, "Maximum"}};
    struct sw_cw_gmd_result *acc, *page;
    char *token;

    (void)state;
    acc = gmd_ok("{\"MetricDataResults\":["
                 "{\"Id\":\"a\",\"StatusCode\":\"PartialData\",\"Timestamps\":"
                 "[0,60],\"Values\":[1,2],\"Messages\":[{\"Value\":\"more\"}]},"
                 "{\"Id\":\"b\",\"StatusCode\":\"PartialData\",\"Timestamps\":"
                 "[0],\"Values\":[5]}],\"NextToken\":\"p2\"}",
                 q, 2, &token);
    assert_string_equal(token, "p2");
    free(token);
    /* page 2 answers a only; one timestamp again, with a new value */
    page = gmd_ok("{\"MetricDataResults\":[{\"Id\":\"a\",\"StatusCode\":"
                  "\"Complete\",\"Timestamps\":[120,60],\"Values\":[3,20]}]}",
                  q, 2, &token);
    assert_null(token);
    assert_int_equal(sw_cw_gmd_merge(acc, page, 2), 0);
    assert_int_equal(acc[0].n, 3);
    assert_true(acc[0].pts[0].value == 1 && acc[0].pts[1].value == 20 &&
                acc[0].pts[2].value == 3);
    assert_int_equal(acc[0].pts[2].ts, 120);
    assert_string_equal(acc[0].status, "Complete");
    assert_null(acc[0].message);
    /* b: no answer in the page, so its status stays */
    assert_int_equal(acc[1].n, 1);
    assert_string_equal(acc[1].status, "PartialData");
    assert_null(page[0].pts);
    assert_int_equal(page[0].n, 0);
    assert_null(page[0].status);
    sw_cw_gmd_results_free(page, 2);
    sw_cw_gmd_results_free(acc, 2);
    sw_cw_gmd_results_free(NULL, 3);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_exact),
        cmocka_unit_test(test_request_variants),
        cmocka_unit_test(test_request_limits),
        cmocka_unit_test(test_parse_sorted),
        cmocka_unit_test(test_parse_extended),
        cmocka_unit_test(test_parse_empty),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_parse_stat),
        cmocka_unit_test(test_parse_huge),
        cmocka_unit_test(test_stats_request),
        cmocka_unit_test(test_stats_parse),
        cmocka_unit_test(test_stats_join_equivalent),
        cmocka_unit_test(test_gmd_request),
        cmocka_unit_test(test_gmd_parse),
        cmocka_unit_test(test_gmd_parse_message),
        cmocka_unit_test(test_gmd_parse_huge),
        cmocka_unit_test(test_gmd_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
