/* agent/conf_summary.c - what `streamwatch check` prints for a valid
 * file: sw_conf_summary(); see conf.h.
 *
 * It names the notifier types by the schema's list (conf_notifier_types),
 * and the alarms in the words of PutMetricAlarm's settings.
 */
#include "config.h"

#include "agent/conf.h"

#include <stdio.h>
#include <string.h>

#include "agent/conf_int.h"
#include "agent/conf_schema.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/str.h"
#include "rules/eval.h"
#include "rules/rule.h"
#include "rules/template.h"

/* fmt_count - V with thousands separators, "86,400". */
static void
fmt_count(char *out, size_t size, unsigned long long v)
{
    char digits[32];
    int n = snprintf(digits, sizeof(digits), "%llu", v);
    size_t o = 0;

    for (int i = 0; i < n && o + 2 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

static const char *
cmp_symbol(enum sw_cmp c)
{
    switch (c) {
    case SW_CMP_GT: return ">";
    case SW_CMP_GE: return ">=";
    case SW_CMP_LT: return "<";
    case SW_CMP_LE: return "<=";
    }
    return "?";
}

static int
add_actions(struct sw_buf *out, const char *state, const struct sw_strv *v,
            int *first)
{
    int r;

    if (v->n == 0)
        return 0;
    r = sw_buf_addf(out, "%s%s: ", *first ? "" : "; ", state);
    for (size_t i = 0; r == 0 && i < v->n; i++)
        r = sw_buf_addf(out, "%s%s", i ? ", " : "", v->v[i]);
    *first = 0;
    return r;
}

/* add_metric - "Sum of AWS/Kinesis IncomingRecords {StreamName=orders}". */
static int
add_metric(struct sw_buf *out, const char *stat, const char *ns,
           const char *metric, const struct sw_dimension *dims, size_t ndims)
{
    int rc = sw_buf_addf(out, "%s of %s %s", stat, ns, metric);

    if (rc == 0 && ndims > 0) {
        rc = sw_buf_adds(out, " {");
        for (size_t i = 0; rc == 0 && i < ndims; i++)
            rc = sw_buf_addf(out, "%s%s=%s", i ? ", " : "", dims[i].name,
                             dims[i].value);
        if (rc == 0)
            rc = sw_buf_addc(out, '}');
    }
    return rc;
}

/* requests_of - GetMetricStatistics calls R costs a cycle: the agent
 * fetches each metric of a metric-math alarm on its own. */
static size_t
requests_of(const struct sw_rule *r)
{
    return r->nmetrics > 0 ? r->nmetrics : 1;
}

static int
add_alarm(struct sw_buf *out, const struct sw_rule *r)
{
    char thr[64];
    int first = 1, rc;

    if (sw_format_double(thr, sizeof(thr), r->threshold) < 0)
        (void)snprintf(thr, sizeof(thr), "%g", r->threshold);
    rc = sw_buf_addf(out, "  alarm '%s'", r->name);
    if (rc == 0 && r->template_name)
        rc = sw_buf_addf(out, " (from template '%s')", r->template_name);
    if (rc == 0)
        rc = sw_buf_adds(out, ": ");
    if (rc == 0 && r->nmetrics > 0) {
        rc = sw_buf_addf(out, "%s with ",
                         r->expression ? r->expression : "(no expression)");
        for (size_t i = 0; rc == 0 && i < r->nmetrics; i++) {
            const struct sw_metric_stat *m = &r->metrics[i];
            rc = sw_buf_addf(out, "%s%s = ", i ? ", " : "", m->id);
            if (rc == 0)
                rc = add_metric(out, m->stat, m->namespace_, m->metric, m->dims,
                                m->ndims);
        }
    } else if (rc == 0) {
        rc = add_metric(out, r->stat, r->namespace_, r->metric, r->dims,
                        r->ndims);
    }
    if (rc == 0)
        rc = sw_buf_addf(out, " over %d s %s %s for %d of %d periods",
                         r->period_s, cmp_symbol(r->cmp), thr,
                         r->datapoints_to_alarm, r->evaluation_periods);
    if (rc == 0 && r->tmd != SW_TMD_MISSING)
        rc = sw_buf_addf(out, " (missing data: %s)", sw_tmd_name(r->tmd));
    if (rc == 0)
        rc = sw_buf_adds(out, " -> ");
    if (rc == 0 && !r->actions_enabled)
        return sw_buf_adds(out, "actions disabled\n");
    if (rc == 0)
        rc = add_actions(out, "ALARM", &r->alarm_actions, &first);
    if (rc == 0)
        rc = add_actions(out, "OK", &r->ok_actions, &first);
    if (rc == 0)
        rc = add_actions(out, "INSUFFICIENT_DATA",
                         &r->insufficient_data_actions, &first);
    if (rc == 0 && first)
        rc = sw_buf_adds(out, "no actions");
    if (rc == 0)
        rc = sw_buf_addc(out, '\n');
    return rc;
}

/* add_template - what a template with patterns leaves to run time. */
static int
add_template(struct sw_buf *out, const struct sw_rule *t)
{
    size_t k = 0, n = requests_of(t);
    int rc = sw_buf_addf(out, "  template '%s': streams matching ", t->name);

    for (size_t i = 0; rc == 0 && i < t->streams.n; i++) {
        if (!sw_stream_is_pattern(t->streams.v[i]))
            continue;
        rc = sw_buf_addf(out, "%s'%s'", k++ ? " or " : "", t->streams.v[i]);
    }
    if (rc == 0)
        rc = sw_buf_addf(out,
                         " are found at run time with ListStreams (%zu "
                         "GetMetricStatistics per cycle for each)\n",
                         n);
    return rc;
}

/* What the agent does beside the alarms: the watcher alarm, the
 * heartbeat (its host only: the URL is the check's secret) and the
 * metrics file. */
static int
add_agent(struct sw_buf *out, const struct sw_conf *c)
{
    char host[SW_CONF_AGENT_NAME_MAX];
    int r;

    r = sw_buf_addf(out,
                    "  watcher: 'watcher:%s' goes to ALARM when an alarm's "
                    "fetches fail for %d s in a row -> ",
                    sw_conf_agent_name(c, host, sizeof(host)),
                    c->agent.failure_after_s);
    for (size_t i = 0; r == 0 && i < c->agent.failure_actions.n; i++)
        r = sw_buf_addf(out, "%s%s", i ? ", " : "",
                        c->agent.failure_actions.v[i]);
    if (r == 0 && !c->agent.failure_actions.n)
        r = sw_buf_adds(out, "logged only (agent.failure_actions is empty)");
    if (r == 0)
        r = sw_buf_adds(out, "\n");
    if (r == 0 && c->agent.heartbeat_url) {
        const char *u = c->agent.heartbeat_url, *h = strstr(u, "://");
        size_t n = h ? 3 + strcspn(h + 3, "/?#") : strlen(u);

        r = sw_buf_addf(out, "  heartbeat: POST after each cycle to %.*s/...\n",
                        (int)((size_t)(h ? h - u : 0) + n), u);
    }
    if (r == 0 && c->agent.metrics_file)
        r = sw_buf_addf(out, "  metrics: %s, after each cycle\n",
                        c->agent.metrics_file);
    return r;
}

int
sw_conf_summary(const struct sw_conf *c, struct sw_buf *out)
{
    size_t counts[CONF_NTYPES] = {0};
    unsigned long long requests = 0;
    /* requests per evaluation at each cadence: 10 s, 60 s, hourly */
    static const int cadences[] = {10, 60, 3600};
    size_t per_cadence[3] = {0};
    char reqs[32];
    int r, first = 1, math = 0;

    r = sw_buf_addf(out, "%s: OK\n  rules: %zu (%zu alarm%s", c->path,
                    c->nrule_groups, c->nrules, c->nrules == 1 ? "" : "s");
    if (r == 0 && c->ntemplates > 0)
        r = sw_buf_addf(out, ", and more from %zu template%s at run time",
                        c->ntemplates, c->ntemplates == 1 ? "" : "s");
    if (r == 0)
        r = sw_buf_adds(out, ")\n");
    if (r < 0)
        goto out;
    for (size_t i = 0; i < c->nnotifiers; i++)
        if ((unsigned)c->notifiers[i].type < CONF_NTYPES)
            counts[c->notifiers[i].type]++;
    r = sw_buf_addf(out, "  notifiers: %zu", c->nnotifiers);
    for (int t = 0; r == 0 && t < CONF_NTYPES; t++) {
        if (!counts[t])
            continue;
        r = sw_buf_addf(out, "%s%s %zu", first ? " (" : ", ",
                        conf_notifier_types[t], counts[t]);
        first = 0;
    }
    if (r == 0)
        r = sw_buf_adds(out, first ? "\n" : ")\n");
    if (r < 0)
        goto out;

    if (c->agent.recording) {
        r = sw_buf_addf(out,
                        "  source: recording %s\n  API requests: none "
                        "(metrics come from the recording)\n",
                        c->agent.recording);
    } else {
        if (c->aws.region)
            r = sw_buf_addf(out, "  source: CloudWatch in %s", c->aws.region);
        else
            r = sw_buf_adds(out, "  source: CloudWatch (region from "
                                 "AWS_REGION, AWS_DEFAULT_REGION or the "
                                 "profile)");
        if (r == 0 && c->aws.endpoint)
            r = sw_buf_addf(out, " at %s", c->aws.endpoint);
        if (r < 0)
            goto out;
        /* One GetMetricStatistics call per metric each time an alarm is
         * evaluated: one for a plain alarm, one per metric for metric
         * math.  Each alarm is evaluated at its own cadence (rules/eval:
         * every minute, every 10 s for high-resolution periods, hourly
         * past a day), whatever agent.interval says, so that is what is
         * priced.  The price is CloudWatch's (Amazon CloudWatch pricing,
         * us-east-1). */
        for (size_t i = 0; i < c->nrules; i++) {
            int cad = sw_eval_cadence_s(c->rules[i]);
            size_t k = cad <= 10 ? 0 : cad < 3600 ? 1 : 2;

            per_cadence[k] += requests_of(c->rules[i]);
            math |= c->rules[i]->nmetrics > 0;
        }
        r = sw_buf_adds(out, "\n  API requests:");
        first = 1;
        for (size_t k = 0; r == 0 && k < 3; k++) {
            if (!per_cadence[k])
                continue;
            requests += (unsigned long long)per_cadence[k] *
                        (unsigned long long)(CONF_MONTH_S / cadences[k]);
            r = sw_buf_addf(out, "%s %zu GetMetricStatistics %s",
                            first ? "" : " +", per_cadence[k],
                            k == 0   ? "every 10 s"
                            : k == 1 ? "every 60 s"
                                     : "every hour");
            first = 0;
        }
        if (r == 0 && first)
            r = sw_buf_adds(out, " 0 GetMetricStatistics");
        fmt_count(reqs, sizeof(reqs), requests);
        if (r == 0)
            r = sw_buf_addf(out,
                            "%s = %s per 30-day month, about $%.2f at $0.01 "
                            "per 1,000 requests (first 1,000,000 a month are "
                            "free)\n",
                            math ? " (one per metric of a metric-math alarm)"
                                 : "",
                            reqs, (double)requests / 100000.0);
    }
    if (r == 0)
        r = add_agent(out, c);
    for (size_t i = 0; r == 0 && i < c->nrules; i++)
        r = add_alarm(out, c->rules[i]);
    for (size_t i = 0; r == 0 && i < c->ntemplates; i++)
        r = add_template(out, c->templates[i]);
    for (size_t i = 0; r == 0 && i < c->warnings.n; i++)
        r = sw_buf_addf(out, "  %s\n", c->warnings.v[i]);
out:
    return r;
}
