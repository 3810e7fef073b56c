/* aws/sigv4.h - AWS Signature Version 4 (header signing).
 *
 * Our own signer rather than CURLOPT_AWS_SIGV4: libcurl 7.88 stamps its own
 * clock (no skew correction) and has signing bugs fixed only in 8.3.
 * Implements the steps of the IAM User Guide page "Create a signed AWS API
 * request" exactly: canonical URI (segments URI-encoded; "." and ".." and
 * duplicate slashes removed when normalize_path is set, as for every
 * service but S3), canonical query (sorted, RFC 3986 re-encoded),
 * canonical headers (lower-cased, values trimmed and inner spaces
 * collapsed, repeated headers joined with ","), signed headers, payload
 * SHA-256, string to sign, derived key, signature.  Passes the official
 * AWS SigV4 test suite.  The digests come from lib/hash.
 * Pure: no I/O, no clock (the caller passes the time).
 */
#ifndef SW_AWS_SIGV4_H
#define SW_AWS_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "lib/buf.h"

struct sw_sigv4_header {
    const char *name;
    const char *value;
};

struct sw_sigv4_req {
    const char *method; /* "POST" */
    const char *path;   /* path as sent, e.g. "/"; every byte
                           outside A-Za-z0-9-_.~/ is percent-encoded
                           again, so an already encoded path comes
                           out double-encoded as every service but
                           S3 expects */
    const char *query;  /* raw query without '?', "" or NULL: none */
    const struct sw_sigv4_header *headers; /* all headers to sign, must
                                              include Host and X-Amz-Date
                                              (and X-Amz-Security-Token) */
    size_t nheaders;
    const void *body;
    size_t body_len;
    int normalize_path; /* 1 except for S3 */
};

struct sw_sigv4_key {
    const char *akid;
    const char *secret; /* borrowed; not copied except into the
                           HMAC key, which is wiped */
    const char *region;
    const char *service; /* signing name: "monitoring", "sns", ... */
};

/* sw_sigv4_sign - compute the Authorization header value for REQ at time
 * T ("AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/
 * aws4_request, SignedHeaders=host;x-amz-date, Signature=...").  The
 * X-Amz-Date header in REQ must equal sw_time_amz(T).  CREQ and STS, when
 * not NULL, receive the canonical request and the string to sign (tests;
 * CREQ holds the session token when one is signed).  AUTHZ, CREQ and STS
 * are initialised by the caller, reset here, and left empty on failure.
 * Returns 0 and AUTHZ filled (caller releases); SW_EINVAL (missing
 * host/x-amz-date or a date other than T, a header name that is not an
 * HTTP token, a value with CR/LF or another control byte but HTAB, bad
 * method or key fields), SW_ETOOBIG (an output cap), SW_ENOMEM,
 * SW_EINTERNAL (OpenSSL failed). */
int sw_sigv4_sign(const struct sw_sigv4_req *req,
                  const struct sw_sigv4_key *key, time_t t,
                  struct sw_buf *authz, struct sw_buf *creq,
                  struct sw_buf *sts);

/* sw_sigv4_signing_key - the derived key kSigning (the signing key step)
 * for SECRET, DATE8 ("20150830"), REGION and SERVICE into OUT (32 bytes);
 * the intermediate keys are wiped.  The caller wipes OUT (sw_memzero())
 * when done.  Exposed for the documented known-answer tests.
 * Returns 0, SW_EINVAL (empty region/service, date not 8 digits) or
 * SW_EINTERNAL/SW_ENOMEM. */
int sw_sigv4_signing_key(const char *secret, const char *date8,
                         const char *region, const char *service,
                         unsigned char out[32]);

/* sw_uri_encode - RFC 3986 percent-encoding (unreserved A-Za-z0-9-_.~ kept,
 * everything else %XX upper-case); '/' kept when KEEP_SLASH.  Appends to
 * OUT.  Returns 0 or SW_ETOOBIG/SW_ENOMEM. */
int sw_uri_encode(struct sw_buf *out, const char *s, size_t len,
                  int keep_slash);

#endif
