/* notifiers/mime.h - the text of one e-mail message (RFC 5322 + MIME).
 *
 * Builds the bytes the e-mail notifier uploads after SMTP DATA: the
 * headers Date, Message-ID, From, To, Subject, MIME-Version,
 * Content-Type (text/plain; charset=UTF-8), Content-Transfer-Encoding
 * (quoted-printable) and Auto-Submitted, a blank line, and the body.
 *
 * Alarm names, descriptions and reasons are untrusted (they come from the
 * configuration file and from outbox files on disk): no byte of them can
 * end a header line.  The subject and body are first sanitised (control
 * characters become a space, or a line break in the body; bytes that are
 * not UTF-8 become U+FFFD), then encoded: the
 * subject as RFC 2047 "=?UTF-8?B?...?=" encoded-words unless it is plain
 * printable ASCII, the body as quoted-printable.  Addresses are not
 * encoded, so they are validated instead (sw_mime_addr_valid()).
 *
 * Every line ends in CRLF and stays within 78 characters (RFC 5322 2.1.1;
 * 76 for lines with encoded-words, RFC 2047 2), never near 998.  No line
 * of the output starts with '.': the body encoder writes a leading dot as
 * "=2E", so the message does not depend on the SMTP client's dot-stuffing
 * (libcurl does stuff "\r\n." on upload, RFC 5321 4.5.2, and would do so
 * here too; nothing is stuffed twice because nothing needs it).
 *
 * Pure: no I/O, no clock, no randomness (the caller passes the date and
 * the Message-ID).  Depends on lib/ only.
 */
#ifndef SW_NOTIFIERS_MIME_H
#define SW_NOTIFIERS_MIME_H

#include <stddef.h>
#include <time.h>

#include "lib/buf.h"

#define SW_MIME_ADDR_MAX  254 /* RFC 5321 4.5.3.1.3 path, less "<>" */
#define SW_MIME_MSGID_MAX 250 /* our own bound on "<id@domain>" */
#define SW_MIME_MAX_RCPT  100 /* agent/conf.c allows as many */
/* The body text kept; the rest is cut at a character boundary with a
 * note.  notifiers/email_text.c already bounds reasons; this bounds what the
 * builder will ever allocate (quoted-printable at most triples it). */
#define SW_MIME_MAX_BODY (512 * 1024)
#define SW_MIME_DATE_BUF 40

/* One message.  Every pointer is borrowed for the duration of the call. */
struct sw_mime_msg {
    time_t date;            /* the Date header (UTC, "+0000") */
    const char *message_id; /* "<local@domain>", see sw_mime_msgid_valid() */
    const char *from;       /* addr-spec, see sw_mime_addr_valid() */
    char *const *to;        /* NTO addr-specs, 1..SW_MIME_MAX_RCPT */
    size_t nto;
    const char *subject; /* any bytes, SUBJECT_LEN of them (NUL allowed) */
    size_t subject_len;
    const char *body; /* any bytes, BODY_LEN of them (NUL allowed) */
    size_t body_len;
};

/* sw_mime_build - the whole message, headers and body, CRLF line ends,
 * ending in CRLF.  Returns 0 and *out (new, free(); NUL-terminated, its
 * length in *out_len), SW_EINVAL (an address, the Message-ID or the
 * recipient count is invalid) or SW_ENOMEM. */
int sw_mime_build(const struct sw_mime_msg *m, char **out, size_t *out_len);

/* sw_mime_addr_valid - 1 when ADDR is a plain addr-spec we put in headers
 * and SMTP commands as is: "local@domain", printable ASCII, a dot-atom
 * local part of at most 64 characters (RFC 5322 3.4.1), a domain of
 * letters, digits, '-' and '.', at most SW_MIME_ADDR_MAX in all.  No
 * spaces, quotes, angle brackets, commas or control characters, hence
 * nothing that could end a header or an SMTP command.  Else 0. */
int sw_mime_addr_valid(const char *addr);

/* sw_mime_msgid_valid - 1 when ID is "<" id-left "@" id-right ">" with
 * both sides dot-atom text (RFC 5322 3.6.4), at most SW_MIME_MSGID_MAX
 * characters.  Else 0. */
int sw_mime_msgid_valid(const char *id);

/* sw_mime_date - T as an RFC 5322 3.3 date-time in UTC,
 * "Wed, 25 Nov 2026 10:05:00 +0000", with English names whatever the
 * locale.  OUT has at least SW_MIME_DATE_BUF bytes.  Returns OUT. */
char *sw_mime_date(time_t t, char *out);

/* For tests and the fuzzer: the steps sw_mime_build() takes. */

/* sw_mime_sanitize - append the N bytes of S to OUT as valid UTF-8 with no
 * control characters: invalid or overlong sequences, surrogates and code
 * points above U+10FFFF become U+FFFD; C0 controls and DEL become a space,
 * except that with KEEP_LINES set CRLF, CR and LF become one "\n" and TAB
 * stays.  Returns 0 or the sw_buf_add() error. */
int sw_mime_sanitize(struct sw_buf *out, const char *s, size_t n,
                     int keep_lines);

/* sw_mime_header_text - append "NAME: VALUE\r\n" for an unstructured
 * header (Subject), VALUE being N bytes of any kind: sanitised, then
 * written as is and folded at spaces when it is printable ASCII that
 * folds within 78 columns, else as RFC 2047 B encoded-words of whole
 * UTF-8 characters, one per line within 76 columns.  NAME is a trusted
 * field name.  Returns 0 or an sw_buf error. */
int sw_mime_header_text(struct sw_buf *out, const char *name, const char *v,
                        size_t n);

/* sw_mime_qp - append the N bytes of TEXT (already sanitised: "\n" line
 * breaks) as quoted-printable (RFC 2045 6.7): CRLF line ends, lines of at
 * most 76 characters with "=" soft breaks, "=", non-ASCII and control
 * bytes as =XX, spaces and tabs before a line end as =20/=09, and a '.'
 * or the 'F' of "From " at the start of a line as =2E/=46.  Returns 0 or
 * an sw_buf error. */
int sw_mime_qp(struct sw_buf *out, const char *text, size_t n);

#endif
