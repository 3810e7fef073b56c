/* tests/unit/test_batch.c - the concurrent batch runner (aws/batch) and
 * the client's rate limit (sw_aws_opts.max_rps), against a loopback
 * server that, unlike tests/unit/loopback.c, keeps connections alive,
 * answers many at once after a delay, and logs what it saw: when each
 * request arrived, on which connection, how many were waiting for their
 * answer, so that the tests can check concurrency, connection reuse and
 * the rate limit from the server's side.
 *
 * The request body tells the server what to answer: "id=N mode=M", M one
 * of ok, e500xK / thrxK / dropxK / skewxK / expxK (fail the first K
 * attempts of id N with a 500, a Throttling reply, a connection closed
 * without an answer, a clock-skew 403, an ExpiredToken 403; then ok),
 * val (a 400 ValidationError, always), slow (answer after 10 s), big (a
 * 100-byte body). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "aws/batch.h"
#include "aws/client.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"

/* ------------------------------------------------------------------ */
/* The server (a forked child)                                         */

#define MAXCONN  64
#define MAXIDS   1024
#define REQ_MAX  65536
#define SLOW_MS  10000
#define MAXLINES 4096

struct conn {
    int fd;
    size_t len;
    int waiting;    /* a request read, its answer not yet written */
    int drop;       /* close instead of answering */
    sw_mono_ms due; /* when to answer */
    char out[1024];
    size_t outlen;
    char buf[REQ_MAX];
};

struct server {
    pid_t pid;
    int port;
    char log[256];
};

static char tmpdir[64];
static struct conn conns[MAXCONN];
static int attempts_of[MAXIDS];

static void
logf_(int fd, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n > 0 && fd >= 0)
        (void)!write(fd, line,
                     (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* K from "<prefix>x<K>" when MODE starts with PREFIX, else -1. */
static int
fail_count(const char *mode, const char *prefix)
{
    size_t n = strlen(prefix);

    if (strncmp(mode, prefix, n) != 0 || mode[n] != 'x')
        return -1;
    return (int)strtol(mode + n + 1, NULL, 10);
}

static void
reply(struct conn *c, const char *status, const char *headers, const char *body)
{
    int n = snprintf(c->out, sizeof(c->out),
                     "HTTP/1.1 %s\r\nContent-Type: application/x-amz-json-1.0"
                     "\r\n%sContent-Length: %zu\r\n\r\n%s",
                     status, headers, strlen(body), body);

    c->outlen = n > 0 && (size_t)n < sizeof(c->out) ? (size_t)n : 0;
}

/* Decide the answer to the request in C (headers end at HEND). */
static void
answer(struct conn *c, int cid, int logfd, int *inflight, long delay_ms)
{
    char mode[32] = "", *p, body[160], hdr[160];
    int id = -1, a, k;
    sw_mono_ms now = sw_mono_now();

    c->buf[c->len] = '\0';
    p = strstr(c->buf, "\r\n\r\n");
    if (p && (p = strstr(p, "id=")) != NULL) {
        id = (int)strtol(p + 3, NULL, 10);
        p = strstr(p, "mode=");
        if (p)
            sscanf(p + 5, "%31s", mode);
    }
    if (id < 0 || id >= MAXIDS)
        id = 0;
    a = ++attempts_of[id];
    (*inflight)++;
    logf_(logfd, "R %lld %d %d %d %d\n", (long long)now, cid, id, *inflight, a);
    c->waiting = 1;
    c->drop = 0;
    c->due = now + delay_ms;
    snprintf(hdr, sizeof(hdr), "x-amzn-RequestId: rid-%d-%d\r\n", id, a);
    snprintf(body, sizeof(body), "{\"id\":%d,\"attempt\":%d}", id, a);
    if (strcmp(mode, "val") == 0) {
        reply(c, "400 Bad Request",
              "x-amzn-query-error: ValidationError;Sender\r\n",
              "{\"__type\":\"ValidationError\",\"message\":\"bad "
              "request\"}");
    } else if (strcmp(mode, "slow") == 0) {
        c->due = now + SLOW_MS;
        reply(c, "200 OK", hdr, body);
    } else if (strcmp(mode, "big") == 0) {
        reply(c, "200 OK", hdr,
              "0123456789012345678901234567890123456789012345678901234567890"
              "123456789012345678901234567890123456789");
    } else if ((k = fail_count(mode, "e500")) >= a) {
        reply(c, "500 Internal Server Error", hdr,
              "{\"__type\":\"InternalFailure\",\"message\":\"oops\"}");
    } else if ((k = fail_count(mode, "thr")) >= a) {
        reply(c, "400 Bad Request", "x-amzn-query-error: Throttling;Sender\r\n",
              "{\"__type\":\"Throttling\",\"message\":\"Rate exceeded\"}");
    } else if ((k = fail_count(mode, "drop")) >= a) {
        c->drop = 1;
    } else if ((k = fail_count(mode, "skew")) >= a) {
        char date[64], h2[128];
        time_t ahead = time(NULL) + 3600;
        struct tm tm;

        gmtime_r(&ahead, &tm);
        strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        snprintf(h2, sizeof(h2), "Date: %s\r\n", date);
        reply(c, "403 Forbidden", h2,
              "{\"__type\":\"SignatureDoesNotMatch\",\"message\":"
              "\"Signature expired\"}");
    } else if ((k = fail_count(mode, "exp")) >= a) {
        reply(c, "403 Forbidden", "",
              "{\"__type\":\"ExpiredTokenException\",\"message\":\"The "
              "security token included in the request is expired\"}");
    } else {
        reply(c, "200 OK", hdr, body);
    }
    c->len = 0;
}

/* A whole request in C? */
static int
complete(struct conn *c)
{
    char *end, *cl;
    size_t need;

    c->buf[c->len] = '\0';
    end = strstr(c->buf, "\r\n\r\n");
    if (!end)
        return 0;
    cl = strcasestr(c->buf, "\r\nContent-Length:");
    need = (size_t)(end + 4 - c->buf) +
           (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
    return c->len >= need;
}

static void
drop_conn(struct conn *c, int *inflight)
{
    if (c->waiting)
        (*inflight)--;
    close(c->fd);
    c->fd = -1;
    c->waiting = 0;
    c->len = 0;
}

static void
serve(int lfd, int logfd, long delay_ms)
{
    int inflight = 0, nconn = 0;

    for (int i = 0; i < MAXCONN; i++)
        conns[i].fd = -1;
    for (;;) {
        struct pollfd pfd[MAXCONN + 1];
        int map[MAXCONN + 1], np = 0, timeout = 1000;
        sw_mono_ms now = sw_mono_now();

        for (int i = 0; i < MAXCONN; i++) {
            struct conn *c = &conns[i];

            if (c->fd < 0 || !c->waiting)
                continue;
            if (c->due <= now) {
                inflight--;
                c->waiting = 0;
                if (c->drop) {
                    drop_conn(c, &inflight);
                    continue;
                }
                for (size_t off = 0; off < c->outlen;) {
                    ssize_t w = write(c->fd, c->out + off, c->outlen - off);
                    if (w <= 0)
                        break;
                    off += (size_t)w;
                }
            } else if (c->due - now < timeout) {
                timeout = (int)(c->due - now);
            }
        }
        pfd[np].fd = lfd;
        pfd[np].events = POLLIN;
        map[np++] = -1;
        for (int i = 0; i < MAXCONN; i++) {
            if (conns[i].fd < 0)
                continue;
            pfd[np].fd = conns[i].fd;
            pfd[np].events = POLLIN;
            map[np++] = i;
        }
        if (poll(pfd, (nfds_t)np, timeout) < 0 && errno != EINTR)
            _exit(3);
        for (int k = 0; k < np; k++) {
            struct conn *c;
            ssize_t got;

            if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (map[k] < 0) {
                int fd = accept(lfd, NULL, NULL), i;

                if (fd < 0)
                    continue;
                for (i = 0; i < MAXCONN && conns[i].fd >= 0; i++)
                    ;
                if (i == MAXCONN) {
                    close(fd);
                    continue;
                }
                conns[i].fd = fd;
                conns[i].len = 0;
                conns[i].waiting = 0;
                logf_(logfd, "C %d\n", ++nconn);
                continue;
            }
            c = &conns[map[k]];
            got = read(c->fd, c->buf + c->len, REQ_MAX - 1 - c->len);
            if (got <= 0) {
                drop_conn(c, &inflight);
                continue;
            }
            c->len += (size_t)got;
            if (!c->waiting && complete(c))
                answer(c, map[k], logfd, &inflight, delay_ms);
        }
    }
}

static void
server_start(struct server *s, long delay_ms)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    int lfd, one = 1, fd;

    lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(lfd >= 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(lfd, 64), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
    s->port = ntohs(sa.sin_port);
    snprintf(s->log, sizeof(s->log), "%s/server.log", tmpdir);
    unlink(s->log);
    fflush(NULL);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid > 0) {
        close(lfd);
        return;
    }
    /* Child: killed by the test; ends itself should a test fail first. */
    alarm(60);
    fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    serve(lfd, fd, delay_ms);
    _exit(0);
}

/* What the server saw. */
struct seen {
    int conns;
    int nreq;
    int max_inflight;
    sw_mono_ms t[MAXLINES];
    int id[MAXLINES];
    int attempt[MAXLINES];
};

static void
server_stop(struct server *s, struct seen *out)
{
    char line[256];
    FILE *f;

    kill(s->pid, SIGTERM);
    waitpid(s->pid, NULL, 0);
    memset(out, 0, sizeof(*out));
    f = fopen(s->log, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        long long t;
        int cid, id, infl, att;

        if (line[0] == 'C') {
            out->conns++;
        } else if (sscanf(line, "R %lld %d %d %d %d", &t, &cid, &id, &infl,
                          &att) == 5 &&
                   out->nreq < MAXLINES) {
            out->t[out->nreq] = (sw_mono_ms)t;
            out->id[out->nreq] = id;
            out->attempt[out->nreq] = att;
            out->nreq++;
            if (infl > out->max_inflight)
                out->max_inflight = infl;
        }
    }
    fclose(f);
    unlink(s->log);
}

/* The most arrivals of request ID (-1: any) in any window of W ms. */
static int
most_in_window_of(const struct seen *sn, sw_mono_ms w, int id)
{
    int most = 0;

    /* Arrivals are logged in order. */
    for (int k = 0; k < sn->nreq; k++) {
        int in = 0;

        if (id >= 0 && sn->id[k] != id)
            continue;
        for (int j = k; j >= 0 && sn->t[j] > sn->t[k] - w; j--)
            in += id < 0 || sn->id[j] == id;
        if (in > most)
            most = in;
    }
    return most;
}

static int
most_in_window(const struct seen *sn, sw_mono_ms w)
{
    return most_in_window_of(sn, w, -1);
}

/* ------------------------------------------------------------------ */
/* The client                                                          */

static double
zero_rand(void *arg)
{
    (void)arg;
    return 0.0;
}

struct observed {
    int calls;
    int success, error, throttled, canceled, other, network, credentials;
    int retries;
};

static void
observer(void *arg, const char *op, const char *outcome, int retries)
{
    struct observed *o = arg;

    (void)op;
    o->calls++;
    o->retries += retries;
    if (strcmp(outcome, "success") == 0)
        o->success++;
    else if (strcmp(outcome, "error") == 0)
        o->error++;
    else if (strcmp(outcome, "throttled") == 0)
        o->throttled++;
    else if (strcmp(outcome, "canceled") == 0)
        o->canceled++;
    else if (strcmp(outcome, "network") == 0)
        o->network++;
    else if (strcmp(outcome, "credentials") == 0)
        o->credentials++;
    else
        o->other++;
}

static struct sw_aws *
client_for(const struct server *s, int max_attempts, int max_rps,
           struct observed *obs)
{
    struct sw_aws_opts o;
    struct sw_aws *a = NULL;
    char url[64], err[256];

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s->port);
    memset(&o, 0, sizeof(o));
    o.region = "us-east-1";
    o.endpoint = url;
    o.max_attempts = max_attempts;
    o.request_timeout_ms = 20000;
    o.max_rps = max_rps;
    assert_int_equal(sw_aws_new(&o, &a, err, sizeof(err)), 0);
    sw_aws_set_rand(a, zero_rand, NULL);
    if (obs) {
        memset(obs, 0, sizeof(*obs));
        sw_aws_set_observer(a, observer, obs);
    }
    return a;
}

struct bodies {
    char b[MAXIDS][48];
};

/* N requests, request i with body "id=i mode=MODES[i % NMODES]". */
static struct sw_aws_batch_req *
make_reqs(size_t n, const char *const *modes, size_t nmodes, struct bodies *bd)
{
    struct sw_aws_batch_req *q = calloc(n, sizeof(*q));

    assert_non_null(q);
    assert_true(n <= MAXIDS);
    for (size_t i = 0; i < n; i++) {
        snprintf(bd->b[i], sizeof(bd->b[i]), "id=%zu mode=%s", i,
                 modes[i % nmodes]);
        q[i].svc = SW_SVC_MONITORING;
        q[i].proto = SW_PROTO_JSON10;
        q[i].op = "GetMetricData";
        q[i].body = bd->b[i];
        q[i].len = strlen(bd->b[i]);
    }
    return q;
}

static void
free_reqs(struct sw_aws_batch_req *q, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sw_buf_release(&q[i].reply);
    free(q);
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */

static struct bodies bodies;

static void
test_many_at_once(void **state)
{
    const char *const modes[] = {"ok"};
    struct sw_aws_batch_opts bo = {.concurrency = 4};
    struct sw_aws_batch_req *q;
    struct observed obs;
    struct server s;
    struct seen *sn = calloc(1, sizeof(*sn));
    struct sw_aws *a;
    sw_mono_ms t0, took;
    char want[64];

    (void)state;
    server_start(&s, 100);
    a = client_for(&s, 0, 0, &obs);
    q = make_reqs(40, modes, 1, &bodies);
    t0 = sw_mono_now();
    assert_int_equal(sw_aws_batch_run(a, q, 40, &bo), 0);
    took = sw_mono_now() - t0;
    for (size_t i = 0; i < 40; i++) {
        assert_int_equal(q[i].result, 0);
        assert_int_equal(q[i].attempts, 1);
        snprintf(want, sizeof(want), "{\"id\":%zu,\"attempt\":1}", i);
        assert_string_equal(sw_buf_str(&q[i].reply), want);
    }
    /* Ten rounds of 100 ms, not forty. */
    assert_true(took >= 900);
    assert_true(took < 3900);
    assert_int_equal(obs.calls, 40);
    assert_int_equal(obs.success, 40);
    assert_int_equal(obs.retries, 0);

    /* A second batch reuses the connections of the first. */
    free_reqs(q, 40);
    q = make_reqs(8, modes, 1, &bodies);
    assert_int_equal(sw_aws_batch_run(a, q, 8, &bo), 0);
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(q[i].result, 0);
    server_stop(&s, sn);
    assert_int_equal(sn->nreq, 48);
    /* Four at once, never more; four connections for 48 requests. */
    assert_int_equal(sn->max_inflight, 4);
    assert_true(sn->conns >= 1 && sn->conns <= 4);
    free_reqs(q, 8);
    sw_aws_free(a);
    free(sn);
}

static void
test_retries_and_final_errors(void **state)
{
    const char *const modes[] = {"e500x2", "thrx1",  "val",   "thrx9",
                                 "dropx1", "skewx1", "expx1", "ok"};
    struct sw_aws_batch_opts bo = {.concurrency = 3};
    struct sw_aws_batch_req *q;
    struct observed obs;
    struct server s;
    struct seen *sn = calloc(1, sizeof(*sn));
    struct sw_aws *a;
    int per_id[8] = {0};

    (void)state;
    server_start(&s, 20);
    a = client_for(&s, 3, 0, &obs);
    q = make_reqs(8, modes, 8, &bodies);
    assert_int_equal(sw_aws_batch_run(a, q, 8, &bo), 0);
    /* 500 twice, then ok: three attempts. */
    assert_int_equal(q[0].result, 0);
    assert_int_equal(q[0].attempts, 3);
    assert_string_equal(sw_buf_str(&q[0].reply), "{\"id\":0,\"attempt\":3}");
    /* Throttled once. */
    assert_int_equal(q[1].result, 0);
    assert_int_equal(q[1].attempts, 2);
    /* A validation error is final at once, with what AWS said. */
    assert_int_equal(q[2].result, SW_EAWS);
    assert_int_equal(q[2].attempts, 1);
    assert_int_equal(q[2].err.http_status, 400);
    assert_string_equal(q[2].err.code, "ValidationError");
    assert_string_equal(q[2].err.message, "bad request");
    assert_int_equal(q[2].reply.len, 0);
    /* Throttled on every attempt: the client's three, then given up. */
    assert_int_equal(q[3].result, SW_ETHROTTLED);
    assert_int_equal(q[3].attempts, 3);
    assert_string_equal(q[3].err.code, "Throttling");
    assert_string_equal(q[3].err.request_id, "");
    /* A connection closed without an answer is retried (by curl itself
     * when the connection was a reused one: then it is one attempt). */
    assert_int_equal(q[4].result, 0);
    assert_true(q[4].attempts >= 1 && q[4].attempts <= 2);
    /* Clock skew and an expired token: one immediate extra attempt. */
    assert_int_equal(q[5].result, 0);
    assert_int_equal(q[5].attempts, 2);
    assert_true(sw_aws_clock_offset(a) >= 3590 &&
                sw_aws_clock_offset(a) <= 3610);
    assert_int_equal(q[6].result, 0);
    assert_int_equal(q[6].attempts, 2);
    assert_int_equal(q[7].result, 0);
    assert_int_equal(q[7].attempts, 1);
    assert_string_equal(q[7].err.request_id, "rid-7-1");

    assert_int_equal(obs.calls, 8);
    assert_int_equal(obs.success, 6);
    assert_int_equal(obs.error, 1);
    assert_int_equal(obs.throttled, 1);
    assert_int_equal(obs.retries,
                     2 + 1 + 0 + 2 + (q[4].attempts - 1) + 1 + 1 + 0);
    server_stop(&s, sn);
    for (int i = 0; i < sn->nreq; i++)
        per_id[sn->id[i]]++;
    assert_int_equal(per_id[0], 3);
    assert_int_equal(per_id[2], 1);
    assert_int_equal(per_id[3], 3);
    assert_int_equal(per_id[1], 2);
    assert_int_equal(per_id[4], 2);
    assert_int_equal(per_id[5], 2);
    assert_int_equal(per_id[6], 2);
    assert_int_equal(per_id[7], 1);
    assert_int_equal(sn->nreq, 3 + 2 + 1 + 3 + 2 + 2 + 2 + 1);
    assert_true(sn->max_inflight <= 3);
    free_reqs(q, 8);
    sw_aws_free(a);
    free(sn);
}

static void
test_rate_limit(void **state)
{
    const char *const modes[] = {"ok"};
    struct sw_aws_batch_opts bo = {.concurrency = 8};
    struct sw_aws_batch_req *q;
    struct server s;
    struct seen *sn = calloc(1, sizeof(*sn));
    struct sw_aws *a;
    sw_mono_ms t0, took;

    (void)state;
    server_start(&s, 0);
    a = client_for(&s, 0, 10, NULL);
    q = make_reqs(30, modes, 1, &bodies);
    t0 = sw_mono_now();
    assert_int_equal(sw_aws_batch_run(a, q, 30, &bo), 0);
    took = sw_mono_now() - t0;
    for (size_t i = 0; i < 30; i++)
        assert_int_equal(q[i].result, 0);
    /* 10 at once, 10 a second later, 10 two seconds later. */
    assert_true(took >= 1990);
    server_stop(&s, sn);
    assert_int_equal(sn->nreq, 30);
    /* The limit holds the sends to 10 in any second, counted when each
     * request goes on the wire, a new connection's connect included.  The
     * server's clock reads a request when its poll loop gets to it, a few
     * milliseconds late at worst: its windows are 50 ms shorter. */
    assert_true(most_in_window(sn, 1000 - 50) <= 10);
    assert_true(most_in_window(sn, 2000 - 50) <= 20);
    free_reqs(q, 30);
    sw_aws_free(a);
    free(sn);
}

static void
test_throttling_halves_the_rate(void **state)
{
    const char *const first[] = {"thrx1"};
    const char *const modes[] = {"ok"};
    struct sw_aws_batch_opts bo = {.concurrency = 8};
    struct sw_aws_batch_req *q;
    struct server s;
    struct seen *sn = calloc(1, sizeof(*sn));
    struct sw_aws *a;
    sw_mono_ms t0, took;

    (void)state;
    server_start(&s, 0);
    a = client_for(&s, 0, 10, NULL);
    /* One call throttled once: from then on 5 a second. */
    q = make_reqs(1, first, 1, &bodies);
    assert_int_equal(sw_aws_batch_run(a, q, 1, &bo), 0);
    assert_int_equal(q[0].result, 0);
    assert_int_equal(q[0].attempts, 2);
    free_reqs(q, 1);
    /* 11 calls: at 10 a second a second would do; at 5, more than two
     * (the two attempts above count as well). */
    q = make_reqs(11, modes, 1, &bodies);
    t0 = sw_mono_now();
    assert_int_equal(sw_aws_batch_run(a, q, 11, &bo), 0);
    took = sw_mono_now() - t0;
    for (size_t i = 0; i < 11; i++)
        assert_int_equal(q[i].result, 0);
    assert_true(took >= 1900);
    server_stop(&s, sn);
    assert_true(most_in_window(sn, 1000 - 50) <= 5);
    free_reqs(q, 11);
    sw_aws_free(a);
    free(sn);
}

/* The synchronous call waits for the rate limit too. */
static void
test_call_rate_limit(void **state)
{
    struct server s;
    struct seen *sn = calloc(1, sizeof(*sn));
    struct sw_aws *a;
    struct sw_aws_error e;
    sw_mono_ms t0;

    (void)state;
    server_start(&s, 0);
    a = client_for(&s, 0, 3, NULL);
    t0 = sw_mono_now();
    for (int i = 0; i < 7; i++)
        assert_int_equal(sw_aws_call(a, SW_SVC_MONITORING, SW_PROTO_JSON10,
                                     "GetMetricData", "id=1 mode=ok", 12, NULL,
                                     &e),
                         0);
    /* 3, 3 a second later, 1 two seconds later. */
    assert_true(sw_mono_now() - t0 >= 1990);
    /* Other services are not limited. */
    t0 = sw_mono_now();
    for (int i = 0; i < 5; i++)
        assert_int_equal(sw_aws_call(a, SW_SVC_KINESIS, SW_PROTO_JSON11,
                                     "DescribeStreamSummary", "id=2 mode=ok",
                                     12, NULL, &e),
                         0);
    assert_true(sw_mono_now() - t0 < 900);
    server_stop(&s, sn);
    assert_int_equal(sn->nreq, 12);
    assert_true(most_in_window_of(sn, 1000 - 50, 1) <= 3);
    assert_int_equal(most_in_window_of(sn, 1000 - 50, 2), 5);
    sw_aws_free(a);
    free(sn);
}

struct flag_tick {
    volatile sig_atomic_t *flag;
    sw_mono_ms at; /* raise the flag from this time on */
    sw_mono_ms raised;
    sw_mono_ms last;
    long max_gap;
    int ticks;
};

static void
tick(void *arg)
{
    struct flag_tick *t = arg;
    sw_mono_ms now = sw_mono_now();

    if (t->last && now - t->last > t->max_gap)
        t->max_gap = (long)(now - t->last);
    t->last = now;
    t->ticks++;
    if (!*t->flag && now >= t->at) {
        *t->flag = 1;
        t->raised = now;
    }
}

static void
test_cancel_aborts_at_once(void **state)
{
    const char *const modes[] = {"slow"};
    volatile sig_atomic_t stop = 0;
    struct flag_tick ft = {.flag = &stop};
    struct sw_aws_batch_opts bo = {
        .concurrency = 4, .tick = tick, .tick_arg = &ft};
    struct sw_aws_batch_req *q;
    struct observed obs;
    struct server s;
    struct seen *sn = calloc(1, sizeof(*sn));
    struct sw_aws *a;
    sw_mono_ms t0;

    (void)state;
    server_start(&s, 0);
    a = client_for(&s, 0, 0, &obs);
    sw_aws_set_cancel_flag(a, &stop);
    q = make_reqs(10, modes, 1, &bodies);
    t0 = sw_mono_now();
    ft.at = t0 + 300;
    assert_int_equal(sw_aws_batch_run(a, q, 10, &bo), 0);
    /* Well before the server's 10 s. */
    assert_true(ft.raised > 0);
    assert_true(sw_mono_now() - ft.raised < 500);
    assert_true(ft.ticks >= 2);
    assert_true(ft.max_gap <= 150);
    for (size_t i = 0; i < 10; i++) {
        assert_int_equal(q[i].result, SW_ECANCELED);
        assert_int_equal(q[i].reply.len, 0);
        /* The four in flight were sent; the rest never were. */
        assert_int_equal(q[i].attempts, i < 4 ? 1 : 0);
    }
    assert_int_equal(obs.calls, 10);
    assert_int_equal(obs.canceled, 10);
    /* With the flag still up nothing is sent. */
    assert_int_equal(sw_aws_batch_run(a, q, 3, &bo), 0);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(q[i].result, SW_ECANCELED);
        assert_int_equal(q[i].attempts, 0);
        assert_string_equal(q[i].err.message, "canceled");
    }
    server_stop(&s, sn);
    assert_int_equal(sn->nreq, 4);
    free_reqs(q, 10);
    sw_aws_free(a);
    free(sn);
}

static void
test_yield_finishes_flight(void **state)
{
    const char *const modes[] = {"ok"};
    volatile sig_atomic_t reload = 0;
    struct flag_tick ft = {.flag = &reload};
    struct sw_aws_batch_opts bo = {
        .concurrency = 4, .tick = tick, .tick_arg = &ft};
    struct sw_aws_batch_req *q;
    struct observed obs;
    struct server s;
    struct seen *sn = calloc(1, sizeof(*sn));
    struct sw_aws *a;
    int ok = 0, canceled = 0;

    (void)state;
    server_start(&s, 400);
    a = client_for(&s, 0, 0, &obs);
    sw_aws_set_yield_flag(a, &reload);
    q = make_reqs(12, modes, 1, &bodies);
    ft.at = sw_mono_now() + 100;
    assert_int_equal(sw_aws_batch_run(a, q, 12, &bo), 0);
    for (size_t i = 0; i < 12; i++) {
        if (q[i].result == 0) {
            ok++;
            assert_int_equal(q[i].attempts, 1);
        } else {
            canceled++;
            assert_int_equal(q[i].result, SW_ECANCELED);
            assert_int_equal(q[i].attempts, 0);
        }
    }
    /* The first four, in flight when the flag went up, finished. */
    assert_int_equal(ok, 4);
    assert_int_equal(canceled, 8);
    assert_int_equal(obs.success, 4);
    assert_int_equal(obs.canceled, 8);
    server_stop(&s, sn);
    assert_int_equal(sn->nreq, 4);
    free_reqs(q, 12);
    sw_aws_free(a);
    free(sn);
}

static void
test_bad_and_odd(void **state)
{
    const char *const modes[] = {"ok", "big"};
    struct sw_aws_batch_req *q;
    struct observed obs;
    struct server s;
    struct seen *sn = calloc(1, sizeof(*sn));
    struct sw_aws *a;

    (void)state;
    server_start(&s, 0);
    a = client_for(&s, 0, 0, &obs);
    assert_int_equal(sw_aws_batch_run(NULL, NULL, 0, NULL), SW_EINVAL);
    assert_int_equal(sw_aws_batch_run(a, NULL, 1, NULL), SW_EINVAL);
    assert_int_equal(sw_aws_batch_run(a, NULL, 0, NULL), 0);
    q = make_reqs(4, modes, 2, &bodies);
    q[0].op = "Get-Metric"; /* refused before sending */
    q[2].proto = SW_PROTO_QUERY;
    q[2].svc = SW_SVC_KINESIS; /* Kinesis speaks no Query */
    q[3].max_reply = 10;       /* "big" is 100 bytes */
    assert_int_equal(sw_aws_batch_run(a, q, 4, NULL), 0);
    assert_int_equal(q[0].result, SW_EINVAL);
    assert_int_equal(q[0].attempts, 0);
    assert_int_equal(q[1].result, 0);
    assert_int_equal(q[1].reply.len, 100);
    assert_int_equal(q[2].result, SW_EINVAL);
    assert_int_equal(q[3].result, SW_ETOOBIG);
    assert_int_equal(q[3].attempts, 1);
    assert_int_equal(q[3].reply.len, 0);
    assert_int_equal(obs.calls, 4);
    assert_int_equal(obs.other, 3);
    server_stop(&s, sn);
    assert_int_equal(sn->nreq, 2);
    free_reqs(q, 4);
    sw_aws_free(a);
    free(sn);
}

static int
group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sw_test_batch.XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    sw_log_set_level(SW_LOG_WARN);
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_CLOUDWATCH");
    unsetenv("AWS_ENDPOINT_URL_KINESIS");
    unsetenv("AWS_MAX_ATTEMPTS");
    unsetenv("AWS_CA_BUNDLE");
    unsetenv("AWS_CREDENTIAL_EXPIRATION");
    setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEXAMPLESESSIONTOKEN", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/streamwatch/config", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE",
           "/nonexistent/streamwatch/credentials", 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
           1);
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    rmdir(tmpdir);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_at_once),
        cmocka_unit_test(test_retries_and_final_errors),
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_throttling_halves_the_rate),
        cmocka_unit_test(test_call_rate_limit),
        cmocka_unit_test(test_cancel_aborts_at_once),
        cmocka_unit_test(test_yield_finishes_flight),
        cmocka_unit_test(test_bad_and_odd),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
