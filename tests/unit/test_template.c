/* tests/unit/test_template.c - rules/template: stream names, patterns,
 * "{stream}" substitution and the deep copies behind templated rules.
 *
 * The copies are checked field by field and freed independently of their
 * original, so ASan and valgrind see any pointer the two would share.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* After the four above, which it needs and does not include. */
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/metric.h"
#include "lib/str.h"
#include "rules/rule.h"
#include "rules/template.h"

static char *
xstrdup(const char *s)
{
    char *d = sw_strdup(s);

    assert_non_null(d);
    return d;
}

static struct sw_dimension *
dims2(const char *n1, const char *v1, const char *n2, const char *v2)
{
    struct sw_dimension *d = calloc(2, sizeof(*d));

    assert_non_null(d);
    d[0].name = xstrdup(n1);
    d[0].value = xstrdup(v1);
    d[1].name = xstrdup(n2);
    d[1].value = xstrdup(v2);
    return d;
}

/* A template with every field set, "{stream}" wherever it may be. */
static struct sw_rule *
make_template(void)
{
    struct sw_rule *r = sw_rule_new();
    struct sw_metric_stat *m;

    assert_non_null(r);
    r->name = xstrdup("{stream}-behind");
    r->description = xstrdup("{stream} lags ({stream})");
    r->namespace_ = xstrdup("AWS/{stream}"); /* never substituted */
    r->metric = xstrdup("IncomingRecords");
    r->dims = dims2("StreamName", "{stream}", "Other", "fixed");
    r->ndims = 2;
    r->stat = xstrdup("p99");
    r->unit = xstrdup("Count");
    r->period_s = 60;
    r->threshold = 1000.0;
    r->cmp = SW_CMP_GE;
    r->evaluation_periods = 5;
    r->datapoints_to_alarm = 3;
    r->evaluation_range = 9;
    r->tmd = SW_TMD_BREACHING;
    assert_int_equal(sw_strv_push(&r->alarm_actions, "pager"), 0);
    assert_int_equal(sw_strv_push(&r->alarm_actions, "chat"), 0);
    assert_int_equal(sw_strv_push(&r->ok_actions, "chat"), 0);
    assert_int_equal(sw_strv_push(&r->insufficient_data_actions, "{stream}"),
                     0);
    r->actions_enabled = 0;
    r->sync = 1;
    r->line = 42;
    r->metrics = calloc(2, sizeof(*r->metrics));
    assert_non_null(r->metrics);
    r->nmetrics = 2;
    m = &r->metrics[0];
    m->id = xstrdup("w");
    m->namespace_ = xstrdup("AWS/Kinesis");
    m->metric = xstrdup("IncomingRecords");
    m->dims = dims2("StreamName", "{stream}", "Consumer", "c-{stream}-x");
    m->ndims = 2;
    m->stat = xstrdup("Sum");
    m->unit = NULL;
    m = &r->metrics[1];
    m->id = xstrdup("r");
    m->namespace_ = xstrdup("AWS/Kinesis");
    m->metric = xstrdup("GetRecords.Records");
    m->stat = xstrdup("Sum");
    m->unit = xstrdup("Count");
    r->expression = xstrdup("w - FILL(r, 0)");
    r->low_sample_ignore = 1;
    r->repeat_interval_s = 600;
    r->labels = dims2("stream", "{stream}", "team", "data");
    r->nlabels = 2;
    assert_int_equal(sw_strv_push(&r->streams, "orders"), 0);
    assert_int_equal(sw_strv_push(&r->streams, "clicks-*"), 0);
    return r;
}

static void
test_is_pattern(void **state)
{
    (void)state;
    assert_int_equal(sw_stream_is_pattern("orders"), 0);
    assert_int_equal(sw_stream_is_pattern("clicks-*"), 1);
    assert_int_equal(sw_stream_is_pattern("x?"), 1);
    assert_int_equal(sw_stream_is_pattern("a[1]"), 0); /* not ours */
    assert_int_equal(sw_stream_is_pattern(""), 0);
    assert_int_equal(sw_stream_is_pattern(NULL), 0);
}

static void
test_check(void **state)
{
    char name[130];

    (void)state;
    assert_int_equal(sw_stream_check("orders", 0), 0);
    assert_int_equal(sw_stream_check("Audit.log_v2-EU", 0), 0);
    assert_int_equal(sw_stream_check("-", 0), 0);
    assert_int_equal(sw_stream_check("", 0), SW_EINVAL);
    assert_int_equal(sw_stream_check(NULL, 0), SW_EINVAL);
    assert_int_equal(sw_stream_check("has space", 0), SW_EINVAL);
    assert_int_equal(sw_stream_check("a/b", 0), SW_EINVAL);
    assert_int_equal(sw_stream_check("caf\xc3\xa9", 0), SW_EINVAL);
    assert_int_equal(sw_stream_check("line\n", 0), SW_EINVAL);
    /* Wildcards only when asked for. */
    assert_int_equal(sw_stream_check("clicks-*", 0), SW_EINVAL);
    assert_int_equal(sw_stream_check("clicks-*", 1), 0);
    assert_int_equal(sw_stream_check("?", 1), 0);
    assert_int_equal(sw_stream_check("*", 1), 0);
    /* No other glob syntax. */
    assert_int_equal(sw_stream_check("a[0-9]", 1), SW_EINVAL);
    assert_int_equal(sw_stream_check("a{b,c}", 1), SW_EINVAL);
    assert_int_equal(sw_stream_check("a\\*", 1), SW_EINVAL);
    assert_int_equal(sw_stream_check("!a", 1), SW_EINVAL);
    /* 1 to 128 characters. */
    memset(name, 'a', 128);
    name[128] = '\0';
    assert_int_equal(sw_stream_check(name, 0), 0);
    name[128] = 'a';
    name[129] = '\0';
    assert_int_equal(sw_stream_check(name, 0), SW_EINVAL);
    assert_int_equal(sw_stream_check(name, 1), SW_EINVAL);
}

static void
test_pattern_match(void **state)
{
    (void)state;
    assert_int_equal(sw_stream_pattern_match("clicks-*", "clicks-eu"), 1);
    assert_int_equal(sw_stream_pattern_match("clicks-*", "clicks-"), 1);
    assert_int_equal(sw_stream_pattern_match("clicks-*", "clicks"), 0);
    assert_int_equal(sw_stream_pattern_match("clicks-*", "my-clicks-eu"), 0);
    assert_int_equal(sw_stream_pattern_match("*-clicks", "eu-clicks"), 1);
    assert_int_equal(sw_stream_pattern_match("*", "anything.at_all-1"), 1);
    assert_int_equal(sw_stream_pattern_match("a*b*c", "a-x-b-y-c"), 1);
    assert_int_equal(sw_stream_pattern_match("a*b*c", "a-x-c-y-b"), 0);
    assert_int_equal(sw_stream_pattern_match("x?", "x1"), 1);
    assert_int_equal(sw_stream_pattern_match("x?", "x"), 0);
    assert_int_equal(sw_stream_pattern_match("x?", "x12"), 0);
    assert_int_equal(sw_stream_pattern_match("??", "ab"), 1);
    /* Case-sensitive, as stream names are. */
    assert_int_equal(sw_stream_pattern_match("Orders*", "orders"), 0);
    /* A dot is an ordinary character, even first. */
    assert_int_equal(sw_stream_pattern_match("*", ".hidden"), 1);
    assert_int_equal(sw_stream_pattern_match("a.b", "a.b"), 1);
    assert_int_equal(sw_stream_pattern_match("a.b", "axb"), 0);
    /* A literal name is a pattern that matches itself. */
    assert_int_equal(sw_stream_pattern_match("orders", "orders"), 1);
    /* What fnmatch() would read as a class matches nothing here. */
    assert_int_equal(sw_stream_pattern_match("a[bc]", "ab"), 0);
    assert_int_equal(sw_stream_pattern_match("a[bc]", "a[bc]"), 0);
    assert_int_equal(sw_stream_pattern_match("", ""), 0);
    assert_int_equal(sw_stream_pattern_match(NULL, "x"), 0);
    assert_int_equal(sw_stream_pattern_match("*", NULL), 0);
}

static void
test_wants_stream(void **state)
{
    struct sw_rule *t = make_template();
    struct sw_rule *lit = sw_rule_new();

    (void)state;
    /* streams: "orders", "clicks-*" */
    assert_int_equal(sw_template_wants_stream(t, "clicks-eu"), 1);
    assert_int_equal(sw_template_wants_stream(t, "orders"), 0);
    assert_int_equal(sw_template_wants_stream(t, "payments"), 0);
    /* A literal name that a pattern also matches has its alarm already. */
    assert_int_equal(sw_strv_push(&t->streams, "clicks-us"), 0);
    assert_int_equal(sw_template_wants_stream(t, "clicks-us"), 0);
    /* Names from outside are checked before anything is matched. */
    assert_int_equal(sw_template_wants_stream(t, "clicks-e u"), 0);
    assert_int_equal(sw_template_wants_stream(t, ""), 0);
    assert_int_equal(sw_template_wants_stream(NULL, "clicks-eu"), 0);
    /* Without a pattern, nothing is wanted at run time. */
    assert_non_null(lit);
    assert_int_equal(sw_strv_push(&lit->streams, "orders"), 0);
    assert_int_equal(sw_template_wants_stream(lit, "orders"), 0);
    assert_int_equal(sw_template_wants_stream(lit, "other"), 0);
    sw_rule_free(lit);
    sw_rule_free(t);
}

static void
test_subst(void **state)
{
    char *s = (char *)1;

    (void)state;
    assert_int_equal(sw_template_subst("{stream}-behind", "orders", &s), 0);
    assert_string_equal(s, "orders-behind");
    free(s);
    assert_int_equal(sw_template_subst("a{stream}b{stream}{stream}c", "xy", &s),
                     0);
    assert_string_equal(s, "axybxyxyc");
    free(s);
    assert_int_equal(sw_template_subst("no placeholder", "orders", &s), 0);
    assert_string_equal(s, "no placeholder");
    free(s);
    /* Near misses stay as they are. */
    assert_int_equal(sw_template_subst("{strea}{Stream}{stream", "o", &s), 0);
    assert_string_equal(s, "{strea}{Stream}{stream");
    free(s);
    /* A longer and a shorter replacement than the placeholder. */
    assert_int_equal(
        sw_template_subst("{stream}", "a-very-long-stream-name", &s), 0);
    assert_string_equal(s, "a-very-long-stream-name");
    free(s);
    assert_int_equal(sw_template_subst("[{stream}]", "", &s), 0);
    assert_string_equal(s, "[]");
    free(s);
    assert_int_equal(sw_template_subst("", "x", &s), 0);
    assert_string_equal(s, "");
    free(s);
    assert_int_equal(sw_template_subst(NULL, "x", &s), 0);
    assert_null(s);
}

static void
assert_dims_equal(const struct sw_dimension *a, const struct sw_dimension *b,
                  size_t n)
{
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(a[i].name, b[i].name);
        assert_string_equal(a[i].value, b[i].value);
        assert_ptr_not_equal(a[i].name, b[i].name);
        assert_ptr_not_equal(a[i].value, b[i].value);
    }
}

static void
assert_strv_equal(const struct sw_strv *a, const struct sw_strv *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_string_equal(a->v[i], b->v[i]);
        assert_ptr_not_equal(a->v[i], b->v[i]);
    }
}

static void
test_dup(void **state)
{
    struct sw_rule *t = make_template(), *d = (struct sw_rule *)1;

    (void)state;
    t->stream = xstrdup("kept");
    t->template_name = xstrdup("tmpl");
    assert_int_equal(sw_rule_dup(t, &d), 0);
    assert_non_null(d);
    assert_string_equal(d->name, t->name);
    assert_ptr_not_equal(d->name, t->name);
    assert_string_equal(d->description, t->description);
    assert_string_equal(d->namespace_, t->namespace_);
    assert_string_equal(d->metric, t->metric);
    assert_int_equal(d->ndims, 2);
    assert_dims_equal(d->dims, t->dims, 2);
    assert_string_equal(d->stat, t->stat);
    assert_string_equal(d->unit, t->unit);
    assert_int_equal(d->period_s, 60);
    assert_true(d->threshold == 1000.0);
    assert_int_equal(d->cmp, SW_CMP_GE);
    assert_int_equal(d->evaluation_periods, 5);
    assert_int_equal(d->datapoints_to_alarm, 3);
    assert_int_equal(d->evaluation_range, 9);
    assert_int_equal(d->tmd, SW_TMD_BREACHING);
    assert_strv_equal(&d->alarm_actions, &t->alarm_actions);
    assert_strv_equal(&d->ok_actions, &t->ok_actions);
    assert_strv_equal(&d->insufficient_data_actions,
                      &t->insufficient_data_actions);
    assert_int_equal(d->actions_enabled, 0);
    assert_int_equal(d->sync, 1);
    assert_int_equal(d->line, 42);
    assert_int_equal(d->nmetrics, 2);
    assert_ptr_not_equal(d->metrics, t->metrics);
    for (size_t i = 0; i < 2; i++) {
        const struct sw_metric_stat *a = &d->metrics[i], *b = &t->metrics[i];
        assert_string_equal(a->id, b->id);
        assert_string_equal(a->namespace_, b->namespace_);
        assert_string_equal(a->metric, b->metric);
        assert_string_equal(a->stat, b->stat);
        assert_int_equal(a->ndims, b->ndims);
        assert_dims_equal(a->dims, b->dims, a->ndims);
    }
    assert_null(d->metrics[0].unit);
    assert_string_equal(d->metrics[1].unit, "Count");
    assert_null(d->metrics[1].dims);
    assert_string_equal(d->expression, t->expression);
    assert_int_equal(d->low_sample_ignore, 1);
    assert_int_equal(d->repeat_interval_s, 600);
    assert_int_equal(d->nlabels, 2);
    assert_dims_equal(d->labels, t->labels, 2);
    assert_strv_equal(&d->streams, &t->streams);
    assert_string_equal(d->stream, "kept");
    assert_string_equal(d->template_name, "tmpl");
    /* Freed apart: nothing shared. */
    sw_rule_free(t);
    sw_rule_free(d);

    /* An empty rule copies to an empty rule. */
    t = sw_rule_new();
    assert_non_null(t);
    assert_int_equal(sw_rule_dup(t, &d), 0);
    assert_null(d->name);
    assert_null(d->dims);
    assert_null(d->metrics);
    assert_null(d->labels);
    assert_int_equal(d->streams.n, 0);
    assert_int_equal(d->actions_enabled, 1);
    sw_rule_free(t);
    sw_rule_free(d);
}

static void
test_instantiate(void **state)
{
    struct sw_rule *t = make_template(), *a = (struct sw_rule *)1;

    (void)state;
    assert_int_equal(sw_rule_instantiate(t, "orders", &a), 0);
    assert_non_null(a);
    /* Substituted: name, description, dimension values of the rule and
     * of each metric, label values. */
    assert_string_equal(a->name, "orders-behind");
    assert_string_equal(a->description, "orders lags (orders)");
    assert_string_equal(a->dims[0].name, "StreamName");
    assert_string_equal(a->dims[0].value, "orders");
    assert_string_equal(a->dims[1].value, "fixed");
    assert_string_equal(a->metrics[0].dims[0].value, "orders");
    assert_string_equal(a->metrics[0].dims[1].name, "Consumer");
    assert_string_equal(a->metrics[0].dims[1].value, "c-orders-x");
    assert_int_equal(a->metrics[1].ndims, 0);
    assert_string_equal(a->labels[0].name, "stream");
    assert_string_equal(a->labels[0].value, "orders");
    assert_string_equal(a->labels[1].value, "data");
    /* Not substituted: what names the metric, and the actions. */
    assert_string_equal(a->namespace_, "AWS/{stream}");
    assert_string_equal(a->metric, "IncomingRecords");
    assert_string_equal(a->expression, "w - FILL(r, 0)");
    assert_string_equal(a->insufficient_data_actions.v[0], "{stream}");
    assert_string_equal(a->metrics[0].id, "w");
    /* An alarm, not a template. */
    assert_int_equal(a->streams.n, 0);
    assert_null(a->streams.v);
    assert_string_equal(a->stream, "orders");
    assert_string_equal(a->template_name, "{stream}-behind");
    /* Everything else as in the template. */
    assert_int_equal(a->period_s, 60);
    assert_int_equal(a->evaluation_range, 9);
    assert_int_equal(a->tmd, SW_TMD_BREACHING);
    assert_int_equal(a->sync, 1);
    assert_int_equal(a->line, 42);
    assert_int_equal(a->low_sample_ignore, 1);
    assert_int_equal(a->repeat_interval_s, 600);
    assert_int_equal(a->alarm_actions.n, 2);
    /* The template is untouched. */
    assert_string_equal(t->name, "{stream}-behind");
    assert_string_equal(t->dims[0].value, "{stream}");
    assert_int_equal(t->streams.n, 2);
    sw_rule_free(a);

    /* Only stream names, never patterns or anything from outside. */
    a = (struct sw_rule *)1;
    assert_int_equal(sw_rule_instantiate(t, "clicks-*", &a), SW_EINVAL);
    assert_null(a);
    a = (struct sw_rule *)1;
    assert_int_equal(sw_rule_instantiate(t, "a\nb", &a), SW_EINVAL);
    assert_null(a);
    a = (struct sw_rule *)1;
    assert_int_equal(sw_rule_instantiate(t, NULL, &a), SW_EINVAL);
    assert_null(a);
    sw_rule_free(t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_pattern),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_pattern_match),
        cmocka_unit_test(test_wants_stream),
        cmocka_unit_test(test_subst),
        cmocka_unit_test(test_dup),
        cmocka_unit_test(test_instantiate),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
