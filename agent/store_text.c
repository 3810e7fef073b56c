/* agent/store_text.c - the state store's JSON text, both ways; see
 * store_priv.h. */
#include "config.h"

#include "agent/store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/store_priv.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/json_stream.h"
#include "lib/str.h"

#define FLUSH_AT 65536 /* bytes gathered before a write() */

/* ---- writing ------------------------------------------------------------- */

void
sw_store_out_init(struct sw_store_out *o, int fd)
{
    memset(o, 0, sizeof(*o));
    sw_buf_init(&o->b, SW_STORE_MAX_BYTES);
    o->fd = fd;
    o->t[0] = o->t[1] = -1;
}

static void
out_failed(struct sw_store_out *o, int r)
{
    if (r < 0 && !o->err)
        o->err = r;
}

static void
out_add(struct sw_store_out *o, const char *s, size_t n)
{
    if (!o->err)
        out_failed(o, sw_buf_add(&o->b, s, n));
}

#define OUT_LIT(o, s) out_add((o), (s), sizeof(s) - 1)

void
sw_store_out_release(struct sw_store_out *o)
{
    sw_buf_release(&o->b);
}

void
sw_store_out_flush(struct sw_store_out *o, int all)
{
    if (o->err || o->fd < 0 || (!all && o->b.len < FLUSH_AT))
        return;
    o->total += o->b.len;
    if (o->total > SW_STORE_MAX_BYTES) {
        o->err = SW_ETOOBIG;
        return;
    }
    out_failed(o,
               sw_file_write_all(o->fd, o->b.data ? o->b.data : "", o->b.len));
    sw_buf_reset(&o->b);
}

static void
out_string(struct sw_store_out *o, const char *s)
{
    if (!o->err)
        out_failed(o, sw_jwrite_string(&o->b, s));
}

static void
out_int(struct sw_store_out *o, int64_t v)
{
    if (!o->err)
        out_failed(o, sw_jwrite_int(&o->b, v));
}

/* T as an RFC 3339 string, or null for 0 when NULLABLE.  Most times in
 * a save are the same few (the cycle's clock), and formatting one is the
 * dearest part of an alarm's line. */
static void
out_time(struct sw_store_out *o, time_t t, int nullable)
{
    int k;

    if (!t && nullable) {
        OUT_LIT(o, "null");
        return;
    }
    k = o->t[0] == t ? 0 : o->t[1] == t ? 1 : -1;
    if (k < 0) {
        k = o->next;
        o->next ^= 1;
        o->t[k] = t;
        sw_time_rfc3339(t, o->ts[k]);
    }
    out_add(o, "\"", 1);
    out_add(o, o->ts[k], strlen(o->ts[k]));
    out_add(o, "\"", 1);
}

/* Values of A from position FROM on: [[ts, value], ...].  A pair is
 * built in place and added at once: this is most of a save. */
static void
out_values(struct sw_store_out *o, const struct sw_alarm_state *a, size_t from)
{
    char pair[2 * SW_JFMT_MAX + 4];

    OUT_LIT(o, "[");
    for (size_t i = from; i < a->nvalues && !o->err; i++) {
        size_t n = 0, d;

        if (i > from)
            pair[n++] = ',';
        pair[n++] = '[';
        n += sw_jfmt_int((int64_t)a->values[i].ts, pair + n);
        pair[n++] = ',';
        /* Finite by construction (add_values(), the loader). */
        d = sw_jfmt_double(a->values[i].value, pair + n);
        if (!d)
            pair[n++] = '0';
        n += d;
        pair[n++] = ']';
        out_add(o, pair, n);
    }
    OUT_LIT(o, "]");
}

/* The fields of A, as in a state.json alarm, without the braces. */
static void
out_fields(struct sw_store_out *o, const struct sw_alarm_state *a)
{
    OUT_LIT(o, "\"state\":");
    out_string(o, sw_state_name(a->state));
    OUT_LIT(o, ",\"since\":");
    out_time(o, a->since, 0);
    OUT_LIT(o, ",\"reason\":");
    out_string(o, a->reason ? a->reason : "");
    OUT_LIT(o, ",\"reason_data\":");
    /* Compact JSON of an object by construction (sw_store_alarm_set()
     * and the loader check it). */
    if (a->reason_data)
        out_add(o, a->reason_data, strlen(a->reason_data));
    else
        OUT_LIT(o, "null");
    OUT_LIT(o, ",\"last_evaluated\":");
    out_time(o, a->last_evaluated, 1);
    OUT_LIT(o, ",\"values\":");
    out_values(o, a, 0);
    OUT_LIT(o, ",\"fetch_error\":");
    if (a->fetch_error)
        out_string(o, a->fetch_error);
    else
        OUT_LIT(o, "null");
    OUT_LIT(o, ",\"fetch_failures\":");
    out_int(o, a->fetch_failures);
    OUT_LIT(o, ",\"last_fetch_error_time\":");
    out_time(o, a->last_error_time, 1);
    OUT_LIT(o, ",\"fetch_failing_since\":");
    out_time(o, a->failing_since, 1);
    if (a->nmarks) {
        OUT_LIT(o, ",\"notified\":{");
        for (size_t i = 0; i < a->nmarks; i++) {
            if (i)
                OUT_LIT(o, ",");
            out_string(o, a->marks[i].notifier);
            OUT_LIT(o, ":{\"last\":");
            out_time(o, a->marks[i].last, 0);
            OUT_LIT(o, ",\"count\":");
            out_int(o, a->marks[i].count);
            OUT_LIT(o, "}");
        }
        OUT_LIT(o, "}");
    }
}

void
sw_store_text_snapshot(struct sw_store_out *o, const struct sw_store *st,
                       const char *id)
{
    OUT_LIT(o, "{\"version\":1,\"journal\":");
    out_string(o, id);
    OUT_LIT(o, ",\"alarms\":{");
    /* One alarm a line: a person can read and grep it. */
    for (size_t i = 0; i < st->n && !o->err; i++) {
        if (i)
            OUT_LIT(o, ",");
        OUT_LIT(o, "\n");
        out_string(o, st->alarms[i]->name);
        OUT_LIT(o, ":{");
        out_fields(o, st->alarms[i]);
        OUT_LIT(o, "}");
        sw_store_out_flush(o, 0);
    }
    OUT_LIT(o, "\n}");
    if (st->watcher) {
        /* The name first, as a reader looks for it. */
        OUT_LIT(o, ",\"watcher\":{\"name\":");
        out_string(o, st->watcher->name);
        OUT_LIT(o, ",");
        out_fields(o, st->watcher);
        OUT_LIT(o, "}");
    }
    OUT_LIT(o, "}\n");
}

void
sw_store_text_line(struct sw_store_out *o, const struct sw_alarm_state *a,
                   int watcher, unsigned c)
{
    if (c & SW_STORE_CH_ALL) {
        if (watcher)
            OUT_LIT(o, "{\"op\":\"watcher\",\"name\":");
        else
            OUT_LIT(o, "{\"op\":\"set\",\"name\":");
        out_string(o, a->name);
        OUT_LIT(o, ",");
        out_fields(o, a);
        OUT_LIT(o, "}\n");
        return;
    }
    if (watcher)
        OUT_LIT(o, "{\"op\":\"eval_watcher\",\"name\":");
    else
        OUT_LIT(o, "{\"op\":\"eval\",\"name\":");
    out_string(o, a->name);
    OUT_LIT(o, ",\"last_evaluated\":");
    out_time(o, a->last_evaluated, 1);
    if (c & SW_STORE_CH_VALUES) {
        /* The values from the oldest changed one on, and how many are
         * kept: the replay drops what the cap dropped. */
        time_t from = a->values_from;
        size_t k = 0;

        if (!from)
            from = a->nvalues ? a->values[a->nvalues - 1].ts + 1 : 0;
        while (k < a->nvalues && a->values[k].ts < from)
            k++;
        OUT_LIT(o, ",\"values_from\":");
        out_int(o, (int64_t)from);
        OUT_LIT(o, ",\"nvalues\":");
        out_int(o, (int64_t)a->nvalues);
        OUT_LIT(o, ",\"values\":");
        out_values(o, a, k);
    }
    OUT_LIT(o, "}\n");
}

void
sw_store_text_drop(struct sw_store_out *o, const char *name)
{
    OUT_LIT(o, "{\"op\":\"drop\",\"name\":");
    out_string(o, name);
    OUT_LIT(o, "}\n");
}

/* ---- reading: one record ------------------------------------------------- */

/* The keys of an alarm record and of a journal line; a bit each. */
enum {
    K_STATE = 1u << 0,
    K_SINCE = 1u << 1,
    K_REASON = 1u << 2,
    K_REASON_DATA = 1u << 3,
    K_LAST_EVALUATED = 1u << 4,
    K_VALUES = 1u << 5,
    K_FETCH_ERROR = 1u << 6,
    K_FETCH_FAILURES = 1u << 7,
    K_LAST_ERROR = 1u << 8,
    K_FAILING_SINCE = 1u << 9,
    K_NOTIFIED = 1u << 10,
    K_OP = 1u << 11,
    K_NAME = 1u << 12,
    K_VALUES_FROM = 1u << 13,
    K_NVALUES = 1u << 14,
};

static const struct {
    const char *key;
    unsigned bit;
} record_keys[] = {
    {"state", K_STATE},
    {"since", K_SINCE},
    {"reason", K_REASON},
    {"reason_data", K_REASON_DATA},
    {"last_evaluated", K_LAST_EVALUATED},
    {"values", K_VALUES},
    {"fetch_error", K_FETCH_ERROR},
    {"fetch_failures", K_FETCH_FAILURES},
    {"last_fetch_error_time", K_LAST_ERROR},
    {"fetch_failing_since", K_FAILING_SINCE},
    {"notified", K_NOTIFIED},
    {"op", K_OP},
    {"name", K_NAME},
    {"values_from", K_VALUES_FROM},
    {"nvalues", K_NVALUES},
};

/* An alarm object or a journal line, read. */
struct record {
    struct sw_alarm_state *a; /* the fields; a->name from "name" */
    char op[16];
    int64_t values_from, nvalues;
    unsigned seen;   /* K_* */
    size_t next_key; /* where in record_keys[] to look first */
};

static void
record_release(struct record *rec)
{
    sw_store_entry_free(rec->a);
    rec->a = NULL;
}

/* A time: an RFC 3339 string, or null when NULLABLE (0). */
static int
read_time(struct sw_jread *r, int nullable, time_t *out)
{
    const char *s;
    int k;

    *out = 0;
    if (nullable && (k = sw_jread_null(r)) != 0)
        return k < 0 ? k : 0;
    if (sw_jread_peek(r) != SW_JREAD_STRING)
        return SW_EPARSE;
    if ((k = sw_jread_string(r, &s, NULL)) < 0)
        return k;
    /* From 1970 to 9999: what sw_time_rfc3339() writes back the same. */
    if (sw_time_parse_rfc3339(s, out) < 0 || *out < 0 ||
        *out > (time_t)253402300799)
        return SW_EPARSE;
    return 0;
}

/* A string, or null when NULLABLE, copied into *OUT. */
static int
read_str(struct sw_jread *r, int nullable, char **out)
{
    const char *s;
    int k;

    free(*out);
    *out = NULL;
    if (nullable && (k = sw_jread_null(r)) != 0)
        return k < 0 ? k : 0;
    if (sw_jread_peek(r) != SW_JREAD_STRING)
        return SW_EPARSE;
    if ((k = sw_jread_string(r, &s, NULL)) < 0)
        return k;
    *out = sw_strdup(s);
    return *out ? 0 : SW_ENOMEM;
}

static int
read_count(struct sw_jread *r, int64_t max, int64_t *out)
{
    int k;

    if (sw_jread_peek(r) != SW_JREAD_NUMBER)
        return SW_EPARSE;
    if ((k = sw_jread_int(r, out)) < 0)
        return k;
    return *out < 0 || *out > max ? SW_EPARSE : 0;
}

/* [[ts, value], ...] or null, ascending and unique by ts, the newest
 * SW_STORE_MAX_VALUES. */
static int
read_values(struct sw_jread *r, struct sw_alarm_state *a)
{
    size_t n = 0, cap = 0;
    int k;

    free(a->values);
    a->values = NULL;
    a->nvalues = 0;
    if ((k = sw_jread_null(r)) != 0)
        return k < 0 ? k : 0;
    if ((k = sw_jread_array(r)) < 0)
        return k;
    while ((k = sw_jread_element(r)) == 1) {
        int64_t ts;
        double v;

        if (n == cap) {
            struct sw_store_value *p;
            cap = cap ? 2 * cap : SW_STORE_MAX_VALUES;
            p = realloc(a->values, cap * sizeof(*p));
            if (!p)
                return SW_ENOMEM;
            a->values = p;
        }
        /* The typed readers check the kinds (sw_jread_wrong_kind()). */
        if ((k = sw_jread_array(r)) < 0 || (k = sw_jread_element(r)) != 1 ||
            (k = sw_jread_int(r, &ts)) < 0 || (k = sw_jread_element(r)) != 1 ||
            (k = sw_jread_double(r, &v)) < 0 || (k = sw_jread_element(r)) != 0)
            return k < 0 ? k : SW_EPARSE;
        a->values[n].ts = (time_t)ts;
        a->values[n++].value = v;
    }
    if (k < 0)
        return k;
    /* Ours are ascending and unique already; a hand edit may not be. */
    n = sw_store_values_normalize(a->values, n);
    if (n > SW_STORE_MAX_VALUES) {
        /* N > 0 here, so VALUES holds them: not NULL.
         * NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
        memmove(a->values, a->values + (n - SW_STORE_MAX_VALUES),
                SW_STORE_MAX_VALUES * sizeof(*a->values));
        n = SW_STORE_MAX_VALUES;
    }
    a->nvalues = n;
    return 0;
}

/* "notified": {"<notifier>": {"last": time, "count": n}}, or null. */
static int
read_marks(struct sw_jread *r, struct sw_alarm_state *a)
{
    const char *key;
    int k;

    sw_store_alarm_clear_marks(a);
    if ((k = sw_jread_null(r)) != 0)
        return k < 0 ? k : 0;
    if (sw_jread_peek(r) != SW_JREAD_OBJECT)
        return SW_EPARSE;
    if ((k = sw_jread_object(r)) < 0)
        return k;
    while ((k = sw_jread_member(r, &key)) == 1) {
        struct sw_notify_mark *m;
        const char *field;
        time_t last = 0;
        int64_t count = -1;
        int have_last = 0;

        if ((k = sw_store_alarm_mark(a, key, &m)) < 0)
            return k;
        if (sw_jread_peek(r) != SW_JREAD_OBJECT || sw_jread_object(r) < 0)
            return SW_EPARSE;
        while ((k = sw_jread_member(r, &field)) == 1) {
            if (strcmp(field, "last") == 0) {
                have_last = 1;
                k = read_time(r, 0, &last);
            } else if (strcmp(field, "count") == 0) {
                k = read_count(r, 1000000000, &count);
            } else {
                k = sw_jread_skip(r, NULL);
            }
            if (k < 0)
                return k;
        }
        if (k < 0)
            return k;
        if (!have_last || count < 0)
            return SW_EPARSE;
        m->last = last;
        m->count = (int)count;
    }
    return k;
}

/* The value of the member KEY of REC.  Returns 0, SW_EPARSE with *WHAT
 * (the value is of the wrong kind, or R failed: then R says what) or
 * SW_ENOMEM. */
static int
read_field(struct sw_jread *r, struct record *rec, const char *key,
           const char **what)
{
    const size_t nkeys = sizeof(record_keys) / sizeof(record_keys[0]);
    struct sw_alarm_state *a = rec->a;
    unsigned bit = 0;
    int64_t n = 0; /* read_count() leaves it unset when it fails */
    int k;

    /* Keys mostly come in the order this file writes them: try the one
     * after the last first. */
    for (size_t i = 0; i < nkeys && !bit; i++) {
        size_t j = (rec->next_key + i) % nkeys;
        if (strcmp(key, record_keys[j].key) == 0) {
            bit = record_keys[j].bit;
            rec->next_key = j + 1;
        }
    }
    if (!bit)
        return sw_jread_skip(r, NULL); /* a later version's: ignored */
    if (rec->seen & bit) {
        *what = "a key appears twice";
        return SW_EPARSE;
    }
    rec->seen |= bit;
    switch (bit) {
    case K_STATE: {
        const char *s;
        *what = "'state' must be OK, ALARM or INSUFFICIENT_DATA";
        if (sw_jread_peek(r) != SW_JREAD_STRING)
            return SW_EPARSE;
        if ((k = sw_jread_string(r, &s, NULL)) < 0)
            return k;
        return sw_state_parse(s, &a->state) < 0 ? SW_EPARSE : 0;
    }
    case K_SINCE:
        *what = "'since' must be an RFC 3339 time";
        return read_time(r, 0, &a->since);
    case K_REASON:
        *what = "'reason' must be a string";
        return read_str(r, 0, &a->reason);
    case K_REASON_DATA: {
        struct sw_buf b;

        *what = "'reason_data' must be an object or null";
        free(a->reason_data);
        a->reason_data = NULL;
        if ((k = sw_jread_null(r)) != 0)
            return k < 0 ? k : 0;
        if (sw_jread_peek(r) != SW_JREAD_OBJECT)
            return SW_EPARSE;
        sw_buf_init(&b, SW_JREAD_MAX_STR);
        k = sw_jread_skip(r, &b);
        /* Exactly its size (a buffer grows by doubling). */
        if (k == 0 && !(a->reason_data = sw_strndup(b.data, b.len)))
            k = SW_ENOMEM;
        sw_buf_release(&b);
        return k;
    }
    case K_LAST_EVALUATED:
        *what = "'last_evaluated' must be an RFC 3339 time or null";
        return read_time(r, 1, &a->last_evaluated);
    case K_VALUES:
        *what = "'values' must be an array of [timestamp, number] pairs";
        return read_values(r, a);
    case K_FETCH_ERROR:
        *what = "'fetch_error' must be a string or null";
        return read_str(r, 1, &a->fetch_error);
    case K_FETCH_FAILURES:
        *what = "'fetch_failures' must be a non-negative integer";
        k = read_count(r, 1000000000, &n);
        a->fetch_failures = (int)n;
        return k;
    case K_LAST_ERROR:
        *what = "'last_fetch_error_time' must be an RFC 3339 time or null";
        return read_time(r, 1, &a->last_error_time);
    case K_FAILING_SINCE:
        *what = "'fetch_failing_since' must be an RFC 3339 time or null";
        return read_time(r, 1, &a->failing_since);
    case K_NOTIFIED:
        *what = "'notified' must map notifiers to {\"last\": time, "
                "\"count\": n}";
        return read_marks(r, a);
    case K_OP: {
        const char *s;
        size_t len;
        *what = "'op' must be a string";
        if (sw_jread_peek(r) != SW_JREAD_STRING)
            return SW_EPARSE;
        if ((k = sw_jread_string(r, &s, &len)) < 0)
            return k;
        if (len >= sizeof(rec->op))
            return SW_EPARSE;
        memcpy(rec->op, s, len + 1);
        return 0;
    }
    case K_NAME:
        *what = "'name' must be a string";
        return read_str(r, 0, &a->name);
    case K_VALUES_FROM:
        *what = "'values_from' must be an integer";
        if (sw_jread_peek(r) != SW_JREAD_NUMBER)
            return SW_EPARSE;
        return sw_jread_int(r, &rec->values_from);
    default:
        *what = "'nvalues' must be an integer from 0 to 60";
        return read_count(r, SW_STORE_MAX_VALUES, &rec->nvalues);
    }
}

/* An object of alarm fields (and journal keys) into REC (new). */
static int
read_record(struct sw_jread *r, struct record *rec, const char **what)
{
    const char *key;
    int k;

    memset(rec, 0, sizeof(*rec));
    rec->a = calloc(1, sizeof(*rec->a));
    if (!rec->a)
        return SW_ENOMEM;
    *what = "must be an object";
    if (sw_jread_peek(r) != SW_JREAD_OBJECT)
        return SW_EPARSE;
    if ((k = sw_jread_object(r)) < 0)
        return k;
    while ((k = sw_jread_member(r, &key)) == 1)
        if ((k = read_field(r, rec, key, what)) < 0)
            return k == SW_ENOMEM || r->err == SW_ENOMEM ? SW_ENOMEM
                                                         : SW_EPARSE;
    return k;
}

/* REC, read as a whole alarm: state, since and reason present, the
 * failure bookkeeping made consistent. */
static int
record_alarm(struct record *rec, const char **what)
{
    struct sw_alarm_state *a = rec->a;

    if (!(rec->seen & K_STATE)) {
        *what = "'state' must be OK, ALARM or INSUFFICIENT_DATA";
        return SW_EPARSE;
    }
    if (!(rec->seen & K_SINCE)) {
        *what = "'since' must be an RFC 3339 time";
        return SW_EPARSE;
    }
    if (!(rec->seen & K_REASON)) {
        *what = "'reason' must be a string";
        return SW_EPARSE;
    }
    /* Files from before it existed: the failures began no later than the
     * last one, which only makes the alarm blind later, never sooner. */
    if (a->fetch_failures > 0 && a->failing_since == 0)
        a->failing_since = a->last_error_time;
    if (a->fetch_failures == 0)
        a->failing_since = 0;
    return 0;
}

/* ---- reading: the snapshot ----------------------------------------------- */

/* The message for a failed read of PATH: the reader's when the text is
 * not JSON (where and what), else WHAT under CONTEXT. */
static void
read_error(const struct sw_jread *r, int k, const char *path,
           const char *context, const char *what, char *err, size_t errlen)
{
    if (k == SW_ENOMEM)
        snprintf(err, errlen, "%s: out of memory", path);
    else if (r->err == SW_EIO)
        snprintf(err, errlen, "%s: %s", path,
                 r->msg + strcspn(r->msg, " ") + 1);
    else if (r->err == SW_ETOOBIG)
        snprintf(err, errlen, "%s: larger than %u bytes", path,
                 (unsigned)SW_STORE_MAX_BYTES);
    else if (r->err && (!sw_jread_wrong_kind(r) || !what[0]))
        snprintf(err, errlen, "%s:%s", path, sw_jread_error(r));
    else
        snprintf(err, errlen, "%s: %s%s", path, context, what);
}

/* A code for the caller: ENOMEM and EIO as they are, anything else a
 * file to set aside. */
static int
read_code(const struct sw_jread *r, int k)
{
    if (k == SW_ENOMEM || r->err == SW_ENOMEM)
        return SW_ENOMEM;
    return r->err == SW_EIO ? SW_EIO : SW_EPARSE;
}

/* "alarms": {"<name>": {...}, ...} */
static int
read_alarms(struct sw_jread *r, struct sw_store *st, const char *path,
            char *err, size_t errlen)
{
    const char *key, *what = "";
    char ctx[300];
    int k;

    if (sw_jread_peek(r) != SW_JREAD_OBJECT) {
        snprintf(err, errlen, "%s: 'alarms' must be an object", path);
        return SW_EPARSE;
    }
    if ((k = sw_jread_object(r)) < 0)
        goto fail;
    while ((k = sw_jread_member(r, &key)) == 1) {
        struct record rec;
        char *name;

        if (!key[0]) {
            snprintf(err, errlen, "%s: empty alarm name", path);
            return SW_EPARSE;
        }
        if (sw_store_get(st, key)) {
            snprintf(err, errlen, "%s: alarm '%s' appears twice", path, key);
            return SW_EPARSE;
        }
        name = sw_strdup(key);
        if (!name)
            return SW_ENOMEM;
        snprintf(ctx, sizeof(ctx), "alarm '%s': ", name);
        k = read_record(r, &rec, &what);
        if (k == 0)
            k = record_alarm(&rec, &what);
        if (k == 0) {
            free(rec.a->name);
            rec.a->name = name;
            name = NULL;
            k = sw_store_add(st, rec.a);
            if (k == 0)
                rec.a = NULL;
        }
        free(name);
        record_release(&rec);
        if (k < 0) {
            read_error(r, k, path, ctx, what, err, errlen);
            return read_code(r, k);
        }
    }
    if (k == 0)
        return 0;
fail:
    read_error(r, k, path, "", "", err, errlen);
    return read_code(r, k);
}

/* "watcher": {"name": "...", <fields>} */
static int
read_watcher(struct sw_jread *r, struct sw_store *st, const char *path,
             char *err, size_t errlen)
{
    const char *what = "";
    struct record rec;
    char ctx[300];
    int k;

    if (sw_jread_peek(r) != SW_JREAD_OBJECT) {
        k = SW_EPARSE;
        goto bad_shape;
    }
    k = read_record(r, &rec, &what);
    if (k == 0 && (!rec.a->name || !rec.a->name[0])) {
        record_release(&rec);
        goto bad_shape;
    }
    if (k == 0)
        k = record_alarm(&rec, &what);
    if (k < 0) {
        snprintf(ctx, sizeof(ctx),
                 "watcher '%s': ", rec.a && rec.a->name ? rec.a->name : "");
        read_error(r, k, path, ctx, what, err, errlen);
        record_release(&rec);
        return read_code(r, k);
    }
    sw_store_entry_free(st->watcher);
    st->watcher = rec.a;
    return 0;
bad_shape:
    if (r->err)
        read_error(r, k, path, "", "", err, errlen);
    else
        snprintf(err, errlen, "%s: 'watcher' must be an object with a 'name'",
                 path);
    return read_code(r, k);
}

int
sw_store_text_read_snapshot(struct sw_jread *r, struct sw_store *st,
                            const char *path, char id[SW_STORE_ID_LEN + 1],
                            char *err, size_t errlen)
{
    enum { S_VERSION = 1, S_ALARMS = 2, S_WATCHER = 4, S_JOURNAL = 8 };
    const char *key;
    unsigned seen = 0;
    int k, t = sw_jread_peek(r);

    id[0] = '\0';
    if (t > 0 && t != SW_JREAD_OBJECT) {
        /* Valid JSON of another kind, or no JSON at all. */
        if ((k = sw_jread_skip(r, NULL)) < 0 || (k = sw_jread_end(r)) < 0)
            goto fail;
        snprintf(err, errlen, "%s: not a JSON object", path);
        return SW_EPARSE;
    }
    if ((k = sw_jread_object(r)) < 0)
        goto fail;
    while ((k = sw_jread_member(r, &key)) == 1) {
        unsigned bit = strcmp(key, "version") == 0   ? S_VERSION
                       : strcmp(key, "alarms") == 0  ? S_ALARMS
                       : strcmp(key, "watcher") == 0 ? S_WATCHER
                       : strcmp(key, "journal") == 0 ? S_JOURNAL
                                                     : 0;
        if (bit & seen) {
            snprintf(err, errlen, "%s: duplicate key '%s'", path, key);
            return SW_EPARSE;
        }
        seen |= bit;
        if (bit == S_VERSION) {
            int64_t v = 0;
            if (sw_jread_peek(r) != SW_JREAD_NUMBER ||
                sw_jread_int(r, &v) < 0 || v != SW_STORE_VERSION) {
                if (r->err == SW_ENOMEM || r->err == SW_EIO)
                    goto fail;
                snprintf(err, errlen, "%s: 'version' must be %d", path,
                         SW_STORE_VERSION);
                return SW_EPARSE;
            }
        } else if (bit == S_ALARMS) {
            if ((k = read_alarms(r, st, path, err, errlen)) < 0)
                return k;
        } else if (bit == S_WATCHER) {
            if ((k = read_watcher(r, st, path, err, errlen)) < 0)
                return k;
        } else if (bit == S_JOURNAL) {
            const char *s;
            size_t len;
            /* Not ours (a hand-made id): then no journal is ours either. */
            if (sw_jread_peek(r) != SW_JREAD_STRING) {
                if ((k = sw_jread_skip(r, NULL)) < 0)
                    goto fail;
            } else if ((k = sw_jread_string(r, &s, &len)) < 0) {
                goto fail;
            } else if (len == SW_STORE_ID_LEN) {
                memcpy(id, s, SW_STORE_ID_LEN + 1);
            }
        } else if ((k = sw_jread_skip(r, NULL)) < 0) {
            goto fail;
        }
    }
    if (k < 0 || (k = sw_jread_end(r)) < 0)
        goto fail;
    if (!(seen & S_VERSION)) {
        snprintf(err, errlen, "%s: 'version' must be %d", path,
                 SW_STORE_VERSION);
        return SW_EPARSE;
    }
    if (!(seen & S_ALARMS)) {
        snprintf(err, errlen, "%s: 'alarms' must be an object", path);
        return SW_EPARSE;
    }
    return 0;
fail:
    read_error(r, k, path, "", "", err, errlen);
    return read_code(r, k);
}

/* An "eval" line onto A: the evaluation time, and the values from
 * values_from on replaced by the line's, of which the newest nvalues
 * stay. */
static int
replay_eval(struct sw_alarm_state *a, struct record *rec)
{
    struct sw_store_value *v;
    size_t keep = 0, total;

    a->last_evaluated = rec->a->last_evaluated;
    if (!(rec->seen & K_VALUES_FROM))
        return 0;
    while (keep < a->nvalues && a->values[keep].ts < rec->values_from)
        keep++;
    total = keep + rec->a->nvalues;
    v = malloc((total ? total : 1) * sizeof(*v));
    if (!v)
        return SW_ENOMEM;
    if (keep)
        memcpy(v, a->values, keep * sizeof(*v));
    if (rec->a->nvalues)
        memcpy(v + keep, rec->a->values, rec->a->nvalues * sizeof(*v));
    total = sw_store_values_normalize(v, total);
    if (total > (size_t)rec->nvalues) {
        memmove(v, v + (total - (size_t)rec->nvalues),
                (size_t)rec->nvalues * sizeof(*v));
        total = (size_t)rec->nvalues;
    }
    free(a->values);
    a->values = v;
    a->nvalues = total;
    return 0;
}

/* One journal line onto ST.  Returns 0 (a line about an alarm that is
 * not there is skipped), SW_EPARSE with *WHAT, or SW_ENOMEM. */
static int
replay_line(struct sw_store *st, struct record *rec, const char **what)
{
    const char *op = rec->op, *name = rec->a->name;
    struct sw_alarm_state *a;
    int k;

    *what = "a line needs an 'op' and a 'name'";
    if (!(rec->seen & K_OP) || !name || !name[0])
        return SW_EPARSE;
    if (strcmp(op, "set") == 0 || strcmp(op, "watcher") == 0) {
        if ((k = record_alarm(rec, what)) < 0)
            return k;
        if (op[0] == 'w') {
            sw_store_entry_free(st->watcher);
            st->watcher = rec->a;
        } else {
            long i = sw_store_find(st, name);
            if (i >= 0) {
                /* Same name: the index stays as it is. */
                sw_store_entry_free(st->alarms[i]);
                st->alarms[i] = rec->a;
            } else if ((k = sw_store_add(st, rec->a)) < 0) {
                return k;
            }
        }
        rec->a = NULL;
        return 0;
    }
    if (strcmp(op, "eval") == 0 || strcmp(op, "eval_watcher") == 0) {
        *what = "an 'eval' line needs 'last_evaluated', and 'values' with "
                "'values_from' and 'nvalues'";
        if (!(rec->seen & K_LAST_EVALUATED) ||
            !(rec->seen & K_VALUES_FROM) != !(rec->seen & K_NVALUES) ||
            !(rec->seen & K_VALUES_FROM) != !(rec->seen & K_VALUES))
            return SW_EPARSE;
        a = op[4] == '_' ? st->watcher : sw_store_get(st, name);
        if (!a || strcmp(a->name, name) != 0)
            return 0;
        return replay_eval(a, rec);
    }
    if (strcmp(op, "drop") == 0) {
        long i = sw_store_find(st, name);
        if (i >= 0)
            sw_store_remove(st, (size_t)i);
        return 0;
    }
    return 0; /* a later version's line: nothing to do with it here */
}

int
sw_store_text_read_line(struct sw_jread *r, struct sw_store *st,
                        const char **what)
{
    struct record rec;
    int k = read_record(r, &rec, what);

    if (k == 0)
        k = sw_jread_newline(r);
    if (k == 0)
        k = replay_line(st, &rec, what);
    record_release(&rec);
    if (k == SW_ENOMEM || r->err == SW_ENOMEM)
        return SW_ENOMEM;
    return k < 0 ? SW_EPARSE : 0;
}
