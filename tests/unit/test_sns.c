/* tests/unit/test_sns.c - the SNS notifier: topic ARN checks, FIFO ids,
 * the Publish body byte for byte for a fixed record, the size limit, the
 * reply parser, and prepare/done on a real curl handle against a scripted
 * loopback server (signed headers, outcome classes, clock skew); plus
 * aws/client's sw_aws_prepare() and sw_aws_observe(). */
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

#include "aws/client.h"
#include "aws/query.h"
#include "aws/retry.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "notifiers/message.h"
#include "notifiers/notifier.h"
#include "notifiers/sns.h"
#include "tests/unit/loopback.h"

static char tmpdir[128];

/* The record of docs/aws-wire.md section 7's alarm (one datapoint), as
 * notifiers/message builds it. */
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

/* Publish for record_text to ...:ops with the CloudWatch subject: the
 * Message is the "alarm" object, compact, in field order; every byte
 * outside A-Za-z0-9-_.~ percent-encoded (aws/query). */
static const char expected_body[] =
    "Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aap-northe"
    "ast-1%3A123456789012%3Aops&Message=%7B%22AlarmName%22%3A%22kds-orders-"
    "incoming-low%22%2C%22AlarmDescription%22%3A%22IncomingRecords%20below%"
    "20100%2Fmin%22%2C%22AWSAccountId%22%3A%22123456789012%22%2C%22AlarmCon"
    "figurationUpdatedTimestamp%22%3A%222025-11-26T09%3A58%3A12.123%2B0000%"
    "22%2C%22NewStateValue%22%3A%22ALARM%22%2C%22NewStateReason%22%3A%22Thr"
    "eshold%20Crossed%3A%201%20out%20of%20the%20last%201%20datapoints%20%5B"
    "12.0%20%2826%2F11%2F25%2010%3A04%3A00%29%5D%20was%20less%20than%20the%"
    "20threshold%20%28100.0%29.%22%2C%22StateChangeTime%22%3A%222025-11-26T"
    "10%3A06%3A41.000%2B0000%22%2C%22Region%22%3A%22Asia%20Pacific%20%28Tok"
    "yo%29%22%2C%22AlarmArn%22%3A%22arn%3Aaws%3Acloudwatch%3Aap-northeast-1"
    "%3A123456789012%3Aalarm%3Akds-orders-incoming-low%22%2C%22OldStateValu"
    "e%22%3A%22OK%22%2C%22OKActions%22%3A%5B%22arn%3Aaws%3Asns%3Aap-northea"
    "st-1%3A123456789012%3Aops%22%5D%2C%22AlarmActions%22%3A%5B%22arn%3Aaws"
    "%3Asns%3Aap-northeast-1%3A123456789012%3Aops%22%5D%2C%22InsufficientDa"
    "taActions%22%3A%5B%5D%2C%22Trigger%22%3A%7B%22MetricName%22%3A%22Incom"
    "ingRecords%22%2C%22Namespace%22%3A%22AWS%2FKinesis%22%2C%22StatisticTy"
    "pe%22%3A%22Statistic%22%2C%22Statistic%22%3A%22SUM%22%2C%22Unit%22%3An"
    "ull%2C%22Dimensions%22%3A%5B%7B%22value%22%3A%22orders%22%2C%22name%22"
    "%3A%22StreamName%22%7D%5D%2C%22Period%22%3A60%2C%22EvaluationPeriods%2"
    "2%3A1%2C%22DatapointsToAlarm%22%3A1%2C%22ComparisonOperator%22%3A%22Le"
    "ssThanThreshold%22%2C%22Threshold%22%3A100.0%2C%22TreatMissingData%22%"
    "3A%22missing%22%2C%22EvaluateLowSampleCountPercentile%22%3A%22%22%7D%7"
    "D&Subject=ALARM%3A%20%22kds-orders-incoming-low%22%20in%20Asia%20Pacif"
    "ic%20%28Tokyo%29";

#define TOPIC      "arn:aws:sns:ap-northeast-1:123456789012:ops"
#define FIFO_TOPIC "arn:aws:sns:ap-northeast-1:123456789012:alarms.fifo"
#define SUBJECT    "ALARM: \"kds-orders-incoming-low\" in Asia Pacific (Tokyo)"
/* sha256("kds-orders-incoming-low\0ALARM\0" "2025-11-26T10:06:41.000+0000\0"
 * "false\0"), computed with Python's hashlib. */
#define DEDUP "8344e42290f2db4b86ede5962d26400e5b5bc32684ca7504d35db445d6236f42"

static json_t *
load_record(void)
{
    json_error_t je;
    json_t *rec = json_loads(record_text, 0, &je);

    assert_non_null(rec);
    return rec;
}

/* Decode one x-www-form-urlencoded value of KEY from BODY.
 * Returns: new (free()), or NULL when KEY is absent. */
static char *
form_value(const char *body, const char *key)
{
    size_t kl = strlen(key);
    const char *p = body;

    while (p && *p) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);

        if (n > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
            char *out = malloc(n), *o = out;
            for (size_t i = kl + 1; i < n; i++) {
                if (p[i] == '%' && i + 2 < n + 1) {
                    char hex[3] = {p[i + 1], p[i + 2], 0};
                    *o++ = (char)strtol(hex, NULL, 16);
                    i += 2;
                } else {
                    *o++ = p[i];
                }
            }
            *o = '\0';
            return out;
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

static int
env_setup(void)
{
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_SNS");
    unsetenv("AWS_ENDPOINT_URL_CLOUDWATCH");
    unsetenv("AWS_MAX_ATTEMPTS");
    unsetenv("AWS_CA_BUNDLE");
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_SECURITY_TOKEN");
    unsetenv("AWS_CREDENTIAL_EXPIRATION");
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/streamwatch/config", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE",
           "/nonexistent/streamwatch/credentials", 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
           1);
    return 0;
}

static struct sw_aws *
client(const char *region, const char *endpoint)
{
    struct sw_aws_opts o;
    struct sw_aws *a = NULL;
    char err[256];

    env_setup();
    memset(&o, 0, sizeof(o));
    o.region = region;
    o.endpoint = endpoint;
    assert_int_equal(sw_aws_new(&o, &a, err, sizeof(err)), 0);
    return a;
}

/* ------------------------------------------------------------------ */

static void
test_arn_check(void **state)
{
    char err[256];

    (void)state;
    assert_int_equal(
        sw_sns_arn_check(TOPIC, "ap-northeast-1", "aws", err, sizeof(err)), 0);
    assert_int_equal(
        sw_sns_arn_check(FIFO_TOPIC, "ap-northeast-1", "aws", err, sizeof(err)),
        1);
    assert_int_equal(sw_sns_arn_check("arn:aws-cn:sns:cn-north-1:"
                                      "123456789012:a_b-C9",
                                      NULL, NULL, err, sizeof(err)),
                     0);
    /* Another region: the request would be signed for the wrong one. */
    assert_int_equal(
        sw_sns_arn_check(TOPIC, "eu-west-1", "aws", err, sizeof(err)),
        SW_EINVAL);
    assert_non_null(strstr(err, "ap-northeast-1"));
    assert_non_null(strstr(err, "eu-west-1"));
    assert_int_equal(
        sw_sns_arn_check(TOPIC, "ap-northeast-1", "aws-cn", err, sizeof(err)),
        SW_EINVAL);
    assert_non_null(strstr(err, "partition"));
    static const char *const bad[] = {
        "", "arn:aws:sns:ap-northeast-1:123456789012",
        "arn:aws:sqs:ap-northeast-1:123456789012:ops",
        "arn:aws:sns:ap-northeast-1:12345678901:ops",
        "arn:aws:sns:ap-northeast-1:12345678901a:ops",
        "arn:aws:sns:ap-northeast-1:123456789012:",
        "arn:aws:sns:ap-northeast-1:123456789012:.fifo",
        "arn:aws:sns:ap-northeast-1:123456789012:a.b",
        "arn:aws:sns:ap-northeast-1:123456789012:ops:extra",
        "arn:aws:sns::123456789012:ops",
        "arn::sns:ap-northeast-1:123456789012:ops",
        "arn:aws:sns:ap-northeast-1:123456789012:o ps",
        "arn:aws:sns:ap-northeast-1:123456789012:ops\n",
        "urn:aws:sns:ap-northeast-1:123456789012:ops",
        /* The partition is the region's; the region is a region code. */
        "arn:aws:sns:us-gov-west-1:123456789012:ops",
        "arn:aws-cn:sns:us-east-1:123456789012:ops",
        "arn:AWS:sns:us-east-1:123456789012:ops",
        "arn:aws-:sns:us-east-1:123456789012:ops",
        "arn:aws:sns:local:123456789012:ops",
        "arn:aws:sns:us-east-1a:123456789012:ops",
        "arn:aws:sns:us-east-:123456789012:ops",
        "arn:aws:sns:US-EAST-1:123456789012:ops",
        "arn:aws:sns:aws-global:123456789012:ops",
        "arn:aws:sns:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-"
        "east-1:123456789012:ops", /* 64 characters: SW_REGION_MAX is 63 */
    };
    static const char *const good[] = {
        "arn:aws-us-gov:sns:us-gov-west-1:123456789012:ops",
        "arn:aws-iso:sns:us-iso-east-1:123456789012:ops",
        "arn:aws-iso-b:sns:us-isob-east-1:123456789012:ops",
        "arn:aws:sns:il-central-1:123456789012:ops.fifo",
        "arn:aws:sns:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-"
        "east-1:123456789012:ops", /* 63 characters */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(sw_sns_arn_check(bad[i], NULL, NULL, err, sizeof(err)),
                         SW_EINVAL);
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (sw_sns_arn_check(good[i], NULL, NULL, err, sizeof(err)) < 0)
            fail_msg("%s: %s", good[i], err);
    assert_int_equal(sw_sns_arn_check(NULL, NULL, NULL, err, sizeof(err)),
                     SW_EINVAL);
    /* 256 characters is the longest name. */
    {
        char arn[400];
        int n = snprintf(arn, sizeof(arn),
                         "arn:aws:sns:ap-northeast-1:"
                         "123456789012:");
        memset(arn + n, 'x', 256);
        arn[n + 256] = '\0';
        assert_int_equal(sw_sns_arn_check(arn, NULL, NULL, err, sizeof(err)),
                         0);
        arn[n + 256] = 'x';
        arn[n + 257] = '\0';
        assert_int_equal(sw_sns_arn_check(arn, NULL, NULL, err, sizeof(err)),
                         SW_EINVAL);
    }
}

static void
test_new(void **state)
{
    struct sw_aws *a = client("ap-northeast-1", "http://127.0.0.1:9/");
    struct sw_notifier *n = NULL;
    char err[256];

    (void)state;
    assert_int_equal(sw_notifier_sns_new("ops", a, TOPIC, &n, err, sizeof(err)),
                     0);
    assert_string_equal(sw_notifier_type(n), "sns");
    assert_string_equal(sw_notifier_name(n), "ops");
    sw_notifier_free(n);
    assert_int_equal(sw_notifier_sns_new("ops", a,
                                         "arn:aws:sns:us-east-1:"
                                         "123456789012:ops",
                                         &n, err, sizeof(err)),
                     SW_EINVAL);
    assert_null(n);
    assert_int_equal(
        sw_notifier_sns_new("ops", NULL, TOPIC, &n, err, sizeof(err)),
        SW_EINVAL);
    sw_aws_free(a);
}

static void
test_group_id(void **state)
{
    char out[SW_SNS_MAX_ID + 1], name[300];

    (void)state;
    sw_sns_group_id("kds-orders-incoming-low", out);
    assert_string_equal(out, "kds-orders-incoming-low");
    /* Punctuation stays, space, controls and each non-ASCII character
     * become one '_'. */
    sw_sns_group_id("a b\r\n{x}!\xc3\xbc\xe5\x90\x8d~", out);
    assert_string_equal(out, "a_b__{x}!__~");
    sw_sns_group_id("", out);
    assert_string_equal(out, "alarm");
    sw_sns_group_id(NULL, out);
    assert_string_equal(out, "alarm");
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    sw_sns_group_id(name, out);
    assert_int_equal(strlen(out), 128);
}

static void
test_publish_body_exact(void **state)
{
    json_t *rec = load_record();
    struct sw_query q;
    char err[256], *subject;

    (void)state;
    /* notifiers/message's subject for this record is CloudWatch's. */
    subject = sw_message_subject(rec);
    assert_non_null(subject);
    assert_string_equal(subject, SUBJECT);
    assert_int_equal(
        sw_sns_publish_body(TOPIC, 0, rec, subject, &q, err, sizeof(err)), 0);
    assert_string_equal(sw_query_body(&q), expected_body);
    assert_int_equal(sw_query_len(&q), strlen(expected_body));
    sw_query_release(&q);
    /* No subject: the member is left out. */
    assert_int_equal(
        sw_sns_publish_body(TOPIC, 0, rec, NULL, &q, err, sizeof(err)), 0);
    assert_null(strstr(sw_query_body(&q), "Subject="));
    assert_null(strstr(sw_query_body(&q), "MessageGroupId"));
    sw_query_release(&q);
    free(subject);
    json_decref(rec);
}

static void
test_publish_body_fifo(void **state)
{
    json_t *rec = load_record();
    struct sw_query q;
    char err[256], dedup[SW_DEDUP_ID_BUF], *v;
    const char *body;

    (void)state;
    assert_int_equal(
        sw_sns_publish_body(FIFO_TOPIC, 1, rec, SUBJECT, &q, err, sizeof(err)),
        0);
    body = sw_query_body(&q);
    v = form_value(body, "MessageGroupId");
    assert_non_null(v);
    assert_string_equal(v, "kds-orders-incoming-low");
    free(v);
    v = form_value(body, "MessageDeduplicationId");
    assert_non_null(v);
    assert_string_equal(v, DEDUP);
    assert_true(strlen(v) <= SW_SNS_MAX_ID);
    free(v);
    /* Botocore's member order: ..., DeduplicationId, GroupId last. */
    assert_non_null(strstr(body, "&MessageDeduplicationId=" DEDUP
                                 "&MessageGroupId=kds-orders-incoming-low"));
    sw_query_release(&q);

    /* The id is the record's stable id: another agent's record for the
     * same change gives the same, a retry too. */
    assert_int_equal(sw_notifier_dedup_id(rec, dedup), 0);
    assert_string_equal(dedup, DEDUP);
    /* Another state or change time gives another id. */
    json_object_set_new(json_object_get(rec, "alarm"), "NewStateValue",
                        json_string("OK"));
    assert_int_equal(
        sw_sns_publish_body(FIFO_TOPIC, 1, rec, SUBJECT, &q, err, sizeof(err)),
        0);
    v = form_value(sw_query_body(&q), "MessageDeduplicationId");
    assert_string_not_equal(v, DEDUP);
    free(v);
    sw_query_release(&q);
    json_decref(rec);
}

/* A 300 KB reason, with multi-byte characters so a cut could land inside
 * one: the Message must come out at most 262,144 bytes, valid JSON, valid
 * UTF-8, every other field intact. */
static void
test_publish_body_truncated(void **state)
{
    json_t *rec = load_record(), *alarm, *m;
    struct sw_buf reason;
    struct sw_query q;
    json_error_t je;
    char err[256], *msg;
    const char *r;

    (void)state;
    sw_buf_init(&reason, 400000);
    for (int i = 0; i < 300 * 1024 / 7; i++)
        assert_int_equal(sw_buf_adds(&reason, "ab\xe5\x90\x8d\"\\"), 0);
    alarm = json_object_get(rec, "alarm");
    json_object_set_new(alarm, "NewStateReason",
                        json_stringn(reason.data, reason.len));
    assert_int_equal(
        sw_sns_publish_body(TOPIC, 0, rec, SUBJECT, &q, err, sizeof(err)), 0);
    msg = form_value(sw_query_body(&q), "Message");
    assert_non_null(msg);
    assert_true(strlen(msg) <= SW_SNS_MAX_MESSAGE);
    /* Cut, not emptied (message.c budgets escapes conservatively). */
    assert_true(strlen(msg) > SW_SNS_MAX_MESSAGE / 2);
    /* json_loads refuses invalid UTF-8, so this checks both. */
    m = json_loads(msg, 0, &je);
    assert_non_null(m);
    r = json_string_value(json_object_get(m, "NewStateReason"));
    assert_non_null(r);
    assert_true(strncmp(r, "ab\xe5\x90\x8d\"\\ab", 9) == 0);
    assert_non_null(strstr(r, "truncated"));
    assert_string_equal(json_string_value(json_object_get(m, "AlarmName")),
                        "kds-orders-incoming-low");
    assert_non_null(json_object_get(m, "Trigger"));
    json_decref(m);
    free(msg);
    sw_query_release(&q);
    sw_buf_release(&reason);
    json_decref(rec);
}

static void
test_publish_body_refused(void **state)
{
    json_t *rec = load_record(), *junk;
    struct sw_query q;
    char err[256], subject[128];

    (void)state;
    /* A subject SNS would refuse never goes out. */
    assert_int_equal(
        sw_sns_publish_body(TOPIC, 0, rec, "a\r\nb", &q, err, sizeof(err)),
        SW_EINVAL);
    sw_query_release(&q);
    memset(subject, 'x', 100);
    subject[100] = '\0';
    assert_int_equal(
        sw_sns_publish_body(TOPIC, 0, rec, subject, &q, err, sizeof(err)),
        SW_EINVAL);
    sw_query_release(&q);
    subject[99] = '\0';
    assert_int_equal(
        sw_sns_publish_body(TOPIC, 0, rec, subject, &q, err, sizeof(err)), 0);
    sw_query_release(&q);
    /* Not a record. */
    junk = json_pack("{s:i}", "alarm", 1);
    assert_int_equal(
        sw_sns_publish_body(TOPIC, 0, junk, SUBJECT, &q, err, sizeof(err)),
        SW_EINVAL);
    sw_query_release(&q);
    json_decref(junk);
    json_decref(rec);
}

static void
test_reply_message_id(void **state)
{
    static const char ok[] =
        "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">"
        "<PublishResult><MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b"
        "</MessageId></PublishResult><ResponseMetadata><RequestId>f187a3c1"
        "</RequestId></ResponseMetadata></PublishResponse>";
    static const char other[] =
        "<ErrorResponse><Error><Code>X</Code></Error></ErrorResponse>";
    char id[128];

    (void)state;
    assert_int_equal(sw_sns_reply_message_id(ok, strlen(ok), id, sizeof(id)),
                     0);
    assert_string_equal(id, "94f20ce6-13c5-43a0-9a9e-ca52d816e90b");
    assert_int_equal(
        sw_sns_reply_message_id(other, strlen(other), id, sizeof(id)),
        SW_EPARSE);
    assert_int_equal(sw_sns_reply_message_id("<Publ", 5, id, sizeof(id)),
                     SW_EPARSE);
    assert_int_equal(sw_sns_reply_message_id("", 0, id, sizeof(id)), SW_EPARSE);
}

/* ------------------------------------------------------------------ */
/* A scripted loopback server (one request per connection).            */

static const char *
mkreply(char *buf, size_t n, const char *status, const char *headers,
        const char *body)
{
    int w = snprintf(buf, n,
                     "HTTP/1.1 %s\r\nConnection: close\r\n%s"
                     "Content-Length: %zu\r\n\r\n%s",
                     status, headers, strlen(body), body);

    assert_true(w > 0 && (size_t)w < n);
    return buf;
}

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

static const char publish_ok[] =
    "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\n"
    "  <PublishResult>\n"
    "    <MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId>\n"
    "  </PublishResult>\n"
    "  <ResponseMetadata><RequestId>f187a3c1-376f-11df-8963-01868b7c937a"
    "</RequestId></ResponseMetadata>\n"
    "</PublishResponse>\n";

static const char *
error_xml(char *buf, size_t n, const char *code, const char *message)
{
    int w = snprintf(buf, n,
                     "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/"
                     "2010-03-31/\"><Error><Type>Sender</Type><Code>%s</Code>"
                     "<Message>%s</Message></Error><RequestId>rid-1"
                     "</RequestId></ErrorResponse>",
                     code, message);

    assert_true(w > 0 && (size_t)w < n);
    return buf;
}

static void
test_prepare_send(void **state)
{
    char ok[2048], url[64], err[512], date[SW_TIME_BUF], want[256];
    char hdr[128];
    const char *const script[] = {ok};
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_notifier *n = NULL;
    json_t *rec = load_record();
    const char *log, *body;
    time_t now = time(NULL);
    struct tm tm;

    (void)state;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    snprintf(hdr, sizeof(hdr), "Date: %s\r\nContent-Type: text/xml\r\n", date);
    mkreply(ok, sizeof(ok), "200 OK", hdr, publish_ok);
    sw_test_server_start(&s, tmpdir, script, 1);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
    a = client("ap-northeast-1", url);
    assert_int_equal(sw_notifier_sns_new("ops", a, TOPIC, &n, err, sizeof(err)),
                     0);
    assert_int_equal(deliver(n, rec, err, sizeof(err)), SW_DELIVERED);
    assert_int_equal(sw_test_server_wait(&s), 0);
    assert_int_equal(sw_aws_clock_offset(a), 0);

    log = sw_test_server_log(&s);
    assert_true(strncmp(log, "POST / HTTP/1.1\r\n", 17) == 0);
    snprintf(want, sizeof(want), "\r\nHost: 127.0.0.1:%d\r\n", s.port);
    assert_non_null(strstr(log, want));
    strftime(date, sizeof(date), "%Y%m%d", &tm);
    snprintf(want, sizeof(want),
             "\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/%s/"
             "ap-northeast-1/sns/aws4_request, SignedHeaders=content-type;"
             "host;x-amz-date, Signature=",
             date);
    assert_non_null(strstr(log, want));
    assert_non_null(strstr(log, "\r\nContent-Type: application/"
                                "x-www-form-urlencoded; charset=utf-8\r\n"));
    assert_non_null(strstr(log, "\r\nX-Amz-Date: "));
    assert_non_null(strstr(log, "\r\nUser-Agent: streamwatch/"));
    assert_null(strstr(log, "Expect:"));
    assert_null(strstr(log, "X-Amz-Security-Token"));
    body = strstr(log, "\r\n\r\n");
    assert_non_null(body);
    body += 4;
    assert_true(strncmp(body, expected_body, strlen(expected_body)) == 0);
    assert_string_equal(body + strlen(expected_body), "\n=====\n");

    sw_notifier_free(n);
    sw_aws_free(a);
    json_decref(rec);
}

/* Each reply and the class done() gives it. */
static void
test_outcomes(void **state)
{
    static char replies[10][2048];
    struct {
        const char *status;
        const char *code;
        int want;
    } cases[] = {
        {"429 Too Many Requests", "Throttled", SW_DELIVERY_RETRY},
        {"500 Internal Server Error", "InternalError", SW_DELIVERY_RETRY},
        {"503 Service Unavailable", NULL, SW_DELIVERY_RETRY},
        {"400 Bad Request", "KMSThrottling", SW_DELIVERY_RETRY},
        {"403 Forbidden", "ExpiredToken", SW_DELIVERY_RETRY},
        {"403 Forbidden", "InvalidClientTokenId", SW_DELIVERY_RETRY},
        {"400 Bad Request", "InvalidParameter", SW_DELIVERY_PERMANENT},
        {"404 Not Found", "NotFound", SW_DELIVERY_PERMANENT},
        {"403 Forbidden", "AuthorizationError", SW_DELIVERY_PERMANENT},
        {"400 Bad Request", "KMSDisabled", SW_DELIVERY_PERMANENT},
    };
    const char *script[10];
    char url[64], err[512], xml[512];
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_notifier *n = NULL;
    json_t *rec = load_record();
    int nc = (int)(sizeof(cases) / sizeof(cases[0]));

    (void)state;
    for (int i = 0; i < nc; i++)
        script[i] = mkreply(
            replies[i], sizeof(replies[i]), cases[i].status,
            "Content-Type: text/xml\r\n",
            cases[i].code ? error_xml(xml, sizeof(xml), cases[i].code, "m")
                          : "<html>busy</html>");
    sw_test_server_start(&s, tmpdir, script, nc);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
    a = client("ap-northeast-1", url);
    assert_int_equal(sw_notifier_sns_new("ops", a, TOPIC, &n, err, sizeof(err)),
                     0);
    for (int i = 0; i < nc; i++) {
        err[0] = '\0';
        assert_int_equal(deliver(n, rec, err, sizeof(err)), cases[i].want);
        assert_non_null(strstr(err, TOPIC));
        if (cases[i].code)
            assert_non_null(strstr(err, cases[i].code));
    }
    assert_int_equal(sw_test_server_wait(&s), 0);
    sw_notifier_free(n);
    sw_aws_free(a);

    /* Nobody listening: a transport error is retried. */
    a = client("ap-northeast-1", "http://127.0.0.1:9/");
    assert_int_equal(sw_notifier_sns_new("ops", a, TOPIC, &n, err, sizeof(err)),
                     0);
    assert_int_equal(deliver(n, rec, err, sizeof(err)), SW_DELIVERY_RETRY);
    assert_non_null(strstr(err, "publish to"));
    sw_notifier_free(n);
    sw_aws_free(a);

    /* No credentials: prepare fails with an error that is not
     * permanent. */
    a = client("ap-northeast-1", "http://127.0.0.1:9/");
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    assert_int_equal(sw_notifier_sns_new("ops", a, TOPIC, &n, err, sizeof(err)),
                     0);
    {
        int r = deliver(n, rec, err, sizeof(err));
        assert_true(r < 0 && r != SW_EINVAL && r != SW_EPARSE);
    }
    sw_notifier_free(n);
    sw_aws_free(a);
    env_setup();
    json_decref(rec);
}

/* A "Signature expired" reply with the server's Date 20 minutes ahead:
 * retried, and the client signs with the server's clock from now on. */
static void
test_clock_skew(void **state)
{
    char reply[2048], url[64], err[512], hdr[128], date[SW_TIME_BUF];
    char xml[512];
    const char *const script[] = {reply};
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_notifier *n = NULL;
    json_t *rec = load_record();
    time_t ahead = time(NULL) + 1200;
    struct tm tm;

    (void)state;
    gmtime_r(&ahead, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    snprintf(hdr, sizeof(hdr), "Date: %s\r\n", date);
    mkreply(reply, sizeof(reply), "403 Forbidden", hdr,
            error_xml(xml, sizeof(xml), "SignatureDoesNotMatch",
                      "Signature expired: 20261125T100000Z is now earlier "
                      "than 20261125T101500Z (20261125T102000Z - 5 min.)"));
    sw_test_server_start(&s, tmpdir, script, 1);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
    a = client("ap-northeast-1", url);
    assert_int_equal(sw_notifier_sns_new("ops", a, TOPIC, &n, err, sizeof(err)),
                     0);
    assert_int_equal(deliver(n, rec, err, sizeof(err)), SW_DELIVERY_RETRY);
    assert_int_equal(sw_test_server_wait(&s), 0);
    assert_non_null(strstr(err, "SignatureDoesNotMatch"));
    assert_in_range(sw_aws_clock_offset(a), 1190, 1210);
    sw_notifier_free(n);
    sw_aws_free(a);
    json_decref(rec);
}

/* aws/client's two halves directly. */
static void
test_aws_prepare_observe(void **state)
{
    struct sw_aws *a = client("eu-west-1", "https://sns.example.test/base");
    struct curl_slist *h = NULL;
    struct sw_aws_error e;
    char *url = NULL, err[256];
    int seen_token = 0, seen_expect = 0, seen_authz = 0;
    const char *xml = "<ErrorResponse><Error><Code>ExpiredToken</Code>"
                      "<Message>The security token included in the request "
                      "is expired</Message></Error><RequestId>r-9"
                      "</RequestId></ErrorResponse>";

    (void)state;
    setenv("AWS_SESSION_TOKEN", "FQoGZXIvYXdzEXAMPLE", 1);
    assert_int_equal(sw_aws_prepare(a, SW_SVC_SNS, SW_PROTO_QUERY, "Publish",
                                    "Action=Publish", 14, &url, &h, err,
                                    sizeof(err)),
                     0);
    assert_string_equal(url, "https://sns.example.test/base/");
    for (struct curl_slist *p = h; p; p = p->next) {
        if (strcmp(p->data, "X-Amz-Security-Token: FQoGZXIvYXdzEXAMPLE") == 0)
            seen_token = 1;
        if (strcmp(p->data, "Expect:") == 0)
            seen_expect = 1;
        if (strstr(p->data, "Authorization: AWS4-HMAC-SHA256 ") == p->data &&
            strstr(p->data, "/eu-west-1/sns/aws4_request, SignedHeaders="
                            "content-type;host;x-amz-date;"
                            "x-amz-security-token, "))
            seen_authz = 1;
    }
    assert_true(seen_token && seen_expect && seen_authz);
    sw_aws_headers_free(h);
    free(url);
    unsetenv("AWS_SESSION_TOKEN");

    /* JSON protocols are not for SNS. */
    assert_int_equal(sw_aws_prepare(a, SW_SVC_SNS, SW_PROTO_JSON10, "Publish",
                                    "{}", 2, &url, &h, err, sizeof(err)),
                     SW_EINVAL);
    assert_null(url);
    assert_null(h);

    assert_int_equal(
        sw_aws_observe(a, 200, NULL, "<x/>", 4, SW_PROTO_QUERY, &e),
        SW_RETRY_SUCCESS);
    assert_int_equal(
        sw_aws_observe(a, 403, NULL, xml, strlen(xml), SW_PROTO_QUERY, &e),
        SW_RETRY_EXPIRED_TOKEN);
    assert_string_equal(e.code, "ExpiredToken");
    assert_string_equal(e.request_id, "r-9");
    assert_int_equal(e.http_status, 403);
    assert_int_equal(sw_aws_observe(a, 0, NULL, NULL, 0, SW_PROTO_QUERY, &e),
                     SW_RETRY_TRANSIENT);
    assert_int_equal(
        sw_aws_observe(a, 502, NULL, "<html>", 6, SW_PROTO_QUERY, &e),
        SW_RETRY_TRANSIENT);
    assert_int_equal(sw_aws_observe(a, 404, NULL, "", 0, SW_PROTO_QUERY, &e),
                     SW_RETRY_FINAL);
    /* A Date within 5 minutes changes nothing. */
    {
        char d[SW_TIME_BUF];
        time_t t = time(NULL) + 60;
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(d, sizeof(d), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        (void)sw_aws_observe(a, 200, d, "", 0, SW_PROTO_QUERY, &e);
        assert_int_equal(sw_aws_clock_offset(a), 0);
    }
    assert_int_equal(sw_aws_observe(NULL, 200, NULL, "", 0, SW_PROTO_QUERY, &e),
                     SW_EINVAL);
    sw_aws_free(a);
}

static int
group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sw_test_sns.XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    sw_log_set_level(SW_LOG_ERR);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return env_setup();
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
        cmocka_unit_test(test_arn_check),
        cmocka_unit_test(test_new),
        cmocka_unit_test(test_group_id),
        cmocka_unit_test(test_publish_body_exact),
        cmocka_unit_test(test_publish_body_fifo),
        cmocka_unit_test(test_publish_body_truncated),
        cmocka_unit_test(test_publish_body_refused),
        cmocka_unit_test(test_reply_message_id),
        cmocka_unit_test(test_prepare_send),
        cmocka_unit_test(test_outcomes),
        cmocka_unit_test(test_clock_skew),
        cmocka_unit_test(test_aws_prepare_observe),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
