/* lib/clock.c - clocks and time formats; see clock.h. */
#include "config.h"

#include "lib/clock.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"

sw_mono_ms
sw_mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (sw_mono_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

time_t
sw_wall_now(void)
{
    return time(NULL);
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil), so no TZ or locale is involved. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

time_t
sw_timegm(const struct tm *tm)
{
    int64_t days =
        days_from_civil((int64_t)tm->tm_year + 1900, (unsigned)tm->tm_mon + 1,
                        (unsigned)tm->tm_mday);
    return (time_t)(days * 86400 + tm->tm_hour * 3600 + tm->tm_min * 60 +
                    tm->tm_sec);
}

static int
digits(const char **p, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)**p))
            return SW_EPARSE;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    *out = v;
    return 0;
}

static int
month_days(int y, int m)
{
    static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : md[m - 1];
}

/* The UTC time of a checked date and time; a leap second (SE 60) reads
 * as the second before it. */
static time_t
utc_time(int y, int mo, int d, int h, int mi, int se)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se > 59 ? 59 : se;
    return sw_timegm(&tm);
}

int
sw_time_parse_rfc3339(const char *s, time_t *out)
{
    const char *p = s;
    int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;

    if (!s)
        return SW_EPARSE;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d) || (*p != 'T' && *p != 't'))
        return SW_EPARSE;
    p++;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
        digits(&p, 2, &se))
        return SW_EPARSE;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return SW_EPARSE;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        p++;
        if (digits(&p, 2, &oh))
            return SW_EPARSE;
        if (*p == ':')
            p++;
        if (digits(&p, 2, &om))
            return SW_EPARSE;
    } else {
        return SW_EPARSE;
    }
    if (*p != '\0')
        return SW_EPARSE;
    if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 ||
        mi > 59 || se > 60 || oh > 23 || om > 59)
        return SW_EPARSE;
    *out = utc_time(y, mo, d, h, mi, se) - sign * (oh * 3600 + om * 60);
    return 0;
}

int
sw_time_parse_http(const char *s, time_t *out)
{
    static const char *const mons[] = {"Jan", "Feb", "Mar", "Apr",
                                       "May", "Jun", "Jul", "Aug",
                                       "Sep", "Oct", "Nov", "Dec"};
    const char *p = s;
    int d, y, h, mi, se, mo = -1;

    if (!s)
        return SW_EPARSE;
    /* "Wed, 25 Nov 2026 10:05:00 GMT": skip the day name. */
    while (*p && *p != ',')
        p++;
    if (*p++ != ',' || *p++ != ' ')
        return SW_EPARSE;
    if (digits(&p, 2, &d) || *p++ != ' ')
        return SW_EPARSE;
    for (int i = 0; i < 12; i++)
        if (strncmp(p, mons[i], 3) == 0)
            mo = i + 1;
    if (mo < 0)
        return SW_EPARSE;
    p += 3;
    if (*p++ != ' ' || digits(&p, 4, &y) || *p++ != ' ' || digits(&p, 2, &h) ||
        *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
        digits(&p, 2, &se) || strcmp(p, " GMT") != 0)
        return SW_EPARSE;
    if (d < 1 || d > month_days(y, mo) || h > 23 || mi > 59 || se > 60)
        return SW_EPARSE;
    *out = utc_time(y, mo, d, h, mi, se);
    return 0;
}

static char *
fmt(time_t t, const char *f, char *out)
{
    struct tm tm;

    if (!gmtime_r(&t, &tm) || strftime(out, SW_TIME_BUF, f, &tm) == 0)
        out[0] = '\0';
    return out;
}

char *
sw_time_rfc3339(time_t t, char *out)
{
    return fmt(t, "%Y-%m-%dT%H:%M:%SZ", out);
}

char *
sw_time_amz(time_t t, char *out)
{
    return fmt(t, "%Y%m%dT%H%M%SZ", out);
}

char *
sw_time_reason(time_t t, char *out)
{
    return fmt(t, "%d/%m/%y %H:%M:%S", out);
}

char *
sw_time_cw(time_t t, char *out)
{
    return fmt(t, "%Y-%m-%dT%H:%M:%S.000+0000", out);
}
