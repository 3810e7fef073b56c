/* agent/cycle.c - one evaluation cycle; see cycle.h. */
#include "config.h"

#include "agent/cycle.h"

#include <stdlib.h>
#include <string.h>

#include "agent/conf.h"
#include "agent/source.h"
#include "agent/state.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "notifiers/log.h"
#include "notifiers/notifier.h"
#include "rules/eval.h"
#include "rules/rule.h"

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

/* Deliver EV to every action of the new state, as CloudWatch runs the
 * actions of the state an alarm enters.  One notifier failing does not stop
 * the others. */
static void
notify(struct sw_cycle *c, const struct sw_rule *r,
       const struct sw_alarm_event *ev, struct sw_cycle_stats *st)
{
    const struct sw_strv *acts = actions_for(r, ev->new_state);
    char err[512];

    if (!r->actions_enabled || !acts)
        return;
    for (size_t i = 0; i < acts->n; i++) {
        const char *name = acts->v[i];
        struct sw_notifier *n = NULL;
        int r2;

        for (size_t j = 0; j < c->conf->nnotifiers; j++)
            if (strcmp(c->conf->notifiers[j].name, name) == 0)
                n = c->notifiers[j];
        if (c->dry_run) {
            /* The same JSON line the log notifier writes, so a dry run
             * shows exactly what the alarm would say. */
            char *line = sw_notifier_log_format(name, ev);
            if (line) {
                fputs(line, c->dry_out);
                fflush(c->dry_out);
                free(line);
            }
            continue;
        }
        if (!n) {
            /* A raw SNS ARN, or a notifier type this version cannot send
             * through: say so on every change rather than drop it
             * silently. */
            sw_log_err("notify: alarm '%s': action '%s' cannot be delivered "
                       "by this version of streamwatch",
                       ev->alarm_name, name);
            st->notify_failures++;
            continue;
        }
        r2 = sw_notifier_deliver(n, ev, err, sizeof(err));
        if (r2 < 0) {
            sw_log_err("notify: alarm '%s': notifier '%s' failed: %s",
                       ev->alarm_name, name, err[0] ? err : sw_strerror(r2));
            st->notify_failures++;
        } else {
            st->notified++;
        }
    }
}

static int
eval_one(struct sw_cycle *c, const struct sw_rule *r, time_t now,
         struct sw_cycle_stats *st)
{
    struct sw_alarm_state *a = NULL;
    struct sw_metric_query q;
    struct sw_datapoint *pts = NULL;
    struct sw_eval_result res;
    size_t n = 0;
    char err[768];
    enum sw_state prev;
    int r2;

    memset(&res, 0, sizeof(res));
    r2 = sw_state_ensure(c->state, r->name, now, &a);
    if (r2 < 0)
        goto out;
    memset(&q, 0, sizeof(q));
    q.namespace_ = r->namespace_;
    q.metric = r->metric;
    q.dims = r->dims;
    q.ndims = r->ndims;
    q.stat = r->stat;
    q.unit = r->unit;
    q.period_s = r->period_s;
    sw_eval_window(r, now, &q.start, &q.end);

    r2 = sw_source_fetch(c->source, &q, &pts, &n, err, sizeof(err));
    if (r2 < 0) {
        /* Not data: keep the state, remember and report the failure. */
        st->fetch_failures++;
        sw_log_err("fetch: alarm '%s': %s", r->name,
                   err[0] ? err : sw_strerror(r2));
        r2 = sw_state_fetch_failed(a, err[0] ? err : sw_strerror(r2), now);
        goto out;
    }
    sw_state_fetch_ok(a);

    prev = a->state;
    r2 = sw_eval(r, pts, n, q.end, prev, now, &res);
    if (r2 < 0) {
        sw_log_err("eval: alarm '%s': %s", r->name, sw_strerror(r2));
        goto out;
    }
    st->alarms++;
    a->last_evaluated = now;
    r2 = sw_state_add_values(a, pts, n);
    if (r2 < 0)
        goto out;
    if (!res.changed) {
        r2 = 0;
        goto out;
    }

    st->transitions++;
    r2 = sw_state_set(a, res.state, now, res.reason, res.reason_data);
    if (r2 < 0)
        goto out;
    sw_log_info("alarm '%s': %s -> %s: %s", r->name, sw_state_name(prev),
                sw_state_name(res.state), res.reason);
    {
        struct sw_alarm_event ev;

        memset(&ev, 0, sizeof(ev));
        ev.alarm_name = r->name;
        ev.description = r->description;
        ev.old_state = prev;
        ev.new_state = res.state;
        ev.reason = res.reason;
        ev.reason_data = res.reason_data;
        ev.state_change_time = now;
        ev.region = c->region;
        ev.rule = r;
        notify(c, r, &ev, st);
    }
    r2 = 0;
out:
    sw_eval_result_release(&res);
    free(pts);
    return r2;
}

int
sw_cycle_run(struct sw_cycle *c, time_t now, struct sw_cycle_stats *st)
{
    memset(st, 0, sizeof(*st));
    for (size_t i = 0; i < c->conf->nrules; i++) {
        int r;

        if (c->stop && *c->stop)
            return SW_ECANCELED;
        r = eval_one(c, c->conf->rules[i], now, st);
        if (r == SW_ENOMEM)
            return r;
    }
    return 0;
}
