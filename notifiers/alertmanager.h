/* notifiers/alertmanager.h - the `alertmanager` notifier: Alertmanager's
 * API v2.
 *
 * Posts the record as a one-alert array to <url>/api/v2/alerts, the way
 * Prometheus does, so routing, grouping, inhibition and silences stay with
 * the Alertmanager a team already runs.  notifiers/am_payload builds the
 * alert: labels (alertname, stream, namespace, metric, severity and the
 * rule's labels), annotations, startsAt = the state change, generatorURL,
 * and endsAt only when the alarm left ALARM (then it is NOW, so the alert
 * resolves at once).  A firing alert has no endsAt, and Alertmanager
 * resolves it by itself after its resolve_timeout (5 minutes by default)
 * unless it is posted again: the agent re-posts firing alarms (the
 * cadence is agent/'s business); this notifier posts what it is given.
 *
 * Outcomes: 2xx delivered; 400 permanent (Alertmanager refused the alert
 * itself); everything else, transport errors included, is retried.
 *
 * Depends on lib/ and notifiers/{notifier,message,am_payload,webhook}.h;
 * not on agent/.
 */
#ifndef SW_NOTIFIERS_ALERTMANAGER_H
#define SW_NOTIFIERS_ALERTMANAGER_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "notifiers/notifier.h"

#define SW_ALERTMANAGER_PATH "/api/v2/alerts"

struct sw_notifier_alertmanager_opts {
    const char *url;           /* base URL, http(s)://host:9093[/prefix],
                                  without /api/v2/alerts */
    const char *generator_url; /* NULL or "": the alarm's console URL */
};

/* sw_notifier_alertmanager_new - an Alertmanager notifier called NAME.
 * Everything in O is copied.  Returns 0 and *out (new, free with
 * sw_notifier_free()); SW_EINVAL (bad URL; ERR says why); SW_ENOMEM. */
int sw_notifier_alertmanager_new(const char *name,
                                 const struct sw_notifier_alertmanager_opts *o,
                                 struct sw_notifier **out, char *err,
                                 size_t errlen);

/* sw_alertmanager_url_check - URL is a base URL the notifier can post to:
 * sw_webhook_url_check(), no query or fragment, and no /api/ path of its
 * own (the notifier adds SW_ALERTMANAGER_PATH).  Returns 0, or SW_EINVAL
 * with ERR set.  agent/conf.c and sw_notifier_alertmanager_new() both ask
 * here. */
int sw_alertmanager_url_check(const char *url, char *err, size_t errlen);

/* For tests. */

/* sw_alertmanager_url - BASE without trailing slashes and with
 * SW_ALERTMANAGER_PATH.  Returns: new (free()), or NULL (no memory). */
char *sw_alertmanager_url(const char *base);

/* sw_alertmanager_body - the POST body for REC at agent time NOW:
 * "[alert]".  Returns 0 and *out (new, free()), *len; SW_EPARSE (REC is
 * not a record) or SW_ENOMEM. */
int sw_alertmanager_body(const json_t *rec, time_t now,
                         const char *generator_url, char **out, size_t *len);

#endif
