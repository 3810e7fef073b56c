/* lib/str.c - bounded string helpers; see str.h. */
#include "config.h"

#include "lib/str.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/err.h"

char *
sw_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

char *
sw_strndup(const char *s, size_t n)
{
    return s ? strndup(s, n) : NULL;
}

size_t
sw_strlcpy(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);

    if (size) {
        size_t c = n < size - 1 ? n : size - 1;
        memcpy(dst, src, c);
        dst[c] = '\0';
    }
    return n;
}

int
sw_parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    if (!s || !*s || isspace((unsigned char)*s))
        return SW_EINVAL;
    errno = 0;
    v = strtol(s, &end, 10);
    if (*end != '\0')
        return SW_EINVAL;
    if (errno == ERANGE || v < min || v > max)
        return SW_ERANGE;
    *out = v;
    return 0;
}

int
sw_parse_double(const char *s, double *out)
{
    char *end;
    double v;

    if (!s || !*s || isspace((unsigned char)*s))
        return SW_EINVAL;
    /* strtod accepts "nan", "inf" and hex floats; none is a metric value. */
    for (const char *p = s; *p; p++)
        if (!strchr("0123456789+-.eE", *p))
            return SW_EINVAL;
    errno = 0;
    v = strtod(s, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v))
        return SW_EINVAL;
    *out = v;
    return 0;
}

int
sw_str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

char *
sw_str_trim(char *s)
{
    char *e;

    while (*s && isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int
sw_str_has_ctl(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return 1;
    }
    return 0;
}

char *
sw_str_blank_ctl(char *s)
{
    for (char *p = s; p && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return s;
}

int
sw_format_double(char *out, size_t size, double v)
{
    char tmp[64];
    int n = -1;
    double a = fabs(v);

    if (!isfinite(v))
        return SW_EINVAL;
    /* Java's Double.toString, which CloudWatch's reasons show: the fewest
     * digits that read back to the same double, plain notation with at
     * least one decimal for 1e-3 <= |v| < 1e7 ("10.0", "99.7027322404378"),
     * computerized scientific notation otherwise ("1.0E7", "1.5E-4"). */
    if (v == 0.0 || (a >= 1e-3 && a < 1e7)) {
        for (int d = 1; d <= 24; d++) {
            n = snprintf(tmp, sizeof(tmp), "%.*f", d, v);
            if (strtod(tmp, NULL) == v)
                break;
        }
        if (n < 0 || (size_t)n >= sizeof(tmp))
            return SW_ETOOBIG;
        while (n > 2 && tmp[n - 1] == '0' && tmp[n - 2] != '.')
            tmp[--n] = '\0';
        if (v == 0.0) /* -0.0 prints as 0.0, as in the reasons */
            n = snprintf(tmp, sizeof(tmp), "0.0");
    } else {
        char mant[40];
        char *e;
        int m, exp10;

        for (int p = 0; p <= 17; p++) {
            snprintf(tmp, sizeof(tmp), "%.*e", p, v); /* N: set below */
            if (strtod(tmp, NULL) == v)
                break;
        }
        e = strchr(tmp, 'e');
        if (!e)
            return SW_EINTERNAL;
        exp10 = (int)strtol(e + 1, NULL, 10);
        m = (int)(e - tmp);
        if (m >= (int)sizeof(mant) - 3)
            return SW_ETOOBIG;
        memcpy(mant, tmp, (size_t)m);
        mant[m] = '\0';
        if (!strchr(mant, '.')) {
            mant[m++] = '.';
            mant[m++] = '0';
            mant[m] = '\0';
        }
        n = snprintf(tmp, sizeof(tmp), "%sE%d", mant, exp10);
    }
    if (n < 0 || (size_t)n >= size)
        return SW_ETOOBIG;
    memcpy(out, tmp, (size_t)n + 1);
    return n;
}

/* ---- URLs ---- */

int
sw_url_host(const char *url, char *host, size_t hostlen)
{
    const char *a, *end, *at, *he;

    if (hostlen)
        host[0] = '\0';
    a = url ? strstr(url, "://") : NULL;
    if (!a)
        return SW_EINVAL;
    a += 3;
    end = a + strcspn(a, "/?#");
    /* userinfo ends at the last '@' of the authority. */
    for (at = end; at > a && at[-1] != '@'; at--)
        ;
    if (at > a)
        a = at;
    if (*a == '[') {
        he = memchr(a, ']', (size_t)(end - a));
        he = he ? he + 1 : end;
    } else {
        he = memchr(a, ':', (size_t)(end - a));
        if (!he)
            he = end;
    }
    if (he == a)
        return SW_EINVAL;
    if ((size_t)(he - a) >= hostlen)
        return SW_ETOOBIG;
    memcpy(host, a, (size_t)(he - a));
    host[he - a] = '\0';
    return 0;
}

int
sw_host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    char buf[INET6_ADDRSTRLEN];
    size_t n;

    if (!host)
        return 0;
    if (strcasecmp(host, "localhost") == 0)
        return 1;
    /* inet_pton takes only the dotted quad, so neither "127.1" nor
     * "127.0.0.1.example.com" passes. */
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        if (n - 2 >= sizeof(buf))
            return 0;
        memcpy(buf, host + 1, n - 2);
        buf[n - 2] = '\0';
        host = buf;
    }
    return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

int
sw_url_is_loopback(const char *url)
{
    char host[256];

    return sw_url_host(url, host, sizeof(host)) == 0 &&
           sw_host_is_loopback(host);
}

int
sw_url_cleartext_check(const char *key, const char *url, const char *what,
                       int allow_insecure, char *err, size_t errlen)
{
    char host[256];

    if (!url || strncasecmp(url, "http://", 7) != 0)
        return 0;
    /* A host too long to copy is no loopback literal either. */
    if (sw_url_host(url, host, sizeof(host)) < 0)
        (void)sw_strlcpy(host, "a long host name", sizeof(host));
    else if (sw_host_is_loopback(host))
        return 0;
    if (allow_insecure) {
        sw_err_set(err, errlen,
                   "allow_insecure = true: sends %s in clear over http:// "
                   "to %s",
                   what, host);
        return 1;
    }
    sw_err_set(err, errlen,
               "'%s' is http:// to %s, not a loopback host: it would send %s "
               "in clear; use https://, or allow_insecure = true",
               key, host, what);
    return SW_EINVAL;
}
