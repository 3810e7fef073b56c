/* tests/unit/test_message.c - notifiers/message: the record and every
 * rendering of it (the SNS message and subject here, and the e-mail text,
 * Alertmanager payloads and Slack text of notifiers/email_text,
 * am_payload and slack), compared with golden files in
 * $SW_TEST_DATA/message: the renderings are tested on records made by
 * sw_message_record(), as the notifiers get them.
 *
 * The golden files were written by this program (SW_MESSAGE_REGEN=1
 * rewrites them) and then checked by hand; cloudwatch_sns_alarm.json is a
 * reference CloudWatch alarm notification for the alarm of rule_ref(),
 * kept verbatim, and the single-metric alarm must print exactly as it
 * does, apart from the one value the event cannot carry (StateChangeTime
 * milliseconds). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/str.h"
#include "notifiers/am_payload.h"
#include "notifiers/email_text.h"
#include "notifiers/message.h"
#include "notifiers/notifier.h"
#include "notifiers/slack.h"
#include "rules/rule.h"

#define T_CHANGE  1764151601 /* 2025-11-26T10:06:41Z */
#define T_WINDOW  1764151560 /* 2025-11-26T10:06:00Z, its window end */
#define T_UPDATED 1764151092 /* 2025-11-26T09:58:12Z */
#define T_NOW     1764152400 /* 2025-11-26T10:20:00Z */

#define PRETTY (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

static const char reason_ref[] =
    "Threshold Crossed: 3 out of the last 5 datapoints [12.0 (26/11/25 "
    "10:04:00), 40.0 (26/11/25 10:03:00), 7.0 (26/11/25 10:01:00)] were less "
    "than the threshold (100.0) (minimum 3 datapoints for OK -> ALARM "
    "transition).";

static const char reason_data_ref[] =
    "{\"version\":\"1.0\",\"queryDate\":\"2025-11-26T10:06:41.000+0000\","
    "\"startDate\":\"2025-11-26T10:01:00.000+0000\",\"statistic\":\"Sum\","
    "\"period\":60,\"recentDatapoints\":[7.0,120.0,40.0,12.0,150.0],"
    "\"threshold\":100.0,\"evaluatedDatapoints\":["
    "{\"timestamp\":\"2025-11-26T10:05:00.000+0000\",\"sampleCount\":1.0,"
    "\"value\":150.0},"
    "{\"timestamp\":\"2025-11-26T10:04:00.000+0000\",\"sampleCount\":1.0,"
    "\"value\":12.0},"
    "{\"timestamp\":\"2025-11-26T10:03:00.000+0000\",\"sampleCount\":1.0,"
    "\"value\":40.0},"
    "{\"timestamp\":\"2025-11-26T10:02:00.000+0000\",\"sampleCount\":1.0,"
    "\"value\":120.0},"
    "{\"timestamp\":\"2025-11-26T10:01:00.000+0000\",\"sampleCount\":1.0,"
    "\"value\":7.0}]}";

static const struct sw_message_arn arns[] = {
    {"ops", "arn:aws:sns:ap-northeast-1:123456789012:ops"},
    {"oncall-mail", NULL}, /* an e-mail notifier: no ARN */
};

static const struct sw_message_ctx ctx_ref = {
    .account_id = "123456789012",
    .config_updated = T_UPDATED,
    .config_updated_ms = 123,
    .arns = arns,
    .narns = 2,
};

/* ---- helpers ---- */

static char *
data_path(const char *name)
{
    const char *dir = getenv("SW_TEST_DATA");
    size_t n;
    char *p;

    if (!dir)
        dir = "tests/data";
    n = strlen(dir) + strlen(name) + 16;
    p = malloc(n);
    assert_non_null(p);
    assert_true(snprintf(p, n, "%s/message/%s", dir, name) < (int)n);
    return p;
}

static char *
read_data(const char *name)
{
    char *path = data_path(name), *buf;
    FILE *f = fopen(path, "rb");
    long len;

    if (!f)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    len = ftell(f);
    assert_true(len >= 0);
    rewind(f);
    buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    buf[len] = '\0';
    fclose(f);
    free(path);
    return buf;
}

/* Compare TEXT with the golden file NAME, which holds TEXT and a final
 * newline.  SW_MESSAGE_REGEN=1 writes the file instead. */
static void
golden(const char *name, const char *text)
{
    char *want;

    if (getenv("SW_MESSAGE_REGEN")) {
        char *path = data_path(name);
        FILE *f = fopen(path, "wb");

        assert_non_null(f);
        fputs(text, f);
        fputc('\n', f);
        fclose(f);
        free(path);
        return;
    }
    want = read_data(name);
    assert_true(strlen(want) > 0 && want[strlen(want) - 1] == '\n');
    want[strlen(want) - 1] = '\0';
    if (strcmp(want, text) != 0)
        fail_msg("%s differs:\n--- got\n%s\n--- want\n%s", name, text, want);
    free(want);
}

static void
golden_json(const char *name, const json_t *v, size_t flags)
{
    char *text = json_dumps(v, flags);

    assert_non_null(text);
    golden(name, text);
    free(text);
}

static void
add_dim(struct sw_dimension **d, size_t *n, const char *name, const char *value)
{
    *d = realloc(*d, (*n + 1) * sizeof(**d));
    assert_non_null(*d);
    (*d)[*n].name = sw_strdup(name);
    (*d)[*n].value = sw_strdup(value);
    (*n)++;
}

/* The alarm of cloudwatch_sns_alarm.json. */
static struct sw_rule *
rule_ref(void)
{
    struct sw_rule *r = sw_rule_new();

    assert_non_null(r);
    r->name = sw_strdup("kds-orders-incoming-low");
    r->description = sw_strdup("IncomingRecords below 100/min");
    r->namespace_ = sw_strdup("AWS/Kinesis");
    r->metric = sw_strdup("IncomingRecords");
    r->stat = sw_strdup("Sum");
    add_dim(&r->dims, &r->ndims, "StreamName", "orders");
    r->period_s = 60;
    r->evaluation_periods = 5;
    r->datapoints_to_alarm = 3;
    r->cmp = SW_CMP_LT;
    r->threshold = 100.0;
    r->tmd = SW_TMD_BREACHING;
    assert_int_equal(sw_strv_push(&r->ok_actions, "ops"), 0);
    assert_int_equal(sw_strv_push(&r->alarm_actions, "ops"), 0);
    assert_int_equal(sw_strv_push(&r->alarm_actions, "oncall-mail"), 0);
    assert_int_equal(sw_strv_push(&r->insufficient_data_actions, "chat"), 0);
    add_dim(&r->labels, &r->nlabels, "severity", "page");
    add_dim(&r->labels, &r->nlabels, "team", "data-platform");
    return r;
}

static void
event_ref(struct sw_alarm_event *ev, const struct sw_rule *r)
{
    memset(ev, 0, sizeof(*ev));
    ev->alarm_name = r->name;
    ev->description = r->description;
    ev->old_state = SW_STATE_OK;
    ev->new_state = SW_STATE_ALARM;
    ev->reason = reason_ref;
    ev->reason_data = reason_data_ref;
    ev->state_change_time = T_CHANGE;
    ev->window_end = T_WINDOW;
    ev->region = "ap-northeast-1";
    ev->rule = r;
}

static char *
alarm_text(const json_t *rec)
{
    char *text;
    size_t len;

    assert_int_equal(sw_message_alarm_json(rec, 0, &text, &len), 0);
    assert_int_equal(len, strlen(text));
    return text;
}

/* Nothing a renderer emits may hold a control character but "\n", or a
 * line longer than RFC 5322 allows. */
static void
assert_clean_text(const char *s, int newlines_ok)
{
    size_t line = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n' && newlines_ok) {
            line = 0;
            continue;
        }
        if (*p < 0x20 || *p == 0x7f)
            fail_msg("control character 0x%02x at offset %ld", *p,
                     (long)(p - (const unsigned char *)s));
        if (++line > SW_EMAIL_TEXT_LINE_MAX)
            fail_msg("line longer than %d octets", SW_EMAIL_TEXT_LINE_MAX);
    }
}

/* Characters (not bytes) of a valid UTF-8 string; fails on invalid. */
static size_t
utf8_count(const char *s)
{
    size_t n = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t len = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;

        assert_true(*p < 0x80 || *p >= 0xc2);
        for (size_t i = 1; i < len; i++)
            assert_true((p[i] & 0xc0) == 0x80);
        p += len;
        n++;
    }
    return n;
}

/* ---- tests ---- */

static void
test_kinesis_matches_reference(void **state)
{
    struct sw_rule *r = rule_ref();
    struct sw_alarm_event ev;
    json_t *rec, *ref;
    char *text, *ref_text, *doc, *ms;

    (void)state;
    event_ref(&ev, r);
    rec = sw_message_record(&ev, &ctx_ref);
    assert_non_null(rec);
    assert_int_equal(sw_message_check(rec), 0);
    text = alarm_text(rec);
    golden("kinesis_alarm.json", text);

    /* The reference message verbatim, printed as we print: the same
     * bytes once its StateChangeTime milliseconds are ours (time_t has
     * none), and the example's actions are the ones its rule resolves
     * to. */
    doc = read_data("cloudwatch_sns_alarm.json");
    ref = json_loads(doc, 0, NULL);
    assert_non_null(ref);
    ref_text = json_dumps(ref, SW_MESSAGE_JSON_FLAGS);
    assert_non_null(ref_text);
    ms = strstr(ref_text, "10:06:41.512+0000");
    assert_non_null(ms);
    memcpy(ms + 9, "000", 3);
    assert_string_equal(text, ref_text);

    assert_string_equal(sw_message_alarm_str(rec, "AlarmName"),
                        "kds-orders-incoming-low");
    assert_null(sw_message_alarm_str(rec, "Trigger"));
    assert_null(sw_message_alarm_str(rec, "NoSuchField"));
    golden_json("kinesis_record.json", rec, PRETTY);
    free(text);
    free(ref_text);
    free(doc);
    json_decref(ref);
    json_decref(rec);
    sw_rule_free(r);
}

static void
test_kinesis_renderings(void **state)
{
    struct sw_rule *r = rule_ref();
    struct sw_alarm_event ev;
    json_t *rec, *v;
    char *s;

    (void)state;
    event_ref(&ev, r);
    rec = sw_message_record(&ev, &ctx_ref);
    assert_non_null(rec);

    s = sw_message_subject(rec);
    assert_string_equal(
        s, "ALARM: \"kds-orders-incoming-low\" in Asia Pacific (Tokyo)");
    free(s);

    s = sw_email_text(rec);
    assert_non_null(s);
    assert_clean_text(s, 1);
    golden("kinesis_email.txt", s);
    free(s);

    v = sw_am_payload_alert(rec, T_NOW, "http://streamwatch.example/");
    assert_non_null(v);
    golden_json("kinesis_alertmanager.json", v, PRETTY);
    assert_null(json_object_get(v, "endsAt")); /* firing */
    json_decref(v);

    v = sw_am_payload_webhook(rec, T_NOW);
    assert_non_null(v);
    golden_json("kinesis_am_webhook.json", v, PRETTY);
    json_decref(v);

    v = sw_slack_text(rec);
    assert_non_null(v);
    golden_json("kinesis_slack.json", v, PRETTY);
    json_decref(v);

    json_decref(rec);
    sw_rule_free(r);
}

/* A record written to the outbox and read back renders the same. */
static void
test_round_trip(void **state)
{
    struct sw_rule *r = rule_ref();
    struct sw_alarm_event ev;
    json_t *rec, *back, *a, *b;
    char *stored, *s1, *s2;

    (void)state;
    event_ref(&ev, r);
    r->threshold = 0.1; /* not exact in binary */
    rec = sw_message_record(&ev, &ctx_ref);
    assert_non_null(rec);
    stored = json_dumps(rec, JSON_COMPACT); /* the outbox's precision */
    assert_non_null(stored);
    back = json_loads(stored, 0, NULL);
    assert_non_null(back);
    assert_true(json_equal(rec, back));

    s1 = alarm_text(rec);
    s2 = alarm_text(back);
    assert_string_equal(s1, s2);
    assert_non_null(strstr(s1, "\"Threshold\":0.1,"));
    free(s1);
    free(s2);
    s1 = sw_email_text(rec);
    s2 = sw_email_text(back);
    assert_string_equal(s1, s2);
    free(s1);
    free(s2);
    a = sw_am_payload_webhook(rec, T_NOW);
    b = sw_am_payload_webhook(back, T_NOW);
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    free(stored);
    json_decref(back);
    json_decref(rec);
    sw_rule_free(r);
}

/* The record carries the evaluated window's end, and the dedup id rests on
 * it: two agents that evaluated the period ending 10:06:00 at 10:06:05 and
 * at 10:06:41 queue records with different StateChangeTimes (each its own
 * wall clock, as CloudWatch's format has it) but one id, also after the
 * outbox stored and loaded them. */
static void
test_window_end(void **state)
{
    struct sw_rule *r = rule_ref();
    struct sw_alarm_event ev;
    json_t *a, *b, *back;
    char ida[SW_DEDUP_ID_BUF], idb[SW_DEDUP_ID_BUF], *stored;

    (void)state;
    event_ref(&ev, r);
    ev.state_change_time = T_WINDOW + 5;
    a = sw_message_record(&ev, &ctx_ref);
    assert_non_null(a);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(a, "streamwatch"), "window_end")),
                     T_WINDOW);
    assert_string_equal(sw_message_alarm_str(a, "StateChangeTime"),
                        "2025-11-26T10:06:05.000+0000");
    ev.state_change_time = T_WINDOW + 41;
    b = sw_message_record(&ev, &ctx_ref);
    assert_non_null(b);
    assert_string_equal(sw_message_alarm_str(b, "StateChangeTime"),
                        "2025-11-26T10:06:41.000+0000");
    assert_int_equal(sw_notifier_dedup_id(a, ida), 0);
    assert_int_equal(sw_notifier_dedup_id(b, idb), 0);
    assert_string_equal(ida, idb);
    stored = json_dumps(b, JSON_COMPACT); /* the outbox's way */
    assert_non_null(stored);
    back = json_loads(stored, 0, NULL);
    assert_non_null(back);
    assert_int_equal(sw_notifier_dedup_id(back, idb), 0);
    assert_string_equal(ida, idb);
    json_decref(back);
    free(stored);
    json_decref(b);

    /* The next period, or the first reminder in this one: other ids. */
    ev.window_end = T_WINDOW + 60;
    b = sw_message_record(&ev, &ctx_ref);
    assert_non_null(b);
    assert_int_equal(sw_notifier_dedup_id(b, idb), 0);
    assert_string_not_equal(ida, idb);
    json_decref(b);
    ev.window_end = T_WINDOW;
    ev.repeat = 1;
    b = sw_message_record(&ev, &ctx_ref);
    assert_non_null(b);
    assert_int_equal(sw_notifier_dedup_id(b, idb), 0);
    assert_string_not_equal(ida, idb);
    json_decref(b);

    /* Unknown (notify-test): null, and the id falls back to the change
     * time, so each sample is its own notification. */
    ev.repeat = 0;
    ev.window_end = 0;
    b = sw_message_record(&ev, &ctx_ref);
    assert_non_null(b);
    assert_true(json_is_null(
        json_object_get(json_object_get(b, "streamwatch"), "window_end")));
    assert_int_equal(sw_notifier_dedup_id(b, idb), 0);
    assert_string_not_equal(ida, idb);
    json_decref(b);
    json_decref(a);
    sw_rule_free(r);
}

static struct sw_rule *
math_rule(void)
{
    struct sw_rule *r = sw_rule_new();

    assert_non_null(r);
    r->name = sw_strdup("clicks-behind");
    r->namespace_ = sw_strdup("AWS/Kinesis");
    r->metrics = calloc(2, sizeof(*r->metrics));
    assert_non_null(r->metrics);
    r->nmetrics = 2;
    r->metrics[0].id = sw_strdup("w");
    r->metrics[0].namespace_ = sw_strdup("AWS/Kinesis");
    r->metrics[0].metric = sw_strdup("IncomingRecords");
    r->metrics[0].stat = sw_strdup("Sum");
    add_dim(&r->metrics[0].dims, &r->metrics[0].ndims, "StreamName", "clicks");
    r->metrics[1].id = sw_strdup("e1"); /* takes the default id */
    r->metrics[1].namespace_ = sw_strdup("AWS/Kinesis");
    r->metrics[1].metric = sw_strdup("GetRecords.Records");
    r->metrics[1].stat = sw_strdup("Sum");
    r->metrics[1].unit = sw_strdup("Count");
    add_dim(&r->metrics[1].dims, &r->metrics[1].ndims, "StreamName", "clicks");
    r->expression = sw_strdup("w - FILL(e1, 0)");
    r->period_s = 300;
    r->evaluation_periods = 3;
    r->datapoints_to_alarm = 2;
    r->cmp = SW_CMP_GT;
    r->threshold = 5000;
    r->tmd = SW_TMD_MISSING;
    assert_int_equal(sw_strv_push(&r->alarm_actions, "ops"), 0);
    assert_int_equal(
        sw_strv_push(&r->ok_actions,
                     "arn:aws:sns:ap-northeast-1:123456789012:direct"),
        0);
    return r;
}

static void
test_metric_math(void **state)
{
    struct sw_rule *r = math_rule();
    struct sw_alarm_event ev;
    const json_t *t;
    json_t *rec, *v;
    char *s;

    (void)state;
    memset(&ev, 0, sizeof(ev));
    ev.alarm_name = r->name;
    ev.old_state = SW_STATE_OK;
    ev.new_state = SW_STATE_ALARM;
    ev.reason = "Threshold Crossed: 2 out of the last 3 datapoints "
                "[7200.0 (26/11/25 10:00:00), 6100.0 (26/11/25 09:50:00)] "
                "were greater than the threshold (5000.0) (minimum 2 "
                "datapoints for OK -> ALARM transition).";
    ev.reason_data =
        "{\"version\":\"1.0\",\"queryDate\":\"2025-11-26T10:06:41.000+0000\","
        "\"statistic\":\"\",\"period\":300,\"recentDatapoints\":[6100.0,"
        "7200.0],\"threshold\":5000.0,\"evaluatedDatapoints\":["
        "{\"timestamp\":\"2025-11-26T10:00:00.000+0000\",\"value\":7200.0},"
        "{\"timestamp\":\"2025-11-26T09:55:00.000+0000\"},"
        "{\"timestamp\":\"2025-11-26T09:50:00.000+0000\",\"value\":6100.0}]}";
    ev.state_change_time = T_CHANGE;
    ev.window_end = T_WINDOW - 60; /* 10:05:00, the period is 300 s */
    ev.region = "ap-northeast-1";
    ev.rule = r;
    rec = sw_message_record(&ev, &ctx_ref);
    assert_non_null(rec);

    t = json_object_get(json_object_get(rec, "alarm"), "Trigger");
    assert_null(json_object_get(t, "MetricName"));
    assert_null(json_object_get(t, "Statistic"));
    assert_int_equal(json_array_size(json_object_get(t, "Metrics")), 3);
    s = alarm_text(rec);
    golden("math_alarm.json", s);
    free(s);
    golden_json("math_record.json", rec, PRETTY);

    s = sw_email_text(rec);
    assert_non_null(s);
    assert_clean_text(s, 1);
    golden("math_email.txt", s);
    free(s);
    v = sw_am_payload_alert(rec, T_NOW, NULL);
    assert_non_null(v);
    golden_json("math_alertmanager.json", v, PRETTY);
    json_decref(v);
    v = sw_slack_text(rec);
    assert_non_null(v);
    golden_json("math_slack.json", v, PRETTY);
    json_decref(v);
    json_decref(rec);
    sw_rule_free(r);
}

static void
test_partitions(void **state)
{
    struct sw_rule *r = rule_ref();
    struct sw_alarm_event ev;
    json_t *rec;
    char *s;

    (void)state;
    event_ref(&ev, r);
    ev.region = "cn-north-1";
    rec = sw_message_record(&ev, &ctx_ref);
    assert_non_null(rec);
    s = alarm_text(rec);
    golden("cn_alarm.json", s);
    free(s);
    assert_string_equal(sw_message_alarm_str(rec, "AlarmArn"),
                        "arn:aws-cn:cloudwatch:cn-north-1:123456789012:"
                        "alarm:kds-orders-incoming-low");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(rec, "streamwatch"),
                                          "console_url")),
        "https://console.amazonaws.cn/cloudwatch/home?region=cn-north-1"
        "#alarmsV2:alarm/kds-orders-incoming-low");
    s = sw_message_subject(rec);
    assert_string_equal(
        s, "ALARM: \"kds-orders-incoming-low\" in China (Beijing)");
    free(s);
    json_decref(rec);

    ev.region = "us-gov-west-1";
    rec = sw_message_record(&ev, NULL); /* no context: account unknown */
    assert_non_null(rec);
    assert_string_equal(sw_message_alarm_str(rec, "AlarmArn"),
                        "arn:aws-us-gov:cloudwatch:us-gov-west-1::"
                        "alarm:kds-orders-incoming-low");
    assert_true(json_is_null(
        json_object_get(json_object_get(rec, "alarm"), "AWSAccountId")));
    /* no context: no ARNs for notifier names, config time = change time */
    assert_int_equal(json_array_size(json_object_get(
                         json_object_get(rec, "alarm"), "AlarmActions")),
                     0);
    assert_string_equal(
        sw_message_alarm_str(rec, "AlarmConfigurationUpdatedTimestamp"),
        "2025-11-26T10:06:41.000+0000");
    assert_string_equal(sw_message_alarm_str(rec, "Region"),
                        "AWS GovCloud (US-West)");
    json_decref(rec);

    /* a region not in the table: the code stands in for the long name */
    ev.region = "xx-mars-1";
    ev.account_id = "999999999999";
    rec = sw_message_record(&ev, NULL);
    assert_non_null(rec);
    assert_string_equal(sw_message_alarm_str(rec, "Region"), "xx-mars-1");
    assert_string_equal(sw_message_alarm_str(rec, "AlarmArn"),
                        "arn:aws:cloudwatch:xx-mars-1:999999999999:"
                        "alarm:kds-orders-incoming-low");
    json_decref(rec);

    /* no region at all: null Region, no console link, no " in ..." */
    ev.region = NULL;
    rec = sw_message_record(&ev, NULL);
    assert_non_null(rec);
    assert_true(
        json_is_null(json_object_get(json_object_get(rec, "alarm"), "Region")));
    assert_true(json_is_null(
        json_object_get(json_object_get(rec, "streamwatch"), "console_url")));
    s = sw_message_subject(rec);
    assert_string_equal(s, "ALARM: \"kds-orders-incoming-low\"");
    free(s);
    s = sw_email_text(rec);
    assert_non_null(s);
    assert_null(strstr(s, "console.aws"));
    free(s);
    json_decref(rec);
    sw_rule_free(r);
}

static void
test_subject_states(void **state)
{
    struct sw_rule *r = rule_ref();
    struct sw_alarm_event ev;
    json_t *rec, *v;
    char *s;

    (void)state;
    event_ref(&ev, r);
    ev.old_state = SW_STATE_ALARM;
    ev.new_state = SW_STATE_OK;
    rec = sw_message_record(&ev, &ctx_ref);
    s = sw_message_subject(rec);
    assert_string_equal(
        s, "OK: \"kds-orders-incoming-low\" in Asia Pacific (Tokyo)");
    free(s);
    /* resolved: endsAt = now */
    v = sw_am_payload_alert(rec, T_NOW, NULL);
    assert_string_equal(json_string_value(json_object_get(v, "endsAt")),
                        "2025-11-26T10:20:00Z");
    assert_string_equal(json_string_value(json_object_get(v, "startsAt")),
                        "2025-11-26T10:06:41Z");
    json_decref(v);
    /* ... never before startsAt */
    v = sw_am_payload_alert(rec, T_CHANGE - 100, NULL);
    assert_string_equal(json_string_value(json_object_get(v, "endsAt")),
                        "2025-11-26T10:06:41Z");
    json_decref(v);
    v = sw_am_payload_webhook(rec, T_NOW);
    golden_json("ok_am_webhook.json", v, PRETTY);
    json_decref(v);
    json_decref(rec);

    ev.old_state = SW_STATE_OK;
    ev.new_state = SW_STATE_INSUFFICIENT_DATA;
    rec = sw_message_record(&ev, &ctx_ref);
    s = sw_message_subject(rec);
    assert_string_equal(s, "INSUFFICIENT_DATA: \"kds-orders-incoming-low\" in "
                           "Asia Pacific (Tokyo)");
    free(s);
    v = sw_am_payload_alert(rec, T_NOW, NULL);
    assert_non_null(json_object_get(v, "endsAt"));
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(v, "annotations"), "state")),
                        "INSUFFICIENT_DATA");
    json_decref(v);
    json_decref(rec);

    /* a reminder: same subject as CloudWatch would send, and says so in
     * the text */
    ev.old_state = SW_STATE_ALARM;
    ev.new_state = SW_STATE_ALARM;
    ev.repeat = 3;
    rec = sw_message_record(&ev, &ctx_ref);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(rec, "streamwatch"), "repeat")),
                     3);
    s = sw_email_text(rec);
    assert_non_null(strstr(s, "Reminder: the alarm \"kds-orders-incoming-low\""
                              " in the Asia Pacific (Tokyo) region is still "
                              "in the ALARM state, since Wednesday 26 "
                              "November, 2025 10:06:41 UTC."));
    free(s);
    v = sw_slack_text(rec);
    assert_non_null(strstr(json_string_value(json_object_get(v, "text")),
                           "(still, reminder)"));
    json_decref(v);
    json_decref(rec);
    sw_rule_free(r);
}

static void
test_subject_long_utf8(void **state)
{
    struct sw_rule *r = rule_ref();
    struct sw_alarm_event ev;
    char name[1024];
    json_t *rec;
    char *s;
    size_t n;

    (void)state;
    /* 300 characters: "ストリーム" (3 bytes each) and ASCII, so a cut
     * at a byte count would split a character */
    for (size_t i = 0, off = 0; i < 30; i++) {
        static const char part[] = "ストリーム-lag-";

        memcpy(name + off, part, sizeof(part));
        off += sizeof(part) - 1;
    }
    assert_int_equal(utf8_count(name), 300);
    event_ref(&ev, r);
    ev.alarm_name = name;
    rec = sw_message_record(&ev, &ctx_ref);
    s = sw_message_subject(rec);
    assert_non_null(s);
    n = utf8_count(s);
    assert_true(n <= SW_MESSAGE_SUBJECT_MAX_CHARS);
    assert_int_equal(n, SW_MESSAGE_SUBJECT_MAX_CHARS);
    assert_true(sw_str_has_prefix(s, "ALARM: \"ストリーム-lag-"));
    assert_non_null(strstr(s, "...\" in Asia Pacific (Tokyo)"));
    assert_string_equal(strstr(s, "...\""), "...\" in Asia Pacific (Tokyo)");
    golden("long_subject.txt", s);
    free(s);

    /* the ARN and the record keep the whole name */
    assert_non_null(strstr(sw_message_alarm_str(rec, "AlarmArn"), name));
    json_decref(rec);

    /* exactly at the limit: not cut */
    memset(name, 'a', sizeof(name));
    n = SW_MESSAGE_SUBJECT_MAX_CHARS - strlen("ALARM: \"\" in Asia Pacific "
                                              "(Tokyo)");
    name[n] = '\0';
    rec = sw_message_record(&ev, &ctx_ref);
    s = sw_message_subject(rec);
    assert_int_equal(strlen(s), SW_MESSAGE_SUBJECT_MAX_CHARS);
    assert_null(strstr(s, "..."));
    free(s);
    json_decref(rec);
    name[n] = 'a';
    name[n + 1] = '\0';
    rec = sw_message_record(&ev, &ctx_ref);
    s = sw_message_subject(rec);
    assert_int_equal(strlen(s), SW_MESSAGE_SUBJECT_MAX_CHARS);
    assert_non_null(strstr(s, "...\" in Asia Pacific (Tokyo)"));
    free(s);
    json_decref(rec);
    sw_rule_free(r);
}

static void
test_crlf_name(void **state)
{
    struct sw_rule *r = rule_ref();
    struct sw_alarm_event ev;
    const char *name = "evil\r\nBcc: victim@example.com\r\n\r\nbody\x7f\t"
                       "\xc2\x85\xe2\x80\xa8x";
    json_t *rec, *v;
    char *s;

    (void)state;
    event_ref(&ev, r);
    ev.alarm_name = name;
    ev.description = "line one\nline two";
    ev.reason = "reason\r\nX-Injected: 1";
    rec = sw_message_record(&ev, &ctx_ref);
    assert_non_null(rec);
    /* the record keeps the name as it is: CloudWatch JSON escapes it */
    assert_string_equal(sw_message_alarm_str(rec, "AlarmName"), name);
    s = alarm_text(rec);
    assert_null(strchr(s, '\r'));
    assert_null(strchr(s, '\n'));
    assert_non_null(strstr(s, "\"AlarmName\":\"evil\\r\\nBcc:"));
    free(s);

    s = sw_message_subject(rec);
    assert_clean_text(s, 0);
    assert_null(strstr(s, "\xc2\x85"));
    assert_null(strstr(s, "\xe2\x80\xa8"));
    /* CR LF, CR LF CR LF, DEL TAB NEL LS: one space each */
    assert_string_equal(s, "ALARM: \"evil  Bcc: victim@example.com    body"
                           "    x\" in Asia Pacific (Tokyo)");
    free(s);

    s = sw_email_text(rec);
    assert_clean_text(s, 1);
    assert_null(strstr(s, "\nBcc:"));
    assert_null(strstr(s, "\nX-Injected"));
    assert_null(strstr(s, "\nline two"));
    free(s);

    v = sw_slack_text(rec);
    assert_null(strchr(json_string_value(json_object_get(v, "text")), '\r'));
    json_decref(v);
    v = sw_am_payload_alert(rec, T_NOW, NULL);
    s = json_dumps(json_object_get(v, "annotations"), JSON_COMPACT);
    assert_null(strstr(s, "\\n"));
    assert_null(strstr(s, "\\r"));
    free(s);
    json_decref(v);
    json_decref(rec);
    sw_rule_free(r);
}

static void
test_huge_reason(void **state)
{
    const size_t big = 300 * 1024;
    struct sw_rule *r = rule_ref();
    struct sw_alarm_event ev;
    char *reason = malloc(big + 1), *s;
    json_t *rec, *v, *back;
    size_t len;
    const char *rs;

    (void)state;
    assert_non_null(reason);
    /* 2-byte characters and quotes (escaped in JSON) throughout */
    for (size_t i = 0; i < big;) {
        if (i % 100 == 0) {
            reason[i++] = '"';
        } else if (i + 2 <= big) {
            reason[i++] = '\xc3';
            reason[i++] = '\xa9';
        } else {
            reason[i++] = 'x';
        }
    }
    reason[big] = '\0';
    event_ref(&ev, r);
    ev.reason = reason;
    rec = sw_message_record(&ev, &ctx_ref);
    assert_non_null(rec);
    assert_int_equal(strlen(sw_message_alarm_str(rec, "NewStateReason")), big);

    /* the SNS limit: cut the reason, keep the JSON whole */
    assert_int_equal(
        sw_message_alarm_json(rec, SW_MESSAGE_SNS_MAX_BYTES, &s, &len), 0);
    assert_true(len <= SW_MESSAGE_SNS_MAX_BYTES);
    assert_true(len > SW_MESSAGE_SNS_MAX_BYTES - 1024);
    back = json_loads(s, 0, NULL);
    assert_non_null(back);
    rs = json_string_value(json_object_get(back, "NewStateReason"));
    assert_non_null(strstr(rs, "... [truncated by streamwatch, 307200 "
                               "bytes]"));
    assert_non_null(json_object_get(back, "Trigger"));
    utf8_count(rs);
    json_decref(back);
    free(s);
    /* the record itself is unchanged */
    assert_int_equal(strlen(sw_message_alarm_str(rec, "NewStateReason")), big);
    /* nothing to cut enough */
    assert_int_equal(sw_message_alarm_json(rec, 100, &s, NULL), SW_ETOOBIG);
    assert_null(s);

    s = sw_email_text(rec);
    assert_non_null(s);
    assert_clean_text(s, 1);
    assert_true(strlen(s) < 32 * 1024);
    assert_non_null(strstr(s, "[truncated by streamwatch, 307200 bytes]"));
    free(s);
    s = sw_message_subject(rec);
    assert_non_null(s);
    free(s);
    v = sw_am_payload_alert(rec, T_NOW, NULL);
    assert_non_null(v);
    rs = json_string_value(
        json_object_get(json_object_get(v, "annotations"), "reason"));
    assert_true(strlen(rs) <= SW_MESSAGE_REASON_SHOWN_MAX);
    utf8_count(rs);
    json_decref(v);
    v = sw_am_payload_webhook(rec, T_NOW);
    assert_non_null(v);
    json_decref(v);
    v = sw_slack_text(rec);
    assert_non_null(v);
    assert_true(strlen(json_string_value(json_object_get(v, "text"))) <
                6 * SW_MESSAGE_REASON_SHOWN_MAX);
    json_decref(v);
    json_decref(rec);
    free(reason);
    sw_rule_free(r);
}

static void
test_bad_input(void **state)
{
    struct sw_rule *r = rule_ref();
    struct sw_alarm_event ev;
    json_t *rec, *junk, *v;
    char *s;

    (void)state;
    assert_null(sw_message_record(NULL, NULL));
    event_ref(&ev, r);
    ev.rule = NULL;
    assert_null(sw_message_record(&ev, NULL));

    /* bytes that are not UTF-8 become U+FFFD; bad reason data is null */
    event_ref(&ev, r);
    ev.alarm_name = "bad\xff\xc3(name";
    ev.reason_data = "{not json";
    rec = sw_message_record(&ev, &ctx_ref);
    assert_non_null(rec);
    assert_string_equal(sw_message_alarm_str(rec, "AlarmName"),
                        "bad\xef\xbf\xbd\xef\xbf\xbd(name");
    assert_true(json_is_null(json_object_get(
        json_object_get(rec, "streamwatch"), "state_reason_data")));
    /* the console link encodes the name */
    assert_non_null(
        strstr(json_string_value(json_object_get(
                   json_object_get(rec, "streamwatch"), "console_url")),
               "#alarmsV2:alarm/bad%EF%BF%BD%EF%BF%BD%28name"));
    json_decref(rec);

    /* garbage from a damaged outbox file: detected, and still rendered
     * without a crash */
    junk = json_loads("{\"alarm\":{\"AlarmName\":7,\"Trigger\":[]},"
                      "\"streamwatch\":3}",
                      0, NULL);
    assert_non_null(junk);
    assert_int_equal(sw_message_check(junk), SW_EPARSE);
    assert_int_equal(sw_message_check(NULL), SW_EPARSE);
    s = sw_message_subject(junk);
    assert_string_equal(s, "UNKNOWN: \"\"");
    free(s);
    s = sw_email_text(junk);
    assert_non_null(s);
    assert_clean_text(s, 1);
    free(s);
    v = sw_am_payload_alert(junk, T_NOW, NULL);
    assert_non_null(v);
    json_decref(v);
    v = sw_am_payload_webhook(junk, T_NOW);
    assert_non_null(v);
    json_decref(v);
    v = sw_slack_text(junk);
    assert_non_null(v);
    json_decref(v);
    assert_int_equal(sw_message_alarm_json(junk, 0, &s, NULL), 0);
    free(s);
    json_decref(junk);

    /* a region too long to leave room for the name is dropped; a state
     * longer than the whole limit cuts the lot */
    junk =
        json_pack("{s{ssssss}}", "alarm", "AlarmName", "n", "NewStateValue",
                  "ALARM", "Region",
                  "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
                  "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR");
    assert_non_null(junk);
    s = sw_message_subject(junk);
    assert_string_equal(s, "ALARM: \"n\"");
    free(s);
    json_object_set_new(
        json_object_get(junk, "alarm"), "NewStateValue",
        json_string("SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS"
                    "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS"
                    "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS"));
    s = sw_message_subject(junk);
    assert_int_equal(strlen(s), SW_MESSAGE_SUBJECT_MAX_CHARS);
    free(s);
    json_decref(junk);
    assert_int_equal(sw_message_alarm_json(NULL, 0, &s, NULL), SW_EPARSE);
    assert_null(s);
    sw_rule_free(r);
}

static void
test_fingerprint(void **state)
{
    json_t *l = json_pack("{ssss}", "name", "garland, briggs", "fear",
                          "love is not enough");
    char fp[17];

    (void)state;
    /* prometheus/common model: LabelsToSignature of the same set is
     * 5799056148416392346 = 0x507a62d79ee76c9a */
    sw_am_payload_fingerprint(l, fp);
    assert_string_equal(fp, "507a62d79ee76c9a");
    json_decref(l);
    l = json_object();
    sw_am_payload_fingerprint(l, fp);
    assert_string_equal(fp, "cbf29ce484222325"); /* the FNV offset basis */
    json_decref(l);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinesis_matches_reference),
        cmocka_unit_test(test_kinesis_renderings),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_window_end),
        cmocka_unit_test(test_metric_math),
        cmocka_unit_test(test_partitions),
        cmocka_unit_test(test_subject_states),
        cmocka_unit_test(test_subject_long_utf8),
        cmocka_unit_test(test_crlf_name),
        cmocka_unit_test(test_huge_reason),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_fingerprint),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
