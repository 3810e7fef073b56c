/* rules/cwrender.c - a rule's CloudWatch alarm configuration as JSON; see
 * cwrender.h. */
#include "config.h"

#include "rules/cwrender.h"

#include <string.h>

#include "lib/err.h"
#include "lib/json_util.h"
#include "lib/metric.h"

const char *const sw_cwrender_api_members[] = {
    /* the single metric's, SW_CWRENDER_API_METRIC_MEMBERS of them */
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    /* the settings */
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    NULL,
};

const char *
sw_cwrender_statistic(const char *stat, enum sw_cwrender_form form)
{
    static const char *const map[][2] = {
        {"Sum", "SUM"},
        {"Average", "AVERAGE"},
        {"Minimum", "MINIMUM"},
        {"Maximum", "MAXIMUM"},
        {"SampleCount", "SAMPLE_COUNT"},
    };

    for (size_t i = 0; stat && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(stat, map[i][0]) == 0)
            return map[i][form == SW_CWRENDER_SNS ? 1 : 0];
    return NULL;
}

/* a string of the rule: repaired, so a stray byte cannot lose the alarm */
static json_t *
str(const char *s)
{
    return sw_json_string_repair(s);
}

static json_t *
dims_json(const struct sw_dimension *d, size_t n, enum sw_cwrender_form form,
          int *failed)
{
    json_t *arr = json_array();

    if (!arr) {
        *failed = 1;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();

        if (!o) {
            *failed = 1;
            break;
        }
        if (form == SW_CWRENDER_SNS) {
            /* CloudWatch's messages: lower-case keys, value first */
            sw_json_set_new(o, "value", str(d[i].value), failed);
            sw_json_set_new(o, "name", str(d[i].name), failed);
        } else {
            sw_json_set_new(o, "Name", str(d[i].name), failed);
            sw_json_set_new(o, "Value", str(d[i].value), failed);
        }
        sw_json_append_new(arr, o, failed);
    }
    return arr;
}

/* One metric's query: {Id, MetricStat, ReturnData false}. */
static json_t *
metric_query(const struct sw_rule *r, const struct sw_metric_stat *m,
             enum sw_cwrender_form form, int *failed)
{
    json_t *entry = json_object(), *ms = json_object(), *metric = json_object();
    const char *ns = m->namespace_ ? m->namespace_ : r->namespace_;

    if (!entry || !ms || !metric) {
        json_decref(entry);
        json_decref(ms);
        json_decref(metric);
        *failed = 1;
        return NULL;
    }
    if (form == SW_CWRENDER_SNS) {
        sw_json_set_new(metric, "Dimensions",
                        dims_json(m->dims, m->ndims, form, failed), failed);
        sw_json_set_new(metric, "MetricName", str(m->metric), failed);
        sw_json_set_new(metric, "Namespace", str(ns), failed);
    } else {
        sw_json_set_new(metric, "Namespace", str(ns), failed);
        sw_json_set_new(metric, "MetricName", str(m->metric), failed);
        sw_json_set_new(metric, "Dimensions",
                        dims_json(m->dims, m->ndims, form, failed), failed);
    }
    sw_json_set_new(ms, "Metric", metric, failed);
    sw_json_set_new(ms, "Period", json_integer(r->period_s), failed);
    sw_json_set_new(ms, "Stat", str(m->stat), failed);
    if (m->unit)
        sw_json_set_new(ms, "Unit", str(m->unit), failed);
    sw_json_set_new(entry, "Id", str(m->id), failed);
    sw_json_set_new(entry, "MetricStat", ms, failed);
    sw_json_set_new(entry, "ReturnData", json_false(), failed);
    return entry;
}

/* The alarmed expression: {Id, Expression, Label, ReturnData true}. */
static json_t *
expression_query(const struct sw_rule *r, enum sw_cwrender_form form,
                 int *failed)
{
    json_t *e = json_object();
    char id[SW_RULE_EXPR_ID_BUF];

    if (!e) {
        *failed = 1;
        return NULL;
    }
    sw_rule_expression_id(r, id);
    if (form == SW_CWRENDER_SNS) {
        sw_json_set_new(e, "Expression", str(r->expression), failed);
        sw_json_set_new(e, "Id", json_string(id), failed);
    } else {
        sw_json_set_new(e, "Id", json_string(id), failed);
        sw_json_set_new(e, "Expression", str(r->expression), failed);
    }
    sw_json_set_new(e, "Label", str(r->expression), failed);
    sw_json_set_new(e, "ReturnData", json_true(), failed);
    return e;
}

static json_t *
metrics_json(const struct sw_rule *r, enum sw_cwrender_form form, int *failed)
{
    json_t *arr = json_array();

    if (!arr) {
        *failed = 1;
        return NULL;
    }
    for (size_t i = 0; i < r->nmetrics && !*failed; i++)
        sw_json_append_new(arr, metric_query(r, &r->metrics[i], form, failed),
                           failed);
    sw_json_append_new(arr, expression_query(r, form, failed), failed);
    return arr;
}

static void
single_metric(json_t *o, const struct sw_rule *r, enum sw_cwrender_form form,
              int *failed)
{
    const char *stat = sw_cwrender_statistic(r->stat, form);

    sw_json_set_new(o, "MetricName", str(r->metric), failed);
    sw_json_set_new(o, "Namespace", str(r->namespace_), failed);
    if (form == SW_CWRENDER_SNS) {
        sw_json_set_new(o, "StatisticType",
                        json_string(stat ? "Statistic" : "ExtendedStatistic"),
                        failed);
        sw_json_set_new(o, stat ? "Statistic" : "ExtendedStatistic",
                        stat ? json_string(stat) : str(r->stat), failed);
        sw_json_set_new(o, "Unit", str(r->unit), failed);
        sw_json_set_new(o, "Dimensions",
                        dims_json(r->dims, r->ndims, form, failed), failed);
        return;
    }
    /* the two statistics are exclusive: pNN is an ExtendedStatistic */
    sw_json_set_new(o, stat ? "Statistic" : "ExtendedStatistic", str(r->stat),
                    failed);
    sw_json_set_new(o, "Dimensions", dims_json(r->dims, r->ndims, form, failed),
                    failed);
    sw_json_set_new(o, "Period", json_integer(r->period_s), failed);
    if (r->unit)
        sw_json_set_new(o, "Unit", str(r->unit), failed);
}

int
sw_cwrender_alarm(json_t *obj, const struct sw_rule *r,
                  enum sw_cwrender_form form)
{
    int math = sw_rule_is_math(r), failed = 0;
    int extended = !math && !sw_cwrender_statistic(r->stat, form);

    if (!math)
        single_metric(obj, r, form, &failed);
    if (form == SW_CWRENDER_SNS) {
        sw_json_set_new(obj, "Period", json_integer(r->period_s), &failed);
        sw_json_set_new(obj, "EvaluationPeriods",
                        json_integer(r->evaluation_periods), &failed);
        sw_json_set_new(obj, "DatapointsToAlarm",
                        json_integer(r->datapoints_to_alarm), &failed);
        sw_json_set_new(obj, "ComparisonOperator",
                        json_string(sw_cmp_name(r->cmp)), &failed);
        sw_json_set_new(obj, "Threshold", json_real(r->threshold), &failed);
        sw_json_set_new(obj, "TreatMissingData",
                        json_string(sw_tmd_name(r->tmd)), &failed);
        sw_json_set_new(obj, "EvaluateLowSampleCountPercentile",
                        json_string(r->low_sample_ignore ? "ignore" : ""),
                        &failed);
    } else {
        sw_json_set_new(obj, "EvaluationPeriods",
                        json_integer(r->evaluation_periods), &failed);
        sw_json_set_new(obj, "DatapointsToAlarm",
                        json_integer(r->datapoints_to_alarm), &failed);
        sw_json_set_new(obj, "Threshold", json_real(r->threshold), &failed);
        sw_json_set_new(obj, "ComparisonOperator",
                        json_string(sw_cmp_name(r->cmp)), &failed);
        sw_json_set_new(obj, "TreatMissingData",
                        json_string(sw_tmd_name(r->tmd)), &failed);
        if (extended)
            sw_json_set_new(
                obj, "EvaluateLowSampleCountPercentile",
                json_string(r->low_sample_ignore ? "ignore" : "evaluate"),
                &failed);
    }
    if (math)
        sw_json_set_new(obj, "Metrics", metrics_json(r, form, &failed),
                        &failed);
    return failed ? SW_ENOMEM : 0;
}

const char *
sw_cwrender_namespace(const struct sw_rule *r)
{
    if (!r->namespace_ && sw_rule_is_math(r))
        return r->metrics[0].namespace_;
    return r->namespace_;
}

const char *
sw_cwrender_metric_name(const struct sw_rule *r)
{
    return sw_rule_is_math(r) ? r->expression : r->metric;
}

static const char *
find_dim(const struct sw_dimension *d, size_t n, const char *name)
{
    for (size_t i = 0; d && i < n; i++)
        if (d[i].name && d[i].value && strcmp(d[i].name, name) == 0)
            return d[i].value;
    return NULL;
}

const char *
sw_cwrender_stream(const struct sw_rule *r)
{
    const char *s;

    if (r->stream)
        return r->stream;
    s = find_dim(r->dims, r->ndims, "StreamName");
    for (size_t i = 0; !s && r->metrics && i < r->nmetrics; i++)
        s = find_dim(r->metrics[i].dims, r->metrics[i].ndims, "StreamName");
    return s;
}
