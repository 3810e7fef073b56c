/* notifiers/email_text.h - the plain-text body of an alarm e-mail, for
 * the e-mail notifier (notifiers/email.c puts it into MIME).
 *
 * Built from a notification record (notifiers/message.h) only, like every
 * rendering, so a record reloaded from the outbox mails the same text.
 * Accepts any JSON value: a missing or mistyped field renders as empty.
 *
 * Pure: no I/O, no clock, no locale (day and month names are built in).
 * Depends on lib/, rules/rule.h (comparisons) and notifiers/message.h.
 */
#ifndef SW_NOTIFIERS_EMAIL_TEXT_H
#define SW_NOTIFIERS_EMAIL_TEXT_H

#include <jansson.h>

/* RFC 5322 section 2.1.1: at most 998 octets per line, without CRLF. */
#define SW_EMAIL_TEXT_LINE_MAX 998

/* sw_email_text - the text for people on call: the subject
 * (sw_message_subject()), the state change in one sentence, what is
 * watched (metric, stream, statistic, comparison in words, threshold, M of
 * N periods), why (the reason, at most SW_MESSAGE_REASON_SHOWN_MAX
 * bytes), since when (UTC), the console link, the evaluated values
 * (newest first, from state_reason_data), CloudWatch-style "Alarm
 * Details", and the alarm JSON at the end.  Lines end in "\n" only (the
 * e-mail notifier makes them CRLF) and have at most
 * SW_EMAIL_TEXT_LINE_MAX octets; longer lines are folded.  No control
 * characters other than "\n".  UTF-8.
 * Returns: new (free()), or NULL when memory runs out. */
char *sw_email_text(const json_t *rec);

#endif
