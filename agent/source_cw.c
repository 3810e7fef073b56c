/* agent/source_cw.c - the CloudWatch metric source; see source.h.
 *
 * A batch (a cycle's plan, agent/plan.h; one question is a batch of one)
 * is asked with as few calls as CloudWatch allows, all through aws/batch
 * (several in flight, the client's rate limit on every attempt):
 *  - GetMetricStatistics: one call per series and kind of statistic, a
 *    call holding up to 5 Statistics or up to 10 ExtendedStatistics, never
 *    both (the API refuses the mix), and at most 1,440 datapoints (longer
 *    windows are asked in consecutive pieces);
 *  - GetMetricData: up to 500 (series, statistic) queries a call, one
 *    call per period and window, following NextToken until every query is
 *    complete; each fetch gets the points of its own window.  Its
 *    timestamps are the period starts, as
 *    GetMetricStatistics gives them for a window aligned to the period
 *    (docs/aws-wire.md, GetMetricData), so both modes give the same
 *    points.
 */
#include "config.h"

#include "agent/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/batch.h"
#include "aws/client.h"
#include "aws/cloudwatch.h"
#include "lib/err.h"
#include "lib/metric.h"

#define GMS_BODY_CAP (64u * 1024)

struct cw_source {
    struct sw_source base; /* first: the interface */
    struct sw_aws *aws;    /* borrowed */
    int gmd;               /* aws.fetch = "GetMetricData" */
};

/* One line an operator can act on: the operation, the AWS code and
 * message when AWS answered, else the transport error, and how hard we
 * tried. */
static void
aws_error_line(const char *op, int r, const struct sw_aws_error *e, char *err,
               size_t errlen)
{
    const char *code = e->code[0] ? e->code : sw_strerror(r);

    /* An AWS message may be cut to fit: sw_err_set() says nothing of it. */
    if (e->message[0])
        sw_err_set(err, errlen, "%s: %s: %s (%d attempt%s)", op, code,
                   e->message, e->attempts, e->attempts == 1 ? "" : "s");
    else
        sw_err_set(err, errlen, "%s: %s (%d attempt%s)", op, code, e->attempts,
                   e->attempts == 1 ? "" : "s");
}

static void
fail(struct sw_fetch *f, int r, const char *fmt, const char *what)
{
    char why[512];

    if (f->result < 0)
        return; /* the first failure is the one told */
    snprintf(why, sizeof(why), fmt, what);
    sw_fetch_release(f);
    sw_fetch_fail(f, r, why);
}

/* Append N points to F's answer (pieces come in time order). */
static int
append(struct sw_fetch *f, const struct sw_datapoint *pts, size_t n)
{
    struct sw_datapoint *v;

    if (!n)
        return 0;
    v = realloc(f->pts, (f->n + n) * sizeof(*v));
    if (!v)
        return SW_ENOMEM;
    memcpy(v + f->n, pts, n * sizeof(*v));
    f->pts = v;
    f->n += n;
    return 0;
}

static void
series_of(const struct sw_metric_query *q, struct sw_series *s)
{
    s->namespace_ = q->namespace_;
    s->metric = q->metric;
    s->dims = q->dims;
    s->ndims = q->ndims;
    s->unit = q->unit;
    s->period_s = q->period_s;
}

/* ---- GetMetricStatistics ---- */

/* One call: fetches F[FIRST..] of one series, NSTATS of them (all plain
 * or all extended), over [START, END). */
struct gms_call {
    size_t first, nstats;
    size_t idx[SW_CW_MAX_EXTENDED_STATISTICS];
    time_t start, end;
    struct sw_buf body;
};

static int
gms_plan(struct sw_fetch *f, size_t n, struct gms_call **out, size_t *ncalls)
{
    struct gms_call *calls = NULL;
    size_t nc = 0, alloc = 0;

    for (size_t i = 0; i < n;) {
        size_t j = i;
        long span;

        while (j < n && f[j].series == f[i].series)
            j++;
        /* 1,440 points a call at most: the window in pieces. */
        span = (long)SW_CW_MAX_DATAPOINTS * f[i].q.period_s;
        for (time_t t = f[i].q.start; t < f[i].q.end; t += span) {
            for (int ext = 0; ext < 2; ext++) {
                struct gms_call *c = NULL;
                size_t cap =
                    ext ? SW_CW_MAX_EXTENDED_STATISTICS : SW_CW_MAX_STATISTICS;

                for (size_t k = i; k < j; k++) {
                    if (sw_stat_is_percentile(f[k].q.stat) != ext)
                        continue;
                    if (!c || c->nstats == cap) {
                        if (nc == alloc) {
                            struct gms_call *v;
                            alloc = alloc ? alloc * 2 : 16;
                            v = realloc(calls, alloc * sizeof(*v));
                            if (!v)
                                goto nomem;
                            calls = v;
                        }
                        c = &calls[nc++];
                        memset(c, 0, sizeof(*c));
                        c->first = i;
                        c->start = t;
                        c->end = t + span < f[i].q.end ? t + span : f[i].q.end;
                        sw_buf_init(&c->body, GMS_BODY_CAP);
                    }
                    /* C is set by the block above whenever it was NULL. */
                    /* cppcheck-suppress nullPointerRedundantCheck */
                    c->idx[c->nstats++] = k;
                }
            }
        }
        i = j;
    }
    *out = calls;
    *ncalls = nc;
    return 0;
nomem:
    for (size_t k = 0; k < nc; k++)
        sw_buf_release(&calls[k].body);
    free(calls);
    return SW_ENOMEM;
}

static int
gms_answer(struct sw_fetch *f, const struct gms_call *c,
           const struct sw_aws_batch_req *q)
{
    const char *stats[SW_CW_MAX_EXTENDED_STATISTICS];
    struct sw_datapoint *pts[SW_CW_MAX_EXTENDED_STATISTICS] = {0};
    size_t npts[SW_CW_MAX_EXTENDED_STATISTICS] = {0};
    char why[384], line[480];
    int r = 0;

    if (q->result < 0) {
        aws_error_line(q->op, q->result, &q->err, line, sizeof(line));
        for (size_t k = 0; k < c->nstats; k++)
            fail(&f[c->idx[k]], q->result, "%s", line);
        return q->result == SW_ENOMEM ? SW_ENOMEM : 0;
    }
    for (size_t k = 0; k < c->nstats; k++)
        stats[k] = f[c->idx[k]].q.stat;
    r = sw_cw_gms_parse_stats(q->reply.data, q->reply.len, stats, c->nstats,
                              pts, npts, why, sizeof(why));
    if (r < 0) {
        snprintf(line, sizeof(line),
                 "MalformedReply: GetMetricStatistics "
                 "reply: %s",
                 why);
        for (size_t k = 0; k < c->nstats; k++)
            fail(&f[c->idx[k]], r, "%s", line);
        return r == SW_ENOMEM ? SW_ENOMEM : 0;
    }
    for (size_t k = 0; k < c->nstats; k++) {
        if (r == 0 && f[c->idx[k]].result == 0)
            r = append(&f[c->idx[k]], pts[k], npts[k]);
        free(pts[k]);
    }
    return r;
}

static int
gms_all(struct cw_source *cw, struct sw_fetch *f, size_t n,
        const struct sw_aws_batch_opts *bo, int *requests)
{
    struct sw_aws_batch_req *reqs = NULL;
    struct gms_call *calls = NULL;
    size_t nc = 0, m = 0, *sent = NULL;
    int r;

    r = gms_plan(f, n, &calls, &nc);
    if (r < 0)
        return r;
    reqs = calloc(nc ? nc : 1, sizeof(*reqs));
    sent = calloc(nc ? nc : 1, sizeof(*sent));
    if (!reqs || !sent) {
        r = SW_ENOMEM;
        goto out;
    }
    for (size_t k = 0; k < nc; k++) {
        struct gms_call *c = &calls[k];
        const char *stats[SW_CW_MAX_EXTENDED_STATISTICS];
        struct sw_series ser;
        char why[384];

        series_of(&f[c->first].q, &ser);
        for (size_t i = 0; i < c->nstats; i++)
            stats[i] = f[c->idx[i]].q.stat;
        r = sw_cw_gms_request_stats(&ser, stats, c->nstats, c->start, c->end,
                                    &c->body, why, sizeof(why));
        if (r == SW_ENOMEM)
            goto out;
        if (r < 0) {
            /* Refused before sending, as botocore's ParamValidation; the
             * call is left out of the batch. */
            for (size_t i = 0; i < c->nstats; i++)
                fail(&f[c->idx[i]], r,
                     "ParamValidation: GetMetricStatistics request: %s", why);
            continue;
        }
        reqs[m].svc = SW_SVC_MONITORING;
        reqs[m].proto = SW_PROTO_JSON10;
        reqs[m].op = "GetMetricStatistics";
        reqs[m].max_reply = SW_CW_MAX_REPLY;
        reqs[m].body = c->body.data;
        reqs[m].len = c->body.len;
        sent[m++] = k;
    }
    r = sw_aws_batch_run(cw->aws, reqs, m, bo);
    if (requests)
        *requests += (int)m;
    for (size_t k = 0; k < m && r == 0; k++)
        r = gms_answer(f, &calls[sent[k]], &reqs[k]);
out:
    for (size_t k = 0; k < nc; k++) {
        sw_buf_release(&calls[k].body);
        if (reqs)
            sw_buf_release(&reqs[k].reply);
    }
    free(calls);
    free(reqs);
    free(sent);
    return r;
}

/* ---- GetMetricData ---- */

/* One call: up to 500 fetches of one period, and the pages its NextToken
 * leads to. */
struct gmd_call {
    size_t nq;
    size_t *idx;               /* fetch index of each query */
    struct sw_cw_gmd_query *q; /* ids "q0".."q499" */
    struct sw_series *series;  /* one per query */
    char (*ids)[24];
    struct sw_cw_gmd_result *acc; /* merged answers, or NULL */
    char *token;                  /* the next page's, or NULL */
    struct sw_buf body;
    time_t start, end;
    int result; /* < 0: the call failed; ERR says */
    char err[480];
};

static void
gmd_call_release(struct gmd_call *c)
{
    free(c->idx);
    free(c->q);
    free(c->series);
    free(c->ids);
    if (c->acc)
        sw_cw_gmd_results_free(c->acc, c->nq);
    free(c->token);
    sw_buf_release(&c->body);
}

static int
period_cmp(const void *a, const void *b, const struct sw_fetch *f)
{
    const struct sw_fetch *x = &f[*(const size_t *)a];
    const struct sw_fetch *y = &f[*(const size_t *)b];

    if (x->q.period_s != y->q.period_s)
        return x->q.period_s < y->q.period_s ? -1 : 1;
    if (x->q.start != y->q.start)
        return x->q.start < y->q.start ? -1 : 1;
    if (x->q.end != y->q.end)
        return x->q.end < y->q.end ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Insertion sort by (period, window): plans are ordered by series, and
 * qsort takes no context argument. */
static void
sort_by_period(size_t *order, size_t n, const struct sw_fetch *f)
{
    for (size_t i = 1; i < n; i++) {
        size_t v = order[i], j = i;

        while (j > 0 && period_cmp(&order[j - 1], &v, f) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
}

static int
gmd_plan(struct sw_fetch *f, size_t n, struct gmd_call **out, size_t *ncalls)
{
    struct gmd_call *calls = NULL;
    size_t *order = malloc((n ? n : 1) * sizeof(*order)), nc = 0;
    int r = SW_ENOMEM;

    if (!order)
        return SW_ENOMEM;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    sort_by_period(order, n, f);
    calls = calloc(n ? n : 1, sizeof(*calls)); /* at most one per fetch */
    if (!calls)
        goto out;
    for (size_t i = 0; i < n;) {
        struct gmd_call *c = &calls[nc++];
        const struct sw_fetch *f0 = &f[order[i]];
        size_t j = i;

        /* One window a call: the union of its queries' (each gets its
         * own back, gmd_answer()); their starts are all aligned to the
         * period, so the union's is too. */
        c->start = f0->q.start;
        c->end = f0->q.end;
        while (j < n && j - i < SW_CW_GMD_MAX_QUERIES &&
               f[order[j]].q.period_s == f0->q.period_s) {
            if (f[order[j]].q.start < c->start)
                c->start = f[order[j]].q.start;
            if (f[order[j]].q.end > c->end)
                c->end = f[order[j]].q.end;
            j++;
        }
        c->nq = j - i;
        c->idx = calloc(c->nq, sizeof(*c->idx));
        c->q = calloc(c->nq, sizeof(*c->q));
        c->series = calloc(c->nq, sizeof(*c->series));
        c->ids = calloc(c->nq, sizeof(*c->ids));
        sw_buf_init(&c->body, SW_CW_GMD_MAX_REQUEST);
        if (!c->idx || !c->q || !c->series || !c->ids)
            goto out;
        for (size_t k = 0; k < c->nq; k++) {
            /* ORDER holds a permutation of 0..N-1 (filled above, then sorted),
             * which the analyzer loses track of.
             * NOLINTNEXTLINE(clang-analyzer-core.uninitialized.*) */
            struct sw_fetch *fk = &f[order[i + k]];

            c->idx[k] = order[i + k];
            series_of(&fk->q, &c->series[k]);
            snprintf(c->ids[k], sizeof(c->ids[k]), "q%zu", k);
            c->q[k].id = c->ids[k];
            c->q[k].series = &c->series[k];
            c->q[k].stat = fk->q.stat;
        }
        i = j;
    }
    r = 0;
out:
    free(order);
    if (r < 0 && calls) {
        for (size_t k = 0; k < nc; k++)
            gmd_call_release(&calls[k]);
        free(calls);
        calls = NULL;
        nc = 0;
    }
    *out = calls;
    *ncalls = nc;
    return r;
}

/* The page of call C in REQ: merged into C->acc; C->token set when there
 * is another. */
static int
gmd_page(struct gmd_call *c, const struct sw_aws_batch_req *req)
{
    struct sw_cw_gmd_result *page = NULL;
    size_t np = 0;
    char *token = NULL, why[384];
    int r;

    free(c->token);
    c->token = NULL;
    if (req->result < 0) {
        c->result = req->result;
        aws_error_line(req->op, req->result, &req->err, c->err, sizeof(c->err));
        return req->result == SW_ENOMEM ? SW_ENOMEM : 0;
    }
    r = sw_cw_gmd_parse(req->reply.data, req->reply.len, c->q, c->nq, &page,
                        &np, &token, why, sizeof(why));
    if (r < 0) {
        c->result = r;
        snprintf(c->err, sizeof(c->err),
                 "MalformedReply: GetMetricData reply: %s", why);
        return r == SW_ENOMEM ? SW_ENOMEM : 0;
    }
    if (!c->acc) {
        c->acc = page;
        page = NULL;
        r = 0;
    } else {
        r = sw_cw_gmd_merge(c->acc, page, c->nq);
    }
    if (page)
        sw_cw_gmd_results_free(page, np);
    c->token = token;
    return r;
}

/* The answers of call C into its fetches. */
static int
gmd_answer(struct sw_fetch *f, const struct gmd_call *c)
{
    for (size_t k = 0; k < c->nq; k++) {
        struct sw_fetch *fk = &f[c->idx[k]];
        const struct sw_cw_gmd_result *a = c->acc ? &c->acc[k] : NULL;
        char line[480];

        if (c->result < 0) {
            fail(fk, c->result, "%s", c->err);
            continue;
        }
        if (a && a->status &&
            (strcmp(a->status, "InternalError") == 0 ||
             strcmp(a->status, "Forbidden") == 0)) {
            snprintf(line, sizeof(line), "GetMetricData: %s%s%s", a->status,
                     a->message ? ": " : "", a->message ? a->message : "");
            fail(fk, SW_EAWS, "%s", line);
            continue;
        }
        for (size_t p = 0; a && p < a->n; p++)
            if (a->pts[p].ts >= fk->q.start && a->pts[p].ts < fk->q.end &&
                append(fk, &a->pts[p], 1) < 0)
                return SW_ENOMEM;
    }
    return 0;
}

static int
gmd_all(struct cw_source *cw, struct sw_fetch *f, size_t n,
        const struct sw_aws_batch_opts *bo, int *requests)
{
    struct sw_aws_batch_req *reqs = NULL;
    struct gmd_call *calls = NULL;
    size_t nc = 0, *which = NULL;
    int r, first = 1;

    r = gmd_plan(f, n, &calls, &nc);
    if (r < 0)
        return r;
    reqs = calloc(nc ? nc : 1, sizeof(*reqs));
    which = calloc(nc ? nc : 1, sizeof(*which));
    if (!reqs || !which) {
        r = SW_ENOMEM;
        goto out;
    }
    /* Rounds: the first page of every call, then the next pages of the
     * calls that have one, until none has. */
    for (;;) {
        size_t m = 0;

        for (size_t k = 0; k < nc; k++) {
            struct gmd_call *c = &calls[k];
            char why[384];

            if (c->result < 0 || (!first && !c->token))
                continue;
            sw_buf_reset(&c->body);
            r = sw_cw_gmd_request(c->q, c->nq, c->start, c->end, c->token,
                                  &c->body, why, sizeof(why));
            if (r == SW_ENOMEM)
                goto out;
            if (r < 0) {
                c->result = r;
                snprintf(c->err, sizeof(c->err),
                         "ParamValidation: GetMetricData request: %s", why);
                continue;
            }
            memset(&reqs[m], 0, sizeof(reqs[m]));
            reqs[m].svc = SW_SVC_MONITORING;
            reqs[m].proto = SW_PROTO_JSON10;
            reqs[m].op = "GetMetricData";
            reqs[m].body = c->body.data;
            reqs[m].len = c->body.len;
            reqs[m].max_reply = SW_CW_GMD_MAX_REPLY;
            which[m++] = k;
        }
        first = 0;
        if (!m)
            break;
        r = sw_aws_batch_run(cw->aws, reqs, m, bo);
        if (requests)
            *requests += (int)m;
        for (size_t k = 0; k < m && r == 0; k++)
            r = gmd_page(&calls[which[k]], &reqs[k]);
        for (size_t k = 0; k < m; k++)
            sw_buf_release(&reqs[k].reply);
        if (r < 0)
            goto out;
    }
    for (size_t k = 0; k < nc && r == 0; k++)
        r = gmd_answer(f, &calls[k]);
out:
    for (size_t k = 0; k < nc; k++)
        gmd_call_release(&calls[k]);
    free(calls);
    free(reqs);
    free(which);
    return r;
}

static int
cw_fetch_all(struct sw_source *s, struct sw_fetch *f, size_t n,
             const struct sw_source_batch *o, int *requests)
{
    struct cw_source *cw = (struct cw_source *)s;
    struct sw_aws_batch_opts bo;
    int r;

    memset(&bo, 0, sizeof(bo));
    if (o) {
        bo.concurrency = o->concurrency;
        bo.tick = o->tick;
        bo.tick_arg = o->tick_arg;
        bo.progress = o->progress;
        bo.progress_arg = o->progress_arg;
    }
    r = cw->gmd ? gmd_all(cw, f, n, &bo, requests)
                : gms_all(cw, f, n, &bo, requests);
    if (r < 0)
        return r;
    /* The batch ends a call cut short by SIGTERM or SIGHUP with
     * SW_ECANCELED: say so to the caller as a whole. */
    for (size_t i = 0; i < n; i++)
        if (f[i].result == SW_ECANCELED)
            return SW_ECANCELED;
    return 0;
}

/* One question: a batch of one, so that both fetch modes and every
 * request go through one path. */
static int
cw_fetch(struct sw_source *s, const struct sw_metric_query *q,
         struct sw_datapoint **out, size_t *n, char *err, size_t errlen)
{
    struct sw_fetch f;
    int r;

    memset(&f, 0, sizeof(f));
    f.q = *q;
    r = cw_fetch_all(s, &f, 1, NULL, NULL);
    if (r == 0 || r == SW_ECANCELED)
        r = f.result;
    if (r < 0) {
        f.result = r;
        snprintf(err, errlen, "%s", sw_fetch_error(&f));
        sw_fetch_release(&f);
        return r;
    }
    *out = f.pts;
    /* F.pts is the caller's now, through *OUT: no leak.
     * NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
    *n = f.n;
    return 0;
}

static void
cw_free(struct sw_source *s)
{
    free(s);
}

static const struct sw_source_ops cw_ops = {
    .name = "cloudwatch",
    .fetch = cw_fetch,
    .fetch_all = cw_fetch_all,
    .free = cw_free,
};

int
sw_source_cloudwatch_new(struct sw_aws *aws, int get_metric_data,
                         struct sw_source **out)
{
    struct cw_source *cw = calloc(1, sizeof(*cw));

    *out = NULL;
    if (!cw)
        return SW_ENOMEM;
    cw->base.ops = &cw_ops;
    cw->aws = aws;
    cw->gmd = get_metric_data;
    *out = &cw->base;
    return 0;
}
