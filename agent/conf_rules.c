/* agent/conf_rules.c - rules and the metrics of metric-math rules; see
 * conf_int.h.
 *
 * A rule's keys depend on each other (a metric-math rule has 'metrics'
 * and 'expression' instead of one metric; M needs N; the period and N
 * together have CloudWatch's limits), so conf_load_rule() reads them one
 * by one in the order of its key table (conf_rule_keys, below), each
 * through the schema's getters, and makes the checks that join them.
 * Templates ('streams') are expanded by conf_templates.c once the rule is
 * valid.
 */
#include "config.h"

#include "agent/conf.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/conf_int.h"
#include "agent/conf_schema.h"
#include "lib/buf.h"
#include "lib/metric.h"
#include "lib/str.h"
#include "rules/expr.h"
#include "rules/rule.h"
#include "rules/template.h"

/* The state of one rule's load, shared with the callbacks of its rows
 * (struct conf_scope's arg, in the rule's scope and its metrics'). */
struct rule_ld {
    struct sw_rule *r;
    int tmpl;         /* the rule has 'streams' */
    int math;         /* metric math: 'metrics' and 'expression' */
    const char *what; /* the rule's scope name, for its metrics' */
    int cur;          /* the metric being read */
    int ids_ok;       /* every metric has a valid, unique id */
    unsigned lines[SW_RULE_MAX_METRICS]; /* where each id was set */
};

static const struct conf_hint rule_later_keys[] = {
    {"threshold_metric_id", "anomaly-detection alarms are not supported"},
    {NULL, NULL},
};

/* StandardUnit, as the CloudWatch API Reference's MetricDatum lists it. */
/* clang-format off */
static const char *const standard_units[] = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes",
    "Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits",
    "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
    "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
    "Gigabits/Second", "Terabits/Second", "Count/Second", "None", NULL};
/* clang-format on */

static const char *const anomaly_ops[] = {
    "LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold",
    "GreaterThanUpperThreshold", NULL};

/* field - where the row K stores into BASE. */
static void *
field(void *base, size_t off)
{
    return (char *)base + off;
}

/* load - the rule key NAME (a row of conf_rule_keys) into R. */
static int
load(struct conf_scope *sc, const char *name, struct sw_rule *r)
{
    return conf_key_load(sc, conf_key_find(conf_rule_keys, name), r);
}

/* ---- alarm names ---- */

int
conf_push_rule(struct conf_ctx *x, struct sw_rule ***v, size_t *n,
               struct sw_rule *r)
{
    struct sw_rule **nv = realloc(*v, (*n + 1) * sizeof(*nv));

    if (!nv) {
        sw_rule_free(r);
        x->oom = 1;
        return SW_ENOMEM;
    }
    *v = nv;
    nv[(*n)++] = r;
    return 0;
}

int
conf_find_rule(const struct conf_ctx *x, const char *name)
{
    for (size_t i = 0; i < x->nrseen; i++)
        if (strcmp(x->rseen[i].name, name) == 0)
            return (int)i;
    return -1;
}

void
conf_note_rule(struct conf_ctx *x, const char *name, const char *file,
               unsigned line, const char *stream)
{
    struct conf_seen *rs = realloc(x->rseen, (x->nrseen + 1) * sizeof(*rs));

    if (!rs) {
        x->oom = 1;
        return;
    }
    x->rseen = rs;
    rs[x->nrseen].name = name;
    rs[x->nrseen].file = file;
    rs[x->nrseen].line = line;
    rs[x->nrseen++].stream = stream;
}

char *
conf_first_defined(struct conf_ctx *x, const struct conf_seen *f,
                   const char *file)
{
    struct sw_buf b;
    char *s = NULL;
    int r;

    sw_buf_init(&b, 64 * 1024);
    if (strcmp(f->file, file) == 0)
        r = sw_buf_addf(&b, "line %u", f->line);
    else
        r = sw_buf_addf(&b, "%s:%u", f->file, f->line);
    if (r == 0 && f->stream)
        r = sw_buf_addf(&b, " for stream '%s'", f->stream);
    if (r == 0)
        s = sw_buf_steal(&b, NULL);
    sw_buf_release(&b);
    if (!s)
        x->oom = 1;
    return s;
}

static int
conf_check_rule_name(struct conf_scope *sc, const struct conf_key *k,
                     const struct conf_value *v, void *base)
{
    struct conf_ctx *x = sc->x;
    const struct rule_ld *ld = sc->arg;
    const char *file = conf_file_of(x, v->s);
    int i = conf_find_rule(x, v->str);

    (void)k;
    (void)base;
    if (i >= 0) {
        char *first = conf_first_defined(x, &x->rseen[i], file);
        if (first)
            conf_report_at(x, file, conf_line_of(v->s),
                           "duplicate %s name '%s' (first defined at %s)",
                           x->rseen[i].stream ? "alarm" : "rule", v->str,
                           first);
        free(first);
    }
    conf_note_rule(x, v->str, file, conf_line_of(v->s), NULL);
    conf_scope_name(sc, "rule '%s'", v->str);
    if (ld->tmpl && !strstr(v->str, SW_STREAM_PLACEHOLDER))
        conf_serr(sc, v->s,
                  "the name of a templated rule must contain {stream}: its "
                  "alarms would all have the same name");
    else if (!ld->tmpl && strstr(v->str, SW_STREAM_PLACEHOLDER))
        conf_serr(sc, v->s,
                  "'name': {stream} is replaced only in templated rules "
                  "(rules with 'streams')");
    return 0;
}

/* ---- the MetricStat keys ---- */

static int
conf_check_namespace(struct conf_scope *sc, const struct conf_key *k,
                     const struct conf_value *v, void *base)
{
    (void)base;
    if (v->str[0] != ':')
        return 0;
    conf_serr(sc, v->s, "'%s' must not start with ':'", k->name);
    return SW_EINVAL;
}

static int
conf_parse_stat(const char *v, int *out)
{
    *out = 0;
    return sw_stat_is_valid(v) ? 0 : SW_EINVAL;
}

static int
conf_parse_unit(const char *v, int *out)
{
    *out = 0;
    return conf_in_list(standard_units, v) ? 0 : SW_EINVAL;
}

/* What sets one kind of NAME = "value" group apart: dimensions, labels. */
struct pair_kind {
    const char *plural; /* "at most 30 dimensions" */
    const char *noun;   /* "dimension 'Name' must be a string" */
    int value_flags;    /* conf_check_text() flags for a value */
    /* NAME's own rules: 0, or SW_EINVAL after reporting at S */
    int (*name_ok)(struct conf_scope *sc, const config_setting_t *s,
                   const char *name);
    /* VAL's rules beyond the text check (NULL: none), as name_ok */
    int (*value_ok)(struct conf_scope *sc, const config_setting_t *s,
                    const char *label, const char *val);
};

/* conf_load_pairs - the group V of NAME = "value" settings into the
 * sw_dimension array of K's fields in BASE (zeroed, one slot spare), at
 * most K->max of them; a bad pair is reported and left out. */
static int
conf_load_pairs(struct conf_scope *sc, const struct conf_key *k,
                const struct conf_value *v, void *base,
                const struct pair_kind *pk)
{
    struct sw_dimension **pairs = field(base, k->off);
    size_t *npairs = field(base, k->off_n);
    int len = config_setting_length(v->s);

    if (len > k->max) {
        conf_serr(sc, v->s, "'%s': at most %ld %s, not %d", k->name, k->max,
                  pk->plural, len);
        return 1;
    }
    *pairs = calloc((size_t)len + 1, sizeof(**pairs));
    if (!*pairs) {
        sc->x->oom = 1;
        return 1;
    }
    for (int i = 0; i < len; i++) {
        const config_setting_t *s = config_setting_get_elem(v->s, i);
        const char *name = config_setting_name(s), *val;
        char label[300];

        if (pk->name_ok(sc, s, name) < 0)
            continue;
        (void)snprintf(label, sizeof(label), "%s '%s'", pk->noun, name);
        if (config_setting_type(s) != CONFIG_TYPE_STRING) {
            conf_serr(sc, s, "%s must be a string", label);
            continue;
        }
        val = config_setting_get_string(s);
        if (!val)
            val = "";
        if (conf_check_text(sc, s, label, val, 1024, pk->value_flags) < 0)
            continue;
        if (pk->value_ok && pk->value_ok(sc, s, label, val) < 0)
            continue;
        (*pairs)[*npairs].name = conf_copy_str(sc->x, name);
        (*pairs)[*npairs].value = conf_copy_str(sc->x, val);
        (*npairs)++;
    }
    return 1;
}

static int
dimension_name_ok(struct conf_scope *sc, const config_setting_t *d,
                  const char *name)
{
    char label[300];

    /* libconfig names cannot start with ':' or hold spaces, but
     * CloudWatch's rules are checked here in case that ever changes. */
    (void)snprintf(label, sizeof(label), "dimension name '%s'", name);
    if (conf_check_text(sc, d, label, name, 255, CK_ASCII | CK_NOBLANK) < 0)
        return SW_EINVAL;
    if (name[0] == ':') {
        conf_serr(sc, d, "%s must not start with ':'", label);
        return SW_EINVAL;
    }
    return 0;
}

static int
dimension_value_ok(struct conf_scope *sc, const config_setting_t *d,
                   const char *label, const char *val)
{
    const struct rule_ld *ld = sc->arg;

    /* Outside a template the placeholder would reach CloudWatch as text
     * and match no metric: an alarm forever short of data. */
    if (!ld->tmpl && strstr(val, SW_STREAM_PLACEHOLDER)) {
        conf_serr(sc, d,
                  "%s: {stream} is replaced only in templated rules "
                  "(rules with 'streams')",
                  label);
        return SW_EINVAL;
    }
    return 0;
}

static const struct pair_kind dimension_pairs = {
    .plural = "dimensions",
    .noun = "dimension",
    .value_flags = CK_ASCII | CK_NOBLANK,
    .name_ok = dimension_name_ok,
    .value_ok = dimension_value_ok,
};

static int
conf_load_dimensions(struct conf_scope *sc, const struct conf_key *k,
                     const struct conf_value *v, void *base)
{
    return conf_load_pairs(sc, k, v, base, &dimension_pairs);
}

/* template_dimensions - a template's alarms watch their own stream unless
 * the group says otherwise: { StreamName = "{stream}"; } when 'dimensions'
 * (the row K) is absent.  An explicit empty group means no dimensions. */
static void
template_dimensions(struct conf_scope *sc, const struct conf_key *k, void *base)
{
    struct sw_dimension **dims = field(base, k->off);
    size_t *ndims = field(base, k->off_n);

    *dims = calloc(1, sizeof(**dims));
    if (!*dims) {
        sc->x->oom = 1;
        return;
    }
    (*dims)[0].name = conf_copy_str(sc->x, "StreamName");
    (*dims)[0].value = conf_copy_str(sc->x, SW_STREAM_PLACEHOLDER);
    *ndims = 1;
}

/* load_metric_stat - the CK_METRIC rows of KEYS (conf_rule_keys for a
 * single-metric rule, conf_metric_keys for one metric of a metric-math
 * rule) into BASE, after their defaults. */
static void
load_metric_stat(struct conf_scope *sc, const struct conf_key *keys, void *base)
{
    const struct rule_ld *ld = sc->arg;

    if (conf_keys_default(keys, CK_METRIC, CK_METRIC, base) < 0) {
        sc->x->oom = 1;
        return;
    }
    for (const struct conf_key *k = keys; k->name; k++)
        if ((k->flags & CK_METRIC) && conf_key_load(sc, k, base) == 0 &&
            k->check == conf_load_dimensions && ld->tmpl)
            template_dimensions(sc, k, base);
}

/* ---- metric math ---- */

/* 1 when S holds only letters, digits and underscores: the rest of a
 * metric id or of an Alertmanager label name. */
static int
is_word(const char *s)
{
    for (; *s; s++)
        if (!(conf_is_alnum(*s) || *s == '_'))
            return 0;
    return 1;
}

/* A MetricDataQuery Id: "must start with a lowercase letter", then
 * letters, digits and underscores (CloudWatch API Reference,
 * MetricDataQuery). */
int
sw_conf_metric_id_ok(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && n <= CONF_MAX_METRIC_ID && *s >= 'a' && *s <= 'z' &&
           is_word(s);
}

static int
conf_check_metric_id(struct conf_scope *sc, const struct conf_key *k,
                     const struct conf_value *v, void *base)
{
    struct rule_ld *ld = sc->arg;
    const struct sw_rule *r = ld->r;

    (void)k;
    (void)base;
    if (!sw_conf_metric_id_ok(v->str)) {
        conf_serr(sc, v->s,
                  "'id' must be a lowercase letter followed by letters, "
                  "digits or '_' (at most %d characters), not '%s'",
                  CONF_MAX_METRIC_ID, v->str);
        return SW_EINVAL;
    }
    for (int j = 0; j < ld->cur; j++) {
        if (r->metrics[j].id && strcmp(r->metrics[j].id, v->str) == 0) {
            conf_serr(sc, v->s,
                      "metric id '%s' is used twice (first at line %u)", v->str,
                      ld->lines[j]);
            return SW_EINVAL;
        }
    }
    ld->lines[ld->cur] = conf_line_of(v->s);
    conf_scope_name(sc, "%s: metric '%s'", ld->what, v->str);
    return 0;
}

static const char *
metric_key_why(const char *key, char *buf, size_t size)
{
    (void)buf;
    (void)size;
    if (strcmp(key, "period") == 0)
        return "all metrics share the rule's period";
    if (conf_key_find(conf_rule_keys, key))
        return "a setting of the rule, not of one metric";
    return NULL;
}

static int
conf_load_metrics(struct conf_scope *sc, const struct conf_key *k,
                  const struct conf_value *v, void *base)
{
    const struct conf_key *const tabs[] = {conf_metric_keys};
    const struct conf_key *id = conf_key_find(conf_metric_keys, "id");
    struct rule_ld *ld = sc->arg;
    struct sw_rule *r = base;
    int len = config_setting_length(v->s);

    (void)k;
    if (len < 1 || len > SW_RULE_MAX_METRICS) {
        conf_serr(sc, v->s,
                  "'metrics' must list 1 to %d metrics (CloudWatch's limit "
                  "for a metric-math alarm), not %d",
                  SW_RULE_MAX_METRICS, len);
        return 1;
    }
    r->metrics = calloc((size_t)len, sizeof(*r->metrics));
    if (!r->metrics) {
        sc->x->oom = 1;
        return 1;
    }
    /* Every entry counts from here: sw_rule_free() takes the partial ones
     * of a rule with errors. */
    r->nmetrics = (size_t)len;
    ld->what = sc->what;
    ld->ids_ok = 1;
    for (int i = 0; i < len; i++) {
        const config_setting_t *e = config_setting_get_elem(v->s, i);
        struct sw_metric_stat *m = &r->metrics[i];
        struct conf_scope ms;

        if (!config_setting_is_group(e)) {
            conf_serr(sc, e,
                      "metric #%d must be a group: { id = \"w\"; metric = "
                      "\"...\"; statistic = \"Sum\"; }",
                      i + 1);
            ld->ids_ok = 0;
            continue;
        }
        conf_scope_init(&ms, sc->x, e, "");
        ms.arg = ld;
        conf_scope_name(&ms, "%s: metric #%d", sc->what, i + 1);
        ld->cur = i;
        if (conf_key_load(&ms, id, m) != 1)
            ld->ids_ok = 0;
        (void)conf_check_keys(&ms, tabs, 1, NULL, metric_key_why);
        load_metric_stat(&ms, conf_metric_keys, m);
    }
    return 1;
}

/* check_shards_stream - SHARDS is the open shard count of the rule's
 * stream (agent/shards), so the rule must have exactly one: a template's
 * own, or the one StreamName its metrics' dimensions name. */
static void
check_shards_stream(struct conf_scope *sc, const config_setting_t *at,
                    const struct rule_ld *ld, const struct sw_rule *r)
{
    const char *first = NULL;

    if (ld->tmpl)
        return;
    for (size_t i = 0; i < r->nmetrics; i++) {
        const struct sw_metric_stat *m = &r->metrics[i];

        for (size_t j = 0; m->dims && j < m->ndims; j++) {
            const char *v = m->dims[j].value;

            if (!m->dims[j].name || !v ||
                strcmp(m->dims[j].name, "StreamName") != 0)
                continue;
            if (!first) {
                first = v;
            } else if (strcmp(first, v) != 0) {
                conf_serr(sc, at,
                          "expression: SHARDS is the shard count of the "
                          "rule's stream, and its metrics name two: '%s' "
                          "and '%s'",
                          first, v);
                return;
            }
        }
    }
    if (!first)
        conf_serr(sc, at,
                  "expression: SHARDS is the shard count of the rule's "
                  "stream, and it has none: give its metrics a StreamName "
                  "dimension, or make it a template with 'streams'");
}

/* conf_check_expression - the alarmed expression, parsed at load time
 * against the metric ids (when they are all valid: else every id would
 * look unknown) so that its mistakes are reported with the rest; the
 * agent parses it again. */
static int
conf_check_expression(struct conf_scope *sc, const struct conf_key *k,
                      const struct conf_value *v, void *base)
{
    const struct rule_ld *ld = sc->arg;
    const struct sw_rule *r = base;
    const char *ids[SW_RULE_MAX_METRICS];
    struct sw_expr *e = NULL;
    char err[512];
    int rc;

    (void)k;
    if (!ld->ids_ok || r->nmetrics > SW_RULE_MAX_METRICS)
        return 0;
    for (size_t i = 0; i < r->nmetrics; i++)
        ids[i] = r->metrics[i].id;
    err[0] = '\0';
    rc = sw_expr_parse(v->str, ids, r->nmetrics, &e, err, sizeof(err));
    if (rc == 0 && sw_expr_uses_shards(e))
        check_shards_stream(sc, v->s, ld, r);
    sw_expr_free(e);
    if (rc == SW_ENOMEM)
        sc->x->oom = 1;
    else if (rc < 0)
        conf_serr(sc, v->s, "expression: %s", err[0] ? err : sw_strerror(rc));
    return 0; /* kept as written, like the rest of a rule with errors */
}

/* load_math - a metric-math rule: 'metrics' and 'expression', and none of
 * the single-metric keys at the rule's level. */
static void
load_math(struct conf_scope *sc, struct sw_rule *r)
{
    for (const struct conf_key *k = conf_rule_keys; k->name; k++) {
        const config_setting_t *s;

        if (!(k->flags & CK_METRIC))
            continue;
        s = conf_get(sc, k->name);
        if (s)
            conf_serr(sc, s,
                      "'%s' is not allowed in a metric-math rule: set it in "
                      "each of 'metrics'",
                      k->name);
    }
    if (load(sc, "metrics", r) == 0)
        conf_serr(sc, sc->g, "'metrics' is required with 'expression'");
    (void)load(sc, "expression", r);
}

/* ---- the rest of a rule ---- */

static int
conf_check_period(struct conf_scope *sc, const struct conf_key *k,
                  const struct conf_value *v, void *base)
{
    (void)base;
    if (v->i == 10 || v->i == 20 || v->i == 30 || (v->i > 0 && v->i % 60 == 0))
        return 0;
    conf_serr(sc, v->s,
              "'%s' must be 10, 20, 30 or a multiple of 60 seconds, not %lld",
              k->name, v->i);
    return SW_EINVAL;
}

static int
conf_check_comparison(struct conf_scope *sc, const struct conf_key *k,
                      const struct conf_value *v, void *base)
{
    enum sw_cmp c;

    if (sw_cmp_parse(v->str, &c) == 0) {
        *(enum sw_cmp *)field(base, k->off) = c;
        return 1;
    }
    if (conf_in_list(anomaly_ops, v->str))
        conf_serr(sc, v->s,
                  "comparison '%s' needs an anomaly-detection band, which "
                  "streamwatch does not support",
                  v->str);
    else
        conf_serr(sc, v->s,
                  "'%s' must be GreaterThanThreshold, "
                  "GreaterThanOrEqualToThreshold, LessThanThreshold or "
                  "LessThanOrEqualToThreshold, not '%s'",
                  k->name, v->str);
    return SW_EINVAL;
}

static int
conf_parse_tmd(const char *v, int *out)
{
    enum sw_tmd t;

    if (sw_tmd_parse(v, &t) < 0)
        return SW_EINVAL;
    *out = (int)t;
    return 0;
}

static int
conf_parse_low_sample(const char *v, int *out)
{
    if (strcmp(v, "evaluate") == 0)
        *out = 0;
    else if (strcmp(v, "ignore") == 0)
        *out = 1;
    else
        return SW_EINVAL;
    return 0;
}

/* conf_check_low_sample - evaluate_low_sample_count_percentile applies to
 * percentile statistics only: the rule's, or one of its metrics'. */
static int
conf_check_low_sample(struct conf_scope *sc, const struct conf_key *k,
                      const struct conf_value *v, void *base)
{
    const struct sw_rule *r = base;
    int known = 1, pct = 0;

    if (r->nmetrics > 0) {
        for (size_t i = 0; i < r->nmetrics; i++) {
            if (!r->metrics[i].stat)
                known = 0;
            else if (sw_stat_is_percentile(r->metrics[i].stat))
                pct = 1;
        }
        if (known && !pct) {
            conf_serr(sc, v->s,
                      "'%s' applies only to percentile statistics (pNN), "
                      "and no metric uses one",
                      k->name);
            return SW_EINVAL;
        }
    } else if (r->stat && !sw_stat_is_percentile(r->stat)) {
        conf_serr(sc, v->s,
                  "'%s' applies only to percentile statistics (pNN), not "
                  "'%s'",
                  k->name, r->stat);
        return SW_EINVAL;
    }
    return 0;
}

static int
conf_check_rule_actions(struct conf_scope *sc, const struct conf_key *k,
                        const struct conf_value *v, void *base)
{
    conf_load_actions(sc, v->s, k->name, 1, k->max, CONF_CW_LIMIT,
                      field(base, k->off));
    return 1;
}

static int
conf_check_sync(struct conf_scope *sc, const struct conf_key *k,
                const struct conf_value *v, void *base)
{
    const struct rule_ld *ld = sc->arg;
    const struct sw_rule *r = base;
    const char *prefix = sc->x->c->sync.name_prefix;

    (void)k;
    /* A template's names are known per stream: conf_expand() checks. */
    if (v->i && !ld->tmpl && r->name && prefix &&
        !sw_str_has_prefix(r->name, prefix))
        conf_serr(sc, v->s,
                  "synced alarm names must start with sync.name_prefix '%s'",
                  prefix);
    return 0;
}

static int
valid_label_name(const char *s)
{
    return (conf_is_alpha(*s) || *s == '_') && is_word(s);
}

static int
label_name_ok(struct conf_scope *sc, const config_setting_t *l,
              const char *name)
{
    if (!valid_label_name(name) || strncmp(name, "__", 2) == 0) {
        conf_serr(sc, l,
                  "label name '%s' must match [a-zA-Z_][a-zA-Z0-9_]* and "
                  "not start with '__'",
                  name);
        return SW_EINVAL;
    }
    if (strcmp(name, "alertname") == 0) {
        conf_serr(sc, l, "label 'alertname' is set from the rule name");
        return SW_EINVAL;
    }
    return 0;
}

static const struct pair_kind label_pairs = {
    .plural = "labels",
    .noun = "label",
    .value_flags = 0,
    .name_ok = label_name_ok,
    .value_ok = NULL,
};

static int
conf_load_labels(struct conf_scope *sc, const struct conf_key *k,
                 const struct conf_value *v, void *base)
{
    return conf_load_pairs(sc, k, v, base, &label_pairs);
}

/* check_window - the CloudWatch limits that tie period and N together
 * (PutMetricAlarm in the CloudWatch API Reference), and the one reply a
 * fetch may receive (GetMetricStatistics: at most 1,440 datapoints).
 * RANGE is what reading evaluation_range (the setting SR) gave: 1 set, 0
 * absent, -1 wrong (reported already). */
static void
check_window(struct conf_scope *sc, const struct sw_rule *r,
             const config_setting_t *sn, int range, const config_setting_t *sr)
{
    long long total = (long long)r->period_s * r->evaluation_periods;
    long limit = r->period_s < 3600 ? 86400 : 604800;
    int n;

    if (total > limit)
        conf_serr(sc, sn,
                  "period %d s x %d evaluation periods = %lld s is more than "
                  "CloudWatch allows (%ld s%s)",
                  r->period_s, r->evaluation_periods, total, limit,
                  r->period_s < 3600 ? ", one day, for periods under an hour"
                                     : ", seven days");
    if (range == 1 && r->evaluation_range < r->evaluation_periods) {
        conf_serr(sc, sr,
                  "'evaluation_range' (%d) must be at least "
                  "'evaluation_periods' (%d)",
                  r->evaluation_range, r->evaluation_periods);
        return;
    }
    n = sw_rule_eval_range(r);
    if (range == 0 && n > CONF_MAX_DATAPOINTS)
        conf_serr(sc, sn,
                  "the evaluation range of %d periods is more than the %d "
                  "datapoints one GetMetricStatistics call returns: lower "
                  "'evaluation_periods' or set 'evaluation_range'",
                  n, CONF_MAX_DATAPOINTS);
}

/* aws_namespace - a namespace of R's metrics that AWS publishes (for the
 * coarse-period warning), or NULL. */
static const char *
aws_namespace(const struct sw_rule *r)
{
    if (r->namespace_ && strncmp(r->namespace_, "AWS/", 4) == 0)
        return r->namespace_;
    for (size_t i = 0; i < r->nmetrics; i++)
        if (r->metrics[i].namespace_ &&
            strncmp(r->metrics[i].namespace_, "AWS/", 4) == 0)
            return r->metrics[i].namespace_;
    return NULL;
}

/* warn - what does not make the rule invalid but should be looked at. */
static void
warn(struct conf_scope *sc, const struct sw_rule *r, int have_period,
     size_t nerrs)
{
    const struct rule_ld *ld = sc->arg;
    const char *ns = aws_namespace(r);

    if (have_period && r->period_s < 60 && ns)
        conf_swarn(sc, conf_get(sc, "period"),
                   "a %d s period is finer than the one-minute %s metrics: "
                   "the alarm will often be INSUFFICIENT_DATA",
                   r->period_s, ns);
    if (!r->alarm_actions.n && !r->ok_actions.n &&
        !r->insufficient_data_actions.n)
        conf_swarn(sc, sc->g, "no actions: its state changes notify nobody");
    if (ld->tmpl && sc->x->nerrs == nerrs && !conf_uses_stream(r))
        conf_swarn(sc, conf_get(sc, "streams"),
                   "no dimension holds {stream}: every alarm of the template "
                   "watches the same metrics");
}

#define R(f) offsetof(struct sw_rule, f)
#define M(f) offsetof(struct sw_metric_stat, f)

/* clang-format off */
/* What a single-metric rule sets at its level and a metric-math rule in
 * each of its metrics (PutMetricAlarm's MetricStat): the same rows for
 * struct sw_rule and struct sw_metric_stat, whose fields share names. */
#define METRIC_STAT_KEYS(T)                                                    \
    {.name = "namespace", .type = CT_STR,                                      \
     .flags = CK_ASCII | CK_NOBLANK | CK_METRIC, .max = 255,                   \
     .sdef = "AWS/Kinesis", .off = offsetof(T, namespace_),                    \
     .check = conf_check_namespace, .desc = "the metric's namespace"},        \
    {.name = "metric", .type = CT_STR,                                         \
     .flags = CK_REQUIRED | CK_ASCII | CK_NOBLANK | CK_METRIC, .max = 255,     \
     .off = offsetof(T, metric), .desc = "the metric's name"},                 \
    {.name = "dimensions", .type = CT_GROUP, .flags = CK_METRIC,               \
     .max = SW_MAX_DIMENSIONS,                                                 \
     .expect = "dimensions = { StreamName = \"orders\"; };",                   \
     .off = offsetof(T, dims), .off_n = offsetof(T, ndims),                    \
     .check = conf_load_dimensions,                                            \
     .desc = "name = value; a template's default: StreamName = {stream}"},    \
    {.name = "statistic", .type = CT_ENUM,                                     \
     .flags = CK_REQUIRED | CK_STRVAL | CK_METRIC, .parse = conf_parse_stat,   \
     .expect = "Sum, Average, Minimum, Maximum, SampleCount or a "             \
               "percentile p0 to p100 (p99, p99.9)",                           \
     .off = offsetof(T, stat), .desc = "the statistic alarmed on"},            \
    {.name = "unit", .type = CT_ENUM, .flags = CK_STRVAL | CK_METRIC,          \
     .parse = conf_parse_unit,                                                 \
     .expect = "a CloudWatch StandardUnit (Count, Bytes, Milliseconds, "       \
               "Count/Second, ...)",                                           \
     .off = offsetof(T, unit), .desc = "only datapoints in this unit"}

/* A rule, in the order conf_load_rule() reads it.  Templates ('streams')
 * and metric math ('metrics', 'expression') are rules too. */
const struct conf_key conf_rule_keys[] = {
    {.name = "name", .type = CT_STR, .flags = CK_REQUIRED | CK_IDENT,
     .max = 255, .off = R(name), .check = conf_check_rule_name,
     .desc = "the alarm's name; a template's holds {stream}"},
    {.name = "streams", .type = CT_STRLIST, .max = CONF_MAX_STREAMS,
     .off = R(streams), .check = conf_load_streams,
     .desc = "stream names and patterns: the rule is a template"},
    {.name = "description", .type = CT_STR, .flags = CK_NEWLINES | CK_EMPTY,
     .max = 1024, .off = R(description), .desc = "AlarmDescription"},
    METRIC_STAT_KEYS(struct sw_rule),
    {.name = "metrics", .type = CT_LIST,
     .expect = "metrics = ( { id = \"w\"; metric = \"IncomingRecords\"; "
               "statistic = \"Sum\"; } );",
     .off = R(metrics), .off_n = R(nmetrics), .check = conf_load_metrics,
     .desc = "the metrics of a metric-math rule"},
    {.name = "expression", .type = CT_STR,
     .flags = CK_REQUIRED | CK_ASCII | CK_NOBLANK, .max = SW_EXPR_MAX_LEN,
     .off = R(expression), .check = conf_check_expression,
     .desc = "the metric-math expression alarmed on"},
    {.name = "period", .type = CT_INT, .flags = CK_REQUIRED, .min = INT_MIN,
     .max = INT_MAX, .off = R(period_s), .check = conf_check_period,
     .desc = "seconds: 10, 20, 30 or a multiple of 60"},
    {.name = "threshold", .type = CT_NUM, .flags = CK_REQUIRED,
     .off = R(threshold), .desc = "the value compared with"},
    {.name = "comparison", .type = CT_STR, .flags = CK_REQUIRED | CK_RAW,
     .off = R(cmp), .check = conf_check_comparison,
     .desc = "GreaterThanThreshold and the like"},
    {.name = "evaluation_periods", .type = CT_INT, .flags = CK_REQUIRED,
     .min = 1, .max = INT_MAX, .off = R(evaluation_periods),
     .desc = "N, the periods evaluated"},
    {.name = "datapoints_to_alarm", .type = CT_INT, .min = 1, .max = INT_MAX,
     .off = R(datapoints_to_alarm),
     .desc = "M of N that must breach; unset: N"},
    {.name = "evaluation_range", .type = CT_INT, .min = 1,
     .max = CONF_MAX_DATAPOINTS, .off = R(evaluation_range),
     .desc = "periods fetched; unset: N + max(N/3, 2)"},
    {.name = "treat_missing_data", .type = CT_ENUM, .def = SW_TMD_MISSING,
     .parse = conf_parse_tmd,
     .expect = "missing, ignore, breaching or notBreaching", .off = R(tmd),
     .desc = "how periods without data count"},
    {.name = "evaluate_low_sample_count_percentile", .type = CT_ENUM,
     .parse = conf_parse_low_sample, .expect = "evaluate or ignore",
     .off = R(low_sample_ignore), .check = conf_check_low_sample,
     .desc = "percentiles: ignore keeps the state while samples are few"},
    {.name = "alarm_actions", .type = CT_STRLIST, .max = CONF_MAX_ACTIONS,
     .off = R(alarm_actions), .check = conf_check_rule_actions,
     .desc = "notifiers or SNS topic ARNs told on ALARM"},
    {.name = "ok_actions", .type = CT_STRLIST, .max = CONF_MAX_ACTIONS,
     .off = R(ok_actions), .check = conf_check_rule_actions,
     .desc = "ditto on OK"},
    {.name = "insufficient_data_actions", .type = CT_STRLIST,
     .max = CONF_MAX_ACTIONS, .off = R(insufficient_data_actions),
     .check = conf_check_rule_actions,
     .desc = "ditto on INSUFFICIENT_DATA"},
    {.name = "actions_enabled", .type = CT_BOOL, .def = 1,
     .off = R(actions_enabled), .desc = "false: state changes notify nobody"},
    {.name = "sync", .type = CT_BOOL, .off = R(sync), .check = conf_check_sync,
     .desc = "also keep a real CloudWatch alarm (plan, sync)"},
    {.name = "repeat_interval", .type = CT_INT, .min = 0,
     .max = CONF_MAX_REPEAT_S, .off = R(repeat_interval_s),
     .check = conf_check_repeat,
     .desc = "seconds between reminders while in ALARM; 0: the notifier's"},
    {.name = "labels", .type = CT_GROUP, .max = CONF_MAX_LABELS,
     .expect = "labels = { severity = \"page\"; };", .off = R(labels),
     .off_n = R(nlabels), .check = conf_load_labels,
     .desc = "extra Alertmanager labels and CloudWatch tags"},
    {.name = NULL},
};

/* One metric of a metric-math rule. */
const struct conf_key conf_metric_keys[] = {
    {.name = "id", .type = CT_STR, .flags = CK_REQUIRED | CK_IDENT | CK_RAW,
     .off = M(id), .check = conf_check_metric_id,
     .desc = "what the expression calls the metric"},
    METRIC_STAT_KEYS(struct sw_metric_stat),
    {.name = NULL},
};
/* clang-format on */

/* Stored through an int (CT_ENUM without CK_STRVAL). */
_Static_assert(sizeof(enum sw_tmd) == sizeof(int), "enum size");

void
conf_load_rule(struct conf_ctx *x, const config_setting_t *g, size_t idx)
{
    const struct conf_key *const tabs[] = {conf_rule_keys};
    struct sw_conf *c = x->c;
    struct rule_ld ld;
    struct sw_rule *r;
    struct conf_scope sc;
    const config_setting_t *s;
    size_t nerrs = x->nerrs;
    int have_period, have_n, have_m, have_range;

    c->nrule_groups++;
    r = sw_rule_new();
    if (!r || conf_keys_default(conf_rule_keys, CK_METRIC, 0, r) < 0) {
        sw_rule_free(r);
        x->oom = 1;
        return;
    }
    r->line = (int)conf_line_of(g);
    memset(&ld, 0, sizeof(ld));
    ld.r = r;
    conf_scope_init(&sc, x, g, "");
    sc.arg = &ld;
    conf_scope_name(&sc, "rule #%zu", idx + 1);
    ld.tmpl = conf_get(&sc, "streams") != NULL;
    /* Metric math when the rule lists metrics, or has an expression and
     * no metric: then "metrics is required" is the useful message. */
    ld.math = conf_get(&sc, "metrics") ||
              (conf_get(&sc, "expression") && !conf_get(&sc, "metric"));

    (void)load(&sc, "name", r);
    (void)conf_check_keys(&sc, tabs, 1, rule_later_keys, NULL);
    if (ld.tmpl)
        (void)load(&sc, "streams", r);
    (void)load(&sc, "description", r);
    if (ld.math) {
        load_math(&sc, r);
    } else {
        load_metric_stat(&sc, conf_rule_keys, r);
        s = conf_get(&sc, "expression");
        if (s)
            conf_serr(&sc, s,
                      "'expression' is for metric-math rules, which list "
                      "'metrics' instead of one 'metric'");
    }
    have_period = load(&sc, "period", r) == 1;
    (void)load(&sc, "threshold", r);
    (void)load(&sc, "comparison", r);
    have_n = load(&sc, "evaluation_periods", r) == 1;
    have_m = load(&sc, "datapoints_to_alarm", r);
    /* CloudWatch words its reasons differently when DatapointsToAlarm was
     * given ("1 out of the last 1 datapoints ... (minimum 1 datapoint for
     * OK -> ALARM transition)") and when it was not ("1 datapoint ... was
     * greater than the threshold (10.0)."); sync sends it only if set. */
    r->datapoints_to_alarm_set = have_m == 1;
    if (have_m == 0 && have_n)
        r->datapoints_to_alarm = r->evaluation_periods;
    have_range = load(&sc, "evaluation_range", r);
    if (have_n && have_m == 1 && r->datapoints_to_alarm > r->evaluation_periods)
        conf_serr(&sc, conf_get(&sc, "datapoints_to_alarm"),
                  "'datapoints_to_alarm' (%d) must not exceed "
                  "'evaluation_periods' (%d)",
                  r->datapoints_to_alarm, r->evaluation_periods);
    if (have_n && have_period)
        check_window(&sc, r, conf_get(&sc, "evaluation_periods"), have_range,
                     conf_get(&sc, "evaluation_range"));
    (void)load(&sc, "treat_missing_data", r);
    (void)load(&sc, "evaluate_low_sample_count_percentile", r);
    (void)load(&sc, "alarm_actions", r);
    (void)load(&sc, "ok_actions", r);
    (void)load(&sc, "insufficient_data_actions", r);
    (void)load(&sc, "actions_enabled", r);
    (void)load(&sc, "sync", r);
    (void)load(&sc, "repeat_interval", r);
    (void)load(&sc, "labels", r);
    warn(&sc, r, have_period, nerrs);

    if (!ld.tmpl)
        (void)conf_push_rule(x, &c->rules, &c->nrules, r);
    else if (x->nerrs == nerrs && !x->oom)
        conf_expand(&sc, r);
    else
        sw_rule_free(r); /* the load fails: nothing to expand */
}
