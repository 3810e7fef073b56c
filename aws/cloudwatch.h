/* aws/cloudwatch.h - CloudWatch GetMetricStatistics over AWS JSON 1.0.
 *
 * X-Amz-Target GraniteServiceVersion20100801.GetMetricStatistics, Content-
 * Type application/x-amz-json-1.0 (CloudWatch API Reference,
 * "GetMetricStatistics").  The request body is built with jansson; the reply is
 * parsed, validated (every datapoint needs a numeric Timestamp and the
 * requested statistic), sorted and de-duplicated.  Builders and parsers are
 * pure so they can be unit-tested and fuzzed; sw_cw_get_metric_statistics() is
 * the one function that talks to the network (through aws/client).
 */
#ifndef SW_AWS_CLOUDWATCH_H
#define SW_AWS_CLOUDWATCH_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/metric.h"

struct sw_aws;
struct sw_aws_error;

#define SW_CW_MAX_DATAPOINTS 1440 /* per GetMetricStatistics call */
#define SW_CW_MAX_REPLY      (4u * 1024 * 1024)

/* sw_cw_gms_request - the JSON 1.0 request body for Q, appended to BODY
 * (left as it was on failure).
 * Returns 0; SW_EINVAL when Q breaks an API limit (ERR says which: no
 * namespace/metric, names too long or not UTF-8, bad statistic or unit,
 * > 30 dimensions, period not 1/5/10/20/30 or a multiple of 60, start >=
 * end, more than 1,440 datapoints); SW_ETOOBIG (BODY's cap); SW_ENOMEM. */
int sw_cw_gms_request(const struct sw_metric_query *q, struct sw_buf *body,
                      char *err, size_t errlen);

/* sw_cw_gms_parse - parse a GetMetricStatistics JSON reply and extract
 * STAT ("Sum", "p99" from ExtendedStatistics...) of each datapoint.
 * Returns 0 and *out: new array (free()), sorted by time, de-duplicated,
 * *n entries (may be 0 with *out NULL); SW_EPARSE with ERR set to a
 * one-line reason ("reply is not JSON: ... at line 1 column 7",
 * "datapoint 3 has no 'Sum'", the index counting from 0); SW_EINVAL for
 * an invalid STAT; SW_ENOMEM. */
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

#endif
