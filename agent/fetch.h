/* agent/fetch.h - the series an alarm evaluates, from its metric source.
 *
 * A single-metric alarm is one GetMetricStatistics question.  A percentile
 * alarm that ignores low sample counts needs the SampleCount of each period
 * too, which GetMetricStatistics cannot return in the same call as an
 * ExtendedStatistic, so it asks twice and joins the answers by timestamp.
 * A metric-math alarm fetches each of its metrics over the same window
 * and evaluates the expression (rules/expr) into one series.
 */
#ifndef SW_AGENT_FETCH_H
#define SW_AGENT_FETCH_H

#include <stddef.h>
#include <time.h>

#include "lib/metric.h"

struct sw_rule;
struct sw_source;

/* sw_fetch_series - the datapoints of rule R in [START, END), sorted.
 * Returns 0 and *out: new array (free()) of *n points; or an SW_E* code
 * with a one-line ERR ("metric 'r': Throttling: Rate exceeded (3
 * attempts)").  *requests counts the source calls made (may be NULL). */
int sw_fetch_series(struct sw_source *src, const struct sw_rule *r,
                    time_t start, time_t end, struct sw_datapoint **out,
                    size_t *n, int *requests, char *err, size_t errlen);

#endif
