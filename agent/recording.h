/* agent/recording.h - a metric source that replays a recorded CSV file.
 *
 * Lets the agent, the demo and `backtest --data` run with no AWS account:
 * the file (docs/recording-format.md) holds one row per metric per minute
 * with the five standard statistics and optional percentiles.  The whole
 * file is parsed and checked when the source is made, so a bad recording
 * fails at startup with "FILE:LINE: message", never mid-run.  A fetch
 * answers like GetMetricStatistics: exact namespace / metric / dimension-set
 * match, rows with start <= ts < end, aggregated into period_s buckets
 * aligned to the epoch; a bucket without rows is missing data.  The unit
 * of a query is ignored (recordings carry none).
 *
 * Depends on lib/ and agent/source.h; no I/O after construction.
 */
#ifndef SW_AGENT_RECORDING_H
#define SW_AGENT_RECORDING_H

#include <stddef.h>
#include <time.h>

#include "agent/source.h"
#include "lib/metric.h"

#define SW_RECORDING_MAX_BYTES    (256u * 1024 * 1024)
#define SW_RECORDING_MAX_ROWS     5000000
#define SW_RECORDING_RESOLUTION_S 60

struct sw_recording;

/* sw_recording_parse_buf - parse LEN bytes of BUF (need not be
 * NUL-terminated); NAME is the file name used in messages.
 * Returns 0 and *out (new, free with sw_recording_free()); or SW_EPARSE,
 * SW_ETOOBIG (more than SW_RECORDING_MAX_ROWS rows) or SW_ENOMEM with a
 * one-line ERR "NAME:LINE: message". */
int sw_recording_parse_buf(const char *name, const char *buf, size_t len,
                           struct sw_recording **out, char *err, size_t errlen);

/* sw_recording_load - read and parse the file at PATH (at most
 * SW_RECORDING_MAX_BYTES).  Returns as sw_recording_parse_buf(), plus
 * SW_ENOENT / SW_EIO when the file cannot be read. */
int sw_recording_load(const char *path, struct sw_recording **out, char *err,
                      size_t errlen);

void sw_recording_free(struct sw_recording *rec);

/* sw_recording_fetch - the datapoints of Q, sorted ascending (see the top of
 * this file).  Returns 0 and *out (new array, free(); NULL when *n is 0);
 * or SW_EINVAL with ERR when the recording cannot answer Q: a period that
 * is not a positive multiple of 60 s, a statistic without a column, or a
 * percentile over more than one 60 s row ("cannot aggregate percentile p99
 * over 300 s from a 60 s recording"). */
int sw_recording_fetch(const struct sw_recording *rec,
                       const struct sw_metric_query *q,
                       struct sw_datapoint **out, size_t *n, char *err,
                       size_t errlen);

/* sw_recording_span - first and last row timestamps (both 0 when the file
 * has no rows), so backtest can default its --from / --to. */
void sw_recording_span(const struct sw_recording *rec, time_t *first,
                       time_t *last);

/* sw_source_recording_new - a struct sw_source over the recording at PATH.
 * Returns 0 and *out (new, free with sw_source_free()); or the errors of
 * sw_recording_load() with ERR. */
int sw_source_recording_new(const char *path, struct sw_source **out, char *err,
                            size_t errlen);

/* sw_source_recording_span - sw_recording_span() of the recording behind
 * S.  Returns 0, or SW_EINVAL when S is not a recording source. */
int sw_source_recording_span(const struct sw_source *s, time_t *first,
                             time_t *last);

#endif
