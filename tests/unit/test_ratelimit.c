/* tests/unit/test_ratelimit.c - the sliding-window request limit
 * (aws/ratelimit): the window's edges, throttling, cool-down and
 * recovery, reservations, and a property test: whatever the send
 * pattern, a sender that follows sw_ratelimit_wait_ms() never puts more
 * sends in a one-second window than the limit allowed. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "aws/ratelimit.h"
#include "lib/err.h"

static void
test_new(void **state)
{
    struct sw_ratelimit *rl = (void *)1;

    (void)state;
    assert_int_equal(sw_ratelimit_new(0, &rl), SW_EINVAL);
    assert_null(rl);
    assert_int_equal(sw_ratelimit_new(-5, &rl), SW_EINVAL);
    assert_int_equal(sw_ratelimit_new(SW_RATELIMIT_MAX + 1, &rl), SW_EINVAL);
    assert_int_equal(sw_ratelimit_new(SW_RATELIMIT_MAX, &rl), 0);
    assert_int_equal(sw_ratelimit_max(rl), SW_RATELIMIT_MAX);
    sw_ratelimit_free(rl);
    assert_int_equal(sw_ratelimit_new(1, &rl), 0);
    assert_int_equal(sw_ratelimit_limit(rl, 0), 1);
    sw_ratelimit_free(rl);
    sw_ratelimit_free(NULL);
}

static void
test_window_edges(void **state)
{
    struct sw_ratelimit *rl;

    (void)state;
    assert_int_equal(sw_ratelimit_new(3, &rl), 0);
    /* A burst of R at once is allowed: the window is about sends, not
     * spacing. */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sw_ratelimit_wait_ms(rl, 5000), 0);
        sw_ratelimit_take(rl, 5000);
    }
    assert_int_equal(sw_ratelimit_wait_ms(rl, 5000), 1000);
    assert_int_equal(sw_ratelimit_wait_ms(rl, 5999), 1);
    /* (t - 1000, t]: at 6000 the sends at 5000 are out. */
    assert_int_equal(sw_ratelimit_wait_ms(rl, 6000), 0);
    assert_int_equal(sw_ratelimit_wait_ms(rl, 123456), 0);
    sw_ratelimit_free(rl);

    /* Spread sends: the oldest in the window decides. */
    assert_int_equal(sw_ratelimit_new(3, &rl), 0);
    sw_ratelimit_take(rl, 0);
    sw_ratelimit_take(rl, 300);
    assert_int_equal(sw_ratelimit_wait_ms(rl, 400), 0);
    sw_ratelimit_take(rl, 600);
    assert_int_equal(sw_ratelimit_wait_ms(rl, 700), 300);
    assert_int_equal(sw_ratelimit_wait_ms(rl, 1000), 0);
    sw_ratelimit_take(rl, 1000);
    /* Window (1000 - 1000, 1000] now holds 300, 600, 1000. */
    assert_int_equal(sw_ratelimit_wait_ms(rl, 1000), 300);
    assert_int_equal(sw_ratelimit_wait_ms(rl, 1299), 1);
    assert_int_equal(sw_ratelimit_wait_ms(rl, 1300), 0);
    /* A time before the last send (never from a monotonic clock) counts
     * as the last send's time, so the ring stays ordered. */
    sw_ratelimit_take(rl, 10);
    assert_int_equal(sw_ratelimit_wait_ms(rl, 1000), 600);
    sw_ratelimit_free(rl);
}

static void
test_ring_wraps(void **state)
{
    struct sw_ratelimit *rl;
    sw_mono_ms t = 1000;
    int sent = 0;

    (void)state;
    assert_int_equal(sw_ratelimit_new(7, &rl), 0);
    /* A greedy sender over 10 s: exactly 7 per second, 7 * 11 sends in
     * [1000, 11000] (each second's burst starts on the second). */
    while (t <= 11000) {
        long w = sw_ratelimit_wait_ms(rl, t);

        if (w > 0) {
            t += w;
            continue;
        }
        sw_ratelimit_take(rl, t);
        sent++;
    }
    assert_int_equal(sent, 7 * 11);
    sw_ratelimit_free(rl);
}

static void
test_throttle_and_recovery(void **state)
{
    struct sw_ratelimit *rl;
    const sw_mono_ms t = 100000;

    (void)state;
    assert_int_equal(sw_ratelimit_new(50, &rl), 0);
    assert_int_equal(sw_ratelimit_limit(rl, t), 50);
    sw_ratelimit_throttled(rl, t);
    assert_int_equal(sw_ratelimit_limit(rl, t), 25);
    /* More throttling replies within a window: the same burst, one
     * halving; but each restarts the cool-down. */
    sw_ratelimit_throttled(rl, t + 10);
    sw_ratelimit_throttled(rl, t + 999);
    assert_int_equal(sw_ratelimit_limit(rl, t + 999), 25);
    assert_int_equal(sw_ratelimit_limit(rl, t + 999 + 59999), 25);
    /* Recovery: +5 (10% of 50) at the end of the cool-down, then every
     * 10 s, up to 50. */
    assert_int_equal(sw_ratelimit_limit(rl, t + 999 + 60000), 30);
    assert_int_equal(sw_ratelimit_limit(rl, t + 999 + 69999), 30);
    assert_int_equal(sw_ratelimit_limit(rl, t + 999 + 70000), 35);
    assert_int_equal(sw_ratelimit_limit(rl, t + 999 + 90000), 45);
    assert_int_equal(sw_ratelimit_limit(rl, t + 999 + 100000), 50);
    assert_int_equal(sw_ratelimit_limit(rl, t + 999 + 500000), 50);
    assert_int_equal(sw_ratelimit_limit(rl, INT64_MAX / 2), 50);

    /* A throttle later than a window after the halving halves again,
     * from the limit of the moment (35 during recovery). */
    sw_ratelimit_throttled(rl, t + 999 + 70000);
    assert_int_equal(sw_ratelimit_limit(rl, t + 999 + 70000), 17);
    sw_ratelimit_throttled(rl, t + 999 + 71000);
    assert_int_equal(sw_ratelimit_limit(rl, t + 999 + 71000), 8);
    for (int i = 0; i < 10; i++)
        sw_ratelimit_throttled(rl, t + 999 + 72000 + 1000 * i);
    assert_int_equal(sw_ratelimit_limit(rl, t + 999 + 90000), 1);
    /* Back from 1 in steps of 5: 6, 11, ... 46, 50. */
    assert_int_equal(sw_ratelimit_limit(rl, t + 999 + 81000 + 60000), 6);
    assert_int_equal(sw_ratelimit_limit(rl, t + 999 + 81000 + 150000), 50);
    sw_ratelimit_free(rl);

    /* A small R recovers by at least 1 a step; never below 1. */
    assert_int_equal(sw_ratelimit_new(3, &rl), 0);
    sw_ratelimit_throttled(rl, 0);
    assert_int_equal(sw_ratelimit_limit(rl, 0), 1);
    sw_ratelimit_throttled(rl, 5000);
    assert_int_equal(sw_ratelimit_limit(rl, 5000), 1);
    assert_int_equal(sw_ratelimit_limit(rl, 65000), 2);
    assert_int_equal(sw_ratelimit_limit(rl, 75000), 3);
    sw_ratelimit_free(rl);
    assert_int_equal(sw_ratelimit_new(1, &rl), 0);
    sw_ratelimit_throttled(rl, 0);
    assert_int_equal(sw_ratelimit_limit(rl, 0), 1);
    sw_ratelimit_free(rl);
}

static void
test_throttle_applies_to_past_sends(void **state)
{
    struct sw_ratelimit *rl;

    (void)state;
    assert_int_equal(sw_ratelimit_new(10, &rl), 0);
    for (int i = 0; i < 10; i++)
        sw_ratelimit_take(rl, 0);
    sw_ratelimit_throttled(rl, 100);
    /* The 5 allowed in (t - 1000, t] were all sent at 0. */
    assert_int_equal(sw_ratelimit_wait_ms(rl, 500), 500);
    assert_int_equal(sw_ratelimit_wait_ms(rl, 1000), 0);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(sw_ratelimit_wait_ms(rl, 1000), 0);
        sw_ratelimit_take(rl, 1000);
    }
    assert_int_equal(sw_ratelimit_wait_ms(rl, 1000), 1000);
    sw_ratelimit_free(rl);
}

static void
test_reservations(void **state)
{
    struct sw_ratelimit *rl;

    (void)state;
    assert_int_equal(sw_ratelimit_new(3, &rl), 0);
    /* Reserved sends count as made, and do not expire: the limit waits
     * for them to be made or given back. */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sw_ratelimit_wait_ms(rl, 0), 0);
        sw_ratelimit_reserve(rl);
    }
    assert_int_equal(sw_ratelimit_wait_ms(rl, 0), 1000);
    assert_int_equal(sw_ratelimit_wait_ms(rl, 5000), 1000);
    /* Made at 500: counted from then on, not from the reservation. */
    sw_ratelimit_take_reserved(rl, 500);
    assert_int_equal(sw_ratelimit_wait_ms(rl, 600), 900);
    sw_ratelimit_unreserve(rl);
    assert_int_equal(sw_ratelimit_wait_ms(rl, 600), 0);
    sw_ratelimit_take_reserved(rl, 700);
    assert_int_equal(sw_ratelimit_wait_ms(rl, 700), 0);
    sw_ratelimit_take(rl, 800);
    assert_int_equal(sw_ratelimit_wait_ms(rl, 800), 700);
    assert_int_equal(sw_ratelimit_wait_ms(rl, 1500), 0);
    /* Nothing to give back: no effect. */
    sw_ratelimit_unreserve(rl);
    sw_ratelimit_take_reserved(rl, 1500);
    assert_int_equal(sw_ratelimit_wait_ms(rl, 1500), 200);
    sw_ratelimit_free(rl);
}

/* The property: a sender that starts a send only when wait_ms() says 0
 * never has more sends in (t - 1000, t] than the limit allowed, for any t
 * that is a send time (the count only grows at sends), whatever the
 * pattern of sends, pauses, throttling replies and reservations (made
 * later, in any order, or given back).  With reservations the bound is
 * the limit in force when the last-admitted send of the window was
 * admitted: a throttle lowers the limit for sends admitted after it. */
struct send {
    sw_mono_ms t;
    long adm;  /* admission number */
    int limit; /* the limit at admission */
};

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static unsigned
rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

#define MAX_PENDING 64

static void
run_pattern(int max, int steps, int reserving, struct send *log, size_t cap)
{
    struct sw_ratelimit *rl;
    struct send pend[MAX_PENDING];
    sw_mono_ms now = (sw_mono_ms)rnd(1000000);
    size_t n = 0, np = 0;
    long adm = 0;

    assert_int_equal(sw_ratelimit_new(max, &rl), 0);
    for (int i = 0; i < steps && n < cap; i++) {
        long w = sw_ratelimit_wait_ms(rl, now);
        unsigned what = rnd(100);

        assert_true(w >= 0 && w <= SW_RATELIMIT_WINDOW_MS);
        /* Once the wait is over a send is allowed (reservations may hold
         * it up longer: they end when the caller says). */
        if (w > 0 && np == 0)
            assert_int_equal(sw_ratelimit_wait_ms(rl, now + w), 0);
        if (np > 0 && rnd(3) == 0) {
            /* A reserved send is made, or given back. */
            size_t k = rnd((unsigned)np);

            if (rnd(5) > 0) {
                log[n] = pend[k];
                log[n].t = now;
                n++;
                sw_ratelimit_take_reserved(rl, now);
            } else {
                sw_ratelimit_unreserve(rl);
            }
            pend[k] = pend[--np];
            continue;
        }
        if (what < 2) {
            /* A throttling reply now and then. */
            sw_ratelimit_throttled(rl, now);
        } else if (what < 6) {
            now += rnd(120000); /* a long pause: recovery */
        } else if (w > 0) {
            /* Wait as told, or a little more, or come back early and be
             * told again. */
            now += rnd(4) == 0 ? (sw_mono_ms)rnd((unsigned)w) : w + rnd(20);
        } else {
            struct send sd = {now, ++adm, sw_ratelimit_limit(rl, now)};

            assert_true(sd.limit >= 1 && sd.limit <= max);
            if (reserving && np < MAX_PENDING && rnd(2) == 0) {
                sw_ratelimit_reserve(rl);
                pend[np++] = sd;
            } else {
                log[n++] = sd;
                sw_ratelimit_take(rl, now);
            }
            if (rnd(3) == 0)
                now += rnd(50);
        }
    }
    for (size_t k = 0, lo = 0; k < n; k++) {
        const struct send *last;

        while (log[lo].t <= log[k].t - SW_RATELIMIT_WINDOW_MS)
            lo++;
        /* Sends lo..k are in (t - 1000, t]. */
        last = &log[lo];
        for (size_t j = lo; j <= k; j++)
            if (log[j].adm > last->adm)
                last = &log[j];
        if ((int)(k - lo + 1) > last->limit)
            fail_msg("R %d: %zu sends in the window ending at %lld, limit "
                     "%d",
                     max, k - lo + 1, (long long)log[k].t, last->limit);
    }
    sw_ratelimit_free(rl);
}

static void
test_property_no_window_over_limit(void **state)
{
    static struct send log[20000];
    static const int sizes[] = {1, 2, 3, 5, 10, 16, 50, 99, 400};

    (void)state;
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
        for (int round = 0; round < 20; round++)
            run_pattern(sizes[s], 5000, round % 2, log,
                        sizeof(log) / sizeof(log[0]));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new),
        cmocka_unit_test(test_window_edges),
        cmocka_unit_test(test_ring_wraps),
        cmocka_unit_test(test_throttle_and_recovery),
        cmocka_unit_test(test_throttle_applies_to_past_sends),
        cmocka_unit_test(test_reservations),
        cmocka_unit_test(test_property_no_window_over_limit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
