/* agent/store.h - the alarm state store: state_dir/state.json and its
 * journal, state_dir/state.journal.
 *
 * What survives a restart for each alarm: its state and since when, the
 * reason and reason data of the last change, when it was last evaluated,
 * its latest evaluated datapoints (for `status` sparklines), the fetch
 * failure bookkeeping and the reminder marks.
 *
 * Why two files.  Each save used to rewrite the whole state (2 KB an alarm
 * with 60 values, 5 KB when it was indented: 20 to 50 MB a minute at 10,000
 * alarms).  A save that skips unchanged alarms skips almost nothing: a cycle
 * evaluates nearly every alarm, which changes its last_evaluated and adds a
 * value, and the watcher is evaluated every cycle (measured on a daemon with
 * 1,000 alarms: none of ~40 cycles had nothing to write; on the 10 s ticks
 * between minutes only the watcher changed).  last_evaluated must be saved,
 * as `status` shows it and sw_eval_due() reads it after a restart.  So one
 * alarm's change must not rewrite everything:
 *  - state.json, the snapshot, holds every alarm, one a line, and names
 *    its journal:
 *
 *   {"version": 1, "journal": "<16 hex digits>", "alarms": {"<name>": {
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
 *  - state.journal holds what changed since, one JSON object a line,
 *    appended and fdatasync'd by each save: the first line
 *    {"journal": "<id>", "base": "<id>" | null} names the snapshot it
 *    belongs to; then {"op": "set", "name": N, <fields>} (an alarm whole,
 *    when anything but its evaluation changed), {"op": "eval", "name": N,
 *    "last_evaluated": T, "values_from": TS, "nvalues": K, "values":
 *    [...]} (evaluated: the values from TS on, of K kept; about 150
 *    bytes), {"op": "watcher", <fields with "name">}, {"op":
 *    "eval_watcher", "name": N, "last_evaluated": T} and {"op": "drop",
 *    "name": N} (pruned).
 * A save writes nothing when nothing changed, else appends the changed
 * alarms.  It compacts (writes a new snapshot, then a new journal) on a
 * process's first save, after an append failed, and once the journal is
 * larger than the snapshot (plus 64 KiB), so a load reads at most about
 * twice the snapshot.  Values are capped by the caller's evaluation range
 * (sw_store_alarm_add_values()), 20 by default, at most
 * SW_STORE_MAX_VALUES.  With a steady cycle a minute that is about 330
 * bytes an alarm a minute, compactions included, and a save costs about
 * 1 us of CPU an alarm (bench/store).  Simpler choices were weighed: a
 * whole file with a dirty flag writes as much as before; a file per alarm
 * is a file written and fsync'd per alarm per minute.
 *
 * Crash safety.  Both files are only ever replaced by rename (temporary
 * file, fsync, rename, fsync of the directory).  A journal is replayed
 * only onto the snapshot it names, so a crash between writing the new
 * snapshot and the new journal leaves an old journal that is ignored.  A
 * last line cut short by a crash is ignored; a line that is not valid
 * ends the replay there (logged).  A process appends only to a journal it
 * started, or to one it loaded whole and unchanged (then only right before
 * compacting it), so it never writes after a torn line.  Compaction keeps
 * the files it replaces as state.json.prev and state.journal.prev; a new
 * journal's "base" names the previous snapshot when that snapshot and its
 * journal add up to the new one.  So sw_store_load_file() of
 * SW_STORE_PREV_FILE, the fallback when state.json cannot be read, gives
 * the state of the last save: state.json.prev, its journal, and the
 * current journal when its base is state.json.prev.
 *
 * Readers.  `status` loads the files read-only beside a running agent: it
 * opens the snapshot and then the journals, and since files are only
 * replaced by rename, what it opened is one consistent save (a line being
 * appended is a cut-short last line).  Both are read in 64 KiB pieces by
 * lib/json_stream, without a jansson tree: a load or a save holds one
 * piece and one alarm beyond the store itself.
 *
 * A file that is not exactly this shape is refused with SW_EPARSE and a
 * message naming the problem; the caller decides what to do (the agent must
 * not crash on it).  reason_data is kept as compact JSON text in memory.
 * sw_store_*() work on the store, sw_store_alarm_*() on one entry of it;
 * the state values themselves (enum sw_state, sw_state_name()) are
 * rules/rule.h's.  Change an entry through these functions, except
 * last_evaluated and a notify mark's last and count, which the cycle
 * assigns: the store compares those with what it wrote.  Depends on lib/
 * and rules/rule.h.
 */
#ifndef SW_AGENT_STORE_H
#define SW_AGENT_STORE_H

#include <stddef.h>
#include <time.h>

#include "lib/metric.h"
#include "rules/rule.h"

#define SW_STORE_FILE "state.json"
/* The state.json before the last compaction: known good, for when
 * state.json cannot be read (a disk error, a hand edit gone wrong). */
#define SW_STORE_PREV_FILE    "state.json.prev"
#define SW_STORE_JOURNAL      "state.journal"
#define SW_STORE_JOURNAL_PREV "state.journal.prev"
/* About 1.5 KB an alarm with 20 values: room for some 150,000 alarms; also
 * the cap of the journal. */
#define SW_STORE_MAX_BYTES (256u * 1024 * 1024)
/* Datapoints kept per alarm: what the evaluation range needs, at least the
 * SW_STORE_SHOWN_VALUES that `status` draws, at most SW_STORE_MAX_VALUES. */
#define SW_STORE_MAX_VALUES     60
#define SW_STORE_SHOWN_VALUES   20
#define SW_STORE_INITIAL_REASON "Unchecked: Initial alarm creation"

/* When an alarm last notified one notifier, for repeat_interval reminders
 * and Alertmanager re-posts: reset on every state change. */
struct sw_notify_mark {
    char *notifier;
    time_t last; /* the end of the evaluated period of the last
                    notification enqueued (older files: its wall time) */
    int count;   /* reminders sent since the state change */
    /* The store's own: last and count as the files hold them. */
    time_t saved_last;
    int saved_count;
};

/* A kept datapoint: what `status` draws and the files hold (no sample
 * count: 16 bytes, not a struct sw_datapoint's 24, for 20 to 60 of them
 * an alarm). */
struct sw_store_value {
    time_t ts;
    double value;
};

struct sw_alarm_state {
    char *name;
    enum sw_state state;
    time_t since;                  /* when the alarm entered state */
    char *reason;                  /* NewStateReason of the last change */
    char *reason_data;             /* StateReasonData JSON text, or NULL */
    time_t last_evaluated;         /* 0: never */
    struct sw_store_value *values; /* ascending by ts */
    size_t nvalues;                /* at most SW_STORE_MAX_VALUES */
    char *fetch_error;             /* last fetch error, NULL when the last fetch
                                    * succeeded */
    int fetch_failures;            /* consecutive failed fetches */
    time_t last_error_time;        /* 0: none */
    time_t failing_since;          /* the first of the consecutive failed
                                      fetches; 0 while fetches succeed */
    struct sw_notify_mark *marks;  /* "notified" in state.json */
    size_t nmarks;
    /* The store's own bookkeeping: what of this entry the files hold. */
    unsigned changed;       /* SW_STORE_CHANGED_* (store.c) */
    time_t saved_evaluated; /* last_evaluated as the files hold it */
    time_t values_from;     /* with values changed: the oldest value not in
                               the files (0: none, only the count) */
};

struct sw_store_files;

/* The alarms, in the order they were loaded or added.  Entries are
 * separately allocated, so a pointer from sw_store_get() stays valid until
 * that alarm is pruned or the store is freed. */
struct sw_store {
    struct sw_alarm_state **alarms;
    size_t n;
    struct sw_alarm_state *watcher; /* "watcher" above, or NULL */
    struct sw_store_files *files;   /* the store's own: the name index and
                                       the state of the files */
};

/* sw_store_new - an empty store.
 * Returns: new (free with sw_store_free()), or NULL when out of memory. */
struct sw_store *sw_store_new(void);
void sw_store_free(struct sw_store *st);

/* sw_store_load - read DIR/state.json and replay its journal.  A missing
 * file (or directory) gives an empty store.  Returns 0 and *out (new, free
 * with sw_store_free()); or SW_EPARSE (not JSON, wrong shape, larger than
 * SW_STORE_MAX_BYTES), SW_EIO or SW_ENOMEM with a one-line ERR naming the
 * file.  A journal that breaks off is not an error: it is replayed up to
 * there, the rest logged and left to the next compaction. */
int sw_store_load(const char *dir, struct sw_store **out, char *err,
                  size_t errlen);

/* sw_store_load_file - as sw_store_load(), from DIR/NAME (such as
 * SW_STORE_PREV_FILE, with the journals that follow it), except that a
 * missing file is SW_ENOENT. */
int sw_store_load_file(const char *dir, const char *name, struct sw_store **out,
                       char *err, size_t errlen);

/* sw_store_save - make DIR hold ST: nothing written when nothing changed
 * since the last save (logged at debug), else the changes appended to
 * DIR/state.journal, and a compaction when due (see above), all files
 * with mode 0640, DIR created (0750) when missing.  A compaction keeps
 * the snapshot and journal it replaces as .prev (hard links; a failure to
 * keep them is only logged).  Returns 0 once the changes are on disk
 * (a compaction that fails after the append is logged and retried at the
 * next save), SW_EIO (ERR names the path and errno), SW_ETOOBIG (the
 * state would exceed SW_STORE_MAX_BYTES; not written) or SW_ENOMEM. */
int sw_store_save(struct sw_store *st, const char *dir, char *err,
                  size_t errlen);

/* sw_store_unsaved - how many entries (alarms, the watcher, pruned
 * alarms) have changes that the files do not hold yet: 0 means that
 * sw_store_save() has nothing to write. */
size_t sw_store_unsaved(const struct sw_store *st);

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
 * REASON and REASON_DATA (either may be NULL; REASON_DATA as compact JSON
 * text, and NULL when it is not a JSON object).  Returns 0 or SW_ENOMEM (A
 * unchanged). */
int sw_store_alarm_set(struct sw_alarm_state *a, enum sw_state state,
                       time_t since, const char *reason,
                       const char *reason_data);

/* sw_store_alarm_add_values - merge N evaluated datapoints into A's values: a
 * point replaces a kept one with the same ts (NaN and infinities, which
 * JSON cannot hold, are left out), and only the newest KEEP stay: the
 * alarm's evaluation range in periods (sw_rule_eval_range()), raised to
 * SW_STORE_SHOWN_VALUES and capped at SW_STORE_MAX_VALUES.  Returns 0 or
 * SW_ENOMEM (A unchanged). */
int sw_store_alarm_add_values(struct sw_alarm_state *a,
                              const struct sw_datapoint *pts, size_t n,
                              int keep);

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
