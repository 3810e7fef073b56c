/* tests/unit/test_sync.c - agent/sync: a rule as PutMetricAlarm input
 * (single metric, metric math, percentiles, actions, tags), the
 * normalisation that makes a DescribeAlarms reply compare equal to what
 * was put, the field-by-field diff, the plan (create, update, tags-only
 * update, delete only with prune, conflicts) and its printed form; a
 * SHARDS rule with the shard count written into its expression. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "agent/conf.h"
#include "agent/sync.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "rules/rule.h"
#include "rules/template.h"

#define TOPIC "arn:aws:sns:ap-northeast-1:123456789012:ops"
#define RAW   "arn:aws:sns:ap-northeast-1:123456789012:raw"
#define ARN   "arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:"

static const char conf_text[] =
    "aws = { region = \"ap-northeast-1\"; };\n"
    "agent = { state_dir = \"/tmp/sw-test-sync\"; };\n"
    "sync = { owner = \"team-a\"; };\n"
    "notifiers = (\n"
    "  { name = \"ops\"; type = \"sns\"; topic_arn = \"" TOPIC "\"; },\n"
    "  { name = \"ops-again\"; type = \"sns\"; topic_arn = \"" TOPIC "\"; },\n"
    "  { name = \"chat\"; type = \"webhook\";\n"
    "    url = \"https://hooks.example.com/x\"; },\n"
    "  { name = \"console\"; type = \"log\"; path = \"-\"; }\n"
    ");\n"
    "rules = (\n"
    "  { name = \"sample-incoming-high\";\n"
    "    description = \"More than 10 records a minute\";\n"
    "    metric = \"IncomingRecords\";\n"
    "    dimensions = { StreamName = \"sample\"; };\n"
    "    statistic = \"Sum\"; period = 60; threshold = 10.0;\n"
    "    comparison = \"GreaterThanThreshold\"; evaluation_periods = 1;\n"
    "    datapoints_to_alarm = 1; treat_missing_data = \"missing\";\n"
    "    alarm_actions = [ \"ops\", \"ops-again\", \"chat\" ];\n"
    "    ok_actions = [ \"ops\" ];\n"
    "    insufficient_data_actions = [ \"" RAW "\" ];\n"
    "    labels = { severity = \"page\"; };\n"
    "    sync = true; },\n"
    "  { name = \"orders-behind\";\n"
    "    metrics = (\n"
    "      { id = \"w\"; metric = \"IncomingRecords\"; statistic = \"Sum\";\n"
    "        dimensions = { StreamName = \"orders\"; }; },\n"
    "      { id = \"e1\"; metric = \"GetRecords.Records\";\n"
    "        statistic = \"Sum\";\n"
    "        dimensions = { StreamName = \"orders\"; }; }\n"
    "    );\n"
    "    expression = \"w - FILL(e1, 0)\";\n"
    "    period = 60; evaluation_periods = 5; datapoints_to_alarm = 3;\n"
    "    threshold = 1000.0; comparison = \"GreaterThanThreshold\";\n"
    "    treat_missing_data = \"breaching\";\n"
    "    alarm_actions = [ \"console\" ]; sync = true; },\n"
    "  { name = \"age-p99\"; metric = \"GetRecords.IteratorAgeMilliseconds\";\n"
    "    dimensions = { StreamName = \"sample\"; };\n"
    "    statistic = \"p99\"; unit = \"Milliseconds\"; period = 300;\n"
    "    threshold = 60000.0; comparison = \"GreaterThanOrEqualToThreshold\";\n"
    "    evaluation_periods = 3;\n"
    "    evaluate_low_sample_count_percentile = \"ignore\";\n"
    "    alarm_actions = [ \"ops\" ]; actions_enabled = false;\n"
    "    sync = true; }\n"
    ");\n";

static struct sw_conf *conf;

static const struct sw_rule *
rule(const char *name)
{
    for (size_t i = 0; i < conf->nrules; i++)
        if (strcmp(conf->rules[i]->name, name) == 0)
            return conf->rules[i];
    fail_msg("no rule '%s'", name);
    return NULL;
}

static char *
dump(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);

    assert_non_null(s);
    return s;
}

static json_t *
input_of(const char *name, struct sw_strv *local)
{
    json_t *in = NULL;
    char err[256];

    assert_int_equal(
        sw_sync_alarm_input(conf, rule(name), &in, local, err, sizeof(err)), 0);
    return in;
}

static json_t *
load(const char *json)
{
    json_error_t e;
    json_t *v = json_loads(json, 0, &e);

    if (!v)
        fail_msg("bad test JSON: %s: %s", e.text, json);
    return v;
}

/* ------------------------------------------------------------------ */
/* the mapping                                                         */

static void
test_input_single(void **state)
{
    struct sw_strv local = {NULL, 0};
    json_t *in;
    char *s;

    (void)state;
    in = input_of("sample-incoming-high", &local);
    s = dump(in);
    /* SNS notifiers as their topic (two names for one topic: once), raw
     * ARNs as they are, the webhook left out; labels and the owner as
     * tags; every member in the model's order. */
    assert_string_equal(
        s, "{\"AlarmName\":\"sample-incoming-high\","
           "\"AlarmDescription\":\"More than 10 records a minute\","
           "\"ActionsEnabled\":true,"
           "\"OKActions\":[\"" TOPIC "\"],"
           "\"AlarmActions\":[\"" TOPIC "\"],"
           "\"InsufficientDataActions\":[\"" RAW "\"],"
           "\"MetricName\":\"IncomingRecords\",\"Namespace\":\"AWS/Kinesis\","
           "\"Statistic\":\"Sum\","
           "\"Dimensions\":[{\"Name\":\"StreamName\",\"Value\":\"sample\"}],"
           "\"Period\":60,\"EvaluationPeriods\":1,\"DatapointsToAlarm\":1,"
           "\"Threshold\":10.0,\"ComparisonOperator\":\"GreaterThanThreshold\","
           "\"TreatMissingData\":\"missing\","
           "\"Tags\":[{\"Key\":\"severity\",\"Value\":\"page\"},"
           "{\"Key\":\"streamwatch:owner\",\"Value\":\"team-a\"}]}");
    assert_int_equal(local.n, 1);
    assert_string_equal(local.v[0], "chat (webhook)");
    free(s);
    json_decref(in);
    sw_strv_release(&local);
}

static void
test_input_math(void **state)
{
    struct sw_strv local = {NULL, 0};
    json_t *in;
    char *s;

    (void)state;
    in = input_of("orders-behind", &local);
    s = dump(in);
    /* No single-metric members; the metrics as MetricStat entries and the
     * expression under the first free eN ("e1" is the user's). */
    assert_string_equal(
        s, "{\"AlarmName\":\"orders-behind\",\"ActionsEnabled\":true,"
           "\"OKActions\":[],\"AlarmActions\":[],"
           "\"InsufficientDataActions\":[],"
           "\"EvaluationPeriods\":5,\"DatapointsToAlarm\":3,"
           "\"Threshold\":1000.0,"
           "\"ComparisonOperator\":\"GreaterThanThreshold\","
           "\"TreatMissingData\":\"breaching\","
           "\"Metrics\":["
           "{\"Id\":\"w\",\"MetricStat\":{\"Metric\":{\"Namespace\":"
           "\"AWS/Kinesis\",\"MetricName\":\"IncomingRecords\","
           "\"Dimensions\":[{\"Name\":\"StreamName\",\"Value\":\"orders\"}]},"
           "\"Period\":60,\"Stat\":\"Sum\"},\"ReturnData\":false},"
           "{\"Id\":\"e1\",\"MetricStat\":{\"Metric\":{\"Namespace\":"
           "\"AWS/Kinesis\",\"MetricName\":\"GetRecords.Records\","
           "\"Dimensions\":[{\"Name\":\"StreamName\",\"Value\":\"orders\"}]},"
           "\"Period\":60,\"Stat\":\"Sum\"},\"ReturnData\":false},"
           "{\"Id\":\"e2\",\"Expression\":\"w - FILL(e1, 0)\","
           "\"Label\":\"w - FILL(e1, 0)\",\"ReturnData\":true}],"
           "\"Tags\":[{\"Key\":\"streamwatch:owner\",\"Value\":\"team-a\"}]}");
    assert_int_equal(local.n, 1);
    assert_string_equal(local.v[0], "console (log)");
    free(s);
    json_decref(in);
    sw_strv_release(&local);
}

static void
test_input_percentile(void **state)
{
    json_t *in;

    (void)state;
    in = input_of("age-p99", NULL);
    assert_null(json_object_get(in, "Statistic"));
    assert_string_equal(
        json_string_value(json_object_get(in, "ExtendedStatistic")), "p99");
    assert_string_equal(json_string_value(json_object_get(
                            in, "EvaluateLowSampleCountPercentile")),
                        "ignore");
    assert_string_equal(json_string_value(json_object_get(in, "Unit")),
                        "Milliseconds");
    assert_true(json_is_false(json_object_get(in, "ActionsEnabled")));
    json_decref(in);
}

static void
test_input_limits(void **state)
{
    struct sw_rule *r;
    json_t *in = NULL;
    char err[256], big[300];

    (void)state;
    r = sw_rule_new();
    assert_non_null(r);
    r->name = strdup("x");
    r->metric = strdup("IncomingRecords");
    r->stat = strdup("Sum");
    r->namespace_ = strdup("AWS/Kinesis");
    r->period_s = 60;
    r->evaluation_periods = r->datapoints_to_alarm = 1;
    /* An action naming no notifier cannot be mapped. */
    assert_int_equal(sw_strv_push(&r->alarm_actions, "nobody"), 0);
    assert_int_equal(sw_sync_alarm_input(conf, r, &in, NULL, err, sizeof(err)),
                     SW_EINVAL);
    assert_null(in);
    assert_non_null(strstr(err, "action 'nobody' names no notifier"));
    sw_strv_release(&r->alarm_actions);
    /* A label longer than a tag value holds. */
    memset(big, 'v', sizeof(big));
    big[257] = '\0';
    r->labels = calloc(1, sizeof(*r->labels));
    assert_non_null(r->labels);
    r->labels[0].name = strdup("team");
    r->labels[0].value = strdup(big);
    r->nlabels = 1;
    assert_int_equal(sw_sync_alarm_input(conf, r, &in, NULL, err, sizeof(err)),
                     SW_EINVAL);
    assert_non_null(strstr(err, "label 'team' is longer than the 256"));
    big[256] = '\0';
    free(r->labels[0].value);
    r->labels[0].value = strdup(big);
    assert_int_equal(sw_sync_alarm_input(conf, r, &in, NULL, err, sizeof(err)),
                     0);
    json_decref(in);
    sw_rule_free(r);
}

/* ------------------------------------------------------------------ */
/* normalisation and diff                                              */

/* sample-incoming-high as DescribeAlarms shows it after the sync: the
 * defaults left out, Threshold an integer, lists and dimensions in
 * another order, state members that are no configuration. */
static const char described_single[] =
    "{\"AlarmName\":\"sample-incoming-high\",\"AlarmArn\":\"" ARN
    "sample-incoming-high\","
    "\"AlarmDescription\":\"More than 10 records a minute\","
    "\"AlarmConfigurationUpdatedTimestamp\":1795649816.376,"
    "\"OKActions\":[\"" TOPIC "\"],\"AlarmActions\":[\"" TOPIC "\"],"
    "\"InsufficientDataActions\":[\"" RAW "\"],"
    "\"StateValue\":\"INSUFFICIENT_DATA\","
    "\"StateReason\":\"Unchecked: Initial alarm creation\","
    "\"MetricName\":\"IncomingRecords\",\"Namespace\":\"AWS/Kinesis\","
    "\"Statistic\":\"Sum\","
    "\"Dimensions\":[{\"Name\":\"StreamName\",\"Value\":\"sample\"}],"
    "\"Period\":60.0,\"EvaluationPeriods\":1,\"Threshold\":10,"
    "\"ComparisonOperator\":\"GreaterThanThreshold\"}";

static const char described_math[] =
    "{\"AlarmName\":\"orders-behind\",\"AlarmArn\":\"" ARN "orders-behind\","
    "\"ActionsEnabled\":true,\"OKActions\":[],\"AlarmActions\":[],"
    "\"InsufficientDataActions\":[],\"StateValue\":\"OK\","
    "\"Dimensions\":[],\"EvaluationPeriods\":5,\"Threshold\":1000.0,"
    "\"ComparisonOperator\":\"GreaterThanThreshold\","
    "\"TreatMissingData\":\"breaching\",\"DatapointsToAlarm\":3,"
    "\"Metrics\":["
    "{\"Id\":\"w\",\"MetricStat\":{\"Metric\":{\"Namespace\":\"AWS/Kinesis\","
    "\"MetricName\":\"IncomingRecords\",\"Dimensions\":[{\"Name\":"
    "\"StreamName\",\"Value\":\"orders\"}]},\"Period\":60,\"Stat\":\"Sum\"},"
    "\"ReturnData\":false},"
    "{\"Id\":\"e1\",\"MetricStat\":{\"Metric\":{\"Namespace\":\"AWS/Kinesis\","
    "\"MetricName\":\"GetRecords.Records\",\"Dimensions\":[{\"Name\":"
    "\"StreamName\",\"Value\":\"orders\"}]},\"Period\":60.0,\"Stat\":"
    "\"Sum\"},\"ReturnData\":false},"
    "{\"Id\":\"e2\",\"Expression\":\"w - FILL(e1, 0)\","
    "\"Label\":\"w - FILL(e1, 0)\"}]}";

static int
diff_of(const json_t *desired, const json_t *actual, const json_t *tags,
        struct sw_strv *lines, int *tags_differ)
{
    json_t *d = NULL, *a = NULL;
    int n;

    assert_int_equal(sw_sync_normalize(desired, NULL, &d), 0);
    assert_int_equal(sw_sync_normalize(actual, tags, &a), 0);
    n = sw_sync_diff(d, a, lines, tags_differ);
    json_decref(d);
    json_decref(a);
    return n;
}

/* CloudWatch has no SHARDS: the number goes into the Expression, the
 * Label keeps the text, and a new count is a one-line diff. */
static void
test_input_shards(void **state)
{
    struct sw_strv lines = {NULL, 0};
    struct sw_rule *r = NULL;
    json_t *in4 = NULL, *in8 = NULL, *e;
    char err[256], *s;

    (void)state;
    assert_int_equal(sw_rule_dup(rule("orders-behind"), &r), 0);
    free(r->expression);
    r->expression = strdup("w / (SHARDS * 60000) * 100");
    assert_int_equal(sw_sync_alarm_input(conf, r, &in4, NULL, err, sizeof(err)),
                     SW_EINVAL);
    assert_null(in4);
    assert_string_equal(err, "alarm 'orders-behind': the expression uses "
                             "SHARDS, which CloudWatch does not know");

    assert_int_equal(
        sw_sync_shards_input(conf, r, 4, &in4, NULL, err, sizeof(err)), 0);
    e = json_array_get(json_object_get(in4, "Metrics"), 2);
    s = dump(e);
    assert_string_equal(s, "{\"Id\":\"e2\",\"Expression\":\"w / (4 * 60000) "
                           "* 100\",\"Label\":\"w / (SHARDS * 60000) * 100\","
                           "\"ReturnData\":true}");
    free(s);
    /* The rest is the rule's own rendering. */
    assert_string_equal(json_string_value(json_object_get(in4, "AlarmName")),
                        "orders-behind");
    assert_string_equal(
        json_string_value(json_object_get(in4, "TreatMissingData")),
        "breaching");
    assert_int_equal(
        sw_sync_shards_input(conf, r, 8, &in8, NULL, err, sizeof(err)), 0);
    assert_int_equal(diff_of(in8, in4, NULL, &lines, NULL), 1);
    assert_string_equal(lines.v[0],
                        "~ Metrics[2].Expression: \"w / (4 * 60000) * 100\" "
                        "-> \"w / (8 * 60000) * 100\"");
    sw_strv_release(&lines);
    assert_int_equal(diff_of(in8, in8, NULL, &lines, NULL), 0);
    json_decref(in4);
    json_decref(in8);

    /* A count that makes a constant divide by zero is no expression. */
    free(r->expression);
    r->expression = strdup("w + 1 / (SHARDS - 4)");
    assert_int_equal(
        sw_sync_shards_input(conf, r, 4, &in4, NULL, err, sizeof(err)),
        SW_EPARSE);
    assert_null(in4);
    assert_string_equal(err, "alarm 'orders-behind': with SHARDS = 4, "
                             "expression: column 7: division by zero");
    assert_int_equal(
        sw_sync_shards_input(conf, r, 5, &in4, NULL, err, sizeof(err)), 0);
    json_decref(in4);
    in4 = NULL;
    assert_int_equal(
        sw_sync_shards_input(conf, r, -1, &in4, NULL, err, sizeof(err)),
        SW_EINVAL);
    assert_null(in4);
    assert_int_equal(sw_sync_shards_input(conf, rule("sample-incoming-high"), 4,
                                          &in4, NULL, err, sizeof(err)),
                     SW_EINVAL);
    sw_rule_free(r);
}

static void
test_round_trip_no_changes(void **state)
{
    struct sw_strv lines = {NULL, 0};
    json_t *in, *got, *tags;
    int td = -1;

    (void)state;
    tags = load("{\"streamwatch:owner\":\"team-a\",\"severity\":\"page\","
                "\"cost-center\":\"42\"}");
    in = input_of("sample-incoming-high", NULL);
    got = load(described_single);
    if (diff_of(in, got, tags, &lines, &td) != 0)
        fail_msg("unexpected diff: %s", lines.v[0]);
    /* Tags another tool added are not ours to compare. */
    assert_int_equal(td, 0);
    json_decref(in);
    json_decref(got);

    in = input_of("orders-behind", NULL);
    got = load(described_math);
    if (diff_of(in, got, tags, &lines, &td) != 0)
        fail_msg("unexpected diff: %s", lines.v[0]);
    json_decref(in);
    json_decref(got);
    json_decref(tags);
    assert_int_equal(lines.n, 0);
}

static void
test_diff_threshold(void **state)
{
    struct sw_strv lines = {NULL, 0};
    json_t *in, *got;
    int td = -1;

    (void)state;
    in = input_of("sample-incoming-high", NULL);
    got = load(described_single);
    assert_int_equal(json_object_set_new(in, "Threshold", json_real(20.0)), 0);
    assert_int_equal(diff_of(in, got, NULL, &lines, &td), 1);
    assert_string_equal(lines.v[0], "~ Threshold: 10.0 -> 20.0");
    /* Unknown tags (NULL) are not compared. */
    assert_int_equal(td, 0);
    sw_strv_release(&lines);

    /* Added and removed lists and members, and changed enums. */
    assert_int_equal(json_object_set_new(in, "OKActions", json_array()), 0);
    assert_int_equal(json_object_set_new(got, "AlarmActions", json_array()), 0);
    assert_int_equal(
        json_object_set_new(in, "TreatMissingData", json_string("breaching")),
        0);
    assert_int_equal(json_object_del(in, "AlarmDescription"), 0);
    assert_int_equal(diff_of(in, got, NULL, &lines, NULL), 5);
    assert_string_equal(lines.v[0],
                        "- AlarmDescription: \"More than 10 records a "
                        "minute\"");
    assert_string_equal(lines.v[1], "- OKActions: [\"" TOPIC "\"]");
    assert_string_equal(lines.v[2], "+ AlarmActions: [\"" TOPIC "\"]");
    assert_string_equal(lines.v[3], "~ Threshold: 10.0 -> 20.0");
    assert_string_equal(lines.v[4],
                        "~ TreatMissingData: \"missing\" -> \"breaching\"");
    sw_strv_release(&lines);
    json_decref(in);
    json_decref(got);
}

static void
test_diff_math_and_tags(void **state)
{
    struct sw_strv lines = {NULL, 0};
    json_t *in, *got, *tags;
    int td = 0;

    (void)state;
    in = input_of("orders-behind", NULL);
    got = load(described_math);
    tags = load("{\"streamwatch:owner\":\"team-b\"}");
    json_object_set_new(
        json_object_get(
            json_object_get(json_array_get(json_object_get(got, "Metrics"), 1),
                            "MetricStat"),
            "Metric"),
        "MetricName", json_string("GetRecords.Bytes"));
    json_object_set_new(
        json_object_get(json_array_get(json_object_get(got, "Metrics"), 0),
                        "MetricStat"),
        "Stat", json_string("Average"));
    assert_int_equal(diff_of(in, got, tags, &lines, &td), 3);
    assert_string_equal(lines.v[0],
                        "~ Metrics[0].MetricStat.Stat: \"Average\" -> "
                        "\"Sum\"");
    assert_string_equal(lines.v[1],
                        "~ Metrics[1].MetricStat.Metric.MetricName: "
                        "\"GetRecords.Bytes\" -> \"GetRecords.Records\"");
    assert_string_equal(lines.v[2],
                        "~ Tags.streamwatch:owner: \"team-b\" -> \"team-a\"");
    assert_int_equal(td, 1);
    sw_strv_release(&lines);

    /* A different number of metrics: the list as a whole. */
    json_array_remove(json_object_get(got, "Metrics"), 0);
    assert_int_equal(diff_of(in, got, NULL, &lines, NULL), 1);
    assert_true(strncmp(lines.v[0], "~ Metrics: [", 12) == 0);
    sw_strv_release(&lines);
    json_decref(in);
    json_decref(got);
    json_decref(tags);
}

static void
test_normalize_defaults(void **state)
{
    json_t *a, *b, *n1, *n2;

    (void)state;
    /* What each side leaves out takes its default. */
    a = load("{\"AlarmName\":\"x\",\"MetricName\":\"m\",\"Namespace\":\"n\","
             "\"Statistic\":\"Sum\",\"Period\":60,\"EvaluationPeriods\":3,"
             "\"Threshold\":100,\"ComparisonOperator\":\"LessThanThreshold\","
             "\"Dimensions\":[{\"Name\":\"b\",\"Value\":\"2\"},{\"Name\":"
             "\"a\",\"Value\":\"1\"}],\"AlarmActions\":[\"z\",\"y\"]}");
    b = load("{\"AlarmName\":\"x\",\"AlarmDescription\":\"\","
             "\"ActionsEnabled\":true,\"OKActions\":[],\"AlarmActions\":"
             "[\"y\",\"z\"],\"InsufficientDataActions\":[],"
             "\"MetricName\":\"m\",\"Namespace\":\"n\",\"Statistic\":\"Sum\","
             "\"Period\":60.0,\"EvaluationPeriods\":3,\"DatapointsToAlarm\":3,"
             "\"Threshold\":100.0,\"ComparisonOperator\":"
             "\"LessThanThreshold\",\"TreatMissingData\":\"missing\","
             "\"Dimensions\":[{\"Name\":\"a\",\"Value\":\"1\"},{\"Name\":"
             "\"b\",\"Value\":\"2\"}],\"EvaluateLowSampleCountPercentile\":"
             "\"\",\"Tags\":[]}");
    assert_int_equal(sw_sync_normalize(a, NULL, &n1), 0);
    assert_int_equal(sw_sync_normalize(b, NULL, &n2), 0);
    /* Normalising twice changes nothing. */
    {
        json_t *again = NULL;

        assert_int_equal(sw_sync_normalize(n1, NULL, &again), 0);
        assert_true(json_equal(again, n1));
        json_decref(again);
    }
    assert_true(json_is_null(json_object_get(n1, "Tags")));
    assert_true(json_is_object(json_object_get(n2, "Tags")));
    json_object_del(n1, "Tags");
    json_object_del(n2, "Tags");
    if (!json_equal(n1, n2)) {
        char *s1 = dump(n1), *s2 = dump(n2);

        fail_msg("%s\n!=\n%s", s1, s2);
    }
    json_decref(n1);
    json_decref(n2);
    json_decref(a);
    json_decref(b);

    /* Percentiles: EvaluateLowSampleCountPercentile omitted = evaluate. */
    a = load("{\"AlarmName\":\"p\",\"ExtendedStatistic\":\"p99\"}");
    b = load("{\"AlarmName\":\"p\",\"ExtendedStatistic\":\"p99\","
             "\"EvaluateLowSampleCountPercentile\":\"evaluate\"}");
    assert_int_equal(sw_sync_normalize(a, NULL, &n1), 0);
    assert_int_equal(sw_sync_normalize(b, NULL, &n2), 0);
    assert_true(json_equal(n1, n2));
    json_decref(n1);
    json_decref(n2);
    json_decref(a);
    json_decref(b);
    assert_int_equal(sw_sync_normalize(NULL, NULL, &n1), SW_EINVAL);
}

/* ------------------------------------------------------------------ */
/* the plan                                                            */

static json_t *
alarm_named(const char *name, double threshold)
{
    json_t *a = load(described_single);

    json_object_set_new(a, "AlarmName", json_string(name));
    json_object_set_new(a, "Threshold", json_real(threshold));
    {
        char arn[300];

        snprintf(arn, sizeof(arn), ARN "%s", name);
        json_object_set_new(a, "AlarmArn", json_string(arn));
    }
    return a;
}

static json_t *
desired_named(const char *name, double threshold)
{
    json_t *in = input_of("sample-incoming-high", NULL);

    json_object_set_new(in, "AlarmName", json_string(name));
    json_object_set_new(in, "Threshold", json_real(threshold));
    return in;
}

static void
test_plan(void **state)
{
    json_t *desired = json_array(), *actual = json_array(), *tags;
    struct sw_sync_plan p;
    struct sw_strv local = {NULL, 0};
    struct sw_buf out;
    const char *s;

    (void)state;
    /* a: new.  b: ours, the same.  c: ours, threshold changed.  d: same
     * name, no owner tag.  e: another owner.  f: ours, no longer in the
     * config.  g: someone else's, not in the config.  h: ours, a tag
     * changed. */
    json_array_append_new(desired, desired_named("a", 10));
    json_array_append_new(desired, desired_named("c", 20));
    json_array_append_new(desired, desired_named("b", 10));
    json_array_append_new(desired, desired_named("d", 10));
    json_array_append_new(desired, desired_named("e", 10));
    json_array_append_new(desired, desired_named("h", 10));
    json_array_append_new(actual, alarm_named("g", 10));
    json_array_append_new(actual, alarm_named("f", 10));
    json_array_append_new(actual, alarm_named("e", 10));
    json_array_append_new(actual, alarm_named("d", 10));
    json_array_append_new(actual, alarm_named("c", 10));
    json_array_append_new(actual, alarm_named("b", 10));
    json_array_append_new(actual, alarm_named("h", 10));
    tags = load("{\"" ARN "b\":{\"streamwatch:owner\":\"team-a\","
                "\"severity\":\"page\"},"
                "\"" ARN "c\":{\"streamwatch:owner\":\"team-a\","
                "\"severity\":\"page\"},"
                "\"" ARN "d\":{},"
                "\"" ARN "e\":{\"streamwatch:owner\":\"team-b\"},"
                "\"" ARN "f\":{\"streamwatch:owner\":\"team-a\"},"
                "\"" ARN "g\":{\"owner\":\"someone\"},"
                "\"" ARN "h\":{\"streamwatch:owner\":\"team-a\","
                "\"severity\":\"low\"}}");

    /* Without prune: nothing is deleted. */
    assert_int_equal(
        sw_sync_plan_compute(desired, actual, tags, "team-a", 0, &p), 0);
    assert_int_equal(p.ncreate, 1);
    assert_int_equal(p.nupdate, 2);
    assert_int_equal(p.ndelete, 0);
    assert_int_equal(p.nchanges, 3);
    assert_int_equal(p.changes[0].action, SW_SYNC_CREATE);
    assert_string_equal(p.changes[0].name, "a");
    assert_int_equal(p.changes[1].action, SW_SYNC_UPDATE);
    assert_string_equal(p.changes[1].name, "c");
    assert_true(p.changes[1].put);
    assert_false(p.changes[1].tag);
    assert_string_equal(p.changes[1].arn, ARN "c");
    assert_int_equal(p.changes[1].diff.n, 1);
    assert_string_equal(p.changes[1].diff.v[0], "~ Threshold: 10.0 -> 20.0");
    /* A tag only: TagResource, no PutMetricAlarm. */
    assert_string_equal(p.changes[2].name, "h");
    assert_false(p.changes[2].put);
    assert_true(p.changes[2].tag);
    assert_string_equal(p.changes[2].diff.v[0],
                        "~ Tags.severity: \"low\" -> \"page\"");
    assert_int_equal(p.conflicts.n, 2);
    assert_non_null(strstr(p.conflicts.v[0], "d: exists in CloudWatch "
                                             "without the tag "
                                             "streamwatch:owner"));
    assert_non_null(strstr(p.conflicts.v[1],
                           "e: exists in CloudWatch with tag "
                           "streamwatch:owner=\"team-b\", not "
                           "streamwatch:owner=\"team-a\"; left alone"));
    sw_sync_plan_release(&p);

    /* With prune: only our own alarm that the config dropped. */
    assert_int_equal(
        sw_sync_plan_compute(desired, actual, tags, "team-a", 1, &p), 0);
    assert_int_equal(p.ndelete, 1);
    assert_int_equal(p.changes[3].action, SW_SYNC_DELETE);
    assert_string_equal(p.changes[3].name, "f");
    assert_string_equal(p.changes[3].arn, ARN "f");

    assert_int_equal(sw_strv_push(&local, "chat (webhook)"), 0);
    sw_buf_init(&out, 1 << 20);
    assert_int_equal(sw_sync_plan_format(&p, &local, &out), 0);
    s = sw_buf_str(&out);
    assert_non_null(strstr(s, "+ create a\n    + AlarmDescription: "));
    assert_non_null(strstr(s, "~ update c\n    ~ Threshold: 10.0 -> 20.0\n"));
    assert_non_null(strstr(s, "~ update h (tags only)\n"));
    assert_non_null(strstr(s, "- delete f\n"));
    assert_non_null(strstr(s, "! d: exists"));
    assert_non_null(strstr(s, "Local-only notifiers"));
    assert_non_null(strstr(s, "  chat (webhook)\n"));
    assert_non_null(strstr(s, "\nPlan: 1 to create, 2 to update, 1 to "
                              "delete.\n"));
    assert_null(strstr(s, "update b"));
    assert_null(strstr(s, "g\n"));
    sw_buf_release(&out);
    sw_sync_plan_release(&p);

    /* Nothing to do. */
    json_array_clear(desired);
    json_array_clear(actual);
    assert_int_equal(
        sw_sync_plan_compute(desired, actual, tags, "team-a", 1, &p), 0);
    sw_buf_init(&out, 1 << 20);
    assert_int_equal(sw_sync_plan_format(&p, NULL, &out), 0);
    assert_string_equal(sw_buf_str(&out), "No changes.\n");
    sw_buf_release(&out);
    sw_sync_plan_release(&p);
    sw_strv_release(&local);
    json_decref(desired);
    json_decref(actual);
    json_decref(tags);
}

static int
group_setup(void **state)
{
    struct sw_strv errors = {NULL, 0};
    int r;

    (void)state;
    sw_log_set_level(SW_LOG_WARN);
    r = sw_conf_load_text(conf_text, strlen(conf_text), "sync.conf", "/tmp",
                          &conf, &errors);
    for (size_t i = 0; i < errors.n; i++)
        fprintf(stderr, "%s\n", errors.v[i]);
    sw_strv_release(&errors);
    return r;
}

static int
group_teardown(void **state)
{
    (void)state;
    sw_conf_free(conf);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_input_single),
        cmocka_unit_test(test_input_math),
        cmocka_unit_test(test_input_percentile),
        cmocka_unit_test(test_input_limits),
        cmocka_unit_test(test_input_shards),
        cmocka_unit_test(test_round_trip_no_changes),
        cmocka_unit_test(test_diff_threshold),
        cmocka_unit_test(test_diff_math_and_tags),
        cmocka_unit_test(test_normalize_defaults),
        cmocka_unit_test(test_plan),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
