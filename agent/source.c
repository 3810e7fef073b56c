/* agent/source.c - the metric source interface and the batch that asks
 * one question at a time; the CloudWatch source is agent/source_cw.c, the
 * recorded-CSV one agent/recording.c. */
#include "config.h"

#include "agent/source.h"

#include <stdio.h>
#include <stdlib.h>

#include "lib/err.h"

int
sw_source_fetch(struct sw_source *s, const struct sw_metric_query *q,
                struct sw_datapoint **out, size_t *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (errlen)
        err[0] = '\0';
    return s->ops->fetch(s, q, out, n, err, errlen);
}

void
sw_fetch_release(struct sw_fetch *f)
{
    free(f->pts);
    f->pts = NULL;
    f->n = 0;
    f->result = 0;
    f->err[0] = '\0';
}

static int
canceled(const struct sw_source_batch *o)
{
    return o && ((o->stop && *o->stop) || (o->yield && *o->yield));
}

/* One request per fetch, one after another: for a source whose requests
 * cost nothing (a recording), or that has no batch of its own. */
static int
fetch_each(struct sw_source *s, struct sw_fetch *f, size_t n,
           const struct sw_source_batch *o, int *requests)
{
    int r = 0;

    for (size_t i = 0; i < n; i++) {
        if (r == SW_ECANCELED || canceled(o)) {
            f[i].result = SW_ECANCELED;
            r = SW_ECANCELED;
            continue;
        }
        if (requests)
            (*requests)++;
        f[i].result = sw_source_fetch(s, &f[i].q, &f[i].pts, &f[i].n, f[i].err,
                                      sizeof(f[i].err));
        if (f[i].result == SW_ENOMEM)
            return SW_ENOMEM;
        if (f[i].result == SW_ECANCELED)
            r = SW_ECANCELED;
        if (o && o->tick)
            o->tick(o->tick_arg);
    }
    return r;
}

int
sw_source_fetch_all(struct sw_source *s, struct sw_fetch *f, size_t n,
                    const struct sw_source_batch *o, int *requests)
{
    for (size_t i = 0; i < n; i++)
        sw_fetch_release(&f[i]);
    if (s->ops->fetch_all)
        return s->ops->fetch_all(s, f, n, o, requests);
    return fetch_each(s, f, n, o, requests);
}

void
sw_source_free(struct sw_source *s)
{
    if (s)
        s->ops->free(s);
}
