/* fuzz/fuzz_expr_eval.c - rules/expr evaluated over series built from the
 * input, through sw_expr_eval_vars(), the call the agent's plan makes for
 * every metric-math alarm (agent/plan.c).
 *
 * fuzz_expr evaluates what parses over a few fixed series; this harness
 * lets the input choose the series too, so the timeline, FILL and the
 * arithmetic meet what a fetch can return: points in any order, off the
 * period grid, outside the window, on its edges, repeated timestamps,
 * NaN, infinities, huge and tiny values, gaps, empty series.
 *
 * Input: the expression text, a NUL, then (missing bytes read as 0)
 *   byte 0  ids the rule declares: 1 + b % 10, out of IDS below
 *   byte 1  the period: PERIODS[b % NPERIODS] (0 and -60 are invalid)
 *   byte 2  the window: b % 241 periods; 255: one period more than
 *           SW_EXPR_MAX_GRID; 254: END before START; 253: a second more
 *           than SW_EXPR_MAX_GRID periods (exactly that many is
 *           test_expr's: a window that large costs milliseconds an input)
 *   byte 3  bit 7: START is not aligned (+ b & 0x1f seconds); bit 6:
 *           END ends mid-period (+ (b >> 1) & 0x1f seconds)
 *   byte 4  SHARDS: 255 unknown, 254 NaN, 253 -1, 252 infinity, else b
 *   byte 5  the epoch of START: BASES[b % NBASES]
 *   then points until the input ends (at most MAX_POINTS), each
 *     one byte: low nibble the metric (% ids), high nibble how its
 *       timestamp is made (see point_ts()),
 *     the timestamp's bytes, one value byte and the value's bytes (see
 *     point_value()).
 *
 * Checked: the result is what the header promises (SW_EINVAL, SW_ETOOBIG
 * exactly when it says; sorted, unique, inside the window, finite,
 * sample_count -1); every result timestamp is one where a metric the
 * expression uses has a value, or, with FILL, on the period grid; an
 * expression that is just one id gives that metric's points as
 * sw_datapoints_normalize() keeps them; and leaving out the series of
 * the ids sw_expr_uses() says are unused (the plan never fetches them)
 * changes nothing. */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/metric.h"
#include "rules/expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A check that does not hold: say which before the crash, since abort()s
 * of an optimised build share one address. */
#define FAIL() fail(__LINE__)
static void fail(int line) __attribute__((noreturn));

static void
fail(int line)
{
    fprintf(stderr, "fuzz_expr_eval.c:%d: check failed\n", line);
    abort();
}

#define MAX_IDS    10
#define MAX_POINTS 2048

static const char *const IDS[MAX_IDS] = {"m1", "w", "r", "e1", "x",
                                         "y",  "z", "q", "v",  "m_2"};
static const int PERIODS[] = {60, 10, 20, 30, 300, 3600, 86400, 1, 7, 0, -60};
#define NPERIODS (sizeof(PERIODS) / sizeof(PERIODS[0]))
static const time_t BASES[] = {1764151200, 0, -3155760000LL, (time_t)1 << 62};
#define NBASES (sizeof(BASES) / sizeof(BASES[0]))
static const double SPECIAL[] = {
    NAN,  INFINITY, -INFINITY, DBL_MAX, -DBL_MAX, 1e308, -1e308, 0.0,
    -0.0, DBL_MIN,  4.9e-324,  1e-300,  1e15,     -1,    0.5,    1e300};
#define NSPECIAL (sizeof(SPECIAL) / sizeof(SPECIAL[0]))

struct reader {
    const uint8_t *p;
    size_t n;
};

static uint8_t
get8(struct reader *r)
{
    if (!r->n)
        return 0;
    r->n--;
    return *r->p++;
}

static uint64_t
get64(struct reader *r)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | get8(r);
    return v;
}

/* The timestamp of a point, by MODE (0-15). */
static time_t
point_ts(struct reader *r, unsigned mode, time_t start, time_t end, int period,
         time_t prev)
{
    uint8_t b = get8(r);

    if (period <= 0)
        period = 60;
    if (mode <= 6) /* on the grid, from 16 periods before START */
        return start + ((time_t)b - 16) * period;
    if (mode <= 9) { /* anywhere near START, to the second */
        int16_t off = (int16_t)(uint16_t)(b << 8 | get8(r));
        return start + off;
    }
    if (mode <= 11) /* the previous point's timestamp again */
        return prev;
    if (mode == 12) { /* any time at all */
        uint64_t u = (uint64_t)b << 56 | get64(r) >> 8;
        return (time_t)u;
    }
    if (mode == 13) /* at the end of the window */
        return end - 1 - b;
    if (mode == 14) /* at or past END */
        return end + b;
    return start - 1 - b; /* just before START */
}

static double
point_value(struct reader *r)
{
    uint8_t b = get8(r);
    uint64_t u;
    double d;

    if (b < 0x80)
        return (double)b - 0x40;
    if (b < 0xe0)
        return ((double)b - 0xb0) * 0.25;
    if (b < 0xf0)
        return SPECIAL[b - 0xe0];
    u = get64(r);
    memcpy(&d, &u, sizeof(d));
    return d;
}

/* Does TEXT, once its blanks are trimmed, read exactly ID? */
static int
text_is(const char *text, const char *id)
{
    size_t n = strlen(id);

    text += strspn(text, " \t\r\n");
    if (strncmp(text, id, n) != 0)
        return 0;
    text += n;
    return text[strspn(text, " \t\r\n")] == '\0';
}

static int
cmp_ts(const void *a, const void *b)
{
    time_t x = *(const time_t *)a, y = *(const time_t *)b;

    return (x > y) - (x < y);
}

/* The points of PTS that count: normalized (the later of two points with
 * one timestamp wins), inside [START, END) and finite.  Returns: new
 * (free()), its length in *N; NULL when out of memory. */
static struct sw_datapoint *
live_points(const struct sw_datapoint *pts, size_t n, time_t start, time_t end,
            size_t *nout)
{
    struct sw_datapoint *v = malloc((n ? n : 1) * sizeof(*v));
    size_t k = 0;

    *nout = 0;
    if (!v)
        return NULL;
    if (n)
        memcpy(v, pts, n * sizeof(*v));
    n = sw_datapoints_normalize(v, n);
    for (size_t i = 0; i < n; i++)
        if (v[i].ts >= start && v[i].ts < end && isfinite(v[i].value))
            v[k++] = v[i];
    *nout = k;
    return v;
}

static int
same_result(const struct sw_datapoint *a, size_t na,
            const struct sw_datapoint *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (a[i].ts != b[i].ts ||
            memcmp(&a[i].value, &b[i].value, sizeof(a[i].value)) != 0 ||
            a[i].sample_count != b[i].sample_count)
            return 0;
    return 1;
}

/* Every point of OUT must be where a used metric has a live point, or
 * (with FILL in the text) on the grid of the window. */
static void
check_timestamps(const struct sw_expr *e, const char *text,
                 struct sw_datapoint *const *in, const size_t *nin, size_t nids,
                 const struct sw_datapoint *out, size_t nout, time_t start,
                 time_t end, int period)
{
    int fill = strstr(text, "FILL") != NULL;
    time_t *live = NULL;
    size_t nlive = 0, total = 0;

    for (size_t i = 0; i < nids; i++)
        total += nin[i];
    live = malloc((total ? total : 1) * sizeof(*live));
    if (!live)
        return;
    for (size_t i = 0; i < nids; i++) {
        struct sw_datapoint *v;
        size_t n;

        if (!sw_expr_uses(e, i))
            continue;
        v = live_points(in[i], nin[i], start, end, &n);
        if (!v)
            goto out;
        for (size_t k = 0; k < n; k++)
            live[nlive++] = v[k].ts;
        free(v);
    }
    qsort(live, nlive, sizeof(*live), cmp_ts);
    for (size_t i = 0; i < nout; i++) {
        int on_grid = (out[i].ts - start) % period == 0;

        if (fill && on_grid)
            continue;
        if (!bsearch(&out[i].ts, live, nlive, sizeof(*live), cmp_ts))
            FAIL();
    }
out:
    free(live);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t tlen = nul ? (size_t)(nul - data) : size;
    struct reader rd = {nul ? nul + 1 : data + size, nul ? size - tlen - 1 : 0};
    struct sw_datapoint *in[MAX_IDS] = {0}, *out = NULL, *out2 = NULL;
    const struct sw_datapoint *args[MAX_IDS], *used_only[MAX_IDS];
    size_t nin[MAX_IDS] = {0}, used_n[MAX_IDS], nout = 0, nout2 = 0;
    struct sw_datapoint *pts = NULL;
    unsigned char owner[MAX_POINTS];
    size_t npts = 0, nids;
    struct sw_expr_vars vars = {1, 0};
    struct sw_expr *e = NULL;
    char err[256], *text = NULL;
    int period, expect = 0, r;
    time_t start, end, prev;
    uint8_t b2, b3, b4;

    /* A little past the limit is enough to exercise the length check. */
    if (tlen > SW_EXPR_MAX_LEN + 16)
        return 0;
    text = malloc(tlen + 1);
    if (!text)
        return 0;
    memcpy(text, data, tlen);
    text[tlen] = '\0';

    nids = 1 + get8(&rd) % MAX_IDS;
    period = PERIODS[get8(&rd) % NPERIODS];
    b2 = get8(&rd);
    b3 = get8(&rd);
    b4 = get8(&rd);
    start = BASES[get8(&rd) % NBASES];
    if (b3 & 0x80)
        start += b3 & 0x1f;
    if (b2 == 254) {
        end = start - 1;
    } else {
        time_t periods = b2 == 255   ? (time_t)SW_EXPR_MAX_GRID + 1
                         : b2 == 253 ? SW_EXPR_MAX_GRID
                                     : b2 % 241;
        end = start + periods * (period > 0 ? period : 60) + (b2 == 253);
        if (b3 & 0x40)
            end += (b3 >> 1) & 0x1f;
    }
    if (b4 == 255)
        vars.shards_known = 0;
    else
        vars.shards = b4 == 254   ? NAN
                      : b4 == 253 ? -1
                      : b4 == 252 ? INFINITY
                                  : (double)b4;

    r = sw_expr_parse(text, IDS, nids, &e, err, sizeof(err));
    if (r < 0) {
        if (e || (r == SW_EPARSE && strncmp(err, "column ", 7) != 0))
            FAIL();
        goto out;
    }

    /* The series: one array of all points, then one exact-size copy per
     * metric, so ASan sees a read past any of them. */
    pts = malloc(MAX_POINTS * sizeof(*pts));
    if (!pts)
        goto out;
    prev = start;
    while (rd.n && npts < MAX_POINTS) {
        uint8_t b = get8(&rd);

        owner[npts] = (uint8_t)((b & 0x0f) % nids);
        pts[npts].ts = point_ts(&rd, b >> 4, start, end, period, prev);
        pts[npts].value = point_value(&rd);
        pts[npts].sample_count = 60;
        prev = pts[npts].ts;
        npts++;
    }
    for (size_t i = 0; i < nids; i++) {
        for (size_t k = 0; k < npts; k++)
            nin[i] += owner[k] == i;
        if (!nin[i])
            continue;
        in[i] = malloc(nin[i] * sizeof(*in[i]));
        if (!in[i])
            goto out;
        nin[i] = 0;
        for (size_t k = 0; k < npts; k++)
            if (owner[k] == i)
                in[i][nin[i]++] = pts[k];
    }
    for (size_t i = 0; i < nids; i++) {
        args[i] = in[i];
        used_only[i] = sw_expr_uses(e, i) ? in[i] : NULL;
        used_n[i] = sw_expr_uses(e, i) ? nin[i] : 0;
    }

    if (period <= 0 || end < start)
        expect = SW_EINVAL;
    else if (sw_expr_uses_shards(e) &&
             (!vars.shards_known || !isfinite(vars.shards) || vars.shards < 0))
        expect = SW_EINVAL;
    else if (end > start &&
             (end - start) / period + ((end - start) % period != 0) >
                 SW_EXPR_MAX_GRID)
        expect = SW_ETOOBIG;

    r = sw_expr_eval_vars(e, &vars, args, nin, start, end, period, &out, &nout,
                          err, sizeof(err));
    if (r == SW_ENOMEM)
        goto out;
    if (r != expect || (nout == 0) != (out == NULL))
        FAIL();
    if (r < 0) {
        if (!err[0])
            FAIL();
        goto out;
    }
    for (size_t i = 0; i < nout; i++) {
        if (!isfinite(out[i].value) || out[i].ts < start || out[i].ts >= end ||
            out[i].sample_count != -1)
            FAIL();
        if (i && out[i - 1].ts >= out[i].ts)
            FAIL();
    }
    check_timestamps(e, text, in, nin, nids, out, nout, start, end, period);
    for (size_t i = 0; i < nids; i++) {
        if (text_is(text, IDS[i])) {
            size_t n;
            struct sw_datapoint *want =
                live_points(in[i], nin[i], start, end, &n);

            if (!want)
                goto out;
            for (size_t k = 0; k < n; k++)
                want[k].sample_count = -1;
            if (!same_result(out, nout, want, n))
                FAIL();
            free(want);
        }
    }

    /* The plan fetches only the metrics the expression reads. */
    r = sw_expr_eval_vars(e, &vars, used_only, used_n, start, end, period,
                          &out2, &nout2, err, sizeof(err));
    if (r == SW_ENOMEM)
        goto out;
    if (r != 0 || !same_result(out, nout, out2, nout2))
        FAIL();
out:
    for (size_t i = 0; i < MAX_IDS; i++)
        free(in[i]);
    free(pts);
    free(out);
    free(out2);
    free(text);
    sw_expr_free(e);
    return 0;
}
