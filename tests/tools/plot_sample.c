/* tests/tools/plot_sample.c - write a known two-panel backtest plot, for
 * tests/integration/test_plot_render.py (xmllint, then chromium renders
 * it and the test looks at the pixels).
 *
 *   plot_sample FILE.svg
 *
 * The range is 2026-11-25 08:00 to 14:00 UTC (6 h, so the time axis has a
 * tick every hour and x = 80 + (t - 08:00) / 6 h * 900).  Panel 0,
 * "sample-incoming-high & <friends>", is a minute series: a sine around
 * 600 records with a burst above the threshold 1000 from 10:00 to 11:00,
 * no data from 12:00 to 12:30; INSUFFICIENT_DATA 08:00-08:30, OK, ALARM
 * 10:03-11:03, OK.  Panel 1, "sample-consumer-stalled", is a 10-second
 * series of the whole range (2,160 points, so it is decimated) that is
 * INSUFFICIENT_DATA 12:00-14:00.  Not installed; built with `make check`.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent/plot.h"
#include "lib/buf.h"
#include "lib/err.h"

#define FROM 1795593600 /* 2026-11-25T08:00:00Z */
#define TO   (FROM + 6 * 3600)
#define NA   (6 * 60)
#define NB   (6 * 360)

int
main(int argc, char **argv)
{
    static struct sw_plot_point a[NA], b[NB];
    static const struct sw_plot_span sa[] = {
        {FROM, FROM + 1800, SW_STATE_INSUFFICIENT_DATA},
        {FROM + 1800, FROM + 7380, SW_STATE_OK},
        {FROM + 7380, FROM + 10980, SW_STATE_ALARM},
        {FROM + 10980, TO, SW_STATE_OK},
    };
    static const struct sw_plot_span sb[] = {
        {FROM, FROM + 4 * 3600, SW_STATE_OK},
        {FROM + 4 * 3600, TO, SW_STATE_INSUFFICIENT_DATA},
    };
    struct sw_plot_panel p[2] = {
        {"sample-incoming-high & <friends>",
         "IncomingRecords Sum per 60 s > 1000.0 for 3 of 5",
         "IncomingRecords (Sum)", a, NA, 60, 1000.0, sa, 2 + 2},
        {"sample-consumer-stalled", "w - FILL(r, 0) per 10 s > 50.0 for 1 of 1",
         "w - FILL(r, 0)", b, NB, 10, 50.0, sb, 2},
    };
    struct sw_buf out;
    FILE *f;
    int r;

    if (argc != 2) {
        fprintf(stderr, "usage: plot_sample FILE.svg\n");
        return 2;
    }
    for (int i = 0; i < NA; i++) {
        a[i].t = FROM + i * 60;
        a[i].v = 600 + 200 * sin(i / 20.0);
        if (i >= 120 && i < 180) /* 10:00-11:00 */
            a[i].v += 800;
        if (i >= 240 && i < 270) /* 12:00-12:30 */
            a[i].v = NAN;
    }
    for (int i = 0; i < NB; i++) {
        b[i].t = FROM + i * 10;
        b[i].v = i < 4 * 360 ? (i % 90) : 0;
    }
    sw_buf_init(&out, 4u << 20);
    r = sw_plot_svg(&out, "backtest: sample \"day\"", FROM, TO, p, 2);
    if (r != 0) {
        fprintf(stderr, "plot_sample: %s\n", sw_strerror(r));
        return 1;
    }
    f = fopen(argv[1], "w");
    if (!f || fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0) {
        perror(argv[1]);
        return 1;
    }
    sw_buf_release(&out);
    return 0;
}
