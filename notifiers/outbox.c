/* notifiers/outbox.c - the durable notification queue; see outbox.h. */
#include "config.h"

#include "notifiers/outbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/json_util.h"
#include "lib/log.h"
#include "lib/str.h"

#define ENTRY_VERSION   1
#define MAX_ERROR_BYTES 512
/* 9999-12-31T23:59:59Z: the id's time format has four year digits. */
#define MAX_TIME ((json_int_t)253402300799)
#define MAX_PATH 4096
#define SUFFIX   ".json"

struct sw_outbox {
    char *dir; /* state_dir/outbox */
    int dirfd; /* -1: read-only and no directory */
    unsigned flags;
    struct sw_outbox_entry **v; /* sorted by id */
    size_t n, alloc;
    int64_t last_ns; /* the ids' real-time part, forced to increase */
    unsigned long write_failures; /* entry writes that failed, ever */
};

/* ---- entries ---- */

void
sw_outbox_entry_free(struct sw_outbox_entry *e)
{
    if (!e)
        return;
    free(e->id);
    free(e->notifier);
    free(e->last_error);
    free(e->alarm);
    free(e->record);
    free(e);
}

/* The flags of every record text: the file's own, so the text is the
 * file's bytes and an entry rewritten after a failed attempt is the same
 * record, byte for byte. */
#define RECORD_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER)
#define RECORD_KEY   ",\"record\":"

/* Keep REC (a JSON object) in E as text, with its alarm name for logs. */
static int
entry_set_record(struct sw_outbox_entry *e, const json_t *rec)
{
    const char *name = json_string_value(
        json_object_get(json_object_get(rec, "alarm"), "AlarmName"));

    free(e->record);
    free(e->alarm);
    e->record = json_dumps(rec, RECORD_FLAGS);
    e->alarm = sw_strdup(name ? name : "?");
    return e->record && e->alarm ? 0 : SW_ENOMEM;
}

json_t *
sw_outbox_entry_record(const struct sw_outbox_entry *e)
{
    /* Our own text, from json_dumps() of an object: only memory can make
     * this fail. */
    return json_loads(e->record, JSON_ALLOW_NUL, NULL);
}

int
sw_outbox_id_ok(const char *id)
{
    size_t n = 0;

    for (const char *p = id; *p; p++, n++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
    }
    return n > 0 && n <= SW_OUTBOX_MAX_ID;
}

/* ERROR made fit for a JSON string and one log line: control characters
 * become spaces, at most MAX_ERROR_BYTES kept, and if the cut (or the
 * source) left bytes that are not UTF-8, every non-ASCII byte becomes
 * '?'.  Returns: new (free()), or NULL when out of memory. */
static char *
clean_error(const char *error)
{
    char *s = sw_strndup(error, MAX_ERROR_BYTES);
    json_t *probe;

    if (!s)
        return NULL;
    for (unsigned char *p = (unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            *p = ' ';
    probe = json_string(s);
    if (!probe)
        for (unsigned char *p = (unsigned char *)s; *p; p++)
            if (*p >= 0x80)
                *p = '?';
    json_decref(probe);
    return s;
}

char *
sw_outbox_entry_format(const struct sw_outbox_entry *e)
{
    json_t *o = json_object();
    char *head = NULL, *line = NULL;
    struct sw_buf b;
    int failed = !o;

    if (failed)
        goto out;
    sw_json_set_new(o, "version", json_integer(ENTRY_VERSION), &failed);
    sw_json_set_new(o, "id", json_string(e->id), &failed);
    sw_json_set_new(o, "notifier", json_string(e->notifier), &failed);
    sw_json_set_new(o, "created", json_integer((json_int_t)e->created),
                    &failed);
    sw_json_set_new(o, "attempts", json_integer(e->attempts), &failed);
    sw_json_set_new(o, "next_attempt",
                    json_integer((json_int_t)e->next_attempt), &failed);
    sw_json_set_new(o, "last_attempt",
                    json_integer((json_int_t)e->last_attempt), &failed);
    sw_json_set_new(o, "last_error",
                    e->last_error ? json_string(e->last_error) : json_null(),
                    &failed);
    if (failed)
        goto out;
    head = json_dumps(o, RECORD_FLAGS);
    if (!head)
        goto out;
    /* The record goes in last, as the text it is kept as: exactly what
     * json_object_set() of its tree would have written there. */
    sw_buf_init(&b, SIZE_MAX); /* write_entry() applies the cap */
    if (sw_buf_add(&b, head, strlen(head) - 1) == 0 && /* not its '}' */
        sw_buf_adds(&b, RECORD_KEY) == 0 && sw_buf_adds(&b, e->record) == 0 &&
        sw_buf_adds(&b, "}\n") == 0)
        line = sw_buf_steal(&b, NULL);
    sw_buf_release(&b);
out:
    free(head);
    json_decref(o);
    return line;
}

/* Read KEY of O as an integer in [MIN, MAX]; absent is an error unless
 * OPTIONAL (then *OUT is left alone). */
static int
get_int(const json_t *o, const char *key, json_int_t min, json_int_t max,
        int optional, json_int_t *out, char *err, size_t errlen)
{
    const json_t *v = json_object_get(o, key);

    if (!v && optional)
        return 0;
    if (!json_is_integer(v)) {
        sw_err_set(err, errlen, "'%s' must be an integer", key);
        return SW_EPARSE;
    }
    if (json_integer_value(v) < min || json_integer_value(v) > max) {
        sw_err_set(err, errlen, "'%s' out of range", key);
        return SW_EPARSE;
    }
    *out = json_integer_value(v);
    return 0;
}

/* Copy KEY of O, a non-empty string without control characters. */
static int
get_name(const json_t *o, const char *key, char **out, char *err, size_t errlen)
{
    const json_t *v = json_object_get(o, key);

    if (!json_is_string(v) || json_string_length(v) == 0 ||
        sw_str_has_ctl(json_string_value(v), json_string_length(v))) {
        sw_err_set(err, errlen, "'%s' must be a non-empty string", key);
        return SW_EPARSE;
    }
    *out = sw_strdup(json_string_value(v));
    return *out ? 0 : SW_ENOMEM;
}

int
sw_outbox_entry_parse(const char *text, size_t len, const char *id,
                      struct sw_outbox_entry **out, char *err, size_t errlen)
{
    struct sw_outbox_entry *e = NULL;
    json_t *root = NULL;
    const json_t *v;
    json_error_t je;
    json_int_t x = 0;
    int r = SW_EPARSE;

    *out = NULL;
    if (errlen)
        err[0] = '\0';
    if (len > SW_OUTBOX_MAX_ENTRY_BYTES) {
        sw_err_set(err, errlen, "larger than %d bytes",
                   SW_OUTBOX_MAX_ENTRY_BYTES);
        return SW_ETOOBIG;
    }
    /* Duplicate keys would make "which attempts count wins" a parser
     * detail; a file we wrote never has them. */
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        if (json_error_code(&je) == json_error_out_of_memory) {
            r = SW_ENOMEM;
            goto out;
        }
        sw_err_set(err, errlen, "line %d: %s", je.line, je.text);
        goto out;
    }
    if (!json_is_object(root)) {
        sw_err_set(err, errlen, "not a JSON object");
        goto out;
    }
    v = json_object_get(root, "version");
    if (!json_is_integer(v) || json_integer_value(v) != ENTRY_VERSION) {
        sw_err_set(err, errlen, "unsupported version (this agent reads %d)",
                   ENTRY_VERSION);
        goto out;
    }
    r = SW_ENOMEM;
    e = calloc(1, sizeof(*e));
    if (!e)
        goto out;
    r = get_name(root, "id", &e->id, err, errlen);
    if (r < 0)
        goto out;
    r = SW_EPARSE;
    if (!sw_outbox_id_ok(e->id)) {
        sw_err_set(err, errlen, "'id' has characters a file name cannot");
        goto out;
    }
    if (id && strcmp(id, e->id) != 0) {
        sw_err_set(err, errlen, "'id' does not match the file name");
        goto out;
    }
    r = get_name(root, "notifier", &e->notifier, err, errlen);
    if (r < 0)
        goto out;
    r = get_int(root, "created", 0, MAX_TIME, 0, &x, err, errlen);
    if (r < 0)
        goto out;
    e->created = (time_t)x;
    r = get_int(root, "attempts", 0, INT_MAX, 0, &x, err, errlen);
    if (r < 0)
        goto out;
    e->attempts = (int)x;
    r = get_int(root, "next_attempt", 0, MAX_TIME, 0, &x, err, errlen);
    if (r < 0)
        goto out;
    e->next_attempt = (time_t)x;
    x = 0;
    r = get_int(root, "last_attempt", 0, MAX_TIME, 1, &x, err, errlen);
    if (r < 0)
        goto out;
    e->last_attempt = (time_t)x;
    r = SW_EPARSE;
    v = json_object_get(root, "last_error");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v)) {
            sw_err_set(err, errlen, "'last_error' must be a string or null");
            goto out;
        }
        r = SW_ENOMEM;
        e->last_error = clean_error(json_string_value(v));
        if (!e->last_error)
            goto out;
    }
    r = SW_EPARSE;
    v = json_object_get(root, "record");
    if (!json_is_object(v)) {
        sw_err_set(err, errlen, "'record' must be an object");
        goto out;
    }
    r = entry_set_record(e, v);
    if (r < 0)
        goto out;
    *out = e;
    e = NULL;
    r = 0;
out:
    if (r == SW_ENOMEM)
        sw_err_set(err, errlen, "out of memory");
    sw_outbox_entry_free(e);
    json_decref(root);
    return r;
}

/* ---- files ---- */

static int
entry_names(const char *id, char *name, size_t namelen, char *tmp,
            size_t tmplen)
{
    int n1 = snprintf(name, namelen, "%s" SUFFIX, id);
    int n2 = snprintf(tmp, tmplen, ".%s.tmp", id);

    if (n1 < 0 || (size_t)n1 >= namelen || n2 < 0 || (size_t)n2 >= tmplen)
        return SW_EINVAL;
    return 0;
}

/* Write E's file: a temporary file, fsync'd, then linked in (CREATE: a new
 * name must never replace a file, so link() and SW_EEXIST when taken) or
 * renamed over the old version, and the directory fsync'd. */
static int
write_entry(struct sw_outbox *ob, const struct sw_outbox_entry *e, int create,
            char *err, size_t errlen)
{
    char name[SW_OUTBOX_MAX_ID + 16], tmp[SW_OUTBOX_MAX_ID + 16];
    const char *failed_at = tmp;
    char *text = NULL;
    size_t len;
    int fd = -1, r, oerrno = 0, tmp_made = 0;

    r = entry_names(e->id, name, sizeof(name), tmp, sizeof(tmp));
    if (r < 0) {
        sw_err_set(err, errlen, "outbox: id too long");
        goto out;
    }
    r = SW_ENOMEM;
    text = sw_outbox_entry_format(e);
    if (!text) {
        sw_err_set(err, errlen, "outbox: out of memory");
        goto out;
    }
    len = strlen(text);
    /* Never write a file the loader would move aside as corrupt. */
    if (len > SW_OUTBOX_MAX_ENTRY_BYTES) {
        sw_err_set(err, errlen, "outbox: entry of %zu bytes exceeds %d", len,
                   SW_OUTBOX_MAX_ENTRY_BYTES);
        r = SW_ETOOBIG;
        goto out;
    }
    r = SW_EIO;
    /* O_EXCL|O_NOFOLLOW: never write through a file or link someone else
     * put there; a leftover from a crash is ours, so remove it once. */
    fd = openat(ob->dirfd, tmp,
                O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0 && errno == EEXIST && unlinkat(ob->dirfd, tmp, 0) == 0)
        fd = openat(ob->dirfd, tmp,
                    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0) {
        oerrno = errno;
        goto out;
    }
    tmp_made = 1;
    if (fchmod(fd, 0640) < 0 || sw_file_write_all(fd, text, len) < 0 ||
        fsync(fd) < 0) {
        oerrno = errno;
        goto out;
    }
    r = close(fd);
    fd = -1;
    if (r < 0) {
        oerrno = errno;
        r = SW_EIO;
        goto out;
    }
    r = SW_EIO;
    failed_at = name;
    if (create) {
        if (linkat(ob->dirfd, tmp, ob->dirfd, name, 0) < 0) {
            oerrno = errno;
            if (oerrno == EEXIST)
                r = SW_EEXIST;
            goto out;
        }
    } else if (renameat(ob->dirfd, tmp, ob->dirfd, name) < 0) {
        oerrno = errno;
        goto out;
    } else {
        tmp_made = 0;
    }
    /* The new name is durable only once the directory is on disk. */
    failed_at = ".";
    if (fsync(ob->dirfd) < 0) {
        oerrno = errno;
        goto out;
    }
    r = 0;
out:
    if (r == SW_EIO)
        sw_err_set(err, errlen, "outbox: %s/%s: %s", ob->dir, failed_at,
                   strerror(oerrno));
    if (fd >= 0)
        close(fd);
    if (tmp_made)
        (void)unlinkat(ob->dirfd, tmp, 0);
    free(text);
    return r;
}

/* Move NAME to corrupt/ so a person can look at it; never delete what
 * might be the only trace of an alarm. */
static void
move_aside(struct sw_outbox *ob, const char *name, const char *why)
{
    char dst[MAX_PATH];
    int n;

    if (ob->flags & SW_OUTBOX_READONLY) {
        sw_log_warn("outbox: %s/%s: corrupt (%s); skipped", ob->dir, name, why);
        return;
    }
    n = snprintf(dst, sizeof(dst), SW_OUTBOX_CORRUPT "/%s", name);
    if (n < 0 || (size_t)n >= sizeof(dst) ||
        (mkdirat(ob->dirfd, SW_OUTBOX_CORRUPT, 0750) < 0 && errno != EEXIST) ||
        renameat(ob->dirfd, name, ob->dirfd, dst) < 0) {
        sw_log_errno("outbox: %s/%s: corrupt (%s); could not move it "
                     "to " SW_OUTBOX_CORRUPT "/",
                     ob->dir, name, why);
        return;
    }
    (void)fsync(ob->dirfd);
    sw_log_err("outbox: %s/%s: corrupt (%s); moved to %s/" SW_OUTBOX_CORRUPT
               "/",
               ob->dir, name, why, ob->dir);
}

static int
reserve(struct sw_outbox *ob, size_t more)
{
    struct sw_outbox_entry **v;
    size_t want;

    if (ob->n + more <= ob->alloc)
        return 0;
    want = ob->alloc ? ob->alloc * 2 : 16;
    while (want < ob->n + more)
        want *= 2;
    v = realloc(ob->v, want * sizeof(*v));
    if (!v)
        return SW_ENOMEM;
    ob->v = v;
    ob->alloc = want;
    return 0;
}

/* Insert E in id order; room must have been reserved. */
static void
insert(struct sw_outbox *ob, struct sw_outbox_entry *e)
{
    size_t lo = 0, hi = ob->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ob->v[mid]->id, e->id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(&ob->v[lo + 1], &ob->v[lo], (ob->n - lo) * sizeof(*ob->v));
    ob->v[lo] = e;
    ob->n++;
}

/* Load one entry file.  Only running out of memory is an error: a file
 * that is unreadable or corrupt is reported and left out. */
static int
load_one(struct sw_outbox *ob, const char *name)
{
    char id[SW_OUTBOX_MAX_ID + 1], why[256];
    struct sw_outbox_entry *e = NULL;
    struct sw_buf b;
    struct stat st;
    size_t idlen = strlen(name) - strlen(SUFFIX);
    int fd, r = 0;

    sw_buf_init(&b, SW_OUTBOX_MAX_ENTRY_BYTES);
    memcpy(id, name, idlen);
    id[idlen] = '\0';
    fd = openat(ob->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        sw_log_errno("outbox: %s/%s: cannot open; skipped", ob->dir, name);
        goto out;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        sw_log_warn("outbox: %s/%s: not a regular file; skipped", ob->dir,
                    name);
        goto out;
    }
    for (;;) {
        char chunk[8192];
        ssize_t got = read(fd, chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            sw_log_errno("outbox: %s/%s: cannot read; skipped", ob->dir, name);
            goto out;
        }
        if (got == 0)
            break;
        r = sw_buf_add(&b, chunk, (size_t)got);
        if (r == SW_ETOOBIG) {
            r = 0;
            move_aside(ob, name, "larger than 1 MiB");
            goto out;
        }
        if (r < 0)
            goto out;
    }
    r = sw_outbox_entry_parse(b.data ? b.data : "", b.len, id, &e, why,
                              sizeof(why));
    if (r == SW_ENOMEM)
        goto out;
    if (r < 0) {
        r = 0;
        move_aside(ob, name, why);
        goto out;
    }
    r = reserve(ob, 1);
    if (r < 0)
        goto out;
    insert(ob, e);
    e = NULL;
out:
    if (fd >= 0)
        close(fd);
    sw_outbox_entry_free(e);
    sw_buf_release(&b);
    return r;
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int
load_all(struct sw_outbox *ob, char *err, size_t errlen)
{
    char **names = NULL;
    size_t n = 0, alloc = 0;
    struct dirent *de;
    DIR *dp = NULL;
    int fd, r = SW_EIO;

    /* fdopendir() takes the descriptor; keep ours for the *at() calls. */
    fd = dup(ob->dirfd);
    if (fd >= 0)
        dp = fdopendir(fd);
    if (!dp) {
        sw_err_set(err, errlen, "outbox: %s: %s", ob->dir, strerror(errno));
        if (fd >= 0)
            close(fd);
        goto out;
    }
    r = SW_ENOMEM;
    for (;;) {
        char id[SW_OUTBOX_MAX_ID + 1];
        const char *name;
        size_t len;

        /* readdir() tells the end from an error only through errno, which
         * the calls below may have changed. */
        errno = 0;
        de = readdir(dp);
        if (!de)
            break;
        name = de->d_name;
        len = strlen(name);
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
            strcmp(name, SW_OUTBOX_CORRUPT) == 0)
            continue;
        if (name[0] == '.') {
            if (has_suffix(name, ".tmp") && !(ob->flags & SW_OUTBOX_READONLY) &&
                unlinkat(ob->dirfd, name, 0) == 0)
                sw_log_info("outbox: removed unfinished %s/%s", ob->dir, name);
            continue;
        }
        if (!has_suffix(name, SUFFIX) ||
            len - strlen(SUFFIX) > SW_OUTBOX_MAX_ID) {
            sw_log_warn("outbox: %s/%s: not an entry file; ignored", ob->dir,
                        name);
            continue;
        }
        memcpy(id, name, len - strlen(SUFFIX));
        id[len - strlen(SUFFIX)] = '\0';
        if (!sw_outbox_id_ok(id)) {
            sw_log_warn("outbox: %s/%s: not an entry file; ignored", ob->dir,
                        name);
            continue;
        }
        if (n == alloc) {
            size_t want = alloc ? alloc * 2 : 16;
            char **v = realloc(names, want * sizeof(*v));
            if (!v)
                goto out;
            names = v;
            alloc = want;
        }
        names[n] = sw_strdup(name);
        if (!names[n])
            goto out;
        n++;
    }
    if (errno != 0) {
        sw_err_set(err, errlen, "outbox: %s: %s", ob->dir, strerror(errno));
        r = SW_EIO;
        goto out;
    }
    if (n > 0)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n; i++) {
        r = load_one(ob, names[i]);
        if (r < 0)
            goto out;
    }
    r = 0;
out:
    if (r == SW_ENOMEM)
        sw_err_set(err, errlen, "outbox: out of memory");
    if (dp)
        closedir(dp);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return r;
}

/* ---- the outbox ---- */

int
sw_outbox_open(const char *state_dir, unsigned flags, struct sw_outbox **out,
               char *err, size_t errlen)
{
    struct sw_outbox *ob = NULL;
    char path[MAX_PATH];
    int n, r = SW_EINVAL;

    *out = NULL;
    if (errlen)
        err[0] = '\0';
    n = snprintf(path, sizeof(path), "%s/" SW_OUTBOX_DIR, state_dir);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        sw_err_set(err, errlen, "outbox: %s: path too long", state_dir);
        goto out;
    }
    r = SW_ENOMEM;
    ob = calloc(1, sizeof(*ob));
    if (!ob || !(ob->dir = sw_strdup(path))) {
        sw_err_set(err, errlen, "outbox: out of memory");
        goto out;
    }
    ob->dirfd = -1;
    ob->flags = flags;
    r = SW_EIO;
    if (!(flags & SW_OUTBOX_READONLY) && sw_file_mkdirs(path, 0750) < 0) {
        sw_err_set(err, errlen, "outbox: %s: %s", path, strerror(errno));
        goto out;
    }
    ob->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (ob->dirfd < 0) {
        if ((flags & SW_OUTBOX_READONLY) && errno == ENOENT) {
            r = 0;
            goto out;
        }
        sw_err_set(err, errlen, "outbox: %s: %s", path, strerror(errno));
        goto out;
    }
    r = load_all(ob, err, errlen);
out:
    if (r < 0) {
        sw_outbox_free(ob);
        return r;
    }
    *out = ob;
    return 0;
}

void
sw_outbox_free(struct sw_outbox *ob)
{
    if (!ob)
        return;
    for (size_t i = 0; i < ob->n; i++)
        sw_outbox_entry_free(ob->v[i]);
    free(ob->v);
    if (ob->dirfd >= 0)
        close(ob->dirfd);
    free(ob->dir);
    free(ob);
}

const char *
sw_outbox_dir(const struct sw_outbox *ob)
{
    return ob->dir;
}

size_t
sw_outbox_len(const struct sw_outbox *ob)
{
    return ob->n;
}

struct sw_outbox_entry *
sw_outbox_get(const struct sw_outbox *ob, size_t i)
{
    return i < ob->n ? ob->v[i] : NULL;
}

struct sw_outbox_entry *
sw_outbox_first(const struct sw_outbox *ob, const char *notifier)
{
    for (size_t i = 0; i < ob->n; i++)
        if (strcmp(ob->v[i]->notifier, notifier) == 0)
            return ob->v[i];
    return NULL;
}

/* A new id; see outbox.h for its parts. */
static int
new_id(struct sw_outbox *ob, time_t now, char *out, size_t outlen)
{
    char when[SW_TIME_BUF];
    struct timespec ts;
    uint32_t rnd;
    int64_t ns;
    int n;

    clock_gettime(CLOCK_REALTIME, &ts);
    ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    if (ns <= ob->last_ns)
        ns = ob->last_ns + 1;
    ob->last_ns = ns;
    if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
        rnd = (uint32_t)(ns ^ (ns >> 32)) ^ ((uint32_t)getpid() * 2654435761u);
    n = snprintf(out, outlen, "%s-%019lld-%07ld-%08lx", sw_time_amz(now, when),
                 (long long)ns, (long)getpid(), (unsigned long)rnd);
    if (n < 0 || (size_t)n >= outlen)
        return SW_EINTERNAL;
    return 0;
}

int
sw_outbox_add(struct sw_outbox *ob, const char *notifier, json_t *rec,
              time_t now, struct sw_outbox_entry **out, char *err,
              size_t errlen)
{
    struct sw_outbox_entry *e = NULL;
    char id[SW_OUTBOX_MAX_ID + 1];
    json_t *probe = NULL;
    int r = SW_EINVAL;

    if (out)
        *out = NULL;
    if (errlen)
        err[0] = '\0';
    if ((ob->flags & SW_OUTBOX_READONLY) || ob->dirfd < 0) {
        sw_err_set(err, errlen, "outbox: opened read-only");
        goto out;
    }
    /* The file must load again: a name that is not UTF-8 could not be
     * written as a JSON string at all. */
    probe = notifier ? json_string(notifier) : NULL;
    if (!json_is_object(rec) || !probe || !*notifier ||
        sw_str_has_ctl(notifier, strlen(notifier)) || now < 0 ||
        (json_int_t)now > MAX_TIME) {
        sw_err_set(err, errlen, "outbox: invalid notification");
        goto out;
    }
    r = SW_ENOMEM;
    e = calloc(1, sizeof(*e));
    if (!e || !(e->notifier = sw_strdup(notifier)) || reserve(ob, 1) < 0) {
        sw_err_set(err, errlen, "outbox: out of memory");
        goto out;
    }
    e->created = now;
    e->next_attempt = now;
    if (entry_set_record(e, rec) < 0) {
        sw_err_set(err, errlen, "outbox: out of memory");
        goto out;
    }
    /* A taken name is next to impossible (see outbox.h); try again with a
     * fresh id rather than fail the notification. */
    for (int tries = 0; tries < 3; tries++) {
        r = new_id(ob, now, id, sizeof(id));
        if (r < 0)
            goto out;
        free(e->id);
        e->id = sw_strdup(id);
        r = SW_ENOMEM;
        if (!e->id)
            goto out;
        r = write_entry(ob, e, 1, err, errlen);
        if (r != SW_EEXIST)
            break;
    }
    if (r == SW_EEXIST)
        sw_err_set(err, errlen, "outbox: no free entry name");
    if (r == SW_EIO) {
        /* A full or read-only state_dir: the notification must not be
         * lost with the file.  Keep it in memory, deliverable at once, and
         * let sw_outbox_flush() write it when the disk allows. */
        ob->write_failures++;
        e->unsaved = 1;
    } else if (r < 0) {
        goto out;
    }
    insert(ob, e);
    if (out)
        *out = e;
    e = NULL;
out:
    json_decref(probe);
    sw_outbox_entry_free(e);
    return r;
}

/* (Re)write E's file: rename over its old version, or, for an entry
 * only in memory, link it in as a new one.  Counts failures. */
static int
save_entry(struct sw_outbox *ob, struct sw_outbox_entry *e, char *err,
           size_t errlen)
{
    int r = write_entry(ob, e, !!e->unsaved, err, errlen);

    if (r == 0)
        e->unsaved = 0;
    else if (r == SW_EIO)
        ob->write_failures++;
    return r;
}

int
sw_outbox_flush(struct sw_outbox *ob, char *err, size_t errlen)
{
    size_t left = 0;
    int r;

    if (errlen)
        err[0] = '\0';
    if ((ob->flags & SW_OUTBOX_READONLY) || ob->dirfd < 0)
        return 0;
    for (size_t i = 0; i < ob->n; i++) {
        struct sw_outbox_entry *e = ob->v[i];

        if (!e->unsaved)
            continue;
        r = save_entry(ob, e, err, errlen);
        if (r == SW_EIO || r == SW_ENOMEM) {
            /* The disk is still full: the rest would fail alike. */
            left = sw_outbox_unsaved(ob);
            break;
        }
        if (r < 0)
            left++;
    }
    return left > INT_MAX ? INT_MAX : (int)left;
}

size_t
sw_outbox_unsaved(const struct sw_outbox *ob)
{
    size_t n = 0;

    for (size_t i = 0; i < ob->n; i++)
        n += ob->v[i]->unsaved ? 1 : 0;
    return n;
}

unsigned long
sw_outbox_write_failures(const struct sw_outbox *ob)
{
    return ob->write_failures;
}

int
sw_outbox_mark_failed(struct sw_outbox *ob, struct sw_outbox_entry *e,
                      time_t now, time_t next_attempt, const char *error,
                      char *err, size_t errlen)
{
    char *copy = NULL;

    if (errlen)
        err[0] = '\0';
    if ((ob->flags & SW_OUTBOX_READONLY) || ob->dirfd < 0) {
        sw_err_set(err, errlen, "outbox: opened read-only");
        return SW_EINVAL;
    }
    if (error) {
        copy = clean_error(error);
        if (!copy) {
            sw_err_set(err, errlen, "outbox: out of memory");
            return SW_ENOMEM;
        }
    }
    if (e->attempts < INT_MAX)
        e->attempts++;
    e->next_attempt = next_attempt < 0 ? 0 : next_attempt;
    e->last_attempt = now < 0 ? 0 : now;
    free(e->last_error);
    e->last_error = copy;
    return save_entry(ob, e, err, errlen);
}

int
sw_outbox_remove(struct sw_outbox *ob, struct sw_outbox_entry *e)
{
    char name[SW_OUTBOX_MAX_ID + 16], tmp[SW_OUTBOX_MAX_ID + 16];
    size_t i;
    int r = 0;

    if ((ob->flags & SW_OUTBOX_READONLY) || ob->dirfd < 0)
        return SW_EINVAL;
    for (i = 0; i < ob->n && ob->v[i] != e; i++)
        ;
    if (i == ob->n)
        return SW_EINVAL;
    if (e->unsaved) {
        /* Only in memory: no file to remove. */
    } else if (entry_names(e->id, name, sizeof(name), tmp, sizeof(tmp)) < 0) {
        r = SW_EINTERNAL;
    } else if (unlinkat(ob->dirfd, name, 0) < 0 && errno != ENOENT) {
        sw_log_errno("outbox: %s/%s: cannot remove; it will be sent again "
                     "after a restart",
                     ob->dir, name);
        r = SW_EIO;
    } else if (fsync(ob->dirfd) < 0) {
        /* Not fatal: at worst the entry comes back once after a crash. */
        sw_log_errno("outbox: %s: fsync", ob->dir);
    }
    memmove(&ob->v[i], &ob->v[i + 1], (ob->n - i - 1) * sizeof(*ob->v));
    ob->n--;
    sw_outbox_entry_free(e);
    return r;
}

size_t
sw_outbox_expire(struct sw_outbox *ob, const char *notifier, int max_age_s,
                 time_t now)
{
    size_t i = 0, expired = 0;

    if (max_age_s <= 0 || (ob->flags & SW_OUTBOX_READONLY))
        return 0;
    while (i < ob->n) {
        struct sw_outbox_entry *e = ob->v[i];

        if (e->busy || strcmp(e->notifier, notifier) != 0 ||
            now - e->created <= (time_t)max_age_s) {
            i++;
            continue;
        }
        sw_log_err("notify: notifier '%s': alarm '%s': notification expired "
                   "after %lld s and %d failed attempts (last error: %s); "
                   "dropped",
                   notifier, e->alarm, (long long)(now - e->created),
                   e->attempts, e->last_error ? e->last_error : "none");
        (void)sw_outbox_remove(ob, e);
        expired++;
    }
    return expired;
}

size_t
sw_outbox_pending(const struct sw_outbox *ob, const char *notifier,
                  time_t *oldest)
{
    size_t n = 0;
    time_t first = 0;

    for (size_t i = 0; i < ob->n; i++) {
        const struct sw_outbox_entry *e = ob->v[i];

        if (notifier && strcmp(e->notifier, notifier) != 0)
            continue;
        if (n == 0 || e->created < first)
            first = e->created;
        n++;
    }
    if (oldest)
        *oldest = first;
    return n;
}
