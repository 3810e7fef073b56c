/* agent/sync.h - `streamwatch plan` and `streamwatch sync`: the config's
 * rules as real CloudWatch alarms.
 *
 * Desired state: every alarm of a rule with `sync = true` (pattern
 * templates expanded with Kinesis ListStreams, as the agent does) mapped
 * to a PutMetricAlarm input (rules/cwrender renders the alarm the way
 * the SNS Trigger shows it, in the PutMetricAlarm form).  SNS
 * notifiers become their topic ARNs and raw SNS ARNs stay as they are;
 * other notifier types have no CloudWatch equivalent and are listed as
 * local-only.  The rule's labels become tags, and every alarm carries
 * the tag streamwatch:owner = sync.owner.  CloudWatch has no SHARDS: an
 * expression that uses it is sent with the stream's open shard count in
 * its place, looked up with Kinesis DescribeStreamSummary on every plan
 * (agent/shards; a failed lookup is an error for that alarm), so a
 * changed shard count plans an update of the Expression.
 *
 * Actual state: DescribeAlarms (every page; AlarmNamePrefix when
 * sync.name_prefix is set) and ListTagsForResource for each alarm whose
 * name the config wants and, with --prune, for each alarm that might be
 * ours: every alarm described.  Tags are not in DescribeAlarms, so
 * without a name prefix a --prune run costs one ListTagsForResource per
 * alarm in the region, at 2.7 a second (aws/cwalarms.h): set
 * sync.name_prefix in accounts with many alarms.  An alarm of a wanted
 * name without our owner tag is someone else's: the plan reports a
 * conflict and sync never touches it.  --prune deletes only alarms that
 * carry our owner tag and that the config no longer defines.
 *
 * Both sides are normalised before they are compared, so a synced config
 * plans "No changes.": what DescribeAlarms leaves out takes its default
 * (TreatMissingData "missing", DatapointsToAlarm = EvaluationPeriods,
 * empty action lists, ActionsEnabled true, no Unit,
 * EvaluateLowSampleCountPercentile "evaluate" for percentiles and ""
 * otherwise, Metrics entries' ReturnData true), numbers compare as
 * numbers (100 and 100.0 are equal), and dimensions, action lists and
 * tags compare without regard to order.  Only the tags the config sets
 * are compared: tags that another tool added are left alone, and a tag
 * whose label was removed stays (TagResource adds and overwrites; there
 * is no UntagResource here).
 *
 * Applying: PutMetricAlarm for each create and each update whose
 * configuration differs (tags only apply when an alarm is created, so an
 * update whose tags differ is followed by TagResource), DeleteAlarms in
 * batches of at most 100, all through the rate limiter of aws/cwalarms.
 * A failure stops the run; what was applied and what was not is printed,
 * and a re-run converges because the plan is computed afresh from
 * CloudWatch.  Between the plan and the apply another tool may still
 * create an alarm of a wanted name; PutMetricAlarm would then overwrite
 * it.  The window is the few seconds of the run.
 *
 * The work is split by concern into agent/sync_input.c, sync_diff.c,
 * sync_apply.c and sync.c (the command); agent/sync_priv.h says which
 * does what.  Depends on lib/, rules/, aws/ and agent/conf,
 * agent/discover, agent/shards.
 */
#ifndef SW_AGENT_SYNC_H
#define SW_AGENT_SYNC_H

#include <signal.h>
#include <stddef.h>

#include <jansson.h>

#include "lib/buf.h"
#include "rules/rule.h"

struct sw_conf;

#define SW_SYNC_OWNER_TAG "streamwatch:owner"

/* sw_sync_command - `streamwatch [-c CONF_PATH] plan` (APPLY 0) or `sync`
 * (APPLY 1).  PRUNE: also plan deletes of owned alarms that are not in
 * the config (`sync --prune`; `plan --prune` shows them).  YES: apply
 * without asking; otherwise sync asks "Apply these changes? [y/N]" when
 * stdin is a terminal and refuses (exit 1, nothing sent) when it is not.
 * DETAILED_EXITCODE: plan exits 2 when there are changes.  CANCEL
 * (borrowed, may be NULL) is the stop flag the AWS client and the rate
 * limiter poll.  The plan goes to stdout, errors to stderr as one line
 * each.
 * Returns the process exit status: 0 success (no changes, or all
 * applied), 2 changes pending (plan with DETAILED_EXITCODE), 1 any error
 * (bad config, AWS failure, refused or declined confirmation, a conflict
 * left in place by sync, a failure part-way through the apply). */
int sw_sync_command(const char *conf_path, int apply, int prune, int yes,
                    int detailed_exitcode, volatile sig_atomic_t *cancel);

/* --- for tests --- */

/* sw_sync_alarm_input - the PutMetricAlarm input for the alarm R of the
 * config C, in the model's member order: AlarmName, AlarmDescription
 * (when set), ActionsEnabled, OKActions, AlarmActions,
 * InsufficientDataActions (always, maybe empty), then
 * sw_cwrender_alarm() in the API form (MetricName, Namespace, Statistic
 * or ExtendedStatistic, Dimensions, Period, Unit (when set) for a single
 * metric, EvaluationPeriods, DatapointsToAlarm, Threshold,
 * ComparisonOperator, TreatMissingData, EvaluateLowSampleCountPercentile
 * (percentile statistics only), Metrics for metric math: each metric a
 * MetricStat with ReturnData false, then the expression as "e1" or the
 * first free "eN" with Label = the expression and ReturnData true, as in
 * the SNS message's Trigger.Metrics), and Tags (the labels, then
 * SW_SYNC_OWNER_TAG).
 * Actions that name a notifier of another type than sns are left out
 * and, when LOCAL_ONLY is not NULL, "NAME (TYPE)" is added to it unless
 * already there.
 * Returns 0 and *out: new object (json_decref()); SW_EINVAL with ERR set
 * when the alarm cannot be a CloudWatch alarm (an action naming no
 * notifier, a label value over 256 characters, too many tags);
 * SW_ENOMEM. */
int sw_sync_alarm_input(const struct sw_conf *c, const struct sw_rule *r,
                        json_t **out, struct sw_strv *local_only, char *err,
                        size_t errlen);
/* (sw_sync_alarm_input() refuses a rule whose expression uses SHARDS, with
 * SW_EINVAL: it goes through sw_sync_shards_input().) */

/* sw_sync_shards_input - sw_sync_alarm_input() for the metric-math rule
 * R whose expression uses SHARDS, with SHARDS open shards: the
 * expression's Expression is R's with the number in place of SHARDS
 * (sw_expr_subst_shards(): "w / (4 * 60000) * 100"), its Label R's text
 * as written ("w / (SHARDS * 60000) * 100"), so that the console shows
 * where the number came from and a new count changes the Expression
 * alone.  Returns as sw_sync_alarm_input(); also SW_EPARSE when the
 * expression with the number does not parse (a constant division by
 * zero: "w + 1 / (SHARDS - 4)" with 4 gives ERR "alarm 'x': with SHARDS =
 * 4, expression: column 7: division by zero"), SW_EINVAL when SHARDS is
 * not a number >= 0 or R is not metric math. */
int sw_sync_shards_input(const struct sw_conf *c, const struct sw_rule *r,
                         double shards, json_t **out,
                         struct sw_strv *local_only, char *err, size_t errlen);

/* sw_sync_normalize - ALARM (a PutMetricAlarm input or a DescribeAlarms
 * MetricAlarm, borrowed) in the canonical form the diff compares: an
 * object with AlarmName and every compared member (the list in
 * sync_diff.c), absent ones at their defaults, numbers as integers (Period,
 * EvaluationPeriods, DatapointsToAlarm) or reals (Threshold), sorted
 * Dimensions and action lists, Metrics entries completed.  Tags come
 * from TAGS (an object Key -> Value, borrowed) when not NULL, else from
 * ALARM's own Tags list, else Tags is null (unknown).  The result is a
 * valid input to this function again and normalises to itself.
 * Returns 0 and *out: new (json_decref()); SW_EINVAL (ALARM not an
 * object); SW_ENOMEM. */
int sw_sync_normalize(const json_t *alarm, const json_t *tags, json_t **out);

/* sw_sync_diff - compare two normalised alarms and append one line per
 * difference to LINES, in the model's member order: "~ Threshold: 10.0
 * -> 20.0" (changed; ACTUAL's value first), "+ OKActions: [\"arn:...\"]"
 * (ACTUAL has none), "- AlarmDescription: \"old\"" (DESIRED has none).
 * Metrics of the same length are compared entry by entry and field by
 * field ("~ Metrics[1].MetricStat.Stat: \"Sum\" -> \"Average\"").  Tags:
 * only DESIRED's keys are compared ("~ Tags.team: ..."), and only when
 * ACTUAL's tags are known.  *TAGS_DIFFER (may be NULL) is set to 1 when
 * a tag differs, else 0.
 * Returns the number of lines added (0: the same), or SW_ENOMEM. */
int sw_sync_diff(const json_t *desired, const json_t *actual,
                 struct sw_strv *lines, int *tags_differ);

enum sw_sync_action {
    SW_SYNC_CREATE = 0,
    SW_SYNC_UPDATE,
    SW_SYNC_DELETE,
};

struct sw_sync_change {
    enum sw_sync_action action;
    char *name;
    char *arn;           /* UPDATE, DELETE: the alarm's ARN */
    json_t *input;       /* CREATE, UPDATE: the PutMetricAlarm input */
    int put;             /* UPDATE: the configuration differs */
    int tag;             /* UPDATE: a tag differs: TagResource */
    struct sw_strv diff; /* UPDATE: sw_sync_diff() lines */
};

struct sw_sync_plan {
    struct sw_sync_change *changes; /* creates, updates, deletes, each in
                                       name order */
    size_t nchanges;
    size_t ncreate, nupdate, ndelete;
    struct sw_strv conflicts; /* one line per foreign alarm of a wanted
                                 name */
    size_t ndesired, nactual;
};

/* sw_sync_plan_compute - the plan from DESIRED (array of PutMetricAlarm
 * inputs, unique AlarmNames), ACTUAL (array of DescribeAlarms
 * MetricAlarms) and TAGS (object AlarmArn -> tags object; an alarm whose
 * ARN is missing was not looked at and is treated as not ours), for the
 * tag value OWNER.  PRUNE adds deletes of owned alarms not in DESIRED.
 * All borrowed; OUT is overwritten (release with
 * sw_sync_plan_release()).  Returns 0; SW_EINVAL (a desired input
 * without AlarmName); SW_ENOMEM. */
int sw_sync_plan_compute(const json_t *desired, const json_t *actual,
                         const json_t *tags, const char *owner, int prune,
                         struct sw_sync_plan *out);
void sw_sync_plan_release(struct sw_sync_plan *p);

/* sw_sync_plan_format - the plan as `plan` prints it, appended to OUT:
 * each change ("+ create NAME" with the input's members, "~ update NAME"
 * with the diff, "- delete NAME"), the conflicts, then LOCAL_ONLY (may
 * be NULL) and the summary line "Plan: 1 to create, 2 to update, 0 to
 * delete." or "No changes.".
 * Returns 0, SW_ETOOBIG (OUT's cap) or SW_ENOMEM. */
int sw_sync_plan_format(const struct sw_sync_plan *p,
                        const struct sw_strv *local_only, struct sw_buf *out);

#endif
