/* tests/unit/test_notifier.c - notifiers/notifier and the `log` notifier:
 * the exact JSON line, appending, and errors. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/str.h"
#include "notifiers/log.h"
#include "notifiers/notifier.h"
#include "rules/rule.h"

#define T_CHANGE 1795601141 /* 2026-11-25T10:05:41Z */

static struct sw_rule *
seed_rule(void)
{
    struct sw_rule *r = sw_rule_new();

    assert_non_null(r);
    r->name = sw_strdup("sample-incoming-high");
    r->namespace_ = sw_strdup("AWS/Kinesis");
    r->metric = sw_strdup("IncomingRecords");
    r->stat = sw_strdup("Sum");
    r->dims = calloc(1, sizeof(*r->dims));
    assert_non_null(r->dims);
    r->dims[0].name = sw_strdup("StreamName");
    r->dims[0].value = sw_strdup("sample");
    r->ndims = 1;
    r->period_s = 60;
    r->threshold = 10.0;
    r->cmp = SW_CMP_GT;
    r->evaluation_periods = 1;
    r->datapoints_to_alarm = 1;
    return r;
}

static void
seed_event(struct sw_alarm_event *ev, const struct sw_rule *r)
{
    memset(ev, 0, sizeof(*ev));
    ev->alarm_name = r->name;
    ev->old_state = SW_STATE_INSUFFICIENT_DATA;
    ev->new_state = SW_STATE_ALARM;
    ev->reason = "Threshold Crossed: 1 out of the last 1 datapoints [12.0 "
                 "(25/11/26 10:04:00)] was greater than the threshold (10.0) "
                 "(minimum 1 datapoint for OK -> ALARM transition).";
    ev->state_change_time = T_CHANGE;
    ev->region = "ap-northeast-1";
    ev->rule = r;
}

static const char seed_line[] =
    "{\"AlarmName\":\"sample-incoming-high\",\"AlarmDescription\":null,"
    "\"NewStateValue\":\"ALARM\",\"NewStateReason\":\"Threshold Crossed: 1 "
    "out of the last 1 datapoints [12.0 (25/11/26 10:04:00)] was greater "
    "than the threshold (10.0) (minimum 1 datapoint for OK -> ALARM "
    "transition).\",\"StateChangeTime\":\"2026-11-25T10:05:41.000+0000\","
    "\"Region\":\"ap-northeast-1\",\"OldStateValue\":\"INSUFFICIENT_DATA\","
    "\"Trigger\":{\"MetricName\":\"IncomingRecords\",\"Namespace\":"
    "\"AWS/Kinesis\",\"Statistic\":\"SUM\",\"Dimensions\":[{\"value\":"
    "\"sample\",\"name\":\"StreamName\"}],\"Period\":60,"
    "\"EvaluationPeriods\":1,\"DatapointsToAlarm\":1,\"ComparisonOperator\":"
    "\"GreaterThanThreshold\",\"Threshold\":10.0,\"TreatMissingData\":"
    "\"missing\"},\"Notifier\":\"console\"}\n";

static void
test_format(void **state)
{
    struct sw_rule *r = seed_rule();
    struct sw_alarm_event ev;
    char *line;

    (void)state;
    seed_event(&ev, r);
    line = sw_notifier_log_format("console", &ev);
    assert_non_null(line);
    assert_string_equal(line, seed_line);
    free(line);

    /* A description, no region, a percentile, a fractional threshold and a
     * name that is not UTF-8. */
    free(r->stat);
    r->stat = sw_strdup("p99");
    r->threshold = 0.1;
    ev.description = "says \"hi\"\n";
    ev.region = NULL;
    ev.alarm_name = "bad\xff";
    line = sw_notifier_log_format("console", &ev);
    assert_non_null(line);
    assert_non_null(strstr(line, "\"AlarmName\":\"bad?\",\"AlarmDescription\":"
                                 "\"says \\\"hi\\\"\\n\""));
    assert_non_null(strstr(line, "\"Region\":null"));
    assert_non_null(strstr(line, "\"ExtendedStatistic\":\"p99\""));
    assert_null(strstr(line, "\"Statistic\""));
    assert_non_null(strstr(line, "\"Threshold\":0.1,"));
    assert_int_equal(strchr(line, '\n') - line, (long)strlen(line) - 1);
    free(line);
    sw_rule_free(r);
}

static void
test_deliver_appends(void **state)
{
    char path[] = "/tmp/sw_log_XXXXXX", err[256], buf[8192];
    struct sw_rule *r = seed_rule();
    struct sw_notifier *n;
    struct sw_alarm_event ev;
    FILE *f;
    size_t got;
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(sw_notifier_log_new("console", path, &n), 0);
    assert_string_equal(sw_notifier_name(n), "console");
    assert_string_equal(sw_notifier_type(n), "log");
    seed_event(&ev, r);
    assert_int_equal(sw_notifier_deliver(n, &ev, err, sizeof(err)), 0);
    assert_int_equal(sw_notifier_deliver(n, &ev, err, sizeof(err)), 0);
    f = fopen(path, "r");
    assert_non_null(f);
    got = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[got] = '\0';
    assert_int_equal(got, 2 * strlen(seed_line));
    assert_memory_equal(buf, seed_line, strlen(seed_line));
    assert_string_equal(buf + strlen(seed_line), seed_line);
    sw_notifier_free(n);
    unlink(path);

    /* A path that cannot be opened: an error naming it. */
    assert_int_equal(
        sw_notifier_log_new("console", "/nonexistent/dir/x.log", &n), 0);
    assert_int_equal(sw_notifier_deliver(n, &ev, err, sizeof(err)), SW_EIO);
    assert_non_null(strstr(err, "/nonexistent/dir/x.log"));
    sw_notifier_free(n);
    sw_notifier_free(NULL);

    assert_int_equal(sw_notifier_log_new("console", "", &n), SW_EINVAL);
    assert_null(n);
    sw_rule_free(r);
}

static void
test_stdout(void **state)
{
    char path[] = "/tmp/sw_out_XXXXXX", err[256], buf[8192];
    struct sw_rule *r = seed_rule();
    struct sw_notifier *n;
    struct sw_alarm_event ev;
    int fd = mkstemp(path), saved;
    ssize_t got;

    (void)state;
    /* "-" writes to stdout (captured here) and must not close it. */
    assert_true(fd >= 0);
    fflush(stdout);
    saved = dup(STDOUT_FILENO);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
    assert_int_equal(sw_notifier_log_new("console", "-", &n), 0);
    seed_event(&ev, r);
    ev.new_state = SW_STATE_OK;
    ev.old_state = SW_STATE_ALARM;
    assert_int_equal(sw_notifier_deliver(n, &ev, err, sizeof(err)), 0);
    assert_int_equal(sw_notifier_deliver(n, &ev, err, sizeof(err)), 0);
    sw_notifier_free(n);
    assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
    close(saved);
    got = pread(fd, buf, sizeof(buf) - 1, 0);
    close(fd);
    unlink(path);
    assert_true(got > 0);
    buf[got] = '\0';
    assert_non_null(strstr(buf, "\"NewStateValue\":\"OK\""));
    assert_non_null(strchr(buf, '\n'));
    assert_non_null(strchr(strchr(buf, '\n') + 1, '\n'));
    sw_rule_free(r);
}

static void
test_cw_statistic(void **state)
{
    (void)state;
    assert_string_equal(sw_notifier_cw_statistic("Sum"), "SUM");
    assert_string_equal(sw_notifier_cw_statistic("SampleCount"),
                        "SAMPLE_COUNT");
    assert_string_equal(sw_notifier_cw_statistic("Maximum"), "MAXIMUM");
    assert_null(sw_notifier_cw_statistic("p99"));
    assert_null(sw_notifier_cw_statistic(NULL));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_deliver_appends),
        cmocka_unit_test(test_stdout),
        cmocka_unit_test(test_cw_statistic),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
