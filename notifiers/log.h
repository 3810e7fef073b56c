/* notifiers/log.h - the `log` notifier: one JSON line per alarm event.
 *
 * Appends to a file (opened for each event with O_APPEND, so logrotate can
 * move it at any time) or to stdout for path "-".  Each line is written
 * with one write() so lines from concurrent writers do not interleave; the
 * fields follow CloudWatch's alarm message (aws-reference.md section 5), in
 * this order:
 *
 *   {"AlarmName", "AlarmDescription" (null when none), "NewStateValue",
 *    "NewStateReason", "StateChangeTime" ("2026-11-25T10:05:00.000+0000"),
 *    "Region" (the region code, or null), "OldStateValue",
 *    "Trigger": {"MetricName", "Namespace", "Statistic" ("SUM"; a
 *       percentile gives "ExtendedStatistic": "p99" instead),
 *       "Dimensions": [{"value", "name"}], "Period", "EvaluationPeriods",
 *       "DatapointsToAlarm", "ComparisonOperator", "Threshold",
 *       "TreatMissingData"},
 *    "Notifier": the notifier's name}
 *
 * Built with jansson; depends on lib/ and notifiers/notifier.h.
 */
#ifndef SW_NOTIFIERS_LOG_H
#define SW_NOTIFIERS_LOG_H

#include <stddef.h>

#include "notifiers/notifier.h"

/* sw_notifier_log_new - a log notifier called NAME writing to PATH ("-" for
 * stdout).  Returns 0 and *out (new, free with sw_notifier_free()), or
 * SW_EINVAL (empty path) or SW_ENOMEM. */
int sw_notifier_log_new(const char *name, const char *path,
                        struct sw_notifier **out);

/* For tests: the JSON line for EV (with its trailing newline).
 * Returns: new (free()), or NULL when out of memory. */
char *sw_notifier_log_format(const char *name, const struct sw_alarm_event *ev);

#endif
