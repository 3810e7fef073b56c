/* agent/shards.h - the open shard count of Kinesis streams, for SHARDS.
 *
 * A metric-math rule may use SHARDS (rules/expr.h): the open shard count
 * of its stream, so that it alarms on a share of the stream's capacity
 * (1,000 records/s and 1 MiB/s written, 2 MiB/s read, per shard).  The
 * count comes from Kinesis DescribeStreamSummary (aws/kinesis), whose
 * quota is 20 calls per second per account, shared with every other tool
 * there, while shard counts change rarely (a reshard, an on-demand
 * scaling).  So struct sw_shards keeps, per stream, the count last
 * fetched and asks again at most once per interval (the discovery
 * interval of agent/discover, SW_DISCOVER_DEFAULT_INTERVAL_S), spaced
 * SW_SHARDS_PACE_MS apart at most ten a second.
 *
 * A failed DescribeStreamSummary keeps the last good count in use (and is
 * logged as a warning); the next attempt comes after SW_SHARDS_RETRY_S
 * (or the interval when shorter).  A stream that has never had a count is
 * an error for each alarm that needs it: sw_shards_get() fails, the
 * caller fails that alarm's fetch, and the alarm keeps its state, as for
 * any failed fetch.  Nothing is persisted: a restarted agent asks again.
 *
 * The cache owns its entries; the struct sw_aws is borrowed.  Not
 * thread-safe: call it from one thread, before the concurrent fetches.
 * `plan` and `sync` use one for the rules they render (agent/sync_input.c).
 */
#ifndef SW_AGENT_SHARDS_H
#define SW_AGENT_SHARDS_H

#include <stddef.h>
#include <time.h>

#include "rules/rule.h"

struct sw_aws;
struct sw_aws_error;
struct sw_kinesis_summary;

#define SW_SHARDS_RETRY_S 60 /* after a failed DescribeStreamSummary */
#define SW_SHARDS_PACE_MS                                                      \
    100 /* between two calls: 10 a second, half the                            \
           account's 20 */

struct sw_shards;

/* sw_shards_new - an empty cache that asks Kinesis through A (borrowed;
 * it must outlive the cache: when the agent replaces its struct sw_aws it
 * makes a new cache too).  INTERVAL_S 0 gives
 * SW_DISCOVER_DEFAULT_INTERVAL_S; otherwise it must be within
 * SW_DISCOVER_MIN_INTERVAL_S..SW_DISCOVER_MAX_INTERVAL_S.  Nothing is
 * sent before the first sw_shards_get().
 * Returns 0 and *out: new (free with sw_shards_free()); SW_EINVAL (A or
 * OUT NULL, INTERVAL_S out of range); SW_ENOMEM. */
int sw_shards_new(struct sw_aws *a, int interval_s, struct sw_shards **out);
void sw_shards_free(struct sw_shards *s);

/* sw_shards_get - the open shard count of STREAM as of wall time NOW, in
 * *OUT: the cached count while it is fresh, else DescribeStreamSummary's
 * OpenShardCount.  A refresh is due INTERVAL_S after the last success,
 * SW_SHARDS_RETRY_S (or INTERVAL_S when shorter) after a failure, at once
 * after sw_shards_invalidate(), and whenever NOW is earlier than the last
 * attempt (the wall clock was stepped back).  A count that changed is
 * logged at info level ("shards: stream 'orders': 4 -> 8 open shards").
 * A failed refresh with a count cached logs a warning and returns 0 with
 * that count.
 * Returns 0; SW_EINVAL (S, STREAM or OUT NULL, STREAM not a stream
 * name); SW_ENOMEM; or, when STREAM has no count yet, the SW_E* code of
 * sw_kinesis_describe_stream_summary() (SW_EAWS for
 * ResourceNotFoundException or AccessDeniedException, SW_ETHROTTLED,
 * SW_EAUTH, SW_EHTTP, SW_EPARSE, SW_ECANCELED, ...) with ERR one line:
 * "shards: DescribeStreamSummary for stream 'orders' failed:
 * ResourceNotFoundException: ...; no shard count yet".  While the retry
 * waits, the same failure is returned again without a call.  Nothing is
 * logged here for such a failure: the caller logs it as the alarm's
 * failed fetch. */
int sw_shards_get(struct sw_shards *s, const char *stream, time_t now,
                  double *out, char *err, size_t errlen);

/* sw_shards_invalidate - make the next sw_shards_get() of every stream
 * ask again (after a reload); the cached counts stay as the fallback. */
void sw_shards_invalidate(struct sw_shards *s);

/* sw_shards_rule_stream - whether the rule R needs a shard count, and of
 * which stream.  Returns 1 and *STREAM (borrowed from R) when R's
 * expression uses SHARDS: its template's stream, else the StreamName
 * dimension of its metrics (agent/conf made sure there is exactly one);
 * 0 and *STREAM NULL when it does not (also for a single-metric rule);
 * SW_EINVAL when it does but R names no stream; SW_EPARSE when the
 * expression does not parse; SW_ENOMEM. */
int sw_shards_rule_stream(const struct sw_rule *r, const char **stream);

/* --- for tests --- */

/* A stand-in for sw_kinesis_describe_stream_summary() by name: fill *OUT
 * or fail with ERR filled, as that function does. */
typedef int sw_shards_describe_fn(void *arg, struct sw_aws *a,
                                  const char *stream,
                                  struct sw_kinesis_summary *out,
                                  struct sw_aws_error *err);

/* sw_shards_set_describer - describe through FN(ARG, ...) instead of
 * Kinesis; NULL restores sw_kinesis_describe_stream_summary(). */
void sw_shards_set_describer(struct sw_shards *s, sw_shards_describe_fn *fn,
                             void *arg);

/* sw_shards_set_pace - the least time between two calls, in ms
 * (SW_SHARDS_PACE_MS by default; 0: none, for tests). */
void sw_shards_set_pace(struct sw_shards *s, int ms);

#endif
