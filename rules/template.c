/* rules/template.c - templated rules; see template.h. */
#include "config.h"

#include "rules/template.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/metric.h"
#include "lib/str.h"
#include "rules/rule.h"

static int
stream_char(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
}

int
sw_stream_is_pattern(const char *s)
{
    return s && strpbrk(s, "*?") != NULL;
}

int
sw_stream_check(const char *s, int allow_pattern)
{
    size_t n = 0;

    if (!s)
        return SW_EINVAL;
    for (; s[n]; n++) {
        int ch = (unsigned char)s[n];
        if (stream_char(ch))
            continue;
        if (allow_pattern && (ch == '*' || ch == '?'))
            continue;
        return SW_EINVAL;
    }
    return n >= 1 && n <= SW_STREAM_NAME_MAX ? 0 : SW_EINVAL;
}

int
sw_stream_pattern_match(const char *pattern, const char *stream)
{
    if (sw_stream_check(pattern, 1) < 0 || !stream)
        return 0;
    /* The alphabet check above leaves fnmatch() only '*' and '?' to
     * interpret; no flags: a stream name has no '/' and a leading '.' is
     * an ordinary character here. */
    return fnmatch(pattern, stream, 0) == 0;
}

int
sw_template_wants_stream(const struct sw_rule *tmpl, const char *stream)
{
    int matched = 0;

    if (!tmpl || sw_stream_check(stream, 0) < 0)
        return 0;
    for (size_t i = 0; i < tmpl->streams.n; i++) {
        const char *s = tmpl->streams.v[i];
        if (!sw_stream_is_pattern(s)) {
            if (strcmp(s, stream) == 0)
                return 0;
        } else if (sw_stream_pattern_match(s, stream)) {
            matched = 1;
        }
    }
    return matched;
}

int
sw_template_subst(const char *text, const char *stream, char **out)
{
    static const size_t plen = sizeof(SW_STREAM_PLACEHOLDER) - 1;
    size_t slen = strlen(stream), n = 0, len;
    const char *p, *q;
    char *d, *o;

    *out = NULL;
    if (!text)
        return 0;
    for (p = strstr(text, SW_STREAM_PLACEHOLDER); p;
         p = strstr(p + plen, SW_STREAM_PLACEHOLDER))
        n++;
    len = strlen(text);
    /* Both lengths are bounded by the config's size cap; the check keeps
     * the arithmetic honest for any caller. */
    if (slen > plen && n > (((size_t)-1) - len - 1) / (slen - plen))
        return SW_ENOMEM;
    o = malloc(len - n * plen + n * slen + 1);
    if (!o)
        return SW_ENOMEM;
    d = o;
    p = text;
    for (q = strstr(p, SW_STREAM_PLACEHOLDER); q;
         q = strstr(p, SW_STREAM_PLACEHOLDER)) {
        memcpy(d, p, (size_t)(q - p));
        d += q - p;
        /* The NUL comes with the rest of TEXT, copied after the loop.
         * NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
        memcpy(d, stream, slen);
        d += slen;
        p = q + plen;
    }
    memcpy(d, p, strlen(p) + 1);
    *out = o;
    return 0;
}

/* ---- deep copies ---- */

/* dup_str - *dst = copy of SRC (NULL stays NULL).  Returns 0 or
 * SW_ENOMEM. */
static int
dup_str(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    *dst = sw_strdup(src);
    return *dst ? 0 : SW_ENOMEM;
}

/* dup_dims - copy N dimensions (or labels), values through STREAM's
 * substitution when STREAM is not NULL.  *dst is NULL for N = 0. */
static int
dup_dims(struct sw_dimension **dst, const struct sw_dimension *src, size_t n,
         size_t *dn, const char *stream)
{
    struct sw_dimension *d;

    *dst = NULL;
    *dn = 0;
    if (n == 0)
        return 0;
    d = calloc(n, sizeof(*d));
    if (!d)
        return SW_ENOMEM;
    /* Set the count first: a partial copy is freed by sw_rule_free(). */
    *dst = d;
    *dn = n;
    for (size_t i = 0; i < n; i++) {
        if (dup_str(&d[i].name, src[i].name) < 0)
            return SW_ENOMEM;
        if (stream) {
            if (sw_template_subst(src[i].value, stream, &d[i].value) < 0)
                return SW_ENOMEM;
        } else if (dup_str(&d[i].value, src[i].value) < 0) {
            return SW_ENOMEM;
        }
    }
    return 0;
}

static int
dup_strv(struct sw_strv *dst, const struct sw_strv *src)
{
    memset(dst, 0, sizeof(*dst));
    for (size_t i = 0; i < src->n; i++)
        if (sw_strv_push(dst, src->v[i]) < 0)
            return SW_ENOMEM;
    return 0;
}

/* copy - R into D, which sw_rule_new() made; with STREAM, "{stream}" is
 * substituted where sw_rule_instantiate() says.  On failure D holds a
 * partial copy that sw_rule_free() releases. */
static int
copy(struct sw_rule *d, const struct sw_rule *r, const char *stream)
{
    /* Scalars first, then every pointer is replaced by a copy. */
    *d = *r;
    d->name = d->description = d->namespace_ = d->metric = NULL;
    d->stat = d->unit = d->expression = d->stream = d->template_name = NULL;
    d->dims = NULL;
    d->ndims = 0;
    d->metrics = NULL;
    d->nmetrics = 0;
    d->labels = NULL;
    d->nlabels = 0;
    memset(&d->alarm_actions, 0, sizeof(d->alarm_actions));
    memset(&d->ok_actions, 0, sizeof(d->ok_actions));
    memset(&d->insufficient_data_actions, 0,
           sizeof(d->insufficient_data_actions));
    memset(&d->streams, 0, sizeof(d->streams));

    if (stream) {
        if (sw_template_subst(r->name, stream, &d->name) < 0 ||
            sw_template_subst(r->description, stream, &d->description) < 0)
            return SW_ENOMEM;
    } else if (dup_str(&d->name, r->name) < 0 ||
               dup_str(&d->description, r->description) < 0) {
        return SW_ENOMEM;
    }
    if (dup_str(&d->namespace_, r->namespace_) < 0 ||
        dup_str(&d->metric, r->metric) < 0 || dup_str(&d->stat, r->stat) < 0 ||
        dup_str(&d->unit, r->unit) < 0 ||
        dup_str(&d->expression, r->expression) < 0 ||
        dup_dims(&d->dims, r->dims, r->ndims, &d->ndims, stream) < 0 ||
        dup_dims(&d->labels, r->labels, r->nlabels, &d->nlabels, stream) < 0 ||
        dup_strv(&d->alarm_actions, &r->alarm_actions) < 0 ||
        dup_strv(&d->ok_actions, &r->ok_actions) < 0 ||
        dup_strv(&d->insufficient_data_actions, &r->insufficient_data_actions) <
            0)
        return SW_ENOMEM;
    if (stream) {
        if (dup_str(&d->stream, stream) < 0 ||
            dup_str(&d->template_name, r->name) < 0)
            return SW_ENOMEM;
    } else if (dup_strv(&d->streams, &r->streams) < 0 ||
               dup_str(&d->stream, r->stream) < 0 ||
               dup_str(&d->template_name, r->template_name) < 0) {
        return SW_ENOMEM;
    }
    if (r->nmetrics > 0) {
        d->metrics = calloc(r->nmetrics, sizeof(*d->metrics));
        if (!d->metrics)
            return SW_ENOMEM;
        d->nmetrics = r->nmetrics;
        for (size_t i = 0; i < r->nmetrics; i++) {
            const struct sw_metric_stat *m = &r->metrics[i];
            struct sw_metric_stat *dm = &d->metrics[i];

            if (dup_str(&dm->id, m->id) < 0 ||
                dup_str(&dm->namespace_, m->namespace_) < 0 ||
                dup_str(&dm->metric, m->metric) < 0 ||
                dup_str(&dm->stat, m->stat) < 0 ||
                dup_str(&dm->unit, m->unit) < 0 ||
                dup_dims(&dm->dims, m->dims, m->ndims, &dm->ndims, stream) < 0)
                return SW_ENOMEM;
        }
    }
    return 0;
}

static int
dup_with(const struct sw_rule *r, const char *stream, struct sw_rule **out)
{
    struct sw_rule *d = sw_rule_new();
    int rc = SW_ENOMEM;

    *out = NULL;
    if (!d)
        goto out;
    if (copy(d, r, stream) < 0)
        goto out;
    *out = d;
    d = NULL;
    rc = 0;
out:
    sw_rule_free(d);
    return rc;
}

int
sw_rule_dup(const struct sw_rule *r, struct sw_rule **out)
{
    return dup_with(r, NULL, out);
}

int
sw_rule_instantiate(const struct sw_rule *tmpl, const char *stream,
                    struct sw_rule **out)
{
    *out = NULL;
    if (sw_stream_check(stream, 0) < 0)
        return SW_EINVAL;
    return dup_with(tmpl, stream, out);
}
