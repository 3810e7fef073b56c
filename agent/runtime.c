/* agent/runtime.c - what a config needs to run; see runtime.h. */
#include "config.h"

#include "agent/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/conf.h"
#include "agent/discover.h"
#include "agent/recording.h"
#include "agent/shards.h"
#include "agent/source.h"
#include "agent/watcher.h"
#include "aws/client.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/str.h"
#include "notifiers/alertmanager.h"
#include "notifiers/email.h"
#include "notifiers/log.h"
#include "notifiers/notifier.h"
#include "notifiers/sns.h"
#include "notifiers/webhook.h"
#include "rules/eval.h"
#include "rules/rule.h"
#include "rules/template.h"

/* Alertmanager resolves an alert it has not heard of for resolve_timeout
 * (5 minutes by default); Prometheus re-sends firing alerts every
 * evaluation, and so do we, each minute, unless told otherwise. */
#define AM_REPOST_S 60

static int load_conf_with(const char *path, const struct sw_runtime_opts *o,
                          struct sw_conf **out);

int
sw_runtime_load_conf(const char *path, struct sw_conf **out)
{
    return load_conf_with(path, NULL, out);
}

void
sw_runtime_aws_opts(const struct sw_conf *c, struct sw_aws_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->region = c->aws.region;
    o->profile = c->aws.profile;
    o->endpoint = c->aws.endpoint;
    o->ca_file = c->aws.ca_file;
    o->connect_timeout_ms = c->aws.connect_timeout_s * 1000L;
    o->request_timeout_ms = c->aws.request_timeout_s * 1000L;
    o->max_attempts = c->aws.max_attempts;
    o->max_rps = c->aws.max_requests_per_second;
}

static int
is_arn(const char *s)
{
    return sw_str_has_prefix(s, "arn:");
}

static int
need_aws(const struct sw_conf *c)
{
    if (!c->agent.recording || c->ntemplates)
        return 1;
    for (size_t i = 0; i < c->nnotifiers; i++)
        if (c->notifiers[i].type == SW_NOTIFIER_SNS)
            return 1;
    for (size_t i = 0; i < c->nrules; i++) {
        const struct sw_rule *r = c->rules[i];
        const struct sw_strv *lists[] = {&r->alarm_actions, &r->ok_actions,
                                         &r->insufficient_data_actions};
        for (size_t l = 0; l < 3; l++)
            for (size_t k = 0; k < lists[l]->n; k++)
                if (is_arn(lists[l]->v[k]))
                    return 1;
    }
    return 0;
}

static int
add_notifier(struct sw_runtime *rt, struct sw_notifier *n)
{
    struct sw_notifier **v;

    v = realloc(rt->notifiers, (rt->nnotifiers + 1) * sizeof(*v));
    if (!v) {
        sw_notifier_free(n);
        return SW_ENOMEM;
    }
    v[rt->nnotifiers++] = n;
    rt->notifiers = v;
    return 0;
}

static int
add_arn(struct sw_runtime *rt, const char *action, const char *arn)
{
    struct sw_message_arn *v;

    for (size_t i = 0; i < rt->narns; i++)
        if (strcmp(rt->arns[i].action, action) == 0)
            return 0;
    v = realloc(rt->arns, (rt->narns + 1) * sizeof(*v));
    if (!v)
        return SW_ENOMEM;
    v[rt->narns].action = action; /* borrowed from conf, like ARN */
    v[rt->narns].arn = arn;
    rt->narns++;
    rt->arns = v;
    return 0;
}

/* arn:partition:sns:region:ACCOUNT:topic -> ACCOUNT, the AWSAccountId of
 * the alarm messages (the account the alarms would live in). */
static void
account_from_arn(struct sw_runtime *rt, const char *arn)
{
    const char *p = arn;

    if (rt->account_id[0])
        return;
    for (int field = 0; field < 4 && p; field++) {
        p = strchr(p, ':');
        if (p)
            p++;
    }
    if (p && strchr(p, ':') && strchr(p, ':') - p == 12)
        memcpy(rt->account_id, p, 12);
}

static int
build_notifier(struct sw_runtime *rt, const struct sw_notifier_conf *nc)
{
    struct sw_notifier *n = NULL;
    char err[512] = "", why[512] = "";
    int r = SW_EINVAL, insecure = 0;

    switch (nc->type) {
    case SW_NOTIFIER_LOG:
        r = sw_notifier_log_new(nc->name, nc->path, &n);
        break;
    case SW_NOTIFIER_SNS:
        r = sw_notifier_sns_new(nc->name, rt->aws, nc->topic_arn, &n, err,
                                sizeof(err));
        if (r == 0) {
            account_from_arn(rt, nc->topic_arn);
            r = add_arn(rt, nc->name, nc->topic_arn);
        }
        break;
    case SW_NOTIFIER_EMAIL: {
        struct sw_email_opts o;
        memset(&o, 0, sizeof(o));
        o.url = nc->url;
        r = sw_email_tls_parse(nc->tls, &o.tls);
        if (r < 0)
            break;
        o.username = nc->username;
        o.password_file = nc->password_file;
        o.from = nc->from;
        o.to = nc->to.v;
        o.nto = nc->to.n;
        o.ca_file = nc->ca_file;
        o.allow_insecure = nc->allow_insecure;
        r = sw_notifier_email_new(nc->name, &o, &n, err, sizeof(err));
        insecure =
            sw_email_cleartext_check(nc->url, o.tls, nc->username != NULL,
                                     nc->allow_insecure, why, sizeof(why)) == 1;
        break;
    }
    case SW_NOTIFIER_WEBHOOK: {
        struct sw_notifier_webhook_opts o;
        struct sw_webhook_header *h = NULL;
        memset(&o, 0, sizeof(o));
        if (nc->nheaders) {
            h = calloc(nc->nheaders, sizeof(*h));
            if (!h)
                return SW_ENOMEM;
            for (size_t i = 0; i < nc->nheaders; i++) {
                h[i].name = nc->headers[i].name;
                h[i].value = nc->headers[i].value;
            }
        }
        o.url = nc->url;
        o.format = nc->format;
        o.headers = h;
        o.nheaders = nc->nheaders;
        o.bearer_token_file = nc->bearer_token_file;
        o.secret_file = nc->secret_file;
        o.allow_insecure = nc->allow_insecure;
        r = sw_notifier_webhook_new(nc->name, &o, &n, err, sizeof(err));
        free(h);
        insecure =
            sw_webhook_cleartext_check(
                nc->url, nc->bearer_token_file != NULL, nc->secret_file != NULL,
                nc->allow_insecure, why, sizeof(why)) == 1;
        break;
    }
    case SW_NOTIFIER_ALERTMANAGER: {
        struct sw_notifier_alertmanager_opts o;
        memset(&o, 0, sizeof(o));
        o.url = nc->url;
        r = sw_notifier_alertmanager_new(nc->name, &o, &n, err, sizeof(err));
        break;
    }
    }
    if (r < 0) {
        sw_log_err("notifier '%s': %s", nc->name,
                   err[0] ? err : sw_strerror(r));
        return r;
    }
    /* allow_insecure is the operator's call, made once in the file; the
     * log says so at every start so that it is not forgotten there. */
    if (insecure)
        sw_log_warn("notifier '%s': %s", nc->name, why);
    n->max_age_s = nc->max_age_s;
    n->repeat_interval_s = nc->repeat_interval_s;
    if (nc->type == SW_NOTIFIER_ALERTMANAGER && !n->repeat_interval_s)
        n->repeat_interval_s = AM_REPOST_S;
    return add_notifier(rt, n);
}

/* Rules may name an SNS topic ARN directly, as PutMetricAlarm actions do:
 * each distinct ARN gets an SNS notifier named by the ARN itself. */
static int
build_arn_notifiers(struct sw_runtime *rt)
{
    const struct sw_conf *c = rt->conf;

    for (size_t i = 0; i < c->nrules + c->ntemplates; i++) {
        const struct sw_rule *r =
            i < c->nrules ? c->rules[i] : c->templates[i - c->nrules];
        const struct sw_strv *lists[] = {&r->alarm_actions, &r->ok_actions,
                                         &r->insufficient_data_actions};
        for (size_t l = 0; l < 3; l++) {
            for (size_t k = 0; k < lists[l]->n; k++) {
                const char *arn = lists[l]->v[k];
                struct sw_notifier *n = NULL;
                char err[512] = "";
                int found = 0, r2;

                if (!is_arn(arn))
                    continue;
                for (size_t j = 0; j < rt->nnotifiers && !found; j++)
                    found = strcmp(rt->notifiers[j]->name, arn) == 0;
                if (found)
                    continue;
                r2 = sw_notifier_sns_new(arn, rt->aws, arn, &n, err,
                                         sizeof(err));
                if (r2 < 0) {
                    sw_log_err("rule '%s': action '%s': %s", r->name, arn,
                               err[0] ? err : sw_strerror(r2));
                    return r2;
                }
                n->max_age_s = 86400;
                account_from_arn(rt, arn);
                r2 = add_notifier(rt, n);
                if (r2 < 0)
                    return r2;
            }
        }
    }
    return 0;
}

/* Whether some alarm's expression reads SHARDS (a template's, for the
 * alarms it will make). */
static int
uses_shards(const struct sw_conf *c)
{
    const char *stream;

    for (size_t i = 0; i < c->nrules + c->ntemplates; i++)
        if (sw_shards_rule_stream(i < c->nrules ? c->rules[i]
                                                : c->templates[i - c->nrules],
                                  &stream) != 0)
            return 1;
    return 0;
}

static int
has_patterns(const struct sw_conf *c)
{
    return c->ntemplates > 0;
}

int
sw_runtime_new(const char *path, volatile sig_atomic_t *cancel,
               volatile sig_atomic_t *yield, struct sw_runtime **out)
{
    return sw_runtime_new_with(path, NULL, cancel, yield, out);
}

/* The config at PATH with O's changes, every problem on stderr, as
 * sw_runtime_load_conf() prints them. */
static int
load_conf_with(const char *path, const struct sw_runtime_opts *o,
               struct sw_conf **out)
{
    struct sw_strv errors = {0};
    int r;

    r = sw_conf_load_with(path, o ? o->sets : NULL, o ? o->nsets : 0, out,
                          &errors);
    for (size_t i = 0; i < errors.n; i++)
        fprintf(stderr, "%s\n", errors.v[i]);
    if (r < 0 && errors.n == 0)
        fprintf(stderr, "%s: %s\n", path, sw_strerror(r));
    sw_strv_release(&errors);
    if (r < 0 || !o)
        return r;
    if (o->recording) {
        char *copy = strdup(o->recording);

        if (!copy) {
            sw_conf_free(*out);
            *out = NULL;
            return SW_ENOMEM;
        }
        free((*out)->agent.recording);
        (*out)->agent.recording = copy;
    }
    return 0;
}

int
sw_runtime_new_with(const char *path, const struct sw_runtime_opts *o,
                    volatile sig_atomic_t *cancel, volatile sig_atomic_t *yield,
                    struct sw_runtime **out)
{
    struct sw_runtime *rt = calloc(1, sizeof(*rt));
    char err[512] = "";
    struct stat sb;
    int r;

    *out = NULL;
    if (!rt)
        return SW_ENOMEM;
    r = load_conf_with(path, o, &rt->conf);
    if (r < 0)
        goto out;
    if (need_aws(rt->conf)) {
        struct sw_aws_opts ao;

        sw_runtime_aws_opts(rt->conf, &ao);
        r = sw_aws_new(&ao, &rt->aws, err, sizeof(err));
        if (r < 0) {
            sw_log_err("aws: %s", err[0] ? err : sw_strerror(r));
            goto out;
        }
        /* As for the notifiers (build_notifier()): a warning each start. */
        if (sw_url_cleartext_check(
                "endpoint", ao.endpoint, SW_CONF_AWS_CLEARTEXT_WHAT,
                rt->conf->aws.allow_insecure, err, sizeof(err)) == 1)
            sw_log_warn("aws: %s", err);
        sw_aws_set_cancel_flag(rt->aws, cancel);
        sw_aws_set_yield_flag(rt->aws, yield);
    }
    if (rt->conf->agent.recording) {
        r = sw_source_recording_new(rt->conf->agent.recording, &rt->source, err,
                                    sizeof(err));
        if (r < 0) {
            sw_log_err("recording: %s", err[0] ? err : sw_strerror(r));
            goto out;
        }
    } else {
        r = sw_source_cloudwatch_new(
            rt->aws, rt->conf->aws.fetch == SW_CONF_FETCH_GMD, &rt->source);
        if (r < 0)
            goto out;
    }
    for (size_t i = 0; i < rt->conf->nnotifiers; i++) {
        r = build_notifier(rt, &rt->conf->notifiers[i]);
        if (r < 0)
            goto out;
    }
    r = build_arn_notifiers(rt);
    if (r < 0)
        goto out;
    if (has_patterns(rt->conf)) {
        r = sw_discover_new(rt->aws, 0, &rt->discover);
        if (r < 0)
            goto out;
        /* The last good stream list, for when Kinesis fails. */
        r = sw_discover_persist(rt->discover, rt->conf->agent.state_dir, err,
                                sizeof(err));
        if (r == SW_ENOMEM)
            goto out;
        if (r < 0)
            sw_log_err("discover: %s; not used, the next listing replaces it",
                       err[0] ? err : sw_strerror(r));
    }
    if (rt->aws && uses_shards(rt->conf)) {
        r = sw_shards_new(rt->aws, 0, &rt->shards);
        if (r < 0)
            goto out;
    }
    {
        char host[SW_CONF_AGENT_NAME_MAX];

        rt->watcher = sw_watcher_rule(
            sw_conf_agent_name(rt->conf, host, sizeof(host)),
            &rt->conf->agent.failure_actions, rt->conf->agent.failure_after_s);
        if (!rt->watcher) {
            r = SW_ENOMEM;
            goto out;
        }
    }
    rt->msg.account_id = rt->account_id[0] ? rt->account_id : NULL;
    rt->msg.arns = rt->arns;
    rt->msg.narns = rt->narns;
    /* AlarmConfigurationUpdatedTimestamp: when the reviewed file last
     * changed, the closest thing to PutMetricAlarm's time. */
    if (stat(path, &sb) == 0)
        rt->msg.config_updated = sb.st_mtime;
    r = sw_runtime_rules(rt, 0, 0);
    if (r < 0)
        goto out;
    *out = rt;
    rt = NULL;
out:
    sw_runtime_free(rt);
    return r;
}

void
sw_runtime_free(struct sw_runtime *rt)
{
    if (!rt)
        return;
    for (size_t i = 0; i < rt->nnotifiers; i++)
        sw_notifier_free(rt->notifiers[i]);
    free(rt->notifiers);
    free(rt->arns);
    sw_discover_free(rt->discover);
    sw_shards_free(rt->shards);
    sw_rule_free(rt->watcher);
    sw_discover_rules_free(rt->dynamic, rt->ndynamic);
    free(rt->rules);
    sw_source_free(rt->source);
    sw_aws_free(rt->aws);
    sw_conf_free(rt->conf);
    free(rt);
}

/* Most alarms named one by one when streams go; then a count. */
#define DROPPED_NAMED 20

/* Say which alarms go because the last listing lacks their streams (DYN:
 * the alarms it gives): save_state() drops their state too, as
 * DeleteAlarms would, and an alarm must not vanish without a word. */
static void
log_dropped(const struct sw_runtime *rt, struct sw_rule *const *dyn,
            size_t ndyn)
{
    const struct sw_strv *gone = sw_discover_gone(rt->discover);
    const struct sw_conf *c = rt->conf;
    struct sw_rule **old = NULL;
    const char **names;
    size_t nold = 0;
    int r = SW_ENOMEM;

    if (!gone->n)
        return;
    /* The config's alarms and the ones still there are not dropped. */
    names = calloc(c->nrules + ndyn + 1, sizeof(*names));
    if (!names)
        goto out;
    for (size_t i = 0; i < c->nrules; i++)
        names[i] = c->rules[i]->name;
    for (size_t i = 0; i < ndyn; i++)
        names[c->nrules + i] = dyn[i]->name;
    r = sw_discover_expand((const struct sw_rule *const *)c->templates,
                           c->ntemplates, gone, names, c->nrules + ndyn, &old,
                           &nold);
    for (size_t i = 0; i < nold && i < DROPPED_NAMED; i++)
        sw_log_warn("discover: stream '%s' is no longer listed; dropping "
                    "alarm '%s' and its state",
                    old[i]->stream, old[i]->name);
    if (nold > DROPPED_NAMED)
        sw_log_warn("discover: %zu more alarms dropped: their streams are no "
                    "longer listed",
                    nold - DROPPED_NAMED);
out:
    if (r < 0)
        sw_log_warn("discover: %zu streams no longer listed; their alarms "
                    "are dropped (%s naming them)",
                    gone->n, sw_strerror(r));
    sw_discover_rules_free(old, nold);
    free(names);
}

int
sw_runtime_rules(struct sw_runtime *rt, time_t now, int save)
{
    const struct sw_conf *c = rt->conf;
    struct sw_rule **dyn = NULL;
    const struct sw_rule **all;
    const char **names = NULL;
    size_t ndyn = 0;
    int r;

    rt->discover_failed = 0;
    rt->no_stream_list = 0;
    /* Before the first cycle (NOW 0) and without pattern templates the
     * alarms are the config's. */
    if (rt->discover && now > 0) {
        const struct sw_strv *streams = NULL;
        char err[640];

        r = sw_discover_streams(rt->discover, now, &streams, err, sizeof(err));
        if (r < 0) {
            sw_log_warn("%s", err[0] ? err : sw_strerror(r));
            rt->discover_failed = 1;
        }
        if (streams) {
            names = calloc(c->nrules ? c->nrules : 1, sizeof(*names));
            if (!names)
                return SW_ENOMEM;
            for (size_t i = 0; i < c->nrules; i++)
                names[i] = c->rules[i]->name;
            r = sw_discover_expand((const struct sw_rule *const *)c->templates,
                                   c->ntemplates, streams, names, c->nrules,
                                   &dyn, &ndyn);
            free(names);
            if (r < 0)
                return r;
            if (r > 0)
                sw_log_warn("discover: %d alarm%s left out: a name or "
                            "dimension would exceed CloudWatch's limits",
                            r, r == 1 ? "" : "s");
            log_dropped(rt, dyn, ndyn);
        } else {
            /* No list yet: keep the alarms discovered before, if any, and
             * tell save_state not to prune what it cannot judge. */
            rt->no_stream_list = 1;
            dyn = rt->dynamic;
            ndyn = rt->ndynamic;
            rt->dynamic = NULL;
            rt->ndynamic = 0;
        }
        /* Logged, not fatal: the list in memory is good for this run. */
        if (save && sw_discover_save(rt->discover, err, sizeof(err)) < 0)
            sw_log_err("discover: cannot save the stream list: %s", err);
    }
    all = calloc(c->nrules + ndyn + 1, sizeof(*all));
    if (!all) {
        sw_discover_rules_free(dyn, ndyn);
        return SW_ENOMEM;
    }
    for (size_t i = 0; i < c->nrules; i++)
        all[i] = c->rules[i];
    for (size_t i = 0; i < ndyn; i++)
        all[c->nrules + i] = dyn[i];
    sw_discover_rules_free(rt->dynamic, rt->ndynamic);
    free(rt->rules);
    rt->dynamic = dyn;
    rt->ndynamic = ndyn;
    rt->rules = all;
    rt->nrules = c->nrules + ndyn;
    return 0;
}

int
sw_runtime_tick_s(const struct sw_runtime *rt)
{
    int tick = rt->conf->agent.interval_s;

    for (size_t i = 0; i < rt->nrules; i++) {
        int cad = sw_eval_cadence_s(rt->rules[i]);
        if (cad < tick)
            tick = cad;
    }
    return tick > 0 ? tick : 60;
}
