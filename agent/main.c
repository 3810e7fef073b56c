/* agent/main.c - the streamwatch command line, signals and the agent loop.
 *
 * The only file with mutable globals: the signal flags and the one struct
 * sw_agent.  Signal handlers only set flags.  The loop blocks the signals
 * while it works on state and sleeps in ppoll() with them unblocked, so no
 * wakeup is lost (the sshd.c pattern); while notifications or a heartbeat
 * ping are in flight it runs them in short slices instead, with the
 * signals unblocked, and the flags are looked at after each slice.  SIGHUP
 * lets the requests in flight finish, starts no other (no retry, no next
 * alarm), then builds a new runtime beside the running one and swaps it
 * in only when it is valid (nginx's fallback); the cycle it cut short is
 * finished right after.  SIGTERM/SIGINT cancel the cycle at once (requests
 * in flight, backoff sleeps, a credential_process), drop a heartbeat ping
 * in flight, give notifications in flight a few seconds, save state and
 * exit 0 within 5 s.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <expat.h>
#include <jansson.h>
#include <libconfig.h>
#include <openssl/crypto.h>

#include "agent/conf.h"
#include "agent/backtest_cmd.h"
#include "agent/cycle.h"
#include "agent/discover.h"
#include "agent/heartbeat.h"
#include "agent/metrics.h"
#include "agent/runtime.h"
#include "agent/sdnotify.h"
#include "agent/store.h"
#include "agent/sync.h"
#include "agent/status.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/log.h"
#include "lib/str.h"
#include "notifiers/dispatch.h"
#include "notifiers/message.h"
#include "notifiers/notifier.h"
#include "notifiers/outbox.h"
#include "aws/client.h"
#include "rules/rule.h"

/* How long `run --once` and a stopping agent wait for notifications in
 * flight; what is not delivered by then stays in the outbox. */
#define ONCE_DELIVERY_MS 20000
/* SIGTERM ends the agent within 5 s (systemd's patience is longer, but an
 * operator's is not): the cycle and a credential_process are cut at once,
 * then deliveries in flight get this long. */
#define STOP_DELIVERY_MS 3000

struct sw_agent {
    const char *conf_path;
    struct sw_runtime *rt;
    struct sw_store *store;
    struct sw_outbox *outbox;
    struct sw_dispatch *dispatch;
    struct sw_metrics *metrics;     /* agent.metrics_file's counts, or NULL */
    struct sw_heartbeat *heartbeat; /* agent.heartbeat_url's pings */
};

/* Written by the handlers, polled by the cycle, the AWS client and the
 * dispatcher (C guarantees only sig_atomic_t here).  A reload finishes
 * the request in flight and starts nothing new. */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;
static struct sw_agent agent;

static void
on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void
on_hup(int sig)
{
    (void)sig;
    reload_requested = 1;
}

static void
usage(FILE *f)
{
    fputs(
        "usage: streamwatch [-c FILE] [-v|-q] COMMAND [OPTIONS]\n"
        "\n"
        "commands:\n"
        "  run [--once [--now TIME]] [--dry-run]\n"
        "                      evaluate every alarm each agent.interval "
        "seconds\n"
        "                      (--once: one cycle and exit; --now: as if "
        "the clock\n"
        "                      read TIME, RFC 3339 UTC)\n"
        "  check               validate the configuration and print a "
        "summary\n"
        "  status [--json]     each alarm's state, since when, reason, "
        "recent values\n"
        "  notify-test NAME [--state ALARM|OK|INSUFFICIENT_DATA]\n"
        "                      send a sample notification through one "
        "notifier\n"
        "  plan [--prune] [--detailed-exitcode]\n"
        "                      what sync would change in CloudWatch, field "
        "by field\n"
        "  sync [--prune] [--yes]\n"
        "                      apply the plan: PutMetricAlarm, TagResource,\n"
        "                      DeleteAlarms (--prune, owned alarms only)\n"
        "  backtest [--from T] [--to T] [--alarm NAME]... [--data FILE]\n"
        "           [--set [NAME.]KEY=VALUE]... [--json] [--plot FILE.svg]\n"
        "                      what the alarms would have done over past data\n"
        "  record --from T --to T -o FILE.csv [--alarm NAME]...\n"
        "                      write the history the alarms need, as a "
        "recording\n"
        "                      (T: RFC 3339, now, -90m, -36h, -7d, -2w)\n"
        "\n"
        "options:\n"
        "  -c, --config FILE   configuration file (default $STREAMWATCH_CONFIG"
        " or\n"
        "                      " SW_CONF_DEFAULT_PATH ")\n"
        "  -v, --verbose       more logging (twice: HTTP debug, secrets "
        "redacted)\n"
        "  -q, --quiet         errors only\n"
        "  -h, --help          this help\n"
        "  -V, --version       print the version and the libraries' versions\n",
        f);
}

/* The version, and those of the libraries it runs with (the run-time
 * ones where the library can tell), for bug reports. */
static void
print_version(void)
{
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

    printf("streamwatch %s\n", PACKAGE_VERSION);
    printf("  libcurl %s (%s)\n", cv && cv->version ? cv->version : "?",
           cv && cv->ssl_version ? cv->ssl_version : "no TLS");
#ifdef OPENSSL_VERSION_STRING /* OpenSSL 3: "3.0.19" */
    printf("  OpenSSL %s\n", OpenSSL_version(OPENSSL_VERSION_STRING));
#else /* 1.1.1: "OpenSSL 1.1.1w  11 Sep 2023" */
    printf("  %s\n", OpenSSL_version(OPENSSL_VERSION));
#endif
    printf("  libconfig %d.%d.%d\n", LIBCONFIG_VER_MAJOR, LIBCONFIG_VER_MINOR,
           LIBCONFIG_VER_REVISION);
    printf("  jansson %s\n", jansson_version_str());
    printf("  expat %d.%d.%d\n", XML_ExpatVersionInfo().major,
           XML_ExpatVersionInfo().minor, XML_ExpatVersionInfo().micro);
}

static void
agent_release(void)
{
    sw_heartbeat_free(agent.heartbeat);
    agent.heartbeat = NULL;
    sw_dispatch_free(agent.dispatch);
    agent.dispatch = NULL;
    sw_outbox_free(agent.outbox);
    agent.outbox = NULL;
    sw_runtime_free(agent.rt);
    agent.rt = NULL;
    sw_store_free(agent.store);
    agent.store = NULL;
    /* Last: the AWS client and the dispatcher report to it. */
    sw_metrics_free(agent.metrics);
    agent.metrics = NULL;
}

/* A state.json that cannot be read is set aside, never overwritten, for a
 * person to look at.  The agent goes on from state.json.prev, the state
 * before the last save, so alarms keep their states and nothing already
 * sent is sent again; only without a readable one does it start afresh. */
static int
load_state(const char *dir, struct sw_store **out)
{
    char err[512], perr[512], from[PATH_MAX], to[PATH_MAX], ts[SW_TIME_BUF];
    int r = sw_store_load(dir, out, err, sizeof(err)), p;

    if (r != SW_EPARSE)
        goto out;
    if ((size_t)snprintf(from, sizeof(from), "%s/%s", dir, SW_STORE_FILE) >=
            sizeof(from) ||
        (size_t)snprintf(to, sizeof(to), "%s/%s.corrupt-%s", dir, SW_STORE_FILE,
                         sw_time_amz(time(NULL), ts)) >= sizeof(to)) {
        r = SW_EINVAL;
        goto out;
    }
    if (rename(from, to) < 0) {
        sw_log_errno("state: %s; cannot move it aside to '%s'", err, to);
        return SW_EIO;
    }
    p = sw_store_load_file(dir, SW_STORE_PREV_FILE, out, perr, sizeof(perr));
    if (p == 0) {
        sw_log_err("state: %s; moved it to '%s' and went on from the "
                   "previous good state, %s/%s",
                   err, to, dir, SW_STORE_PREV_FILE);
        return 0;
    }
    if (p == SW_ENOMEM)
        return p;
    if (p == SW_ENOENT)
        sw_log_err("state: %s; moved it to '%s' and started with fresh "
                   "state (no previous state file)",
                   err, to);
    else
        sw_log_err("state: %s; moved it to '%s' and started with fresh "
                   "state: the previous one is unreadable too: %s",
                   err, to, perr);
    *out = sw_store_new();
    return *out ? 0 : SW_ENOMEM;
out:
    if (r < 0)
        sw_log_err("state: %s", r == SW_EINVAL ? "path too long" : err);
    return r;
}

static int
save_state(void)
{
    const struct sw_runtime *rt = agent.rt;
    const char **keep;
    char err[512];
    int r;

    /* Alarms that left the configuration leave the state too, as
     * DeleteAlarms would; discovered alarms stay while their stream does.
     * Without any stream list (Kinesis failing on the very first run) the
     * discovered alarms are unknown, not gone: prune nothing. */
    if (!rt->no_stream_list) {
        keep = calloc(rt->nrules ? rt->nrules : 1, sizeof(*keep));
        if (!keep)
            return SW_ENOMEM;
        for (size_t i = 0; i < rt->nrules; i++)
            keep[i] = rt->rules[i]->name;
        sw_store_prune(agent.store, keep, rt->nrules);
        free(keep);
    }
    r = sw_store_save(agent.store, rt->conf->agent.state_dir, err, sizeof(err));
    if (r < 0)
        sw_log_err("state: %s", err);
    return r;
}

/* Notifications whose outbox file could not be written stay in memory
 * (notifiers/outbox.h); try to write them again, and say so while they
 * are not on disk.  Returns how many are still only in memory. */
static size_t
flush_outbox(void)
{
    char err[512] = "";
    int left;

    if (!agent.outbox)
        return 0;
    left = sw_outbox_flush(agent.outbox, err, sizeof(err));
    if (left > 0)
        sw_log_err("outbox: %d notification%s only in memory, not on disk: "
                   "%s; retrying every cycle",
                   left, left == 1 ? "" : "s", err[0] ? err : "write failed");
    return (size_t)(left > 0 ? left : 0);
}

/* The agent refuses to start on a state directory it cannot write: the
 * first alarm would otherwise find out, and its notification with it. */
static int
check_writable(void)
{
    const char *dirs[2];
    char err[512];

    dirs[0] = agent.rt->conf->agent.state_dir;
    dirs[1] = sw_outbox_dir(agent.outbox);
    for (size_t i = 0; i < 2; i++) {
        if (sw_file_check_writable(dirs[i], err, sizeof(err)) < 0) {
            sw_log_err("%s is not writable (%s); refusing to start: state "
                       "and notifications could not be kept",
                       dirs[i], err);
            return SW_EIO;
        }
    }
    return 0;
}

static int
open_delivery(void)
{
    struct sw_dispatch_opts o;
    char err[512] = "";
    int r;

    r = sw_outbox_open(agent.rt->conf->agent.state_dir, 0, &agent.outbox, err,
                       sizeof(err));
    if (r < 0) {
        /* ERR names the outbox path and says why. */
        sw_log_err("%s; refusing to start: notifications could not be kept",
                   err[0] ? err : sw_strerror(r));
        return r;
    }
    /* Each notifier sets its own CA file: one bundle for every transfer
     * would also apply to webhooks on public hosts. */
    memset(&o, 0, sizeof(o));
    o.connect_timeout_ms = agent.rt->conf->aws.connect_timeout_s * 1000L;
    r = sw_dispatch_new(agent.outbox, agent.rt->notifiers, agent.rt->nnotifiers,
                        &o, &agent.dispatch);
    if (r < 0) {
        sw_log_err("dispatch: %s", sw_strerror(r));
        return r;
    }
    sw_dispatch_set_cancel_flag(agent.dispatch, &stop_requested);
    /* Made even without agent.heartbeat_url: a reload may add one. */
    r = sw_heartbeat_new(NULL, &stop_requested, &agent.heartbeat);
    if (r < 0) {
        sw_log_err("heartbeat: %s", sw_strerror(r));
        return r;
    }
    return 0;
}

/* agent.metrics_file: the counts of state_dir/metrics.json, told of every
 * AWS call of the runtime's client and every delivery.  Opened with the
 * first configuration that asks for it, at start or at a reload; called
 * again after each reload for the new client. */
static int
open_metrics(void)
{
    if (!agent.metrics && agent.rt->conf->agent.metrics_file &&
        sw_metrics_open(agent.rt->conf->agent.state_dir, &agent.metrics) < 0) {
        sw_log_err("metrics: out of memory");
        return SW_ENOMEM;
    }
    sw_metrics_attach(agent.metrics, agent.rt->aws, agent.dispatch);
    return 0;
}

/* Best effort: sw_metrics_write() logs its failures, never fatal. */
static void
write_metrics(void)
{
    if (agent.metrics && agent.rt->conf->agent.metrics_file)
        (void)sw_metrics_write(agent.metrics,
                               agent.rt->conf->agent.metrics_file, agent.rt,
                               agent.store, agent.outbox);
}

/* After a cycle that ran (one a signal cut short is finished, and
 * reported, by the next), start the ping to agent.heartbeat_url; the
 * loop's waits drive it while notifications are delivered. */
static void
heartbeat(int r, const struct sw_cycle_stats *st, long cycle_ms)
{
    if (r != SW_ECANCELED)
        (void)sw_heartbeat_after_cycle(agent.heartbeat, agent.rt, agent.store,
                                       st, r < 0 ? r : 0, cycle_ms);
}

/* Move deliveries and the heartbeat along for at most MS.  Each has its
 * own curl multi handle: while both are busy, the dispatcher gets turns
 * of 100 ms and the heartbeat a non-blocking pass after each. */
static int
run_slice(time_t now, long ms)
{
    int hb = sw_heartbeat_in_flight(agent.heartbeat), r = 0;
    time_t due = sw_dispatch_next_due(agent.dispatch);

    if (sw_dispatch_in_flight(agent.dispatch) || (due && due <= now)) {
        r = sw_dispatch_run(agent.dispatch, now, hb && ms > 100 ? 100 : ms);
        ms = 0;
    }
    if (hb && sw_heartbeat_run(agent.heartbeat, ms) == SW_ECANCELED)
        r = SW_ECANCELED;
    return r;
}

/* While a cycle's fetches are in flight: deliveries and the heartbeat
 * move on too (one non-blocking pass), so a slow CloudWatch never holds a
 * notification back.  ARG: the cycle's clock. */
static void
cycle_tick(void *arg)
{
    (void)run_slice(*(const time_t *)arg, 0);
}

static int
run_cycle(time_t now, int dry_run, struct sw_cycle_stats *st)
{
    struct sw_cycle c;
    sw_mono_ms t0 = sw_mono_now();
    int r;

    memset(st, 0, sizeof(*st)); /* the caller reads it whatever happens */
    r = sw_runtime_rules(agent.rt, now, !dry_run);
    if (r < 0)
        return r;
    memset(&c, 0, sizeof(c));
    c.rules = agent.rt->rules;
    c.nrules = agent.rt->nrules;
    c.source = agent.rt->source;
    c.shards = agent.rt->shards;
    c.notifiers = agent.rt->notifiers;
    c.nnotifiers = agent.rt->nnotifiers;
    c.outbox = agent.outbox;
    c.msg = &agent.rt->msg;
    c.store = agent.store;
    /* The resolved region (AWS_REGION, the profile...) when there is a
     * client; a recording-only agent has the config's, if any. */
    c.region = agent.rt->aws ? sw_aws_region(agent.rt->aws)
                             : agent.rt->conf->aws.region;
    c.dry_run = dry_run;
    c.dry_out = stdout;
    c.concurrency = agent.rt->conf->agent.concurrency;
    if (!dry_run) {
        c.tick = cycle_tick;
        c.tick_arg = &now;
    }
    c.stop = &stop_requested;
    c.yield = &reload_requested;
    c.watcher = agent.rt->watcher;
    c.failure_after_s = agent.rt->conf->agent.failure_after_s;
    c.discover_error = sw_discover_failing(agent.rt->discover);
    r = sw_cycle_run(&c, now, st);
    if (!dry_run)
        sw_metrics_cycle(agent.metrics, now, (long)(sw_mono_now() - t0), r, st);
    if (!dry_run)
        heartbeat(r, st, (long)(sw_mono_now() - t0));
    return r;
}

/* Deliver what is due until nothing is in flight and nothing else is due
 * at NOW (the heartbeat included: at most its timeout), or DEADLINE_MS
 * has passed. */
static void
deliver_until_idle(time_t now, long deadline_ms)
{
    sw_mono_ms end = sw_mono_now() + deadline_ms;

    for (;;) {
        time_t due = sw_dispatch_next_due(agent.dispatch);
        sw_mono_ms left = end - sw_mono_now();

        if (left <= 0 || (sw_dispatch_in_flight(agent.dispatch) == 0 &&
                          (due == 0 || due > now) &&
                          !sw_heartbeat_in_flight(agent.heartbeat)))
            return;
        if (run_slice(now, left) == SW_ECANCELED)
            return;
    }
}

static void
reload(void)
{
    struct sw_runtime *rt = NULL;

    sw_sdnotify_send("RELOADING=1");
    sw_log_info("received SIGHUP, reloading '%s'", agent.conf_path);
    if (sw_runtime_new(agent.conf_path, &stop_requested, &reload_requested,
                       &rt) < 0) {
        sw_log_err("reload failed; still running the previous "
                   "configuration");

    } else if (strcmp(rt->conf->agent.state_dir,
                      agent.rt->conf->agent.state_dir) != 0) {
        /* Moving the state directory under a running agent would split an
         * alarm's history (and its outbox) in two; it needs a restart. */
        sw_log_err("reload: agent.state_dir changed; restart to move it; "
                   "still running the previous configuration");
        sw_runtime_free(rt);
    } else {
        /* The dispatcher lets go of the old notifiers (aborting what is in
         * flight, which stays in the outbox) before they are freed. */
        sw_dispatch_set_notifiers(agent.dispatch, rt->notifiers,
                                  rt->nnotifiers);
        sw_runtime_free(agent.rt);
        agent.rt = rt;
        (void)open_metrics(); /* the new AWS client counts too */
        sw_log_info("configuration reloaded: %zu alarm%s", rt->nrules,
                    rt->nrules == 1 ? "" : "s");
    }
    sw_sdnotify_send("READY=1");
}

/* Wait until DEADLINE (wall time), a signal, or the next notification
 * retry: deliveries run in slices with the signals unblocked; idle time is
 * spent in ppoll with them unblocked atomically. */
static void
wait_until(time_t deadline, const sigset_t *block, const sigset_t *waitmask)
{
    while (!stop_requested && !reload_requested) {
        time_t now = time(NULL), due;
        struct timespec ts;

        if (now >= deadline)
            return;
        due = sw_dispatch_next_due(agent.dispatch);
        if (sw_dispatch_in_flight(agent.dispatch) || (due && due <= now) ||
            sw_heartbeat_in_flight(agent.heartbeat)) {
            long ms = (long)(deadline - now) * 1000;
            sigprocmask(SIG_SETMASK, waitmask, NULL);
            (void)run_slice(now, ms > 1000 ? 1000 : ms);
            sigprocmask(SIG_BLOCK, block, NULL);
            continue;
        }
        ts.tv_sec = (due && due < deadline ? due : deadline) - now;
        ts.tv_nsec = 0;
        if (ppoll(NULL, 0, &ts, waitmask) < 0 && errno != EINTR)
            return;
    }
}

/* The pid file is written only when agent.pid_file asks for it: under
 * systemd the agent does not daemonise and needs none.  Best effort, as in
 * redis: a failure is logged, not fatal. */
static void
write_pid_file(const char *path)
{
    char line[32];
    FILE *f;

    if (!path)
        return;
    f = fopen(path, "we");
    if (!f) {
        sw_log_errno("cannot write pid file '%s'", path);
        return;
    }
    snprintf(line, sizeof(line), "%ld\n", (long)getpid());
    if (fputs(line, f) == EOF || fclose(f) == EOF)
        sw_log_errno("cannot write pid file '%s'", path);
}

static int
cmd_run(int once, int dry_run, int have_now, time_t now_arg)
{
    struct sw_cycle_stats st;
    sigset_t block, old;
    char *pid_file = NULL; /* the one written at start, kept over reloads */
    size_t lost;
    int r, failed = 0;

    /* The agent needs no privilege: reading its config and secrets and
     * writing state_dir are all it does, and it parses replies from the
     * network.  Root works, but says so at every start, as sshd does for
     * unsafe settings. */
    if (geteuid() == 0)
        sw_log_warn("running as root: streamwatch needs no privileges; run "
                    "it as its own user (the shipped systemd unit uses "
                    "User=streamwatch)");
    if (sw_runtime_new(agent.conf_path, &stop_requested, &reload_requested,
                       &agent.rt) < 0)
        return 1;
    if (load_state(agent.rt->conf->agent.state_dir, &agent.store) < 0)
        return 1;
    if (!dry_run && (open_delivery() < 0 || check_writable() < 0))
        return 1;
    if (!dry_run && open_metrics() < 0)
        return 1;

    if (once || dry_run) {
        time_t now = have_now ? now_arg : time(NULL);

        r = run_cycle(now, dry_run, &st);
        if (r < 0) {
            /* Canceled by a signal, or out of memory: whatever ran is
             * saved, but the cycle did not complete. */
            sw_log_err("cycle: %s", sw_strerror(r));
            failed = 1;
        }
        if (dry_run)
            return failed;
        if (save_state() < 0)
            failed = 1;
        /* What is due now, including retries from earlier runs whose
         * time has come on this run's clock. */
        deliver_until_idle(now, ONCE_DELIVERY_MS);
        if (st.fetch_failures || st.notify_failures || st.unsaved ||
            agent.rt->discover_failed)
            failed = 1;
        if (flush_outbox() > 0) {
            /* Neither delivered nor on disk: this process is their only
             * copy, and it is about to exit. */
            sw_log_err("outbox: notifications that could neither be "
                       "delivered nor written are lost");
            failed = 1;
        }
        /* After the deliveries, so that they are counted. */
        write_metrics();
        return failed;
    }

    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_file = agent.rt->conf->agent.pid_file
                   ? sw_strdup(agent.rt->conf->agent.pid_file)
                   : NULL;
    write_pid_file(pid_file);
    sw_sdnotify_send("READY=1");
    sw_log_info("running: %zu alarm%s every %d s", agent.rt->nrules,
                agent.rt->nrules == 1 ? "" : "s",
                agent.rt->conf->agent.interval_s);
    while (!stop_requested) {
        int tick = sw_runtime_tick_s(agent.rt);
        time_t now = time(NULL), next;

        /* Work with the signals unblocked so a SIGTERM during a long
         * request cancels the retries; the handlers only set flags. */
        sigprocmask(SIG_SETMASK, &old, NULL);
        r = run_cycle(now, 0, &st);
        sigprocmask(SIG_BLOCK, &block, NULL);
        if (r == SW_ENOMEM)
            sw_log_err("cycle: out of memory");
        /* Cycles land on tick boundaries of the wall clock (10:05:00,
         * 10:06:00), the minutes at which CloudWatch evaluates.  A cycle
         * that ran past the next boundary is said and counted; the next
         * starts at once, at the clock it then reads: one cycle, never a
         * backlog of missed ones. */
        next = (now / tick + 1) * tick;
        if (r != SW_ECANCELED && time(NULL) >= next) {
            sw_log_warn("cycle: took %lld s, more than its %d s interval; "
                        "the next starts at once",
                        (long long)(time(NULL) - now), tick);
            sw_metrics_overrun(agent.metrics);
        }
        /* Both log their failures; the next cycle tries again. */
        (void)flush_outbox();
        (void)save_state();
        write_metrics();
#ifdef HAVE_MALLOC_TRIM
        /* glibc keeps the heap a cycle's peak grew (the config's load, a
         * cycle of notifications) for later; a daemon that idles most of
         * each minute gives it back (about 6 MiB at 1,000 alarms). */
        (void)malloc_trim(0);
#endif
        wait_until(next, &block, &old);
        if (reload_requested) {
            /* A cycle cut short by the reload ran its requests in flight
             * to the end; the next one, right after, picks up the alarms
             * it did not reach. */
            reload_requested = 0;
            reload();
        }
    }
    sw_sdnotify_send("STOPPING=1");
    /* A ping now would only say "alive" about an agent that is not. */
    sw_heartbeat_abandon(agent.heartbeat, "stopping");
    /* Give notifications in flight a moment; the rest stay queued. */
    sigprocmask(SIG_SETMASK, &old, NULL);
    sw_dispatch_set_cancel_flag(agent.dispatch, NULL);
    sw_dispatch_run(agent.dispatch, time(NULL),
                    sw_dispatch_in_flight(agent.dispatch) ? STOP_DELIVERY_MS
                                                          : 0);
    r = save_state();
    lost = flush_outbox();
    write_metrics();
    if (pid_file)
        (void)unlink(pid_file);
    free(pid_file);
    /* Never claim "saved" when it was not: the exit status tells a
     * supervisor that something was lost. */
    if (r < 0 || lost) {
        sw_log_err("received stop signal; exiting with %s%s%s not saved",
                   r < 0 ? "the alarm state" : "", r < 0 && lost ? " and " : "",
                   lost ? "notifications" : "");
        return 1;
    }
    sw_log_info("received stop signal, state saved, exiting");
    return 0;
}

static int
cmd_check(void)
{
    struct sw_conf *conf = NULL;
    struct sw_strv errors = {0};
    struct sw_buf out;
    int r;

    r = sw_conf_load(agent.conf_path, &conf, &errors);
    for (size_t i = 0; i < errors.n; i++)
        fprintf(stderr, "%s\n", errors.v[i]);
    if (r < 0 && errors.n == 0)
        fprintf(stderr, "%s: %s\n", agent.conf_path, sw_strerror(r));
    sw_strv_release(&errors);
    if (r < 0)
        return 1;
    sw_buf_init(&out, 4 * 1024 * 1024);
    r = sw_conf_summary(conf, &out);
    if (r == 0)
        fputs(sw_buf_str(&out), stdout);
    sw_buf_release(&out);
    sw_conf_free(conf);
    return r < 0 ? 1 : 0;
}

static int
cmd_status(int json)
{
    struct sw_conf *conf = NULL;
    struct sw_strv errors = {0};
    int r;

    r = sw_conf_load(agent.conf_path, &conf, &errors);
    for (size_t i = 0; i < errors.n; i++)
        fprintf(stderr, "%s\n", errors.v[i]);
    sw_strv_release(&errors);
    if (r < 0)
        return 1;
    r = sw_status_print(conf, json, stdout);
    sw_conf_free(conf);
    return r < 0 ? 1 : 0;
}

/* The rule a sample notification describes: the first alarm that names
 * the notifier in an action, else the first alarm, else a made-up one. */
static const struct sw_rule *
sample_rule(const struct sw_runtime *rt, const char *name)
{
    for (size_t i = 0; i < rt->nrules; i++) {
        const struct sw_rule *r = rt->rules[i];
        const struct sw_strv *lists[] = {&r->alarm_actions, &r->ok_actions,
                                         &r->insufficient_data_actions};
        for (size_t l = 0; l < 3; l++)
            for (size_t k = 0; k < lists[l]->n; k++)
                if (strcmp(lists[l]->v[k], name) == 0)
                    return r;
    }
    return rt->nrules ? rt->rules[0] : NULL;
}

/* The rule a notify-test message describes when no rule uses the
 * notifier.  Returns: new (sw_rule_free()), or NULL when out of memory. */
static struct sw_rule *
notify_test_rule(void)
{
    struct sw_rule *r = sw_rule_new();

    if (!r || !(r->name = sw_strdup("streamwatch-notify-test")) ||
        !(r->namespace_ = sw_strdup("AWS/Kinesis")) ||
        !(r->metric = sw_strdup("IncomingRecords")) ||
        !(r->stat = sw_strdup("Sum"))) {
        sw_rule_free(r);
        return NULL;
    }
    r->period_s = 60;
    r->evaluation_periods = 1;
    r->datapoints_to_alarm = 1;
    return r;
}

static int
cmd_notify_test(const char *name, const char *state_name)
{
    struct sw_notifier *n = NULL;
    const struct sw_rule *rule;
    struct sw_rule *made = NULL;
    struct sw_alarm_event ev;
    enum sw_state state;
    char err[512] = "", reason[512];
    time_t now = time(NULL);
    json_t *rec = NULL;
    int r, rc = 1;

    if (!name)
        return 1; /* main() checks it; said again for the analyzer */
    if (sw_state_parse(state_name, &state) < 0) {
        fprintf(stderr,
                "streamwatch: --state: '%s' is not ALARM, OK or "
                "INSUFFICIENT_DATA\n",
                state_name);
        return 1;
    }
    if (sw_runtime_new(agent.conf_path, &stop_requested, NULL, &agent.rt) < 0)
        return 1;
    for (size_t i = 0; i < agent.rt->nnotifiers; i++)
        if (strcmp(agent.rt->notifiers[i]->name, name) == 0)
            n = agent.rt->notifiers[i];
    if (!n) {
        fprintf(stderr, "streamwatch: no notifier '%s' in %s\n", name,
                agent.conf_path);
        return 1;
    }
    rule = sample_rule(agent.rt, name);
    if (!rule)
        rule = made = notify_test_rule();
    if (!rule)
        goto out;
    snprintf(reason, sizeof(reason),
             "streamwatch notify-test: a sample %s notification sent by "
             "hand through '%s'; nothing is wrong with the alarm",
             sw_state_name(state), name);
    memset(&ev, 0, sizeof(ev));
    ev.alarm_name = rule->name;
    ev.description = rule->description;
    ev.old_state = state == SW_STATE_ALARM ? SW_STATE_OK : SW_STATE_ALARM;
    ev.new_state = state;
    ev.reason = reason;
    ev.state_change_time = now;
    ev.region = agent.rt->conf->aws.region;
    ev.rule = rule;
    rec = sw_message_record(&ev, &agent.rt->msg);
    if (!rec)
        goto out;
    r = sw_dispatch_deliver_now(NULL, n, rec, now, ONCE_DELIVERY_MS,
                                &stop_requested, err, sizeof(err));
    if (r == SW_DELIVERED) {
        printf("notify-test: '%s' (%s): delivered\n", name,
               sw_notifier_type(n));
        rc = 0;
    } else {
        fprintf(stderr, "streamwatch: notify-test: '%s' (%s): %s: %s\n", name,
                sw_notifier_type(n),
                r == SW_DELIVERY_RETRY       ? "failed, would be retried"
                : r == SW_DELIVERY_PERMANENT ? "failed permanently"
                                             : sw_strerror(r),
                err[0] ? err : "no detail");
    }
out:
    json_decref(rec);
    sw_rule_free(made);
    return rc;
}

int
main(int argc, char **argv)
{
    static const struct option gopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"once", no_argument, NULL, 'o'},
        {"now", required_argument, NULL, 'n'},
        {"dry-run", no_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"state", required_argument, NULL, 's'},
        {"prune", no_argument, NULL, 'P'},
        {"yes", no_argument, NULL, 'y'},
        {"detailed-exitcode", no_argument, NULL, 'D'},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = NULL;
    int verbose = 0, quiet = 0, once = 0, dry_run = 0, json = 0;
    int have_now = 0, c, rc;
    const char *test_state = NULL, *arg = NULL;
    int prune = 0, yes = 0, detailed = 0, sub = 0;
    time_t now_arg = 0;
    struct sigaction sa;
    const char *env;

    env = getenv("STREAMWATCH_CONFIG");
    agent.conf_path = env && *env ? env : SW_CONF_DEFAULT_PATH;

    /* Options may come before or after the command: "streamwatch -c F run
     * --once" and "streamwatch run -c F --once" both work; the first
     * non-option word is the command. */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:c:vqhV", gopts, NULL)) != -1 ||
           optind < argc) {
        if (c == -1) {
            /* notify-test takes one operand, the notifier's name. */
            if (cmd && !arg && strcmp(cmd, "notify-test") == 0) {
                arg = argv[optind++];
                continue;
            }
            if (cmd) {
                fprintf(stderr, "streamwatch: unexpected argument '%s'\n",
                        argv[optind]);
                return 1;
            }
            cmd = argv[optind++];
            /* These two parse their own options (agent/backtest_cmd.c). */
            if (strcmp(cmd, "backtest") == 0 || strcmp(cmd, "record") == 0) {
                sub = optind - 1;
                break;
            }
            continue;
        }
        switch (c) {
        case 'c': agent.conf_path = optarg; break;
        case 'v': verbose++; break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return 0;
        case 'V': print_version(); return 0;
        case 'o': once = 1; break;
        case 'd': dry_run = 1; break;
        case 'j': json = 1; break;
        case 's': test_state = optarg; break;
        case 'P': prune = 1; break;
        case 'y': yes = 1; break;
        case 'D': detailed = 1; break;
        case 'n':
            if (sw_time_parse_rfc3339(optarg, &now_arg) < 0) {
                fprintf(stderr,
                        "streamwatch: --now: '%s' is not an RFC 3339 time "
                        "such as 2026-11-25T10:05:00Z\n",
                        optarg);
                return 1;
            }
            have_now = 1;
            break;
        case ':':
            fprintf(stderr, "streamwatch: option '%s' needs a value\n",
                    argv[optind - 1]);
            return 1;
        default:
            fprintf(stderr, "streamwatch: unknown option '%s'\n",
                    argv[optind - 1]);
            usage(stderr);
            return 1;
        }
    }
    if (!cmd) {
        usage(stderr);
        return 1;
    }
    if (quiet)
        sw_log_set_level(SW_LOG_ERR);
    else if (verbose)
        sw_log_set_level(SW_LOG_DEBUG);

    /* The options each command accepts. */
    if ((once || dry_run || have_now) && strcmp(cmd, "run") != 0) {
        fprintf(stderr, "streamwatch: --once, --now and --dry-run belong to "
                        "'run'\n");
        return 1;
    }
    if (have_now && !once && !dry_run) {
        fprintf(stderr, "streamwatch: --now needs --once or --dry-run\n");
        return 1;
    }
    if (json && strcmp(cmd, "status") != 0) {
        fprintf(stderr, "streamwatch: --json belongs to 'status'\n");
        return 1;
    }
    if (prune && strcmp(cmd, "plan") != 0 && strcmp(cmd, "sync") != 0) {
        fprintf(stderr, "streamwatch: --prune belongs to 'plan' and 'sync'\n");
        return 1;
    }
    if (yes && strcmp(cmd, "sync") != 0) {
        fprintf(stderr, "streamwatch: --yes belongs to 'sync'\n");
        return 1;
    }
    if (detailed && strcmp(cmd, "plan") != 0) {
        fprintf(stderr, "streamwatch: --detailed-exitcode belongs to 'plan'\n");
        return 1;
    }
    if (test_state && strcmp(cmd, "notify-test") != 0) {
        fprintf(stderr, "streamwatch: --state belongs to 'notify-test'\n");
        return 1;
    }
    if (strcmp(cmd, "notify-test") == 0 && !arg) {
        fprintf(stderr, "streamwatch: notify-test needs a notifier name\n");
        return 1;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    umask(027);

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "streamwatch: cannot initialise libcurl\n");
        return 1;
    }
    if (strcmp(cmd, "run") == 0) {
        rc = cmd_run(once, dry_run, have_now, now_arg);
    } else if (strcmp(cmd, "check") == 0) {
        rc = cmd_check();
    } else if (strcmp(cmd, "status") == 0) {
        rc = cmd_status(json);
    } else if (strcmp(cmd, "notify-test") == 0) {
        rc = cmd_notify_test(arg, test_state ? test_state : "ALARM");
    } else if (strcmp(cmd, "plan") == 0 || strcmp(cmd, "sync") == 0) {
        rc = sw_sync_command(agent.conf_path, strcmp(cmd, "sync") == 0, prune,
                             yes, detailed, &stop_requested);
    } else if (sub && strcmp(cmd, "backtest") == 0) {
        rc = sw_backtest_command(argc - sub, argv + sub, agent.conf_path,
                                 &stop_requested);
    } else if (sub && strcmp(cmd, "record") == 0) {
        rc = sw_record_command(argc - sub, argv + sub, agent.conf_path,
                               &stop_requested);
    } else {
        fprintf(stderr, "streamwatch: unknown command '%s'\n", cmd);
        usage(stderr);
        rc = 1;
    }
    agent_release();
    curl_global_cleanup();
    return rc;
}
