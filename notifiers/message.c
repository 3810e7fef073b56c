/* notifiers/message.c - the notification record and its renderings; see
 * message.h. */
#include "config.h"

#include "notifiers/message.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/endpoint.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/str.h"
#include "rules/rule.h"

/* Every text built here is far smaller; the caps only stop a hostile
 * outbox file from making us allocate without end. */
#define TEXT_CAP ((size_t)4 << 20)
/* Evaluated periods listed in the e-mail; CloudWatch's evaluation range
 * for N <= 30 stays below this. */
#define MAX_VALUES_SHOWN 40
#define TRUNC_MARK       "... [truncated by streamwatch, %zu bytes]"

/* ---- UTF-8 ---- */

/* utf8_seq - the length of the valid UTF-8 sequence at S (N bytes left)
 * and its code point, or 0 for a byte that starts no valid sequence
 * (stray continuation, overlong form, surrogate, above U+10FFFF). */
static size_t
utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
    uint32_t c;
    size_t len;

    if (n == 0)
        return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        c = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        c = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        c = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
        (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
        return 0;
    *cp = c;
    return len;
}

size_t
sw_message_utf8_prefix(const char *s, size_t len, size_t max_bytes)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        uint32_t cp;
        size_t n = utf8_seq(u + i, len - i, &cp);

        if (n == 0)
            n = 1; /* a stray byte is a character of its own */
        if (i + n > max_bytes)
            break;
        i += n;
    }
    return i;
}

/* The characters that must never reach a subject or a text line: C0,
 * DEL, C1 and the two Unicode line breaks (SNS: "no line breaks or
 * control characters"). */
static int
is_ctl(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
           cp == 0x2028 || cp == 0x2029;
}

/* add_clean - append S (N bytes) with control characters as spaces and
 * bytes that are not UTF-8 as U+FFFD. */
static int
add_clean(struct sw_buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    int r = 0;

    while (r == 0 && i < n) {
        uint32_t cp;
        size_t len = utf8_seq(u + i, n - i, &cp);

        if (len == 0) {
            r = sw_buf_add(b, "\xef\xbf\xbd", 3);
            i++;
        } else if (is_ctl(cp)) {
            r = sw_buf_addc(b, ' ');
            i += len;
        } else {
            r = sw_buf_add(b, s + i, len);
            i += len;
        }
    }
    return r;
}

static int
adds_clean(struct sw_buf *b, const char *s)
{
    return s ? add_clean(b, s, strlen(s)) : 0;
}

/* add_cut - append S cleaned, at most MAX bytes of it: a longer S is cut at
 * a character boundary and ends in the truncation mark, the whole still
 * within MAX bytes. */
static int
add_cut(struct sw_buf *b, const char *s, size_t max)
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
        return add_clean(b, s, sw_message_utf8_prefix(s, len, max));
    keep = sw_message_utf8_prefix(s, len, max - (size_t)n);
    if (add_clean(b, s, keep) < 0)
        return SW_ENOMEM;
    return sw_buf_adds(b, mark);
}

/* utf8_repair - a copy of S with U+FFFD for every byte that is not part of
 * a valid sequence.  Returns: new (free()), or NULL. */
static char *
utf8_repair(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), i = 0;
    struct sw_buf b;
    int r = 0;

    sw_buf_init(&b, n * 3 + 1);
    while (r == 0 && i < n) {
        uint32_t cp;
        size_t len = utf8_seq(u + i, n - i, &cp);

        if (len == 0) {
            r = sw_buf_add(&b, "\xef\xbf\xbd", 3);
            i++;
        } else {
            r = sw_buf_add(&b, s + i, len);
            i += len;
        }
    }
    if (r < 0) {
        sw_buf_release(&b);
        return NULL;
    }
    return sw_buf_steal(&b, NULL);
}

/* A JSON string from bytes that need not be UTF-8 (names come from a
 * config file, reasons from our evaluator); NULL becomes JSON null. */
static json_t *
jstr(const char *s)
{
    json_t *v;
    char *fixed;

    if (!s)
        return json_null();
    v = json_string(s);
    if (v)
        return v;
    fixed = utf8_repair(s);
    if (!fixed)
        return NULL;
    v = json_string(fixed);
    free(fixed);
    return v;
}

static void
set(json_t *obj, const char *key, json_t *v, int *failed)
{
    /* _new steals V even when it fails */
    if (!v || json_object_set_new(obj, key, v) < 0)
        *failed = 1;
}

static void
append(json_t *arr, json_t *v, int *failed)
{
    if (!v || json_array_append_new(arr, v) < 0)
        *failed = 1;
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

static const char *const wdays[] = {"Sunday",    "Monday",   "Tuesday",
                                    "Wednesday", "Thursday", "Friday",
                                    "Saturday"};
static const char *const months[] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

/* "Wednesday 26 November, 2025 10:06:41 UTC" as CloudWatch's e-mails
 * write it; day and month names are ours, not the locale's. */
static char *
long_time(time_t t, char out[64])
{
    struct tm tm;

    if (!gmtime_r(&t, &tm) || tm.tm_wday < 0 || tm.tm_wday > 6 ||
        tm.tm_mon < 0 || tm.tm_mon > 11) {
        out[0] = '\0';
        return out;
    }
    (void)snprintf(out, 64, "%s %02d %s, %d %02d:%02d:%02d UTC",
                   wdays[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                   tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return out;
}

/* "2025-11-26 10:06:41 UTC" */
static char *
short_time(time_t t, char out[64])
{
    struct tm tm;

    if (!gmtime_r(&t, &tm)) {
        out[0] = '\0';
        return out;
    }
    (void)snprintf(out, 64, "%04d-%02d-%02d %02d:%02d:%02d UTC",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                   tm.tm_min, tm.tm_sec);
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
        v = jstr(sw_buf_str(&b));
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
    /* The partition follows the region (aws-reference.md section 10.3);
     * an unknown account leaves its field empty, as S3 ARNs do. */
    if (sw_buf_addf(&b, "arn:%s:cloudwatch:%s:%s:alarm:%s",
                    sw_endpoint_partition(region ? region : "")->id,
                    region ? region : "", account ? account : "",
                    name ? name : "") == 0)
        v = jstr(sw_buf_str(&b));
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
            append(arr, jstr(arn), failed);
    }
    return arr;
}

/* CloudWatch's messages use lower-case keys here, value first. */
static json_t *
dims_json(const struct sw_dimension *d, size_t n, int *failed)
{
    json_t *arr = json_array();

    if (!arr) {
        *failed = 1;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();

        if (!o) {
            *failed = 1;
            break;
        }
        set(o, "value", jstr(d[i].value), failed);
        set(o, "name", jstr(d[i].name), failed);
        append(arr, o, failed);
    }
    return arr;
}

static int
is_math(const struct sw_rule *r)
{
    return r->nmetrics > 0 && r->metrics && r->expression;
}

/* The expression's Id: "e1", or the first "eN" no metric of the rule
 * uses (the rule's ids are user-chosen). */
static void
expression_id(const struct sw_rule *r, char out[16])
{
    for (int k = 1; k < 1000; k++) {
        int used = 0;

        (void)snprintf(out, 16, "e%d", k);
        for (size_t i = 0; i < r->nmetrics && !used; i++)
            used = r->metrics[i].id && strcmp(r->metrics[i].id, out) == 0;
        if (!used)
            return;
    }
}

/* Fields common to both Trigger forms, from Period on. */
static void
trigger_tail(json_t *t, const struct sw_rule *r, int *failed)
{
    set(t, "Period", json_integer(r->period_s), failed);
    set(t, "EvaluationPeriods", json_integer(r->evaluation_periods), failed);
    set(t, "DatapointsToAlarm", json_integer(r->datapoints_to_alarm), failed);
    set(t, "ComparisonOperator", json_string(sw_cmp_name(r->cmp)), failed);
    set(t, "Threshold", json_real(r->threshold), failed);
    set(t, "TreatMissingData", json_string(sw_tmd_name(r->tmd)), failed);
    set(t, "EvaluateLowSampleCountPercentile",
        json_string(r->low_sample_ignore ? "ignore" : ""), failed);
}

/* Metric math (section 5.2, and the order of a recorded payload): the
 * settings, then Metrics with each MetricStat (ReturnData false) and the
 * alarmed expression (ReturnData true). */
static json_t *
trigger_math(const struct sw_rule *r, int *failed)
{
    json_t *t = json_object(), *metrics = json_array(), *e;
    char id[16];

    if (!t || !metrics) {
        json_decref(t);
        json_decref(metrics);
        *failed = 1;
        return NULL;
    }
    trigger_tail(t, r, failed);
    for (size_t i = 0; i < r->nmetrics; i++) {
        const struct sw_metric_stat *m = &r->metrics[i];
        json_t *entry = json_object(), *ms = json_object(),
               *metric = json_object();

        if (!entry || !ms || !metric) {
            json_decref(entry);
            json_decref(ms);
            json_decref(metric);
            *failed = 1;
            break;
        }
        set(metric, "Dimensions", dims_json(m->dims, m->ndims, failed), failed);
        set(metric, "MetricName", jstr(m->metric), failed);
        set(metric, "Namespace",
            jstr(m->namespace_ ? m->namespace_ : r->namespace_), failed);
        set(ms, "Metric", metric, failed);
        set(ms, "Period", json_integer(r->period_s), failed);
        set(ms, "Stat", jstr(m->stat), failed);
        if (m->unit)
            set(ms, "Unit", jstr(m->unit), failed);
        set(entry, "Id", jstr(m->id), failed);
        set(entry, "MetricStat", ms, failed);
        set(entry, "ReturnData", json_false(), failed);
        append(metrics, entry, failed);
    }
    e = json_object();
    if (e) {
        expression_id(r, id);
        set(e, "Expression", jstr(r->expression), failed);
        set(e, "Id", json_string(id), failed);
        set(e, "Label", jstr(r->expression), failed);
        set(e, "ReturnData", json_true(), failed);
    }
    append(metrics, e, failed);
    set(t, "Metrics", metrics, failed);
    return t;
}

static json_t *
trigger_single(const struct sw_rule *r, int *failed)
{
    json_t *t = json_object();
    const char *stat;

    if (!t) {
        *failed = 1;
        return NULL;
    }
    set(t, "MetricName", jstr(r->metric), failed);
    set(t, "Namespace", jstr(r->namespace_), failed);
    stat = sw_notifier_cw_statistic(r->stat);
    if (stat) {
        set(t, "StatisticType", json_string("Statistic"), failed);
        set(t, "Statistic", json_string(stat), failed);
    } else {
        set(t, "StatisticType", json_string("ExtendedStatistic"), failed);
        set(t, "ExtendedStatistic", jstr(r->stat), failed);
    }
    set(t, "Unit", jstr(r->unit), failed);
    set(t, "Dimensions", dims_json(r->dims, r->ndims, failed), failed);
    trigger_tail(t, r, failed);
    return t;
}

static const char *
find_dim(const struct sw_dimension *d, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (d[i].name && d[i].value && strcmp(d[i].name, name) == 0)
            return d[i].value;
    return NULL;
}

static const char *
rule_stream(const struct sw_rule *r)
{
    const char *s;

    if (r->stream)
        return r->stream;
    s = find_dim(r->dims, r->ndims, "StreamName");
    for (size_t i = 0; !s && r->metrics && i < r->nmetrics; i++)
        s = find_dim(r->metrics[i].dims, r->metrics[i].ndims, "StreamName");
    return s;
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
        key = utf8_repair(r->labels[i].name);
        if (!key) {
            *failed = 1;
            break;
        }
        set(o, key, jstr(r->labels[i].value ? r->labels[i].value : ""), failed);
        free(key);
    }
    return o;
}

static json_t *
reason_data_json(const char *text)
{
    json_t *v;

    if (!text)
        return json_null();
    v = json_loads(text, 0, NULL);
    if (v && json_is_object(v))
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
    const char *account, *long_name = NULL, *namespace_, *metric;
    char when[SW_TIME_BUF], *name = NULL;
    time_t updated;
    int failed = 0;

    if (!ev || !ev->rule)
        return NULL;
    r = ev->rule;
    /* the ARN and the console link carry the name as AlarmName does */
    name = utf8_repair(ev->alarm_name ? ev->alarm_name : "");
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

    set(alarm, "AlarmName", jstr(ev->alarm_name), &failed);
    set(alarm, "AlarmDescription", jstr(ev->description), &failed);
    set(alarm, "AWSAccountId", jstr(account), &failed);
    set(alarm, "AlarmConfigurationUpdatedTimestamp",
        json_string(cw_time_ms(
            updated, ctx && ctx->config_updated ? ctx->config_updated_ms : 0,
            when)),
        &failed);
    set(alarm, "NewStateValue", json_string(sw_state_name(ev->new_state)),
        &failed);
    set(alarm, "NewStateReason", jstr(ev->reason ? ev->reason : ""), &failed);
    set(alarm, "StateChangeTime",
        json_string(cw_time_ms(ev->state_change_time, 0, when)), &failed);
    set(alarm, "Region", jstr(long_name), &failed);
    set(alarm, "AlarmArn", alarm_arn(ev->region, account, name), &failed);
    set(alarm, "OldStateValue", json_string(sw_state_name(ev->old_state)),
        &failed);
    set(alarm, "OKActions", actions_json(&r->ok_actions, ctx, &failed),
        &failed);
    set(alarm, "AlarmActions", actions_json(&r->alarm_actions, ctx, &failed),
        &failed);
    set(alarm, "InsufficientDataActions",
        actions_json(&r->insufficient_data_actions, ctx, &failed), &failed);
    set(alarm, "Trigger",
        is_math(r) ? trigger_math(r, &failed) : trigger_single(r, &failed),
        &failed);

    namespace_ = r->namespace_;
    if (!namespace_ && is_math(r))
        namespace_ = r->metrics[0].namespace_;
    metric = is_math(r) ? r->expression : r->metric;
    set(sw, "rule", jstr(ev->alarm_name), &failed);
    set(sw, "stream", jstr(rule_stream(r)), &failed);
    /* false for a state change; the reminder's number for a repeat, so
     * sw_notifier_dedup_id() tells reminders apart (and two agents that
     * number them alike send one). */
    set(sw, "repeat", ev->repeat ? json_integer(ev->repeat) : json_false(),
        &failed);
    /* The evaluated period, for sw_notifier_dedup_id(): StateChangeTime is
     * the second this agent evaluated, which another agent does not share.
     * Epoch seconds rather than a date text, so the id cannot change with
     * a time format. */
    set(sw, "window_end",
        ev->window_end > 0 ? json_integer((json_int_t)ev->window_end)
                           : json_null(),
        &failed);
    set(sw, "labels", labels_json(r, &failed), &failed);
    set(sw, "namespace", jstr(namespace_), &failed);
    set(sw, "metric", jstr(metric), &failed);
    set(sw, "state_reason_data", reason_data_json(ev->reason_data), &failed);
    set(sw, "console_url", console_url(ev->region, name), &failed);
    set(sw, "region", jstr(ev->region), &failed);

    set(rec, "alarm", alarm, &failed);
    alarm = NULL;
    set(rec, "streamwatch", sw, &failed);
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

static const json_t *
alarm_of(const json_t *rec)
{
    const json_t *a = json_object_get(rec, "alarm");

    return json_is_object(a) ? a : NULL;
}

static const char *
ostr(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

const char *
sw_message_alarm_str(const json_t *rec, const char *key)
{
    return ostr(alarm_of(rec), key);
}

static const char *
swstr(const json_t *rec, const char *key)
{
    return ostr(json_object_get(rec, "streamwatch"), key);
}

static const json_t *
trigger_of(const json_t *rec)
{
    return json_object_get(alarm_of(rec), "Trigger");
}

int
sw_message_check(const json_t *rec)
{
    const json_t *a = alarm_of(rec);

    if (!a || !ostr(a, "AlarmName") || !ostr(a, "NewStateValue"))
        return SW_EPARSE;
    return 0;
}

static int
is_repeat(const json_t *rec)
{
    const json_t *v =
        json_object_get(json_object_get(rec, "streamwatch"), "repeat");

    return json_is_true(v) || (json_is_integer(v) && json_integer_value(v));
}

static const char *
state_of(const json_t *rec)
{
    const char *s = sw_message_alarm_str(rec, "NewStateValue");

    return s ? s : "UNKNOWN";
}

static int
time_of(const json_t *rec, time_t *t)
{
    const char *s = sw_message_alarm_str(rec, "StateChangeTime");

    return s ? sw_time_parse_rfc3339(s, t) : SW_EPARSE;
}

/* A number as CloudWatch's texts print it ("100.0", "12.5"). */
static int
add_num(struct sw_buf *b, const json_t *v)
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
static const char *
stat_words(const json_t *t)
{
    static const char *const map[][2] = {
        {"SUM", "Sum"},
        {"AVERAGE", "Average"},
        {"MINIMUM", "Minimum"},
        {"MAXIMUM", "Maximum"},
        {"SAMPLE_COUNT", "SampleCount"},
    };
    const char *s = ostr(t, "Statistic");

    for (size_t i = 0; s && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(s, map[i][0]) == 0)
            return map[i][1];
    if (s)
        return s;
    return ostr(t, "ExtendedStatistic");
}

static int
add_dims(struct sw_buf *b, const json_t *dims)
{
    size_t i;
    const json_t *d;
    int r = sw_buf_addc(b, '[');

    json_array_foreach(dims, i, d)
    {
        if (r == 0 && i > 0)
            r = sw_buf_adds(b, ", ");
        if (r == 0)
            r = adds_clean(b, ostr(d, "name"));
        if (r == 0)
            r = sw_buf_adds(b, " = ");
        if (r == 0)
            r = adds_clean(b, ostr(d, "value"));
    }
    if (r == 0)
        r = sw_buf_addc(b, ']');
    return r;
}

/* "IncomingRecords (AWS/Kinesis) of stream "orders": Sum over 60 seconds
 * is less than 100.0 in 3 of the last 5 periods" - the sentence every
 * rendering uses to say what is watched. */
static int
add_what(struct sw_buf *b, const json_t *rec)
{
    const json_t *t = trigger_of(rec);
    const char *ns = swstr(rec, "namespace"), *stream = swstr(rec, "stream");
    const char *stat = stat_words(t);
    json_int_t m = json_integer_value(json_object_get(t, "DatapointsToAlarm"));
    json_int_t n = json_integer_value(json_object_get(t, "EvaluationPeriods"));
    int math = json_object_get(t, "Metrics") != NULL, r;

    if (math) {
        r = sw_buf_adds(b, "expression \"");
        if (r == 0)
            r = adds_clean(b, swstr(rec, "metric"));
        if (r == 0)
            r = sw_buf_addc(b, '"');
    } else {
        r = adds_clean(b, swstr(rec, "metric"));
    }
    if (r == 0 && ns && !math) {
        r = sw_buf_adds(b, " (");
        if (r == 0)
            r = adds_clean(b, ns);
        if (r == 0)
            r = sw_buf_addc(b, ')');
    }
    if (r == 0 && stream) {
        r = sw_buf_adds(b, " of stream \"");
        if (r == 0)
            r = adds_clean(b, stream);
        if (r == 0)
            r = sw_buf_addc(b, '"');
    }
    if (r == 0)
        r = sw_buf_adds(b, ": ");
    if (r == 0)
        r = adds_clean(b, math ? "value" : stat ? stat : "value");
    if (r == 0)
        r = sw_buf_addc(b, ' ');
    if (r == 0)
        r = sw_buf_addf(
            b, "over %lld seconds is ",
            (long long)json_integer_value(json_object_get(t, "Period")));
    if (r == 0)
        r = adds_clean(b, cmp_words(ostr(t, "ComparisonOperator")));
    if (r == 0)
        r = sw_buf_addc(b, ' ');
    if (r == 0)
        r = add_num(b, json_object_get(t, "Threshold"));
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

/* shorten - cut the string KEY of OBJ so its JSON text is at least
 * EXCESS bytes shorter: each raw byte removed shortens the escaped text
 * by one byte or more, and the mark itself needs no escaping.  Returns 1
 * when changed, 0 when the field cannot help, SW_ENOMEM. */
static int
shorten(json_t *obj, const char *key, size_t excess)
{
    const char *s = ostr(obj, key);
    struct sw_buf b;
    size_t len;
    int r;

    if (!s)
        return 0;
    len = strlen(s);
    if (len == 0)
        return 0;
    sw_buf_init(&b, TEXT_CAP);
    r = add_cut(&b, s, len > excess ? len - excess : 0);
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
    const json_t *alarm = alarm_of(rec);
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
        r = shorten(copy, cuttable[i], len - max_bytes);
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

static size_t
utf8_chars(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, n = 0;

    while (i < len) {
        uint32_t cp;
        size_t l = utf8_seq(u + i, len - i, &cp);

        i += l ? l : 1;
        n++;
    }
    return n;
}

/* The byte length of the first NCHARS characters of S. */
static size_t
utf8_chars_len(const char *s, size_t len, size_t nchars)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    while (i < len && nchars > 0) {
        uint32_t cp;
        size_t l = utf8_seq(u + i, len - i, &cp);

        i += l ? l : 1;
        nchars--;
    }
    return i;
}

static char *
clean_dup(const char *s)
{
    struct sw_buf b;

    sw_buf_init(&b, TEXT_CAP);
    if (adds_clean(&b, s ? s : "") < 0) {
        sw_buf_release(&b);
        return NULL;
    }
    return sw_buf_steal(&b, NULL);
}

char *
sw_message_subject(const json_t *rec)
{
    const size_t max = SW_MESSAGE_SUBJECT_MAX_CHARS;
    char *state = clean_dup(state_of(rec));
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
    nchars = utf8_chars(name, nlen);
    /* STATE: "NAME" in REGION - everything but the name is kept; only a
     * region too long to leave room for a cut name is dropped. */
    for (int pass = 0; pass < 2; pass++) {
        fixed = utf8_chars(state, strlen(state)) + 3 + 1;
        if (region)
            fixed += 4 + utf8_chars(region, strlen(region));
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
            r = sw_buf_add(&b, name, utf8_chars_len(name, nlen, budget));
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
    if (utf8_chars(b.data, b.len) > max) {
        b.len = utf8_chars_len(b.data, b.len, max);
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

/* ---- the e-mail text ---- */

/* fold - copy IN to OUT with every line of more than SW_MESSAGE_LINE_MAX
 * octets broken after its last space in the allowed part (or, without a
 * usable space, at a character boundary). */
static int
fold(const char *in, size_t len, struct sw_buf *out)
{
    size_t i = 0;
    int r = 0;

    while (r == 0 && i < len) {
        const char *nl = memchr(in + i, '\n', len - i);
        size_t line = nl ? (size_t)(nl - (in + i)) : len - i;

        while (r == 0 && line > SW_MESSAGE_LINE_MAX) {
            size_t cut =
                sw_message_utf8_prefix(in + i, line, SW_MESSAGE_LINE_MAX);
            size_t sp = cut;

            while (sp > cut / 2 && in[i + sp - 1] != ' ')
                sp--;
            if (sp > cut / 2)
                cut = sp;
            if (cut == 0)
                cut = 1; /* cannot happen with valid UTF-8 */
            r = sw_buf_add(out, in + i, cut);
            if (r == 0)
                r = sw_buf_addc(out, '\n');
            i += cut;
            line -= cut;
        }
        if (r == 0)
            r = sw_buf_add(out, in + i, line);
        if (r == 0 && nl)
            r = sw_buf_addc(out, '\n');
        i += line + (nl ? 1 : 0);
    }
    return r;
}

/* A line "- Label:<padding>value" of CloudWatch's "Alarm Details". */
static int
add_detail(struct sw_buf *b, const char *label, int width, const char *value)
{
    int r;

    /* no padding before an empty value: no trailing blanks in the mail */
    if (!value || !*value)
        return sw_buf_addf(b, "- %s\n", label);
    r = sw_buf_addf(b, "- %-*s", width, label);
    if (r == 0)
        r = adds_clean(b, value);
    if (r == 0)
        r = sw_buf_addc(b, '\n');
    return r;
}

static int
add_actions(struct sw_buf *b, const char *label, const json_t *arr)
{
    size_t i;
    const json_t *v;
    int r = sw_buf_addf(b, "- %s:", label);

    if (r == 0 && json_array_size(arr) > 0) {
        r = sw_buf_adds(b, " [");
        json_array_foreach(arr, i, v)
        {
            if (r == 0 && i > 0)
                r = sw_buf_adds(b, ", ");
            if (r == 0)
                r = adds_clean(b, json_string_value(v));
        }
        if (r == 0)
            r = sw_buf_addc(b, ']');
    }
    if (r == 0)
        r = sw_buf_addc(b, '\n');
    return r;
}

/* The evaluated periods of state_reason_data, newest first, each with
 * whether it breaches the threshold. */
static int
add_values(struct sw_buf *b, const json_t *rec)
{
    const json_t *rd = json_object_get(json_object_get(rec, "streamwatch"),
                                       "state_reason_data");
    const json_t *pts = json_object_get(rd, "evaluatedDatapoints");
    const json_t *t = trigger_of(rec), *p;
    const json_t *thr = json_object_get(t, "Threshold");
    const char *op = ostr(t, "ComparisonOperator");
    enum sw_cmp cmp;
    int have_cmp, r;
    size_t i;

    if (!json_is_array(pts) || json_array_size(pts) == 0)
        return 0;
    have_cmp = op && sw_cmp_parse(op, &cmp) == 0 && json_is_number(thr);
    r = sw_buf_adds(b, "\nEvaluated periods (newest first):\n");
    json_array_foreach(pts, i, p)
    {
        const char *ts = ostr(p, "timestamp");
        const json_t *v = json_object_get(p, "value");
        char when[64];
        time_t tt;

        if (r < 0)
            break;
        if (i == MAX_VALUES_SHOWN) {
            r = sw_buf_addf(b, "- ... and %zu more\n",
                            json_array_size(pts) - i);
            break;
        }
        r = sw_buf_adds(b, "- ");
        if (r == 0 && ts && sw_time_parse_rfc3339(ts, &tt) == 0)
            r = sw_buf_adds(b, short_time(tt, when));
        else if (r == 0)
            r = adds_clean(b, ts ? ts : "?");
        if (r == 0 && !json_is_number(v)) {
            r = sw_buf_adds(b, "  no data\n");
            continue;
        }
        if (r == 0)
            r = sw_buf_adds(b, "  ");
        if (r == 0)
            r = add_num(b, v);
        if (r == 0 && have_cmp &&
            sw_cmp_breaches(cmp, json_number_value(v), json_number_value(thr)))
            r = sw_buf_adds(b, "  (breaching)");
        if (r == 0)
            r = sw_buf_addc(b, '\n');
    }
    return r;
}

static int
add_metric_details(struct sw_buf *b, const json_t *t)
{
    const json_t *metrics = json_object_get(t, "Metrics"), *m;
    char num[32];
    size_t i;
    int r;

    (void)snprintf(num, sizeof(num), "%lld seconds",
                   (long long)json_integer_value(json_object_get(t, "Period")));
    if (!metrics) {
        const char *unit = ostr(t, "Unit");
        struct sw_buf dims;

        sw_buf_init(&dims, TEXT_CAP);
        r = add_dims(&dims, json_object_get(t, "Dimensions"));
        if (r == 0)
            r = sw_buf_adds(b, "\nMonitored Metric:\n");
        if (r == 0)
            r = add_detail(b, "MetricNamespace:", 37, ostr(t, "Namespace"));
        if (r == 0)
            r = add_detail(b, "MetricName:", 37, ostr(t, "MetricName"));
        if (r == 0)
            r = add_detail(b, "Dimensions:", 37, sw_buf_str(&dims));
        if (r == 0)
            r = add_detail(b, "Period:", 37, num);
        if (r == 0)
            r = add_detail(b, "Statistic:", 37, stat_words(t));
        if (r == 0)
            r = add_detail(b, "Unit:", 37, unit ? unit : "not specified");
        if (r == 0)
            r = add_detail(b, "TreatMissingData:", 37,
                           ostr(t, "TreatMissingData"));
        sw_buf_release(&dims);
        return r;
    }
    r = sw_buf_adds(b, "\nMonitored Metrics:\n");
    json_array_foreach(metrics, i, m)
    {
        const json_t *ms = json_object_get(m, "MetricStat");
        const json_t *metric = json_object_get(ms, "Metric");

        if (r < 0)
            break;
        r = sw_buf_adds(b, "- ");
        if (r == 0)
            r = adds_clean(b, ostr(m, "Id"));
        if (r == 0)
            r = sw_buf_adds(b, ": ");
        if (r == 0 && ms) {
            r = adds_clean(b, ostr(metric, "Namespace"));
            if (r == 0)
                r = sw_buf_addc(b, ' ');
            if (r == 0)
                r = adds_clean(b, ostr(metric, "MetricName"));
            if (r == 0)
                r = sw_buf_addc(b, ' ');
            if (r == 0)
                r = add_dims(b, json_object_get(metric, "Dimensions"));
            if (r == 0)
                r = sw_buf_addc(b, ' ');
            if (r == 0)
                r = adds_clean(b, ostr(ms, "Stat"));
        } else if (r == 0) {
            r = sw_buf_adds(b, "expression ");
            if (r == 0)
                r = adds_clean(b, ostr(m, "Expression"));
            if (r == 0 && json_is_true(json_object_get(m, "ReturnData")))
                r = sw_buf_adds(b, " (alarmed)");
        }
        if (r == 0)
            r = sw_buf_addc(b, '\n');
    }
    if (r == 0)
        r = add_detail(b, "Period:", 37, num);
    if (r == 0)
        r = add_detail(b, "TreatMissingData:", 37, ostr(t, "TreatMissingData"));
    return r;
}

/* add_json_text - append JSON text with the control characters JSON
 * leaves raw (DEL, C1, U+2028, U+2029) written as \u escapes: they can
 * only occur inside strings, so the text means the same and the mail body
 * holds no control character but the line ends. */
static int
add_json_text(struct sw_buf *b, const char *text)
{
    const unsigned char *u = (const unsigned char *)text;
    size_t n = strlen(text), i = 0;
    int r = 0;

    while (r == 0 && i < n) {
        uint32_t cp;
        size_t len = utf8_seq(u + i, n - i, &cp);

        if (len == 0)
            len = 1; /* jansson writes valid UTF-8; keep the byte anyway */
        else if (cp != '\n' && is_ctl(cp)) {
            r = sw_buf_addf(b, "\\u%04x", (unsigned)cp);
            i += len;
            continue;
        }
        r = sw_buf_add(b, text + i, len);
        i += len;
    }
    return r;
}

/* The alarm JSON for the end of the e-mail: indented for people, with the
 * reason cut as in the text above it (a 300 KB reason would otherwise be
 * one 300 KB line, folded into 300 unreadable ones). */
static int
add_alarm_json(struct sw_buf *b, const json_t *rec)
{
    const json_t *alarm = alarm_of(rec);
    json_t *copy;
    char *text;
    int r;

    if (!alarm)
        return 0;
    copy = json_deep_copy(alarm);
    if (!copy)
        return SW_ENOMEM;
    r = 0;
    {
        const char *s = ostr(copy, "NewStateReason");
        size_t len = s ? strlen(s) : 0;

        if (len > SW_MESSAGE_REASON_SHOWN_MAX)
            r = shorten(copy, "NewStateReason",
                        len - SW_MESSAGE_REASON_SHOWN_MAX);
    }
    if (r < 0) {
        json_decref(copy);
        return r;
    }
    text = json_dumps(copy, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                JSON_REAL_PRECISION(15));
    json_decref(copy);
    if (!text)
        return SW_ENOMEM;
    r = sw_buf_adds(b, "\nAlarm JSON (as CloudWatch publishes it to SNS):\n");
    if (r == 0)
        r = add_json_text(b, text);
    if (r == 0)
        r = sw_buf_addc(b, '\n');
    free(text);
    return r;
}

char *
sw_message_email_text(const json_t *rec)
{
    const json_t *t = trigger_of(rec);
    const char *name = sw_message_alarm_str(rec, "AlarmName");
    const char *region = sw_message_alarm_str(rec, "Region");
    const char *old = sw_message_alarm_str(rec, "OldStateValue");
    const char *state = state_of(rec), *url = swstr(rec, "console_url");
    const char *desc = sw_message_alarm_str(rec, "AlarmDescription");
    const char *acct = sw_message_alarm_str(rec, "AWSAccountId");
    char when_long[64] = "", when_short[64] = "", change[128];
    char *subject = sw_message_subject(rec), *res = NULL;
    struct sw_buf b, folded;
    time_t tt;
    int r;

    sw_buf_init(&b, TEXT_CAP);
    sw_buf_init(&folded, TEXT_CAP);
    if (!subject)
        goto out;
    if (time_of(rec, &tt) == 0) {
        long_time(tt, when_long);
        short_time(tt, when_short);
    } else {
        const char *raw = sw_message_alarm_str(rec, "StateChangeTime");
        sw_strlcpy(when_long, raw ? raw : "an unknown time", sizeof(when_long));
        sw_strlcpy(when_short, when_long, sizeof(when_short));
    }

    r = sw_buf_adds(&b, subject);
    if (r == 0)
        r = sw_buf_adds(&b, "\n\n");
    /* one sentence a person reads first */
    if (r == 0 && is_repeat(rec))
        r = sw_buf_adds(&b, "Reminder: the alarm \"");
    else if (r == 0)
        r = sw_buf_adds(&b, "The alarm \"");
    if (r == 0)
        r = adds_clean(&b, name);
    if (r == 0)
        r = sw_buf_addc(&b, '"');
    if (r == 0 && region) {
        r = sw_buf_adds(&b, " in the ");
        if (r == 0)
            r = adds_clean(&b, region);
        if (r == 0)
            r = sw_buf_adds(&b, " region");
    }
    if (r == 0 && is_repeat(rec)) {
        r = sw_buf_adds(&b, " is still in the ");
        if (r == 0)
            r = adds_clean(&b, state);
        if (r == 0)
            r = sw_buf_addf(&b, " state, since %s.\n", when_long);
    } else if (r == 0) {
        r = sw_buf_adds(&b, " has entered the ");
        if (r == 0)
            r = adds_clean(&b, state);
        if (r == 0 && old) {
            r = sw_buf_adds(&b, " state (from ");
            if (r == 0)
                r = adds_clean(&b, old);
            if (r == 0)
                r = sw_buf_adds(&b, ")");
        } else if (r == 0) {
            r = sw_buf_adds(&b, " state");
        }
        if (r == 0)
            r = sw_buf_addf(&b, " at %s.\n", when_long);
    }

    if (r == 0)
        r = sw_buf_adds(&b, "\nWhat:    ");
    if (r == 0)
        r = add_what(&b, rec);
    if (r == 0)
        r = sw_buf_adds(&b, "\nWhy:     ");
    if (r == 0)
        r = add_cut(&b, sw_message_alarm_str(rec, "NewStateReason"),
                    SW_MESSAGE_REASON_SHOWN_MAX);
    if (r == 0)
        r = sw_buf_addf(&b, "\nSince:   %s\n", when_short);
    if (r == 0 && url) {
        r = sw_buf_adds(&b, "\nView this alarm in the AWS Management "
                            "Console:\n");
        if (r == 0)
            r = adds_clean(&b, url);
        if (r == 0)
            r = sw_buf_addc(&b, '\n');
    }
    if (r == 0)
        r = add_values(&b, rec);

    (void)snprintf(change, sizeof(change), "%.40s -> %.40s", old ? old : "?",
                   state);
    if (r == 0)
        r = sw_buf_adds(&b, "\nAlarm Details:\n");
    if (r == 0)
        r = add_detail(&b, "Name:", 28, name);
    if (r == 0)
        r = add_detail(&b, "Description:", 28, desc ? desc : "");
    if (r == 0)
        r = add_detail(&b, "State Change:", 28, change);
    if (r == 0)
        r = add_detail(&b, "Timestamp:", 28, when_long);
    if (r == 0)
        r = add_detail(&b, "AWS Account:", 28, acct ? acct : "unknown");
    if (r == 0)
        r = add_detail(&b, "Alarm Arn:", 28,
                       sw_message_alarm_str(rec, "AlarmArn"));

    if (r == 0)
        r = sw_buf_adds(&b, "\nThreshold:\n- The alarm is in the ALARM "
                            "state when ");
    if (r == 0)
        r = add_what(&b, rec);
    if (r == 0)
        r = sw_buf_adds(&b, ".\n");
    if (r == 0 && t)
        r = add_metric_details(&b, t);

    if (r == 0)
        r = sw_buf_adds(&b, "\nState Change Actions:\n");
    if (r == 0)
        r = add_actions(&b, "OK", json_object_get(alarm_of(rec), "OKActions"));
    if (r == 0)
        r = add_actions(&b, "ALARM",
                        json_object_get(alarm_of(rec), "AlarmActions"));
    if (r == 0)
        r = add_actions(
            &b, "INSUFFICIENT_DATA",
            json_object_get(alarm_of(rec), "InsufficientDataActions"));
    if (r == 0)
        r = add_alarm_json(&b, rec);
    if (r == 0)
        r = fold(b.data ? b.data : "", b.len, &folded);
    if (r == 0)
        res = sw_buf_steal(&folded, NULL);
out:
    free(subject);
    sw_buf_release(&b);
    sw_buf_release(&folded);
    return res;
}

/* ---- Alertmanager ---- */

static int
valid_label_name(const char *s)
{
    if (!s || !*s || strncmp(s, "__", 2) == 0)
        return 0;
    for (const char *p = s; *p; p++) {
        int alpha =
            (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_';
        if (!alpha && (p == s || !(*p >= '0' && *p <= '9')))
            return 0;
    }
    return 1;
}

static void
set_label(json_t *labels, const char *name, const char *value, int *failed)
{
    json_t *v;

    /* An empty label value means "no such label" to Prometheus. */
    if (!value || !*value)
        return;
    v = json_string(value);
    set(labels, name, v, failed);
}

static json_t *
am_labels(const json_t *rec, int *failed)
{
    json_t *labels = json_object();
    const json_t *rl =
        json_object_get(json_object_get(rec, "streamwatch"), "labels");
    const char *key, *sev;
    const json_t *v;

    if (!labels) {
        *failed = 1;
        return NULL;
    }
    sev = ostr(rl, "severity");
    set_label(labels, "alertname", sw_message_alarm_str(rec, "AlarmName"),
              failed);
    set_label(labels, "stream", swstr(rec, "stream"), failed);
    set_label(labels, "namespace", swstr(rec, "namespace"), failed);
    set_label(labels, "metric", swstr(rec, "metric"), failed);
    set_label(labels, "severity", sev && *sev ? sev : "warning", failed);
    json_object_foreach((json_t *)rl, key, v)
    {
        if (!valid_label_name(key) || strcmp(key, "alertname") == 0 ||
            !json_is_string(v))
            continue;
        if (!*json_string_value(v))
            json_object_del(labels, key);
        else
            set_label(labels, key, json_string_value(v), failed);
    }
    return labels;
}

static json_t *
buf_json(struct sw_buf *b, int r)
{
    json_t *v = r == 0 ? json_string(sw_buf_str(b)) : NULL;

    sw_buf_release(b);
    return v;
}

static json_t *
am_annotations(const json_t *rec, int *failed)
{
    json_t *a = json_object();
    const char *desc = sw_message_alarm_str(rec, "AlarmDescription");
    struct sw_buf b;
    int r;

    if (!a) {
        *failed = 1;
        return NULL;
    }
    sw_buf_init(&b, TEXT_CAP);
    r = add_what(&b, rec);
    set(a, "summary", buf_json(&b, r), failed);
    if (desc && *desc) {
        r = adds_clean(&b, desc);
    } else {
        r = add_what(&b, rec);
    }
    set(a, "description", buf_json(&b, r), failed);
    r = add_cut(&b, sw_message_alarm_str(rec, "NewStateReason"),
                SW_MESSAGE_REASON_SHOWN_MAX);
    set(a, "reason", buf_json(&b, r), failed);
    r = adds_clean(&b, state_of(rec));
    set(a, "state", buf_json(&b, r), failed);
    return a;
}

static int
is_firing(const json_t *rec)
{
    return strcmp(state_of(rec), "ALARM") == 0;
}

json_t *
sw_message_alertmanager(const json_t *rec, time_t now,
                        const char *generator_url)
{
    json_t *alert = json_object();
    const char *url = generator_url && *generator_url
                          ? generator_url
                          : swstr(rec, "console_url");
    char when[SW_TIME_BUF];
    time_t start;
    int failed = !alert;

    if (failed)
        goto out;
    set(alert, "labels", am_labels(rec, &failed), &failed);
    set(alert, "annotations", am_annotations(rec, &failed), &failed);
    if (time_of(rec, &start) < 0)
        start = now;
    set(alert, "startsAt", json_string(sw_time_rfc3339(start, when)), &failed);
    if (!is_firing(rec))
        set(alert, "endsAt",
            json_string(sw_time_rfc3339(now < start ? start : now, when)),
            &failed);
    if (url && *url)
        set(alert, "generatorURL", jstr(url), &failed);
out:
    if (failed) {
        json_decref(alert);
        return NULL;
    }
    return alert;
}

void
sw_message_fingerprint(const json_t *labels, char out[17])
{
    const char **names = NULL;
    size_t n = 0, cap = json_object_size(labels);
    uint64_t h = 14695981039346656037ULL; /* FNV-1a 64 offset basis */
    const char *key;
    const json_t *v;

    if (cap > 0)
        names = calloc(cap, sizeof(*names));
    json_object_foreach((json_t *)labels, key, v)
    {
        if (names && json_is_string(v) && n < cap)
            names[n++] = key;
    }
    /* insertion sort: a few labels, byte order as Go's sort.Strings */
    for (size_t i = 1; i < n; i++) {
        const char *k = names[i];
        size_t j = i;

        while (j > 0 && strcmp(names[j - 1], k) > 0) {
            names[j] = names[j - 1];
            j--;
        }
        names[j] = k;
    }
    for (size_t i = 0; i < n; i++) {
        const char *parts[2] = {
            names[i], json_string_value(json_object_get(labels, names[i]))};

        for (int k = 0; k < 2; k++) {
            for (const unsigned char *p = (const unsigned char *)parts[k]; *p;
                 p++) {
                h ^= *p;
                h *= 1099511628211ULL;
            }
            h ^= 0xff; /* model.SeparatorByte */
            h *= 1099511628211ULL;
        }
    }
    free(names);
    (void)snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* Go's %q of S, as model.LabelSet.String() writes label values. */
static int
add_go_quoted(struct sw_buf *b, const char *s)
{
    int r = sw_buf_addc(b, '"');

    for (const unsigned char *p = (const unsigned char *)s; r == 0 && *p; p++) {
        switch (*p) {
        case '"': r = sw_buf_adds(b, "\\\""); break;
        case '\\': r = sw_buf_adds(b, "\\\\"); break;
        case '\n': r = sw_buf_adds(b, "\\n"); break;
        case '\r': r = sw_buf_adds(b, "\\r"); break;
        case '\t': r = sw_buf_adds(b, "\\t"); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                r = sw_buf_addf(b, "\\x%02x", *p);
            else
                r = sw_buf_addc(b, (char)*p);
        }
    }
    if (r == 0)
        r = sw_buf_addc(b, '"');
    return r;
}

json_t *
sw_message_alertmanager_webhook(const json_t *rec, time_t now)
{
    json_t *msg = json_object(), *alerts = json_array();
    json_t *alert = json_object(), *labels, *ann, *group;
    const char *status = is_firing(rec) ? "firing" : "resolved";
    const char *url = swstr(rec, "console_url"), *hash;
    const char *name = sw_message_alarm_str(rec, "AlarmName");
    char when[SW_TIME_BUF], fp[17];
    struct sw_buf b;
    time_t start;
    int failed = !msg || !alerts || !alert, r;

    sw_buf_init(&b, TEXT_CAP);
    if (failed)
        goto out;
    labels = am_labels(rec, &failed);
    ann = am_annotations(rec, &failed);
    if (failed) {
        json_decref(labels);
        json_decref(ann);
        goto out;
    }
    if (time_of(rec, &start) < 0)
        start = now;
    sw_message_fingerprint(labels, fp);

    /* template.Alert's field order */
    set(alert, "status", json_string(status), &failed);
    set(alert, "labels", json_copy(labels), &failed);
    set(alert, "annotations", json_copy(ann), &failed);
    set(alert, "startsAt", json_string(sw_time_rfc3339(start, when)), &failed);
    /* Go's zero time.Time is what a firing alert carries */
    set(alert, "endsAt",
        json_string(is_firing(rec)
                        ? "0001-01-01T00:00:00Z"
                        : sw_time_rfc3339(now < start ? start : now, when)),
        &failed);
    set(alert, "generatorURL", jstr(url ? url : ""), &failed);
    set(alert, "fingerprint", json_string(fp), &failed);
    append(alerts, alert, &failed);
    alert = NULL;

    group = json_object();
    if (group)
        set_label(group, "alertname", name, &failed);
    else
        failed = 1;
    set(msg, "receiver", json_string("streamwatch"), &failed);
    set(msg, "status", json_string(status), &failed);
    set(msg, "alerts", alerts, &failed);
    alerts = NULL;
    set(msg, "groupLabels", group, &failed);
    set(msg, "commonLabels", labels, &failed);
    set(msg, "commonAnnotations", ann, &failed);
    /* No Alertmanager to link back to: the region's CloudWatch alarms. */
    hash = url ? strchr(url, '#') : NULL;
    set(msg, "externalURL",
        url ? json_stringn(url, hash ? (size_t)(hash - url) : strlen(url))
            : json_string(""),
        &failed);
    set(msg, "version", json_string("4"), &failed);
    /* dispatch.aggrGroup's key: route key "{}" and the group labels */
    r = sw_buf_adds(&b, "{}:{");
    if (r == 0 && name) {
        r = sw_buf_adds(&b, "alertname=");
        if (r == 0)
            r = add_go_quoted(&b, name);
    }
    if (r == 0)
        r = sw_buf_addc(&b, '}');
    set(msg, "groupKey", r == 0 ? jstr(sw_buf_str(&b)) : NULL, &failed);
    set(msg, "truncatedAlerts", json_integer(0), &failed);
out:
    sw_buf_release(&b);
    json_decref(alert);
    json_decref(alerts);
    if (failed) {
        json_decref(msg);
        return NULL;
    }
    return msg;
}

/* ---- Slack ---- */

/* Slack's mrkdwn: "&", "<" and ">" are the only characters to escape;
 * control characters become spaces as everywhere else. */
static int
add_slack(struct sw_buf *b, const char *s, size_t max)
{
    struct sw_buf tmp;
    int r;

    if (!s)
        return 0;
    sw_buf_init(&tmp, TEXT_CAP);
    r = add_cut(&tmp, s, max);
    for (size_t i = 0; r == 0 && i < tmp.len; i++) {
        switch (tmp.data[i]) {
        case '&': r = sw_buf_adds(b, "&amp;"); break;
        case '<': r = sw_buf_adds(b, "&lt;"); break;
        case '>': r = sw_buf_adds(b, "&gt;"); break;
        default: r = sw_buf_addc(b, tmp.data[i]);
        }
    }
    sw_buf_release(&tmp);
    return r;
}

json_t *
sw_message_slack(const json_t *rec)
{
    const char *state = state_of(rec), *emoji = ":grey_question:";
    const char *region = sw_message_alarm_str(rec, "Region");
    const char *old = sw_message_alarm_str(rec, "OldStateValue");
    const char *url = swstr(rec, "console_url");
    struct sw_buf b, what;
    json_t *obj = NULL;
    int r;

    sw_buf_init(&b, TEXT_CAP);
    sw_buf_init(&what, TEXT_CAP);
    if (strcmp(state, "ALARM") == 0)
        emoji = ":rotating_light:";
    else if (strcmp(state, "OK") == 0)
        emoji = ":white_check_mark:";
    r = sw_buf_addf(&b, "%s *", emoji);
    if (r == 0)
        r = add_slack(&b, state, TEXT_CAP);
    if (r == 0)
        r = sw_buf_adds(&b, "*: \"");
    if (r == 0)
        r = add_slack(&b, sw_message_alarm_str(rec, "AlarmName"), TEXT_CAP);
    if (r == 0)
        r = sw_buf_addc(&b, '"');
    if (r == 0 && region) {
        r = sw_buf_adds(&b, " in ");
        if (r == 0)
            r = add_slack(&b, region, TEXT_CAP);
    }
    if (r == 0 && is_repeat(rec)) {
        r = sw_buf_adds(&b, " (still, reminder)");
    } else if (r == 0 && old) {
        r = sw_buf_adds(&b, " (was ");
        if (r == 0)
            r = add_slack(&b, old, TEXT_CAP);
        if (r == 0)
            r = sw_buf_addc(&b, ')');
    }
    if (r == 0)
        r = add_what(&what, rec);
    if (r == 0)
        r = sw_buf_addc(&b, '\n');
    if (r == 0)
        r = add_slack(&b, sw_buf_str(&what), TEXT_CAP);
    if (r == 0)
        r = sw_buf_adds(&b, "\n>");
    if (r == 0)
        r = add_slack(&b, sw_message_alarm_str(rec, "NewStateReason"),
                      SW_MESSAGE_REASON_SHOWN_MAX);
    if (r == 0 && url) {
        r = sw_buf_adds(&b, "\n<");
        if (r == 0)
            r = add_slack(&b, url, TEXT_CAP);
        if (r == 0)
            r = sw_buf_adds(&b, "|View in the CloudWatch console>");
    }
    if (r == 0) {
        obj = json_object();
        if (obj &&
            json_object_set_new(obj, "text", json_string(sw_buf_str(&b))) < 0) {
            json_decref(obj);
            obj = NULL;
        }
    }
    sw_buf_release(&b);
    sw_buf_release(&what);
    return obj;
}
