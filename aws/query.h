/* aws/query.h - AWS Query protocol request bodies (SNS, STS).
 *
 * Builds the application/x-www-form-urlencoded body of a Query POST
 * (Amazon EC2 API Reference, "Query requests"):
 * "Action=Op&Version=V&Key=Value...", keys and values RFC 3986 percent-encoded
 * (unreserved A-Za-z0-9-_.~ kept, a space is %20, everything else %XX
 * upper-case), pairs in the order they were added.  The body is hashed verbatim
 * by SigV4, so it is built once and sent as is.  Lists and structures are the
 * caller's job: it passes the flattened keys ("Dimensions.member.1.Name").
 * Pure: no I/O.
 *
 * Errors are sticky: after the first failed add every later add returns
 * the same code and appends nothing, so a caller may add a run of pairs
 * and check only the last return value (or sw_query_error()).
 */
#ifndef SW_AWS_QUERY_H
#define SW_AWS_QUERY_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/log.h"

/* SNS messages are up to 256 KiB; percent-encoding can triple them. */
#define SW_QUERY_MAX_BODY (1024u * 1024)

struct sw_query {
    struct sw_buf body; /* capped at SW_QUERY_MAX_BODY */
    int err;            /* first error, 0 while all adds succeeded */
};

/* sw_query_init - start a body with Action=ACTION&Version=VERSION.
 * Q is the caller's (usually on the stack); release it with
 * sw_query_release() whatever this returns.
 * Returns 0, SW_EINVAL (ACTION or VERSION NULL or empty) or SW_ENOMEM. */
int sw_query_init(struct sw_query *q, const char *action, const char *version);

/* sw_query_add - append "&KEY=VALUE", both encoded.  VALUE "" gives
 * "KEY=" (how the Query protocol sends an empty list).  KEY and VALUE are
 * borrowed.  Returns 0, SW_EINVAL (KEY empty or NULL, VALUE NULL),
 * SW_ETOOBIG (the body would pass its cap) or SW_ENOMEM. */
int sw_query_add(struct sw_query *q, const char *key, const char *value);

/* sw_query_add_len - the same with a counted VALUE (may hold any byte). */
int sw_query_add_len(struct sw_query *q, const char *key, const char *value,
                     size_t len);

/* sw_query_addf - the same with a printf-formatted value ("%d", "%.17g");
 * the formatted text is encoded like any value. */
int sw_query_addf(struct sw_query *q, const char *key, const char *fmt, ...)
    SW_PRINTF(3, 4);

/* sw_query_error - the first error of any add (0 when none). */
int sw_query_error(const struct sw_query *q);

/* sw_query_body / sw_query_len - the body so far.
 * Returns: borrowed, valid until the next add or sw_query_release(). */
const char *sw_query_body(const struct sw_query *q);
size_t sw_query_len(const struct sw_query *q);

/* sw_query_release - free the body; NULL is accepted.  The body may hold
 * secrets (a webhook token in an SNS message), so it is wiped. */
void sw_query_release(struct sw_query *q);

#endif
