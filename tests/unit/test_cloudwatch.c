/* tests/unit/test_cloudwatch.c - aws/cloudwatch builders and parsers:
 * the exact JSON 1.0 request of docs/aws-wire.md section 5, percentile
 * requests, the API limits listed there, and GetMetricStatistics
 * replies good and bad.  The network call itself is exercised by the
 * client and integration tests. */
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
