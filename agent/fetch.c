/* agent/fetch.c - the series an alarm evaluates; see fetch.h. */
#include "config.h"

#include "agent/fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/source.h"
#include "lib/err.h"
#include "rules/expr.h"
#include "rules/rule.h"

static int
fetch_one(struct sw_source *src, const char *ns, const char *metric,
          const struct sw_dimension *dims, size_t ndims, const char *stat,
          const char *unit, int period_s, time_t start, time_t end,
          struct sw_datapoint **out, size_t *n, int *requests, char *err,
          size_t errlen)
{
    struct sw_metric_query q;

    memset(&q, 0, sizeof(q));
    q.namespace_ = ns;
    q.metric = metric;
    q.dims = dims;
    q.ndims = ndims;
    q.stat = stat;
    q.unit = unit;
    q.period_s = period_s;
    q.start = start;
    q.end = end;
    if (requests)
        (*requests)++;
    return sw_source_fetch(src, &q, out, n, err, errlen);
}

/* Join the SampleCount answer into the percentile points: a period with a
 * percentile but no count keeps -1 ("unknown", which rules/eval treats as
 * enough samples). */
static void
join_counts(struct sw_datapoint *pts, size_t n, const struct sw_datapoint *cnt,
            size_t ncnt)
{
    size_t j = 0;

    for (size_t i = 0; i < n; i++) {
        while (j < ncnt && cnt[j].ts < pts[i].ts)
            j++;
        if (j < ncnt && cnt[j].ts == pts[i].ts)
            pts[i].sample_count = cnt[j].value;
    }
}

static int
fetch_single(struct sw_source *src, const struct sw_rule *r, time_t start,
             time_t end, struct sw_datapoint **out, size_t *n, int *requests,
             char *err, size_t errlen)
{
    struct sw_datapoint *cnt = NULL;
    size_t ncnt = 0;
    int rc;

    rc = fetch_one(src, r->namespace_, r->metric, r->dims, r->ndims, r->stat,
                   r->unit, r->period_s, start, end, out, n, requests, err,
                   errlen);
    if (rc < 0 || !r->low_sample_ignore || !sw_stat_is_percentile(r->stat))
        return rc;
    rc = fetch_one(src, r->namespace_, r->metric, r->dims, r->ndims,
                   "SampleCount", r->unit, r->period_s, start, end, &cnt, &ncnt,
                   requests, err, errlen);
    if (rc < 0) {
        free(*out);
        *out = NULL;
        *n = 0;
        return rc;
    }
    join_counts(*out, *n, cnt, ncnt);
    free(cnt);
    return 0;
}

static int
fetch_math(struct sw_source *src, const struct sw_rule *r, time_t start,
           time_t end, struct sw_datapoint **out, size_t *n, int *requests,
           char *err, size_t errlen)
{
    struct sw_datapoint *series[SW_RULE_MAX_METRICS] = {0};
    const struct sw_datapoint *cseries[SW_RULE_MAX_METRICS];
    size_t counts[SW_RULE_MAX_METRICS] = {0};
    const char *ids[SW_RULE_MAX_METRICS];
    struct sw_expr *e = NULL;
    char sub[512];
    int rc;

    if (r->nmetrics > SW_RULE_MAX_METRICS)
        return SW_EINVAL;
    for (size_t i = 0; i < r->nmetrics; i++)
        ids[i] = r->metrics[i].id;
    rc = sw_expr_parse(r->expression, ids, r->nmetrics, &e, sub, sizeof(sub));
    if (rc < 0) {
        snprintf(err, errlen, "expression: %s", sub);
        goto out;
    }
    for (size_t i = 0; i < r->nmetrics; i++) {
        const struct sw_metric_stat *m = &r->metrics[i];

        /* A metric the expression never reads costs a request for
         * nothing (and CloudWatch bills it). */
        cseries[i] = NULL;
        if (!sw_expr_uses(e, i))
            continue;
        rc = fetch_one(src, m->namespace_, m->metric, m->dims, m->ndims,
                       m->stat, m->unit, r->period_s, start, end, &series[i],
                       &counts[i], requests, sub, sizeof(sub));
        if (rc < 0) {
            snprintf(err, errlen, "metric '%s': %s", m->id, sub);
            goto out;
        }
        cseries[i] = series[i];
    }
    rc = sw_expr_eval(e, cseries, counts, start, end, r->period_s, out, n, sub,
                      sizeof(sub));
    if (rc < 0)
        snprintf(err, errlen, "expression: %s", sub);
out:
    for (size_t i = 0; i < r->nmetrics; i++)
        free(series[i]);
    sw_expr_free(e);
    return rc;
}

int
sw_fetch_series(struct sw_source *src, const struct sw_rule *r, time_t start,
                time_t end, struct sw_datapoint **out, size_t *n, int *requests,
                char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (errlen)
        err[0] = '\0';
    if (r->nmetrics > 0)
        return fetch_math(src, r, start, end, out, n, requests, err, errlen);
    return fetch_single(src, r, start, end, out, n, requests, err, errlen);
}
