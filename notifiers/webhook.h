/* notifiers/webhook.h - the `webhook` notifier: POST the alarm as JSON.
 *
 * The body is built with jansson (never printf) from the record, in one
 * of three formats: "cloudwatch" (the CloudWatch alarm JSON, the record's
 * "alarm" object), "alertmanager" (Alertmanager's webhook payload,
 * version 4, notifiers/am_payload) or "slack" ({"text": ...},
 * notifiers/slack).  Every request carries X-Streamwatch-Delivery (the
 * record's sw_notifier_dedup_id(), stable across retries and agents, so a
 * receiver can drop duplicates) and the configured extra headers.
 *
 * Secrets are read at each prepare, so a rotated file is picked up, and
 * wiped when the transfer is done: bearer_token_file gives
 * "Authorization: Bearer <token>"; secret_file signs the body as
 * docs/configuration.md section 5 says:
 *   X-Streamwatch-Timestamp: <unix seconds>
 *   X-Streamwatch-Signature: v1=<hex HMAC-SHA256(secret, "<ts>.<body>")>
 * The timestamp is the real clock (the receiver checks it against its
 * own), not the agent's --now.
 *
 * Outcomes: 2xx delivered; 4xx other than 408 and 429 permanent (the
 * receiver refuses this request, sending it again will not help);
 * everything else, transport errors included, is retried by the outbox.
 *
 * The POST itself (its headers, its curl set-up) is shared with the
 * Alertmanager notifier (notifiers/alertmanager.c).
 *
 * Depends on lib/ (HMAC from lib/hash), aws/http (curl header lines) and
 * notifiers/{notifier,message,am_payload,slack}.h; not on agent/.
 */
#ifndef SW_NOTIFIERS_WEBHOOK_H
#define SW_NOTIFIERS_WEBHOOK_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "lib/buf.h"
#include "notifiers/notifier.h"

#define SW_WEBHOOK_MAX_BODY    (1024u * 1024) /* a longer reason is cut */
#define SW_WEBHOOK_HEADER_MAX  4096 /* one extra header value, bytes */
#define SW_WEBHOOK_MAX_HEADERS 32
#define SW_WEBHOOK_SIG_BUF     68 /* "v1=" + 64 hex + NUL */

enum sw_webhook_format {
    SW_WEBHOOK_CLOUDWATCH = 0,
    SW_WEBHOOK_ALERTMANAGER,
    SW_WEBHOOK_SLACK,
};

struct sw_webhook_header {
    const char *name;
    const char *value;
};

struct sw_notifier_webhook_opts {
    const char *url;    /* http:// or https:// */
    const char *format; /* "cloudwatch" (also for NULL), "alertmanager",
                           "slack" */
    const struct sw_webhook_header *headers; /* extra headers, copied */
    size_t nheaders;
    const char *bearer_token_file; /* NULL: no Authorization */
    const char *secret_file;       /* NULL: unsigned */
    int allow_insecure; /* the config's allow_insecure: secrets may go
                           over http:// to a host that is not loopback */
};

/* sw_notifier_webhook_new - a webhook notifier called NAME.  Everything in
 * O is copied; the files are not read yet (see above).
 * Returns 0 and *out (new, free with sw_notifier_free()); SW_EINVAL (bad
 * URL, format or header, or secrets that sw_webhook_cleartext_check()
 * refuses; ERR says which); SW_ENOMEM. */
int sw_notifier_webhook_new(const char *name,
                            const struct sw_notifier_webhook_opts *o,
                            struct sw_notifier **out, char *err, size_t errlen);

/* For tests, `check` and notifiers/alertmanager. */

/* sw_webhook_format_parse - NAME (NULL: "cloudwatch") into *OUT.
 * Returns 0 or SW_EINVAL. */
int sw_webhook_format_parse(const char *name, enum sw_webhook_format *out);

/* sw_webhook_url_check - 0 when URL is an http:// or https:// URL with a
 * host and no whitespace or control characters, else SW_EINVAL with ERR
 * set.  agent/conf.c, sw_notifier_webhook_new() and notifiers/alertmanager
 * all ask here. */
int sw_webhook_url_check(const char *url, char *err, size_t errlen);

/* sw_webhook_cleartext_check - may a webhook to URL carry its secrets?
 * BEARER: a bearer_token_file (the token itself travels); SIGNED: a
 * secret_file (the key does not travel, but the signed requests do, and
 * anyone on the path can read them and replay them within the receiver's
 * timestamp window).  Neither set: nothing secret, 0.  Else
 * sw_url_cleartext_check() (lib/str.h) with the key "url": 0 for https://
 * or a loopback host, 1 with a warning in ERR when only ALLOW_INSECURE
 * lets it through, SW_EINVAL with the refusal in ERR.  agent/conf.c,
 * sw_notifier_webhook_new() and the runtime's start-up warning all ask
 * here. */
int sw_webhook_cleartext_check(const char *url, int bearer, int signed_,
                               int allow_insecure, char *err, size_t errlen);

/* sw_webhook_header_check - 0 when NAME: VALUE may be sent as an extra
 * header: NAME an RFC 9110 token of at most 128 bytes and not one the
 * notifier sets or that would change the framing (Authorization, Host,
 * Content-Type, Content-Length, Transfer-Encoding, Connection, Expect,
 * User-Agent, X-Streamwatch-*), VALUE printable ASCII or HTAB (no CR, LF, NUL)
 * of at most SW_WEBHOOK_HEADER_MAX bytes.  Else SW_EINVAL with ERR set
 * ("header 'Host' is set by streamwatch").  agent/conf.c and
 * sw_notifier_webhook_new() both ask here. */
int sw_webhook_header_check(const char *name, const char *value, char *err,
                            size_t errlen);

/* sw_webhook_signature - "v1=" and the lower-case hex HMAC-SHA256 with
 * KEY (KEYLEN bytes, borrowed) over "<TS>.<BODY>" into OUT.
 * Returns 0, SW_ENOMEM or SW_EINTERNAL. */
int sw_webhook_signature(const void *key, size_t keylen, time_t ts,
                         const char *body, size_t len,
                         char out[SW_WEBHOOK_SIG_BUF]);

/* sw_webhook_body - REC rendered in FORMAT at agent time NOW.
 * Returns 0 and *out (new, free()), *len its length; SW_EPARSE (REC is
 * not a record), SW_ETOOBIG, SW_ENOMEM. */
int sw_webhook_body(const json_t *rec, enum sw_webhook_format format,
                    time_t now, char **out, size_t *len);

/* --- the JSON POST the webhook and Alertmanager notifiers share --- */

/* What one POST owns until the dispatcher is done with it (the ctx of
 * the webhook's and Alertmanager's prepare). */
struct sw_webhook_post {
    char *body; /* owned */
    size_t len;
    struct curl_slist *headers; /* may hold a token: wiped when freed */
};

/* sw_webhook_post_new - an empty POST with the headers every JSON POST of
 * ours starts with: Content-Type: application/json and our User-Agent.
 * Returns 0 and *out: new (sw_webhook_post_free()), or SW_ENOMEM. */
int sw_webhook_post_new(struct sw_webhook_post **out);

/* sw_webhook_post_header - append NAME: VALUE to P's headers ("NAME;" for
 * an empty VALUE, which curl would otherwise read as "remove NAME"); the
 * line is built in a buffer wiped afterwards, since VALUE may be a token.
 * Returns 0, SW_ETOOBIG (a line over SW_WEBHOOK_HEADER_MAX + 72 KiB) or
 * SW_ENOMEM (P unchanged). */
int sw_webhook_post_header(struct sw_webhook_post *p, const char *name,
                           const char *value);

/* sw_webhook_post_setup - set EASY up to POST P's body with P's headers
 * to URL (borrowed, like P, until the transfer is done), without curl's
 * "Expect: 100-continue", a round trip some receivers never answer.
 * Returns 0, SW_ENOMEM ("out of memory" in ERR) or SW_EINTERNAL ("cannot
 * set up the transfer"). */
int sw_webhook_post_setup(struct sw_webhook_post *p, CURL *easy,
                          const char *url, char *err, size_t errlen);

/* sw_webhook_post_free - free P (a void * so it serves as the notifiers'
 * ctx_free), its header lines wiped first; NULL is accepted. */
void sw_webhook_post_free(void *p);

#endif
