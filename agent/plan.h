/* agent/plan.h - one cycle's fetches, shared between alarms.
 *
 * Many alarms read the same series: two thresholds on one stream's
 * IncomingRecords, or a metric-math alarm whose inputs are also alarmed
 * on alone.  A plan collects what every due alarm needs (a statistic of a
 * series over its window; a percentile alarm that ignores low sample
 * counts also the SampleCount; a metric-math alarm each metric its
 * expression reads) and asks for each (series, statistic) once, over the
 * widest window any alarm needs.  A series is the namespace, metric name,
 * dimensions (a set: their order in the file does not matter, as to
 * CloudWatch), period and unit.  The source then asks for the fetches of
 * one series together (agent/source.h): one GetMetricStatistics call
 * carries up to 5 statistics and 10 extended statistics.
 *
 * After the source has answered, sw_plan_series() gives each alarm its
 * series exactly as fetching it alone would have: the points of its own
 * window, the SampleCount joined (a percentile alarm that ignores low
 * sample counts), the expression evaluated (rules/expr).
 *
 * The plan owns its fetches (and their answers) and the parsed
 * expressions; it borrows the rules, which must outlive it.
 */
#ifndef SW_AGENT_PLAN_H
#define SW_AGENT_PLAN_H

#include <stddef.h>
#include <time.h>

#include "agent/source.h"
#include "rules/expr.h"
#include "rules/rule.h"

struct sw_expr;

/* Needs per alarm: one per metric of a metric-math alarm, or the
 * statistic and its SampleCount. */
#define SW_PLAN_NEEDS (SW_RULE_MAX_METRICS + 1)
#define SW_PLAN_NONE  ((size_t)-1)

struct sw_plan_alarm {
    const struct sw_rule *rule; /* borrowed */
    time_t start, end;          /* its window (rules/eval sw_eval_window) */
    size_t need[SW_PLAN_NEEDS]; /* fetch index, or SW_PLAN_NONE: for
                                   metric math by metric (a metric the
                                   expression never reads is not fetched:
                                   CloudWatch bills it for nothing), else
                                   [0] the statistic, [1] its SampleCount */
    struct sw_expr *expr;       /* metric math: parsed, owned */
    struct sw_expr_vars vars;   /* SHARDS, when known */
    int result;                 /* < 0: the alarm cannot be planned (its
                                   expression does not parse); ERR says */
    char *err;                  /* owned; NULL unless RESULT < 0 (and even
                                   then when memory ran out): a buffer in
                                   each of a fleet's alarms would be most
                                   of the plan */
};

struct sw_plan {
    struct sw_plan_alarm *alarms; /* in the order added */
    size_t nalarms, alarms_alloc;
    struct sw_fetch *fetches; /* distinct (series, statistic), after
                                 sw_plan_finish(); ordered by series */
    size_t nfetches;
    size_t nseries; /* distinct series */
    /* what sw_plan_add() collected, until sw_plan_finish() */
    struct sw_plan_want *wants;
    size_t nwants, wants_alloc;
};

/* sw_plan_init - an empty plan. */
void sw_plan_init(struct sw_plan *p);

/* sw_plan_add - alarm R (borrowed) evaluates [START, END); VARS (copied;
 * NULL: none known) are the values its expression may use besides its
 * metrics (SHARDS).  Returns 0 (a metric-math expression that does not
 * parse is recorded in the alarm's result, not returned) or SW_ENOMEM. */
int sw_plan_add(struct sw_plan *p, const struct sw_rule *r, time_t start,
                time_t end, const struct sw_expr_vars *vars);

/* sw_plan_fail - alarm R cannot be fetched this cycle (what its
 * expression needs could not be had: RESULT, a one-line ERR): it is
 * planned with no fetch, and sw_plan_series() gives it this failure.
 * Returns 0 or SW_ENOMEM. */
int sw_plan_fail(struct sw_plan *p, const struct sw_rule *r, time_t start,
                 time_t end, int result, const char *err);

/* sw_plan_finish - make the fetches: each distinct (series, statistic)
 * once, over the union of the windows that need it.  Call once, after
 * the last sw_plan_add().  Returns 0 or SW_ENOMEM. */
int sw_plan_finish(struct sw_plan *p);

/* sw_plan_series - alarm I's series from the answered fetches, sorted,
 * within its window.  Returns 0 and *out (new, free()) of *n points; the
 * alarm's own failure, or that of the first fetch it needs, with a
 * one-line ERR ("metric 'r': Throttling: Rate exceeded (3 attempts)" for
 * metric math); SW_ECANCELED when a fetch it needs was not answered; or
 * SW_ENOMEM. */
int sw_plan_series(const struct sw_plan *p, size_t i, struct sw_datapoint **out,
                   size_t *n, char *err, size_t errlen);

/* sw_plan_release - free everything the plan owns. */
void sw_plan_release(struct sw_plan *p);

#endif
