/* aws/cloudwatch.h - CloudWatch GetMetricStatistics and GetMetricData over
 * AWS JSON 1.0.
 *
 * X-Amz-Target GraniteServiceVersion20100801.GetMetricStatistics (or
 * .GetMetricData), Content-Type application/x-amz-json-1.0 (CloudWatch API
 * Reference, "GetMetricStatistics", "GetMetricData"; docs/aws-wire.md §5
 * and §15).  Request bodies are built with jansson after the API's limits
 * are checked; replies are parsed, validated (types, timestamps, the
 * requested statistics, ids), sorted and de-duplicated.  Builders and
 * parsers are pure so they can be unit-tested and fuzzed;
 * sw_cw_get_metric_statistics() is the one function here that talks to the
 * network (through aws/client).  Callers that run requests themselves (the
 * concurrent fetcher in agent/) use the builders and parsers with
 * sw_aws_call() or its asynchronous form.  Everything a function returns
 * is owned by the caller; every argument is borrowed.
 */
#ifndef SW_AWS_CLOUDWATCH_H
#define SW_AWS_CLOUDWATCH_H

#include <stddef.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/metric.h"

struct sw_aws;
struct sw_aws_error;

#define SW_CW_MAX_DATAPOINTS 1440 /* per GetMetricStatistics call */
#define SW_CW_MAX_REPLY      (4u * 1024 * 1024)
/* Per GetMetricStatistics call: Statistics has 1-5 members,
 * ExtendedStatistics 1-10, and a call carries one list or the other,
 * never both ("When calling GetMetricStatistics, you must specify either
 * Statistics or ExtendedStatistics, but not both"). */
#define SW_CW_MAX_STATISTICS          5
#define SW_CW_MAX_EXTENDED_STATISTICS 10
/* Per GetMetricData call: 500 queries and 100,800 datapoints; more
 * datapoints come in further pages (NextToken). */
#define SW_CW_GMD_MAX_QUERIES    500
#define SW_CW_GMD_MAX_DATAPOINTS 100800
#define SW_CW_GMD_MAX_ID         255
/* Buffer caps for a GetMetricData call: a full page of 100,800 values
 * printed with 17 significant digits and their timestamps is about 4 MB;
 * 500 Kinesis queries take about 200 KB, and only hundreds of long
 * dimension values (up to 30 of 1,024 bytes per query) would need more
 * than 4 MiB, which sw_cw_gmd_request() then refuses with SW_ETOOBIG. */
#define SW_CW_GMD_MAX_REQUEST (4u * 1024 * 1024)
#define SW_CW_GMD_MAX_REPLY   (16u * 1024 * 1024)

/* --- GetMetricStatistics --- */

/* sw_cw_gms_request_stats - the JSON 1.0 GetMetricStatistics request
 * for the NSTATS statistics STATS of the series S over [START, END),
 * appended to BODY (left as it was on failure).  STATS are all plain
 * (SampleCount Average Sum Minimum Maximum, at most 5, sent as
 * Statistics) or all percentiles ("p99", "p99.9", at most 10, sent as
 * ExtendedStatistics), each once: CloudWatch refuses a call with both
 * lists, so a caller that needs both makes two calls.
 * Returns 0; SW_EINVAL when the request breaks an API limit (ERR says
 * which: no namespace/metric, names too long or not UTF-8, > 30
 * dimensions, bad unit, period not 1/5/10/20/30 or a multiple of 60, no
 * statistics, an invalid or repeated one, plain and percentile mixed, > 5
 * or > 10 of them, start >= end, more than 1,440 datapoints);
 * SW_ETOOBIG (BODY's cap); SW_ENOMEM. */
int sw_cw_gms_request_stats(const struct sw_series *s, const char *const *stats,
                            size_t nstats, time_t start, time_t end,
                            struct sw_buf *body, char *err, size_t errlen);

/* sw_cw_gms_request - sw_cw_gms_request_stats() for Q's one statistic. */
int sw_cw_gms_request(const struct sw_metric_query *q, struct sw_buf *body,
                      char *err, size_t errlen);

/* sw_cw_gms_parse_stats - parse a GetMetricStatistics JSON reply and
 * extract each of the NSTATS statistics STATS ("Sum", "p99" from
 * ExtendedStatistics; plain and percentiles may be mixed here) of every
 * datapoint.  OUT and NOUT are the caller's arrays of NSTATS entries:
 * OUT[k] becomes a new array (free()) of NOUT[k] points of STATS[k],
 * sorted by time and de-duplicated (NULL when NOUT[k] is 0).  A datapoint
 * without one of the statistics has no value for it at that time; a
 * datapoint with none of them is an error.  Each point's sample_count is
 * the datapoint's SampleCount when present (-1 otherwise); when
 * SampleCount is one of STATS, every other statistic's point takes the
 * SampleCount series' value at its time, as a separate SampleCount fetch
 * joined with sw_datapoints_join_counts() would.
 * Returns 0; SW_EPARSE with ERR set to a one-line reason ("reply is not
 * JSON: ... at line 1 column 7", "datapoint 3 has no 'Sum'", the index
 * counting from 0) and every OUT[k] NULL, NOUT[k] 0; SW_EINVAL for an
 * invalid statistic or NSTATS not within 1..15; SW_ENOMEM. */
int sw_cw_gms_parse_stats(const char *json, size_t len,
                          const char *const *stats, size_t nstats,
                          struct sw_datapoint **out, size_t *nout, char *err,
                          size_t errlen);

/* sw_cw_gms_parse - sw_cw_gms_parse_stats() for the one statistic STAT:
 * *out and *n as OUT[0] and NOUT[0]. */
int sw_cw_gms_parse(const char *json, size_t len, const char *stat,
                    struct sw_datapoint **out, size_t *n, char *err,
                    size_t errlen);

/* sw_cw_get_metric_statistics - build, call (signed, retried) and parse.
 * Returns 0 and *out as sw_cw_gms_parse(); on failure an SW_E* code with
 * ERR filled (for a bad reply: code "MalformedReply" and the parse error
 * as message). */
int sw_cw_get_metric_statistics(struct sw_aws *a,
                                const struct sw_metric_query *q,
                                struct sw_datapoint **out, size_t *n,
                                struct sw_aws_error *err);

/* --- GetMetricData --- */

/* One MetricDataQuery with a MetricStat. */
struct sw_cw_gmd_query {
    const char *id; /* ^[a-z][a-zA-Z0-9_]*$, 1-255 bytes, unique in a call */
    const struct sw_series *series;
    const char *stat; /* as sw_stat_is_valid() */
};

/* sw_cw_gmd_request - the JSON 1.0 GetMetricData request for the N
 * queries Q (1-500) over [START, END), appended to BODY (left as it was on
 * failure): MetricDataQueries [{Id, MetricStat {Metric {Namespace,
 * MetricName, Dimensions?}, Period, Stat, Unit?}, ReturnData true}],
 * StartTime, EndTime (epoch seconds, as GetMetricStatistics sends them),
 * NextToken when NEXT_TOKEN is not NULL (the previous page's), ScanBy
 * TimestampAscending.  START should be aligned to the periods, as for
 * GetMetricStatistics, so both calls return the same period starts.
 * Returns 0; SW_EINVAL when the request breaks an API limit (ERR names
 * the query: "query 3 ('m3'): period 45 must be ..."; bad or repeated id,
 * a series or statistic sw_cw_gms_request() would refuse, N not 1-500,
 * start >= end, an empty or non-UTF-8 token); SW_ETOOBIG (BODY's cap,
 * e.g. SW_CW_GMD_MAX_REQUEST); SW_ENOMEM. */
int sw_cw_gmd_request(const struct sw_cw_gmd_query *q, size_t n, time_t start,
                      time_t end, const char *next_token, struct sw_buf *body,
                      char *err, size_t errlen);

/* The answer to one query in one page of GetMetricData. */
struct sw_cw_gmd_result {
    char *id;     /* the query's id */
    char *status; /* Complete | PartialData | InternalError | Forbidden;
                   * NULL when the page has no result for the query */
    struct sw_datapoint *pts; /* sorted, unique; sample_count -1 */
    size_t n;
    char *message; /* the result's Messages as "Code: Value; ...", control
                    * characters blanked, at most 1 KiB; NULL when none */
};

/* sw_cw_gmd_parse - parse one GetMetricData JSON reply to the N queries Q
 * (those of the request).  *OUT becomes a new array of N results
 * (sw_cw_gmd_results_free()), (*OUT)[i] answering Q[i], *NOUT = N.
 * *NEXT_TOKEN (NEXT_TOKEN may be NULL) becomes the reply's NextToken
 * (free()), NULL on the last page.  Checked: MetricDataResults entries
 * are objects with a string Id that is one of Q's ids and is not repeated,
 * a StatusCode of the four above, Timestamps and Values arrays of the same
 * length, timestamps numbers of seconds from 1970 to 9999 (fractions
 * dropped), values finite numbers; Label, Messages and NextToken of the
 * right types.  The reply-level Messages are checked but not returned.
 * Returns 0; SW_EPARSE with ERR a one-line reason ("result 2: 'Values'
 * has 3 entries but 'Timestamps' 4"), *OUT NULL, *NOUT 0, *NEXT_TOKEN
 * NULL; SW_EINVAL (no queries); SW_ENOMEM. */
int sw_cw_gmd_parse(const char *json, size_t len,
                    const struct sw_cw_gmd_query *q, size_t n,
                    struct sw_cw_gmd_result **out, size_t *nout,
                    char **next_token, char *err, size_t errlen);

/* sw_cw_gmd_merge - fold the page PAGE into ACC, both N results of
 * sw_cw_gmd_parse() for the same queries: each ACC[i] gets PAGE[i]'s
 * points (moved: PAGE[i].pts becomes NULL), sorted and de-duplicated
 * with the page's winning a tie, and PAGE[i]'s status and message when
 * the page answered the query.  Returns 0 or SW_ENOMEM (ACC[i] and
 * PAGE[i] unchanged from the failing i on). */
int sw_cw_gmd_merge(struct sw_cw_gmd_result *acc, struct sw_cw_gmd_result *page,
                    size_t n);

/* sw_cw_gmd_results_free - free R (N results) and everything in it. NULL
 * is accepted. */
void sw_cw_gmd_results_free(struct sw_cw_gmd_result *r, size_t n);

#endif
