/* agent/source.c - the metric source interface and the batch that asks
 * one question at a time; the CloudWatch source is agent/source_cw.c, the
 * recorded-CSV one agent/recording.c. */
#include "config.h"

#include "agent/source.h"

#include <stdio.h>
#include <stdlib.h>

#include "lib/err.h"
#include "lib/str.h"

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
    free(f->err);
    f->err = NULL;
}

void
sw_fetch_fail(struct sw_fetch *f, int result, const char *why)
{
    f->result = result;
    free(f->err);
    f->err = why && *why ? sw_strdup(why) : NULL;
}

const char *
sw_fetch_error(const struct sw_fetch *f)
{
    return f->err && f->err[0] ? f->err : sw_strerror(f->result);
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
    char err[512];
    int r = 0, r2;

    for (size_t i = 0; i < n; i++) {
        if (r == SW_ECANCELED || canceled(o)) {
            f[i].result = SW_ECANCELED;
            r = SW_ECANCELED;
            continue;
        }
        if (requests)
            (*requests)++;
        r2 = sw_source_fetch(s, &f[i].q, &f[i].pts, &f[i].n, err, sizeof(err));
        if (r2 == SW_ENOMEM)
            return SW_ENOMEM;
        if (r2 < 0)
            sw_fetch_fail(&f[i], r2, err);
        else
            f[i].result = r2;
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
