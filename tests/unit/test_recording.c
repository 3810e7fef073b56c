/* tests/unit/test_recording.c - agent/recording: the CSV format, exact
 * series matching, aggregation into periods, and every parse error. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/recording.h"
#include "lib/clock.h"
#include "lib/err.h"

#define T0 1795564800 /* 2026-11-25T00:00:00Z */

static const char small[] =
    "\xef\xbb\xbf# a comment before the header\r\n"
    "timestamp,namespace,metric,dimensions,Sum,Average,Minimum,Maximum,"
    "SampleCount,p99\r\n"
    "\r\n"
    "2026-11-25T00:00:00Z,AWS/Kinesis,IncomingRecords,StreamName=sample,"
    "4,2,1,3,2,3\r\n"
    "# comments may sit between rows\n"
    "2026-11-25T00:01:00Z,AWS/Kinesis,IncomingRecords,StreamName=sample,"
    "6,1,0.5,4,6,3.5\n"
    /* 00:02 missing; 00:03 only in a different series. */
    "2026-11-25T00:03:00Z,AWS/Kinesis,IncomingRecords,StreamName=other,"
    "100,100,100,100,1,100\n"
    "2026-11-25T00:04:00Z,AWS/Kinesis,IncomingRecords,StreamName=sample,"
    "10,,,,,\n"
    /* rows need not be in order */
    "2026-11-25T00:05:00Z,AWS/Kinesis,IncomingRecords,StreamName=sample,"
    "1,1,1,1,1,1\n"
    "2026-11-25T00:03:00Z,AWS/Kinesis,IncomingRecords,StreamName=sample,"
    "5,5,5,5,1,5\n"
    "2026-11-25T00:00:00Z,AWS/Kinesis,GetRecords.Records,"
    "ShardId=s-1;StreamName=sample,7,7,7,7,1,7";

static struct sw_recording *
parse_ok(const char *text)
{
    struct sw_recording *rec = NULL;
    char err[512];
    int r = sw_recording_parse_buf("t.csv", text, strlen(text), &rec, err,
                                   sizeof(err));

    if (r != 0)
        fail_msg("parse failed: %d %s", r, err);
    return rec;
}

static size_t
fetch(const struct sw_recording *rec, const char *metric,
      const struct sw_dimension *dims, size_t nd, const char *stat, int period,
      time_t start, time_t end, struct sw_datapoint **pts)
{
    struct sw_metric_query q = {"AWS/Kinesis", metric, dims,  nd, stat,
                                NULL,          period, start, end};
    char err[256];
    size_t n;

    assert_int_equal(sw_recording_fetch(rec, &q, pts, &n, err, sizeof(err)), 0);
    return n;
}

static const struct sw_dimension sample_dim[] = {{"StreamName", "sample"}};

static void
test_fetch_minutes(void **state)
{
    struct sw_recording *rec = parse_ok(small);
    struct sw_datapoint *p;
    time_t first, last;
    size_t n;

    (void)state;
    n = fetch(rec, "IncomingRecords", sample_dim, 1, "Sum", 60, T0, T0 + 600,
              &p);
    /* 00:02 has no row: missing data, not zero. */
    assert_int_equal(n, 5);
    assert_int_equal(p[0].ts, T0);
    assert_true(p[0].value == 4);
    assert_true(p[0].sample_count == 2);
    assert_int_equal(p[2].ts, T0 + 180);
    assert_true(p[2].value == 5);
    assert_int_equal(p[3].ts, T0 + 240);
    assert_true(p[3].value == 10);
    assert_true(p[3].sample_count == -1); /* SampleCount not recorded */
    free(p);

    /* An empty cell is not recorded: 00:04 has no Average. */
    n = fetch(rec, "IncomingRecords", sample_dim, 1, "Average", 60, T0,
              T0 + 600, &p);
    assert_int_equal(n, 4);
    assert_int_equal(p[3].ts, T0 + 300);
    free(p);

    /* [start, end): the end is exclusive. */
    n = fetch(rec, "IncomingRecords", sample_dim, 1, "Sum", 60, T0 + 60,
              T0 + 180, &p);
    assert_int_equal(n, 1);
    assert_int_equal(p[0].ts, T0 + 60);
    free(p);
    n = fetch(rec, "IncomingRecords", sample_dim, 1, "Sum", 60, T0 + 600,
              T0 + 6000, &p);
    assert_int_equal(n, 0);
    assert_null(p);

    /* Percentiles at the recording's own resolution. */
    n = fetch(rec, "IncomingRecords", sample_dim, 1, "p99", 60, T0, T0 + 120,
              &p);
    assert_int_equal(n, 2);
    assert_true(p[1].value == 3.5);
    free(p);

    sw_recording_span(rec, &first, &last);
    assert_int_equal(first, T0);
    assert_int_equal(last, T0 + 300);
    sw_recording_free(rec);
}

static void
test_fetch_aggregates(void **state)
{
    struct sw_recording *rec = parse_ok(small);
    struct sw_datapoint *p;
    size_t n;

    (void)state;
    /* 300 s buckets aligned to the epoch: [00:00, 00:05) and [00:05, ...) */
    n = fetch(rec, "IncomingRecords", sample_dim, 1, "Sum", 300, T0, T0 + 600,
              &p);
    assert_int_equal(n, 2);
    assert_int_equal(p[0].ts, T0);
    assert_true(p[0].value == 4 + 6 + 5 + 10);
    /* One row of the bucket has no SampleCount: total unknown. */
    assert_true(p[0].sample_count == -1);
    assert_int_equal(p[1].ts, T0 + 300);
    assert_true(p[1].value == 1);
    free(p);

    n = fetch(rec, "IncomingRecords", sample_dim, 1, "SampleCount", 300, T0,
              T0 + 300, &p);
    assert_int_equal(n, 1);
    assert_true(p[0].value == 2 + 6 + 1);
    assert_true(p[0].sample_count == 9);
    free(p);

    n = fetch(rec, "IncomingRecords", sample_dim, 1, "Minimum", 300, T0,
              T0 + 300, &p);
    assert_true(p[0].value == 0.5);
    free(p);
    n = fetch(rec, "IncomingRecords", sample_dim, 1, "Maximum", 300, T0,
              T0 + 300, &p);
    assert_true(p[0].value == 5);
    free(p);

    /* Weighted by SampleCount: (2*2 + 1*6 + 5*1) / 9. */
    n = fetch(rec, "IncomingRecords", sample_dim, 1, "Average", 300, T0,
              T0 + 300, &p);
    assert_int_equal(n, 1);
    assert_float_equal(p[0].value, 15.0 / 9.0, 1e-12);
    free(p);

    /* A start inside a bucket still labels it by its aligned start. */
    n = fetch(rec, "IncomingRecords", sample_dim, 1, "Sum", 300, T0 + 120,
              T0 + 300, &p);
    assert_int_equal(n, 1);
    assert_int_equal(p[0].ts, T0);
    assert_true(p[0].value == 15);
    free(p);
    sw_recording_free(rec);
}

static void
test_average_without_counts(void **state)
{
    struct sw_recording *rec =
        parse_ok("timestamp,namespace,metric,dimensions,Average\n"
                 "2026-11-25T00:00:00Z,AWS/Kinesis,M,,1\n"
                 "2026-11-25T00:01:00Z,AWS/Kinesis,M,,4\n");
    struct sw_datapoint *p;
    size_t n;

    (void)state;
    /* No SampleCount column: the mean of the averages.  No dimensions
     * matches an empty dimension set. */
    n = fetch(rec, "M", NULL, 0, "Average", 120, T0, T0 + 120, &p);
    assert_int_equal(n, 1);
    assert_true(p[0].value == 2.5);
    assert_true(p[0].sample_count == -1);
    free(p);
    sw_recording_free(rec);
}

static void
test_series_matching(void **state)
{
    struct sw_recording *rec = parse_ok(small);
    const struct sw_dimension two[] = {{"StreamName", "sample"},
                                       {"ShardId", "s-1"}};
    const struct sw_dimension other[] = {{"StreamName", "nope"}};
    struct sw_datapoint *p;
    struct sw_metric_query q = {
        "AWS/Other", "IncomingRecords", sample_dim, 1, "Sum", NULL, 60,
        T0,          T0 + 600};
    char err[256];
    size_t n;

    (void)state;
    /* Dimension order does not matter; the set must match exactly. */
    n = fetch(rec, "GetRecords.Records", two, 2, "Sum", 60, T0, T0 + 60, &p);
    assert_int_equal(n, 1);
    assert_true(p[0].value == 7);
    free(p);
    assert_int_equal(fetch(rec, "GetRecords.Records", sample_dim, 1, "Sum", 60,
                           T0, T0 + 60, &p),
                     0);
    assert_int_equal(
        fetch(rec, "IncomingRecords", other, 1, "Sum", 60, T0, T0 + 600, &p),
        0);
    assert_int_equal(
        fetch(rec, "IncomingRecords", NULL, 0, "Sum", 60, T0, T0 + 600, &p), 0);
    assert_int_equal(fetch(rec, "incomingrecords", sample_dim, 1, "Sum", 60, T0,
                           T0 + 600, &p),
                     0);
    assert_int_equal(sw_recording_fetch(rec, &q, &p, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 0);
    sw_recording_free(rec);
}

static void
test_fetch_errors(void **state)
{
    struct sw_recording *rec = parse_ok(small);
    struct sw_metric_query q = {
        "AWS/Kinesis", "IncomingRecords", sample_dim, 1, "p99", NULL, 300, T0,
        T0 + 600};
    struct sw_datapoint *p;
    char err[256];
    size_t n;

    (void)state;
    assert_int_equal(sw_recording_fetch(rec, &q, &p, &n, err, sizeof(err)),
                     SW_EINVAL);
    assert_string_equal(err, "cannot aggregate percentile p99 over 300 s "
                             "from a 60 s recording");
    assert_null(p);
    q.stat = "p50";
    q.period_s = 60;
    assert_int_equal(sw_recording_fetch(rec, &q, &p, &n, err, sizeof(err)),
                     SW_EINVAL);
    assert_string_equal(err, "t.csv: no 'p50' column in the recording");
    q.stat = "Sum";
    q.period_s = 30;
    assert_int_equal(sw_recording_fetch(rec, &q, &p, &n, err, sizeof(err)),
                     SW_EINVAL);
    assert_string_equal(err, "cannot serve 30 s periods from a 60 s recording");
    q.period_s = 0;
    assert_int_equal(sw_recording_fetch(rec, &q, &p, &n, err, sizeof(err)),
                     SW_EINVAL);
    sw_recording_free(rec);
}

static void
test_quoting(void **state)
{
    struct sw_recording *rec =
        parse_ok("timestamp,namespace,metric,dimensions,Sum\n"
                 "2026-11-25T00:00:00Z,\"My,NS\",\"a \"\"quoted\"\" metric\","
                 "\"StreamName=a,b\",3\n");
    const struct sw_dimension d[] = {{"StreamName", "a,b"}};
    struct sw_metric_query q = {
        "My,NS", "a \"quoted\" metric", d, 1, "Sum", NULL, 60, T0, T0 + 60};
    struct sw_datapoint *p;
    char err[256];
    size_t n;

    (void)state;
    assert_int_equal(sw_recording_fetch(rec, &q, &p, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 1);
    assert_true(p[0].value == 3);
    free(p);
    sw_recording_free(rec);
}

struct bad {
    const char *text;
    const char *err;
};

#define HDR "timestamp,namespace,metric,dimensions,Sum,SampleCount\n"
#define TS  "2026-11-25T00:00:00Z"

static void
test_parse_errors(void **state)
{
    static const struct bad cases[] = {
        {"", "t.csv:1: missing header line (timestamp,namespace,metric,"
             "dimensions,Sum,...)"},
        {"# only a comment\n", "t.csv:1: missing header line "
                               "(timestamp,namespace,metric,dimensions,"
                               "Sum,...)"},
        {"timestamp,namespace,metric,dimensions\n",
         "t.csv:1: header must be timestamp,namespace,metric,dimensions "
         "followed by statistic columns"},
        {"time,namespace,metric,dimensions,Sum\n",
         "t.csv:1: header column 1 must be 'timestamp'"},
        {"timestamp,namespace,metric,dimensions,Total\n",
         "t.csv:1: header column 5: 'Total' is not a statistic"},
        {"timestamp,namespace,metric,dimensions,Sum,Sum\n",
         "t.csv:1: header: duplicate column 'Sum'"},
        {HDR TS ",AWS/Kinesis,M,,1\n", "t.csv:2: expected 6 fields, found 5"},
        {HDR "2026-11-25 00:00,AWS/Kinesis,M,,1,1\n",
         "t.csv:2: bad timestamp '2026-11-25 00:00'"},
        {HDR "2026-11-25T00:00:30Z,AWS/Kinesis,M,,1,1\n",
         "t.csv:2: timestamp '2026-11-25T00:00:30Z' is not on a minute"},
        {HDR TS ",,M,,1,1\n", "t.csv:2: empty namespace"},
        {HDR TS ",AWS/Kinesis,,,1,1\n", "t.csv:2: empty metric"},
        {HDR TS ",AWS/Kinesis,M,StreamName,1,1\n",
         "t.csv:2: dimension 'StreamName' is not Name=Value"},
        {HDR TS ",AWS/Kinesis,M,A=1;A=2,1,1\n",
         "t.csv:2: dimension 'A' given twice"},
        {HDR TS ",AWS/Kinesis,M,A=,1,1\n", "t.csv:2: empty dimension value"},
        {HDR TS ",AWS/Kinesis,M,A=b=c,1,1\n",
         "t.csv:2: '=' in a dimension value"},
        {HDR TS ",AWS/Kinesis,M,A=1;,1,1\n",
         "t.csv:2: dimension '' is not Name=Value"},
        {HDR TS ",AWS/Kinesis,M,,ten,1\n", "t.csv:2: Sum: bad number 'ten'"},
        {HDR TS ",AWS/Kinesis,M,,nan,1\n", "t.csv:2: Sum: bad number 'nan'"},
        {HDR TS ",AWS/Kinesis,M,,1,-1\n",
         "t.csv:2: SampleCount: negative value '-1'"},
        {HDR TS ",\"AWS/Kinesis,M,,1,1\n",
         "t.csv:2: unterminated quoted field"},
        {HDR TS ",\"AWS\"x,M,,1,1\n",
         "t.csv:2: unexpected text after a quoted field"},
        {HDR TS ",AW\"S,M,,1,1\n", "t.csv:2: quote inside an unquoted field"},
        {HDR TS ",AWS\tKinesis,M,,1,1\n",
         "t.csv:2: control character in namespace"},
        {HDR TS ",AWS/Kinesis,M,,1,1\n" TS ",AWS/Kinesis,N,,1,1\n"
                "\n" TS ",AWS/Kinesis,M,,2,1\n",
         "t.csv:5: duplicate row for AWS/Kinesis M at 2026-11-25T00:00:00Z "
         "(first at line 2)"},
    };
    struct sw_recording *rec;
    char err[512];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = sw_recording_parse_buf("t.csv", cases[i].text,
                                       strlen(cases[i].text), &rec, err,
                                       sizeof(err));
        if (r != SW_EPARSE || rec != NULL || strcmp(err, cases[i].err) != 0)
            fail_msg("case %zu: r=%d err='%s', want '%s'", i, r, err,
                     cases[i].err);
    }
    /* A NUL byte inside a line. */
    assert_int_equal(sw_recording_parse_buf("t.csv", HDR "2\0x\n",
                                            sizeof(HDR) + 4, &rec, err,
                                            sizeof(err)),
                     SW_EPARSE);
    assert_string_equal(err, "t.csv:2: NUL byte");
}

static void
test_source_from_file(void **state)
{
    char path[] = "/tmp/sw_rec_XXXXXX";
    char err[512];
    struct sw_source *src;
    struct sw_datapoint *p;
    struct sw_metric_query q = {
        "AWS/Kinesis", "IncomingRecords", sample_dim, 1, "Sum", NULL, 60, T0,
        T0 + 600};
    size_t n;
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, small, sizeof(small) - 1),
                     (ssize_t)(sizeof(small) - 1));
    close(fd);
    assert_int_equal(sw_source_recording_new(path, &src, err, sizeof(err)), 0);
    assert_string_equal(src->ops->name, "recording");
    assert_int_equal(src->ops->fetch(src, &q, &p, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 5);
    free(p);
    src->ops->free(src);
    unlink(path);

    assert_int_equal(sw_source_recording_new(path, &src, err, sizeof(err)),
                     SW_ENOENT);
    assert_null(src);
    assert_non_null(strstr(err, path));
    assert_int_equal(sw_source_recording_new("/tmp", &src, err, sizeof(err)),
                     SW_EIO);
    assert_string_equal(err, "/tmp: not a regular file");
}

/* The demo's recording parses and shows what the demo relies on. */
static void
test_demo_recording(void **state)
{
    const char *data = getenv("SW_TEST_DATA");
    char path[1024], err[512];
    struct sw_recording *rec;
    struct sw_datapoint *p;
    size_t n, over = 0;

    (void)state;
    if (!data) {
        skip();
        return;
    }
    snprintf(path, sizeof(path), "%s/../../examples/demo/stream-day.csv", data);
    if (access(path, R_OK) != 0) {
        skip();
        return;
    }
    assert_int_equal(sw_recording_load(path, &rec, err, sizeof(err)), 0);
    /* The morning burst crosses 10 records a minute. */
    n = fetch(rec, "IncomingRecords", sample_dim, 1, "Sum", 60, T0 + 8 * 3600,
              T0 + 10 * 3600 + 1800, &p);
    for (size_t i = 0; i < n; i++)
        over += p[i].value > 10;
    assert_true(over > 100);
    free(p);
    /* The consumer stalls 14:00-15:30. */
    n = fetch(rec, "GetRecords.Records", sample_dim, 1, "Sum", 60,
              T0 + 14 * 3600 + 600, T0 + 15 * 3600, &p);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++)
        assert_true(p[i].value < 1);
    free(p);
    sw_recording_free(rec);
}

/* Regression (found by fuzzing): a header-only file has no rows, and the
 * sort was called with a NULL array, which is undefined behaviour even for
 * zero elements.  It parses, spans nothing and answers no datapoints. */
static void
test_header_only(void **state)
{
    static const char *const texts[] = {
        HDR, "# comment\n" HDR "# trailing comment\n",
        HDR TS ",AWS/Kinesis,IncomingRecords,StreamName=sample,5,1\n"};
    struct sw_metric_query q = {
        "AWS/Kinesis", "IncomingRecords", sample_dim, 1, "Sum", NULL, 60, T0,
        T0 + 600};
    struct sw_recording *rec;
    struct sw_datapoint *p;
    time_t first, last;
    char err[256];
    size_t n;

    (void)state;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        rec = NULL;
        if (sw_recording_parse_buf("t.csv", texts[i], strlen(texts[i]), &rec,
                                   err, sizeof(err)) != 0)
            fail_msg("case %zu: %s", i, err);
        sw_recording_span(rec, &first, &last);
        if (i < 2) {
            assert_int_equal(first, 0);
            assert_int_equal(last, 0);
        }
        assert_int_equal(sw_recording_fetch(rec, &q, &p, &n, err, sizeof(err)),
                         0);
        assert_int_equal(n, i < 2 ? 0 : 1);
        free(p);
        sw_recording_free(rec);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fetch_minutes),
        cmocka_unit_test(test_fetch_aggregates),
        cmocka_unit_test(test_average_without_counts),
        cmocka_unit_test(test_series_matching),
        cmocka_unit_test(test_fetch_errors),
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_header_only),
        cmocka_unit_test(test_source_from_file),
        cmocka_unit_test(test_demo_recording),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
