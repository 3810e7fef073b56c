/* notifiers/notifier.h - the interface every notifier type implements.
 *
 * A notifier delivers one alarm event (a state change, or a repeat while an
 * alarm stays in ALARM) to one destination: a log file, an SNS topic, an
 * SMTP server, a webhook, Alertmanager.  Each type provides a constructor
 * (sw_notifier_<type>_new) and the two ops below; agent/ wires the config to
 * the constructors and never looks inside a notifier.  An event holds only
 * borrowed pointers: it lives for the duration of one deliver call, and a
 * notifier that needs anything later (an outbox) copies it.
 *
 * Depends on lib/ and rules/rule.h; not on agent/.
 */
#ifndef SW_NOTIFIERS_NOTIFIER_H
#define SW_NOTIFIERS_NOTIFIER_H

#include <stddef.h>
#include <time.h>

#include "rules/rule.h"

/* One alarm event, in the terms of the message CloudWatch publishes
 * (aws-reference.md section 5).  Every pointer is borrowed. */
struct sw_alarm_event {
    const char *alarm_name;
    const char *description; /* AlarmDescription, NULL when none */
    enum sw_state old_state;
    enum sw_state new_state;
    const char *reason;      /* NewStateReason */
    const char *reason_data; /* StateReasonData JSON text, or NULL */
    time_t state_change_time;
    const char *region;         /* region code "ap-northeast-1", or NULL */
    const char *account_id;     /* AWSAccountId, NULL when unknown */
    int repeat;                 /* 1: a repeat_interval reminder, the state
                                 * did not change */
    const struct sw_rule *rule; /* the alarm's rule: the Trigger */
};

struct sw_notifier;

struct sw_notifier_ops {
    const char *type; /* "log", "sns", "email", "webhook", "alertmanager" */
    /* deliver - send EV once.  Returns 0, or an SW_E* code with a one-line
     * ERR (no secrets in it); the caller decides about retries. */
    int (*deliver)(struct sw_notifier *n, const struct sw_alarm_event *ev,
                   char *err, size_t errlen);
    /* free - release everything, including the name (see
     * sw_notifier_base_release()). */
    void (*free)(struct sw_notifier *n);
};

/* Embedded first in each type's own struct. */
struct sw_notifier {
    const struct sw_notifier_ops *ops;
    char *name; /* owned: the config's notifier name */
};

/* sw_notifier_base_init - set OPS and a copy of NAME; for constructors.
 * Returns 0 or SW_ENOMEM. */
int sw_notifier_base_init(struct sw_notifier *n,
                          const struct sw_notifier_ops *ops, const char *name);
/* sw_notifier_base_release - free what sw_notifier_base_init() set. */
void sw_notifier_base_release(struct sw_notifier *n);

/* sw_notifier_deliver - N->ops->deliver with ERR cleared first. */
int sw_notifier_deliver(struct sw_notifier *n, const struct sw_alarm_event *ev,
                        char *err, size_t errlen);
/* sw_notifier_free - NULL is accepted. */
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

#endif
