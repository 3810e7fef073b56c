/* aws/client.c - signed, retried AWS calls; see client.h.
 *
 * struct sw_aws and its construction (region, endpoints, retry settings,
 * the credential chain with the AssumeRole callback below), and the
 * call/retry loop: send, judge the reply, fix the clock or the
 * credentials, back off, give up.  Building and signing a request is in
 * aws/client_sign.c, reading an error reply in aws/client_error.c
 * (aws/client_priv.h says what each part does).
 */
#include "config.h"

#include "aws/client.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "aws/client_priv.h"
#include "aws/credentials.h"
#include "aws/creds.h"
#include "aws/endpoint.h"
#include "aws/http.h"
#include "aws/profile.h"
#include "aws/retry.h"
#include "aws/sts.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/str.h"

#define SLEEP_SLICE_MS 100 /* cancel-flag poll period */

/* ---- small helpers ---- */

static const char *
env_nonempty(const char *name)
{
    const char *v = getenv(name);

    return v && *v ? v : NULL;
}

/* ---- construction ---- */

static const char *
env_cb(const char *name, void *arg)
{
    (void)arg;
    return getenv(name);
}

static const char *
profile_cb(const char *service, const char *key, void *arg)
{
    const struct sw_profile *p = arg;

    if (!p)
        return NULL;
    return service ? sw_profile_service_get(p, service, key)
                   : sw_profile_get(p, key);
}

static void
seed_rng(struct sw_aws *a)
{
    uint64_t s = 0;

    /* Jitter only has to differ between agents started together, but
     * getrandom() is cheap and avoids any thought about it. */
    if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s))
        s = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
            (uint64_t)(uintptr_t)a;
    a->rng = s ? s : 0x9e3779b97f4a7c15ull;
}

double
sw_aws_rand01(struct sw_aws *a)
{
    uint64_t x = a->rng;

    if (a->rand_fn)
        return a->rand_fn(a->rand_arg);
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    a->rng = x;
    return (double)((x * 0x2545f4914f6cdd1dull) >> 11) * 0x1.0p-53;
}

static sw_creds_assume_fn assume_role;

static int
setup_endpoint(struct sw_aws *a, enum sw_aws_service svc,
               const struct sw_endpoint_src *src, char *err, size_t errlen)
{
    struct sw_url_parts parts;
    char url[sizeof(a->url[0])];
    const char *origin = NULL;
    size_t pl;
    int r, n;

    r = sw_endpoint_resolve(svc, a->region, src, a->endpoint[svc],
                            sizeof(a->endpoint[svc]), &origin, err, errlen);
    if (r < 0)
        return r;
    r = sw_endpoint_split_url(a->endpoint[svc], &parts, NULL, 0);
    if (r == 0)
        r = sw_endpoint_host_header(&parts, a->host[svc], sizeof(a->host[svc]));
    if (r < 0) {
        sw_err_set(err, errlen, "%s: endpoint URL '%s' cannot be used", origin,
                   a->endpoint[svc]);
        return SW_EINVAL;
    }
    /* Every operation is "POST /" under the endpoint's own path. */
    pl = strlen(parts.path);
    n = snprintf(a->path[svc], sizeof(a->path[svc]), "%s%s", parts.path,
                 pl && parts.path[pl - 1] == '/' ? "" : "/");
    if (n < 0 || (size_t)n >= sizeof(a->path[svc]))
        return SW_ETOOBIG;
    n = snprintf(url, sizeof(url), "%s%s", a->endpoint[svc],
                 pl && parts.path[pl - 1] == '/' ? "" : "/");
    if (n < 0 || (size_t)n >= sizeof(url))
        return SW_ETOOBIG;
    memcpy(a->url[svc], url, (size_t)n + 1);
    sw_log_debug("aws: %s endpoint %s (from %s)", sw_endpoint_signing_name(svc),
                 a->endpoint[svc], origin);
    return 0;
}

int
sw_aws_new(const struct sw_aws_opts *o, struct sw_aws **out, char *err,
           size_t errlen)
{
    static const struct sw_aws_opts defaults;
    struct sw_aws *a = NULL;
    struct sw_profile *prof = NULL;
    struct sw_endpoint_src src;
    struct sw_http_opts ho;
    const char *region;
    char perr[256];
    int r = SW_ENOMEM;

    *out = NULL;
    sw_err_set(err, errlen, "%s", "");
    if (!o)
        o = &defaults;
    a = calloc(1, sizeof(*a));
    if (!a) {
        sw_err_set(err, errlen, "out of memory");
        goto out;
    }
    perr[0] = '\0';
    r = sw_profile_load(o->profile, &prof, perr, sizeof(perr));
    if (r < 0) {
        sw_err_set(err, errlen, "%s", perr[0] ? perr : sw_strerror(r));
        r = r == SW_ENOMEM ? r : SW_EINVAL;
        goto out;
    }

    region = o->region && *o->region ? o->region : NULL;
    if (!region)
        region = env_nonempty("AWS_REGION");
    if (!region)
        region = env_nonempty("AWS_DEFAULT_REGION");
    if (!region && prof) {
        region = sw_profile_get(prof, "region");
        region = region && *region ? region : NULL;
    }
    if (!region) {
        sw_err_set(err, errlen,
                   "no AWS region: set aws.region, AWS_REGION or "
                   "region in the AWS profile");
        r = SW_EINVAL;
        goto out;
    }
    if (!sw_region_valid(region)) {
        char shown[SW_REGION_MAX + 1];
        sw_aws_text_copy(shown, sizeof(shown), region, strlen(region), 1);
        sw_err_set(err, errlen, "invalid AWS region '%s'", shown);
        r = SW_EINVAL;
        goto out;
    }
    sw_strlcpy(a->region, region, sizeof(a->region));
    a->partition = sw_endpoint_partition(a->region);

    memset(&src, 0, sizeof(src));
    src.config_endpoint = o->endpoint;
    src.env = env_cb;
    src.profile = prof ? profile_cb : NULL;
    src.profile_arg = prof;
    for (int s = 0; s < SW_SVC_COUNT; s++) {
        r = setup_endpoint(a, (enum sw_aws_service)s, &src, err, errlen);
        if (r < 0) {
            r = SW_EINVAL;
            goto out;
        }
    }

    r = sw_retry_max_attempts(o->max_attempts, getenv("AWS_MAX_ATTEMPTS"),
                              &a->max_attempts);
    if (r < 0) {
        sw_err_set(err, errlen, "%s: max attempts must be 1 to %d",
                   o->max_attempts ? "aws" : "AWS_MAX_ATTEMPTS",
                   SW_RETRY_MAX_ATTEMPTS);
        r = SW_EINVAL;
        goto out;
    }
    sw_retry_quota_init(&a->quota);
    seed_rng(a);

    if (o->max_rps < 0 || o->max_rps > SW_RATELIMIT_MAX) {
        sw_err_set(err, errlen, "max requests per second must be 0 to %d",
                   SW_RATELIMIT_MAX);
        r = SW_EINVAL;
        goto out;
    }
    if (o->max_rps > 0) {
        r = sw_ratelimit_new(o->max_rps, &a->rl);
        if (r < 0) {
            sw_err_set(err, errlen, "out of memory");
            goto out;
        }
    }

    /* Kept for aws/batch's handles, which follow the same rules. */
    if (o->ca_file) {
        a->ca_file = sw_strdup(o->ca_file);
        if (!a->ca_file) {
            r = SW_ENOMEM;
            sw_err_set(err, errlen, "out of memory");
            goto out;
        }
    }
    memset(&ho, 0, sizeof(ho));
    ho.connect_timeout_ms = o->connect_timeout_ms;
    ho.timeout_ms = o->request_timeout_ms;
    ho.ca_file = a->ca_file;
    a->http_opts = ho;
    r = sw_http_new(&ho, &a->http);
    if (r < 0) {
        sw_err_set(err, errlen,
                   r == SW_EINVAL ? "CA bundle cannot be read"
                                  : "cannot create HTTP handle");
        goto out;
    }
    r = sw_creds_provider_new(o->profile, assume_role, a, &a->creds);
    if (r < 0) {
        sw_err_set(err, errlen, "cannot create the credential chain: %s",
                   sw_strerror(r));
        goto out;
    }
    sw_log_debug("aws: region %s, partition %s, %d attempts per call, "
                 "CloudWatch at most %d requests a second (0: no limit)",
                 a->region, a->partition->id, a->max_attempts,
                 a->rl ? sw_ratelimit_max(a->rl) : 0);
    *out = a;
    a = NULL;
    r = 0;
out:
    sw_profile_free(prof);
    sw_aws_free(a);
    return r;
}

void
sw_aws_free(struct sw_aws *a)
{
    if (!a)
        return;
    /* The provider holds a pointer back to us (its AssumeRole callback):
     * it goes first. */
    sw_creds_provider_free(a->creds);
    sw_aws_pool_free(a->pool);
    sw_http_free(a->http);
    sw_ratelimit_free(a->rl);
    free(a->ca_file);
    free(a);
}

const char *
sw_aws_region(const struct sw_aws *a)
{
    return a->region;
}

const char *
sw_aws_endpoint(const struct sw_aws *a, enum sw_aws_service svc)
{
    if ((int)svc < 0 || svc >= SW_SVC_COUNT)
        return NULL;
    return a->endpoint[svc];
}

const char *
sw_aws_partition(const struct sw_aws *a)
{
    return a->partition->id;
}

void
sw_aws_set_wall_clock(struct sw_aws *a, time_t (*fn)(void))
{
    a->wall = fn;
}

void
sw_aws_set_rand(struct sw_aws *a, double (*fn)(void *arg), void *arg)
{
    a->rand_fn = fn;
    a->rand_arg = arg;
}

long
sw_aws_clock_offset(const struct sw_aws *a)
{
    return a->clock_offset;
}

void
sw_aws_set_cancel_flag(struct sw_aws *a, volatile sig_atomic_t *flag)
{
    a->cancel = flag;
    sw_http_set_cancel_flag(a->http, flag);
    sw_creds_set_cancel_flag(a->creds, flag);
}

void
sw_aws_set_yield_flag(struct sw_aws *a, volatile sig_atomic_t *flag)
{
    a->yield = flag;
}

/* ---- one call ---- */

static void turn_sent(void *arg);

int
sw_aws_http_start(struct sw_aws *a, struct sw_http *h,
                  const struct sw_creds *cr, enum sw_aws_service svc,
                  enum sw_aws_proto proto, const char *op, const char *body,
                  size_t body_len, size_t max_body, struct sw_aws_turn *turn,
                  struct sw_http_resp *resp)
{
    struct sw_aws_signed sr;
    struct sw_http_req req;
    int r;

    r = sw_aws_sign(a, cr, sw_aws_signing_now(a), svc, proto, op, body,
                    body_len, &sr);
    if (r < 0)
        goto out;
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.url = a->url[svc];
    req.headers = sr.h;
    req.nheaders = sr.n;
    req.body = body;
    req.body_len = body_len;
    req.max_body = max_body;
    req.on_send = turn_sent;
    req.on_send_arg = turn;
    /* The header lines are copied: SR may go. */
    r = sw_http_start(h, &req, resp);
out:
    sw_aws_signed_release(&sr);
    return r;
}

/* After any reply: the JS SDK's rule.  If the server's Date is 5 minutes
 * or more away from our corrected clock, adopt the server's clock.
 * Returns 1 when the offset changed. */
static int
update_skew(struct sw_aws *a, const char *date)
{
    time_t server, now;
    long diff;

    if (!date || sw_time_parse_http(date, &server) < 0)
        return 0;
    now = sw_aws_wall_now(a);
    diff = (long)(server - (now + (time_t)a->clock_offset));
    if (diff > -SW_RETRY_SKEW_LIMIT_S && diff < SW_RETRY_SKEW_LIMIT_S)
        return 0;
    a->clock_offset = (long)(server - now);
    sw_log_warn("aws: local clock is %+ld s off the server's Date; signing "
                "with a corrected clock",
                -a->clock_offset);
    return 1;
}

/* What one attempt came to, for sw_aws_call() and sw_aws_observe() alike:
 * the skew check on the reply's Date, ERR's status, code and message
 * (TRANSPORT < 0: no usable reply, TRANSPORT_MSG says why), and the retry
 * class.  ERR->request_id is set only from an error body. */
static enum sw_retry_class
judge_reply(struct sw_aws *a, enum sw_aws_proto proto, int transport,
            const char *transport_msg, long status, const char *date,
            const char *query_error, const char *body, size_t len,
            struct sw_aws_error *err)
{
    struct sw_retry_outcome oc;
    int skew_seen = 0;

    if (status > 0)
        skew_seen = update_skew(a, date);
    err->http_status = status;
    err->code[0] = '\0';
    err->request_id[0] = '\0';
    err->message[0] = '\0';
    if (transport < 0) {
        sw_aws_text_copy(err->message, sizeof(err->message),
                         transport_msg ? transport_msg : "", SIZE_MAX, 0);
        if (!err->message[0])
            sw_strlcpy(err->message, sw_strerror(transport),
                       sizeof(err->message));
    } else if (status < 200 || status >= 300) {
        (void)sw_aws_parse_error(proto, status, query_error, body, len, err);
    }
    memset(&oc, 0, sizeof(oc));
    oc.transport = transport < 0 ? transport : 0;
    oc.status = status;
    oc.code = err->code;
    oc.message = err->message;
    oc.skew_seen = skew_seen;
    return sw_retry_classify(&oc);
}

/* A stop cancels everything, the transfer in flight included; a yield
 * (the agent's reload) lets the transfer in flight finish but starts no
 * other attempt and no backoff sleep. */
static int
stopping(const struct sw_aws *a)
{
    return (a->cancel && *a->cancel) || (a->yield && *a->yield);
}

/* Sleep MS milliseconds in short slices, checking the cancel flag: the
 * agent blocks its signals outside ppoll, so a signal cannot be relied on
 * to interrupt nanosleep here.  Returns 0 or SW_ECANCELED. */
static int
backoff_sleep(struct sw_aws *a, long ms)
{
    sw_mono_ms deadline = sw_mono_now() + ms;

    for (;;) {
        sw_mono_ms left = deadline - sw_mono_now();
        struct timespec ts;

        if (left <= 0)
            break;
        if (stopping(a))
            return SW_ECANCELED;
        if (left > SLEEP_SLICE_MS)
            left = SLEEP_SLICE_MS;
        ts.tv_sec = (time_t)(left / 1000);
        ts.tv_nsec = (long)(left % 1000) * 1000000L;
        /* EINTR: the loop recomputes what is left. */
        (void)nanosleep(&ts, NULL);
    }
    return stopping(a) ? SW_ECANCELED : 0;
}

static void
log_retry(const char *op, const struct sw_aws_error *e, const char *what, int n,
          int of, long delay_ms)
{
    if (e->code[0])
        sw_log_info("aws: %s: %s: %s; retry %d of %d in %.1f s", op, e->code,
                    e->message, n, of, (double)delay_ms / 1000.0);
    else
        sw_log_info("aws: %s: %s: %s; retry %d of %d in %.1f s", op, what,
                    e->message, n, of, (double)delay_ms / 1000.0);
}

long
sw_aws_rate_wait(const struct sw_aws *a, enum sw_aws_service svc,
                 sw_mono_ms now)
{
    if (svc != SW_SVC_MONITORING || !a->rl)
        return 0;
    return sw_ratelimit_wait_ms(a->rl, now);
}

void
sw_aws_turn_begin(struct sw_aws *a, enum sw_aws_service svc,
                  struct sw_aws_turn *t)
{
    t->a = a;
    t->svc = svc;
    t->reserved = svc == SW_SVC_MONITORING && a->rl;
    if (t->reserved)
        sw_ratelimit_reserve(a->rl);
}

/* aws/http's on_send hook: the request goes on the wire now.  A second
 * send of the same attempt (curl retrying on a fresh connection) counts
 * too: the service sees it. */
static void
turn_sent(void *arg)
{
    struct sw_aws_turn *t = arg;

    if (!t || !t->a || t->svc != SW_SVC_MONITORING || !t->a->rl)
        return;
    if (t->reserved)
        sw_ratelimit_take_reserved(t->a->rl, sw_mono_now());
    else
        sw_ratelimit_take(t->a->rl, sw_mono_now());
    t->reserved = 0;
}

void
sw_aws_turn_end(struct sw_aws_turn *t)
{
    if (t->reserved && t->a->rl)
        sw_ratelimit_unreserve(t->a->rl);
    t->reserved = 0;
}

/* A throttling reply from SVC: CloudWatch's rate limit goes down. */
static void
rate_throttled(struct sw_aws *a, enum sw_aws_service svc)
{
    sw_mono_ms now = sw_mono_now();
    int before, after;

    if (svc != SW_SVC_MONITORING || !a->rl)
        return;
    before = sw_ratelimit_limit(a->rl, now);
    sw_ratelimit_throttled(a->rl, now);
    after = sw_ratelimit_limit(a->rl, now);
    if (after < before)
        sw_log_warn("aws: CloudWatch is throttling: at most %d requests a "
                    "second for a while (configured: %d)",
                    after, sw_ratelimit_max(a->rl));
}

/* Wait for the rate limit's turn for an attempt to SVC, in short slices
 * like the backoff sleep.  Returns 0 or SW_ECANCELED. */
static int
rate_sleep(struct sw_aws *a, enum sw_aws_service svc)
{
    long wait;
    int r;

    while ((wait = sw_aws_rate_wait(a, svc, sw_mono_now())) > 0) {
        r = backoff_sleep(a, wait);
        if (r < 0)
            return r;
    }
    return 0;
}

enum sw_aws_next
sw_aws_attempt_done(struct sw_aws *a, struct sw_aws_attempt *st,
                    const struct sw_creds *fixed, enum sw_aws_service svc,
                    enum sw_aws_proto proto, const char *op, int transport,
                    struct sw_http_resp *resp, struct sw_buf *reply,
                    struct sw_aws_error *err, long *delay_ms, int *result)
{
    enum sw_retry_class cls;
    const char *rid;
    int attempt, r;

    *result = 0;
    *delay_ms = 0;
    if (transport < 0 && transport != SW_ETIMEDOUT && transport != SW_EHTTP &&
        transport != SW_ETOOBIG && transport != SW_ECANCELED) {
        /* Nothing was sent: signing failed or the request was bad. */
        *result = transport;
        if (!err->message[0])
            sw_err_set(err->message, sizeof(err->message),
                       "cannot build the request: %s", sw_strerror(transport));
        return SW_AWS_NEXT_DONE;
    }
    st->sent++;
    err->attempts = st->sent;
    attempt = st->sent - st->extra;
    cls = judge_reply(a, proto, transport, resp->error, resp->status,
                      sw_http_resp_header(resp, "date"),
                      sw_http_resp_header(resp, "x-amzn-query-error"),
                      resp->body.data, resp->body.len, err);
    rid = sw_http_resp_header(resp, "x-amzn-requestid");
    if (!rid)
        rid = sw_http_resp_header(resp, "x-amz-request-id");
    if (rid)
        sw_aws_code_copy(err->request_id, sizeof(err->request_id), rid,
                         strlen(rid));

    if (cls == SW_RETRY_SUCCESS) {
        sw_retry_quota_success(&a->quota, st->last_cost);
        if (reply) {
            sw_buf_reset(reply);
            r = sw_buf_add(reply, resp->body.data ? resp->body.data : "",
                           resp->body.len);
            if (r < 0) {
                sw_err_set(err->message, sizeof(err->message),
                           "reply of %zu bytes over the caller's cap",
                           resp->body.len);
                *result = r;
            }
        }
        return SW_AWS_NEXT_DONE;
    }
    if (cls == SW_RETRY_THROTTLE)
        rate_throttled(a, svc);
    /* Clock skew and an expired token are fixed by us, not by waiting:
     * one immediate extra attempt each, outside the attempt budget. */
    if (cls == SW_RETRY_SKEW && !st->skew_retried) {
        st->skew_retried = 1;
        st->extra++;
        sw_log_info("aws: %s: %s: %s; clock offset %+ld s, retrying now", op,
                    err->code, err->message, a->clock_offset);
        return SW_AWS_NEXT_NOW;
    }
    if (cls == SW_RETRY_EXPIRED_TOKEN && !fixed && !st->token_retried) {
        st->token_retried = 1;
        st->extra++;
        sw_creds_invalidate(a->creds);
        sw_log_info("aws: %s: %s: %s; refreshing credentials, retrying now", op,
                    err->code, err->message);
        return SW_AWS_NEXT_NOW;
    }
    if ((cls == SW_RETRY_THROTTLE || cls == SW_RETRY_TRANSIENT) &&
        attempt < a->max_attempts) {
        int cost;

        cost = sw_retry_quota_acquire(&a->quota, transport == SW_ETIMEDOUT);
        if (cost > 0) {
            st->last_cost = cost;
            *delay_ms = sw_retry_backoff_ms(attempt, sw_aws_rand01(a));
            log_retry(op, err, sw_strerror(transport), attempt,
                      a->max_attempts - 1, *delay_ms);
            return SW_AWS_NEXT_BACKOFF;
        }
        sw_log_info("aws: %s: retry quota exhausted, not retrying", op);
    }
    /* Final. */
    if (transport < 0)
        *result = transport;
    else if (cls == SW_RETRY_THROTTLE)
        *result = SW_ETHROTTLED;
    else if (sw_retry_is_auth_code(err->code) || resp->status == 401)
        *result = SW_EAUTH;
    else
        *result = SW_EAWS;
    return SW_AWS_NEXT_DONE;
}

/* The call/retry loop; *CREDS_FAILED is set when it ended because no
 * credentials could be had, whatever code the chain returned for it. */
static int
call_loop(struct sw_aws *a, const struct sw_creds *fixed,
          enum sw_aws_service svc, enum sw_aws_proto proto, const char *op,
          const char *body, size_t body_len, struct sw_buf *reply,
          struct sw_aws_error *err, int *creds_failed)
{
    struct sw_aws_attempt st;
    struct sw_aws_turn turn;
    struct sw_http_resp resp;
    int r;

    memset(err, 0, sizeof(*err));
    memset(&st, 0, sizeof(st));
    sw_http_resp_init(&resp);
    r = sw_aws_call_checks(a, svc, proto, op, body, body_len, err);
    if (r < 0)
        goto out;
    for (;;) {
        const struct sw_creds *cr;
        int transport;
        long delay;

        if (stopping(a)) {
            sw_strlcpy(err->message, "canceled", sizeof(err->message));
            r = SW_ECANCELED;
            goto out;
        }
        r = sw_aws_signing_creds(a, fixed, &cr, err->message,
                                 sizeof(err->message));
        if (r < 0) {
            *creds_failed = r != SW_ECANCELED;
            goto out;
        }
        /* Every attempt takes its turn, retries included: they load the
         * service as much as first tries. */
        r = rate_sleep(a, svc);
        if (r < 0) {
            sw_strlcpy(err->message, "canceled", sizeof(err->message));
            goto out;
        }
        sw_aws_turn_begin(a, svc, &turn);
        /* The caller's reply cap is the wire cap too: the handle's default
         * (SW_HTTP_MAX_BODY) would let an STS reply grow past its 256 KiB
         * and cut a DescribeAlarms page short of its 16 MiB. */
        transport =
            sw_aws_http_start(a, a->http, cr, svc, proto, op, body, body_len,
                              reply ? reply->cap : 0, &turn, &resp);
        if (transport == 0)
            transport = sw_http_perform(a->http, &resp);
        sw_aws_turn_end(&turn);
        switch (sw_aws_attempt_done(a, &st, fixed, svc, proto, op, transport,
                                    &resp, reply, err, &delay, &r)) {
        case SW_AWS_NEXT_NOW: continue;
        case SW_AWS_NEXT_BACKOFF:
            r = backoff_sleep(a, delay);
            if (r < 0)
                goto out;
            continue;
        case SW_AWS_NEXT_DONE:
        default: goto out;
        }
    }
out:
    sw_http_resp_release(&resp);
    return r;
}

void
sw_aws_tell(struct sw_aws *a, const char *op, int result, int creds_failed,
            int attempts)
{
    if (a && a->observer)
        a->observer(a->observer_arg, op ? op : "",
                    creds_failed ? "credentials" : sw_aws_outcome(result),
                    attempts > 1 ? attempts - 1 : 0);
}

/* call_loop() and one report to the observer: every way out of a call
 * passes here once. */
static int
call(struct sw_aws *a, const struct sw_creds *fixed, enum sw_aws_service svc,
     enum sw_aws_proto proto, const char *op, const char *body, size_t body_len,
     struct sw_buf *reply, struct sw_aws_error *err)
{
    int creds_failed = 0, r;

    r = call_loop(a, fixed, svc, proto, op, body, body_len, reply, err,
                  &creds_failed);
    sw_aws_tell(a, op, r, creds_failed, err->attempts);
    return r;
}

void
sw_aws_set_observer(struct sw_aws *a, sw_aws_observer_fn fn, void *arg)
{
    a->observer = fn;
    a->observer_arg = arg;
}

const char *
sw_aws_outcome(int result)
{
    switch (result) {
    case 0: return "success";
    case SW_EAWS: return "error";
    case SW_ETHROTTLED: return "throttled";
    case SW_ETIMEDOUT: return "timeout";
    case SW_EHTTP: return "network";
    case SW_EAUTH:
    case SW_ECREDS: return "credentials";
    case SW_ECANCELED: return "canceled";
    default: return "other";
    }
}

void
sw_aws_report(struct sw_aws *a, const char *op, int result, int retries)
{
    if (a && a->observer)
        a->observer(a->observer_arg, op ? op : "", sw_aws_outcome(result),
                    retries > 0 ? retries : 0);
}

int
sw_aws_call(struct sw_aws *a, enum sw_aws_service svc, enum sw_aws_proto proto,
            const char *op, const char *body, size_t body_len,
            struct sw_buf *reply, struct sw_aws_error *err)
{
    return call(a, NULL, svc, proto, op, body, body_len, reply, err);
}

int
sw_aws_call_with_creds(struct sw_aws *a, const struct sw_creds *creds,
                       enum sw_aws_service svc, enum sw_aws_proto proto,
                       const char *op, const char *body, size_t body_len,
                       struct sw_buf *reply, struct sw_aws_error *err)
{
    if (!creds) {
        memset(err, 0, sizeof(*err));
        sw_strlcpy(err->message, "no credentials given", sizeof(err->message));
        return SW_ECREDS;
    }
    return call(a, creds, svc, proto, op, body, body_len, reply, err);
}

/* ---- AssumeRole for the credential chain ---- */

/* sts_send - aws/sts's transport: the AssumeRole form signed with the
 * source profile's keys, through this client's retries, never through
 * the chain being resolved. */
static int
sts_send(void *arg, const struct sw_creds *source, const char *body, size_t len,
         struct sw_buf *reply, char *err, size_t errlen)
{
    struct sw_aws_error e;
    int r;

    r = call(arg, source, SW_SVC_STS, SW_PROTO_QUERY, "AssumeRole", body, len,
             reply, &e);
    if (r < 0 && e.code[0])
        sw_err_set(err, errlen, "%s%s%s", e.code, e.message[0] ? ": " : "",
                   e.message);
    else if (r < 0)
        sw_err_set(err, errlen, "%s", e.message);
    return r;
}

/* assume_role - the chain's sw_creds_assume_fn (ARG: this client).  The
 * chain runs inside call() or sw_aws_prepare() before a request is signed,
 * when the HTTP handle is idle, so the STS request can use it. */
static int
assume_role(void *arg, const struct sw_creds *source,
            const struct sw_creds_role *role, struct sw_creds *out, char *err,
            size_t errlen)
{
    return sw_sts_assume_role(sts_send, arg, source, role, out, err, errlen);
}

int
sw_aws_observe(struct sw_aws *a, long status, const char *date_header,
               const char *body, size_t len, enum sw_aws_proto proto,
               struct sw_aws_error *err)
{
    enum sw_retry_class cls;

    if (!a || !err)
        return SW_EINVAL;
    memset(err, 0, sizeof(*err));
    err->attempts = 1;
    if (len > 0 && !body)
        len = 0;
    cls = judge_reply(a, proto, status > 0 ? 0 : SW_EHTTP, "no HTTP reply",
                      status, date_header, NULL, body, len, err);
    /* Nothing retries at once here (the caller's outbox waits), so the
     * next attempt must start from fresh credentials: after an expired
     * token, and after a refused identity (a rotated key, a restarted
     * credential_process) as well. */
    if (cls == SW_RETRY_EXPIRED_TOKEN || sw_retry_is_auth_code(err->code))
        sw_creds_invalidate(a->creds);
    return (int)cls;
}
