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
#include "lib/log.h"
#include "lib/str.h"

#define PATH_BUF 4096 /* a path we build: DIR/NAME and its temporary */

int
sw_file_mkdirs(const char *dir, mode_t mode)
{
    char path[PATH_BUF];
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
 * Returns 0, or SW_EIO with errno set. */
static int
fsync_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r, e;

    if (dfd < 0)
        return SW_EIO;
    r = fsync(dfd);
    e = errno;
    close(dfd);
    errno = e;
    return r < 0 ? SW_EIO : 0;
}

/* DIR/NAME, or with TMP the temporary DIR/.NAME.tmp it is written as,
 * into BUF.  Returns 0, or SW_EINVAL when it does not fit. */
static int
path_in(char buf[PATH_BUF], const char *dir, const char *name, int tmp)
{
    int n = tmp ? snprintf(buf, PATH_BUF, "%s/.%s.tmp", dir, name)
                : snprintf(buf, PATH_BUF, "%s/%s", dir, name);

    return n < 0 || n >= PATH_BUF ? SW_EINVAL : 0;
}

/* Rename TMP over DST, then make the new name durable (fsync DIR).
 * Returns 0, or SW_EIO with errno set and *FAILED_AT the path that
 * failed: DST when the rename did (TMP is still there), DIR after it. */
static int
publish(const char *tmp, const char *dst, const char *dir,
        const char **failed_at)
{
    if (rename(tmp, dst) < 0) {
        *failed_at = dst;
        return SW_EIO;
    }
    if (fsync_dir(dir) < 0) {
        *failed_at = dir;
        return SW_EIO;
    }
    return 0;
}

/* Make DIR/KEEP a second name of PATH (a hard link, no copy), replacing
 * an older DIR/KEEP atomically: link() never replaces, rename() does, so
 * a reader sees the old KEEP or the new one, never none.  Not fsync'd:
 * the caller's publish() fsyncs DIR once for both names.  Logged, not
 * fatal: the file being written matters more than its predecessor.  A
 * missing PATH (the first save) keeps nothing. */
static void
keep_previous(const char *path, const char *dir, const char *keep)
{
    char dst[PATH_BUF], tmp[PATH_BUF];

    if (path_in(dst, dir, keep, 0) < 0 || path_in(tmp, dir, keep, 1) < 0) {
        sw_log_warn("%s/%s: path too long; previous version not kept", dir,
                    keep);
        return;
    }
    (void)unlink(tmp); /* a leftover from a crash is ours */
    if (link(path, tmp) < 0) {
        if (errno != ENOENT && errno != ENOTDIR)
            sw_log_warn("cannot keep the previous %s as %s: %s", path, dst,
                        strerror(errno));
        return;
    }
    if (rename(tmp, dst) < 0) {
        sw_log_warn("cannot keep the previous %s as %s: %s", path, dst,
                    strerror(errno));
        (void)unlink(tmp);
    }
}

int
sw_file_replace_with(const char *dir, const char *name, const char *keep,
                     mode_t mode, int (*fill)(int fd, void *arg), void *arg,
                     char *err, size_t errlen)
{
    char path[PATH_BUF], tmp[PATH_BUF];
    int fd = -1, r = SW_EIO, oerrno = 0, tmp_made = 0, n;
    const char *failed_at = tmp;

    if (path_in(path, dir, name, 0) < 0 || path_in(tmp, dir, name, 1) < 0) {
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
    if (fchmod(fd, mode) < 0) {
        oerrno = errno;
        goto out;
    }
    r = fill(fd, arg);
    if (r < 0) {
        oerrno = errno;
        goto out;
    }
    r = SW_EIO;
    if (fsync(fd) < 0) {
        oerrno = errno;
        goto out;
    }
    n = close(fd);
    fd = -1;
    if (n < 0) {
        oerrno = errno;
        goto out;
    }
    if (keep)
        keep_previous(path, dir, keep);
    if (publish(tmp, path, dir, &failed_at) < 0) {
        oerrno = errno;
        tmp_made = failed_at == path; /* a failed rename leaves it */
        goto out;
    }
    tmp_made = 0;
    r = 0;
out:
    if (r == SW_EIO)
        snprintf(err, errlen, "%s: %s", failed_at, strerror(oerrno));
    else if (r < 0)
        snprintf(err, errlen, "%s: %s", failed_at, sw_strerror(r));
    if (fd >= 0)
        close(fd);
    if (tmp_made)
        unlink(tmp);
    return r;
}

struct text_arg {
    const char *text;
};

/* sw_file_replace()'s contents: the text and a newline. */
static int
fill_text(int fd, void *arg)
{
    const char *text = ((const struct text_arg *)arg)->text;

    if (sw_file_write_all(fd, text, strlen(text)) < 0 ||
        sw_file_write_all(fd, "\n", 1) < 0)
        return SW_EIO;
    return 0;
}

int
sw_file_replace(const char *dir, const char *name, const char *keep,
                const char *text, mode_t mode, char *err, size_t errlen)
{
    struct text_arg a = {text};

    return sw_file_replace_with(dir, name, keep, mode, fill_text, &a, err,
                                errlen);
}

int
sw_file_check_writable(const char *dir, char *err, size_t errlen)
{
    /* A page's worth: a file system with a few bytes left can still fail
     * the real files, which are larger. */
    static const char probe[4096];
    char path[PATH_BUF];
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
