/* notifiers/outbox.h - the durable queue of notifications not yet delivered.
 *
 * Every notification is written to state_dir/outbox/ before the first
 * attempt to send it, one file per (record, notifier), so an alarm that
 * fired survives a crash, a kill -9 or a reboot.  A file is rewritten after
 * each failed attempt (attempts, next_attempt, last_error) and removed only
 * after the notifier said it was delivered, dropped it as a permanent
 * failure, or it expired.  Writes are atomic and durable: a temporary file
 * is written and fsync'd, then linked or renamed into place and the
 * directory fsync'd, before the call returns.
 *
 * Entry file, named "<id>.json":
 *   {"version":1, "id":"<id>", "notifier":"<name>", "created":<unix s>,
 *    "attempts":<failed attempts>, "next_attempt":<unix s>,
 *    "last_attempt":<unix s, 0 = never>, "last_error":"<text>" | null,
 *    "record":{...the record of notifiers/notifier.h...}}
 * The id is "<created as 20261125T100541Z>-<19-digit real-time ns>-<pid>-
 * <8 hex random>": ids sort by the agent's clock (which honours --now),
 * then by the real clock, so sorting file names gives creation order and
 * delivery is oldest first; the nanoseconds (forced to increase within a
 * process), pid and random part keep two entries made in the same second,
 * even by two processes with the same pid, apart.  A new name is linked in
 * with link(), which never replaces an existing file.
 *
 * On open, a file that cannot be parsed is moved to outbox/corrupt/ with an
 * error log, never deleted; leftover temporary files (".<id>.tmp", from a
 * crash before the link or rename) are removed, since the entry they were
 * for either was never acknowledged or still has its old file.
 *
 * One process per state_dir (the agent); `status` opens it read-only.
 * Not thread-safe.  Depends on lib/ and jansson; not on curl.
 */
#ifndef SW_NOTIFIERS_OUTBOX_H
#define SW_NOTIFIERS_OUTBOX_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#define SW_OUTBOX_DIR     "outbox"  /* under state_dir */
#define SW_OUTBOX_CORRUPT "corrupt" /* under the outbox */
/* The largest entry file written or read; far above SNS's 256 KiB
 * message limit plus the record's other fields. */
#define SW_OUTBOX_MAX_ENTRY_BYTES (1024 * 1024)
/* The longest id accepted in a file name. */
#define SW_OUTBOX_MAX_ID 128

/* sw_outbox_open flag: no mkdir, no cleanup, no moving corrupt files
 * aside; add, mark_failed, remove and expire refused. */
#define SW_OUTBOX_READONLY 1

/* One pending notification.  The outbox owns it; callers read the fields
 * and change them only through the functions below. */
struct sw_outbox_entry {
    char *id;            /* the file name without ".json" */
    char *notifier;      /* the notifier's name */
    time_t created;      /* agent clock when added */
    int attempts;        /* failed attempts so far */
    time_t next_attempt; /* not before this (agent clock) */
    time_t last_attempt; /* 0 = never tried */
    char *last_error;    /* the last failure's reason, or NULL */
    char *alarm;         /* the record's AlarmName ("?" when it has
                            none), for log lines */
    char *record;        /* the record as compact JSON text, exactly as
                            the file holds it: sw_outbox_entry_record() */
    int busy;            /* set by the dispatcher while a transfer for it
                            runs: sw_outbox_expire() skips it */
    int unsaved;         /* only in memory: its file could not be written
                            (sw_outbox_add's SW_EIO); sw_outbox_flush()
                            tries again */
};

struct sw_outbox;

/* sw_outbox_open - open STATE_DIR/outbox and load every entry, sorted by
 * id (oldest first).  Without SW_OUTBOX_READONLY the directories are
 * created (mode 0750) when missing, corrupt files are moved aside and
 * leftover temporary files removed.  Read-only, a missing directory is an
 * empty outbox and a corrupt file is skipped with a warning.
 * Returns 0 and *out: new (sw_outbox_free()); SW_EIO (ERR says which path
 * and why), SW_EINVAL (path too long) or SW_ENOMEM. */
int sw_outbox_open(const char *state_dir, unsigned flags,
                   struct sw_outbox **out, char *err, size_t errlen);

/* sw_outbox_free - release memory; files stay.  NULL is accepted. */
void sw_outbox_free(struct sw_outbox *ob);

/* sw_outbox_dir - the outbox directory path.  Returns: borrowed. */
const char *sw_outbox_dir(const struct sw_outbox *ob);

/* sw_outbox_add - queue REC (a JSON object) for NOTIFIER: created =
 * next_attempt = NOW, attempts = 0.  The file is on disk (fsync'd, the
 * directory too) when this returns 0.  REC is borrowed: the entry keeps its
 * text, so one record can be added for several notifiers and then
 * released or changed by the caller.
 * When the file cannot be written (a full or read-only state_dir) the
 * entry is queued all the same, in memory only (unsaved = 1), so it is
 * delivered and sw_outbox_flush() can write it later: SW_EIO is returned
 * with *out set and ERR saying why.
 * Returns 0 and *out (NULL ok): borrowed, valid until the entry is removed
 * or sw_outbox_free(); SW_EIO as above; SW_EINVAL (not an object, empty
 * notifier name, a read-only outbox), SW_ETOOBIG (entry over
 * SW_OUTBOX_MAX_ENTRY_BYTES) or SW_ENOMEM, with nothing queued. */
int sw_outbox_add(struct sw_outbox *ob, const char *notifier, json_t *rec,
                  time_t now, struct sw_outbox_entry **out, char *err,
                  size_t errlen);

/* sw_outbox_flush - write the files of the entries kept only in memory,
 * oldest first, stopping at the first that fails again (ERR says why).
 * The agent calls it every cycle.  Returns how many are still only in
 * memory (0: everything is on disk). */
int sw_outbox_flush(struct sw_outbox *ob, char *err, size_t errlen);

/* sw_outbox_unsaved - how many entries are only in memory. */
size_t sw_outbox_unsaved(const struct sw_outbox *ob);

/* sw_outbox_write_failures - how many entry writes (new, retried or
 * rewritten after a failed attempt) failed since the outbox was opened. */
unsigned long sw_outbox_write_failures(const struct sw_outbox *ob);

/* sw_outbox_len - how many entries are pending. */
size_t sw_outbox_len(const struct sw_outbox *ob);

/* sw_outbox_get - the I-th entry in id order (0 = oldest), NULL when I is
 * out of range.  Returns: borrowed, valid until that entry is removed or
 * sw_outbox_free(); adding or removing other entries shifts indexes but
 * never moves an entry. */
struct sw_outbox_entry *sw_outbox_get(const struct sw_outbox *ob, size_t i);

/* sw_outbox_first - the oldest entry for NOTIFIER, or NULL.
 * Returns: borrowed, as sw_outbox_get(). */
struct sw_outbox_entry *sw_outbox_first(const struct sw_outbox *ob,
                                        const char *notifier);

/* sw_outbox_mark_failed - one more failed attempt of E at NOW: attempts++,
 * next_attempt = NEXT_ATTEMPT, last_attempt = NOW, last_error = ERROR
 * (copied, control characters replaced, cut at 512 bytes; NULL ok).  The
 * entry is updated in memory even when rewriting its file fails, so the
 * schedule holds in this process.  Returns 0, SW_EIO (ERR says why),
 * SW_EINVAL (read-only) or SW_ENOMEM. */
int sw_outbox_mark_failed(struct sw_outbox *ob, struct sw_outbox_entry *e,
                          time_t now, time_t next_attempt, const char *error,
                          char *err, size_t errlen);

/* sw_outbox_remove - delete E's file (and fsync the directory) and free E.
 * E is gone from memory even when the unlink fails (the failure is logged
 * and the entry comes back, to be delivered again, after a restart).
 * Returns 0, SW_EIO or SW_EINVAL (read-only; nothing is done). */
int sw_outbox_remove(struct sw_outbox *ob, struct sw_outbox_entry *e);

/* sw_outbox_expire - remove every entry for NOTIFIER that is not busy and
 * older than MAX_AGE_S (NOW - created > MAX_AGE_S), each with an error log
 * naming the notifier, the alarm, its age, attempts and last error.
 * MAX_AGE_S <= 0 expires nothing.  Returns the number expired. */
size_t sw_outbox_expire(struct sw_outbox *ob, const char *notifier,
                        int max_age_s, time_t now);

/* sw_outbox_entry_record - E's record as a JSON object, for one delivery
 * attempt.  Entries keep the record only as text: as jansson trees, the
 * notifications of a thousand alarms changing state in one cycle (about
 * 10 KB a tree against 1 KB of text) would be most of the agent's memory
 * until they are delivered.
 * Returns: new (json_decref()), or NULL when out of memory. */
json_t *sw_outbox_entry_record(const struct sw_outbox_entry *e);

/* sw_outbox_pending - the number of entries for NOTIFIER (NULL: all), and
 * in *OLDEST (NULL ok) the oldest one's created time, 0 when none; for
 * `status`. */
size_t sw_outbox_pending(const struct sw_outbox *ob, const char *notifier,
                         time_t *oldest);

/* --- for tests and the fuzzer --- */

/* sw_outbox_entry_parse - parse an entry file's LEN bytes.  ID (NULL: not
 * checked) is the id the file name says, which the "id" field must match.
 * Returns 0 and *out: new (sw_outbox_entry_free()); SW_EPARSE with ERR
 * (malformed JSON, unsupported version, a field missing or of the wrong
 * type or range), SW_ETOOBIG or SW_ENOMEM. */
int sw_outbox_entry_parse(const char *text, size_t len, const char *id,
                          struct sw_outbox_entry **out, char *err,
                          size_t errlen);

/* sw_outbox_entry_format - E as the file holds it, newline-terminated.
 * Returns: new (free()), or NULL when out of memory. */
char *sw_outbox_entry_format(const struct sw_outbox_entry *e);

/* sw_outbox_entry_free - NULL is accepted. */
void sw_outbox_entry_free(struct sw_outbox_entry *e);

/* sw_outbox_id_ok - 1 when ID may name an entry file: 1 to
 * SW_OUTBOX_MAX_ID characters of [A-Za-z0-9_-]. */
int sw_outbox_id_ok(const char *id);

#endif
