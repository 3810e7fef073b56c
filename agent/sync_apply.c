/* agent/sync_apply.c - the plan of `plan` and `sync`, its printed form,
 * and applying it to CloudWatch; see sync.h and sync_priv.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent/sync.h"
#include "agent/sync_priv.h"
#include "aws/cwalarms.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/json_util.h"
#include "lib/str.h"

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
        json_is_object(tags) ? sw_json_str(tags, SW_SYNC_OWNER_TAG) : NULL;
    char *esc = NULL, line[1024];
    int r;

    if (who) {
        json_t *s = json_string(who);

        esc = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
        json_decref(s);
        if (!esc)
            return SW_ENOMEM;
    }
    sw_sync_fmt_text(line, sizeof(line),
                     "%s: exists in CloudWatch %s%s%s, not %s=\"%s\"; left "
                     "alone",
                     name, who ? "with tag " SW_SYNC_OWNER_TAG "=" : "",
                     who ? esc : "",
                     who ? "" : "without the tag " SW_SYNC_OWNER_TAG,
                     SW_SYNC_OWNER_TAG, owner);
    free(esc);
    r = sw_strv_push(&p->conflicts, line);
    return r;
}

static int
is_owned(const json_t *tags, const char *owner)
{
    const char *v =
        json_is_object(tags) ? sw_json_str(tags, SW_SYNC_OWNER_TAG) : NULL;

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
    const char *arn = sw_json_str(a, "AlarmArn");
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
        const char *n = sw_json_str(a, "AlarmName");

        if (n && json_object_set(by_name, n, a) < 0)
            goto out;
    }
    for (size_t i = 0; i < nd; i++) {
        json_t *d = json_array_get(desired, i);
        const char *n = sw_json_str(d, "AlarmName");

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
            const char *n = sw_json_str(a, "AlarmName");
            const char *arn = sw_json_str(a, "AlarmArn");

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
            c->arn = sw_strdup(sw_json_str(a, "AlarmArn"));
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
                    r = sw_sync_fmt_value(v, out);
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
/* applying it                                                         */

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
report_stop(const char *cmd, const struct sw_sync_plan *p, size_t done,
            size_t first_not)
{
    fprintf(stderr,
            "streamwatch: %s: stopped after %zu of %zu changes; not "
            "applied:\n",
            cmd, done, p->nchanges);
    for (size_t i = first_not; i < p->nchanges; i++)
        fprintf(stderr, "  %s %s\n", verb(&p->changes[i]), p->changes[i].name);
    fprintf(stderr,
            "streamwatch: %s: run it again to converge: the plan is "
            "computed afresh from CloudWatch\n",
            cmd);
}

int
sw_sync_apply(struct sw_aws *aws, struct sw_cwa_limiter *lim, const char *cmd,
              const struct sw_sync_plan *p)
{
    struct sw_aws_error e;
    size_t i = 0, done = 0, created = 0, updated = 0, deleted = 0;
    int r = 0;

    for (; i < p->nchanges && p->changes[i].action != SW_SYNC_DELETE; i++) {
        const struct sw_sync_change *c = &p->changes[i];
        char what[400];

        memset(&e, 0, sizeof(e));
        r = 0;
        if (c->action == SW_SYNC_CREATE) {
            r = sw_cwa_put_metric_alarm(aws, lim, c->input, &e);
        } else if (c->put) {
            /* Tags on an update are ignored by CloudWatch: TagResource
             * below sets them. */
            json_t *in = strip_tags(c->input);

            r = in ? sw_cwa_put_metric_alarm(aws, lim, in, &e) : SW_ENOMEM;
            json_decref(in);
        }
        if (r < 0) {
            sw_sync_fmt_text(what, sizeof(what), "PutMetricAlarm '%s'",
                             c->name);
            goto failed;
        }
        if (c->action == SW_SYNC_UPDATE && c->tag) {
            json_t *tags =
                sw_sync_tags_object(json_object_get(c->input, "Tags"));

            r = json_is_object(tags)
                    ? sw_cwa_tag_resource(aws, lim, c->arn, tags, &e)
                    : SW_ENOMEM;
            json_decref(tags);
            if (r < 0) {
                sw_sync_fmt_text(what, sizeof(what), "TagResource '%s'",
                                 c->name);
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
        sw_sync_aws_failed(cmd, what, &e, r);
        report_stop(cmd, p, done, i);
        return r;
    }
    /* Deletes in batches of at most 100 names. */
    while (i < p->nchanges) {
        const char *batch[SW_CWA_DELETE_BATCH];
        size_t n = 0, start = i;

        for (; i < p->nchanges && n < SW_CWA_DELETE_BATCH; i++)
            batch[n++] = p->changes[i].name;
        r = sw_cwa_delete_alarms(aws, lim, batch, n, &e);
        if (r < 0) {
            char what[64];

            sw_sync_fmt_text(what, sizeof(what), "DeleteAlarms (%zu alarms)",
                             n);
            sw_sync_aws_failed(cmd, what, &e, r);
            report_stop(cmd, p, done, start);
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
