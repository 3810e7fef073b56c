/* lib/metric.c - metric value helpers; see metric.h. */
#include "config.h"

#include "lib/metric.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/str.h"

int
sw_stat_is_percentile(const char *stat)
{
    double v;

    if (!stat || stat[0] != 'p' || !stat[1])
        return 0;
    if (sw_parse_double(stat + 1, &v) < 0)
        return 0;
    /* Only plain decimals: no sign, no exponent. */
    for (const char *p = stat + 1; *p; p++)
        if (!(*p >= '0' && *p <= '9') && *p != '.')
            return 0;
    return v >= 0.0 && v <= 100.0;
}

int
sw_stat_is_valid(const char *stat)
{
    static const char *const names[] = {"Sum", "Average", "Minimum", "Maximum",
                                        "SampleCount"};

    if (!stat)
        return 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(stat, names[i]) == 0)
            return 1;
    return sw_stat_is_percentile(stat);
}

struct idx_point {
    struct sw_datapoint p;
    size_t idx;
};

static int
cmp_point(const void *a, const void *b)
{
    const struct idx_point *x = a, *y = b;

    if (x->p.ts != y->p.ts)
        return x->p.ts < y->p.ts ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

size_t
sw_datapoints_normalize(struct sw_datapoint *v, size_t n)
{
    struct idx_point *tmp;
    size_t out = 0;

    if (n < 2)
        return n;
    tmp = malloc(n * sizeof(*tmp));
    if (!tmp) {
        /* Fall back to an in-place insertion sort: n is small (at most
         * 1,440 points per call) and this path only runs out of memory. */
        for (size_t i = 1; i < n; i++) {
            struct sw_datapoint k = v[i];
            size_t j = i;
            while (j > 0 && v[j - 1].ts > k.ts) {
                v[j] = v[j - 1];
                j--;
            }
            v[j] = k;
        }
        for (size_t i = 0; i < n; i++) {
            if (out && v[out - 1].ts == v[i].ts)
                v[out - 1] = v[i];
            else
                v[out++] = v[i];
        }
        return out;
    }
    for (size_t i = 0; i < n; i++) {
        tmp[i].p = v[i];
        tmp[i].idx = i;
    }
    qsort(tmp, n, sizeof(*tmp), cmp_point);
    for (size_t i = 0; i < n; i++) {
        if (out && v[out - 1].ts == tmp[i].p.ts)
            v[out - 1] = tmp[i].p;
        else
            v[out++] = tmp[i].p;
    }
    free(tmp);
    return out;
}

void
sw_datapoints_join_counts(struct sw_datapoint *pts, size_t n,
                          const struct sw_datapoint *cnt, size_t ncnt)
{
    size_t j = 0;

    /* Both are sorted: one merge pass. */
    for (size_t i = 0; i < n; i++) {
        while (j < ncnt && cnt[j].ts < pts[i].ts)
            j++;
        if (j < ncnt && cnt[j].ts == pts[i].ts)
            pts[i].sample_count = cnt[j].value;
    }
}

#define KEY_SEP_FIELD '\x1f'
#define KEY_SEP_STAT  '\x1e'

static int
dim_cmp(const void *a, const void *b)
{
    const struct sw_dimension *x = *(const struct sw_dimension *const *)a;
    const struct sw_dimension *y = *(const struct sw_dimension *const *)b;
    int c = strcmp(x->name, y->name);

    return c ? c : strcmp(x->value, y->value);
}

char *
sw_metric_query_key(const struct sw_metric_query *q, size_t *series_len)
{
    const struct sw_dimension *dims[SW_MAX_DIMENSIONS];
    struct sw_buf b;
    size_t nd = q->ndims < SW_MAX_DIMENSIONS ? q->ndims : SW_MAX_DIMENSIONS;
    int r;

    for (size_t i = 0; i < nd; i++)
        dims[i] = &q->dims[i];
    /* DIMS[0..ND) are all set by the loop above. */
    /* cppcheck-suppress uninitvar */
    qsort(dims, nd, sizeof(dims[0]), dim_cmp);
    sw_buf_init(&b, 64 * 1024);
    r = sw_buf_addf(&b, "%s%c%s%c%s%c%d", q->namespace_, KEY_SEP_FIELD,
                    q->metric, KEY_SEP_FIELD, q->unit ? q->unit : "",
                    KEY_SEP_FIELD, q->period_s);
    for (size_t i = 0; r == 0 && i < nd; i++)
        r = sw_buf_addf(&b, "%c%s=%s", KEY_SEP_FIELD, dims[i]->name,
                        dims[i]->value);
    if (series_len)
        *series_len = b.len;
    if (r == 0)
        r = sw_buf_addf(&b, "%c%s", KEY_SEP_STAT, q->stat);
    if (r < 0) {
        sw_buf_release(&b);
        return NULL;
    }
    return sw_buf_steal(&b, NULL);
}
