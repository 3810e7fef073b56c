/* lib/file.c - file-system helpers; see file.h. */
#include "config.h"

#include "lib/file.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

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
