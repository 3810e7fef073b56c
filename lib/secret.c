/* lib/secret.c - wiped secret storage; see secret.h. */
#include "config.h"

#include "lib/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"

#define SECRET_FILE_MAX (64 * 1024)

void
sw_memzero(void *p, size_t n)
{
    if (!p || !n)
        return;
#ifdef HAVE_EXPLICIT_BZERO
    explicit_bzero(p, n);
#else
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
#endif
}

void
sw_secret_release(struct sw_secret *sec)
{
    if (!sec)
        return;
    if (sec->s) {
        sw_memzero(sec->s, sec->len);
        free(sec->s);
    }
    sec->s = NULL;
    sec->len = 0;
}

int
sw_secret_set(struct sw_secret *sec, const char *p, size_t n)
{
    char *c = malloc(n + 1);

    if (!c)
        return SW_ENOMEM;
    memcpy(c, p, n);
    c[n] = '\0';
    sw_secret_release(sec);
    sec->s = c;
    sec->len = n;
    return 0;
}

void
sw_secret_set_take(struct sw_secret *sec, char *p)
{
    sw_secret_release(sec);
    sec->s = p;
    sec->len = p ? strlen(p) : 0;
}

int
sw_secret_copy(struct sw_secret *dst, const struct sw_secret *src)
{
    if (!src->s) {
        sw_secret_release(dst);
        return 0;
    }
    return sw_secret_set(dst, src->s, src->len);
}

int
sw_secret_read_file(struct sw_secret *sec, const char *path)
{
    char *data = NULL;
    size_t len = 0;
    int fd, r = SW_EIO;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? SW_ENOENT : SW_EIO;
    data = malloc(SECRET_FILE_MAX + 1);
    if (!data) {
        r = SW_ENOMEM;
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, data + len, SECRET_FILE_MAX + 1 - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r = SW_EIO;
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > SECRET_FILE_MAX) {
            r = SW_ETOOBIG;
            goto out;
        }
    }
    if (len && data[len - 1] == '\n')
        len--;
    if (len && data[len - 1] == '\r')
        len--;
    if (len == 0) {
        r = SW_EINVAL;
        goto out;
    }
    r = sw_secret_set(sec, data, len);
out:
    if (data) {
        sw_memzero(data, SECRET_FILE_MAX + 1);
        free(data);
    }
    close(fd);
    return r;
}
