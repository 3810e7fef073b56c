/* agent/runtime.h - everything a running agent builds from one config.
 *
 * A struct sw_runtime holds the checked configuration and what it needs to
 * run: the AWS client (when metrics come from CloudWatch or a notifier
 * publishes to SNS), the metric source, one notifier per configured
 * notifier plus one SNS notifier per raw topic ARN used as an action, the
 * context that alarm records need (account id, action ARNs), and stream
 * discovery for pattern templates.  A reload builds a second runtime beside
 * the running one and swaps it in only when it built completely.
 * Nothing here touches the network at construction.
 */
#ifndef SW_AGENT_RUNTIME_H
#define SW_AGENT_RUNTIME_H

#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "notifiers/message.h"

struct sw_aws;
struct sw_aws_opts;
struct sw_conf;
struct sw_discover;
struct sw_notifier;
struct sw_rule;
struct sw_shards;
struct sw_source;

struct sw_runtime {
    struct sw_conf *conf;
    struct sw_aws *aws; /* NULL when nothing needs AWS */
    struct sw_source *source;
    struct sw_notifier **notifiers; /* configured ones, then raw ARNs */
    size_t nnotifiers;
    struct sw_message_arn *arns; /* action -> SNS topic ARN */
    size_t narns;
    struct sw_message_ctx msg;
    char account_id[16];          /* from the SNS topic ARNs, or "" */
    struct sw_discover *discover; /* NULL without pattern templates */
    struct sw_shards *shards;     /* shard counts for SHARDS; NULL when no
                                     expression uses it */
    struct sw_rule *watcher;      /* the blind-watcher alarm (agent/watcher.h),
                                     owned */
    /* the alarms of the last sw_runtime_rules(): conf->rules, then the
       ones discovered (owned) */
    const struct sw_rule **rules;
    size_t nrules;
    struct sw_rule **dynamic;
    size_t ndynamic;
    /* the last sw_runtime_rules() could not list the streams and used the
       last good list, or none (`run --once` exits 1, as for a failed fetch) */
    int discover_failed;
    /* ... and had no list at all (the first run after an upgrade, before
       streams.json exists): which alarms exist is unknown, so the state of
       none may be dropped */
    int no_stream_list;
};

/* sw_runtime_load_conf - load and check the config at PATH, every problem
 * printed to stderr as FILE:LINE: message (when the loader has none to
 * print, "PATH: <error>").  Returns 0 and *out: new (sw_conf_free()), or
 * what sw_conf_load() returns.  `plan` and `sync` load theirs here too. */
int sw_runtime_load_conf(const char *path, struct sw_conf **out);

/* sw_runtime_aws_opts - the AWS client's options (aws/client.h) from C's
 * aws section; O's strings are borrowed from C. */
void sw_runtime_aws_opts(const struct sw_conf *c, struct sw_aws_opts *o);

/* sw_runtime_new - load and check the config at PATH (every problem
 * printed to stderr as FILE:LINE: message) and build its runtime.  CANCEL
 * and YIELD (borrowed, may be NULL) are the stop and reload flags the AWS
 * client polls (sw_aws_set_cancel_flag, sw_aws_set_yield_flag).
 * Returns 0 and *out: new (sw_runtime_free()); SW_EPARSE (bad config),
 * or another SW_E* code after logging why. */
int sw_runtime_new(const char *path, volatile sig_atomic_t *cancel,
                   volatile sig_atomic_t *yield, struct sw_runtime **out);
void sw_runtime_free(struct sw_runtime *rt);

/* What `backtest` and `record` change in a runtime. */
struct sw_runtime_opts {
    const struct sw_conf_set *sets; /* `--set` (agent/conf.h) */
    size_t nsets;
    const char *recording; /* datapoints from this file instead of the
                              config's source; NULL: as configured */
};

/* sw_runtime_new_with - sw_runtime_new() with O's changes (O may be
 * NULL). */
int sw_runtime_new_with(const char *path, const struct sw_runtime_opts *o,
                        volatile sig_atomic_t *cancel,
                        volatile sig_atomic_t *yield, struct sw_runtime **out);

/* sw_runtime_rules - refresh RT->rules for a cycle at NOW: the config's
 * alarms plus, for pattern templates, one per matching stream from the
 * (cached) Kinesis stream list.  A discovery failure keeps the last good
 * list, from memory or from state_dir/streams.json (agent/discover), and
 * is logged and noted in RT->discover_failed.  A successful listing that
 * lacks a stream drops the stream's alarms and logs them.  With SAVE (not
 * for --dry-run, which saves nothing) a new listing is written to
 * state_dir/streams.json; a failure to write it is logged.
 * Returns 0 or SW_ENOMEM. */
int sw_runtime_rules(struct sw_runtime *rt, time_t now, int save);

/* sw_runtime_tick_s - how often the loop wakes to evaluate: the config's
 * interval, or 10 s when an alarm has a 10, 20 or 30 s period. */
int sw_runtime_tick_s(const struct sw_runtime *rt);

#endif
