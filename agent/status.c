/* agent/status.c - `streamwatch status`; see status.h. */
#include "config.h"

#include "agent/status.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent/conf.h"
#include "agent/store.h"
#include "agent/watcher.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/str.h"
#include "notifiers/outbox.h"
#include "rules/eval.h"
#include "rules/rule.h"

/* The last 20 values as block characters, scaled between their own
 * minimum and maximum. */
static void
sparkline(const struct sw_alarm_state *a, struct sw_buf *out)
{
    static const char *const bars[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                       "\u2585", "\u2586", "\u2587", "\u2588"};
    double lo = 0, hi = 0;
    size_t from = a->nvalues > 20 ? a->nvalues - 20 : 0;

    for (size_t i = from; i < a->nvalues; i++) {
        if (i == from || a->values[i].value < lo)
            lo = a->values[i].value;
        if (i == from || a->values[i].value > hi)
            hi = a->values[i].value;
    }
    for (size_t i = from; i < a->nvalues; i++) {
        size_t k =
            hi > lo
                ? (size_t)((a->values[i].value - lo) / (hi - lo) * 7.0 + 0.5)
                : 0;
        (void)sw_buf_adds(out, bars[k > 7 ? 7 : k]);
    }
}

static const struct sw_rule *
rule_of(const struct sw_conf *c, const char *name)
{
    for (size_t i = 0; i < c->nrules; i++)
        if (strcmp(c->rules[i]->name, name) == 0)
            return c->rules[i];
    return NULL;
}

/* The evaluation after LAST on the alarm's cadence grid. */
static time_t
next_eval(const struct sw_rule *r, int interval_s, time_t last)
{
    int every = r ? sw_eval_cadence_s(r) : interval_s;

    if (!last || every <= 0)
        return 0;
    return (last / every + 1) * every;
}

static json_t *
alarm_json(const char *name, const struct sw_alarm_state *a, time_t next)
{
    char b[SW_TIME_BUF];
    json_t *o = json_object(), *vals = json_array();

    if (!o || !vals) {
        json_decref(o);
        json_decref(vals);
        return NULL;
    }
    for (size_t k = 0; a && k < a->nvalues; k++) {
        json_t *p =
            json_pack("[I,f]", (json_int_t)a->values[k].ts, a->values[k].value);
        if (p)
            json_array_append_new(vals, p);
    }
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(
        o, "state",
        json_string(sw_state_name(a ? a->state : SW_STATE_INSUFFICIENT_DATA)));
    json_object_set_new(o, "since",
                        a ? json_string(sw_time_rfc3339(a->since, b))
                          : json_null());
    json_object_set_new(o, "reason",
                        a && a->reason ? json_string(a->reason) : json_null());
    json_object_set_new(o, "last_evaluated",
                        a && a->last_evaluated
                            ? json_string(sw_time_rfc3339(a->last_evaluated, b))
                            : json_null());
    json_object_set_new(o, "next_evaluation",
                        next ? json_string(sw_time_rfc3339(next, b))
                             : json_null());
    json_object_set_new(o, "fetch_error",
                        a && a->fetch_error ? json_string(a->fetch_error)
                                            : json_null());
    json_object_set_new(o, "fetch_failures",
                        json_integer(a ? a->fetch_failures : 0));
    json_object_set_new(o, "values", vals);
    return o;
}

/* shown - S as one line of a terminal: control characters (a newline or
 * an escape sequence in an AWS error, a hand-edited state.json) blanked.
 * Returns S itself when it is clean, else a copy kept in *TMP (free it). */
static const char *
shown(const char *s, char **tmp)
{
    *tmp = NULL;
    if (!s || !sw_str_has_ctl(s, strlen(s)))
        return s;
    *tmp = sw_strdup(s);
    return *tmp ? sw_str_blank_ctl(*tmp) : "(out of memory)";
}

static void
alarm_text(FILE *out, const char *name, const struct sw_alarm_state *a,
           time_t next)
{
    char b1[SW_TIME_BUF], b2[SW_TIME_BUF];
    char *t1, *t2;
    struct sw_buf spark;

    sw_buf_init(&spark, 4096);
    if (a)
        sparkline(a, &spark);
    fprintf(out, "%-40s %-17s since %s  %s\n", shown(name, &t1),
            sw_state_name(a ? a->state : SW_STATE_INSUFFICIENT_DATA),
            a ? sw_time_rfc3339(a->since, b1) : "-", sw_buf_str(&spark));
    free(t1);
    if (a && a->reason) {
        fprintf(out, "    %s\n", shown(a->reason, &t1));
        /* shown() sets T1 afresh: not the pointer freed above. */
        /* cppcheck-suppress doubleFree */
        free(t1);
    }
    if (a && a->fetch_error) {
        fprintf(out, "    fetch failing (%d in a row, last %s): %s\n",
                a->fetch_failures, sw_time_rfc3339(a->last_error_time, b2),
                shown(a->fetch_error, &t2));
        free(t2);
    }
    if (next)
        fprintf(out, "    next evaluation %s\n", sw_time_rfc3339(next, b1));
    sw_buf_release(&spark);
}

int
sw_status_print(const struct sw_conf *conf, int json, FILE *out)
{
    struct sw_store *st = NULL;
    struct sw_outbox *ob = NULL;
    char err[512], b[SW_TIME_BUF];
    json_t *root = json_object(), *alarms = json_array(),
           *pending = json_object(), *watcher = NULL;
    const char **names = NULL;
    size_t nnames = 0;
    int r;

    if (!root || !alarms || !pending) {
        r = SW_ENOMEM;
        goto out;
    }
    r = sw_store_load(conf->agent.state_dir, &st, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, "streamwatch: %s\n", err);
        goto out;
    }
    r = sw_outbox_open(conf->agent.state_dir, SW_OUTBOX_READONLY, &ob, err,
                       sizeof(err));
    if (r < 0) {
        fprintf(stderr, "streamwatch: outbox: %s\n", err);
        goto out;
    }
    /* The configured alarms in file order, then those discovered for
     * pattern templates (only state.json knows them). */
    names = calloc(conf->nrules + st->n + 1, sizeof(*names));
    if (!names) {
        r = SW_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < conf->nrules; i++)
        names[nnames++] = conf->rules[i]->name;
    for (size_t i = 0; i < st->n; i++)
        if (!rule_of(conf, st->alarms[i]->name))
            names[nnames++] = st->alarms[i]->name;
    for (size_t i = 0; i < nnames; i++) {
        const struct sw_alarm_state *a = sw_store_get(st, names[i]);
        time_t next = next_eval(rule_of(conf, names[i]), conf->agent.interval_s,
                                a ? a->last_evaluated : 0);
        if (json)
            json_array_append_new(alarms, alarm_json(names[i], a, next));
        else
            alarm_text(out, names[i], a, next);
    }
    /* The watcher of this agent (agent.name may have changed since the
     * last save: then it has not been judged yet). */
    {
        char host[SW_CONF_AGENT_NAME_MAX], wname[SW_CONF_AGENT_NAME_MAX + 16];
        const struct sw_alarm_state *w = st->watcher;

        snprintf(wname, sizeof(wname), "%s%s", SW_WATCHER_PREFIX,
                 sw_conf_agent_name(conf, host, sizeof(host)));
        if (w && strcmp(w->name, wname) != 0)
            w = NULL;
        if (json)
            watcher = alarm_json(wname, w, 0);
        else
            alarm_text(out, wname, w, 0);
    }
    for (size_t i = 0; i < conf->nnotifiers; i++) {
        time_t oldest = 0;
        size_t n = sw_outbox_pending(ob, conf->notifiers[i].name, &oldest);

        if (!n)
            continue;
        if (json)
            json_object_set_new(pending, conf->notifiers[i].name,
                                json_pack("{s:I, s:s}", "count", (json_int_t)n,
                                          "oldest",
                                          sw_time_rfc3339(oldest, b)));
        else
            fprintf(out,
                    "outbox: %zu notification%s pending for '%s' since %s\n", n,
                    n == 1 ? "" : "s", conf->notifiers[i].name,
                    sw_time_rfc3339(oldest, b));
    }
    if (json) {
        char *s;
        json_object_set(root, "alarms", alarms);
        json_object_set(root, "outbox", pending);
        json_object_set(root, "watcher", watcher ? watcher : json_null());
        s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (!s) {
            r = SW_ENOMEM;
            goto out;
        }
        fprintf(out, "%s\n", s);
        free(s);
    }
    r = 0;
out:
    free(names);
    json_decref(root);
    json_decref(alarms);
    json_decref(pending);
    json_decref(watcher);
    sw_outbox_free(ob);
    sw_store_free(st);
    return r;
}
