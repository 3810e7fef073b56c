/* lib/buf.h - a growable byte buffer with a hard cap.
 *
 * Every buffer filled from the network or a file is created with the most
 * it may ever hold (curl's dynbuf "toobig"): growing past the cap fails with
 * SW_ETOOBIG instead of reallocating forever.  The data is always followed
 * by a NUL byte that is not counted in len, so text can be used as a C
 * string.  A struct sw_buf is owned by the caller (usually on the stack):
 * sw_buf_init() allocates nothing, sw_buf_release() frees the contents.
 * If a secret was ever stored, release with sw_buf_wipe().
 */
#ifndef SW_LIB_BUF_H
#define SW_LIB_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "lib/log.h"

struct sw_buf {
    char *data;   /* NULL until the first append; else NUL-terminated */
    size_t len;   /* bytes used, excluding the terminating NUL */
    size_t alloc; /* bytes allocated */
    size_t cap;   /* most bytes len may reach */
};

/* sw_buf_init - empty buffer that may hold up to CAP bytes. */
void sw_buf_init(struct sw_buf *b, size_t cap);
/* sw_buf_release - free the contents; the buffer is empty afterwards and can
 * be reused with the same cap. NULL is accepted. */
void sw_buf_release(struct sw_buf *b);
/* sw_buf_wipe - like release, zeroing the bytes first (secrets). */
void sw_buf_wipe(struct sw_buf *b);
/* sw_buf_reset - len = 0, keep the allocation. */
void sw_buf_reset(struct sw_buf *b);

/* Append; return 0, SW_ETOOBIG when the cap would be exceeded (the buffer
 * is left unchanged) or SW_ENOMEM. */
int sw_buf_add(struct sw_buf *b, const void *p, size_t n);
int sw_buf_adds(struct sw_buf *b, const char *s);
int sw_buf_addc(struct sw_buf *b, char c);
int sw_buf_addf(struct sw_buf *b, const char *fmt, ...) SW_PRINTF(2, 3);
int sw_buf_vaddf(struct sw_buf *b, const char *fmt, va_list ap) SW_PRINTF(2, 0);

/* sw_buf_str - the contents as a C string ("" when empty).
 * Returns: borrowed, valid until the next change to b. */
const char *sw_buf_str(const struct sw_buf *b);

/* sw_buf_steal - hand the contents over as a malloc'd NUL-terminated
 * string ("" allocated when empty) and leave b empty.
 * Returns: new (free()), or NULL on allocation failure. */
char *sw_buf_steal(struct sw_buf *b, size_t *len);

#endif
