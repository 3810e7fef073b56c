/* agent/cycle.h - one evaluation cycle of every alarm.
 *
 * For each alarm that is due (rules/eval's cadence: each minute, each 10 s
 * for high-resolution periods, hourly for alarms spanning more than a
 * day): compute the aligned window and plan its fetches (agent/plan: one
 * metric, or several and a metric-math expression; alarms that need the
 * same series share its fetch).  The source then fetches the whole plan,
 * several requests at a time.  Then, alarm by alarm in the config's
 * order: evaluate, record the result in the state store, and, on a state
 * change, put one record per action of the new state into the durable
 * outbox.  An alarm that stays in
 * ALARM re-notifies every repeat_interval (the rule's, else the
 * notifier's); Alertmanager notifiers use that to keep the alert firing.
 * A fetch that fails is not data: the alarm keeps its state, and the
 * failure is recorded and logged.
 *
 * After the alarms, the watcher (agent/watcher.h) judges whether any of
 * them is blind and, on a change, notifies agent.failure_actions the same
 * way; it enters OK from INSUFFICIENT_DATA (its first cycle) silently.
 *
 * The cycle neither saves the store nor delivers: the caller saves once
 * after the cycle and runs the dispatcher, so a dead SMTP server never
 * delays an evaluation.  All objects are borrowed from the caller
 * (agent/main.c owns them).
 */
#ifndef SW_AGENT_CYCLE_H
#define SW_AGENT_CYCLE_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

struct sw_conf;
struct sw_message_ctx;
struct sw_notifier;
struct sw_outbox;
struct sw_rule;
struct sw_shards;
struct sw_source;
struct sw_store;

struct sw_cycle {
    const struct sw_rule *const *rules; /* the alarms: the config's and
                                           those discovered for pattern
                                           templates */
    size_t nrules;
    struct sw_source *source;
    struct sw_shards *shards; /* SHARDS of expressions; NULL: none used */
    struct sw_notifier *const *notifiers; /* by name: the configured ones
                                             and one per raw SNS ARN */
    size_t nnotifiers;
    struct sw_outbox *outbox;         /* NULL only with dry_run */
    const struct sw_message_ctx *msg; /* for the records */
    struct sw_store *store;
    const char *region; /* for the alarm events */
    int dry_run;        /* print the records' log lines
                           to DRY_OUT instead */
    FILE *dry_out;
    int concurrency;         /* fetch requests in flight; 0: 16 */
    void (*tick)(void *arg); /* called while fetches are in flight:
                                the agent delivers meanwhile */
    void *tick_arg;
    volatile sig_atomic_t *stop;  /* set by SIGTERM: finish quickly */
    volatile sig_atomic_t *yield; /* set by SIGHUP: finish the request in
                                     flight, then return so the agent can
                                     reload */
    /* The blind-watcher alarm (agent/watcher.h), judged after the alarms
     * of a cycle that ran to the end; NULL: none (tests). */
    const struct sw_rule *watcher;
    int failure_after_s;
    const char *discover_error; /* stream discovery's last refresh failed
                                   with this; NULL: it did not (or none) */
    /* Where notifications go instead of the outbox (`backtest`): called
     * once per notifier and record, reminders included, and counted as
     * queued; the reminder marks move as for the outbox.  NULL: the
     * outbox (or DRY_OUT). */
    void (*sink)(void *arg, const char *alarm, const char *notifier,
                 int repeat);
    void *sink_arg;
};

struct sw_cycle_stats {
    int alarms;          /* alarms evaluated */
    int skipped;         /* alarms not due yet */
    int requests;        /* metric source requests */
    int fetch_failures;  /* alarms whose fetch failed */
    int transitions;     /* state changes */
    int queued;          /* notifications put into the outbox */
    int notify_failures; /* notifications that could not be queued */
    int unsaved;         /* queued, but only in memory: the outbox file
                            could not be written */
    int blind;           /* alarms whose fetches have failed for
                            agent.failure_after seconds (the watcher) */
};

/* sw_cycle_run - evaluate every due alarm as of wall time NOW.
 * Returns 0 when the cycle ran (failures are counted in STATS, which is
 * zeroed first), SW_ENOMEM, or SW_ECANCELED when *stop or *yield was set:
 * the alarms whose fetches were answered are evaluated; those whose fetch
 * was cut short keep their state, record no fetch failure and stay due,
 * so running the cycle again at the same NOW finishes it. */
int sw_cycle_run(struct sw_cycle *c, time_t now, struct sw_cycle_stats *st);

/* sw_cycle_find_notifier - the notifier called NAME in C, or NULL. */
struct sw_notifier *sw_cycle_find_notifier(const struct sw_cycle *c,
                                           const char *name);

#endif
