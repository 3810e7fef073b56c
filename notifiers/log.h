/* notifiers/log.h - the `log` notifier: one JSON line per notification.
 *
 * Appends to a file (opened for each notification with O_APPEND, so
 * logrotate can move it at any time) or to stdout for path "-".  The line
 * is the record's "alarm" object (the CloudWatch alarm JSON of
 * docs/aws-wire.md section 7, fields in the order notifiers/message put
 * them) with "Notifier": the notifier's name added last.  Each line is
 * written with one write() so lines from concurrent writers do not
 * interleave.  There is no transfer: prepare() writes the line and returns
 * SW_PREPARED_SYNC, or SW_EIO (retried by the dispatcher) when the file
 * cannot be written, or SW_EINVAL (dropped) for a record without "alarm".
 *
 * Built with jansson; depends on lib/ and notifiers/notifier.h.
 */
#ifndef SW_NOTIFIERS_LOG_H
#define SW_NOTIFIERS_LOG_H

#include <jansson.h>
#include <stddef.h>

#include "notifiers/notifier.h"

/* sw_notifier_log_new - a log notifier called NAME writing to PATH ("-" for
 * stdout).  Returns 0 and *out (new, free with sw_notifier_free()), or
 * SW_EINVAL (empty path) or SW_ENOMEM. */
int sw_notifier_log_new(const char *name, const char *path,
                        struct sw_notifier **out);

/* sw_notifier_log_format - the JSON line for REC (borrowed) as notifier
 * NAME writes it, with its trailing newline; also what `run --dry-run`
 * prints.  Reals are printed with 15 significant digits, so a configured
 * threshold shows as written ("0.1", not 0.10000000000000001).
 * Returns: new (free()), or NULL when REC has no "alarm" object or memory
 * ran out. */
char *sw_notifier_log_format(const char *name, const json_t *rec);

#endif
