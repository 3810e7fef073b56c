/* rules/eval.h - turns datapoints into alarm state transitions.
 *
 * One evaluation of one metric alarm, with CloudWatch's semantics
 * (aws-reference.md section 4): the evaluation range of
 * sw_rule_eval_range() periods, the N most recent *real* datapoints, missing
 * data filled as few times as possible by TreatMissingData, the
 * premature-alarm rule, and the NewStateReason / StateReasonData texts
 * CloudWatch writes.  The algorithm is the section 4.10 reconstruction,
 * which reproduces both documented tables cell for cell.
 *
 * Pure: no I/O, no clock, no globals; depends only on lib/ and rules/rule.h.
 * StateReasonData is built by hand rather than with jansson so that numbers
 * print exactly as in the reason (Java's Double.toString, "10.0"), which
 * jansson's "%.17g" would not do.
 *
 * Reason wording (section 4.9, checked against recorded AWS payloads):
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
 *   datapoints for OK -> ALARM transition."), and `ignore` keeping the state
 *   ("Missing data ignored: no datapoints were received for 3 periods; the
 *   current state was kept.").
 */
#ifndef SW_RULES_EVAL_H
#define SW_RULES_EVAL_H

#include <stddef.h>
#include <time.h>

#include "lib/metric.h"
#include "rules/rule.h"

struct sw_eval_result {
    enum sw_state state; /* the new state */
    int changed;         /* state != prev */
    int retained;        /* 1: `ignore` kept prev without a decision */
    int filled;          /* missing datapoints filled by TreatMissingData */
    char *reason;        /* NewStateReason; owned, see release */
    char *reason_data;   /* StateReasonData JSON text; owned */
    struct sw_datapoint *evaluated; /* real datapoints used, newest first;
                                     * owned, NULL when none */
    size_t nevaluated;
};

/* sw_eval - evaluate rule R once.
 *
 * POINTS are the datapoints fetched for the window [end - range * period,
 * end) (see sw_eval_window()); they may come in any order, points outside
 * the window are ignored, and two points in the same period keep the later
 * one in the array.  PREV is the alarm's current state (for `ignore`, and to
 * set changed).  QUERY_TIME is the wall time of the evaluation, used only
 * for queryDate in StateReasonData.
 *
 * Returns 0 and fills OUT (release with sw_eval_result_release()), or
 * SW_EINVAL (a rule that cannot be evaluated: period <= 0, N < 1, M not in
 * [1, N], more than SW_EVAL_MAX_RANGE periods) or SW_ENOMEM; OUT is zeroed
 * on entry and left empty on failure.  An evaluation range set below N is
 * widened to N. */
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

#endif
