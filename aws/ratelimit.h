/* aws/ratelimit.h - at most R requests in any one-second window.
 *
 * The client-side limit on CloudWatch calls (aws.max_requests_per_second):
 * aws/client and aws/batch ask it before every attempt, retries included.
 * It is a sliding window, not a token bucket, so that no one-second
 * window, wherever it starts, holds more sends than the limit: the send
 * times of the last R sends are kept in a ring, and a send at monotonic
 * time t is allowed iff fewer than L of them happened in (t - 1000 ms, t],
 * L being the current limit.
 *
 * A send is best counted when the request goes on the wire, which over a
 * new connection is a connect and a TLS handshake after the caller
 * decided to send it; over a reused one it is at once.  Counted at the
 * decision, a burst on new connections followed a second later by one on
 * reused connections reaches the server less than a second apart.  So a
 * caller may reserve a send when it decides (sw_ratelimit_reserve()),
 * and count it when it is made (sw_ratelimit_take_reserved()) or give it
 * back if it never is (sw_ratelimit_unreserve()): meanwhile it counts as
 * made now.  Then at every send the window before it holds at most the
 * limit in force when the last of its sends was admitted.
 *
 * A throttling reply (sw_ratelimit_throttled()) halves L, never below 1 a
 * second.  Throttling replies that come within one window of the last
 * halving count as the same event: a burst of requests sent at the old
 * rate all come back throttled together, and halving once per reply would
 * take a batch of 16 from 50/s to 1/s at once.  Each of them still
 * restarts the cool-down.  After SW_RATELIMIT_COOLDOWN_MS without a
 * throttling reply L grows by SW_RATELIMIT_STEP_PCT % of R (at least 1),
 * then by as much again every SW_RATELIMIT_STEP_MS, up to R.
 *
 * Pure: the caller passes the monotonic time (lib/clock.h sw_mono_now());
 * no I/O, no clock, no globals.  The creator owns the limiter (struct
 * sw_aws holds one).  Depends on lib/ only.  Not thread-safe.
 */
#ifndef SW_AWS_RATELIMIT_H
#define SW_AWS_RATELIMIT_H

#include "lib/clock.h"

#define SW_RATELIMIT_WINDOW_MS   1000
#define SW_RATELIMIT_COOLDOWN_MS 60000  /* after a throttle, before recovery */
#define SW_RATELIMIT_STEP_MS     10000  /* between recovery steps */
#define SW_RATELIMIT_STEP_PCT    10     /* of R, per recovery step */
#define SW_RATELIMIT_MAX         100000 /* the largest R accepted */

struct sw_ratelimit;

/* sw_ratelimit_new - a limiter allowing MAX_PER_S sends in any window.
 * Returns 0 and *OUT (new, sw_ratelimit_free()); SW_EINVAL when MAX_PER_S
 * is not in 1..SW_RATELIMIT_MAX; SW_ENOMEM. */
int sw_ratelimit_new(int max_per_s, struct sw_ratelimit **out);
void sw_ratelimit_free(struct sw_ratelimit *rl);

/* sw_ratelimit_wait_ms - how long from NOW until a send is allowed: 0
 * when one is allowed now, else at most SW_RATELIMIT_WINDOW_MS (that
 * much when reserved sends alone fill the limit: ask again once one of
 * them was made or given back). */
long sw_ratelimit_wait_ms(const struct sw_ratelimit *rl, sw_mono_ms now);

/* sw_ratelimit_take - record one send at NOW.  The caller asked
 * sw_ratelimit_wait_ms() first; a NOW earlier than the last send (which a
 * monotonic clock never gives) counts as the last send's time. */
void sw_ratelimit_take(struct sw_ratelimit *rl, sw_mono_ms now);

/* sw_ratelimit_reserve - a send allowed now (sw_ratelimit_wait_ms() said
 * 0) will be made soon: it counts as made until it is made
 * (sw_ratelimit_take_reserved(): recorded at NOW, one reservation fewer)
 * or given back (sw_ratelimit_unreserve()). */
void sw_ratelimit_reserve(struct sw_ratelimit *rl);
void sw_ratelimit_take_reserved(struct sw_ratelimit *rl, sw_mono_ms now);
void sw_ratelimit_unreserve(struct sw_ratelimit *rl);

/* sw_ratelimit_throttled - a throttling reply arrived at NOW: halve the
 * limit (see above). */
void sw_ratelimit_throttled(struct sw_ratelimit *rl, sw_mono_ms now);

/* sw_ratelimit_limit - the sends allowed in one window at NOW (1..R). */
int sw_ratelimit_limit(const struct sw_ratelimit *rl, sw_mono_ms now);

/* sw_ratelimit_max - R, as created. */
int sw_ratelimit_max(const struct sw_ratelimit *rl);

#endif
