/* agent/conf_templates.c - templated rules: 'streams', the alarms of the
 * literal stream names, and sw_conf_instantiate() for the names that
 * ListStreams finds at run time; see conf.h and conf_int.h.
 *
 * A template is a rule whose name and dimensions hold {stream}
 * (rules/template.h substitutes it).  Its alarms must still satisfy what
 * PutMetricAlarm and GetMetricStatistics allow once the name is in place,
 * which only the stream says: check_alarm() is that check, the same for
 * the load and for the running agent.
 */
#include "config.h"

#include "agent/conf.h"

#include <stdlib.h>
#include <string.h>

#include "agent/conf_int.h"
#include "agent/conf_schema.h"
#include "lib/err.h"
#include "lib/str.h"
#include "lib/utf8.h"
#include "rules/rule.h"
#include "rules/template.h"

int
conf_load_streams(struct conf_scope *sc, const struct conf_key *k,
                  const struct conf_value *v, void *base)
{
    struct sw_strv *streams = (struct sw_strv *)(void *)((char *)base + k->off);
    const config_setting_t *e, *pe;
    int n = config_setting_length(v->s);

    if (n < 1 || n > k->max) {
        conf_serr(sc, v->s,
                  "'%s' must list 1 to %ld stream names or patterns, not %d",
                  k->name, k->max, n);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        const char *s = conf_elem_str(v->s, i, &e);
        int dupl = 0;

        for (int j = 0; j < i && !dupl; j++)
            dupl = strcmp(conf_elem_str(v->s, j, &pe), s) == 0;
        if (dupl) {
            conf_serr(sc, e, "'%s': '%s' is listed twice", k->name, s);
            continue;
        }
        if (sw_stream_check(s, 1) == 0) {
            if (sw_strv_push(streams, s) < 0)
                sc->x->oom = 1;
            continue;
        }
        /* Someone who wrote a class or a brace expects a glob: say which
         * of its features exist. */
        if (strpbrk(s, "*?[]{}!\\"))
            conf_serr(sc, e,
                      "'%s': pattern '%s' may use only '*' and '?' with "
                      "letters, digits, '_', '.' and '-' (at most %d "
                      "characters)",
                      k->name, s, SW_STREAM_NAME_MAX);
        else
            conf_serr(sc, e,
                      "'%s': '%s' is not a Kinesis stream name: 1 to %d "
                      "letters, digits, '_', '.' or '-'",
                      k->name, s, SW_STREAM_NAME_MAX);
    }
    return 1;
}

int
conf_uses_stream(const struct sw_rule *r)
{
    for (size_t i = 0; i < r->ndims; i++)
        if (strstr(r->dims[i].value, SW_STREAM_PLACEHOLDER))
            return 1;
    for (size_t i = 0; i < r->nmetrics; i++)
        for (size_t j = 0; j < r->metrics[i].ndims; j++)
            if (strstr(r->metrics[i].dims[j].value, SW_STREAM_PLACEHOLDER))
                return 1;
    return 0;
}

/* check_alarm - what an alarm made from a template must still satisfy
 * once "{stream}" is replaced: PutMetricAlarm's and GetMetricStatistics'
 * lengths, and sync.name_prefix.  Returns 0, or SW_EINVAL with ERR set. */
static int
check_alarm(const struct sw_conf *c, const struct sw_rule *a, char *err,
            size_t errlen)
{
    const char *s = a->stream;
    long n = sw_utf8_count(a->name, strlen(a->name));

    if (n > 255) {
        sw_err_set(err, errlen,
                   "stream '%s': the alarm name would be %ld characters "
                   "long, more than 255",
                   s, n);
        return SW_EINVAL;
    }
    n = a->description ? sw_utf8_count(a->description, strlen(a->description))
                       : 0;
    if (n > 1024) {
        sw_err_set(err, errlen,
                   "stream '%s': 'description' would be %ld characters "
                   "long, more than 1024",
                   s, n);
        return SW_EINVAL;
    }
    for (size_t i = 0; i < a->ndims; i++) {
        if (strlen(a->dims[i].value) > 1024) {
            sw_err_set(err, errlen,
                       "stream '%s': dimension '%s' would be longer than "
                       "1024 characters",
                       s, a->dims[i].name);
            return SW_EINVAL;
        }
    }
    for (size_t i = 0; i < a->nmetrics; i++) {
        const struct sw_metric_stat *m = &a->metrics[i];
        for (size_t j = 0; j < m->ndims; j++) {
            if (strlen(m->dims[j].value) > 1024) {
                sw_err_set(err, errlen,
                           "stream '%s': metric '%s': dimension '%s' would "
                           "be longer than 1024 characters",
                           s, m->id, m->dims[j].name);
                return SW_EINVAL;
            }
        }
    }
    for (size_t i = 0; i < a->nlabels; i++) {
        if (sw_utf8_count(a->labels[i].value, strlen(a->labels[i].value)) >
            1024) {
            sw_err_set(err, errlen,
                       "stream '%s': label '%s' would be longer than 1024 "
                       "characters",
                       s, a->labels[i].name);
            return SW_EINVAL;
        }
    }
    if (a->sync && c->sync.name_prefix &&
        !sw_str_has_prefix(a->name, c->sync.name_prefix)) {
        sw_err_set(err, errlen,
                   "stream '%s': alarm '%s' is synced, so its name must "
                   "start with sync.name_prefix '%s'",
                   s, a->name, c->sync.name_prefix);
        return SW_EINVAL;
    }
    return 0;
}

int
sw_conf_instantiate(const struct sw_conf *c, const struct sw_rule *tmpl,
                    const char *stream, struct sw_rule **out, char *err,
                    size_t errlen)
{
    struct sw_rule *a = NULL;
    int r;

    *out = NULL;
    sw_err_set(err, errlen, "%s", "");
    r = sw_rule_instantiate(tmpl, stream, &a);
    if (r == SW_EINVAL) {
        /* The name came from outside: not echoed, it may hold anything. */
        sw_err_set(err, errlen,
                   "not a Kinesis stream name (1 to %d letters, digits, "
                   "'_', '.' or '-')",
                   SW_STREAM_NAME_MAX);
        goto out;
    }
    if (r < 0)
        goto out;
    r = check_alarm(c, a, err, errlen);
    if (r < 0)
        goto out;
    *out = a;
    a = NULL;
out:
    sw_rule_free(a);
    return r;
}

/* stream_elem - the element of the template's 'streams' that reads
 * STREAM, for its line. */
static const config_setting_t *
stream_elem(struct conf_scope *sc, const char *stream)
{
    const config_setting_t *s = conf_get(sc, "streams"), *e = s;

    for (int i = 0; s && i < config_setting_length(s); i++)
        if (strcmp(conf_elem_str(s, i, &e), stream) == 0)
            return e;
    return s;
}

void
conf_expand(struct conf_scope *sc, struct sw_rule *t)
{
    struct conf_ctx *x = sc->x;
    struct sw_conf *c = x->c;
    int patterns = 0;
    char err[1024];

    for (size_t i = 0; i < t->streams.n && !x->oom; i++) {
        const char *stream = t->streams.v[i];
        const config_setting_t *e;
        struct sw_rule *a;
        char *first;
        int k, r;

        if (sw_stream_is_pattern(stream)) {
            patterns = 1;
            continue;
        }
        e = stream_elem(sc, stream);
        r = sw_conf_instantiate(c, t, stream, &a, err, sizeof(err));
        if (r == SW_ENOMEM) {
            x->oom = 1;
            break;
        }
        if (r < 0) {
            conf_serr(sc, e, "%s", err);
            continue;
        }
        k = conf_find_rule(x, a->name);
        if (k >= 0) {
            first = conf_first_defined(x, &x->rseen[k], conf_file_of(x, e));
            if (first)
                conf_serr(sc, e,
                          "stream '%s': duplicate alarm name '%s' (first "
                          "defined at %s)",
                          stream, a->name, first);
            free(first);
            sw_rule_free(a);
            continue;
        }
        if (conf_push_rule(x, &c->rules, &c->nrules, a) < 0)
            break;
        conf_note_rule(x, a->name, conf_file_of(x, e), conf_line_of(e),
                       a->stream);
    }
    if (patterns && !x->oom)
        (void)conf_push_rule(x, &c->templates, &c->ntemplates, t);
    else
        sw_rule_free(t);
}
