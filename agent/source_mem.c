/* agent/source_mem.c - a metric source answering from series held in
 * memory; see source.h.
 *
 * `backtest` against CloudWatch asks for each series once over the whole
 * range (in 1,440-point pieces, several at a time) and then steps the
 * agent's own cycle through it minute by minute; the cycle's questions are
 * answered here, by a binary search in what was fetched.  A question is
 * answered only when the series holds its whole window: anything else
 * would be missing data that CloudWatch never said was missing, so it is
 * an error instead.
 */
#include "config.h"

#include "agent/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/metric.h"

struct mem_series {
    char *key;    /* sw_metric_query_key() */
    time_t start; /* what it holds: [start, end) */
    time_t end;
    struct sw_datapoint *pts; /* sorted */
    size_t n;
};

struct mem_source {
    struct sw_source base; /* first: the interface */
    struct mem_series *v;
    size_t n, alloc;
    int sorted;
};

static int
series_cmp(const void *a, const void *b)
{
    return strcmp(((const struct mem_series *)a)->key,
                  ((const struct mem_series *)b)->key);
}

/* The first point at or after T. */
static size_t
lower_bound(const struct sw_datapoint *p, size_t n, time_t t)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p[mid].ts < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int
mem_fetch(struct sw_source *s, const struct sw_metric_query *q,
          struct sw_datapoint **out, size_t *n, char *err, size_t errlen)
{
    struct mem_source *m = (struct mem_source *)s;
    struct mem_series key, *e;
    size_t a, b;
    int r = SW_ENOMEM;

    *out = NULL;
    *n = 0;
    memset(&key, 0, sizeof(key));
    key.key = sw_metric_query_key(q, NULL);
    if (!key.key)
        goto out;
    if (!m->sorted) {
        qsort(m->v, m->n, sizeof(*m->v), series_cmp);
        m->sorted = 1;
    }
    e = m->n ? bsearch(&key, m->v, m->n, sizeof(*m->v), series_cmp) : NULL;
    if (!e || q->start < e->start || q->end > e->end) {
        sw_err_set(err, errlen, "%s %s %s: no history fetched for this window",
                   q->namespace_, q->metric, q->stat);
        r = SW_EINVAL;
        goto out;
    }
    a = lower_bound(e->pts, e->n, q->start);
    b = lower_bound(e->pts, e->n, q->end);
    r = 0;
    if (b > a) {
        *out = malloc((b - a) * sizeof(**out));
        if (!*out) {
            r = SW_ENOMEM;
            goto out;
        }
        memcpy(*out, e->pts + a, (b - a) * sizeof(**out));
        *n = b - a;
    }
out:
    free(key.key);
    return r;
}

static void
mem_free(struct sw_source *s)
{
    struct mem_source *m = (struct mem_source *)s;

    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].key);
        free(m->v[i].pts);
    }
    free(m->v);
    free(m);
}

static const struct sw_source_ops mem_ops = {
    .name = "memory",
    .fetch = mem_fetch,
    .fetch_all = NULL,
    .free = mem_free,
};

int
sw_source_memory_new(struct sw_source **out)
{
    struct mem_source *m = calloc(1, sizeof(*m));

    *out = NULL;
    if (!m)
        return SW_ENOMEM;
    m->base.ops = &mem_ops;
    m->sorted = 1;
    *out = &m->base;
    return 0;
}

int
sw_source_memory_add(struct sw_source *s, const struct sw_metric_query *q,
                     const struct sw_datapoint *pts, size_t n)
{
    struct mem_source *m = (struct mem_source *)s;
    struct mem_series e;

    if (s->ops != &mem_ops)
        return SW_EINVAL;
    memset(&e, 0, sizeof(e));
    e.start = q->start;
    e.end = q->end;
    e.key = sw_metric_query_key(q, NULL);
    if (!e.key)
        goto nomem;
    if (n) {
        e.pts = malloc(n * sizeof(*e.pts));
        if (!e.pts)
            goto nomem;
        memcpy(e.pts, pts, n * sizeof(*e.pts));
        e.n = sw_datapoints_normalize(e.pts, n);
    }
    if (m->n == m->alloc) {
        size_t na = m->alloc ? m->alloc * 2 : 64;
        struct mem_series *v = realloc(m->v, na * sizeof(*v));
        if (!v)
            goto nomem;
        m->v = v;
        m->alloc = na;
    }
    m->v[m->n++] = e;
    m->sorted = 0;
    return 0;
nomem:
    free(e.key);
    free(e.pts);
    return SW_ENOMEM;
}
