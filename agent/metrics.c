/* agent/metrics.c - the agent's Prometheus metrics; see metrics.h.
 *
 * Three parts: the pure text formatter, the counters with their
 * observers and state_dir/metrics.json, and the snapshot that turns the
 * counters and the agent's current state into families for the file.
 */
#include "config.h"

#include "agent/metrics.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cycle.h"
#include "agent/runtime.h"
#include "agent/store.h"
#include "aws/client.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/json_util.h"
#include "lib/log.h"
#include "lib/str.h"
#include "notifiers/dispatch.h"
#include "notifiers/notifier.h"
#include "notifiers/outbox.h"
#include "rules/rule.h"

#define FILE_VERSION 1
/* The longest label value kept from metrics.json: a notifier's name, or
 * an SNS topic ARN used as one (256 + the ARN's prefix). */
#define LABEL_MAX 1024
/* The metrics file is small; its cap only stops a runaway. */
#define TEXT_MAX (64u * 1024 * 1024)
/* The watcher's own alarm (agent/cycle) is not one of the user's. */
#define WATCHER_PREFIX "watcher:"

static const char *const aws_outcomes[] = {SW_AWS_OUTCOMES};
static const char *const notify_outcomes[] = {"delivered", "retry", "failed",
                                              "expired"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the text format ---- */

static int
add_escaped(struct sw_buf *b, const char *s, int quote)
{
    int r = 0;

    for (; *s && r == 0; s++) {
        if (*s == '\\')
            r = sw_buf_adds(b, "\\\\");
        else if (*s == '\n')
            r = sw_buf_adds(b, "\\n");
        else if (*s == '"' && quote)
            r = sw_buf_adds(b, "\\\"");
        else
            r = sw_buf_addc(b, *s);
    }
    return r;
}

/* The shortest "%.Ng" that reads back as V; integers below 2^53 print
 * whole, without an exponent ("1795600000", not "1.7956e+09"). */
static int
add_value(struct sw_buf *b, double v)
{
    char tmp[64];

    if (isnan(v))
        return sw_buf_adds(b, "NaN");
    if (isinf(v))
        return sw_buf_adds(b, v > 0 ? "+Inf" : "-Inf");
    if (v == floor(v) && fabs(v) < 9007199254740992.0)
        return sw_buf_addf(b, "%.0f", v == 0.0 ? 0.0 : v);
    for (int p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof(tmp), "%.*g", p, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    return sw_buf_adds(b, tmp);
}

struct sample_ref {
    const struct sw_metrics_sample *s;
    size_t nlabels;
};

static int
cmp_sample(const void *x, const void *y)
{
    const struct sample_ref *a = x, *b = y;

    for (size_t i = 0; i < a->nlabels; i++) {
        int c = strcmp(a->s->labels[i], b->s->labels[i]);
        if (c)
            return c;
    }
    return 0;
}

static int
cmp_family(const void *x, const void *y)
{
    const struct sw_metrics_family *const *a = x, *const *b = y;

    return strcmp((*a)->name, (*b)->name);
}

static int
format_family(const struct sw_metrics_family *f, struct sw_buf *out)
{
    struct sample_ref *refs = NULL;
    int r = SW_EINVAL;

    if (!f->type || !f->help || f->nlabels > SW_METRICS_MAX_LABELS ||
        (f->n && !f->samples))
        goto out;
    for (size_t i = 0; i < f->nlabels; i++)
        if (!f->label_names[i])
            goto out;
    for (size_t i = 0; i < f->n; i++)
        for (size_t k = 0; k < f->nlabels; k++)
            if (!f->samples[i].labels[k])
                goto out;
    r = SW_ENOMEM;
    refs = calloc(f->n ? f->n : 1, sizeof(*refs));
    if (!refs)
        goto out;
    for (size_t i = 0; i < f->n; i++) {
        refs[i].s = &f->samples[i];
        refs[i].nlabels = f->nlabels;
    }
    qsort(refs, f->n, sizeof(*refs), cmp_sample);
    r = sw_buf_addf(out, "# HELP %s ", f->name);
    if (r == 0)
        r = add_escaped(out, f->help, 0);
    if (r == 0)
        r = sw_buf_addf(out, "\n# TYPE %s %s\n", f->name, f->type);
    for (size_t i = 0; r == 0 && i < f->n; i++) {
        r = sw_buf_adds(out, f->name);
        for (size_t k = 0; r == 0 && k < f->nlabels; k++) {
            r = sw_buf_addf(out, "%s%s=\"", k ? "," : "{", f->label_names[k]);
            if (r == 0)
                r = add_escaped(out, refs[i].s->labels[k], 1);
            if (r == 0)
                r = sw_buf_adds(out, "\"");
        }
        if (r == 0 && f->nlabels)
            r = sw_buf_adds(out, "}");
        if (r == 0)
            r = sw_buf_adds(out, " ");
        if (r == 0)
            r = add_value(out, refs[i].s->value);
        if (r == 0)
            r = sw_buf_adds(out, "\n");
    }
out:
    free(refs);
    return r;
}

int
sw_metrics_format(const struct sw_metrics_family *f, size_t n,
                  struct sw_buf *out)
{
    const struct sw_metrics_family **sorted;
    int r = 0;

    for (size_t i = 0; i < n; i++)
        if (!f[i].name)
            return SW_EINVAL;
    sorted = calloc(n ? n : 1, sizeof(*sorted));
    if (!sorted)
        return SW_ENOMEM;
    for (size_t i = 0; i < n; i++)
        sorted[i] = &f[i];
    qsort(sorted, n, sizeof(*sorted), cmp_family);
    for (size_t i = 0; r == 0 && i < n; i++)
        r = format_family(sorted[i], out);
    free(sorted);
    return r;
}

/* ---- counters ---- */

struct counter {
    char *a, *b; /* label values; B NULL in a one-label family */
    unsigned long long v;
};

struct table {
    struct counter *v;
    size_t n, alloc;
};

struct sw_metrics {
    char *dir;                  /* state_dir */
    struct table requests;      /* operation, outcome */
    struct table retries;       /* operation */
    struct table notifications; /* notifier, outcome */
    unsigned long long cycles;
    unsigned long long overruns; /* cycles that outlasted their interval */
    unsigned long long outbox_write_failures;
    unsigned long outbox_seen; /* sw_outbox_write_failures() last time */
    time_t last_success;       /* 0: none yet */
    double duration_s;         /* of the last completed cycle */
    int blind;                 /* after the last completed cycle */
    int lost_warned;           /* a count was lost: said once */
};

static void
table_release(struct table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].a);
        free(t->v[i].b);
    }
    free(t->v);
    memset(t, 0, sizeof(*t));
}

static struct counter *
table_find(const struct table *t, const char *a, const char *b)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i].a, a) == 0 &&
            (b ? t->v[i].b && strcmp(t->v[i].b, b) == 0 : !t->v[i].b))
            return &t->v[i];
    return NULL;
}

/* Add INC to the counter (A, B), created at 0 when missing.  Returns 0,
 * SW_ETOOBIG (SW_METRICS_MAX_SERIES reached) or SW_ENOMEM. */
static int
table_add(struct table *t, const char *a, const char *b, unsigned long long inc)
{
    struct counter *c = table_find(t, a, b);

    if (!c) {
        if (t->n >= SW_METRICS_MAX_SERIES)
            return SW_ETOOBIG;
        if (t->n == t->alloc) {
            size_t na = t->alloc ? t->alloc * 2 : 16;
            struct counter *v = realloc(t->v, na * sizeof(*v));
            if (!v)
                return SW_ENOMEM;
            t->v = v;
            t->alloc = na;
        }
        c = &t->v[t->n];
        memset(c, 0, sizeof(*c));
        c->a = sw_strdup(a);
        c->b = b ? sw_strdup(b) : NULL;
        if (!c->a || (b && !c->b)) {
            free(c->a);
            free(c->b);
            return SW_ENOMEM;
        }
        t->n++;
    }
    c->v += inc;
    return 0;
}

/* A count that could not be kept is a wrong metric, not a reason to stop
 * the agent: said once, at error level. */
static void
count(struct sw_metrics *m, struct table *t, const char *a, const char *b,
      unsigned long long inc)
{
    int r = table_add(t, a, b, inc);

    if (r < 0 && !m->lost_warned) {
        m->lost_warned = 1;
        sw_log_err("metrics: a count was lost: %s",
                   r == SW_ETOOBIG ? "too many series" : sw_strerror(r));
    }
}

void
sw_metrics_on_aws(void *arg, const char *operation, const char *outcome,
                  int retries)
{
    struct sw_metrics *m = arg;

    if (!m || !operation || !outcome)
        return;
    count(m, &m->requests, operation, outcome, 1);
    /* Created at 0 too, so that the series exists before the first retry. */
    count(m, &m->retries, operation, NULL,
          retries > 0 ? (unsigned long long)retries : 0);
}

void
sw_metrics_on_notify(void *arg, const char *notifier, const char *outcome)
{
    struct sw_metrics *m = arg;

    if (!m || !notifier || !outcome)
        return;
    count(m, &m->notifications, notifier, outcome, 1);
}

void
sw_metrics_attach(struct sw_metrics *m, struct sw_aws *a, struct sw_dispatch *d)
{
    if (!m)
        return;
    if (a)
        sw_aws_set_observer(a, sw_metrics_on_aws, m);
    if (d)
        sw_dispatch_set_observer(d, sw_metrics_on_notify, m);
}

void
sw_metrics_cycle(struct sw_metrics *m, time_t now, long duration_ms, int r,
                 const struct sw_cycle_stats *st)
{
    if (!m || r < 0 || !st)
        return;
    m->cycles++;
    m->duration_s = duration_ms > 0 ? (double)duration_ms / 1000.0 : 0.0;
    m->blind = st->blind;
    if (st->fetch_failures == 0)
        m->last_success = now;
}

void
sw_metrics_overrun(struct sw_metrics *m)
{
    if (m)
        m->overruns++;
}

unsigned long long
sw_metrics_count(const struct sw_metrics *m, const char *family, const char *a,
                 const char *b)
{
    const struct table *t = NULL;
    const struct counter *c;

    if (!m || !family)
        return 0;
    if (strcmp(family, "cycles") == 0)
        return m->cycles;
    if (strcmp(family, "cycle_overruns") == 0)
        return m->overruns;
    if (strcmp(family, "outbox_write_failures") == 0)
        return m->outbox_write_failures;
    if (strcmp(family, "last_success") == 0)
        return m->last_success > 0 ? (unsigned long long)m->last_success : 0;
    if (strcmp(family, "api_requests") == 0)
        t = &m->requests;
    else if (strcmp(family, "api_retries") == 0)
        t = &m->retries;
    else if (strcmp(family, "notifications") == 0)
        t = &m->notifications;
    if (!t || !a)
        return 0;
    c = table_find(t, a, b);
    return c ? c->v : 0;
}

void
sw_metrics_free(struct sw_metrics *m)
{
    if (!m)
        return;
    table_release(&m->requests);
    table_release(&m->retries);
    table_release(&m->notifications);
    free(m->dir);
    free(m);
}

/* ---- state_dir/metrics.json ---- */

static int
in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

/* A label value read back from the file: what our code could have put
 * there (control characters never are: the names come from the checked
 * config and from code). */
static int
label_ok(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && n <= LABEL_MAX && !sw_str_has_ctl(s, n);
}

static int
get_count(const json_t *v, unsigned long long *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return SW_EPARSE;
    *out = (unsigned long long)json_integer_value(v);
    return 0;
}

/* {"A": {"B": n}} into T, B one of OUTCOMES. */
static int
load_table2(json_t *o, const char *const *outcomes, size_t noutcomes,
            struct table *t, const char *what, char *why, size_t whylen)
{
    const char *a, *b;
    json_t *inner, *v;
    unsigned long long n;
    int r;

    if (!json_is_object(o)) {
        sw_err_set(why, whylen, "'%s' is not an object", what);
        return SW_EPARSE;
    }
    json_object_foreach(o, a, inner)
    {
        if (!label_ok(a) || !json_is_object(inner)) {
            sw_err_set(why, whylen, "'%s' has a bad entry", what);
            return SW_EPARSE;
        }
        json_object_foreach(inner, b, v)
        {
            if (!in_list(b, outcomes, noutcomes) || get_count(v, &n) < 0) {
                sw_err_set(why, whylen, "'%s' has a bad count", what);
                return SW_EPARSE;
            }
            r = table_add(t, a, b, n);
            if (r == SW_ETOOBIG) {
                sw_err_set(why, whylen, "'%s' has too many series", what);
                return SW_EPARSE;
            }
            if (r < 0)
                return r;
        }
    }
    return 0;
}

/* Parse the file's LEN bytes into M (its tables empty).  Returns 0,
 * SW_EPARSE (WHY says what is wrong) or SW_ENOMEM. */
static int
parse_file(const char *text, size_t len, struct sw_metrics *m, char *why,
           size_t whylen)
{
    static const char *const keys[] = {
        "version",      "cycles",      "outbox_write_failures", "last_success",
        "api_requests", "api_retries", "notifications"};
    json_error_t jerr;
    json_t *root, *v, *ls;
    const char *k;
    unsigned long long n;
    int r = SW_EPARSE;

    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        /* jansson quotes the text near the error: one printable line. */
        sw_err_set(why, whylen, "not JSON: %s at line %d", jerr.text,
                   jerr.line);
        sw_str_blank_ctl(why);
        return SW_EPARSE;
    }
    /* "cycle_overruns" came later: a file without it is not corrupt. */
    v = json_object_get(root, "cycle_overruns");
    if (v && get_count(v, &m->overruns) < 0) {
        sw_err_set(why, whylen, "a count is not a non-negative integer");
        goto out;
    }
    if (!json_is_object(root) ||
        json_object_size(root) != NELEM(keys) + (v != NULL)) {
        sw_err_set(why, whylen, "not a metrics file of version %d",
                   FILE_VERSION);
        goto out;
    }
    for (size_t i = 0; i < NELEM(keys); i++)
        if (!json_object_get(root, keys[i])) {
            sw_err_set(why, whylen, "no '%s'", keys[i]);
            goto out;
        }
    v = json_object_get(root, "version");
    if (!json_is_integer(v) || json_integer_value(v) != FILE_VERSION) {
        sw_err_set(why, whylen, "not a metrics file of version %d",
                   FILE_VERSION);
        goto out;
    }
    if (get_count(json_object_get(root, "cycles"), &m->cycles) < 0 ||
        get_count(json_object_get(root, "outbox_write_failures"),
                  &m->outbox_write_failures) < 0) {
        sw_err_set(why, whylen, "a count is not a non-negative integer");
        goto out;
    }
    ls = json_object_get(root, "last_success");
    if (!json_is_null(ls) &&
        (!json_is_string(ls) ||
         sw_time_parse_rfc3339(json_string_value(ls), &m->last_success) < 0 ||
         m->last_success <= 0)) {
        sw_err_set(why, whylen, "'last_success' is not a time or null");
        goto out;
    }
    r = load_table2(json_object_get(root, "api_requests"), aws_outcomes,
                    NELEM(aws_outcomes), &m->requests, "api_requests", why,
                    whylen);
    if (r == 0)
        r = load_table2(json_object_get(root, "notifications"), notify_outcomes,
                        NELEM(notify_outcomes), &m->notifications,
                        "notifications", why, whylen);
    if (r < 0)
        goto out;
    r = SW_EPARSE;
    v = json_object_get(root, "api_retries");
    if (!json_is_object(v)) {
        sw_err_set(why, whylen, "'api_retries' is not an object");
        goto out;
    }
    json_object_foreach(v, k, ls)
    {
        if (!label_ok(k) || get_count(ls, &n) < 0) {
            sw_err_set(why, whylen, "'api_retries' has a bad count");
            goto out;
        }
        r = table_add(&m->retries, k, NULL, n);
        if (r == SW_ETOOBIG) {
            sw_err_set(why, whylen, "'api_retries' has too many series");
            r = SW_EPARSE;
        }
        if (r < 0)
            goto out;
    }
    r = 0;
out:
    json_decref(root);
    return r;
}

/* Forget whatever a failed parse left in M. */
static void
reset_counts(struct sw_metrics *m)
{
    table_release(&m->requests);
    table_release(&m->retries);
    table_release(&m->notifications);
    m->cycles = 0;
    m->overruns = 0;
    m->outbox_write_failures = 0;
    m->last_success = 0;
}

/* An unreadable metrics.json is kept for a person to look at, as
 * state.json is (agent/main.c), and counting starts again. */
static void
set_aside(const char *path, const char *why)
{
    char to[4096], ts[SW_TIME_BUF];

    if ((size_t)snprintf(to, sizeof(to), "%s.corrupt-%s", path,
                         sw_time_amz(time(NULL), ts)) >= sizeof(to)) {
        sw_log_err("metrics: %s; counting from zero", why);
        return;
    }
    if (rename(path, to) < 0)
        sw_log_err("metrics: %s; cannot move it aside to '%s' (%s); counting "
                   "from zero",
                   why, to, strerror(errno));
    else
        sw_log_err("metrics: %s; moved it to '%s' and started counting from "
                   "zero",
                   why, to);
}

int
sw_metrics_open(const char *state_dir, struct sw_metrics **out)
{
    struct sw_metrics *m;
    struct sw_buf b;
    char path[4096], err[512] = "", why[384] = "";
    int r = SW_ENOMEM;

    *out = NULL;
    sw_buf_init(&b, SW_METRICS_MAX_BYTES);
    m = calloc(1, sizeof(*m));
    if (!m)
        goto out;
    m->dir = sw_strdup(state_dir ? state_dir : ".");
    if (!m->dir)
        goto out;
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", m->dir,
                         SW_METRICS_FILE) >= sizeof(path)) {
        sw_log_err("metrics: %s: path too long; counting from zero", m->dir);
        r = 0;
        goto out;
    }
    r = sw_file_read(path, &b, err, sizeof(err));
    if (r == SW_ENOENT) {
        r = 0;
        goto out;
    }
    if (r == SW_ENOMEM)
        goto out;
    if (r < 0) {
        set_aside(path, err[0] ? err : sw_strerror(r));
        r = 0;
        goto out;
    }
    r = parse_file(b.data ? b.data : "", b.len, m, why, sizeof(why));
    if (r == SW_EPARSE) {
        reset_counts(m);
        sw_err_set(err, sizeof(err), "%s: %s", path, why);
        set_aside(path, err);
        r = 0;
    }
out:
    sw_buf_release(&b);
    if (r < 0) {
        sw_metrics_free(m);
        return r;
    }
    *out = m;
    return 0;
}

static json_t *
table2_json(const struct table *t)
{
    json_t *o = json_object(), *inner;
    int failed = 0;

    for (size_t i = 0; o && !failed && i < t->n; i++) {
        inner = json_object_get(o, t->v[i].a);
        if (!inner) {
            inner = json_object();
            sw_json_set_new(o, t->v[i].a, inner, &failed);
        }
        if (!failed)
            sw_json_set_new(inner, t->v[i].b,
                            json_integer((json_int_t)t->v[i].v), &failed);
    }
    if (failed) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int
sw_metrics_save(const struct sw_metrics *m, char *err, size_t errlen)
{
    json_t *root = json_object(), *retries = json_object();
    char when[SW_TIME_BUF], *text = NULL;
    int r = SW_ENOMEM, failed = !root || !retries;

    for (size_t i = 0; !failed && i < m->retries.n; i++)
        sw_json_set_new(retries, m->retries.v[i].a,
                        json_integer((json_int_t)m->retries.v[i].v), &failed);
    sw_json_set_new(root, "version", json_integer(FILE_VERSION), &failed);
    sw_json_set_new(root, "cycles", json_integer((json_int_t)m->cycles),
                    &failed);
    sw_json_set_new(root, "cycle_overruns",
                    json_integer((json_int_t)m->overruns), &failed);
    sw_json_set_new(root, "outbox_write_failures",
                    json_integer((json_int_t)m->outbox_write_failures),
                    &failed);
    sw_json_set_new(root, "last_success",
                    m->last_success > 0
                        ? json_string(sw_time_rfc3339(m->last_success, when))
                        : json_null(),
                    &failed);
    sw_json_set_new(root, "api_requests", table2_json(&m->requests), &failed);
    sw_json_set_new(root, "api_retries", retries, &failed);
    retries = NULL;
    sw_json_set_new(root, "notifications", table2_json(&m->notifications),
                    &failed);
    if (failed)
        goto out;
    text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (!text)
        goto out;
    r = sw_file_replace(m->dir, SW_METRICS_FILE, NULL, text, 0640, err, errlen);
out:
    if (r == SW_ENOMEM)
        sw_err_set(err, errlen, "%s/%s: out of memory", m->dir,
                   SW_METRICS_FILE);
    free(text);
    json_decref(retries);
    json_decref(root);
    return r;
}

/* ---- the snapshot ---- */

static int
cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int
cmp_alarm(const void *x, const void *y)
{
    const struct sw_alarm_state *const *a = x, *const *b = y;

    return strcmp((*a)->name, (*b)->name);
}

/* How many of RT's alarms are in each state in STORE (an alarm not in it
 * yet is INSUFFICIENT_DATA, as it starts): both name lists sorted and
 * walked together, since a linear sw_store_get() per alarm would be
 * quadratic in the number of alarms. */
static int
count_states(const struct sw_runtime *rt, const struct sw_store *store,
             double out[3])
{
    const char **names = NULL;
    const struct sw_alarm_state **st = NULL;
    size_t nn = 0, ns = store ? store->n : 0, j = 0;
    int r = SW_ENOMEM;

    out[SW_STATE_OK] = out[SW_STATE_ALARM] = 0;
    out[SW_STATE_INSUFFICIENT_DATA] = 0;
    names = calloc(rt->nrules ? rt->nrules : 1, sizeof(*names));
    st = calloc(ns ? ns : 1, sizeof(*st));
    if (!names || !st)
        goto out;
    for (size_t i = 0; i < rt->nrules; i++)
        if (!sw_str_has_prefix(rt->rules[i]->name, WATCHER_PREFIX))
            names[nn++] = rt->rules[i]->name;
    for (size_t i = 0; i < ns; i++)
        st[i] = store->alarms[i];
    qsort(names, nn, sizeof(*names), cmp_str);
    qsort(st, ns, sizeof(*st), cmp_alarm);
    for (size_t i = 0; i < nn; i++) {
        enum sw_state s = SW_STATE_INSUFFICIENT_DATA;
        int c = 1;

        while (j < ns && (c = strcmp(st[j]->name, names[i])) < 0)
            j++;
        if (j < ns && c == 0)
            s = st[j]->state;
        if ((int)s >= 0 && (int)s <= 2)
            out[s] += 1;
    }
    r = 0;
out:
    free(names);
    free(st);
    return r;
}

/* Every configured notifier has all four outcomes, at 0 until the first,
 * so that rate() sees a series from its start. */
static void
init_notifiers(struct sw_metrics *m, const struct sw_runtime *rt)
{
    for (size_t i = 0; i < rt->nnotifiers; i++)
        for (size_t k = 0; k < NELEM(notify_outcomes); k++)
            count(m, &m->notifications, rt->notifiers[i]->name,
                  notify_outcomes[k], 0);
}

static struct sw_metrics_sample *
table_samples(const struct table *t)
{
    struct sw_metrics_sample *s = calloc(t->n ? t->n : 1, sizeof(*s));

    for (size_t i = 0; s && i < t->n; i++) {
        s[i].labels[0] = t->v[i].a;
        s[i].labels[1] = t->v[i].b;
        s[i].value = (double)t->v[i].v;
    }
    return s;
}

enum {
    F_ALARMS,
    F_REQUESTS,
    F_RETRIES,
    F_NOTIFY,
    F_PENDING,
    F_OBFAIL,
    F_DURATION,
    F_CYCLES,
    F_OVERRUNS,
    F_LAST,
    F_BLIND,
    F_COUNT
};

/* The families of the file, into TEXT.  Returns 0 or SW_ENOMEM. */
static int
render(struct sw_metrics *m, const struct sw_runtime *rt,
       const struct sw_store *store, const struct sw_outbox *ob,
       struct sw_buf *text)
{
    static const char *const state_label[3] = {"INSUFFICIENT_DATA", "OK",
                                               "ALARM"};
    struct sw_metrics_family f[F_COUNT];
    struct sw_metrics_sample alarms[3], scalar[6];
    struct sw_metrics_sample *req = NULL, *ret = NULL, *ntf = NULL;
    struct sw_metrics_sample *pend = NULL;
    double states[3];
    size_t npend = 0;
    int r = SW_ENOMEM;

    memset(f, 0, sizeof(f));
    memset(alarms, 0, sizeof(alarms));
    memset(scalar, 0, sizeof(scalar));
    init_notifiers(m, rt);
    if (count_states(rt, store, states) < 0)
        goto out;
    for (int i = 0; i < 3; i++) {
        alarms[i].labels[0] = state_label[i];
        alarms[i].value = states[i];
    }
    req = table_samples(&m->requests);
    ret = table_samples(&m->retries);
    ntf = table_samples(&m->notifications);
    pend = calloc(rt->nnotifiers ? rt->nnotifiers : 1, sizeof(*pend));
    if (!req || !ret || !ntf || !pend)
        goto out;
    for (size_t i = 0; i < rt->nnotifiers; i++) {
        const char *name = rt->notifiers[i]->name;
        size_t k;

        /* A raw topic ARN could equal a configured name: one series. */
        for (k = 0; k < npend && strcmp(pend[k].labels[0], name); k++)
            ;
        if (k < npend)
            continue;
        pend[npend].labels[0] = name;
        pend[npend++].value =
            ob ? (double)sw_outbox_pending(ob, name, NULL) : 0.0;
    }
    scalar[0].value = (double)m->outbox_write_failures;
    scalar[1].value = m->duration_s;
    scalar[2].value = (double)m->cycles;
    scalar[3].value = (double)m->last_success;
    scalar[4].value = (double)m->blind;
    scalar[5].value = (double)m->overruns;

    f[F_ALARMS] = (struct sw_metrics_family){
        "streamwatch_alarms",
        "Alarms of this agent by state (the watcher alarm not counted).",
        "gauge",
        {"state"},
        1,
        alarms,
        3};
    f[F_REQUESTS] = (struct sw_metrics_family){
        "streamwatch_api_requests_total",
        "AWS API calls by operation and final outcome (success, error, "
        "throttled, timeout, network, credentials, canceled, other).",
        "counter",
        {"operation", "outcome"},
        2,
        req,
        m->requests.n};
    f[F_RETRIES] = (struct sw_metrics_family){
        "streamwatch_api_retries_total",
        "AWS API requests sent again after a failed attempt, by operation.",
        "counter",
        {"operation"},
        1,
        ret,
        m->retries.n};
    f[F_NOTIFY] = (struct sw_metrics_family){
        "streamwatch_notifications_total",
        "Notification attempts by notifier and outcome (delivered, retry, "
        "failed, expired).",
        "counter",
        {"notifier", "outcome"},
        2,
        ntf,
        m->notifications.n};
    f[F_PENDING] = (struct sw_metrics_family){
        "streamwatch_outbox_pending",
        "Notifications waiting in the outbox, by notifier.",
        "gauge",
        {"notifier"},
        1,
        pend,
        npend};
    f[F_OBFAIL] = (struct sw_metrics_family){
        "streamwatch_outbox_write_failures_total",
        "Outbox entry files that could not be written.",
        "counter",
        {NULL},
        0,
        &scalar[0],
        1};
    f[F_DURATION] =
        (struct sw_metrics_family){"streamwatch_cycle_duration_seconds",
                                   "How long the last evaluation cycle took.",
                                   "gauge",
                                   {NULL},
                                   0,
                                   &scalar[1],
                                   1};
    f[F_CYCLES] = (struct sw_metrics_family){"streamwatch_cycles_total",
                                             "Evaluation cycles completed.",
                                             "counter",
                                             {NULL},
                                             0,
                                             &scalar[2],
                                             1};
    f[F_LAST] = (struct sw_metrics_family){
        "streamwatch_last_success_timestamp_seconds",
        "Time of the last cycle in which every fetch succeeded (0: none "
        "yet).",
        "gauge",
        {NULL},
        0,
        &scalar[3],
        1};
    f[F_OVERRUNS] = (struct sw_metrics_family){
        "streamwatch_cycle_overruns_total",
        "Cycles that took longer than their interval (the next started at "
        "once).",
        "counter",
        {NULL},
        0,
        &scalar[5],
        1};
    f[F_BLIND] = (struct sw_metrics_family){
        "streamwatch_blind_alarms",
        "Alarms whose fetches have failed for agent.failure_after seconds.",
        "gauge",
        {NULL},
        0,
        &scalar[4],
        1};
    r = sw_metrics_format(f, F_COUNT, text);
out:
    free(req);
    free(ret);
    free(ntf);
    free(pend);
    return r;
}

/* PATH as a directory and a file name for sw_file_replace(). */
static int
split_path(const char *path, char *dir, size_t dirlen, const char **name)
{
    const char *slash = strrchr(path, '/');
    size_t n;

    if (!slash) {
        *name = path;
        return (size_t)snprintf(dir, dirlen, ".") < dirlen ? 0 : SW_EINVAL;
    }
    *name = slash + 1;
    n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= dirlen)
        return SW_EINVAL;
    memcpy(dir, path, n);
    dir[n] = '\0';
    return **name ? 0 : SW_EINVAL;
}

int
sw_metrics_write(struct sw_metrics *m, const char *path,
                 const struct sw_runtime *rt, const struct sw_store *store,
                 const struct sw_outbox *ob)
{
    struct sw_buf text;
    char err[512] = "", dir[4096];
    const char *name;
    int r, r2;

    if (!m || !path || !rt)
        return SW_EINVAL;
    sw_buf_init(&text, TEXT_MAX);
    if (ob) {
        unsigned long cur = sw_outbox_write_failures(ob);

        /* The outbox counts from its opening; a new one starts again. */
        m->outbox_write_failures +=
            cur >= m->outbox_seen ? cur - m->outbox_seen : cur;
        m->outbox_seen = cur;
    }
    r = sw_metrics_save(m, err, sizeof(err));
    if (r < 0)
        sw_log_err("metrics: cannot save the counts: %s", err);
    r2 = render(m, rt, store, ob, &text);
    if (r2 < 0) {
        sw_log_err("metrics: cannot write '%s': %s", path, sw_strerror(r2));
        goto out;
    }
    if (split_path(path, dir, sizeof(dir), &name) < 0) {
        r2 = SW_EINVAL;
        sw_log_err("metrics: cannot write '%s': not a file path", path);
        goto out;
    }
    /* sw_file_replace() ends the text with its own newline. */
    if (text.len && text.data[text.len - 1] == '\n')
        text.data[--text.len] = '\0';
    r2 = sw_file_replace(dir, name, NULL, text.data ? text.data : "", 0644, err,
                         sizeof(err));
    if (r2 < 0)
        sw_log_err("metrics: cannot write '%s': %s", path, err);
out:
    sw_buf_release(&text);
    return r < 0 ? r : r2;
}
