/* agent/watcher.c - the blind-watcher alarm's judgement; see watcher.h. */
#include "config.h"

#include "agent/watcher.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent/store.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/str.h"
#include "lib/strv.h"

/* Every text here is small; the cap only bounds a pathological store. */
#define REASON_CAP ((size_t)64 * 1024)

static int
copy_list(struct sw_strv *to, const struct sw_strv *from)
{
    for (size_t i = 0; from && i < from->n; i++)
        if (sw_strv_push(to, from->v[i]) < 0)
            return SW_ENOMEM;
    return 0;
}

struct sw_rule *
sw_watcher_rule(const char *agent, const struct sw_strv *actions,
                int failure_after_s)
{
    struct sw_rule *r = sw_rule_new();
    char desc[512];
    size_t nl = strlen(SW_WATCHER_PREFIX) + strlen(agent) + 1;

    if (!r)
        return NULL;
    snprintf(desc, sizeof(desc),
             "streamwatch on %s cannot see: the fetches of an alarm have "
             "failed for %d seconds in a row",
             agent, failure_after_s);
    r->name = malloc(nl);
    r->description = sw_strdup(desc);
    r->namespace_ = sw_strdup("streamwatch");
    r->metric = sw_strdup("BlindAlarms");
    r->stat = sw_strdup("Maximum");
    r->dims = calloc(1, sizeof(*r->dims));
    if (!r->name || !r->description || !r->namespace_ || !r->metric ||
        !r->stat || !r->dims)
        goto fail;
    snprintf(r->name, nl, "%s%s", SW_WATCHER_PREFIX, agent);
    r->ndims = 1;
    r->dims[0].name = sw_strdup("Agent");
    r->dims[0].value = sw_strdup(agent);
    if (!r->dims[0].name || !r->dims[0].value)
        goto fail;
    r->period_s = 60;
    r->threshold = 0;
    r->cmp = SW_CMP_GT;
    r->evaluation_periods = 1;
    r->datapoints_to_alarm = 1;
    r->tmd = SW_TMD_NOT_BREACHING;
    if (copy_list(&r->alarm_actions, actions) < 0 ||
        copy_list(&r->ok_actions, actions) < 0)
        goto fail;
    return r;
fail:
    sw_rule_free(r);
    return NULL;
}

void
sw_watcher_verdict_release(struct sw_watcher_verdict *v)
{
    free(v->reason);
    free(v->reason_data);
    v->reason = NULL;
    v->reason_data = NULL;
}

/* One blind thing: an alarm, or discovery. */
struct blind {
    const char *name;
    const struct sw_alarm_state *a;
};

static int
is_failing(const struct sw_alarm_state *a)
{
    return a && a->fetch_failures > 0;
}

static int
is_blind(const struct sw_alarm_state *a, time_t now, int after)
{
    return is_failing(a) && a->failing_since > 0 &&
           now - a->failing_since >= after;
}

/* "discover: ListStreams failed: X; keeping ..." reads, in a list of
 * alarms' errors, as "ListStreams failed: X; keeping ...". */
static const char *
error_text(const struct blind *b)
{
    const char *e = b->a->fetch_error ? b->a->fetch_error : "fetch failed";

    if (strncmp(e, "discover: ", 10) == 0)
        e += 10;
    return e;
}

static int
alarm_reason(const struct sw_watcher_input *in, const struct blind *v, size_t n,
             size_t nall, struct sw_watcher_verdict *out)
{
    const struct blind *last = &v[0];
    char t1[SW_TIME_BUF], t2[SW_TIME_BUF];
    time_t since = v[0].a->failing_since;
    json_t *data = NULL, *names = NULL;
    struct sw_buf b;
    int r = SW_ENOMEM;

    sw_buf_init(&b, REASON_CAP);
    for (size_t i = 1; i < n; i++) {
        if (v[i].a->failing_since < since)
            since = v[i].a->failing_since;
        if (v[i].a->last_error_time > last->a->last_error_time)
            last = &v[i];
    }
    if (sw_buf_addf(&b,
                    "Blind: %zu of %zu alarm%s could not be evaluated for "
                    "%d seconds or more, failing since %s: ",
                    n, nall, nall == 1 ? "" : "s", in->failure_after_s,
                    sw_time_rfc3339(since, t1)) < 0)
        goto out;
    for (size_t i = 0; i < n && i < SW_WATCHER_NAMED; i++)
        if (sw_buf_addf(&b, "%s%s", i ? ", " : "", v[i].name) < 0)
            goto out;
    if (n > SW_WATCHER_NAMED &&
        sw_buf_addf(&b, " and %zu more", n - SW_WATCHER_NAMED) < 0)
        goto out;
    if (sw_buf_addf(&b, ". Last error (%s, %s): %s", last->name,
                    sw_time_rfc3339(last->a->last_error_time, t2),
                    error_text(last)) < 0)
        goto out;

    names = json_array();
    for (size_t i = 0; names && i < n && i < SW_WATCHER_NAMED_DATA; i++)
        if (json_array_append_new(names, json_string(v[i].name)) < 0)
            goto out;
    data = json_pack("{s:s, s:i, s:s, s:I, s:O, s:{s:s, s:s, s:s}}", "version",
                     "1.0", "failureAfterSeconds", in->failure_after_s,
                     "blindSince", t1, "blindCount", (json_int_t)n,
                     "blindAlarms", names, "lastError", "alarm", last->name,
                     "time", t2, "message", error_text(last));
    if (!data)
        goto out;
    out->reason_data = json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER);
    out->reason = sw_buf_steal(&b, NULL);
    if (!out->reason_data || !out->reason)
        goto out;
    r = 0;
out:
    json_decref(names);
    json_decref(data);
    sw_buf_release(&b);
    if (r < 0)
        sw_watcher_verdict_release(out);
    return r;
}

static int
ok_reason(const struct sw_watcher_input *in, enum sw_state cur,
          time_t cur_since, struct sw_watcher_verdict *out)
{
    char t1[SW_TIME_BUF], t2[SW_TIME_BUF];
    char text[512];

    if (cur == SW_STATE_ALARM)
        snprintf(text, sizeof(text),
                 "Every alarm is evaluated again: the watcher was blind from "
                 "%s to %s (%lld seconds).",
                 sw_time_rfc3339(cur_since, t1), sw_time_rfc3339(in->now, t2),
                 (long long)(in->now - cur_since));
    else
        snprintf(text, sizeof(text),
                 "No alarm is blind: none has failed to fetch for %d seconds "
                 "in a row.",
                 in->failure_after_s);
    out->reason = sw_strdup(text);
    out->reason_data = sw_strdup("{\"version\":\"1.0\",\"blindCount\":0}");
    if (!out->reason || !out->reason_data) {
        sw_watcher_verdict_release(out);
        return SW_ENOMEM;
    }
    return 0;
}

int
sw_watcher_judge(const struct sw_watcher_input *in, enum sw_state cur,
                 time_t cur_since, struct sw_watcher_verdict *out)
{
    struct blind *v;
    size_t n = 0, nall = in->nrules;
    int r = 0;

    memset(out, 0, sizeof(*out));
    v = calloc(in->nrules + 1, sizeof(*v));
    if (!v)
        return SW_ENOMEM;
    for (size_t i = 0; i < in->nrules; i++) {
        const struct sw_alarm_state *a =
            sw_store_get(in->store, in->rules[i]->name);

        if (is_failing(a))
            out->nfailing++;
        if (is_blind(a, in->now, in->failure_after_s)) {
            v[n].name = in->rules[i]->name;
            v[n++].a = a;
        }
    }
    if (is_failing(in->discovery))
        out->nfailing++;
    if (is_blind(in->discovery, in->now, in->failure_after_s)) {
        v[n].name = SW_WATCHER_DISCOVERY;
        v[n++].a = in->discovery;
        nall++;
    }
    out->nblind = n;
    if (n > 0) {
        out->state = SW_STATE_ALARM;
        r = alarm_reason(in, v, n, nall, out);
    } else if (out->nfailing > 0 && cur == SW_STATE_ALARM) {
        out->state = SW_STATE_ALARM;
    } else {
        out->state = SW_STATE_OK;
        r = ok_reason(in, cur, cur_since, out);
    }
    free(v);
    return r;
}
