/* lib/log.c - stderr logging with levels; see log.h. */
#include "config.h"

#include "lib/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum sw_log_level cur_level = SW_LOG_INFO;
static int with_time;

void
sw_log_set_level(enum sw_log_level level)
{
    cur_level = level;
}

enum sw_log_level
sw_log_get_level(void)
{
    return cur_level;
}

void
sw_log_set_timestamps(int on)
{
    with_time = on;
}

static const char *const level_names[] = {"error", "warning", "info", "debug"};

/* Format the whole line first and write it with one call, so that lines
 * from a child process or another agent sharing stderr do not interleave. */
static void
emit(enum sw_log_level level, const char *suffix, const char *fmt, va_list ap)
{
    char line[4096];
    size_t n = 0;
    int r;

    if (with_time) {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
    }
    r = snprintf(line + n, sizeof(line) - n,
                 "streamwatch[%ld]: %s: ", (long)getpid(), level_names[level]);
    if (r > 0)
        n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
    r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    if (r > 0)
        n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
    if (suffix && n < sizeof(line) - 1) {
        r = snprintf(line + n, sizeof(line) - n, ": %s", suffix);
        if (r > 0)
            n +=
                (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
    }
    /* One event, one line: a newline inside a message (a hostile metric
     * name, an AWS error text) must not forge a second log line. */
    for (size_t i = 0; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    if (n >= sizeof(line) - 1)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    (void)fwrite(line, 1, n, stderr);
    fflush(stderr);
}

void
sw_log_v(enum sw_log_level level, const char *fmt, va_list ap)
{
    if (level > cur_level)
        return;
    emit(level, NULL, fmt, ap);
}

#define DEFINE_LOG(fn, lvl)                                                    \
    void fn(const char *fmt, ...)                                              \
    {                                                                          \
        va_list ap;                                                            \
        if ((lvl) > cur_level)                                                 \
            return;                                                            \
        va_start(ap, fmt);                                                     \
        emit(lvl, NULL, fmt, ap);                                              \
        va_end(ap);                                                            \
    }

DEFINE_LOG(sw_log_err, SW_LOG_ERR)
DEFINE_LOG(sw_log_warn, SW_LOG_WARN)
DEFINE_LOG(sw_log_info, SW_LOG_INFO)
DEFINE_LOG(sw_log_debug, SW_LOG_DEBUG)

void
sw_log_errno(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    emit(SW_LOG_ERR, strerror(saved), fmt, ap);
    va_end(ap);
}
