/* agent/source.h - where datapoints come from: one small interface.
 *
 * Two sources implement it: CloudWatch (GetMetricStatistics through
 * aws/cloudwatch) and a recorded CSV file (agent/recording), so the agent
 * can run with no AWS account.  A source answers one question at a time:
 * the datapoints of one metric and statistic in [start, end).
 */
#ifndef SW_AGENT_SOURCE_H
#define SW_AGENT_SOURCE_H

#include <stddef.h>

#include "lib/metric.h"

struct sw_aws;
struct sw_source;

struct sw_source_ops {
    const char *name; /* "cloudwatch", "recording" */
    /* fetch - see sw_source_fetch(). */
    int (*fetch)(struct sw_source *s, const struct sw_metric_query *q,
                 struct sw_datapoint **out, size_t *n, char *err,
                 size_t errlen);
    void (*free)(struct sw_source *s);
};

struct sw_source {
    const struct sw_source_ops *ops;
};

/* sw_source_fetch - datapoints of Q, sorted by time and de-duplicated.
 * Returns 0 and *out: new array (free()) of *n points (0 points is not an
 * error: it is missing data); or an SW_E* code with a one-line ERR that
 * names the cause ("Throttling: Rate exceeded (3 attempts)"). */
int sw_source_fetch(struct sw_source *s, const struct sw_metric_query *q,
                    struct sw_datapoint **out, size_t *n, char *err,
                    size_t errlen);
void sw_source_free(struct sw_source *s);

/* sw_source_cloudwatch_new - AWS is borrowed and must outlive the source.
 * Returns 0 and *out: new; or SW_ENOMEM. */
int sw_source_cloudwatch_new(struct sw_aws *aws, struct sw_source **out);

#endif
