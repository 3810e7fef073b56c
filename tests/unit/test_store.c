/* tests/unit/test_store.c - agent/store: round trip, atomic writes, refusal
 * of corrupt files, pruning and the value history. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/store.h"
#include "lib/err.h"

#define T0 1795601100 /* 2026-11-25T10:05:00Z */

static char tmpdir[256];

static int
setup(void **state)
{
    const char *base = getenv("TMPDIR");

    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "%s/sw_store_XXXXXX",
             base && *base ? base : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown(void **state)
{
    char cmd[512];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
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

/* Names in tmpdir other than "." and "..", joined with spaces. */
static void
list_dir(char *out, size_t size)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    size_t len = 0;

    assert_non_null(d);
    out[0] = '\0';
    while ((e = readdir(d)) != NULL) {
        int n;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n = snprintf(out + len, size - len, "%s ", e->d_name);
        assert_true(n > 0 && (size_t)n < size - len);
        len += (size_t)n;
    }
    closedir(d);
}

static void
test_missing_file_is_empty(void **state)
{
    struct sw_store *st;
    char err[256], dir[512];

    (void)state;
    assert_int_equal(sw_store_load(tmpdir, &st, err, sizeof(err)), 0);
    assert_non_null(st);
    assert_int_equal(st->n, 0);
    sw_store_free(st);
    snprintf(dir, sizeof(dir), "%s/not/there", tmpdir);
    assert_int_equal(sw_store_load(dir, &st, err, sizeof(err)), 0);
    assert_int_equal(st->n, 0);
    sw_store_free(st);
    sw_store_free(NULL);
}

static void
test_round_trip(void **state)
{
    struct sw_store *st = sw_store_new(), *back;
    struct sw_alarm_state *a, *b, *c;
    struct sw_datapoint pts[] = {{T0 - 120, 3.0, 1.0}, {T0 - 60, 0.1, -1}};
    char err[256], names[512], path[600];
    struct stat sb;

    (void)state;
    assert_non_null(st);
    assert_int_equal(sw_store_ensure(st, "sample-incoming-high", T0, &a), 0);
    assert_int_equal(a->state, SW_STATE_INSUFFICIENT_DATA);
    assert_int_equal(a->since, T0);
    assert_string_equal(a->reason, "Unchecked: Initial alarm creation");
    assert_int_equal(sw_store_ensure(st, "sample-incoming-high", T0 + 5, &b),
                     0);
    assert_ptr_equal(a, b);
    assert_int_equal(b->since, T0);

    assert_int_equal(
        sw_store_alarm_set(a, SW_STATE_ALARM, T0 + 60,
                           "Threshold Crossed: \"quoted\" \xc3\xa9",
                           "{\"version\":\"1.0\",\"threshold\":10.0,"
                           "\"recentDatapoints\":[12.0]}"),
        0);
    a->last_evaluated = T0 + 60;
    assert_int_equal(sw_store_alarm_add_values(a, pts, 2), 0);
    assert_int_equal(sw_store_ensure(st, "other", T0, &c), 0);
    assert_int_equal(
        sw_store_alarm_fetch_failed(c, "Throttling: Rate exceeded", T0 + 7), 0);
    assert_int_equal(sw_store_alarm_fetch_failed(c, "again", T0 + 8), 0);
    assert_int_equal(c->fetch_failures, 2);
    assert_int_equal(c->failing_since, T0 + 7);
    {
        struct sw_alarm_state *w;

        assert_int_equal(sw_store_watcher(st, "watcher:onprem-01", T0, &w), 0);
        assert_int_equal(sw_store_alarm_set(w, SW_STATE_ALARM, T0 + 300,
                                            "Blind: 1 of 2",
                                            "{\"blindCount\":1}"),
                         0);
        assert_int_equal(sw_store_alarm_fetch_failed(w, "discover: x", T0), 0);
    }

    /* 0640 whatever the umask. */
    {
        mode_t old = umask(077);
        assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);
        umask(old);
    }
    list_dir(names, sizeof(names));
    assert_string_equal(names, "state.json ");
    snprintf(path, sizeof(path), "%s/state.json", tmpdir);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0640);

    assert_int_equal(sw_store_load(tmpdir, &back, err, sizeof(err)), 0);
    assert_int_equal(back->n, 2);
    a = sw_store_get(back, "sample-incoming-high");
    assert_non_null(a);
    assert_int_equal(a->state, SW_STATE_ALARM);
    assert_int_equal(a->since, T0 + 60);
    assert_int_equal(a->last_evaluated, T0 + 60);
    assert_string_equal(a->reason, "Threshold Crossed: \"quoted\" \xc3\xa9");
    assert_string_equal(a->reason_data, "{\"version\":\"1.0\",\"threshold\":"
                                        "10.0,\"recentDatapoints\":[12.0]}");
    assert_int_equal(a->nvalues, 2);
    assert_int_equal(a->values[0].ts, T0 - 120);
    assert_true(a->values[0].value == 3.0);
    assert_true(a->values[1].value == 0.1); /* exact after a round trip */
    assert_null(a->fetch_error);
    assert_int_equal(a->last_error_time, 0);
    c = sw_store_get(back, "other");
    assert_non_null(c);
    assert_string_equal(c->fetch_error, "again");
    assert_int_equal(c->fetch_failures, 2);
    assert_int_equal(c->last_error_time, T0 + 8);
    assert_int_equal(c->failing_since, T0 + 7);
    assert_int_equal(c->last_evaluated, 0);
    assert_non_null(back->watcher);
    assert_string_equal(back->watcher->name, "watcher:onprem-01");
    assert_int_equal(back->watcher->state, SW_STATE_ALARM);
    assert_int_equal(back->watcher->since, T0 + 300);
    assert_string_equal(back->watcher->reason, "Blind: 1 of 2");
    assert_string_equal(back->watcher->fetch_error, "discover: x");
    assert_int_equal(back->watcher->failing_since, T0);
    assert_null(c->reason_data);
    assert_null(sw_store_get(back, "nope"));
    sw_store_alarm_fetch_ok(c);
    assert_null(c->fetch_error);
    assert_int_equal(c->failing_since, 0);
    assert_int_equal(c->fetch_failures, 0);

    /* Saving again replaces the file; a stale temporary file left by a
     * crash is cleaned up, not followed. */
    write_text(".state.json.tmp", "junk");
    assert_int_equal(sw_store_save(back, tmpdir, err, sizeof(err)), 0);
    list_dir(names, sizeof(names));
    /* readdir's order: the two names, and no temporary file */
    if (strcmp(names, "state.json state.json.prev ") != 0)
        assert_string_equal(names, "state.json.prev state.json ");
    sw_store_free(back);
    sw_store_free(st);
}

static void
test_save_creates_dir_and_reports_errors(void **state)
{
    struct sw_store *st = sw_store_new();
    struct sw_alarm_state *a;
    char err[512], dir[512];

    (void)state;
    assert_int_equal(sw_store_ensure(st, "x", T0, &a), 0);
    snprintf(dir, sizeof(dir), "%s/a/b", tmpdir);
    assert_int_equal(sw_store_save(st, dir, err, sizeof(err)), 0);
    sw_store_free(st);
    assert_int_equal(sw_store_load(dir, &st, err, sizeof(err)), 0);
    assert_int_equal(st->n, 1);

    /* A directory path that runs through a regular file. */
    write_text("plain", "x");
    snprintf(dir, sizeof(dir), "%s/plain/sub", tmpdir);
    assert_int_equal(sw_store_save(st, dir, err, sizeof(err)), SW_EIO);
    assert_non_null(strstr(err, "plain/sub"));
    sw_store_free(st);
}

struct bad_case {
    const char *text;
    const char *msg; /* expected substring of the error */
};

/* Each save keeps the file it replaces as state.json.prev, the fallback
 * the agent loads when state.json is corrupt. */
static void
test_previous_kept(void **state)
{
    struct sw_store *st = sw_store_new(), *back = NULL;
    struct sw_alarm_state *a = NULL;
    char err[256];

    (void)state;
    assert_int_equal(
        sw_store_load_file(tmpdir, SW_STORE_PREV_FILE, &back, err, sizeof(err)),
        SW_ENOENT);
    assert_int_equal(sw_store_ensure(st, "first", T0, &a), 0);
    assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);
    assert_int_equal(
        sw_store_load_file(tmpdir, SW_STORE_PREV_FILE, &back, err, sizeof(err)),
        SW_ENOENT);
    assert_int_equal(sw_store_ensure(st, "second", T0 + 60, &a), 0);
    assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);
    assert_int_equal(
        sw_store_load_file(tmpdir, SW_STORE_PREV_FILE, &back, err, sizeof(err)),
        0);
    assert_int_equal(back->n, 1);
    assert_non_null(sw_store_get(back, "first"));
    sw_store_free(back);
    assert_int_equal(sw_store_load(tmpdir, &back, err, sizeof(err)), 0);
    assert_int_equal(back->n, 2);
    sw_store_free(back);
    sw_store_free(st);
}

static void
test_corrupt_files(void **state)
{
    static const struct bad_case cases[] = {
        {"", "state.json:"},
        {"not json", "state.json:1:"},
        {"{\"version\": 1, \"alarms\": {", "state.json:"},
        {"[]", "not a JSON object"},
        {"{\"version\": 2, \"alarms\": {}}", "'version' must be 1"},
        {"{\"alarms\": {}}", "'version' must be 1"},
        {"{\"version\": 1}", "'alarms' must be an object"},
        {"{\"version\": 1, \"alarms\": []}", "'alarms' must be an object"},
        {"{\"version\": 1, \"alarms\": {\"a\": 3}}",
         "alarm 'a': must be an object"},
        {"{\"version\": 1, \"alarms\": {\"a\": {\"state\": \"BAD\"}}}",
         "alarm 'a': 'state'"},
        {"{\"version\": 1, \"alarms\": {\"a\": {\"state\": \"OK\", "
         "\"since\": \"yesterday\", \"reason\": \"r\"}}}",
         "'since' must be an RFC 3339 time"},
        {"{\"version\": 1, \"alarms\": {\"a\": {\"state\": \"OK\", "
         "\"since\": \"2026-11-25T10:05:00Z\", \"reason\": 5}}}",
         "'reason' must be a string"},
        {"{\"version\": 1, \"alarms\": {\"a\": {\"state\": \"OK\", "
         "\"since\": \"2026-11-25T10:05:00Z\", \"reason\": \"r\", "
         "\"reason_data\": \"text\"}}}",
         "'reason_data' must be an object or null"},
        {"{\"version\": 1, \"alarms\": {\"a\": {\"state\": \"OK\", "
         "\"since\": \"2026-11-25T10:05:00Z\", \"reason\": \"r\", "
         "\"values\": [[1, 2, 3]]}}}",
         "'values' must be an array"},
        {"{\"version\": 1, \"alarms\": {\"a\": {\"state\": \"OK\", "
         "\"since\": \"2026-11-25T10:05:00Z\", \"reason\": \"r\", "
         "\"values\": [[\"1\", 2]]}}}",
         "'values' must be an array"},
        {"{\"version\": 1, \"alarms\": {\"a\": {\"state\": \"OK\", "
         "\"since\": \"2026-11-25T10:05:00Z\", \"reason\": \"r\", "
         "\"fetch_failures\": -1}}}",
         "'fetch_failures'"},
        {"{\"version\": 1, \"alarms\": {\"a\": {\"state\": \"OK\", "
         "\"since\": \"2026-11-25T10:05:00Z\", \"reason\": \"r\", "
         "\"last_fetch_error_time\": 5}}}",
         "'last_fetch_error_time'"},
        {"{\"version\": 1, \"alarms\": {\"a\": {\"state\": \"OK\", "
         "\"since\": \"2026-11-25T10:05:00Z\", \"reason\": \"r\", "
         "\"fetch_failing_since\": 5}}}",
         "'fetch_failing_since'"},
        {"{\"version\": 1, \"alarms\": {}, \"watcher\": 5}",
         "'watcher' must be an object with a 'name'"},
        {"{\"version\": 1, \"alarms\": {}, \"watcher\": {\"state\": \"OK\"}}",
         "'watcher' must be an object with a 'name'"},
        {"{\"version\": 1, \"alarms\": {}, \"watcher\": {\"name\": \"w\", "
         "\"state\": \"NO\"}}",
         "watcher 'w': 'state'"},
        {"{\"version\": 1, \"alarms\": {\"\": {}}}", "empty alarm name"},
        {"{\"version\": 1, \"version\": 1, \"alarms\": {}}", "duplicate"},
    };
    struct sw_store *st;
    char err[512];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_text("state.json", cases[i].text);
        st = (struct sw_store *)1;
        err[0] = '\0';
        int r = sw_store_load(tmpdir, &st, err, sizeof(err));
        if (r != SW_EPARSE || st != NULL || !strstr(err, cases[i].msg) ||
            !strstr(err, "state.json"))
            fail_msg("case %zu: r=%d err='%s' (want '%s')", i, r, err,
                     cases[i].msg);
    }
}

static void
test_oversize_and_not_a_file(void **state)
{
    struct sw_store *st;
    char err[512], path[512];
    FILE *f;

    (void)state;
    snprintf(path, sizeof(path), "%s/state.json", tmpdir);
    f = fopen(path, "w");
    assert_non_null(f);
    /* A valid start and then a hole up to one byte past the cap: only the
     * size is wrong, and the sparse file costs no disk. */
    fputs("{\"version\": 1, \"alarms\": {}}", f);
    assert_int_equal(fflush(f), 0);
    assert_int_equal(ftruncate(fileno(f), (off_t)SW_STORE_MAX_BYTES + 1), 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(sw_store_load(tmpdir, &st, err, sizeof(err)), SW_EPARSE);
    assert_non_null(strstr(err, "larger than"));
    assert_null(st);

    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(sw_store_load(tmpdir, &st, err, sizeof(err)), SW_EIO);
    assert_non_null(strstr(err, "not a regular file"));
    assert_int_equal(rmdir(path), 0);
}

static void
test_optional_fields(void **state)
{
    struct sw_store *st;
    struct sw_alarm_state *a;
    char err[512];

    (void)state;
    /* The minimum: state, since, reason; unknown keys are tolerated. */
    write_text("state.json",
               "{\"version\": 1, \"alarms\": {\"a\": {\"state\": \"OK\", "
               "\"since\": \"2026-11-25T10:05:00Z\", \"reason\": \"r\", "
               "\"future\": true}}}");
    assert_int_equal(sw_store_load(tmpdir, &st, err, sizeof(err)), 0);
    a = sw_store_get(st, "a");
    assert_non_null(a);
    assert_int_equal(a->state, SW_STATE_OK);
    assert_int_equal(a->since, T0);
    assert_int_equal(a->nvalues, 0);
    assert_null(a->reason_data);
    sw_store_free(st);
}

static void
test_prune(void **state)
{
    struct sw_store *st = sw_store_new();
    struct sw_alarm_state *a;
    const char *keep[] = {"b", "d", "zzz"};

    (void)state;
    assert_int_equal(sw_store_ensure(st, "a", T0, &a), 0);
    assert_int_equal(sw_store_ensure(st, "b", T0, &a), 0);
    assert_int_equal(sw_store_ensure(st, "c", T0, &a), 0);
    assert_int_equal(sw_store_ensure(st, "d", T0, &a), 0);
    assert_int_equal(sw_store_prune(st, keep, 3), 2);
    assert_int_equal(st->n, 2);
    assert_string_equal(st->alarms[0]->name, "b");
    assert_string_equal(st->alarms[1]->name, "d");
    assert_ptr_equal(sw_store_get(st, "d"), a);
    assert_int_equal(sw_store_prune(st, NULL, 0), 2);
    assert_int_equal(st->n, 0);
    sw_store_free(st);
}

static void
test_values_history(void **state)
{
    struct sw_store *st = sw_store_new();
    struct sw_alarm_state *a;
    struct sw_datapoint p[70];

    (void)state;
    assert_int_equal(sw_store_ensure(st, "a", T0, &a), 0);
    /* Evaluated points arrive newest first; they are kept ascending. */
    for (int i = 0; i < 3; i++) {
        p[i].ts = T0 - i * 60;
        p[i].value = i;
        p[i].sample_count = 5;
    }
    assert_int_equal(sw_store_alarm_add_values(a, p, 3), 0);
    assert_int_equal(a->nvalues, 3);
    assert_int_equal(a->values[0].ts, T0 - 120);
    assert_true(a->values[0].sample_count == -1);
    /* The same period again replaces the kept value. */
    p[0].ts = T0;
    p[0].value = 42;
    assert_int_equal(sw_store_alarm_add_values(a, p, 1), 0);
    assert_int_equal(a->nvalues, 3);
    assert_true(a->values[2].value == 42);
    /* Only the newest 60 stay. */
    for (int i = 0; i < 70; i++) {
        p[i].ts = T0 + (i + 1) * 60;
        p[i].value = i;
    }
    assert_int_equal(sw_store_alarm_add_values(a, p, 70), 0);
    assert_int_equal(a->nvalues, SW_STORE_MAX_VALUES);
    assert_int_equal(a->values[0].ts, T0 + 11 * 60);
    assert_int_equal(a->values[59].ts, T0 + 70 * 60);
    assert_int_equal(sw_store_alarm_add_values(a, p, 0), 0);
    sw_store_free(st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_missing_file_is_empty, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_save_creates_dir_and_reports_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_previous_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversize_and_not_a_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_optional_fields, setup, teardown),
        cmocka_unit_test(test_prune),
        cmocka_unit_test(test_values_history),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
