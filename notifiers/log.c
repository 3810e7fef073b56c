/* notifiers/log.c - the JSON-lines notifier; see log.h. */
#include "config.h"

#include "notifiers/log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/str.h"

struct log_notifier {
    struct sw_notifier base; /* first: the interface */
    char *path;              /* "-" = stdout */
};

/* A JSON string even from bytes that are not UTF-8 (names come from a
 * config file we do not control): invalid bytes become '?'. */
static json_t *
jstr(const char *s)
{
    json_t *v;
    char *copy;

    if (!s)
        return json_null();
    v = json_string(s);
    if (v)
        return v;
    copy = sw_strdup(s);
    if (!copy)
        return NULL;
    for (unsigned char *p = (unsigned char *)copy; *p; p++)
        if (*p >= 0x80)
            *p = '?';
    v = json_string(copy);
    free(copy);
    return v;
}

static void
set(json_t *obj, const char *key, json_t *v, int *failed)
{
    if (!v || json_object_set_new(obj, key, v) < 0)
        *failed = 1;
}

static json_t *
trigger_json(const struct sw_rule *r, int *failed)
{
    json_t *t = json_object(), *dims = json_array();
    const char *stat;

    if (!t || !dims) {
        json_decref(t);
        json_decref(dims);
        *failed = 1;
        return NULL;
    }
    set(t, "MetricName", jstr(r->metric), failed);
    set(t, "Namespace", jstr(r->namespace_), failed);
    stat = sw_notifier_cw_statistic(r->stat);
    if (stat)
        set(t, "Statistic", json_string(stat), failed);
    else
        set(t, "ExtendedStatistic", jstr(r->stat), failed);
    /* CloudWatch's messages use lower-case keys here, value first. */
    for (size_t i = 0; i < r->ndims; i++) {
        json_t *d = json_object();
        if (!d) {
            *failed = 1;
            break;
        }
        set(d, "value", jstr(r->dims[i].value), failed);
        set(d, "name", jstr(r->dims[i].name), failed);
        if (json_array_append_new(dims, d) < 0)
            *failed = 1;
    }
    set(t, "Dimensions", dims, failed);
    set(t, "Period", json_integer(r->period_s), failed);
    set(t, "EvaluationPeriods", json_integer(r->evaluation_periods), failed);
    set(t, "DatapointsToAlarm", json_integer(r->datapoints_to_alarm), failed);
    set(t, "ComparisonOperator", json_string(sw_cmp_name(r->cmp)), failed);
    set(t, "Threshold", json_real(r->threshold), failed);
    set(t, "TreatMissingData", json_string(sw_tmd_name(r->tmd)), failed);
    return t;
}

char *
sw_notifier_log_format(const char *name, const struct sw_alarm_event *ev)
{
    char when[SW_TIME_BUF];
    json_t *obj = json_object();
    char *text = NULL, *line = NULL;
    size_t len;
    int failed = !obj;

    if (failed)
        goto out;
    set(obj, "AlarmName", jstr(ev->alarm_name), &failed);
    set(obj, "AlarmDescription", jstr(ev->description), &failed);
    set(obj, "NewStateValue", json_string(sw_state_name(ev->new_state)),
        &failed);
    set(obj, "NewStateReason", jstr(ev->reason ? ev->reason : ""), &failed);
    set(obj, "StateChangeTime",
        json_string(sw_time_cw(ev->state_change_time, when)), &failed);
    set(obj, "Region", jstr(ev->region), &failed);
    set(obj, "OldStateValue", json_string(sw_state_name(ev->old_state)),
        &failed);
    if (ev->rule)
        set(obj, "Trigger", trigger_json(ev->rule, &failed), &failed);
    set(obj, "Notifier", jstr(name), &failed);
    if (failed)
        goto out;
    /* 15 significant digits print a configured threshold as written
     * ("10.0", "0.1") where jansson's default 17 would show "0.1" as
     * 0.10000000000000001. */
    text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER |
                               JSON_REAL_PRECISION(15));
    if (!text)
        goto out;
    len = strlen(text);
    line = malloc(len + 2);
    if (!line)
        goto out;
    memcpy(line, text, len);
    line[len] = '\n';
    line[len + 1] = '\0';
out:
    free(text);
    json_decref(obj);
    return line;
}

static int
log_deliver(struct sw_notifier *n, const struct sw_alarm_event *ev, char *err,
            size_t errlen)
{
    struct log_notifier *ln = (struct log_notifier *)n;
    char *line = sw_notifier_log_format(n->name, ev);
    size_t len, done = 0;
    int fd = -1, r = SW_ENOMEM, use_stdout = strcmp(ln->path, "-") == 0;

    if (!line) {
        snprintf(err, errlen, "log: out of memory");
        goto out;
    }
    r = SW_EIO;
    fd = use_stdout
             ? STDOUT_FILENO
             : open(ln->path,
                    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
    if (fd < 0) {
        snprintf(err, errlen, "log: %s: %s", ln->path, strerror(errno));
        goto out;
    }
    /* One write() per line keeps lines whole when several processes
     * append; a short write (disk full, a pipe) is finished rather than
     * leaving half a line. */
    len = strlen(line);
    while (done < len) {
        ssize_t w = write(fd, line + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            snprintf(err, errlen, "log: %s: %s", ln->path, strerror(errno));
            goto out;
        }
        done += (size_t)w;
    }
    r = 0;
out:
    if (fd >= 0 && !use_stdout && close(fd) < 0 && r == 0) {
        snprintf(err, errlen, "log: %s: %s", ln->path, strerror(errno));
        r = SW_EIO;
    }
    free(line);
    return r;
}

static void
log_free(struct sw_notifier *n)
{
    struct log_notifier *ln = (struct log_notifier *)n;

    if (!n)
        return;
    free(ln->path);
    sw_notifier_base_release(n);
    free(ln);
}

static const struct sw_notifier_ops log_ops = {
    .type = "log",
    .deliver = log_deliver,
    .free = log_free,
};

int
sw_notifier_log_new(const char *name, const char *path,
                    struct sw_notifier **out)
{
    struct log_notifier *ln;

    *out = NULL;
    if (!path || !*path)
        return SW_EINVAL;
    ln = calloc(1, sizeof(*ln));
    if (!ln)
        return SW_ENOMEM;
    ln->path = sw_strdup(path);
    if (!ln->path || sw_notifier_base_init(&ln->base, &log_ops, name) < 0) {
        free(ln->path);
        sw_notifier_base_release(&ln->base);
        free(ln);
        return SW_ENOMEM;
    }
    *out = &ln->base;
    return 0;
}
