/* notifiers/dispatch.c - outbox delivery on curl_multi; see dispatch.h. */
#include "config.h"

#include "notifiers/dispatch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/str.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_TIMEOUT_MS         60000
#define SLICE_MS                   100 /* cancel-flag poll period */
#define BACKOFF_BASE_S             30
#define BACKOFF_MAX_S              3600
#define WHY_LEN                    512
/* Every notifier type speaks one of these; nothing else (file://, a
 * redirect to gopher://) can be reached through a configured URL. */
#define PROTOCOLS "http,https,smtp,smtps"

struct xfer {
    CURL *easy;
    struct sw_notifier *n;     /* borrowed */
    struct sw_outbox_entry *e; /* borrowed; NULL for deliver_now */
    void *ctx;                 /* the notifier's, for done() and ctx_free */
    json_t *rec;               /* the record prepare() was given: a
                                  reference held until after ctx_free,
                                  as notifier.h promises */
    int added;                 /* in a multi handle */
    struct sw_buf body;        /* the reply, first SW_DISPATCH_MAX_BODY */
    char errbuf[CURL_ERROR_SIZE];
};

struct slot {
    struct sw_notifier *n; /* borrowed */
    struct xfer *x;        /* the transfer in flight, or NULL */
};

struct sw_dispatch {
    struct sw_outbox *ob; /* borrowed */
    struct slot *slots;
    size_t nslots;
    CURLM *multi;
    long connect_timeout_ms;
    long timeout_ms;
    char *ca_file;
    volatile sig_atomic_t *cancel; /* borrowed */
    double (*rand_fn)(void *arg);
    void *rand_arg;
    uint64_t rng;
    char **warned; /* names of unconfigured notifiers already warned about */
    size_t nwarned;
    size_t nflight;
    struct sw_dispatch_stats st;
    sw_dispatch_observer_fn observer; /* NULL: none */
    void *observer_arg;
    /* The sockets of the notifiers' connections, in flight or kept for
     * reuse (open_socket(), close_socket()): sw_dispatch_free() shuts
     * them down first, or curl_multi_cleanup() would say goodbye to each
     * peer and wait for the answer: an SMTP server that hangs keeps a
     * QUIT waiting two minutes, past any stop. */
    curl_socket_t *socks;
    size_t nsocks, socks_alloc;
};

/* ---- transfers ---- */

/* Keep the first SW_DISPATCH_MAX_BODY bytes and swallow the rest: the body
 * only serves done()'s classification and error text, and failing a
 * transfer the peer accepted would send the notification again. */
static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    struct xfer *x = arg;
    size_t n = size * nmemb, room = x->body.cap - x->body.len;

    /* Out of memory only costs the error text, not the delivery. */
    (void)sw_buf_add(&x->body, p, n < room ? n : room);
    return n;
}

static void
xfer_free(struct xfer *x)
{
    if (!x)
        return;
    /* The handle first: the notifier's ctx may own headers, a MIME tree
     * or a body the handle still points at. */
    if (x->easy)
        curl_easy_cleanup(x->easy);
    if (x->ctx && x->n->ops->ctx_free)
        x->n->ops->ctx_free(x->ctx);
    json_decref(x->rec);
    sw_buf_release(&x->body);
    free(x);
}

/* A fresh easy handle with our options, handed to N's prepare().  Returns
 * what prepare() returned (0 with *OUT set; SW_PREPARED_SYNC; an SW_E*
 * code with WHY), or SW_ENOMEM / SW_EINTERNAL for our own failures. */
static int
xfer_new(struct sw_notifier *n, const json_t *rec, time_t now,
         long connect_timeout_ms, long timeout_ms, const char *ca_file,
         struct xfer **out, char *why, size_t whylen)
{
    struct xfer *x;
    CURLcode c = CURLE_OK;
    int r;

    *out = NULL;
    x = calloc(1, sizeof(*x));
    if (!x || !(x->easy = curl_easy_init())) {
        free(x);
        sw_err_set(why, whylen, "out of memory");
        return SW_ENOMEM;
    }
    x->n = n;
    x->rec = json_incref((json_t *)rec);
    sw_buf_init(&x->body, SW_DISPATCH_MAX_BODY);
    c |= curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
    c |= curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS,
                          connect_timeout_ms);
    c |= curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    c |= curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, PROTOCOLS);
    c |= curl_easy_setopt(x->easy, CURLOPT_REDIR_PROTOCOLS_STR, PROTOCOLS);
    c |= curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_body);
    c |= curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
    c |= curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
    if (ca_file)
        c |= curl_easy_setopt(x->easy, CURLOPT_CAINFO, ca_file);
    if (c != CURLE_OK) {
        xfer_free(x);
        sw_err_set(why, whylen, "libcurl refused an option");
        return SW_EINTERNAL;
    }
    r = n->ops->prepare(n, rec, now, x->easy, &x->ctx, why, whylen);
    if (r != 0) {
        xfer_free(x);
        return r;
    }
    *out = x;
    return 0;
}

/* CURLOPT_OPENSOCKETFUNCTION: a socket as libcurl would make it, kept in
 * D's list (a socket that cannot be listed is not made). */
static curl_socket_t
open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct sw_dispatch *d = arg;
    curl_socket_t fd;

    (void)purpose;
    if (d->nsocks == d->socks_alloc) {
        size_t na = d->socks_alloc ? d->socks_alloc * 2 : 8;
        curl_socket_t *nv = realloc(d->socks, na * sizeof(*nv));

        if (!nv)
            return CURL_SOCKET_BAD;
        d->socks = nv;
        d->socks_alloc = na;
    }
    fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    if (fd != CURL_SOCKET_BAD)
        d->socks[d->nsocks++] = fd;
    return fd;
}

/* CURLOPT_CLOSESOCKETFUNCTION: out of D's list, and closed. */
static int
close_socket(void *arg, curl_socket_t fd)
{
    struct sw_dispatch *d = arg;

    for (size_t i = 0; i < d->nsocks; i++)
        if (d->socks[i] == fd) {
            d->socks[i] = d->socks[--d->nsocks];
            break;
        }
    return close(fd);
}

/* X's connections go on D's list of sockets. */
static int
track_sockets(struct sw_dispatch *d, struct xfer *x)
{
    CURLcode c = CURLE_OK;

    c |= curl_easy_setopt(x->easy, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    c |= curl_easy_setopt(x->easy, CURLOPT_OPENSOCKETDATA, d);
    c |= curl_easy_setopt(x->easy, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
    c |= curl_easy_setopt(x->easy, CURLOPT_CLOSESOCKETDATA, d);
    return c == CURLE_OK ? 0 : SW_EINTERNAL;
}

/* What a prepare() result means for the entry. */
static int
prepared_outcome(int r, char *why, size_t whylen)
{
    if (r == SW_PREPARED_SYNC)
        return SW_DELIVERED;
    if (r > 0) {
        sw_err_set(why, whylen, "notifier bug: prepare returned %d", r);
        return SW_DELIVERY_RETRY;
    }
    if (!why[0])
        sw_err_set(why, whylen, "%s", sw_strerror(r));
    return r == SW_EINVAL || r == SW_EPARSE ? SW_DELIVERY_PERMANENT
                                            : SW_DELIVERY_RETRY;
}

/* Ask the notifier what the finished transfer X means; WHY is filled for
 * anything but SW_DELIVERED. */
static int
classify(struct xfer *x, CURLcode cc, char *why, size_t whylen)
{
    long status = 0;
    int outcome;

    why[0] = '\0';
    if (curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
        status = 0;
    outcome = x->n->ops->done(x->n, x->ctx, cc, status,
                              x->body.data ? x->body.data : "", x->body.len,
                              why, whylen);
    if (outcome != SW_DELIVERED && outcome != SW_DELIVERY_RETRY &&
        outcome != SW_DELIVERY_PERMANENT) {
        sw_err_set(why, whylen, "notifier bug: done returned %d", outcome);
        outcome = SW_DELIVERY_RETRY;
    }
    if (outcome != SW_DELIVERED && !why[0]) {
        if (cc != CURLE_OK)
            sw_err_set(why, whylen, "%s",
                       x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc));
        else
            sw_err_set(why, whylen, "status %ld", status);
    }
    return outcome;
}

/* ---- the dispatcher ---- */

long
sw_dispatch_backoff(int attempts, double u)
{
    long d = BACKOFF_BASE_S, half, delay;

    for (int i = 1; i < attempts && d < BACKOFF_MAX_S; i++)
        d *= 2;
    if (d > BACKOFF_MAX_S)
        d = BACKOFF_MAX_S;
    if (!(u >= 0.0)) /* also NaN */
        u = 0.0;
    if (u >= 1.0)
        u = 0.999999;
    half = d / 2;
    delay = half + (long)(u * (double)(d - half + 1));
    return delay > d ? d : delay;
}

static double
rand01(struct sw_dispatch *d)
{
    uint64_t x = d->rng;

    if (d->rand_fn)
        return d->rand_fn(d->rand_arg);
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    d->rng = x;
    return (double)((x * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
}

static void
observe(const struct sw_dispatch *d, const char *notifier, const char *outcome)
{
    if (d->observer)
        d->observer(d->observer_arg, notifier, outcome);
}

static int
cancelled(const struct sw_dispatch *d)
{
    return d->cancel && *d->cancel;
}

/* Act on OUTCOME for E, which N tried at NOW: remove, reschedule or drop.
 * Nothing here fails the run: outbox errors are logged, and the entry's
 * in-memory state still moves on so it cannot loop. */
static void
settle(struct sw_dispatch *d, struct sw_notifier *n, struct sw_outbox_entry *e,
       int outcome, const char *why, time_t now)
{
    const char *alarm = e->alarm;
    char err[WHY_LEN];
    long delay;

    switch (outcome) {
    case SW_DELIVERED:
        sw_log_info("notify: notifier '%s': alarm '%s': delivered "
                    "(attempt %d)",
                    n->name, alarm, e->attempts + 1);
        d->st.delivered++;
        observe(d, n->name, "delivered");
        (void)sw_outbox_remove(d->ob, e);
        return;
    case SW_DELIVERY_PERMANENT:
        sw_log_err("notify: notifier '%s': alarm '%s': permanent failure: "
                   "%s; notification dropped",
                   n->name, alarm, why);
        d->st.dropped_permanent++;
        observe(d, n->name, "failed");
        (void)sw_outbox_remove(d->ob, e);
        return;
    default:
        delay = sw_dispatch_backoff(e->attempts + 1, rand01(d));
        sw_log_warn("notify: notifier '%s': alarm '%s': attempt %d failed: "
                    "%s; next attempt in %ld s",
                    n->name, alarm, e->attempts + 1, why, delay);
        d->st.retried++;
        observe(d, n->name, "retry");
        if (sw_outbox_mark_failed(d->ob, e, now, now + (time_t)delay, why, err,
                                  sizeof(err)) < 0)
            sw_log_err("notify: %s", err);
        return;
    }
}

/* Start E through slot S, or settle it at once when prepare() decided. */
static void
start_one(struct sw_dispatch *d, struct slot *s, struct sw_outbox_entry *e,
          time_t now)
{
    char why[WHY_LEN] = "";
    struct xfer *x = NULL;
    json_t *rec;
    CURLMcode mc;
    int r;

    sw_log_debug("notify: notifier '%s': alarm '%s': attempt %d", s->n->name,
                 e->alarm, e->attempts + 1);
    /* The entry keeps only the record's text (outbox.h); the tree lives as
     * long as the transfer. */
    rec = sw_outbox_entry_record(e);
    if (rec)
        r = xfer_new(s->n, rec, now, d->connect_timeout_ms, d->timeout_ms,
                     d->ca_file, &x, why, sizeof(why));
    else
        r = SW_ENOMEM; /* a retry, as for any failed prepare() */
    json_decref(rec);
    if (r == 0 && track_sockets(d, x) < 0) {
        sw_err_set(why, sizeof(why), "libcurl refused an option");
        xfer_free(x);
        r = SW_EINTERNAL;
    }
    if (r == 0) {
        mc = curl_multi_add_handle(d->multi, x->easy);
        if (mc == CURLM_OK) {
            x->added = 1;
            x->e = e;
            e->busy = 1;
            s->x = x;
            d->nflight++;
            return;
        }
        sw_err_set(why, sizeof(why), "curl_multi_add_handle: %s",
                   curl_multi_strerror(mc));
        r = SW_EINTERNAL;
        xfer_free(x);
    }
    settle(d, s->n, e, prepared_outcome(r, why, sizeof(why)), why, now);
}

/* Start, per notifier, the oldest entry when it is due and nothing is in
 * flight; repeat while entries settle at once (log, prepare failures). */
static void
start_due(struct sw_dispatch *d, time_t now)
{
    for (size_t i = 0; i < d->nslots && !cancelled(d); i++) {
        struct slot *s = &d->slots[i];

        while (!s->x && !cancelled(d)) {
            struct sw_outbox_entry *e = sw_outbox_first(d->ob, s->n->name);
            if (!e || e->busy || e->next_attempt > now)
                break;
            start_one(d, s, e, now);
        }
    }
}

static struct slot *
slot_of(struct sw_dispatch *d, CURL *easy)
{
    for (size_t i = 0; i < d->nslots; i++)
        if (d->slots[i].x && d->slots[i].x->easy == easy)
            return &d->slots[i];
    return NULL;
}

/* Settle every finished transfer.  Returns how many finished. */
static int
reap(struct sw_dispatch *d, time_t now)
{
    char why[WHY_LEN];
    CURLMsg *m;
    int q, done = 0;

    for (;;) {
        struct sw_outbox_entry *e;
        struct slot *s;
        struct xfer *x;
        int outcome;

        m = curl_multi_info_read(d->multi, &q);
        if (!m)
            break;
        if (m->msg != CURLMSG_DONE)
            continue;
        s = slot_of(d, m->easy_handle);
        if (!s)
            continue;
        x = s->x;
        e = x->e;
        outcome = classify(x, m->data.result, why, sizeof(why));
        /* M is invalid once its handle leaves the multi. */
        curl_multi_remove_handle(d->multi, x->easy);
        s->x = NULL;
        d->nflight--;
        e->busy = 0;
        xfer_free(x);
        settle(d, s->n, e, outcome, why, now);
        done++;
    }
    return done;
}

static void
abort_all(struct sw_dispatch *d)
{
    for (size_t i = 0; i < d->nslots; i++) {
        struct slot *s = &d->slots[i];

        if (!s->x)
            continue;
        sw_log_info("notify: notifier '%s': alarm '%s': transfer aborted; "
                    "kept in the outbox",
                    s->n->name, s->x->e->alarm);
        curl_multi_remove_handle(d->multi, s->x->easy);
        s->x->e->busy = 0;
        xfer_free(s->x);
        s->x = NULL;
        d->nflight--;
    }
}

static int
configured(const struct sw_dispatch *d, const char *name)
{
    for (size_t i = 0; i < d->nslots; i++)
        if (strcmp(d->slots[i].n->name, name) == 0)
            return 1;
    return 0;
}

/* One warning per unconfigured notifier name: its entries are kept, since
 * a later reload may bring the notifier back, and expiry needs the
 * notifier's max_age. */
static void
warn_unknown(struct sw_dispatch *d)
{
    size_t n = sw_outbox_len(d->ob);

    for (size_t i = 0; i < n; i++) {
        const char *name = sw_outbox_get(d->ob, i)->notifier;
        size_t j;
        char *copy, **v;

        if (configured(d, name))
            continue;
        for (j = 0; j < d->nwarned && strcmp(d->warned[j], name) != 0; j++)
            ;
        if (j < d->nwarned)
            continue;
        sw_log_warn("notify: notifier '%s' is not configured; its %zu "
                    "pending notification(s) stay in %s",
                    name, sw_outbox_pending(d->ob, name, NULL),
                    sw_outbox_dir(d->ob));
        copy = sw_strdup(name);
        v = copy ? realloc(d->warned, (d->nwarned + 1) * sizeof(*v)) : NULL;
        if (!v) {
            free(copy); /* warned again next time: harmless */
            continue;
        }
        d->warned = v;
        d->warned[d->nwarned++] = copy;
    }
}

static void
clear_warned(struct sw_dispatch *d)
{
    for (size_t i = 0; i < d->nwarned; i++)
        free(d->warned[i]);
    free(d->warned);
    d->warned = NULL;
    d->nwarned = 0;
}

static int
set_slots(struct sw_dispatch *d, struct sw_notifier *const *notifiers, size_t n)
{
    struct slot *slots = NULL;

    if (n > 0) {
        slots = calloc(n, sizeof(*slots));
        if (!slots)
            return SW_ENOMEM;
        for (size_t i = 0; i < n; i++)
            slots[i].n = notifiers[i];
    }
    free(d->slots);
    d->slots = slots;
    d->nslots = n;
    return 0;
}

int
sw_dispatch_new(struct sw_outbox *ob, struct sw_notifier *const *notifiers,
                size_t n, const struct sw_dispatch_opts *o,
                struct sw_dispatch **out)
{
    struct sw_dispatch *d;
    int r = SW_ENOMEM;

    *out = NULL;
    d = calloc(1, sizeof(*d));
    if (!d)
        return SW_ENOMEM;
    d->ob = ob;
    d->connect_timeout_ms = o && o->connect_timeout_ms > 0
                                ? o->connect_timeout_ms
                                : DEFAULT_CONNECT_TIMEOUT_MS;
    d->timeout_ms = o && o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
    if (o && o->ca_file && *o->ca_file) {
        d->ca_file = sw_strdup(o->ca_file);
        if (!d->ca_file)
            goto out;
    }
    if (set_slots(d, notifiers, n) < 0)
        goto out;
    r = SW_EINTERNAL;
    d->multi = curl_multi_init();
    if (!d->multi)
        goto out;
    /* Jitter only has to differ between agents started together. */
    if (getrandom(&d->rng, sizeof(d->rng), GRND_NONBLOCK) !=
        (ssize_t)sizeof(d->rng))
        d->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
                 (uint64_t)(uintptr_t)d;
    if (!d->rng)
        d->rng = 0x9e3779b97f4a7c15ull;
    *out = d;
    return 0;
out:
    sw_dispatch_free(d);
    return r;
}

void
sw_dispatch_free(struct sw_dispatch *d)
{
    if (!d)
        return;
    /* The agent is ending: no goodbye that could wait on a hung peer (see
     * struct sw_dispatch).  Each socket is still closed by libcurl. */
    for (size_t i = 0; i < d->nsocks; i++)
        (void)shutdown(d->socks[i], SHUT_RDWR);
    if (d->multi) {
        abort_all(d);
        curl_multi_cleanup(d->multi);
    }
    free(d->socks);
    free(d->slots);
    clear_warned(d);
    free(d->ca_file);
    free(d);
}

int
sw_dispatch_set_notifiers(struct sw_dispatch *d,
                          struct sw_notifier *const *notifiers, size_t n)
{
    int r;

    abort_all(d);
    clear_warned(d);
    r = set_slots(d, notifiers, n);
    if (r < 0)
        set_slots(d, NULL, 0); /* never keep pointers to the old set */
    return r;
}

void
sw_dispatch_set_cancel_flag(struct sw_dispatch *d, volatile sig_atomic_t *flag)
{
    d->cancel = flag;
}

void
sw_dispatch_set_observer(struct sw_dispatch *d, sw_dispatch_observer_fn fn,
                         void *arg)
{
    d->observer = fn;
    d->observer_arg = arg;
}

void
sw_dispatch_set_rand(struct sw_dispatch *d, double (*fn)(void *arg), void *arg)
{
    d->rand_fn = fn;
    d->rand_arg = arg;
}

int
sw_dispatch_run(struct sw_dispatch *d, time_t now, long timeout_ms)
{
    sw_mono_ms t0 = sw_mono_now();
    CURLMcode mc;

    if (timeout_ms < 0)
        timeout_ms = 0;
    if (cancelled(d))
        return SW_ECANCELED;
    warn_unknown(d);
    for (size_t i = 0; i < d->nslots; i++) {
        size_t k = sw_outbox_expire(d->ob, d->slots[i].n->name,
                                    d->slots[i].n->max_age_s, now);
        d->st.expired += k;
        while (k-- > 0)
            observe(d, d->slots[i].n->name, "expired");
    }
    for (;;) {
        /* The agent's clock moves on with the real time spent here, so a
         * retry scheduled late in a long run is not due at once. */
        sw_mono_ms elapsed = sw_mono_now() - t0;
        time_t wall = now + (time_t)(elapsed / 1000);
        int running = 0, done;

        if (cancelled(d))
            return SW_ECANCELED;
        start_due(d, wall);
        if (d->nflight == 0)
            return cancelled(d) ? SW_ECANCELED : 0;
        mc = curl_multi_perform(d->multi, &running);
        if (mc != CURLM_OK) {
            sw_log_err("notify: curl_multi_perform: %s",
                       curl_multi_strerror(mc));
            return mc == CURLM_OUT_OF_MEMORY ? SW_ENOMEM : SW_EINTERNAL;
        }
        done = reap(d, wall);
        elapsed = sw_mono_now() - t0;
        if (elapsed >= timeout_ms)
            return 0;
        if (done > 0)
            continue; /* a notifier is free again: start its next entry */
        mc = curl_multi_poll(d->multi, NULL, 0,
                             (int)(timeout_ms - elapsed < SLICE_MS
                                       ? timeout_ms - elapsed
                                       : SLICE_MS),
                             NULL);
        if (mc != CURLM_OK) {
            sw_log_err("notify: curl_multi_poll: %s", curl_multi_strerror(mc));
            return mc == CURLM_OUT_OF_MEMORY ? SW_ENOMEM : SW_EINTERNAL;
        }
    }
}

time_t
sw_dispatch_next_due(const struct sw_dispatch *d)
{
    time_t best = 0;
    int found = 0;

    for (size_t i = 0; i < d->nslots; i++) {
        const struct sw_outbox_entry *e;

        if (d->slots[i].x)
            continue;
        e = sw_outbox_first(d->ob, d->slots[i].n->name);
        if (!e || e->busy)
            continue;
        if (!found || e->next_attempt < best)
            best = e->next_attempt;
        found = 1;
    }
    if (!found)
        return 0;
    return best < 1 ? 1 : best;
}

size_t
sw_dispatch_in_flight(const struct sw_dispatch *d)
{
    return d->nflight;
}

void
sw_dispatch_stats(const struct sw_dispatch *d, struct sw_dispatch_stats *out)
{
    *out = d->st;
}

int
sw_dispatch_deliver_now(const struct sw_dispatch_opts *o, struct sw_notifier *n,
                        const json_t *rec, time_t now, long timeout_ms,
                        volatile sig_atomic_t *cancel, char *err, size_t errlen)
{
    long connect_ms = o && o->connect_timeout_ms > 0
                          ? o->connect_timeout_ms
                          : DEFAULT_CONNECT_TIMEOUT_MS;
    long total_ms = o && o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
    const char *ca = o && o->ca_file && *o->ca_file ? o->ca_file : NULL;
    char why[WHY_LEN] = "";
    struct xfer *x = NULL;
    CURLM *multi = NULL;
    sw_mono_ms t0 = sw_mono_now();
    CURLMcode mc;
    int r;

    if (errlen)
        err[0] = '\0';
    if (timeout_ms > 0 && timeout_ms < total_ms)
        total_ms = timeout_ms;
    r = xfer_new(n, rec, now, connect_ms, total_ms, ca, &x, why, sizeof(why));
    if (r != 0) {
        r = prepared_outcome(r, why, sizeof(why));
        goto out;
    }
    r = SW_EINTERNAL;
    multi = curl_multi_init();
    if (!multi) {
        sw_err_set(why, sizeof(why), "curl_multi_init failed");
        goto out;
    }
    mc = curl_multi_add_handle(multi, x->easy);
    if (mc != CURLM_OK) {
        sw_err_set(why, sizeof(why), "curl_multi_add_handle: %s",
                   curl_multi_strerror(mc));
        goto out;
    }
    x->added = 1;
    for (;;) {
        sw_mono_ms left;
        CURLMsg *m;
        int running = 0, q;

        if (cancel && *cancel) {
            sw_err_set(why, sizeof(why), "canceled");
            r = SW_ECANCELED;
            goto out;
        }
        mc = curl_multi_perform(multi, &running);
        if (mc != CURLM_OK) {
            sw_err_set(why, sizeof(why), "curl_multi_perform: %s",
                       curl_multi_strerror(mc));
            goto out;
        }
        m = curl_multi_info_read(multi, &q);
        if (m && m->msg == CURLMSG_DONE) {
            r = classify(x, m->data.result, why, sizeof(why));
            goto out;
        }
        /* curl's own timeout normally ends the transfer first; this is
         * the promise of the signature, whatever the notifier set. */
        left = total_ms - (sw_mono_now() - t0);
        if (left <= 0) {
            sw_err_set(why, sizeof(why), "timed out after %ld ms", total_ms);
            r = SW_DELIVERY_RETRY;
            goto out;
        }
        mc = curl_multi_poll(multi, NULL, 0,
                             (int)(left < SLICE_MS ? left : SLICE_MS), NULL);
        if (mc != CURLM_OK) {
            sw_err_set(why, sizeof(why), "curl_multi_poll: %s",
                       curl_multi_strerror(mc));
            goto out;
        }
    }
out:
    if (r != SW_DELIVERED)
        sw_err_set(err, errlen, "%s", why[0] ? why : sw_strerror(r));
    if (x && x->added)
        curl_multi_remove_handle(multi, x->easy);
    xfer_free(x);
    if (multi)
        curl_multi_cleanup(multi);
    return r;
}
