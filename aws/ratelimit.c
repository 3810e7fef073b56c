/* aws/ratelimit.c - a sliding-window request limit; see ratelimit.h. */
#include "config.h"

#include "aws/ratelimit.h"

#include <stddef.h>
#include <stdlib.h>

#include "lib/err.h"

struct sw_ratelimit {
    int max;                 /* R */
    int base;                /* the limit set by the last halving */
    int throttled;           /* a throttling reply was seen */
    sw_mono_ms throttled_at; /* the last throttling reply */
    sw_mono_ms halved_at;    /* the last halving */
    /* The send times of the last R sends, oldest first from HEAD: times
     * only grow, so the L-th newest decides whether a window is full. */
    sw_mono_ms *ring;
    size_t head;
    size_t count;
    size_t pending; /* reserved sends not made yet */
};

int
sw_ratelimit_new(int max_per_s, struct sw_ratelimit **out)
{
    struct sw_ratelimit *rl;

    *out = NULL;
    if (max_per_s < 1 || max_per_s > SW_RATELIMIT_MAX)
        return SW_EINVAL;
    rl = calloc(1, sizeof(*rl));
    if (!rl)
        return SW_ENOMEM;
    rl->ring = calloc((size_t)max_per_s, sizeof(*rl->ring));
    if (!rl->ring) {
        free(rl);
        return SW_ENOMEM;
    }
    rl->max = max_per_s;
    rl->base = max_per_s;
    *out = rl;
    return 0;
}

void
sw_ratelimit_free(struct sw_ratelimit *rl)
{
    if (!rl)
        return;
    free(rl->ring);
    free(rl);
}

int
sw_ratelimit_max(const struct sw_ratelimit *rl)
{
    return rl->max;
}

int
sw_ratelimit_limit(const struct sw_ratelimit *rl, sw_mono_ms now)
{
    sw_mono_ms quiet;
    int64_t steps, step, need;

    if (!rl->throttled || rl->base >= rl->max)
        return rl->max;
    quiet = now - rl->throttled_at;
    if (quiet < SW_RATELIMIT_COOLDOWN_MS)
        return rl->base;
    step = (int64_t)rl->max * SW_RATELIMIT_STEP_PCT / 100;
    if (step < 1)
        step = 1;
    steps = 1 + (quiet - SW_RATELIMIT_COOLDOWN_MS) / SW_RATELIMIT_STEP_MS;
    /* Compared before multiplying: a long quiet time must not overflow. */
    need = (rl->max - rl->base + step - 1) / step;
    if (steps >= need)
        return rl->max;
    return rl->base + (int)(steps * step);
}

long
sw_ratelimit_wait_ms(const struct sw_ratelimit *rl, sw_mono_ms now)
{
    size_t limit = (size_t)sw_ratelimit_limit(rl, now), k;
    sw_mono_ms oldest, wait;

    if (rl->pending >= limit)
        return SW_RATELIMIT_WINDOW_MS;
    /* Reserved sends count as made now: room for K more in the ring. */
    k = limit - rl->pending;
    if (rl->count < k)
        return 0;
    /* The K-th newest send: while it is inside the window, so are the
     * K - 1 newer ones, and with the reserved ones and one more the
     * window would hold LIMIT + 1. */
    oldest = rl->ring[(rl->head + rl->count - k) % (size_t)rl->max];
    wait = oldest + SW_RATELIMIT_WINDOW_MS - now;
    return wait > 0 ? (long)wait : 0;
}

void
sw_ratelimit_take(struct sw_ratelimit *rl, sw_mono_ms now)
{
    size_t max = (size_t)rl->max;

    if (rl->count > 0) {
        sw_mono_ms newest = rl->ring[(rl->head + rl->count - 1) % max];
        if (now < newest)
            now = newest; /* keep the ring sorted */
    }
    if (rl->count < max) {
        rl->ring[(rl->head + rl->count) % max] = now;
        rl->count++;
    } else {
        rl->ring[rl->head] = now;
        rl->head = (rl->head + 1) % max;
    }
}

void
sw_ratelimit_reserve(struct sw_ratelimit *rl)
{
    rl->pending++;
}

void
sw_ratelimit_take_reserved(struct sw_ratelimit *rl, sw_mono_ms now)
{
    if (rl->pending > 0)
        rl->pending--;
    sw_ratelimit_take(rl, now);
}

void
sw_ratelimit_unreserve(struct sw_ratelimit *rl)
{
    if (rl->pending > 0)
        rl->pending--;
}

void
sw_ratelimit_throttled(struct sw_ratelimit *rl, sw_mono_ms now)
{
    int cur = sw_ratelimit_limit(rl, now);

    if (rl->throttled && now - rl->halved_at < SW_RATELIMIT_WINDOW_MS &&
        now >= rl->halved_at) {
        /* The same burst: the requests were sent before the halving. */
        if (now > rl->throttled_at)
            rl->throttled_at = now;
        return;
    }
    rl->base = cur / 2 > 1 ? cur / 2 : 1;
    rl->throttled = 1;
    rl->throttled_at = now;
    rl->halved_at = now;
}
