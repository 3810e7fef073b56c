/* agent/heartbeat.h - agent.heartbeat_url: a ping after every cycle, for
 * an external dead-man's switch (the healthchecks.io convention).
 *
 * After each completed cycle the agent POSTs a one-line text summary
 * (sw_heartbeat_summary()) to the URL when every fetch succeeded, and to
 * the URL + "/fail" (sw_heartbeat_fail_url()) when one failed, so the
 * switch fires both when the agent is dead or stuck (no ping) and when it
 * is alive but blind (fail pings).
 *
 * A ping never delays a cycle: it runs on its own curl multi handle,
 * which the agent's loop drives in slices (sw_heartbeat_run()) beside the
 * notification dispatcher, with a short timeout.  One ping at a time: a
 * ping still unanswered when the next is due is abandoned.  A failure
 * (refused, timed out, an HTTP status other than 2xx) is logged as one
 * warning and never retried: the next cycle's ping is the retry.
 *
 * The URL is the check's secret (whoever has it can ping): the log shows
 * only scheme://host[:port] (sw_heartbeat_origin()), curl's verbose output
 * is never enabled on these transfers, and an error text of curl's that
 * would quote the path is replaced by a generic one.  TLS is verified
 * against the system store; redirects are not followed; the reply body is
 * read and dropped.
 *
 * struct sw_heartbeat owns its multi handle, the transfer in flight and a
 * copy of the URL it was sent to, so a reload may free the configuration
 * while a ping is in flight.  Single-threaded, like the agent.  Depends on
 * lib/, libcurl, and agent/{cycle,runtime,store} for the report.
 */
#ifndef SW_AGENT_HEARTBEAT_H
#define SW_AGENT_HEARTBEAT_H

#include <signal.h>
#include <stddef.h>

#include "agent/cycle.h"

/* A ping's whole life, and its connection phase. */
#define SW_HEARTBEAT_TIMEOUT_MS         10000
#define SW_HEARTBEAT_CONNECT_TIMEOUT_MS 5000

/* What a cycle tells the switch. */
struct sw_heartbeat_report {
    const char *agent;               /* agent name (sw_conf_agent_name()) */
    const struct sw_cycle_stats *st; /* NULL: no counts (cycle failed) */
    int in_alarm;                    /* alarms in ALARM after the cycle */
    int discover_failed;             /* stream discovery failed */
    int error;                       /* SW_E* that ended the cycle, or 0 */
    long cycle_ms;                   /* how long the cycle took */
};

/* sw_heartbeat_failed - whether REP calls for URL/fail: a fetch or the
 * discovery failed, or the cycle did not complete. */
int sw_heartbeat_failed(const struct sw_heartbeat_report *rep);

/* sw_heartbeat_summary - the ping's body, one line without newline:
 * "streamwatch NAME: 12 alarms evaluated, 0 fetch failures, 2 in ALARM,
 * 0 blind, cycle 0.42 s", with ", discovery failed" and ", cycle failed:
 * REASON" when they apply.  Pure.  Returns its length, or SW_ETOOBIG when
 * BUF (LEN bytes) is too small (BUF then holds a cut line). */
int sw_heartbeat_summary(const struct sw_heartbeat_report *rep, char *buf,
                         size_t len);

/* sw_heartbeat_fail_url - URL with "/fail" added to its path: one
 * trailing '/' of the path is dropped first, and a "?query" or "#fragment"
 * stays after it ("https://h/p/?rid=1" -> "https://h/p/fail?rid=1").
 * Pure.  Returns 0, SW_EINVAL when URL has no "scheme://", or SW_ETOOBIG
 * when BUF (LEN bytes) is too small. */
int sw_heartbeat_fail_url(const char *url, char *buf, size_t len);

/* sw_heartbeat_origin - "scheme://host[:port]" of URL, the part that may
 * be logged (agent.heartbeat_url holds no userinfo: agent/conf checks).
 * Pure.  Returns 0, SW_EINVAL (no "scheme://") or SW_ETOOBIG. */
int sw_heartbeat_origin(const char *url, char *buf, size_t len);

struct sw_heartbeat_opts {
    long timeout_ms;         /* 0: SW_HEARTBEAT_TIMEOUT_MS */
    long connect_timeout_ms; /* 0: SW_HEARTBEAT_CONNECT_TIMEOUT_MS */
};

struct sw_heartbeat_stats {
    unsigned long sent;      /* pings started */
    unsigned long ok;        /* answered 2xx */
    unsigned long failed;    /* refused, timed out, non-2xx */
    unsigned long abandoned; /* dropped unanswered (next ping, stop) */
};

struct sw_heartbeat;
struct sw_runtime;
struct sw_store;

/* sw_heartbeat_new - an idle heartbeat.  O may be NULL (defaults).  While
 * *CANCEL (borrowed, NULL: none; the agent's stop flag) is non-zero,
 * sw_heartbeat_run() returns within 100 ms.  Returns 0 and *OUT (free with
 * sw_heartbeat_free()), SW_ENOMEM or SW_EINTERNAL (curl_multi_init). */
int sw_heartbeat_new(const struct sw_heartbeat_opts *o,
                     volatile sig_atomic_t *cancel, struct sw_heartbeat **out);

/* sw_heartbeat_free - abandon a ping in flight (logged) and free.  NULL
 * is accepted. */
void sw_heartbeat_free(struct sw_heartbeat *hb);

/* sw_heartbeat_send - start a POST of BODY (text/plain) to URL, or to
 * URL/fail when FAILED.  A finished ping not yet reaped is settled first;
 * one still in flight is abandoned (one warning, then debug lines until a
 * ping is answered again).  Does not wait: one non-blocking pass.
 * Returns 0, SW_EINVAL (URL), SW_ENOMEM or SW_EINTERNAL; a failure to
 * start is logged. */
int sw_heartbeat_send(struct sw_heartbeat *hb, const char *url, int failed,
                      const char *body);

/* sw_heartbeat_after_cycle - what the agent calls after a cycle that ran
 * (not one a signal cut short): report on RT's alarms as STORE holds them
 * now, ST (NULL when ERROR, the cycle's SW_E* result, leaves it unset),
 * and CYCLE_MS, to RT's agent.heartbeat_url.  Without that key, or when
 * HB is NULL, nothing happens.  Returns what sw_heartbeat_send() does. */
int sw_heartbeat_after_cycle(struct sw_heartbeat *hb,
                             const struct sw_runtime *rt,
                             const struct sw_store *store,
                             const struct sw_cycle_stats *st, int error,
                             long cycle_ms);

/* sw_heartbeat_run - move the ping in flight along for at most TIMEOUT_MS
 * (0: one non-blocking pass), settling (and logging) it when it finishes.
 * Returns 0 (also when idle), SW_ECANCELED (the cancel flag is set; the
 * ping stays in flight) or SW_EINTERNAL / SW_ENOMEM (curl_multi). */
int sw_heartbeat_run(struct sw_heartbeat *hb, long timeout_ms);

/* sw_heartbeat_in_flight - 1 while a ping is in flight, else 0 (also for
 * NULL). */
int sw_heartbeat_in_flight(const struct sw_heartbeat *hb);

/* sw_heartbeat_abandon - drop the ping in flight, if any, logging WHY
 * ("stopping") at info level. */
void sw_heartbeat_abandon(struct sw_heartbeat *hb, const char *why);

/* sw_heartbeat_stats - the counts since sw_heartbeat_new(). */
void sw_heartbeat_stats(const struct sw_heartbeat *hb,
                        struct sw_heartbeat_stats *out);

#endif
