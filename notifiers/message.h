/* notifiers/message.h - the notification record, the CloudWatch alarm
 * JSON and SNS subject rendered from it, and the pieces every other
 * rendering shares.
 *
 * One alarm event becomes one record (a jansson object), the unit the
 * outbox stores and every notifier renders from:
 *
 *   { "alarm": { ...the CloudWatch alarm JSON exactly as CloudWatch
 *                publishes it to SNS (tests/data/message/
 *                cloudwatch_sns_alarm.json is CloudWatch's own)... },
 *     "streamwatch": { "rule", "stream", "repeat", "window_end", "labels",
 *                      "namespace", "metric", "state_reason_data",
 *                      "console_url", "region" } }
 *
 * sw_message_record() is the only function that looks at an event; the
 * renderers read nothing but a record, so a record loaded back from the
 * outbox after a restart renders byte for byte as before.  Here: the SNS
 * message and subject (also the webhook "cloudwatch" format and the
 * e-mail subject).  Next to their notifiers: the e-mail text
 * (notifiers/email_text.h), the Alertmanager alert and webhook payload
 * (notifiers/am_payload.h) and the Slack text (notifiers/slack.h), built
 * from the record readers and text pieces at the end of this file.
 * Renderers accept any JSON value: a missing or mistyped field renders as
 * empty, never as a crash; sw_message_check() tells a record from garbage
 * first.
 *
 * Every string a renderer emits is valid UTF-8 (jansson only holds valid
 * UTF-8, and sw_message_record() repairs what it is given).  Renderers
 * return their result the way jansson's constructors do, NULL standing
 * for the one failure there is: memory (or SW_MESSAGE_TEXT_CAP on any
 * text, which only a forged record can reach).
 *
 * Pure: no I/O, no clock (time comes in as an argument), no globals, no
 * locale.  Depends on lib/, rules/ (rule.h; cwrender.h renders the
 * Trigger), notifiers/notifier.h (the event) and aws/endpoint.h
 * (partitions, region names); not on agent/.
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
 */
#ifndef SW_NOTIFIERS_MESSAGE_H
#define SW_NOTIFIERS_MESSAGE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "lib/buf.h"
#include "notifiers/notifier.h"

/* SNS Publish: the subject must be "less than 100 characters". */
#define SW_MESSAGE_SUBJECT_MAX_CHARS 99
/* The reason as shown to people (e-mail, Slack, Alertmanager): longer
 * reasons are cut at a character boundary with a marker. */
#define SW_MESSAGE_REASON_SHOWN_MAX 4096
/* SNS Publish: the Message limit (256 KB), for sw_message_alarm_json(). */
#define SW_MESSAGE_SNS_MAX_BYTES 262144
/* Every text built from a record is far smaller; the cap only stops a
 * hostile outbox file from making a renderer allocate without end. */
#define SW_MESSAGE_TEXT_CAP ((size_t)4 << 20)

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
 * Trigger: sw_cwrender_alarm() of the rule in the SNS form.
 *
 * "streamwatch" holds: rule (the alarm name), stream
 * (sw_cwrender_stream(), else null), repeat (false for a state change;
 * EV->repeat as a number for a reminder, so sw_notifier_dedup_id() tells
 * reminders apart: the agent should pass the reminder's number counted
 * from the state change, so two agents number it alike), window_end
 * (EV->window_end, the end of the evaluated window in epoch seconds, e.g.
 * 1795601100 for 2026-11-25T10:05:00Z; null when EV->window_end <= 0.
 * sw_notifier_dedup_id() hashes it instead of StateChangeTime, which is
 * the wall-clock second of one agent's evaluation; records queued before
 * this field existed lack it), labels (the rule's labels as an object),
 * namespace (sw_cwrender_namespace()), metric (sw_cwrender_metric_name():
 * the expression for metric math), state_reason_data (EV->reason_data
 * parsed, null when absent or not a JSON object), console_url (null
 * outside the aws, aws-cn and aws-us-gov partitions or without a valid
 * region), region (the code or null).
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
 * quote and the region stay.  Control characters (sw_message_is_ctl())
 * become spaces, so there is never a CR or LF.  UTF-8, not encoded: the
 * e-mail notifier applies RFC 2047 itself.
 * Returns: new (free()), or NULL when memory runs out. */
char *sw_message_subject(const json_t *rec);

/* ---- reading a record, for the renderers ----
 * All return borrowed values (valid while REC lives) and accept any JSON
 * value, NULL included. */

/* sw_message_alarm - REC's "alarm" object, or NULL. */
const json_t *sw_message_alarm(const json_t *rec);
/* sw_message_trigger - REC's alarm.Trigger, or NULL. */
const json_t *sw_message_trigger(const json_t *rec);
/* sw_message_sw_str - the string field KEY of REC's "streamwatch" object
 * ("stream", "metric", "console_url"...), or NULL. */
const char *sw_message_sw_str(const json_t *rec, const char *key);
/* sw_message_state - NewStateValue, or "UNKNOWN". */
const char *sw_message_state(const json_t *rec);
/* sw_message_is_repeat - 1 for a reminder (streamwatch.repeat true or a
 * number other than 0), else 0. */
int sw_message_is_repeat(const json_t *rec);
/* sw_message_change_time - StateChangeTime into *T.  Returns 0 or
 * SW_EPARSE (missing or not a time). */
int sw_message_change_time(const json_t *rec, time_t *t);

/* ---- text pieces, for the renderers ----
 * Each appends to B and returns 0, SW_ETOOBIG (B's cap) or SW_ENOMEM. */

/* sw_message_is_ctl - 1 for the code points that must never reach a
 * subject or a line of text: C0, DEL, C1 and the two Unicode line breaks
 * U+2028 and U+2029 (SNS: "no line breaks or control characters"). */
int sw_message_is_ctl(uint32_t cp);
/* sw_message_add_clean - S (NULL: nothing) with control characters as
 * spaces and bytes that are not UTF-8 as U+FFFD. */
int sw_message_add_clean(struct sw_buf *b, const char *s);
/* sw_message_add_cut - S cleaned as above, at most MAX bytes of it: a
 * longer S is cut at a character boundary and ends in "... [truncated by
 * streamwatch, N bytes]", the whole still within MAX bytes. */
int sw_message_add_cut(struct sw_buf *b, const char *s, size_t max);
/* sw_message_add_number - the JSON number V as CloudWatch's texts print
 * it ("100.0", "12.5"); "?" when V is not a number. */
int sw_message_add_number(struct sw_buf *b, const json_t *v);
/* sw_message_add_what - the sentence every rendering uses to say what is
 * watched: `IncomingRecords (AWS/Kinesis) of stream "orders": Sum over 60
 * seconds is less than 100.0 in 3 of the last 5 periods` (`expression
 * "..."` and "value" for metric math). */
int sw_message_add_what(struct sw_buf *b, const json_t *rec);
/* sw_message_stat_words - TRIGGER's statistic in the API's spelling
 * ("Sum", "p99").  Returns: static or borrowed from TRIGGER, or NULL. */
const char *sw_message_stat_words(const json_t *trigger);

/* sw_message_shorten - cut the string member KEY of OBJ (as
 * sw_message_add_cut() does) so its JSON text is at least EXCESS bytes
 * shorter.  Returns 1 when changed, 0 when the member cannot help (absent,
 * empty, not a string), SW_ENOMEM. */
int sw_message_shorten(json_t *obj, const char *key, size_t excess);

#endif
