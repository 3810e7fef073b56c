/* tests/unit/test_cwalarms.c - aws/cwalarms: the token bucket and the
 * rate limiter on an injected clock, the request bodies of the five alarm
 * calls, DescribeAlarms and ListTagsForResource replies good and bad, and
 * the calls against a scripted loopback server (NextToken paging, a
 * repeated token, an AWS error, what each request carries). */
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
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "aws/client.h"
#include "aws/cwalarms.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "tests/unit/loopback.h"

/* ------------------------------------------------------------------ */
/* the token bucket and the limiter                                    */

static void
test_bucket_spacing(void **state)
{
    struct sw_cwa_bucket b;

    (void)state;
    /* 3 a second, one token: calls 333.3 ms apart. */
    sw_cwa_bucket_init(&b, 3.0, 1.0);
    assert_int_equal(sw_cwa_bucket_acquire(&b, 1000), 0);
    assert_int_equal(sw_cwa_bucket_acquire(&b, 1000), 334);
    /* Asking does not take: the same answer, less the time gone by. */
    assert_int_equal(sw_cwa_bucket_acquire(&b, 1100), 234);
    assert_int_equal(sw_cwa_bucket_acquire(&b, 1333), 1);
    assert_int_equal(sw_cwa_bucket_acquire(&b, 1334), 0);
    /* A long pause refills one token, never more. */
    assert_int_equal(sw_cwa_bucket_acquire(&b, 100000), 0);
    assert_true(sw_cwa_bucket_acquire(&b, 100000) > 0);
    /* A clock that steps back gives nothing away. */
    assert_int_equal(sw_cwa_bucket_acquire(&b, 100334), 0);
    assert_int_equal(sw_cwa_bucket_acquire(&b, 50000), 334);
}

static void
test_bucket_burst(void **state)
{
    struct sw_cwa_bucket b;
    int sent = 0;

    (void)state;
    /* Burst 3: three at once, then one per 1/rate. */
    sw_cwa_bucket_init(&b, 2.0, 3.0);
    for (int i = 0; i < 5; i++)
        if (sw_cwa_bucket_acquire(&b, 0) == 0)
            sent++;
    assert_int_equal(sent, 3);
    assert_int_equal(sw_cwa_bucket_acquire(&b, 0), 500);
    assert_int_equal(sw_cwa_bucket_acquire(&b, 500), 0);
    assert_int_equal(sw_cwa_bucket_acquire(&b, 500), 500);
    /* 10 s idle: full again, but only to the burst. */
    sent = 0;
    for (int i = 0; i < 10; i++)
        if (sw_cwa_bucket_acquire(&b, 10500) == 0)
            sent++;
    assert_int_equal(sent, 3);
}

struct fake_clock {
    sw_mono_ms now;
    long slept;
    int sleeps;
    volatile sig_atomic_t *cancel_after_sleeps; /* set to 1 after N sleeps */
    int cancel_at;
};

static sw_mono_ms
fc_now(void *arg)
{
    return ((struct fake_clock *)arg)->now;
}

static void
fc_sleep(void *arg, long ms)
{
    struct fake_clock *c = arg;

    c->now += ms;
    c->slept += ms;
    c->sleeps++;
    if (c->cancel_after_sleeps && c->sleeps >= c->cancel_at)
        *c->cancel_after_sleeps = 1;
}

static void
test_limiter_rates(void **state)
{
    struct sw_cwa_limiter l;
    struct fake_clock fc = {5000, 0, 0, NULL, 0};
    sw_mono_ms sent[40];

    (void)state;
    sw_cwa_limiter_init(&l);
    l.now = fc_now;
    l.sleep = fc_sleep;
    l.arg = &fc;
    /* 90% of the quotas, evenly spaced. */
    assert_int_equal(sw_cwa_limiter_interval_ms(&l, SW_CWA_PUT), 371);
    assert_int_equal(sw_cwa_limiter_interval_ms(&l, SW_CWA_DELETE), 371);
    assert_int_equal(sw_cwa_limiter_interval_ms(&l, SW_CWA_DESCRIBE), 124);
    assert_int_equal(sw_cwa_limiter_interval_ms(&l, SW_CWA_LIST_TAGS), 371);
    assert_int_equal(sw_cwa_limiter_interval_ms(&l, SW_CWA_TAG), 371);
    for (int i = 0; i < 40; i++) {
        assert_int_equal(sw_cwa_limiter_wait(&l, SW_CWA_PUT), 0);
        sent[i] = fc.now;
    }
    /* The first goes at once; in no window of one second are there more
     * than 3 PutMetricAlarm calls, with room to spare for jitter. */
    assert_int_equal(sent[0], 5000);
    for (int i = 3; i < 40; i++)
        assert_true(sent[i] - sent[i - 3] >= 1100);
    assert_true(sent[39] - sent[0] <= 39 * 371 + 39);
    assert_int_equal(l.waited_ms, fc.slept);
    /* The waits are slept in slices a stop request can cut short. */
    assert_true(fc.sleeps >= 39 * 4);
    /* Each operation has its own bucket: DescribeAlarms is not held up
     * by the PutMetricAlarm calls before it. */
    fc.slept = 0;
    assert_int_equal(sw_cwa_limiter_wait(&l, SW_CWA_DESCRIBE), 0);
    assert_int_equal(fc.slept, 0);
    for (int i = 0; i < 9; i++)
        assert_int_equal(sw_cwa_limiter_wait(&l, SW_CWA_DESCRIBE), 0);
    assert_true(fc.slept >= 9 * 123 && fc.slept <= 9 * 124 + 9);
    assert_int_equal(sw_cwa_limiter_wait(&l, SW_CWA_NOPS), SW_EINVAL);
    assert_int_equal(sw_cwa_limiter_wait(NULL, SW_CWA_PUT), 0);
}

static void
test_limiter_cancel(void **state)
{
    struct sw_cwa_limiter l;
    struct fake_clock fc = {0, 0, 0, NULL, 0};
    volatile sig_atomic_t stop = 0;

    (void)state;
    sw_cwa_limiter_init(&l);
    l.now = fc_now;
    l.sleep = fc_sleep;
    l.arg = &fc;
    l.cancel = &stop;
    fc.cancel_after_sleeps = &stop;
    fc.cancel_at = 2;
    assert_int_equal(sw_cwa_limiter_wait(&l, SW_CWA_PUT), 0);
    /* The second call must wait 371 ms; the stop comes after 200. */
    assert_int_equal(sw_cwa_limiter_wait(&l, SW_CWA_PUT), SW_ECANCELED);
    assert_int_equal(fc.slept, 200);
    /* Stopped before anything: not even the first call goes. */
    assert_int_equal(sw_cwa_limiter_wait(&l, SW_CWA_TAG), SW_ECANCELED);
}

static void
test_limiter_done(void **state)
{
    struct sw_cwa_limiter l;
    struct fake_clock fc = {1000, 0, 0, NULL, 0};

    (void)state;
    sw_cwa_limiter_init(&l);
    l.now = fc_now;
    l.sleep = fc_sleep;
    l.arg = &fc;
    assert_int_equal(sw_cwa_limiter_wait(&l, SW_CWA_PUT), 0);
    /* The reply takes 500 ms: the spacing to the next call runs from it,
     * since the service may have counted the call as late as that. */
    fc.now += 500;
    sw_cwa_limiter_done(&l, SW_CWA_PUT, 0);
    assert_int_equal(sw_cwa_limiter_wait(&l, SW_CWA_PUT), 0);
    assert_true(fc.slept >= 370 && fc.slept <= 371);

    /* Retries halve the rate, down to the floor... */
    sw_cwa_limiter_done(&l, SW_CWA_PUT, 1);
    assert_int_equal(sw_cwa_limiter_interval_ms(&l, SW_CWA_PUT), 741);
    for (int i = 0; i < 10; i++)
        sw_cwa_limiter_done(&l, SW_CWA_PUT, 1);
    assert_int_equal(sw_cwa_limiter_interval_ms(&l, SW_CWA_PUT),
                     (long)(1000 / SW_CWA_MIN_TPS));
    /* ...other operations keep theirs... */
    assert_int_equal(sw_cwa_limiter_interval_ms(&l, SW_CWA_DELETE), 371);
    /* ...and clean calls win it back a tenth at a time, no further. */
    for (int i = 0; i < 9; i++)
        sw_cwa_limiter_done(&l, SW_CWA_PUT, 0);
    assert_true(sw_cwa_limiter_interval_ms(&l, SW_CWA_PUT) > 371);
    sw_cwa_limiter_done(&l, SW_CWA_PUT, 0);
    sw_cwa_limiter_done(&l, SW_CWA_PUT, 0);
    assert_int_equal(sw_cwa_limiter_interval_ms(&l, SW_CWA_PUT), 371);
    sw_cwa_limiter_done(NULL, SW_CWA_PUT, 1);
    sw_cwa_limiter_done(&l, SW_CWA_NOPS, 1);
}

/* ------------------------------------------------------------------ */
/* request bodies                                                      */

static void
test_describe_request(void **state)
{
    struct sw_buf b;
    char err[256], name[300];

    (void)state;
    sw_buf_init(&b, 4096);
    assert_int_equal(
        sw_cwa_describe_alarms_request(NULL, 100, NULL, &b, err, sizeof(err)),
        0);
    assert_string_equal(sw_buf_str(&b), "{\"MaxRecords\":100}");
    sw_buf_reset(&b);
    assert_int_equal(sw_cwa_describe_alarms_request("kds-", 100, "tok/+=\"", &b,
                                                    err, sizeof(err)),
                     0);
    assert_string_equal(sw_buf_str(&b),
                        "{\"AlarmNamePrefix\":\"kds-\",\"NextToken\":"
                        "\"tok/+=\\\"\",\"MaxRecords\":100}");
    sw_buf_reset(&b);
    /* "" means no prefix, no token. */
    assert_int_equal(
        sw_cwa_describe_alarms_request("", 0, "", &b, err, sizeof(err)), 0);
    assert_string_equal(sw_buf_str(&b), "{}");
    sw_buf_reset(&b);

    assert_int_equal(sw_buf_adds(&b, "keep"), 0);
    assert_int_equal(
        sw_cwa_describe_alarms_request(NULL, 101, NULL, &b, err, sizeof(err)),
        SW_EINVAL);
    assert_non_null(strstr(err, "MaxRecords"));
    assert_int_equal(
        sw_cwa_describe_alarms_request("a\nb", 1, NULL, &b, err, sizeof(err)),
        SW_EINVAL);
    assert_non_null(strstr(err, "AlarmNamePrefix"));
    assert_int_equal(
        sw_cwa_describe_alarms_request("a\xff", 1, NULL, &b, err, sizeof(err)),
        SW_EINVAL);
    memset(name, 'x', sizeof(name));
    name[256] = '\0';
    assert_int_equal(
        sw_cwa_describe_alarms_request(name, 1, NULL, &b, err, sizeof(err)),
        SW_EINVAL);
    /* 255 characters of three bytes each: the limit counts characters. */
    for (int i = 0; i < 85; i++)
        memcpy(name + 3 * i, "\xe3\x81\x82", 3);
    name[255] = '\0';
    assert_int_equal(
        sw_cwa_describe_alarms_request(name, 1, NULL, NULL, err, sizeof(err)),
        SW_EINVAL);
    assert_int_equal(
        sw_cwa_describe_alarms_request(NULL, 1, "t\x01", &b, err, sizeof(err)),
        SW_EINVAL);
    assert_non_null(strstr(err, "NextToken"));
    assert_string_equal(sw_buf_str(&b), "keep");
    sw_buf_release(&b);

    /* Over the cap: an error, and the buffer as it was. */
    sw_buf_init(&b, 8);
    assert_int_equal(sw_buf_adds(&b, "ab"), 0);
    assert_int_equal(sw_cwa_describe_alarms_request("long-prefix", 100, NULL,
                                                    &b, err, sizeof(err)),
                     SW_ETOOBIG);
    assert_string_equal(sw_buf_str(&b), "ab");
    sw_buf_release(&b);
}

static void
test_names(void **state)
{
    char name[300];

    (void)state;
    assert_true(sw_cwa_name_is_valid("orders-incoming-high"));
    assert_true(sw_cwa_name_is_valid("caf\xc3\xa9 alarm / 1"));
    assert_false(sw_cwa_name_is_valid(""));
    assert_false(sw_cwa_name_is_valid(NULL));
    assert_false(sw_cwa_name_is_valid("a\tb"));
    assert_false(sw_cwa_name_is_valid("a\x7f"));
    assert_false(sw_cwa_name_is_valid("\xc0\xaf"));     /* overlong */
    assert_false(sw_cwa_name_is_valid("\xed\xa0\x80")); /* surrogate */
    assert_false(sw_cwa_name_is_valid("\xe3\x81"));     /* cut short */
    memset(name, 'a', sizeof(name));
    name[255] = '\0';
    assert_true(sw_cwa_name_is_valid(name));
    name[255] = 'a';
    name[256] = '\0';
    assert_false(sw_cwa_name_is_valid(name));
    assert_true(sw_cwa_arn_is_valid(
        "arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:x"));
    assert_false(sw_cwa_arn_is_valid("aws:cloudwatch"));
    assert_false(sw_cwa_arn_is_valid("arn:"));
    assert_false(sw_cwa_arn_is_valid("arn:aws:x\n"));
}

static void
test_other_requests(void **state)
{
    static const char arn[] =
        "arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:a";
    const char *names[SW_CWA_DELETE_BATCH + 1];
    json_t *tags, *input;
    struct sw_buf b;
    char err[256];

    (void)state;
    sw_buf_init(&b, SW_CWA_MAX_REQUEST);
    assert_int_equal(sw_cwa_list_tags_request(arn, &b, err, sizeof(err)), 0);
    assert_string_equal(sw_buf_str(&b),
                        "{\"ResourceARN\":\"arn:aws:cloudwatch:ap-northeast-1:"
                        "123456789012:alarm:a\"}");
    sw_buf_reset(&b);
    assert_int_equal(sw_cwa_list_tags_request("x", &b, err, sizeof(err)),
                     SW_EINVAL);

    for (size_t i = 0; i <= SW_CWA_DELETE_BATCH; i++)
        names[i] = i % 2 ? "odd" : "even";
    assert_int_equal(
        sw_cwa_delete_alarms_request(names, 2, &b, err, sizeof(err)), 0);
    assert_string_equal(sw_buf_str(&b), "{\"AlarmNames\":[\"even\",\"odd\"]}");
    sw_buf_reset(&b);
    assert_int_equal(sw_cwa_delete_alarms_request(names, SW_CWA_DELETE_BATCH,
                                                  &b, err, sizeof(err)),
                     0);
    sw_buf_reset(&b);
    assert_int_equal(sw_cwa_delete_alarms_request(
                         names, SW_CWA_DELETE_BATCH + 1, &b, err, sizeof(err)),
                     SW_EINVAL);
    assert_non_null(strstr(err, "1-100"));
    assert_int_equal(
        sw_cwa_delete_alarms_request(names, 0, &b, err, sizeof(err)),
        SW_EINVAL);
    names[1] = "bad\nname";
    assert_int_equal(
        sw_cwa_delete_alarms_request(names, 2, &b, err, sizeof(err)),
        SW_EINVAL);
    assert_non_null(strstr(err, "entry 1"));
    assert_int_equal(b.len, 0);

    tags = json_pack("{ssss}", "team", "data", "streamwatch:owner", "sw");
    assert_non_null(tags);
    assert_int_equal(
        sw_cwa_tag_resource_request(arn, tags, &b, err, sizeof(err)), 0);
    assert_string_equal(
        sw_buf_str(&b),
        "{\"ResourceARN\":\"arn:aws:cloudwatch:ap-northeast-1:123456789012:"
        "alarm:a\",\"Tags\":[{\"Key\":\"team\",\"Value\":\"data\"},{\"Key\":"
        "\"streamwatch:owner\",\"Value\":\"sw\"}]}");
    sw_buf_reset(&b);
    assert_int_equal(json_object_set_new(tags, "n", json_integer(1)), 0);
    assert_int_equal(
        sw_cwa_tag_resource_request(arn, tags, &b, err, sizeof(err)),
        SW_EINVAL);
    assert_non_null(strstr(err, "tag 'n'"));
    json_decref(tags);
    tags = json_object();
    assert_int_equal(
        sw_cwa_tag_resource_request(arn, tags, &b, err, sizeof(err)),
        SW_EINVAL);
    json_decref(tags);

    input = json_pack("{sssf}", "AlarmName", "a", "Threshold", 10.0);
    assert_int_equal(
        sw_cwa_put_metric_alarm_request(input, &b, err, sizeof(err)), 0);
    assert_string_equal(sw_buf_str(&b),
                        "{\"AlarmName\":\"a\",\"Threshold\":10.0}");
    sw_buf_reset(&b);
    /* Over PutMetricAlarm's 120 KB: refused before sending. */
    {
        size_t big = SW_CWA_PUT_MAX;
        char *desc = malloc(big + 1);

        assert_non_null(desc);
        memset(desc, 'd', big);
        desc[big] = '\0';
        assert_int_equal(
            json_object_set_new(input, "AlarmDescription", json_string(desc)),
            0);
        free(desc);
        assert_int_equal(sw_buf_adds(&b, "keep"), 0);
        assert_int_equal(
            sw_cwa_put_metric_alarm_request(input, &b, err, sizeof(err)),
            SW_EINVAL);
        assert_non_null(strstr(err, "PutMetricAlarm request is"));
        assert_string_equal(sw_buf_str(&b), "keep");
        sw_buf_reset(&b);
    }
    assert_int_equal(json_object_set_new(input, "AlarmName", json_string("")),
                     0);
    assert_int_equal(
        sw_cwa_put_metric_alarm_request(input, &b, err, sizeof(err)),
        SW_EINVAL);
    assert_non_null(strstr(err, "AlarmName"));
    json_decref(input);
    assert_int_equal(
        sw_cwa_put_metric_alarm_request(NULL, &b, err, sizeof(err)), SW_EINVAL);
    sw_buf_release(&b);
}

/* ------------------------------------------------------------------ */
/* replies                                                             */

static int
parse_da(const char *json, json_t **alarms, char **tok, char *err,
         size_t errlen)
{
    return sw_cwa_describe_alarms_parse(json, strlen(json), alarms, tok, err,
                                        errlen);
}

#define ARN1 "arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:"

static void
test_parse_describe(void **state)
{
    json_t *alarms = NULL, *a;
    char *tok = NULL, err[256];

    (void)state;
    assert_int_equal(
        parse_da("{\"MetricAlarms\":[{\"AlarmName\":\"a\",\"AlarmArn\":\"" ARN1
                 "a\",\"Threshold\":10,\"Period\":60.0,\"Unit\":null,"
                 "\"OKActions\":[],\"Dimensions\":[{\"Name\":\"StreamName\","
                 "\"Value\":\"s\"}],\"Metrics\":null,\"StateReasonData\":"
                 "\"{}\"},{\"AlarmName\":\"b\",\"AlarmArn\":\"" ARN1 "b\"}],"
                 "\"CompositeAlarms\":[{\"AlarmName\":\"c\"}],"
                 "\"NextToken\":\"t2\"}",
                 &alarms, &tok, err, sizeof(err)),
        0);
    assert_int_equal(json_array_size(alarms), 2);
    a = json_array_get(alarms, 0);
    assert_string_equal(json_string_value(json_object_get(a, "AlarmName")),
                        "a");
    /* null members are taken out; others are kept as they came */
    assert_null(json_object_get(a, "Unit"));
    assert_null(json_object_get(a, "Metrics"));
    assert_true(json_is_integer(json_object_get(a, "Threshold")));
    assert_non_null(json_object_get(a, "StateReasonData"));
    assert_string_equal(tok, "t2");
    json_decref(alarms);
    free(tok);

    /* the last page: no token; no MetricAlarms at all is an empty page */
    assert_int_equal(parse_da("{\"MetricAlarms\":[],\"NextToken\":null}",
                              &alarms, &tok, err, sizeof(err)),
                     0);
    assert_int_equal(json_array_size(alarms), 0);
    assert_null(tok);
    json_decref(alarms);
    assert_int_equal(parse_da("{}", &alarms, &tok, err, sizeof(err)), 0);
    assert_true(json_is_array(alarms));
    json_decref(alarms);
}

static void
test_parse_describe_malformed(void **state)
{
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"", "not JSON"},
        {"[1]", "an array, not a JSON object"},
        {"{\"MetricAlarms\":{}}", "'MetricAlarms' is an object"},
        {"{\"MetricAlarms\":[7]}", "entry 0 is a number"},
        {"{\"MetricAlarms\":[{\"AlarmArn\":\"" ARN1 "a\"}]}",
         "entry 0 has no valid 'AlarmName'"},
        {"{\"MetricAlarms\":[{\"AlarmName\":\"a\\u0001\",\"AlarmArn\":\"" ARN1
         "a\"}]}",
         "entry 0 has no valid 'AlarmName'"},
        {"{\"MetricAlarms\":[{\"AlarmName\":\"a\"}]}",
         "entry 0 has no valid 'AlarmArn'"},
        {"{\"MetricAlarms\":[{\"AlarmName\":\"a\",\"AlarmArn\":\"x\"}]}",
         "entry 0 has no valid 'AlarmArn'"},
        {"{\"MetricAlarms\":[{\"AlarmName\":\"a\",\"AlarmArn\":\"" ARN1
         "a\"},{\"AlarmName\":\"b\",\"AlarmArn\":\"" ARN1
         "b\",\"Period\":\"60\"}]}",
         "entry 1: 'Period' is a string, not a number"},
        {"{\"MetricAlarms\":[{\"AlarmName\":\"a\",\"AlarmArn\":\"" ARN1
         "a\",\"ActionsEnabled\":1}]}",
         "'ActionsEnabled' is a number, not a boolean"},
        {"{\"MetricAlarms\":[{\"AlarmName\":\"a\",\"AlarmArn\":\"" ARN1
         "a\",\"AlarmActions\":[1]}]}",
         "'AlarmActions' entry 0 is a number, not a string"},
        {"{\"MetricAlarms\":[{\"AlarmName\":\"a\",\"AlarmArn\":\"" ARN1
         "a\",\"Dimensions\":[{\"Name\":\"x\"}]}]}",
         "'Dimensions' entry 0 needs string 'Name' and 'Value'"},
        {"{\"MetricAlarms\":[{\"AlarmName\":\"a\",\"AlarmArn\":\"" ARN1
         "a\",\"Metrics\":[\"m\"]}]}",
         "'Metrics' entry 0 is a string, not an object"},
        {"{\"MetricAlarms\":[{\"AlarmName\":\"a\",\"AlarmArn\":\"" ARN1
         "a\",\"Statistic\":[]}]}",
         "'Statistic' is an array, not a string"},
        {"{\"NextToken\":5}", "'NextToken' is a number"},
        {"{\"NextToken\":\"\"}", "'NextToken' is not 1-"},
        {"{\"NextToken\":\"a\\nb\"}", "'NextToken' is not 1-"},
    };
    char err[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *alarms = (json_t *)1;
        char *tok = (char *)1;

        err[0] = '\0';
        if (parse_da(cases[i].json, &alarms, &tok, err, sizeof(err)) !=
                SW_EPARSE ||
            !strstr(err, cases[i].want) || strchr(err, '\n'))
            fail_msg("case %zu: %s -> '%s', want '%s'", i, cases[i].json, err,
                     cases[i].want);
        assert_null(alarms);
        assert_null(tok);
    }
    assert_int_equal(
        sw_cwa_describe_alarms_parse("{}", 2, NULL, NULL, err, sizeof(err)),
        SW_EINVAL);
}

static void
test_parse_tags(void **state)
{
    static const char *const bad[] = {
        "{\"Tags\":{}}",
        "{\"Tags\":[1]}",
        "{\"Tags\":[{\"Value\":\"v\"}]}",
        "{\"Tags\":[{\"Key\":\"\",\"Value\":\"v\"}]}",
        "{\"Tags\":[{\"Key\":\"k\"}]}",
        "{\"Tags\":[{\"Key\":\"k\",\"Value\":3}]}",
        "nope",
    };
    json_t *t = NULL;
    char err[256], json[2048];

    (void)state;
    snprintf(json, sizeof(json), "%s",
             "{\"Tags\":[{\"Key\":\"streamwatch:owner\",\"Value\":\"sw\"},"
             "{\"Key\":\"team\",\"Value\":\"\"},{\"Key\":\"team\","
             "\"Value\":\"data\"}]}");
    assert_int_equal(
        sw_cwa_list_tags_parse(json, strlen(json), &t, err, sizeof(err)), 0);
    assert_int_equal(json_object_size(t), 2);
    assert_string_equal(
        json_string_value(json_object_get(t, "streamwatch:owner")), "sw");
    /* a repeated key: the last value */
    assert_string_equal(json_string_value(json_object_get(t, "team")), "data");
    json_decref(t);
    assert_int_equal(sw_cwa_list_tags_parse("{}", 2, &t, err, sizeof(err)), 0);
    assert_int_equal(json_object_size(t), 0);
    json_decref(t);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        t = (json_t *)1;
        if (sw_cwa_list_tags_parse(bad[i], strlen(bad[i]), &t, err,
                                   sizeof(err)) != SW_EPARSE ||
            t)
            fail_msg("case %zu: %s accepted", i, bad[i]);
    }
    /* more than 50 tags is no real reply */
    {
        struct sw_buf b;

        sw_buf_init(&b, sizeof(json));
        assert_int_equal(sw_buf_adds(&b, "{\"Tags\":["), 0);
        for (int i = 0; i <= SW_CWA_MAX_TAGS; i++)
            assert_int_equal(sw_buf_addf(&b,
                                         "%s{\"Key\":\"k%d\",\"Value\":"
                                         "\"v\"}",
                                         i ? "," : "", i),
                             0);
        assert_int_equal(sw_buf_adds(&b, "]}"), 0);
        assert_int_equal(
            sw_cwa_list_tags_parse(b.data, b.len, &t, err, sizeof(err)),
            SW_EPARSE);
        assert_non_null(strstr(err, "more than 50"));
        sw_buf_release(&b);
    }
}

/* ------------------------------------------------------------------ */
/* the calls, against a scripted server                                */

static char tmpdir[64];

/* A whole HTTP reply (new, free()) with the right Content-Length. */
static char *
reply(const char *status, const char *extra_headers, const char *body)
{
    struct sw_buf b;

    sw_buf_init(&b, 1u << 20);
    assert_int_equal(sw_buf_addf(&b,
                                 "HTTP/1.1 %s\r\nConnection: close\r\n"
                                 "x-amzn-RequestId: rid-1\r\n%s"
                                 "Content-Type: application/x-amz-json-1.0\r\n"
                                 "Content-Length: %zu\r\n\r\n%s",
                                 status, extra_headers, strlen(body), body),
                     0);
    return sw_buf_steal(&b, NULL);
}

static void
free_script(char **script, int n)
{
    for (int i = 0; i < n; i++)
        free(script[i]);
}

static double
zero_rand(void *arg)
{
    (void)arg;
    return 0.0;
}

static struct sw_aws *
client_for(struct sw_test_server *s, int max_attempts)
{
    struct sw_aws_opts o;
    struct sw_aws *a = NULL;
    char url[64], err[256];

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s->port);
    memset(&o, 0, sizeof(o));
    o.region = "ap-northeast-1";
    o.endpoint = url;
    o.max_attempts = max_attempts;
    o.request_timeout_ms = 5000;
    assert_int_equal(sw_aws_new(&o, &a, err, sizeof(err)), 0);
    sw_aws_set_rand(a, zero_rand, NULL);
    return a;
}

/* A limiter on a fake clock: no real sleeping in unit tests. */
static void
fake_limiter(struct sw_cwa_limiter *l, struct fake_clock *fc)
{
    memset(fc, 0, sizeof(*fc));
    fc->now = 1000;
    sw_cwa_limiter_init(l);
    l->now = fc_now;
    l->sleep = fc_sleep;
    l->arg = fc;
}

#define ALARM_JSON(n) "{\"AlarmName\":\"" n "\",\"AlarmArn\":\"" ARN1 n "\"}"

static void
test_describe_pages(void **state)
{
    char *script[3];
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_aws_error e;
    struct sw_cwa_limiter l;
    struct fake_clock fc;
    json_t *out = NULL;
    const char *log, *p2, *p3;

    (void)state;
    script[0] = reply("200 OK", "",
                      "{\"MetricAlarms\":[" ALARM_JSON("kds-a") "," ALARM_JSON(
                          "kds-b") "],\"CompositeAlarms\":[],"
                                   "\"NextToken\":\"p/2=\"}");
    script[1] = reply(
        "200 OK", "",
        "{\"MetricAlarms\":[" ALARM_JSON("kds-c") "],\"NextToken\":\"p3\"}");
    script[2] = reply("200 OK", "", "{\"MetricAlarms\":[]}");
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 3);
    a = client_for(&s, 1);
    fake_limiter(&l, &fc);
    assert_int_equal(sw_cwa_describe_alarms(a, &l, "kds-", &out, &e), 0);
    assert_int_equal(e.attempts, 3);
    assert_int_equal(json_array_size(out), 3);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(out, 2), "AlarmName")),
        "kds-c");
    /* Three pages at 9 TPS (90%): two waits of about 123.5 ms. */
    assert_true(fc.slept >= 246 && fc.slept <= 248);
    assert_int_equal(sw_test_server_wait(&s), 0);
    log = sw_test_server_log(&s);
    assert_int_equal(sw_test_count(log, "POST / HTTP/1.1\r\n"), 3);
    assert_int_equal(sw_test_count(log,
                                   "\r\nX-Amz-Target: GraniteServiceVersion"
                                   "20100801.DescribeAlarms\r\n"),
                     3);
    assert_int_equal(
        sw_test_count(log, "\r\nContent-Type: application/x-amz-json-1.0"
                           "\r\n"),
        3);
    assert_int_equal(
        sw_test_count(log, "/ap-northeast-1/monitoring/aws4_request, "), 3);
    assert_non_null(strstr(log, "\r\n\r\n{\"AlarmNamePrefix\":\"kds-\","
                                "\"MaxRecords\":100}\n====="));
    p2 = strstr(log, "{\"AlarmNamePrefix\":\"kds-\",\"NextToken\":\"p/2=\","
                     "\"MaxRecords\":100}");
    p3 = strstr(log, "{\"AlarmNamePrefix\":\"kds-\",\"NextToken\":\"p3\","
                     "\"MaxRecords\":100}");
    assert_non_null(p2);
    assert_non_null(p3);
    assert_true(p2 < p3);
    json_decref(out);
    sw_aws_free(a);
    free_script(script, 3);
}

static void
test_describe_errors(void **state)
{
    char *script[2];
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_aws_error e;
    json_t *out = (json_t *)1;

    (void)state;
    /* The same token twice would page forever. */
    script[0] =
        reply("200 OK", "", "{\"MetricAlarms\":[],\"NextToken\":\"t\"}");
    script[1] =
        reply("200 OK", "", "{\"MetricAlarms\":[],\"NextToken\":\"t\"}");
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 2);
    a = client_for(&s, 1);
    assert_int_equal(sw_cwa_describe_alarms(a, NULL, NULL, &out, &e),
                     SW_EPARSE);
    assert_string_equal(e.code, "MalformedReply");
    assert_non_null(strstr(e.message, "page 2"));
    assert_null(out);
    assert_int_equal(sw_test_server_wait(&s), 0);
    sw_aws_free(a);
    free_script(script, 2);

    /* A malformed page says which. */
    script[0] = reply("200 OK", "", "{\"MetricAlarms\":[{}]}");
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 1);
    a = client_for(&s, 1);
    assert_int_equal(sw_cwa_describe_alarms(a, NULL, NULL, &out, &e),
                     SW_EPARSE);
    assert_non_null(strstr(e.message, "DescribeAlarms reply (page 1): "
                                      "MetricAlarms entry 0"));
    assert_int_equal(sw_test_server_wait(&s), 0);
    sw_aws_free(a);
    free_script(script, 1);

    /* An AWS error comes back as the client parsed it. */
    script[0] = reply("400 Bad Request",
                      "x-amzn-query-error: InvalidNextToken;Sender\r\n",
                      "{\"__type\":\"com.amazonaws.cloudwatch#"
                      "InvalidNextToken\",\"message\":\"bad token\"}");
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 1);
    a = client_for(&s, 1);
    assert_int_equal(sw_cwa_describe_alarms(a, NULL, NULL, &out, &e), SW_EAWS);
    assert_string_equal(e.code, "InvalidNextToken");
    assert_string_equal(e.message, "bad token");
    assert_int_equal(sw_test_server_wait(&s), 0);
    sw_aws_free(a);
    free_script(script, 1);
}

static void
test_write_calls(void **state)
{
    char *script[4];
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_aws_error e;
    struct sw_cwa_limiter l;
    struct fake_clock fc;
    const char *names[] = {"a", "b"};
    json_t *input, *tags, *got = NULL;
    const char *log;

    (void)state;
    script[0] = reply("200 OK", "", "{}");
    script[1] = reply("200 OK", "", "");
    script[2] = reply("200 OK", "", "{}");
    script[3] = reply("200 OK", "",
                      "{\"Tags\":[{\"Key\":\"streamwatch:owner\","
                      "\"Value\":\"sw\"}]}");
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 4);
    a = client_for(&s, 1);
    fake_limiter(&l, &fc);
    input = json_pack("{sssssi}", "AlarmName", "a", "MetricName", "m", "Period",
                      60);
    tags = json_pack("{ss}", "team", "data");
    assert_int_equal(sw_cwa_put_metric_alarm(a, &l, input, &e), 0);
    assert_int_equal(sw_cwa_delete_alarms(a, &l, names, 2, &e), 0);
    assert_int_equal(sw_cwa_tag_resource(a, &l, ARN1 "a", tags, &e), 0);
    assert_int_equal(sw_cwa_list_tags(a, &l, ARN1 "a", &got, &e), 0);
    assert_string_equal(
        json_string_value(json_object_get(got, "streamwatch:owner")), "sw");
    /* Four operations, four buckets: nobody waited. */
    assert_int_equal(fc.slept, 0);
    assert_int_equal(sw_test_server_wait(&s), 0);
    log = sw_test_server_log(&s);
    assert_non_null(strstr(log, "X-Amz-Target: GraniteServiceVersion20100801."
                                "PutMetricAlarm\r\n"));
    assert_non_null(strstr(log, "\r\n\r\n{\"AlarmName\":\"a\",\"MetricName\":"
                                "\"m\",\"Period\":60}\n====="));
    assert_non_null(strstr(log, "X-Amz-Target: GraniteServiceVersion20100801."
                                "DeleteAlarms\r\n"));
    assert_non_null(strstr(log, "{\"AlarmNames\":[\"a\",\"b\"]}"));
    assert_non_null(strstr(log, "X-Amz-Target: GraniteServiceVersion20100801."
                                "TagResource\r\n"));
    assert_non_null(strstr(log, "X-Amz-Target: GraniteServiceVersion20100801."
                                "ListTagsForResource\r\n"));
    json_decref(got);

    /* Refused before sending: nothing goes out. */
    assert_int_equal(sw_cwa_delete_alarms(a, &l, names, 0, &e), SW_EINVAL);
    assert_string_equal(e.code, "ParamValidation");
    assert_non_null(strstr(e.message, "DeleteAlarms request: "));
    assert_int_equal(e.attempts, 0);
    assert_int_equal(sw_cwa_list_tags(a, &l, "nope", &got, &e), SW_EINVAL);
    assert_null(got);
    json_decref(input);
    json_decref(tags);
    sw_aws_free(a);
    free_script(script, 4);
}

static void
test_throttled_call_is_tried_again_slower(void **state)
{
    char *script[4];
    struct sw_test_server s;
    struct sw_aws *a;
    struct sw_aws_error e;
    struct sw_cwa_limiter l;
    struct fake_clock fc;
    json_t *input = json_pack("{ss}", "AlarmName", "a");
    static const char throttle[] = "{\"__type\":\"com.amazon.coral."
                                   "availability#ThrottlingException\","
                                   "\"message\":\"Rate exceeded\"}";

    (void)state;
    /* The client gives up after one attempt here; the limiter tries
     * twice more, each time at half the rate. */
    script[0] = reply("400 Bad Request", "", throttle);
    script[1] = reply("400 Bad Request", "", throttle);
    script[2] = reply("200 OK", "", "{}");
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 3);
    a = client_for(&s, 1);
    fake_limiter(&l, &fc);
    assert_int_equal(sw_cwa_put_metric_alarm(a, &l, input, &e), 0);
    assert_int_equal(e.attempts, 3);
    /* 741 ms at 1.35 a second, then 1482 ms at 0.675 */
    assert_true(fc.slept >= 741 + 1481 && fc.slept <= 741 + 1482 + 2);
    assert_int_equal(sw_test_server_wait(&s), 0);
    assert_int_equal(
        sw_test_count(sw_test_server_log(&s), "PutMetricAlarm\r\n"), 3);
    sw_aws_free(a);
    free_script(script, 3);

    /* Throttled every time: three rounds, then the error. */
    for (int i = 0; i < 3; i++)
        script[i] = reply("400 Bad Request", "", throttle);
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 3);
    a = client_for(&s, 1);
    fake_limiter(&l, &fc);
    assert_int_equal(sw_cwa_put_metric_alarm(a, &l, input, &e), SW_ETHROTTLED);
    assert_int_equal(e.attempts, 3);
    assert_string_equal(e.code, "ThrottlingException");
    assert_int_equal(sw_test_server_wait(&s), 0);
    sw_aws_free(a);
    free_script(script, 3);

    /* Without a limiter there is nobody to slow down: one round. */
    script[0] = reply("400 Bad Request", "", throttle);
    sw_test_server_start(&s, tmpdir, (const char *const *)script, 1);
    a = client_for(&s, 1);
    assert_int_equal(sw_cwa_put_metric_alarm(a, NULL, input, &e),
                     SW_ETHROTTLED);
    assert_int_equal(sw_test_server_wait(&s), 0);
    sw_aws_free(a);
    free_script(script, 1);
    json_decref(input);
}

static int
group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sw_test_cwalarms.XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    sw_log_set_level(SW_LOG_WARN);
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_CLOUDWATCH");
    unsetenv("AWS_MAX_ATTEMPTS");
    unsetenv("AWS_CA_BUNDLE");
    unsetenv("AWS_SESSION_TOKEN");
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
    char p[192];

    (void)state;
    snprintf(p, sizeof(p), "%s/requests.log", tmpdir);
    unlink(p);
    rmdir(tmpdir);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_spacing),
        cmocka_unit_test(test_bucket_burst),
        cmocka_unit_test(test_limiter_rates),
        cmocka_unit_test(test_limiter_cancel),
        cmocka_unit_test(test_limiter_done),
        cmocka_unit_test(test_describe_request),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_other_requests),
        cmocka_unit_test(test_parse_describe),
        cmocka_unit_test(test_parse_describe_malformed),
        cmocka_unit_test(test_parse_tags),
        cmocka_unit_test(test_describe_pages),
        cmocka_unit_test(test_describe_errors),
        cmocka_unit_test(test_write_calls),
        cmocka_unit_test(test_throttled_call_is_tried_again_slower),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
