/* notifiers/email.h - the `email` notifier: one message over SMTP.
 *
 * prepare() renders the outbox record into an RFC 5322 message
 * (notifiers/mime.h; the subject from notifiers/message.h, the text from
 * notifiers/email_text.h) and sets up the dispatcher's libcurl easy
 * handle for an SMTP upload: URL, MAIL FROM, one RCPT TO per recipient,
 * AUTH with the username and the password read from password_file for
 * this attempt only (a rotated password is picked up; the copy is wiped
 * in ctx_free()), and TLS:
 *
 *   tls = starttls  smtp:// URL, CURLUSESSL_ALL: no STARTTLS, no mail
 *   tls = implicit  smtps:// URL, TLS from the first byte (RFC 8314)
 *   tls = none      smtp:// URL in clear; with a username only for a
 *                   loopback host, or with allow_insecure
 *                   (sw_email_cleartext_check(), which agent/conf.c
 *                   calls too)
 *
 * Certificates are always verified (peer and host name, TLS 1.2 or
 * later).  ca_file, when given, is the only bundle trusted (CURLOPT_CAINFO
 * with the default CA directory cleared), so a private relay can be pinned
 * to its own CA; without it, the CA store the dispatcher set up applies
 * (libcurl's default unless the agent has a ca_file of its own).  libcurl
 * keeps its own copy of the password while the handle lives and frees it
 * without wiping; that is outside our reach.
 *
 * The transaction is all or nothing: CURLOPT_MAIL_RCPT_ALLLOWFAILS (7.69,
 * misspelt so in 7.88) is deliberately not set.  With it, a recipient
 * refused with a temporary 4xx would silently miss the alarm while the
 * others got it, and a retry could not reach only that one.  Without it,
 * any refused RCPT aborts before DATA, nobody has the message, and a retry
 * never duplicates; a permanently refused address fails the notification
 * loudly, which `streamwatch notify-test` shows when the notifier is set
 * up.
 *
 * done() classifies the finished transfer (sw_email_classify()):
 *   - CURLE_OK: delivered.
 *   - An SMTP 4xx (greylisting, 421 shutting down, 452 out of space):
 *     retry.
 *   - Login refused (CURLE_LOGIN_DENIED, 535; 530/534/538 want AUTH or
 *     TLS first), STARTTLS refused, or a certificate that does not verify
 *     (or an unreadable ca_file / password_file): retry, with an error
 *     that names the likely fix.  These look permanent but are properties
 *     of the channel, not of this message: the operator fixes
 *     password_file or ca_file (read again on every attempt), the relay's
 *     certificate gets renewed, a network middlebox stripping STARTTLS goes
 *     away.  Dropping the alarm would lose it for good; retrying keeps it
 *     in the outbox, logged on every attempt, until it is delivered or
 *     expires after max_age (an error as well).  The backoff caps the
 *     attempts at one an hour, too few to trip a lockout.
 *   - Any other SMTP 5xx (MAIL FROM, RCPT TO, DATA or the end of data
 *     refused: unknown recipient, message rejected): permanent.  The
 *     server refused this message; sending it again gets the same answer.
 *   - Everything else (connection refused or reset, timeouts, TLS
 *     handshake failures, a reply cut short): retry.  A reply lost after
 *     the data was sent may mean the server has the message; the retry
 *     then duplicates it, with the same Message-ID (below) so mail clients
 *     can fold the two.
 *
 * Message-ID: "<" the first 32 hex digits of sw_notifier_dedup_id()
 * ".streamwatch@" the From domain ">".  It names the notification, not
 * the attempt: a retry, or a second agent watching the same alarm, sends
 * the same ID (mail clients fold the copies), and each repeat reminder
 * (streamwatch.repeat counts them) gets its own.
 *
 * Depends on lib/, notifiers/notifier.h, notifiers/message.h,
 * notifiers/mime.h, libcurl and jansson.
 */
#ifndef SW_NOTIFIERS_EMAIL_H
#define SW_NOTIFIERS_EMAIL_H

#include <stddef.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "notifiers/notifier.h"

enum sw_email_tls {
    SW_EMAIL_TLS_STARTTLS = 0,
    SW_EMAIL_TLS_IMPLICIT = 1,
    SW_EMAIL_TLS_NONE = 2,
};

/* The notifier's settings; every pointer is borrowed by
 * sw_notifier_email_new(), which copies what it keeps. */
struct sw_email_opts {
    const char *url; /* smtp://host[:port][/ehlo-name] or smtps://... */
    enum sw_email_tls tls;
    const char *username;      /* NULL: no AUTH */
    const char *password_file; /* required with username */
    const char *from;          /* addr-spec: envelope and From header */
    char *const *to;           /* NTO addr-specs, 1..SW_MIME_MAX_RCPT */
    size_t nto;
    const char *ca_file; /* NULL: the system's CA store */
    int allow_insecure;  /* the config's allow_insecure: AUTH may run with
                            tls none to a host that is not loopback */
};

/* sw_email_tls_parse - "starttls", "implicit" or "none".
 * Returns 0 or SW_EINVAL. */
int sw_email_tls_parse(const char *s, enum sw_email_tls *out);

/* sw_email_cleartext_check - may SMTP AUTH (AUTH: a username is set) run
 * over URL with TLS?  Only tls none puts the password on the wire in
 * clear, and that is harmless only to a loopback host (lib/str.h
 * sw_url_is_loopback(): a relay or a test stub on the same machine).
 * Returns 0 (fine), 1 (in clear, allowed by ALLOW_INSECURE: ERR holds the
 * warning to show) or SW_EINVAL (refused: ERR says why, starting with
 * "'username'").  agent/conf.c, sw_notifier_email_new() and the
 * runtime's start-up warning all ask here. */
int sw_email_cleartext_check(const char *url, enum sw_email_tls tls, int auth,
                             int allow_insecure, char *err, size_t errlen);

/* sw_email_url_check - URL, as libcurl parses it for a transfer, is an
 * smtp:// or smtps:// URL with a host and without spaces, control
 * characters, credentials, query or fragment.  Returns 0, or SW_EINVAL /
 * SW_ENOMEM with ERR set ("'url' ...").  agent/conf.c and
 * sw_notifier_email_new() both ask here. */
int sw_email_url_check(const char *url, char *err, size_t errlen);

/* sw_email_tls_check - TLS agrees with URL's scheme: smtps:// is implicit
 * TLS from the first byte, smtp:// is starttls or none.  Returns 0, or
 * SW_EINVAL with ERR set ("'tls' ...").  agent/conf.c and
 * sw_notifier_email_new() both ask here. */
int sw_email_tls_check(const char *url, enum sw_email_tls tls, char *err,
                       size_t errlen);

/* sw_notifier_email_new - an email notifier called NAME.  Checks O: the
 * URL (smtp:// or smtps:// matching TLS, a host, no credentials, query or
 * fragment), username and password_file both or neither, a username over
 * tls none only as sw_email_cleartext_check() allows, FROM and TO plain
 * addresses, and a
 * libcurl with SMTP and TLS.  max_age_s and repeat_interval_s are left 0
 * for the caller to set.  Returns 0 and *out (new, free with
 * sw_notifier_free()), SW_EINVAL with ERR saying which setting is wrong,
 * or SW_ENOMEM. */
int sw_notifier_email_new(const char *name, const struct sw_email_opts *o,
                          struct sw_notifier **out, char *err, size_t errlen);

/* For tests. */

/* sw_email_render - the message for the record REC (see
 * notifiers/notifier.h) at time NOW, from FROM to TO.  Returns 0 and *out
 * (new, free(); *len bytes), SW_EPARSE with ERR (REC is not a record, see
 * sw_message_check(): it can never be sent), or SW_ENOMEM / SW_EINTERNAL
 * with ERR. */
int sw_email_render(const json_t *rec, time_t now, const char *from,
                    char *const *to, size_t nto, char **out, size_t *len,
                    char *err, size_t errlen);

/* sw_email_message_id - the Message-ID for REC, "<hex.streamwatch@DOMAIN>"
 * (see above), into OUT (OUTLEN bytes, at least SW_MIME_MSGID_MAX + 1).
 * Returns 0, SW_EINVAL (REC has no "alarm" object, or DOMAIN does not fit)
 * or SW_ENOMEM. */
int sw_email_message_id(const json_t *rec, const char *domain, char *out,
                        size_t outlen);

/* sw_email_classify - enum sw_delivery for a transfer to HOST that ended
 * with CC and the last SMTP reply code STATUS; DETAIL is libcurl's error
 * buffer (may be empty).  ERR receives a one-line reason when not
 * delivered. */
int sw_email_classify(CURLcode cc, long status, const char *detail,
                      const char *host, char *err, size_t errlen);

#endif
