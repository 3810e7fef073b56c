/* lib/metric.h - the metric value types shared by every layer.
 *
 * A metric query names one CloudWatch metric and statistic over a time
 * range; a datapoint is one period's value.  aws/ fills datapoints from
 * GetMetricStatistics, agent/ from a recorded CSV file, and rules/ turns
 * them into alarm states, so the types live here, below all three.
 * Pure: no I/O.
 */
#ifndef SW_LIB_METRIC_H
#define SW_LIB_METRIC_H

#include <stddef.h>
#include <time.h>

#define SW_MAX_DIMENSIONS 30 /* GetMetricStatistics limit */

struct sw_dimension {
    char *name; /* owned by whoever owns the array */
    char *value;
};

/* One GetMetricStatistics question.  All pointers are borrowed from the
 * caller for the duration of the call. */
struct sw_metric_query {
    const char *namespace_; /* "AWS/Kinesis" */
    const char *metric;     /* "IncomingRecords" */
    const struct sw_dimension *dims;
    size_t ndims;
    const char *stat; /* "Sum" ... "SampleCount", or "p99", "p99.9" */
    const char *unit; /* NULL: any unit */
    int period_s;
    time_t start; /* inclusive, aligned to period_s */
    time_t end;   /* exclusive */
};

/* One CloudWatch time series as GetMetricStatistics and GetMetricData
 * name it: the metric (namespace, name, exact set of dimensions), the
 * unit filter and the period.  Alarms that watch the same series can share
 * one request for it (several statistics, the widest window).  All
 * pointers are borrowed from the caller for the duration of the call. */
struct sw_series {
    const char *namespace_; /* "AWS/Kinesis" */
    const char *metric;     /* "IncomingRecords" */
    const struct sw_dimension *dims;
    size_t ndims;
    const char *unit; /* NULL: any unit */
    int period_s;
};

struct sw_datapoint {
    time_t ts;           /* start of the period */
    double value;        /* the requested statistic */
    double sample_count; /* SampleCount when known, else -1 */
};

/* sw_stat_is_percentile - 1 for "p0".."p100" (with decimals), else 0. */
int sw_stat_is_percentile(const char *stat);
/* sw_stat_is_valid - one of Sum Average Minimum Maximum SampleCount or a
 * valid percentile pNN[.N...] with 0 <= NN <= 100. */
int sw_stat_is_valid(const char *stat);

/* sw_datapoints_normalize - sort ascending by ts and drop duplicates
 * (same ts: the later entry in the input wins, as a re-published value
 * replaces the earlier one).  Returns the new count. */
size_t sw_datapoints_normalize(struct sw_datapoint *v, size_t n);

/* sw_datapoints_join_counts - for each of PTS (N points, sorted and
 * unique by ts) that has a point of CNT (NCNT SampleCount points, sorted
 * and unique) at the same ts, set its sample_count to that point's value;
 * the others keep theirs.  This is how a percentile learns its sample
 * counts for evaluate_low_sample_count_percentile = "ignore". */
void sw_datapoints_join_counts(struct sw_datapoint *pts, size_t n,
                               const struct sw_datapoint *cnt, size_t ncnt);

/* sw_metric_query_key - Q's series and statistic as one string that two
 * queries share exactly when CloudWatch answers them from the same series
 * with the same statistic: namespace, metric, unit, period, the
 * dimensions sorted (their order does not matter to CloudWatch), then the
 * statistic.  The window is not part of it.  *SERIES_LEN (may be NULL):
 * the bytes of the key that name the series.
 * Returns: new (free()), or NULL when out of memory. */
char *sw_metric_query_key(const struct sw_metric_query *q, size_t *series_len);

#endif
