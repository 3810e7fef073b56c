/* agent/plan.c - one cycle's fetches, shared between alarms; see plan.h. */
#include "config.h"

#include "agent/plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/metric.h"
#include "lib/str.h"

/* One need of one alarm, until the fetches are made: KEY names the series
 * and, after a separator, the statistic. */
struct sw_plan_want {
    size_t alarm, slot;
    struct sw_metric_query q; /* stat, window: the alarm's */
    char *key;
    size_t series_len; /* KEY's bytes that name the series */
};

/* Separators no configured string holds (the config refuses control
 * characters, and so does the recording reader). */

/* Room for one more element in *V (N used of *ALLOC): doubled, so that a
 * plan of N alarms costs O(N) copies, not O(N^2). */
static int
grow(void **v, size_t *alloc, size_t n, size_t size)
{
    void *nv;
    size_t want;

    if (n < *alloc)
        return 0;
    want = *alloc ? *alloc * 2 : 64;
    nv = realloc(*v, want * size);
    if (!nv)
        return SW_ENOMEM;
    *v = nv;
    *alloc = want;
    return 0;
}

void
sw_plan_init(struct sw_plan *p)
{
    memset(p, 0, sizeof(*p));
}

static int
make_key(const struct sw_metric_query *q, struct sw_plan_want *w)
{
    w->key = sw_metric_query_key(q, &w->series_len);
    return w->key ? 0 : SW_ENOMEM;
}

static int
want(struct sw_plan *p, size_t slot, const char *ns, const char *metric,
     const struct sw_dimension *dims, size_t ndims, const char *stat,
     const char *unit)
{
    const struct sw_plan_alarm *a = &p->alarms[p->nalarms - 1];
    struct sw_plan_want *w;

    if (grow((void **)&p->wants, &p->wants_alloc, p->nwants,
             sizeof(*p->wants)) < 0)
        return SW_ENOMEM;
    w = &p->wants[p->nwants];
    memset(w, 0, sizeof(*w));
    w->alarm = p->nalarms - 1;
    w->slot = slot;
    w->q.namespace_ = ns;
    w->q.metric = metric;
    w->q.dims = dims;
    w->q.ndims = ndims;
    w->q.stat = stat;
    w->q.unit = unit;
    w->q.period_s = a->rule->period_s;
    w->q.start = a->start;
    w->q.end = a->end;
    if (make_key(&w->q, w) < 0)
        return SW_ENOMEM;
    p->nwants++;
    return 0;
}

/* A cannot be planned: RESULT, and why (printf-style). */
static void set_failed(struct sw_plan_alarm *a, int result, const char *fmt,
                       ...) SW_PRINTF(3, 4);

static void
set_failed(struct sw_plan_alarm *a, int result, const char *fmt, ...)
{
    char why[512];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    a->result = result;
    free(a->err);
    /* NULL (none given, or no memory): sw_plan_series() says sw_strerror() */
    a->err = why[0] ? sw_strdup(why) : NULL;
}

static int
add_math(struct sw_plan *p, struct sw_plan_alarm *a)
{
    const struct sw_rule *r = a->rule;
    const char *ids[SW_RULE_MAX_METRICS];
    char sub[480];
    int rc;

    if (r->nmetrics > SW_RULE_MAX_METRICS) {
        set_failed(a, SW_EINVAL, "more than %d metrics", SW_RULE_MAX_METRICS);
        return 0;
    }
    for (size_t i = 0; i < r->nmetrics; i++)
        ids[i] = r->metrics[i].id;
    rc = sw_expr_parse(r->expression, ids, r->nmetrics, &a->expr, sub,
                       sizeof(sub));
    if (rc == SW_ENOMEM)
        return rc;
    if (rc < 0) {
        set_failed(a, rc, "expression: %s", sub);
        return 0;
    }
    for (size_t i = 0; i < r->nmetrics; i++) {
        const struct sw_metric_stat *m = &r->metrics[i];

        if (!sw_expr_uses(a->expr, i))
            continue;
        rc = want(p, i, m->namespace_, m->metric, m->dims, m->ndims, m->stat,
                  m->unit);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* A new alarm at the end of P, needing nothing yet. */
static struct sw_plan_alarm *
new_alarm(struct sw_plan *p, const struct sw_rule *r, time_t start, time_t end)
{
    struct sw_plan_alarm *a;

    if (grow((void **)&p->alarms, &p->alarms_alloc, p->nalarms,
             sizeof(*p->alarms)) < 0)
        return NULL;
    a = &p->alarms[p->nalarms++];
    memset(a, 0, sizeof(*a));
    a->rule = r;
    a->start = start;
    a->end = end;
    for (size_t i = 0; i < SW_PLAN_NEEDS; i++)
        a->need[i] = SW_PLAN_NONE;
    return a;
}

int
sw_plan_fail(struct sw_plan *p, const struct sw_rule *r, time_t start,
             time_t end, int result, const char *err)
{
    struct sw_plan_alarm *a = new_alarm(p, r, start, end);

    if (!a)
        return SW_ENOMEM;
    set_failed(a, result < 0 ? result : SW_EINVAL, "%s", err ? err : "");
    return 0;
}

int
sw_plan_add(struct sw_plan *p, const struct sw_rule *r, time_t start,
            time_t end, const struct sw_expr_vars *vars)
{
    struct sw_plan_alarm *a = new_alarm(p, r, start, end);

    if (!a)
        return SW_ENOMEM;
    if (vars)
        a->vars = *vars;
    if (sw_rule_is_math(r))
        return add_math(p, a);
    if (want(p, 0, r->namespace_, r->metric, r->dims, r->ndims, r->stat,
             r->unit) < 0)
        return SW_ENOMEM;
    /* GetMetricStatistics cannot return an ExtendedStatistic and its
     * SampleCount from one... statistic: ask for both (one request when
     * the source shares them). */
    if (r->low_sample_ignore && sw_stat_is_percentile(r->stat))
        return want(p, 1, r->namespace_, r->metric, r->dims, r->ndims,
                    "SampleCount", r->unit);
    return 0;
}

static const struct sw_plan_want *sort_wants;

static int
want_cmp(const void *a, const void *b)
{
    const struct sw_plan_want *x = &sort_wants[*(const size_t *)a];
    const struct sw_plan_want *y = &sort_wants[*(const size_t *)b];
    int c = strcmp(x->key, y->key);

    /* Stable on ties, so the plan is the same from run to run. */
    if (c)
        return c;
    return x->alarm < y->alarm ? -1 : x->alarm > y->alarm;
}

int
sw_plan_finish(struct sw_plan *p)
{
    size_t *order = NULL;
    int r = SW_ENOMEM;

    if (!p->nwants)
        return 0;
    order = malloc(p->nwants * sizeof(*order));
    p->fetches = calloc(p->nwants, sizeof(*p->fetches));
    if (!order || !p->fetches)
        goto out;
    for (size_t i = 0; i < p->nwants; i++)
        order[i] = i;
    /* qsort has no argument for the array: a file-scope pointer, set and
     * used only here (the agent is single-threaded). */
    sort_wants = p->wants;
    qsort(order, p->nwants, sizeof(*order), want_cmp);
    sort_wants = NULL;
    for (size_t k = 0; k < p->nwants; k++) {
        const struct sw_plan_want *w = &p->wants[order[k]];
        const struct sw_plan_want *prev = k ? &p->wants[order[k - 1]] : NULL;
        struct sw_fetch *f;

        if (!prev || strcmp(prev->key, w->key) != 0) {
            int same_series = prev && prev->series_len == w->series_len &&
                              memcmp(prev->key, w->key, w->series_len) == 0;

            if (!same_series)
                p->nseries++;
            f = &p->fetches[p->nfetches++];
            f->q = w->q;
            f->series = p->nseries - 1;
        } else {
            f = &p->fetches[p->nfetches - 1];
            if (w->q.start < f->q.start)
                f->q.start = w->q.start;
            if (w->q.end > f->q.end)
                f->q.end = w->q.end;
        }
        p->alarms[w->alarm].need[w->slot] = p->nfetches - 1;
    }
    /* The fetches of one series share one window, so that the source can
     * ask for them in one request. */
    for (size_t i = 0; i < p->nfetches;) {
        size_t j = i;
        time_t s = p->fetches[i].q.start, e = p->fetches[i].q.end;

        while (j < p->nfetches &&
               p->fetches[j].series == p->fetches[i].series) {
            if (p->fetches[j].q.start < s)
                s = p->fetches[j].q.start;
            if (p->fetches[j].q.end > e)
                e = p->fetches[j].q.end;
            j++;
        }
        for (size_t k = i; k < j; k++) {
            p->fetches[k].q.start = s;
            p->fetches[k].q.end = e;
        }
        i = j;
    }
    r = 0;
out:
    free(order);
    for (size_t i = 0; i < p->nwants; i++)
        free(p->wants[i].key);
    free(p->wants);
    p->wants = NULL;
    p->nwants = 0;
    p->wants_alloc = 0;
    return r;
}

/* The points of F within [START, END): a slice, not a copy (the answer
 * is sorted). */
static const struct sw_datapoint *
slice(const struct sw_fetch *f, time_t start, time_t end, size_t *n)
{
    size_t i = 0, j;

    while (i < f->n && f->pts[i].ts < start)
        i++;
    j = i;
    while (j < f->n && f->pts[j].ts < end)
        j++;
    *n = j - i;
    return f->pts ? f->pts + i : NULL;
}

static int
single_series(const struct sw_plan *p, const struct sw_plan_alarm *a,
              struct sw_datapoint **out, size_t *n)
{
    const struct sw_datapoint *pts, *cnt;
    size_t np, nc;

    pts = slice(&p->fetches[a->need[0]], a->start, a->end, &np);
    *out = malloc((np ? np : 1) * sizeof(**out));
    if (!*out)
        return SW_ENOMEM;
    if (np)
        memcpy(*out, pts, np * sizeof(**out));
    *n = np;
    if (a->need[1] != SW_PLAN_NONE) {
        cnt = slice(&p->fetches[a->need[1]], a->start, a->end, &nc);
        sw_datapoints_join_counts(*out, np, cnt, nc);
    }
    return 0;
}

static int
math_series(const struct sw_plan *p, const struct sw_plan_alarm *a,
            struct sw_datapoint **out, size_t *n, char *err, size_t errlen)
{
    const struct sw_datapoint *series[SW_RULE_MAX_METRICS];
    size_t counts[SW_RULE_MAX_METRICS];
    char sub[480];
    int rc;

    for (size_t i = 0; i < a->rule->nmetrics; i++) {
        series[i] = NULL;
        counts[i] = 0;
        if (a->need[i] != SW_PLAN_NONE)
            series[i] =
                slice(&p->fetches[a->need[i]], a->start, a->end, &counts[i]);
    }
    rc = sw_expr_eval_vars(a->expr, &a->vars, series, counts, a->start, a->end,
                           a->rule->period_s, out, n, sub, sizeof(sub));
    if (rc < 0)
        snprintf(err, errlen, "expression: %s", sub);
    return rc;
}

int
sw_plan_series(const struct sw_plan *p, size_t i, struct sw_datapoint **out,
               size_t *n, char *err, size_t errlen)
{
    const struct sw_plan_alarm *a = &p->alarms[i];
    int math = sw_rule_is_math(a->rule);

    *out = NULL;
    *n = 0;
    if (errlen)
        err[0] = '\0';
    if (a->result < 0) {
        snprintf(err, errlen, "%s", a->err ? a->err : sw_strerror(a->result));
        return a->result;
    }
    /* Not answered (a stop or a reload) before failed: a canceled fetch
     * says nothing about AWS. */
    for (size_t k = 0; k < SW_PLAN_NEEDS; k++)
        if (a->need[k] != SW_PLAN_NONE &&
            p->fetches[a->need[k]].result == SW_ECANCELED)
            return SW_ECANCELED;
    for (size_t k = 0; k < SW_PLAN_NEEDS; k++) {
        const struct sw_fetch *f;

        if (a->need[k] == SW_PLAN_NONE)
            continue;
        f = &p->fetches[a->need[k]];
        if (f->result >= 0)
            continue;
        if (math)
            snprintf(err, errlen, "metric '%s': %s", a->rule->metrics[k].id,
                     sw_fetch_error(f));
        else
            snprintf(err, errlen, "%s", sw_fetch_error(f));
        return f->result;
    }
    if (math)
        return math_series(p, a, out, n, err, errlen);
    return single_series(p, a, out, n);
}

void
sw_plan_release(struct sw_plan *p)
{
    for (size_t i = 0; i < p->nalarms; i++) {
        sw_expr_free(p->alarms[i].expr);
        free(p->alarms[i].err);
    }
    free(p->alarms);
    for (size_t i = 0; i < p->nfetches; i++)
        sw_fetch_release(&p->fetches[i]);
    free(p->fetches);
    for (size_t i = 0; i < p->nwants; i++)
        free(p->wants[i].key);
    free(p->wants);
    sw_plan_init(p);
}
