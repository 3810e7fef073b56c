/* tests/unit/test_cycle.c - agent/cycle: one evaluation cycle end to end,
 * with a fake metric source, a state store and an outbox in a temporary
 * directory, and log notifiers that never deliver (the cycle only queues).
 *
 * Covered: the actions of each new state (ALARM, OK, INSUFFICIENT_DATA),
 * one outbox entry per action with the record's names and states;
 * actions_enabled = false; repeat_interval reminders (the rule's, else the
 * notifier's), counted on evaluated periods, numbered 1, 2..., also from
 * marks an older state file or a clock gone back left; a failed
 * fetch that keeps the state and a later good one that clears it; a
 * canceled fetch and the stop / yield flags; a notifier missing at run
 * time; an outbox that cannot be written; and the dry run.
 *
 * The alarms are one-period alarms (N = M = 1, Sum > 10 over 60 s), so
 * each cycle's value decides the state alone: 20 is ALARM, 5 is OK and no
 * datapoints at all is INSUFFICIENT_DATA. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "agent/cycle.h"
#include "agent/source.h"
#include "agent/store.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/str.h"
#include "notifiers/log.h"
#include "notifiers/message.h"
#include "notifiers/notifier.h"
#include "notifiers/outbox.h"
#include "rules/rule.h"

#define T0       1795601100 /* 2026-11-25T10:05:00Z, on the minute grid */
#define PERIOD   60
#define V_BREACH 20.0
#define V_OK     5.0

/* ---- the fake metric source --------------------------------------------- */

enum fake_mode {
    FAKE_VALUE,  /* VALUE in every period of the window */
    FAKE_EMPTY,  /* no datapoints: missing data */
    FAKE_FAIL,   /* an AWS error after retries */
    FAKE_CANCEL, /* cut short by a signal */
};

struct fake_source {
    struct sw_source base; /* first: the interface */
    enum fake_mode mode;
    double value;
    int calls;
    volatile sig_atomic_t *raise; /* set to 1 by each fetch; NULL: none */
};

static int
fake_fetch(struct sw_source *s, const struct sw_metric_query *q,
           struct sw_datapoint **out, size_t *n, char *err, size_t errlen)
{
    struct fake_source *fs = (struct fake_source *)s;
    size_t np;

    fs->calls++;
    if (fs->raise)
        *fs->raise = 1;
    switch (fs->mode) {
    case FAKE_EMPTY: return 0;
    case FAKE_FAIL:
        snprintf(err, errlen, "Throttling: Rate exceeded (3 attempts)");
        return SW_ETHROTTLED;
    case FAKE_CANCEL: return SW_ECANCELED;
    case FAKE_VALUE: break;
    }
    assert_true(q->period_s > 0 && q->end > q->start);
    np = (size_t)((q->end - q->start) / q->period_s);
    *out = calloc(np, sizeof(**out));
    if (!*out)
        return SW_ENOMEM;
    for (size_t i = 0; i < np; i++) {
        (*out)[i].ts = q->start + (time_t)i * q->period_s;
        (*out)[i].value = fs->value;
        (*out)[i].sample_count = -1;
    }
    *n = np;
    return 0;
}

static void
fake_free(struct sw_source *s)
{
    (void)s; /* embedded in the fixture */
}

static const struct sw_source_ops fake_ops = {
    .name = "fake",
    .fetch = fake_fetch,
    .free = fake_free,
};

/* ---- the fixture: a cycle over a temporary state_dir ----------------------
 */

/* The notifiers every test has: "a1" and "a2" for ALARM, "o1" for OK, "i1"
 * for INSUFFICIENT_DATA; "a2" has a repeat_interval of its own. */
static const char *const notifier_names[] = {"a1", "a2", "o1", "i1"};
#define NNOTIFIERS    4
#define A2_REPEAT_S   120
#define MAX_RULES     3
#define MAX_DRAINED   16
#define NOTIFIER_LOGS "notify.log"

struct fixture {
    char dir[64];         /* mkdtemp: the state_dir */
    char outbox_dir[128]; /* dir/outbox */
    struct fake_source src;
    struct sw_outbox *ob;
    struct sw_store *store;
    struct sw_notifier *notifiers[NNOTIFIERS];
    struct sw_rule *rules[MAX_RULES];
    size_t nrules;
    struct sw_message_ctx msg;
    volatile sig_atomic_t stop, yield;
    struct sw_cycle c;
    struct sw_cycle_stats st;
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char path[128], err[512];

    if (!f)
        return -1;
    sw_strlcpy(f->dir, "/tmp/sw_cycle_XXXXXX", sizeof(f->dir));
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->outbox_dir, sizeof(f->outbox_dir), "%s/%s", f->dir,
             SW_OUTBOX_DIR);
    if (sw_outbox_open(f->dir, 0, &f->ob, err, sizeof(err)) < 0)
        return -1;
    f->store = sw_store_new();
    if (!f->store)
        return -1;
    snprintf(path, sizeof(path), "%s/%s", f->dir, NOTIFIER_LOGS);
    for (size_t i = 0; i < NNOTIFIERS; i++)
        if (sw_notifier_log_new(notifier_names[i], path, &f->notifiers[i]) < 0)
            return -1;
    f->notifiers[1]->repeat_interval_s = A2_REPEAT_S;
    f->src.base.ops = &fake_ops;
    f->src.mode = FAKE_VALUE;
    f->src.value = V_OK;

    f->c.rules = (const struct sw_rule *const *)f->rules;
    f->c.source = &f->src.base;
    f->c.notifiers = f->notifiers;
    f->c.nnotifiers = NNOTIFIERS;
    f->c.outbox = f->ob;
    f->c.msg = &f->msg;
    f->c.store = f->store;
    f->c.region = "ap-northeast-1";
    f->c.stop = &f->stop;
    f->c.yield = &f->yield;
    *state = f;
    return 0;
}

static void
rm_tree(const char *path)
{
    DIR *dp = opendir(path);
    struct dirent *de;
    char sub[512];

    if (!dp) {
        unlink(path);
        return;
    }
    while ((de = readdir(dp)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
        rm_tree(sub);
    }
    closedir(dp);
    rmdir(path);
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    for (size_t i = 0; i < f->nrules; i++)
        sw_rule_free(f->rules[i]);
    for (size_t i = 0; i < NNOTIFIERS; i++)
        sw_notifier_free(f->notifiers[i]);
    sw_store_free(f->store);
    sw_outbox_free(f->ob);
    rm_tree(f->dir);
    free(f);
    return 0;
}

static void
push_all(struct sw_strv *sv, const char *const *names)
{
    for (; names && *names; names++)
        assert_int_equal(sw_strv_push(sv, *names), 0);
}

/* Add a one-period alarm NAME (Sum of IncomingRecords > 10 over 60 s) with
 * the NULL-terminated action lists (NULL: none). */
static struct sw_rule *
add_rule(struct fixture *f, const char *name, const char *const *alarm,
         const char *const *ok, const char *const *insufficient)
{
    struct sw_rule *r = sw_rule_new();

    assert_non_null(r);
    assert_true(f->nrules < MAX_RULES);
    r->name = sw_strdup(name);
    r->namespace_ = sw_strdup("AWS/Kinesis");
    r->metric = sw_strdup("IncomingRecords");
    r->stat = sw_strdup("Sum");
    assert_non_null(r->name);
    assert_non_null(r->namespace_);
    assert_non_null(r->metric);
    assert_non_null(r->stat);
    r->period_s = PERIOD;
    r->threshold = 10.0;
    r->cmp = SW_CMP_GT;
    r->evaluation_periods = 1;
    r->datapoints_to_alarm = 1;
    push_all(&r->alarm_actions, alarm);
    push_all(&r->ok_actions, ok);
    push_all(&r->insufficient_data_actions, insufficient);
    f->rules[f->nrules++] = r;
    f->c.nrules = f->nrules;
    return r;
}

/* One queued notification, as read back from the outbox. */
struct got {
    char notifier[32];
    char alarm[64];
    char new_state[32];
    char old_state[32];
    long long repeat;     /* 0: the state change (repeat is false) */
    long long window_end; /* streamwatch.window_end */
};

static void
copy_alarm_str(const json_t *alarm, const char *key, char *dst, size_t len)
{
    const char *v = json_string_value(json_object_get(alarm, key));

    assert_non_null(v);
    sw_strlcpy(dst, v, len);
}

/* Read every queued entry, oldest first, into OUT and remove it, so the
 * next cycle of a test starts from an empty outbox.  Returns the count. */
static size_t
drain(struct fixture *f, struct got *out)
{
    struct sw_outbox_entry *e;
    size_t n = 0;

    while ((e = sw_outbox_get(f->ob, 0)) != NULL) {
        json_t *rec = sw_outbox_entry_record(e);
        const json_t *alarm = json_object_get(rec, "alarm");
        const json_t *sw = json_object_get(rec, "streamwatch");
        const json_t *rep = json_object_get(sw, "repeat");

        assert_true(n < MAX_DRAINED);
        assert_non_null(alarm);
        assert_non_null(sw);
        sw_strlcpy(out[n].notifier, e->notifier, sizeof(out[n].notifier));
        copy_alarm_str(alarm, "AlarmName", out[n].alarm, sizeof(out[n].alarm));
        copy_alarm_str(alarm, "NewStateValue", out[n].new_state,
                       sizeof(out[n].new_state));
        copy_alarm_str(alarm, "OldStateValue", out[n].old_state,
                       sizeof(out[n].old_state));
        if (json_is_false(rep)) {
            out[n].repeat = 0;
        } else {
            assert_true(json_is_integer(rep));
            out[n].repeat = json_integer_value(rep);
            assert_true(out[n].repeat > 0);
        }
        assert_true(json_is_integer(json_object_get(sw, "window_end")));
        out[n].window_end =
            json_integer_value(json_object_get(sw, "window_end"));
        json_decref(rec);
        assert_int_equal(sw_outbox_remove(f->ob, e), 0);
        n++;
    }
    return n;
}

static void
assert_got(const struct got *g, const char *notifier, const char *alarm,
           const char *new_state, const char *old_state, long long repeat)
{
    assert_string_equal(g->notifier, notifier);
    assert_string_equal(g->alarm, alarm);
    assert_string_equal(g->new_state, new_state);
    assert_string_equal(g->old_state, old_state);
    assert_int_equal(g->repeat, repeat);
}

static size_t
count_files(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *de;
    size_t n = 0;

    if (!dp)
        return 0;
    while ((de = readdir(dp)) != NULL)
        if (de->d_name[0] != '.' && strcmp(de->d_name, SW_OUTBOX_CORRUPT) != 0)
            n++;
    closedir(dp);
    return n;
}

/* Run one cycle at NOW with the source answering VALUE (or MODE). */
static int
run_value(struct fixture *f, time_t now, double value)
{
    f->src.mode = FAKE_VALUE;
    f->src.value = value;
    return sw_cycle_run(&f->c, now, &f->st);
}

static int
run_mode(struct fixture *f, time_t now, enum fake_mode mode)
{
    f->src.mode = mode;
    return sw_cycle_run(&f->c, now, &f->st);
}

/* Redirect stderr (the log) to a file while a test looks at it. */
struct capture {
    FILE *f;
    int saved;
};

static void
capture_start(struct capture *c)
{
    fflush(stderr);
    c->f = tmpfile();
    assert_non_null(c->f);
    c->saved = dup(STDERR_FILENO);
    assert_true(c->saved >= 0);
    assert_int_equal(dup2(fileno(c->f), STDERR_FILENO), STDERR_FILENO);
}

/* Returns: new (free()), what was logged. */
static char *
capture_end(struct capture *c)
{
    char *text = calloc(1, 65536);

    assert_non_null(text);
    fflush(stderr);
    assert_int_equal(dup2(c->saved, STDERR_FILENO), STDERR_FILENO);
    close(c->saved);
    rewind(c->f);
    /* calloc'd: whatever was read is NUL-terminated. */
    if (fread(text, 1, 65535, c->f) == 0 && ferror(c->f))
        fail_msg("cannot read the captured stderr");
    fclose(c->f);
    return text;
}

/* fsize_limit - cap the size of files this process writes (EFBIG past
 * it), as a full disk would refuse them; RLIM_INFINITY lifts it. */
static void
fsize_limit(rlim_t bytes)
{
    struct rlimit rl;

    assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
    rl.rlim_cur = bytes == RLIM_INFINITY ? rl.rlim_max : bytes;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/* ---- tests ----------------------------------------------------------------
 */

/* Each new state runs its own actions, one outbox entry (and file) per
 * action, named by the alarm, the new and the old state; an alarm that
 * does not change, or is not due, queues nothing. */
static void
test_actions_per_state(void **state)
{
    struct fixture *f = *state;
    static const char *const alarm[] = {"a1", "a2", NULL};
    static const char *const ok[] = {"o1", NULL};
    static const char *const insufficient[] = {"i1", NULL};
    struct got g[MAX_DRAINED];
    struct sw_alarm_state *a;

    add_rule(f, "orders-low", alarm, ok, insufficient);

    /* A new alarm starts in INSUFFICIENT_DATA; no data keeps it there. */
    assert_int_equal(run_mode(f, T0 + 5, FAKE_EMPTY), 0);
    assert_int_equal(f->st.alarms, 1);
    assert_int_equal(f->st.requests, 1);
    assert_int_equal(f->st.transitions, 0);
    assert_int_equal(f->st.queued, 0);
    assert_int_equal(sw_outbox_len(f->ob), 0);

    /* Evaluated this minute already: skipped, the source not asked. */
    assert_int_equal(run_value(f, T0 + 30, V_BREACH), 0);
    assert_int_equal(f->st.skipped, 1);
    assert_int_equal(f->st.alarms, 0);
    assert_int_equal(f->src.calls, 1);

    /* -> ALARM: alarm_actions, in order. */
    assert_int_equal(run_value(f, T0 + 65, V_BREACH), 0);
    assert_int_equal(f->st.transitions, 1);
    assert_int_equal(f->st.queued, 2);
    assert_int_equal(f->st.notify_failures, 0);
    assert_int_equal(f->st.unsaved, 0);
    assert_int_equal(count_files(f->outbox_dir), 2);
    assert_int_equal(drain(f, g), 2);
    assert_got(&g[0], "a1", "orders-low", "ALARM", "INSUFFICIENT_DATA", 0);
    assert_got(&g[1], "a2", "orders-low", "ALARM", "INSUFFICIENT_DATA", 0);
    /* Named by the period evaluated, not by the second the cycle ran. */
    assert_int_equal(g[0].window_end, T0 + 60);
    a = sw_store_get(f->store, "orders-low");
    assert_non_null(a);
    assert_int_equal(a->state, SW_STATE_ALARM);
    assert_int_equal(a->since, T0 + 65);
    assert_int_equal(a->last_evaluated, T0 + 65);

    /* Staying in ALARM (no repeat_interval on a1; a2's has not passed). */
    assert_int_equal(run_value(f, T0 + 125, V_BREACH), 0);
    assert_int_equal(f->st.transitions, 0);
    assert_int_equal(f->st.queued, 0);
    assert_int_equal(sw_outbox_len(f->ob), 0);

    /* -> OK: ok_actions. */
    assert_int_equal(run_value(f, T0 + 185, V_OK), 0);
    assert_int_equal(f->st.transitions, 1);
    assert_int_equal(f->st.queued, 1);
    assert_int_equal(drain(f, g), 1);
    assert_got(&g[0], "o1", "orders-low", "OK", "ALARM", 0);

    /* -> INSUFFICIENT_DATA: insufficient_data_actions. */
    assert_int_equal(run_mode(f, T0 + 245, FAKE_EMPTY), 0);
    assert_int_equal(f->st.transitions, 1);
    assert_int_equal(f->st.queued, 1);
    assert_int_equal(drain(f, g), 1);
    assert_got(&g[0], "i1", "orders-low", "INSUFFICIENT_DATA", "OK", 0);

    /* -> OK straight from INSUFFICIENT_DATA. */
    assert_int_equal(run_value(f, T0 + 305, V_OK), 0);
    assert_int_equal(drain(f, g), 1);
    assert_got(&g[0], "o1", "orders-low", "OK", "INSUFFICIENT_DATA", 0);
    assert_int_equal(count_files(f->outbox_dir), 0);
}

/* A state without actions, and actions_enabled = false: the state still
 * changes, nothing is queued, and no reminder follows. */
static void
test_actions_disabled(void **state)
{
    struct fixture *f = *state;
    static const char *const alarm[] = {"a1", "a2", NULL};
    static const char *const ok[] = {"o1", NULL};
    struct sw_rule *off;

    add_rule(f, "no-actions", NULL, NULL, NULL);
    off = add_rule(f, "disabled", alarm, ok, ok);
    off->actions_enabled = 0;
    off->repeat_interval_s = PERIOD;

    assert_int_equal(run_value(f, T0 + 5, V_BREACH), 0);
    assert_int_equal(f->st.alarms, 2);
    assert_int_equal(f->st.transitions, 2);
    assert_int_equal(f->st.queued, 0);
    assert_int_equal(f->st.notify_failures, 0);
    assert_int_equal(sw_store_get(f->store, "disabled")->state, SW_STATE_ALARM);
    for (int k = 1; k <= 3; k++) {
        assert_int_equal(run_value(f, T0 + k * PERIOD + 5, V_BREACH), 0);
        assert_int_equal(f->st.queued, 0);
    }
    assert_int_equal(run_value(f, T0 + 4 * PERIOD + 5, V_OK), 0);
    assert_int_equal(f->st.transitions, 2);
    assert_int_equal(f->st.queued, 0);
    assert_int_equal(sw_outbox_len(f->ob), 0);
    assert_int_equal(count_files(f->outbox_dir), 0);
}

/* Still in ALARM: each alarm action is reminded every repeat_interval, the
 * rule's when set, else the notifier's, counted on the periods evaluated
 * (a cycle late in its minute still names the period it evaluated), and
 * numbered 1, 2...; a state change starts the count again. */
static void
test_repeats(void **state)
{
    struct fixture *f = *state;
    static const char *const alarm[] = {"a1", "a2", NULL};
    struct got g[MAX_DRAINED];
    struct sw_rule *own;
    struct sw_alarm_state *a;
    int seen_rule = 0, seen_notifier = 0;

    own = add_rule(f, "own-interval", alarm, NULL, NULL);
    own->repeat_interval_s = 3 * PERIOD;
    add_rule(f, "notifier-interval", alarm, NULL, NULL);

    /* The change, late in its minute: the period evaluated ends at T0. */
    assert_int_equal(run_value(f, T0 + 55, V_BREACH), 0);
    assert_int_equal(f->st.transitions, 2);
    assert_int_equal(drain(f, g), 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(g[i].repeat, 0);
        assert_int_equal(g[i].window_end, T0);
    }
    a = sw_store_get(f->store, "own-interval");
    assert_int_equal(a->nmarks, 2);
    assert_int_equal(a->marks[0].last, T0);
    assert_int_equal(a->marks[0].count, 0);

    /* Early in each later minute: by the wall clock, the first reminder of
     * "own-interval" at T0 + 185 is 130 s after the change, but three
     * periods (180 s) were evaluated, so it is due. */
    for (int k = 1; k <= 7; k++) {
        time_t now = T0 + k * PERIOD + 5;
        time_t end = T0 + k * PERIOD;
        size_t n;

        assert_int_equal(run_value(f, now, V_BREACH), 0);
        assert_int_equal(f->st.transitions, 0);
        assert_int_equal(f->st.notify_failures, 0);
        n = drain(f, g);
        assert_int_equal(f->st.queued, (int)n);
        for (size_t i = 0; i < n; i++) {
            assert_string_equal(g[i].new_state, "ALARM");
            assert_string_equal(g[i].old_state, "ALARM");
            assert_int_equal(g[i].window_end, end);
            if (strcmp(g[i].alarm, "own-interval") == 0) {
                /* Every 180 s, for a1 (no interval) and a2 (120 s)
                 * alike: the rule's interval wins. */
                assert_int_equal(k % 3, 0);
                assert_int_equal(g[i].repeat, k / 3);
                seen_rule++;
            } else {
                /* No rule interval: a2's own 120 s, and a1 never. */
                assert_string_equal(g[i].alarm, "notifier-interval");
                assert_string_equal(g[i].notifier, "a2");
                assert_int_equal(k % 2, 0);
                assert_int_equal(g[i].repeat, k / 2);
                seen_notifier++;
            }
        }
        if (k % 3 == 0) {
            assert_true(n >= 2);
            assert_string_equal(g[0].notifier, "a1");
            assert_string_equal(g[1].notifier, "a2");
        }
    }
    assert_int_equal(seen_rule, 4);     /* k = 3, 6: a1 and a2 */
    assert_int_equal(seen_notifier, 3); /* k = 2, 4, 6 */
    /* The mark holds the period of the last reminder and its number. */
    a = sw_store_get(f->store, "own-interval");
    assert_int_equal(a->marks[0].last, T0 + 6 * PERIOD);
    assert_int_equal(a->marks[0].count, 2);

    /* A change clears the marks: back in ALARM, the count starts at 1. */
    assert_int_equal(run_value(f, T0 + 8 * PERIOD + 5, V_OK), 0);
    assert_int_equal(a->nmarks, 0);
    assert_int_equal(run_value(f, T0 + 9 * PERIOD + 5, V_BREACH), 0);
    assert_int_equal(drain(f, g), 4);
    for (int k = 10; k <= 12; k++)
        assert_int_equal(run_value(f, T0 + k * PERIOD + 5, V_BREACH), 0);
    assert_int_equal(drain(f, g), 3); /* k = 11: a2; k = 12: a1, a2 */
    assert_got(&g[0], "a2", "notifier-interval", "ALARM", "ALARM", 1);
    assert_got(&g[1], "a1", "own-interval", "ALARM", "ALARM", 1);
    assert_got(&g[2], "a2", "own-interval", "ALARM", "ALARM", 1);
}

/* Marks the store did not get from this cycle: an alarm in ALARM from a
 * state file without marks counts its first reminder from the change
 * (since); a mark ahead of the period evaluated (the clock went back)
 * counts anew from that period rather than waiting for the old time. */
static void
test_repeat_old_marks(void **state)
{
    struct fixture *f = *state;
    static const char *const alarm[] = {"a1", NULL};
    struct got g[MAX_DRAINED];
    struct sw_alarm_state *a, *b;
    struct sw_notify_mark *m = NULL;

    add_rule(f, "no-marks", alarm, NULL, NULL)->repeat_interval_s = 3 * PERIOD;
    add_rule(f, "from-future", alarm, NULL, NULL)->repeat_interval_s =
        3 * PERIOD;
    /* As loaded from state.json: in ALARM since one period ago, last
     * evaluated then; one with no marks, one reminded an hour ahead. */
    assert_int_equal(sw_store_ensure(f->store, "no-marks", T0 - PERIOD, &a), 0);
    assert_int_equal(
        sw_store_alarm_set(a, SW_STATE_ALARM, T0 - PERIOD, "r", NULL), 0);
    a->last_evaluated = T0 - PERIOD;
    assert_int_equal(sw_store_ensure(f->store, "from-future", T0 - PERIOD, &b),
                     0);
    assert_int_equal(
        sw_store_alarm_set(b, SW_STATE_ALARM, T0 - PERIOD, "r", NULL), 0);
    b->last_evaluated = T0 - PERIOD;
    assert_int_equal(sw_store_alarm_mark(b, "a1", &m), 0);
    m->last = T0 + 3600;
    m->count = 4;

    /* Neither is due a reminder in the first periods... */
    for (int k = 0; k <= 1; k++) {
        assert_int_equal(run_value(f, T0 + k * PERIOD + 5, V_BREACH), 0);
        assert_int_equal(f->st.alarms, 2);
        assert_int_equal(f->st.transitions, 0);
        assert_int_equal(f->st.queued, 0);
    }
    assert_int_equal(b->marks[0].last, T0);
    /* ...then "no-marks" three periods after its change, and "from-future"
     * three periods after the first period it evaluated. */
    assert_int_equal(run_value(f, T0 + 2 * PERIOD + 5, V_BREACH), 0);
    assert_int_equal(drain(f, g), 1);
    assert_got(&g[0], "a1", "no-marks", "ALARM", "ALARM", 1);
    assert_int_equal(g[0].window_end, T0 + 2 * PERIOD);
    assert_int_equal(run_value(f, T0 + 3 * PERIOD + 5, V_BREACH), 0);
    assert_int_equal(drain(f, g), 1);
    assert_got(&g[0], "a1", "from-future", "ALARM", "ALARM", 5);
    assert_int_equal(g[0].window_end, T0 + 3 * PERIOD);
}

/* A failed fetch is not data: the alarm keeps its state (an alarm with no
 * datapoints would have gone to INSUFFICIENT_DATA), the failure is counted
 * and kept in the store, nothing is queued; a later good fetch clears it. */
static void
test_fetch_failure_keeps_state(void **state)
{
    struct fixture *f = *state;
    static const char *const alarm[] = {"a1", NULL};
    static const char *const ok[] = {"o1", NULL};
    static const char *const insufficient[] = {"i1", NULL};
    struct got g[MAX_DRAINED];
    struct sw_alarm_state *a;
    struct capture cap;
    char *log;

    add_rule(f, "flaky", alarm, ok, insufficient);
    assert_int_equal(run_value(f, T0 + 5, V_BREACH), 0);
    assert_int_equal(drain(f, g), 1);
    a = sw_store_get(f->store, "flaky");
    assert_int_equal(a->state, SW_STATE_ALARM);

    capture_start(&cap);
    assert_int_equal(run_mode(f, T0 + 65, FAKE_FAIL), 0);
    assert_int_equal(run_mode(f, T0 + 125, FAKE_FAIL), 0);
    log = capture_end(&cap);
    assert_non_null(strstr(log, "fetch: alarm 'flaky': Throttling: Rate "
                                "exceeded (3 attempts)"));
    free(log);
    assert_int_equal(f->st.fetch_failures, 1);
    assert_int_equal(f->st.alarms, 0);
    assert_int_equal(f->st.transitions, 0);
    assert_int_equal(f->st.queued, 0);
    assert_int_equal(sw_outbox_len(f->ob), 0);
    assert_int_equal(a->state, SW_STATE_ALARM);
    assert_int_equal(a->since, T0 + 5);
    assert_non_null(a->fetch_error);
    assert_string_equal(a->fetch_error,
                        "Throttling: Rate exceeded (3 attempts)");
    assert_int_equal(a->fetch_failures, 2);
    assert_int_equal(a->last_error_time, T0 + 125);
    /* Not evaluated, so still due: the next cycle asks again. */
    assert_int_equal(a->last_evaluated, T0 + 5);

    assert_int_equal(run_value(f, T0 + 185, V_OK), 0);
    assert_int_equal(f->st.fetch_failures, 0);
    assert_int_equal(f->st.transitions, 1);
    assert_null(a->fetch_error);
    assert_int_equal(a->fetch_failures, 0);
    assert_int_equal(a->state, SW_STATE_OK);
    assert_int_equal(drain(f, g), 1);
    assert_got(&g[0], "o1", "flaky", "OK", "ALARM", 0);
}

/* A fetch cut short by a signal: SW_ECANCELED, no fetch failure, the
 * alarms as they were and still due (the alarm that shares the fetch
 * too); the same NOW again finishes the cycle. */
static void
test_fetch_canceled(void **state)
{
    struct fixture *f = *state;
    static const char *const alarm[] = {"a1", NULL};
    struct got g[MAX_DRAINED];
    const char *names[] = {"first", "second"};

    add_rule(f, "first", alarm, NULL, NULL);
    add_rule(f, "second", alarm, NULL, NULL);

    assert_int_equal(run_mode(f, T0 + 5, FAKE_CANCEL), SW_ECANCELED);
    assert_int_equal(f->src.calls, 1); /* one series: one fetch */
    assert_int_equal(f->st.fetch_failures, 0);
    assert_int_equal(f->st.alarms, 0);
    assert_int_equal(f->st.queued, 0);
    for (size_t i = 0; i < 2; i++) {
        struct sw_alarm_state *a = sw_store_get(f->store, names[i]);

        assert_non_null(a);
        assert_int_equal(a->state, SW_STATE_INSUFFICIENT_DATA);
        assert_null(a->fetch_error);
        assert_int_equal(a->fetch_failures, 0);
        assert_int_equal(a->last_evaluated, 0);
    }

    assert_int_equal(run_value(f, T0 + 5, V_BREACH), 0);
    assert_int_equal(f->st.alarms, 2);
    assert_int_equal(f->st.transitions, 2);
    assert_int_equal(drain(f, g), 2);
    assert_string_equal(g[0].alarm, "first");
    assert_string_equal(g[1].alarm, "second");
}

/* Alarms on one series share its fetch: one request for both, and each
 * evaluates it against its own threshold. */
static void
test_shared_fetch(void **state)
{
    struct fixture *f = *state;
    static const char *const alarm[] = {"a1", NULL};
    struct sw_rule *hi;

    add_rule(f, "low", alarm, NULL, NULL);
    hi = add_rule(f, "high", alarm, NULL, NULL);
    hi->threshold = 1e9;

    assert_int_equal(run_value(f, T0 + 5, V_BREACH), 0);
    assert_int_equal(f->src.calls, 1);
    assert_int_equal(f->st.requests, 1);
    assert_int_equal(f->st.alarms, 2);
    assert_int_equal(sw_store_get(f->store, "low")->state, SW_STATE_ALARM);
    assert_int_equal(sw_store_get(f->store, "high")->state, SW_STATE_OK);
}

/* SIGHUP's yield flag lets the fetch in flight finish (its alarm is
 * evaluated and its notification queued) and starts no other (that alarm
 * stays due); SIGTERM's stop flag, already set, stops before the first. */
static void
test_yield_and_stop(void **state)
{
    struct fixture *f = *state;
    static const char *const alarm[] = {"a1", NULL};
    struct got g[MAX_DRAINED];
    struct sw_rule *second;

    add_rule(f, "first", alarm, NULL, NULL);
    second = add_rule(f, "second", alarm, NULL, NULL);
    /* Another statistic: a fetch of its own, after the first's (fetches
     * are in series, then statistic order). */
    free(second->stat);
    second->stat = sw_strdup("p99");
    assert_non_null(second->stat);

    f->src.raise = &f->yield; /* the signal arrives during the fetch */
    assert_int_equal(run_value(f, T0 + 5, V_BREACH), SW_ECANCELED);
    f->src.raise = NULL;
    assert_int_equal(f->src.calls, 1);
    assert_int_equal(f->st.alarms, 1);
    assert_int_equal(f->st.transitions, 1);
    assert_int_equal(f->st.queued, 1);
    assert_int_equal(drain(f, g), 1);
    assert_int_equal(sw_store_get(f->store, "second")->last_evaluated, 0);

    /* Reloaded: the flag is down, and the cycle at the same NOW does only
     * what is left. */
    f->yield = 0;
    assert_int_equal(run_value(f, T0 + 5, V_BREACH), 0);
    assert_int_equal(f->st.skipped, 1);
    assert_int_equal(f->st.alarms, 1);
    assert_int_equal(drain(f, g), 1);

    f->stop = 1;
    assert_int_equal(run_value(f, T0 + 65, V_OK), SW_ECANCELED);
    assert_int_equal(f->src.calls, 2);
    assert_int_equal(f->st.alarms, 0);
    assert_int_equal(sw_store_get(f->store, "first")->state, SW_STATE_ALARM);
}

/* An action naming a notifier that is not there at run time (conf checks
 * every name, so only a reload race gets here): logged and counted, not
 * queued, and the other actions of the change still are. */
static void
test_missing_notifier(void **state)
{
    struct fixture *f = *state;
    static const char *const alarm[] = {"a1", "ghost", "a2", NULL};
    struct got g[MAX_DRAINED];
    struct capture cap;
    char *log;

    add_rule(f, "orphan", alarm, NULL, NULL)->repeat_interval_s = PERIOD;

    /* On the minute grid, so the change and the period evaluated share a
     * time and every action's reminder is due one period later. */
    capture_start(&cap);
    assert_int_equal(run_value(f, T0, V_BREACH), 0);
    log = capture_end(&cap);
    assert_non_null(strstr(log, "notify: alarm 'orphan': no notifier "
                                "'ghost'"));
    free(log);
    assert_int_equal(f->st.transitions, 1);
    assert_int_equal(f->st.notify_failures, 1);
    assert_int_equal(f->st.queued, 2);
    assert_int_equal(drain(f, g), 2);
    assert_got(&g[0], "a1", "orphan", "ALARM", "INSUFFICIENT_DATA", 0);
    assert_got(&g[1], "a2", "orphan", "ALARM", "INSUFFICIENT_DATA", 0);

    /* Its reminders too. */
    capture_start(&cap);
    assert_int_equal(run_value(f, T0 + PERIOD, V_BREACH), 0);
    log = capture_end(&cap);
    assert_non_null(strstr(log, "no notifier 'ghost'"));
    free(log);
    assert_int_equal(f->st.notify_failures, 1);
    assert_int_equal(f->st.queued, 2);
    assert_int_equal(drain(f, g), 2);
    assert_got(&g[0], "a1", "orphan", "ALARM", "ALARM", 1);
    assert_got(&g[1], "a2", "orphan", "ALARM", "ALARM", 1);
}

/* An outbox whose files cannot be written (a full state_dir) keeps the
 * notifications in memory: counted as queued and unsaved, not as
 * failures, and written by the next flush once the disk takes them. */
static void
test_outbox_write_fails(void **state)
{
    struct fixture *f = *state;
    static const char *const alarm[] = {"a1", "a2", NULL};
    struct sw_alarm_state *a;
    struct capture cap;
    char err[512];

    add_rule(f, "full-disk", alarm, NULL, NULL);
    signal(SIGXFSZ, SIG_IGN);
    /* The errors it logs are expected (and cut short by the same limit):
     * keep them out of the test's output. */
    capture_start(&cap);
    fsize_limit(64);
    assert_int_equal(run_value(f, T0 + 5, V_BREACH), 0);
    fsize_limit(RLIM_INFINITY);
    free(capture_end(&cap));
    signal(SIGXFSZ, SIG_DFL);
    assert_int_equal(f->st.transitions, 1);
    assert_int_equal(f->st.queued, 2);
    assert_int_equal(f->st.unsaved, 2);
    assert_int_equal(f->st.notify_failures, 0);
    assert_int_equal(sw_outbox_len(f->ob), 2);
    assert_int_equal(sw_outbox_unsaved(f->ob), 2);
    assert_true(sw_outbox_get(f->ob, 0)->unsaved);
    assert_string_equal(sw_outbox_get(f->ob, 0)->notifier, "a1");
    assert_string_equal(sw_outbox_get(f->ob, 1)->notifier, "a2");
    assert_int_equal(count_files(f->outbox_dir), 0);
    /* Marked as notified like any queued notification. */
    a = sw_store_get(f->store, "full-disk");
    assert_int_equal(a->nmarks, 2);

    assert_int_equal(sw_outbox_flush(f->ob, err, sizeof(err)), 0);
    assert_int_equal(count_files(f->outbox_dir), 2);
}

/* A dry run prints the log notifier's line for each action to dry_out and
 * queues nothing, even with an outbox at hand. */
static void
test_dry_run(void **state)
{
    struct fixture *f = *state;
    static const char *const alarm[] = {"a1", "a2", NULL};
    char out[8192];
    size_t len;
    FILE *fp = tmpfile();
    json_t *line;
    json_error_t jerr;
    char *nl;

    assert_non_null(fp);
    add_rule(f, "rehearsal", alarm, NULL, NULL);
    f->c.dry_run = 1;
    f->c.dry_out = fp;
    assert_int_equal(run_value(f, T0 + 5, V_BREACH), 0);
    assert_int_equal(f->st.transitions, 1);
    assert_int_equal(f->st.queued, 0);
    assert_int_equal(f->st.notify_failures, 0);
    assert_int_equal(sw_outbox_len(f->ob), 0);
    assert_int_equal(count_files(f->outbox_dir), 0);

    rewind(fp);
    len = fread(out, 1, sizeof(out) - 1, fp);
    out[len] = '\0';
    fclose(fp);
    /* Two lines, one per action, as the log notifier writes them. */
    nl = strchr(out, '\n');
    assert_non_null(nl);
    assert_non_null(strchr(nl + 1, '\n'));
    assert_string_equal(strchr(nl + 1, '\n') + 1, "");
    *nl = '\0';
    line = json_loads(out, 0, &jerr);
    assert_non_null(line);
    assert_string_equal(json_string_value(json_object_get(line, "AlarmName")),
                        "rehearsal");
    assert_string_equal(
        json_string_value(json_object_get(line, "NewStateValue")), "ALARM");
    assert_string_equal(json_string_value(json_object_get(line, "Notifier")),
                        "a1");
    json_decref(line);
    line = json_loads(nl + 1, 0, &jerr);
    assert_non_null(line);
    assert_string_equal(json_string_value(json_object_get(line, "Notifier")),
                        "a2");
    json_decref(line);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_actions_per_state, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_actions_disabled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeat_old_marks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_failure_keeps_state, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shared_fetch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_canceled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_yield_and_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_notifier, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_write_fails, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
    };

    /* Transitions are logged at info; errors stay visible. */
    sw_log_set_level(SW_LOG_ERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
