/* agent/sync_priv.h - what the four parts of `plan` and `sync` share; for
 * agent/sync*.c only (agent/sync.h is the interface).
 *
 * One concern a file:
 *   sync_input.c  the desired alarms: each synced rule of the config, and
 *                 each alarm of a synced template (expanded with Kinesis
 *                 ListStreams as the agent does), as a PutMetricAlarm
 *                 input, SHARDS replaced by the count DescribeStreamSummary
 *                 gives (agent/shards); rules/cwrender renders the alarm
 *                 itself;
 *   sync_diff.c   both sides normalised, compared field by field, and
 *                 values shown as the plan prints them;
 *   sync_apply.c  the plan (creates, updates, deletes, conflicts), its
 *                 printed form, and applying it to CloudWatch;
 *   sync.c        the command: config, AWS client, the actual alarms and
 *                 their tags, confirmation and exit status.
 *
 * Depends on lib/, rules/, aws/ (client, cwalarms) and agent/conf,
 * agent/discover, agent/shards.
 */
#ifndef SW_AGENT_SYNC_PRIV_H
#define SW_AGENT_SYNC_PRIV_H

#include <stddef.h>

#include <jansson.h>

#include "aws/client.h"
#include "aws/cwalarms.h"
#include "lib/buf.h"
#include "lib/log.h"

/* Declared, not included: agent/sync.c includes this header, so including
 * agent/sync.h here would make the two one include cycle. */
struct sw_conf;
struct sw_strv;
struct sw_sync_plan;

/* How the plan prints JSON values: one line, insertion order. */
#define SW_SYNC_DUMP_FLAGS                                                     \
    (JSON_ENCODE_ANY | JSON_PRESERVE_ORDER | JSON_INDENT(0))

/* sw_sync_fmt_text - snprintf for text that is only shown: a cut-short
 * line is still a line, so truncation is not an error here. */
void sw_sync_fmt_text(char *out, size_t n, const char *fmt, ...)
    SW_PRINTF(3, 4);

/* sw_sync_fmt_value - V as the plan shows it, appended to B: reals as
 * CloudWatch prints them ("10.0"), everything else as JSON (strings
 * quoted and escaped, so a hostile name cannot move the cursor); NULL as
 * "null".  Returns 0, SW_ETOOBIG (B's cap) or SW_ENOMEM. */
int sw_sync_fmt_value(const json_t *v, struct sw_buf *b);

/* sw_sync_tags_object - tags as an object Key -> Value: from a Tags list
 * [{Key, Value}] (entries without both are skipped), or a copy of an
 * object already (a normalised alarm); JSON null for NULL or null.
 * Returns: new, or NULL when memory runs out. */
json_t *sw_sync_tags_object(const json_t *v);

/* sw_sync_aws_failed - "streamwatch: CMD: WHAT failed: CODE: MESSAGE
 * (N attempts)" on stderr, for an AWS call that returned R with E. */
void sw_sync_aws_failed(const char *cmd, const char *what,
                        const struct sw_aws_error *e, int r);

/* sw_sync_desired - the PutMetricAlarm inputs of every synced alarm of C
 * (sw_sync_alarm_input(), or sw_sync_shards_input() with the stream's
 * current shard count for an expression that uses SHARDS: a failed
 * DescribeStreamSummary fails, naming the alarm): its rules with sync =
 * true, then, when a template is synced, the alarms of its streams,
 * listed through AWS (a failed listing fails: without it a plan would
 * delete those alarms).
 * Local-only notifiers are added to LOCAL_ONLY.  Problems go to stderr
 * prefixed with CMD.  Returns 0 and *OUT (new array, json_decref()), or
 * a negative SW_E* code (*OUT NULL). */
int sw_sync_desired(const struct sw_conf *c, struct sw_aws *aws,
                    const char *cmd, json_t **out, struct sw_strv *local_only);

/* sw_sync_apply - apply the plan P through AWS and the rate limiter LIM:
 * creates and updates in order (PutMetricAlarm, and TagResource when a
 * tag differs), then deletes in batches of SW_CWA_DELETE_BATCH, printing
 * "created NAME" ... and "Apply complete: ..." on stdout.  The first
 * failure stops it; what was not applied is listed on stderr.
 * Returns 0 or the failure's negative SW_E* code. */
int sw_sync_apply(struct sw_aws *aws, struct sw_cwa_limiter *lim,
                  const char *cmd, const struct sw_sync_plan *p);

#endif
