/* notifiers/dispatch.h - delivers the outbox's entries through the
 * notifiers, on one curl_multi, without ever blocking the agent's loop.
 *
 * sw_dispatch_run() starts the entries that are due, moves the transfers
 * in flight along for at most the time it is given, and settles the ones
 * that finished: delivered entries are removed from the outbox, failures
 * the notifier calls temporary are rescheduled with backoff, permanent
 * failures are logged (notifier, alarm, reason), removed and counted.
 * Entries older than their notifier's max_age_s are expired (error log,
 * counted) before anything is started.
 *
 * Order and parallelism: at most one transfer per notifier is in flight,
 * and a notifier's entries go strictly oldest first: a newer entry waits
 * behind an older one that is backing off, so an OK never overtakes its
 * ALARM at a destination.  Different notifiers run in parallel, so a dead
 * SMTP server delays nobody but itself.
 *
 * Backoff after the Nth failed attempt: d = min(30 s * 2^(N-1), 1 h), next
 * attempt = now + a uniformly random delay in [d/2, d].  The jitter spreads
 * the retries of many entries (and of several agents) that failed together
 * instead of sending them all again in the same second.
 *
 * Delivery is at least once, never at most once: an entry leaves the outbox
 * only after its notifier reported SW_DELIVERED (or it was dropped).  If
 * the agent dies (kill -9, power loss) while a transfer is in flight, or
 * the transfer is aborted by sw_dispatch_free() or a reload, the entry is
 * sent again later, so a receiver may see a notification twice when the
 * first reply never reached us.  Receivers can drop such duplicates by the
 * record's stable id (sw_notifier_dedup_id(): SNS FIFO's
 * MessageDeduplicationId, the webhook's X-Streamwatch-Delivery header).
 *
 * Entries for a notifier name that is not configured (a reload removed it)
 * stay on disk untouched, with one warning per name.
 *
 * Single-threaded, like the agent.  Depends on lib/, libcurl, jansson and
 * notifiers/{notifier,outbox}.h.
 */
#ifndef SW_NOTIFIERS_DISPATCH_H
#define SW_NOTIFIERS_DISPATCH_H

#include <jansson.h>
#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "notifiers/notifier.h"
#include "notifiers/outbox.h"

/* The most of a reply body kept for done(); the rest is read and dropped
 * (a long reply to a successful POST must not turn it into a failure). */
#define SW_DISPATCH_MAX_BODY (64 * 1024)

struct sw_dispatch_opts {
    long connect_timeout_ms; /* 0: 10000 */
    long timeout_ms;         /* a whole transfer; 0: 60000 */
    const char *ca_file;     /* CURLOPT_CAINFO for every transfer (a
                                notifier may set its own in prepare);
                                NULL: libcurl's default store.  Copied. */
};

struct sw_dispatch_stats {
    unsigned long delivered;         /* removed after SW_DELIVERED */
    unsigned long retried;           /* failed attempts rescheduled */
    unsigned long dropped_permanent; /* removed after a permanent failure */
    unsigned long expired;           /* removed after max_age_s */
};

struct sw_dispatch;

/* sw_dispatch_new - a dispatcher for OB (borrowed) through the N notifiers
 * of NOTIFIERS (the array is copied; the notifiers are borrowed and must
 * outlive the dispatcher or the next sw_dispatch_set_notifiers()).  An
 * entry goes to the notifier whose name equals its "notifier".  O may be
 * NULL (defaults).  Returns 0 and *out: new (sw_dispatch_free()), or
 * SW_ENOMEM / SW_EINTERNAL (curl_multi_init failed). */
int sw_dispatch_new(struct sw_outbox *ob, struct sw_notifier *const *notifiers,
                    size_t n, const struct sw_dispatch_opts *o,
                    struct sw_dispatch **out);

/* sw_dispatch_free - abort the transfers in flight (their entries stay in
 * the outbox, unchanged, and are sent again later) and free.  NULL is
 * accepted. */
void sw_dispatch_free(struct sw_dispatch *d);

/* sw_dispatch_set_notifiers - switch to a new set of notifiers after a
 * reload: transfers in flight are aborted first (as in sw_dispatch_free(),
 * so the old notifiers may be freed when this returns), and the "not
 * configured" warnings may be given again.  To let transfers finish
 * instead, run until sw_dispatch_in_flight() is 0 before calling this.
 * Returns 0 or SW_ENOMEM (the old set is kept, with nothing in flight). */
int sw_dispatch_set_notifiers(struct sw_dispatch *d,
                              struct sw_notifier *const *notifiers, size_t n);

/* sw_dispatch_set_cancel_flag - FLAG (borrowed, NULL: none) is the agent's
 * stop flag.  While *FLAG is non-zero, sw_dispatch_run() starts nothing
 * and returns SW_ECANCELED within 100 ms; transfers in flight are left
 * alone.  To flush at shutdown, set the flag pointer back to NULL and run
 * with a deadline; sw_dispatch_free() then aborts what is left. */
void sw_dispatch_set_cancel_flag(struct sw_dispatch *d,
                                 volatile sig_atomic_t *flag);

/* sw_dispatch_observer_fn - told of every entry settled, for the agent's
 * metrics: NOTIFIER is the notifier's name, OUTCOME one of
 * "delivered" (removed after SW_DELIVERED), "retry" (a failed attempt,
 * rescheduled), "failed" (a permanent failure, dropped) and "expired"
 * (older than the notifier's max_age_s, dropped): the four counts of
 * struct sw_dispatch_stats.  Both strings are borrowed for the call. */
typedef void (*sw_dispatch_observer_fn)(void *arg, const char *notifier,
                                        const char *outcome);

/* sw_dispatch_set_observer - FN(ARG, ...) (NULL: none) from now on. */
void sw_dispatch_set_observer(struct sw_dispatch *d, sw_dispatch_observer_fn fn,
                              void *arg);

/* sw_dispatch_set_rand - for tests: FN(ARG) supplies the numbers in [0, 1)
 * that place each backoff delay in [d/2, d].  NULL restores the built-in
 * generator. */
void sw_dispatch_set_rand(struct sw_dispatch *d, double (*fn)(void *arg),
                          void *arg);

/* sw_dispatch_run - expire, start what is due at NOW (the agent's clock,
 * which honours --now; it advances with the real time spent in this call),
 * and progress the transfers for at most TIMEOUT_MS (0: one non-blocking
 * pass).  Returns as soon as nothing is in flight and nothing more is due,
 * else when TIMEOUT_MS has passed, with transfers possibly still in
 * flight: call again (sw_dispatch_in_flight() says whether to).  Failed
 * deliveries are not errors of this call: they are logged, counted and
 * rescheduled or dropped.  Returns 0, SW_ECANCELED (see
 * sw_dispatch_set_cancel_flag) or SW_ENOMEM / SW_EINTERNAL (curl_multi
 * failed). */
int sw_dispatch_run(struct sw_dispatch *d, time_t now, long timeout_ms);

/* sw_dispatch_next_due - the earliest next_attempt among the entries that
 * could start (each configured notifier's oldest entry, when it has no
 * transfer in flight), at least 1; 0 when there is none.  A value <= now
 * means "run now".  Transfers in flight are not counted: see
 * sw_dispatch_in_flight(). */
time_t sw_dispatch_next_due(const struct sw_dispatch *d);

/* sw_dispatch_in_flight - the number of transfers in flight. */
size_t sw_dispatch_in_flight(const struct sw_dispatch *d);

/* sw_dispatch_stats - the counts since sw_dispatch_new(). */
void sw_dispatch_stats(const struct sw_dispatch *d,
                       struct sw_dispatch_stats *out);

/* sw_dispatch_deliver_now - `streamwatch notify-test`: send REC (borrowed)
 * through N once, synchronously, without the outbox or retries, for at
 * most TIMEOUT_MS (0: O's timeout_ms).  O may be NULL.  While *CANCEL
 * (NULL ok) is non-zero the transfer is abandoned.  Returns
 * SW_DELIVERED, SW_DELIVERY_RETRY (a temporary failure, the timeout and
 * running out of memory included) or SW_DELIVERY_PERMANENT, judged as the
 * dispatcher judges them, with ERR saying why when not delivered; or
 * SW_ECANCELED or SW_EINTERNAL (curl_multi failed), ERR set too. */
int sw_dispatch_deliver_now(const struct sw_dispatch_opts *o,
                            struct sw_notifier *n, const json_t *rec,
                            time_t now, long timeout_ms,
                            volatile sig_atomic_t *cancel, char *err,
                            size_t errlen);

/* --- for tests --- */

/* sw_dispatch_backoff - the delay in seconds after ATTEMPTS (>= 1) failed
 * attempts, for U in [0, 1): d/2 + U * (d/2 + 1), at most d. */
long sw_dispatch_backoff(int attempts, double u);

#endif
