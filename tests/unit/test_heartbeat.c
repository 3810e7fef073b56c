/* tests/unit/test_heartbeat.c - agent/heartbeat: the URL/fail and origin
 * rules, the summary line, and pings on a real curl multi handle against
 * the scripted loopback server (what is sent, outcomes, a peer that never
 * answers, abandoning, the cancel flag, and logs free of the URL's path). */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "agent/heartbeat.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "tests/unit/loopback.h"

static char tmpdir[128];

#define OK_REPLY                                                               \
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK"

/* ---- pure parts ---- */

static void
check_fail_url(const char *url, const char *want)
{
    char buf[256];

    assert_int_equal(sw_heartbeat_fail_url(url, buf, sizeof(buf)), 0);
    assert_string_equal(buf, want);
}

static void
test_fail_url(void **state)
{
    char buf[32];

    (void)state;
    check_fail_url("https://hc-ping.com/5f1c", "https://hc-ping.com/5f1c/fail");
    /* one trailing '/' goes */
    check_fail_url("https://hc-ping.com/5f1c/",
                   "https://hc-ping.com/5f1c/fail");
    check_fail_url("http://h:8000/a//", "http://h:8000/a//fail");
    /* before the query, which healthchecks reads (?rid=) */
    check_fail_url("https://hc-ping.com/5f1c?rid=42",
                   "https://hc-ping.com/5f1c/fail?rid=42");
    check_fail_url("https://hc-ping.com/5f1c/?rid=42&x=/y",
                   "https://hc-ping.com/5f1c/fail?rid=42&x=/y");
    /* never after a '#', even one before a '?' */
    check_fail_url("https://h/p#frag", "https://h/p/fail#frag");
    check_fail_url("https://h/p#frag?x=1", "https://h/p/fail#frag?x=1");
    check_fail_url("https://h/p?a=1#f/g", "https://h/p/fail?a=1#f/g");
    /* no path at all */
    check_fail_url("https://h", "https://h/fail");
    check_fail_url("https://h/", "https://h/fail");
    check_fail_url("https://h:443?q", "https://h:443/fail?q");
    check_fail_url("http://[::1]:8080/x/", "http://[::1]:8080/x/fail");

    assert_int_equal(sw_heartbeat_fail_url("hc-ping.com/x", buf, sizeof(buf)),
                     SW_EINVAL);
    assert_int_equal(sw_heartbeat_fail_url("://x", buf, sizeof(buf)),
                     SW_EINVAL);
    /* "https://h/abc/fail" is 18 bytes: 19 fit, 18 do not */
    assert_int_equal(sw_heartbeat_fail_url("https://h/abc", buf, 19), 0);
    assert_string_equal(buf, "https://h/abc/fail");
    assert_int_equal(sw_heartbeat_fail_url("https://h/abc", buf, 18),
                     SW_ETOOBIG);
}

static void
check_origin(const char *url, const char *want)
{
    char buf[64];

    assert_int_equal(sw_heartbeat_origin(url, buf, sizeof(buf)), 0);
    assert_string_equal(buf, want);
}

static void
test_origin(void **state)
{
    char buf[16];

    (void)state;
    check_origin("https://hc-ping.com/5f1c-secret", "https://hc-ping.com");
    check_origin("http://127.0.0.1:8080/ping/x?rid=1", "http://127.0.0.1:8080");
    check_origin("https://h?secret", "https://h");
    check_origin("https://h#secret", "https://h");
    check_origin("http://[::1]:80/s", "http://[::1]:80");
    check_origin("https://h", "https://h");
    assert_int_equal(sw_heartbeat_origin("h/x", buf, sizeof(buf)), SW_EINVAL);
    assert_int_equal(
        sw_heartbeat_origin("https://a-long-host.example/x", buf, sizeof(buf)),
        SW_ETOOBIG);
}

static void
test_summary(void **state)
{
    struct sw_cycle_stats st;
    struct sw_heartbeat_report rep;
    char buf[256];
    int n;

    (void)state;
    memset(&st, 0, sizeof(st));
    st.alarms = 12;
    st.blind = 0;
    memset(&rep, 0, sizeof(rep));
    rep.agent = "kds-01";
    rep.st = &st;
    rep.in_alarm = 2;
    rep.cycle_ms = 420;
    n = sw_heartbeat_summary(&rep, buf, sizeof(buf));
    assert_string_equal(buf, "streamwatch kds-01: 12 alarms evaluated, 0 "
                             "fetch failures, 2 in ALARM, 0 blind, cycle "
                             "0.42 s");
    assert_int_equal(n, (int)strlen(buf));
    assert_false(sw_heartbeat_failed(&rep));

    st.alarms = 1;
    st.fetch_failures = 1;
    st.blind = 1;
    rep.in_alarm = 0;
    rep.cycle_ms = 12345;
    rep.discover_failed = 1;
    sw_heartbeat_summary(&rep, buf, sizeof(buf));
    assert_string_equal(buf, "streamwatch kds-01: 1 alarm evaluated, 1 "
                             "fetch failure, 0 in ALARM, 1 blind, cycle "
                             "12.35 s, discovery failed");
    assert_true(sw_heartbeat_failed(&rep));
    st.fetch_failures = 0;
    assert_true(sw_heartbeat_failed(&rep)); /* discovery alone */
    rep.discover_failed = 0;
    assert_false(sw_heartbeat_failed(&rep));

    /* a cycle that did not complete */
    rep.st = NULL;
    rep.error = SW_ENOMEM;
    rep.cycle_ms = 5;
    sw_heartbeat_summary(&rep, buf, sizeof(buf));
    assert_string_equal(buf, "streamwatch kds-01: 0 in ALARM, cycle 0.01 s, "
                             "cycle failed: out of memory");
    assert_true(sw_heartbeat_failed(&rep));

    assert_int_equal(sw_heartbeat_summary(&rep, buf, 20), SW_ETOOBIG);
    assert_int_equal(strlen(buf), 19);
    assert_int_equal(sw_heartbeat_summary(&rep, buf, 0), SW_ETOOBIG);
}

/* ---- pings ---- */

/* Run HB until its ping settles, for at most 5 s. */
static void
drive(struct sw_heartbeat *hb)
{
    sw_mono_ms t0 = sw_mono_now();

    while (sw_heartbeat_in_flight(hb) && sw_mono_now() - t0 < 5000)
        assert_int_equal(sw_heartbeat_run(hb, 200), 0);
    assert_false(sw_heartbeat_in_flight(hb));
}

/* stderr into a file while a test runs, to read what was logged. */
static int saved_stderr = -1;
static char logpath[192];

static void
capture_start(void)
{
    int fd;

    snprintf(logpath, sizeof(logpath), "%s/stderr.log", tmpdir);
    fflush(stderr);
    saved_stderr = dup(2);
    fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0 && saved_stderr >= 0);
    dup2(fd, 2);
    close(fd);
}

static char *
capture_end(void)
{
    static char buf[65536];
    FILE *f;
    size_t n;

    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    f = fopen(logpath, "r");
    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    unlink(logpath);
    return buf;
}

static void
test_ping_ok_and_fail(void **state)
{
    static const char *const script[] = {OK_REPLY, OK_REPLY};
    struct sw_test_server s;
    struct sw_heartbeat *hb;
    struct sw_heartbeat_stats st;
    char url[128], *log;

    (void)state;
    sw_test_server_start(&s, tmpdir, script, 2);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/ping/s3cr3t-uuid/?rid=7",
             s.port);
    assert_int_equal(sw_heartbeat_new(NULL, NULL, &hb), 0);
    assert_false(sw_heartbeat_in_flight(hb));
    assert_int_equal(sw_heartbeat_send(hb, url, 0, "streamwatch a: fine"), 0);
    drive(hb);
    assert_int_equal(sw_heartbeat_send(hb, url, 1, "streamwatch a: bad"), 0);
    drive(hb);
    sw_heartbeat_stats(hb, &st);
    assert_int_equal(st.sent, 2);
    assert_int_equal(st.ok, 2);
    assert_int_equal(st.failed, 0);
    assert_int_equal(st.abandoned, 0);
    sw_heartbeat_free(hb);
    assert_int_equal(sw_test_server_wait(&s), 0);

    log = sw_test_server_log(&s);
    assert_non_null(strstr(log, "POST /ping/s3cr3t-uuid/?rid=7 HTTP/1.1\r\n"));
    assert_non_null(
        strstr(log, "POST /ping/s3cr3t-uuid/fail?rid=7 HTTP/1.1\r\n"));
    assert_non_null(
        strcasestr(log, "\r\nContent-Type: text/plain; charset=utf-8\r\n"));
    assert_non_null(strcasestr(log, "\r\nContent-Length: 19\r\n"));
    assert_non_null(strstr(log, "\r\n\r\nstreamwatch a: fine\n====="));
    assert_non_null(strstr(log, "\r\n\r\nstreamwatch a: bad\n====="));
    assert_null(strcasestr(log, "\r\nExpect:"));
}

static void
test_ping_failures_logged_without_path(void **state)
{
    static const char *const script[] = {
        "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: "
        "close\r\n\r\nnot found",
        "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/s3cr3t\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n",
        NULL, /* closes without an answer */
    };
    struct sw_test_server s;
    struct sw_heartbeat *hb;
    struct sw_heartbeat_stats st;
    char url[128], origin[64], *log;
    int fd, port;
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);

    (void)state;
    sw_test_server_start(&s, tmpdir, script, 3);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/s3cr3t?rid=s3cr3t", s.port);
    snprintf(origin, sizeof(origin), "http://127.0.0.1:%d", s.port);
    sw_log_set_level(SW_LOG_DEBUG);
    capture_start();
    assert_int_equal(sw_heartbeat_new(NULL, NULL, &hb), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sw_heartbeat_send(hb, url, i == 1, "x"), 0);
        drive(hb);
    }
    /* a port nobody listens on: bound, never listened to */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    port = ntohs(sa.sin_port);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/s3cr3t", port);
    (void)sw_heartbeat_send(hb, url, 0, "x");
    drive(hb);
    close(fd);
    sw_heartbeat_stats(hb, &st);
    sw_heartbeat_free(hb);
    log = capture_end();
    sw_log_set_level(SW_LOG_ERR);
    assert_int_equal(sw_test_server_wait(&s), 0);

    assert_int_equal(st.sent, 4);
    assert_int_equal(st.ok, 0);
    assert_int_equal(st.failed, 4);
    assert_null(strstr(log, "s3cr3t"));
    assert_int_equal(sw_test_count(log, ": warning: heartbeat: "), 4);
    assert_non_null(strstr(log, "HTTP 404; not retried"));
    assert_non_null(strstr(log, "HTTP 302 (redirects are not followed)"));
    assert_non_null(strstr(log, origin));
    /* the fail ping is the second */
    assert_non_null(strstr(log, "heartbeat: fail ping to "));
}

/* A peer that accepts (the kernel does, from the backlog) and never
 * answers: the ping times out after timeout_ms, and a ping due while one
 * is in flight abandons it. */
static void
test_hanging_peer(void **state)
{
    struct sw_heartbeat_opts o = {.timeout_ms = 300, .connect_timeout_ms = 200};
    struct sw_heartbeat *hb;
    struct sw_heartbeat_stats st;
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    volatile sig_atomic_t stop = 0;
    char url[128], *log;
    sw_mono_ms t0;
    int lfd;

    (void)state;
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(lfd, 8), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/s3cr3t",
             ntohs(sa.sin_port));

    sw_log_set_level(SW_LOG_DEBUG);
    capture_start();
    assert_int_equal(sw_heartbeat_new(&o, &stop, &hb), 0);
    /* send never waits: the ping is still in flight */
    assert_int_equal(sw_heartbeat_send(hb, url, 0, "x"), 0);
    assert_true(sw_heartbeat_in_flight(hb));
    /* the next one abandons it: one warning, then quieter */
    assert_int_equal(sw_heartbeat_send(hb, url, 0, "x"), 0);
    assert_int_equal(sw_heartbeat_send(hb, url, 1, "x"), 0);
    assert_true(sw_heartbeat_in_flight(hb));
    /* the cancel flag ends a run at once; the ping stays */
    stop = 1;
    t0 = sw_mono_now();
    assert_int_equal(sw_heartbeat_run(hb, 5000), SW_ECANCELED);
    assert_true(sw_mono_now() - t0 < 1000);
    assert_true(sw_heartbeat_in_flight(hb));
    stop = 0;
    /* curl's timeout ends it */
    t0 = sw_mono_now();
    drive(hb);
    assert_true(sw_mono_now() - t0 < 3000);
    sw_heartbeat_stats(hb, &st);
    assert_int_equal(st.sent, 3);
    assert_int_equal(st.abandoned, 2);
    assert_int_equal(st.failed, 1);
    /* and a stop abandons one in flight */
    assert_int_equal(sw_heartbeat_send(hb, url, 0, "x"), 0);
    sw_heartbeat_abandon(hb, "stopping");
    assert_false(sw_heartbeat_in_flight(hb));
    sw_heartbeat_stats(hb, &st);
    assert_int_equal(st.abandoned, 3);
    sw_heartbeat_free(hb);
    log = capture_end();
    sw_log_set_level(SW_LOG_ERR);
    close(lfd);

    assert_null(strstr(log, "s3cr3t"));
    assert_int_equal(sw_test_count(log, "abandoned for the next one"), 1);
    assert_non_null(strstr(log, "fail ping to http://127.0.0.1:"));
}

static void
test_idle_and_null(void **state)
{
    struct sw_heartbeat *hb;

    (void)state;
    assert_false(sw_heartbeat_in_flight(NULL));
    assert_int_equal(sw_heartbeat_run(NULL, 10), 0);
    sw_heartbeat_free(NULL);
    assert_int_equal(sw_heartbeat_after_cycle(NULL, NULL, NULL, NULL, 0, 0), 0);
    assert_int_equal(sw_heartbeat_new(NULL, NULL, &hb), 0);
    assert_int_equal(sw_heartbeat_run(hb, 10), 0);
    sw_heartbeat_abandon(hb, "nothing");
    assert_int_equal(sw_heartbeat_send(hb, "no-scheme", 1, "x"), SW_EINVAL);
    assert_false(sw_heartbeat_in_flight(hb));
    sw_heartbeat_free(hb);
}

static int
group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sw_test_heartbeat.XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    sw_log_set_level(SW_LOG_ERR);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return 0;
}

static int
group_teardown(void **state)
{
    char p[192];

    (void)state;
    snprintf(p, sizeof(p), "%s/requests.log", tmpdir);
    unlink(p);
    rmdir(tmpdir);
    curl_global_cleanup();
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fail_url),
        cmocka_unit_test(test_origin),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_ping_ok_and_fail),
        cmocka_unit_test(test_ping_failures_logged_without_path),
        cmocka_unit_test(test_hanging_peer),
        cmocka_unit_test(test_idle_and_null),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
