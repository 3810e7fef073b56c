/* lib/secret.h - holders for secrets that are wiped when released.
 *
 * AWS secret keys, session tokens, SMTP passwords and webhook keys live in
 * a struct sw_secret.  Releasing it zeroes the bytes with a store the
 * compiler may not drop (explicit_bzero) before free(), as OpenSSH's
 * freezero() does.  Secrets are never logged: there is deliberately no
 * accessor that formats them.
 */
#ifndef SW_LIB_SECRET_H
#define SW_LIB_SECRET_H

#include <stddef.h>

struct sw_secret {
    char *s; /* NUL-terminated, or NULL when unset */
    size_t len;
};

/* sw_memzero - zero N bytes in a way the optimiser keeps. */
void sw_memzero(void *p, size_t n);

/* sw_secret_set - copy N bytes of P into the secret (wiping any previous
 * value).  Returns 0 or SW_ENOMEM. */
int sw_secret_set(struct sw_secret *sec, const char *p, size_t n);
/* sw_secret_set_take - take ownership of the malloc'd NUL-terminated P. */
void sw_secret_set_take(struct sw_secret *sec, char *p);
/* sw_secret_copy - DST = a copy of SRC.  Returns 0 or SW_ENOMEM. */
int sw_secret_copy(struct sw_secret *dst, const struct sw_secret *src);
/* sw_secret_release - wipe and free; sec is unset afterwards. NULL ok. */
void sw_secret_release(struct sw_secret *sec);

/* sw_secret_read_file - read a secret from PATH: the whole file, one
 * trailing newline (LF or CRLF) removed; at most 64 KiB.  Refuses empty
 * files.  Returns 0, SW_ENOENT, SW_EIO, SW_ETOOBIG or SW_EINVAL.
 *
 * The file is judged as ssh judges a private key, but with warnings
 * (sw_log_warn, one line each, naming PATH) instead of a refusal, so a
 * notification still goes out while the operator fixes the file:
 *   - PATH is a symbolic link (whoever can change the link can swap the
 *     secret); the warning also names the file it led to;
 *   - group or others have any access to the file (mode & 077);
 *   - the file belongs to another user than the effective uid.
 * The checks are made on the descriptor that is read (open with
 * O_NOFOLLOW, then fstat), never on a second lookup of PATH, so what was
 * checked is what was read.  They run on every read, that is on every
 * delivery attempt of the notifiers that read their secrets afresh. */
int sw_secret_read_file(struct sw_secret *sec, const char *path);

#endif
