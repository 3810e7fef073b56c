/* lib/json_stream.c - JSON text without a tree; see json_stream.h. */
#include "config.h"

#include "lib/json_stream.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/utf8.h"

#define NUM_MAX 64 /* longest number text read */
#define SPACES8 UINT64_C(0x2020202020202020)

/* What peekc() returns besides a byte. */
#define END  (-1) /* the text ended */
#define FAIL (-2) /* R failed; its code is in r->err */

/* Byte classes: what ends a run of plain string bytes, what may be part
 * of a number, and whitespace. */
enum { C_STR_END = 1, C_NUM = 2, C_WS = 4 };
static const unsigned char cls[256] = {
    [0x00 ... 0x08] = C_STR_END,
    ['\t'] = C_WS | C_STR_END,
    ['\n'] = C_WS | C_STR_END,
    [0x0b ... 0x0c] = C_STR_END,
    ['\r'] = C_WS | C_STR_END,
    [0x0e ... 0x1f] = C_STR_END,
    [' '] = C_WS,
    ['"'] = C_STR_END,
    ['+'] = C_NUM,
    ['-'] = C_NUM,
    ['.'] = C_NUM,
    ['0' ... '9'] = C_NUM,
    ['E'] = C_NUM,
    ['\\'] = C_STR_END,
    ['e'] = C_NUM,
    [0x80 ... 0xff] = C_STR_END,
};

/* ---- reader: position, failure and input ------------------------------ */

void
sw_jread_init_mem(struct sw_jread *r, const char *text, size_t n)
{
    memset(r, 0, sizeof(*r));
    r->fd = -1;
    r->base = r->p = text ? text : "";
    r->end = r->p + (text ? n : 0);
    r->line = 1;
    sw_buf_init(&r->key, SW_JREAD_MAX_STR);
    sw_buf_init(&r->str, SW_JREAD_MAX_STR);
}

void
sw_jread_init_fd(struct sw_jread *r, int fd, uint64_t max)
{
    sw_jread_init_mem(r, NULL, 0);
    r->fd = fd;
    r->max = max;
}

void
sw_jread_release(struct sw_jread *r)
{
    free(r->chunk);
    r->chunk = NULL;
    sw_buf_release(&r->key);
    sw_buf_release(&r->str);
}

uint64_t
sw_jread_offset(const struct sw_jread *r)
{
    return r->done + (uint64_t)(r->p - r->base);
}

/* Fail R with CODE and WHAT at the current position; AT_END: the text
 * ended too soon.  The first failure stays. */
static int
fail_with(struct sw_jread *r, int code, int at_end, const char *what)
{
    if (r->err)
        return r->err;
    r->err = code;
    r->err_at_end = at_end;
    snprintf(r->msg, sizeof(r->msg), "%u:%" PRIu64 ": %s", r->line,
             sw_jread_offset(r) - r->line_at + 1, what);
    return code;
}

static int
fail(struct sw_jread *r, const char *what)
{
    return fail_with(r, SW_EPARSE, 0, what);
}

static int
fail_end(struct sw_jread *r, const char *what)
{
    return fail_with(r, SW_EPARSE, 1, what);
}

/* A value of the wrong kind, in text that is JSON so far. */
static int
fail_kind(struct sw_jread *r, const char *what)
{
    if (r->err)
        return r->err;
    r->err_kind = 1;
    return fail(r, what);
}

int
sw_jread_fail(struct sw_jread *r, const char *what)
{
    return fail(r, what);
}

const char *
sw_jread_error(const struct sw_jread *r)
{
    return r->err ? r->msg : "";
}

int
sw_jread_at_end(const struct sw_jread *r)
{
    return r->err && r->err_at_end;
}

int
sw_jread_wrong_kind(const struct sw_jread *r)
{
    return r->err && r->err_kind;
}

/* While sw_jread_skip() copies: the bytes read since r->copy_from go to
 * the copy (before whitespace is skipped, or the piece replaced). */
static void
copy_span(struct sw_jread *r)
{
    if (r->copy && r->p > r->copy_from && !r->copy_err)
        r->copy_err =
            sw_buf_add(r->copy, r->copy_from, (size_t)(r->p - r->copy_from));
    r->copy_from = r->p;
}

/* The next piece of a file.  Returns 1 (bytes to read), 0 (the end) or a
 * negative code. */
static int
refill(struct sw_jread *r)
{
    ssize_t n;

    if (r->err)
        return r->err;
    if (r->p < r->end)
        return 1;
    if (r->fd < 0)
        return 0;
    copy_span(r);
    if (!r->chunk) {
        r->chunk = malloc(SW_JREAD_CHUNK);
        if (!r->chunk)
            return fail_with(r, SW_ENOMEM, 0, "out of memory");
    }
    r->done += (uint64_t)(r->end - r->base);
    r->base = r->p = r->end = r->chunk;
    do
        n = read(r->fd, r->chunk, SW_JREAD_CHUNK);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return fail_with(r, SW_EIO, 0, strerror(errno));
    if (r->done + (uint64_t)n > r->max) {
        char what[64];

        snprintf(what, sizeof(what), "larger than %" PRIu64 " bytes", r->max);
        return fail_with(r, SW_ETOOBIG, 0, what);
    }
    r->end = r->chunk + n;
    r->copy_from = r->p;
    return n > 0;
}

/* The next byte, not read; END or FAIL. */
static inline int
peekc(struct sw_jread *r)
{
    if (r->p == r->end) {
        int k = refill(r);
        if (k <= 0)
            return k < 0 ? FAIL : END;
    }
    return (unsigned char)*r->p;
}

/* The next byte, read; END or FAIL. */
static inline int
nextc(struct sw_jread *r)
{
    int c = peekc(r);

    if (c >= 0)
        r->p++;
    return c;
}

static void
newline_read(struct sw_jread *r)
{
    r->line++;
    r->line_at = sw_jread_offset(r);
}

static int ws_skip(struct sw_jread *r);

/* Skip whitespace: the next byte (not read), END or FAIL.  Called before
 * every token, and mostly there is none. */
static inline int
ws(struct sw_jread *r)
{
    if (r->p < r->end && !(cls[(unsigned char)*r->p] & C_WS))
        return (unsigned char)*r->p;
    return ws_skip(r);
}

static int
ws_skip(struct sw_jread *r)
{
    copy_span(r);
    for (;;) {
        while (r->p < r->end) {
            unsigned char c = (unsigned char)*r->p;
            if (c == ' ') {
                /* Indentation: runs of spaces, eight at a time. */
                const char *q = r->p + 1, *e = r->end;
                uint64_t w;

                while (e - q >= 8 && (memcpy(&w, q, 8), w == SPACES8))
                    q += 8;
                while (q < e && *q == ' ')
                    q++;
                r->p = q;
                continue;
            }
            if (!(cls[c] & C_WS)) {
                r->copy_from = r->p;
                return c;
            }
            r->p++;
            if (c == '\n')
                newline_read(r);
        }
        r->copy_from = r->p; /* only whitespace since: nothing to copy */
        if (peekc(r) < 0)
            return r->err ? FAIL : END;
    }
}

/* ---- reader: tokens ------------------------------------------------------ */

/* Read the literal WORD whose first byte is next. */
static int
literal(struct sw_jread *r, const char *word)
{
    for (const char *w = word; *w; w++) {
        int c = nextc(r);
        if (c == FAIL)
            return r->err;
        if (c == END)
            return fail_end(r, "text ends inside a literal");
        if (c != *w)
            return fail(r, "invalid literal");
    }
    return 0;
}

static int
hex4(struct sw_jread *r, uint32_t *out)
{
    uint32_t v = 0;

    for (int i = 0; i < 4; i++) {
        int c = nextc(r);
        if (c == FAIL)
            return r->err;
        if (c == END)
            return fail_end(r, "text ends inside a \\u escape");
        if (c >= '0' && c <= '9')
            v = v * 16 + (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v * 16 + (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v = v * 16 + (uint32_t)(c - 'A' + 10);
        else
            return fail(r, "invalid \\u escape");
    }
    *out = v;
    return 0;
}

static int
add(struct sw_jread *r, struct sw_buf *b, const void *p, size_t n)
{
    int k = sw_buf_add(b, p, n);

    if (k == SW_ETOOBIG)
        return fail(r, "string too long");
    if (k < 0)
        return fail_with(r, k, 0, "out of memory");
    return 0;
}

/* CP as UTF-8 into OUT. */
static int
add_cp(struct sw_jread *r, struct sw_buf *out, uint32_t cp)
{
    char u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return add(r, out, u, n);
}

/* After a backslash. */
static int
escape(struct sw_jread *r, struct sw_buf *out)
{
    uint32_t cp, lo;
    int c = nextc(r), k;
    char e;

    if (c == FAIL)
        return r->err;
    if (c == END)
        return fail_end(r, "text ends inside a string");
    switch (c) {
    case '"': e = '"'; break;
    case '\\': e = '\\'; break;
    case '/': e = '/'; break;
    case 'b': e = '\b'; break;
    case 'f': e = '\f'; break;
    case 'n': e = '\n'; break;
    case 'r': e = '\r'; break;
    case 't': e = '\t'; break;
    case 'u':
        if ((k = hex4(r, &cp)) < 0)
            return k;
        /* hex4() sets CP whenever it returns 0; the analyzer cannot
         * see that its errors (r->err) are negative.
         * NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
        if (cp >= 0xdc00 && cp <= 0xdfff)
            return fail(r, "invalid \\u escape: a lone low surrogate");
        if (cp >= 0xd800 && cp <= 0xdbff) {
            /* Two reads, not one value compared twice.
             * NOLINTNEXTLINE(misc-redundant-expression) */
            if ((c = nextc(r)) != '\\' || (c = nextc(r)) != 'u')
                return c == FAIL  ? r->err
                       : c == END ? fail_end(r, "text ends inside a string")
                                  : fail(r, "invalid \\u escape: a lone "
                                            "high surrogate");
            if ((k = hex4(r, &lo)) < 0)
                return k;
            if (lo < 0xdc00 || lo > 0xdfff)
                return fail(r, "invalid \\u escape: a lone high surrogate");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        if (cp == 0)
            return fail(r, "\\u0000 in a string");
        return add_cp(r, out, cp);
    default: return fail(r, "invalid escape");
    }
    return add(r, out, &e, 1);
}

/* A UTF-8 sequence whose first byte C is next. */
static int
utf8_seq(struct sw_jread *r, struct sw_buf *out, int c)
{
    char u[4];
    size_t n = c >= 0xc2 && c <= 0xdf   ? 2
               : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4 ? 4
                                        : 0;

    if (n == 0)
        return fail(r, "string is not UTF-8");
    for (size_t i = 0; i < n; i++) {
        int b = nextc(r);
        if (b == FAIL)
            return r->err;
        if (b == END)
            return fail_end(r, "text ends inside a string");
        u[i] = (char)b;
    }
    if (sw_utf8_seq(u, n, NULL) != n)
        return fail(r, "string is not UTF-8");
    return add(r, out, u, n);
}

/* A string whose opening quote is next, decoded into OUT. */
static int
string(struct sw_jread *r, struct sw_buf *out)
{
    int k;

    sw_buf_reset(out);
    r->p++; /* the quote; peekc() showed it */
    for (;;) {
        const char *s = r->p;
        int c;

        while (r->p < r->end && !(cls[(unsigned char)*r->p] & C_STR_END))
            r->p++;
        if (r->p > s && (k = add(r, out, s, (size_t)(r->p - s))) < 0)
            return k;
        c = peekc(r);
        if (c == FAIL)
            return r->err;
        if (c == END)
            return fail_end(r, "text ends inside a string");
        if (c == '"') {
            r->p++;
            break;
        }
        if (c >= 0x20 && c < 0x80 && c != '\\')
            continue; /* the piece ended: the next one goes on */
        if (c == '\\') {
            r->p++;
            k = escape(r, out);
        } else if (c < 0x20) {
            k = fail(r, "control character in a string");
        } else {
            k = utf8_seq(r, out, c);
        }
        if (k < 0)
            return k;
    }
    /* An empty string into a buffer never written to: allocate it. */
    return out->data ? 0 : add(r, out, "", 0);
}

/* A number's text into NUM (NUL-terminated), checked against the
 * grammar; *IS_INT: no fraction, no exponent. */
static int
number_text(struct sw_jread *r, char num[NUM_MAX], size_t *len, int *is_int)
{
    size_t n = 0, i = 0;
    const char *s = r->p;
    int c;

    /* Mostly the whole number is in this piece. */
    while (s < r->end && (cls[(unsigned char)*s] & C_NUM) && s - r->p < NUM_MAX)
        s++;
    if (s < r->end && s - r->p < NUM_MAX) {
        n = (size_t)(s - r->p);
        memcpy(num, r->p, n);
        r->p = s;
    } else {
        while ((c = peekc(r)) >= 0 && (cls[c] & C_NUM)) {
            if (n == NUM_MAX - 1)
                return fail(r, "number too long");
            num[n++] = (char)c;
            r->p++;
        }
        if (c == FAIL)
            return r->err;
    }
    num[n] = '\0';
    *len = n;
    *is_int = 1;
    /* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
    if (num[i] == '-')
        i++;
    if (num[i] == '0') {
        i++;
    } else if (num[i] >= '1' && num[i] <= '9') {
        while (num[i] >= '0' && num[i] <= '9')
            i++;
    } else {
        return fail(r, "invalid number");
    }
    if (num[i] == '.') {
        *is_int = 0;
        if (!(num[++i] >= '0' && num[i] <= '9'))
            return fail(r, "invalid number");
        while (num[i] >= '0' && num[i] <= '9')
            i++;
    }
    if (num[i] == 'e' || num[i] == 'E') {
        *is_int = 0;
        i++;
        if (num[i] == '+' || num[i] == '-')
            i++;
        if (!(num[i] >= '0' && num[i] <= '9'))
            return fail(r, "invalid number");
        while (num[i] >= '0' && num[i] <= '9')
            i++;
    }
    if (i != n)
        return fail(r, "invalid number");
    return 0;
}

/* The plain number at r->p, when it lies whole in this piece:
 * -?(0|[1-9][0-9]*)(\.[0-9]+)? of at most 15 significant digits and 22
 * decimals.  Returns 1 with its digits as one integer in *M, the decimals
 * in *DEC and the sign in *NEG, the text read; 0 for anything else, which
 * takes number_text() (nothing read). */
static int
number_fast(struct sw_jread *r, uint64_t *m, int *dec, int *neg)
{
    const char *s = r->p, *e = r->end;
    uint64_t v = 0;
    int digits = 0, d = 0;

    *neg = s < e && *s == '-';
    s += *neg;
    if (s < e && *s == '0') {
        s++;
    } else if (s < e && *s >= '1' && *s <= '9') {
        for (; s < e && *s >= '0' && *s <= '9'; s++)
            if (++digits > 15)
                return 0;
            else
                v = v * 10 + (uint64_t)(*s - '0');
    } else {
        return 0;
    }
    if (s < e && *s == '.') {
        if (++s == e || !(*s >= '0' && *s <= '9'))
            return 0;
        for (; s < e && *s >= '0' && *s <= '9'; s++, d++) {
            if ((v || *s != '0') && ++digits > 15)
                return 0;
            v = v * 10 + (uint64_t)(*s - '0');
        }
        if (d > 22)
            return 0;
    }
    /* An exponent, or the piece ends: the slow way. */
    if (s == e || (cls[(unsigned char)*s] & C_NUM))
        return 0;
    *m = v;
    *dec = d;
    r->p = s;
    return 1;
}

/* Powers of ten that a double holds exactly. */
static const double pow10_exact[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* A checked number's text as the nearest double: digits below 2^53 and a
 * power of ten a double holds exactly give it in one correctly rounded
 * operation (Clinger's fast path); anything else goes to strtod(). */
static double
to_double(const char *num)
{
    const char *s = num;
    uint64_t m = 0;
    int digits = 0, exp10 = 0, neg = 0, eneg = 0, e = 0;
    double v;

    if (*s == '-') {
        neg = 1;
        s++;
    }
    for (; *s >= '0' && *s <= '9'; s++) {
        if (digits || *s != '0')
            digits++;
        m = m * 10 + (uint64_t)(*s - '0');
        if (digits > 15)
            goto slow;
    }
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++) {
            if (digits || *s != '0')
                digits++;
            m = m * 10 + (uint64_t)(*s - '0');
            exp10--;
            if (digits > 15)
                goto slow;
        }
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            eneg = *s++ == '-';
        for (; *s >= '0' && *s <= '9'; s++) {
            e = e * 10 + (*s - '0');
            if (e > 400)
                goto slow;
        }
        exp10 += eneg ? -e : e;
    }
    if (exp10 < -22 || exp10 > 22)
        goto slow;
    v = (double)m;
    v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
    return neg ? -v : v;
slow:
    return strtod(num, NULL);
}

/* ---- reader: the interface ---------------------------------------------- */

int
sw_jread_peek(struct sw_jread *r)
{
    int c = r->err ? FAIL : ws(r);

    switch (c) {
    case FAIL: return r->err;
    case END: return SW_JREAD_NONE;
    case '{': return SW_JREAD_OBJECT;
    case '[': return SW_JREAD_ARRAY;
    case '"': return SW_JREAD_STRING;
    case 't': return SW_JREAD_TRUE;
    case 'f': return SW_JREAD_FALSE;
    case 'n': return SW_JREAD_NULL;
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return SW_JREAD_NUMBER;
        return fail(r, "invalid character: not the start of a value");
    }
}

/* The next value must be of type WANT. */
static int
expect(struct sw_jread *r, int want, const char *what)
{
    int t = sw_jread_peek(r);

    if (t < 0)
        return t;
    if (t == SW_JREAD_NONE)
        return fail_end(r, "text ends where a value should be");
    return t == want ? 0 : fail_kind(r, what);
}

static int
open_container(struct sw_jread *r, int type, const char *what)
{
    int k = expect(r, type, what);

    if (k < 0)
        return k;
    if (r->depth >= SW_JREAD_MAX_DEPTH)
        return fail(r, "nested too deep");
    r->p++;
    r->depth++;
    r->first |= UINT64_C(1) << r->depth;
    return 0;
}

int
sw_jread_object(struct sw_jread *r)
{
    return open_container(r, SW_JREAD_OBJECT, "expected an object");
}

int
sw_jread_array(struct sw_jread *r)
{
    return open_container(r, SW_JREAD_ARRAY, "expected an array");
}

/* Before the next member or element of the container at r->depth:
 * 1 when one follows (the comma read), 0 when CLOSE was read. */
static int
next_in(struct sw_jread *r, char close)
{
    uint64_t bit = UINT64_C(1) << r->depth;
    int c = r->err ? FAIL : ws(r);

    if (c == FAIL)
        return r->err;
    if (c == END)
        return fail_end(r, close == '}' ? "text ends inside an object"
                                        : "text ends inside an array");
    if (c == close && r->depth > 0) {
        r->p++;
        r->first &= ~bit;
        r->depth--;
        return 0;
    }
    if (r->first & bit) {
        r->first &= ~bit;
        return 1;
    }
    if (c != ',')
        return fail(r, close == '}' ? "expected ',' or '}'"
                                    : "expected ',' or ']'");
    r->p++;
    c = ws(r);
    if (c == close)
        return fail(r, "trailing comma");
    return 1;
}

int
sw_jread_member(struct sw_jread *r, const char **key)
{
    int k = next_in(r, '}'), c;

    if (k <= 0)
        return k;
    if ((k = expect(r, SW_JREAD_STRING, "expected a key")) < 0)
        return k;
    if ((k = string(r, &r->key)) < 0)
        return k;
    c = ws(r);
    if (c == FAIL)
        return r->err;
    if (c == END)
        return fail_end(r, "text ends inside an object");
    if (c != ':')
        return fail(r, "expected ':'");
    r->p++;
    *key = r->key.data;
    return 1;
}

int
sw_jread_element(struct sw_jread *r)
{
    return next_in(r, ']');
}

int
sw_jread_string(struct sw_jread *r, const char **s, size_t *len)
{
    int k = expect(r, SW_JREAD_STRING, "expected a string");

    if (k == 0)
        k = string(r, &r->str);
    if (k < 0)
        return k;
    *s = r->str.data;
    if (len)
        *len = r->str.len;
    return 0;
}

int
sw_jread_int(struct sw_jread *r, int64_t *out)
{
    char num[NUM_MAX];
    size_t n;
    int is_int, dec, k = expect(r, SW_JREAD_NUMBER, "expected a number");
    const char *s = num;
    uint64_t v = 0, lim;
    int neg;

    if (k < 0)
        return k;
    if (number_fast(r, &v, &dec, &neg)) {
        if (dec)
            return fail_kind(r, "expected an integer");
        *out = neg ? -(int64_t)v : (int64_t)v;
        return 0;
    }
    if ((k = number_text(r, num, &n, &is_int)) < 0)
        return k;
    if (!is_int)
        return fail_kind(r, "expected an integer");
    neg = *s == '-';
    s += neg;
    lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; *s; s++) {
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (lim - d) / 10)
            return fail_kind(r, "integer out of range");
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int
sw_jread_double(struct sw_jread *r, double *out)
{
    char num[NUM_MAX];
    size_t n;
    int is_int, k = expect(r, SW_JREAD_NUMBER, "expected a number"), dec, neg;
    uint64_t m;

    if (k < 0)
        return k;
    if (number_fast(r, &m, &dec, &neg)) {
        /* Exact operands, one correctly rounded operation. */
        *out = (double)m / pow10_exact[dec];
        if (neg)
            *out = -*out;
        return 0;
    }
    if ((k = number_text(r, num, &n, &is_int)) < 0)
        return k;
    *out = to_double(num);
    if (!isfinite(*out))
        return fail_kind(r, "number out of range");
    return 0;
}

int
sw_jread_null(struct sw_jread *r)
{
    int t = sw_jread_peek(r), k;

    if (t != SW_JREAD_NULL)
        return t < 0 ? t : 0;
    k = literal(r, "null");
    return k < 0 ? k : 1;
}

static int
skip_value(struct sw_jread *r)
{
    char num[NUM_MAX];
    const char *key;
    size_t n;
    int t = sw_jread_peek(r), k = 0, is_int;

    if (t < 0)
        return t;
    switch (t) {
    case SW_JREAD_NONE: return fail_end(r, "text ends where a value should be");
    case SW_JREAD_OBJECT:
        if ((k = sw_jread_object(r)) < 0)
            return k;
        while ((k = sw_jread_member(r, &key)) == 1)
            if ((k = skip_value(r)) < 0)
                return k;
        return k;
    case SW_JREAD_ARRAY:
        if ((k = sw_jread_array(r)) < 0)
            return k;
        while ((k = sw_jread_element(r)) == 1)
            if ((k = skip_value(r)) < 0)
                return k;
        return k;
    case SW_JREAD_STRING: return string(r, &r->str);
    case SW_JREAD_NUMBER: return number_text(r, num, &n, &is_int);
    case SW_JREAD_TRUE: return literal(r, "true");
    case SW_JREAD_FALSE: return literal(r, "false");
    default: return literal(r, "null");
    }
}

int
sw_jread_skip(struct sw_jread *r, struct sw_buf *copy)
{
    size_t was = copy ? copy->len : 0;
    int k;

    if (!copy)
        return skip_value(r);
    /* The value's bytes are copied as they are read, a span at a time:
     * ws() ends a span before whitespace, refill() before a new piece. */
    if ((k = sw_jread_peek(r)) < 0)
        return k;
    r->copy = copy;
    r->copy_from = r->p;
    r->copy_err = 0;
    k = skip_value(r);
    if (k == 0)
        copy_span(r);
    r->copy = NULL;
    if (k == 0 && r->copy_err)
        k = r->copy_err == SW_ETOOBIG
                ? fail(r, "value too long")
                : fail_with(r, r->copy_err, 0, "out of memory");
    if (k < 0 && copy->data) {
        copy->len = was;
        copy->data[was] = '\0';
    }
    return k;
}

int
sw_jread_end(struct sw_jread *r)
{
    int c = r->err ? FAIL : ws(r);

    if (c == FAIL)
        return r->err;
    return c == END ? 0 : fail(r, "text after the end of the value");
}

int
sw_jread_newline(struct sw_jread *r)
{
    if (r->err)
        return r->err;
    for (;;) {
        int c = peekc(r);
        if (c == FAIL)
            return r->err;
        if (c == END)
            return fail_end(r, "line not ended");
        if (c == '\n') {
            r->p++;
            newline_read(r);
            return 0;
        }
        if (c != ' ' && c != '\t' && c != '\r')
            return fail(r, "expected the end of the line");
        r->p++;
    }
}

/* ---- writers ------------------------------------------------------------ */

/* Undo a writer's partial append. */
static int
undo(struct sw_buf *b, size_t was, int code)
{
    if (b->data) {
        b->len = was;
        b->data[was] = '\0';
    }
    return code;
}

int
sw_jwrite_stringn(struct sw_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t was = b->len, i = 0;
    int k;

    if ((k = sw_buf_addc(b, '"')) < 0)
        return k;
    while (i < n) {
        size_t run = i, len;
        unsigned char u;

        while (run < n) {
            u = (unsigned char)s[run];
            if (u < 0x20 || u == '"' || u == '\\' || u >= 0x80)
                break;
            run++;
        }
        if (run > i && (k = sw_buf_add(b, s + i, run - i)) < 0)
            return undo(b, was, k);
        i = run;
        if (i == n)
            break;
        u = (unsigned char)s[i];
        if (u >= 0x80) {
            len = sw_utf8_seq(s + i, n - i, NULL);
            k = len ? sw_buf_add(b, s + i, len)
                    : sw_buf_adds(b, SW_UTF8_REPLACEMENT);
            i += len ? len : 1;
        } else {
            char e[6] = {'\\', 0, 0, 0, 0, 0};
            size_t elen = 2;

            switch (u) {
            case '"': e[1] = '"'; break;
            case '\\': e[1] = '\\'; break;
            case '\b': e[1] = 'b'; break;
            case '\f': e[1] = 'f'; break;
            case '\n': e[1] = 'n'; break;
            case '\r': e[1] = 'r'; break;
            case '\t': e[1] = 't'; break;
            default:
                e[1] = 'u';
                e[2] = '0';
                e[3] = '0';
                e[4] = hex[u >> 4];
                e[5] = hex[u & 15];
                elen = 6;
            }
            k = sw_buf_add(b, e, elen);
            i++;
        }
        if (k < 0)
            return undo(b, was, k);
    }
    if ((k = sw_buf_addc(b, '"')) < 0)
        return undo(b, was, k);
    return 0;
}

int
sw_jwrite_string(struct sw_buf *b, const char *s)
{
    return sw_jwrite_stringn(b, s ? s : "", s ? strlen(s) : 0);
}

size_t
sw_jfmt_int(int64_t v, char out[SW_JFMT_MAX])
{
    char tmp[24];
    size_t n = 0, len = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        out[len++] = '-';
    while (n)
        out[len++] = tmp[--n];
    return len;
}

size_t
sw_jfmt_double(double v, char out[SW_JFMT_MAX])
{
    int n = 0;

    if (!isfinite(v))
        return 0;
    if (v == trunc(v) && fabs(v) < 9007199254740992.0) {
        if (v == 0 && signbit(v))
            out[n++] = '-';
        n += (int)sw_jfmt_int((int64_t)v, out + n);
        /* OUT is not NUL-terminated by contract (json_stream.h).
         * NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
        memcpy(out + n, ".0", 2);
        return (size_t)n + 2;
    }
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(out, SW_JFMT_MAX - 2, "%.*g", prec, v);
        if (n <= 0 || n >= SW_JFMT_MAX - 2)
            return 0;
        if (prec == 17 || strtod(out, NULL) == v)
            break;
    }
    /* A double reads as one: "1e+16" is, "10000000000000000" is not. */
    if (!strpbrk(out, ".eE")) {
        /* OUT is not NUL-terminated by contract (json_stream.h).
         * NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
        memcpy(out + n, ".0", 2);
        n += 2;
    }
    return (size_t)n;
}

int
sw_jwrite_int(struct sw_buf *b, int64_t v)
{
    char out[SW_JFMT_MAX];

    return sw_buf_add(b, out, sw_jfmt_int(v, out));
}

int
sw_jwrite_double(struct sw_buf *b, double v)
{
    char out[SW_JFMT_MAX];
    size_t n = sw_jfmt_double(v, out);

    return n ? sw_buf_add(b, out, n) : SW_EINVAL;
}
