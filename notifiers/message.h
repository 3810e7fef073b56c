/* notifiers/message.h - the notification record and what is rendered
 * from it.
 *
 * One alarm event becomes one record (a jansson object), the unit the
 * outbox stores and every notifier renders from:
 *
 *   { "alarm": { ...the CloudWatch alarm JSON exactly as CloudWatch
 *                publishes it to SNS (aws-reference.md section 5)... },
 *     "streamwatch": { "rule", "stream", "repeat", "window_end", "labels",
 *                      "namespace", "metric", "state_reason_data",
 *                      "console_url", "region" } }
 *
 * sw_message_record() is the only function that looks at an event; the
 * renderers (SNS subject and message, e-mail text, Alertmanager alert and
 * webhook payload, Slack text) read nothing but a record, so a record
 * loaded back from the outbox after a restart renders byte for byte as
 * before.  Renderers accept any JSON value: a missing or mistyped field
 * renders as empty, never as a crash; sw_message_check() tells a record
 * from garbage first.
 *
 * Every string a renderer emits is valid UTF-8 (jansson only holds valid
 * UTF-8, and sw_message_record() repairs what it is given).  Renderers
 * return their result the way jansson's constructors do, NULL standing
 * for the one failure there is: memory (or a 4 MiB cap on any text, which
 * only a forged record can reach).
 *
 * Pure: no I/O, no clock (time comes in as an argument), no globals, no
 * locale (day and month names are built in).  Depends on lib/, rules/rule.h,
 * notifiers/notifier.h (the event) and aws/endpoint.h (partitions, region
 * names); not on agent/.
 *
 * Decisions worth knowing (see the functions for details):
 *  - AWSAccountId is JSON null when the account is unknown, and the
 *    AlarmArn then has an empty account field
 *    ("arn:aws:cloudwatch:ap-northeast-1::alarm:NAME"), which ARN parsers
 *    accept (S3 ARNs look like that).
 *  - StateChangeTime has ".000" milliseconds: the event carries seconds.
 *    AlarmConfigurationUpdatedTimestamp has the milliseconds the context
 *    gives (a file mtime has them).
 *  - A metric-math Trigger lists the metrics in rule order (ReturnData
 *    false) and then the expression with Id "e1" (the first "eN" no metric
 *    uses), Label = the expression text, ReturnData true.
 *  - For Alertmanager only ALARM is "firing"; OK and INSUFFICIENT_DATA
 *    resolve the alert (the alarm condition no longer holds), with
 *    annotation "state" saying which.
 */
#ifndef SW_NOTIFIERS_MESSAGE_H
#define SW_NOTIFIERS_MESSAGE_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "notifiers/notifier.h"

/* SNS: "less than 100 characters" (aws-reference.md section 6.1). */
#define SW_MESSAGE_SUBJECT_MAX_CHARS 99
/* RFC 5322 section 2.1.1: at most 998 octets per line, without CRLF. */
#define SW_MESSAGE_LINE_MAX 998
/* The reason as shown to people (e-mail, Slack, Alertmanager): longer
 * reasons are cut at a character boundary with a marker. */
#define SW_MESSAGE_REASON_SHOWN_MAX 4096
/* SNS Publish Message limit (section 6.1), for sw_message_alarm_json(). */
#define SW_MESSAGE_SNS_MAX_BYTES 262144

/* How every JSON text here is printed: compact as CloudWatch's own
 * messages, insertion order, and 15 significant digits so a configured
 * threshold prints as written ("0.1", not 0.10000000000000001).  The
 * outbox should store records with jansson's default precision (17, exact
 * round trip), so a reloaded record holds the same doubles. */
#define SW_MESSAGE_JSON_FLAGS                                                  \
    (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

/* One entry of the action -> ARN map: a notifier name and its SNS topic
 * ARN.  Only SNS notifiers have an ARN; an action that is not in the map
 * and does not itself start with "arn:" is left out of the *Actions
 * arrays (a webhook has no CloudWatch equivalent). */
struct sw_message_arn {
    const char *action; /* notifier name as the rule's *_actions say it */
    const char *arn;    /* "arn:aws:sns:ap-northeast-1:123456789012:ops" */
};

/* What the event does not say.  All pointers borrowed for the call; a
 * NULL context means all defaults. */
struct sw_message_ctx {
    /* AWSAccountId; NULL: the event's account_id; both NULL: JSON null. */
    const char *account_id;
    /* AlarmConfigurationUpdatedTimestamp: the config file's mtime or the
     * rule's first-seen time.  0: the event's state_change_time. */
    time_t config_updated;
    int config_updated_ms; /* 0-999; other values count as 0 */
    const struct sw_message_arn *arns;
    size_t narns;
};

/* sw_message_record - the record of EV (EV->rule must be set).
 *
 * "alarm" holds, in this order: AlarmName, AlarmDescription (null when
 * none), AWSAccountId, AlarmConfigurationUpdatedTimestamp, NewStateValue,
 * NewStateReason, StateChangeTime ("2025-11-26T10:06:41.000+0000"),
 * Region (long name; the code when the region is not in the table; null
 * without a region), AlarmArn (partition from the region:
 * arn:aws-cn:... for cn-*, arn:aws-us-gov:... for us-gov-*),
 * OldStateValue, OKActions, AlarmActions, InsufficientDataActions,
 * Trigger.  Trigger for a single metric: MetricName, Namespace,
 * StatisticType, Statistic ("SUM"...) or ExtendedStatistic ("p99"), Unit
 * (null when none), Dimensions ([{"value","name"}]), Period,
 * EvaluationPeriods, DatapointsToAlarm, ComparisonOperator, Threshold,
 * TreatMissingData, EvaluateLowSampleCountPercentile ("" or "ignore");
 * for metric math (rule->nmetrics > 0): Period, EvaluationPeriods,
 * DatapointsToAlarm, ComparisonOperator, Threshold, TreatMissingData,
 * EvaluateLowSampleCountPercentile, Metrics.
 *
 * "streamwatch" holds: rule (the alarm name), stream (rule->stream, else
 * the StreamName dimension, else null), repeat (false for a state change;
 * EV->repeat as a number for a reminder, so sw_notifier_dedup_id() tells
 * reminders apart: the agent should pass the reminder's number counted
 * from the state change, so two agents number it alike), window_end
 * (EV->window_end, the end of the evaluated window in epoch seconds, e.g.
 * 1795601100 for 2026-11-25T10:05:00Z; null when EV->window_end <= 0.
 * sw_notifier_dedup_id() hashes it instead of StateChangeTime, which is
 * the wall-clock second of one agent's evaluation; records queued before
 * this field existed lack it), labels (the rule's
 * labels as an object), namespace, metric (the expression for metric
 * math), state_reason_data (EV->reason_data parsed, null when absent or
 * not a JSON object), console_url (null outside the aws, aws-cn and
 * aws-us-gov partitions or without a valid region), region (the code or
 * null).
 *
 * Strings that are not valid UTF-8 get U+FFFD for each bad byte.
 * Returns: new (json_decref()), or NULL when EV or EV->rule is NULL or
 * memory runs out. */
json_t *sw_message_record(const struct sw_alarm_event *ev,
                          const struct sw_message_ctx *ctx);

/* sw_message_check - 0 when REC looks like a record (an object with an
 * "alarm" object whose AlarmName and NewStateValue are strings), else
 * SW_EPARSE: an outbox file that fails this is permanently undeliverable. */
int sw_message_check(const json_t *rec);

/* sw_message_alarm_str - the string field KEY of REC's "alarm" object
 * ("AlarmName", "NewStateValue", "StateChangeTime"...), for deduplication
 * ids and log lines.  Returns: borrowed (valid while REC lives), or NULL
 * when missing or not a string. */
const char *sw_message_alarm_str(const json_t *rec, const char *key);

/* sw_message_alarm_json - REC's "alarm" object as the SNS Message and the
 * webhook "cloudwatch" format send it (SW_MESSAGE_JSON_FLAGS).  With
 * MAX_BYTES > 0 and a longer text, NewStateReason and then
 * AlarmDescription are cut at a character boundary and end in
 * "... [truncated by streamwatch, N bytes]" until the text fits; REC is
 * not changed.  *OUTLEN (may be NULL) gets the length.
 * Returns 0 and *OUT new (free()); SW_EPARSE (no "alarm" object),
 * SW_ETOOBIG (does not fit even so), SW_ENOMEM. */
int sw_message_alarm_json(const json_t *rec, size_t max_bytes, char **out,
                          size_t *outlen);

/* sw_message_subject - `ALARM: "name" in Asia Pacific (Tokyo)` (the same
 * form for OK and INSUFFICIENT_DATA; without " in ..." when the record has
 * no Region).  At most SW_MESSAGE_SUBJECT_MAX_CHARS characters: a long
 * name is cut at a character boundary and ends in "...", the closing
 * quote and the region stay.  Control characters (C0, DEL, C1, U+2028,
 * U+2029) become spaces, so there is never a CR or LF.  UTF-8, not
 * encoded: the e-mail notifier applies RFC 2047 itself.
 * Returns: new (free()), or NULL when memory runs out. */
char *sw_message_subject(const json_t *rec);

/* sw_message_email_text - the plain-text body for people on call: the
 * state change in one sentence, what is watched (metric, stream,
 * statistic, comparison in words, threshold, M of N periods), why (the
 * reason, at most SW_MESSAGE_REASON_SHOWN_MAX bytes), the evaluated values
 * (newest first, from state_reason_data), since when (UTC), the console
 * link, CloudWatch-style "Alarm Details", and the alarm JSON at the end.
 * Lines end in "\n" only (the e-mail notifier makes them CRLF) and have
 * at most SW_MESSAGE_LINE_MAX octets; longer lines are folded.  No control
 * characters other than "\n".  UTF-8.
 * Returns: new (free()), or NULL when memory runs out. */
char *sw_message_email_text(const json_t *rec);

/* sw_message_alertmanager - one alert for POST /api/v2/alerts (send it in
 * a one-element array):
 *   labels: alertname, stream (when known), namespace, metric, severity
 *           ("warning" unless the rule's labels say otherwise), then the
 *           rule's labels, which override all but alertname;
 *   annotations: summary, description (AlarmDescription, else the summary
 *           sentence), reason (cut as above), state;
 *   startsAt: the state change time (RFC 3339, "Z");
 *   endsAt: only when resolved (OK or INSUFFICIENT_DATA): NOW, or
 *           startsAt if NOW is earlier (Alertmanager rejects endsAt
 *           before startsAt);
 *   generatorURL: GENERATOR_URL when non-empty, else the console URL,
 *           else absent.
 * Returns: new (json_decref()), or NULL when memory runs out. */
json_t *sw_message_alertmanager(const json_t *rec, time_t now,
                                const char *generator_url);

/* sw_message_alertmanager_webhook - the Alertmanager webhook payload,
 * version "4", with the one alert of REC, keys in Alertmanager's order:
 * receiver ("streamwatch"), status ("firing" or "resolved"), alerts[]
 * (status, labels, annotations, startsAt, endsAt
 * ("0001-01-01T00:00:00Z" while firing), generatorURL (the console URL or
 * ""), fingerprint (Alertmanager's: FNV-1a 64 of the sorted labels)),
 * groupLabels ({alertname}), commonLabels, commonAnnotations, externalURL
 * (the region's CloudWatch console, or ""), version, groupKey
 * ({}:{alertname="NAME"}), truncatedAlerts (0).
 * Returns: new (json_decref()), or NULL when memory runs out. */
json_t *sw_message_alertmanager_webhook(const json_t *rec, time_t now);

/* sw_message_slack - {"text": "..."} in Slack's mrkdwn: state, name,
 * region, what is watched, the reason (cut as above) and a console link;
 * "&", "<" and ">" in values are escaped as Slack requires.
 * Returns: new (json_decref()), or NULL when memory runs out. */
json_t *sw_message_slack(const json_t *rec);

/* For tests and the webhook notifier. */

/* sw_message_fingerprint - Alertmanager's label-set fingerprint
 * (prometheus/common model.LabelSet.Fingerprint: FNV-1a 64 over the
 * label names in byte order, each name and value followed by 0xff) of the
 * string members of LABELS, as 16 lower-case hex digits into OUT
 * (at least 17 bytes). */
void sw_message_fingerprint(const json_t *labels, char out[17]);

/* sw_message_utf8_prefix - the length of the longest prefix of the
 * LEN-byte UTF-8 string S that has at most MAX_BYTES bytes and does not
 * split a character. */
size_t sw_message_utf8_prefix(const char *s, size_t len, size_t max_bytes);

#endif
