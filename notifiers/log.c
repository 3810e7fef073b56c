/* notifiers/log.c - the JSON-lines notifier; see log.h. */
#include "config.h"

#include "notifiers/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/json_util.h"
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

char *
sw_notifier_log_format(const char *name, const json_t *rec)
{
    const json_t *alarm = json_object_get(rec, "alarm");
    json_t *obj = NULL;
    char *line = NULL;

    if (!json_is_object(alarm))
        goto out;
    /* A shallow copy: the record is shared with the outbox and must not
     * gain our "Notifier" key. */
    obj = json_copy((json_t *)alarm);
    /* json_object_set_new() takes the value even when it fails, and
     * fails on a NULL value. */
    if (!obj || json_object_set_new(obj, "Notifier", jstr(name)) < 0)
        goto out;
    /* 15 significant digits print a configured threshold as written
     * ("10.0", "0.1") where jansson's default 17 would show "0.1" as
     * 0.10000000000000001. */
    line = sw_json_line(obj, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                 JSON_REAL_PRECISION(15));
out:
    json_decref(obj);
    return line;
}

static int
log_prepare(struct sw_notifier *n, const json_t *rec, time_t now, CURL *easy,
            void **ctx, char *err, size_t errlen)
{
    struct log_notifier *ln = (struct log_notifier *)n;
    char *line = NULL;
    size_t len, done = 0;
    int fd = -1, r, use_stdout = strcmp(ln->path, "-") == 0;

    (void)now;
    (void)easy;
    *ctx = NULL;
    if (!json_is_object(json_object_get(rec, "alarm"))) {
        sw_err_set(err, errlen, "log: record has no alarm object");
        r = SW_EINVAL;
        goto out;
    }
    line = sw_notifier_log_format(n->name, rec);
    if (!line) {
        sw_err_set(err, errlen, "log: out of memory");
        r = SW_ENOMEM;
        goto out;
    }
    r = SW_EIO;
    fd = use_stdout
             ? STDOUT_FILENO
             : open(ln->path,
                    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
    if (fd < 0) {
        sw_err_set(err, errlen, "log: %s: %s", ln->path, strerror(errno));
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
            sw_err_set(err, errlen, "log: %s: %s", ln->path, strerror(errno));
            goto out;
        }
        done += (size_t)w;
    }
    r = SW_PREPARED_SYNC;
out:
    if (fd >= 0 && !use_stdout && close(fd) < 0 && r == SW_PREPARED_SYNC) {
        sw_err_set(err, errlen, "log: %s: %s", ln->path, strerror(errno));
        r = SW_EIO;
    }
    free(line);
    return r;
}

/* Never called: prepare() never starts a transfer.  Present so the
 * dispatcher need not special-case a NULL op. */
static int
log_done(struct sw_notifier *n, void *ctx, CURLcode cc, long status,
         const char *body, size_t body_len, char *err, size_t errlen)
{
    (void)n;
    (void)ctx;
    (void)cc;
    (void)status;
    (void)body;
    (void)body_len;
    sw_err_set(err, errlen, "log: unexpected transfer");
    return SW_DELIVERY_PERMANENT;
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
    .prepare = log_prepare,
    .done = log_done,
    .ctx_free = NULL,
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
