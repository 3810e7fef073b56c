/* lib/utf8.c - UTF-8 helpers; see utf8.h. */
#include "config.h"

#include "lib/utf8.h"

#include <string.h>

#include "lib/err.h"

size_t
sw_utf8_seq(const char *s, size_t n, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    uint32_t c;
    size_t len;

    if (n == 0)
        return 0;
    if (u[0] < 0x80) {
        if (cp)
            *cp = u[0];
        return 1;
    }
    if (u[0] >= 0xc2 && u[0] <= 0xdf) {
        len = 2;
        c = u[0] & 0x1f;
    } else if (u[0] >= 0xe0 && u[0] <= 0xef) {
        len = 3;
        c = u[0] & 0x0f;
    } else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
        len = 4;
        c = u[0] & 0x07;
    } else {
        return 0; /* a continuation byte, 0xc0, 0xc1 or 0xf5..0xff */
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((u[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (u[i] & 0x3f);
    }
    /* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
    if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
        (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
        return 0;
    if (cp)
        *cp = c;
    return len;
}

long
sw_utf8_count(const char *s, size_t n)
{
    size_t i = 0;
    long count = 0;

    while (i < n) {
        size_t len = sw_utf8_seq(s + i, n - i, NULL);

        if (len == 0 || s[i] == '\0')
            return -1;
        i += len;
        count++;
    }
    return count;
}

int
sw_utf8_valid(const char *s, size_t n)
{
    return sw_utf8_count(s, n) >= 0;
}

size_t
sw_utf8_chars(const char *s, size_t n)
{
    size_t i = 0, count = 0;

    while (i < n) {
        size_t len = sw_utf8_seq(s + i, n - i, NULL);

        i += len ? len : 1;
        count++;
    }
    return count;
}

size_t
sw_utf8_prefix(const char *s, size_t n, size_t max_bytes)
{
    size_t i = 0;

    while (i < n) {
        size_t len = sw_utf8_seq(s + i, n - i, NULL);

        if (len == 0)
            len = 1; /* a stray byte is a character of its own */
        if (i + len > max_bytes)
            break;
        i += len;
    }
    return i;
}

size_t
sw_utf8_prefix_chars(const char *s, size_t n, size_t nchars)
{
    size_t i = 0;

    while (i < n && nchars > 0) {
        size_t len = sw_utf8_seq(s + i, n - i, NULL);

        i += len ? len : 1;
        nchars--;
    }
    return i;
}

int
sw_utf8_repair(struct sw_buf *b, const char *s, size_t n)
{
    size_t i = 0;
    int r = 0;

    while (r == 0 && i < n) {
        size_t len = sw_utf8_seq(s + i, n - i, NULL), run = i;

        if (len == 0) {
            r = sw_buf_add(b, SW_UTF8_REPLACEMENT, 3);
            i++;
            continue;
        }
        /* copy a run of valid sequences at once */
        while (len > 0) {
            run += len;
            len = sw_utf8_seq(s + run, n - run, NULL);
        }
        r = sw_buf_add(b, s + i, run - i);
        i = run;
    }
    return r;
}

char *
sw_utf8_repair_dup(const char *s)
{
    struct sw_buf b;
    size_t n;

    if (!s)
        return NULL;
    n = strlen(s);
    /* each byte grows to three bytes at most */
    sw_buf_init(&b, n * 3 + 1);
    if (sw_utf8_repair(&b, s, n) < 0) {
        sw_buf_release(&b);
        return NULL;
    }
    return sw_buf_steal(&b, NULL);
}
