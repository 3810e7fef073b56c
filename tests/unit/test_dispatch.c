/* tests/unit/test_dispatch.c - notifiers/dispatch against loopback HTTP
 * servers run in threads of this test: retries with the documented
 * backoff (injected randomness), two notifiers in parallel while one
 * destination hangs, permanent failures, transport timeouts, the cancel
 * flag, expiry, unconfigured notifiers, per-notifier order, reloads and
 * notify-test's deliver_now.  A tiny "test" notifier type points the easy
 * handle at the servers. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/str.h"
#include "notifiers/dispatch.h"
#include "notifiers/log.h"
#include "notifiers/notifier.h"
#include "notifiers/outbox.h"

#define T0   1795601141 /* 2026-11-25T10:05:41Z */
#define HANG (-1)       /* script: accept, read, never answer */

/* ---- a loopback HTTP server in a thread ---- */

struct server {
    int lfd;
    int port;
    int stop[2]; /* a byte on stop[1] ends the thread */
    pthread_t th;
    pthread_mutex_t mu;
    int script[8]; /* status per request, the last one repeats */
    size_t nscript;
    size_t nreq;           /* requests read */
    char paths[16][128];   /* their paths */
    char delivery[16][80]; /* their X-Streamwatch-Delivery headers */
};

/* Wait until FD is readable or the server is told to stop; 1 readable,
 * 0 stop or error. */
static int
wait_fd(struct server *s, int fd)
{
    struct pollfd p[2] = {{fd, POLLIN, 0}, {s->stop[0], POLLIN, 0}};

    for (;;) {
        int n = poll(p, 2, 10000);
        if (n < 0)
            return 0;
        if (p[1].revents)
            return 0;
        if (p[0].revents)
            return 1;
        if (n == 0)
            return 0;
    }
}

static void
copy_header(const char *req, const char *name, char *out, size_t outlen)
{
    const char *p = strstr(req, name), *end;

    out[0] = '\0';
    if (!p)
        return;
    p += strlen(name);
    end = strstr(p, "\r\n");
    if (!end)
        return;
    snprintf(out, outlen, "%.*s", (int)(end - p), p);
}

static void *
serve(void *arg)
{
    struct server *s = arg;

    while (wait_fd(s, s->lfd)) {
        char req[8192], out[256];
        size_t len = 0, idx;
        int cfd = accept(s->lfd, NULL, NULL), status, n;

        if (cfd < 0)
            continue;
        req[0] = '\0';
        /* Headers, then the body by Content-Length (the test bodies are
         * small). */
        for (;;) {
            char *hend;
            ssize_t got;

            if (!wait_fd(s, cfd))
                break;
            got = read(cfd, req + len, sizeof(req) - 1 - len);
            if (got <= 0)
                break;
            len += (size_t)got;
            req[len] = '\0';
            hend = strstr(req, "\r\n\r\n");
            if (hend) {
                char cl[32];
                long want;
                copy_header(req, "Content-Length: ", cl, sizeof(cl));
                want = cl[0] ? strtol(cl, NULL, 10) : 0;
                if ((long)(len - (size_t)(hend + 4 - req)) >= want)
                    break;
            }
        }
        pthread_mutex_lock(&s->mu);
        idx = s->nreq++;
        if (idx < 16) {
            const char *sp = strchr(req, ' ');
            const char *sp2 = sp ? strchr(sp + 1, ' ') : NULL;
            snprintf(s->paths[idx], sizeof(s->paths[idx]), "%.*s",
                     sp && sp2 ? (int)(sp2 - sp - 1) : 0, sp ? sp + 1 : "");
            copy_header(req, "X-Streamwatch-Delivery: ", s->delivery[idx],
                        sizeof(s->delivery[idx]));
        }
        status = s->script[idx < s->nscript ? idx : s->nscript - 1];
        pthread_mutex_unlock(&s->mu);
        if (status == HANG) {
            char c;
            /* Hold the connection until the test ends. */
            while (wait_fd(s, cfd) && read(cfd, &c, 1) > 0)
                ;
            close(cfd);
            continue;
        }
        n = snprintf(out, sizeof(out),
                     "HTTP/1.1 %d Test\r\nContent-Type: text/plain\r\n"
                     "Content-Length: 6\r\nConnection: close\r\n\r\nreply%d",
                     status, status / 100);
        if (write(cfd, out, (size_t)n) < 0)
            perror("server write");
        close(cfd);
    }
    return NULL;
}

static struct server *
server_start(const int *script, size_t n)
{
    struct server *s = calloc(1, sizeof(*s));
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);

    assert_non_null(s);
    assert_true(n > 0 && n <= 8);
    memcpy(s->script, script, n * sizeof(*script));
    s->nscript = n;
    pthread_mutex_init(&s->mu, NULL);
    assert_int_equal(pipe(s->stop), 0);
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s->lfd >= 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(s->lfd, 8), 0);
    assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sa, &salen), 0);
    s->port = ntohs(sa.sin_port);
    assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
    return s;
}

static size_t
server_requests(struct server *s)
{
    size_t n;

    pthread_mutex_lock(&s->mu);
    n = s->nreq;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static void
server_stop(struct server *s)
{
    if (!s)
        return;
    assert_int_equal(write(s->stop[1], "x", 1), 1);
    pthread_join(s->th, NULL);
    close(s->lfd);
    close(s->stop[0]);
    close(s->stop[1]);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* ---- the "test" notifier type ---- */

static int ctx_allocs, ctx_frees;

struct test_notifier {
    struct sw_notifier base;
    char url[64];
    int prepare_result; /* != 0: prepare fails with it */
};

struct test_ctx {
    struct curl_slist *hdrs;
};

static int
t_prepare(struct sw_notifier *n, const json_t *rec, time_t now, CURL *easy,
          void **ctx, char *err, size_t errlen)
{
    struct test_notifier *tn = (struct test_notifier *)n;
    char url[256], hdr[128], id[SW_DEDUP_ID_BUF];
    struct test_ctx *c;

    (void)now;
    *ctx = NULL;
    if (tn->prepare_result != 0) {
        if (tn->prepare_result < 0)
            sw_err_set(err, errlen, "test: prepare says %d",
                       tn->prepare_result);
        return tn->prepare_result;
    }
    c = calloc(1, sizeof(*c));
    if (!c)
        return SW_ENOMEM;
    ctx_allocs++;
    *ctx = c;
    snprintf(url, sizeof(url), "%s/%s", tn->url, sw_notifier_alarm_name(rec));
    if (sw_notifier_dedup_id(rec, id) < 0)
        return SW_EINVAL;
    snprintf(hdr, sizeof(hdr), "X-Streamwatch-Delivery: %s", id);
    c->hdrs = curl_slist_append(NULL, hdr);
    if (!c->hdrs)
        return SW_ENOMEM;
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, c->hdrs);
    curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, "{}");
    return 0;
}

static int
t_done(struct sw_notifier *n, void *ctx, CURLcode cc, long status,
       const char *body, size_t body_len, char *err, size_t errlen)
{
    (void)n;
    (void)ctx;
    /* Leave ERR empty for transport errors: the dispatcher fills it. */
    if (cc != CURLE_OK)
        return SW_DELIVERY_RETRY;
    if (status >= 200 && status < 300)
        return SW_DELIVERED;
    sw_err_set(err, errlen, "HTTP %ld: %.*s", status, (int)body_len, body);
    if (status >= 400 && status < 500 && status != 408 && status != 429)
        return SW_DELIVERY_PERMANENT;
    return SW_DELIVERY_RETRY;
}

static void
t_ctx_free(void *ctx)
{
    struct test_ctx *c = ctx;

    ctx_frees++;
    curl_slist_free_all(c->hdrs);
    free(c);
}

static void
t_free(struct sw_notifier *n)
{
    sw_notifier_base_release(n);
    free(n);
}

static const struct sw_notifier_ops test_ops = {
    .type = "test",
    .prepare = t_prepare,
    .done = t_done,
    .ctx_free = t_ctx_free,
    .free = t_free,
};

static struct sw_notifier *
test_notifier(const char *name, const struct server *s)
{
    struct test_notifier *tn = calloc(1, sizeof(*tn));

    assert_non_null(tn);
    assert_int_equal(sw_notifier_base_init(&tn->base, &test_ops, name), 0);
    if (s)
        snprintf(tn->url, sizeof(tn->url), "http://127.0.0.1:%d", s->port);
    else /* nothing listens on port 1 */
        snprintf(tn->url, sizeof(tn->url), "http://127.0.0.1:1");
    return &tn->base;
}

/* ---- fixture ---- */

struct fixture {
    char dir[64];
    struct sw_outbox *ob;
};

static double
fixed_rand(void *arg)
{
    return *(double *)arg;
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char err[256];

    if (!f)
        return -1;
    sw_strlcpy(f->dir, "/tmp/sw_dispatch_XXXXXX", sizeof(f->dir));
    if (!mkdtemp(f->dir) ||
        sw_outbox_open(f->dir, 0, &f->ob, err, sizeof(err)) < 0)
        return -1;
    ctx_allocs = ctx_frees = 0;
    *state = f;
    return 0;
}

static void
rm_tree(const char *path)
{
    DIR *dp = opendir(path);
    struct dirent *de;
    char sub[512];

    if (!dp) {
        unlink(path);
        return;
    }
    while ((de = readdir(dp)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
        rm_tree(sub);
    }
    closedir(dp);
    rmdir(path);
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    sw_outbox_free(f->ob);
    rm_tree(f->dir);
    /* Every context a notifier made was handed back. */
    assert_int_equal(ctx_allocs, ctx_frees);
    free(f);
    return 0;
}

static void
add(struct fixture *f, const char *notifier, const char *alarm, time_t now)
{
    json_t *rec =
        json_pack("{s:{s:s, s:s, s:s}, s:{s:b}}", "alarm", "AlarmName", alarm,
                  "NewStateValue", "ALARM", "StateChangeTime",
                  "2026-11-25T10:05:41.000+0000", "streamwatch", "repeat", 0);
    char err[256];

    assert_non_null(rec);
    assert_int_equal(
        sw_outbox_add(f->ob, notifier, rec, now, NULL, err, sizeof(err)), 0);
    json_decref(rec);
}

/* Redirect stderr (the log) to a file while a test looks at it. */
struct capture {
    FILE *f;
    int saved;
};

static void
capture_start(struct capture *c)
{
    fflush(stderr);
    c->f = tmpfile();
    assert_non_null(c->f);
    c->saved = dup(STDERR_FILENO);
    assert_true(c->saved >= 0);
    assert_int_equal(dup2(fileno(c->f), STDERR_FILENO), STDERR_FILENO);
}

/* Returns: new (free()), what was logged. */
static char *
capture_end(struct capture *c)
{
    char *text = calloc(1, 65536);

    assert_non_null(text);
    fflush(stderr);
    assert_int_equal(dup2(c->saved, STDERR_FILENO), STDERR_FILENO);
    close(c->saved);
    rewind(c->f);
    /* calloc'd: whatever was read is NUL-terminated. */
    if (fread(text, 1, 65535, c->f) == 0 && ferror(c->f))
        fail_msg("cannot read the captured stderr");
    fclose(c->f);
    return text;
}

/* ---- tests ---- */

static void
test_backoff(void **state)
{
    (void)state;
    /* d = min(30 s * 2^(N-1), 1 h); delay in [d/2, d]. */
    assert_int_equal(sw_dispatch_backoff(1, 0.0), 15);
    assert_int_equal(sw_dispatch_backoff(1, 0.5), 23);
    assert_int_equal(sw_dispatch_backoff(1, 0.999999), 30);
    assert_int_equal(sw_dispatch_backoff(2, 0.0), 30);
    assert_int_equal(sw_dispatch_backoff(2, 0.999999), 60);
    assert_int_equal(sw_dispatch_backoff(7, 0.999999), 1920);
    assert_int_equal(sw_dispatch_backoff(8, 0.0), 1800);
    assert_int_equal(sw_dispatch_backoff(8, 0.999999), 3600);
    assert_int_equal(sw_dispatch_backoff(1000000, 0.0), 1800);
    assert_int_equal(sw_dispatch_backoff(0, 0.0), 15);
    assert_int_equal(sw_dispatch_backoff(3, 1.5), 120); /* out of range */
    assert_int_equal(sw_dispatch_backoff(3, -1.0), 60);
    for (int n = 1; n < 40; n++)
        for (double u = 0.0; u < 1.0; u += 0.0625) {
            long d = sw_dispatch_backoff(n, u);
            long full = n >= 8 ? 3600 : 30L << (n - 1);
            assert_true(d >= full / 2 && d <= full);
        }
}

/* 500, 500, 200: delivered on the third attempt, each retry scheduled by
 * the backoff with the injected randomness, kept on disk in between. */
static void
test_retry_then_deliver(void **state)
{
    static const int script[] = {500, 500, 200};
    struct fixture *f = *state;
    struct server *s = server_start(script, 3);
    struct sw_notifier *n = test_notifier("hook", s);
    struct sw_dispatch *d = NULL;
    struct sw_dispatch_stats st;
    struct sw_outbox_entry *e;
    struct sw_outbox *ob2;
    double u = 0.0;
    char err[256];
    time_t t1, t2;

    add(f, "hook", "cpu-high", T0);
    assert_int_equal(sw_dispatch_new(f->ob, &n, 1, NULL, &d), 0);
    sw_dispatch_set_rand(d, fixed_rand, &u);
    assert_int_equal(sw_dispatch_next_due(d), T0);

    assert_int_equal(sw_dispatch_run(d, T0, 5000), 0);
    assert_int_equal(server_requests(s), 1);
    assert_int_equal(sw_dispatch_in_flight(d), 0);
    e = sw_outbox_get(f->ob, 0);
    assert_non_null(e);
    assert_int_equal(e->attempts, 1);
    /* The dispatcher's clock runs on with the real time of the call, which
     * under valgrind may pass a second: the schedule counts from the
     * attempt's own time. */
    t1 = e->last_attempt;
    assert_in_range(t1, T0, T0 + 3);
    assert_int_equal(e->next_attempt, t1 + 15); /* d = 30, u = 0 */
    assert_string_equal(e->last_error, "HTTP 500: reply5");
    assert_int_equal(sw_dispatch_next_due(d), t1 + 15);

    /* The file says the same (a restart would keep the schedule). */
    assert_int_equal(
        sw_outbox_open(f->dir, SW_OUTBOX_READONLY, &ob2, err, sizeof(err)), 0);
    assert_int_equal(sw_outbox_get(ob2, 0)->attempts, 1);
    assert_int_equal(sw_outbox_get(ob2, 0)->next_attempt, t1 + 15);
    sw_outbox_free(ob2);

    /* Not due yet: nothing is sent (a non-blocking pass, so the clock
     * stays before the due time). */
    assert_int_equal(sw_dispatch_run(d, t1 + 14, 0), 0);
    assert_int_equal(server_requests(s), 1);

    u = 0.999999;
    assert_int_equal(sw_dispatch_run(d, t1 + 15, 5000), 0);
    assert_int_equal(server_requests(s), 2);
    assert_int_equal(e->attempts, 2);
    t2 = e->last_attempt;
    assert_in_range(t2, t1 + 15, t1 + 18);
    assert_int_equal(e->next_attempt, t2 + 60); /* d = 60, u ~ 1 */

    assert_int_equal(sw_dispatch_run(d, t2 + 60, 5000), 0);
    assert_int_equal(server_requests(s), 3);
    assert_int_equal(sw_outbox_len(f->ob), 0);
    assert_int_equal(sw_dispatch_next_due(d), 0);
    sw_dispatch_stats(d, &st);
    assert_int_equal(st.delivered, 1);
    assert_int_equal(st.retried, 2);
    assert_int_equal(st.dropped_permanent, 0);
    assert_int_equal(st.expired, 0);
    /* The dedup id is the same on every attempt. */
    assert_string_equal(s->paths[0], "/cpu-high");
    assert_int_equal(strlen(s->delivery[0]), 64);
    assert_string_equal(s->delivery[0], s->delivery[2]);

    sw_dispatch_free(d);
    sw_notifier_free(n);
    server_stop(s);
    /* Delivered: gone from disk too. */
    assert_int_equal(
        sw_outbox_open(f->dir, SW_OUTBOX_READONLY, &ob2, err, sizeof(err)), 0);
    assert_int_equal(sw_outbox_len(ob2), 0);
    sw_outbox_free(ob2);
}

/* One destination accepts and never answers; the other is delivered within
 * the run's timeout, and the run returns on time. */
static void
test_parallel_hang(void **state)
{
    static const int hang[] = {HANG}, ok[] = {200};
    struct fixture *f = *state;
    struct server *sh = server_start(hang, 1), *so = server_start(ok, 1);
    struct sw_notifier *ns[2];
    struct sw_dispatch_opts o = {.timeout_ms = 30000};
    struct sw_dispatch *d = NULL;
    struct sw_dispatch_stats st;
    struct sw_outbox *ob2;
    sw_mono_ms t0, took;
    char err[256];

    ns[0] = test_notifier("mail", sh);
    ns[1] = test_notifier("hook", so);
    add(f, "mail", "a1", T0); /* older, and stuck */
    add(f, "hook", "a2", T0);
    assert_int_equal(sw_dispatch_new(f->ob, ns, 2, &o, &d), 0);

    t0 = sw_mono_now();
    assert_int_equal(sw_dispatch_run(d, T0, 1000), 0);
    took = sw_mono_now() - t0;
    assert_true(took >= 1000);
    assert_true(took < 1800);
    assert_int_equal(server_requests(so), 1);
    assert_int_equal(server_requests(sh), 1);
    assert_int_equal(sw_dispatch_in_flight(d), 1);
    assert_int_equal(sw_outbox_len(f->ob), 1);
    assert_true(sw_outbox_get(f->ob, 0)->busy);
    /* A notifier with a transfer in flight has nothing "due". */
    assert_int_equal(sw_dispatch_next_due(d), 0);
    sw_dispatch_stats(d, &st);
    assert_int_equal(st.delivered, 1);

    /* timeout 0: one pass, no waiting. */
    t0 = sw_mono_now();
    assert_int_equal(sw_dispatch_run(d, T0, 0), 0);
    assert_true(sw_mono_now() - t0 < 200);
    assert_int_equal(sw_dispatch_in_flight(d), 1);

    /* Freeing aborts the transfer; the entry stays, not counted as an
     * attempt, and is sent again after a restart. */
    sw_dispatch_free(d);
    assert_false(sw_outbox_get(f->ob, 0)->busy);
    assert_int_equal(
        sw_outbox_open(f->dir, SW_OUTBOX_READONLY, &ob2, err, sizeof(err)), 0);
    assert_int_equal(sw_outbox_len(ob2), 1);
    assert_string_equal(sw_outbox_get(ob2, 0)->notifier, "mail");
    assert_int_equal(sw_outbox_get(ob2, 0)->attempts, 0);
    sw_outbox_free(ob2);
    sw_notifier_free(ns[0]);
    sw_notifier_free(ns[1]);
    server_stop(sh);
    server_stop(so);
}

/* curl's own timeout and a refused connection: retried, with the reason
 * curl gave. */
static void
test_transport_errors(void **state)
{
    static const int hang[] = {HANG};
    struct fixture *f = *state;
    struct server *sh = server_start(hang, 1);
    struct sw_notifier *ns[2];
    struct sw_dispatch_opts o = {.timeout_ms = 300, .connect_timeout_ms = 300};
    struct sw_dispatch *d = NULL;
    struct sw_dispatch_stats st;
    struct sw_outbox_entry *e;
    double u = 0.0;
    sw_mono_ms t0;

    ns[0] = test_notifier("slow", sh);
    ns[1] = test_notifier("down", NULL);
    add(f, "slow", "a1", T0);
    add(f, "down", "a2", T0);
    assert_int_equal(sw_dispatch_new(f->ob, ns, 2, &o, &d), 0);
    sw_dispatch_set_rand(d, fixed_rand, &u);
    t0 = sw_mono_now();
    assert_int_equal(sw_dispatch_run(d, T0, 5000), 0);
    /* Returned as soon as nothing was left in flight. */
    assert_true(sw_mono_now() - t0 < 2000);
    assert_int_equal(sw_dispatch_in_flight(d), 0);
    sw_dispatch_stats(d, &st);
    assert_int_equal(st.retried, 2);
    e = sw_outbox_first(f->ob, "slow");
    assert_int_equal(e->attempts, 1);
    assert_int_equal(e->next_attempt, T0 + 15);
    assert_non_null(strstr(e->last_error, "timed out"));
    e = sw_outbox_first(f->ob, "down");
    assert_int_equal(e->attempts, 1);
    assert_non_null(e->last_error);
    assert_true(e->last_error[0] != '\0');
    sw_dispatch_free(d);
    sw_notifier_free(ns[0]);
    sw_notifier_free(ns[1]);
    server_stop(sh);
}

/* A 4xx is permanent: dropped, counted and logged with notifier, alarm and
 * reason; so is a prepare() that returns SW_EINVAL.  A prepare() that
 * fails otherwise is retried. */
static void
test_permanent(void **state)
{
    static const int script[] = {400};
    struct fixture *f = *state;
    struct server *s = server_start(script, 1);
    struct sw_notifier *ns[3];
    struct sw_dispatch *d = NULL;
    struct sw_dispatch_stats st;
    struct capture cap;
    char *log;

    ns[0] = test_notifier("hook", s);
    ns[1] = test_notifier("broken", s);
    ((struct test_notifier *)ns[1])->prepare_result = SW_EINVAL;
    ns[2] = test_notifier("flaky", s);
    ((struct test_notifier *)ns[2])->prepare_result = SW_EIO;
    add(f, "hook", "disk-full", T0);
    add(f, "broken", "b1", T0);
    add(f, "flaky", "c1", T0);
    assert_int_equal(sw_dispatch_new(f->ob, ns, 3, NULL, &d), 0);
    capture_start(&cap);
    assert_int_equal(sw_dispatch_run(d, T0, 5000), 0);
    log = capture_end(&cap);
    sw_dispatch_stats(d, &st);
    assert_int_equal(st.dropped_permanent, 2);
    assert_int_equal(st.retried, 1);
    assert_int_equal(st.delivered, 0);
    assert_int_equal(sw_outbox_len(f->ob), 1);
    assert_string_equal(sw_outbox_get(f->ob, 0)->notifier, "flaky");
    assert_non_null(strstr(log, "error: notify: notifier 'hook': alarm "
                                "'disk-full': permanent failure: HTTP 400: "
                                "reply4; notification dropped"));
    assert_non_null(strstr(log, "notifier 'broken': alarm 'b1': permanent "
                                "failure: test: prepare says -3"));
    assert_non_null(strstr(log, "notifier 'flaky': alarm 'c1': attempt 1 "
                                "failed: test: prepare says -6"));
    free(log);
    sw_dispatch_free(d);
    for (int i = 0; i < 3; i++)
        sw_notifier_free(ns[i]);
    server_stop(s);
}

static void
test_cancel(void **state)
{
    static const int hang[] = {HANG}, ok[] = {200};
    struct fixture *f = *state;
    struct server *sh = server_start(hang, 1), *so = server_start(ok, 1);
    struct sw_notifier *ns[2];
    struct sw_dispatch_opts o = {.timeout_ms = 30000};
    struct sw_dispatch *d = NULL;
    volatile sig_atomic_t stop = 0;
    sw_mono_ms t0;

    ns[0] = test_notifier("mail", sh);
    ns[1] = test_notifier("hook", so);
    add(f, "mail", "a1", T0);
    assert_int_equal(sw_dispatch_new(f->ob, ns, 2, &o, &d), 0);
    sw_dispatch_set_cancel_flag(d, &stop);
    assert_int_equal(sw_dispatch_run(d, T0, 0), 0);
    assert_int_equal(sw_dispatch_in_flight(d), 1);

    /* Set while waiting for the hung transfer: back within a slice, the
     * transfer left alone, nothing new started. */
    add(f, "hook", "a2", T0);
    stop = 1;
    t0 = sw_mono_now();
    assert_int_equal(sw_dispatch_run(d, T0, 5000), SW_ECANCELED);
    assert_true(sw_mono_now() - t0 < 300);
    assert_int_equal(sw_dispatch_in_flight(d), 1);
    assert_int_equal(server_requests(so), 0);

    /* Shutdown flush: without the flag, the other notifier gets its
     * entry out before the deadline. */
    sw_dispatch_set_cancel_flag(d, NULL);
    assert_int_equal(sw_dispatch_run(d, T0, 500), 0);
    assert_int_equal(server_requests(so), 1);
    assert_int_equal(sw_outbox_len(f->ob), 1);
    sw_dispatch_free(d);
    sw_notifier_free(ns[0]);
    sw_notifier_free(ns[1]);
    server_stop(sh);
    server_stop(so);
}

/* Expiry by the notifier's max_age, and entries of a notifier that is not
 * configured: kept, never sent, warned about once. */
static void
test_expire_and_unknown(void **state)
{
    static const int ok[] = {200};
    struct fixture *f = *state;
    struct server *s = server_start(ok, 1);
    struct sw_notifier *n = test_notifier("hook", s);
    struct sw_dispatch *d = NULL;
    struct sw_dispatch_stats st;
    struct capture cap;
    char *log;

    n->max_age_s = 3600;
    add(f, "hook", "old", T0);
    add(f, "gone", "g1", T0);
    add(f, "gone", "g2", T0);
    assert_int_equal(sw_dispatch_new(f->ob, &n, 1, NULL, &d), 0);
    assert_int_equal(sw_dispatch_next_due(d), T0);
    capture_start(&cap);
    assert_int_equal(sw_dispatch_run(d, T0 + 3601, 1000), 0);
    assert_int_equal(sw_dispatch_run(d, T0 + 3602, 1000), 0);
    log = capture_end(&cap);
    assert_int_equal(server_requests(s), 0);
    sw_dispatch_stats(d, &st);
    assert_int_equal(st.expired, 1);
    assert_int_equal(sw_outbox_len(f->ob), 2);
    assert_int_equal(sw_outbox_pending(f->ob, "gone", NULL), 2);
    assert_int_equal(sw_dispatch_next_due(d), 0);
    assert_non_null(strstr(log, "notifier 'hook': alarm 'old': notification "
                                "expired after 3601 s"));
    assert_non_null(strstr(log, "warning: notify: notifier 'gone' is not "
                                "configured; its 2 pending"));
    /* Once. */
    assert_null(strstr(strstr(log, "'gone' is not") + 1, "'gone' is not"));
    free(log);
    sw_dispatch_free(d);
    sw_notifier_free(n);
    server_stop(s);
}

/* Per notifier, oldest first and one at a time, all within one run; a log
 * notifier (no transfer) in the same run. */
static void
test_order_and_sync(void **state)
{
    static const int ok[] = {200};
    struct fixture *f = *state;
    struct server *s = server_start(ok, 1);
    struct sw_notifier *ns[2];
    struct sw_dispatch *d = NULL;
    struct sw_dispatch_stats st;
    char path[128], buf[4096];
    FILE *fp;
    size_t got;

    snprintf(path, sizeof(path), "%s/alarms.log", f->dir);
    ns[0] = test_notifier("hook", s);
    assert_int_equal(sw_notifier_log_new("file", path, &ns[1]), 0);
    add(f, "hook", "first", T0);
    add(f, "file", "first", T0);
    add(f, "hook", "second", T0 + 1);
    add(f, "file", "second", T0 + 1);
    add(f, "hook", "third", T0 + 2);
    assert_int_equal(sw_dispatch_new(f->ob, ns, 2, NULL, &d), 0);
    assert_int_equal(sw_dispatch_run(d, T0 + 5, 5000), 0);
    assert_int_equal(server_requests(s), 3);
    assert_string_equal(s->paths[0], "/first");
    assert_string_equal(s->paths[1], "/second");
    assert_string_equal(s->paths[2], "/third");
    sw_dispatch_stats(d, &st);
    assert_int_equal(st.delivered, 5);
    assert_int_equal(sw_outbox_len(f->ob), 0);
    fp = fopen(path, "r");
    assert_non_null(fp);
    got = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    buf[got] = '\0';
    assert_non_null(strstr(buf, "\"first\""));
    assert_true(strstr(buf, "\"first\"") < strstr(buf, "\"second\""));
    assert_non_null(strstr(buf, "\"Notifier\":\"file\"}\n"));
    unlink(path);
    sw_dispatch_free(d);
    sw_notifier_free(ns[0]);
    sw_notifier_free(ns[1]);
    server_stop(s);
}

/* A reload: transfers in flight are aborted, the new set is used. */
static void
test_set_notifiers(void **state)
{
    static const int hang[] = {HANG}, ok[] = {200};
    struct fixture *f = *state;
    struct server *sh = server_start(hang, 1), *so = server_start(ok, 1);
    struct sw_notifier *old = test_notifier("hook", sh);
    struct sw_notifier *neu = test_notifier("hook", so);
    struct sw_dispatch *d = NULL;

    add(f, "hook", "a1", T0);
    assert_int_equal(sw_dispatch_new(f->ob, &old, 1, NULL, &d), 0);
    assert_int_equal(sw_dispatch_run(d, T0, 0), 0);
    assert_int_equal(sw_dispatch_in_flight(d), 1);
    assert_int_equal(sw_dispatch_set_notifiers(d, &neu, 1), 0);
    assert_int_equal(sw_dispatch_in_flight(d), 0);
    sw_notifier_free(old); /* safe now */
    assert_int_equal(sw_dispatch_run(d, T0, 5000), 0);
    assert_int_equal(server_requests(so), 1);
    assert_int_equal(sw_outbox_len(f->ob), 0);
    assert_int_equal(sw_dispatch_set_notifiers(d, NULL, 0), 0);
    sw_dispatch_free(d);
    sw_notifier_free(neu);
    server_stop(sh);
    server_stop(so);
}

static void
test_deliver_now(void **state)
{
    static const int ok[] = {200, 404}, hang[] = {HANG};
    struct server *s = server_start(ok, 2), *sh = server_start(hang, 1);
    struct sw_notifier *n = test_notifier("hook", s);
    struct sw_notifier *nh = test_notifier("mail", sh);
    struct sw_notifier *nl = NULL;
    json_t *rec = json_pack("{s:{s:s}}", "alarm", "AlarmName", "sample");
    volatile sig_atomic_t stop = 0;
    char err[256];
    sw_mono_ms t0;

    (void)state;
    assert_non_null(rec);
    assert_int_equal(
        sw_dispatch_deliver_now(NULL, n, rec, T0, 5000, NULL, err, sizeof(err)),
        SW_DELIVERED);
    assert_string_equal(err, "");
    assert_int_equal(
        sw_dispatch_deliver_now(NULL, n, rec, T0, 5000, NULL, err, sizeof(err)),
        SW_DELIVERY_PERMANENT);
    assert_string_equal(err, "HTTP 404: reply4");

    t0 = sw_mono_now();
    assert_int_equal(
        sw_dispatch_deliver_now(NULL, nh, rec, T0, 300, NULL, err, sizeof(err)),
        SW_DELIVERY_RETRY);
    assert_true(sw_mono_now() - t0 < 1500);
    assert_true(err[0] != '\0');

    stop = 1;
    assert_int_equal(sw_dispatch_deliver_now(NULL, nh, rec, T0, 5000, &stop,
                                             err, sizeof(err)),
                     SW_ECANCELED);

    /* The log notifier: no transfer at all. */
    assert_int_equal(sw_notifier_log_new("null", "/dev/null", &nl), 0);
    assert_int_equal(sw_dispatch_deliver_now(NULL, nl, rec, T0, 5000, NULL, err,
                                             sizeof(err)),
                     SW_DELIVERED);
    sw_notifier_free(nl);
    json_decref(rec);
    sw_notifier_free(n);
    sw_notifier_free(nh);
    server_stop(s);
    server_stop(sh);
    assert_int_equal(ctx_allocs, ctx_frees);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff),
        cmocka_unit_test_setup_teardown(test_retry_then_deliver, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_parallel_hang, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transport_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_permanent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expire_and_unknown, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_order_and_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_notifiers, setup, teardown),
        cmocka_unit_test(test_deliver_now),
    };
    int r;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    /* Only errors and warnings: the tests look at some of them. */
    sw_log_set_level(SW_LOG_WARN);
    r = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return r;
}
