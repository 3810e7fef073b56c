/* bench/store.c - the state store under a fleet's load (a benchmark, not a
 * test).  bench/store builds it against a build directory's libsw.a.
 *
 *   store DIR ALARMS CYCLES [CHANGE_PER_MILLE]
 *
 * Makes ALARMS alarms shaped like bench/run's (a CloudWatch threshold
 * alarm's reason and reason data, 20 values), saves them into DIR (which
 * must not hold a state yet), then runs CYCLES cycles one minute apart as
 * the daemon does: every alarm is evaluated (last_evaluated and one new
 * value, its evaluation range of 5 raised to the 20 `status` draws),
 * CHANGE_PER_MILLE of them (default 10) change state and notify (a new
 * reason, reason data and mark), the watcher is evaluated, and the store
 * is saved.  Then it loads what it saved, as a restart or `status` would.
 *
 * It prints "key value" lines: the save's CPU time and bytes written per
 * cycle (from /proc/self/io's wchar, so every write counts, compactions
 * included), how many saves compacted and how many had nothing to write,
 * the load's CPU time, and the resident size (/proc/self/statm) after the
 * first cycle, after each tenth of the run and at the end, and the peak
 * (ru_maxrss).  Whether the load gave back every alarm is checked.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "agent/store.h"
#include "lib/clock.h"
#include "lib/err.h"

#define T0 1795600800 /* 2026-11-25T10:00:00Z */

static double
cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Bytes this process has passed to write() so far. */
static unsigned long long
wchar(void)
{
    char line[128];
    unsigned long long v = 0;
    FILE *f = fopen("/proc/self/io", "r");

    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "wchar: %llu", &v) == 1)
            break;
    if (f)
        fclose(f);
    return v;
}

static double
rss_mib(void)
{
    long pages = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");

    if (f && fscanf(f, "%ld %ld", &pages, &res) != 2)
        res = 0;
    if (f)
        fclose(f);
    return (double)res * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

static double
peak_mib(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* A state change as the evaluator records one: CloudWatch's reason and
 * reason data for a threshold alarm over five one-minute Sums. */
static int
change(struct sw_alarm_state *a, time_t now, int to_alarm)
{
    char reason[512], data[1024], t[5][SW_TIME_BUF], q[SW_TIME_BUF],
        s[SW_TIME_BUF];
    struct sw_notify_mark *m;
    double v = to_alarm ? 170.0 : 40.0;
    int r;

    for (int i = 0; i < 5; i++)
        sw_time_cw(now - 60 * (i + 1), t[i]);
    snprintf(reason, sizeof(reason),
             "Threshold Crossed: 3 out of the last 5 datapoints [%.1f "
             "(25/11/26 09:59:00), %.1f (25/11/26 09:58:00), %.1f (25/11/26 "
             "09:57:00)] %s greater than the threshold (100.0) (minimum 3 "
             "datapoints for %s transition).",
             v, v - 30, v - 60, to_alarm ? "were" : "were not",
             to_alarm ? "OK -> ALARM" : "ALARM -> OK");
    snprintf(data, sizeof(data),
             "{\"version\":\"1.0\",\"queryDate\":\"%s\",\"startDate\":\"%s\","
             "\"statistic\":\"Sum\",\"period\":60,\"recentDatapoints\":[%.1f,"
             "%.1f,%.1f,%.1f,%.1f],\"threshold\":100.0,\"evaluatedDatapoints\""
             ":[{\"timestamp\":\"%s\",\"value\":%.1f},{\"timestamp\":\"%s\","
             "\"value\":%.1f},{\"timestamp\":\"%s\",\"value\":%.1f},{"
             "\"timestamp\":\"%s\",\"value\":%.1f},{\"timestamp\":\"%s\","
             "\"value\":%.1f}]}",
             sw_time_cw(now, q), sw_time_cw(now - 300, s), v - 120, v - 90,
             v - 60, v - 30, v, t[0], v, t[1], v - 30, t[2], v - 60, t[3],
             v - 90, t[4], v - 120);
    r = sw_store_alarm_set(a, to_alarm ? SW_STATE_ALARM : SW_STATE_OK, now,
                           reason, data);
    sw_store_alarm_clear_marks(a);
    if (r == 0 && (r = sw_store_alarm_mark(a, "console", &m)) == 0)
        m->last = now;
    return r;
}

/* One evaluation: the newest period's value (and, as CloudWatch revises
 * the last period now and then, the one before). */
static int
evaluate(struct sw_alarm_state *a, size_t i, time_t now)
{
    struct sw_datapoint p[2];
    size_t n = 1;

    p[0].ts = now - 60;
    p[0].value = (double)(((i * 7 + (size_t)now / 60 * 3) % 20) * 10);
    p[0].sample_count = 1;
    if (i % 4 == 0) {
        p[1].ts = now - 120;
        p[1].value = p[0].value + 0.5;
        p[1].sample_count = 1;
        n = 2;
    }
    a->last_evaluated = now;
    return sw_store_alarm_add_values(a, p, n, 5);
}

int
main(int argc, char **argv)
{
    struct sw_store *st, *back = NULL;
    struct sw_alarm_state *a, *w;
    char err[512], name[64];
    unsigned long long w0, bytes = 0, bytes_max = 0;
    double c0, save_cpu = 0, save_max = 0, rss_first = 0;
    long nalarms, ncycles, per_mille = 10;
    long compactions = 0, noops = 0;
    int r;

    if (argc < 4 || (nalarms = atol(argv[2])) <= 0 ||
        (ncycles = atol(argv[3])) <= 0) {
        fprintf(stderr, "usage: %s DIR ALARMS CYCLES [CHANGE_PER_MILLE]\n",
                argv[0]);
        return 2;
    }
    if (argc > 4)
        per_mille = atol(argv[4]);
    st = sw_store_new();
    if (!st)
        return 1;
    for (long i = 0; i < nalarms; i++) {
        snprintf(name, sizeof(name), "bench-%05ld-incoming-high", i);
        if (sw_store_ensure(st, name, T0 - 3600, &a) < 0 ||
            change(a, T0 - 1200, i % 3 == 0) < 0)
            return 1;
        for (int k = 20; k > 0; k--)
            if (evaluate(a, (size_t)i, T0 - 60 * k) < 0)
                return 1;
    }
    if (sw_store_watcher(st, "watcher:bench", T0, &w) < 0 ||
        sw_store_save(st, argv[1], err, sizeof(err)) < 0) {
        fprintf(stderr, "save: %s\n", err);
        return 1;
    }
    printf("alarms %ld\ncycles %ld\nchange_per_mille %ld\n", nalarms, ncycles,
           per_mille);
    printf("rss_mib_built %.1f\n", rss_mib());
    for (long c = 1; c <= ncycles; c++) {
        time_t now = T0 + 60 * c;
        char snap_before[64] = "", snap_after[64] = "";
        FILE *f;

        for (size_t i = 0; i < st->n; i++) {
            a = st->alarms[i];
            if (evaluate(a, i, now) < 0)
                return 1;
            if ((long)((i * 7919 + (size_t)c * 104729) % 1000) < per_mille &&
                change(a, now, a->state != SW_STATE_ALARM) < 0)
                return 1;
        }
        w->last_evaluated = now;
        noops += sw_store_unsaved(st) == 0;
        snprintf(name, sizeof(name), "%s/state.json", argv[1]);
        if ((f = fopen(name, "r"))) {
            if (!fgets(snap_before, sizeof(snap_before), f))
                snap_before[0] = '\0';
            fclose(f);
        }
        w0 = wchar();
        c0 = cpu_s();
        r = sw_store_save(st, argv[1], err, sizeof(err));
        c0 = cpu_s() - c0;
        w0 = wchar() - w0;
        if (r < 0) {
            fprintf(stderr, "save: %s\n", err);
            return 1;
        }
        if ((f = fopen(name, "r"))) {
            if (!fgets(snap_after, sizeof(snap_after), f))
                snap_after[0] = '\0';
            fclose(f);
        }
        compactions += strcmp(snap_before, snap_after) != 0;
        save_cpu += c0;
        save_max = c0 > save_max ? c0 : save_max;
        bytes += w0;
        bytes_max = w0 > bytes_max ? w0 : bytes_max;
        if (c == 1)
            rss_first = rss_mib();
        if (ncycles >= 10 && c % (ncycles / 10) == 0)
            printf("rss_mib_cycle_%ld %.1f\n", c, rss_mib());
    }
    printf("rss_mib_first_cycle %.1f\nrss_mib_last_cycle %.1f\n", rss_first,
           rss_mib());
    printf("save_cpu_ms_per_cycle %.3f\nsave_cpu_ms_max %.3f\n",
           save_cpu * 1000 / (double)ncycles, save_max * 1000);
    printf("save_cpu_us_per_alarm %.3f\n",
           save_cpu * 1e6 / (double)ncycles / (double)nalarms);
    printf("bytes_per_cycle %.0f\nbytes_max_cycle %llu\n",
           (double)bytes / (double)ncycles, bytes_max);
    printf("bytes_per_alarm_cycle %.1f\n",
           (double)bytes / (double)ncycles / (double)nalarms);
    printf("compactions %ld\nnothing_to_write %ld\n", compactions, noops);
    c0 = cpu_s();
    r = sw_store_load(argv[1], &back, err, sizeof(err));
    c0 = cpu_s() - c0;
    if (r < 0) {
        fprintf(stderr, "load: %s\n", err);
        return 1;
    }
    printf("load_cpu_ms %.3f\nload_cpu_us_per_alarm %.3f\n", c0 * 1000,
           c0 * 1e6 / (double)nalarms);
    printf("loaded_alarms %zu\nloaded_ok %d\n", back->n,
           back->n == st->n && back->watcher &&
               back->watcher->last_evaluated == w->last_evaluated);
    printf("rss_mib_end %.1f\npeak_rss_mib %.1f\n", rss_mib(), peak_mib());
    sw_store_free(back);
    sw_store_free(st);
    return 0;
}
