/* rules/cwrender.h - the one CloudWatch rendering of a rule's alarm
 * configuration: its metric (or metric math) and its settings, as JSON.
 *
 * CloudWatch shows an alarm's configuration in two shapes, and a rule
 * needs both:
 *  - SW_CWRENDER_API: the PutMetricAlarm input, which DescribeAlarms also
 *    returns (the "PutMetricAlarm" page of the Amazon CloudWatch API
 *    Reference): members in the API model's order, dimensions as
 *    {"Name","Value"}, statistics spelt as in the API ("Sum").  agent/sync
 *    sends it.
 *  - SW_CWRENDER_SNS: the "Trigger" of the alarm notification CloudWatch
 *    publishes to an SNS topic (tests/data/message/cloudwatch_sns_alarm.json
 *    is one): dimensions as {"value","name"}, standard statistics
 *    upper-case ("SUM") with a StatisticType, Unit null when none.
 *    notifiers/message puts it in every notification record.
 * Both come from sw_cwrender_alarm(), so a field added to a rule is added
 * to both, and the expression's Id (sw_rule_expression_id()) is the same
 * in the SNS message and in the synced alarm.  agent/sync's diff compares
 * exactly sw_cwrender_api_members[]; the Alertmanager labels and the
 * record's summary fields use the names below.
 *
 * Every string a rule holds is rendered with bytes that are not UTF-8
 * replaced by U+FFFD (agent/conf refuses them, so only a rule built
 * elsewhere has any).
 *
 * Pure: no I/O.  Depends on lib/ (json_util, metric), rules/rule.h and
 * jansson.
 */
#ifndef SW_RULES_CWRENDER_H
#define SW_RULES_CWRENDER_H

#include <jansson.h>

#include "rules/rule.h"

enum sw_cwrender_form {
    SW_CWRENDER_API = 0, /* PutMetricAlarm / DescribeAlarms */
    SW_CWRENDER_SNS,     /* the SNS alarm notification's Trigger */
};

/* sw_cwrender_alarm - add R's alarm configuration to OBJ, in FORM.
 *
 * API, after the caller's AlarmName, AlarmDescription, ActionsEnabled and
 * action lists, before its Tags: for a single metric MetricName,
 * Namespace, Statistic ("Sum") or ExtendedStatistic ("p99"), Dimensions,
 * Period, Unit (only when set); then EvaluationPeriods, DatapointsToAlarm,
 * Threshold, ComparisonOperator, TreatMissingData,
 * EvaluateLowSampleCountPercentile ("evaluate" or "ignore"; only for an
 * ExtendedStatistic: CloudWatch documents it for percentiles, and for
 * metric math it stays a local setting), and Metrics for metric math.
 *
 * SNS, the whole Trigger: for a single metric MetricName, Namespace,
 * StatisticType ("Statistic" or "ExtendedStatistic"), Statistic ("SUM")
 * or ExtendedStatistic ("p99"), Unit (null when none), Dimensions; then
 * Period, EvaluationPeriods, DatapointsToAlarm, ComparisonOperator,
 * Threshold, TreatMissingData, EvaluateLowSampleCountPercentile ("" or
 * "ignore"), and Metrics for metric math.
 *
 * Metrics (both forms): each metric of R in rule order as {Id,
 * MetricStat: {Metric: {Namespace, MetricName, Dimensions}, Period, Stat,
 * Unit (only when set)}, ReturnData: false}, then the expression as {Id
 * (sw_rule_expression_id()), Expression, Label (the expression text),
 * ReturnData: true}.  API keeps the model's member order; SNS orders the
 * members of each object alphabetically, as CloudWatch's messages do.
 *
 * Returns 0, or SW_ENOMEM (OBJ may then hold some of the members). */
int sw_cwrender_alarm(json_t *obj, const struct sw_rule *r,
                      enum sw_cwrender_form form);

/* sw_cwrender_statistic - STAT as FORM spells it in "Statistic": API
 * "Sum", SNS "SUM" (and "SAMPLE_COUNT" for "SampleCount").  Returns:
 * static, or NULL when STAT is not one of the five standard statistics
 * (a percentile goes in "ExtendedStatistic" as written). */
const char *sw_cwrender_statistic(const char *stat, enum sw_cwrender_form form);

/* The members sw_cwrender_alarm() writes in the API form, in its order,
 * NULL-terminated; the first SW_CWRENDER_API_METRIC_MEMBERS are the
 * single metric's (all absent for metric math).  tests/unit/
 * test_cwrender.c checks the rendering against this list. */
extern const char *const sw_cwrender_api_members[];
#define SW_CWRENDER_API_METRIC_MEMBERS 7

/* The names an alarm is known by outside CloudWatch (the notification
 * record's summary, the Alertmanager labels).  Returns: borrowed from R,
 * or NULL. */

/* sw_cwrender_namespace - R's namespace; for metric math without one,
 * the first metric's. */
const char *sw_cwrender_namespace(const struct sw_rule *r);
/* sw_cwrender_metric_name - the MetricName, or the expression for metric
 * math. */
const char *sw_cwrender_metric_name(const struct sw_rule *r);
/* sw_cwrender_stream - R->stream (an alarm made from a template), else the
 * value of the first StreamName dimension of R, else of its metrics. */
const char *sw_cwrender_stream(const struct sw_rule *r);

#endif
