/* notifiers/notifier.h - the interface every notifier type implements (v2).
 *
 * A notifier delivers one notification record to one destination: a log
 * file, an SNS topic, an SMTP server, a webhook, Alertmanager.  It never
 * sends on its own: the dispatcher (notifiers/dispatch) takes a record out
 * of the outbox (notifiers/outbox), hands the notifier a fresh curl easy
 * handle to set up (prepare), runs the transfer on its curl_multi, and asks
 * the notifier to classify the result (done).  Splitting the work this way
 * lets deliveries to different destinations overlap in one thread, and
 * keeps retries, backoff and durability in one place.
 *
 * The record is a JSON object built by notifiers/message from one alarm
 * event: {"alarm": {the CloudWatch alarm JSON, docs/aws-wire.md section
 * 7}, "streamwatch": {"rule", "stream", "repeat", "window_end", "labels",
 * "namespace", "metric", "state_reason_data", "console_url", "region"}}.  It is
 * stored in the outbox as is, so everything a notifier renders must come from
 * it (and from the notifier's own settings), never from live agent state.
 *
 * Each type provides a constructor (sw_notifier_<type>_new) taking plain
 * arguments or a small opts struct from its own header; agent/ wires the
 * config to the constructors and never looks inside a notifier.
 *
 * Depends on lib/ (SHA-256 from lib/hash), rules/rule.h and cwrender.h,
 * libcurl and jansson; not on agent/.
 */
#ifndef SW_NOTIFIERS_NOTIFIER_H
#define SW_NOTIFIERS_NOTIFIER_H

#include <curl/curl.h>
#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "rules/rule.h"

enum sw_delivery {
    SW_DELIVERED = 0,
    SW_DELIVERY_RETRY = 1,
    SW_DELIVERY_PERMANENT = 2
};

/* prepare() delivered already (no transfer needed) */
#define SW_PREPARED_SYNC 1

struct sw_notifier;

struct sw_notifier_ops {
    const char *type; /* "log" "sns" "email" "webhook" "alertmanager" */
    /* prepare - set up EASY to deliver REC (borrowed; valid until
     * ctx_free).  EASY is a fresh handle from the dispatcher with
     * CURLOPT_NOSIGNAL, connect/total timeouts, CURLOPT_PROTOCOLS already
     * set; the notifier sets URL, method, headers, body / SMTP options
     * and keeps what it allocates in *CTX.  NOW = the agent's clock
     * (honours --now) for timestamps in payloads.  Returns 0 (transfer
     * ready), SW_PREPARED_SYNC (delivered without a transfer, e.g. log),
     * or an SW_E* code with ERR set: SW_EINVAL/SW_EPARSE = permanent,
     * anything else = retry.  A non-NULL *CTX is passed to ctx_free
     * whatever prepare returned, after the easy handle is cleaned up. */
    int (*prepare)(struct sw_notifier *n, const json_t *rec, time_t now,
                   CURL *easy, void **ctx, char *err, size_t errlen);
    /* done - classify a finished transfer: CC = curl result, STATUS =
     * CURLINFO_RESPONSE_CODE (HTTP status or last SMTP code), BODY =
     * reply body (capped at 64 KiB, may be empty).  Returns enum
     * sw_delivery; ERR says why when not delivered (one line, no
     * secrets). */
    int (*done)(struct sw_notifier *n, void *ctx, CURLcode cc, long status,
                const char *body, size_t body_len, char *err, size_t errlen);
    void (*ctx_free)(void *ctx); /* NULL ok; wipes secrets it held */
    /* free - release everything, including the name (see
     * sw_notifier_base_release()). */
    void (*free)(struct sw_notifier *n);
};

/* Embedded first in each type's own struct. */
struct sw_notifier {
    const struct sw_notifier_ops *ops;
    char *name;            /* owned: the config's notifier name */
    int max_age_s;         /* outbox expiry; 0 = never expire */
    int repeat_interval_s; /* default for rules; 0 = off */
};

/* One alarm event, the input of notifiers/message (which turns it into a
 * record).  Every pointer is borrowed for the duration of that call. */
struct sw_alarm_event {
    const char *alarm_name;
    const char *description; /* AlarmDescription, NULL when none */
    enum sw_state old_state;
    enum sw_state new_state;
    const char *reason;         /* NewStateReason */
    const char *reason_data;    /* StateReasonData JSON text, or NULL */
    time_t state_change_time;   /* wall clock: StateChangeTime */
    time_t window_end;          /* the END of the evaluated window
                                 * (sw_eval_window(), aligned to the period)
                                 * of the cycle that sends this: the same in
                                 * every agent evaluating that period, so it,
                                 * not state_change_time, goes into the
                                 * dedup id; 0: unknown (notify-test) */
    const char *region;         /* region code "ap-northeast-1", or NULL */
    const char *account_id;     /* AWSAccountId, NULL when unknown */
    int repeat;                 /* 0: a state change; N > 0: the Nth
                                 * repeat_interval reminder (the state did
                                 * not change) */
    const struct sw_rule *rule; /* the alarm's rule: the Trigger */
};

/* sw_notifier_base_init - set OPS and a copy of NAME, max_age_s = 86400,
 * repeat_interval_s = 0; for constructors (which may change the two
 * numbers afterwards).  Returns 0 or SW_ENOMEM. */
int sw_notifier_base_init(struct sw_notifier *n,
                          const struct sw_notifier_ops *ops, const char *name);
/* sw_notifier_base_release - free what sw_notifier_base_init() set. */
void sw_notifier_base_release(struct sw_notifier *n);

/* sw_notifier_free - N->ops->free(N); NULL is accepted. */
void sw_notifier_free(struct sw_notifier *n);

/* Returns: borrowed, valid until sw_notifier_free(). */
const char *sw_notifier_name(const struct sw_notifier *n);
/* Returns: static. */
const char *sw_notifier_type(const struct sw_notifier *n);

/* sw_notifier_cw_statistic - the Trigger's "Statistic" as CloudWatch's
 * messages spell it: "SUM", "AVERAGE", "MINIMUM", "MAXIMUM",
 * "SAMPLE_COUNT"; NULL for a percentile, which goes in
 * "ExtendedStatistic" as written ("p99").  Returns: static or NULL. */
const char *sw_notifier_cw_statistic(const char *stat);

/* sw_notifier_alarm_name - REC's alarm.AlarmName for log lines, or "?"
 * when the record has none.  Returns: borrowed from REC (or static). */
const char *sw_notifier_alarm_name(const json_t *rec);

/* Size of a dedup id: 64 hex digits and the NUL. */
#define SW_DEDUP_ID_BUF 65

/* sw_notifier_dedup_id - a stable id for the notification REC stands for:
 * lower-case hex SHA-256 over alarm.AlarmName, alarm.NewStateValue,
 * streamwatch.window_end and streamwatch.repeat (each NUL-terminated, a
 * missing field hashing as empty).  Nothing in it depends on the second at
 * which an agent evaluated: two agents watching the same alarm, one
 * evaluating at 10:05:05 and one at 10:05:41, both evaluate the period
 * ending 10:05:00 and produce the same id, although their StateChangeTimes
 * differ.  A retry of one record keeps it, so a receiver can drop
 * duplicates: SNS FIFO passes it as MessageDeduplicationId, the webhook as
 * X-Streamwatch-Delivery, e-mail in the Message-ID.
 *
 * A record without a positive integer window_end (queued by a version
 * that did not write it, or from notify-test) hashes alarm.StateChangeTime
 * in its place, which is exactly the id that version gave it: a retry
 * after an upgrade still deduplicates against the attempts before it.
 * window_end is hashed as decimal text and StateChangeTime as
 * "2026-11-25T10:05:05.000+0000", so the two kinds never collide.
 *
 * streamwatch.repeat is hashed as its JSON text (false, or the reminder's
 * number), so reminders are told apart from the change and from each
 * other.  Returns 0, or SW_EINVAL (REC has no "alarm" object) or
 * SW_ENOMEM. */
int sw_notifier_dedup_id(const json_t *rec, char out[SW_DEDUP_ID_BUF]);

#endif
