/* tests/unit/test_plan.c - agent/plan: alarms share their fetches (the
 * dimensions as a set, the widest window, SampleCount beside its
 * percentile, only the metrics an expression reads), and each alarm gets
 * back exactly its own window, its failure or its cancellation. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/plan.h"
#include "lib/err.h"
#include "lib/str.h"
#include "rules/rule.h"

#define T0 1795601100 /* 2026-11-25T10:05:00Z */

static struct sw_rule *
rule(const char *name, const char *stat, const char *d1, const char *d2)
{
    struct sw_rule *r = sw_rule_new();

    assert_non_null(r);
    r->name = sw_strdup(name);
    r->namespace_ = sw_strdup("AWS/Kinesis");
    r->metric = sw_strdup("IncomingRecords");
    r->stat = sw_strdup(stat);
    r->period_s = 60;
    r->evaluation_periods = 1;
    r->datapoints_to_alarm = 1;
    r->dims = calloc(2, sizeof(*r->dims));
    assert_non_null(r->dims);
    /* Two dimensions, in the order given: "StreamName" first or not. */
    r->dims[0].name = sw_strdup(d1);
    r->dims[0].value = sw_strdup(strcmp(d1, "StreamName") ? "c1" : "s1");
    r->dims[1].name = sw_strdup(d2);
    r->dims[1].value = sw_strdup(strcmp(d2, "StreamName") ? "c1" : "s1");
    r->ndims = 2;
    return r;
}

/* Answer every fetch with one point a minute over its window, value =
 * minute index (SampleCount: 100). */
static void
answer(struct sw_plan *p)
{
    for (size_t i = 0; i < p->nfetches; i++) {
        struct sw_fetch *f = &p->fetches[i];
        size_t n = (size_t)((f->q.end - f->q.start) / 60);

        f->pts = calloc(n ? n : 1, sizeof(*f->pts));
        assert_non_null(f->pts);
        for (size_t k = 0; k < n; k++) {
            f->pts[k].ts = f->q.start + (time_t)k * 60;
            f->pts[k].value =
                strcmp(f->q.stat, "SampleCount") == 0 ? 100 : (double)k;
            f->pts[k].sample_count = -1;
        }
        f->n = n;
        f->result = 0;
    }
}

static void
test_shared_series(void **state)
{
    struct sw_rule *a = rule("a", "Sum", "StreamName", "ConsumerName");
    struct sw_rule *b = rule("b", "Sum", "ConsumerName", "StreamName");
    struct sw_rule *c = rule("c", "Maximum", "StreamName", "ConsumerName");
    struct sw_datapoint *pts;
    struct sw_plan p;
    char err[256];
    size_t n;

    (void)state;
    sw_plan_init(&p);
    /* a: 5 minutes; b: the same series (dimensions in another order) over
     * 10; c: another statistic of it over 3. */
    assert_int_equal(sw_plan_add(&p, a, T0 - 300, T0, NULL), 0);
    assert_int_equal(sw_plan_add(&p, b, T0 - 600, T0, NULL), 0);
    assert_int_equal(sw_plan_add(&p, c, T0 - 180, T0, NULL), 0);
    assert_int_equal(sw_plan_finish(&p), 0);
    assert_int_equal(p.nseries, 1);
    assert_int_equal(p.nfetches, 2);
    assert_int_equal(p.alarms[0].need[0], p.alarms[1].need[0]);
    for (size_t i = 0; i < 2; i++) {
        /* One window for the series: the widest. */
        assert_int_equal(p.fetches[i].q.start, T0 - 600);
        assert_int_equal(p.fetches[i].q.end, T0);
        assert_int_equal(p.fetches[i].series, 0);
    }
    answer(&p);
    /* Each alarm gets its own window back. */
    assert_int_equal(sw_plan_series(&p, 0, &pts, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 5);
    assert_int_equal(pts[0].ts, T0 - 300);
    assert_true(pts[0].value == 5.0);
    free(pts);
    assert_int_equal(sw_plan_series(&p, 1, &pts, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 10);
    free(pts);
    assert_int_equal(sw_plan_series(&p, 2, &pts, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 3);
    free(pts);
    sw_plan_release(&p);
    sw_rule_free(a);
    sw_rule_free(b);
    sw_rule_free(c);
}

/* Another period, unit or dimension value is another series. */
static void
test_distinct_series(void **state)
{
    struct sw_rule *a = rule("a", "Sum", "StreamName", "ConsumerName");
    struct sw_rule *b = rule("b", "Sum", "StreamName", "ConsumerName");
    struct sw_rule *c = rule("c", "Sum", "StreamName", "ConsumerName");
    struct sw_rule *d = rule("d", "Sum", "StreamName", "ConsumerName");
    struct sw_plan p;

    (void)state;
    b->period_s = 300;
    c->unit = sw_strdup("Count");
    free(d->dims[0].value);
    d->dims[0].value = sw_strdup("s2");
    sw_plan_init(&p);
    assert_int_equal(sw_plan_add(&p, a, T0 - 300, T0, NULL), 0);
    assert_int_equal(sw_plan_add(&p, b, T0 - 1500, T0, NULL), 0);
    assert_int_equal(sw_plan_add(&p, c, T0 - 300, T0, NULL), 0);
    assert_int_equal(sw_plan_add(&p, d, T0 - 300, T0, NULL), 0);
    assert_int_equal(sw_plan_finish(&p), 0);
    assert_int_equal(p.nseries, 4);
    assert_int_equal(p.nfetches, 4);
    sw_plan_release(&p);
    sw_rule_free(a);
    sw_rule_free(b);
    sw_rule_free(c);
    sw_rule_free(d);
}

/* A percentile that ignores low sample counts asks for SampleCount too,
 * and gets it joined into its points. */
static void
test_low_sample(void **state)
{
    struct sw_rule *a = rule("a", "p99", "StreamName", "ConsumerName");
    struct sw_datapoint *pts;
    struct sw_plan p;
    char err[256];
    size_t n;

    (void)state;
    a->low_sample_ignore = 1;
    sw_plan_init(&p);
    assert_int_equal(sw_plan_add(&p, a, T0 - 120, T0, NULL), 0);
    assert_int_equal(sw_plan_finish(&p), 0);
    assert_int_equal(p.nseries, 1);
    assert_int_equal(p.nfetches, 2);
    assert_string_equal(p.fetches[0].q.stat, "SampleCount");
    assert_string_equal(p.fetches[1].q.stat, "p99");
    answer(&p);
    assert_int_equal(sw_plan_series(&p, 0, &pts, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 2);
    assert_true(pts[1].sample_count == 100.0);
    free(pts);
    sw_plan_release(&p);
    sw_rule_free(a);
}

static void
add_metric(struct sw_rule *r, const char *id, const char *metric)
{
    struct sw_metric_stat *m;

    r->metrics = realloc(r->metrics, (r->nmetrics + 1) * sizeof(*m));
    assert_non_null(r->metrics);
    m = &r->metrics[r->nmetrics++];
    memset(m, 0, sizeof(*m));
    m->id = sw_strdup(id);
    m->namespace_ = sw_strdup("AWS/Kinesis");
    m->metric = sw_strdup(metric);
    m->stat = sw_strdup("Sum");
    m->dims = calloc(1, sizeof(*m->dims));
    m->dims[0].name = sw_strdup("StreamName");
    m->dims[0].value = sw_strdup("s1");
    m->ndims = 1;
}

/* Metric math: only the metrics the expression reads are fetched, shared
 * with a plain alarm on the same series; failures name the metric. */
static void
test_math(void **state)
{
    struct sw_rule *m = sw_rule_new();
    struct sw_rule *plain = rule("plain", "Sum", "StreamName", "X");
    struct sw_datapoint *pts;
    struct sw_plan p;
    char err[256];
    size_t n;

    (void)state;
    m->name = sw_strdup("math");
    m->period_s = 60;
    m->evaluation_periods = 1;
    m->datapoints_to_alarm = 1;
    add_metric(m, "w", "IncomingRecords");
    add_metric(m, "r", "GetRecords.Records");
    add_metric(m, "z", "Unused");
    m->expression = sw_strdup("w - r");
    /* plain: IncomingRecords Sum of {StreamName=s1} alone. */
    free(plain->dims[1].name);
    free(plain->dims[1].value);
    plain->ndims = 1;
    sw_plan_init(&p);
    assert_int_equal(sw_plan_add(&p, m, T0 - 120, T0, NULL), 0);
    assert_int_equal(sw_plan_add(&p, plain, T0 - 60, T0, NULL), 0);
    assert_int_equal(sw_plan_finish(&p), 0);
    assert_int_equal(p.nfetches, 2);
    assert_int_equal(p.alarms[0].need[2], SW_PLAN_NONE);
    assert_int_equal(p.alarms[0].need[0], p.alarms[1].need[0]);
    answer(&p);
    assert_int_equal(sw_plan_series(&p, 0, &pts, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 2);
    assert_true(pts[0].value == 0.0);
    free(pts);

    /* r failed: the math alarm says which metric; the plain one is fine. */
    sw_fetch_release(&p.fetches[p.alarms[0].need[1]]);
    sw_fetch_fail(&p.fetches[p.alarms[0].need[1]], SW_ETHROTTLED,
                  "Throttling: slow (3 attempts)");
    assert_int_equal(sw_plan_series(&p, 0, &pts, &n, err, sizeof(err)),
                     SW_ETHROTTLED);
    assert_string_equal(err, "metric 'r': Throttling: slow (3 attempts)");
    assert_null(pts);
    assert_int_equal(sw_plan_series(&p, 1, &pts, &n, err, sizeof(err)), 0);
    free(pts);
    /* Canceled wins over failed: nothing is known. */
    p.fetches[p.alarms[0].need[0]].result = SW_ECANCELED;
    assert_int_equal(sw_plan_series(&p, 0, &pts, &n, err, sizeof(err)),
                     SW_ECANCELED);
    sw_plan_release(&p);
    sw_rule_free(m);
    sw_rule_free(plain);
}

/* An expression that does not parse fails its alarm alone. */
static void
test_bad_expression(void **state)
{
    struct sw_rule *m = sw_rule_new();
    struct sw_datapoint *pts;
    struct sw_plan p;
    char err[256];
    size_t n;

    (void)state;
    m->name = sw_strdup("math");
    m->period_s = 60;
    add_metric(m, "w", "IncomingRecords");
    m->expression = sw_strdup("w +");
    sw_plan_init(&p);
    assert_int_equal(sw_plan_add(&p, m, T0 - 60, T0, NULL), 0);
    /* An alarm the cycle could not plan says why, and only such an alarm
     * carries a reason at all. */
    assert_int_equal(sw_plan_fail(&p, m, T0 - 60, T0, SW_EIO, "no SHARDS"), 0);
    assert_int_equal(sw_plan_fail(&p, m, T0 - 60, T0, 0, NULL), 0);
    assert_int_equal(sw_plan_finish(&p), 0);
    assert_int_equal(p.nfetches, 0);
    assert_true(sw_plan_series(&p, 0, &pts, &n, err, sizeof(err)) < 0);
    assert_true(strncmp(err, "expression: ", 12) == 0);
    assert_int_equal(sw_plan_series(&p, 1, &pts, &n, err, sizeof(err)), SW_EIO);
    assert_string_equal(err, "no SHARDS");
    assert_int_equal(sw_plan_series(&p, 2, &pts, &n, err, sizeof(err)),
                     SW_EINVAL);
    assert_string_equal(err, sw_strerror(SW_EINVAL));
    sw_plan_release(&p);
    sw_rule_free(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_series),
        cmocka_unit_test(test_distinct_series),
        cmocka_unit_test(test_low_sample),
        cmocka_unit_test(test_math),
        cmocka_unit_test(test_bad_expression),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
