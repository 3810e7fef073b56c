/* aws/cwalarms_limiter.h - the client-side rate limiter in front of the
 * CloudWatch alarm calls (aws/cwalarms).
 *
 * The alarm APIs have small per-account quotas (CloudWatch User Guide,
 * "CloudWatch service quotas": PutMetricAlarm and DeleteAlarms 3 calls a
 * second, DescribeAlarms 9), shared with every other tool in the account,
 * so every network call of aws/cwalarms first waits on this limiter
 * (struct sw_cwa_limiter): the limiter keeps us from causing a throttle,
 * the client's retries absorb one that others caused.  Each operation has
 * its own token bucket, refilled at 90% of its quota and holding one
 * token, so calls are evenly spaced; and the time a call spends waiting
 * for its reply earns no token, because the service may count the call at
 * any moment until it answers: the spacing runs from the reply, and no
 * one-second window, however AWS aligns it and however late it counts,
 * sees more calls than the quota allows.
 * The quotas are per account, shared with every other tool there: a call
 * that needed retries halves its operation's rate (down to
 * SW_CWA_MIN_TPS), each clean call wins a tenth of the default back, and
 * a call still throttled after the client's retries is tried again, up
 * to SW_CWA_THROTTLE_ROUNDS more times, at the lower rate.
 * ListTagsForResource and TagResource have no published quota and get the
 * conservative 3 a second of the other write calls.  The limiter reads
 * the monotonic clock, never the wall clock.
 *
 * Depends on lib/ only.  Not thread-safe.
 */
#ifndef SW_AWS_CWALARMS_LIMITER_H
#define SW_AWS_CWALARMS_LIMITER_H

#include <signal.h>

#include "lib/clock.h"

enum sw_cwa_op {
    SW_CWA_DESCRIBE = 0, /* DescribeAlarms: 9 TPS */
    SW_CWA_PUT,          /* PutMetricAlarm: 3 TPS */
    SW_CWA_DELETE,       /* DeleteAlarms: 3 TPS */
    SW_CWA_LIST_TAGS,    /* ListTagsForResource: unpublished, we use 3 */
    SW_CWA_TAG,          /* TagResource: unpublished, we use 3 */
    SW_CWA_NOPS
};

/* The quotas of "CloudWatch service quotas" and the share of them the
 * limiter uses. */
#define SW_CWA_TPS_DESCRIBE    9
#define SW_CWA_TPS_PUT         3
#define SW_CWA_TPS_DELETE      3
#define SW_CWA_TPS_TAGS        3
#define SW_CWA_TPS_SHARE       0.9
#define SW_CWA_MIN_TPS         0.25 /* the slowest a throttled operation goes */
#define SW_CWA_THROTTLE_ROUNDS 2    /* extra tries after SW_ETHROTTLED */

/* A token bucket: RATE_PER_S tokens a second, at most BURST held.  A
 * value type: the caller owns it (on the stack or in a limiter). */
struct sw_cwa_bucket {
    double rate_per_s;
    double max_rate_per_s; /* the rate sw_cwa_bucket_init() set */
    double burst;
    double tokens;
    sw_mono_ms last_ms; /* when tokens was last brought up to date; -1:
                           never (the bucket starts full) */
};

/* sw_cwa_bucket_init - a full bucket.  RATE_PER_S > 0, BURST >= 1. */
void sw_cwa_bucket_init(struct sw_cwa_bucket *b, double rate_per_s,
                        double burst);

/* sw_cwa_bucket_idle - no token accrues before NOW_MS: called when a
 * reply arrives, so the time spent waiting for it does not count. */
void sw_cwa_bucket_idle(struct sw_cwa_bucket *b, sw_mono_ms now_ms);

/* sw_cwa_bucket_acquire - acquire one token at monotonic time NOW_MS.
 * Returns 0 when a token was acquired (send now), else the milliseconds
 * (> 0) until one will be there; nothing is acquired then, so the caller
 * sleeps that long and asks again.  A clock that goes backwards is
 * treated as not moving.  Pure: the time is an argument. */
long sw_cwa_bucket_acquire(struct sw_cwa_bucket *b, sw_mono_ms now_ms);

/* Clock and sleep for a limiter; tests inject their own. */
typedef sw_mono_ms sw_cwa_now_fn(void *arg);
typedef void sw_cwa_sleep_fn(void *arg, long ms);

struct sw_cwa_limiter {
    struct sw_cwa_bucket bucket[SW_CWA_NOPS];
    sw_cwa_now_fn *now;            /* sw_mono_now() when NULL */
    sw_cwa_sleep_fn *sleep;        /* nanosleep() when NULL */
    void *arg;                     /* for NOW and SLEEP */
    volatile sig_atomic_t *cancel; /* borrowed stop flag, or NULL */
    long waited_ms;                /* total time spent waiting, for messages */
};

/* sw_cwa_limiter_init - the default buckets (quota * SW_CWA_TPS_SHARE,
 * burst 1), the real clock, no cancel flag. */
void sw_cwa_limiter_init(struct sw_cwa_limiter *l);

/* sw_cwa_limiter_wait - block until OP may be sent, then take its token.
 * Sleeps in slices of at most 100 ms so that a stop request is seen.
 * Returns 0; SW_ECANCELED when *l->cancel became non-zero; SW_EINVAL for
 * a bad OP.  L NULL waits for nothing. */
int sw_cwa_limiter_wait(struct sw_cwa_limiter *l, enum sw_cwa_op op);

/* sw_cwa_limiter_done - OP's call has come back (at the limiter's clock):
 * the spacing to the next call starts now.  SLOWED (the call needed
 * retries, or failed throttled) halves OP's rate, down to SW_CWA_MIN_TPS;
 * otherwise a tenth of the default rate is won back, up to the default.
 * L NULL or a bad OP is ignored. */
void sw_cwa_limiter_done(struct sw_cwa_limiter *l, enum sw_cwa_op op,
                         int slowed);

/* sw_cwa_limiter_interval_ms - the spacing of OP's calls in ms (for the
 * "about N seconds" estimates the sync prints). */
long sw_cwa_limiter_interval_ms(const struct sw_cwa_limiter *l,
                                enum sw_cwa_op op);

#endif
