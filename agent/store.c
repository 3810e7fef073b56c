/* agent/store.c - the alarm state store; see store.h. */
#include "config.h"

#include "agent/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/json_util.h"
#include "lib/str.h"

#define STATE_VERSION 1

void
sw_store_alarm_clear_marks(struct sw_alarm_state *a)
{
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
    v[a->nmarks].notifier = name;
    v[a->nmarks].last = 0;
    v[a->nmarks].count = 0;
    *out = &v[a->nmarks++];
    return 0;
}

static void
alarm_free(struct sw_alarm_state *a)
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

struct sw_store *
sw_store_new(void)
{
    return calloc(1, sizeof(struct sw_store));
}

void
sw_store_free(struct sw_store *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->n; i++)
        alarm_free(st->alarms[i]);
    free(st->alarms);
    alarm_free(st->watcher);
    free(st);
}

struct sw_alarm_state *
sw_store_get(const struct sw_store *st, const char *name)
{
    for (size_t i = 0; st && name && i < st->n; i++)
        if (strcmp(st->alarms[i]->name, name) == 0)
            return st->alarms[i];
    return NULL;
}

/* Append A to the store, which takes it over on success. */
static int
store_add(struct sw_store *st, struct sw_alarm_state *a)
{
    struct sw_alarm_state **v;

    v = realloc(st->alarms, (st->n + 1) * sizeof(*v));
    if (!v)
        return SW_ENOMEM;
    v[st->n++] = a;
    st->alarms = v;
    return 0;
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
    if (!a->name || !a->reason) {
        alarm_free(a);
        return NULL;
    }
    return a;
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
    alarm_free(st->watcher);
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
    r = store_add(st, a);
    if (r < 0)
        goto out;
    *out = a;
    a = NULL;
out:
    alarm_free(a);
    return r;
}

size_t
sw_store_prune(struct sw_store *st, const char *const *keep, size_t nkeep)
{
    size_t out = 0, dropped = 0;

    for (size_t i = 0; i < st->n; i++) {
        int kept = 0;
        for (size_t k = 0; k < nkeep && !kept; k++)
            kept = strcmp(st->alarms[i]->name, keep[k]) == 0;
        if (kept) {
            st->alarms[out++] = st->alarms[i];
        } else {
            alarm_free(st->alarms[i]);
            dropped++;
        }
    }
    st->n = out;
    return dropped;
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

int
sw_store_alarm_set(struct sw_alarm_state *a, enum sw_state state, time_t since,
                   const char *reason, const char *reason_data)
{
    char *r1 = NULL, *r2 = NULL;

    if ((reason && !(r1 = sw_strdup(reason))) ||
        (reason_data && !(r2 = sw_strdup(reason_data)))) {
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
    return 0;
}

int
sw_store_alarm_add_values(struct sw_alarm_state *a,
                          const struct sw_datapoint *pts, size_t n)
{
    struct sw_datapoint *v;
    size_t total, keep;

    if (n == 0)
        return 0;
    total = a->nvalues + n;
    v = malloc(total * sizeof(*v));
    if (!v)
        return SW_ENOMEM;
    if (a->nvalues)
        memcpy(v, a->values, a->nvalues * sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        v[a->nvalues + i] = pts[i];
        v[a->nvalues + i].sample_count = -1;
    }
    /* The new points come last, so they win over kept ones at the same
     * ts. */
    total = sw_datapoints_normalize(v, total);
    keep = total > SW_STORE_MAX_VALUES ? SW_STORE_MAX_VALUES : total;
    memmove(v, v + (total - keep), keep * sizeof(*v));
    free(a->values);
    a->values = v;
    a->nvalues = keep;
    return 0;
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
    return 0;
}

void
sw_store_alarm_fetch_ok(struct sw_alarm_state *a)
{
    free(a->fetch_error);
    a->fetch_error = NULL;
    a->fetch_failures = 0;
    a->failing_since = 0;
}

/* ---- loading ------------------------------------------------------------ */

static int
join_path(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);

    return n < 0 || (size_t)n >= size ? SW_EINVAL : 0;
}

/* Time fields: an RFC 3339 string, or null when NULLABLE. */
static int
get_time(json_t *v, int nullable, time_t *out)
{
    *out = 0;
    if (nullable && (!v || json_is_null(v)))
        return 0;
    if (!json_is_string(v))
        return SW_EPARSE;
    return sw_time_parse_rfc3339(json_string_value(v), out);
}

static int
get_opt_str(json_t *v, char **out)
{
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return SW_EPARSE;
    *out = sw_strdup(json_string_value(v));
    return *out ? 0 : SW_ENOMEM;
}

static int
parse_values(json_t *arr, struct sw_alarm_state *a)
{
    size_t n, i;
    json_t *pair;

    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return SW_EPARSE;
    n = json_array_size(arr);
    if (n == 0)
        return 0;
    a->values = calloc(n, sizeof(*a->values));
    if (!a->values)
        return SW_ENOMEM;
    json_array_foreach(arr, i, pair)
    {
        json_t *ts = json_array_get(pair, 0), *val = json_array_get(pair, 1);
        if (!json_is_array(pair) || json_array_size(pair) != 2 ||
            !json_is_integer(ts) || !json_is_number(val))
            return SW_EPARSE;
        a->values[i].ts = (time_t)json_integer_value(ts);
        a->values[i].value = json_number_value(val);
        a->values[i].sample_count = -1;
    }
    n = sw_datapoints_normalize(a->values, n);
    if (n > SW_STORE_MAX_VALUES) {
        memmove(a->values, a->values + (n - SW_STORE_MAX_VALUES),
                SW_STORE_MAX_VALUES * sizeof(*a->values));
        n = SW_STORE_MAX_VALUES;
    }
    a->nvalues = n;
    return 0;
}

/* "notified": {"<notifier>": {"last": time, "count": n}}; optional. */
static int
parse_marks(json_t *obj, struct sw_alarm_state *a, const char **what)
{
    const char *key;
    json_t *v;

    if (!obj || json_is_null(obj))
        return 0;
    *what = "'notified' must map notifiers to {\"last\": time, \"count\": n}";
    if (!json_is_object(obj))
        return SW_EPARSE;
    json_object_foreach(obj, key, v)
    {
        struct sw_notify_mark *m;
        json_t *count = json_object_get(v, "count");
        time_t last;
        int r;

        if (!json_is_object(v) ||
            get_time(json_object_get(v, "last"), 0, &last) < 0 ||
            !json_is_integer(count) || json_integer_value(count) < 0 ||
            json_integer_value(count) > 1000000000)
            return SW_EPARSE;
        r = sw_store_alarm_mark(a, key, &m);
        if (r < 0)
            return r;
        m->last = last;
        m->count = (int)json_integer_value(count);
    }
    return 0;
}

/* One alarm object; on SW_EPARSE *what names the bad field. */
static int
parse_alarm(const char *name, json_t *obj, struct sw_alarm_state **out,
            const char **what)
{
    struct sw_alarm_state *a = calloc(1, sizeof(*a));
    json_t *v;
    int r = SW_ENOMEM;

    *out = NULL;
    if (!a)
        goto out;
    a->name = sw_strdup(name);
    if (!a->name)
        goto out;
    r = SW_EPARSE;
    *what = "must be an object";
    if (!json_is_object(obj))
        goto out;

    *what = "'state' must be OK, ALARM or INSUFFICIENT_DATA";
    v = json_object_get(obj, "state");
    if (!json_is_string(v) ||
        sw_state_parse(json_string_value(v), &a->state) < 0)
        goto out;
    *what = "'since' must be an RFC 3339 time";
    if (get_time(json_object_get(obj, "since"), 0, &a->since) < 0)
        goto out;
    *what = "'reason' must be a string";
    v = json_object_get(obj, "reason");
    if (!json_is_string(v))
        goto out;
    r = get_opt_str(v, &a->reason);
    if (r < 0)
        goto out;

    r = SW_EPARSE;
    *what = "'reason_data' must be an object or null";
    v = json_object_get(obj, "reason_data");
    if (v && !json_is_null(v)) {
        if (!json_is_object(v))
            goto out;
        a->reason_data = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!a->reason_data) {
            r = SW_ENOMEM;
            goto out;
        }
    }
    *what = "'last_evaluated' must be an RFC 3339 time or null";
    if (get_time(json_object_get(obj, "last_evaluated"), 1,
                 &a->last_evaluated) < 0)
        goto out;
    *what = "'values' must be an array of [timestamp, number] pairs";
    r = parse_values(json_object_get(obj, "values"), a);
    if (r < 0)
        goto out;
    r = SW_EPARSE;
    *what = "'fetch_error' must be a string or null";
    if (get_opt_str(json_object_get(obj, "fetch_error"), &a->fetch_error) < 0)
        goto out;
    *what = "'fetch_failures' must be a non-negative integer";
    v = json_object_get(obj, "fetch_failures");
    if (v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > 1000000000)
            goto out;
        a->fetch_failures = (int)json_integer_value(v);
    }
    *what = "'last_fetch_error_time' must be an RFC 3339 time or null";
    if (get_time(json_object_get(obj, "last_fetch_error_time"), 1,
                 &a->last_error_time) < 0)
        goto out;
    /* Files from before it existed: the failures began no later than the
     * last one, which only makes the alarm blind later, never sooner. */
    *what = "'fetch_failing_since' must be an RFC 3339 time or null";
    if (get_time(json_object_get(obj, "fetch_failing_since"), 1,
                 &a->failing_since) < 0)
        goto out;
    if (a->fetch_failures > 0 && a->failing_since == 0)
        a->failing_since = a->last_error_time;
    if (a->fetch_failures == 0)
        a->failing_since = 0;
    r = parse_marks(json_object_get(obj, "notified"), a, what);
    if (r < 0)
        goto out;
    r = 0;
    *out = a;
    a = NULL;
out:
    alarm_free(a);
    return r;
}

/* "watcher": absent, or an alarm with its name inside. */
static int
parse_watcher(const char *path, json_t *w, struct sw_store *st, char *err,
              size_t errlen)
{
    const char *name, *what = "";
    int r;

    if (!w)
        return 0;
    name = json_string_value(json_object_get(w, "name"));
    if (!json_is_object(w) || !name || !name[0]) {
        snprintf(err, errlen, "%s: 'watcher' must be an object with a 'name'",
                 path);
        return SW_EPARSE;
    }
    r = parse_alarm(name, w, &st->watcher, &what);
    if (r == SW_EPARSE)
        snprintf(err, errlen, "%s: watcher '%s': %s", path, name, what);
    return r;
}

static int
parse_doc(const char *path, const struct sw_buf *b, struct sw_store *st,
          char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root, *alarms, *v, *obj;
    const char *name, *what = "";
    int r = SW_EPARSE;

    root = json_loadb(b->data ? b->data : "", b->len, JSON_REJECT_DUPLICATES,
                      &jerr);
    if (!root) {
        snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column,
                 jerr.text);
        return SW_EPARSE;
    }
    if (!json_is_object(root)) {
        snprintf(err, errlen, "%s: not a JSON object", path);
        goto out;
    }
    v = json_object_get(root, "version");
    if (!json_is_integer(v) || json_integer_value(v) != STATE_VERSION) {
        snprintf(err, errlen, "%s: 'version' must be %d", path, STATE_VERSION);
        goto out;
    }
    alarms = json_object_get(root, "alarms");
    if (!json_is_object(alarms)) {
        snprintf(err, errlen, "%s: 'alarms' must be an object", path);
        goto out;
    }
    json_object_foreach(alarms, name, obj)
    {
        struct sw_alarm_state *a;
        if (!name[0]) {
            snprintf(err, errlen, "%s: empty alarm name", path);
            r = SW_EPARSE;
            goto out;
        }
        r = parse_alarm(name, obj, &a, &what);
        if (r == SW_EPARSE)
            snprintf(err, errlen, "%s: alarm '%s': %s", path, name, what);
        if (r < 0)
            goto out;
        r = store_add(st, a);
        if (r < 0) {
            alarm_free(a);
            goto out;
        }
    }
    r = parse_watcher(path, json_object_get(root, "watcher"), st, err, errlen);
out:
    json_decref(root);
    return r;
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
    char path[4096];
    struct sw_store *st = NULL;
    struct sw_buf b;
    int r;

    *out = NULL;
    if (errlen)
        err[0] = '\0';
    sw_buf_init(&b, SW_STORE_MAX_BYTES);
    r = join_path(path, sizeof(path), dir, name);
    if (r < 0) {
        snprintf(err, errlen, "%s: state directory path too long", dir);
        goto out;
    }
    r = SW_ENOMEM;
    st = sw_store_new();
    if (!st)
        goto out;
    r = sw_file_read(path, &b, err, errlen);
    if (r == SW_ENOENT)
        goto out;
    if (r == SW_ETOOBIG)
        r = SW_EPARSE; /* the caller sets it aside like a broken one */
    if (r < 0)
        goto out;
    r = parse_doc(path, &b, st, err, errlen);
    if (r < 0)
        goto out;
    *out = st;
    st = NULL;
out:
    if (r == SW_ENOMEM && errlen && !err[0])
        snprintf(err, errlen, "%s: out of memory", path);
    sw_store_free(st);
    sw_buf_release(&b);
    return r;
}

/* ---- saving ------------------------------------------------------------- */

static json_t *
time_or_null(time_t t)
{
    char buf[SW_TIME_BUF];

    return t ? json_string(sw_time_rfc3339(t, buf)) : json_null();
}

static json_t *
alarm_to_json(const struct sw_alarm_state *a)
{
    char buf[SW_TIME_BUF];
    json_t *obj = json_object(), *values = json_array(), *rd = NULL;
    int failed = !obj || !values;

    if (failed)
        goto out;
    if (a->reason_data)
        rd = json_loads(a->reason_data, 0, NULL);
    if (rd && !json_is_object(rd)) {
        json_decref(rd);
        rd = NULL;
    }
    for (size_t i = 0; i < a->nvalues; i++) {
        json_t *pair =
            json_pack("[I f]", (json_int_t)a->values[i].ts, a->values[i].value);
        /* json_pack refuses NaN and infinity; such a value is dropped
         * rather than making the whole file unwritable. */
        if (pair && json_array_append_new(values, pair) < 0)
            failed = 1;
    }
    sw_json_set_new(obj, "state", json_string(sw_state_name(a->state)),
                    &failed);
    sw_json_set_new(obj, "since", json_string(sw_time_rfc3339(a->since, buf)),
                    &failed);
    sw_json_set_new(obj, "reason", json_string(a->reason ? a->reason : ""),
                    &failed);
    sw_json_set_new(obj, "reason_data", rd ? rd : json_null(), &failed);
    sw_json_set_new(obj, "last_evaluated", time_or_null(a->last_evaluated),
                    &failed);
    sw_json_set_new(obj, "values", values, &failed);
    values = NULL;
    sw_json_set_new(obj, "fetch_error",
                    a->fetch_error ? json_string(a->fetch_error) : json_null(),
                    &failed);
    sw_json_set_new(obj, "fetch_failures", json_integer(a->fetch_failures),
                    &failed);
    sw_json_set_new(obj, "last_fetch_error_time",
                    time_or_null(a->last_error_time), &failed);
    sw_json_set_new(obj, "fetch_failing_since", time_or_null(a->failing_since),
                    &failed);
    if (a->nmarks) {
        json_t *marks = json_object();

        for (size_t i = 0; marks && i < a->nmarks; i++) {
            const struct sw_notify_mark *m = &a->marks[i];
            sw_json_set_new(marks, m->notifier,
                            json_pack("{s:s, s:i}", "last",
                                      sw_time_rfc3339(m->last, buf), "count",
                                      m->count),
                            &failed);
        }
        sw_json_set_new(obj, "notified", marks, &failed);
    }
out:
    json_decref(values);
    if (failed) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static char *
dump_store(const struct sw_store *st)
{
    json_t *root = json_object(), *alarms = json_object();
    char *text = NULL;
    int failed = !root || !alarms;

    for (size_t i = 0; !failed && i < st->n; i++)
        sw_json_set_new(alarms, st->alarms[i]->name,
                        alarm_to_json(st->alarms[i]), &failed);
    if (!failed) {
        sw_json_set_new(root, "version", json_integer(STATE_VERSION), &failed);
        sw_json_set_new(root, "alarms", alarms, &failed);
        alarms = NULL;
    }
    if (!failed && st->watcher) {
        /* The name first, as a reader looks for it. */
        json_t *w = json_pack("{s:s}", "name", st->watcher->name);
        json_t *fields = alarm_to_json(st->watcher);

        if (!w || !fields || json_object_update(w, fields) < 0)
            failed = 1;
        json_decref(fields);
        sw_json_set_new(root, "watcher", w, &failed);
    }
    /* Compact: the file is rewritten after every cycle, and indentation
     * was a tenth of the bytes and of the time spent dumping them;
     * `status --json` is the readable view. */
    if (!failed)
        text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(alarms);
    json_decref(root);
    return text;
}

int
sw_store_save(const struct sw_store *st, const char *dir, char *err,
              size_t errlen)
{
    char path[4096];
    char *text = NULL;
    int r;

    if (errlen)
        err[0] = '\0';
    if (join_path(path, sizeof(path), dir, SW_STORE_FILE) < 0) {
        snprintf(err, errlen, "%s: state directory path too long", dir);
        return SW_EINVAL;
    }
    r = SW_ENOMEM;
    text = dump_store(st);
    if (!text) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto out;
    }
    /* Never write a file that sw_store_load() would refuse: the next start
     * would lose every alarm's state. */
    if (strlen(text) + 1 > SW_STORE_MAX_BYTES) {
        snprintf(err, errlen,
                 "%s: state of %zu alarms would exceed %u MiB; not written",
                 path, st->n, (unsigned)(SW_STORE_MAX_BYTES >> 20));
        r = SW_ETOOBIG;
        goto out;
    }
    /* The file being replaced was written (or read back) whole by this
     * agent: it is kept as the known-good fallback for the next start. */
    r = sw_file_replace(dir, SW_STORE_FILE, SW_STORE_PREV_FILE, text, 0640, err,
                        errlen);
out:
    free(text);
    return r;
}
