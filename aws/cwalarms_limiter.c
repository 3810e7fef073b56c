/* aws/cwalarms_limiter.c - the client-side rate limiter of the
 * CloudWatch alarm calls; see cwalarms_limiter.h. */
#include "config.h"

#include "aws/cwalarms_limiter.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/err.h"

#define SLEEP_SLICE_MS 100 /* how often a waiting limiter looks at cancel */

void
sw_cwa_bucket_init(struct sw_cwa_bucket *b, double rate_per_s, double burst)
{
    b->rate_per_s = rate_per_s > 0 ? rate_per_s : 1;
    b->max_rate_per_s = b->rate_per_s;
    b->burst = burst >= 1 ? burst : 1;
    b->tokens = b->burst;
    b->last_ms = -1;
}

void
sw_cwa_bucket_idle(struct sw_cwa_bucket *b, sw_mono_ms now_ms)
{
    if (b->last_ms < 0 || now_ms > b->last_ms)
        b->last_ms = now_ms;
}

long
sw_cwa_bucket_acquire(struct sw_cwa_bucket *b, sw_mono_ms now_ms)
{
    double missing;

    if (b->last_ms >= 0 && now_ms > b->last_ms) {
        b->tokens += (double)(now_ms - b->last_ms) * b->rate_per_s / 1000.0;
        if (b->tokens > b->burst)
            b->tokens = b->burst;
    }
    /* A clock that steps back (it should not: monotonic) must not give
     * tokens away, so time only moves forward here. */
    if (b->last_ms < 0 || now_ms > b->last_ms)
        b->last_ms = now_ms;
    /* The epsilon keeps rounding (3 * 0.333... = 0.999...) from asking
     * for a one-millisecond wait that refills nothing visible. */
    if (b->tokens >= 1.0 - 1e-9) {
        b->tokens -= 1.0;
        if (b->tokens < 0)
            b->tokens = 0;
        return 0;
    }
    missing = 1.0 - b->tokens;
    return (long)ceil(missing * 1000.0 / b->rate_per_s);
}

static const int op_tps[SW_CWA_NOPS] = {
    [SW_CWA_DESCRIBE] = SW_CWA_TPS_DESCRIBE,
    [SW_CWA_PUT] = SW_CWA_TPS_PUT,
    [SW_CWA_DELETE] = SW_CWA_TPS_DELETE,
    [SW_CWA_LIST_TAGS] = SW_CWA_TPS_TAGS,
    [SW_CWA_TAG] = SW_CWA_TPS_TAGS,
};

void
sw_cwa_limiter_init(struct sw_cwa_limiter *l)
{
    memset(l, 0, sizeof(*l));
    /* Burst 1: evenly spaced calls.  A bigger burst would let the first
     * calls of a run land in one second on top of the refill, which is
     * exactly what a per-second quota counts. */
    for (int i = 0; i < SW_CWA_NOPS; i++)
        sw_cwa_bucket_init(&l->bucket[i], op_tps[i] * SW_CWA_TPS_SHARE, 1);
}

void
sw_cwa_limiter_done(struct sw_cwa_limiter *l, enum sw_cwa_op op, int slowed)
{
    struct sw_cwa_bucket *b;

    if (!l || (int)op < 0 || op >= SW_CWA_NOPS)
        return;
    b = &l->bucket[op];
    sw_cwa_bucket_idle(b, l->now ? l->now(l->arg) : sw_mono_now());
    /* Multiplicative decrease, additive increase: the quota is shared,
     * and whoever else uses it is not going to slow down for us. */
    if (slowed) {
        b->rate_per_s /= 2;
        if (b->rate_per_s < SW_CWA_MIN_TPS)
            b->rate_per_s = SW_CWA_MIN_TPS;
    } else if (b->rate_per_s < b->max_rate_per_s) {
        b->rate_per_s += b->max_rate_per_s / 10;
        if (b->rate_per_s > b->max_rate_per_s)
            b->rate_per_s = b->max_rate_per_s;
    }
}

long
sw_cwa_limiter_interval_ms(const struct sw_cwa_limiter *l, enum sw_cwa_op op)
{
    if (!l || (int)op < 0 || op >= SW_CWA_NOPS)
        return 0;
    return (long)ceil(1000.0 / l->bucket[op].rate_per_s);
}

static void
real_sleep(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    (void)nanosleep(&ts, NULL);
}

int
sw_cwa_limiter_wait(struct sw_cwa_limiter *l, enum sw_cwa_op op)
{
    if (!l)
        return 0;
    if ((int)op < 0 || op >= SW_CWA_NOPS)
        return SW_EINVAL;
    for (;;) {
        sw_mono_ms now = l->now ? l->now(l->arg) : sw_mono_now();
        long wait;

        if (l->cancel && *l->cancel)
            return SW_ECANCELED;
        wait = sw_cwa_bucket_acquire(&l->bucket[op], now);
        if (wait == 0)
            return 0;
        if (wait > SLEEP_SLICE_MS)
            wait = SLEEP_SLICE_MS;
        if (l->sleep)
            l->sleep(l->arg, wait);
        else
            real_sleep(wait);
        l->waited_ms += wait;
    }
}
