/* tests/unit/test_discover.c - agent/discover: the stream-list cache
 * (refresh interval, keeping the previous list on failure, retry spacing,
 * invalidation, a clock stepped back) with a scripted lister, the list
 * kept in state_dir/streams.json across restarts, and the pure expansion
 * of pattern templates into alarms. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "agent/discover.h"
#include "aws/client.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/str.h"
#include "rules/rule.h"

/* ------------------------------------------------------------------ */
/* the cache                                                           */

/* What the scripted lister answers, call by call. */
struct script {
    int calls;
    int fail;             /* next call fails with this code (0: none) */
    const char *names[8]; /* else: these, NULL-terminated */
};

static int
scripted(void *arg, struct sw_aws *a, struct sw_strv *out,
         struct sw_aws_error *err)
{
    struct script *s = arg;

    (void)a;
    s->calls++;
    memset(err, 0, sizeof(*err));
    if (s->fail) {
        snprintf(err->code, sizeof(err->code), "LimitExceededException");
        /* A control character must not reach the log line. */
        snprintf(err->message, sizeof(err->message), "Rate\nexceeded");
        return s->fail;
    }
    for (int i = 0; s->names[i]; i++)
        assert_int_equal(sw_strv_push(out, s->names[i]), 0);
    return 0;
}

/* Any non-NULL pointer will do: the scripted lister never uses it. */
static struct sw_aws *const fake_aws = (struct sw_aws *)&fake_aws;

static struct sw_discover *
new_discover(struct script *s, int interval_s)
{
    struct sw_discover *d = NULL;

    assert_int_equal(sw_discover_new(fake_aws, interval_s, &d), 0);
    sw_discover_set_lister(d, scripted, s);
    return d;
}

static void
test_new_args(void **state)
{
    struct sw_discover *d = (struct sw_discover *)1;

    (void)state;
    assert_int_equal(sw_discover_new(NULL, 0, &d), SW_EINVAL);
    assert_null(d);
    assert_int_equal(sw_discover_new(fake_aws, 9, &d), SW_EINVAL);
    assert_int_equal(sw_discover_new(fake_aws, -1, &d), SW_EINVAL);
    assert_int_equal(sw_discover_new(fake_aws, 86401, &d), SW_EINVAL);
    assert_int_equal(sw_discover_new(fake_aws, 0, NULL), SW_EINVAL);
    assert_int_equal(sw_discover_new(fake_aws, 10, &d), 0);
    assert_int_equal(sw_discover_fetched_at(d), 0);
    assert_string_equal(sw_discover_last_error(d), "");
    sw_discover_free(d);
    sw_discover_free(NULL);
}

static void
test_cache_interval(void **state)
{
    struct script s = {0, 0, {"b", "a", NULL}};
    struct sw_discover *d = new_discover(&s, 0);
    const struct sw_strv *l = NULL;
    char err[256];
    time_t t0 = 1795600000;

    (void)state;
    assert_int_equal(sw_discover_streams(d, t0, &l, err, sizeof(err)), 0);
    assert_int_equal(s.calls, 1);
    assert_non_null(l);
    assert_int_equal(l->n, 2);
    /* Sorted whatever the lister gave. */
    assert_string_equal(l->v[0], "a");
    assert_string_equal(l->v[1], "b");
    assert_int_equal(sw_discover_fetched_at(d), t0);
    /* Fresh for the default 300 s: no call. */
    s.names[2] = "c";
    assert_int_equal(sw_discover_streams(d, t0 + 299, &l, err, sizeof(err)), 0);
    assert_int_equal(s.calls, 1);
    assert_int_equal(l->n, 2);
    assert_int_equal(sw_discover_streams(d, t0 + 300, &l, err, sizeof(err)), 0);
    assert_int_equal(s.calls, 2);
    assert_int_equal(l->n, 3);
    assert_string_equal(err, "");
    assert_int_equal(sw_discover_fetched_at(d), t0 + 300);
    sw_discover_free(d);
}

static void
test_failure_keeps_list(void **state)
{
    struct script s = {0, 0, {"orders", "clicks-1", NULL}};
    struct sw_discover *d = new_discover(&s, 120);
    const struct sw_strv *l = NULL;
    char err[512];
    time_t t0 = 1795600000;

    (void)state;
    assert_int_equal(sw_discover_streams(d, t0, &l, err, sizeof(err)), 0);
    s.fail = SW_ETHROTTLED;
    assert_int_equal(sw_discover_streams(d, t0 + 120, &l, err, sizeof(err)),
                     SW_ETHROTTLED);
    assert_int_equal(s.calls, 2);
    /* The previous list is still there, and the message says so. */
    assert_non_null(l);
    assert_int_equal(l->n, 2);
    assert_string_equal(l->v[0], "clicks-1");
    assert_string_equal(err, "discover: ListStreams failed: "
                             "LimitExceededException: Rate exceeded; keeping "
                             "the previous list of 2 streams from "
                             "2026-11-25T09:46:40Z");
    assert_string_equal(sw_discover_last_error(d), err);
    assert_int_equal(sw_discover_fetched_at(d), t0);
    /* No new attempt for SW_DISCOVER_RETRY_S: the stale list, quietly. */
    assert_int_equal(sw_discover_streams(d, t0 + 179, &l, err, sizeof(err)), 0);
    assert_int_equal(s.calls, 2);
    assert_int_equal(l->n, 2);
    assert_string_equal(err, "");
    /* Then a retry, which succeeds. */
    s.fail = 0;
    s.names[1] = NULL;
    assert_int_equal(sw_discover_streams(d, t0 + 180, &l, err, sizeof(err)), 0);
    assert_int_equal(s.calls, 3);
    assert_int_equal(l->n, 1);
    assert_string_equal(sw_discover_last_error(d), "");
    sw_discover_free(d);
}

static void
test_failure_without_list(void **state)
{
    struct script s = {0, SW_EAUTH, {NULL}};
    struct sw_discover *d = new_discover(&s, 0);
    const struct sw_strv *l = (const struct sw_strv *)1;
    char err[512], first[512];
    time_t t0 = 1795600000;

    (void)state;
    assert_int_equal(sw_discover_streams(d, t0, &l, err, sizeof(err)),
                     SW_EAUTH);
    assert_null(l);
    assert_non_null(strstr(err, "; no stream list yet"));
    assert_int_equal(sw_discover_fetched_at(d), 0);
    sw_strlcpy(first, err, sizeof(first));
    /* Within the retry wait: the same failure, no call. */
    assert_int_equal(sw_discover_streams(d, t0 + 30, &l, err, sizeof(err)),
                     SW_EAUTH);
    assert_null(l);
    assert_int_equal(s.calls, 1);
    assert_string_equal(err, first);
    /* An empty account is a list, not a failure. */
    s.fail = 0;
    assert_int_equal(sw_discover_streams(d, t0 + 60, &l, err, sizeof(err)), 0);
    assert_non_null(l);
    assert_int_equal(l->n, 0);
    assert_int_equal(s.calls, 2);
    sw_discover_free(d);
}

static void
test_retry_capped_by_interval(void **state)
{
    struct script s = {0, 0, {"a", NULL}};
    struct sw_discover *d = new_discover(&s, 30);
    const struct sw_strv *l;
    char err[512];
    time_t t0 = 1795600000;

    (void)state;
    assert_int_equal(sw_discover_streams(d, t0, &l, err, sizeof(err)), 0);
    s.fail = SW_EHTTP;
    assert_int_equal(sw_discover_streams(d, t0 + 30, &l, err, sizeof(err)),
                     SW_EHTTP);
    /* The retry comes after 30 s, not 60: the interval is shorter. */
    s.fail = 0;
    assert_int_equal(sw_discover_streams(d, t0 + 59, &l, err, sizeof(err)), 0);
    assert_int_equal(s.calls, 2);
    assert_int_equal(sw_discover_streams(d, t0 + 60, &l, err, sizeof(err)), 0);
    assert_int_equal(s.calls, 3);
    sw_discover_free(d);
}

static void
test_invalidate_and_clock_step(void **state)
{
    struct script s = {0, 0, {"a", NULL}};
    struct sw_discover *d = new_discover(&s, 0);
    const struct sw_strv *l;
    char err[256];
    time_t t0 = 1795600000;

    (void)state;
    assert_int_equal(sw_discover_streams(d, t0, &l, err, sizeof(err)), 0);
    sw_discover_invalidate(d);
    assert_int_equal(sw_discover_streams(d, t0 + 1, &l, err, sizeof(err)), 0);
    assert_int_equal(s.calls, 2);
    /* The clock stepped back an hour: refresh rather than wait for it. */
    assert_int_equal(sw_discover_streams(d, t0 - 3600, &l, err, sizeof(err)),
                     0);
    assert_int_equal(s.calls, 3);
    assert_int_equal(sw_discover_streams(d, t0 - 3599, &l, err, sizeof(err)),
                     0);
    assert_int_equal(s.calls, 3);
    sw_discover_invalidate(NULL);
    assert_int_equal(sw_discover_streams(NULL, t0, &l, err, sizeof(err)),
                     SW_EINVAL);
    assert_int_equal(sw_discover_streams(d, t0, NULL, err, sizeof(err)),
                     SW_EINVAL);
    sw_discover_free(d);
}

/* ------------------------------------------------------------------ */
/* the list kept in state_dir                                          */

static char tmpdir[256];

static int
setup_dir(void **state)
{
    const char *base = getenv("TMPDIR");

    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "%s/sw_discover_XXXXXX",
             base && *base ? base : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown_dir(void **state)
{
    char cmd[512];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void
write_list_file(const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, SW_DISCOVER_FILE);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void
read_list_file(char *out, size_t size)
{
    char path[512];
    size_t n;
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, SW_DISCOVER_FILE);
    f = fopen(path, "r");
    assert_non_null(f);
    n = fread(out, 1, size - 1, f);
    out[n] = '\0';
    fclose(f);
}

/* A restart during an outage: the new cache falls back on the list the
 * previous process saved, not on nothing. */
static void
test_persist_restart_keeps_list(void **state)
{
    struct script s = {0, 0, {"b", "a", NULL}};
    struct sw_discover *d = new_discover(&s, 0);
    const struct sw_strv *l = NULL;
    char err[512], text[512], path[512];
    struct stat sb;
    time_t t0 = 1795601100; /* 2026-11-25T10:05:00Z */

    (void)state;
    assert_int_equal(sw_discover_persist(d, tmpdir, err, sizeof(err)), 0);
    assert_int_equal(sw_discover_fetched_at(d), 0);
    /* Nothing listed yet: nothing to write. */
    assert_int_equal(sw_discover_save(d, err, sizeof(err)), 0);
    snprintf(path, sizeof(path), "%s/%s", tmpdir, SW_DISCOVER_FILE);
    assert_int_not_equal(stat(path, &sb), 0);
    assert_int_equal(sw_discover_streams(d, t0, &l, err, sizeof(err)), 0);
    assert_int_equal(sw_discover_save(d, err, sizeof(err)), 0);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0640);
    read_list_file(text, sizeof(text));
    assert_string_equal(text,
                        "{\n  \"version\": 1,\n"
                        "  \"fetched_at\": \"2026-11-25T10:05:00Z\",\n"
                        "  \"streams\": [\n    \"a\",\n    \"b\"\n  ]\n}\n");
    sw_discover_free(d);

    /* The next process: Kinesis fails from its first call. */
    s.calls = 0;
    s.fail = SW_EAUTH;
    d = new_discover(&s, 0);
    assert_int_equal(sw_discover_persist(d, tmpdir, err, sizeof(err)), 0);
    assert_int_equal(sw_discover_fetched_at(d), t0);
    assert_int_equal(sw_discover_streams(d, t0 + 60, &l, err, sizeof(err)),
                     SW_EAUTH);
    /* The saved list does not stand in for a listing: one was tried. */
    assert_int_equal(s.calls, 1);
    assert_non_null(l);
    assert_int_equal(l->n, 2);
    assert_string_equal(l->v[0], "a");
    assert_string_equal(l->v[1], "b");
    assert_non_null(strstr(err, "; keeping the previous list of 2 streams "
                                "from 2026-11-25T10:05:00Z"));
    assert_int_equal(sw_discover_gone(d)->n, 0);
    /* A failure writes nothing. */
    assert_int_equal(sw_discover_save(d, err, sizeof(err)), 0);
    read_list_file(text, sizeof(text));
    assert_non_null(strstr(text, "10:05:00Z"));
    sw_discover_free(d);
}

/* Only a successful listing drops streams, and says which, once. */
static void
test_persist_gone(void **state)
{
    struct script s = {0, 0, {"b", "c", NULL}};
    struct sw_discover *d = new_discover(&s, 0);
    const struct sw_strv *l = NULL;
    char err[512], text[512];
    time_t t0 = 1795601100;

    (void)state;
    write_list_file("{\"version\": 1, \"fetched_at\": \"2026-11-25T10:00:00Z\","
                    " \"streams\": [\"b\", \"a\", \"b\"]}");
    assert_int_equal(sw_discover_persist(d, tmpdir, err, sizeof(err)), 0);
    assert_int_equal(sw_discover_streams(d, t0, &l, err, sizeof(err)), 0);
    assert_int_equal(l->n, 2);
    assert_int_equal(sw_discover_gone(d)->n, 1);
    assert_string_equal(sw_discover_gone(d)->v[0], "a");
    /* The cached list the next time: nothing lost again. */
    assert_int_equal(sw_discover_streams(d, t0 + 1, &l, err, sizeof(err)), 0);
    assert_int_equal(sw_discover_gone(d)->n, 0);
    assert_int_equal(sw_discover_save(d, err, sizeof(err)), 0);
    read_list_file(text, sizeof(text));
    assert_null(strstr(text, "\"a\""));
    assert_non_null(strstr(text, "\"c\""));
    /* A failed refresh loses nothing. */
    s.fail = SW_EHTTP;
    assert_int_equal(sw_discover_streams(d, t0 + 300, &l, err, sizeof(err)),
                     SW_EHTTP);
    assert_int_equal(l->n, 2);
    assert_int_equal(sw_discover_gone(d)->n, 0);
    sw_discover_free(d);
}

static void
test_persist_bad_files(void **state)
{
    static const char *const bad[] = {
        "{not json",
        "[]",
        "{}",
        "{\"version\": 2, \"fetched_at\": \"2026-11-25T10:00:00Z\", "
        "\"streams\": []}",
        "{\"version\": 1, \"fetched_at\": \"yesterday\", \"streams\": []}",
        "{\"version\": 1, \"fetched_at\": \"2026-11-25T10:00:00Z\", "
        "\"streams\": \"a\"}",
        "{\"version\": 1, \"fetched_at\": \"2026-11-25T10:00:00Z\", "
        "\"streams\": [\"a b\"]}",
        "{\"version\": 1, \"fetched_at\": \"2026-11-25T10:00:00Z\", "
        "\"streams\": [\"clicks-*\"]}",
        "{\"version\": 1, \"fetched_at\": \"2026-11-25T10:00:00Z\", "
        "\"streams\": [], \"more\": 1}",
    };
    struct script s = {0, SW_EAUTH, {NULL}};
    struct sw_discover *d;
    const struct sw_strv *l;
    char err[512], path[512];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        d = new_discover(&s, 0);
        write_list_file(bad[i]);
        assert_int_equal(sw_discover_persist(d, tmpdir, err, sizeof(err)),
                         SW_EPARSE);
        assert_non_null(strstr(err, SW_DISCOVER_FILE));
        /* Nothing to fall back on. */
        assert_int_equal(
            sw_discover_streams(d, 1795601100, &l, err, sizeof(err)), SW_EAUTH);
        assert_null(l);
        sw_discover_free(d);
    }
    /* The next good listing replaces the file. */
    s.fail = 0;
    s.names[0] = "a";
    d = new_discover(&s, 0);
    assert_int_equal(sw_discover_persist(d, tmpdir, err, sizeof(err)),
                     SW_EPARSE);
    assert_int_equal(sw_discover_streams(d, 1795601100, &l, err, sizeof(err)),
                     0);
    assert_int_equal(sw_discover_save(d, err, sizeof(err)), 0);
    sw_discover_free(d);
    d = new_discover(&s, 0);
    assert_int_equal(sw_discover_persist(d, tmpdir, err, sizeof(err)), 0);
    assert_int_equal(sw_discover_fetched_at(d), 1795601100);
    sw_discover_free(d);
    /* Not a regular file. */
    snprintf(path, sizeof(path), "%s/%s", tmpdir, SW_DISCOVER_FILE);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkdir(path, 0700), 0);
    d = new_discover(&s, 0);
    assert_int_equal(sw_discover_persist(d, tmpdir, err, sizeof(err)), SW_EIO);
    assert_non_null(strstr(err, "not a regular file"));
    /* ...which a save cannot replace: logged by the caller, tried again. */
    assert_int_equal(sw_discover_streams(d, 1795601100, &l, err, sizeof(err)),
                     0);
    assert_int_equal(sw_discover_save(d, err, sizeof(err)), SW_EIO);
    assert_non_null(strstr(err, SW_DISCOVER_FILE));
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(sw_discover_save(d, err, sizeof(err)), 0);
    assert_int_equal(sw_discover_persist(NULL, tmpdir, err, sizeof(err)),
                     SW_EINVAL);
    assert_int_equal(sw_discover_persist(d, NULL, err, sizeof(err)), SW_EINVAL);
    assert_int_equal(sw_discover_save(NULL, err, sizeof(err)), 0);
    sw_discover_free(d);
}

/* ------------------------------------------------------------------ */
/* expansion                                                           */

static struct sw_rule *template(const char *name, const char *const *streams)
{
    struct sw_rule *r = sw_rule_new();

    assert_non_null(r);
    r->name = sw_strdup(name);
    r->namespace_ = sw_strdup("AWS/Kinesis");
    r->metric = sw_strdup("IncomingRecords");
    r->stat = sw_strdup("Sum");
    r->period_s = 60;
    r->evaluation_periods = 3;
    r->datapoints_to_alarm = 3;
    r->dims = calloc(1, sizeof(*r->dims));
    assert_non_null(r->dims);
    r->ndims = 1;
    r->dims[0].name = sw_strdup("StreamName");
    r->dims[0].value = sw_strdup("{stream}");
    for (size_t i = 0; streams[i]; i++)
        assert_int_equal(sw_strv_push(&r->streams, streams[i]), 0);
    return r;
}

static void
strv_of(struct sw_strv *sv, const char *const *names)
{
    sv->v = NULL;
    sv->n = 0;
    for (size_t i = 0; names[i]; i++)
        assert_int_equal(sw_strv_push(sv, names[i]), 0);
}

static void
test_expand(void **state)
{
    static const char *const t1s[] = {"orders", "clicks-*", NULL};
    static const char *const t2s[] = {"*-lag", "orders", NULL};
    static const char *const t3s[] = {"orders", NULL};
    static const char *const names[] = {"clicks-1", "clicks-2", "clicks-lag",
                                        "orders",   "payments", NULL};
    static const char *const existing[] = {"low-orders", "low-clicks-2"};
    struct sw_rule *t[4];
    struct sw_strv streams;
    struct sw_rule **out = NULL;
    size_t n = 0;

    (void)state;
    t[0] = template("low-{stream}", t1s);
    t[1] = template("lag-{stream}", t2s);
    t[2] = template("only-{stream}", t3s); /* no pattern: not ours */
    t[3] = NULL;
    strv_of(&streams, names);
    assert_int_equal(sw_discover_expand((const struct sw_rule *const *)t, 4,
                                        &streams, existing, 2, &out, &n),
                     0);
    /* low-: clicks-1 and clicks-lag ("orders" is a literal, expanded by
     * conf; "low-clicks-2" already exists); lag-: clicks-lag. */
    assert_int_equal(n, 3);
    assert_string_equal(out[0]->name, "low-clicks-1");
    assert_string_equal(out[0]->stream, "clicks-1");
    assert_string_equal(out[0]->template_name, "low-{stream}");
    assert_string_equal(out[0]->dims[0].value, "clicks-1");
    assert_int_equal(out[0]->streams.n, 0);
    assert_string_equal(out[1]->name, "low-clicks-lag");
    assert_string_equal(out[2]->name, "lag-clicks-lag");
    assert_string_equal(out[2]->dims[0].value, "clicks-lag");
    sw_discover_rules_free(out, n);
    for (int i = 0; i < 4; i++)
        sw_rule_free(t[i]);
    sw_strv_release(&streams);
}

static void
test_expand_duplicates_and_limits(void **state)
{
    static const char *const all[] = {"*", NULL};
    static const char *const c[] = {"c*", NULL};
    static const char *const names[] = {"a", "c1", NULL};
    struct sw_rule *t[3];
    struct sw_strv streams;
    struct sw_rule **out = NULL;
    size_t n = 0;
    char longname[300];
    struct sw_strv longs;
    const char *const longv[] = {
        "s23456789012345678901234567890123456789012345678901234567890"
        "12345678901234567890123456789012345678901234567890123456789012345678",
        "short", NULL};

    (void)state;
    /* Two templates naming alarms alike: the first wins, in order. */
    t[0] = template("x-{stream}", c);
    t[1] = template("x-{stream}", all);
    t[1]->threshold = 2;
    strv_of(&streams, names);
    assert_int_equal(sw_discover_expand((const struct sw_rule *const *)t, 2,
                                        &streams, NULL, 0, &out, &n),
                     0);
    assert_int_equal(n, 2);
    assert_string_equal(out[0]->name, "x-c1");
    assert_true(out[0]->threshold == 0);
    assert_string_equal(out[1]->name, "x-a");
    assert_true(out[1]->threshold == 2);
    sw_discover_rules_free(out, n);
    sw_rule_free(t[0]);
    sw_rule_free(t[1]);

    /* A name pushed past AlarmName's 255 bytes is left out and counted. */
    memset(longname, 'n', 200);
    memcpy(longname + 200, "{stream}", 9);
    t[2] = template(longname, all);
    strv_of(&longs, longv);
    assert_int_equal(sw_discover_expand((const struct sw_rule *const *)&t[2], 1,
                                        &longs, NULL, 0, &out, &n),
                     1);
    assert_int_equal(n, 1);
    assert_non_null(strstr(out[0]->name, "short"));
    sw_discover_rules_free(out, n);
    sw_rule_free(t[2]);
    sw_strv_release(&longs);
    sw_strv_release(&streams);
}

static void
test_expand_empty_and_args(void **state)
{
    static const char *const all[] = {"*", NULL};
    struct sw_rule *t = template("x-{stream}", all);
    struct sw_strv empty = {NULL, 0};
    struct sw_rule **out = (struct sw_rule **)1;
    size_t n = 7;

    (void)state;
    assert_int_equal(sw_discover_expand((const struct sw_rule *const *)&t, 1,
                                        NULL, NULL, 0, &out, &n),
                     0);
    assert_null(out);
    assert_int_equal(n, 0);
    assert_int_equal(sw_discover_expand((const struct sw_rule *const *)&t, 1,
                                        &empty, NULL, 0, &out, &n),
                     0);
    assert_null(out);
    assert_int_equal(sw_discover_expand(NULL, 0, &empty, NULL, 0, &out, &n), 0);
    assert_int_equal(sw_discover_expand(NULL, 1, &empty, NULL, 0, &out, &n),
                     SW_EINVAL);
    assert_int_equal(sw_discover_expand((const struct sw_rule *const *)&t, 1,
                                        &empty, NULL, 3, &out, &n),
                     SW_EINVAL);
    assert_int_equal(sw_discover_expand((const struct sw_rule *const *)&t, 1,
                                        &empty, NULL, 0, NULL, &n),
                     SW_EINVAL);
    sw_discover_rules_free(NULL, 0);
    sw_rule_free(t);
}

/* Every stream of a big account against a catch-all template, with half
 * of the alarms existing already: the sorted lookups keep this quick. */
static void
test_expand_large(void **state)
{
    static const char *const all[] = {"*", NULL};
    struct sw_rule *t = template("big-{stream}", all);
    struct sw_strv streams = {NULL, 0};
    char **existing;
    struct sw_rule **out = NULL;
    size_t n = 0;
    char buf[64];

    (void)state;
    existing = calloc(5000, sizeof(*existing));
    assert_non_null(existing);
    for (int i = 0; i < 10000; i++) {
        snprintf(buf, sizeof(buf), "s%05d", i);
        assert_int_equal(sw_strv_push(&streams, buf), 0);
        if (i % 2 == 0) {
            snprintf(buf, sizeof(buf), "big-s%05d", i);
            existing[i / 2] = sw_strdup(buf);
            assert_non_null(existing[i / 2]);
        }
    }
    assert_int_equal(sw_discover_expand((const struct sw_rule *const *)&t, 1,
                                        &streams, (const char *const *)existing,
                                        5000, &out, &n),
                     0);
    assert_int_equal(n, 5000);
    assert_string_equal(out[0]->name, "big-s00001");
    assert_string_equal(out[4999]->name, "big-s09999");
    sw_discover_rules_free(out, n);
    for (int i = 0; i < 5000; i++)
        free(existing[i]);
    free(existing);
    sw_strv_release(&streams);
    sw_rule_free(t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_args),
        cmocka_unit_test(test_cache_interval),
        cmocka_unit_test(test_failure_keeps_list),
        cmocka_unit_test(test_failure_without_list),
        cmocka_unit_test(test_retry_capped_by_interval),
        cmocka_unit_test(test_invalidate_and_clock_step),
        cmocka_unit_test_setup_teardown(test_persist_restart_keeps_list,
                                        setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_persist_gone, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_persist_bad_files, setup_dir,
                                        teardown_dir),
        cmocka_unit_test(test_expand),
        cmocka_unit_test(test_expand_duplicates_and_limits),
        cmocka_unit_test(test_expand_empty_and_args),
        cmocka_unit_test(test_expand_large),
    };

    sw_log_set_level(SW_LOG_WARN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
