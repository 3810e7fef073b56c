/* agent/discover.c - stream discovery for pattern templates; see
 * discover.h. */
#include "config.h"

#include "agent/discover.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/client.h"
#include "aws/kinesis.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/json_util.h"
#include "lib/log.h"
#include "lib/metric.h"
#include "lib/str.h"
#include "lib/strv.h"
#include "rules/rule.h"
#include "rules/template.h"

/* CloudWatch PutMetricAlarm limits (docs/aws-wire.md section 8) that a
 * substituted stream name can push a value over. */
#define ALARM_NAME_MAX  255
#define DESCRIPTION_MAX 1024
#define DIM_VALUE_MAX   1024
#define LABEL_VALUE_MAX 1024

#define FILE_VERSION 1

struct sw_discover {
    struct sw_aws *aws; /* borrowed */
    int interval_s;
    struct sw_strv streams; /* the last good listing */
    int have_list;
    struct sw_strv gone; /* what the last call's listing lost */
    char *dir;           /* sw_discover_persist(), or NULL */
    int unsaved;         /* a listing not written to DIR yet */
    time_t fetched_at;   /* wall time of the last success, 0: none */
    time_t next_at;      /* the next refresh is due at this time */
    time_t tried_at;     /* wall time of the last attempt */
    int tried;
    int last_r; /* SW_E* of the last failed refresh */
    char last_error[640];
    sw_discover_list_fn *list_fn; /* NULL: sw_kinesis_list_streams() */
    void *list_arg;
};

int
sw_discover_interval(int interval_s)
{
    if (interval_s == 0)
        return SW_DISCOVER_DEFAULT_INTERVAL_S;
    if (interval_s < SW_DISCOVER_MIN_INTERVAL_S ||
        interval_s > SW_DISCOVER_MAX_INTERVAL_S)
        return 0;
    return interval_s;
}

int
sw_discover_new(struct sw_aws *a, int interval_s, struct sw_discover **out)
{
    struct sw_discover *d;

    if (!out)
        return SW_EINVAL;
    *out = NULL;
    if (!a)
        return SW_EINVAL;
    interval_s = sw_discover_interval(interval_s);
    if (!interval_s)
        return SW_EINVAL;
    d = calloc(1, sizeof(*d));
    if (!d)
        return SW_ENOMEM;
    d->aws = a;
    d->interval_s = interval_s;
    *out = d;
    return 0;
}

void
sw_discover_free(struct sw_discover *d)
{
    if (!d)
        return;
    sw_strv_release(&d->streams);
    sw_strv_release(&d->gone);
    free(d->dir);
    free(d);
}

void
sw_discover_set_lister(struct sw_discover *d, sw_discover_list_fn *fn,
                       void *arg)
{
    d->list_fn = fn;
    d->list_arg = arg;
}

void
sw_discover_invalidate(struct sw_discover *d)
{
    if (d)
        d->next_at = 0;
}

time_t
sw_discover_fetched_at(const struct sw_discover *d)
{
    return d && d->have_list ? d->fetched_at : 0;
}

const char *
sw_discover_last_error(const struct sw_discover *d)
{
    return d ? d->last_error : "";
}

const struct sw_strv *
sw_discover_gone(const struct sw_discover *d)
{
    return &d->gone;
}

static int
default_lister(void *arg, struct sw_aws *a, struct sw_strv *out,
               struct sw_aws_error *err)
{
    (void)arg;
    return sw_kinesis_list_streams(a, out, err);
}

/* Copy AWS or parser text into a log line without control characters:
 * a jansson message may quote bytes of the reply. */
static void
clean_copy(char *dst, size_t size, const char *s)
{
    size_t j = 0;

    if (!size)
        return;
    for (size_t i = 0; s[i] && j + 1 < size; i++)
        dst[j++] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? ' ' : s[i];
    dst[j] = '\0';
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* How many of A (sorted) are not in B (sorted); with OUT non-NULL, also
 * copies of them pushed there.  Returns 0, or SW_ENOMEM when OUT misses
 * some (*N still counts them all). */
static int
missing(const struct sw_strv *a, const struct sw_strv *b, size_t *n,
        struct sw_strv *out)
{
    size_t i = 0, j = 0;
    int r = 0;

    *n = 0;
    while (i < a->n) {
        int c = j < b->n ? strcmp(a->v[i], b->v[j]) : -1;

        if (c < 0) {
            if (out && sw_strv_push(out, a->v[i]) < 0)
                r = SW_ENOMEM;
            (*n)++;
            i++;
        } else if (c > 0) {
            j++;
        } else {
            i++;
            j++;
        }
    }
    return r;
}

int
sw_discover_streams(struct sw_discover *d, time_t now,
                    const struct sw_strv **out, char *err, size_t errlen)
{
    struct sw_strv fresh = {NULL, 0};
    struct sw_aws_error aerr;
    sw_discover_list_fn *fn;
    char code[128], msg[512], when[SW_TIME_BUF];
    int r;

    if (err && errlen)
        err[0] = '\0';
    if (!out)
        return SW_EINVAL;
    *out = NULL;
    if (!d)
        return SW_EINVAL;
    sw_strv_release(&d->gone);
    /* A clock stepped back would otherwise hold the list (or the wait
     * for a retry) for as long as the step. */
    if (!(d->tried && now < d->tried_at) && now < d->next_at) {
        if (d->have_list) {
            *out = &d->streams;
            return 0;
        }
        /* Waiting to retry after a failure with nothing cached: say the
         * last failure again rather than call the API once more. */
        sw_err_set(err, errlen, "%s", d->last_error);
        return d->last_r;
    }
    memset(&aerr, 0, sizeof(aerr));
    fn = d->list_fn ? d->list_fn : default_lister;
    d->tried = 1;
    d->tried_at = now;
    r = fn(d->list_fn ? d->list_arg : NULL, d->aws, &fresh, &aerr);
    if (r < 0) {
        sw_strv_release(&fresh);
        clean_copy(code, sizeof(code), aerr.code);
        clean_copy(msg, sizeof(msg), aerr.message);
        d->last_r = r;
        d->next_at =
            now + (d->interval_s < SW_DISCOVER_RETRY_S ? d->interval_s
                                                       : SW_DISCOVER_RETRY_S);
        if (d->have_list)
            sw_err_set(d->last_error, sizeof(d->last_error),
                       "discover: ListStreams failed: %s%s%s; keeping the "
                       "previous list of %zu streams from %s",
                       code[0] ? code : sw_strerror(r), msg[0] ? ": " : "", msg,
                       d->streams.n, sw_time_rfc3339(d->fetched_at, when));
        else
            sw_err_set(d->last_error, sizeof(d->last_error),
                       "discover: ListStreams failed: %s%s%s; no stream list "
                       "yet",
                       code[0] ? code : sw_strerror(r), msg[0] ? ": " : "",
                       msg);
        sw_err_set(err, errlen, "%s", d->last_error);
        *out = d->have_list ? &d->streams : NULL;
        return r;
    }
    /* sw_kinesis_list_streams() sorts already; a test's lister may not,
     * and missing() needs it. */
    sw_strv_sort_unique(&fresh);
    if (!d->have_list) {
        sw_log_info("discover: %zu streams", fresh.n);
    } else {
        size_t added, gone;

        /* Out of memory, the lost streams go unnamed (their alarms still
         * go; the caller just cannot say which): rather that than keep
         * alarms of streams that no longer exist. */
        if (missing(&d->streams, &fresh, &gone, &d->gone) < 0)
            sw_strv_release(&d->gone);
        (void)missing(&fresh, &d->streams, &added, NULL);
        if (added || gone)
            sw_log_info("discover: %zu streams (%zu new, %zu gone)", fresh.n,
                        added, gone);
        else
            sw_log_debug("discover: %zu streams, unchanged", fresh.n);
    }
    sw_strv_release(&d->streams);
    d->streams = fresh;
    d->have_list = 1;
    d->unsaved = 1;
    d->fetched_at = now;
    d->next_at = now + d->interval_s;
    d->last_error[0] = '\0';
    *out = &d->streams;
    return 0;
}

const char *
sw_discover_failing(const struct sw_discover *d)
{
    return d && d->last_error[0] ? d->last_error : NULL;
}

/* --- the file in state_dir --- */

static int
file_path(const char *dir, char *out, size_t size)
{
    int n = snprintf(out, size, "%s/%s", dir, SW_DISCOVER_FILE);

    return n < 0 || (size_t)n >= size ? SW_EINVAL : 0;
}

/* The document of discover.h, into SV (sorted) and *FETCHED_AT. */
static int
parse_file(const struct sw_buf *b, struct sw_strv *sv, time_t *fetched_at,
           const char **why)
{
    json_error_t jerr;
    json_t *root, *ver, *at, *list, *v;
    size_t i;
    int r = SW_EPARSE;

    *why = "not JSON";
    root = json_loadb(b->data ? b->data : "", b->len, JSON_REJECT_DUPLICATES,
                      &jerr);
    if (!root)
        return SW_EPARSE;
    *why = "not {\"version\": 1, \"fetched_at\": TIME, \"streams\": [NAME...]}";
    ver = json_object_get(root, "version");
    at = json_object_get(root, "fetched_at");
    list = json_object_get(root, "streams");
    if (!json_is_object(root) || json_object_size(root) != 3 ||
        !json_is_integer(ver) || json_integer_value(ver) != FILE_VERSION ||
        !json_is_string(at) ||
        sw_time_parse_rfc3339(json_string_value(at), fetched_at) < 0 ||
        *fetched_at <= 0 || !json_is_array(list))
        goto out;
    json_array_foreach(list, i, v)
    {
        /* The names become alarm names and dimension values. */
        if (!json_is_string(v) || sw_stream_check(json_string_value(v), 0)) {
            *why = "an entry of \"streams\" is not a stream name";
            goto out;
        }
        if (sw_strv_push(sv, json_string_value(v)) < 0) {
            r = SW_ENOMEM;
            goto out;
        }
    }
    sw_strv_sort_unique(sv);
    r = 0;
out:
    json_decref(root);
    return r;
}

int
sw_discover_persist(struct sw_discover *d, const char *dir, char *err,
                    size_t errlen)
{
    struct sw_strv sv = {NULL, 0};
    struct sw_buf b;
    char path[4096];
    const char *why = "";
    time_t at = 0;
    int r;

    if (err && errlen)
        err[0] = '\0';
    if (!d || !dir)
        return SW_EINVAL;
    sw_buf_init(&b, SW_DISCOVER_MAX_BYTES);
    r = SW_ENOMEM;
    free(d->dir);
    d->dir = sw_strdup(dir);
    if (!d->dir)
        goto out;
    r = file_path(dir, path, sizeof(path));
    if (r < 0) {
        sw_err_set(err, errlen, "%s: path too long", dir);
        goto out;
    }
    r = sw_file_read(path, &b, err, errlen);
    if (r == SW_ENOENT) {
        r = 0; /* never listed with this state_dir */
        goto out;
    }
    if (r == SW_ETOOBIG)
        r = SW_EPARSE;
    if (r < 0)
        goto out;
    r = parse_file(&b, &sv, &at, &why);
    if (r == SW_EPARSE)
        sw_err_set(err, errlen, "%s: %s", path, why);
    if (r < 0)
        goto out;
    /* The fallback only: next_at stays 0, so the first call lists. */
    sw_strv_release(&d->streams);
    d->streams = sv;
    sv.v = NULL;
    sv.n = 0;
    d->have_list = 1;
    d->fetched_at = at;
    d->unsaved = 0;
out:
    sw_strv_release(&sv);
    sw_buf_release(&b);
    return r;
}

int
sw_discover_save(struct sw_discover *d, char *err, size_t errlen)
{
    json_t *root = NULL, *list = NULL;
    char when[SW_TIME_BUF];
    char *text = NULL;
    int r = 0, failed = 0;

    if (err && errlen)
        err[0] = '\0';
    if (!d || !d->dir || !d->unsaved || !d->have_list)
        return 0;
    r = SW_ENOMEM;
    root = json_object();
    list = json_array();
    if (!root || !list)
        goto out;
    for (size_t i = 0; !failed && i < d->streams.n; i++)
        if (json_array_append_new(list, json_string(d->streams.v[i])) < 0)
            failed = 1;
    sw_json_set_new(root, "version", json_integer(FILE_VERSION), &failed);
    sw_json_set_new(root, "fetched_at",
                    json_string(sw_time_rfc3339(d->fetched_at, when)), &failed);
    sw_json_set_new(root, "streams", list, &failed);
    list = NULL;
    if (failed)
        goto out;
    text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text)
        goto out;
    r = sw_file_replace(d->dir, SW_DISCOVER_FILE, NULL, text, 0640, err,
                        errlen);
    if (r == 0)
        d->unsaved = 0;
out:
    if (r == SW_ENOMEM)
        sw_err_set(err, errlen, "%s/%s: out of memory", d->dir,
                   SW_DISCOVER_FILE);
    free(text);
    json_decref(list);
    json_decref(root);
    return r;
}

/* --- expansion --- */

void
sw_discover_rules_free(struct sw_rule **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        sw_rule_free(v[i]);
    free(v);
}

static int
has_pattern(const struct sw_rule *t)
{
    for (size_t i = 0; i < t->streams.n; i++)
        if (sw_stream_is_pattern(t->streams.v[i]))
            return 1;
    return 0;
}

static int
dims_within(const struct sw_dimension *d, size_t n, size_t max)
{
    for (size_t i = 0; i < n; i++)
        if (d[i].value && strlen(d[i].value) > max)
            return 0;
    return 1;
}

/* agent/conf checked the template against CloudWatch's limits with the
 * placeholder in place; a long stream name can push a substituted value
 * over them, which PutMetricAlarm (sync) would refuse. */
static int
within_limits(const struct sw_rule *r)
{
    size_t n = r->name ? strlen(r->name) : 0;

    if (n < 1 || n > ALARM_NAME_MAX || sw_str_has_ctl(r->name, n))
        return 0;
    if (r->description && strlen(r->description) > DESCRIPTION_MAX)
        return 0;
    if (!dims_within(r->dims, r->ndims, DIM_VALUE_MAX) ||
        !dims_within(r->labels, r->nlabels, LABEL_VALUE_MAX))
        return 0;
    for (size_t i = 0; i < r->nmetrics; i++)
        if (!dims_within(r->metrics[i].dims, r->metrics[i].ndims,
                         DIM_VALUE_MAX))
            return 0;
    return 1;
}

struct named {
    const char *name;
    size_t idx;
};

static int
cmp_named(const void *a, const void *b)
{
    const struct named *x = a, *y = b;
    int c = strcmp(x->name, y->name);

    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Drop all but the first of each alarm name from V[0..*n-1], keeping the
 * order: two templates may name their alarms alike. */
static int
drop_duplicates(struct sw_rule **v, size_t *n)
{
    struct named *s;
    size_t k = 0;

    if (*n < 2)
        return 0;
    s = malloc(*n * sizeof(*s));
    if (!s)
        return SW_ENOMEM;
    for (size_t i = 0; i < *n; i++) {
        s[i].name = v[i]->name;
        s[i].idx = i;
    }
    qsort(s, *n, sizeof(*s), cmp_named);
    for (size_t i = 1; i < *n; i++) {
        if (!strcmp(s[i - 1].name, s[i].name)) {
            /* The later one goes; NULL marks it for the compaction. */
            sw_rule_free(v[s[i].idx]);
            v[s[i].idx] = NULL;
        }
    }
    free(s);
    for (size_t i = 0; i < *n; i++)
        if (v[i])
            v[k++] = v[i];
    *n = k;
    return 0;
}

int
sw_discover_expand(const struct sw_rule *const *templates, size_t ntemplates,
                   const struct sw_strv *streams,
                   const char *const *existing_names, size_t nexisting,
                   struct sw_rule ***out, size_t *nout)
{
    const char **existing = NULL;
    struct sw_rule **v = NULL;
    size_t n = 0, alloc = 0;
    int r = SW_ENOMEM, skipped = 0;

    if (!out || !nout)
        return SW_EINVAL;
    *out = NULL;
    *nout = 0;
    if ((!templates && ntemplates) || (!existing_names && nexisting))
        return SW_EINVAL;
    if (!streams || !streams->n || !ntemplates)
        return 0;
    /* Sorted once, so each candidate is a binary search: 10,000 streams
     * times a few templates against a few thousand configured alarms. */
    if (nexisting) {
        existing = malloc(nexisting * sizeof(*existing));
        if (!existing)
            goto out;
        memcpy(existing, existing_names, nexisting * sizeof(*existing));
        qsort(existing, nexisting, sizeof(*existing), cmp_str);
    }
    for (size_t t = 0; t < ntemplates; t++) {
        const struct sw_rule *tmpl = templates[t];

        if (!tmpl || !has_pattern(tmpl))
            continue;
        for (size_t i = 0; i < streams->n; i++) {
            struct sw_rule *a = NULL;
            int ir;

            if (!sw_template_wants_stream(tmpl, streams->v[i]))
                continue;
            ir = sw_rule_instantiate(tmpl, streams->v[i], &a);
            if (ir == SW_ENOMEM)
                goto out;
            if (ir < 0 || !a || !within_limits(a)) {
                sw_rule_free(a);
                skipped++;
                continue;
            }
            if (existing && bsearch(&a->name, existing, nexisting,
                                    sizeof(*existing), cmp_str)) {
                sw_rule_free(a);
                continue;
            }
            if (n == alloc) {
                size_t na = alloc ? 2 * alloc : 16;
                struct sw_rule **nv = realloc(v, na * sizeof(*nv));

                if (!nv) {
                    sw_rule_free(a);
                    goto out;
                }
                v = nv;
                alloc = na;
            }
            v[n++] = a;
        }
    }
    r = drop_duplicates(v, &n);
    if (r < 0)
        goto out;
    if (n) {
        *out = v;
        *nout = n;
        v = NULL;
        n = 0;
    }
    r = skipped;
out:
    sw_discover_rules_free(v, n);
    free(existing);
    return r;
}
