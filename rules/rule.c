/* rules/rule.c - the rule model; see rule.h. */
#include "config.h"

#include "rules/rule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"

struct sw_rule *
sw_rule_new(void)
{
    struct sw_rule *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    r->cmp = SW_CMP_GT;
    r->tmd = SW_TMD_MISSING;
    r->actions_enabled = 1;
    return r;
}

void
sw_rule_free(struct sw_rule *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->description);
    free(r->namespace_);
    free(r->metric);
    for (size_t i = 0; i < r->ndims; i++) {
        free(r->dims[i].name);
        free(r->dims[i].value);
    }
    free(r->dims);
    free(r->stat);
    free(r->unit);
    for (size_t i = 0; i < r->nmetrics; i++) {
        struct sw_metric_stat *m = &r->metrics[i];
        free(m->id);
        free(m->namespace_);
        free(m->metric);
        for (size_t j = 0; j < m->ndims; j++) {
            free(m->dims[j].name);
            free(m->dims[j].value);
        }
        free(m->dims);
        free(m->stat);
        free(m->unit);
    }
    free(r->metrics);
    free(r->expression);
    for (size_t i = 0; i < r->nlabels; i++) {
        free(r->labels[i].name);
        free(r->labels[i].value);
    }
    free(r->labels);
    sw_strv_release(&r->streams);
    free(r->stream);
    free(r->template_name);
    sw_strv_release(&r->alarm_actions);
    sw_strv_release(&r->ok_actions);
    sw_strv_release(&r->insufficient_data_actions);
    free(r);
}

int
sw_rule_eval_range(const struct sw_rule *r)
{
    int n = r->evaluation_periods, extra = n / 3;

    if (r->evaluation_range > 0)
        return r->evaluation_range;
    return n + (extra > 2 ? extra : 2);
}

int
sw_rule_is_math(const struct sw_rule *r)
{
    return r->nmetrics > 0 && r->metrics && r->expression;
}

void
sw_rule_expression_id(const struct sw_rule *r, char out[SW_RULE_EXPR_ID_BUF])
{
    for (int k = 1; k < 1000; k++) {
        int used = 0;

        (void)snprintf(out, SW_RULE_EXPR_ID_BUF, "e%d", k);
        for (size_t i = 0; i < r->nmetrics && !used; i++)
            used = r->metrics[i].id && strcmp(r->metrics[i].id, out) == 0;
        if (!used)
            return;
    }
}

static const char *const state_names[] = {"INSUFFICIENT_DATA", "OK", "ALARM"};
static const char *const cmp_names[] = {
    "GreaterThanThreshold", "GreaterThanOrEqualToThreshold",
    "LessThanThreshold", "LessThanOrEqualToThreshold"};
static const char *const tmd_names[] = {"missing", "ignore", "breaching",
                                        "notBreaching"};

#define NAMEOF(tab, i)                                                         \
    ((size_t)(i) < sizeof(tab) / sizeof((tab)[0]) ? (tab)[i] : "?")

const char *
sw_state_name(enum sw_state s)
{
    return NAMEOF(state_names, s);
}

const char *
sw_cmp_name(enum sw_cmp c)
{
    return NAMEOF(cmp_names, c);
}

const char *
sw_tmd_name(enum sw_tmd t)
{
    return NAMEOF(tmd_names, t);
}

static int
lookup(const char *const *tab, size_t n, const char *s)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(tab[i], s) == 0)
            return (int)i;
    return -1;
}

#define LOOKUP(tab, s) lookup(tab, sizeof(tab) / sizeof((tab)[0]), s)

int
sw_state_parse(const char *s, enum sw_state *out)
{
    int i = LOOKUP(state_names, s);

    if (i < 0)
        return SW_EINVAL;
    *out = (enum sw_state)i;
    return 0;
}

int
sw_cmp_parse(const char *s, enum sw_cmp *out)
{
    int i = LOOKUP(cmp_names, s);

    if (i < 0)
        return SW_EINVAL;
    *out = (enum sw_cmp)i;
    return 0;
}

int
sw_tmd_parse(const char *s, enum sw_tmd *out)
{
    int i = LOOKUP(tmd_names, s);

    if (i < 0)
        return SW_EINVAL;
    *out = (enum sw_tmd)i;
    return 0;
}

int
sw_cmp_breaches(enum sw_cmp c, double value, double threshold)
{
    switch (c) {
    case SW_CMP_GT: return value > threshold;
    case SW_CMP_GE: return value >= threshold;
    case SW_CMP_LT: return value < threshold;
    case SW_CMP_LE: return value <= threshold;
    }
    return 0;
}

const char *
sw_cmp_symbol(enum sw_cmp c)
{
    switch (c) {
    case SW_CMP_GT: return ">";
    case SW_CMP_GE: return ">=";
    case SW_CMP_LT: return "<";
    case SW_CMP_LE: return "<=";
    }
    return "?";
}
