/* aws/batch.c - many AWS calls at once on a curl multi; see batch.h.
 *
 * Each call is a job: its retry state (struct sw_aws_attempt, decided by
 * sw_aws_attempt_done() exactly as the synchronous call loop decides) and
 * when it may be sent next.  A slot is one transfer in flight: an aws/http
 * handle from the client's pool and the reply being read.  The loop
 * starts ready jobs on free slots (retries due first, then new calls, in
 * order), drives the multi, settles finished transfers, and polls at most
 * SW_AWS_BATCH_TICK_MS at a time so that flags and the tick are seen.
 */
#include "config.h"

#include "aws/batch.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "aws/client_priv.h"
#include "aws/http.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/str.h"

/* The client's multi and easy handles, kept between batches so their
 * connections are reused. */
struct sw_aws_pool {
    CURLM *multi;
    struct sw_http **h;
    size_t n;
    int running; /* a batch is using it */
};

enum job_state { JOB_READY = 0, JOB_FLIGHT, JOB_DONE };

struct job {
    struct sw_aws_batch_req *req;
    struct sw_aws_attempt st;
    sw_mono_ms not_before; /* a retry's backoff */
    enum job_state state;
};

struct slot {
    struct sw_http *h; /* the pool's */
    struct sw_http_resp resp;
    struct sw_aws_turn turn; /* the rate limit's count of its sends */
    struct job *job;         /* in flight, or NULL */
};

struct run {
    struct sw_aws *a;
    CURLM *multi;
    struct job *jobs;
    size_t njobs;
    size_t next;        /* the first call never started */
    struct job **retry; /* jobs waiting to be sent again */
    size_t nretry;
    struct slot *slots;
    size_t nslots;
    size_t nflight;
    size_t left;      /* jobs not done */
    size_t most;      /* the most in flight at once, for the log */
    int abort_result; /* what an aborted transfer ends with; 0: canceled */
    /* The credential chain's failure, once it failed (see batch.h). */
    int creds_err;
    char creds_msg[sizeof(((struct sw_aws_error *)0)->message)];
};

/* ---- the pool ---- */

void
sw_aws_pool_free(struct sw_aws_pool *p)
{
    if (!p)
        return;
    /* Handles are never left in the multi between batches. */
    if (p->multi)
        curl_multi_cleanup(p->multi);
    for (size_t i = 0; i < p->n; i++)
        sw_http_free(p->h[i]);
    free(p->h);
    free(p);
}

/* A's pool with at least N handles, limited to N connections per host.
 * Returns 0, SW_ENOMEM or SW_EINTERNAL. */
static int
pool_ready(struct sw_aws *a, size_t n)
{
    struct sw_aws_pool *p = a->pool;
    CURLMcode mc = CURLM_OK;

    if (!p) {
        p = calloc(1, sizeof(*p));
        if (!p)
            return SW_ENOMEM;
        p->multi = curl_multi_init();
        if (!p->multi) {
            free(p);
            return SW_ENOMEM;
        }
        a->pool = p;
    }
    if (p->n < n) {
        struct sw_http **v = realloc(p->h, n * sizeof(*v));

        if (!v)
            return SW_ENOMEM;
        p->h = v;
        while (p->n < n) {
            int r = sw_http_new(&a->http_opts, &p->h[p->n]);

            /* The client's own handle was made with the same options:
             * anything but memory is a surprise. */
            if (r < 0)
                return r == SW_ENOMEM ? r : SW_EINTERNAL;
            p->n++;
        }
    }
    /* Never more connections than transfers in flight; the cache keeps
     * as many as the largest batch had, so that a small batch in between
     * does not close what the next large one will reuse. */
    mc = curl_multi_setopt(p->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)n);
    if (mc == CURLM_OK)
        mc = curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, (long)p->n);
    if (mc != CURLM_OK) {
        sw_log_err("aws: curl_multi_setopt: %s", curl_multi_strerror(mc));
        return SW_EINTERNAL;
    }
    for (size_t i = 0; i < p->n; i++)
        sw_http_set_cancel_flag(p->h[i], a->cancel);
    return 0;
}

/* ---- jobs ---- */

static int
cancel_up(const struct sw_aws *a)
{
    return a->cancel && *a->cancel;
}

static int
yield_up(const struct sw_aws *a)
{
    return a->yield && *a->yield;
}

/* J's call ended with RESULT: what sw_aws_call() returns and tells. */
static void
job_done(struct run *run, struct job *j, int result, int creds_failed)
{
    struct sw_aws_batch_req *q = j->req;

    q->result = result;
    q->attempts = q->err.attempts;
    if (result != 0)
        sw_buf_release(&q->reply);
    j->state = JOB_DONE;
    run->left--;
    sw_aws_tell(run->a, q->op, result, creds_failed, q->err.attempts);
}

/* J ends cut short by a stop or a reload.  A call never sent says so; one
 * waiting for a retry keeps its last error, as sw_aws_call()'s backoff
 * sleep does. */
static void
job_canceled(struct run *run, struct job *j)
{
    if (j->req->err.attempts == 0)
        sw_strlcpy(j->req->err.message, "canceled",
                   sizeof(j->req->err.message));
    job_done(run, j, SW_ECANCELED, 0);
}

static void
retry_push(struct run *run, struct job *j, sw_mono_ms when)
{
    j->state = JOB_READY;
    j->not_before = when;
    /* Room for every job was made at the start. */
    run->retry[run->nretry++] = j;
}

/* The next job that may be sent at NOW, or NULL; *WAKE is lowered to when
 * one that may not will be ready. */
static struct job *
next_ready(struct run *run, sw_mono_ms now, sw_mono_ms *wake)
{
    struct job *j;
    long rw;

    for (size_t i = 0; i < run->nretry; i++) {
        j = run->retry[i];
        if (j->not_before > now) {
            if (j->not_before < *wake)
                *wake = j->not_before;
            continue;
        }
        rw = sw_aws_rate_wait(run->a, j->req->svc, now);
        if (rw > 0) {
            if (now + rw < *wake)
                *wake = now + rw;
            continue;
        }
        run->retry[i] = run->retry[--run->nretry];
        return j;
    }
    while (run->next < run->njobs && run->jobs[run->next].state == JOB_DONE)
        run->next++;
    if (run->next >= run->njobs)
        return NULL;
    j = &run->jobs[run->next];
    /* In order: a call that must wait for the rate limit holds up the
     * ones behind it (a batch is one service in practice). */
    rw = sw_aws_rate_wait(run->a, j->req->svc, now);
    if (rw > 0) {
        if (now + rw < *wake)
            *wake = now + rw;
        return NULL;
    }
    run->next++;
    return j;
}

/* Settle the attempt of slot S, whose transfer ended with the curl result
 * RES (the handle already out of the multi). */
static void
settle(struct run *run, struct slot *s, CURLcode res)
{
    struct job *j = s->job;
    struct sw_aws_batch_req *q = j->req;
    enum sw_aws_next next;
    long delay = 0;
    int transport, result = 0;

    s->job = NULL;
    run->nflight--;
    transport = sw_http_finish(s->h, (int)res, &s->resp);
    sw_aws_turn_end(&s->turn);
    next = sw_aws_attempt_done(run->a, &j->st, NULL, q->svc, q->proto, q->op,
                               transport, &s->resp, NULL, &q->err, &delay,
                               &result);
    if (transport == SW_ECANCELED) {
        /* Aborted by us or by the handle's own check of the flag. */
        job_done(run, j, run->abort_result ? run->abort_result : SW_ECANCELED,
                 0);
        return;
    }
    switch (next) {
    case SW_AWS_NEXT_NOW: retry_push(run, j, sw_mono_now()); return;
    case SW_AWS_NEXT_BACKOFF: retry_push(run, j, sw_mono_now() + delay); return;
    case SW_AWS_NEXT_DONE:
    default: break;
    }
    if (result == 0) {
        /* The body changes hands; the slot's next reply gets a new one. */
        sw_buf_release(&q->reply);
        q->reply = s->resp.body;
        sw_buf_init(&s->resp.body, SW_HTTP_MAX_BODY);
    }
    job_done(run, j, result, 0);
}

/* Send the next attempt of J on slot S.  Returns 0 (J in flight or
 * settled), or SW_ENOMEM / SW_EINTERNAL when the multi refused the
 * handle (J settled with it too). */
static int
start(struct run *run, struct slot *s, struct job *j)
{
    struct sw_aws *a = run->a;
    struct sw_aws_batch_req *q = j->req;
    const struct sw_creds *cr;
    long delay = 0;
    CURLMcode mc;
    CURL *easy;
    int r, result = 0;

    if (run->creds_err) {
        sw_strlcpy(q->err.message, run->creds_msg, sizeof(q->err.message));
        job_done(run, j, run->creds_err, 1);
        return 0;
    }
    r = sw_aws_signing_creds(a, NULL, &cr, q->err.message,
                             sizeof(q->err.message));
    if (r < 0) {
        if (r != SW_ECANCELED) {
            run->creds_err = r;
            sw_strlcpy(run->creds_msg, q->err.message, sizeof(run->creds_msg));
        }
        job_done(run, j, r, r != SW_ECANCELED);
        return 0;
    }
    sw_aws_turn_begin(a, q->svc, &s->turn);
    r = sw_aws_http_start(a, s->h, cr, q->svc, q->proto, q->op, q->body, q->len,
                          q->max_reply, &s->turn, &s->resp);
    if (r < 0) {
        sw_aws_turn_end(&s->turn);
        /* Nothing was sent: the decision says so. */
        (void)sw_aws_attempt_done(a, &j->st, NULL, q->svc, q->proto, q->op, r,
                                  &s->resp, NULL, &q->err, &delay, &result);
        job_done(run, j, result < 0 ? result : r, 0);
        return 0;
    }
    easy = sw_http_curl(s->h);
    mc = curl_easy_setopt(easy, CURLOPT_PRIVATE, (void *)s) == CURLE_OK
             ? curl_multi_add_handle(run->multi, easy)
             : CURLM_INTERNAL_ERROR;
    if (mc != CURLM_OK) {
        r = mc == CURLM_OUT_OF_MEMORY ? SW_ENOMEM : SW_EINTERNAL;
        (void)sw_http_finish(s->h, (int)CURLE_FAILED_INIT, &s->resp);
        sw_aws_turn_end(&s->turn);
        sw_err_set(q->err.message, sizeof(q->err.message),
                   "curl_multi_add_handle: %s", curl_multi_strerror(mc));
        job_done(run, j, r, 0);
        return r;
    }
    j->state = JOB_FLIGHT;
    s->job = j;
    run->nflight++;
    if (run->nflight > run->most)
        run->most = run->nflight;
    return 0;
}

/* Start what may start now on the free slots; *WAKE as next_ready().
 * Returns 0, SW_ENOMEM or SW_EINTERNAL. */
static int
start_ready(struct run *run, sw_mono_ms *wake)
{
    size_t i = 0;

    while (run->nflight < run->nslots) {
        struct job *j;
        int r;

        if (cancel_up(run->a) || yield_up(run->a))
            return 0;
        while (run->slots[i].job)
            i++; /* there is a free one: fewer in flight than slots */
        j = next_ready(run, sw_mono_now(), wake);
        if (!j)
            return 0;
        /* A job settled at once (no credentials) leaves the slot free. */
        r = start(run, &run->slots[i], j);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Settle every transfer the multi reports done.  Returns how many. */
static size_t
reap(struct run *run)
{
    size_t done = 0;
    CURLMsg *m;
    int q;

    while ((m = curl_multi_info_read(run->multi, &q)) != NULL) {
        CURL *easy = m->easy_handle;
        CURLcode res = m->data.result;
        struct slot *s;
        char *priv = NULL;

        if (m->msg != CURLMSG_DONE)
            continue;
        if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv) != CURLE_OK ||
            !priv)
            continue;
        s = (struct slot *)(void *)priv;
        if (!s->job)
            continue;
        /* M is invalid once its handle leaves the multi. */
        curl_multi_remove_handle(run->multi, easy);
        settle(run, s, res);
        done++;
    }
    return done;
}

/* Abort every transfer in flight: each ends with RESULT (SW_ECANCELED for
 * a stop, the error of a curl failure). */
static void
abort_flight(struct run *run, int result)
{
    run->abort_result = result;
    for (size_t i = 0; i < run->nslots; i++) {
        struct slot *s = &run->slots[i];

        if (!s->job)
            continue;
        curl_multi_remove_handle(run->multi, sw_http_curl(s->h));
        settle(run, s, CURLE_ABORTED_BY_CALLBACK);
    }
}

/* Every job not done ends with RESULT (a stop, a reload: SW_ECANCELED). */
static void
end_rest(struct run *run, int result)
{
    for (size_t i = 0; i < run->njobs; i++) {
        struct job *j = &run->jobs[i];

        if (j->state == JOB_DONE)
            continue;
        if (result == SW_ECANCELED) {
            job_canceled(run, j);
        } else {
            sw_strlcpy(j->req->err.message, sw_strerror(result),
                       sizeof(j->req->err.message));
            job_done(run, j, result, 0);
        }
    }
    run->nretry = 0;
    run->next = run->njobs;
}

static int
curl_fail(const char *what, CURLMcode mc)
{
    sw_log_err("aws: %s: %s", what, curl_multi_strerror(mc));
    return mc == CURLM_OUT_OF_MEMORY ? SW_ENOMEM : SW_EINTERNAL;
}

/* The loop: start, drive, settle, wait.  Returns 0, SW_ENOMEM or
 * SW_EINTERNAL. */
static int
drive(struct run *run, const struct sw_aws_batch_opts *o)
{
    sw_mono_ms last_tick = sw_mono_now();
    CURLMcode mc;
    int r;

    for (;;) {
        sw_mono_ms now, wake;
        int running = 0;
        long ms;

        if (cancel_up(run->a)) {
            abort_flight(run, SW_ECANCELED);
            end_rest(run, SW_ECANCELED);
            return 0;
        }
        wake = sw_mono_now() + SW_AWS_BATCH_TICK_MS;
        r = start_ready(run, &wake);
        if (r < 0)
            return r;
        if (run->nflight == 0 && (run->left == 0 || yield_up(run->a))) {
            end_rest(run, SW_ECANCELED);
            return 0;
        }
        if (run->nflight > 0) {
            mc = curl_multi_perform(run->multi, &running);
            if (mc != CURLM_OK)
                return curl_fail("curl_multi_perform", mc);
            if (reap(run) > 0)
                wake = 0; /* slots are free: start the next at once */
        }
        now = sw_mono_now();
        if (o && (o->tick || o->progress) &&
            now - last_tick >= SW_AWS_BATCH_TICK_MS) {
            if (o->progress)
                o->progress(o->progress_arg, run->njobs - run->left,
                            run->njobs);
            if (o->tick)
                o->tick(o->tick_arg);
            now = sw_mono_now();
            last_tick = now;
        }
        if (last_tick + SW_AWS_BATCH_TICK_MS < wake)
            wake = last_tick + SW_AWS_BATCH_TICK_MS;
        ms = wake > now ? (long)(wake - now) : 0;
        if (ms == 0)
            continue;
        /* With nothing in flight (all waiting for a backoff or the rate
         * limit) this still waits the whole time. */
        mc = curl_multi_poll(run->multi, NULL, 0, (int)ms, NULL);
        if (mc != CURLM_OK)
            return curl_fail("curl_multi_poll", mc);
    }
}

int
sw_aws_batch_run(struct sw_aws *a, struct sw_aws_batch_req *reqs, size_t n,
                 const struct sw_aws_batch_opts *o)
{
    struct run run;
    sw_mono_ms t0 = sw_mono_now();
    size_t conc, failed = 0;
    int r;

    if (!a || (n > 0 && !reqs) || (a->pool && a->pool->running))
        return SW_EINVAL;
    memset(&run, 0, sizeof(run));
    run.a = a;
    for (size_t i = 0; i < n; i++) {
        struct sw_aws_batch_req *q = &reqs[i];

        q->result = 0;
        q->attempts = 0;
        memset(&q->err, 0, sizeof(q->err));
        sw_buf_init(&q->reply, q->max_reply ? q->max_reply : SW_HTTP_MAX_BODY);
    }
    if (n == 0)
        return 0;
    conc = o && o->concurrency > 0 ? (size_t)o->concurrency
                                   : SW_AWS_BATCH_CONCURRENCY;
    if (conc > SW_AWS_BATCH_MAX_CONCURRENCY)
        conc = SW_AWS_BATCH_MAX_CONCURRENCY;
    if (conc > n)
        conc = n;
    r = SW_ENOMEM;
    run.jobs = calloc(n, sizeof(*run.jobs));
    run.retry = calloc(n, sizeof(*run.retry));
    run.slots = calloc(conc, sizeof(*run.slots));
    if (!run.jobs || !run.retry || !run.slots)
        goto fail;
    r = pool_ready(a, conc);
    if (r < 0)
        goto fail;
    a->pool->running = 1;
    run.multi = a->pool->multi;
    run.nslots = conc;
    for (size_t i = 0; i < conc; i++) {
        run.slots[i].h = a->pool->h[i];
        sw_http_resp_init(&run.slots[i].resp);
    }
    run.njobs = n;
    run.left = n;
    for (size_t i = 0; i < n; i++) {
        struct sw_aws_batch_req *q = &reqs[i];

        run.jobs[i].req = q;
        /* What sw_aws_call() refuses before sending refuses here too. */
        r = sw_aws_call_checks(a, q->svc, q->proto, q->op, q->body, q->len,
                               &q->err);
        if (r < 0)
            job_done(&run, &run.jobs[i], r, 0);
    }

    r = drive(&run, o);
    if (r < 0) {
        abort_flight(&run, r);
        end_rest(&run, r);
    }
    if (o && o->progress)
        o->progress(o->progress_arg, n, n);
    for (size_t i = 0; i < n; i++)
        failed += reqs[i].result != 0;
    sw_log_debug("aws: batch of %zu calls: %zu failed, %zu in flight at "
                 "most, %lld ms",
                 n, failed, run.most, (long long)(sw_mono_now() - t0));
    a->pool->running = 0;
    for (size_t i = 0; i < conc; i++)
        sw_http_resp_release(&run.slots[i].resp);
    goto out;
fail:
    for (size_t i = 0; i < n; i++) {
        reqs[i].result = r;
        sw_strlcpy(reqs[i].err.message, sw_strerror(r),
                   sizeof(reqs[i].err.message));
    }
out:
    free(run.jobs);
    free(run.retry);
    free(run.slots);
    return r;
}
