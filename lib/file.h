/* lib/file.h - file-system helpers for the modules that keep durable
 * files (agent/store, agent/discover, notifiers/outbox).  Each returns 0
 * or a negative SW_E* code with errno left as the failing call set it.
 */
#ifndef SW_LIB_FILE_H
#define SW_LIB_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* sw_file_mkdirs - mkdir -p DIR, creating missing parts with MODE.
 * Returns 0, SW_EINVAL (path too long) or SW_EIO. */
int sw_file_mkdirs(const char *dir, mode_t mode);

/* sw_file_write_all - write all N bytes of P to FD, retrying after EINTR
 * and short writes.  Returns 0 or SW_EIO. */
int sw_file_write_all(int fd, const void *p, size_t n);

struct sw_buf;

/* sw_file_read - append the whole regular file PATH to B, whose cap is the
 * most it may hold.  Returns 0; SW_ENOENT when PATH (or a directory on the
 * way) does not exist, ERR untouched; or, with a one-line ERR naming PATH:
 * SW_ETOOBIG (larger than B's cap), SW_EIO (not a regular file, or a read
 * error), SW_ENOMEM. */
int sw_file_read(const char *path, struct sw_buf *b, char *err, size_t errlen);

/* sw_file_replace - make DIR/NAME hold TEXT and a newline, atomically: a
 * temporary DIR/.NAME.tmp (O_EXCL and O_NOFOLLOW, so nothing is written
 * through a file or link someone else put there; a leftover from a crash
 * is removed once), chmod MODE whatever the umask, fsync, rename over
 * DIR/NAME, fsync DIR.  A crash leaves either the old or the new file.
 * With KEEP (NULL: none) the DIR/NAME being replaced first becomes DIR/KEEP
 * (a hard link, atomically replacing an older DIR/KEEP), for a reader to
 * fall back on; the one fsync of DIR covers both names, and a failure to
 * keep is logged, not returned.  DIR is created (0750) when missing.  One
 * writer per DIR/NAME.
 * Returns 0, SW_EINVAL (path too long) or SW_EIO, with ERR naming the path
 * and the error. */
int sw_file_replace(const char *dir, const char *name, const char *keep,
                    const char *text, mode_t mode, char *err, size_t errlen);

/* sw_file_replace_with - sw_file_replace() of a file too large to build
 * in memory first: FILL(FD, ARG) writes the contents (no newline is
 * added) and returns 0 or a negative SW_E* code (SW_EIO with errno set),
 * which is returned, DIR/NAME left as it was and ERR naming the
 * temporary file and the error. */
int sw_file_replace_with(const char *dir, const char *name, const char *keep,
                         mode_t mode, int (*fill)(int fd, void *arg), void *arg,
                         char *err, size_t errlen);

/* sw_file_check_writable - create, write, fsync and remove a small
 * probe file in DIR, so that a read-only or full file system, or a
 * directory we may not write, shows before any real file depends on it.
 * Returns 0, SW_EINVAL (path too long) or SW_EIO with ERR saying what
 * failed ("open: Read-only file system"). */
int sw_file_check_writable(const char *dir, char *err, size_t errlen);

#endif
