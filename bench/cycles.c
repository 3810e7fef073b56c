/* bench/cycles.c - the daemon's cycle, run back to back, and the resident
 * size it settles at (a benchmark, not a test).  bench/cycles builds it
 * against a build directory's libsw.a and runs it against
 * bench/fakelean.py.
 *
 *   cycles CONF CYCLES
 *
 * Builds the runtime from CONF as `streamwatch run` does (sw_runtime_new),
 * loads the state (sw_store_load), opens the outbox and the dispatcher,
 * then runs CYCLES cycles through the daemon's own calls, in its order:
 * sw_runtime_rules, sw_cycle_run (with the dispatcher ticking while
 * fetches are in flight), sw_outbox_flush, sw_store_prune + sw_store_save,
 * and a non-blocking sw_dispatch_run.  The daemon waits for the next tick
 * of the wall clock between cycles (at least 10 s); here the clock is
 * simulated and moves 60 s a cycle with no wait, so 1,000 cycles, 16 hours
 * of the agent's life, take minutes.  No heartbeat and no metrics file:
 * CONF asks for neither.
 *
 * It samples the resident size (VmRSS, its anonymous part RssAnon and the
 * peak VmHWM, from /proc/self/status) and malloc's bytes in use
 * (mallinfo2) after cycle 1, cycle 10 and every tenth of the run, prints
 * them as a table (each row when it is sampled), and ends with a verdict
 * on the RSS: "flat" when the last sample is at most max(5 %, 1 MiB) above
 * the one at the first tenth (cycle 100 of 1,000), after which caches, the
 * connection pool and the store's buffers have reached their size; else
 * "growing".  Everything is freed before exit, so that valgrind's leak
 * check (bench/cycles --valgrind) sees only what was lost.  mallinfo2()
 * counts malloc's main arena and its mmap()ed blocks: not the arenas of
 * other threads (curl's resolver), nor what the libraries map themselves.
 *
 * Exit status: 0 flat, 1 growing, 2 the bench could not run (a bad
 * config, a state it cannot load or save, a cycle that failed).
 */
#include "config.h"

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "agent/conf.h"
#include "agent/cycle.h"
#include "agent/discover.h"
#include "agent/runtime.h"
#include "agent/store.h"
#include "aws/client.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "notifiers/dispatch.h"
#include "notifiers/outbox.h"
#include "rules/rule.h"

#define T0         1795600800 /* 2026-11-25T10:00:00Z, as bench/run's */
#define MAX_SAMPLE 32

/* Never set: the bench is not stopped or reloaded by a signal, but the
 * runtime and the cycle take the daemon's flags. */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;

struct bench {
    struct sw_runtime *rt;
    struct sw_store *store;
    struct sw_outbox *outbox;
    struct sw_dispatch *dispatch;
    time_t now; /* the simulated clock of the cycle running */
};

struct sample {
    long cycle;
    double rss_mib, anon_mib, hwm_mib, heap_mib;
    size_t alarms, outbox;
    double ms;      /* mean wall time of a cycle since the last sample */
    int requests;   /* of the sampled cycle */
    long changes;   /* state changes since the last sample */
    long failures;  /* alarms whose fetch failed, since the last sample */
    long delivered; /* notifications delivered, since the last sample */
};

/* KEY's value in /proc/self/status, in MiB (the file says kB). */
static double
status_mib(const char *key)
{
    char line[256];
    size_t n = strlen(key);
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");

    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, key, n) == 0 && line[n] == ':') {
            kib = strtol(line + n + 1, NULL, 10);
            break;
        }
    if (f)
        fclose(f);
    return kib < 0 ? -1.0 : (double)kib / 1024.0;
}

/* malloc's bytes in use: the heap's share of the RSS, without the pages
 * freed memory still holds (fragmentation) or the libraries' text. */
static double
heap_mib(void)
{
    struct mallinfo2 mi = mallinfo2();

    return (double)(mi.uordblks + mi.hblkhd) / (1024.0 * 1024.0);
}

/* main.c's cycle_tick(): deliveries move on while fetches are in
 * flight, one non-blocking pass. */
static void
tick(void *arg)
{
    struct bench *b = arg;

    (void)sw_dispatch_run(b->dispatch, b->now, 0);
}

/* main.c's open_delivery(), without the heartbeat. */
static int
open_delivery(struct bench *b)
{
    struct sw_dispatch_opts o;
    char err[512] = "";
    int r;

    r = sw_outbox_open(b->rt->conf->agent.state_dir, 0, &b->outbox, err,
                       sizeof(err));
    if (r < 0) {
        fprintf(stderr, "cycles: outbox: %s\n", err[0] ? err : sw_strerror(r));
        return r;
    }
    memset(&o, 0, sizeof(o));
    o.connect_timeout_ms = b->rt->conf->aws.connect_timeout_s * 1000L;
    r = sw_dispatch_new(b->outbox, b->rt->notifiers, b->rt->nnotifiers, &o,
                        &b->dispatch);
    if (r < 0) {
        fprintf(stderr, "cycles: dispatch: %s\n", sw_strerror(r));
        return r;
    }
    sw_dispatch_set_cancel_flag(b->dispatch, &stop_requested);
    return 0;
}

/* main.c's run_cycle(), without metrics and heartbeat. */
static int
run_cycle(struct bench *b, time_t now, struct sw_cycle_stats *st)
{
    struct sw_cycle c;
    int r;

    r = sw_runtime_rules(b->rt, now, 1);
    if (r < 0)
        return r;
    memset(&c, 0, sizeof(c));
    c.rules = b->rt->rules;
    c.nrules = b->rt->nrules;
    c.source = b->rt->source;
    c.shards = b->rt->shards;
    c.notifiers = b->rt->notifiers;
    c.nnotifiers = b->rt->nnotifiers;
    c.outbox = b->outbox;
    c.msg = &b->rt->msg;
    c.store = b->store;
    c.region = b->rt->aws ? sw_aws_region(b->rt->aws) : b->rt->conf->aws.region;
    c.dry_out = stdout;
    c.concurrency = b->rt->conf->agent.concurrency;
    c.tick = tick;
    c.tick_arg = b;
    c.stop = &stop_requested;
    c.yield = &reload_requested;
    c.watcher = b->rt->watcher;
    c.failure_after_s = b->rt->conf->agent.failure_after_s;
    c.discover_error = sw_discover_failing(b->rt->discover);
    return sw_cycle_run(&c, now, st);
}

/* main.c's save_state(): alarms that left the configuration leave the
 * state, then one save. */
static int
save_state(struct bench *b)
{
    const struct sw_runtime *rt = b->rt;
    const char **keep;
    char err[512];
    int r;

    if (!rt->no_stream_list) {
        keep = calloc(rt->nrules ? rt->nrules : 1, sizeof(*keep));
        if (!keep)
            return SW_ENOMEM;
        for (size_t i = 0; i < rt->nrules; i++)
            keep[i] = rt->rules[i]->name;
        sw_store_prune(b->store, keep, rt->nrules);
        free(keep);
    }
    r = sw_store_save(b->store, rt->conf->agent.state_dir, err, sizeof(err));
    if (r < 0)
        fprintf(stderr, "cycles: state: %s\n", err);
    return r;
}

/* The daemon's wait_until() delivers what is due before the next tick;
 * the log notifier delivers without a transfer, so one pass does. */
static void
deliver(struct bench *b, time_t now)
{
    for (int i = 0; i < 100; i++) {
        time_t due;

        (void)sw_dispatch_run(b->dispatch, now, 0);
        due = sw_dispatch_next_due(b->dispatch);
        if (sw_dispatch_in_flight(b->dispatch) == 0 && (due == 0 || due > now))
            return;
    }
}

/* One row as soon as it is sampled, so a long run shows its progress. */
static void
print_row(const struct sample *s)
{
    if (!s) {
        printf("%7s %8s %9s %9s %9s %7s %7s %9s %9s %8s %7s %9s\n", "cycle",
               "RSS MiB", "anon MiB", "peak MiB", "heap MiB", "alarms",
               "outbox", "cycle ms", "requests", "changes", "failed",
               "notified");
    } else {
        printf("%7ld %8.1f %9.1f %9.1f %9.2f %7zu %7zu %9.1f %9d %8ld %7ld "
               "%9ld\n",
               s->cycle, s->rss_mib, s->anon_mib, s->hwm_mib, s->heap_mib,
               s->alarms, s->outbox, s->ms, s->requests, s->changes,
               s->failures, s->delivered);
    }
    fflush(stdout);
}

int
main(int argc, char **argv)
{
    struct bench b;
    struct sample samples[MAX_SAMPLE];
    struct sw_dispatch_stats ds;
    unsigned long delivered0 = 0;
    size_t nsamples = 0;
    long ncycles, step, changes = 0, failures = 0, done_since = 0;
    sw_mono_ms t_since;
    char err[512];
    int rc = 2, r;

    if (argc != 3 || (ncycles = atol(argv[2])) <= 0) {
        fprintf(stderr, "usage: %s CONF CYCLES\n", argv[0]);
        return 2;
    }
    memset(&b, 0, sizeof(b));
    sw_log_set_level(SW_LOG_ERR);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 2;
    if (sw_runtime_new(argv[1], &stop_requested, &reload_requested, &b.rt) < 0)
        goto out;
    r = sw_store_load(b.rt->conf->agent.state_dir, &b.store, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, "cycles: state: %s\n", err);
        goto out;
    }
    if (open_delivery(&b) < 0)
        goto out;
    /* Cycle 1, cycle 10, then every tenth of the run. */
    step = ncycles >= 10 ? ncycles / 10 : 1;
    print_row(NULL);
    t_since = sw_mono_now();
    for (long k = 1; k <= ncycles; k++) {
        struct sw_cycle_stats st;
        time_t now = (time_t)T0 + 60 * k;

        b.now = now;
        r = run_cycle(&b, now, &st);
        if (r < 0) {
            fprintf(stderr, "cycles: cycle %ld: %s\n", k, sw_strerror(r));
            goto out;
        }
        changes += st.transitions;
        failures += st.fetch_failures;
        done_since++;
        if (sw_outbox_flush(b.outbox, err, sizeof(err)) > 0) {
            fprintf(stderr, "cycles: outbox: %s\n", err);
            goto out;
        }
        if (save_state(&b) < 0)
            goto out;
        deliver(&b, now);
        if ((k == 1 || k == 10 || k % step == 0 || k == ncycles) &&
            nsamples < MAX_SAMPLE) {
            struct sample *s = &samples[nsamples++];

            sw_dispatch_stats(b.dispatch, &ds);
            s->cycle = k;
            s->rss_mib = status_mib("VmRSS");
            s->anon_mib = status_mib("RssAnon");
            s->hwm_mib = status_mib("VmHWM");
            s->heap_mib = heap_mib();
            s->alarms = b.store->n;
            s->outbox = sw_outbox_len(b.outbox);
            s->ms = (double)(sw_mono_now() - t_since) / (double)done_since;
            s->requests = st.requests;
            s->changes = changes;
            s->failures = failures;
            s->delivered = (long)(ds.delivered - delivered0);
            delivered0 = ds.delivered;
            changes = failures = done_since = 0;
            print_row(s);
            t_since = sw_mono_now();
        }
    }
    rc = 0;
    /* The verdict: the last sample against the one at the first tenth. */
    for (size_t i = 0; i < nsamples; i++) {
        double base = samples[i].rss_mib, last = samples[nsamples - 1].rss_mib;
        double tol = base * 0.05 > 1.0 ? base * 0.05 : 1.0;

        if (samples[i].cycle != step || step == ncycles)
            continue;
        printf("RSS after cycle %ld: %.1f MiB; after cycle %ld: %.1f MiB "
               "(%+.1f MiB, %+.1f %%; allowed +%.1f MiB)\n",
               step, base, ncycles, last, last - base,
               100.0 * (last - base) / base, tol);
        rc = last - base <= tol ? 0 : 1;
        printf("verdict: %s\n", rc == 0 ? "flat" : "growing");
    }
out:
    sw_dispatch_free(b.dispatch);
    sw_outbox_free(b.outbox);
    sw_runtime_free(b.rt);
    sw_store_free(b.store);
    curl_global_cleanup();
    return rc;
}
