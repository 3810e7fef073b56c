/* tests/unit/test_plot.c - agent/plot: XML escaping, the time and value
 * axes, the value line and its breaks, spans, decimation, errors, and the
 * sparkline.  That the document is well-formed XML and renders is checked
 * by tests/integration/test_plot_render.py (xmllint, chromium). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/plot.h"
#include "lib/buf.h"
#include "lib/err.h"

#define T0   1795564800 /* 2026-11-25T00:00:00Z, a Wednesday */
#define HOUR 3600
#define DAY  86400

static size_t
count(const char *hay, const char *needle)
{
    size_t n = 0;

    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The number after "KEY" in the first match of CONTEXT in DOC. */
static double
attr_after(const char *doc, const char *context, const char *key)
{
    const char *p = strstr(doc, context);

    assert_non_null(p);
    p = strstr(p, key);
    assert_non_null(p);
    return strtod(p + strlen(key), NULL);
}

/* The points of every polyline in DOC: how many, the y of each in YS
 * (up to MAX of them). */
static size_t
poly_points(const char *doc, double *ys, size_t max)
{
    size_t n = 0;

    for (const char *p = strstr(doc, "<polyline points=\""); p;
         p = strstr(p, "<polyline points=\"")) {
        p += strlen("<polyline points=\"");
        while (*p != '"') {
            char *end;

            (void)strtod(p, &end);
            assert_int_equal(*end, ',');
            if (n < max)
                ys[n] = strtod(end + 1, &end);
            else
                (void)strtod(end + 1, &end);
            n++;
            p = end;
            assert_true(*p == ' ' || *p == '"');
            p += *p == ' ';
        }
    }
    return n;
}

/* A document of one panel over [from, to). */
static char *
plot1(time_t from, time_t to, const struct sw_plot_point *pts, size_t n,
      int period, double thr, const struct sw_plot_span *sp, size_t nsp)
{
    struct sw_plot_panel p = {
        "alarm", "sub", "IncomingRecords (Sum)", pts, n, period, thr, sp, nsp};
    struct sw_buf b;

    sw_buf_init(&b, 16u << 20);
    assert_int_equal(sw_plot_svg(&b, "doc", from, to, &p, 1), 0);
    /* never a NaN or an infinity printed anywhere */
    assert_null(strstr(b.data, "nan"));
    assert_null(strstr(b.data, "inf"));
    assert_true(strncmp(b.data, "<?xml", 5) == 0);
    assert_non_null(strstr(b.data, "</svg>\n"));
    return sw_buf_steal(&b, NULL);
}

static void
test_escaping(void **state)
{
    static const char evil[] = "a&b<c>\"d'e";
    struct sw_plot_panel p = {evil, evil, evil, NULL, 0, 60, 1, NULL, 0};
    struct sw_plot_panel q = {
        "bad\x01utf8\xff\tx", NULL, NULL, NULL, 0, 60, 1, NULL, 0};
    struct sw_plot_panel two[2];
    struct sw_buf b;

    (void)state;
    two[0] = p;
    two[1] = q;
    sw_buf_init(&b, 1u << 20);
    assert_int_equal(sw_plot_svg(&b, evil, T0, T0 + HOUR, two, 2), 0);
    /* doc <title>, doc title, panel title, subtitle, axis label (twice)
     * and legend */
    assert_int_equal(count(b.data, "a&amp;b&lt;c&gt;&quot;d&apos;e"), 7);
    assert_null(strstr(b.data, "b<c"));
    assert_null(strstr(b.data, "d'e"));
    /* control characters and bytes that are not UTF-8 are U+FFFD; tab a
     * space */
    assert_non_null(strstr(b.data, "bad\xef\xbf\xbdutf8\xef\xbf\xbd x"));
    /* a NULL subtitle is left out, a NULL value label is "value" */
    assert_int_equal(count(b.data, "class=\"subtitle\""), 1);
    assert_non_null(strstr(b.data, ">value</text>"));
    sw_buf_release(&b);
}

static void
test_time_ticks_hour(void **state)
{
    time_t from = T0 + 8 * HOUR;
    char *doc;

    (void)state;
    assert_int_equal(sw_plot_time_step(from, from + HOUR), 600);
    doc = plot1(from, from + HOUR, NULL, 0, 60, 10, NULL, 0);
    for (int m = 0; m <= 50; m += 10) {
        char lab[32];

        snprintf(lab, sizeof(lab), ">08:%02d</text>", m);
        assert_int_equal(count(doc, lab), 1);
    }
    assert_int_equal(count(doc, ">09:00</text>"), 1);
    assert_int_equal(count(doc, ">08:05</text>"), 0);
    assert_int_equal(count(doc, "\"middle\" class=\"tick\">"), 7);
    /* the date once, where the axis starts, and the caption */
    assert_int_equal(count(doc, "class=\"date\">2026-11-25<"), 1);
    assert_int_equal(count(doc, "class=\"axis-caption\">UTC<"), 1);
    /* the first tick is at the left edge, the last at the right */
    assert_non_null(strstr(doc, "<text x=\"80.0\" y=\"250.0\" "
                                "text-anchor=\"middle\" class=\"tick\">08:00"));
    assert_non_null(strstr(doc, "<text x=\"980.0\" y=\"250.0\" "
                                "text-anchor=\"middle\" class=\"tick\">09:00"));
    free(doc);

    /* an odd start: ticks stay on the 10-minute grid */
    doc = plot1(from + 7 * 60, from + 67 * 60, NULL, 0, 60, 10, NULL, 0);
    assert_int_equal(count(doc, ">08:10</text>"), 1);
    assert_int_equal(count(doc, ">08:07</text>"), 0);
    assert_int_equal(count(doc, "class=\"date\">2026-11-25<"), 1);
    free(doc);
}

static void
test_time_ticks_day(void **state)
{
    char *doc;

    (void)state;
    assert_int_equal(sw_plot_time_step(T0, T0 + DAY), 3 * HOUR);
    doc = plot1(T0, T0 + DAY, NULL, 0, 60, 10, NULL, 0);
    for (int h = 0; h < 24; h += 3) {
        char lab[32];

        snprintf(lab, sizeof(lab), ">%02d:00</text>", h);
        assert_int_equal(count(doc, lab), h == 0 ? 2 : 1);
    }
    assert_int_equal(count(doc, "\"middle\" class=\"tick\">"), 9);
    /* the day the axis starts and the midnight where it changes */
    assert_int_equal(count(doc, "class=\"date\">2026-11-25<"), 1);
    assert_int_equal(count(doc, "class=\"date\">2026-11-26<"), 1);
    /* that one, at the right edge, ends at its tick */
    assert_non_null(strstr(doc, "text-anchor=\"end\" "
                                "class=\"date\">2026-11-26<"));
    free(doc);

    /* across midnight, not starting on one */
    doc = plot1(T0 + 18 * HOUR, T0 + 30 * HOUR, NULL, 0, 60, 10, NULL, 0);
    assert_int_equal(sw_plot_time_step(T0 + 18 * HOUR, T0 + 30 * HOUR),
                     2 * HOUR);
    assert_int_equal(count(doc, "class=\"date\">"), 2);
    assert_non_null(strstr(doc, "class=\"date\">2026-11-26<"));
    free(doc);
}

static void
test_time_ticks_week(void **state)
{
    char *doc;

    (void)state;
    assert_int_equal(sw_plot_time_step(T0, T0 + 7 * DAY), DAY);
    doc = plot1(T0, T0 + 7 * DAY, NULL, 0, 60, 10, NULL, 0);
    /* day steps: the date is the tick label, no second row */
    assert_int_equal(count(doc, "class=\"tick\">2026-1"), 8);
    assert_int_equal(count(doc, ">2026-11-25</text>"), 1);
    assert_int_equal(count(doc, ">2026-11-30</text>"), 1);
    assert_int_equal(count(doc, ">2026-12-02</text>"), 1);
    assert_int_equal(count(doc, "class=\"date\""), 0);
    assert_int_equal(count(doc, ">00:00</text>"), 0);
    free(doc);

    /* ten weeks: weekly ticks, on Mondays (2026-11-30 is one) */
    assert_int_equal(sw_plot_time_step(T0, T0 + 70 * DAY), 7 * DAY);
    doc = plot1(T0, T0 + 70 * DAY, NULL, 0, 60, 10, NULL, 0);
    assert_int_equal(count(doc, ">2026-11-30</text>"), 1);
    assert_int_equal(count(doc, ">2026-12-07</text>"), 1);
    assert_int_equal(count(doc, ">2026-11-25</text>"), 0);
    free(doc);

    /* beyond ten weeks, whole weeks; short ranges, seconds */
    assert_int_equal(sw_plot_time_step(T0, T0 + 200 * DAY), 3 * 7 * DAY);
    assert_int_equal(sw_plot_time_step(T0, T0 + 90), 10);
    assert_int_equal(sw_plot_time_step(T0, T0 + 300), 30);
    assert_int_equal(sw_plot_time_step(T0, T0 + 600), 60);
}

static void
test_gaps_break_the_line(void **state)
{
    struct sw_plot_point pts[10];
    char *doc;

    (void)state;
    for (int i = 0; i < 10; i++) {
        pts[i].t = T0 + i * 60;
        pts[i].v = i;
    }
    doc = plot1(T0, T0 + 600, pts, 10, 60, 5, NULL, 0);
    assert_int_equal(count(doc, "<polyline"), 1);
    assert_int_equal(count(doc, "<circle"), 0);
    free(doc);

    /* a NaN at 4: two lines, 0-3 and 5-9 */
    pts[4].v = NAN;
    doc = plot1(T0, T0 + 600, pts, 10, 60, 5, NULL, 0);
    assert_int_equal(count(doc, "<polyline"), 2);
    free(doc);

    /* a NaN at 6 as well: point 5 stands alone, a dot */
    pts[6].v = NAN;
    doc = plot1(T0, T0 + 600, pts, 10, 60, 5, NULL, 0);
    assert_int_equal(count(doc, "<polyline"), 2);
    assert_int_equal(count(doc, "<circle"), 1);
    free(doc);

    /* a gap in t larger than the period breaks it too: 0-4, then 8-9 */
    for (int i = 0; i < 10; i++)
        pts[i].v = i;
    doc = plot1(T0, T0 + 600, pts, 5, 60, 5, NULL, 0);
    assert_int_equal(count(doc, "<polyline"), 1);
    free(doc);
    pts[5] = pts[8];
    pts[6] = pts[9];
    doc = plot1(T0, T0 + 600, pts, 7, 60, 5, NULL, 0);
    assert_int_equal(count(doc, "<polyline"), 2);
    free(doc);
    /* ... but not with a period of 5 min */
    doc = plot1(T0, T0 + 600, pts, 7, 300, 5, NULL, 0);
    assert_int_equal(count(doc, "<polyline"), 1);
    free(doc);
}

static void
test_empty(void **state)
{
    struct sw_plot_point nan1 = {T0, NAN};
    struct sw_buf b;
    char *doc;

    (void)state;
    doc = plot1(T0, T0 + HOUR, NULL, 0, 60, 10, NULL, 0);
    assert_non_null(strstr(doc, "class=\"no-data\">no data<"));
    assert_int_equal(count(doc, "<polyline"), 0);
    assert_non_null(strstr(doc, "class=\"threshold\""));
    free(doc);
    /* only NaN, or only points outside the range: no data either */
    doc = plot1(T0, T0 + HOUR, &nan1, 1, 60, 10, NULL, 0);
    assert_non_null(strstr(doc, ">no data<"));
    free(doc);
    nan1.v = 3;
    doc = plot1(T0 + 60, T0 + HOUR, &nan1, 1, 60, 10, NULL, 0);
    assert_non_null(strstr(doc, ">no data<"));
    free(doc);
    /* no threshold either (not a rule's, but not a crash) */
    doc = plot1(T0, T0 + HOUR, NULL, 0, 60, NAN, NULL, 0);
    assert_null(strstr(doc, "class=\"threshold\""));
    free(doc);

    /* no panels: a title alone */
    sw_buf_init(&b, 1u << 20);
    assert_int_equal(sw_plot_svg(&b, "t", T0, T0 + HOUR, NULL, 0), 0);
    assert_non_null(strstr(b.data, "height=\"50\""));
    assert_non_null(strstr(b.data, "</svg>\n"));
    sw_buf_release(&b);
}

static void
test_constant_series(void **state)
{
    struct sw_plot_point pts[5];
    double ys[8];
    char *doc;

    (void)state;
    for (int i = 0; i < 5; i++) {
        pts[i].t = T0 + i * 60;
        pts[i].v = 5;
    }
    doc = plot1(T0, T0 + 300, pts, 5, 60, 5, NULL, 0);
    /* a band around 5: every point at one height inside the plot area */
    assert_int_equal(poly_points(doc, ys, 8), 5);
    assert_true(ys[0] > SW_PLOT_HEADER_H + SW_PLOT_AREA_TOP);
    assert_true(ys[0] < SW_PLOT_HEADER_H + SW_PLOT_AREA_TOP + SW_PLOT_AREA_H);
    for (int i = 1; i < 5; i++)
        assert_true(ys[i] == ys[0]);
    assert_non_null(strstr(doc, "class=\"tick\">5<"));
    assert_non_null(strstr(doc, "threshold 5.0<"));
    free(doc);

    /* all zero with a zero threshold: [0, 1] */
    for (int i = 0; i < 5; i++)
        pts[i].v = 0;
    doc = plot1(T0, T0 + 300, pts, 5, 60, 0, NULL, 0);
    assert_non_null(strstr(doc, "class=\"tick\">0<"));
    assert_non_null(strstr(doc, "class=\"tick\">1<"));
    assert_non_null(strstr(doc, "class=\"tick\">0.2<"));
    assert_null(strstr(doc, "class=\"tick\">-"));
    free(doc);
}

static void
test_value_axis(void **state)
{
    struct sw_plot_point pts[3] = {{T0, 0}, {T0 + 60, 4}, {T0 + 120, 10}};
    double top = SW_PLOT_HEADER_H + SW_PLOT_AREA_TOP, y;
    char *doc;

    (void)state;
    /* the threshold far above the data is still on the axis */
    doc = plot1(T0, T0 + 300, pts, 3, 60, 1000, NULL, 0);
    y = attr_after(doc, "<g class=\"threshold\">", "y1=\"");
    assert_true(y >= top && y <= top + SW_PLOT_AREA_H);
    assert_true(y < top + 1); /* 1000 is the top of the axis */
    assert_non_null(strstr(doc, "class=\"tick\">1000<"));
    assert_non_null(strstr(doc, "class=\"tick\">800<"));
    assert_non_null(strstr(doc, "threshold 1000.0<"));
    free(doc);

    /* and far below */
    doc = plot1(T0, T0 + 300, pts, 3, 60, -100, NULL, 0);
    y = attr_after(doc, "<g class=\"threshold\">", "y1=\"");
    assert_true(y >= top && y <= top + SW_PLOT_AREA_H);
    assert_non_null(strstr(doc, "class=\"tick\">-100<"));
    free(doc);

    /* negative values */
    pts[0].v = -7.5;
    pts[1].v = -3;
    pts[2].v = -0.5;
    doc = plot1(T0, T0 + 300, pts, 3, 60, -2, NULL, 0);
    assert_non_null(strstr(doc, "class=\"tick\">-8<"));
    assert_non_null(strstr(doc, "class=\"tick\">0<"));
    assert_null(strstr(doc, "class=\"tick\">-0<"));
    free(doc);

    /* very large values: one SI suffix for the axis */
    pts[0].v = 2e8;
    pts[1].v = 9e8;
    pts[2].v = 1.2e9;
    doc = plot1(T0, T0 + 300, pts, 3, 60, 1.5e9, NULL, 0);
    assert_non_null(strstr(doc, "class=\"tick\">0<"));
    assert_non_null(strstr(doc, "class=\"tick\">0.5G<"));
    assert_non_null(strstr(doc, "class=\"tick\">1G<"));
    assert_non_null(strstr(doc, "class=\"tick\">1.5G<"));
    assert_non_null(strstr(doc, "threshold 1.5E9<"));
    free(doc);
    pts[0].v = 0;
    pts[1].v = 5000;
    pts[2].v = 12000;
    doc = plot1(T0, T0 + 300, pts, 3, 60, 12000, NULL, 0);
    assert_non_null(strstr(doc, "class=\"tick\">5k<"));
    assert_non_null(strstr(doc, "class=\"tick\">15k<"));
    free(doc);
    /* small ones: decimals, and past the E range "%.3g"; never NaN */
    pts[0].v = 0.001;
    pts[1].v = 0.002;
    pts[2].v = 0.004;
    doc = plot1(T0, T0 + 300, pts, 3, 60, 0.003, NULL, 0);
    assert_non_null(strstr(doc, "class=\"tick\">0.001<"));
    assert_non_null(strstr(doc, "class=\"tick\">0.004<"));
    free(doc);
    pts[2].v = 1e308;
    pts[1].v = -1e308;
    doc = plot1(T0, T0 + 300, pts, 3, 60, 0, NULL, 0);
    assert_non_null(strstr(doc, "class=\"tick\">1e+300<"));
    free(doc);
    pts[0].v = 1e-320; /* subnormal: drawn as 0 */
    pts[1].v = 5e-324;
    pts[2].v = 0;
    doc = plot1(T0, T0 + 300, pts, 3, 60, 0, NULL, 0);
    assert_non_null(strstr(doc, "class=\"tick\">1<"));
    free(doc);
}

static void
test_spans(void **state)
{
    struct sw_plot_span sp[4] = {
        {T0 - HOUR, T0 + 600, SW_STATE_INSUFFICIENT_DATA},
        {T0 + 600, T0 + 1200, SW_STATE_OK},
        {T0 + 1200, T0 + 1800, SW_STATE_ALARM},
        {T0 + 1800, T0 + 2 * HOUR, SW_STATE_OK},
    };
    char *doc, want[200];
    const char *a, *h;

    (void)state;
    doc = plot1(T0, T0 + HOUR, NULL, 0, 60, 10, sp, 4);
    assert_non_null(strstr(doc, "<pattern id=\"sw-hatch\""));
    /* one rect each, clipped to the range; OK is not drawn */
    snprintf(want, sizeof(want),
             "<rect class=\"alarm\" x=\"%.1f\" y=\"%d.0\" width=\"%.1f\" "
             "height=\"%d\" fill=\"" SW_PLOT_ALARM_FILL "\"/>",
             sw_plot_x(T0, T0 + HOUR, T0 + 1200),
             SW_PLOT_HEADER_H + SW_PLOT_AREA_TOP, 150.0, SW_PLOT_AREA_H);
    assert_non_null(strstr(doc, want));
    assert_non_null(strstr(doc, "<rect class=\"insufficient-data\" x=\"80.0\" "
                                "y=\"84.0\" width=\"150.0\" height=\"150\" "
                                "fill=\"url(#sw-hatch)\"/>"));
    assert_int_equal(count(doc, "<rect class="), 2);
    /* the swatches in the legend */
    assert_int_equal(count(doc, "fill=\"" SW_PLOT_ALARM_FILL "\""), 2);
    assert_int_equal(count(doc, "fill=\"url(#sw-hatch)\""), 2);
    assert_non_null(strstr(doc, ">INSUFFICIENT_DATA</text>"));
    assert_non_null(strstr(doc, ">ALARM</text>"));
    /* spans are drawn behind the threshold and the line */
    a = strstr(doc, "<rect class=\"alarm\"");
    h = strstr(doc, "<g class=\"threshold\"");
    assert_true(a < h && h < strstr(doc, "<g class=\"series\""));
    free(doc);
}

static void
test_decimation(void **state)
{
    size_t n = 7 * DAY / 10; /* a week at 10 s */
    struct sw_plot_point *pts = calloc(n, sizeof(*pts));
    struct sw_plot_panel p = {"week", NULL, "v", pts, n, 10, 50, NULL, 0};
    struct sw_buf b;
    size_t np;

    (void)state;
    assert_non_null(pts);
    for (size_t i = 0; i < n; i++) {
        pts[i].t = T0 + (time_t)i * 10;
        pts[i].v = (double)(i % 7);
    }
    pts[n / 2].v = 1000;     /* one spike */
    pts[n / 4 + 30].v = NAN; /* inside a pixel column: no break */
    sw_buf_init(&b, 16u << 20);
    assert_int_equal(sw_plot_svg(&b, "w", T0, T0 + 7 * DAY, &p, 1), 0);
    assert_true(b.len < 100000);
    assert_int_equal(count(b.data, "<polyline"), 1);
    /* at most the minimum and the maximum of each of the 900 columns */
    np = poly_points(b.data, NULL, 0);
    assert_true(np >= 2 * 900 - 10 && np <= 2 * 900);
    /* the spike is the top of the axis, and the line reaches it */
    assert_non_null(strstr(b.data, "class=\"tick\">1000<"));
    assert_non_null(strstr(b.data, ",84.0"));
    sw_buf_release(&b);

    /* a gap of a day does break it */
    for (size_t i = n / 2; i < n / 2 + DAY / 10; i++)
        pts[i].v = NAN;
    sw_buf_init(&b, 16u << 20);
    assert_int_equal(sw_plot_svg(&b, "w", T0, T0 + 7 * DAY, &p, 1), 0);
    assert_int_equal(count(b.data, "<polyline"), 2);
    sw_buf_release(&b);
    free(pts);
}

static void
test_errors(void **state)
{
    struct sw_plot_panel p = {"a", NULL, NULL, NULL, 0, 60, 1, NULL, 0};
    struct sw_buf b;

    (void)state;
    sw_buf_init(&b, 1u << 20);
    assert_int_equal(sw_buf_adds(&b, "keep"), 0);
    assert_int_equal(sw_plot_svg(&b, "t", T0, T0, &p, 1), SW_EINVAL);
    assert_int_equal(sw_plot_svg(&b, "t", T0 + 1, T0, &p, 1), SW_EINVAL);
    assert_string_equal(sw_buf_str(&b), "keep");
    sw_buf_release(&b);
    /* a cap too small: the error, and OUT as it was */
    sw_buf_init(&b, 1000);
    assert_int_equal(sw_buf_adds(&b, "keep"), 0);
    assert_int_equal(sw_plot_svg(&b, "t", T0, T0 + 60, &p, 1), SW_ETOOBIG);
    assert_string_equal(sw_buf_str(&b), "keep");
    sw_buf_release(&b);
}

static void
test_sparkline(void **state)
{
    struct sw_plot_point pts[10];
    struct sw_buf b;

    (void)state;
    for (int i = 0; i < 8; i++) {
        pts[i].t = T0 + i * 60;
        pts[i].v = i * 10;
    }
    sw_buf_init(&b, 4096);
    assert_int_equal(sw_plot_sparkline(&b, pts, 8, T0, T0 + 480, 8), 0);
    assert_string_equal(sw_buf_str(&b), "▁▂▃▄▅▆▇█");
    /* two points a cell: the maximum; an empty cell: a space */
    sw_buf_reset(&b);
    pts[5].v = NAN;
    assert_int_equal(sw_plot_sparkline(&b, pts, 8, T0, T0 + 600, 5), 0);
    assert_string_equal(sw_buf_str(&b), "▁▃▅█ ");
    /* points outside the range are ignored; constant is the lowest bar */
    sw_buf_reset(&b);
    for (int i = 0; i < 8; i++)
        pts[i].v = 3;
    assert_int_equal(sw_plot_sparkline(&b, pts, 8, T0 + 120, T0 + 360, 4), 0);
    assert_string_equal(sw_buf_str(&b), "▁▁▁▁");
    /* nothing: spaces; no width: nothing */
    sw_buf_reset(&b);
    assert_int_equal(sw_plot_sparkline(&b, NULL, 0, T0, T0 + 60, 3), 0);
    assert_string_equal(sw_buf_str(&b), "   ");
    sw_buf_reset(&b);
    assert_int_equal(sw_plot_sparkline(&b, pts, 8, T0, T0, 2), 0);
    assert_string_equal(sw_buf_str(&b), "  ");
    sw_buf_reset(&b);
    assert_int_equal(sw_plot_sparkline(&b, pts, 8, T0, T0 + 60, 0), 0);
    assert_string_equal(sw_buf_str(&b), "");
    /* a cap too small: the error, the buffer as it was */
    sw_buf_release(&b);
    sw_buf_init(&b, 10);
    assert_int_equal(sw_plot_sparkline(&b, pts, 8, T0, T0 + 480, 8),
                     SW_ETOOBIG);
    assert_int_equal(b.len, 0);
    sw_buf_release(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_time_ticks_hour),
        cmocka_unit_test(test_time_ticks_day),
        cmocka_unit_test(test_time_ticks_week),
        cmocka_unit_test(test_gaps_break_the_line),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_constant_series),
        cmocka_unit_test(test_value_axis),
        cmocka_unit_test(test_spans),
        cmocka_unit_test(test_decimation),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_sparkline),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
