/* agent/sync_input.c - the desired alarms of `plan` and `sync`: the
 * config's synced rules as PutMetricAlarm inputs, SHARDS replaced by the
 * stream's shard count; see sync.h and sync_priv.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent/conf.h"
#include "agent/discover.h"
#include "agent/shards.h"
#include "agent/sync.h"
#include "agent/sync_priv.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/json_util.h"
#include "lib/str.h"
#include "lib/utf8.h"
#include "rules/cwrender.h"
#include "rules/expr.h"
#include "rules/rule.h"
#include "rules/template.h"

#define TAG_VALUE_MAX 256 /* characters of a CloudWatch tag value */

static int
strv_has(const struct sw_strv *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], s) == 0)
            return 1;
    return 0;
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
                sw_sync_fmt_text(what, sizeof(what), "%s (%s)", n->name,
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
            sw_json_append_new(arr, json_string(arn), &failed);
    }
    if (failed) {
        json_decref(arr);
        return SW_ENOMEM;
    }
    *out = arr;
    return 0;
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
        const char *value = r->labels[i].value;
        json_t *t;

        if (sw_utf8_chars(value, strlen(value)) > TAG_VALUE_MAX) {
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
        sw_json_set_new(t, "Key", json_string(r->labels[i].name), &failed);
        sw_json_set_new(t, "Value", json_string(r->labels[i].value), &failed);
        sw_json_append_new(arr, t, &failed);
    }
    if (!failed) {
        json_t *t = json_object();

        if (t) {
            sw_json_set_new(t, "Key", json_string(SW_SYNC_OWNER_TAG), &failed);
            sw_json_set_new(t, "Value", json_string(c->sync.owner), &failed);
        }
        sw_json_append_new(arr, t, &failed);
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
    const char *stream;
    json_t *o = NULL, *v;
    int failed = 0, rc = SW_ENOMEM;

    if (err && errlen)
        err[0] = '\0';
    *out = NULL;
    if (!c || !r || !r->name || !c->sync.owner) {
        sw_err_set(err, errlen, "no config or rule");
        return SW_EINVAL;
    }
    if (!sw_rule_is_math(r) && (!r->metric || !r->stat)) {
        sw_err_set(err, errlen,
                   "alarm '%s': neither a metric nor metric "
                   "math",
                   r->name);
        return SW_EINVAL;
    }
    /* CloudWatch has no SHARDS: such a rule goes through
     * sw_sync_shards_input(), which puts the number in. */
    rc = sw_shards_rule_stream(r, &stream);
    if (rc == 1 || rc == SW_EINVAL) {
        sw_err_set(err, errlen,
                   "alarm '%s': the expression uses SHARDS, which "
                   "CloudWatch does not know",
                   r->name);
        return SW_EINVAL;
    }
    rc = SW_ENOMEM;
    o = json_object();
    if (!o)
        goto out;
    sw_json_set_new(o, "AlarmName", json_string(r->name), &failed);
    if (r->description)
        sw_json_set_new(o, "AlarmDescription", json_string(r->description),
                        &failed);
    sw_json_set_new(o, "ActionsEnabled", json_boolean(r->actions_enabled),
                    &failed);
    for (size_t i = 0; i < 3; i++) {
        rc = actions_json(c, r, svs[i], &v, local_only, err, errlen);
        if (rc < 0)
            goto out;
        sw_json_set_new(o, lists[i], v, &failed);
    }
    rc = SW_ENOMEM;
    /* the metric and the settings: the rendering the SNS Trigger uses */
    if (!failed && sw_cwrender_alarm(o, r, SW_CWRENDER_API) < 0)
        failed = 1;
    if (failed)
        goto out;
    rc = tags_json(c, r, &v, err, errlen);
    if (rc < 0)
        goto out;
    sw_json_set_new(o, "Tags", v, &failed);
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

/* The Label of the expression entry of IN's Metrics: LABEL. */
static int
set_expression_label(json_t *in, const char *label)
{
    json_t *m = json_object_get(in, "Metrics"), *q;
    size_t i;

    json_array_foreach(m, i, q)
    {
        if (!json_object_get(q, "Expression"))
            continue;
        if (json_object_set_new(q, "Label", json_string(label)) < 0)
            return SW_ENOMEM;
    }
    return 0;
}

int
sw_sync_shards_input(const struct sw_conf *c, const struct sw_rule *r,
                     double shards, json_t **out, struct sw_strv *local_only,
                     char *err, size_t errlen)
{
    const char *ids[SW_RULE_MAX_METRICS];
    struct sw_rule *dup = NULL;
    struct sw_expr *e = NULL;
    char why[512], num[SW_EXPR_NUM_BUF];
    char *text = NULL;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    *out = NULL;
    if (!c || !r || !r->name || !sw_rule_is_math(r) ||
        r->nmetrics > SW_RULE_MAX_METRICS) {
        sw_err_set(err, errlen, "no config or metric-math rule");
        return SW_EINVAL;
    }
    rc = sw_expr_subst_shards(r->expression, shards, &text, why, sizeof(why));
    if (rc < 0) {
        sw_err_set(err, errlen, "alarm '%s': expression: %s", r->name, why);
        goto out;
    }
    /* What CloudWatch will parse: a count that makes a constant divide
     * by zero ("w + 1 / (4 - 4)") is refused here, with the number. */
    for (size_t i = 0; i < r->nmetrics; i++)
        ids[i] = r->metrics[i].id;
    rc = sw_expr_parse(text, ids, r->nmetrics, &e, why, sizeof(why));
    if (rc < 0) {
        (void)sw_expr_format_shards(shards, num, sizeof(num));
        sw_err_set(err, errlen, "alarm '%s': with SHARDS = %s, expression: %s",
                   r->name, num, why);
        goto out;
    }
    rc = sw_rule_dup(r, &dup);
    if (rc < 0)
        goto out;
    free(dup->expression);
    dup->expression = text;
    text = NULL;
    rc = sw_sync_alarm_input(c, dup, out, local_only, err, errlen);
    if (rc < 0)
        goto out;
    /* The Label keeps the config's text: the console shows where the
     * number came from, and a new shard count changes one line of the
     * plan, the Expression. */
    rc = set_expression_label(*out, r->expression);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
    }
out:
    if (rc == SW_ENOMEM)
        sw_err_set(err, errlen, "out of memory");
    sw_expr_free(e);
    sw_rule_free(dup);
    free(text);
    return rc;
}

/* ------------------------------------------------------------------ */
/* every synced alarm of the config                                    */

struct desired {
    const struct sw_conf *conf;
    const char *cmd; /* for messages */
    struct sw_aws *aws;
    struct sw_shards *shards; /* made for the first rule with SHARDS */
    json_t *arr;
    struct sw_strv *local_only;
};

/* The current shard count of STREAM for the rule R, DescribeStreamSummary
 * once per stream and run: no fallback here, so a failure is an error for
 * the rule. */
static int
shards_of(struct desired *x, const struct sw_rule *r, const char *stream,
          double *out)
{
    char err[700];
    int rc;

    if (!x->shards) {
        rc = sw_shards_new(x->aws, 0, &x->shards);
        if (rc < 0) {
            fprintf(stderr, "streamwatch: %s: %s\n", x->cmd, sw_strerror(rc));
            return rc;
        }
    }
    rc = sw_shards_get(x->shards, stream, sw_wall_now(), out, err, sizeof(err));
    if (rc < 0)
        fprintf(stderr, "streamwatch: %s: alarm '%s': %s\n", x->cmd, r->name,
                err[0] ? err : sw_strerror(rc));
    return rc;
}

static int
add_desired(struct desired *x, const struct sw_rule *r)
{
    json_t *in = NULL;
    const char *stream = NULL;
    double shards = 0;
    char err[512];
    int rc;

    rc = sw_shards_rule_stream(r, &stream);
    if (rc == 1) {
        rc = shards_of(x, r, stream, &shards);
        if (rc < 0)
            return rc;
        rc = sw_sync_shards_input(x->conf, r, shards, &in, x->local_only, err,
                                  sizeof(err));
    } else {
        rc = sw_sync_alarm_input(x->conf, r, &in, x->local_only, err,
                                 sizeof(err));
    }
    if (rc < 0) {
        fprintf(stderr, "streamwatch: %s: %s\n", x->cmd,
                err[0] ? err : sw_strerror(rc));
        return rc;
    }
    if (json_array_append_new(x->arr, in) < 0)
        return SW_ENOMEM;
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
add_discovered(struct desired *x, struct sw_aws *aws)
{
    const struct sw_conf *c = x->conf;
    struct sw_discover *d = NULL;
    const struct sw_strv *streams = NULL;
    struct sw_rule **dyn = NULL;
    const char **names = NULL;
    size_t ndyn = 0;
    char err[640];
    int r;

    r = sw_discover_new(aws, 0, &d);
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

int
sw_sync_desired(const struct sw_conf *c, struct sw_aws *aws, const char *cmd,
                json_t **out, struct sw_strv *local_only)
{
    struct desired x = {c, cmd, aws, NULL, NULL, local_only};
    int r = 0;

    *out = NULL;
    x.arr = json_array();
    if (!x.arr)
        return SW_ENOMEM;
    for (size_t i = 0; r == 0 && i < c->nrules; i++)
        if (c->rules[i]->sync)
            r = add_desired(&x, c->rules[i]);
    if (r == 0 && any_synced_template(c))
        r = add_discovered(&x, aws);
    sw_shards_free(x.shards);
    if (r < 0) {
        json_decref(x.arr);
        return r;
    }
    *out = x.arr;
    return 0;
}
