/* tests/unit/test_eval.c - rules/eval: CloudWatch's documented tables cell
 * for cell, the premature-alarm rule, M-of-N over gaps, every comparison
 * operator, the reason / reason-data texts and their length limits,
 * percentiles with low sample counts, and the evaluation cadence.
 *
 * Datapoint patterns are written as in docs/cloudwatch-alarms.md:
 * oldest -> newest, "0" = a value within the threshold, "X" = a breaching
 * value, "-" = missing; one token per period of the evaluation range. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/str.h"
#include "rules/eval.h"
#include "rules/rule.h"

#define T_END     1795601100 /* 2026-11-25T10:05:00Z */
#define T_QUERY   (T_END + 41)
#define PERIOD    60
#define THRESHOLD 10.0
#define V_OK      5.0
#define V_BREACH  20.0

/* "retain" in the tables: the expected state is the previous one. */
#define PREV (-1)

static struct sw_rule *
mkrule(int n, int m, enum sw_tmd tmd, int range)
{
    struct sw_rule *r = sw_rule_new();

    assert_non_null(r);
    r->name = sw_strdup("t");
    r->stat = sw_strdup("Sum");
    r->period_s = PERIOD;
    r->threshold = THRESHOLD;
    r->cmp = SW_CMP_GT;
    r->evaluation_periods = n;
    r->datapoints_to_alarm = m;
    r->datapoints_to_alarm_set = 1;
    r->evaluation_range = range;
    r->tmd = tmd;
    return r;
}

/* Turn "0 - X" into datapoints ending at T_END; returns the count and sets
 * *range to the number of tokens. */
static size_t
mkpoints(const char *pattern, struct sw_datapoint *pts, int *range)
{
    size_t n = 0;
    int i = 0;

    for (const char *p = pattern; *p; p++) {
        if (*p == ' ')
            continue;
        if (*p != '-') {
            pts[n].value = *p == 'X' ? V_BREACH : V_OK;
            pts[n].sample_count = -1;
            pts[n].ts = i; /* slot for now; shifted below */
            n++;
        }
        i++;
    }
    *range = i;
    for (size_t k = 0; k < n; k++)
        pts[k].ts = T_END - (time_t)(i - pts[k].ts) * PERIOD;
    return n;
}

static enum sw_state
run(const char *pattern, int n, int m, enum sw_tmd tmd, enum sw_state prev)
{
    struct sw_datapoint pts[64];
    struct sw_eval_result res;
    struct sw_rule *r;
    enum sw_state st;
    int range;
    size_t np = mkpoints(pattern, pts, &range);

    r = mkrule(n, m, tmd, range);
    assert_int_equal(sw_eval(r, pts, np, T_END, prev, T_QUERY, &res), 0);
    assert_non_null(res.reason);
    assert_non_null(res.reason_data);
    assert_int_equal(res.changed, res.state != prev);
    st = res.state;
    sw_eval_result_release(&res);
    sw_rule_free(r);
    return st;
}

/* ---- docs/cloudwatch-alarms.md section 5, both tables ----------------- */

struct table_row {
    const char *pattern;
    int filled;  /* "# of data points that must be filled" column */
    int want[4]; /* MISSING, IGNORE, BREACHING, NOT BREACHING */
};

#define I SW_STATE_INSUFFICIENT_DATA
#define O SW_STATE_OK
#define A SW_STATE_ALARM

/* Table 1 - Datapoints to Alarm = 3, Evaluation Periods = 3. */
static const struct table_row table1[] = {
    {"0 - X - X", 0, {O, O, O, O}},    {"0 - - - -", 2, {O, O, O, O}},
    {"- - - - -", 3, {I, PREV, A, O}}, {"0 X X - X", 0, {A, A, A, A}},
    {"- - X - -", 2, {A, PREV, A, O}},
};

/* Table 2 - Datapoints to Alarm = 2, Evaluation Periods = 3. */
static const struct table_row table2[] = {
    {"0 - X - X", 0, {A, A, A, A}},    {"0 0 X 0 X", 0, {A, A, A, A}},
    {"0 - X - -", 1, {O, O, A, O}},    {"- - - - 0", 2, {O, O, A, O}},
    {"- - - X -", 2, {A, PREV, A, O}},
};

static const enum sw_tmd policies[4] = {SW_TMD_MISSING, SW_TMD_IGNORE,
                                        SW_TMD_BREACHING, SW_TMD_NOT_BREACHING};

static void
check_table(const struct table_row *rows, size_t nrows, int n, int m)
{
    static const enum sw_state prevs[] = {SW_STATE_OK, SW_STATE_ALARM,
                                          SW_STATE_INSUFFICIENT_DATA};

    for (size_t i = 0; i < nrows; i++) {
        for (int p = 0; p < 4; p++) {
            for (size_t k = 0; k < sizeof(prevs) / sizeof(prevs[0]); k++) {
                int want =
                    rows[i].want[p] == PREV ? (int)prevs[k] : rows[i].want[p];
                enum sw_state got =
                    run(rows[i].pattern, n, m, policies[p], prevs[k]);
                if ((int)got != want)
                    fail_msg("M=%d N=%d '%s' %s prev %s: got %s, want %s", m, n,
                             rows[i].pattern, sw_tmd_name(policies[p]),
                             sw_state_name(prevs[k]), sw_state_name(got),
                             sw_state_name((enum sw_state)want));
            }
        }
    }
}

/* The "must be filled" column: what breaching/notBreaching fill. */
static void
check_filled(const struct table_row *rows, size_t nrows, int n, int m)
{
    for (size_t i = 0; i < nrows; i++) {
        struct sw_datapoint pts[16];
        struct sw_eval_result res;
        int range;
        size_t np = mkpoints(rows[i].pattern, pts, &range);
        struct sw_rule *r = mkrule(n, m, SW_TMD_BREACHING, range);

        assert_int_equal(sw_eval(r, pts, np, T_END, SW_STATE_OK, T_QUERY, &res),
                         0);
        if (res.filled != rows[i].filled)
            fail_msg("'%s': filled %d, want %d", rows[i].pattern, res.filled,
                     rows[i].filled);
        sw_eval_result_release(&res);
        sw_rule_free(r);
    }
}

static void
test_table1(void **state)
{
    (void)state;
    check_table(table1, sizeof(table1) / sizeof(table1[0]), 3, 3);
    check_filled(table1, sizeof(table1) / sizeof(table1[0]), 3, 3);
}

static void
test_table2(void **state)
{
    (void)state;
    check_table(table2, sizeof(table2) / sizeof(table2[0]), 3, 2);
    check_filled(table2, sizeof(table2) / sizeof(table2[0]), 3, 2);
}

/* ---- section 6: the premature-alarm rule ------------------------------ */

static void
test_premature(void **state)
{
    (void)state;
    /* The documented ALARM: oldest breach 3 periods old with M = 3. */
    assert_int_equal(run("- - X - -", 3, 3, SW_TMD_MISSING, O), A);
    assert_int_equal(run("- - X - -", 3, 3, SW_TMD_MISSING, I), A);
    /* The documented negatives: the next point might not breach. */
    assert_int_equal(run("- - - - X", 3, 3, SW_TMD_MISSING, I), O);
    assert_int_equal(run("- - - X -", 3, 3, SW_TMD_MISSING, I), O);
    assert_int_equal(run("- - - X -", 3, 3, SW_TMD_MISSING, A), O);
    /* M-of-N too: age 2 >= M = 2. */
    assert_int_equal(run("- - - X -", 3, 2, SW_TMD_MISSING, O), A);
    assert_int_equal(run("- - - - X", 3, 2, SW_TMD_MISSING, O), O);
    /* Two breaches, oldest 3 old: also ALARM at M = 3. */
    assert_int_equal(run("- - X X -", 3, 3, SW_TMD_MISSING, O), A);
    /* A real non-breaching point anywhere in range disables the rule
     * (table 2 row 3). */
    assert_int_equal(run("0 - X - -", 3, 2, SW_TMD_MISSING, O), O);
    /* A breach older than the last N periods does not count for age. */
    assert_int_equal(run("X - - - -", 3, 3, SW_TMD_MISSING, O), O);
    /* ignore keeps the state where missing would alarm. */
    assert_int_equal(run("- - X - -", 3, 3, SW_TMD_IGNORE, O), O);
    assert_int_equal(run("- - X - -", 3, 3, SW_TMD_IGNORE, A), A);
    assert_int_equal(run("- - X - -", 3, 3, SW_TMD_IGNORE, I), I);
}

/* ---- section 4: the most recent real datapoints, over gaps ------------ */

static void
test_m_of_n_gaps(void **state)
{
    (void)state;
    /* 2 of 3 over gaps: the 3 newest real points are X 0 X. */
    assert_int_equal(run("X - 0 - X", 3, 2, SW_TMD_MISSING, O), A);
    assert_int_equal(run("0 - 0 - X", 3, 2, SW_TMD_MISSING, A), O);
    /* Older points beyond the newest N real ones are ignored. */
    assert_int_equal(run("X X 0 0 0", 3, 1, SW_TMD_MISSING, A), O);
    assert_int_equal(run("0 0 X X X", 3, 3, SW_TMD_MISSING, O), A);
    /* With enough real points TreatMissingData is never consulted. */
    for (int p = 0; p < 4; p++) {
        assert_int_equal(run("X - X - 0 - X -", 4, 3, policies[p], O), A);
        assert_int_equal(run("X - 0 - 0 - X -", 4, 3, policies[p], A), O);
    }
    /* 3 of 5, range 7, gaps everywhere. */
    assert_int_equal(run("X X - 0 - 0 X", 5, 3, SW_TMD_MISSING, O), A);
    assert_int_equal(run("X 0 - 0 - 0 X", 5, 3, SW_TMD_MISSING, A), O);
    /* Fewer real than N, missing: evaluate the real ones only. */
    assert_int_equal(run("X - X - - - 0", 5, 2, SW_TMD_MISSING, O), A);
    /* Filling is as small as possible: 2 real + 3 filled breaching. */
    assert_int_equal(run("0 - 0 - - - -", 5, 3, SW_TMD_BREACHING, O), A);
    assert_int_equal(run("0 - 0 - - - -", 5, 4, SW_TMD_BREACHING, A), O);
    /* N = 1, M = 1: only the newest real point matters. */
    assert_int_equal(run("X - 0", 1, 1, SW_TMD_MISSING, A), O);
    assert_int_equal(run("0 - X", 1, 1, SW_TMD_MISSING, O), A);
    assert_int_equal(run("0 X -", 1, 1, SW_TMD_MISSING, O), A);
}

/* ---- comparison operators, equality edges ------------------------------ */

static enum sw_state
run_value(enum sw_cmp cmp, double v, double thr, char **reason)
{
    struct sw_datapoint p = {T_END - PERIOD, v, -1};
    struct sw_eval_result res;
    struct sw_rule *r = mkrule(1, 1, SW_TMD_MISSING, 0);
    enum sw_state st;

    r->cmp = cmp;
    r->threshold = thr;
    assert_int_equal(sw_eval(r, &p, 1, T_END, SW_STATE_OK, T_QUERY, &res), 0);
    st = res.state;
    *reason = res.reason;
    res.reason = NULL;
    sw_eval_result_release(&res);
    sw_rule_free(r);
    return st;
}

static void
test_operators(void **state)
{
    static const struct {
        enum sw_cmp cmp;
        double v;
        enum sw_state want;
        const char *phrase;
    } cases[] = {
        {SW_CMP_GT, 10.5, A, "was greater than the threshold (10.0)"},
        {SW_CMP_GT, 10.0, O, "was not greater than the threshold (10.0)"},
        {SW_CMP_GT, 9.5, O, "was not greater than the threshold (10.0)"},
        {SW_CMP_GE, 10.0, A,
         "was greater than or equal to the threshold (10.0)"},
        {SW_CMP_GE, 9.999, O,
         "was not greater than or equal to the threshold (10.0)"},
        {SW_CMP_LT, 9.5, A, "was less than the threshold (10.0)"},
        {SW_CMP_LT, 10.0, O, "was not less than the threshold (10.0)"},
        {SW_CMP_LE, 10.0, A, "was less than or equal to the threshold (10.0)"},
        {SW_CMP_LE, 10.001, O,
         "was not less than or equal to the threshold (10.0)"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *reason = NULL;
        enum sw_state st = run_value(cases[i].cmp, cases[i].v, 10.0, &reason);
        if (st != cases[i].want || !strstr(reason, cases[i].phrase))
            fail_msg("%s %g: %s '%s'", sw_cmp_name(cases[i].cmp), cases[i].v,
                     sw_state_name(st), reason);
        free(reason);
    }
}

/* ---- reasons (section 8) ----------------------------------------------- */

/* Evaluate values given newest-last over the last NV periods before T_END
 * (NAN-free; a value < -1e300 marks a missing period). */
#define GAP (-1e308)
static void
eval_values(struct sw_rule *r, const double *v, size_t nv, enum sw_state prev,
            struct sw_eval_result *res)
{
    struct sw_datapoint pts[32];
    size_t np = 0;

    for (size_t i = 0; i < nv; i++) {
        if (v[i] == GAP)
            continue;
        pts[np].ts = T_END - (time_t)(nv - i) * PERIOD;
        pts[np].value = v[i];
        pts[np].sample_count = -1;
        np++;
    }
    assert_int_equal(sw_eval(r, pts, np, T_END, prev, T_QUERY, res), 0);
}

static void
expect_reason(struct sw_rule *r, const double *v, size_t nv, enum sw_state prev,
              enum sw_state want, const char *reason)
{
    struct sw_eval_result res;

    eval_values(r, v, nv, prev, &res);
    assert_int_equal(res.state, want);
    assert_string_equal(res.reason, reason);
    sw_eval_result_release(&res);
    sw_rule_free(r);
}

#define NV(a) (sizeof(a) / sizeof(a[0]))

static void
test_reason_single(void **state)
{
    static const double seed[] = {3.0, 12.0};
    static const double back[] = {12.0, 0.0666851903306472};

    (void)state;
    /* The seed alarm's breach; the transition text is CloudWatch's fixed
     * "OK -> ALARM" even when the alarm was INSUFFICIENT_DATA. */
    expect_reason(mkrule(1, 1, SW_TMD_MISSING, 0), seed, NV(seed),
                  SW_STATE_INSUFFICIENT_DATA, SW_STATE_ALARM,
                  "Threshold Crossed: 1 out of the last 1 datapoints [12.0 "
                  "(25/11/26 10:04:00)] was greater than the threshold (10.0) "
                  "(minimum 1 datapoint for OK -> ALARM transition).");
    expect_reason(mkrule(1, 1, SW_TMD_MISSING, 0), back, NV(back),
                  SW_STATE_ALARM, SW_STATE_OK,
                  "Threshold Crossed: 1 out of the last 1 datapoints "
                  "[0.0666851903306472 (25/11/26 10:04:00)] was not greater "
                  "than the threshold (10.0) (minimum 1 datapoint for ALARM "
                  "-> OK transition).");
}

/* Without DatapointsToAlarm, CloudWatch's shorter wording (section 8 of
 * docs/cloudwatch-alarms.md: "Threshold Crossed: 1 datapoint [21.5 (26/10/23
 * 16:42:00)] was greater than the threshold (2.0)." and the mixed form
 * "... and 1 missing datapoint was treated as [Breaching]."). */
static void
test_reason_short_form(void **state)
{
    static const double seed[] = {3.0, 12.0};
    static const double three[] = {30.0, 20.0, 12.0};
    static const double gap[] = {GAP, 0.5};
    struct sw_rule *r;

    (void)state;
    r = mkrule(1, 1, SW_TMD_MISSING, 0);
    r->datapoints_to_alarm_set = 0;
    expect_reason(r, seed, NV(seed), SW_STATE_OK, SW_STATE_ALARM,
                  "Threshold Crossed: 1 datapoint [12.0 (25/11/26 10:04:00)] "
                  "was greater than the threshold (10.0).");
    r = mkrule(3, 3, SW_TMD_MISSING, 0);
    r->datapoints_to_alarm_set = 0;
    expect_reason(r, three, NV(three), SW_STATE_OK, SW_STATE_ALARM,
                  "Threshold Crossed: 3 datapoints [12.0 (25/11/26 10:04:00), "
                  "20.0 (25/11/26 10:03:00), 30.0 (25/11/26 10:02:00)] were "
                  "greater than the threshold (10.0).");
    r = mkrule(2, 2, SW_TMD_BREACHING, 2);
    r->datapoints_to_alarm_set = 0;
    r->cmp = SW_CMP_LT;
    r->threshold = 1.0;
    expect_reason(r, gap, NV(gap), SW_STATE_OK, SW_STATE_ALARM,
                  "Threshold Crossed: 1 datapoint [0.5 (25/11/26 10:04:00)] "
                  "was less than the threshold (1.0) and 1 missing datapoint "
                  "was treated as [Breaching].");
}

static void
test_reason_plural(void **state)
{
    static const double three[] = {0.0, 11.0, 12.5, 3.0, 99.7027322404378};
    static const double ok[] = {0.0, 11.0, 2.0, 3.0, 4.0};
    static const double ok22[] = {10.0, 10.0};

    (void)state;
    /* 3 of 5: the breaching points, newest first. */
    expect_reason(mkrule(5, 3, SW_TMD_MISSING, 0), three, NV(three),
                  SW_STATE_OK, SW_STATE_ALARM,
                  "Threshold Crossed: 3 out of the last 5 datapoints "
                  "[99.7027322404378 (25/11/26 10:04:00), 12.5 (25/11/26 "
                  "10:02:00), 11.0 (25/11/26 10:01:00)] were greater than the "
                  "threshold (10.0) (minimum 3 datapoints for OK -> ALARM "
                  "transition).");
    /* Recovery: the non-breaching points; N - M + 1 = 3 of them force OK. */
    expect_reason(mkrule(5, 3, SW_TMD_MISSING, 0), ok, NV(ok), SW_STATE_ALARM,
                  SW_STATE_OK,
                  "Threshold Crossed: 4 out of the last 5 datapoints [4.0 "
                  "(25/11/26 10:04:00), 3.0 (25/11/26 10:03:00), 2.0 (25/11/26 "
                  "10:02:00), 0.0 (25/11/26 10:00:00)] were not greater than "
                  "the threshold (10.0) (minimum 3 datapoints for ALARM -> OK "
                  "transition).");
    /* As recorded for a 2-of-2 alarm on GreaterThanOrEqualToThreshold 30:
     * "(minimum 1 datapoint for ALARM -> OK transition)". */
    {
        struct sw_rule *r = mkrule(2, 2, SW_TMD_MISSING, 0);
        r->cmp = SW_CMP_GE;
        r->threshold = 30.0;
        expect_reason(r, ok22, NV(ok22), SW_STATE_ALARM, SW_STATE_OK,
                      "Threshold Crossed: 2 out of the last 2 datapoints "
                      "[10.0 (25/11/26 10:04:00), 10.0 (25/11/26 10:03:00)] "
                      "were not greater than or equal to the threshold (30.0) "
                      "(minimum 1 datapoint for ALARM -> OK transition).");
    }
}

static void
test_reason_filled(void **state)
{
    static const double none2[] = {GAP, GAP, GAP, GAP};
    static const double none1[] = {GAP, GAP, GAP};
    static const double mixed[] = {GAP, GAP, 0.0, GAP};
    static const double zero[] = {GAP, GAP, GAP, 0.0, GAP};
    static const double x1[] = {GAP, GAP, GAP, 12.0, GAP};
    static const double mix2[] = {GAP, 11.0, 0.0, GAP, GAP, GAP};

    (void)state;
    expect_reason(mkrule(2, 2, SW_TMD_BREACHING, 0), none2, NV(none2),
                  SW_STATE_OK, SW_STATE_ALARM,
                  "Threshold Crossed: no datapoints were received for 2 "
                  "periods and 2 missing datapoints were treated as "
                  "[Breaching].");
    expect_reason(mkrule(1, 1, SW_TMD_NOT_BREACHING, 0), none1, NV(none1),
                  SW_STATE_ALARM, SW_STATE_OK,
                  "Threshold Crossed: no datapoints were received for 1 "
                  "period and 1 missing datapoint was treated as "
                  "[NonBreaching].");
    /* Real and filled points together (LessThanThreshold 1.0). */
    {
        struct sw_rule *r = mkrule(2, 2, SW_TMD_BREACHING, 0);
        r->cmp = SW_CMP_LT;
        r->threshold = 1.0;
        expect_reason(r, mixed, NV(mixed), SW_STATE_OK, SW_STATE_ALARM,
                      "Threshold Crossed: 1 out of the last 2 datapoints "
                      "[0.0 (25/11/26 10:03:00)] was less than the threshold "
                      "(1.0) and 1 missing datapoint was treated as "
                      "[Breaching] (minimum 2 datapoints for OK -> ALARM "
                      "transition).");
    }
    /* The filled points alone decide: the recorded "1 datapoint was
     * received for 3 periods and 2 missing datapoints were treated as
     * [Breaching]" (2 of 3, the one real point not breaching). */
    expect_reason(mkrule(3, 2, SW_TMD_BREACHING, 0), zero, NV(zero),
                  SW_STATE_OK, SW_STATE_ALARM,
                  "Threshold Crossed: 1 datapoint was received for 3 periods "
                  "and 2 missing datapoints were treated as [Breaching].");
    expect_reason(mkrule(3, 3, SW_TMD_NOT_BREACHING, 0), x1, NV(x1),
                  SW_STATE_ALARM, SW_STATE_OK,
                  "Threshold Crossed: 1 datapoint was received for 3 periods "
                  "and 2 missing datapoints were treated as [NonBreaching].");
    /* Recovery helped by filled points: N - M + 1 = 4 for 2 of 5. */
    expect_reason(mkrule(5, 2, SW_TMD_NOT_BREACHING, 0), mix2, NV(mix2),
                  SW_STATE_ALARM, SW_STATE_OK,
                  "Threshold Crossed: 1 out of the last 5 datapoints [0.0 "
                  "(25/11/26 10:01:00)] was not greater than the threshold "
                  "(10.0) and 3 missing datapoints were treated as "
                  "[NonBreaching] (minimum 4 datapoints for ALARM -> OK "
                  "transition).");
}

static void
test_reason_insufficient_and_kept(void **state)
{
    static const double none5[] = {GAP, GAP, GAP, GAP, GAP};
    static const double none3[] = {GAP, GAP, GAP};
    static const double x_last[] = {GAP, GAP, GAP, GAP, 12.0};
    static const double x_mid[] = {GAP, GAP, 12.0, GAP, GAP};

    (void)state;
    expect_reason(mkrule(3, 3, SW_TMD_MISSING, 0), none5, NV(none5),
                  SW_STATE_OK, SW_STATE_INSUFFICIENT_DATA,
                  "Insufficient Data: 3 datapoints were unknown.");
    expect_reason(mkrule(1, 1, SW_TMD_MISSING, 0), none3, NV(none3),
                  SW_STATE_ALARM, SW_STATE_INSUFFICIENT_DATA,
                  "Insufficient Data: 1 datapoint was unknown.");
    expect_reason(mkrule(3, 3, SW_TMD_IGNORE, 0), none5, NV(none5),
                  SW_STATE_ALARM, SW_STATE_ALARM,
                  "Missing data ignored: no datapoints were received for 3 "
                  "periods; the current state was kept.");
    expect_reason(mkrule(3, 3, SW_TMD_IGNORE, 0), x_mid, NV(x_mid), SW_STATE_OK,
                  SW_STATE_OK,
                  "Missing data ignored: 1 datapoint was received for 3 "
                  "periods; the current state was kept.");
    /* Premature alarm under `missing`. */
    expect_reason(mkrule(3, 3, SW_TMD_MISSING, 0), x_mid, NV(x_mid),
                  SW_STATE_OK, SW_STATE_ALARM,
                  "Threshold Crossed: 1 out of the last 1 datapoints [12.0 "
                  "(25/11/26 10:02:00)] was greater than the threshold (10.0) "
                  "(minimum 3 datapoints for OK -> ALARM transition).");
    /* `- - - - X`, M = 3: OK, with our own wording. */
    expect_reason(mkrule(3, 3, SW_TMD_MISSING, 0), x_last, NV(x_last),
                  SW_STATE_INSUFFICIENT_DATA, SW_STATE_OK,
                  "Threshold Crossed: 1 out of the last 1 datapoints [12.0 "
                  "(25/11/26 10:04:00)] was greater than the threshold (10.0), "
                  "fewer than the minimum 3 datapoints for OK -> ALARM "
                  "transition.");
}

static void
test_reason_numbers(void **state)
{
    static const double big[] = {12345678.0};
    struct sw_rule *r = mkrule(1, 1, SW_TMD_MISSING, 0);

    (void)state;
    r->threshold = 1e7;
    expect_reason(r, big, NV(big), SW_STATE_OK, SW_STATE_ALARM,
                  "Threshold Crossed: 1 out of the last 1 datapoints "
                  "[1.2345678E7 (25/11/26 10:04:00)] was greater than the "
                  "threshold (1.0E7) (minimum 1 datapoint for OK -> ALARM "
                  "transition).");
}

/* Every reason form once more, singular and plural, from one helper that
 * takes the datapoints as a pattern string of values. */
static void
test_reason_forms(void **state)
{
    static const double two_of_three[] = {GAP, 1.0, 20.0, 30.5};
    static const double one_ok[] = {GAP, 20.0, 20.0, 2.5};
    static const double filled_ok[] = {GAP, GAP, 1.0, 2.0, GAP};
    static const double none1[] = {GAP, GAP, GAP};
    static const double fill_mix[] = {GAP, GAP, 20.0, GAP, GAP};

    (void)state;
    /* Plural breaching list, plural minimum. */
    expect_reason(mkrule(3, 2, SW_TMD_MISSING, 0), two_of_three,
                  NV(two_of_three), SW_STATE_OK, SW_STATE_ALARM,
                  "Threshold Crossed: 2 out of the last 3 datapoints [30.5 "
                  "(25/11/26 10:04:00), 20.0 (25/11/26 10:03:00)] were greater "
                  "than the threshold (10.0) (minimum 2 datapoints for OK -> "
                  "ALARM transition).");
    /* One non-breaching point decides a 3-of-3 alarm: singular everywhere,
     * N - M + 1 = 1. */
    expect_reason(mkrule(3, 3, SW_TMD_MISSING, 0), one_ok, NV(one_ok),
                  SW_STATE_ALARM, SW_STATE_OK,
                  "Threshold Crossed: 1 out of the last 3 datapoints [2.5 "
                  "(25/11/26 10:04:00)] was not greater than the threshold "
                  "(10.0) (minimum 1 datapoint for ALARM -> OK transition).");
    /* Real points that do not support the new state, one filled point. */
    expect_reason(mkrule(3, 1, SW_TMD_BREACHING, 0), filled_ok, NV(filled_ok),
                  SW_STATE_OK, SW_STATE_ALARM,
                  "Threshold Crossed: 2 datapoints were received for 3 periods "
                  "and 1 missing datapoint was treated as [Breaching].");
    expect_reason(mkrule(1, 1, SW_TMD_BREACHING, 0), none1, NV(none1),
                  SW_STATE_OK, SW_STATE_ALARM,
                  "Threshold Crossed: no datapoints were received for 1 "
                  "period and 1 missing datapoint was treated as "
                  "[Breaching].");
    /* Threshold form with plural fills. */
    expect_reason(mkrule(3, 3, SW_TMD_BREACHING, 0), fill_mix, NV(fill_mix),
                  SW_STATE_OK, SW_STATE_ALARM,
                  "Threshold Crossed: 1 out of the last 3 datapoints [20.0 "
                  "(25/11/26 10:02:00)] was greater than the threshold (10.0) "
                  "and 2 missing datapoints were treated as [Breaching] "
                  "(minimum 3 datapoints for OK -> ALARM transition).");
    /* INSUFFICIENT_DATA: N datapoints, whatever the range. */
    expect_reason(mkrule(5, 2, SW_TMD_MISSING, 9), none1, NV(none1),
                  SW_STATE_ALARM, SW_STATE_INSUFFICIENT_DATA,
                  "Insufficient Data: 5 datapoints were unknown.");
}

/* Java's Double.toString in values and thresholds, dates as dd/MM/yy in
 * UTC even under a far-away TZ. */
static void
test_reason_java_numbers_and_dates(void **state)
{
    static const struct {
        double v, thr;
        const char *vs, *ts;
    } cases[] = {
        {0.001, 1e-4, "0.001", "1.0E-4"},
        {2.0e-4, 1e-4, "2.0E-4", "1.0E-4"},
        {9999999.0, 1e6, "9999999.0", "1000000.0"},
        {1e7, 9999999.5, "1.0E7", "9999999.5"},
        {0.30000000000000004, 0.3, "0.30000000000000004", "0.3"},
        {123456.789, -2.5, "123456.789", "-2.5"},
        {1.7976931348623157e308, 0.0, "1.7976931348623157E308", "0.0"},
    };
    struct sw_datapoint p;
    struct sw_eval_result res;
    char want[256];
    const char *tz = getenv("TZ");
    char *saved = tz ? strdup(tz) : NULL;

    (void)state;
    for (size_t i = 0; i < NV(cases); i++) {
        struct sw_rule *r = mkrule(1, 1, SW_TMD_MISSING, 0);
        r->threshold = cases[i].thr;
        p.ts = T_END - PERIOD;
        p.value = cases[i].v;
        p.sample_count = -1;
        assert_int_equal(sw_eval(r, &p, 1, T_END, SW_STATE_OK, T_QUERY, &res),
                         0);
        assert_int_equal(res.state, SW_STATE_ALARM);
        snprintf(want, sizeof(want),
                 "Threshold Crossed: 1 out of the last 1 datapoints [%s "
                 "(25/11/26 10:04:00)] was greater than the threshold (%s) "
                 "(minimum 1 datapoint for OK -> ALARM transition).",
                 cases[i].vs, cases[i].ts);
        assert_string_equal(res.reason, want);
        sw_eval_result_release(&res);
        sw_rule_free(r);
    }

    /* 2027-01-05T03:07:00Z, evaluated in Tokyo (UTC+9, already the 5th
     * at noon) and in Honolulu (UTC-10, still the 4th). */
    for (int k = 0; k < 2; k++) {
        struct sw_rule *r = mkrule(1, 1, SW_TMD_MISSING, 0);
        time_t end = 1799118480; /* 2027-01-05T03:08:00Z */

        setenv("TZ", k ? "Pacific/Honolulu" : "Asia/Tokyo", 1);
        tzset();
        p.ts = end - PERIOD;
        p.value = 12.0;
        p.sample_count = -1;
        assert_int_equal(sw_eval(r, &p, 1, end, SW_STATE_OK, end + 5, &res), 0);
        assert_non_null(strstr(res.reason, "[12.0 (05/01/27 03:07:00)]"));
        assert_non_null(strstr(res.reason_data, "\"queryDate\":\"2027-01-05T"
                                                "03:08:05.000+0000\""));
        sw_eval_result_release(&res);
        sw_rule_free(r);
    }
    if (saved)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    free(saved);
}

/* ---- length limits: StateReason <= 1023, StateReasonData <= 4000 ---- */

/* N breaching points with long values, newest first in the list. */
static struct sw_rule *
long_series(int n, struct sw_datapoint *pts)
{
    struct sw_rule *r = mkrule(n, n, SW_TMD_MISSING, 0);

    for (int i = 0; i < n; i++) {
        pts[i].ts = T_END - (time_t)(n - i) * PERIOD;
        pts[i].value = 12345.678901 + i; /* "12345.678901 (...)" */
        pts[i].sample_count = 1000.0 + i;
    }
    return r;
}

static void
test_reason_truncated(void **state)
{
    static struct sw_datapoint pts[1000];
    struct sw_eval_result res;
    struct sw_rule *r;
    const char *tail = " were greater than the threshold (10.0) (minimum 100 "
                       "datapoints for OK -> ALARM transition).";
    const char *head = "Threshold Crossed: 100 out of the last 100 datapoints "
                       "[12444.678901 (25/11/26 10:04:00), 12443.678901 "
                       "(25/11/26 10:03:00), ";
    size_t len, item = strlen("12444.678901 (25/11/26 10:04:00), ");

    (void)state;
    r = long_series(100, pts);
    assert_int_equal(sw_eval(r, pts, 100, T_END, SW_STATE_OK, T_QUERY, &res),
                     0);
    assert_int_equal(res.state, SW_STATE_ALARM);
    len = strlen(res.reason);
    assert_true(len <= SW_EVAL_REASON_MAX);
    /* Cut as late as possible: one more item would not have fit. */
    assert_true(len + item > SW_EVAL_REASON_MAX);
    assert_memory_equal(res.reason, head, strlen(head));
    assert_string_equal(res.reason + len - strlen(tail) - strlen(", ...]"),
                        ", ...] were greater than the threshold (10.0) "
                        "(minimum 100 datapoints for OK -> ALARM transition).");
    /* Every evaluated point is still reported, and the reason data stays
     * valid JSON within its own limit. */
    assert_int_equal(res.nevaluated, 100);
    sw_eval_result_release(&res);

    /* A list that fits exactly is never cut: 20 points. */
    sw_rule_free(r);
    r = long_series(20, pts);
    assert_int_equal(sw_eval(r, pts, 20, T_END, SW_STATE_OK, T_QUERY, &res), 0);
    assert_null(strstr(res.reason, "..."));
    assert_non_null(strstr(res.reason, "(25/11/26 09:45:00)] were greater"));
    sw_eval_result_release(&res);
    sw_rule_free(r);
}

/* Parse the reason data, check its limit and return the array sizes. */
static void
check_reason_data(const char *text, size_t *nrecent, size_t *nevaluated,
                  json_t **root_out)
{
    json_error_t err;
    json_t *root;

    assert_true(strlen(text) <= SW_EVAL_REASON_DATA_MAX);
    root = json_loads(text, 0, &err);
    if (!root)
        fail_msg("reason data is not JSON (%s): %s", err.text, text);
    *nrecent = json_array_size(json_object_get(root, "recentDatapoints"));
    *nevaluated = json_array_size(json_object_get(root, "evaluatedDatapoints"));
    *root_out = root;
}

static void
test_reason_data_truncated(void **state)
{
    static struct sw_datapoint pts[1000];
    struct sw_eval_result res;
    struct sw_rule *r;
    size_t nrecent, neval;
    json_t *root, *ev, *rec;

    (void)state;
    /* 100 points: every value fits in recentDatapoints, evaluatedDatapoints
     * keeps its newest entries only. */
    r = long_series(100, pts);
    assert_int_equal(sw_eval(r, pts, 100, T_END, SW_STATE_OK, T_QUERY, &res),
                     0);
    check_reason_data(res.reason_data, &nrecent, &neval, &root);
    assert_int_equal(nrecent, 100);
    assert_true(neval > 10 && neval < 100);
    ev = json_object_get(root, "evaluatedDatapoints");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(ev, 0), "timestamp")),
        "2026-11-25T10:04:00.000+0000");
    /* The next entry would not have fit. */
    assert_true(strlen(res.reason_data) + 80 > SW_EVAL_REASON_DATA_MAX);
    json_decref(root);
    sw_eval_result_release(&res);
    sw_rule_free(r);

    /* 1000 points: even recentDatapoints is cut, keeping the newest values
     * (oldest first, so the last one is the newest). */
    r = long_series(1000, pts);
    assert_int_equal(sw_eval(r, pts, 1000, T_END, SW_STATE_OK, T_QUERY, &res),
                     0);
    check_reason_data(res.reason_data, &nrecent, &neval, &root);
    assert_true(nrecent > 100 && nrecent < 1000);
    assert_int_equal(neval, 0);
    rec = json_object_get(root, "recentDatapoints");
    assert_true(json_real_value(json_array_get(rec, nrecent - 1)) ==
                pts[999].value);
    assert_true(json_real_value(json_array_get(rec, 0)) ==
                pts[1000 - nrecent].value);
    json_decref(root);
    assert_true(strlen(res.reason) <= SW_EVAL_REASON_MAX);
    sw_eval_result_release(&res);
    sw_rule_free(r);
}

/* ---- percentiles with low sample counts (section 7) ------------------ */

static void
test_low_sample_threshold(void **state)
{
    static const struct {
        const char *stat;
        unsigned long long min;
    } mins[] = {
        {"p99", 1000},      {"p90", 100},    {"p95", 200},   {"p99.9", 10000},
        {"p99.99", 100000}, {"p99.5", 2000}, {"p75", 40},    {"p50", 20},
        {"p50.0", 20},      {"p49.99", 21},  {"p25", 40},    {"p10", 100},
        {"p1", 1000},       {"p0.1", 10000}, {"p97", 334},   {"p0", 0},
        {"p0.0", 0},        {"p100", 0},     {"p100.00", 0}, {"Sum", 0},
        {"Average", 0},     {"p", 0},        {"p101", 0},    {"p-5", 0},
    };
    static const struct {
        const char *stat;
        double count;
        int low;
    } lows[] = {
        {"p99", 999, 1},    {"p99", 1000, 0},  {"p99", 0, 1},
        {"p99", -1, 0},     {"p90", 99, 1},    {"p90", 100, 0},
        {"p97", 333, 1},    {"p97", 334, 0},   {"p97", 333.5, 0},
        {"p10", 99, 1},     {"p10", 100, 0},   {"p50", 19.5, 1},
        {"p0", 0, 0},       {"p100", 1, 0},    {"Sum", 0, 0},
        {"p99.9", 9999, 1}, {"p99.9", 1e9, 0},
    };

    (void)state;
    for (size_t i = 0; i < NV(mins); i++)
        if (sw_eval_min_samples(mins[i].stat) != mins[i].min)
            fail_msg("%s: min %llu, want %llu", mins[i].stat,
                     sw_eval_min_samples(mins[i].stat), mins[i].min);
    assert_int_equal(sw_eval_min_samples(NULL), 0);
    for (size_t i = 0; i < NV(lows); i++)
        if (sw_eval_low_sample(lows[i].stat, lows[i].count) != lows[i].low)
            fail_msg("%s with %g samples: want low=%d", lows[i].stat,
                     lows[i].count, lows[i].low);
    assert_int_equal(sw_eval_low_sample("p99", NAN), 0);
}

/* p99, 2 of 3, ignore: COUNTS are the sample counts of the values, newest
 * last, one per period before T_END. */
static void
eval_p99(int ignore, const char *stat, const double *v, const double *counts,
         size_t nv, enum sw_state prev, struct sw_eval_result *res)
{
    struct sw_datapoint pts[16];
    struct sw_rule *r = mkrule(3, 2, SW_TMD_MISSING, 0);
    size_t np = 0;

    free(r->stat);
    r->stat = sw_strdup(stat);
    r->low_sample_ignore = ignore;
    for (size_t i = 0; i < nv; i++) {
        if (v[i] == GAP)
            continue;
        pts[np].ts = T_END - (time_t)(nv - i) * PERIOD;
        pts[np].value = v[i];
        pts[np].sample_count = counts[i];
        np++;
    }
    assert_int_equal(sw_eval(r, pts, np, T_END, prev, T_QUERY, res), 0);
    sw_rule_free(r);
}

static void
test_low_sample_eval(void **state)
{
    static const double v[] = {5.0, 5.0, 20.0, 25.0, 250.0};
    static const double enough[] = {1000, 1000, 1000, 5000, 1000};
    static const double thin_new[] = {1000, 1000, 1000, 5000, 12};
    static const double thin_old[] = {3, 3, 1000, 5000, 1000};
    static const double thin_two[] = {1000, 1000, 999, 5000, 12};
    static const double unknown[] = {-1, -1, -1, -1, -1};
    static const double gaps[] = {GAP, GAP, GAP, 25.0, GAP};
    static const double gap_counts[] = {0, 0, 0, 10, 0};
    struct sw_eval_result res;

    (void)state;
    /* Enough samples everywhere: evaluated as usual. */
    eval_p99(1, "p99", v, enough, NV(v), SW_STATE_OK, &res);
    assert_int_equal(res.state, SW_STATE_ALARM);
    assert_int_equal(res.retained, 0);
    assert_int_equal(res.low_samples, 0);
    sw_eval_result_release(&res);

    /* The newest point is thin: the state is kept, whatever the others say,
     * and the reason names the thin point only. */
    eval_p99(1, "p99", v, thin_new, NV(v), SW_STATE_OK, &res);
    assert_int_equal(res.state, SW_STATE_OK);
    assert_int_equal(res.changed, 0);
    assert_int_equal(res.retained, 1);
    assert_int_equal(res.low_samples, 1);
    assert_string_equal(res.reason,
                        "Low sample count: 1 out of the last 3 datapoints "
                        "[250.0 (25/11/26 10:04:00)] had fewer than the 1000 "
                        "samples p99 needs to be statistically significant; "
                        "the current state was kept.");
    /* The reason data still shows what was evaluated, with the counts. */
    assert_non_null(strstr(res.reason_data,
                           "{\"timestamp\":\"2026-11-25T10:04:00.000+0000\","
                           "\"sampleCount\":12.0,\"value\":250.0}"));
    assert_int_equal(res.nevaluated, 3);
    sw_eval_result_release(&res);

    /* Plural; ALARM kept as ALARM; a new alarm stays INSUFFICIENT_DATA. */
    eval_p99(1, "p99", v, thin_two, NV(v), SW_STATE_ALARM, &res);
    assert_int_equal(res.state, SW_STATE_ALARM);
    assert_int_equal(res.low_samples, 2);
    assert_string_equal(res.reason,
                        "Low sample count: 2 out of the last 3 datapoints "
                        "[250.0 (25/11/26 10:04:00), 20.0 (25/11/26 "
                        "10:02:00)] had fewer than the 1000 samples p99 needs "
                        "to be statistically significant; the current state "
                        "was kept.");
    sw_eval_result_release(&res);
    eval_p99(1, "p99", v, thin_new, NV(v), SW_STATE_INSUFFICIENT_DATA, &res);
    assert_int_equal(res.state, SW_STATE_INSUFFICIENT_DATA);
    assert_int_equal(res.changed, 0);
    sw_eval_result_release(&res);

    /* Thin points older than the N evaluated ones do not matter. */
    eval_p99(1, "p99", v, thin_old, NV(v), SW_STATE_OK, &res);
    assert_int_equal(res.state, SW_STATE_ALARM);
    assert_int_equal(res.retained, 0);
    sw_eval_result_release(&res);

    /* Unknown counts are enough; `evaluate` (the default) and statistics
     * that are no percentile, p0 and p100 ignore the counts. */
    eval_p99(1, "p99", v, unknown, NV(v), SW_STATE_OK, &res);
    assert_int_equal(res.state, SW_STATE_ALARM);
    sw_eval_result_release(&res);
    eval_p99(0, "p99", v, thin_new, NV(v), SW_STATE_OK, &res);
    assert_int_equal(res.state, SW_STATE_ALARM);
    assert_int_equal(res.low_samples, 0);
    sw_eval_result_release(&res);
    eval_p99(1, "Maximum", v, thin_new, NV(v), SW_STATE_OK, &res);
    assert_int_equal(res.state, SW_STATE_ALARM);
    sw_eval_result_release(&res);
    eval_p99(1, "p100", v, thin_new, NV(v), SW_STATE_OK, &res);
    assert_int_equal(res.state, SW_STATE_ALARM);
    sw_eval_result_release(&res);
    eval_p99(1, "p10", v, thin_new, NV(v), SW_STATE_OK, &res);
    assert_int_equal(res.state, SW_STATE_OK);
    assert_non_null(strstr(res.reason, "fewer than the 100 samples p10 "));
    sw_eval_result_release(&res);

    /* The premature-alarm path uses the real point too: it is thin, so
     * nothing changes; with no real point at all the usual
     * INSUFFICIENT_DATA applies. */
    eval_p99(1, "p99", gaps, gap_counts, NV(gaps), SW_STATE_OK, &res);
    assert_int_equal(res.state, SW_STATE_OK);
    assert_int_equal(res.retained, 1);
    sw_eval_result_release(&res);
    eval_p99(1, "p99", gaps, gap_counts, 0, SW_STATE_OK, &res);
    assert_int_equal(res.state, SW_STATE_INSUFFICIENT_DATA);
    assert_int_equal(res.retained, 0);
    sw_eval_result_release(&res);
}

/* ---- evaluation cadence (section 3) ------------------------------------ */

static void
test_cadence(void **state)
{
    static const struct {
        int period, n, cadence;
    } cases[] = {
        {60, 1, 60},      {300, 5, 60},     {300, 288, 60}, /* exactly a day */
        {60, 1441, 3600}, {3600, 25, 3600}, {86400, 7, 3600}, {10, 1, 10},
        {20, 3, 10},      {30, 2880, 10},   {0, 1, 60},
    };
    struct sw_rule *r = mkrule(1, 1, SW_TMD_MISSING, 0);
    time_t t0 = T_END; /* 10:05:00, on every grid */

    (void)state;
    for (size_t i = 0; i < NV(cases); i++) {
        r->period_s = cases[i].period;
        r->evaluation_periods = cases[i].n;
        if (sw_eval_cadence_s(r) != cases[i].cadence)
            fail_msg("period %d N %d: cadence %d, want %d", cases[i].period,
                     cases[i].n, sw_eval_cadence_s(r), cases[i].cadence);
    }
    assert_int_equal(sw_eval_cadence_s(NULL), 60);

    /* Every minute. */
    r->period_s = 300;
    r->evaluation_periods = 3;
    assert_int_equal(sw_eval_due(r, 0, t0), 1); /* never evaluated */
    assert_int_equal(sw_eval_due(r, t0, t0), 0);
    assert_int_equal(sw_eval_due(r, t0, t0 + 59), 0);
    assert_int_equal(sw_eval_due(r, t0, t0 + 60), 1);
    assert_int_equal(sw_eval_due(r, t0, t0 + 61), 1);  /* woke up late */
    assert_int_equal(sw_eval_due(r, t0, t0 + 600), 1); /* missed slots */
    /* A late evaluation does not push the next slot back. */
    assert_int_equal(sw_eval_due(r, t0 + 7, t0 + 59), 0);
    assert_int_equal(sw_eval_due(r, t0 + 7, t0 + 60), 1);
    /* The clock stepped back before the last slot: evaluate. */
    assert_int_equal(sw_eval_due(r, t0, t0 - 1), 1);
    assert_int_equal(sw_eval_due(r, t0 + 30, t0 + 10), 0);

    /* Every 10 s for high-resolution periods. */
    r->period_s = 10;
    r->evaluation_periods = 6;
    assert_int_equal(sw_eval_due(r, t0, t0 + 9), 0);
    assert_int_equal(sw_eval_due(r, t0, t0 + 10), 1);
    assert_int_equal(sw_eval_due(r, t0 + 3, t0 + 10), 1);
    assert_int_equal(sw_eval_due(r, t0 + 13, t0 + 19), 0);

    /* Once an hour, on the hour, past one day of evaluation periods. */
    r->period_s = 3600;
    r->evaluation_periods = 48;
    assert_int_equal(sw_eval_due(r, T_END - 300, T_END), 0); /* 10:00 */
    assert_int_equal(sw_eval_due(r, T_END - 300, T_END + 55 * 60 - 1), 0);
    assert_int_equal(sw_eval_due(r, T_END - 300, T_END + 55 * 60), 1);
    assert_int_equal(sw_eval_due(r, T_END + 60, T_END + 55 * 60), 1);
    sw_rule_free(r);
}

/* ---- StateReasonData ---------------------------------------------------- */

static void
test_reason_data(void **state)
{
    struct sw_datapoint pts[] = {
        {T_END - 2 * PERIOD, 21.5, 2.0},
        {T_END - 1 * PERIOD, 3.0, -1},
    };
    struct sw_eval_result res;
    struct sw_rule *r = mkrule(2, 1, SW_TMD_MISSING, 0);

    (void)state;
    r->unit = sw_strdup("Count");
    assert_int_equal(sw_eval(r, pts, 2, T_END, SW_STATE_OK, T_QUERY, &res), 0);
    assert_int_equal(res.state, SW_STATE_ALARM);
    assert_string_equal(
        res.reason_data,
        "{\"version\":\"1.0\",\"queryDate\":\"2026-11-25T10:05:41.000+0000\","
        "\"startDate\":\"2026-11-25T10:03:00.000+0000\",\"unit\":\"Count\","
        "\"statistic\":\"Sum\",\"period\":60,\"recentDatapoints\":[21.5,3.0],"
        "\"threshold\":10.0,\"evaluatedDatapoints\":["
        "{\"timestamp\":\"2026-11-25T10:04:00.000+0000\",\"value\":3.0},"
        "{\"timestamp\":\"2026-11-25T10:03:00.000+0000\",\"sampleCount\":2.0,"
        "\"value\":21.5}]}");
    /* evaluated: newest first. */
    assert_int_equal(res.nevaluated, 2);
    assert_int_equal(res.evaluated[0].ts, T_END - PERIOD);
    assert_true(res.evaluated[1].value == 21.5);
    sw_eval_result_release(&res);

    /* No data: every unknown period with a timestamp only, no startDate. */
    r->datapoints_to_alarm = 2;
    assert_int_equal(sw_eval(r, NULL, 0, T_END, SW_STATE_OK, T_QUERY, &res), 0);
    assert_int_equal(res.state, SW_STATE_INSUFFICIENT_DATA);
    assert_int_equal(res.nevaluated, 0);
    assert_null(res.evaluated);
    assert_string_equal(
        res.reason_data,
        "{\"version\":\"1.0\",\"queryDate\":\"2026-11-25T10:05:41.000+0000\","
        "\"unit\":\"Count\",\"statistic\":\"Sum\",\"period\":60,"
        "\"recentDatapoints\":[],\"threshold\":10.0,\"evaluatedDatapoints\":["
        "{\"timestamp\":\"2026-11-25T10:04:00.000+0000\"},"
        "{\"timestamp\":\"2026-11-25T10:03:00.000+0000\"}]}");
    sw_eval_result_release(&res);

    /* Filled periods appear as timestamps beside the real points; a unit
     * needing escapes stays valid JSON. */
    free(r->unit);
    r->unit = sw_strdup("a\"b\\");
    r->tmd = SW_TMD_BREACHING;
    pts[0].ts = T_END - 4 * PERIOD;
    assert_int_equal(sw_eval(r, pts, 1, T_END, SW_STATE_OK, T_QUERY, &res), 0);
    assert_int_equal(res.state, SW_STATE_ALARM);
    assert_int_equal(res.filled, 1);
    assert_string_equal(
        res.reason_data,
        "{\"version\":\"1.0\",\"queryDate\":\"2026-11-25T10:05:41.000+0000\","
        "\"startDate\":\"2026-11-25T10:01:00.000+0000\","
        "\"unit\":\"a\\\"b\\\\\",\"statistic\":\"Sum\",\"period\":60,"
        "\"recentDatapoints\":[21.5],\"threshold\":10.0,"
        "\"evaluatedDatapoints\":["
        "{\"timestamp\":\"2026-11-25T10:04:00.000+0000\"},"
        "{\"timestamp\":\"2026-11-25T10:01:00.000+0000\",\"sampleCount\":2.0,"
        "\"value\":21.5}]}");
    sw_eval_result_release(&res);
    sw_rule_free(r);
}

/* ---- input handling, windows, errors ----------------------------------- */

static void
test_input_handling(void **state)
{
    /* Unordered, one duplicate period (the later entry wins), one point
     * before the window and one at its (exclusive) end. */
    struct sw_datapoint pts[] = {
        {T_END - 1 * PERIOD, 50.0, -1}, {T_END - 10 * PERIOD, 50.0, -1},
        {T_END - 2 * PERIOD, 1.0, -1},  {T_END, 50.0, -1},
        {T_END - 1 * PERIOD, 2.0, -1},
    };
    struct sw_eval_result res;
    struct sw_rule *r = mkrule(2, 1, SW_TMD_MISSING, 0);

    (void)state;
    assert_int_equal(
        sw_eval(r, pts, NV(pts), T_END, SW_STATE_ALARM, T_QUERY, &res), 0);
    assert_int_equal(res.state, SW_STATE_OK);
    assert_int_equal(res.changed, 1);
    assert_int_equal(res.nevaluated, 2);
    assert_true(res.evaluated[0].value == 2.0);
    assert_true(res.evaluated[1].value == 1.0);
    sw_eval_result_release(&res);
    sw_eval_result_release(NULL);

    /* Misaligned timestamps fall into the period that holds them. */
    pts[0].ts = T_END - 30;
    pts[0].value = 99.0;
    assert_int_equal(sw_eval(r, pts, 1, T_END, SW_STATE_OK, T_QUERY, &res), 0);
    assert_int_equal(res.state, SW_STATE_ALARM);
    sw_eval_result_release(&res);
    sw_rule_free(r);
}

static void
test_invalid(void **state)
{
    struct sw_eval_result res;
    struct sw_rule *r = mkrule(3, 3, SW_TMD_MISSING, 0);

    (void)state;
    r->datapoints_to_alarm = 4;
    assert_int_equal(sw_eval(r, NULL, 0, T_END, O, T_QUERY, &res), SW_EINVAL);
    assert_null(res.reason);
    r->datapoints_to_alarm = 0;
    assert_int_equal(sw_eval(r, NULL, 0, T_END, O, T_QUERY, &res), SW_EINVAL);
    r->datapoints_to_alarm = 3;
    r->period_s = 0;
    assert_int_equal(sw_eval(r, NULL, 0, T_END, O, T_QUERY, &res), SW_EINVAL);
    r->period_s = 60;
    r->evaluation_range = SW_EVAL_MAX_RANGE + 1;
    assert_int_equal(sw_eval(r, NULL, 0, T_END, O, T_QUERY, &res), SW_EINVAL);
    /* A range below N is widened to N. */
    r->evaluation_range = 1;
    assert_int_equal(sw_eval(r, NULL, 0, T_END, O, T_QUERY, &res), 0);
    assert_string_equal(res.reason,
                        "Insufficient Data: 3 datapoints were unknown.");
    sw_eval_result_release(&res);
    assert_int_equal(sw_eval(NULL, NULL, 0, T_END, O, T_QUERY, &res),
                     SW_EINVAL);
    sw_rule_free(r);
}

static void
test_window(void **state)
{
    struct sw_rule *r = mkrule(3, 3, SW_TMD_MISSING, 0);
    time_t start, end;

    (void)state;
    /* Only complete periods: 10:05:30 -> [10:00, 10:05). */
    sw_eval_window(r, T_END + 30, &start, &end);
    assert_int_equal(end, T_END);
    assert_int_equal(start, T_END - 5 * 60);
    sw_eval_window(r, T_END, &start, &end);
    assert_int_equal(end, T_END);
    /* 5-minute periods align to 5-minute boundaries. */
    r->period_s = 300;
    sw_eval_window(r, T_END + 299, &start, &end);
    assert_int_equal(end, T_END);
    assert_int_equal(start, T_END - 5 * 300);
    /* Before the epoch the floor still rounds down. */
    r->period_s = 60;
    sw_eval_window(r, -30, &start, &end);
    assert_int_equal(end, -60);
    sw_rule_free(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table1),
        cmocka_unit_test(test_table2),
        cmocka_unit_test(test_premature),
        cmocka_unit_test(test_m_of_n_gaps),
        cmocka_unit_test(test_operators),
        cmocka_unit_test(test_reason_single),
        cmocka_unit_test(test_reason_plural),
        cmocka_unit_test(test_reason_filled),
        cmocka_unit_test(test_reason_insufficient_and_kept),
        cmocka_unit_test(test_reason_numbers),
        cmocka_unit_test(test_reason_forms),
        cmocka_unit_test(test_reason_java_numbers_and_dates),
        cmocka_unit_test(test_reason_truncated),
        cmocka_unit_test(test_reason_data_truncated),
        cmocka_unit_test(test_low_sample_threshold),
        cmocka_unit_test(test_low_sample_eval),
        cmocka_unit_test(test_cadence),
        cmocka_unit_test(test_reason_data),
        cmocka_unit_test(test_input_handling),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_reason_short_form),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
