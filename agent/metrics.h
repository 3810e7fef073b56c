/* agent/metrics.h - the agent's own metrics, for Prometheus.
 *
 * With agent.metrics_file set, `run` writes the file after each cycle in
 * the Prometheus text format 0.0.4, for node_exporter's textfile collector
 * (which reads *.prom files of a directory): atomically (a temporary
 * ".NAME.tmp" beside it, fsync, rename), mode 0644 since node_exporter runs
 * as another user and nothing in it is secret.  The series, each with
 * # HELP and # TYPE, families and samples sorted:
 *
 *   streamwatch_alarms{state}                     gauge: OK, ALARM,
 *       INSUFFICIENT_DATA, always all three (the watcher alarm not counted)
 *   streamwatch_api_requests_total{operation,outcome}   counter: every AWS
 *       call, outcome as in aws/client.h (SW_AWS_OUTCOMES)
 *   streamwatch_api_retries_total{operation}      counter
 *   streamwatch_notifications_total{notifier,outcome}   counter: delivered,
 *       retry, failed, expired (notifiers/dispatch.h)
 *   streamwatch_outbox_pending{notifier}          gauge, every notifier
 *   streamwatch_outbox_write_failures_total       counter
 *   streamwatch_cycles_total                      counter: completed cycles
 *   streamwatch_cycle_overruns_total              counter: cycles longer
 *       than their interval
 *   streamwatch_cycle_duration_seconds            gauge: the last one's
 *   streamwatch_last_success_timestamp_seconds    gauge: the clock of the
 *       last completed cycle without a failed fetch; 0 before the first
 *   streamwatch_blind_alarms                      gauge
 *
 * Counters (and the last success time) must not go back to zero at every
 * restart or `run --once`, so they persist in state_dir/metrics.json,
 * written with the text file (atomically, mode 0640 like state.json):
 *
 *   {"version": 1, "cycles": 12, "cycle_overruns": 0,
 *    "outbox_write_failures": 0,
 *    "last_success": "2026-11-25T10:05:00Z" | null,
 *    "api_requests": {"GetMetricStatistics": {"success": 11, "error": 1}},
 *    "api_retries": {"GetMetricStatistics": 2},
 *    "notifications": {"ops-webhook": {"delivered": 3, "retry": 1}}}
 *
 * A metrics.json that cannot be read or is not this shape is moved aside
 * (metrics.json.corrupt-<time>) with one error line, and counting starts
 * from zero: a counter reset, which Prometheus's rate() handles.  Series
 * of a notifier that left the configuration keep their last counts.
 *
 * Counts come in through the observers of aws/client and
 * notifiers/dispatch (sw_metrics_attach()), cycles through
 * sw_metrics_cycle().  sw_metrics_format() is the pure text formatter.
 * Single-threaded, like the agent; agent/main.c owns the struct.
 */
#ifndef SW_AGENT_METRICS_H
#define SW_AGENT_METRICS_H

#include <stddef.h>
#include <time.h>

#define SW_METRICS_FILE "metrics.json" /* under state_dir */
/* Far above any real file: a few hundred series of short names. */
#define SW_METRICS_MAX_BYTES (4u * 1024 * 1024)
/* Per counter family; a count for a new label set past it is dropped
 * (label values come from the config and our code, so this is a guard). */
#define SW_METRICS_MAX_SERIES 10000
#define SW_METRICS_MAX_LABELS 2

struct sw_aws;
struct sw_buf;
struct sw_cycle_stats;
struct sw_dispatch;
struct sw_outbox;
struct sw_runtime;
struct sw_store;

/* ---- the text format ---- */

struct sw_metrics_sample {
    const char *labels[SW_METRICS_MAX_LABELS]; /* values, by the family's
                                                  label_names */
    double value;
};

struct sw_metrics_family {
    const char *name; /* streamwatch_... */
    const char *help; /* one line */
    const char *type; /* "counter" or "gauge" */
    const char *label_names[SW_METRICS_MAX_LABELS];
    size_t nlabels;
    const struct sw_metrics_sample *samples;
    size_t n;
};

/* sw_metrics_format - append the N families of F to OUT in the text
 * format 0.0.4: families sorted by name, each "# HELP", "# TYPE" and its
 * samples sorted by label values (byte order, first label first).  Label
 * values are escaped (\\, \", \n) and HELP text too (\\, \n); values print
 * as the shortest decimal that reads back the same double ("3", "0.25",
 * "1795600000"), NaN and infinities as "NaN", "+Inf", "-Inf".  Inputs are
 * not changed.  Returns 0, SW_EINVAL (a NULL name, type or label value) or
 * SW_ENOMEM / SW_ETOOBIG (OUT's cap); OUT may then hold part of it. */
int sw_metrics_format(const struct sw_metrics_family *f, size_t n,
                      struct sw_buf *out);

/* ---- the agent's metrics ---- */

struct sw_metrics;

/* sw_metrics_open - the metrics of STATE_DIR: the counts of
 * STATE_DIR/metrics.json, or zero when it is missing; an unreadable or
 * corrupt one is logged and moved aside (see above).
 * Returns 0 and *out: new (sw_metrics_free()), or SW_ENOMEM. */
int sw_metrics_open(const char *state_dir, struct sw_metrics **out);
void sw_metrics_free(struct sw_metrics *m);

/* sw_metrics_attach - make A (NULL: none) and D (NULL: none) report their
 * calls and deliveries to M: once for the dispatcher, and for each new
 * struct sw_aws (a reload makes one).  M must outlive both, or the
 * observers be set to NULL. */
void sw_metrics_attach(struct sw_metrics *m, struct sw_aws *a,
                       struct sw_dispatch *d);

/* The observers sw_metrics_attach() installs (ARG: the struct
 * sw_metrics), public for tests. */
void sw_metrics_on_aws(void *arg, const char *operation, const char *outcome,
                       int retries);
void sw_metrics_on_notify(void *arg, const char *notifier, const char *outcome);

/* sw_metrics_cycle - a cycle at NOW (the agent's clock) that took
 * DURATION_MS and returned R with stats ST: when R is 0 it is counted,
 * its duration and blind alarms kept, and without a failed fetch NOW
 * becomes the last success.  A cycle cut short (R < 0) changes nothing. */
void sw_metrics_cycle(struct sw_metrics *m, time_t now, long duration_ms, int r,
                      const struct sw_cycle_stats *st);

/* sw_metrics_overrun - count a cycle that outlasted its interval. */
void sw_metrics_overrun(struct sw_metrics *m);

/* sw_metrics_write - save the counts to state_dir/metrics.json, then write
 * PATH (the metrics file) from them and from RT's alarms with their
 * states in STORE, and OB's pending entries and write failures (OB may be
 * NULL).  Each failure is logged in one line.  Returns 0, or SW_EIO,
 * SW_EINVAL (PATH names no file) or SW_ENOMEM (the first failure) after
 * doing what it could. */
int sw_metrics_write(struct sw_metrics *m, const char *path,
                     const struct sw_runtime *rt, const struct sw_store *store,
                     const struct sw_outbox *ob);

/* --- for tests --- */

/* sw_metrics_count - the counter FAMILY ("api_requests", "api_retries",
 * "notifications") at label values A and B (B NULL for api_retries), 0
 * when absent; and the scalar ones: "cycles", "cycle_overruns",
 * "outbox_write_failures",
 * "last_success". */
unsigned long long sw_metrics_count(const struct sw_metrics *m,
                                    const char *family, const char *a,
                                    const char *b);

/* sw_metrics_save - only state_dir/metrics.json.  Returns 0, SW_EIO (ERR
 * names the path) or SW_ENOMEM. */
int sw_metrics_save(const struct sw_metrics *m, char *err, size_t errlen);

#endif
