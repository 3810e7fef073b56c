/* rules/eval.h - turns datapoints into alarm state transitions.
 *
 * One evaluation of one metric alarm, with CloudWatch's semantics
 * (docs/cloudwatch-alarms.md): the evaluation range of
 * sw_rule_eval_range() periods, the N most recent *real* datapoints, missing
 * data filled as few times as possible by TreatMissingData, the
 * premature-alarm rule, and the NewStateReason / StateReasonData texts
 * CloudWatch writes.  The algorithm is the one of sections 4 to 6 there,
 * which reproduces both documented tables cell for cell.
 *
 * Pure: no I/O, no clock, no globals; depends only on lib/ and rules/rule.h.
 * StateReasonData is built by hand rather than with jansson so that numbers
 * print exactly as in the reason (Java's Double.toString, "10.0"), which
 * jansson's "%.17g" would not do.
 *
 * Reason wording (section 8, CloudWatch's forms in its published messages):
 *   ALARM  "Threshold Crossed: 3 out of the last 5 datapoints [a (t), b (t),
 *          c (t)] were greater than the threshold (10.0) (minimum 3
 *          datapoints for OK -> ALARM transition)."  The list holds the
 *          breaching datapoints, newest first.
 *   OK     "... [..] were not greater than the threshold (10.0) (minimum
 *          N-M+1 datapoints for ALARM -> OK transition)."  The list holds
 *          the non-breaching datapoints.  N-M+1 is the number of
 *          non-breaching points that forces OK; recorded reasons confirm it
 *          (2 of 8 alarm: "minimum 7 datapoints for ALARM -> OK").
 *   The transition text is fixed ("OK -> ALARM", "ALARM -> OK"): recorded
 *   INSUFFICIENT_DATA -> ALARM messages still say "for OK -> ALARM
 *   transition".
 *   Filled  "Threshold Crossed: no datapoints were received for 2 periods
 *          and 2 missing datapoints were treated as [Breaching]."; with
 *          real points that do not support the new state: "1 datapoint was
 *          received for 3 periods and 2 missing datapoints were treated as
 *          [Breaching]." (both recorded); else the threshold form with
 *          " and 1 missing datapoint was treated as [NonBreaching]" before
 *          the "(minimum ...)" part.
 *   INSUFFICIENT_DATA  "Insufficient Data: 5 datapoints were unknown."
 *          (recorded; the count is N).
 *   Our own wording, for cases CloudWatch never shows or we have no record
 *   of: OK because fewer than M real datapoints exist and all of them breach
 *   ("... was greater than the threshold (10.0), fewer than the minimum 3
 *   datapoints for OK -> ALARM transition."), `ignore` keeping the state
 *   ("Missing data ignored: no datapoints were received for 3 periods; the
 *   current state was kept."), and a low sample count keeping it (below).
 *
 * Numbers print as Java's Double.toString does ("10.0", "1.2345678E7",
 * "1.0E-4"), dates as dd/MM/yy HH:mm:ss in UTC whatever TZ says.
 *
 * Length limits.  DescribeAlarms documents StateReason as at most 1023
 * characters and StateReasonData as at most 4000 (docs/cloudwatch-alarms.md
 * section 10): nothing longer may reach state.json, notifications or a synced
 * alarm.  How CloudWatch itself shortens a long reason is not documented;
 * we cut inside the bracketed datapoint list, which is the only part that
 * grows with N.  The list keeps the newest points that fit and ends in
 * ", ...]" ("[...]" if none fits); the rest of the sentence, counts
 * included, stays whole.  StateReasonData keeps its fixed members and cuts
 * its two arrays: recentDatapoints keeps its newest values (it is oldest
 * first, so the oldest go), then evaluatedDatapoints keeps as many whole
 * entries, newest first, as the remaining room allows; both stay valid
 * JSON arrays, possibly empty.  A listed point takes 25 to 45 characters
 * and an evaluatedDatapoints entry about 90, so reasons listing more than
 * some 25 points and reason data for more than some 40 periods are cut.
 *
 * Percentiles with low sample counts (section 7).  With
 * EvaluateLowSampleCountPercentile = ignore (rule->low_sample_ignore) and a
 * pNN statistic, "the alarm state does not change during periods with too
 * few data points to be statistically significant" (PutMetricAlarm API
 * reference; the user guide's "ignore the metric while the sample size is
 * low, and wait to evaluate it until there is enough data").  CloudWatch
 * does not say whether it drops just the thin datapoint or freezes the
 * alarm; we implement the documented sentence literally: when any real
 * datapoint the evaluation uses (the same set the reason lists and
 * StateReasonData's evaluatedDatapoints holds) has too few samples, the
 * result is the previous state with retained = 1, whatever the other
 * points say.  This also holds a new alarm in INSUFFICIENT_DATA, as
 * section 7 says.  Too few, for the percentile p as a fraction:
 *   0.5 <= p < 1   fewer than 10 / (1 - p) samples   (p99: < 1000)
 *   0 < p < 0.5    fewer than 10 / p samples          (p10: < 100)
 *   p0, p100       never.  The formulas give infinity there (the alarm
 *                  could never change state), the documentation's ranges
 *                  leave both ends open ("between 0.5 (inclusive) and 1.00
 *                  (exclusive)", "between 0 and 0.5 (exclusive)"), and p0
 *                  and p100 are the exact Minimum and Maximum, statistically
 *                  sound from a single sample.
 * The comparison is done in integers on the decimal digits of the
 * statistic ("p99.9" is 999/1000), so p90 needs exactly 100 samples, not
 * 100.00000000000003.  A sample_count of -1 (unknown: SampleCount was not
 * fetched, or a recording lacks it) counts as enough, so that missing
 * bookkeeping cannot freeze an alarm forever.  The reason is ours:
 *   "Low sample count: 1 out of the last 3 datapoints [250.0 (25/11/26
 *   10:04:00)] had fewer than the 1000 samples p99 needs to be
 *   statistically significant; the current state was kept."
 * listing the thin points, newest first.  It takes precedence over the
 * `ignore` reason.  Periods that are missing or filled carry no sample
 * count and never count as thin.
 */
#ifndef SW_RULES_EVAL_H
#define SW_RULES_EVAL_H

#include <stddef.h>
#include <time.h>

#include "lib/metric.h"
#include "rules/rule.h"

/* CloudWatch's limits on StateReason and StateReasonData, in characters
 * (excluding the NUL); see "Length limits" above. */
#define SW_EVAL_REASON_MAX      1023
#define SW_EVAL_REASON_DATA_MAX 4000

struct sw_eval_result {
    enum sw_state state; /* the new state */
    int changed;         /* state != prev */
    int retained;        /* 1: prev kept without a decision (`ignore`, or
                          * a low sample count) */
    int filled;          /* missing datapoints filled by TreatMissingData */
    int low_samples;     /* evaluated datapoints with too few samples; > 0
                          * only with low_sample_ignore on a percentile */
    char *reason;        /* NewStateReason, <= SW_EVAL_REASON_MAX chars;
                          * owned, see release */
    char *reason_data;   /* StateReasonData JSON text, <=
                          * SW_EVAL_REASON_DATA_MAX chars; owned */
    struct sw_datapoint *evaluated; /* real datapoints used, newest first;
                                     * owned, NULL when none */
    size_t nevaluated;
};

/* sw_eval - evaluate rule R once.
 *
 * POINTS are the datapoints fetched for the window [end - range * period,
 * end) (see sw_eval_window()); they may come in any order, points outside
 * the window are ignored, and two points in the same period keep the later
 * one in the array.  A NaN or infinite value (which CloudWatch never
 * returns) is ignored like a point outside the window, rather than failing
 * the evaluation.  PREV is the alarm's current state (for `ignore` and low
 * sample counts, and to set changed).  QUERY_TIME is the wall time of the
 * evaluation, used only for queryDate in StateReasonData.
 *
 * Returns 0 and fills OUT (release with sw_eval_result_release()), or
 * SW_EINVAL (a rule that cannot be evaluated: period <= 0, N < 1, M not in
 * [1, N], more than SW_EVAL_MAX_RANGE periods, a NaN or infinite
 * threshold), SW_ETOOBIG (a unit or statistic so long that StateReasonData's
 * fixed members alone pass SW_EVAL_REASON_DATA_MAX) or SW_ENOMEM; OUT is
 * zeroed on entry and left empty on failure.  An evaluation range set below
 * N is widened to N. */
#define SW_EVAL_MAX_RANGE 100000
int sw_eval(const struct sw_rule *r, const struct sw_datapoint *points,
            size_t n, time_t end, enum sw_state prev, time_t query_time,
            struct sw_eval_result *out);

/* sw_eval_result_release - free the result's contents; NULL is accepted. */
void sw_eval_result_release(struct sw_eval_result *res);

/* sw_eval_window - the aligned window for an evaluation at wall time NOW:
 * *end = floor(now / period) * period, so only complete periods count, and
 * *start = *end - sw_rule_eval_range(r) * period (at least N periods). */
void sw_eval_window(const struct sw_rule *r, time_t now, time_t *start,
                    time_t *end);

/* sw_eval_min_samples - the sample count a datapoint of percentile
 * statistic STAT needs to be statistically significant (section 7 and
 * "Percentiles with low sample counts" above): the smallest whole count
 * not "fewer than 10/(1-p)" (p >= 0.5) or "10/p" (p < 0.5), e.g. 1000 for
 * p99, 334 for p97.  Returns that count, or 0 when the rule never applies:
 * STAT is not a percentile, or is p0 or p100. */
unsigned long long sw_eval_min_samples(const char *stat);

/* sw_eval_low_sample - 1 when a datapoint of percentile statistic STAT
 * computed from SAMPLE_COUNT samples is too thin to evaluate, else 0.
 * A negative SAMPLE_COUNT (unknown) is never thin.  The test is exact:
 * count * (1 - p) < 10, resp. count * p < 10, in integers. */
int sw_eval_low_sample(const char *stat, double sample_count);

/* Evaluation cadence (docs/cloudwatch-alarms.md section 3, from the CloudWatch
 * user guide's "Alarm evaluation" page): an alarm with a Period of 60 s or
 * more "is evaluated every minute"; with 10, 20 or 30 s "every 10
 * seconds"; one whose Period x EvaluationPeriods exceeds one day once per
 * hour.  The evaluations sit on a UTC grid of that step (10:05:00, 10:05:10;
 * 11:00:00), which is also where sw_eval_window() moves on to a new
 * complete period. */

/* sw_eval_cadence_s - seconds between two evaluations of R: 3600 when
 * period_s * evaluation_periods > 86400, else 10 for period_s < 60, else
 * 60 (also for a rule with no valid period). */
int sw_eval_cadence_s(const struct sw_rule *r);

/* sw_eval_due - 1 when R is due for an evaluation at NOW, else 0.
 *
 * LAST_EVALUATED is the wall time of R's previous evaluation, 0 (or any
 * value <= 0) for never.  With c = sw_eval_cadence_s(r), the next
 * evaluation is due at the first grid boundary after the grid slot that
 * LAST_EVALUATED fell in, floor(last / c) * c + c: for an evaluation made
 * on the grid (10:05:00) that is last + c (10:06:00); for one made late
 * (10:05:07, a slow cycle) it is still 10:06:00, so a late run never makes
 * the next slot be skipped.  NOW at or after that boundary is due, so an
 * agent that wakes a little late still evaluates once, and several missed
 * slots collapse into one evaluation.  A NOW before LAST_EVALUATED's own
 * slot means the wall clock was stepped back: due, rather than silent
 * until the clock catches up again. */
int sw_eval_due(const struct sw_rule *r, time_t last_evaluated, time_t now);

#endif
