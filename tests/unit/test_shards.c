/* tests/unit/test_shards.c - agent/shards: the shard-count cache behind
 * SHARDS (refresh interval, the last good count kept on failure, a
 * failure with no count yet, retry spacing, invalidation, a clock stepped
 * back, pacing) with a scripted describer, and which stream a rule's
 * SHARDS means. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/discover.h"
#include "agent/shards.h"
#include "aws/client.h"
#include "aws/kinesis.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/str.h"
#include "rules/rule.h"

#define NOW 1764151200 /* 2025-11-26 10:00:00 UTC */

/* A shard count is a whole number held in a double: exact. */
#define assert_count(got, want) assert_true((got) == (double)(want))

/* What the scripted describer answers, call by call. */
struct script {
    int calls;
    char last[SW_KINESIS_NAME_MAX + 1]; /* the stream of the last call */
    int fail;   /* the next calls fail with this code (0: none) */
    int shards; /* else: this many open shards */
};

static int
scripted(void *arg, struct sw_aws *a, const char *stream,
         struct sw_kinesis_summary *out, struct sw_aws_error *err)
{
    struct script *s = arg;

    (void)a;
    s->calls++;
    sw_strlcpy(s->last, stream, sizeof(s->last));
    memset(err, 0, sizeof(*err));
    if (s->fail) {
        snprintf(err->code, sizeof(err->code), "ResourceNotFoundException");
        /* A control character must not reach the log line. */
        snprintf(err->message, sizeof(err->message),
                 "Stream %s under account\n123456789012 not found.", stream);
        return s->fail;
    }
    memset(out, 0, sizeof(*out));
    sw_strlcpy(out->name, stream, sizeof(out->name));
    sw_strlcpy(out->status, "ACTIVE", sizeof(out->status));
    out->open_shards = s->shards;
    return 0;
}

/* Any non-NULL pointer will do: the scripted describer never uses it. */
static struct sw_aws *const fake_aws = (struct sw_aws *)&fake_aws;

static struct sw_shards *
new_shards(struct script *s, int interval_s)
{
    struct sw_shards *c = NULL;

    assert_int_equal(sw_shards_new(fake_aws, interval_s, &c), 0);
    sw_shards_set_describer(c, scripted, s);
    sw_shards_set_pace(c, 0);
    return c;
}

/* get - sw_shards_get() that must succeed; the count. */
static double
get(struct sw_shards *c, const char *stream, time_t now)
{
    char err[700];
    double v = -1;
    int r = sw_shards_get(c, stream, now, &v, err, sizeof(err));

    if (r != 0)
        fail_msg("sw_shards_get(%s): %d %s", stream, r, err);
    return v;
}

static void
test_new_args(void **state)
{
    struct sw_shards *c = (struct sw_shards *)1;
    char err[256];
    double v;

    (void)state;
    assert_int_equal(sw_shards_new(NULL, 0, &c), SW_EINVAL);
    assert_null(c);
    assert_int_equal(
        sw_shards_new(fake_aws, SW_DISCOVER_MIN_INTERVAL_S - 1, &c), SW_EINVAL);
    assert_int_equal(
        sw_shards_new(fake_aws, SW_DISCOVER_MAX_INTERVAL_S + 1, &c), SW_EINVAL);
    assert_int_equal(sw_shards_new(fake_aws, -1, &c), SW_EINVAL);
    assert_int_equal(sw_shards_new(fake_aws, 0, NULL), SW_EINVAL);
    assert_int_equal(sw_shards_new(fake_aws, 0, &c), 0);
    /* Not a stream name: refused before any call. */
    assert_int_equal(sw_shards_get(c, "a b", NOW, &v, err, sizeof(err)),
                     SW_EINVAL);
    assert_int_equal(sw_shards_get(c, "{stream}", NOW, &v, err, sizeof(err)),
                     SW_EINVAL);
    assert_int_equal(sw_shards_get(c, NULL, NOW, &v, err, sizeof(err)),
                     SW_EINVAL);
    assert_int_equal(sw_shards_get(c, "orders", NOW, NULL, err, sizeof(err)),
                     SW_EINVAL);
    assert_int_equal(sw_shards_get(NULL, "orders", NOW, &v, err, sizeof(err)),
                     SW_EINVAL);
    sw_shards_free(c);
    sw_shards_free(NULL);
    sw_shards_invalidate(NULL);
}

static void
test_interval(void **state)
{
    struct script s = {.shards = 4};
    struct sw_shards *c = new_shards(&s, 0);

    (void)state;
    assert_count(get(c, "orders", NOW), 4);
    assert_int_equal(s.calls, 1);
    assert_string_equal(s.last, "orders");
    /* Cached for the discovery interval, per stream. */
    s.shards = 8;
    assert_count(get(c, "orders", NOW + 1), 4);
    assert_count(get(c, "orders", NOW + SW_DISCOVER_DEFAULT_INTERVAL_S - 1), 4);
    assert_int_equal(s.calls, 1);
    assert_count(get(c, "clicks", NOW + 10), 8);
    assert_int_equal(s.calls, 2);
    assert_count(get(c, "orders", NOW + SW_DISCOVER_DEFAULT_INTERVAL_S), 8);
    assert_int_equal(s.calls, 3);
    /* clicks' own interval runs from its own fetch. */
    s.shards = 2;
    assert_count(get(c, "clicks", NOW + SW_DISCOVER_DEFAULT_INTERVAL_S), 8);
    assert_int_equal(s.calls, 3);
    assert_count(get(c, "clicks", NOW + 10 + SW_DISCOVER_DEFAULT_INTERVAL_S),
                 2);
    assert_int_equal(s.calls, 4);
    sw_shards_free(c);

    /* Another interval. */
    s.calls = 0;
    c = new_shards(&s, 60);
    (void)get(c, "orders", NOW);
    (void)get(c, "orders", NOW + 59);
    assert_int_equal(s.calls, 1);
    (void)get(c, "orders", NOW + 60);
    assert_int_equal(s.calls, 2);
    sw_shards_free(c);
}

static void
test_failure_without_count(void **state)
{
    struct script s = {.fail = SW_EAWS, .shards = 4};
    struct sw_shards *c = new_shards(&s, 0);
    char err[700];
    double v = -1;

    (void)state;
    assert_int_equal(sw_shards_get(c, "orders", NOW, &v, err, sizeof(err)),
                     SW_EAWS);
    assert_count(v, -1);
    assert_string_equal(err, "shards: DescribeStreamSummary for stream "
                             "'orders' failed: ResourceNotFoundException: "
                             "Stream orders under account 123456789012 not "
                             "found.; no shard count yet");
    assert_int_equal(s.calls, 1);
    /* While the retry waits: the same failure, no call. */
    err[0] = '\0';
    assert_int_equal(sw_shards_get(c, "orders", NOW + SW_SHARDS_RETRY_S - 1, &v,
                                   err, sizeof(err)),
                     SW_EAWS);
    assert_non_null(strstr(err, "no shard count yet"));
    assert_int_equal(s.calls, 1);
    /* Then a new attempt, which may succeed. */
    s.fail = 0;
    assert_count(get(c, "orders", NOW + SW_SHARDS_RETRY_S), 4);
    assert_int_equal(s.calls, 2);
    sw_shards_free(c);
}

static void
test_failure_keeps_count(void **state)
{
    struct script s = {.shards = 4};
    struct sw_shards *c = new_shards(&s, 0);
    time_t t = NOW + SW_DISCOVER_DEFAULT_INTERVAL_S;

    (void)state;
    assert_count(get(c, "orders", NOW), 4);
    s.fail = SW_ETHROTTLED;
    /* Due, fails: the last good count, and a retry after 60 s. */
    assert_count(get(c, "orders", t), 4);
    assert_int_equal(s.calls, 2);
    assert_count(get(c, "orders", t + SW_SHARDS_RETRY_S - 1), 4);
    assert_int_equal(s.calls, 2);
    assert_count(get(c, "orders", t + SW_SHARDS_RETRY_S), 4);
    assert_int_equal(s.calls, 3);
    s.fail = 0;
    s.shards = 6;
    assert_count(get(c, "orders", t + 2 * SW_SHARDS_RETRY_S), 6);
    assert_int_equal(s.calls, 4);
    /* A success restarts the full interval. */
    assert_count(
        get(c, "orders",
            t + 2 * SW_SHARDS_RETRY_S + SW_DISCOVER_DEFAULT_INTERVAL_S - 1),
        6);
    assert_int_equal(s.calls, 4);
    sw_shards_free(c);
}

static void
test_invalidate_and_clock(void **state)
{
    struct script s = {.shards = 4};
    struct sw_shards *c = new_shards(&s, 0);

    (void)state;
    (void)get(c, "orders", NOW);
    (void)get(c, "clicks", NOW);
    assert_int_equal(s.calls, 2);
    sw_shards_invalidate(c);
    s.shards = 5;
    assert_count(get(c, "orders", NOW + 1), 5);
    assert_count(get(c, "clicks", NOW + 1), 5);
    assert_int_equal(s.calls, 4);
    /* The wall clock stepped back an hour: ask again rather than keep the
     * count for an hour more. */
    s.shards = 3;
    assert_count(get(c, "orders", NOW - 3600), 3);
    assert_int_equal(s.calls, 5);
    assert_count(get(c, "orders", NOW - 3599), 3);
    assert_int_equal(s.calls, 5);
    sw_shards_free(c);
}

static void
test_many_streams(void **state)
{
    struct script s = {.shards = 1};
    struct sw_shards *c = new_shards(&s, 0);
    char name[32];

    (void)state;
    /* Out of order, so that entries move as the table grows. */
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "s-%02d", (i * 17) % 40);
        s.shards = (i * 17) % 40 + 1;
        assert_count(get(c, name, NOW), s.shards);
    }
    assert_int_equal(s.calls, 40);
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "s-%02d", i);
        assert_count(get(c, name, NOW + 1), i + 1);
    }
    assert_int_equal(s.calls, 40);
    sw_shards_free(c);
}

static void
test_pace(void **state)
{
    struct script s = {.shards = 1};
    struct sw_shards *c = new_shards(&s, 0);
    sw_mono_ms t0;

    (void)state;
    sw_shards_set_pace(c, 50);
    t0 = sw_mono_now();
    (void)get(c, "a", NOW);
    (void)get(c, "b", NOW);
    (void)get(c, "c", NOW);
    (void)get(c, "a", NOW); /* cached: no call, no wait */
    assert_int_equal(s.calls, 3);
    assert_true(sw_mono_now() - t0 >= 100);
    assert_true(sw_mono_now() - t0 < 1000);
    sw_shards_free(c);
}

/* ------------------------------------------------------------------ */
/* which stream                                                        */

static struct sw_rule *
math_rule(const char *expression, const char *stream_w, const char *stream_r)
{
    struct sw_rule *r = sw_rule_new();
    const char *streams[2] = {stream_w, stream_r};
    const char *ids[2] = {"w", "r"};

    assert_non_null(r);
    r->name = strdup("x");
    r->expression = strdup(expression);
    r->metrics = calloc(2, sizeof(*r->metrics));
    assert_non_null(r->metrics);
    r->nmetrics = 2;
    for (int i = 0; i < 2; i++) {
        struct sw_metric_stat *m = &r->metrics[i];

        m->id = strdup(ids[i]);
        m->namespace_ = strdup("AWS/Kinesis");
        m->metric = strdup(i ? "GetRecords.Bytes" : "IncomingRecords");
        m->stat = strdup("Sum");
        if (streams[i]) {
            m->dims = calloc(1, sizeof(*m->dims));
            assert_non_null(m->dims);
            m->dims[0].name = strdup("StreamName");
            m->dims[0].value = strdup(streams[i]);
            m->ndims = 1;
        }
    }
    return r;
}

static void
test_rule_stream(void **state)
{
    struct sw_rule *r;
    const char *st = "x";

    (void)state;
    r = math_rule("w / (SHARDS * 60000) * 100", "orders", "orders");
    assert_int_equal(sw_shards_rule_stream(r, &st), 1);
    assert_string_equal(st, "orders");
    /* An alarm made from a template: the template's stream. */
    r->stream = strdup("clicks");
    assert_int_equal(sw_shards_rule_stream(r, &st), 1);
    assert_string_equal(st, "clicks");
    sw_rule_free(r);

    r = math_rule("w - FILL(r, 0)", "orders", "orders");
    assert_int_equal(sw_shards_rule_stream(r, &st), 0);
    assert_null(st);
    sw_rule_free(r);

    r = math_rule("r / SHARDS", NULL, "orders");
    assert_int_equal(sw_shards_rule_stream(r, &st), 1);
    assert_string_equal(st, "orders");
    sw_rule_free(r);

    r = math_rule("r / SHARDS", NULL, NULL);
    assert_int_equal(sw_shards_rule_stream(r, &st), SW_EINVAL);
    assert_null(st);
    sw_rule_free(r);

    r = math_rule("r / ", "orders", NULL);
    assert_int_equal(sw_shards_rule_stream(r, &st), SW_EPARSE);
    sw_rule_free(r);

    /* A single metric has no expression. */
    r = sw_rule_new();
    r->metric = strdup("IncomingRecords");
    r->stat = strdup("Sum");
    assert_int_equal(sw_shards_rule_stream(r, &st), 0);
    assert_int_equal(sw_shards_rule_stream(r, NULL), SW_EINVAL);
    sw_rule_free(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_args),
        cmocka_unit_test(test_interval),
        cmocka_unit_test(test_failure_without_count),
        cmocka_unit_test(test_failure_keeps_count),
        cmocka_unit_test(test_invalidate_and_clock),
        cmocka_unit_test(test_many_streams),
        cmocka_unit_test(test_pace),
        cmocka_unit_test(test_rule_stream),
    };

    sw_log_set_level(SW_LOG_ERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
