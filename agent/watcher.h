/* agent/watcher.h - the watcher watches itself: the blind-watcher alarm.
 *
 * A fetch that fails is not data (docs/cloudwatch-alarms.md): the alarm
 * keeps its state.  That is right for one failed minute and wrong for an
 * hour of expired credentials, during which every alarm would silently
 * keep saying OK.  So an alarm whose fetches have failed for
 * agent.failure_after seconds in a row, on the agent's clock, is blind,
 * and the synthetic alarm "watcher:<agent.name>" goes to ALARM; it goes
 * back to OK when every alarm is evaluated again (no alarm's last fetch
 * failed).  Stream discovery for pattern templates (Kinesis ListStreams)
 * counts as one more fetch, recorded in the watcher's own entry.
 *
 * The watcher is shaped as a CloudWatch alarm on a metric of our own
 * (namespace "streamwatch", BlindAlarms > 0), so it travels through the
 * same records, formats and outbox as any alarm (agent/cycle.c sends it);
 * its actions are agent.failure_actions.  This module only judges: from
 * the store and the clock, which state the watcher should be in and
 * why.  Pure: no I/O, no clock, no globals.
 */
#ifndef SW_AGENT_WATCHER_H
#define SW_AGENT_WATCHER_H

#include <stddef.h>
#include <time.h>

#include "rules/rule.h"

struct sw_alarm_state;
struct sw_store;
struct sw_strv;

#define SW_WATCHER_PREFIX "watcher:"
/* What the watcher's alarms are called in its reason: stream discovery
 * is not an alarm, but the watcher is blind to new streams without it. */
#define SW_WATCHER_DISCOVERY "stream discovery (Kinesis ListStreams)"
/* Alarms named in the reason; the reason data names up to ..._DATA. */
#define SW_WATCHER_NAMED      20
#define SW_WATCHER_NAMED_DATA 100

/* What sw_watcher_judge() looks at.  All borrowed. */
struct sw_watcher_input {
    const struct sw_rule *const *rules; /* the agent's alarms */
    size_t nrules;
    const struct sw_store *store;           /* their states */
    const struct sw_alarm_state *discovery; /* the watcher's entry: its
                                               fetch_* fields are stream
                                               discovery's; may be NULL */
    time_t now;
    int failure_after_s;
};

struct sw_watcher_verdict {
    enum sw_state state; /* the state the watcher should be in */
    size_t nblind;       /* blind alarms (discovery counted as one) */
    size_t nfailing;     /* alarms whose last fetch failed */
    char *reason;        /* NULL: keep the current reason */
    char *reason_data;   /* JSON text, or NULL */
};

/* sw_watcher_rule - the watcher alarm as a rule: named "watcher:AGENT",
 * metric BlindAlarms in namespace "streamwatch" with dimension Agent =
 * AGENT, Maximum over 60 s, GreaterThanThreshold 0, one period; alarm and
 * OK actions are copies of ACTIONS (agent.failure_actions).
 * Returns: new (sw_rule_free()), or NULL when out of memory. */
struct sw_rule *sw_watcher_rule(const char *agent,
                                const struct sw_strv *actions,
                                int failure_after_s);

/* sw_watcher_judge - the watcher's state given IN, when it is now in CUR
 * since CUR_SINCE:
 *  - some alarm blind: ALARM, the reason listing them (at most
 *    SW_WATCHER_NAMED), since when, and the last error, the reason data
 *    as JSON ({"version": "1.0", "blindAlarms": [...], ...});
 *  - none blind but some fetch failing, in ALARM: still ALARM, the reason
 *    left as it is (every alarm must be evaluated again first);
 *  - otherwise OK, with a reason saying so (from ALARM: for how long the
 *    watcher was blind).
 * Returns 0 (release OUT with sw_watcher_verdict_release()) or SW_ENOMEM. */
int sw_watcher_judge(const struct sw_watcher_input *in, enum sw_state cur,
                     time_t cur_since, struct sw_watcher_verdict *out);
void sw_watcher_verdict_release(struct sw_watcher_verdict *v);

#endif
