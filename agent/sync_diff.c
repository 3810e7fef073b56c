/* agent/sync_diff.c - the desired and the actual alarm normalised and
 * compared field by field; see sync.h and sync_priv.h. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent/sync.h"
#include "agent/sync_priv.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/json_util.h"
#include "lib/str.h"
#include "rules/cwrender.h"

void
sw_sync_fmt_text(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(out, n, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ */
/* normalisation                                                       */

/* The members compared, in the model's order (DescribeAlarms xmlOrder),
 * which is also the order of the diff: the alarm's name and actions,
 * then what rules/cwrender renders (sw_cwrender_api_members[], so a
 * member the rendering gains is compared), then these. */
static const char *const compared_before[] = {
    "AlarmDescription", "ActionsEnabled",          "OKActions",
    "AlarmActions",     "InsufficientDataActions", NULL,
};
static const char *const compared_after[] = {"ThresholdMetricId", "Tags", NULL};

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
    int c = strcmp(sw_json_str(x, "Name"), sw_json_str(y, "Name"));

    return c ? c : strcmp(sw_json_str(x, "Value"), sw_json_str(y, "Value"));
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
    return json_is_object(v) && sw_json_str(v, "Name") &&
           sw_json_str(v, "Value");
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
        sw_json_set_new(
            m, "Namespace",
            copy_or(json_object_get(metric, "Namespace"), json_null()), failed);
        sw_json_set_new(
            m, "MetricName",
            copy_or(json_object_get(metric, "MetricName"), json_null()),
            failed);
        sw_json_set_new(m, "Dimensions",
                        norm_dims(json_object_get(metric, "Dimensions")),
                        failed);
        sw_json_set_new(o, "Metric", m, failed);
    } else {
        json_decref(m);
        sw_json_set_new(o, "Metric", copy_or(metric, json_null()), failed);
    }
    sw_json_set_new(o, "Period", as_integer(json_object_get(ms, "Period")),
                    failed);
    sw_json_set_new(o, "Stat",
                    copy_or(json_object_get(ms, "Stat"), json_null()), failed);
    sw_json_set_new(o, "Unit",
                    copy_or(json_object_get(ms, "Unit"), json_null()), failed);
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
            sw_json_append_new(out, json_deep_copy(e), failed);
            continue;
        }
        o = json_object();
        if (!o) {
            *failed = 1;
            break;
        }
        sw_json_set_new(o, "Id", copy_or(json_object_get(e, "Id"), json_null()),
                        failed);
        sw_json_set_new(
            o, "MetricStat",
            norm_metric_stat(json_object_get(e, "MetricStat"), failed), failed);
        sw_json_set_new(o, "Expression",
                        copy_or(json_object_get(e, "Expression"), json_null()),
                        failed);
        sw_json_set_new(o, "Label",
                        copy_or(json_object_get(e, "Label"), json_null()),
                        failed);
        /* ReturnData: omitted means true (MetricDataQuery). */
        rd = json_object_get(e, "ReturnData");
        sw_json_set_new(o, "ReturnData", copy_or(rd, json_true()), failed);
        sw_json_set_new(o, "Period", as_integer(json_object_get(e, "Period")),
                        failed);
        sw_json_set_new(o, "AccountId",
                        copy_or(json_object_get(e, "AccountId"), json_null()),
                        failed);
        sw_json_append_new(out, o, failed);
    }
    return out;
}

json_t *
sw_sync_tags_object(const json_t *v)
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
        const char *k = sw_json_str(t, "Key");
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
    sw_json_set_new(o, "AlarmName",
                    copy_or(json_object_get(alarm, "AlarmName"), json_null()),
                    &failed);
    sw_json_set_new(
        o, "AlarmDescription",
        copy_or(json_object_get(alarm, "AlarmDescription"), json_string("")),
        &failed);
    sw_json_set_new(
        o, "ActionsEnabled",
        copy_or(json_object_get(alarm, "ActionsEnabled"), json_true()),
        &failed);
    sw_json_set_new(o, "OKActions",
                    sorted_copy(json_object_get(alarm, "OKActions"), is_str,
                                cmp_json_str, 1),
                    &failed);
    sw_json_set_new(o, "AlarmActions",
                    sorted_copy(json_object_get(alarm, "AlarmActions"), is_str,
                                cmp_json_str, 1),
                    &failed);
    sw_json_set_new(
        o, "InsufficientDataActions",
        sorted_copy(json_object_get(alarm, "InsufficientDataActions"), is_str,
                    cmp_json_str, 1),
        &failed);
    /* Metric math excludes the single-metric members: whatever a reply
     * says about them for a math alarm is not configuration. */
    if (math) {
        for (size_t i = 0; i < SW_CWRENDER_API_METRIC_MEMBERS; i++) {
            const char *k = sw_cwrender_api_members[i];

            sw_json_set_new(
                o, k, strcmp(k, "Dimensions") == 0 ? json_array() : json_null(),
                &failed);
        }
    } else {
        sw_json_set_new(
            o, "MetricName",
            copy_or(json_object_get(alarm, "MetricName"), json_null()),
            &failed);
        sw_json_set_new(
            o, "Namespace",
            copy_or(json_object_get(alarm, "Namespace"), json_null()), &failed);
        sw_json_set_new(
            o, "Statistic",
            copy_or(json_object_get(alarm, "Statistic"), json_null()), &failed);
        ext = json_object_get(alarm, "ExtendedStatistic");
        sw_json_set_new(o, "ExtendedStatistic", copy_or(ext, json_null()),
                        &failed);
        sw_json_set_new(o, "Dimensions",
                        norm_dims(json_object_get(alarm, "Dimensions")),
                        &failed);
        sw_json_set_new(o, "Period",
                        as_integer(json_object_get(alarm, "Period")), &failed);
        sw_json_set_new(o, "Unit",
                        copy_or(json_object_get(alarm, "Unit"), json_null()),
                        &failed);
        /* A percentile (or other extended) statistic: the low-sample
         * setting applies, and omitted it means "evaluate". */
        pct = json_is_string(ext) &&
              !sw_cwrender_statistic(json_string_value(ext), SW_CWRENDER_API);
    }
    sw_json_set_new(o, "EvaluationPeriods",
                    as_integer(json_object_get(alarm, "EvaluationPeriods")),
                    &failed);
    /* DatapointsToAlarm omitted: CloudWatch uses EvaluationPeriods. */
    v = json_object_get(alarm, "DatapointsToAlarm");
    if (!v || json_is_null(v))
        v = json_object_get(alarm, "EvaluationPeriods");
    sw_json_set_new(o, "DatapointsToAlarm", as_integer(v), &failed);
    sw_json_set_new(o, "Threshold",
                    as_real(json_object_get(alarm, "Threshold")), &failed);
    sw_json_set_new(
        o, "ComparisonOperator",
        copy_or(json_object_get(alarm, "ComparisonOperator"), json_null()),
        &failed);
    sw_json_set_new(o, "TreatMissingData",
                    copy_or(json_object_get(alarm, "TreatMissingData"),
                            json_string("missing")),
                    &failed);
    v = json_object_get(alarm, "EvaluateLowSampleCountPercentile");
    if (pct && (!v || json_is_null(v) ||
                (json_is_string(v) && !*json_string_value(v))))
        sw_json_set_new(o, "EvaluateLowSampleCountPercentile",
                        json_string("evaluate"), &failed);
    else
        sw_json_set_new(o, "EvaluateLowSampleCountPercentile",
                        copy_or(v, json_string("")), &failed);
    sw_json_set_new(o, "Metrics",
                    math ? norm_metrics(metrics, &failed) : json_array(),
                    &failed);
    sw_json_set_new(
        o, "ThresholdMetricId",
        copy_or(json_object_get(alarm, "ThresholdMetricId"), json_null()),
        &failed);
    sw_json_set_new(
        o, "Tags",
        sw_sync_tags_object(tags ? tags : json_object_get(alarm, "Tags")),
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

int
sw_sync_fmt_value(const json_t *v, struct sw_buf *b)
{
    char num[64];
    char *s;
    int r;

    if (!v)
        return sw_buf_adds(b, "null");
    if (json_is_real(v) &&
        sw_format_double(num, sizeof(num), json_real_value(v)) >= 0)
        return sw_buf_adds(b, num);
    s = json_dumps(v, SW_SYNC_DUMP_FLAGS);
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
            r = sw_sync_fmt_value(d, &b);
    } else if (is_empty(d) && !is_empty(a)) {
        r = sw_buf_addf(&b, "- %s: ", path);
        if (r == 0)
            r = sw_sync_fmt_value(a, &b);
    } else {
        r = sw_buf_addf(&b, "~ %s: ", path);
        if (r == 0)
            r = sw_sync_fmt_value(a, &b);
        if (r == 0)
            r = sw_buf_adds(&b, " -> ");
        if (r == 0)
            r = sw_sync_fmt_value(d, &b);
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

        sw_sync_fmt_text(sub, sizeof(sub), "%s.%s", path, key);
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
        sw_sync_fmt_text(sub, sizeof(sub), "%s.%s", path, key);
        r = diff_value(lines, sub, NULL, v);
        if (r < 0)
            return r;
        n += r;
    }
    return n;
}

/* diff_member - the lines for the compared member K. */
static int
diff_member(const json_t *desired, const json_t *actual, const char *k,
            struct sw_strv *lines, int *tags_differ)
{
    const json_t *d = json_object_get(desired, k);
    const json_t *a = json_object_get(actual, k);
    int n = 0, r;

    if (strcmp(k, "Tags") == 0) {
        const char *key;
        const json_t *v;

        /* Only the tags we set; unknown tags cannot be compared. */
        if (!json_is_object(d) || !json_is_object(a))
            return 0;
        json_object_foreach((json_t *)d, key, v)
        {
            const json_t *av = json_object_get(a, key);
            char path[300];

            if (json_equal((json_t *)v, (json_t *)av))
                continue;
            sw_sync_fmt_text(path, sizeof(path), "Tags.%s", key);
            r = av ? diff_line(lines, path, v, av)
                   : diff_line(lines, path, v, NULL);
            if (r < 0)
                return r;
            n += r;
            if (tags_differ)
                *tags_differ = 1;
        }
        return n;
    }
    if (strcmp(k, "Metrics") == 0 && json_is_array(d) && json_is_array(a) &&
        json_array_size(d) == json_array_size(a)) {
        for (size_t e = 0; e < json_array_size(d); e++) {
            char path[64];

            sw_sync_fmt_text(path, sizeof(path), "Metrics[%zu]", e);
            r = diff_value(lines, path, json_array_get(d, e),
                           json_array_get(a, e));
            if (r < 0)
                return r;
            n += r;
        }
        return n;
    }
    if (json_equal((json_t *)d, (json_t *)a))
        return 0;
    return diff_line(lines, k, d, a);
}

int
sw_sync_diff(const json_t *desired, const json_t *actual, struct sw_strv *lines,
             int *tags_differ)
{
    const char *const *lists[] = {compared_before, sw_cwrender_api_members,
                                  compared_after};
    int n = 0, r;

    if (tags_differ)
        *tags_differ = 0;
    for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
        for (size_t i = 0; lists[l][i]; i++) {
            r = diff_member(desired, actual, lists[l][i], lines, tags_differ);
            if (r < 0)
                return r;
            n += r;
        }
    }
    return n;
}
