/* agent/sync.c - the `plan` and `sync` commands: config, AWS, the
 * alarms CloudWatch has, confirmation and exit status; see sync.h and,
 * for the other parts, sync_priv.h. */
#include "config.h"

#include "agent/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "agent/conf.h"
#include "agent/runtime.h"
#include "agent/sync_priv.h"
#include "aws/client.h"
#include "aws/cwalarms.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/json_util.h"
#include "lib/log.h"
#include "lib/str.h"
#include "rules/rule.h"

#define PLAN_CAP ((size_t)256 << 20) /* the printed plan */

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

void
sw_sync_aws_failed(const char *cmd, const char *what,
                   const struct sw_aws_error *e, int r)
{
    fprintf(stderr, "streamwatch: %s: %s failed: %s%s%s", cmd, what,
            e->code[0] ? e->code : sw_strerror(r), e->message[0] ? ": " : "",
            e->message);
    if (e->attempts > 1)
        fprintf(stderr, " (%d attempts)", e->attempts);
    fputc('\n', stderr);
}

static int
make_aws(struct run *x, volatile sig_atomic_t *cancel)
{
    struct sw_aws_opts o;
    char err[512] = "";
    int r;

    sw_runtime_aws_opts(x->conf, &o);
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
        sw_sync_aws_failed(x->cmd, "DescribeAlarms", &e, r);
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
        const char *n = sw_json_str(a, "AlarmName");

        if (n && json_object_set_new(want, n, json_true()) < 0) {
            r = SW_ENOMEM;
            goto out;
        }
    }
    json_array_foreach(x->actual, i, a)
    {
        const char *n = sw_json_str(a, "AlarmName");

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
        const char *n = sw_json_str(a, "AlarmName");
        const char *arn = sw_json_str(a, "AlarmArn");
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

            sw_sync_fmt_text(what, sizeof(what),
                             "ListTagsForResource for alarm '%s'", n);
            sw_sync_aws_failed(x->cmd, what, &e, r);
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

int
sw_sync_command(const char *conf_path, int apply, int prune, int yes,
                int detailed_exitcode, volatile sig_atomic_t *cancel)
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
    r = sw_runtime_load_conf(conf_path, &x.conf);
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
    r = sw_sync_desired(x.conf, x.aws, x.cmd, &x.desired, &x.local_only);
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
        r = sw_sync_apply(x.aws, &x.lim, x.cmd, &x.plan);
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
