/* tests/unit/test_webhook.c - the webhook and Alertmanager notifiers:
 * the signature (a known HMAC vector), URL, format and header validation,
 * and prepare/done on a real curl handle against a scripted loopback
 * server (headers and body as sent, secrets read from files, outcome
 * classes). */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
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
#include <curl/curl.h>
#include <jansson.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "notifiers/alertmanager.h"
#include "notifiers/message.h"
#include "notifiers/notifier.h"
#include "notifiers/webhook.h"
#include "tests/unit/loopback.h"

static char tmpdir[128];

/* The record of docs/aws-wire.md section 7's alarm (one datapoint), as
 * notifiers/message builds it (the same as in test_sns.c). */
static const char record_text[] =
    "{\"alarm\":{\"AlarmName\":\"kds-orders-incoming-low\",\"AlarmDescripti"
    "on\":\"IncomingRecords below 100/min\",\"AWSAccountId\":\"123456789012"
    "\",\"AlarmConfigurationUpdatedTimestamp\":\"2025-11-26T09:58:12.123+00"
    "00\",\"NewStateValue\":\"ALARM\",\"NewStateReason\":\"Threshold Crosse"
    "d: 1 out of the last 1 datapoints [12.0 (26/11/25 10:04:00)] was less "
    "than the threshold (100.0).\",\"StateChangeTime\":\"2025-11-26T10:06:4"
    "1.000+0000\",\"Region\":\"Asia Pacific (Tokyo)\",\"AlarmArn\":\"arn:aw"
    "s:cloudwatch:ap-northeast-1:123456789012:alarm:kds-orders-incoming-low"
    "\",\"OldStateValue\":\"OK\",\"OKActions\":[\"arn:aws:sns:ap-northeast-"
    "1:123456789012:ops\"],\"AlarmActions\":[\"arn:aws:sns:ap-northeast-1:1"
    "23456789012:ops\"],\"InsufficientDataActions\":[],\"Trigger\":{\"Metri"
    "cName\":\"IncomingRecords\",\"Namespace\":\"AWS/Kinesis\",\"StatisticT"
    "ype\":\"Statistic\",\"Statistic\":\"SUM\",\"Unit\":null,\"Dimensions\""
    ":[{\"value\":\"orders\",\"name\":\"StreamName\"}],\"Period\":60,\"Eval"
    "uationPeriods\":1,\"DatapointsToAlarm\":1,\"ComparisonOperator\":\"Les"
    "sThanThreshold\",\"Threshold\":100.0,\"TreatMissingData\":\"missing\","
    "\"EvaluateLowSampleCountPercentile\":\"\"}},\"streamwatch\":{\"rule\":"
    "\"kds-orders-incoming-low\",\"stream\":\"orders\",\"repeat\":false,\"l"
    "abels\":{\"severity\":\"page\"},\"namespace\":\"AWS/Kinesis\",\"metric"
    "\":\"IncomingRecords\",\"state_reason_data\":null,\"console_url\":\"ht"
    "tps://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-"
    "northeast-1#alarmsV2:alarm/kds-orders-incoming-low\",\"region\":\"ap-n"
    "ortheast-1\"}}";

/* ------------------------------------------------------------------ */
/* A scripted loopback server (one request per connection).            */

static size_t
write_cb(char *p, size_t size, size_t n, void *arg)
{
    (void)sw_buf_add(arg, p, size * n);
    return size * n;
}

/* One delivery as the dispatcher makes it: prepare on a fresh handle,
 * perform, done.  Returns done's enum sw_delivery, or prepare's error. */
static int
deliver(struct sw_notifier *n, const json_t *rec, char *err, size_t errlen)
{
    CURL *easy = curl_easy_init();
    struct sw_buf body;
    void *ctx = NULL;
    long status = 0;
    CURLcode cc;
    int r;

    assert_non_null(easy);
    sw_buf_init(&body, 65536);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
    r = n->ops->prepare(n, rec, 1795600000, easy, &ctx, err, errlen);
    if (r == 0) {
        cc = curl_easy_perform(easy);
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        r = n->ops->done(n, ctx, cc, status, body.data ? body.data : "",
                         body.len, err, errlen);
    }
    n->ops->ctx_free(ctx);
    curl_easy_cleanup(easy);
    sw_buf_release(&body);
    return r;
}

/* sha256("kds-orders-incoming-low\0ALARM\0" "2025-11-26T10:06:41.000+0000\0"
 * "false\0"), computed with Python's hashlib. */
#define DEDUP "8344e42290f2db4b86ede5962d26400e5b5bc32684ca7504d35db445d6236f42"
#define NOW   1795600000 /* what deliver() passes as the agent's clock */

static json_t *
load_record(void)
{
    json_error_t je;
    json_t *rec = json_loads(record_text, 0, &je);

    assert_non_null(rec);
    return rec;
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The value of header NAME in the raw request REQ, into OUT.
 * Returns 1 when found. */
static int
req_header(const char *req, const char *name, char *out, size_t outlen)
{
    char pat[128];
    const char *p, *e;

    snprintf(pat, sizeof(pat), "\r\n%s: ", name);
    p = strcasestr(req, pat);
    if (!p)
        return 0;
    p += strlen(pat);
    e = strstr(p, "\r\n");
    assert_non_null(e);
    assert_true((size_t)(e - p) < outlen);
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
    return 1;
}

/* ------------------------------------------------------------------ */

/* HMAC-SHA256("whsec-test-secret", "1700000000.{\"text\":\"hello\"}"),
 * computed with Python's hmac module. */
static void
test_signature_vector(void **state)
{
    static const char key[] = "whsec-test-secret";
    static const char body[] = "{\"text\":\"hello\"}";
    char sig[SW_WEBHOOK_SIG_BUF];

    (void)state;
    assert_int_equal(sw_webhook_signature(key, strlen(key), 1700000000, body,
                                          strlen(body), sig),
                     0);
    assert_string_equal(sig, "v1=6d9c2939794eea3beb5c5048c33c1d68a265da3326a"
                             "9fab7bee864f20836ce57");
    /* The timestamp is part of what is signed. */
    assert_int_equal(sw_webhook_signature(key, strlen(key), 1700000001, body,
                                          strlen(body), sig),
                     0);
    assert_string_not_equal(sig, "v1=6d9c2939794eea3beb5c5048c33c1d68a265da3"
                                 "326a9fab7bee864f20836ce57");
}

static void
test_header_check(void **state)
{
    char err[256], big[SW_WEBHOOK_HEADER_MAX + 2];
    static const char *const ok[][2] = {
        {"X-Api-Key", "abc123"},
        {"X-Team", "ops\tpager"},
        {"x_custom.1~!#$%&'*+^`|", "v"},
        {"X-Empty", ""},
    };
    static const char *const bad[][2] = {
        {"", "v"},
        {"Bad Name", "v"},
        {"Bad:Name", "v"},
        {"X-\xc3\xa4", "v"},
        {"Authorization", "Bearer x"},
        {"authorization", "Bearer x"},
        {"Host", "evil"},
        {"Content-Type", "text/plain"},
        {"content-length", "5"},
        {"Transfer-Encoding", "chunked"},
        {"Connection", "close"},
        {"Expect", "100-continue"},
        {"user-agent", "curl"},
        {"X-Streamwatch-Signature", "v1=0"},
        {"x-streamwatch-delivery", "1"},
        {"X-Ok", "a\r\nX-Injected: 1"},
        {"X-Ok", "a\nb"},
        {"X-Ok", "caf\xc3\xa9"},
        {"X-Ok", "a\x7f"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        assert_int_equal(
            sw_webhook_header_check(ok[i][0], ok[i][1], err, sizeof(err)), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(
            sw_webhook_header_check(bad[i][0], bad[i][1], err, sizeof(err)),
            SW_EINVAL);
        assert_true(err[0] != '\0');
    }
    assert_int_equal(sw_webhook_header_check("X-Ok", NULL, err, sizeof(err)),
                     SW_EINVAL);
    memset(big, 'v', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(sw_webhook_header_check("X-Big", big, err, sizeof(err)),
                     SW_EINVAL);
    big[SW_WEBHOOK_HEADER_MAX] = '\0';
    assert_int_equal(sw_webhook_header_check("X-Big", big, err, sizeof(err)),
                     0);
}

static void
test_url_and_format(void **state)
{
    enum sw_webhook_format f;
    char err[256];

    (void)state;
    assert_int_equal(sw_webhook_url_check("https://hooks.example.com/x?a=1",
                                          err, sizeof(err)),
                     0);
    assert_int_equal(
        sw_webhook_url_check("http://127.0.0.1:8080", err, sizeof(err)), 0);
    assert_int_equal(sw_webhook_url_check("HTTPS://h/", err, sizeof(err)), 0);
    static const char *const bad[] = {
        "",
        "ftp://h/",
        "file:///etc/passwd",
        "http://",
        "https:///x",
        "http://h/a b",
        "http://h/\r\nX: y",
        "//h/",
        "http://h/\xc3\xa9",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(sw_webhook_url_check(bad[i], err, sizeof(err)),
                         SW_EINVAL);
    assert_int_equal(sw_webhook_url_check(NULL, err, sizeof(err)), SW_EINVAL);

    assert_int_equal(sw_webhook_format_parse(NULL, &f), 0);
    assert_int_equal(f, SW_WEBHOOK_CLOUDWATCH);
    assert_int_equal(sw_webhook_format_parse("cloudwatch", &f), 0);
    assert_int_equal(f, SW_WEBHOOK_CLOUDWATCH);
    assert_int_equal(sw_webhook_format_parse("alertmanager", &f), 0);
    assert_int_equal(f, SW_WEBHOOK_ALERTMANAGER);
    assert_int_equal(sw_webhook_format_parse("slack", &f), 0);
    assert_int_equal(f, SW_WEBHOOK_SLACK);
    assert_int_equal(sw_webhook_format_parse("Slack", &f), SW_EINVAL);
    assert_int_equal(sw_webhook_format_parse("", &f), SW_EINVAL);
}

static void
test_new_errors(void **state)
{
    struct sw_webhook_header h[] = {{"X-Api-Key", "k"}, {"Host", "x"}};
    struct sw_notifier_webhook_opts o;
    struct sw_notifier *n = NULL;
    char err[256];

    (void)state;
    memset(&o, 0, sizeof(o));
    o.url = "https://hooks.example.com/x";
    assert_int_equal(sw_notifier_webhook_new("chat", &o, &n, err, sizeof(err)),
                     0);
    assert_string_equal(sw_notifier_type(n), "webhook");
    assert_string_equal(sw_notifier_name(n), "chat");
    sw_notifier_free(n);
    n = NULL;
    o.format = "xml";
    assert_int_equal(sw_notifier_webhook_new("chat", &o, &n, err, sizeof(err)),
                     SW_EINVAL);
    assert_non_null(strstr(err, "format"));
    o.format = "slack";
    o.headers = h;
    o.nheaders = 2;
    assert_int_equal(sw_notifier_webhook_new("chat", &o, &n, err, sizeof(err)),
                     SW_EINVAL);
    assert_non_null(strstr(err, "Host"));
    o.nheaders = 1;
    o.secret_file = "";
    assert_int_equal(sw_notifier_webhook_new("chat", &o, &n, err, sizeof(err)),
                     SW_EINVAL);
    o.secret_file = NULL;
    o.url = "ftp://x/";
    assert_int_equal(sw_notifier_webhook_new("chat", &o, &n, err, sizeof(err)),
                     SW_EINVAL);
    assert_null(n);
    assert_int_equal(
        sw_notifier_webhook_new("chat", NULL, &n, err, sizeof(err)), SW_EINVAL);

    /* Secrets over http:// only to loopback, or with allow_insecure: the
     * same judgement as `check` (sw_webhook_cleartext_check()). */
    o.nheaders = 0;
    o.url = "http://hooks.example.com/x";
    o.bearer_token_file = "/etc/streamwatch/hook.token";
    assert_int_equal(sw_notifier_webhook_new("chat", &o, &n, err, sizeof(err)),
                     SW_EINVAL);
    assert_null(n);
    assert_non_null(strstr(err, "would send the bearer token in clear"));
    o.allow_insecure = 1;
    assert_int_equal(sw_notifier_webhook_new("chat", &o, &n, err, sizeof(err)),
                     0);
    sw_notifier_free(n);
    n = NULL;
    o.allow_insecure = 0;
    o.url = "http://[::1]:8080/x";
    assert_int_equal(sw_notifier_webhook_new("chat", &o, &n, err, sizeof(err)),
                     0);
    sw_notifier_free(n);
    n = NULL;
    o.bearer_token_file = NULL;
    o.url = "http://hooks.example.com/x";
    assert_int_equal(sw_notifier_webhook_new("chat", &o, &n, err, sizeof(err)),
                     0); /* nothing secret */
    sw_notifier_free(n);
}

static void
test_cleartext_check(void **state)
{
    char err[512];

    (void)state;
    assert_int_equal(sw_webhook_cleartext_check("http://h.example/", 0, 0, 0,
                                                err, sizeof(err)),
                     0);
    assert_int_equal(sw_webhook_cleartext_check("https://h.example/", 1, 1, 0,
                                                err, sizeof(err)),
                     0);
    assert_int_equal(sw_webhook_cleartext_check("http://127.0.0.1:9/", 1, 1, 0,
                                                err, sizeof(err)),
                     0);
    assert_int_equal(sw_webhook_cleartext_check("http://h.example/", 0, 1, 0,
                                                err, sizeof(err)),
                     SW_EINVAL);
    assert_string_equal(err, "'url' is http:// to h.example, not a loopback "
                             "host: it would send the requests signed with "
                             "secret_file in clear; use https://, or "
                             "allow_insecure = true");
    assert_int_equal(sw_webhook_cleartext_check("http://h.example/", 1, 1, 1,
                                                err, sizeof(err)),
                     1);
    assert_string_equal(err, "allow_insecure = true: sends the bearer token "
                             "and the requests signed with secret_file in "
                             "clear over http:// to h.example");
}

static void
test_body_formats(void **state)
{
    static const char alarm_prefix[] =
        "{\"AlarmName\":\"kds-orders-incoming-low\",\"AlarmDescription\":";
    json_t *rec = load_record(), *v;
    json_error_t je;
    char *body, *alarm;
    size_t len, alen;

    (void)state;
    /* cloudwatch: the alarm JSON, exactly what SNS would publish. */
    assert_int_equal(
        sw_webhook_body(rec, SW_WEBHOOK_CLOUDWATCH, NOW, &body, &len), 0);
    assert_int_equal(sw_message_alarm_json(rec, 0, &alarm, &alen), 0);
    assert_int_equal(len, alen);
    assert_string_equal(body, alarm);
    assert_true(strncmp(body, alarm_prefix, strlen(alarm_prefix)) == 0);
    free(alarm);
    free(body);
    /* alertmanager: the webhook payload, version 4. */
    assert_int_equal(
        sw_webhook_body(rec, SW_WEBHOOK_ALERTMANAGER, NOW, &body, &len), 0);
    v = json_loadb(body, len, 0, &je);
    assert_non_null(v);
    assert_string_equal(json_string_value(json_object_get(v, "version")), "4");
    assert_string_equal(json_string_value(json_object_get(v, "status")),
                        "firing");
    assert_int_equal(json_array_size(json_object_get(v, "alerts")), 1);
    json_decref(v);
    free(body);
    /* slack: {"text": ...}. */
    assert_int_equal(sw_webhook_body(rec, SW_WEBHOOK_SLACK, NOW, &body, &len),
                     0);
    v = json_loadb(body, len, 0, &je);
    assert_non_null(v);
    assert_non_null(strstr(json_string_value(json_object_get(v, "text")),
                           "kds-orders-incoming-low"));
    json_decref(v);
    free(body);
    json_decref(rec);
    /* Not a record. */
    rec = json_pack("{s:s}", "alarm", "x");
    assert_int_equal(sw_webhook_body(rec, SW_WEBHOOK_SLACK, NOW, &body, &len),
                     SW_EPARSE);
    assert_null(body);
    json_decref(rec);
}

static const char http_ok[] =
    "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";

/* A signed, authorised Slack-format POST as the receiver sees it. */
static void
test_post_signed(void **state)
{
    const char *const script[] = {http_ok};
    struct sw_webhook_header h[] = {{"X-Api-Key", "k-123"}, {"X-Empty", ""}};
    struct sw_notifier_webhook_opts o;
    struct sw_notifier *n = NULL;
    struct sw_test_server s;
    json_t *rec = load_record();
    char url[96], err[512], secret[192], token[192], v[256];
    char sig[SW_WEBHOOK_SIG_BUF], *want;
    const char *log, *body;
    size_t wantlen;
    long ts;

    (void)state;
    snprintf(secret, sizeof(secret), "%s/hook.secret", tmpdir);
    snprintf(token, sizeof(token), "%s/hook.token", tmpdir);
    write_file(secret, "whsec-test-secret\n");
    write_file(token, "tok-abc.def\r\n");
    sw_test_server_start(&s, tmpdir, script, 1);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook/x?y=1", s.port);
    memset(&o, 0, sizeof(o));
    o.url = url;
    o.format = "slack";
    o.headers = h;
    o.nheaders = 2;
    o.secret_file = secret;
    o.bearer_token_file = token;
    assert_int_equal(sw_notifier_webhook_new("chat", &o, &n, err, sizeof(err)),
                     0);
    assert_int_equal(deliver(n, rec, err, sizeof(err)), SW_DELIVERED);
    assert_int_equal(sw_test_server_wait(&s), 0);

    log = sw_test_server_log(&s);
    assert_true(strncmp(log, "POST /hook/x?y=1 HTTP/1.1\r\n", 27) == 0);
    assert_true(req_header(log, "Content-Type", v, sizeof(v)));
    assert_string_equal(v, "application/json");
    assert_true(req_header(log, "X-Streamwatch-Delivery", v, sizeof(v)));
    assert_string_equal(v, DEDUP);
    assert_true(req_header(log, "Authorization", v, sizeof(v)));
    assert_string_equal(v, "Bearer tok-abc.def");
    assert_true(req_header(log, "X-Api-Key", v, sizeof(v)));
    assert_string_equal(v, "k-123");
    assert_non_null(strstr(log, "\r\nX-Empty:\r\n"));
    assert_true(req_header(log, "User-Agent", v, sizeof(v)));
    assert_true(strncmp(v, "streamwatch/", 12) == 0);
    assert_null(strcasestr(log, "\r\nExpect:"));
    /* The timestamp is the real clock, not the agent's --now. */
    assert_true(req_header(log, "X-Streamwatch-Timestamp", v, sizeof(v)));
    ts = strtol(v, NULL, 10);
    assert_in_range(ts, time(NULL) - 30, time(NULL) + 1);

    body = strstr(log, "\r\n\r\n");
    assert_non_null(body);
    body += 4;
    assert_int_equal(
        sw_webhook_body(rec, SW_WEBHOOK_SLACK, NOW, &want, &wantlen), 0);
    assert_true(strncmp(body, want, wantlen) == 0);
    assert_string_equal(body + wantlen, "\n=====\n");
    assert_int_equal(sw_webhook_signature("whsec-test-secret", 17, (time_t)ts,
                                          want, wantlen, sig),
                     0);
    assert_true(req_header(log, "X-Streamwatch-Signature", v, sizeof(v)));
    assert_string_equal(v, sig);
    free(want);

    sw_notifier_free(n);
    json_decref(rec);
    unlink(secret);
    unlink(token);
}

/* Without secret or token: no signature, no Authorization. */
static void
test_post_plain(void **state)
{
    const char *const script[] = {http_ok};
    struct sw_notifier_webhook_opts o;
    struct sw_notifier *n = NULL;
    struct sw_test_server s;
    json_t *rec = load_record();
    char url[96], err[512], *alarm;
    const char *log, *body;
    size_t alen;

    (void)state;
    sw_test_server_start(&s, tmpdir, script, 1);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
    memset(&o, 0, sizeof(o));
    o.url = url;
    assert_int_equal(sw_notifier_webhook_new("chat", &o, &n, err, sizeof(err)),
                     0);
    assert_int_equal(deliver(n, rec, err, sizeof(err)), SW_DELIVERED);
    assert_int_equal(sw_test_server_wait(&s), 0);
    log = sw_test_server_log(&s);
    assert_null(strcasestr(log, "\r\nAuthorization:"));
    assert_null(strcasestr(log, "\r\nX-Streamwatch-Signature:"));
    assert_null(strcasestr(log, "\r\nX-Streamwatch-Timestamp:"));
    assert_non_null(strcasestr(log, "\r\nX-Streamwatch-Delivery: " DEDUP));
    body = strstr(log, "\r\n\r\n") + 4;
    assert_int_equal(sw_message_alarm_json(rec, 0, &alarm, &alen), 0);
    assert_true(strncmp(body, alarm, alen) == 0);
    free(alarm);
    sw_notifier_free(n);
    json_decref(rec);
}

static void
test_outcomes(void **state)
{
    static char replies[16][256];
    struct {
        int status;
        int want;
    } cases[] = {
        {200, SW_DELIVERED},          {204, SW_DELIVERED},
        {202, SW_DELIVERED},          {400, SW_DELIVERY_PERMANENT},
        {401, SW_DELIVERY_PERMANENT}, {403, SW_DELIVERY_PERMANENT},
        {404, SW_DELIVERY_PERMANENT}, {410, SW_DELIVERY_PERMANENT},
        {422, SW_DELIVERY_PERMANENT}, {408, SW_DELIVERY_RETRY},
        {429, SW_DELIVERY_RETRY},     {500, SW_DELIVERY_RETRY},
        {502, SW_DELIVERY_RETRY},     {503, SW_DELIVERY_RETRY},
        {301, SW_DELIVERY_RETRY},
    };
    const char *script[16];
    struct sw_notifier_webhook_opts o;
    struct sw_notifier *n = NULL;
    struct sw_test_server s;
    json_t *rec = load_record();
    char url[96], err[512];
    int nc = (int)(sizeof(cases) / sizeof(cases[0]));

    (void)state;
    for (int i = 0; i < nc; i++) {
        snprintf(replies[i], sizeof(replies[i]),
                 "HTTP/1.1 %d Whatever\r\nConnection: close\r\n"
                 "Content-Length: 0\r\n\r\n",
                 cases[i].status);
        script[i] = replies[i];
    }
    sw_test_server_start(&s, tmpdir, script, nc);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
    memset(&o, 0, sizeof(o));
    o.url = url;
    assert_int_equal(sw_notifier_webhook_new("chat", &o, &n, err, sizeof(err)),
                     0);
    for (int i = 0; i < nc; i++) {
        char want[32];

        err[0] = '\0';
        assert_int_equal(deliver(n, rec, err, sizeof(err)), cases[i].want);
        if (cases[i].want != SW_DELIVERED) {
            snprintf(want, sizeof(want), "HTTP %d", cases[i].status);
            assert_non_null(strstr(err, want));
        }
    }
    assert_int_equal(sw_test_server_wait(&s), 0);
    sw_notifier_free(n);

    /* Nobody listening. */
    o.url = "http://127.0.0.1:9/";
    assert_int_equal(sw_notifier_webhook_new("chat", &o, &n, err, sizeof(err)),
                     0);
    assert_int_equal(deliver(n, rec, err, sizeof(err)), SW_DELIVERY_RETRY);
    sw_notifier_free(n);
    json_decref(rec);
}

/* Secret files that cannot be used: never a permanent failure (the
 * operator fixes the file while the outbox keeps the record), and a token
 * with CR/LF never reaches a header. */
static void
test_secret_files(void **state)
{
    struct sw_notifier_webhook_opts o;
    struct sw_notifier *n = NULL;
    json_t *rec = load_record();
    char err[512], token[192], missing[192];
    int r;

    (void)state;
    snprintf(missing, sizeof(missing), "%s/none", tmpdir);
    snprintf(token, sizeof(token), "%s/bad.token", tmpdir);
    memset(&o, 0, sizeof(o));
    o.url = "http://127.0.0.1:9/";
    o.secret_file = missing;
    assert_int_equal(sw_notifier_webhook_new("chat", &o, &n, err, sizeof(err)),
                     0);
    r = deliver(n, rec, err, sizeof(err));
    assert_true(r < 0 && r != SW_EINVAL && r != SW_EPARSE);
    assert_non_null(strstr(err, "secret_file"));
    sw_notifier_free(n);

    write_file(token, "abc\r\nX-Injected: 1\n");
    o.secret_file = NULL;
    o.bearer_token_file = token;
    assert_int_equal(sw_notifier_webhook_new("chat", &o, &n, err, sizeof(err)),
                     0);
    r = deliver(n, rec, err, sizeof(err));
    assert_true(r < 0 && r != SW_EINVAL && r != SW_EPARSE);
    assert_non_null(strstr(err, "bearer_token_file"));
    assert_null(strstr(err, "abc"));
    sw_notifier_free(n);

    write_file(token, "");
    r = sw_notifier_webhook_new("chat", &o, &n, err, sizeof(err));
    assert_int_equal(r, 0);
    r = deliver(n, rec, err, sizeof(err));
    assert_true(r < 0 && r != SW_EINVAL && r != SW_EPARSE);
    sw_notifier_free(n);
    unlink(token);
    json_decref(rec);
}

/* ------------------------------------------------------------------ */
/* Alertmanager                                                        */

static void
test_am_url_and_new(void **state)
{
    struct sw_notifier_alertmanager_opts o;
    struct sw_notifier *n = NULL;
    char err[256], *u;

    (void)state;
    u = sw_alertmanager_url("http://127.0.0.1:9093");
    assert_string_equal(u, "http://127.0.0.1:9093/api/v2/alerts");
    free(u);
    u = sw_alertmanager_url("http://am.example//");
    assert_string_equal(u, "http://am.example/api/v2/alerts");
    free(u);
    u = sw_alertmanager_url("https://h/prefix/");
    assert_string_equal(u, "https://h/prefix/api/v2/alerts");
    free(u);

    memset(&o, 0, sizeof(o));
    o.url = "http://127.0.0.1:9093";
    assert_int_equal(
        sw_notifier_alertmanager_new("am", &o, &n, err, sizeof(err)), 0);
    assert_string_equal(sw_notifier_type(n), "alertmanager");
    sw_notifier_free(n);
    n = NULL;
    o.url = "http://h:9093/?x=1";
    assert_int_equal(
        sw_notifier_alertmanager_new("am", &o, &n, err, sizeof(err)),
        SW_EINVAL);
    o.url = "tcp://h:9093";
    assert_int_equal(
        sw_notifier_alertmanager_new("am", &o, &n, err, sizeof(err)),
        SW_EINVAL);
    o.url = "http://h:9093";
    o.generator_url = "not a url";
    assert_int_equal(
        sw_notifier_alertmanager_new("am", &o, &n, err, sizeof(err)),
        SW_EINVAL);
    assert_null(n);
}

static void
test_am_body(void **state)
{
    json_t *rec = load_record(), *v, *a;
    json_error_t je;
    char *body;
    size_t len;

    (void)state;
    /* Firing: one alert, no endsAt. */
    assert_int_equal(
        sw_alertmanager_body(rec, NOW, "http://gen/x", &body, &len), 0);
    v = json_loadb(body, len, 0, &je);
    assert_non_null(v);
    assert_true(json_is_array(v));
    assert_int_equal(json_array_size(v), 1);
    a = json_array_get(v, 0);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(a, "labels"), "alertname")),
                        "kds-orders-incoming-low");
    assert_null(json_object_get(a, "endsAt"));
    assert_string_equal(json_string_value(json_object_get(a, "generatorURL")),
                        "http://gen/x");
    json_decref(v);
    free(body);
    /* OK: resolved at NOW. */
    json_object_set_new(json_object_get(rec, "alarm"), "NewStateValue",
                        json_string("OK"));
    assert_int_equal(sw_alertmanager_body(rec, NOW, NULL, &body, &len), 0);
    v = json_loadb(body, len, 0, &je);
    a = json_array_get(v, 0);
    assert_string_equal(json_string_value(json_object_get(a, "endsAt")),
                        "2026-11-25T09:46:40Z");
    json_decref(v);
    free(body);
    json_decref(rec);
}

static void
test_am_post(void **state)
{
    static char replies[4][256];
    const int statuses[] = {200, 400, 500, 404};
    const int want[] = {SW_DELIVERED, SW_DELIVERY_PERMANENT, SW_DELIVERY_RETRY,
                        SW_DELIVERY_RETRY};
    const char *script[4];
    struct sw_notifier_alertmanager_opts o;
    struct sw_notifier *n = NULL;
    struct sw_test_server s;
    json_t *rec = load_record();
    char url[96], err[512], v[128], *expect;
    const char *log, *body;
    size_t len;

    (void)state;
    for (int i = 0; i < 4; i++) {
        const char *msg = statuses[i] == 400 ? "start time must be before "
                                               "end time\n"
                                             : "";
        snprintf(replies[i], sizeof(replies[i]),
                 "HTTP/1.1 %d X\r\nConnection: close\r\n"
                 "Content-Length: %zu\r\n\r\n%s",
                 statuses[i], strlen(msg), msg);
        script[i] = replies[i];
    }
    sw_test_server_start(&s, tmpdir, script, 4);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
    memset(&o, 0, sizeof(o));
    o.url = url;
    assert_int_equal(
        sw_notifier_alertmanager_new("am", &o, &n, err, sizeof(err)), 0);
    for (int i = 0; i < 4; i++) {
        err[0] = '\0';
        assert_int_equal(deliver(n, rec, err, sizeof(err)), want[i]);
    }
    assert_non_null(strstr(err, "HTTP 404"));
    assert_int_equal(sw_test_server_wait(&s), 0);
    log = sw_test_server_log(&s);
    assert_true(strncmp(log, "POST /api/v2/alerts HTTP/1.1\r\n", 30) == 0);
    assert_true(req_header(log, "Content-Type", v, sizeof(v)));
    assert_string_equal(v, "application/json");
    body = strstr(log, "\r\n\r\n") + 4;
    assert_int_equal(sw_alertmanager_body(rec, NOW, NULL, &expect, &len), 0);
    assert_true(strncmp(body, expect, len) == 0);
    free(expect);
    sw_notifier_free(n);
    json_decref(rec);
}

static int
group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sw_test_webhook.XXXXXX");
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
        cmocka_unit_test(test_signature_vector),
        cmocka_unit_test(test_header_check),
        cmocka_unit_test(test_url_and_format),
        cmocka_unit_test(test_new_errors),
        cmocka_unit_test(test_cleartext_check),
        cmocka_unit_test(test_body_formats),
        cmocka_unit_test(test_post_signed),
        cmocka_unit_test(test_post_plain),
        cmocka_unit_test(test_outcomes),
        cmocka_unit_test(test_secret_files),
        cmocka_unit_test(test_am_url_and_new),
        cmocka_unit_test(test_am_body),
        cmocka_unit_test(test_am_post),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
