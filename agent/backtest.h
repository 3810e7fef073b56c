/* agent/backtest.h - what a set of alarms would have done over a stretch
 * of history.
 *
 * The agent's own cycle (agent/cycle.h) is stepped through the history one
 * evaluation at a time, as `run --once --now T` would be at T = FROM,
 * FROM + STEP, ... before TO: every minute, or every 10 s when an alarm
 * has a high-resolution period.  The cycle plans, fetches, evaluates with
 * rules/eval and decides the notifications and reminders exactly as the
 * agent does; only the state lives in memory and the notifications are
 * counted instead of queued.  So a backtest gives the agent's answers,
 * not an imitation of them.
 *
 * Where the history comes from is the caller's source.  A recording
 * answers directly.  CloudWatch is asked once for the whole range first
 * (sw_backtest_prefetch(): each series and statistic once, in pieces of
 * 1,440 datapoints, several requests at a time under the client's rate
 * limit), and the steps are answered from memory (agent/source_mem.c).
 *
 * sw_backtest_run() borrows everything in its input; the result owns its
 * arrays (sw_backtest_release()).
 */
#ifndef SW_AGENT_BACKTEST_H
#define SW_AGENT_BACKTEST_H

#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "agent/source.h"
#include "lib/metric.h"
#include "rules/rule.h"

struct sw_message_ctx;
struct sw_notifier;
struct sw_shards;

/* CloudWatch's retention (docs/recording-format.md, "History from
 * CloudWatch"): how long data of a period is kept. */
#define SW_BACKTEST_KEEP_HIGHRES_S (3 * 3600)
#define SW_BACKTEST_KEEP_60_S      (15 * 86400)
#define SW_BACKTEST_KEEP_300_S     (63 * 86400)
#define SW_BACKTEST_KEEP_3600_S    (455 * 86400)

struct sw_backtest_change {
    time_t time;
    enum sw_state from, to;
    char *reason; /* owned */
};

struct sw_backtest_alarm {
    const struct sw_rule *rule; /* borrowed from the input */
    struct sw_backtest_change *changes;
    size_t nchanges, changes_alloc;
    long seconds_in[3]; /* by enum sw_state, over [from, to) */
    int notifications;  /* records for every notifier, reminders included */
    int reminders;      /* of which reminders */
    struct sw_datapoint *series; /* the metric or expression over the range
                                    (what --plot draws), sorted */
    size_t nseries;
};

struct sw_backtest {
    time_t from, to; /* evaluations at from, from + step, ... < to */
    int step_s;
    int evaluations;                  /* cycles run */
    struct sw_backtest_alarm *alarms; /* in the input's order */
    size_t nalarms;
};

struct sw_backtest_in {
    const struct sw_rule *const *rules;
    size_t nrules;
    struct sw_source *source; /* answers every step's questions */
    struct sw_shards *shards; /* SHARDS in expressions; may be NULL */
    struct sw_notifier *const *notifiers; /* for their repeat_interval */
    size_t nnotifiers;
    const struct sw_message_ctx *msg;
    const char *region;
    time_t from, to;
    volatile sig_atomic_t *stop; /* SIGINT / SIGTERM: give up */
    /* Called after each step with its time (a progress bar); may be
     * NULL. */
    void (*progress)(void *arg, time_t t);
    void *progress_arg;
};

/* sw_backtest_step_s - 10 when any of the N RULES has a period under a
 * minute (CloudWatch evaluates those every 10 s), else 60. */
int sw_backtest_step_s(const struct sw_rule *const *rules, size_t n);

/* sw_backtest_range - the fetches that a backtest of RULES over
 * [FROM, TO) needs, one per series and statistic over the union of every
 * step's windows, as a plan makes them (agent/plan.h).  Returns 0 and
 * *out (new array, sw_backtest_fetches_free()) of *n fetches, whose
 * strings are borrowed from RULES; or SW_ENOMEM. */
int sw_backtest_fetches(const struct sw_rule *const *rules, size_t nrules,
                        time_t from, time_t to, struct sw_fetch **out,
                        size_t *n);
void sw_backtest_fetches_free(struct sw_fetch *f, size_t n);

/* sw_backtest_retention - whether CloudWatch still has the data Q asks
 * for at wall time NOW: a period under 60 s is kept 3 hours, 60 s data 15
 * days, then only 5-minute data (periods that are multiples of 300) until
 * 63 days and hourly data (multiples of 3600) until 455 days.  Returns 0,
 * or SW_EINVAL with a one-line ERR saying what to change. */
int sw_backtest_retention(const struct sw_metric_query *q, time_t now,
                          char *err, size_t errlen);

/* sw_backtest_prefetch - ask SOURCE for the N fetches F as one batch (O:
 * concurrency, progress, stop) and put every answer into MEM, a memory
 * source (sw_source_memory_new()), unless MEM is NULL (`record` keeps the
 * answers in F).  *REQUESTS (may be NULL)
 * counts the requests.  Returns 0; the first failed fetch's code with a
 * one-line ERR naming the metric; SW_ECANCELED; or SW_ENOMEM. */
int sw_backtest_prefetch(struct sw_source *source, struct sw_fetch *f, size_t n,
                         const struct sw_source_batch *o, struct sw_source *mem,
                         int *requests, char *err, size_t errlen);

/* sw_backtest_run - step the cycle through [IN->from, IN->to) (FROM is
 * aligned down to the step).  Returns 0 and OUT filled; SW_EINVAL with
 * ERR when FROM >= TO or a fetch failed (a backtest must not guess:
 * "alarm 'x': ..."); SW_ECANCELED; or SW_ENOMEM. */
int sw_backtest_run(const struct sw_backtest_in *in, struct sw_backtest *out,
                    char *err, size_t errlen);

void sw_backtest_release(struct sw_backtest *b);

#endif
