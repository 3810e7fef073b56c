/* notifiers/am_payload.c - Alertmanager's alert and webhook payload from
 * a notification record; see am_payload.h. */
#include "config.h"

#include "notifiers/am_payload.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/json_util.h"
#include "notifiers/message.h"

#define TEXT_CAP SW_MESSAGE_TEXT_CAP

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
    sw_json_set_new(labels, name, v, failed);
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
    sev = sw_json_str(rl, "severity");
    set_label(labels, "alertname", sw_message_alarm_str(rec, "AlarmName"),
              failed);
    set_label(labels, "stream", sw_message_sw_str(rec, "stream"), failed);
    set_label(labels, "namespace", sw_message_sw_str(rec, "namespace"), failed);
    set_label(labels, "metric", sw_message_sw_str(rec, "metric"), failed);
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
    r = sw_message_add_what(&b, rec);
    sw_json_set_new(a, "summary", buf_json(&b, r), failed);
    if (desc && *desc) {
        r = sw_message_add_clean(&b, desc);
    } else {
        r = sw_message_add_what(&b, rec);
    }
    sw_json_set_new(a, "description", buf_json(&b, r), failed);
    r = sw_message_add_cut(&b, sw_message_alarm_str(rec, "NewStateReason"),
                           SW_MESSAGE_REASON_SHOWN_MAX);
    sw_json_set_new(a, "reason", buf_json(&b, r), failed);
    r = sw_message_add_clean(&b, sw_message_state(rec));
    sw_json_set_new(a, "state", buf_json(&b, r), failed);
    return a;
}

static int
is_firing(const json_t *rec)
{
    return strcmp(sw_message_state(rec), "ALARM") == 0;
}

json_t *
sw_am_payload_alert(const json_t *rec, time_t now, const char *generator_url)
{
    json_t *alert = json_object();
    const char *url = generator_url && *generator_url
                          ? generator_url
                          : sw_message_sw_str(rec, "console_url");
    char when[SW_TIME_BUF];
    time_t start;
    int failed = !alert;

    if (failed)
        goto out;
    sw_json_set_new(alert, "labels", am_labels(rec, &failed), &failed);
    sw_json_set_new(alert, "annotations", am_annotations(rec, &failed),
                    &failed);
    if (sw_message_change_time(rec, &start) < 0)
        start = now;
    sw_json_set_new(alert, "startsAt",
                    json_string(sw_time_rfc3339(start, when)), &failed);
    if (!is_firing(rec))
        sw_json_set_new(
            alert, "endsAt",
            json_string(sw_time_rfc3339(now < start ? start : now, when)),
            &failed);
    if (url && *url)
        sw_json_set_new(alert, "generatorURL", sw_json_string_repair(url),
                        &failed);
out:
    if (failed) {
        json_decref(alert);
        return NULL;
    }
    return alert;
}

void
sw_am_payload_fingerprint(const json_t *labels, char out[17])
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
sw_am_payload_webhook(const json_t *rec, time_t now)
{
    json_t *msg = json_object(), *alerts = json_array();
    json_t *alert = json_object(), *labels, *ann, *group;
    const char *status = is_firing(rec) ? "firing" : "resolved";
    const char *url = sw_message_sw_str(rec, "console_url"), *hash;
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
    if (sw_message_change_time(rec, &start) < 0)
        start = now;
    sw_am_payload_fingerprint(labels, fp);

    /* template.Alert's field order */
    sw_json_set_new(alert, "status", json_string(status), &failed);
    sw_json_set_new(alert, "labels", json_copy(labels), &failed);
    sw_json_set_new(alert, "annotations", json_copy(ann), &failed);
    sw_json_set_new(alert, "startsAt",
                    json_string(sw_time_rfc3339(start, when)), &failed);
    /* Go's zero time.Time is what a firing alert carries */
    sw_json_set_new(
        alert, "endsAt",
        json_string(is_firing(rec)
                        ? "0001-01-01T00:00:00Z"
                        : sw_time_rfc3339(now < start ? start : now, when)),
        &failed);
    sw_json_set_new(alert, "generatorURL",
                    sw_json_string_repair(url ? url : ""), &failed);
    sw_json_set_new(alert, "fingerprint", json_string(fp), &failed);
    sw_json_append_new(alerts, alert, &failed);
    alert = NULL;

    group = json_object();
    if (group)
        set_label(group, "alertname", name, &failed);
    else
        failed = 1;
    sw_json_set_new(msg, "receiver", json_string("streamwatch"), &failed);
    sw_json_set_new(msg, "status", json_string(status), &failed);
    sw_json_set_new(msg, "alerts", alerts, &failed);
    alerts = NULL;
    sw_json_set_new(msg, "groupLabels", group, &failed);
    sw_json_set_new(msg, "commonLabels", labels, &failed);
    sw_json_set_new(msg, "commonAnnotations", ann, &failed);
    /* No Alertmanager to link back to: the region's CloudWatch alarms. */
    hash = url ? strchr(url, '#') : NULL;
    sw_json_set_new(
        msg, "externalURL",
        url ? json_stringn(url, hash ? (size_t)(hash - url) : strlen(url))
            : json_string(""),
        &failed);
    sw_json_set_new(msg, "version", json_string("4"), &failed);
    /* dispatch.aggrGroup's key: route key "{}" and the group labels */
    r = sw_buf_adds(&b, "{}:{");
    if (r == 0 && name) {
        r = sw_buf_adds(&b, "alertname=");
        if (r == 0)
            r = add_go_quoted(&b, name);
    }
    if (r == 0)
        r = sw_buf_addc(&b, '}');
    sw_json_set_new(msg, "groupKey",
                    r == 0 ? sw_json_string_repair(sw_buf_str(&b)) : NULL,
                    &failed);
    sw_json_set_new(msg, "truncatedAlerts", json_integer(0), &failed);
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
