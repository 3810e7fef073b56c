/* tests/unit/test_conf.c - the config loader against the data files.
 *
 * Every tests/data/config/bad_*.conf must fail with exactly the lines of
 * its .err file; the good_*.conf files load with the values (and
 * defaults) checked here.  The test runs from $SW_TEST_DATA/config and
 * loads "bad_x.conf", so the .err files read "bad_x.conf:12: ...".
 * The schema's tables are checked for what the getters rely on, and
 * against the two documents that list every key, docs/configuration.md
 * and man/streamwatch.conf.5 (the page, both ways); settings the running
 * agent would refuse when it builds its notifiers and AWS client are
 * refused by the load too (test_agrees_with_run).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* After the four above, which it needs and does not include. */
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/conf.h"
#include "agent/conf_schema.h" /* the tables, for their own test */
#include "lib/buf.h"
#include "lib/err.h"
#include "rules/rule.h"

static char cwd[PATH_MAX]; /* $SW_TEST_DATA/config, as getcwd() says */

/* Paths in a loaded config are made absolute against the file's
 * directory: the test's own idea of that directory. */
static const char *
abs_path(const char *rel)
{
    static char buf[PATH_MAX * 2];

    (void)snprintf(buf, sizeof(buf), "%s/%s", cwd, rel);
    return buf;
}

static char *
slurp(const char *path)
{
    struct sw_buf b;
    char chunk[4096];
    FILE *f = fopen(path, "rb");
    size_t n;
    char *s;

    if (!f)
        return NULL;
    sw_buf_init(&b, 4 * 1024 * 1024);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        assert_int_equal(sw_buf_add(&b, chunk, n), 0);
    fclose(f);
    s = sw_buf_steal(&b, NULL);
    sw_buf_release(&b);
    return s;
}

static int
setup(void **state)
{
    const char *data = getenv("SW_TEST_DATA");
    char dir[PATH_MAX];

    (void)state;
    if (!data)
        data = "tests/data";
    if (snprintf(dir, sizeof(dir), "%s/config", data) >= (int)sizeof(dir))
        return -1;
    if (chdir(dir) < 0) {
        fprintf(stderr, "test_conf: cannot chdir to %s: %s\n", dir,
                strerror(errno));
        return -1;
    }
    if (!getcwd(cwd, sizeof(cwd)))
        return -1;
    return 0;
}

static int
is_bad_conf(const struct dirent *d)
{
    return fnmatch("bad_*.conf", d->d_name, 0) == 0;
}

/* Each bad file fails with SW_EPARSE and exactly the errors of its .err
 * file, in order.  All mismatches are printed before failing. */
static void
test_bad_files(void **state)
{
    struct dirent **list;
    int n, failed = 0;

    (void)state;
    n = scandir(".", &list, is_bad_conf, alphasort);
    assert_true(n >= 25);
    for (int i = 0; i < n; i++) {
        const char *name = list[i]->d_name;
        char errname[NAME_MAX + 8];
        struct sw_conf *c = (struct sw_conf *)1;
        struct sw_strv errors = {0};
        struct sw_buf got;
        char *want;
        int r;

        (void)snprintf(errname, sizeof(errname), "%.*s.err",
                       (int)(strlen(name) - 5), name);
        want = slurp(errname);
        r = sw_conf_load(name, &c, &errors);
        sw_buf_init(&got, 1024 * 1024);
        for (size_t j = 0; j < errors.n; j++)
            assert_int_equal(sw_buf_addf(&got, "%s\n", errors.v[j]), 0);
        if (r != SW_EPARSE || c != NULL || !want ||
            strcmp(want, sw_buf_str(&got)) != 0) {
            fprintf(stderr, "--- %s: r=%d (%s)\n--- want:\n%s--- got:\n%s",
                    name, r, sw_strerror(r), want ? want : "(no .err)\n",
                    sw_buf_str(&got));
            failed++;
        }
        sw_conf_free(c);
        sw_strv_release(&errors);
        sw_buf_release(&got);
        free(want);
        free(list[i]);
    }
    free(list);
    assert_int_equal(failed, 0);
}

static struct sw_conf *
load_ok(const char *name)
{
    struct sw_conf *c = NULL;
    struct sw_strv errors = {0};
    int r = sw_conf_load(name, &c, &errors);

    for (size_t i = 0; i < errors.n; i++)
        fprintf(stderr, "%s\n", errors.v[i]);
    assert_int_equal(r, 0);
    assert_int_equal(errors.n, 0);
    assert_non_null(c);
    sw_strv_release(&errors);
    return c;
}

static void
test_defaults(void **state)
{
    struct sw_conf *c = load_ok("good_defaults.conf");
    const struct sw_rule *r;

    (void)state;
    assert_string_equal(c->path, "good_defaults.conf");
    assert_null(c->aws.region);
    assert_null(c->aws.profile);
    assert_null(c->aws.endpoint);
    assert_null(c->aws.ca_file);
    assert_int_equal(c->aws.connect_timeout_s, 5);
    assert_int_equal(c->aws.request_timeout_s, 30);
    assert_int_equal(c->aws.max_attempts, 0);
    assert_int_equal(c->agent.interval_s, 60);
    assert_string_equal(c->agent.state_dir, "/var/lib/streamwatch");
    assert_null(c->agent.recording);
    assert_null(c->agent.pid_file);
    assert_int_equal(c->agent.failure_after_s, 300);
    assert_int_equal(c->agent.failure_actions.n, 0);
    assert_string_equal(c->sync.owner, "streamwatch");
    assert_null(c->sync.name_prefix);
    assert_int_equal(c->nnotifiers, 0);
    assert_int_equal(c->nrules, 1);
    r = c->rules[0];
    assert_string_equal(r->name, "orders-incoming-high");
    assert_null(r->description);
    assert_string_equal(r->namespace_, "AWS/Kinesis");
    assert_string_equal(r->metric, "IncomingRecords");
    assert_int_equal(r->ndims, 0);
    assert_string_equal(r->stat, "Sum");
    assert_null(r->unit);
    assert_int_equal(r->period_s, 60);
    assert_true(r->threshold == 10.0); /* an int is fine for a double */
    assert_int_equal(r->cmp, SW_CMP_GT);
    assert_int_equal(r->evaluation_periods, 3);
    assert_int_equal(r->datapoints_to_alarm, 3); /* = N */
    assert_int_equal(r->evaluation_range, 0);
    assert_int_equal(sw_rule_eval_range(r), 5);
    assert_int_equal(r->tmd, SW_TMD_MISSING);
    assert_int_equal(r->alarm_actions.n, 0);
    assert_int_equal(r->actions_enabled, 1);
    assert_int_equal(r->sync, 0);
    assert_int_equal(r->line, 3);
    assert_int_equal(r->repeat_interval_s, 0);
    assert_int_equal(r->low_sample_ignore, 0);
    assert_int_equal(r->nlabels, 0);
    assert_null(r->labels);
    assert_int_equal(r->nmetrics, 0);
    assert_null(r->expression);
    assert_int_equal(r->streams.n, 0);
    assert_null(r->stream);
    assert_null(r->template_name);
    assert_int_equal(c->ntemplates, 0);
    assert_int_equal(c->nrule_groups, 1);
    assert_int_equal(c->warnings.n, 1);
    assert_string_equal(c->warnings.v[0],
                        "good_defaults.conf:3: warning: rule "
                        "'orders-incoming-high': no actions: its state "
                        "changes notify nobody");
    sw_conf_free(c);
}

static void
test_full(void **state)
{
    struct sw_conf *c = load_ok("good_full.conf");
    const struct sw_notifier_conf *n;
    const struct sw_rule *r;

    (void)state;
    assert_string_equal(c->aws.region, "us-gov-west-1");
    assert_string_equal(c->aws.profile, "prod");
    assert_string_equal(c->aws.endpoint, "http://127.0.0.1:4566");
    assert_string_equal(c->aws.ca_file, abs_path("certs/ca.pem"));
    assert_int_equal(c->aws.connect_timeout_s, 3);
    assert_int_equal(c->aws.request_timeout_s, 20);
    assert_int_equal(c->aws.max_attempts, 5);
    assert_int_equal(c->agent.interval_s, 30);
    assert_string_equal(c->agent.state_dir, abs_path("state"));
    assert_string_equal(c->agent.recording, abs_path("recordings/orders.csv"));
    assert_string_equal(c->agent.pid_file, "/run/streamwatch.pid");
    assert_int_equal(c->agent.failure_after_s, 300);
    assert_int_equal(c->agent.failure_actions.n, 2);
    assert_string_equal(c->agent.failure_actions.v[1], "hook");
    assert_string_equal(c->sync.owner, "team-a");
    assert_string_equal(c->sync.name_prefix, "kds-");

    assert_int_equal(c->nnotifiers, 6);
    n = sw_conf_notifier(c, "console");
    assert_non_null(n);
    assert_int_equal(n->type, SW_NOTIFIER_LOG);
    assert_string_equal(n->path, "-");
    assert_int_equal(n->max_age_s, 86400);
    assert_int_equal(n->repeat_interval_s, 0);
    assert_int_equal(n->line, 24);
    n = sw_conf_notifier(c, "file-log");
    assert_string_equal(n->path, abs_path("logs/alerts.jsonl"));
    assert_int_equal(n->max_age_s, 3600);
    n = sw_conf_notifier(c, "ops");
    assert_int_equal(n->type, SW_NOTIFIER_SNS);
    assert_string_equal(
        n->topic_arn, "arn:aws-us-gov:sns:us-gov-west-1:123456789012:ops.fifo");
    assert_int_equal(n->repeat_interval_s, 600);
    n = sw_conf_notifier(c, "mail");
    assert_int_equal(n->type, SW_NOTIFIER_EMAIL);
    assert_string_equal(n->url, "smtps://mail.example.com:465");
    assert_string_equal(n->tls, "implicit");
    assert_string_equal(n->username, "alerts");
    assert_string_equal(n->password_file, abs_path("smtp.pass"));
    assert_string_equal(n->from, "sw@example.com");
    assert_int_equal(n->to.n, 2);
    assert_string_equal(n->to.v[1], "b.c+tag@example.org");
    assert_string_equal(n->ca_file, "/etc/ssl/mail-ca.pem");
    n = sw_conf_notifier(c, "hook");
    assert_int_equal(n->type, SW_NOTIFIER_WEBHOOK);
    assert_string_equal(n->format, "alertmanager");
    assert_int_equal(n->nheaders, 2);
    assert_string_equal(n->headers[0].name, "X-Team");
    assert_string_equal(n->headers[0].value, "orders");
    assert_string_equal(n->secret_file, abs_path("hook.secret"));
    assert_string_equal(n->bearer_token_file, "/etc/sw/token");
    n = sw_conf_notifier(c, "am");
    assert_int_equal(n->type, SW_NOTIFIER_ALERTMANAGER);
    assert_string_equal(n->url, "http://[::1]:9093/");
    assert_null(sw_conf_notifier(c, "nope"));
    assert_null(sw_conf_notifier(NULL, "am"));

    assert_int_equal(c->nrules, 1);
    r = c->rules[0];
    assert_string_equal(r->description, "p99 put latency\nover two lines");
    assert_string_equal(r->namespace_, "Custom/Orders");
    assert_string_equal(r->metric, "PutRecords.Latency");
    assert_int_equal(r->ndims, 2);
    assert_string_equal(r->dims[1].name, "ConsumerName");
    assert_string_equal(r->dims[1].value, "app-1");
    assert_string_equal(r->stat, "p99.9");
    assert_string_equal(r->unit, "Milliseconds");
    assert_int_equal(r->period_s, 10);
    assert_true(r->threshold == -2.5);
    assert_int_equal(r->cmp, SW_CMP_LE);
    assert_int_equal(r->evaluation_periods, 6);
    assert_int_equal(r->datapoints_to_alarm, 4);
    assert_int_equal(r->evaluation_range, 12);
    assert_int_equal(r->tmd, SW_TMD_NOT_BREACHING);
    assert_int_equal(r->alarm_actions.n, 3);
    assert_string_equal(r->alarm_actions.v[2],
                        "arn:aws-us-gov:sns:us-gov-west-1:123456789012:raw");
    assert_int_equal(r->ok_actions.n, 1);
    assert_int_equal(r->insufficient_data_actions.n, 2);
    assert_int_equal(r->actions_enabled, 0);
    assert_int_equal(r->sync, 1);
    assert_int_equal(r->repeat_interval_s, 120);
    assert_int_equal(r->low_sample_ignore, 1);
    assert_int_equal(r->nlabels, 2);
    assert_string_equal(r->labels[0].name, "severity");
    assert_string_equal(r->labels[0].value, "page");
    assert_int_equal(c->warnings.n, 0);
    sw_conf_free(c);
}

static void
test_math(void **state)
{
    struct sw_conf *c = load_ok("good_math.conf");
    const struct sw_rule *r;
    const struct sw_metric_stat *m;

    (void)state;
    assert_int_equal(c->nrules, 1);
    r = c->rules[0];
    assert_string_equal(r->name, "orders-unconsumed-ratio");
    /* No single metric at the rule's level: PutMetricAlarm's Metrics
     * excludes Namespace, MetricName, Dimensions, Statistic and Unit. */
    assert_null(r->namespace_);
    assert_null(r->metric);
    assert_null(r->stat);
    assert_null(r->unit);
    assert_int_equal(r->ndims, 0);
    assert_string_equal(r->expression, "(w - FILL(r_1, 0)) / w");
    assert_int_equal(r->nmetrics, 2);
    m = &r->metrics[0];
    assert_string_equal(m->id, "w");
    assert_string_equal(m->namespace_, "AWS/Kinesis"); /* the default */
    assert_string_equal(m->metric, "IncomingRecords");
    assert_string_equal(m->stat, "Sum");
    assert_null(m->unit);
    assert_int_equal(m->ndims, 1);
    assert_string_equal(m->dims[0].name, "StreamName");
    assert_string_equal(m->dims[0].value, "orders");
    m = &r->metrics[1];
    assert_string_equal(m->id, "r_1");
    assert_string_equal(m->namespace_, "Custom/Readers");
    assert_string_equal(m->metric, "Records.Read");
    assert_string_equal(m->stat, "p99");
    assert_string_equal(m->unit, "Count");
    assert_int_equal(m->ndims, 2);
    assert_string_equal(m->dims[1].name, "Consumer");
    assert_string_equal(m->dims[1].value, "app");
    assert_int_equal(r->period_s, 300);
    assert_int_equal(r->evaluation_periods, 3);
    assert_int_equal(r->datapoints_to_alarm, 2);
    assert_int_equal(r->tmd, SW_TMD_IGNORE);
    /* A percentile among the metrics makes the setting meaningful. */
    assert_int_equal(r->low_sample_ignore, 1);
    assert_int_equal(r->repeat_interval_s, 3600);
    assert_int_equal(r->nlabels, 1);
    assert_string_equal(r->labels[0].value, "ticket");
    assert_null(r->template_name);
    assert_int_equal(c->warnings.n, 0);
    sw_conf_free(c);
}

static void
test_template(void **state)
{
    static const char *const names[] = {
        "kds-first",        "kds-orders-behind", "kds-audit.log_v2-behind",
        "kds-payments-age", "kds-a-fixed",       "kds-b-fixed",
        "kds-last"};
    struct sw_conf *c = load_ok("good_template.conf");
    const struct sw_rule *r, *t;

    (void)state;
    assert_int_equal(c->nrule_groups, 6);
    /* Literal names in place of their template, in 'streams' order. */
    assert_int_equal(c->nrules, 7);
    for (size_t i = 0; i < c->nrules; i++)
        assert_string_equal(c->rules[i]->name, names[i]);
    assert_null(c->rules[0]->template_name);
    assert_null(c->rules[0]->stream);

    r = c->rules[1];
    assert_string_equal(r->template_name, "kds-{stream}-behind");
    assert_string_equal(r->stream, "orders");
    assert_int_equal(r->streams.n, 0);
    assert_string_equal(r->description,
                        "orders: writes outpace reads (orders)");
    assert_string_equal(r->expression, "w - FILL(r, 0) + 0 * z");
    assert_int_equal(r->nmetrics, 3);
    /* The default dimension of a template's metric. */
    assert_int_equal(r->metrics[0].ndims, 1);
    assert_string_equal(r->metrics[0].dims[0].name, "StreamName");
    assert_string_equal(r->metrics[0].dims[0].value, "orders");
    assert_int_equal(r->metrics[1].ndims, 2);
    assert_string_equal(r->metrics[1].dims[1].value, "c-orders");
    /* An explicit empty group stays empty. */
    assert_int_equal(r->metrics[2].ndims, 0);
    assert_int_equal(r->nlabels, 2);
    assert_string_equal(r->labels[0].value, "orders");
    assert_string_equal(r->labels[1].value, "data");
    assert_int_equal(r->sync, 1);
    assert_int_equal(r->line, 11);
    assert_string_equal(c->rules[2]->stream, "audit.log_v2");
    assert_string_equal(c->rules[2]->metrics[1].dims[0].value, "audit.log_v2");

    /* Single-metric template: the default dimension at the rule level. */
    r = c->rules[3];
    assert_string_equal(r->stream, "payments");
    assert_int_equal(r->ndims, 1);
    assert_string_equal(r->dims[0].name, "StreamName");
    assert_string_equal(r->dims[0].value, "payments");
    assert_string_equal(c->rules[4]->dims[0].value, "shared");

    /* Templates with a pattern, as written, for the agent. */
    assert_int_equal(c->ntemplates, 2);
    t = c->templates[0];
    assert_string_equal(t->name, "kds-{stream}-behind");
    assert_null(t->stream);
    assert_null(t->template_name);
    assert_int_equal(t->streams.n, 4);
    assert_string_equal(t->streams.v[1], "clicks-*");
    assert_string_equal(t->metrics[0].dims[0].value, "{stream}");
    assert_string_equal(t->labels[0].value, "{stream}");
    t = c->templates[1];
    assert_string_equal(t->name, "kds-{stream}-pattern-only");
    assert_string_equal(t->dims[0].value, "{stream}");

    assert_int_equal(c->warnings.n, 1);
    assert_string_equal(c->warnings.v[0],
                        "good_template.conf:32: warning: rule "
                        "'kds-{stream}-fixed': no dimension holds {stream}: "
                        "every alarm of the template watches the same "
                        "metrics");
    sw_conf_free(c);
}

static void
test_summary_templates(void **state)
{
    struct sw_conf *c = load_ok("good_template.conf");
    struct sw_buf b;
    const char *s;

    (void)state;
    sw_buf_init(&b, 64 * 1024);
    assert_int_equal(sw_conf_summary(c, &b), 0);
    s = sw_buf_str(&b);
    assert_non_null(strstr(s, "  rules: 6 (7 alarms, and more from 2 "
                              "templates at run time)\n"));
    /* Each (series, statistic) once: kds-first 1, kds-orders-behind 3
     * (w, r, z), kds-audit.log_v2-behind 2 (its z, with no dimensions, is
     * orders'), kds-payments-age 1, kds-a-fixed and kds-b-fixed 1 (one
     * series), kds-last 0 (orders' w). */
    assert_non_null(strstr(s, "  API requests: 8 GetMetricStatistics every "
                              "60 s (metric-math alarms fetch each metric) "
                              "= 345,600 per 30-day month"));
    assert_non_null(strstr(s, "  with GetMetricData: 8 metrics in 1 call "
                              "every 60 s = 345,600 metrics per 30-day "
                              "month, about $3.46 at $0.01 per 1,000 metrics "
                              "(none free); not used (aws.fetch)\n"));
    assert_non_null(strstr(
        s, "  alarm 'kds-orders-behind' (from template "
           "'kds-{stream}-behind'): w - FILL(r, 0) + 0 * z with w = Sum of "
           "AWS/Kinesis IncomingRecords {StreamName=orders}, r = Sum of "
           "AWS/Kinesis GetRecords.Records {StreamName=orders, "
           "ConsumerName=c-orders}, z = Sum of AWS/Kinesis Other over 60 s "
           "> 1000.0 for 3 of 5 periods -> ALARM: n\n"));
    assert_non_null(strstr(s, "  alarm 'kds-first': Sum of AWS/Kinesis "
                              "IncomingBytes {StreamName=orders}"));
    assert_non_null(strstr(s, "  template 'kds-{stream}-behind': streams "
                              "matching 'clicks-*' or 'x?' are found at run "
                              "time with ListStreams (3 GetMetricStatistics "
                              "per cycle for each)\n"));
    assert_non_null(strstr(s, "  template 'kds-{stream}-pattern-only': "
                              "streams matching 'tmp-*' are found at run "
                              "time with ListStreams"));
    sw_buf_release(&b);
    sw_conf_free(c);
}

/* What the agent calls for each name ListStreams returns. */
static void
test_instantiate(void **state)
{
    struct sw_conf *c = load_ok("good_template.conf");
    const struct sw_rule *t = c->templates[0];
    struct sw_rule *a = (struct sw_rule *)1;
    char err[512], longname[129];

    (void)state;
    assert_int_equal(
        sw_conf_instantiate(c, t, "clicks-eu", &a, err, sizeof(err)), 0);
    assert_string_equal(a->name, "kds-clicks-eu-behind");
    assert_string_equal(a->stream, "clicks-eu");
    assert_string_equal(a->template_name, "kds-{stream}-behind");
    assert_string_equal(a->metrics[1].dims[1].value, "c-clicks-eu");
    assert_string_equal(err, "");
    sw_rule_free(a);

    assert_int_equal(
        sw_conf_instantiate(c, t, "bad name\n", &a, err, sizeof(err)),
        SW_EINVAL);
    assert_null(a);
    assert_string_equal(err, "not a Kinesis stream name (1 to 128 letters, "
                             "digits, '_', '.' or '-')");

    /* The longest stream name Kinesis allows still makes a valid name. */
    memset(longname, 'a', 128);
    longname[128] = '\0';
    assert_int_equal(sw_conf_instantiate(c, t, longname, &a, err, sizeof(err)),
                     0);
    sw_rule_free(a);

    /* The name prefix of a synced alarm is checked per stream: rewrite
     * the prefix to see it refused. */
    free(c->sync.name_prefix);
    c->sync.name_prefix = strdup("prod-");
    assert_non_null(c->sync.name_prefix);
    assert_int_equal(
        sw_conf_instantiate(c, t, "clicks-eu", &a, err, sizeof(err)),
        SW_EINVAL);
    assert_null(a);
    assert_string_equal(err, "stream 'clicks-eu': alarm "
                             "'kds-clicks-eu-behind' is synced, so its name "
                             "must start with sync.name_prefix 'prod-'");
    /* An unsynced template is not bound by it. */
    assert_int_equal(
        sw_conf_instantiate(c, c->templates[1], "tmp-1", &a, err, sizeof(err)),
        0);
    sw_rule_free(a);
    sw_conf_free(c);
}

/* A template with only patterns and no other rule: no alarms yet, but the
 * file is not empty. */
static void
test_pattern_only(void **state)
{
    static const char text[] =
        "rules = ( { name = \"{stream}-in\"; streams = [ \"*\" ];\n"
        "  metric = \"IncomingRecords\"; statistic = \"Sum\"; period = 60;\n"
        "  threshold = 1; comparison = \"GreaterThanThreshold\";\n"
        "  evaluation_periods = 1; } );\n";
    struct sw_conf *c = NULL;
    struct sw_strv errors = {0};

    (void)state;
    assert_int_equal(
        sw_conf_load_text(text, strlen(text), "p.conf", "/", &c, &errors), 0);
    assert_int_equal(c->nrules, 0);
    assert_int_equal(c->ntemplates, 1);
    assert_int_equal(c->nrule_groups, 1);
    assert_int_equal(c->warnings.n, 1); /* no actions; not "no rules" */
    assert_non_null(strstr(c->warnings.v[0], "no actions"));
    sw_conf_free(c);
}

static void
test_include(void **state)
{
    struct sw_conf *c = load_ok("good_include.conf");

    (void)state;
    assert_int_equal(c->nnotifiers, 1);
    assert_string_equal(c->notifiers[0].name, "inc-log");
    assert_int_equal(c->notifiers[0].line, 3); /* in the included file */
    assert_string_equal(c->rules[0]->alarm_actions.v[0], "inc-log");
    sw_conf_free(c);
}

static void
test_empty(void **state)
{
    struct sw_conf *c = load_ok("good_empty.conf");

    (void)state;
    assert_int_equal(c->nrules, 0);
    assert_int_equal(c->warnings.n, 1);
    assert_string_equal(c->warnings.v[0], "good_empty.conf: warning: no "
                                          "rules: the agent has nothing to "
                                          "watch");
    sw_conf_free(c);
}

/* Regression: the price followed agent.interval (300 s here), but alarms
 * are polled at their own cadence, so it was about 5x too low. */
static void
test_summary_cadence(void **state)
{
    struct sw_conf *c = load_ok("good_cadence.conf");
    struct sw_buf b;

    (void)state;
    sw_buf_init(&b, 64 * 1024);
    assert_int_equal(sw_conf_summary(c, &b), 0);
    /* 1 x 259,200 + 2 x 43,200 + 1 x 720 */
    assert_non_null(strstr(sw_buf_str(&b),
                           "  API requests: 1 GetMetricStatistics every 10 s "
                           "+ 2 GetMetricStatistics every 60 s + 1 "
                           "GetMetricStatistics every hour = 346,320 per "
                           "30-day month, about $3.46 at $0.01 per 1,000 "
                           "requests (first 1,000,000 a month are free)\n"));
    sw_buf_release(&b);
    sw_conf_free(c);
}

static void
test_summary(void **state)
{
    static const char want[] =
        "good_seed.conf: OK\n"
        "  rules: 2 (2 alarms)\n"
        "  notifiers: 3 (log 1, sns 1, email 1)\n"
        "  source: CloudWatch in ap-northeast-1\n"
        "  API requests: 2 GetMetricStatistics every 60 s = 86,400 per "
        "30-day month, about $0.86 at $0.01 per 1,000 requests (first "
        "1,000,000 a month are free)\n"
        "  with GetMetricData: 2 metrics in 2 calls every 60 s = 86,400 "
        "metrics per 30-day month, about $0.86 at $0.01 per 1,000 metrics "
        "(none free); not used (aws.fetch)\n"
        "  watcher: 'watcher:onprem-01' goes to ALARM when an alarm's "
        "fetches fail for 300 s in a row -> logged only (agent.failure_actions "
        "is empty)\n"
        "  alarm 'sample-incoming-high': Sum of AWS/Kinesis IncomingRecords "
        "{StreamName=sample} over 60 s > 10.0 for 1 of 1 periods -> ALARM: "
        "ops-topic, oncall-mail; OK: ops-topic\n"
        "  alarm 'sample-iterator-age': Maximum of AWS/Kinesis "
        "GetRecords.IteratorAgeMilliseconds {StreamName=sample} over 300 s "
        ">= 60000.0 for 3 of 5 periods (missing data: breaching) -> ALARM: "
        "console; INSUFFICIENT_DATA: console, ops-topic\n";
    struct sw_conf *c = load_ok("good_seed.conf");
    struct sw_buf b;

    (void)state;
    sw_buf_init(&b, 64 * 1024);
    assert_int_equal(sw_conf_summary(c, &b), 0);
    assert_string_equal(sw_buf_str(&b), want);
    sw_buf_release(&b);

    /* The caller's cap is honoured. */
    sw_buf_init(&b, 100);
    assert_int_equal(sw_conf_summary(c, &b), SW_ETOOBIG);
    sw_buf_release(&b);
    sw_conf_free(c);
}

static void
test_summary_recording(void **state)
{
    struct sw_conf *c = load_ok("good_full.conf");
    struct sw_buf b;

    (void)state;
    sw_buf_init(&b, 64 * 1024);
    assert_int_equal(sw_conf_summary(c, &b), 0);
    assert_non_null(strstr(sw_buf_str(&b), "  notifiers: 6 (log 2, sns 1, "
                                           "email 1, webhook 1, "
                                           "alertmanager 1)\n"));
    assert_non_null(strstr(sw_buf_str(&b), "  API requests: none (metrics "
                                           "come from the recording)\n"));
    assert_non_null(strstr(sw_buf_str(&b), "-> actions disabled\n"));
    assert_non_null(strstr(sw_buf_str(&b),
                           "when an alarm's fetches fail for "
                           "300 s in a row -> console, hook\n"));
    sw_buf_release(&b);
    sw_conf_free(c);
}

static void
test_unreadable(void **state)
{
    struct sw_conf *c = (struct sw_conf *)1;
    struct sw_strv errors = {0};

    (void)state;
    assert_int_equal(sw_conf_load("no-such.conf", &c, &errors), SW_ENOENT);
    assert_null(c);
    assert_int_equal(errors.n, 1);
    assert_string_equal(errors.v[0], "no-such.conf: cannot read: No such "
                                     "file or directory");
    sw_strv_release(&errors);

    assert_int_equal(sw_conf_load("include", &c, &errors), SW_EIO);
    assert_int_equal(errors.n, 1);
    assert_string_equal(errors.v[0], "include: cannot read: Is a "
                                     "directory");
    sw_strv_release(&errors);
}

static void
test_too_big(void **state)
{
    char path[] = "/tmp/test_conf_big_XXXXXX";
    struct sw_conf *c = NULL;
    struct sw_strv errors = {0};
    char line[64];
    FILE *f;
    int fd;

    (void)state;
    fd = mkstemp(path);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    memset(line, '#', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\n';
    for (size_t n = 0; n <= SW_CONF_MAX_BYTES; n += sizeof(line))
        assert_int_equal(fwrite(line, sizeof(line), 1, f), 1);
    fclose(f);
    assert_int_equal(sw_conf_load(path, &c, &errors), SW_ETOOBIG);
    assert_null(c);
    assert_int_equal(errors.n, 1);
    assert_non_null(strstr(errors.v[0], ": cannot read: larger than "
                                        "16777216 bytes"));
    unlink(path);
    sw_strv_release(&errors);
}

/* The text entry point (the fuzzer's): no NUL terminator needed, paths
 * resolve against the directory given, the name is used in messages. */
static void
test_load_text(void **state)
{
    static const char text[] =
        "agent = { state_dir = \"st\"; interval = 9; };XXXX";
    struct sw_conf *c = NULL;
    struct sw_strv errors = {0};

    (void)state;
    assert_int_equal(sw_conf_load_text(text, strlen(text) - 4, "t.conf",
                                       "/srv/sw", &c, &errors),
                     SW_EPARSE);
    assert_int_equal(errors.n, 1);
    assert_string_equal(errors.v[0], "t.conf:1: agent: 'interval' must be "
                                     "between 10 and 86400, not 9");
    sw_strv_release(&errors);
    assert_int_equal(
        sw_conf_load_text(text, 28, "t.conf", "/srv/sw/", &c, &errors),
        SW_EPARSE); /* cut inside the group */
    sw_strv_release(&errors);
    assert_int_equal(sw_conf_load_text("agent={state_dir=\"./st\";};", 26,
                                       "t.conf", "/srv/sw/", &c, &errors),
                     0);
    assert_string_equal(c->agent.state_dir, "/srv/sw/st");
    sw_conf_free(c);
    /* A byte order mark is skipped. */
    assert_int_equal(sw_conf_load_text("\xef\xbb\xbf"
                                       "agent={};",
                                       12, "t.conf", "/", &c, &errors),
                     0);
    sw_conf_free(c);
    assert_int_equal(errors.n, 0);
}

/* Loading through a relative directory gives the same absolute paths. */
static void
test_relative_dir(void **state)
{
    struct sw_conf *c;
    char want[PATH_MAX * 2];

    (void)state;
    assert_int_equal(chdir(".."), 0);
    c = load_ok("config/good_full.conf");
    (void)snprintf(want, sizeof(want), "%s/smtp.pass", cwd);
    assert_string_equal(sw_conf_notifier(c, "mail")->password_file, want);
    sw_conf_free(c);
    assert_int_equal(chdir(cwd), 0);
}

/* The shipped examples are valid and draw no warnings. */
static void
test_examples(void **state)
{
    static const char *const names[] = {
        "streamwatch.conf", "minimal.conf", "kinesis-stream.conf",
        "kinesis-consumers.conf", "kinesis-capacity.conf"};
    char path[PATH_MAX * 2];

    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct sw_conf *c;
        (void)snprintf(path, sizeof(path), "%s/../../../examples/%s", cwd,
                       names[i]);
        c = load_ok(path);
        for (size_t j = 0; j < c->warnings.n; j++)
            fprintf(stderr, "%s\n", c->warnings.v[j]);
        assert_int_equal(c->warnings.n, 0);
        assert_true(c->nrules > 0);
        sw_conf_free(c);
    }
}

/* Warnings do not fail the load; check prints them. */
static void
test_warnings(void **state)
{
    static const char text[] =
        "notifiers = ( { name = \"spare\"; type = \"log\"; } );\n"
        "rules = ( { name = \"fast\"; metric = \"IncomingRecords\";\n"
        "  statistic = \"Sum\"; period = 10; threshold = 1;\n"
        "  comparison = \"GreaterThanThreshold\"; evaluation_periods = 1;\n"
        "  alarm_actions = [ ]; } );\n";
    struct sw_conf *c = NULL;
    struct sw_strv errors = {0};
    struct sw_buf b;

    (void)state;
    assert_int_equal(
        sw_conf_load_text(text, strlen(text), "w.conf", "/", &c, &errors), 0);
    assert_int_equal(c->warnings.n, 3);
    assert_string_equal(c->warnings.v[0],
                        "w.conf:3: warning: rule 'fast': a 10 s period is "
                        "finer than the one-minute AWS/Kinesis metrics: the "
                        "alarm will often be INSUFFICIENT_DATA");
    assert_string_equal(c->warnings.v[1],
                        "w.conf:2: warning: rule 'fast': no actions: its "
                        "state changes notify nobody");
    assert_string_equal(c->warnings.v[2],
                        "w.conf:1: warning: notifier 'spare' is not used by "
                        "any rule or agent.failure_actions");
    sw_buf_init(&b, 64 * 1024);
    assert_int_equal(sw_conf_summary(c, &b), 0);
    assert_non_null(strstr(sw_buf_str(&b), "-> no actions\n  w.conf:3: "
                                           "warning: rule 'fast'"));
    sw_buf_release(&b);
    sw_conf_free(c);
}

/* allow_insecure = true lets a secret cross the network in clear, and
 * check says so each time; loopback hosts need nothing; an
 * allow_insecure nothing needs is pointed out (it would let a later
 * http:// url through unnoticed).  bad_insecure.conf has the refusals. */
static void
test_insecure(void **state)
{
    static const char *const want[] = {
        "good_insecure.conf:11: warning: notifier 'lab-hook': allow_insecure "
        "= true: sends the bearer token and the requests signed with "
        "secret_file in clear over http:// to hooks.lab.internal",
        "good_insecure.conf:16: warning: notifier 'lab-mail': allow_insecure "
        "= true: sends the SMTP password in clear (tls \"none\") to "
        "mail.lab.internal",
        "good_insecure.conf:28: warning: notifier 'tls-hook': "
        "'allow_insecure' is not needed: nothing secret crosses the network "
        "in clear here; remove it so that a later change that would is "
        "refused",
        "good_insecure.conf:6: warning: aws: allow_insecure = true: sends the "
        "signed requests and the session token in clear over http:// to "
        "cloudwatch.lab.internal",
    };
    static const char *const plain[] = {"local-hook", "localhost-hook",
                                        "v6-hook", "local-mail", "plain-hook"};
    struct sw_conf *c = load_ok("good_insecure.conf");
    struct sw_buf b;

    (void)state;
    assert_int_equal(c->aws.allow_insecure, 1);
    assert_string_equal(c->aws.endpoint, "http://cloudwatch.lab.internal:4566");
    assert_int_equal(sw_conf_notifier(c, "lab-hook")->allow_insecure, 1);
    assert_int_equal(sw_conf_notifier(c, "lab-mail")->allow_insecure, 1);
    assert_int_equal(sw_conf_notifier(c, "tls-hook")->allow_insecure, 1);
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        assert_int_equal(sw_conf_notifier(c, plain[i])->allow_insecure, 0);
    if (c->warnings.n != sizeof(want) / sizeof(want[0]))
        for (size_t i = 0; i < c->warnings.n; i++)
            fprintf(stderr, "%s\n", c->warnings.v[i]);
    assert_int_equal(c->warnings.n, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < c->warnings.n; i++)
        assert_string_equal(c->warnings.v[i], want[i]);
    /* check prints them under the summary. */
    sw_buf_init(&b, 64 * 1024);
    assert_int_equal(sw_conf_summary(c, &b), 0);
    assert_non_null(strstr(sw_buf_str(&b), want[0]));
    sw_buf_release(&b);
    sw_conf_free(c);

    c = load_ok("good_defaults.conf");
    assert_int_equal(c->aws.allow_insecure, 0);
    sw_conf_free(c);
}

/* What conf_key_load() and conf_keys_free() rely on in every row. */
static void
check_table(const char *section, const struct conf_key *keys)
{
    for (const struct conf_key *k = keys; k->name; k++) {
        int has_field = k->off != CONF_NOFIELD;

        if (!k->desc || !k->desc[0])
            fail_msg("%s.%s: no description", section, k->name);
        for (const struct conf_key *o = keys; o < k; o++)
            if (strcmp(o->name, k->name) == 0)
                fail_msg("%s.%s: listed twice", section, k->name);
        switch (k->type) {
        case CT_STR:
            if (!(k->flags & CK_RAW) && k->max <= 0)
                fail_msg("%s.%s: no length", section, k->name);
            /* fall through */
        case CT_PATH:
        case CT_INT:
        case CT_NUM:
        case CT_BOOL:
        case CT_STRLIST:
            if (!has_field && !k->check)
                fail_msg("%s.%s: stored nowhere", section, k->name);
            if (k->type == CT_INT && k->min > k->max)
                fail_msg("%s.%s: no range", section, k->name);
            break;
        case CT_ENUM:
            if (!k->parse || !k->expect || !has_field)
                fail_msg("%s.%s: an enum needs parse, expect and a field",
                         section, k->name);
            break;
        case CT_GROUP:
        case CT_LIST:
            if (!k->check || !k->expect)
                fail_msg("%s.%s: needs a callback and an example", section,
                         k->name);
            break;
        }
    }
}

static void
test_schema(void **state)
{
    (void)state;
    check_table("(root)", conf_root_keys);
    check_table("aws", conf_aws_keys);
    check_table("agent", conf_agent_keys);
    check_table("sync", conf_sync_keys);
    check_table("notifier", conf_notifier_keys);
    for (int t = 0; t < CONF_NTYPES; t++) {
        check_table(conf_notifier_types[t], conf_notifier_type_keys[t]);
        assert_string_equal(
            sw_conf_notifier_type_name((enum sw_notifier_type)t),
            conf_notifier_types[t]);
    }
    check_table("rule", conf_rule_keys);
    check_table("metric", conf_metric_keys);
    /* The defaults come from the tables. */
    assert_int_equal(conf_key_find(conf_aws_keys, "connect_timeout")->def, 5);
    assert_string_equal(conf_key_find(conf_sync_keys, "owner")->sdef,
                        "streamwatch");
    assert_null(conf_key_find(conf_agent_keys, "no_such_key"));
}

/* doc_section - the text of docs/configuration.md from the heading that
 * starts with FROM to the next one that starts with UNTIL (NULL: the end),
 * in *out (new). */
static char *
doc_section(const char *doc, const char *from, const char *until)
{
    const char *a = strstr(doc, from), *b;

    assert_non_null(a);
    b = until ? strstr(a, until) : NULL;
    if (!b)
        b = a + strlen(a);
    return strndup(a, (size_t)(b - a));
}

/* Every key of the schema has its entry in docs/configuration.md, where
 * the reader looks for it, and the plain integer ranges read the same. */
static void
test_schema_documented(void **state)
{
    static const struct {
        const char *from, *until;
        const struct conf_key *keys;
    } sections[] = {
        {"## 1. ", NULL, conf_root_keys}, /* each has a section */
        {"## 2. `aws`", "## 3. ", conf_aws_keys},
        {"## 3. `agent`", "## 4. ", conf_agent_keys},
        {"## 4. `sync`", "## 5. ", conf_sync_keys},
        {"## 5. `notifiers`", "### `log`", conf_notifier_keys},
        {"### `log`", "### `sns`", NULL},
        {"### `sns`", "### `email`", NULL},
        {"### `email`", "### `webhook`", NULL},
        {"### `webhook`", "### `alertmanager`", NULL},
        {"### `alertmanager`", "## 6. ", NULL},
        {"## 6. `rules`", "## 9. ", conf_rule_keys},
        {"## 8. Metric math", "## 9. ", conf_metric_keys},
    };
    char path[PATH_MAX * 2], *doc;
    int failed = 0, type = 0;

    (void)state;
    (void)snprintf(path, sizeof(path), "%s/../../../docs/configuration.md",
                   cwd);
    doc = slurp(path);
    assert_non_null(doc);
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        const struct conf_key *keys = sections[i].keys;
        char *text = doc_section(doc, sections[i].from, sections[i].until);

        if (!keys)
            keys = conf_notifier_type_keys[type++];
        for (const struct conf_key *k = keys; k->name; k++) {
            char want[160];

            (void)snprintf(want, sizeof(want), "`%s`", k->name);
            if (!strstr(text, want)) {
                fprintf(stderr, "%s: no %s\n", sections[i].from, want);
                failed++;
                continue;
            }
            if (k->type != CT_INT || k->check || k->max == INT_MAX ||
                keys == conf_rule_keys)
                continue;
            (void)snprintf(want, sizeof(want),
                           "| `%s` | integer, %ld\xe2\x80\x93%ld |", k->name,
                           k->min, k->max);
            if (!strstr(text, want)) {
                fprintf(stderr, "%s: no '%s'\n", sections[i].from, want);
                failed++;
            }
        }
        free(text);
    }
    free(doc);
    assert_int_equal(failed, 0);
}

/* man_table - the schema table the key PATH of streamwatch.conf(5) names
 * ("aws.region", "notifiers.sns.topic_arn", "rules.metrics.id", "rules"),
 * and in *NAME the key's name within it. */
static const struct conf_key *
man_table(const char *path, const char **name)
{
    static const struct {
        const char *prefix;
        const struct conf_key *keys;
    } sections[] = {
        {"aws.", conf_aws_keys},
        {"agent.", conf_agent_keys},
        {"sync.", conf_sync_keys},
        {"rules.metrics.", conf_metric_keys}, /* before "rules." */
        {"rules.", conf_rule_keys},
    };

    if (strncmp(path, "notifiers.", 10) == 0) {
        const char *rest = path + 10, *dot = strchr(rest, '.');

        for (size_t t = 0; dot && t < CONF_NTYPES; t++) {
            size_t n = strlen(conf_notifier_types[t]);

            if (n == (size_t)(dot - rest) &&
                strncmp(rest, conf_notifier_types[t], n) == 0) {
                *name = dot + 1;
                return conf_notifier_type_keys[t];
            }
        }
        *name = rest;
        return conf_notifier_keys;
    }
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        size_t n = strlen(sections[i].prefix);

        if (strncmp(path, sections[i].prefix, n) == 0) {
            *name = path + n;
            return sections[i].keys;
        }
    }
    *name = path;
    return conf_root_keys;
}

/* man_key - the key a ".B WORD" line names, into OUT: WORD when it is
 * lower-case letters, digits, '_' and '.' only (a key's path), else ""
 * (an option, a variable or a file in some other list). */
static void
man_key(const char *line, char *out, size_t size)
{
    size_t n = strcspn(line, "\n");

    out[0] = '\0';
    if (n == 0 || n >= size ||
        strspn(line, "abcdefghijklmnopqrstuvwxyz"
                     "0123456789_.") != n)
        return;
    memcpy(out, line, n);
    out[n] = '\0';
}

/* streamwatch.conf(5) lists exactly the loader's keys: every ".TP"
 * followed by ".B section.key" (the layout the page's header comment
 * describes) names a key of the schema, once, with its type and default
 * in parentheses on the next line; and every key of every table has its
 * entry. */
static void
test_manpage_keys(void **state)
{
    static const struct {
        const char *prefix;
        const struct conf_key *keys;
    } tables[] = {
        {"", conf_root_keys},
        {"aws.", conf_aws_keys},
        {"agent.", conf_agent_keys},
        {"sync.", conf_sync_keys},
        {"notifiers.", conf_notifier_keys},
        {"rules.", conf_rule_keys},
        {"rules.metrics.", conf_metric_keys},
    };
    char path[PATH_MAX * 2], key[160], want[160], *page;
    struct sw_strv seen = {0};
    const char *p;
    int failed = 0;

    (void)state;
    (void)snprintf(path, sizeof(path), "%s/../../../man/streamwatch.conf.5",
                   cwd);
    page = slurp(path);
    assert_non_null(page);
    for (p = strstr(page, "\n.TP\n.B "); p; p = strstr(p, "\n.TP\n.B ")) {
        const struct conf_key *keys;
        const char *name, *next;

        p += 8;
        man_key(p, key, sizeof(key));
        if (!key[0])
            continue;
        keys = man_table(key, &name);
        if (!conf_key_find(keys, name)) {
            fprintf(stderr,
                    "streamwatch.conf.5: '%s' is not a key of the "
                    "loader\n",
                    key);
            failed++;
        }
        for (size_t i = 0; i < seen.n; i++)
            if (strcmp(seen.v[i], key) == 0) {
                fprintf(stderr, "streamwatch.conf.5: '%s' twice\n", key);
                failed++;
            }
        next = strchr(p, '\n');
        if (!next || next[1] != '(') {
            fprintf(stderr,
                    "streamwatch.conf.5: '%s': no \"(type; default)\" "
                    "line after it\n",
                    key);
            failed++;
        }
        assert_int_equal(sw_strv_push(&seen, key), 0);
    }
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        for (const struct conf_key *k = tables[i].keys; k->name; k++) {
            int found = 0;

            (void)snprintf(want, sizeof(want), "%s%s", tables[i].prefix,
                           k->name);
            for (size_t j = 0; j < seen.n && !found; j++)
                found = strcmp(seen.v[j], want) == 0;
            if (!found) {
                fprintf(stderr, "streamwatch.conf.5: no entry for '%s'\n",
                        want);
                failed++;
            }
        }
    }
    for (size_t t = 0; t < CONF_NTYPES; t++) {
        for (const struct conf_key *k = conf_notifier_type_keys[t]; k->name;
             k++) {
            int found = 0;

            (void)snprintf(want, sizeof(want), "notifiers.%s.%s",
                           conf_notifier_types[t], k->name);
            for (size_t j = 0; j < seen.n && !found; j++)
                found = strcmp(seen.v[j], want) == 0;
            if (!found) {
                fprintf(stderr, "streamwatch.conf.5: no entry for '%s'\n",
                        want);
                failed++;
            }
        }
    }
    sw_strv_release(&seen);
    free(page);
    assert_int_equal(failed, 0);
}

/* Settings that passed `check` before and that `run` refused when it
 * built the notifier or the AWS client: each notifier's and aws/'s own
 * check now decides for both.  Each case is one notifier (or one aws
 * group) and the start of the one error it must draw. */
static void
test_agrees_with_run(void **state)
{
    static const struct {
        const char *text;
        const char *err;
    } cases[] = {
        /* SNS: the ARN's region and partition agree, and with aws.region
         * (SigV4 signs for it; sw_notifier_sns_new() refuses others). */
        {"notifiers = ( { name = \"n\"; type = \"sns\"; topic_arn = "
         "\"arn:aws:sns:us-gov-west-1:123456789012:ops\"; } );",
         "c.conf:1: notifier 'n': 'topic_arn' must be an SNS topic ARN"},
        {"notifiers = ( { name = \"n\"; type = \"sns\"; topic_arn = "
         "\"arn:aws-cn:sns:eu-west-1:123456789012:ops\"; } );",
         "c.conf:1: notifier 'n': 'topic_arn' must be an SNS topic ARN"},
        {"notifiers = ( { name = \"n\"; type = \"sns\"; topic_arn = "
         "\"arn:aws:sns:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaa-east-1:123456789012:ops\"; } );", /* 64 characters
                                                               */
         "c.conf:1: notifier 'n': 'topic_arn' must be an SNS topic ARN"},
        {"aws = { region = \"ap-northeast-1\"; };\n"
         "notifiers = ( { name = \"n\"; type = \"sns\"; topic_arn = "
         "\"arn:aws:sns:us-east-1:123456789012:ops\"; } );",
         "c.conf:2: notifier 'n': 'topic_arn': topic ARN is in region "
         "'us-east-1', but the AWS region is 'ap-northeast-1'"},
        {"aws = { region = \"ap-northeast-1\"; };\n"
         "rules = ( { name = \"r\"; metric = \"m\"; statistic = \"Sum\";\n"
         "  period = 60; threshold = 1; comparison = "
         "\"GreaterThanThreshold\"; evaluation_periods = 1;\n"
         "  alarm_actions = [ \"arn:aws:sns:eu-west-1:123456789012:x\" ]; "
         "} );",
         "c.conf:4: rule 'r': alarm_actions: "
         "'arn:aws:sns:eu-west-1:123456789012:x': topic ARN is in region"},
        /* aws/: the region and the endpoint as the client takes them. */
        {"aws = { region = "
         "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaa\"; };",
         "c.conf:1: aws: 'region' must look like ap-northeast-1"},
        {"aws = { endpoint = \"http://127.0.0.1:4566/?x=1\"; };",
         "c.conf:1: aws: 'endpoint': "},
        {"aws = { endpoint = \"https://h.example/#x\"; };",
         "c.conf:1: aws: 'endpoint': "},
        /* email: libcurl's URL and the addresses the notifier sends to. */
        {"notifiers = ( { name = \"n\"; type = \"email\"; url = "
         "\"smtp://mail.example.com?x\"; tls = \"starttls\";\n"
         "  from = \"a@example.com\"; to = [ \"b@example.com\" ]; } );",
         "c.conf:1: notifier 'n': 'url' must not have a query or fragment"},
        {"notifiers = ( { name = \"n\"; type = \"email\"; url = "
         "\"smtp://mail.example.com\"; tls = \"starttls\";\n"
         "  from = \"a@-example.com\"; to = [ \"b@example.com\" ]; } );",
         "c.conf:2: notifier 'n': 'from' must be a plain address"},
        /* webhook: the header values and URLs the notifier can send. */
        {"notifiers = ( { name = \"n\"; type = \"webhook\"; url = "
         "\"https://h.example.com/\";\n  headers = { X-Team = "
         "\"caf\xc3\xa9\"; }; } );",
         "c.conf:2: notifier 'n': header 'X-Team': value must be printable "
         "ASCII"},
        {"notifiers = ( { name = \"n\"; type = \"webhook\"; url = "
         "\"https://h.example.com/caf\xc3\xa9\"; } );",
         "c.conf:1: notifier 'n': URL holds a space, control or non-ASCII "
         "byte"},
        {"notifiers = ( { name = \"n\"; type = \"webhook\"; url = "
         "\"https://h.example.com/\";\n  headers = { Expect = "
         "\"100-continue\"; }; } );",
         "c.conf:2: notifier 'n': header 'Expect' is set by streamwatch"},
        /* alertmanager: a base URL without a query. */
        {"notifiers = ( { name = \"n\"; type = \"alertmanager\"; url = "
         "\"http://127.0.0.1:9093/?x\"; } );",
         "c.conf:1: notifier 'n': URL must be Alertmanager's base URL"},
    };
    int failed = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sw_conf *c = NULL;
        struct sw_strv errors = {0};
        int r = sw_conf_load_text(cases[i].text, strlen(cases[i].text),
                                  "c.conf", "/", &c, &errors);

        if (r != SW_EPARSE || errors.n != 1 ||
            strncmp(errors.v[0], cases[i].err, strlen(cases[i].err)) != 0) {
            fprintf(stderr, "--- case %zu: r=%d, want '%s...', got:\n", i, r,
                    cases[i].err);
            for (size_t j = 0; j < errors.n; j++)
                fprintf(stderr, "%s\n", errors.v[j]);
            failed++;
        }
        sw_conf_free(c);
        sw_strv_release(&errors);
    }
    assert_int_equal(failed, 0);
}

/* What the notifiers accept, the load accepts: a tab in a header value,
 * an ARN of another partition in its own region, a FIFO topic. */
static void
test_agrees_with_run_ok(void **state)
{
    static const char text[] =
        "aws = { region = \"cn-north-1\"; };\n"
        "notifiers = (\n"
        "  { name = \"t\"; type = \"sns\"; topic_arn = "
        "\"arn:aws-cn:sns:cn-north-1:123456789012:a_b-C.fifo\"; },\n"
        "  { name = \"w\"; type = \"webhook\"; url = \"https://h.example/\";\n"
        "    headers = { X-Team = \"ops\\tpager\"; }; }\n"
        ");\n"
        "rules = ( { name = \"r\"; metric = \"m\"; statistic = \"Sum\";\n"
        "  period = 60; threshold = 1; comparison = "
        "\"GreaterThanThreshold\"; evaluation_periods = 1;\n"
        "  alarm_actions = [ \"t\", \"w\" ]; } );\n";
    struct sw_conf *c = NULL;
    struct sw_strv errors = {0};
    int r = sw_conf_load_text(text, strlen(text), "ok.conf", "/", &c, &errors);

    (void)state;
    for (size_t i = 0; i < errors.n; i++)
        fprintf(stderr, "%s\n", errors.v[i]);
    assert_int_equal(r, 0);
    assert_string_equal(sw_conf_notifier(c, "w")->headers[0].value,
                        "ops\tpager");
    sw_conf_free(c);
}

static void
test_misc(void **state)
{
    (void)state;
    sw_conf_free(NULL);
    assert_string_equal(sw_conf_notifier_type_name(SW_NOTIFIER_WEBHOOK),
                        "webhook");
    assert_string_equal(sw_conf_notifier_type_name((enum sw_notifier_type)42),
                        "?");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_insecure),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_math),
        cmocka_unit_test(test_template),
        cmocka_unit_test(test_summary_templates),
        cmocka_unit_test(test_instantiate),
        cmocka_unit_test(test_pattern_only),
        cmocka_unit_test(test_include),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_summary_cadence),
        cmocka_unit_test(test_summary_recording),
        cmocka_unit_test(test_unreadable),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_load_text),
        cmocka_unit_test(test_relative_dir),
        cmocka_unit_test(test_examples),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_misc),
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_schema_documented),
        cmocka_unit_test(test_manpage_keys),
        cmocka_unit_test(test_agrees_with_run),
        cmocka_unit_test(test_agrees_with_run_ok),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
