/* tests/unit/test_backtest.c - agent/backtest, agent/record,
 * agent/source_mem and agent/conf_set: CloudWatch's retention rules, the
 * memory source's windows, a backtest's changes, time in each state and
 * notifications, the recording written for an alarm set, and --set
 * arguments. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/backtest.h"
#include "agent/conf.h"
#include "agent/record.h"
#include "agent/source.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/str.h"
#include "rules/rule.h"

#define T0  1795564800 /* 2026-11-25T00:00:00Z */
#define DAY 86400

static struct sw_dimension dims[] = {{"StreamName", "sample"}};

static struct sw_metric_query
query(const char *stat, int period, time_t start, time_t end)
{
    struct sw_metric_query q;

    memset(&q, 0, sizeof(q));
    q.namespace_ = "AWS/Kinesis";
    q.metric = "IncomingRecords";
    q.dims = dims;
    q.ndims = 1;
    q.stat = stat;
    q.period_s = period;
    q.start = start;
    q.end = end;
    return q;
}

static void
test_retention(void **state)
{
    struct sw_metric_query q;
    time_t now = T0 + 500 * DAY;
    char err[512];

    (void)state;
    /* 60 s data: 15 days. */
    q = query("Sum", 60, now - 15 * DAY, now);
    assert_int_equal(sw_backtest_retention(&q, now, err, sizeof(err)), 0);
    q.start -= 60;
    assert_int_equal(sw_backtest_retention(&q, now, err, sizeof(err)),
                     SW_EINVAL);
    assert_non_null(strstr(err, "older than 15 days"));
    assert_non_null(strstr(err, "multiple of 300"));
    /* 300 s data: 63 days; then hours; nothing beyond 455 days. */
    q = query("Sum", 300, now - 63 * DAY, now);
    assert_int_equal(sw_backtest_retention(&q, now, err, sizeof(err)), 0);
    q.start -= 300;
    assert_int_equal(sw_backtest_retention(&q, now, err, sizeof(err)),
                     SW_EINVAL);
    assert_non_null(strstr(err, "multiple of 3600"));
    q = query("Sum", 3600, now - 455 * DAY, now);
    assert_int_equal(sw_backtest_retention(&q, now, err, sizeof(err)), 0);
    q.start -= 3600;
    assert_int_equal(sw_backtest_retention(&q, now, err, sizeof(err)),
                     SW_EINVAL);
    assert_non_null(strstr(err, "455 days"));
    /* High resolution: 3 hours. */
    q = query("Sum", 10, now - 3 * 3600, now);
    assert_int_equal(sw_backtest_retention(&q, now, err, sizeof(err)), 0);
    q.start -= 10;
    assert_int_equal(sw_backtest_retention(&q, now, err, sizeof(err)),
                     SW_EINVAL);
    assert_non_null(strstr(err, "3 hours"));
}

static void
test_memory_source(void **state)
{
    struct sw_metric_query q = query("Sum", 60, T0, T0 + 600);
    struct sw_datapoint pts[10], *out = NULL;
    struct sw_source *s = NULL;
    struct sw_dimension other[] = {{"StreamName", "other"}};
    char err[256];
    size_t n;

    (void)state;
    for (int i = 0; i < 10; i++) {
        pts[9 - i].ts = T0 + 60 * i; /* given out of order */
        pts[9 - i].value = i;
        pts[9 - i].sample_count = -1;
    }
    assert_int_equal(sw_source_memory_new(&s), 0);
    assert_int_equal(sw_source_memory_add(s, &q, pts, 10), 0);
    q.start = T0 + 120;
    q.end = T0 + 300;
    assert_int_equal(sw_source_fetch(s, &q, &out, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 3);
    assert_true(out[0].ts == T0 + 120 && out[0].value == 2);
    assert_true(out[2].ts == T0 + 240);
    free(out);
    /* Outside what was fetched is an error, never missing data. */
    q.end = T0 + 660;
    assert_int_equal(sw_source_fetch(s, &q, &out, &n, err, sizeof(err)),
                     SW_EINVAL);
    assert_non_null(strstr(err, "no history fetched"));
    q = query("Average", 60, T0, T0 + 60);
    assert_int_equal(sw_source_fetch(s, &q, &out, &n, err, sizeof(err)),
                     SW_EINVAL);
    q = query("Sum", 60, T0, T0 + 60);
    q.dims = other;
    assert_int_equal(sw_source_fetch(s, &q, &out, &n, err, sizeof(err)),
                     SW_EINVAL);
    sw_source_free(s);
}

static struct sw_rule *
rule(const char *name, double threshold, int n, int m)
{
    struct sw_rule *r = sw_rule_new();

    assert_non_null(r);
    r->name = sw_strdup(name);
    r->namespace_ = sw_strdup("AWS/Kinesis");
    r->metric = sw_strdup("IncomingRecords");
    r->stat = sw_strdup("Sum");
    r->period_s = 60;
    r->threshold = threshold;
    r->cmp = SW_CMP_GT;
    r->evaluation_periods = n;
    r->datapoints_to_alarm = m;
    r->dims = calloc(1, sizeof(*r->dims));
    assert_non_null(r->dims);
    r->dims[0].name = sw_strdup("StreamName");
    r->dims[0].value = sw_strdup("sample");
    r->ndims = 1;
    assert_int_equal(sw_strv_push(&r->alarm_actions, "log"), 0);
    assert_int_equal(sw_strv_push(&r->ok_actions, "log"), 0);
    return r;
}

/* One point a minute from T0 - 1 h to T0 + 2 h: 50 from 00:30 to 00:59,
 * else 1, and no point at all from 01:20 to 01:29. */
static struct sw_source *
history(void)
{
    size_t n = 180, k = 0;
    struct sw_datapoint *pts = calloc(n, sizeof(*pts));
    struct sw_metric_query q = query("Sum", 60, T0 - 3600, T0 + 7200);
    struct sw_source *s = NULL;

    assert_non_null(pts);
    for (size_t i = 0; i < n; i++) {
        time_t t = T0 - 3600 + 60 * (time_t)i;
        if (t >= T0 + 80 * 60 && t < T0 + 90 * 60)
            continue;
        pts[k].ts = t;
        pts[k].value = t >= T0 + 1800 && t < T0 + 3600 ? 50 : 1;
        pts[k].sample_count = -1;
        k++;
    }
    assert_int_equal(sw_source_memory_new(&s), 0);
    assert_int_equal(sw_source_memory_add(s, &q, pts, k), 0);
    free(pts);
    return s;
}

static void
test_run(void **state)
{
    struct sw_rule *r = rule("high", 10, 3, 2);
    const struct sw_rule *rules[] = {r};
    struct sw_source *s = history();
    struct sw_backtest_in in;
    struct sw_backtest b;
    char err[512];

    (void)state;
    memset(&in, 0, sizeof(in));
    in.rules = rules;
    in.nrules = 1;
    in.source = s;
    in.from = T0 + 17; /* aligned down to the minute */
    in.to = T0 + 7200;
    assert_int_equal(sw_backtest_run(&in, &b, err, sizeof(err)), 0);
    assert_int_equal(b.from, T0);
    assert_int_equal(b.step_s, 60);
    assert_int_equal(b.evaluations, 120);
    assert_int_equal(b.nalarms, 1);
    /* OK at once (data before T0), ALARM when 2 of the last 3 minutes
     * breach (00:32, the window ending 00:32 holds 00:30 and 00:31), OK
     * when only one of the last three does (01:02); in the gap, once the
     * evaluation range (5 periods for N = 3) holds no point, INSUFFICIENT_DATA
     * (treat_missing_data "missing"), and OK with the first point back. */
    assert_int_equal(b.alarms[0].nchanges, 5);
    assert_int_equal(b.alarms[0].changes[0].time, T0);
    assert_int_equal(b.alarms[0].changes[0].from, SW_STATE_INSUFFICIENT_DATA);
    assert_int_equal(b.alarms[0].changes[0].to, SW_STATE_OK);
    assert_int_equal(b.alarms[0].changes[1].time, T0 + 32 * 60);
    assert_int_equal(b.alarms[0].changes[1].to, SW_STATE_ALARM);
    assert_non_null(strstr(b.alarms[0].changes[1].reason,
                           "2 datapoints [50.0 (25/11/26 00:31:00), 50.0"));
    assert_int_equal(b.alarms[0].changes[2].time, T0 + 62 * 60);
    assert_int_equal(b.alarms[0].changes[2].to, SW_STATE_OK);
    assert_int_equal(b.alarms[0].changes[3].time, T0 + 85 * 60);
    assert_int_equal(b.alarms[0].changes[3].to, SW_STATE_INSUFFICIENT_DATA);
    assert_int_equal(b.alarms[0].changes[4].time, T0 + 91 * 60);
    assert_int_equal(b.alarms[0].changes[4].to, SW_STATE_OK);
    assert_int_equal(b.alarms[0].seconds_in[SW_STATE_ALARM], 30 * 60);
    assert_int_equal(b.alarms[0].seconds_in[SW_STATE_OK], 84 * 60);
    assert_int_equal(b.alarms[0].seconds_in[SW_STATE_INSUFFICIENT_DATA],
                     6 * 60);
    assert_int_equal(b.alarms[0].notifications, 4);
    assert_int_equal(b.alarms[0].reminders, 0);
    /* The series drawn: the whole range, with its look-back and gap. */
    /* 5 periods before T0 (the range for N = 3), to the last window end
     * (01:59), less the 10 minutes of the gap. */
    assert_int_equal(b.alarms[0].nseries, 5 + 119 - 10);
    sw_backtest_release(&b);

    /* Reminders every 10 minutes while in ALARM: 00:42 and 00:52 (at
     * 01:02 it is OK again). */
    r->repeat_interval_s = 600;
    assert_int_equal(sw_backtest_run(&in, &b, err, sizeof(err)), 0);
    assert_int_equal(b.alarms[0].notifications, 6);
    assert_int_equal(b.alarms[0].reminders, 2);
    sw_backtest_release(&b);

    /* An empty range; a fetch outside the history fails the backtest. */
    in.to = T0;
    assert_int_equal(sw_backtest_run(&in, &b, err, sizeof(err)), SW_EINVAL);
    in.to = T0 + 3 * 3600;
    assert_int_equal(sw_backtest_run(&in, &b, err, sizeof(err)), SW_EINVAL);
    assert_non_null(strstr(err, "alarm 'high'"));
    assert_non_null(strstr(err, "no history fetched"));
    sw_source_free(s);
    sw_rule_free(r);
}

static void
test_fetches_cover_every_window(void **state)
{
    struct sw_rule *a = rule("a", 10, 5, 5), *b = rule("b", 10, 1, 1);
    const struct sw_rule *rules[] = {a, b};
    struct sw_fetch *f = NULL;
    size_t n = 0;

    (void)state;
    free(b->stat);
    b->stat = sw_strdup("Maximum");
    assert_int_equal(sw_backtest_fetches(rules, 2, T0, T0 + DAY, &f, &n), 0);
    assert_int_equal(n, 2); /* one series, two statistics */
    for (size_t i = 0; i < n; i++) {
        /* From the first window's start (5 periods and CloudWatch's wider
         * range for N = 5) to the last evaluation's window end. */
        assert_true(f[i].q.start <= T0 - 5 * 60);
        assert_int_equal(f[i].q.end, T0 + DAY - 60);
        assert_int_equal(f[i].series, 0);
    }
    sw_backtest_fetches_free(f, n);
    sw_rule_free(a);
    sw_rule_free(b);
}

static void
test_record_csv(void **state)
{
    struct sw_rule *a = rule("a", 10, 1, 1), *b = rule("b", 10, 1, 1);
    const struct sw_rule *rules[] = {a, b};
    struct sw_fetch *f = NULL;
    struct sw_buf out;
    size_t n = 0, skipped = 0, rows = 0;

    (void)state;
    free(b->stat);
    b->stat = sw_strdup("p99");
    free(a->dims[0].value);
    a->dims[0].value = sw_strdup("a,\"b\"");
    assert_int_equal(
        sw_record_fetches(rules, 2, T0, T0 + 180, &f, &n, &skipped), 0);
    assert_int_equal(skipped, 0);
    assert_int_equal(n, 5 + 6); /* two series: 5 statistics, 5 + p99 */
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(f[i].q.period_s, 60);
        /* From the first evaluation's look-back: CloudWatch's evaluation
         * range for N = 1 is 3 periods. */
        assert_int_equal(f[i].q.start, T0 - 180);
        assert_int_equal(f[i].q.end, T0 + 180);
        f[i].pts = calloc(2, sizeof(*f[i].pts));
        assert_non_null(f[i].pts);
        /* Sum of the first series only at T0 + 60 and T0; the others
         * only at T0. */
        f[i].pts[0].ts = T0;
        f[i].pts[0].value = i == 1 ? 0.1 + 0.2 : 0.25 * (double)(i + 1);
        f[i].pts[1].ts = T0 + 60;
        f[i].pts[1].value = 1e20;
        f[i].n = i == 0 ? 2 : 1;
    }
    sw_buf_init(&out, 1 << 20);
    assert_int_equal(sw_record_csv(f, n, "one\ntwo", &out, &rows), 0);
    assert_int_equal(rows, 3);
    assert_string_equal(
        sw_buf_str(&out),
        "# one\n# two\n"
        "timestamp,namespace,metric,dimensions,Sum,Average,Minimum,Maximum,"
        "SampleCount,p99\n"
        "2026-11-25T00:00:00Z,AWS/Kinesis,IncomingRecords,\"StreamName=a,"
        "\"\"b\"\"\",0.25,0.30000000000000004,0.75,1,1.25,\n"
        "2026-11-25T00:00:00Z,AWS/Kinesis,IncomingRecords,StreamName=sample,"
        "1.5,1.75,2,2.25,2.5,2.75\n"
        "2026-11-25T00:01:00Z,AWS/Kinesis,IncomingRecords,\"StreamName=a,"
        "\"\"b\"\"\",1e+20,,,,,\n");
    sw_buf_release(&out);
    /* A fetch without its answer cannot be written. */
    f[3].result = SW_EIO;
    sw_buf_init(&out, 1 << 20);
    assert_int_equal(sw_record_csv(f, n, NULL, &out, &rows), SW_EINVAL);
    sw_buf_release(&out);
    sw_backtest_fetches_free(f, n);
    /* High-resolution alarms are left out: a recording holds minutes. */
    a->period_s = 10;
    assert_int_equal(
        sw_record_fetches(rules, 2, T0, T0 + 180, &f, &n, &skipped), 0);
    assert_int_equal(skipped, 1);
    assert_int_equal(n, 6);
    sw_backtest_fetches_free(f, n);
    sw_rule_free(a);
    sw_rule_free(b);
}

static void
test_set_parse(void **state)
{
    struct sw_conf_set s;
    char err[256];

    (void)state;
    assert_int_equal(sw_conf_set_parse("threshold=25", &s, err, sizeof(err)),
                     0);
    assert_null(s.alarm);
    assert_string_equal(s.key, "threshold");
    assert_string_equal(s.value, "25");
    sw_conf_set_release(&s);
    /* An alarm name may hold dots; the key is after the last. */
    assert_int_equal(
        sw_conf_set_parse("a.b-c.comparison=x=y", &s, err, sizeof(err)), 0);
    assert_string_equal(s.alarm, "a.b-c");
    assert_string_equal(s.key, "comparison");
    assert_string_equal(s.value, "x=y");
    sw_conf_set_release(&s);
    assert_int_equal(sw_conf_set_parse("threshold", &s, err, sizeof(err)),
                     SW_EINVAL);
    assert_non_null(strstr(err, "[NAME.]KEY=VALUE"));
    assert_int_equal(sw_conf_set_parse("=1", &s, err, sizeof(err)), SW_EINVAL);
    assert_int_equal(sw_conf_set_parse(".threshold=1", &s, err, sizeof(err)),
                     SW_EINVAL);
    assert_int_equal(sw_conf_set_parse("a.=1", &s, err, sizeof(err)),
                     SW_EINVAL);
    assert_int_equal(sw_conf_set_parse("thr eshold=1", &s, err, sizeof(err)),
                     SW_EINVAL);
    assert_non_null(strstr(err, "not a key name"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retention),
        cmocka_unit_test(test_memory_source),
        cmocka_unit_test(test_run),
        cmocka_unit_test(test_fetches_cover_every_window),
        cmocka_unit_test(test_record_csv),
        cmocka_unit_test(test_set_parse),
    };

    sw_log_set_level(SW_LOG_ERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
