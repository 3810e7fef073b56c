/* lib/err.c - phrases for the SW_E* codes. */
#include "config.h"

#include "lib/err.h"

#include <stdarg.h>
#include <stdio.h>

const char *
sw_strerror(int err)
{
    switch (err) {
    case SW_OK: return "success";
    case SW_EINTERNAL: return "internal error";
    case SW_ENOMEM: return "out of memory";
    case SW_EINVAL: return "invalid argument";
    case SW_EPARSE: return "malformed input";
    case SW_ETOOBIG: return "input too large";
    case SW_EIO: return "input/output error";
    case SW_ENOENT: return "not found";
    case SW_EHTTP: return "transport error";
    case SW_ETIMEDOUT: return "timed out";
    case SW_EAWS: return "AWS returned an error";
    case SW_ETHROTTLED: return "throttled";
    case SW_EAUTH: return "authentication failed";
    case SW_ECREDS: return "no credentials";
    case SW_EPROC: return "child process failed";
    case SW_ERANGE: return "value out of range";
    case SW_EEXIST: return "already exists";
    case SW_ECANCELED: return "canceled";
    }
    return "unknown error";
}

void
sw_err_set(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || !errlen)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
