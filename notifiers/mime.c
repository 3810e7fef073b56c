/* notifiers/mime.c - RFC 5322 / MIME message text; see mime.h. */
#include "config.h"

#include "notifiers/mime.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/utf8.h"

/* RFC 5322 2.1.1: lines SHOULD stay within 78 characters; RFC 2047 2:
 * a line holding an encoded-word within 76. */
#define LINE_SOFT    78
#define LINE_EWORD   76
#define EWORD_PREFIX "=?UTF-8?B?"
#define EWORD_SUFFIX "?="
#define EWORD_EXTRA  12 /* strlen(EWORD_PREFIX) + strlen(EWORD_SUFFIX) */
#define QP_LINE      76 /* RFC 2045 6.7 rule 5 */
#define SUBJECT_MAX  4096
#define TRUNC_NOTE   "\n[message truncated by streamwatch]\n"
#define REPLACEMENT  SW_UTF8_REPLACEMENT

static int
is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

/* atext of RFC 5322 3.2.3. */
static int
is_atext(unsigned char c)
{
    return is_alnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* dot-atom-text: atext runs separated by single dots, none at the ends. */
static int
dot_atom_ok(const char *s, size_t n)
{
    if (n == 0 || s[0] == '.' || s[n - 1] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (s[i + 1] == '.')
                return 0;
        } else if (!is_atext((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

int
sw_mime_addr_valid(const char *addr)
{
    const char *at;
    size_t n, local;

    if (!addr)
        return 0;
    n = strlen(addr);
    at = strrchr(addr, '@');
    if (!at || n > SW_MIME_ADDR_MAX)
        return 0;
    local = (size_t)(at - addr);
    if (local > 64 || !dot_atom_ok(addr, local))
        return 0;
    /* The domain: host names only (no address literals), which is also
     * what libcurl puts in MAIL FROM / RCPT TO unchanged. */
    at++;
    n = strlen(at);
    if (n == 0 || at[0] == '.' || at[n - 1] == '.' || at[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)at[i];
        if (c == '.') {
            if (at[i + 1] == '.' || at[i + 1] == '-' || at[i - 1] == '-')
                return 0;
        } else if (!is_alnum(c) && c != '-') {
            return 0;
        }
    }
    return 1;
}

int
sw_mime_msgid_valid(const char *id)
{
    const char *at;
    size_t n;

    if (!id)
        return 0;
    n = strlen(id);
    if (n < 5 || n > SW_MIME_MSGID_MAX || id[0] != '<' || id[n - 1] != '>')
        return 0;
    at = memchr(id, '@', n);
    if (!at)
        return 0;
    return dot_atom_ok(id + 1, (size_t)(at - id - 1)) &&
           dot_atom_ok(at + 1, (size_t)(id + n - 1 - at - 1));
}

char *
sw_mime_date(time_t t, char *out)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed",
                                    "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr",
                                       "May", "Jun", "Jul", "Aug",
                                       "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    int n;

    /* strftime's %a and %b follow LC_TIME; RFC 5322 wants English. */
    if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 ||
        tm.tm_year + 1900 < 1900) {
        t = 0;
        gmtime_r(&t, &tm);
    }
    n = snprintf(out, SW_MIME_DATE_BUF, "%s, %02d %s %04d %02d:%02d:%02d +0000",
                 days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
                 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (n < 0 || n >= SW_MIME_DATE_BUF)
        out[0] = '\0'; /* cannot happen: the fields are range-checked */
    return out;
}

int
sw_mime_sanitize(struct sw_buf *out, const char *s, size_t n, int keep_lines)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int r = 0;

    while (i < n && r == 0) {
        unsigned char c = p[i];
        size_t len = sw_utf8_seq(s + i, n - i, NULL);

        if (len == 0) {
            r = sw_buf_add(out, REPLACEMENT, 3);
            i++;
        } else if (c == '\r' || c == '\n') {
            if (keep_lines) {
                r = sw_buf_addc(out, '\n');
                if (c == '\r' && i + 1 < n && p[i + 1] == '\n')
                    i++;
            } else {
                r = sw_buf_addc(out, ' ');
            }
            i++;
        } else if (c == '\t' && keep_lines) {
            r = sw_buf_addc(out, '\t');
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            r = sw_buf_addc(out, ' ');
            i++;
        } else if (len == 2 && c == 0xc2 && p[i + 1] < 0xa0) {
            /* U+0080..U+009F, the C1 controls: as invisible and as
             * dangerous on a terminal as their C0 cousins. */
            r = sw_buf_addc(out, ' ');
            i += 2;
        } else {
            r = sw_buf_add(out, p + i, len);
            i += len;
        }
    }
    return r;
}

static int
b64_add(struct sw_buf *out, const unsigned char *p, size_t n)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char q[4];
    int r = 0;

    for (size_t i = 0; i < n && r == 0; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        size_t left = n - i;

        if (left > 1)
            v |= (uint32_t)p[i + 1] << 8;
        if (left > 2)
            v |= p[i + 2];
        q[0] = tab[(v >> 18) & 63];
        q[1] = tab[(v >> 12) & 63];
        q[2] = left > 1 ? tab[(v >> 6) & 63] : '=';
        q[3] = left > 2 ? tab[v & 63] : '=';
        r = sw_buf_add(out, q, 4);
    }
    return r;
}

/* raw_ok - 1 when the sanitised value V can go out as it is: printable
 * ASCII words separated by single spaces, nothing an RFC 2047 decoder
 * would take for an encoded-word ("=?"), and every word short enough to
 * fold in front of it.  COL0 is the column after "Name:". */
static int
raw_ok(const char *v, size_t n, size_t col0)
{
    size_t word = 0, limit = LINE_SOFT - col0 - 1;

    if (n == 0 || v[0] == ' ' || v[n - 1] == ' ')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c > 0x7e)
            return 0;
        if (c == '=' && i + 1 < n && v[i + 1] == '?')
            return 0;
        if (c == ' ') {
            if (v[i + 1] == ' ' || word > limit)
                return 0;
            word = 0;
            limit = LINE_SOFT - 1; /* later words follow " " */
        } else {
            word++;
        }
    }
    return word <= limit;
}

static int
header_raw(struct sw_buf *out, const char *v, size_t n, size_t col)
{
    size_t i = 0;
    int r = 0;

    while (i < n && r == 0) {
        const char *sp = memchr(v + i, ' ', n - i);
        size_t w = sp ? (size_t)(sp - (v + i)) : n - i;

        /* Folding is a CRLF put before the space (RFC 5322 3.2.2), so
         * unfolding gives back exactly the value. */
        if (i > 0 && col + 1 + w > LINE_SOFT) {
            r = sw_buf_add(out, "\r\n", 2);
            col = 0;
        }
        if (r == 0)
            r = sw_buf_addc(out, ' ');
        if (r == 0)
            r = sw_buf_add(out, v + i, w);
        col += 1 + w;
        i += w + 1;
    }
    return r;
}

static int
header_encoded(struct sw_buf *out, const char *v, size_t n, size_t col)
{
    const unsigned char *p = (const unsigned char *)v;
    size_t i = 0;
    int r = 0;

    while (i < n && r == 0) {
        size_t max, take = 0;

        /* One encoded-word per line, after the folding space; the first
         * shares its line with "Name:" unless that leaves no room. */
        if (i > 0 || col > LINE_EWORD - 1 - EWORD_EXTRA - 8) {
            r = sw_buf_add(out, "\r\n", 2);
            col = 0;
            if (r < 0)
                break;
        }
        max = (LINE_EWORD - col - 1 - EWORD_EXTRA) / 4 * 3;
        /* Whole characters only in each encoded-word (RFC 2047 5(3)). */
        while (i + take < n) {
            size_t len = sw_utf8_seq(v + i + take, n - i - take, NULL);
            if (len == 0)
                len = 1; /* not reached: the value was sanitised */
            if (take + len > max)
                break;
            take += len;
        }
        if (take == 0) /* not reached: max holds any character */
            take = 1;
        r = sw_buf_adds(out, " " EWORD_PREFIX);
        if (r == 0)
            r = b64_add(out, p + i, take);
        if (r == 0)
            r = sw_buf_adds(out, EWORD_SUFFIX);
        col += 1 + EWORD_EXTRA + (take + 2) / 3 * 4;
        i += take;
    }
    return r;
}

int
sw_mime_header_text(struct sw_buf *out, const char *name, const char *v,
                    size_t n)
{
    struct sw_buf clean;
    size_t col = strlen(name) + 1;
    int r;

    if (n > SUBJECT_MAX) {
        /* Cut on a character boundary: a dangling lead byte would only
         * become U+FFFD, but a clean cut reads better. */
        n = SUBJECT_MAX;
        while (n > SUBJECT_MAX - 3 && ((unsigned char)v[n] & 0xc0) == 0x80)
            n--;
    }
    sw_buf_init(&clean, n * 3 + 1);
    r = sw_mime_sanitize(&clean, v, n, 0);
    if (r == 0)
        r = sw_buf_adds(out, name);
    if (r == 0)
        r = sw_buf_addc(out, ':');
    if (r == 0 && clean.len > 0) {
        if (raw_ok(clean.data, clean.len, col))
            r = header_raw(out, clean.data, clean.len, col);
        else
            r = header_encoded(out, clean.data, clean.len, col);
    }
    if (r == 0)
        r = sw_buf_add(out, "\r\n", 2);
    sw_buf_release(&clean);
    return r;
}

/* qp_literal - whether byte I of TEXT may stay as it is at column COL. */
static int
qp_literal(const unsigned char *t, size_t n, size_t i, size_t col)
{
    unsigned char c = t[i];
    int at_eol = i + 1 == n || t[i + 1] == '\n';

    if (col == 0) {
        /* A leading '.' would need SMTP dot-stuffing; "From " is what
         * mbox writers mangle into ">From ".  Encoded, both survive any
         * relay untouched. */
        if (c == '.')
            return 0;
        if (c == 'F' && n - i >= 5 && memcmp(t + i, "From ", 5) == 0)
            return 0;
    }
    if (c == ' ' || c == '\t')
        return !at_eol; /* RFC 2045 6.7 rule 3 */
    return c >= 33 && c <= 126 && c != '=';
}

int
sw_mime_qp(struct sw_buf *out, const char *text, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *t = (const unsigned char *)text;
    size_t col = 0;
    int r = 0;

    for (size_t i = 0; i < n && r == 0; i++) {
        int at_eol = i + 1 == n || t[i + 1] == '\n';
        int lit;
        size_t tok;

        if (t[i] == '\n') {
            r = sw_buf_add(out, "\r\n", 2);
            col = 0;
            continue;
        }
        lit = qp_literal(t, n, i, col);
        tok = lit ? 1 : 3;
        /* A soft break "=" takes the 76th column; the last token of a
         * line may use it itself. */
        if (col + tok > QP_LINE - 1 && !(at_eol && col + tok <= QP_LINE)) {
            r = sw_buf_add(out, "=\r\n", 3);
            col = 0;
            lit = qp_literal(t, n, i, col);
            tok = lit ? 1 : 3;
        }
        if (r == 0 && lit) {
            r = sw_buf_addc(out, (char)t[i]);
        } else if (r == 0) {
            char e[3] = {'=', hex[t[i] >> 4], hex[t[i] & 15]};
            r = sw_buf_add(out, e, 3);
        }
        col += tok;
    }
    return r;
}

/* body_cut - how many of the N bytes of S the body keeps: all, or up to
 * SW_MIME_MAX_BODY ending on a character boundary. */
static size_t
body_cut(const char *s, size_t n)
{
    size_t k = SW_MIME_MAX_BODY, back = 0;

    if (n <= k)
        return n;
    while (k > 0 && back < 3 && ((unsigned char)s[k] & 0xc0) == 0x80) {
        k--;
        back++;
    }
    return k;
}

static int
add_addresses(struct sw_buf *out, const struct sw_mime_msg *m)
{
    size_t col = 3;
    int r = sw_buf_adds(out, "To:");

    for (size_t i = 0; i < m->nto && r == 0; i++) {
        size_t w = strlen(m->to[i]);

        if (i > 0) {
            r = sw_buf_addc(out, ',');
            col++;
            if (r == 0 && col + 1 + w > LINE_SOFT) {
                r = sw_buf_add(out, "\r\n", 2);
                col = 0;
            }
        }
        if (r == 0)
            r = sw_buf_addf(out, " %s", m->to[i]);
        col += 1 + w;
    }
    if (r == 0)
        r = sw_buf_add(out, "\r\n", 2);
    return r;
}

int
sw_mime_build(const struct sw_mime_msg *m, char **out, size_t *out_len)
{
    struct sw_buf b, body;
    char date[SW_MIME_DATE_BUF];
    size_t keep, cap;
    int r = SW_EINVAL;

    *out = NULL;
    *out_len = 0;
    sw_buf_init(&body, 0);
    sw_buf_init(&b, 0);
    if (!sw_mime_addr_valid(m->from) || !sw_mime_msgid_valid(m->message_id) ||
        m->nto == 0 || m->nto > SW_MIME_MAX_RCPT || !m->to)
        goto out;
    for (size_t i = 0; i < m->nto; i++)
        if (!sw_mime_addr_valid(m->to[i]))
            goto out;
    if (!m->subject && m->subject_len)
        goto out;
    if (!m->body && m->body_len)
        goto out;

    keep = body_cut(m->body, m->body_len);
    /* Sanitising at most triples the text (a byte becomes U+FFFD), plus
     * the note; quoted-printable at most triples that again, plus a soft
     * break every 25 escapes.  The caps are what the inputs can need. */
    sw_buf_init(&body, keep * 3 + sizeof(TRUNC_NOTE));
    r = sw_mime_sanitize(&body, m->body, keep, 1);
    if (r == 0 && keep < m->body_len)
        r = sw_buf_adds(&body, TRUNC_NOTE);
    if (r < 0)
        goto out;
    cap = 4096 + m->nto * (SW_MIME_ADDR_MAX + 4) + SUBJECT_MAX * 3 * 2 +
          body.len * 4 + 4;
    sw_buf_init(&b, cap);
    r = sw_buf_addf(&b, "Date: %s\r\n", sw_mime_date(m->date, date));
    if (r == 0)
        r = sw_buf_addf(&b, "Message-ID: %s\r\n", m->message_id);
    if (r == 0)
        r = sw_buf_addf(&b, "From: %s\r\n", m->from);
    if (r == 0)
        r = add_addresses(&b, m);
    if (r == 0)
        r = sw_mime_header_text(&b, "Subject", m->subject ? m->subject : "",
                                m->subject_len);
    /* RFC 3834: no vacation or out-of-office replies to a machine. */
    if (r == 0)
        r = sw_buf_adds(&b, "Auto-Submitted: auto-generated\r\n"
                            "MIME-Version: 1.0\r\n"
                            "Content-Type: text/plain; charset=UTF-8\r\n"
                            "Content-Transfer-Encoding: quoted-printable\r\n"
                            "\r\n");
    if (r == 0)
        r = sw_mime_qp(&b, body.data ? body.data : "", body.len);
    if (r == 0 && (b.len < 2 || memcmp(b.data + b.len - 2, "\r\n", 2) != 0))
        r = sw_buf_add(&b, "\r\n", 2);
    if (r < 0) {
        r = r == SW_ETOOBIG ? SW_EINTERNAL : r;
        goto out;
    }
    *out = sw_buf_steal(&b, out_len);
    r = *out ? 0 : SW_ENOMEM;
out:
    sw_buf_release(&body);
    sw_buf_release(&b);
    return r;
}
