/* lib/json_stream.h - JSON text without a tree: a pull reader, and
 * writers that append to a buffer.
 *
 * For files too large to hold as a jansson tree, or read and written so
 * often that building one is most of the work: agent/store's state.json
 * and its journal.  jansson spends about 200 instructions a byte and an
 * allocation a value; this reader walks the text once, decodes each
 * string into a scratch buffer and converts each number on its own, and
 * its caller stores what it wants as it goes.
 *
 * The reader takes its text from memory or reads it from a file
 * descriptor in SW_JREAD_CHUNK pieces, so it never holds more than one
 * piece and one string: nothing it returns points into the text.  It is
 * strict RFC 8259: UTF-8 only, no control characters or \u0000 in strings
 * (a C string would end there), no trailing commas, numbers as the
 * grammar has them, at most SW_JREAD_MAX_DEPTH levels.  Its caller
 * drives it: sw_jread_object() then sw_jread_member() until it returns 0,
 * a value reader for each member.  A failure is sticky: every later call
 * returns the same code, and sw_jread_error() says where and what
 * ("3:17: expected ':'").
 *
 * The writers append compact JSON to a struct sw_buf: a string (escaped,
 * with bytes that are not UTF-8 replaced by U+FFFD as jansson would refuse
 * them), an integer, and a double as the shortest text of up to 17
 * digits that reads back to the same double.
 *
 * Depends on lib/buf, lib/err and lib/utf8; no jansson.
 */
#ifndef SW_LIB_JSON_STREAM_H
#define SW_LIB_JSON_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

#define SW_JREAD_CHUNK     65536 /* bytes read from a file at a time */
#define SW_JREAD_MAX_DEPTH 32
#define SW_JREAD_MAX_STR   (4u * 1024 * 1024) /* longest string or key */

/* What the next value is (sw_jread_peek()). */
enum sw_jread_type {
    SW_JREAD_NONE = 0, /* no value: the end of the text */
    SW_JREAD_OBJECT,
    SW_JREAD_ARRAY,
    SW_JREAD_STRING,
    SW_JREAD_NUMBER,
    SW_JREAD_TRUE,
    SW_JREAD_FALSE,
    SW_JREAD_NULL,
};

/* A reader; owned by the caller (usually on the stack), its fields are
 * its own. */
struct sw_jread {
    const char *p, *end; /* the unread part of the current piece */
    char *chunk;         /* the piece read from fd, or NULL */
    int fd;              /* -1: the text is all in memory */
    uint64_t done;       /* bytes of the text before the current piece */
    uint64_t max;        /* most bytes read from fd */
    const char *base;    /* the start of the current piece */
    uint64_t line_at;    /* offset of the current line's first byte */
    unsigned line;       /* 1-based */
    int depth;
    uint64_t first; /* bit d: the container at depth d has no member yet */
    int err;        /* 0, or the sticky failure */
    int err_at_end; /* the failure was the text ending too soon */
    int err_kind;   /* the failure was a value of the wrong kind */
    struct sw_buf key, str;
    struct sw_buf *copy;   /* sw_jread_skip()'s COPY while it runs */
    const char *copy_from; /* its bytes not yet copied start here */
    int copy_err;
    char msg[192];
};

/* sw_jread_init_mem - read the N bytes at TEXT, which must outlive R.
 * sw_jread_init_fd - read FD from its current offset until its end, at
 * most MAX bytes (more is an error: "larger than MAX bytes").
 * Neither fails; memory is only allocated as needed, and reported then. */
void sw_jread_init_mem(struct sw_jread *r, const char *text, size_t n);
void sw_jread_init_fd(struct sw_jread *r, int fd, uint64_t max);
/* sw_jread_release - free what R holds (not FD). */
void sw_jread_release(struct sw_jread *r);

/* sw_jread_peek - the type of the next value (after whitespace), without
 * reading it: an enum sw_jread_type, or a negative SW_E* code (a byte that
 * starts no value is SW_EPARSE). */
int sw_jread_peek(struct sw_jread *r);

/* sw_jread_object / sw_jread_array - read the '{' / '[' that starts the
 * next value.  Returns 0, or SW_EPARSE (something else follows, or the
 * nesting is too deep). */
int sw_jread_object(struct sw_jread *r);
int sw_jread_array(struct sw_jread *r);

/* sw_jread_member - the next member of the object being read: 1 with its
 * key in *KEY (NUL-terminated, borrowed until the next sw_jread_member())
 * and the ':' read, so that the value is next; 0 when the object ended
 * (its '}' read); or a negative SW_E* code. */
int sw_jread_member(struct sw_jread *r, const char **key);
/* sw_jread_element - 1 when another element of the array being read
 * follows, 0 when the array ended (its ']' read), or a negative code. */
int sw_jread_element(struct sw_jread *r);

/* sw_jread_string - read a string value into *S (NUL-terminated, its
 * length in *LEN, which may be NULL; borrowed until the next string).
 * sw_jread_int - read an integer (no fraction, no exponent) into *OUT.
 * sw_jread_double - read any number into *OUT.
 * Each returns 0, or SW_EPARSE when the next value is of another kind or
 * malformed (or, for integers, outside the range of int64_t). */
int sw_jread_string(struct sw_jread *r, const char **s, size_t *len);
int sw_jread_int(struct sw_jread *r, int64_t *out);
int sw_jread_double(struct sw_jread *r, double *out);
/* sw_jread_null - 1 when the next value is null (read), 0 when it is
 * something else (not read), or a negative code. */
int sw_jread_null(struct sw_jread *r);

/* sw_jread_skip - read the next value whatever it is.  With COPY, its
 * compact text is appended to COPY: the text as it is, less the whitespace
 * between tokens.  Returns 0 or a negative code (COPY as it was). */
int sw_jread_skip(struct sw_jread *r, struct sw_buf *copy);

/* sw_jread_end - only whitespace is left.  Returns 0 or SW_EPARSE. */
int sw_jread_end(struct sw_jread *r);
/* sw_jread_newline - spaces and tabs, then a newline (read), for text
 * made of one value a line.  Returns 0 or SW_EPARSE. */
int sw_jread_newline(struct sw_jread *r);

/* sw_jread_offset - bytes of the text read so far. */
uint64_t sw_jread_offset(const struct sw_jread *r);

/* sw_jread_fail - fail R with a message of the caller's (a value of the
 * wrong kind: "'state' must be OK, ALARM or INSUFFICIENT_DATA"), unless R
 * failed already.  Returns R's code: SW_EPARSE, or the earlier one. */
int sw_jread_fail(struct sw_jread *r, const char *what);

/* sw_jread_error - what failed, as "LINE:COLUMN: reason" (a read error:
 * the system's reason).  Returns: borrowed, "" when nothing failed. */
const char *sw_jread_error(const struct sw_jread *r);
/* sw_jread_at_end - 1 when R failed because the text ended inside a
 * value (a file cut short by a crash), else 0. */
int sw_jread_at_end(const struct sw_jread *r);
/* sw_jread_wrong_kind - 1 when R failed because a value reader met a
 * value of another kind (or out of its range) in text that is JSON so
 * far: its caller knows better what was wanted.  Else 0. */
int sw_jread_wrong_kind(const struct sw_jread *r);

/* sw_jwrite_string - S as a JSON string; sw_jwrite_stringn: N bytes.
 * sw_jwrite_int - V in decimal.
 * sw_jwrite_double - V as JSON reads it back: integers below 2^53 as
 * "12.0", others as the shortest %.15g/%.16g/%.17g text that reads back
 * to V.  NaN and infinities have no JSON form: SW_EINVAL, B unchanged.
 * Each returns 0, SW_ETOOBIG (B's cap) or SW_ENOMEM. */
int sw_jwrite_string(struct sw_buf *b, const char *s);
int sw_jwrite_stringn(struct sw_buf *b, const char *s, size_t n);
int sw_jwrite_int(struct sw_buf *b, int64_t v);
int sw_jwrite_double(struct sw_buf *b, double v);

/* sw_jfmt_int / sw_jfmt_double - the text sw_jwrite_int() /
 * sw_jwrite_double() append, into OUT (not NUL-terminated), for a caller
 * that builds a line in place.  Returns its length; 0 for a NaN or an
 * infinity. */
#define SW_JFMT_MAX 40
size_t sw_jfmt_int(int64_t v, char out[SW_JFMT_MAX]);
size_t sw_jfmt_double(double v, char out[SW_JFMT_MAX]);

#endif
