/* agent/record.c - history in the recording format; see record.h. */
#include "config.h"

#include "agent/record.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/metric.h"
#include "lib/str.h"
#include "rules/eval.h"

#define RESOLUTION_S 60

static const char *const standard[] = {"Sum", "Average", "Minimum", "Maximum",
                                       "SampleCount"};
#define NSTANDARD (sizeof(standard) / sizeof(standard[0]))

/* A series to record: the metric, and the percentiles asked of it. */
struct rseries {
    struct sw_metric_query q; /* borrowed strings; stat unused */
    char *key;
    const char *pcts[SW_RULE_MAX_METRICS * 4];
    size_t npcts;
};

struct rset {
    struct rseries *v;
    size_t n, alloc;
};

static int
add_ref(struct rset *s, const char *ns, const char *metric,
        const struct sw_dimension *dims, size_t ndims, const char *unit,
        const char *stat)
{
    struct sw_metric_query q;
    struct rseries *e = NULL;
    char *key;

    memset(&q, 0, sizeof(q));
    q.namespace_ = ns;
    q.metric = metric;
    q.dims = dims;
    q.ndims = ndims;
    q.stat = "";
    q.period_s = RESOLUTION_S;
    /* Recordings carry no unit: one series whatever unit a rule names. */
    key = sw_metric_query_key(&q, NULL);
    if (!key)
        return SW_ENOMEM;
    for (size_t i = 0; i < s->n && !e; i++)
        if (strcmp(s->v[i].key, key) == 0)
            e = &s->v[i];
    if (e) {
        free(key);
    } else {
        if (s->n == s->alloc) {
            size_t na = s->alloc ? s->alloc * 2 : 16;
            struct rseries *v = realloc(s->v, na * sizeof(*v));
            if (!v) {
                free(key);
                return SW_ENOMEM;
            }
            s->v = v;
            s->alloc = na;
        }
        e = &s->v[s->n++];
        memset(e, 0, sizeof(*e));
        e->q = q;
        e->q.unit = unit;
        e->key = key;
    }
    if (!sw_stat_is_percentile(stat))
        return 0;
    for (size_t i = 0; i < e->npcts; i++)
        if (strcmp(e->pcts[i], stat) == 0)
            return 0;
    if (e->npcts < sizeof(e->pcts) / sizeof(e->pcts[0]))
        e->pcts[e->npcts++] = stat;
    return 0;
}

int
sw_record_fetches(const struct sw_rule *const *rules, size_t nrules,
                  time_t from, time_t to, struct sw_fetch **out, size_t *n,
                  size_t *skipped)
{
    struct rset s = {0};
    size_t total = 0, k = 0;
    time_t start = from;
    int r = 0;

    *out = NULL;
    *n = 0;
    *skipped = 0;
    for (size_t i = 0; i < nrules && r == 0; i++) {
        const struct sw_rule *ru = rules[i];

        if (ru->period_s < RESOLUTION_S) {
            (*skipped)++;
            continue;
        }
        if (!sw_rule_is_math(ru)) {
            r = add_ref(&s, ru->namespace_, ru->metric, ru->dims, ru->ndims,
                        ru->unit, ru->stat);
            continue;
        }
        for (size_t m = 0; m < ru->nmetrics && r == 0; m++) {
            const struct sw_metric_stat *ms = &ru->metrics[m];
            r = add_ref(&s, ms->namespace_, ms->metric, ms->dims, ms->ndims,
                        ms->unit, ms->stat);
        }
    }
    if (r < 0)
        goto out;
    /* What the first evaluation at FROM looks back on is history the
     * alarms need too. */
    for (size_t i = 0; i < nrules; i++) {
        time_t ws, we;

        if (rules[i]->period_s < RESOLUTION_S)
            continue;
        sw_eval_window(rules[i], from, &ws, &we);
        if (ws < start)
            start = ws;
    }
    start -= ((start % RESOLUTION_S) + RESOLUTION_S) % RESOLUTION_S;
    for (size_t i = 0; i < s.n; i++)
        total += NSTANDARD + s.v[i].npcts;
    if (!total)
        goto out;
    *out = calloc(total, sizeof(**out));
    if (!*out) {
        r = SW_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < s.n; i++) {
        for (size_t c = 0; c < NSTANDARD + s.v[i].npcts; c++) {
            struct sw_fetch *f = &(*out)[k++];

            f->q = s.v[i].q;
            f->q.stat =
                c < NSTANDARD ? standard[c] : s.v[i].pcts[c - NSTANDARD];
            f->q.start = start;
            f->q.end = to;
            f->series = i;
        }
    }
    *n = total;
out:
    for (size_t i = 0; i < s.n; i++)
        free(s.v[i].key);
    free(s.v);
    return r;
}

/* ---- writing ---- */

struct row {
    time_t ts;
    size_t series;
    size_t vals; /* index of its first cell in the values array */
};

static int
row_cmp(const void *a, const void *b)
{
    const struct row *x = a, *y = b;

    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->series < y->series ? -1 : x->series > y->series;
}

static int
ts_cmp(const void *a, const void *b)
{
    time_t x = *(const time_t *)a, y = *(const time_t *)b;

    return x < y ? -1 : x > y;
}

/* A field as CSV (RFC 4180): quoted when it holds a comma or a quote. */
static int
add_field(struct sw_buf *b, const char *s)
{
    int r = 0;

    if (!strpbrk(s, ",\""))
        return sw_buf_adds(b, s);
    r = sw_buf_addc(b, '"');
    for (; *s && r == 0; s++)
        r = *s == '"' ? sw_buf_adds(b, "\"\"") : sw_buf_addc(b, *s);
    return r < 0 ? r : sw_buf_addc(b, '"');
}

/* The shortest of %.15g..%.17g that reads back as V. */
static int
add_number(struct sw_buf *b, double v)
{
    char s[40];

    for (int prec = 15; prec <= 17; prec++) {
        snprintf(s, sizeof(s), "%.*g", prec, v);
        if (strtod(s, NULL) == v)
            break;
    }
    return sw_buf_adds(b, s);
}

static int
add_dims(struct sw_buf *b, const struct sw_metric_query *q)
{
    struct sw_buf d;
    int r = 0;

    sw_buf_init(&d, 64 * 1024);
    for (size_t i = 0; i < q->ndims && r == 0; i++)
        r = sw_buf_addf(&d, "%s%s=%s", i ? ";" : "", q->dims[i].name,
                        q->dims[i].value);
    if (r == 0)
        r = add_field(b, sw_buf_str(&d));
    sw_buf_release(&d);
    return r;
}

/* The columns: the standard statistics, then every percentile once. */
static size_t
columns(const struct sw_fetch *f, size_t n, const char **cols, size_t max)
{
    size_t nc = 0;

    for (size_t i = 0; i < NSTANDARD; i++)
        cols[nc++] = standard[i];
    for (size_t i = 0; i < n; i++) {
        size_t c = 0;

        while (c < nc && strcmp(cols[c], f[i].q.stat) != 0)
            c++;
        if (c == nc && nc < max)
            cols[nc++] = f[i].q.stat;
    }
    return nc;
}

int
sw_record_csv(const struct sw_fetch *f, size_t n, const char *comment,
              struct sw_buf *out, size_t *rows_out)
{
    const char *cols[NSTANDARD + 64];
    size_t ncols = columns(f, n, cols, sizeof(cols) / sizeof(cols[0]));
    struct row *rows = NULL;
    double *vals = NULL;
    time_t *ts = NULL;
    size_t nrows = 0, npts = 0, nvals = 0;
    int r = SW_ENOMEM;

    if (rows_out)
        *rows_out = 0;
    for (size_t i = 0; i < n; i++) {
        if (f[i].result < 0)
            return SW_EINVAL;
        npts += f[i].n;
    }
    /* At most one row per point: a series's statistics share minutes. */
    rows = malloc((npts ? npts : 1) * sizeof(*rows));
    ts = malloc((npts ? npts : 1) * sizeof(*ts));
    vals = malloc((npts ? npts : 1) * ncols * sizeof(*vals));
    if (!rows || !ts || !vals)
        goto out;
    for (size_t i = 0; i < n;) {
        size_t j = i, nts = 0, cur[NSTANDARD + 64];

        while (j < n && f[j].series == f[i].series)
            j++;
        for (size_t k = i; k < j; k++)
            for (size_t p = 0; p < f[k].n; p++)
                ts[nts++] = f[k].pts[p].ts;
        qsort(ts, nts, sizeof(*ts), ts_cmp);
        memset(cur, 0, sizeof(cur));
        for (size_t t = 0; t < nts; t++) {
            struct row *rw;

            if (t && ts[t] == ts[t - 1])
                continue;
            rw = &rows[nrows++];
            rw->ts = ts[t];
            rw->series = i;
            rw->vals = nvals;
            for (size_t c = 0; c < ncols; c++)
                vals[nvals + c] = NAN;
            for (size_t k = i; k < j; k++) {
                size_t c = 0, *p = &cur[k - i];

                while (c < ncols && strcmp(cols[c], f[k].q.stat) != 0)
                    c++;
                while (*p < f[k].n && f[k].pts[*p].ts < ts[t])
                    (*p)++;
                if (c < ncols && *p < f[k].n && f[k].pts[*p].ts == ts[t])
                    vals[nvals + c] = f[k].pts[*p].value;
            }
            nvals += ncols;
        }
        i = j;
    }
    qsort(rows, nrows, sizeof(*rows), row_cmp);

    r = 0;
    if (comment) {
        const char *p = comment;
        while (*p && r == 0) {
            size_t len = strcspn(p, "\n");
            r = sw_buf_addf(out, "# %.*s\n", (int)len, p);
            p += len + (p[len] == '\n');
        }
    }
    if (r == 0)
        r = sw_buf_adds(out, "timestamp,namespace,metric,dimensions");
    for (size_t c = 0; c < ncols && r == 0; c++)
        r = sw_buf_addf(out, ",%s", cols[c]);
    if (r == 0)
        r = sw_buf_addc(out, '\n');
    for (size_t k = 0; k < nrows && r == 0; k++) {
        const struct sw_metric_query *q = &f[rows[k].series].q;
        char when[SW_TIME_BUF];

        r = sw_buf_addf(out, "%s,", sw_time_rfc3339(rows[k].ts, when));
        if (r == 0)
            r = add_field(out, q->namespace_);
        if (r == 0)
            r = sw_buf_addc(out, ',');
        if (r == 0)
            r = add_field(out, q->metric);
        if (r == 0)
            r = sw_buf_addc(out, ',');
        if (r == 0)
            r = add_dims(out, q);
        for (size_t c = 0; c < ncols && r == 0; c++) {
            double v = vals[rows[k].vals + c];
            r = sw_buf_addc(out, ',');
            if (r == 0 && !isnan(v))
                r = add_number(out, v);
        }
        if (r == 0)
            r = sw_buf_addc(out, '\n');
    }
    if (r == 0 && rows_out)
        *rows_out = nrows;
out:
    free(rows);
    free(ts);
    free(vals);
    return r;
}
