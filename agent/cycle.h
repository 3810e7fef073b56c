/* agent/cycle.h - one evaluation cycle of every alarm.
 *
 * For each configured alarm: compute the aligned window (rules/eval), fetch
 * its datapoints from the metric source, evaluate, record the result in the
 * state store, and hand a state change to the notifiers named in the
 * alarm's actions for the new state.  A fetch that fails is not data: the
 * alarm keeps its state, and the failure is recorded and logged.  The cycle
 * does not save the store; the caller does, once, after the cycle.
 *
 * All objects are borrowed from the caller (agent/main.c owns them).
 */
#ifndef SW_AGENT_CYCLE_H
#define SW_AGENT_CYCLE_H

#include <stdio.h>
#include <time.h>

struct sw_conf;
struct sw_source;
struct sw_notifier;
struct sw_state_store;

struct sw_cycle {
    const struct sw_conf *conf;
    struct sw_source *source;
    struct sw_notifier **notifiers; /* parallel to conf->notifiers; an
                                       entry is NULL for a type that this
                                       build cannot deliver through */
    struct sw_state_store *state;
    const char *region; /* for the alarm events */
    int dry_run;        /* print events to DRY_OUT instead of
                           delivering them */
    FILE *dry_out;
    volatile int *stop; /* set by SIGTERM: finish quickly */
};

struct sw_cycle_stats {
    int alarms;          /* alarms evaluated */
    int fetch_failures;  /* alarms whose fetch failed */
    int transitions;     /* state changes */
    int notified;        /* notifications delivered */
    int notify_failures; /* notifications that could not be delivered */
};

/* sw_cycle_run - evaluate every alarm as of wall time NOW.
 * Returns 0 when the cycle ran (failures are counted in STATS, which is
 * zeroed first), SW_ENOMEM, or SW_ECANCELED when *stop was set. */
int sw_cycle_run(struct sw_cycle *c, time_t now, struct sw_cycle_stats *st);

#endif
