/* agent/record.h - writes history in the recording format
 * (docs/recording-format.md), for `streamwatch record`.
 *
 * What to record for a set of alarms: every series a rule reads (its
 * metric, or each metric of its expression), at the recording's 60 s
 * resolution, with the five standard statistics (a period of several
 * minutes is rebuilt from them: Sum and SampleCount add up, Minimum and
 * Maximum combine, Average is weighted by SampleCount) and each
 * percentile a rule uses (answerable only for 60 s periods: percentiles
 * do not combine).  sw_record_fetches() makes those questions;
 * sw_record_csv() writes their answers as the CSV the recording source
 * reads back: rows sorted by time, then series; a row for each minute in
 * which any statistic of the series has a datapoint; empty cells for the
 * statistics without one; numbers printed to round-trip exactly.
 *
 * Pure: no I/O.  Fetches borrow their strings from the rules.
 */
#ifndef SW_AGENT_RECORD_H
#define SW_AGENT_RECORD_H

#include <stddef.h>
#include <time.h>

#include "agent/source.h"
#include "lib/buf.h"
#include "rules/rule.h"

/* sw_record_fetches - the questions that record the N RULES over
 * [FROM, TO) (aligned to the minute by the caller), and before FROM what
 * the first evaluation at FROM looks back on (sw_eval_window()), so that
 * a backtest of the recording over [FROM, TO) gives what one against
 * CloudWatch gives: per distinct series
 * (namespace, metric, dimension set; the unit of the first rule that
 * reads it) the five standard statistics, then the percentiles rules use,
 * all with a 60 s period; fetches of one series share a SERIES number.
 * Rules with a period under 60 s are left out (a recording holds minutes):
 * *SKIPPED counts them.  Returns 0 and *out (new, sw_backtest_fetches_free()
 * of agent/backtest.h, or free each with sw_fetch_release() and free()),
 * or SW_ENOMEM. */
int sw_record_fetches(const struct sw_rule *const *rules, size_t nrules,
                      time_t from, time_t to, struct sw_fetch **out, size_t *n,
                      size_t *skipped);

/* sw_record_csv - the answered fetches F (as sw_record_fetches() made
 * them) as a recording into OUT, after the comment lines of COMMENT (may
 * be NULL; each line gets "# ").  *ROWS (may be NULL) is set to the rows
 * written.  Returns 0, SW_EINVAL (a fetch without an answer), SW_ETOOBIG
 * (OUT's cap) or SW_ENOMEM. */
int sw_record_csv(const struct sw_fetch *f, size_t n, const char *comment,
                  struct sw_buf *out, size_t *rows);

#endif
