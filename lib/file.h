/* lib/file.h - file-system helpers for the modules that keep durable
 * files (agent/state, notifiers/outbox).  Each returns 0 or a negative
 * SW_E* code with errno left as the failing call set it.
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

#endif
