/* agent/main.c - the streamwatch command line, signals and the agent loop.
 *
 * The only file with mutable globals: the signal flags and the one struct
 * sw_agent.  Signal handlers only set flags; the loop blocks the signals
 * while it works on state and sleeps in ppoll() with them unblocked, so no
 * wakeup is lost (the sshd.c pattern).  SIGHUP builds a new configuration
 * beside the running one and swaps it in only when it is valid (nginx's
 * fallback); SIGTERM/SIGINT finish the cycle, save state and exit 0.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "agent/conf.h"
#include "agent/cycle.h"
#include "agent/recording.h"
#include "agent/sdnotify.h"
#include "agent/source.h"
#include "agent/state.h"
#include "aws/client.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/str.h"
#include "notifiers/log.h"
#include "notifiers/notifier.h"
#include "rules/rule.h"

/* Everything a running agent holds, built from one configuration. */
struct sw_runtime {
    struct sw_conf *conf;
    struct sw_aws *aws; /* NULL when metrics come from a file */
    struct sw_source *source;
    struct sw_notifier **notifiers; /* parallel to conf->notifiers */
};

struct sw_agent {
    const char *conf_path;
    struct sw_runtime *rt;
    struct sw_state_store *state;
};

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;
static volatile int stop_flag; /* stop_requested, as the int the client
                                  and the cycle poll */
static struct sw_agent agent;

static void
on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
    stop_flag = 1;
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
        "\n"
        "options:\n"
        "  -c, --config FILE   configuration file (default $STREAMWATCH_CONFIG"
        " or\n"
        "                      " SW_CONF_DEFAULT_PATH ")\n"
        "  -v, --verbose       more logging (twice: HTTP debug, secrets "
        "redacted)\n"
        "  -q, --quiet         errors only\n"
        "  -h, --help          this help\n"
        "  -V, --version       print the version\n",
        f);
}

static void
runtime_free(struct sw_runtime *rt)
{
    if (!rt)
        return;
    if (rt->notifiers) {
        for (size_t i = 0; rt->conf && i < rt->conf->nnotifiers; i++)
            sw_notifier_free(rt->notifiers[i]);
        free(rt->notifiers);
    }
    sw_source_free(rt->source);
    sw_aws_free(rt->aws);
    sw_conf_free(rt->conf);
    free(rt);
}

/* Load and check the configuration file, printing every problem. */
static int
load_conf(const char *path, struct sw_conf **out)
{
    struct sw_strv errors = {0};
    int r = sw_conf_load(path, out, &errors);

    for (size_t i = 0; i < errors.n; i++)
        fprintf(stderr, "%s\n", errors.v[i]);
    if (r < 0 && errors.n == 0)
        fprintf(stderr, "%s: %s\n", path, sw_strerror(r));
    sw_strv_release(&errors);
    return r;
}

/* Build everything a configuration needs to run: the AWS client or the
 * recording, and the notifiers.  Nothing touches the network yet. */
static int
runtime_new(const char *path, struct sw_runtime **out)
{
    struct sw_runtime *rt = calloc(1, sizeof(*rt));
    char err[512] = "";
    int r;

    *out = NULL;
    if (!rt)
        return SW_ENOMEM;
    r = load_conf(path, &rt->conf);
    if (r < 0)
        goto out;
    if (rt->conf->agent.recording) {
        r = sw_source_recording_new(rt->conf->agent.recording, &rt->source, err,
                                    sizeof(err));
        if (r < 0) {
            sw_log_err("recording: %s", err[0] ? err : sw_strerror(r));
            goto out;
        }
    } else {
        struct sw_aws_opts o;

        memset(&o, 0, sizeof(o));
        o.region = rt->conf->aws.region;
        o.profile = rt->conf->aws.profile;
        o.endpoint = rt->conf->aws.endpoint;
        o.ca_file = rt->conf->aws.ca_file;
        o.connect_timeout_ms = rt->conf->aws.connect_timeout_s * 1000L;
        o.request_timeout_ms = rt->conf->aws.request_timeout_s * 1000L;
        o.max_attempts = rt->conf->aws.max_attempts;
        r = sw_aws_new(&o, &rt->aws, err, sizeof(err));
        if (r < 0) {
            sw_log_err("aws: %s", err[0] ? err : sw_strerror(r));
            goto out;
        }
        sw_aws_set_cancel_flag(rt->aws, &stop_flag);
        r = sw_source_cloudwatch_new(rt->aws, &rt->source);
        if (r < 0)
            goto out;
    }
    rt->notifiers = calloc(rt->conf->nnotifiers ? rt->conf->nnotifiers : 1,
                           sizeof(*rt->notifiers));
    if (!rt->notifiers) {
        r = SW_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < rt->conf->nnotifiers; i++) {
        const struct sw_notifier_conf *nc = &rt->conf->notifiers[i];

        if (nc->type != SW_NOTIFIER_LOG) {
            /* SNS, e-mail, webhooks and Alertmanager arrive with the
             * durable outbox; until then say so once at start. */
            sw_log_warn("notifier '%s': type '%s' is not deliverable by "
                        "this version; its notifications will be logged as "
                        "errors",
                        nc->name, sw_conf_notifier_type_name(nc->type));
            continue;
        }
        r = sw_notifier_log_new(nc->name, nc->path, &rt->notifiers[i]);
        if (r < 0) {
            sw_log_err("notifier '%s': cannot open '%s': %s", nc->name,
                       nc->path, sw_strerror(r));
            goto out;
        }
    }
    *out = rt;
    rt = NULL;
    r = 0;
out:
    runtime_free(rt);
    return r;
}

/* A state.json that cannot be read is set aside, never overwritten: the
 * agent keeps watching from a fresh store and the old file stays for a
 * person to look at. */
static int
load_state(const char *dir, struct sw_state_store **out)
{
    char err[512], from[PATH_MAX], to[PATH_MAX], ts[SW_TIME_BUF];
    int r = sw_state_load(dir, out, err, sizeof(err));

    if (r != SW_EPARSE)
        goto out;
    if ((size_t)snprintf(from, sizeof(from), "%s/%s", dir, SW_STATE_FILE) >=
            sizeof(from) ||
        (size_t)snprintf(to, sizeof(to), "%s/%s.corrupt-%s", dir, SW_STATE_FILE,
                         sw_time_amz(time(NULL), ts)) >= sizeof(to)) {
        r = SW_EINVAL;
        goto out;
    }
    if (rename(from, to) < 0) {
        sw_log_errno("state: %s; cannot move it aside to '%s'", err, to);
        r = SW_EIO;
        goto out;
    }
    sw_log_err("state: %s; moved it to '%s' and started with fresh state", err,
               to);
    *out = sw_state_new();
    r = *out ? 0 : SW_ENOMEM;
    return r;
out:
    if (r < 0 && r != SW_EINVAL)
        sw_log_err("state: %s", err);
    return r;
}

static int
save_state(void)
{
    const struct sw_conf *conf = agent.rt->conf;
    const char **keep = NULL;
    char err[512];
    int r;

    /* Alarms that left the configuration leave the state too, as
     * DeleteAlarms would. */
    keep = calloc(conf->nrules ? conf->nrules : 1, sizeof(*keep));
    if (!keep)
        return SW_ENOMEM;
    for (size_t i = 0; i < conf->nrules; i++)
        keep[i] = conf->rules[i]->name;
    sw_state_prune(agent.state, keep, conf->nrules);
    free(keep);
    r = sw_state_save(agent.state, conf->agent.state_dir, err, sizeof(err));
    if (r < 0)
        sw_log_err("state: %s", err);
    return r;
}

static int
run_cycle(time_t now, int dry_run, struct sw_cycle_stats *st)
{
    struct sw_cycle c;

    memset(&c, 0, sizeof(c));
    c.conf = agent.rt->conf;
    c.source = agent.rt->source;
    c.notifiers = agent.rt->notifiers;
    c.state = agent.state;
    c.region = agent.rt->aws ? sw_aws_region(agent.rt->aws)
                             : agent.rt->conf->aws.region;
    c.dry_run = dry_run;
    c.dry_out = stdout;
    c.stop = &stop_flag;
    return sw_cycle_run(&c, now, st);
}

static void
reload(void)
{
    struct sw_runtime *rt = NULL;

    sw_sdnotify_send("RELOADING=1");
    sw_log_info("received SIGHUP, reloading '%s'", agent.conf_path);
    if (runtime_new(agent.conf_path, &rt) < 0) {
        sw_log_err("reload failed; still running the previous "
                   "configuration");
    } else if (strcmp(rt->conf->agent.state_dir,
                      agent.rt->conf->agent.state_dir) != 0) {
        /* Moving the state directory under a running agent would split an
         * alarm's history in two; it needs a restart. */
        sw_log_err("reload: agent.state_dir changed; restart to move it; "
                   "still running the previous configuration");
        runtime_free(rt);
    } else {
        runtime_free(agent.rt);
        agent.rt = rt;
        sw_log_info("configuration reloaded: %zu alarm%s", rt->conf->nrules,
                    rt->conf->nrules == 1 ? "" : "s");
    }
    sw_sdnotify_send("READY=1");
}

/* Sleep until DEADLINE (wall time) or a signal, with the signals unblocked
 * only inside ppoll so that a signal arriving just before cannot be
 * missed. */
static void
sleep_until(time_t deadline, const sigset_t *waitmask)
{
    while (!stop_requested && !reload_requested) {
        time_t now = time(NULL);
        struct timespec ts;

        if (now >= deadline)
            return;
        ts.tv_sec = deadline - now;
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
    int r, failed = 0;

    r = runtime_new(agent.conf_path, &agent.rt);
    if (r < 0)
        return 1;
    r = load_state(agent.rt->conf->agent.state_dir, &agent.state);
    if (r < 0)
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
        if (!dry_run && save_state() < 0)
            failed = 1;
        if (st.fetch_failures || st.notify_failures)
            failed = 1;
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
    sw_log_info("running: %zu alarm%s every %d s", agent.rt->conf->nrules,
                agent.rt->conf->nrules == 1 ? "" : "s",
                agent.rt->conf->agent.interval_s);
    while (!stop_requested) {
        int interval = agent.rt->conf->agent.interval_s;
        time_t now = time(NULL), next;

        /* Work with the signals unblocked so a SIGTERM during a long
         * request cancels the retries; the handlers only set flags. */
        sigprocmask(SIG_SETMASK, &old, NULL);
        r = run_cycle(now, 0, &st);
        sigprocmask(SIG_BLOCK, &block, NULL);
        if (r == SW_ENOMEM)
            sw_log_err("cycle: out of memory");
        (void)save_state(); /* logged; the next cycle tries again */
        /* Cycles land on interval boundaries of the wall clock (10:05:00,
         * 10:06:00), the minutes at which CloudWatch evaluates. */
        next = (now / interval + 1) * interval;
        sleep_until(next, &old);
        if (reload_requested) {
            reload_requested = 0;
            reload();
        }
    }
    sw_sdnotify_send("STOPPING=1");
    sw_log_info("received stop signal, state saved, exiting");
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (pid_file)
        (void)unlink(pid_file);
    free(pid_file);
    return 0;
}

static int
cmd_check(void)
{
    struct sw_conf *conf = NULL;
    struct sw_buf out;
    int r;

    r = load_conf(agent.conf_path, &conf);
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

/* A sparkline of the recent values, for a terminal. */
static void
sparkline(const struct sw_alarm_state *a, struct sw_buf *out)
{
    static const char *const bars[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                       "\u2585", "\u2586", "\u2587", "\u2588"};
    double lo = 0, hi = 0;
    size_t from = a->nvalues > 20 ? a->nvalues - 20 : 0;

    for (size_t i = from; i < a->nvalues; i++) {
        if (i == from || a->values[i].value < lo)
            lo = a->values[i].value;
        if (i == from || a->values[i].value > hi)
            hi = a->values[i].value;
    }
    for (size_t i = from; i < a->nvalues; i++) {
        size_t k =
            hi > lo
                ? (size_t)((a->values[i].value - lo) / (hi - lo) * 7.0 + 0.5)
                : 0;
        (void)sw_buf_adds(out, bars[k > 7 ? 7 : k]);
    }
}

static int
cmd_status(int json)
{
    struct sw_conf *conf = NULL;
    struct sw_state_store *st = NULL;
    char err[512], b1[SW_TIME_BUF], b2[SW_TIME_BUF];
    json_t *root = NULL, *alarms;
    int r, rc = 1;

    r = load_conf(agent.conf_path, &conf);
    if (r < 0)
        return 1;
    r = sw_state_load(conf->agent.state_dir, &st, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, "streamwatch: %s\n", err);
        goto out;
    }
    root = json_object();
    alarms = json_array();
    if (!root || !alarms || json_object_set_new(root, "alarms", alarms)) {
        json_decref(alarms);
        goto out;
    }
    for (size_t i = 0; i < conf->nrules; i++) {
        const struct sw_rule *rule = conf->rules[i];
        const struct sw_alarm_state *a = sw_state_get(st, rule->name);
        time_t next = 0;

        if (a && a->last_evaluated)
            next = (a->last_evaluated / conf->agent.interval_s + 1) *
                   conf->agent.interval_s;
        if (json) {
            json_t *o = json_object(), *vals = json_array();
            if (!o || !vals) {
                json_decref(o);
                json_decref(vals);
                goto out;
            }
            json_object_set_new(o, "name", json_string(rule->name));
            json_object_set_new(
                o, "state",
                json_string(
                    sw_state_name(a ? a->state : SW_STATE_INSUFFICIENT_DATA)));
            json_object_set_new(o, "since",
                                a ? json_string(sw_time_rfc3339(a->since, b1))
                                  : json_null());
            json_object_set_new(o, "reason",
                                a && a->reason ? json_string(a->reason)
                                               : json_null());
            json_object_set_new(
                o, "last_evaluated",
                a && a->last_evaluated
                    ? json_string(sw_time_rfc3339(a->last_evaluated, b1))
                    : json_null());
            json_object_set_new(o, "next_evaluation",
                                next ? json_string(sw_time_rfc3339(next, b1))
                                     : json_null());
            json_object_set_new(o, "fetch_error",
                                a && a->fetch_error
                                    ? json_string(a->fetch_error)
                                    : json_null());
            json_object_set_new(o, "fetch_failures",
                                json_integer(a ? a->fetch_failures : 0));
            for (size_t k = 0; a && k < a->nvalues; k++) {
                json_t *p = json_pack("[I,f]", (json_int_t)a->values[k].ts,
                                      a->values[k].value);
                if (p)
                    json_array_append_new(vals, p);
            }
            json_object_set_new(o, "values", vals);
            json_array_append_new(alarms, o);
        } else {
            struct sw_buf spark;
            sw_buf_init(&spark, 4096);
            if (a)
                sparkline(a, &spark);
            printf("%-40s %-17s since %s  %s\n", rule->name,
                   sw_state_name(a ? a->state : SW_STATE_INSUFFICIENT_DATA),
                   a ? sw_time_rfc3339(a->since, b1) : "-", sw_buf_str(&spark));
            if (a && a->reason)
                printf("    %s\n", a->reason);
            if (a && a->fetch_error)
                printf("    fetch failing (%d in a row, last %s): %s\n",
                       a->fetch_failures,
                       sw_time_rfc3339(a->last_error_time, b2), a->fetch_error);
            if (next)
                printf("    next evaluation %s\n", sw_time_rfc3339(next, b1));
            sw_buf_release(&spark);
        }
    }
    if (json) {
        char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (!s)
            goto out;
        puts(s);
        free(s);
    }
    rc = 0;
out:
    json_decref(root);
    sw_state_free(st);
    sw_conf_free(conf);
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
        {NULL, 0, NULL, 0},
    };
    const char *cmd = NULL;
    int verbose = 0, quiet = 0, once = 0, dry_run = 0, json = 0;
    int have_now = 0, c, rc;
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
            if (cmd) {
                fprintf(stderr, "streamwatch: unexpected argument '%s'\n",
                        argv[optind]);
                return 1;
            }
            cmd = argv[optind++];
            continue;
        }
        switch (c) {
        case 'c': agent.conf_path = optarg; break;
        case 'v': verbose++; break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("streamwatch %s\n", PACKAGE_VERSION); return 0;
        case 'o': once = 1; break;
        case 'd': dry_run = 1; break;
        case 'j': json = 1; break;
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
    } else if (strcmp(cmd, "plan") == 0 || strcmp(cmd, "sync") == 0 ||
               strcmp(cmd, "backtest") == 0 ||
               strcmp(cmd, "notify-test") == 0) {
        fprintf(stderr, "streamwatch: '%s' is not available in this version\n",
                cmd);
        rc = 1;
    } else {
        fprintf(stderr, "streamwatch: unknown command '%s'\n", cmd);
        usage(stderr);
        rc = 1;
    }
    if (agent.rt)
        runtime_free(agent.rt);
    sw_state_free(agent.state);
    curl_global_cleanup();
    return rc;
}
