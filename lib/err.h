/* lib/err.h - the project's error codes.
 *
 * Every function that can fail returns int: 0 (or a non-negative count) on
 * success, one of the negative SW_E* codes below on failure, the way
 * OpenSSH returns SSH_ERR_*.  sw_strerror() turns a code into a short
 * lower-case phrase for log lines.  No dependencies.
 */
#ifndef SW_LIB_ERR_H
#define SW_LIB_ERR_H

#include <stddef.h>

enum sw_err {
    SW_OK = 0,
    SW_EINTERNAL = -1,   /* a bug: a state that should not happen */
    SW_ENOMEM = -2,      /* allocation failed */
    SW_EINVAL = -3,      /* invalid argument or input value */
    SW_EPARSE = -4,      /* malformed input (config, JSON, XML, CSV) */
    SW_ETOOBIG = -5,     /* input larger than its cap */
    SW_EIO = -6,         /* read/write/rename failed; see errno */
    SW_ENOENT = -7,      /* file, profile or key not found */
    SW_EHTTP = -8,       /* transport error: connect, TLS, reset */
    SW_ETIMEDOUT = -9,   /* connect or total timeout */
    SW_EAWS = -10,       /* AWS answered with an error (code in reply) */
    SW_ETHROTTLED = -11, /* AWS throttled us after all retries */
    SW_EAUTH = -12,      /* credentials missing, rejected or expired */
    SW_ECREDS = -13,     /* no credentials found in the chain */
    SW_EPROC = -14,      /* a child process failed */
    SW_ERANGE = -15,     /* number out of range */
    SW_EEXIST = -16,     /* duplicate */
    SW_ECANCELED = -17,  /* stopped by a signal */
};

/* sw_strerror - a static phrase for an SW_E* code ("out of memory").
 * Returns: borrowed, static storage. */
const char *sw_strerror(int err);

/* sw_err_set - format a one-line reason into ERR (ERRLEN bytes), the
 * "char *err, size_t errlen" out-parameter many functions take.  A NULL
 * or empty ERR is accepted; a message cut short is still a message, so
 * truncation is not reported. */
void sw_err_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
