/* lib/clock.h - the two clocks and the time formats AWS uses.
 *
 * Wall time is time_t (seconds since the epoch, UTC); elapsed time is
 * sw_mono_ms from CLOCK_MONOTONIC and never goes backwards when the wall
 * clock is stepped.  The two are distinct types on purpose (redis's
 * monotime).  Parsers and formatters are pure; only sw_mono_now() and
 * sw_wall_now() read a clock.
 */
#ifndef SW_LIB_CLOCK_H
#define SW_LIB_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef int64_t sw_mono_ms;

sw_mono_ms sw_mono_now(void);
time_t sw_wall_now(void);

/* sw_time_parse_rfc3339 - "2026-11-25T10:05:00Z", with optional fraction
 * (".123") and "Z", "+00:00", "+0000" or another offset; also the
 * "2026-11-25T10:05:00.000+0000" form CloudWatch prints.  Fractions are
 * truncated to the second.  Returns 0 or SW_EPARSE. */
int sw_time_parse_rfc3339(const char *s, time_t *out);

/* sw_time_parse_http - an RFC 7231 IMF-fixdate ("Wed, 25 Nov 2026
 * 10:05:00 GMT") as in the HTTP Date header.  Returns 0 or SW_EPARSE. */
int sw_time_parse_http(const char *s, time_t *out);

/* Formatters write into OUT (at least SW_TIME_BUF bytes) and return OUT. */
#define SW_TIME_BUF 40
/* "2026-11-25T10:05:00Z" */
char *sw_time_rfc3339(time_t t, char *out);
/* "20261125T100500Z" (SigV4 X-Amz-Date) */
char *sw_time_amz(time_t t, char *out);
/* "25/11/26 10:05:00" (dates inside CloudWatch reason strings) */
char *sw_time_reason(time_t t, char *out);
/* "2026-11-25T10:05:00.000+0000" (CloudWatch alarm JSON) */
char *sw_time_cw(time_t t, char *out);

/* sw_timegm - struct tm (UTC) to time_t without touching TZ. */
time_t sw_timegm(const struct tm *tm);

#endif
