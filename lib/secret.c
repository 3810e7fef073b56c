/* lib/secret.c - wiped secret storage; see secret.h. */
#include "config.h"

#include "lib/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/log.h"

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

/* warn_unprotected - the warnings of secret.h for PATH, open as FD with
 * the status ST; VIA_LINK when PATH named a symbolic link. */
static void
warn_unprotected(const char *path, int fd, int via_link, const struct stat *st)
{
    uid_t euid = geteuid();

    if (via_link) {
        char proc[64], target[PATH_MAX];
        ssize_t n;

        /* Where the open descriptor leads, not a second readlink(PATH):
         * the link may have changed since. */
        (void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        n = readlink(proc, target, sizeof(target) - 1);
        if (n > 0) {
            target[n] = '\0';
            sw_log_warn("secret file '%s' is a symbolic link (to '%s'); "
                        "name the file itself",
                        path, target);
        } else {
            sw_log_warn("secret file '%s' is a symbolic link; name the file "
                        "itself",
                        path);
        }
    }
    if (st->st_mode & (S_IRWXG | S_IRWXO))
        sw_log_warn(
            "secret file '%s' is %s by group or others (mode %04o); "
            "chmod 600 it",
            path, st->st_mode & (S_IRGRP | S_IROTH) ? "readable" : "accessible",
            (unsigned)(st->st_mode & 07777));
    if (st->st_uid != euid)
        sw_log_warn("secret file '%s' is owned by uid %lu, not by the "
                    "agent's uid %lu; chown it",
                    path, (unsigned long)st->st_uid, (unsigned long)euid);
}

int
sw_secret_read_file(struct sw_secret *sec, const char *path)
{
    struct stat st;
    char *data = NULL;
    size_t len = 0;
    int fd, r = SW_EIO, via_link = 0;

    /* O_NOFOLLOW fails with ELOOP on a symbolic link: note it and follow
     * it after all (a warning, not a refusal). */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ELOOP) {
        via_link = 1;
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0)
        return errno == ENOENT ? SW_ENOENT : SW_EIO;
    if (fstat(fd, &st) < 0)
        goto out;
    warn_unprotected(path, fd, via_link, &st);
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
