/* agent/store_priv.h - what the three parts of the state store share; for
 * agent/store*.c only (agent/store.h is the interface, and says why the
 * store is a snapshot and a journal).
 *
 * One concern a file:
 *   store.c       the entries in memory: the setters, which note what
 *                 changed since the files took an entry; the name index;
 *                 pruning;
 *   store_text.c  the JSON text of both files, both ways: an alarm's
 *                 fields, the snapshot, the journal lines, written with
 *                 lib/json_stream's writers and read with its reader
 *                 straight into entries;
 *   store_file.c  the files: loading the snapshot and replaying the
 *                 journal that goes with it, and saving: appending the
 *                 changes, compacting, the ids that tie the two together.
 *
 * Depends on lib/ (and on agent/store.h's types, declared).
 */
#ifndef SW_AGENT_STORE_PRIV_H
#define SW_AGENT_STORE_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/json_stream.h"

/* Declared, not included: agent/store.c includes this header, so
 * including agent/store.h here would make the two one include cycle. */
struct sw_alarm_state;
struct sw_store;
struct sw_store_value;

#define SW_STORE_VERSION 1
#define SW_STORE_ID_LEN  16 /* hex digits of a snapshot's id */

/* What changed in an entry since the files last took it (a->changed). */
#define SW_STORE_CH_ALL    1u /* anything but the evaluation: a record */
#define SW_STORE_CH_VALUES 2u /* the values (a->values_from: from where) */
#define SW_STORE_CH_NEW    4u /* not in the files: a prune needs no "drop" */
#define SW_STORE_CH_EVAL                                                       \
    8u /* sw_store_entry_change() only:                                        \
          last_evaluated alone */

struct sw_store_files {
    size_t *slots; /* name index: position in alarms + 1, 0 empty */
    size_t nslots; /* a power of two, at least twice st->n */
    char id[SW_STORE_ID_LEN + 1]; /* the snapshot the files are at; ""
                                     none */
    int saved_once;               /* this process compacted once */
    int appendable;               /* may append to the journal: started by this
                                     process, or loaded whole and unchanged */
    int complete; /* the snapshot and its journal hold every save */
    dev_t jdev;   /* the journal appended to, as last written */
    ino_t jino;
    off_t jsize;
    uint64_t snapshot_bytes;
    char **dropped; /* names pruned since the last save */
    size_t ndropped;
};

/* ---- store.c ---- */

/* sw_store_entry_free - free A (NULL accepted). */
void sw_store_entry_free(struct sw_alarm_state *a);
/* sw_store_entry_saved - the files hold A as it is now. */
void sw_store_entry_saved(struct sw_alarm_state *a);
/* sw_store_entry_change - what of A the files lack: 0,
 * SW_STORE_CH_EVAL or SW_STORE_CH_VALUES (an "eval" line will do) or
 * SW_STORE_CH_ALL (a whole record). */
unsigned sw_store_entry_change(const struct sw_alarm_state *a);
/* sw_store_add - append A, which ST takes over on success.  Returns 0 or
 * SW_ENOMEM. */
int sw_store_add(struct sw_store *st, struct sw_alarm_state *a);
/* sw_store_find - the position of NAME in st->alarms, or -1. */
long sw_store_find(const struct sw_store *st, const char *name);
/* sw_store_remove - free the alarm at POS and close the gap (a journal's
 * "drop": no line for it). */
void sw_store_remove(struct sw_store *st, size_t pos);
/* sw_store_all_saved - the files hold every entry of ST as it is. */
void sw_store_all_saved(struct sw_store *st);
/* sw_store_values_normalize - V (N values) ascending by ts, one value a
 * ts, the later of two winning, as sw_datapoints_normalize() makes the
 * evaluator's points.  Returns the new count. */
size_t sw_store_values_normalize(struct sw_store_value *v, size_t n);

/* ---- store_text.c ---- */

/* Text gathered for one file, written out every 64 KiB when it goes to
 * FD (-1: kept in memory). */
struct sw_store_out {
    struct sw_buf b;
    int fd;
    int err;        /* the first failure */
    uint64_t total; /* bytes written to FD so far */
    time_t t[2];    /* the last two times formatted, and their text */
    char ts[2][SW_TIME_BUF];
    int next;
};

void sw_store_out_init(struct sw_store_out *o, int fd);
/* sw_store_out_flush - write what is gathered when it is 64 KiB or more,
 * or with ALL whatever there is; a total beyond SW_STORE_MAX_BYTES is
 * SW_ETOOBIG in o->err. */
void sw_store_out_flush(struct sw_store_out *o, int all);
void sw_store_out_release(struct sw_store_out *o);

/* sw_store_text_snapshot - ST as state.json, named ID, onto O. */
void sw_store_text_snapshot(struct sw_store_out *o, const struct sw_store *st,
                            const char *id);
/* sw_store_text_line - the journal line of entry A (WATCHER: the watcher)
 * whose change is C (sw_store_entry_change()); sw_store_text_drop - the
 * line of an alarm pruned. */
void sw_store_text_line(struct sw_store_out *o, const struct sw_alarm_state *a,
                        int watcher, unsigned c);
void sw_store_text_drop(struct sw_store_out *o, const char *name);

/* sw_store_text_read_snapshot - the snapshot from R into ST, its id into
 * ID ("" when it names none).  Returns 0, or SW_EPARSE / SW_EIO /
 * SW_ENOMEM with ERR naming PATH and what is wrong. */
int sw_store_text_read_snapshot(struct sw_jread *r, struct sw_store *st,
                                const char *path, char id[SW_STORE_ID_LEN + 1],
                                char *err, size_t errlen);
/* sw_store_text_read_line - one journal line from R (its newline too)
 * onto ST.  Returns 0 (a line about an alarm that is not there, or of an
 * op this version does not know, changes nothing), SW_EPARSE (with *WHAT
 * when R did not fail itself) or SW_ENOMEM. */
int sw_store_text_read_line(struct sw_jread *r, struct sw_store *st,
                            const char **what);

#endif
