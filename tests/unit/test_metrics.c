/* tests/unit/test_metrics.c - agent/metrics: the Prometheus text
 * formatter (exact text, escaping, order, values), the metrics.json round
 * trip, corrupt files set aside, and the file the agent writes. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/cycle.h"
#include "agent/metrics.h"
#include "agent/runtime.h"
#include "agent/store.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "notifiers/notifier.h"
#include "rules/rule.h"

#define T0 1795601100 /* 2026-11-25T10:05:00Z */

static char tmpdir[256];

static int
setup(void **state)
{
    const char *base = getenv("TMPDIR");

    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "%s/sw_metrics_XXXXXX",
             base && *base ? base : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int
teardown(void **state)
{
    (void)state;
    return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
write_text(const char *name, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *
read_text(const char *name)
{
    static char buf[65536];
    char path[512];
    size_t n;
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    f = fopen(path, "r");
    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Names in tmpdir other than "." and "..", sorted, joined with spaces;
 * corrupt-file suffixes (a time) cut to ".corrupt-". */
static void
list_dir(char *out, size_t size)
{
    struct dirent **ents;
    size_t len = 0;
    int n = scandir(tmpdir, &ents, NULL, alphasort);

    assert_true(n >= 0);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        const char *c = strstr(name, ".corrupt-");
        int k;

        if (strcmp(name, ".") && strcmp(name, "..")) {
            k = snprintf(out + len, size - len, "%.*s ",
                         c ? (int)(c - name) + 9 : (int)strlen(name), name);
            assert_true(k > 0 && (size_t)k < size - len);
            len += (size_t)k;
        }
        free(ents[i]);
    }
    free(ents);
}

/* ---- the formatter ---- */

static void
test_format_exact(void **state)
{
    /* Families and samples given out of order; the output is sorted. */
    static const struct sw_metrics_sample req[] = {
        {{"Publish", "success"}, 2},
        {{"GetMetricStatistics", "throttled"}, 1},
        {{"GetMetricStatistics", "error"}, 3},
    };
    static const struct sw_metrics_sample ntf[] = {
        {{"a\\b \"q\"\nz", "delivered"}, 1},
        {{"arn:aws:sns:ap-northeast-1:123456789012:ops", "retry"}, 4},
    };
    static const struct sw_metrics_sample one[] = {{{NULL, NULL}, 0.25}};
    const struct sw_metrics_family f[] = {
        {"sw_requests_total",
         "Calls.",
         "counter",
         {"operation", "outcome"},
         2,
         req,
         3},
        {"sw_notifications_total",
         "Line one\nback\\slash \"kept\"",
         "counter",
         {"notifier", "outcome"},
         2,
         ntf,
         2},
        {"sw_duration_seconds", "Last.", "gauge", {NULL, NULL}, 0, one, 1},
        {"sw_empty", "No samples yet.", "gauge", {"x", NULL}, 1, NULL, 0},
    };
    const char *want =
        "# HELP sw_duration_seconds Last.\n"
        "# TYPE sw_duration_seconds gauge\n"
        "sw_duration_seconds 0.25\n"
        "# HELP sw_empty No samples yet.\n"
        "# TYPE sw_empty gauge\n"
        "# HELP sw_notifications_total Line one\\nback\\\\slash \"kept\"\n"
        "# TYPE sw_notifications_total counter\n"
        "sw_notifications_total{notifier=\"a\\\\b \\\"q\\\"\\nz\","
        "outcome=\"delivered\"} 1\n"
        "sw_notifications_total{notifier=\"arn:aws:sns:ap-northeast-1:"
        "123456789012:ops\",outcome=\"retry\"} 4\n"
        "# HELP sw_requests_total Calls.\n"
        "# TYPE sw_requests_total counter\n"
        "sw_requests_total{operation=\"GetMetricStatistics\","
        "outcome=\"error\"} 3\n"
        "sw_requests_total{operation=\"GetMetricStatistics\","
        "outcome=\"throttled\"} 1\n"
        "sw_requests_total{operation=\"Publish\",outcome=\"success\"} 2\n";
    struct sw_buf b;

    (void)state;
    sw_buf_init(&b, 1 << 20);
    assert_int_equal(sw_metrics_format(f, 4, &b), 0);
    assert_string_equal(b.data, want);
    /* The input was not reordered. */
    assert_string_equal(req[0].labels[0], "Publish");
    assert_string_equal(f[0].name, "sw_requests_total");
    sw_buf_release(&b);

    /* Nothing at all is an empty text. */
    sw_buf_init(&b, 16);
    assert_int_equal(sw_metrics_format(NULL, 0, &b), 0);
    assert_int_equal(b.len, 0);
    sw_buf_release(&b);
}

static void
test_format_values(void **state)
{
    static const struct sw_metrics_sample v[] = {
        {{"a", NULL}, 0},         {{"b", NULL}, -0.0},
        {{"c", NULL}, 3},         {{"d", NULL}, 1795601100},
        {{"e", NULL}, 0.1},       {{"f", NULL}, 1.5e-7},
        {{"g", NULL}, NAN},       {{"h", NULL}, INFINITY},
        {{"i", NULL}, -INFINITY}, {{"j", NULL}, 1e300},
        {{"k", NULL}, 12.345},
    };
    const struct sw_metrics_family f = {
        "v", "Values.", "gauge", {"k", NULL}, 1, v, sizeof(v) / sizeof(v[0])};
    const char *want = "# HELP v Values.\n"
                       "# TYPE v gauge\n"
                       "v{k=\"a\"} 0\n"
                       "v{k=\"b\"} 0\n"
                       "v{k=\"c\"} 3\n"
                       "v{k=\"d\"} 1795601100\n"
                       "v{k=\"e\"} 0.1\n"
                       "v{k=\"f\"} 1.5e-07\n"
                       "v{k=\"g\"} NaN\n"
                       "v{k=\"h\"} +Inf\n"
                       "v{k=\"i\"} -Inf\n"
                       "v{k=\"j\"} 1e+300\n"
                       "v{k=\"k\"} 12.345\n";
    struct sw_buf b;

    (void)state;
    sw_buf_init(&b, 1 << 20);
    assert_int_equal(sw_metrics_format(&f, 1, &b), 0);
    assert_string_equal(b.data, want);
    sw_buf_release(&b);
}

static void
test_format_refuses(void **state)
{
    static const struct sw_metrics_sample bad[] = {{{"x", NULL}, 1}};
    const struct sw_metrics_family two = {"t", "T.", "gauge", {"a", "b"},
                                          2,   bad,  1};
    const struct sw_metrics_family noname = {NULL, "T.", "gauge", {NULL},
                                             0,    bad,  1};
    struct sw_buf b;

    (void)state;
    sw_buf_init(&b, 1 << 20);
    assert_int_equal(sw_metrics_format(&two, 1, &b), SW_EINVAL);
    assert_int_equal(sw_metrics_format(&noname, 1, &b), SW_EINVAL);
    sw_buf_release(&b);
    /* The cap is honoured. */
    {
        static const struct sw_metrics_sample ok[] = {{{"x", NULL}, 1}};
        const struct sw_metrics_family f = {"t", "Text.", "gauge", {"a"},
                                            1,   ok,      1};
        sw_buf_init(&b, 8);
        assert_int_equal(sw_metrics_format(&f, 1, &b), SW_ETOOBIG);
        sw_buf_release(&b);
    }
}

/* ---- counters and metrics.json ---- */

static void
count_some(struct sw_metrics *m)
{
    sw_metrics_on_aws(m, "GetMetricStatistics", "success", 0);
    sw_metrics_on_aws(m, "GetMetricStatistics", "success", 0);
    sw_metrics_on_aws(m, "GetMetricStatistics", "throttled", 2);
    sw_metrics_on_aws(m, "AssumeRole", "credentials", 0);
    sw_metrics_on_notify(m, "ops \"hook\"", "delivered");
    sw_metrics_on_notify(m, "ops \"hook\"", "retry");
    sw_metrics_on_notify(m, "ops \"hook\"", "retry");
}

static void
test_round_trip(void **state)
{
    struct sw_metrics *m, *back;
    struct sw_cycle_stats st;
    char err[256], names[512];
    struct stat sb;

    (void)state;
    assert_int_equal(sw_metrics_open(tmpdir, &m), 0);
    assert_non_null(m);
    assert_int_equal(sw_metrics_count(m, "cycles", NULL, NULL), 0);
    count_some(m);
    memset(&st, 0, sizeof(st));
    sw_metrics_cycle(m, T0, 1234, 0, &st);
    st.fetch_failures = 1;
    sw_metrics_cycle(m, T0 + 60, 10, 0, &st);             /* no success */
    sw_metrics_cycle(m, T0 + 120, 10, SW_ECANCELED, &st); /* not counted */
    assert_int_equal(sw_metrics_count(m, "cycles", NULL, NULL), 2);
    assert_int_equal(sw_metrics_count(m, "last_success", NULL, NULL), T0);
    sw_metrics_overrun(m);
    {
        mode_t old = umask(077);
        assert_int_equal(sw_metrics_save(m, err, sizeof(err)), 0);
        umask(old);
    }
    list_dir(names, sizeof(names));
    assert_string_equal(names, "metrics.json ");
    {
        char path[512];
        snprintf(path, sizeof(path), "%s/metrics.json", tmpdir);
        assert_int_equal(stat(path, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0640);
    }

    assert_int_equal(sw_metrics_open(tmpdir, &back), 0);
    assert_int_equal(sw_metrics_count(back, "cycles", NULL, NULL), 2);
    assert_int_equal(sw_metrics_count(back, "cycle_overruns", NULL, NULL), 1);
    assert_int_equal(sw_metrics_count(back, "last_success", NULL, NULL), T0);
    assert_int_equal(sw_metrics_count(back, "api_requests",
                                      "GetMetricStatistics", "success"),
                     2);
    assert_int_equal(sw_metrics_count(back, "api_requests",
                                      "GetMetricStatistics", "throttled"),
                     1);
    assert_int_equal(
        sw_metrics_count(back, "api_requests", "AssumeRole", "credentials"), 1);
    assert_int_equal(
        sw_metrics_count(back, "api_retries", "GetMetricStatistics", NULL), 2);
    assert_int_equal(sw_metrics_count(back, "api_retries", "AssumeRole", NULL),
                     0);
    assert_int_equal(
        sw_metrics_count(back, "notifications", "ops \"hook\"", "retry"), 2);
    assert_int_equal(
        sw_metrics_count(back, "notifications", "ops \"hook\"", "delivered"),
        1);
    assert_int_equal(sw_metrics_count(back, "nosuch", "a", "b"), 0);

    /* Counting goes on from the loaded values. */
    count_some(back);
    assert_int_equal(sw_metrics_count(back, "api_requests",
                                      "GetMetricStatistics", "success"),
                     4);
    sw_metrics_free(back);
    sw_metrics_free(m);
    sw_metrics_free(NULL);
}

static void
expect_set_aside(const char *text)
{
    struct sw_metrics *m;
    char names[512];

    write_text("metrics.json", text);
    assert_int_equal(sw_metrics_open(tmpdir, &m), 0);
    assert_int_equal(sw_metrics_count(m, "cycles", NULL, NULL), 0);
    assert_int_equal(
        sw_metrics_count(m, "api_requests", "GetMetricStatistics", "success"),
        0);
    assert_int_equal(sw_metrics_count(m, "last_success", NULL, NULL), 0);
    sw_metrics_free(m);
    list_dir(names, sizeof(names));
    assert_string_equal(names, "metrics.json.corrupt- ");
    teardown(NULL);
    assert_int_equal(mkdir(tmpdir, 0700), 0);
}

#define GOOD_TAIL                                                              \
    "\"api_retries\": {}, \"notifications\": {}, \"outbox_write_failures\": "  \
    "0, \"last_success\": null"

static void
test_corrupt_files(void **state)
{
    struct sw_metrics *m;
    char path[512];

    (void)state;
    expect_set_aside("{not json");
    expect_set_aside("");
    expect_set_aside("[]");
    /* A good prefix with a bad part: nothing of it is kept. */
    expect_set_aside(
        "{\"version\": 2, \"cycles\": 5, \"api_requests\": {}, " GOOD_TAIL "}");
    expect_set_aside(
        "{\"version\": 1, \"cycles\": -1, \"api_requests\": {}, " GOOD_TAIL
        "}");
    expect_set_aside("{\"version\": 1, \"cycles\": 5, \"api_requests\": "
                     "{\"GetMetricStatistics\": {\"success\": 3, \"weird\": "
                     "1}}, " GOOD_TAIL "}");
    expect_set_aside("{\"version\": 1, \"cycles\": 5, \"api_requests\": "
                     "{\"GetMetricStatistics\": {\"success\": 3.5}}, " GOOD_TAIL
                     "}");
    expect_set_aside("{\"version\": 1, \"cycles\": 5, \"api_requests\": {}, "
                     "\"extra\": 1, " GOOD_TAIL "}");
    expect_set_aside("{\"version\": 1, \"cycles\": 5, \"api_requests\": {}, "
                     "\"api_retries\": {\"a\\nb\": 1}, \"notifications\": {}, "
                     "\"outbox_write_failures\": 0, \"last_success\": null}");
    expect_set_aside("{\"version\": 1, \"cycles\": 5, \"api_requests\": {}, "
                     "\"api_retries\": {}, \"notifications\": {}, "
                     "\"outbox_write_failures\": 0, \"last_success\": "
                     "\"yesterday\"}");
    expect_set_aside("{\"version\": 1, \"version\": 1, \"cycles\": 5, "
                     "\"api_requests\": {}, " GOOD_TAIL "}");

    /* The same shape, well formed, loads. */
    write_text("metrics.json",
               "{\"version\": 1, \"cycles\": 5, \"api_requests\": "
               "{\"GetMetricStatistics\": {\"success\": 3}}, " GOOD_TAIL "}");
    assert_int_equal(sw_metrics_open(tmpdir, &m), 0);
    assert_int_equal(sw_metrics_count(m, "cycles", NULL, NULL), 5);
    assert_int_equal(
        sw_metrics_count(m, "api_requests", "GetMetricStatistics", "success"),
        3);
    sw_metrics_free(m);

    /* Unreadable: a directory where the file should be. */
    snprintf(path, sizeof(path), "%s/metrics.json", tmpdir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(sw_metrics_open(tmpdir, &m), 0);
    assert_int_equal(sw_metrics_count(m, "cycles", NULL, NULL), 0);
    sw_metrics_free(m);
    {
        char names[512];
        list_dir(names, sizeof(names));
        assert_string_equal(names, "metrics.json.corrupt- ");
    }
}

/* ---- the file the agent writes ---- */

static const char *want_file =
    "# HELP streamwatch_alarms Alarms of this agent by state (the watcher "
    "alarm not counted).\n"
    "# TYPE streamwatch_alarms gauge\n"
    "streamwatch_alarms{state=\"ALARM\"} 1\n"
    "streamwatch_alarms{state=\"INSUFFICIENT_DATA\"} 2\n"
    "streamwatch_alarms{state=\"OK\"} 0\n"
    "# HELP streamwatch_api_requests_total AWS API calls by operation and "
    "final outcome (success, error, throttled, timeout, network, "
    "credentials, canceled, other).\n"
    "# TYPE streamwatch_api_requests_total counter\n"
    "streamwatch_api_requests_total{operation=\"AssumeRole\",outcome="
    "\"credentials\"} 1\n"
    "streamwatch_api_requests_total{operation=\"GetMetricStatistics\","
    "outcome=\"success\"} 2\n"
    "streamwatch_api_requests_total{operation=\"GetMetricStatistics\","
    "outcome=\"throttled\"} 1\n"
    "# HELP streamwatch_api_retries_total AWS API requests sent again after "
    "a failed attempt, by operation.\n"
    "# TYPE streamwatch_api_retries_total counter\n"
    "streamwatch_api_retries_total{operation=\"AssumeRole\"} 0\n"
    "streamwatch_api_retries_total{operation=\"GetMetricStatistics\"} 2\n"
    "# HELP streamwatch_blind_alarms Alarms whose fetches have failed for "
    "agent.failure_after seconds.\n"
    "# TYPE streamwatch_blind_alarms gauge\n"
    "streamwatch_blind_alarms 1\n"
    "# HELP streamwatch_cycle_duration_seconds How long the last evaluation "
    "cycle took.\n"
    "# TYPE streamwatch_cycle_duration_seconds gauge\n"
    "streamwatch_cycle_duration_seconds 1.234\n"
    "# HELP streamwatch_cycle_overruns_total Cycles that took longer than "
    "their interval (the next started at once).\n"
    "# TYPE streamwatch_cycle_overruns_total counter\n"
    "streamwatch_cycle_overruns_total 0\n"
    "# HELP streamwatch_cycles_total Evaluation cycles completed.\n"
    "# TYPE streamwatch_cycles_total counter\n"
    "streamwatch_cycles_total 1\n"
    "# HELP streamwatch_last_success_timestamp_seconds Time of the last "
    "cycle in which every fetch succeeded (0: none yet).\n"
    "# TYPE streamwatch_last_success_timestamp_seconds gauge\n"
    "streamwatch_last_success_timestamp_seconds 1795601100\n"
    "# HELP streamwatch_notifications_total Notification attempts by "
    "notifier and outcome (delivered, retry, failed, expired).\n"
    "# TYPE streamwatch_notifications_total counter\n"
    "streamwatch_notifications_total{notifier=\"console\",outcome="
    "\"delivered\"} 0\n"
    "streamwatch_notifications_total{notifier=\"console\",outcome="
    "\"expired\"} 0\n"
    "streamwatch_notifications_total{notifier=\"console\",outcome="
    "\"failed\"} 0\n"
    "streamwatch_notifications_total{notifier=\"console\",outcome="
    "\"retry\"} 0\n"
    "streamwatch_notifications_total{notifier=\"ops \\\"hook\\\"\","
    "outcome=\"delivered\"} 1\n"
    "streamwatch_notifications_total{notifier=\"ops \\\"hook\\\"\","
    "outcome=\"expired\"} 0\n"
    "streamwatch_notifications_total{notifier=\"ops \\\"hook\\\"\","
    "outcome=\"failed\"} 0\n"
    "streamwatch_notifications_total{notifier=\"ops \\\"hook\\\"\","
    "outcome=\"retry\"} 2\n"
    "# HELP streamwatch_outbox_pending Notifications waiting in the outbox, "
    "by notifier.\n"
    "# TYPE streamwatch_outbox_pending gauge\n"
    "streamwatch_outbox_pending{notifier=\"console\"} 0\n"
    "streamwatch_outbox_pending{notifier=\"ops \\\"hook\\\"\"} 0\n"
    "# HELP streamwatch_outbox_write_failures_total Outbox entry files that "
    "could not be written.\n"
    "# TYPE streamwatch_outbox_write_failures_total counter\n"
    "streamwatch_outbox_write_failures_total 0\n";

static void
test_write_file(void **state)
{
    struct sw_rule r1 = {0}, r2 = {0}, r3 = {0}, w = {0};
    const struct sw_rule *rules[] = {&r3, &w, &r1, &r2};
    struct sw_notifier n1 = {0}, n2 = {0};
    struct sw_notifier *nots[] = {&n1, &n2};
    struct sw_runtime rt;
    struct sw_store *store = sw_store_new();
    struct sw_alarm_state *a;
    struct sw_cycle_stats st;
    struct sw_metrics *m;
    char path[512], names[512];
    struct stat sb;

    (void)state;
    r1.name = "b-alarm";
    r2.name = "a-new"; /* not in the store yet: INSUFFICIENT_DATA */
    r3.name = "c-insufficient";
    w.name = "watcher:host1"; /* never counted */
    n1.name = "console";
    n2.name = "ops \"hook\"";
    memset(&rt, 0, sizeof(rt));
    rt.rules = rules;
    rt.nrules = 4;
    rt.notifiers = nots;
    rt.nnotifiers = 2;
    assert_non_null(store);
    assert_int_equal(sw_store_ensure(store, "b-alarm", T0, &a), 0);
    a->state = SW_STATE_ALARM;
    assert_int_equal(sw_store_ensure(store, "c-insufficient", T0, &a), 0);
    assert_int_equal(sw_store_ensure(store, "watcher:host1", T0, &a), 0);
    a->state = SW_STATE_ALARM;
    assert_int_equal(sw_store_ensure(store, "gone", T0, &a), 0);
    a->state = SW_STATE_OK; /* no longer a rule: not counted */

    assert_int_equal(sw_metrics_open(tmpdir, &m), 0);
    count_some(m);
    memset(&st, 0, sizeof(st));
    st.blind = 1;
    sw_metrics_cycle(m, T0, 1234, 0, &st);
    snprintf(path, sizeof(path), "%s/prom/streamwatch.prom", tmpdir);
    {
        mode_t old = umask(077);
        assert_int_equal(sw_metrics_write(m, path, &rt, store, NULL), 0);
        umask(old);
    }
    assert_string_equal(read_text("prom/streamwatch.prom"), want_file);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
    list_dir(names, sizeof(names));
    assert_string_equal(names, "metrics.json prom ");

    /* Rewritten in place; nothing left behind. */
    assert_int_equal(sw_metrics_write(m, path, &rt, store, NULL), 0);
    {
        DIR *d;
        struct dirent *e;
        int n = 0;
        snprintf(names, sizeof(names), "%s/prom", tmpdir);
        d = opendir(names);
        assert_non_null(d);
        while ((e = readdir(d)) != NULL)
            if (e->d_name[0] != '.')
                n++;
            else
                assert_true(strcmp(e->d_name, ".") == 0 ||
                            strcmp(e->d_name, "..") == 0);
        closedir(d);
        assert_int_equal(n, 1);
    }

    /* A path that names no file, and a directory that cannot be made. */
    snprintf(path, sizeof(path), "%s/prom/", tmpdir);
    assert_int_equal(sw_metrics_write(m, path, &rt, store, NULL), SW_EINVAL);
    snprintf(path, sizeof(path), "%s/metrics.json/x.prom", tmpdir);
    assert_int_equal(sw_metrics_write(m, path, &rt, store, NULL), SW_EIO);
    sw_metrics_free(m);
    sw_store_free(store);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_exact),
        cmocka_unit_test(test_format_values),
        cmocka_unit_test(test_format_refuses),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_file, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
