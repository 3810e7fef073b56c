/* lib/log.h - one line per event on stderr, with a level.
 *
 * Lines look like "streamwatch[pid]: error: fetch: alarm 'x': Throttling:
 * Rate exceeded".  Callers tag their module first ("sigv4: ...") the way
 * collectd plugins do.  Nothing here is async-signal-safe: signal handlers
 * set flags and the main loop logs.  Secrets must never be passed in.
 * The only state is the level and the sink, set once by main().
 */
#ifndef SW_LIB_LOG_H
#define SW_LIB_LOG_H

#include <stdarg.h>

enum sw_log_level {
    SW_LOG_ERR = 0,
    SW_LOG_WARN = 1,
    SW_LOG_INFO = 2,
    SW_LOG_DEBUG = 3,
};

/* sw_log_set_level - messages above LEVEL are dropped (default INFO). */
void sw_log_set_level(enum sw_log_level level);
enum sw_log_level sw_log_get_level(void);

/* sw_log_set_timestamps - prefix each line with an RFC 3339 UTC time
 * (off by default: journald adds its own). */
void sw_log_set_timestamps(int on);

#define SW_PRINTF(a, b) __attribute__((format(printf, a, b)))

void sw_log_err(const char *fmt, ...) SW_PRINTF(1, 2);
void sw_log_warn(const char *fmt, ...) SW_PRINTF(1, 2);
void sw_log_info(const char *fmt, ...) SW_PRINTF(1, 2);
void sw_log_debug(const char *fmt, ...) SW_PRINTF(1, 2);
/* sw_log_errno - like sw_log_err, with ": strerror(errno)" appended; errno
 * is read on entry. */
void sw_log_errno(const char *fmt, ...) SW_PRINTF(1, 2);
void sw_log_v(enum sw_log_level level, const char *fmt, va_list ap)
    SW_PRINTF(2, 0);

#endif
