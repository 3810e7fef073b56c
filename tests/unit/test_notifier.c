/* tests/unit/test_notifier.c - notifiers/notifier (v2 helpers) and the `log`
 * notifier: the exact JSON line from a record, appending, errors, and the
 * dedup id. */
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
#include "lib/hash.h"
#include "lib/str.h"
#include "notifiers/log.h"
#include "notifiers/notifier.h"

/* A record as notifiers/message builds it, cut down to what the log
 * notifier and the helpers read. */
static json_t *
seed_record(const char *name, const char *state)
{
    json_t *rec = json_pack(
        "{s:{s:s, s:n, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:f}},"
        " s:{s:s, s:b}}",
        "alarm", "AlarmName", name, "AlarmDescription", "NewStateValue", state,
        "NewStateReason",
        "Threshold Crossed: 1 out of the last 1 "
        "datapoints [12.0 (25/11/26 10:04:00)] was greater than the "
        "threshold (10.0) (minimum 1 datapoint for OK -> ALARM transition).",
        "StateChangeTime", "2026-11-25T10:05:41.000+0000", "Region",
        "Asia Pacific (Tokyo)", "OldStateValue", "INSUFFICIENT_DATA", "Trigger",
        "MetricName", "IncomingRecords", "Namespace", "AWS/Kinesis",
        "Statistic", "SUM", "Threshold", 0.1, "streamwatch", "rule", name,
        "repeat", 0);

    assert_non_null(rec);
    return rec;
}

static const char seed_line[] =
    "{\"AlarmName\":\"sample-incoming-high\",\"AlarmDescription\":null,"
    "\"NewStateValue\":\"ALARM\",\"NewStateReason\":\"Threshold Crossed: 1 "
    "out of the last 1 datapoints [12.0 (25/11/26 10:04:00)] was greater "
    "than the threshold (10.0) (minimum 1 datapoint for OK -> ALARM "
    "transition).\",\"StateChangeTime\":\"2026-11-25T10:05:41.000+0000\","
    "\"Region\":\"Asia Pacific (Tokyo)\",\"OldStateValue\":"
    "\"INSUFFICIENT_DATA\",\"Trigger\":{\"MetricName\":\"IncomingRecords\","
    "\"Namespace\":\"AWS/Kinesis\",\"Statistic\":\"SUM\",\"Threshold\":0.1},"
    "\"Notifier\":\"console\"}\n";

static void
test_format(void **state)
{
    json_t *rec = seed_record("sample-incoming-high", "ALARM");
    json_t *bad;
    char *line;

    (void)state;
    line = sw_notifier_log_format("console", rec);
    assert_non_null(line);
    assert_string_equal(line, seed_line);
    free(line);
    /* The record is shared with the outbox: it must not gain the key. */
    assert_null(json_object_get(json_object_get(rec, "alarm"), "Notifier"));

    /* A notifier name that is not UTF-8 still gives a JSON line. */
    line = sw_notifier_log_format("bad\xff", rec);
    assert_non_null(line);
    assert_non_null(strstr(line, "\"Notifier\":\"bad?\"}\n"));
    free(line);

    /* No "alarm" object: nothing to print. */
    bad = json_pack("{s:s}", "alarm", "x");
    assert_null(sw_notifier_log_format("console", bad));
    assert_null(sw_notifier_log_format("console", NULL));
    json_decref(bad);
    json_decref(rec);
}

static void
test_prepare_appends(void **state)
{
    char path[] = "/tmp/sw_log_XXXXXX", err[256], buf[8192];
    json_t *rec = seed_record("sample-incoming-high", "ALARM");
    json_t *bad = json_object();
    struct sw_notifier *n;
    void *ctx = (void *)1;
    FILE *f;
    size_t got;
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(sw_notifier_log_new("console", path, &n), 0);
    assert_string_equal(sw_notifier_name(n), "console");
    assert_string_equal(sw_notifier_type(n), "log");
    assert_int_equal(n->max_age_s, 86400);
    assert_int_equal(n->repeat_interval_s, 0);
    /* No transfer: the line is written at once, ctx stays NULL and the
     * easy handle is not touched. */
    assert_int_equal(n->ops->prepare(n, rec, 0, NULL, &ctx, err, sizeof(err)),
                     SW_PREPARED_SYNC);
    assert_null(ctx);
    assert_int_equal(n->ops->prepare(n, rec, 0, NULL, &ctx, err, sizeof(err)),
                     SW_PREPARED_SYNC);
    f = fopen(path, "r");
    assert_non_null(f);
    got = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[got] = '\0';
    assert_int_equal(got, 2 * strlen(seed_line));
    assert_memory_equal(buf, seed_line, strlen(seed_line));
    assert_string_equal(buf + strlen(seed_line), seed_line);

    /* A record without "alarm" is permanent (SW_EINVAL). */
    assert_int_equal(n->ops->prepare(n, bad, 0, NULL, &ctx, err, sizeof(err)),
                     SW_EINVAL);
    assert_non_null(strstr(err, "alarm"));
    sw_notifier_free(n);
    unlink(path);

    /* A path that cannot be opened: a retryable error naming it. */
    assert_int_equal(
        sw_notifier_log_new("console", "/nonexistent/dir/x.log", &n), 0);
    assert_int_equal(n->ops->prepare(n, rec, 0, NULL, &ctx, err, sizeof(err)),
                     SW_EIO);
    assert_non_null(strstr(err, "/nonexistent/dir/x.log"));
    sw_notifier_free(n);
    sw_notifier_free(NULL);

    assert_int_equal(sw_notifier_log_new("console", "", &n), SW_EINVAL);
    assert_null(n);
    json_decref(bad);
    json_decref(rec);
}

static void
test_stdout(void **state)
{
    char path[] = "/tmp/sw_out_XXXXXX", err[256], buf[8192];
    json_t *rec = seed_record("sample-incoming-high", "OK");
    struct sw_notifier *n;
    void *ctx = NULL;
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
    assert_int_equal(n->ops->prepare(n, rec, 0, NULL, &ctx, err, sizeof(err)),
                     SW_PREPARED_SYNC);
    assert_int_equal(n->ops->prepare(n, rec, 0, NULL, &ctx, err, sizeof(err)),
                     SW_PREPARED_SYNC);
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
    json_decref(rec);
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

static void
test_alarm_name(void **state)
{
    json_t *rec = seed_record("x", "ALARM"), *bad = json_object();

    (void)state;
    assert_string_equal(sw_notifier_alarm_name(rec), "x");
    assert_string_equal(sw_notifier_alarm_name(bad), "?");
    assert_string_equal(sw_notifier_alarm_name(NULL), "?");
    json_decref(rec);
    json_decref(bad);
}

static void
test_dedup_id(void **state)
{
    static const char input[] = "sample-incoming-high\0ALARM\0"
                                "2026-11-25T10:05:41.000+0000\0false";
    json_t *a = seed_record("sample-incoming-high", "ALARM");
    json_t *b = seed_record("sample-incoming-high", "ALARM");
    json_t *ok = seed_record("sample-incoming-high", "OK");
    json_t *bad = json_object();
    char ida[SW_DEDUP_ID_BUF], idb[SW_DEDUP_ID_BUF], want[SW_DEDUP_ID_BUF];

    (void)state;
    /* The documented input, so another implementation can match it. */
    assert_int_equal(sw_sha256_hex(input, sizeof(input), want), 0);
    assert_int_equal(sw_notifier_dedup_id(a, ida), 0);
    assert_string_equal(ida, want);
    assert_int_equal(strlen(ida), 64);

    /* Same alarm, state and time: the same id, whatever else differs. */
    json_object_set_new(json_object_get(b, "alarm"), "NewStateReason",
                        json_string("other words"));
    assert_int_equal(sw_notifier_dedup_id(b, idb), 0);
    assert_string_equal(ida, idb);

    /* Another state, time or reminder number: another id. */
    assert_int_equal(sw_notifier_dedup_id(ok, idb), 0);
    assert_string_not_equal(ida, idb);
    json_object_set_new(json_object_get(b, "alarm"), "StateChangeTime",
                        json_string("2026-11-25T10:06:41.000+0000"));
    assert_int_equal(sw_notifier_dedup_id(b, idb), 0);
    assert_string_not_equal(ida, idb);
    json_object_set_new(json_object_get(a, "streamwatch"), "repeat",
                        json_integer(1));
    assert_int_equal(sw_notifier_dedup_id(a, idb), 0);
    assert_string_not_equal(ida, idb);
    memcpy(ida, idb, sizeof(ida));
    json_object_set_new(json_object_get(a, "streamwatch"), "repeat",
                        json_integer(2));
    assert_int_equal(sw_notifier_dedup_id(a, idb), 0);
    assert_string_not_equal(ida, idb);

    /* ("ab", "c") and ("a", "bc") must not collide. */
    json_object_set_new(json_object_get(ok, "alarm"), "AlarmName",
                        json_string("ab"));
    json_object_set_new(json_object_get(ok, "alarm"), "NewStateValue",
                        json_string("c"));
    assert_int_equal(sw_notifier_dedup_id(ok, ida), 0);
    json_object_set_new(json_object_get(ok, "alarm"), "AlarmName",
                        json_string("a"));
    json_object_set_new(json_object_get(ok, "alarm"), "NewStateValue",
                        json_string("bc"));
    assert_int_equal(sw_notifier_dedup_id(ok, idb), 0);
    assert_string_not_equal(ida, idb);

    assert_int_equal(sw_notifier_dedup_id(bad, ida), SW_EINVAL);
    assert_string_equal(ida, "");
    json_decref(a);
    json_decref(b);
    json_decref(ok);
    json_decref(bad);
}

/* Two agents run for high availability evaluate the same minute at
 * different seconds: their records differ in StateChangeTime (the wall
 * clock) but name the same notification, the ALARM of the period ending
 * 10:05:00, and must get one id. */
#define WINDOW_1005 1795601100 /* 2026-11-25T10:05:00Z */

static json_t *
ha_record(const char *state, const char *change_time, json_int_t window_end,
          int repeat)
{
    json_t *rec = seed_record("sample-incoming-high", state);
    json_t *sw = json_object_get(rec, "streamwatch");

    json_object_set_new(json_object_get(rec, "alarm"), "StateChangeTime",
                        json_string(change_time));
    json_object_set_new(sw, "repeat",
                        repeat ? json_integer(repeat) : json_false());
    json_object_set_new(sw, "window_end", json_integer(window_end));
    return rec;
}

static void
assert_ids(const json_t *a, const json_t *b, int same)
{
    char ida[SW_DEDUP_ID_BUF], idb[SW_DEDUP_ID_BUF];

    assert_int_equal(sw_notifier_dedup_id(a, ida), 0);
    assert_int_equal(sw_notifier_dedup_id(b, idb), 0);
    if (same)
        assert_string_equal(ida, idb);
    else
        assert_string_not_equal(ida, idb);
}

static void
test_dedup_id_two_agents(void **state)
{
    static const char input[] = "sample-incoming-high\0ALARM\0"
                                "1795601100\0false";
    json_t *a =
        ha_record("ALARM", "2026-11-25T10:05:05.000+0000", WINDOW_1005, 0);
    json_t *b =
        ha_record("ALARM", "2026-11-25T10:05:41.000+0000", WINDOW_1005, 0);
    json_t *v;
    char id[SW_DEDUP_ID_BUF], want[SW_DEDUP_ID_BUF];

    (void)state;
    /* 10:05:05 and 10:05:41, the same period: one notification. */
    assert_ids(a, b, 1);

    /* The documented input: the window end in place of the change time. */
    assert_int_equal(sw_sha256_hex(input, sizeof(input), want), 0);
    assert_int_equal(sw_notifier_dedup_id(a, id), 0);
    assert_string_equal(id, want);

    /* Another period, state or reminder: another notification. */
    v = ha_record("ALARM", "2026-11-25T10:05:05.000+0000", WINDOW_1005 + 60, 0);
    assert_ids(a, v, 0);
    json_decref(v);
    v = ha_record("OK", "2026-11-25T10:05:05.000+0000", WINDOW_1005, 0);
    assert_ids(a, v, 0);
    json_decref(v);
    json_decref(b);
    b = ha_record("ALARM", "2026-11-25T10:07:41.000+0000", WINDOW_1005 + 120,
                  1);
    v = ha_record("ALARM", "2026-11-25T10:07:05.000+0000", WINDOW_1005 + 120,
                  1);
    assert_ids(b, v, 1); /* the first reminder of both agents */
    assert_ids(a, v, 0);
    json_decref(v);
    v = ha_record("ALARM", "2026-11-25T10:07:05.000+0000", WINDOW_1005 + 120,
                  2);
    assert_ids(b, v, 0);
    json_decref(v);

    json_decref(a);
    json_decref(b);
}

/* A record queued by a version without window_end keeps the id that
 * version gave it (StateChangeTime hashed), so a retry after an upgrade is
 * still recognised; null or a mistyped window_end counts as missing. */
static void
test_dedup_id_old_record(void **state)
{
    static const char input[] = "sample-incoming-high\0ALARM\0"
                                "2026-11-25T10:05:41.000+0000\0false";
    json_t *old = seed_record("sample-incoming-high", "ALARM");
    json_t *sw = json_object_get(old, "streamwatch");
    json_t *other = seed_record("sample-incoming-high", "ALARM");
    char id[SW_DEDUP_ID_BUF], want[SW_DEDUP_ID_BUF];

    (void)state;
    json_object_set_new(sw, "repeat", json_false());
    assert_int_equal(sw_sha256_hex(input, sizeof(input), want), 0);
    assert_int_equal(sw_notifier_dedup_id(old, id), 0);
    assert_string_equal(id, want);
    json_object_set_new(sw, "window_end", json_null());
    assert_int_equal(sw_notifier_dedup_id(old, id), 0);
    assert_string_equal(id, want);
    json_object_set_new(sw, "window_end", json_string("1795601100"));
    assert_int_equal(sw_notifier_dedup_id(old, id), 0);
    assert_string_equal(id, want);
    json_object_set_new(sw, "window_end", json_integer(0));
    assert_int_equal(sw_notifier_dedup_id(old, id), 0);
    assert_string_equal(id, want);

    /* Stable: the same for every attempt, other change times differ. */
    json_object_set_new(json_object_get(other, "streamwatch"), "repeat",
                        json_false());
    assert_ids(old, other, 1);
    json_object_set_new(json_object_get(other, "alarm"), "StateChangeTime",
                        json_string("2026-11-25T10:06:41.000+0000"));
    assert_ids(old, other, 0);
    json_decref(old);
    json_decref(other);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_prepare_appends),
        cmocka_unit_test(test_stdout),
        cmocka_unit_test(test_cw_statistic),
        cmocka_unit_test(test_alarm_name),
        cmocka_unit_test(test_dedup_id),
        cmocka_unit_test(test_dedup_id_two_agents),
        cmocka_unit_test(test_dedup_id_old_record),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
