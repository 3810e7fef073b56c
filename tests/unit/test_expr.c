/* tests/unit/test_expr.c - rules/expr: the metric-math parser (precedence,
 * numbers, every error with its column) and the evaluator (timestamp
 * alignment with and without FILL, the write-vs-read rule, ABS, division
 * by zero, overflow) and SHARDS (parsed, evaluated with and without a
 * value, written into the expression text for CloudWatch). */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/err.h"
#include "lib/metric.h"
#include "rules/expr.h"

#define P    60
#define T0   1764151200 /* 2025-11-26 10:00:00 UTC, a minute boundary */
#define T(k) ((time_t)T0 + (time_t)(k)*P)

static const char *const IDS[] = {"a", "b", "c", "w", "r", "m1"};
#define NIDS (sizeof(IDS) / sizeof(IDS[0]))
enum { A, B, C, W, R, M1 };

/* The inputs of one evaluation, indexed like IDS. */
struct inputs {
    const struct sw_datapoint *p[NIDS];
    size_t n[NIDS];
};

static struct sw_expr *
parse_ok(const char *text)
{
    struct sw_expr *e = NULL;
    char err[256];
    int r = sw_expr_parse(text, IDS, NIDS, &e, err, sizeof(err));

    if (r != 0)
        fail_msg("'%s' did not parse: %s", text, err);
    assert_non_null(e);
    return e;
}

static void
parse_err(const char *text, const char *msg)
{
    struct sw_expr *e = (struct sw_expr *)1;
    char err[256];
    int r = sw_expr_parse(text, IDS, NIDS, &e, err, sizeof(err));

    assert_int_equal(r, SW_EPARSE);
    assert_null(e);
    assert_string_equal(err, msg);
}

/* eval_text - parse TEXT, evaluate over [T(0), T(nper)) and return the
 * result (free()); *N gets the count. */
static struct sw_datapoint *
eval_text(const char *text, const struct inputs *in, int nper, size_t *n)
{
    struct sw_expr *e = parse_ok(text);
    struct sw_datapoint *out = (struct sw_datapoint *)1;
    char err[256];
    int r;

    r = sw_expr_eval(e, in->p, in->n, T(0), T(nper), P, &out, n, err,
                     sizeof(err));
    if (r != 0)
        fail_msg("'%s' did not evaluate: %s", text, err);
    if (*n == 0)
        assert_null(out);
    for (size_t i = 0; i < *n; i++) {
        assert_true(isfinite(out[i].value));
        assert_true(out[i].sample_count == -1);
        if (i)
            assert_true(out[i - 1].ts < out[i].ts);
    }
    sw_expr_free(e);
    return out;
}

/* expect - TEXT over IN yields exactly the points TS[i] -> V[i]. */
static void
expect(const char *text, const struct inputs *in, int nper, size_t n,
       const time_t *ts, const double *v)
{
    size_t got;
    struct sw_datapoint *out = eval_text(text, in, nper, &got);

    if (got != n)
        fail_msg("'%s': %zu points, expected %zu", text, got, n);
    for (size_t i = 0; i < n; i++) {
        if (out[i].ts != ts[i] || fabs(out[i].value - v[i]) > 1e-9)
            fail_msg("'%s' point %zu: %lld=%g, expected %lld=%g", text, i,
                     (long long)out[i].ts, out[i].value, (long long)ts[i],
                     v[i]);
    }
    free(out);
}

/* value1 - TEXT over one-point series a = 10, b = 4, c = 2 at T(0). */
static double
value1(const char *text)
{
    static const struct sw_datapoint a = {T0, 10, -1}, b = {T0, 4, -1},
                                     c = {T0, 2, -1};
    struct inputs in = {{&a, &b, &c}, {1, 1, 1}};
    struct sw_datapoint *out;
    size_t n;
    double v;

    out = eval_text(text, &in, 1, &n);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].ts, T0);
    v = out[0].value;
    free(out);
    return v;
}

static void
test_precedence(void **state)
{
    (void)state;
    /* Left associativity. */
    assert_true(value1("a - b - c") == 4);
    assert_true(value1("a / b * c") == 5);
    assert_true(value1("a / b / c") == 1.25);
    /* * and / before + and -. */
    assert_true(value1("a + b * c") == 18);
    assert_true(value1("a - b / c") == 8);
    assert_true(value1("a * b + c") == 42);
    /* Unary minus binds tighter than every binary operator. */
    assert_true(value1("-a * b") == -40);
    assert_true(value1("-a + b") == -6);
    assert_true(value1("a + 2 * -3") == 4);
    assert_true(value1("a * 2 * -3") == -60);
    assert_true(value1("a - -b") == 14);
    assert_true(value1("- - a") == 10);
    assert_true(value1("-(a - b)") == -6);
    /* Parentheses. */
    assert_true(value1("(a + b) * c") == 28);
    assert_true(value1("a - (b - c)") == 8);
    assert_true(value1("((a))") == 10);
    assert_true(value1("a / (b * c)") == 1.25);
    /* Blanks anywhere between tokens, none needed. */
    assert_true(value1("a-b-c") == 4);
    assert_true(value1(" \t(a\r\n+b )*c ") == 28);
}

static void
test_numbers(void **state)
{
    (void)state;
    assert_true(value1("a * 1.5") == 15);
    assert_true(value1("a + 1e2") == 110);
    assert_true(value1("a + 1E+2") == 110);
    assert_true(value1("a + 2.5E-1") == 10.25);
    assert_true(value1("a + 007") == 17);
    assert_true(value1("a * 0.1") == 1);
    /* Constant sub-expressions fold; the result is the same. */
    assert_true(value1("a * (2 + 3) / 5") == 10);
    assert_true(value1("(1 - 3) * a") == -20);
    assert_true(value1("100 / a") == 10);
    assert_true(value1("3 - a") == -7);
    assert_true(value1("FILL(a, -1) + 1e-3 * 1000") == 11);
}

static void
test_parse_errors(void **state)
{
    char buf[SW_EXPR_MAX_LEN + 2];
    struct sw_expr *e;

    (void)state;
    parse_err("a + x", "column 5: unknown metric id 'x'");
    parse_err("m1 + m2", "column 6: unknown metric id 'm2'");
    parse_err("A + b", "column 1: unknown name 'A' (metric ids start with "
                       "a lowercase letter)");
    parse_err("SUM(a)",
              "column 1: unknown function 'SUM' (supported: ABS, FILL)");
    parse_err("a + Fill(b, 0)",
              "column 5: unknown function 'Fill' (supported: ABS, FILL)");
    parse_err("abs(a)", "column 1: function names are uppercase: 'abs' is "
                        "not a function");
    parse_err("(a + b", "column 7: expected ')'");
    parse_err("a * (b + c", "column 11: expected ')'");
    parse_err("ABS(a", "column 6: expected ')'");
    parse_err("ABS(a, b)", "column 6: expected ')'");
    parse_err("FILL(a 0)", "column 8: expected ','");
    parse_err("FILL(a)", "column 7: expected ','");
    parse_err("FILL(a, 0, 1)", "column 10: expected ')'");
    parse_err("FILL a", "column 6: expected '(' after FILL");
    parse_err("a b", "column 3: unexpected 'b'");
    parse_err("a)", "column 2: unexpected ')'");
    parse_err("a + b)", "column 6: unexpected ')'");
    parse_err("a 2", "column 3: unexpected '2'");
    parse_err("", "column 1: empty expression");
    parse_err("  \t ", "column 1: empty expression");
    parse_err("a +", "column 4: expected a metric id, a number, a function "
                     "or '(', found end of expression");
    parse_err("a * )", "column 5: expected a metric id, a number, a "
                       "function or '(', found ')'");
    parse_err("()", "column 2: expected a metric id, a number, a function "
                    "or '(', found ')'");
    parse_err("a ^ 2", "column 3: operator '^' is not supported");
    parse_err("a == b", "column 3: operator '==' is not supported");
    parse_err("a>b", "column 2: operator '>' is not supported");
    parse_err("a $ b", "column 3: unexpected character '$'");
    parse_err("a + \x01", "column 5: unexpected byte 0x01");
    parse_err("a + \xc3\xa9", "column 5: unexpected byte 0xc3");
    parse_err("_a", "column 1: unexpected character '_'");
    parse_err("a + 1.", "column 5: malformed number '1.'");
    parse_err("a + 1.e3", "column 5: malformed number '1.'");
    parse_err("a + 1e", "column 5: malformed number '1e'");
    parse_err("a + 2e+", "column 5: malformed number '2e+'");
    parse_err("a + .5", "column 5: unexpected character '.'");
    parse_err("a * 1e999", "column 5: number out of range '1e999'");
    parse_err("a * (1 / 0)", "column 8: division by zero");
    parse_err("a * (1e300 * 1e300)", "column 12: number out of range");
    parse_err("2 * 3", "column 1: the expression must produce a time "
                       "series: it uses no metric id");
    parse_err("-(4)", "column 1: the expression must produce a time "
                      "series: it uses no metric id");
    parse_err("ABS(2) + a",
              "column 5: ABS needs a time series as its first argument");
    parse_err("FILL(2 * 3, 0) + a",
              "column 6: FILL needs a time series as its first argument");
    parse_err("FILL(a, b)", "column 9: FILL's second argument must be a "
                            "number, REPEAT or LINEAR");
    parse_err("FILL(a, 1 + b)", "column 9: FILL's second argument must be "
                                "a number, REPEAT or LINEAR");
    parse_err("FILL(a, REPEAT + 1)", "column 16: expected ')'");
    parse_err("a + REPEAT",
              "column 5: REPEAT is only valid as the second argument of "
              "FILL");
    parse_err("FILL(LINEAR, a)", "column 6: LINEAR is only valid as the "
                                 "second argument of FILL");
    parse_err("FILL(a, repeat)", "column 9: unknown metric id 'repeat'");

    /* Too long: 2048 bytes are fine, 2049 are not. */
    memset(buf, ' ', SW_EXPR_MAX_LEN);
    buf[0] = 'a';
    buf[SW_EXPR_MAX_LEN] = '\0';
    e = parse_ok(buf);
    sw_expr_free(e);
    buf[SW_EXPR_MAX_LEN] = ' ';
    buf[SW_EXPR_MAX_LEN + 1] = '\0';
    parse_err(buf, "column 2049: expression longer than 2048 characters");

    /* Too deep: 64 levels are fine, the 65th "(" or "-" is reported. */
    for (int depth = 64; depth <= 65; depth++) {
        size_t n = 0;

        for (int i = 0; i < depth; i++)
            buf[n++] = '(';
        buf[n++] = 'a';
        for (int i = 0; i < depth; i++)
            buf[n++] = ')';
        buf[n] = '\0';
        if (depth == 64) {
            sw_expr_free(parse_ok(buf));
            continue;
        }
        parse_err(buf, "column 65: expression nested more than 64 levels "
                       "deep");
        memset(buf, '-', (size_t)depth);
        buf[depth] = 'a';
        buf[depth + 1] = '\0';
        parse_err(buf, "column 65: expression nested more than 64 levels "
                       "deep");
    }
    /* Calls count as a level too. */
    {
        size_t n = 0;

        for (int i = 0; i < 65; i++) {
            memcpy(buf + n, "ABS(", 4);
            n += 4;
        }
        buf[n++] = 'a';
        for (int i = 0; i < 65; i++)
            buf[n++] = ')';
        buf[n] = '\0';
        parse_err(buf, "column 260: expression nested more than 64 levels "
                       "deep");
    }
}

static void
test_parse_api(void **state)
{
    static const char *const ten[] = {"m1", "m2", "m3", "m4", "m5",
                                      "m6", "m7", "m8", "m9", "m10"};
    struct sw_expr *e = NULL;
    char err[64], tiny[8];
    int r;

    (void)state;
    e = parse_ok("w - FILL(r, 0)");
    assert_false(sw_expr_uses(e, A));
    assert_false(sw_expr_uses(e, B));
    assert_true(sw_expr_uses(e, W));
    assert_true(sw_expr_uses(e, R));
    assert_false(sw_expr_uses(e, M1));
    assert_false(sw_expr_uses(e, NIDS));
    assert_false(sw_expr_uses(NULL, 0));
    sw_expr_free(e);
    sw_expr_free(NULL);

    r = sw_expr_parse("m1 + m2 + m3 + m4 + m5 + m6 + m7 + m8 + m9 + m10", ten,
                      10, &e, err, sizeof(err));
    assert_int_equal(r, 0);
    for (size_t i = 0; i < 10; i++)
        assert_true(sw_expr_uses(e, i));
    sw_expr_free(e);
    /* Ids match exactly: "m1" is not a prefix match for "m10". */
    r = sw_expr_parse("m1", ten + 9, 1, &e, err, sizeof(err));
    assert_int_equal(r, SW_EPARSE);
    assert_string_equal(err, "column 1: unknown metric id 'm1'");

    assert_int_equal(sw_expr_parse(NULL, IDS, NIDS, &e, err, sizeof(err)),
                     SW_EINVAL);
    assert_null(e);
    assert_int_equal(sw_expr_parse("a", IDS, NIDS, NULL, err, sizeof(err)),
                     SW_EINVAL);
    assert_int_equal(sw_expr_parse("a", NULL, 1, &e, err, sizeof(err)),
                     SW_EINVAL);
    /* No ids at all: every id is unknown, nothing crashes. */
    assert_int_equal(sw_expr_parse("a", NULL, 0, &e, err, sizeof(err)),
                     SW_EPARSE);
    /* A short or absent error buffer only truncates the message. */
    assert_int_equal(sw_expr_parse("a + x", IDS, NIDS, &e, tiny, sizeof(tiny)),
                     SW_EPARSE);
    assert_string_equal(tiny, "column ");
    assert_int_equal(sw_expr_parse("a + x", IDS, NIDS, &e, NULL, 0), SW_EPARSE);
}

/* a at minutes 0, 1, 3 (1, 2, 3); b at minutes 1, 2, 3 (10, 20, 30); c
 * empty; a 5-minute window. */
static const struct sw_datapoint SA[] = {
    {T(0), 1, 5}, {T(1), 2, 5}, {T(3), 3, 5}};
static const struct sw_datapoint SB[] = {
    {T(1), 10, 5}, {T(2), 20, 5}, {T(3), 30, 5}};
static const struct inputs AB = {{SA, SB, NULL}, {3, 3, 0}};

static void
test_alignment(void **state)
{
    (void)state;
    /* A series alone keeps its own timestamps. */
    expect("a", &AB, 5, 3, (time_t[]){T(0), T(1), T(3)}, (double[]){1, 2, 3});
    /* Series op series: a result wherever either side has a value, the
     * missing side counting as 0; nothing where neither has one. */
    expect("a + b", &AB, 5, 4, (time_t[]){T(0), T(1), T(2), T(3)},
           (double[]){1, 12, 20, 33});
    expect("a - b", &AB, 5, 4, (time_t[]){T(0), T(1), T(2), T(3)},
           (double[]){1, -8, -20, -27});
    expect("a * b", &AB, 5, 4, (time_t[]){T(0), T(1), T(2), T(3)},
           (double[]){0, 20, 0, 90});
    /* a / b at minute 0 divides by the missing (0) b: dropped. */
    expect("a / b", &AB, 5, 3, (time_t[]){T(1), T(2), T(3)},
           (double[]){0.2, 0, 0.1});
    /* Scalar op series: the series' datapoints only, no filling. */
    expect("a * 2", &AB, 5, 3, (time_t[]){T(0), T(1), T(3)},
           (double[]){2, 4, 6});
    expect("10 - b", &AB, 5, 3, (time_t[]){T(1), T(2), T(3)},
           (double[]){0, -10, -20});
    expect("-b", &AB, 5, 3, (time_t[]){T(1), T(2), T(3)},
           (double[]){-10, -20, -30});
    /* An empty series adds no timestamps. */
    expect("c", &AB, 5, 0, NULL, NULL);
    expect("a + c", &AB, 5, 3, (time_t[]){T(0), T(1), T(3)},
           (double[]){1, 2, 3});
    expect("c * 2", &AB, 5, 0, NULL, NULL);
}

static void
test_fill(void **state)
{
    (void)state;
    /* FILL(m, v): every grid timestamp of the window, before the first
     * and after the last datapoint too. */
    expect("FILL(a, 0)", &AB, 5, 5, (time_t[]){T(0), T(1), T(2), T(3), T(4)},
           (double[]){1, 2, 0, 3, 0});
    expect("FILL(b, -1.5)", &AB, 5, 5, (time_t[]){T(0), T(1), T(2), T(3), T(4)},
           (double[]){-1.5, 10, 20, 30, -1.5});
    expect("FILL(c, 7)", &AB, 5, 5, (time_t[]){T(0), T(1), T(2), T(3), T(4)},
           (double[]){7, 7, 7, 7, 7});
    expect("FILL(b, 2 * 3 - 1)", &AB, 3, 3, (time_t[]){T(0), T(1), T(2)},
           (double[]){5, 10, 20});
    /* With FILL, the periods where neither had data appear too. */
    expect("a + FILL(b, 0)", &AB, 5, 5,
           (time_t[]){T(0), T(1), T(2), T(3), T(4)},
           (double[]){1, 12, 20, 33, 0});
    expect("FILL(a, 100) - b", &AB, 5, 5,
           (time_t[]){T(0), T(1), T(2), T(3), T(4)},
           (double[]){1, -8, 80, -27, 100});
    /* REPEAT: the most recent value before the gap; nothing before the
     * first datapoint. */
    expect("FILL(a, REPEAT)", &AB, 5, 5,
           (time_t[]){T(0), T(1), T(2), T(3), T(4)}, (double[]){1, 2, 2, 3, 3});
    expect("FILL(b, REPEAT)", &AB, 5, 4, (time_t[]){T(1), T(2), T(3), T(4)},
           (double[]){10, 20, 30, 30});
    expect("FILL(c, REPEAT)", &AB, 5, 0, NULL, NULL);
    /* LINEAR: a straight line across each gap; nothing outside the
     * first and last datapoints. */
    expect("FILL(a, LINEAR)", &AB, 5, 4, (time_t[]){T(0), T(1), T(2), T(3)},
           (double[]){1, 2, 2.5, 3});
    expect("FILL(c, LINEAR)", &AB, 5, 0, NULL, NULL);
    {
        /* Two points in five minutes, as in a CloudWatch emulator's SDK
         * test (docs/metric-math.md): the same three answers. */
        static const struct sw_datapoint m[] = {{T(1), 10, -1}, {T(3), 30, -1}};
        struct inputs in = {{NULL, NULL, NULL, NULL, NULL, m},
                            {0, 0, 0, 0, 0, 2}};

        expect("FILL(m1, 0)", &in, 5, 5,
               (time_t[]){T(0), T(1), T(2), T(3), T(4)},
               (double[]){0, 10, 0, 30, 0});
        expect("FILL(m1, REPEAT)", &in, 5, 4,
               (time_t[]){T(1), T(2), T(3), T(4)}, (double[]){10, 10, 30, 30});
        expect("FILL(m1, LINEAR)", &in, 5, 3, (time_t[]){T(1), T(2), T(3)},
               (double[]){10, 20, 30});
    }
    {
        static const struct sw_datapoint g[] = {{T(0), 0, -1}, {T(4), 100, -1}};
        struct inputs in = {{g}, {2}};

        expect("FILL(a, LINEAR)", &in, 6, 5,
               (time_t[]){T(0), T(1), T(2), T(3), T(4)},
               (double[]){0, 25, 50, 75, 100});
        expect("FILL(FILL(a, LINEAR), 0)", &in, 6, 6,
               (time_t[]){T(0), T(1), T(2), T(3), T(4), T(5)},
               (double[]){0, 25, 50, 75, 100, 0});
        expect("ABS(FILL(a, REPEAT) - 150)", &in, 6, 6,
               (time_t[]){T(0), T(1), T(2), T(3), T(4), T(5)},
               (double[]){150, 150, 150, 150, 50, 50});
    }
}

/* The write-vs-read rule of examples/kinesis-consumers.conf and
 * docs/metric-math.md: w = IncomingRecords (Sum), r = GetRecords.Records
 * (Sum) of one stream, alarming when w - FILL(r, 0) > 1000. */
static void
test_write_vs_read(void **state)
{
    /* minute 0: both;  1: no reads at all (GetRecords.Records is not
     * published when no consumer reads);  2: both;  3: no writes, reads
     * catch up;  4: silence;  5: writes, no reads. */
    static const struct sw_datapoint w[] = {
        {T(0), 1000, 60}, {T(1), 1500, 60}, {T(2), 1200, 60}, {T(5), 2000, 60}};
    static const struct sw_datapoint r[] = {
        {T(0), 1000, 60}, {T(2), 200, 60}, {T(3), 300, 60}};
    struct inputs in = {{NULL, NULL, NULL, w, r}, {0, 0, 0, 4, 3}};
    struct inputs no_reads = {{NULL, NULL, NULL, w, NULL}, {0, 0, 0, 4, 0}};

    (void)state;
    /* A missing r counts as 0 reads.  A missing w is 0 writes too (the
     * documented "missing values ... are treated as 0"), so minute 3 is
     * -300; minute 4, where neither metric has a datapoint, exists only
     * because FILL made r's 0 there. */
    expect("w - FILL(r, 0)", &in, 6, 6,
           (time_t[]){T(0), T(1), T(2), T(3), T(4), T(5)},
           (double[]){0, 1500, 1000, -300, 0, 2000});
    /* Without FILL, CloudWatch treats the missing side as 0 all the same;
     * only the empty minute 4 has no value. */
    expect("w - r", &in, 6, 5, (time_t[]){T(0), T(1), T(2), T(3), T(5)},
           (double[]){0, 1500, 1000, -300, 2000});
    /* A consumer that stopped: r has no datapoint in the whole window. */
    expect("w - FILL(r, 0)", &no_reads, 6, 6,
           (time_t[]){T(0), T(1), T(2), T(3), T(4), T(5)},
           (double[]){1000, 1500, 1200, 0, 0, 2000});
    /* A stream with no traffic at all is a series of zeros, never missing
     * data: the alarm sees OK rather than INSUFFICIENT_DATA. */
    {
        struct inputs silent = {{NULL}, {0}};

        expect("w - FILL(r, 0)", &silent, 3, 3, (time_t[]){T(0), T(1), T(2)},
               (double[]){0, 0, 0});
        expect("w - r", &silent, 3, 0, NULL, NULL);
    }
}

static void
test_abs_and_division(void **state)
{
    static const struct sw_datapoint z[] = {
        {T(0), 0, -1}, {T(1), -4, -1}, {T(2), 2, -1}};
    static const struct sw_datapoint big[] = {
        {T(0), 1e308, -1}, {T(1), -1e308, -1}, {T(2), 1, -1}};
    struct inputs in = {{SA, z}, {3, 3}};
    struct inputs huge = {{big, SB}, {3, 3}};

    (void)state;
    expect("ABS(a - b)", &AB, 5, 4, (time_t[]){T(0), T(1), T(2), T(3)},
           (double[]){1, 8, 20, 27});
    expect("ABS(b)", &in, 3, 3, (time_t[]){T(0), T(1), T(2)},
           (double[]){0, 4, 2});
    expect("-ABS(b) * 2", &in, 3, 3, (time_t[]){T(0), T(1), T(2)},
           (double[]){0, -8, -4});
    /* a / b: b is 0 at minute 0 (dropped), a is missing at minute 2
     * (0 / 2 = 0). */
    expect("a / b", &in, 3, 2, (time_t[]){T(1), T(2)}, (double[]){-0.5, 0});
    expect("a / 0", &in, 3, 0, NULL, NULL);
    expect("2 / b", &in, 3, 2, (time_t[]){T(1), T(2)}, (double[]){-0.5, 1});
    expect("FILL(a / b, 0)", &in, 3, 3, (time_t[]){T(0), T(1), T(2)},
           (double[]){0, -0.5, 0});
    /* Overflow to infinity is dropped like a division by zero, and the
     * dropped point then counts as missing. */
    expect("a * 10", &huge, 3, 1, (time_t[]){T(2)}, (double[]){10});
    expect("a * 10 + b", &huge, 3, 2, (time_t[]){T(1), T(2)},
           (double[]){10, 30});
    expect("a - -a", &huge, 3, 1, (time_t[]){T(2)}, (double[]){2});
}

static void
test_input_handling(void **state)
{
    /* Unsorted, a duplicate (the later wins), NaN and infinity (missing),
     * points outside the window (ignored), one off the period grid. */
    static const struct sw_datapoint a[] = {
        {T(3), 3, -1},        {T(0), 1, -1},     {T(-1), 99, -1},
        {T(0), 9, -1},        {T(5), 99, -1},    {T(1), NAN, -1},
        {T(2), INFINITY, -1}, {T(1) + 30, 5, -1}};
    struct inputs in = {{a}, {sizeof(a) / sizeof(a[0])}};
    struct sw_expr *e;
    struct sw_datapoint *out = (struct sw_datapoint *)1;
    size_t n = 1;
    char err[128];

    (void)state;
    expect("a", &in, 5, 3, (time_t[]){T(0), T(1) + 30, T(3)},
           (double[]){9, 5, 3});
    /* FILL fills the grid only; the off-grid point stays as it is. */
    expect("FILL(a, 0)", &in, 5, 6,
           (time_t[]){T(0), T(1), T(1) + 30, T(2), T(3), T(4)},
           (double[]){9, 0, 5, 0, 3, 0});
    expect("FILL(a, REPEAT)", &in, 5, 6,
           (time_t[]){T(0), T(1), T(1) + 30, T(2), T(3), T(4)},
           (double[]){9, 9, 5, 5, 3, 3});
    /* LINEAR in time: T(1) is 60 of the 90 s from 9 to 5, T(2) 30 of the
     * 90 s from 5 to 3. */
    expect("FILL(a, LINEAR)", &in, 5, 5,
           (time_t[]){T(0), T(1), T(1) + 30, T(2), T(3)},
           (double[]){9, 9 - 4.0 * 60 / 90, 5, 5 - 2.0 * 30 / 90, 3});

    e = parse_ok("a + b");
    /* An empty window: no points, no error. */
    assert_int_equal(
        sw_expr_eval(e, in.p, in.n, T(2), T(2), P, &out, &n, err, sizeof(err)),
        0);
    assert_null(out);
    assert_int_equal(n, 0);
    /* A window that does not end on the grid still has its last, partial
     * period's start. */
    assert_int_equal(sw_expr_eval(e, in.p, in.n, T(0), T(3) + 1, P, &out, &n,
                                  err, sizeof(err)),
                     0);
    assert_int_equal(n, 3);
    free(out);
    assert_int_equal(
        sw_expr_eval(e, in.p, in.n, T(0), T(1), 0, &out, &n, err, sizeof(err)),
        SW_EINVAL);
    assert_null(out);
    assert_int_equal(
        sw_expr_eval(e, in.p, in.n, T(1), T(0), P, &out, &n, err, sizeof(err)),
        SW_EINVAL);
    assert_int_equal(sw_expr_eval(e, in.p, in.n, 0, (time_t)P * 100801, P, &out,
                                  &n, err, sizeof(err)),
                     SW_ETOOBIG);
    assert_int_equal(sw_expr_eval(e, in.p, in.n, 0, (time_t)P * 100800, P, &out,
                                  &n, err, sizeof(err)),
                     0);
    assert_int_equal(n, 0); /* nothing in that window */
    assert_int_equal(sw_expr_eval(e, in.p, in.n, INT64_MIN, INT64_MAX, P, &out,
                                  &n, err, sizeof(err)),
                     SW_ETOOBIG);
    assert_int_equal(
        sw_expr_eval(e, NULL, in.n, T(0), T(1), P, &out, &n, err, sizeof(err)),
        SW_EINVAL);
    assert_int_equal(sw_expr_eval(NULL, in.p, in.n, T(0), T(1), P, &out, &n,
                                  err, sizeof(err)),
                     SW_EINVAL);
    {
        /* A used id with points but no array. */
        struct inputs bad = {{NULL, NULL}, {0, 2}};

        assert_int_equal(sw_expr_eval(e, bad.p, bad.n, T(0), T(1), P, &out, &n,
                                      err, sizeof(err)),
                         SW_EINVAL);
        assert_null(out);
    }
    sw_expr_free(e);
}

/* ---- SHARDS ---- */

/* eval_shards - TEXT over IN with SHARDS = SHARDS (KNOWN); returns the
 * sw_expr_eval_vars() result, the points in *OUT (free()). */
static int
eval_shards(const char *text, const struct inputs *in, int nper, int known,
            double shards, struct sw_datapoint **out, size_t *n, char *err,
            size_t errlen)
{
    struct sw_expr *e = parse_ok(text);
    struct sw_expr_vars vars = {known, shards};
    int r;

    r = sw_expr_eval_vars(e, &vars, in->p, in->n, T(0), T(nper), P, out, n, err,
                          errlen);
    sw_expr_free(e);
    return r;
}

/* expect_shards - TEXT with SHARDS = SHARDS gives the points TS -> V,
 * and so does the text sw_expr_subst_shards() makes of it, evaluated
 * without SHARDS: the local alarm and the synced one agree.  Except
 * when that text holds a constant division by zero, which does not
 * parse (the sync refuses it: agent/sync_input.c). */
static void
expect_shards(const char *text, double shards, const struct inputs *in,
              int nper, size_t n, const time_t *ts, const double *v)
{
    struct sw_expr *e = NULL;
    struct sw_datapoint *out = NULL;
    char err[256], *subst = NULL;
    size_t got = 0;
    int r;

    r = eval_shards(text, in, nper, 1, shards, &out, &got, err, sizeof(err));
    if (r != 0)
        fail_msg("'%s' did not evaluate: %s", text, err);
    if (got != n)
        fail_msg("'%s' (SHARDS %g): %zu points, expected %zu", text, shards,
                 got, n);
    for (size_t i = 0; i < n; i++)
        if (out[i].ts != ts[i] || fabs(out[i].value - v[i]) > 1e-9)
            fail_msg("'%s' point %zu: %lld=%g, expected %lld=%g", text, i,
                     (long long)out[i].ts, out[i].value, (long long)ts[i],
                     v[i]);
    free(out);
    assert_int_equal(
        sw_expr_subst_shards(text, shards, &subst, err, sizeof(err)), 0);
    assert_null(strstr(subst, "SHARDS"));
    r = sw_expr_parse(subst, IDS, NIDS, &e, err, sizeof(err));
    if (r == 0)
        expect(subst, in, nper, n, ts, v);
    else
        assert_non_null(strstr(err, ": division by zero"));
    sw_expr_free(e);
    free(subst);
}

static void
test_shards_parse(void **state)
{
    struct sw_expr *e;

    (void)state;
    e = parse_ok("w / (SHARDS * 60000) * 100");
    assert_true(sw_expr_uses_shards(e));
    assert_true(sw_expr_uses(e, W));
    assert_false(sw_expr_uses(e, R));
    sw_expr_free(e);
    e = parse_ok("w - FILL(r, 0)");
    assert_false(sw_expr_uses_shards(e));
    sw_expr_free(e);
    assert_false(sw_expr_uses_shards(NULL));
    /* Everywhere a scalar goes: negated, folded with constants, as
     * FILL's value. */
    e = parse_ok("FILL(w, SHARDS * 2) / -SHARDS + (1 - SHARDS) * 3");
    assert_true(sw_expr_uses_shards(e));
    sw_expr_free(e);

    parse_err("SHARDS * 60000",
              "column 1: the expression must produce a time series: it uses "
              "no metric id");
    parse_err("SHARDS(w)", "column 1: SHARDS is a number, not a function");
    parse_err("w + shards", "column 5: unknown metric id 'shards' (the shard "
                            "count is SHARDS, in capitals)");
    parse_err("w + Shards", "column 5: unknown name 'Shards' (metric ids "
                            "start with a lowercase letter)");
    parse_err("ABS(SHARDS) + w",
              "column 5: ABS needs a time series as its first argument");
    parse_err("FILL(w, r * SHARDS)", "column 9: FILL's second argument must "
                                     "be a number, REPEAT or LINEAR");
    parse_err("w SHARDS", "column 3: unexpected 'SHARDS'");
    /* Constants beside SHARDS still fold, and their mistakes are still
     * found at once. */
    parse_err("w * (1/0 + SHARDS)", "column 7: division by zero");
}

static void
test_shards_eval(void **state)
{
    /* IncomingRecords, 60 s Sums: 2,000 records/s, then 1,000, then none,
     * then 4,000, on a stream of 4 shards (4,000 records/s). */
    static const struct sw_datapoint w[] = {
        {T(0), 120000, -1}, {T(1), 60000, -1}, {T(3), 240000, -1}};
    static const time_t ts3[] = {T(0), T(1), T(3)};
    static const time_t ts4[] = {T(0), T(1), T(2), T(3)};
    struct inputs in = {{NULL}, {0}};
    struct sw_datapoint *out = (struct sw_datapoint *)1;
    struct sw_expr *e;
    char err[256];
    size_t n = 9;

    (void)state;
    in.p[W] = w;
    in.n[W] = 3;
    expect_shards("w / (SHARDS * 60000) * 100", 4, &in, 4, 3, ts3,
                  (const double[]){50, 25, 100});
    expect_shards("w / (SHARDS * 60000) * 100", 8, &in, 4, 3, ts3,
                  (const double[]){25, 12.5, 50});
    expect_shards("w * -SHARDS + SHARDS / 2", 2, &in, 4, 3, ts3,
                  (const double[]){-239999, -119999, -479999});
    /* FILL's value from SHARDS, at evaluation time. */
    expect_shards("FILL(w, SHARDS * 2)", 3, &in, 4, 4, ts4,
                  (const double[]){120000, 60000, 6, 240000});
    /* A scalar that divides by zero drops every point it meets, like a
     * datapoint that divides by zero: SHARDS 0 (no open shard) gives no
     * capacity to divide by, and a FILL value of nothing fills nothing. */
    expect_shards("w / (SHARDS * 60000) * 100", 0, &in, 4, 0, NULL, NULL);
    expect_shards("w + 1 / (SHARDS - 4)", 4, &in, 4, 0, NULL, NULL);
    expect_shards("FILL(w, 1 / (SHARDS - 4))", 4, &in, 4, 3, ts3,
                  (const double[]){120000, 60000, 240000});

    /* Never a guess: SHARDS must be known, finite and not negative. */
    e = parse_ok("w / SHARDS");
    assert_int_equal(
        sw_expr_eval(e, in.p, in.n, T(0), T(4), P, &out, &n, err, sizeof(err)),
        SW_EINVAL);
    assert_null(out);
    assert_int_equal(n, 0);
    assert_string_equal(err, "the expression uses SHARDS and the stream's "
                             "shard count is not known");
    sw_expr_free(e);
    assert_int_equal(
        eval_shards("w / SHARDS", &in, 4, 0, 4, &out, &n, err, sizeof(err)),
        SW_EINVAL);
    assert_int_equal(
        eval_shards("w / SHARDS", &in, 4, 1, -1, &out, &n, err, sizeof(err)),
        SW_EINVAL);
    assert_string_equal(err, "SHARDS must be a number >= 0");
    assert_int_equal(
        eval_shards("w / SHARDS", &in, 4, 1, NAN, &out, &n, err, sizeof(err)),
        SW_EINVAL);
    assert_int_equal(eval_shards("w / SHARDS", &in, 4, 1, INFINITY, &out, &n,
                                 err, sizeof(err)),
                     SW_EINVAL);
    /* An expression without SHARDS does not need it. */
    assert_int_equal(
        eval_shards("w * 2", &in, 4, 0, 0, &out, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 3);
    free(out);
}

static void
test_shards_subst(void **state)
{
    char err[256], buf[SW_EXPR_NUM_BUF], *s = (char *)1;
    char text[SW_EXPR_MAX_LEN + 1];
    size_t k;

    (void)state;
    assert_int_equal(sw_expr_subst_shards("w / (SHARDS * 60000) * 100", 4, &s,
                                          err, sizeof(err)),
                     0);
    assert_string_equal(s, "w / (4 * 60000) * 100");
    free(s);
    /* Only the word itself; blanks and everything else as written. */
    assert_int_equal(sw_expr_subst_shards("SHARDS+SHARDS*w_SHARDS\t/ SHARDSX",
                                          16, &s, err, sizeof(err)),
                     0);
    assert_string_equal(s, "16+16*w_SHARDS\t/ SHARDSX");
    free(s);
    s = (char *)1;
    assert_int_equal(
        sw_expr_subst_shards("w $ SHARDS", 16, &s, err, sizeof(err)),
        SW_EPARSE);
    assert_null(s);
    assert_string_equal(err, "column 3: unexpected character '$'");
    assert_int_equal(
        sw_expr_subst_shards("w - FILL(r, 0)", 4, &s, err, sizeof(err)), 0);
    assert_string_equal(s, "w - FILL(r, 0)");
    free(s);
    assert_int_equal(
        sw_expr_subst_shards("w / SHARDS", 2.5, &s, err, sizeof(err)), 0);
    assert_string_equal(s, "w / 2.5");
    free(s);
    assert_int_equal(
        sw_expr_subst_shards("w / SHARDS", -1, &s, err, sizeof(err)),
        SW_EINVAL);
    assert_null(s);
    assert_int_equal(
        sw_expr_subst_shards("w / SHARDS", NAN, &s, err, sizeof(err)),
        SW_EINVAL);
    assert_int_equal(sw_expr_subst_shards(NULL, 1, &s, err, sizeof(err)),
                     SW_EINVAL);
    /* Longer than CloudWatch takes once the number is in. */
    k = 0;
    text[k++] = 'w';
    while (k + 7 <= 2046) {
        memcpy(text + k, "+SHARDS", 7);
        k += 7;
    }
    text[k] = '\0';
    assert_int_equal(sw_expr_subst_shards(text, 4, &s, err, sizeof(err)), 0);
    free(s);
    assert_int_equal(sw_expr_subst_shards(text, 1000000, &s, err, sizeof(err)),
                     SW_ETOOBIG);
    assert_null(s);
    assert_string_equal(err, "expression longer than 2048 characters once "
                             "SHARDS is 1000000");

    assert_int_equal(sw_expr_format_shards(4, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "4");
    assert_int_equal(sw_expr_format_shards(0, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "0");
    assert_int_equal(sw_expr_format_shards(1000000, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "1000000");
    assert_int_equal(sw_expr_format_shards(-0.5, buf, sizeof(buf)), SW_EINVAL);
    assert_int_equal(sw_expr_format_shards(4, buf, 1), SW_ETOOBIG);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_api),
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_fill),
        cmocka_unit_test(test_write_vs_read),
        cmocka_unit_test(test_abs_and_division),
        cmocka_unit_test(test_input_handling),
        cmocka_unit_test(test_shards_parse),
        cmocka_unit_test(test_shards_eval),
        cmocka_unit_test(test_shards_subst),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
