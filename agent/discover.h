/* agent/discover.h - the account's Kinesis streams, for pattern templates.
 *
 * A templated rule whose `streams` holds a pattern ("clicks-*") needs the
 * names of the streams that exist.  struct sw_discover keeps the list
 * Kinesis ListStreams (aws/kinesis) last returned and refreshes it at most
 * once per interval (default 300 s): ListStreams allows only 5 calls per
 * second per account, shared with every other tool there, and streams
 * come and go rarely.  When a refresh fails the previous list stays in
 * use, so a throttled or unreachable Kinesis API never makes alarms
 * disappear; the next attempt comes after at most 60 s.  Only a listing
 * that succeeds and lacks a stream drops that stream's alarms.
 *
 * The agent keeps the last good list in state_dir/streams.json
 * (sw_discover_persist(), sw_discover_save()) so that the same holds
 * across a restart, a `run --once` or a reload during an outage: without
 * it the alarms of every discovered stream would leave state.json and
 * fire again, as new alarms, when Kinesis answers.  The file is only the
 * fallback: a new cache still lists at its first sw_discover_streams().
 *
 *   {"version": 1, "fetched_at": "2026-11-25T10:05:00Z",
 *    "streams": ["clicks-eu", "clicks-us"]}
 *
 * sw_discover_expand() turns the list into alarms.  It is pure (no I/O,
 * no clock) and uses rules/template for matching and instantiation.
 *
 * Not thread-safe; one struct sw_discover per struct sw_aws.  Only call
 * sw_discover_streams() when some template has a pattern: a config
 * without patterns must not need the kinesis:ListStreams permission.
 */
#ifndef SW_AGENT_DISCOVER_H
#define SW_AGENT_DISCOVER_H

#include <stddef.h>
#include <time.h>

#include "rules/rule.h"

struct sw_aws;
struct sw_aws_error;

#define SW_DISCOVER_DEFAULT_INTERVAL_S 300
#define SW_DISCOVER_MIN_INTERVAL_S     10
#define SW_DISCOVER_MAX_INTERVAL_S     86400
#define SW_DISCOVER_RETRY_S            60 /* after a failed refresh */
#define SW_DISCOVER_FILE               "streams.json"
/* 100,000 names of up to 128 bytes, quoted and indented. */
#define SW_DISCOVER_MAX_BYTES (16u * 1024 * 1024)

struct sw_discover;

/* sw_discover_interval - the refresh interval INTERVAL_S names, for the
 * stream list and the shard counts (agent/shards.h) alike: 0 gives
 * SW_DISCOVER_DEFAULT_INTERVAL_S.  Returns it, or 0 when it is outside
 * SW_DISCOVER_MIN_INTERVAL_S..SW_DISCOVER_MAX_INTERVAL_S. */
int sw_discover_interval(int interval_s);

/* sw_discover_new - an empty cache that lists streams through A
 * (borrowed; it must outlive the cache: when the agent replaces its
 * struct sw_aws it makes a new cache too).  INTERVAL_S 0 gives
 * SW_DISCOVER_DEFAULT_INTERVAL_S; otherwise it must be within
 * SW_DISCOVER_MIN_INTERVAL_S..SW_DISCOVER_MAX_INTERVAL_S.  Nothing is
 * sent before the first sw_discover_streams().
 * Returns 0 and *out: new (free with sw_discover_free()); SW_EINVAL (A
 * NULL, INTERVAL_S out of range); SW_ENOMEM. */
int sw_discover_new(struct sw_aws *a, int interval_s, struct sw_discover **out);
void sw_discover_free(struct sw_discover *d);

/* sw_discover_failing - the error of the last refresh when it failed
 * (the one-line ERR sw_discover_streams() gave), NULL when the last
 * refresh succeeded or none was tried.  It stays set between retries,
 * while the cached list is in use.  Returns: borrowed, valid until the
 * next sw_discover_streams(). */
const char *sw_discover_failing(const struct sw_discover *d);

/* sw_discover_streams - the stream list as of wall time NOW: the cached
 * one while it is fresh, else a new ListStreams listing (sorted, no
 * duplicates, DELETING streams left out).  A refresh is due
 * INTERVAL_S after the last success, SW_DISCOVER_RETRY_S (or INTERVAL_S
 * when shorter) after a failure, at once after sw_discover_invalidate(),
 * and whenever NOW is earlier than the last attempt (the wall clock was
 * stepped back).  A successful refresh that changes the list is logged
 * at info level ("discover: 12 streams (2 new, 1 gone)"); the streams
 * it lost are in sw_discover_gone(), and sw_discover_save() writes it.
 * Returns 0 and *out: borrowed, valid until the next call or
 * sw_discover_free().  On failure returns the SW_E* code of
 * sw_kinesis_list_streams() (SW_EAWS, SW_ETHROTTLED, SW_EAUTH, SW_EHTTP,
 * SW_EPARSE, SW_ETOOBIG, SW_ECANCELED, SW_ENOMEM ...) with ERR set to one
 * line saying what failed and what is used instead ("discover:
 * ListStreams failed: AccessDeniedException: ...; keeping the previous
 * list of 12 streams from 2026-11-25T10:05:00Z" or "...; no stream list
 * yet"), and *out still set: to the previous list (borrowed as above;
 * use it), or NULL when no listing has ever succeeded.  The caller logs
 * ERR; nothing is logged here on failure. */
int sw_discover_streams(struct sw_discover *d, time_t now,
                        const struct sw_strv **out, char *err, size_t errlen);

/* sw_discover_persist - keep D's list in DIR/SW_DISCOVER_FILE (DIR is
 * copied): load the file now, when there is one, as the list to fall back
 * on (with the time it was fetched), and let sw_discover_save() write
 * there.  Loading does not delay the first refresh.
 * Returns 0 (also when there is no file yet); SW_EINVAL (D or DIR NULL);
 * SW_ENOMEM; or, with ERR one line naming the file, SW_EPARSE (not the
 * shape above, a name that is not a stream name, larger than
 * SW_DISCOVER_MAX_BYTES) or SW_EIO: D then has no list to fall back on,
 * but DIR is kept, so the next save replaces the file. */
int sw_discover_persist(struct sw_discover *d, const char *dir, char *err,
                        size_t errlen);

/* sw_discover_save - write the list to the file of sw_discover_persist()
 * after a successful listing not saved yet: atomically, fsync'd, mode
 * 0640 (lib/file's sw_file_replace(), as state.json).  Returns 0 (also
 * when there is nothing to write, or no sw_discover_persist()); SW_ENOMEM;
 * SW_EINVAL or SW_EIO with ERR naming the path: the list stays unsaved and
 * the next call tries again. */
int sw_discover_save(struct sw_discover *d, char *err, size_t errlen);

/* sw_discover_gone - the streams of the previous list (listed earlier, or
 * loaded by sw_discover_persist()) that the last sw_discover_streams()
 * call's listing lacked: their alarms are to go.  Empty when that call
 * used the cached list, failed, or lost nothing.
 * Returns: borrowed, sorted, valid until the next sw_discover_streams()
 * or sw_discover_free(). */
const struct sw_strv *sw_discover_gone(const struct sw_discover *d);

/* sw_discover_invalidate - make the next sw_discover_streams() refresh
 * (after a reload: new patterns may want streams the list is about to
 * learn of).  The cached list stays as the fallback. */
void sw_discover_invalidate(struct sw_discover *d);

/* sw_discover_fetched_at - wall time of the last successful listing, 0
 * when there has been none (for `status`). */
time_t sw_discover_fetched_at(const struct sw_discover *d);

/* sw_discover_last_error - the ERR line of the last failed refresh, or
 * "" when the last refresh succeeded.  Returns: borrowed, valid until the
 * next call or sw_discover_free(). */
const char *sw_discover_last_error(const struct sw_discover *d);

/* sw_discover_expand - the alarms the pattern templates define for
 * STREAMS.  For each of TEMPLATES[0..NTEMPLATES-1] in order (NULL entries
 * and rules without patterns are skipped), and each name of STREAMS in
 * order, that sw_template_wants_stream() accepts (a pattern matches and
 * it is not one of the template's literal names, which agent/conf
 * expanded at load time): sw_rule_instantiate().  An alarm whose name is
 * in EXISTING_NAMES[0..NEXISTING-1] (the alarms the config defines, or
 * any the caller already runs) or was produced earlier in this call (two
 * templates naming alarms alike: the first wins) is left out.  An alarm
 * that breaks CloudWatch's limits after substitution (AlarmName over 255
 * bytes, a dimension value over 1024) or that sw_rule_instantiate()
 * refuses is left out and counted.
 * Returns the number of alarms left out for breaking limits (0 normally;
 * the caller may log it) and *out: new array of *nout new rules (free
 * with sw_discover_rules_free()), *out NULL when *nout is 0; SW_EINVAL
 * (OUT or NOUT NULL, or a NULL array with a non-zero count); SW_ENOMEM
 * (*out NULL, *nout 0).  STREAMS NULL is an empty list. */
int sw_discover_expand(const struct sw_rule *const *templates,
                       size_t ntemplates, const struct sw_strv *streams,
                       const char *const *existing_names, size_t nexisting,
                       struct sw_rule ***out, size_t *nout);

/* sw_discover_rules_free - sw_rule_free() each of V[0..N-1], then free V.
 * NULL is accepted. */
void sw_discover_rules_free(struct sw_rule **v, size_t n);

/* --- for tests --- */

/* A stand-in for sw_kinesis_list_streams(): fill *OUT (empty on entry)
 * or fail with ERR filled, as that function does. */
typedef int sw_discover_list_fn(void *arg, struct sw_aws *a,
                                struct sw_strv *out, struct sw_aws_error *err);

/* sw_discover_set_lister - list through FN(ARG, ...) instead of Kinesis;
 * NULL restores sw_kinesis_list_streams(). */
void sw_discover_set_lister(struct sw_discover *d, sw_discover_list_fn *fn,
                            void *arg);

#endif
