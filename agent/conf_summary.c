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
#include "agent/plan.h"
#include "agent/conf_schema.h"
#include "agent/discover.h"
#include "agent/shards.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/str.h"
#include "lib/strv.h"
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

static int
cadence_index(const struct sw_rule *r)
{
    int cad = sw_eval_cadence_s(r);

    return cad <= 10 ? 0 : cad < 3600 ? 1 : 2;
}

/* requests_of - GetMetricStatistics calls R costs a cycle when it shares
 * none: the agent fetches each metric of a metric-math alarm on its own. */
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
                         r->period_s, sw_cmp_symbol(r->cmp), thr,
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

/* add_shards - the DescribeStreamSummary calls SHARDS costs: one per
 * stream of an alarm that uses it, at most every discovery interval
 * (agent/shards).  Nothing when no alarm uses SHARDS. */
static int
add_shards(struct sw_buf *out, const struct sw_conf *c)
{
    struct sw_strv streams = {NULL, 0};
    size_t ntmpl = 0;
    int r = 0;

    for (size_t i = 0; r == 0 && i < c->nrules; i++) {
        const char *s;

        if (sw_shards_rule_stream(c->rules[i], &s) == 1)
            r = sw_strv_push(&streams, s);
    }
    /* A pattern template has no stream yet: SW_EINVAL says its
     * expression uses SHARDS all the same. */
    for (size_t i = 0; i < c->ntemplates; i++) {
        const char *s;
        int u =
            c->templates[i] ? sw_shards_rule_stream(c->templates[i], &s) : 0;

        ntmpl += u == 1 || u == SW_EINVAL;
    }
    sw_strv_sort_unique(&streams);
    if (r == 0 && (streams.n || ntmpl)) {
        r = sw_buf_addf(out, "  shard counts (SHARDS): ");
        if (r == 0 && streams.n)
            r = sw_buf_addf(out, "%zu stream%s", streams.n,
                            streams.n == 1 ? "" : "s");
        if (r == 0 && ntmpl)
            r = sw_buf_addf(out, "%sthe streams of %zu pattern template%s",
                            streams.n ? " and " : "", ntmpl,
                            ntmpl == 1 ? "" : "s");
        if (r == 0)
            r = sw_buf_addf(out,
                            ", one Kinesis DescribeStreamSummary per stream "
                            "every %d s at most (needs "
                            "kinesis:DescribeStreamSummary)\n",
                            SW_DISCOVER_DEFAULT_INTERVAL_S);
    }
    sw_strv_release(&streams);
    return r;
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

/* What one evaluation of the alarms at one cadence costs: each (series,
 * statistic) is asked once (agent/plan shares them); a GetMetricStatistics
 * call holds up to 5 Statistics or up to 10 ExtendedStatistics of one
 * series, a GetMetricData call up to 500 queries of one period. */
struct cost {
    size_t gms_calls, gmd_calls, metrics;
};

static int
cost_of(const struct sw_conf *c, int k, struct cost *out)
{
    struct sw_plan p;
    int r = 0;

    memset(out, 0, sizeof(*out));
    sw_plan_init(&p);
    for (size_t i = 0; r == 0 && i < c->nrules; i++)
        if (cadence_index(c->rules[i]) == k)
            r = sw_plan_add(&p, c->rules[i], 0, c->rules[i]->period_s, NULL);
    if (r == 0)
        r = sw_plan_finish(&p);
    for (size_t i = 0; r == 0 && i < p.nfetches;) {
        size_t j = i, plain = 0, ext = 0;

        while (j < p.nfetches && p.fetches[j].series == p.fetches[i].series) {
            if (sw_stat_is_percentile(p.fetches[j].q.stat))
                ext++;
            else
                plain++;
            j++;
        }
        out->gms_calls += (plain + 4) / 5 + (ext + 9) / 10;
        i = j;
    }
    out->metrics = p.nfetches;
    /* GetMetricData: one call a period, 500 queries each. */
    for (size_t i = 0; r == 0 && i < p.nfetches; i++) {
        size_t same = 0, seen = 0;

        for (size_t j = 0; j < p.nfetches; j++) {
            if (p.fetches[j].q.period_s != p.fetches[i].q.period_s)
                continue;
            same++;
            if (j < i)
                seen = 1;
        }
        if (!seen)
            out->gmd_calls += (same + 499) / 500;
    }
    sw_plan_release(&p);
    return r;
}

/* The API requests of a month of evaluations at each alarm's own cadence
 * (rules/eval: every minute, every 10 s for high-resolution periods,
 * hourly past a day, whatever agent.interval says), in both fetch modes,
 * at CloudWatch's prices (Amazon CloudWatch pricing, us-east-1):
 * GetMetricStatistics $0.01 per 1,000 requests, the first 1,000,000 a
 * month free; GetMetricData $0.01 per 1,000 metrics requested, none free. */
static int
add_pricing(struct sw_buf *out, const struct sw_conf *c)
{
    static const int cadences[] = {10, 60, 3600};
    static const char *const every[] = {"every 10 s", "every 60 s",
                                        "every hour"};
    unsigned long long gms = 0, metrics = 0;
    struct cost k3[3];
    char n1[32];
    int r = 0, first = 1, math = 0;

    for (size_t i = 0; i < c->nrules; i++)
        math |= sw_rule_is_math(c->rules[i]);
    for (int k = 0; r == 0 && k < 3; k++)
        r = cost_of(c, k, &k3[k]);
    if (r == 0)
        r = sw_buf_adds(out, "\n  API requests:");
    for (int k = 0; r == 0 && k < 3; k++) {
        if (!k3[k].metrics)
            continue;
        gms += (unsigned long long)k3[k].gms_calls *
               (unsigned long long)(CONF_MONTH_S / cadences[k]);
        metrics += (unsigned long long)k3[k].metrics *
                   (unsigned long long)(CONF_MONTH_S / cadences[k]);
        r = sw_buf_addf(out, "%s %zu GetMetricStatistics %s", first ? "" : " +",
                        k3[k].gms_calls, every[k]);
        first = 0;
    }
    if (r == 0 && first)
        r = sw_buf_adds(out, " 0 GetMetricStatistics");
    fmt_count(n1, sizeof(n1), gms);
    if (r == 0)
        r = sw_buf_addf(out,
                        "%s = %s per 30-day month, about $%.2f at $0.01 per "
                        "1,000 requests (first 1,000,000 a month are free)%s\n",
                        math ? " (metric-math alarms fetch each metric)" : "",
                        n1, (double)gms / 100000.0,
                        c->aws.fetch == SW_CONF_FETCH_GMS ? "" : "; not used");
    first = 1;
    if (r == 0)
        r = sw_buf_adds(out, "  with GetMetricData:");
    for (int k = 0; r == 0 && k < 3; k++) {
        if (!k3[k].metrics)
            continue;
        r = sw_buf_addf(out, "%s %zu metric%s in %zu call%s %s",
                        first ? "" : " +", k3[k].metrics,
                        k3[k].metrics == 1 ? "" : "s", k3[k].gmd_calls,
                        k3[k].gmd_calls == 1 ? "" : "s", every[k]);
        first = 0;
    }
    if (r == 0 && first)
        r = sw_buf_adds(out, " 0 metrics");
    fmt_count(n1, sizeof(n1), metrics);
    if (r == 0)
        r = sw_buf_addf(out,
                        " = %s metrics per 30-day month, about $%.2f at $0.01 "
                        "per 1,000 metrics (none free)%s\n",
                        n1, (double)metrics / 100000.0,
                        c->aws.fetch == SW_CONF_FETCH_GMD
                            ? "; used (aws.fetch)"
                            : "; not used (aws.fetch)");
    return r;
}

int
sw_conf_summary(const struct sw_conf *c, struct sw_buf *out)
{
    size_t counts[CONF_NTYPES] = {0};
    int r, first = 1;

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
        r = add_pricing(out, c);
        if (r == 0)
            r = add_shards(out, c);
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
