/* agent/store.c - the alarm state store: the entries in memory; see
 * store.h and store_priv.h. */
#include "config.h"

#include "agent/store.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/store_priv.h"
#include "lib/err.h"
#include "lib/json_stream.h"
#include "lib/str.h"

/* ---- entries ------------------------------------------------------------- */

void
sw_store_alarm_clear_marks(struct sw_alarm_state *a)
{
    if (a->nmarks)
        a->changed |= SW_STORE_CH_ALL;
    for (size_t i = 0; i < a->nmarks; i++)
        free(a->marks[i].notifier);
    free(a->marks);
    a->marks = NULL;
    a->nmarks = 0;
}

int
sw_store_alarm_mark(struct sw_alarm_state *a, const char *notifier,
                    struct sw_notify_mark **out)
{
    struct sw_notify_mark *v;
    char *name;

    for (size_t i = 0; i < a->nmarks; i++) {
        if (strcmp(a->marks[i].notifier, notifier) == 0) {
            *out = &a->marks[i];
            return 0;
        }
    }
    name = sw_strdup(notifier);
    if (!name)
        return SW_ENOMEM;
    v = realloc(a->marks, (a->nmarks + 1) * sizeof(*v));
    if (!v) {
        free(name);
        return SW_ENOMEM;
    }
    a->marks = v;
    memset(&v[a->nmarks], 0, sizeof(*v));
    v[a->nmarks].notifier = name;
    a->changed |= SW_STORE_CH_ALL;
    *out = &v[a->nmarks++];
    return 0;
}

void
sw_store_entry_free(struct sw_alarm_state *a)
{
    if (!a)
        return;
    sw_store_alarm_clear_marks(a);
    free(a->name);
    free(a->reason);
    free(a->reason_data);
    free(a->values);
    free(a->fetch_error);
    free(a);
}

/* A new alarm as CloudWatch starts one: INSUFFICIENT_DATA since NOW. */
static struct sw_alarm_state *
alarm_new(const char *name, time_t now)
{
    struct sw_alarm_state *a = calloc(1, sizeof(*a));

    if (!a)
        return NULL;
    a->name = sw_strdup(name);
    a->reason = sw_strdup(SW_STORE_INITIAL_REASON);
    a->state = SW_STATE_INSUFFICIENT_DATA;
    a->since = now;
    a->changed = SW_STORE_CH_ALL | SW_STORE_CH_NEW;
    if (!a->name || !a->reason) {
        sw_store_entry_free(a);
        return NULL;
    }
    return a;
}

void
sw_store_entry_saved(struct sw_alarm_state *a)
{
    a->changed = 0;
    a->saved_evaluated = a->last_evaluated;
    a->values_from = 0;
    for (size_t i = 0; i < a->nmarks; i++) {
        a->marks[i].saved_last = a->marks[i].last;
        a->marks[i].saved_count = a->marks[i].count;
    }
}

/* Callers assign last_evaluated and a mark's last and count themselves,
 * so those are compared with what the files hold. */
unsigned
sw_store_entry_change(const struct sw_alarm_state *a)
{
    unsigned c = a->changed & (SW_STORE_CH_ALL | SW_STORE_CH_VALUES);

    for (size_t i = 0; !(c & SW_STORE_CH_ALL) && i < a->nmarks; i++)
        if (a->marks[i].last != a->marks[i].saved_last ||
            a->marks[i].count != a->marks[i].saved_count)
            c |= SW_STORE_CH_ALL;
    if (!c && a->last_evaluated != a->saved_evaluated)
        c = SW_STORE_CH_EVAL;
    return c;
}

/* Replace *DST with a copy of SRC (NULL allowed). */
static int
replace_str(char **dst, const char *src)
{
    char *c = NULL;

    if (src) {
        c = sw_strdup(src);
        if (!c)
            return SW_ENOMEM;
    }
    free(*dst);
    *dst = c;
    return 0;
}

/* TEXT as compact JSON when it is one JSON object, else NULL with *R 0;
 * *R SW_ENOMEM when memory ran out. */
static char *
canonical_object(const char *text, int *r)
{
    struct sw_jread rd;
    struct sw_buf out;
    char *s = NULL;

    *r = 0;
    sw_buf_init(&out, SW_JREAD_MAX_STR);
    sw_jread_init_mem(&rd, text, strlen(text));
    /* Exactly its size: a buffer grows by doubling, and there is one of
     * these an alarm. */
    if (sw_jread_peek(&rd) == SW_JREAD_OBJECT &&
        sw_jread_skip(&rd, &out) == 0 && sw_jread_end(&rd) == 0 &&
        !(s = sw_strndup(out.data, out.len)))
        *r = SW_ENOMEM;
    if (rd.err == SW_ENOMEM)
        *r = SW_ENOMEM;
    sw_jread_release(&rd);
    sw_buf_release(&out);
    return s;
}

int
sw_store_alarm_set(struct sw_alarm_state *a, enum sw_state state, time_t since,
                   const char *reason, const char *reason_data)
{
    char *r1 = NULL, *r2 = NULL;
    int r = 0;

    if (reason_data)
        r2 = canonical_object(reason_data, &r);
    if (r < 0 || (reason && !(r1 = sw_strdup(reason)))) {
        free(r1);
        free(r2);
        return SW_ENOMEM;
    }
    free(a->reason);
    free(a->reason_data);
    a->reason = r1;
    a->reason_data = r2;
    a->state = state;
    a->since = since;
    a->changed |= SW_STORE_CH_ALL;
    return 0;
}

int
sw_store_alarm_add_values(struct sw_alarm_state *a,
                          const struct sw_datapoint *pts, size_t n, int keep)
{
    struct sw_datapoint *add = NULL;
    struct sw_store_value *v = NULL;
    size_t nadd = 0, i = 0, j = 0, total = 0, cap;
    time_t from = 0;
    int changed;

    cap = keep < SW_STORE_SHOWN_VALUES ? SW_STORE_SHOWN_VALUES
          : keep > SW_STORE_MAX_VALUES ? SW_STORE_MAX_VALUES
                                       : (size_t)keep;
    if (n == 0 && a->nvalues <= cap)
        return 0;
    if (n) {
        add = malloc(n * sizeof(*add));
        if (!add)
            return SW_ENOMEM;
        for (size_t k = 0; k < n; k++) {
            if (!isfinite(pts[k].value))
                continue;
            add[nadd++] = pts[k];
        }
        /* The later of two points at one ts wins, as in the reply. */
        nadd = sw_datapoints_normalize(add, nadd);
    }
    v = malloc((a->nvalues + nadd + 1) * sizeof(*v));
    if (!v) {
        free(add);
        return SW_ENOMEM;
    }
    /* Both ascending: merge, the new point winning a shared ts.  FROM:
     * the oldest point the files do not hold as it is now. */
    while (i < a->nvalues || j < nadd) {
        if (j == nadd || (i < a->nvalues && a->values[i].ts < add[j].ts)) {
            v[total++] = a->values[i++];
            continue;
        }
        if (i < a->nvalues && a->values[i].ts == add[j].ts) {
            if (a->values[i].value != add[j].value &&
                (!from || add[j].ts < from))
                from = add[j].ts;
            i++;
        } else if (!from || add[j].ts < from) {
            from = add[j].ts;
        }
        v[total].ts = add[j].ts;
        v[total++].value = add[j++].value;
    }
    free(add);
    if (total > cap) {
        memmove(v, v + (total - cap), cap * sizeof(*v));
        total = cap;
    }
    /* Changed points the cap dropped are no change; of those it kept,
     * the oldest is not known any more: take all that stay. */
    if (from && total && from < v[0].ts)
        from = v[0].ts;
    changed =
        from || total != a->nvalues || (total && v[0].ts != a->values[0].ts);
    if (!changed) {
        free(v);
        return 0;
    }
    free(a->values);
    a->values = v;
    a->nvalues = total;
    if (from && (!(a->changed & SW_STORE_CH_VALUES) || !a->values_from ||
                 from < a->values_from))
        a->values_from = from;
    else if (!(a->changed & SW_STORE_CH_VALUES))
        a->values_from = 0;
    a->changed |= SW_STORE_CH_VALUES;
    return 0;
}

size_t
sw_store_values_normalize(struct sw_store_value *v, size_t n)
{
    struct sw_datapoint *tmp;
    size_t i = 1;

    while (i < n && v[i].ts > v[i - 1].ts)
        i++;
    if (i >= n)
        return n;
    /* A hand edit: sort as the evaluator's points are sorted. */
    tmp = malloc(n * sizeof(*tmp));
    if (!tmp) {
        /* Keep the ascending prefix rather than fail a load. */
        return i;
    }
    for (i = 0; i < n; i++) {
        tmp[i].ts = v[i].ts;
        tmp[i].value = v[i].value;
        tmp[i].sample_count = -1;
    }
    n = sw_datapoints_normalize(tmp, n);
    for (i = 0; i < n; i++) {
        v[i].ts = tmp[i].ts;
        v[i].value = tmp[i].value;
    }
    free(tmp);
    return n;
}

int
sw_store_alarm_fetch_failed(struct sw_alarm_state *a, const char *msg,
                            time_t when)
{
    int r = replace_str(&a->fetch_error, msg ? msg : "fetch failed");

    if (r < 0)
        return r;
    /* The message may quote a reply (a JSON parser's "near '...'"). */
    sw_str_blank_ctl(a->fetch_error);
    if (a->fetch_failures == 0 || a->failing_since == 0 ||
        a->failing_since > when)
        a->failing_since = when;
    if (a->fetch_failures < 1000000000)
        a->fetch_failures++;
    a->last_error_time = when;
    a->changed |= SW_STORE_CH_ALL;
    return 0;
}

void
sw_store_alarm_fetch_ok(struct sw_alarm_state *a)
{
    /* Called after every good fetch: only a change is one. */
    if (!a->fetch_error && !a->fetch_failures && !a->failing_since)
        return;
    free(a->fetch_error);
    a->fetch_error = NULL;
    a->fetch_failures = 0;
    a->failing_since = 0;
    a->changed |= SW_STORE_CH_ALL;
}

/* ---- the store and its name index ---------------------------------------- */

struct sw_store *
sw_store_new(void)
{
    struct sw_store *st = calloc(1, sizeof(*st));

    if (st && !(st->files = calloc(1, sizeof(*st->files)))) {
        free(st);
        st = NULL;
    }
    return st;
}

static void
forget_dropped(struct sw_store_files *f)
{
    for (size_t i = 0; i < f->ndropped; i++)
        free(f->dropped[i]);
    free(f->dropped);
    f->dropped = NULL;
    f->ndropped = 0;
}

void
sw_store_free(struct sw_store *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->n; i++)
        sw_store_entry_free(st->alarms[i]);
    free(st->alarms);
    sw_store_entry_free(st->watcher);
    if (st->files) {
        forget_dropped(st->files);
        free(st->files->slots);
        free(st->files);
    }
    free(st);
}

/* FNV-1a: names are short, and a cycle looks each one up. */
static uint64_t
hash_name(const char *s)
{
    uint64_t h = 14695981039346656037u;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211u;
    }
    return h;
}

static void
index_put(struct sw_store *st, size_t pos)
{
    struct sw_store_files *f = st->files;
    size_t i = hash_name(st->alarms[pos]->name) & (f->nslots - 1);

    while (f->slots[i])
        i = (i + 1) & (f->nslots - 1);
    f->slots[i] = pos + 1;
}

/* Make room for N names and index every alarm again.  Returns 0 or
 * SW_ENOMEM (the old index kept). */
static int
index_rebuild(struct sw_store *st, size_t n)
{
    struct sw_store_files *f = st->files;
    size_t want = 16, *slots;

    while (want < 2 * n)
        want *= 2;
    if (want != f->nslots) {
        slots = calloc(want, sizeof(*slots));
        if (!slots)
            return SW_ENOMEM;
        free(f->slots);
        f->slots = slots;
        f->nslots = want;
    } else {
        memset(f->slots, 0, want * sizeof(*f->slots));
    }
    for (size_t i = 0; i < st->n; i++)
        index_put(st, i);
    return 0;
}

/* The position of NAME in st->alarms, or -1. */
long
sw_store_find(const struct sw_store *st, const char *name)
{
    const struct sw_store_files *f = st->files;
    size_t i;

    if (!f->nslots)
        return -1;
    i = hash_name(name) & (f->nslots - 1);
    for (; f->slots[i]; i = (i + 1) & (f->nslots - 1))
        if (strcmp(st->alarms[f->slots[i] - 1]->name, name) == 0)
            return (long)(f->slots[i] - 1);
    return -1;
}

struct sw_alarm_state *
sw_store_get(const struct sw_store *st, const char *name)
{
    long i = st && name ? sw_store_find(st, name) : -1;

    return i < 0 ? NULL : st->alarms[i];
}

/* Append A to the store, which takes it over on success. */
int
sw_store_add(struct sw_store *st, struct sw_alarm_state *a)
{
    struct sw_alarm_state **v;

    if (2 * (st->n + 1) > st->files->nslots &&
        index_rebuild(st, 2 * (st->n + 1)) < 0)
        return SW_ENOMEM;
    v = realloc(st->alarms, (st->n + 1) * sizeof(*v));
    if (!v)
        return SW_ENOMEM;
    v[st->n] = a;
    st->alarms = v;
    index_put(st, st->n++);
    return 0;
}

int
sw_store_watcher(struct sw_store *st, const char *name, time_t now,
                 struct sw_alarm_state **out)
{
    struct sw_alarm_state *a;

    if (st->watcher && strcmp(st->watcher->name, name) == 0) {
        *out = st->watcher;
        return 0;
    }
    *out = NULL;
    a = alarm_new(name, now);
    if (!a)
        return SW_ENOMEM;
    sw_store_entry_free(st->watcher);
    st->watcher = a;
    *out = a;
    return 0;
}

int
sw_store_ensure(struct sw_store *st, const char *name, time_t now,
                struct sw_alarm_state **out)
{
    struct sw_alarm_state *a;
    int r = SW_ENOMEM;

    *out = sw_store_get(st, name);
    if (*out)
        return 0;
    a = alarm_new(name, now);
    if (!a)
        goto out;
    r = sw_store_add(st, a);
    if (r < 0)
        goto out;
    *out = a;
    a = NULL;
out:
    sw_store_entry_free(a);
    return r;
}

/* Forget the alarm at POS; one the files hold is remembered for a
 * "drop" line.  The index is left for the caller to rebuild. */
static int
drop_at(struct sw_store *st, size_t pos)
{
    struct sw_store_files *f = st->files;
    struct sw_alarm_state *a = st->alarms[pos];
    char **v;

    if (!(a->changed & SW_STORE_CH_NEW)) {
        v = realloc(f->dropped, (f->ndropped + 1) * sizeof(*v));
        if (!v)
            return SW_ENOMEM;
        f->dropped = v;
        v[f->ndropped++] = a->name;
        a->name = NULL;
    }
    sw_store_entry_free(a);
    return 0;
}

size_t
sw_store_prune(struct sw_store *st, const char *const *keep, size_t nkeep)
{
    unsigned char *kept = calloc(st->n ? st->n : 1, 1);
    size_t out = 0, dropped = 0;

    if (!kept)
        return 0; /* nothing dropped: the next prune tries again */
    for (size_t k = 0; k < nkeep; k++) {
        long i = sw_store_find(st, keep[k]);
        if (i >= 0)
            kept[i] = 1;
    }
    for (size_t i = 0; i < st->n; i++) {
        if (kept[i] || drop_at(st, i) < 0) {
            st->alarms[out++] = st->alarms[i];
            continue;
        }
        dropped++;
    }
    free(kept);
    st->n = out;
    if (dropped)
        /* No smaller table than before, so no allocation: cannot fail. */
        (void)index_rebuild(st, st->files->nslots / 2);
    return dropped;
}

size_t
sw_store_unsaved(const struct sw_store *st)
{
    size_t n = st->files->ndropped;

    for (size_t i = 0; i < st->n; i++)
        n += sw_store_entry_change(st->alarms[i]) != 0;
    if (st->watcher)
        n += sw_store_entry_change(st->watcher) != 0;
    return n;
}

void
sw_store_remove(struct sw_store *st, size_t pos)
{
    sw_store_entry_free(st->alarms[pos]);
    memmove(st->alarms + pos, st->alarms + pos + 1,
            (st->n - pos - 1) * sizeof(*st->alarms));
    st->n--;
    /* No larger table than before: cannot fail. */
    (void)index_rebuild(st, st->files->nslots / 2);
}

/* The files hold every entry of ST as it is. */
void
sw_store_all_saved(struct sw_store *st)
{
    for (size_t i = 0; i < st->n; i++)
        sw_store_entry_saved(st->alarms[i]);
    if (st->watcher)
        sw_store_entry_saved(st->watcher);
    forget_dropped(st->files);
}
