/* agent/backtest_cmd.c - the `backtest` and `record` commands; see
 * backtest_cmd.h. */
#include "config.h"

#include "agent/backtest_cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "agent/backtest.h"
#include "agent/conf.h"
#include "agent/discover.h"
#include "agent/plot.h"
#include "agent/record.h"
#include "agent/recording.h"
#include "agent/runtime.h"
#include "agent/shards.h"
#include "agent/source.h"
#include "aws/client.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/strv.h"
#include "rules/eval.h"

#define DEFAULT_RANGE_S  86400 /* backtest without --from: the last day */
#define SPARK_WIDTH      60
#define OUTPUT_MAX_BYTES (1024u * 1024 * 1024)

struct opts {
    const char *cmd; /* "backtest" or "record" */
    const char *conf_path;
    const char *from_arg, *to_arg;
    struct sw_strv alarms; /* --alarm */
    const char *data;      /* --data */
    struct sw_conf_set *sets;
    size_t nsets;
    int json;
    const char *plot;   /* --plot */
    const char *output; /* record -o */
    int verbose, quiet;
};

static void
opts_release(struct opts *o)
{
    for (size_t i = 0; i < o->nsets; i++)
        sw_conf_set_release(&o->sets[i]);
    free(o->sets);
    sw_strv_release(&o->alarms);
}

/* T: RFC 3339, "now", or -N followed by s, m, h, d or w (before NOW). */
static int
parse_time(const char *opt, const char *s, time_t now, time_t *out)
{
    static const struct {
        char unit;
        long seconds;
    } units[] = {
        {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
    char *end;
    long n;

    if (strcmp(s, "now") == 0) {
        *out = now;
        return 0;
    }
    if (sw_time_parse_rfc3339(s, out) == 0)
        return 0;
    if (s[0] == '-' && s[1] >= '0' && s[1] <= '9') {
        n = strtol(s + 1, &end, 10);
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
            if (end[0] == units[i].unit && end[1] == '\0' &&
                n <= 500L * 86400 / units[i].seconds) {
                *out = now - (time_t)(n * units[i].seconds);
                return 0;
            }
    }
    fprintf(stderr,
            "streamwatch: %s: '%s' is not a time: write an RFC 3339 time "
            "(2026-11-25T08:00:00Z), 'now', or a time ago (-90m, -36h, "
            "-7d, -2w)\n",
            opt, s);
    return SW_EINVAL;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
    static const struct option lopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"from", required_argument, NULL, 'F'},
        {"to", required_argument, NULL, 'T'},
        {"alarm", required_argument, NULL, 'a'},
        {"data", required_argument, NULL, 'd'},
        {"set", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"plot", required_argument, NULL, 'p'},
        {"output", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    int record = strcmp(o->cmd, "record") == 0;
    char err[512];
    int c;

    optind = 0; /* glibc: start afresh */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:vqo:", lopts, NULL)) != -1) {
        switch (c) {
        case 'c': o->conf_path = optarg; break;
        case 'v': o->verbose++; break;
        case 'q': o->quiet = 1; break;
        case 'F': o->from_arg = optarg; break;
        case 'T': o->to_arg = optarg; break;
        case 'a':
            if (sw_strv_push(&o->alarms, optarg) < 0)
                return SW_ENOMEM;
            break;
        case 'd':
        case 's':
        case 'j':
        case 'p':
            if (record) {
                fprintf(stderr, "streamwatch: record: unknown option '%s'\n",
                        argv[optind - 1]);
                return SW_EINVAL;
            }
            if (c == 'd') {
                o->data = optarg;
            } else if (c == 'j') {
                o->json = 1;
            } else if (c == 'p') {
                o->plot = optarg;
            } else {
                struct sw_conf_set *v =
                    realloc(o->sets, (o->nsets + 1) * sizeof(*v));
                if (!v)
                    return SW_ENOMEM;
                o->sets = v;
                if (sw_conf_set_parse(optarg, &o->sets[o->nsets], err,
                                      sizeof(err)) < 0) {
                    fprintf(stderr, "streamwatch: %s\n", err);
                    return SW_EINVAL;
                }
                o->nsets++;
            }
            break;
        case 'o':
            if (!record) {
                fprintf(stderr, "streamwatch: backtest: -o belongs to "
                                "'record' (backtest writes a picture with "
                                "--plot FILE.svg)\n");
                return SW_EINVAL;
            }
            o->output = optarg;
            break;
        case ':':
            fprintf(stderr, "streamwatch: option '%s' needs a value\n",
                    argv[optind - 1]);
            return SW_EINVAL;
        default:
            fprintf(stderr, "streamwatch: %s: unknown option '%s'\n", o->cmd,
                    argv[optind - 1]);
            return SW_EINVAL;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "streamwatch: %s: unexpected argument '%s'\n", o->cmd,
                argv[optind]);
        return SW_EINVAL;
    }
    if (record && (!o->from_arg || !o->to_arg || !o->output)) {
        fprintf(stderr, "streamwatch: record needs --from T, --to T and "
                        "-o FILE.csv\n");
        return SW_EINVAL;
    }
    if (o->quiet)
        sw_log_set_level(SW_LOG_ERR);
    else if (o->verbose)
        sw_log_set_level(SW_LOG_DEBUG);
    else if (sw_log_get_level() == SW_LOG_INFO)
        /* The cycle logs every change at info: the report shows them. */
        sw_log_set_level(SW_LOG_WARN);
    return 0;
}

/* The alarms --alarm names (all without it), in the config's order. */
static int
select_rules(const struct sw_runtime *rt, const struct sw_strv *names,
             const struct sw_rule ***out, size_t *n)
{
    const struct sw_rule **v;
    size_t k = 0;

    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < names->n; i++) {
        size_t j = 0;

        while (j < rt->nrules && strcmp(rt->rules[j]->name, names->v[i]) != 0)
            j++;
        if (j == rt->nrules) {
            fprintf(stderr,
                    "streamwatch: --alarm '%s': no such alarm in "
                    "%s\n",
                    names->v[i], rt->conf->path);
            return SW_EINVAL;
        }
    }
    v = calloc(rt->nrules ? rt->nrules : 1, sizeof(*v));
    if (!v)
        return SW_ENOMEM;
    for (size_t j = 0; j < rt->nrules; j++) {
        int keep = names->n == 0;

        for (size_t i = 0; i < names->n && !keep; i++)
            keep = strcmp(rt->rules[j]->name, names->v[i]) == 0;
        if (keep)
            v[k++] = rt->rules[j];
    }
    if (k == 0) {
        free(v);
        fprintf(stderr, "streamwatch: %s has no alarms\n", rt->conf->path);
        return SW_EINVAL;
    }
    *out = v;
    *n = k;
    return 0;
}

/* ---- files ---- */

struct blob {
    const char *p;
    size_t n;
};

static int
fill_blob(int fd, void *arg)
{
    const struct blob *b = arg;

    return sw_file_write_all(fd, b->p, b->n);
}

/* PATH ("-": stdout) holds the N bytes P, replaced atomically (mode
 * 0644: a recording or a picture is meant to be shared).  Returns 0, or
 * an SW_E* code with a one-line ERR. */
static int
write_out(const char *path, const char *p, size_t n, char *err, size_t errlen)
{
    struct blob b = {p, n};
    const char *slash = strrchr(path, '/');
    char *dir;
    int r;

    if (strcmp(path, "-") == 0) {
        if (fwrite(p, 1, n, stdout) != n || fflush(stdout) != 0) {
            sw_err_set(err, errlen, "cannot write to stdout");
            return SW_EIO;
        }
        return 0;
    }
    dir = slash ? sw_strndup(path, slash == path ? 1 : (size_t)(slash - path))
                : sw_strdup(".");
    if (!dir)
        return SW_ENOMEM;
    if (!(slash ? slash[1] : path[0])) {
        sw_err_set(err, errlen, "'%s' names a directory, not a file", path);
        free(dir);
        return SW_EINVAL;
    }
    r = sw_file_replace_with(dir, slash ? slash + 1 : path, NULL, 0644,
                             fill_blob, &b, err, errlen);
    free(dir);
    return r;
}

/* ---- the progress bar: stderr, only on a terminal ---- */

struct progress {
    int on;
    const char *what;
    sw_mono_ms last;
    time_t from, to; /* steps */
};

static void
bar(struct progress *p, double frac, const char *tail)
{
    char cells[41];
    int full = (int)(frac * 40 + 0.5);

    for (int i = 0; i < 40; i++)
        cells[i] = i < full ? '#' : '.';
    cells[40] = '\0';
    fprintf(stderr, "\r%-10s [%s] %3d%%  %s\033[K", p->what, cells,
            (int)(frac * 100 + 0.5), tail);
    fflush(stderr);
}

static void
progress_requests(void *arg, size_t done, size_t n)
{
    struct progress *p = arg;
    char tail[64];

    if (!p->on || n == 0)
        return;
    snprintf(tail, sizeof(tail), "%zu/%zu requests", done, n);
    bar(p, (double)done / (double)n, tail);
}

static void
progress_steps(void *arg, time_t t)
{
    struct progress *p = arg;
    sw_mono_ms now = sw_mono_now();
    char when[SW_TIME_BUF];

    if (!p->on || (now - p->last < 100 && t + 60 < p->to))
        return;
    p->last = now;
    bar(p, (double)(t - p->from) / (double)(p->to - p->from),
        sw_time_rfc3339(t, when));
}

static void
progress_end(struct progress *p)
{
    if (p->on)
        fputs("\r\033[K", stderr);
}

/* ---- history ---- */

static int
is_recording(const struct sw_source *s)
{
    time_t a, b;

    return sw_source_recording_span(s, &a, &b) == 0;
}

/* The range: --from / --to, else the recording's span or the last day. */
static int
resolve_range(const struct opts *o, const struct sw_source *src, time_t now,
              time_t *from, time_t *to)
{
    time_t first = 0, last = 0;
    int rec = sw_source_recording_span(src, &first, &last) == 0;

    *to = rec && last ? last + 60 : now - now % 60;
    *from = rec && first ? first : *to - DEFAULT_RANGE_S;
    if (o->to_arg && parse_time("--to", o->to_arg, now, to) < 0)
        return SW_EINVAL;
    if (o->from_arg && parse_time("--from", o->from_arg, now, from) < 0)
        return SW_EINVAL;
    if (!o->from_arg && o->to_arg && !rec)
        *from = *to - DEFAULT_RANGE_S;
    if (*from >= *to) {
        fprintf(stderr, "streamwatch: %s: --from must be before --to\n",
                o->cmd);
        return SW_EINVAL;
    }
    if (*to > now + 60 && !rec) {
        char when[SW_TIME_BUF];
        fprintf(stderr, "streamwatch: %s: --to %s is in the future\n", o->cmd,
                sw_time_rfc3339(*to, when));
        return SW_EINVAL;
    }
    return 0;
}

/* Fetch F (N) from the runtime's source as one batch, with a progress
 * bar; with CHECK_RETENTION each is first held to CloudWatch's
 * retention.  Returns 0, or 1 after saying why on stderr. */
static int
fetch_history(struct sw_runtime *rt, struct sw_fetch *f, size_t n,
              const struct opts *o, volatile sig_atomic_t *stop,
              struct sw_source *mem, int *requests)
{
    struct progress pr = {isatty(2) && !o->quiet, "fetching", 0, 0, 0};
    struct sw_source_batch b;
    time_t now = time(NULL);
    char err[768] = "";
    int r;

    if (!is_recording(rt->source)) {
        for (size_t i = 0; i < n; i++) {
            if (sw_backtest_retention(&f[i].q, now, err, sizeof(err)) < 0) {
                fprintf(stderr, "streamwatch: %s: %s\n", o->cmd, err);
                return 1;
            }
        }
    }
    memset(&b, 0, sizeof(b));
    b.concurrency = rt->conf->agent.concurrency;
    b.stop = stop;
    b.progress = progress_requests;
    b.progress_arg = &pr;
    r = sw_backtest_prefetch(rt->source, f, n, &b, mem, requests, err,
                             sizeof(err));
    progress_end(&pr);
    if (r == SW_ECANCELED) {
        fprintf(stderr, "streamwatch: %s: interrupted\n", o->cmd);
        return 1;
    }
    if (r < 0) {
        fprintf(stderr, "streamwatch: %s: %s\n", o->cmd,
                err[0] ? err : sw_strerror(r));
        return 1;
    }
    return 0;
}

/* ---- reports ---- */

static void
duration(long s, char *out, size_t len)
{
    long d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;

    if (d)
        snprintf(out, len, "%ldd %ldh %ldm", d, h, m);
    else if (h)
        snprintf(out, len, "%ldh %ldm", h, m);
    else if (m)
        snprintf(out, len, "%ldm%s", m, s % 60 ? " " : "");
    else
        out[0] = '\0';
    if (s % 60 || s == 0)
        snprintf(out + strlen(out), len - strlen(out), "%lds", s % 60);
}

/* "IncomingRecords Sum per 60 s > 1000.0, 3 of 5" */
static void
describe(const struct sw_rule *r, char *out, size_t len)
{
    char thr[64];

    if (sw_format_double(thr, sizeof(thr), r->threshold) < 0)
        snprintf(thr, sizeof(thr), "%g", r->threshold);
    if (sw_rule_is_math(r))
        snprintf(out, len, "%s per %d s %s %s, %d of %d", r->expression,
                 r->period_s, sw_cmp_symbol(r->cmp), thr,
                 r->datapoints_to_alarm, r->evaluation_periods);
    else
        snprintf(out, len, "%s %s per %d s %s %s, %d of %d", r->metric, r->stat,
                 r->period_s, sw_cmp_symbol(r->cmp), thr,
                 r->datapoints_to_alarm, r->evaluation_periods);
}

static struct sw_plot_point *
plot_points(const struct sw_backtest_alarm *a)
{
    struct sw_plot_point *v = calloc(a->nseries ? a->nseries : 1, sizeof(*v));

    for (size_t i = 0; v && i < a->nseries; i++) {
        v[i].t = a->series[i].ts;
        v[i].v = a->series[i].value;
    }
    return v;
}

static int
print_text(const struct sw_backtest *b, const char *source)
{
    static const enum sw_state order[] = {SW_STATE_OK, SW_STATE_ALARM,
                                          SW_STATE_INSUFFICIENT_DATA};
    long span = (long)(b->to - b->from);
    char w1[SW_TIME_BUF], w2[SW_TIME_BUF], d[64], desc[1200];
    struct sw_buf spark;

    printf("backtest %s to %s: %d evaluations %s apart, %zu alarm%s, data "
           "from %s\n",
           sw_time_rfc3339(b->from, w1), sw_time_rfc3339(b->to, w2),
           b->evaluations, b->step_s == 60 ? "a minute" : "10 s", b->nalarms,
           b->nalarms == 1 ? "" : "s", source);
    sw_buf_init(&spark, 64 * 1024);
    for (size_t i = 0; i < b->nalarms; i++) {
        const struct sw_backtest_alarm *a = &b->alarms[i];
        struct sw_plot_point *pts = plot_points(a);

        describe(a->rule, desc, sizeof(desc));
        printf("\n%s: %s\n", a->rule->name, desc);
        sw_buf_reset(&spark);
        if (pts && sw_plot_sparkline(&spark, pts, a->nseries, b->from, b->to,
                                     SPARK_WIDTH) == 0)
            printf("  |%s|\n", sw_buf_str(&spark));
        free(pts);
        for (size_t k = 0; k < a->nchanges; k++) {
            const struct sw_backtest_change *c = &a->changes[k];
            printf("  %s  %s -> %s: %s\n", sw_time_rfc3339(c->time, w1),
                   sw_state_name(c->from), sw_state_name(c->to), c->reason);
        }
        if (a->nchanges == 0)
            printf("  no state change: INSUFFICIENT_DATA throughout\n");
        printf("  time in");
        for (size_t s = 0; s < 3; s++) {
            long sec = a->seconds_in[order[s]];
            duration(sec, d, sizeof(d));
            printf("%s %s %s (%.1f%%)", s ? "," : "", sw_state_name(order[s]),
                   d, span ? 100.0 * (double)sec / (double)span : 0.0);
        }
        printf("\n  notifications: %d (%d on state changes, %d reminders)\n",
               a->notifications, a->notifications - a->reminders, a->reminders);
    }
    printf("\n%-32s %8s %14s %14s\n", "alarm", "changes", "time in ALARM",
           "notifications");
    for (size_t i = 0; i < b->nalarms; i++) {
        const struct sw_backtest_alarm *a = &b->alarms[i];
        duration(a->seconds_in[SW_STATE_ALARM], d, sizeof(d));
        printf("%-32s %8zu %14s %14d\n", a->rule->name, a->nchanges, d,
               a->notifications);
    }
    sw_buf_release(&spark);
    return fflush(stdout) == 0 ? 0 : SW_EIO;
}

static int
print_json(const struct sw_backtest *b)
{
    char w[SW_TIME_BUF];
    json_t *root, *alarms;
    char *text = NULL;
    int r = SW_ENOMEM;

    root = json_object();
    alarms = json_array();
    if (!root || !alarms ||
        json_object_set_new(root, "from",
                            json_string(sw_time_rfc3339(b->from, w))) < 0 ||
        json_object_set_new(root, "to",
                            json_string(sw_time_rfc3339(b->to, w))) < 0 ||
        json_object_set(root, "alarms", alarms) < 0)
        goto out;
    for (size_t i = 0; i < b->nalarms; i++) {
        const struct sw_backtest_alarm *a = &b->alarms[i];
        json_t *tr = json_array(), *in = json_object();
        json_t *o = json_pack("{s:s, s:o, s:o, s:i}", "name", a->rule->name,
                              "transitions", tr, "seconds_in", in,
                              "notifications", a->notifications);

        if (!o || json_array_append_new(alarms, o) < 0)
            goto out;
        for (size_t k = 0; k < a->nchanges; k++) {
            const struct sw_backtest_change *c = &a->changes[k];
            if (json_array_append_new(tr,
                                      json_pack("{s:s, s:s, s:s, s:s}", "time",
                                                sw_time_rfc3339(c->time, w),
                                                "from", sw_state_name(c->from),
                                                "to", sw_state_name(c->to),
                                                "reason", c->reason)) < 0)
                goto out;
        }
        if (json_object_set_new(in, "OK",
                                json_integer(a->seconds_in[SW_STATE_OK])) < 0 ||
            json_object_set_new(
                in, "ALARM", json_integer(a->seconds_in[SW_STATE_ALARM])) < 0 ||
            json_object_set_new(
                in, "INSUFFICIENT_DATA",
                json_integer(a->seconds_in[SW_STATE_INSUFFICIENT_DATA])) < 0)
            goto out;
    }
    text = json_dumps(root, JSON_ENSURE_ASCII);
    if (!text)
        goto out;
    r = printf("%s\n", text) < 0 || fflush(stdout) != 0 ? SW_EIO : 0;
out:
    free(text);
    json_decref(alarms);
    json_decref(root);
    return r;
}

/* State spans of A over [FROM, TO) for the picture. */
static struct sw_plot_span *
plot_spans(const struct sw_backtest_alarm *a, time_t from, time_t to, size_t *n)
{
    struct sw_plot_span *v = calloc(a->nchanges + 1, sizeof(*v));
    enum sw_state s = SW_STATE_INSUFFICIENT_DATA;
    time_t t = from;
    size_t k = 0;

    if (!v)
        return NULL;
    for (size_t i = 0; i <= a->nchanges; i++) {
        time_t end = i < a->nchanges ? a->changes[i].time : to;

        if (end > t) {
            v[k].start = t;
            v[k].end = end;
            v[k].state = s;
            k++;
        }
        if (i < a->nchanges) {
            t = end;
            s = a->changes[i].to;
        }
    }
    *n = k;
    return v;
}

static int
write_plot(const struct sw_backtest *b, const char *path, const char *source)
{
    struct sw_plot_panel *panels = calloc(b->nalarms, sizeof(*panels));
    char(*desc)[1200] = calloc(b->nalarms, sizeof(*desc));
    char(*label)[600] = calloc(b->nalarms, sizeof(*label));
    char title[1024], err[512];
    struct sw_buf svg;
    int r = SW_ENOMEM;

    sw_buf_init(&svg, OUTPUT_MAX_BYTES);
    if (!panels || !desc || !label)
        goto out;
    for (size_t i = 0; i < b->nalarms; i++) {
        const struct sw_backtest_alarm *a = &b->alarms[i];
        const struct sw_rule *ru = a->rule;

        describe(ru, desc[i], sizeof(desc[i]));
        if (sw_rule_is_math(ru))
            snprintf(label[i], sizeof(label[i]), "%s", ru->expression);
        else
            snprintf(label[i], sizeof(label[i]), "%s (%s)", ru->metric,
                     ru->stat);
        panels[i].title = ru->name;
        panels[i].subtitle = desc[i];
        panels[i].value_label = label[i];
        panels[i].period_s = ru->period_s;
        panels[i].threshold = ru->threshold;
        panels[i].pts = plot_points(a);
        panels[i].npts = a->nseries;
        panels[i].spans = plot_spans(a, b->from, b->to, &panels[i].nspans);
        if (!panels[i].pts || !panels[i].spans)
            goto out;
    }
    /* The picture writes the range itself, at the top right. */
    snprintf(title, sizeof(title), "streamwatch backtest: %s", source);
    r = sw_plot_svg(&svg, title, b->from, b->to, panels, b->nalarms);
    if (r < 0)
        goto out;
    r = write_out(path, svg.data ? svg.data : "", svg.len, err, sizeof(err));
    if (r < 0)
        fprintf(stderr, "streamwatch: --plot: %s\n", err);
out:
    for (size_t i = 0; panels && i < b->nalarms; i++) {
        free((void *)panels[i].pts);
        free((void *)panels[i].spans);
    }
    free(panels);
    free(desc);
    free(label);
    sw_buf_release(&svg);
    return r;
}

/* ---- the commands ---- */

/* What both commands do first: the options of CMD, the runtime, the alarms
 * chosen and the range.  Returns 0, or 1 after saying why on stderr. */
struct start {
    struct sw_runtime *rt;
    const struct sw_rule **rules;
    size_t nrules;
    time_t from, to;
};

static int
start(const char *cmd, int argc, char **argv, const char *conf_path,
      volatile sig_atomic_t *stop, struct opts *o, struct start *st)
{
    struct sw_runtime_opts ro;

    memset(o, 0, sizeof(*o));
    memset(st, 0, sizeof(*st));
    o->cmd = cmd;
    o->conf_path = conf_path;
    if (parse_opts(argc, argv, o) < 0)
        return 1;
    memset(&ro, 0, sizeof(ro));
    ro.sets = o->sets;
    ro.nsets = o->nsets;
    ro.recording = o->data;
    if (sw_runtime_new_with(o->conf_path, &ro, stop, NULL, &st->rt) < 0 ||
        select_rules(st->rt, &o->alarms, &st->rules, &st->nrules) < 0 ||
        resolve_range(o, st->rt->source, time(NULL), &st->from, &st->to) < 0)
        return 1;
    return 0;
}

static void
start_release(struct opts *o, struct start *st)
{
    free(st->rules);
    sw_runtime_free(st->rt);
    opts_release(o);
}

static const char *
source_name(const struct sw_runtime *rt)
{
    const char *rec = rt->conf->agent.recording;
    const char *slash = rec ? strrchr(rec, '/') : NULL;

    return rec ? (slash ? slash + 1 : rec) : "CloudWatch";
}

/* Where the data came from and the --set variations, for the report's
 * first line and the picture's title, so that two runs side by side say
 * which is which: "week.csv, with threshold=25000". */
static void
run_label(const struct opts *o, const struct sw_runtime *rt, char *out,
          size_t len)
{
    size_t n;

    snprintf(out, len, "%s", source_name(rt));
    for (size_t i = 0; i < o->nsets; i++) {
        const struct sw_conf_set *x = &o->sets[i];

        n = strlen(out);
        snprintf(out + n, len - n, "%s%s%s%s=%s", i ? ", " : ", with ",
                 x->alarm ? x->alarm : "", x->alarm ? "." : "", x->key,
                 x->value);
    }
}

int
sw_backtest_command(int argc, char **argv, const char *conf_path,
                    volatile sig_atomic_t *stop)
{
    struct opts o;
    struct start st;
    struct sw_runtime *rt;
    struct sw_source *mem = NULL;
    struct sw_shards *shards = NULL;
    struct sw_fetch *f = NULL;
    struct sw_backtest b;
    struct sw_backtest_in in;
    struct progress pr = {0, "evaluating", 0, 0, 0};
    size_t nf = 0;
    char err[1024] = "", label[1024];
    int rc = 1, r, cw;

    memset(&b, 0, sizeof(b));
    if (start("backtest", argc, argv, conf_path, stop, &o, &st))
        goto out;
    rt = st.rt;
    memset(&in, 0, sizeof(in));
    cw = !is_recording(rt->source);
    in.source = rt->source;
    if (cw) {
        /* The whole range once, then the steps from memory. */
        if (sw_backtest_fetches(st.rules, st.nrules, st.from, st.to, &f, &nf) <
                0 ||
            sw_source_memory_new(&mem) < 0)
            goto nomem;
        if (fetch_history(rt, f, nf, &o, stop, mem, NULL))
            goto out;
        in.source = mem;
    }
    /* SHARDS: today's count for the whole range (CloudWatch keeps no
     * history of it), asked once per stream. */
    if (rt->shards &&
        sw_shards_new(rt->aws, SW_DISCOVER_MAX_INTERVAL_S, &shards) < 0)
        goto nomem;
    in.rules = st.rules;
    in.nrules = st.nrules;
    in.shards = shards;
    in.notifiers = rt->notifiers;
    in.nnotifiers = rt->nnotifiers;
    in.msg = &rt->msg;
    in.region = rt->aws ? sw_aws_region(rt->aws) : rt->conf->aws.region;
    in.from = st.from;
    in.to = st.to;
    in.stop = stop;
    pr.on = isatty(2) && !o.quiet && !o.json;
    pr.from = st.from;
    pr.to = st.to;
    in.progress = progress_steps;
    in.progress_arg = &pr;
    r = sw_backtest_run(&in, &b, err, sizeof(err));
    progress_end(&pr);
    if (r == SW_ECANCELED) {
        fprintf(stderr, "streamwatch: backtest: interrupted\n");
        goto out;
    }
    if (r < 0) {
        fprintf(stderr, "streamwatch: backtest: %s\n",
                err[0] ? err : sw_strerror(r));
        goto out;
    }
    run_label(&o, rt, label, sizeof(label));
    r = o.json ? print_json(&b) : print_text(&b, label);
    if (r < 0) {
        fprintf(stderr,
                "streamwatch: backtest: cannot write the report: "
                "%s\n",
                sw_strerror(r));
        goto out;
    }
    if (o.plot) {
        if (write_plot(&b, o.plot, label) < 0)
            goto out;
        if (!o.json)
            printf("\npicture: %s\n", o.plot);
    }
    rc = 0;
    goto out;
nomem:
    fprintf(stderr, "streamwatch: backtest: out of memory\n");
out:
    sw_backtest_release(&b);
    sw_backtest_fetches_free(f, nf);
    sw_source_free(mem);
    sw_shards_free(shards);
    start_release(&o, &st);
    return rc;
}

int
sw_record_command(int argc, char **argv, const char *conf_path,
                  volatile sig_atomic_t *stop)
{
    struct opts o;
    struct start st;
    struct sw_fetch *f = NULL;
    struct sw_buf csv;
    size_t nf = 0, skipped = 0, rows = 0;
    time_t from, to;
    char err[512], w1[SW_TIME_BUF], w2[SW_TIME_BUF], comment[1200];
    int rc = 1, requests = 0, r;

    sw_buf_init(&csv, OUTPUT_MAX_BYTES);
    if (start("record", argc, argv, conf_path, stop, &o, &st))
        goto out;
    /* A recording holds whole minutes. */
    from = st.from - st.from % 60;
    to = st.to + (60 - st.to % 60) % 60;
    if (sw_record_fetches(st.rules, st.nrules, from, to, &f, &nf, &skipped) < 0)
        goto nomem;
    if (skipped)
        fprintf(stderr,
                "streamwatch: record: %zu alarm%s with a period under 60 s "
                "left out: a recording holds one row a minute\n",
                skipped, skipped == 1 ? "" : "s");
    if (nf == 0) {
        fprintf(stderr, "streamwatch: record: nothing to record\n");
        goto out;
    }
    if (fetch_history(st.rt, f, nf, &o, stop, NULL, &requests))
        goto out;
    snprintf(comment, sizeof(comment),
             "recorded by streamwatch record from %s, %s to %s\n"
             "for %zu alarm%s of %s",
             source_name(st.rt), sw_time_rfc3339(from, w1),
             sw_time_rfc3339(to, w2), st.nrules - skipped,
             st.nrules - skipped == 1 ? "" : "s", st.rt->conf->path);
    r = sw_record_csv(f, nf, comment, &csv, &rows);
    if (r < 0) {
        fprintf(stderr, "streamwatch: record: %s\n", sw_strerror(r));
        goto out;
    }
    if (write_out(o.output, csv.data ? csv.data : "", csv.len, err,
                  sizeof(err)) < 0) {
        fprintf(stderr, "streamwatch: record: %s\n", err);
        goto out;
    }
    fprintf(stderr,
            "streamwatch: record: %zu rows of %zu series, %d "
            "request%s, written to %s\n",
            rows, nf ? f[nf - 1].series + 1 : 0, requests,
            requests == 1 ? "" : "s", o.output);
    rc = 0;
    goto out;
nomem:
    fprintf(stderr, "streamwatch: record: out of memory\n");
out:
    sw_backtest_fetches_free(f, nf);
    sw_buf_release(&csv);
    start_release(&o, &st);
    return rc;
}
