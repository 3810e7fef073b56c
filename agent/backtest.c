/* agent/backtest.c - a stretch of history through the agent's cycle; see
 * backtest.h. */
#include "config.h"

#include "agent/backtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cycle.h"
#include "agent/plan.h"
#include "agent/shards.h"
#include "agent/store.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/str.h"
#include "rules/eval.h"

int
sw_backtest_step_s(const struct sw_rule *const *rules, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (sw_eval_cadence_s(rules[i]) < 60)
            return 10;
    return 60;
}

/* The last evaluation of a backtest over [FROM, TO) stepping STEP. */
static time_t
last_step(time_t from, time_t to, int step)
{
    return from + ((to - 1 - from) / step) * step;
}

/* The SHARDS an expression of R reads, for planning only: what is fetched
 * does not depend on it, and the cycle asks the real count. */
static void
plan_vars(const struct sw_rule *r, struct sw_shards *sh, time_t t,
          struct sw_expr_vars *v)
{
    const char *stream = NULL;
    char err[256];

    memset(v, 0, sizeof(*v));
    v->shards = 1;
    v->shards_known = 1;
    if (sh && sw_shards_rule_stream(r, &stream) == 1 &&
        sw_shards_get(sh, stream, t, &v->shards, err, sizeof(err)) < 0)
        v->shards = 1;
}

/* A plan of every rule over the union of its windows from FROM to TO. */
static int
plan_range(struct sw_plan *p, const struct sw_rule *const *rules, size_t n,
           struct sw_shards *sh, time_t from, time_t to)
{
    int step = sw_backtest_step_s(rules, n);
    time_t last = last_step(from, to, step);
    int r = 0;

    for (size_t i = 0; i < n && r == 0; i++) {
        struct sw_expr_vars v;
        time_t s0, e0, s1, e1;

        sw_eval_window(rules[i], from, &s0, &e0);
        sw_eval_window(rules[i], last, &s1, &e1);
        plan_vars(rules[i], sh, from, &v);
        r = sw_plan_add(p, rules[i], s0, e1 > e0 ? e1 : e0, &v);
    }
    return r < 0 ? r : sw_plan_finish(p);
}

int
sw_backtest_fetches(const struct sw_rule *const *rules, size_t nrules,
                    time_t from, time_t to, struct sw_fetch **out, size_t *n)
{
    struct sw_plan p;
    int r;

    *out = NULL;
    *n = 0;
    sw_plan_init(&p);
    r = plan_range(&p, rules, nrules, NULL, from, to);
    if (r == 0 && p.nfetches) {
        *out = calloc(p.nfetches, sizeof(**out));
        if (!*out) {
            r = SW_ENOMEM;
        } else {
            for (size_t i = 0; i < p.nfetches; i++) {
                (*out)[i].q = p.fetches[i].q;
                (*out)[i].series = p.fetches[i].series;
            }
            *n = p.nfetches;
        }
    }
    sw_plan_release(&p);
    return r;
}

void
sw_backtest_fetches_free(struct sw_fetch *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sw_fetch_release(&f[i]);
    free(f);
}

int
sw_backtest_retention(const struct sw_metric_query *q, time_t now, char *err,
                      size_t errlen)
{
    time_t age = now - q->start;
    const char *need = NULL;
    char when[SW_TIME_BUF];

    if (q->period_s < 60 && age > SW_BACKTEST_KEEP_HIGHRES_S)
        need = "data of a period under 60 s is kept 3 hours";
    else if (age > SW_BACKTEST_KEEP_3600_S)
        need = "CloudWatch keeps no data older than 455 days";
    else if (age > SW_BACKTEST_KEEP_300_S && q->period_s % 3600 != 0)
        need = "data older than 63 days is kept only by the hour: the "
               "period must be a multiple of 3600 s";
    else if (age > SW_BACKTEST_KEEP_60_S && q->period_s % 300 != 0)
        need = "data older than 15 days is kept only in 5-minute periods: "
               "the period must be a multiple of 300 s";
    if (!need)
        return 0;
    sw_err_set(err, errlen,
               "%s %s (period %d s) from %s: %s; choose a later --from or "
               "try a longer period with --set period=...",
               q->namespace_, q->metric, q->period_s,
               sw_time_rfc3339(q->start, when), need);
    return SW_EINVAL;
}

int
sw_backtest_prefetch(struct sw_source *source, struct sw_fetch *f, size_t n,
                     const struct sw_source_batch *o, struct sw_source *mem,
                     int *requests, char *err, size_t errlen)
{
    int r;

    r = sw_source_fetch_all(source, f, n, o, requests);
    if (r < 0)
        return r;
    for (size_t i = 0; i < n; i++) {
        if (f[i].result < 0) {
            sw_err_set(err, errlen, "%s %s %s: %s", f[i].q.namespace_,
                       f[i].q.metric, f[i].q.stat, sw_fetch_error(&f[i]));
            return f[i].result;
        }
        if (!mem)
            continue;
        r = sw_source_memory_add(mem, &f[i].q, f[i].pts, f[i].n);
        if (r < 0)
            return r;
    }
    return 0;
}

/* ---- stepping ---- */

static struct sw_backtest_alarm *
alarm_of(struct sw_backtest *b, const char *name)
{
    for (size_t i = 0; i < b->nalarms; i++)
        if (strcmp(b->alarms[i].rule->name, name) == 0)
            return &b->alarms[i];
    return NULL;
}

static void
sink(void *arg, const char *alarm, const char *notifier, int repeat)
{
    struct sw_backtest_alarm *a = alarm_of(arg, alarm);

    (void)notifier;
    if (!a)
        return;
    a->notifications++;
    a->reminders += repeat > 0;
}

static int
add_change(struct sw_backtest_alarm *a, time_t t, enum sw_state from,
           enum sw_state to, const char *reason)
{
    struct sw_backtest_change *c;

    if (a->nchanges == a->changes_alloc) {
        size_t na = a->changes_alloc ? a->changes_alloc * 2 : 8;
        struct sw_backtest_change *v = realloc(a->changes, na * sizeof(*v));
        if (!v)
            return SW_ENOMEM;
        a->changes = v;
        a->changes_alloc = na;
    }
    c = &a->changes[a->nchanges];
    c->time = t;
    c->from = from;
    c->to = to;
    c->reason = sw_strdup(reason ? reason : "");
    if (!c->reason)
        return SW_ENOMEM;
    a->nchanges++;
    return 0;
}

/* Time in each state over [FROM, TO): INSUFFICIENT_DATA from FROM (a new
 * alarm's state), then each change's. */
static void
count_seconds(struct sw_backtest_alarm *a, time_t from, time_t to)
{
    enum sw_state s = SW_STATE_INSUFFICIENT_DATA;
    time_t t = from;

    for (size_t i = 0; i < a->nchanges; i++) {
        a->seconds_in[s] += (long)(a->changes[i].time - t);
        t = a->changes[i].time;
        s = a->changes[i].to;
    }
    a->seconds_in[s] += (long)(to - t);
}

/* What --plot draws: each alarm's series over the whole range, as the
 * cycle's plan gives it (an expression evaluated). */
static int
fill_series(const struct sw_backtest_in *in, struct sw_backtest *b, char *err,
            size_t errlen)
{
    struct sw_source_batch o;
    struct sw_plan p;
    int r;

    sw_plan_init(&p);
    r = plan_range(&p, in->rules, in->nrules, in->shards, b->from, b->to);
    if (r < 0)
        goto out;
    memset(&o, 0, sizeof(o));
    o.stop = in->stop;
    r = sw_source_fetch_all(in->source, p.fetches, p.nfetches, &o, NULL);
    if (r < 0)
        goto out;
    for (size_t k = 0; k < p.nalarms; k++) {
        struct sw_backtest_alarm *a = &b->alarms[k];

        r = sw_plan_series(&p, k, &a->series, &a->nseries, err, errlen);
        if (r == SW_ENOMEM || r == SW_ECANCELED)
            goto out;
        if (r < 0) {
            /* The steps had their data; only the picture lacks it. */
            sw_log_warn("backtest: alarm '%s': no series to draw: %s",
                        a->rule->name, err);
            err[0] = '\0';
        }
    }
    r = 0;
out:
    sw_plan_release(&p);
    return r;
}

int
sw_backtest_run(const struct sw_backtest_in *in, struct sw_backtest *b,
                char *err, size_t errlen)
{
    char scratch[512];
    struct sw_store *store = NULL;
    struct sw_cycle c;
    time_t t;
    int r = SW_ENOMEM;

    memset(b, 0, sizeof(*b));
    if (!err || !errlen) {
        err = scratch;
        errlen = sizeof(scratch);
    }
    err[0] = '\0';
    b->step_s = sw_backtest_step_s(in->rules, in->nrules);
    b->from = in->from - (in->from % b->step_s + b->step_s) % b->step_s;
    b->to = in->to;
    if (b->from >= b->to) {
        sw_err_set(err, errlen,
                   "the range is empty: --from must be before "
                   "--to");
        return SW_EINVAL;
    }
    b->alarms = calloc(in->nrules ? in->nrules : 1, sizeof(*b->alarms));
    store = sw_store_new();
    if (!b->alarms || !store)
        goto out;
    b->nalarms = in->nrules;
    for (size_t i = 0; i < in->nrules; i++)
        b->alarms[i].rule = in->rules[i];

    memset(&c, 0, sizeof(c));
    c.rules = in->rules;
    c.nrules = in->nrules;
    c.source = in->source;
    c.shards = in->shards;
    c.notifiers = in->notifiers;
    c.nnotifiers = in->nnotifiers;
    c.msg = in->msg;
    c.store = store;
    c.region = in->region;
    c.stop = in->stop;
    c.sink = sink;
    c.sink_arg = b;
    for (t = b->from; t < b->to; t += b->step_s) {
        struct sw_cycle_stats st;

        r = sw_cycle_run(&c, t, &st);
        if (r < 0)
            goto out;
        b->evaluations++;
        /* A change is a state other than the last one seen: one
         * evaluation a step cannot change twice. */
        for (size_t i = 0; i < b->nalarms; i++) {
            struct sw_backtest_alarm *a = &b->alarms[i];
            struct sw_alarm_state *s = sw_store_get(store, a->rule->name);
            enum sw_state prev = a->nchanges ? a->changes[a->nchanges - 1].to
                                             : SW_STATE_INSUFFICIENT_DATA;

            if (!s)
                continue;
            if (s->fetch_error) {
                sw_err_set(err, errlen, "alarm '%s': %s", a->rule->name,
                           s->fetch_error);
                r = SW_EINVAL;
                goto out;
            }
            if (s->state != prev) {
                r = add_change(a, t, prev, s->state, s->reason);
                if (r < 0)
                    goto out;
            }
        }
        if (in->progress)
            in->progress(in->progress_arg, t);
    }
    for (size_t i = 0; i < b->nalarms; i++)
        count_seconds(&b->alarms[i], b->from, b->to);
    r = fill_series(in, b, err, errlen);
out:
    sw_store_free(store);
    if (r < 0)
        sw_backtest_release(b);
    return r;
}

void
sw_backtest_release(struct sw_backtest *b)
{
    for (size_t i = 0; i < b->nalarms; i++) {
        struct sw_backtest_alarm *a = &b->alarms[i];

        for (size_t k = 0; k < a->nchanges; k++)
            free(a->changes[k].reason);
        free(a->changes);
        free(a->series);
    }
    free(b->alarms);
    memset(b, 0, sizeof(*b));
}
