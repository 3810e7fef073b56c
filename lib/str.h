/* lib/str.h - small string helpers with explicit bounds.
 *
 * The banned functions (sprintf, strcpy, strcat, strncpy, strtok, atoi,
 * sscanf) have their replacements here: copies that report truncation and
 * number parsers that reject trailing junk and out-of-range values.
 * The URL helpers at the end are the one place that decides whether a
 * host is loopback, so `check`, the notifiers and the runtime cannot
 * disagree about it.
 * No dependencies beyond libc and lib/err.h.
 */
#ifndef SW_LIB_STR_H
#define SW_LIB_STR_H

#include <stddef.h>

/* sw_strdup / sw_strndup - like strdup, NULL in gives NULL out.
 * Returns: new (free()), NULL on allocation failure or NULL input. */
char *sw_strdup(const char *s);
char *sw_strndup(const char *s, size_t n);

/* sw_strlcpy - BSD strlcpy: copy with truncation, always terminated when
 * size > 0.  Returns strlen(src); truncation happened if >= size. */
size_t sw_strlcpy(char *dst, const char *src, size_t size);

/* sw_parse_long - parse a whole decimal integer in [min, max].
 * Returns 0, SW_EINVAL (not a number, trailing junk, empty) or SW_ERANGE. */
int sw_parse_long(const char *s, long min, long max, long *out);

/* sw_parse_double - parse a whole finite decimal number (no "nan"/"inf").
 * Returns 0 or SW_EINVAL. */
int sw_parse_double(const char *s, double *out);

/* sw_str_has_prefix - 1 when S starts with PREFIX. */
int sw_str_has_prefix(const char *s, const char *prefix);

/* sw_str_trim - strip leading and trailing ASCII whitespace in place.
 * Returns: S itself, moved past leading whitespace. */
char *sw_str_trim(char *s);

/* sw_str_has_ctl - 1 when the first N bytes of S hold an ASCII control
 * character (0x00-0x1f or 0x7f): such values may never reach a header. */
int sw_str_has_ctl(const char *s, size_t n);

/* sw_str_blank_ctl - replace every ASCII control character of the
 * NUL-terminated S (tab, newline, ESC...) with a space, in place: text
 * from outside (an AWS error, a parser's message quoting a reply) must not
 * break a line of `status` or move a terminal's cursor.  Returns S. */
char *sw_str_blank_ctl(char *s);

/* sw_format_double - print a double as Java's Double.toString does, which
 * is what CloudWatch's reasons show: shortest round-trip digits, at least
 * one decimal ("10.0", "21.5", "99.7027322404378"), "1.0E7" style outside
 * [1e-3, 1e7).  Returns the length written, SW_EINVAL (NaN, infinity) or
 * SW_ETOOBIG. */
int sw_format_double(char *out, size_t size, double v);

/* sw_url_host - the host of URL, "scheme://[userinfo@]host[:port][/...]",
 * as written (an IPv6 literal keeps its brackets: "[::1]"), into HOST
 * (HOSTLEN bytes).  Only splits: the caller has checked the URL.
 * Returns 0, SW_EINVAL (no "://", no host) or SW_ETOOBIG. */
int sw_url_host(const char *url, char *host, size_t hostlen);

/* sw_host_is_loopback - 1 when HOST is "localhost" (any case), an IPv4
 * literal in 127.0.0.0/8 or the IPv6 literal ::1 (with or without
 * brackets); else 0.  Literals only, never a name that merely starts like
 * one ("127.0.0.1.example.com"), and no resolving: a name in /etc/hosts
 * may point anywhere. */
int sw_host_is_loopback(const char *host);

/* sw_url_is_loopback - 1 when URL's host is loopback (above), else 0
 * (also when URL has no host). */
int sw_url_is_loopback(const char *url);

/* sw_url_cleartext_check - may WHAT ("the bearer token") be sent to URL,
 * the value of the setting KEY ("url")?  It would cross the network in
 * clear when URL is http:// (any case) to a host that is not loopback.
 * Returns 0: fine (https://, another scheme, or loopback);
 *   1: in clear, allowed because ALLOW_INSECURE is set; ERR holds the
 *      warning to show ("allow_insecure = true: sends WHAT in clear over
 *      http:// to HOST");
 *   SW_EINVAL: in clear and not allowed; ERR holds the refusal ("'KEY' is
 *      http:// to HOST, not a loopback host: it would send WHAT in clear;
 *      use https://, or allow_insecure = true").
 * Only the host is named, never the rest of the URL: a path or query may
 * hold a token of its own. */
int sw_url_cleartext_check(const char *key, const char *url, const char *what,
                           int allow_insecure, char *err, size_t errlen);

#endif
