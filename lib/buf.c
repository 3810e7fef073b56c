/* lib/buf.c - capped growable buffer; see buf.h. */
#include "config.h"

#include "lib/buf.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/secret.h"

void
sw_buf_init(struct sw_buf *b, size_t cap)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->cap = cap;
}

void
sw_buf_release(struct sw_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
}

void
sw_buf_wipe(struct sw_buf *b)
{
    if (!b)
        return;
    if (b->data)
        sw_memzero(b->data, b->alloc);
    sw_buf_release(b);
}

void
sw_buf_reset(struct sw_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int
reserve(struct sw_buf *b, size_t n)
{
    size_t need, want;
    char *p;

    /* Room for N more bytes and the NUL: with a cap of SIZE_MAX ("no cap
     * of its own"), CAP + 1 does not exist, so the NUL is counted here. */
    if (n > b->cap || b->len > b->cap - n || b->len + n == SIZE_MAX)
        return SW_ETOOBIG;
    need = b->len + n + 1;
    if (need <= b->alloc)
        return 0;
    want = b->alloc ? b->alloc : 64;
    while (want < need)
        want = want > SIZE_MAX / 2 ? need : want * 2;
    if (b->cap < SIZE_MAX && want > b->cap + 1)
        want = b->cap + 1;
    p = realloc(b->data, want);
    if (!p)
        return SW_ENOMEM;
    b->data = p;
    b->alloc = want;
    return 0;
}

int
sw_buf_add(struct sw_buf *b, const void *p, size_t n)
{
    int r = reserve(b, n);

    if (r < 0)
        return r;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int
sw_buf_adds(struct sw_buf *b, const char *s)
{
    return sw_buf_add(b, s, strlen(s));
}

int
sw_buf_addc(struct sw_buf *b, char c)
{
    return sw_buf_add(b, &c, 1);
}

int
sw_buf_vaddf(struct sw_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    int n, r;

    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return SW_EINVAL;
    r = reserve(b, (size_t)n);
    if (r < 0)
        return r;
    (void)vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int
sw_buf_addf(struct sw_buf *b, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = sw_buf_vaddf(b, fmt, ap);
    va_end(ap);
    return r;
}

const char *
sw_buf_str(const struct sw_buf *b)
{
    return b->data ? b->data : "";
}

char *
sw_buf_steal(struct sw_buf *b, size_t *len)
{
    char *p = b->data;

    if (!p)
        p = calloc(1, 1);
    if (len)
        *len = p ? b->len : 0;
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    return p;
}
