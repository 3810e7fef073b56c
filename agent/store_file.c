/* agent/store_file.c - the state store's files: load and save; see
 * store.h and store_priv.h. */
#include "config.h"

#include "agent/store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/store_priv.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/json_stream.h"
#include "lib/log.h"

/* Journal bytes beyond the snapshot's before a compaction. */
#define JOURNAL_SLACK (64 * 1024)

/* ---- reading: the journal ------------------------------------------------ */

/* A journal file, open, with its first line read. */
struct journal {
    int fd; /* -1: missing or unreadable */
    struct stat sb;
    struct sw_jread r;
    char id[SW_STORE_ID_LEN + 1];
    char base[SW_STORE_ID_LEN + 1]; /* "" when null */
    uint64_t valid;                 /* bytes of whole, valid lines */
    int clean;                      /* replayed to its end, nothing cut short */
    char path[4096];
};

/* Open DIR/NAME and read its first line; a journal that is missing or
 * whose first line is not one is no journal (fd -1). */
static void
journal_open(struct journal *j, const char *dir, const char *name)
{
    const char *key, *s;
    size_t len;
    int k = 0;

    memset(j, 0, sizeof(*j));
    j->fd = -1;
    sw_jread_init_mem(&j->r, NULL, 0);
    if (snprintf(j->path, sizeof(j->path), "%s/%s", dir, name) >=
        (int)sizeof(j->path))
        return;
    j->fd = open(j->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (j->fd < 0)
        return;
    if (fstat(j->fd, &j->sb) < 0 || !S_ISREG(j->sb.st_mode))
        goto none;
    sw_jread_release(&j->r);
    sw_jread_init_fd(&j->r, j->fd, SW_STORE_MAX_BYTES);
    if (sw_jread_object(&j->r) < 0)
        goto none;
    while ((k = sw_jread_member(&j->r, &key)) == 1) {
        char *dst = strcmp(key, "journal") == 0 ? j->id
                    : strcmp(key, "base") == 0  ? j->base
                                                : NULL;
        if (dst && sw_jread_peek(&j->r) == SW_JREAD_STRING) {
            if (sw_jread_string(&j->r, &s, &len) < 0 || len != SW_STORE_ID_LEN)
                goto none;
            memcpy(dst, s, SW_STORE_ID_LEN + 1);
        } else if (sw_jread_skip(&j->r, NULL) < 0) {
            goto none;
        }
    }
    if (k < 0 || !j->id[0] || sw_jread_newline(&j->r) < 0)
        goto none;
    j->valid = sw_jread_offset(&j->r);
    return;
none:
    close(j->fd);
    j->fd = -1;
}

static void
journal_close(struct journal *j)
{
    if (j->fd >= 0)
        close(j->fd);
    j->fd = -1;
    sw_jread_release(&j->r);
}

/* Replay J's lines onto ST, up to its end or the first line that is
 * not whole and valid.  Returns 0 or SW_ENOMEM. */
static int
journal_replay(struct sw_store *st, struct journal *j)
{
    struct sw_jread *r = &j->r;
    unsigned line = 2;

    for (;; line++) {
        const char *what = "";
        int t = sw_jread_peek(r), k;

        if (t == SW_JREAD_NONE) {
            j->clean = (uint64_t)j->sb.st_size == j->valid;
            return 0;
        }
        k = t < 0 ? t : sw_store_text_read_line(r, st, &what);
        if (k == SW_ENOMEM || r->err == SW_ENOMEM)
            return SW_ENOMEM;
        if (k < 0) {
            if (sw_jread_at_end(r))
                /* A save cut short by a crash: that last line never
                 * counted. */
                sw_log_debug("state: %s: line %u cut short; ignored", j->path,
                             line);
            else
                sw_log_warn("state: %s: line %u: %s; the changes from there "
                            "on are lost (the next save rewrites the state)",
                            j->path, line,
                            r->err ? sw_jread_error(r) +
                                         strcspn(sw_jread_error(r), " ") + 1
                                   : what);
            return 0;
        }
        j->valid = sw_jread_offset(r);
    }
}

/* ---- loading ------------------------------------------------------------- */

static int
join_path(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);

    return n < 0 || (size_t)n >= size ? SW_EINVAL : 0;
}

int
sw_store_load(const char *dir, struct sw_store **out, char *err, size_t errlen)
{
    int r = sw_store_load_file(dir, SW_STORE_FILE, out, err, errlen);

    if (r == SW_ENOENT) {
        /* first run: nothing saved yet */
        *out = sw_store_new();
        r = *out ? 0 : SW_ENOMEM;
    }
    return r;
}

int
sw_store_load_file(const char *dir, const char *name, struct sw_store **out,
                   char *err, size_t errlen)
{
    struct journal cur, prev;
    struct sw_jread rd;
    struct stat sb;
    char path[4096], id[SW_STORE_ID_LEN + 1];
    struct sw_store *st = NULL;
    int fd = -1, r;

    *out = NULL;
    if (errlen)
        err[0] = '\0';
    sw_jread_init_mem(&rd, NULL, 0);
    cur.fd = prev.fd = -1;
    sw_jread_init_mem(&cur.r, NULL, 0);
    sw_jread_init_mem(&prev.r, NULL, 0);
    r = join_path(path, sizeof(path), dir, name);
    if (r < 0) {
        snprintf(err, errlen, "%s: state directory path too long", dir);
        goto out;
    }
    r = SW_ENOMEM;
    st = sw_store_new();
    if (!st)
        goto out;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        r = errno == ENOENT || errno == ENOTDIR ? SW_ENOENT : SW_EIO;
        if (r == SW_EIO)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    r = SW_EIO;
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        goto out;
    }
    r = SW_EPARSE; /* the caller sets it aside like a broken one */
    if ((unsigned long long)sb.st_size > SW_STORE_MAX_BYTES) {
        snprintf(err, errlen, "%s: larger than %u bytes", path,
                 (unsigned)SW_STORE_MAX_BYTES);
        goto out;
    }
    /* Both journals now, right after the snapshot: files are replaced by
     * rename only, so what is open is one consistent save even while the
     * agent compacts. */
    journal_close(&cur);
    journal_close(&prev);
    journal_open(&cur, dir, SW_STORE_JOURNAL);
    journal_open(&prev, dir, SW_STORE_JOURNAL_PREV);
    sw_jread_init_fd(&rd, fd, SW_STORE_MAX_BYTES);
    r = sw_store_text_read_snapshot(&rd, st, path, id, err, errlen);
    if (r < 0)
        goto out;
    st->files->snapshot_bytes = (uint64_t)sb.st_size;
    if (id[0] && cur.fd >= 0 && strcmp(cur.id, id) == 0) {
        r = journal_replay(st, &cur);
        /* Whole and unchanged: its next save may append to it. */
        if (r == 0 && cur.clean && strcmp(name, SW_STORE_FILE) == 0) {
            st->files->appendable = 1;
            st->files->complete = 1;
            st->files->jdev = cur.sb.st_dev;
            st->files->jino = cur.sb.st_ino;
            st->files->jsize = cur.sb.st_size;
        }
    } else if (id[0] && prev.fd >= 0 && strcmp(prev.id, id) == 0) {
        /* The snapshot before the last compaction: its journal, then the
         * current one when it starts where that one ends. */
        r = journal_replay(st, &prev);
        if (r == 0 && prev.clean && cur.fd >= 0 && strcmp(cur.base, id) == 0)
            r = journal_replay(st, &cur);
    }
    if (r < 0) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto out;
    }
    if (id[0])
        memcpy(st->files->id, id, sizeof(id));
    sw_store_all_saved(st);
    *out = st;
    st = NULL;
out:
    journal_close(&cur);
    journal_close(&prev);
    sw_jread_release(&rd);
    if (fd >= 0)
        close(fd);
    if (r == SW_ENOMEM && errlen && !err[0])
        snprintf(err, errlen, "%s: out of memory", path);
    sw_store_free(st);
    return r;
}

/* ---- saving -------------------------------------------------------------- */

/* A fresh snapshot id: 64 random bits, so that no journal of another
 * snapshot (an older one, or one set aside) ever matches. */
static void
new_id(char id[SW_STORE_ID_LEN + 1])
{
    static uint64_t counter;
    uint64_t v = 0;

    if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        v = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^
            ((uint64_t)getpid() << 40);
    }
    v ^= ++counter * 0x9e3779b97f4a7c15u;
    snprintf(id, SW_STORE_ID_LEN + 1, "%016" PRIx64, v);
}

/* Append the changed entries to the journal, which must be the one
 * last written (or loaded) and unchanged since.  Returns 0 or SW_EIO /
 * SW_ENOMEM / SW_ETOOBIG with ERR. */
static int
append_changes(struct sw_store *st, const char *dir, char *err, size_t errlen)
{
    struct sw_store_files *f = st->files;
    char path[4096];
    struct stat sb;
    struct sw_store_out o;
    int fd, r;

    if (join_path(path, sizeof(path), dir, SW_STORE_JOURNAL) < 0) {
        snprintf(err, errlen, "%s: state directory path too long", dir);
        return SW_EINVAL;
    }
    fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return SW_EIO;
    }
    if (fstat(fd, &sb) < 0 || sb.st_dev != f->jdev || sb.st_ino != f->jino ||
        sb.st_size != f->jsize) {
        snprintf(err, errlen, "%s: changed since it was last written", path);
        close(fd);
        return SW_EIO;
    }
    sw_store_out_init(&o, fd);
    for (size_t i = 0; i < f->ndropped; i++) {
        sw_store_text_drop(&o, f->dropped[i]);
    }
    for (size_t i = 0; i < st->n && !o.err; i++) {
        unsigned c = sw_store_entry_change(st->alarms[i]);
        if (c) {
            sw_store_text_line(&o, st->alarms[i], 0, c);
            sw_store_out_flush(&o, 0);
        }
    }
    if (st->watcher) {
        unsigned c = sw_store_entry_change(st->watcher);
        if (c)
            sw_store_text_line(&o, st->watcher, 1,
                               c & SW_STORE_CH_VALUES ? SW_STORE_CH_ALL : c);
    }
    sw_store_out_flush(&o, 1);
    r = o.err;
    if (r == 0 && fdatasync(fd) < 0)
        r = SW_EIO;
    if (r == SW_EIO)
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
    else if (r < 0)
        snprintf(err, errlen, "%s: %s", path, sw_strerror(r));
    else
        f->jsize += (off_t)o.total;
    sw_store_out_release(&o);
    if (close(fd) < 0 && r == 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        r = SW_EIO;
    }
    return r;
}

struct snapshot {
    const struct sw_store *st;
    const char *id;
    uint64_t bytes; /* written */
};

/* sw_file_replace_with()'s FILL: the snapshot, in 64 KiB writes. */
static int
fill_snapshot(int fd, void *arg)
{
    struct snapshot *s = arg;
    struct sw_store_out o;

    sw_store_out_init(&o, fd);
    sw_store_text_snapshot(&o, s->st, s->id);
    sw_store_out_flush(&o, 1);
    s->bytes = o.total;
    sw_store_out_release(&o);
    return o.err;
}

/* A new snapshot, then a new journal that names it.  BASE: the
 * snapshot and journal being replaced hold every save so far, so the new
 * journal may name that snapshot as its base (see store.h).  Returns 0
 * once the snapshot is written (a journal that could not be started is
 * logged, and the next save compacts again), or a code with ERR. */
static int
compact(struct sw_store *st, const char *dir, int base, char *err,
        size_t errlen)
{
    struct sw_store_files *f = st->files;
    struct snapshot snap;
    char id[SW_STORE_ID_LEN + 1], head[128], path[4096], jerr[512];
    struct stat sb;
    int r;

    new_id(id);
    snap.st = st;
    snap.id = id;
    snap.bytes = 0;
    r = sw_file_replace_with(dir, SW_STORE_FILE, SW_STORE_PREV_FILE, 0640,
                             fill_snapshot, &snap, err, errlen);
    if (r == SW_ETOOBIG)
        snprintf(err, errlen,
                 "%s/%s: state of %zu alarms would exceed %u MiB; not written",
                 dir, SW_STORE_FILE, st->n,
                 (unsigned)(SW_STORE_MAX_BYTES >> 20));
    if (r < 0)
        return r;
    if (base && f->id[0])
        snprintf(head, sizeof(head), "{\"journal\":\"%s\",\"base\":\"%s\"}", id,
                 f->id);
    else
        snprintf(head, sizeof(head), "{\"journal\":\"%s\",\"base\":null}", id);
    /* The snapshot holds everything: from here on it is the state. */
    f->appendable = 0;
    f->complete = 0;
    f->saved_once = 1;
    f->snapshot_bytes = snap.bytes;
    memcpy(f->id, id, sizeof(id));
    sw_store_all_saved(st);
    /* The journal it replaces goes with state.json.prev. */
    if (sw_file_replace(dir, SW_STORE_JOURNAL, SW_STORE_JOURNAL_PREV, head,
                        0640, jerr, sizeof(jerr)) < 0) {
        sw_log_warn("state: %s; the next save writes %s/%s whole again", jerr,
                    dir, SW_STORE_FILE);
        return 0;
    }
    if (join_path(path, sizeof(path), dir, SW_STORE_JOURNAL) < 0 ||
        stat(path, &sb) < 0)
        return 0;
    f->jdev = sb.st_dev;
    f->jino = sb.st_ino;
    f->jsize = sb.st_size;
    f->appendable = 1;
    f->complete = 1;
    return 0;
}

int
sw_store_save(struct sw_store *st, const char *dir, char *err, size_t errlen)
{
    struct sw_store_files *f = st->files;
    size_t pending = sw_store_unsaved(st);
    int appended = 0, base, r;

    if (errlen)
        err[0] = '\0';
    if (!pending && f->saved_once && f->appendable) {
        sw_log_debug("state: nothing changed; %s/%s not written", dir,
                     SW_STORE_JOURNAL);
        return 0;
    }
    if (pending && f->appendable) {
        r = append_changes(st, dir, err, errlen);
        if (r == 0) {
            appended = 1;
            sw_store_all_saved(st);
        } else {
            /* Maybe half a line: never append after it.  Compacting
             * replaces it. */
            sw_log_warn("state: %s; writing %s/%s whole instead", err, dir,
                        SW_STORE_FILE);
            f->appendable = 0;
            f->complete = 0;
        }
    }
    if (appended && f->saved_once &&
        (uint64_t)f->jsize <= f->snapshot_bytes + JOURNAL_SLACK) {
        sw_log_debug("state: %zu change%s appended to %s/%s", pending,
                     pending == 1 ? "" : "s", dir, SW_STORE_JOURNAL);
        return 0;
    }
    /* Compact: the first save of a process (so a start leaves a fresh
     * state.json), a journal that cannot be appended to, or one grown
     * past the snapshot.  The snapshot and journal being replaced add up
     * to this state only if every change reached the journal. */
    base = f->complete && (appended || !pending);
    r = compact(st, dir, base, err, errlen);
    if (r < 0 && appended) {
        /* The changes are on disk all the same, in the journal. */
        sw_log_warn("state: %s; the journal keeps growing until it can be "
                    "written",
                    err);
        return 0;
    }
    return r;
}
