/* agent/source.h - where datapoints come from: one small interface.
 *
 * Two sources implement it: CloudWatch (GetMetricStatistics through
 * aws/cloudwatch) and a recorded CSV file (agent/recording), so the agent
 * can run with no AWS account.  A source answers one question, the
 * datapoints of one metric and statistic in [start, end), or a whole
 * cycle's questions at once (sw_source_fetch_all()), which a source may
 * answer with fewer requests (several statistics of one series in one
 * call) and several at a time.
 */
#ifndef SW_AGENT_SOURCE_H
#define SW_AGENT_SOURCE_H

#include <signal.h>
#include <stddef.h>

#include "lib/metric.h"

struct sw_aws;
struct sw_source;

/* One question of a batch: the datapoints of Q (its statistic Q.stat)
 * over [Q.start, Q.end).  Fetches with the same SERIES ask about the same
 * series (Q equal but for the statistic), over the same window. */
struct sw_fetch {
    struct sw_metric_query q; /* strings borrowed */
    size_t series;
    /* the answer: */
    int result;               /* 0, or SW_E* (SW_ECANCELED: not asked) */
    char *err;                /* one line, when RESULT < 0: owned, set by
                                 sw_fetch_fail(); NULL when no reason was
                                 given (a buffer in each of a fleet's
                                 fetches would be a fifth of the cycle's
                                 heap) */
    struct sw_datapoint *pts; /* owned by the fetch: sw_fetch_release() */
    size_t n;
};

/* How a batch runs. */
struct sw_source_batch {
    int concurrency;              /* requests in flight at once; 0: 16 */
    volatile sig_atomic_t *stop;  /* SIGTERM: give up at once */
    volatile sig_atomic_t *yield; /* SIGHUP: finish what is in flight */
    void (*tick)(void *arg);      /* called while waiting (the agent's
                                     deliveries, heartbeat); may be NULL */
    void *tick_arg;
    /* Requests ended so far and in all (a progress bar; the CloudWatch
     * source only), now and then while waiting; may be NULL. */
    void (*progress)(void *arg, size_t done, size_t n);
    void *progress_arg;
};

struct sw_source_ops {
    const char *name; /* "cloudwatch", "recording" */
    /* fetch - see sw_source_fetch(). */
    int (*fetch)(struct sw_source *s, const struct sw_metric_query *q,
                 struct sw_datapoint **out, size_t *n, char *err,
                 size_t errlen);
    /* fetch_all - see sw_source_fetch_all(); NULL: one fetch() each. */
    int (*fetch_all)(struct sw_source *s, struct sw_fetch *f, size_t n,
                     const struct sw_source_batch *o, int *requests);
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

/* sw_source_fetch_all - answer the N fetches of F: each gets its points or
 * its failure (RESULT, ERR as sw_source_fetch() says it).  *REQUESTS
 * (may be NULL) is increased by the requests made.  Returns 0 when every
 * fetch was answered (failures included), SW_ECANCELED when *O->stop or
 * *O->yield cut the batch short (the fetches not answered hold
 * SW_ECANCELED), or SW_ENOMEM. */
int sw_source_fetch_all(struct sw_source *s, struct sw_fetch *f, size_t n,
                        const struct sw_source_batch *o, int *requests);

/* sw_fetch_release - free F's points and clear its answer. */
void sw_fetch_release(struct sw_fetch *f);

/* sw_fetch_fail - F's answer is the failure RESULT (< 0), for the reason
 * WHY (copied; NULL: none); its points are left alone.  Out of memory
 * costs only the reason. */
void sw_fetch_fail(struct sw_fetch *f, int result, const char *why);

/* sw_fetch_error - why F failed: its reason, else sw_strerror(RESULT).
 * Returns: borrowed, valid until F changes. */
const char *sw_fetch_error(const struct sw_fetch *f);

void sw_source_free(struct sw_source *s);

/* sw_source_cloudwatch_new - the CloudWatch source (agent/source_cw.c):
 * a batch is fetched with GetMetricStatistics, or with GetMetricData when
 * GET_METRIC_DATA is non-zero.  AWS is borrowed and must outlive the
 * source.  Returns 0 and *out: new; or SW_ENOMEM. */
int sw_source_cloudwatch_new(struct sw_aws *aws, int get_metric_data,
                             struct sw_source **out);

/* sw_source_memory_new - a source answering from series held in memory
 * (agent/source_mem.c): what sw_source_memory_add() gave it.  A question
 * outside what was added is an error (SW_EINVAL), never missing data.
 * Returns 0 and *out: new (sw_source_free()); or SW_ENOMEM. */
int sw_source_memory_new(struct sw_source **out);

/* sw_source_memory_add - the answer to every question about Q's series
 * and statistic inside [Q.start, Q.end): the N points PTS (copied).  The
 * series is added once.  Returns 0, SW_EINVAL (S is not a
 * memory source) or SW_ENOMEM. */
int sw_source_memory_add(struct sw_source *s, const struct sw_metric_query *q,
                         const struct sw_datapoint *pts, size_t n);

#endif
