/* tests/unit/test_watcher.c - agent/watcher: when the watcher is blind,
 * what it says, and when it sees again; the watcher as a rule. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent/store.h"
#include "agent/watcher.h"
#include "lib/strv.h"
#include "rules/rule.h"

#define T0    1795601100 /* 2026-11-25T10:05:00Z */
#define AFTER 300

struct fixture {
    struct sw_store *st;
    struct sw_rule *rules[30];
    const struct sw_rule *crules[30];
    size_t n;
    struct sw_watcher_input in;
};

static struct fixture *
fixture_new(size_t n)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->st = sw_store_new();
    assert_non_null(f->st);
    for (size_t i = 0; i < n; i++) {
        struct sw_alarm_state *a;
        char name[32];

        snprintf(name, sizeof(name), "alarm-%02zu", i);
        f->rules[i] = sw_rule_new();
        assert_non_null(f->rules[i]);
        f->rules[i]->name = strdup(name);
        f->crules[i] = f->rules[i];
        assert_int_equal(sw_store_ensure(f->st, name, T0, &a), 0);
    }
    f->n = n;
    f->in.rules = f->crules;
    f->in.nrules = n;
    f->in.store = f->st;
    f->in.now = T0;
    f->in.failure_after_s = AFTER;
    return f;
}

static void
fixture_free(struct fixture *f)
{
    for (size_t i = 0; i < f->n; i++)
        sw_rule_free(f->rules[i]);
    sw_store_free(f->st);
    free(f);
}

/* Alarm I fails at each of WHENs, with MSG. */
static void
fetch_fails(struct fixture *f, size_t i, time_t when, const char *msg)
{
    struct sw_alarm_state *a = sw_store_get(f->st, f->rules[i]->name);

    assert_non_null(a);
    assert_int_equal(sw_store_alarm_fetch_failed(a, msg, when), 0);
}

static void
test_nothing_failing_is_ok(void **state)
{
    struct fixture *f = fixture_new(3);
    struct sw_watcher_verdict v;

    (void)state;
    assert_int_equal(
        sw_watcher_judge(&f->in, SW_STATE_INSUFFICIENT_DATA, T0, &v), 0);
    assert_int_equal(v.state, SW_STATE_OK);
    assert_int_equal(v.nblind, 0);
    assert_int_equal(v.nfailing, 0);
    assert_string_equal(v.reason, "No alarm is blind: none has failed to "
                                  "fetch for 300 seconds in a row.");
    sw_watcher_verdict_release(&v);
    fixture_free(f);
}

/* Blind at exactly failure_after seconds of failures, not a second before;
 * the run is counted from the first failure, not the last. */
static void
test_blind_after_failure_after(void **state)
{
    struct fixture *f = fixture_new(3);
    struct sw_watcher_verdict v;
    json_t *rd;

    (void)state;
    for (time_t t = T0; t <= T0 + 240; t += 60)
        fetch_fails(f, 1, t, "GetMetricStatistics: AccessDenied: no");
    f->in.now = T0 + 299;
    assert_int_equal(sw_watcher_judge(&f->in, SW_STATE_OK, T0 - 600, &v), 0);
    assert_int_equal(v.state, SW_STATE_OK);
    assert_int_equal(v.nblind, 0);
    assert_int_equal(v.nfailing, 1);
    sw_watcher_verdict_release(&v);

    f->in.now = T0 + 300;
    assert_int_equal(sw_watcher_judge(&f->in, SW_STATE_OK, T0 - 600, &v), 0);
    assert_int_equal(v.state, SW_STATE_ALARM);
    assert_int_equal(v.nblind, 1);
    assert_string_equal(
        v.reason, "Blind: 1 of 3 alarms could not be evaluated for 300 "
                  "seconds or more, failing since 2026-11-25T10:05:00Z: "
                  "alarm-01. Last error (alarm-01, 2026-11-25T10:09:00Z): "
                  "GetMetricStatistics: AccessDenied: no");
    rd = json_loads(v.reason_data, 0, NULL);
    assert_non_null(rd);
    assert_string_equal(json_string_value(json_object_get(rd, "blindSince")),
                        "2026-11-25T10:05:00Z");
    assert_int_equal(json_integer_value(json_object_get(rd, "blindCount")), 1);
    assert_int_equal(json_array_size(json_object_get(rd, "blindAlarms")), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(rd, "lastError"), "message")),
                        "GetMetricStatistics: AccessDenied: no");
    json_decref(rd);
    sw_watcher_verdict_release(&v);

    /* A success ends the run: failing anew starts the count again. */
    sw_store_alarm_fetch_ok(sw_store_get(f->st, "alarm-01"));
    fetch_fails(f, 1, T0 + 360, "x");
    f->in.now = T0 + 600;
    assert_int_equal(sw_watcher_judge(&f->in, SW_STATE_OK, T0, &v), 0);
    assert_int_equal(v.nblind, 0);
    sw_watcher_verdict_release(&v);
    fixture_free(f);
}

/* In ALARM, it stays until no fetch fails, even once none is blind. */
static void
test_recovery_needs_every_alarm(void **state)
{
    struct fixture *f = fixture_new(2);
    struct sw_watcher_verdict v;

    (void)state;
    fetch_fails(f, 0, T0 + 250, "late");
    f->in.now = T0 + 300;
    assert_int_equal(sw_watcher_judge(&f->in, SW_STATE_ALARM, T0, &v), 0);
    assert_int_equal(v.state, SW_STATE_ALARM);
    assert_null(v.reason);
    assert_int_equal(v.nblind, 0);
    sw_watcher_verdict_release(&v);

    sw_store_alarm_fetch_ok(sw_store_get(f->st, "alarm-00"));
    f->in.now = T0 + 360;
    assert_int_equal(sw_watcher_judge(&f->in, SW_STATE_ALARM, T0, &v), 0);
    assert_int_equal(v.state, SW_STATE_OK);
    assert_string_equal(v.reason,
                        "Every alarm is evaluated again: the watcher was "
                        "blind from 2026-11-25T10:05:00Z to "
                        "2026-11-25T10:11:00Z (360 seconds).");
    sw_watcher_verdict_release(&v);
    fixture_free(f);
}

/* Many blind alarms: 20 named, the rest counted; the earliest start and
 * the latest error are the ones told. */
static void
test_many_blind(void **state)
{
    struct fixture *f = fixture_new(25);
    struct sw_watcher_verdict v;

    (void)state;
    for (size_t i = 0; i < 25; i++)
        fetch_fails(f, i, T0 + (time_t)(i == 7 ? 0 : 60),
                    i == 12 ? "newest" : "old");
    fetch_fails(f, 12, T0 + 120, "newest");
    f->in.now = T0 + 1000;
    assert_int_equal(sw_watcher_judge(&f->in, SW_STATE_OK, T0, &v), 0);
    assert_int_equal(v.nblind, 25);
    assert_non_null(strstr(v.reason, "Blind: 25 of 25 alarms"));
    assert_non_null(strstr(v.reason, "failing since 2026-11-25T10:05:00Z"));
    assert_non_null(strstr(v.reason, "alarm-19 and 5 more. Last error "
                                     "(alarm-12, 2026-11-25T10:07:00Z): "
                                     "newest"));
    assert_null(strstr(v.reason, "alarm-20"));
    sw_watcher_verdict_release(&v);
    fixture_free(f);
}

/* Stream discovery counts as one more thing to see. */
static void
test_discovery(void **state)
{
    struct fixture *f = fixture_new(1);
    struct sw_watcher_verdict v;
    struct sw_alarm_state *w;

    (void)state;
    assert_int_equal(sw_store_watcher(f->st, "watcher:a", T0, &w), 0);
    assert_int_equal(
        sw_store_alarm_fetch_failed(
            w, "discover: ListStreams failed: Throttling: slow down", T0),
        0);
    f->in.discovery = w;
    f->in.now = T0 + 300;
    assert_int_equal(sw_watcher_judge(&f->in, SW_STATE_OK, T0, &v), 0);
    assert_int_equal(v.state, SW_STATE_ALARM);
    assert_string_equal(
        v.reason, "Blind: 1 of 2 alarms could not be evaluated for 300 "
                  "seconds or more, failing since 2026-11-25T10:05:00Z: "
                  "stream discovery (Kinesis ListStreams). Last error "
                  "(stream discovery (Kinesis ListStreams), "
                  "2026-11-25T10:05:00Z): ListStreams failed: Throttling: "
                  "slow down");
    sw_watcher_verdict_release(&v);
    fixture_free(f);
}

static void
test_rule(void **state)
{
    struct sw_strv acts = {0};
    struct sw_rule *r;

    (void)state;
    assert_int_equal(sw_strv_push(&acts, "oncall"), 0);
    r = sw_watcher_rule("onprem-01", &acts, 300);
    assert_non_null(r);
    assert_string_equal(r->name, "watcher:onprem-01");
    assert_string_equal(r->namespace_, "streamwatch");
    assert_string_equal(r->metric, "BlindAlarms");
    assert_int_equal(r->ndims, 1);
    assert_string_equal(r->dims[0].name, "Agent");
    assert_string_equal(r->dims[0].value, "onprem-01");
    assert_int_equal(r->cmp, SW_CMP_GT);
    assert_true(r->threshold == 0.0);
    assert_int_equal(r->alarm_actions.n, 1);
    assert_string_equal(r->ok_actions.v[0], "oncall");
    assert_int_equal(r->insufficient_data_actions.n, 0);
    assert_non_null(strstr(r->description, "300 seconds"));
    sw_rule_free(r);
    sw_strv_release(&acts);
}

/* The watcher's entry in the store: kept apart from the alarms (never
 * pruned), renamed afresh, and the failure run's start recorded. */
static void
test_store_entry(void **state)
{
    struct sw_store *st = sw_store_new();
    struct sw_alarm_state *w, *w2;

    (void)state;
    assert_int_equal(sw_store_watcher(st, "watcher:a", T0, &w), 0);
    assert_int_equal(w->state, SW_STATE_INSUFFICIENT_DATA);
    assert_int_equal(st->n, 0);
    assert_int_equal(sw_store_watcher(st, "watcher:a", T0 + 60, &w2), 0);
    assert_ptr_equal(w, w2);
    assert_int_equal(sw_store_alarm_fetch_failed(w, "e", T0 + 60), 0);
    assert_int_equal(sw_store_alarm_fetch_failed(w, "e", T0 + 120), 0);
    assert_int_equal(w->failing_since, T0 + 60);
    assert_int_equal(sw_store_prune(st, NULL, 0), 0);
    assert_ptr_equal(st->watcher, w);
    assert_int_equal(sw_store_watcher(st, "watcher:b", T0 + 180, &w2), 0);
    assert_string_equal(w2->name, "watcher:b");
    assert_int_equal(w2->fetch_failures, 0);
    assert_int_equal(w2->since, T0 + 180);
    sw_store_free(st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_failing_is_ok),
        cmocka_unit_test(test_blind_after_failure_after),
        cmocka_unit_test(test_recovery_needs_every_alarm),
        cmocka_unit_test(test_many_blind),
        cmocka_unit_test(test_discovery),
        cmocka_unit_test(test_rule),
        cmocka_unit_test(test_store_entry),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
