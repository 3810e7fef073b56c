/* notifiers/am_payload.h - what Alertmanager is sent: the alert of its
 * API v2 (the alertmanager notifier, notifiers/alertmanager.c) and the
 * payload of its webhook (the webhook notifier's "alertmanager" format,
 * notifiers/webhook.c), both from a notification record.
 *
 * A module of its own because both notifiers use it, and the alertmanager
 * notifier already uses the webhook's HTTP helpers.  The labels are the
 * record's names for what is watched (rules/cwrender.h chose them when
 * the record was made): alertname, stream (when known), namespace,
 * metric, severity ("warning" unless the rule's labels say otherwise),
 * then the rule's labels, which override all but alertname; a label with
 * an empty value is left out (Prometheus: no such label).  Only ALARM is
 * "firing"; OK and INSUFFICIENT_DATA resolve the alert (the alarm
 * condition no longer holds), with annotation "state" saying which.
 * Accepts any JSON value: a missing or mistyped field renders as empty.
 *
 * Pure: no I/O, no clock (NOW comes in).  Depends on lib/ and
 * notifiers/message.h.
 */
#ifndef SW_NOTIFIERS_AM_PAYLOAD_H
#define SW_NOTIFIERS_AM_PAYLOAD_H

#include <time.h>

#include <jansson.h>

/* sw_am_payload_alert - one alert for POST /api/v2/alerts (send it in a
 * one-element array):
 *   labels: as above;
 *   annotations: summary (sw_message_add_what()), description
 *           (AlarmDescription, else the summary sentence), reason (at most
 *           SW_MESSAGE_REASON_SHOWN_MAX bytes), state;
 *   startsAt: the state change time (RFC 3339, "Z");
 *   endsAt: only when resolved (OK or INSUFFICIENT_DATA): NOW, or
 *           startsAt if NOW is earlier (Alertmanager rejects endsAt
 *           before startsAt);
 *   generatorURL: GENERATOR_URL when non-empty, else the console URL,
 *           else absent.
 * Returns: new (json_decref()), or NULL when memory runs out. */
json_t *sw_am_payload_alert(const json_t *rec, time_t now,
                            const char *generator_url);

/* sw_am_payload_webhook - the Alertmanager webhook payload, version "4",
 * with the one alert of REC, keys in Alertmanager's order: receiver
 * ("streamwatch"), status ("firing" or "resolved"), alerts[] (status,
 * labels, annotations, startsAt, endsAt ("0001-01-01T00:00:00Z" while
 * firing), generatorURL (the console URL or ""), fingerprint),
 * groupLabels ({alertname}), commonLabels, commonAnnotations, externalURL
 * (the region's CloudWatch console, or ""), version, groupKey
 * ({}:{alertname="NAME"}), truncatedAlerts (0).
 * Returns: new (json_decref()), or NULL when memory runs out. */
json_t *sw_am_payload_webhook(const json_t *rec, time_t now);

/* sw_am_payload_fingerprint - Alertmanager's label-set fingerprint
 * (prometheus/common model.LabelSet.Fingerprint: FNV-1a 64 over the
 * label names in byte order, each name and value followed by 0xff) of the
 * string members of LABELS, as 16 lower-case hex digits into OUT (at
 * least 17 bytes). */
void sw_am_payload_fingerprint(const json_t *labels, char out[17]);

#endif
