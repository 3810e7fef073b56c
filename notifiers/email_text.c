/* notifiers/email_text.c - the plain-text body of an alarm e-mail; see
 * email_text.h. */
#include "config.h"

#include "notifiers/email_text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/json_util.h"
#include "lib/str.h"
#include "lib/utf8.h"
#include "notifiers/message.h"
#include "rules/rule.h"

#define TEXT_CAP SW_MESSAGE_TEXT_CAP
/* Evaluated periods listed; CloudWatch's evaluation range for N <= 30
 * stays below this. */
#define MAX_VALUES_SHOWN 40

/* ---- time ---- */

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

/* ---- the text ---- */

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
            r = sw_message_add_clean(b, sw_json_str(d, "name"));
        if (r == 0)
            r = sw_buf_adds(b, " = ");
        if (r == 0)
            r = sw_message_add_clean(b, sw_json_str(d, "value"));
    }
    if (r == 0)
        r = sw_buf_addc(b, ']');
    return r;
}

/* fold - copy IN to OUT with every line of more than SW_EMAIL_TEXT_LINE_MAX
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

        while (r == 0 && line > SW_EMAIL_TEXT_LINE_MAX) {
            size_t cut = sw_utf8_prefix(in + i, line, SW_EMAIL_TEXT_LINE_MAX);
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
        r = sw_message_add_clean(b, value);
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
                r = sw_message_add_clean(b, json_string_value(v));
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
    const json_t *t = sw_message_trigger(rec), *p;
    const json_t *thr = json_object_get(t, "Threshold");
    const char *op = sw_json_str(t, "ComparisonOperator");
    enum sw_cmp cmp;
    int have_cmp, r;
    size_t i;

    if (!json_is_array(pts) || json_array_size(pts) == 0)
        return 0;
    have_cmp = op && sw_cmp_parse(op, &cmp) == 0 && json_is_number(thr);
    r = sw_buf_adds(b, "\nEvaluated periods (newest first):\n");
    json_array_foreach(pts, i, p)
    {
        const char *ts = sw_json_str(p, "timestamp");
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
            r = sw_message_add_clean(b, ts ? ts : "?");
        if (r == 0 && !json_is_number(v)) {
            r = sw_buf_adds(b, "  no data\n");
            continue;
        }
        if (r == 0)
            r = sw_buf_adds(b, "  ");
        if (r == 0)
            r = sw_message_add_number(b, v);
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
        const char *unit = sw_json_str(t, "Unit");
        struct sw_buf dims;

        sw_buf_init(&dims, TEXT_CAP);
        r = add_dims(&dims, json_object_get(t, "Dimensions"));
        if (r == 0)
            r = sw_buf_adds(b, "\nMonitored Metric:\n");
        if (r == 0)
            r = add_detail(b, "MetricNamespace:", 37,
                           sw_json_str(t, "Namespace"));
        if (r == 0)
            r = add_detail(b, "MetricName:", 37, sw_json_str(t, "MetricName"));
        if (r == 0)
            r = add_detail(b, "Dimensions:", 37, sw_buf_str(&dims));
        if (r == 0)
            r = add_detail(b, "Period:", 37, num);
        if (r == 0)
            r = add_detail(b, "Statistic:", 37, sw_message_stat_words(t));
        if (r == 0)
            r = add_detail(b, "Unit:", 37, unit ? unit : "not specified");
        if (r == 0)
            r = add_detail(b, "TreatMissingData:", 37,
                           sw_json_str(t, "TreatMissingData"));
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
            r = sw_message_add_clean(b, sw_json_str(m, "Id"));
        if (r == 0)
            r = sw_buf_adds(b, ": ");
        if (r == 0 && ms) {
            r = sw_message_add_clean(b, sw_json_str(metric, "Namespace"));
            if (r == 0)
                r = sw_buf_addc(b, ' ');
            if (r == 0)
                r = sw_message_add_clean(b, sw_json_str(metric, "MetricName"));
            if (r == 0)
                r = sw_buf_addc(b, ' ');
            if (r == 0)
                r = add_dims(b, json_object_get(metric, "Dimensions"));
            if (r == 0)
                r = sw_buf_addc(b, ' ');
            if (r == 0)
                r = sw_message_add_clean(b, sw_json_str(ms, "Stat"));
        } else if (r == 0) {
            r = sw_buf_adds(b, "expression ");
            if (r == 0)
                r = sw_message_add_clean(b, sw_json_str(m, "Expression"));
            if (r == 0 && json_is_true(json_object_get(m, "ReturnData")))
                r = sw_buf_adds(b, " (alarmed)");
        }
        if (r == 0)
            r = sw_buf_addc(b, '\n');
    }
    if (r == 0)
        r = add_detail(b, "Period:", 37, num);
    if (r == 0)
        r = add_detail(b, "TreatMissingData:", 37,
                       sw_json_str(t, "TreatMissingData"));
    return r;
}

/* add_json_text - append JSON text with the control characters JSON
 * leaves raw (DEL, C1, U+2028, U+2029) written as \u escapes: they can
 * only occur inside strings, so the text means the same and the mail body
 * holds no control character but the line ends. */
static int
add_json_text(struct sw_buf *b, const char *text)
{
    size_t n = strlen(text), i = 0;
    int r = 0;

    while (r == 0 && i < n) {
        uint32_t cp;
        size_t len = sw_utf8_seq(text + i, n - i, &cp);

        if (len == 0)
            len = 1; /* jansson writes valid UTF-8; keep the byte anyway */
        else if (cp != '\n' && sw_message_is_ctl(cp)) {
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
    const json_t *alarm = sw_message_alarm(rec);
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
        const char *s = sw_json_str(copy, "NewStateReason");
        size_t len = s ? strlen(s) : 0;

        if (len > SW_MESSAGE_REASON_SHOWN_MAX)
            r = sw_message_shorten(copy, "NewStateReason",
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
sw_email_text(const json_t *rec)
{
    const json_t *t = sw_message_trigger(rec);
    const char *name = sw_message_alarm_str(rec, "AlarmName");
    const char *region = sw_message_alarm_str(rec, "Region");
    const char *old = sw_message_alarm_str(rec, "OldStateValue");
    const char *state = sw_message_state(rec),
               *url = sw_message_sw_str(rec, "console_url");
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
    if (sw_message_change_time(rec, &tt) == 0) {
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
    if (r == 0 && sw_message_is_repeat(rec))
        r = sw_buf_adds(&b, "Reminder: the alarm \"");
    else if (r == 0)
        r = sw_buf_adds(&b, "The alarm \"");
    if (r == 0)
        r = sw_message_add_clean(&b, name);
    if (r == 0)
        r = sw_buf_addc(&b, '"');
    if (r == 0 && region) {
        r = sw_buf_adds(&b, " in the ");
        if (r == 0)
            r = sw_message_add_clean(&b, region);
        if (r == 0)
            r = sw_buf_adds(&b, " region");
    }
    if (r == 0 && sw_message_is_repeat(rec)) {
        r = sw_buf_adds(&b, " is still in the ");
        if (r == 0)
            r = sw_message_add_clean(&b, state);
        if (r == 0)
            r = sw_buf_addf(&b, " state, since %s.\n", when_long);
    } else if (r == 0) {
        r = sw_buf_adds(&b, " has entered the ");
        if (r == 0)
            r = sw_message_add_clean(&b, state);
        if (r == 0 && old) {
            r = sw_buf_adds(&b, " state (from ");
            if (r == 0)
                r = sw_message_add_clean(&b, old);
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
        r = sw_message_add_what(&b, rec);
    if (r == 0)
        r = sw_buf_adds(&b, "\nWhy:     ");
    if (r == 0)
        r = sw_message_add_cut(&b, sw_message_alarm_str(rec, "NewStateReason"),
                               SW_MESSAGE_REASON_SHOWN_MAX);
    if (r == 0)
        r = sw_buf_addf(&b, "\nSince:   %s\n", when_short);
    if (r == 0 && url) {
        r = sw_buf_adds(&b, "\nView this alarm in the AWS Management "
                            "Console:\n");
        if (r == 0)
            r = sw_message_add_clean(&b, url);
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
        r = sw_message_add_what(&b, rec);
    if (r == 0)
        r = sw_buf_adds(&b, ".\n");
    if (r == 0 && t)
        r = add_metric_details(&b, t);

    if (r == 0)
        r = sw_buf_adds(&b, "\nState Change Actions:\n");
    if (r == 0)
        r = add_actions(&b, "OK",
                        json_object_get(sw_message_alarm(rec), "OKActions"));
    if (r == 0)
        r = add_actions(&b, "ALARM",
                        json_object_get(sw_message_alarm(rec), "AlarmActions"));
    if (r == 0)
        r = add_actions(
            &b, "INSUFFICIENT_DATA",
            json_object_get(sw_message_alarm(rec), "InsufficientDataActions"));
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
