/* notifiers/message.c - the notification record, the CloudWatch alarm
 * JSON and subject, and the record readers and text pieces the other
 * renderings share; see message.h. */
#include "config.h"

#include "notifiers/message.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/endpoint.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/json_util.h"
#include "lib/str.h"
#include "lib/utf8.h"
#include "rules/cwrender.h"
#include "rules/rule.h"

#define TEXT_CAP   SW_MESSAGE_TEXT_CAP
#define TRUNC_MARK "... [truncated by streamwatch, %zu bytes]"

/* ---- text pieces ---- */

int
sw_message_is_ctl(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
           cp == 0x2028 || cp == 0x2029;
}

/* add_clean - append S (N bytes) with control characters as spaces and
 * bytes that are not UTF-8 as U+FFFD. */
static int
add_clean(struct sw_buf *b, const char *s, size_t n)
{
    size_t i = 0;
    int r = 0;

    while (r == 0 && i < n) {
        uint32_t cp;
        size_t len = sw_utf8_seq(s + i, n - i, &cp);

        if (len == 0) {
            r = sw_buf_add(b, SW_UTF8_REPLACEMENT, 3);
            i++;
        } else if (sw_message_is_ctl(cp)) {
            r = sw_buf_addc(b, ' ');
            i += len;
        } else {
            r = sw_buf_add(b, s + i, len);
            i += len;
        }
    }
    return r;
}

int
sw_message_add_clean(struct sw_buf *b, const char *s)
{
    return s ? add_clean(b, s, strlen(s)) : 0;
}

int
sw_message_add_cut(struct sw_buf *b, const char *s, size_t max)
{
    char mark[80];
    size_t len, keep;
    int n;

    if (!s)
        return 0;
    len = strlen(s);
    if (len <= max)
        return add_clean(b, s, len);
    n = snprintf(mark, sizeof(mark), TRUNC_MARK, len);
    if (n < 0 || (size_t)n >= sizeof(mark) || (size_t)n >= max)
        return add_clean(b, s, sw_utf8_prefix(s, len, max));
    keep = sw_utf8_prefix(s, len, max - (size_t)n);
    if (add_clean(b, s, keep) < 0)
        return SW_ENOMEM;
    return sw_buf_adds(b, mark);
}

/* ---- time ---- */

/* "2025-11-26T10:06:41.512+0000": CloudWatch's yyyy-MM-dd'T'HH:mm:ss.SSSZ */
static char *
cw_time_ms(time_t t, int ms, char out[SW_TIME_BUF])
{
    struct tm tm;

    if (ms < 0 || ms > 999)
        ms = 0;
    char date[24];

    if (!gmtime_r(&t, &tm) ||
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        out[0] = '\0';
        return out;
    }
    /* The bounded date and a remainder of 1000 keep the whole text within
     * SW_TIME_BUF, as the compiler can see. */
    (void)snprintf(out, SW_TIME_BUF, "%s.%03u+0000", date,
                   (unsigned)ms % 1000u);
    return out;
}

/* ---- the record ---- */

/* RFC 3986 unreserved characters stay, everything else is %XX, so a name
 * can neither end the URL fragment nor break a Slack <url|text> link. */
static int
add_pct(struct sw_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int r = 0;

    for (const unsigned char *p = (const unsigned char *)s; r == 0 && *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
            (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' ||
            *p == '~') {
            r = sw_buf_addc(b, (char)*p);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            r = sw_buf_add(b, e, 3);
        }
    }
    return r;
}

/* The console host of the region's partition.  The commercial partition
 * has regional hosts; China and GovCloud have one console each; the other
 * partitions have no public console we could link to. */
static int
console_home(struct sw_buf *b, const char *region)
{
    const struct sw_partition *p;

    if (!region || !sw_region_valid(region))
        return SW_EINVAL;
    p = sw_endpoint_partition(region);
    if (strcmp(p->id, "aws") == 0)
        return sw_buf_addf(b,
                           "https://%s.console.aws.amazon.com/cloudwatch/"
                           "home?region=%s",
                           region, region);
    if (strcmp(p->id, "aws-cn") == 0)
        return sw_buf_addf(b,
                           "https://console.amazonaws.cn/cloudwatch/"
                           "home?region=%s",
                           region);
    if (strcmp(p->id, "aws-us-gov") == 0)
        return sw_buf_addf(b,
                           "https://console.amazonaws-us-gov.com/cloudwatch/"
                           "home?region=%s",
                           region);
    return SW_EINVAL;
}

static json_t *
console_url(const char *region, const char *name)
{
    struct sw_buf b;
    json_t *v = NULL;
    int r;

    sw_buf_init(&b, TEXT_CAP);
    r = console_home(&b, region);
    if (r == SW_EINVAL) {
        v = json_null();
        goto out;
    }
    if (r == 0)
        r = sw_buf_adds(&b, "#alarmsV2:alarm/");
    if (r == 0)
        r = add_pct(&b, name ? name : "");
    if (r == 0)
        v = sw_json_string_repair(sw_buf_str(&b));
out:
    sw_buf_release(&b);
    return v;
}

static json_t *
alarm_arn(const char *region, const char *account, const char *name)
{
    struct sw_buf b;
    json_t *v = NULL;

    sw_buf_init(&b, TEXT_CAP);
    /* The partition follows the region (sw_endpoint_partition()); an
     * unknown account leaves its field empty, as S3 ARNs do. */
    if (sw_buf_addf(&b, "arn:%s:cloudwatch:%s:%s:alarm:%s",
                    sw_endpoint_partition(region ? region : "")->id,
                    region ? region : "", account ? account : "",
                    name ? name : "") == 0)
        v = sw_json_string_repair(sw_buf_str(&b));
    sw_buf_release(&b);
    return v;
}

static const char *
action_arn(const char *action, const struct sw_message_ctx *ctx)
{
    if (!action)
        return NULL;
    if (sw_str_has_prefix(action, "arn:"))
        return action;
    for (size_t i = 0; ctx && i < ctx->narns; i++)
        if (ctx->arns[i].action && strcmp(ctx->arns[i].action, action) == 0)
            return ctx->arns[i].arn;
    return NULL;
}

static json_t *
actions_json(const struct sw_strv *sv, const struct sw_message_ctx *ctx,
             int *failed)
{
    json_t *arr = json_array();

    if (!arr) {
        *failed = 1;
        return NULL;
    }
    for (size_t i = 0; i < sv->n; i++) {
        const char *arn = action_arn(sv->v[i], ctx);
        int dup = 0;

        if (!arn)
            continue;
        /* two notifier names for one topic: CloudWatch lists it once */
        for (size_t j = 0; j < i && !dup; j++) {
            const char *o = action_arn(sv->v[j], ctx);
            dup = o && strcmp(o, arn) == 0;
        }
        if (!dup)
            sw_json_append_new(arr, sw_json_string_repair(arn), failed);
    }
    return arr;
}

static json_t *
labels_json(const struct sw_rule *r, int *failed)
{
    json_t *o = json_object();

    if (!o) {
        *failed = 1;
        return NULL;
    }
    for (size_t i = 0; r->labels && i < r->nlabels; i++) {
        char *key;

        if (!r->labels[i].name)
            continue;
        key = sw_utf8_repair_dup(r->labels[i].name);
        if (!key) {
            *failed = 1;
            break;
        }
        sw_json_set_new(
            o, key,
            sw_json_string_repair(r->labels[i].value ? r->labels[i].value : ""),
            failed);
        free(key);
    }
    return o;
}

/* The SNS form of the rule's alarm configuration (rules/cwrender.h), the
 * same rendering agent/sync sends as PutMetricAlarm. */
static json_t *
trigger(const struct sw_rule *r, int *failed)
{
    json_t *t = json_object();

    if (!t || sw_cwrender_alarm(t, r, SW_CWRENDER_SNS) < 0) {
        json_decref(t);
        *failed = 1;
        return NULL;
    }
    return t;
}

static json_t *
reason_data_json(const char *text)
{
    json_t *v;

    if (!text)
        return json_null();
    v = json_loads(text, 0, NULL);
    if (json_is_object(v))
        return v;
    json_decref(v);
    return json_null();
}

json_t *
sw_message_record(const struct sw_alarm_event *ev,
                  const struct sw_message_ctx *ctx)
{
    const struct sw_rule *r;
    json_t *rec = NULL, *alarm = NULL, *sw = NULL;
    const char *account, *long_name = NULL;
    char when[SW_TIME_BUF], *name = NULL;
    time_t updated;
    int failed = 0;

    if (!ev || !ev->rule)
        return NULL;
    r = ev->rule;
    /* the ARN and the console link carry the name as AlarmName does */
    name = sw_utf8_repair_dup(ev->alarm_name ? ev->alarm_name : "");
    rec = json_object();
    alarm = json_object();
    sw = json_object();
    if (!name || !rec || !alarm || !sw) {
        failed = 1;
        goto out;
    }
    account = ctx && ctx->account_id ? ctx->account_id : ev->account_id;
    if (ev->region) {
        long_name = sw_region_long_name(ev->region);
        if (!long_name)
            long_name = ev->region;
    }
    updated = ctx && ctx->config_updated ? ctx->config_updated
                                         : ev->state_change_time;

    sw_json_set_new(alarm, "AlarmName", sw_json_string_repair(ev->alarm_name),
                    &failed);
    sw_json_set_new(alarm, "AlarmDescription",
                    sw_json_string_repair(ev->description), &failed);
    sw_json_set_new(alarm, "AWSAccountId", sw_json_string_repair(account),
                    &failed);
    sw_json_set_new(
        alarm, "AlarmConfigurationUpdatedTimestamp",
        json_string(cw_time_ms(
            updated, ctx && ctx->config_updated ? ctx->config_updated_ms : 0,
            when)),
        &failed);
    sw_json_set_new(alarm, "NewStateValue",
                    json_string(sw_state_name(ev->new_state)), &failed);
    sw_json_set_new(alarm, "NewStateReason",
                    sw_json_string_repair(ev->reason ? ev->reason : ""),
                    &failed);
    sw_json_set_new(alarm, "StateChangeTime",
                    json_string(cw_time_ms(ev->state_change_time, 0, when)),
                    &failed);
    sw_json_set_new(alarm, "Region", sw_json_string_repair(long_name), &failed);
    sw_json_set_new(alarm, "AlarmArn", alarm_arn(ev->region, account, name),
                    &failed);
    sw_json_set_new(alarm, "OldStateValue",
                    json_string(sw_state_name(ev->old_state)), &failed);
    sw_json_set_new(alarm, "OKActions",
                    actions_json(&r->ok_actions, ctx, &failed), &failed);
    sw_json_set_new(alarm, "AlarmActions",
                    actions_json(&r->alarm_actions, ctx, &failed), &failed);
    sw_json_set_new(alarm, "InsufficientDataActions",
                    actions_json(&r->insufficient_data_actions, ctx, &failed),
                    &failed);
    sw_json_set_new(alarm, "Trigger", trigger(r, &failed), &failed);

    sw_json_set_new(sw, "rule", sw_json_string_repair(ev->alarm_name), &failed);
    sw_json_set_new(sw, "stream", sw_json_string_repair(sw_cwrender_stream(r)),
                    &failed);
    /* false for a state change; the reminder's number for a repeat, so
     * sw_notifier_dedup_id() tells reminders apart (and two agents that
     * number them alike send one). */
    sw_json_set_new(sw, "repeat",
                    ev->repeat ? json_integer(ev->repeat) : json_false(),
                    &failed);
    /* The evaluated period, for sw_notifier_dedup_id(): StateChangeTime is
     * the second this agent evaluated, which another agent does not share.
     * Epoch seconds rather than a date text, so the id cannot change with
     * a time format. */
    sw_json_set_new(sw, "window_end",
                    ev->window_end > 0
                        ? json_integer((json_int_t)ev->window_end)
                        : json_null(),
                    &failed);
    sw_json_set_new(sw, "labels", labels_json(r, &failed), &failed);
    sw_json_set_new(sw, "namespace",
                    sw_json_string_repair(sw_cwrender_namespace(r)), &failed);
    sw_json_set_new(sw, "metric",
                    sw_json_string_repair(sw_cwrender_metric_name(r)), &failed);
    sw_json_set_new(sw, "state_reason_data", reason_data_json(ev->reason_data),
                    &failed);
    sw_json_set_new(sw, "console_url", console_url(ev->region, name), &failed);
    sw_json_set_new(sw, "region", sw_json_string_repair(ev->region), &failed);

    sw_json_set_new(rec, "alarm", alarm, &failed);
    alarm = NULL;
    sw_json_set_new(rec, "streamwatch", sw, &failed);
    sw = NULL;
out:
    free(name);
    json_decref(alarm);
    json_decref(sw);
    if (failed) {
        json_decref(rec);
        return NULL;
    }
    return rec;
}

/* ---- reading a record ---- */

const json_t *
sw_message_alarm(const json_t *rec)
{
    const json_t *a = json_object_get(rec, "alarm");

    return json_is_object(a) ? a : NULL;
}

const char *
sw_message_alarm_str(const json_t *rec, const char *key)
{
    return sw_json_str(sw_message_alarm(rec), key);
}

const char *
sw_message_sw_str(const json_t *rec, const char *key)
{
    return sw_json_str(json_object_get(rec, "streamwatch"), key);
}

const json_t *
sw_message_trigger(const json_t *rec)
{
    return json_object_get(sw_message_alarm(rec), "Trigger");
}

int
sw_message_check(const json_t *rec)
{
    const json_t *a = sw_message_alarm(rec);

    if (!a || !sw_json_str(a, "AlarmName") || !sw_json_str(a, "NewStateValue"))
        return SW_EPARSE;
    return 0;
}

int
sw_message_is_repeat(const json_t *rec)
{
    const json_t *v =
        json_object_get(json_object_get(rec, "streamwatch"), "repeat");

    return json_is_true(v) || (json_is_integer(v) && json_integer_value(v));
}

const char *
sw_message_state(const json_t *rec)
{
    const char *s = sw_message_alarm_str(rec, "NewStateValue");

    return s ? s : "UNKNOWN";
}

int
sw_message_change_time(const json_t *rec, time_t *t)
{
    const char *s = sw_message_alarm_str(rec, "StateChangeTime");

    return s ? sw_time_parse_rfc3339(s, t) : SW_EPARSE;
}

int
sw_message_add_number(struct sw_buf *b, const json_t *v)
{
    char num[64];

    if (!json_is_number(v))
        return sw_buf_adds(b, "?");
    if (sw_format_double(num, sizeof(num), json_number_value(v)) < 0)
        return sw_buf_adds(b, "?");
    return sw_buf_adds(b, num);
}

static const char *
cmp_words(const char *op)
{
    static const char *const map[][2] = {
        {"GreaterThanThreshold", "greater than"},
        {"GreaterThanOrEqualToThreshold", "greater than or equal to"},
        {"LessThanThreshold", "less than"},
        {"LessThanOrEqualToThreshold", "less than or equal to"},
    };

    for (size_t i = 0; op && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(op, map[i][0]) == 0)
            return map[i][1];
    return op ? op : "compared with";
}

/* Trigger.Statistic back in the API's spelling ("Sum"). */
const char *
sw_message_stat_words(const json_t *t)
{
    static const char *const map[][2] = {
        {"SUM", "Sum"},
        {"AVERAGE", "Average"},
        {"MINIMUM", "Minimum"},
        {"MAXIMUM", "Maximum"},
        {"SAMPLE_COUNT", "SampleCount"},
    };
    const char *s = sw_json_str(t, "Statistic");

    for (size_t i = 0; s && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(s, map[i][0]) == 0)
            return map[i][1];
    if (s)
        return s;
    return sw_json_str(t, "ExtendedStatistic");
}

int
sw_message_add_what(struct sw_buf *b, const json_t *rec)
{
    const json_t *t = sw_message_trigger(rec);
    const char *ns = sw_message_sw_str(rec, "namespace"),
               *stream = sw_message_sw_str(rec, "stream");
    const char *stat = sw_message_stat_words(t);
    json_int_t m = json_integer_value(json_object_get(t, "DatapointsToAlarm"));
    json_int_t n = json_integer_value(json_object_get(t, "EvaluationPeriods"));
    int math = json_object_get(t, "Metrics") != NULL, r;

    if (math) {
        r = sw_buf_adds(b, "expression \"");
        if (r == 0)
            r = sw_message_add_clean(b, sw_message_sw_str(rec, "metric"));
        if (r == 0)
            r = sw_buf_addc(b, '"');
    } else {
        r = sw_message_add_clean(b, sw_message_sw_str(rec, "metric"));
    }
    if (r == 0 && ns && !math) {
        r = sw_buf_adds(b, " (");
        if (r == 0)
            r = sw_message_add_clean(b, ns);
        if (r == 0)
            r = sw_buf_addc(b, ')');
    }
    if (r == 0 && stream) {
        r = sw_buf_adds(b, " of stream \"");
        if (r == 0)
            r = sw_message_add_clean(b, stream);
        if (r == 0)
            r = sw_buf_addc(b, '"');
    }
    if (r == 0)
        r = sw_buf_adds(b, ": ");
    if (r == 0)
        r = sw_message_add_clean(b, math ? "value" : stat ? stat : "value");
    if (r == 0)
        r = sw_buf_addc(b, ' ');
    if (r == 0)
        r = sw_buf_addf(
            b, "over %lld seconds is ",
            (long long)json_integer_value(json_object_get(t, "Period")));
    if (r == 0)
        r = sw_message_add_clean(
            b, cmp_words(sw_json_str(t, "ComparisonOperator")));
    if (r == 0)
        r = sw_buf_addc(b, ' ');
    if (r == 0)
        r = sw_message_add_number(b, json_object_get(t, "Threshold"));
    if (r == 0) {
        if (m <= 0)
            m = n;
        if (n <= 1)
            r = sw_buf_adds(b, " in the last period");
        else if (m == n)
            r = sw_buf_addf(b, " in each of the last %lld periods",
                            (long long)n);
        else
            r = sw_buf_addf(b, " in %lld of the last %lld periods",
                            (long long)m, (long long)n);
    }
    return r;
}

/* ---- the SNS Message ---- */

/* Each raw byte removed shortens the escaped text by one byte or more,
 * and the mark itself needs no escaping: keeping LEN - EXCESS bytes is
 * enough. */
int
sw_message_shorten(json_t *obj, const char *key, size_t excess)
{
    const char *s = sw_json_str(obj, key);
    struct sw_buf b;
    size_t len;
    int r;

    if (!s)
        return 0;
    len = strlen(s);
    if (len == 0)
        return 0;
    sw_buf_init(&b, TEXT_CAP);
    r = sw_message_add_cut(&b, s, len > excess ? len - excess : 0);
    if (r == 0 && b.len >= len) {
        sw_buf_release(&b);
        return 0;
    }
    if (r == 0)
        r = json_object_set_new(obj, key, json_string(sw_buf_str(&b))) < 0
                ? SW_ENOMEM
                : 1;
    sw_buf_release(&b);
    return r;
}

int
sw_message_alarm_json(const json_t *rec, size_t max_bytes, char **out,
                      size_t *outlen)
{
    static const char *const cuttable[] = {"NewStateReason",
                                           "AlarmDescription"};
    const json_t *alarm = sw_message_alarm(rec);
    json_t *copy = NULL;
    char *text = NULL;
    size_t len;
    int r = SW_ENOMEM;

    *out = NULL;
    if (outlen)
        *outlen = 0;
    if (!alarm)
        return SW_EPARSE;
    text = json_dumps(alarm, SW_MESSAGE_JSON_FLAGS);
    if (!text)
        goto out;
    len = strlen(text);
    for (size_t i = 0; max_bytes > 0 && len > max_bytes; i++) {
        if (i == sizeof(cuttable) / sizeof(cuttable[0])) {
            r = SW_ETOOBIG;
            goto out;
        }
        if (!copy)
            copy = json_deep_copy(alarm);
        if (!copy)
            goto out;
        r = sw_message_shorten(copy, cuttable[i], len - max_bytes);
        if (r < 0)
            goto out;
        if (r == 0)
            continue;
        free(text);
        text = json_dumps(copy, SW_MESSAGE_JSON_FLAGS);
        if (!text) {
            r = SW_ENOMEM;
            goto out;
        }
        len = strlen(text);
    }
    *out = text;
    text = NULL;
    if (outlen)
        *outlen = len;
    r = 0;
out:
    free(text);
    json_decref(copy);
    return r;
}

/* ---- the subject ---- */

static char *
clean_dup(const char *s)
{
    struct sw_buf b;

    sw_buf_init(&b, TEXT_CAP);
    if (sw_message_add_clean(&b, s ? s : "") < 0) {
        sw_buf_release(&b);
        return NULL;
    }
    return sw_buf_steal(&b, NULL);
}

char *
sw_message_subject(const json_t *rec)
{
    const size_t max = SW_MESSAGE_SUBJECT_MAX_CHARS;
    char *state = clean_dup(sw_message_state(rec));
    char *name = clean_dup(sw_message_alarm_str(rec, "AlarmName"));
    const char *rname = sw_message_alarm_str(rec, "Region");
    char *region = rname ? clean_dup(rname) : NULL;
    struct sw_buf b;
    size_t fixed = 0, nlen, nchars, budget;
    char *res = NULL;
    int r;

    sw_buf_init(&b, TEXT_CAP);
    if (!state || !name || (rname && !region))
        goto out;
    nlen = strlen(name);
    nchars = sw_utf8_chars(name, nlen);
    /* STATE: "NAME" in REGION - everything but the name is kept; only a
     * region too long to leave room for a cut name is dropped. */
    for (int pass = 0; pass < 2; pass++) {
        fixed = sw_utf8_chars(state, strlen(state)) + 3 + 1;
        if (region)
            fixed += 4 + sw_utf8_chars(region, strlen(region));
        if (fixed + 4 <= max || !region)
            break;
        free(region);
        region = NULL;
    }
    r = sw_buf_adds(&b, state);
    if (r == 0)
        r = sw_buf_adds(&b, ": \"");
    if (r == 0) {
        if (fixed + nchars <= max) {
            r = sw_buf_add(&b, name, nlen);
        } else {
            budget = fixed + 3 < max ? max - fixed - 3 : 0;
            r = sw_buf_add(&b, name, sw_utf8_prefix_chars(name, nlen, budget));
            if (r == 0)
                r = sw_buf_adds(&b, "...");
        }
    }
    if (r == 0)
        r = sw_buf_addc(&b, '"');
    if (r == 0 && region)
        r = sw_buf_addf(&b, " in %s", region);
    if (r < 0)
        goto out;
    /* Only a state value longer than the whole limit (a forged record)
     * gets here: cut the lot. */
    if (sw_utf8_chars(b.data, b.len) > max) {
        b.len = sw_utf8_prefix_chars(b.data, b.len, max);
        b.data[b.len] = '\0';
    }
    res = sw_buf_steal(&b, NULL);
out:
    sw_buf_release(&b);
    free(state);
    free(name);
    free(region);
    return res;
}
