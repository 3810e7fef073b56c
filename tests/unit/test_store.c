/* tests/unit/test_store.c - agent/store: round trip, atomic writes, refusal
 * of corrupt files, pruning and the value history. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
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

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in tmpdir other than "." and "..", sorted, joined with spaces. */
static void
list_dir(char *out, size_t size)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char *names[32];
    size_t len = 0, n = 0;

    assert_non_null(d);
    out[0] = '\0';
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        assert_true(n < 32);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp_str);
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(out + len, size - len, "%s ", names[i]);
        assert_true(k > 0 && (size_t)k < size - len);
        len += (size_t)k;
        free(names[i]);
    }
}

/* The contents of tmpdir/NAME (free()), or NULL when missing. */
static char *
read_text(const char *name)
{
    char path[512], *text;
    long n;
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    f = fopen(path, "r");
    if (!f)
        return NULL;
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    rewind(f);
    text = calloc(1, (size_t)n + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return text;
}

static void
append_text(const char *name, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    f = fopen(path, "a");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static struct stat
stat_of(const char *name)
{
    char path[512];
    struct stat sb;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    assert_int_equal(stat(path, &sb), 0);
    return sb;
}

/* The id state.json names its journal by. */
static void
snapshot_id(char id[17])
{
    char *text = read_text(SW_STORE_FILE), *p;

    assert_non_null(text);
    p = strstr(text, "\"journal\":\"");
    assert_non_null(p);
    memcpy(id, p + 11, 16);
    id[16] = '\0';
    free(text);
}

static void
assert_same_alarm(const struct sw_alarm_state *x,
                  const struct sw_alarm_state *y)
{
    assert_non_null(x);
    assert_non_null(y);
    assert_string_equal(x->name, y->name);
    assert_int_equal(x->state, y->state);
    assert_int_equal(x->since, y->since);
    assert_string_equal(x->reason ? x->reason : "", y->reason ? y->reason : "");
    assert_string_equal(x->reason_data ? x->reason_data : "-",
                        y->reason_data ? y->reason_data : "-");
    assert_int_equal(x->last_evaluated, y->last_evaluated);
    assert_int_equal(x->nvalues, y->nvalues);
    for (size_t i = 0; i < x->nvalues; i++) {
        assert_int_equal(x->values[i].ts, y->values[i].ts);
        assert_true(x->values[i].value == y->values[i].value);
    }
    assert_string_equal(x->fetch_error ? x->fetch_error : "-",
                        y->fetch_error ? y->fetch_error : "-");
    assert_int_equal(x->fetch_failures, y->fetch_failures);
    assert_int_equal(x->last_error_time, y->last_error_time);
    assert_int_equal(x->failing_since, y->failing_since);
    assert_int_equal(x->nmarks, y->nmarks);
    for (size_t i = 0; i < x->nmarks; i++) {
        assert_string_equal(x->marks[i].notifier, y->marks[i].notifier);
        assert_int_equal(x->marks[i].last, y->marks[i].last);
        assert_int_equal(x->marks[i].count, y->marks[i].count);
    }
}

/* X and Y hold the same alarms (in any order) and the same watcher. */
static void
assert_same_store(const struct sw_store *x, const struct sw_store *y)
{
    assert_int_equal(x->n, y->n);
    for (size_t i = 0; i < x->n; i++)
        assert_same_alarm(x->alarms[i], sw_store_get(y, x->alarms[i]->name));
    assert_int_equal(!x->watcher, !y->watcher);
    if (x->watcher)
        assert_same_alarm(x->watcher, y->watcher);
}

/* What DIR holds now matches ST. */
static void
assert_saved(const struct sw_store *st)
{
    struct sw_store *back = NULL;
    char err[256];

    assert_int_equal(sw_store_load(tmpdir, &back, err, sizeof(err)), 0);
    assert_same_store(st, back);
    sw_store_free(back);
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
    assert_int_equal(sw_store_alarm_add_values(a, pts, 2, 0), 0);
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
    assert_string_equal(names, "state.journal state.json ");
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
    /* The first save of a loaded store writes it whole: the files it
     * replaced are kept, and no temporary file is left. */
    assert_string_equal(
        names, "state.journal state.journal.prev state.json state.json.prev ");
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

/* A compaction keeps the snapshot and journal it replaces as .prev: the
 * fallback the agent loads when state.json is corrupt gives the state of
 * the last save, through the journals; the .prev snapshot alone the
 * state before. */
static void
test_previous_kept(void **state)
{
    struct sw_store *st = sw_store_new(), *back = NULL;
    struct sw_alarm_state *a = NULL;
    char err[256], path[512];

    (void)state;
    assert_int_equal(
        sw_store_load_file(tmpdir, SW_STORE_PREV_FILE, &back, err, sizeof(err)),
        SW_ENOENT);
    assert_int_equal(sw_store_ensure(st, "first", T0, &a), 0);
    assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);
    sw_store_free(st);
    assert_int_equal(
        sw_store_load_file(tmpdir, SW_STORE_PREV_FILE, &back, err, sizeof(err)),
        SW_ENOENT);

    /* The next process: its first save compacts. */
    assert_int_equal(sw_store_load(tmpdir, &st, err, sizeof(err)), 0);
    assert_int_equal(sw_store_ensure(st, "second", T0 + 60, &a), 0);
    assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);
    assert_int_equal(
        sw_store_load_file(tmpdir, SW_STORE_PREV_FILE, &back, err, sizeof(err)),
        0);
    assert_same_store(st, back);
    sw_store_free(back);
    assert_saved(st);

    /* Without the journals, the snapshot before. */
    snprintf(path, sizeof(path), "%s/%s", tmpdir, SW_STORE_JOURNAL);
    assert_int_equal(unlink(path), 0);
    snprintf(path, sizeof(path), "%s/%s", tmpdir, SW_STORE_JOURNAL_PREV);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(
        sw_store_load_file(tmpdir, SW_STORE_PREV_FILE, &back, err, sizeof(err)),
        0);
    assert_int_equal(back->n, 1);
    assert_non_null(sw_store_get(back, "first"));
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
    assert_int_equal(sw_store_alarm_add_values(a, p, 3, 0), 0);
    assert_int_equal(a->nvalues, 3);
    assert_int_equal(a->values[0].ts, T0 - 120);
    /* The same period again replaces the kept value. */
    p[0].ts = T0;
    p[0].value = 42;
    assert_int_equal(sw_store_alarm_add_values(a, p, 1, 0), 0);
    assert_int_equal(a->nvalues, 3);
    assert_true(a->values[2].value == 42);
    /* Only the newest 60 stay. */
    for (int i = 0; i < 70; i++) {
        p[i].ts = T0 + (i + 1) * 60;
        p[i].value = i;
    }
    assert_int_equal(sw_store_alarm_add_values(a, p, 70, SW_STORE_MAX_VALUES),
                     0);
    assert_int_equal(a->nvalues, SW_STORE_MAX_VALUES);
    assert_int_equal(a->values[0].ts, T0 + 11 * 60);
    assert_int_equal(a->values[59].ts, T0 + 70 * 60);
    assert_int_equal(sw_store_alarm_add_values(a, p, 0, SW_STORE_MAX_VALUES),
                     0);
    sw_store_free(st);
}

/* The cap: the caller's evaluation range, at least the 20 `status`
 * draws, at most SW_STORE_MAX_VALUES; NaN and infinities are left out. */
static void
test_values_cap(void **state)
{
    struct sw_store *st = sw_store_new();
    struct sw_alarm_state *a;
    struct sw_datapoint p[80];

    (void)state;
    assert_int_equal(sw_store_ensure(st, "a", T0, &a), 0);
    for (int i = 0; i < 80; i++) {
        p[i].ts = T0 + i * 60;
        p[i].value = i;
        p[i].sample_count = -1;
    }
    assert_int_equal(sw_store_alarm_add_values(a, p, 80, 0), 0);
    assert_int_equal(a->nvalues, SW_STORE_SHOWN_VALUES);
    assert_int_equal(a->values[0].ts, T0 + 60 * 60);
    assert_int_equal(sw_store_alarm_add_values(a, p, 80, 5), 0);
    assert_int_equal(a->nvalues, SW_STORE_SHOWN_VALUES);
    assert_int_equal(sw_store_alarm_add_values(a, p, 80, 30), 0);
    assert_int_equal(a->nvalues, 30);
    assert_int_equal(a->values[0].ts, T0 + 50 * 60);
    assert_int_equal(sw_store_alarm_add_values(a, p, 80, 1000), 0);
    assert_int_equal(a->nvalues, SW_STORE_MAX_VALUES);
    /* A lower cap trims without new points. */
    assert_int_equal(sw_store_alarm_add_values(a, NULL, 0, 25), 0);
    assert_int_equal(a->nvalues, 25);
    assert_int_equal(a->values[24].ts, T0 + 79 * 60);
    /* Values JSON cannot hold are left out. */
    p[0].ts = T0 + 80 * 60;
    p[0].value = NAN;
    p[1].ts = T0 + 81 * 60;
    p[1].value = INFINITY;
    p[2].ts = T0 + 82 * 60;
    p[2].value = 7.5;
    assert_int_equal(sw_store_alarm_add_values(a, p, 3, 25), 0);
    assert_int_equal(a->nvalues, 25);
    assert_int_equal(a->values[24].ts, T0 + 82 * 60);
    assert_int_equal(a->values[23].ts, T0 + 79 * 60);
    sw_store_free(st);
}

/* Values through the journal: a revision, a trim by a lower cap, and a
 * point too old to keep added with a new one, each read back as kept. */
static void
test_values_journal(void **state)
{
    struct sw_store *st = sw_store_new();
    struct sw_alarm_state *a;
    struct sw_datapoint p[30];
    char err[256];

    (void)state;
    assert_int_equal(sw_store_ensure(st, "a", T0, &a), 0);
    for (int i = 0; i < 30; i++) {
        p[i].ts = T0 + i * 60;
        p[i].value = i * 1.25;
        p[i].sample_count = -1;
    }
    assert_int_equal(sw_store_alarm_add_values(a, p, 30, 30), 0);
    assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);
    p[29].value = -1;
    assert_int_equal(sw_store_alarm_add_values(a, p + 29, 1, 30), 0);
    assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);
    assert_saved(st);
    assert_int_equal(sw_store_alarm_add_values(a, NULL, 0, 0), 0);
    assert_int_equal(a->nvalues, SW_STORE_SHOWN_VALUES);
    assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);
    assert_saved(st);
    p[0].ts = T0 - 3600;
    p[1].ts = T0 + 30 * 60;
    assert_int_equal(sw_store_alarm_add_values(a, p, 2, 0), 0);
    assert_int_equal(a->values[a->nvalues - 1].ts, T0 + 30 * 60);
    assert_int_equal(a->values[0].ts, T0 + 11 * 60);
    assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);
    assert_saved(st);
    sw_store_free(st);
}

/* Nothing changed, nothing written; a change appends a line to the
 * journal and leaves state.json alone; every kind of change reads back. */
static void
test_save_writes_only_changes(void **state)
{
    struct sw_store *st = sw_store_new();
    struct sw_alarm_state *a, *b, *w;
    struct sw_notify_mark *m;
    struct sw_datapoint p[3] = {
        {T0 - 120, 1.0, -1}, {T0 - 60, 2.5, -1}, {T0, 3.0, -1}};
    const char *keep[] = {"a"};
    struct stat snap, j1, j2;
    char err[256], *text;

    (void)state;
    assert_int_equal(sw_store_ensure(st, "a", T0, &a), 0);
    assert_int_equal(sw_store_ensure(st, "b", T0, &b), 0);
    assert_int_equal(sw_store_watcher(st, "watcher:x", T0, &w), 0);
    assert_int_equal(sw_store_unsaved(st), 3);
    assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);
    assert_int_equal(sw_store_unsaved(st), 0);
    snap = stat_of(SW_STORE_FILE);
    j1 = stat_of(SW_STORE_JOURNAL);

    /* Clean: a save touches nothing. */
    assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);
    j2 = stat_of(SW_STORE_JOURNAL);
    assert_int_equal(j2.st_size, j1.st_size);
    assert_int_equal(stat_of(SW_STORE_FILE).st_ino, snap.st_ino);

    /* Calls that change nothing leave it clean. */
    sw_store_alarm_fetch_ok(a);
    assert_int_equal(sw_store_alarm_add_values(a, NULL, 0, 5), 0);
    assert_int_equal(sw_store_unsaved(st), 0);

    /* An evaluation: one "eval" line, the snapshot as it was. */
    a->last_evaluated = T0;
    assert_int_equal(sw_store_alarm_add_values(a, p, 3, 5), 0);
    w->last_evaluated = T0;
    assert_int_equal(sw_store_unsaved(st), 2);
    assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);
    assert_int_equal(sw_store_unsaved(st), 0);
    assert_int_equal(stat_of(SW_STORE_FILE).st_ino, snap.st_ino);
    assert_true(stat_of(SW_STORE_JOURNAL).st_size > j1.st_size);
    text = read_text(SW_STORE_JOURNAL);
    assert_non_null(strstr(text, "{\"op\":\"eval\",\"name\":\"a\","
                                 "\"last_evaluated\":\"2026-11-25T10:05:00Z\","
                                 "\"values_from\":1795600980,\"nvalues\":3,"));
    assert_non_null(strstr(text, "\"op\":\"eval_watcher\""));
    assert_null(strstr(text, "\"op\":\"set\""));
    free(text);
    assert_saved(st);

    /* The same points again change nothing; a revised one does. */
    assert_int_equal(sw_store_alarm_add_values(a, p, 3, 5), 0);
    assert_int_equal(sw_store_unsaved(st), 0);
    p[1].value = 2.75;
    p[2].ts = T0 + 60;
    a->last_evaluated = T0 + 60;
    assert_int_equal(sw_store_alarm_add_values(a, p + 1, 2, 5), 0);
    assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);
    assert_saved(st);

    /* A state change, a failed fetch and a mark: whole records. */
    assert_int_equal(sw_store_alarm_set(a, SW_STATE_ALARM, T0 + 60, "crossed",
                                        "{\"threshold\": 1.0}"),
                     0);
    assert_string_equal(a->reason_data, "{\"threshold\":1.0}");
    assert_int_equal(sw_store_alarm_fetch_failed(b, "Throttling", T0 + 60), 0);
    assert_int_equal(sw_store_alarm_mark(a, "ops", &m), 0);
    m->last = T0 + 60;
    assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);
    text = read_text(SW_STORE_JOURNAL);
    assert_non_null(strstr(text, "{\"op\":\"set\",\"name\":\"a\",\"state\":"
                                 "\"ALARM\""));
    assert_non_null(strstr(text, "{\"op\":\"set\",\"name\":\"b\""));
    free(text);
    assert_saved(st);
    /* A mark the cycle changes in place is seen too. */
    m->count = 2;
    assert_int_equal(sw_store_unsaved(st), 1);
    assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);
    assert_saved(st);

    /* A prune: a "drop" line. */
    assert_int_equal(sw_store_prune(st, keep, 1), 1);
    assert_int_equal(sw_store_unsaved(st), 1);
    assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);
    text = read_text(SW_STORE_JOURNAL);
    assert_non_null(strstr(text, "{\"op\":\"drop\",\"name\":\"b\"}\n"));
    free(text);
    assert_saved(st);
    assert_int_equal(stat_of(SW_STORE_FILE).st_ino, snap.st_ino);
    sw_store_free(st);
}

/* Many cycles of changes: after every save the files read back as the
 * store; the journal is folded into a new snapshot once it outgrows it. */
static void
test_journal_compacts(void **state)
{
    struct sw_store *st = sw_store_new();
    struct sw_alarm_state *a, *w;
    char err[256], name[32];
    char first[17], before[17];
    int compactions = 0;

    (void)state;
    for (int i = 0; i < 30; i++) {
        snprintf(name, sizeof(name), "alarm-%02d", i);
        assert_int_equal(sw_store_ensure(st, name, T0, &a), 0);
    }
    assert_int_equal(sw_store_watcher(st, "watcher:x", T0, &w), 0);
    assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);
    snapshot_id(first);
    for (int c = 1; c <= 80; c++) {
        time_t now = T0 + c * 60;

        snapshot_id(before);
        for (size_t i = 0; i < st->n; i++) {
            struct sw_datapoint p[2] = {{now - 120, c * 1.5, -1},
                                        {now - 60, i + c / 7.0, -1}};
            a = st->alarms[i];
            a->last_evaluated = now;
            assert_int_equal(sw_store_alarm_add_values(a, p, 2, 5), 0);
            if ((c + i) % 17 == 0)
                assert_int_equal(
                    sw_store_alarm_set(a, SW_STATE_ALARM, now, "crossed", NULL),
                    0);
        }
        w->last_evaluated = now;
        assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);
        {
            char now_id[17];
            snapshot_id(now_id);
            compactions += strcmp(now_id, before) != 0;
        }
        if (c % 10 == 0)
            assert_saved(st);
    }
    assert_true(compactions >= 1);
    snapshot_id(before);
    assert_string_not_equal(before, first);
    assert_true((size_t)stat_of(SW_STORE_JOURNAL).st_size <
                (size_t)stat_of(SW_STORE_FILE).st_size + 70 * 1024);
    assert_saved(st);
    sw_store_free(st);
}

/* A crash cuts the last line short: it is ignored.  A line that is not
 * valid ends the replay.  A journal of another snapshot is not replayed. */
static void
test_journal_damage(void **state)
{
    struct sw_store *st = sw_store_new(), *back;
    struct sw_alarm_state *a, *b;
    char err[256], *text, *p;

    (void)state;
    assert_int_equal(sw_store_ensure(st, "a", T0, &a), 0);
    assert_int_equal(sw_store_ensure(st, "b", T0, &b), 0);
    assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);
    a->last_evaluated = T0 + 60;
    assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);

    append_text(SW_STORE_JOURNAL,
                "{\"op\":\"eval\",\"name\":\"b\",\"last_evaluated\":\"2026-1");
    assert_saved(st);
    /* The next process starts afresh from it, whatever the tail. */
    assert_int_equal(sw_store_load(tmpdir, &back, err, sizeof(err)), 0);
    assert_int_equal(sw_store_save(back, tmpdir, err, sizeof(err)), 0);
    sw_store_free(back);
    assert_saved(st);
    sw_store_free(st);

    /* A bad line: what comes after it is lost, what came before is not. */
    assert_int_equal(sw_store_load(tmpdir, &st, err, sizeof(err)), 0);
    assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);
    a = sw_store_get(st, "a");
    a->last_evaluated = T0 + 120;
    assert_int_equal(sw_store_save(st, tmpdir, err, sizeof(err)), 0);
    append_text(SW_STORE_JOURNAL,
                "not json\n{\"op\":\"eval\",\"name\":\"b\",\"last_evaluated\":"
                "\"2026-11-25T10:09:00Z\"}\n");
    assert_int_equal(sw_store_load(tmpdir, &back, err, sizeof(err)), 0);
    assert_int_equal(sw_store_get(back, "a")->last_evaluated, T0 + 120);
    assert_int_equal(sw_store_get(back, "b")->last_evaluated, 0);
    sw_store_free(back);

    /* Another snapshot's journal: ignored. */
    text = read_text(SW_STORE_FILE);
    p = strstr(text, "\"journal\":\"");
    assert_non_null(p);
    p[11] = p[11] == '0' ? '1' : '0';
    write_text(SW_STORE_FILE, text);
    free(text);
    assert_int_equal(sw_store_load(tmpdir, &back, err, sizeof(err)), 0);
    assert_int_equal(sw_store_get(back, "a")->last_evaluated, T0 + 60);
    sw_store_free(back);
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
        cmocka_unit_test(test_values_cap),
        cmocka_unit_test_setup_teardown(test_values_journal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_writes_only_changes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_journal_compacts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_damage, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
