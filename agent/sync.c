/* agent/sync.c - plan and sync rules to CloudWatch alarms; see sync.h. */
#include "config.h"

#include "agent/sync.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "agent/conf.h"
#include "agent/discover.h"
#include "aws/client.h"
#include "aws/cwalarms.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/metric.h"
#include "lib/str.h"
#include "rules/rule.h"

#define TAG_VALUE_MAX 256
#define PLAN_CAP      ((size_t)256 << 20) /* the printed plan */
#define DUMP_FLAGS    (JSON_ENCODE_ANY | JSON_PRESERVE_ORDER | JSON_INDENT(0))

/* ------------------------------------------------------------------ */
/* small JSON helpers                                                  */

static void
set(json_t *o, const char *key, json_t *v, int *failed)
{
    /* _new steals V even when it fails */
    if (!v || json_object_set_new(o, key, v) < 0)
        *failed = 1;
}

static void
append(json_t *a, json_t *v, int *failed)
{
    if (!v || json_array_append_new(a, v) < 0)
        *failed = 1;
}

static const char *
str_member(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* snprintf for text that is only shown: a cut-short line is still
 * a line, so truncation is not an error here. */
static void SW_PRINTF(3, 4) fmt_text(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(out, n, fmt, ap);
    va_end(ap);
}

/* Code points in the UTF-8 string S: tag limits count characters. */
static size_t
utf8_count(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

static int
strv_has(const struct sw_strv *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], s) == 0)
            return 1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* desired state: a rule as a PutMetricAlarm input                     */

static int
is_math(const struct sw_rule *r)
{
    return r->nmetrics > 0 && r->metrics && r->expression;
}

/* The expression's Id: "e1", or the first "eN" no metric of the rule
 * uses (the rule's ids are user-chosen).  The same choice as
 * notifiers/message.c, so Trigger.Metrics and the synced alarm agree. */
static void
expression_id(const struct sw_rule *r, char out[16])
{
    for (int k = 1; k < 1000; k++) {
        int used = 0;

        fmt_text(out, 16, "e%d", k);
        for (size_t i = 0; i < r->nmetrics && !used; i++)
            used = r->metrics[i].id && strcmp(r->metrics[i].id, out) == 0;
        if (!used)
            return;
    }
}

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
        set(o, "Name", json_string(d[i].name), failed);
        set(o, "Value", json_string(d[i].value), failed);
        append(arr, o, failed);
    }
    return arr;
}

/* One action list: SNS notifiers as their topic ARNs, raw ARNs as they
 * are, each ARN once (two notifier names for one topic: CloudWatch would
 * list it once); other notifiers stay local. */
static int
actions_json(const struct sw_conf *c, const struct sw_rule *r,
             const struct sw_strv *sv, json_t **out, struct sw_strv *local_only,
             char *err, size_t errlen)
{
    json_t *arr = json_array();
    int failed = 0;

    *out = NULL;
    if (!arr)
        return SW_ENOMEM;
    for (size_t i = 0; i < sv->n; i++) {
        const char *arn = NULL;
        int dup = 0;

        if (sw_str_has_prefix(sv->v[i], "arn:")) {
            arn = sv->v[i];
        } else {
            const struct sw_notifier_conf *n = sw_conf_notifier(c, sv->v[i]);
            char what[300];

            if (!n) {
                sw_err_set(err, errlen,
                           "alarm '%s': action '%s' names no "
                           "notifier",
                           r->name, sv->v[i]);
                json_decref(arr);
                return SW_EINVAL;
            }
            if (n->type == SW_NOTIFIER_SNS && n->topic_arn) {
                arn = n->topic_arn;
            } else {
                fmt_text(what, sizeof(what), "%s (%s)", n->name,
                         sw_conf_notifier_type_name(n->type));
                if (local_only && !strv_has(local_only, what) &&
                    sw_strv_push(local_only, what) < 0) {
                    json_decref(arr);
                    return SW_ENOMEM;
                }
                continue;
            }
        }
        for (size_t k = 0; k < json_array_size(arr) && !dup; k++)
            dup = strcmp(json_string_value(json_array_get(arr, k)), arn) == 0;
        if (!dup)
            append(arr, json_string(arn), &failed);
    }
    if (failed) {
        json_decref(arr);
        return SW_ENOMEM;
    }
    *out = arr;
    return 0;
}

static json_t *
metrics_json(const struct sw_rule *r, int *failed)
{
    json_t *arr = json_array(), *e;
    char id[16];

    if (!arr) {
        *failed = 1;
        return NULL;
    }
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
        /* MetricDataQuery and MetricStat members in the model's order. */
        set(metric, "Namespace",
            json_string(m->namespace_ ? m->namespace_ : r->namespace_), failed);
        set(metric, "MetricName", json_string(m->metric), failed);
        set(metric, "Dimensions", dims_json(m->dims, m->ndims, failed), failed);
        set(ms, "Metric", metric, failed);
        set(ms, "Period", json_integer(r->period_s), failed);
        set(ms, "Stat", json_string(m->stat), failed);
        if (m->unit)
            set(ms, "Unit", json_string(m->unit), failed);
        set(entry, "Id", json_string(m->id), failed);
        set(entry, "MetricStat", ms, failed);
        set(entry, "ReturnData", json_false(), failed);
        append(arr, entry, failed);
    }
    e = json_object();
    if (e) {
        expression_id(r, id);
        set(e, "Id", json_string(id), failed);
        set(e, "Expression", json_string(r->expression), failed);
        set(e, "Label", json_string(r->expression), failed);
        set(e, "ReturnData", json_true(), failed);
    }
    append(arr, e, failed);
    return arr;
}

static int
tags_json(const struct sw_conf *c, const struct sw_rule *r, json_t **out,
          char *err, size_t errlen)
{
    json_t *arr = json_array();
    int failed = 0;

    *out = NULL;
    if (!arr)
        return SW_ENOMEM;
    if (r->nlabels + 1 > SW_CWA_MAX_TAGS) {
        sw_err_set(err, errlen,
                   "alarm '%s': %zu labels and the owner tag are more than "
                   "the %d tags an alarm holds",
                   r->name, r->nlabels, SW_CWA_MAX_TAGS);
        json_decref(arr);
        return SW_EINVAL;
    }
    for (size_t i = 0; i < r->nlabels; i++) {
        json_t *t;

        if (utf8_count(r->labels[i].value) > TAG_VALUE_MAX) {
            sw_err_set(err, errlen,
                       "alarm '%s': label '%s' is longer than the %d "
                       "characters a CloudWatch tag value holds",
                       r->name, r->labels[i].name, TAG_VALUE_MAX);
            json_decref(arr);
            return SW_EINVAL;
        }
        t = json_object();
        if (!t) {
            failed = 1;
            break;
        }
        set(t, "Key", json_string(r->labels[i].name), &failed);
        set(t, "Value", json_string(r->labels[i].value), &failed);
        append(arr, t, &failed);
    }
    if (!failed) {
        json_t *t = json_object();

        if (t) {
            set(t, "Key", json_string(SW_SYNC_OWNER_TAG), &failed);
            set(t, "Value", json_string(c->sync.owner), &failed);
        }
        append(arr, t, &failed);
    }
    if (failed) {
        json_decref(arr);
        return SW_ENOMEM;
    }
    *out = arr;
    return 0;
}

int
sw_sync_alarm_input(const struct sw_conf *c, const struct sw_rule *r,
                    json_t **out, struct sw_strv *local_only, char *err,
                    size_t errlen)
{
    static const char *const lists[] = {"OKActions", "AlarmActions",
                                        "InsufficientDataActions"};
    const struct sw_strv *svs[] = {&r->ok_actions, &r->alarm_actions,
                                   &r->insufficient_data_actions};
    json_t *o = NULL, *v;
    int failed = 0, rc = SW_ENOMEM;

    if (err && errlen)
        err[0] = '\0';
    *out = NULL;
    if (!c || !r || !r->name || !c->sync.owner) {
        sw_err_set(err, errlen, "no config or rule");
        return SW_EINVAL;
    }
    if (!is_math(r) && (!r->metric || !r->stat)) {
        sw_err_set(err, errlen,
                   "alarm '%s': neither a metric nor metric "
                   "math",
                   r->name);
        return SW_EINVAL;
    }
    o = json_object();
    if (!o)
        goto out;
    set(o, "AlarmName", json_string(r->name), &failed);
    if (r->description)
        set(o, "AlarmDescription", json_string(r->description), &failed);
    set(o, "ActionsEnabled", json_boolean(r->actions_enabled), &failed);
    for (size_t i = 0; i < 3; i++) {
        rc = actions_json(c, r, svs[i], &v, local_only, err, errlen);
        if (rc < 0)
            goto out;
        set(o, lists[i], v, &failed);
    }
    rc = SW_ENOMEM;
    if (!is_math(r)) {
        set(o, "MetricName", json_string(r->metric), &failed);
        set(o, "Namespace", json_string(r->namespace_), &failed);
        /* pNN is an ExtendedStatistic; the two are exclusive. */
        set(o,
            sw_stat_is_percentile(r->stat) ? "ExtendedStatistic" : "Statistic",
            json_string(r->stat), &failed);
        set(o, "Dimensions", dims_json(r->dims, r->ndims, &failed), &failed);
        set(o, "Period", json_integer(r->period_s), &failed);
        if (r->unit)
            set(o, "Unit", json_string(r->unit), &failed);
    }
    set(o, "EvaluationPeriods", json_integer(r->evaluation_periods), &failed);
    set(o, "DatapointsToAlarm", json_integer(r->datapoints_to_alarm), &failed);
    set(o, "Threshold", json_real(r->threshold), &failed);
    set(o, "ComparisonOperator", json_string(sw_cmp_name(r->cmp)), &failed);
    set(o, "TreatMissingData", json_string(sw_tmd_name(r->tmd)), &failed);
    /* CloudWatch documents the low-sample setting for percentile alarms
     * (ExtendedStatistic).  For metric math it stays a local setting. */
    if (!is_math(r) && sw_stat_is_percentile(r->stat))
        set(o, "EvaluateLowSampleCountPercentile",
            json_string(r->low_sample_ignore ? "ignore" : "evaluate"), &failed);
    if (is_math(r))
        set(o, "Metrics", metrics_json(r, &failed), &failed);
    if (failed)
        goto out;
    rc = tags_json(c, r, &v, err, errlen);
    if (rc < 0)
        goto out;
    set(o, "Tags", v, &failed);
    rc = failed ? SW_ENOMEM : 0;
    if (rc == 0) {
        *out = o;
        o = NULL;
    }
out:
    if (rc == SW_ENOMEM)
        sw_err_set(err, errlen, "out of memory");
    json_decref(o);
    return rc;
}

/* ------------------------------------------------------------------ */
/* normalisation                                                       */

/* The members compared, in the model's order (DescribeAlarms xmlOrder),
 * which is also the order of the diff. */
static const char *const compared[] = {
    "AlarmDescription",
    "ActionsEnabled",
    "OKActions",
    "AlarmActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "ThresholdMetricId",
    "Tags",
};

static json_t *
copy_or(const json_t *v, json_t *dflt)
{
    if (v && !json_is_null(v)) {
        json_decref(dflt);
        return json_deep_copy(v);
    }
    return dflt;
}

/* An integer member: 60.0 becomes 60; anything else stays as it is and
 * will differ. */
static json_t *
as_integer(const json_t *v)
{
    if (!v || json_is_null(v))
        return json_null();
    if (json_is_real(v)) {
        double d = json_real_value(v);

        if (d == floor(d) && fabs(d) < 9e15)
            return json_integer((json_int_t)d);
    }
    return json_deep_copy(v);
}

static json_t *
as_real(const json_t *v)
{
    if (!v || json_is_null(v))
        return json_null();
    if (json_is_integer(v))
        return json_real((double)json_integer_value(v));
    return json_deep_copy(v);
}

static int
cmp_json_str(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a),
                  json_string_value(*(json_t *const *)b));
}

static int
cmp_dim(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int c = strcmp(str_member(x, "Name"), str_member(y, "Name"));

    return c ? c : strcmp(str_member(x, "Value"), str_member(y, "Value"));
}

/* A copy of the array V sorted with CMP when every entry passes OK
 * (duplicates dropped when UNIQUE), else a plain copy: a malformed list
 * is not reordered, it simply differs. */
static json_t *
sorted_copy(const json_t *v, int (*ok)(const json_t *),
            int (*cmp)(const void *, const void *), int unique)
{
    size_t n;
    json_t **items, *out;

    if (!v || json_is_null(v))
        return json_array();
    if (!json_is_array(v))
        return json_deep_copy(v);
    n = json_array_size(v);
    for (size_t i = 0; i < n; i++)
        if (!ok(json_array_get(v, i)))
            return json_deep_copy(v);
    items = calloc(n ? n : 1, sizeof(*items));
    if (!items)
        return NULL;
    for (size_t i = 0; i < n; i++)
        items[i] = json_array_get(v, i);
    qsort(items, n, sizeof(*items), cmp);
    out = json_array();
    for (size_t i = 0; out && i < n; i++) {
        if (unique && i > 0 && cmp(&items[i - 1], &items[i]) == 0)
            continue;
        if (json_array_append_new(out, json_deep_copy(items[i])) < 0) {
            json_decref(out);
            out = NULL;
        }
    }
    free(items);
    return out;
}

static int
is_str(const json_t *v)
{
    return json_is_string(v);
}

static int
is_dim(const json_t *v)
{
    return json_is_object(v) && str_member(v, "Name") && str_member(v, "Value");
}

static json_t *
norm_dims(const json_t *v)
{
    json_t *out = sorted_copy(v, is_dim, cmp_dim, 0), *d;
    size_t i;

    /* Only Name and Value take part: a dimension has nothing else. */
    if (!out || !json_is_array(out))
        return out;
    json_array_foreach(out, i, d)
    {
        if (is_dim(d)) {
            json_t *n = json_pack("{sOsO}", "Name", json_object_get(d, "Name"),
                                  "Value", json_object_get(d, "Value"));

            if (!n || json_array_set_new(out, i, n) < 0) {
                json_decref(out);
                return NULL;
            }
        }
    }
    return out;
}

static int
is_standard_stat(const char *s)
{
    static const char *const std[] = {"SampleCount", "Average", "Sum",
                                      "Minimum", "Maximum"};

    for (size_t i = 0; i < sizeof(std) / sizeof(std[0]); i++)
        if (strcmp(s, std[i]) == 0)
            return 1;
    return 0;
}

static json_t *
norm_metric_stat(const json_t *ms, int *failed)
{
    json_t *o, *m;
    const json_t *metric;

    if (!ms || json_is_null(ms))
        return json_null();
    if (!json_is_object(ms))
        return json_deep_copy(ms);
    o = json_object();
    m = json_object();
    if (!o || !m) {
        json_decref(o);
        json_decref(m);
        *failed = 1;
        return NULL;
    }
    metric = json_object_get(ms, "Metric");
    if (json_is_object(metric)) {
        set(m, "Namespace",
            copy_or(json_object_get(metric, "Namespace"), json_null()), failed);
        set(m, "MetricName",
            copy_or(json_object_get(metric, "MetricName"), json_null()),
            failed);
        set(m, "Dimensions", norm_dims(json_object_get(metric, "Dimensions")),
            failed);
        set(o, "Metric", m, failed);
    } else {
        json_decref(m);
        set(o, "Metric", copy_or(metric, json_null()), failed);
    }
    set(o, "Period", as_integer(json_object_get(ms, "Period")), failed);
    set(o, "Stat", copy_or(json_object_get(ms, "Stat"), json_null()), failed);
    set(o, "Unit", copy_or(json_object_get(ms, "Unit"), json_null()), failed);
    return o;
}

static json_t *
norm_metrics(const json_t *v, int *failed)
{
    json_t *out;
    const json_t *e;
    size_t i;

    if (!json_is_array(v))
        return v && !json_is_null(v) ? json_deep_copy(v) : json_array();
    out = json_array();
    if (!out)
        return NULL;
    json_array_foreach(v, i, e)
    {
        json_t *o;
        const json_t *rd;

        if (!json_is_object(e)) {
            append(out, json_deep_copy(e), failed);
            continue;
        }
        o = json_object();
        if (!o) {
            *failed = 1;
            break;
        }
        set(o, "Id", copy_or(json_object_get(e, "Id"), json_null()), failed);
        set(o, "MetricStat",
            norm_metric_stat(json_object_get(e, "MetricStat"), failed), failed);
        set(o, "Expression",
            copy_or(json_object_get(e, "Expression"), json_null()), failed);
        set(o, "Label", copy_or(json_object_get(e, "Label"), json_null()),
            failed);
        /* ReturnData: omitted means true (MetricDataQuery). */
        rd = json_object_get(e, "ReturnData");
        set(o, "ReturnData", copy_or(rd, json_true()), failed);
        set(o, "Period", as_integer(json_object_get(e, "Period")), failed);
        set(o, "AccountId",
            copy_or(json_object_get(e, "AccountId"), json_null()), failed);
        append(out, o, failed);
    }
    return out;
}

/* Tags as an object Key -> Value: from a Tags list [{Key, Value}], or an
 * object already (a normalised alarm). */
static json_t *
norm_tags(const json_t *v)
{
    json_t *out;
    const json_t *t;
    size_t i;

    if (!v || json_is_null(v))
        return json_null();
    if (json_is_object(v))
        return json_deep_copy(v);
    if (!json_is_array(v))
        return json_deep_copy(v);
    out = json_object();
    json_array_foreach(v, i, t)
    {
        const char *k = str_member(t, "Key");
        const json_t *val = json_object_get(t, "Value");

        if (!out)
            break;
        if (!k || !val)
            continue;
        if (json_object_set(out, k, (json_t *)val) < 0) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}

int
sw_sync_normalize(const json_t *alarm, const json_t *tags, json_t **out)
{
    const json_t *metrics, *ext, *v;
    json_t *o;
    int failed = 0, math, pct = 0;

    *out = NULL;
    if (!json_is_object(alarm))
        return SW_EINVAL;
    o = json_object();
    if (!o)
        return SW_ENOMEM;
    metrics = json_object_get(alarm, "Metrics");
    math = json_is_array(metrics) && json_array_size(metrics) > 0;
    set(o, "AlarmName",
        copy_or(json_object_get(alarm, "AlarmName"), json_null()), &failed);
    set(o, "AlarmDescription",
        copy_or(json_object_get(alarm, "AlarmDescription"), json_string("")),
        &failed);
    set(o, "ActionsEnabled",
        copy_or(json_object_get(alarm, "ActionsEnabled"), json_true()),
        &failed);
    set(o, "OKActions",
        sorted_copy(json_object_get(alarm, "OKActions"), is_str, cmp_json_str,
                    1),
        &failed);
    set(o, "AlarmActions",
        sorted_copy(json_object_get(alarm, "AlarmActions"), is_str,
                    cmp_json_str, 1),
        &failed);
    set(o, "InsufficientDataActions",
        sorted_copy(json_object_get(alarm, "InsufficientDataActions"), is_str,
                    cmp_json_str, 1),
        &failed);
    /* Metric math excludes the single-metric members: whatever a reply
     * says about them for a math alarm is not configuration. */
    if (math) {
        set(o, "MetricName", json_null(), &failed);
        set(o, "Namespace", json_null(), &failed);
        set(o, "Statistic", json_null(), &failed);
        set(o, "ExtendedStatistic", json_null(), &failed);
        set(o, "Dimensions", json_array(), &failed);
        set(o, "Period", json_null(), &failed);
        set(o, "Unit", json_null(), &failed);
    } else {
        set(o, "MetricName",
            copy_or(json_object_get(alarm, "MetricName"), json_null()),
            &failed);
        set(o, "Namespace",
            copy_or(json_object_get(alarm, "Namespace"), json_null()), &failed);
        set(o, "Statistic",
            copy_or(json_object_get(alarm, "Statistic"), json_null()), &failed);
        ext = json_object_get(alarm, "ExtendedStatistic");
        set(o, "ExtendedStatistic", copy_or(ext, json_null()), &failed);
        set(o, "Dimensions", norm_dims(json_object_get(alarm, "Dimensions")),
            &failed);
        set(o, "Period", as_integer(json_object_get(alarm, "Period")), &failed);
        set(o, "Unit", copy_or(json_object_get(alarm, "Unit"), json_null()),
            &failed);
        /* A percentile (or other extended) statistic: the low-sample
         * setting applies, and omitted it means "evaluate". */
        pct = json_is_string(ext) && !is_standard_stat(json_string_value(ext));
    }
    set(o, "EvaluationPeriods",
        as_integer(json_object_get(alarm, "EvaluationPeriods")), &failed);
    /* DatapointsToAlarm omitted: CloudWatch uses EvaluationPeriods. */
    v = json_object_get(alarm, "DatapointsToAlarm");
    if (!v || json_is_null(v))
        v = json_object_get(alarm, "EvaluationPeriods");
    set(o, "DatapointsToAlarm", as_integer(v), &failed);
    set(o, "Threshold", as_real(json_object_get(alarm, "Threshold")), &failed);
    set(o, "ComparisonOperator",
        copy_or(json_object_get(alarm, "ComparisonOperator"), json_null()),
        &failed);
    set(o, "TreatMissingData",
        copy_or(json_object_get(alarm, "TreatMissingData"),
                json_string("missing")),
        &failed);
    v = json_object_get(alarm, "EvaluateLowSampleCountPercentile");
    if (pct && (!v || json_is_null(v) ||
                (json_is_string(v) && !*json_string_value(v))))
        set(o, "EvaluateLowSampleCountPercentile", json_string("evaluate"),
            &failed);
    else
        set(o, "EvaluateLowSampleCountPercentile", copy_or(v, json_string("")),
            &failed);
    set(o, "Metrics", math ? norm_metrics(metrics, &failed) : json_array(),
        &failed);
    set(o, "ThresholdMetricId",
        copy_or(json_object_get(alarm, "ThresholdMetricId"), json_null()),
        &failed);
    set(o, "Tags", norm_tags(tags ? tags : json_object_get(alarm, "Tags")),
        &failed);
    if (failed) {
        json_decref(o);
        return SW_ENOMEM;
    }
    *out = o;
    return 0;
}

/* ------------------------------------------------------------------ */
/* the diff                                                            */

/* A value as the plan shows it: reals as CloudWatch prints them
 * ("10.0"), everything else as JSON (strings quoted and escaped, so a
 * hostile name cannot move the cursor). */
static int
fmt_value(const json_t *v, struct sw_buf *b)
{
    char num[64];
    char *s;
    int r;

    if (!v)
        return sw_buf_adds(b, "null");
    if (json_is_real(v) &&
        sw_format_double(num, sizeof(num), json_real_value(v)) >= 0)
        return sw_buf_adds(b, num);
    s = json_dumps(v, DUMP_FLAGS);
    if (!s)
        return SW_ENOMEM;
    r = sw_buf_adds(b, s);
    free(s);
    return r;
}

static int
is_empty(const json_t *v)
{
    return !v || json_is_null(v) ||
           (json_is_string(v) && json_string_length(v) == 0) ||
           (json_is_array(v) && json_array_size(v) == 0);
}

static int
diff_line(struct sw_strv *lines, const char *path, const json_t *d,
          const json_t *a)
{
    struct sw_buf b;
    int r;

    sw_buf_init(&b, (size_t)1 << 20);
    if (is_empty(a) && !is_empty(d)) {
        r = sw_buf_addf(&b, "+ %s: ", path);
        if (r == 0)
            r = fmt_value(d, &b);
    } else if (is_empty(d) && !is_empty(a)) {
        r = sw_buf_addf(&b, "- %s: ", path);
        if (r == 0)
            r = fmt_value(a, &b);
    } else {
        r = sw_buf_addf(&b, "~ %s: ", path);
        if (r == 0)
            r = fmt_value(a, &b);
        if (r == 0)
            r = sw_buf_adds(&b, " -> ");
        if (r == 0)
            r = fmt_value(d, &b);
    }
    /* A value too long to show whole is still a difference. */
    if (r == SW_ETOOBIG)
        r = 0;
    if (r == 0)
        r = sw_strv_push(lines, sw_buf_str(&b));
    sw_buf_release(&b);
    return r < 0 ? r : 1;
}

/* Objects compare member by member (DESIRED's members, then any only
 * ACTUAL has); everything else whole. */
static int
diff_value(struct sw_strv *lines, const char *path, const json_t *d,
           const json_t *a)
{
    const char *key;
    const json_t *v;
    int n = 0, r;

    if (json_equal((json_t *)d, (json_t *)a))
        return 0;
    if (!json_is_object(d) || !json_is_object(a))
        return diff_line(lines, path, d, a);
    json_object_foreach((json_t *)d, key, v)
    {
        char sub[512];

        fmt_text(sub, sizeof(sub), "%s.%s", path, key);
        r = diff_value(lines, sub, v, json_object_get(a, key));
        if (r < 0)
            return r;
        n += r;
    }
    json_object_foreach((json_t *)a, key, v)
    {
        char sub[512];

        if (json_object_get(d, key))
            continue;
        fmt_text(sub, sizeof(sub), "%s.%s", path, key);
        r = diff_value(lines, sub, NULL, v);
        if (r < 0)
            return r;
        n += r;
    }
    return n;
}

int
sw_sync_diff(const json_t *desired, const json_t *actual, struct sw_strv *lines,
             int *tags_differ)
{
    int n = 0, r;

    if (tags_differ)
        *tags_differ = 0;
    for (size_t i = 0; i < sizeof(compared) / sizeof(compared[0]); i++) {
        const char *k = compared[i];
        const json_t *d = json_object_get(desired, k);
        const json_t *a = json_object_get(actual, k);

        if (strcmp(k, "Tags") == 0) {
            const char *key;
            const json_t *v;

            /* Only the tags we set; unknown tags cannot be compared. */
            if (!json_is_object(d) || !json_is_object(a))
                continue;
            json_object_foreach((json_t *)d, key, v)
            {
                const json_t *av = json_object_get(a, key);
                char path[300];

                if (json_equal((json_t *)v, (json_t *)av))
                    continue;
                fmt_text(path, sizeof(path), "Tags.%s", key);
                r = av ? diff_line(lines, path, v, av)
                       : diff_line(lines, path, v, NULL);
                if (r < 0)
                    return r;
                n += r;
                if (tags_differ)
                    *tags_differ = 1;
            }
            continue;
        }
        if (strcmp(k, "Metrics") == 0 && json_is_array(d) && json_is_array(a) &&
            json_array_size(d) == json_array_size(a)) {
            for (size_t e = 0; e < json_array_size(d); e++) {
                char path[64];

                fmt_text(path, sizeof(path), "Metrics[%zu]", e);
                r = diff_value(lines, path, json_array_get(d, e),
                               json_array_get(a, e));
                if (r < 0)
                    return r;
                n += r;
            }
            continue;
        }
        if (json_equal((json_t *)d, (json_t *)a))
            continue;
        r = diff_line(lines, k, d, a);
        if (r < 0)
            return r;
        n += r;
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* the plan                                                            */

static void
change_release(struct sw_sync_change *c)
{
    free(c->name);
    free(c->arn);
    json_decref(c->input);
    sw_strv_release(&c->diff);
}

void
sw_sync_plan_release(struct sw_sync_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nchanges; i++)
        change_release(&p->changes[i]);
    free(p->changes);
    sw_strv_release(&p->conflicts);
    memset(p, 0, sizeof(*p));
}

static int
cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static struct sw_sync_change *
add_change(struct sw_sync_plan *p, enum sw_sync_action action, const char *name)
{
    struct sw_sync_change *v, *c;

    v = realloc(p->changes, (p->nchanges + 1) * sizeof(*v));
    if (!v)
        return NULL;
    p->changes = v;
    c = &v[p->nchanges];
    memset(c, 0, sizeof(*c));
    c->action = action;
    c->name = sw_strdup(name);
    if (!c->name)
        return NULL;
    p->nchanges++;
    return c;
}

/* Why an existing alarm of a wanted name is not ours, for the plan. */
static int
add_conflict(struct sw_sync_plan *p, const char *name, const json_t *tags,
             const char *owner)
{
    const char *who =
        json_is_object(tags) ? str_member(tags, SW_SYNC_OWNER_TAG) : NULL;
    char *esc = NULL, line[1024];
    int r;

    if (who) {
        json_t *s = json_string(who);

        esc = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
        json_decref(s);
        if (!esc)
            return SW_ENOMEM;
    }
    fmt_text(line, sizeof(line),
             "%s: exists in CloudWatch %s%s%s, not %s=\"%s\"; left "
             "alone",
             name, who ? "with tag " SW_SYNC_OWNER_TAG "=" : "", who ? esc : "",
             who ? "" : "without the tag " SW_SYNC_OWNER_TAG, SW_SYNC_OWNER_TAG,
             owner);
    free(esc);
    r = sw_strv_push(&p->conflicts, line);
    return r;
}

static int
is_owned(const json_t *tags, const char *owner)
{
    const char *v =
        json_is_object(tags) ? str_member(tags, SW_SYNC_OWNER_TAG) : NULL;

    return v && strcmp(v, owner) == 0;
}

static json_t *
strip_tags(const json_t *input)
{
    json_t *o = json_deep_copy(input);

    if (o)
        (void)json_object_del(o, "Tags");
    return o;
}

/* A wanted alarm that exists: a conflict when it is not ours, else an
 * update when it differs. */
static int
plan_existing(struct sw_sync_plan *p, const char *name, const json_t *d,
              const json_t *a, const json_t *tags, const char *owner)
{
    const char *arn = str_member(a, "AlarmArn");
    const json_t *t = arn ? json_object_get(tags, arn) : NULL;
    struct sw_strv lines = {NULL, 0};
    json_t *nd = NULL, *na = NULL;
    struct sw_sync_change *c;
    int r, td = 0;

    if (!is_owned(t, owner))
        return add_conflict(p, name, t, owner);
    r = sw_sync_normalize(d, NULL, &nd);
    if (r == 0)
        r = sw_sync_normalize(a, t, &na);
    if (r == 0)
        r = sw_sync_diff(nd, na, &lines, &td);
    if (r <= 0)
        goto out;
    r = SW_ENOMEM;
    c = add_change(p, SW_SYNC_UPDATE, name);
    if (!c)
        goto out;
    c->diff = lines;
    memset(&lines, 0, sizeof(lines));
    c->arn = sw_strdup(arn);
    c->input = json_deep_copy(d);
    if (!c->arn || !c->input)
        goto out;
    c->tag = td;
    /* Only tag lines: TagResource alone, no PutMetricAlarm. */
    for (size_t l = 0; l < c->diff.n; l++)
        if (strncmp(c->diff.v[l] + 2, "Tags.", 5) != 0)
            c->put = 1;
    p->nupdate++;
    r = 0;
out:
    sw_strv_release(&lines);
    json_decref(nd);
    json_decref(na);
    return r;
}

int
sw_sync_plan_compute(const json_t *desired, const json_t *actual,
                     const json_t *tags, const char *owner, int prune,
                     struct sw_sync_plan *out)
{
    json_t *by_name = NULL, *want = NULL;
    const char **names = NULL;
    size_t nd, na, k = 0;
    struct sw_sync_plan p;
    int r = SW_ENOMEM;

    memset(&p, 0, sizeof(p));
    memset(out, 0, sizeof(*out));
    nd = json_array_size(desired);
    na = json_array_size(actual);
    p.ndesired = nd;
    p.nactual = na;
    by_name = json_object();
    want = json_object();
    names = calloc(nd + na + 1, sizeof(*names));
    if (!by_name || !want || !names)
        goto out;
    for (size_t i = 0; i < na; i++) {
        json_t *a = json_array_get(actual, i);
        const char *n = str_member(a, "AlarmName");

        if (n && json_object_set(by_name, n, a) < 0)
            goto out;
    }
    for (size_t i = 0; i < nd; i++) {
        json_t *d = json_array_get(desired, i);
        const char *n = str_member(d, "AlarmName");

        if (!n) {
            r = SW_EINVAL;
            goto out;
        }
        if (json_object_set(want, n, d) < 0)
            goto out;
        names[k++] = n;
    }
    qsort(names, k, sizeof(*names), cmp_cstr);

    /* Creates first, then updates, then deletes, each in name order: the
     * order they are printed and applied in. */
    for (size_t i = 0; i < k; i++) {
        struct sw_sync_change *c;

        if (json_object_get(by_name, names[i]) ||
            (i > 0 && strcmp(names[i - 1], names[i]) == 0))
            continue;
        c = add_change(&p, SW_SYNC_CREATE, names[i]);
        if (!c)
            goto out;
        c->input = json_deep_copy(json_object_get(want, names[i]));
        if (!c->input)
            goto out;
        p.ncreate++;
    }
    for (size_t i = 0; i < k; i++) {
        const json_t *a = json_object_get(by_name, names[i]);

        if (!a || (i > 0 && strcmp(names[i - 1], names[i]) == 0))
            continue;
        r = plan_existing(&p, names[i], json_object_get(want, names[i]), a,
                          tags, owner);
        if (r < 0)
            goto out;
    }
    r = SW_ENOMEM;
    if (prune) {
        size_t m = 0;

        for (size_t i = 0; i < na; i++) {
            json_t *a = json_array_get(actual, i);
            const char *n = str_member(a, "AlarmName");
            const char *arn = str_member(a, "AlarmArn");

            if (!n || !arn || json_object_get(want, n))
                continue;
            if (!is_owned(json_object_get(tags, arn), owner))
                continue;
            names[m++] = n;
        }
        qsort(names, m, sizeof(*names), cmp_cstr);
        for (size_t i = 0; i < m; i++) {
            const json_t *a = json_object_get(by_name, names[i]);
            struct sw_sync_change *c;

            /* A name a sloppy endpoint listed twice is deleted once. */
            if (i > 0 && strcmp(names[i - 1], names[i]) == 0)
                continue;
            c = add_change(&p, SW_SYNC_DELETE, names[i]);
            if (!c)
                goto out;
            c->arn = sw_strdup(str_member(a, "AlarmArn"));
            if (!c->arn)
                goto out;
            p.ndelete++;
        }
    }
    *out = p;
    memset(&p, 0, sizeof(p));
    r = 0;
out:
    sw_sync_plan_release(&p);
    free(names);
    json_decref(by_name);
    json_decref(want);
    return r;
}

int
sw_sync_plan_format(const struct sw_sync_plan *p,
                    const struct sw_strv *local_only, struct sw_buf *out)
{
    int r = 0;

    for (size_t i = 0; r == 0 && i < p->nchanges; i++) {
        const struct sw_sync_change *c = &p->changes[i];

        switch (c->action) {
        case SW_SYNC_CREATE: {
            const char *key;
            const json_t *v;

            r = sw_buf_addf(out, "+ create %s\n", c->name);
            json_object_foreach((json_t *)c->input, key, v)
            {
                if (r < 0)
                    break;
                if (strcmp(key, "AlarmName") == 0)
                    continue;
                r = sw_buf_addf(out, "    + %s: ", key);
                if (r == 0)
                    r = fmt_value(v, out);
                if (r == 0)
                    r = sw_buf_addc(out, '\n');
            }
            break;
        }
        case SW_SYNC_UPDATE:
            r = sw_buf_addf(out, "~ update %s%s\n", c->name,
                            c->put ? "" : " (tags only)");
            for (size_t l = 0; r == 0 && l < c->diff.n; l++)
                r = sw_buf_addf(out, "    %s\n", c->diff.v[l]);
            break;
        case SW_SYNC_DELETE:
            r = sw_buf_addf(out, "- delete %s\n", c->name);
            break;
        }
    }
    if (r == 0 && p->nchanges)
        r = sw_buf_addc(out, '\n');
    if (r == 0 && p->conflicts.n) {
        r = sw_buf_addf(out,
                        "Conflicts: alarms of these names belong to someone "
                        "else and are never touched:\n");
        for (size_t i = 0; r == 0 && i < p->conflicts.n; i++)
            r = sw_buf_addf(out, "! %s\n", p->conflicts.v[i]);
        if (r == 0)
            r = sw_buf_addc(out, '\n');
    }
    if (r == 0 && local_only && local_only->n) {
        r = sw_buf_addf(out, "Local-only notifiers (no CloudWatch "
                             "equivalent; only the agent notifies them):\n");
        for (size_t i = 0; r == 0 && i < local_only->n; i++)
            r = sw_buf_addf(out, "  %s\n", local_only->v[i]);
        if (r == 0)
            r = sw_buf_addc(out, '\n');
    }
    if (r == 0) {
        if (p->nchanges == 0)
            r = sw_buf_adds(out, "No changes.\n");
        else
            r = sw_buf_addf(out,
                            "Plan: %zu to create, %zu to update, %zu to "
                            "delete.\n",
                            p->ncreate, p->nupdate, p->ndelete);
    }
    return r;
}

/* ------------------------------------------------------------------ */
/* the command                                                         */

struct run {
    const char *cmd; /* "plan" or "sync", for messages */
    struct sw_conf *conf;
    struct sw_aws *aws;
    struct sw_cwa_limiter lim;
    json_t *desired;
    json_t *actual;
    json_t *tags; /* ARN -> tags object */
    struct sw_strv local_only;
    struct sw_sync_plan plan;
};

static void
run_release(struct run *x)
{
    sw_sync_plan_release(&x->plan);
    sw_strv_release(&x->local_only);
    json_decref(x->desired);
    json_decref(x->actual);
    json_decref(x->tags);
    sw_aws_free(x->aws);
    sw_conf_free(x->conf);
}

static void
aws_failed(const struct run *x, const char *what, const struct sw_aws_error *e,
           int r)
{
    fprintf(stderr, "streamwatch: %s: %s failed: %s%s%s", x->cmd, what,
            e->code[0] ? e->code : sw_strerror(r), e->message[0] ? ": " : "",
            e->message);
    if (e->attempts > 1)
        fprintf(stderr, " (%d attempts)", e->attempts);
    fputc('\n', stderr);
}

static int
load_conf(struct run *x, const char *path)
{
    struct sw_strv errors = {NULL, 0};
    int r = sw_conf_load(path, &x->conf, &errors);

    for (size_t i = 0; i < errors.n; i++)
        fprintf(stderr, "%s\n", errors.v[i]);
    if (r < 0 && errors.n == 0)
        fprintf(stderr, "%s: %s\n", path, sw_strerror(r));
    sw_strv_release(&errors);
    return r;
}

static int
make_aws(struct run *x, volatile int *cancel)
{
    struct sw_aws_opts o;
    char err[512] = "";
    int r;

    memset(&o, 0, sizeof(o));
    o.region = x->conf->aws.region;
    o.profile = x->conf->aws.profile;
    o.endpoint = x->conf->aws.endpoint;
    o.ca_file = x->conf->aws.ca_file;
    o.connect_timeout_ms = x->conf->aws.connect_timeout_s * 1000L;
    o.request_timeout_ms = x->conf->aws.request_timeout_s * 1000L;
    o.max_attempts = x->conf->aws.max_attempts;
    r = sw_aws_new(&o, &x->aws, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, "streamwatch: %s: aws: %s\n", x->cmd,
                err[0] ? err : sw_strerror(r));
        return r;
    }
    sw_aws_set_cancel_flag(x->aws, cancel);
    return 0;
}

static int
add_desired(struct run *x, const struct sw_rule *r)
{
    json_t *in = NULL;
    char err[512];
    int rc;

    rc = sw_sync_alarm_input(x->conf, r, &in, &x->local_only, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "streamwatch: %s: %s\n", x->cmd,
                err[0] ? err : sw_strerror(rc));
        return rc;
    }
    if (json_array_append_new(x->desired, in) < 0)
        return SW_ENOMEM;
    return 0;
}

static int
any_synced(const struct sw_conf *c)
{
    for (size_t i = 0; i < c->nrules; i++)
        if (c->rules[i]->sync)
            return 1;
    for (size_t i = 0; i < c->ntemplates; i++)
        if (c->templates[i] && c->templates[i]->sync)
            return 1;
    return 0;
}

static int
any_synced_template(const struct sw_conf *c)
{
    for (size_t i = 0; i < c->ntemplates; i++)
        if (c->templates[i] && c->templates[i]->sync)
            return 1;
    return 0;
}

/* The alarms of synced pattern templates: ListStreams now, expanded as
 * the agent expands them (the config's own alarms win a name). */
static int
add_discovered(struct run *x)
{
    const struct sw_conf *c = x->conf;
    struct sw_discover *d = NULL;
    const struct sw_strv *streams = NULL;
    struct sw_rule **dyn = NULL;
    const char **names = NULL;
    size_t ndyn = 0;
    char err[640];
    int r;

    r = sw_discover_new(x->aws, 0, &d);
    if (r < 0)
        goto out;
    r = sw_discover_streams(d, sw_wall_now(), &streams, err, sizeof(err));
    if (r < 0) {
        /* Without the stream list the desired state is unknown, and a
         * plan made without it would delete the discovered alarms. */
        fprintf(stderr, "streamwatch: %s: %s\n", x->cmd, err);
        goto out;
    }
    names = calloc(c->nrules + 1, sizeof(*names));
    if (!names) {
        r = SW_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < c->nrules; i++)
        names[i] = c->rules[i]->name;
    r = sw_discover_expand((const struct sw_rule *const *)c->templates,
                           c->ntemplates, streams, names, c->nrules, &dyn,
                           &ndyn);
    if (r < 0)
        goto out;
    if (r > 0)
        fprintf(stderr,
                "streamwatch: %s: warning: %d alarm%s left out: a name or "
                "dimension would exceed CloudWatch's limits\n",
                x->cmd, r, r == 1 ? "" : "s");
    r = 0;
    for (size_t i = 0; i < ndyn && r == 0; i++) {
        if (!dyn[i]->sync)
            continue;
        if (c->sync.name_prefix &&
            !sw_str_has_prefix(dyn[i]->name, c->sync.name_prefix)) {
            fprintf(stderr,
                    "streamwatch: %s: warning: alarm '%s' (from template "
                    "'%s') left out: its name does not start with "
                    "sync.name_prefix '%s'\n",
                    x->cmd, dyn[i]->name,
                    dyn[i]->template_name ? dyn[i]->template_name : "",
                    c->sync.name_prefix);
            continue;
        }
        r = add_desired(x, dyn[i]);
    }
out:
    free(names);
    sw_discover_rules_free(dyn, ndyn);
    sw_discover_free(d);
    return r;
}

static int
build_desired(struct run *x)
{
    int r;

    x->desired = json_array();
    if (!x->desired)
        return SW_ENOMEM;
    for (size_t i = 0; i < x->conf->nrules; i++) {
        if (!x->conf->rules[i]->sync)
            continue;
        r = add_desired(x, x->conf->rules[i]);
        if (r < 0)
            return r;
    }
    if (any_synced_template(x->conf))
        return add_discovered(x);
    return 0;
}

/* DescribeAlarms, then the tags of every alarm that matters: the wanted
 * names, and with PRUNE every alarm described (they might be ours). */
static int
read_actual(struct run *x, int prune)
{
    struct sw_aws_error e;
    json_t *keep = NULL, *want = NULL;
    const json_t *a;
    size_t i, ncand = 0;
    int r;

    r = sw_cwa_describe_alarms(x->aws, &x->lim, x->conf->sync.name_prefix,
                               &x->actual, &e);
    if (r < 0) {
        aws_failed(x, "DescribeAlarms", &e, r);
        return r;
    }
    x->tags = json_object();
    keep = json_array();
    want = json_object();
    if (!x->tags || !keep || !want) {
        r = SW_ENOMEM;
        goto out;
    }
    json_array_foreach(x->desired, i, a)
    {
        const char *n = str_member(a, "AlarmName");

        if (n && json_object_set_new(want, n, json_true()) < 0) {
            r = SW_ENOMEM;
            goto out;
        }
    }
    json_array_foreach(x->actual, i, a)
    {
        const char *n = str_member(a, "AlarmName");

        if (prune || (n && json_object_get(want, n)))
            ncand++;
    }
    if (ncand > 10)
        sw_log_info(
            "%s: reading the tags of %zu alarms (about %ld s at "
            "the ListTagsForResource rate limit)",
            x->cmd, ncand,
            (long)(ncand *
                   sw_cwa_limiter_interval_ms(&x->lim, SW_CWA_LIST_TAGS) /
                   1000));
    json_array_foreach(x->actual, i, a)
    {
        const char *n = str_member(a, "AlarmName");
        const char *arn = str_member(a, "AlarmArn");
        json_t *t = NULL;

        if (!(prune || (n && json_object_get(want, n)))) {
            if (json_array_append(keep, (json_t *)a) < 0) {
                r = SW_ENOMEM;
                goto out;
            }
            continue;
        }
        r = sw_cwa_list_tags(x->aws, &x->lim, arn, &t, &e);
        if (r == SW_EAWS && (strcmp(e.code, "ResourceNotFoundException") == 0 ||
                             strcmp(e.code, "ResourceNotFound") == 0)) {
            /* Deleted since DescribeAlarms: it is simply not there. */
            continue;
        }
        if (r < 0) {
            char what[400];

            fmt_text(what, sizeof(what), "ListTagsForResource for alarm '%s'",
                     n);
            aws_failed(x, what, &e, r);
            goto out;
        }
        if (json_object_set_new(x->tags, arn, t) < 0 ||
            json_array_append(keep, (json_t *)a) < 0) {
            r = SW_ENOMEM;
            goto out;
        }
    }
    json_decref(x->actual);
    x->actual = keep;
    keep = NULL;
    r = 0;
out:
    json_decref(keep);
    json_decref(want);
    return r;
}

static int
print_plan(struct run *x)
{
    struct sw_buf b;
    int r;

    sw_buf_init(&b, PLAN_CAP);
    r = sw_sync_plan_format(&x->plan, &x->local_only, &b);
    if (r == 0) {
        fputs(sw_buf_str(&b), stdout);
        fflush(stdout);
    }
    sw_buf_release(&b);
    return r;
}

/* "Apply these changes? [y/N]" on the terminal; 1 for yes. */
static int
confirm(void)
{
    char line[64];
    char *s;

    fputs("Apply these changes? [y/N] ", stdout);
    fflush(stdout);
    if (!fgets(line, sizeof(line), stdin))
        return 0;
    s = sw_str_trim(line);
    return strcasecmp(s, "y") == 0 || strcasecmp(s, "yes") == 0;
}

static const char *
verb(const struct sw_sync_change *c)
{
    switch (c->action) {
    case SW_SYNC_CREATE: return "create";
    case SW_SYNC_UPDATE: return "update";
    case SW_SYNC_DELETE: return "delete";
    }
    return "?";
}

static void
report_stop(const struct run *x, size_t done, size_t first_not)
{
    const struct sw_sync_plan *p = &x->plan;

    fprintf(stderr,
            "streamwatch: %s: stopped after %zu of %zu changes; not "
            "applied:\n",
            x->cmd, done, p->nchanges);
    for (size_t i = first_not; i < p->nchanges; i++)
        fprintf(stderr, "  %s %s\n", verb(&p->changes[i]), p->changes[i].name);
    fprintf(stderr,
            "streamwatch: %s: run it again to converge: the plan is "
            "computed afresh from CloudWatch\n",
            x->cmd);
}

static int
apply_plan(struct run *x)
{
    struct sw_sync_plan *p = &x->plan;
    struct sw_aws_error e;
    size_t i = 0, done = 0, created = 0, updated = 0, deleted = 0;
    int r = 0;

    for (; i < p->nchanges && p->changes[i].action != SW_SYNC_DELETE; i++) {
        struct sw_sync_change *c = &p->changes[i];
        char what[400];

        memset(&e, 0, sizeof(e));
        r = 0;
        if (c->action == SW_SYNC_CREATE) {
            r = sw_cwa_put_metric_alarm(x->aws, &x->lim, c->input, &e);
        } else if (c->put) {
            /* Tags on an update are ignored by CloudWatch: TagResource
             * below sets them. */
            json_t *in = strip_tags(c->input);

            r = in ? sw_cwa_put_metric_alarm(x->aws, &x->lim, in, &e)
                   : SW_ENOMEM;
            json_decref(in);
        }
        if (r < 0) {
            fmt_text(what, sizeof(what), "PutMetricAlarm '%s'", c->name);
            goto failed;
        }
        if (c->action == SW_SYNC_UPDATE && c->tag) {
            json_t *tags = norm_tags(json_object_get(c->input, "Tags"));

            r = json_is_object(tags)
                    ? sw_cwa_tag_resource(x->aws, &x->lim, c->arn, tags, &e)
                    : SW_ENOMEM;
            json_decref(tags);
            if (r < 0) {
                fmt_text(what, sizeof(what), "TagResource '%s'", c->name);
                goto failed;
            }
        }
        printf("%s %s\n", c->action == SW_SYNC_CREATE ? "created" : "updated",
               c->name);
        fflush(stdout);
        if (c->action == SW_SYNC_CREATE)
            created++;
        else
            updated++;
        done++;
        continue;
    failed:
        aws_failed(x, what, &e, r);
        report_stop(x, done, i);
        return r;
    }
    /* Deletes in batches of at most 100 names. */
    while (i < p->nchanges) {
        const char *batch[SW_CWA_DELETE_BATCH];
        size_t n = 0, start = i;

        for (; i < p->nchanges && n < SW_CWA_DELETE_BATCH; i++)
            batch[n++] = p->changes[i].name;
        r = sw_cwa_delete_alarms(x->aws, &x->lim, batch, n, &e);
        if (r < 0) {
            char what[64];

            fmt_text(what, sizeof(what), "DeleteAlarms (%zu alarms)", n);
            aws_failed(x, what, &e, r);
            report_stop(x, done, start);
            return r;
        }
        for (size_t k = 0; k < n; k++)
            printf("deleted %s\n", batch[k]);
        fflush(stdout);
        deleted += n;
        done += n;
    }
    printf("Apply complete: %zu created, %zu updated, %zu deleted.\n", created,
           updated, deleted);
    return 0;
}

int
sw_sync_command(const char *conf_path, int apply, int prune, int yes,
                int detailed_exitcode, volatile int *cancel)
{
    struct run x;
    int r, rc = 1;

    memset(&x, 0, sizeof(x));
    x.cmd = apply ? "sync" : "plan";
    sw_cwa_limiter_init(&x.lim);
    x.lim.cancel = cancel;
    /* Refuse before any request: without a terminal nobody can answer
     * the question, and a CI job must say --yes to mean it. */
    if (apply && !yes && !isatty(STDIN_FILENO)) {
        fprintf(stderr,
                "streamwatch: sync: refusing to apply without "
                "confirmation: stdin is not a terminal (review with "
                "'streamwatch plan', then run 'streamwatch sync --yes')\n");
        return 1;
    }
    r = load_conf(&x, conf_path);
    if (r < 0)
        goto out;
    if (!any_synced(x.conf) && !prune) {
        /* Nothing to create or update, and deletes need --prune: no
         * reason to ask AWS anything (nor to need credentials). */
        printf("No rule has sync = true.\nNo changes.\n");
        rc = 0;
        goto out;
    }
    r = make_aws(&x, cancel);
    if (r < 0)
        goto out;
    r = build_desired(&x);
    if (r < 0)
        goto out;
    r = read_actual(&x, prune);
    if (r < 0)
        goto out;
    printf("%zu alarm%s with sync = true; CloudWatch in %s has %zu "
           "alarm%s%s%s%s.\n\n",
           json_array_size(x.desired),
           json_array_size(x.desired) == 1 ? "" : "s", sw_aws_region(x.aws),
           json_array_size(x.actual), json_array_size(x.actual) == 1 ? "" : "s",
           x.conf->sync.name_prefix ? " named '" : "",
           x.conf->sync.name_prefix ? x.conf->sync.name_prefix : "",
           x.conf->sync.name_prefix ? "*'" : "");
    r = sw_sync_plan_compute(x.desired, x.actual, x.tags, x.conf->sync.owner,
                             prune, &x.plan);
    if (r < 0)
        goto out;
    r = print_plan(&x);
    if (r < 0)
        goto out;
    if (!apply) {
        rc = x.plan.nchanges && detailed_exitcode ? 2 : 0;
        goto out;
    }
    if (x.plan.nchanges) {
        if (!yes && !confirm()) {
            fprintf(stderr, "streamwatch: sync: not confirmed; nothing "
                            "applied\n");
            goto out;
        }
        r = apply_plan(&x);
        if (r < 0) {
            rc = 1;
            goto out;
        }
    }
    if (x.plan.conflicts.n) {
        fprintf(stderr,
                "streamwatch: sync: %zu alarm%s of the config left alone: "
                "the name belongs to an alarm that is not ours (see "
                "Conflicts)\n",
                x.plan.conflicts.n, x.plan.conflicts.n == 1 ? "" : "s");
        goto out;
    }
    rc = 0;
out:
    if (r == SW_ENOMEM)
        fprintf(stderr, "streamwatch: %s: %s\n", x.cmd, sw_strerror(r));
    run_release(&x);
    return rc;
}
