/* notifiers/slack.h - the Slack message of an alarm, for the webhook
 * notifier's "slack" format (notifiers/webhook.c posts it to an incoming
 * webhook).
 *
 * Built from a notification record (notifiers/message.h) only, like every
 * rendering.  Accepts any JSON value: a missing or mistyped field renders
 * as empty.
 *
 * Pure: no I/O.  Depends on lib/ and notifiers/message.h.
 */
#ifndef SW_NOTIFIERS_SLACK_H
#define SW_NOTIFIERS_SLACK_H

#include <jansson.h>

/* sw_slack_text - {"text": "..."} in Slack's mrkdwn: state, name, region,
 * what is watched, the reason (at most SW_MESSAGE_REASON_SHOWN_MAX bytes)
 * and a console link; "&", "<" and ">" in values are escaped as Slack
 * requires, control characters become spaces.
 * Returns: new (json_decref()), or NULL when memory runs out. */
json_t *sw_slack_text(const json_t *rec);

#endif
