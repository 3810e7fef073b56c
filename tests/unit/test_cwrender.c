/* tests/unit/test_cwrender.c - rules/cwrender and the metric-math helpers
 * of rules/rule: both forms of a single-metric, a percentile and a
 * metric-math alarm, member for member and in order; the API form against
 * sw_cwrender_api_members[] (what agent/sync's diff compares); the
 * expression id; the names a record and Alertmanager use.  The exact
 * bytes are also pinned by test_message (the SNS Trigger) and test_sync
 * (PutMetricAlarm). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/err.h"
#include "lib/str.h"
#include "rules/cwrender.h"
#include "rules/rule.h"

static void
add_dim(struct sw_dimension **d, size_t *n, const char *name, const char *value)
{
    *d = realloc(*d, (*n + 1) * sizeof(**d));
    assert_non_null(*d);
    (*d)[*n].name = sw_strdup(name);
    (*d)[*n].value = sw_strdup(value);
    (*n)++;
}

static struct sw_rule *
single_rule(const char *stat)
{
    struct sw_rule *r = sw_rule_new();

    assert_non_null(r);
    r->name = sw_strdup("orders-low");
    r->namespace_ = sw_strdup("AWS/Kinesis");
    r->metric = sw_strdup("IncomingRecords");
    r->stat = sw_strdup(stat);
    add_dim(&r->dims, &r->ndims, "StreamName", "orders");
    r->period_s = 60;
    r->evaluation_periods = 5;
    r->datapoints_to_alarm = 3;
    r->cmp = SW_CMP_LT;
    r->threshold = 100.0;
    r->tmd = SW_TMD_BREACHING;
    return r;
}

static struct sw_rule *
math_rule(void)
{
    struct sw_rule *r = sw_rule_new();

    assert_non_null(r);
    r->name = sw_strdup("clicks-behind");
    r->metrics = calloc(2, sizeof(*r->metrics));
    assert_non_null(r->metrics);
    r->nmetrics = 2;
    r->metrics[0].id = sw_strdup("w");
    r->metrics[0].namespace_ = sw_strdup("AWS/Kinesis");
    r->metrics[0].metric = sw_strdup("IncomingRecords");
    r->metrics[0].stat = sw_strdup("Sum");
    add_dim(&r->metrics[0].dims, &r->metrics[0].ndims, "StreamName", "clicks");
    r->metrics[1].id = sw_strdup("e1");
    r->metrics[1].metric = sw_strdup("GetRecords.Records");
    r->metrics[1].stat = sw_strdup("Sum");
    r->metrics[1].unit = sw_strdup("Count");
    r->expression = sw_strdup("w - FILL(e1, 0)");
    r->period_s = 300;
    r->evaluation_periods = 3;
    r->datapoints_to_alarm = 2;
    r->threshold = 5000;
    return r;
}

static char *
render(const struct sw_rule *r, enum sw_cwrender_form form)
{
    json_t *o = json_object();
    char *s;

    assert_non_null(o);
    assert_int_equal(sw_cwrender_alarm(o, r, form), 0);
    s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_non_null(s);
    json_decref(o);
    return s;
}

/* Every member of the API form is in sw_cwrender_api_members[], in that
 * order, and math alarms have none of the single metric's. */
static void
check_api_members(const struct sw_rule *r)
{
    json_t *o = json_object();
    const char *key;
    json_t *v;
    size_t at = 0;

    assert_non_null(o);
    assert_int_equal(sw_cwrender_alarm(o, r, SW_CWRENDER_API), 0);
    json_object_foreach(o, key, v)
    {
        while (sw_cwrender_api_members[at] &&
               strcmp(sw_cwrender_api_members[at], key) != 0)
            at++;
        if (!sw_cwrender_api_members[at])
            fail_msg("member %s not in sw_cwrender_api_members (or out of "
                     "order)",
                     key);
        if (sw_rule_is_math(r))
            assert_true(at >= SW_CWRENDER_API_METRIC_MEMBERS);
    }
    json_decref(o);
}

static void
test_single(void **state)
{
    struct sw_rule *r = single_rule("Sum");
    char *s;

    (void)state;
    assert_false(sw_rule_is_math(r));
    s = render(r, SW_CWRENDER_API);
    assert_string_equal(
        s, "{\"MetricName\":\"IncomingRecords\",\"Namespace\":\"AWS/Kinesis\","
           "\"Statistic\":\"Sum\",\"Dimensions\":[{\"Name\":\"StreamName\","
           "\"Value\":\"orders\"}],\"Period\":60,\"EvaluationPeriods\":5,"
           "\"DatapointsToAlarm\":3,\"Threshold\":100.0,"
           "\"ComparisonOperator\":\"LessThanThreshold\","
           "\"TreatMissingData\":\"breaching\"}");
    free(s);
    s = render(r, SW_CWRENDER_SNS);
    assert_string_equal(
        s, "{\"MetricName\":\"IncomingRecords\",\"Namespace\":\"AWS/Kinesis\","
           "\"StatisticType\":\"Statistic\",\"Statistic\":\"SUM\","
           "\"Unit\":null,\"Dimensions\":[{\"value\":\"orders\",\"name\":"
           "\"StreamName\"}],\"Period\":60,\"EvaluationPeriods\":5,"
           "\"DatapointsToAlarm\":3,\"ComparisonOperator\":"
           "\"LessThanThreshold\",\"Threshold\":100.0,\"TreatMissingData\":"
           "\"breaching\",\"EvaluateLowSampleCountPercentile\":\"\"}");
    free(s);
    check_api_members(r);
    sw_rule_free(r);
}

static void
test_percentile(void **state)
{
    struct sw_rule *r = single_rule("p99");
    char *s;

    (void)state;
    r->unit = sw_strdup("Milliseconds");
    r->low_sample_ignore = 1;
    s = render(r, SW_CWRENDER_API);
    assert_non_null(strstr(s, "\"ExtendedStatistic\":\"p99\""));
    assert_null(strstr(s, "\"Statistic\""));
    assert_non_null(strstr(s, "\"Period\":60,\"Unit\":\"Milliseconds\","));
    assert_non_null(strstr(s, "\"EvaluateLowSampleCountPercentile\":"
                              "\"ignore\"}"));
    free(s);
    s = render(r, SW_CWRENDER_SNS);
    assert_non_null(strstr(s, "\"StatisticType\":\"ExtendedStatistic\","
                              "\"ExtendedStatistic\":\"p99\","
                              "\"Unit\":\"Milliseconds\","));
    assert_non_null(strstr(s, "\"EvaluateLowSampleCountPercentile\":"
                              "\"ignore\"}"));
    free(s);
    check_api_members(r);
    r->low_sample_ignore = 0;
    s = render(r, SW_CWRENDER_API);
    assert_non_null(strstr(s, "\"EvaluateLowSampleCountPercentile\":"
                              "\"evaluate\"}"));
    free(s);
    sw_rule_free(r);
}

static void
test_math(void **state)
{
    struct sw_rule *r = math_rule();
    char id[SW_RULE_EXPR_ID_BUF], *s;

    (void)state;
    assert_true(sw_rule_is_math(r));
    /* "e1" is taken by a metric: the next free one */
    sw_rule_expression_id(r, id);
    assert_string_equal(id, "e2");
    s = render(r, SW_CWRENDER_API);
    assert_string_equal(
        s, "{\"EvaluationPeriods\":3,\"DatapointsToAlarm\":2,"
           "\"Threshold\":5000.0,\"ComparisonOperator\":"
           "\"GreaterThanThreshold\",\"TreatMissingData\":\"missing\","
           "\"Metrics\":[{\"Id\":\"w\",\"MetricStat\":{\"Metric\":"
           "{\"Namespace\":\"AWS/Kinesis\",\"MetricName\":\"IncomingRecords\","
           "\"Dimensions\":[{\"Name\":\"StreamName\",\"Value\":\"clicks\"}]},"
           "\"Period\":300,\"Stat\":\"Sum\"},\"ReturnData\":false},"
           "{\"Id\":\"e1\",\"MetricStat\":{\"Metric\":{\"Namespace\":null,"
           "\"MetricName\":\"GetRecords.Records\",\"Dimensions\":[]},"
           "\"Period\":300,\"Stat\":\"Sum\",\"Unit\":\"Count\"},"
           "\"ReturnData\":false},{\"Id\":\"e2\",\"Expression\":"
           "\"w - FILL(e1, 0)\",\"Label\":\"w - FILL(e1, 0)\","
           "\"ReturnData\":true}]}");
    free(s);
    s = render(r, SW_CWRENDER_SNS);
    assert_non_null(strstr(
        s, "{\"Period\":300,\"EvaluationPeriods\":3,\"DatapointsToAlarm\":2,"
           "\"ComparisonOperator\":\"GreaterThanThreshold\",\"Threshold\":"
           "5000.0,\"TreatMissingData\":\"missing\","
           "\"EvaluateLowSampleCountPercentile\":\"\",\"Metrics\":[{\"Id\":"
           "\"w\",\"MetricStat\":{\"Metric\":{\"Dimensions\":[{\"value\":"
           "\"clicks\",\"name\":\"StreamName\"}],\"MetricName\":"
           "\"IncomingRecords\",\"Namespace\":\"AWS/Kinesis\"},\"Period\":300,"
           "\"Stat\":\"Sum\"},\"ReturnData\":false},"));
    assert_non_null(strstr(s, "{\"Expression\":\"w - FILL(e1, 0)\",\"Id\":"
                              "\"e2\",\"Label\":\"w - FILL(e1, 0)\","
                              "\"ReturnData\":true}]}"));
    free(s);
    check_api_members(r);

    /* the names outside CloudWatch: the first metric's namespace, the
     * expression, the stream of a metric's dimension */
    assert_string_equal(sw_cwrender_namespace(r), "AWS/Kinesis");
    assert_string_equal(sw_cwrender_metric_name(r), "w - FILL(e1, 0)");
    assert_string_equal(sw_cwrender_stream(r), "clicks");
    r->stream = sw_strdup("from-template");
    assert_string_equal(sw_cwrender_stream(r), "from-template");
    sw_rule_free(r);
}

static void
test_names_and_statistics(void **state)
{
    struct sw_rule *r = single_rule("Average");
    json_t *o;

    (void)state;
    assert_string_equal(sw_cwrender_namespace(r), "AWS/Kinesis");
    assert_string_equal(sw_cwrender_metric_name(r), "IncomingRecords");
    assert_string_equal(sw_cwrender_stream(r), "orders");
    free(r->dims[0].name);
    r->dims[0].name = sw_strdup("ShardId");
    assert_null(sw_cwrender_stream(r));

    assert_string_equal(sw_cwrender_statistic("Sum", SW_CWRENDER_SNS), "SUM");
    assert_string_equal(sw_cwrender_statistic("SampleCount", SW_CWRENDER_SNS),
                        "SAMPLE_COUNT");
    assert_string_equal(sw_cwrender_statistic("Maximum", SW_CWRENDER_API),
                        "Maximum");
    assert_null(sw_cwrender_statistic("p99", SW_CWRENDER_API));
    assert_null(sw_cwrender_statistic(NULL, SW_CWRENDER_SNS));

    /* a byte that is not UTF-8 does not lose the alarm */
    free(r->metric);
    r->metric = sw_strdup("bad\xff");
    o = json_object();
    assert_int_equal(sw_cwrender_alarm(o, r, SW_CWRENDER_API), 0);
    assert_string_equal(json_string_value(json_object_get(o, "MetricName")),
                        "bad\xef\xbf\xbd");
    json_decref(o);
    sw_rule_free(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single),
        cmocka_unit_test(test_percentile),
        cmocka_unit_test(test_math),
        cmocka_unit_test(test_names_and_statistics),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
