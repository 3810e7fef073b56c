/* lib/file.c - file-system helpers; see file.h. */
#include "config.h"

#include "lib/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/str.h"

int
sw_file_mkdirs(const char *dir, mode_t mode)
{
    char path[4096];
    size_t len = sw_strlcpy(path, dir, sizeof(path));

    if (len >= sizeof(path))
        return SW_EINVAL;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, mode) < 0 && errno != EEXIST)
            return SW_EIO;
        *p = '/';
    }
    if (mkdir(path, mode) < 0 && errno != EEXIST)
        return SW_EIO;
    return 0;
}

int
sw_file_write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;

    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return SW_EIO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int
sw_file_read(const char *path, struct sw_buf *b, char *err, size_t errlen)
{
    char chunk[65536];
    struct stat sb;
    int fd, r = SW_EIO;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return SW_ENOENT;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return SW_EIO;
    }
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        goto out;
    }
    if ((unsigned long long)sb.st_size > b->cap) {
        r = SW_ETOOBIG;
        goto out;
    }
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            r = SW_EIO;
            goto out;
        }
        if (got == 0)
            break;
        /* The file may grow after the fstat(). */
        r = sw_buf_add(b, chunk, (size_t)got);
        if (r < 0)
            goto out;
    }
    r = 0;
out:
    if (r == SW_ETOOBIG)
        snprintf(err, errlen, "%s: larger than %zu bytes", path, b->cap);
    else if (r == SW_ENOMEM)
        snprintf(err, errlen, "%s: out of memory", path);
    close(fd);
    return r;
}

/* A new or renamed name is durable only once its directory is on disk.
 * Returns 0, or -1 with errno set. */
static int
fsync_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r, e;

    if (dfd < 0)
        return -1;
    r = fsync(dfd);
    e = errno;
    close(dfd);
    errno = e;
    return r;
}

int
sw_file_replace(const char *dir, const char *name, const char *text,
                mode_t mode, char *err, size_t errlen)
{
    char path[4096], tmp[4096];
    int fd = -1, r = SW_EIO, oerrno = 0, tmp_made = 0, n, m;
    const char *failed_at = tmp;

    n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    m = snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
    if (n < 0 || (size_t)n >= sizeof(path) || m < 0 ||
        (size_t)m >= sizeof(tmp)) {
        snprintf(err, errlen, "%s: directory path too long", dir);
        return SW_EINVAL;
    }
    if (sw_file_mkdirs(dir, 0750) < 0) {
        oerrno = errno;
        failed_at = dir;
        goto out;
    }
    /* O_EXCL: never write through a file or link someone else put there.
     * A leftover from a crash is ours (one writer per file): remove it
     * once and retry. */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                  mode);
    if (fd < 0) {
        oerrno = errno;
        goto out;
    }
    tmp_made = 1;
    /* The umask may have taken bits away; MODE is what we promise. */
    if (fchmod(fd, mode) < 0 || sw_file_write_all(fd, text, strlen(text)) < 0 ||
        sw_file_write_all(fd, "\n", 1) < 0 || fsync(fd) < 0) {
        oerrno = errno;
        goto out;
    }
    n = close(fd);
    fd = -1;
    if (n < 0) {
        oerrno = errno;
        goto out;
    }
    if (rename(tmp, path) < 0) {
        oerrno = errno;
        failed_at = path;
        goto out;
    }
    tmp_made = 0;
    if (fsync_dir(dir) < 0) {
        oerrno = errno;
        failed_at = dir;
        goto out;
    }
    r = 0;
out:
    if (r < 0)
        snprintf(err, errlen, "%s: %s", failed_at, strerror(oerrno));
    if (fd >= 0)
        close(fd);
    if (tmp_made)
        unlink(tmp);
    return r;
}

int
sw_file_keep(const char *dir, const char *name, const char *keep, char *err,
             size_t errlen)
{
    char path[4096], dst[4096], tmp[4096];
    const char *failed_at = tmp;
    int r = SW_EIO, oerrno = 0, n, m, k;

    n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    m = snprintf(dst, sizeof(dst), "%s/%s", dir, keep);
    k = snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, keep);
    if (n < 0 || (size_t)n >= sizeof(path) || m < 0 ||
        (size_t)m >= sizeof(dst) || k < 0 || (size_t)k >= sizeof(tmp)) {
        snprintf(err, errlen, "%s: directory path too long", dir);
        return SW_EINVAL;
    }
    /* link() never replaces, rename() does so atomically: a reader sees
     * the old KEEP or the new one, never none.  A leftover from a crash
     * is ours (one writer per file). */
    (void)unlink(tmp);
    if (link(path, tmp) < 0) {
        oerrno = errno;
        if (oerrno == ENOENT || oerrno == ENOTDIR)
            return SW_ENOENT;
        failed_at = path;
        goto out;
    }
    if (rename(tmp, dst) < 0) {
        oerrno = errno;
        failed_at = dst;
        (void)unlink(tmp);
        goto out;
    }
    if (fsync_dir(dir) < 0) {
        oerrno = errno;
        failed_at = dir;
        goto out;
    }
    r = 0;
out:
    if (r < 0)
        snprintf(err, errlen, "%s: %s", failed_at, strerror(oerrno));
    return r;
}

int
sw_file_check_writable(const char *dir, char *err, size_t errlen)
{
    /* A page's worth: a file system with a few bytes left can still fail
     * the real files, which are larger. */
    static const char probe[4096];
    char path[4096];
    const char *what = "open";
    int fd = -1, r = SW_EIO, oerrno = 0, n;

    n = snprintf(path, sizeof(path), "%s/.write-test.%ld", dir, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(path)) {
        snprintf(err, errlen, "directory path too long");
        return SW_EINVAL;
    }
    fd =
        open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        oerrno = errno;
        goto out;
    }
    what = "write";
    if (sw_file_write_all(fd, probe, sizeof(probe)) < 0) {
        oerrno = errno;
        goto out;
    }
    what = "fsync";
    if (fsync(fd) < 0) {
        oerrno = errno;
        goto out;
    }
    r = 0;
out:
    if (r < 0)
        snprintf(err, errlen, "%s: %s", what, strerror(oerrno));
    if (fd >= 0) {
        close(fd);
        (void)unlink(path);
    }
    return r;
}
