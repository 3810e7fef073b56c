/* agent/heartbeat.c - agent.heartbeat_url pings; see heartbeat.h. */
#include "config.h"

#include "agent/heartbeat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "agent/conf.h"
#include "agent/runtime.h"
#include "agent/store.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/str.h"
#include "rules/rule.h"

#define SLICE_MS    100 /* cancel-flag poll period, as the dispatcher's */
#define MAX_REPLY   (64 * 1024)
#define ORIGIN_LEN  320 /* "https://" + a 255-byte host + ":65535" */
#define SUMMARY_LEN 512
/* curl's own timeout ends a ping; this only guards against it not doing
 * so, since a ping that never settles would never be replaced cleanly. */
#define GUARD_MS   2000
#define USER_AGENT "streamwatch/" PACKAGE_VERSION

struct sw_heartbeat {
    CURLM *multi;
    struct curl_slist *headers;
    long timeout_ms;
    long connect_timeout_ms;
    volatile sig_atomic_t *cancel; /* borrowed */
    /* the ping in flight */
    CURL *easy;   /* NULL when idle */
    char *url;    /* the URL it went to: the secret, never logged */
    int fail;     /* a URL/fail ping */
    int capped;   /* the reply outgrew MAX_REPLY and was cut off */
    size_t reply; /* reply bytes read (and dropped) */
    sw_mono_ms started;
    char origin[ORIGIN_LEN];
    char errbuf[CURL_ERROR_SIZE];
    /* since the last answered ping */
    unsigned long failing;
    int abandon_warned;
    struct sw_heartbeat_stats st;
};

/* ---- pure parts ---- */

/* The end of URL's authority (the first '/', '?' or '#' after "://"), or
 * NULL without "://". */
static const char *
authority_end(const char *url)
{
    const char *a = strstr(url, "://");

    if (!a || a == url)
        return NULL;
    a += 3;
    return a + strcspn(a, "/?#");
}

int
sw_heartbeat_origin(const char *url, char *buf, size_t len)
{
    const char *end = authority_end(url);
    size_t n;

    if (!end)
        return SW_EINVAL;
    n = (size_t)(end - url);
    if (n >= len)
        return SW_ETOOBIG;
    memcpy(buf, url, n);
    buf[n] = '\0';
    return 0;
}

int
sw_heartbeat_fail_url(const char *url, char *buf, size_t len)
{
    const char *end = authority_end(url), *tail;
    size_t plen, tlen;

    if (!end)
        return SW_EINVAL;
    /* The path ends at the query or the fragment, whichever comes first:
     * a '?' inside the fragment is the fragment's. */
    tail = end + strcspn(end, "?#");
    plen = (size_t)(tail - url);
    if (tail > end && tail[-1] == '/')
        plen--;
    tlen = strlen(tail);
    if (plen + 5 + tlen >= len)
        return SW_ETOOBIG;
    memcpy(buf, url, plen);
    /* The NUL comes with TAIL, copied next.
     * NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
    memcpy(buf + plen, "/fail", 5);
    memcpy(buf + plen + 5, tail, tlen + 1);
    return 0;
}

int
sw_heartbeat_failed(const struct sw_heartbeat_report *rep)
{
    return rep->error != 0 || rep->discover_failed ||
           (rep->st && rep->st->fetch_failures > 0);
}

int
sw_heartbeat_summary(const struct sw_heartbeat_report *rep, char *buf,
                     size_t len)
{
    const struct sw_cycle_stats *st = rep->st;
    size_t n = 0;
    int w;

#define ADD(...)                                                               \
    do {                                                                       \
        w = snprintf(buf + n, len - n, __VA_ARGS__);                           \
        if (w < 0 || (size_t)w >= len - n)                                     \
            return SW_ETOOBIG;                                                 \
        n += (size_t)w;                                                        \
    } while (0)

    if (len == 0)
        return SW_ETOOBIG;
    buf[0] = '\0';
    ADD("streamwatch %s: ", rep->agent ? rep->agent : "streamwatch");
    if (st)
        ADD("%d alarm%s evaluated, %d fetch failure%s, ", st->alarms,
            st->alarms == 1 ? "" : "s", st->fetch_failures,
            st->fetch_failures == 1 ? "" : "s");
    ADD("%d in ALARM, ", rep->in_alarm);
    if (st)
        ADD("%d blind, ", st->blind);
    ADD("cycle %.2f s",
        (double)(rep->cycle_ms > 0 ? rep->cycle_ms : 0) / 1000.0);
    if (rep->discover_failed)
        ADD(", discovery failed");
    if (rep->error)
        ADD(", cycle failed: %s", sw_strerror(rep->error));
#undef ADD
    return (int)n;
}

/* ---- the transfer ---- */

/* The reply only matters by its status; read it so the server is not left
 * hanging, keep nothing, and stop at MAX_REPLY. */
static size_t
on_reply(char *p, size_t size, size_t nmemb, void *arg)
{
    struct sw_heartbeat *hb = arg;
    size_t n = size * nmemb;

    (void)p;
    hb->reply += n;
    if (hb->reply > MAX_REPLY) {
        hb->capped = 1;
        return 0; /* CURLE_WRITE_ERROR, judged in settle() */
    }
    return n;
}

static const char *
kind(const struct sw_heartbeat *hb)
{
    return hb->fail ? "fail ping" : "ping";
}

static void
drop(struct sw_heartbeat *hb)
{
    if (hb->easy) {
        curl_multi_remove_handle(hb->multi, hb->easy);
        curl_easy_cleanup(hb->easy);
        hb->easy = NULL;
    }
    free(hb->url);
    hb->url = NULL;
}

/* Whether curl's error text TEXT quotes any of the URL's secret part (the
 * path, query or fragment). */
static int
quotes_secret(const struct sw_heartbeat *hb, const char *text)
{
    const char *rest = authority_end(hb->url);
    char path[1024];
    size_t n;

    if (!rest)
        return strstr(text, hb->url) != NULL;
    n = strcspn(rest, "?#");
    if (strlen(rest) > 1 && strstr(text, rest))
        return 1;
    if (n > 1 && n < sizeof(path)) {
        memcpy(path, rest, n);
        path[n] = '\0';
        if (strstr(text, path))
            return 1;
    }
    return 0;
}

static void
settle(struct sw_heartbeat *hb, CURLcode cc)
{
    sw_mono_ms took = sw_mono_now() - hb->started;
    char why[CURL_ERROR_SIZE + 64];
    long status = 0;

    if (curl_easy_getinfo(hb->easy, CURLINFO_RESPONSE_CODE, &status) !=
        CURLE_OK)
        status = 0;
    /* A reply cut off by our own cap still carried its status. */
    if ((cc == CURLE_OK || (cc == CURLE_WRITE_ERROR && hb->capped)) &&
        status >= 200 && status < 300) {
        hb->st.ok++;
        sw_log_debug("heartbeat: %s to %s: HTTP %ld in %lld ms", kind(hb),
                     hb->origin, status, (long long)took);
        if (hb->failing)
            sw_log_info(
                "heartbeat: %s answers again, after %lu ping(s) failed or "
                "abandoned",
                hb->origin, hb->failing);
        hb->failing = 0;
        hb->abandon_warned = 0;
        drop(hb);
        return;
    }
    if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && hb->capped)) {
        const char *text = hb->errbuf[0] ? hb->errbuf : curl_easy_strerror(cc);

        if (quotes_secret(hb, text))
            text = curl_easy_strerror(cc);
        sw_err_set(why, sizeof(why), "%s", text);
    } else if (status >= 300 && status < 400) {
        sw_err_set(why, sizeof(why), "HTTP %ld (redirects are not followed)",
                   status);
    } else {
        sw_err_set(why, sizeof(why), "HTTP %ld", status);
    }
    hb->st.failed++;
    hb->failing++;
    sw_log_warn("heartbeat: %s to %s failed after %lld ms: %s; not retried",
                kind(hb), hb->origin, (long long)took, why);
    drop(hb);
}

/* Drop the ping in flight as failed for WHAT: DETAIL.  The ping is not
 * kept: the loop would only fail on it again. */
static void
give_up(struct sw_heartbeat *hb, const char *what, const char *detail)
{
    hb->st.failed++;
    hb->failing++;
    sw_log_warn("heartbeat: %s to %s failed: %s: %s; not retried", kind(hb),
                hb->origin, what, detail);
    drop(hb);
}

/* One non-blocking pass: progress and settle.  Returns 0 or an SW_E*. */
static int
pass(struct sw_heartbeat *hb)
{
    CURLMcode mc;
    CURLMsg *m;
    int running = 0, q;

    if (!hb->easy)
        return 0;
    mc = curl_multi_perform(hb->multi, &running);
    if (mc != CURLM_OK) {
        give_up(hb, "curl_multi_perform", curl_multi_strerror(mc));
        return mc == CURLM_OUT_OF_MEMORY ? SW_ENOMEM : SW_EINTERNAL;
    }
    while ((m = curl_multi_info_read(hb->multi, &q)) != NULL)
        if (m->msg == CURLMSG_DONE && m->easy_handle == hb->easy) {
            settle(hb, m->data.result); /* M is invalid after this */
            break;
        }
    if (hb->easy && sw_mono_now() - hb->started > hb->timeout_ms + GUARD_MS)
        give_up(hb, "no answer", "timed out");
    return 0;
}

static int
cancelled(const struct sw_heartbeat *hb)
{
    return hb->cancel && *hb->cancel;
}

int
sw_heartbeat_run(struct sw_heartbeat *hb, long timeout_ms)
{
    sw_mono_ms t0 = sw_mono_now(), left;
    CURLMcode mc;
    int r;

    for (;;) {
        if (!hb || !hb->easy)
            return 0;
        if (cancelled(hb))
            return SW_ECANCELED;
        r = pass(hb);
        if (r < 0 || !hb->easy)
            return r;
        left = timeout_ms - (sw_mono_now() - t0);
        if (left <= 0)
            return 0;
        mc = curl_multi_poll(hb->multi, NULL, 0,
                             (int)(left < SLICE_MS ? left : SLICE_MS), NULL);
        if (mc != CURLM_OK) {
            give_up(hb, "curl_multi_poll", curl_multi_strerror(mc));
            return mc == CURLM_OUT_OF_MEMORY ? SW_ENOMEM : SW_EINTERNAL;
        }
    }
}

int
sw_heartbeat_in_flight(const struct sw_heartbeat *hb)
{
    return hb && hb->easy ? 1 : 0;
}

void
sw_heartbeat_abandon(struct sw_heartbeat *hb, const char *why)
{
    if (!hb || !hb->easy)
        return;
    sw_log_info("heartbeat: %s to %s abandoned after %lld ms (%s)", kind(hb),
                hb->origin, (long long)(sw_mono_now() - hb->started), why);
    hb->st.abandoned++;
    drop(hb);
}

/* A fresh handle for URL with the rules of heartbeat.h: no verbose
 * output, no redirects, verified TLS, http(s) only, short timeouts. */
static int
start(struct sw_heartbeat *hb, const char *url, const char *body)
{
    CURLcode c = CURLE_OK;
    CURLMcode mc;

    hb->easy = curl_easy_init();
    if (!hb->easy)
        return SW_ENOMEM;
    hb->errbuf[0] = '\0';
    hb->reply = 0;
    hb->capped = 0;
    c |= curl_easy_setopt(hb->easy, CURLOPT_VERBOSE, 0L);
    c |= curl_easy_setopt(hb->easy, CURLOPT_NOSIGNAL, 1L);
    c |= curl_easy_setopt(hb->easy, CURLOPT_SSL_VERIFYPEER, 1L);
    c |= curl_easy_setopt(hb->easy, CURLOPT_SSL_VERIFYHOST, 2L);
    c |= curl_easy_setopt(hb->easy, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    c |= curl_easy_setopt(hb->easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    c |= curl_easy_setopt(hb->easy, CURLOPT_PROTOCOLS,
                          (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    c |= curl_easy_setopt(hb->easy, CURLOPT_CONNECTTIMEOUT_MS,
                          hb->connect_timeout_ms);
    c |= curl_easy_setopt(hb->easy, CURLOPT_TIMEOUT_MS, hb->timeout_ms);
    c |= curl_easy_setopt(hb->easy, CURLOPT_URL, url);
    c |= curl_easy_setopt(hb->easy, CURLOPT_USERAGENT, USER_AGENT);
    c |= curl_easy_setopt(hb->easy, CURLOPT_HTTPHEADER, hb->headers);
    c |= curl_easy_setopt(hb->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    c |= curl_easy_setopt(hb->easy, CURLOPT_COPYPOSTFIELDS, body);
    c |= curl_easy_setopt(hb->easy, CURLOPT_WRITEFUNCTION, on_reply);
    c |= curl_easy_setopt(hb->easy, CURLOPT_WRITEDATA, hb);
    c |= curl_easy_setopt(hb->easy, CURLOPT_ERRORBUFFER, hb->errbuf);
    if (c != CURLE_OK) {
        curl_easy_cleanup(hb->easy);
        hb->easy = NULL;
        return SW_EINTERNAL;
    }
    mc = curl_multi_add_handle(hb->multi, hb->easy);
    if (mc != CURLM_OK) {
        curl_easy_cleanup(hb->easy);
        hb->easy = NULL;
        return mc == CURLM_OUT_OF_MEMORY ? SW_ENOMEM : SW_EINTERNAL;
    }
    hb->started = sw_mono_now();
    return 0;
}

int
sw_heartbeat_send(struct sw_heartbeat *hb, const char *url, int failed,
                  const char *body)
{
    size_t n = strlen(url) + sizeof("/fail");
    char *target = NULL;
    int r;

    /* A ping that finished since it was last driven is settled (and
     * logged) for what it was, not abandoned. */
    (void)pass(hb);
    if (hb->easy) {
        if (!hb->abandon_warned)
            sw_log_warn("heartbeat: %s to %s unanswered after %lld ms; "
                        "abandoned for the next one",
                        kind(hb), hb->origin,
                        (long long)(sw_mono_now() - hb->started));
        else
            sw_log_debug("heartbeat: %s to %s unanswered; abandoned", kind(hb),
                         hb->origin);
        hb->abandon_warned = 1;
        hb->st.abandoned++;
        hb->failing++;
        drop(hb);
    }
    r = SW_ENOMEM;
    target = malloc(n);
    if (!target)
        goto out;
    if (failed) {
        r = sw_heartbeat_fail_url(url, target, n);
        if (r < 0)
            goto out;
    } else {
        memcpy(target, url, n - sizeof("/fail") + 1);
    }
    /* agent/conf checked the URL: a host too long to show is absurd. */
    if (sw_heartbeat_origin(target, hb->origin, sizeof(hb->origin)) < 0)
        snprintf(hb->origin, sizeof(hb->origin), "(the heartbeat URL)");
    hb->fail = failed ? 1 : 0;
    r = start(hb, target, body);
    if (r < 0)
        goto out;
    hb->url = target;
    target = NULL;
    hb->st.sent++;
    sw_log_debug("heartbeat: %s to %s sent", kind(hb), hb->origin);
    r = pass(hb);
out:
    if (r < 0 && !hb->easy)
        sw_log_warn("heartbeat: cannot send: %s", sw_strerror(r));
    free(target);
    return r;
}

int
sw_heartbeat_after_cycle(struct sw_heartbeat *hb, const struct sw_runtime *rt,
                         const struct sw_store *store,
                         const struct sw_cycle_stats *st, int error,
                         long cycle_ms)
{
    char name[SW_CONF_AGENT_NAME_MAX], body[SUMMARY_LEN];
    struct sw_heartbeat_report rep;

    if (!hb || !rt || !rt->conf->agent.heartbeat_url)
        return 0;
    memset(&rep, 0, sizeof(rep));
    rep.agent = sw_conf_agent_name(rt->conf, name, sizeof(name));
    rep.st = st;
    rep.discover_failed = rt->discover_failed;
    rep.error = error;
    rep.cycle_ms = cycle_ms;
    for (size_t i = 0; store && i < rt->nrules; i++) {
        const struct sw_alarm_state *a =
            sw_store_get(store, rt->rules[i]->name);
        if (a && a->state == SW_STATE_ALARM)
            rep.in_alarm++;
    }
    /* A cut line (an absurd agent name) is still a ping. */
    (void)sw_heartbeat_summary(&rep, body, sizeof(body));
    return sw_heartbeat_send(hb, rt->conf->agent.heartbeat_url,
                             sw_heartbeat_failed(&rep), body);
}

/* ---- life ---- */

int
sw_heartbeat_new(const struct sw_heartbeat_opts *o,
                 volatile sig_atomic_t *cancel, struct sw_heartbeat **out)
{
    struct sw_heartbeat *hb;
    struct curl_slist *h;
    int r = SW_ENOMEM;

    *out = NULL;
    hb = calloc(1, sizeof(*hb));
    if (!hb)
        return SW_ENOMEM;
    hb->timeout_ms =
        o && o->timeout_ms > 0 ? o->timeout_ms : SW_HEARTBEAT_TIMEOUT_MS;
    hb->connect_timeout_ms = o && o->connect_timeout_ms > 0
                                 ? o->connect_timeout_ms
                                 : SW_HEARTBEAT_CONNECT_TIMEOUT_MS;
    if (hb->connect_timeout_ms > hb->timeout_ms)
        hb->connect_timeout_ms = hb->timeout_ms;
    hb->cancel = cancel;
    /* "Expect:": no 100-continue round trip for a one-line body. */
    h = curl_slist_append(NULL, "Content-Type: text/plain; charset=utf-8");
    if (!h)
        goto out;
    hb->headers = h;
    h = curl_slist_append(hb->headers, "Expect:");
    if (!h)
        goto out;
    hb->headers = h;
    r = SW_EINTERNAL;
    hb->multi = curl_multi_init();
    if (!hb->multi)
        goto out;
    *out = hb;
    return 0;
out:
    sw_heartbeat_free(hb);
    return r;
}

void
sw_heartbeat_free(struct sw_heartbeat *hb)
{
    if (!hb)
        return;
    sw_heartbeat_abandon(hb, "shutting down");
    if (hb->multi)
        curl_multi_cleanup(hb->multi);
    curl_slist_free_all(hb->headers);
    free(hb);
}

void
sw_heartbeat_stats(const struct sw_heartbeat *hb,
                   struct sw_heartbeat_stats *out)
{
    *out = hb->st;
}
