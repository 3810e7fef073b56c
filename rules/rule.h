/* rules/rule.h - the alarm rule model.
 *
 * A struct sw_rule is one fully checked alarm definition, in CloudWatch's
 * terms (Amazon CloudWatch API Reference: PutMetricAlarm).  agent/conf builds
 * rules from the config file; rules/eval evaluates them; nothing here knows
 * about files, libconfig or AWS.  Pure: no I/O, no clock, no globals.
 *
 * Ownership: every pointer in a rule is owned by the rule and released by
 * sw_rule_free().
 */
#ifndef SW_RULES_RULE_H
#define SW_RULES_RULE_H

#include <stddef.h>

#include "lib/metric.h"
#include "lib/strv.h" /* the rule's lists; its users use sw_strv_* */

enum sw_state {
    SW_STATE_INSUFFICIENT_DATA = 0, /* every new alarm starts here */
    SW_STATE_OK = 1,
    SW_STATE_ALARM = 2,
};

enum sw_cmp {
    SW_CMP_GT = 0, /* GreaterThanThreshold */
    SW_CMP_GE,     /* GreaterThanOrEqualToThreshold */
    SW_CMP_LT,     /* LessThanThreshold */
    SW_CMP_LE,     /* LessThanOrEqualToThreshold */
};

enum sw_tmd {
    SW_TMD_MISSING = 0, /* the default */
    SW_TMD_IGNORE,
    SW_TMD_BREACHING,
    SW_TMD_NOT_BREACHING,
};

#define SW_RULE_MAX_METRICS 10 /* metrics in one metric-math alarm */

/* One metric of a metric-math alarm: a MetricStat with the id the
 * expression refers to.  All of a rule's metrics share its period. */
struct sw_metric_stat {
    char *id;         /* [a-z][A-Za-z0-9_]*, unique in the rule */
    char *namespace_; /* default "AWS/Kinesis" */
    char *metric;
    struct sw_dimension *dims;
    size_t ndims;
    char *stat; /* "Sum" ... or "p99" */
    char *unit; /* may be NULL */
};

struct sw_rule {
    char *name;        /* AlarmName */
    char *description; /* AlarmDescription, may be NULL */
    char *namespace_;  /* default "AWS/Kinesis" */
    char *metric;      /* MetricName */
    struct sw_dimension *dims;
    size_t ndims;
    char *stat;   /* "Sum" ... or "p99" (ExtendedStatistic) */
    char *unit;   /* may be NULL */
    int period_s; /* 10, 20, 30 or a multiple of 60 */
    double threshold;
    enum sw_cmp cmp;
    int evaluation_periods;      /* N */
    int datapoints_to_alarm;     /* M, 1 <= M <= N */
    int datapoints_to_alarm_set; /* M was given, not defaulted to N */
    int evaluation_range;        /* periods fetched; 0 = CloudWatch's default */
    enum sw_tmd tmd;
    struct sw_strv alarm_actions; /* notifier names */
    struct sw_strv ok_actions;
    struct sw_strv insufficient_data_actions;
    int actions_enabled; /* default 1 */
    int sync;            /* also keep a real CloudWatch alarm */
    int line;            /* config line, for messages */

    /* metric math (PutMetricAlarm Metrics): up to SW_RULE_MAX_METRICS */
    struct sw_metric_stat *metrics;
    size_t nmetrics;
    char *expression; /* the alarmed expression, e.g. "w - FILL(r, 0)" */

    int low_sample_ignore;       /* EvaluateLowSampleCountPercentile "ignore" */
    int repeat_interval_s;       /* re-notify while in ALARM; 0: the notifier's
                                    default */
    struct sw_dimension *labels; /* extra labels (Alertmanager) */
    size_t nlabels;

    /* templates */
    struct sw_strv streams; /* names and glob patterns ("clicks-*") */
    char *stream;           /* an instantiated alarm: its stream */
    char *template_name;    /* an instantiated alarm: the template's name */
};

/* sw_rule_new - zeroed rule with CloudWatch's defaults.
 * Returns: new (free with sw_rule_free()), or NULL. */
struct sw_rule *sw_rule_new(void);
void sw_rule_free(struct sw_rule *r);

/* sw_rule_eval_range - number of periods to fetch: evaluation_range when
 * set, else N + max(N/3, 2) (5 for N = 3, the documented example;
 * docs/cloudwatch-alarms.md section 2). */
int sw_rule_eval_range(const struct sw_rule *r);

/* sw_rule_is_math - 1 when R alarms on a metric-math expression (metrics
 * and an expression), 0 for a single metric. */
int sw_rule_is_math(const struct sw_rule *r);

#define SW_RULE_EXPR_ID_BUF 16

/* sw_rule_expression_id - the Id of R's expression among its metric-math
 * queries: "e1", or the first "eN" that no metric of R uses (the metric
 * ids are the user's).  The SNS Trigger and PutMetricAlarm both use it
 * (rules/cwrender.h), so the two agree. */
void sw_rule_expression_id(const struct sw_rule *r,
                           char out[SW_RULE_EXPR_ID_BUF]);

/* Enum names exactly as CloudWatch spells them. Returns: static. */
const char *sw_state_name(enum sw_state s);
const char *sw_cmp_name(enum sw_cmp c);
/* sw_cmp_symbol - ">", ">=", "<" or "<=" for C (summaries, reports);
 * "?" for a value outside the enum. */
const char *sw_cmp_symbol(enum sw_cmp c);
const char *sw_tmd_name(enum sw_tmd t);
/* Parsers: 0 or SW_EINVAL. */
int sw_state_parse(const char *s, enum sw_state *out);
int sw_cmp_parse(const char *s, enum sw_cmp *out);
int sw_tmd_parse(const char *s, enum sw_tmd *out);

/* sw_cmp_breaches - 1 when VALUE op THRESHOLD holds (metric on the left). */
int sw_cmp_breaches(enum sw_cmp c, double value, double threshold);

#endif
