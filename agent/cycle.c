/* agent/cycle.c - one evaluation cycle; see cycle.h. */
#include "config.h"

#include "agent/cycle.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent/plan.h"
#include "agent/shards.h"
#include "agent/source.h"
#include "agent/store.h"
#include "agent/watcher.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "notifiers/log.h"
#include "notifiers/message.h"
#include "notifiers/notifier.h"
#include "notifiers/outbox.h"
#include "rules/eval.h"
#include "rules/rule.h"

struct sw_notifier *
sw_cycle_find_notifier(const struct sw_cycle *c, const char *name)
{
    for (size_t i = 0; i < c->nnotifiers; i++)
        if (c->notifiers[i] && strcmp(c->notifiers[i]->name, name) == 0)
            return c->notifiers[i];
    return NULL;
}

static const struct sw_strv *
actions_for(const struct sw_rule *r, enum sw_state s)
{
    switch (s) {
    case SW_STATE_ALARM: return &r->alarm_actions;
    case SW_STATE_OK: return &r->ok_actions;
    case SW_STATE_INSUFFICIENT_DATA: return &r->insufficient_data_actions;
    }
    return NULL;
}

/* Queue REC for the notifier called NAME (or, in a dry run, print what
 * the log notifier would write), and remember that A last notified it for
 * the period ending WINDOW_END: reminders are counted on the periods the
 * agent evaluates, not on the second its cycle ran, so two agents of a
 * high-availability pair remind in the same cycle with the same id. */
static void
enqueue(struct sw_cycle *c, struct sw_alarm_state *a, const char *name,
        json_t *rec, time_t now, time_t window_end, int repeat,
        struct sw_cycle_stats *st)
{
    struct sw_notify_mark *m = NULL;
    char err[512];
    int r;

    if (c->sink) {
        c->sink(c->sink_arg, a->name, name, repeat);
        goto queued;
    }
    if (c->dry_run) {
        char *line = sw_notifier_log_format(name, rec);
        if (line) {
            fputs(line, c->dry_out);
            fflush(c->dry_out);
            free(line);
        }
        return;
    }
    if (!sw_cycle_find_notifier(c, name)) {
        /* Only a reload race can get here (conf checks every name); say
         * so rather than drop the notification silently. */
        sw_log_err("notify: alarm '%s': no notifier '%s'", a->name, name);
        st->notify_failures++;
        return;
    }
    r = sw_outbox_add(c->outbox, name, rec, now, NULL, err, sizeof(err));
    if (r == SW_EIO) {
        /* Queued in memory all the same (outbox.h): delivered as usual,
         * written when the disk allows, and the agent says so. */
        sw_log_err("notify: alarm '%s': %s; keeping the notification for "
                   "'%s' in memory and retrying the write every cycle",
                   a->name, err, name);
        st->unsaved++;
    } else if (r < 0) {
        sw_log_err("notify: alarm '%s': cannot queue for '%s': %s", a->name,
                   name, err[0] ? err : sw_strerror(r));
        st->notify_failures++;
        return;
    }
queued:
    st->queued++;
    if (sw_store_alarm_mark(a, name, &m) == 0) {
        m->last = window_end;
        m->count = repeat;
    }
}

/* WINDOW_END: the end of the window this cycle evaluated, which names the
 * notification in its dedup id (agents evaluating the same period at
 * different seconds share it; a->since, the wall clock, they do not). */
static json_t *
make_record(struct sw_cycle *c, const struct sw_rule *r,
            const struct sw_alarm_state *a, enum sw_state old, int repeat,
            time_t window_end)
{
    struct sw_alarm_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.alarm_name = r->name;
    ev.description = r->description;
    ev.old_state = old;
    ev.new_state = a->state;
    ev.reason = a->reason;
    ev.reason_data = a->reason_data;
    ev.state_change_time = a->since;
    ev.window_end = window_end;
    ev.region = c->region;
    ev.repeat = repeat;
    ev.rule = r;
    return sw_message_record(&ev, c->msg);
}

/* A state change: every action of the new state, as CloudWatch runs the
 * actions of the state an alarm enters. */
static void
notify_change(struct sw_cycle *c, const struct sw_rule *r,
              struct sw_alarm_state *a, enum sw_state old, time_t now,
              time_t window_end, struct sw_cycle_stats *st)
{
    const struct sw_strv *acts = actions_for(r, a->state);
    json_t *rec;

    sw_store_alarm_clear_marks(a);
    if (!r->actions_enabled || !acts || acts->n == 0)
        return;
    rec = make_record(c, r, a, old, 0, window_end);
    if (!rec) {
        sw_log_err("notify: alarm '%s': out of memory", r->name);
        st->notify_failures++;
        return;
    }
    for (size_t i = 0; i < acts->n; i++)
        enqueue(c, a, acts->v[i], rec, now, window_end, 0, st);
    json_decref(rec);
}

/* Still in ALARM: remind each alarm action whose repeat interval (the
 * rule's, else the notifier's) has passed since it last heard of it.  The
 * reminder is named by the period this cycle evaluated (WINDOW_END). */
static void
notify_repeats(struct sw_cycle *c, const struct sw_rule *r,
               struct sw_alarm_state *a, time_t now, time_t window_end,
               struct sw_cycle_stats *st)
{
    if (a->state != SW_STATE_ALARM || !r->actions_enabled)
        return;
    for (size_t i = 0; i < r->alarm_actions.n; i++) {
        const char *name = r->alarm_actions.v[i];
        struct sw_notifier *n = sw_cycle_find_notifier(c, name);
        struct sw_notify_mark *m = NULL;
        int every = r->repeat_interval_s;
        json_t *rec;

        if (!every && n)
            every = n->repeat_interval_s;
        if (every <= 0 || sw_store_alarm_mark(a, name, &m) < 0)
            continue;
        /* State from before marks existed: count from the change.  A mark
         * ahead of this period means the clock went back: count anew. */
        if (m->last == 0)
            m->last = a->since;
        if (m->last > window_end)
            m->last = window_end;
        if (window_end - m->last < every)
            continue;
        rec = make_record(c, r, a, SW_STATE_ALARM, m->count + 1, window_end);
        if (!rec) {
            st->notify_failures++;
            continue;
        }
        enqueue(c, a, name, rec, now, window_end, m->count + 1, st);
        json_decref(rec);
    }
}

/* Alarm R (state A), whose window's series the plan fetched as its
 * alarm K: record the fetch's outcome, evaluate, and notify. */
static int
eval_one(struct sw_cycle *c, const struct sw_rule *r, struct sw_alarm_state *a,
         const struct sw_plan *p, size_t k, time_t now,
         struct sw_cycle_stats *st)
{
    struct sw_datapoint *pts = NULL;
    struct sw_eval_result res;
    time_t end = p->alarms[k].end;
    size_t n = 0;
    char err[768];
    enum sw_state prev;
    int r2;

    memset(&res, 0, sizeof(res));
    r2 = sw_plan_series(p, k, &pts, &n, err, sizeof(err));
    if (r2 == SW_ECANCELED) {
        /* Stopped or reloading: the fetch was not answered, which says
         * nothing about AWS; leave the alarm as it was, still due. */
        sw_log_debug("fetch: alarm '%s': canceled", r->name);
        goto out;
    }
    if (r2 == SW_ENOMEM)
        goto out;
    if (r2 < 0) {
        /* Not data: keep the state, remember and report the failure. */
        st->fetch_failures++;
        sw_log_err("fetch: alarm '%s': %s", r->name,
                   err[0] ? err : sw_strerror(r2));
        r2 =
            sw_store_alarm_fetch_failed(a, err[0] ? err : sw_strerror(r2), now);
        goto out;
    }
    sw_store_alarm_fetch_ok(a);

    /* A is states[k], set for every planned alarm (nalarms <= nrules),
     * which the analyzer does not follow from sw_cycle_run().
     * NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
    prev = a->state;
    r2 = sw_eval(r, pts, n, end, prev, now, &res);
    if (r2 < 0) {
        sw_log_err("eval: alarm '%s': %s", r->name, sw_strerror(r2));
        goto out;
    }
    st->alarms++;
    a->last_evaluated = now;
    r2 = sw_store_alarm_add_values(a, pts, n, sw_rule_eval_range(r));
    if (r2 < 0)
        goto out;
    if (!res.changed) {
        notify_repeats(c, r, a, now, end, st);
        r2 = 0;
        goto out;
    }
    st->transitions++;
    r2 = sw_store_alarm_set(a, res.state, now, res.reason, res.reason_data);
    if (r2 < 0)
        goto out;
    sw_log_info("alarm '%s': %s -> %s: %s", r->name, sw_state_name(prev),
                sw_state_name(res.state), res.reason);
    notify_change(c, r, a, prev, now, end, st);
    r2 = 0;
out:
    sw_eval_result_release(&res);
    free(pts);
    return r2;
}

/* The watcher after a whole cycle: stream discovery's outcome into its
 * entry, then the judgement, and a change notified like any alarm's.
 * Its period is the moment it is judged (NOW), which names its
 * notifications: two agents have two watchers, never one message. */
static int
watch(struct sw_cycle *c, time_t now, struct sw_cycle_stats *st)
{
    const struct sw_rule *r = c->watcher;
    struct sw_watcher_verdict v;
    struct sw_watcher_input in;
    struct sw_alarm_state *w;
    enum sw_state prev;
    int r2;

    r2 = sw_store_watcher(c->store, r->name, now, &w);
    if (r2 < 0)
        return r2;
    if (c->discover_error)
        r2 = sw_store_alarm_fetch_failed(w, c->discover_error, now);
    else
        sw_store_alarm_fetch_ok(w);
    if (r2 < 0)
        return r2;
    memset(&in, 0, sizeof(in));
    in.rules = c->rules;
    in.nrules = c->nrules;
    in.store = c->store;
    in.discovery = w;
    in.now = now;
    in.failure_after_s = c->failure_after_s;
    r2 = sw_watcher_judge(&in, w->state, w->since, &v);
    if (r2 < 0)
        return r2;
    st->blind = (int)v.nblind;
    w->last_evaluated = now;
    prev = w->state;
    if (v.state == prev) {
        /* Still blind: the reason follows which alarms are, so that a
         * reminder tells the current story; no new notification. */
        if (prev == SW_STATE_ALARM && v.reason &&
            (!w->reason || strcmp(v.reason, w->reason) != 0))
            r2 = sw_store_alarm_set(w, prev, w->since, v.reason, v.reason_data);
        if (r2 == 0)
            notify_repeats(c, r, w, now, now, st);
        goto out;
    }
    r2 = sw_store_alarm_set(w, v.state, now, v.reason, v.reason_data);
    if (r2 < 0)
        goto out;
    if (prev == SW_STATE_INSUFFICIENT_DATA && v.state == SW_STATE_OK) {
        sw_log_debug("watcher '%s': OK: %s", r->name, v.reason);
        goto out;
    }
    st->transitions++;
    if (v.state == SW_STATE_ALARM)
        sw_log_warn("watcher '%s': %s -> ALARM: %s", r->name,
                    sw_state_name(prev), v.reason);
    else
        sw_log_info("watcher '%s': %s -> %s: %s", r->name, sw_state_name(prev),
                    sw_state_name(v.state), v.reason);
    notify_change(c, r, w, prev, now, now, st);
out:
    sw_watcher_verdict_release(&v);
    return r2;
}

/* Plan alarm R; an expression with SHARDS gets its stream's shard count
 * first (agent/shards: cached), and without one the alarm's fetch fails
 * this cycle, as a failed GetMetricStatistics would. */
static int
plan_alarm(struct sw_cycle *c, struct sw_plan *p, const struct sw_rule *r,
           time_t start, time_t end, time_t now)
{
    struct sw_expr_vars vars;
    const char *stream = NULL;
    char err[512];
    int rc;

    memset(&vars, 0, sizeof(vars));
    rc = sw_shards_rule_stream(r, &stream);
    if (rc == 0)
        return sw_plan_add(p, r, start, end, NULL);
    if (rc < 0 || !c->shards) {
        snprintf(err, sizeof(err),
                 "the expression uses SHARDS and the stream's shard count "
                 "cannot be had%s",
                 c->shards ? "" : " (no Kinesis client: a recording)");
        return sw_plan_fail(p, r, start, end, SW_EINVAL, err);
    }
    rc = sw_shards_get(c->shards, stream, now, &vars.shards, err, sizeof(err));
    if (rc == SW_ENOMEM)
        return rc;
    if (rc < 0)
        return sw_plan_fail(p, r, start, end, rc, err);
    vars.shards_known = 1;
    return sw_plan_add(p, r, start, end, &vars);
}

static int
canceled(const struct sw_cycle *c)
{
    return (c->stop && *c->stop) || (c->yield && *c->yield);
}

int
sw_cycle_run(struct sw_cycle *c, time_t now, struct sw_cycle_stats *st)
{
    struct sw_source_batch batch;
    struct sw_alarm_state **states = NULL;
    struct sw_plan p;
    int r = 0, cut = 0;

    memset(st, 0, sizeof(*st));
    sw_plan_init(&p);
    if (canceled(c))
        return SW_ECANCELED;
    /* 1. What every due alarm needs, each series asked for once. */
    states = calloc(c->nrules ? c->nrules : 1, sizeof(*states));
    if (!states) {
        r = SW_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < c->nrules; i++) {
        const struct sw_rule *rule = c->rules[i];
        struct sw_alarm_state *a;
        time_t start, end;

        r = sw_store_ensure(c->store, rule->name, now, &a);
        if (r < 0)
            goto out;
        if (!sw_eval_due(rule, a->last_evaluated, now)) {
            st->skipped++;
            continue;
        }
        sw_eval_window(rule, now, &start, &end);
        r = plan_alarm(c, &p, rule, start, end, now);
        if (r < 0)
            goto out;
        states[p.nalarms - 1] = a;
    }
    r = sw_plan_finish(&p);
    if (r < 0)
        goto out;
    /* 2. Fetch them all, several at a time. */
    memset(&batch, 0, sizeof(batch));
    batch.concurrency = c->concurrency;
    batch.stop = c->stop;
    batch.yield = c->yield;
    batch.tick = c->tick;
    batch.tick_arg = c->tick_arg;
    r = sw_source_fetch_all(c->source, p.fetches, p.nfetches, &batch,
                            &st->requests);
    if (r == SW_ENOMEM)
        goto out;
    cut = r == SW_ECANCELED;
    /* 3. Evaluate in the config's order; an alarm whose fetch a signal cut
     * short stays due, so running the cycle again at NOW finishes it. */
    for (size_t k = 0; k < p.nalarms; k++) {
        r = eval_one(c, p.alarms[k].rule, states[k], &p, k, now, st);
        if (r == SW_ENOMEM)
            goto out;
        if (r == SW_ECANCELED)
            cut = 1;
    }
    r = cut ? SW_ECANCELED : c->watcher ? watch(c, now, st) : 0;
out:
    sw_plan_release(&p);
    free(states);
    return r;
}
