/* agent/store.h - the alarm state store, state_dir/state.json.
 *
 * What survives a restart for each alarm: its state and since when, the
 * reason and reason data of the last change, when it was last evaluated,
 * the last evaluated datapoints (for `status` sparklines), and the fetch
 * failure bookkeeping.  The file is JSON (jansson), written atomically: a
 * temporary file in the same directory, fsync, rename over state.json,
 * fsync of the directory, so a crash leaves either the old or the new file.
 *
 *   {"version": 1, "alarms": {"<name>": {
 *       "state": "ALARM", "since": "2026-11-25T10:05:00Z",
 *       "reason": "...", "reason_data": {...} | null,
 *       "last_evaluated": "2026-11-25T10:05:00Z" | null,
 *       "values": [[1795600980, 12.0], ...],
 *       "fetch_error": null | "message", "fetch_failures": 0,
 *       "last_fetch_error_time": null | "2026-11-25T10:05:00Z",
 *       "fetch_failing_since": null | "2026-11-25T10:01:00Z",
 *       "notified": {"<notifier>": {"last": "...", "count": 0}}}},
 *   "watcher": {"name": "watcher:onprem-01", <the fields of an alarm>}}
 *
 * "watcher" (optional) is the blind-watcher alarm (agent/watcher.h): the
 * agent's own, so it is kept apart from the alarms, which the config
 * defines and sw_store_prune() trims.  Its fetch_* fields record stream
 * discovery (Kinesis ListStreams), the one fetch that belongs to no alarm.
 *
 * A file that is not exactly this shape is refused with SW_EPARSE and a
 * message naming the problem; the caller decides what to do (the agent must
 * not crash on it).  reason_data is kept as JSON text in memory; after a
 * reload its numbers print as jansson prints them (up to 17 digits), which
 * denotes the same doubles.  sw_store_*() work on the store,
 * sw_store_alarm_*() on one entry of it; the state values themselves
 * (enum sw_state, sw_state_name()) are rules/rule.h's.  Depends on lib/,
 * rules/rule.h and jansson.
 */
#ifndef SW_AGENT_STORE_H
#define SW_AGENT_STORE_H

#include <stddef.h>
#include <time.h>

#include "lib/metric.h"
#include "rules/rule.h"

#define SW_STORE_FILE "state.json"
/* The state.json before the last save: known good, for when state.json
 * cannot be read (a disk error, a hand edit gone wrong). */
#define SW_STORE_PREV_FILE "state.json.prev"
/* About 5 KB an alarm with 60 values: room for some 50,000 alarms. */
#define SW_STORE_MAX_BYTES      (256u * 1024 * 1024)
#define SW_STORE_MAX_VALUES     60 /* datapoints kept per alarm */
#define SW_STORE_INITIAL_REASON "Unchecked: Initial alarm creation"

/* When an alarm last notified one notifier, for repeat_interval reminders
 * and Alertmanager re-posts: reset on every state change. */
struct sw_notify_mark {
    char *notifier;
    time_t last; /* the end of the evaluated period of the last
                    notification enqueued (older files: its wall time) */
    int count;   /* reminders sent since the state change */
};

struct sw_alarm_state {
    char *name;
    enum sw_state state;
    time_t since;                 /* when the alarm entered state */
    char *reason;                 /* NewStateReason of the last change */
    char *reason_data;            /* StateReasonData JSON text, or NULL */
    time_t last_evaluated;        /* 0: never */
    struct sw_datapoint *values;  /* ascending by ts, sample_count -1 */
    size_t nvalues;               /* at most SW_STORE_MAX_VALUES */
    char *fetch_error;            /* last fetch error, NULL when the last fetch
                                   * succeeded */
    int fetch_failures;           /* consecutive failed fetches */
    time_t last_error_time;       /* 0: none */
    time_t failing_since;         /* the first of the consecutive failed
                                     fetches; 0 while fetches succeed */
    struct sw_notify_mark *marks; /* "notified" in state.json */
    size_t nmarks;
};

/* The alarms, in the order they were loaded or added.  Entries are
 * separately allocated, so a pointer from sw_store_get() stays valid until
 * that alarm is pruned or the store is freed. */
struct sw_store {
    struct sw_alarm_state **alarms;
    size_t n;
    struct sw_alarm_state *watcher; /* "watcher" above, or NULL */
};

/* sw_store_new - an empty store.
 * Returns: new (free with sw_store_free()), or NULL when out of memory. */
struct sw_store *sw_store_new(void);
void sw_store_free(struct sw_store *st);

/* sw_store_load - read DIR/state.json.  A missing file (or directory) gives
 * an empty store.  Returns 0 and *out (new, free with sw_store_free()); or
 * SW_EPARSE (not JSON, wrong shape, larger than SW_STORE_MAX_BYTES),
 * SW_EIO or SW_ENOMEM with a one-line ERR naming the file. */
int sw_store_load(const char *dir, struct sw_store **out, char *err,
                  size_t errlen);

/* sw_store_load_file - as sw_store_load(), from DIR/NAME (such as
 * SW_STORE_PREV_FILE), except that a missing file is SW_ENOENT. */
int sw_store_load_file(const char *dir, const char *name, struct sw_store **out,
                       char *err, size_t errlen);

/* sw_store_save - write ST to DIR/state.json atomically with mode 0640,
 * creating DIR (0750) when missing.  The state.json it replaces is kept as
 * DIR/state.json.prev (a hard link; a failure to keep it is only logged).
 * Returns 0, SW_EIO (ERR names the path and errno) or SW_ENOMEM. */
int sw_store_save(const struct sw_store *st, const char *dir, char *err,
                  size_t errlen);

/* sw_store_get - the entry for NAME.
 * Returns: borrowed (see struct sw_store), or NULL. */
struct sw_alarm_state *sw_store_get(const struct sw_store *st,
                                    const char *name);

/* sw_store_ensure - the entry for NAME, created when missing as a new
 * CloudWatch alarm starts: INSUFFICIENT_DATA since NOW, reason
 * SW_STORE_INITIAL_REASON.  Returns 0 and *out (borrowed), or SW_ENOMEM. */
int sw_store_ensure(struct sw_store *st, const char *name, time_t now,
                    struct sw_alarm_state **out);

/* sw_store_watcher - the watcher alarm, named NAME.  Created as
 * sw_store_ensure() creates an alarm when missing or when it has another
 * name (agent.name changed: another agent's watcher, started afresh).
 * Returns 0 and *out (borrowed, valid until the next call or
 * sw_store_free()), or SW_ENOMEM. */
int sw_store_watcher(struct sw_store *st, const char *name, time_t now,
                     struct sw_alarm_state **out);

/* sw_store_prune - drop every alarm whose name is not in KEEP (the
 * configured alarms).  Returns the number dropped. */
size_t sw_store_prune(struct sw_store *st, const char *const *keep,
                      size_t nkeep);

/* sw_store_alarm_set - record a state change: STATE since SINCE, with copies of
 * REASON and REASON_DATA (either may be NULL).  Returns 0 or SW_ENOMEM (A
 * unchanged). */
int sw_store_alarm_set(struct sw_alarm_state *a, enum sw_state state,
                       time_t since, const char *reason,
                       const char *reason_data);

/* sw_store_alarm_add_values - merge N evaluated datapoints into A's values: a
 * point replaces a kept one with the same ts, and only the newest
 * SW_STORE_MAX_VALUES stay.  Returns 0 or SW_ENOMEM (A unchanged). */
int sw_store_alarm_add_values(struct sw_alarm_state *a,
                              const struct sw_datapoint *pts, size_t n);

/* sw_store_alarm_fetch_failed - count one failed fetch at WHEN with a copy of
 * MSG; the first of a run of failures sets failing_since to WHEN.
 * sw_store_alarm_fetch_ok - clear the failure bookkeeping.
 * Returns 0 or SW_ENOMEM. */
int sw_store_alarm_fetch_failed(struct sw_alarm_state *a, const char *msg,
                                time_t when);
void sw_store_alarm_fetch_ok(struct sw_alarm_state *a);

/* sw_store_alarm_mark - the notify mark of NOTIFIER in A, created (last 0,
 * count 0) when missing.  Returns 0 and *out (borrowed, valid until the
 * next sw_store_alarm_mark/_clear_marks on A), or SW_ENOMEM. */
int sw_store_alarm_mark(struct sw_alarm_state *a, const char *notifier,
                        struct sw_notify_mark **out);
/* sw_store_alarm_clear_marks - forget every mark (a state change). */
void sw_store_alarm_clear_marks(struct sw_alarm_state *a);

#endif
