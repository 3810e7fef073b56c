/* agent/plot.h - the SVG picture of a backtest, and a terminal sparkline.
 *
 * `streamwatch backtest --plot FILE.svg` replays alarms over a recorded
 * range and draws, per alarm, one panel: the value line (broken where data
 * is missing), the threshold, the periods the alarm spent in ALARM
 * (shaded) and in INSUFFICIENT_DATA (hatched), a UTC time axis and a value
 * axis.  This module only turns numbers into text: pure, no I/O, no clock,
 * no locale (every number is printed with snprintf "%.*f" or integer
 * math, and the agent never calls setlocale(), so "C" rules).  The caller
 * owns every input and the output buffer; nothing here keeps a pointer.
 *
 * The picture is meant to be printed as well as viewed: white background,
 * dark lines, the ALARM shading a light opaque colour (a light grey on a
 * greyscale printer) and the INSUFFICIENT_DATA hatching grey diagonal
 * lines on white, so the two stay apart without colour.
 *
 * Value-axis labels are compact: below 10,000 in absolute value they are
 * plain decimals ("0", "2.5", "8000"); from 10,000 on, every label of the
 * axis takes the SI suffix of the largest one (k, M, G, T, P, E: "12k",
 * "1.5G"); beyond the E range, or with steps below 1e-9, they fall back to
 * "%.3g" ("2e+21").  The threshold itself is labelled exactly, the way
 * CloudWatch's reasons print it ("threshold 1000.0", "threshold 1.5E9").
 */
#ifndef SW_AGENT_PLOT_H
#define SW_AGENT_PLOT_H

#include <stddef.h>
#include <time.h>

#include "lib/buf.h"
#include "rules/rule.h" /* enum sw_state, sw_state_name() */

/* Colours.  The ALARM fill is opaque on purpose: a rendered PNG shows
 * exactly this colour in the middle of an ALARM span (spans are drawn over
 * the grid, under the threshold and the value line). */
#define SW_PLOT_ALARM_FILL "#f6b3b3" /* light red; light grey in print */
#define SW_PLOT_HATCH      "#808080" /* INSUFFICIENT_DATA diagonal lines */
#define SW_PLOT_LINE       "#1f3a93" /* the value line, dark blue */
#define SW_PLOT_THRESHOLD  "#a00000" /* the dashed threshold, dark red */

/* Layout, in SVG user units (= CSS px at 100 %).  The document is
 * SW_PLOT_WIDTH wide and SW_PLOT_HEADER_H + npanels * SW_PLOT_PANEL_H +
 * SW_PLOT_FOOTER_H high.  Panel i (from 0) starts at y = SW_PLOT_HEADER_H
 * + i * SW_PLOT_PANEL_H; its plot area spans x in [SW_PLOT_LEFT,
 * SW_PLOT_RIGHT] (from .. to, see sw_plot_x()) and y in [top +
 * SW_PLOT_AREA_TOP, top + SW_PLOT_AREA_TOP + SW_PLOT_AREA_H]. */
#define SW_PLOT_WIDTH    1000
#define SW_PLOT_HEADER_H 40
#define SW_PLOT_PANEL_H  260
#define SW_PLOT_FOOTER_H 10
#define SW_PLOT_LEFT     80
#define SW_PLOT_RIGHT    980
#define SW_PLOT_AREA_TOP 44
#define SW_PLOT_AREA_H   150

struct sw_plot_point {
    time_t t; /* start of the period */
    double v; /* NaN (or a gap in t larger than the period) breaks the line */
};

/* [start, end), ascending, covering the panel's range. */
struct sw_plot_span {
    time_t start, end;
    enum sw_state state;
};

struct sw_plot_panel {
    const char *title;       /* the alarm name */
    const char *subtitle;    /* e.g. "IncomingRecords Sum per 60 s > 1000.0
                                for 3 of 5"; may be NULL */
    const char *value_label; /* y-axis label, e.g. "IncomingRecords (Sum)"
                                or the expression; may be NULL */
    const struct sw_plot_point *pts; /* ascending t */
    size_t npts;
    int period_s; /* the rule's period, for gap detection */
    double threshold;
    const struct sw_plot_span *spans;
    size_t nspans;
};

/* sw_plot_svg - append a whole SVG document to OUT: TITLE at the top, one
 * panel per alarm stacked vertically, x axis = [from, to) in UTC.  Points
 * and spans outside [from, to) are clipped.  When a panel has more than
 * two points per horizontal pixel, only the minimum and the maximum of
 * each pixel column are drawn (spikes stay visible, a week at 10 s stays
 * under 100 kB a panel).  Returns 0, SW_ENOMEM, SW_ETOOBIG (OUT's cap) or
 * SW_EINVAL (from >= to); on error OUT is left as it was. */
int sw_plot_svg(struct sw_buf *out, const char *title, time_t from, time_t to,
                const struct sw_plot_panel *panels, size_t npanels);

/* sw_plot_sparkline - append a terminal sparkline of the values: WIDTH
 * cells, cell k covering [from + k (to - from) / WIDTH, ...), each the
 * maximum of its points as one of ▁▂▃▄▅▆▇█ scaled between the lowest and
 * the highest cell (all ▁ when they are equal), a space for a cell without
 * a point (or only NaN).  WIDTH <= 0 appends nothing; from >= to appends
 * WIDTH spaces.  Returns 0, SW_ENOMEM or SW_ETOOBIG (OUT's cap). */
int sw_plot_sparkline(struct sw_buf *out, const struct sw_plot_point *pts,
                      size_t n, time_t from, time_t to, int width);

/* sw_plot_x - the x coordinate of T on an axis of [from, to), as the SVG
 * uses it: SW_PLOT_LEFT at from, SW_PLOT_RIGHT at to (from < to). */
double sw_plot_x(time_t from, time_t to, time_t t);

/* sw_plot_time_step - the seconds between two time-axis ticks for [from,
 * to): the smallest of 1, 2, 5, 10, 15, 30 min, 1, 2, 3, 6, 12 h, 1, 2, 7
 * days that gives at most 10 intervals (about 4 to 10 ticks), 10 or 30 s
 * for ranges under 10 min, whole weeks beyond 70 days.  Ticks sit on
 * multiples of the step in UTC (weeks start on Monday). */
long sw_plot_time_step(time_t from, time_t to);

#endif
