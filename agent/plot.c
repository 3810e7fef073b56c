/* agent/plot.c - SVG backtest plots and sparklines; see plot.h.
 *
 * Every drawing function appends to one struct svg, which keeps the first
 * error: the drawing code reads as a list of shapes, and sw_plot_svg()
 * checks once at the end (and then gives OUT back as it was).  Every
 * coordinate goes through coord(), so a NaN or an infinity computed from a
 * bad value can never reach the document.
 */
#include "config.h"

#include "agent/plot.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/str.h"
#include "lib/utf8.h"

#define PLOT_W    (SW_PLOT_RIGHT - SW_PLOT_LEFT)
#define FONT      "11" /* px, every label but the titles */
#define GRID      "#dddddd"
#define INK       "#222222"
#define MAX_TICKS 64    /* a bound for every tick loop */
#define VALUE_LIM 1e300 /* |value| past this is drawn as this */
#define ELLIPSIS  "\xe2\x80\xa6"

/* The document being written and the first error met. */
struct svg {
    struct sw_buf *b;
    int err;
};

static void put(struct svg *s, const char *fmt, ...) SW_PRINTF(2, 3);

static void
put(struct svg *s, const char *fmt, ...)
{
    va_list ap;

    if (s->err)
        return;
    va_start(ap, fmt);
    s->err = sw_buf_vaddf(s->b, fmt, ap);
    va_end(ap);
}

static void
put_raw(struct svg *s, const char *p, size_t n)
{
    if (!s->err)
        s->err = sw_buf_add(s->b, p, n);
}

/* put_text - STR as XML text or attribute value: & < > " ' as entities;
 * control characters, U+FFFE/U+FFFF and bytes that are not UTF-8 (none of
 * them may appear in XML 1.0) as U+FFFD; tab and newline as a space.  At
 * most MAXCHARS characters (0: no limit), "…" marking a cut. */
static void
put_text(struct svg *s, const char *str, size_t maxchars)
{
    size_t n = str ? strlen(str) : 0, i = 0, chars = 0;

    while (i < n && !s->err) {
        uint32_t cp = 0;
        size_t k = sw_utf8_seq(str + i, n - i, &cp);

        if (maxchars && chars == maxchars) {
            put_raw(s, ELLIPSIS, strlen(ELLIPSIS));
            break;
        }
        chars++;
        if (k == 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
            cp == 0x7f || cp == 0xfffe || cp == 0xffff)
            put_raw(s, SW_UTF8_REPLACEMENT, strlen(SW_UTF8_REPLACEMENT));
        else if (cp == '\t' || cp == '\n' || cp == '\r')
            put_raw(s, " ", 1);
        else if (cp == '&')
            put_raw(s, "&amp;", 5);
        else if (cp == '<')
            put_raw(s, "&lt;", 4);
        else if (cp == '>')
            put_raw(s, "&gt;", 4);
        else if (cp == '"')
            put_raw(s, "&quot;", 6);
        else if (cp == '\'')
            put_raw(s, "&apos;", 6);
        else
            put_raw(s, str + i, k);
        i += k ? k : 1;
    }
}

/* A coordinate fit to print: finite and within a sane distance of the
 * page (a renderer may choke on 1e300 even where it is legal). */
static double
coord(double v)
{
    if (isnan(v))
        return 0;
    return v < -1e5 ? -1e5 : v > 1e5 ? 1e5 : v;
}

/* A value as the axes use it: within +-VALUE_LIM, so that a spread
 * never overflows, and 0 for a magnitude under 1/VALUE_LIM, so that a
 * step never underflows to 0. */
static double
clamp_value(double v)
{
    if (fabs(v) < 1 / VALUE_LIM)
        return 0;
    return v < -VALUE_LIM ? -VALUE_LIM : v > VALUE_LIM ? VALUE_LIM : v;
}

double
sw_plot_x(time_t from, time_t to, time_t t)
{
    /* doubles: to - from may not fit a time_t at the extremes */
    return SW_PLOT_LEFT +
           ((double)t - (double)from) * PLOT_W / ((double)to - (double)from);
}

/* ---- the value axis ---- */

struct vaxis {
    double lo, hi, step; /* the axis range, multiples of step */
    double scale;        /* labels are value / scale ... */
    const char *suffix;  /* ... followed by this SI suffix */
    int decimals;        /* of value / scale */
    int general;         /* labels in "%.3g" instead */
};

/* value_axis - a "nice" range for the panel's finite values and its
 * threshold: about 5 steps of 1, 2 or 5 x 10^k. */
static void
value_axis(const struct sw_plot_panel *p, time_t from, time_t to,
           struct vaxis *a)
{
    static const char *const si[] = {"", "k", "M", "G", "T", "P", "E"};
    double lo = INFINITY, hi = -INFINITY, raw, mag, f, m, q;
    int e = 0;

    for (size_t i = 0; i < p->npts; i++) {
        double v = clamp_value(p->pts[i].v);

        if (p->pts[i].t < from || p->pts[i].t >= to || !isfinite(p->pts[i].v))
            continue;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    if (isfinite(p->threshold)) { /* the threshold is always on the axis */
        lo = fmin(lo, clamp_value(p->threshold));
        hi = fmax(hi, clamp_value(p->threshold));
    }
    if (lo > hi) /* no data and no threshold */
        lo = hi = 0;
    /* A constant series (or one whose spread is lost in rounding) gets a
     * band around it, [0, 1] around zero. */
    m = fmax(fabs(lo), fabs(hi));
    if (hi - lo <= m * 1e-9) {
        if (m == 0) {
            lo = 0;
            hi = 1;
        } else {
            lo -= m * 0.1;
            hi += m * 0.1;
        }
    }
    raw = (hi - lo) / 5;
    mag = pow(10, floor(log10(raw)));
    f = raw / mag;
    a->step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
    a->lo = floor(lo / a->step) * a->step;
    a->hi = ceil(hi / a->step) * a->step;
    if (!(a->hi > a->lo))
        a->hi = a->lo + a->step;

    /* Labels: one SI suffix for the whole axis, chosen by its largest
     * value, from 10,000 on; "%.3g" where that runs out. */
    m = fmax(fabs(a->lo), fabs(a->hi));
    a->scale = 1;
    if (m >= 1e4)
        while (e < 6 && m >= a->scale * 1000) {
            a->scale *= 1000;
            e++;
        }
    a->suffix = si[e];
    q = a->step / a->scale; /* 1, 2 or 5 x 10^k: decimals are exact */
    a->decimals = q >= 1 ? 0 : (int)ceil(-log10(q) - 1e-9);
    a->general = (e == 6 && m >= a->scale * 1000) || a->decimals > 9;
}

static void
value_label(const struct vaxis *a, double v, char *out, size_t size)
{
    int n;

    if (fabs(v) < a->step * 1e-6) /* no "-0" out of rounding */
        v = 0;
    if (a->general) {
        snprintf(out, size, "%.3g", v);
        return;
    }
    n = snprintf(out, size, "%.*f", a->decimals, v / a->scale);
    if (n <= 0 || (size_t)n >= size)
        return;
    if (strchr(out, '.')) { /* "1.50" -> "1.5", "1.0" -> "1" */
        while (out[n - 1] == '0')
            out[--n] = '\0';
        if (out[n - 1] == '.')
            out[--n] = '\0';
    }
    if (strcmp(out, "0") != 0)
        snprintf(out + n, size - (size_t)n, "%s", a->suffix);
}

static double
value_y(const struct vaxis *a, double top, double v)
{
    v = clamp_value(v);
    return top + (a->hi - v) / (a->hi - a->lo) * SW_PLOT_AREA_H;
}

/* ---- the time axis ---- */

long
sw_plot_time_step(time_t from, time_t to)
{
    static const long steps[] = {10,    30,    60,     120,   300,   600,
                                 900,   1800,  3600,   7200,  10800, 21600,
                                 43200, 86400, 172800, 604800};
    double range = (double)to - (double)from, weeks;

    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
        if (range / (double)steps[i] <= 10)
            return steps[i];
    weeks = ceil(range / (10.0 * 604800));
    return (long)(weeks < 1e9 ? weeks : 1e9) * 604800;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The first tick at or after FROM: a multiple of STEP in UTC, weeks
 * counted from a Monday (1970-01-05). */
static time_t
first_tick(time_t from, long step)
{
    int64_t align = step % 604800 == 0 ? 4 * 86400 : 0;

    return (time_t)(-floor_div(-((int64_t)from - align), step) * step + align);
}

/* Vertical grid lines, then (after the data) the tick labels: "08:00"
 * below each tick ("08:00:30" for steps under a minute, the date itself
 * for steps of a day or more), and below those the date where the axis
 * starts and wherever the day changes. */
static void
time_axis(struct svg *s, time_t from, time_t to, double top, int labels)
{
    long step = sw_plot_time_step(from, to);
    double bottom = top + SW_PLOT_AREA_H;
    struct tm prev = {0};
    time_t t = first_tick(from, step);

    for (int k = 0; k < MAX_TICKS && t <= to; k++, t += step) {
        double x = coord(sw_plot_x(from, to, t));
        struct tm tm;
        char lab[40];

        if (!labels) {
            put(s,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"" GRID "\"/>\n",
                x, top, x, bottom);
            continue;
        }
        if (!gmtime_r(&t, &tm))
            break;
        if (step >= 86400)
            snprintf(lab, sizeof(lab), "%04d-%02d-%02d", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday);
        else if (step < 60)
            snprintf(lab, sizeof(lab), "%02d:%02d:%02d", tm.tm_hour, tm.tm_min,
                     tm.tm_sec);
        else
            snprintf(lab, sizeof(lab), "%02d:%02d", tm.tm_hour, tm.tm_min);
        put(s,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"" INK "\"/>\n"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
            "class=\"tick\">%s</text>\n",
            x, bottom, x, bottom + 4, x, bottom + 16, lab);
        if (step < 86400 && (k == 0 || tm.tm_yday != prev.tm_yday ||
                             tm.tm_year != prev.tm_year)) {
            /* starts at its tick; ends there near the right edge */
            int end = x > SW_PLOT_RIGHT - 70;

            put(s,
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" "
                "class=\"date\">%04d-%02d-%02d</text>\n",
                x, bottom + 30, end ? "end" : "start", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday);
        }
        prev = tm;
    }
    if (labels)
        put(s,
            "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" "
            "class=\"axis-caption\">UTC</text>\n",
            SW_PLOT_LEFT - 6, bottom + 30);
}

/* ---- the value line ---- */

/* The polyline being written: its first point is held back until a
 * second one comes, so that a lone point becomes a dot, not an invisible
 * one-point polyline. */
struct line {
    struct svg *s;
    const struct sw_plot_panel *p;
    const struct vaxis *a;
    time_t from, to;
    double top;
    size_t n;      /* points in the open segment */
    double x0, y0; /* its first point */
};

static void
line_point(struct line *l, size_t i)
{
    double x = coord(sw_plot_x(l->from, l->to, l->p->pts[i].t));
    double y = coord(value_y(l->a, l->top, l->p->pts[i].v));

    if (l->n == 0) {
        l->x0 = x;
        l->y0 = y;
    } else {
        if (l->n == 1)
            put(l->s, "<polyline points=\"%.1f,%.1f", l->x0, l->y0);
        put(l->s, " %.1f,%.1f", x, y);
    }
    l->n++;
}

static void
line_break(struct line *l)
{
    if (l->n == 1)
        put(l->s,
            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"" SW_PLOT_LINE
            "\" stroke=\"none\"/>\n",
            l->x0, l->y0);
    else if (l->n > 1)
        put(l->s, "\"/>\n");
    l->n = 0;
}

/* series - the value line: one polyline per run of points without a NaN
 * and without a gap in t larger than the period.  With more than two
 * points per pixel column, each column keeps only its minimum and its
 * maximum (in time order), and breaks inside a column are not drawn: a
 * column is the finest the picture can show anyway.  Returns the number of
 * points in range. */
static size_t
series(struct svg *s, const struct sw_plot_panel *p, time_t from, time_t to,
       const struct vaxis *a, double top)
{
    struct line l = {s, p, a, from, to, top, 0, 0, 0};
    int decimate = p->npts > 2 * (size_t)PLOT_W, brk = 0, open = 0;
    size_t ilo = 0, ihi = 0, shown = 0;
    long col = -1;
    time_t prev = 0;

    put(s, "<g class=\"series\" fill=\"none\" stroke=\"" SW_PLOT_LINE
           "\" stroke-width=\"1.5\" stroke-linejoin=\"round\">\n");
    for (size_t i = 0; i < p->npts; i++) {
        const struct sw_plot_point *q = &p->pts[i];
        long c;

        if (q->t < from || q->t >= to)
            continue;
        if (!isfinite(q->v)) {
            brk = 1;
            continue;
        }
        shown++;
        if (open && p->period_s > 0 &&
            (double)q->t - (double)prev > p->period_s)
            brk = 1;
        prev = q->t;
        c = decimate ? (long)(sw_plot_x(from, to, q->t) - SW_PLOT_LEFT)
                     : (long)i;
        if (open && c == col) { /* same column: keep the extremes */
            ilo = q->v < p->pts[ilo].v ? i : ilo;
            ihi = q->v > p->pts[ihi].v ? i : ihi;
            brk = 0;
            continue;
        }
        if (open) { /* the column before, in time order */
            line_point(&l, ilo < ihi ? ilo : ihi);
            if (ilo != ihi)
                line_point(&l, ilo < ihi ? ihi : ilo);
        }
        if (brk)
            line_break(&l);
        brk = 0;
        open = 1;
        col = c;
        ilo = ihi = i;
    }
    if (open) {
        line_point(&l, ilo < ihi ? ilo : ihi);
        if (ilo != ihi)
            line_point(&l, ilo < ihi ? ihi : ilo);
    }
    line_break(&l);
    put(s, "</g>\n");
    return shown;
}

/* ---- a panel ---- */

/* ALARM shaded, INSUFFICIENT_DATA hatched, OK left white. */
static void
spans(struct svg *s, const struct sw_plot_panel *p, time_t from, time_t to,
      double top)
{
    for (size_t i = 0; i < p->nspans; i++) {
        const struct sw_plot_span *sp = &p->spans[i];
        time_t a = sp->start > from ? sp->start : from;
        time_t b = sp->end < to ? sp->end : to;
        double x0, x1;

        if (a >= b || sp->state == SW_STATE_OK)
            continue;
        x0 = coord(sw_plot_x(from, to, a));
        x1 = coord(sw_plot_x(from, to, b));
        put(s,
            "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
            "height=\"%d\" fill=\"%s\"/>\n",
            sp->state == SW_STATE_ALARM ? "alarm" : "insufficient-data", x0,
            top, x1 - x0, SW_PLOT_AREA_H,
            sp->state == SW_STATE_ALARM ? SW_PLOT_ALARM_FILL
                                        : "url(#sw-hatch)");
    }
}

static void
threshold(struct svg *s, const struct sw_plot_panel *p, const struct vaxis *a,
          double top)
{
    char num[64];
    double y;

    if (!isfinite(p->threshold))
        return;
    y = coord(value_y(a, top, p->threshold));
    if (sw_format_double(num, sizeof(num), p->threshold) < 0)
        snprintf(num, sizeof(num), "%.6g", p->threshold);
    /* the label above the line, or below it when the line is at the top;
     * a white halo keeps it readable over the hatching */
    put(s,
        "<g class=\"threshold\">\n"
        "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
        "stroke=\"" SW_PLOT_THRESHOLD
        "\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n"
        "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" "
        "fill=\"" SW_PLOT_THRESHOLD "\" stroke=\"#ffffff\" stroke-width=\"3\" "
        "paint-order=\"stroke\">threshold %s</text>\n</g>\n",
        SW_PLOT_LEFT, y, SW_PLOT_RIGHT, y, SW_PLOT_RIGHT - 4,
        y - top < 14 ? y + 13 : y - 4, num);
}

/* Horizontal grid lines (LABELS 0) or the labels left of the axis. */
static void
value_ticks(struct svg *s, const struct vaxis *a, double top, int labels)
{
    for (int k = 0; k < MAX_TICKS; k++) {
        double v = a->lo + k * a->step, y;
        char lab[64];

        if (v > a->hi + a->step * 1e-6)
            break;
        y = coord(value_y(a, top, v));
        if (!labels) {
            put(s,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
                "stroke=\"" GRID "\"/>\n",
                SW_PLOT_LEFT, y, SW_PLOT_RIGHT, y);
            continue;
        }
        value_label(a, v, lab, sizeof(lab));
        put(s,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
            "stroke=\"" INK "\"/>\n"
            "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" "
            "class=\"tick\">%s</text>\n",
            SW_PLOT_LEFT - 4, y, SW_PLOT_LEFT, y, SW_PLOT_LEFT - 6, y + 4, lab);
    }
}

/* The legend, one row under the time axis: the value line (named after
 * the axis), the threshold, and a swatch for each shaded state. */
static void
legend(struct svg *s, const struct sw_plot_panel *p, double y)
{
    const char *vl = p->value_label ? p->value_label : "value";

    put(s,
        "<g class=\"legend\">\n"
        "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
        "stroke=\"" SW_PLOT_LINE "\" stroke-width=\"1.5\"/>\n"
        "<text x=\"%d\" y=\"%.1f\">",
        SW_PLOT_LEFT, y - 4, SW_PLOT_LEFT + 24, y - 4, SW_PLOT_LEFT + 30, y);
    put_text(s, vl, 60);
    put(s,
        "</text>\n"
        "<line x1=\"560\" y1=\"%.1f\" x2=\"584\" y2=\"%.1f\" "
        "stroke=\"" SW_PLOT_THRESHOLD "\" stroke-width=\"1.5\" "
        "stroke-dasharray=\"6 4\"/>\n"
        "<text x=\"590\" y=\"%.1f\">threshold</text>\n"
        "<rect x=\"700\" y=\"%.1f\" width=\"16\" height=\"11\" "
        "fill=\"" SW_PLOT_ALARM_FILL "\" stroke=\"" INK "\"/>\n"
        "<text x=\"722\" y=\"%.1f\">ALARM</text>\n"
        "<rect x=\"800\" y=\"%.1f\" width=\"16\" height=\"11\" "
        "fill=\"url(#sw-hatch)\" stroke=\"" INK "\"/>\n"
        "<text x=\"822\" y=\"%.1f\">INSUFFICIENT_DATA</text>\n</g>\n",
        y - 4, y - 4, y, y - 10, y, y - 10, y);
}

static void
panel(struct svg *s, const struct sw_plot_panel *p, size_t idx, time_t from,
      time_t to)
{
    double ptop = SW_PLOT_HEADER_H + (double)idx * SW_PLOT_PANEL_H;
    double top = ptop + SW_PLOT_AREA_TOP, mid = top + SW_PLOT_AREA_H / 2.0;
    const char *vl = p->value_label ? p->value_label : "value";
    struct vaxis a;

    value_axis(p, from, to, &a);
    put(s,
        "<g class=\"panel\">\n<text x=\"12\" y=\"%.1f\" font-size=\"14\" "
        "font-weight=\"bold\" class=\"title\">",
        ptop + 16);
    put_text(s, p->title, 0);
    put(s, "</text>\n");
    if (p->subtitle) {
        put(s, "<text x=\"12\" y=\"%.1f\" fill=\"#444444\" class=\"subtitle\">",
            ptop + 32);
        put_text(s, p->subtitle, 0);
        put(s, "</text>\n");
    }
    /* back to front: grid, spans, threshold, line, frame, labels */
    time_axis(s, from, to, top, 0);
    value_ticks(s, &a, top, 0);
    spans(s, p, from, to, top);
    threshold(s, p, &a, top);
    if (series(s, p, from, to, &a, top) == 0) /* above the threshold */
        put(s,
            "<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\" "
            "font-size=\"14\" fill=\"#555555\" class=\"no-data\">no "
            "data</text>\n",
            (SW_PLOT_LEFT + SW_PLOT_RIGHT) / 2, top + SW_PLOT_AREA_H / 4.0);
    put(s,
        "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"none\" "
        "stroke=\"" INK "\"/>\n",
        SW_PLOT_LEFT, top, PLOT_W, SW_PLOT_AREA_H);
    time_axis(s, from, to, top, 1);
    value_ticks(s, &a, top, 1);
    /* the axis label, cut to the height of the axis; whole in a tooltip */
    put(s,
        "<text transform=\"translate(16,%.1f) rotate(-90)\" "
        "text-anchor=\"middle\" class=\"value-label\"><title>",
        mid);
    put_text(s, vl, 0);
    put(s, "</title>");
    put_text(s, vl, 24);
    put(s, "</text>\n");
    legend(s, p, top + SW_PLOT_AREA_H + 52);
    put(s, "</g>\n");
}

int
sw_plot_svg(struct sw_buf *out, const char *title, time_t from, time_t to,
            const struct sw_plot_panel *panels, size_t npanels)
{
    struct svg s = {out, 0};
    size_t start = out->len;
    double h =
        SW_PLOT_HEADER_H + (double)npanels * SW_PLOT_PANEL_H + SW_PLOT_FOOTER_H;
    struct tm a, b;

    if (from >= to || (npanels && !panels) || !gmtime_r(&from, &a) ||
        !gmtime_r(&to, &b)) {
        s.err = SW_EINVAL;
        goto out;
    }
    put(&s,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
        "height=\"%.0f\" viewBox=\"0 0 %d %.0f\" font-family=\"sans-serif\" "
        "font-size=\"" FONT "\" fill=\"" INK "\">\n<title>",
        SW_PLOT_WIDTH, h, SW_PLOT_WIDTH, h);
    put_text(&s, title, 0);
    /* The hatching: grey diagonal lines on nothing, so the grid shows
     * through and white stays white on paper; the line is in the middle
     * of its tile, so that no tile edge cuts it thinner. */
    put(&s,
        "</title>\n<defs>\n<pattern id=\"sw-hatch\" "
        "patternUnits=\"userSpaceOnUse\" width=\"8\" height=\"8\" "
        "patternTransform=\"rotate(45)\">\n<line x1=\"4\" y1=\"0\" x2=\"4\" "
        "y2=\"8\" stroke=\"" SW_PLOT_HATCH "\" stroke-width=\"2\"/>\n"
        "</pattern>\n</defs>\n"
        "<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" "
        "fill=\"#ffffff\"/>\n"
        "<text x=\"12\" y=\"26\" font-size=\"18\" font-weight=\"bold\" "
        "class=\"doc-title\">");
    put_text(&s, title, 0);
    put(&s,
        "</text>\n<text x=\"%d\" y=\"26\" text-anchor=\"end\" "
        "fill=\"#444444\">%04d-%02d-%02d %02d:%02d \xe2\x80\x93 "
        "%04d-%02d-%02d %02d:%02d UTC</text>\n",
        SW_PLOT_RIGHT, a.tm_year + 1900, a.tm_mon + 1, a.tm_mday, a.tm_hour,
        a.tm_min, b.tm_year + 1900, b.tm_mon + 1, b.tm_mday, b.tm_hour,
        b.tm_min);
    for (size_t i = 0; i < npanels; i++)
        panel(&s, &panels[i], i, from, to);
    put(&s, "</svg>\n");
out:
    if (s.err && out->data) { /* give OUT back as it was */
        out->len = start;
        out->data[start] = '\0';
    }
    return s.err;
}

int
sw_plot_sparkline(struct sw_buf *out, const struct sw_plot_point *pts, size_t n,
                  time_t from, time_t to, int width)
{
    static const char *const bars[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                       "\u2585", "\u2586", "\u2587", "\u2588"};
    double *cell = NULL, lo = INFINITY, hi = -INFINITY;
    double range = (double)to - (double)from;
    size_t start = out->len;
    int r = 0;

    if (width <= 0)
        goto out;
    cell = malloc((size_t)width * sizeof(*cell));
    if (!cell) {
        r = SW_ENOMEM;
        goto out;
    }
    for (int k = 0; k < width; k++)
        cell[k] = NAN;
    for (size_t i = 0; from < to && i < n; i++) {
        long k;

        if (pts[i].t < from || pts[i].t >= to || !isfinite(pts[i].v))
            continue;
        k = (long)(((double)pts[i].t - (double)from) * width / range);
        k = k >= width ? width - 1 : k;
        if (isnan(cell[k]) || pts[i].v > cell[k])
            cell[k] = pts[i].v;
    }
    for (int k = 0; k < width; k++)
        if (!isnan(cell[k])) {
            lo = fmin(lo, cell[k]);
            hi = fmax(hi, cell[k]);
        }
    for (int k = 0; k < width && r == 0; k++) {
        size_t b = 0;

        if (isnan(cell[k])) {
            r = sw_buf_addc(out, ' ');
            continue;
        }
        if (hi > lo) /* the spread may overflow: scale each end first */
            b = (size_t)((cell[k] / 2 - lo / 2) / (hi / 2 - lo / 2) * 7.0 +
                         0.5);
        r = sw_buf_adds(out, bars[b > 7 ? 7 : b]);
    }
out:
    if (r && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    free(cell);
    return r;
}
